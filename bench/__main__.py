"""``python -m bench``: set up, measure, write build/bench/results.json and bench/RESULTS.md.

Steps (``--only`` picks some): ``kontum`` (this app vs pygeoapi on the
communes items and a bbox query, /targets latency, the map page in
Chromium), ``national`` (the same app on the synthetic national
GeoPackage, as it is), ``prototype`` (the same with the changes still
recommended in RESULTS.md applied at run time by bench/prototypes.py, to
measure what they would give).

Load goes to 127.0.0.1 only, every wrk run is bounded (``--duration``).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

from . import report, scenarios, setup_env, util

STEPS = ("kontum", "national", "prototype")


def main(argv=None) -> int:
    p = argparse.ArgumentParser(prog="python -m bench", description=__doc__.split("\n\n")[0])
    p.add_argument("--only", default=",".join(STEPS), help=f"comma list of steps ({', '.join(STEPS)})")
    p.add_argument("--duration", type=float, default=10.0, help="seconds per wrk run (default 10)")
    p.add_argument(
        "--workers",
        type=int,
        default=os.cpu_count() or 2,
        help="gunicorn workers for both servers (default: the number of CPUs)",
    )
    p.add_argument("--connections", default="2,8", help="wrk connections for the comparison (default 2,8)")
    p.add_argument("--page-loads", type=int, default=4, help="map page loads per server (default 4)")
    p.add_argument("--national-n", type=int, default=10_600, help="communes of the national coverage")
    p.add_argument(
        "--national-page-timeout",
        type=float,
        default=60.0,
        help="give up on the national map page after this many seconds (default 60)",
    )
    p.add_argument(
        "--national-start-timeout",
        type=float,
        default=120.0,
        help="give up on a national server that does not answer after this many seconds "
        "(start-up includes the app's warm-up; default 120)",
    )
    p.add_argument(
        "--wait-idle",
        type=float,
        default=60.0,
        help="wait up to this many seconds for the machine's load average to fall below "
        "the number of CPUs ÷ 2 before measuring (default 60; 0: do not wait)",
    )
    p.add_argument("--no-results-md", action="store_true", help="do not rewrite bench/RESULTS.md")
    p.add_argument("--skip-setup", action="store_true", help="do not install anything")
    args = p.parse_args(argv)
    steps = [s.strip() for s in args.only.split(",") if s.strip()]
    unknown = [s for s in steps if s not in STEPS]
    if unknown:
        p.error(f"unknown step(s) {unknown}; expected {', '.join(STEPS)}")

    t_start = time.perf_counter()
    util.OUT.mkdir(parents=True, exist_ok=True)
    venv_py = setup_env.VENV / "bin" / "python"
    if not args.skip_setup:
        venv_py = setup_env.ensure()
    results: dict = {
        "started": time.strftime("%Y-%m-%d %H:%M:%S %Z"),
        "argv": sys.argv[1:],
        "machine": util.machine(),
        "versions": util.versions(venv_py),
    }
    if args.wait_idle > 0:
        util.log("waiting for the machine to be quiet (load average)")
        results["machine"]["idle_wait"] = util.wait_idle(args.wait_idle, (os.cpu_count() or 2) / 2)
    cfg = {
        "workers": args.workers,
        "duration_s": args.duration,
        "connections": [int(c) for c in args.connections.split(",")],
        "page_loads": args.page_loads,
        "national_page_timeout_s": args.national_page_timeout,
        "national_start_timeout_s": args.national_start_timeout,
    }
    results["config"] = cfg
    kontum_gpkg = util.ROOT / "build" / "kontum.gpkg"
    national_gpkg = util.ROOT / "build" / "national.gpkg"
    try:
        if "kontum" in steps:
            if not kontum_gpkg.exists():
                raise SystemExit("build/kontum.gpkg is missing: run `make build` (make bench does)")
            results["kontum"] = _step("kontum", scenarios.kontum, cfg, kontum_gpkg, setup_env.VENV)
        if {"national", "prototype"} & set(steps):
            results["national_build"] = ensure_national(national_gpkg, args.national_n)
        if "national" in steps:
            results["national"] = _step("national", scenarios.national, cfg, national_gpkg, "as-is")
        if "prototype" in steps:
            results["prototype"] = _step("prototype", scenarios.national, cfg, national_gpkg, "prototype")
    finally:
        results["wall_s"] = round(time.perf_counter() - t_start, 1)
        results["machine"]["loadavg_end"] = util.loadavg()
        path = util.OUT / "results.json"
        previous = json.loads(path.read_text()) if path.exists() else {}
        merged = {**previous, **results}  # a partial run (--only) keeps the other steps' numbers
        merged.pop("minimal", None)  # a variant of earlier versions (its fix is in the product)
        path.write_text(json.dumps(merged, indent=1, ensure_ascii=False, default=str))
        util.log(f"wrote {path.relative_to(util.ROOT)} ({results['wall_s']}s)")
    if not args.no_results_md:
        report.write(merged, util.BENCH / "RESULTS.md")
        util.log("updated bench/RESULTS.md (the measured part)")
    print(report.summary(merged))
    return 0


def _step(name, fn, *args) -> dict:
    """One step; a failure is recorded (and printed) instead of ending the run."""
    started = time.strftime("%Y-%m-%d %H:%M:%S %Z")
    t0 = time.perf_counter()
    try:
        out = fn(*args)
        out.update(
            step_started=started,
            step_s=round(time.perf_counter() - t0, 1),
            step_argv=sys.argv[1:],
            step_loadavg_end=util.loadavg(),
        )
        return out
    except Exception as exc:
        import traceback

        util.log(f"step {name} failed: {exc}")
        return {"failed": f"{type(exc).__name__}: {exc}", "traceback": traceback.format_exc()[-2000:]}


def ensure_national(path: Path, n: int) -> dict:
    """Generate build/national.gpkg unless it is newer than geo/synthetic/national.py (same n)."""
    import pyogrio

    src = util.ROOT / "geo" / "synthetic" / "national.py"
    stamp = path.with_suffix(".args")
    want = f"n={n} seed=1"
    if path.exists() and path.stat().st_mtime > src.stat().st_mtime and stamp.exists() and stamp.read_text() == want:
        info = {"generated_s": None, "cached": True}
    else:
        util.log(f"generating {path.relative_to(util.ROOT)} ({n} communes)")
        t0 = time.perf_counter()
        util.sh(
            [sys.executable, "-m", "geo", "national", "--out", str(path), "--n", str(n), "--seed", "1"], cwd=util.ROOT
        )
        info = {"generated_s": round(time.perf_counter() - t0, 1), "cached": False}
        stamp.write_text(want)
    layers = {name: pyogrio.read_info(path, layer=name)["features"] for name, _ in pyogrio.list_layers(path)}
    import shapely

    communes = pyogrio.read_dataframe(path, layer="communes", columns=[])
    info.update(
        command=f"python -m geo national --out {path.relative_to(util.ROOT)} --n {n} --seed 1",
        layers=layers,
        commune_vertices=int(shapely.get_num_coordinates(communes.geometry.values).sum()),
        mib=round(path.stat().st_size / 2**20, 1),
    )
    return info


if __name__ == "__main__":
    sys.exit(main())
