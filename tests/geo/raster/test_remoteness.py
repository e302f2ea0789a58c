"""Distance surfaces, remoteness indicators and GeoTIFF exports."""

from __future__ import annotations

import math

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import rasterio
import shapely
from shapely.geometry import LineString, Point, box

from geo import cli, paths
from geo.raster import remoteness
from geo.raster.grid import FLOAT_NODATA, Grid, RasterError, indicator_product, write_geotiff

UTM = "EPSG:32648"


# ------------------------------------------------------------------ small exact cases


def strip_units():
    """Two communes: a 2 × 1 km strip and a 1 km square east of it (edges on the 250 m grid)."""
    return gpd.GeoDataFrame(
        {"gso_code": ["s", "e"], "name": ["Strip", "East"]},
        geometry=[box(800_000, 1_600_000, 802_000, 1_601_000), box(802_000, 1_600_000, 803_000, 1_601_000)],
        crs=UTM,
    )


def test_distance_exact_on_a_small_grid():
    roads = gpd.GeoDataFrame(geometry=[LineString([(800_000, 1_600_125), (802_000, 1_600_125)])], crs=UTM)
    s = remoteness.remoteness_surface("roads", strip_units(), roads, resolution=250)
    # Cell centres of the strip lie 0, 250, 500, 750 m north of the road's row.
    assert s.sample(801_000, 1_600_125) == 0
    assert s.sample(801_000, 1_600_900) == pytest.approx(0.75)
    table = remoteness.remoteness_indicators(strip_units(), roads, _works([(800_100, 1_600_100)]), 250)
    assert table.loc["s", "remoteness_road_mean_km"] == pytest.approx(0.375)
    assert table.loc["s", "remoteness_road_max_km"] == pytest.approx(0.75)
    # The east square's corner cell is 1 km east and 0.75 km north of the road's last cell.
    assert table.loc["e", "remoteness_road_max_km"] == pytest.approx(math.hypot(1.0, 0.75), abs=1e-3)
    assert s.product().array[0, 0] == FLOAT_NODATA  # margin cells off the communes are nodata


def _works(points, kinds=None):
    kinds = kinds or ["electrification"] * len(points)
    return gpd.GeoDataFrame(
        {"kind": kinds, "location_precision": ["commune"] * len(points)}, geometry=[Point(p) for p in points], crs=UTM
    )


def test_power_uses_electrification_works_only():
    works = _works([(800_125, 1_600_125), (802_875, 1_600_875)], ["electrification", "poverty_model"])
    s = remoteness.remoteness_surface("power", strip_units(), works, resolution=250)
    assert s.n_features == 1
    assert s.sample(800_125, 1_600_125) == 0
    assert s.sample(802_875, 1_600_875) == pytest.approx(math.hypot(2.75, 0.75), abs=1e-3)
    with pytest.raises(RasterError, match="no electrification works"):
        remoteness.remoteness_surface("power", strip_units(), works[works.kind != "electrification"])
    with pytest.raises(RasterError, match="unknown target"):
        remoteness.remoteness_surface("rivers", strip_units(), works)


def test_a_road_off_the_province_widens_the_grid():
    # The only road is 30 km north: the grid must reach it, and the distance is exact.
    roads = gpd.GeoDataFrame(geometry=[LineString([(790_000, 1_631_125), (812_000, 1_631_125)])], crs=UTM)
    s = remoteness.remoteness_surface("roads", strip_units(), roads, resolution=250)
    assert s.sample(801_125, 1_600_125) == pytest.approx(31.0)


@pytest.mark.parametrize("bad", [10, 49.9, 5001, "abc", float("nan")])
def test_resolution_bounds(bad):
    with pytest.raises(RasterError, match="resolution"):
        remoteness.remoteness_surface("roads", strip_units(), strip_units(), resolution=bad)


def test_grid_snaps_to_resolution():
    g = Grid.covering((800_010, 1_600_020, 801_990, 1_600_980), 250, margin=100)
    assert g.bounds == (799_750, 1_599_750, 802_250, 1_601_250)
    assert g.shape == (6, 10)


# ------------------------------------------------------------------ real data


@pytest.fixture(scope="module")
def real():
    from geo.indicators import catalogue
    from geo.units import boundaries as units

    communes, roads, works = units.load_communes(), units.load_roads(), catalogue.load_works()
    surfaces = remoteness.remoteness_surfaces(communes, roads, works, 250)
    table = remoteness.remoteness_indicators(communes, roads, works, 250, surfaces)
    return communes, roads, works, surfaces, table


