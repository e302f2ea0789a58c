"""The 2025 communes through the service: /targets, exports, OGC, map layers (both backends), and
the carried values recomputed by an upload of commune figures."""

from __future__ import annotations

import io
import json
import zipfile

import pytest

from geo import paths
from geo.indicators import values as indicators
from geo.io import storage

BORDER_2025 = {"23344", "23368", "23377", "23383", "23392", "23530", "23535", "23536", "23538"}


@pytest.fixture(scope="module")
def client(gpkg, backend_config):
    from app import create_app

    return create_app({"GEO_GPKG": str(gpkg), "TESTING": True, **backend_config}).test_client()


def _ok(client, url):
    r = client.get(url)
    assert r.status_code == 200, (url, r.get_data(as_text=True)[:400])
    return r


def _props(doc):
    return [f["properties"] for f in doc["features"]]


def test_targets_rank_the_40_communes_of_2025(client, gpkg):
    doc = _ok(client, "/targets?level=commune_2025&geometry=none&year=2020").get_json()
    assert doc["count"] == doc["matched"] == 40 and doc["query"]["level"] == "commune_2025"
    props = _props(doc)
    assert {"23293", "23344", "23473"} <= {p["gso_code"] for p in props}
    assert [p["rank"] for p in props] == list(range(1, 41))
    assert {p["poor_rate_status"] for p in props} == {"synthetic"} and doc["synthetic"] is True
    # the rate ranked is the carried one: the same as the observations of the 2025 level
    obs = storage.read_layer("observations", gpkg)
    carried = indicators.values(obs, "poor_rate", "commune_2025", 2020).set_index("gso_code")["value"]
    assert {p["gso_code"]: p["poor_rate"] for p in props} == pytest.approx(carried.to_dict())
    assert props[0]["poor_rate"] == max(carried)
    assert "23281" in next(p for p in props if p["gso_code"] == "23293")["member_gso_codes_2020"]


@pytest.mark.parametrize(
    "query, expected",
    [
        ("near=border", BORDER_2025),
        ("near=border&country=LAO", {"23344", "23368", "23377", "23383"}),
        ("status=border", BORDER_2025),
        ("status=!border", None),
    ],
)
def test_targets_border_at_2025_level(client, query, expected):
    codes = {
        p["gso_code"] for p in _props(_ok(client, f"/targets?level=commune_2025&geometry=none&{query}").get_json())
    }
    if expected is None:
        assert len(codes) == 31 and not codes & BORDER_2025
    else:
        assert codes == expected


def test_targets_spatial_and_status_constraints_at_2025_level(client, gpkg):
    new = storage.read_layer("communes_2025", gpkg).set_index("gso_code")
    p = new.loc["23473"].geometry.representative_point()  # inside Xã Măng Đen
    doc = _ok(client, f"/targets?level=commune_2025&geometry=none&near=point:{p.x},{p.y}").get_json()
    assert [f["gso_code"] for f in _props(doc)] == ["23473"]
    box = new.loc["23293"].geometry.buffer(-0.001).envelope.bounds
    doc = _ok(client, "/targets?level=commune_2025&geometry=none&bbox=" + ",".join(f"{b:.5f}" for b in box)).get_json()
    assert "23293" in {f["gso_code"] for f in _props(doc)} and doc["count"] < 40
    poly = new.loc["23344"].geometry.representative_point().buffer(0.002)
    body = {"level": "commune_2025", "geometry": "none", "intersects": json.loads(json.dumps(poly.__geo_interface__))}
    r = client.post("/targets", json=body)
    assert r.status_code == 200 and [f["gso_code"] for f in _props(r.get_json())] == ["23344"]
    roads = _ok(client, "/targets?level=commune_2025&geometry=none&near=roads").get_json()
    assert 0 < roads["count"] < 40
    p135 = {
        f["gso_code"]
        for f in _props(_ok(client, "/targets?level=commune_2025&geometry=none&status=p135_2016").get_json())
    }
    obs = storage.read_layer("observations", gpkg)
    flagged = obs[(obs.unit_level == "commune_2025") & (obs.indicator == "p135_2016") & (obs.value == 1)]
    assert p135 == set(flagged["gso_code"]) and len(p135) == 31


@pytest.mark.parametrize(
    "query, text",
    [
        ("district=610", "district does not apply to level commune_2025"),
        ("status=poor_district", "marks 2020 districts; the 2025 communes have no district"),
        ("level=commune_2026", "commune_2025"),
        ("indicator=poor_district_30a", "unknown indicator 'poor_district_30a' at commune_2025 level"),
        ("year=2021", "no commune_2025 values of poor_rate for 2021"),
    ],
)
def test_targets_refusals_at_2025_level(client, query, text):
    url = f"/targets?{query}" if query.startswith("level=") else f"/targets?level=commune_2025&{query}"
    r = client.get(url)
    assert r.status_code == 400, r.get_data(as_text=True)[:300]
    assert text in r.get_json()["error"]


