"""Targeting API: rank units under spatial constraints; neighbours; works.

Routes
------
``GET|POST /targets``
    Rank communes (or districts) on one indicator or a weighted set, under
    constraints.  Parameters (query string; with POST also a JSON object
    body holding the same names, or a bare GeoJSON geometry / Feature used
    as ``intersects``):

    ``level`` commune|district|commune_2025 (the 40 communes of 1 July
    2025; ``district`` does not apply there) · ``indicator`` one id · ``weights``
    ``id:w,id:w`` · ``year`` · ``standard`` the poverty standard
    (2011-2015 | 2016-2020 | 2022-2025; default: the year's, or the default
    period's — the same year and standard at every level; a year must agree
    with it) · ``near`` border|roads|point:LON,LAT ·
    ``country`` LAO|KHM (implies near=border) · ``within_km`` ≥ 0 (with
    near; default 0 = on the border / crossed by a road / containing the
    point) · ``intersects`` WKT or GeoJSON polygon (WGS84) · ``bbox``
    minLon,minLat,maxLon,maxLat · ``district`` codes or names · ``status``
    p135, border, poor_district, any flag indicator, ``!x`` negates ·
    ``top`` 1..500 · ``lang`` vi|en · ``f`` json (default) | geojson | csv
    | xlsx | gpkg | shp | kml | profiles (the units' profiles, one PDF
    page each) · ``geometry`` wkt|latlon|none (csv, xlsx;
    json: none → null geometries, a small fast answer for tables).

    ``f=json``: a GeoJSON FeatureCollection with ``query`` (the request as
    understood), ``count``, ``matched``, ``missing_count``, ``synthetic``
    and ``metadata`` (sources, synthetic note, CRS); the other formats are
    downloads (``Content-Disposition: attachment``).  Every row, in every
    format, carries ``year`` and ``standard`` (and ``<id>_year``,
    ``<id>_standard`` per indicator); a ranking never combines two poverty
    standards: indicators that would come from two are refused (400 naming both).
``GET /communes/<gso_code>/neighbours``
    Communes sharing a boundary line (``shared_km``).
``GET /communes/<gso_code>/nearest-works?n=5&kind=…``
    The nearest works with ``distance_km``.
``GET /communes/without-works?within_km=10&kind=electrification``
    Communes with no such work within ``within_km``.

Every bad parameter answers 400 with a clear message.  Data come from the
backend (:mod:`geo.backends`): the GeoPackage, where metric geometries,
border and road distances and GeoJSON geometry text are computed once per
GeoPackage version, or PostGIS (``DATABASE_URL``), where the spatial
filters run in SQL; both answer the same.
"""

from __future__ import annotations

import functools
import json
import math
import re

import geopandas as gpd
import pandas as pd
import shapely
from flask import Blueprint, Response, current_app, request

from geo import cache
from geo.analysis import query, targeting
from geo.backends.base import BackendError
from geo.indicators import standards
from geo.io import annex, export
from geo.messages import Message as M
from geo.units import levels as unit_levels

from . import context as app_context
from . import i18n, print_map, workbench
from .errors import bad_request, not_found, unavailable

bp = Blueprint("targets", __name__)

MAX_TOP = 500
MAX_N = 50
FORMATS = ("json",) + tuple(export.FORMATS)
TARGET_FORMATS = FORMATS + ("profiles",)  # /targets only: the ranked units' profiles in one PDF
LANGS = ("vi", "en")
LEVELS = targeting.LEVELS
DEFAULT_INDICATOR = "poor_rate"
NEAR_HELP = "border, roads or point:LON,LAT"
TARGET_PARAMS = (
    "level",
    "indicator",
    "weights",
    "year",
    "standard",
    "near",
    "country",
    "within_km",
    "intersects",
    "bbox",
    "district",
    "status",
    "top",
    "lang",
    "f",
    "geometry",
)
COMMON_PARAMS = ("lang", "f", "geometry")
COMMUNE_ID_COLUMNS = (
    "gso_code",
    "name",
    "unit_type",
    "district_code",
    "district_name",
    "quality_flag",
    "on_border",
    "border_countries",
)
_NUM = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")
_INT = re.compile(r"[+]?[0-9]{1,9}")
_CODE = re.compile(r"[0-9]{5}")

