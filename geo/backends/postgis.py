"""The PostGIS backend: one shared database for many workers, spatial work in SQL.

``DATABASE_URL=postgresql://user:password@host:5432/dbname`` (and optionally
``DATABASE_SCHEMA=name`` to keep the tables in a schema of their own).
``python -m geo db init`` creates the PostGIS extension and the schema
(migrations under ``geo/migrations``), ``python -m geo db load`` loads the
built GeoPackage as dataset version 0; uploads then add versions 1, 2 …

What a version holds (see ``geo/migrations/0001_initial.sql``):

* ``layer_rows`` — every layer of the GeoPackage, attributes as ordered JSON
  (with their dtypes in ``dataset_layers.info``, so :meth:`read_layer` gives
  back exactly what :func:`geo.io.storage.read_layer` gives), ``geom`` in WGS84
  and ``geom_utm`` in UTM 48N (EPSG:32648);
* ``observations`` — the long table, typed, with ``version`` and row order;
* ``target_units`` — the communes and districts /targets ranks, with their
  border flags, ``geom_utm`` GiST-indexed;
* ``ogc_features`` — the OGC API collections (:mod:`geo.ogc.features` builds them
  at load time: indicator columns, statuses, synthetic notes, GeoJSON text),
  so a page of items is one indexed query.

The loader reads a GeoPackage with the same code the embedded backend uses
(:func:`geo.io.storage.read_layer`, :mod:`geo.ogc.features`, :mod:`geo.analysis.query`), so
both backends serve the same values.  A layer that a new version does not
change keeps the rows of the version that wrote it (``data_version``).

Requests: the current version is looked up (one small query); then

* OGC items: filters, ``bbox`` (``geom && envelope`` + ``ST_Intersects``),
  ``datetime``, ``sortby`` and ``limit``/``offset`` in SQL, ``numberMatched``
  from ``count(*)``;
* /targets: each constraint is one query on ``geom_utm`` that returns only
  the units it may keep (with a 1 m margin) and their distances — border and
  roads: ``ST_Intersects`` / ``ST_DWithin`` against the lines cut into short
  pieces (``line_parts``, ``ST_Subdivide``), the distance by KNN (``<->``)
  and ``ST_Distance``; a point: ``ST_DWithin`` / ``ST_Distance``; a drawn
  polygon or bbox: ``ST_Intersects`` — and the rules of :mod:`geo.analysis.query`
  then decide on those few rows, so labels, rounding and the 1 mm slack are
  the embedded ones.  The ranking fetches the values of the chosen
  indicators and the candidate units (no geometry), normalises over every
  unit of the level (:func:`geo.analysis.targeting.rank` with ``universe``) and
  fetches the geometry of the rows returned only;
* neighbours: ``ST_Intersects`` + ``ST_Length(ST_Intersection(boundaries))``;
  nearest works: KNN ``<->``; communes without works: a KNN lateral join.

Connections: a pool per process (``psycopg_pool``), created lazily in the
process that uses it — after gunicorn forks its workers.  Writes (uploads,
restore, load) take a transaction-scoped advisory lock, so versions get
numbers in one order; a unique index allows one current version only; a
failed write rolls back and leaves nothing.  Values that never change for a
version (snapshots, catalogue, layers, districts) are kept in :mod:`geo.cache`
per process, keyed by the data version (this database, the version token).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import json
import logging
import math
import os
import tempfile
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from shapely.geometry import Point

if TYPE_CHECKING:  # annotations only: psycopg is imported where a connection is made
    import psycopg

from geo import cache
from geo import settings as geo_settings
from geo.analysis import query, targeting
from geo.backends.base import Backend, BackendError, BackendUnavailable, parse_url, redact
from geo.indicators import catalogue
from geo.io import storage
from geo.messages import Message
from geo.ogc import cql2, features, tiles
from geo.uploads import versions
from geo.uploads.versions import Version, VersionError

# The pool reports each failed connection attempt; a library stays quiet unless the
# application configures logging (our errors carry the reason anyway).
logging.getLogger("psycopg.pool").addHandler(logging.NullHandler())

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"
LOCK_MIGRATE = 62_000_001  # pg_advisory_xact_lock keys
LOCK_VERSIONS = 62_000_002
CONNECT_TIMEOUT_S = 5
SLACK_M = 1.0  # SQL pre-filters keep units up to 1 m beyond the limit; geo.analysis.query decides
WGS84_SRID, UTM_SRID = 4326, 32648
MAX_ROWS = 2**62  # LIMIT / OFFSET beyond any table (bigint)
LINE_LAYERS = ("border", "roads")  # cut into line_parts for distance queries
LINE_PART_VERTICES = 32
#: The tables of data rows and how a row names its layer in ``dataset_layers`` (for pruning).
PRUNED_ROWS = (
    ("layer_rows", "t.layer"),
    ("line_parts", "t.layer"),
    ("observations", "'observations'"),
    ("target_units", "'units:' || t.level"),
    ("ogc_features", "'ogc:' || t.collection"),
)
ID_FIELDS = {
    "communes": "gso_code",
    "districts": "gso_code",
    "communes_2025": "gso_code",
    "works": "work_id",
    "roads": "road_id",
    "border": "country",
    "catalogue": "id",
    "provinces": "gso_province_code",
    "countries": "ADM0_A3",
}
OBS_TEXT = (
    "unit_level",
    "gso_code",
    "unit_name",
    "indicator",
    "period",
    "qualifier",
    "unit",
    "standard",
    "status",
    "source",
    "note",
)
OBS_COLUMNS = catalogue.OBS_COLUMNS


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return redact(text.splitlines()[0]) if text else type(exc).__name__


#: Snapshots, districts and unit lists of a dataset version (layer frames: ``storage.LAYERS``).
VERSION_VALUES = cache.partition("postgis", max_bytes=64 * cache.MiB)


@dataclass(frozen=True)
class Layer:
    name: str
    kind: str  # features / table / observations / ogc / units
    data_version: int
    sha256: str
    info: dict


@dataclass(frozen=True)
class Snapshot:
    """The current dataset version and where each of its layers' rows are."""

    version: int
    token: str
    layers: dict  # name → Layer

    def layer(self, name: str) -> Layer:
        try:
            return self.layers[name]
        except KeyError:
            raise KeyError(f"layer {name!r} not in dataset version {self.version}") from None


# --------------------------------------------------------------------------- values ↔ JSON


def _jsonable(v):
    """A cell as a JSON value (NaN/NA → null; ±inf as "inf"/"-inf", restored by dtype)."""
    if v is None or v is pd.NA or v is pd.NaT:
        return None
    if isinstance(v, (bool, np.bool_)):
        return bool(v)
    if isinstance(v, (int, np.integer)):
        return int(v)
    if isinstance(v, (float, np.floating)):
        f = float(v)
        if math.isnan(f):
            return None
        return f if math.isfinite(f) else ("inf" if f > 0 else "-inf")
    if isinstance(v, str):
        return v
    if isinstance(v, (pd.Timestamp, dt.date, dt.datetime)):
        return v.isoformat()
    return str(v)


def _column_info(frame: pd.DataFrame) -> list[list]:
    """[[name, dtype, na]…] of the non-geometry columns (``na``: "NA" when pd.NA marks gaps)."""
    geo = frame.geometry.name if isinstance(frame, gpd.GeoDataFrame) else None
    out = []
    for name in frame.columns:
        if name == geo:
            continue
        s = frame[name]
        na = "NA" if s.dtype == object and any(v is pd.NA for v in s) else None
        out.append([str(name), str(s.dtype), na])
    return out


def _records(frame: pd.DataFrame, columns: list[list]) -> list[str]:
    """Each row's attributes as a JSON object text, columns in order."""
    names = [c[0] for c in columns]
    cols = [[_jsonable(v) for v in frame[n].tolist()] for n in names]
    dumps = json.JSONEncoder(ensure_ascii=False, allow_nan=False).encode
    return [dumps(dict(zip(names, row))) for row in zip(*cols)] if names else ["{}"] * len(frame)


def _restore(values: list, dtype: str, na: str | None):
    """A column of ``dtype`` from JSON values (see :func:`_jsonable`)."""
    if dtype == "object":
        arr = np.empty(len(values), dtype=object)
        arr[:] = [pd.NA if (v is None and na == "NA") else v for v in values]
        return arr
    if dtype.startswith("float"):
        return np.array([np.nan if v is None else v for v in values], dtype=dtype)
    if dtype in ("int64", "int32", "int16", "int8", "bool", "uint8"):
        return np.array(values, dtype=dtype)
    return pd.Series(values, dtype=object).astype(dtype).array


