"""Zonal statistics of a raster over the communes or districts.

:func:`zonal_stats` summarises one band of any GDAL raster (a GeoTIFF
normally) per unit: ``mean``, ``sum``, ``min``, ``max``, ``count`` (valid
pixels), ``coverage`` and ``method``.

* **Nodata** — the band's nodata value (and any GDAL mask), NaN and ±inf
  are never counted.
* **Pixels of a unit** — those whose centre lies inside the unit, or every
  pixel the unit touches with ``all_touched=True``.  A unit so small or thin
  that no pixel centre falls inside still gets a value: first from the
  pixels it touches (``method`` ``all_touched_fallback``), else from the
  pixel under its representative point (``point_fallback``).  A unit that
  does not overlap the raster is reported with ``count`` 0, NaN values and
  ``method`` ``outside`` — never dropped.
* **coverage** — the share of the unit covered by valid pixels: valid
  pixels ÷ the pixels the unit would have (same rule) if the raster covered
  it entirely and had no nodata.  1.0 = fully covered; 0.5 = half the unit
  is off the raster or nodata.
* **CRS** — the units are reprojected to the raster's CRS (UTM 48N,
  VN-2000, WGS84 …); the raster is never resampled.
* **Memory** — each unit is processed over the window of its bounds only,
  in chunks aligned to the file's blocks; the whole raster is never read.

Command line::

    python -m geo zonal RASTER [--level commune|district] [--all-touched]
        [--stats mean,sum,…] [--band N] [--out result.csv]
        [--indicator ID [--value-stat mean] [--year Y] [--unit U]]

With ``--indicator`` the values are written as derived observation rows to
``data/indicators/extra/zonal_<ID>.csv`` (the build reads that folder).

Example
-------
>>> import tempfile, pathlib, numpy as np, rasterio, geopandas as gpd
>>> from affine import Affine
>>> from shapely.geometry import box
>>> tif = pathlib.Path(tempfile.mkdtemp()) / "t.tif"
>>> with rasterio.open(tif, "w", driver="GTiff", width=4, height=4, count=1, dtype="float32",
...                    crs="EPSG:32648", transform=Affine(1000, 0, 800000, 0, -1000, 1604000),
...                    nodata=-1) as dst:
...     dst.write(np.arange(16, dtype="float32").reshape(4, 4), 1)
>>> units = gpd.GeoDataFrame({"gso_code": ["a"]}, geometry=[box(800000, 1602000, 802000, 1604000)],
...                          crs="EPSG:32648")
>>> row = zonal_stats(tif, units).loc["a"]
>>> float(row["mean"]), float(row["sum"]), int(row["count"]), float(row["coverage"]), row["method"]
(2.5, 10.0, 4, 1.0, 'centre')
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import hashlib
import io
import math
import os
import re
import sys
import tempfile
import warnings
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import rasterio
from affine import Affine
from rasterio.errors import NotGeoreferencedWarning, RasterioIOError
from rasterio.features import geometry_mask
from rasterio.io import DatasetReader
from rasterio.warp import transform_geom
from rasterio.windows import Window
from shapely import make_valid
from shapely.geometry import box, mapping, shape
from shapely.prepared import prep

from geo import paths
from geo.errors import CliError
from geo.indicators import catalogue
from geo.messages import Message
from geo.raster.grid import RasterError
from geo.units.boundaries import LEVELS, load_units

STATS = ("mean", "sum", "min", "max", "count", "coverage")
ALWAYS = ("count", "coverage")
CHUNK = 512  # target chunk edge in pixels; chunks are multiples of the file's blocks

METHOD_CENTRE = "centre"
METHOD_TOUCHED = "all_touched"
METHOD_TOUCHED_FALLBACK = "all_touched_fallback"
METHOD_POINT_FALLBACK = "point_fallback"
METHOD_OUTSIDE = "outside"


# ------------------------------------------------------------------ opening


def open_raster(path: Path | str, drivers: list[str] | None = None) -> DatasetReader:
    """Open ``path`` for reading, or raise a one-line error.

    ``drivers`` restricts the GDAL drivers tried (the web service passes
    ``["GTiff"]``).  Raises :class:`FileNotFoundError` for a missing file
    and :class:`RasterError` for a file that is not a raster or has no CRS.
    """
    p = Path(path)
    if not p.exists():
        raise FileNotFoundError(f"{p}: no such file")
    if p.is_dir():
        raise RasterError(Message("error.raster.folder", name=p.name))
    what = Message("error.raster.a_geotiff") if drivers == ["GTiff"] else Message("error.raster.a_raster")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", NotGeoreferencedWarning)
            src = rasterio.open(p, driver=drivers[0] if drivers and len(drivers) == 1 else None)
    except (RasterioIOError, rasterio.errors.RasterioError):
        raise RasterError(Message("error.raster.not_raster", name=p.name, what=what)) from None
    if drivers and src.driver not in drivers:
        src.close()
        raise RasterError(Message("error.raster.not_raster_driver", name=p.name, what=what, driver=src.driver))
    try:
        check_dataset(src)
    except Exception:
        src.close()
        raise
    return src


def check_dataset(src: DatasetReader) -> None:
    """Refuse rasters the statistics cannot honour (no CRS, rotated, complex…)."""
    name = Path(str(src.name)).name
    if src.count < 1:
        raise RasterError(Message("error.raster.no_band", name=name))
    if src.crs is None:
        raise RasterError(Message("error.raster.no_crs", name=name))
    t = src.transform
    if t == Affine.identity():
        raise RasterError(Message("error.raster.not_georeferenced", name=name))
    if not (t.b == 0 and t.d == 0):
        raise RasterError(Message("error.raster.rotated", name=name))
    if np.dtype(src.dtypes[0]).kind == "c":
        raise RasterError(Message("error.raster.complex", name=name))


# ------------------------------------------------------------------ geometry


def _project_units(units: gpd.GeoDataFrame, crs) -> list:
    """Unit geometries in the raster's CRS (GDAL's transformation, like the raster's)."""
    src_crs = units.crs.to_wkt() if units.crs is not None else None
    if src_crs is None:
        raise ValueError("the units have no CRS")
    out = []
    for geom in units.geometry:
        if geom is None or geom.is_empty:
            out.append(None)
            continue
        try:
            g = shape(transform_geom(src_crs, crs, mapping(geom)))
        except Exception:
            shown = crs.to_string() if hasattr(crs, "to_string") else str(crs)
            raise RasterError(Message("error.raster.reproject_to", crs=shown)) from None
        if not all(math.isfinite(v) for v in g.bounds):
            raise RasterError(Message("error.raster.reproject"))
        out.append(g if g.is_valid else make_valid(g))
    return out


