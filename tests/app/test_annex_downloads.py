"""XLSX downloads (/targets, OGC items) open on the report annex: real data, subtotals equal sums."""

from __future__ import annotations

import io

import pytest
from openpyxl import load_workbook

from geo.io import annex


@pytest.fixture(scope="module")
def client(gpkg, backend_config):
    from app import create_app

    return create_app({"GEO_GPKG": str(gpkg), "TESTING": True, **backend_config}).test_client()


def _annex(client, url):
    r = client.get(url)
    assert r.status_code == 200, r.get_data(as_text=True)[:300]
    wb = load_workbook(io.BytesIO(r.data))
    assert wb.sheetnames[0] == annex.SHEET_ANNEX and "du_lieu_data" in wb.sheetnames
    ws = wb.worksheets[0]
    head = annex.header_row(ws)
    header = [c.value for c in ws[head]]
    rows = []
    for row in ws.iter_rows(min_row=head + 1, values_only=True):
        if all(v is None for v in row):
            break
        rows.append(row)
    top = [ws.cell(r, 1).value for r in range(1, head)]
    return header, rows, top


def _check_sums(rows, name_at, col):
    """Every subtotal is the sum of its group's rows; the total is the sum of all units."""
    group, units = [], []
    for row in rows:
        label = str(row[name_at] or "")
        if label.startswith(("Cộng ", "Subtotal ")):
            assert row[col] == pytest.approx(sum(group), abs=1e-6), label
            group = []
        elif label.startswith(("Toàn tỉnh", "Province total", "Tổng cộng")):
            assert row[col] == pytest.approx(sum(units), abs=1e-6)
        elif isinstance(row[0], int):
            assert isinstance(row[col], (int, float)) and not isinstance(row[col], bool)
            group.append(row[col])
            units.append(row[col])
    return units


def test_border_ranking_annex(client):
    header, rows, top = _annex(client, "/targets?near=border&weights=poor_rate:1,poor_households:1&f=xlsx")
    name_at = header.index("Tên đơn vị")
    hh = header.index("Số hộ nghèo năm 2020 (hộ)")
    units = _check_sums(rows, name_at, hh)
    assert len(units) == 13  # the 13 border communes
    groups = [r[name_at] for r in rows if r[0] is None and not str(r[name_at]).startswith(("Cộng", "Toàn"))]
    assert groups and all(g.startswith("Huyện ") for g in groups)
    assert rows[-1][name_at] == "Toàn tỉnh (13 đơn vị)"
    # the ranked year, and the 2019 census population the counts carry (each column says its year)
    assert "Năm số liệu: 2019–2020" in top and any("dữ liệu minh họa / demo data" in str(t) for t in top)
    assert "Chuẩn nghèo: 2016-2020 multidimensional (QĐ 59/2015/QĐ-TTg)" in top


def test_ogc_communes_annex_groups_102_communes_in_10_districts(client):
    header, rows, top = _annex(client, "/ogc/collections/communes/items?f=xlsx&lang=en")
    name_at = header.index("Name")
    area = header.index("Area (km²)")
    units = _check_sums(rows, name_at, area)
    assert len(units) == 102
    assert sum(1 for r in rows if str(r[name_at]).startswith("Subtotal ")) == 10
    assert rows[-1][name_at] == "Province total (102 units)"
    assert "Units: communes (102 units)" in top


def test_ogc_communes_2025_annex_has_40_units_and_a_total(client):
    header, rows, _ = _annex(client, "/ogc/collections/communes_2025/items?f=xlsx")
    name_at = header.index("Tên đơn vị")
    units = _check_sums(rows, name_at, header.index("Số xã cũ (số)"))
    assert len(units) == 40 and sum(units) == 102  # the 102 communes of 2020 became 40
