"""OGC API – Features (Part 1: Core) under ``/ogc``: GeoJSON, HTML and OpenAPI 3.0.

The formatter half of a pygeoapi-style provider/formatter split: routes
parse and validate the request, ask :mod:`geo.ogc.features` for the answer and
format it.  Routes:

==========================================  ==================================
``/ogc``                                    landing page
``/ogc/conformance``                        conformance classes
``/ogc/api``                                the OpenAPI 3.0 definition (JSON) or
                                            its HTML rendering (``f=html``)
``/ogc/collections``                        the collections
``/ogc/collections/{id}``                   one collection
``/ogc/collections/{id}/items``             features (GeoJSON / HTML / exports)
``/ogc/collections/{id}/items/{featureId}`` one feature
==========================================  ==================================

Formats: the ``f`` parameter wins (``json``, ``html``; on items also
``geojson`` and, once :mod:`geo.io.export` exists, ``csv``, ``xlsx``,
``gpkg``, ``shp``, ``kml``); otherwise the ``Accept`` header (``text/html``
preferred over JSON gives HTML); otherwise JSON.  Every query parameter
that the API definition does not list answers 400 (OGC
/req/core/query-param-unknown), every invalid value 400, an unknown
collection or feature 404, all as JSON ``{"code", "description", …}``.
"""

from __future__ import annotations

import datetime as dt
import importlib
import json
import os
import shutil
import tempfile
import threading
from urllib.parse import urlencode

import pandas as pd
from flask import Blueprint, Response, current_app, render_template, request

from geo import crs as crs_ref
from geo.backends.base import BackendConfigError, BackendError
from geo.indicators import standards as poverty_standards
from geo.io import annex
from geo.messages import Message
from geo.ogc import cql2
from geo.ogc import features as F
from geo.ogc import tiles as ogc_tiles

from . import context as app_context
from . import i18n
from . import ogc_tiles as tiles_api
from .errors import ApiError, bad_request, busy, cause, not_found, unavailable

bp = Blueprint("ogc", __name__, url_prefix="/ogc")

CONFORMANCE = [
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/geojson",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/html",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/oas30",
    "http://www.opengis.net/spec/ogcapi-features-2/1.0/conf/crs",
    # Part 5: every collection links its features' schema (/schema: JSON Schema 2020-12, the
    # id and the primary geometry marked by x-ogc-role, a type per property).
    "http://www.opengis.net/spec/ogcapi-features-5/1.0/conf/schemas",
    *cql2.CONFORMANCE,  # Part 3 and CQL2: the classes geo.ogc.cql2 implements (tests/app/test_ogc_filter.py)
] + ogc_tiles.CONFORMANCE

JSON = "application/json"
GEOJSON = "application/geo+json"
HTML = "text/html"
OPENAPI = "application/vnd.oai.openapi+json;version=3.0"
SCHEMA = "application/schema+json"
#: Export formats served through geo.io.export (when it exists) and their media types.
EXPORT_TYPES = {
    "csv": "text/csv",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "gpkg": "application/geopackage+sqlite3",
    "shp": "application/zip",
    "kml": "application/vnd.google-earth.kml+xml",
}
LANGS = ("vi", "en")
COMMON_PARAMS = ("f", "lang")
ITEMS_PARAMS = (
    "f",
    "lang",
    "bbox",
    "bbox-crs",
    "crs",
    "limit",
    "offset",
    "datetime",
    "sortby",
    "filter",
    "filter-lang",
    "filter-crs",
)
#: The CRS served (Part 2), CRS84 first: the same list for every collection.
CRS_URIS = [c.uri for c in crs_ref.SERVED_CRS]


def _text(lang: str) -> dict[str, str]:
    """The OGC pages' wording in ``lang`` (the catalogue's table ``ogc``, geo/messages.toml)."""
    return i18n.section("ogc", lang)


# --------------------------------------------------------------------------- helpers


def _lang() -> str:
    raw = request.args.get("lang")
    if raw is None:
        default = current_app.config.get("DEFAULT_LANG", "vi")
        return default if default in LANGS else "vi"
    if raw not in LANGS:
        raise bad_request(Message("error.ogc.lang", expected=", ".join(LANGS), got=raw))
    return raw


def _check_params(allowed, properties=()) -> None:
    """400 for a parameter the API definition does not list, or one given twice."""
    for name in request.args:
        values = request.args.getlist(name)
        if name not in allowed and name in properties:
            raise bad_request(Message("error.ogc.not_queryable", name=name), "UnknownParameter")
        if name not in allowed:
            standard = [a for a in ITEMS_PARAMS + ("year",) if a in allowed]
            more = len(allowed) - len(standard)
            hint = Message("error.ogc.queryables_hint", n=more) if more > 0 else ""
            raise bad_request(
                Message("error.ogc.unknown_param", name=name, allowed=", ".join(standard), hint=hint),
                "UnknownParameter",
            )
        if len(values) > 1:
            raise bad_request(Message("error.ogc.param_twice", name=name, n=len(values)))


def _export_module():
    """:mod:`geo.io.export` when it exists and has ``export``, else None."""
    try:
        mod = importlib.import_module("geo.io.export")
    except Exception:  # not written yet, or broken: exports are simply not offered
        return None
    return mod if callable(getattr(mod, "export", None)) else None


def _export_formats() -> list[str]:
    mod = _export_module()
    if mod is None:
        return []
    offered = getattr(mod, "FORMATS", None)
    return [f for f in EXPORT_TYPES if offered is None or f in offered]


def _export_type(fmt: str) -> str:
    """The media type geo.io.export gives ``fmt`` (its FORMATS table), else ours."""
    offered = getattr(_export_module(), "FORMATS", None)
    if isinstance(offered, dict):
        entry = offered.get(fmt)
        if isinstance(entry, (tuple, list)) and entry and isinstance(entry[0], str):
            return entry[0]
        if isinstance(entry, str):
            return entry
    return EXPORT_TYPES[fmt]


def _format(allowed: tuple[str, ...]) -> str:
    """``json`` / ``html`` / an export format: ``f`` first, then the Accept header."""
    raw = request.args.get("f")
    if raw is not None:
        f = raw.strip().lower()
        if f == "geojson" and "geojson" in allowed:
            return "json"
        if f not in allowed:
            raise bad_request(Message("error.ogc.format", got=raw, expected=", ".join(allowed)))
        return f
    accept = request.accept_mimetypes
    q_html = accept.quality(HTML)
    q_json = max(accept.quality(JSON), accept.quality(GEOJSON), accept.quality(OPENAPI.split(";")[0]))
    return "html" if q_html > q_json else "json"


def _url(endpoint: str, params: dict | None = None, **values) -> str:
    base = app_context.external_url(endpoint, **values)
    params = {k: v for k, v in (params or {}).items() if v is not None}
    return base + ("?" + urlencode(params) if params else "")


def _request_url() -> str:
    """This request's URL on the public base (``MAP_PUBLIC_URL``), for an export's metadata."""
    path = request.full_path.rstrip("?")
    return app_context.public_base() + path if app_context.settings().public_url else request.url


