"""POST /allocations: the worked 2020 example on the real data, edited rules, annex downloads, clear 4xx."""

from __future__ import annotations

import csv
import io
import json
import tomllib

import pytest
from openpyxl import load_workbook

from geo.allocation.rules import RULES_DIR
from geo.io import annex

RULE = "tmr_kp_2020_minh_hoa"
BODY = {"rule": RULE, "envelope": 40744, "year": 2020}


@pytest.fixture(scope="module")
def client(gpkg, backend_config):
    from app import create_app

    return create_app({"GEO_GPKG": str(gpkg), "TESTING": True, **backend_config}).test_client()


@pytest.fixture(scope="module")
def answer(client):
    r = client.post("/allocations", json=BODY)
    assert r.status_code == 200, r.get_data(as_text=True)[:400]
    return r.get_json()


def _rule_object() -> dict:
    return tomllib.loads((RULES_DIR / f"{RULE}.toml").read_text(encoding="utf-8"))


def test_worked_example_sums_to_the_envelope(answer):
    units, totals = answer["units"], answer["totals"]
    assert len(units) == 102 and totals["units"] == 102
    assert sum(u["amount"] for u in units) == 40744 == totals["allocated"]
    eligible = [u for u in units if u["eligible"]]
    assert {u["district_code"] for u in eligible} == {"613", "617"}  # Kon Plông and Tu Mơ Rông
    assert all(u["amount"] == 0 for u in units if not u["eligible"])
    assert totals["eligible"] == len(eligible) and totals["custom"] is False and totals["illustrative"] is True
    assert totals["synthetic_share"] == 1.0  # commune poor households are synthetic: said, not hidden


def test_the_worked_example_among_the_2025_communes(client, gpkg):
    """The same envelope at the level of the 40 communes of 1 July 2025 (its own illustrative
    rule): the new communes made of Kon Plông's and Tu Mơ Rông's, with their former
    district, as JSON, GeoJSON and the annex."""
    from geo.io import storage

    body = {"rule": "tmr_kp_xa_moi_2025_minh_hoa", "envelope": 40744, "year": 2020}
    r = client.post("/allocations", json=body)
    assert r.status_code == 200, r.get_data(as_text=True)[:400]
    doc = r.get_json()
    units, totals = doc["units"], doc["totals"]
    assert len(units) == 40 and sum(u["amount"] for u in units) == 40744 == totals["allocated"]
    new = storage.read_layer("communes_2025", gpkg)
    old = storage.read_layer("communes", gpkg).set_index("gso_code")
    made_of = {
        str(c)
        for c, ms in zip(new["gso_code"], new["member_gso_codes_2020"])
        if {old.at[m.strip(), "district_code"] for m in str(ms).split(",")} <= {"613", "617"}
    }
    assert {u["gso_code"] for u in units if u["eligible"]} == made_of and len(made_of) >= 5
    assert {u["district_code"] for u in units if u["eligible"]} == {"613", "617"}
    assert [d["district_code"] for d in doc["equity"]["districts"] if d["amount"]] == ["613", "617"]
    geo = client.post("/allocations", json={**body, "f": "geojson"}).get_json()
    assert len(geo["features"]) == 40 and all(f["geometry"] for f in geo["features"])
    book = client.post("/allocations", json={**body, "f": "xlsx"})
    assert book.status_code == 200 and load_workbook(io.BytesIO(book.data), read_only=True).sheetnames
    # the 2020 rule's limits are for 2020 communes: at the 2025 level it says so, by field
    r = client.post("/allocations", json={**BODY, "level": "commune_2025", "lang": "en"})
    assert r.status_code == 400 and "level" in r.get_json()["description"]


def test_rows_carry_each_criterion_value_year_standard_status_and_points(answer):
    u = next(u for u in answer["units"] if u["eligible"])
    assert u["reason"].startswith("đủ điều kiện")
    assert u["poor_households_year"] == 2020 and u["poor_households_status"] == "synthetic"
    assert u["poor_households_standard"].startswith("2016-2020 multidimensional")
    assert u["poor_households_points"] == pytest.approx(0.02 * u["poor_households_value"])
    assert u["amount_per_poor_household"] == pytest.approx(u["amount"] / u["poor_households"], abs=1e-3)


def test_edited_rule_object_is_custom_and_changes_the_answer(client, answer):
    same = client.post("/allocations", json={**BODY, "rule": _rule_object()})
    assert same.status_code == 200 and same.get_json()["totals"]["custom"] is False
    assert [u["amount"] for u in same.get_json()["units"]] == [u["amount"] for u in answer["units"]]
    edited = _rule_object()
    crit = next(c for c in edited["criteria"] if c["id"] == "poor_households")
    crit["coefficient"] = 0.5  # poor households weigh far more
    r = client.post("/allocations", json={**BODY, "rule": edited})
    assert r.status_code == 200, r.get_data(as_text=True)[:300]
    doc = r.get_json()
    assert doc["totals"]["custom"] is True and doc["totals"]["allocated"] == 40744
    assert [u["amount"] for u in doc["units"]] != [u["amount"] for u in answer["units"]]


