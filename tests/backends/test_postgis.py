"""PostGIS only: migrations, dataset versions in the database, concurrent uploads, failures, CLI, workers.

Each test here works on a scratch schema of its own (loaded from the
session's GeoPackage), never on the schema the query tests share.
"""

from __future__ import annotations

import io
import json
import os
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

import pandas as pd
import pytest
from conftest import drop_pg_backend, new_pg_backend

from geo import settings as geo_settings
from geo.backends import factory
from geo.backends import postgis as pg
from geo.indicators import values as indicators
from geo.io import storage
from geo.uploads import ingest, versions

ROOT = Path(__file__).resolve().parents[2]
FIX = Path(__file__).resolve().parents[1] / "fixtures" / "uploads"
TABLES = (
    "dataset_versions",
    "dataset_layers",
    "layer_rows",
    "line_parts",
    "observations",
    "target_units",
    "ogc_features",
)


@pytest.fixture(scope="module")
def scratch(pg_url, gpkg):
    db = new_pg_backend(pg_url, gpkg, "kontum_scratch")
    yield db
    drop_pg_backend(db)


@pytest.fixture
def db(scratch, gpkg, configure, tmp_path):
    """The scratch database, reloaded (version 0 only), served through the DATABASE_URL setting."""
    scratch.load(gpkg, replace=True, who="tests")
    configure(
        database_url=scratch.url, database_schema=scratch.schema, state_dir=tmp_path / "state", gpkg=None
    )  # the state folder must stay unused
    return scratch


def preview(name, **kw):
    params = {"year": 2020, "standard": "2016-2020", **kw}
    data = (FIX / name).read_bytes()
    pv = ingest.preview(data, name, **params)
    assert pv.ok, [p.line() for p in pv.problems]
    return pv, data


def counts(db) -> dict:
    with db.connect() as conn:
        return {t: conn.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in TABLES}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# --------------------------------------------------------------------------- schema


def test_migrate_is_idempotent_and_recorded(scratch):
    assert scratch.migrate() == []
    assert scratch.init() == []
    with scratch.connect() as conn:
        rows = conn.execute("SELECT version, name FROM schema_migrations ORDER BY version").fetchall()
        indexes = {
            r[0] for r in conn.execute("SELECT indexname FROM pg_indexes WHERE schemaname = %s", (scratch.schema,))
        }
    assert [r[1] for r in rows] == [p.name for p in pg.migration_files()]
    assert {
        "layer_rows_geom_utm",
        "target_units_geom_utm",
        "line_parts_geom_utm",
        "ogc_features_geom",
        "dataset_versions_one_current",
    } <= indexes
    st = scratch.status()
    assert st["pending"] == [] and st["current"] is not None


