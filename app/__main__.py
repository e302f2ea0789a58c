"""``python -m app [--host H] [--port P] [--workers N]``: serve with gunicorn."""

from __future__ import annotations

import argparse
import gc
import sys

from gunicorn.app.base import BaseApplication

from geo.backends.base import BackendError

from . import context, create_app, map_page, serving, warmstart


class _Server(BaseApplication):
    def __init__(self, app, options):
        self.application, self.options = app, options
        super().__init__()

    def load_config(self):
        for key, value in self.options.items():
            self.cfg.set(key, value)

    def load(self):
        return self.application


# Requests that fill the per-dataset caches once in the master process, so
# every forked worker starts warm (the first /targets otherwise takes seconds).
WARM_URLS = (
    "/",
    "/layers/geometry/communes.geojson",
    "/layers/geometry/districts.geojson",
    "/layers/series.json",
    "/targets?indicator=poor_rate&near=border&within_km=0&top=10&geometry=none",
    # as the page asks it (the map's year: that year's household counts too), and with
    # geometry (the units' GeoJSON texts every /targets answer with geometry joins)
    "/targets?level=commune&year=2020&top=10&lang=vi&indicator=poor_rate&near=border&within_km=0&geometry=none",
    "/targets?indicator=poor_rate&year=2020&near=border&within_km=0&top=10",
    "/ogc/collections/communes/items?limit=1",
)


def layer_urls() -> list[str]:
    """The layer requests the page makes when it opens (same query strings, same cache keys)."""
    from urllib.parse import urlencode

    from geo import paths
    from geo.maplayers import layerspec

    urls = []
    for spec in layerspec.load_layers(paths.layers_dir()):
        if not spec.default_visible:
            continue
        q = {"lang": "vi"}
        if len(spec.years) > 1:
            q["year"] = max(spec.years)
        if spec.source in ("communes", "districts"):
            q["geometry"] = "none"
        urls.append(f"/layers/{spec.id}.geojson?{urlencode(q)}")
    return urls


def page_geometry_urls(app) -> list[str]:
    """The page's one geometry download (the TopoJSON topology: 1 s to make for Kon Tum), unless
    the page draws its communes from vector tiles (the national coverage), which never asks it."""
    with app.app_context():
        try:
            if map_page.tiled(context.backend()):
                return []
        except (BackendError, OSError):  # no data: the warm-up's other asks say so
            return []
    return ["/layers/geometry/topology.json"]


def warm(app, base_url: str = "http://localhost") -> None:
    """Fill the caches, asking as a client of ``base_url`` would (answers kept per host are
    then found by the first real ones); a missing build only means nothing to warm."""
    client = app.test_client()
    for url in (*WARM_URLS, *page_geometry_urls(app), *layer_urls()):
        resp = client.get(url, base_url=base_url)
        if resp.status_code != 200:
            app.logger.warning("warm-up %s answered %s", url, resp.status_code)


def server_options(host: str, port: int, workers: int) -> dict:
    """Gunicorn's settings: the buffering thread worker (:mod:`app.serving`) with many more
    connections than threads, so slow or idle clients hold a socket each, never a thread."""
    return {
        "bind": f"{host}:{port}",
        "workers": workers,
        "worker_class": "app.serving.BufferingThreadWorker",
        "threads": 4,
        "worker_connections": 256,
        "keepalive": 5,  # idle kept-alive connections close after 5 s
        "timeout": 60,  # a worker stuck this long is restarted
        "graceful_timeout": 10,
        "accesslog": "-",
        "logger_class": "app.serving.AccessLogger",  # the same lines, a third of the cost
    }


def main(argv=None) -> int:
    p = argparse.ArgumentParser(prog="python -m app", description="Serve the Kon Tum poverty map.")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=5000)
    p.add_argument("--workers", type=int, default=2)
    p.add_argument(
        "--prepare",
        action="store_true",
        help="warm the caches, save them for the next start (app/warmstart.py) and exit",
    )
    args = p.parse_args(argv)
    serving.limit_malloc_arenas()
    app = create_app()
    kept, what = (0, "made anew (--prepare)") if args.prepare else warmstart.restore(app)
    warm(app, context.settings_of(app).public_url or f"http://{args.host}:{args.port}")
    if not kept:
        _, saved = warmstart.save(app)
        what = f"{what}; {saved}"
    print(f"warm start: {what}", file=sys.stderr, flush=True)
    if args.prepare:
        return 0
    # The caches live as long as the process: keep the collector from walking
    # them on every full collection (measured: national /targets p95 110 → 8.5 ms).
    gc.collect()
    gc.freeze()
    serving.trim_heap()  # before forking: workers do not inherit (and later copy) freed pages
    if args.host not in ("127.0.0.1", "localhost", "::1") and not app.extensions["kontum"].settings.public_url:
        app.logger.warning("serving on %s without MAP_PUBLIC_URL: links follow each request's Host header", args.host)
    _Server(app, server_options(args.host, args.port, args.workers)).run()
    return 0


if __name__ == "__main__":
    sys.exit(main())
