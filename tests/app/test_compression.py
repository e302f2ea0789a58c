"""Compression by Accept-Encoding (issue 16): brotli and gzip, once per cached payload."""

from __future__ import annotations

import gzip
import json
import re

import brotli
import pytest

from app import http_cache

LAYER = "/layers/geometry/communes.geojson"


@pytest.fixture(scope="module")
def client(gpkg):
    from app import create_app

    return create_app({"TESTING": True}).test_client()


def decoded(resp) -> bytes:
    coding = resp.headers.get("Content-Encoding")
    data = resp.get_data()
    if coding == "br":
        return brotli.decompress(data)
    if coding == "gzip":
        return gzip.decompress(data)
    assert coding is None
    return data


@pytest.mark.parametrize("coding", ["br", "gzip"])
@pytest.mark.parametrize(
    "url",
    ["/", LAYER, "/layers", "/layers/series.json", "/ogc/collections", "/ogc/collections/communes/items?limit=102"],
)
def test_data_answers_are_compressed_and_decode_to_the_identity_body(client, url, coding):
    plain = client.get(url, headers={"Accept-Encoding": "identity"})
    assert plain.status_code == 200 and "Content-Encoding" not in plain.headers
    resp = client.get(url, headers={"Accept-Encoding": f"{coding}, deflate"})
    assert resp.status_code == 200
    assert resp.headers["Content-Encoding"] == coding
    assert "Accept-Encoding" in resp.headers["Vary"]
    assert len(resp.get_data()) < len(plain.get_data())
    assert _stable(decoded(resp)) == _stable(plain.get_data())


def _stable(body: bytes):
    """The answer without the OGC items' ``timeStamp`` (the time it was made)."""
    if body.startswith(b"{"):
        doc = json.loads(body)
        doc.pop("timeStamp", None)
        return doc
    return body


def test_brotli_is_preferred_and_items_are_much_smaller(client):
    url = "/ogc/collections/communes/items?limit=102"
    plain = client.get(url).get_data()
    resp = client.get(url, headers={"Accept-Encoding": "gzip, deflate, br"})
    assert resp.headers["Content-Encoding"] == "br"
    assert len(resp.get_data()) * 4 < len(plain)
    assert json.loads(decoded(resp))["numberReturned"] == 102


def test_small_answers_stay_identity(client):
    # a short JSON error (the conformance document grew past MIN_BYTES with the tiles classes)
    resp = client.get("/ogc/collections/communes/items/23545?f=json&bogus=1", headers={"Accept-Encoding": "br, gzip"})
    assert resp.status_code == 400 and resp.is_json
    assert len(resp.get_data()) < http_cache.MIN_BYTES and "Content-Encoding" not in resp.headers


def test_no_coding_without_accept_encoding(client):
    resp = client.get(LAYER)
    assert "Content-Encoding" not in resp.headers and json.loads(resp.get_data())["type"] == "FeatureCollection"


def test_a_cached_payload_is_compressed_once(client, monkeypatch):
    client.get(LAYER, headers={"Accept-Encoding": "br"})  # made and kept
    calls = []
    real = http_cache.compress
    monkeypatch.setattr(http_cache, "compress", lambda *a, **k: calls.append(a[1]) or real(*a, **k))
    first = client.get(LAYER, headers={"Accept-Encoding": "br"})
    second = client.get(LAYER, headers={"Accept-Encoding": "br"})
    assert calls == [] and first.get_data() == second.get_data()
    client.get(LAYER, headers={"Accept-Encoding": "gzip"})
    client.get(LAYER, headers={"Accept-Encoding": "gzip"})
    assert calls.count("gzip") <= 1
    assert http_cache.COMPRESSED.nbytes > 0


@pytest.mark.parametrize("coding", ["br", "gzip"])
def test_items_pages_are_compressed_once_per_etag(client, monkeypatch, coding):
    """A page of items is made of pieces; with its ETag it is coded once and kept (issue 16: coding
    4 MB per request held the app far below nginx serving the same gzip bytes)."""
    url = "/ogc/collections/communes/items?limit=102&offset=1"
    calls = []
    real = http_cache.compress
    monkeypatch.setattr(http_cache, "compress", lambda *a, **k: calls.append(a[1]) or real(*a, **k))
    first = client.get(url, headers={"Accept-Encoding": coding})
    second = client.get(url, headers={"Accept-Encoding": coding})
    assert calls == [coding]
    for resp in (first, second):
        assert resp.headers["Content-Encoding"] == coding
        assert "Content-Length" not in resp.headers or int(resp.headers["Content-Length"]) == len(resp.get_data())
        doc = json.loads(decoded(resp))
        assert doc["type"] == "FeatureCollection" and doc["numberReturned"] == 101
    assert first.get_data() == second.get_data() and first.headers["ETag"] == second.headers["ETag"]
    other = client.get(url.replace("offset=1", "offset=2"), headers={"Accept-Encoding": coding})
    assert json.loads(decoded(other))["numberReturned"] == 100 and calls == [coding, coding]