def test_concurrent_migrations_wait_for_each_other(pg_url):
    db = factory.postgis_backend(pg_url, f"kontum_migr_{os.getpid()}")
    try:
        results, errors = [], []

        def run():
            try:
                results.append(pg.PostGISBackend(db.url, db.schema).migrate())
            except Exception as exc:  # pragma: no cover - reported below
                errors.append(exc)

        threads = [threading.Thread(target=run) for _ in range(3)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert not errors
        assert sorted(len(r) for r in results) == [0, 0, len(pg.migration_files())]
    finally:
        drop_pg_backend(db)


# --------------------------------------------------------------------------- versions


def test_upload_creates_a_version_in_the_database(db, gpkg):
    base = storage.read_layer("observations", gpkg)
    pv, data = preview("review_2020_communes.csv", note="QĐ 04/QĐ-UBND")
    v = ingest.commit_preview(pv, data, "tester")
    assert v.number == 1 and versions.current_number() == 1
    assert [x.number for x in versions.list_versions()] == [1]
    m = versions.get(1).manifest
    assert m["who"] == "tester" and m["parent"] == 0 and m["counts"]["observations"] == 25
    assert m["sha256"] == pv.sha256 and m["source_file"] == "review_2020_communes.csv"
    obs = db.read_layer("observations")
    # the 25 rows uploaded, plus the values carried again from the communes (geo.indicators.carry)
    carried = obs["source"].str.startswith("carried from the 2020 communes")
    base_carried = base["source"].str.startswith("carried from the 2020 communes")
    assert (~carried).sum() == (~base_carried).sum() + 25
    # a 2025 commune whose every member now has an uploaded 2020 count gets that count carried too
    assert carried.sum() >= base_carried.sum() > 1000
    got = indicators.values(obs, "poor_households", "commune", 2020).set_index("gso_code")
    assert got.loc["23344", "status"] == "official" and got.loc["23344", "value"] == 131
    # unchanged layers share the rows of version 0; the changed ones were written for 1
    layers = {n: lay.data_version for n, lay in db.snapshot().layers.items()}
    assert layers["communes"] == layers["units:commune"] == layers["ogc:roads"] == 0
    assert layers["observations"] == layers["ogc:communes"] == 1
    assert not (geo_settings.active().state_dir / "versions").exists()  # the files are not used
    # the service answers from version 1 at once
    feature = json.loads(db.item_json("communes", "23344"))
    assert feature["properties"]["poor_households_2020_status"] == "official"
    # restore 0, then 1 again
    assert versions.restore(0) is None and versions.current_number() == 0
    feature = json.loads(db.item_json("communes", "23344"))
    assert feature["properties"]["poor_households_2020_status"] == "synthetic"
    assert versions.restore(1).number == 1
    with pytest.raises(versions.VersionError, match="no dataset version 7"):
        versions.restore(7)


def test_same_versions_as_the_embedded_backend(db, gpkg, configure, tmp_path):
    """Two uploads give the same observations in the database as in the version folders."""
    uploads = [
        ("multi_year.csv", {"year": None}),
        ("districts_2017.csv", {"year": 2017, "level": "district", "status": "reported"}),
    ]
    for name, kw in uploads:
        pv, data = preview(name, **kw)
        ingest.commit_preview(pv, data, "tester")
    in_db = db.read_layer("observations")
    configure(database_url="", build_dir=gpkg.parent)
    for name, kw in uploads:
        pv, data = preview(name, **kw)
        ingest.commit_preview(pv, data, "tester")
    assert versions.current_number() == 2
    in_files = storage.read_layer("observations", versions.current_gpkg())
    pd.testing.assert_frame_equal(in_db, in_files)


def test_concurrent_uploads_one_order_one_current(db):
    pvs = [preview("review_2020_communes.csv"), preview("review_2020_bom_semicolon.csv")]
    barrier = threading.Barrier(len(pvs))
    out, errors = {}, []

    def commit(i):
        pv, data = pvs[i]
        barrier.wait()
        try:
            out[i] = ingest.commit_preview(pv, data, f"writer-{i}")
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=commit, args=(i,)) for i in range(len(pvs))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors
    assert sorted(v.number for v in out.values()) == [1, 2]
    with db.connect() as conn:
        rows = conn.execute("SELECT version, parent, who, current FROM dataset_versions ORDER BY version").fetchall()
    assert [(r[0], r[1]) for r in rows] == [(0, None), (1, 0), (2, 1)]  # exactly one order: 2 built on 1
    assert [r[0] for r in rows if r[3]] == [2]
    assert {r[2] for r in rows[1:]} == {"writer-0", "writer-1"}
    obs = db.read_layer("observations")
    got = indicators.values(obs, "poor_households", "commune", 2020).set_index("gso_code")
    assert got.loc["23344", "status"] == got.loc["23404", "status"] == "official"  # both uploads served
    # the database itself refuses a second current version
    import psycopg

    with db.connect() as conn, pytest.raises(psycopg.errors.UniqueViolation):
        conn.execute("UPDATE dataset_versions SET current = true WHERE version = 0")


