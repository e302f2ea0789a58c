"""How remote is each commune: distance surfaces and per-commune indicators.

On a UTM 48N grid over the province (default 250 m cells) two surfaces give
the straight-line distance, in km, from every cell centre to

* ``roads`` — the nearest main road (:func:`geo.units.boundaries.load_roads`: national
  and provincial roads only, not village tracks);
* ``power`` — the nearest electrification work (works of kind
  ``electrification``; they sit at their commune's representative point,
  since no real coordinates are known).

Features are burnt into the grid with ``rasterio.features.rasterize``
(``all_touched``, so a road is an unbroken chain of cells) and the distance
is ``scipy.ndimage.distance_transform_edt`` with ``sampling`` = the cell
size: 0 on a feature's cells, exact Euclidean distance between cell centres
elsewhere (so within about one cell of the true distance).  The grid's
margin grows until every province cell is nearer to its nearest feature
than to the grid's edge, so a road just outside the grid is never missed.  Cells
outside the province are nodata.

Per commune, the mean and max over its cells (cell centres inside; the
zonal rules of :mod:`geo.raster.zonal`) give the indicators
``remoteness_road_mean_km``, ``remoteness_road_max_km``,
``remoteness_power_mean_km`` and ``remoteness_power_max_km``
(:data:`CATALOGUE` has their catalogue rows).

Command line::

    python -m geo remoteness --out DIR [--resolution 250] [--csv FILE]

(this module also registers ``python -m geo raster-export``, see
:mod:`geo.raster.grid`).

Example
-------
>>> import geopandas as gpd
>>> from shapely.geometry import LineString, box
>>> communes = gpd.GeoDataFrame({"gso_code": ["a"], "name": ["A"]},
...     geometry=[box(800000, 1600000, 802000, 1601000)], crs="EPSG:32648")
>>> roads = gpd.GeoDataFrame(geometry=[LineString([(800000, 1600125), (802000, 1600125)])],
...     crs="EPSG:32648")
>>> s = remoteness_surface("roads", communes, roads, resolution=250)
>>> float(s.sample(801000, 1600125)), float(s.sample(801000, 1600900))  # cell centres 250 m apart
(0.0, 0.75)
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
from scipy.ndimage import distance_transform_edt

from geo import paths
from geo.crs import METRIC
from geo.errors import CliError
from geo.indicators import catalogue
from geo.io import storage
from geo.messages import Message
from geo.raster import zonal
from geo.raster.grid import (
    DEFAULT_RESOLUTION,
    FLOAT_NODATA,
    Grid,
    RasterError,
    RasterProduct,
    check_resolution,
    opened,
    register_export,
    write_geotiff,
)
from geo.units import boundaries as units

TARGETS = ("roads", "power")
START_MARGIN = 10_000.0  # metres around the province to begin with
MAX_MARGIN = 150_000.0  # refuse features farther than this from the province
ELECTRIFICATION = "electrification"

INDICATORS = {
    ("roads", "mean"): "remoteness_road_mean_km",
    ("roads", "max"): "remoteness_road_max_km",
    ("power", "mean"): "remoteness_power_mean_km",
    ("power", "max"): "remoteness_power_max_km",
}

# Catalogue rows for the indicators (columns of data/indicators/catalogue.csv).
# The catalogue rows of the four indicators live with the other data (so that
# layer files can use them without code); this is the same table.
CATALOGUE_FILE = "extra/remoteness.catalogue.csv"


def _catalogue() -> pd.DataFrame:
    return pd.read_csv(paths.ROOT / "data" / "indicators" / CATALOGUE_FILE, dtype=str, keep_default_na=False)


CATALOGUE = _catalogue()


@dataclass
class Surface:
    """A distance surface: ``km`` (float32, NaN outside the province) on ``grid``."""

    target: str
    km: np.ndarray
    grid: Grid
    n_features: int
    source: str

    def sample(self, x: float, y: float) -> float:
        """Distance (km) at point (x, y) in UTM 48N; NaN off the province."""
        row, col = self.grid.index(x, y)
        if not (0 <= row < self.grid.height and 0 <= col < self.grid.width):
            return math.nan
        return float(self.km[row, col])

    def product(self) -> RasterProduct:
        res = self.grid.resolution
        what = "main road" if self.target == "roads" else "electrification work"
        array = np.where(np.isnan(self.km), np.float32(FLOAT_NODATA), self.km).astype("float32")
        return RasterProduct(
            array,
            self.grid,
            FLOAT_NODATA,
            description=f"remoteness_{self.target}: distance to the nearest {what} (km), "
            f"{res:g} m grid — status: derived",
            units="km",
            tags={
                "TARGET": self.target,
                "STATUS": "derived",
                "RESOLUTION_M": f"{res:g}",
                "FEATURES": self.n_features,
                "SOURCE": self.source,
            },
            filename=f"remoteness_{self.target}_{res:g}m.tif",
        )


def _features(target: str, features: gpd.GeoDataFrame) -> gpd.GeoSeries:
    if target not in TARGETS:
        raise RasterError(Message("error.raster.unknown_target", got=target, expected=", ".join(TARGETS)))
    if target == "power" and "kind" in features.columns:
        features = features[features["kind"] == ELECTRIFICATION]
    geoms = features.geometry.to_crs(METRIC)
    geoms = geoms[geoms.notna() & ~geoms.is_empty]
    if geoms.empty:
        what = (
            Message("error.raster.main_roads") if target == "roads" else Message("error.raster.electrification_works")
        )
        raise RasterError(Message("error.raster.no_features", what=what))
    return geoms


def _source(target: str, features: gpd.GeoDataFrame, n: int, resolution: float) -> str:
    method = (
        f"straight-line distance on a {resolution:g} m UTM 48N grid (rasterio rasterize, all touched; "
        f"scipy distance_transform_edt), geo/raster/remoteness.py"
    )
    if target == "roads":
        return (
            f"derived: {method}, to the nearest of {n} main road lines (data/boundaries/roads_main.geojson, "
            "CTU-SematX/LegoCity opendata, CC BY-SA 4.0; national and provincial roads only)"
        )
    precision = ""
    if "location_precision" in features.columns:
        kinds = features["location_precision"]
        if "kind" in features.columns:
            kinds = kinds[features["kind"] == ELECTRIFICATION]
        counts = kinds.fillna("?").value_counts()
        precision = "; located at: " + ", ".join(f"{k} {v}" for k, v in counts.items())
    return (
        f"derived: {method}, to the nearest of {n} electrification works (data/indicators/works.csv, "
        f"kind electrification{precision} — a work without coordinates sits at its unit's "
        "representative point)"
    )


def distance_km(geoms: gpd.GeoSeries, grid: Grid) -> np.ndarray:
    """Distance (km, float32) from each cell centre to the nearest cell holding a feature.

    ``geoms`` are in the grid's CRS.  Returns all NaN if no feature falls
    on the grid.
    """
    burnt = grid.burn(geoms, fill=0, dtype="uint8", all_touched=True)
    if not burnt.any():
        return np.full(grid.shape, np.nan, dtype="float32")
    dist = distance_transform_edt(burnt == 0, sampling=grid.resolution)
    return (dist / 1000.0).astype("float32")


def _within(inner, outer) -> bool:
    return inner[0] >= outer[0] and inner[1] >= outer[1] and inner[2] <= outer[2] and inner[3] <= outer[3]


def _edge_distance(grid: Grid) -> np.ndarray:
    """Metres from each cell centre to the nearest edge of the grid."""
    rows = np.arange(grid.height, dtype="float64") + 0.5
    cols = np.arange(grid.width, dtype="float64") + 0.5
    to_row_edge = np.minimum(rows, grid.height - rows)[:, None]
    to_col_edge = np.minimum(cols, grid.width - cols)[None, :]
    return np.minimum(to_row_edge, to_col_edge) * grid.resolution


def remoteness_surface(
    target: str, communes: gpd.GeoDataFrame, features: gpd.GeoDataFrame, resolution: float = DEFAULT_RESOLUTION
) -> Surface:
    """The distance surface to ``target`` features over the communes' extent."""
    resolution = check_resolution(resolution)
    geoms = _features(target, features)
    units = communes.to_crs(METRIC)
    bounds = units.total_bounds
    outline = units.geometry.union_all()
    margin = START_MARGIN
    # Distance from the province to the nearest feature: the grid must reach it.
    nearest = float(geoms.distance(outline).min())
    margin = max(margin, nearest + 2 * resolution)
    while True:
        if margin > MAX_MARGIN:
            raise RasterError(Message("error.raster.too_far", target=target, km=MAX_MARGIN / 1000))
        grid = Grid.covering(bounds, resolution, margin)
        km = distance_km(geoms, grid)
        inside = grid.burn(units.geometry, fill=0, dtype="uint8", all_touched=True).astype(bool)
        # A feature off the grid is at least as far as the grid's edge, so a cell
        # is exact when its distance does not exceed its distance to the edge.
        if _within(geoms.total_bounds, grid.bounds):
            break  # every feature is on the grid
        shortfall = float(np.nanmax(km[inside] * 1000.0 - _edge_distance(grid)[inside]))
        if shortfall <= 0:
            break
        margin += shortfall + 2 * resolution
    km = np.where(inside, km, np.float32(np.nan)).astype("float32")
    return Surface(target, km, grid, int(len(geoms)), _source(target, features, int(len(geoms)), resolution))