# --------------------------------------------------------------------------
# data: the backend's targeting source for the served version


def context():
    """The targeting source (:mod:`geo.backends`): the database when configured, else the GeoPackage."""
    try:
        return app_context.backend().targets()
    except BackendError as exc:
        raise unavailable(exc) from None


# --------------------------------------------------------------------------
# parameters


def _params(allowed: tuple[str, ...], body: dict | None = None) -> dict[str, object]:
    """The request's parameters: each once, all known (names starting with ``_`` are ignored)."""
    out: dict[str, object] = {}
    for key in request.args.keys():
        if key.startswith("_"):
            continue
        values = request.args.getlist(key)
        if key not in allowed:
            raise bad_request(M("error.targets.unknown_param", key=key, expected=", ".join(allowed)))
        if len(values) > 1:
            raise bad_request(M("error.targets.param_twice", key=key, n=len(values)))
        out[key] = values[0]
    for key, value in (body or {}).items():
        if key.startswith("_"):
            continue
        if key not in allowed:
            raise bad_request(M("error.targets.unknown_body_param", key=key, expected=", ".join(allowed)))
        if key in out:
            raise bad_request(M("error.targets.param_both", key=key))
        out[key] = value
    return out


def _text(params, key, default=None):
    value = params.get(key, default)
    if value is None:
        return None
    if isinstance(value, (dict, list)) or isinstance(value, bool):
        raise bad_request(M("error.targets.param_text", key=key, kind=type(value).__name__))
    return str(value).strip()


def _choice(params, key, choices, default):
    value = _text(params, key)
    if value is None or value == "":
        return default
    value = value.lower()
    if value not in choices:
        raise bad_request(M("error.targets.unknown_choice", key=key, got=params[key], expected=", ".join(choices)))
    return value


def _int(params, key, lo, hi, default=None):
    value = _text(params, key)
    if value is None or value == "":
        return default
    if not _INT.fullmatch(value):
        raise bad_request(M("error.targets.int_range", key=key, lo=lo, hi=hi, got=value))
    n = int(value)
    if not lo <= n <= hi:
        raise bad_request(M("error.targets.range", key=key, lo=lo, hi=hi, got=n))
    return n


def _km(params, key="within_km"):
    value = _text(params, key)
    if value is None or value == "":
        return None
    if not _NUM.fullmatch(value):
        raise bad_request(M("error.targets.km", key=key, got=value))
    km = float(value)
    if not math.isfinite(km) or km < 0:
        raise bad_request(M("error.targets.km_finite", key=key, got=value))
    if km > query.MAX_WITHIN_KM:
        raise bad_request(M("error.targets.km_max", key=key, max=f"{query.MAX_WITHIN_KM:g}", got=value))
    return km


def _body() -> dict | None:
    """The JSON body of a POST: a params object, or a bare geometry / Feature (→ ``intersects``)."""
    if request.method != "POST":
        return None
    raw = request.get_data(cache=True)
    if not raw or not raw.strip():
        return None
    if len(raw) > query.MAX_GEOMETRY_CHARS + 10_000:
        raise bad_request(M("error.targets.body_large", n=len(raw)))
    try:
        data = json.loads(raw)
    except (ValueError, RecursionError) as exc:
        raise bad_request(M("error.targets.body_json", reason=str(exc)[:200])) from None
    if not isinstance(data, dict):
        raise bad_request(M("error.targets.body_object"))
    if "type" in data:
        return {"intersects": data}
    return data


def _geometry(value):
    if isinstance(value, dict):
        return query.parse_geometry(value)
    text = _text({"intersects": value}, "intersects")
    return query.parse_geometry(text)


def _geo_call(fn, *args, **kwargs):
    try:
        return fn(*args, **kwargs)
    except ValueError as exc:
        raise bad_request(exc) from None


# --------------------------------------------------------------------------
# responses


