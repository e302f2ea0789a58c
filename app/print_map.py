"""Printed maps: ``GET /print`` answers a finished map sheet (PDF or PNG) of one layer.

Parameters (query string): ``layer`` (required), ``year``, ``level``, ``lang`` (vi|en),
``format`` (pdf|png), ``size`` (A4|A3), ``orientation`` (landscape|portrait), ``dpi``
(PNG, 72–300), ``bbox`` (the view's extent ``minlon,minlat,maxlon,maxlat``), and the
legend's classes ``scheme``, ``k`` or ``breaks`` as ``/layers/<id>.geojson`` takes them,
so the page's print button gives what is on screen.  A bad parameter is a 400 that names
it; the sheet is drawn by :mod:`geo.printing.mapsheet` in memory (nothing is written to
disk).  At most :data:`MAX_RENDERS` sheets are drawn at once per app; a request beyond
that gets a 503 with ``Retry-After``.

Profiles (:mod:`geo.printing.profile`): ``GET /communes/<code>/profile.pdf``,
``/districts/<code>/profile.pdf`` and ``/communes_2025/<code>/profile.pdf`` (``lang``),
and a batch in one PDF: ``GET /profiles.pdf?level=commune&codes=23368,23344`` or
``?border=1`` (every border commune); ``/targets?…&f=profiles`` gives the ranking's
units (see :func:`profiles_response`).  They share the render slots.
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING

from flask import Blueprint, Response, current_app, request

from geo import lazy
from geo.backends.base import Backend, BackendError
from geo.maplayers import layerspec
from geo.messages import Message

from . import context as app_context
from .errors import ApiError, bad_request, busy, unavailable

if TYPE_CHECKING:
    from geo.printing import mapsheet, profile
else:  # matplotlib only when a sheet or a profile is drawn (geo/lazy.py)
    mapsheet = lazy.module("geo.printing.mapsheet")
    profile = lazy.module("geo.printing.profile")

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
        raise unavailable(exc) from None
    return data


def _busy() -> Response:
    return busy(Message("error.print.busy", count=MAX_RENDERS), RETRY_AFTER_S)


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
        raise bad_request(exc) from None
    slots = current_app.extensions["print_slots"]
    if not slots.acquire(blocking=False):
        return _busy()
    try:
        data = mapsheet.load_data(spec, opts.year, path)
        body = mapsheet.render_sheet(spec, opts, data)
        name = mapsheet.sheet_filename(spec, opts, data)
    except mapsheet.PrintError as exc:
        raise bad_request(exc) from None
    except layerspec.LayerDataError as exc:
        raise bad_request(exc) from None
    finally:
        slots.release()
    resp = Response(body, mimetype=mapsheet.MIME[opts.fmt])
    resp.headers["Content-Disposition"] = f'inline; filename="{name}"'
    resp.headers["Cache-Control"] = "no-cache"
    return resp


# ------------------------------------------------------------------ profiles

PROFILE_PATHS = {"communes": "commune", "districts": "district", "communes_2025": "commune_2025"}


def _lang(value: str | None) -> str:
    lang = value or app_context.settings().lang
    if lang not in profile.LANGS:
        raise bad_request(Message("error.print.lang", expected=", ".join(profile.LANGS), got=lang))
    return lang


def _only(allowed: tuple[str, ...]) -> None:
    for key in request.args:
        if key not in allowed:
            raise bad_request(Message("error.print.unknown_param", got=key, expected=", ".join(allowed)))


def profiles_response(codes: list[str], level: str, lang: str) -> Response:
    """The profiles of ``codes`` as one PDF (400 naming the parameter, 503 when busy)."""
    source = _gpkg()
    slots = current_app.extensions["print_slots"]
    if not slots.acquire(blocking=False):
        return _busy()
    try:
        codes, level = profile.check_request(codes, level, source)
        body = profile.render_profiles(codes, level, source, lang)
    except profile.ProfileError as exc:
        raise bad_request(exc) from None
    finally:
        slots.release()
    resp = Response(body, mimetype="application/pdf")
    resp.headers["Content-Disposition"] = f'inline; filename="{profile.profile_filename(codes, level, lang)}"'
    resp.headers["Cache-Control"] = "no-cache"
    return resp


@bp.get("/<any(communes, districts, communes_2025):kind>/<code>/profile.pdf")
def unit_profile(kind: str, code: str):
    """One unit's profile page."""
    _only(("lang",))
    lang = _lang(request.args.get("lang"))
    level = PROFILE_PATHS[kind]
    try:
        profile.check_request([code], level, _gpkg())
    except profile.ProfileError as exc:
        status = 404 if str(exc).startswith("code: no ") else 400
        raise ApiError(exc, status, "NotFound" if status == 404 else "InvalidParameterValue") from None
    return profiles_response([code], level, lang)


@bp.get("/profiles.pdf")
def batch_profiles():
    """Many profiles in one PDF: ``codes=a,b,c`` or ``border=1``, with ``level`` and ``lang``."""
    _only(("codes", "border", "level", "lang"))
    lang = _lang(request.args.get("lang"))
    try:
        level = profile.check_level(request.args.get("level"))
    except profile.ProfileError as exc:
        raise bad_request(exc) from None
    codes = [c for c in (request.args.get("codes") or "").split(",") if c.strip()]
    border = (request.args.get("border") or "").strip().lower()
    if border not in ("", "0", "1", "true", "false"):
        raise bad_request(Message("error.print.border", got=border))
    if border in ("1", "true"):
        if level != "commune":
            raise bad_request(Message("error.print.border_level"))
        codes += profile.border_codes(_gpkg())
    if not codes:
        raise bad_request(Message("error.print.codes"))
    return profiles_response(codes, level, lang)
