"""Issue 17 item 3: raster work is bounded — a fixed set of resolutions (and cache keys), a
bounded number of computations at once (503 + Retry-After), limits per client, and a memory
cap on zonal uploads that counts the bytes per pixel."""

from __future__ import annotations

import io

import numpy as np
import pytest
from test_raster_api import tif_bytes, upload

from app import create_app, raster_api


def make_client(gpkg, **config):
    return create_app({"GEO_GPKG": str(gpkg), "TESTING": True, **config}).test_client()


@pytest.fixture
def client(gpkg):
    return make_client(gpkg)


def raster_keys() -> set:
    return {key for _, key in raster_api.RASTERS.keys()}


@pytest.mark.parametrize("resolution", ["50.0001", "250.5", "3000", "50", "1e3x"])
def test_a_resolution_outside_the_set_is_a_400_listing_it(client, resolution):
    before = raster_keys()
    r = client.get(f"/raster/remoteness.tif?target=roads&resolution={resolution}", headers={"Accept-Language": "en"})
    assert r.status_code == 400
    assert "100, 250, 500, 1000, 2000, 5000" in r.get_json()["error"] or "number" in r.get_json()["error"]
    assert raster_keys() == before  # nothing computed, nothing cached


def test_spellings_of_one_resolution_share_one_cache_entry(client):
    first = client.get("/raster/remoteness.tif?target=power&resolution=5000")
    assert first.status_code == 200
    before = raster_keys()
    for spelling in ("5000.0", "5e3", " 5000 "):
        r = client.get(f"/raster/remoteness.tif?target=power&resolution={spelling}")
        assert r.status_code == 200 and r.data == first.data
    assert raster_keys() == before


def test_all_slots_taken_is_a_503_with_retry_after_but_cached_rasters_still_serve(gpkg):
    c = make_client(gpkg, MAP_RASTER_SLOTS=1)
    assert c.get("/raster/remoteness.tif?target=roads&resolution=5000").status_code == 200
    slots = c.application.extensions[raster_api.SLOTS]
    assert slots.acquire(timeout=1)  # a heavy request is running
    try:
        busy = c.get(
            "/raster/indicator.tif?indicator=poor_rate&year=2020&resolution=2000&classes=3",
            headers={"Accept-Language": "en"},
        )
        assert busy.status_code == 503
        assert busy.headers["Retry-After"] == str(raster_api.RETRY_AFTER_S)
        assert "try again" in busy.get_json()["error"]
        zonal = upload(c, tif_bytes())
        assert zonal.status_code == 503 and "Retry-After" in zonal.headers
        assert c.get("/raster/remoteness.tif?target=roads&resolution=5000").status_code == 200  # cached
    finally:
        slots.release()
    assert c.get("/raster/indicator.tif?indicator=poor_rate&year=2020&resolution=2000&classes=3").status_code == 200


def test_limits_per_client_address(gpkg):
    c = make_client(gpkg, MAP_RASTER_LIMIT="3 per minute", MAP_ZONAL_LIMIT="1 per minute")
    url = "/raster/remoteness.tif?target=roads&resolution=5000"
    assert [c.get(url).status_code for _ in range(3)] == [200, 200, 200]
    assert c.get(url).status_code == 429
    other = {"REMOTE_ADDR": "192.0.2.7"}
    assert c.get(url, environ_base=other).status_code == 200

    # zonal uploads have their own, smaller limit
    def zonal():
        data = {"file": (io.BytesIO(tif_bytes()), "r.tif")}
        return c.post("/raster/zonal", data=data, environ_base={"REMOTE_ADDR": "192.0.2.8"})

    assert zonal().status_code == 200
    assert zonal().status_code == 429


def test_the_zonal_memory_cap_counts_bytes_per_pixel(client, monkeypatch):
    ones = tif_bytes()
    with_floats = upload(client, ones)
    assert with_floats.status_code == 200
    pixels = sum(u["count"] for u in with_floats.get_json()["units"])
    # a cap between the byte raster's and the float64 raster's memory
    monkeypatch.setattr(raster_api, "ZONAL_MAX_BYTES", pixels * 4)
    from geo.units import boundaries as units

    minx, miny, maxx, maxy = units.load_communes().to_crs("EPSG:32648").total_bounds
    from affine import Affine

    transform = Affine(2000, 0, minx - 2000, 0, -2000, maxy + 2000)
    shape = (int((maxy - miny) // 2000) + 3, int((maxx - minx) // 2000) + 3)
    f64 = upload(client, tif_bytes(np.ones(shape, "float64"), transform=transform))
    assert f64.status_code == 400 and "float64" in f64.get_json()["error"] and "bytes" in f64.get_json()["error"]
    u8 = upload(client, tif_bytes(np.ones(shape, "uint8"), transform=transform))
    assert u8.status_code == 200
