"""Allocation rules: one declarative TOML file per rule under ``rules/``.

A rule says how a province divides one programme envelope among units
(communes of 2020, communes of 2025 or districts): who is eligible, which
criteria give points, the per-unit minimum and maximum, and how amounts are
rounded so that they sum exactly to the envelope.  :func:`load_rule` reads
and checks a file into a frozen :class:`Rule`; every mistake raises
:class:`RuleError` naming the file and the field.  Every field is described
in ``docs/ALLOCATION.md``.

Example
-------
>>> rule = parse_rule({
...     "id": "demo", "name_vi": "Ví dụ", "name_en": "Example", "programme": "P",
...     "period": "2016-2020", "levels": ["commune_2020"], "status": "illustrative",
...     "note_vi": "minh họa",
...     "source": {"document": "D", "article": "A", "date": "2020-01-01", "address": ""},
...     "criteria": [{"id": "base", "kind": "base", "points": 1}],
...     "limits": {"min": 0}, "rounding": {"unit": 1}})
>>> rule.id, rule.levels, rule.criteria[0].kind, rule.years
('demo', ('commune_2020',), 'base', (2016, 2020))
>>> try:
...     parse_rule({"id": "x"}, "rules/x.toml")
... except RuleError as exc:
...     print(exc)
rules/x.toml: name_vi: missing (a text)
"""

from __future__ import annotations

import math
import re
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from geo import paths

RULES_DIR = paths.ROOT / "rules"
LEVELS = ("commune_2020", "commune_2025", "district")
STATUSES = ("official", "illustrative")
KINDS = ("per_unit", "bands", "base")
OPS = ("is", "==", "!=", ">", ">=", "<", "<=", "in", "not in")
SCOPES = ("unit", "district")
TIE_KEYS = ("score", "gso_code", "name")
TOP_FIELDS = {
    "id",
    "name_vi",
    "name_en",
    "programme",
    "period",
    "levels",
    "status",
    "note_vi",
    "note_en",
    "source",
    "eligibility",
    "criteria",
    "limits",
    "rounding",
    "per_household",
}
ILLUSTRATIVE_MARK = "minh họa"


class RuleError(ValueError):
    """A bad rule file or request: the message names the file (when known) and the field."""


@dataclass(frozen=True)
class Source:
    """The legal (or reporting) text a rule follows."""

    document: str
    article: str
    date: str
    address: str


@dataclass(frozen=True)
class Condition:
    """One eligibility condition: ``indicator`` (or unit ``attribute``) ``op`` ``value``."""

    field: str  # the indicator id or the unit attribute
    is_attribute: bool  # True: a column of the unit layer (on_border, district_code…)
    op: str
    value: Any
    scope: str  # "unit", or "district": the indicator of the unit's district
    label_vi: str
    label_en: str


@dataclass(frozen=True)
class Band:
    """Points for values in ``[min, max)`` (``max`` None: no upper end)."""

    min: float
    max: float | None
    points: float


@dataclass(frozen=True)
class Criterion:
    """One scoring criterion.

    ``per_unit``: ``coefficient`` points per unit of the indicator value;
    ``bands``: the points of the band the value falls in; ``base``: fixed
    ``points`` for every eligible unit.  ``standard``: the standard the
    values must be measured by (its years must contain the request year).
    """

    id: str
    kind: str
    indicator: str | None
    is_attribute: bool
    scope: str
    coefficient: float
    bands: tuple[Band, ...]
    points: float
    standard: str | None
    label_vi: str
    label_en: str


@dataclass(frozen=True)
class Rule:
    """A checked allocation rule (see ``docs/ALLOCATION.md`` for every field)."""

    id: str
    name_vi: str
    name_en: str
    programme: str
    period: str
    years: tuple[int, int]
    levels: tuple[str, ...]
    status: str
    note_vi: str
    note_en: str
    source: Source
    eligibility: tuple[Condition, ...]
    criteria: tuple[Criterion, ...]
    min: int
    max: int | None
    rounding_unit: int
    tie_break: tuple[str, ...]
    per_household: str | None
    path: str

    @property
    def illustrative(self) -> bool:
        return self.status == "illustrative"


