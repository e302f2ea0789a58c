"""A table as the annex (phụ lục) of a provincial report: one XLSX sheet a report can print.

The plain data sheet of an export (:mod:`geo.io.export`) is for machines; the
annex is for people.  It has:

- a title block: title, the level of the units, the unit of measure of each
  figure (đơn vị tính), the year(s), the poverty standard(s), where the
  sources are, and the "dữ liệu minh họa / demo data" warning when any value
  is synthetic;
- Vietnamese column labels with their units (English with ``lang="en"``):
  the indicator names come from the catalogue (:func:`labels_from_catalogue`);
- rows grouped by district (or by 2025 commune) with a subtotal row per group
  and a province total: counts, households and money are summed, a ratio
  column (million VND per poor household) is recomputed from its sums, rates
  are not summed (a sum of rates means nothing);
- every number kept as a number, shown the Vietnamese way by the cell's
  number format: ``[$-42A]#,##0.0`` (the Vietnamese locale, LCID 0x042A),
  which Excel and LibreOffice show as ``1.234,5`` under Vietnamese settings;
- the sources, the synthetic note and how the file was made, below the table.

:func:`annex_rows` builds the annex as plain rows (testable without a
workbook); :func:`write_annex` writes them onto an ``openpyxl`` worksheet.

Example
-------
>>> import pandas as pd
>>> t = pd.DataFrame({"gso_code": ["1", "2", "3"], "name": ["Xã A", "Xã B", "Xã C"],
...                   "district_code": ["601", "601", "602"], "district_name": ["Huyện X", "Huyện X", "Huyện Y"],
...                   "poor_households": [10, 5, 7], "poor_households_status": ["official"] * 3})
>>> a = annex_rows(t, {"title": "Hộ nghèo"}, {"poor_households": {"name_vi": "Số hộ nghèo", "unit": "households"}})
>>> [c.label for c in a.columns][:4]
['STT', 'Mã đơn vị', 'Tên đơn vị', 'Số hộ nghèo (hộ)']
>>> [(r.kind, r.values[3]) for r in a.body]
[('group', None), ('unit', 10), ('unit', 5), ('subtotal', 15), ('group', None), ('unit', 7), ('subtotal', 7), ('total', 22)]
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from geo import messages

SHEET_ANNEX = "phu_luc_annex"
LOCALE_VI = "[$-42A]"  # Vietnamese (Vietnam), LCID 0x042A
NUMBER_FORMATS = {
    0: LOCALE_VI + "#,##0",
    1: LOCALE_VI + "#,##0.0",
    2: LOCALE_VI + "#,##0.00",
    3: LOCALE_VI + "#,##0.000",
}

#: Kinds of figure a subtotal adds up (catalogue ``kind``), and units that add up.
ADDITIVE_KINDS = ("count", "amount")
ADDITIVE_UNITS = ("households", "persons", "count", "million VND", "km", "km²", "ha")


TEXTS = {lang: messages.tree("annex", lang) for lang in messages.LANGS}  # the catalogue's ``annex`` words
#: Units of measure and data statuses in each language (catalogue units are English words).
UNITS = {lang: messages.section("unit", lang) for lang in messages.LANGS}
STATUS = {lang: messages.section("status", lang) for lang in messages.LANGS}

#: Columns the annex knows by name: (vi, en, unit, decimals, total).
KNOWN: dict[str, tuple[str, str, str, int, str]] = {
    "gso_code": ("Mã đơn vị", "Code", "", 0, ""),
    "name": ("Tên đơn vị", "Name", "", 0, ""),
    "name_vi": ("Tên", "Name", "", 0, ""),
    "rank": ("Thứ hạng", "Rank", "", 0, ""),
    "score": ("Điểm tổng hợp", "Score", "", 3, ""),
    "distance_km": ("Khoảng cách", "Distance", "km", 1, ""),
    "shared_km": ("Chiều dài ranh giới chung", "Shared boundary", "km", 2, ""),
    "nearest_work_km": ("Khoảng cách tới công trình gần nhất", "Distance to the nearest work", "km", 1, ""),
    "area_km2": ("Diện tích", "Area", "km²", 2, "sum"),
    "n_communes": ("Số xã", "Communes", "count", 0, "sum"),
    "n_members": ("Số xã cũ", "Former communes", "count", 0, "sum"),
    "border_km": ("Chiều dài biên giới", "Border length", "km", 2, "sum"),
    "on_border": ("Xã biên giới", "On the border", "", 0, ""),
    "border_countries": ("Giáp nước", "Bordering", "", 0, ""),
    "quality_flag": ("Chất lượng ranh giới", "Boundary quality", "", 0, ""),
    "name_2025": ("Xã năm 2025", "2025 commune", "", 0, ""),
    "eligible": ("Đủ điều kiện", "Eligible", "", 0, ""),
    "reason": ("Lý do", "Why", "", 0, ""),
    "amount": ("Số vốn phân bổ", "Amount allocated", "million VND", 0, "sum"),
    "poor_households": ("Số hộ nghèo", "Poor households", "households", 0, "sum"),
    "amount_per_poor_household": (
        "Vốn bình quân một hộ nghèo",
        "Amount per poor household",
        "million VND per household",
        3,
        "ratio:amount/poor_households",
    ),
    "households": ("Số hộ", "Households", "households", 0, "sum"),
    "budget_million_vnd": ("Kinh phí", "Budget", "million VND", 0, "sum"),
    "kind": ("Loại công trình", "Kind", "", 0, ""),
    "year": ("Năm", "Year", "", 0, ""),
}
HIDDEN = ("unit_type", "district_code", "district_name", "province_code", "missing", "synthetic", "code_2025")
HIDDEN_SUFFIXES = ("_status", "_year", "_standard", "_source")
_YEARED = re.compile(r"^(?P<id>.+)_(?P<year>(19|20)\d\d)$")


@dataclass(frozen=True)
class Column:
    """One column of the annex."""

    key: str  # the table's column ("" for STT)
    label: str
    decimals: int = 0  # number format
    total: str = ""  # "", "sum" or "ratio:num/den"
    status_of: str = ""  # a status column: the indicator column it describes
    kind: str = "value"  # value | text | flag | status | no


@dataclass
class Row:
    """One row of the annex body: ``kind`` unit | group | subtotal | total."""

    kind: str
    values: list
    synthetic: bool = False


@dataclass
class Annex:
    """The annex as plain rows: title block lines, columns, body rows, notes below."""

    title: str
    head: list[str]
    columns: list[Column]
    body: list[Row]
    foot: list[str]
    demo: str = ""
    n_synthetic: int = 0
    meta: dict = field(default_factory=dict)


def labels_from_catalogue(catalogue: pd.DataFrame) -> dict[str, dict]:
    """The catalogue table as ``{id: {"name_vi", "name_en", "unit", "kind", "standard"}}``."""
    keep = [c for c in ("name_vi", "name_en", "unit", "kind", "standard") if c in catalogue.columns]
    out: dict[str, dict] = {}
    for row in catalogue[["id", *keep]].itertuples(index=False):
        out[str(row[0])] = {k: (None if _missing(v) else v) for k, v in zip(keep, row[1:])}
    return out


def _missing(v) -> bool:
    try:
        return bool(pd.isna(v))
    except (TypeError, ValueError):
        return False


def unit_label(unit: str, lang: str) -> str:
    """A unit of measure in ``lang``: ``unit_label("households", "vi")`` → ``'hộ'``.

    >>> unit_label("million VND", "vi"), unit_label("million VND", "en"), unit_label("flag", "vi")
    ('triệu đồng', 'million VND', '')
    """
    if not unit or unit == "flag":
        return ""
    return UNITS.get(lang, {}).get(unit, unit)


def _decimals(series: pd.Series, unit: str) -> int:
    """Decimals a column shows: none for whole numbers, else by unit (rates 2, km 1)."""
    values = pd.to_numeric(series, errors="coerce").dropna().to_numpy(dtype=float)
    if len(values) == 0 or np.all(np.equal(np.mod(values, 1), 0)):
        return 0
    return {"%": 2, "pp": 2, "km": 1, "km²": 2, "ha": 1}.get(unit, 2)


def _indicator(col: str, labels: Mapping[str, dict]) -> tuple[str, int | None, dict | None]:
    """A value column's indicator id, year (``poor_rate_2020``) and catalogue entry."""
    if col in labels:
        return col, None, labels[col]
    m = _YEARED.match(col)
    if m and m.group("id") in labels:
        return m.group("id"), int(m.group("year")), labels[m.group("id")]
    return col, None, None


