"""Where the served data live: the embedded GeoPackage or a PostGIS database.

Two backends answer the same questions with the same results:

``embedded`` (:class:`geo.backends.embedded.EmbeddedBackend`)
    The default: the GeoPackage written by ``python -m geo build`` (and the
    dataset versions of :mod:`geo.uploads.versions`), read into memory and cached
    per file version.  Zero set-up; one machine.
``postgis`` (:class:`geo.backends.postgis.PostGISBackend`)
    ``DATABASE_URL=postgresql://user:password@host:5432/dbname``: one
    shared database for several workers and machines.  Spatial filters
    (``ST_DWithin`` / ``ST_Distance`` in UTM 48N, ``ST_Intersects``, KNN
    ``<->``, bbox ``&&``) and paging run in SQL; dataset versions and the
    upload history are tables (``python -m geo db init|migrate|load``).

:func:`get_backend` picks one from ``DATABASE_URL`` (unset or empty: the
embedded one).  The Flask app asks :func:`from_config` (its ``DATABASE_URL``
setting, else the environment); ``None`` there means "the GeoPackage".

The interface (:class:`Backend`):

* ``read_layer(name)`` / ``layer_names()`` — a whole layer as the GeoPackage
  gives it (same columns, dtypes and order in both backends);
* ``collection_ids()``, ``collection(id)``, ``select(id, …)`` (a selection
  with ``number_matched``, ``years``, ``page_frame`` / ``page_bytes``),
  ``item_json(id, fid)``, ``item(id, fid)`` — the OGC API – Features
  provider (see :mod:`geo.ogc.features`);
* ``targets()`` — the targeting source of the served version: constraints
  (``near_border``, ``near_roads``, ``near_point``, ``intersecting``,
  ``in_district``, ``with_status``), ``rank``, ``neighbours``,
  ``nearest_works``, ``communes_without_work`` (see :mod:`app.targets`);
* ``version()`` — a token that changes whenever the served data change.

Example
-------
>>> get_backend("").name
'embedded'
>>> parse_url("mysql://x")
Traceback (most recent call last):
...
geo.backends.BackendConfigError: DATABASE_URL must start with postgresql:// (got 'mysql://…')
>>> redact("postgresql://kontum:s3cret@db.local:5432/kontum")
'postgresql://kontum:***@db.local:5432/kontum'
"""

from __future__ import annotations

import os
import re
import threading
from collections.abc import Mapping
from pathlib import Path

SCHEMES = ("postgresql://", "postgres://")
_SCHEMA_RE = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")


class BackendError(RuntimeError):
    """The data store cannot answer (configuration, connection, missing data)."""


class BackendConfigError(BackendError, ValueError):
    """``DATABASE_URL`` (or the schema) is malformed."""


class BackendUnavailable(BackendError, ConnectionError):
    """The database cannot be reached, or holds no data yet (HTTP 503).

    Also a ``ConnectionError`` (an ``OSError``), so code that already answers
    503 for a failed write (the upload routes) does so for a lost database.
    """


class Backend:
    """What every backend offers (see the module documentation)."""

    name = "?"

    def version(self) -> str:
        raise NotImplementedError

    def describe(self) -> str:
        """Where the data are, for messages (never a password)."""
        raise NotImplementedError

    def layer_names(self) -> list[str]:
        raise NotImplementedError

    def read_layer(self, name: str):
        raise NotImplementedError

    # OGC API – Features provider
    def collection_ids(self) -> list[str]:
        raise NotImplementedError

    def collection(self, collection_id: str) -> dict:
        raise NotImplementedError

    def collections(self) -> list[dict]:
        return [self.collection(cid) for cid in self.collection_ids()]

    def queryables(self, collection_id: str) -> dict:
        return self.collection(collection_id)["queryables"]

    def select(self, collection_id: str, bbox=None, filters=None, datetime=None, year=None,
               sortby=None):
        raise NotImplementedError

    def items(self, collection_id: str, bbox=None, limit: int = 10, offset: int = 0, filters=None,
              datetime=None, year=None, sortby=None):
        sel = self.select(collection_id, bbox, filters, datetime, year, sortby)
        return sel.page_frame(limit, offset), sel.number_matched

    def item_json(self, collection_id: str, fid: str) -> str:
        raise NotImplementedError

    def item(self, collection_id: str, fid: str):
        raise NotImplementedError

    # targeting
    def targets(self):
        raise NotImplementedError


