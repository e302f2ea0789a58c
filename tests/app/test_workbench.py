"""The page's workbench on the server: layer downloads in six formats and the options the panel offers."""

from __future__ import annotations

import csv
import io
import xml.etree.ElementTree as ET
import zipfile

import pyogrio
import pytest


@pytest.fixture(scope="module")
def app(gpkg):
    from app import create_app

    return create_app({"GEO_GPKG": str(gpkg), "TESTING": True})


@pytest.fixture(scope="module")
def client(app):
    return app.test_client()


@pytest.fixture(scope="module")
def obs(gpkg):
    from geo.io import storage

    return storage.read_layer("observations", gpkg)


def _csv(client, url):
    r = client.get(url)
    assert r.status_code == 200, r.get_data(as_text=True)[:300]
    assert r.data.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(r.data.decode("utf-8-sig"))))
    return r, rows[0], rows[1:]


def test_attribute_table_download_is_exactly_the_rows_asked_for(client, obs):
    from geo.indicators import values

    r, header, body = _csv(client, "/layers/poor_rate/download?f=csv&year=2016&codes=23545,23538")
    assert r.headers["Content-Disposition"] == (
        'attachment; filename="kontum_poor_rate_2016_std_2016_2020_multidimensional_2_of_102.csv"'
    )
    assert [row[header.index("Mã GSO")] for row in body] == ["23545", "23538"]  # the table's order
    v = values.values(obs, "poor_rate", "commune", 2016).set_index("gso_code")["value"]
    exact = header.index("Tỷ lệ hộ nghèo (%) — giá trị chính xác")
    shown = header.index("Tỷ lệ hộ nghèo (%) — làm tròn như trên bản đồ")
    for row in body:
        assert float(row[exact]) == pytest.approx(v[row[header.index("Mã GSO")]])
        assert float(row[shown]) == round(float(row[exact]), 1)
    assert "Số hộ nghèo (hộ) — giá trị chính xác" in header and not {"wkt", "lon", "lat"} & set(header)
    assert {row[header.index("Trạng thái: Tỷ lệ hộ nghèo (%)")] for row in body} == {"synthetic"}


def test_whole_layers_in_every_format(client, gpkg, tmp_path):
    from openpyxl import load_workbook

    from geo.io import storage

    works = storage.read_layer("works", gpkg)
    n_elec = int((works["kind"] == "electrification").sum())
    for layer, n in (("poor_rate", 102), ("border_communes", 102), ("works_electrification", n_elec)):
        for fmt in ("geojson", "csv", "gpkg", "shp", "kml", "xlsx"):
            r = client.get(f"/layers/{layer}/download?f={fmt}&lang=en")
            assert r.status_code == 200, (layer, fmt, r.get_data(as_text=True)[:300])
            name = r.headers["Content-Disposition"].split('filename="')[1].rstrip('"')
            assert name.startswith(f"kontum_{layer}") and "_of_" not in name
            path = tmp_path / name
            path.write_bytes(r.data)
            if fmt == "xlsx":
                assert load_workbook(path)["du_lieu_data"].max_row == n + 1
            elif fmt == "csv":
                assert len(list(csv.reader(io.StringIO(r.data.decode("utf-8-sig"))))) == n + 1
            elif fmt == "kml":
                marks = ET.fromstring(r.data).findall(".//{http://www.opengis.net/kml/2.2}Placemark")
                assert (
                    len(marks) == n and "<table>" in marks[0].find("{http://www.opengis.net/kml/2.2}description").text
                )
            else:
                src = f"/vsizip/{path}" if fmt == "shp" else str(path)
                assert len(pyogrio.read_dataframe(src)) == n
    assert "2020" in client.get("/layers/poor_rate/download?f=csv").headers["Content-Disposition"]
    assert zipfile.is_zipfile(io.BytesIO(client.get("/layers/roads/download?f=shp").data))


@pytest.mark.parametrize(
    "url, status, words",
    [
        ("/layers/poor_rate/download", 400, "give a format"),
        ("/layers/poor_rate/download?f=pdf", 400, "unknown f"),
        ("/layers/poor_rate/download?f=csv&year=1999", 400, "no year 1999"),
        ("/layers/poor_rate/download?f=csv&codes=99999", 400, "99999"),
        ("/layers/poor_rate/download?f=csv&codes=23538,23538", 400, "twice"),
        ("/layers/poor_rate/download?f=csv&codes=<x>", 400, "malformed"),
        ("/layers/poor_rate/download?f=kml&geometry=wkt", 400, "applies to"),
        ("/layers/poor_rate/download?f=csv&limit=3", 400, "unknown parameter"),
        ("/layers/nope/download?f=csv", 404, "unknown layer"),
    ],
)
def test_bad_download_requests_say_why(client, url, status, words):
    r = client.get(url, headers={"Accept-Language": "en"})
    assert r.status_code == status and words in r.get_json()["description"]
    vi = client.get(url).get_json()["description"]  # Vietnamese by default: the same refusal, in other words
    assert client.get(url).status_code == status and vi != r.get_json()["description"]


