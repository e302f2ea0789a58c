"""Read, validate and preview an uploaded table of official figures; commit it as a version.

Districts send the results of the annual review of poor and near-poor
households (kết quả rà soát hộ nghèo, hộ cận nghèo) as Excel or CSV tables:
one row per commune (or district) with its name and/or GSO code, perhaps
the year, and the figures — households, poor households, near-poor
households, rates, or any catalogued indicator as a column.

:func:`preview` reads such a file and reports, without writing anything:

* the join report of :func:`geo.units.join.join_table` (matched, ambiguous,
  unmatched, duplicates; per year);
* every problem, each with its spreadsheet row number and reason
  (``errors`` block the commit, ``warnings`` do not);
* the values that would change: old → new, with the old value's status.

Reading accepts CSV (UTF-8 with or without BOM, UTF-16 with BOM,
Windows-1258; text typed in the legacy TCVN3 or VNI fonts is converted,
see :mod:`geo.io.encoding`) and XLSX (the first sheet; a title above the
header row is skipped).  The file type is taken from its first bytes, not
its name.  Numbers may use the Vietnamese separators ("1.234,5", "1.234",
"12,5%").

:func:`stage` keeps an upload in a private staging folder (expiring) so
that a later :func:`commit` (web) can turn it into a dataset version
(:mod:`geo.uploads.versions`); the command line commits directly.

Command line::

    python -m geo ingest FILE --year 2020 --standard 2016-2020
                         [--level commune|district|commune_2025] [--confirm-rows 4,7]
                         [--status official|reported] [--note "..."] [--who NAME]
                         [--dry-run] [--json] [--lang vi|en]

Level ``commune_2025``: the table is keyed by the codes or names of the 40
communes of 1 July 2025; its figures are stored with that ``unit_level`` and
never split onto the 2020 communes.  A name or code of the other vintage is
an error that says which unit holds it now.  A row whose code and name point
at different units is an error unless its row number is confirmed
(``confirm_rows``, ``--confirm-rows``); confirmed rows are joined on their
code and listed in the preview and the version's manifest.

Exit status: 0 committed (or a clean dry run), 2 refused (nothing written).

Example
-------
>>> parse_number("1.234,5"), parse_number("1.234"), parse_number("12,5%"), parse_number(" 7 ")
((1234.5, False), (1234.0, False), (12.5, True), (7.0, False))
>>> indicator_for_header("Số hộ nghèo"), indicator_for_header("so ho can ngheo"), indicator_for_header("Tổng số hộ")
('poor_households', 'near_poor_households', 'households')
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import math
import re
import unicodedata
import zipfile
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from geo import paths, settings
from geo.backends.base import BackendError
from geo.indicators import values as indicators
from geo.io import encoding, storage
from geo.messages import Message
from geo.messages import Message as M
from geo.units.join import (
    CODE_COLUMNS,
    DISTRICT_COLUMNS,
    LEVELS,
    NAME_COLUMNS,
    JoinReport,
    header_key,
    join_table,
    row_numbers,
    rows_argument,
)
from geo.units.names import clean_code, clean_text, fold
from geo.uploads import versions
from geo.uploads.common import Problem, UploadError, disk_full_error, max_bytes, run_cli

# ---------------------------------------------------------------- settings

MAX_ROWS = 20_000
#: A review table has a dozen columns; thousands only make every step slower (issue 17 item 4).
MAX_COLUMNS = 200
YEAR_MIN, YEAR_MAX = 2015, 2025
STATUSES = ("official", "reported")

# Poverty standards an upload may declare: the label used in the data and
# the review years it applies to (the end-2015 review was the first under
# QĐ 59/2015; the 2021 review the first under NĐ 07/2021).
STANDARDS = {
    "2016-2020": ("2016-2020 multidimensional (QĐ 59/2015/QĐ-TTg)", range(2015, 2021)),
    "2022-2025": ("2022-2025 (NĐ 07/2021/NĐ-CP)", range(2021, 2026)),
}


# ---------------------------------------------------------------- file type

_MAGIC = (
    (b"\xd0\xcf\x11\xe0", "xls"),
    (b"%PDF", "pdf"),
    (b"\x89PNG", "png"),
    (b"\xff\xd8\xff", "jpeg"),
    (b"GIF8", "gif"),
    (b"MZ", "exe"),
    (b"\x7fELF", "elf"),
    (b"\x1f\x8b", "gzip"),
    (b"Rar!", "rar"),
    (b"7z\xbc\xaf", "7z"),
    (b"SQLite format 3\x00", "sqlite"),
)
TABLE_SUFFIXES = (".csv", ".txt", ".xlsx")


def sniff(data: bytes, filename: str = "") -> str:
    """``"csv"`` or ``"xlsx"`` from the first bytes; :class:`UploadError` for anything else.

    >>> sniff(b"Ma xa,So ho\\n1,2\\n", "a.csv"), sniff(b"%PDF-1.7 ...", "a.csv")
    Traceback (most recent call last):
    ...
    geo.uploads.common.UploadError: a.csv: a PDF document, not a table: upload the Excel or CSV file
    """
    name = filename or "upload"
    if not data:
        raise UploadError(M("error.ingest.empty_file", name=name))
    if len(data) > max_bytes():
        raise UploadError(
            M("error.ingest.too_large", name=name, size=f"{len(data):,}", cap=f"{max_bytes():,}"),
            413,
            "PayloadTooLarge",
        )
    suffix = Path(name).suffix.lower()
    if suffix and suffix not in TABLE_SUFFIXES:
        raise UploadError(M("error.ingest.file_type", name=name, suffix=suffix))
    for magic, what in _MAGIC:
        if data.startswith(magic):
            raise UploadError(M("error.ingest.not_a_table", name=name, what=M(f"error.ingest.magic.{what}")))
    if data.startswith(b"PK\x03\x04") or data.startswith(b"PK\x05\x06"):
        kind = "xlsx" if _is_xlsx(data) else None
        if kind is None:
            raise UploadError(M("error.ingest.zip", name=name))
        if suffix in (".csv", ".txt"):
            raise UploadError(M("error.ingest.named_csv_is_xlsx", name=name, suffix=suffix))
        return kind
    if suffix == ".xlsx":
        raise UploadError(M("error.ingest.named_xlsx", name=name))
    head = data[:8192]
    if b"\x00" in head and not head.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise UploadError(M("error.ingest.binary", name=name))
    start = head.lstrip(b"\xef\xbb\xbf \t\r\n")[:16].lower()
    if start.startswith((b"<!doctype", b"<html", b"<?xml", b"<svg", b"<")):
        raise UploadError(M("error.ingest.html", name=name))
    if start.startswith((b"{", b"[")):
        raise UploadError(M("error.ingest.json", name=name))
    return "csv"


def _is_xlsx(data: bytes) -> bool:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            names = set(zf.namelist())
    except (zipfile.BadZipFile, ValueError, OSError):
        return False
    return "[Content_Types].xml" in names and "xl/workbook.xml" in names


# ---------------------------------------------------------------- reading cells


@dataclass
class Sheet:
    """Raw cells: ``rows`` as (spreadsheet row number, values), plus how they were read."""

    rows: list[tuple[int, list]]
    encoding: str = ""
    sheet: str = ""
    warnings: list[str] = field(default_factory=list)


def check_shape(row: int, width: int) -> None:
    """Refuse a table once its ``row``-th row (blank rows count) or a row of ``width`` cells
    passes the caps, while it is being read: nothing bigger is ever built.

    >>> check_shape(3, MAX_COLUMNS + 1)
    Traceback (most recent call last):
    ...
    geo.uploads.common.UploadError: row 3 has 201 columns; at most 200 are read: remove the empty or unused columns
    """
    if row > MAX_ROWS + 50:
        raise UploadError(M("error.ingest.too_many_rows", max=f"{MAX_ROWS:,}"))
    if width > MAX_COLUMNS:
        raise UploadError(M("error.ingest.too_many_columns", row=row, width=f"{width:,}", max=MAX_COLUMNS))


def _first_line(text: str) -> str:
    """The first line of ``text`` that is not blank (without splitting the whole text)."""
    m = re.search(r"[^\s][^\r\n]*", text)
    return m.group(0) if m else ""


def _csv_cells(data: bytes) -> Sheet:
    try:
        decoded = encoding.decode(data)
    except encoding.EncodingError as exc:
        raise UploadError(str(exc)) from None
    text = decoded.text
    first = _first_line(text)
    delimiter = max(",;\t", key=first.count) if any(d in first for d in ",;\t") else ","
    rows = []
    try:
        for i, rec in enumerate(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter), start=1):
            check_shape(i, len(rec))
            rows.append((i, [c if c.strip() else None for c in rec]))
    except csv.Error as exc:
        raise UploadError(M("error.ingest.csv_unreadable", reason=str(exc))) from None
    return Sheet(rows, decoded.encoding, "", decoded.warnings)


_XLSX_MAX_UNZIPPED = 100 * 1024 * 1024


def _xlsx_cells(data: bytes) -> Sheet:
    from openpyxl import load_workbook

    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            infos = zf.infolist()
    except (zipfile.BadZipFile, ValueError, OSError):
        raise UploadError(M("error.ingest.xlsx_unreadable")) from None
    if len(infos) > 2000 or sum(i.file_size for i in infos) > _XLSX_MAX_UNZIPPED:
        raise UploadError(M("error.ingest.xlsx_huge"))
    try:
        wb = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:  # BadZipFile, InvalidFileException, KeyError, XML errors…
        raise UploadError(M("error.ingest.xlsx_unreadable_kind", kind=type(exc).__name__)) from None
    try:
        ws = wb.worksheets[0] if wb.worksheets else None
        if ws is None:
            raise UploadError(M("error.ingest.no_sheet"))
        rows = []
        for i, cells in enumerate(ws.iter_rows(), start=1):
            check_shape(i, len(cells))
            values = []
            for cell in cells:
                v = getattr(cell, "value", None)
                fmt = getattr(cell, "number_format", "") or ""
                if isinstance(v, (int, float)) and not isinstance(v, bool) and "%" in fmt:
                    v = _Percent(v * 100)
                if isinstance(v, str) and not v.strip():
                    v = None
                values.append(v)
            rows.append((i, values))
        others = [s.title for s in wb.worksheets[1:]]
        warnings = (
            [f"read the first sheet '{ws.title}'; the other sheets ({', '.join(others)}) were not read"]
            if others
            else []
        )
        return Sheet(rows, "xlsx", ws.title, warnings)
    except UploadError:
        raise
    except Exception as exc:  # a damaged sheet is only read here: ParseError, BadZipFile (CRC), zlib…
        raise UploadError(M("error.ingest.xlsx_damaged", kind=type(exc).__name__)) from None
    finally:
        wb.close()


class _Percent(float):
    """A number Excel formats as a percentage (already multiplied by 100)."""


def read_cells(data: bytes, kind: str) -> Sheet:
    """The raw cells of a ``csv`` or ``xlsx`` upload, legacy-font text converted."""
    sheet = _csv_cells(data) if kind == "csv" else _xlsx_cells(data)
    if len(sheet.rows) > MAX_ROWS + 50:
        raise UploadError(M("error.ingest.too_many_rows", max=f"{MAX_ROWS:,}"))
    converted, info = encoding.convert_cells([vals for _, vals in sheet.rows])
    sheet.rows = [(i, vals) for (i, _), vals in zip(sheet.rows, converted)]
    if (w := info.warning()) is not None:
        sheet.warnings.append(w)
    sheet.legacy = info.legacy  # type: ignore[attr-defined]
    return sheet


# ---------------------------------------------------------------- numbers

_THOUSANDS_DOT = re.compile(r"^[+-]?\d{1,3}(\.\d{3})+$")
_THOUSANDS_COMMA = re.compile(r"^[+-]?\d{1,3}(,\d{3})+\.\d+$")
_PLAIN = re.compile(r"^[+-]?(\d+([.,]\d*)?|[.,]\d+)$")


def parse_number(value: object) -> tuple[float | None, bool]:
    """A cell as ``(number, was_percent)``; ``(None, False)`` when empty.

    Vietnamese separators: the dot groups thousands ("1.234" = 1234), the
    comma is the decimal mark ("12,5" = 12.5); "1.234,5" and "1,234.5" are
    both 1234.5.  Raises ``ValueError`` with the reason.

    >>> parse_number("12.5"), parse_number("-3"), parse_number("1 234"), parse_number(None)
    ((12.5, False), (-3.0, False), (1234.0, False), (None, False))
    >>> parse_number("abc")
    Traceback (most recent call last):
    ...
    ValueError: 'abc' is not a number
    """
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None, False
    if isinstance(value, _Percent):
        return float(value), True
    if isinstance(value, bool):
        raise ValueError(M("error.ingest.not_number", got=value))
    if isinstance(value, (int, float)):
        if not math.isfinite(float(value)):
            raise ValueError(M("error.ingest.not_finite", got=value))
        return float(value), False
    if not isinstance(value, str):
        raise ValueError(M("error.ingest.not_number", got=str(value)[:40]))
    raw = value
    text = unicodedata.normalize("NFKC", value).strip().replace("\u2212", "-")
    text = re.sub(r"(?<=\d)[\s\u00a0\u202f](?=\d{3}\b)", "", text)
    percent = text.endswith("%")
    text = text.rstrip("%").strip()
    if not text:
        return None, False
    if "." in text and "," in text:
        if text.rfind(",") > text.rfind("."):  # 1.234,5
            text = text.replace(".", "").replace(",", ".")
        elif _THOUSANDS_COMMA.match(text):  # 1,234.5
            text = text.replace(",", "")
        else:
            raise ValueError(M("error.ingest.not_number", got=raw))
    elif _THOUSANDS_DOT.match(text):  # 1.234 / 1.234.567
        text = text.replace(".", "")
    elif text.count(",") == 1 and "." not in text:  # 12,5
        text = text.replace(",", ".")
    if not _PLAIN.match(text) or text.count(".") > 1 or "," in text:
        raise ValueError(M("error.ingest.not_number", got=raw[:40]))
    number = float(text)
    if not math.isfinite(number):
        raise ValueError(M("error.ingest.not_finite", got=raw[:40]))
    return number, percent


# ---------------------------------------------------------------- columns

YEAR = "year"
# Header keys (geo.units.join.header_key, parentheses removed) → indicator id.
HEADER_ALIASES = {
    "households": [
        "tong_so_ho",
        "so_ho",
        "tong_so_ho_dan",
        "so_ho_dan",
        "tong_ho",
        "ho_dan",
        "tong_so_ho_dan_cu",
        "so_ho_dan_cu",
        "households",
        "total_households",
    ],
    "poor_households": [
        "so_ho_ngheo",
        "ho_ngheo",
        "tong_so_ho_ngheo",
        "so_ho_ngheo_cuoi_nam",
        "poor_households",
        "poor",
    ],
    "near_poor_households": [
        "so_ho_can_ngheo",
        "ho_can_ngheo",
        "tong_so_ho_can_ngheo",
        "so_ho_can_ngheo_cuoi_nam",
        "near_poor_households",
        "near_poor",
    ],
    "poor_rate": [
        "ty_le_ho_ngheo",
        "ti_le_ho_ngheo",
        "ty_le_ngheo",
        "ti_le_ngheo",
        "poor_rate",
        "poverty_rate",
        "ho_ngheo_ty_le",
        "ho_ngheo_pct",
        "poor_households_pct",
    ],
    "near_poor_rate": [
        "ty_le_ho_can_ngheo",
        "ti_le_ho_can_ngheo",
        "ty_le_can_ngheo",
        "ti_le_can_ngheo",
        "near_poor_rate",
        "ho_can_ngheo_ty_le",
        "ho_can_ngheo_pct",
    ],
    YEAR: ["nam", "year", "nam_ra_soat", "nam_danh_gia", "ky_ra_soat"],
}
_IGNORED_HEADERS = {"stt", "tt", "so_tt", "ghi_chu", "note", "notes", "ghichu", "no"}
_TOTAL_NAMES = {
    "tong",
    "tong cong",
    "cong",
    "tong so",
    "toan tinh",
    "toan huyen",
    "ca tinh",
    "total",
    "tong toan tinh",
    "tong toan huyen",
    "cong toan huyen",
    "cong toan tinh",
    "tinh kon tum",
}


def _key(header) -> str:
    text = re.sub(r"\([^)]*\)", " ", str(header))
    key = header_key(text.replace("%", " pct "))
    return key


def alias_table(catalogue: pd.DataFrame | None) -> dict[str, str]:
    """Header key → indicator id (or ``"year"``): the catalogue's ids and names, then the
    hand-made aliases.  Build it once per file and pass it to :func:`indicator_for_header`.

    >>> alias_table(None)["so_ho_ngheo"]
    'poor_households'
    """
    table: dict[str, str] = {}
    if catalogue is not None:
        for row in catalogue.itertuples(index=False):
            for text in (row.id, getattr(row, "name_vi", None), getattr(row, "name_en", None)):
                if isinstance(text, str) and text.strip():
                    table.setdefault(_key(text), row.id)
    for ind, keys in HEADER_ALIASES.items():
        for k in keys:
            table[k] = ind  # the hand-made aliases win over catalogue names
    return table


def indicator_for_header(
    header: object, catalogue: pd.DataFrame | None = None, aliases: Mapping[str, str] | None = None
) -> str | None:
    """The indicator id (or ``"year"``) a column header names, else ``None``; ``aliases`` is
    :func:`alias_table` of ``catalogue``, built once by a caller that asks for many headers.

    >>> indicator_for_header("Tỷ lệ hộ nghèo (%)"), indicator_for_header("Năm"), indicator_for_header("Ghi chú")
    ('poor_rate', 'year', None)
    """
    key = _key(header)
    table = alias_table(catalogue) if aliases is None else aliases
    if key in table:
        return table[key]
    if key.endswith("_pct") and key[:-4] in table:
        ind = table[key[:-4]]
        return {"poor_households": "poor_rate", "near_poor_households": "near_poor_rate"}.get(ind, ind)
    return None


@dataclass
class Columns:
    code: str | None = None
    name: str | None = None
    district: str | None = None
    year: str | None = None
    values: dict[str, str] = field(default_factory=dict)  # column → indicator
    ignored: list[str] = field(default_factory=list)

    def to_dict(self) -> dict:
        return {
            "code": self.code,
            "name": self.name,
            "district": self.district,
            "year": self.year,
            "values": dict(self.values),
            "ignored": list(self.ignored),
        }


def _unit_columns(headers: list[str], level: str) -> dict[str, str | None]:
    keys: dict[str, str] = {}
    for h in headers:
        keys.setdefault(header_key(h), h)

    def find(wanted, skip=()):
        return next((keys[w] for w in wanted if w in keys and keys[w] not in skip), None)

    code = find(CODE_COLUMNS[level])
    name = find(NAME_COLUMNS[level], (code,))
    district = find(DISTRICT_COLUMNS, (code, name)) if level == "commune" else None
    return {"code": code, "name": name, "district": district}


def map_columns(headers: list[str], level: str, catalogue: pd.DataFrame | None) -> tuple[Columns, list[Problem]]:
    units = _unit_columns(headers, level)
    cols = Columns(**units)
    problems: list[Problem] = []
    taken = {c for c in units.values() if c}
    aliases = alias_table(catalogue)
    for h in headers:
        if h in taken:
            continue
        ind = indicator_for_header(h, aliases=aliases)
        if ind == YEAR:
            if cols.year is None:
                cols.year = h
            else:
                problems.append(Problem("error", M("error.ingest.two_year_columns", a=cols.year, b=h), column=h))
        elif ind is not None:
            other = next((c for c, i in cols.values.items() if i == ind), None)
            if other is not None:
                problems.append(Problem("error", M("error.ingest.same_indicator", a=other, b=h, ind=ind), column=h))
            else:
                cols.values[h] = ind
        else:
            cols.ignored.append(h)
    if cols.code is None and cols.name is None:
        mid = "error.ingest.no_unit_column_district" if level == "district" else "error.ingest.no_unit_column_commune"
        problems.append(Problem("error", M(mid, columns=", ".join(headers))))
    if not cols.values:
        problems.append(Problem("error", M("error.ingest.no_value_column", columns=", ".join(headers))))
    real_ignored = [c for c in cols.ignored if _key(c) not in _IGNORED_HEADERS and not c.startswith("column_")]
    if real_ignored:
        problems.append(Problem("warning", M("error.ingest.ignored_columns", columns=", ".join(real_ignored))))
    return cols, problems


def _find_header(rows: list[tuple[int, list]], level: str, catalogue) -> int:
    """Index (in ``rows``) of the header row: the first with a unit column and a value column."""
    aliases = alias_table(catalogue)
    for idx, (_, vals) in enumerate(rows[:30]):
        headers = [str(v) for v in vals if v is not None]
        units = _unit_columns(headers, level)
        if (units["code"] or units["name"]) and any(
            indicator_for_header(h, aliases=aliases) not in (None, YEAR) for h in headers
        ):
            return idx
    return 0


def _table(sheet: Sheet, level: str, catalogue) -> tuple[pd.DataFrame, list[str], list[Problem]]:
    problems: list[Problem] = []
    rows = [(i, vals) for i, vals in sheet.rows if any(v is not None for v in vals)]
    if not rows:
        raise UploadError(M("error.ingest.no_header"))
    h = _find_header(rows, level, catalogue)
    if h:
        problems.append(
            Problem(
                "warning",
                M("error.ingest.title_rows", first=rows[0][0], last=rows[h - 1][0], header=rows[h][0]),
            )
        )
    header, body = rows[h][1], rows[h + 1 :]
    if not body:
        raise UploadError(M("error.ingest.no_rows"))
    width = max(len(v) for _, v in rows[h:])
    names: list[str] = []
    for j in range(width):
        raw = header[j] if j < len(header) else None
        name = f"column_{j + 1}" if raw is None else " ".join(str(raw).split())
        while name in names:
            name += "_2"
        names.append(name)
    data = [vals + [None] * (width - len(vals)) for _, vals in body]
    df = pd.DataFrame(data, columns=names, index=pd.Index([i for i, _ in body], name="row"), dtype=object)
    empty_generated = [n for n in names if n.startswith("column_") and df[n].isna().all()]
    df = df.drop(columns=empty_generated)
    return df, list(df.columns), problems


# ---------------------------------------------------------------- catalogue and current data

_FALLBACK_CATALOGUE = pd.DataFrame(
    {
        "id": ["households", "poor_households", "near_poor_households", "poor_rate", "near_poor_rate"],
        "name_vi": ["Số hộ dân", "Số hộ nghèo", "Số hộ cận nghèo", "Tỷ lệ hộ nghèo", "Tỷ lệ hộ cận nghèo"],
        "name_en": ["Households", "Poor households", "Near-poor households", "Poverty rate", "Near-poverty rate"],
        "unit": ["households", "households", "households", "%", "%"],
        "kind": ["count", "count", "count", "rate", "rate"],
        "standard": ["", "per observation", "per observation", "per observation", "per observation"],
    }
)


def _served() -> Path:
    path = paths.gpkg_path()
    if not path.is_file():
        raise UploadError(
            f"the dataset is not built ({path.name} missing): run `python -m geo build`", 503, "ServiceUnavailable"
        )
    return path


def load_context() -> tuple[pd.DataFrame, pd.DataFrame]:
    """The served catalogue and observations (what the map shows now)."""
    if (db := versions.database()) is not None:  # DATABASE_URL: the database's current version
        try:
            try:
                cat = db.read_layer("catalogue")
            except KeyError:
                cat = _FALLBACK_CATALOGUE.copy()
            return cat, db.read_layer("observations")
        except BackendError as exc:
            raise UploadError(str(exc), 503, "ServiceUnavailable") from None
    path = _served()
    try:
        cat = storage.read_layer("catalogue", path)
    except KeyError:
        cat = _FALLBACK_CATALOGUE.copy()
    obs = storage.read_layer("observations", path)
    return cat, obs


def _needs_standard(info: dict) -> bool:
    return bool(str(info.get("standard") or "").strip())


def resolve_standard(value: str | None) -> tuple[str | None, str | None]:
    """``(key, label)`` of a declared standard ("2016-2020" or its full label), or (None, None)."""
    if value is None or not str(value).strip():
        return None, None
    text = str(value).strip()
    for key, (label, _) in STANDARDS.items():
        if text in (key, label) or text.replace("–", "-").replace(" ", "") == key or fold(text) == fold(label):
            return key, label
    raise UploadError(M("error.ingest.unknown_standard", got=text, expected=", ".join(STANDARDS)))


# ---------------------------------------------------------------- the preview


@dataclass
class Preview:
    """Everything a planner sees before committing (see the module doc)."""

    filename: str
    sha256: str
    size: int
    file_type: str
    level: str
    standard: str | None
    status: str
    note: str
    who: str
    encoding: str = ""
    sheet: str = ""
    years: list[int] = field(default_factory=list)
    columns: Columns = field(default_factory=Columns)
    problems: list[Problem] = field(default_factory=list)
    join: dict = field(default_factory=dict)
    changes: list[dict] = field(default_factory=list)
    unchanged: int = 0
    observations: pd.DataFrame = field(default_factory=pd.DataFrame)
    id: str | None = None
    expires: str | None = None
    confirm_rows: tuple[int, ...] = ()  # rows the uploader confirmed (code and name of different units)
    confirmed_rows: list[int] = field(default_factory=list)  # of those, the rows that had a conflict

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "error"]

    @property
    def warnings(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "warning"]

    @property
    def ok(self) -> bool:
        return not self.errors and not self.observations.empty

    def counts(self) -> dict:
        obs = self.observations
        return {
            "rows": int(sum(r.get("rows", 0) for r in self.join.values())),
            "observations": int(len(obs)),
            "units": int(obs["gso_code"].nunique()) if len(obs) else 0,
            "indicators": sorted(obs["indicator"].unique().tolist()) if len(obs) else [],
            "changed": len(self.changes),
            "unchanged": self.unchanged,
            "replaces_synthetic": sum(c["old_status"] == "synthetic" for c in self.changes),
            "errors": len(self.errors),
            "warnings": len(self.warnings),
        }

    def to_dict(self, lang: str = "en") -> dict:
        """The preview as JSON, its findings in ``lang``."""
        label = STANDARDS[self.standard][0] if self.standard else None
        return {
            "id": self.id,
            "expires": self.expires,
            "ok": self.ok,
            "file": {
                "name": self.filename,
                "size": self.size,
                "sha256": self.sha256,
                "type": self.file_type,
                "encoding": self.encoding,
                "sheet": self.sheet,
            },
            "level": self.level,
            "standard": self.standard,
            "standard_label": label,
            "years": self.years,
            "status": self.status,
            "note": self.note,
            "who": self.who,
            "columns": self.columns.to_dict(),
            "counts": self.counts(),
            "errors": [p.to_dict(lang) for p in sorted(self.errors, key=_by_row)],
            "warnings": [p.to_dict(lang) for p in sorted(self.warnings, key=_by_row)],
            "join": {str(y): r for y, r in self.join.items()},
            "changes": self.changes,
            "confirm_rows": list(self.confirm_rows),
            "confirmed_rows": list(self.confirmed_rows),
        }

    def to_text(self, limit: int = 40) -> str:
        c = self.counts()
        lines = [
            f"{self.filename}: {self.file_type} ({self.encoding or '-'}), sha256 {self.sha256[:16]}…, "
            f"level {self.level}, years {', '.join(map(str, self.years)) or '-'}, "
            f"standard {self.standard or '-'}, status {self.status}",
            f"  {c['observations']} values for {c['units']} units; {c['changed']} would change "
            f"({c['replaces_synthetic']} replace demo values), {c['unchanged']} unchanged; "
            f"{c['errors']} errors, {c['warnings']} warnings",
        ]
        for year, rep in self.join.items():
            n = rep["counts"]
            lines.append(
                f"  join {year}: {n['matched_by_code']} by code, {n['matched_by_name']} by name, "
                f"{n['ambiguous']} ambiguous, {n['unmatched']} unmatched, {n['duplicates']} duplicates, "
                f"{n['units_without_data']} of {rep['units']} units without data"
            )
        if self.confirmed_rows:
            lines.append(
                "  confirmed rows (code and name of different units): " + ", ".join(map(str, self.confirmed_rows))
            )
        for p in sorted(self.problems, key=lambda p: (p.severity != "error", *_by_row(p))):
            lines.append("  " + p.line())
        if self.changes:
            lines.append("  changes (old → new):")
            for ch in self.changes[:limit]:
                old = "—" if ch["old"] is None else f"{ch['old']:g} ({ch['old_status']})"
                lines.append(
                    f"    row {ch['row']}: {ch['gso_code']} {ch['unit_name']} {ch['indicator']} "
                    f"{ch['year']}: {old} → {ch['new']:g} ({ch['status']})"
                )
            if len(self.changes) > limit:
                lines.append(f"    … and {len(self.changes) - limit} more")
        return "\n".join(lines)


def _by_row(p: Problem) -> tuple:
    return (p.row is not None, p.row or 0)


def _rate_ok(info: dict) -> bool:
    return str(info.get("unit")) == "%"


def _check_value(ind: str, info: dict, value: float, percent: bool) -> Message | None:
    kind, unit = str(info.get("kind", "")), str(info.get("unit", ""))
    if percent and unit != "%":
        return M("error.ingest.percent_not_rate", value=f"{value:g}", ind=ind, unit=unit or "units")
    if unit == "%":
        if not 0 <= value <= 100:
            return M("error.ingest.outside_percent", value=f"{value:g}")
        return None
    if kind == "flag":
        return None if value in (0, 1) else M("error.ingest.not_flag", value=f"{value:g}")
    if kind == "count" or unit in ("households", "persons", "count"):
        if value < 0:
            return M("error.ingest.negative", value=f"{value:g}")
        if not float(value).is_integer():
            return M("error.ingest.not_whole", value=f"{value:g}")
        return None
    if unit == "pp":
        return None
    if value < 0:
        return M("error.ingest.negative", value=f"{value:g}")
    return None


def _parse_year(value) -> int:
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        if float(value).is_integer():
            return int(value)
        raise ValueError(M("error.ingest.not_year", got=value))
    text = str(value).strip()
    m = re.fullmatch(r"(?:năm|nam|cuối năm|cuoi nam|end-?)?\s*(\d{4})(?:\.0+)?", text, re.IGNORECASE)
    if not m:
        raise ValueError(M("error.ingest.not_year", got=text[:20]))
    return int(m.group(1))


def _year_problem(year: int, standard: str | None, needs_standard: bool) -> Message | None:
    if not YEAR_MIN <= year <= YEAR_MAX:
        return M("error.ingest.year_outside", year=year, low=YEAR_MIN, high=YEAR_MAX)
    if needs_standard and standard:
        label, years = STANDARDS[standard]
        if year not in years:
            return M("error.ingest.year_standard", year=year, standard=standard, first=years.start, last=years.stop - 1)
    return None


def _second_try(table: pd.DataFrame, level: str, cat, legacy: str) -> tuple[pd.DataFrame, list[str], list[str]]:
    """In a legacy-font file, convert the headers and unit names that only make sense converted."""
    from geo.units.names import NameIndex

    aliases = alias_table(cat)

    def known(header: str) -> bool:
        return indicator_for_header(header, aliases=aliases) is not None or any(_unit_columns([header], level).values())

    fixed: list[str] = []
    rename = {}
    for h in table.columns:
        forced = encoding.force_to_unicode(h, legacy)
        if forced != h and not known(h) and known(forced):
            rename[h] = forced
            fixed.append(f"'{h}' → '{forced}'")
    table = table.rename(columns=rename)
    units = _unit_columns(list(table.columns), level)
    for role in ("name", "district"):
        col = units.get(role)
        if not col:
            continue
        idx = NameIndex.load(level if role == "name" else "district")
        for row, value in table[col].items():
            forced = encoding.force_to_unicode(value, legacy) if isinstance(value, str) else value
            if forced == value or idx.match(value).matched or not idx.match(forced).matched:
                continue
            table.at[row, col] = forced
            fixed.append(f"'{value}' → '{forced}'")
    return table, list(table.columns), fixed


def _is_total(name) -> bool:
    text = clean_text(name)
    return bool(text) and fold(text) in _TOTAL_NAMES


def _source(note: str, filename: str, sha256: str, who: str, when: dt.date) -> str:
    head = note.strip() or "Kết quả rà soát tải lên / uploaded review results"
    return f"{head} — tệp/file {filename}, sha256 {sha256[:16]}, tải lên/uploaded {when.isoformat()} by {who}"


def preview(
    data: bytes,
    filename: str = "upload.csv",
    *,
    year: int | None = None,
    standard: str | None = None,
    level: str = "commune",
    status: str = "official",
    note: str = "",
    who: str = "cli",
    context: tuple[pd.DataFrame, pd.DataFrame] | None = None,
    today: dt.date | None = None,
    confirm_rows: object = (),
) -> Preview:
    """Read and validate an upload; return the :class:`Preview` (writes nothing).

    Raises :class:`UploadError` when the file cannot be read at all (wrong
    type, empty, too large, undecodable, bad parameters); row-level problems
    are listed in the preview instead.  ``confirm_rows`` (row numbers, or
    text like "4,7") are the rows whose code/name conflict the uploader confirms.
    """
    try:
        confirm = row_numbers(confirm_rows)
    except ValueError as exc:
        raise UploadError(M("error.ingest.confirm_rows", reason=str(exc))) from None
    if level not in LEVELS:
        raise UploadError(M("error.ingest.unknown_level", got=level, expected=", ".join(LEVELS)))
    if status not in STATUSES:
        raise UploadError(M("error.ingest.unknown_status", got=status, expected=", ".join(STATUSES)))
    note = " ".join(str(note or "").split())[:500]
    std_key, std_label = resolve_standard(standard)
    if year is not None:
        try:
            year = _parse_year(year)
        except ValueError as exc:
            raise UploadError(_reason(exc)) from None
        if (msg := _year_problem(year, None, False)) is not None:
            raise UploadError(msg)
    kind = sniff(data, filename)
    sha = hashlib.sha256(data).hexdigest()
    sheet = read_cells(data, kind)
    cat, obs_now = context if context is not None else load_context()
    catalogue = cat.set_index("id").to_dict("index") if len(cat) else {}
    table, headers, problems = _table(sheet, level, cat)
    problems = [Problem("warning", w) for w in sheet.warnings] + problems
    legacy = getattr(sheet, "legacy", None)
    if legacy:
        table, headers, fixed = _second_try(table, level, cat, legacy)
        if fixed:
            problems.append(
                Problem(
                    "warning",
                    f"also read as {encoding.LEGACY_NAMES[legacy]} because "
                    "that made them known headers or unit names: "
                    + "; ".join(fixed[:5])
                    + ("…" if len(fixed) > 5 else ""),
                )
            )
    cols, col_problems = map_columns(headers, level, cat)
    problems += col_problems
    pv = Preview(
        filename,
        sha,
        len(data),
        kind,
        level,
        std_key,
        status,
        note,
        who,
        sheet.encoding,
        sheet.sheet,
        columns=cols,
        confirm_rows=confirm,
    )
    if any(p.severity == "error" for p in col_problems):
        pv.problems = problems
        return pv
    values_cols = {c: i for c, i in cols.values.items() if i in catalogue or i in HEADER_ALIASES}
    unknown = [i for i in cols.values.values() if i not in catalogue]
    if unknown:
        problems.append(Problem("error", M("error.ingest.unknown_indicators", ids=", ".join(sorted(set(unknown))))))
    poverty = [i for i in values_cols.values() if _needs_standard(catalogue.get(i, {}))]
    if poverty and std_key is None:
        problems.append(Problem("error", M("error.ingest.declare_standard", ids=", ".join(sorted(set(poverty))))))
    if cols.year is None and year is None:
        problems.append(Problem("error", M("error.ingest.no_year")))

    # ---- rows: year, totals, numbers
    parsed: dict[int, dict] = {}  # row → {"year", "values": {ind: (value, percent)}}
    unit_cells = [c for c in (cols.code, cols.name, cols.district) if c]
    for row, rec in table.iterrows():
        code = rec[cols.code] if cols.code else None
        total = next((rec[c] for c in unit_cells if _is_total(rec[c])), None)
        if total is not None and not str(clean_code(code) or "").isdigit():
            problems.append(Problem("warning", M("error.ingest.total_row", text=clean_text(total)), row))
            continue
        if all(rec[c] is None for c in values_cols) and all(rec[c] is None for c in unit_cells):
            continue
        row_year = year
        if cols.year and rec[cols.year] is not None:
            try:
                row_year = _parse_year(rec[cols.year])
            except ValueError as exc:
                problems.append(Problem("error", _reason(exc), row, cols.year))
                continue
        if row_year is None:
            problems.append(Problem("error", M("error.ingest.no_year_in_row"), row, cols.year))
            continue
        if (msg := _year_problem(row_year, std_key, False)) is not None:
            problems.append(Problem("error", msg, row, cols.year))
            continue
        vals: dict[str, tuple[float, bool]] = {}
        bad = False
        for col, ind in values_cols.items():
            try:
                number, percent = parse_number(rec[col])
            except ValueError as exc:
                problems.append(Problem("error", _reason(exc), row, col))
                bad = True
                continue
            if number is None:
                continue
            info = catalogue.get(ind, {})
            if (msg := _check_value(ind, info, number, percent)) is not None:
                if _THOUSANDS_DOT.match(str(rec[col]).strip()) and _rate_ok(info):
                    msg = M("error.ingest.thousands_dot", reason=msg)
                problems.append(Problem("error", msg, row, col))
                bad = True
                continue
            if _needs_standard(info) and std_key and (m := _year_problem(row_year, std_key, True)):
                problems.append(Problem("error", m, row, col))
                bad = True
                continue
            vals[ind] = (number, percent)
        if not vals and not bad:
            problems.append(Problem("warning", M("error.ingest.no_values_in_row"), row))
            continue
        cross = _cross_checks(row, vals, values_cols)
        bad = bad or any(p.severity == "error" for p in cross)
        parsed[row] = {"year": row_year, "values": vals, "bad": bad}
        problems += cross

    # ---- join, per year (a unit may appear once per year)
    matched: dict[int, tuple[str, str]] = {}
    by_year: dict[int, list[int]] = {}
    for row, p in parsed.items():
        by_year.setdefault(p["year"], []).append(row)
    for y in sorted(by_year):
        sub = table.loc[by_year[y], unit_cells]
        try:
            result = join_table(sub, level, cols.code, cols.name, cols.district, confirm_rows=confirm)
        except ValueError as exc:
            raise UploadError(str(exc)) from None
        rep = result.report
        pv.join[y] = rep.to_dict()
        pv.confirmed_rows += rep.confirmed_rows
        problems += _vintage_problems(rep)
        for m in rep.matched_by_code + rep.matched_by_name:
            matched[m.row] = (m.code, m.unit_name)
            if m.method in ("folded", "former"):
                problems.append(
                    Problem(
                        "warning",
                        M(f"error.ingest.matched_{m.method}", name=m.name, code=m.code, unit=m.unit_name),
                        m.row,
                    )
                )
        for a in rep.ambiguous:
            cands = "; ".join(f"{c} {rep.labels.get(c, '?')}" for c in a.candidates)
            problems.append(Problem("error", M("error.ingest.ambiguous", name=a.name, candidates=cands), a.row))
        for u in rep.unmatched:
            problems.append(Problem("error", _unmatched_message(u, rep), u.row))
        other_level = [u.row for u in rep.unmatched if u.reason == "other_level"]
        for d in rep.duplicates:
            problems.append(
                Problem(
                    "error",
                    M(
                        "error.ingest.duplicate_year" if cols.year else "error.ingest.duplicate",
                        code=d.code,
                        unit=rep.labels.get(d.code, "?"),
                        first=d.first_row,
                        year=y,
                    ),
                    d.row,
                )
            )
        for c in rep.code_name_conflicts:
            problems.append(_conflict_problem(c, rep))
        if other_level and level == "commune":
            rows = ", ".join(map(str, other_level[:10]))
            problems.append(Problem("warning", M("error.ingest.rows_of_2025", n=len(other_level), rows=rows)))
    pv.years = sorted(by_year)
    for row in confirm:
        if row not in pv.confirmed_rows:
            mid = "error.ingest.confirmed_no_conflict" if row in table.index else "error.ingest.confirmed_not_data_row"
            problems.append(Problem("error", M(mid), row))

    # ---- observation rows, derived rates, changes
    when = today or dt.date.today()
    source = _source(note, filename, sha, who, when)
    rows_out = []
    for row, p in sorted(parsed.items()):
        if row not in matched or p["bad"]:
            continue
        code, unit_name = matched[row]
        vals = {k: v[0] for k, v in p["values"].items()}
        confirmed = " (code/name conflict confirmed by the uploader)" if row in pv.confirmed_rows else ""
        for ind, value in vals.items():
            if _needs_standard(catalogue.get(ind, {})) and not std_label:
                continue  # reported above: the standard must be declared
            rows_out.append(
                _obs_row(
                    level,
                    code,
                    unit_name,
                    ind,
                    p["year"],
                    value,
                    catalogue,
                    std_label,
                    status,
                    source,
                    f"upload: {filename} row {row}{confirmed}",
                    row,
                )
            )
        for rate, count in (("poor_rate", "poor_households"), ("near_poor_rate", "near_poor_households")):
            if rate not in vals and count in vals and vals.get("households") and rate in catalogue and std_label:
                value = round(100.0 * vals[count] / vals["households"], 4)
                rows_out.append(
                    _obs_row(
                        level,
                        code,
                        unit_name,
                        rate,
                        p["year"],
                        value,
                        catalogue,
                        std_label,
                        status,
                        f"{source}; computed: {count} ÷ households × 100",
                        f"upload: {filename} row {row} (rate computed from the counts){confirmed}",
                        row,
                    )
                )
    if rows_out:
        pv.observations = pd.DataFrame(rows_out)
        pv.changes, pv.unchanged = _changes(pv.observations, obs_now, level)
    elif not any(p.severity == "error" for p in problems):
        problems.append(Problem("error", M("error.ingest.nothing_to_import")))
    pv.problems = problems
    return pv


def _conflict_problem(c, rep: JoinReport) -> Problem:
    """A code/name conflict: an error when they name different units and the row is not confirmed."""
    if c.kind == "mismatch":
        if c.name_others:
            now = tuple(dict.fromkeys(x for o in c.name_others for x in rep.now.get(o, ())))
            other = rep.other_level_text(now, c.name_others)
        elif c.name_code:
            other = f"{c.name_code} {rep.labels.get(c.name_code, '?')}"
        else:
            other = M("error.ingest.several_units")
        what = M("error.ingest.code_name_mismatch", code=c.code, unit=c.code_unit, name=c.name, other=other)
        if c.confirmed:
            return Problem("warning", M("error.ingest.confirmed_joined_on", what=what, used=c.used), c.row)
        return Problem("error", M("error.ingest.mismatch_unconfirmed", what=what, row=c.row, used=c.used), c.row)
    other = f"{c.name_code} {rep.labels.get(c.name_code, '?')}" if c.name_code else M("error.ingest.no_unique_unit")
    what = (
        M("error.ingest.code_name_conflict", code=c.code, unit=c.code_unit, name=c.name, other=other)
        if c.code_unit
        else M("error.ingest.unknown_code_by_name", code=c.code, name=c.name)
    )
    return Problem("warning", M("error.ingest.joined_on", what=what, used=c.used), c.row)


def _vintage_problems(rep: JoinReport) -> list[Problem]:
    """At level commune_2025, a warning for each row whose name is also a 2020 commune's elsewhere."""
    out = []
    for n in rep.namesakes:
        now = tuple(dict.fromkeys(c for o in n.namesakes for c in rep.now.get(o, ())))
        other = rep.other_level_text(now, n.namesakes)
        label = rep.labels.get(n.code, "?")
        out.append(
            Problem(
                "warning", M("error.ingest.namesake_2025", name=n.name, code=n.code, label=label, other=other), n.row
            )
        )
    return out


