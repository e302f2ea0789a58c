"""Spatial questions about the units: distances, constraints, neighbours, works.

Pure functions: GeoDataFrames (WGS84) in, GeoDataFrames / Series out.  Every
distance and length is measured in UTM 48N (:data:`geo.crs.METRIC`) and
reported in kilometres, never in degrees.

Constraints
    :func:`near_border`, :func:`near_roads`, :func:`near_point`,
    :func:`intersecting`, :func:`in_district` and :func:`with_status` each
    return a :class:`Constraint`: a boolean mask over the units (indexed by
    ``gso_code``) and, for the distance constraints, each unit's distance
    in km.  :func:`geo.analysis.targeting.rank` applies them.
Relations
    :func:`neighbours` (rook: a shared boundary *line*, not a corner),
    :func:`nearest_works`, :func:`communes_without_work`.
Parsing
    :func:`parse_bbox`, :func:`parse_point`, :func:`parse_geometry` turn
    user text into numbers / shapely geometries, or raise ``ValueError``
    with a message fit for an HTTP 400.

Example
-------
>>> import geopandas as gpd
>>> from shapely.geometry import box, LineString
>>> sq = gpd.GeoDataFrame({"gso_code": ["1", "2"]},
...     geometry=[box(800000, 1600000, 810000, 1610000), box(820000, 1600000, 830000, 1610000)],
...     crs=METRIC).to_crs(WGS84)
>>> line = gpd.GeoSeries([LineString([(800000, 1600000), (800000, 1610000)])], crs=METRIC)
>>> distance_to(sq, line).round(3).tolist()
[0.0, 20.0]
>>> parse_point("point:107.9,14.35")
(107.9, 14.35)
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from shapely.geometry import Point, shape

from geo.crs import METRIC, WGS84
from geo.units import names as vnames
from geo.units.border import flag_border_communes

COUNTRIES = ("LAO", "KHM")
NEAR_KINDS = ("border", "roads", "point")
WORK_KINDS = ("electrification", "poverty_model", "road", "other")

MAX_GEOMETRY_CHARS = 1_000_000  # text of a WKT / GeoJSON geometry
MAX_VERTICES = 10_000
MAX_WITHIN_KM = 1000.0
MIN_SHARED_KM = 0.01  # neighbours share at least 10 m of boundary (not a corner)
EPS_KM = 1e-6  # 1 mm: distances are compared with this slack (float noise)

# ``status=`` values beside the catalogue's flag indicators (kind ``flag``).
STATUSES = {
    "p135": "commune in Program 135 (the 2016 list or the 2017–2020 list)",
    "border": "unit on the international border (Laos or Cambodia)",
    "poor_district": "in a poor district under NQ 30a (poor_district_30a)",
}
STATUS_ALIASES = {"on_border": "border", "30a": "poor_district", "p135_any": "p135"}
STATUS_FLAGS = {"p135": ("p135_2016", "p135_2017_2020"), "poor_district": ("poor_district_30a",)}
PRECISE = ("commune", "village")  # works placed at a commune's point: usable for distances


@dataclass(frozen=True)
class Constraint:
    """One filter over the units.

    ``mask``: bool per unit, indexed by ``gso_code``; ``distance_km``: the
    distance each unit lies from the constraint's target (None for
    non-distance filters); ``label``: a short description for query echoes.
    """

    label: str
    mask: pd.Series
    distance_km: pd.Series | None = field(default=None, compare=False)


# --------------------------------------------------------------------------
# geometry helpers


def metric_geoms(gdf: gpd.GeoDataFrame | gpd.GeoSeries) -> np.ndarray:
    """The geometries in UTM 48N, as a shapely array (WGS84 assumed if no CRS)."""
    geo = gdf.geometry if isinstance(gdf, gpd.GeoDataFrame) else gdf
    if geo.crs is None:
        geo = geo.set_crs(WGS84)
    return np.asarray(geo.to_crs(METRIC).values, dtype=object)


def to_metric(
    targets: gpd.GeoDataFrame | gpd.GeoSeries | shapely.Geometry | Iterable[shapely.Geometry],
) -> shapely.Geometry:
    """One metric geometry (the union) of ``targets``.

    ``targets``: a GeoDataFrame / GeoSeries (any CRS; WGS84 if none), a
    shapely geometry or a list of them (WGS84 lon/lat).
    """
    if isinstance(targets, (gpd.GeoDataFrame, gpd.GeoSeries)):
        geoms = metric_geoms(targets)
    else:
        if isinstance(targets, shapely.Geometry):
            targets = [targets]
        geoms = metric_geoms(gpd.GeoSeries(list(targets), crs=WGS84))
    geoms = [g for g in geoms if g is not None and not g.is_empty]
    if not geoms:
        raise ValueError("no target geometry to measure the distance to")
    return shapely.union_all(geoms)


def by_code(units: gpd.GeoDataFrame, values: np.ndarray | pd.Series | Sequence[object]) -> pd.Series:
    """``values`` (one per unit, in order) as a Series indexed by the units' ``gso_code``."""
    return pd.Series(np.asarray(values), index=pd.Index(units["gso_code"].astype(str), name="gso_code"))