def _respond(
    gdf: gpd.GeoDataFrame,
    fmt: str,
    name: str,
    members: dict,
    lang: str,
    geometry_text: dict | None = None,
    id_column: str | None = "gso_code",
    geometry=None,
    level: str | None = None,
    labelled: bool = False,
):
    prov = export.provenance(gdf, members.pop("metadata", {}), title=name)
    if prov["synthetic"]:
        prov["synthetic_label"] = i18n.text("targets.synthetic", lang)
    if fmt == "json":
        if geometry == "none":
            geometry_text = _NoGeometry()
        text = export.feature_collection_text(gdf, {**members, "metadata": prov}, geometry_text, id_column)
        return Response(text, mimetype="application/json")
    meta = {**prov, "query": members.get("query")}
    meta.pop("title", None)
    options = {}
    if labelled and fmt in ("csv", "xlsx", "kml"):  # headers in the reader's language, values as shown
        options = workbench.export_options(
            [c for c in gdf.columns if c != gdf.geometry.name], app_context.backend(), lang
        )
    if fmt == "xlsx":
        options["annex"] = annex_options(lang, level)
    data, mimetype, filename = _geo_call(export.export, gdf, fmt, name, metadata=meta, geometry=geometry, **options)
    resp = Response(data, content_type=mimetype)
    resp.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    return resp


def annex_options(lang: str, level: str | None = None) -> dict:
    """What the XLSX report annex needs beyond the rows: the catalogue's labels, language, level."""
    catalogue = app_context.backend().read_layer("catalogue")
    return {"labels": annex.labels_from_catalogue(catalogue), "lang": lang, "level": level}


class _NoGeometry(dict):
    """``geometry=none`` with f=json: every feature's geometry is null (a small, fast answer)."""

    def get(self, key, default=None):
        return "null"


def _common(params, formats: tuple[str, ...] = FORMATS) -> tuple[str, str, str | None]:
    default_lang = current_app.config.get("DEFAULT_LANG")
    lang = _choice(params, "lang", LANGS, default_lang if default_lang in LANGS else "vi")
    fmt = _choice(params, "f", formats, "json")
    geometry = _choice(params, "geometry", export.GEOMETRY_OPTIONS, None)
    if geometry is not None and fmt not in ("csv", "xlsx") and not (fmt == "json" and geometry == "none"):
        raise bad_request(M("error.targets.geometry_format"))
    return lang, fmt, geometry


# --------------------------------------------------------------------------
# /targets


# ---------------------------------------------------------------- answer cache
# A planner's questions repeat (the one-click "poorest border communes", the
# same download): successful GET answers are kept per data version, so a new
# upload or build is never answered from the cache.
# The cache is bounded by bytes: answers up to RESPONSE_CACHE_MAX_BYTES each (the
# Kon Tum poorest border communes with their geometry are ~570 KB; larger answers,
# big exports, are not kept), RESPONSE_CACHE_BYTES in all per process, least
# recently used out first.
RESPONSE_CACHE_BYTES = 16 * 1024 * 1024
RESPONSE_CACHE_MAX_BYTES = 2 * 1024 * 1024
#: The answers, in :mod:`geo.cache` (key: host and query, under the data version).
ANSWERS = cache.partition("answers", max_bytes=RESPONSE_CACHE_BYTES, max_item=RESPONSE_CACHE_MAX_BYTES)


def _data_version() -> cache.Version:
    return app_context.data_version()


def cached_get(view):
    """Serve a repeated GET from the cache of answers (keyed by data version, host and query)."""

    @functools.wraps(view)
    def wrapper(*args, **kwargs):
        if request.method != "GET":
            return view(*args, **kwargs)
        try:
            version = _data_version()
        except BackendError:
            return view(*args, **kwargs)
        key = (request.host, request.full_path)
        hit = ANSWERS.get(version, key)
        if hit is not None:
            return Response(hit[0], status=200, headers=hit[1])
        resp = view(*args, **kwargs)
        if resp.status_code == 200 and not resp.is_streamed:
            body = resp.get_data()
            ANSWERS.put(version, key, (body, list(resp.headers.items())), size=len(body))
        return resp

    return wrapper