def _reason(exc: Exception) -> Message | str:
    """The message an exception carries (a :class:`Message` when it has one)."""
    return exc.args[0] if exc.args and isinstance(exc.args[0], Message) else str(exc)


def _unmatched_message(u, rep) -> Message:
    name = u.name or ""
    if u.reason == "other_level":
        other = u.detail
        text = rep.other_level_text(tuple(u.elsewhere), tuple(u.others))
        vintage = "2020" if other == "commune" else "2025"
        return M("error.ingest.other_level", name=name, other=text, vintage=vintage, level=other)
    if u.reason == "empty":
        return M("error.ingest.no_code_no_name")
    if u.reason == "unknown_code":
        return M("error.ingest.unknown_code", code=u.detail)
    if u.reason == "unknown_district":
        return M("error.ingest.unknown_district", name=name, district=u.detail)
    if u.reason == "not_in_district":
        where = "; ".join(f"{c} {rep.labels.get(c, '?')}" for c in u.elsewhere)
        district = rep.labels.get(f"district:{u.detail}", u.detail)
        return M("error.ingest.not_in_district", name=name, district=district, where=where)
    return M("error.ingest.no_such_name", name=name)


def _obs_row(level, code, unit_name, ind, year, value, catalogue, std_label, status, source, note, row) -> dict:
    info = catalogue.get(ind, {})
    return {
        "unit_level": level,
        "gso_code": code,
        "unit_name": unit_name,
        "indicator": ind,
        "year": int(year),
        "period": str(year),
        "qualifier": "=",
        "value": float(value),
        "unit": str(info.get("unit") or ""),
        "standard": std_label if _needs_standard(info) else "",
        "status": status,
        "source": source,
        "note": note,
        "src_row": row,
    }


