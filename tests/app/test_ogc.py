"""OGC API – Features under /ogc: landing, conformance, collections, items, OpenAPI, HTML.

Counts are checked against the real build (102 communes, 10 districts, 2
border lines …) and, where a filter is involved, against an independent
GeoPandas computation on the GeoPackage.
"""

from __future__ import annotations

import io
import json
import os
import re
import shutil
import zipfile
from urllib.parse import parse_qs, quote, urlsplit

import pyogrio
import pytest
from shapely.geometry import box

from geo.io import storage
from geo.ogc import features as F

KNOWN_BBOX = (107.5, 14.2, 107.9, 14.6)
COLLECTIONS = ["communes", "districts", "works", "roads", "border", "communes_2025"]
CONFORMANCE = {
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/geojson",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/html",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/oas30",
    "http://www.opengis.net/spec/ogcapi-features-2/1.0/conf/crs",
    # Part 5: the schema of each collection's features (test_schema_and_queryables_documents)
    "http://www.opengis.net/spec/ogcapi-features-5/1.0/conf/schemas",
    # OGC API – Tiles (app/ogc_tiles.py, issue 16)
    "http://www.opengis.net/spec/ogcapi-tiles-1/1.0/conf/core",
    "http://www.opengis.net/spec/ogcapi-tiles-1/1.0/conf/tileset",
    "http://www.opengis.net/spec/ogcapi-tiles-1/1.0/conf/tilesets-list",
    "http://www.opengis.net/spec/ogcapi-tiles-1/1.0/conf/geodata-tilesets",
    "http://www.opengis.net/spec/ogcapi-tiles-1/1.0/conf/mvt",
    # Part 3 filtering and CQL2 (tests/app/test_ogc_filter.py)
    "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/queryables",
    "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/filter",
    "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/features-filter",
    "http://www.opengis.net/spec/cql2/1.0/conf/cql2-text",
    "http://www.opengis.net/spec/cql2/1.0/conf/cql2-json",
    "http://www.opengis.net/spec/cql2/1.0/conf/basic-cql2",
    "http://www.opengis.net/spec/cql2/1.0/conf/advanced-comparison-operators",
    "http://www.opengis.net/spec/cql2/1.0/conf/basic-spatial-functions",
    "http://www.opengis.net/spec/cql2/1.0/conf/basic-spatial-functions-plus",
    "http://www.opengis.net/spec/cql2/1.0/conf/spatial-functions",
    "http://www.opengis.net/spec/cql2/1.0/conf/property-property",
}


@pytest.fixture(scope="module")
def client(gpkg, backend_config):
    """The service on each backend in turn (embedded GeoPackage, PostGIS)."""
    from app import create_app

    app = create_app({"TESTING": True, "GEO_GPKG": str(gpkg), **backend_config})
    return app.test_client()


def get_json(client, url, status=200, **kw):
    r = client.get(url, **kw)
    assert r.status_code == status, (url, r.status_code, r.get_data(as_text=True)[:500])
    return json.loads(r.get_data(as_text=True))


def rels(doc):
    return {(link["rel"], link["type"]) for link in doc["links"]}


def link(doc, rel, type_=None):
    found = [lk for lk in doc["links"] if lk["rel"] == rel and (type_ is None or lk["type"] == type_)]
    assert len(found) == 1, (rel, type_, doc["links"])
    return found[0]["href"]


def query(href):
    return {k: v[0] for k, v in parse_qs(urlsplit(href).query).items()}


# --------------------------------------------------------------------------- landing, conformance


@pytest.mark.parametrize("url", ["/ogc", "/ogc/"])
def test_landing_links(client, url):
    doc = get_json(client, url)
    assert "Kon Tum" in doc["title"]
    got = rels(doc)
    for need in [
        ("self", "application/json"),
        ("alternate", "text/html"),
        ("service-desc", "application/vnd.oai.openapi+json;version=3.0"),
        ("service-doc", "text/html"),
        ("conformance", "application/json"),
        ("data", "application/json"),
    ]:
        assert need in got, need
    assert urlsplit(link(doc, "service-desc")).path == "/ogc/api"
    assert urlsplit(link(doc, "data", "application/json")).path == "/ogc/collections"
    assert urlsplit(link(doc, "conformance", "application/json")).path == "/ogc/conformance"
    # absolute links: clients such as GDAL resolve them against the host, not /ogc
    assert all(lk["href"].startswith("http://localhost/ogc") for lk in doc["links"])


def test_conformance_declares_exactly_what_is_implemented(client):
    doc = get_json(client, "/ogc/conformance")
    assert set(doc["conformsTo"]) == CONFORMANCE
    assert len(doc["conformsTo"]) == len(CONFORMANCE)


def test_vietnamese_is_not_escaped(client):
    r = client.get("/ogc")
    assert "Bản đồ nghèo Kon Tum".encode() in r.data
    assert b"\\u" not in r.data


# --------------------------------------------------------------------------- collections


def test_collections_list(client):
    doc = get_json(client, "/ogc/collections")
    assert [c["id"] for c in doc["collections"]] == COLLECTIONS
    assert ("self", "application/json") in rels(doc) and ("alternate", "text/html") in rels(doc)
    for c in doc["collections"]:
        assert c["title"] and c["description"] and c["itemType"] == "feature"
        items = [lk for lk in c["links"] if lk["rel"] == "items"]
        assert {"application/geo+json", "text/html"} <= {lk["type"] for lk in items}
        assert all("type" in lk and "rel" in lk for lk in c["links"])
        ((minx, miny, maxx, maxy),) = c["extent"]["spatial"]["bbox"]
        assert 107.0 < minx < maxx < 109.5 and 13.0 <= miny < maxy < 16.3, c["id"]


