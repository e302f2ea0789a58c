"""geo.io.annex: the report annex sheet — exact subtotals on a small table, numbers stay numbers."""

from __future__ import annotations

import io

import geopandas as gpd
import pandas as pd
import pytest
from openpyxl import load_workbook
from shapely.geometry import Point

from geo.io import annex, export

LABELS = {
    "poor_rate": {
        "name_vi": "Tỷ lệ hộ nghèo",
        "name_en": "Poverty rate",
        "unit": "%",
        "kind": "rate",
        "standard": "per observation: 2011-2015 income; 2016-2020 multidimensional (QĐ 59/2015/QĐ-TTg)",
    },
    "poor_households": {
        "name_vi": "Số hộ nghèo",
        "name_en": "Poor households",
        "unit": "households",
        "kind": "count",
        "standard": "",
    },
}


def _table() -> gpd.GeoDataFrame:
    """Five communes in two districts, listed out of district order (a ranking)."""
    return gpd.GeoDataFrame(
        {
            "rank": [1, 2, 3, 4, 5],
            "gso_code": ["00005", "00001", "00004", "00002", "00003"],
            "name": ["Xã Ê", "Xã A", "Xã Đ", "Xã B", "Xã C"],
            "district_code": ["702", "701", "702", "701", "701"],
            "district_name": ["Huyện Hai", "Huyện Một", "Huyện Hai", "Huyện Một", "Huyện Một"],
            "poor_rate": [50.25, 40.5, 30.0, 20.125, 10.0],
            "poor_rate_status": ["synthetic", "official", "official", "official", "official"],
            "poor_rate_year": [2020] * 5,
            "poor_households": [1001, 2002, 303, 44, 5],
            "poor_households_status": ["official"] * 5,
            "poor_households_year": [2020] * 5,
        },
        geometry=[Point(107.5 + i / 100, 14.5) for i in range(5)],
        crs=4326,
    )


def _sheet(lang="vi"):
    data, _, _ = export.export(_table(), "xlsx", "Phụ lục thử", annex={"labels": LABELS, "lang": lang})
    wb = load_workbook(io.BytesIO(data))
    return wb, wb.worksheets[0]


def _body(ws):
    head = annex.header_row(ws)
    header = [c.value for c in ws[head]]
    rows = []
    for row in ws.iter_rows(min_row=head + 1):
        if row[0].value is None and all(c.value is None for c in row):
            break
        rows.append(row)
    return header, rows


def test_annex_is_the_first_sheet_and_the_data_sheet_stays():
    wb, ws = _sheet()
    assert wb.sheetnames == ["phu_luc_annex", "du_lieu_data", "nguon_sources"]
    data = list(wb["du_lieu_data"].values)
    assert data[0][:2] == ("rank", "gso_code") and len(data) == 6  # unchanged plain table for machines


def test_title_block_names_year_standard_units_and_demo():
    _, ws = _sheet()
    top = [ws.cell(r, 1).value for r in range(1, annex.header_row(ws))]
    assert top[0] == "PHỤ LỤC" and top[1] == "Phụ lục thử"
    assert "Cấp đơn vị: xã (5 đơn vị)" in top
    assert "Đơn vị tính: %, hộ" in top
    assert "Năm số liệu: 2020" in top
    assert "Chuẩn nghèo: 2016-2020 multidimensional (QĐ 59/2015/QĐ-TTg)" in top  # the year's own standard
    assert any(str(t).startswith("⚠ dữ liệu minh họa / demo data: 1 giá trị") for t in top)


def test_rows_grouped_by_district_with_exact_subtotals_and_total():
    _, ws = _sheet()
    header, rows = _body(ws)
    assert header == [
        "STT",
        "Thứ hạng",
        "Mã đơn vị",
        "Tên đơn vị",
        "Tỷ lệ hộ nghèo năm 2020 (%)",
        "Tình trạng số liệu",
        "Số hộ nghèo năm 2020 (hộ)",
        "Tình trạng số liệu",
    ]
    names = [r[3].value for r in rows]
    assert names == [
        "Huyện Một",
        "Xã A",
        "Xã B",
        "Xã C",
        "Cộng Huyện Một (3 đơn vị)",
        "Huyện Hai",
        "Xã Ê",
        "Xã Đ",
        "Cộng Huyện Hai (2 đơn vị)",
        "Toàn tỉnh (5 đơn vị)",
    ]
    hh = [r[6].value for r in rows]
    assert hh == [None, 2002, 44, 5, 2051, None, 1001, 303, 1304, 3355]
    assert all(isinstance(v, int) for v in hh if v is not None)  # numbers, not text
    assert [r[4].value for r in rows][4] is None  # a rate is never added up
    assert [r[0].value for r in rows if isinstance(r[0].value, int)] == [1, 2, 3, 4, 5]  # STT runs on
    assert rows[6][5].value == "minh họa" and rows[1][5].value == "chính thức"


def test_numbers_carry_the_vietnamese_number_format():
    _, ws = _sheet()
    _, rows = _body(ws)
    assert rows[1][4].value == 40.5 and rows[1][4].number_format == "[$-42A]#,##0.00"
    assert rows[1][6].number_format == "[$-42A]#,##0"
    assert rows[-1][6].number_format == "[$-42A]#,##0"


def test_english_labels():
    _, ws = _sheet("en")
    header, rows = _body(ws)
    assert header[:5] == ["No.", "Rank", "Code", "Name", "Poverty rate 2020 (%)"]
    assert rows[-1][3].value == "Province total (5 units)" and rows[1][5].value == "official"
    top = [ws.cell(r, 1).value for r in range(1, annex.header_row(ws))]
    assert "Units of measure: %, households" in top


def test_sources_and_synthetic_note_under_the_table():
    data, _, _ = export.export(_table(), "xlsx", "x", metadata={"sources": ["Báo cáo số 1"]}, annex={"labels": LABELS})
    ws = load_workbook(io.BytesIO(data)).worksheets[0]
    text = [c.value for c in ws["A"] if isinstance(c.value, str)]
    assert "Nguồn số liệu:" in text and "• Báo cáo số 1" in text
    assert any("dữ liệu minh họa / demo data: values with status 'synthetic'" in t for t in text)


def test_allocation_ratio_subtotal_is_recomputed_from_sums():
    t = pd.DataFrame(
        {
            "gso_code": ["1", "2", "3"],
            "name": ["A", "B", "C"],
            "district_code": ["9", "9", "8"],
            "district_name": ["H9", "H9", "H8"],
            "amount": [100, 50, 30],
            "poor_households": [10, 40, 0],
            "amount_per_poor_household": [10.0, 1.25, None],
        }
    )
    a = annex.annex_rows(t, {"title": "t"})
    col = [c.key for c in a.columns].index("amount_per_poor_household")
    sub = [r.values[col] for r in a.body if r.kind in ("subtotal", "total")]
    # H8 has no poor household: no ratio; H9 and the province: (100 + 50) / (10 + 40), units with poor households
    assert sub == [None, 3.0, 3.0]


@pytest.mark.parametrize(
    "text,year,want",
    [
        ("per observation: 2011-2015 income; 2016-2020 multidimensional", 2015, "2011-2015 income"),
        ("2022-2025 (NĐ 07/2021/NĐ-CP)", 2023, "2022-2025 (NĐ 07/2021/NĐ-CP)"),
    ],
)
def test_standard_for_year(text, year, want):
    assert annex.standard_for_year(text, year) == want
