"""The targeting API on the real build: golden answers, downloads, and 400 (never 500) for bad input."""

from __future__ import annotations

import io
import json
import zipfile
from urllib.parse import quote

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from shapely.geometry import mapping

BORDER_13 = {
    "Xã Đắk Blô",
    "Xã Đắk Nhoong",
    "Xã Đắk Long",
    "Xã Đắk Dục",
    "Xã Đắk Nông",
    "Xã Đắk Xú",
    "Xã Bờ Y",
    "Xã Sa Loong",
    "Xã Rơ Kơi",
    "Xã Mô Rai",
    "Xã Ia Đal",
    "Xã Ia Dom",
    "Xã Ia Tơi",
}


@pytest.fixture(scope="module")
def client(gpkg, backend_config):
    """The service on each backend in turn (embedded GeoPackage, PostGIS)."""
    from app import create_app

    app = create_app({"GEO_GPKG": str(gpkg), "TESTING": True, **backend_config})
    return app.test_client()


@pytest.fixture(scope="module")
def communes(gpkg):
    from geo.io import storage

    return storage.read_layer("communes", gpkg)


def _ok(client, url, **kwargs):
    r = client.get(url, **kwargs) if "json" not in kwargs else client.post(url, **kwargs)
    assert r.status_code == 200, r.get_data(as_text=True)[:500]
    return r


def _props(doc):
    return [f["properties"] for f in doc["features"]]


def test_poorest_border_communes(client):
    doc = _ok(client, "/targets?near=border&within_km=0").get_json()
    props = _props(doc)
    assert doc["type"] == "FeatureCollection" and doc["count"] == 13 and doc["matched"] == 13
    assert {p["name"] for p in props} == BORDER_13
    assert [p["rank"] for p in props] == list(range(1, 14))
    scores = [p["score"] for p in props]
    assert scores == sorted(scores, reverse=True) and all(0 <= s <= 1 for s in scores)
    assert doc["synthetic"] is True and doc["missing_count"] == 0
    assert all(p["synthetic"] and p["poor_rate_status"] == "synthetic" for p in props)
    assert all(p["distance_km"] == 0 and p["on_border"] for p in props)
    q = doc["query"]
    assert q["near"] == "border" and q["within_km"] == 0 and q["year"] == {"poor_rate": 2020}
    meta = doc["metadata"]
    assert meta["sources"] and "demo data" in meta["synthetic_note"] and "EPSG:4326" in meta["crs"]
    assert meta["indicators"][0]["name"] == "Tỷ lệ hộ nghèo"
    assert doc["features"][0]["id"] == props[0]["gso_code"]
    assert doc["features"][0]["geometry"]["type"] in ("Polygon", "MultiPolygon")


def test_cambodia_english_and_top(client):
    doc = _ok(client, "/targets?country=KHM&lang=en").get_json()
    assert doc["count"] == 7 and all("KHM" in p["border_countries"] for p in _props(doc))
    assert doc["metadata"]["indicators"][0]["name"] == "Poverty rate"
    top = _ok(client, "/targets?near=border&country=LAO&top=3").get_json()
    assert top["count"] == 3 and top["matched"] == 7


def test_weights_district_status_and_districts_level(client):
    doc = _ok(client, "/targets?weights=poor_rate:0.6,near_poor_rate:0.4&year=2019&district=Sa Thầy").get_json()
    assert doc["count"] == 11 and {p["district_name"] for p in _props(doc)} == {"Huyện Sa Thầy"}
    assert doc["query"]["indicators"] == {"poor_rate": 0.6, "near_poor_rate": 0.4}
    p135 = _ok(client, "/targets?status=p135_2016&near=border").get_json()
    assert 0 < p135["count"] <= 13
    d = _ok(client, "/targets?level=district&year=2019").get_json()
    assert d["count"] == 10 and sum(p["on_border"] for p in _props(d)) == 4
    poor = _ok(client, "/targets?level=district&status=poor_district").get_json()
    assert {p["gso_code"] for p in _props(poor)} == {"613", "617"}


