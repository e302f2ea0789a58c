"""Prototypes of the product changes still recommended in bench/RESULTS.md, applied at run time.

The benchmark owns no product file, so it cannot make these changes; to say
what they would give, it measures the app with them patched in
(``python -m bench --only prototype``, or ``python -m bench.profile
--prototype …``).  Each function mirrors one recommendation and names the
file and function the real change belongs in; none of this is meant to ship
as it is.  (The earlier prototypes — sampled Fisher–Jenks breaks, one
observations table, the answer cache, the warm-up in the master, the display
tolerance by scale — are in the product now.)

* :func:`coverage_dissolve` — ``geo/maplayers/layerspec.py`` ``display_geometry``:
  districts are the *coverage* union of the simplified communes
  (``dissolve(..., method="coverage")``), which only drops shared edges,
  instead of a full overlay union.
"""

from __future__ import annotations


def coverage_dissolve() -> None:
    import geopandas as gpd

    from geo.crs import WGS84
    from geo.maplayers import layerspec

    original = layerspec.display_geometry
    if getattr(original, "_bench_prototype", False):
        return

    def display_geometry(source, path=None):
        if source != "districts":
            return original(source, path)
        communes = original("communes", path)
        units = layerspec.read_source("communes", path)[["gso_code", "district_code"]]
        communes = communes.merge(units, on="gso_code")
        dissolved = communes.dissolve(by="district_code", method="coverage").reset_index()
        return gpd.GeoDataFrame(
            {"gso_code": dissolved["district_code"]}, geometry=layerspec._round(dissolved.geometry.values), crs=WGS84
        )

    display_geometry._bench_prototype = True
    layerspec.display_geometry = display_geometry


def apply(path) -> dict:
    """Every prototype; returns what was set."""
    coverage_dissolve()
    return {"coverage_dissolve": True}
