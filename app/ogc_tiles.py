"""OGC API – Tiles (Part 1: Core) under ``/ogc``: vector tiles of the polygon collections.

The formatter half (the provider is :mod:`geo.ogc.tiles` and the backend's
:meth:`~geo.backends.base.Backend.tile`).  Routes:

=====================================================================  ============================
``/ogc/tileMatrixSets``                                                the tile matrix sets (one)
``/ogc/tileMatrixSets/WebMercatorQuad``                                its definition
``/ogc/collections/{id}/tiles``                                        the collection's tilesets
``/ogc/collections/{id}/tiles/WebMercatorQuad``                        the tileset metadata
``/ogc/collections/{id}/tiles/WebMercatorQuad/{z}/{y}/{x}``            a tile (MVT)
=====================================================================  ============================

A tile is ``application/vnd.mapbox-vector-tile``, one layer named after the
collection; ``properties=a,b`` adds value columns (with their ``_status``)
to the id and name it always carries (see :mod:`geo.ogc.tiles`' rules).  An
empty tile is ``204 No Content``; a zoom, row or column outside the tile
matrix set ``404``; a malformed one or an unknown property ``400`` — all in
the request's language.  Tiles carry the data answers' validators and
compression (:mod:`app.http_cache`: a strong ETag from the data version and
the URL, ``304``, brotli/gzip once per tile).
"""

from __future__ import annotations

import json

from flask import Blueprint, Response, request

from geo.backends.base import BackendConfigError, BackendError
from geo.messages import Message as M
from geo.ogc import features as F
from geo.ogc import tiles as T

from . import context as app_context
from . import i18n
from .errors import ApiError, bad_request, not_found, unavailable

bp = Blueprint("ogc_tiles", __name__, url_prefix="/ogc")

JSON = "application/json"
TILE_PARAMS = ("f", "lang", "properties")
META_PARAMS = ("f", "lang")
REL_TILING_SCHEME = "http://www.opengis.net/def/rel/ogc/1.0/tiling-scheme"
REL_TILESETS_VECTOR = "http://www.opengis.net/def/rel/ogc/1.0/tilesets-vector"
REL_GEODATA = "http://www.opengis.net/def/rel/ogc/1.0/geodata"
TEMPLATE = "{tileMatrix}/{tileRow}/{tileCol}"


def _check_params(allowed: tuple[str, ...]) -> None:
    """400 for a parameter these routes do not know, a format other than theirs, or a bad ``lang``."""
    for name in request.args:
        if name not in allowed:
            raise bad_request(M("error.tiles.unknown_param", got=name, expected=", ".join(allowed)), "UnknownParameter")
    lang = request.args.get("lang")
    if lang is not None and lang not in i18n.LANGS:
        raise bad_request(M("error.unknown_lang", got=lang, expected=", ".join(i18n.LANGS)))
    fmt = request.args.get("f")
    wanted = "mvt" if "properties" in allowed else "json"
    if fmt is not None and fmt != wanted:
        raise ApiError(M("error.http.406"), 406, "NotAcceptable")


def _lang() -> str:
    return request.args.get("lang") or app_context.settings().lang


def _backend():
    try:
        return app_context.backend()
    except BackendConfigError as exc:
        raise ApiError(exc, 503, "ServiceUnavailable") from None


def _provider(call):
    """Call the backend, turning its errors into API errors (404 / 400 / 503)."""
    try:
        return call()
    except (F.UnknownCollection, F.UnknownFeature) as exc:
        raise not_found(exc.args[0]) from None
    except T.TileNotFound as exc:
        raise not_found(exc.args[0]) from None
    except T.TileError as exc:
        raise bad_request(exc.args[0]) from None
    except BackendError as exc:
        raise unavailable(exc) from None
    except OSError as exc:
        raise ApiError(M("error.http.503"), 503, "ServiceUnavailable") from exc


