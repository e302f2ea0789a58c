"""Feature collections for the OGC API – Features service (the provider).

A small registry, modelled on pygeoapi's provider/formatter split: this
module knows the collections, their metadata and their data, and answers
queries with plain Python objects; :mod:`app.ogc` parses the request and
formats the answer (GeoJSON, HTML, exports).  No Flask here.

Collections (all WGS84 lon/lat, one row per feature, ids as strings):

=================  ============  ============================================
id                 id field      what
=================  ============  ============================================
``communes``       ``gso_code``  the 102 communes of 2020 with indicators as
                                 wide columns (``poor_rate_2015`` …)
``districts``      ``gso_code``  the 10 districts, with district indicators
``works``          ``work_id``   electrification works, poverty models … (points)
``roads``          ``road_id``   main national and provincial roads
``border``         ``country``   the international border lines (LAO, KHM)
``communes_2025``  ``gso_code``  the 40 communes of 1 July 2025, with the
                                 indicators carried from their 2020 communes
=================  ============  ============================================

Indicator columns (communes, districts and 2025 communes) come from the observations
table through :func:`geo.indicators.values.values` (so the best status wins and
bounds such as ">58" are never used as values).  One column never holds two
years or two poverty standards (:mod:`geo.indicators.standards`); the names:

* ``<indicator>_<year>`` — one column per year for a poverty indicator (its
  values carry a standard), a time series (:data:`YEARLY`) or any indicator
  with values in several years (``poor_rate_2015`` … ``poor_rate_2022``,
  ``em_poor_households_2021``); the column holds the values of that year's
  own standard (:func:`geo.indicators.standards.of_year`);
* ``<indicator>_<year>_<standard>`` — values of that year under another
  standard (``poor_rate_2021_2016_2020``: the 2016–2020 standard, still used
  for some 2021 assessments);
* ``<indicator>`` — an indicator without a standard with values in one year
  only (the year is declared: ``population_2019``, ``p135_2016``) or undated;
  a name already taken gets ``_<year>`` (or ``_in_<year>`` / ``_reported``).

Every value column has a companion ``<column>_status`` (official / reported /
derived / synthetic), a poverty column a companion ``<column>_standard`` (the
standard's label, the same on every row), and the metadata declare each
column's ``year`` and ``standard``; a feature with any synthetic value
carries a ``synthetic_note`` ("dữ liệu minh họa / demo data …"), otherwise null.

The built collections are cached per GeoPackage version (:mod:`geo.cache`,
path, modification time and size); each row is serialised once, as UTF-8 pieces (the row's head and one
part per year group), so a page of items for any years is a join of ready
bytes (see :func:`page_bytes`).  Properties are served yearless columns
first, then year by year.

This module is the embedded backend's provider: it never chooses a backend
(the app asks its backend, :mod:`app.context`); the PostGIS backend builds
its tables from these collections when the data are loaded, and checks its
queries with :func:`validate_query`, so both answer the same.

Example
-------
>>> import tempfile, pathlib
>>> from geo.io import storage
>>> from geo.units import boundaries as units
>>> path = pathlib.Path(tempfile.mkdtemp()) / "k.gpkg"
>>> _ = storage.write_gpkg(path, {"districts": units.load_districts()})
>>> [c["id"] for c in collections(path)]
['districts']
>>> page, matched = items("districts", limit=3, filters={"gso_code": "618"}, path=path)
>>> matched, list(page["gso_code"])
(1, ['618'])
>>> page, matched = items("districts", limit=3, sortby=[("area_km2", True)], path=path)
>>> matched, len(page)
(10, 3)
"""

from __future__ import annotations

import datetime as dt
import json
import math
import os
import re
from collections.abc import Callable, Container, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import geopandas as gpd
import numpy as np
import pandas as pd
import pyproj
import shapely
import shapely.geometry

from geo import cache, lazy, paths
from geo.crs import ServedCrs, bbox_to_crs84, from_crs84
from geo.indicators import standards as poverty_standards
from geo.indicators import values as indicators
from geo.io import storage
from geo.messages import Message

if TYPE_CHECKING:
    import pyogrio
else:  # GDAL only when a file is read or written (geo/lazy.py)
    pyogrio = lazy.module("pyogrio")

#: Default and maximum page size of ``items`` (the API answers 400 above it).
DEFAULT_LIMIT = 10
MAX_LIMIT = 1000
#: Decimal places kept in served coordinates (1e-6° ≈ 0.1 m, far below the
#: accuracy of the boundaries).
COORD_DECIMALS = 6
#: Indicators served as one column per year (``poor_rate_2015`` …).
YEARLY = (
    "poor_rate",
    "near_poor_rate",
    "poor_households",
    "near_poor_households",
    "road_village_hardened_pct",
    "road_commune_hardened_pct",
)
#: The years of the 2016–2020 poverty standard period (the years of the yearly
#: commune columns today; a collection's own years are ``Collection.years``).
YEARS = tuple(range(2015, 2021))
STATUSES = ("official", "reported", "derived", "synthetic")
DEMO_NOTE = "dữ liệu minh họa / demo data"
MAX_CACHED_ORDERS = 256
CRS84 = "http://www.opengis.net/def/crs/OGC/1.3/CRS84"


class UnknownCollection(KeyError):
    """No collection with that id."""


class UnknownFeature(KeyError):
    """No feature with that id in the collection."""


class QueryError(ValueError):
    """A query the provider cannot answer (unknown property, bad value …)."""


@dataclass(frozen=True)
class Spec:
    """What a collection is: its layer, id field and texts."""

    id: str
    layer: str
    id_field: str
    title_vi: str
    title_en: str
    description_vi: str
    description_en: str
    level: str | None = None  # indicator level (commune / district) or None
    time: str | None = None  # "indicators" (yearly columns) / "year" (a property) / None
    keywords: tuple[str, ...] = ()