def test_page_offers_what_targets_can_do(app):
    from app import workbench
    from geo.analysis import targeting

    with app.test_request_context("/"):
        from app import context

        opts = workbench.page_options("vi", context.backend())
    assert [x["id"] for x in opts["levels"]] == list(targeting.LEVELS)
    poor = next(x for x in opts["indicators"]["commune"] if x["id"] == "poor_rate")
    assert {2015, 2016, 2020} <= set(poor["years"])
    assert poor["standard_by_year"]["2020"] == "Đa chiều 2016–2020 (QĐ 59/2015/QĐ-TTg)"
    ids = [s["id"] for s in opts["statuses"]]
    assert ids[:3] == ["p135", "poor_district", "ntm_recognised"] and "border" in ids
    assert opts["formats"] == ["geojson", "csv", "gpkg", "shp", "kml", "xlsx"]
    assert set(opts["i18n"]) == set(workbench.strings("en")) - {"columns", "standards"}


def test_the_option_tables_say_what_each_indicator_says_alone(obs, gpkg):
    """page_options reads every indicator's standards, years, units per year and observed
    standard per year in one pass (option_tables); on the real observations of every
    rankable indicator and level it is what the per-indicator functions say."""
    from app import workbench
    from geo.analysis import targeting
    from geo.indicators import values as indicators
    from geo.io import storage

    catalogue = storage.read_layer("catalogue", gpkg)
    tables = workbench.option_tables(obs)
    checked = 0
    for level in targeting.LEVELS:
        for ind in targeting.rankable(obs, catalogue, level):
            rows = obs[(obs["indicator"] == ind) & (obs["unit_level"] == level)]
            got = tables.get((ind, level), {"standards": [], "years": [], "year_units": {}, "observed": {}})
            years = indicators.years(obs, ind, level)
            assert got["years"] == years, (ind, level)
            assert got["standards"] == sorted({str(x) for x in rows["standard"].dropna() if str(x)}), (ind, level)
            dated = rows[rows["year"].notna()]
            counts = dated.groupby(dated["year"].astype(int))["gso_code"].nunique()
            assert got["year_units"] == {y: int(counts.get(y, 0)) for y in years}, (ind, level)
            for year in years:
                assert got["observed"][year] == workbench.observed_standard(rows, ind, level, year), (ind, level, year)
                checked += 1
    assert checked > 100
    assert tables[("poor_rate", "commune")]["observed"][2020] == "2016-2020 multidimensional (QĐ 59/2015/QĐ-TTg)"


def test_every_workbench_string_is_in_the_catalogue():
    """The workbench's strings are the catalogue's ``workbench`` table: every ``T.key`` of the
    page's script and every table the Python side reads is there, and no other strings file."""
    import re
    from pathlib import Path

    from app import workbench
    from geo import messages

    root = Path(workbench.__file__).parent
    assert not (root / "workbench_strings.json").exists()
    script = "\n".join(
        (root / "static" / "map" / name).read_text(encoding="utf-8")
        for name in ("kontum-workbench.js", "kontum-compare.js")
    )
    keys = set(re.findall(r"\bT\.([a-z_][a-z0-9_]*)\b", script))
    assert {"mode", "run", "attr_table", "totals", "change_map", "swipe_handle"} <= keys  # the scan finds them
    cat = messages.catalogue()
    missing = sorted(k for k in keys if f"workbench.{k}" not in cat)
    assert missing == []
    for prefix in re.findall(r'\bT\["([a-z_]+)" \+', script):  # T["c_" + c]: some key with the prefix
        assert any(mid.startswith(f"workbench.{prefix}") for mid in cat), prefix
    for sub in workbench.SUBTABLES:
        assert workbench.strings("vi")[sub] and set(workbench.strings("vi")[sub]) == set(workbench.strings("en")[sub])
    assert workbench.strings("vi")["levels"]["commune_2025"] == "Xã mới (từ 1/7/2025)"
    assert workbench.unit_label("flag", "vi") == "" and workbench.unit_label("households", "vi") == "hộ"


def test_strings_have_both_languages():
    from app import workbench

    vi, en = workbench.strings("vi"), workbench.strings("en")
    assert set(vi) == set(en) and set(vi["columns"]) == set(en["columns"])
    for key, text in vi.items():
        if isinstance(text, str):
            assert text and en[key], key