def _cross_checks(row: int, vals: dict, values_cols: dict) -> list[Problem]:
    out = []
    col = {ind: c for c, ind in values_cols.items()}
    hh = vals.get("households", (None,))[0]
    poor = vals.get("poor_households", (None,))[0]
    near = vals.get("near_poor_households", (None,))[0]
    if hh is not None and poor is not None and poor > hh:
        out.append(
            Problem(
                "error", M("error.ingest.poor_gt_hh", poor=f"{poor:g}", hh=f"{hh:g}"), row, col.get("poor_households")
            )
        )
    if hh is not None and near is not None and near > hh:
        out.append(
            Problem(
                "error",
                M("error.ingest.near_gt_hh", near=f"{near:g}", hh=f"{hh:g}"),
                row,
                col.get("near_poor_households"),
            )
        )
    elif hh is not None and poor is not None and near is not None and poor <= hh and poor + near > hh:
        out.append(
            Problem(
                "error",
                M("error.ingest.both_gt_hh", sum=f"{poor + near:g}", hh=f"{hh:g}"),
                row,
                col.get("near_poor_households"),
            )
        )
    for rate, count in (("poor_rate", poor), ("near_poor_rate", near)):
        r = vals.get(rate, (None,))[0]
        if r is not None and count is not None and hh:
            computed = 100.0 * count / hh
            if abs(computed - r) > 0.11:
                out.append(
                    Problem(
                        "warning",
                        M(
                            "error.ingest.rate_differs",
                            rate=rate,
                            value=f"{r:g}",
                            count=rate.replace("_rate", ""),
                            computed=f"{computed:.2f}",
                        ),
                        row,
                        col.get(rate),
                    )
                )
    pr, nr = vals.get("poor_rate", (None,))[0], vals.get("near_poor_rate", (None,))[0]
    if pr is not None and nr is not None and pr + nr > 100:
        out.append(Problem("error", M("error.ingest.rates_gt_100", sum=f"{pr + nr:g}"), row, col.get("near_poor_rate")))
    return out