def _value_columns(table: pd.DataFrame) -> list[str]:
    """Columns the annex shows, in the table's order (helpers such as ``x_status`` are folded in)."""
    cols = [str(c) for c in table.columns if str(c) != "geometry"]
    have = set(cols)
    out = []
    for c in cols:
        if c in HIDDEN or c.startswith("_"):
            continue
        if any(c.endswith(s) and ({c[: -len(s)], c[: -len(s)] + "_value"} & have) for s in HIDDEN_SUFFIXES):
            continue
        if table[c].isna().all():  # nothing to show (an indicator without values, a base criterion)
            continue
        if c.endswith("_points") or c.endswith("_value") or c in KNOWN or f"{c}_status" in have:
            out.append(c)
        elif pd.api.types.is_numeric_dtype(table[c].dtype) or pd.api.types.is_bool_dtype(table[c].dtype):
            out.append(c)
        elif c in ("name", "name_vi", "reason"):
            out.append(c)
    return out


def _is_flag(series: pd.Series) -> bool:
    return pd.api.types.is_bool_dtype(series.dtype)


def build_columns(table: pd.DataFrame, labels: Mapping[str, dict], lang: str) -> tuple[list[Column], dict]:
    """The annex's columns and what the title block says about them (units, years, standards)."""
    vi = lang != "en"
    cols = [Column("", TEXTS[lang]["no"], kind="no")]
    units: list[str] = []
    years: list[int] = []
    standards: list[str] = []
    for c in _value_columns(table):
        s = table[c]
        ind, year, entry = _indicator(c, labels)
        if c in KNOWN and entry is None:
            lv, le, unit, dec, total = KNOWN[c]
            name = lv if vi else le
        elif entry is not None:
            name = str(entry.get("name_vi" if vi else "name_en") or ind)
            unit = str(entry.get("unit") or "")
            dec = _decimals(s, unit)
            kind = entry.get("kind")
            total = "sum" if (kind in ADDITIVE_KINDS or kind is None) and unit in ADDITIVE_UNITS else ""
            if entry.get("kind") == "flag":
                unit = ""
        else:
            name, unit, dec, total = c, "", _decimals(s, ""), ""
        if c.endswith("_points") and entry is None:
            name, unit, dec = f"{c[: -len('_points')]}: " + ("điểm" if vi else "points"), "", 3
        elif c.endswith("_value") and entry is None:
            name, dec = c[: -len("_value")], _decimals(s, "")
        year = year if year is not None else _one_year(table, c)
        if year is not None:
            years.append(year)
        shown = unit_label(unit, lang)
        if shown:
            units.append(shown)
        if f"({shown})" in name:  # the label says its unit already
            shown = ""
        in_year = year is not None and (f"{c}_year" in table or _YEARED.match(c))
        label = (
            name
            + (f" {TEXTS[lang]['in_year'].format(year=year)}" if in_year else "")
            + (f" ({shown})" if shown else "")
        )
        kind = "flag" if _is_flag(s) else ("value" if pd.api.types.is_numeric_dtype(s.dtype) else "text")
        cols.append(Column(c, label, dec, total, kind=kind))
        base = c[: -len("_value")] if c.endswith("_value") else c
        standard_col = next((x for x in (f"{c}_standard", f"{base}_standard") if x in table.columns), None)
        if standard_col:
            stds = [str(v) for v in table[standard_col].dropna().unique() if str(v)]
            standards += stds
            if len(stds) > 1:
                cols.append(Column(standard_col, TEXTS[lang]["standard_col"], kind="text"))
        elif entry is not None and entry.get("standard") and entry.get("kind") != "flag":
            standards.append(standard_for_year(str(entry["standard"]), year))
        year_col = next((x for x in (f"{c}_year", f"{base}_year") if x in table.columns), None)
        if year_col and pd.to_numeric(table[year_col], errors="coerce").dropna().nunique() > 1:
            cols.append(Column(year_col, TEXTS[lang]["year_col"], kind="value"))
        status_col = next((x for x in (f"{c}_status", f"{base}_status") if x in table.columns), None)
        if status_col:
            cols.append(Column(status_col, TEXTS[lang]["status"], status_of=c, kind="status"))
    if "standard" in table.columns:  # rows that carry one standard column
        standards += [str(v) for v in table["standard"].dropna().unique() if str(v)]
    return cols, {
        "units": list(dict.fromkeys(units)),
        "years": sorted(set(years)),
        "standards": list(dict.fromkeys(standards)),
    }


