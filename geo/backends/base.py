"""What every backend offers (:class:`Backend`), its errors, and checks of the database settings.

See :mod:`geo.backends` for the two backends and :mod:`geo.backends.factory`
for choosing one.

Example
-------
>>> parse_url("mysql://x")
Traceback (most recent call last):
...
geo.backends.base.BackendConfigError: DATABASE_URL must start with postgresql:// (got 'mysql://…')
>>> redact("postgresql://kontum:s3cret@db.local:5432/kontum")
'postgresql://kontum:***@db.local:5432/kontum'
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # annotations only: this module imports nothing at run time but re
    import geopandas as gpd
    import pandas as pd

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

    @property
    def versions(self) -> Any:  # a geo.uploads.versions.Store (which imports this module)
        """The dataset versions it serves (:class:`geo.uploads.versions.Store`: list, get,
        current, create, restore)."""
        raise NotImplementedError

    def describe(self) -> str:
        """Where the data are, for messages (never a password)."""
        raise NotImplementedError

    def version_parts(self) -> tuple[str, str]:
        """``(describe(), version())`` at once (:func:`geo.cache.version_of`, every request);
        a backend that finds its data for each of them overrides it to look once."""
        return self.describe(), self.version()

    def layer_names(self) -> list[str]:
        raise NotImplementedError

    def read_layer(self, name: str) -> gpd.GeoDataFrame | pd.DataFrame:
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

    def select(
        self,
        collection_id: str,
        bbox: tuple[float, ...] | None = None,
        filters: dict[str, str] | None = None,
        datetime: tuple[int | None, int | None] | None = None,
        year: int | None = None,
        sortby: list[tuple[str, bool]] | None = None,
        cql: Any = None,  # a checked CQL2 filter (geo.ogc.cql2.Filter), or None
    ) -> Any:  # the backend's selection (EmbeddedSelection, PostGISSelection: no shared class)
        raise NotImplementedError

    def items(
        self,
        collection_id: str,
        bbox: tuple[float, ...] | None = None,
        limit: int = 10,
        offset: int = 0,
        filters: dict[str, str] | None = None,
        datetime: tuple[int | None, int | None] | None = None,
        year: int | None = None,
        sortby: list[tuple[str, bool]] | None = None,
    ) -> tuple[gpd.GeoDataFrame, int]:
        sel = self.select(collection_id, bbox, filters, datetime, year, sortby)
        return sel.page_frame(limit, offset), sel.number_matched

    def item_json(self, collection_id: str, fid: str) -> str:
        raise NotImplementedError

    def item(self, collection_id: str, fid: str) -> gpd.GeoDataFrame:
        raise NotImplementedError

    # OGC API – Tiles provider (geo.ogc.tiles: WebMercatorQuad, Mapbox Vector Tiles)
    def tile(self, collection_id: str, z: int, y: int, x: int, properties: tuple[str, ...] = ()) -> bytes:
        """Tile ``z/y/x`` of a collection as MVT bytes (``b""`` when no feature is in it)."""
        raise NotImplementedError

    # targeting
    def targets(self) -> Any:  # the backend's targets (EmbeddedTargets, PostGISTargets: no shared class)
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
        raise BackendConfigError(
            "DATABASE_URL is set but the psycopg package is not installed (pip install -r requirements.txt)"
        ) from None
    try:
        params = conninfo_to_dict(url)
    except Exception as exc:
        msg = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise BackendConfigError(f"DATABASE_URL is malformed ({redact(msg)}): {redact(url)}") from None
    ports = str(params.get("port") or "").split(",")
    if any(p.strip() and not p.strip().isdigit() for p in ports):
        raise BackendConfigError(
            f"DATABASE_URL is malformed (the port {params['port']!r} is not a number): {redact(url)}"
        )
    if not params.get("dbname"):
        raise BackendConfigError(
            f"DATABASE_URL names no database: {redact(url)} (e.g. postgresql://user:password@localhost:5432/kontum)"
        )
    return params


def check_schema(schema: str | None) -> str | None:
    """A schema name for the tables (``DATABASE_SCHEMA``), or None for the default."""
    if schema is None or str(schema).strip() == "":
        return None
    schema = str(schema).strip()
    if not _SCHEMA_RE.match(schema):
        raise BackendConfigError(f"DATABASE_SCHEMA must be a lower-case SQL name (letters, digits, _), got {schema!r}")
    return schema
