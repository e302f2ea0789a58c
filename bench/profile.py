"""Profile requests in-process: time, bytes, memory growth and, optionally, cProfile.

``python -m bench.profile --gpkg build/national.gpkg [--prototype] [--cprofile N] URL …``

Each URL is requested through Flask's test client (no network, one
process), first cold then ``--repeat`` times warm; the process's RSS is
read before and after, so the memory each cache adds shows.  With
``--cprofile N`` the cold request of each URL is profiled and the top N
functions by cumulative time are printed.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import os
import pstats
import statistics
import sys
import time
from pathlib import Path

from . import util


def main(argv=None) -> int:
    p = argparse.ArgumentParser(prog="python -m bench.profile", description=__doc__.split("\n\n")[0])
    p.add_argument("urls", nargs="+")
    p.add_argument("--gpkg", type=Path, default=util.ROOT / "build" / "kontum.gpkg")
    p.add_argument("--repeat", type=int, default=20, help="warm requests per URL (default 20)")
    p.add_argument("--cprofile", type=int, default=0, metavar="N", help="print the top N functions of the cold request")
    p.add_argument("--prototype", action="store_true", help="apply bench/prototypes.py first")
    args = p.parse_args(argv)
    os.environ["GEO_GPKG"] = str(args.gpkg.resolve())
    from app import create_app

    if args.prototype:
        from . import prototypes

        print("prototypes:", prototypes.apply(args.gpkg.resolve()))
    app = create_app({"GEO_GPKG": str(args.gpkg.resolve())})
    client = app.test_client()
    pid = os.getpid()
    print(f"{'url':70s} {'cold s':>8s} {'warm p50 ms':>11s} {'warm p95 ms':>11s} {'bytes':>10s} {'+RSS MiB':>9s}")
    for url in args.urls:
        rss0 = util.memory(pid).get("vmrss_mib", 0)
        prof = cProfile.Profile() if args.cprofile else None
        t0 = time.perf_counter()
        if prof:
            prof.enable()
        resp = client.get(url)
        body = resp.get_data()
        if prof:
            prof.disable()
        cold = time.perf_counter() - t0
        warm = []
        for _ in range(args.repeat):
            t0 = time.perf_counter()
            client.get(url).get_data()
            warm.append((time.perf_counter() - t0) * 1000)
        rss1 = util.memory(pid).get("vmrss_mib", 0)
        p95 = sorted(warm)[max(0, int(len(warm) * 0.95) - 1)] if warm else float("nan")
        p50 = statistics.median(warm) if warm else float("nan")
        print(
            f"{url[:70]:70s} {cold:8.2f} {p50:11.2f} {p95:11.2f} {len(body):10,d} {rss1 - rss0:9.1f}"
            + ("" if resp.status_code == 200 else f"  HTTP {resp.status_code}")
        )
        if prof:
            s = io.StringIO()
            pstats.Stats(prof, stream=s).sort_stats("cumulative").print_stats(args.cprofile)
            print("\n".join(line for line in s.getvalue().splitlines() if line.strip())[:6000])
    print(f"RSS at the end: {util.memory(pid)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