def test_failed_upload_rolls_back_everything(db, monkeypatch):
    before = counts(db)
    calls = []
    real = pg.PostGISBackend._store_collection

    def fail_midway(self, *args, **kwargs):  # rows of layers and units are written by now
        calls.append(1)
        if len(calls) == 2:
            raise RuntimeError("disk full in the middle of the upload")
        return real(self, *args, **kwargs)

    monkeypatch.setattr(pg.PostGISBackend, "_store_collection", fail_midway)
    pv, data = preview("review_2020_communes.csv")
    with pytest.raises(RuntimeError, match="disk full"):
        ingest.commit_preview(pv, data, "tester")
    assert counts(db) == before and versions.current_number() == 0 and versions.list_versions() == []
    monkeypatch.setattr(pg.PostGISBackend, "_store_collection", real)
    # a refused upload (validate raises) leaves nothing either, and the next one gets number 1
    with pytest.raises(versions.VersionError, match="refused"):
        versions.create_version(
            "observations",
            {"observations.csv": b"unit_level\n"},
            {"who": "x"},
            validate=lambda layers: (_ for _ in ()).throw(versions.VersionError("refused")),
        )
    assert counts(db) == before
    assert ingest.commit_preview(pv, data, "tester").number == 1


def test_readers_see_the_old_version_until_the_upload_commits(db, monkeypatch):
    started, release = threading.Event(), threading.Event()
    real = pg.PostGISBackend._write_version

    def slow(self, *args, **kwargs):
        real(self, *args, **kwargs)
        started.set()
        release.wait(30)

    monkeypatch.setattr(pg.PostGISBackend, "_write_version", slow)
    pv, data = preview("review_2020_communes.csv")
    done = []
    t = threading.Thread(target=lambda: done.append(ingest.commit_preview(pv, data, "tester")))
    t.start()
    try:
        assert started.wait(60)
        # the new rows are written but not committed: every reader still gets version 0
        assert db.current_version() == 0
        t0 = time.monotonic()
        feature = json.loads(db.item_json("communes", "23344"))
        assert time.monotonic() - t0 < 5  # readers are not blocked by the writer
        assert feature["properties"]["poor_households_2020_status"] == "synthetic"
    finally:
        release.set()
        t.join(60)
    assert done and done[0].number == 1 and db.current_version() == 1
    assert json.loads(db.item_json("communes", "23344"))["properties"]["poor_households_2020_status"] == "official"


def test_upload_api_and_boundary_versions_on_the_database(db, tmp_path):
    """The upload routes (tokens, preview, commit, versions, restore, boundaries) with DATABASE_URL."""
    import io
    import zipfile

    from app import create_app

    token = "tok-alice-0123456789"
    client = create_app({"TESTING": True, "MAP_UPLOAD_TOKEN": f"alice:{token}"}).test_client()
    auth = {"Authorization": f"Bearer {token}"}
    data = (FIX / "review_2020_communes.csv").read_bytes()
    r = client.post(
        "/api/uploads",
        headers=auth,
        content_type="multipart/form-data",
        data={"file": (io.BytesIO(data), "review.csv"), "year": "2020", "standard": "2016-2020"},
    )
    assert r.status_code == 201, r.get_json()
    r = client.post(f"/api/uploads/{r.get_json()['id']}/commit", headers=auth)
    assert r.status_code == 201 and r.get_json()["version"] == 1 and r.get_json()["current"] == 1
    assert r.get_json()["manifest"]["who"] == "alice"
    doc = client.get("/targets?near=border").get_json()  # served from the database, version 1
    assert doc["count"] == 13 and {
        p["poor_rate_status"] for p in (f["properties"] for f in doc["features"]) if p["gso_code"] in ("23344", "23350")
    } == {"official"}
    # boundaries: the communes re-sent in VN-2000 (EPSG:9216), as a zipped Shapefile
    communes = db.read_layer("communes")
    gdf = communes[["gso_code", "name", "geometry"]].rename(columns={"gso_code": "MA_XA", "name": "TEN_XA"})
    gdf.to_crs(9216).to_file(tmp_path / "xa.shp", encoding="utf-8")
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        for ext in (".shp", ".shx", ".dbf", ".prj", ".cpg"):
            z.write(tmp_path / f"xa{ext}", f"xa{ext}")
    r = client.post(
        "/api/boundaries",
        headers=auth,
        content_type="multipart/form-data",
        data={"file": (io.BytesIO(buf.getvalue()), "xa.zip"), "level": "commune"},
    )
    assert r.status_code == 201 and r.get_json()["ok"], r.get_json()
    r = client.post(f"/api/uploads/{r.get_json()['id']}/commit", headers=auth)
    assert r.status_code == 201 and r.get_json()["version"] == 2, r.get_json()
    layers = {n: lay.data_version for n, lay in db.snapshot().layers.items()}
    assert layers["communes"] == layers["units:commune"] == layers["ogc:communes"] == 2
    assert layers["observations"] == 1 and layers["roads"] == 0
    served = db.read_layer("communes")
    assert served["geom_method"].str.startswith("upload xa.zip").all() and int(served["on_border"].sum()) == 13
    assert client.get("/targets?near=border").get_json()["count"] == 13
    listed = client.get("/api/versions").get_json()
    assert listed["current"] == 2 and [v["version"] for v in listed["versions"]] == [0, 1, 2]
    assert client.post("/api/versions/1/restore", headers=auth).get_json() == {"current": 1}
    assert db.read_layer("communes")["geom_method"].tolist() == communes["geom_method"].tolist()
    assert client.post("/api/versions/9/restore", headers=auth).status_code == 404


