"""Load the administrative units and the other reference layers.

Every loader returns a GeoDataFrame in WGS84 with the project's column
names, whatever the source file calls them; the names of the 2020 units are
the GSO list's (``admin_units_2020.csv``: "Huyện Ia H' Drai", not the
boundary file's "Ia H'Drai"), one canonical name per unit — the variants
are matched as aliases by :mod:`geo.units.names`:

communes (level ``commune``)
    ``gso_code`` (5-digit GSO code, str), ``name`` (with its prefix, e.g.
    "Xã Đắk Blô"), ``unit_type`` (Xã / Phường / Thị trấn), ``district_code``,
    ``district_name``, ``province_code``, ``area_km2`` (computed in UTM 48N),
    ``quality_flag``, ``geom_method``, ``code_2025``, ``name_2025``.
districts (level ``district``)
    ``gso_code`` (3 digits), ``name``, ``unit_type`` (Thành phố / Huyện),
    ``province_code``, ``n_communes``, ``area_km2``.
communes of 1 July 2025 (level ``commune_2025``)
    ``gso_code`` (the real 5-digit GSO code, e.g. 23293 Phường Kon Tum),
    ``name``, ``province_code`` (51, Quảng Ngãi), ``member_gso_codes_2020``,
    ``n_members``, ``area_km2``.

The levels themselves (code widths, names, parents) are in
:mod:`geo.units.levels`; ``code_2025`` / ``name_2025`` of a 2020 commune come
from the same crosswalk file as the 2025 layer's codes.

Example
-------
>>> communes = load_communes()
>>> len(communes), communes.crs.to_epsg()
(102, 4326)
"""

from __future__ import annotations

import geopandas as gpd
import pandas as pd

from geo import cache, paths
from geo.crs import METRIC, WGS84
from geo.units import levels

#: The levels with polygons (:func:`geo.units.levels.polygon_names`): what :func:`load_units` loads.
LEVELS = levels.polygon_names()
#: The levels whose tables ``geo join`` / ``geo ingest`` and boundary uploads match today (by 2020
#: codes and names); the 2025 level joins them with name matching at that level.
MATCHED_LEVELS = ("commune", "district")
#: The boundaries read, per version of their source files (see :func:`_source_version`).
BOUNDARIES = cache.partition("boundaries", max_bytes=256 * cache.MiB)
_SOURCES = {"communes": "kontum_communes_2020.geojson", "districts": "kontum_districts_2020.geojson"}


def _source_version(level: str) -> cache.Version:
    """The version of the boundary file of ``level`` and the admin list (data folder, mtimes, sizes)."""
    parts = [
        cache.file_version(paths.boundaries_dir() / _SOURCES[level]).token,
        cache.file_version(paths.facts_dir() / "admin_units_2020.csv").token,
    ]
    return cache.Version(f"{paths.data_dir()}:{level}", "|".join(parts))


def _read(name: str) -> gpd.GeoDataFrame:
    gdf = gpd.read_file(paths.boundaries_dir() / name)
    if gdf.crs is None:
        raise ValueError(f"{name}: no CRS declared")
    return gdf.to_crs(WGS84)


def area_km2(gdf: gpd.GeoDataFrame) -> pd.Series:
    """Area of each geometry in km², measured in UTM 48N."""
    return (gdf.geometry.to_crs(METRIC).area / 1e6).round(3)


def _communes() -> gpd.GeoDataFrame:
    src = _read(_SOURCES["communes"])
    admin = pd.read_csv(paths.facts_dir() / "admin_units_2020.csv", dtype=str)
    admin = admin.set_index("gso_commune_code")
    codes = src["gso_commune_code"].astype(str)
    out = gpd.GeoDataFrame(
        {
            "gso_code": codes,
            "name": _canonical(codes, admin["commune_name"], src["commune_name"]),
            "unit_type": src["commune_type"],
            "district_code": src["gso_district_code"].astype(str),
            "district_name": _canonical(codes, admin["district_name"], src["district_name"]),
            "province_code": src["gso_province_code"].astype(str),
            "quality_flag": src["quality_flag"],
            "geom_method": src["geom_method"],
        },
        geometry=src.geometry,
        crs=WGS84,
    )
    out["area_km2"] = area_km2(out)
    mapping = levels.read_mapping().set_index("old_commune_code")
    out["code_2025"] = out["gso_code"].map(mapping["new_commune_code"])
    out["name_2025"] = out["gso_code"].map(mapping["new_commune_name"])
    return out.sort_values("gso_code").reset_index(drop=True)