def _pixel_box(transform: Affine, bounds) -> tuple[int, int, int, int]:
    """(row0, row1, col0, col1), unclipped, of the pixels meeting ``bounds``."""
    minx, miny, maxx, maxy = bounds
    inv = ~transform
    cols, rows = zip(*(inv @ (x, y) for x in (minx, maxx) for y in (miny, maxy)))
    return (math.floor(min(rows)), math.ceil(max(rows)), math.floor(min(cols)), math.ceil(max(cols)))


def _chunks(box_: tuple[int, int, int, int], chunk: tuple[int, int]):
    """Sub-boxes of ``box_`` on a chunk grid anchored at pixel (0, 0)."""
    r0, r1, c0, c1 = box_
    cr, cc = chunk
    for rs in range(math.floor(r0 / cr) * cr, r1, cr):
        for cs in range(math.floor(c0 / cc) * cc, c1, cc):
            a, b, c, d = max(rs, r0), min(rs + cr, r1), max(cs, c0), min(cs + cc, c1)
            if a < b and c < d:
                yield a, b, c, d


def chunk_shape(src: DatasetReader, target: int = CHUNK) -> tuple[int, int]:
    """Chunk rows × cols: multiples of the block shape near ``target`` pixels."""
    bh, bw = src.block_shapes[0]

    def fit(block: int) -> int:
        if block > 8 * target:  # striped files: a block is a whole row
            return target
        return max(block, (target // block) * block)

    return fit(bh), fit(bw)


# ------------------------------------------------------------------ core


@dataclass
class _Acc:
    expected: int = 0  # pixels of the unit on the (unbounded) grid
    inside: int = 0  # pixels of the unit on the raster
    count: int = 0  # valid pixels of the unit
    total: float = 0.0
    low: float = math.inf
    high: float = -math.inf

    def add(self, values: np.ndarray) -> None:
        if values.size:
            self.count += int(values.size)
            self.total += float(values.sum(dtype="float64"))
            self.low = min(self.low, float(values.min()))
            self.high = max(self.high, float(values.max()))


def _valid(src, band: int, data: np.ndarray, window: Window) -> np.ndarray:
    valid = src.read_masks(band, window=window) > 0
    if data.dtype.kind == "f":
        valid &= np.isfinite(data)
    return valid


def _accumulate(src, band: int, geom, all_touched: bool, chunk: tuple[int, int]) -> _Acc:
    acc = _Acc()
    t = src.transform
    pad = 1 if all_touched else 0
    r0, r1, c0, c1 = _pixel_box(t, geom.bounds)
    whole = (r0 - pad, r1 + pad, c0 - pad, c1 + pad)
    prepared = prep(geom)
    for a, b, c, d in _chunks(whole, chunk):
        ct = t @ Affine.translation(c, a)
        footprint = box(*_bounds_of(ct, b - a, d - c))
        if not prepared.intersects(footprint):
            continue
        if prepared.contains(footprint):
            inside = np.ones((b - a, d - c), dtype=bool)
        else:
            inside = geometry_mask([geom], out_shape=(b - a, d - c), transform=ct, all_touched=all_touched, invert=True)
        acc.expected += int(inside.sum())
        # The part of this chunk that lies on the raster.
        ra, rb, rc, rd = max(a, 0), min(b, src.height), max(c, 0), min(d, src.width)
        if ra >= rb or rc >= rd:
            continue
        sub = inside[ra - a : rb - a, rc - c : rd - c]
        n = int(sub.sum())
        if n == 0:
            continue
        acc.inside += n
        window = Window(rc, ra, rd - rc, rb - ra)
        data = src.read(band, window=window)
        acc.add(data[sub & _valid(src, band, data, window)])
    return acc


def _bounds_of(transform: Affine, height: int, width: int):
    xs, ys = zip(*(transform @ (x, y) for x in (0, width) for y in (0, height)))
    return min(xs), min(ys), max(xs), max(ys)


def _point_value(src, band: int, geom) -> _Acc:
    acc = _Acc()
    point = geom.representative_point()
    col, row = ~src.transform @ (point.x, point.y)
    row, col = math.floor(row), math.floor(col)
    acc.expected = 1
    if 0 <= row < src.height and 0 <= col < src.width:
        acc.inside = 1
        window = Window(col, row, 1, 1)
        data = src.read(band, window=window)
        acc.add(data[_valid(src, band, data, window)])
    return acc


def _row(acc: _Acc, method: str) -> dict:
    n = acc.count
    return {
        "mean": acc.total / n if n else math.nan,
        "sum": acc.total if n else math.nan,
        "min": acc.low if n else math.nan,
        "max": acc.high if n else math.nan,
        "count": n,
        "coverage": (n / acc.expected) if acc.expected else 0.0,
        "method": method,
    }


def parse_stats(stats: str | Iterable[str] | None) -> tuple[str, ...]:
    """Normalise ``stats`` (iterable or "mean,sum") and check the names.

    >>> parse_stats("sum, mean")
    ('sum', 'mean')
    """
    if stats is None:
        return STATS
    items = stats.split(",") if isinstance(stats, str) else list(stats)
    items = [str(s).strip().lower() for s in items if str(s).strip()]
    bad = [s for s in items if s not in STATS]
    if bad or not items:
        got = ", ".join(bad) or Message("error.raster.no_stats")
        raise RasterError(Message("error.raster.unknown_stats", got=got, expected=", ".join(STATS)))
    return tuple(dict.fromkeys(items))


def zonal_stats(
    raster: Path | str | DatasetReader,
    units: gpd.GeoDataFrame | str,
    stats: str | Iterable[str] | None = STATS,
    all_touched: bool = False,
    band: int = 1,
    drivers: list[str] | None = None,
    max_pixels: int | None = None,
    max_bytes: int | None = None,
) -> pd.DataFrame:
    """Statistics of ``raster`` (path or open rasterio dataset) per unit.

    ``units`` is a GeoDataFrame with ``gso_code`` (any CRS) or a level name
    (``commune`` / ``district``).  Returns a DataFrame indexed by
    ``gso_code`` (same order as ``units``) with the requested ``stats``,
    always ``count`` and ``coverage``, and ``method``.  ``max_pixels``
    refuses rasters that would need more pixels than that over the units
    (the web service uses it); ``max_bytes`` those whose pixels over the units, times the
    band's bytes per pixel, pass it (a float64 raster costs eight times a byte raster).
    """
    stats = parse_stats(stats)
    if isinstance(units, str):
        if units not in LEVELS:
            raise RasterError(Message("error.raster.unknown_level", got=units, expected=", ".join(LEVELS)))
        units = load_units(units)
    if "gso_code" not in units.columns:
        raise ValueError("units need a gso_code column")
    own = not hasattr(raster, "read")
    src = open_raster(raster, drivers) if own else raster
    try:
        if not own:
            check_dataset(src)
        if not 1 <= int(band) <= src.count:
            raise RasterError(Message("error.raster.no_such_band", band=band, count=src.count))
        name = Path(str(src.name)).name
        geoms = _project_units(units, src.crs)
        footprint = box(*_bounds_of(src.transform, src.height, src.width))
        overlaps = [g is not None and g.intersects(footprint) for g in geoms]
        if not any(overlaps):
            bounds = tuple(round(v, 4) for v in src.bounds)
            raise RasterError(Message("error.raster.no_overlap", name=name, bounds=bounds, crs=src.crs.to_string()))
        if max_pixels is not None or max_bytes is not None:
            need = 0
            for g, over in zip(geoms, overlaps):
                if over:
                    r0, r1, c0, c1 = _pixel_box(src.transform, g.intersection(footprint).bounds)
                    need += max(0, min(r1, src.height) - max(r0, 0)) * max(0, min(c1, src.width) - max(c0, 0))
            if max_pixels is not None and need > max_pixels:
                raise RasterError(Message("error.raster.too_many_pixels", name=name, need=need, max=max_pixels))
            itemsize = np.dtype(src.dtypes[band - 1]).itemsize if 1 <= band <= src.count else 8
            if max_bytes is not None and need * itemsize > max_bytes:
                dtype, size = src.dtypes[band - 1], need * itemsize
                raise RasterError(
                    Message("error.raster.too_many_bytes", name=name, need=need, dtype=dtype, bytes=size, max=max_bytes)
                )
        chunk = chunk_shape(src)
        rows = []
        for g, over in zip(geoms, overlaps):
            if not over:
                rows.append(_row(_Acc(), METHOD_OUTSIDE))
                continue
            acc = _accumulate(src, band, g, all_touched, chunk)
            method = METHOD_TOUCHED if all_touched else METHOD_CENTRE
            if acc.inside == 0 and not all_touched:
                acc, method = _accumulate(src, band, g, True, chunk), METHOD_TOUCHED_FALLBACK
            if acc.inside == 0:
                acc, method = _point_value(src, band, g), METHOD_POINT_FALLBACK
            rows.append(_row(acc, method))
    finally:
        if own:
            src.close()
    out = pd.DataFrame(rows, index=pd.Index(units["gso_code"].astype(str).to_numpy(), name="gso_code"))
    keep = [s for s in stats] + [s for s in ALWAYS if s not in stats]
    return out[keep + ["method"]]


# ------------------------------------------------------------------ provenance


def file_sha256(path: Path | str, chunk: int = 1 << 20) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(chunk), b""):
            h.update(block)
    return h.hexdigest()


def raster_source(path: Path | str, stat: str, level: str, all_touched: bool) -> str:
    """The ``source`` text of derived rows: file name, hash, file date, method."""
    p = Path(path)
    mtime = dt.datetime.fromtimestamp(p.stat().st_mtime, dt.UTC).date().isoformat()
    rule = "all pixels touched" if all_touched else "pixel centres inside the unit"
    return (
        f"derived: zonal {stat} of raster {p.name} (sha256 {file_sha256(p)[:16]}, file dated {mtime}) "
        f"over the {level}s ({rule}), computed {dt.date.today().isoformat()} by geo/raster/zonal.py"
    )


OBS_COLUMNS = catalogue.OBS_COLUMNS
INDICATOR_ID = re.compile(r"^[a-z][a-z0-9_]{1,62}$")


def zonal_observations(
    table: pd.DataFrame,
    units: gpd.GeoDataFrame,
    indicator: str,
    level: str,
    source: str,
    stat: str = "mean",
    year: int | None = None,
    unit: str = "",
) -> tuple[pd.DataFrame, list[str]]:
    """Observation rows (``status`` derived) of ``table[stat]``; and the codes left without a value.

    Units without valid pixels get no row (their value is unknown); their
    codes are returned so the caller can say so.
    """
    if not INDICATOR_ID.match(indicator):
        raise RasterError(Message("error.raster.indicator_id", got=indicator))
    if stat not in table.columns:
        raise RasterError(Message("error.raster.stat_not_computed", got=stat))
    names = units.set_index(units["gso_code"].astype(str))["name"] if "name" in units.columns else {}
    rows, missing = [], []
    for code, r in table.iterrows():
        value = r[stat]
        if r["count"] == 0 or value is None or not math.isfinite(float(value)):
            missing.append(code)
            continue
        rows.append(
            {
                "unit_level": level,
                "gso_code": code,
                "unit_name": names.get(code, "") if len(names) else "",
                "indicator": indicator,
                "year": year if year is not None else "",
                "period": str(year) if year is not None else "",
                "qualifier": "=",
                "value": round(float(value), 6),
                "unit": unit,
                "standard": "",
                "status": "derived",
                "source": source,
                "note": f"pixels={int(r['count'])}; coverage={float(r['coverage']):.3f}; method={r['method']}",
            }
        )
    return pd.DataFrame(rows, columns=OBS_COLUMNS), missing


def extra_path(indicator: str) -> Path:
    from geo import paths

    return paths.indicators_dir() / "extra" / f"zonal_{indicator}.csv"


def write_csv_atomic(frame: pd.DataFrame, path: Path | str, index: bool = False) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=path.stem + ".", suffix=".tmp.csv", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as f:
            frame.to_csv(f, index=index, quoting=csv.QUOTE_MINIMAL, lineterminator="\n")
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    return path


# ------------------------------------------------------------------ command line


def catalogue_entry(args: argparse.Namespace) -> pd.DataFrame:
    """The catalogue row of a zonal indicator, so that a layer file can use it without code."""
    main = paths.indicators_dir() / "catalogue.csv"
    known = set(pd.read_csv(main, dtype=str)["id"]) if main.exists() else set()
    if args.indicator in known:
        raise CliError(f"indicator id {args.indicator!r} is already in the catalogue; choose another id")
    raster = Path(args.raster).name
    return pd.DataFrame(
        [
            {
                "id": args.indicator,
                "name_vi": args.name_vi or f"{args.indicator} ({args.value_stat}, {raster})",
                "name_en": args.name_en or f"{args.indicator} ({args.value_stat}, {raster})",
                "unit": args.unit or "",
                "polarity": args.polarity,
                "kind": "score",
                "standard": "",
                "description_vi": f"Thống kê vùng ({args.value_stat}) của ảnh {raster} theo {args.level}.",
                "description_en": f"Zonal {args.value_stat} of the raster {raster} per {args.level}.",
                "carry": "none",  # a zonal statistic of members is not the parent's: recompute it
            }
        ]
    )


def _cmd_zonal(args) -> int:
    if args.indicator and not INDICATOR_ID.match(args.indicator):
        raise CliError(
            f"indicator id {args.indicator!r}: use lower-case letters, digits and _ (starting with a letter)"
        )
    try:
        stats = parse_stats(args.stats)
        if args.indicator and args.value_stat not in stats:
            stats = stats + (args.value_stat,)
        units = load_units(args.level)
        table = zonal_stats(args.raster, units, stats, all_touched=args.all_touched, band=args.band)
    except (RasterError, FileNotFoundError) as exc:
        raise CliError(str(exc)) from None
    names = units.set_index(units["gso_code"].astype(str))["name"]
    shown = table.copy()
    shown.insert(0, "name", shown.index.map(names))
    empty = shown.index[shown["count"] == 0].tolist()
    fallback = shown.index[shown["method"].str.endswith("fallback")].tolist()
    if args.indicator:
        try:
            obs, missing = zonal_observations(
                table,
                units,
                args.indicator,
                args.level,
                raster_source(args.raster, args.value_stat, args.level, args.all_touched),
                args.value_stat,
                args.year,
                args.unit,
            )
        except RasterError as exc:
            raise CliError(str(exc)) from None
        cat_path = extra_path(args.indicator).with_suffix(".catalogue.csv")
        write_csv_atomic(catalogue_entry(args), cat_path)
        path = write_csv_atomic(obs, extra_path(args.indicator))
        print(f"wrote {path} — {len(obs)} {args.level} rows of {args.indicator} (status derived)")
        print(f"wrote {cat_path} — its catalogue entry (edit the names if you like)")
        if missing:
            print(
                f"note: no row for {len(missing)} {args.level}s without valid pixels: {', '.join(missing)}",
                file=sys.stderr,
            )
    if args.out:
        path = write_csv_atomic(shown, args.out, index=True)
        print(f"wrote {path} — {len(shown)} {args.level}s")
    elif not args.indicator:
        buf = io.StringIO()
        shown.to_csv(buf, lineterminator="\n")
        sys.stdout.write(buf.getvalue())
    if empty:
        print(f"note: {len(empty)} {args.level}s without valid pixels (count 0): {', '.join(empty)}", file=sys.stderr)
    if fallback:
        print(
            f"note: {len(fallback)} {args.level}s smaller than a pixel used a fallback "
            f"(see the method column): {', '.join(fallback)}",
            file=sys.stderr,
        )
    return 0


def register(sub: Any) -> None:  # sub: argparse add_subparsers() action (its class is private)
    p = sub.add_parser("zonal", help="zonal statistics of a raster (GeoTIFF) per commune or district")
    p.add_argument("raster", type=Path, help="raster file (GeoTIFF), any CRS")
    p.add_argument("--level", choices=LEVELS, default="commune")
    p.add_argument("--all-touched", action="store_true", help="count every pixel a unit touches")
    p.add_argument("--stats", default=",".join(STATS), help=f"comma-separated, from {','.join(STATS)}")
    p.add_argument("--band", type=int, default=1)
    p.add_argument("--out", type=Path, default=None, help="write the table to this CSV (default: print)")
    p.add_argument("--name-vi", default=None, help="Vietnamese name of the new indicator (catalogue)")
    p.add_argument("--name-en", default=None, help="English name of the new indicator (catalogue)")
    p.add_argument("--polarity", choices=("higher_worse", "higher_better", "neutral"), default="neutral")
    p.add_argument("--indicator", default=None, help="write derived observations to data/indicators/extra/zonal_ID.csv")
    p.add_argument(
        "--value-stat",
        default="mean",
        choices=[s for s in STATS if s != "coverage"],
        help="statistic used as the indicator value (default mean)",
    )
    p.add_argument("--year", type=int, default=None, help="year of the indicator values")
    p.add_argument("--unit", default="", help="unit of the indicator values (e.g. người/km²)")
    p.set_defaults(func=_cmd_zonal)