class _Reader:
    """Typed access to a TOML table that names the file and field on error."""

    def __init__(self, where: str):
        self.where = where

    def fail(self, field: str, message: str) -> RuleError:
        prefix = f"{self.where}: " if self.where else ""
        return RuleError(f"{prefix}{field}: {message}")

    def text(self, table: dict, key: str, field: str, required: bool = True, default: str = "") -> str:
        if key not in table:
            if required:
                raise self.fail(field, "missing (a text)")
            return default
        value = table[key]
        if not isinstance(value, str) or (required and not value.strip()):
            raise self.fail(field, f"must be a non-empty text, got {value!r}")
        return value.strip()

    def number(
        self, table: dict, key: str, field: str, default: float | None = None, minimum: float | None = None
    ) -> float | None:
        if key not in table:
            return default
        value = table[key]
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
            raise self.fail(field, f"must be a finite number, got {value!r}")
        if minimum is not None and value < minimum:
            raise self.fail(field, f"must be ≥ {minimum:g}, got {value!r}")
        return float(value)

    def table(self, table: dict, key: str, field: str, required: bool = True) -> dict:
        if key not in table:
            if required:
                raise self.fail(field, "missing (a table)")
            return {}
        value = table[key]
        if not isinstance(value, dict):
            raise self.fail(field, f"must be a table, got {type(value).__name__}")
        return value

    def tables(self, table: dict, key: str, field: str) -> list[dict]:
        value = table.get(key, [])
        if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
            raise self.fail(field, "must be an array of tables ([[" + key + "]])")
        return value

    def unknown(self, table: dict, allowed: set[str], field: str) -> None:
        extra = sorted(set(table) - allowed)
        if extra:
            raise self.fail(
                f"{field}{extra[0]}" if field else extra[0],
                f"unknown field; expected one of: {', '.join(sorted(allowed))}",
            )


def _period(r: _Reader, text: str) -> tuple[int, int]:
    m = re.fullmatch(r"(\d{4})\s*[-–]\s*(\d{4})|(\d{4})", text)
    if not m:
        raise r.fail("period", f"expected YYYY-YYYY or YYYY, got {text!r}")
    a, b = (int(m.group(1)), int(m.group(2))) if m.group(1) else (int(m.group(3)),) * 2
    if b < a:
        raise r.fail("period", f"ends before it starts: {text!r}")
    return a, b


def _subject(r: _Reader, t: dict, field: str) -> tuple[str, bool]:
    """The indicator or attribute a condition or criterion reads."""
    if ("indicator" in t) == ("attribute" in t):
        raise r.fail(field, 'give exactly one of indicator = "id" or attribute = "column"')
    key = "indicator" if "indicator" in t else "attribute"
    return r.text(t, key, f"{field}.{key}"), key == "attribute"


def _scope(r: _Reader, t: dict, field: str) -> str:
    scope = t.get("scope", "unit")
    if scope not in SCOPES:
        raise r.fail(f"{field}.scope", f"unknown scope {scope!r}; expected one of {', '.join(SCOPES)}")
    return scope


def _condition(r: _Reader, t: dict, i: int) -> Condition:
    field = f"eligibility[{i}]"
    r.unknown(t, {"indicator", "attribute", "op", "value", "scope", "label_vi", "label_en"}, f"{field}.")
    subject, is_attr = _subject(r, t, field)
    op = t.get("op", "is")
    if op not in OPS:
        raise r.fail(f"{field}.op", f"unknown operator {op!r}; expected one of {', '.join(OPS)}")
    if "value" not in t:
        raise r.fail(f"{field}.value", "missing")
    value = t["value"]
    if op == "is" and not isinstance(value, bool):
        raise r.fail(f"{field}.value", f"op 'is' takes true or false, got {value!r}")
    if op in ("in", "not in"):
        if not isinstance(value, list) or not value:
            raise r.fail(f"{field}.value", f"op {op!r} takes a non-empty list, got {value!r}")
        value = tuple(str(v) for v in value)
    elif op in (">", ">=", "<", "<=") and (isinstance(value, bool) or not isinstance(value, (int, float))):
        raise r.fail(f"{field}.value", f"op {op!r} takes a number, got {value!r}")
    scope = _scope(r, t, field)
    default = f"{subject} {op} {value}"
    return Condition(
        subject,
        is_attr,
        op,
        value,
        scope,
        r.text(t, "label_vi", f"{field}.label_vi", required=False, default=default),
        r.text(t, "label_en", f"{field}.label_en", required=False, default=default),
    )