def distance_to(
    units: gpd.GeoDataFrame,
    target_geoms: gpd.GeoDataFrame | gpd.GeoSeries | shapely.Geometry | Iterable[shapely.Geometry],
    metric: np.ndarray | None = None,
) -> pd.Series:
    """Distance in km (UTM 48N) from each unit to the nearest target geometry.

    0 when the unit touches or intersects a target.  Indexed like ``units``.
    ``metric`` may pass the units' geometries already in UTM 48N (cached).

    >>> import geopandas as gpd
    >>> from shapely.geometry import box
    >>> u = gpd.GeoDataFrame(geometry=[box(0, 0, 1000, 1000)], crs=METRIC)
    >>> float(distance_to(u, gpd.GeoSeries([Point(4000, 5000)], crs=METRIC)).iloc[0])
    5.0
    """
    geoms = metric_geoms(units) if metric is None else metric
    target = to_metric(target_geoms)
    dist = shapely.distance(geoms, target) / 1000.0
    return pd.Series(dist, index=units.index, name="distance_km")


def check_within_km(within_km: float | str) -> float:
    """``within_km`` as a number of km in [0, MAX_WITHIN_KM] (raises ``ValueError`` saying why)."""
    try:
        value = float(within_km)
    except (TypeError, ValueError):
        raise ValueError(f"within_km must be a number of kilometres, got {within_km!r}") from None
    if not math.isfinite(value) or value < 0:
        raise ValueError(f"within_km must be a finite number ≥ 0, got {within_km!r}")
    if value > MAX_WITHIN_KM:
        raise ValueError(f"within_km must be at most {MAX_WITHIN_KM:g} km, got {within_km!r}")
    return value


def check_country(country: str | None) -> str | None:
    """The ISO code of a border country (``lao`` → ``LAO``), None for any (raises ``ValueError``)."""
    if country is None or country == "":
        return None
    code = str(country).strip().upper()
    if code not in COUNTRIES:
        raise ValueError(f"unknown country {country!r}; expected one of {', '.join(COUNTRIES)}")
    return code


def border_distances(
    units: gpd.GeoDataFrame, border: gpd.GeoDataFrame, metric: np.ndarray | None = None
) -> pd.DataFrame:
    """Distance in km from each unit to each country's border line and to any (``any``).

    Indexed like ``units``; columns ``LAO``, ``KHM``, ``any`` (slow on the
    real polygons, about a second: callers cache it).
    """
    geoms = metric_geoms(units) if metric is None else metric
    out = pd.DataFrame(index=units.index)
    for code in COUNTRIES:
        lines = border[border["country"] == code]
        out[code] = distance_to(units, lines, geoms) if len(lines) else np.inf
    out["any"] = out[list(COUNTRIES)].min(axis=1)
    return out