def standard_for_year(text: str, year: int | None) -> str:
    """The catalogue's standard of an indicator in ``year``: the one of a list that covers it.

    >>> s = "per observation: 2011-2015 income; 2016-2020 multidimensional (QĐ 59/2015/QĐ-TTg)"
    >>> standard_for_year(s, 2020), standard_for_year(s, 2013), standard_for_year("x (y)", 2020)
    ('2016-2020 multidimensional (QĐ 59/2015/QĐ-TTg)', '2011-2015 income', 'x (y)')
    """
    body = text.split(":", 1)[1] if text.startswith("per observation:") else text
    parts = [p.strip() for p in body.split(";") if p.strip()]
    if year is not None:
        for part in parts:
            m = re.match(r"(\d{4})\s*[-–]\s*(\d{4})", part)
            if m and int(m.group(1)) <= year <= int(m.group(2)):
                return part
    return text


def _one_year(table: pd.DataFrame, col: str) -> int | None:
    """The year of a value column when all its rows share one (``<col>_year``)."""
    base = col[: -len("_value")] if col.endswith("_value") else col
    for yc in (f"{col}_year", f"{base}_year"):
        if yc in table.columns:
            ys = pd.to_numeric(table[yc], errors="coerce").dropna().unique()
            return int(ys[0]) if len(ys) == 1 else None
    return None