def _bands(r: _Reader, t: dict, field: str) -> tuple[Band, ...]:
    raw = r.tables(t, "bands", f"{field}.bands")
    if not raw:
        raise r.fail(f"{field}.bands", "kind 'bands' needs at least one [[…bands]] entry")
    bands = []
    for j, b in enumerate(raw):
        bf = f"{field}.bands[{j}]"
        r.unknown(b, {"min", "max", "points"}, f"{bf}.")
        lo = r.number(b, "min", f"{bf}.min")
        if lo is None:
            raise r.fail(f"{bf}.min", "missing (a number)")
        hi = r.number(b, "max", f"{bf}.max")
        pts = r.number(b, "points", f"{bf}.points", minimum=0)
        if pts is None:
            raise r.fail(f"{bf}.points", "missing (a number ≥ 0)")
        if hi is not None and hi <= lo:
            raise r.fail(f"{bf}.max", f"must be greater than min ({lo:g}), got {hi:g}")
        bands.append(Band(lo, hi, pts))
    for j in range(1, len(bands)):
        prev, cur = bands[j - 1], bands[j]
        if prev.max is None or prev.max != cur.min:
            raise r.fail(
                f"{field}.bands[{j}].min", "bands must be in increasing order and touch (min = the previous band's max)"
            )
        if cur.points < prev.points:
            raise r.fail(
                f"{field}.bands[{j}].points",
                "points must not decrease from one band to the next (a higher value never scores less)",
            )
    return tuple(bands)


def _criterion(r: _Reader, t: dict, i: int) -> Criterion:
    field = f"criteria[{i}]"
    r.unknown(
        t,
        {
            "id",
            "kind",
            "indicator",
            "attribute",
            "scope",
            "coefficient",
            "bands",
            "points",
            "standard",
            "label_vi",
            "label_en",
        },
        f"{field}.",
    )
    cid = r.text(t, "id", f"{field}.id")
    kind = t.get("kind")
    if kind not in KINDS:
        raise r.fail(f"{field}.kind", f"unknown kind {kind!r}; expected one of {', '.join(KINDS)}")
    indicator, is_attr, coefficient, bands, points = None, False, 0.0, (), 0.0
    if kind == "base":
        if "indicator" in t or "attribute" in t:
            raise r.fail(f"{field}.indicator", "kind 'base' reads no indicator")
        points = r.number(t, "points", f"{field}.points", minimum=0)
        if points is None:
            raise r.fail(f"{field}.points", "missing (a number ≥ 0)")
    else:
        indicator, is_attr = _subject(r, t, field)
        if kind == "per_unit":
            coefficient = r.number(t, "coefficient", f"{field}.coefficient", minimum=0)
            if coefficient is None:
                raise r.fail(f"{field}.coefficient", "missing (points per unit of the value, ≥ 0)")
        else:
            bands = _bands(r, t, field)
    standard = r.text(t, "standard", f"{field}.standard", required=False, default="") or None
    if standard and is_attr:
        raise r.fail(f"{field}.standard", "a unit attribute has no standard")
    return Criterion(
        cid,
        kind,
        indicator,
        is_attr,
        _scope(r, t, field),
        coefficient,
        bands,
        points,
        standard,
        r.text(t, "label_vi", f"{field}.label_vi", required=False, default=cid),
        r.text(t, "label_en", f"{field}.label_en", required=False, default=cid),
    )


def _whole(r: _Reader, value: float | None, field: str) -> int | None:
    if value is None:
        return None
    if value != int(value):
        raise r.fail(field, f"must be a whole number of million VND, got {value:g}")
    return int(value)


