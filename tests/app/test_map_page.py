"""The map page and its layer endpoints (Flask test client on the built GeoPackage)."""

from __future__ import annotations

import json
import re

import pytest
import shapely
from shapely.geometry import shape

from geo.indicators import values as indicators
from geo.io import storage
from geo.maplayers import layerspec

BUDGET_BYTES = 1_000_000


#: English error descriptions (the default language is Vietnamese).
EN = {"Accept-Language": "en"}


@pytest.fixture(scope="module")
def client(gpkg):
    from app import create_app

    app = create_app({"TESTING": True})
    return app.test_client()


@pytest.fixture(scope="module")
def specs(gpkg):
    return layerspec.by_id(layerspec.load_layers())


@pytest.fixture(scope="module")
def commune_codes(gpkg):
    return set(storage.read_layer("communes")["gso_code"])


def get_layer(client, layer_id, **params):
    resp = client.get(f"/layers/{layer_id}.geojson", query_string=params)
    assert resp.status_code == 200, resp.get_data(as_text=True)
    assert resp.mimetype == "application/geo+json"
    return resp.get_json()


# ------------------------------------------------------------------- the page


def test_page_renders_in_vietnamese_with_local_assets_only(client):
    resp = client.get("/")
    assert resp.status_code == 200 and resp.mimetype == "text/html"
    html = resp.get_data(as_text=True)
    assert '<html lang="vi">' in html
    assert "Bản đồ nghèo tỉnh Kon Tum" in html
    assert "dữ liệu minh họa / demo data" in html  # persistent notice
    refs = re.findall(r'<(?:script|link)[^>]+(?:src|href)="([^"]+)"', html)
    bundle = client.get(next(r for r in refs if r.startswith("/static/bundles/map.js"))).get_data(as_text=True)
    assert "Leaflet 1.9.4" in bundle and "MarkerClusterGroup" in bundle and "drawLocal" in bundle
    external = [r for r in refs if r.startswith(("http:", "https:", "//"))]
    assert external == []
    assert "cdn.jsdelivr" not in html and "cdnjs" not in html and "code.jquery" not in html
    # OpenStreetMap is offered but not the default base layer
    assert "tile.openstreetmap.org" in html
    config = json.loads(
        re.search(r'<script type="application/json" id="kt-config">(.*?)</script>', html, re.S).group(1)
    )
    assert config["lang"] == "vi" and len(config["districts"]) == 10
    assert [layer["id"] for layer in config["layers"]][0] == "poor_rate"


def test_the_first_fit_is_not_animated(client):
    """Leaflet animates a fit of up to 4 zoom levels; the page script's own fit, made while that
    ran, was undone when it ended (a phone opened at zoom 7). The first fit jumps."""
    html = client.get("/").get_data(as_text=True)
    fits = re.findall(r"\.fitBounds\(\s*(\[\[.*?\]\]),\s*(\{.*?\})\s*\);", html, re.S)
    assert len(fits) == 1
    options = json.loads(fits[0][1])
    assert options["animate"] is False and options["paddingBottomRight"] == [250, 10]


def test_page_in_english(client):
    html = client.get("/?lang=en").get_data(as_text=True)
    assert '<html lang="en">' in html and "Kon Tum poverty map" in html
    assert "Commune poor-household rate (%)" in html
    assert "Tiếng Việt" in html  # the toggle back


def test_bad_lang_is_a_400_json(client):
    resp = client.get("/?lang=fr", headers=EN)
    assert resp.status_code == 400
    body = resp.get_json()
    assert body["status"] == 400 and "unknown lang 'fr'" in body["description"]
    # without Accept-Language the description is Vietnamese, the default
    assert "ngôn ngữ không hỗ trợ 'fr'" in client.get("/?lang=fr").get_json()["description"]


def test_static_assets_are_served(client):
    for path in (
        "/static/vendor/leaflet-1.9.4/leaflet.js",
        "/static/vendor/leaflet-1.9.4/leaflet.css",
        "/static/vendor/leaflet.markercluster-1.5.3/leaflet.markercluster.js",
        "/static/vendor/leaflet-draw-1.0.4/leaflet.draw.js",
        "/static/vendor/leaflet.fullscreen-3.0.0/Control.FullScreen.js",
        "/static/map/kontum-map.js",
        "/static/map/kontum-map.css",
    ):
        resp = client.get(path)
        assert resp.status_code == 200, path
        resp.close()


