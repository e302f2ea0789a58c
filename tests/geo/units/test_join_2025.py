"""Joining at the level of the 40 communes of 1 July 2025; names of the other vintage reported."""

import json
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
from openpyxl import Workbook

from geo import cli
from geo.units.boundaries import load_communes, load_communes_2025
from geo.units.join import Conflict, UnmatchedRow, join_table, read_table, row_numbers
from geo.units.names import NameIndex

ROOT = Path(__file__).resolve().parents[3]
PYTHON = str(ROOT / ".venv" / "bin" / "python") if (ROOT / ".venv").exists() else sys.executable


@pytest.fixture(scope="module")
def new():
    return NameIndex.load("commune_2025")


@pytest.fixture(scope="module")
def old():
    return NameIndex.load("commune")


@pytest.mark.parametrize(
    "name, code",
    [
        ("Xã Đăk Hà", "23500"),
        ("Xa Dak Ha", "23500"),
        ("đăk hà", "23500"),
        ("Đắk Hà", "23500"),
        ("Xã Đăk Long", "23368"),  # two 2020 communes had this name; one 2025 commune has it
        ("dak long", "23368"),
        ("Phường Kon Tum", "23293"),
        ("phuong kon tum", "23293"),
        ("Xã Ngọk Bay", "23317"),
        ("Xã Ngọc Bay", "23317"),
        ("Xã Rơ Kơi", "23530"),  # GSO 2025: Rờ Kơi
        ("Xã Ya ly", "23548"),
        ("Xã Ia Ly", "23548"),
        ("Xã Đăk Plô", "23344"),
        ("Xã Măng Đen", "23473"),
        ("Xã Ngọc Linh", "23365"),
        ("Xã Ngọk Linh", "23365"),
    ],
)
def test_2025_names_with_and_without_diacritics(new, name, code):
    m = new.match(name)
    assert (m.gso_code, m.reason) == (code, "")


def test_every_2025_name_is_exact(new):
    for row in load_communes_2025().itertuples():
        m = new.match(row.name)
        assert (m.gso_code, m.method) == (row.gso_code, "exact")
    assert len(new.units) == 40 and new.same_named() == {}


def test_a_2020_only_name_is_reported_with_its_2025_commune(new):
    m = new.match("Xã Kroong")
    assert (m.gso_code, m.reason, m.detail, m.others, m.elsewhere) == (
        None,
        "other_level",
        "commune",
        ("23314",),
        ("23317",),
    )
    report = join_table(pd.DataFrame({"Tên xã": ["Xã Kroong", "kroong"]}), level="commune_2025").report
    assert report.unmatched == [
        UnmatchedRow(2, "Xã Kroong", "other_level", "commune", ("23317",), ("23314",)),
        UnmatchedRow(3, "kroong", "other_level", "commune", ("23317",), ("23314",)),
    ]
    assert not report.ok and report.matched_by_name == []
    text = report.to_text()
    assert 'row 2: "Xã Kroong" unmatched: a 2020 unit, now part of Xã Ngọk Bay (23317)' in text
    assert "2020 figures go to level commune" in text
    assert "đơn vị năm 2020, nay thuộc Xã Ngọk Bay (23317)" in report.to_text("vi")


@pytest.mark.parametrize(
    "name, old_code, new_code",
    [
        ("Thị trấn Đắk Hà", "23500", "23500"),  # the town is only part of the 2025 Xã Đăk Hà
        ("TT Đắk Tô", "23401", "23401"),
        ("Thị trấn Măng Đen", "23473", "23473"),
        ("Xã Đắk Cấm", "23311", "23284"),  # 2025: Phường Đăk Cấm
        ("Xã Đắk Blà", "23323", "23332"),  # not Phường Đăk Bla
        ("Phường Quang Trung", "23281", "23293"),
        ("Xã Hà Mòn", "23521", "23500"),
    ],
)
def test_2020_units_are_not_matched_at_2025_level(new, name, old_code, new_code):
    m = new.match(name)
    assert (m.gso_code, m.reason, m.others, m.elsewhere) == (None, "other_level", (old_code,), (new_code,))


