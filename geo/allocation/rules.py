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
from geo.messages import Message

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

    def fail(self, field: str, message: Message) -> RuleError:
        prefix = f"{self.where}: " if self.where else ""
        return RuleError(Message("error.rule.field", where=prefix, field=field, detail=message))

    def text(self, table: dict, key: str, field: str, required: bool = True, default: str = "") -> str:
        if key not in table:
            if required:
                raise self.fail(field, Message("error.rule.missing_text"))
            return default
        value = table[key]
        if not isinstance(value, str) or (required and not value.strip()):
            raise self.fail(field, Message("error.rule.text", got=value))
        return value.strip()

    def number(
        self, table: dict, key: str, field: str, default: float | None = None, minimum: float | None = None
    ) -> float | None:
        if key not in table:
            return default
        value = table[key]
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
            raise self.fail(field, Message("error.rule.finite", got=value))
        if minimum is not None and value < minimum:
            raise self.fail(field, Message("error.rule.minimum", min=minimum, got=value))
        return float(value)

    def table(self, table: dict, key: str, field: str, required: bool = True) -> dict:
        if key not in table:
            if required:
                raise self.fail(field, Message("error.rule.missing_table"))
            return {}
        value = table[key]
        if not isinstance(value, dict):
            raise self.fail(field, Message("error.rule.table", kind=type(value).__name__))
        return value

    def tables(self, table: dict, key: str, field: str) -> list[dict]:
        value = table.get(key, [])
        if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
            raise self.fail(field, Message("error.rule.tables", key=key))
        return value

    def unknown(self, table: dict, allowed: set[str], field: str) -> None:
        extra = sorted(set(table) - allowed)
        if extra:
            raise self.fail(
                f"{field}{extra[0]}" if field else extra[0],
                Message("error.rule.unknown_field", expected=", ".join(sorted(allowed))),
            )


def _period(r: _Reader, text: str) -> tuple[int, int]:
    m = re.fullmatch(r"(\d{4})\s*[-–]\s*(\d{4})|(\d{4})", text)
    if not m:
        raise r.fail("period", Message("error.rule.period", got=text))
    a, b = (int(m.group(1)), int(m.group(2))) if m.group(1) else (int(m.group(3)),) * 2
    if b < a:
        raise r.fail("period", Message("error.rule.period_order", got=text))
    return a, b


def _subject(r: _Reader, t: dict, field: str) -> tuple[str, bool]:
    """The indicator or attribute a condition or criterion reads."""
    if ("indicator" in t) == ("attribute" in t):
        raise r.fail(field, Message("error.rule.source_one"))
    key = "indicator" if "indicator" in t else "attribute"
    return r.text(t, key, f"{field}.{key}"), key == "attribute"


def _scope(r: _Reader, t: dict, field: str) -> str:
    scope = t.get("scope", "unit")
    if scope not in SCOPES:
        raise r.fail(f"{field}.scope", Message("error.rule.scope", got=scope, expected=", ".join(SCOPES)))
    return scope