def _args(**override) -> dict:
    """The request's query parameters (in order) with ``override`` applied."""
    out = dict(request.args.items())
    out.update(override)
    return {k: v for k, v in out.items() if v is not None}


def _link(href: str, rel: str, type_: str, title: str | None = None) -> dict:
    out = {"href": href, "rel": rel, "type": type_}
    if title:
        out["title"] = title
    return out


def _json_response(doc, mimetype: str = JSON, status: int = 200) -> Response:
    """``doc``: text, bytes, ``_Pieces`` of bytes, or an object to serialise."""
    body = doc if isinstance(doc, (str, bytes, _Pieces)) else json.dumps(doc, ensure_ascii=False)
    resp = Response(body, status=status, mimetype=mimetype)
    resp.headers["Vary"] = "Accept"
    return resp


def _html_response(template: str, **ctx) -> Response:
    lang = ctx.setdefault("lang", _lang())
    ctx.setdefault("t", _text(lang))
    ctx.setdefault("json_href", _url(request.endpoint, _args(f="json"), **request.view_args))
    ctx.setdefault("lang_href", _url(request.endpoint, _args(lang=_text(lang)["other_lang_code"]), **request.view_args))
    resp = Response(render_template(template, **ctx), mimetype=HTML)
    resp.headers["Vary"] = "Accept"
    return resp


def _title(meta: dict, lang: str, key: str = "title") -> str:
    return meta[key][lang]


def _gpkg():
    """What this app serves: its backend (:func:`app.context.backend`), the OGC provider."""
    try:
        return app_context.backend()
    except BackendConfigError as exc:
        raise ApiError(Message("error.ogc.db_config", reason=cause(exc)), 503, "ServiceUnavailable") from None


def _provider(call, *args, **kwargs):
    """Call the provider, turning its errors into API errors."""
    try:
        return call(*args, **kwargs)
    except F.UnknownCollection as exc:
        raise not_found(exc.args[0]) from None
    except F.UnknownFeature as exc:
        raise not_found(exc.args[0]) from None
    except F.QueryError as exc:
        raise bad_request(exc) from None  # a catalogue message is written in the request's language
    except FileNotFoundError as exc:
        raise ApiError(Message("error.ogc.not_built", reason=cause(exc)), 503, "ServiceUnavailable") from None
    except BackendError as exc:
        raise unavailable(exc) from None


def _now() -> str:
    return dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")


# --------------------------------------------------------------------------- landing, conformance


@bp.get("")
@bp.get("/")
def landing():
    _check_params(COMMON_PARAMS)
    lang = _lang()
    fmt = _format(("json", "html"))
    t = _text(lang)
    p = {"lang": lang} if "lang" in request.args else {}
    links = [
        _link(
            _url("ogc.landing", dict(p, f="json")),
            "self" if fmt == "json" else "alternate",
            JSON,
            t["landing"] + " (JSON)",
        ),
        _link(
            _url("ogc.landing", dict(p, f="html")),
            "self" if fmt == "html" else "alternate",
            HTML,
            t["landing"] + " (HTML)",
        ),
        _link(_url("ogc.api", dict(p, f="json")), "service-desc", OPENAPI, t["api"]),
        _link(_url("ogc.api", dict(p, f="html")), "service-doc", HTML, t["api_doc"]),
        _link(_url("ogc.conformance", dict(p, f="json")), "conformance", JSON, t["conformance"]),
        _link(_url("ogc.conformance", dict(p, f="html")), "conformance", HTML, t["conformance"]),
        _link(_url("ogc.collections_", dict(p, f="json")), "data", JSON, t["collections"]),
        _link(_url("ogc.collections_", dict(p, f="html")), "data", HTML, t["collections"]),
    ]
    doc = {"title": t["site"], "description": t["site_desc"], "links": links}
    if fmt == "html":
        return _html_response("ogc/landing.html", doc=doc, lang=lang)
    return _json_response(doc)


@bp.get("/conformance", strict_slashes=False)
def conformance():
    _check_params(COMMON_PARAMS)
    lang = _lang()
    fmt = _format(("json", "html"))
    p = {"lang": lang} if "lang" in request.args else {}
    links = [
        _link(_url("ogc.conformance", dict(p, f="json")), "self" if fmt == "json" else "alternate", JSON),
        _link(_url("ogc.conformance", dict(p, f="html")), "self" if fmt == "html" else "alternate", HTML),
    ]
    doc = {"conformsTo": CONFORMANCE, "links": links}
    if fmt == "html":
        return _html_response("ogc/conformance.html", doc=doc, lang=lang)
    return _json_response(doc)


# --------------------------------------------------------------------------- collections


def _collection_doc(meta: dict, lang: str, fmt: str) -> dict:
    cid = meta["id"]
    p = {"lang": lang} if "lang" in request.args else {}
    here = request.endpoint == "ogc.collection"
    links = [
        _link(
            _url("ogc.collection", dict(p, f="json"), collection_id=cid),
            "self" if (fmt == "json" or not here) else "alternate",
            JSON,
            _title(meta, lang),
        ),
        _link(
            _url("ogc.collection", dict(p, f="html"), collection_id=cid),
            "self" if (fmt == "html" and here) else "alternate",
            HTML,
            _title(meta, lang),
        ),
        _link(
            _url("ogc.items", dict(p, f="json"), collection_id=cid),
            "items",
            GEOJSON,
            _text(lang)["items"] + " (GeoJSON)",
        ),
        _link(_url("ogc.items", dict(p, f="html"), collection_id=cid), "items", HTML, _text(lang)["items"] + " (HTML)"),
    ]
    # GDAL's OAPIF driver follows the first describedBy link to a JSON Schema and reads it as
    # the schema of a GeoJSON Feature: that one first, so it types columns null in its first page.
    links.append(
        _link(
            _url("ogc.schema", {"profile": "geojson"}, collection_id=cid),
            "describedBy",
            SCHEMA,
            _text(lang)["schema_geojson"],
        )
    )
    # Part 5's own relation (rel=[ogc-rel:schema]) to the same schema: the one QGIS's OAPIF
    # provider reads its field types from, when the service declares Part 5 "schemas".
    for rel in ("describedby", "http://www.opengis.net/def/rel/ogc/1.0/schema"):
        links.append(_link(_url("ogc.schema", {}, collection_id=cid), rel, SCHEMA, _text(lang)["schema"]))
    for rel in ("http://www.opengis.net/def/rel/ogc/1.0/queryables", "queryables"):
        # the short rel of Part 3's drafts is the one GDAL's OAPIF driver follows
        links.append(_link(_url("ogc.queryables_", {}, collection_id=cid), rel, SCHEMA, _text(lang)["queryables"]))
    if cid in ogc_tiles.TILED:
        links.append(
            _link(
                _url("ogc_tiles.tilesets", {}, collection_id=cid),
                "http://www.opengis.net/def/rel/ogc/1.0/tilesets-vector",
                JSON,
                _text(lang)["tilesets"],
            )
        )
    for f in _export_formats():
        links.append(
            _link(
                _url("ogc.items", dict(p, f=f), collection_id=cid),
                "items",
                _export_type(f),
                _text(lang)["download_all"].format(n=meta["count"], fmt=f.upper()),
            )
        )
    doc = {
        "id": cid,
        "title": _title(meta, lang),
        "description": _title(meta, lang, "description"),
        "keywords": meta["keywords"],
        "extent": meta["extent"],
        "itemType": "feature",
        "crs": CRS_URIS,
        "storageCrs": F.CRS84,
        "links": links,
        # Extensions (not part of the standard):
        "idField": meta["id_field"],
        "geometryType": meta["geometry_type"],
        "numberOfFeatures": meta["count"],
    }
    if meta["years"]:
        doc["indicatorYears"] = meta["years"]
    return doc


