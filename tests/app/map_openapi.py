"""A hand-written OpenAPI 3.0 document of the map's own endpoints (not the OGC API):
``/targets``, ``/layers``, ``/layers/{id}.geojson``, ``/layers/geometry/{source}.geojson``,
``/raster/remoteness.tif``, ``/raster/indicator.tif`` and ``POST /raster/zonal``.

The app serves no OpenAPI document for these (only ``/ogc/api``), so schemathesis
fuzzes them against this one (``tests/app/test_schemathesis.py``).  Parameters are
typed loosely where the app accepts spellings (``year=2020``, ``top=+5``) and with
enums where it checks a list, so that valid requests are generated often and the
negative mode produces everything else.  Every answer is listed with its media type;
4xx answers carry the app's error object.  No 5xx is listed: none may happen.

``f=profiles`` (a PDF of up to 500 pages) is left out of the enum to keep the run
within minutes; the print tests cover it.
"""

from __future__ import annotations

from geo.analysis import classify
from geo.io import export
from geo.maplayers import layerspec
from geo.raster import remoteness, zonal
from geo.units import boundaries

JSON = "application/json"
GEOJSON = "application/geo+json"
TIFF = "image/tiff"

ERROR = {
    "type": "object",
    "required": ["code", "description", "status"],
    "properties": {
        "code": {"type": "string", "minLength": 1},
        "description": {"type": "string", "minLength": 1},
        "error": {"type": "string"},
        "status": {"type": "integer", "minimum": 400, "maximum": 499},
    },
}
FEATURE_COLLECTION = {
    "type": "object",
    "required": ["type", "features"],
    "properties": {
        "type": {"type": "string", "enum": ["FeatureCollection"]},
        "features": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["type", "properties"],
                "properties": {"type": {"enum": ["Feature"]}, "properties": {"type": "object"}},
            },
        },
    },
}


def _errors(*codes: int) -> dict:
    return {
        str(c): {"description": "error", "content": {JSON: {"schema": {"$ref": "#/components/schemas/error"}}}}
        for c in codes
    }


def _query(name: str, schema: dict) -> dict:
    return {"name": name, "in": "query", "required": False, "schema": schema}


def _export_content() -> dict:
    """The media types of ``/targets?f=…`` exports (an export's type, without its parameters)."""
    out = {}
    for mimetype, _suffix in export.FORMATS.values():
        out.setdefault(mimetype.split(";")[0].strip(), {"schema": {"type": "string", "format": "binary"}})
    return out


def _targets_params() -> list[dict]:
    levels = list(boundaries.LEVELS)
    return [
        _query("level", {"type": "string", "enum": levels}),
        _query("indicator", {"type": "string", "enum": ["poor_rate", "near_poor_rate", "households", "nope"]}),
        _query("weights", {"type": "string", "example": "poor_rate:2,near_poor_rate:1"}),
        _query("year", {"type": "integer", "minimum": 2010, "maximum": 2025}),
        _query("standard", {"type": "string", "enum": ["2011-2015", "2016-2020", "2022-2025", "x"]}),
        _query("near", {"type": "string", "enum": ["border", "roads", "point:107.9,14.4", "point:x"]}),
        _query("country", {"type": "string", "enum": ["LAO", "KHM", "lao", "THA"]}),
        _query("within_km", {"type": "number"}),
        _query("bbox", {"type": "string", "example": "107.5,14.2,108.0,14.8"}),
        _query("district", {"type": "string", "enum": ["618", "Đắk Glei", "Ngọc Hồi", "999"]}),
        _query("status", {"type": "string", "enum": ["official", "synthetic", "derived", "x"]}),
        _query("top", {"type": "integer", "minimum": 1, "maximum": 500}),
        _query("lang", {"type": "string", "enum": ["vi", "en"]}),
        _query("f", {"type": "string", "enum": ["json", *export.FORMATS]}),
        _query("geometry", {"type": "string", "enum": list(export.GEOMETRY_OPTIONS)}),
    ]


def _targets() -> dict:
    body = {
        "type": "object",
        "properties": {
            "intersects": {"type": "object", "example": {"type": "Point", "coordinates": [107.9, 14.4]}},
            "top": {"type": "integer"},
            "level": {"type": "string"},
        },
    }
    responses = {
        "200": {"description": "ranked units", "content": {JSON: {"schema": FEATURE_COLLECTION}, **_export_content()}},
        **_errors(400, 404, 413),
    }
    return {
        "get": {"operationId": "targets", "parameters": _targets_params(), "responses": responses},
        "post": {
            "operationId": "targetsPost",
            "parameters": [
                _query("lang", {"type": "string", "enum": ["vi", "en"]}),
                _query("top", {"type": "integer"}),
            ],
            "requestBody": {"required": False, "content": {JSON: {"schema": body}}},
            "responses": responses,
        },
    }


