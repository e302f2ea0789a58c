"""OGC API – Features Part 2 (CRS): items, single features, bbox-crs and every export format
in CRS84, EPSG:4326, 3857, UTM 48N and VN-2000 (4756, 3405, TM-3 107°30′ = EPSG:9216),
on both backends. Coordinates are checked against pyproj on the served points."""

from __future__ import annotations

import io
import json
import zipfile

import numpy as np
import pyogrio
import pyproj
import pytest

CRS84 = "http://www.opengis.net/def/crs/OGC/1.3/CRS84"
EPSG = "http://www.opengis.net/def/crs/EPSG/0/"
CODES = [4326, 3857, 32648, 4756, 3405, 9216]


@pytest.fixture(scope="module")
def client(gpkg, backend_config):
    from app import create_app

    return create_app({"TESTING": True, "GEO_GPKG": str(gpkg), **backend_config}).test_client()


def _first_ring(geom):
    coords = geom["coordinates"]
    return np.array(coords[0] if geom["type"] == "Polygon" else coords[0][0], dtype=float)


def _items(client, **q):
    r = client.get("/ogc/collections/communes/items", query_string={"limit": 200, **q})
    assert r.status_code == 200, r.get_data(as_text=True)[:300]
    return r


@pytest.mark.parametrize("code", CODES)
def test_items_in_each_crs_match_pyproj(client, code):
    base = {f["id"]: f for f in _items(client).get_json()["features"]}
    r = _items(client, crs=EPSG + str(code))
    assert r.headers["Content-Crs"] == f"<{EPSG}{code}>"
    to = pyproj.Transformer.from_crs("OGC:CRS84", f"EPSG:{code}", always_xy=False)
    for f in r.get_json()["features"][:20]:
        lonlat = _first_ring(base[f["id"]]["geometry"])
        want = np.column_stack(to.transform(lonlat[:, 0], lonlat[:, 1]))
        got = _first_ring(f["geometry"])
        tol = 1e-6 if code in (4326, 4756) else 0.01
        assert np.allclose(got, want, atol=tol)


def test_known_point_in_vn2000_tm3_and_lat_lon_order(client):
    """23281 Phường Quang Trung (Kon Tum city, about 108.0 E 14.36 N): in the TM-3 zone of
    107°30′ it lies some 54 km east of the central meridian (false easting 500 km);
    EPSG:4326 and EPSG:4756 put latitude first."""
    lonlat = _first_ring(client.get("/ogc/collections/communes/items/23281").get_json()["geometry"])
    tm3 = _first_ring(client.get("/ogc/collections/communes/items/23281?crs=EPSG:9216").get_json()["geometry"])
    assert 545_000 < tm3[:, 0].mean() < 560_000 and 1_580_000 < tm3[:, 1].mean() < 1_600_000
    r = client.get("/ogc/collections/communes/items/23281", query_string={"crs": EPSG + "4326"})
    assert r.headers["Content-Crs"] == f"<{EPSG}4326>"
    latlon = _first_ring(r.get_json()["geometry"])
    assert np.allclose(latlon[:, ::-1], lonlat, atol=1e-6)
    vn = _first_ring(client.get("/ogc/collections/communes/items/23281?crs=EPSG:4756").get_json()["geometry"])
    # VN-2000 and WGS 84 differ by a few hundred metres (0.001–0.005°), lat first as well
    shift = np.abs(vn[:, ::-1] - lonlat).max()
    assert 1e-4 < shift < 1e-2


@pytest.mark.parametrize(
    ("crs", "bbox"),
    [
        ("EPSG:4326", "14.2,107.5,14.6,107.9"),  # lat,lon
        (EPSG + "4756", None),
        (EPSG + "3405", None),
        ("EPSG:9216", None),
        ("EPSG:32648", None),
    ],
)
def test_bbox_crs_selects_what_the_crs84_box_selects(client, crs, bbox):
    lonlat = (107.5, 14.2, 107.9, 14.6)
    plain = _items(client, bbox=",".join(map(str, lonlat))).get_json()
    code = crs.rsplit("/", 1)[-1].split(":")[-1]
    if bbox is None:  # the same box, as its corners in that CRS (a little inside, so no edge case)
        to = pyproj.Transformer.from_crs("OGC:CRS84", f"EPSG:{code}", always_xy=False)
        a = to.transform(lonlat[0] + 0.001, lonlat[1] + 0.001)
        b = to.transform(lonlat[2] - 0.001, lonlat[3] - 0.001)
        bbox = ",".join(str(v) for v in (min(a[0], b[0]), min(a[1], b[1]), max(a[0], b[0]), max(a[1], b[1])))
    got = _items(client, bbox=bbox, **{"bbox-crs": crs}).get_json()
    ids = {f["id"] for f in got["features"]}
    want = {f["id"] for f in plain["features"]}
    assert want and len(ids ^ want) <= 1  # a box a little inside may miss one touching commune


