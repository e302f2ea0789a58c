"""Several polygon layers as one TopoJSON topology: every shared border sent once.

The page draws three polygon levels (the 102 communes of 2020, their 10
districts and the 40 communes of 1 July 2025).  The districts and the 2025
communes are unions of the simplified communes (:mod:`geo.maplayers.layerspec`),
so all three share the same borders; as GeoJSON each border travels up to
six times (both sides, three levels), as a topology once, delta-coded as
integers.  The topology is built with the ``topojson`` package (mattijn/topojson)
and read in the browser with ``topojson-client``.
"""

from __future__ import annotations

import math

import geopandas as gpd
import topojson

#: The grid of the display coordinates (:data:`geo.maplayers.layerspec.DECIMALS` = 5): the
#: quantisation keeps it, so the topology loses nothing the GeoJSON had.
GRID_DEGREES = 1e-5


def quantization(frames: dict[str, gpd.GeoDataFrame], grid: float = GRID_DEGREES) -> int:
    """The number of quantisation steps that keeps ``grid`` over the frames' common extent.

    >>> import shapely
    >>> f = gpd.GeoDataFrame(geometry=[shapely.box(107.0, 14.0, 108.5, 15.2)], crs=4326)
    >>> quantization({"a": f})
    150001
    """
    x0, y0, x1, y1 = gpd.GeoSeries(
        [g for f in frames.values() for g in f.geometry.values if g is not None], crs=4326
    ).total_bounds
    return int(math.ceil(round(max(x1 - x0, y1 - y0) / grid, 6))) + 1


def topology(frames: dict[str, gpd.GeoDataFrame], id_column: str = "gso_code") -> dict:
    """The frames (name → WGS84 polygons with ``id_column``) as one TopoJSON ``Topology``.

    Each object is named by its key; each geometry's ``id`` is its ``id_column``
    value and its ``properties`` the frame's other columns.

    >>> import shapely
    >>> a = gpd.GeoDataFrame({"gso_code": ["1", "2"]}, geometry=[shapely.box(0, 0, 1, 1), shapely.box(1, 0, 2, 1)], crs=4326)
    >>> b = gpd.GeoDataFrame({"gso_code": ["9"]}, geometry=[shapely.box(0, 0, 2, 1)], crs=4326)
    >>> t = topology({"communes": a, "districts": b})
    >>> sorted(t["objects"]), [g["id"] for g in t["objects"]["communes"]["geometries"]]
    (['communes', 'districts'], ['1', '2'])
    >>> len(t["arcs"])  # the shared border once, the two outer halves
    3
    """
    names = list(frames)
    topo = topojson.Topology(
        [frames[n] for n in names], object_name=names, prequantize=quantization(frames), topology=True
    ).to_dict()
    for name in names:
        for geom in topo["objects"][name]["geometries"]:
            geom["id"] = str(geom["properties"][id_column])
    return topo