@pytest.mark.parametrize("fmt", ["geojson", "csv", "xlsx", "gpkg", "shp", "kml"])
def test_every_export_format_at_2025_level(client, gpkg, fmt):
    r = _ok(client, f"/targets?level=commune_2025&near=border&f={fmt}")
    assert "attachment" in r.headers["Content-Disposition"] and "communes_2025" in r.headers["Content-Disposition"]
    data = r.data
    if fmt == "geojson":
        assert {f["properties"]["gso_code"] for f in json.loads(data)["features"]} == BORDER_2025
    elif fmt == "csv":
        import csv

        from app import workbench

        text = data.decode("utf-8-sig")
        header = next(csv.reader(io.StringIO(text)))
        # headers are labelled in the reader's language (vi by default): the status column of
        # poor_rate appears under its label "Trạng thái: <indicator> (<unit>)", not its column name
        status = workbench.column_labels(["poor_rate_status"], storage.read_layer("catalogue", gpkg), "vi")
        assert status.get("poor_rate_status", "").startswith(workbench.strings("vi")["columns"]["status_of"] + ": ")
        assert all(code in text for code in BORDER_2025) and status["poor_rate_status"] in header
    elif fmt == "kml":
        assert data.count(b"<Placemark") == 9
    elif fmt in ("xlsx", "shp"):
        names = zipfile.ZipFile(io.BytesIO(data)).namelist()
        assert names and (fmt != "shp" or any(n.endswith(".shp") for n in names))
    else:
        import pyogrio

        path = paths.build_dir() / "_t.gpkg"
        try:
            path.write_bytes(data)
            assert len(pyogrio.read_dataframe(path)) == 9
        finally:
            path.unlink(missing_ok=True)


def test_ogc_collection_communes_2025(client):
    meta = _ok(client, "/ogc/collections/communes_2025?f=json").get_json()
    assert meta["id"] == "communes_2025"
    doc = _ok(client, "/ogc/collections/communes_2025/items?f=json&limit=50").get_json()
    assert doc["numberMatched"] == 40
    props = {f["id"]: f["properties"] for f in doc["features"]}
    kt = props["23293"]
    assert kt["name"] == "Phường Kon Tum" and kt["poor_rate_2020_status"] == "synthetic"
    assert kt["population_2019_status"] == "derived" and kt["population_2019"] > 0
    assert "dữ liệu minh họa" in kt["synthetic_note"]
    assert sum(p["on_border"] for p in props.values()) == 9
    one = _ok(client, "/ogc/collections/communes_2025/items/23344?f=json").get_json()
    assert one["properties"]["name"] == "Xã Đăk Plô" and one["properties"]["poor_households_2020"] > 0


def test_map_layers_of_the_2025_group(client):
    listed = {x["id"]: x for x in _ok(client, "/layers").get_json()["layers"]}
    group = {k for k, v in listed.items() if v["level"] == "commune_2025"}
    assert {"c2025_poor_rate", "c2025_near_poor_rate", "c2025_poor_households", "c2025_p135_2016"} <= group
    doc = _ok(client, "/layers/c2025_poor_rate.geojson?geometry=none&year=2018").get_json()
    assert doc["layer"]["count"] == 40 and doc["layer"]["statuses"] == {"synthetic": 40}
    assert doc["layer"]["synthetic"] and doc["layer"]["year"] == 2018
    geom = _ok(client, "/layers/geometry/communes_2025.geojson").get_json()
    by_id = {f["id"]: f["properties"] for f in geom["features"]}
    assert len(by_id) == 40 and "Phường Quang Trung (23281)" in by_id["23293"]["members_2020"]
    border = _ok(client, "/layers/c2025_border_communes.geojson?geometry=none").get_json()
    assert sum(1 for f in border["features"] if f["properties"].get("category") == "true") == 9


def test_each_2020_commune_names_its_2025_commune(client):
    geom = _ok(client, "/layers/geometry/communes.geojson").get_json()
    props = {f["id"]: f["properties"] for f in geom["features"]}
    assert len(props) == 102 and all(p["code_2025"] and p["name_2025"] for p in props.values())
    assert (props["23323"]["name_2025"], props["23323"]["code_2025"]) == ("Xã Đăk Rơ Wa", "23332")
    full = _ok(client, "/layers/poor_rate.geojson?geometry=full").get_json()
    dak_bla = next(f["properties"] for f in full["features"] if f["id"] == "23323")
    assert dak_bla["code_2025"] == "23332"