def _frame(rows: list[dict], info: dict, geoms=None) -> pd.DataFrame:
    """A layer frame from attribute dicts (+ WKB geometries) and the layer's info."""
    data = {}
    for name, dtype, na in info["columns"]:
        data[name] = _restore([r.get(name) for r in rows], dtype, na)
    frame = pd.DataFrame(data, index=pd.RangeIndex(len(rows)))
    if not info.get("geometry"):
        return frame
    series = gpd.GeoSeries.from_wkb(
        [None if g is None else bytes(g) for g in (geoms or [None] * len(rows))], crs=info.get("crs")
    )
    frame[info["geometry"]] = series.values
    return gpd.GeoDataFrame(frame, geometry=info["geometry"], crs=info.get("crs"))


def _crs_text(crs) -> str | None:
    if crs is None:
        return None
    epsg = crs.to_epsg()
    return f"EPSG:{epsg}" if epsg else crs.to_wkt()


def _ewkb(geoms, srid: int) -> list:
    arr = np.asarray(geoms, dtype=object)
    arr = np.array([None if g is None or g.is_empty else g for g in arr], dtype=object)
    out = shapely.to_wkb(shapely.set_srid(arr, srid), hex=True, include_srid=True)
    return [None if g is None else str(g) for g in out]


def _sha(*parts) -> str:
    h = hashlib.sha256()
    for part in parts:
        if isinstance(part, (list, tuple)):
            for p in part:
                h.update(b"\x00" if p is None else str(p).encode("utf-8"))
                h.update(b"\x1e")
        else:
            h.update(str(part).encode("utf-8"))
        h.update(b"\x1f")
    return h.hexdigest()


# --------------------------------------------------------------------------- the backend