def test_every_2020_commune_is_reported_or_noted_at_2025_level(new):
    """No 2020 commune's name joins a 2025 commune silently: it is reported (other_level), or it
    names its own 2025 commune, or the 2020 commune is listed among the match's namesakes."""
    reported = 0
    for row in load_communes().itertuples():
        m = new.match(row.name)
        if m.reason == "other_level":
            assert m.elsewhere == (row.code_2025,) and row.gso_code in m.others
            reported += 1
        else:
            assert m.matched, row.name
            assert m.gso_code == row.code_2025 or row.gso_code in m.namesakes, (row.name, m)
    assert reported >= 64  # the 64 names no 2025 commune bears, and the retyped towns and wards


def test_the_reverse_at_2020_level(old):
    m = old.match("Phường Kon Tum")
    assert (m.gso_code, m.reason, m.detail, m.others) == (None, "other_level", "commune_2025", ("23293",))
    assert sorted(m.elsewhere) == sorted(
        load_communes_2025().set_index("gso_code").loc["23293", "member_gso_codes_2020"].split(",")
    )
    assert len(m.elsewhere) == 5 and set(m.elsewhere) <= set(old.units)
    for name, code in [("Xã Dục Nông", "23383"), ("Xã Kon Plông", "23476"), ("Xa Kon Braih", "23497")]:
        assert (old.match(name).reason, old.match(name).others) == ("other_level", (code,))
    # a 2025 commune named like a 2020 town, with its 2025 prefix
    assert old.match("Xã Măng Đen").others == ("23473",) and old.match("Thị trấn Măng Đen").gso_code == "23473"
    report = join_table(pd.DataFrame({"xa": ["Phường Kon Tum"]})).report
    assert "a 2025 unit, formed from 23281 Phường Quang Trung (Thành phố Kon Tum); 23287 " in report.to_text()
    assert "2025 figures go to level commune_2025" in report.to_text()


def test_every_2025_commune_at_2020_level(old):
    """A 2025 name at the 2020 level is reported, ambiguous among its members, or one of its members;
    the one exception is Xã Đăk Hà, also the name of a 2020 commune of Tu Mơ Rông."""
    silent = []
    for row in load_communes_2025().itertuples():
        members = row.member_gso_codes_2020.split(",")
        m = old.match(row.name)
        if m.reason == "other_level":
            assert m.others == (row.gso_code,)
        elif m.method == "ambiguous":
            assert set(m.candidates) & set(members)
        elif m.gso_code not in members:
            silent.append((row.name, m.gso_code))
    assert silent == [("Xã Đăk Hà", "23425")]


def _xlsx(path, rows):
    wb = Workbook()
    for r in rows:
        wb.active.append(r)
    wb.save(path)
    return path


@pytest.mark.parametrize("code", [23500, 23500.0, "23500", "023500", " 23500 "])
def test_codes_as_numbers_and_text(tmp_path, code):
    path = _xlsx(tmp_path / "t.xlsx", [["Mã xã", "Số hộ nghèo"], [code, 12]])
    report = join_table(read_table(path), level="commune_2025").report
    assert [(m.code, m.method, m.unit_name) for m in report.matched_by_code] == [("23500", "code", "Xã Đăk Hà")]
    csv = tmp_path / "t.csv"
    csv.write_text(f"Mã xã,Số hộ nghèo\n{code},12\n", encoding="utf-8")
    assert join_table(read_table(csv), level="commune_2025").report.matched_by_code[0].code == "23500"


def test_a_2020_code_at_2025_level(tmp_path):
    table = pd.DataFrame({"Mã xã": ["23281", "23281", "23293"], "Tên xã": [None, "Phường Kon Tum", "Phường Kon Tum"]})
    report = join_table(table, level="commune_2025").report
    assert report.unmatched == [UnmatchedRow(2, "code 23281", "other_level", "commune", ("23293",), ("23281",))]
    # code of a 2020 ward, name of its 2025 ward: different units
    assert report.refused == [
        Conflict(3, "23281", "Phường Kon Tum", "Phường Quang Trung (Thành phố Kon Tum), 2020", "23293", "23293")
    ]
    assert [m.row for m in report.matched_by_code] == [4]


BO_Y = [
    # level, code, name: the code is Sa Loong's, the name Bờ Y's
    ("commune", "23398", "Xã Bờ Y", "Xã Sa Loong", "23395"),
    ("commune_2025", "23392", "Xã Bờ Y", "Xã Sa Loong", "23377"),
    ("commune_2025", "23392", "Bo Y", "Xã Sa Loong", "23377"),
]