@bp.get("/collections", strict_slashes=False)
def collections_():
    _check_params(COMMON_PARAMS)
    lang = _lang()
    fmt = _format(("json", "html"))
    metas = _provider(lambda: _gpkg().collections())
    p = {"lang": lang} if "lang" in request.args else {}
    doc = {
        "links": [
            _link(_url("ogc.collections_", dict(p, f="json")), "self" if fmt == "json" else "alternate", JSON),
            _link(_url("ogc.collections_", dict(p, f="html")), "self" if fmt == "html" else "alternate", HTML),
        ],
        "collections": [_collection_doc(m, lang, fmt) for m in metas],
    }
    if fmt == "html":
        return _html_response("ogc/collections.html", doc=doc, lang=lang)
    return _json_response(doc)


@bp.get("/collections/<collection_id>", strict_slashes=False)
def collection(collection_id: str):
    meta = _provider(lambda: _gpkg().collection(collection_id))
    _check_params(COMMON_PARAMS)
    lang = _lang()
    fmt = _format(("json", "html"))
    doc = _collection_doc(meta, lang, fmt)
    if fmt == "html":
        return _html_response("ogc/collection.html", doc=doc, meta=meta, lang=lang)
    return _json_response(doc)


# --------------------------------------------------------------------------- schema, queryables

#: JSON Schema ``format`` of each geometry type (OGC API Features Part 5, /req/schemas/geometry).
GEOMETRY_FORMATS = {
    "Point": "geometry-point",
    "MultiPoint": "geometry-multipoint",
    "LineString": "geometry-linestring",
    "MultiLineString": "geometry-multilinestring",
    "Polygon": "geometry-polygon",
    "MultiPolygon": "geometry-multipolygon",
}


def _property_schema(name: str, info: dict, meta: dict, lang: str) -> dict:
    out = {"type": info["type"], "title": info.get(f"title_{lang}") or name}
    other = info.get("title_en" if lang == "vi" else "title_vi")
    if other and other != out["title"]:
        out["description"] = other
    if info.get("unit"):
        out["x-ogc-unit"] = info["unit"]
    year = info.get("year") or info.get("data_year")
    if year:
        out["x-year"] = year
    if info.get("standard"):  # one poverty standard per column, declared (never two)
        std = poverty_standards.long(info["standard"], lang)
        word = i18n.text("page.standard", lang)
        out["description"] = "; ".join(x for x in (out.get("description"), f"{word}: {std}") if x)
        out["x-standard"] = info["standard"]
    if name == meta["id_field"]:
        out["x-ogc-role"] = "id"
    return out


def _schema_doc(meta: dict, lang: str, names, kind: str) -> dict:
    """A JSON Schema (2020-12) of the collection's features, typed from the whole collection
    (a column null in the first page still has its type, so GDAL and QGIS type the fields)."""
    cid = meta["id"]
    props = {name: _property_schema(name, meta["properties"][name], meta, lang) for name in names}
    geom = {"x-ogc-role": "primary-geometry"}
    if meta["geometry_type"] in GEOMETRY_FORMATS:
        geom["format"] = GEOMETRY_FORMATS[meta["geometry_type"]]
    props = {"geometry": geom, **props}
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": _url(f"ogc.{kind}", {}, collection_id=cid),
        "type": "object",
        "title": _title(meta, lang),
        "properties": props,
        "additionalProperties": kind != "queryables_",
    }


@bp.get("/collections/<collection_id>/schema", strict_slashes=False)
def schema(collection_id: str):
    """The schema of the collection's features (Features Part 5, ``rel=describedby``);
    ``profile=geojson``: the schema of their GeoJSON encoding (a Feature whose ``properties``
    member holds the typed properties), the one GDAL's OAPIF driver types its fields from."""
    meta = _provider(lambda: _gpkg().collection(collection_id))
    _check_params((*COMMON_PARAMS, "profile"))
    lang = _lang()
    _format(("json",))
    profile = request.args.get("profile")
    if profile is not None and profile != "geojson":
        raise bad_request(Message("error.ogc_schema.profile", got=profile))
    doc = _schema_doc(meta, lang, list(meta["properties"]), "schema")
    if profile == "geojson":
        doc = _geojson_schema_doc(doc)
    return _json_response(doc, SCHEMA)


#: The ``profile`` parameter of ``/schema`` (in the API definition).
SCHEMA_PROFILE = {
    "name": "profile",
    "in": "query",
    "required": False,
    "description": "geojson: lược đồ của dạng mã hóa GeoJSON / the schema of the GeoJSON encoding "
    "(a Feature whose properties member holds the typed properties)",
    "schema": {"type": "string", "enum": ["geojson"]},
    "style": "form",
    "explode": False,
}


def _geojson_schema_doc(doc: dict) -> dict:
    """The Part 5 schema ``doc`` as the schema of a GeoJSON Feature (geometry and id beside
    ``properties``)."""
    props = {k: v for k, v in doc["properties"].items() if k != "geometry"}
    return {
        "$schema": doc["$schema"],
        "$id": doc["$id"] + "?profile=geojson",
        "type": "object",
        "title": doc["title"],
        "required": ["type", "geometry", "properties"],
        "properties": {
            "type": {"type": "string", "enum": ["Feature"]},
            "id": {"type": "string"},
            "geometry": {"type": "object", **{k: v for k, v in doc["properties"]["geometry"].items() if k == "format"}},
            "properties": {"type": "object", "properties": props},
        },
    }


@bp.get("/collections/<collection_id>/queryables", strict_slashes=False)
def queryables_(collection_id: str):
    """The properties a ``filter`` may name (Features Part 3, /req/queryables): every typed
    property, numbers included (``name=value`` takes the strings, integers and booleans only)."""
    meta = _provider(lambda: _gpkg().collection(collection_id))
    _check_params(COMMON_PARAMS)
    lang = _lang()
    _format(("json",))
    names = list(filterables(meta))
    doc = _schema_doc(meta, lang, names, "queryables_")
    # The same list in the form of Part 3's drafts ({"queryables": [{"id"}]}), an annotation
    # JSON Schema ignores: GDAL's OAPIF driver (3.6 … 3.12) reads only this one, and sends to
    # the server only the parts of a -where whose properties it finds here.
    doc["queryables"] = [{"id": n, "type": doc["properties"][n]["type"]} for n in names]
    # A client that accepts application/json and not application/schema+json (GDAL) gets the
    # same document as application/json, rather than a type it refuses.
    accept = request.headers.get("Accept", "")
    plain = "application/json" in accept and SCHEMA not in accept
    resp = _json_response(doc, JSON if plain else SCHEMA)
    resp.headers["Vary"] = "Accept"
    return resp