SPECS: tuple[Spec, ...] = (
    Spec(
        "communes",
        "communes",
        "gso_code",
        "Xã, phường, thị trấn (2020) và chỉ tiêu nghèo",
        "Communes (2020) with poverty indicators",
        "102 xã, phường, thị trấn của tỉnh Kon Tum (danh mục GSO 2020) với các chỉ tiêu: "
        "tỷ lệ hộ nghèo, cận nghèo 2015–2020, số hộ, dân số 2019, đường giao thông, "
        "Chương trình 135, nông thôn mới. Mỗi giá trị có cột *_status (official / reported / "
        "derived / synthetic); tỷ lệ nghèo cấp xã là dữ liệu minh họa (synthetic). "
        "quality_flag cho biết độ tin cậy của ranh giới.",
        "The 102 communes, wards and towns of Kon Tum (GSO list of 2020) with indicators: "
        "poor and near-poor household rates 2015–2020, households, 2019 population, roads, "
        "Programme 135, new rural standard. Every value has a *_status column (official / "
        "reported / derived / synthetic); commune poverty rates are synthetic demo data. "
        "quality_flag tells how reliable the boundary is.",
        level="commune",
        time="indicators",
        keywords=("Kon Tum", "xã", "commune", "hộ nghèo", "poverty"),
    ),
    Spec(
        "districts",
        "districts",
        "gso_code",
        "Huyện, thành phố (2020) và chỉ tiêu nghèo",
        "Districts (2020) with poverty indicators",
        "10 huyện, thành phố của tỉnh Kon Tum với chỉ tiêu cấp huyện: số liệu thật (official / "
        "reported) ở nơi có, còn lại là giá trị minh họa tổng hợp từ các xã (synthetic).",
        "The 10 districts of Kon Tum with district indicators: real figures (official / "
        "reported) where they exist, otherwise synthetic aggregates of their communes.",
        level="district",
        time="indicators",
        keywords=("Kon Tum", "huyện", "district", "hộ nghèo", "poverty"),
    ),
    Spec(
        "works",
        "works",
        "work_id",
        "Công trình (điện, mô hình giảm nghèo, đường …)",
        "Works (electrification, poverty models, roads …)",
        "Công trình điện, mô hình giảm nghèo và công trình khác theo xã. Không có tọa độ thật: "
        "điểm đặt tại điểm đại diện của xã (location_precision).",
        "Electrification works, poverty-reduction models and other works by commune. No real "
        "coordinates are known: points sit at the commune's representative point "
        "(location_precision).",
        time="year",
        keywords=("Kon Tum", "công trình", "works", "electrification"),
    ),
    Spec(
        "roads",
        "roads",
        "road_id",
        "Đường quốc lộ, tỉnh lộ chính",
        "Main national and provincial roads",
        "Các tuyến quốc lộ và tỉnh lộ chính (không phải OpenStreetMap).",
        "Main national and provincial roads (not OpenStreetMap).",
        keywords=("Kon Tum", "đường", "roads"),
    ),
    Spec(
        "border",
        "border",
        "country",
        "Đường biên giới quốc gia (Lào, Campuchia)",
        "International border (Laos, Cambodia)",
        "Đường biên giới Việt Nam – Lào (LAO) và Việt Nam – Campuchia (KHM) dọc tỉnh Kon Tum.",
        "The Vietnam–Laos (LAO) and Vietnam–Cambodia (KHM) border along Kon Tum.",
        keywords=("Kon Tum", "biên giới", "border"),
    ),
    Spec(
        "communes_2025",
        "communes_2025",
        "gso_code",
        "Xã, phường từ 1/7/2025 và chỉ tiêu nghèo",
        "Communes from 1 July 2025 with poverty indicators",
        "40 xã, phường (tỉnh Quảng Ngãi từ 1/7/2025, mã GSO thật) trên địa bàn tỉnh Kon Tum cũ; "
        "member_gso_codes_2020 liệt kê các xã 2020 được sáp nhập (NQ 1677/NQ-UBTVQH15). Chỉ tiêu "
        "tổng hợp từ các xã 2020 theo quy tắc của danh mục (cột carry): số hộ cộng lại, tỷ lệ "
        "tính lại theo số hộ; giá trị từ xã minh họa vẫn là minh họa (synthetic). on_border tính từ hình học.",
        "The 40 communes (Quảng Ngãi province from 1 July 2025, real GSO codes) covering former "
        "Kon Tum; member_gso_codes_2020 lists the 2020 communes each absorbed (NQ 1677/NQ-UBTVQH15). "
        "Indicators are carried from the 2020 communes by the catalogue's rule (column carry): counts "
        "summed, rates recomputed from household counts; values carried from synthetic communes stay "
        "synthetic. on_border is computed from geometry.",
        level="commune_2025",
        time="indicators",
        keywords=("Kon Tum", "Quảng Ngãi", "2025", "xã", "commune", "hộ nghèo", "poverty"),
    ),
)

_INT_RE = re.compile(r"^[+-]?\d+$")


# --------------------------------------------------------------------------- built data


@dataclass
class Column:
    """One served property: its JSON type and metadata (the values are in ``Collection.frame``)."""

    name: str
    type: str  # string / integer / number / boolean
    year: int | None = None  # set for yearly indicator columns (and their status)
    indicator: str | None = None
    title_vi: str = ""
    title_en: str = ""
    unit: str = ""
    standard: str | None = None  # the poverty standard of every value in the column (label)
    data_year: int | None = None  # the year of every value in the column (None: undated)


class Packed:
    """Byte strings packed in one buffer: item ``i`` is ``blob[offsets[i]:offsets[i + 1]]``.

    One object instead of one per row: reading an item copies its bytes and
    never writes to the shared buffer (no reference count per row).

    >>> p = Packed.of([b"ab", b"", "đ".encode()])
    >>> len(p), p[0], p[1], p[2].decode()
    (3, b'ab', b'', 'đ')
    """

    __slots__ = ("blob", "offsets")

    def __init__(self, blob: bytes, offsets: np.ndarray):
        self.blob, self.offsets = blob, offsets

    @classmethod
    def of(cls, items: Iterable[bytes]) -> Packed:
        items = list(items)
        offsets = np.zeros(len(items) + 1, dtype=np.int64)
        np.cumsum([len(b) for b in items], out=offsets[1:])
        return cls(b"".join(items), offsets)

    def __len__(self) -> int:
        return len(self.offsets) - 1

    def __getitem__(self, i: int) -> bytes:
        return self.blob[self.offsets[i] : self.offsets[i + 1]]


