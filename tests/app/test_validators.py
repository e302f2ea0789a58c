"""Validators (issue 16): strong ETags from the data version and the query, 304, immutable assets."""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest

from app import http_cache

FIX = Path(__file__).resolve().parents[1] / "fixtures" / "uploads"
ALICE = "tok-alice-0123456789"


def make_client(**config):
    from app import create_app

    return create_app({"TESTING": True, **config}).test_client()


def upload(client, name):
    form = {"file": (io.BytesIO((FIX / name).read_bytes()), name), "year": "2020", "standard": "2016-2020"}
    headers = {"Authorization": f"Bearer {ALICE}"}
    return client.post("/api/uploads", data=form, headers=headers, content_type="multipart/form-data")


URLS = [
    "/",
    "/layers",
    "/layers/geometry/communes.geojson",
    "/layers/poor_rate.geojson?year=2020",
    "/ogc/collections/communes/items?limit=5",
    "/targets?indicator=poor_rate&year=2020&top=5",
]


@pytest.fixture(scope="module")
def client(gpkg):
    from app import create_app

    return create_app({"TESTING": True}).test_client()


@pytest.mark.parametrize("url", URLS)
def test_data_answers_revalidate_with_a_strong_etag(client, url):
    resp = client.get(url)
    assert resp.status_code == 200, resp.get_data(as_text=True)
    etag = resp.headers["ETag"]
    assert etag.startswith('"') and not etag.startswith("W/")
    assert "no-cache" in resp.headers["Cache-Control"]
    again = client.get(url, headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.get_data() == b"" and again.headers["ETag"] == etag
    other = client.get(url, headers={"If-None-Match": '"something-else"'})
    assert other.status_code == 200 and other.get_data() == resp.get_data()


def test_the_etag_depends_on_the_query_and_the_coding(client):
    a = client.get("/ogc/collections/communes/items?limit=5").headers["ETag"]
    b = client.get("/ogc/collections/communes/items?limit=6").headers["ETag"]
    c = client.get("/ogc/collections/communes/items?limit=5", headers={"Accept-Encoding": "gzip"}).headers["ETag"]
    assert len({a, b, c}) == 3
    # a gzip ETag does not validate a request that only takes identity
    assert client.get("/ogc/collections/communes/items?limit=5", headers={"If-None-Match": c}).status_code == 200


def test_post_and_errors_carry_no_etag(client):
    assert "ETag" not in client.get("/layers/nope.geojson").headers
    assert "ETag" not in client.post("/targets", json={}).headers


def test_a_new_dataset_version_is_never_served_stale(state):
    client = make_client(MAP_UPLOAD_TOKEN=f"alice:{ALICE}")
    url = "/layers/poor_households.geojson?year=2020"
    if client.get(url).status_code != 200:
        url = "/targets?indicator=poor_households&year=2020&top=102"
    before = client.get(url, headers={"Accept-Encoding": "br"})
    assert before.status_code == 200
    etag = before.headers["ETag"]
    assert client.get(url, headers={"Accept-Encoding": "br", "If-None-Match": etag}).status_code == 304
    pv = upload(client, "review_2020_communes.csv").get_json()
    assert (
        client.post(f"/api/uploads/{pv['id']}/commit", headers={"Authorization": f"Bearer {ALICE}"}).status_code == 201
    )
    after = client.get(url, headers={"Accept-Encoding": "br", "If-None-Match": etag})
    assert after.status_code == 200 and after.headers["ETag"] != etag
    assert after.get_data() != before.get_data()  # the new figures, not the old compressed bytes


def test_static_assets_have_content_hashed_immutable_urls(client, monkeypatch):
    page = client.get("/").get_data(as_text=True)
    urls = re.findall(r'(?:src|href)="(/static/[^"]+)"', page)
    assert urls and all("?v=" in u for u in urls)
    url = next(u for u in urls if "bundles/map.css" in u)
    # the bundle's hash is made from its members': one member changed, another URL
    real = http_cache.static_hash
    monkeypatch.setattr(http_cache, "static_hash", lambda p: "x" if p.name == "kontum-map.css" else real(p))
    with client.application.test_request_context("/"):
        assert http_cache.url_for_bundle("map.css") != url and http_cache.url_for_bundle("map.js") in page
    monkeypatch.setattr(http_cache, "static_hash", real)
    resp = client.get(url)
    assert resp.status_code == 200 and resp.headers["Cache-Control"] == http_cache.IMMUTABLE
    etag = resp.headers["ETag"]
    resp.close()
    assert client.get(url, headers={"If-None-Match": etag}).status_code == 304
    bare = client.get(url.split("?")[0])
    assert "immutable" not in bare.headers["Cache-Control"]
    bare.close()
    wrong = client.get(url.split("?")[0] + "?v=000000000000")
    assert "immutable" not in wrong.headers["Cache-Control"]
    wrong.close()