class PostGISBackend(Backend):
    """A PostGIS database (``url``), tables in ``schema`` (default: the search path).

    ``pool_max`` connections per process at most; ``pool_timeout`` seconds to
    wait for one (``DATABASE_POOL_MAX`` / ``DATABASE_POOL_TIMEOUT``).
    """

    name = "postgis"

    def __init__(self, url: str, schema: str | None = None, pool_max: int = 8, pool_timeout: int = CONNECT_TIMEOUT_S):
        self.url, self.schema = url, schema
        self.pool_max, self.pool_timeout = max(1, int(pool_max)), max(1, int(pool_timeout))
        self._params = parse_url(url)
        self._pool = None
        self._pool_pid = None
        self._lock = threading.Lock()

    # ------------------------------------------------------------------ connections
    def describe(self) -> str:
        p = self._params
        where = p.get("host") or "local socket"
        if p.get("port"):
            where += f":{p['port']}"
        user = f"{p['user']}@" if p.get("user") else ""
        text = f"postgresql://{user}{where}/{p.get('dbname', '')}"
        return text + (f" (schema {self.schema})" if self.schema else "")

    def _kwargs(self) -> dict:
        kw = {"application_name": f"kontum-map:{os.getpid()}"}  # which worker holds which connection
        if "connect_timeout" not in self._params:
            kw["connect_timeout"] = CONNECT_TIMEOUT_S
        if self.schema:
            kw["options"] = (self._params.get("options", "") + f" -c search_path={self.schema},public").strip()
        return kw

    def connect(self, autocommit: bool = False) -> psycopg.Connection:
        """A new connection of its own (the CLI, writes); raises :class:`BackendUnavailable`."""
        import psycopg

        try:
            return psycopg.connect(self.url, autocommit=autocommit, **self._kwargs())
        except psycopg.OperationalError as exc:
            raise BackendUnavailable(
                Message("error.backend.cannot_connect", db=self.describe(), reason=_first_line(exc))
            ) from None

    def _get_pool(self):
        pid = os.getpid()
        if self._pool is None or self._pool_pid != pid:
            with self._lock:
                if self._pool is None or self._pool_pid != pid:
                    from psycopg_pool import ConnectionPool

                    with self.connect():  # fail at once, with the reason, when it cannot be reached
                        pass

                    # A pool inherited through fork() is the parent's: never used, never closed here.
                    self._pool = ConnectionPool(
                        self.url,
                        kwargs=self._kwargs(),
                        min_size=1,
                        max_size=self.pool_max,
                        timeout=self.pool_timeout,
                        open=False,
                        name=f"kontum-{pid}",
                    )
                    self._pool.open(wait=False)
                    self._pool_pid = pid
        return self._pool

    @contextlib.contextmanager
    def connection(self) -> Iterator[psycopg.Connection]:
        """A pooled connection (a transaction, committed on success)."""
        import psycopg

        try:
            with self._get_pool().connection() as conn:
                yield conn
        except psycopg.DataError as exc:  # a value the database cannot hold (NUL, out of range): bad input
            raise features.QueryError(f"invalid value in the query: {_first_line(exc)}") from None
        except psycopg.errors.UndefinedTable:
            raise BackendUnavailable(Message("error.backend.no_tables", db=self.describe())) from None
        except psycopg.OperationalError as exc:
            from psycopg_pool import PoolTimeout

            if isinstance(exc, PoolTimeout):  # no connection in time: down, or every connection busy?
                with self.connect():  # raises "cannot connect …: <reason>" when it is down
                    pass
                raise BackendUnavailable(
                    Message("error.backend.busy", db=self.describe(), seconds=self.pool_timeout, pool_max=self.pool_max)
                ) from None
            raise BackendUnavailable(
                Message("error.backend.unreachable", db=self.describe(), reason=_first_line(exc))
            ) from None

    def close(self) -> None:
        """Close this process's pool (tests; servers simply exit)."""
        with self._lock:
            if self._pool is not None and self._pool_pid == os.getpid():
                self._pool.close()
            self._pool = None

    def _lock_xact(self, conn, key: int) -> None:
        """Wait for the transaction-scoped advisory lock ``key`` of this schema (writers queue here)."""
        conn.execute("SELECT pg_advisory_xact_lock(%s::integer, hashtext(%s))", (key, self.schema or "public"))

    def _rows(self, sql: str, params=None) -> list[tuple]:
        with self.connection() as conn:
            return conn.execute(sql, params).fetchall()

    # ------------------------------------------------------------------ schema
    def init(self) -> list[str]:
        """Create the PostGIS extension (when allowed) and migrate."""
        import psycopg

        with self.connect(autocommit=True) as conn:
            have = conn.execute("SELECT 1 FROM pg_extension WHERE extname = 'postgis'").fetchone()
            if not have:
                try:
                    conn.execute("CREATE EXTENSION IF NOT EXISTS postgis")
                except psycopg.Error as exc:
                    raise BackendError(
                        f"cannot create the PostGIS extension in {self.describe()} "
                        f"({_first_line(exc)}); an administrator must run "
                        f"CREATE EXTENSION postgis in that database"
                    ) from None
        return self.migrate()

    def migrate(self) -> list[str]:
        """Apply the migrations not applied yet (idempotent; concurrent runs wait for each other)."""
        import psycopg
        from psycopg import sql

        done = []
        with self.connect() as conn, conn.transaction():
            self._lock_xact(conn, LOCK_MIGRATE)
            try:
                with conn.transaction():
                    conn.execute("SELECT postgis_lib_version()")
            except psycopg.errors.UndefinedFunction:
                raise BackendError(
                    f"PostGIS is not installed in {self.describe()}: run "
                    f"`python -m geo db init` (or CREATE EXTENSION postgis)"
                ) from None
            if self.schema:
                conn.execute(sql.SQL("CREATE SCHEMA IF NOT EXISTS {}").format(sql.Identifier(self.schema)))
            conn.execute(
                "CREATE TABLE IF NOT EXISTS schema_migrations ("
                " version integer PRIMARY KEY, name text NOT NULL,"
                " applied_at timestamptz NOT NULL DEFAULT now())"
            )
            applied = {r[0] for r in conn.execute("SELECT version FROM schema_migrations")}
            for path in migration_files():
                number = int(path.name.split("_", 1)[0])
                if number in applied:
                    continue
                conn.execute(path.read_text(encoding="utf-8"))
                conn.execute("INSERT INTO schema_migrations (version, name) VALUES (%s, %s)", (number, path.name))
                done.append(path.name)
        return done

    def status(self) -> dict:
        """Migrations, PostGIS version, dataset versions (for ``python -m geo db status``)."""
        import psycopg

        with self.connect() as conn:
            out = {"database": self.describe(), "postgis": conn.execute("SELECT postgis_lib_version()").fetchone()[0]}
            try:
                with conn.transaction():
                    rows = conn.execute(
                        "SELECT version, name, applied_at FROM schema_migrations ORDER BY version"
                    ).fetchall()
            except psycopg.errors.UndefinedTable:
                rows = []
            applied = {r[0] for r in rows}
            out["migrations"] = [f"{r[1]} (applied {r[2]:%Y-%m-%d %H:%M})" for r in rows]
            out["pending"] = [p.name for p in migration_files() if int(p.name[:4]) not in applied]
            if 1 in applied:
                vs = conn.execute("SELECT version, current FROM dataset_versions ORDER BY version").fetchall()
                out["versions"] = [r[0] for r in vs]
                out["current"] = next((r[0] for r in vs if r[1]), None)
        return out

    # ------------------------------------------------------------------ loading
    def load(self, gpkg: Path | str, replace: bool = False, who: str = "", note: str = "") -> int:
        """Load a built GeoPackage as dataset version 0 (the base) and make it current."""
        gpkg = Path(gpkg)
        if not gpkg.is_file():
            raise BackendError(f"{gpkg} does not exist: run `python -m geo build` first")
        with self.connect() as conn, conn.transaction():
            self._lock_xact(conn, LOCK_VERSIONS)
            have = [r[0] for r in conn.execute("SELECT version FROM dataset_versions ORDER BY version")]
            if have and not replace:
                raise BackendError(
                    f"the database already holds dataset versions {_span(have)}; "
                    f"`python -m geo db load --replace` deletes them all and loads {gpkg.name}"
                )
            if have:
                conn.execute(
                    "TRUNCATE dataset_layers, layer_rows, line_parts, observations, target_units, "
                    "ogc_features, dataset_versions"
                )
            sha = hashlib.sha256(gpkg.read_bytes()).hexdigest()
            manifest = {
                "version": 0,
                "kind": "base",
                "parent": None,
                "created": _now(),
                "who": who,
                "note": note,
                "source_file": gpkg.name,
                "sha256": sha,
            }
            self._write_version(conn, gpkg, 0, "base", None, manifest)
            conn.execute("UPDATE dataset_versions SET current = true WHERE version = 0")
        return 0

    def _write_version(self, conn, gpkg: Path, number: int, kind: str, parent: int | None, manifest: dict) -> None:
        """Store the GeoPackage ``gpkg`` as dataset version ``number`` (inside the caller's transaction)."""
        from geo.backends.embedded import target_units

        prev = self._snapshot_of(conn, parent).layers if parent is not None else {}
        try:
            names = storage.list_layers(gpkg)
            frames = {n: storage.read_layer(n, gpkg) for n in names}
            counts = {n: int(len(f)) for n, f in frames.items()}
            manifest = {**manifest, "layers": counts}
            if "observations" in frames:
                manifest.setdefault("observations_total", counts["observations"])
            conn.execute(
                "INSERT INTO dataset_versions (version, kind, parent, who, note, source_file, sha256, counts, "
                "manifest) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s)",
                (
                    number,
                    kind,
                    parent,
                    str(manifest.get("who") or ""),
                    str(manifest.get("note") or ""),
                    str(manifest.get("source_file") or ""),
                    str(manifest.get("sha256") or ""),
                    _json(manifest.get("counts") or counts),
                    _json(manifest),
                ),
            )
            pos = 0
            for name in names:
                self._store_layer(conn, number, pos, name, frames[name], prev)
                pos += 1
            if {"communes", "districts"} <= set(frames):
                for level, units in target_units(frames).items():
                    self._store_units(conn, number, pos, level, units, prev)
                    pos += 1
            for cid in features.collection_ids(gpkg):
                self._store_collection(conn, number, pos, features.get(cid, gpkg), features.collection(cid, gpkg), prev)
                pos += 1
        finally:
            cache.invalidate(str(gpkg))  # the loader's reads of the temporary file

    def _layer_row(self, conn, number, pos, name, kind, sha, info, prev) -> tuple[bool, int]:
        """Record layer ``name`` of version ``number``; True when its rows must be written."""
        old = prev.get(name)
        reuse = old is not None and old.sha256 == sha and old.kind == kind
        data_version = old.data_version if reuse else number
        conn.execute(
            "INSERT INTO dataset_layers (version, name, kind, data_version, pos, sha256, info) "
            "VALUES (%s, %s, %s, %s, %s, %s, %s)",
            (number, name, kind, data_version, pos, sha, _json(info)),
        )
        return (not reuse), data_version

    def _store_layer(self, conn, number, pos, name, frame, prev) -> None:
        columns = _column_info(frame)
        if name == "observations" and not isinstance(frame, gpd.GeoDataFrame):
            self._store_observations(conn, number, pos, frame, columns, prev)
            return
        is_geo = isinstance(frame, gpd.GeoDataFrame)
        info = {
            "columns": columns,
            "geometry": frame.geometry.name if is_geo else None,
            "crs": _crs_text(frame.crs) if is_geo else None,
            "id_field": ID_FIELDS.get(name),
        }
        attrs = _records(frame, columns)
        geoms = None
        if is_geo:
            if frame.crs is not None and frame.crs.to_epsg() != WGS84_SRID:
                raise BackendError(f"layer {name}: expected WGS84 (EPSG:4326), got {info['crs']}")
            geoms = _ewkb(frame.geometry.to_numpy(), WGS84_SRID)
        id_field = info["id_field"] if info["id_field"] in frame.columns else None
        fids = (
            frame[id_field].astype(object).where(frame[id_field].notna(), None).tolist()
            if id_field
            else [None] * len(frame)
        )
        sha = _sha(_json(info), attrs, geoms or [])
        write, dv = self._layer_row(conn, number, pos, name, "features" if is_geo else "table", sha, info, prev)
        if not write:
            return
        utm = _ewkb(query.metric_geoms(frame), UTM_SRID) if is_geo else [None] * len(frame)
        geoms = geoms or [None] * len(frame)
        with conn.cursor().copy("COPY layer_rows (version, layer, pos, fid, attrs, geom, geom_utm) FROM STDIN") as cp:
            for i in range(len(frame)):
                cp.write_row((dv, name, i, None if fids[i] is None else str(fids[i]), attrs[i], geoms[i], utm[i]))
        if name in LINE_LAYERS:
            conn.execute(
                "INSERT INTO line_parts (version, layer, pos, country, geom_utm) "
                "SELECT version, layer, pos, attrs ->> 'country', ST_Subdivide(geom_utm, %s) "
                "FROM layer_rows WHERE version = %s AND layer = %s AND geom_utm IS NOT NULL "
                "AND NOT ST_IsEmpty(geom_utm)",
                (LINE_PART_VERTICES, dv, name),
            )

    def _store_observations(self, conn, number, pos, frame, columns, prev) -> None:
        extra_cols = [c for c in frame.columns if c not in OBS_COLUMNS]
        missing = [c for c in OBS_COLUMNS if c not in frame.columns]
        if missing:
            raise BackendError(f"observations lack the columns {missing}")
        info = {"columns": columns, "geometry": None, "crs": None, "extra": extra_cols}
        year = pd.to_numeric(frame["year"], errors="coerce").to_numpy(dtype=float)
        value = pd.to_numeric(frame["value"], errors="coerce").to_numpy(dtype=float)
        text = {c: [_jsonable(v) for v in frame[c].tolist()] for c in OBS_TEXT}
        text = {c: [None if v is None else str(v) for v in vals] for c, vals in text.items()}
        extra = _records(frame, [c for c in columns if c[0] in extra_cols]) if extra_cols else None
        rows = []
        for i in range(len(frame)):
            y = None if math.isnan(year[i]) else int(round(year[i]))
            v = None if math.isnan(value[i]) else float(value[i])
            rows.append(
                (
                    i,
                    text["unit_level"][i],
                    text["gso_code"][i],
                    text["unit_name"][i],
                    text["indicator"][i],
                    y,
                    text["period"][i],
                    text["qualifier"][i],
                    v,
                    text["unit"][i],
                    text["standard"][i],
                    text["status"][i],
                    text["source"][i],
                    text["note"][i],
                    extra[i] if extra else None,
                )
            )
        sha = _sha(_json(info), [repr(r) for r in rows])
        write, dv = self._layer_row(conn, number, pos, "observations", "observations", sha, info, prev)
        if not write:
            return
        with conn.cursor().copy(
            "COPY observations (version, seq, unit_level, gso_code, unit_name, indicator, "
            "year, period, qualifier, value, unit, standard, status, source, note, extra) "
            "FROM STDIN"
        ) as cp:
            for r in rows:
                cp.write_row((dv,) + r)

    def _store_units(self, conn, number, pos, level, units, prev) -> None:
        columns = _column_info(units)
        info = {"columns": columns, "geometry": units.geometry.name, "crs": _crs_text(units.crs)}
        attrs = _records(units, columns)
        geoms = _ewkb(units.geometry.to_numpy(), WGS84_SRID)
        sha = _sha(_json(info), attrs, geoms)
        write, dv = self._layer_row(conn, number, pos, f"units:{level}", "units", sha, info, prev)
        if not write:
            return
        utm = _ewkb(query.metric_geoms(units), UTM_SRID)

        def col(name):
            if name not in units.columns:
                return [None] * len(units)
            return [_jsonable(v) for v in units[name].tolist()]

        codes, dcodes, names = col("gso_code"), col("district_code"), col("name")
        flags, countries = col("on_border"), col("border_countries")
        with conn.cursor().copy(
            "COPY target_units (version, level, pos, gso_code, district_code, name, on_border, "
            "border_countries, attrs, geom, geom_utm) FROM STDIN"
        ) as cp:
            for i in range(len(units)):
                cp.write_row(
                    (
                        dv,
                        level,
                        i,
                        str(codes[i]),
                        _text(dcodes[i]),
                        _text(names[i]),
                        None if flags[i] is None else bool(flags[i]),
                        _text(countries[i]),
                        attrs[i],
                        geoms[i],
                        utm[i],
                    )
                )

    def _store_collection(self, conn, number, pos, c: features.Collection, meta: dict, prev) -> None:
        cols = list(c.columns.values())
        frame_cols = {
            n: (
                str(c.frame[n].dtype),
                "NA" if c.frame[n].dtype == object and any(v is pd.NA for v in c.frame[n]) else None,
            )
            for n in c.columns
        }
        info = {
            "meta": meta,
            "columns": [
                {
                    "name": col.name,
                    "type": col.type,
                    "year": col.year,
                    "dtype": frame_cols[col.name][0],
                    "na": frame_cols[col.name][1],
                }
                for col in cols
            ],
            "note_columns": list(c.synthetic_notes),
            "has_notes": bool(c.synthetic_notes),
            "geometry": c.frame.geometry.name,
            "id_field": c.spec.id_field,
            "time": c.spec.time,
            "years": list(c.years),
        }
        per_column = [c.fragments(col.name) for col in cols]
        fragments = [_json(list(row)) for row in zip(*per_column)]
        props = ["{" + ",".join(row) + "}" for row in zip(*per_column)]
        del per_column
        id_json = [features.json_value(i) for i in c.ids]
        geometry_json = features.geometry_texts(c.geoms)
        notes = (
            [_json([c.synthetic_notes[s][i] for s in info["note_columns"]]) for i in range(c.count)]
            if c.synthetic_notes
            else [None] * c.count
        )
        fy = c.feature_years
        years = [None if fy is None or math.isnan(fy[i]) else float(fy[i]) for i in range(c.count)]
        geoms = _ewkb(c.geoms, WGS84_SRID)
        sha = _sha(_json(info), c.ids, geometry_json, fragments, notes, years, geoms)
        write, dv = self._layer_row(conn, number, pos, f"ogc:{c.spec.id}", "ogc", sha, info, prev)
        if not write:
            return
        with conn.cursor().copy(
            "COPY ogc_features (version, collection, pos, fid, id_json, geometry_json, "
            "fragments, props, notes, feature_year, geom) FROM STDIN"
        ) as cp:
            for i in range(c.count):
                cp.write_row(
                    (
                        dv,
                        c.spec.id,
                        i,
                        c.ids[i],
                        id_json[i],
                        geometry_json[i],
                        fragments[i],
                        props[i],
                        notes[i],
                        years[i],
                        geoms[i],
                    )
                )

    # ------------------------------------------------------------------ snapshots and layers
    def snapshot(self, conn: psycopg.Connection | None = None) -> Snapshot:
        """The current version (one small query) and its layers (memoised)."""
        if conn is None:
            with self.connection() as conn:
                return self.snapshot(conn)
        row = conn.execute("SELECT version, created_at FROM dataset_versions WHERE current").fetchone()
        if row is None:
            raise BackendUnavailable(Message("error.backend.empty", db=self.describe()))
        return self._snapshot_of(conn, row[0], f"{row[0]}@{row[1].isoformat()}")

    def _snapshot_of(self, conn, version: int, token: str | None = None) -> Snapshot:
        if token is None:
            row = conn.execute("SELECT created_at FROM dataset_versions WHERE version = %s", (version,)).fetchone()
            if row is None:
                raise BackendError(f"there is no dataset version {version} in {self.describe()}")
            token = f"{version}@{row[0].isoformat()}"

        def make() -> Snapshot:
            rows = conn.execute(
                "SELECT name, kind, data_version, sha256, info FROM dataset_layers WHERE version = %s ORDER BY pos",
                (version,),
            ).fetchall()
            return Snapshot(version, token, {r[0]: Layer(r[0], r[1], r[2], r[3], r[4]) for r in rows})

        return VERSION_VALUES.get_or_make(self.data_version(token), "snapshot", make)

    def data_version(self, token: str) -> cache.Version:
        """The :mod:`geo.cache` version of dataset version ``token`` of this database."""
        return cache.Version(self.describe(), token)

    def version(self) -> str:
        return self.snapshot().token

    def layer_names(self) -> list[str]:
        return [n for n, lay in self.snapshot().layers.items() if lay.kind in ("features", "table", "observations")]

    def read_layer(self, name: str, snapshot: Snapshot | None = None) -> gpd.GeoDataFrame | pd.DataFrame:
        """A whole layer, as :func:`geo.io.storage.read_layer` reads it from the GeoPackage (a copy)."""
        snap = snapshot or self.snapshot()
        lay = snap.layers.get(name)
        if lay is None or lay.kind not in ("features", "table", "observations"):
            raise KeyError(f"layer {name!r} not in dataset version {snap.version}")
        return self._layer_frame(lay, snap).copy()

    def _layer_frame(self, lay: Layer, snap: Snapshot, conn=None, memo: bool = True):
        """A layer's frame of version ``snap`` (shared: callers copy before changing it), cached when ``memo``."""
        if memo:
            return storage.LAYERS.get_or_make(
                self.data_version(snap.token),
                ("layer", lay.name),
                lambda: self._layer_frame(lay, snap, conn, memo=False),
            )
        if lay.kind == "observations":
            frame = self._observations(lay, "TRUE", {}, conn)
        else:
            sql = "SELECT attrs, ST_AsBinary(geom) FROM layer_rows WHERE version = %s AND layer = %s ORDER BY pos"
            if conn is None:
                rows = self._rows(sql, (lay.data_version, lay.name))
            else:
                rows = conn.execute(sql, (lay.data_version, lay.name)).fetchall()
            frame = _frame([r[0] for r in rows], lay.info, [r[1] for r in rows])
        return frame

    def _observations(self, lay: Layer, where: str, params: dict, conn=None) -> pd.DataFrame:
        """Observation rows (``where`` on the table), in their order, with the layer's dtypes."""
        sql = (
            "SELECT unit_level, gso_code, unit_name, indicator, year, period, qualifier, value, unit, "
            f"standard, status, source, note, extra FROM observations o WHERE version = %(dv)s AND ({where}) "
            "ORDER BY seq"
        )
        params = {**params, "dv": lay.data_version}
        rows = conn.execute(sql, params).fetchall() if conn is not None else self._rows(sql, params)
        recs = []
        for r in rows:
            rec = dict(zip(OBS_COLUMNS, r[:13]))
            if r[13]:
                rec.update(r[13])
            recs.append(rec)
        return _frame(recs, lay.info)

    def catalogue(self, snap: Snapshot) -> pd.DataFrame:
        return self._layer_frame(snap.layer("catalogue"), snap)

    # ------------------------------------------------------------------ OGC API – Features
    def _ogc(self, snap: Snapshot, collection_id: str) -> Layer:
        lay = snap.layers.get(f"ogc:{collection_id}")
        if lay is None:
            ids = [n[4:] for n, x in snap.layers.items() if x.kind == "ogc"]
            raise features.UnknownCollection(f"no collection {collection_id!r}; collections: {', '.join(ids)}")
        return lay

    def collection_ids(self) -> list[str]:
        return [n[4:] for n, x in self.snapshot().layers.items() if x.kind == "ogc"]

    def collection(self, collection_id: str) -> dict:
        return self._ogc(self.snapshot(), collection_id).info["meta"]

    def collections(self) -> list[dict]:
        snap = self.snapshot()
        return [x.info["meta"] for x in snap.layers.values() if x.kind == "ogc"]

    def select(
        self,
        collection_id: str,
        bbox: tuple[float, ...] | None = None,
        filters: dict[str, str] | None = None,
        datetime: tuple[int | None, int | None] | None = None,
        year: int | None = None,
        sortby: list[tuple[str, bool]] | None = None,
        cql: cql2.Filter | None = None,
    ) -> PostGISSelection:
        """Like :func:`geo.ogc.features.select`, with the WHERE / ORDER BY in SQL (same checks, same messages).

        A CQL2 filter ``cql`` becomes part of the WHERE clause (:func:`geo.ogc.cql2.to_sql`,
        every value a bound parameter)."""
        snap = self.snapshot()
        lay = self._ogc(snap, collection_id)
        info, meta = lay.info, lay.info["meta"]
        columns = {c["name"]: c for c in info["columns"]}
        q = features.validate_query(
            collection_id,
            info["time"],
            info["years"],
            columns,
            meta["queryables"],
            bbox,
            filters,
            datetime,
            year,
            sortby,
        )
        where = ["version = %(dv)s", "collection = %(cid)s"]
        params: dict = {"dv": lay.data_version, "cid": collection_id}
        if q.boxes is not None:
            parts = ["geom IS NULL"]
            for k, box in enumerate(q.boxes):
                names = [f"b{k}{j}" for j in range(4)]
                params.update(dict(zip(names, box)))
                parts.append(
                    "ST_Intersects(geom, ST_MakeEnvelope(%({})s, %({})s, %({})s, %({})s, 4326))".format(*names)
                )
            where.append("(" + " OR ".join(parts) + ")")
        for k, (name, ptype, value) in enumerate(q.filters):
            if isinstance(value, str) and "\x00" in value:  # no stored text holds NUL: nothing matches
                where.append("FALSE")
                continue
            params[f"fn{k}"], params[f"fv{k}"] = name, value
            cast = {"boolean": "::boolean", "integer": "::numeric"}.get(ptype, "")
            where.append(f"(props ->> %(fn{k})s){cast} = %(fv{k})s")
        if q.matches_none:
            where.append("FALSE")
        if q.feature_years is not None:
            params["ylo"], params["yhi"] = q.feature_years
            where.append("(feature_year IS NULL OR feature_year BETWEEN %(ylo)s AND %(yhi)s)")
        if cql is not None:
            sql, cql_params = cql2.to_sql(cql, _prop_sql, "geom")
            where.append(sql)
            params.update(cql_params)
        years = q.years
        order = []
        for k, (name, desc) in enumerate(q.sortby):
            params[f"sn{k}"] = name
            expr = {"string": f'(props ->> %(sn{k})s) COLLATE "C"', "boolean": f"(props ->> %(sn{k})s)::boolean"}.get(
                columns[name]["type"], f"(props ->> %(sn{k})s)::double precision"
            )
            order.append(f"{expr} {'DESC' if desc else 'ASC'} NULLS LAST")
        order.append("pos")
        where_sql = " AND ".join(where)
        with self.connection() as conn:
            matched = conn.execute(f"SELECT count(*) FROM ogc_features WHERE {where_sql}", params).fetchone()[0]
        return PostGISSelection(self, lay, where_sql, params, ", ".join(order), years, int(matched))

    def _page_rows(
        self, lay: Layer, where_sql: str, params: dict, order_sql: str, limit: int, offset: int, frame: bool
    ) -> list[tuple]:
        extra = ", props, ST_AsBinary(geom)" if frame else ""
        sql = (
            f"SELECT id_json, geometry_json, fragments, notes{extra} FROM ogc_features WHERE {where_sql} "
            f"ORDER BY {order_sql} LIMIT %(lim)s OFFSET %(off)s"
        )
        return self._rows(sql, {**params, "lim": min(int(limit), MAX_ROWS), "off": min(int(offset), MAX_ROWS)})

    def item_json(self, collection_id: str, fid: str) -> str:
        lay, row = self._item_row(collection_id, fid, frame=False)
        return _feature_text(lay.info, row, None)

    def item(self, collection_id: str, fid: str) -> gpd.GeoDataFrame:
        lay, row = self._item_row(collection_id, fid, frame=True)
        return _page_frame(lay.info, [row], None)

    def _item_row(self, collection_id, fid, frame):
        snap = self.snapshot()
        lay = self._ogc(snap, collection_id)
        if "\x00" in str(fid):
            raise features.UnknownFeature(f"no feature {fid!r} in collection {collection_id!r}")
        rows = self._page_rows(
            lay,
            "version = %(dv)s AND collection = %(cid)s AND fid = %(fid)s",
            {"dv": lay.data_version, "cid": collection_id, "fid": str(fid)},
            "pos",
            1,
            0,
            frame,
        )
        if not rows:
            raise features.UnknownFeature(f"no feature {fid!r} in collection {collection_id!r}")
        return lay, rows[0]

    def tile(self, collection_id: str, z: int, y: int, x: int, properties: tuple[str, ...] = ()) -> bytes:
        """Tile ``z/y/x`` as MVT: ``ST_AsMVTGeom`` + ``ST_AsMVT`` in one query (the rules of
        :mod:`geo.ogc.tiles`), kept in :data:`geo.ogc.tiles.TILES` per data version."""
        tiles.check_tile(z, y, x)
        snap = self.snapshot()
        lay = self._ogc(snap, collection_id)
        types = {c["name"]: c["type"] for c in lay.info["columns"]}
        props = tiles.tile_properties(types, lay.info["id_field"], properties, z)
        key = (collection_id, z, y, x, tuple(properties))
        return tiles.TILES.get_or_make(
            self.data_version(snap.token), key, lambda: self._tile(lay, collection_id, z, y, x, props)
        )

    def _tile(self, lay: Layer, collection_id: str, z: int, y: int, x: int, props) -> bytes:
        from psycopg import sql

        casts = {"number": "::double precision", "integer": "::bigint", "boolean": "::boolean"}
        columns = sql.SQL(", ").join(
            sql.SQL("(props ->> {}){} AS {}").format(
                sql.Literal(name), sql.SQL(casts.get(jtype, "")), sql.Identifier(name)
            )
            for name, jtype in props
        )
        query = sql.SQL(
            "WITH env AS (SELECT ST_TileEnvelope(%(z)s, %(x)s, %(y)s) AS tile, "
            "ST_Transform(ST_TileEnvelope(%(z)s, %(x)s, %(y)s, margin => %(margin)s), 4326) AS box) "
            "SELECT ST_AsMVT(t, %(layer)s, %(extent)s, 'geom', 'fid') FROM ("
            "SELECT pos AS fid, {columns}, ST_AsMVTGeom(ST_Simplify(ST_Transform(f.geom, 3857), %(tol)s), "
            "env.tile, %(extent)s, %(buffer)s, true) AS geom "
            "FROM ogc_features f, env WHERE f.version = %(dv)s AND f.collection = %(cid)s AND f.geom && env.box "
            "AND ST_Intersects(f.geom, env.box)) t WHERE t.geom IS NOT NULL"
        ).format(columns=columns)
        params = {
            "z": z,
            "x": x,
            "y": y,
            "margin": tiles.BUFFER / tiles.EXTENT,
            "layer": collection_id,
            "extent": tiles.EXTENT,
            "buffer": tiles.BUFFER,
            "tol": tiles.tolerance(z),
            "dv": lay.data_version,
            "cid": collection_id,
        }
        rows = self._rows(query, params)
        return bytes(rows[0][0]) if rows and rows[0][0] is not None else b""

    # ------------------------------------------------------------------ targeting
    def targets(self) -> PostGISTargets:
        return PostGISTargets(self, self.snapshot())

    # ------------------------------------------------------------------ dataset versions
    @property
    def versions(self) -> DatabaseStore:
        """The dataset versions in this database (:class:`geo.uploads.versions.Store`)."""
        return DatabaseStore(self)

    def current_version(self) -> int:
        with self.connection() as conn:
            row = conn.execute("SELECT version FROM dataset_versions WHERE current").fetchone()
        return int(row[0]) if row else 0

    def _version_obj(self, number: int, manifest: dict):
        return DatabaseVersion(number, Path(f"/postgis/versions/{number:04d}"), manifest, self.describe())

    def list_versions(self) -> list:
        rows = self._rows("SELECT version, manifest FROM dataset_versions WHERE version > 0 ORDER BY version")
        return [self._version_obj(r[0], r[1]) for r in rows if not r[1].get("pruned")]

    def get_version(self, number: int) -> DatabaseVersion:
        rows = self._rows(
            "SELECT version, manifest FROM dataset_versions WHERE version = %s AND version > 0", (int(number),)
        )
        if rows and rows[0][1].get("pruned"):
            raise VersionError(Message("error.version.pruned", number=number))
        if not rows:
            have = ", ".join(str(v.number) for v in self.list_versions())
            raise VersionError(versions.no_version(number, have))
        return self._version_obj(rows[0][0], rows[0][1])

    def keep_version(self, number: int) -> None:
        """Mark version ``number`` to be kept by :meth:`prune_versions` whatever its age
        (``"kept": true`` in its manifest)."""
        with self.connect() as conn, conn.transaction():
            self._lock_xact(conn, LOCK_VERSIONS)
            manifest = {**self.get_version(number).manifest, "kept": True}
            conn.execute("UPDATE dataset_versions SET manifest = %s WHERE version = %s", (_json(manifest), number))

    def prune_versions(self, keep_last: int) -> list[int]:
        """Keep the last ``keep_last`` versions, the current one, the kept ones and the base
        (version 0); the others are pruned: their rows go, except those a kept version shares
        (``dataset_layers.data_version``), and their record stays, marked ``"pruned": true``
        (who and when remain known; restoring one says it was pruned).  Returns their numbers."""
        with self.connect() as conn, conn.transaction():
            self._lock_xact(conn, LOCK_VERSIONS)
            rows = conn.execute(
                "SELECT version, manifest, current FROM dataset_versions WHERE version > 0 ORDER BY version"
            ).fetchall()
            live = [r for r in rows if not r[1].get("pruned")]
            keep = {r[0] for r in live[-keep_last:]} | {r[0] for r in live if r[2] or r[1].get("kept")}
            gone = [r for r in live if r[0] not in keep]
            if not gone:
                return []
            numbers = [r[0] for r in gone]
            for number, manifest, _ in gone:
                marked = _json({**manifest, "pruned": True})
                conn.execute("UPDATE dataset_versions SET manifest = %s WHERE version = %s", (marked, number))
            conn.execute("DELETE FROM dataset_layers WHERE version = ANY(%s)", (numbers,))
            for table, layer in PRUNED_ROWS:
                conn.execute(
                    # table and layer are the constants of PRUNED_ROWS, never input
                    f"DELETE FROM {table} t WHERE t.version = ANY(%s) AND NOT EXISTS ("
                    f"SELECT 1 FROM dataset_layers l WHERE l.data_version = t.version AND l.name = {layer})",
                    (numbers,),
                )
        return numbers

    def restore(self, number: int) -> DatabaseVersion | None:
        """Make version ``number`` current (0: the base)."""
        with self.connect() as conn, conn.transaction():
            self._lock_xact(conn, LOCK_VERSIONS)
            row = conn.execute("SELECT version FROM dataset_versions WHERE version = %s", (int(number),)).fetchone()
            if row is None:
                if number == 0:
                    raise VersionError(Message("error.version.db_no_base", db=self.describe()))
                have = [
                    r[0]
                    for r in conn.execute("SELECT version FROM dataset_versions WHERE version > 0 ORDER BY version")
                ]
                raise VersionError(versions.no_version(number, ", ".join(map(str, have))))
            if number != 0:
                self.get_version(number)  # a pruned version has no rows to serve: refused
            conn.execute("UPDATE dataset_versions SET current = false WHERE current")
            conn.execute("UPDATE dataset_versions SET current = true WHERE version = %s", (int(number),))
        return None if number == 0 else self.get_version(number)

    def create_version(
        self,
        kind: str,
        files: dict[str, bytes],
        info: dict,
        new_rows: pd.DataFrame | None = None,
        validate: Callable[[dict], object] | None = None,
    ) -> DatabaseVersion:
        """Like :func:`geo.uploads.versions.create_version`, in one transaction of the database.

        Uploads wait for each other (an advisory lock), so each builds on the
        version the previous one made current; anything that fails rolls
        the whole version back.
        """
        with self.connect() as conn, conn.transaction():
            self._lock_xact(conn, LOCK_VERSIONS)
            row = conn.execute("SELECT version FROM dataset_versions WHERE current").fetchone()
            if row is None:
                raise versions.VersionError(Message("error.version.db_no_base", db=self.describe()))
            parent = int(row[0])
            number = int(conn.execute("SELECT max(version) FROM dataset_versions").fetchone()[0]) + 1
            snap = self._snapshot_of(conn, parent)
            layers = {
                name: self._layer_frame(lay, snap, conn, memo=False)
                for name, lay in snap.layers.items()
                if lay.kind in ("features", "table", "observations")
            }
            if "observations" not in layers:
                raise versions.VersionError(f"dataset version {parent} has no observations table")
            with tempfile.TemporaryDirectory(prefix="kontum-version-") as tmp:
                tmp = Path(tmp)
                versions.write_payload(tmp, files)
                manifest = {"version": number, "kind": kind, "parent": parent, "created": _now(), **info}
                layers = versions.apply_payload(layers, tmp, manifest, number)
                layers = versions.check_new_layers(layers, new_rows, validate)
                gpkg = tmp / "version.gpkg"
                storage.write_gpkg(gpkg, layers)
                manifest["base"] = {"version": 0, "database": self.describe()}
                manifest["observations_total"] = int(len(layers["observations"]))
                self._write_version(conn, gpkg, number, kind, parent, manifest)
            conn.execute("UPDATE dataset_versions SET current = false WHERE current")
            conn.execute("UPDATE dataset_versions SET current = true WHERE version = %s", (number,))
        keep = geo_settings.active().keep_versions
        if keep:
            import psycopg

            with contextlib.suppress(psycopg.Error, BackendError):  # pruning is housekeeping: the version is made
                self.prune_versions(keep)
        return self.get_version(number)


