"""Which communes lie on the international border (computed from geometry).

The border lines are the province outline minus the parts shared with
Vietnamese provinces, so a border commune's outer edge runs along them.
A commune is a border commune when it lies within ``tol_m`` metres of a
border line *and* shares at least ``min_shared_km`` of its boundary with it
(so a commune that only touches a tri-junction point does not count).

Example
-------
>>> from geo.units import boundaries as units
>>> flagged = flag_border_communes(units.load_communes(), units.load_border())
>>> int(flagged["on_border"].sum())
13
"""

from __future__ import annotations

import geopandas as gpd
import pandas as pd

from geo.crs import METRIC

DEFAULT_TOL_M = 50.0
MIN_SHARED_KM = 0.5


def flag_border_communes(
    units: gpd.GeoDataFrame,
    border: gpd.GeoDataFrame,
    tol_m: float = DEFAULT_TOL_M,
    min_shared_km: float = MIN_SHARED_KM,
) -> gpd.GeoDataFrame:
    """Return ``units`` with ``on_border``, ``border_countries`` and ``border_km``.

    ``border_countries`` lists the neighbouring countries' ISO codes
    (``LAO``, ``KHM``, or ``LAO;KHM``); ``border_km`` is the length of the
    unit's boundary running along the border, in km (UTM 48N).
    """
    metric = units.geometry.to_crs(METRIC)
    outline = metric.boundary
    lines = border.to_crs(METRIC)
    shared = pd.DataFrame(index=units.index)
    for country, line in zip(lines["country"], lines.geometry):
        zone = line.buffer(tol_m)
        shared[country] = outline.intersection(zone).length / 1000.0
    out = units.copy()
    touching = shared >= min_shared_km
    out["border_km"] = shared.where(touching, 0.0).sum(axis=1).round(2)
    out["on_border"] = touching.any(axis=1)
    out["border_countries"] = touching.apply(lambda row: ";".join(sorted(c for c, hit in row.items() if hit)), axis=1)
    return out


#: Observation indicators holding the published frontier lengths (province 62), per border line.
OFFICIAL_INDICATORS = {"LAO": "frontier_length_lao_km", "KHM": "frontier_length_khm_km"}
OFFICIAL_TOTAL = "frontier_length_km"


def official_lengths(obs: pd.DataFrame) -> tuple[dict[str, float], str]:
    """The published frontier lengths (km) from the observations table, by country and ``"total"``,
    with their source.

    >>> obs = pd.DataFrame({"indicator": ["frontier_length_km", "frontier_length_lao_km"],
    ...     "unit_level": ["province"] * 2, "value": [292.5, 154.2], "source": ["s", "s"]})
    >>> official_lengths(obs)
    ({'LAO': 154.2, 'total': 292.5}, 's')
    """
    wanted = {**OFFICIAL_INDICATORS, "total": OFFICIAL_TOTAL}
    rows = obs[(obs["unit_level"] == "province") & obs["indicator"].isin(wanted.values())]
    by_indicator = dict(zip(rows["indicator"], pd.to_numeric(rows["value"], errors="coerce")))
    out = {key: float(by_indicator[ind]) for key, ind in wanted.items() if ind in by_indicator}
    return out, "; ".join(dict.fromkeys(rows["source"].dropna().astype(str)))


def with_official_lengths(border: gpd.GeoDataFrame, official: dict[str, float], source: str) -> gpd.GeoDataFrame:
    """``border`` with the published length of each line beside the computed ``length_km``:
    ``official_length_km`` (NaN where none is published) and ``official_source``."""
    out = border.copy()
    out["official_length_km"] = out["country"].map(official).astype(float)
    out["official_source"] = source
    return out
