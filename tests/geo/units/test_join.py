"""Joining a messy user table: every row accounted for, exact report, CLI."""

import csv
import doctest
import json
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
from openpyxl import Workbook

import geo.units.join
from geo import cli
from geo.units.join import (
    AmbiguousRow,
    Conflict,
    DuplicateRow,
    MatchedRow,
    UnmatchedRow,
    detect_columns,
    join_table,
    read_table,
)

ROOT = Path(__file__).resolve().parents[3]
MESSY = ROOT / "tests" / "fixtures" / "messy_communes.csv"
PYTHON = str(ROOT / ".venv" / "bin" / "python") if (ROOT / ".venv").exists() else sys.executable

# Row numbers as a spreadsheet shows them: header = 1, the blank line is row 8.
BY_CODE = [
    MatchedRow(2, "Xã Đắk Blô", "23344", "Xã Đắk Blô", "code", "23344"),
    MatchedRow(14, "", "23518", "Xã Ngok Réo", "code", "23518"),  # code only
]
# Row 15: code 23509 (Đắk Ui) but the name Hà Mòn (23521): refused unless confirmed.
CONFIRMED_15 = MatchedRow(15, "Hà Mòn", "23509", "Xã Đắk Ui", "code", "23509")
BY_NAME = [
    MatchedRow(3, "Dak Choong", "23356", "Xã Đắk Choong", "folded", "dak chong"),
    MatchedRow(4, "Đăk Kroong", "23371", "Xã Đắk KRoong", "folded", "dak krong"),
    MatchedRow(5, "TT Plei Kần", "23377", "Thị trấn Plei Kần", "normalized", "plei kần"),
    MatchedRow(6, "Phường Quang Trung", "23281", "Phường Quang Trung", "exact", "Phường Quang Trung"),
    MatchedRow(7, "ia toi", "23538", "Xã Ia Tơi", "folded", "ia toi"),
    MatchedRow(9, "Rờ Kơi", "23530", "Xã Rơ Kơi", "folded", "ro koi"),
    MatchedRow(10, "Ngọk Wang", "23515", "Xã Ngok Wang", "folded", "ngok wang"),
    MatchedRow(13, "Đắk Long", "23504", "Xã Đăk Long", "folded", "dak long"),
    MatchedRow(17, "Thị trấn Đắk Hà", "23500", "Thị trấn Đắk Hà", "exact", "Thị trấn Đắk Hà"),
    MatchedRow(18, "Dak Ha", "23425", "Xã Đắk Hà", "folded", "dak ha"),
    MatchedRow(20, "Ya Ly", "23554", "Xã Ya ly", "normalized", "ya ly"),  # unknown code 99999
    MatchedRow(21, "Ngọc Tụ", "23428", "Xã Ngọk Tụ", "folded", "ngok tu"),
]
AMBIGUOUS = [AmbiguousRow(12, "Đăk Long", ("23368", "23504"))]
UNMATCHED = [
    UnmatchedRow(11, "Xã Không Tồn Tại", "not_found", "", ()),
    UnmatchedRow(19, "Xã Đắk Blô", "not_in_district", "612", ("23344",)),
]
DUPLICATES = [DuplicateRow(16, "23344", 2)]
CONFLICTS = [
    Conflict(15, "23509", "Hà Mòn", "Xã Đắk Ui", "23521", "23509", "mismatch", False),
    Conflict(20, "99999", "Ya Ly", None, "23554", "23554", "unknown_code", False),
]
MATCHED = {m.code for m in BY_CODE + BY_NAME}


def test_doctests():
    assert doctest.testmod(geo.units.join).failed == 0


def write_xlsx(src: Path, dest: Path) -> Path:
    """The fixture as a workbook, at the same row numbers, codes as numbers."""
    wb = Workbook()
    ws = wb.active
    with open(src, encoding="utf-8", newline="") as f:
        for r, values in enumerate(csv.reader(f), start=1):
            for c, value in enumerate(values, start=1):
                if value:
                    ws.cell(r, c, int(value) if value.isdigit() else value)
    wb.save(dest)
    return dest


@pytest.fixture(scope="module")
def result():
    return join_table(read_table(MESSY))


def assert_messy_report(report):
    assert report.columns == {"code": "Mã xã", "name": "Tên xã", "district": "Huyện"}
    assert report.n_rows == 19 and report.n_units == 102
    assert report.matched_by_code == BY_CODE
    assert report.matched_by_name == BY_NAME
    assert report.ambiguous == AMBIGUOUS
    assert report.unmatched == UNMATCHED
    assert report.duplicates == DUPLICATES
    assert report.code_name_conflicts == CONFLICTS
    assert report.refused == CONFLICTS[:1]
    assert len(report.units_without_data) == 102 - len(MATCHED) == 88
    assert {u.code for u in report.units_without_data}.isdisjoint(MATCHED)
    assert ("23368", "Xã Đắk Long") in report.units_without_data  # ambiguous row not assigned
    assert ("23509", "Xã Đắk Ui") in report.units_without_data  # refused row not assigned
    assert report.namesakes == []  # noted at the 2025 level only
    assert not report.ok


