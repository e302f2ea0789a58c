"""Reading, validating and previewing uploaded review tables (geo.uploads.ingest)."""

import io
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from geo import cli
from geo.io import storage
from geo.uploads import ingest, staging, versions
from geo.uploads.ingest import UploadError

FIX = Path(__file__).resolve().parents[2] / "fixtures" / "uploads"
STD = "2016-2020 multidimensional (QĐ 59/2015/QĐ-TTg)"


@pytest.fixture(scope="module")
def base_obs(gpkg):
    return storage.read_layer("observations", gpkg)


def synthetic(obs, code, indicator, year, level="commune"):
    """The demo value the build made for a unit (independent of geo.indicators.values)."""
    rows = obs[
        (obs.unit_level == level)
        & (obs.gso_code == code)
        & (obs.indicator == indicator)
        & (obs.year == year)
        & (obs.status == "synthetic")
    ]
    assert len(rows) == 1
    return float(rows["value"].iloc[0])


def run(name, **kw):
    params = {"year": 2020, "standard": "2016-2020", **kw}
    return ingest.preview((FIX / name).read_bytes(), name, **params)


def by_row(pv):
    out = {}
    for p in pv.problems:
        out.setdefault(p.row, []).append(p)
    return out


# ---------------------------------------------------------------- numbers and headers


@pytest.mark.parametrize(
    "text, expected",
    [
        ("1.234,5", (1234.5, False)),
        ("1.234", (1234.0, False)),
        ("1.234.567", (1234567.0, False)),
        ("12,5%", (12.5, True)),
        ("12,5", (12.5, False)),
        ("12.5", (12.5, False)),
        ("0,25", (0.25, False)),
        ("1,234.5", (1234.5, False)),
        ("1 234", (1234.0, False)),
        ("1\u00a0234", (1234.0, False)),
        ("  98 ", (98.0, False)),
        ("-3", (-3.0, False)),
        ("40,71 %", (40.71, True)),
        ("", (None, False)),
        (None, (None, False)),
        (17, (17.0, False)),
        (2.5, (2.5, False)),
        ("１２", (12.0, False)),
    ],
)
def test_parse_number(text, expected):
    assert ingest.parse_number(text) == expected


@pytest.mark.parametrize("text", ["abc", "1,2,3", "1.2.3,4,5", "12..5", "1e5", "nan", "--1", "1.23.4", "x%"])
def test_parse_number_rejects(text):
    with pytest.raises(ValueError, match="not a number"):
        ingest.parse_number(text)


@settings(max_examples=200, deadline=None)
@given(st.integers(min_value=0, max_value=10**9), st.integers(min_value=0, max_value=99))
def test_vietnamese_separators_round_trip(whole, cents):
    grouped = f"{whole:,}".replace(",", ".")
    assert ingest.parse_number(grouped) == (float(whole), False)
    expected = (float(f"{whole}.{cents:02d}"), False)
    assert ingest.parse_number(f"{grouped},{cents:02d}") == expected
    assert ingest.parse_number(f"{whole:,}.{cents:02d}") == expected


@pytest.mark.parametrize(
    "header, indicator",
    [
        ("Số hộ nghèo", "poor_households"),
        ("so ho ngheo", "poor_households"),
        ("SỐ HỘ NGHÈO", "poor_households"),
        ("Hộ nghèo", "poor_households"),
        ("Tổng số hộ", "households"),
        ("Tong so ho", "households"),
        ("Số hộ dân", "households"),
        ("hộ cận nghèo", "near_poor_households"),
        ("Số hộ cận nghèo (hộ)", "near_poor_households"),
        ("Tỷ lệ hộ nghèo (%)", "poor_rate"),
        ("Tỉ lệ hộ nghèo", "poor_rate"),
        ("ty le ho can ngheo", "near_poor_rate"),
        ("Hộ nghèo %", "poor_rate"),
        ("Năm", "year"),
        ("nam", "year"),
        ("poor_rate", "poor_rate"),
        ("Ghi chú", None),
        ("STT", None),
        ("Mã xã", None),
    ],
)
def test_headers(header, indicator, gpkg):
    cat = storage.read_layer("catalogue", gpkg)
    assert ingest.indicator_for_header(header, cat) == indicator


