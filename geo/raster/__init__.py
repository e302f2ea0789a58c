"""Rasters: metric grids and GeoTIFFs, zonal statistics, remoteness surfaces."""