# --------------------------------------------------------------------------- items


def _int_param(name: str, default: int, lo: int, hi: int | None, hint: str = "") -> int:
    raw = request.args.get(name)
    if raw is None:
        return default
    text = raw.strip()
    if not text.isdigit() or not text.isascii():
        raise bad_request(Message("error.ogc.whole_number", name=name, got=raw))
    value = int(text)
    if value < lo:
        raise bad_request(Message("error.ogc.at_least", name=name, lo=lo, got=value))
    if hi is not None and value > hi:
        raise bad_request(Message("error.ogc.above_max", name=name, got=value, hi=hi, hint=hint))
    return value


def _crs_param(name: str) -> crs_ref.ServedCrs:
    """The ``crs`` / ``bbox-crs`` value (CRS84 when absent), or a 400 listing what is served."""
    raw = request.args.get(name)
    if raw is None:
        return crs_ref.CRS84_SERVED
    found = crs_ref.parse_crs(raw)
    if found is None:
        served = ", ".join(f"{c.uri} ({c.name})" for c in crs_ref.SERVED_CRS)
        raise bad_request(Message("error.ogc.crs", name=name, got=raw, served=served), "InvalidParameterValue")
    return found


def _items_query(collection_id: str):
    """Parse and validate every items parameter; return the provider's selection."""
    meta = _provider(lambda: _gpkg().collection(collection_id))
    allowed = set(ITEMS_PARAMS) | set(meta["queryables"])
    if meta["time"] == "indicators":
        allowed.add("year")
    _check_params(allowed, meta["properties"])
    lang = _lang()
    formats = ("json", "geojson", "html", *_export_formats())
    fmt = _format(formats)
    # Above the maximum the page is capped (OGC API Features /req/core/fc-limit-response-1),
    # so that clients asking for big pages (ogr2ogr -oo PAGE_SIZE=5000) page on with `next`.
    limit = min(_int_param("limit", F.DEFAULT_LIMIT, 1, None), F.MAX_LIMIT)
    crs, bbox_crs = _crs_param("crs"), _crs_param("bbox-crs")
    if "bbox-crs" in request.args and "bbox" not in request.args:
        raise bad_request(Message("error.ogc.bbox_crs"))
    offset = _int_param("offset", 0, 0, None)
    bbox = _provider(F.parse_bbox_in, request.args["bbox"], bbox_crs) if "bbox" in request.args else None
    datetime = _provider(F.parse_datetime, request.args["datetime"]) if "datetime" in request.args else None
    year = None
    if "year" in request.args and meta["time"] == "indicators":
        raw = request.args["year"].strip()
        if not (raw.isdigit() and raw.isascii() and len(raw) == 4):
            raise bad_request(Message("error.ogc.year", got=request.args["year"]))
        year = int(raw)
    sortby = _provider(F.parse_sortby, request.args["sortby"]) if "sortby" in request.args else None
    filters = {
        k: v
        for k, v in request.args.items()
        if k in meta["queryables"] and not (k == "year" and meta["time"] == "indicators")
    }
    cql = _filter_param(meta)
    sel = _provider(
        lambda: _gpkg().select(
            collection_id, bbox=bbox, filters=filters, datetime=datetime, year=year, sortby=sortby, cql=cql
        )
    )
    return meta, sel, limit, offset, fmt, lang, crs


def filterables(meta: dict) -> dict[str, str]:
    """The properties a CQL2 filter may name, and their types: every typed property of the
    collection (numbers too, unlike ``name=value``), the synthetic note aside (it depends on
    the years served)."""
    types = ("string", "integer", "number", "boolean")
    return {n: p["type"] for n, p in meta["properties"].items() if p["type"] in types and n != "synthetic_note"}


def _filter_param(meta: dict) -> cql2.Filter | None:
    """The checked CQL2 filter of ``filter`` / ``filter-lang`` / ``filter-crs`` (Features Part 3), or None."""
    for name in ("filter-lang", "filter-crs"):
        if name in request.args and "filter" not in request.args:
            raise bad_request(Message("error.filter.without", name=name))
    if "filter" not in request.args:
        return None
    lang = request.args.get("filter-lang", cql2.LANGS[0]).strip().lower()
    lang = cql2.ALIASES.get(lang, lang)
    if lang not in cql2.LANGS:
        raise bad_request(Message("error.filter.lang", got=request.args["filter-lang"], expected=", ".join(cql2.LANGS)))
    crs = crs_ref.CRS84_SERVED
    if "filter-crs" in request.args:
        crs = crs_ref.parse_crs(request.args["filter-crs"])
        if crs is None:
            served = ", ".join(f"{c.uri} ({c.name})" for c in crs_ref.SERVED_CRS)
            raise bad_request(Message("error.filter.crs", got=request.args["filter-crs"], served=served))
    return _provider(cql2.compile_filter, request.args["filter"], filterables(meta), meta["id"], lang, crs)


@bp.get("/collections/<collection_id>/items", strict_slashes=False)
def items(collection_id: str):
    meta, sel, limit, offset, fmt, lang, crs = _items_query(collection_id)
    matched = sel.number_matched
    start = min(offset, matched)
    returned = max(0, min(limit, matched - start))
    if fmt in EXPORT_TYPES:
        return _export(meta, sel, limit, start, crs)
    links = _items_links(collection_id, fmt, lang, limit, offset, returned, matched)
    if fmt == "html":
        page = _provider(sel.page_frame, limit, start)
        return _html_response(
            "ogc/items.html",
            meta=meta,
            lang=lang,
            links=links,
            rows=_rows(page, meta),
            columns=_columns(page, meta),
            matched=matched,
            returned=returned,
            offset=offset,
            limit=limit,
            title=_title(meta, lang),
            timestamp=_now(),
        )
    chunks = F.reproject_features(_provider(sel.page_bytes, limit, start), crs)
    tail = json.dumps(
        {"numberMatched": matched, "numberReturned": len(chunks), "timeStamp": _now(), "links": links},
        ensure_ascii=False,
    )
    body = _batches(
        [
            b'{"type":"FeatureCollection","features":[',
            b",".join(chunks[:1]),
            *(b"," + c for c in chunks[1:]),
            b"],",
            tail[1:].encode("utf-8"),
        ]
    )
    return _crs_header(_json_response(body, GEOJSON), crs)


def _crs_header(resp: Response, crs: crs_ref.ServedCrs = crs_ref.CRS84_SERVED) -> Response:
    """Say the coordinates' CRS (OGC API Features Part 2, /req/crs/crs-response-header)."""
    resp.headers["Content-Crs"] = f"<{crs.uri}>"
    return resp