def test_data_strings_are_escaped_in_the_page(gpkg, monkeypatch):
    """A name holding markup reaches the page as text, never as a tag."""
    from app import create_app

    real = storage.read_layer
    evil = '<script>alert("x")</script>'

    def read_layer(name, path=None):
        frame = real(name, path)
        if name in ("districts", "provinces"):
            frame.loc[frame.index[0], "name"] = evil
        return frame

    monkeypatch.setattr(storage, "read_layer", read_layer)
    app = create_app({"TESTING": True})
    # its own part of the map cache: apps alike share payloads (the token is what they depend on)
    app.extensions["map_cache"] = "escaped-names-test"
    html = app.test_client().get("/").get_data(as_text=True)
    assert evil not in html
    assert "&lt;script&gt;alert(" in html  # select option / context label
    assert "\\u003cscript\\u003e" in html  # JSON config


# ------------------------------------------------------------ layer endpoints


def test_layer_index(client, specs):
    layers = client.get("/layers").get_json()["layers"]
    assert [x["id"] for x in layers] == list(specs)
    assert all(x["url"].startswith("/layers/") for x in layers)


def test_every_layer_is_valid_geojson(client, specs, commune_codes):
    districts = set(storage.read_layer("districts")["gso_code"])
    for lid, spec in specs.items():
        fc = get_layer(client, lid)
        assert fc["type"] == "FeatureCollection"
        meta = fc["layer"]
        assert meta["id"] == lid and meta["title"] == spec.title_vi and meta["legend"]
        for f in fc["features"]:
            assert f["type"] == "Feature" and isinstance(f["properties"], dict) and f["id"]
            geom = shape(f["geometry"])
            assert geom.is_valid or geom.buffer(0).area > 0, (lid, f["id"])
            assert not geom.is_empty
            x0, y0, x1, y1 = geom.bounds
            assert 106 < x0 <= x1 < 110 and 12.5 < y0 <= y1 < 16.5  # lon/lat, around Kon Tum
        ids = {f["id"] for f in fc["features"]}
        if spec.source == "communes":
            assert len(fc["features"]) == 102 and ids == commune_codes, lid
        if spec.source == "districts":
            assert ids == districts
        if spec.kind == "choropleth":
            counted = sum(e["count"] for e in meta["legend"]) + (meta["no_data"] or {}).get("count", 0)
            assert counted == len(fc["features"])
            assert meta["classification"]["scheme"] == spec.classification.scheme
            assert all(e["color"].startswith("#") and e["label"] for e in meta["legend"])


def test_synthetic_layers_carry_the_demo_mark(client):
    for lid in ("poor_rate", "near_poor_rate", "district_poor_rate", "road_village_hardened_pct"):
        meta = get_layer(client, lid, geometry="none")["layer"]
        assert meta["synthetic"] is True and meta["demo_label"] == "dữ liệu minh họa / demo data", lid
    for lid in ("population_2019", "p135_2016", "border_communes", "roads"):
        meta = get_layer(client, lid, geometry="none")["layer"]
        assert meta["synthetic"] is False and meta["demo_label"] is None, lid
    poor = get_layer(client, "poor_rate", geometry="none")
    assert {f["properties"]["status"] for f in poor["features"]} == {"synthetic"}


def test_choropleth_values_match_the_data(client, gpkg):
    obs = storage.read_layer("observations")
    for year in (2016, 2020):
        expected = indicators.values(obs, "poor_rate", "commune", year).set_index("gso_code")["value"]
        fc = get_layer(client, "poor_rate", year=year, geometry="none")
        assert fc["layer"]["year"] == year
        for f in fc["features"]:
            p = f["properties"]
            assert p["value"] == pytest.approx(expected[f["id"]], abs=1e-4)
            assert p["year"] == year and p["color"] is not None
            assert p["value_text"] == f"{expected[f['id']]:.1f}".replace(".", ",") + "%"


def test_classes_are_the_same_for_every_year(client):
    a = get_layer(client, "poor_rate", year=2015, geometry="none")["layer"]["classification"]
    b = get_layer(client, "poor_rate", year=2020, geometry="none")["layer"]["classification"]
    assert a["across_years"] and a["breaks"] == b["breaks"] and a["scheme"] == "fisher_jenks"