@pytest.mark.parametrize(
    "body,status,words",
    [
        ({**BODY, "rule": "../../etc/passwd"}, 400, "rule: expected a rule id"),
        ({**BODY, "rule": "no_such_rule"}, 400, "no rule 'no_such_rule'"),
        ({**BODY, "envelope": True}, 400, "envelope:"),
        ({**BODY, "envelope": -5}, 400, "envelope:"),
        ({**BODY, "envelope": 10}, 400, "envelope: 10 million VND cannot meet the minimums"),
        ({**BODY, "year": "2020"}, 400, "year:"),
        ({**BODY, "year": 2023}, 400, "year: 2023 is outside the rule's period"),
        ({**BODY, "level": "province"}, 400, "level:"),
        ({**BODY, "color": 1}, 400, "unknown field 'color'"),
        ({"rule": RULE, "year": 2020}, 400, "envelope: missing"),
        ({**BODY, "f": "pdf"}, 400, "f: expected one of json, geojson, csv, xlsx"),
    ],
)
def test_bad_requests_name_the_field(client, body, status, words):
    r = client.post("/allocations", json=body, headers={"Accept-Language": "en"})  # errors default to Vietnamese
    assert r.status_code == status and words in r.get_json()["description"], r.get_json()


def test_bad_edited_rule_names_the_field(client):
    rule = _rule_object()
    rule["criteria"][1]["indicator"] = "no_such_indicator"
    r = client.post("/allocations", json={**BODY, "rule": rule}, headers={"Accept-Language": "en"})
    assert (
        r.status_code == 400
        and "criteria[1].indicator: unknown indicator 'no_such_indicator'" in r.get_json()["description"]
    )
    r = client.post("/allocations", json={**BODY, "rule": rule})  # Vietnamese by default
    assert r.get_json()["description"].endswith(
        "criteria[1].indicator: chỉ tiêu 'no_such_indicator' không có trong danh mục"
    )
    rule = _rule_object()
    rule["limits"]["min"] = "a lot"
    r = client.post("/allocations", json={**BODY, "rule": rule}, headers={"Accept-Language": "en"})
    assert r.status_code == 400 and r.get_json()["description"].startswith("rule: limits.min: must be a finite number")
    r = client.post("/allocations", json={**BODY, "rule": rule})
    assert r.get_json()["description"] == "rule: limits.min: phải là một số hữu hạn, nhận được 'a lot'"


def test_body_is_bounded_and_must_be_json(client):
    big = json.dumps({**BODY, "rule": {"id": "x" * 70_000}})
    r = client.post("/allocations", data=big, content_type="application/json", headers={"Accept-Language": "en"})
    assert r.status_code == 413 and "at most 65536 bytes" in r.get_json()["description"]
    r = client.post("/allocations", data=big, content_type="application/json")  # Vietnamese by default
    assert r.status_code == 413 and r.get_json()["description"] == "thân yêu cầu quá lớn (tối đa 65536 byte)"
    r = client.post(
        "/allocations", data="{not json", content_type="application/json", headers={"Accept-Language": "en"}
    )
    assert r.status_code == 400 and "not valid JSON" in r.get_json()["description"]
    assert client.post("/allocations", json=[1, 2]).status_code == 400


def test_xlsx_annex_subtotals_and_total_equal_the_amounts(client):
    r = client.post("/allocations?f=xlsx", json=BODY)
    assert r.status_code == 200 and "spreadsheetml" in r.mimetype
    wb = load_workbook(io.BytesIO(r.data))
    assert wb.sheetnames == ["phu_luc_annex", "du_lieu_data", "nguon_sources"]
    ws = wb.worksheets[0]
    head = annex.header_row(ws)
    header = [c.value for c in ws[head]]
    col, name_at = header.index("Số vốn phân bổ (triệu đồng)"), header.index("Tên đơn vị")
    group, subtotals, total = [], [], None
    for row in ws.iter_rows(min_row=head + 1, values_only=True):
        if all(v is None for v in row):
            break
        label = str(row[name_at])
        if label.startswith("Cộng "):
            assert row[col] == sum(group), label
            subtotals.append(row[col])
            group = []
        elif label.startswith("Toàn tỉnh"):
            total = row[col]
        elif isinstance(row[0], int):
            assert isinstance(row[col], int)
            group.append(row[col])
    assert len(subtotals) == 10 and total == sum(subtotals) == 40744
    top = [ws.cell(i, 1).value for i in range(1, head)]
    assert any("Tổng vốn: 40.744 triệu đồng" in str(t) for t in top)
    assert any("minh họa — không phải tiêu chí chính thức" in str(t) for t in top)


def test_csv_and_geojson(client):
    r = client.post("/allocations?f=csv", json=BODY)
    rows = list(csv.DictReader(io.StringIO(r.data.decode("utf-8-sig"))))
    assert len(rows) == 102 and sum(int(x["amount"]) for x in rows) == 40744
    r = client.post("/allocations", json={**BODY, "f": "geojson"})
    doc = r.get_json()
    assert r.mimetype == "application/geo+json" and len(doc["features"]) == 102
    assert doc["totals"]["allocated"] == 40744 and doc["features"][0]["geometry"]["type"] in ("Polygon", "MultiPolygon")


