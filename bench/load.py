"""Load from a separate process on loopback: Debian ``wrk`` with bench/wrk_report.lua."""

from __future__ import annotations

import json
import shutil
import subprocess

from . import util

LUA = util.BENCH / "wrk_report.lua"


def wrk(
    url: str,
    connections: int,
    duration_s: float,
    timeout_s: float = 30.0,
    threads: int = 1,
    headers: dict[str, str] | None = None,
) -> dict:
    """One bounded wrk run; throughput (req/s, MB/s) and latency percentiles (ms).

    ``headers``: sent with every request (e.g. ``{"Accept-Encoding": "gzip"}``)."""
    exe = shutil.which("wrk")
    if not exe:
        raise RuntimeError("wrk is not installed (python -m bench installs it from Debian)")
    if not url.startswith("http://127.0.0.1:"):
        raise ValueError(f"load is only sent to 127.0.0.1, not {url}")
    cmd = [
        exe,
        "-t",
        str(threads),
        "-c",
        str(connections),
        "-d",
        f"{duration_s:g}s",
        "--timeout",
        f"{timeout_s:g}s",
        "-s",
        str(LUA),
        *[arg for k, v in (headers or {}).items() for arg in ("-H", f"{k}: {v}")],
        url,
    ]
    load_before = util.loadavg()
    busy0, total0 = util.cpu_times()
    res = subprocess.run(cmd, text=True, capture_output=True, timeout=duration_s + timeout_s + 30)
    busy1, total1 = util.cpu_times()
    line = next((ln for ln in res.stdout.splitlines() if ln.startswith("BENCH_JSON ")), None)
    if res.returncode != 0 or line is None:
        raise RuntimeError(f"wrk failed ({res.returncode}): {res.stderr.strip() or res.stdout[-500:]}")
    raw = json.loads(line.split(" ", 1)[1])
    secs = raw["duration_us"] / 1e6
    lat = raw["latency_us"]
    errors = {k: v for k, v in raw["errors"].items() if v}
    ok = raw["requests"] - raw["errors"]["status"]
    return {
        "command": " ".join(cmd),
        "url": url,
        "headers": headers or {},
        "connections": connections,
        "duration_s": round(secs, 2),
        "requests": raw["requests"],
        "errors": errors,
        "rps": round(ok / secs, 2) if secs else 0.0,
        "mb_per_s": round(raw["bytes"] / secs / 1e6, 1) if secs else 0.0,
        "bytes_per_request": round(raw["bytes"] / raw["requests"]) if raw["requests"] else 0,
        "latency_ms": {k: round(lat[k] / 1000, 2) for k in ("p50", "p90", "p95", "p99", "max", "mean")},
        "machine_busy_pct": round(100 * (busy1 - busy0) / max(total1 - total0, 1), 1),
        "loadavg_before": load_before,
    }