def test_near_point_and_roads(client, communes):
    row = communes.set_index("name").loc["Xã Ia Tơi"]
    p = row.geometry.representative_point()
    doc = _ok(client, f"/targets?near=point:{p.x},{p.y}").get_json()
    assert [f["properties"]["name"] for f in doc["features"]] == ["Xã Ia Tơi"]
    wide = _ok(client, f"/targets?near=point:{p.x},{p.y}&within_km=15").get_json()
    dists = {f["properties"]["name"]: f["properties"]["distance_km"] for f in wide["features"]}
    assert dists["Xã Ia Tơi"] == 0 and all(0 <= v <= 15 for v in dists.values()) and len(dists) > 1
    roads = _ok(client, "/targets?near=roads&within_km=0").get_json()
    assert 0 < roads["count"] < 102


def test_intersects_get_and_post(client, communes):
    geom = communes.set_index("name").loc["Xã Ia Tơi"].geometry.representative_point().buffer(0.01)
    doc = _ok(client, "/targets", query_string={"intersects": geom.wkt}).get_json()
    assert [p["name"] for p in _props(doc)] == ["Xã Ia Tơi"]
    bare = _ok(client, "/targets", json=mapping(geom)).get_json()
    feature = _ok(client, "/targets?top=5", json={"type": "Feature", "properties": {}, "geometry": mapping(geom)})
    params = _ok(client, "/targets", json={"intersects": mapping(geom), "indicator": "near_poor_rate"}).get_json()
    assert _props(bare) == _props(feature.get_json()) == _props(doc)
    assert params["query"]["indicators"] == {"near_poor_rate": 1.0} and params["count"] == 1


@pytest.mark.parametrize(
    "fmt, mime, suffix",
    [
        ("geojson", "application/geo+json", ".geojson"),
        ("csv", "text/csv", ".csv"),
        ("xlsx", "application/vnd.openxmlformats", ".xlsx"),
        ("gpkg", "application/geopackage+sqlite3", ".gpkg"),
        ("shp", "application/zip", ".shp.zip"),
        ("kml", "application/vnd.google-earth.kml+xml", ".kml"),
    ],
)
def test_downloads(client, fmt, mime, suffix):
    r = _ok(client, f"/targets?near=border&f={fmt}")
    assert r.mimetype.startswith(mime) or r.content_type.startswith(mime)
    disp = r.headers["Content-Disposition"]
    assert (
        disp == f'attachment; filename="kontum_communes_poor_rate_2020_std_2016_2020_multidimensional_border{suffix}"'
    )
    data = r.get_data()
    if fmt == "geojson":
        doc = json.loads(data)
        assert len(doc["features"]) == 13 and doc["metadata"]["synthetic"] and "crs" not in doc
        assert doc["metadata"]["query"]["near"] == "border"
    elif fmt == "csv":
        assert data.startswith(b"\xef\xbb\xbf") and "Xã Ia Tơi" in data.decode("utf-8-sig")
    elif fmt == "shp":
        assert any(n.endswith(".dbf") for n in zipfile.ZipFile(io.BytesIO(data)).namelist())
    elif fmt == "gpkg":
        assert data.startswith(b"SQLite format 3")
    elif fmt == "kml":
        assert "Xã Ia Tơi" in data.decode("utf-8")


def test_csv_geometry_option(client):
    text = _ok(client, "/targets?near=border&f=csv&geometry=latlon").get_data().decode("utf-8-sig")
    header = text.splitlines()[0].split(",")
    assert "Kinh độ" in header and "Vĩ độ" in header and "Hình học (WKT)" not in header  # labelled in vi


def test_json_without_geometry(client):
    full = _ok(client, "/targets?near=border").get_json()
    bare = _ok(client, "/targets?near=border&geometry=none").get_json()
    assert all(f["geometry"] is None for f in bare["features"]) and _props(bare) == _props(full)


