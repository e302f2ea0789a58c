"""A real OGC API – Features client: GDAL's OAPIF driver (through pyogrio) against /ogc.

The app runs in a real HTTP server (werkzeug ``make_server``) on 127.0.0.1
and a free port.  The server runs in a child process, not a thread of the
test process: pyogrio keeps the GIL while GDAL downloads feature pages, so
a server thread in the same interpreter could not answer and every read
would stall until GDAL's HTTP timeout.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

pyogrio = pytest.importorskip("pyogrio")

ROOT = Path(__file__).resolve().parents[2]
PROXY_VARS = ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy", "all_proxy")
SERVER = """
import sys
from werkzeug.serving import make_server
from app import create_app

app = create_app({"TESTING": True})
server = make_server("127.0.0.1", 0, app, threaded=True)
print(server.server_port, flush=True)
server.serve_forever()
"""

pytestmark = pytest.mark.skipif("OAPIF" not in pyogrio.list_drivers(), reason="GDAL without OAPIF")


@pytest.fixture(scope="module")
def base_url(gpkg, tmp_path_factory):
    env = {k: v for k, v in os.environ.items() if k not in PROXY_VARS}
    env.update(
        GEO_GPKG=str(gpkg),
        NO_PROXY="127.0.0.1,localhost",
        no_proxy="127.0.0.1,localhost",
        PYTHONPATH=str(ROOT) + os.pathsep + env.get("PYTHONPATH", ""),
    )
    log = open(tmp_path_factory.mktemp("server") / "server.log", "w")
    proc = subprocess.Popen(
        [sys.executable, "-c", SERVER], cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=log, text=True
    )
    try:
        port = int(proc.stdout.readline().strip() or 0)
        assert port, "the server did not start"
        url = f"http://127.0.0.1:{port}/ogc"
        deadline = time.time() + 30
        while True:  # the first request builds the collections
            try:
                urllib.request.urlopen(url + "/collections", timeout=30).read()
                break
            except OSError:
                if time.time() > deadline or proc.poll() is not None:
                    raise
                time.sleep(0.2)
        with pytest.MonkeyPatch.context() as mp:
            for k in PROXY_VARS:
                mp.delenv(k, raising=False)
            mp.setenv("NO_PROXY", "127.0.0.1,localhost")
            mp.setenv("no_proxy", "127.0.0.1,localhost")
            options = {"GDAL_HTTP_TIMEOUT": "20", "GDAL_HTTP_MAX_RETRY": "0", "GDAL_HTTP_PROXY": None}
            pyogrio.set_gdal_config_options(options)
            try:
                yield url
            finally:
                pyogrio.set_gdal_config_options({k: None for k in options})
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()


def oapif(url):
    return "OAPIF:" + url


def test_list_layers(base_url):
    layers = pyogrio.list_layers(oapif(base_url))
    names = [str(n) for n, _ in layers]
    assert names == ["communes", "districts", "works", "roads", "border", "communes_2025"]
    types = {str(n): str(t) for n, t in layers}
    assert types["works"] == "Point" and types["border"] == "LineString"


def test_read_communes(base_url, gpkg):
    from geo.io import storage

    df = pyogrio.read_dataframe(oapif(base_url), layer="communes")
    assert len(df) == 102 and df["gso_code"].is_unique
    assert df.crs.to_epsg() == 4326
    names = set(df["name"])
    assert {"Xã Ia Tơi", "Thị trấn Plei Kần", "Phường Quang Trung", "Xã Đắk Blô"} <= names
    for col in (
        "district_name",
        "quality_flag",
        "poor_rate_2020",
        "poor_rate_2020_status",
        "near_poor_rate_2015",
        "synthetic_note",
        "on_border",
    ):
        assert col in df.columns, col
    assert df["poor_rate_2020"].notna().all() and df["poor_rate_2020"].between(0, 100).all()
    assert set(df["poor_rate_2020_status"]) <= {"official", "reported", "derived", "synthetic"}
    assert int(df["on_border"].astype(bool).sum()) == 13
    src = storage.read_layer("communes", gpkg).set_index("gso_code")
    assert set(df["gso_code"]) == set(src.index)
    got = df.set_index("gso_code")["area_km2"].sort_index()
    assert got.to_numpy() == pytest.approx(src["area_km2"].sort_index().to_numpy())
    assert df.geometry.notna().all() and df.geometry.is_valid.mean() > 0.95


def test_read_districts_works_border(base_url, gpkg):
    from geo.io import storage

    districts = pyogrio.read_dataframe(oapif(base_url), layer="districts")
    assert len(districts) == 10
    assert set(districts["name"]) == set(storage.read_layer("districts", gpkg)["name"])
    assert "Huyện Đắk Glei" in set(districts["name"])
    works = pyogrio.read_dataframe(oapif(base_url), layer="works")
    assert len(works) == len(storage.read_layer("works", gpkg)) > 0
    assert set(works.geometry.geom_type) == {"Point"}
    border = pyogrio.read_dataframe(oapif(base_url), layer="border")
    assert sorted(border["country"]) == ["KHM", "LAO"]


def test_spatial_and_attribute_filters_go_to_the_server(base_url):
    bbox = pyogrio.read_dataframe(oapif(base_url), layer="communes", bbox=(107.5, 14.2, 107.9, 14.6))
    assert len(bbox) == 24
    where = pyogrio.read_dataframe(oapif(base_url), layer="communes", where="district_code = '618'")
    assert len(where) == 3 and set(where["district_code"]) == {"618"}


def test_open_one_collection(base_url):
    df = pyogrio.read_dataframe(oapif(base_url + "/collections/border"))
    assert len(df) == 2