@dataclass
class Collection:
    """A built collection: data, metadata and the serialisation caches."""

    spec: Spec
    frame: gpd.GeoDataFrame  # properties (wide), sorted by id, index 0..n-1
    columns: dict[str, Column]  # in served order: yearless first, then by year
    ids: list[str]
    geometry_type: str
    bbox: list[float]
    years: tuple[int, ...]  # indicator years (time == "indicators")
    feature_years: np.ndarray | None  # per-row year (time == "year"); NaN when unknown
    synthetic_notes: dict[str, np.ndarray]  # status column → per-row note or None (served order)
    tree: shapely.STRtree
    geoms: np.ndarray
    index: dict[str, int] = field(default_factory=dict)
    _meta: dict | None = None
    _queryables: dict | None = None
    # Serialised rows, UTF-8: '{"type":"Feature","id":…,"geometry":…,"properties":{' per
    # row, and per year (None: the columns without a year) the row's properties joined.
    _heads: Packed | None = None
    _parts: dict[int | None, Packed] = field(default_factory=dict)
    version: cache.Version | None = None  # the data version it was built from (keys its sort orders)

    # ------------------------------------------------------------------ metadata
    @property
    def count(self) -> int:
        return len(self.ids)

    def temporal_interval(self) -> list[str | None] | None:
        if self.spec.time == "indicators" and self.years:
            return [f"{min(self.years)}-01-01T00:00:00Z", f"{max(self.years)}-12-31T23:59:59Z"]
        if self.spec.time == "year" and self.feature_years is not None:
            known = self.feature_years[~np.isnan(self.feature_years)]
            if len(known):
                return [f"{int(known.min())}-01-01T00:00:00Z", f"{int(known.max())}-12-31T23:59:59Z"]
        return None

    def served(self, years: tuple[int, ...] | None = None) -> list[Column]:
        """The columns served for ``years`` (None: all), in served order."""
        return [c for c in self.columns.values() if _serves(years, c.year)]

    def property_names(self, years: tuple[int, ...] | None = None) -> list[str]:
        """Served property names; ``years`` restricts the yearly columns."""
        names = [c.name for c in self.served(years)]
        if self.synthetic_notes:
            names.append("synthetic_note")
        return names

    # ------------------------------------------------------------------ serialisation
    def encode(self) -> None:
        """Serialise every row once (called when the collection is built).

        Only UTF-8 bytes are kept — a head per row and one part per year
        group, each group packed in one buffer — so a page for any ``years``
        is a join of ready pieces, no per-value Python object outlives the
        build (national scale: −160 MiB per process against per-column
        fragments and whole features as ``str`` and ``bytes``), and reading
        a row touches no object header, so forked workers keep sharing the
        pages.
        """
        texts = geometry_texts(self.geoms)
        self._heads = Packed.of(
            ('{"type":"Feature","id":' + json_value(fid) + ',"geometry":' + g + ',"properties":{').encode("utf-8")
            for fid, g in zip(self.ids, texts)
        )
        del texts
        groups: dict[int | None, list[Column]] = {}
        for col in self.columns.values():
            groups.setdefault(col.year, []).append(col)
        self._parts = {}
        for year, cols in groups.items():
            values = [self.fragments(col.name) for col in cols]
            self._parts[year] = Packed.of(",".join(row).encode("utf-8") for row in zip(*values))

    def fragments(self, name: str) -> list[str]:
        """``'"name":value'`` (JSON) for every row of property ``name``."""
        col = self.columns[name]
        key = json_value(name) + ":"
        return [key + json_value(v) for v in _json_values(self.frame[name], col.type)]

    def feature_bytes(self, positions: np.ndarray | Sequence[int], years: tuple[int, ...] | None = None) -> list[bytes]:
        """The GeoJSON feature (UTF-8) of each row position, with the columns of ``years``."""
        groups = [y for y in self._parts if _serves(years, y)]
        parts = [self._parts[y] for y in groups]
        notes = self.synthetic_notes and self.notes_at(positions, years)
        out = []
        for k, i in enumerate(positions):
            props = b",".join([p[i] for p in parts])
            if notes:
                props += b',"synthetic_note":' + json_value(notes[k]).encode("utf-8")
            out.append(self._heads[i] + props + b"}}")
        return out

    def notes_at(self, positions: np.ndarray | Sequence[int], years: tuple[int, ...] | None) -> list[str | None] | None:
        """Per row position: the synthetic note of its first served synthetic value, else None."""
        if not self.synthetic_notes:
            return None
        cols = [notes for s, notes in self.synthetic_notes.items() if _serves(years, self.columns[s].year)]
        out: list[str | None] = []
        for i in positions:
            out.append(next((n[i] for n in cols if n[i] is not None), None))
        return out

    def order(self, sortby: tuple[tuple[str, bool], ...]) -> np.ndarray:
        """Row positions sorted by ``sortby`` ((name, descending) …), nulls last, ties by id.

        Kept in the cache's ``orders`` partition (at most :data:`MAX_CACHED_ORDERS`:
        ``sortby`` is user input).
        """
        if self.version is None:
            return self._order(sortby)
        return ORDERS.get_or_make(self.version, (self.spec.id, sortby), lambda: self._order(sortby))

    def _order(self, sortby: tuple[tuple[str, bool], ...]) -> np.ndarray:
        frame = self.frame
        keys = list(sortby) + [(self.spec.id_field, False)]
        pos = np.arange(self.count)
        # Stable sorts from the last key to the first.
        for name, desc in reversed(keys):
            values = frame[name].iloc[pos]
            missing = values.isna().to_numpy()
            present = pos[~missing]
            vals = values[~missing]
            if vals.dtype == bool or str(vals.dtype) == "boolean":
                vals = vals.astype(int)
            ranks = vals.rank(method="dense", ascending=not desc).to_numpy()
            present = present[np.argsort(ranks, kind="stable")]
            pos = np.concatenate([present, pos[missing]])
        return pos


# --------------------------------------------------------------------------- registry cache

#: The built collections of each GeoPackage version, and their sort orders (see :mod:`geo.cache`).
COLLECTIONS = cache.partition("collections", max_bytes=cache.GiB)
ORDERS = cache.partition("orders", max_bytes=64 * cache.MiB, max_entries=MAX_CACHED_ORDERS)


def _registry(path: Path | str | None = None) -> dict[str, Collection]:
    """All built collections for the GeoPackage, rebuilt when its version changes."""
    path = Path(path or paths.gpkg_path())
    try:
        version = cache.file_version(path)
    except FileNotFoundError:
        raise FileNotFoundError(f"{path} does not exist: run `python -m geo build` first") from None
    return COLLECTIONS.get_or_make(version, "registry", lambda: _build_all(path, version))


def clear_cache() -> None:
    """Forget every built collection and sort order (tests use it)."""
    COLLECTIONS.clear()
    ORDERS.clear()


def _build_all(path: Path, version: cache.Version | None = None) -> dict[str, Collection]:
    layers = {name for name, _ in pyogrio.list_layers(path)}
    obs = _read(path, "observations") if "observations" in layers else None
    cat = _read(path, "catalogue") if "catalogue" in layers else None
    out = {}
    for spec in SPECS:
        if spec.layer in layers:
            out[spec.id] = _build(spec, _read(path, spec.layer), obs, cat)
            out[spec.id].version = version
    return out


def _read(path: Path, layer: str) -> pd.DataFrame:
    """Read a layer (the cached frame of :func:`geo.io.storage.read_layer`, so the
    app holds each table once), restoring nullable integer columns that GDAL
    hands back as floats."""
    frame = storage.read_layer(layer, path)
    info = pyogrio.read_info(path, layer=layer)
    for name, dtype in zip(info["fields"], info["dtypes"]):
        if str(dtype).startswith("int") and name in frame and frame[name].dtype.kind == "f":
            frame[name] = frame[name].astype("Int64")
    return frame