def test_neighbours(client, communes):
    code = communes.set_index("name").loc["Xã Ia Tơi", "gso_code"]
    doc = _ok(client, f"/communes/{code}/neighbours").get_json()
    names = {p["name"] for p in _props(doc)}
    assert "Xã Ia Dom" in names and all(p["shared_km"] > 0 for p in _props(doc))
    assert doc["count"] == len(names)
    assert client.get("/communes/99999/neighbours").status_code == 404
    assert client.get("/communes/12ab/neighbours").status_code == 400


def test_nearest_works(client, communes):
    code = communes.set_index("name").loc["Xã Ia Dom", "gso_code"]
    doc = _ok(client, f"/communes/{code}/nearest-works?n=3").get_json()
    d = [p["distance_km"] for p in _props(doc)]
    assert doc["count"] == 3 and d == sorted(d) and d[0] == 0  # Ia Dom has its own electrification works
    assert all(p["location_precision"] in ("commune", "village") for p in _props(doc))
    assert doc["metadata"]["sources"]
    elec = _ok(client, f"/communes/{code}/nearest-works?n=2&kind=electrification").get_json()
    assert {p["kind"] for p in _props(elec)} == {"electrification"}


def test_without_works(client):
    doc = _ok(client, "/communes/without-works?within_km=10&kind=electrification").get_json()
    assert 0 < doc["count"] < 102
    assert all(p["nearest_work_km"] is None or p["nearest_work_km"] > 10 for p in _props(doc))
    inside = _ok(client, "/communes/without-works").get_json()
    assert inside["count"] > doc["count"]
    glei = _ok(client, "/communes/without-works?district=610").get_json()
    assert {p["district_code"] for p in _props(glei)} <= {"610"}


BAD = [
    "/targets?indicator=rich_rate",
    "/targets?year=2030",
    "/targets?year=abc",
    "/targets?year=２０２０",
    "/targets?near=point:abc",
    "/targets?near=point:200,10",
    "/targets?near=point:107.9",
    "/targets?near=moon",
    "/targets?intersects=POLYGON((",
    "/targets?intersects=POINT(107 14)",
    '/targets?intersects={"type":"Polygon","coordinates":[[[1,2]]]}',
    "/targets?intersects=POLYGON((107 14, 108 15, 108 14, 107 15, 107 14))",
    "/targets?within_km=-1&near=border",
    "/targets?within_km=abc&near=border",
    "/targets?within_km=nan&near=border",
    "/targets?within_km=1e400&near=border",
    "/targets?within_km=5",
    "/targets?top=0",
    "/targets?top=501",
    "/targets?top=1.5",
    "/targets?district=Nowhere",
    "/targets?f=pdf",
    "/targets?level=village",
    "/targets?lang=fr",
    "/targets?country=THA",
    "/targets?country=LAO&near=roads",
    "/targets?status=rich",
    "/targets?status=p135&level=district",
    "/targets?weights=poor_rate:x",
    "/targets?weights=poor_rate:-1",
    "/targets?weights=poor_rate:0.5,poor_rate:0.5",
    "/targets?indicator=poor_rate&weights=poor_rate:1",
    "/targets?weights=poor_rate:1,near_poor_rate:1&year=2022",
    "/targets?foo=bar",
    "/targets?top=1&top=2",
    "/targets?f=json&geometry=wkt",
    "/targets?f=geojson&geometry=none",
    "/targets?f=csv&geometry=points",
    "/targets?bbox=1,2",
    "/communes/23344/nearest-works?n=0",
    "/communes/23344/nearest-works?n=51",
    "/communes/23344/nearest-works?kind=bridge",
    "/communes/23344/nearest-works?precision=exact",
    "/communes/23344/neighbours?f=pdf",
    "/communes/without-works?within_km=-3",
    "/communes/without-works?kind=bridge",
    "/communes/without-works?district=Nowhere",
    "/communes/without-works?n=3",
]