def _changes(new: pd.DataFrame, obs: pd.DataFrame, level: str) -> tuple[list[dict], int]:
    changes, unchanged = [], 0
    for (ind, year, std), grp in new.groupby(["indicator", "year", "standard"], sort=False):
        old = indicators.values(obs, ind, level, int(year), standard=std or None).set_index("gso_code")
        for r in grp.itertuples(index=False):
            o = old.loc[r.gso_code] if r.gso_code in old.index else None
            old_value = None if o is None or pd.isna(o["value"]) else float(o["value"])
            old_status = None if o is None else str(o["status"])
            if old_value is not None and abs(old_value - r.value) < 1e-9 and old_status == r.status:
                unchanged += 1
                continue
            changes.append(
                {
                    "row": int(r.src_row),
                    "gso_code": r.gso_code,
                    "unit_name": r.unit_name,
                    "indicator": ind,
                    "year": int(year),
                    "old": old_value,
                    "old_status": old_status,
                    "old_source": None if o is None else str(o["source"])[:200],
                    "new": float(r.value),
                    "status": r.status,
                }
            )
    changes.sort(key=lambda c: (c["row"], c["indicator"]))
    return changes, unchanged


# ---------------------------------------------------------------- committing


#: How many changes (old → new) a version's manifest keeps.
MANIFEST_CHANGES = 2000