#: Bytes per piece of a page of items: the body is sent as a list of pieces of about
#: this size (Content-Length still set), never as one buffer of megabytes, which the
#: service's malloc settings would map and unmap on every request (app/__main__.py).
BATCH_BYTES = 128 * 1024


class _Pieces(list):
    """A response body as a list of byte pieces (Werkzeug sums them for Content-Length)."""


def _batches(pieces: list[bytes], size: int = BATCH_BYTES) -> _Pieces:
    """``pieces`` joined into consecutive batches of at least ``size`` bytes (the last may be
    shorter).

    >>> _batches([b"ab", b"c", b"de"], size=3)
    [b'abc', b'de']
    """
    out, batch, n = _Pieces(), [], 0
    for piece in pieces:
        batch.append(piece)
        n += len(piece)
        if n >= size:
            out.append(b"".join(batch))
            batch, n = [], 0
    if batch:
        out.append(b"".join(batch))
    return out


def _items_links(cid, fmt, lang, limit, offset, returned, matched) -> list[dict]:
    t = _text(lang)
    kinds = [("json", GEOJSON, "GeoJSON"), ("html", HTML, "HTML")]
    scope = t["this_page"] if "limit" in request.args else t["all_matched"]
    kinds += [(f, _export_type(f), f"{f.upper()}, {scope}") for f in _export_formats()]
    links = []
    for f, mime, label in kinds:
        rel = "self" if f == fmt else "alternate"
        links.append(_link(_url("ogc.items", _args(f=f), collection_id=cid), rel, mime, f"{t['items']} ({label})"))
    if offset + returned < matched:
        links.append(
            _link(
                _url("ogc.items", _args(f="json", offset=str(offset + limit), limit=str(limit)), collection_id=cid),
                "next",
                GEOJSON,
                t["next"],
            )
        )
        if fmt == "html":
            links.append(
                _link(
                    _url("ogc.items", _args(f="html", offset=str(offset + limit), limit=str(limit)), collection_id=cid),
                    "next",
                    HTML,
                    t["next"],
                )
            )
    if offset > 0:
        prev = str(max(0, min(offset, matched) - limit))
        links.append(
            _link(
                _url("ogc.items", _args(f="json", offset=prev, limit=str(limit)), collection_id=cid),
                "prev",
                GEOJSON,
                t["prev"],
            )
        )
        if fmt == "html":
            links.append(
                _link(
                    _url("ogc.items", _args(f="html", offset=prev, limit=str(limit)), collection_id=cid),
                    "prev",
                    HTML,
                    t["prev"],
                )
            )
    links.append(_link(_url("ogc.collection", {"f": "json"}, collection_id=cid), "collection", JSON, t["collection"]))
    links.append(_link(_url("ogc.schema", {}, collection_id=cid), "describedby", SCHEMA, t["schema"]))
    return links


#: Features per batch of a whole-collection download: the file is written one batch at a time.
DOWNLOAD_BATCH = 1000
#: Whole-collection downloads written at once per process; one more waits for a 503 + Retry-After.
MAX_DOWNLOADS = 2
#: Cells (rows × columns) of the largest XLSX download: a workbook is made in memory (its
#: annex sums over every row), about 1 kB a cell with openpyxl; Kon Tum's communes are 18,000.
XLSX_MAX_CELLS = 500_000
#: Bytes read per piece when the finished file is sent.
FILE_CHUNK = 256 * 1024
RETRY_AFTER_S = 5


@bp.record_once
def _setup(state) -> None:
    """One bounded pool of whole-download slots per app."""
    state.app.extensions["download_slots"] = threading.BoundedSemaphore(MAX_DOWNLOADS)


class _FileBody:
    """A finished download sent in pieces from an open file whose folder is already gone
    (removed as soon as the file is open, so no answer — sent, dropped or replaced by a
    304 — leaves a file behind); closed by the WSGI server when the answer ends."""

    def __init__(self, fh):
        self.fh = fh

    def __iter__(self):
        while chunk := self.fh.read(FILE_CHUNK):
            yield chunk

    def close(self) -> None:
        self.fh.close()


def _export(meta: dict, sel, limit: int, start: int, crs: crs_ref.ServedCrs) -> Response:
    mod = _export_module()
    if mod is None:  # vanished between the check and now
        raise bad_request(Message("error.ogc.no_exports"))
    fmt = request.args["f"].strip().lower()
    matched = sel.number_matched
    # A download without `limit` is everything the query matches (from `offset`), not the
    # first page: the collection's download links give the whole collection. With `limit`
    # it is that page, and both the file name and the provenance note say so.
    whole = "limit" not in request.args
    count = max(0, matched - start) if whole else max(0, min(limit, matched - start))
    name = "Kon Tum " + meta["id"]
    if sel.years:  # a datetime / year selection of indicator columns
        first, last = sel.years[0], sel.years[-1]
        name += f" {first}" if first == last else f" {first}-{last}"
    if whole and start == 0:
        extent = f"all {matched} features matched"
    else:
        extent = f"features {start + 1}-{start + count} of {matched}" if count else f"no feature of {matched}"
        name += f" features {start + 1}-{start + count} of {matched}" if count else " empty"
    size = min(count, DOWNLOAD_BATCH) if whole else limit

    def batches():
        """The rows from ``start``, a batch at a time (one empty batch when none: the file
        still has its columns)."""
        done = 0
        while True:
            batch = _provider(sel.page_frame, size, start + done)
            yield batch
            done += len(batch)
            if batch.empty or done >= count:
                return

    options = {
        "metadata": {"collection": meta["id"], "request": _request_url(), "features": extent},
        "sources_of": _export_sources(meta),
        "crs": crs,
        # GIS clients read a CSV's geometry: the OGC download keeps its WKT column
        # (the page's Excel-friendly CSV has none by default).
        "geometry": "wkt" if fmt == "csv" else None,
        # The collection's types, which gaps hide in a frame (a count with nulls reads as
        # floats, a flag as objects): GDAL and QGIS then read Integer64 and Boolean fields.
        "types": {n: p["type"] for n, p in meta["properties"].items()},
        "max_cells": XLSX_MAX_CELLS,
        **_annex(fmt, meta["id"]),
    }
    slots = current_app.extensions["download_slots"]
    if not slots.acquire(blocking=False):
        return busy(Message("error.ogc.downloads_busy", count=MAX_DOWNLOADS), RETRY_AFTER_S)
    folder = tempfile.mkdtemp(prefix="download_")
    try:
        written = mod.export_file(batches, fmt, name, folder, **options)
        fh = open(written.path, "rb")
        length = os.fstat(fh.fileno()).st_size
    except ValueError as exc:
        raise bad_request(Message("error.ogc.export_failed", fmt=fmt, reason=cause(exc))) from None
    except OSError as exc:  # the disk is full, the folder cannot be written
        raise ApiError(
            Message("error.ogc.export_unwritten", fmt=fmt, reason=str(exc.strerror or exc)), 503, "ServiceUnavailable"
        ) from None
    finally:
        shutil.rmtree(folder, ignore_errors=True)
        slots.release()
    resp = Response(_FileBody(fh), content_type=written.mimetype)
    resp.headers["Content-Length"] = str(length)
    resp.headers["Content-Disposition"] = f'attachment; filename="{written.filename}"'
    return _crs_header(resp, mod.written_crs(fmt, crs) or crs_ref.CRS84_SERVED)