# --------------------------------------------------------------------------- failures: CLI and service


def _geo(*args, env=None):
    full = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "DATABASE_SCHEMA")}
    full.update(env or {})
    return subprocess.run(
        [sys.executable, "-m", "geo", *args], cwd=ROOT, env=full, capture_output=True, text=True, timeout=120
    )


@pytest.mark.parametrize(
    "url, words",
    [
        ("", "DATABASE_URL is not set"),
        ("mysql://kontum@localhost/kontum", "must start with postgresql://"),
        ("postgresql://kontum:s3cret@localhost:port/kontum", "malformed"),
        ("postgresql://kontum:s3cret@localhost/kontum?nonsense=1", "malformed"),
    ],
)
def test_cli_bad_database_url_is_one_line_exit_2(url, words):
    run = _geo("db", "status", env={"DATABASE_URL": url})
    assert run.returncode == 2, run.stderr
    assert run.stderr.count("\n") == 1 and run.stderr.startswith("error: ") and words in run.stderr
    assert "Traceback" not in run.stderr and "s3cret" not in run.stderr


def test_cli_unreachable_database_is_one_line_exit_2():
    url = f"postgresql://kontum:s3cret@127.0.0.1:{free_port()}/kontum"
    for args in (["db", "init"], ["db", "load"], ["db", "migrate"], ["versions", "list"]):
        run = _geo(*args, env={"DATABASE_URL": url})
        assert run.returncode == 2, (args, run.stderr)
        assert run.stderr.count("\n") == 1 and "cannot connect to the database" in run.stderr, run.stderr
        assert "s3cret" not in run.stderr and "Traceback" not in run.stderr


def test_cli_init_load_status(scratch, gpkg):
    env = {"DATABASE_URL": scratch.url, "DATABASE_SCHEMA": scratch.schema}
    run = _geo("db", "migrate", env=env)
    assert run.returncode == 0 and "schema up to date" in run.stdout
    run = _geo("db", "load", "--gpkg", str(gpkg), env=env)  # already loaded: refused, nothing changed
    assert run.returncode == 2 and "--replace" in run.stderr and run.stderr.count("\n") == 1
    run = _geo("db", "load", "--gpkg", str(gpkg), "--replace", env=env)
    assert run.returncode == 0, run.stderr
    assert "dataset version 0" in run.stdout
    run = _geo("db", "status", env=env)
    assert run.returncode == 0 and "0001_initial.sql" in run.stdout and "current 0" in run.stdout
    run = _geo("db", "load", "--gpkg", str(gpkg.parent / "missing.gpkg"), "--replace", env=env)
    assert run.returncode == 2 and "python -m geo build" in run.stderr


