"""Property-based: whatever the query string, /ogc answers 200, 400 or 404 with valid JSON (or HTML).

Never a 500, never a traceback: every parameter is validated (OGC
/req/core/query-param-invalid and query-param-unknown).
"""

from __future__ import annotations

import json
from urllib.parse import quote, urlencode

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

COLLECTIONS = ["communes", "districts", "works", "roads", "border", "communes_2025"]
NAMES = [
    "bbox",
    "limit",
    "offset",
    "datetime",
    "year",
    "sortby",
    "f",
    "lang",
    "district_code",
    "on_border",
    "name",
    "gso_code",
    "unit_type",
    "households",
    "poor_rate_2020",
    "poor_rate_2020_status",
    "kind",
    "country",
    "bbox-crs",
    "crs",
    "foo",
    "",
]
PROPS = ["name", "gso_code", "poor_rate_2020", "area_km2", "district_code", "year", "nope", ""]

text = st.text(st.characters(blacklist_categories=("Cs",)), max_size=24)
number = st.one_of(st.integers(-(10**6), 10**6), st.floats(allow_nan=True, allow_infinity=True))
bbox = st.lists(number, min_size=0, max_size=7).map(lambda xs: ",".join(map(str, xs)))
instant = st.one_of(
    st.integers(0, 9999).map(str),
    st.dates().map(str),
    st.datetimes().map(lambda d: d.isoformat() + "Z"),
    st.just(".."),
    st.just(""),
    text,
)
datetime = st.one_of(instant, st.tuples(instant, instant).map("/".join))
sortby = st.lists(st.tuples(st.sampled_from(["", "+", "-", " "]), st.sampled_from(PROPS)), max_size=3).map(
    lambda xs: ",".join(a + b for a, b in xs)
)
value = st.one_of(
    text,
    number.map(str),
    bbox,
    datetime,
    sortby,
    st.sampled_from(
        ["json", "html", "geojson", "JSON", "", "true", "false", "618", "vi", "en", "2018", "0", "-1", "1001", "23281"]
    ),
)
query = st.lists(st.tuples(st.sampled_from(NAMES), value), max_size=5)


@pytest.fixture(scope="module")
def client(gpkg, backend_config):
    from app import create_app

    return create_app({"TESTING": True, "GEO_GPKG": str(gpkg), **backend_config}).test_client()


def check(r, pairs):
    assert r.status_code in (200, 400, 404), (r.status_code, pairs, r.get_data(as_text=True)[:300])
    if r.mimetype == "text/html":
        assert r.status_code == 200
        assert r.get_data(as_text=True).startswith("<!doctype html>")
        return None
    doc = json.loads(r.get_data(as_text=True))
    if r.status_code != 200:
        assert doc["status"] == r.status_code and doc["code"] and doc["description"]
    return doc


@settings(max_examples=250, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(cid=st.sampled_from(COLLECTIONS + ["nope"]), pairs=query)
def test_items_any_query(client, cid, pairs):
    r = client.get(f"/ogc/collections/{cid}/items?" + urlencode(pairs))
    doc = check(r, pairs)
    if doc is not None and r.status_code == 200:
        assert r.mimetype == "application/geo+json"
        assert doc["type"] == "FeatureCollection"
        assert doc["numberReturned"] == len(doc["features"]) <= 1000
        assert 0 <= doc["numberReturned"] <= doc["numberMatched"] or doc["features"] == []
        assert all("id" in f and f["type"] == "Feature" for f in doc["features"])


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    cid=st.one_of(st.sampled_from(COLLECTIONS), text),
    fid=st.one_of(text, st.sampled_from(["23281", "618", "LAO", "KHM", "..", "%", "a/b"])),
    pairs=query,
)
def test_item_and_metadata_any_path(client, cid, fid, pairs):
    cid_q = quote(cid, safe="") or "x"
    for url in (f"/ogc/collections/{cid_q}", f"/ogc/collections/{cid_q}/items/{quote(fid, safe='') or 'x'}"):
        r = client.get(url + "?" + urlencode(pairs))
        doc = check(r, pairs)
        if doc is not None and r.status_code == 200 and "/items/" in url:
            assert doc["type"] == "Feature" and doc["id"] == fid


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    path=st.sampled_from(["/ogc", "/ogc/", "/ogc/conformance", "/ogc/collections", "/ogc/api"]),
    pairs=query,
    accept=st.sampled_from(
        ["*/*", "text/html", "application/json", "application/xml", "text/html;q=0.1, application/json", ""]
    ),
)
def test_top_level_any_query(client, path, pairs, accept):
    r = client.get(path + "?" + urlencode(pairs), headers={"Accept": accept} if accept else {})
    check(r, pairs)