@pytest.mark.parametrize("level, code, name, code_unit, name_code", BO_Y)
def test_bo_y_is_not_written_onto_sa_loong(level, code, name, code_unit, name_code):
    table = pd.DataFrame({"Mã xã": [code, "23377"], "Tên xã": [name, None], "Số hộ nghèo": [88, 5]})
    result = join_table(table, level=level)
    r = result.report
    assert r.refused == [Conflict(2, code, name, code_unit, name_code, code, "mismatch", False)]
    assert not r.ok and code not in set(result.gdf.dropna(subset=["join_row"])["gso_code"])
    assert "they point at different units" in r.to_text()
    confirmed = join_table(table, level=level, confirm_rows=[2])
    c = confirmed.report
    assert c.confirmed_rows == [2] and c.refused == [] and c.code_name_conflicts[0].confirmed
    joined = confirmed.gdf.dropna(subset=["join_row"]).set_index("gso_code")
    assert joined.loc[code, "Số hộ nghèo"] == 88 and joined.loc[code, "join_row"] == 2


def test_namesakes_are_noted_at_2025_level():
    table = pd.DataFrame({"Tên xã": ["Xã Đăk Long", "Xã Đăk Hà", "Xã Ia Đal"]})
    r = join_table(table, level="commune_2025").report
    assert r.ok
    assert [(n.row, n.code, n.namesakes) for n in r.namesakes] == [
        (2, "23368", ("23504",)),  # Đăk Long of Đắk Hà, now in Xã Đăk Pxi
        (3, "23500", ("23425", "23500")),  # Xã Đắk Hà of Tu Mơ Rông; Thị trấn Đắk Hà, one part of three
    ]
    assert "now part of Xã Đăk Pxi (23504)" in r.to_text()


def test_district_column_refused_at_2025_level():
    with pytest.raises(ValueError, match="--district-col only applies to --level commune"):
        join_table(pd.DataFrame({"xa": ["Xã Xốp"], "huyen": ["Đắk Glei"]}), "commune_2025", district_col="huyen")


def test_row_numbers():
    assert row_numbers("15") == (15,) and row_numbers(["7", 4]) == (4, 7)
    for bad in ("0", "1", "-3", "4.5", "a"):
        with pytest.raises(ValueError, match="row numbers must be whole numbers"):
            row_numbers(bad)


# ------------------------------------------------------------ command line

TODAY_KEYS = {
    "ok",
    "level",
    "rows",
    "units",
    "columns",
    "counts",
    "matched_by_code",
    "matched_by_name",
    "ambiguous",
    "unmatched",
    "duplicates",
    "code_name_conflicts",
    "units_without_data",
}


def test_cli_2025_json_keeps_its_shape(monkeypatch, capsys, tmp_path):
    monkeypatch.setattr(cli, "COMMAND_MODULES", ["geo.units.join"])
    path = tmp_path / "t.csv"
    path.write_text("Mã xã,Tên xã,Số hộ\n23500,Xã Đăk Hà,1\n,Xã Kroong,2\n23392,Xã Bờ Y,3\n", encoding="utf-8")
    assert cli.main(["join", str(path), "--level", "commune_2025", "--json"]) == 1
    d = json.loads(capsys.readouterr().out)
    assert TODAY_KEYS <= set(d) and d["level"] == "commune_2025" and d["units"] == 40
    assert set(d["counts"]) == TODAY_KEYS - {"ok", "level", "rows", "units", "columns", "counts"}
    assert d["unmatched"] == [
        {
            "row": 3,
            "name": "Xã Kroong",
            "reason": "other_level",
            "detail": "commune",
            "elsewhere": ["23317"],
            "others": ["23314"],
        }
    ]
    assert d["code_name_conflicts"][0]["row"] == 4 and not d["code_name_conflicts"][0]["confirmed"]
    path.write_text("Mã xã,Tên xã,Số hộ\n23500,Xã Đăk Hà,1\n23392,Xã Bờ Y,3\n", encoding="utf-8")
    assert cli.main(["join", str(path), "--level", "commune_2025", "--confirm-rows", "3", "--json"]) == 0
    d = json.loads(capsys.readouterr().out)
    assert d["ok"] and d["confirmed_rows"] == [3] and d["counts"]["matched_by_code"] == 2


def test_cli_bad_confirm_rows_exits_2():
    proc = subprocess.run(
        [PYTHON, "-m", "geo", "join", "tests/fixtures/messy_communes.csv", "--confirm-rows", "4,x"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    assert "row numbers must be whole numbers from 2 up" in proc.stderr
