"""Issue 17 item 4: many columns and many blank lines are refused quickly, and the alias table
of headers is built once per file, not once per header."""

import io
import time

import pytest
from openpyxl import Workbook

from geo.uploads import ingest

HEAD = "Mã xã,Tên xã,Số hộ nghèo"
ROW = "23341,Thị trấn Đắk Glei,98"


def wide_csv(extra: int) -> bytes:
    """A one-commune table with ``extra`` unused columns after the three real ones."""
    names = "".join(f",c{i}" for i in range(extra))
    return f"{HEAD}{names}\n{ROW}{',' * extra}\n".encode()


def preview(data: bytes, name: str = "x.csv"):
    return ingest.preview(data, name, year=2020, standard="2016-2020")


def test_twenty_thousand_columns_are_refused_at_once(gpkg):
    data = wide_csv(20_000)
    assert 140_000 < len(data) < 200_000  # about the 168 KB of the issue
    start = time.perf_counter()
    with pytest.raises(ingest.UploadError, match=r"row 1 has 20,003 columns; at most 200 are read"):
        preview(data)
    assert time.perf_counter() - start < 5  # was ~110 s


def test_the_column_cap_is_exact(gpkg):
    pv = preview(wide_csv(ingest.MAX_COLUMNS - 3))
    assert pv.ok and pv.counts()["observations"] == 1
    with pytest.raises(ingest.UploadError, match="201 columns"):
        preview(wide_csv(ingest.MAX_COLUMNS - 2))


def test_a_wide_workbook_is_refused(gpkg):
    wb = Workbook()
    ws = wb.active
    ws.append(HEAD.split(",") + [f"c{i}" for i in range(300)])
    ws.append([23341, "Thị trấn Đắk Glei", 98])
    buf = io.BytesIO()
    wb.save(buf)
    with pytest.raises(ingest.UploadError, match="row 1 has 303 columns"):
        preview(buf.getvalue(), "x.xlsx")


def test_five_megabytes_of_blank_lines_are_refused_while_counting(gpkg):
    data = f"{HEAD}\n{ROW}\n".encode() + b"\r\n" * (5 * 1024 * 1024 // 2 - 100)
    start = time.perf_counter()
    with pytest.raises(ingest.UploadError, match="more than 20,000 rows"):
        preview(data)
    assert time.perf_counter() - start < 5  # was 11 s


def test_blank_lines_under_the_cap_are_still_read(gpkg):
    pv = preview(f"{HEAD}\n{ROW}\n".encode() + b"\n" * 1000)
    assert pv.ok and pv.counts()["observations"] == 1


def test_the_alias_table_is_built_once_per_step_not_per_header(gpkg, monkeypatch):
    calls = []
    real = ingest.alias_table

    def counted(catalogue):
        calls.append(1)
        return real(catalogue)

    monkeypatch.setattr(ingest, "alias_table", counted)
    preview(wide_csv(5))
    few = len(calls)
    calls.clear()
    preview(wide_csv(150))
    assert len(calls) == few <= 3
