"""Metric grids over Kon Tum and GeoTIFF writing.

A :class:`Grid` is a north-up raster grid in UTM 48N (``geo.crs.METRIC``)
whose cell edges are multiples of the resolution, so two grids of the same
resolution always line up.  :func:`province_grid` covers the province (plus
a margin).  GeoTIFFs are written tiled and deflate-compressed, with CRS,
nodata, a band description that says what the values are and their status
("synthetic" when they are demo data), and tags with the sources; a classed
export carries a colour table.  Files are written atomically (temporary file
beside the target, then ``os.replace``).

Command line (registered by :mod:`geo.raster.remoteness`)::

    python -m geo raster-export --indicator poor_rate --year 2020 --out x.tif
                                [--resolution 250] [--classes 5]

Example
-------
>>> g = Grid.covering((1000.0, 2000.0, 3400.0, 2900.0), 1000)
>>> g.width, g.height, g.bounds
(3, 1, (1000.0, 2000.0, 4000.0, 3000.0))
>>> import numpy as np
>>> data = geotiff_bytes(RasterProduct(np.ones(g.shape, "float32"), g, description="demo"))
>>> data[:2] in (b"II", b"MM")
True
"""

from __future__ import annotations

import math
import os
import tempfile
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import numpy.typing as npt
import pandas as pd
import rasterio
import shapely
from affine import Affine
from rasterio.features import rasterize
from rasterio.io import DatasetReader, MemoryFile

from geo.crs import METRIC
from geo.errors import CliError
from geo.indicators import values as indicators
from geo.indicators.values import STATUS_RANK
from geo.io import storage
from geo.messages import Message

MIN_RESOLUTION = 50.0
MAX_RESOLUTION = 5000.0
DEFAULT_RESOLUTION = 250.0
FLOAT_NODATA = -9999.0
SYNTHETIC_NOTE = "dữ liệu minh họa / demo data"
BLOCK = 256

# Colour ramps for classed exports (ColorBrewer YlOrRd / YlGn, 9 classes).
_YLORRD = ["#ffffcc", "#ffeda0", "#fed976", "#feb24c", "#fd8d3c", "#fc4e2a", "#e31a1c", "#bd0026", "#800026"]
_YLGN = ["#ffffe5", "#f7fcb9", "#d9f0a3", "#addd8e", "#78c679", "#41ab5d", "#238443", "#006837", "#004529"]


class RasterError(ValueError):
    """A raster input or request that cannot be honoured (one clear line)."""


def check_resolution(resolution: float | str) -> float:
    """``resolution`` as metres, or :class:`RasterError` outside 50–5000 m.

    >>> check_resolution("250")
    250.0
    >>> check_resolution(10)
    Traceback (most recent call last):
    ...
    geo.raster.grid.RasterError: resolution must be between 50 and 5000 metres (got 10)
    """
    try:
        value = float(resolution)
    except (TypeError, ValueError):
        raise RasterError(Message("error.raster.resolution_number", got=resolution)) from None
    if not math.isfinite(value) or not MIN_RESOLUTION <= value <= MAX_RESOLUTION:
        raise RasterError(
            Message("error.raster.resolution_range", low=MIN_RESOLUTION, high=MAX_RESOLUTION, got=resolution)
        )
    return value


