"""CQL2 filters on /ogc items (OGC API – Features Part 3), on both backends.

Every expected answer is computed independently from the GeoPackage with
pandas / GeoPandas (the 102 communes of 2020, the 13 border communes, the
poverty rates picked by :func:`geo.indicators.values.values`), never from the
service's own code.  The embedded backend evaluates filters on its frame, the
PostGIS one in SQL; both must give these answers and the same 400s.
"""

from __future__ import annotations

import io
import json
from urllib.parse import quote

import geopandas as gpd
import numpy as np
import pandas as pd
import pyproj
import pytest
import shapely
from shapely.geometry import Polygon, box

from geo.indicators import values as indicators
from geo.io import storage

FILTER_CLASSES = {
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
OGC_QUERYABLES = "http://www.opengis.net/def/rel/ogc/1.0/queryables"
#: A polygon over the centre of the province (lon/lat), not a rectangle.
POLYGON = Polygon([(107.6, 14.2), (108.0, 14.3), (107.9, 14.7), (107.7, 14.8), (107.55, 14.5), (107.6, 14.2)])


@pytest.fixture(scope="module")
def client(gpkg, backend_config):
    from app import create_app

    app = create_app({"TESTING": True, "GEO_GPKG": str(gpkg), **backend_config})
    return app.test_client()


@pytest.fixture(scope="module")
def communes(gpkg) -> gpd.GeoDataFrame:
    """The communes with their 2015 and 2020 poverty rates, read independently of the service."""
    g = storage.read_layer("communes", gpkg).copy()
    obs = storage.read_layer("observations", gpkg)
    for year in (2015, 2020):
        v = indicators.values(obs, "poor_rate", "commune", year).set_index("gso_code")["value"]
        g[f"pr{year}"] = g["gso_code"].map(v).astype(float)
    v = indicators.values(obs, "near_poor_rate", "commune", 2020).set_index("gso_code")["value"]
    g["npr2020"] = g["gso_code"].map(v).astype(float)
    v = indicators.values(obs, "ntm_criteria_met", "commune", 2019).set_index("gso_code")["value"]
    g["ntm2019"] = g["gso_code"].map(v).astype(float)  # 19 communes reported, 83 without a value
    return g


def codes(client, cid: str = "communes", status: int = 200, headers=None, **params) -> list[str]:
    params.setdefault("limit", "1000")
    r = client.get(f"/ogc/collections/{cid}/items", query_string=params, headers=headers or {})
    assert r.status_code == status, (params, r.status_code, r.get_data(as_text=True)[:400])
    doc = r.get_json()
    assert doc["numberMatched"] == doc["numberReturned"] == len(doc["features"])
    return sorted(f["id"] for f in doc["features"])


def error(client, lang: str | None = None, **params) -> str:
    headers = {"Accept-Language": lang} if lang else {}
    r = client.get("/ogc/collections/communes/items", query_string=params, headers=headers)
    assert r.status_code == 400, (params, r.status_code, r.get_data(as_text=True)[:400])
    doc = r.get_json()
    assert doc["status"] == 400 and doc["code"] == "InvalidParameterValue"
    return doc["description"]


def test_conformance_declares_the_filter_classes(client):
    got = set(client.get("/ogc/conformance").get_json()["conformsTo"])
    assert FILTER_CLASSES <= got


def test_queryables_list_every_filterable_property(client):
    q = client.get("/ogc/collections/communes/queryables").get_json()["properties"]
    schema = client.get("/ogc/collections/communes/schema").get_json()["properties"]
    assert q["poor_rate_2020"]["type"] == "number" and q["on_border"]["type"] == "boolean"
    assert q["geometry"]["x-ogc-role"] == "primary-geometry"
    assert set(q) == set(schema) - {"synthetic_note"}
    assert all(q[n]["type"] == schema[n]["type"] for n in q if n != "geometry")


def test_queryables_for_gdal(client):
    """GDAL's OAPIF driver follows rel=queryables, asks for application/json and reads the
    draft's {"queryables": [{"id"}]} list: the same names as the schema's properties."""
    coll = client.get("/ogc/collections/communes").get_json()
    hrefs = {x["href"] for x in coll["links"] if x["rel"] in ("queryables", OGC_QUERYABLES)}
    assert len(hrefs) == 1 and next(iter(hrefs)).endswith("/collections/communes/queryables")
    r = client.get("/ogc/collections/communes/queryables", headers={"Accept": "application/geo+json, application/json"})
    assert r.status_code == 200 and r.mimetype == "application/json"
    doc = r.get_json()
    assert [q["id"] for q in doc["queryables"]] == list(doc["properties"])[1:]  # geometry first in properties
    assert client.get("/ogc/collections/communes/queryables").mimetype == "application/schema+json"


def test_gdal_dialect(client, communes):
    """GDAL sends filter-lang=cql-text (the drafts' name) and booleans as 0 / 1."""
    border = sorted(communes.loc[communes["on_border"], "gso_code"])
    assert codes(client, filter="(on_border = 1)", **{"filter-lang": "cql-text"}) == border
    assert codes(client, filter="on_border <> 0") == border
    assert len(codes(client, filter="on_border = 0")) == 102 - 13
    assert "a boolean" in error(client, "en", filter="on_border = 2")


# --------------------------------------------------------------------------- real answers


def test_border_and_poverty_rate_text_and_json(client, communes):
    want = sorted(communes.loc[communes["on_border"] & (communes["pr2020"] > 20), "gso_code"])
    assert len(want) == 6 and set(want) <= set(communes.loc[communes["on_border"], "gso_code"])
    assert codes(client, filter="on_border = true AND poor_rate_2020 > 20") == want
    doc = {
        "op": "and",
        "args": [
            {"op": "=", "args": [{"property": "on_border"}, True]},
            {"op": ">", "args": [{"property": "poor_rate_2020"}, 20]},
        ],
    }
    assert codes(client, filter=json.dumps(doc), **{"filter-lang": "cql2-json"}) == want
    assert len(codes(client, filter="on_border = TRUE")) == 13


def test_and_binds_tighter_than_or(client, communes):
    c = communes
    want = sorted(c.loc[(c["district_code"] == "618") | ((c["on_border"]) & (c["pr2020"] < 5)), "gso_code"])
    assert codes(client, filter="district_code = '618' OR on_border = true AND poor_rate_2020 < 5") == want
    other = sorted(c.loc[((c["district_code"] == "618") | c["on_border"]) & (c["pr2020"] < 5), "gso_code"])
    assert other != want
    assert codes(client, filter="(district_code = '618' OR on_border = true) AND poor_rate_2020 < 5") == other


def test_like_in_between_and_not(client, communes):
    c = communes
    assert codes(client, filter="name LIKE 'Xã Đắk%'") == sorted(c.loc[c["name"].str.startswith("Xã Đắk"), "gso_code"])
    assert codes(client, filter="name LIKE 'Xã Ia ___'") == sorted(
        c.loc[c["name"].str.fullmatch(r"Xã Ia ..."), "gso_code"]
    )
    assert codes(client, filter="name NOT LIKE 'Xã%'") == sorted(c.loc[~c["name"].str.startswith("Xã"), "gso_code"])
    inside = c["district_code"].isin(["610", "618"])
    assert codes(client, filter="district_code IN ('610', '618')") == sorted(c.loc[inside, "gso_code"])
    assert codes(client, filter="district_code NOT IN ('610', '618')") == sorted(c.loc[~inside, "gso_code"])
    between = c["pr2020"].between(10, 20)
    assert codes(client, filter="poor_rate_2020 BETWEEN 10 AND 20") == sorted(c.loc[between, "gso_code"])
    assert codes(client, filter="poor_rate_2020 NOT BETWEEN 10 AND 20") == sorted(c.loc[~between, "gso_code"])
    assert codes(client, filter="NOT (poor_rate_2020 >= 10)") == sorted(c.loc[c["pr2020"] < 10, "gso_code"])


def test_property_to_property(client, communes):
    c = communes
    want = sorted(c.loc[c["pr2020"] < c["npr2020"], "gso_code"])
    assert 0 < len(want) < 102
    assert codes(client, filter="poor_rate_2020 < near_poor_rate_2020") == want
    assert codes(client, filter="near_poor_rate_2020 > poor_rate_2020") == want
    assert len(codes(client, filter="poor_rate_2020 < poor_rate_2015")) == 102  # every commune fell


def test_nulls_are_unknown_never_selected(client, communes):
    """SQL's three-valued logic on both backends: NOT (unknown) selects nothing either."""
    c = communes
    missing = c["ntm2019"].isna()
    assert missing.sum() == 83
    assert codes(client, filter="ntm_criteria_met_2019 IS NULL") == sorted(c.loc[missing, "gso_code"])
    assert codes(client, filter="ntm_criteria_met_2019 IS NOT NULL") == sorted(c.loc[~missing, "gso_code"])
    few = c["ntm2019"] < 10
    assert few.sum() == 11
    assert codes(client, filter="ntm_criteria_met_2019 < 10") == sorted(c.loc[few, "gso_code"])
    assert codes(client, filter="NOT (ntm_criteria_met_2019 < 10)") == sorted(c.loc[~missing & ~few, "gso_code"])
    either = "NOT (ntm_criteria_met_2019 < 10) OR ntm_criteria_met_2019 IS NULL"
    assert codes(client, filter=either) == sorted(c.loc[~few, "gso_code"])
    assert codes(client, filter="ntm_criteria_met_2019 NOT IN (4, 5)") == sorted(
        c.loc[~missing & ~c["ntm2019"].isin([4, 5]), "gso_code"]
    )


def test_s_intersects_and_s_within_a_polygon(client, communes):
    hit = sorted(communes.loc[communes.intersects(POLYGON), "gso_code"])
    inside = sorted(communes.loc[communes.within(POLYGON), "gso_code"])
    assert 0 < len(inside) < len(hit) < 102
    assert codes(client, filter=f"S_INTERSECTS(geometry, {POLYGON.wkt})") == hit
    assert codes(client, filter=f"S_WITHIN(geometry, {POLYGON.wkt})") == inside
    assert codes(client, filter=f"S_CONTAINS({POLYGON.wkt}, geometry)") == inside
    assert codes(client, filter=f"S_DISJOINT(geometry, {POLYGON.wkt})") == sorted(set(communes["gso_code"]) - set(hit))
    geojson = {"type": "Polygon", "coordinates": [[list(p) for p in POLYGON.exterior.coords]]}
    doc = {"op": "s_intersects", "args": [{"property": "geometry"}, geojson]}
    assert codes(client, filter=json.dumps(doc), **{"filter-lang": "cql2-json"}) == hit
    # "communes with poor_rate_2020 > 20 inside this polygon" (the question)
    both = sorted(communes.loc[communes.intersects(POLYGON) & (communes["pr2020"] > 20), "gso_code"])
    assert codes(client, filter=f"poor_rate_2020 > 20 AND S_INTERSECTS(geometry, {POLYGON.wkt})") == both


def test_bbox_literal_matches_the_bbox_parameter(client, communes):
    want = sorted(communes.loc[communes.intersects(box(107.5, 14.2, 107.9, 14.6)), "gso_code"])
    assert len(want) == 24
    assert codes(client, filter="S_INTERSECTS(geometry, BBOX(107.5, 14.2, 107.9, 14.6))") == want
    assert codes(client, bbox="107.5,14.2,107.9,14.6") == want
    doc = {"op": "s_intersects", "args": [{"property": "geometry"}, {"bbox": [107.5, 14.2, 107.9, 14.6]}]}
    assert codes(client, filter=json.dumps(doc), **{"filter-lang": "cql2-json"}) == want


def test_filter_crs(client, communes):
    """A literal in EPSG:4326 is latitude first; one in UTM 48N is converted with its edges densified."""
    want = sorted(communes.loc[communes.intersects(POLYGON), "gso_code"])
    swapped = shapely.transform(POLYGON, lambda xy: xy[:, ::-1])
    assert codes(client, filter=f"S_INTERSECTS(geometry, {swapped.wkt})", **{"filter-crs": "EPSG:4326"}) == want
    to_utm = pyproj.Transformer.from_crs("OGC:CRS84", "EPSG:32648", always_xy=True)
    utm = shapely.transform(box(107.6, 14.3, 107.9, 14.6), lambda xy: np.column_stack(to_utm.transform(*xy.T)))
    in_utm = communes.to_crs(32648)
    want = sorted(in_utm.loc[in_utm.intersects(utm), "gso_code"])
    got = codes(
        client,
        filter=f"S_INTERSECTS(geometry, {utm.wkt})",
        **{"filter-crs": "http://www.opengis.net/def/crs/EPSG/0/32648"},
    )
    assert got == want


def test_works_by_year_and_kind(client, gpkg):
    works = storage.read_layer("works", gpkg)
    want = sorted(works.loc[(works["kind"] == "electrification") & (works["year"] >= 2018), "work_id"].astype(str))
    assert want
    assert codes(client, "works", filter="kind = 'electrification' AND year >= 2018") == want


def test_filter_pages_and_downloads(client, communes):
    want = sorted(communes.loc[communes["pr2020"] > 10, "gso_code"])
    r = client.get("/ogc/collections/communes/items", query_string={"filter": "poor_rate_2020 > 10", "limit": "5"})
    doc = r.get_json()
    assert doc["numberMatched"] == len(want) and doc["numberReturned"] == 5
    nxt = next(x["href"] for x in doc["links"] if x["rel"] == "next")
    assert "filter=" in nxt
    seen = [f["id"] for f in doc["features"]]
    while nxt:
        doc = client.get(nxt).get_json()
        seen += [f["id"] for f in doc["features"]]
        nxt = next((x["href"] for x in doc["links"] if x["rel"] == "next"), None)
    assert sorted(seen) == want
    csv = client.get("/ogc/collections/communes/items", query_string={"filter": "poor_rate_2020 > 10", "f": "csv"})
    assert csv.status_code == 200
    table = pd.read_csv(io.BytesIO(csv.data), dtype={"gso_code": str}, comment="#")
    assert sorted(table["gso_code"]) == want


def test_filter_and_other_parameters_combine(client, communes):
    c = communes
    inbox = c.intersects(box(107.5, 14.2, 107.9, 14.6))
    want = sorted(c.loc[inbox & (c["pr2020"] > 10) & (c["district_code"] == "618"), "gso_code"])
    got = codes(client, filter="poor_rate_2020 > 10", bbox="107.5,14.2,107.9,14.6", district_code="618")
    assert got == want


# --------------------------------------------------------------------------- errors


BAD = [
    ({"filter": "nope > 1"}, "'nope'", "nope"),
    ({"filter": "poor_rate_2020 >"}, "cột", "column"),
    ({"filter": "poor_rate_2020 = 'high'"}, "văn bản", "a text"),
    ({"filter": "on_border = 2"}, "đúng/sai", "a boolean"),
    ({"filter": "area_km2 LIKE '1%'"}, "LIKE", "LIKE matches text"),
    ({"filter": "name BETWEEN 'a' AND 'b'"}, "BETWEEN", "BETWEEN compares numbers"),
    ({"filter": "name LIKE 'x\\'"}, "ký tự thoát", "escape"),
    ({"filter": "synthetic_note = 'x'"}, "synthetic_note", "synthetic_note"),
    ({"filter": "S_INTERSECTS(geometry, POLYGON((0 0, 1 1, 1 0, 0 1, 0 0)))"}, "không hợp lệ", "not valid"),
    ({"filter": "S_INTERSECTS(name, POINT(107 14))"}, "S_INTERSECTS", "S_INTERSECTS"),
    ({"filter": "name = TIMESTAMP('2020-01-01T00:00:00Z')"}, "TIMESTAMP", "TIMESTAMP"),
    ({"filter": "CASEI(name) = 'x'"}, "chưa hỗ trợ", "not supported"),
    ({"filter": "area_km2 + 1 > 2"}, "chưa hỗ trợ", "not supported"),
    ({"filter": "   "}, "trống", "empty"),
    ({"filter": "x" * 20001}, "20001", "20001"),
    ({"filter": "{", "filter-lang": "cql2-json"}, "JSON", "not valid JSON"),
    ({"filter": '{"op": "frobnicate", "args": []}', "filter-lang": "cql2-json"}, "CQL2 JSON", "CQL2 JSON"),
    ({"filter": "5", "filter-lang": "cql2-json"}, "không phải điều kiện", "not a condition"),
    ({"filter": '{"op": "in", "args": [{"property": "name"}, "ab"]}', "filter-lang": "cql2-json"}, "CQL2", "CQL2"),
    (
        {
            "filter": '{"op": "s_intersects", "args": [{"property": "geometry"}, {"type": "Polygon", "coordinates": "x"}]}',
            "filter-lang": "cql2-json",
        },
        "không hợp lệ",
        "not valid",
    ),
    # coordinates out of their range are no place (not an empty answer)
    ({"filter": "S_INTERSECTS(geometry, POINT(500 500))"}, "nằm ngoài vùng xác định của WGS 84", "lies outside"),
    ({"filter": "S_WITHIN(geometry, POLYGON((0 0, 0 95, 10 95, 0 0)))"}, "nằm ngoài vùng", "lies outside"),
    ({"filter": "S_INTERSECTS(geometry, POINT(107.8 14.6))", "filter-crs": "EPSG:4326"}, "nằm ngoài", "outside"),
    ({"filter": "name = 'x'", "filter-lang": "ecql"}, "filter-lang", "filter-lang"),
    ({"filter": "name = 'x'", "filter-crs": "EPSG:2154"}, "filter-crs", "filter-crs"),
    ({"filter-lang": "cql2-text"}, "filter-lang", "without filter"),
    ({"filter-crs": "EPSG:4326"}, "filter-crs", "without filter"),
    ({"filter": "NOT " * 70 + "name = 'x'"}, "64", "64"),
]


@pytest.mark.parametrize("params,vi,en", BAD)
def test_bad_filters_are_400_in_the_users_language(client, params, vi, en):
    assert vi in error(client, **params)
    assert en in error(client, "en", **params)


def test_not_in_nesting_of_many_conditions_is_fine(client, communes):
    """A long chain of AND / OR (what clients write for IN lists) is not "too deep"."""
    listed = sorted(communes["gso_code"])[:80]
    text = " OR ".join(f"gso_code = '{c}'" for c in listed)
    assert codes(client, filter=text) == listed


def test_a_quote_in_a_value_is_a_value(client, communes):
    """Values are bound, never pasted into SQL: a quote is part of the text compared."""
    assert codes(client, filter="name = 'x''; DROP TABLE ogc_features; --'") == []
    assert codes(client, filter="name = 'x'' OR ''1''=''1'") == []
    want = sorted(communes.loc[communes["name"] == "Xã Ia Tơi", "gso_code"])
    assert len(want) == 1 and codes(client, filter="name = 'Xã Ia Tơi'") == want
    assert len(codes(client, limit="1000")) == 102


def test_filter_in_the_api_definition(client):
    doc = client.get("/ogc/api").get_json()
    items = doc["paths"]["/collections/communes/items"]["get"]
    names = set()
    for p in items["parameters"]:
        if "$ref" in p:
            p = doc["components"]["parameters"][p["$ref"].rsplit("/", 1)[1]]
        names.add(p["name"])
    assert {"filter", "filter-lang", "filter-crs"} <= names


def test_urls_with_quoted_filters(client, communes):
    """A filter as clients send it: percent-encoded in the URL."""
    want = sorted(communes.loc[communes["on_border"], "gso_code"])
    r = client.get("/ogc/collections/communes/items?limit=100&filter=" + quote("on_border = true"))
    assert sorted(f["id"] for f in r.get_json()["features"]) == want
