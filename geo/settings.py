"""Every setting of the library, the CLI and the web app, in one object.

:class:`Settings` is a frozen dataclass: typed fields, their defaults, and
validation with one clear message per bad value.  :meth:`Settings.from_env`
is the only place in ``geo/`` and ``app/`` that reads the environment; each
field names its variable (``env``) and what it means (``doc``) — the README
table "Settings (environment)" lists them all (a test keeps the two equal).

A process builds its settings once: ``python -m geo`` in :func:`geo.cli.main`,
the web app in :func:`app.create_app`, tests in their fixtures.  Whoever
builds them makes them the process's *active* settings with
:func:`activate`; library code that is not handed a path reads them through
:func:`active` (which reads the environment once, the first time, when no
one activated anything).

Example
-------
>>> s = Settings.from_env({"GEO_MAX_UPLOAD_BYTES": "1000", "MAP_LANG": "en"})
>>> s.max_upload_bytes, s.lang, s.database_url
(1000, 'en', '')
>>> s.replace(lang="vi").lang
'vi'
>>> Settings.from_env({"GEO_MAX_UPLOAD_BYTES": "lots"})
Traceback (most recent call last):
...
geo.settings.SettingsError: GEO_MAX_UPLOAD_BYTES must be a whole number, got 'lots'
"""

from __future__ import annotations

import contextvars
import dataclasses
import os
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LANGS = ("vi", "en")


class SettingsError(ValueError):
    """A setting with a value that cannot be used (the message names the variable)."""


def _setting(env: str, default, doc: str, shown: str | None = None):
    """A field read from the environment variable ``env`` (``shown``: the default as documented)."""
    meta = {"env": env, "doc": doc, "shown": shown if shown is not None else str(default)}
    return field(default=default, metadata=meta)


@dataclass(frozen=True)
class Settings:
    """The settings of one process (see the module documentation)."""

    data_dir: Path = _setting("GEO_DATA_DIR", ROOT / "data", "source data folder", "data/")
    build_dir: Path = _setting(
        "GEO_BUILD_DIR", ROOT / "build", "build folder (`python -m geo build` writes `kontum.gpkg` there)", "build/"
    )
    layers_dir: Path = _setting("GEO_LAYERS_DIR", ROOT / "layers", "declarative map layer files", "layers/")
    state_dir: Path = _setting(
        "GEO_STATE_DIR", ROOT / "instance", "where dataset versions and staged uploads live", "instance/"
    )
    gpkg: Path | None = _setting("GEO_GPKG", None, "serve this GeoPackage instead of the current version", "unset")
    database_url: str = _setting(
        "DATABASE_URL",
        "",
        "`postgresql://…`: serve a PostGIS database instead of the GeoPackage",
        "unset (the GeoPackage)",
    )
    database_schema: str | None = _setting(
        "DATABASE_SCHEMA", None, "schema of the PostGIS tables", "unset (the default schema)"
    )
    database_pool_max: int = _setting("DATABASE_POOL_MAX", 8, "database connections per process")
    database_pool_timeout: int = _setting("DATABASE_POOL_TIMEOUT", 5, "seconds to wait for a database connection")
    max_upload_bytes: int = _setting(
        "GEO_MAX_UPLOAD_BYTES",
        5 * 1024 * 1024,
        "upload size cap in bytes (files; the web app's request limit adds room for the form)",
        "5242880 (5 MiB)",
    )
    staging_ttl_s: int = _setting("GEO_STAGING_TTL_S", 3600, "seconds a previewed upload waits for its commit")
    upload_token: str | Mapping = _setting(
        "MAP_UPLOAD_TOKEN",
        "",
        "enables uploads: `secret` or `name:secret,name2:secret2` (never commit it)",
        "unset (uploads disabled)",
    )
    secret_key: str = _setting(
        "MAP_SECRET_KEY", "", "session key (else the key file `MAP_SECRET_KEY_FILE`)", "unset (the key file)"
    )
    secret_key_file: Path | None = _setting(
        "MAP_SECRET_KEY_FILE",
        None,
        "file holding the random session key, created once (0600) when missing; name one shared file "
        "when several hosts serve one database",
        "`session.key` in the state folder",
    )
    login_limit: str = _setting(
        "MAP_LOGIN_LIMIT", "10 per minute;50 per hour", "failed upload-token attempts allowed per client address"
    )
    ratelimit_storage: str = _setting(
        "MAP_RATELIMIT_STORAGE",
        "memory://",
        "where failed attempts are counted (Flask-Limiter storage URI): `memory://` counts per worker "
        "process; give `redis://host:6379` to share the count between workers and hosts",
    )
    public_url: str = _setting(
        "MAP_PUBLIC_URL",
        "",
        "the public base URL (`https://map.example.vn/`): OGC links and the OpenAPI `servers` use it "
        "instead of the request's Host header; `https://` also makes cookies Secure",
        "unset (the request's own URL)",
    )
    raster_slots: int = _setting(
        "MAP_RASTER_SLOTS",
        1,
        "raster computations (a new `/raster/*.tif`, `POST /raster/zonal`) run at once per worker "
        "process; one more waits 0.1 s, then gets 503 with `Retry-After`",
    )
    raster_limit: str = _setting(
        "MAP_RASTER_LIMIT", "60 per minute", "`/raster/*` requests allowed per client address (else 429)"
    )
    zonal_limit: str = _setting(
        "MAP_ZONAL_LIMIT", "10 per minute;60 per hour", "`POST /raster/zonal` uploads allowed per client address"
    )
    keep_versions: int = _setting(
        "MAP_KEEP_VERSIONS",
        0,
        "dataset versions kept (the last N, the current one and those kept by `geo versions keep`); "
        "older ones lose their GeoPackage, or go entirely when no kept version builds on them",
        "0 (keep all)",
    )
    proxy_hops: int = _setting(
        "MAP_PROXY_HOPS",
        0,
        "reverse proxies in front whose `X-Forwarded-For`/`-Proto` are trusted (1 behind nginx): the "
        "client address the limits count and HTTPS come from them",
        "0 (no proxy: the peer address)",
    )
    tiles_min_units: int = _setting(
        "MAP_TILES_MIN_UNITS",
        2000,
        "from this many communes the map draws them from the OGC vector tiles "
        "(`/ogc/collections/communes/tiles`) instead of one GeoJSON (the national coverage)",
    )
    lang: str = _setting("MAP_LANG", "vi", "default interface language (`vi` or `en`)")
    user: str = _setting("USER", "cli", "who the command line records as the uploader (`--who` default)")

    def __post_init__(self) -> None:
        for f in dataclasses.fields(self):
            value = getattr(self, f.name)
            if f.type == "Path" or (f.type == "Path | None" and value is not None):
                object.__setattr__(self, f.name, Path(value))
        for name in (
            "database_pool_max",
            "database_pool_timeout",
            "max_upload_bytes",
            "staging_ttl_s",
            "raster_slots",
            "tiles_min_units",
        ):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise SettingsError(f"{env_name(name)} must be a whole number of at least 1, got {value!r}")
        if isinstance(self.keep_versions, bool) or not isinstance(self.keep_versions, int) or self.keep_versions < 0:
            raise SettingsError(f"MAP_KEEP_VERSIONS must be a whole number of at least 0, got {self.keep_versions!r}")
        if isinstance(self.proxy_hops, bool) or not isinstance(self.proxy_hops, int) or self.proxy_hops < 0:
            raise SettingsError(f"MAP_PROXY_HOPS must be a whole number of at least 0, got {self.proxy_hops!r}")
        if self.lang not in LANGS:
            raise SettingsError(f"MAP_LANG must be one of {', '.join(LANGS)}, got {self.lang!r}")
        object.__setattr__(self, "database_url", str(self.database_url or "").strip())
        url = str(self.public_url or "").strip().rstrip("/")
        if url and not url.startswith(("http://", "https://")):
            raise SettingsError(f"MAP_PUBLIC_URL must start with http:// or https://, got {url!r}")
        object.__setattr__(self, "public_url", url)
        schema = self.database_schema
        object.__setattr__(self, "database_schema", str(schema).strip() or None if schema is not None else None)

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        """The settings the environment (``environ``, default ``os.environ``) gives; unset or
        empty variables keep their default."""
        environ = os.environ if environ is None else environ
        values = {}
        for f in dataclasses.fields(cls):
            raw = environ.get(f.metadata["env"], "")
            if raw == "":
                continue
            values[f.name] = _parse(f, raw)
        return cls(**values)

    def replace(self, **changes) -> Settings:
        """A copy with ``changes`` (field name → value), validated again."""
        return dataclasses.replace(self, **changes)