def _condition(r: _Reader, t: dict, i: int) -> Condition:
    field = f"eligibility[{i}]"
    r.unknown(t, {"indicator", "attribute", "op", "value", "scope", "label_vi", "label_en"}, f"{field}.")
    subject, is_attr = _subject(r, t, field)
    op = t.get("op", "is")
    if op not in OPS:
        raise r.fail(f"{field}.op", Message("error.rule.op", got=op, expected=", ".join(OPS)))
    if "value" not in t:
        raise r.fail(f"{field}.value", Message("error.rule.missing"))
    value = t["value"]
    if op == "is" and not isinstance(value, bool):
        raise r.fail(f"{field}.value", Message("error.rule.op_is", got=value))
    if op in ("in", "not in"):
        if not isinstance(value, list) or not value:
            raise r.fail(f"{field}.value", Message("error.rule.op_list", op=op, got=value))
        value = tuple(str(v) for v in value)
    elif op in (">", ">=", "<", "<=") and (isinstance(value, bool) or not isinstance(value, (int, float))):
        raise r.fail(f"{field}.value", Message("error.rule.op_number", op=op, got=value))
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
        raise r.fail(f"{field}.bands", Message("error.rule.bands_none"))
    bands = []
    for j, b in enumerate(raw):
        bf = f"{field}.bands[{j}]"
        r.unknown(b, {"min", "max", "points"}, f"{bf}.")
        lo = r.number(b, "min", f"{bf}.min")
        if lo is None:
            raise r.fail(f"{bf}.min", Message("error.rule.missing_number"))
        hi = r.number(b, "max", f"{bf}.max")
        pts = r.number(b, "points", f"{bf}.points", minimum=0)
        if pts is None:
            raise r.fail(f"{bf}.points", Message("error.rule.missing_points"))
        if hi is not None and hi <= lo:
            raise r.fail(f"{bf}.max", Message("error.rule.band_max", lo=lo, hi=hi))
        bands.append(Band(lo, hi, pts))
    for j in range(1, len(bands)):
        prev, cur = bands[j - 1], bands[j]
        if prev.max is None or prev.max != cur.min:
            raise r.fail(f"{field}.bands[{j}].min", Message("error.rule.bands_order"))
        if cur.points < prev.points:
            raise r.fail(
                f"{field}.bands[{j}].points",
                Message("error.rule.bands_points"),
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
        raise r.fail(f"{field}.kind", Message("error.rule.kind", got=kind, expected=", ".join(KINDS)))
    indicator, is_attr, coefficient, bands, points = None, False, 0.0, (), 0.0
    if kind == "base":
        if "indicator" in t or "attribute" in t:
            raise r.fail(f"{field}.indicator", Message("error.rule.base_indicator"))
        points = r.number(t, "points", f"{field}.points", minimum=0)
        if points is None:
            raise r.fail(f"{field}.points", Message("error.rule.missing_points"))
    else:
        indicator, is_attr = _subject(r, t, field)
        if kind == "per_unit":
            coefficient = r.number(t, "coefficient", f"{field}.coefficient", minimum=0)
            if coefficient is None:
                raise r.fail(f"{field}.coefficient", Message("error.rule.missing_coefficient"))
        else:
            bands = _bands(r, t, field)
    standard = r.text(t, "standard", f"{field}.standard", required=False, default="") or None
    if standard and is_attr:
        raise r.fail(f"{field}.standard", Message("error.rule.attribute_standard"))
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
        raise r.fail(field, Message("error.rule.whole_million", got=value))
    return int(value)


def parse_rule(data: dict, where: str = "") -> Rule:
    """Check a rule's TOML table; ``where`` (the file) prefixes every error."""
    r = _Reader(where)
    if not isinstance(data, dict):
        raise r.fail("(file)", Message("error.rule.file_table"))
    rid = r.text(data, "id", "id")
    if not re.fullmatch(r"[a-z0-9_]+", rid):
        raise r.fail("id", Message("error.rule.id", got=rid))
    name_vi = r.text(data, "name_vi", "name_vi")
    name_en = r.text(data, "name_en", "name_en")
    programme = r.text(data, "programme", "programme")
    period = r.text(data, "period", "period")
    years = _period(r, period)
    r.unknown(data, TOP_FIELDS, "")
    levels = data.get("levels")
    if not isinstance(levels, list) or not levels or not all(isinstance(x, str) for x in levels):
        raise r.fail("levels", Message("error.rule.levels", expected=", ".join(LEVELS)))
    for lv in levels:
        if lv not in LEVELS:
            raise r.fail("levels", Message("error.rule.level", got=lv, expected=", ".join(LEVELS)))
    status = data.get("status")
    if status not in STATUSES:
        raise r.fail("status", Message("error.rule.status", expected=", ".join(STATUSES), got=status))
    note_vi = r.text(data, "note_vi", "note_vi", required=status == "illustrative")
    if status == "illustrative" and ILLUSTRATIVE_MARK not in note_vi.lower():
        raise r.fail("note_vi", Message("error.rule.illustrative", mark=ILLUSTRATIVE_MARK))
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
        raise r.fail("criteria", Message("error.rule.criteria_none"))
    criteria = tuple(_criterion(r, t, i) for i, t in enumerate(raw_criteria))
    ids = [c.id for c in criteria]
    for i, cid in enumerate(ids):
        if cid in ids[:i]:
            raise r.fail(f"criteria[{i}].id", Message("error.rule.twice", got=cid))

    rounding = r.table(data, "rounding", "rounding")
    r.unknown(rounding, {"unit", "tie_break"}, "rounding.")
    unit = _whole(r, r.number(rounding, "unit", "rounding.unit", default=1.0, minimum=1), "rounding.unit")
    ties = rounding.get("tie_break", ["score", "gso_code"])
    if not isinstance(ties, list) or not all(t in TIE_KEYS for t in ties):
        raise r.fail("rounding.tie_break", Message("error.rule.tie_break", expected=", ".join(TIE_KEYS), got=ties))
    ties = tuple(dict.fromkeys([*ties, "gso_code"]))  # gso_code last: always decides

    limits = r.table(data, "limits", "limits", required=False)
    r.unknown(limits, {"min", "max"}, "limits.")
    lo = _whole(r, r.number(limits, "min", "limits.min", default=0.0, minimum=0), "limits.min")
    hi = _whole(r, r.number(limits, "max", "limits.max", minimum=0), "limits.max")
    if hi is not None and hi < lo:
        raise r.fail("limits.max", Message("error.rule.max_min", min=lo, got=hi))
    for name, v in (("limits.min", lo), ("limits.max", hi)):
        if v is not None and v % unit:
            raise r.fail(name, Message("error.rule.multiple", unit=unit, got=v))

    per_household = data.get("per_household", "poor_households")
    if not isinstance(per_household, str):
        raise r.fail("per_household", Message("error.rule.per_household", got=per_household))
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
        known = ", ".join(list_rules(rules_dir)) or Message("error.rule.none")
        raise RuleError(Message("error.rule.no_rule", name=str(name), path=str(path), known=known))
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise RuleError(Message("error.rule.toml", path=str(path), detail=str(exc))) from None
    rule = parse_rule(data, str(path))
    if path.parent.resolve() == Path(rules_dir or RULES_DIR).resolve() and path.stem != rule.id:
        raise RuleError(Message("error.rule.id_file", path=str(path), id=rule.id, stem=path.stem))
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