def test_no_data_is_drawn_apart_and_labelled(client):
    fc = get_layer(client, "ntm_criteria_met", geometry="none")
    meta = fc["layer"]
    missing = [f for f in fc["features"] if f["properties"]["value"] is None]
    assert missing and meta["no_data"] == {"label": "không có dữ liệu", "count": len(missing)}
    assert all(f["properties"]["color"] is None for f in missing)
    assert all(f["properties"]["color"] for f in fc["features"] if f["properties"]["value"] is not None)
    en = get_layer(client, "ntm_criteria_met", geometry="none", lang="en")["layer"]
    assert en["no_data"]["label"] == "no data"


def test_categorical_partial_list_is_marked(client):
    meta = get_layer(client, "p135_2017_2020", geometry="none")["layer"]
    assert "Danh sách chưa đầy đủ: 39/54" in meta["note"]
    assert [(e["value"], e["count"]) for e in meta["legend"]] == [("1", 39), ("unknown", 63)]
    border = get_layer(client, "border_communes", geometry="none")
    flagged = [f for f in border["features"] if f["properties"].get("category") == "true"]
    assert len(flagged) == 13 and border["layer"]["display"] == "outline"


def test_popup_fields_and_sources(client):
    fc = get_layer(client, "poor_rate", geometry="none")
    meta = fc["layer"]
    assert [x["id"] for x in meta["popup_fields"]] == ["poor_households", "near_poor_rate", "households"]
    assert meta["indicator"]["name"] == "Tỷ lệ hộ nghèo" and meta["indicator"]["unit"] == "%"
    p = fc["features"][0]["properties"]
    assert meta["sources"][p["src"]].startswith("Dữ liệu minh họa (tạo tự động) / Synthetic demo values (generated)")
    assert "Đa chiều 2016–2020" in meta["standards"][p["std"]]
    assert {i["id"] for i in p["popup"]} == {"poor_households", "near_poor_rate", "households"}
    # bounds such as ">58" are shown (reported), never drawn
    sa_binh = next(f for f in fc["features"] if f["id"] == "23545")["properties"]
    assert any(r["text"].startswith(">") for r in sa_binh["reported"])


def test_points_say_where_they_really_are(client):
    fc = get_layer(client, "works_electrification")
    precision = {f["properties"]["location_precision"]: f["properties"]["location"] for f in fc["features"]}
    assert precision["commune"] == "vị trí: trung tâm xã (gần đúng)"
    fc_en = get_layer(client, "works_electrification", lang="en")
    assert fc_en["features"][0]["properties"]["location"].startswith("location:")
    assert all(f["geometry"]["type"] == "Point" for f in fc["features"])


def test_border_lines_are_labelled(client):
    vi = {f["properties"]["label"] for f in get_layer(client, "border")["features"]}
    en = {f["properties"]["label"] for f in get_layer(client, "border", lang="en")["features"]}
    assert any("Lào" in x for x in vi) and any("Campuchia" in x for x in vi)
    assert any("Laos" in x for x in en) and any("Cambodia" in x for x in en)


def test_scheme_can_be_switched(client):
    default = get_layer(client, "population_2019", geometry="none")["layer"]
    assert default["classification"]["scheme"] == "quantiles"
    counts = [e["count"] for e in default["legend"]]
    assert max(counts) - min(counts) <= 2  # quantiles: even classes
    switched = get_layer(client, "population_2019", scheme="equal_interval", geometry="none")["layer"]
    cls = switched["classification"]
    assert cls["scheme"] == "equal_interval" and cls["default_scheme"] == "quantiles"
    widths = [b - a for a, b in zip([cls["lower"]] + cls["breaks"], cls["breaks"])]
    assert max(widths) - min(widths) < 1e-6 * max(widths)
    assert "user_defined" not in cls["schemes"]
    poor = get_layer(client, "poor_rate", scheme="quantiles", geometry="none")["layer"]["classification"]
    assert poor["scheme"] == "quantiles" and poor["across_years"]