def migration_files() -> list[Path]:
    return sorted(p for p in MIGRATIONS_DIR.glob("[0-9][0-9][0-9][0-9]_*.sql"))


def _span(numbers: list[int]) -> str:
    return f"{numbers[0]}–{numbers[-1]}" if len(numbers) > 1 else str(numbers[0])


def _json(value) -> str:
    return json.dumps(value, ensure_ascii=False, allow_nan=False, default=_jsonable)


def _text(v):
    return None if v is None else str(v)


def _now() -> str:
    return dt.datetime.now(dt.UTC).astimezone().isoformat(timespec="seconds")


@dataclass(frozen=True)
class DatabaseStore(versions.Store):
    """The versions API (:class:`geo.uploads.versions.Store`) over a :class:`PostGISBackend`."""

    backend: PostGISBackend

    def list(self) -> list[Version]:
        return self.backend.list_versions()

    def get(self, number: int) -> Version:
        return self.backend.get_version(number)

    def current(self) -> int:
        return self.backend.current_version()

    def create(
        self,
        kind: str,
        files: dict[str, bytes],
        info: dict,
        new_rows: pd.DataFrame | None = None,
        validate: Callable[[dict], object] | None = None,
    ) -> Version:
        return self.backend.create_version(kind, files, info, new_rows, validate)

    def restore(self, number: int) -> Version | None:
        return self.backend.restore(number)

    def keep(self, number: int) -> None:
        self.backend.keep_version(number)

    def prune(self, keep_last: int) -> list[int]:
        return self.backend.prune_versions(keep_last)


