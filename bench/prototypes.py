"""Prototypes of the product changes recommended in bench/RESULTS.md, applied at run time.

The benchmark owns no product file, so it cannot make these changes; to say
what they would give, it measures the app with them patched in
(``python -m bench --only prototype``, or ``python -m bench.profile
--prototype …``).  Each function here mirrors one recommendation and names
the file and function the real change belongs in; none of this is meant to
ship as it is.

* :func:`sampled_fisher_jenks` — ``geo/classify.py`` ``_mapclassify_edges``:
  natural breaks of more than :data:`JENKS_SAMPLE` values are computed on
  that many evenly spaced quantiles of them (deterministic), not on all
  values (mapclassify's exact Fisher–Jenks is O(k·n²) in pure Python
  without numba: 5 s for 2,000 values, about 1.5 hours for the 63,600
  values of 6 years × 10,600 communes).
* :func:`coverage_dissolve` — ``geo/layerspec.py`` ``display_geometry``:
  districts are the *coverage* union of the simplified communes
  (``dissolve(..., method="coverage")``), which only drops shared edges,
  instead of a full overlay union.
* :func:`coarser_national_display` — ``geo/layerspec.py``: the display
  tolerance follows the scale of the map (about one screen pixel at the
  initial zoom) instead of a fixed 150 m.
* :func:`one_observations_table` — ``geo/features.py`` ``_build_all``: use
  the observations table that ``geo.storage.read_layer`` caches instead of
  reading it a second time (at national scale one read is 3 million Python
  strings, about 330 MB, while it is being built).
* :func:`response_cache` — ``app/targets.py`` ``targets``: an LRU of the
  serialised JSON answers, keyed by query string and data version.
* :func:`warm_in_master` — ``app/__main__.py``: build the caches (OGC
  collections, /targets context, map layers) once in the gunicorn master
  before the workers fork, then ``gc.freeze()``, so the workers share them
  copy-on-write instead of each building its own, and no user meets a cold
  worker.
"""

from __future__ import annotations

import gc
import time

import numpy as np

JENKS_SAMPLE = 1000
#: Display tolerance (m) per metre of the map's extent diagonal; with a 150 m
#: floor this keeps Kon Tum at 150 m and gives Vietnam about 1.2 km.
TOLERANCE_PER_EXTENT = 0.00065


def sampled_fisher_jenks() -> None:
    from geo import classify

    original = classify._mapclassify_edges
    if getattr(original, "_bench_prototype", False):
        return

    def edges(present, scheme, k):
        present = np.asarray(present, dtype=float)
        if scheme == "fisher_jenks" and present.size > JENKS_SAMPLE:
            present = np.quantile(present, np.linspace(0.0, 1.0, JENKS_SAMPLE))
        return original(present, scheme, k)

    edges._bench_prototype = True
    classify._mapclassify_edges = edges


def coverage_dissolve() -> None:
    import geopandas as gpd

    from geo import layerspec
    from geo.crs import WGS84

    original = layerspec.display_geometry
    if getattr(original, "_bench_prototype", False):
        return

    def display_geometry(source, path=None):
        if source != "districts":
            return original(source, path)
        communes = original("communes", path)
        units = layerspec.read_source("communes", path)[["gso_code", "district_code"]]
        communes = communes.merge(units, on="gso_code")
        dissolved = communes.dissolve(by="district_code", method="coverage").reset_index()
        return gpd.GeoDataFrame({"gso_code": dissolved["district_code"]},
                                geometry=layerspec._round(dissolved.geometry.values), crs=WGS84)

    display_geometry._bench_prototype = True
    layerspec.display_geometry = display_geometry


def coarser_national_display(path) -> float:
    """Set layerspec.DISPLAY_TOLERANCE_M from the extent of the data at ``path``; return it."""
    import shapely

    from geo import layerspec, storage
    from geo.crs import METRIC

    communes = storage.read_layer("communes", path)
    x0, y0, x1, y1 = communes.to_crs(METRIC).total_bounds
    diag = float(np.hypot(x1 - x0, y1 - y0))
    tol = max(150.0, round(diag * TOLERANCE_PER_EXTENT, -1))
    layerspec.DISPLAY_TOLERANCE_M = tol
    del shapely
    return tol


def apply(path) -> dict:
    """Every prototype that changes code paths (not the start-up)."""
    sampled_fisher_jenks()
    coverage_dissolve()
    one_observations_table()
    tol = coarser_national_display(path)
    return {"fisher_jenks_sample": JENKS_SAMPLE, "display_tolerance_m": tol}


def warm_in_master(app, paths: list[str]) -> dict:
    """GET every path once through the app (in this process), then freeze the GC."""
    out = {}
    client = app.test_client()
    for p in paths:
        t0 = time.perf_counter()
        resp = client.get(p)
        out[p] = {"status": resp.status_code, "s": round(time.perf_counter() - t0, 2),
                  "bytes": len(resp.get_data())}
        if resp.status_code >= 400:
            raise RuntimeError(f"warm-up GET {p}: HTTP {resp.status_code}")
    gc.collect()
    gc.freeze()  # keep the collector from touching (and so copying) the shared objects
    return out


def one_observations_table() -> None:
    """``geo/features.py`` ``_build_all``: read the observations through ``geo.storage.read_layer``
    (cached, the copy /targets and the map page use) instead of a second read of its own."""
    from geo import features, storage

    original = features._read
    if getattr(original, "_bench_prototype", False):
        return

    def _read(path, layer):
        if layer in ("observations", "catalogue"):
            return storage.read_layer(layer, path)
        return original(path, layer)

    _read._bench_prototype = True
    features._read = _read


def response_cache(app, endpoint: str = "targets.targets", size: int = 256) -> None:
    """``app/targets.py`` ``targets``: keep the serialised JSON answers of GET requests (LRU of
    ``size``, keyed by the query string and the GeoPackage's modification time), so a repeated
    question — the map's "poorest border communes" button — is a dictionary look-up."""
    import collections
    import os
    import threading

    from flask import Response, request

    view = app.view_functions[endpoint]
    if getattr(view, "_bench_prototype", False):
        return
    cache: collections.OrderedDict = collections.OrderedDict()
    lock = threading.Lock()

    def cached(*args, **kwargs):
        fmt = request.args.get("f", "json")
        if request.method != "GET" or fmt not in ("json", ""):
            return view(*args, **kwargs)
        gpkg = app.config.get("GEO_GPKG") or os.environ.get("GEO_GPKG")
        try:
            version = os.stat(gpkg).st_mtime_ns
        except (OSError, TypeError):
            return view(*args, **kwargs)
        key = (request.full_path, version)
        with lock:
            hit = cache.get(key)
            if hit is not None:
                cache.move_to_end(key)
        if hit is not None:
            return Response(hit[0], mimetype=hit[1])
        resp = view(*args, **kwargs)
        if resp.status_code == 200 and not resp.is_streamed:
            with lock:
                cache[key] = (resp.get_data(), resp.mimetype)
                if len(cache) > size:
                    cache.popitem(last=False)
        return resp

    cached._bench_prototype = True
    app.view_functions[endpoint] = cached
