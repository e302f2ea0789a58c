"""``python -m geo ingest-boundaries``: preview from the command line, clear errors, nothing written."""

import os
import subprocess
import sys
from pathlib import Path

import geopandas as gpd

ROOT = Path(__file__).resolve().parents[3]


def run(*args, state, build=None):
    env = {**os.environ, "GEO_STATE_DIR": str(state)}
    if build is not None:  # the session build, not whatever build/ holds
        env["GEO_BUILD_DIR"] = str(build)
    env.pop("GEO_GPKG", None)
    return subprocess.run(
        [sys.executable, "-m", "geo", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300
    )


def test_dry_run_of_vn2000_boundaries_writes_nothing(gpkg, tmp_path):
    communes = gpd.read_file(ROOT / "data/boundaries/kontum_communes_2020.geojson").to_crs("EPSG:9216")
    path = tmp_path / "communes_vn2000.gpkg"
    communes.to_file(path, driver="GPKG")
    state = tmp_path / "state"
    res = run("ingest-boundaries", str(path), "--dry-run", state=state, build=gpkg.parent)
    assert res.returncode == 0, res.stderr
    assert "dry run: nothing was written" in res.stderr
    assert not (state / "versions").exists() or not any((state / "versions").iterdir())


def test_missing_file_is_one_line_exit_2(tmp_path):
    res = run("ingest-boundaries", str(tmp_path / "nope.geojson"), state=tmp_path / "state")
    assert res.returncode == 2
    assert res.stderr.startswith("error:") and len(res.stderr.strip().splitlines()) == 1
