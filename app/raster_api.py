"""Raster downloads and zonal statistics over HTTP.

``GET /raster/remoteness.tif?target=roads|power&resolution=250``
    distance (km) to the nearest main road / electrification work, GeoTIFF
    in UTM 48N (EPSG:32648), nodata -9999 outside the province.
``GET /raster/indicator.tif?indicator=poor_rate&year=2020[&resolution=250][&classes=5][&level=district]``
    an indicator's commune values rasterised on the same grid; the band
    description says the status ("synthetic" for demo data).
``POST /raster/zonal`` (multipart: ``file`` = a GeoTIFF, ``level`` =
    commune|district, optional ``all_touched``, ``stats``, ``band``)
    zonal statistics per unit as JSON.

Heavy work is bounded (issue 17 item 3): resolutions come from the fixed set
:data:`RESOLUTIONS` (so do the cache keys; any other is a 400 listing them), at most
``MAP_RASTER_SLOTS`` rasters are computed at once per process (a request that finds
them taken waits :data:`SLOT_WAIT_S`, then gets 503 with ``Retry-After``), each
client address has ``MAP_RASTER_LIMIT`` requests to ``/raster/*`` and
``MAP_ZONAL_LIMIT`` zonal uploads (429 beyond), and a zonal upload may read at most
:data:`ZONAL_MAX_BYTES` (pixels over the units × bytes per pixel).  A cached raster
is served without taking a slot.

Every layer comes from the app's backend (:func:`app.context.backend`, the GeoPackage
or PostGIS).  Downloads are cached in memory per data version and carry
an ETag.  Bad input is a 400 with a clear message; the upload size is capped
by ``MAX_CONTENT_LENGTH`` (413).
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import math
import tempfile
import threading
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
from flask import Blueprint, abort, current_app, jsonify, request, send_file
from werkzeug.utils import secure_filename

from geo import cache, lazy
from geo.backends.base import Backend, BackendError
from geo.messages import Message
from geo.units.boundaries import LEVELS

from . import context as app_context
from . import security
from .errors import bad_request, busy, cause, unavailable

if TYPE_CHECKING:
    from geo.raster import grid, remoteness, zonal
else:  # rasterio and scipy.ndimage only when a raster is asked for (geo/lazy.py)
    grid = lazy.module("geo.raster.grid")
    remoteness = lazy.module("geo.raster.remoteness")
    zonal = lazy.module("geo.raster.zonal")

bp = Blueprint("raster", __name__, url_prefix="/raster")
#: ``POST /raster/zonal`` in a blueprint of its own, nested in :data:`bp`, for its own limit.
zonal_bp = Blueprint("zonal", __name__)

CACHE_SIZE = 16
ZONAL_MAX_PIXELS = 50_000_000  # pixels read over the units for one upload
ZONAL_MAX_BYTES = 256 * 1024 * 1024  # those pixels × the band's bytes per pixel
#: The cell sizes (metres) the web service computes; the command line takes any from 50 to 5000.
RESOLUTIONS = (100.0, 250.0, 500.0, 1000.0, 2000.0, 5000.0)
SLOT_WAIT_S = 0.1  # how long a request waits for a free slot before 503 (a waiting request holds a thread)
RETRY_AFTER_S = 5
SLOTS = "kontum_raster_slots"

MAX_BLOCK_BYTES = 64 * 1024 * 1024  # refuse files whose blocks are huge (decompression bombs)
TRUE = {"1", "true", "yes", "on"}
FALSE = {"0", "false", "no", "off", ""}

#: The rasters made (:mod:`geo.cache`): CACHE_SIZE at most, and 256 MiB.
RASTERS = cache.partition("raster", max_bytes=256 * 1024 * 1024, max_entries=CACHE_SIZE)


@bp.record_once
def _setup(state) -> None:
    conf = app_context.settings_of(state.app)
    state.app.extensions[SLOTS] = threading.BoundedSemaphore(conf.raster_slots)
    security.limit_blueprint(state.app, conf, bp, conf.raster_limit)
    security.limit_blueprint(state.app, conf, zonal_bp, conf.zonal_limit)


@contextlib.contextmanager
def heavy():
    """Hold one of the process's raster slots while computing; none free within
    :data:`SLOT_WAIT_S`: answer 503 with ``Retry-After``."""
    slots = current_app.extensions[SLOTS]
    if not slots.acquire(timeout=SLOT_WAIT_S):
        abort(busy(Message("error.raster.busy", seconds=RETRY_AFTER_S), RETRY_AFTER_S))
    try:
        yield
    finally:
        slots.release()


def _source() -> tuple[Backend, str]:
    """The app's backend (:func:`app.context.backend`), every layer comes from, and its data
    version (a clear 503 when it has no data)."""
    try:
        data = app_context.backend()
        return data, data.version()
    except BackendError as exc:
        raise unavailable(exc) from None


def _cached(source: Backend, key: tuple, make):
    """``make()`` once per ``key`` and data version of ``source``, in a raster slot (:func:`heavy`)."""

    def bounded():
        with heavy():
            return make()

    return RASTERS.get_or_make(cache.version_of(source), key, bounded)


def _resolution(text) -> float:
    """The cell size of a request: one of :data:`RESOLUTIONS` (then the cache key is that
    member, never the float the client typed)."""
    try:
        value = grid.check_resolution(text)
    except grid.RasterError as exc:
        value = None
        if "between" not in str(exc):
            raise bad_request(exc) from None
    for choice in RESOLUTIONS:
        if value == choice:
            return choice
    choices = ", ".join(f"{r:g}" for r in RESOLUTIONS)
    raise bad_request(Message("error.raster.resolution_choice", choices=choices, got=str(text)[:40]))


def _int_arg(name: str, text, low: int | None = None, high: int | None = None) -> int | None:
    if text is None or str(text).strip() == "":
        return None
    try:
        value = int(str(text).strip())
    except ValueError:
        raise bad_request(Message("error.raster.whole_number", name=name, got=text)) from None
    if (low is not None and value < low) or (high is not None and value > high):
        raise bad_request(Message("error.raster.between", name=name, low=low, high=high, got=value))
    return value


def _bool_arg(name: str, text) -> bool:
    value = str(text if text is not None else "").strip().lower()
    if value in TRUE:
        return True
    if value in FALSE:
        return False
    raise bad_request(Message("error.raster.bool", name=name, got=text))


def _tiff(data: bytes, filename: str, key: tuple):
    etag = hashlib.sha1(repr(key).encode()).hexdigest()
    response = send_file(
        io.BytesIO(data),
        mimetype="image/tiff",
        as_attachment=True,
        download_name=filename,
        etag=etag,
        conditional=True,
        max_age=0,
    )
    return response


@bp.get("/remoteness.tif")
def remoteness_tif():
    target = request.args.get("target", "roads")
    if target not in remoteness.TARGETS:
        raise bad_request(Message("error.raster.target_choice", expected=", ".join(remoteness.TARGETS), got=target))
    resolution = _resolution(request.args.get("resolution", "250"))
    source, version = _source()
    key = ("remoteness", source.describe(), version, target, resolution)

    def make():
        try:
            features = source.read_layer("roads" if target == "roads" else "works")
            product = remoteness.remoteness_surface(
                target, source.read_layer("communes"), features, resolution
            ).product()
        except grid.RasterError as exc:
            raise bad_request(exc) from None
        return grid.geotiff_bytes(product), product.filename

    data, filename = _cached(source, key, make)
    return _tiff(data, filename, key)


@bp.get("/indicator.tif")
def indicator_tif():
    indicator = (request.args.get("indicator") or "").strip()
    if not indicator:
        raise bad_request(Message("error.raster.indicator_required"))
    year = _int_arg("year", request.args.get("year"), 1900, 2100)
    classes = _int_arg("classes", request.args.get("classes"), 2, 9)
    resolution = _resolution(request.args.get("resolution", "250"))
    level = request.args.get("level", "commune")
    if level not in LEVELS:
        raise bad_request(Message("error.raster.level_choice", expected=", ".join(LEVELS), got=level))
    source, version = _source()
    key = ("indicator", source.describe(), version, indicator, year, resolution, classes, level)

    def make():
        try:
            product = grid.indicator_product(
                indicator,
                year,
                resolution,
                classes,
                level=level,
                communes=source.read_layer("communes" if level == "commune" else "districts"),
                observations=source.read_layer("observations"),
                catalogue=source.read_layer("catalogue"),
            )
        except grid.RasterError as exc:
            raise bad_request(exc) from None
        return grid.geotiff_bytes(product), product.filename

    data, filename = _cached(source, key, make)
    return _tiff(data, filename, key)


def _renamed(exc: Exception, shown: str) -> str | Message:
    """The error of the saved ``upload.tif`` naming the file as the user sent it."""
    said = cause(exc)
    if isinstance(said, Message):
        return Message(said.id, **{k: _renamed_text(v, shown) for k, v in said.params.items()})
    return said.replace("upload.tif", shown)


def _renamed_text(value, shown: str):
    return value.replace("upload.tif", shown) if type(value) is str else value


def _clean(value):
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if hasattr(value, "item"):
        return _clean(value.item())
    return value


@zonal_bp.post("/zonal")
def zonal_post():
    upload = request.files.get("file") or request.files.get("raster")
    if upload is None:
        raise bad_request(Message("error.raster.no_upload"))
    level = (request.form.get("level") or request.args.get("level") or "commune").strip()
    if level not in LEVELS:
        raise bad_request(Message("error.raster.level_choice", expected=", ".join(LEVELS), got=level))
    all_touched = _bool_arg("all_touched", request.form.get("all_touched", request.args.get("all_touched")))
    band = _int_arg("band", request.form.get("band", request.args.get("band")), 1, 65535) or 1
    try:
        stats = zonal.parse_stats(request.form.get("stats") or request.args.get("stats") or None)
    except grid.RasterError as exc:
        raise bad_request(exc) from None
    source, _ = _source()
    units = source.read_layer("communes" if level == "commune" else "districts")
    shown_name = secure_filename(upload.filename or "") or "upload.tif"
    with tempfile.TemporaryDirectory(prefix="zonal-") as tmp:
        tif = Path(tmp) / "upload.tif"
        upload.save(tif)
        if tif.stat().st_size == 0:
            raise bad_request(Message("error.raster.empty", name=shown_name))
        try:
            with zonal.open_raster(tif, drivers=["GTiff"]) as src:
                bh, bw = src.block_shapes[0]
                if bh * bw * np.dtype(src.dtypes[0]).itemsize > MAX_BLOCK_BYTES:
                    raise grid.RasterError(Message("error.raster.blocks"))
                info = {
                    "name": shown_name,
                    "crs": src.crs.to_string(),
                    "width": src.width,
                    "height": src.height,
                    "bands": src.count,
                    "band": band,
                    "dtype": src.dtypes[0],
                    "resolution": [abs(src.transform.a), abs(src.transform.e)],
                    "nodata": _clean(src.nodata),
                    "bounds": list(src.bounds),
                }
                with heavy():
                    table = zonal.zonal_stats(
                        src,
                        units,
                        stats,
                        all_touched=all_touched,
                        band=band,
                        max_pixels=ZONAL_MAX_PIXELS,
                        max_bytes=ZONAL_MAX_BYTES,
                    )
        except grid.RasterError as exc:
            raise bad_request(_renamed(exc, shown_name)) from None
    names = dict(zip(units["gso_code"].astype(str), units["name"]))
    rows = []
    for code, r in table.iterrows():
        row = {"gso_code": code, "name": names.get(code, "")}
        row.update({col: _clean(r[col]) for col in table.columns})
        rows.append(row)
    notes = []
    empty = [r["gso_code"] for r in rows if r["count"] == 0]
    if empty:
        notes.append(f"{len(empty)} {level}s without valid pixels (count 0, values null): {', '.join(empty)}")
    fallback = [r["gso_code"] for r in rows if str(r["method"]).endswith("fallback")]
    if fallback:
        notes.append(
            f"{len(fallback)} {level}s smaller than a pixel used a fallback (see method): {', '.join(fallback)}"
        )
    return jsonify(
        {
            "level": level,
            "raster": info,
            "all_touched": all_touched,
            "stats": list(table.columns.drop("method")),
            "units": rows,
            "notes": notes,
        }
    )


bp.register_blueprint(zonal_bp)
