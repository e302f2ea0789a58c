"""A repeated items page is answered before Flask sees it (issue 16, :class:`app.http_cache.KeptPages`):
the same bytes and headers as the app's own answer, a 304 on its ETag, never for a request that
carries a cookie or credentials, and never across data versions."""

from __future__ import annotations

import gzip
import json

import pytest

from app import http_cache
from geo import cache

URL = "/ogc/collections/communes/items?limit=102&offset=0"


@pytest.fixture()
def app(gpkg):
    from app import create_app

    made = create_app({"TESTING": True})
    made.extensions["map_cache"] = f"kept-pages-{id(made)}"  # payloads of its own
    return made


def _items_view_fails(app, monkeypatch):
    """The items view raises from now on: an answer that still comes was replayed."""
    endpoint = next(r.endpoint for r in app.url_map.iter_rules() if r.rule.endswith("/items"))

    def fail(*a, **k):  # the app would answer 500
        raise AssertionError("the items view ran")

    monkeypatch.setitem(app.view_functions, endpoint, fail)


def _same_headers(a, b) -> bool:
    drop = {"date"}
    return sorted((k, v) for k, v in a.headers.items() if k.lower() not in drop) == sorted(
        (k, v) for k, v in b.headers.items() if k.lower() not in drop
    )


@pytest.mark.parametrize("coding", ["br", "gzip"])
def test_a_repeat_is_the_apps_own_answer_without_running_the_view(app, monkeypatch, coding):
    client = app.test_client()
    first = client.get(URL, headers={"Accept-Encoding": coding})
    assert first.status_code == 200 and first.headers["Content-Encoding"] == coding
    _items_view_fails(app, monkeypatch)
    second = client.get(URL, headers={"Accept-Encoding": coding})
    assert second.status_code == 200 and second.get_data() == first.get_data()
    assert _same_headers(first, second) and int(second.headers["Content-Length"]) == len(second.get_data())
    assert second.headers["Content-Security-Policy"] and second.headers["Vary"] == first.headers["Vary"]
    if coding == "gzip":
        assert json.loads(gzip.decompress(second.get_data()))["numberReturned"] == 102


def test_a_repeat_with_the_etag_is_304_and_head_has_no_body(app, monkeypatch):
    client = app.test_client()
    first = client.get(URL, headers={"Accept-Encoding": "gzip"})
    _items_view_fails(app, monkeypatch)
    etag = first.headers["ETag"]
    again = client.get(URL, headers={"Accept-Encoding": "gzip", "If-None-Match": etag})
    assert again.status_code == 304 and again.get_data() == b"" and again.headers["ETag"] == etag
    assert "Content-Encoding" not in again.headers and again.headers["Cache-Control"] == "no-cache"
    other = client.get(URL, headers={"Accept-Encoding": "gzip", "If-None-Match": '"another"'})
    assert other.status_code == 200 and other.get_data() == first.get_data()
    head = client.head(URL, headers={"Accept-Encoding": "gzip"})
    assert head.status_code == 200 and head.get_data() == b""
    assert head.headers["Content-Length"] == str(len(first.get_data()))


def test_other_requests_go_to_the_app(app, monkeypatch):
    client = app.test_client()
    client.get(URL, headers={"Accept-Encoding": "gzip"})
    ran = []
    endpoint = next(r.endpoint for r in app.url_map.iter_rules() if r.rule.endswith("/items"))
    real = app.view_functions[endpoint]
    monkeypatch.setitem(app.view_functions, endpoint, lambda *a, **k: ran.append(1) or real(*a, **k))
    # another coding, another language, a cookie, credentials, identity, another page
    client.get(URL, headers={"Accept-Encoding": "br"})
    client.get(URL, headers={"Accept-Encoding": "gzip", "Accept-Language": "en"})
    client.set_cookie("session", "x")
    client.get(URL, headers={"Accept-Encoding": "gzip"})
    client.delete_cookie("session")
    client.get(URL, headers={"Accept-Encoding": "gzip", "Authorization": "Bearer x"})
    client.get(URL)
    client.get(URL.replace("offset=0", "offset=1"), headers={"Accept-Encoding": "gzip"})
    assert len(ran) == 6
    before = len(ran)
    client.get(URL, headers={"Accept-Encoding": "br"})  # kept by now
    assert len(ran) == before


def test_a_new_data_version_is_never_answered_from_the_old(app, monkeypatch):
    client = app.test_client()
    first = client.get(URL, headers={"Accept-Encoding": "gzip"})
    real = cache.version_of
    monkeypatch.setattr(cache, "version_of", lambda b: cache.Version("other", real(b).token + ":new"))
    ran = []
    endpoint = next(r.endpoint for r in app.url_map.iter_rules() if r.rule.endswith("/items"))
    real_view = app.view_functions[endpoint]
    monkeypatch.setitem(app.view_functions, endpoint, lambda *a, **k: ran.append(1) or real_view(*a, **k))
    again = client.get(URL, headers={"Accept-Encoding": "gzip"})
    assert first.status_code == 200 and again.status_code == 200 and ran == [1]


def test_a_large_kept_body_is_handed_to_the_servers_file_wrapper(app, monkeypatch):
    client = app.test_client()
    first = client.get(URL, headers={"Accept-Encoding": "gzip"})
    assert len(first.get_data()) >= http_cache.SHARED_BYTES
    wrapped = []

    def file_wrapper(f, block=8192):
        wrapped.append(f)
        return iter(lambda: f.read(block), b"")

    second = client.get(URL, headers={"Accept-Encoding": "gzip"}, environ_overrides={"wsgi.file_wrapper": file_wrapper})
    assert len(wrapped) == 1 and second.get_data() == first.get_data()


def test_a_shared_body_survives_pickling_and_frees_its_file():
    import os
    import pickle

    body = http_cache.SharedBody(b"x" * 100_000)
    fd = body.fd
    assert pickle.loads(pickle.dumps(body)).read() == b"x" * 100_000
    del body
    with pytest.raises(OSError):
        os.fstat(fd)
    assert http_cache.shared(b"small") == b"small"