def parse_rule(data: dict, where: str = "") -> Rule:
    """Check a rule's TOML table; ``where`` (the file) prefixes every error."""
    r = _Reader(where)
    if not isinstance(data, dict):
        raise r.fail("(file)", "must be a TOML table")
    rid = r.text(data, "id", "id")
    if not re.fullmatch(r"[a-z0-9_]+", rid):
        raise r.fail("id", f"use lower-case letters, digits and _ only, got {rid!r}")
    name_vi = r.text(data, "name_vi", "name_vi")
    name_en = r.text(data, "name_en", "name_en")
    programme = r.text(data, "programme", "programme")
    period = r.text(data, "period", "period")
    years = _period(r, period)
    r.unknown(data, TOP_FIELDS, "")
    levels = data.get("levels")
    if not isinstance(levels, list) or not levels or not all(isinstance(x, str) for x in levels):
        raise r.fail("levels", f"must be a non-empty list of {', '.join(LEVELS)}")
    for lv in levels:
        if lv not in LEVELS:
            raise r.fail("levels", f"unknown level {lv!r}; expected one of {', '.join(LEVELS)}")
    status = data.get("status")
    if status not in STATUSES:
        raise r.fail("status", f"must be one of {', '.join(STATUSES)}, got {status!r}")
    note_vi = r.text(data, "note_vi", "note_vi", required=status == "illustrative")
    if status == "illustrative" and ILLUSTRATIVE_MARK not in note_vi.lower():
        raise r.fail("note_vi", f"an illustrative rule must say so plainly: include '{ILLUSTRATIVE_MARK}'")
    note_en = r.text(data, "note_en", "note_en", required=False)

    st = r.table(data, "source", "source")
    r.unknown(st, {"document", "article", "date", "address"}, "source.")
    source = Source(
        r.text(st, "document", "source.document"),
        r.text(st, "article", "source.article"),
        r.text(st, "date", "source.date"),
        r.text(st, "address", "source.address", required=False),
    )

    eligibility = tuple(_condition(r, t, i) for i, t in enumerate(r.tables(data, "eligibility", "eligibility")))
    raw_criteria = r.tables(data, "criteria", "criteria")
    if not raw_criteria:
        raise r.fail("criteria", "at least one [[criteria]] is needed")
    criteria = tuple(_criterion(r, t, i) for i, t in enumerate(raw_criteria))
    ids = [c.id for c in criteria]
    for i, cid in enumerate(ids):
        if cid in ids[:i]:
            raise r.fail(f"criteria[{i}].id", f"{cid!r} appears twice")

    rounding = r.table(data, "rounding", "rounding")
    r.unknown(rounding, {"unit", "tie_break"}, "rounding.")
    unit = _whole(r, r.number(rounding, "unit", "rounding.unit", default=1.0, minimum=1), "rounding.unit")
    ties = rounding.get("tie_break", ["score", "gso_code"])
    if not isinstance(ties, list) or not all(t in TIE_KEYS for t in ties):
        raise r.fail("rounding.tie_break", f"must be a list of {', '.join(TIE_KEYS)}, got {ties!r}")
    ties = tuple(dict.fromkeys([*ties, "gso_code"]))  # gso_code last: always decides

    limits = r.table(data, "limits", "limits", required=False)
    r.unknown(limits, {"min", "max"}, "limits.")
    lo = _whole(r, r.number(limits, "min", "limits.min", default=0.0, minimum=0), "limits.min")
    hi = _whole(r, r.number(limits, "max", "limits.max", minimum=0), "limits.max")
    if hi is not None and hi < lo:
        raise r.fail("limits.max", f"must be ≥ limits.min ({lo}), got {hi}")
    for name, v in (("limits.min", lo), ("limits.max", hi)):
        if v is not None and v % unit:
            raise r.fail(name, f"must be a multiple of rounding.unit ({unit}), got {v}")

    per_household = data.get("per_household", "poor_households")
    if not isinstance(per_household, str):
        raise r.fail("per_household", f"must be an indicator id, got {per_household!r}")
    return Rule(
        rid,
        name_vi,
        name_en,
        programme,
        period,
        years,
        tuple(levels),
        status,
        note_vi,
        note_en,
        source,
        eligibility,
        criteria,
        lo,
        hi,
        unit,
        ties,
        per_household or None,
        where,
    )


def rule_path(name: str | Path, rules_dir: Path | None = None) -> Path:
    """A rule id (``rules/<id>.toml``) or a path to a TOML file."""
    text = str(name)
    if text.endswith(".toml") or "/" in text or "\\" in text:
        return Path(text)
    return Path(rules_dir or RULES_DIR) / f"{text}.toml"


def load_rule(name: str | Path, rules_dir: Path | None = None) -> Rule:
    """Read and check a rule by id or path; :class:`RuleError` names the file and field."""
    path = rule_path(name, rules_dir)
    if not path.is_file():
        known = ", ".join(list_rules(rules_dir)) or "none"
        raise RuleError(f"no rule {str(name)!r} ({path} does not exist); known rules: {known}")
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise RuleError(f"{path}: not valid TOML: {exc}") from None
    rule = parse_rule(data, str(path))
    if path.parent.resolve() == Path(rules_dir or RULES_DIR).resolve() and path.stem != rule.id:
        raise RuleError(f"{path}: id: {rule.id!r} must match the file name {path.stem!r}")
    return rule


def list_rules(rules_dir: Path | None = None) -> list[str]:
    """Ids of the rule files in ``rules/``."""
    folder = Path(rules_dir or RULES_DIR)
    return sorted(p.stem for p in folder.glob("*.toml")) if folder.is_dir() else []


def standard_years(standard: str) -> tuple[int, int] | None:
    """The years a standard's name covers: ``'2016-2020 multidimensional (…)'`` → ``(2016, 2020)``.

    >>> standard_years("2016-2020 multidimensional (QĐ 59/2015/QĐ-TTg)"), standard_years("x")
    ((2016, 2020), None)
    """
    m = re.match(r"\s*(\d{4})\s*[-–]\s*(\d{4})", standard or "")
    return (int(m.group(1)), int(m.group(2))) if m else None