def _tiled(collection_id: str) -> dict:
    """The collection's metadata; 404 when it is unknown or not served as tiles."""
    meta = _provider(lambda: _backend().collection(collection_id))
    if collection_id not in T.TILED:
        raise not_found(M("error.tiles.not_tiled", got=collection_id, expected=", ".join(T.TILED)))
    return meta


def _tms(tms: str) -> None:
    if tms != T.TMS_ID:
        raise not_found(M("error.tiles.unknown_tms", got=tms, expected=T.TMS_ID))


def _url(endpoint: str, **values) -> str:
    return app_context.external_url(endpoint, **values)


def _json(doc: dict) -> Response:
    resp = Response(json.dumps(doc, ensure_ascii=False), mimetype=JSON)
    resp.headers["Cache-Control"] = "no-cache"
    return resp


def _tile_template(collection_id: str) -> str:
    base = _url("ogc_tiles.tileset", collection_id=collection_id, tms=T.TMS_ID)
    return base.rstrip("/") + "/" + TEMPLATE


def _tileset_summary(meta: dict, lang: str) -> dict:
    cid = meta["id"]
    return {
        "title": meta["title"][lang],
        "dataType": "vector",
        "crs": T.TMS_CRS,
        "tileMatrixSetURI": T.TMS_URI,
        "links": [
            {"href": _url("ogc_tiles.tileset", collection_id=cid, tms=T.TMS_ID), "rel": "self", "type": JSON},
            {"href": _url("ogc_tiles.tile_matrix_set", tms=T.TMS_ID), "rel": REL_TILING_SCHEME, "type": JSON},
            {"href": _tile_template(cid), "rel": "item", "type": T.MEDIA_TYPE, "templated": True},
        ],
    }


@bp.get("/tileMatrixSets", strict_slashes=False)
def tile_matrix_sets():
    _check_params(META_PARAMS)
    tms = T.tile_matrix_set()
    link = {"href": _url("ogc_tiles.tile_matrix_set", tms=T.TMS_ID), "rel": REL_TILING_SCHEME, "type": JSON}
    return _json({"tileMatrixSets": [{"id": tms["id"], "title": tms["title"], "uri": T.TMS_URI, "links": [link]}]})


@bp.get("/tileMatrixSets/<tms>", strict_slashes=False)
def tile_matrix_set(tms: str):
    _check_params(META_PARAMS)
    _tms(tms)
    return _json(T.tile_matrix_set())


@bp.get("/collections/<collection_id>/tiles", strict_slashes=False)
def tilesets(collection_id: str):
    _check_params(META_PARAMS)
    meta = _tiled(collection_id)
    return _json({"tilesets": [_tileset_summary(meta, _lang())]})


@bp.get("/collections/<collection_id>/tiles/<tms>", strict_slashes=False)
def tileset(collection_id: str, tms: str):
    _check_params(META_PARAMS)
    meta = _tiled(collection_id)
    _tms(tms)
    lang = _lang()
    doc = _tileset_summary(meta, lang)
    doc["tileMatrixSetLimits"] = T.limits(meta["extent"]["spatial"]["bbox"][0])
    doc["layers"] = [
        {
            "id": collection_id,
            "title": meta["title"][lang],
            "dataType": "vector",
            "geometryDimension": 2,
            "minTileMatrix": "0",
            "maxTileMatrix": str(T.MAX_ZOOM),
        }
    ]
    doc["links"].append({"href": _url("ogc.collection", collection_id=collection_id), "rel": REL_GEODATA, "type": JSON})
    return _json(doc)


def _coordinate(name: str, raw: str) -> int:
    if not raw.isdigit() or not raw.isascii():
        raise bad_request(M("error.tiles.not_integer", name=name, got=raw))
    return int(raw)


def _properties() -> tuple[str, ...]:
    raw = request.args.get("properties")
    if raw is None:
        return ()
    return tuple(p.strip() for p in raw.split(",") if p.strip())


