"""The Flask service: an explicit app factory and thin blueprints.

Routes parse and validate, call :mod:`geo`, and format.  The settings
(:class:`geo.settings.Settings`: ``GEO_GPKG``, ``MAP_UPLOAD_TOKEN``,
``DATABASE_URL`` …) and the backend are made once by :func:`create_app`;
routes reach them through :mod:`app.context`.
"""

from __future__ import annotations

import importlib
from collections.abc import Mapping

from flask import Flask, g

from geo import settings as geo_settings
from geo.backends import factory
from geo.backends.base import BackendError
from geo.settings import Settings

from . import context, http_cache, security

# Blueprint modules, each exposing ``bp`` (a flask.Blueprint).
BLUEPRINTS = [
    "app.errors",
    "app.targets",
    "app.ogc",
    "app.ogc_tiles",
    "app.raster_api",
    "app.uploads",
    "app.map_page",
    "app.workbench",
    "app.print_map",
    "app.allocations",
]

# Keys of the mapping create_app accepts (tests pass Flask-style names) → settings fields.
CONFIG_KEYS = {
    "GEO_GPKG": "gpkg",
    "GEO_DATA_DIR": "data_dir",
    "GEO_BUILD_DIR": "build_dir",
    "GEO_LAYERS_DIR": "layers_dir",
    "GEO_STATE_DIR": "state_dir",
    "DATABASE_URL": "database_url",
    "DATABASE_SCHEMA": "database_schema",
    "DATABASE_POOL_MAX": "database_pool_max",
    "DATABASE_POOL_TIMEOUT": "database_pool_timeout",
    "GEO_MAX_UPLOAD_BYTES": "max_upload_bytes",
    "UPLOAD_MAX_BYTES": "max_upload_bytes",
    "GEO_STAGING_TTL_S": "staging_ttl_s",
    "MAP_UPLOAD_TOKEN": "upload_token",
    "MAP_SECRET_KEY": "secret_key",
    "MAP_SECRET_KEY_FILE": "secret_key_file",
    "MAP_LOGIN_LIMIT": "login_limit",
    "MAP_RATELIMIT_STORAGE": "ratelimit_storage",
    "MAP_PUBLIC_URL": "public_url",
    "MAP_RASTER_SLOTS": "raster_slots",
    "MAP_RASTER_LIMIT": "raster_limit",
    "MAP_ZONAL_LIMIT": "zonal_limit",
    "MAP_PROXY_HOPS": "proxy_hops",
    "MAP_KEEP_VERSIONS": "keep_versions",
    "MAP_TILES_MIN_UNITS": "tiles_min_units",
    "MAP_LANG": "lang",
    "DEFAULT_LANG": "lang",
}


def settings_from(config: Settings | Mapping | None) -> tuple[Settings, dict]:
    """The settings ``config`` gives, and the Flask options it holds besides.

    ``None``: the process's settings (:func:`geo.settings.active`, from the
    environment).  A mapping (what tests pass): those settings with the known
    keys (:data:`CONFIG_KEYS`) replaced; ``None`` for ``GEO_GPKG`` or
    ``DATABASE_SCHEMA`` means unset; other keys are Flask options.
    """
    if isinstance(config, Settings):
        return config, {}
    base = geo_settings.active()
    changes, flask = {}, {}
    for key, value in (config or {}).items():
        if key in CONFIG_KEYS:
            field = CONFIG_KEYS[key]
            changes[field] = "" if value is None and field in ("database_url", "upload_token", "secret_key") else value
        else:
            flask[key] = value
    return (base.replace(**changes) if changes else base), flask


def _bind_per_request(app: Flask, conf: Settings) -> None:
    """While ``app`` answers a request, ``conf`` are the settings in force for the library
    code it calls (:func:`geo.settings.bind`), even when another app was created since."""

    @app.before_request
    def _bind() -> None:
        g.geo_settings_token = geo_settings.bind(conf)

    @app.teardown_request
    def _unbind(exc) -> None:
        token = g.pop("geo_settings_token", None)
        if token is not None:
            geo_settings.unbind(token)


def create_app(config: Settings | Mapping | None = None) -> Flask:
    """Create the app from ``config`` (see :func:`settings_from`), with its backend made once.

    The settings become the process's too (:func:`geo.settings.activate`), and
    are bound to each request the app answers, for the library code the routes
    call.
    """
    conf, flask_options = settings_from(config)
    geo_settings.activate(conf)
    app = Flask(__name__, static_folder="static", static_url_path="/static")
    # "a//b" is an unknown path (404 JSON), not a redirect to "a/b".
    app.url_map.merge_slashes = False
    app.config.update(
        JSON_SORT_KEYS=False, MAX_CONTENT_LENGTH=conf.max_upload_bytes + context.FORM_SLACK, DEFAULT_LANG=conf.lang
    )
    app.config.update(flask_options)
    try:
        context.install(app, conf, factory.backend_for(conf))
    except BackendError as exc:  # a malformed DATABASE_URL: every data request answers 503
        context.install(app, conf, None, exc)
    _bind_per_request(app, conf)
    security.install(app, conf)
    app.json.ensure_ascii = False
    app.json.sort_keys = False
    for name in BLUEPRINTS:
        module = importlib.import_module(name)
        app.register_blueprint(module.bp)
    http_cache.register(app)
    return app
