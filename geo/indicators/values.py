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

from geo.indicators import standards

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
    # The indicator and level first: masking the whole table (every column) once per
    # filter was most of an uncached /targets answer.
    rows = usable(obs[(obs["indicator"] == indicator) & (obs["unit_level"] == level)])
    if standard:
        rows = rows[rows["standard"] == standard]
    if year is not None:
        rows = rows[rows["year"] == year]
    rows = rows.assign(_rank=rows["status"].map(STATUS_RANK).fillna(9))
    rows = rows.sort_values(["gso_code", "year", "_rank"], ascending=[True, False, True], na_position="last")
    return rows.drop_duplicates("gso_code").drop(columns="_rank").reset_index(drop=True)


def series(obs: pd.DataFrame, indicator: str, level: str, gso_code: str) -> pd.DataFrame:
    """A unit's values of ``indicator`` over the years (best status per year)."""
    rows = usable(
        obs[
            (obs["indicator"] == indicator)
            & (obs["unit_level"] == level)
            & (obs["gso_code"] == gso_code)
            & obs["year"].notna()
        ]
    )
    rows = rows.assign(_rank=rows["status"].map(STATUS_RANK).fillna(9))
    rows = rows.sort_values(["year", "_rank"]).drop_duplicates("year")
    return rows.drop(columns="_rank").reset_index(drop=True)


def years(obs: pd.DataFrame, indicator: str, level: str = "commune") -> list[int]:
    """The years for which ``indicator`` has values at ``level``."""
    rows = usable(obs[(obs["indicator"] == indicator) & (obs["unit_level"] == level)])
    return sorted(int(y) for y in rows["year"].dropna().unique())


# ------------------------------------------------------------------ standards
#
# The poverty standard is a dimension like the year (geo.indicators.standards): the
# helpers below pick a (year, standard) for an indicator — the same at every level —
# and check that a set of values holds one standard only.


def _label(value: object) -> str:
    return value.strip() if isinstance(value, str) else ""


def standards_of(rows: pd.DataFrame) -> list[str]:
    """The distinct non-empty standards of ``rows`` (sorted)."""
    if "standard" not in rows or rows.empty:
        return []
    return sorted({_label(s) for s in rows["standard"]} - {""})


def has_standard(obs: pd.DataFrame, indicator: str) -> bool:
    """Whether ``indicator``'s values carry a poverty standard (a poverty value)."""
    rows = obs[obs["indicator"] == indicator]
    return bool(standards_of(rows))


def one_standard(rows: pd.DataFrame, what: str = "these values") -> str | None:
    """The one standard of ``rows`` (None when they carry none); :class:`StandardError`
    naming both when they mix two — what ``geo check`` and every picker call.

    >>> rows = pd.DataFrame({"standard": ["2011-2015 income", "2022-2025 (NĐ 07/2021/NĐ-CP)"]})
    >>> one_standard(rows.iloc[:1]), one_standard(rows.iloc[:0])
    ('2011-2015 income', None)
    >>> one_standard(rows, "poor_rate")
    Traceback (most recent call last):
    ...
    geo.indicators.standards.StandardError: poor_rate mixes two poverty standards, 2011-2015 income and 2022-2025 (NĐ 07/2021/NĐ-CP), which are not comparable
    """
    found = standards_of(rows)
    if len(found) > 1:
        raise standards.StandardError(
            f"{what} mixes two poverty standards, {' and '.join(found)}, which are not comparable"
        )
    return found[0] if found else None


def _best_year(rows: pd.DataFrame) -> int | None:
    """The year in which the most units of the most detailed level (the level with the
    most units having a value, whichever is asked) have a value; the latest among equals."""
    rows = rows[rows["year"].notna()]
    if rows.empty:
        return None
    units = rows.groupby("unit_level")["gso_code"].nunique()
    finest = max(units.index, key=lambda lev: (units[lev], str(lev)))
    rows = rows[rows["unit_level"] == finest]
    counts = rows.groupby(rows["year"].astype(int))["gso_code"].nunique()
    return int(max(counts.index, key=lambda y: (counts[y], y)))