@pytest.mark.parametrize(
    "url, status, text",
    [
        ("/layers/nope.geojson", 404, "unknown layer 'nope'"),
        ("/layers/poor_rate.geojson?year=abc", 400, "year must be an integer"),
        ("/layers/poor_rate.geojson?year=1999", 400, "has no year 1999; years: 2015"),
        ("/layers/p135_2016.geojson?year=2016", 400, "has no years"),
        ("/layers/poor_rate.geojson?scheme=magic", 400, "unknown scheme 'magic'"),
        ("/layers/poor_rate.geojson?scheme=user_defined", 400, "no user-defined breaks"),
        ("/layers/p135_2016.geojson?scheme=quantiles", 400, "applies to choropleth layers"),
        ("/layers/poor_rate.geojson?geometry=some", 400, "geometry must be 'full' or 'none'"),
        ("/layers/poor_rate.geojson?lang=de", 400, "unknown lang 'de'"),
        ("/layers/geometry/villages.geojson", 404, "no shared geometry 'villages'"),
        ("/layers/poor_rate.geojson?k=1", 400, "k: expected a whole number of classes from 2 to 9"),
        ("/layers/poor_rate.geojson?k=abc", 400, "k: expected a whole number"),
        ("/layers/poor_rate.geojson?k=10", 400, "from 2 to 9"),
        ("/layers/poor_rate.geojson?k=3&breaks=10,20", 400, "either k"),
        ("/layers/poor_rate.geojson?breaks=20,10", 400, "strictly ascending"),
        ("/layers/poor_rate.geojson?breaks=10,x", 400, "ascending numbers separated by commas"),
        ("/layers/poor_rate.geojson?breaks=1,2,3,4,5,6,7,8,9", 400, "at most 8 bounds"),
        ("/layers/poor_rate.geojson?breaks=10,inf", 400, "finite"),
        ("/layers/poor_rate.geojson?scheme=quantiles&breaks=10,20", 400, "do not go with scheme='quantiles'"),
        ("/layers/poor_rate.geojson?scheme=user_defined&k=4", 400, "k does not apply"),
        ("/layers/p135_2016.geojson?k=4", 400, "apply to choropleth layers"),
    ],
)
def test_bad_requests_are_clear_json_errors(client, url, status, text):
    resp = client.get(url, headers=EN)
    assert resp.status_code == status
    body = resp.get_json()
    assert set(body) == {"code", "description", "error", "status"} and text in body["description"]
    # the same error in Vietnamese (the default): another text, from the catalogue
    vi = client.get(url).get_json()
    assert vi["status"] == status and vi["description"] and text not in vi["description"]


def test_shared_geometry_and_series(client, commune_codes):
    geo = client.get("/layers/geometry/communes.geojson").get_json()
    assert {f["id"] for f in geo["features"]} == commune_codes
    assert all(f["properties"]["name"] and f["properties"]["district_name"] for f in geo["features"])
    districts = client.get("/layers/geometry/districts.geojson").get_json()
    assert len(districts["features"]) == 10
    series = client.get("/layers/series.json").get_json()
    assert series["years"] == [2015, 2016, 2017, 2018, 2019, 2020, 2021, 2022]
    assert commune_codes <= set(series["levels"]["commune"])
    std = {s["key"]: i for i, s in enumerate(series["standards"])}
    (line,) = series["levels"]["commune"]["23545"]["poor_rate"]  # one standard: one line
    assert line["std"] == std["2016-2020"]
    assert all(v is not None for v in line["values"][:6]) and line["values"][6:] == [None, None]
    # Tu Mơ Rông: the 2016–2020 line and the real 2021 review (NĐ 07/2021) as a line of its own
    lines = {series["standards"][x["std"]]["key"]: x for x in series["levels"]["district"]["617"]["poor_rate"]}
    assert set(lines) == {"2016-2020", "2022-2025"}
    assert lines["2016-2020"]["values"][2] == 58.66 and lines["2016-2020"]["status"][2] == "official"
    assert lines["2016-2020"]["values"][6:] == [None, None]
    assert lines["2022-2025"]["values"] == [None] * 6 + [52.11, None]
    assert lines["2022-2025"]["status"][6] == "derived"


def test_payload_is_cached_per_gpkg_version(client, gpkg):
    from app import map_page
    from geo import cache

    get_layer(client, "poor_rate", geometry="none")
    token = client.application.extensions["map_cache"]
    versions = [v for v, k in map_page.MAP.keys() if k[:3] == (token, "layer", "poor_rate")]
    assert versions and all(v == cache.file_version(gpkg) for v in versions)
    first = client.get("/layers/poor_rate.geojson?geometry=none").get_data()
    assert client.get("/layers/poor_rate.geojson?geometry=none").get_data() == first


