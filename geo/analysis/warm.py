"""The units' border and road distances, computed once per data version and kept next to the GeoPackage.

``/targets`` filters on the distance (km, UTM 48N) from every unit to each
border country's line and to the nearest road.  On the real polygons that is
seconds of GEOS work (Kon Tum: about 3 s of the server's 6.7 s start-up;
national: tens of seconds), the same for every process and every start.  So
``python -m geo build`` (and ``geo national``, and every dataset version an
upload writes) computes them once and stores them in a file next to the
GeoPackage, ``<name>.gpkg.warm.npz``, together with the data version (the
file's modification time and size from its :func:`geo.cache.file_version`
token — not its path, so that a dataset version written in a temporary
folder and renamed keeps its file) and the units' codes they were computed
for.  A server reads that file instead of computing (milliseconds);
a file of another version — the GeoPackage was rewritten since — or of other
units is ignored, and the distances are computed and the file written again.

The file holds plain arrays (``numpy.savez``, read without pickle); losing
it costs time, never correctness.
"""

from __future__ import annotations

import logging
import os
import tempfile
import zipfile
from collections.abc import Mapping
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geo import cache
from geo.analysis import query
from geo.io import storage

log = logging.getLogger(__name__)

SUFFIX = ".warm.npz"
#: The columns of a level's distances: the border countries', ``any`` and ``roads`` (km).
COLUMNS = (*query.COUNTRIES, "any", "roads")
#: Bumped when what the file holds changes: a file of another format is recomputed.
FORMAT = "distances-1"


def path_for(gpkg: Path | str) -> Path:
    """The warm file of the GeoPackage ``gpkg``.

    >>> path_for("build/kontum.gpkg").name
    'kontum.gpkg.warm.npz'
    """
    gpkg = Path(gpkg)
    return gpkg.with_name(gpkg.name + SUFFIX)


def stamp(token: str) -> str:
    """The part of a file's version token (``path:mtime_ns:size``) the warm file keys on.

    >>> stamp("/srv/a:b/kontum.gpkg:1700000000000000000:4096")
    '1700000000000000000:4096'
    """
    return ":".join(token.rsplit(":", 2)[-2:])


def compute(
    units: Mapping[str, gpd.GeoDataFrame],
    metric: Mapping[str, np.ndarray],
    border: gpd.GeoDataFrame,
    roads: gpd.GeoDataFrame,
) -> dict[str, pd.DataFrame]:
    """Level → the distances of its units (indexed like them): :data:`COLUMNS`, km.

    ``metric``: each level's geometries in UTM 48N (:func:`geo.analysis.query.metric_geoms`).
    """
    road_union = shapely.union_all(query.metric_geoms(roads))
    out = {}
    for level, frame in units.items():
        dist = query.border_distances(frame, border, metric[level])
        dist["roads"] = shapely.distance(metric[level], road_union) / 1000.0
        out[level] = dist[list(COLUMNS)]
    return out


def _codes(frame: gpd.GeoDataFrame) -> np.ndarray:
    return frame["gso_code"].astype(str).to_numpy().astype("U")


def load(gpkg: Path | str, token: str, units: Mapping[str, gpd.GeoDataFrame]) -> dict[str, pd.DataFrame] | None:
    """The distances stored for ``gpkg`` at version ``token``, for exactly ``units`` (same levels,
    same codes in the same order); ``None`` when there is no such file, or it is of another
    version, another format or other units."""
    path = path_for(gpkg)
    try:
        with np.load(path, allow_pickle=False) as npz:
            if str(npz["format"]) != FORMAT or str(npz["stamp"]) != stamp(token):
                return None
            out = {}
            for level, frame in units.items():
                if f"{level}/codes" not in npz.files or not np.array_equal(npz[f"{level}/codes"], _codes(frame)):
                    return None
                values = npz[f"{level}/km"]
                out[level] = pd.DataFrame(values, index=frame.index, columns=list(COLUMNS))
            return out
    except FileNotFoundError:
        return None
    except (OSError, ValueError, KeyError, zipfile.BadZipFile) as exc:  # damaged: recompute
        log.warning("ignoring %s: %s", path, exc)
        return None


def save(
    gpkg: Path | str, token: str, units: Mapping[str, gpd.GeoDataFrame], distances: Mapping[str, pd.DataFrame]
) -> Path | None:
    """Write the warm file of ``gpkg`` (version ``token``) atomically; ``None`` (logged) when the
    folder cannot be written — the server then computes at each start, as before."""
    path = path_for(gpkg)
    arrays = {"format": np.array(FORMAT), "stamp": np.array(stamp(token))}
    for level, frame in units.items():
        arrays[f"{level}/codes"] = _codes(frame)
        arrays[f"{level}/km"] = distances[level][list(COLUMNS)].to_numpy(dtype=float)
    try:
        fd, tmp = tempfile.mkstemp(prefix=path.name + ".", suffix=".tmp", dir=path.parent)
        try:
            os.fchmod(fd, 0o644)  # as readable as the GeoPackage next to it (mkstemp makes 0600)
            with os.fdopen(fd, "wb") as f:
                np.savez(f, **arrays)
            os.replace(tmp, path)
        finally:
            if os.path.exists(tmp):
                os.unlink(tmp)
    except OSError as exc:
        log.warning("could not write %s: %s", path, exc)
        return None
    return path


def distances(
    gpkg: Path | str,
    token: str,
    units: Mapping[str, gpd.GeoDataFrame],
    metric: Mapping[str, np.ndarray],
    border: gpd.GeoDataFrame,
    roads: gpd.GeoDataFrame,
) -> dict[str, pd.DataFrame]:
    """The stored distances of ``gpkg`` at ``token`` (:func:`load`), else computed and stored."""
    found = load(gpkg, token, units)
    if found is not None:
        return found
    computed = compute(units, metric, border, roads)
    save(gpkg, token, units, computed)
    return computed


def write_for(gpkg: Path | str) -> Path | None:
    """Compute and store the warm file of the GeoPackage ``gpkg`` as it is now (its units:
    ``communes``, ``districts`` and ``communes_2025`` when present) — what ``geo build`` calls."""
    gpkg = Path(gpkg)
    token = cache.file_version(gpkg).token
    layers = set(storage.list_layers(gpkg))
    units = {
        level: storage.read_layer(layer, gpkg)
        for level, layer in (("commune", "communes"), ("district", "districts"), ("commune_2025", "communes_2025"))
        if layer in layers
    }
    metric = {k: query.metric_geoms(v) for k, v in units.items()}
    border = storage.read_layer("border", gpkg)
    roads = storage.read_layer("roads", gpkg)
    return save(gpkg, token, units, compute(units, metric, border, roads))
