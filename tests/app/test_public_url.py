"""Issue 17 item 9: links come from ``MAP_PUBLIC_URL``, never from a client's ``Host`` header;
405 answers keep ``Allow`` on HTML and JSON routes."""

import json

import pytest

PUBLIC = "https://map.example.vn/kontum"
EVIL = {"Host": "evil.example", "X-Forwarded-Host": "evil.example"}

#: Every OGC answer that carries links (JSON and HTML), and the OpenAPI document.
LINKED = [
    "/ogc?f=json",
    "/ogc?f=html",
    "/ogc/conformance?f=json",
    "/ogc/collections?f=json",
    "/ogc/collections?f=html",
    "/ogc/collections/communes?f=json",
    "/ogc/collections/communes/items?f=json&limit=5&offset=5",
    "/ogc/collections/communes/items?f=html&limit=5&offset=5",
    "/ogc/collections/communes/items/23281?f=json",
    "/ogc/collections/communes/schema",
    "/ogc/collections/communes/queryables",
    "/ogc/api?f=json",
]


@pytest.fixture(scope="module")
def public_client(gpkg):
    from app import create_app

    return create_app({"TESTING": True, "MAP_PUBLIC_URL": PUBLIC + "/"}).test_client()


@pytest.fixture(scope="module")
def plain_client(gpkg):
    from app import create_app

    return create_app({"TESTING": True}).test_client()


def _hrefs(doc) -> list[str]:
    """Every ``href`` / ``$id`` / server URL in a JSON document."""
    out = []
    if isinstance(doc, dict):
        for k, v in doc.items():
            if k in ("href", "$id", "url") and isinstance(v, str):
                out.append(v)
            else:
                out.extend(_hrefs(v))
    elif isinstance(doc, list):
        for v in doc:
            out.extend(_hrefs(v))
    return out


@pytest.mark.parametrize("url", LINKED)
def test_host_header_does_not_rewrite_links(public_client, url):
    r = public_client.get(url, headers=EVIL)
    assert r.status_code == 200, (url, r.status_code)
    body = r.get_data(as_text=True)
    assert "evil.example" not in body
    if r.mimetype != "text/html":
        hrefs = [h for h in _hrefs(json.loads(body)) if h.startswith("http")]
        assert hrefs, url
        assert all(h.startswith(PUBLIC + "/ogc") for h in hrefs), hrefs
    else:
        assert PUBLIC + "/ogc" in body


def test_openapi_servers_is_the_public_url(public_client):
    doc = public_client.get("/ogc/api?f=json", headers=EVIL).get_json()
    assert doc["servers"] == [{"url": PUBLIC + "/ogc"}]


def test_next_link_keeps_the_query_on_the_public_url(public_client):
    doc = public_client.get("/ogc/collections/communes/items?f=json&limit=10", headers=EVIL).get_json()
    nxt = [link["href"] for link in doc["links"] if link["rel"] == "next" and link["type"].endswith("json")]
    assert nxt == [PUBLIC + "/ogc/collections/communes/items?f=json&limit=10&offset=10"]


def test_export_metadata_names_the_public_url(public_client):
    r = public_client.get("/ogc/collections/communes/items?f=csv&limit=2", headers=EVIL)
    assert r.status_code == 200
    assert b"evil.example" not in r.data


def test_without_the_setting_links_follow_the_request(plain_client):
    """Unset (development, loopback): the request's own scheme and host — documented in the
    README, which says a public address must set MAP_PUBLIC_URL."""
    doc = plain_client.get("/ogc?f=json", headers={"Host": "127.0.0.1:5000"}).get_json()
    assert {link["href"].split("/ogc")[0] for link in doc["links"]} == {"http://127.0.0.1:5000"}
    assert plain_client.get("/ogc/api?f=json").get_json()["servers"] == [{"url": "http://localhost/ogc"}]


@pytest.mark.parametrize(
    ("method", "url", "allowed"),
    [
        ("post", "/", {"GET", "HEAD"}),  # HTML page
        ("put", "/upload", {"GET", "POST"}),  # HTML form
        ("post", "/ogc/collections/communes/items?f=html", {"GET"}),
        ("delete", "/targets", {"GET", "POST"}),  # JSON
        ("post", "/api/versions", {"GET"}),
        ("get", "/raster/zonal", {"POST"}),
        ("post", "/layers", {"GET"}),
    ],
)
def test_405_keeps_allow(plain_client, method, url, allowed):
    r = getattr(plain_client, method)(url, headers={"Accept": "text/html"})
    assert r.status_code == 405, (url, r.status_code)
    assert allowed <= {m.strip() for m in r.headers["Allow"].split(",")}, r.headers.get("Allow")
    assert r.headers["X-Content-Type-Options"] == "nosniff"