def test_catalogue_names_and_ids_are_headers(gpkg):
    cat = storage.read_layer("catalogue", gpkg)
    assert ingest.indicator_for_header("Tỷ lệ đường thôn được cứng hóa", cat) == "road_village_hardened_pct"
    assert ingest.indicator_for_header("road_village_hardened_pct", cat) == "road_village_hardened_pct"


# ---------------------------------------------------------------- file types


@pytest.mark.parametrize(
    "data, name, message",
    [
        (b"", "a.csv", "empty"),
        (b"%PDF-1.4 ...", "a.csv", "PDF"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 100, "a.xls", "unsupported file type .xls"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 100, "a.xlsx", "97-2003"),
        (b"\x89PNG\r\n\x1a\n....", "a.csv", "PNG"),
        (b"MZ\x90\x00", "a.csv", "program"),
        (b"PK\x03\x04" + b"\0" * 40, "a.xlsx", "ZIP archive"),
        (b"<html><body>x</body></html>", "a.csv", "HTML"),
        (b'{"type": "FeatureCollection"}', "a.csv", "JSON"),
        (b"a,b\n1,2\n", "a.exe", "unsupported file type .exe"),
        (b"a,b\n1,2\n", "a.xlsx", "not an Excel workbook"),
        (b"a,b\x00\x01\x02", "a.csv", "binary"),
        (b"SQLite format 3\x00....", "a.csv", "GeoPackage"),
    ],
)
def test_sniff_rejects(data, name, message):
    with pytest.raises(UploadError, match=message) as err:
        ingest.sniff(data, name)
    assert err.value.status == 400


def test_sniff_xlsx_named_csv(tmp_path):
    data = _xlsx([["Mã xã", "Số hộ nghèo"], ["23344", 5]])
    assert ingest.sniff(data, "a.xlsx") == "xlsx"
    with pytest.raises(UploadError, match="rename it to .xlsx"):
        ingest.sniff(data, "a.csv")


def test_size_cap(configure):
    configure(max_upload_bytes=100)
    with pytest.raises(UploadError, match="limit is 100 bytes") as err:
        ingest.sniff(b"a,b\n" * 50, "a.csv")
    assert err.value.status == 413


@pytest.mark.parametrize(
    "name, message",
    [
        ("empty.csv", "empty"),
        ("header_only.csv", "no data rows"),
        ("not_a_table.pdf", "unsupported file type"),
        ("old_excel.xls", "unsupported file type .xls"),
    ],
)
def test_unreadable_fixture_files(state, name, message):
    with pytest.raises(UploadError, match=message):
        run(name)


# ---------------------------------------------------------------- previews


def test_good_file(state, base_obs):
    pv = run("review_2020_communes.csv", note="QĐ 04/QĐ-UBND 04/01/2021")
    assert pv.ok and not pv.errors, [p.line() for p in pv.problems]
    assert pv.file_type == "csv" and pv.encoding == "utf-8" and pv.years == [2020]
    assert pv.columns.code == "Mã xã" and pv.columns.name == "Tên xã" and pv.columns.district == "Huyện"
    assert pv.columns.values == {
        "Tổng số hộ": "households",
        "Số hộ nghèo": "poor_households",
        "Số hộ cận nghèo": "near_poor_households",
    }
    rep = pv.join[2020]
    assert rep["counts"]["matched_by_code"] == 2 and rep["counts"]["matched_by_name"] == 3
    assert rep["counts"]["units_without_data"] == 97
    # the total row is skipped with a warning, not silently
    assert [p.message for p in by_row(pv)[7]] == ["'Tổng cộng' looks like a total row; skipped"]
    obs = pv.observations.set_index(["gso_code", "indicator"])
    assert obs.loc[("23341", "households"), "value"] == 1520  # "1.520": the dot groups thousands
    assert obs.loc[("23344", "poor_households"), "value"] == 131
    assert obs.loc[("23344", "poor_rate"), "value"] == pytest.approx(100 * 131 / 384, abs=1e-4)
    assert set(obs["status"]) == {"official"} and set(obs["standard"]) <= {STD, ""}
    assert obs.loc[("23344", "households"), "standard"] == ""
    assert "QĐ 04/QĐ-UBND" in obs["source"].iloc[0] and pv.sha256[:16] in obs["source"].iloc[0]
    assert len(pv.observations) == 25 and pv.counts()["units"] == 5
    change = next(c for c in pv.changes if c["gso_code"] == "23344" and c["indicator"] == "poor_households")
    assert change == {
        **change,
        "row": 3,
        "old": synthetic(base_obs, "23344", "poor_households", 2020),
        "old_status": "synthetic",
        "new": 131.0,
        "status": "official",
    }
    assert pv.counts()["replaces_synthetic"] == 20  # 4 poverty indicators × 5 communes; households are new


