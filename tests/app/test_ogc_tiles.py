"""OGC API – Tiles (issue 16): vector tiles of the communes, decoded, on both backends.

The known tile is WebMercatorQuad 7/58/102: it holds the whole of Kon Tum, so
it carries the 102 communes, each with the values the OGC items route serves.
"""

from __future__ import annotations

import gzip
import json
from urllib.parse import quote

import mapbox_vector_tile
import numpy as np
import pytest
import shapely
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from shapely.geometry import shape

from geo.ogc import tiles

TILES = "/ogc/collections/communes/tiles/WebMercatorQuad"
KONTUM = (7, 58, 102)  # z, row, col: the tile holding the whole province


@pytest.fixture(scope="module")
def client(backend, backend_config):
    from app import create_app

    return create_app({"TESTING": True, **backend_config}).test_client()


@pytest.fixture(scope="module")
def items(client) -> dict:
    doc = client.get("/ogc/collections/communes/items?limit=1000").get_json()
    return {f["id"]: f for f in doc["features"]}


def decode(resp) -> list[dict]:
    assert resp.status_code == 200, resp.get_data(as_text=True)
    assert resp.mimetype == tiles.MEDIA_TYPE
    data = resp.get_data()
    if resp.headers.get("Content-Encoding") == "gzip":
        data = gzip.decompress(data)
    layers = mapbox_vector_tile.decode(data)
    assert list(layers) == ["communes"] and layers["communes"]["extent"] == tiles.EXTENT
    return layers["communes"]["features"]


def tile_url(z, y, x, query: str = "") -> str:
    return f"{TILES}/{z}/{y}/{x}" + (f"?{query}" if query else "")


def test_the_province_tile_has_the_102_communes_with_the_items_values(client, items):
    feats = decode(client.get(tile_url(*KONTUM, "properties=poor_rate_2020")))
    codes = [f["properties"]["gso_code"] for f in feats]
    assert len(codes) == 102 and sorted(codes) == sorted(items)
    for f in feats:
        p, served = f["properties"], items[f["properties"]["gso_code"]]["properties"]
        assert set(p) == {"gso_code", "poor_rate_2020", "poor_rate_2020_status"}  # no name below zoom 8
        assert p["poor_rate_2020"] == pytest.approx(served["poor_rate_2020"], abs=1e-9)
        assert p["poor_rate_2020_status"] == served["poor_rate_2020_status"] == "synthetic"


def test_names_below_zoom_8_only_when_asked_for(client, items):
    feats = decode(client.get(tile_url(*KONTUM, "properties=name")))
    assert {f["properties"]["name"] for f in feats} == {f["properties"]["name"] for f in items.values()}


def test_tile_geometry_stays_within_the_tile_and_its_buffer(client):
    for f in decode(client.get(tile_url(8, 116, 204))):
        x0, y0, x1, y1 = shape(f["geometry"]).bounds
        assert -tiles.BUFFER <= x0 and x1 <= tiles.EXTENT + tiles.BUFFER
        assert -tiles.BUFFER <= y0 and y1 <= tiles.EXTENT + tiles.BUFFER


def test_a_zoomed_tile_carries_names_and_the_commune_it_is_centred_on(client, items):
    code = "23284"
    point = shapely.point_on_surface(shape(items[code]["geometry"]))
    z, y, x = tiles.tile_of(point.x, point.y, 11)
    feats = {f["properties"]["gso_code"]: f for f in decode(client.get(tile_url(z, y, x)))}
    assert code in feats
    assert feats[code]["properties"]["name"] == items[code]["properties"]["name"]
    # the decoded shape, back in lon/lat, covers the commune's own point on surface
    minx, miny, maxx, maxy = tiles.tile_bounds(z, y, x)
    lon0, lat0 = tiles.mercator_to_lonlat(minx, miny)

    def to_lonlat(coords):
        mx = minx + coords[:, 0] * (maxx - minx) / tiles.EXTENT
        my = miny + coords[:, 1] * (maxy - miny) / tiles.EXTENT
        return [list(tiles.mercator_to_lonlat(a, b)) for a, b in zip(mx, my)]

    geom = shapely.transform(shape(feats[code]["geometry"]), lambda c: np.array(to_lonlat(c)))
    assert geom.buffer(1e-4).contains(point)
    assert lon0 <= point.x


def test_finer_detail_as_the_user_zooms(client):
    coarse = sum(len(p.exterior.coords) for p in _polys(decode(client.get(tile_url(*KONTUM)))))
    fine = 0
    for y in (116, 117):
        for x in (204, 205):
            resp = client.get(tile_url(8, y, x))
            if resp.status_code == 200:
                fine += sum(len(p.exterior.coords) for p in _polys(decode(resp)))
    assert fine > coarse * 1.3


def _polys(feats):
    for f in feats:
        g = shape(f["geometry"])
        yield from (g.geoms if g.geom_type == "MultiPolygon" else [g])


def test_an_empty_tile_is_204(client):
    resp = client.get(tile_url(7, 0, 0))
    assert resp.status_code == 204 and resp.get_data() == b""