@dataclass(frozen=True)
class DatabaseVersion(Version):
    """A dataset version stored in the database (no folder, no GeoPackage file)."""

    where: str = ""

    @property
    def gpkg(self) -> str:  # messages print this where the embedded backend names the file
        return f"dataset version {self.number} in {self.where}"


# --------------------------------------------------------------------------- OGC pages


#: The SQL type of a queryable property read from ``props`` (jsonb).
PROP_CASTS = {"number": "double precision", "integer": "double precision", "boolean": "boolean"}


def _prop_sql(name: str, ptype: str, bind) -> str:
    """A property of ``ogc_features.props`` as a typed SQL value (its name a bound parameter)."""
    sql = f"(props ->> {bind(name)})"
    cast = PROP_CASTS.get(ptype)
    return f"({sql})::{cast}" if cast else sql


def _served(info: dict, years) -> list[int]:
    return [i for i, c in enumerate(info["columns"]) if c["year"] is None or years is None or c["year"] in years]


def _note(info: dict, notes, years) -> str | None:
    if not notes:
        return None
    years_of = {c["name"]: c["year"] for c in info["columns"]}
    for status_col, note in zip(info["note_columns"], notes):
        y = years_of.get(status_col)
        if y is not None and years is not None and y not in years:
            continue
        if note is not None:
            return note
    return None