def remoteness_surfaces(
    communes: gpd.GeoDataFrame, roads: gpd.GeoDataFrame, works: gpd.GeoDataFrame, resolution: float = DEFAULT_RESOLUTION
) -> dict[str, Surface]:
    """Both surfaces: ``{"roads": …, "power": …}``."""
    return {
        "roads": remoteness_surface("roads", communes, roads, resolution),
        "power": remoteness_surface("power", communes, works, resolution),
    }


def surface_stats(surface: Surface, communes: gpd.GeoDataFrame) -> pd.DataFrame:
    """Zonal mean / max (and count, coverage, method) of ``surface`` per commune."""
    with opened(surface.product()) as src:
        return zonal.zonal_stats(src, communes, stats=("mean", "max"))


def remoteness_indicators(
    communes: gpd.GeoDataFrame,
    roads: gpd.GeoDataFrame,
    works: gpd.GeoDataFrame,
    resolution: float = DEFAULT_RESOLUTION,
    surfaces: dict | None = None,
) -> pd.DataFrame:
    """Per commune (index ``gso_code``): the four remoteness indicators in km (3 decimals)."""
    surfaces = surfaces or remoteness_surfaces(communes, roads, works, resolution)
    out = pd.DataFrame(index=pd.Index(communes["gso_code"].astype(str).to_numpy(), name="gso_code"))
    for target in TARGETS:
        table = surface_stats(surfaces[target], communes)
        for stat in ("mean", "max"):
            out[INDICATORS[(target, stat)]] = table[stat].round(3)
        out[f"{target}_cells"] = table["count"]
        out[f"{target}_method"] = table["method"]
    return out