@dataclass(frozen=True)
class Grid:
    """A north-up grid: ``transform`` (cell edges), ``width`` × ``height`` cells, ``crs``."""

    transform: Affine
    width: int
    height: int
    crs: str = METRIC

    @classmethod
    def covering(
        cls, bounds: Sequence[float] | np.ndarray, resolution: float, margin: float = 0.0, crs: str = METRIC
    ) -> Grid:
        """The grid of ``resolution`` covering ``bounds`` + ``margin``, edges snapped to multiples."""
        res = float(resolution)
        minx, miny, maxx, maxy = bounds
        left = math.floor((minx - margin) / res) * res
        bottom = math.floor((miny - margin) / res) * res
        right = math.ceil((maxx + margin) / res) * res
        top = math.ceil((maxy + margin) / res) * res
        width = max(1, int(round((right - left) / res)))
        height = max(1, int(round((top - bottom) / res)))
        return cls(Affine(res, 0.0, left, 0.0, -res, top), width, height, crs)

    @property
    def resolution(self) -> float:
        return float(self.transform.a)

    @property
    def shape(self) -> tuple[int, int]:
        return (self.height, self.width)

    @property
    def bounds(self) -> tuple[float, float, float, float]:
        t = self.transform
        return (t.c, t.f + t.e * self.height, t.c + t.a * self.width, t.f)

    def index(self, x: float, y: float) -> tuple[int, int]:
        """(row, col) of the cell holding point (x, y) in the grid's CRS."""
        col, row = ~self.transform @ (x, y)
        return int(math.floor(row)), int(math.floor(col))

    def burn(
        self,
        geometries: Iterable[shapely.Geometry | None],
        values: Iterable[float] | None = None,
        *,
        fill: float = 0,
        dtype: npt.DTypeLike = "uint8",
        all_touched: bool = False,
    ) -> np.ndarray:
        """Rasterize ``geometries`` (in the grid's CRS); ``values`` default 1."""
        geoms = [g for g in geometries if g is not None and not g.is_empty]
        out = np.full(self.shape, fill, dtype=dtype)
        if not geoms:
            return out
        shapes = zip(geoms, values) if values is not None else ((g, 1) for g in geoms)
        return rasterize(shapes, out=out, transform=self.transform, all_touched=all_touched)


def province_grid(units: gpd.GeoDataFrame, resolution: float = DEFAULT_RESOLUTION, margin: float = 0.0) -> Grid:
    """A UTM 48N grid over ``units`` (e.g. the communes) plus ``margin`` metres."""
    return Grid.covering(units.to_crs(METRIC).total_bounds, check_resolution(resolution), margin)


@dataclass
class RasterProduct:
    """A single-band raster ready to be written: values, grid and metadata."""

    array: np.ndarray
    grid: Grid
    nodata: float | int | None = None
    description: str = ""
    units: str = ""
    tags: dict = field(default_factory=dict)
    colormap: dict | None = None
    filename: str = "raster.tif"

    def write(self, path: Path | str) -> Path:
        return write_geotiff(path, self)


def _profile(product: RasterProduct) -> dict:
    dtype = np.dtype(product.array.dtype)
    profile = {
        "driver": "GTiff",
        "width": product.grid.width,
        "height": product.grid.height,
        "count": 1,
        "dtype": dtype.name,
        "crs": product.grid.crs,
        "transform": product.grid.transform,
        "nodata": product.nodata,
        "tiled": True,
        "blockxsize": BLOCK,
        "blockysize": BLOCK,
        "compress": "deflate",
        "predictor": 3 if dtype.kind == "f" else 2,
    }
    if product.colormap:
        profile["photometric"] = "palette"
        profile["predictor"] = 1
    return profile


def _fill(dst, product: RasterProduct) -> None:
    dst.write(product.array, 1)
    if product.description:
        dst.set_band_description(1, product.description)
    if product.units:
        dst.set_band_unit(1, product.units)
    if product.tags:
        dst.update_tags(**{k: _tag(v) for k, v in product.tags.items()})
    if product.colormap:
        dst.write_colormap(1, product.colormap)


def _tag(value) -> str:
    text = "" if value is None else str(value)
    return text if len(text) <= 4000 else text[:3990] + " […]"