#: The unit level of the collections with indicator columns (their values are observations).
LEVELS = {"communes": "commune", "districts": "district", "communes_2025": "commune_2025"}


def _export_sources(meta: dict):
    """A function giving the sources of the indicator values in an exported batch, as a
    /layers download lists them: the ``source`` of every observation behind a column of the
    file (indicator and year) for the units in it.  The observations are read once per
    download, on the first batch that needs them.  Works, roads and the border carry their
    own ``source`` column, which the export reads itself."""
    level = LEVELS.get(meta["id"])
    read: dict[str, pd.DataFrame] = {}

    def sources_of(page) -> list[str]:
        if level is None or page.empty:
            return []
        if "obs" not in read:
            obs = _provider(app_context.backend().read_layer, "observations")
            read["obs"] = obs[obs["unit_level"] == level]
        obs = read["obs"]
        obs = obs[obs["gso_code"].astype(str).isin(set(page[meta["id_field"]].astype(str)))]
        indicators_ = sorted({str(i) for i in obs["indicator"].dropna()}, key=len, reverse=True)
        wanted: set[tuple[str, float | None]] = set()
        for col in page.columns:
            info = meta["properties"].get(col)
            if info is None or col.endswith(("_status", "_standard")):
                continue
            ind = next((i for i in indicators_ if col == i or col.startswith(i + "_")), None)
            if ind is not None:
                year = info.get("year") or info.get("data_year")
                wanted.add((ind, float(year) if year else None))
        years = pd.to_numeric(obs["year"], errors="coerce")
        pairs = zip(obs["indicator"].astype(str), years.tolist())
        keep = [(ind, y) in wanted or (ind, None) in wanted for ind, y in pairs]
        sources = obs.loc[keep, "source"].dropna().astype(str)
        return list(dict.fromkeys(s for s in sources if s.strip()))

    return sources_of


def _annex(fmt: str, collection_id: str) -> dict:
    """The report annex's options for an XLSX download (labels from the catalogue, language, level)."""
    if fmt != "xlsx":
        return {}
    levels = {"communes": "commune", "districts": "district", "communes_2025": "commune_2025"}
    catalogue = _provider(app_context.backend().read_layer, "catalogue")
    labels = annex.labels_from_catalogue(catalogue)
    return {"annex": {"labels": labels, "lang": _lang(), "level": levels.get(collection_id)}}


def _columns(page, meta) -> list[dict]:
    props = meta["properties"]
    out = []
    for name in page.columns:
        if name == page.geometry.name:
            continue
        info = props.get(name, {})
        out.append(
            {
                "name": name,
                "title_vi": info.get("title_vi", ""),
                "title_en": info.get("title_en", ""),
                "unit": info.get("unit", ""),
            }
        )
    return out


def _rows(page, meta) -> list[dict]:
    id_field = meta["id_field"]
    rows = []
    for rec in page.drop(columns=page.geometry.name).to_dict("records"):
        rows.append({"id": str(rec[id_field]), "values": {k: _display(v) for k, v in rec.items()}})
    return rows


def _display(v) -> str:
    if F.isnull(v):
        return ""
    if isinstance(v, float):
        return f"{v:,.4f}".rstrip("0").rstrip(".") if v != int(v) else f"{int(v):,}"
    if isinstance(v, bool):
        return "true" if v else "false"
    return str(v)


@bp.get("/collections/<collection_id>/items/<path:feature_id>")
def item(collection_id: str, feature_id: str):
    feature_id = feature_id.rstrip("/") or feature_id  # a trailing slash, as on the other routes
    meta = _provider(lambda: _gpkg().collection(collection_id))
    _check_params((*COMMON_PARAMS, "crs"))
    lang = _lang()
    fmt = _format(("json", "geojson", "html"))
    crs = _crs_param("crs")
    text = _provider(lambda: _gpkg().item_json(collection_id, feature_id))
    text = F.reproject_features([text.encode("utf-8")], crs)[0].decode("utf-8")
    t = _text(lang)
    p = {"lang": lang} if "lang" in request.args else {}
    links = [
        _link(
            _url("ogc.item", dict(p, f="json"), collection_id=collection_id, feature_id=feature_id),
            "self" if fmt == "json" else "alternate",
            GEOJSON,
            t["item"] + " (GeoJSON)",
        ),
        _link(
            _url("ogc.item", dict(p, f="html"), collection_id=collection_id, feature_id=feature_id),
            "self" if fmt == "html" else "alternate",
            HTML,
            t["item"] + " (HTML)",
        ),
        _link(
            _url("ogc.collection", dict(p, f="json"), collection_id=collection_id),
            "collection",
            JSON,
            _title(meta, lang),
        ),
        _link(
            _url("ogc.collection", dict(p, f="html"), collection_id=collection_id),
            "collection",
            HTML,
            _title(meta, lang),
        ),
    ]
    if fmt == "html":
        page = _provider(lambda: _gpkg().item(collection_id, feature_id))
        geom = page.geometry.iloc[0]
        bounds = [] if geom is None or geom.is_empty else [round(b, 6) for b in geom.bounds]
        return _html_response(
            "ogc/item.html",
            meta=meta,
            lang=lang,
            links=links,
            row=_rows(page, meta)[0],
            columns=_columns(page, meta),
            geometry_type="" if geom is None else geom.geom_type,
            geometry_bounds=bounds,
            title=_title(meta, lang),
            feature_id=feature_id,
        )
    body = text[:-1] + ',"links":' + json.dumps(links, ensure_ascii=False) + "}"
    return _crs_header(_json_response(body, GEOJSON), crs)


# --------------------------------------------------------------------------- OpenAPI


@bp.get("/api", strict_slashes=False)
def api():
    _check_params(COMMON_PARAMS)
    lang = _lang()
    fmt = _format(("json", "html"))
    doc = openapi(lang)
    if fmt == "html":
        return _html_response("ogc/api.html", doc=doc, lang=lang)
    return _json_response(doc, OPENAPI)


def _exception_responses(*codes: int) -> dict:
    text = {
        400: "Invalid or unknown query parameter",
        404: "Not found",
        406: "Not acceptable (a format this path does not serve)",
        500: "Server error",
        503: "Data not built yet",
    }
    return {
        str(c): {"description": text[c], "content": {JSON: {"schema": {"$ref": "#/components/schemas/exception"}}}}
        for c in codes
    }