def _build(spec: Spec, gdf: gpd.GeoDataFrame, obs: pd.DataFrame | None, cat: pd.DataFrame | None) -> Collection:
    gdf = gdf.copy()
    if gdf.crs is not None and gdf.crs.to_epsg() != 4326:
        gdf = gdf.to_crs(4326)
    gdf[spec.id_field] = gdf[spec.id_field].astype(str)
    gdf = gdf.sort_values(spec.id_field, kind="stable").reset_index(drop=True)
    if gdf[spec.id_field].duplicated().any():
        dup = gdf.loc[gdf[spec.id_field].duplicated(), spec.id_field].iloc[0]
        raise ValueError(f"collection {spec.id}: duplicate id {dup!r} in {spec.id_field}")
    geoms = gdf.geometry.to_numpy()
    props = pd.DataFrame(gdf.drop(columns=gdf.geometry.name))
    columns: dict[str, Column] = {}
    for name in props.columns:
        if _whole_counts(name, props[name]):
            props[name] = props[name].round().astype("Int64")
        columns[name] = Column(name, _json_type(props[name]))
    years: tuple[int, ...] = ()
    notes: dict[str, np.ndarray] = {}
    if spec.level and obs is not None:
        wide, meta, notes = _indicator_columns(obs, cat, spec.level, props[spec.id_field], props.columns)
        added = {}
        for name, info in meta.items():
            values = wide[name]
            kind = info.get("kind")
            if kind == "boolean":
                values = values.astype("boolean")
            elif kind == "integer":
                values = values.round().astype("Int64")
            added[name] = values.to_numpy() if kind != "string" else values.tolist()
            columns[name] = Column(
                name,
                _json_type(values, kind),
                info.get("year"),
                info.get("indicator"),
                info.get("title_vi", ""),
                info.get("title_en", ""),
                info.get("unit", ""),
                info.get("standard"),
                info.get("data_year"),
            )
        if added:
            props = pd.concat([props, pd.DataFrame(added, index=props.index)], axis=1)
        # Served order: the columns without a year first, then year by year.
        columns = {c.name: c for c in sorted(columns.values(), key=_served_key)}
        notes = {k: notes[k] for k in columns if k in notes}
        years = tuple(sorted({c.year for c in columns.values() if c.year is not None}))
    feature_years = None
    if spec.time == "year" and "year" in props:
        feature_years = pd.to_numeric(props["year"], errors="coerce").to_numpy(dtype=float)
    types = sorted({g.geom_type for g in geoms if g is not None})
    bounds = shapely.total_bounds(geoms)
    frame = gpd.GeoDataFrame(props, geometry=geoms, crs="EPSG:4326")
    ids = props[spec.id_field].tolist()
    coll = Collection(
        spec=spec,
        frame=frame,
        columns=columns,
        ids=ids,
        geometry_type=types[0] if len(types) == 1 else "Geometry",
        bbox=[round(float(b), COORD_DECIMALS) for b in bounds],
        years=years,
        feature_years=feature_years,
        synthetic_notes=notes,
        tree=shapely.STRtree(geoms),
        geoms=geoms,
    )
    coll.index = {fid: i for i, fid in enumerate(ids)}
    coll.encode()
    return coll


def _serves(years: tuple[int, ...] | None, year: int | None) -> bool:
    """Whether a column of ``year`` (None: no year) is served for ``years`` (None: all)."""
    return year is None or years is None or year in years


def _served_key(col: Column) -> tuple:
    """Sort key of the served order (stable: ties keep the catalogue order)."""
    return (col.year is not None, col.year or 0)


def _indicator_columns(
    obs: pd.DataFrame, cat: pd.DataFrame | None, level: str, codes: pd.Series, base_columns=()
) -> tuple[pd.DataFrame, dict[str, dict], dict[str, np.ndarray]]:
    """Wide indicator columns for the units ``codes`` at ``level``.

    Returns the frame (one row per code, in order), per-column metadata and,
    per status column, the synthetic note of each row (or None).
    """
    obs = obs.copy()
    obs["gso_code"] = obs["gso_code"].astype(str)
    obs["year"] = pd.to_numeric(obs["year"], errors="coerce")
    at_level = indicators.usable(obs[obs["unit_level"] == level])
    # Sorted once as indicators.values() sorts (unit, latest year first, best status first):
    # each column's pick is then the first row of each unit of its slice (_best), not one
    # values() call per indicator, year and standard (167 for Kon Tum: seconds of start-up).
    at_level = at_level[[c for c in PICK_COLUMNS if c in at_level.columns]]
    rank = at_level["status"].map(indicators.STATUS_RANK).fillna(9)
    at_level = at_level.assign(_rank=rank).sort_values(
        ["gso_code", "year", "_rank"], ascending=[True, False, True], na_position="last"
    )
    by_indicator = {str(k): g for k, g in at_level.groupby("indicator", sort=False)}
    catalogue = _catalogue(cat)
    present = list(by_indicator)
    order = [i for i in catalogue if i in present] + sorted(i for i in present if i not in catalogue)
    wide = pd.DataFrame(index=range(len(codes)))
    meta: dict[str, dict] = {}
    notes: dict[str, np.ndarray] = {}
    code_list = codes.astype(str).tolist()
    taken = set(base_columns)
    shared: dict[str, str] = {}
    base = set(base_columns)
    for ind in order:
        info = catalogue.get(ind, {})
        rows_ind = by_indicator[ind]
        for name, year, std, rows, data_year in _picks(ind, rows_ind, level, base, (taken | set(present)) - {ind}):
            if rows.empty:
                continue
            taken.add(name)
            rows = rows.set_index("gso_code").reindex(code_list)
            wide[name] = pd.to_numeric(rows["value"], errors="coerce").to_numpy()
            status = rows["status"].tolist()
            wide[name + "_status"] = pd.array([s if isinstance(s, str) else None for s in status], dtype="object")
            kind = _value_kind(info, wide[name])
            base = dict(
                indicator=ind,
                year=year,
                title_vi=info.get("name_vi", ""),
                title_en=info.get("name_en", ""),
                unit=str(info.get("unit", "") or ""),
                standard=std,
                data_year=data_year,
            )
            meta[name] = dict(base, kind=kind)
            meta[name + "_status"] = dict(base, kind="string", unit="")
            if std:
                wide[name + "_standard"] = pd.array([std] * len(code_list), dtype="object")
                meta[name + "_standard"] = dict(base, kind="string", unit="")
            note_col = rows["note"].tolist() if "note" in rows else [None] * len(code_list)
            row_notes = []
            for n, s in zip(note_col, status):
                if s == "synthetic":
                    n = n if isinstance(n, str) and n.strip() else DEMO_NOTE
                    row_notes.append(shared.setdefault(n, n))  # one object per distinct note
                else:
                    row_notes.append(None)
            if any(n is not None for n in row_notes):
                notes[name + "_status"] = np.array(row_notes, dtype=object)
    return wide, meta, notes