def _parse(f: dataclasses.Field, raw: str):
    """The value of field ``f`` from the text ``raw`` of its variable."""
    if f.type == "int":
        try:
            return int(raw.strip())
        except ValueError:
            raise SettingsError(f"{f.metadata['env']} must be a whole number, got {raw!r}") from None
    return raw


def env_name(name: str) -> str:
    """The environment variable of the field ``name``."""
    return {f.name: f.metadata["env"] for f in dataclasses.fields(Settings)}[name]


def documented() -> list[tuple[str, str, str]]:
    """(variable, default as documented, meaning) of every setting, in field order."""
    return [(f.metadata["env"], f.metadata["shown"], f.metadata["doc"]) for f in dataclasses.fields(Settings)]


# --------------------------------------------------------------------------- the process's settings

_active: Settings | None = None
_lock = threading.Lock()
_bound: contextvars.ContextVar[Settings | None] = contextvars.ContextVar("geo_settings", default=None)


def active() -> Settings:
    """The settings in force: those :func:`bind`-ed to the current context (a web request of
    one app), else the process's — those last :func:`activate`-d, else the environment's
    (read once)."""
    global _active
    if (bound := _bound.get()) is not None:
        return bound
    if _active is None:
        with _lock:
            if _active is None:
                _active = Settings.from_env()
    return _active


def activate(settings: Settings | None) -> Settings | None:
    """Make ``settings`` the process's settings (``None``: read the environment again on next
    use).  Returns the ones it replaces, so a caller can put them back."""
    global _active
    with _lock:
        previous, _active = _active, settings
    return previous


def bind(settings: Settings) -> contextvars.Token:
    """Make ``settings`` the ones in force in the current context only (e.g. while an app
    answers a request, so two apps in one process each use their own); undo with
    :func:`unbind`."""
    return _bound.set(settings)


def unbind(token: contextvars.Token) -> None:
    """Undo the :func:`bind` that returned ``token``."""
    _bound.reset(token)