def test_messy_csv_report(result):
    assert_messy_report(result.report)


def test_messy_xlsx_report(tmp_path):
    path = write_xlsx(MESSY, tmp_path / "messy_communes.xlsx")
    assert_messy_report(join_table(read_table(path)).report)


def test_every_row_is_accounted_for(result):
    r = result.report
    rows = (
        [m.row for m in r.matched_by_code + r.matched_by_name]
        + [a.row for a in r.ambiguous]
        + [u.row for u in r.unmatched]
        + [d.row for d in r.duplicates]
        + [c.row for c in r.refused]
    )
    assert sorted(rows) == [2, 3, 4, 5, 6, 7] + list(range(9, 22))


def test_a_confirmed_mismatch_is_joined_on_its_code():
    report = join_table(read_table(MESSY), confirm_rows=[15]).report
    assert report.matched_by_code == BY_CODE + [CONFIRMED_15]
    assert report.code_name_conflicts[0] == CONFLICTS[0]._replace(confirmed=True)
    assert report.refused == [] and report.confirmed_rows == [15] and report.confirm_rows_unused == []
    assert len(report.units_without_data) == 87
    assert "row 15: code 23509 (Xã Đắk Ui)" in report.to_text() and "confirmed, joined on 23509" in report.to_text()
    # a confirmed row without a conflict is reported, not silently accepted
    other = join_table(read_table(MESSY), confirm_rows=[15, 3]).report
    assert other.confirmed_rows == [15] and other.confirm_rows_unused == [3]


def test_joined_gdf_has_one_row_per_unit(result):
    gdf = result.gdf
    assert len(gdf) == 102 and gdf["gso_code"].is_unique
    assert gdf.crs.to_epsg() == 4326
    joined = gdf.dropna(subset=["join_row"]).set_index("gso_code")
    assert set(joined.index) == MATCHED
    # the duplicate (row 16, 121 households) did not overwrite row 2
    assert joined.loc["23344", "Số hộ nghèo"] == 120 and joined.loc["23344", "join_row"] == 2
    assert "23509" not in joined.index  # its code and name disagree: not joined
    assert joined.loc["23518", "join_method"] == "code"
    assert joined.loc["23538", "Tên xã"] == "ia toi"


def test_to_dict_is_json(result):
    d = json.loads(json.dumps(result.report.to_dict()))
    assert d["ok"] is False
    assert d["counts"] == {
        "matched_by_code": 2,
        "matched_by_name": 12,
        "ambiguous": 1,
        "unmatched": 2,
        "duplicates": 1,
        "code_name_conflicts": 2,
        "units_without_data": 88,
    }
    assert d["ambiguous"] == [{"row": 12, "name": "Đăk Long", "candidates": ["23368", "23504"]}]
    assert d["duplicates"] == [{"row": 16, "code": "23344", "first_row": 2}]
    assert d["code_name_conflicts"][0] == {
        "row": 15,
        "code": "23509",
        "name": "Hà Mòn",
        "code_unit": "Xã Đắk Ui",
        "name_code": "23521",
        "used": "23509",
        "kind": "mismatch",
        "confirmed": False,
        "name_others": [],
    }
    assert d["confirmed_rows"] == [] and d["namesakes"] == []


def test_to_text_counts_first_then_problems(result):
    lines = result.report.to_text().splitlines()
    assert lines[1].split() == ["matched", "by", "code", "2"]
    assert lines[2].split() == ["matched", "by", "name", "12"]
    assert lines[7].split() == ["units", "without", "data", "88", "of", "102"]
    assert lines[8] == "Problems:"
    problems = lines[9:14]
    assert [p.split(":")[0].strip() for p in problems] == ["row 11", "row 12", "row 15", "row 16", "row 19"]
    assert "23368" in problems[1] and "23504" in problems[1]
    assert problems[2] == (
        '  row 15: code 23509 (Xã Đắk Ui) but name "Hà Mòn" (23521 Xã Hà Mòn (Huyện Đắk Hà)): they point at '
        "different units; not joined (confirm row 15 to join it on 23509)"
    )
    assert lines[14] == "Warnings (the row was joined):"
    assert lines[15] == '  row 20: unknown code 99999; joined by the name "Ya Ly" on 23554'


def test_to_text_vietnamese(result):
    text = result.report.to_text(lang="vi")
    assert "khớp theo mã" in text and "dòng 12" in text and "Vấn đề:" in text


def test_ok_report():
    table = pd.DataFrame({"Tên xã": ["Xã Ia Tơi", "Ia Dom"], "Huyện": ["Ia H'Drai", "Ia H' Drai"]})
    report = join_table(table).report
    assert report.ok
    assert [m.row for m in report.matched_by_name] == [2, 3]  # plain DataFrame: first row = 2
    assert "OK" in report.to_text()


