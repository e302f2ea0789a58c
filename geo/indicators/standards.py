"""Poverty standards: a dimension of every poverty value, like its year.

Vietnam's poverty standards are not comparable with each other: a rate under
the 2011–2015 income standard, one under the 2016–2020 multidimensional
standard and one under the 2022–2025 standard measure different things.  A
value's ``standard`` (the ``standard`` column of the observations, worded as
in :data:`STANDARDS`' ``label``) therefore travels with it everywhere, and
nothing — a popup, a ranking, a chart line, a column — combines two.

Each standard has the review years it is *the* standard of (``years``): the
poverty review at the end of year Y is made under exactly one standard, so a
year alone names its standard (:func:`of_year`).  ``also`` lists years where
the standard still appears beside the new one (e.g. the 2021 new-rural
assessments still used the 2016–2020 standard, Báo cáo 112-BC/TU fn 29).  A
year and a standard *agree* (:func:`agrees`) when the year is one of the two.

=============  ============================================  ===========  ===========
key            label (as in the data)                        years        legal basis
=============  ============================================  ===========  ===========
``2011-2015``  2011-2015 income                              2010–2014    QĐ 09/2011/QĐ-TTg
``2016-2020``  2016-2020 multidimensional (QĐ 59/2015/QĐ-TTg) 2015–2020   QĐ 59/2015/QĐ-TTg
``2022-2025``  2022-2025 (NĐ 07/2021/NĐ-CP)                  2021–2026    NĐ 07/2021/NĐ-CP
=============  ============================================  ===========  ===========

(The end-2015 review was the first under QĐ 59/2015 — the baseline of
2016–2020 — and the 2021 review the first under NĐ 07/2021, the baseline of
2022–2025; NĐ 07/2021 is applied through 2026.)

Example
-------
>>> of_year(2020).key, of_year(2021).key, of_year(2013).key
('2016-2020', '2022-2025', '2011-2015')
>>> resolve("2022-2025").label
'2022-2025 (NĐ 07/2021/NĐ-CP)'
>>> short("2011-2015 income", "vi"), short("2011-2015 income", "en")
('Thu nhập 2011–2015', 'Income 2011–2015')
>>> agrees("2016-2020 multidimensional (QĐ 59/2015/QĐ-TTg)", 2022)
False
"""

from __future__ import annotations

from dataclasses import dataclass


class StandardError(ValueError):
    """An unknown standard, a year that does not agree with it, or two standards mixed."""


@dataclass(frozen=True)
class Standard:
    """One poverty standard (see the module table)."""

    key: str
    label: str
    short_vi: str
    short_en: str
    first: int
    last: int
    legal: str
    also: tuple[int, ...] = ()

    @property
    def years(self) -> range:
        """The review years this standard is the standard of."""
        return range(self.first, self.last + 1)

    def short(self, lang: str = "vi") -> str:
        """The short label people read ("Đa chiều 2016–2020" / "Multidimensional 2016–2020")."""
        return self.short_en if lang == "en" else self.short_vi

    def long(self, lang: str = "vi") -> str:
        """The short label with its legal basis: "Đa chiều 2016–2020 (QĐ 59/2015/QĐ-TTg)"."""
        return f"{self.short(lang)} ({self.legal})"

    @property
    def suffix(self) -> str:
        """Part of a column name: ``2016_2020``."""
        return self.key.replace("-", "_")


STANDARDS: tuple[Standard, ...] = (
    Standard(
        "2011-2015",
        "2011-2015 income",
        "Thu nhập 2011–2015",
        "Income 2011–2015",
        2010,
        2014,
        "QĐ 09/2011/QĐ-TTg",
    ),
    Standard(
        "2016-2020",
        "2016-2020 multidimensional (QĐ 59/2015/QĐ-TTg)",
        "Đa chiều 2016–2020",
        "Multidimensional 2016–2020",
        2015,
        2020,
        "QĐ 59/2015/QĐ-TTg",
        also=(2021,),
    ),
    Standard(
        "2022-2025",
        "2022-2025 (NĐ 07/2021/NĐ-CP)",
        "Đa chiều 2022–2025",
        "Multidimensional 2022–2025",
        2021,
        2026,
        "NĐ 07/2021/NĐ-CP",
    ),
)
_BY_LABEL = {s.label: s for s in STANDARDS}
_BY_KEY = {s.key: s for s in STANDARDS}


def _norm(text: str) -> str:
    return str(text).strip().replace("–", "-").replace(" ", "").lower()


def by_label(label: object) -> Standard | None:
    """The standard worded ``label`` in the data (None for "" or an unknown label).

    >>> by_label("2022-2025 (NĐ 07/2021/NĐ-CP)").key, by_label(""), by_label(None)
    ('2022-2025', None, None)
    """
    if label is None or not isinstance(label, str):
        return None
    return _BY_LABEL.get(label.strip())


def resolve(text: str) -> Standard:
    """The standard a person names: its key ("2016-2020"), its label or a short label.

    >>> resolve("2016–2020").key
    '2016-2020'
    >>> resolve("2030")
    Traceback (most recent call last):
    ...
    geo.indicators.standards.StandardError: unknown poverty standard '2030'; expected one of: 2011-2015, 2016-2020, 2022-2025
    """
    want = _norm(text)
    for s in STANDARDS:
        if want in (_norm(s.key), _norm(s.label), _norm(s.short_vi), _norm(s.short_en)):
            return s
    raise StandardError(f"unknown poverty standard {text!r}; expected one of: {', '.join(_BY_KEY)}")


def of_year(year: int | None) -> Standard | None:
    """The standard of the poverty review of ``year`` (None outside every standard)."""
    if year is None:
        return None
    return next((s for s in STANDARDS if s.first <= int(year) <= s.last), None)


def agrees(standard: str | Standard, year: int) -> bool:
    """Whether ``year``'s figures may be by ``standard`` (a label or a :class:`Standard`)."""
    s = standard if isinstance(standard, Standard) else by_label(standard) or resolve(standard)
    return s.first <= int(year) <= s.last or int(year) in s.also


def short(label: object, lang: str = "vi") -> str:
    """The short label of ``label`` in ``lang``; an unknown label is returned as it is."""
    s = by_label(label)
    if s is not None:
        return s.short(lang)
    return "" if label is None or (isinstance(label, float) and label != label) else str(label)


def long(label: object, lang: str = "vi") -> str:
    """The short label and legal basis of ``label`` in ``lang``; an unknown label as it is.

    >>> long("2022-2025 (NĐ 07/2021/NĐ-CP)", "en")
    'Multidimensional 2022–2025 (NĐ 07/2021/NĐ-CP)'
    """
    s = by_label(label)
    return s.long(lang) if s is not None else short(label, lang)


def check_agrees(standard: Standard, year: int) -> None:
    """Raise :class:`StandardError` when ``year`` does not agree with ``standard``.

    >>> check_agrees(resolve("2022-2025"), 2020)
    Traceback (most recent call last):
    ...
    geo.indicators.standards.StandardError: year 2020 does not agree with the poverty standard 2022-2025 (NĐ 07/2021/NĐ-CP): its figures are for 2021–2026; 2020 is a year of 2016-2020 (QĐ 59/2015/QĐ-TTg)
    """
    if agrees(standard, year):
        return
    other = of_year(year)
    hint = f"; {year} is a year of {other.key} ({other.legal})" if other else ""
    raise StandardError(
        f"year {year} does not agree with the poverty standard {standard.key} ({standard.legal}): "
        f"its figures are for {standard.first}–{standard.last}{hint}"
    )