def test_service_without_its_database_answers_503():
    from app import create_app

    url = f"postgresql://kontum@127.0.0.1:{free_port()}/kontum_{os.getpid()}"
    client = create_app({"TESTING": True, "DATABASE_URL": url, "DATABASE_POOL_TIMEOUT": 1}).test_client()
    try:
        for path in (
            "/ogc/collections",
            "/ogc/collections/communes/items",
            "/targets?near=border",
            "/communes/23344/neighbours",
            "/communes/without-works",
        ):
            r = client.get(path)
            assert r.status_code == 503, (path, r.status_code, r.get_data(as_text=True)[:300])
            body = r.get_json()
            assert body["code"] == "ServiceUnavailable"
            assert "không kết nối được cơ sở dữ liệu" in body["description"]  # the reader's language (vi)
        en = client.get("/ogc/collections?lang=en").get_json()["description"]
        assert en.startswith("the data are not available (cannot connect to the database")
    finally:
        factory.postgis_backend(url).close()  # its pool would go on trying
    bad = create_app({"TESTING": True, "DATABASE_URL": "postgresql://x:y@h:nope/db"}).test_client()
    r = bad.get("/targets")
    assert r.status_code == 503 and "malformed" in r.get_json()["description"] and "y@" not in r.get_data(as_text=True)


def test_service_on_an_empty_database_answers_503(pg_url):
    from app import create_app

    db = factory.postgis_backend(pg_url, f"kontum_empty_{os.getpid()}")
    try:
        db.migrate()
        client = create_app({"TESTING": True, "DATABASE_URL": db.url, "DATABASE_SCHEMA": db.schema}).test_client()
        for path in ("/ogc/collections", "/targets"):
            r = client.get(path)
            assert r.status_code == 503 and "python -m geo db load" in r.get_json()["description"]
    finally:
        drop_pg_backend(db)


# --------------------------------------------------------------------------- gunicorn, several workers


def _get(url: str) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=30) as r:
            return r.status, r.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()