def openapi(lang: str = "vi") -> dict:
    """The OpenAPI 3.0 definition of this service (paths relative to ``/ogc``)."""
    t = _text(lang)
    server = app_context.external_url("ogc.landing").rstrip("/")
    metas = _provider(lambda: _gpkg().collections())
    exports = _export_formats()
    ref = lambda name: {"$ref": f"#/components/parameters/{name}"}  # noqa: E731
    simple_html = {HTML: {"schema": {"type": "string"}}}

    def simple(op_id, summary, tag, schema_ref, json_type=JSON):
        return {
            "get": {
                "operationId": op_id,
                "summary": summary,
                "tags": [tag],
                "parameters": [ref("f"), ref("lang")],
                "responses": {
                    "200": {
                        "description": summary,
                        "content": {
                            json_type: {"schema": {"$ref": f"#/components/schemas/{schema_ref}"}},
                            **simple_html,
                        },
                    },
                    **_exception_responses(400, 500, 503),
                },
            }
        }

    paths = {
        "/": simple("getLandingPage", t["landing"], "Capabilities", "landingPage"),
        "/conformance": simple("getConformanceDeclaration", t["conformance"], "Capabilities", "confClasses"),
        "/api": {
            "get": {
                "operationId": "getAPI",
                "summary": t["api"],
                "tags": ["Capabilities"],
                "parameters": [ref("f"), ref("lang")],
                "responses": {
                    "200": {
                        "description": t["api"],
                        "content": {OPENAPI: {"schema": {"type": "object"}}, **simple_html},
                    },
                    **_exception_responses(400, 500, 503),
                },
            }
        },
        "/collections": simple("getCollections", t["collections"], "Capabilities", "collections"),
    }
    item_types = {GEOJSON: {"schema": {"$ref": "#/components/schemas/featureCollectionGeoJSON"}}, **simple_html}
    for f in exports:
        item_types[_export_type(f).split(";")[0].strip()] = {"schema": {"type": "string", "format": "binary"}}
    for m in metas:
        cid = m["id"]
        title = m["title"][lang]
        paths[f"/collections/{cid}"] = simple(f"describeCollection_{cid}", title, cid, "collection")
        params = [ref("f_items"), ref("lang"), ref("bbox"), ref("bbox-crs"), ref("crs")]
        params += [ref("limit"), ref("offset"), ref("datetime"), ref("sortby")]
        params += [ref("filter"), ref("filter-lang"), ref("filter-crs")]
        if m["time"] == "indicators":
            params.append(
                {
                    "name": "year",
                    "in": "query",
                    "required": False,
                    "description": "Năm chỉ tiêu (như datetime=YYYY) / indicator year (same as datetime=YYYY)",
                    "schema": {"type": "integer", "enum": m["years"]},
                    "style": "form",
                    "explode": False,
                }
            )
        for name, q in m["queryables"].items():
            if name == "year" and m["time"] == "indicators":
                continue
            desc = (q.get("title_vi") or name) + " / " + (q.get("title_en") or name)
            params.append(
                {
                    "name": name,
                    "in": "query",
                    "required": False,
                    "description": f"{desc}: chỉ lấy đối tượng có {name} = giá trị / "
                    f"only features whose {name} equals the value",
                    "schema": {"type": q["type"]},
                    "style": "form",
                    "explode": False,
                }
            )
        paths[f"/collections/{cid}/items"] = {
            "get": {
                "operationId": f"getFeatures_{cid}",
                "summary": f"{t['items']}: {title}",
                "tags": [cid],
                "parameters": params,
                "responses": {
                    "200": {"description": t["items"], "content": item_types},
                    **_exception_responses(400, 500, 503),
                },
            }
        }
        for kind, op in (("schema", "getSchema"), ("queryables", "getQueryables")):
            paths[f"/collections/{cid}/{kind}"] = {
                "get": {
                    "operationId": f"{op}_{cid}",
                    "summary": f"{t['schema' if kind == 'schema' else 'queryables']}: {title}",
                    "tags": [cid],
                    "parameters": [ref("lang")] + ([SCHEMA_PROFILE] if kind == "schema" else []),
                    "responses": {
                        "200": {"description": kind, "content": {SCHEMA: {"schema": {"type": "object"}}}},
                        **_exception_responses(400, 404, 500, 503),
                    },
                }
            }
        paths[f"/collections/{cid}/items/{{featureId}}"] = {
            "get": {
                "operationId": f"getFeature_{cid}",
                "summary": f"{t['item']}: {title}",
                "tags": [cid],
                "parameters": [ref("featureId"), ref("f_item"), ref("lang")],
                "responses": {
                    "200": {
                        "description": t["item"],
                        "content": {
                            GEOJSON: {"schema": {"$ref": "#/components/schemas/featureGeoJSON"}},
                            **simple_html,
                        },
                    },
                    **_exception_responses(400, 404, 500, 503),
                },
            }
        }

    def fparam(formats, default="json"):
        return {
            "name": "f",
            "in": "query",
            "required": False,
            "description": "Định dạng (ưu tiên hơn tiêu đề Accept) / response format (wins over the Accept header)",
            "schema": {"type": "string", "enum": list(formats), "default": default},
            "style": "form",
            "explode": False,
        }

    components_params = {
        "f": fparam(("json", "html")),
        "f_items": fparam(("json", "geojson", "html", *exports)),
        "f_item": fparam(("json", "geojson", "html")),
        "lang": {
            "name": "lang",
            "in": "query",
            "required": False,
            "description": "Ngôn ngữ / language",
            "schema": {"type": "string", "enum": list(LANGS), "default": "vi"},
            "style": "form",
            "explode": False,
        },
        "bbox": {
            "name": "bbox",
            "in": "query",
            "required": False,
            "description": "Chỉ lấy đối tượng giao với khung bao (WGS84 kinh độ/vĩ độ) / only "
            "features that intersect the bounding box, WGS84 longitude/latitude: "
            "minlon,minlat,maxlon,maxlat (or six numbers with heights, ignored: "
            "the data are 2-D). minlon > maxlon crosses the antimeridian.",
            "schema": {
                "type": "array",
                "oneOf": [{"minItems": 4, "maxItems": 4}, {"minItems": 6, "maxItems": 6}],
                "items": {"type": "number"},
            },
            "style": "form",
            "explode": False,
        },
        **{
            name: {
                "name": name,
                "in": "query",
                "required": False,
                "description": desc,
                "schema": {"type": "string", "format": "uri", "enum": CRS_URIS, "default": F.CRS84},
                "style": "form",
                "explode": False,
            }
            for name, desc in (
                ("bbox-crs", "Hệ tọa độ của bbox, theo thứ tự trục của nó / CRS of bbox, in its axis order"),
                ("crs", "Hệ tọa độ trả về (VN-2000: EPSG 4756, 3405, 9216) / CRS of the response"),
                (
                    "filter-crs",
                    "Hệ tọa độ của hình học trong filter, theo thứ tự trục của nó / CRS of the "
                    "geometries in filter, in its axis order",
                ),
            )
        },
        "filter": {
            "name": "filter",
            "in": "query",
            "required": False,
            "description": "Biểu thức lọc CQL2 (Part 3) / a CQL2 filter over the queryables "
            "(/collections/{collectionId}/queryables), e.g. on_border = true AND poor_rate_2020 > 20 "
            "AND S_INTERSECTS(geometry, BBOX(107.5, 14.2, 107.9, 14.6)). Comparisons, AND/OR/NOT, "
            "LIKE, IN, BETWEEN, IS NULL, S_INTERSECTS, S_WITHIN and the other S_ functions.",
            "schema": {"type": "string"},
            "style": "form",
            "explode": False,
        },
        "filter-lang": {
            "name": "filter-lang",
            "in": "query",
            "required": False,
            "description": "Ngôn ngữ của filter / the language of filter",
            # the draft name last: GDAL's OAPIF driver sends filters only when it finds it here
            "schema": {"type": "string", "enum": [*cql2.LANGS, *cql2.ALIASES], "default": cql2.LANGS[0]},
            "style": "form",
            "explode": False,
        },
        "limit": {
            "name": "limit",
            "in": "query",
            "required": False,
            "description": f"Số đối tượng tối đa mỗi trang / page size. Minimum = 1. "
            f"Maximum = {F.MAX_LIMIT} (a larger value is capped to it). Default = "
            f"{F.DEFAULT_LIMIT}.",
            "schema": {"type": "integer", "minimum": 1, "maximum": F.MAX_LIMIT, "default": F.DEFAULT_LIMIT},
            "style": "form",
            "explode": False,
        },
        "offset": {
            "name": "offset",
            "in": "query",
            "required": False,
            "description": "Bỏ qua bao nhiêu đối tượng đầu / number of features to skip",
            "schema": {"type": "integer", "minimum": 0, "default": 0},
            "style": "form",
            "explode": False,
        },
        "datetime": {
            "name": "datetime",
            "in": "query",
            "required": False,
            "description": "Thời điểm hoặc khoảng (RFC 3339; 2018, 2016/2018, ../2020, "
            "2018/..) / instant or interval. Communes and districts: selects "
            "which years' indicator columns are served (no overlap with "
            "2015–2020: nothing matches). Works: works of those years (and "
            "those without a year). Other collections have no time and "
            "match any value.",
            "schema": {"type": "string"},
            "style": "form",
            "explode": False,
        },
        "sortby": {
            "name": "sortby",
            "in": "query",
            "required": False,
            "description": "Sắp xếp / sort: comma-separated properties, each with an optional "
            "+ (ascending, default) or - (descending), e.g. -poor_rate_2020,name",
            "schema": {"type": "array", "items": {"type": "string"}},
            "style": "form",
            "explode": False,
        },
        "featureId": {
            "name": "featureId",
            "in": "path",
            "required": True,
            "description": "Mã đối tượng / feature id",
            "schema": {"type": "string"},
        },
    }
    link = {
        "type": "object",
        "required": ["href"],
        "properties": {
            "href": {"type": "string"},
            "rel": {"type": "string"},
            "type": {"type": "string"},
            "hreflang": {"type": "string"},
            "title": {"type": "string"},
            "length": {"type": "integer"},
        },
    }
    links = {"type": "array", "items": {"$ref": "#/components/schemas/link"}}
    schemas = {
        "exception": {
            "type": "object",
            "required": ["code"],
            "properties": {
                "code": {"type": "string"},
                "description": {"type": "string"},
                "error": {"type": "string"},
                "status": {"type": "integer"},
            },
        },
        "link": link,
        "landingPage": {
            "type": "object",
            "required": ["links"],
            "properties": {"title": {"type": "string"}, "description": {"type": "string"}, "links": links},
        },
        "confClasses": {
            "type": "object",
            "required": ["conformsTo"],
            "properties": {"conformsTo": {"type": "array", "items": {"type": "string"}}},
        },
        "extent": {
            "type": "object",
            "properties": {
                "spatial": {
                    "type": "object",
                    "properties": {
                        "bbox": {
                            "type": "array",
                            "minItems": 1,
                            "items": {"type": "array", "minItems": 4, "maxItems": 6, "items": {"type": "number"}},
                        },
                        "crs": {"type": "string"},
                    },
                },
                "temporal": {
                    "type": "object",
                    "properties": {
                        "interval": {
                            "type": "array",
                            "minItems": 1,
                            "items": {
                                "type": "array",
                                "minItems": 2,
                                "maxItems": 2,
                                "items": {"type": "string", "format": "date-time", "nullable": True},
                            },
                        },
                        "trs": {"type": "string"},
                    },
                },
            },
        },
        "collection": {
            "type": "object",
            "required": ["id", "links"],
            "properties": {
                "id": {"type": "string"},
                "title": {"type": "string"},
                "description": {"type": "string"},
                "links": links,
                "extent": {"$ref": "#/components/schemas/extent"},
                "itemType": {"type": "string"},
                "crs": {"type": "array", "items": {"type": "string"}},
            },
        },
        "collections": {
            "type": "object",
            "required": ["links", "collections"],
            "properties": {
                "links": links,
                "collections": {"type": "array", "items": {"$ref": "#/components/schemas/collection"}},
            },
        },
        "geometryGeoJSON": {
            "type": "object",
            "required": ["type"],
            "properties": {
                "type": {
                    "type": "string",
                    "enum": [
                        "Point",
                        "MultiPoint",
                        "LineString",
                        "MultiLineString",
                        "Polygon",
                        "MultiPolygon",
                        "GeometryCollection",
                    ],
                }
            },
        },
        "featureGeoJSON": {
            "type": "object",
            "required": ["type", "geometry", "properties"],
            "properties": {
                "type": {"type": "string", "enum": ["Feature"]},
                "geometry": {"allOf": [{"$ref": "#/components/schemas/geometryGeoJSON"}], "nullable": True},
                "properties": {"type": "object", "nullable": True},
                "id": {"oneOf": [{"type": "string"}, {"type": "integer"}]},
                "links": links,
            },
        },
        "featureCollectionGeoJSON": {
            "type": "object",
            "required": ["type", "features"],
            "properties": {
                "type": {"type": "string", "enum": ["FeatureCollection"]},
                "features": {"type": "array", "items": {"$ref": "#/components/schemas/featureGeoJSON"}},
                "links": links,
                "timeStamp": {"type": "string", "format": "date-time"},
                "numberMatched": {"type": "integer", "minimum": 0},
                "numberReturned": {"type": "integer", "minimum": 0},
            },
        },
    }
    tiled = {m["id"]: m["title"][lang] for m in metas if m["id"] in ogc_tiles.TILED}
    paths.update(tiles_api.openapi_paths(tiled, _exception_responses))
    tags = [{"name": "Capabilities", "description": t["site"]}]
    tags += [{"name": m["id"], "description": m["title"][lang]} for m in metas]
    tags.append({"name": "Tiles", "description": "OGC API – Tiles (Mapbox Vector Tiles)"})
    return {
        "openapi": "3.0.3",
        "info": {
            "title": t["site"],
            "version": "1.0.0",
            "description": t["site_desc"],
            "license": {"name": "see data/README.md (sources and licences per dataset)"},
        },
        "servers": [{"url": server}],
        "tags": tags,
        "paths": paths,
        "components": {"parameters": components_params, "schemas": schemas},
    }
