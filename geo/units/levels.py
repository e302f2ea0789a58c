"""The unit levels, in one place: what each is, how to load it, what it belongs to.

Every level a figure can be given at (the ``unit_level`` of the
observations table) is a :class:`Level` of :data:`REGISTRY`:

================  ======  =======  =============  ======================================
level             units   code     vintage        parent crosswalk
================  ======  =======  =============  ======================================
``commune``       102     5 digits 2020 (GSO)     ``district`` (``district_code``) and
                                                  ``commune_2025`` (``code_2025``)
``district``      10      3 digits 2020 (GSO)     ``province``
``commune_2025``  40      5 digits 1 July 2025    — (Quảng Ngãi; districts abolished)
``province``      1       2 digits 2020 (GSO 62)  —
================  ======  =======  =============  ======================================

A 2020 commune belongs to exactly one district and exactly one 2025 commune
(:func:`crosswalk`, from ``data/sources/facts/commune_mapping_2025_old_to_new.csv``,
checked against Nghị quyết 1677/NQ-UBTVQH15); figures are carried upwards only
(:mod:`geo.indicators.carry`), never split back onto the 2020 communes.  A new
level is one more entry here.

Example
-------
>>> [lv.name for lv in polygon_levels()]
['commune', 'district', 'commune_2025']
>>> get("commune_2025").code_width, get("commune_2025").vintage
(5, '2025-07-01')
>>> get("commune_2025").label("en")
'commune (from 1 July 2025)'
>>> get("ward")
Traceback (most recent call last):
...
ValueError: unknown level 'ward'; expected one of commune, district, commune_2025, province
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from geo import paths

#: The crosswalk file of the 2025 communes and its legal source.
MAPPING_FILE = "commune_mapping_2025_old_to_new.csv"
CROSSWALK_SOURCE = (
    "Nghị quyết 1677/NQ-UBTVQH15 (16/6/2025) về sắp xếp các đơn vị hành chính cấp xã của tỉnh Quảng Ngãi; "
    "crosswalk data/sources/facts/commune_mapping_2025_old_to_new.csv"
)


@dataclass(frozen=True)
class Level:
    """One unit level: its name (the ``unit_level`` string), layer, code width, names and parents."""

    name: str
    layer: str | None  # the GeoPackage layer of its polygons (None: no polygon layer of its own)
    code_width: int
    name_vi: str
    name_en: str
    vintage: str  # the administrative list it follows
    count: int  # units in the real data
    parents: tuple[str, ...] = ()  # levels its units belong to (figures are carried to them)
    parent_columns: tuple[str, ...] = ()  # the column of the units holding each parent's code
    loader: str = ""  # the function of geo.units.boundaries that loads it (load_units uses it)

    def label(self, lang: str = "vi") -> str:
        """The level's name in ``lang`` (vi / en)."""
        return self.name_en if lang == "en" else self.name_vi


REGISTRY: dict[str, Level] = {
    lv.name: lv
    for lv in (
        Level(
            "commune",
            "communes",
            5,
            "xã (2020)",
            "commune (2020)",
            "2020",
            102,
            parents=("district", "commune_2025"),
            parent_columns=("district_code", "code_2025"),
            loader="load_communes",
        ),
        Level(
            "district",
            "districts",
            3,
            "huyện (2020)",
            "district (2020)",
            "2020",
            10,
            parents=("province",),
            parent_columns=("province_code",),
            loader="load_districts",
        ),
        Level(
            "commune_2025",
            "communes_2025",
            5,
            "xã (từ 1/7/2025)",
            "commune (from 1 July 2025)",
            "2025-07-01",
            40,
            loader="load_communes_2025",
        ),
        Level("province", None, 2, "tỉnh", "province", "2020", 1),
    )
}
#: Every level name, in registry order.
NAMES: tuple[str, ...] = tuple(REGISTRY)


def get(name: str) -> Level:
    """The level called ``name``; ``ValueError`` naming the valid ones otherwise."""
    try:
        return REGISTRY[name]
    except KeyError:
        raise ValueError(f"unknown level {name!r}; expected one of {', '.join(NAMES)}") from None


def polygon_levels() -> list[Level]:
    """The levels with a polygon layer of their own (those a map, ranking or export can show)."""
    return [lv for lv in REGISTRY.values() if lv.layer]


def polygon_names() -> tuple[str, ...]:
    """Names of :func:`polygon_levels`: ``('commune', 'district', 'commune_2025')``."""
    return tuple(lv.name for lv in polygon_levels())


def by_layer(layer: str) -> Level | None:
    """The level whose polygons are the GeoPackage layer ``layer`` (None: not a unit layer).

    >>> by_layer("communes_2025").name, by_layer("roads")
    ('commune_2025', None)
    """
    return next((lv for lv in REGISTRY.values() if lv.layer == layer), None)


def read_mapping() -> pd.DataFrame:
    """The 102 → 40 crosswalk as in the facts file (one row per 2020 commune, codes as str)."""
    return pd.read_csv(paths.facts_dir() / MAPPING_FILE, dtype=str, keep_default_na=False)


def crosswalk() -> pd.Series:
    """2020 commune code → its 2025 commune code (102 entries, 40 distinct values).

    >>> cw = crosswalk()
    >>> len(cw), cw.nunique(), cw["23281"]
    (102, 40, '23293')
    """
    mapping = read_mapping()
    dup = mapping["old_commune_code"][mapping["old_commune_code"].duplicated()].tolist()
    if dup:
        raise ValueError(f"{MAPPING_FILE}: 2020 communes mapped twice: {dup}")
    return mapping.set_index("old_commune_code")["new_commune_code"].rename("code_2025")