def remoteness_observations(
    communes: gpd.GeoDataFrame,
    roads: gpd.GeoDataFrame,
    works: gpd.GeoDataFrame,
    resolution: float = DEFAULT_RESOLUTION,
    year: int | None = None,
    surfaces: dict | None = None,
) -> pd.DataFrame:
    """Observation rows (``status`` derived, unit km) of the four remoteness indicators.

    One row per commune and indicator; ``year`` is left blank unless given
    (the road layer has no vintage).
    """
    resolution = check_resolution(resolution)
    surfaces = surfaces or remoteness_surfaces(communes, roads, works, resolution)
    table = remoteness_indicators(communes, roads, works, resolution, surfaces)
    names = dict(zip(communes["gso_code"].astype(str), communes["name"]))
    rows = []
    for (target, stat), indicator in INDICATORS.items():
        source = surfaces[target].source + f"; commune {stat} over the cells whose centre is inside"
        for code, value in table[indicator].items():
            if not math.isfinite(value):
                raise RasterError(Message("error.raster.no_remoteness", code=code))  # never silently dropped
            rows.append(
                {
                    "unit_level": "commune",
                    "gso_code": code,
                    "unit_name": names.get(code, ""),
                    "indicator": indicator,
                    "year": year,
                    "period": "" if year is None else str(year),
                    "qualifier": "=",
                    "value": float(value),
                    "unit": "km",
                    "standard": "",
                    "status": "derived",
                    "source": source,
                    "note": f"cells={int(table.at[code, f'{target}_cells'])}; "
                    f"method={table.at[code, f'{target}_method']}",
                }
            )
    out = pd.DataFrame(rows, columns=zonal.OBS_COLUMNS)
    out["year"] = out["year"].astype("Int64")
    return out


# ------------------------------------------------------------------ from the built data


def surface_from_gpkg(target: str, resolution: float = DEFAULT_RESOLUTION, path: Path | str | None = None) -> Surface:
    """The surface computed from the built GeoPackage's layers (what the web app serves)."""
    if target not in TARGETS:
        raise RasterError(Message("error.raster.unknown_target", got=target, expected=", ".join(TARGETS)))
    communes = storage.read_layer("communes", path)
    features = storage.read_layer("roads" if target == "roads" else "works", path)
    return remoteness_surface(target, communes, features, resolution)


def _load_sources():
    return units.load_communes(), units.load_roads(), catalogue.load_works()


def _cmd_remoteness(args) -> int:
    if args.out.exists() and not args.out.is_dir():
        raise CliError(f"{args.out}: exists and is not a folder")
    try:
        resolution = check_resolution(args.resolution)
        communes, roads, works = _load_sources()
        surfaces = remoteness_surfaces(communes, roads, works, resolution)
    except RasterError as exc:
        raise CliError(str(exc)) from None
    for surface in surfaces.values():
        product = surface.product()
        path = write_geotiff(Path(args.out) / product.filename, product)
        print(f"wrote {path} — {product.description}")
    if args.csv:
        table = remoteness_indicators(communes, roads, works, resolution, surfaces)
        table.insert(0, "name", table.index.map(dict(zip(communes["gso_code"], communes["name"]))))
        path = zonal.write_csv_atomic(table, args.csv, index=True)
        print(f"wrote {path} — {len(table)} communes")
    return 0


def register(sub: Any) -> None:  # sub: argparse add_subparsers() action (its class is private)
    p = sub.add_parser("remoteness", help="distance-to-road and distance-to-power surfaces (GeoTIFF)")
    p.add_argument("--out", type=Path, required=True, help="output folder for the two GeoTIFFs")
    p.add_argument("--resolution", default=DEFAULT_RESOLUTION, help="cell size in metres (50–5000)")
    p.add_argument("--csv", type=Path, default=None, help="also write the per-commune indicators here")
    p.set_defaults(func=_cmd_remoteness)
    register_export(sub)
