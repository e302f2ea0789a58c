"""Two builds of the app side by side, interleaved: is a change slower?

``python -m bench.paired --before DIR --after DIR`` starts ``python -m app``
from each working tree (its own GeoPackage, two gunicorn workers, loopback
ports), then loads them in turns with ``wrk`` — before, after, before, after
… — on the same URLs, so both see the same machine load.  Prints one JSON
object: per URL and build, every round's throughput and p50/p95, their
medians, and the ratio after / before; with the machine's load average.

A change to the structure (the architecture issue) must not make the app
slower: the ratios should be about 1.  Load goes to 127.0.0.1 only, every
run is bounded by ``--duration``.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import statistics
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

HERE = Path(__file__).resolve().parent
URLS = (
    "/ogc/collections/communes/items?limit=102",
    "/targets?indicator=poor_rate&near=border&within_km=0&top=10&geometry=none",
    "/layers/poor_rate.geojson?year=2020&geometry=none",
)


def start(tree: Path, port: int) -> subprocess.Popen:
    """``python -m app`` of ``tree`` on ``port``, serving that tree's own build."""
    env = {**os.environ, "GEO_GPKG": str(tree / "build" / "kontum.gpkg"), "PYTHONPATH": str(tree)}
    env.pop("DATABASE_URL", None)
    return subprocess.Popen(
        [sys.executable, "-m", "app", "--port", str(port), "--workers", "2"],
        cwd=tree,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )


def wait_ready(port: int, timeout: float = 120.0) -> float:
    """Seconds until ``/`` answers 200 on ``port``."""
    t0 = time.perf_counter()
    while time.perf_counter() - t0 < timeout:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/ogc", timeout=2) as r:
                if r.status == 200:
                    return time.perf_counter() - t0
        except OSError:
            time.sleep(0.25)
    raise RuntimeError(f"the app on port {port} did not answer within {timeout:.0f} s")


def wrk(port: int, url: str, duration: float, connections: int) -> dict:
    """One bounded wrk run: requests per second, p50 and p95 in ms."""
    out = subprocess.run(
        [
            "wrk",
            "-t1",
            f"-c{connections}",
            f"-d{duration:g}s",
            "-s",
            str(HERE / "wrk_report.lua"),
            f"http://127.0.0.1:{port}{url}",
        ],
        capture_output=True,
        text=True,
        timeout=duration + 60,
    ).stdout
    line = next(x for x in out.splitlines() if x.startswith("BENCH_JSON "))
    data = json.loads(line.split(" ", 1)[1])
    rps = data["requests"] / (data["duration_us"] / 1e6)
    return {"rps": rps, "p50_ms": data["latency_us"]["p50"] / 1000, "p95_ms": data["latency_us"]["p95"] / 1000}


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m bench.paired", description=__doc__.split("\n\n")[0])
    p.add_argument("--before", type=Path, required=True)
    p.add_argument("--after", type=Path, required=True)
    p.add_argument("--rounds", type=int, default=5)
    p.add_argument("--duration", type=float, default=5.0)
    p.add_argument("--connections", type=int, default=8)
    args = p.parse_args(argv)
    trees = {"before": args.before.resolve(), "after": args.after.resolve()}
    ports = {"before": 5391, "after": 5392}
    procs, result = {}, {"load_average_start": os.getloadavg(), "urls": {}}
    try:
        for name, tree in trees.items():
            procs[name] = start(tree, ports[name])
        result["ready_s"] = {name: round(wait_ready(ports[name]), 2) for name in trees}
        for url in URLS:
            for name in trees:  # warm every worker
                wrk(ports[name], url, 1.0, args.connections)
            rounds = {name: [] for name in trees}
            for _ in range(args.rounds):
                for name in trees:
                    rounds[name].append(wrk(ports[name], url, args.duration, args.connections))
            med = {
                name: {k: round(statistics.median(r[k] for r in rounds[name]), 2) for k in ("rps", "p50_ms", "p95_ms")}
                for name in trees
            }
            result["urls"][url] = {
                "median": med,
                "ratio_rps_after_before": round(med["after"]["rps"] / med["before"]["rps"], 3),
                "rounds": rounds,
            }
    finally:
        for proc in procs.values():
            os.killpg(proc.pid, signal.SIGTERM)
        for proc in procs.values():
            proc.wait(timeout=30)
    result["load_average_end"] = os.getloadavg()
    print(json.dumps(result, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