def commit_preview(pv: Preview, data: bytes, who: str, where: versions.Store | None = None) -> versions.Version:
    """Turn a clean preview into a new dataset version of ``where`` (default: the versions the
    settings in force name, :func:`geo.uploads.versions.store`) and make it current."""
    if not pv.ok:
        first = pv.errors[0].line() if pv.errors else "no values to import"
        raise UploadError(f"the upload has {len(pv.errors)} problems and was not committed ({first})")
    rows = versions.normalise_observations(pv.observations.drop(columns=["src_row"], errors="ignore"))
    payload = {versions.OBSERVATIONS: rows.to_csv(index=False).encode("utf-8"), f"source.{pv.file_type}": data}
    c = pv.counts()
    info = {
        "who": who,
        "note": pv.note,
        "source_file": pv.filename,
        "sha256": pv.sha256,
        "size": pv.size,
        "file_type": pv.file_type,
        "encoding": pv.encoding,
        "level": pv.level,
        "years": pv.years,
        "standard": pv.standard,
        "status": pv.status,
        "previewed_by": pv.who,
        "confirmed_rows": list(pv.confirmed_rows),
        "counts": {
            "rows": c["rows"],
            "observations": c["observations"],
            "units": c["units"],
            "indicators": c["indicators"],
            "changed": c["changed"],
            "replaces_synthetic": c["replaces_synthetic"],
            "warnings": c["warnings"],
        },
        # what the version changed, old → new (the upload page's per-version diff); the count above keeps the total
        "changes": pv.changes[:MANIFEST_CHANGES],
    }
    try:
        return versions.create_version("observations", payload, info, new_rows=rows, where=where)
    except versions.VersionError as exc:
        raise UploadError(str(exc), 503 if "python -m geo build" in str(exc) else 409, "Conflict") from None
    except BackendError as exc:  # DATABASE_URL: the database is unreachable; nothing was written
        raise UploadError(str(exc), 503, "ServiceUnavailable") from None
    except OSError as exc:  # a full disk (or another write failure) in the state folder
        raise disk_full_error(exc) from exc