def _group_key(table: pd.DataFrame) -> tuple[str, str] | None:
    """The columns rows are grouped by: district, else 2025 commune, else none."""
    for code, name in (("district_code", "district_name"), ("code_2025", "name_2025")):
        if code in table.columns and name in table.columns and table[code].nunique() < len(table):
            return code, name
    return None


def _cell(value, col: Column, lang: str):
    """A table value as the annex shows it (numbers stay numbers)."""
    if value is None or _missing(value):
        return None
    if col.kind == "status":
        return STATUS[lang].get(str(value), str(value))
    if isinstance(value, (bool, np.bool_)) or col.kind == "flag":
        return messages.text("page.yes" if bool(value) else "page.no", lang)
    if isinstance(value, (np.integer,)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        return float(value)
    if isinstance(value, int):
        return value
    return str(value)


def _aggregate(rows: pd.DataFrame, cols: list[Column]) -> list:
    """Subtotal cells: sums, and ratios recomputed from the sums."""
    out: list = []
    for col in cols:
        if col.total == "sum":
            v = pd.to_numeric(rows[col.key], errors="coerce")
            out.append(_number(round(float(v.sum()), 6)) if v.notna().any() else None)
        elif col.total.startswith("ratio:"):
            num, den = col.total[len("ratio:") :].split("/")
            if num in rows and den in rows:
                n = pd.to_numeric(rows[num], errors="coerce")
                d = pd.to_numeric(rows[den], errors="coerce")
                both = n.notna() & d.notna() & (d > 0)
                out.append(round(float(n[both].sum() / d[both].sum()), col.decimals) if both.any() else None)
            else:
                out.append(None)
        else:
            out.append(None)
    return out


def _number(x) -> int | float:
    x = float(x)
    return int(x) if x.is_integer() else x


def _synthetic_rows(table: pd.DataFrame, cols: list[Column]) -> np.ndarray:
    status_cols = [c.key for c in cols if c.kind == "status"]
    flags = np.zeros(len(table), dtype=bool)
    for c in status_cols:
        flags |= (table[c].astype(str) == "synthetic").to_numpy()
    if "synthetic" in table.columns:
        flags |= table["synthetic"].fillna(False).astype(bool).to_numpy()
    return flags


def annex_rows(
    table: pd.DataFrame,
    prov: Mapping,
    labels: Mapping[str, dict] | None = None,
    lang: str = "vi",
    level: str | None = None,
    lines: list[str] | None = None,
) -> Annex:
    """The annex of ``table`` (one row per unit) as plain rows; ``prov`` is the export's provenance.

    ``labels``: the catalogue (:func:`labels_from_catalogue`), or any column's
    ``{"name_vi", "name_en", "unit", "kind"}``; ``level``: ``commune``,
    ``district`` or ``commune_2025`` (guessed from the columns when None);
    ``lines``: more lines for the title block (an allocation's rule and envelope).
    """
    lang = "en" if lang == "en" else "vi"
    t = TEXTS[lang]
    labels = labels or {}
    table = pd.DataFrame(table).reset_index(drop=True)
    cols, about = build_columns(table, labels, lang)
    group = _group_key(table)
    level = level or _guess_level(table)
    synthetic = _synthetic_rows(table, cols)
    body: list[Row] = []
    n = 0

    def unit_row(i: int) -> Row:
        nonlocal n
        n += 1
        vals = [n] + [_cell(table.at[i, c.key], c, lang) for c in cols[1:]]
        return Row("unit", vals, bool(synthetic[i]))

    name_at = next((k for k, c in enumerate(cols) if c.key in ("name", "name_vi")), min(2, len(cols) - 1))
    if group is not None:
        code, gname = group
        order = table.assign(_k=table[code].astype(str)).groupby("_k", sort=True, dropna=False)
        for _, part in order:
            head = [None] * len(cols)
            label = str(part[gname].iloc[0]) if part[gname].notna().any() else "—"
            head[name_at] = label
            body.append(Row("group", head))
            body += [unit_row(i) for i in part.index]
            sub = _aggregate(part, cols)
            sub[name_at] = t["subtotal"].format(name=label, n=len(part))
            body.append(Row("subtotal", sub))
    else:
        body += [unit_row(i) for i in table.index]
    total = _aggregate(table, cols)
    total[name_at] = (t["total_2025"] if level == "commune_2025" else t["total"]).format(n=len(table))
    body.append(Row("total", total))
    head = [*(lines or []), *_title_block(prov, about, level, len(table), lang)]
    n_syn = int(synthetic.sum())
    foot = _foot(prov, cols, lang)
    demo = t["demo"].format(n=n_syn) if n_syn or prov.get("synthetic") else ""
    title = str(prov.get("title") or t["untitled"])
    return Annex(title, head, cols, body, foot, demo, n_syn, about)


def _guess_level(table: pd.DataFrame) -> str:
    if "member_gso_codes_2020" in table.columns or "n_members" in table.columns:
        return "commune_2025"
    if "district_code" in table.columns:
        return "commune"
    if (
        "n_communes" in table.columns
        or table.get("unit_type", pd.Series(dtype=str)).astype(str).isin(["Huyện", "Thành phố"]).all()
    ):
        return "district" if len(table) else "unit"
    return "unit"


def _title_block(prov: Mapping, about: dict, level: str, n: int, lang: str) -> list[str]:
    t = TEXTS[lang]
    lines = [t["level"].format(level=t["levels"].get(level, t["levels"]["unit"]), n=n)]
    if about["units"]:
        lines.append(t["measure"].format(units=", ".join(about["units"])))
    if about["years"]:
        ys = about["years"]
        lines.append(t["year"].format(years=str(ys[0]) if len(ys) == 1 else f"{ys[0]}–{ys[-1]}"))
    if about["standards"]:
        lines.append(t["standard"].format(standards="; ".join(about["standards"])))
    lines.append(t["source_ref"])
    return lines


def _foot(prov: Mapping, cols: list[Column], lang: str) -> list[str]:
    t = TEXTS[lang]
    lines = [t["sources"]]
    lines += [f"• {s}" for s in prov.get("sources", [])] or ["• —"]
    lines.append(t["notes"])
    if prov.get("synthetic_note"):
        lines.append("• " + str(prov["synthetic_note"]))
    if any(c.kind == "value" and not c.total and c.key for c in cols):
        lines.append("• " + t["rates_note"])
    lines.append("• " + t["made"].format(at=prov.get("generated_at", ""), crs=prov.get("crs", "WGS84")))
    return lines


# ------------------------------------------------------------------ workbook


def write_annex(ws: Any, annex: Annex) -> None:  # ws: an openpyxl Worksheet (imported late)
    """Write ``annex`` onto the openpyxl worksheet ``ws`` (styles, number formats, print set-up)."""
    from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
    from openpyxl.utils import get_column_letter

    width = len(annex.columns)
    last = get_column_letter(width)
    thin = Side(style="thin", color="808080")
    grid = Border(left=thin, right=thin, top=thin, bottom=thin)
    r = 1
    ws.cell(r, 1, TEXTS["vi"]["annex"] if _is_vi(annex) else TEXTS["en"]["annex"]).font = Font(bold=True, size=12)
    r += 1
    ws.cell(r, 1, annex.title).font = Font(bold=True, size=13)
    ws.merge_cells(f"A{r}:{last}{r}")
    for line in annex.head:
        r += 1
        ws.cell(r, 1, line).font = Font(italic=True)
    if annex.demo:
        r += 1
        c = ws.cell(r, 1, annex.demo)
        c.font = Font(bold=True, color="B71C1C")
        c.fill = PatternFill("solid", fgColor="FDECEA")
        ws.merge_cells(f"A{r}:{last}{r}")
    r += 2
    header_row = r
    for j, col in enumerate(annex.columns, start=1):
        c = ws.cell(r, j, col.label)
        c.font = Font(bold=True)
        c.alignment = Alignment(wrap_text=True, horizontal="center", vertical="center")
        c.fill = PatternFill("solid", fgColor="E8EEF2")
        c.border = grid
    for row in annex.body:
        r += 1
        bold = row.kind in ("group", "subtotal", "total")
        for j, (col, value) in enumerate(zip(annex.columns, row.values), start=1):
            c = ws.cell(r, j, value)
            c.border = grid
            if bold:
                c.font = Font(bold=True)
            elif row.synthetic and col.kind == "value":
                c.font = Font(italic=True, color="8A1C1C")
            if isinstance(value, (int, float)) and not isinstance(value, bool):
                c.number_format = NUMBER_FORMATS.get(col.decimals, NUMBER_FORMATS[2]) if col.kind != "no" else "0"
        if row.kind == "total":
            for j in range(1, width + 1):
                ws.cell(r, j).fill = PatternFill("solid", fgColor="F1F1F1")
    r += 1
    for line in annex.foot:
        r += 1
        ws.cell(r, 1, line[:32_000])
    ws.freeze_panes = ws.cell(header_row + 1, 1)
    ws.print_title_rows = f"{header_row}:{header_row}"
    ws.page_setup.orientation = "landscape"
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.column_dimensions["A"].width = 6
    for j, col in enumerate(annex.columns[1:], start=2):
        ws.column_dimensions[get_column_letter(j)].width = 34 if col.key in ("name", "name_vi", "reason") else 14
    ws.row_dimensions[header_row].height = 45


def _is_vi(annex: Annex) -> bool:
    return annex.columns[0].label == TEXTS["vi"]["no"]


def header_row(ws: Any) -> int:
    """The row number of the annex's column header (the first row whose first cell is STT / No.)."""
    for row in ws.iter_rows(min_col=1, max_col=1):
        if row[0].value in (TEXTS["vi"]["no"], TEXTS["en"]["no"]):
            return row[0].row
    raise ValueError("not an annex sheet: no STT / No. header")
