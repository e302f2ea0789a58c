"""The change of one indicator between two years, under one poverty standard.

A change map compares the same indicator at the same level in two years.  The
two years must be measured by the same poverty standard (a poverty rate under
the 2016–2020 multidimensional standard and one under the 2022–2025 standard
measure different things): :func:`change` refuses a pair across standards with
a message naming both.  Classes are diverging and symmetric around zero
(:func:`diverging_breaks`), so "no change" is always the middle class.

Example
-------
>>> obs = pd.DataFrame({
...     "unit_level": "commune", "gso_code": ["1", "2", "1", "2"], "indicator": "poor_rate",
...     "year": [2016, 2016, 2020, 2020], "value": [40.0, 10.0, 25.0, 12.5], "qualifier": "=",
...     "status": ["synthetic", "official", "synthetic", "official"],
...     "standard": "2016-2020 multidimensional (QĐ 59/2015/QĐ-TTg)", "period": "", "source": "", "note": ""})
>>> c = change(obs, "poor_rate", "commune", 2016, 2020)
>>> c.table[["gso_code", "value_from", "value_to", "change", "synthetic"]].values.tolist()
[['1', 40.0, 25.0, -15.0, True], ['2', 10.0, 12.5, 2.5, False]]
>>> c.standard
'2016-2020 multidimensional (QĐ 59/2015/QĐ-TTg)'
>>> diverging_breaks([-15.0, 2.5])
[-9.0, -3.0, 3.0, 9.0, 15.0]
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass

import pandas as pd

from geo.indicators import values as indicators
from geo.messages import Message


class ChangeError(ValueError):
    """A pair of years that cannot be compared (``standards``: the two standards, when that is why)."""

    def __init__(self, message: Message, standards: tuple[str, str] | None = None) -> None:
        super().__init__(message)
        self.standards = standards


@dataclass
class Change:
    """The values of two years and their difference, one row per unit of either year.

    ``table`` columns: ``gso_code``, ``value_from``, ``value_to``, ``change`` (``to − from``;
    missing where a year lacks the unit), ``status_from``, ``status_to``, ``synthetic``
    (either value is synthetic).
    """

    indicator: str
    level: str
    year_from: int
    year_to: int
    standard: str | None
    table: pd.DataFrame


def _year_values(obs: pd.DataFrame, indicator: str, level: str, year: int) -> tuple[pd.DataFrame, str | None]:
    rows = indicators.values(obs, indicator, level, year)
    if rows.empty:
        have = ", ".join(str(y) for y in indicators.years(obs, indicator, level)) or "–"
        raise ChangeError(Message("error.change.no_year", indicator=indicator, level=level, year=year, years=have))
    found = indicators.standards_of(rows)
    if len(found) > 1:
        raise ChangeError(
            Message("error.change.mixed", indicator=indicator, year=year, standards=" / ".join(found)),
            (found[0], found[1]),
        )
    return rows, (found[0] if found else None)


def change(obs: pd.DataFrame, indicator: str, level: str, year_from: int, year_to: int) -> Change:
    """The change of ``indicator`` at ``level`` from ``year_from`` to ``year_to``.

    :class:`ChangeError` when the years are the same, when a year has no value, or when
    the two years are measured by two poverty standards (the message names both).
    """
    if year_from == year_to:
        raise ChangeError(Message("error.change.same_year", year=year_from))
    a, std_a = _year_values(obs, indicator, level, year_from)
    b, std_b = _year_values(obs, indicator, level, year_to)
    if (std_a or "") != (std_b or ""):
        raise ChangeError(
            Message(
                "error.change.standards",
                indicator=indicator,
                year_from=year_from,
                standard_from=std_a or "–",
                year_to=year_to,
                standard_to=std_b or "–",
            ),
            (std_a or "", std_b or ""),
        )
    keep = ["gso_code", "value", "status"]
    table = pd.merge(
        a[keep].rename(columns={"value": "value_from", "status": "status_from"}),
        b[keep].rename(columns={"value": "value_to", "status": "status_to"}),
        on="gso_code",
        how="outer",
    ).sort_values("gso_code", ignore_index=True)
    table["value_from"] = table["value_from"].astype(float)
    table["value_to"] = table["value_to"].astype(float)
    table["change"] = table["value_to"] - table["value_from"]
    table["synthetic"] = (table["status_from"] == "synthetic") | (table["status_to"] == "synthetic")
    return Change(indicator, level, year_from, year_to, std_a, table)


def _nice_ceiling(x: float) -> float:
    """``x`` rounded up to 1, 1.5, 2, 2.5, 3, 4, 5, 6, 7.5 or 10 times a power of ten.

    >>> _nice_ceiling(14.2), _nice_ceiling(0.31), _nice_ceiling(0)
    (15.0, 0.4, 1.0)
    """
    if not x > 0:
        return 1.0
    power = 10 ** math.floor(math.log10(x))
    for step in (1, 1.5, 2, 2.5, 3, 4, 5, 6, 7.5, 10):
        if x <= step * power * (1 + 1e-12):
            return float(round(step * power, 10))
    return float(10 * power)  # pragma: no cover - the loop ends at 10


def diverging_breaks(changes: Iterable[float | None], k: int = 5) -> list[float]:
    """Upper bounds of ``k`` (odd) classes symmetric around 0, the largest change inside the last.

    The middle class is "about no change" (± a fifth of the largest change for ``k=5``).

    >>> diverging_breaks([-0.5, 3.2, None]), diverging_breaks([0.0], k=3)
    ([-2.4, -0.8, 0.8, 2.4, 4.0], [-0.333333, 0.333333, 1.0])
    """
    if k < 3 or k % 2 == 0:
        raise ValueError(f"k must be odd and at least 3, got {k}")
    present = [abs(float(c)) for c in changes if c is not None and not math.isnan(float(c))]
    top = _nice_ceiling(max(present, default=0.0))
    width = 2 * top / k
    return [round(-top + width * (i + 1), 6) for i in range(k)]