@bp.get("/collections/<collection_id>/tiles/<tms>/<z>/<y>/<x>")
def tile(collection_id: str, tms: str, z: str, y: str, x: str):
    _check_params(TILE_PARAMS)
    _tiled(collection_id)
    _tms(tms)
    zyx = (_coordinate("tileMatrix", z), _coordinate("tileRow", y), _coordinate("tileCol", x))
    props = _properties()
    data = _provider(lambda: _backend().tile(collection_id, *zyx, properties=props))
    if not data:
        resp = Response(status=204)
        resp.headers.pop("Content-Type", None)
    else:
        resp = Response(data, mimetype=T.MEDIA_TYPE)
    resp.headers["Cache-Control"] = "no-cache"
    return resp


# --------------------------------------------------------------------------- API definition


def openapi_paths(titles: dict[str, str], errors) -> dict:
    """The OpenAPI 3.0 paths of the tiles routes (OGC API – Tiles, /req/oas30), for
    :func:`app.ogc.openapi`: ``titles`` (collection id → title) of the tiled collections
    served, ``errors(*codes)`` the exception responses of the rest of the definition."""

    def fmt(value: str) -> dict:
        return {
            "name": "f",
            "in": "query",
            "required": False,
            "description": f"Định dạng / format ({value} only; another answers 406)",
            "schema": {"type": "string", "enum": [value], "default": value},
            "style": "form",
            "explode": False,
        }

    lang = {"$ref": "#/components/parameters/lang"}
    tms = {
        "name": "tileMatrixSetId",
        "in": "path",
        "required": True,
        "description": "Lưới ô / tile matrix set",
        "schema": {"type": "string", "enum": [T.TMS_ID]},
    }

    def coordinate(name: str, desc: str) -> dict:
        return {
            "name": name,
            "in": "path",
            "required": True,
            "description": desc,
            "schema": {"type": "integer", "minimum": 0},
        }

    def doc(op_id: str, summary: str, extra=(), f: str = "json") -> dict:
        return {
            "get": {
                "operationId": op_id,
                "summary": summary,
                "tags": ["Tiles"],
                "parameters": [fmt(f), lang, *extra],
                "responses": {
                    "200": {"description": summary, "content": {JSON: {"schema": {"type": "object"}}}},
                    **errors(400, 404, 406, 500, 503),
                },
            }
        }

    out = {
        "/tileMatrixSets": doc("getTileMatrixSetsList", "Các lưới ô / tile matrix sets"),
        "/tileMatrixSets/{tileMatrixSetId}": doc("getTileMatrixSet", "Lưới ô / a tile matrix set", [tms]),
    }
    for cid, title in titles.items():
        out[f"/collections/{cid}/tiles"] = doc(f"getTileSetsList_{cid}", f"{title}: tilesets")
        out[f"/collections/{cid}/tiles/{{tileMatrixSetId}}"] = doc(f"getTileSet_{cid}", f"{title}: tileset", [tms])
        tile = doc(
            f"getTile_{cid}",
            f"{title}: Mapbox Vector Tile",
            [
                tms,
                coordinate("tileMatrix", f"Mức thu phóng / zoom level (0–{T.MAX_ZOOM})"),
                coordinate("tileRow", "Hàng / row"),
                coordinate("tileCol", "Cột / column"),
                {
                    "name": "properties",
                    "in": "query",
                    "required": False,
                    "description": "Thuộc tính trong ô (phân cách bởi dấu phẩy) / properties in the tile (comma-separated)",
                    "schema": {"type": "string"},
                    "style": "form",
                    "explode": False,
                },
            ],
            f="mvt",
        )
        tile["get"]["responses"]["200"] = {
            "description": "Ô vector / a vector tile",
            "content": {T.MEDIA_TYPE: {"schema": {"type": "string", "format": "binary"}}},
        }
        tile["get"]["responses"]["204"] = {"description": "Ô trống / an empty tile"}
        out[f"/collections/{cid}/tiles/{{tileMatrixSetId}}/{{tileMatrix}}/{{tileRow}}/{{tileCol}}"] = tile
    return out
