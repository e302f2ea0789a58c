"""The compiled GeoPackage: atomic writes, cached reads.

``python -m geo build`` writes every layer and table into one GeoPackage
(``build/kontum.gpkg``); the app only reads it.  A write goes to a temporary
file beside the target and replaces it in one ``os.replace``, so a reader
never sees a half-written file and a failed build leaves the previous one
intact.

Example
-------
>>> import geopandas as gpd, pandas as pd, tempfile, pathlib
>>> from shapely.geometry import Point
>>> path = pathlib.Path(tempfile.mkdtemp()) / "t.gpkg"
>>> _ = write_gpkg(path, {"pts": gpd.GeoDataFrame({"a": [1]}, geometry=[Point(0, 0)], crs=4326),
...                   "tab": pd.DataFrame({"b": ["Đắk"]})})
>>> sorted(list_layers(path)), read_layer("tab", path)["b"][0]
(['pts', 'tab'], 'Đắk')
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

import geopandas as gpd
import pandas as pd

from geo import cache, lazy, paths

if TYPE_CHECKING:
    import pyogrio
else:  # GDAL only when a file is read or written (geo/lazy.py)
    pyogrio = lazy.module("pyogrio")

#: Layers read, per GeoPackage version (see :mod:`geo.cache`); the PostGIS backend keeps its layers here too.
LAYERS = cache.partition("layers", max_bytes=2 * cache.GiB)


def write_gpkg(path: Path | str, layers: dict[str, pd.DataFrame]) -> Path:
    """Write ``layers`` (name → GeoDataFrame or DataFrame) atomically to ``path``."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=path.stem + ".", suffix=".tmp.gpkg", dir=path.parent)
    os.close(fd)
    os.unlink(tmp)  # let GDAL create the file itself
    try:
        for name, frame in layers.items():
            if isinstance(frame, gpd.GeoDataFrame):
                pyogrio.write_dataframe(frame, tmp, layer=name, driver="GPKG")
            else:
                pyogrio.write_dataframe(pd.DataFrame(frame), tmp, layer=name, driver="GPKG")
        os.replace(tmp, path)
        cache.invalidate(str(path))  # a new version of this file: never serve the old one here
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    return path


def list_layers(path: Path | str | None = None) -> list[str]:
    """Names of the layers and tables in the GeoPackage."""
    path = Path(path or paths.gpkg_path())
    _require(path)
    return [str(name) for name, _ in pyogrio.list_layers(path)]


def read_layer(name: str, path: Path | str | None = None) -> gpd.GeoDataFrame | pd.DataFrame:
    """Read a layer (GeoDataFrame) or table (DataFrame), cached until the file changes.

    Callers get a copy, so they may modify it freely (a shallow one: pandas'
    copy-on-write copies a column only when it is written).
    """
    path = Path(path or paths.gpkg_path())
    _require(path)
    frame = LAYERS.get_or_make(cache.file_version(path), ("layer", name), lambda: _read(path, name))
    return frame.copy(deep=False)


def _read(path: Path, name: str) -> pd.DataFrame:
    """Layer ``name`` of the GeoPackage ``path`` (a DataFrame when it has no geometry)."""
    if name not in list_layers(path):
        raise KeyError(f"layer {name!r} not in {path.name}")
    # Arrow: strings land in Arrow buffers (pandas' ``str`` dtype over
    # pyarrow), not one Python object per cell — 3x less memory and
    # 10x faster on the national observations table (bench/RESULTS.md).
    frame = pyogrio.read_dataframe(path, layer=name, use_arrow=True)
    if isinstance(frame, gpd.GeoDataFrame) and frame.geometry.isna().all():
        frame = pd.DataFrame(frame.drop(columns=frame.geometry.name))
    return frame


def _require(path: Path) -> None:
    if not path.exists():
        raise FileNotFoundError(f"{path} does not exist: run `python -m geo build` first")