@bp.route("/targets", methods=["GET", "POST"])
@cached_get
def targets():
    params = _params(TARGET_PARAMS, _body())
    lang, fmt, geometry = _common(params, TARGET_FORMATS)
    ctx = context()
    level = _choice(params, "level", LEVELS, "commune")

    indicator, weights = _text(params, "indicator"), _text(params, "weights")
    if indicator and weights:
        raise bad_request(M("error.targets.indicator_or_weights"))
    if weights:
        chosen = _geo_call(targeting.parse_weights, weights)
    else:
        chosen = {indicator or DEFAULT_INDICATOR: 1.0}
    year = _int(params, "year", 1900, 2100)
    standard = _standard(params)
    top = _int(params, "top", 1, MAX_TOP)

    constraints, echo = [], {"level": level, "indicators": chosen, "year": year}
    near = _text(params, "near")
    country = _text(params, "country")
    within = _km(params)
    if country and not near:
        near = "border"
    if within is not None and not near:
        raise bad_request(M("error.targets.within_needs_near", help=NEAR_HELP))
    if country and near != "border":
        raise bad_request(M("error.targets.country_border"))
    if near:
        km = within or 0.0
        if near == "border":
            constraints.append(_geo_call(ctx.near_border, level, km, country))
            echo.update(near="border", country=country.upper() if country else None, within_km=km)
        elif near == "roads":
            constraints.append(_geo_call(ctx.near_roads, level, km))
            echo.update(near="roads", within_km=km)
        elif near.lower().startswith("point:"):
            lon, lat = _geo_call(query.parse_point, near)
            constraints.append(_geo_call(ctx.near_point, level, lon, lat, km))
            echo.update(near=f"point:{lon:g},{lat:g}", within_km=km)
        else:
            raise bad_request(M("error.targets.unknown_near", got=near, help=NEAR_HELP))
    if "intersects" in params and params["intersects"] not in (None, ""):
        geom = _geo_call(_geometry, params["intersects"])
        constraints.append(_geo_call(ctx.intersecting, level, geom))
        echo["intersects"] = f"{geom.geom_type} ({int(shapely.get_num_coordinates(geom))} vertices)"
    bbox = _text(params, "bbox")
    if bbox:
        box = shapely.box(*_geo_call(query.parse_bbox, bbox))
        constraints.append(_geo_call(ctx.intersecting, level, box))
        echo["bbox"] = list(box.bounds)
    district = _text(params, "district")
    if district:
        c = _geo_call(ctx.in_district, level, district)
        constraints.append(c)
        echo["district"] = _geo_call(query.resolve_districts, district, ctx.districts())
    status = _text(params, "status")
    if status:
        constraints.append(_geo_call(ctx.with_status, level, status))
        echo["status"] = status
    echo.update(top=top, lang=lang)

    result = _geo_call(ctx.rank, level, chosen, year, constraints, top, standard)
    if fmt == "profiles":
        if result.empty:
            raise bad_request(M("error.targets.no_profiles"))
        return print_map.profiles_response(result["gso_code"].astype(str).tolist(), level, lang)
    specs = result.attrs["indicators"]
    dated = next((s["year"] for s in specs if s["year"] is not None), year)
    result = _with_counts(ctx, result, level, dated)
    result = _with_centre_distance(result, echo.get("country"))
    echo["year"] = year if year is not None else {s["id"]: s["year"] for s in specs}
    echo["standard"] = result.attrs["standard"]
    echo["constraints"] = result.attrs["constraints"]
    sources = [src for s in specs for src in s["sources"]]
    name_key = "name_vi" if lang == "vi" else "name_en"
    meta = {
        "sources": sources,
        "indicators": [
            {
                "id": s["id"],
                "name": s[name_key],
                "unit": s["unit"],
                "polarity": s["polarity"],
                "weight": s["weight"],
                "year": s["year"],
                "standard": s["standard"],
                "standard_short": standards.short(s["standard"], lang) if s["standard"] else None,
                "statuses": s["statuses"],
            }
            for s in specs
        ],
        "scoring": "score = weighted mean of min-max normalised values over all units of the level "
        "(higher_better inverted); 1 = most in need",
    }
    members = {
        "query": echo,
        "count": len(result),
        "matched": result.attrs["matched"],
        "missing_count": result.attrs["missing_count"],
        "synthetic": result.attrs["synthetic"],
        "totals": targeting.totals(result),
        "metadata": meta,
    }
    return _respond(
        result,
        fmt,
        _file_name(level, chosen, specs, echo, _standards(specs, level) if fmt != "json" else ()),
        members,
        lang,
        ctx.geometry_text.get(level),
        geometry=geometry,
        level=level,
        labelled=True,
    )


