"""Poverty standards never mixed, over HTTP: /targets refuses mixed-standard requests
(400 naming both standards), every ranking row and export carries ``standard`` and
``year``, OGC columns hold one year and one standard, popups and the chart show only
the layer's year and standard (real districts: Tu Mơ Rông, Ngọc Hồi; Kroong's 2013 bound)."""

from __future__ import annotations

import csv
import io
import json
import re

import pyogrio
import pytest

S11 = "2011-2015 income"
S16 = "2016-2020 multidimensional (QĐ 59/2015/QĐ-TTg)"
S22 = "2022-2025 (NĐ 07/2021/NĐ-CP)"


@pytest.fixture(scope="module")
def client(gpkg, backend_config):
    """The service on each backend in turn (embedded GeoPackage, PostGIS)."""
    from app import create_app

    app = create_app({"GEO_GPKG": str(gpkg), "TESTING": True, **backend_config})
    return app.test_client()


@pytest.fixture(scope="module")
def map_client(gpkg):
    from app import create_app

    return create_app({"GEO_GPKG": str(gpkg), "TESTING": True}).test_client()


def _ok(client, url):
    r = client.get(url)
    assert r.status_code == 200, r.get_data(as_text=True)[:500]
    return r


# ------------------------------------------------------------------ refused requests


@pytest.mark.parametrize(
    "query, words",
    [
        # a composite whose indicators' default periods are two standards: refused, naming both
        ("level=district&weights=poor_rate:1,em_poor_households:1", [S16, S22, "em_poor_households", "standard="]),
        ("level=commune&weights=poor_rate:1,em_poor_households:1", ["unknown indicator 'em_poor_households'"]),
        # year and standard must agree
        ("level=district&indicator=poor_rate&year=2020&standard=2022-2025", ["year 2020 does not agree", "2022-2025"]),
        ("indicator=poor_rate&year=2016&standard=2011-2015", ["year 2016 does not agree", "2011-2015"]),
        ("level=district&weights=poor_rate:1,near_poor_rate:1&year=2022&standard=2016-2020", ["year 2022"]),
        # a standard the level has no values of in that year: never another standard's values
        ("level=district&indicator=poor_rate&year=2021&standard=2016-2020", ["no district values of poor_rate"]),
        ("indicator=poor_rate&year=2021", ["no commune values of poor_rate for 2021 by the 2022-2025"]),
        ("level=district&weights=poor_rate:1,near_poor_rate:1&standard=2022-2025", ["near_poor_rate", "2022-2025"]),
        ("standard=2030", ["unknown poverty standard '2030'"]),
        ("standard=", None),  # empty: the default (not refused)
    ],
)
def test_mixed_standard_requests_are_refused(client, query, words):
    r = client.get(f"/targets?{query}&geometry=none")
    if words is None:
        assert r.status_code == 200
        return
    assert r.status_code == 400, r.get_data(as_text=True)[:300]
    body = r.get_json()
    assert set(body) == {"code", "description", "error", "status"}
    for w in words:
        assert w in body["description"], (w, body["description"])


def test_district_poor_households_default_to_2020_of_the_2016_2020_standard(client):
    """The default period is the same at every level: district poor households of 2020 are the
    carried sums of the communes' synthetic counts (status synthetic), never the 2021 review."""
    doc = _ok(client, "/targets?level=district&indicator=poor_households&geometry=none").get_json()
    assert doc["query"]["standard"] == S16 and doc["query"]["year"] == {"poor_households": 2020}
    assert len(doc["features"]) == 10
    for f in doc["features"]:
        p = f["properties"]
        assert p["year"] == 2020 and p["standard"] == S16 and p["poor_households_standard"] == S16
        assert p["poor_households_status"] == "synthetic" and p["poor_households"] > 0


def test_composite_refusal_names_both_standards_and_how_to_choose(client):
    r = client.get("/targets?level=district&weights=poor_rate:1,em_poor_households:1")
    text = r.get_json()["description"]
    assert re.search(
        rf"poor_rate from the {re.escape(S16)} standard; em_poor_households from the {re.escape(S22)}", text
    )
    assert "standard=2016-2020 or standard=2022-2025" in text


# ------------------------------------------------------------------ defaults and rows


@pytest.mark.parametrize("level", ["commune", "district"])
@pytest.mark.parametrize("weights", ["poor_rate:1", "near_poor_rate:1", "poor_rate:1,near_poor_rate:1"])
def test_defaults_pick_the_same_year_and_standard_at_every_level(client, level, weights):
    doc = _ok(client, f"/targets?level={level}&weights={weights}&geometry=none").get_json()
    assert doc["query"]["standard"] == S16
    assert set(doc["query"]["year"].values()) == {2020}
    for f in doc["features"]:
        p = f["properties"]
        assert p["year"] == 2020 and p["standard"] == S16
        for ind in weights.replace(":1", "").split(","):
            assert p[f"{ind}_year"] == 2020 and p[f"{ind}_standard"] == S16
    assert {i["standard"] for i in doc["metadata"]["indicators"]} == {S16}