def test_district_level():
    table = pd.DataFrame(
        {"huyen": ["TP Kon Tum", "Huyện Ia H' Drai", "dak ha", "Kontum", "Huyện X"], "ho_ngheo": [1, 2, 3, 4, 5]}
    )
    result = join_table(table, level="district")
    r = result.report
    assert [(m.row, m.code) for m in r.matched_by_name] == [(2, "608"), (3, "618"), (4, "615")]
    assert r.duplicates == [DuplicateRow(5, "608", 2)]
    assert r.unmatched == [UnmatchedRow(6, "Huyện X", "not_found", "", ())]
    assert len(result.gdf) == 10 and len(r.units_without_data) == 7


@pytest.mark.parametrize(
    "columns, expected",
    [
        (["gso_code", "name"], ("gso_code", "name", None)),
        (["MÃ XÃ", "TÊN XÃ", "HUYỆN"], ("MÃ XÃ", "TÊN XÃ", "HUYỆN")),
        (["ma_xa", "ten_xa", "huyen"], ("ma_xa", "ten_xa", "huyen")),
        (["code", "commune", "district"], ("code", "commune", "district")),
        (["Xã", "Huyện", "value"], (None, "Xã", "Huyện")),
        (["xa", "huyen"], (None, "xa", "huyen")),
    ],
)
def test_detect_columns(columns, expected):
    found = detect_columns(pd.DataFrame(columns=columns))
    assert (found["code"], found["name"], found["district"]) == expected


def test_explicit_columns():
    table = pd.DataFrame({"A": ["Ngọk Tụ"], "B": ["Đắk Tô"]})
    with pytest.raises(ValueError, match="found no code or name column"):
        join_table(table)
    report = join_table(table, name_col="A", district_col="b").report
    assert report.matched_by_name[0].code == "23428"
    with pytest.raises(ValueError, match="--name-col 'C': no such column; the columns are: A, B"):
        join_table(table, name_col="C")


# ------------------------------------------------------------ reading errors


def test_bom_and_semicolons(tmp_path):
    path = tmp_path / "bom.csv"
    path.write_bytes("Mã xã;Tên xã\n;Xã Ia Tơi\n".encode("utf-8-sig"))
    table = read_table(path)
    assert list(table.columns) == ["Mã xã", "Tên xã"]
    assert join_table(table).report.matched_by_name[0].code == "23538"


@pytest.mark.parametrize(
    "name, content, message",
    [
        ("empty.csv", b"", "empty file"),
        ("blank.csv", b"\n \n", "empty file"),
        ("header.csv", "Tên xã,Huyện\n".encode(), "no data rows"),
        ("notes.txt", "Tên xã\nIa Tơi\n".encode(), "unsupported file type .txt"),
        ("legacy.csv", "Tên xã\nXã Ia Tơi\n".encode("utf-16"), "not UTF-8"),
        ("broken.xlsx", b"not a zip", "not a readable .xlsx"),
    ],
)
def test_read_errors(tmp_path, name, content, message):
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(ValueError, match=message):
        read_table(path)


def test_missing_file(tmp_path):
    with pytest.raises(FileNotFoundError, match="no such file"):
        read_table(tmp_path / "nope.csv")


# ------------------------------------------------------------ command line


def test_cli_in_process(monkeypatch, capsys, tmp_path):
    monkeypatch.setattr(cli, "COMMAND_MODULES", ["geo.units.join"])
    assert cli.main(["join", str(MESSY)]) == 1
    assert "matched by code" in capsys.readouterr().out
    assert cli.main(["join", str(MESSY), "--json"]) == 1
    assert json.loads(capsys.readouterr().out)["counts"]["duplicates"] == 1
    ok = tmp_path / "ok.csv"
    ok.write_text("ten_xa,huyen\nXã Ia Tơi,Ia H'Drai\n", encoding="utf-8")
    assert cli.main(["join", str(ok)]) == 0
    assert cli.main(["join", str(tmp_path / "missing.csv")]) == 2
    assert "no such file" in capsys.readouterr().err


def run_cli(*args):
    return subprocess.run([PYTHON, "-m", "geo", "join", *args], cwd=ROOT, capture_output=True, text=True, timeout=120)


def test_cli_messy_exits_1_and_prints_counts():
    proc = run_cli("tests/fixtures/messy_communes.csv")
    assert proc.returncode == 1, proc.stderr
    for line in [
        "matched by code      2",
        "matched by name      12",
        "ambiguous            1",
        "unmatched            2",
        "duplicates           1",
        "units without data   88 of 102",
    ]:
        assert line in proc.stdout
    assert "Traceback" not in proc.stderr


@pytest.mark.parametrize(
    "filename, content, message",
    [
        ("missing.csv", None, "no such file"),
        ("empty.csv", b"", "empty file"),
        ("table.txt", b"a\n1\n", "unsupported file type .txt"),
        ("broken.xlsx", b"PK not really", "not a readable .xlsx"),
    ],
)
def test_cli_bad_input_exits_2_without_traceback(tmp_path, filename, content, message):
    path = tmp_path / filename
    if content is not None:
        path.write_bytes(content)
    proc = run_cli(str(path))
    assert proc.returncode == 2
    assert proc.stdout == ""
    assert "Traceback" not in proc.stderr
    assert proc.stderr.count("\n") == 1 and proc.stderr.startswith("error: ") and message in proc.stderr
