"""The Flask service: an explicit app factory and thin blueprints.

Routes parse and validate, call :mod:`geo`, and format.  Configuration comes
from the environment (``GEO_GPKG``, ``MAP_UPLOAD_TOKEN`` …) or from the
mapping passed to :func:`create_app`.
"""

from __future__ import annotations

import importlib
import os

from flask import Flask

# Blueprint modules, each exposing ``bp`` (a flask.Blueprint).
BLUEPRINTS = [
    "app.errors",
    "app.targets",
    "app.ogc",
    "app.raster_api",
    "app.uploads",
    "app.map_page",
    "app.print_map",
]


def create_app(config: dict | None = None) -> Flask:
    """Create the app.  ``config`` overrides the environment (tests use it)."""
    app = Flask(__name__, static_folder="static", static_url_path="/static")
    # "a//b" is an unknown path (404 JSON), not a redirect to "a/b".
    app.url_map.merge_slashes = False
    app.config.update(
        GEO_GPKG=os.environ.get("GEO_GPKG"),
        JSON_SORT_KEYS=False,
        MAX_CONTENT_LENGTH=int(os.environ.get("MAP_MAX_UPLOAD_BYTES", 10 * 1024 * 1024)),
        DEFAULT_LANG=os.environ.get("MAP_LANG", "vi"),
    )
    if config:
        app.config.update(config)
    if app.config.get("GEO_GPKG"):
        os.environ["GEO_GPKG"] = str(app.config["GEO_GPKG"])
    app.json.ensure_ascii = False
    app.json.sort_keys = False
    for name in BLUEPRINTS:
        module = importlib.import_module(name)
        app.register_blueprint(module.bp)
    return app