def centre_distances(units: gpd.GeoDataFrame, border: gpd.GeoDataFrame, country: str | None = None) -> pd.Series:
    """Distance in km (UTM 48N) from a point inside each unit (its representative point) to the border.

    Unlike the units' own distance (0 for every unit whose outline runs along
    the border), this says how far a unit's interior lies from the border
    line of ``country`` (LAO / KHM; None: either).  Indexed like ``units``.

    >>> from shapely.geometry import LineString, box
    >>> u = gpd.GeoDataFrame(geometry=[box(0, 0, 4000, 2000)], crs=METRIC)
    >>> b = gpd.GeoDataFrame({"country": ["LAO"]}, geometry=[LineString([(0, -1), (0, 3000)])], crs=METRIC)
    >>> float(centre_distances(u, b).iloc[0]), float(distance_to(u, b).iloc[0])
    (2.0, 0.0)
    """
    code = check_country(country)
    lines = border if code is None else border[border["country"] == code]
    if not len(lines):
        return pd.Series(np.nan, index=units.index, name="centre_to_border_km")
    points = shapely.point_on_surface(metric_geoms(units))
    dist = np.round(shapely.distance(points, to_metric(lines)) / 1000.0, 3)
    return pd.Series(dist, index=units.index, name="centre_to_border_km")


def ensure_border_flags(units: gpd.GeoDataFrame, border: gpd.GeoDataFrame | None) -> gpd.GeoDataFrame:
    """``units`` with ``on_border`` / ``border_countries`` (computed when missing)."""
    if {"on_border", "border_countries"} <= set(units.columns):
        return units
    if border is None:
        raise ValueError("units carry no on_border flags and no border lines were given")
    return flag_border_communes(units, border)