def test_semicolon_bom_and_vietnamese_numbers(state):
    pv = run("review_2020_bom_semicolon.csv")
    assert pv.ok, [p.line() for p in pv.problems]
    assert pv.encoding == "utf-8-sig" and not pv.warnings
    obs = pv.observations.set_index(["gso_code", "indicator"])["value"]
    assert obs[("23404", "households")] == 1012
    assert obs[("23404", "poor_rate")] == 40.71
    assert obs[("23407", "poor_rate")] == 34.4
    assert obs[("23407", "near_poor_households")] == 70
    # given rates are kept, not recomputed
    assert len(obs) == 10


@pytest.mark.parametrize(
    "name, encoding_used, warning",
    [
        ("review_2020_tcvn3.csv", "cp1252", "TCVN3"),
        ("review_2020_vni.csv", "utf-8", "VNI"),
        ("review_2020_cp1258.csv", "cp1258", "Windows-1258"),
    ],
)
def test_legacy_encodings(state, name, encoding_used, warning):
    pv = run(name)
    assert pv.ok, [p.line() for p in pv.problems]
    assert pv.encoding == encoding_used
    assert any(warning in p.message for p in pv.warnings)
    got = pv.observations.set_index(["gso_code", "indicator"])["value"].to_dict()
    assert got[("23344", "poor_households")] == 131 and got[("23365", "households")] == 700
    assert got[("23362", "near_poor_households")] == 44
    assert {c for c, _ in got} == {"23344", "23365", "23362"}
    assert set(pv.columns.values.values()) == {"households", "poor_households", "near_poor_households"}


def test_every_bad_row_reported_with_its_row_number(state):
    pv = run("bad_rows_2020.csv")
    assert not pv.ok
    rows = by_row(pv)
    expected = {
        3: "poor households (400) exceed households (300)",
        4: "-3 is negative",
        5: "'abc' is not a number",
        6: "'Đăk Long' matches several units",
        7: "'Xã Không Có': no unit of that name",
        8: "duplicate: 23341 Thị trấn Đắk Glei (Huyện Đắk Glei) is already in row 2",
        9: "12.5 is not a whole number",
        10: "poor + near-poor households (450) exceed households (400)",
        11: "120 is outside 0–100 %",
        12: "10% is a percentage, but poor_households is counted in households",
        13: "unknown GSO code 99999",
    }
    for row, text in expected.items():
        assert any(text in p.message and p.severity == "error" for p in rows.get(row, [])), (row, rows.get(row))
    assert {p.row for p in pv.errors} == set(expected)
    assert rows[5][0].column == "Tổng số hộ" and rows[11][0].column == "Tỷ lệ hộ nghèo (%)"
    # only row 2 is clean; nothing of the bad rows reaches the observations
    assert set(pv.observations["src_row"]) == {2}


