"""The real figures: indicator catalogue, observations and works.

Three tables in ``data/indicators/`` (see ``data/README.md``):

``catalogue.csv``
    one row per indicator id: names (vi / en), unit, polarity, kind,
    poverty standard, descriptions, and ``carry``: how the indicator carries
    from the 2020 communes to their district and 2025 commune
    (:mod:`geo.indicators.carry`).
``observations.csv``
    every real figure in long format, one row per (unit, indicator, year,
    source), with ``qualifier`` (``=``, ``>``, ``<``, ``~``), ``status``
    (``official``, ``reported``, ``derived``) and ``source``.  Rows whose
    ``note`` starts with ``alternative:`` are a second source for a figure
    and are never drawn.
``works.csv``
    electrification works, poverty-model projects and other works with the
    commune (or district) they belong to.  No coordinates are known, so
    :func:`load_works` places each at its unit's representative point and
    keeps ``location_precision`` so the map can say so.

Example
-------
>>> obs, cat = load_observations(), load_catalogue()
>>> validate_catalogue(obs, cat)
[]
>>> s = primary(obs)
>>> s = s[(s.indicator == "poor_rate") & (s.gso_code == "62") & s.year.between(2015, 2020)]
>>> s.sort_values("year")["value"].tolist()
[26.11, 23.03, 21.37, 17.29, 13.62, 10.29]
"""

from __future__ import annotations

from collections.abc import Iterable

import geopandas as gpd
import pandas as pd
from shapely.geometry import Point

from geo import paths
from geo.crs import WGS84
from geo.indicators import carry
from geo.units import boundaries as units
from geo.units import levels as unit_levels

STATUSES = ("official", "reported", "derived")
QUALIFIERS = ("=", ">", "<", "~")
#: The unit levels a figure can be given at (:mod:`geo.units.levels`).
LEVELS = unit_levels.NAMES
PROVINCE_CODE = "62"
KEY = ["unit_level", "gso_code", "indicator", "year", "standard"]
#: The columns of the observations table, in order (one list: :data:`geo.indicators.carry.OBS_FIELDS`).
OBS_COLUMNS = list(carry.OBS_FIELDS)
ALTERNATIVE = "alternative:"


def _read(name: str) -> pd.DataFrame:
    return pd.read_csv(paths.indicators_dir() / name, dtype=str, keep_default_na=False)


def _blank_to_na(s: pd.Series) -> pd.Series:
    return s.mask(s.str.strip() == "")


def _extra(kind: str) -> list[pd.DataFrame]:
    """Extra tables in ``indicators/extra/``: ``*.catalogue.csv`` or other ``*.csv`` observations.

    Indicators added without code (e.g. zonal statistics of a raster,
    ``python -m geo zonal … --indicator ID``) land there.
    """
    folder = paths.indicators_dir() / "extra"
    files = sorted(folder.glob("*.csv")) if folder.is_dir() else []
    want = [f for f in files if f.name.endswith(".catalogue.csv") == (kind == "catalogue")]
    return [pd.read_csv(f, dtype=str, keep_default_na=False) for f in want]


def load_catalogue() -> pd.DataFrame:
    """The indicator catalogue, indexed by ``id`` (``extra/*.catalogue.csv`` included).

    >>> load_catalogue().loc["poor_rate", ["name_vi", "unit", "polarity"]].tolist()
    ['Tỷ lệ hộ nghèo', '%', 'higher_worse']
    """
    cat = pd.concat([_read("catalogue.csv"), *_extra("catalogue")], ignore_index=True)
    dup = cat["id"][cat["id"].duplicated()].tolist()
    if dup:
        raise ValueError(f"indicator ids catalogued twice: {dup}")
    return cat.set_index("id")


def load_observations() -> pd.DataFrame:
    """Every real figure: ``gso_code`` str, ``year`` nullable Int64, ``value`` float.

    >>> obs = load_observations()
    >>> str(obs["year"].dtype), str(obs["value"].dtype)
    ('Int64', 'float64')
    """
    obs = pd.concat([_read("observations.csv"), *_extra("observations")], ignore_index=True)
    obs["year"] = pd.to_numeric(_blank_to_na(obs["year"])).astype("Int64")
    obs["value"] = pd.to_numeric(obs["value"]).astype(float)
    return obs


def is_alternative(obs: pd.DataFrame) -> pd.Series:
    """True for rows kept only for reference (note starts with ``alternative:``)."""
    return obs["note"].fillna("").astype(str).str.startswith(ALTERNATIVE)


def primary(obs: pd.DataFrame) -> pd.DataFrame:
    """The rows that stand for a figure (alternatives dropped)."""
    return obs[~is_alternative(obs)]