def test_every_commune_gets_a_value(real):
    communes, _, _, _, table = real
    assert len(table) == 102 and set(table.index) == set(communes["gso_code"])
    for target in ("road", "power"):
        mean, high = table[f"remoteness_{target}_mean_km"], table[f"remoteness_{target}_max_km"]
        assert mean.notna().all() and high.notna().all()
        assert (mean >= 0).all() and (high >= mean).all()
    assert (table["roads_cells"] > 0).all()


def test_zero_on_the_road(real):
    communes, roads, _, surfaces, _ = real
    outline = communes.to_crs(UTM).union_all()
    vertices = [Point(xy) for xy in shapely.get_coordinates(roads.to_crs(UTM).geometry)]
    inside = [p for p in vertices if outline.contains(p)]
    assert len(inside) > 20
    assert all(surfaces["roads"].sample(p.x, p.y) == 0 for p in inside[:: max(1, len(inside) // 50)])


def test_close_to_the_exact_vector_distance(real):
    communes, roads, _, surfaces, _ = real
    s = surfaces["roads"]
    lines = roads.to_crs(UTM).union_all()
    rows, cols = np.nonzero(~np.isnan(s.km))
    pick = np.random.default_rng(5).choice(len(rows), 200, replace=False)
    for i in pick:
        x, y = s.grid.transform @ (cols[i] + 0.5, rows[i] + 0.5)
        exact = lines.distance(Point(x, y)) / 1000
        assert abs(s.km[rows[i], cols[i]] - exact) <= 0.25 / math.sqrt(2) + 1e-3


def test_ql14_communes_are_closer_than_the_median(real):
    communes, roads, _, _, table = real
    ql14 = roads[roads["name"] == "Quốc lộ 14"].to_crs(UTM).union_all()
    crossed = communes.to_crs(UTM)
    crossed = crossed[crossed.geometry.intersection(ql14).length > 500]["gso_code"]
    assert len(crossed) >= 15
    median = table["remoteness_road_mean_km"].median()
    assert (table.loc[crossed, "remoteness_road_mean_km"] < median).all()


def test_observations(real):
    communes, roads, works, surfaces, table = real
    obs = remoteness.remoteness_observations(communes, roads, works, 250, surfaces=surfaces)
    assert len(obs) == 4 * 102
    assert set(obs["indicator"]) == set(remoteness.CATALOGUE["id"])
    assert set(obs["status"]) == {"derived"} and set(obs["unit"]) == {"km"}
    assert obs["source"].str.contains("distance_transform_edt").all()
    assert obs.loc[obs.indicator.str.contains("power"), "source"].str.contains("electrification").all()
    assert obs["value"].notna().all() and obs["year"].isna().all()
    cat = pd.read_csv(paths.indicators_dir() / "catalogue.csv", nrows=0)
    assert list(remoteness.CATALOGUE.columns) == list(cat.columns)
    assert set(remoteness.CATALOGUE["polarity"]) == {"higher_worse"}


def test_surface_geotiff(real, tmp_path):
    s = real[3]["roads"]
    path = write_geotiff(tmp_path / "roads.tif", s.product())
    with rasterio.open(path) as src:
        assert src.crs.to_epsg() == 32648
        assert src.nodata == FLOAT_NODATA
        assert "remoteness_roads" in src.descriptions[0] and "derived" in src.descriptions[0]
        assert src.profile["compress"] == "deflate" and src.profile["tiled"]
        assert src.block_shapes[0] == (256, 256)
        assert src.units[0] == "km" and src.tags()["STATUS"] == "derived"
        data = src.read(1, masked=True)
    assert np.allclose(data.filled(np.nan), s.km, equal_nan=True)


# ------------------------------------------------------------------ indicator export (built data)


def test_indicator_geotiff_is_marked_synthetic(gpkg, tmp_path):
    product = indicator_product("poor_rate", 2020)
    path = write_geotiff(tmp_path / "poor.tif", product)
    with rasterio.open(path) as src:
        assert src.crs.to_epsg() == 32648 and src.nodata == FLOAT_NODATA
        desc = src.descriptions[0]
        assert "poor_rate" in desc and "2020" in desc and "synthetic" in desc
        assert src.tags()["INDICATOR"] == "poor_rate" and "synthetic" in src.tags()["STATUS"]
        data = src.read(1, masked=True)
    assert data.count() > 0 and float(data.min()) >= 0 and float(data.max()) <= 100


def test_classed_export_has_a_colour_table(gpkg, tmp_path):
    path = write_geotiff(tmp_path / "c.tif", indicator_product("poor_rate", 2020, classes=5))
    with rasterio.open(path) as src:
        assert src.dtypes[0] == "uint8" and src.nodata == 0
        cmap = src.colormap(1)
        assert cmap[1] != cmap[5] and src.tags()["BREAKS"].count(",") == 5
        assert set(np.unique(src.read(1))) <= set(range(6))


def test_export_refuses_mixed_standards_and_labels_years():
    cat = pd.DataFrame(
        {
            "id": ["poor_rate"],
            "name_vi": ["Tỷ lệ hộ nghèo"],
            "name_en": ["Poverty rate"],
            "unit": ["%"],
            "polarity": ["higher_worse"],
        }
    )
    obs = pd.DataFrame(
        {
            "unit_level": ["commune", "commune"],
            "gso_code": ["s", "e"],
            "indicator": ["poor_rate"] * 2,
            "year": [2020, 2021],
            "qualifier": ["=", "="],
            "value": [10.0, 20.0],
            "standard": ["A", "B"],
            "status": ["official", "synthetic"],
            "source": ["x", "y"],
            "note": ["", ""],
        }
    )
    # a poverty indicator's default is one year and one standard (the same at every
    # level): the latest best-covered, 2021 by "B" — never 2020's "A" beside it
    p = indicator_product("poor_rate", None, 250, communes=strip_units(), observations=obs, catalogue=cat)
    assert p.tags["YEAR"] == "2021" and p.tags["STANDARD"] == "B"
    assert set(np.unique(p.array).tolist()) == {20.0, FLOAT_NODATA}
    assert "demo data" in p.description
    # a standard these values do not have: a clear error, never another standard's values
    with pytest.raises(RasterError, match="has no commune values by the standard 2016-2020"):
        indicator_product(
            "poor_rate", None, 250, communes=strip_units(), observations=obs, catalogue=cat, standard="2016-2020"
        )


def test_district_level_export(gpkg, tmp_path):
    from geo.indicators import values as indicators
    from geo.io import storage

    obs = storage.read_layer("observations")
    year = 2020
    product = indicator_product("poor_rate", year, 1000, level="district")
    assert product.tags["LEVEL"] == "district" and product.tags["UNITS_WITH_VALUE"] == 10
    values = set(np.unique(product.array[product.array != FLOAT_NODATA]).round(3))
    expected = set(indicators.values(obs, "poor_rate", "district", year)["value"].astype("float32").round(3))
    assert values == expected


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"indicator": "no_such_thing", "year": 2020}, "unknown indicator"),
        ({"indicator": "poor_rate", "year": 1990}, "no commune values for 1990"),
        ({"indicator": "poor_rate", "year": 2020, "classes": 12}, "classes"),
        ({"indicator": "poor_rate", "year": 2020, "resolution": 20}, "resolution"),
        ({"indicator": "poor_rate", "year": 2020, "level": "village"}, "level"),
    ],
)
def test_indicator_export_errors(gpkg, kwargs, message):
    with pytest.raises(RasterError, match=message):
        indicator_product(**kwargs)


