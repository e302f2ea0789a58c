"""Pick indicator values out of the long observations table.

The observations table holds every value with its unit level, GSO code,
indicator, year, qualifier, standard, status and source.  A map layer or a
query needs *one* value per unit: :func:`values` picks it.

Rules, in order:

* rows whose ``note`` starts with ``alternative:`` are kept for reference
  only and never picked;
* only exact or approximate values (qualifier ``=`` or ``~``) are picked: a
  bound such as ">58" is shown in popups but never drawn as a value;
* if several rows remain for a unit, the best status wins:
  official > reported > derived > synthetic.

Example
-------
>>> import pandas as pd
>>> obs = pd.DataFrame({"unit_level": ["commune"] * 3, "gso_code": ["1", "1", "2"],
...     "indicator": ["poor_rate"] * 3, "year": [2020] * 3, "qualifier": ["=", "=", ">"],
...     "value": [12.0, 15.0, 40.0], "standard": [""] * 3,
...     "status": ["synthetic", "official", "reported"], "source": ["s"] * 3, "note": [""] * 3})
>>> values(obs, "poor_rate", "commune", 2020)[["gso_code", "value", "status"]].values.tolist()
[['1', 15.0, 'official']]
"""

from __future__ import annotations

import pandas as pd

STATUS_RANK = {"official": 0, "reported": 1, "derived": 2, "synthetic": 3}
PICKABLE = ("=", "~")


def usable(obs: pd.DataFrame) -> pd.DataFrame:
    """Rows that may stand for a unit's value (no alternatives, no bounds)."""
    note = obs["note"].fillna("").astype(str)
    return obs[~note.str.startswith("alternative:") & obs["qualifier"].isin(PICKABLE)]


def values(
    obs: pd.DataFrame,
    indicator: str,
    level: str = "commune",
    year: int | None = None,
    standard: str | None = None,
) -> pd.DataFrame:
    """One row per unit: the best value of ``indicator`` for ``year``.

    With ``year=None`` the latest year of each unit is taken.
    """
    rows = usable(obs)
    rows = rows[(rows["indicator"] == indicator) & (rows["unit_level"] == level)]
    if standard:
        rows = rows[rows["standard"] == standard]
    if year is not None:
        rows = rows[rows["year"] == year]
    rows = rows.assign(_rank=rows["status"].map(STATUS_RANK).fillna(9))
    rows = rows.sort_values(["gso_code", "year", "_rank"], ascending=[True, False, True], na_position="last")
    return rows.drop_duplicates("gso_code").drop(columns="_rank").reset_index(drop=True)


def series(obs: pd.DataFrame, indicator: str, level: str, gso_code: str) -> pd.DataFrame:
    """A unit's values of ``indicator`` over the years (best status per year)."""
    rows = usable(obs)
    rows = rows[
        (rows["indicator"] == indicator)
        & (rows["unit_level"] == level)
        & (rows["gso_code"] == gso_code)
        & rows["year"].notna()
    ]
    rows = rows.assign(_rank=rows["status"].map(STATUS_RANK).fillna(9))
    rows = rows.sort_values(["year", "_rank"]).drop_duplicates("year")
    return rows.drop(columns="_rank").reset_index(drop=True)


def years(obs: pd.DataFrame, indicator: str, level: str = "commune") -> list[int]:
    """The years for which ``indicator`` has values at ``level``."""
    rows = usable(obs)
    rows = rows[(rows["indicator"] == indicator) & (rows["unit_level"] == level)]
    return sorted(int(y) for y in rows["year"].dropna().unique())