def _feature_text(info: dict, row, years) -> str:
    id_json, geometry_json, fragments, notes = row[:4]
    props = [fragments[i] for i in _served(info, years)]
    if info["has_notes"]:
        props.append('"synthetic_note":' + features.json_value(_note(info, notes, years)))
    return (
        '{"type":"Feature","id":'
        + id_json
        + ',"geometry":'
        + geometry_json
        + ',"properties":{'
        + ",".join(props)
        + "}}"
    )


def _page_frame(info: dict, rows, years) -> gpd.GeoDataFrame:
    cols = [info["columns"][i] for i in _served(info, years)]
    data = {c["name"]: _restore([r[4].get(c["name"]) for r in rows], c["dtype"], c["na"]) for c in cols}
    out = pd.DataFrame(data, index=pd.RangeIndex(len(rows)))
    if info["has_notes"]:
        out.insert(len(out.columns), "synthetic_note", [_note(info, r[3], years) for r in rows])
    geoms = gpd.GeoSeries.from_wkb([None if r[5] is None else bytes(r[5]) for r in rows], crs="EPSG:4326")
    out[info["geometry"]] = geoms.values
    return gpd.GeoDataFrame(out, geometry=info["geometry"], crs="EPSG:4326")


@dataclass
class PostGISSelection:
    """A query of :meth:`PostGISBackend.select`: its count, and pages fetched on demand."""

    backend: PostGISBackend
    layer: Layer
    where_sql: str
    params: dict
    order_sql: str
    years: tuple | None
    number_matched: int

    def _rows(self, limit, offset, frame):
        return self.backend._page_rows(self.layer, self.where_sql, self.params, self.order_sql, limit, offset, frame)

    def page_json(self, limit: int, offset: int) -> list[str]:
        return [_feature_text(self.layer.info, r, self.years) for r in self._rows(limit, offset, False)]

    def page_bytes(self, limit: int, offset: int) -> list[bytes]:
        return [t.encode("utf-8") for t in self.page_json(limit, offset)]

    def page_frame(self, limit: int, offset: int) -> gpd.GeoDataFrame:
        return _page_frame(self.layer.info, self._rows(limit, offset, True), self.years)