def test_collection_metadata(client):
    doc = get_json(client, "/ogc/collections/communes")
    assert doc["id"] == "communes" and doc["idField"] == "gso_code"
    # every year with commune values: one column per year (and standard), never a latest-of-any-year one
    assert doc["extent"]["temporal"]["interval"] == [["2013-01-01T00:00:00Z", "2022-12-31T23:59:59Z"]]
    assert doc["indicatorYears"] == [2013, 2015, 2016, 2017, 2018, 2019, 2020, 2021, 2022]
    assert link(doc, "self").endswith("/ogc/collections/communes?f=json")
    assert "temporal" not in get_json(client, "/ogc/collections/roads")["extent"]
    en = get_json(client, "/ogc/collections/communes?lang=en")
    assert en["title"] == "Communes (2020) with poverty indicators"
    assert doc["title"].startswith("Xã, phường")


def test_unknown_collection_is_404(client):
    for url in ["/ogc/collections/nope", "/ogc/collections/nope/items", "/ogc/collections/nope/items/1"]:
        doc = get_json(client, url, 404)
        assert doc["code"] == "NotFound" and "nope" in doc["description"]


# --------------------------------------------------------------------------- items


@pytest.mark.parametrize(
    "cid,expected", [("communes", 102), ("districts", 10), ("border", 2), ("roads", 50), ("communes_2025", 40)]
)
def test_items_counts(client, cid, expected):
    doc = get_json(client, f"/ogc/collections/{cid}/items?limit=1000")
    assert doc["type"] == "FeatureCollection"
    assert doc["numberMatched"] == expected == doc["numberReturned"] == len(doc["features"])
    ids = [f["id"] for f in doc["features"]]
    assert len(set(ids)) == expected
    assert re.match(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$", doc["timeStamp"])
    assert "next" not in {lk["rel"] for lk in doc["links"]}


def test_items_works_all(client, gpkg):
    n = len(storage.read_layer("works", gpkg))
    doc = get_json(client, "/ogc/collections/works/items?limit=1000")
    assert n > 0 and doc["numberMatched"] == n == len(doc["features"])
    assert all(f["geometry"]["type"] == "Point" for f in doc["features"])
    # lon/lat are the drawn point, never null (they were null in all 49 features)
    for f in doc["features"]:
        lon, lat = f["geometry"]["coordinates"]
        assert f["properties"]["lon"] == pytest.approx(lon, abs=1e-6)
        assert f["properties"]["lat"] == pytest.approx(lat, abs=1e-6)


def test_border_ids(client):
    doc = get_json(client, "/ogc/collections/border/items")
    assert sorted(f["id"] for f in doc["features"]) == ["KHM", "LAO"]


def test_items_media_type_and_default_limit(client):
    r = client.get("/ogc/collections/communes/items")
    assert r.status_code == 200 and r.mimetype == "application/geo+json"
    doc = json.loads(r.data)
    assert doc["numberReturned"] == 10 == len(doc["features"]) and doc["numberMatched"] == 102


def test_paging_last_page(client):
    doc = get_json(client, "/ogc/collections/communes/items?limit=10&offset=100")
    assert doc["numberReturned"] == 2 and len(doc["features"]) == 2
    kinds = {lk["rel"] for lk in doc["links"]}
    assert "next" not in kinds
    prev = query(link(doc, "prev", "application/geo+json"))
    assert prev["offset"] == "90" and prev["limit"] == "10"


def test_paging_next_links_walk_every_feature(client):
    href, seen, pages = "/ogc/collections/communes/items?limit=25", [], 0
    while href:
        doc = get_json(client, href)
        pages += 1
        seen += [f["id"] for f in doc["features"]]
        nxt = [lk for lk in doc["links"] if lk["rel"] == "next"]
        href = nxt[0]["href"].replace("http://localhost", "") if nxt else None
        if nxt:
            assert nxt[0]["type"] == "application/geo+json"
            assert query(nxt[0]["href"])["offset"] == str(25 * pages)
    assert pages == 5 and len(seen) == 102 == len(set(seen))


def test_next_link_keeps_filters(client):
    doc = get_json(client, "/ogc/collections/communes/items?limit=2&district_code=618&year=2018")
    assert doc["numberMatched"] == 3
    q = query(link(doc, "next", "application/geo+json"))
    assert q == {"limit": "2", "district_code": "618", "year": "2018", "offset": "2", "f": "json"}


def test_offset_beyond_the_end(client):
    doc = get_json(client, "/ogc/collections/communes/items?offset=500")
    assert doc["numberMatched"] == 102 and doc["features"] == []


def _expected_in_bbox(gpkg, layer, bbox):
    gdf = storage.read_layer(layer, gpkg)
    return set(gdf.loc[gdf.intersects(box(*bbox)), "gso_code"].astype(str))


def test_bbox_filter_exact(client, gpkg):
    expected = _expected_in_bbox(gpkg, "communes", KNOWN_BBOX)
    doc = get_json(client, "/ogc/collections/communes/items?limit=1000&bbox=" + ",".join(map(str, KNOWN_BBOX)))
    assert doc["numberMatched"] == 24 == len(expected)
    assert {f["id"] for f in doc["features"]} == expected


def test_bbox_variants(client):
    everything = get_json(client, "/ogc/collections/communes/items?bbox=100,10,115,20")
    assert everything["numberMatched"] == 102
    outside = get_json(client, "/ogc/collections/communes/items?bbox=0,0,1,1")
    assert outside["numberMatched"] == 0 and outside["features"] == []
    # six numbers: the vertical range is ignored (2-D data)
    six = get_json(client, "/ogc/collections/communes/items?bbox=107.5,14.2,-100,107.9,14.6,100")
    assert six["numberMatched"] == 24
    # west > east crosses the antimeridian: nothing in Kon Tum
    anti = get_json(client, "/ogc/collections/communes/items?bbox=170,10,-170,20")
    assert anti["numberMatched"] == 0


def test_property_filter(client, gpkg):
    doc = get_json(client, "/ogc/collections/communes/items?district_code=618")
    assert doc["numberMatched"] == 3
    assert {f["properties"]["district_code"] for f in doc["features"]} == {"618"}
    border = get_json(client, "/ogc/collections/communes/items?on_border=true&limit=100")
    assert border["numberMatched"] == 13
    assert all(f["properties"]["on_border"] is True for f in border["features"])
    towns = storage.read_layer("communes", gpkg)
    expected = int((towns["unit_type"] == "Thị trấn").sum())
    doc = get_json(client, "/ogc/collections/communes/items?unit_type=Th%E1%BB%8B%20tr%E1%BA%A5n")
    assert doc["numberMatched"] == expected > 0
    doc = get_json(client, "/ogc/collections/works/items?year=2019&limit=1000")
    assert doc["numberMatched"] > 0 and {f["properties"]["year"] for f in doc["features"]} == {2019}


def test_filters_combine(client):
    doc = get_json(client, "/ogc/collections/communes/items?district_code=618&on_border=true")
    assert 0 < doc["numberMatched"] <= 3
    assert all(f["properties"]["on_border"] for f in doc["features"])


def test_sortby(client):
    doc = get_json(client, "/ogc/collections/communes/items?limit=1000&sortby=-poor_rate_2020")
    rates = [f["properties"]["poor_rate_2020"] for f in doc["features"]]
    assert len(rates) == 102 and None not in rates
    assert rates == sorted(rates, reverse=True) and rates[0] > rates[-1]
    doc = get_json(client, "/ogc/collections/communes/items?limit=1000&sortby=%2Bname")
    names = [f["properties"]["name"] for f in doc["features"]]
    assert names == sorted(names)
    # "+name" typed into a URL arrives as " name": accepted as ascending
    doc2 = get_json(client, "/ogc/collections/communes/items?limit=1000&sortby=+name")
    assert [f["properties"]["name"] for f in doc2["features"]] == names
    doc = get_json(client, "/ogc/collections/communes/items?limit=1000&sortby=district_code,-area_km2")
    keys = [(f["properties"]["district_code"], -f["properties"]["area_km2"]) for f in doc["features"]]
    assert keys == sorted(keys)


def test_sortby_pages_consistently(client):
    a = get_json(client, "/ogc/collections/communes/items?limit=5&sortby=-poor_rate_2020")
    b = get_json(client, "/ogc/collections/communes/items?limit=5&offset=5&sortby=-poor_rate_2020")
    c = get_json(client, "/ogc/collections/communes/items?limit=10&sortby=-poor_rate_2020")
    assert [f["id"] for f in a["features"] + b["features"]] == [f["id"] for f in c["features"]]


def test_year_selects_indicator_columns(client):
    doc = get_json(client, "/ogc/collections/communes/items?year=2018&limit=1")
    props = doc["features"][0]["properties"]
    assert "poor_rate_2018" in props and "poor_rate_2018_status" in props
    assert not any(k.startswith(("poor_rate_2017", "poor_rate_2019", "near_poor_rate_2020")) for k in props)
    assert "population_2019" in props and "name" in props  # not a yearly column
    assert doc["numberMatched"] == 102


def test_datetime_intervals(client):
    def years_served(url):
        doc = get_json(client, url)
        props = doc["features"][0]["properties"] if doc["features"] else {}
        return doc["numberMatched"], sorted(int(k[-4:]) for k in props if re.match(r"^poor_rate_\d{4}$", k))

    assert years_served("/ogc/collections/communes/items?datetime=2016/2018") == (102, [2016, 2017, 2018])
    assert years_served("/ogc/collections/communes/items?datetime=../2015") == (102, [2015])
    assert years_served("/ogc/collections/communes/items?datetime=2019-06-30T00:00:00Z/..") == (102, [2019, 2020])
    assert years_served("/ogc/collections/communes/items?datetime=2017-03-01") == (102, [2017])
    assert years_served("/ogc/collections/communes/items") == (102, [2015, 2016, 2017, 2018, 2019, 2020])
    # no overlap with the indicator years: the features' time does not intersect
    assert years_served("/ogc/collections/communes/items?datetime=2030")[0] == 0
    # collections without time match any datetime (OGC /req/core/fc-time-response C)
    assert get_json(client, "/ogc/collections/roads/items?datetime=1999")["numberMatched"] == 50


def test_datetime_on_works(client, gpkg):
    works = storage.read_layer("works", gpkg)
    year = works["year"]
    expected = int(((year == 2019) | year.isna()).sum())
    doc = get_json(client, "/ogc/collections/works/items?datetime=2019&limit=1000")
    assert doc["numberMatched"] == expected
    assert {f["properties"]["year"] for f in doc["features"]} <= {2019, None}


def test_item_by_id(client):
    r = client.get("/ogc/collections/communes/items/23281")
    assert r.status_code == 200 and r.mimetype == "application/geo+json"
    doc = json.loads(r.data)
    assert doc["type"] == "Feature" and doc["id"] == "23281"
    assert doc["properties"]["name"] == "Phường Quang Trung"
    assert "Phường Quang Trung".encode() in r.data
    assert doc["geometry"]["type"] in ("Polygon", "MultiPolygon")
    assert urlsplit(link(doc, "self")).path == "/ogc/collections/communes/items/23281"
    assert urlsplit(link(doc, "collection", "application/json")).path == "/ogc/collections/communes"
    assert ("alternate", "text/html") in rels(doc)


def test_unknown_feature_is_404(client):
    doc = get_json(client, "/ogc/collections/communes/items/99999", 404)
    assert doc["code"] == "NotFound" and "99999" in doc["description"]
    get_json(client, "/ogc/collections/border/items/VNM", 404)


def test_indicator_values_and_status(client, gpkg):
    from geo.indicators import values as indicators

    obs = storage.read_layer("observations", gpkg)
    doc = get_json(client, "/ogc/collections/districts/items?limit=100")
    for year in (2016, 2020):
        want = indicators.values(obs, "poor_rate", "district", year).set_index("gso_code")
        for f in doc["features"]:
            p = f["properties"]
            assert p[f"poor_rate_{year}"] == pytest.approx(float(want.at[f["id"], "value"]))
            assert p[f"poor_rate_{year}_status"] == want.at[f["id"], "status"]
    statuses = {v for f in doc["features"] for k, v in f["properties"].items() if k.endswith("_status")}
    assert {"official", "synthetic"} <= statuses  # real district figures where they exist


def test_synthetic_note_marks_synthetic_features(client):
    for cid in ("communes", "districts"):
        doc = get_json(client, f"/ogc/collections/{cid}/items?limit=1000")
        for f in doc["features"]:
            p = f["properties"]
            synthetic = any(v == "synthetic" for k, v in p.items() if k.endswith("_status"))
            assert ("synthetic_note" in p) and (p["synthetic_note"] is not None) == synthetic
            if synthetic:
                assert "dữ liệu minh họa / demo data" in p["synthetic_note"]
    # a year selection only counts the columns it serves
    doc = get_json(client, "/ogc/collections/communes/items?limit=1000&year=2018")
    for f in doc["features"]:
        p = f["properties"]
        synthetic = any(v == "synthetic" for k, v in p.items() if k.endswith("_status"))
        assert (p["synthetic_note"] is not None) == synthetic


def test_vietnamese_names_intact(client):
    r = client.get("/ogc/collections/communes/items?limit=1000")
    names = {f["properties"]["name"] for f in json.loads(r.data)["features"]}
    assert {"Xã Ia Tơi", "Thị trấn Plei Kần", "Xã Đắk Blô"} <= names
    assert "Thị trấn Plei Kần".encode() in r.data


# --------------------------------------------------------------------------- 400s


BAD = [
    ("bbox=1,2,3", "bbox"),
    ("bbox=a,b,c,d", "bbox"),
    ("bbox=107,14,108", "bbox"),
    ("bbox=107,14,108,15,16", "bbox"),
    ("bbox=107,15,108,14", "latitude"),
    ("bbox=107,14,200,15", "longitude"),
    ("bbox=nan,14,108,15", "finite"),
    ("bbox-crs=http://www.opengis.net/def/crs/EPSG/0/2154&bbox=1,2,3,4", "bbox-crs"),
    ("crs=http://www.opengis.net/def/crs/EPSG/0/2154", "crs"),
    ("bbox-crs=EPSG:9216&bbox=600000,1600000,500000,1700000", "lower corner"),
    ("limit=0", "limit"),
    ("limit=-1", "limit"),
    ("bbox-crs=http://www.opengis.net/def/crs/OGC/1.3/CRS84", "without bbox"),
    ("limit=ten", "limit"),
    ("limit=1.5", "limit"),
    ("offset=-1", "offset"),
    ("offset=x", "offset"),
    ("nonexistent=1", "unknown query parameter"),
    ("poor_rate_2020=12", "not queryable"),
    ("on_border=maybe", "on_border"),
    ("sortby=nonexistent", "sortby"),
    ("sortby=-", "sortby"),
    ("sortby=name,name", "sortby"),
    ("datetime=2018/2016", "datetime"),
    ("datetime=yesterday", "datetime"),
    ("datetime=2018-13-01", "datetime"),
    ("datetime=../..", "datetime"),
    ("datetime=2016/2017/2018", "datetime"),
    ("year=2030", "year"),
    ("year=20x8", "year"),
    ("year=2018&datetime=2018", "either"),
    ("f=pdf", "f"),
    ("f=", "f"),
    ("lang=fr", "lang"),
    ("limit=5&limit=6", "once"),
]


@pytest.mark.parametrize("qs,word", BAD)
def test_bad_parameters_are_400(client, qs, word):
    doc = get_json(client, "/ogc/collections/communes/items?" + qs, 400, headers={"Accept-Language": "en"})
    assert doc["status"] == 400 and doc["code"] and doc["description"]
    assert word.lower() in doc["description"].lower()


@pytest.mark.parametrize(
    "url",
    [
        "/ogc?foo=1",
        "/ogc/conformance?limit=1",
        "/ogc/collections?f=csv",
        "/ogc/collections/communes?bbox=1,2,3,4",
        "/ogc/collections/communes/items/23281?year=2018",
        "/ogc/api?f=yaml",
        "/ogc/collections/roads/items?year=2018",
        "/ogc/collections/border/items?district_code=618",
    ],
)
def test_unknown_or_misplaced_parameters_are_400(client, url):
    doc = get_json(client, url, 400)
    assert doc["status"] == 400


@pytest.mark.parametrize("limit", ["1001", "5000", "99999999999999999999"])
def test_limit_above_the_maximum_is_capped(client, limit):
    doc = get_json(client, "/ogc/collections/communes/items?limit=" + limit)
    assert doc["numberReturned"] == 102 == doc["numberMatched"]  # 102 < 1000: all of them
    doc = get_json(client, "/ogc/collections/communes/items?limit=" + limit + "&offset=100")
    assert doc["numberReturned"] == 2 and not [x for x in doc["links"] if x["rel"] == "next"]
    prev = next(x for x in doc["links"] if x["rel"] == "prev")
    assert "limit=1000" in prev["href"]  # the links carry the capped page size


@pytest.mark.parametrize("crs", ["http://www.opengis.net/def/crs/OGC/1.3/CRS84", "[OGC:CRS84]", "OGC:CRS84"])
def test_crs84_is_accepted_and_declared(client, crs):
    bbox = ",".join(map(str, KNOWN_BBOX))
    r = client.get("/ogc/collections/communes/items", query_string={"crs": crs, "bbox-crs": crs, "bbox": bbox})
    assert r.status_code == 200, r.get_data(as_text=True)
    assert r.headers["Content-Crs"] == "<http://www.opengis.net/def/crs/OGC/1.3/CRS84>"
    plain = get_json(client, "/ogc/collections/communes/items?bbox=" + bbox)
    assert r.get_json()["numberMatched"] == plain["numberMatched"] > 0
    one = client.get("/ogc/collections/communes/items/23281?f=json")
    assert one.headers["Content-Crs"] == "<http://www.opengis.net/def/crs/OGC/1.3/CRS84>"
    coll = get_json(client, "/ogc/collections/communes")
    assert coll["storageCrs"] in coll["crs"]


@pytest.mark.parametrize(
    "url",
    [
        "/ogc/conformance/",
        "/ogc/collections/",
        "/ogc/collections/communes/",
        "/ogc/collections/communes/items/",
        "/ogc/collections/communes/items/23281/",
        "/ogc/api/",
    ],
)
def test_trailing_slash_is_accepted(client, url):
    r = client.get(url + "?f=json")
    assert r.status_code == 200, (url, r.status_code)


def test_405_keeps_allow(client):
    r = client.post("/ogc/collections/communes/items")
    assert r.status_code == 405
    assert "GET" in r.headers["Allow"] and r.get_json()["status"] == 405


# --------------------------------------------------------------------------- formats


def test_content_negotiation(client):
    browser = {"Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"}
    for url in [
        "/ogc",
        "/ogc/conformance",
        "/ogc/collections",
        "/ogc/collections/communes",
        "/ogc/collections/communes/items",
        "/ogc/collections/communes/items/23281",
        "/ogc/api",
    ]:
        assert client.get(url, headers=browser).mimetype == "text/html", url
        assert client.get(url).mimetype in (
            "application/json",
            "application/geo+json",
            "application/vnd.oai.openapi+json",
        ), url
        # f wins over Accept
        assert client.get(url + "?f=json", headers=browser).mimetype != "text/html", url
        assert client.get(url + "?f=html", headers={"Accept": "application/json"}).mimetype == "text/html"
    r = client.get("/ogc/collections/communes/items", headers={"Accept": "application/geo+json"})
    assert r.mimetype == "application/geo+json"


def test_html_views_vietnamese_default_english_on_request(client):
    vi = client.get("/ogc/collections/communes/items?f=html").get_data(as_text=True)
    en = client.get("/ogc/collections/communes/items?f=html&lang=en").get_data(as_text=True)
    assert '<html lang="vi">' in vi and "<h1>Đối tượng: Xã, phường" in vi and "dữ liệu minh họa" in vi
    assert '<html lang="en">' in en and "<h1>Features: Communes (2020)" in en and "demo data" in en
    assert "Phường Quang Trung" in vi and "<table" in vi
    item = client.get("/ogc/collections/communes/items/23281?f=html").get_data(as_text=True)
    assert "Phường Quang Trung" in item and "poor_rate_2020" in item
    for url in [
        "/ogc?f=html",
        "/ogc/conformance?f=html",
        "/ogc/collections?f=html",
        "/ogc/collections/works?f=html",
        "/ogc/api?f=html",
        "/ogc/collections/border/items?f=html&lang=en",
    ]:
        r = client.get(url)
        assert r.status_code == 200 and r.mimetype == "text/html", url
        body = r.get_data(as_text=True)
        assert body.startswith("<!doctype html>") and "built-in method" not in body
        assert "Undefined" not in body and "None" not in re.sub(r"<[^>]+>", "", body)


def test_html_escapes_user_input(client):
    evil = "%3Cscript%3Ealert(1)%3C%2Fscript%3E"
    r = client.get(f"/ogc/collections/communes/items?f=html&name={evil}")
    body = r.get_data(as_text=True)
    assert r.status_code == 200 and "<script>" not in body
    assert "&lt;script&gt;" in body or "%3Cscript%3E" in body
    assert "Không có đối tượng" in body


def test_html_paging_links(client):
    body = client.get("/ogc/collections/communes/items?f=html&limit=10&offset=10").get_data(as_text=True)
    assert 'rel="next"' in body and 'rel="prev"' in body and "offset=20" in body


def _export_available():
    try:
        from geo.io import export  # noqa: F401
    except Exception:
        return False
    return True


@pytest.mark.parametrize("fmt", ["csv", "xlsx", "gpkg", "shp", "kml"])
def test_export_formats(client, fmt):
    r = client.get(f"/ogc/collections/communes/items?f={fmt}&district_code=618&year=2020")
    if not _export_available():
        assert r.status_code == 400
        return
    assert r.status_code == 200, r.get_data(as_text=True)[:300]
    assert "attachment" in r.headers["Content-Disposition"] and len(r.data) > 100
    assert r.headers["Content-Disposition"].count("kon_tum_communes_2020") == 1
    if fmt == "csv":
        text = r.data.decode("utf-8-sig")
        assert text.count("\n") >= 4 and "Ia" in text and "poor_rate_2020" in text
        assert "poor_rate_2019" not in text  # the year selection carries over
    doc = get_json(client, "/ogc/collections/communes/items?limit=1")
    assert ("alternate", r.headers["Content-Type"]) in rels(doc)


# --------------------------------------------------------------------------- OpenAPI


def _resolve(doc, ref):
    assert ref.startswith("#/"), ref
    node = doc
    for part in ref[2:].split("/"):
        node = node[part.replace("~1", "/").replace("~0", "~")]
    return node


def test_openapi_document_is_structurally_valid(client):
    r = client.get("/ogc/api")
    assert r.headers["Content-Type"] == "application/vnd.oai.openapi+json;version=3.0"
    doc = json.loads(r.data)
    assert re.match(r"^3\.0\.\d+$", doc["openapi"])
    assert doc["info"]["title"] and doc["info"]["version"]
    assert doc["servers"][0]["url"] == "http://localhost/ogc"
    for path in ["/", "/conformance", "/api", "/collections"]:
        assert path in doc["paths"]
    for cid in COLLECTIONS:
        for path in [f"/collections/{cid}", f"/collections/{cid}/items", f"/collections/{cid}/items/{{featureId}}"]:
            assert path in doc["paths"], path
    # OGC API – Tiles is declared in /conformance: its paths are in the definition too
    assert {"/tileMatrixSets", "/tileMatrixSets/{tileMatrixSetId}"} <= set(doc["paths"])
    for cid in ("communes", "districts", "communes_2025"):
        tile = f"/collections/{cid}/tiles/{{tileMatrixSetId}}/{{tileMatrix}}/{{tileRow}}/{{tileCol}}"
        assert {f"/collections/{cid}/tiles", f"/collections/{cid}/tiles/{{tileMatrixSetId}}", tile} <= set(doc["paths"])
        assert "application/vnd.mapbox-vector-tile" in doc["paths"][tile]["get"]["responses"]["200"]["content"]
    refs = []

    def walk(node):
        if isinstance(node, dict):
            if "$ref" in node:
                refs.append(node["$ref"])
            for v in node.values():
                walk(v)
        elif isinstance(node, list):
            for v in node:
                walk(v)

    walk(doc)
    assert refs and all(_resolve(doc, ref) is not None for ref in refs)
    op_ids = []
    for path, item in doc["paths"].items():
        assert set(item) == {"get"}, path
        op = item["get"]
        op_ids.append(op["operationId"])
        assert "200" in op["responses"] and "400" in op["responses"]
        for code, resp in op["responses"].items():
            # every answer has a body but 204 (an empty vector tile), which has none by HTTP
            assert resp["description"] and (bool(resp.get("content")) is (code != "204")), (path, code)
        params = [_resolve(doc, p["$ref"]) if "$ref" in p else p for p in op["parameters"]]
        keys = [(p["name"], p["in"]) for p in params]
        assert len(keys) == len(set(keys)), path
        for p in params:
            assert p["in"] in ("query", "path") and "schema" in p
            assert p.get("required", False) is (p["in"] == "path")
        templated = set(re.findall(r"\{(\w+)\}", path))
        assert templated == {p["name"] for p in params if p["in"] == "path"}, path
    assert len(op_ids) == len(set(op_ids))
    limit = doc["components"]["parameters"]["limit"]["schema"]
    assert limit == {"type": "integer", "minimum": 1, "maximum": 1000, "default": 10}
    items = doc["paths"]["/collections/communes/items"]["get"]
    names = {p.get("name") or _resolve(doc, p["$ref"])["name"] for p in items["parameters"]}
    assert {"bbox", "limit", "offset", "datetime", "year", "sortby", "f", "district_code"} <= names
    assert "poor_rate_2020" not in names  # floats are not queryable by equality
    assert "application/geo+json" in items["responses"]["200"]["content"]


def test_openapi_document_validates(client):
    validator = pytest.importorskip("openapi_spec_validator")
    doc = get_json(client, "/ogc/api")
    validator.validate(doc)


def test_every_documented_items_parameter_is_accepted(client):
    """The API definition and the implementation agree (OGC /req/oas30/oas-impl)."""
    doc = get_json(client, "/ogc/api")
    samples = {"string": "x", "integer": "1", "boolean": "true"}
    for cid in COLLECTIONS:
        op = doc["paths"][f"/collections/{cid}/items"]["get"]
        for p in op["parameters"]:
            p = _resolve(doc, p["$ref"]) if "$ref" in p else p
            schema = p["schema"]
            if p["name"] in ("bbox", "limit", "offset", "datetime", "year", "sortby", "f", "lang"):
                continue
            value = schema["enum"][0] if "enum" in schema else samples[schema["type"]]
            extra = "&bbox=-180,-90,180,90" if p["name"] == "bbox-crs" else ""
            if p["name"] == "filter":  # a CQL2 expression (tests/app/test_ogc_filter.py)
                value = "S_INTERSECTS(geometry, BBOX(-180, -90, 180, 90))"
            elif p["name"] in ("filter-lang", "filter-crs"):
                extra = "&filter=" + quote("S_INTERSECTS(geometry, BBOX(-180, -90, 180, 90))")
            r = client.get(f"/ogc/collections/{cid}/items", query_string=f"{p['name']}={value}{extra}")
            assert r.status_code == 200, (cid, p["name"], r.get_data(as_text=True)[:200])


# --------------------------------------------------------------------------- provider


def test_provider_items_and_cache(gpkg, tmp_path):
    copy = tmp_path / "k.gpkg"
    shutil.copy(gpkg, copy)
    page, matched = F.items("communes", filters={"district_code": "618"}, limit=2, path=copy)
    assert matched == 3 and len(page) == 2 and page.crs.to_epsg() == 4326
    assert "synthetic_note" in page.columns and "poor_rate_2020_status" in page.columns
    before = F.get("communes", copy)
    assert F.get("communes", copy) is before  # cached
    st = os.stat(copy)
    os.utime(copy, ns=(st.st_atime_ns, st.st_mtime_ns + 1_000_000_000))
    assert F.get("communes", copy) is not before  # rebuilt when the file changes
    one = F.item("communes", "23281", path=copy)
    assert list(one["name"]) == ["Phường Quang Trung"]
    with pytest.raises(F.UnknownFeature):
        F.item("communes", "nope", path=copy)
    with pytest.raises(F.UnknownCollection):
        F.collection("nope", path=copy)


def test_missing_gpkg_is_503_not_500(tmp_path):
    from app import create_app

    missing = tmp_path / "missing.gpkg"
    client = create_app({"TESTING": True, "GEO_GPKG": str(missing)}).test_client()
    r = client.get("/ogc/collections")
    assert r.status_code == 503 and "python -m geo build" in r.get_json()["description"]


# ------------------------------------------------------------------ serialised rows (provider)


def test_served_order_is_yearless_then_year_by_year(gpkg):
    c = F.get("communes", gpkg)
    years = [col.year for col in c.served()]
    first_yearly = next(i for i, y in enumerate(years) if y is not None)
    assert all(y is None for y in years[:first_yearly])
    assert years[first_yearly:] == sorted(years[first_yearly:])
    assert {y for y in years if y is not None} == set(c.years) >= set(F.YEARS)


@pytest.mark.parametrize("years", [None, (2018,), (2015, 2016, 2017), ()])
def test_feature_bytes_match_the_frame_for_any_years(gpkg, years):
    """Every served feature, assembled from the row pieces, carries exactly the served
    columns with the frame's values, and its synthetic note."""
    import math

    c = F.get("communes", gpkg)
    sel = F.Selection(c, c.order((("gso_code", False),)), years)
    frame = F.page_frame(sel, 200, 0)
    texts = F.page_bytes(sel, 200, 0)
    assert len(texts) == len(frame) == 102
    names = c.property_names(years)
    for raw, (_, row) in zip(texts, frame.iterrows()):
        feat = json.loads(raw)
        assert list(feat["properties"]) == names
        assert feat["id"] == row["gso_code"]
        for name in names:
            got, want = feat["properties"][name], row[name]
            if F.isnull(want):
                assert got is None, name
            elif isinstance(got, float):
                assert math.isclose(got, float(want)), name
            else:
                assert got == want, name
    if years == ():
        assert all("poor_rate_2020" not in json.loads(t)["properties"] for t in texts)


def test_synthetic_note_follows_the_years_served(gpkg):
    c = F.get("communes", gpkg)
    pos = list(range(c.count))
    with_yearly = c.notes_at(pos, None)
    assert any(n is not None for n in with_yearly)  # commune poverty rates are synthetic
    # A row's note is its first served synthetic value's note; with no year served only
    # yearless columns count.
    for i, note in zip(pos, c.notes_at(pos, ())):
        yearless = [n[i] for s, n in c.synthetic_notes.items() if c.columns[s].year is None]
        assert note == next((x for x in yearless if x is not None), None)


def test_no_whole_feature_text_is_kept(gpkg):
    """Rows are kept once, as bytes pieces: a head and one part per year group."""
    c = F.get("communes", gpkg)
    assert isinstance(c._heads, F.Packed) and len(c._heads) == c.count
    assert c._heads[0].startswith(b'{"type":"Feature","id":"')
    assert set(c._parts) == {None, *c.years}
    assert all(isinstance(p, F.Packed) and len(p) == c.count for p in c._parts.values())
    assert not hasattr(c.columns["name"], "fragments")


def _gpkg_rows(data: bytes, tmp_path) -> int:
    path = tmp_path / "x.gpkg"
    path.write_bytes(data)
    layers = [name for name, _ in pyogrio.list_layers(path) if "source" not in name and "nguon" not in name]
    return pyogrio.read_info(path, layer=layers[0])["features"]


@pytest.mark.parametrize("cid,count", [("communes", 102), ("works", 49)])
def test_collection_download_links_give_the_whole_collection(client, cid, count, tmp_path):
    if not _export_available():
        pytest.skip("no geo.io.export")
    doc = get_json(client, f"/ogc/collections/{cid}?lang=en")
    link = next(x for x in doc["links"] if x["type"].startswith("text/csv"))
    assert "limit" not in link["href"] and f"{count} features" in link["title"] and "whole" in link["title"]
    r = client.get(link["href"].replace("http://localhost", ""))
    assert r.status_code == 200
    assert r.data.decode("utf-8-sig").count("\n") >= count + 1  # header + every feature
    assert f'filename="kon_tum_{cid}.csv"' in r.headers["Content-Disposition"]
    gpkg = client.get(f"/ogc/collections/{cid}/items?f=gpkg")
    assert _gpkg_rows(gpkg.data, tmp_path) == count


def test_a_download_with_limit_is_one_page_and_says_so(client, tmp_path):
    if not _export_available():
        pytest.skip("no geo.io.export")
    r = client.get("/ogc/collections/communes/items?f=gpkg&limit=10&offset=10")
    assert r.status_code == 200
    assert "kon_tum_communes_features_11_20_of_102.gpkg" in r.headers["Content-Disposition"]
    assert _gpkg_rows(r.data, tmp_path) == 10
    shp = zipfile.ZipFile(io.BytesIO(client.get("/ogc/collections/communes/items?f=shp&limit=10").data))
    assert "features 1-10 of 102" in shp.read("nguon_sources.txt").decode("utf-8")
    shp = zipfile.ZipFile(io.BytesIO(client.get("/ogc/collections/communes/items?f=shp").data))
    assert "all 102 features matched" in shp.read("nguon_sources.txt").decode("utf-8")
    page = get_json(client, "/ogc/collections/communes/items?limit=10&lang=en")
    csv_link = next(x for x in page["links"] if x["type"].startswith("text/csv"))
    assert "this page only" in csv_link["title"]


@pytest.mark.parametrize("cid", COLLECTIONS)
def test_schema_and_queryables_documents(client, cid):
    coll = get_json(client, f"/ogc/collections/{cid}")
    rels = {x["rel"]: x for x in coll["links"]}
    assert rels["describedby"]["type"] == "application/schema+json"
    assert "http://www.opengis.net/def/rel/ogc/1.0/queryables" in rels
    # Part 5's relation, the one QGIS's OAPIF provider reads field types from
    part5 = rels["http://www.opengis.net/def/rel/ogc/1.0/schema"]
    assert part5["type"] == "application/schema+json" and part5["href"] == rels["describedby"]["href"]
    r = client.get(f"/ogc/collections/{cid}/schema")
    assert r.status_code == 200 and r.mimetype == "application/schema+json"
    schema = r.get_json()
    assert schema["$schema"].startswith("https://json-schema.org/draft/2020-12")
    props = schema["properties"]
    assert props["geometry"]["x-ogc-role"] == "primary-geometry"
    assert sum(1 for p in props.values() if p.get("x-ogc-role") == "id") == 1
    items = get_json(client, f"/ogc/collections/{cid}/items?limit=1")
    assert set(props) - {"geometry"} == set(items["features"][0]["properties"])
    q = client.get(f"/ogc/collections/{cid}/queryables").get_json()["properties"]
    # the queryables of filter (Part 3): every typed property, numbers too; not the synthetic note
    assert set(q) == set(props) - {"synthetic_note"}
    assert all(q[n]["type"] == props[n]["type"] for n in q if n != "geometry")
    assert any(x["rel"] == "describedby" for x in items["links"])


def test_schema_types_columns_null_in_the_first_page(client):
    props = get_json(client, "/ogc/collections/works/schema")["properties"]
    for name in ("line_mv_km", "line_lv_km", "budget_million_vnd"):
        assert props[name]["type"] == "number", name
    assert props["transformers"]["type"] == "integer"
    props = get_json(client, "/ogc/collections/communes/schema")["properties"]
    assert props["area_ha"]["type"] == "number" and props["population_2013"]["type"] == "integer"
    assert props["p135_2016"]["type"] == "boolean"
    assert get_json(client, "/ogc/collections/nope/schema", 404)["status"] == 404


def test_geojson_schema_for_gdal(client):
    """The first describedBy link is the schema of the GeoJSON encoding (what GDAL types fields
    from): a Feature whose properties member has the Part 5 schema's properties and types."""
    coll = get_json(client, "/ogc/collections/works")
    described = [x for x in coll["links"] if x["rel"].lower() == "describedby"]
    assert [x["rel"] for x in described] == ["describedBy", "describedby"]
    assert all(x["type"] == "application/schema+json" for x in described)
    doc = get_json(client, urlsplit(described[0]["href"]).path + "?" + urlsplit(described[0]["href"]).query)
    flat = get_json(client, "/ogc/collections/works/schema")["properties"]
    assert doc["properties"]["type"]["enum"] == ["Feature"]
    assert doc["properties"]["geometry"]["format"] == "geometry-point"
    props = doc["properties"]["properties"]["properties"]
    assert list(props) == [n for n in flat if n != "geometry"]
    assert {n: p["type"] for n, p in props.items()} == {n: p["type"] for n, p in flat.items() if n != "geometry"}
    assert props["line_mv_km"]["type"] == "number" and props["transformers"]["type"] == "integer"
    bad = get_json(client, "/ogc/collections/works/schema?profile=gml&lang=en", 400)
    assert "profile" in bad["description"] and "geojson" in bad["description"]


def _listed_sources(zip_bytes: bytes) -> list[str]:
    note = zipfile.ZipFile(io.BytesIO(zip_bytes)).read("nguon_sources.txt").decode("utf-8")
    lines = note.split("sources / nguồn:\n", 1)[1].splitlines()
    return [x[2:] for x in lines if x.startswith("- ")]


def test_ogc_exports_list_the_sources_of_their_values(client, gpkg):
    """An OGC download names the sources of the observations behind its columns, as the
    /layers download of the same values does (issue 18 item 6: it said "(none listed)")."""
    from geo.indicators import values as indicators

    ogc = _listed_sources(client.get("/ogc/collections/communes/items?f=shp&year=2020").data)
    assert ogc and "(none listed)" not in ogc
    layer = _listed_sources(client.get("/layers/poor_rate/download?f=shp&year=2020").data)
    assert layer and set(layer) <= set(ogc)
    obs = storage.read_layer("observations", gpkg)
    want = set(indicators.values(obs, "poor_rate", "commune", 2020)["source"].dropna())
    assert want <= set(ogc)
    one = _listed_sources(client.get("/ogc/collections/districts/items?f=shp&limit=1&year=2016").data)
    assert one and len(one) < len(_listed_sources(client.get("/ogc/collections/districts/items?f=shp").data))
