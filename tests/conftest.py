"""Shared fixtures.

``gpkg`` builds the GeoPackage once per test session (per xdist worker) into
a temporary folder and points the process's settings (:mod:`geo.settings`,
``gpkg``) at it, so tests always run on what the current code builds, never
on a stale ``build/``.  Settings a test changes (``configure(**changes)``,
``create_app`` …) are put back after it (``_settings_restored``).

Backends (:mod:`geo.backends`): ``backend`` is parametrized — ``embedded``
(the GeoPackage) and ``postgis`` — and ``backend_config`` is what an app
needs to serve it (``create_app({... , **backend_config})``).  PostGIS comes
from ``$TEST_DATABASE_URL`` (else ``$DATABASE_URL``), else a throwaway
server that ``tests/pg/start.sh`` starts for the session (``make test``
starts one for all workers and exports ``TEST_DATABASE_URL``).  Each worker
loads the built GeoPackage into a schema of its own and drops it at the end,
so a real database is never touched outside that schema.  Without PostGIS
the postgis tests are skipped — except under CI (``CI=true``), where they
fail.  ``KONTUM_TEST_BACKENDS=embedded`` runs the embedded ones only.
"""

from __future__ import annotations

import fcntl
import io
import os
import secrets
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

import pytest
from hypothesis import settings

from geo import settings as geo_settings

# The app and geo.uploads.versions follow $DATABASE_URL: the tests choose their backend
# themselves, so a developer's DATABASE_URL only says where PostGIS may be found.
if os.environ.get("DATABASE_URL") and not os.environ.get("TEST_DATABASE_URL"):
    os.environ["TEST_DATABASE_URL"] = os.environ["DATABASE_URL"]
os.environ.pop("DATABASE_URL", None)
os.environ.pop("DATABASE_SCHEMA", None)

PG_DIR = Path(__file__).parent / "pg"
BACKENDS = [b.strip() for b in os.environ.get("KONTUM_TEST_BACKENDS", "embedded,postgis").split(",") if b.strip()]

# CI runs the same examples every time (no flaky landings); locally hypothesis
# explores new examples on every run.
settings.register_profile("ci", derandomize=True, print_blob=True)
if os.environ.get("CI"):
    settings.load_profile("ci")


# The settings every test starts from (the environment's, then the session build's: `gpkg`).
_BASELINE: dict = {"settings": None}


@pytest.fixture(autouse=True)
def _settings_restored():
    """Whatever settings a test activates (create_app, cli.main, configure), the next test
    starts from the baseline."""
    yield
    geo_settings.activate(_BASELINE["settings"])


@pytest.fixture
def configure():
    """``configure(**changes)``: the process's settings with ``changes`` (put back after the test)."""

    def change(**changes) -> geo_settings.Settings:
        conf = geo_settings.active().replace(**changes)
        geo_settings.activate(conf)
        return conf

    return change


@pytest.fixture(scope="session")
def gpkg(tmp_path_factory):
    from geo.build.compiler import build

    path = tmp_path_factory.mktemp("build") / "kontum.gpkg"
    build(path, out=io.StringIO())
    _BASELINE["settings"] = geo_settings.active().replace(gpkg=path)
    geo_settings.activate(_BASELINE["settings"])
    yield path
    _BASELINE["settings"] = None
    geo_settings.activate(None)


@pytest.fixture
def state(gpkg, tmp_path, configure):
    """Uploads and versions: the session build is the base, versions live in a temp state folder,
    and no upload token is configured unless the test sets one."""
    configure(gpkg=None, upload_token="", build_dir=gpkg.parent, state_dir=tmp_path / "state")
    return tmp_path / "state"


@pytest.fixture(scope="session")
def communes():
    from geo.units import boundaries as units

    return units.load_communes()


@pytest.fixture(scope="session")
def districts():
    from geo.units import boundaries as units

    return units.load_districts()


# --------------------------------------------------------------------------- PostGIS


def _in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() in ("1", "true", "yes")


def pg_unavailable(reason: str):
    """Skip (a developer machine without PostGIS) or fail (CI must run the PostGIS tests)."""
    if _in_ci():
        pytest.fail(f"PostGIS is required under CI=true: {reason}", pytrace=False)
    pytest.skip(f"PostGIS not available: {reason}")


