"""A raster becomes a map layer and a targeting indicator without code.

GeoTIFF → ``python -m geo zonal … --indicator ID`` → ``python -m geo build`` →
a new ``layers/ID.toml`` → the app draws it and ``/targets`` ranks by it.
"""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import rasterio
from affine import Affine

ROOT = Path(__file__).resolve().parents[2]

LAYER = """id = "test_elevation"
title_vi = "Độ cao trung bình (m)"
title_en = "Mean elevation (m)"
kind = "choropleth"
source = "communes"
level = "commune"
indicator = "test_elevation"
palette = "Greens"

[classification]
scheme = "equal_interval"
k = 4
"""


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("e2e")
    data = tmp / "data"
    shutil.copytree(ROOT / "data", data, ignore=shutil.ignore_patterns("compile"))
    layers = tmp / "layers"
    shutil.copytree(ROOT / "layers", layers)
    # A synthetic "elevation" in UTM 48N: metres = distance east of x0 / 100.
    x0, y0, px = 760_000, 1_690_000, 1_000
    arr = np.tile(np.arange(150, dtype="float32") * 10.0, (180, 1))
    tif = tmp / "elevation_utm48n.tif"
    with rasterio.open(
        tif,
        "w",
        driver="GTiff",
        width=150,
        height=180,
        count=1,
        dtype="float32",
        crs="EPSG:32648",
        transform=Affine(px, 0, x0, 0, -px, y0),
        nodata=-9999,
    ) as dst:
        dst.write(arr, 1)
    env = {
        **os.environ,
        "GEO_DATA_DIR": str(data),
        "GEO_LAYERS_DIR": str(layers),
        "GEO_GPKG": str(tmp / "k.gpkg"),
        "GEO_STATE_DIR": str(tmp / "state"),
    }

    def run(*a):
        return subprocess.run(
            [sys.executable, "-m", "geo", *a], cwd=ROOT, env=env, capture_output=True, text=True, timeout=600
        )

    zonal = run(
        "zonal",
        str(tif),
        "--indicator",
        "test_elevation",
        "--value-stat",
        "mean",
        "--unit",
        "m",
        "--name-vi",
        "Độ cao trung bình",
        "--name-en",
        "Mean elevation",
        "--polarity",
        "higher_worse",
    )
    assert zonal.returncode == 0, zonal.stderr
    built = run("build", "--output", str(tmp / "k.gpkg"))
    assert built.returncode == 0, built.stderr
    (layers / "test_elevation.toml").write_text(LAYER, encoding="utf-8")
    return env, data


def test_zonal_rows_and_catalogue_written(world):
    _, data = world
    extra = data / "indicators" / "extra"
    assert (extra / "zonal_test_elevation.csv").exists()
    assert (extra / "zonal_test_elevation.catalogue.csv").exists()


def test_new_layer_is_served_without_code(world):
    env, _ = world
    from app import create_app

    keys = ("GEO_DATA_DIR", "GEO_LAYERS_DIR", "GEO_GPKG", "GEO_STATE_DIR")
    client = create_app({"TESTING": True, **{key: env[key] for key in keys}}).test_client()
    layers = client.get("/layers").get_json()
    ids = [entry["id"] for entry in (layers["layers"] if isinstance(layers, dict) else layers)]
    assert "test_elevation" in ids
    body = client.get("/layers/test_elevation.geojson").get_json()
    assert len(body["features"]) == 102
    assert body["layer"]["synthetic"] is False
    ranked = client.get("/targets?indicator=test_elevation&top=3&geometry=none")
    assert ranked.status_code == 200, ranked.get_json()
    feats = ranked.get_json()["features"]
    # Eastern communes rank first (higher_worse: higher elevation value ranks higher).
    values = [f["properties"]["test_elevation"] for f in feats]
    assert values == sorted(values, reverse=True) and values[0] > 0