def test_gunicorn_workers_share_one_database(db, gpkg, tmp_path):
    from app import create_app

    reference = create_app({"TESTING": True, "GEO_GPKG": str(gpkg)}).test_client()
    port = free_port()
    env = {**os.environ, "DATABASE_URL": db.url, "DATABASE_SCHEMA": db.schema, "GEO_STATE_DIR": str(tmp_path)}
    server = subprocess.Popen(
        [sys.executable, "-m", "app", "--port", str(port), "--workers", "3"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(150):
            try:
                if _get(base + "/ogc/conformance")[0] == 200:
                    break
            except OSError:
                time.sleep(0.2)
        else:
            pytest.fail("the server did not start")
        paths = [
            "/targets?near=border&geometry=none",
            "/ogc/collections/communes/items?limit=5&sortby=-poor_rate_2020",
            "/communes/23344/nearest-works?n=3",
            "/targets?country=KHM&geometry=none",
        ] * 6
        answers: list = [None] * len(paths)

        def fetch(i):
            answers[i] = _get(base + paths[i])

        threads = [threading.Thread(target=fetch, args=(i,)) for i in range(len(paths))]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        for path, (status, body) in zip(paths, answers):
            want = reference.get(path)
            assert status == 200 and _strip(json.loads(body)) == _strip(want.get_json()), path
        with db.connect() as conn:  # a pool per worker, opened after the fork
            names = {
                r[0]
                for r in conn.execute(
                    "SELECT application_name FROM pg_stat_activity WHERE application_name LIKE 'kontum-map:%%' "
                    "AND datname = current_database()"
                )
            }
        assert len(names - {f"kontum-map:{os.getpid()}"}) >= 2, names
        # an upload made elsewhere is served by every worker at once
        pv, data = preview("review_2020_communes.csv")
        ingest.commit_preview(pv, data, "tester")
        for _ in range(12):
            status, body = _get(base + "/ogc/collections/communes/items/23344")
            assert status == 200 and json.loads(body)["properties"]["poor_households_2020_status"] == "official"
    finally:
        server.terminate()
        try:
            server.wait(20)
        except subprocess.TimeoutExpired:  # pragma: no cover
            server.kill()


def _strip(doc):
    if isinstance(doc, dict):
        return {k: _strip(v) for k, v in doc.items() if k not in ("timeStamp", "generated_at", "links")}
    if isinstance(doc, list):
        return [_strip(v) for v in doc]
    return doc


def test_map_of_a_second_app_shows_an_upload_committed_through_the_first(db, tmp_path):
    """PostGIS mode, two app instances (two machines) on one database: the map layers
    of the second come from the database, so they show the first one's upload."""
    from app import create_app

    token = "tok-alice-0123456789"
    shared = {"TESTING": True, "DATABASE_URL": db.url, "DATABASE_SCHEMA": db.schema}
    uploader = create_app(
        {**shared, "MAP_UPLOAD_TOKEN": f"alice:{token}", "GEO_STATE_DIR": str(tmp_path / "a")}
    ).test_client()
    # the second machine has no GeoPackage and a state folder of its own
    viewer = create_app(
        {**shared, "GEO_GPKG": str(tmp_path / "missing.gpkg"), "GEO_STATE_DIR": str(tmp_path / "b")}
    ).test_client()

    def poor_rate(client) -> dict:
        r = client.get("/layers/poor_rate.geojson?year=2020&geometry=none")
        assert r.status_code == 200, r.get_data(as_text=True)[:300]
        return {f["id"]: f["properties"] for f in r.get_json()["features"]}

    before = poor_rate(viewer)
    assert before["23344"]["status"] == "synthetic"
    data = (FIX / "review_2020_communes.csv").read_bytes()
    auth = {"Authorization": f"Bearer {token}"}
    r = uploader.post(
        "/api/uploads",
        headers=auth,
        content_type="multipart/form-data",
        data={"file": (io.BytesIO(data), "review.csv"), "year": "2020", "standard": "2016-2020"},
    )
    assert r.status_code == 201, r.get_json()
    r = uploader.post(f"/api/uploads/{r.get_json()['id']}/commit", headers=auth)
    assert r.status_code == 201 and r.get_json()["version"] == 1
    after = poor_rate(viewer)
    assert after["23344"]["status"] == "official" and after["23344"] != before["23344"]
    assert after["23344"]["value"] == pytest.approx(100 * 131 / 384, abs=0.05)
    assert not (tmp_path / "a" / "versions").exists() and not (tmp_path / "b").exists()


def test_upload_recomputes_the_carried_values_in_the_database(db):
    """The PostGIS store composes a version like the files do: the carried district and 2025 values move."""
    base = db.read_layer("observations")
    before = indicators.values(base, "poor_households", "district", 2020).set_index("gso_code")
    pv, data = preview("review_2020_communes.csv")
    ingest.commit_preview(pv, data, "tester")
    obs = db.read_layer("observations")
    communes = db.read_layer("communes").set_index("gso_code")
    now = indicators.values(obs, "poor_households", "commune", 2020).set_index("gso_code")["value"]
    for level, code, column in (("district", "610", "district_code"), ("commune_2025", "23344", "code_2025")):
        members = communes.index[communes[column] == code]
        got = indicators.values(obs, "poor_households", level, 2020).set_index("gso_code").loc[code]
        assert got["value"] == now[members].sum() and got["source"].startswith("carried from the 2020 communes")
    assert indicators.values(obs, "poor_households", "district", 2020).set_index("gso_code").loc[
        "610", "value"
    ] != pytest.approx(before.loc["610", "value"])
    feature = json.loads(db.item_json("communes_2025", "23344"))
    assert feature["properties"]["poor_households_2020"] == now[communes.index[communes["code_2025"] == "23344"]].sum()
    ranked = db.targets().rank("commune_2025", {"poor_households": 1.0}, 2020, [], None)
    assert len(ranked) == 40