@pytest.fixture(scope="session")
def pg_url():
    """A PostgreSQL + PostGIS server for this session: configured, else a throwaway one."""
    if "postgis" not in BACKENDS:
        pytest.skip("KONTUM_TEST_BACKENDS leaves PostGIS out")
    url = os.environ.get("TEST_DATABASE_URL", "").strip()
    if url:
        yield url
        return
    directory = tempfile.mkdtemp(prefix="kontum-pg-")  # in /tmp: the postgres user must reach it
    lock = Path(tempfile.gettempdir()) / "kontum-pg-start.lock"
    try:
        with open(lock, "a+") as fh:  # one apt-get / initdb at a time across xdist workers
            fcntl.flock(fh, fcntl.LOCK_EX)
            run = subprocess.run([str(PG_DIR / "start.sh"), directory], capture_output=True, text=True, timeout=900)
    except (OSError, subprocess.SubprocessError) as exc:
        shutil.rmtree(directory, ignore_errors=True)
        pg_unavailable(f"tests/pg/start.sh could not run ({exc})")
    if run.returncode != 0 or not run.stdout.strip():
        subprocess.run([str(PG_DIR / "stop.sh"), directory], capture_output=True)
        pg_unavailable((run.stderr.strip().splitlines() or ["tests/pg/start.sh failed"])[-1])
    try:
        yield run.stdout.strip().splitlines()[-1]
    finally:
        subprocess.run([str(PG_DIR / "stop.sh"), directory], capture_output=True, timeout=120)


def new_pg_backend(url: str, gpkg, prefix: str = "kontum_test"):
    """A fresh schema on ``url`` with the GeoPackage ``gpkg`` loaded as version 0."""
    from geo.backends import factory
    from geo.backends.base import BackendError

    schema = f"{prefix}_{os.getpid()}_{secrets.token_hex(3)}"
    db = factory.postgis_backend(url, schema)
    try:
        db.init()
        db.load(gpkg, who="tests")
    except BackendError as exc:
        drop_pg_backend(db)
        pg_unavailable(str(exc))
    return db


def drop_pg_backend(db) -> None:
    from psycopg import sql

    db.close()
    try:
        with db.connect(autocommit=True) as conn:
            conn.execute(sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(sql.Identifier(db.schema)))
    except Exception:  # the server may be gone already
        pass


@pytest.fixture(scope="session")
def pg_backend(pg_url, gpkg):
    """The PostGIS backend serving the session's GeoPackage (a schema of this worker's own)."""
    db = new_pg_backend(pg_url, gpkg)
    yield db
    drop_pg_backend(db)


@pytest.fixture(scope="session")
def embedded_backend(gpkg):
    from geo.backends.embedded import EmbeddedBackend

    return EmbeddedBackend(gpkg)


@pytest.fixture(scope="session", params=[b for b in ("embedded", "postgis") if b in BACKENDS])
def backend(request, gpkg):
    """Each backend in turn, serving the same data."""
    if request.param == "embedded":
        return request.getfixturevalue("embedded_backend")
    return request.getfixturevalue("pg_backend")


@pytest.fixture(scope="session")
def backend_config(backend) -> dict:
    """App settings that make ``create_app`` serve ``backend`` (nothing extra for the GeoPackage)."""
    if backend.name == "embedded":
        return {}
    return {"DATABASE_URL": backend.url, "DATABASE_SCHEMA": backend.schema}


# --------------------------------------------------------------------------- the live server of the GIS-client tests

#: Run by Debian's python3 (it imports qgis), never imported by pytest (--doctest-modules).
collect_ignore = ["clients/qgis_probe.py"]

# The live server the GIS-client tests (tests/clients/: GDAL's OAPIF driver, ogr2ogr, QGIS)
# talk to: the app in a real HTTP server (werkzeug ``make_server``) on 127.0.0.1 and a free
# port, in a child process, not a thread of the test process: pyogrio keeps the GIL while
# GDAL downloads feature pages, so a server thread in the same interpreter could not answer
# and every read would stall until GDAL's HTTP timeout.  ``base_url`` is the service's
# ``/ogc`` address, one server per test module.  (Here, not in tests/clients/conftest.py: a
# second module named ``conftest`` breaks the doctest collection of this one.)
ROOT = Path(__file__).resolve().parents[1]
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
        deadline = time.time() + 180
        while True:  # the first request builds the collections (minutes on a busy machine)
            try:
                urllib.request.urlopen(url + "/collections", timeout=180).read()
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
            pyogrio = pytest.importorskip("pyogrio")
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
