"""Compiling ``data/`` into the served GeoPackage, and the data-quality checks."""