def test_standard_selects_the_real_2021_review(client, gpkg):
    from geo.indicators import values as ind
    from geo.io import storage

    doc = _ok(client, "/targets?level=district&indicator=poor_rate&standard=2022-2025&geometry=none").get_json()
    want = ind.values(storage.read_layer("observations", gpkg), "poor_rate", "district", 2021, S22)
    want = dict(zip(want["gso_code"], want["value"]))
    got = {f["properties"]["gso_code"]: f["properties"]["poor_rate"] for f in doc["features"]}
    assert got == want and len(got) == 10 and got["617"] == 52.11  # Tu Mơ Rông, 3,546 / 6,805
    assert {f["properties"]["standard"] for f in doc["features"]} == {S22}
    assert {f["properties"]["poor_rate_status"] for f in doc["features"]} == {"derived"}
    assert doc["metadata"]["indicators"][0]["standard_short"] == "Đa chiều 2022–2025"


def _csv_rows(data: bytes) -> list[dict]:
    csv.field_size_limit(2**30)  # district polygons as WKT
    return list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"))))


def _raw_names(client, gpkg, query: str, lang: str) -> dict[str, str]:
    """Header label → column name, by the table the workbench labels CSV/XLSX headers with."""
    from app import workbench
    from geo.io import export, storage

    doc = _ok(client, f"/targets?{query}&geometry=none").get_json()
    cols = list(doc["features"][0]["properties"])
    cols += [f"{c}{export.SHOWN_SUFFIX}" for c in cols]
    labels = workbench.column_labels(cols, storage.read_layer("catalogue", gpkg), lang)
    assert len(set(labels.values())) == len(labels)  # one header, one column
    return {v: k for k, v in labels.items()}


@pytest.mark.parametrize("fmt", ["csv", "xlsx", "geojson", "gpkg", "kml", "shp"])
def test_every_export_row_carries_standard_and_year(client, gpkg, fmt, tmp_path):
    query = "level=district&weights=poor_rate:1,near_poor_rate:1"
    # CSV/XLSX headers are labelled in the reader's language: read them back through the label table
    r = _ok(client, f"/targets?{query}&f={fmt}" + ("&lang=en" if fmt in ("csv", "xlsx") else ""))
    raw = _raw_names(client, gpkg, query, "en") if fmt in ("csv", "xlsx") else {}
    if fmt == "csv":
        rows = [{raw.get(k, k): v for k, v in x.items()} for x in _csv_rows(r.data)]
        assert len(rows) == 10
        assert all(x["standard"] == S16 and x["year"] == "2020" for x in rows)
        assert all(x["poor_rate_standard"] == S16 and x["near_poor_rate_standard"] == S16 for x in rows)
    elif fmt == "xlsx":
        import openpyxl

        sheet = openpyxl.load_workbook(io.BytesIO(r.data))["du_lieu_data"]
        head = [raw.get(c.value, c.value) for c in next(sheet.iter_rows(max_row=1))]
        rows = [dict(zip(head, [c.value for c in row])) for row in sheet.iter_rows(min_row=2)]
        assert len(rows) == 10 and all(x["standard"] == S16 and int(x["year"]) == 2020 for x in rows)
    elif fmt == "geojson":
        feats = json.loads(r.data)["features"]
        assert len(feats) == 10 and all(f["properties"]["standard"] == S16 for f in feats)
        assert all(f["properties"]["year"] == 2020 for f in feats)
    elif fmt == "kml":
        text = r.data.decode("utf-8")
        assert text.count('<SimpleData name="standard">' + S16 + "</SimpleData>") == 10
        assert text.count('<SimpleData name="year">2020</SimpleData>') == 10
    else:
        path = tmp_path / ("x.gpkg" if fmt == "gpkg" else "x.shp.zip")
        path.write_bytes(r.data)
        target = str(path) if fmt == "gpkg" else f"/vsizip/{path}"
        layers = [n for n, _ in pyogrio.list_layers(target) if "nguon" not in n and "source" not in n]
        frame = pyogrio.read_dataframe(target, layer=layers[0])
        std_col = "standard"  # ≤ 10 characters: the Shapefile keeps the name
        assert len(frame) == 10 and set(frame[std_col]) == {S16} and set(frame["year"].astype(int)) == {2020}


def test_json_ranking_rows_carry_standard_and_year_on_both_levels(client):
    for level in ("commune", "district"):
        doc = _ok(client, f"/targets?level={level}&near=border&geometry=none").get_json()
        assert doc["features"]
        assert all(f["properties"]["standard"] == S16 and f["properties"]["year"] == 2020 for f in doc["features"])