@pytest.mark.parametrize("url", BAD)
def test_bad_input_is_400_with_a_message(client, url):
    r = client.get(url)
    assert r.status_code == 400, r.get_data(as_text=True)[:300]
    body = r.get_json()
    assert body["status"] == 400 and len(body["description"]) > 10 and body["error"] == body["description"]


@pytest.mark.parametrize(
    "body, content_type",
    [
        (b"not json", "application/json"),
        (b"[1, 2]", "application/json"),
        (b'{"top": 0}', "application/json"),
        (b'{"type": "Point", "coordinates": [107, 14]}', "application/json"),
        (b'{"foo": 1}', "application/json"),
        (b'{"top": {"a": 1}}', "application/json"),
        (b'{"intersects": 5}', "application/json"),
    ],
)
def test_bad_post_bodies(client, body, content_type):
    r = client.post("/targets", data=body, content_type=content_type)
    assert r.status_code == 400 and r.get_json()["description"]


def test_messages_list_valid_choices(client):
    msg = client.get("/targets?indicator=rich_rate").get_json()["description"]
    assert "poor_rate" in msg and "near_poor_rate" in msg
    msg = client.get("/targets?year=2030").get_json()["description"]
    assert "2015" in msg and "2020" in msg
    msg = client.get("/targets?f=pdf").get_json()["description"]
    assert "geojson" in msg and "xlsx" in msg
    # in the request's language: Vietnamese by default, English with lang=en or Accept-Language
    assert "chọn một trong" in msg
    assert "expected one of" in client.get("/targets?f=pdf&lang=en").get_json()["description"]
    en = client.get("/targets?f=pdf", headers={"Accept-Language": "en-GB,en;q=0.8"}).get_json()["description"]
    assert en.startswith("unknown f 'pdf'; expected one of")


def test_missing_build_is_503_not_500(tmp_path):
    from app import create_app

    app = create_app({"GEO_GPKG": str(tmp_path / "none.gpkg"), "TESTING": True})
    r = app.test_client().get("/targets")
    assert r.status_code == 503 and "python -m geo build" in r.get_json()["description"]


PARAMS = [
    "level",
    "indicator",
    "weights",
    "year",
    "near",
    "country",
    "within_km",
    "intersects",
    "bbox",
    "district",
    "status",
    "top",
    "lang",
    "f",
    "geometry",
]
TOKENS = [
    "border",
    "roads",
    "point:107.9,14.6",
    "LAO",
    "KHM",
    "0",
    "5",
    "-1",
    "poor_rate",
    "p135",
    "district",
    "commune",
    "json",
    "csv",
    "en",
    "vi",
    "610",
    "2020",
    "POLYGON((",
    "{",
    "nan",
    ",",
    ":",
]


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    st.dictionaries(
        st.sampled_from(PARAMS),
        st.one_of(
            st.text(max_size=40), st.sampled_from(TOKENS), st.lists(st.sampled_from(TOKENS), max_size=4).map(",".join)
        ),
        max_size=5,
    )
)
def test_random_params_never_500(client, params):
    r = client.get("/targets", query_string=params)
    assert r.status_code in (200, 400), (params, r.get_data(as_text=True)[:300])


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    st.sampled_from(["/communes/{}/neighbours", "/communes/{}/nearest-works", "/communes/without-works"]),
    st.text(max_size=12),
    st.dictionaries(
        st.sampled_from(["n", "kind", "within_km", "precision", "f", "lang", "district"]),
        st.text(max_size=20),
        max_size=3,
    ),
)
def test_random_commune_routes_never_500(client, route, code, params):
    url = route.format(quote(code, safe="") or "x")
    r = client.get(url, query_string=params)
    assert r.status_code in (200, 400, 404), (url, params, r.get_data(as_text=True)[:300])


# --------------------------------------------------------------------------- the page's workbench (issue 14)