@pytest.mark.parametrize(
    "url, status, words",
    [
        (tile_url(7, 58, "x"), 400, "tileCol must be a whole number"),
        (tile_url(-1, 0, 0), 400, "tileMatrix must be a whole number"),
        (tile_url(17, 0, 0), 404, "zoom level 17 is not served"),
        (tile_url(7, 128, 0), 404, "outside the tile matrix"),
        (tile_url(*KONTUM, "properties=area"), 400, "unknown property 'area'"),
        (tile_url(*KONTUM, "properties=poor_rate_2020,poor_rate_2020"), 400, "'poor_rate_2020' is given twice"),
        (tile_url(*KONTUM, "properties=a,b,c,d,e"), 400, "at most 4 properties"),
        (tile_url(*KONTUM, "limit=3"), 400, "unknown parameter 'limit'"),
        ("/ogc/collections/communes/tiles/WorldCRS84Quad/7/58/102", 404, "unknown tile matrix set"),
        ("/ogc/collections/works/tiles", 404, "has no vector tiles"),
        ("/ogc/collections/nowhere/tiles/WebMercatorQuad/7/58/102", 404, "no collection 'nowhere'"),
    ],
)
def test_bad_tile_requests_are_clear_errors(client, url, status, words):
    resp = client.get(url, headers={"Accept-Language": "en"})
    assert resp.status_code == status
    assert words in resp.get_json()["description"]


def test_errors_are_vietnamese_by_default(client):
    resp = client.get(tile_url(7, 128, 0))
    assert resp.status_code == 404 and "nằm ngoài lưới ô" in resp.get_json()["description"]


def test_tiles_revalidate_and_compress_once(client):
    url = tile_url(*KONTUM, "properties=poor_rate_2020")
    first = client.get(url, headers={"Accept-Encoding": "gzip"})
    assert first.headers["Content-Encoding"] == "gzip" and first.headers["Cache-Control"] == "no-cache"
    plain = client.get(url, headers={"Accept-Encoding": "identity"})
    assert len(first.get_data()) < len(plain.get_data())
    assert gzip.decompress(first.get_data()) == plain.get_data()
    again = client.get(url, headers={"Accept-Encoding": "gzip", "If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304 and again.get_data() == b""
    other = client.get(tile_url(*KONTUM), headers={"Accept-Encoding": "gzip", "If-None-Match": first.headers["ETag"]})
    assert other.status_code == 200


def test_conformance_declares_the_tiles_classes(client):
    conf = client.get("/ogc/conformance?f=json").get_json()["conformsTo"]
    for c in tiles.CONFORMANCE:
        assert c in conf
    assert not [c for c in conf if "tiles" in c and c not in tiles.CONFORMANCE]


def test_tileset_metadata_and_links(client):
    coll = client.get("/ogc/collections/communes?f=json").get_json()
    rels = {link["rel"]: link["href"] for link in coll["links"]}
    assert rels["http://www.opengis.net/def/rel/ogc/1.0/tilesets-vector"].endswith("/ogc/collections/communes/tiles")
    sets = client.get("/ogc/collections/communes/tiles").get_json()["tilesets"]
    assert [s["tileMatrixSetURI"] for s in sets] == [tiles.TMS_URI] and sets[0]["dataType"] == "vector"
    meta = client.get(TILES).get_json()
    item = [link for link in meta["links"] if link["rel"] == "item"][0]
    assert item["href"].endswith(f"{TILES}/{{tileMatrix}}/{{tileRow}}/{{tileCol}}") and item["templated"] is True
    limit7 = [lim for lim in meta["tileMatrixSetLimits"] if lim["tileMatrix"] == "7"][0]
    assert (limit7["minTileRow"], limit7["maxTileRow"], limit7["minTileCol"], limit7["maxTileCol"]) == (
        58,
        58,
        102,
        102,
    )
    tms = client.get(meta["links"][1]["href"].replace("http://localhost", "")).get_json()
    assert tms["id"] == "WebMercatorQuad" and len(tms["tileMatrices"]) == tiles.MAX_ZOOM + 1
    assert tms["tileMatrices"][0]["matrixWidth"] == 1 and tms["tileMatrices"][7]["matrixWidth"] == 128
    assert json.dumps(tms["tileMatrices"][0]["pointOfOrigin"]) == json.dumps([-tiles.ORIGIN, tiles.ORIGIN])


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    z=st.one_of(st.integers(-3, 20).map(str), st.text(max_size=4)),
    y=st.one_of(st.integers(-3, 2**21).map(str), st.sampled_from(["", "1.5", "٣", "0x1"])),
    x=st.integers(-3, 2**21).map(str),
)
def test_any_tile_address_is_an_answer_or_a_clear_error(client, z, y, x):
    resp = client.get(f"{TILES}/{quote(z, safe='')}/{quote(y, safe='')}/{x}", headers={"Accept-Language": "en"})
    assert resp.status_code in (200, 204, 400, 404)
    if resp.status_code >= 400:
        assert resp.get_json()["description"]