def _picks(ind: str, rows: pd.DataFrame, level: str, base: set, taken: set) -> list[tuple]:
    """``(column name, served year, standard, values, data year)`` of one indicator at ``level``: one column
    per year and standard (see the module doc for the names).  ``base``: the unit
    layer's own columns; ``taken``: names used by other columns or indicators."""
    years = sorted({int(y) for y in rows["year"].dropna()})
    labels = indicators.standards_of(rows)
    if not labels and ind not in YEARLY and len(years) <= 1:
        name, year = ind, (years[0] if years else None)
        if ind in base or ind in taken:  # e.g. the yearbook's area_km2 beside the computed one
            name = f"{ind}_{year}" if year is not None else f"{ind}_reported"
        # served with the columns without a year (every request gets it); its one year is
        # declared in the metadata (``data_year``)
        return [(name, None, None, _best(rows if year is None else rows[rows["year"] == year]), year)]
    out = []
    for year in years:
        in_year = rows[rows["year"] == year]
        own = poverty_standards.of_year(year)
        found = indicators.standards_of(in_year) or [None]
        found.sort(key=lambda lab: (lab != getattr(own, "label", None), lab or ""))
        for std in found:
            name = f"{ind}_{year}"
            s = poverty_standards.by_label(std)
            if std and own is not None and std != own.label:
                name += f"_{s.suffix if s else 'other'}"
            if name in taken or name in base:
                name = f"{ind}_in_{year}" + name[len(f"{ind}_{year}") :]
            out.append((name, year, std, _best(in_year[in_year["standard"] == std] if std else in_year), year))
    return out


#: The observation columns a collection's indicator columns are made of.
PICK_COLUMNS = ("gso_code", "indicator", "year", "value", "status", "standard", "note")


def _best(rows: pd.DataFrame) -> pd.DataFrame:
    """Each unit's best row of ``rows`` — a slice of the sorted observations of
    :func:`_indicator_columns` — as :func:`geo.indicators.values.values` picks it."""
    return rows.drop_duplicates("gso_code").reset_index(drop=True)


COUNT_UNITS = (
    "households",
    "hộ",
    "persons",
    "people",
    "người",
    "communes",
    "xã",
    "criteria",
    "tiêu chí",
    "count",
    "villages",
    "projects",
)
FLAG_UNITS = ("flag", "boolean", "0/1", "yes/no")


def _value_kind(info: dict, values: pd.Series) -> str | None:
    """``boolean`` for flags, ``integer`` for whole-number counts, else None (number)."""
    unit = str(info.get("unit", "") or "").strip().lower()
    kind = str(info.get("kind", "") or "").strip().lower()
    nonnull = values.dropna().to_numpy(dtype=float)
    if unit in FLAG_UNITS or kind in ("flag", "boolean"):
        if np.isin(nonnull, (0.0, 1.0)).all():
            return "boolean"
    if unit in COUNT_UNITS and len(nonnull) and np.all(np.mod(nonnull, 1) == 0):
        return "integer"
    return None


def geometry_texts(geoms: np.ndarray) -> list[str]:
    """GeoJSON text of each geometry, coordinates rounded to COORD_DECIMALS.

    ``json.dumps`` prints the shortest repr of each rounded float
    ("107.746969", never "107.74696900000001").
    """
    rounded = shapely.transform(geoms, lambda c: c.round(COORD_DECIMALS))
    return [
        "null" if g is None or g.is_empty else json.dumps(g.__geo_interface__, separators=(",", ":")) for g in rounded
    ]


def _catalogue(cat: pd.DataFrame | None) -> dict[str, dict]:
    if cat is None or "id" not in cat:
        return {}
    out = {}
    for row in cat.to_dict("records"):
        out[str(row["id"])] = {k: ("" if isnull(v) else v) for k, v in row.items()}
    return out


#: Float columns holding whole numbers that are served as integers (GDAL hands
#: back nullable integer fields as floats).
INTEGER_NAMES = ("year", "households", "transformers", "n_members", "n_communes")


def _whole_counts(name: str, series: pd.Series) -> bool:
    if series.dtype.kind != "f" or not (name in INTEGER_NAMES or name.endswith("_households")):
        return False
    values = series.dropna().to_numpy(dtype=float)
    return bool(np.all(np.mod(values, 1) == 0))


def _json_type(series: pd.Series, kind: str | None = None) -> str:
    """The JSON type of a property column (``kind`` from the catalogue wins)."""
    if kind in ("boolean", "string", "integer"):
        return kind
    if series.dtype == bool or str(series.dtype) == "boolean":
        return "boolean"
    if pd.api.types.is_integer_dtype(series.dtype):
        return "integer"
    if pd.api.types.is_float_dtype(series.dtype):
        return "number"
    return "string"


_TO_JSON = {"boolean": bool, "integer": int, "number": float, "string": str}


def _json_values(series: pd.Series, jtype: str) -> list:
    """The column's values as Python values of ``jtype`` (None where missing)."""
    conv = _TO_JSON[jtype]
    return [None if isnull(v) else conv(v) for v in series]


def isnull(v: object) -> bool:
    """True for None, NA, NaT and NaN."""
    if v is None or v is pd.NA or v is pd.NaT:
        return True
    try:
        return bool(isinstance(v, float) and math.isnan(v))
    except TypeError:
        return False


def json_value(v: object) -> str:
    """``v`` as JSON text, UTF-8 kept (non-finite floats → ``null``)."""
    if isinstance(v, float) and not math.isfinite(v):
        return "null"
    return json.dumps(v, ensure_ascii=False)


# --------------------------------------------------------------------------- public API


def collection_ids(path: Path | str | None = None) -> list[str]:
    """The ids of the collections served, in a fixed order."""
    return list(_registry(path))


def get(collection_id: str, path: Path | str | None = None) -> Collection:
    """The built collection ``collection_id`` (raises :class:`UnknownCollection`)."""
    reg = _registry(path)
    try:
        return reg[collection_id]
    except KeyError:
        raise UnknownCollection(f"no collection {collection_id!r}; collections: {', '.join(reg)}") from None


def collection(collection_id: str, path: Path | str | None = None) -> dict:
    """Metadata of one collection (no links: the service adds those).

    Keys: ``id``, ``title`` / ``description`` ({"vi", "en"}), ``extent``
    ({"spatial": {"bbox", "crs"}, "temporal": {"interval", "trs"} or absent}),
    ``itemType``, ``crs``, ``id_field``, ``geometry_type``, ``count``,
    ``years`` (indicator years), ``time`` ("indicators" / "year" / None),
    ``properties`` and ``queryables`` ({name: {"type", "title_vi", …}}).
    """
    c = get(collection_id, path)
    if c._meta is None:
        c._meta = _describe(c, path)
    return c._meta