def test_border_ranking_gives_real_distances_from_the_centre(client, communes, gpkg):
    """distance_km is 0 for every commune along the border; centre_to_border_km is measured from inside."""
    from geo.analysis import query
    from geo.io import storage

    border = storage.read_layer("border", gpkg)
    expected = query.centre_distances(communes, border).set_axis(communes["gso_code"])
    laos = query.centre_distances(communes, border, "LAO").set_axis(communes["gso_code"])
    props = _props(_ok(client, "/targets?near=border&within_km=0&geometry=none").get_json())
    assert len(props) == 13 and {p["distance_km"] for p in props} == {0.0}
    for p in props:
        assert p["centre_to_border_km"] == pytest.approx(expected[p["gso_code"]], abs=1e-3)
        assert p["centre_to_border_km"] > 0.5
    lao = _props(_ok(client, "/targets?country=LAO&geometry=none").get_json())
    assert lao and all(p["centre_to_border_km"] == pytest.approx(laos[p["gso_code"]], abs=1e-3) for p in lao)


def test_rankings_carry_household_counts_and_totals(client, gpkg):
    from geo.indicators import values
    from geo.io import storage

    obs = storage.read_layer("observations", gpkg)
    doc = _ok(client, "/targets?near=border&year=2016&geometry=none").get_json()
    props = _props(doc)
    codes = [p["gso_code"] for p in props]
    poor = values.values(obs, "poor_households", "commune", 2016).set_index("gso_code")["value"]
    # households are a yearly series (2015–2021), so the ranking's own year is used
    homes = values.values(obs, "households", "commune", 2016).set_index("gso_code")["value"]
    assert [p["poor_households"] for p in props] == [poor[c] for c in codes]
    assert {p["poor_households_year"] for p in props} == {2016} and {p["households_year"] for p in props} == {2016}
    totals = doc["totals"]
    assert totals["poor_households"]["total"] == pytest.approx(float(poor[codes].sum()))
    assert totals["poor_households"]["synthetic_share"] == 1.0 and totals["poor_households"]["years"] == [2016]
    assert totals["households"]["total"] == pytest.approx(float(homes[codes].sum()))
    assert totals["households"]["synthetic_share"] == 0.0 and totals["households"]["of"] == 13
    # a 2016 district ranking carries the districts' 2016 poor households (sums of their communes),
    # never the 2021 review's (another standard)
    districts = _ok(client, "/targets?level=district&year=2016&geometry=none").get_json()
    assert districts["totals"]["poor_households"]["years"] == [2016]
    assert {f["properties"]["poor_households_year"] for f in districts["features"]} == {2016}


def test_csv_download_is_excel_friendly_and_in_the_readers_language(client, gpkg):
    import csv as csv_mod

    from geo.io import storage

    cat = storage.read_layer("catalogue", gpkg).set_index("id")
    for lang, name_col, shown, exact in (
        ("vi", "name_vi", "làm tròn như trên bản đồ", "giá trị chính xác"),
        ("en", "name_en", "rounded as on the map", "exact value"),
    ):
        data = _ok(client, f"/targets?near=border&top=10&f=csv&lang={lang}").get_data()
        assert data.startswith(b"\xef\xbb\xbf") and len(data) < 100_000
        rows = list(csv_mod.reader(io.StringIO(data.decode("utf-8-sig"))))
        header, body = rows[0], rows[1:]
        assert len(body) == 10 and max(len(v) for r in rows for v in r) <= 32_767
        assert not {"wkt", "lon", "lat", "geometry"} & set(header)
        rate = f"{cat.loc['poor_rate', name_col]} (%)"
        i_shown, i_exact = header.index(f"{rate} — {shown}"), header.index(f"{rate} — {exact}")
        for r in body:
            assert float(r[i_shown]) == round(float(r[i_exact]), 1)
        assert any(h.startswith(str(cat.loc["poor_households", name_col])) for h in header)
        note = body[0][-1]
        assert "không phải số liệu thống kê chính thức" in note and "not official statistics" in note
