"""Printed maps: ``GET /print`` answers a finished map sheet (PDF or PNG) of one layer.

Parameters (query string): ``layer`` (required), ``year``, ``level``, ``lang`` (vi|en),
``format`` (pdf|png), ``size`` (A4|A3), ``orientation`` (landscape|portrait), ``dpi``
(PNG, 72–300), ``bbox`` (the view's extent ``minlon,minlat,maxlon,maxlat``), and the
legend's classes ``scheme``, ``k`` or ``breaks`` as ``/layers/<id>.geojson`` takes them,
so the page's print button gives what is on screen.  A bad parameter is a 400 that names
it; the sheet is drawn by :mod:`geo.printing.mapsheet` in memory (nothing is written to
disk).  At most :data:`MAX_RENDERS` sheets are drawn at once per app; a request beyond
that gets a 503 with ``Retry-After``.
"""

from __future__ import annotations

import threading

from flask import Blueprint, Response, current_app, jsonify, request

from geo.backends.base import Backend, BackendError
from geo.maplayers import layerspec
from geo.printing import mapsheet

from . import context as app_context
from .errors import ApiError, bad_request

bp = Blueprint("print_map", __name__)

MAX_RENDERS = 2
RETRY_AFTER_S = 5
PARAMS = ("layer", "year", "level", "lang", "format", "size", "orientation", "dpi", "bbox", "scheme", "k", "breaks")


@bp.record_once
def _setup(state) -> None:
    """One bounded pool of render slots per app."""
    state.app.extensions["print_slots"] = threading.BoundedSemaphore(MAX_RENDERS)


def _specs() -> list[layerspec.LayerSpec]:
    """The map's layers (loaded by app.map_page), else the layer files."""
    specs = current_app.extensions.get("map_layers")
    if specs is None:
        specs = layerspec.load_layers(app_context.settings().layers_dir)
    return specs


def _gpkg() -> Backend:
    """The app's backend (:func:`app.context.backend`), every layer of the sheet comes from;
    a clear 503 when it has no data (not built, database unreachable or empty)."""
    try:
        data = app_context.backend()
        data.version()
    except BackendError as exc:
        raise ApiError(str(exc), 503, "ServiceUnavailable") from None
    return data


def _busy() -> Response:
    message = f"the server is drawing {MAX_RENDERS} maps already; try again in a few seconds"
    resp = jsonify({"code": "ServiceUnavailable", "description": message, "error": message, "status": 503})
    resp.status_code = 503
    resp.headers["Retry-After"] = str(RETRY_AFTER_S)
    return resp


@bp.get("/print")
def print_map():
    """The map sheet of ``?layer=`` as PDF or PNG (see the module docstring)."""
    path = _gpkg()
    params = {k: request.args.get(k) for k in PARAMS}
    if params["lang"] in (None, ""):
        params["lang"] = app_context.settings().lang
    try:
        spec, opts = mapsheet.parse_options(params, _specs(), path)
    except mapsheet.PrintError as exc:
        raise bad_request(str(exc)) from None
    slots = current_app.extensions["print_slots"]
    if not slots.acquire(blocking=False):
        return _busy()
    try:
        data = mapsheet.load_data(spec, opts.year, path)
        body = mapsheet.render_sheet(spec, opts, data)
        name = mapsheet.sheet_filename(spec, opts, data)
    except mapsheet.PrintError as exc:
        raise bad_request(str(exc)) from None
    except layerspec.LayerDataError as exc:
        raise bad_request(str(exc)) from None
    finally:
        slots.release()
    resp = Response(body, mimetype=mapsheet.MIME[opts.fmt])
    resp.headers["Content-Disposition"] = f'inline; filename="{name}"'
    resp.headers["Cache-Control"] = "no-cache"
    return resp
