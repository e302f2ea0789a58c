"""Join a user's table (CSV or XLSX) to the communes or districts.

Every row ends up somewhere in the :class:`JoinReport`: matched by code,
matched by name, ambiguous, unmatched or duplicate; and every unit without
a row is listed.  Nothing is dropped silently.

Row numbers are those a spreadsheet shows: the header is row 1, the first
data row is row 2 (blank rows count).

Command line::

    python -m geo join FILE [--level commune|district|commune_2025] [--code-col C]
                            [--name-col N] [--district-col D] [--confirm-rows 4,7]
                            [--json] [--lang en|vi]

Levels: ``commune`` and ``district`` are the 2020 units; ``commune_2025``
the 40 communes of 1 July 2025.  A name or code of the other vintage (a
2020 commune at level ``commune_2025``, a 2025 commune at level
``commune``) is reported with the units that hold it now, never matched.

A row whose code and name point at different units is not joined (the
report is not ok) unless its row number is confirmed (``confirm_rows``):
then it is joined on its code, and the report lists it as confirmed.
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import unicodedata
from collections.abc import Hashable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NamedTuple

import geopandas as gpd
import pandas as pd

from geo import messages
from geo.errors import CliError
from geo.units.names import LEVELS, OTHER_LEVEL, VINTAGE, NameIndex, clean_code, clean_text, load_level, other_units

# ---------------------------------------------------------------- reading

READABLE = (".csv", ".xlsx")


def header_key(header: Hashable) -> str:
    """A column header without case, diacritics or punctuation.

    >>> header_key("Mã xã"), header_key(" Tên  Xã/Phường "), header_key("GSO code")
    ('ma_xa', 'ten_xa_phuong', 'gso_code')
    """
    text = unicodedata.normalize("NFD", str(header).casefold())
    text = "".join(c for c in text if not unicodedata.combining(c)).replace("đ", "d")
    return "_".join("".join(c if c.isalnum() else " " for c in text).split())


def _is_code_header(header) -> bool:
    return bool({"ma", "code", "gso", "maso"} & set(header_key(header).split("_")))


def _empty(value) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _csv_records(path: Path) -> list[tuple[int, list]]:
    data = path.read_bytes()
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ValueError(
            f"{path}: not UTF-8 text (byte 0x{data[exc.start]:02x} at position {exc.start}); save it as 'CSV UTF-8'"
        ) from None
    first = next((line for line in text.splitlines() if line.strip()), "")
    delimiter = max(",;\t", key=first.count) if any(d in first for d in ",;\t") else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    return list(enumerate(reader, start=1))


def _xlsx_records(path: Path) -> list[tuple[int, list]]:
    from openpyxl import load_workbook

    try:
        wb = load_workbook(path, data_only=True)
    except Exception as exc:  # zipfile.BadZipFile, InvalidFileException, KeyError…
        raise ValueError(f"{path}: not a readable .xlsx workbook ({type(exc).__name__})") from None
    ws = wb.active
    rows = ws.iter_rows(min_row=1, min_col=1, values_only=True)
    return [(i, list(values)) for i, values in enumerate(rows, start=1)]


def _frame(path: Path, records: list[tuple[int, list]], typed: bool) -> pd.DataFrame:
    records = [
        (i, [None if _empty(v) else (v.strip() if isinstance(v, str) else v) for v in vals]) for i, vals in records
    ]
    records = [(i, vals) for i, vals in records if any(v is not None for v in vals)]
    if not records:
        raise ValueError(f"{path}: empty file (no header row)")
    (_, header), body = records[0], records[1:]
    if not body:
        raise ValueError(f"{path}: no data rows below the header")
    width = max(len(vals) for _, vals in records)
    names: list[str] = []
    for j in range(width):
        raw = header[j] if j < len(header) else None
        name = f"column_{j + 1}" if raw is None else str(raw)
        while name in names:
            name += "_2"
        names.append(name)
    rows = [vals + [None] * (width - len(vals)) for _, vals in body]
    index = pd.Index([i for i, _ in body], name="row")
    df = pd.DataFrame(rows, columns=names, index=index, dtype=object)
    generated = [n for j, n in enumerate(names) if (j >= len(header) or header[j] is None)]
    df = df.drop(columns=[n for n in generated if df[n].isna().all()])
    for col in df.columns:
        values = df[col].tolist()
        if _is_code_header(col):
            values = [clean_code(v) for v in values]
        elif not typed:
            num = pd.to_numeric(df[col], errors="coerce")
            if num.notna().sum() == df[col].notna().sum():
                values = num.tolist()
        df[col] = pd.Series(values, index=df.index).infer_objects()
    return df


def read_table(path: Path | str) -> pd.DataFrame:
    """Read a CSV (UTF-8, with or without BOM) or XLSX table.

    The index holds the spreadsheet row numbers (header = row 1) and is
    named ``row``; code-like columns (``mã``, ``code``, ``gso``…) are read
    as text.  Raises ``FileNotFoundError`` or ``ValueError`` with a clear
    message for a missing, empty, non-UTF-8 or unsupported file.
    """
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"{path}: no such file")
    if path.is_dir():
        raise ValueError(f"{path}: is a folder, not a table")
    suffix = path.suffix.lower()
    if suffix not in READABLE:
        raise ValueError(
            f"{path}: unsupported file type {suffix or '(no extension)'}; expected {' or '.join(READABLE)}"
        )
    if path.stat().st_size == 0:
        raise ValueError(f"{path}: empty file")
    if suffix == ".csv":
        return _frame(path, _csv_records(path), typed=False)
    return _frame(path, _xlsx_records(path), typed=True)


# ---------------------------------------------------------------- columns

_CODE_2025 = ["gso_code_2025", "code_2025", "new_commune_code", "ma_xa_moi", "ma_xa_2025", "ma_dvhc_moi"]
_NAME_2025 = ["name_2025", "new_commune_name", "ten_xa_moi", "xa_moi", "ten_xa_2025", "xa_phuong_moi"]
CODE_COLUMNS = {
    "commune": [
        "gso_code",
        "gso_commune_code",
        "commune_code",
        "commune_code_gso2020",
        "ma_xa",
        "ma_so_xa",
        "ma_gso",
        "ma_dvhc",
        "ma_don_vi",
        "code",
        "ma",
    ],
    "district": [
        "gso_code",
        "gso_district_code",
        "district_code",
        "ma_huyen",
        "ma_gso",
        "ma_dvhc",
        "ma_don_vi",
        "code",
        "ma",
    ],
}
NAME_COLUMNS = {
    "commune": [
        "commune",
        "commune_name",
        "commune_name_as_in_source",
        "census_ward",
        "ward",
        "xa",
        "ten_xa",
        "xa_phuong",
        "xa_phuong_thi_tran",
        "phuong_xa",
        "ten_xa_phuong",
        "ten_don_vi",
        "don_vi",
        "name",
        "ten",
    ],
    "district": [
        "district",
        "district_name",
        "district_name_as_in_source",
        "census_district",
        "huyen",
        "ten_huyen",
        "quan_huyen",
        "name",
        "ten",
        "ten_don_vi",
        "don_vi",
    ],
}
CODE_COLUMNS["commune_2025"] = _CODE_2025 + CODE_COLUMNS["commune"]
NAME_COLUMNS["commune_2025"] = _NAME_2025 + NAME_COLUMNS["commune"]
DISTRICT_COLUMNS = [
    "district",
    "district_name",
    "district_name_as_in_source",
    "census_district",
    "huyen",
    "ten_huyen",
    "quan_huyen",
    "district_code",
    "gso_district_code",
    "ma_huyen",
]


def _find(columns, wanted) -> str | None:
    keys = {}
    for col in columns:
        keys.setdefault(header_key(col), col)
    return next((keys[w] for w in wanted if w in keys), None)


def _given(columns, col: str, option: str) -> str:
    if col in columns:
        return col
    found = _find(columns, [header_key(col)])
    if found is None:
        raise ValueError(f"{option} {col!r}: no such column; the columns are: " + ", ".join(map(str, columns)))
    return found


def detect_columns(
    table: pd.DataFrame,
    level: str = "commune",
    code_col: str | None = None,
    name_col: str | None = None,
    district_col: str | None = None,
) -> dict[str, str | None]:
    """The code, name and district columns: given ones checked, others guessed.

    >>> detect_columns(pd.DataFrame(columns=["Mã xã", "Tên xã", "Huyện", "Số hộ"]))
    {'code': 'Mã xã', 'name': 'Tên xã', 'district': 'Huyện'}
    """
    if level not in LEVELS:
        raise ValueError(f"unknown level {level!r}; expected one of {', '.join(LEVELS)}")
    cols = list(table.columns)
    code = _given(cols, code_col, "--code-col") if code_col else _find(cols, CODE_COLUMNS[level])
    name = _given(cols, name_col, "--name-col") if name_col else _find(cols, NAME_COLUMNS[level])
    if level == "commune":
        district = (
            _given(cols, district_col, "--district-col")
            if district_col
            else _find([c for c in cols if c not in (code, name)], DISTRICT_COLUMNS)
        )
    elif district_col:
        raise ValueError("--district-col only applies to --level commune")
    else:
        district = None
    if code is None and name is None:
        raise ValueError(
            "found no code or name column; name them with --code-col / --name-col "
            "(the columns are: " + ", ".join(map(str, cols)) + ")"
        )
    return {"code": code, "name": name, "district": district}


# ---------------------------------------------------------------- report


class MatchedRow(NamedTuple):
    row: int
    name: str
    code: str
    unit_name: str
    method: str
    key: str


class AmbiguousRow(NamedTuple):
    row: int
    name: str
    candidates: tuple[str, ...]


class UnmatchedRow(NamedTuple):
    row: int
    name: str
    reason: str  # empty, unknown_code, unknown_district, not_in_district, not_found, other_level
    detail: str = ""  # other_level: the level of the unit named
    elsewhere: tuple[str, ...] = ()  # other_level: the units of this level that hold it now
    others: tuple[str, ...] = ()  # other_level: the codes of the units of the other vintage named


class DuplicateRow(NamedTuple):
    row: int
    code: str
    first_row: int


class Conflict(NamedTuple):
    row: int
    code: str  # the code in the table
    name: str  # the name in the table
    code_unit: str | None  # the unit that code names (None: unknown code)
    name_code: str | None  # what the name alone resolves to (None: nothing unique)
    used: str  # the code the row was (mismatch: would be) joined on
    kind: str = "mismatch"  # mismatch (different units), unknown_code, name_unmatched
    confirmed: bool = False  # the uploader confirmed this row (a mismatch is then joined on ``used``)
    name_others: tuple[str, ...] = ()  # the name is a unit of the other vintage: its codes


class NamesakeRow(NamedTuple):
    """A matched row whose name is also that of other-vintage units that are not the same territory."""

    row: int
    name: str
    code: str
    namesakes: tuple[str, ...]  # codes of the other vintage


class MissingUnit(NamedTuple):
    code: str
    name: str


_TEXT = {lang: messages.section("join", lang) for lang in ("en", "vi")}  # the catalogue's ``join`` words
LISTS = (
    "matched_by_code",
    "matched_by_name",
    "ambiguous",
    "unmatched",
    "duplicates",
    "code_name_conflicts",
    "units_without_data",
)


@dataclass
class JoinReport:
    """Where every row went.  ``ok`` when nothing is ambiguous, unmatched or duplicated."""

    level: str = "commune"
    n_rows: int = 0
    n_units: int = 0
    columns: dict = field(default_factory=dict)
    matched_by_code: list[MatchedRow] = field(default_factory=list)
    matched_by_name: list[MatchedRow] = field(default_factory=list)
    ambiguous: list[AmbiguousRow] = field(default_factory=list)
    unmatched: list[UnmatchedRow] = field(default_factory=list)
    duplicates: list[DuplicateRow] = field(default_factory=list)
    code_name_conflicts: list[Conflict] = field(default_factory=list)
    units_without_data: list[MissingUnit] = field(default_factory=list)
    namesakes: list[NamesakeRow] = field(default_factory=list)
    confirmed_rows: list[int] = field(default_factory=list)
    confirm_rows_unused: list[int] = field(default_factory=list)
    labels: dict[str, str] = field(default_factory=dict, repr=False, compare=False)
    #: For each unit of the other vintage, the units of this level that hold it or it was formed from.
    now: dict[str, tuple[str, ...]] = field(default_factory=dict, repr=False, compare=False)

    @property
    def refused(self) -> list[Conflict]:
        """Rows whose code and name point at different units, not confirmed: not joined."""
        return [c for c in self.code_name_conflicts if c.kind == "mismatch" and not c.confirmed]

    @property
    def ok(self) -> bool:
        return not (self.ambiguous or self.unmatched or self.duplicates or self.refused)

    def counts(self) -> dict[str, int]:
        return {name: len(getattr(self, name)) for name in LISTS}

    def to_dict(self) -> dict:
        """Plain JSON-able data: counts, then every list as dicts."""
        out = {
            "ok": self.ok,
            "level": self.level,
            "rows": self.n_rows,
            "units": self.n_units,
            "columns": dict(self.columns),
            "counts": self.counts(),
        }
        for name in LISTS + ("namesakes",):
            out[name] = [
                {k: list(v) if isinstance(v, tuple) else v for k, v in item._asdict().items()}
                for item in getattr(self, name)
            ]
        out["confirmed_rows"] = list(self.confirmed_rows)
        out["confirm_rows_unused"] = list(self.confirm_rows_unused)
        return out

    def _label(self, code) -> str:
        return f"{code} {self.labels.get(code, '?')}" if code else "?"

    def other_label(self, code: str) -> str:
        """``code`` and name of a unit of the other vintage."""
        return f"{code} {self.labels.get(f'other:{code}', '?')}"

    def other_level_text(self, elsewhere: tuple, others: tuple, lang: str = "en") -> str:
        """What a unit of the other vintage is now: "a 2020 unit, now part of Xã Ngọk Bay (23317) [23314 …]".

        >>> r = join_table(pd.DataFrame({"xa": ["Xã Kroong"]}), level="commune_2025").report
        >>> u = r.unmatched[0]
        >>> r.other_level_text(u.elsewhere, u.others)
        'a 2020 unit, now part of Xã Ngọk Bay (23317) [23314 Xã Kroong (Thành phố Kon Tum)]'
        """
        t = _TEXT[lang]
        other = OTHER_LEVEL.get(self.level, "")
        units = "; ".join(map(self.other_label, others))
        key = "part_of" if self.level == "commune_2025" else "formed_from"
        if key == "part_of":
            where = "; ".join(f"{self.labels.get(c, '?')} ({c})" for c in elsewhere)
        else:
            where = "; ".join(map(self._label, elsewhere))
        return t[key].format(vintage=VINTAGE.get(other, "?"), where=where, units=units)

    def _conflict_other(self, c: Conflict, lang: str) -> str:
        if c.name_others:
            codes = tuple(dict.fromkeys(x for o in c.name_others for x in self.now.get(o, ())))
            return self.other_level_text(codes, c.name_others, lang)
        return self._label(c.name_code) if c.name_code else _TEXT[lang]["nothing"]

    def to_text(self, lang: str = "en") -> str:
        """A readable report: counts first, then one line per problem."""
        if lang not in _TEXT:
            raise ValueError(f"unknown language {lang!r}; expected one of {', '.join(_TEXT)}")
        t = _TEXT[lang]
        cols = ", ".join(f"{k}={v}" for k, v in self.columns.items() if v) or "-"
        lines = [t["title"].format(level=t[self.level], rows=self.n_rows, units=self.n_units, cols=cols)]
        width = max(len(t[n]) for n in LISTS)
        for name, n in self.counts().items():
            extra = f" {t['of']} {self.n_units}" if name == "units_without_data" else ""
            lines.append(f"  {t[name]:<{width}}  {n}{extra}")
        problems = []
        for a in self.ambiguous:
            problems.append(
                (a.row, t["amb"].format(row=a.row, name=a.name, cands="; ".join(map(self._label, a.candidates))))
            )
        for u in self.unmatched:
            if u.reason == "other_level":
                hint = t["hint"].format(vintage=VINTAGE.get(u.detail, "?"), level=u.detail)
                what = self.other_level_text(u.elsewhere, u.others, lang)
                problems.append((u.row, t["other_level"].format(row=u.row, name=u.name, what=what, hint=hint)))
                continue
            where = "; ".join(map(self._label, u.elsewhere))
            detail = self.labels.get(f"district:{u.detail}", u.detail)
            problems.append((u.row, t[u.reason].format(row=u.row, name=u.name, detail=detail, where=where)))
        for d in self.duplicates:
            problems.append((d.row, t["dup"].format(row=d.row, first=d.first_row, unit=self._label(d.code))))
        for c in self.refused:
            other = self._conflict_other(c, lang)
            text = t["refused"].format(row=c.row, code=c.code, unit=c.code_unit, name=c.name, other=other, used=c.used)
            problems.append((c.row, text))
        prefix = t["row"]
        lines.append(t["ok"] if self.ok else t["problems"])
        lines += [f"  {prefix} {text}" for _, text in sorted(problems, key=lambda p: p[0])]
        joined = [c for c in self.code_name_conflicts if c not in self.refused]
        if joined:
            lines.append(t["warnings"])
            for c in joined:
                key = "confirmed" if c.kind == "mismatch" else "conflict" if c.code_unit else "conflict_unknown"
                other = self._conflict_other(c, lang)
                lines.append(
                    f"  {prefix} "
                    + t[key].format(row=c.row, code=c.code, unit=c.code_unit, name=c.name, other=other, used=c.used)
                )
        if self.confirmed_rows:
            lines.append(t["confirmed_rows"].format(rows=", ".join(map(str, self.confirmed_rows))))
        if self.confirm_rows_unused:
            lines.append(t["unused"].format(rows=", ".join(map(str, self.confirm_rows_unused))))
        if self.namesakes:
            lines.append(t["namesakes"])
            for n in self.namesakes:
                now = tuple(dict.fromkeys(c for o in n.namesakes for c in self.now.get(o, ())))
                units = self.other_level_text(now, n.namesakes, lang)
                text = t["namesake"].format(row=n.row, name=n.name, code=self._label(n.code), units=units)
                lines.append(f"  {prefix} {text}")
        fuzzy = [m for m in self.matched_by_name if m.method != "exact"]
        if fuzzy:
            lines.append(t["fuzzy"])
            lines += [
                f'  {prefix} {m.row}: "{m.name}" -> {m.code} {m.unit_name} ({m.method}: "{m.key}")' for m in fuzzy
            ]
        if self.units_without_data:
            lines.append(t["missing"].format(n=len(self.units_without_data)))
            lines += [f"  {self._label(u.code)}" for u in self.units_without_data]
        return "\n".join(lines)


@dataclass
class JoinResult:
    gdf: gpd.GeoDataFrame
    report: JoinReport


# ---------------------------------------------------------------- joining


def _row_numbers(table: pd.DataFrame) -> list[int]:
    if table.index.name == "row":
        return [int(i) for i in table.index]
    return list(range(2, len(table) + 2))


def _cell(table, pos, col):
    return None if col is None else table[col].iloc[pos]


def join_table(
    table: pd.DataFrame,
    level: str = "commune",
    code_col: str | None = None,
    name_col: str | None = None,
    district_col: str | None = None,
    units: gpd.GeoDataFrame | None = None,
    confirm_rows: Iterable[int] = (),
) -> JoinResult:
    """Match each row to a unit and left-join the rows onto the units.

    ``gdf`` has one row per unit (the first row of a duplicated unit;
    the others are listed in ``report.duplicates``), the table's columns
    (renamed ``<col>_input`` where they clash with the units'), and
    ``join_row`` / ``join_method``.  Row numbers come from the ``row``
    index of :func:`read_table`, else first row = 2.

    A row whose code and name point at different units (``Match.mismatch``)
    is not joined unless its row number is in ``confirm_rows``; it is listed
    in ``report.code_name_conflicts`` either way (``confirmed`` says which).

    >>> r = join_table(pd.DataFrame({"xa": ["Ia Tơi", "Đăk Long"]})).report
    >>> [(m.row, m.code, m.method) for m in r.matched_by_name]
    [(2, '23538', 'normalized')]
    >>> r.ambiguous, r.ok
    ([AmbiguousRow(row=3, name='Đăk Long', candidates=('23368', '23504'))], False)
    >>> bo_y = pd.DataFrame({"ma_xa": ["23398"], "ten_xa": ["Xã Bờ Y"]})
    >>> join_table(bo_y).report.refused[0][:6]
    (2, '23398', 'Xã Bờ Y', 'Xã Sa Loong', '23395', '23398')
    >>> join_table(bo_y, confirm_rows=[2]).report.matched_by_code[0].code
    '23398'
    """
    if level not in LEVELS:
        raise ValueError(f"unknown level {level!r}; expected one of {', '.join(LEVELS)}")
    units = load_level(level) if units is None else units
    cols = detect_columns(table, level, code_col, name_col, district_col)
    index = NameIndex(units, level, others=other_units(level))
    report = JoinReport(level=level, n_rows=len(table), n_units=len(units), columns=cols)
    _label_units(report, index)
    confirm = {int(r) for r in confirm_rows}
    first_row: dict[str, int] = {}
    kept: list[tuple[int, str, int, str]] = []
    for pos, row in enumerate(_row_numbers(table)):
        name = clean_text(_cell(table, pos, cols["name"]))
        m = index.match(name, _cell(table, pos, cols["district"]), _cell(table, pos, cols["code"]))
        label = name or ""
        if m.method == "ambiguous":
            report.ambiguous.append(AmbiguousRow(row, label, m.candidates))
        elif not m.matched:
            label = label or (f"code {m.code_given}" if m.reason == "other_level" else "")
            report.unmatched.append(UnmatchedRow(row, label, m.reason, m.detail or "", m.elsewhere, m.others))
        elif m.mismatch and row not in confirm:
            report.code_name_conflicts.append(_conflict(row, label, m, index, confirmed=False))
        elif m.gso_code in first_row:
            report.duplicates.append(DuplicateRow(row, m.gso_code, first_row[m.gso_code]))
        else:
            first_row[m.gso_code] = row
            kept.append((pos, m.gso_code, row, m.method))
            item = MatchedRow(row, label, m.gso_code, m.name, m.method, m.key)
            (report.matched_by_code if m.method == "code" else report.matched_by_name).append(item)
            if m.conflict:
                report.code_name_conflicts.append(_conflict(row, label, m, index, confirmed=row in confirm))
            if m.namesakes:
                report.namesakes.append(NamesakeRow(row, label, m.gso_code, m.namesakes))
    conflicts = {c.row for c in report.code_name_conflicts}
    report.confirmed_rows = sorted(r for r in confirm if r in conflicts)
    report.confirm_rows_unused = sorted(r for r in confirm if r not in conflicts)
    report.units_without_data = [MissingUnit(c, u.name) for c, u in index.units.items() if c not in first_row]
    return JoinResult(_merge(units, table, kept), report)


def _label_units(report: JoinReport, index: NameIndex) -> None:
    """The names the report shows: units of this level, districts, units of the other vintage."""
    report.labels = {
        code: u.name + (f" ({index.districts[u.district_code]})" if u.district_code else "")
        for code, u in index.units.items()
    }
    report.labels.update({f"district:{c}": n for c, n in index.districts.items()})
    report.labels.update({f"other:{c}": o.label() for c, o in index.others.items()})
    report.now = {c: o.now for c, o in index.others.items()}


def _conflict(row: int, label: str, m, index: NameIndex, confirmed: bool) -> Conflict:
    """The :class:`Conflict` of a row whose code and name disagree (``m``: its match)."""
    if m.method == "code":
        name_match = m.name_match
        kind = "mismatch" if m.mismatch else "name_unmatched"
        name_others = name_match.others if name_match.reason == "other_level" else ()
        return Conflict(row, m.code_given, label, m.name, name_match.gso_code, m.gso_code, kind, confirmed, name_others)
    if m.code_other_level:
        other = index.others[m.code_given]
        code_unit = f"{other.label()}, {VINTAGE.get(index.other_level, '?')}"
        return Conflict(row, m.code_given, label, code_unit, m.gso_code, m.gso_code, "mismatch", confirmed)
    return Conflict(row, m.code_given, label, None, m.gso_code, m.gso_code, "unknown_code", confirmed)


def _merge(units: gpd.GeoDataFrame, table: pd.DataFrame, kept) -> gpd.GeoDataFrame:
    taken = set(units.columns) | {"join_row", "join_method"}
    data = table.iloc[[pos for pos, *_ in kept]].reset_index(drop=True)
    data = data.rename(columns={c: f"{c}_input" for c in data.columns if c in taken})
    data.insert(0, "gso_code", [code for _, code, _, _ in kept])
    data["join_row"] = pd.array([row for *_, row, _ in kept], dtype="Int64")
    data["join_method"] = [method for *_, method in kept]
    units = units.assign(gso_code=units["gso_code"].astype(str))
    return units.merge(data.astype({"gso_code": str}), on="gso_code", how="left")


# ---------------------------------------------------------------- CLI


def row_numbers(text: object) -> tuple[int, ...]:
    """Spreadsheet row numbers from "4,7", "4 7; 9", a list or a JSON list; ``ValueError`` otherwise.

    >>> row_numbers("4,7"), row_numbers(" 9; 4 7 "), row_numbers([3, "5"]), row_numbers("[2, 3]"), row_numbers("")
    ((4, 7), (4, 7, 9), (3, 5), (2, 3), ())
    >>> row_numbers("4,x")
    Traceback (most recent call last):
    ...
    ValueError: row numbers must be whole numbers from 2 up, like 4,7 (not 'x')
    """
    if text is None:
        return ()
    if isinstance(text, str):
        items: list = text.strip().strip("[]").replace(";", ",").replace(",", " ").split()
    elif isinstance(text, (list, tuple)):
        items = list(text)
    else:
        items = [text]
    rows = set()
    for item in items:
        value = str(item).strip()
        if not value.isdigit() or int(value) < 2 or len(value) > 7:
            raise ValueError(f"row numbers must be whole numbers from 2 up, like 4,7 (not {value[:20]!r})")
        rows.add(int(value))
    return tuple(sorted(rows))


def rows_argument(text: str) -> tuple[int, ...]:
    """:func:`row_numbers` for argparse (``--confirm-rows``): a bad value is a usage error."""
    try:
        return row_numbers(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def register(subparsers: Any) -> None:  # argparse add_subparsers() action (its class is private)
    p = subparsers.add_parser(
        "join",
        help="match a CSV/XLSX table to the units and report every row",
        description="Match each row of FILE to a commune or district (by code, else by name "
        "with an optional district) and print where every row went. Exit status: "
        "0 all rows matched, 1 the report lists problems, 2 unreadable input.",
    )
    p.add_argument("file", help="a .csv (UTF-8) or .xlsx table")
    p.add_argument("--level", choices=LEVELS, default="commune")
    p.add_argument("--code-col", help="column of GSO codes (guessed when omitted)")
    p.add_argument("--name-col", help="column of unit names (guessed when omitted)")
    p.add_argument("--district-col", help="column of district names or codes (commune level)")
    p.add_argument(
        "--confirm-rows",
        type=rows_argument,
        default=(),
        metavar="ROWS",
        help="rows (as the spreadsheet numbers them, e.g. 4,7) whose code and name point at different "
        "units, confirmed: they are joined on their code",
    )
    p.add_argument("--json", action="store_true", help="print the report as JSON")
    p.add_argument("--lang", choices=("en", "vi"), default="en", help="language of the text report")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    try:
        table = read_table(args.file)
        result = join_table(
            table, args.level, args.code_col, args.name_col, args.district_col, confirm_rows=args.confirm_rows
        )
    except (OSError, ValueError) as exc:
        raise CliError(str(exc)) from None
    report = result.report
    print(json.dumps(report.to_dict(), ensure_ascii=False, indent=1) if args.json else report.to_text(args.lang))
    return 0 if report.ok else 1
