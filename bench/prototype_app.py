"""``python -m bench.prototype_app [--set all|minimal]``: ``python -m app`` with bench/prototypes.py applied.

Same options and gunicorn settings as ``python -m app`` (app/__main__.py);
before the workers fork, the master applies the prototypes, builds every
cache the map page, /targets and /ogc use (one GET of each through the
app), and freezes the garbage collector, so the workers start warm and share
the caches copy-on-write.  For measuring recommendations only.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time

from app.__main__ import _Server

from . import prototypes

WARM = [
    "/ogc/collections/communes/items?limit=1000",
    "/targets?indicator=poor_rate&year=2020&near=border&within_km=0&top=10",
    "/targets?indicator=poor_rate&year=2020&near=border&within_km=0&top=10&geometry=none",
    "/",
    "/layers/series.json",
    "/layers/geometry/communes.geojson",
    "/layers/geometry/districts.geojson",
]


def layer_urls(app) -> list[str]:
    """The layer requests the map page makes at start (default-visible layers), as the page builds them."""
    client = app.test_client()
    out = []
    for layer in json.loads(client.get("/layers?lang=vi").get_data())["layers"]:
        if not layer["default_visible"]:
            continue
        url = f"/layers/{layer['id']}.geojson?lang=vi"
        if layer["years"]:
            url += f"&year={layer['year'] or layer['years'][-1]}"
        if layer["source"] in ("communes", "districts"):
            url += "&geometry=none"
        out.append(url)
    return out


def main(argv=None) -> int:
    p = argparse.ArgumentParser(prog="python -m bench.prototype_app")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=5000)
    p.add_argument("--workers", type=int, default=2)
    p.add_argument("--set", choices=("all", "minimal"), default="all",
                   help="all: every prototype; minimal: only the sampled Fisher-Jenks breaks, then the "
                        "product's own `python -m app` (its warm-up included)")
    args = p.parse_args(argv)
    if args.set == "minimal":
        prototypes.sampled_fisher_jenks()
        from app.__main__ import main as app_main

        return app_main(["--host", args.host, "--port", str(args.port), "--workers", str(args.workers)])
    t0 = time.perf_counter()
    from app import create_app

    applied = prototypes.apply(os.environ["GEO_GPKG"])
    app = create_app()
    prototypes.response_cache(app)
    warm = prototypes.warm_in_master(app, WARM + layer_urls(app))
    print(json.dumps({"prototypes": applied, "warm_in_master": warm,
                      "startup_s": round(time.perf_counter() - t0, 1)}, ensure_ascii=False), flush=True)
    _Server(app, {"bind": f"{args.host}:{args.port}", "workers": args.workers,
                  "threads": 4, "accesslog": "-"}).run()
    return 0


if __name__ == "__main__":
    sys.exit(main())