# ---------------------------------------------------------------- CLI


def _cmd_ingest(args) -> int:
    return run_cli(
        args,
        lambda data, name: preview(
            data,
            name,
            year=args.year,
            standard=args.standard,
            level=args.level,
            status=args.status,
            note=args.note or "",
            who=args.who,
            confirm_rows=args.confirm_rows,
        ),
        commit_preview,
        lambda pv, v: (
            f"version {v.number} is now current: {pv.counts()['observations']} values for "
            f"{pv.counts()['units']} units ({v.gpkg})"
        ),
    )


def register(sub: Any) -> None:  # sub: argparse add_subparsers() action (its class is private)
    p = sub.add_parser(
        "ingest",
        help="validate an official table (CSV/XLSX) and make it a new dataset version",
        description="Read FILE (CSV or XLSX: unit name and/or GSO code, figures as columns), print the join "
        "report, every problem with its row number and the values that would change; unless "
        "--dry-run, commit it as a new dataset version. Exit 2 (nothing written) on any error.",
    )
    p.add_argument("file")
    p.add_argument("--year", type=int, help="the review year (else a 'Năm' column)")
    p.add_argument("--standard", help="poverty standard: " + " or ".join(STANDARDS))
    p.add_argument("--level", choices=LEVELS, default="commune")
    p.add_argument(
        "--confirm-rows",
        type=rows_argument,
        default=(),
        metavar="ROWS",
        help="rows (spreadsheet numbers, e.g. 4,7) whose code and name point at different units, "
        "confirmed by you: they are joined on their code (otherwise nothing is written)",
    )
    p.add_argument("--status", choices=STATUSES, default="official")
    p.add_argument("--note", help="source note: who published the figures, document number, date")
    p.add_argument("--who", default=settings.active().user, help="who uploads (recorded)")
    p.add_argument("--dry-run", action="store_true", help="preview only; write nothing")
    p.add_argument("--json", action="store_true", help="print the preview as JSON")
    p.set_defaults(func=_cmd_ingest)
    versions.register(sub)
