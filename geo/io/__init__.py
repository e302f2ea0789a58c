"""Files: the GeoPackage store, exports to the six formats, text encodings of uploads."""
