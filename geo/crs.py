"""Coordinate reference systems used throughout.

Store and serve WGS84 longitude/latitude (RFC 7946); measure distances and
areas in UTM zone 48N, which covers Kon Tum (105-111 E).  A client may ask
for another CRS (OGC API Features Part 2): :data:`SERVED_CRS` lists them,
VN-2000 (the national system) included.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import pyproj
import shapely

if TYPE_CHECKING:  # annotations only: importing geo.crs stays free of geopandas
    import geopandas as gpd

WGS84 = "EPSG:4326"
METRIC = "EPSG:32648"  # WGS 84 / UTM zone 48N


def to_metric(gdf: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Return ``gdf`` in UTM 48N (metres)."""
    return gdf.to_crs(METRIC)


def to_wgs84(gdf: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Return ``gdf`` in WGS84 lon/lat."""
    return gdf.to_crs(WGS84)


# --------------------------------------------------------------------------- served CRS (OGC API Features Part 2)

CRS84_URI = "http://www.opengis.net/def/crs/OGC/1.3/CRS84"
EPSG_URI = "http://www.opengis.net/def/crs/EPSG/0/"


@dataclass(frozen=True)
class ServedCrs:
    """A CRS the service can answer in: its URI, EPSG code (None: CRS84), name and decimals.

    ``axis`` is the authority's axis order, which the coordinates follow
    (OGC API Features Part 2: EPSG:4326 and EPSG:4756 are latitude, longitude).
    """

    uri: str
    epsg: int | None
    name: str
    decimals: int
    axis: str

    @property
    def is_crs84(self) -> bool:
        return self.epsg is None

    @property
    def srs(self) -> str:
        """The name pyproj / GDAL take (``OGC:CRS84`` or ``EPSG:n``)."""
        return "OGC:CRS84" if self.epsg is None else f"EPSG:{self.epsg}"


def _epsg(code: int, name: str, decimals: int, axis: str) -> ServedCrs:
    return ServedCrs(EPSG_URI + str(code), code, name, decimals, axis)


#: Every CRS served, CRS84 first (the default). VN-2000 is the national system (Quyết định
#: 83/2000/QĐ-TTg); EPSG:9216 "VN-2000 / TM-3 107-30" is the provincial TM-3 zone of Kon Tum
#: (central meridian 107°30′, scale 0.9999, Thông tư 973/2001/TT-TCĐC; EPSG area of use
#: "Vietnam - Kon Tum province"). VN-2000 ↔ WGS 84 uses the EPSG transformation PROJ picks
#: ("VN-2000 to WGS 84 (2)", the 7 parameters of Quyết định 05/2007/QĐ-BTNMT).
SERVED_CRS: tuple[ServedCrs, ...] = (
    ServedCrs(CRS84_URI, None, "WGS 84 longitude/latitude (CRS84)", 7, "lon,lat"),
    _epsg(4326, "WGS 84 (latitude, longitude)", 7, "lat,lon"),
    _epsg(3857, "WGS 84 / Pseudo-Mercator", 2, "x,y"),
    _epsg(32648, "WGS 84 / UTM zone 48N", 2, "E,N"),
    _epsg(4756, "VN-2000 (latitude, longitude)", 7, "lat,lon"),
    _epsg(3405, "VN-2000 / UTM zone 48N", 2, "E,N"),
    _epsg(9216, "VN-2000 / TM-3 107-30 (Kon Tum)", 2, "E,N"),
)
CRS84_SERVED = SERVED_CRS[0]
_BY_EPSG = {c.epsg: c for c in SERVED_CRS if c.epsg is not None}
_CRS84_NAMES = {"ogc:crs84", "[ogc:crs84]", "crs84", "urn:ogc:def:crs:ogc:1.3:crs84", "urn:ogc:def:crs:ogc::crs84"}
_EPSG_TEXT = re.compile(
    r"^(?:\[?epsg:(\d+)\]?|urn:ogc:def:crs:epsg:[\d.]*:(\d+)|https?://www\.opengis\.net/def/crs/epsg/[\d.]+/(\d+))$"
)


def parse_crs(text: str) -> ServedCrs | None:
    """The served CRS a client names (a URI, ``EPSG:n``, ``[EPSG:n]``, a URN, ``OGC:CRS84``), else None.

    >>> parse_crs("http://www.opengis.net/def/crs/EPSG/0/9216").name
    'VN-2000 / TM-3 107-30 (Kon Tum)'
    >>> parse_crs("EPSG:4326").axis, parse_crs("OGC:CRS84").is_crs84, parse_crs("EPSG:2154")
    ('lat,lon', True, None)
    """
    t = str(text).strip().lower()
    if t in _CRS84_NAMES or t.replace("https://", "http://") == CRS84_URI.lower():
        return CRS84_SERVED
    m = _EPSG_TEXT.match(t)
    if not m:
        return None
    return _BY_EPSG.get(int(next(g for g in m.groups() if g)))


@functools.lru_cache(maxsize=32)
def _transformer(source: str, target: str) -> pyproj.Transformer:
    # Authority axis order on both sides (always_xy=False): CRS84 is lon,lat, EPSG:4326 lat,lon.
    return pyproj.Transformer.from_crs(source, target, always_xy=False)


def from_crs84(geoms: np.ndarray, target: ServedCrs) -> np.ndarray:
    """WGS84 lon/lat geometries in ``target``'s coordinates and axis order, rounded to its decimals.

    >>> import shapely
    >>> from shapely.geometry import Point
    >>> p = from_crs84(np.array([Point(107.5, 14.5)]), parse_crs("EPSG:4326"))[0]
    >>> p.x, p.y
    (14.5, 107.5)
    """
    if target.is_crs84:
        out = geoms
    else:
        t = _transformer(CRS84_SERVED.srs, target.srs)
        out = shapely.transform(geoms, lambda xy: np.column_stack(t.transform(xy[:, 0], xy[:, 1])))
    return shapely.transform(out, lambda xy: xy.round(target.decimals))


def bbox_to_crs84(bbox: tuple[float, ...], source: ServedCrs) -> tuple[float, float, float, float]:
    """A bbox given in ``source`` (its axis order) as a WGS84 lon/lat bbox (edges densified).

    >>> [round(v, 4) for v in bbox_to_crs84((14.0, 107.5, 15.0, 108.0), parse_crs("EPSG:4326"))]
    [107.5, 14.0, 108.0, 15.0]
    """
    x0, y0, x1, y1 = (bbox[0], bbox[1], bbox[3], bbox[4]) if len(bbox) == 6 else bbox
    if source.is_crs84:
        return (x0, y0, x1, y1)
    t = _transformer(source.srs, CRS84_SERVED.srs)
    lon0, lat0, lon1, lat1 = t.transform_bounds(x0, y0, x1, y1, densify_pts=21)
    return (lon0, lat0, lon1, lat1)