# ------------------------------------------------------------------ OGC columns


def test_ogc_district_columns_hold_one_year_and_one_standard(client, gpkg):
    doc = _ok(client, "/ogc/collections/districts/items?limit=20").get_json()
    props = {f["id"]: f["properties"] for f in doc["features"]}
    assert "em_poor_households" not in props["611"]  # never one column of two years/standards
    ngoc_hoi = props["611"]
    assert ngoc_hoi["em_poor_households_2021"] == 942 and ngoc_hoi["em_poor_households_2022"] == 690
    assert ngoc_hoi["em_poor_households_2021_standard"] == S22
    assert props["617"]["em_poor_households_2017"] == 3537  # Tu Mơ Rông, 2016–2020 standard
    assert props["617"]["em_poor_households_2017_standard"] == S16
    assert props["608"].get("em_poor_households_2022") is None
    # the real 2021 review is served beside the 2016–2020 series, never in the same column
    assert props["617"]["poor_rate_2021"] == 52.11 and props["617"]["poor_rate_2021_standard"] == S22
    assert props["617"]["poor_rate_2020_standard"] == S16


def test_ogc_every_poverty_column_declares_its_one_standard(gpkg):
    from geo.indicators import standards
    from geo.ogc import features as F

    for cid in ("communes", "districts"):
        c = F.get(cid, gpkg)
        poverty = [
            col for col in c.columns.values() if col.standard and not col.name.endswith(("_status", "_standard"))
        ]
        assert poverty
        for col in poverty:
            assert set(c.frame[col.name + "_standard"]) == {col.standard}, col.name
            own = standards.of_year(col.year)
            if col.standard == own.label:
                assert col.name == f"{col.indicator}_{col.year}"
            else:
                assert col.name == f"{col.indicator}_{col.year}_{standards.by_label(col.standard).suffix}"
    communes = F.get("communes", gpkg)
    assert communes.columns["poor_rate_2021_2016_2020"].standard == S16  # Đắk KRoong's 2021 figure


def test_ogc_schema_names_the_standard(client):
    props = _ok(client, "/ogc/collections/districts/schema?lang=vi").get_json()["properties"]
    assert props["poor_rate_2021"]["x-standard"] == S22 and props["poor_rate_2021"]["x-year"] == 2021
    assert "Chuẩn nghèo: Đa chiều 2022–2025 (NĐ 07/2021/NĐ-CP)" in props["poor_rate_2021"]["description"]
    en = _ok(client, "/ogc/collections/districts/schema?lang=en").get_json()["properties"]
    assert "Poverty standard: Multidimensional 2016–2020" in en["poor_rate_2020"]["description"]
    assert "x-standard" not in en["population_2019"] and en["population_2019"]["x-year"] == 2019


def test_ogc_csv_export_carries_the_standard_columns(client):
    r = _ok(client, "/ogc/collections/districts/items?f=csv")
    rows = _csv_rows(r.data)
    assert len(rows) == 10
    assert {x["poor_rate_2020_standard"] for x in rows} == {S16}
    assert {x["poor_rate_2021_standard"] for x in rows} == {S22}


# ------------------------------------------------------------------ popups and the chart


def _feature(client, layer, code, lang="vi", year=None):
    q = f"&year={year}" if year else ""
    doc = _ok(client, f"/layers/{layer}.geojson?geometry=none&lang={lang}{q}").get_json()
    return doc["layer"], next(f["properties"] for f in doc["features"] if f["id"] == code)


@pytest.mark.parametrize("code", ["617", "611"])  # Tu Mơ Rông, Ngọc Hồi
@pytest.mark.parametrize("year", [2020, 2018])
def test_district_popup_shows_only_its_year_and_standard(map_client, gpkg, code, year):
    meta, p = _feature(map_client, "district_poor_rate", code, year=year)
    assert meta["standard"] == S16 and p["year"] == year
    assert meta["standards_short"][p["std"]] == "Đa chiều 2016–2020"
    for item in p["popup"]:
        assert item["year"] == year, item  # never the 2021 review or end-2022
        assert meta["standards_short"][item["std"]] == "Đa chiều 2016–2020", item
    hh = next(x for x in p["popup"] if x["id"] == "poor_households")
    text = json.dumps(p, ensure_ascii=False)
    assert "3.546" not in text and "690" not in text
    if year == 2020:  # the 2020 district count: carried sums of the communes' synthetic counts
        from geo.indicators import values as ind
        from geo.io import storage

        want = ind.values(storage.read_layer("observations", gpkg), "poor_households", "district", 2020, S16)
        want = want.set_index("gso_code")["value"][code]
        assert hh["text"] == f"{int(want):,} hộ".replace(",", ".") and hh["status"] == "synthetic", hh
        assert hh["year"] == 2020 and not hh.get("missing"), hh