def test_equity_view_of_the_worked_example(answer):
    e = answer["equity"]
    units = answer["units"]
    assert len(e["districts"]) == 10 and sum(d["amount"] for d in e["districts"]) == 40744
    money = {d["district_code"]: d["amount"] for d in e["districts"] if d["amount"]}
    assert set(money) == {"613", "617"}  # only Kon Plông and Tu Mơ Rông receive
    assert e["poorest"]["units"] == 21  # ceil(102 × 0.2) communes with the highest 2020 poverty rate
    poorest = set(e["poorest"]["codes"])
    assert e["poorest"]["amount"] == sum(u["amount"] for u in units if u["gso_code"] in poorest)
    border = [u for u in units if u["gso_code"] in set(e["border"]["codes"])]
    assert len(border) == 13 and e["border"]["amount"] == sum(u["amount"] for u in border)
    curve = e["lorenz"]
    assert curve[0] == [0.0, 0.0] and curve[-1] == [1.0, 1.0] and len(curve) == 103
    assert all(a[0] <= b[0] and a[1] <= b[1] for a, b in zip(curve, curve[1:]))
    assert 0 < e["gini_eligible"] < e["gini"] < 1  # 82 communes get nothing: far less even province-wide
    assert e["synthetic"] == {"poor_rate": True, "poor_households": True}


def test_synthetic_share_names_what_is_synthetic(client):
    # QĐ 275: districts chosen and weighted by official lists; only the poor-household denominator is synthetic
    r = client.post("/allocations", json={"rule": "poor_districts_qd275_2018_2020", "envelope": 10000, "year": 2020})
    t = r.get_json()["totals"]
    assert t["synthetic_share"] == 1.0
    assert t["synthetic_criteria_share"] == 0.0 and t["synthetic_criteria_units"] == 0
    assert t["synthetic_per_household_share"] == 1.0 and t["synthetic_per_household_units"] == 3
    assert r.get_json()["equity"]["border"] is None  # districts carry no border flag


def test_rules_list_gives_each_rule_as_its_file(client):
    r = client.get("/allocations/rules")
    assert r.status_code == 200
    rules = {x["id"]: x for x in r.get_json()["rules"]}
    assert set(rules) == {"p135_2020_minh_hoa", "poor_districts_qd275_2018_2020", RULE, "tmr_kp_xa_moi_2025_minh_hoa"}
    assert rules[RULE]["rule"] == _rule_object() and rules[RULE]["years"] == [2020]
    assert rules[RULE]["illustrative"] is True and rules["poor_districts_qd275_2018_2020"]["illustrative"] is False
    assert rules["p135_2020_minh_hoa"]["years"] == [2017, 2018, 2019, 2020]
    same = client.post("/allocations", json={**BODY, "rule": rules[RULE]["rule"]})
    assert same.get_json()["totals"]["custom"] is False  # the page sends it back unedited: not custom


def test_errors_are_in_the_request_language(client):
    body = {**BODY, "envelope": 100}  # 20 eligible communes × limits.min 1000 cannot fit in 100
    vi = client.post("/allocations?lang=vi", json=body).get_json()["description"]
    en = client.post("/allocations", json=body, headers={"Accept-Language": "en"}).get_json()["description"]
    assert (
        vi
        == "envelope: 100 triệu đồng không đủ cho mức tối thiểu: 20 đơn vị đủ điều kiện × limits.min 1000 = 20000 triệu đồng"
    )
    assert (
        en
        == "envelope: 100 million VND cannot meet the minimums: 20 eligible unit(s) × limits.min 1000 = 20000 million VND"
    )
    r = client.post("/allocations?lang=vi", json={**BODY, "year": 2019})
    assert r.status_code == 400 and "nằm ngoài giai đoạn 2020" in r.get_json()["description"]
    r = client.post("/allocations?lang=vi", json={"rule": RULE, "year": 2020})
    assert r.status_code == 400 and r.get_json()["description"] == "envelope: thiếu"


def test_annex_in_english_gives_the_reason_and_the_synthetic_split_in_english(client):
    r = client.post("/allocations?f=xlsx&lang=en", json=BODY)
    ws = load_workbook(io.BytesIO(r.data)).worksheets[0]
    head = annex.header_row(ws)
    top = " ".join(str(ws.cell(i, 1).value) for i in range(1, head))
    assert "a synthetic per-poor-household denominator (it only divides): 100.0%" in top
    header = [c.value for c in ws[head]]
    why = header.index("Why")
    reasons = {row[why] for row in ws.iter_rows(min_row=head + 1, values_only=True) if row[why]}
    assert reasons and all(x.startswith(("eligible: ", "not eligible: ")) for x in reasons)
    rows = list(csv.DictReader(io.StringIO(client.post("/allocations?f=csv", json=BODY).data.decode("utf-8-sig"))))
    assert {r["synthetic_per_household"] for r in rows if int(r["amount"])} == {"True"}