# ---------------------------------------------------------------- uploads move the aggregates

TOKEN = "tok-alice-0123456789"


def test_an_upload_of_commune_rates_recomputes_the_district_and_the_2025_commune(state):
    """Đắk Long (23368) poor_rate 41.3% for 2020: Đắk Glei (610) and Xã Đăk Long 2025 (23368) move."""
    from app import create_app

    base = storage.read_layer("observations", paths.gpkg_path())
    before_d = indicators.values(base, "poor_rate", "district", 2020).set_index("gso_code").loc["610"]
    before_n = indicators.values(base, "poor_rate", "commune_2025", 2020).set_index("gso_code").loc["23368"]
    # households are a yearly series: the weights are the members' households of the rate's year
    # (2020) where every member has one, else the closest such year (geo.indicators.carry)
    hh_years = indicators.years(base, "households", "commune")
    hh_by_year = {
        y: indicators.values(base, "households", "commune", y).set_index("gso_code")["value"] for y in hh_years
    }
    rates = indicators.values(base, "poor_rate", "commune", 2020).set_index("gso_code")["value"]

    client = create_app({"TESTING": True, "MAP_UPLOAD_TOKEN": f"alice:{TOKEN}"}).test_client()
    csv = "Mã xã,Tên xã,Tỷ lệ hộ nghèo (%)\n23368,Xã Đắk Long,41.3\n".encode()
    form = {"file": (io.BytesIO(csv), "dak_long.csv"), "year": "2020", "standard": "2016-2020"}
    auth = {"Authorization": f"Bearer {TOKEN}"}
    r = client.post("/api/uploads", data=form, headers=auth, content_type="multipart/form-data")
    assert r.status_code == 201 and r.get_json()["ok"], r.get_json()
    r = client.post(f"/api/uploads/{r.get_json()['id']}/commit", headers=auth)
    assert r.status_code == 201 and r.get_json()["version"] == 1

    obs = storage.read_layer("observations", paths.gpkg_path())
    after = indicators.values(obs, "poor_rate", "commune", 2020).set_index("gso_code")
    assert (after.loc["23368", "value"], after.loc["23368", "status"]) == (41.3, "official")
    rates["23368"] = 41.3
    communes = storage.read_layer("communes", paths.gpkg_path()).set_index("gso_code")
    for level, code, column, old in (
        ("district", "610", "district_code", before_d),
        ("commune_2025", "23368", "code_2025", before_n),
    ):
        members = communes.index[communes[column] == code]
        wy = min(
            (y for y, v in hh_by_year.items() if set(members) <= set(v.dropna().index)),
            key=lambda y: (abs(y - 2020), y),
        )
        hh = hh_by_year[wy]
        expected = round(float((rates[members] * hh[members]).sum() / hh[members].sum()), 4)
        row = indicators.values(obs, "poor_rate", level, 2020).set_index("gso_code").loc[code]
        assert row["value"] == pytest.approx(expected, abs=1e-4) and row["value"] != pytest.approx(old["value"])
        if len(members) > 1:
            assert f"weights: households {wy}" in row["note"], row["note"]
        n = len(members)
        if n == 1:  # Xã Đăk Long of 2025 is Xã Đắk Long of 2020 alone: the official figure, carried
            assert (row["status"], row["value"]) == ("derived", 41.3)
        else:
            assert row["status"] == "synthetic"
            assert f"synthetic_share={(n - 1) / n:.3g} ({n - 1} of {n} members)" in row["note"]
    assert len(communes.index[communes["district_code"] == "610"]) == 12
    # the service shows the new aggregate at once, at both levels
    doc = client.get("/targets?level=district&geometry=none&year=2020").get_json()
    glei = next(p for p in _props(doc) if p["gso_code"] == "610")
    assert glei["poor_rate"] == pytest.approx(
        indicators.values(obs, "poor_rate", "district", 2020).set_index("gso_code").loc["610", "value"]
    )
    layer = client.get("/layers/c2025_poor_rate.geojson?geometry=none&year=2020").get_json()
    dak_long = next(f["properties"] for f in layer["features"] if f["id"] == "23368")
    assert dak_long["value"] == pytest.approx(
        indicators.values(obs, "poor_rate", "commune_2025", 2020).set_index("gso_code").loc["23368", "value"]
    )
    # nothing was split back onto the other 2020 communes
    others = after.drop(index="23368")
    assert (others["status"] == "synthetic").all()