def write_geotiff(path: Path | str, product: RasterProduct) -> Path:
    """Write ``product`` to ``path`` atomically (never a half-written file)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=path.stem + ".", suffix=".tmp.tif", dir=path.parent)
    os.close(fd)
    try:
        with rasterio.open(tmp, "w", **_profile(product)) as dst:
            _fill(dst, product)
        os.replace(tmp, path)
    finally:
        for leftover in (tmp, tmp + ".aux.xml"):
            if os.path.exists(leftover):
                os.unlink(leftover)
    return path


def geotiff_bytes(product: RasterProduct) -> bytes:
    """The GeoTIFF of ``product`` as bytes (for downloads)."""
    with MemoryFile() as mem:
        with mem.open(**_profile(product)) as dst:
            _fill(dst, product)
        return mem.read()


@contextmanager
def opened(product: RasterProduct) -> Iterator[DatasetReader]:
    """``product`` as an open rasterio dataset (in memory, uncompressed), e.g. for zonal stats."""
    profile = _profile(product)
    profile.update(compress=None, predictor=1)
    profile.pop("photometric", None)
    with MemoryFile() as mem:
        with mem.open(**profile) as dst:
            dst.write(product.array, 1)
        with mem.open() as src:
            yield src


# ------------------------------------------------------------------ indicators


def _hex_rgba(colour: str) -> tuple[int, int, int, int]:
    colour = colour.lstrip("#")
    return (int(colour[0:2], 16), int(colour[2:4], 16), int(colour[4:6], 16), 255)


def class_breaks(values: npt.ArrayLike, k: int) -> list[float]:
    """``k`` quantile classes of ``values``: the k+1 edges, duplicates removed.

    >>> class_breaks([1, 2, 3, 4, 5, 6, 7, 8], 4)
    [1.0, 2.75, 4.5, 6.25, 8.0]
    """
    vals = np.asarray(values, dtype=float)
    vals = vals[np.isfinite(vals)]
    if vals.size == 0:
        raise RasterError(Message("error.raster.no_values_to_class"))
    edges = np.quantile(vals, np.linspace(0, 1, k + 1))
    return [float(e) for e in dict.fromkeys(np.round(edges, 6))]


def _status_text(statuses: pd.Series) -> tuple[str, str]:
    counts = statuses.value_counts()
    order = sorted(counts.index, key=lambda s: STATUS_RANK.get(s, 9))
    if len(order) == 1:
        text = str(order[0])
    else:
        text = ", ".join(f"{s} {int(counts[s])}" for s in order)
    label = text + (f" ({SYNTHETIC_NOTE})" if "synthetic" in counts.index else "")
    return text, label


def indicator_product(
    indicator: str,
    year: int | None = None,
    resolution: float = DEFAULT_RESOLUTION,
    classes: int | None = None,
    *,
    level: str = "commune",
    communes: gpd.GeoDataFrame | None = None,
    observations: pd.DataFrame | None = None,
    catalogue: pd.DataFrame | None = None,
    standard: str | None = None,
) -> RasterProduct:
    """The unit values of ``indicator`` for ``year`` rasterised on the province grid.

    ``level`` is ``commune`` (default) or ``district``; ``communes`` are the
    units of that level.  Layers not passed are read from the built
    GeoPackage.  With ``year=None`` each unit's latest value is used (the
    description says so when the years differ) — for a poverty indicator, the
    default year and standard instead, the same at every level
    (:func:`geo.indicators.values.period`; ``standard`` selects another, and
    must agree with ``year``).  With ``classes`` (2–9) the
    band holds class numbers 1…k (quantile classes of the unit values, 0 =
    nodata) with a colour table; otherwise float32 values with nodata -9999.
    A cell takes the unit whose polygon holds its centre.
    """
    resolution = check_resolution(resolution)
    if level not in ("commune", "district"):
        raise RasterError(Message("error.raster.level_unit", got=level))
    if communes is None:
        communes = storage.read_layer("communes" if level == "commune" else "districts")
    obs = storage.read_layer("observations") if observations is None else observations
    cat = storage.read_layer("catalogue") if catalogue is None else catalogue
    cat = cat.set_index("id") if "id" in cat.columns else cat
    if indicator not in cat.index:
        raise RasterError(Message("error.raster.unknown_indicator", got=indicator))
    if classes is not None and not 2 <= int(classes) <= 9:
        raise RasterError(Message("error.raster.classes", got=classes))
    std = None
    if indicators.has_standard(obs, indicator):
        try:
            year, std = indicators.period(obs, indicator, year, standard)
        except ValueError as exc:
            raise RasterError(*exc.args) from None
    picked = indicators.values(obs, indicator, level, year, std)
    picked = picked[pd.to_numeric(picked["value"], errors="coerce").notna()]
    if picked.empty:
        have = indicators.years(obs, indicator, level)
        when = Message("error.raster.for_year", year=year) if year is not None else ""
        by = Message("error.raster.by_standard", standard=std) if std else ""
        years = Message("error.raster.years_with_values", years=", ".join(map(str, have))) if have else ""
        raise RasterError(
            Message("error.raster.no_values", indicator=indicator, level=level, when=when, by=by, years=years)
        )
    standards = sorted({str(x) for x in picked["standard"].fillna("") if str(x).strip()})
    if len(standards) > 1:
        raise RasterError(
            Message("error.raster.mixed_standards", level=level, indicator=indicator, standards="; ".join(standards))
        )
    year_label = "" if year is None else str(year)
    if year is None:
        got = sorted(int(y) for y in picked["year"].dropna().unique())
        if len(got) == 1:
            year, year_label = got[0], str(got[0])
        elif got:
            year_label = f"latest {got[0]}–{got[-1]}"
    entry = cat.loc[indicator]
    value_of = picked.set_index("gso_code")["value"].astype(float)
    units = communes.to_crs(METRIC)
    grid = province_grid(units, resolution)
    has = units["gso_code"].isin(value_of.index)
    vals = units.loc[has, "gso_code"].map(value_of)
    status, status_label = _status_text(picked["status"])
    sources = "; ".join(dict.fromkeys(str(s) for s in picked["source"]))
    tags = {
        "INDICATOR": indicator,
        "YEAR": year_label,
        "LEVEL": level,
        "STATUS": status,
        "NAME_VI": entry.get("name_vi", ""),
        "NAME_EN": entry.get("name_en", ""),
        "UNIT": entry.get("unit", ""),
        "POLARITY": entry.get("polarity", ""),
        "SOURCE": sources,
        "STANDARD": "; ".join(standards),
        "UNITS_WITH_VALUE": int(has.sum()),
        "UNITS_WITHOUT_VALUE": ";".join(units.loc[~has, "gso_code"]),
        "METHOD": f"{level} values rasterised on a {resolution:g} m UTM 48N grid (cell centre rule)",
    }
    description = f"{indicator}{' ' + year_label if year_label else ''} — status: {status_label}"
    name = f"{indicator}{'_' + str(year) if year is not None else ''}{'_district' if level == 'district' else ''}"
    if classes:
        edges = class_breaks(vals, int(classes))
        k = max(1, len(edges) - 1)
        cls = np.clip(np.searchsorted(edges, vals.to_numpy(), side="right"), 1, k).astype("uint8")
        array = grid.burn(units.loc[has].geometry, cls, fill=0, dtype="uint8")
        ramp = _YLGN if str(entry.get("polarity", "")) == "higher_better" else _YLORRD
        picks = np.linspace(0, len(ramp) - 1, k).round().astype(int) if k > 1 else [len(ramp) // 2]
        colormap = {0: (0, 0, 0, 0)}
        colormap.update({i + 1: _hex_rgba(ramp[p]) for i, p in enumerate(picks)})
        tags.update({f"CLASS_{i + 1}": f"{edges[i]:g}–{edges[i + 1]:g}" for i in range(k)})
        tags["BREAKS"] = ",".join(f"{e:g}" for e in edges)
        return RasterProduct(
            array, grid, 0, description + f" — {k} quantile classes", "class", tags, colormap, f"{name}_classes.tif"
        )
    array = grid.burn(units.loc[has].geometry, vals.to_numpy(), fill=FLOAT_NODATA, dtype="float32")
    return RasterProduct(array, grid, FLOAT_NODATA, description, str(entry.get("unit", "")), tags, None, f"{name}.tif")


def _cmd_export(args) -> int:
    try:
        product = indicator_product(
            args.indicator, args.year, args.resolution, args.classes, level=args.level, standard=args.standard
        )
    except RasterError as exc:
        raise CliError(str(exc)) from None
    path = write_geotiff(args.out, product)
    print(
        f"wrote {path} — {product.description} ({product.grid.width}×{product.grid.height} cells "
        f"of {product.grid.resolution:g} m, EPSG:32648)"
    )
    return 0


def register_export(sub: Any) -> None:  # sub: argparse add_subparsers() action (its class is private)
    p = sub.add_parser("raster-export", help="write an indicator's commune (or district) values as a GeoTIFF")
    p.add_argument("--indicator", required=True, help="indicator id, e.g. poor_rate")
    p.add_argument("--year", type=int, default=None, help="year (default: each unit's latest)")
    p.add_argument("--level", choices=("commune", "district"), default="commune")
    p.add_argument(
        "--standard",
        default=None,
        help="poverty standard (2011-2015, 2016-2020, 2022-2025; default: the year's); must agree with --year",
    )
    p.add_argument("--out", type=Path, required=True, help="output .tif")
    p.add_argument("--resolution", type=float, default=DEFAULT_RESOLUTION, help="cell size in metres")
    p.add_argument("--classes", type=int, default=None, help="classed export with a colour table (2–9)")
    p.set_defaults(func=_cmd_export)