def test_streamed_pieces_without_an_etag_are_compressed_on_the_fly():
    from flask import Flask

    app = Flask(__name__)

    @app.get("/stream")
    def stream():
        return app.response_class((b'{"n":%d}' % i for i in range(400)), mimetype="application/json")

    http_cache.register(app)
    resp = app.test_client().get("/stream", headers={"Accept-Encoding": "gzip"})
    assert resp.headers["Content-Encoding"] == "gzip" and "ETag" not in resp.headers
    assert gzip.decompress(resp.get_data()) == b"".join(b'{"n":%d}' % i for i in range(400))


@pytest.mark.parametrize("coding", ["br", "gzip"])
def test_static_files_are_precompressed(client, coding):
    url = next(u for u in _file_urls() if "kontum-map.js" in u)
    plain = client.get(url)
    resp = client.get(url, headers={"Accept-Encoding": coding})
    assert resp.headers["Content-Encoding"] == coding and "Accept-Encoding" in resp.headers["Vary"]
    assert decoded(resp) == plain.get_data() and len(resp.get_data()) < len(plain.get_data())
    plain.close()
    resp.close()


def test_own_scripts_and_stylesheets_are_minified_vendored_ones_sent_as_published(client, gpkg):
    """Every coding of an own script or stylesheet is the same minified text, smaller than the
    file; a vendored library comes byte for byte; ``--debug`` sends the file as written."""
    import shutil
    import subprocess

    from app import create_app

    urls = _file_urls()
    own = [u for u in urls if "/static/map/" in u]
    assert {u.rsplit(".", 1)[-1].split("?")[0] for u in own} == {"js", "css"}
    for url in own:
        path = http_cache.Path(client.application.static_folder) / url.split("?")[0][len("/static/") :]
        raw = path.read_bytes()
        plain = client.get(url)
        body = plain.get_data()
        assert len(body) < 0.9 * len(raw) and int(plain.headers["Content-Length"]) == len(body)
        for coding in ("br", "gzip"):
            assert decoded(client.get(url, headers={"Accept-Encoding": coding})) == body
        # comments and spaces go, names stay (no renaming): every function and class selector
        names = re.findall(rb"function (\w+)\(|^(\.[\w-]+)[ ,{]", raw, flags=re.M)
        assert len(names) > 5 and all((fn or sel) in body for fn, sel in names)
        if url.split("?")[0].endswith(".js") and shutil.which("node"):
            check = subprocess.run(["node", "--check"], input=body, capture_output=True, timeout=60)
            assert check.returncode == 0, (url, check.stderr.decode()[:500])
        plain.close()
    vendored = next(u for u in urls if "/static/vendor/" in u and u.split("?")[0].endswith(".js"))
    path = http_cache.Path(client.application.static_folder) / vendored.split("?")[0][len("/static/") :]
    resp = client.get(vendored)
    assert resp.get_data() == path.read_bytes()
    resp.close()
    debug = create_app({"TESTING": True, "DEBUG": True}).test_client()
    first = own[0]
    path = http_cache.Path(client.application.static_folder) / first.split("?")[0][len("/static/") :]
    raw_resp, min_resp = debug.get(first), client.get(first)
    assert raw_resp.get_data() == path.read_bytes() and raw_resp.headers["ETag"] != min_resp.headers["ETag"]
    raw_resp.close()
    min_resp.close()


def test_stream_coder_round_trips():
    pieces = [b'{"a":', b"[1,2,3]", b"}" * 3000]
    assert gzip.decompress(b"".join(http_cache.compress_stream(pieces, "gzip"))) == b"".join(pieces)
    assert brotli.decompress(b"".join(http_cache.compress_stream(pieces, "br"))) == b"".join(pieces)


def _static_urls(page: str) -> list[str]:
    return re.findall(r'(?:src|href)="(/static/[^"]+)"', page)


def _file_urls() -> list[str]:
    """The static files the page loads (joined in its bundles), each at its own URL."""
    from app import map_page

    js, css = map_page.page_assets()
    return [f"/static/{f}" for f in (*js, *css)]


def _without_source_map(text: str) -> str:
    return re.sub(r"(?m)^\s*(?://|/\*)#\s*sourceMappingURL=.*$", "", text)


