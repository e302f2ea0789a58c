"""Whole-collection downloads (``/ogc/collections/{id}/items?f=…`` without ``limit``): written
a batch at a time into a private folder, sent from the finished file, bounded.

Each test runs on both backends (embedded GeoPackage, PostGIS).  A batch of 7 features
makes the 102 communes 15 batches, so what crosses a batch boundary is tested on real data.
"""

from __future__ import annotations

import csv
import io
import os
import tempfile
import threading
import zipfile

import pyogrio
import pytest
from openpyxl import load_workbook

import app.ogc as ogc

URL = "/ogc/collections/communes/items"


@pytest.fixture(scope="module")
def app_(gpkg, backend_config):
    from app import create_app

    return create_app({"TESTING": True, "GEO_GPKG": str(gpkg), **backend_config})


@pytest.fixture
def client(app_):
    return app_.test_client()


@pytest.fixture
def small_batches(monkeypatch):
    """Batches of 7 features, and the page sizes the backend was asked for."""
    monkeypatch.setattr(ogc, "DOWNLOAD_BATCH", 7)
    asked: list[int] = []
    real = ogc._provider

    def spy(call, *args, **kwargs):
        if getattr(call, "__name__", "") == "page_frame":
            asked.append(args[0])
        return real(call, *args, **kwargs)

    monkeypatch.setattr(ogc, "_provider", spy)
    return asked


@pytest.fixture(autouse=True)
def own_tmp(tmp_path, monkeypatch):
    """This test's own temporary folder for the downloads written (another test process
    writes its own downloads into the shared one at the same time)."""
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))


def _downloads_left() -> set[str]:
    return {n for n in os.listdir(tempfile.gettempdir()) if n.startswith("download_")}


def _body(client, url: str, status: int = 200) -> bytes:
    r = client.get(url)
    assert r.status_code == status, (url, r.status_code, r.get_data(as_text=True)[:400])
    return r.get_data()


def _csv_rows(data: bytes) -> list[dict]:
    return list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"))))


def test_a_whole_download_is_written_in_batches_and_equals_one_batch(client, small_batches, monkeypatch):
    before = _downloads_left()
    rows = _csv_rows(_body(client, URL + "?f=csv"))
    assert len(rows) == 102 and len({r["gso_code"] for r in rows}) == 102
    # every page the backend gave was one batch (two passes: the survey, then the writing)
    assert small_batches and max(small_batches) == 7 and len(small_batches) == 2 * 15
    monkeypatch.setattr(ogc, "DOWNLOAD_BATCH", 1000)
    whole = _csv_rows(_body(client, URL + "?f=csv"))

    def strip(r):  # the note carries the time it was made
        return {k: v for k, v in r.items() if k != "provenance"}

    assert [strip(r) for r in rows] == [strip(r) for r in whole]

    def note(r):  # the note before its sources, and the sources (in the order the batches met them)
        text = r["provenance"]
        at = text.index("sources: ")
        return text[:at], set(text[at + len("sources: ") :].split(" | "))

    assert note(rows[0]) == note(whole[0]) and len(note(rows[0])[1]) >= 3
    assert "dữ liệu minh họa" in rows[0]["provenance"]  # synthetic values seen across batches
    assert _downloads_left() == before


def test_every_format_has_every_feature_across_batches(client, small_batches, tmp_path):
    path = tmp_path / "c.gpkg"
    path.write_bytes(_body(client, URL + "?f=gpkg"))
    info = pyogrio.read_info(path, layer="kon_tum_communes")
    assert info["features"] == 102 and info["geometry_type"] == "MultiPolygon"
    types = dict(zip(info["fields"], (str(t) for t in info["dtypes"])))
    assert types["population_2013"] == "int64" and types["p135_2016"] == "bool"
    sources = pyogrio.read_dataframe(path, layer="nguon_sources")
    assert (sources["item"] == "source").sum() >= 3
    shp = zipfile.ZipFile(io.BytesIO(_body(client, URL + "?f=shp")))
    (tmp_path / "s").mkdir()
    shp.extractall(tmp_path / "s")
    assert pyogrio.read_info(tmp_path / "s" / "kon_tum_communes.shp")["features"] == 102
    assert "all 102 features matched" in shp.read("nguon_sources.txt").decode("utf-8")
    kml = _body(client, URL + "?f=kml").decode("utf-8")
    assert kml.count("<Placemark>") == 102 and kml.count("<Schema ") == 1 and kml.endswith("</kml>")
    book = load_workbook(io.BytesIO(_body(client, URL + "?f=xlsx")), read_only=True)
    assert sum(1 for _ in book["du_lieu_data"].iter_rows()) == 1 + 102


def test_a_workbook_too_big_to_make_is_refused_before_anything_is_written(client, monkeypatch):
    monkeypatch.setattr(ogc, "XLSX_MAX_CELLS", 1000)
    before = _downloads_left()
    r = client.get(URL + "?f=xlsx")
    assert r.status_code == 400
    text = r.get_json()["description"]
    assert "102 dòng" in text and "1000 ô" in text and "GeoPackage" in text
    en = client.get(URL + "?f=xlsx&lang=en").get_json()["description"]
    assert "102 rows" in en and "CSV / GeoPackage" in en
    assert client.get(URL + "?f=xlsx&limit=5").status_code == 200  # a page is small: still served
    assert client.get(URL + "?f=csv").status_code == 200  # CSV is written in batches: no limit
    assert _downloads_left() == before


def test_downloads_beyond_the_slots_wait_with_a_503(client, app_):
    slots = app_.extensions["download_slots"]
    taken = []
    while slots.acquire(blocking=False):
        taken.append(1)
    try:
        assert len(taken) == ogc.MAX_DOWNLOADS
        r = client.get(URL + "?f=gpkg")
        assert r.status_code == 503 and r.headers["Retry-After"] == str(ogc.RETRY_AFTER_S)
        assert "thử lại" in r.get_json()["description"]
        assert client.get(URL + "?limit=5").status_code == 200  # pages of items do not wait
    finally:
        for _ in taken:
            slots.release()
    assert client.get(URL + "?f=gpkg").status_code == 200


def test_a_full_disk_is_a_503_and_leaves_no_file(client, monkeypatch):
    from geo.io import export

    real = export.export_file

    def full(batches, fmt, name, folder, **kw):
        open(os.path.join(folder, "part"), "wb").write(b"x")  # half a file, then the disk is full
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(export, "export_file", full)
    before = _downloads_left()
    r = client.get(URL + "?f=gpkg&lang=en")
    assert r.status_code == 503
    assert "No space left on device" in r.get_json()["description"]
    assert "nothing was sent" in r.get_json()["description"]
    assert _downloads_left() == before
    monkeypatch.setattr(export, "export_file", real)


def test_two_downloads_at_once_give_the_same_file(app_):
    """Two whole downloads written at the same time (threads of one process) are whole and
    equal: each has its own folder."""
    out: list[list[dict]] = []

    def fetch():
        out.append(_csv_rows(app_.test_client().get(URL + "?f=csv").get_data()))

    threads = [threading.Thread(target=fetch) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert len(out) == 2 and len(out[0]) == len(out[1]) == 102
    assert [r["gso_code"] for r in out[0]] == [r["gso_code"] for r in out[1]]