def _describe(c: Collection, path) -> dict:
    s = c.spec
    extent: dict = {"spatial": {"bbox": [c.bbox], "crs": CRS84}}
    interval = c.temporal_interval()
    if interval:
        extent["temporal"] = {"interval": [interval], "trs": "http://www.opengis.net/def/uom/ISO-8601/0/Gregorian"}
    props = {}
    for col in c.columns.values():
        props[col.name] = {
            "type": col.type,
            "title_vi": col.title_vi,
            "title_en": col.title_en,
            "unit": col.unit,
            "year": col.year,
            "data_year": col.data_year,
            "standard": col.standard,
        }
    if c.synthetic_notes:
        props["synthetic_note"] = {
            "type": "string",
            "title_vi": "Ghi chú dữ liệu minh họa",
            "title_en": "Synthetic data note",
            "unit": "",
            "year": None,
            "data_year": None,
            "standard": None,
        }
    return {
        "id": s.id,
        "title": {"vi": s.title_vi, "en": s.title_en},
        "description": {"vi": s.description_vi, "en": s.description_en},
        "keywords": list(s.keywords),
        "extent": extent,
        "itemType": "feature",
        "crs": [CRS84],
        "id_field": s.id_field,
        "geometry_type": c.geometry_type,
        "count": c.count,
        "years": list(c.years),
        "time": s.time,
        "properties": props,
        "queryables": queryables(s.id, path),
    }


def collections(path: Path | str | None = None) -> list[dict]:
    """Metadata of every collection (see :func:`collection`)."""
    return [collection(cid, path) for cid in collection_ids(path)]


def queryables(collection_id: str, path: Path | str | None = None) -> dict[str, dict]:
    """Properties that ``name=value`` filters accept: strings, integers and booleans.

    Floating-point columns are not queryable by equality (use ``sortby``).
    """
    c = get(collection_id, path)
    if c._queryables is None:
        c._queryables = {
            col.name: {"type": col.type, "title_vi": col.title_vi, "title_en": col.title_en}
            for col in c.columns.values()
            if col.type in ("string", "integer", "boolean")
        }
    return c._queryables


def parse_filter_value(ptype: str, name: str, raw: str) -> str | int | bool:
    """The typed value of a ``name=raw`` filter (raises :class:`QueryError`)."""
    if ptype == "integer":
        if not _INT_RE.match(raw.strip()):
            raise QueryError(Message("error.query.integer", name=name, got=raw))
        return int(raw)
    if ptype == "boolean":
        low = raw.strip().lower()
        if low in ("true", "1"):
            return True
        if low in ("false", "0"):
            return False
        raise QueryError(Message("error.query.boolean", name=name, got=raw))
    return raw


@dataclass
class Selection:
    """The answer to a query: matching row positions (in order) and the column set."""

    collection: Collection
    positions: np.ndarray
    years: tuple[int, ...] | None  # None: every yearly column

    @property
    def number_matched(self) -> int:
        return int(len(self.positions))


def select(
    collection_id: str,
    bbox: tuple[float, ...] | None = None,
    filters: dict[str, str] | None = None,
    datetime: tuple[int | None, int | None] | None = None,
    year: int | None = None,
    sortby: list[tuple[str, bool]] | None = None,
    path: Path | str | None = None,
    where: Callable[[gpd.GeoDataFrame, np.ndarray], np.ndarray] | None = None,
) -> Selection:
    """Every feature matching the query, in order (see :func:`items`).

    ``where`` is one more condition: a function of the collection's frame and
    geometries giving a boolean mask (a CQL2 filter, :func:`geo.ogc.cql2.mask`).
    """
    c = get(collection_id, path)
    q = validate_query(
        collection_id,
        c.spec.time,
        c.years,
        c.columns,
        queryables(collection_id, path),
        bbox,
        filters,
        datetime,
        year,
        sortby,
    )
    mask = np.ones(c.count, dtype=bool)
    if q.boxes is not None:
        mask &= _bbox_mask(c, q.boxes)
    for name, ptype, value in q.filters:
        series = c.frame[name]
        if ptype == "boolean":
            hit = series.map(lambda v, value=value: (not isnull(v)) and bool(v) == value)
        elif ptype == "integer":
            hit = pd.to_numeric(series, errors="coerce") == value
        else:
            hit = series.astype(object).map(lambda v, value=value: (not isnull(v)) and str(v) == value)
        mask &= hit.fillna(False).to_numpy(dtype=bool)
    if q.matches_none:
        mask &= False
    if where is not None and mask.any():
        mask &= where(c.frame, c.geoms)
    if q.feature_years is not None and c.feature_years is not None:
        lo, hi = q.feature_years
        fy = c.feature_years
        mask &= np.isnan(fy) | ((fy >= lo) & (fy <= hi))
    order = c.order(q.sortby) if q.sortby else np.arange(c.count)
    positions = order[mask[order]]
    return Selection(c, positions, q.years)


@dataclass(frozen=True)
class CheckedQuery:
    """An items query checked against a collection (:func:`validate_query`), for any backend.

    ``boxes``: the bbox as (minx, miny, maxx, maxy) boxes, split in two when
    it crosses the antimeridian (None: no bbox).  ``filters``: (property,
    queryable type, typed value).  ``years``: the indicator years served
    (None: every yearly column).  ``matches_none``: the datetime selects no
    indicator year.  ``feature_years``: (lo, hi), ±inf when open, for
    collections whose features carry a ``year``.  ``sortby``: (property,
    descending) pairs.
    """

    boxes: tuple[tuple[float, float, float, float], ...] | None = None
    filters: tuple[tuple[str, str, object], ...] = ()
    years: tuple[int, ...] | None = None
    matches_none: bool = False
    feature_years: tuple[float, float] | None = None
    sortby: tuple[tuple[str, bool], ...] = ()


def bbox_boxes(bbox: tuple[float, ...]) -> tuple[tuple[float, float, float, float], ...]:
    """``bbox`` (4 or 6 numbers) as 2D boxes; one crossing the antimeridian (minx > maxx) as two.

    >>> bbox_boxes((170, -10, -170, 10))
    ((170.0, -10.0, 180.0, 10.0), (-180.0, -10.0, -170.0, 10.0))
    >>> bbox_boxes((1, 2, 0, 3, 4, 9))
    ((1.0, 2.0, 3.0, 4.0),)
    """
    b = tuple(bbox)
    if len(b) == 6:
        b = (b[0], b[1], b[3], b[4])
    minx, miny, maxx, maxy = (float(v) for v in b)
    if minx <= maxx:
        return ((minx, miny, maxx, maxy),)
    return ((minx, miny, 180.0, maxy), (-180.0, miny, maxx, maxy))