def district_border_flags(districts: gpd.GeoDataFrame, communes: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Districts with ``on_border``, ``border_countries`` and ``border_km`` from their communes."""
    out = districts.copy()
    grp = communes.groupby("district_code")
    countries = grp["border_countries"].agg(lambda s: ";".join(sorted({c for v in s for c in str(v).split(";") if c})))
    out["border_km"] = (
        out["gso_code"].map(grp["border_km"].sum()).fillna(0.0).round(2) if "border_km" in communes.columns else 0.0
    )
    out["on_border"] = out["gso_code"].map(grp["on_border"].any()).fillna(False).astype(bool)
    out["border_countries"] = out["gso_code"].map(countries).fillna("").astype(str)
    return out


# --------------------------------------------------------------------------
# constraints


def near_border(
    units: gpd.GeoDataFrame,
    within_km: float = 0.0,
    country: str | None = None,
    border: gpd.GeoDataFrame | None = None,
    distances: pd.DataFrame | None = None,
) -> Constraint:
    """Units within ``within_km`` of the international border (of ``country``).

    ``within_km=0`` means *on* the border: the unit's boundary runs along
    the border line (the ``on_border`` / ``border_countries`` flags, 50 m
    tolerance, at least 0.5 km shared — a unit touching a border only at a
    point is not on it).  Above 0 a unit qualifies when it is on the border
    or its distance (UTM 48N) is at most ``within_km``.  ``distances``:
    precomputed :func:`border_distances` (else ``border`` is measured).
    """
    within = check_within_km(within_km)
    code = check_country(country)
    flagged_units = ensure_border_flags(units, border)
    countries = flagged_units["border_countries"].fillna("").astype(str).str.split(";")
    if code is None:
        flags = flagged_units["on_border"].astype(bool)
    else:
        flags = countries.map(lambda cs: code in cs)
    if distances is None:
        if border is None:
            raise ValueError("near_border needs the border lines or precomputed distances")
        distances = border_distances(units, border)
    dist = distances[code or "any"].reindex(units.index).astype(float)
    dist = dist.where(~flags.to_numpy(), 0.0)  # on the border: distance 0 (outline within 50 m)
    mask = flags.to_numpy() if within == 0 else flags.to_numpy() | (dist.to_numpy() <= within + EPS_KM)
    where = {None: "the border", "LAO": "the border with Laos", "KHM": "the border with Cambodia"}[code]
    label = f"on {where}" if within == 0 else f"within {within:g} km of {where}"
    return Constraint(label, by_code(units, mask), by_code(units, dist.round(3)))


def near_constraint(units: gpd.GeoDataFrame, within_km: float | str, dist: pd.Series, label: str) -> Constraint:
    """The units within ``within_km`` of ``label`` given their distances ``dist`` (km, like ``units``)."""
    within = check_within_km(within_km)
    dist = dist.reindex(units.index).astype(float)
    mask = dist.to_numpy() <= within + EPS_KM
    text = f"intersecting {label}" if within == 0 else f"within {within:g} km of {label}"
    return Constraint(text, by_code(units, mask), by_code(units, dist.round(3)))


def near_roads(
    units: gpd.GeoDataFrame,
    within_km: float = 0.0,
    roads: gpd.GeoDataFrame | None = None,
    distances: pd.Series | None = None,
) -> Constraint:
    """Units within ``within_km`` of a main road (0: a road crosses or touches the unit)."""
    if distances is None:
        if roads is None:
            raise ValueError("near_roads needs the roads or precomputed distances")
        distances = distance_to(units, roads)
    return near_constraint(units, within_km, distances, "a main road")


def near_point(
    units: gpd.GeoDataFrame, lon: float, lat: float, within_km: float = 0.0, metric: np.ndarray | None = None
) -> Constraint:
    """Units within ``within_km`` of the point (lon, lat) (0: the unit contains it)."""
    check_lonlat(lon, lat)
    dist = distance_to(units, [Point(lon, lat)], metric)
    return near_constraint(units, within_km, dist, f"point {lon:g},{lat:g}")


def intersecting(units: gpd.GeoDataFrame, geom: shapely.Geometry, metric: np.ndarray | None = None) -> Constraint:
    """Units intersecting ``geom`` (a shapely polygon in WGS84), tested in UTM 48N."""
    geoms = metric_geoms(units) if metric is None else metric
    target = to_metric(geom)
    shapely.prepare(target)
    mask = shapely.intersects(target, geoms)
    return Constraint("intersecting the given polygon", by_code(units, mask))


def resolve_districts(text: str, districts: pd.DataFrame) -> list[str]:
    """District codes for ``text``: comma-separated codes ("610") or names ("Đắk Glei", "Dak Glei").

    >>> d = pd.DataFrame({"gso_code": ["610"], "name": ["Huyện Đắk Glei"]})
    >>> resolve_districts("Dak Glei", d), resolve_districts("610", d)
    (['610'], ['610'])
    """
    codes = districts["gso_code"].astype(str).tolist()
    by_fold = {}
    for code, name in zip(codes, districts["name"].astype(str)):
        by_fold.setdefault(vnames.fold(name), []).append(code)
    out: list[str] = []
    for part in str(text).split(","):
        item = part.strip()
        if not item:
            continue
        if item in codes:
            hit = [item]
        else:
            hit = by_fold.get(vnames.fold(item), [])
        if len(hit) != 1:
            valid = "; ".join(f"{c} {n}" for c, n in zip(codes, districts["name"].astype(str)))
            raise ValueError(f"unknown district {item!r}; expected a code or name: {valid}")
        if hit[0] not in out:
            out.append(hit[0])
    if not out:
        raise ValueError("district is empty; give a district code or name")
    return out


def district_column(level: str) -> str:
    """The column of ``level``'s units holding their district code.

    The 2025 communes have none: districts were abolished on 1 July 2025 and a
    2025 commune may join communes of two former districts, so ``district``
    is refused there with the reason (rank at level commune, or constrain by
    ``intersects``/``bbox``).

    >>> district_column("commune"), district_column("district")
    ('district_code', 'gso_code')
    >>> district_column("commune_2025")
    Traceback (most recent call last):
    ...
    ValueError: district does not apply to level commune_2025: districts were abolished on 1 July 2025 and the 2025 communes have none (use level=commune or district, or intersects=/bbox= for an area)
    """
    if level == "commune":
        return "district_code"
    if level == "district":
        return "gso_code"
    raise ValueError(
        f"district does not apply to level {level}: districts were abolished on 1 July 2025 and the 2025 "
        "communes have none (use level=commune or district, or intersects=/bbox= for an area)"
    )


def in_district(units: gpd.GeoDataFrame, district: str, districts: pd.DataFrame, level: str = "commune") -> Constraint:
    """Units in the district(s) named by ``district`` (codes or names, comma-separated)."""
    column = district_column(level)
    codes = resolve_districts(district, districts)
    mask = units[column].astype(str).isin(codes).to_numpy()
    names = districts.set_index(districts["gso_code"].astype(str))["name"]
    return Constraint("in " + ", ".join(str(names[c]) for c in codes), by_code(units, mask))


def _flag_rows(obs: pd.DataFrame, indicators: tuple[str, ...]) -> pd.DataFrame:
    rows = obs[obs["indicator"].isin(indicators)]
    note = rows["note"].fillna("").astype(str) if "note" in rows else pd.Series("", index=rows.index)
    rows = rows[~note.str.startswith("alternative:")]
    value = pd.to_numeric(rows["value"], errors="coerce")
    return rows[value.isna() | (value != 0)]


def status_names(catalogue: pd.DataFrame | None = None) -> list[str]:
    """Valid ``status`` values: the built-in ones and every flag indicator of the catalogue."""
    out = list(STATUSES)
    if catalogue is not None:
        cat = catalogue.reset_index() if "id" not in catalogue.columns else catalogue
        out += sorted(str(i) for i in cat.loc[cat["kind"] == "flag", "id"] if str(i) not in out)
    return out


def with_status(
    units: gpd.GeoDataFrame,
    status: str,
    obs: pd.DataFrame | None = None,
    level: str = "commune",
    catalogue: pd.DataFrame | None = None,
) -> Constraint:
    """Units having every status in ``status`` (comma-separated; ``!x`` negates).

    ``p135`` (either Program 135 list), ``border`` (``on_border``),
    ``poor_district`` (``poor_district_30a``), or any flag indicator of the
    catalogue (``p135_2016``, ``p135_2017_2020``, ``ntm_recognised``,
    ``poor_district_qd275`` …): a unit has it when the observations hold a
    non-zero row for it at its level.  District flags apply to a district's
    communes; commune flags cannot select districts.  A 2025 commune has a
    flag when its carried value (:mod:`geo.indicators.carry`, e.g. ``any``
    for Program 135) is non-zero; 2020 district flags cannot select 2025
    communes (they have no district).
    """
    valid = status_names(catalogue)
    if catalogue is None and obs is not None:  # no catalogue: any indicator of the observations
        valid += sorted(set(obs["indicator"].astype(str)) - set(valid))
    mask = np.ones(len(units), dtype=bool)
    labels = []
    items = [s.strip() for s in str(status).split(",") if s.strip()]
    if not items:
        raise ValueError(f"status is empty; expected one of {', '.join(valid)}")
    for item in items:
        negate = item.startswith("!")
        key = item[1:].strip().lower() if negate else item.lower()
        key = STATUS_ALIASES.get(key, key)
        if key not in valid:
            raise ValueError(
                f"unknown status {item!r}; expected one of {', '.join(valid)} "
                f"(comma-separated; prefix with ! to negate)"
            )
        if key == "border":
            hit = units["on_border"].astype(bool).to_numpy()
        else:
            rows = _flag_rows(_need_obs(obs), STATUS_FLAGS.get(key, (key,)))
            hit = np.zeros(len(units), dtype=bool)
            for unit_level, grp in rows.groupby("unit_level"):
                codes = set(grp["gso_code"].astype(str))
                if unit_level == level:
                    hit |= units["gso_code"].astype(str).isin(codes).to_numpy()
                elif unit_level == "district" and level == "commune":
                    hit |= units["district_code"].astype(str).isin(codes).to_numpy()
                elif unit_level == "commune" and level == "district":
                    raise ValueError(f"status {key} marks communes; it cannot select districts (use level=commune)")
                elif unit_level == "district" and level == "commune_2025":
                    raise ValueError(
                        f"status {key} marks 2020 districts; the 2025 communes have no district "
                        "(use level=commune or district)"
                    )
        mask &= ~hit if negate else hit
        labels.append(("not " if negate else "") + key)
    return Constraint("status " + ", ".join(labels), by_code(units, mask))


def _need_obs(obs):
    if obs is None:
        raise ValueError("this status needs the observations table")
    return obs


# --------------------------------------------------------------------------
# relations


def _find(units: gpd.GeoDataFrame, gso_code: str) -> int:
    codes = units["gso_code"].astype(str).to_numpy()
    hits = np.flatnonzero(codes == str(gso_code))
    if len(hits) != 1:
        raise KeyError(f"no unit with gso_code {gso_code!r}")
    return int(hits[0])


def neighbours(
    units: gpd.GeoDataFrame, gso_code: str, metric: np.ndarray | None = None, min_shared_km: float = MIN_SHARED_KM
) -> gpd.GeoDataFrame:
    """Units sharing a boundary line with ``gso_code`` (rook, not a corner), with ``shared_km``.

    Sorted by shared length (longest first), then gso_code.  Raises
    ``KeyError`` for an unknown code.
    """
    i = _find(units, gso_code)
    geoms = metric_geoms(units) if metric is None else metric
    me = geoms[i]
    cand = np.flatnonzero(shapely.intersects(me, geoms))
    cand = cand[cand != i]
    shared = shapely.length(shapely.intersection(shapely.boundary(me), shapely.boundary(geoms[cand]))) / 1000.0
    keep = shared >= min_shared_km
    out = units.iloc[cand[keep]].copy()
    out["shared_km"] = np.round(shared[keep], 3)
    return out.sort_values(["shared_km", "gso_code"], ascending=[False, True]).reset_index(drop=True)


def nearest_works(
    units: gpd.GeoDataFrame,
    works: gpd.GeoDataFrame,
    gso_code: str,
    n: int = 5,
    kind: str | None = None,
    metric: np.ndarray | None = None,
    precisions: tuple[str, ...] | None = PRECISE,
) -> gpd.GeoDataFrame:
    """The ``n`` works nearest to commune ``gso_code`` with ``distance_km`` (0 inside it).

    Only works whose ``location_precision`` is in ``precisions`` count
    (default: placed at a commune or village; works known only by district
    or province sit at an arbitrary point, so a distance to them means
    nothing; ``None`` keeps all).  Sorted by distance, then ``work_id``.
    Raises ``KeyError`` for an unknown commune, ``ValueError`` for a bad
    ``n`` or ``kind``.
    """
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 1:
        raise ValueError(f"n must be a whole number ≥ 1, got {n!r}")
    i = _find(units, gso_code)
    geoms = metric_geoms(units) if metric is None else metric
    works = _works_of_kind(works, kind, precisions)
    dist = shapely.distance(geoms[i], metric_geoms(works)) / 1000.0
    out = works.copy()
    out["distance_km"] = np.round(dist, 3)
    out = out.sort_values(["distance_km", "work_id"], kind="stable").head(int(n))
    return out.reset_index(drop=True)


def _works_of_kind(
    works: gpd.GeoDataFrame, kind: str | None, precisions: tuple[str, ...] | None = PRECISE
) -> gpd.GeoDataFrame:
    """Works of ``kind`` (all kinds if None) located at one of ``precisions``, with a geometry."""
    works = works[works.geometry.notna() & ~works.geometry.is_empty]
    if precisions is not None and "location_precision" in works.columns:
        works = works[works["location_precision"].isin(precisions)]
    if kind is None or kind == "":
        return works
    kinds = sorted(set(WORK_KINDS) | set(works["kind"].dropna().astype(str)))
    if kind not in kinds:
        raise ValueError(f"unknown kind {kind!r}; expected one of {', '.join(kinds)}")
    return works[works["kind"] == kind]


def communes_without_work(
    units: gpd.GeoDataFrame,
    works: gpd.GeoDataFrame,
    within_km: float,
    kind: str | None = None,
    metric: np.ndarray | None = None,
    precisions: tuple[str, ...] | None = PRECISE,
) -> gpd.GeoDataFrame:
    """Units with no work (of ``kind``) within ``within_km`` km (0: none inside the unit).

    Adds ``nearest_work_km`` (NaN when there is no such work at all) and
    ``nearest_work_id``; sorted by gso_code.  ``precisions`` as in
    :func:`nearest_works`.
    """
    within = check_within_km(within_km)
    works = _works_of_kind(works, kind, precisions)
    geoms = metric_geoms(units) if metric is None else metric
    out = units.copy()
    if len(works) == 0:
        out["nearest_work_km"] = np.nan
        out["nearest_work_id"] = None
        return out.sort_values("gso_code").reset_index(drop=True)
    wgeoms = metric_geoms(works)
    tree = shapely.STRtree(wgeoms)
    (src, dst), dist = tree.query_nearest(geoms, return_distance=True, all_matches=True)
    best = (
        pd.DataFrame({"src": src, "work_id": works["work_id"].astype(str).to_numpy()[dst], "d": dist / 1000.0})
        .sort_values(["src", "d", "work_id"])
        .drop_duplicates("src")
    )
    best = best.set_index("src")
    pos = np.arange(len(units))
    out["nearest_work_km"] = best["d"].reindex(pos).round(3).to_numpy()
    out["nearest_work_id"] = best["work_id"].reindex(pos).to_numpy()
    keep = ~(out["nearest_work_km"].to_numpy() <= within + EPS_KM)
    return out[keep].sort_values("gso_code").reset_index(drop=True)


# --------------------------------------------------------------------------
# parsing

_NUMBER = r"[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?"


def check_lonlat(lon: float, lat: float) -> None:
    """Raise ``ValueError`` unless ``lon``, ``lat`` are finite WGS84 coordinates in range."""
    if not (math.isfinite(lon) and math.isfinite(lat)):
        raise ValueError("coordinates must be finite numbers")
    if not (-180.0 <= lon <= 180.0 and -90.0 <= lat <= 90.0):
        raise ValueError(
            f"coordinates out of range: lon {lon:g} must be in [-180, 180], "
            f"lat {lat:g} in [-90, 90] (WGS84 lon,lat order)"
        )


def _numbers(text: str, count: int, what: str, example: str) -> list[float]:
    parts = [p.strip() for p in str(text).split(",")]
    if len(parts) != count or not all(re.fullmatch(_NUMBER, p) for p in parts):
        raise ValueError(f"malformed {what} {text!r}; expected {example}")
    return [float(p) for p in parts]


def parse_point(text: str) -> tuple[float, float]:
    """``"point:LON,LAT"`` (WGS84) → (lon, lat).

    >>> parse_point("point:107.95, 14.7")
    (107.95, 14.7)
    """
    example = "point:LON,LAT in WGS84, e.g. point:107.95,14.35"
    raw = str(text).strip()
    if not raw.lower().startswith("point:"):
        raise ValueError(f"malformed point {text!r}; expected {example}")
    lon, lat = _numbers(raw[len("point:") :], 2, "point", example)
    check_lonlat(lon, lat)
    return lon, lat


def parse_bbox(text: str) -> tuple[float, float, float, float]:
    """``"minlon,minlat,maxlon,maxlat"`` (WGS84) → a tuple.

    >>> parse_bbox("107.3,13.9,108.6,15.4")
    (107.3, 13.9, 108.6, 15.4)
    """
    example = "minLon,minLat,maxLon,maxLat in WGS84, e.g. 107.3,13.9,108.6,15.4"
    x0, y0, x1, y1 = _numbers(text, 4, "bbox", example)
    check_lonlat(x0, y0)
    check_lonlat(x1, y1)
    if not (x0 < x1 and y0 < y1):
        raise ValueError(f"empty bbox {text!r}: min must be below max ({example})")
    return x0, y0, x1, y1


def parse_geometry(text: str | dict[str, Any]) -> shapely.Geometry:
    """A WKT or GeoJSON (geometry or Feature) (Multi)Polygon in WGS84 → shapely.

    Accepts a string or an already-decoded GeoJSON mapping.  Rejects (with
    ``ValueError``) text over :data:`MAX_GEOMETRY_CHARS`, more than
    :data:`MAX_VERTICES` vertices, other geometry types, coordinates outside
    lon/lat range and invalid polygons (with the reason).

    >>> parse_geometry("POLYGON ((107 14, 108 14, 108 15, 107 14))").geom_type
    'Polygon'
    >>> parse_geometry('{"type": "Polygon", "coordinates": [[[107, 14], [108, 14], [108, 15], [107, 14]]]}').area
    0.5
    """
    if isinstance(text, dict):
        geom = _from_geojson(text)
    else:
        if not isinstance(text, str):
            raise ValueError("geometry must be WKT or GeoJSON text")
        raw = text.strip()
        if not raw:
            raise ValueError("geometry is empty; expected WKT or GeoJSON")
        if len(raw) > MAX_GEOMETRY_CHARS:
            raise ValueError(f"geometry text too large ({len(raw)} characters; at most {MAX_GEOMETRY_CHARS})")
        if raw.startswith("{"):
            try:
                data = json.loads(raw)
            except (ValueError, RecursionError) as exc:
                raise ValueError(f"malformed GeoJSON: {exc}") from None
            geom = _from_geojson(data)
        else:
            geom = _from_wkt(raw)
    return _validate_polygon(geom)


def _from_wkt(raw: str):
    m = re.match(r"(?i)^SRID=(\d+);", raw)
    if m:
        if m.group(1) != "4326":
            raise ValueError(f"geometry must be in WGS84 (SRID=4326), got SRID={m.group(1)}")
        raw = raw[m.end() :]
    try:
        return shapely.from_wkt(raw)
    except Exception as exc:  # shapely.errors.GEOSException and friends
        msg = str(exc).split("\n")[0][:200]
        raise ValueError(f"malformed WKT: {msg}; expected e.g. POLYGON ((107 14, 108 14, 108 15, 107 14))") from None


def _from_geojson(data):
    if not isinstance(data, dict) or "type" not in data:
        raise ValueError('malformed GeoJSON: expected an object with a "type" member')
    kind = data.get("type")
    if kind == "Feature":
        data = data.get("geometry")
        if not isinstance(data, dict):
            raise ValueError("malformed GeoJSON: the Feature has no geometry")
        kind = data.get("type")
    if kind == "FeatureCollection":
        raise ValueError("send one Polygon / MultiPolygon geometry or Feature, not a FeatureCollection")
    if kind not in ("Polygon", "MultiPolygon"):
        raise ValueError(f"geometry must be a Polygon or MultiPolygon, got {kind!r}")
    if "crs" in data or "crs" in (data.get("properties") or {}):
        crs = json.dumps(data.get("crs"))
        if "4326" not in crs and "CRS84" not in crs:
            raise ValueError("geometry must be in WGS84 lon/lat (RFC 7946); other CRS are not accepted")
    try:
        return shape(data)
    except RecursionError:
        raise ValueError("malformed GeoJSON coordinates: nested too deep") from None
    except Exception as exc:
        raise ValueError(f"malformed GeoJSON coordinates: {str(exc)[:200]}") from None


def _validate_polygon(geom):
    if geom is None or geom.is_empty:
        raise ValueError("geometry is empty")
    if geom.geom_type not in ("Polygon", "MultiPolygon"):
        raise ValueError(f"geometry must be a Polygon or MultiPolygon, got {geom.geom_type}")
    n = int(shapely.get_num_coordinates(geom))
    if n > MAX_VERTICES:
        raise ValueError(f"geometry has {n} vertices; at most {MAX_VERTICES} are accepted (simplify it)")
    geom = shapely.force_2d(geom)
    coords = shapely.get_coordinates(geom)
    if not np.isfinite(coords).all():
        raise ValueError("geometry coordinates must be finite numbers")
    if (np.abs(coords[:, 0]) > 180).any() or (np.abs(coords[:, 1]) > 90).any():
        raise ValueError(
            "geometry coordinates out of WGS84 range (lon in [-180, 180], lat in [-90, 90]); "
            "send lon,lat degrees, not metres"
        )
    if not shapely.is_valid(geom):
        reason = shapely.is_valid_reason(geom)
        raise ValueError(f"invalid polygon: {reason} (rings must close and not cross themselves)")
    if geom.area == 0:
        raise ValueError("polygon has no area")
    return geom