def _unit_points() -> dict[str, dict[str, Point]]:
    communes, districts = units.load_communes(), units.load_districts()
    province = districts.geometry.union_all().representative_point()
    return {
        "commune": dict(zip(communes["gso_code"], communes.representative_point())),
        "district": dict(zip(districts["gso_code"], districts.representative_point())),
        "province": {PROVINCE_CODE: province},
    }


def load_works() -> gpd.GeoDataFrame:
    """Works as WGS84 points.

    A work with ``lon``/``lat`` is placed there; otherwise at the
    representative point of its commune (``gso_code``), else of its district
    (``district_code``), else of the province.  ``location_precision`` says
    which (``village``, ``commune``, ``district``, ``province``); ``lon`` and
    ``lat`` are the coordinates of the point drawn.

    >>> works = load_works()
    >>> works.crs.to_epsg(), works.loc[works.work_id == "elec-2015-23537", "location_precision"].item()
    (4326, 'commune')
    >>> bool(works[["lon", "lat"]].notna().all().all()), bool((works.geometry.x.round(6) == works.lon).all())
    (True, True)
    """
    works = _read("works.csv")
    pts = _unit_points()
    geoms = []
    for w in works.itertuples():
        if w.lon and w.lat:
            geoms.append(Point(float(w.lon), float(w.lat)))
        elif w.gso_code:
            geoms.append(pts["commune"][w.gso_code])
        elif w.district_code:
            geoms.append(pts["district"][w.district_code])
        else:
            geoms.append(pts["province"][PROVINCE_CODE])
    for col in ("lon", "lat", "households", "line_mv_km", "line_lv_km", "transformers", "budget_million_vnd"):
        works[col] = pd.to_numeric(_blank_to_na(works[col])).astype(float)
    works["year"] = pd.to_numeric(_blank_to_na(works["year"])).astype("Int64")
    out = gpd.GeoDataFrame(works, geometry=geoms, crs=WGS84)
    # lon/lat say where the point is drawn (location_precision says how precise that is).
    out["lon"] = out.geometry.x.round(6)
    out["lat"] = out.geometry.y.round(6)
    return out


def validate_catalogue(obs: pd.DataFrame, cat: pd.DataFrame, statuses: Iterable[str] = STATUSES) -> list[str]:
    """Problems in ``obs`` against the catalogue ``cat`` (empty list: all good).

    Checks: indicator ids catalogued; GSO codes known at their level; status
    and qualifier values; a non-empty source; at most one non-alternative
    row per (unit_level, gso_code, indicator, year, standard); the carry
    rules (:func:`geo.indicators.carry.rule_problems`: known rules, rates whose
    parts are catalogued).

    >>> cat = pd.DataFrame({"carry": ["rate:poor_households/households"]},
    ...     index=pd.Index(["poor_rate"], name="id"))
    >>> bad = pd.DataFrame({"unit_level": ["commune"], "gso_code": ["99999"], "indicator": ["x"],
    ...     "year": [2020], "qualifier": ["="], "standard": [""], "status": ["guess"],
    ...     "source": ["s"], "note": [""]})
    >>> len(validate_catalogue(bad, cat))
    4
    """
    problems: list[str] = carry.rule_problems(cat)
    unknown = sorted(set(obs["indicator"]) - set(cat.index))
    if unknown:
        problems.append(f"indicators not in the catalogue: {unknown}")
    known = {
        "province": {PROVINCE_CODE},
        "district": set(units.load_districts()["gso_code"]),
        "commune": set(units.load_communes()["gso_code"]),
        "commune_2025": set(units.load_communes_2025()["gso_code"]),
    }
    for level in sorted(set(obs["unit_level"])):
        codes = set(obs.loc[obs["unit_level"] == level, "gso_code"].astype(str))
        bad = sorted(codes - known.get(level, set()))
        if bad:
            problems.append(f"unknown {level} codes: {bad[:10]}")
    bad_status = sorted(set(obs["status"]) - set(statuses))
    if bad_status:
        problems.append(f"bad status values: {bad_status}")
    bad_q = sorted(set(obs["qualifier"]) - set(QUALIFIERS))
    if bad_q:
        problems.append(f"bad qualifier values: {bad_q}")
    nosource = int((obs["source"].fillna("").astype(str).str.strip() == "").sum())
    if nosource:
        problems.append(f"{nosource} rows without a source")
    prim = primary(obs).astype({"year": "string"}).fillna({"year": ""})
    dup = prim[prim.duplicated(KEY, keep=False)]
    if not dup.empty:
        keys = sorted({tuple(map(str, k)) for k in dup[KEY].itertuples(index=False)})
        problems.append(f"{len(keys)} keys with several non-alternative rows, e.g. {keys[:3]}")
    return problems