def _canonical(codes: pd.Series, gso: pd.Series, given: pd.Series) -> pd.Series:
    """The GSO list's name of each code (``gso``, indexed by code), else the boundary file's."""
    return codes.map(gso).fillna(given).astype(given.dtype)


def load_communes() -> gpd.GeoDataFrame:
    """The 102 communes, wards and towns of Kon Tum (2020 GSO list)."""
    return BOUNDARIES.get_or_make(_source_version("communes"), "communes", _communes).copy()


def _districts() -> gpd.GeoDataFrame:
    src = _read(_SOURCES["districts"])
    admin = pd.read_csv(paths.facts_dir() / "admin_units_2020.csv", dtype=str)
    by_code = admin.drop_duplicates("gso_district_code").set_index("gso_district_code")
    dtype = by_code["district_type"]
    codes = src["gso_district_code"].astype(str)
    out = gpd.GeoDataFrame(
        {
            "gso_code": codes,
            "name": _canonical(codes, by_code["district_name"], src["district_name"]),
            "unit_type": src["gso_district_code"].astype(str).map(dtype),
            "province_code": src["gso_province_code"].astype(str),
            "n_communes": src["n_communes"].astype(int),
        },
        geometry=src.geometry,
        crs=WGS84,
    )
    out["area_km2"] = area_km2(out)
    return out.sort_values("gso_code").reset_index(drop=True)


def load_districts() -> gpd.GeoDataFrame:
    """The 10 districts (dissolved from the communes, so they nest exactly)."""
    return BOUNDARIES.get_or_make(_source_version("districts"), "districts", _districts).copy()


def load_units(level: str) -> gpd.GeoDataFrame:
    """The units of a polygon level by name (``commune``, ``district``, ``commune_2025``).

    >>> len(load_units("commune_2025")), len(load_units("district"))
    (40, 10)
    """
    lv = levels.REGISTRY.get(level)
    if lv is None or not lv.layer:
        raise ValueError(f"unknown level {level!r}; expected one of {', '.join(LEVELS)}")
    return globals()[lv.loader]()


def load_border() -> gpd.GeoDataFrame:
    """The international border lines along Kon Tum: ``country`` LAO / KHM."""
    src = _read("international_border.geojson")
    names = {"LAO": ("Lào", "Laos"), "KHM": ("Campuchia", "Cambodia")}
    out = gpd.GeoDataFrame(
        {
            "country": src["neighbour"],
            "name_vi": src["neighbour"].map(lambda c: "Biên giới Việt Nam – " + names[c][0]),
            "name_en": src["neighbour"].map(lambda c: "Vietnam – " + names[c][1] + " border"),
        },
        geometry=src.geometry,
        crs=WGS84,
    )
    out["length_km"] = (out.geometry.to_crs(METRIC).length / 1000).round(2)
    return out


def load_roads() -> gpd.GeoDataFrame:
    """Main national and provincial roads (names in ``name``)."""
    src = _read("roads_main.geojson")
    out = gpd.GeoDataFrame(
        {
            "road_id": src["map_id"].astype(str),
            "code": src["ma"],
            "name": src["ten"],
            "road_type": src["loai_duong"],
            "road_class": src["cap_duong"],
        },
        geometry=src.geometry,
        crs=WGS84,
    )
    out["length_km"] = (out.geometry.to_crs(METRIC).length / 1000).round(2)
    return out


def load_communes_2025() -> gpd.GeoDataFrame:
    """The 40 communes of 1 July 2025 (Quảng Ngãi) covering former Kon Tum, with their real GSO codes.

    The source polygons carry only source ids ("22.453"); the code and name
    come from the crosswalk (the 2025 commune of the polygon's first member).

    >>> c = load_communes_2025().set_index("gso_code")
    >>> c.loc["23293", "name"], c.loc["23344", "name"], c.loc["23473", "name"]
    ('Phường Kon Tum', 'Xã Đăk Plô', 'Xã Măng Đen')
    """
    src = _read("kontum_communes_2025_official.geojson")
    mapping = levels.read_mapping()
    members = src["member_gso_codes_2020"].astype(str)
    first = members.str.split(",").str[0]
    by_old = mapping.set_index("old_commune_code")
    out = gpd.GeoDataFrame(
        {
            "gso_code": first.map(by_old["new_commune_code"]),
            "name": first.map(by_old["new_commune_name"]),
            "province_code": "51",
            "member_gso_codes_2020": members,
            "n_members": src["n_members"].astype(int),
        },
        geometry=src.geometry,
        crs=WGS84,
    )
    out["area_km2"] = area_km2(out)
    return out.sort_values("gso_code").reset_index(drop=True)
