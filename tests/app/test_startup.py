"""What a server start does (issue 16): no heavy module it does not use, no distance computed again.

``python -m app`` creates the app and warms its caches in the master before
forking (app/__main__.py).  Run in a fresh interpreter, as a start is.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

SCRIPT = """
import json, sys
from geo.analysis import warm

def refuse(*args):
    raise SystemExit("the border and road distances were computed at start")

warm.compute = refuse
import app.__main__ as main
flask_app = main.create_app()
main.warm(flask_app)
client = flask_app.test_client()
resp = client.get("/targets?indicator=poor_rate&year=2020&near=border&within_km=0&top=13&geometry=none")
heavy = [m for m in ("mapclassify", "sklearn", "matplotlib", "rasterio", "scipy.ndimage",
                     "pygeofilter.parsers.cql2_text.parser", "pygeofilter.parsers.cql2_json", "dateparser")
         if m in sys.modules]
print(json.dumps({"status": resp.status_code, "returned": len(resp.get_json()["features"]), "heavy": heavy}))
"""


def test_start_reads_the_warm_file_and_imports_no_heavy_module(gpkg):
    env = dict(os.environ, GEO_GPKG=str(gpkg), PYTHONPATH=str(ROOT))
    env.pop("DATABASE_URL", None)
    res = subprocess.run([sys.executable, "-c", SCRIPT], cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)
    assert res.returncode == 0, res.stderr[-2000:]
    out = json.loads(res.stdout.strip().splitlines()[-1])
    assert out["status"] == 200
    assert out["returned"] == 13  # the 13 border communes, ranked
    assert out["heavy"] == []