def test_district_popup_in_english_names_the_value_and_its_standard(map_client, gpkg):
    """2020 district poor households are carried synthetic sums: worded in English, one standard."""
    from geo.indicators import values as ind
    from geo.io import storage

    want = ind.values(storage.read_layer("observations", gpkg), "poor_households", "district", 2020, S16)
    want = want.set_index("gso_code")["value"]["617"]
    meta, p = _feature(map_client, "district_poor_rate", "617", "en")
    hh = next(x for x in p["popup"] if x["id"] == "poor_households")
    assert hh["text"] == f"{int(want):,} households" and hh["status"] == "synthetic" and not hh.get("missing")
    assert meta["standards_short"][hh["std"]] == "Multidimensional 2016–2020"


def test_district_popup_in_a_year_with_a_real_count(map_client, gpkg):
    from geo.indicators import values as ind
    from geo.io import storage

    want = ind.values(storage.read_layer("observations", gpkg), "poor_households", "district", 2017, S16)
    want = want.set_index("gso_code")["value"]["617"]
    meta, p = _feature(map_client, "district_poor_rate", "617", year=2017)
    hh = next(x for x in p["popup"] if x["id"] == "poor_households")
    assert hh["year"] == 2017 and hh["text"] == f"{int(want):,} hộ".replace(",", ".")
    assert meta["standards_short"][hh["std"]] == "Đa chiều 2016–2020"


@pytest.mark.parametrize("lang, label", [("vi", "Thu nhập 2011–2015"), ("en", "Income 2011–2015")])
def test_kroong_2013_bound_names_the_income_standard(map_client, lang, label):
    meta, p = _feature(map_client, "poor_rate", "23314", lang)
    (bound,) = [r for r in p["reported"] if r["year"] == 2013]
    assert bound["text"] == ">35%" and bound["other_standard"] is True
    assert meta["standards_short"][bound["std"]] == label
    assert meta["standards_short"][p["std"]] == ("Đa chiều 2016–2020" if lang == "vi" else "Multidimensional 2016–2020")


def test_no_layer_popup_combines_two_standards(map_client):
    """Over every indicator layer at its default year: the drawn value and the popup
    fields are of one standard; only the labelled "reported" list may name another."""
    layers = _ok(map_client, "/layers").get_json()["layers"]
    checked = 0
    for spec in layers:
        if not spec["indicator"]:
            continue
        doc = _ok(map_client, f"/layers/{spec['id']}.geojson?geometry=none").get_json()
        stds = doc["layer"]["standards"]
        for f in doc["features"]:
            p = f["properties"]
            used = {stds[i] for i in [p.get("std"), *(x.get("std") for x in p.get("popup", []))] if i is not None}
            assert len(used) <= 1, (spec["id"], f["id"], used)
            for r in p.get("reported", []):
                assert r.get("other_standard", False) == (r["std"] != p.get("std")), (spec["id"], f["id"])
            checked += 1
    assert checked > 500


def test_chart_series_one_line_per_standard(map_client, gpkg):
    from geo.indicators import values as ind
    from geo.io import storage

    obs = storage.read_layer("observations", gpkg)
    s = _ok(map_client, "/layers/series.json").get_json()
    labels = [x["label"] for x in s["standards"]]
    assert set(labels) == {S16, S22} and s["years"][-2:] == [2021, 2022]
    ngoc_hoi = {labels[x["std"]]: x["values"] for x in s["levels"]["district"]["611"]["poor_rate"]}
    real = ind.values(obs, "poor_rate", "district", None, S22).set_index("gso_code")
    assert ngoc_hoi[S22][-2:] == [
        round(ind.values(obs, "poor_rate", "district", y, S22).set_index("gso_code")["value"]["611"], 2)
        for y in (2021, 2022)
    ]
    assert "611" in real.index and ngoc_hoi[S16][-2:] == [None, None]
    for level, units in s["levels"].items():
        for code, by_ind in units.items():
            for indicator, lines in by_ind.items():
                assert len({x["std"] for x in lines}) == len(lines)  # one line per standard
                for line in lines:
                    for year, v in zip(s["years"], line["values"]):
                        if v is not None:  # each point is a value of the line's standard
                            assert standards_of(obs, level, code, indicator, year) >= {labels[line["std"]]}


def standards_of(obs, level, code, indicator, year) -> set[str]:
    rows = obs[
        (obs["unit_level"] == level)
        & (obs["gso_code"] == code)
        & (obs["indicator"] == indicator)
        & (obs["year"] == year)
    ]
    return set(rows["standard"])