def _standard(params) -> str | None:
    """``standard=``: a poverty standard's key (``2016-2020``) or label; 400 when unknown."""
    text = _text(params, "standard")
    if not text:
        return None
    try:
        return standards.resolve(text).key
    except standards.StandardError as exc:
        raise bad_request(exc) from None


#: Counts not bound to a poverty standard: another year may stand in (households of 2019 beside a 2016
#: ranking); poor and near-poor households are the ranking's year or nothing (standards never mix).
ANY_YEAR_COUNTS = ("households", "population_2019")


def _count_frame(ctx, level: str, indicator: str, year: int | None):
    """Every unit's value of a count indicator for ``year`` (for :data:`ANY_YEAR_COUNTS` their own
    best year when ``year`` has none), or None."""
    tries = (year, None) if indicator in ANY_YEAR_COUNTS or year is None else (year,)
    for y in tries:
        try:
            return ctx.rank(level, {indicator: 1.0}, y)
        except ValueError:
            continue
    return None


def _with_counts(ctx, result, level: str, year: int | None):
    """``result`` with the household and population counts of its units (``<id>``, ``_status``, ``_year``)."""
    codes = result["gso_code"].astype(str)
    attrs = result.attrs
    result = result.copy()
    for ind in targeting.COUNT_INDICATORS:
        if ind in result.columns:
            continue
        frame = _count_frame(ctx, level, ind, year)
        if frame is None:
            continue
        frame = frame.set_index(frame["gso_code"].astype(str))
        for col in (ind, f"{ind}_status", f"{ind}_year"):
            result[col] = codes.map(frame[col]).to_numpy()
    result.attrs = attrs
    return result


def _with_centre_distance(result, country: str | None):
    """``result`` with ``centre_to_border_km``: from a point inside each unit to the border (of ``country``).

    ``distance_km`` of a border constraint is 0 for every unit whose outline runs along the
    border; this column says how far the unit itself lies from it.
    """
    attrs = result.attrs
    border = app_context.backend().read_layer("border")
    result = result.copy()
    has = ~(result.geometry.isna() | result.geometry.is_empty)
    dist = pd.Series(float("nan"), index=result.index)
    if has.any():
        dist[has] = query.centre_distances(result[has], border, country)
    result["centre_to_border_km"] = dist.to_numpy()
    result.attrs = attrs
    return result


def _standards(specs, level: str) -> list[str]:
    """The poverty standards the ranked values were measured by (for the file name)."""
    obs = app_context.backend().read_layer("observations")
    out = []
    for s in specs:
        if s["year"] is None:
            continue
        tag = workbench.standard_tag(workbench.observed_standard(obs, s["id"], level, s["year"]))
        if tag and tag not in out:
            out.append(tag)
    return out


def _file_name(level, chosen, specs, echo, standards=()) -> str:
    years = sorted({s["year"] for s in specs if s["year"] is not None})
    bits = ["kontum", unit_levels.get(level).layer, *chosen, *(str(y) for y in years), *standards]
    if echo.get("near") in ("border", "roads"):
        bits.append(echo["near"] + (f"_{echo['country']}" if echo.get("country") else ""))
    elif echo.get("near"):
        bits.append("near_point")
    if echo.get("top"):
        bits.append(f"top{echo['top']}")
    return " ".join(bits)