def validate_query(
    collection_id: str,
    time: str | None,
    years: Iterable[int],
    columns: Container[str],
    queryable: dict[str, dict],
    bbox: tuple[float, ...] | None = None,
    filters: dict[str, str] | None = None,
    datetime: tuple[int | None, int | None] | None = None,
    year: int | None = None,
    sortby: list[tuple[str, bool]] | None = None,
) -> CheckedQuery:
    """Check an items query against a collection; raise :class:`QueryError` saying what is wrong.

    The collection is described by its ``time`` kind ("indicators", "year"
    or None), indicator ``years``, property names ``columns`` and its
    :func:`queryables`.  Both backends call this, so they refuse the same
    queries with the same messages.

    >>> q = validate_query("districts", "indicators", (2015, 2020), ["gso_code", "poor_rate_2020"],
    ...                    {"gso_code": {"type": "string"}}, filters={"gso_code": "618"}, year=2020)
    >>> q.filters, q.years
    ((('gso_code', 'string', '618'),), (2020,))
    >>> validate_query("districts", "indicators", (2015, 2020), ["gso_code"], {}, filters={"x": "1"})
    Traceback (most recent call last):
    ...
    geo.ogc.features.QueryError: unknown property 'x' for collection 'districts'
    """
    years = tuple(years)
    boxes = None if bbox is None else bbox_boxes(bbox)
    checked = []
    for name, raw in (filters or {}).items():
        if name not in columns:
            raise QueryError(Message("error.query.unknown_property", name=name, collection=collection_id))
        if name not in queryable:
            raise QueryError(Message("error.query.not_queryable", name=name, queryable=", ".join(queryable)))
        ptype = queryable[name]["type"]
        checked.append((name, ptype, parse_filter_value(ptype, name, raw)))
    if year is not None:
        if time != "indicators":
            raise QueryError(Message("error.query.no_years", collection=collection_id))
        if year not in years:
            raise QueryError(
                Message("error.query.year", year=year, collection=collection_id, years=", ".join(map(str, years)))
            )
        if datetime is not None:
            raise QueryError(Message("error.query.year_and_datetime"))
        datetime = (year, year)
    served, none, feature_years = None, False, None
    if datetime is not None:
        lo, hi = datetime
        lo = -math.inf if lo is None else lo
        hi = math.inf if hi is None else hi
        if time == "indicators":
            served = tuple(y for y in years if lo <= y <= hi)
            none = not served
        elif time == "year" and "year" in columns:
            feature_years = (float(lo), float(hi))
        # other collections have no temporal geometry: datetime matches every feature
    for name, _ in sortby or []:
        if name not in columns:
            raise QueryError(Message("error.query.sortby_unknown", name=name, collection=collection_id))
    return CheckedQuery(boxes, tuple(checked), served, none, feature_years, tuple(sortby or ()))


def _bbox_mask(c: Collection, boxes: tuple[tuple[float, float, float, float], ...]) -> np.ndarray:
    mask = np.zeros(c.count, dtype=bool)
    for box in boxes:
        hit = c.tree.query(shapely.box(*box), predicate="intersects")
        mask[hit] = True
    mask |= np.array([g is None for g in c.geoms], dtype=bool)  # no geometry: matches any bbox
    return mask


def items(
    collection_id: str,
    bbox: tuple[float, ...] | None = None,
    limit: int = DEFAULT_LIMIT,
    offset: int = 0,
    filters: dict[str, str] | None = None,
    datetime: tuple[int | None, int | None] | None = None,
    year: int | None = None,
    sortby: list[tuple[str, bool]] | None = None,
    path: Path | str | None = None,
) -> tuple[gpd.GeoDataFrame, int]:
    """One page of features as a GeoDataFrame, and the number matched.

    ``bbox`` (minx, miny, maxx, maxy) or six numbers (the vertical range is
    ignored: the data are 2-D), WGS84; minx > maxx crosses the antimeridian.
    ``filters`` maps queryable properties to raw string values (equality).
    ``datetime`` is a year interval (None = open end): for communes and
    districts it selects which years' indicator columns are served (no
    overlap with the indicator years → nothing matches); for works it keeps
    works of those years (and those with no year); other collections have no
    time and match any interval.  ``year`` is ``datetime=(year, year)`` for
    communes and districts.  ``sortby`` lists (property, descending).
    """
    sel = select(collection_id, bbox, filters, datetime, year, sortby, path)
    return page_frame(sel, limit, offset), sel.number_matched


def page_frame(sel: Selection, limit: int, offset: int) -> gpd.GeoDataFrame:
    """The rows of one page of a selection, with the served columns."""
    c = sel.collection
    pos = sel.positions[offset : offset + limit]
    names = [col.name for col in c.served(sel.years)]
    out = c.frame.iloc[pos][names + [c.frame.geometry.name]].copy()
    notes = c.notes_at(pos, sel.years)
    if notes is not None:
        out.insert(len(names), "synthetic_note", notes)
    return out.reset_index(drop=True)


def page_json(sel: Selection, limit: int, offset: int) -> list[str]:
    """The GeoJSON text of each feature of one page (pre-serialised, sliced)."""
    return [b.decode("utf-8") for b in page_bytes(sel, limit, offset)]


def page_bytes(sel: Selection, limit: int, offset: int) -> list[bytes]:
    """Like :func:`page_json`, UTF-8 encoded."""
    return sel.collection.feature_bytes(sel.positions[offset : offset + limit], sel.years)


def item(collection_id: str, fid: str, path: Path | str | None = None) -> gpd.GeoDataFrame:
    """One feature (all columns) as a one-row GeoDataFrame (raises :class:`UnknownFeature`)."""
    c = get(collection_id, path)
    i = _position(c, fid)
    return page_frame(Selection(c, np.array([i]), None), 1, 0)


def item_json(collection_id: str, fid: str, path: Path | str | None = None) -> str:
    """One feature (all columns) as GeoJSON text."""
    c = get(collection_id, path)
    return c.feature_bytes([_position(c, fid)])[0].decode("utf-8")


def _position(c: Collection, fid: str) -> int:
    try:
        return c.index[str(fid)]
    except KeyError:
        raise UnknownFeature(f"no feature {fid!r} in collection {c.spec.id!r}") from None


# --------------------------------------------------------------------------- parameter parsing


