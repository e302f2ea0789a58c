"""Time the printed map (an A4 PDF of a layer, target under 3 s) and a commune profile (under 1 s).

    .venv/bin/python -m bench.print_map [--layer poor_rate] [--year 2020] [--runs 5] [--gpkg FILE]
        [--profile 23368]

Both are reported as wall time and as this process's CPU time (``time.process_time``):
on a shared machine the wall time measures the load as much as the code.

Prints the first (cold: data read, print geometry and classes computed) render and
the median of the following warm renders, each through geo.printing.mapsheet.render
exactly as ``GET /print`` draws it; the PDFs are kept in memory only.  Importing
matplotlib is timed apart (once per worker process).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

# the renderer's import (matplotlib) is timed apart: it happens once per worker
T0 = time.perf_counter()
from geo import paths
from geo.maplayers import layerspec
from geo.printing import mapsheet, profile

IMPORT_S = time.perf_counter() - T0
TARGET_S = 3.0
PROFILE_TARGET_S = 1.0


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m bench.print_map", description=__doc__.split("\n\n")[0])
    p.add_argument("--layer", default="poor_rate")
    p.add_argument("--year", default="2020")
    p.add_argument("--size", default="A4")
    p.add_argument("--format", default="pdf")
    p.add_argument("--runs", type=int, default=5, help="warm renders (median; default 5)")
    p.add_argument("--gpkg", type=Path, default=None, help="GeoPackage (default: the served data)")
    p.add_argument("--profile", default="23368", help="commune whose profile page is timed (default 23368)")
    args = p.parse_args(argv)
    path = Path(args.gpkg or paths.gpkg_path())
    if not path.exists():
        print(f"error: {path} not built: run `python -m geo build`", file=sys.stderr)
        return 2
    spec, opts = mapsheet.parse_options(
        {"layer": args.layer, "year": args.year, "size": args.size, "format": args.format},
        layerspec.load_layers(),
        path,
    )
    first, cold, times, cpu = _timed(lambda: mapsheet.render(spec, opts, path), args.runs)
    median = statistics.median(times)
    print(f"import geo.printing (matplotlib): {IMPORT_S:.2f} s")
    print(
        f"{args.size} {args.format} of {args.layer} {args.year}: {len(first) / 1024:.0f} KiB; "
        f"first {cold:.2f} s, median of {len(times)} {median:.2f} s "
        f"(min {min(times):.2f}, max {max(times):.2f}); target < {TARGET_S:.0f} s: "
        f"{'met' if median < TARGET_S else 'NOT met'}; CPU median {statistics.median(cpu):.2f} s"
    )
    page, cold, times, cpu = _timed(lambda: profile.render_profiles([args.profile], "commune", path), args.runs)
    print(
        f"profile of commune {args.profile}: {len(page) / 1024:.0f} KiB; first {cold:.2f} s (context: distances, "
        f"paths), median of {len(times)} {statistics.median(times):.2f} s wall, {statistics.median(cpu):.2f} s CPU; "
        f"target < {PROFILE_TARGET_S:.0f} s: {'met' if statistics.median(times) < PROFILE_TARGET_S else 'NOT met'}"
    )
    return 0


def _timed(render, runs: int) -> tuple[bytes, float, list[float], list[float]]:
    """The first (cold) render and its time, then wall and CPU times of ``runs`` warm ones (same bytes)."""
    t = time.perf_counter()
    first = render()
    cold = time.perf_counter() - t
    times, cpu = [], []
    for _ in range(max(1, runs)):
        t, c = time.perf_counter(), time.process_time()
        again = render()
        times.append(time.perf_counter() - t)
        cpu.append(time.process_time() - c)
        assert again == first, "the same inputs gave different bytes"
    return first, cold, times, cpu


if __name__ == "__main__":
    sys.exit(main())