def test_collection_declares_the_crs(client):
    coll = client.get("/ogc/collections/communes").get_json()
    assert coll["crs"][0] == CRS84 and {EPSG + str(c) for c in CODES} <= set(coll["crs"])
    conf = client.get("/ogc/conformance").get_json()["conformsTo"]
    assert "http://www.opengis.net/spec/ogcapi-features-2/1.0/conf/crs" in conf


def test_unknown_crs_is_refused_with_the_list(client):
    r = client.get("/ogc/collections/communes/items?crs=EPSG:2154")
    assert r.status_code == 400
    text = r.get_json()["description"]
    assert "EPSG:2154" in text and EPSG + "9216" in text and "VN-2000" in text


@pytest.mark.parametrize("fmt", ["gpkg", "shp", "geojson", "csv", "xlsx", "kml"])
def test_exports_in_vn2000_tm3(client, fmt, tmp_path):
    r = client.get(f"/ogc/collections/communes/items?f={fmt}&crs=EPSG:9216")
    assert r.status_code == 200, r.get_data(as_text=True)[:300]
    data = r.data
    if fmt == "kml":  # OGC KML 2.2: always WGS84, and the header says so
        assert r.headers["Content-Crs"] == f"<{CRS84}>"
        assert b"<coordinates>10" in data  # longitudes 107–108
        return
    assert r.headers["Content-Crs"] == f"<{EPSG}9216>"
    if fmt == "gpkg":
        path = tmp_path / "x.gpkg"
        path.write_bytes(data)
        layer = pyogrio.list_layers(path)[0][0]
        info = pyogrio.read_info(path, layer=layer)
        assert info["crs"] == "EPSG:9216" and info["features"] == 102
        x0, y0, x1, y1 = info["total_bounds"]
        assert 470_000 < x0 < x1 < 620_000 and 1_530_000 < y0 < y1 < 1_710_000
    elif fmt == "shp":
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            prj = next(zf.read(n).decode() for n in zf.namelist() if n.endswith(".prj"))
        assert "VN-2000" in prj and "107.5" in prj
    elif fmt == "geojson":  # f=geojson is the items page itself, coordinates in the asked CRS
        doc = json.loads(data)
        ring = _first_ring(doc["features"][0]["geometry"])
        assert 470_000 < ring[:, 0].min() and ring[:, 1].max() < 1_710_000
    elif fmt == "csv":
        text = data.decode("utf-8-sig")
        assert "POLYGON ((5" in text or "MULTIPOLYGON (((5" in text or "POLYGON ((4" in text
    elif fmt == "xlsx":
        from openpyxl import load_workbook

        ws = load_workbook(io.BytesIO(data))["du_lieu_data"]
        header = [c.value for c in ws[1]]
        assert "x" in header and "y" in header and "lon" not in header
        x = ws.cell(row=2, column=header.index("x") + 1).value
        assert 470_000 < x < 620_000


def test_geojson_file_export_names_its_crs():
    """A GeoJSON file written in another CRS carries the (2008) ``crs`` member GDAL reads."""
    import geopandas as gpd
    from shapely.geometry import Point

    from geo.crs import parse_crs
    from geo.io import export

    gdf = gpd.GeoDataFrame({"gso_code": ["1"]}, geometry=[Point(107.5, 14.5)], crs=4326)
    data, _, _ = export.export(gdf, "geojson", "t", crs=parse_crs("EPSG:9216"))
    doc = json.loads(data)
    assert doc["crs"]["properties"]["name"] == "urn:ogc:def:crs:EPSG::9216"
    x, y = doc["features"][0]["geometry"]["coordinates"]
    want = pyproj.Transformer.from_crs("EPSG:4326", "EPSG:9216", always_xy=True).transform(107.5, 14.5)
    assert (x, y) == pytest.approx(want, abs=0.01)
    assert "VN-2000 / TM-3" in doc["metadata"]["crs"]
    back = gpd.read_file(io.BytesIO(data))
    assert back.crs.to_epsg() == 9216 and back.geometry[0].x == pytest.approx(want[0], abs=0.01)