# --------------------------------------------------------------------------
# /communes/…


def _commune(ctx, gso_code: str) -> str:
    """The name of commune ``gso_code`` (400 when malformed, 404 when unknown)."""
    if not _CODE.fullmatch(gso_code or ""):
        raise bad_request(M("error.targets.bad_code", got=gso_code))
    name = ctx.commune_name(gso_code)
    if name is None:
        raise not_found(M("error.targets.no_commune", code=gso_code))
    return name


def _precisions(params) -> tuple[str, ...] | None:
    text = _text(params, "precision")
    if not text:
        return query.PRECISE
    valid = ("commune", "village", "district", "province", "all")
    items = [p.strip().lower() for p in text.split(",") if p.strip()]
    bad = [p for p in items if p not in valid]
    if bad or not items:
        raise bad_request(M("error.targets.unknown_precision", got=text, expected=", ".join(valid)))
    return None if "all" in items else tuple(items)


@bp.route("/communes/<gso_code>/neighbours")
@cached_get
def commune_neighbours(gso_code):
    params = _params(COMMON_PARAMS)
    lang, fmt, geometry = _common(params)
    ctx = context()
    name = _commune(ctx, gso_code)
    result = ctx.neighbours(gso_code)
    result = result[[c for c in COMMUNE_ID_COLUMNS if c in result.columns] + ["shared_km", "geometry"]]
    members = {
        "query": {
            "gso_code": gso_code,
            "name": name,
            "rule": f"shares at least {query.MIN_SHARED_KM * 1000:g} m of boundary (a corner is not enough)",
        },
        "count": len(result),
        "metadata": {},
    }
    return _respond(
        result,
        fmt,
        f"kontum neighbours {gso_code} {name}",
        members,
        lang,
        ctx.geometry_text.get("commune"),
        geometry=geometry,
    )


@bp.route("/communes/<gso_code>/nearest-works")
@cached_get
def commune_nearest_works(gso_code):
    params = _params(COMMON_PARAMS + ("n", "kind", "precision"))
    lang, fmt, geometry = _common(params)
    ctx = context()
    name = _commune(ctx, gso_code)
    n = _int(params, "n", 1, MAX_N, 5)
    kind = _text(params, "kind") or None
    precisions = _precisions(params)
    result = _geo_call(ctx.nearest_works, gso_code, n, kind, precisions)
    members = {
        "query": {
            "gso_code": gso_code,
            "name": name,
            "n": n,
            "kind": kind,
            "precision": list(precisions) if precisions else "all",
        },
        "count": len(result),
        "metadata": {
            "location_note": "works have no surveyed coordinates: each sits at its commune's "
            "representative point (location_precision)"
        },
    }
    return _respond(result, fmt, f"kontum nearest works {gso_code}", members, lang, None, "work_id", geometry=geometry)


@bp.route("/communes/without-works")
@cached_get
def communes_without_works():
    params = _params(COMMON_PARAMS + ("within_km", "kind", "precision", "district"))
    lang, fmt, geometry = _common(params)
    ctx = context()
    within = _km(params)
    within = 0.0 if within is None else within
    kind = _text(params, "kind") or None
    precisions = _precisions(params)
    district = _text(params, "district")
    echo = {"within_km": within, "kind": kind, "precision": list(precisions) if precisions else "all"}
    if district:
        echo["district"] = _geo_call(query.resolve_districts, district, ctx.districts())
    result = _geo_call(ctx.communes_without_work, within, kind, precisions, district)
    result = result[
        [c for c in COMMUNE_ID_COLUMNS if c in result.columns] + ["nearest_work_km", "nearest_work_id", "geometry"]
    ]
    members = {
        "query": echo,
        "count": len(result),
        "metadata": {
            "location_note": "works have no surveyed coordinates: each sits at its commune's "
            "representative point (location_precision)"
        },
    }
    name = f"kontum communes without {kind or 'works'} within {within:g} km"
    return _respond(result, fmt, name, members, lang, ctx.geometry_text.get("commune"), geometry=geometry)