# --------------------------------------------------------------------------- targeting


class PostGISTargets:
    """/targets for one dataset version, each constraint one SQL query (see the module doc)."""

    def __init__(self, backend: PostGISBackend, snap: Snapshot):
        self.db, self.snap = backend, snap
        self.version = snap.token
        # No ready GeoJSON text (export formats the rows returned); an empty
        # mapping of this instance's own, never shared with another version.
        self.geometry_text: dict = {}

    # ------------------------------------------------------------------ helpers
    def _units_layer(self, level: str) -> Layer:
        return self.snap.layer(f"units:{level}")

    def _uv(self, level: str) -> int:
        return self._units_layer(level).data_version

    def _units(
        self,
        level: str,
        where: str = "TRUE",
        params: dict | None = None,
        geometry: bool = False,
        extra: str = "",
        join: str = "",
    ) -> tuple[pd.DataFrame, list[tuple]]:
        """Units of ``level`` matching ``where`` (alias u), in order, as the embedded frame (+ extra columns)."""
        lay = self._units_layer(level)
        sql = (
            f"SELECT u.attrs{', ST_AsBinary(u.geom)' if geometry else ''}{extra} FROM target_units u {join} "
            f"WHERE u.version = %(uv)s AND u.level = %(level)s AND ({where}) ORDER BY u.pos"
        )
        rows = self.db._rows(sql, {**(params or {}), "uv": lay.data_version, "level": level})
        info = lay.info if geometry else {**lay.info, "geometry": None}
        frame = _frame([r[0] for r in rows], info, [r[1] for r in rows] if geometry else None)
        if not geometry:
            frame = gpd.GeoDataFrame(
                frame, geometry=gpd.GeoSeries([None] * len(frame), crs=lay.info["crs"]).values, crs=lay.info["crs"]
            )
        return frame, rows

    def _memo(self, key, make):
        return VERSION_VALUES.get_or_make(self.db.data_version(self.snap.token), key, make)

    def districts(self) -> pd.DataFrame:
        lay = self._units_layer("district")
        return self._memo(("districts", lay.sha256), lambda: self._units("district")[0])

    def _universe(self, level: str) -> tuple:
        lay = self._units_layer(level)
        return self._memo(
            ("universe", lay.sha256),
            lambda: tuple(
                str(r[0])
                for r in self.db._rows(
                    "SELECT gso_code FROM target_units WHERE version = %s AND level = %s ORDER BY pos",
                    (lay.data_version, level),
                )
            ),
        )

    def _catalogue(self) -> pd.DataFrame:
        return self.db.catalogue(self.snap)

    def commune_name(self, gso_code: str) -> str | None:
        if "\x00" in str(gso_code):
            return None
        rows = self.db._rows(
            "SELECT name FROM target_units WHERE version = %s AND level = 'commune' AND gso_code = %s",
            (self._uv("commune"), str(gso_code)),
        )
        return None if not rows else str(rows[0][0])

    def _layer_dv(self, name: str) -> int:
        return self.snap.layer(name).data_version

    # ------------------------------------------------------------------ constraints
    @staticmethod
    def _line_sql(lines: str) -> tuple[str, str]:
        """(WHERE within %(m)s of the line pieces ``lines``, the exact distance) for unit ``u``.

        Touching or crossing (``ST_Intersects``) answers first; otherwise
        ``ST_DWithin`` on the pieces, and KNN (``<->``) finds the nearest
        piece, whose ``ST_Distance`` is the distance to the whole line set.
        """
        touches = f"EXISTS (SELECT 1 {lines} AND ST_Intersects(u.geom_utm, l.geom_utm))"
        within = f"({touches} OR EXISTS (SELECT 1 {lines} AND ST_DWithin(u.geom_utm, l.geom_utm, %(m)s)))"
        distance = (
            f"CASE WHEN {touches} THEN 0 ELSE (SELECT ST_Distance(u.geom_utm, l.geom_utm) {lines} "
            f"ORDER BY u.geom_utm <-> l.geom_utm LIMIT 1) END"
        )
        return within, distance

    def near_border(self, level: str, within_km: float, country: str | None = None) -> query.Constraint:
        within = query.check_within_km(within_km)
        code = query.check_country(country)
        flags = (
            "coalesce(u.on_border, false)"
            if code is None
            else "%(code)s = ANY(string_to_array(coalesce(u.border_countries, ''), ';'))"
        )
        near, distance = self._line_sql(
            "FROM line_parts l WHERE l.layer = 'border' AND l.version = %(bv)s AND l.country = ANY(%(countries)s)"
        )
        params = {
            "code": code,
            "bv": self._layer_dv("border"),
            "m": within * 1000.0 + SLACK_M,
            "countries": [code] if code else list(query.COUNTRIES),
        }
        if within == 0:  # on the border: the flags alone; their distance is 0 by definition
            cand, rows = self._units(level, flags, params, extra=", NULL")
        else:
            cand, rows = self._units(level, f"{flags} OR {near}", params, extra=f", {distance}")
        d = pd.Series([np.nan if r[-1] is None else r[-1] / 1000.0 for r in rows], index=cand.index, dtype=float)
        dist = pd.DataFrame({"LAO": d, "KHM": d, "any": d}, index=cand.index)
        return query.near_border(cand, within, code, distances=dist)

    def near_roads(self, level: str, within_km: float) -> query.Constraint:
        within = query.check_within_km(within_km)
        near, distance = self._line_sql("FROM line_parts l WHERE l.layer = 'roads' AND l.version = %(rv)s")
        params = {"rv": self._layer_dv("roads"), "m": within * 1000.0 + SLACK_M}
        cand, rows = self._units(level, near, params, extra=f", {distance}")
        d = pd.Series([r[-1] / 1000.0 for r in rows], index=cand.index, dtype=float)
        return query.near_roads(cand, within, distances=d)

    def near_point(self, level: str, lon: float, lat: float, within_km: float) -> query.Constraint:
        query.check_lonlat(lon, lat)
        within = query.check_within_km(within_km)
        pt = query.to_metric([Point(lon, lat)])
        params = {"pt": shapely.to_wkb(pt), "m": within * 1000.0 + SLACK_M}
        target = f"ST_SetSRID(ST_GeomFromWKB(%(pt)s), {UTM_SRID})"
        cand, rows = self._units(
            level, f"ST_DWithin(u.geom_utm, {target}, %(m)s)", params, extra=f", ST_Distance(u.geom_utm, {target})"
        )
        d = pd.Series([r[-1] / 1000.0 for r in rows], index=cand.index, dtype=float)
        return query.near_constraint(cand, within, d, f"point {lon:g},{lat:g}")

    def intersecting(self, level: str, geom: shapely.Geometry) -> query.Constraint:
        target = query.to_metric(geom)
        cand, _ = self._units(
            level,
            f"ST_Intersects(u.geom_utm, ST_SetSRID(ST_GeomFromWKB(%(g)s), {UTM_SRID}))",
            {"g": shapely.to_wkb(target)},
        )
        return query.Constraint("intersecting the given polygon", query.by_code(cand, np.ones(len(cand), dtype=bool)))

    def in_district(self, level: str, district: str) -> query.Constraint:
        column = query.district_column(level)
        districts = self.districts()
        codes = query.resolve_districts(district, districts)
        cand, _ = self._units(level, f"u.{column} = ANY(%(codes)s)", {"codes": codes})
        return query.in_district(cand, district, districts, level)

    def with_status(self, level: str, status: str) -> query.Constraint:
        cat = self._catalogue()
        flag_ids = set(cat.loc[cat["kind"] == "flag", "id"].astype(str)) if "kind" in cat else set()
        flag_ids |= {i for ids in query.STATUS_FLAGS.values() for i in ids}
        obs = self.db._observations(
            self.snap.layer("observations"), "indicator = ANY(%(ids)s)", {"ids": sorted(flag_ids)}
        )
        units, _ = self._units(level)
        return query.with_status(units, status, obs, level, cat)

    # ------------------------------------------------------------------ ranking
    def rank(
        self,
        level: str,
        indicators: Mapping[str, float] | str | Iterable[str],
        year: int | None = None,
        constraints: Iterable[query.Constraint] = (),
        top: int | None = None,
        standard: str | None = None,
    ) -> gpd.GeoDataFrame:
        if level not in targeting.LEVELS:
            raise ValueError(f"unknown level {level!r}; expected one of {', '.join(targeting.LEVELS)}")
        if isinstance(indicators, str):
            chosen = [indicators]
        else:
            chosen = [str(k) for k in indicators]
        chosen = [c for c in chosen if "\x00" not in c]  # never stored; targeting.rank reports them
        constraints = list(constraints)
        codes = None
        for c in constraints:
            keep = set(c.mask.index[c.mask.to_numpy(dtype=bool)].astype(str))
            codes = keep if codes is None else codes & keep
        where, params = ("TRUE", {}) if codes is None else ("u.gso_code = ANY(%(codes)s)", {"codes": sorted(codes)})
        units, _ = self._units(level, where, params)
        lay = self.snap.layer("observations")
        usable = "qualifier IN ('=', '~') AND NOT starts_with(coalesce(note, ''), 'alternative:')"
        obs = self.db._observations(
            lay,
            # the chosen indicators at every level: their (year, standard) is chosen the same
            # way at every level (geo.indicators.values.period)
            "indicator = ANY(%(chosen)s) OR (unit_level = %(level)s AND seq IN ("
            f"SELECT DISTINCT ON (indicator) seq FROM observations WHERE version = %(dv)s "
            f"AND unit_level = %(level)s AND {usable} ORDER BY indicator, seq))",
            {"level": level, "chosen": chosen},
        )
        result = targeting.rank(
            units,
            obs,
            self._catalogue(),
            indicators,
            year,
            level,
            constraints,
            top,
            None,
            universe=self._universe(level),
            standard=standard,
        )
        return self._with_geometry(result, level)

    def _with_geometry(self, frame: gpd.GeoDataFrame, level: str) -> gpd.GeoDataFrame:
        codes = frame["gso_code"].astype(str).tolist()
        rows = (
            self.db._rows(
                "SELECT gso_code, ST_AsBinary(geom) FROM target_units WHERE version = %s AND "
                "level = %s AND gso_code = ANY(%s)",
                (self._uv(level), level, codes),
            )
            if codes
            else []
        )
        wkb = {str(r[0]): r[1] for r in rows}
        crs = self._units_layer(level).info["crs"]
        geoms = gpd.GeoSeries.from_wkb(
            [None if wkb.get(c) is None else bytes(wkb[c]) for c in codes], index=frame.index, crs=crs
        )
        attrs = frame.attrs
        frame = frame.copy()
        frame[frame.geometry.name] = geoms.values
        frame.attrs = attrs
        return frame

    # ------------------------------------------------------------------ relations
    def _commune_or_raise(self, gso_code: str) -> None:
        if self.commune_name(gso_code) is None:
            raise KeyError(f"no unit with gso_code {gso_code!r}")

    def neighbours(self, gso_code: str, min_shared_km: float = query.MIN_SHARED_KM) -> gpd.GeoDataFrame:
        self._commune_or_raise(gso_code)
        me = "(SELECT geom_utm FROM target_units WHERE version = %(uv)s AND level = 'commune' AND gso_code = %(code)s)"
        units, rows = self._units(
            "commune",
            f"u.gso_code <> %(code)s AND ST_Intersects({me}, u.geom_utm)",
            {"code": str(gso_code)},
            geometry=True,
            extra=f", ST_Length(ST_Intersection(ST_Boundary({me}), ST_Boundary(u.geom_utm)))",
        )
        shared = np.array([r[-1] for r in rows], dtype=float) / 1000.0
        keep = shared >= min_shared_km
        out = units[keep].copy()
        out["shared_km"] = np.round(shared[keep], 3)
        return out.sort_values(["shared_km", "gso_code"], ascending=[False, True]).reset_index(drop=True)

    def _works_filter(self, precisions, info) -> tuple[str, dict]:
        where = "w.layer = 'works' AND w.version = %(wv)s AND w.geom IS NOT NULL AND NOT ST_IsEmpty(w.geom)"
        params = {"wv": self._layer_dv("works")}
        names = {c[0] for c in info["columns"]}
        if precisions is not None and "location_precision" in names:
            where += " AND w.attrs ->> 'location_precision' = ANY(%(prec)s)"
            params["prec"] = list(precisions)
        return where, params

    def _check_kind(self, kind, where, params) -> str:
        """``where`` narrowed to ``kind`` (checked like geo.analysis.query._works_of_kind)."""
        if kind is None or kind == "":
            return where
        present = {
            r[0]
            for r in self.db._rows(f"SELECT DISTINCT w.attrs ->> 'kind' FROM layer_rows w WHERE {where}", params)
            if r[0] is not None
        }
        kinds = sorted(set(query.WORK_KINDS) | present)
        if kind not in kinds:
            raise ValueError(f"unknown kind {kind!r}; expected one of {', '.join(kinds)}")
        params["kind"] = kind
        return where + " AND w.attrs ->> 'kind' = %(kind)s"

    def _works_frame(self, rows, lay: Layer) -> gpd.GeoDataFrame:
        return _frame([r[0] for r in rows], lay.info, [r[1] for r in rows])

    def nearest_works(
        self, gso_code: str, n: int = 5, kind: str | None = None, precisions: tuple[str, ...] | None = query.PRECISE
    ) -> gpd.GeoDataFrame:
        if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 1:
            raise ValueError(f"n must be a whole number ≥ 1, got {n!r}")
        self._commune_or_raise(gso_code)
        lay = self.snap.layer("works")
        where, params = self._works_filter(precisions, lay.info)
        where = self._check_kind(kind, where, params)
        params.update(uv=self._uv("commune"), code=str(gso_code), n=int(n))
        me = "(SELECT geom_utm FROM target_units WHERE version = %(uv)s AND level = 'commune' AND gso_code = %(code)s)"
        knn = self.db._rows(
            f"SELECT ST_Distance({me}, w.geom_utm) FROM layer_rows w WHERE {where} "
            f"ORDER BY w.geom_utm <-> {me} LIMIT %(n)s",
            params,
        )
        if knn:
            params["r"] = max(r[0] for r in knn) + SLACK_M
            rows = self.db._rows(
                f"SELECT w.attrs, ST_AsBinary(w.geom), ST_Distance({me}, w.geom_utm) "
                f"FROM layer_rows w WHERE {where} AND ST_DWithin({me}, w.geom_utm, %(r)s) "
                f"ORDER BY w.pos",
                params,
            )
        else:
            rows = []
        out = self._works_frame(rows, lay)
        out["distance_km"] = np.round(np.array([r[2] for r in rows], dtype=float) / 1000.0, 3)
        out = out.sort_values(["distance_km", "work_id"], kind="stable").head(int(n))
        return out.reset_index(drop=True)

    def communes_without_work(
        self,
        within_km: float,
        kind: str | None = None,
        precisions: tuple[str, ...] | None = query.PRECISE,
        district: str | None = None,
    ) -> gpd.GeoDataFrame:
        within = query.check_within_km(within_km)
        uwhere, uparams = "TRUE", {}
        if district:
            codes = query.resolve_districts(district, self.districts())
            uwhere, uparams = "u.district_code = ANY(%(codes)s)", {"codes": codes}
        lay = self.snap.layer("works")
        where, params = self._works_filter(precisions, lay.info)
        where = self._check_kind(kind, where, params)
        n_works = self.db._rows(f"SELECT count(*) FROM layer_rows w WHERE {where}", params)[0][0]
        if n_works == 0:
            out, _ = self._units("commune", uwhere, uparams, geometry=True)
            out["nearest_work_km"] = np.nan
            out["nearest_work_id"] = None
            return out.sort_values("gso_code").reset_index(drop=True)
        params.update(uparams, m=within * 1000.0 - SLACK_M)
        nearest = (
            f"LEFT JOIN LATERAL (SELECT w.attrs ->> 'work_id' AS work_id, "
            f"ST_Distance(u.geom_utm, w.geom_utm) AS d FROM layer_rows w WHERE {where} "
            f"ORDER BY u.geom_utm <-> w.geom_utm, (w.attrs ->> 'work_id') COLLATE \"C\" LIMIT 1) n ON true"
        )
        out, rows = self._units(
            "commune",
            f"({uwhere}) AND (n.d IS NULL OR n.d > %(m)s)",
            params,
            geometry=True,
            extra=", n.work_id, n.d",
            join=nearest,
        )
        out["nearest_work_km"] = np.round(
            np.array([np.nan if r[-1] is None else r[-1] for r in rows], dtype=float) / 1000.0, 3
        )
        ids = np.empty(len(rows), dtype=object)
        ids[:] = [r[-2] for r in rows]
        out["nearest_work_id"] = ids
        keep = ~(out["nearest_work_km"].to_numpy() <= within + query.EPS_KM)
        return out[keep].sort_values("gso_code").reset_index(drop=True)