def test_years(state):
    pv = run("bad_years.csv", year=None)
    rows = by_row(pv)
    assert "not reviewed under the 2016-2020 standard" in rows[3][0].message
    assert "year 2030 is outside 2015–2025" in rows[4][0].message
    assert "'hai nghìn' is not a year" in rows[5][0].message
    assert {p.row for p in pv.errors} == {3, 4, 5}
    with pytest.raises(UploadError, match="year 2031 is outside 2015–2025"):
        run("review_2020_communes.csv", year=2031)
    with pytest.raises(UploadError, match="unknown poverty standard"):
        run("review_2020_communes.csv", standard="2030-2035")
    pv = run("review_2020_communes.csv", year=2021)
    assert pv.errors and all("2016-2020 standard" in p.message for p in pv.errors)
    assert run("review_2020_communes.csv", year=2022, standard="2022-2025").ok
    pv = run("review_2020_communes.csv", standard=None)
    assert [p.message for p in pv.errors][0].startswith("declare the poverty standard")
    assert set(pv.observations["indicator"]) == {"households"}  # no poverty value without its standard
    pv = run("review_2020_communes.csv", year=None)
    assert any("no year" in p.message for p in pv.errors)


def test_multi_year_file_is_not_duplicated(state):
    pv = run("multi_year.csv", year=None)
    assert pv.ok, [p.line() for p in pv.problems]
    assert pv.years == [2019, 2020] and set(pv.join) == {2019, 2020}
    obs = pv.observations
    assert len(obs[(obs.gso_code == "23344") & (obs.indicator == "poor_households")]) == 2


def test_district_level(state, base_obs):
    pv = run("districts_2017.csv", year=2017, level="district", status="reported")
    assert pv.ok, [p.line() for p in pv.problems]
    ch = {(c["gso_code"], c["indicator"]): c for c in pv.changes}
    tmr = ch[("617", "poor_rate")]
    real = base_obs[
        (base_obs.gso_code == "617")
        & (base_obs.indicator == "poor_rate")
        & (base_obs.year == 2017)
        & (base_obs.status == "official")
    ]
    assert (tmr["old"], tmr["old_status"], tmr["new"], tmr["status"]) == (
        float(real["value"].iloc[0]),
        "official",
        57.9,
        "reported",
    )
    assert ch[("610", "poor_rate")]["old_status"] == "synthetic"


def test_any_catalogued_indicator(state):
    data = 'Mã xã,road_village_hardened_pct,Dân số 2019 (TĐT)\n23344,55,\n23347,"60,5",\n'.encode()
    pv = ingest.preview(data, "roads.csv", year=2020)
    assert pv.ok, [p.line() for p in pv.problems]
    assert pv.observations["indicator"].tolist() == ["road_village_hardened_pct"] * 2
    assert pv.observations["standard"].tolist() == ["", ""] and pv.observations["unit"].tolist() == ["%", "%"]


def test_missing_columns(state):
    pv = ingest.preview("Ghi chú,Số hộ nghèo\nx,5\n".encode(), "a.csv", year=2020, standard="2016-2020")
    assert "no commune (Mã xã / Tên xã) code or name column" in pv.errors[0].message
    pv = ingest.preview("Mã xã,Ghi chú\n23344,x\n".encode(), "a.csv", year=2020, standard="2016-2020")
    assert pv.errors[0].message.startswith("no value column")
    pv = ingest.preview("Mã xã,Số hộ nghèo,Hộ nghèo\n23344,5,6\n".encode(), "a.csv", year=2020, standard="2016-2020")
    assert "both give poor_households" in pv.errors[0].message


def _xlsx(rows, percent_cols=(), sheets=1) -> bytes:
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.title = "Biểu 01"
    for r in rows:
        ws.append(r)
    for col in percent_cols:
        for cell in ws[col][1:]:
            cell.number_format = "0.00%"
    for i in range(1, sheets):
        wb.create_sheet(f"Sheet{i + 1}").append(["x"])
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def test_xlsx_with_title_rows_and_percent_format(state):
    rows = [
        ["KẾT QUẢ RÀ SOÁT HỘ NGHÈO, HỘ CẬN NGHÈO NĂM 2020"],
        [None],
        ["Mã xã", "Tên xã", "Tổng số hộ", "Số hộ nghèo", "Tỷ lệ hộ nghèo"],
        ["23344", "Xã Đắk Blô", 384, 131, 0.3411],
        [23347, "Xã Đắk Man", "1.045", "102", 0.0976],
        [23350, "Xã Đắk Nhoong", 591, "x", 0.2],
    ]
    data = _xlsx(rows, percent_cols=("E",), sheets=2)
    pv = ingest.preview(data, "ket_qua.xlsx", year=2020, standard="2016-2020")
    assert pv.file_type == "xlsx" and pv.sheet == "Biểu 01"
    rows_ = by_row(pv)
    assert "'x' is not a number" in rows_[6][0].message and rows_[6][0].column == "Số hộ nghèo"
    assert any("above the header (row 3)" in p.message for p in pv.warnings)
    assert any("other sheets (Sheet2)" in p.message for p in pv.warnings)
    obs = pv.observations.set_index(["gso_code", "indicator"])["value"]
    assert obs[("23344", "poor_rate")] == pytest.approx(34.11)
    assert obs[("23347", "households")] == 1045 and obs[("23347", "poor_households")] == 102