# --------------------------------------------------------------------------- choosing

def redact(url: str) -> str:
    """``url`` without its password."""
    return re.sub(r"(://[^:/@]*:)[^@]*@", r"\1***@", str(url))


def parse_url(url: str) -> dict:
    """Check a ``postgresql://`` URL; return libpq's connection parameters.

    Raises :class:`BackendConfigError` with a one-line message.
    """
    url = str(url or "").strip()
    if not url.startswith(SCHEMES):
        shown = url.split("://", 1)[0] + "://…" if "://" in url else redact(url)[:40]
        raise BackendConfigError(f"DATABASE_URL must start with postgresql:// (got {shown!r})")
    try:
        from psycopg.conninfo import conninfo_to_dict
    except ImportError:  # pragma: no cover - requirements.txt pins it
        raise BackendConfigError("DATABASE_URL is set but the psycopg package is not installed "
                                 "(pip install -r requirements.txt)") from None
    try:
        params = conninfo_to_dict(url)
    except Exception as exc:
        msg = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise BackendConfigError(f"DATABASE_URL is malformed ({redact(msg)}): {redact(url)}") from None
    ports = str(params.get("port") or "").split(",")
    if any(p.strip() and not p.strip().isdigit() for p in ports):
        raise BackendConfigError(f"DATABASE_URL is malformed (the port {params['port']!r} is not a number): "
                                 f"{redact(url)}")
    if not params.get("dbname"):
        raise BackendConfigError(f"DATABASE_URL names no database: {redact(url)} "
                                 "(e.g. postgresql://user:password@localhost:5432/kontum)")
    return params


def check_schema(schema: str | None) -> str | None:
    """A schema name for the tables (``DATABASE_SCHEMA``), or None for the default."""
    if schema is None or str(schema).strip() == "":
        return None
    schema = str(schema).strip()
    if not _SCHEMA_RE.match(schema):
        raise BackendConfigError(f"DATABASE_SCHEMA must be a lower-case SQL name (letters, digits, _), "
                                 f"got {schema!r}")
    return schema


_instances: dict[tuple, Backend] = {}
_instances_lock = threading.Lock()


def postgis_backend(url: str, schema: str | None = None) -> Backend:
    """The PostGIS backend for ``url`` (one per URL and schema in a process)."""
    parse_url(url)
    schema = check_schema(schema)
    key = ("postgis", str(url).strip(), schema)
    with _instances_lock:
        hit = _instances.get(key)
        if hit is None:
            from geo.backends.postgis import PostGISBackend

            hit = _instances[key] = PostGISBackend(str(url).strip(), schema)
    return hit


def get_backend(url: str | None = None, schema: str | None = None,
                gpkg: Path | str | None = None) -> Backend:
    """The backend for ``url`` (default ``$DATABASE_URL``): PostGIS, or embedded when empty.

    ``schema`` (default ``$DATABASE_SCHEMA``) keeps the tables in a schema of
    their own; ``gpkg`` is the embedded backend's GeoPackage (default: the
    served one, :func:`geo.paths.gpkg_path`).
    """
    url = os.environ.get("DATABASE_URL", "") if url is None else url
    if str(url or "").strip():
        return postgis_backend(url, os.environ.get("DATABASE_SCHEMA") if schema is None else schema)
    from geo.backends.embedded import EmbeddedBackend

    return EmbeddedBackend(gpkg)


def database(url: str | None = None, schema: str | None = None) -> Backend | None:
    """The PostGIS backend when ``DATABASE_URL`` (or ``url``) is set, else None."""
    url = os.environ.get("DATABASE_URL", "") if url is None else url
    if not str(url or "").strip():
        return None
    return postgis_backend(url, os.environ.get("DATABASE_SCHEMA") if schema is None else schema)


def from_config(config: Mapping) -> Backend | None:
    """The database backend an app is configured with, or None (the GeoPackage).

    ``config["DATABASE_URL"]`` when the key is present (even empty: then the
    GeoPackage), else ``$DATABASE_URL``; likewise ``DATABASE_SCHEMA``.
    """
    url = config["DATABASE_URL"] if "DATABASE_URL" in config else os.environ.get("DATABASE_URL", "")
    schema = (config["DATABASE_SCHEMA"] if "DATABASE_SCHEMA" in config
              else os.environ.get("DATABASE_SCHEMA"))
    return database(url or "", schema)
