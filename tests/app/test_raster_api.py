"""The raster endpoints: downloads, zonal uploads and their 400s."""

from __future__ import annotations

import io

import numpy as np
import pytest
from affine import Affine
from rasterio.io import MemoryFile

from app import create_app

UTM = "EPSG:32648"


@pytest.fixture(scope="module")
def client(gpkg):
    # the per-client limits have their own tests (test_raster_limits.py); this module makes many requests
    app = create_app(
        {
            "GEO_GPKG": str(gpkg),
            "TESTING": True,
            "MAP_RASTER_LIMIT": "10000 per minute",
            "MAP_ZONAL_LIMIT": "10000 per minute",
        }
    )
    return app.test_client()


def tif_bytes(array=None, crs=UTM, transform=None, driver="GTiff", **extra):
    """A GeoTIFF over Kon Tum (2 km pixels of ones) unless told otherwise."""
    from geo.units import boundaries as units

    if transform is None:
        minx, miny, maxx, maxy = units.load_communes().to_crs(UTM).total_bounds
        transform = Affine(2000, 0, minx - 2000, 0, -2000, maxy + 2000)
        array = np.ones((int((maxy - miny) // 2000) + 3, int((maxx - minx) // 2000) + 3), "float32")
    profile = {
        "driver": driver,
        "width": array.shape[1],
        "height": array.shape[0],
        "count": 1,
        "dtype": array.dtype.name,
        "transform": transform,
        **extra,
    }
    if crs is not None:
        profile["crs"] = crs
    with MemoryFile() as mem:
        with mem.open(**profile) as dst:
            dst.write(array, 1)
        return mem.read()


def upload(client, data, name="r.tif", **form):
    """POST a raster to /raster/zonal; errors read in English (they default to Vietnamese)."""
    payload = {k: str(v) for k, v in form.items()}
    if data is not None:
        payload["file"] = (io.BytesIO(data), name)
    headers = {"Accept-Language": "en"}
    return client.post("/raster/zonal", data=payload, content_type="multipart/form-data", headers=headers)


def read_tif(data: bytes):
    with MemoryFile(data) as mem, mem.open() as src:
        return src.crs.to_epsg(), src.nodata, src.descriptions[0], src.read(1, masked=True), src.tags()


# ------------------------------------------------------------------ downloads


def test_remoteness_download(client):
    r = client.get("/raster/remoteness.tif?target=roads&resolution=1000")
    assert r.status_code == 200 and r.mimetype == "image/tiff"
    assert "attachment; filename=remoteness_roads_1000m.tif" in r.headers["Content-Disposition"]
    epsg, nodata, desc, data, tags = read_tif(r.data)
    assert epsg == 32648 and nodata == -9999 and "main road" in desc
    assert data.count() > 0 and float(data.min()) == 0
    again = client.get(
        "/raster/remoteness.tif?target=roads&resolution=1000", headers={"If-None-Match": r.headers["ETag"]}
    )
    assert again.status_code == 304
    power = client.get("/raster/remoteness.tif?target=power&resolution=1000")
    assert power.status_code == 200 and power.headers["ETag"] != r.headers["ETag"]
    assert "electrification" in read_tif(power.data)[2]


def test_indicator_download_is_marked_synthetic(client):
    r = client.get("/raster/indicator.tif?indicator=poor_rate&year=2020&resolution=1000")
    assert r.status_code == 200
    assert "poor_rate_2020.tif" in r.headers["Content-Disposition"]
    epsg, nodata, desc, data, tags = read_tif(r.data)
    assert epsg == 32648 and nodata == -9999 and "synthetic" in desc and "poor_rate" in desc
    classed = client.get("/raster/indicator.tif?indicator=poor_rate&year=2020&resolution=1000&classes=4")
    assert classed.status_code == 200
    with MemoryFile(classed.data) as mem, mem.open() as src:
        assert src.colormap(1)[1] != src.colormap(1)[4]


@pytest.mark.parametrize(
    "url, message",
    [
        ("/raster/remoteness.tif?target=rivers", "target"),
        ("/raster/remoteness.tif?resolution=10", "one of 100, 250, 500, 1000, 2000, 5000"),
        ("/raster/remoteness.tif?resolution=49.9", "one of 100, 250, 500, 1000, 2000, 5000"),
        ("/raster/remoteness.tif?resolution=5001", "one of 100, 250, 500, 1000, 2000, 5000"),
        ("/raster/remoteness.tif?resolution=abc", "number"),
        ("/raster/remoteness.tif?resolution=nan", "one of 100, 250, 500, 1000, 2000, 5000"),
        ("/raster/indicator.tif", "indicator is required"),
        ("/raster/indicator.tif?indicator=nope", "unknown indicator"),
        ("/raster/indicator.tif?indicator=poor_rate&year=abc", "year"),
        ("/raster/indicator.tif?indicator=poor_rate&year=1800", "year"),
        ("/raster/indicator.tif?indicator=poor_rate&year=1995", "no commune values"),
        ("/raster/indicator.tif?indicator=poor_rate&year=2020&classes=1", "classes"),
        ("/raster/indicator.tif?indicator=poor_rate&year=2020&resolution=9000", "resolution"),
        ("/raster/indicator.tif?indicator=poor_rate&year=2020&level=village", "level"),
    ],
)
def test_download_400s(client, url, message):
    r = client.get(url, headers={"Accept-Language": "en"})  # errors default to Vietnamese
    assert r.status_code == 400, r.data[:200]
    body = r.get_json()
    assert body["status"] == 400 and message in body["error"]


# ------------------------------------------------------------------ zonal upload


@pytest.mark.parametrize("level, n", [("commune", 102), ("district", 10)])
def test_zonal_upload(client, level, n):
    r = upload(client, tif_bytes(), level=level, stats="mean,sum")
    assert r.status_code == 200, r.get_json()
    body = r.get_json()
    assert body["level"] == level and len(body["units"]) == n
    assert body["stats"] == ["mean", "sum", "count", "coverage"]
    first = body["units"][0]
    assert set(first) == {"gso_code", "name", "mean", "sum", "count", "coverage", "method"}
    assert all(u["mean"] == 1 for u in body["units"])
    assert body["raster"]["crs"] == "EPSG:32648" and body["raster"]["name"] == "r.tif"


def test_zonal_upload_reports_units_without_pixels(client):
    # A raster over the western half only: eastern communes get null values, not dropped.
    from geo.units import boundaries as units

    minx, miny, maxx, maxy = units.load_communes().to_crs(UTM).total_bounds
    width = int((maxx - minx) // 2000) // 2
    height = int((maxy - miny) // 2000) + 3
    data = tif_bytes(np.ones((height, width), "float32"), transform=Affine(2000, 0, minx, 0, -2000, maxy + 2000))
    body = upload(client, data, level="commune", all_touched="true").get_json()
    assert len(body["units"]) == 102
    empty = [u for u in body["units"] if u["count"] == 0]
    assert empty and all(u["mean"] is None and u["method"] == "outside" for u in empty)
    assert any("without valid pixels" in note for note in body["notes"])
    assert {u["method"] for u in body["units"]} <= {"all_touched", "outside"}


def test_zonal_upload_in_wgs84(client):
    array = np.full((200, 160), 3, "int16")
    data = tif_bytes(array, crs="EPSG:4326", transform=Affine(0.01, 0, 107.2, 0, -0.01, 15.5), nodata=-1)
    body = upload(client, data, level="district").get_json()
    assert all(u["mean"] == 3 and u["coverage"] == 1 for u in body["units"])


AAIGRID = b"ncols 2\nnrows 2\nxllcorner 800000\nyllcorner 1600000\ncellsize 1000\n1 2\n3 4\n"


@pytest.mark.parametrize(
    "case, message",
    [
        ("no file", "field 'file'"),
        ("empty", "empty"),
        ("text", "not a GeoTIFF"),
        ("ascii grid", "not a GeoTIFF"),
        ("png", "not a GeoTIFF"),
        ("no crs", "no CRS"),
        ("no overlap", "does not overlap Kon Tum"),
        ("bad level", "level must be one of"),
        ("bad stats", "unknown statistic"),
        ("bad all_touched", "all_touched must be true or false"),
        ("bad band", "band 2 does not exist"),
        ("band not a number", "band must be a whole number"),
    ],
)
def test_zonal_400s(client, case, message):
    good = tif_bytes()
    far = tif_bytes(np.ones((4, 4), "float32"), transform=Affine(1000, 0, 100_000, 0, -1000, 100_000))
    nocrs = tif_bytes(np.ones((4, 4), "float32"), crs=None, transform=Affine(1000, 0, 800_000, 0, -1000, 1_600_000))
    png = tif_bytes(np.ones((4, 4), "uint8"), driver="PNG", transform=Affine(1000, 0, 800_000, 0, -1000, 1_600_000))
    requests = {
        "no file": lambda: upload(client, None, level="commune"),
        "empty": lambda: upload(client, b""),
        "text": lambda: upload(client, b"gso_code,value\n23281,1\n", name="table.tif"),
        "ascii grid": lambda: upload(client, AAIGRID, name="grid.asc"),
        "png": lambda: upload(client, png, name="x.png"),
        "no crs": lambda: upload(client, nocrs),
        "no overlap": lambda: upload(client, far),
        "bad level": lambda: upload(client, good, level="village"),
        "bad stats": lambda: upload(client, good, stats="mean,median"),
        "bad all_touched": lambda: upload(client, good, all_touched="maybe"),
        "bad band": lambda: upload(client, good, band=2),
        "band not a number": lambda: upload(client, good, band="first"),
    }
    r = requests[case]()
    assert r.status_code == 400, (case, r.data[:300])
    body = r.get_json()
    assert body["status"] == 400 and message in body["error"], body


def test_zonal_upload_too_large_is_413_not_500(gpkg):
    app = create_app({"GEO_GPKG": str(gpkg), "TESTING": True, "MAX_CONTENT_LENGTH": 1000})
    r = upload(app.test_client(), tif_bytes())
    assert r.status_code == 413 and r.get_json()["status"] == 413


def test_zonal_refuses_too_many_pixels(client, monkeypatch):
    from app import raster_api

    monkeypatch.setattr(raster_api, "ZONAL_MAX_PIXELS", 100)
    r = upload(client, tif_bytes())
    assert r.status_code == 400 and "too many pixels" in r.get_json()["error"]
