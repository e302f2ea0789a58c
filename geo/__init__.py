"""Domain library of the Kon Tum poverty-targeting map.

Pure Python over GeoDataFrames: loading and validating administrative
units, Vietnamese name matching, indicators, joins, spatial queries,
classification, rasters, storage and exports.  No Flask, no HTML.
"""

__version__ = "0.1.0"