def test_preview_writes_nothing(state):
    run("review_2020_communes.csv")
    run("bad_rows_2020.csv")
    assert not state.exists()


# ---------------------------------------------------------------- staging


def test_stage_load_expire(state, monkeypatch):
    data = (FIX / "review_2020_communes.csv").read_bytes()
    sid, expires = staging.stage(data, "a.csv", {"year": 2020, "standard": "2016-2020"}, "alice")
    path = staging.staging_dir() / sid
    assert (path / "upload.bin").read_bytes() == data
    assert oct(staging.staging_dir().stat().st_mode & 0o777) == "0o700"
    assert oct((path / "upload.bin").stat().st_mode & 0o777) == "0o600"
    pv = staging.staged_preview(sid)
    assert pv.ok and pv.id == sid and pv.who == "alice"
    for bad in ("../../etc/passwd", "..", "a" * 10, "x/y" * 10, sid + "/../x"):
        with pytest.raises(UploadError) as err:
            staging.load_staged(bad)
        assert err.value.status == 404
    now = staging._now()
    monkeypatch.setattr(staging, "_now", lambda: now + staging.staging_ttl() + 1)
    with pytest.raises(UploadError, match="expired") as err:
        staging.load_staged(sid)
    assert err.value.status == 410 and not path.exists()
    sid2, _ = staging.stage(data, "a.csv", {}, "alice")
    monkeypatch.setattr(staging, "_now", lambda: now + 3 * staging.staging_ttl())
    assert staging.purge_expired() == 1 and not (staging.staging_dir() / sid2).exists()


# ---------------------------------------------------------------- command line


def test_cli_dry_run_and_commit(state, capsys):
    f = str(FIX / "review_2020_communes.csv")
    assert cli.main(["ingest", f, "--year", "2020", "--standard", "2016-2020", "--dry-run"]) == 0
    out = capsys.readouterr()
    assert "25 values for 5 units" in out.out and "dry run" in out.err
    assert not (state / "versions").exists()
    assert (
        cli.main(
            ["ingest", f, "--year", "2020", "--standard", "2016-2020", "--who", "tester", "--note", "QĐ 04/QĐ-UBND"]
        )
        == 0
    )
    assert "version 1 is now current" in capsys.readouterr().out
    assert versions.current_number() == 1 and versions.get(1).manifest["who"] == "tester"


@pytest.mark.parametrize(
    "args, message",
    [
        (["ingest", "{FIX}/bad_rows_2020.csv", "--year", "2020", "--standard", "2016-2020"], "11 problems"),
        (["ingest", "{FIX}/empty.csv", "--year", "2020"], "the file is empty"),
        (["ingest", "{FIX}/not_a_table.pdf", "--year", "2020"], "unsupported file type .pdf"),
        (["ingest", "{FIX}/nope.csv", "--year", "2020"], "no such file"),
        (["ingest", "{FIX}/review_2020_communes.csv", "--year", "2040"], "outside 2015–2025"),
        (["ingest", "{FIX}/review_2020_communes.csv", "--year", "2020", "--standard", "1990"], "unknown poverty"),
        (["versions", "restore", "7"], "there is no dataset version 7"),
    ],
)
def test_cli_refusals_exit_2_with_one_line(state, capsys, args, message):
    args = [a.replace("{FIX}", str(FIX)) for a in args]
    assert cli.main(args) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("error: ") and message in err[0], err
    assert not (state / "versions").exists() and not (state / "current").exists()