def test_page_with_all_layer_data_stays_under_1_mb(client, specs):
    """What the page downloads (besides the vendored libraries): HTML, own JS/CSS,
    the shared geometry once, and every layer at its default year."""
    total = 0
    for path in (
        "/",
        "/static/map/kontum-map.js",
        "/static/map/kontum-map.css",
        # the shared display geometry of every polygon level (communes, districts and the
        # 2025 communes), one TopoJSON topology fetched once by the page (kontum-map.js ``geometry``)
        "/layers/geometry/topology.json",
        "/layers/series.json",
    ):
        resp = client.get(path)
        assert resp.status_code == 200, path
        total += len(resp.get_data())
        resp.close()
    for lid, spec in specs.items():
        geometry = "none" if spec.source in layerspec.LEVELS else "full"
        total += len(client.get(f"/layers/{lid}.geojson?geometry={geometry}").get_data())
    assert total < BUDGET_BYTES, total


def test_standalone_layer_with_geometry_is_compact(client):
    """A commune layer downloaded on its own (with geometry) stays small: simplified, 5 decimals."""
    data = client.get("/layers/poor_rate.geojson").get_data()
    assert len(data) < 300_000
    coords = re.findall(rb"\[(1\d\d\.\d+),(1\d\.\d+)\]", data[:20000])
    assert coords and all(len(x.split(b".")[1]) <= 5 for pair in coords for x in pair)
    fc = json.loads(data)
    geoms = [shape(f["geometry"]) for f in fc["features"]]
    assert shapely.union_all(geoms).area > 0


def test_missing_data_is_a_clear_503(tmp_path):
    from app import create_app

    client = create_app({"TESTING": True, "GEO_GPKG": str(tmp_path / "missing.gpkg")}).test_client()
    for url in ("/", "/layers/poor_rate.geojson"):
        resp = client.get(url)
        assert resp.status_code == 503
        assert "python -m geo build" in resp.get_json()["description"]
    assert client.get("/layers").status_code == 200  # the layer list needs no data


def test_planners_own_classes(client):
    """?k= changes the number of classes, ?breaks= sets the bounds (user_defined), and
    every value falls in the class its bounds say."""
    five = get_layer(client, "poor_rate", geometry="none", year="2020")["layer"]["classification"]
    three = get_layer(client, "poor_rate", geometry="none", year="2020", k="3")["layer"]
    assert three["classification"]["k"] == 3 and len(three["legend"]) == 3
    assert three["classification"]["default_k"] == five["k"] != 3
    own = get_layer(client, "poor_rate", geometry="none", year="2020", breaks="10,30")
    cls = own["layer"]["classification"]
    assert cls["scheme"] == "user_defined" and cls["breaks"][:2] == [10.0, 30.0]
    assert "user_defined" in cls["schemes"]
    assert [e["label"].rstrip("%").strip() for e in own["layer"]["legend"]][:2] == ["≤ 10", "> 10 – 30"]
    values = {f["id"]: f["properties"].get("value") for f in own["features"]}
    counts = [e["count"] for e in own["layer"]["legend"]]
    present = [v for v in values.values() if v is not None]
    assert counts[0] == sum(v <= 10 for v in present)
    assert counts[1] == sum(10 < v <= 30 for v in present)
    assert sum(counts) == len(present)
    # Vietnamese decimal commas with ';' between the bounds
    vi = get_layer(client, "poor_rate", geometry="none", year="2020", breaks="10,5; 30")
    assert vi["layer"]["classification"]["breaks"][:2] == [10.5, 30.0]


def test_map_cache_is_bounded_by_bytes(gpkg, monkeypatch):
    from app import create_app, map_page

    app = create_app({"TESTING": True, "GEO_GPKG": str(gpkg)})
    client = app.test_client()
    monkeypatch.setattr(map_page.MAP, "max_bytes", 150_000)
    for k in range(2, 8):
        assert client.get(f"/layers/poor_rate.geojson?geometry=none&k={k}").status_code == 200
    token = app.extensions["map_cache"]
    mine = [(key, v) for (_, key), v in zip(map_page.MAP.keys(), map_page.MAP.values()) if key[0] == token]
    sizes = [len(v) for _, v in mine if isinstance(v, bytes)]
    assert 0 < sum(sizes) <= max(150_000, sizes[-1])
    assert map_page.MAP.nbytes <= 150_000
    assert any(key[-2] == 7 for key, _ in mine)  # the newest answer is kept
    assert not any(key[-2] == 2 for key, _ in mine)  # the oldest went