def _layers() -> dict:
    ids = [s.id for s in layerspec.load_layers()]
    layer_list = {
        "type": "object",
        "required": ["layers"],
        "properties": {
            "layers": {
                "type": "array",
                "minItems": 1,
                "items": {"type": "object", "required": ["id", "title", "kind", "url"]},
            }
        },
    }
    lang = _query("lang", {"type": "string", "enum": ["vi", "en"]})
    return {
        "/layers": {
            "get": {
                "operationId": "layers",
                "parameters": [lang],
                "responses": {
                    "200": {"description": "layers", "content": {JSON: {"schema": layer_list}}},
                    **_errors(400),
                },
            }
        },
        "/layers/{layer_id}.geojson": {
            "get": {
                "operationId": "layer",
                "parameters": [
                    {"name": "layer_id", "in": "path", "required": True, "schema": {"type": "string", "enum": ids}},
                    lang,
                    _query("year", {"type": "integer", "minimum": 2014, "maximum": 2022}),
                    _query("scheme", {"type": "string", "enum": list(classify.SCHEMES)}),
                    _query("k", {"type": "integer", "minimum": classify.MIN_K, "maximum": classify.MAX_K}),
                    _query("breaks", {"type": "string", "example": "10;30;50"}),
                    _query("geometry", {"type": "string", "enum": ["full", "none"]}),
                ],
                "responses": {
                    "200": {"description": "a layer", "content": {GEOJSON: {"schema": FEATURE_COLLECTION}}},
                    **_errors(400, 404),
                },
            }
        },
        "/layers/geometry/{source}.geojson": {
            "get": {
                "operationId": "layerGeometry",
                "parameters": [
                    {
                        "name": "source",
                        "in": "path",
                        "required": True,
                        "schema": {"type": "string", "enum": list(layerspec.LEVELS)},
                    }
                ],
                "responses": {
                    "200": {"description": "shared geometry", "content": {GEOJSON: {"schema": {"type": "object"}}}},
                    **_errors(400, 404),
                },
            }
        },
    }


def _rasters() -> dict:
    tiff = {"200": {"description": "GeoTIFF", "content": {TIFF: {"schema": {"type": "string", "format": "binary"}}}}}
    # Coarse cells only: a run computes each (target, resolution) once, in seconds, not minutes.
    resolution = _query("resolution", {"type": "number", "enum": [1000, 2000, 5000]})
    zonal_form = {
        "type": "object",
        "required": ["file"],
        "properties": {
            "file": {"type": "string", "format": "binary"},
            "level": {"type": "string", "enum": list(boundaries.LEVELS)},
            "all_touched": {"type": "string", "enum": ["true", "false", "1", "0"]},
            "stats": {"type": "string", "enum": [",".join(zonal.STATS), "mean", "sum,mean", "median"]},
            "band": {"type": "integer", "minimum": 1, "maximum": 3},
        },
    }
    zonal_answer = {"type": "object", "required": ["units"], "properties": {"units": {"type": "array"}}}
    return {
        "/raster/remoteness.tif": {
            "get": {
                "operationId": "remoteness",
                "parameters": [_query("target", {"type": "string", "enum": list(remoteness.TARGETS)}), resolution],
                "responses": {**tiff, **_errors(400, 429)},
            }
        },
        "/raster/indicator.tif": {
            "get": {
                "operationId": "indicatorRaster",
                "parameters": [
                    {
                        "name": "indicator",
                        "in": "query",
                        "required": True,
                        "schema": {"type": "string", "enum": ["poor_rate", "near_poor_rate", "population_2019"]},
                    },
                    _query("year", {"type": "integer", "minimum": 2015, "maximum": 2020}),
                    _query("classes", {"type": "integer", "minimum": 2, "maximum": 9}),
                    _query("level", {"type": "string", "enum": ["commune", "district"]}),
                    resolution,
                ],
                "responses": {**tiff, **_errors(400, 429)},
            }
        },
        "/raster/zonal": {
            "post": {
                "operationId": "zonal",
                "requestBody": {"required": True, "content": {"multipart/form-data": {"schema": zonal_form}}},
                "responses": {
                    "200": {"description": "zonal statistics", "content": {JSON: {"schema": zonal_answer}}},
                    **_errors(400, 413, 429),
                },
            }
        },
    }


def document() -> dict:
    """The OpenAPI document (``servers`` empty: schemathesis calls the WSGI app in process)."""
    return {
        "openapi": "3.0.3",
        "info": {"title": "Kon Tum map: targets, layers, rasters (tests)", "version": "1"},
        "paths": {"/targets": _targets(), **_layers(), **_rasters()},
        "components": {"schemas": {"error": ERROR}},
    }
