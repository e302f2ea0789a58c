"""Issue 17 item 5: damaged files and a full disk answer a clear 400/503 and leave nothing behind.

The full disk is simulated at the write seams (``geo.io.storage.write_gpkg`` raising GDAL's
own ``FeatureError: database or disk is full``, ``geo.uploads.staging.write_staged`` raising
``ENOSPC``), and once for real: a 1 MiB tmpfs as the state folder, mounted in an unprivileged
user namespace (``unshare -rm``, no root needed; skipped where the kernel forbids it).
"""

import errno
import io
import json
import os
import shutil
import struct
import subprocess
import sys
import textwrap
import zipfile
from pathlib import Path

import pandas as pd
import pyogrio.errors
import pytest
from test_uploads_api import FIX, assert_error, bearer, boundary, snapshot, staged, upload

from geo.uploads import common, ingest, staging, versions

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def client(state):
    from app import create_app

    client = create_app({"TESTING": True, "MAP_UPLOAD_TOKEN": "alice:tok-alice-0123456789"}).test_client()
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"  # the assertions read the English messages
    return client


def _xlsx() -> bytes:
    table = pd.read_csv(FIX / "review_2020_communes.csv", dtype=str)
    buf = io.BytesIO()
    table.to_excel(buf, index=False)
    return buf.getvalue()