@pytest.mark.parametrize("url", ["/layers/poor_rate.geojson?year=2020", "/layers/district_poor_rate.geojson"])
def test_served_layer_geometry_is_valid(client, url):
    """What a strict client (GEOS, QGIS) reads from the layer endpoint is valid geometry."""
    import shapely

    r = client.get(url)
    assert r.status_code == 200
    feats = r.get_json()["features"]
    geoms = [shapely.geometry.shape(f["geometry"]) for f in feats]
    assert geoms and all(g.is_valid for g in geoms), [shapely.is_valid_reason(g) for g in geoms if not g.is_valid]


def test_border_popup_shows_the_published_length_beside_the_computed(client):
    fc = get_layer(client, "border", geometry="none")
    popups = {
        f["properties"]["country"]: {i["id"]: i["text"] for i in f["properties"]["popup"]} for f in fc["features"]
    }
    assert set(popups["LAO"]) == {"length_km", "official_length_km", "official_source"}
    assert "154" in popups["LAO"]["official_length_km"] and "138" in popups["KHM"]["official_length_km"]
    assert "150" in popups["LAO"]["length_km"]  # computed from the geometry (UTM 48N)
    assert "vietnam.vn" in popups["KHM"]["official_source"]


def test_ogc_border_collection_has_the_published_lengths(client):
    resp = client.get("/ogc/collections/border/items", query_string={"f": "json"})
    props = {f["properties"]["country"]: f["properties"] for f in resp.get_json()["features"]}
    assert props["LAO"]["official_length_km"] == 154.2 and props["KHM"]["official_length_km"] == 138.3
    assert props["LAO"]["length_km"] == pytest.approx(150.5, abs=0.1)


def test_the_topology_carries_every_level_with_the_geojson_geometry(client):
    """The page's one geometry download holds the three polygon levels with the same ids,
    properties and shapes as their GeoJSON (within the 5-decimal display grid), in a third of the bytes or less."""
    import shapely

    topo_bytes = client.get("/layers/geometry/topology.json").get_data()
    topo = json.loads(topo_bytes)
    assert topo["type"] == "Topology" and set(topo["objects"]) == set(layerspec.LEVELS)
    geojson_bytes = 0
    for source in layerspec.LEVELS:
        raw = client.get(f"/layers/geometry/{source}.geojson").get_data()
        geojson_bytes += len(raw)
        fc = json.loads(raw)
        geoms = topo["objects"][source]["geometries"]
        assert [g["id"] for g in geoms] == [f["id"] for f in fc["features"]]
        assert [g["properties"] for g in geoms] == [{k: v for k, v in f["properties"].items()} for f in fc["features"]]
        assert len(geoms) == {"communes": 102, "districts": 10, "communes_2025": 40}[source]
        decoded = _decode_topology(topo, source)
        for f in fc["features"]:
            g = shape(f["geometry"])
            # every vertex within half a step of the 1e-5° display grid (about half a metre)
            assert shapely.hausdorff_distance(decoded[f["id"]], g) <= 0.5e-5 + 1e-9, f["id"]
    assert len(topo_bytes) * 3 < geojson_bytes


def _decode_topology(topo: dict, name: str) -> dict:
    """TopoJSON → shapely by id (quantised, delta-coded arcs; the spec's decoding)."""
    import shapely

    (kx, ky), (tx, ty) = topo["transform"]["scale"], topo["transform"]["translate"]
    arcs = []
    for arc in topo["arcs"]:
        x = y = 0
        pts = []
        for dx, dy in arc:
            x, y = x + dx, y + dy
            pts.append((x * kx + tx, y * ky + ty))
        arcs.append(pts)

    def ring(indexes):
        pts = []
        for i in indexes:
            seg = arcs[i] if i >= 0 else arcs[~i][::-1]
            pts.extend(seg if not pts else seg[1:])
        return pts

    out = {}
    for g in topo["objects"][name]["geometries"]:
        polys = g["arcs"] if g["type"] == "MultiPolygon" else [g["arcs"]]
        out[g["id"]] = shapely.union_all([shapely.Polygon(ring(p[0]), [ring(h) for h in p[1:]]) for p in polys])
    return out
