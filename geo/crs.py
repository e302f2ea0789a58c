"""Coordinate reference systems used throughout.

Store and serve WGS84 longitude/latitude (RFC 7946); measure distances and
areas in UTM zone 48N, which covers Kon Tum (105-111 E).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

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