def _rezip(data: bytes, change) -> bytes:
    """``data`` (a zip) with each entry's bytes passed through ``change(name, bytes)``."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            dst.writestr(info, change(info.filename, src.read(info)))
    return out.getvalue()


def test_xlsx_with_a_truncated_sheet_is_a_clear_400(client, state):
    good = _xlsx()
    assert ingest.preview(good, "review.xlsx", year=2020, standard="2016-2020").ok
    bad = _rezip(good, lambda name, b: b[: len(b) // 2] if name == "xl/worksheets/sheet1.xml" else b)
    with pytest.raises(common.UploadError, match="sheet is damaged") as exc:
        ingest.preview(bad, "review.xlsx", year=2020, standard="2016-2020")
    assert exc.value.status == 400
    assert_error(upload(client, "review.xlsx", bad), 400, "sheet is damaged")
    assert staged(state) == [] and snapshot(state) == {}


def _shapefile_zip(communes, tmp_path: Path) -> bytes:
    gdf = communes[["gso_code", "name", "geometry"]].rename(columns={"gso_code": "MA_XA", "name": "TEN_XA"})
    gdf.to_file(tmp_path / "xa.shp", encoding="utf-8")
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_STORED) as z:
        for ext in (".shp", ".shx", ".dbf", ".prj", ".cpg"):
            z.write(tmp_path / f"xa{ext}", f"xa{ext}")
    return buf.getvalue()


def _central(data: bytes, name: bytes) -> int:
    """Offset of the central directory entry of ``name``."""
    at = data.index(b"PK\x01\x02")
    while True:
        n = struct.unpack_from("<H", data, at + 28)[0]
        if data[at + 46 : at + 46 + n] == name:
            return at
        at = data.index(b"PK\x01\x02", at + 4)


def lie_about_size(data: bytes, name: bytes) -> bytes:
    """The central directory says entry ``name`` is 100 bytes shorter than it is."""
    at, buf = _central(data, name), bytearray(data)
    size = struct.unpack_from("<I", buf, at + 24)[0]
    struct.pack_into("<II", buf, at + 20, size - 100, size - 100)
    return bytes(buf)


def rename_local_header(data: bytes, name: bytes, other: bytes) -> bytes:
    """The local header of ``name`` names ``other`` (same length); the central directory does not."""
    at, buf = data.index(b"PK\x03\x04"), bytearray(data)
    while True:
        n = struct.unpack_from("<H", buf, at + 26)[0]
        if bytes(buf[at + 30 : at + 30 + n]) == name:
            buf[at + 30 : at + 30 + n] = other
            return bytes(buf)
        at = data.index(b"PK\x03\x04", at + 4)


@pytest.mark.parametrize(
    ("damage", "text"),
    [
        (lambda d: lie_about_size(d, b"xa.dbf"), "Bad CRC-32"),
        (lambda d: rename_local_header(d, b"xa.shp", b"xb.shp"), "differ"),
    ],
)
def test_damaged_shapefile_zip_is_a_clear_400(client, state, communes, tmp_path, damage, text):
    # the boundary refusals are catalogue messages now (Vietnamese by default): read them in English
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    good = _shapefile_zip(communes, tmp_path)
    assert boundary(client, good).status_code == 201
    before_tmp = sorted(p.name for p in Path(os.environ.get("TMPDIR", "/tmp")).glob("geo-boundary-*"))
    resp = boundary(client, damage(good))
    assert_error(resp, 400, "the archive is damaged")
    assert text in resp.get_json()["error"]
    assert sorted(p.name for p in Path(os.environ.get("TMPDIR", "/tmp")).glob("geo-boundary-*")) == before_tmp
    assert len(staged(state)) == 1 and snapshot(state) == {}  # only the good one


def test_full_disk_at_commit_is_a_503_and_leaves_nothing(client, state, monkeypatch):
    pv = upload(client, "review_2020_communes.csv").get_json()
    real = versions.storage.write_gpkg

    def fill_the_disk(path, layers, *a, **k):
        real(path, {"communes": layers["communes"]})  # a partial file, then SQLite's own error
        raise pyogrio.errors.FeatureError("failed to write feature 12: sqlite3_step() failed: database or disk is full")

    monkeypatch.setattr(versions.storage, "write_gpkg", fill_the_disk)
    resp = client.post(f"/api/uploads/{pv['id']}/commit", headers=bearer())
    assert_error(resp, 503, "disk is full")
    assert versions.current_number() == 0 and versions.list_versions() == []
    assert list((state / "versions").iterdir()) == []
    # the upload is still staged: committed again once there is room
    monkeypatch.setattr(versions.storage, "write_gpkg", real)
    assert client.post(f"/api/uploads/{pv['id']}/commit", headers=bearer()).status_code == 201


def test_full_disk_at_staging_is_a_503_and_leaves_nothing(client, state, monkeypatch):
    real = staging.write_staged

    def fill_the_disk(folder, data, meta):
        real(folder, data[:10], meta)
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(staging, "write_staged", fill_the_disk)
    assert_error(upload(client, "review_2020_communes.csv"), 503, "disk is full")
    form = {"file": (io.BytesIO((FIX / "review_2020_communes.csv").read_bytes()), "r.csv"), "year": "2020"}
    form["standard"] = "2016-2020"
    vi = client.post("/api/uploads?lang=vi", data=form, headers=bearer(), content_type="multipart/form-data")
    assert_error(vi, 503, "ổ đĩa của máy chủ đã đầy: tệp tải lên không được giữ")
    assert staged(state) == []


def test_full_disk_at_the_pointer_switch_removes_the_new_version(state, monkeypatch):
    data = (FIX / "review_2020_communes.csv").read_bytes()
    pv = ingest.preview(data, "r.csv", year=2020, standard="2016-2020")

    def no_room(number):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(versions, "_set_pointer", no_room)
    with pytest.raises(common.UploadError, match="disk is full") as exc:
        ingest.commit_preview(pv, data, "x")
    assert exc.value.status == 503
    assert list((state / "versions").iterdir()) == [] and versions.list_versions() == []


REAL_FULL_DISK = textwrap.dedent(
    """
    import io, json, os, subprocess, sys
    from pathlib import Path
    from app import create_app
    state, csv = Path(sys.argv[1]), Path(sys.argv[2]).read_bytes()
    token = "tok-alice-0123456789"
    client = create_app({"TESTING": True, "GEO_STATE_DIR": str(state), "MAP_UPLOAD_TOKEN": "alice:" + token}).test_client()
    auth = {"Authorization": "Bearer " + token, "Accept-Language": "en"}
    out = {}

    def answer(resp):
        return [resp.status_code, (resp.get_json() or {}).get("description", "")]

    def upload():
        form = {"file": (io.BytesIO(csv), "r.csv"), "year": "2020", "standard": "2016-2020"}
        return client.post("/api/uploads", data=form, headers=auth, content_type="multipart/form-data")

    def left():
        return sorted(str(p.relative_to(state)) for p in state.rglob("*") if p.name != "filler")

    # 1. staging: the disk holds less than the upload
    vfs = os.statvfs(state)
    with open(state / "filler", "wb") as fh:
        fh.write(b"x" * (vfs.f_bavail * vfs.f_frsize - len(csv) // 2))
    out["stage"] = answer(upload())
    out["left_stage"] = left()
    os.unlink(state / "filler")
    # 2. commit: staged fine, but the new version's GeoPackage does not fit in 1 MiB
    resp = upload()
    out["staged"] = resp.status_code
    sid = resp.get_json()["id"]
    out["commit"] = answer(client.post(f"/api/uploads/{sid}/commit", headers=auth))
    out["left_commit"] = left()
    out["current_after_failure"] = client.get("/api/versions").get_json()["current"]
    # 3. room again: the upload that stayed staged commits now
    subprocess.run(["mount", "-o", "remount,size=64m", str(state)], check=True)
    out["retry"] = client.post(f"/api/uploads/{sid}/commit", headers=auth).status_code
    out["current"] = client.get("/api/versions").get_json()["current"]
    out["left_retry"] = left()
    print(json.dumps(out))
    """
)


def _unshare_works() -> bool:
    unshare = shutil.which("unshare")
    if unshare is None:
        return False
    probe = subprocess.run([unshare, "-rm", "true"], capture_output=True)
    return probe.returncode == 0


@pytest.mark.skipif(not _unshare_works(), reason="no unprivileged user namespaces (unshare -rm) here")
def test_a_real_full_disk(gpkg, tmp_path):
    """A 1 MiB state folder, really full: at staging (through the app, a real upload) and at
    the commit of a staged upload; each a 503 that leaves nothing behind but the upload kept
    for the retry, which succeeds once the folder has room."""
    state = tmp_path / "state"
    state.mkdir()
    env = {**os.environ, "GEO_BUILD_DIR": str(gpkg.parent), "PYTHONPATH": str(ROOT)}
    env.pop("GEO_GPKG", None)
    script = tmp_path / "fill.py"
    script.write_text(REAL_FULL_DISK)
    cmd = (
        f"mount -t tmpfs -o size=1m tmpfs {state} && "
        f"exec {sys.executable} {script} {state} {FIX / 'review_2020_communes.csv'}"
    )
    proc = subprocess.run(["unshare", "-rm", "sh", "-c", cmd], capture_output=True, text=True, env=env, timeout=300)
    assert proc.returncode == 0, proc.stderr[-2000:]
    out = json.loads(proc.stdout.strip().splitlines()[-1])
    # what any state folder holds: the writers' lock, the session key, the empty folders
    ordinary = {".lock", "session.key", "staging", "versions", "published"}
    assert out["stage"][0] == 503 and "disk is full" in out["stage"][1], out["stage"]
    assert set(out["left_stage"]) <= ordinary, out["left_stage"]  # no half-written staged upload
    assert out["staged"] == 201
    assert out["commit"][0] == 503 and "disk is full" in out["commit"][1], out["commit"]
    assert out["current_after_failure"] == 0
    # the staged upload is back in place (a file and its metadata), nothing else: no half version
    kept = [p for p in out["left_commit"] if p not in ordinary]
    assert len(kept) == 3 and all(p.startswith("staging/") and ".commit-" not in p for p in kept), kept
    assert not any(p.startswith("versions/") for p in out["left_commit"])
    assert out["retry"] == 201 and out["current"] == 1
    assert not any(p.startswith("staging/") for p in out["left_retry"]), out["left_retry"]


@pytest.mark.parametrize(("lang", "text"), [("vi", "hãy chạy lại `python -m geo build`"), ("en", "build` again")])
def test_a_geopackage_of_an_older_build_is_a_503_that_says_rebuild(gpkg, tmp_path, lang, text):
    """A GeoPackage built before a layer file named a new column: a clear 503, never a 500."""
    import pyogrio

    from app import create_app

    old = tmp_path / "kontum.gpkg"
    shutil.copy(gpkg, old)
    border = pyogrio.read_dataframe(old, layer="border")
    pyogrio.write_dataframe(border.drop(columns=["official_source"]), old, layer="border", driver="GPKG")
    client = create_app({"GEO_GPKG": str(old), "TESTING": True}).test_client()
    resp = client.get(f"/layers/border.geojson?lang={lang}")
    assert resp.status_code == 503, resp.get_data(as_text=True)[:300]
    body = resp.get_json()
    assert body["code"] == "ServiceUnavailable"
    assert "border.official_source" in body["description"] and text in body["description"]
    # the layers that do not need the column still draw
    assert client.get(f"/layers/poor_rate.geojson?lang={lang}&geometry=none").status_code == 200