def period(
    obs: pd.DataFrame, indicator: str, year: int | None = None, standard: str | None = None
) -> tuple[int | None, str | None]:
    """The ``(year, standard label)`` to use for ``indicator``: the same at every level.

    * ``standard`` (a key such as ``"2016-2020"``, or a label) and ``year`` must agree
      (:func:`geo.indicators.standards.agrees`), else :class:`StandardError`;
    * a ``year`` alone takes the standard of that year's review;
    * a ``standard`` alone takes its year with the most units having a value at the
      indicator's most detailed level (the latest among equals);
    * neither: that best-covered year among the values made under their year's own
      standard, and that year's standard.

    An indicator without standards gets ``standard`` None (a given ``standard`` does
    not apply to it) and, without ``year``, its best-covered year.

    >>> obs = pd.DataFrame({"unit_level": ["commune", "commune", "district"], "gso_code": ["1", "2", "9"],
    ...     "indicator": "poor_rate", "year": [2020, 2020, 2021], "qualifier": "=", "value": [1.0, 2.0, 3.0],
    ...     "standard": ["2016-2020 multidimensional (QĐ 59/2015/QĐ-TTg)"] * 2 + ["2022-2025 (NĐ 07/2021/NĐ-CP)"],
    ...     "status": "official", "source": "s", "note": ""})
    >>> period(obs, "poor_rate")
    (2020, '2016-2020 multidimensional (QĐ 59/2015/QĐ-TTg)')
    >>> period(obs, "poor_rate", standard="2022-2025")
    (2021, '2022-2025 (NĐ 07/2021/NĐ-CP)')
    """
    rows = usable(obs[obs["indicator"] == indicator])
    if not standards_of(rows):
        return (int(year) if year is not None else _best_year(rows)), None
    if standard:
        std = standards.resolve(standard)
        if year is not None:
            standards.check_agrees(std, int(year))
            return int(year), std.label
        return _best_year(rows[rows["standard"] == std.label]), std.label
    if year is not None:
        std = standards.of_year(int(year))
        if std is None:
            have = standards_of(rows[rows["year"] == int(year)])
            return int(year), (have[0] if len(have) == 1 else None)
        return int(year), std.label
    own = rows[
        [_label(s) == getattr(standards.of_year(y), "label", None) for s, y in zip(rows["standard"], rows["year"])]
    ]
    if own.empty:  # standards the registry does not know: the best-covered year and its one standard
        best = _best_year(rows)
        found = standards_of(rows[rows["year"] == best])
        return best, (found[0] if found else None)
    best = _best_year(own)
    return best, standards.of_year(best).label


def coverage(obs: pd.DataFrame, indicator: str, level: str) -> str:
    """The years and standards ``indicator`` has at ``level``, for people: "2015–2020
    (2016-2020), 2021–2022 (2022-2025)"."""
    rows = usable(obs)
    rows = rows[(rows["indicator"] == indicator) & (rows["unit_level"] == level) & rows["year"].notna()]
    parts = []
    for label, group in rows.groupby(rows["standard"].map(_label), sort=False):
        yrs = sorted({int(y) for y in group["year"]})
        std = standards.by_label(label)
        text = _spans(yrs)
        parts.append((yrs[0], f"{text} ({std.key if std else label or 'no standard'})"))
    return ", ".join(p for _, p in sorted(parts)) or "none"


def _spans(years: list[int]) -> str:
    """``[2015, 2016, 2017, 2019]`` → ``"2015–2017, 2019"``."""
    out, start = [], None
    for i, y in enumerate(years):
        if start is None:
            start = y
        if i + 1 == len(years) or years[i + 1] != y + 1:
            out.append(str(start) if start == y else f"{start}–{y}")
            start = None
    return ", ".join(out)


def standard_problems(obs: pd.DataFrame, catalogue: pd.DataFrame | None = None) -> list[str]:
    """Where the observations break the standards' rules (empty: none) — for ``geo check``.

    Every standard is one of :data:`geo.indicators.standards.STANDARDS`; a value's
    year agrees with its standard; a poverty indicator (a standard in the catalogue,
    or on any of its rows) has no value without a standard.
    """
    problems: list[str] = []
    prim = obs[~obs["note"].fillna("").astype(str).str.startswith("alternative:")]
    labels = prim["standard"].map(_label)
    unknown = sorted(set(labels) - {""} - {s.label for s in standards.STANDARDS})
    if unknown:
        problems.append(f"unknown poverty standards: {unknown}")
    bad = [
        (r.indicator, r.unit_level, r.gso_code, int(r.year), lab)
        for r, lab in zip(prim.itertuples(), labels)
        if lab and standards.by_label(lab) and pd.notna(r.year) and not standards.agrees(lab, int(r.year))
    ]
    if bad:
        problems.append(f"{len(bad)} values whose year does not agree with their standard, e.g. {bad[:3]}")
    poverty = set(prim.loc[labels != "", "indicator"])
    if catalogue is not None and "standard" in catalogue:
        cat = catalogue.set_index("id") if "id" in catalogue.columns else catalogue
        poverty |= {str(i) for i, s in cat["standard"].items() if _label(s)}
    lacking = prim[prim["indicator"].isin(poverty) & (labels == "")]
    if not lacking.empty:
        ids = sorted(set(lacking["indicator"]))
        problems.append(f"{len(lacking)} poverty values without a standard ({', '.join(ids[:5])})")
    return problems