# ------------------------------------------------------------------ command line


def run_cli(capsys, *argv):
    rc = cli.main(list(map(str, argv)))
    out = capsys.readouterr()
    return rc, out.out, out.err


def test_cli_remoteness_and_export(gpkg, tmp_path, capsys):
    rc, out, err = run_cli(
        capsys, "remoteness", "--out", tmp_path / "surf", "--resolution", 1000, "--csv", tmp_path / "r.csv"
    )
    assert rc == 0, err
    for name in ("remoteness_roads_1000m.tif", "remoteness_power_1000m.tif"):
        with rasterio.open(tmp_path / "surf" / name) as src:
            assert src.crs.to_epsg() == 32648 and src.res == (1000, 1000)
    assert len(pd.read_csv(tmp_path / "r.csv")) == 102
    rc, out, err = run_cli(
        capsys, "raster-export", "--indicator", "poor_rate", "--year", 2020, "--out", tmp_path / "x.tif"
    )
    assert rc == 0 and "synthetic" in out
    with rasterio.open(tmp_path / "x.tif") as src:
        assert "synthetic" in src.descriptions[0]


@pytest.mark.parametrize(
    "argv, message",
    [
        (["raster-export", "--indicator", "nope", "--out", "{tmp}/x.tif"], "unknown indicator"),
        (["raster-export", "--indicator", "poor_rate", "--year", "1990", "--out", "{tmp}/x.tif"], "no commune values"),
        (["raster-export", "--indicator", "poor_rate", "--resolution", "10", "--out", "{tmp}/x.tif"], "resolution"),
        (["remoteness", "--out", "{tmp}/d", "--resolution", "9000"], "resolution"),
        (["remoteness", "--out", "{tmp}/file.txt"], "not a folder"),
    ],
)
def test_cli_errors(gpkg, tmp_path, capsys, argv, message):
    (tmp_path / "file.txt").write_text("x")
    rc, out, err = run_cli(capsys, *[a.format(tmp=tmp_path) for a in argv])
    assert rc == 2 and err.startswith("error:") and message in err
    assert len(err.strip().splitlines()) == 1
    assert not (tmp_path / "x.tif").exists()