def parse_bbox_in(raw: str, crs: ServedCrs) -> tuple[float, ...]:
    """A bbox given in ``crs`` (its axis order, ``bbox-crs``) as WGS84 lon/lat numbers.

    >>> from geo.crs import parse_crs
    >>> [round(v, 3) for v in parse_bbox_in("14.2,107.5,14.6,107.9", parse_crs("EPSG:4326"))]
    [107.5, 14.2, 107.9, 14.6]
    """
    if crs.is_crs84:
        return parse_bbox(raw)
    parts = raw.split(",")
    if len(parts) not in (4, 6):
        raise QueryError(Message("error.query.bbox_count_crs", crs=crs.name, axis=crs.axis, got=len(parts)))
    try:
        nums = tuple(float(p) for p in parts)
    except ValueError:
        raise QueryError(Message("error.query.bbox_numbers", got=raw)) from None
    if not all(math.isfinite(n) for n in nums):
        raise QueryError(Message("error.query.bbox_finite"))
    lo, hi = (nums[:2], nums[3:5]) if len(nums) == 6 else (nums[:2], nums[2:])
    if lo[0] > hi[0] or lo[1] > hi[1]:
        raise QueryError(Message("error.query.bbox_order", crs=crs.name, axis=crs.axis))
    try:
        out = bbox_to_crs84(nums, crs)
    except pyproj.exceptions.ProjError as exc:
        raise QueryError(Message("error.query.bbox_convert", crs=crs.name, reason=str(exc))) from None
    if not all(math.isfinite(n) for n in out):
        raise QueryError(Message("error.query.bbox_area", crs=crs.name))
    return parse_bbox(",".join(repr(float(v)) for v in out))


def reproject_features(chunks: Sequence[bytes], crs: ServedCrs) -> list[bytes]:
    """GeoJSON features (UTF-8, as served) with their geometry in ``crs`` (authority axis order).

    Works on the served text of either backend: ``{"type":"Feature","id":…,
    "geometry":…,"properties":{…}}``; only the geometry member changes.

    >>> from geo.crs import parse_crs
    >>> f = b'{"type":"Feature","id":"1","geometry":{"type":"Point","coordinates":[107.5,14.5]},"properties":{}}'
    >>> reproject_features([f], parse_crs("EPSG:4326"))[0]
    b'{"type":"Feature","id":"1","geometry":{"type":"Point","coordinates":[14.5,107.5]},"properties":{}}'
    """
    if crs.is_crs84 or not chunks:
        return list(chunks)
    heads, texts, tails = [], [], []
    for chunk in chunks:
        g0 = chunk.index(b',"geometry":') + len(b',"geometry":')
        g1 = chunk.index(b',"properties":', g0)
        heads.append(chunk[:g0])
        texts.append(chunk[g0:g1])
        tails.append(chunk[g1:])
    geoms = np.array([None if t == b"null" else shapely.geometry.shape(json.loads(t)) for t in texts], dtype=object)
    moved = from_crs84(geoms, crs)
    out = []
    for head, g, tail in zip(heads, moved, tails):
        gtext = b"null" if g is None else json.dumps(g.__geo_interface__, separators=(",", ":")).encode("utf-8")
        out.append(head + gtext + tail)
    return out


def parse_bbox(raw: str) -> tuple[float, ...]:
    """``minx,miny,maxx,maxy`` (or six numbers with heights) in WGS84 lon/lat.

    >>> parse_bbox("107.5,14.2,107.9,14.6")
    (107.5, 14.2, 107.9, 14.6)
    """
    parts = raw.split(",")
    if len(parts) not in (4, 6):
        raise QueryError(Message("error.query.bbox_count", got=len(parts)))
    try:
        nums = tuple(float(p) for p in parts)
    except ValueError:
        raise QueryError(Message("error.query.bbox_numbers", got=raw)) from None
    if not all(math.isfinite(n) for n in nums):
        raise QueryError(Message("error.query.bbox_finite"))
    if len(nums) == 6:
        minx, miny, minz, maxx, maxy, maxz = nums
        if minz > maxz:
            raise QueryError(Message("error.query.bbox_height"))
    else:
        minx, miny, maxx, maxy = nums
    if not (-180 <= minx <= 180 and -180 <= maxx <= 180):
        raise QueryError(Message("error.query.bbox_lon"))
    if not (-90 <= miny <= 90 and -90 <= maxy <= 90):
        raise QueryError(Message("error.query.bbox_lat"))
    if miny > maxy:
        raise QueryError(Message("error.query.bbox_lat_order"))
    return nums


_DATE_RE = re.compile(
    r"^(\d{4})(?:-(\d{2})(?:-(\d{2})(?:[Tt ](\d{2}):(\d{2}):(\d{2})(?:\.\d+)?"
    r"(?:[Zz]|[+-]\d{2}:\d{2})?)?)?)?$"
)


def _parse_instant(raw: str) -> dt.datetime:
    m = _DATE_RE.match(raw)
    if not m:
        raise QueryError(Message("error.query.datetime_format", got=raw))
    y, mo, d, hh, mi, ss = (int(g) if g else None for g in m.groups())
    try:
        return dt.datetime(y, mo or 1, d or 1, hh or 0, mi or 0, ss or 0)
    except ValueError as exc:
        raise QueryError(Message("error.query.datetime_invalid", got=raw, reason=str(exc))) from None


def parse_datetime(raw: str) -> tuple[int | None, int | None]:
    """A ``datetime`` value as an inclusive year interval (None = open end).

    >>> parse_datetime("2018"), parse_datetime("2016/2018"), parse_datetime("../2017-06-30")
    ((2018, 2018), (2016, 2018), (None, 2017))
    """
    raw = raw.strip()
    if not raw:
        raise QueryError(Message("error.query.datetime_empty"))
    if "/" not in raw:
        y = _parse_instant(raw).year
        return (y, y)
    if raw.count("/") != 1:
        raise QueryError(Message("error.query.datetime_shape", got=raw))
    start, end = raw.split("/")
    lo = None if start in ("", "..") else _parse_instant(start)
    hi = None if end in ("", "..") else _parse_instant(end)
    if lo is None and hi is None:
        raise QueryError(Message("error.query.datetime_open"))
    if lo is not None and hi is not None and lo > hi:
        raise QueryError(Message("error.query.datetime_order", got=raw))
    return (lo.year if lo else None, hi.year if hi else None)


def parse_sortby(raw: str) -> list[tuple[str, bool]]:
    """``+name,-poor_rate_2020`` → [("name", False), ("poor_rate_2020", True)].

    A leading ``+`` that arrived URL-decoded as a space is accepted.
    """
    out = []
    for term in raw.split(","):
        if term.startswith(" ") and term.strip():
            term = "+" + term.lstrip(" ")
        term = term.strip()
        desc = term.startswith("-")
        name = term[1:] if term[:1] in "+-" and term else term
        if not name or not re.match(r"^[A-Za-z_][A-Za-z0-9_]*$", name):
            raise QueryError(Message("error.query.sortby_shape", got=raw))
        out.append((name, desc))
    names = [n for n, _ in out]
    if len(set(names)) != len(names):
        raise QueryError(Message("error.query.sortby_twice"))
    return out


def gpkg_mtime(path: Path | str | None = None) -> float:
    """Modification time of the GeoPackage served (for Last-Modified / ETag)."""
    return os.stat(Path(path or paths.gpkg_path())).st_mtime
