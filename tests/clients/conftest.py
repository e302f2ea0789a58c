"""The live server the GIS-client tests talk to (GDAL's OAPIF driver, ogr2ogr, QGIS).

The app runs in a real HTTP server (werkzeug ``make_server``) on 127.0.0.1 and a free
port, in a child process, not a thread of the test process: pyogrio keeps the GIL while
GDAL downloads feature pages, so a server thread in the same interpreter could not answer
and every read would stall until GDAL's HTTP timeout.  ``base_url`` is the service's
``/ogc`` address, one server per test module.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
#: Run by Debian's python3 (it imports qgis), never imported by pytest (--doctest-modules).
collect_ignore = ["qgis_probe.py"]
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