def test_the_page_loads_one_script_and_one_stylesheet_joined_from_its_files(client, gpkg):
    """The page asks for two static URLs (a browser has six connections to a server over
    HTTP/1.1: seventeen files queued behind each other): the bundles, immutable under their
    content hash, coded once, each member's served text inside in load order, every ``url()``
    of a stylesheet still found from the bundle's folder; a ``--debug`` app loads every file."""
    import posixpath
    import shutil
    import subprocess

    from app import create_app, map_page

    page = client.get("/").get_data(as_text=True)
    urls = _static_urls(page)
    assert [u.split("?")[0] for u in urls] == ["/static/bundles/map.js", "/static/bundles/map.css"]
    for url, members in zip(urls, map_page.page_assets()):
        plain = client.get(url)
        assert plain.status_code == 200 and plain.headers["Cache-Control"] == http_cache.IMMUTABLE
        body = plain.get_data(as_text=True)
        at = 0
        for member in members:
            served = client.get(f"/static/{member}")
            text = _without_source_map(served.get_data(as_text=True)).strip()
            served.close()
            if member.endswith(".css"):
                text = http_cache.rebase_css(text, member)
            found = body.find(text, at)
            assert found >= at, member
            at = found + len(text)
        assert "sourceMappingURL" not in body
        for coding in ("br", "gzip"):
            resp = client.get(url, headers={"Accept-Encoding": coding})
            assert resp.headers["Content-Encoding"] == coding and decoded(resp) == plain.get_data()
            again = client.get(url, headers={"Accept-Encoding": coding, "If-None-Match": resp.headers["ETag"]})
            assert again.status_code == 304 and again.get_data() == b""
        if url.split("?")[0].endswith(".css"):
            refs = [r.strip("'\"") for r in re.findall(r"url\(([^)]+)\)", body)]
            refs = [r for r in refs if not r.startswith(("data:", "#"))]
            assert len(refs) >= 5
            for ref in refs:
                target = posixpath.normpath(posixpath.join("/static/bundles", ref))
                resp = client.get(target)
                assert resp.status_code == 200, (ref, target)
                resp.close()
        elif shutil.which("node"):
            check = subprocess.run(["node", "--check"], input=plain.get_data(), capture_output=True, timeout=60)
            assert check.returncode == 0, check.stderr.decode()[:500]
        plain.close()
    tiled = client.get("/static/bundles/map-tiled.js").get_data(as_text=True)
    assert "VectorGrid" in tiled and "VectorGrid" not in client.get(urls[0]).get_data(as_text=True)
    missing = client.get("/static/bundles/nope.js")
    assert missing.status_code == 404 and missing.is_json
    debug = create_app({"TESTING": True, "DEBUG": True}).test_client()
    files = [u.split("?")[0] for u in _static_urls(debug.get("/").get_data(as_text=True))]
    assert sorted(files) == sorted(_file_urls())


def test_a_repeated_coded_items_page_is_answered_without_its_view(client, monkeypatch):
    """Once coded, an items page is kept whole (headers and bytes) under its ETag: a repeat, or its
    304, does not build the page again; an identity request still does."""
    from geo.ogc import features

    url = "/ogc/collections/communes/items?limit=102&offset=3"
    first = client.get(url, headers={"Accept-Encoding": "gzip"})
    built = []
    real = features.page_bytes
    monkeypatch.setattr(features, "page_bytes", lambda *a, **k: built.append(1) or real(*a, **k))
    again = client.get(url, headers={"Accept-Encoding": "gzip"})
    assert built == []
    assert again.status_code == 200 and again.get_data() == first.get_data()
    for name in ("Content-Type", "Content-Encoding", "ETag", "Vary", "Cache-Control", "Content-Crs"):
        assert again.headers[name] == first.headers[name]
    assert int(again.headers["Content-Length"]) == len(again.get_data())
    assert json.loads(decoded(again))["numberReturned"] == 99
    assert again.headers["X-Content-Type-Options"] == "nosniff"  # the security headers still apply
    revalidated = client.get(url, headers={"Accept-Encoding": "gzip", "If-None-Match": first.headers["ETag"]})
    assert revalidated.status_code == 304 and revalidated.get_data() == b"" and built == []
    plain = client.get(url)
    assert plain.status_code == 200 and "Content-Encoding" not in plain.headers and built == [1]
    brotli_first = client.get(url, headers={"Accept-Encoding": "br"})  # another coding: built once more
    assert brotli_first.headers["Content-Encoding"] == "br" and built == [1, 1]
