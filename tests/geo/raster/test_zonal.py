"""Zonal statistics: tiny generated rasters with answers computed by hand."""

from __future__ import annotations

import math
import tracemalloc

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import rasterio
import rasterio.features
from affine import Affine
from rasterio.io import DatasetReader
from rasterio.warp import Resampling, calculate_default_transform, reproject
from shapely.geometry import box

from geo import cli
from geo.raster import zonal
from geo.raster.grid import RasterError

X0, Y0 = 800_000.0, 1_610_000.0  # top-left corner, UTM 48N
KM = 1000.0
UTM = "EPSG:32648"
NODATA = -9999.0
# VN-2000 / TM-3 zone with central meridian 107°30' (the zone used for Kon Tum), as a PROJ string.
VN2000_TM3 = (
    "+proj=tmerc +lat_0=0 +lon_0=107.5 +k=0.9999 +x_0=500000 +y_0=0 +ellps=WGS84 "
    "+towgs84=-191.90441429,-39.30318279,-111.45032835,-0.00928836,0.01975479,-0.00427372,"
    "0.252906278 +units=m +no_defs"
)


def write_tif(path, array, transform, crs=UTM, nodata=NODATA, **extra):
    profile = {
        "driver": "GTiff",
        "width": array.shape[1],
        "height": array.shape[0],
        "count": 1,
        "dtype": array.dtype.name,
        "transform": transform,
        "nodata": nodata,
        **extra,
    }
    if crs is not None:
        profile["crs"] = crs
    with rasterio.open(path, "w", **profile) as dst:
        dst.write(array, 1)
    return path


def square(x_km, y_km, w_km, h_km=None):
    """A box whose top-left corner is (x_km, y_km) km from the raster's top-left corner."""
    h_km = w_km if h_km is None else h_km
    return box(X0 + x_km * KM, Y0 - (y_km + h_km) * KM, X0 + (x_km + w_km) * KM, Y0 - y_km * KM)


def units_of(**geoms):
    return gpd.GeoDataFrame({"gso_code": list(geoms), "name": list(geoms)}, geometry=list(geoms.values()), crs=UTM)


@pytest.fixture
def grid_tif(tmp_path):
    """10 × 10 pixels of 1 km; pixel (row, col) = 10·row + col; one nodata and one NaN pixel."""
    array = np.arange(100, dtype="float32").reshape(10, 10)
    array[3, 6] = NODATA
    array[4, 7] = np.nan
    return write_tif(tmp_path / "grid.tif", array, Affine(KM, 0, X0, 0, -KM, Y0))


@pytest.fixture
def units():
    return units_of(
        a=square(0, 0, 2),  # pixels (0,0) (0,1) (1,0) (1,1): 0 1 10 11
        b=square(5, 2, 3),  # rows 2-4, cols 5-7 with one nodata, one NaN
        partial=square(8, 6, 4, 2),  # half off the right edge: 68 69 78 79
        outside=square(100, 100, 2),  # nowhere near the raster
        tiny=box(X0 + 2100, Y0 - 8900, X0 + 2300, Y0 - 8700),  # inside pixel (8, 2), no centre
    )


def test_exact_answers(grid_tif, units):
    t = zonal.zonal_stats(grid_tif, units)
    assert list(t.index) == ["a", "b", "partial", "outside", "tiny"]  # same order, none dropped
    assert list(t.columns) == ["mean", "sum", "min", "max", "count", "coverage", "method"]
    a = t.loc["a"]
    assert (a["mean"], a["sum"], a["min"], a["max"], a["count"], a["coverage"]) == (5.5, 22, 0, 11, 4, 1.0)
    assert a["method"] == "centre"


def test_nodata_and_nan_excluded(grid_tif, units):
    b = zonal.zonal_stats(grid_tif, units).loc["b"]
    values = [25, 26, 27, 35, 37, 45, 46]  # 36 is nodata, 47 is NaN
    assert b["count"] == 7
    assert b["sum"] == sum(values)
    assert b["mean"] == pytest.approx(sum(values) / 7)
    assert (b["min"], b["max"]) == (25, 46)
    assert b["coverage"] == pytest.approx(7 / 9)


def test_partial_overlap_and_outside_reported(grid_tif, units):
    t = zonal.zonal_stats(grid_tif, units)
    p = t.loc["partial"]
    assert (p["count"], p["mean"], p["coverage"]) == (4, 73.5, 0.5)
    out = t.loc["outside"]
    assert out["count"] == 0 and math.isnan(out["mean"]) and math.isnan(out["sum"])
    assert out["coverage"] == 0 and out["method"] == "outside"


def test_unit_smaller_than_a_pixel(grid_tif, units):
    tiny = zonal.zonal_stats(grid_tif, units).loc["tiny"]
    assert (tiny["mean"], tiny["count"], tiny["coverage"]) == (82, 1, 1.0)
    assert tiny["method"] == "all_touched_fallback"


def test_point_fallback(grid_tif, monkeypatch):
    """When neither rule burns a pixel, the pixel under the representative point is used."""
    real = zonal._accumulate
    monkeypatch.setattr(
        zonal,
        "_accumulate",
        lambda src, band, geom, at, chunk: zonal._Acc() if geom.area < 1e6 else real(src, band, geom, at, chunk),
    )
    u = units_of(tiny=box(X0 + 2100, Y0 - 8900, X0 + 2300, Y0 - 8700), a=square(0, 0, 2))
    t = zonal.zonal_stats(grid_tif, u)
    assert t.loc["tiny", ["mean", "count", "coverage", "method"]].tolist() == [82, 1, 1.0, "point_fallback"]
    assert t.loc["a", "method"] == "centre"


def test_degenerate_unit_still_gets_a_value(grid_tif):
    flat = gpd.GeoDataFrame({"gso_code": ["s"]}, geometry=[box(X0 + 2500, Y0 - 8500, X0 + 2500, Y0 - 8400)], crs=UTM)
    row = zonal.zonal_stats(grid_tif, flat).loc["s"]
    assert row["count"] >= 1 and row["mean"] in (72, 82)


def test_all_touched(grid_tif):
    u = units_of(c=box(X0 + 400, Y0 - 2600, X0 + 2400, Y0 - 600))
    centre = zonal.zonal_stats(grid_tif, u).loc["c"]
    assert (centre["count"], centre["mean"]) == (4, 15.5)  # 10 11 20 21
    touched = zonal.zonal_stats(grid_tif, u, all_touched=True).loc["c"]
    assert (touched["count"], touched["mean"], touched["coverage"]) == (9, 11, 1.0)  # rows 0-2, cols 0-2
    assert touched["method"] == "all_touched"


def test_units_in_wgs84_are_reprojected(grid_tif, units):
    in_utm = zonal.zonal_stats(grid_tif, units)
    in_wgs = zonal.zonal_stats(grid_tif, units.to_crs(4326))
    pd.testing.assert_frame_equal(in_utm, in_wgs)


def test_stats_selection_keeps_count_coverage_method(grid_tif, units):
    t = zonal.zonal_stats(grid_tif, units, stats="sum,mean")
    assert list(t.columns) == ["sum", "mean", "count", "coverage", "method"]
    with pytest.raises(RasterError, match="unknown statistic"):
        zonal.zonal_stats(grid_tif, units, stats="median")


def test_integer_raster_with_nodata(tmp_path, units):
    array = np.arange(100, dtype="int16").reshape(10, 10)
    array[0, 0] = -1
    tif = write_tif(tmp_path / "i.tif", array, Affine(KM, 0, X0, 0, -KM, Y0), nodata=-1)
    a = zonal.zonal_stats(tif, units).loc["a"]
    assert (a["count"], a["sum"], a["min"], a["coverage"]) == (3, 22, 1, 0.75)


# ------------------------------------------------------------------ other CRS


def _linear_tif(tmp_path):
    """100 m pixels over 10 km; value = x_km + 2·y_km (from the raster's bottom-left corner)."""
    n = 100
    cols, rows = np.meshgrid(np.arange(n) + 0.5, np.arange(n) + 0.5)
    array = (cols * 0.1 + 2 * (n - rows) * 0.1).astype("float32")
    return write_tif(tmp_path / "linear.tif", array, Affine(100, 0, X0, 0, -100, Y0))


def _warp(src_path, dst_path, crs):
    with rasterio.open(src_path) as src:
        transform, width, height = calculate_default_transform(src.crs, crs, src.width, src.height, *src.bounds)
        profile = src.profile | {"crs": crs, "transform": transform, "width": width, "height": height}
        with rasterio.open(dst_path, "w", **profile) as dst:
            reproject(rasterio.band(src, 1), rasterio.band(dst, 1), resampling=Resampling.bilinear, dst_nodata=NODATA)
    return dst_path


@pytest.mark.parametrize("crs", ["EPSG:4326", "EPSG:3405", VN2000_TM3], ids=["wgs84", "vn2000-utm48", "vn2000-tm3"])
def test_raster_in_another_crs_gives_the_same_answers(tmp_path, crs):
    utm = _linear_tif(tmp_path)
    other = _warp(utm, tmp_path / "other.tif", crs)
    u = units_of(p=square(1, 1, 3), q=square(5, 4, 3, 4), r=square(2, 6, 2))
    expect = zonal.zonal_stats(utm, u)
    got = zonal.zonal_stats(other, u.to_crs(4326))
    with rasterio.open(other) as src:
        assert src.crs != rasterio.crs.CRS.from_string(UTM)
    for code in u["gso_code"]:
        # A linear field: the mean over a square is the value at its centre.
        c = u.set_index("gso_code").geometry[code].centroid
        exact = (c.x - X0) / KM + 2 * (c.y - (Y0 - 10 * KM)) / KM
        assert expect.loc[code, "mean"] == pytest.approx(exact, abs=1e-3)
        assert got.loc[code, "mean"] == pytest.approx(exact, abs=0.15)
        assert got.loc[code, "coverage"] == pytest.approx(1.0)
        assert got.loc[code, "min"] == pytest.approx(expect.loc[code, "min"], abs=0.4)
        assert got.loc[code, "max"] == pytest.approx(expect.loc[code, "max"], abs=0.4)


def test_vn2000_raster_is_not_read_as_wgs84(tmp_path):
    """The same pixels labelled VN-2000 sit ~200 m away: the geometries move, the raster does not."""
    cols = np.tile(np.arange(100) + 0.5, (100, 1))
    array = (cols * 0.1).astype("float32")  # value = x in km from the left edge
    utm = write_tif(tmp_path / "utm.tif", array, Affine(100, 0, X0, 0, -100, Y0))
    vn = write_tif(tmp_path / "vn.tif", array, Affine(100, 0, X0, 0, -100, Y0), crs="EPSG:3405")
    u = units_of(p=square(3, 3, 3))
    a = zonal.zonal_stats(utm, u).loc["p"]
    b = zonal.zonal_stats(vn, u).loc["p"]
    assert a["mean"] == pytest.approx(4.5, abs=1e-6)
    # WGS 84 → VN-2000 moves this square by about -196 m in x: two 100 m pixel columns.
    assert b["mean"] - a["mean"] == pytest.approx(-0.2, abs=0.01)
    assert b["count"] == a["count"] == 900


# ------------------------------------------------------------------ memory


def test_every_read_is_windowed(tmp_path, monkeypatch, grid_tif, units):
    calls = []
    real_read = DatasetReader.read

    def spy(self, *args, **kwargs):
        calls.append(kwargs.get("window"))
        assert kwargs.get("window") is not None, "read() without a window reads the whole file"
        return real_read(self, *args, **kwargs)

    monkeypatch.setattr(DatasetReader, "read", spy)
    zonal.zonal_stats(grid_tif, units)
    assert calls and all(w.width * w.height < 100 for w in calls)


def test_memory_stays_bounded_for_a_large_raster(tmp_path):
    n = 4000
    path = tmp_path / "big.tif"
    profile = {
        "driver": "GTiff",
        "width": n,
        "height": n,
        "count": 1,
        "dtype": "uint8",
        "crs": UTM,
        "transform": Affine(10, 0, X0, 0, -10, Y0),
        "nodata": 255,
        "tiled": True,
        "blockxsize": 256,
        "blockysize": 256,
        "compress": "deflate",
    }
    expected_sum = 0
    with rasterio.open(path, "w", **profile) as dst:
        for r0 in range(0, n, 500):
            rows = np.arange(r0, r0 + 500)[:, None]
            block = ((rows // 100 + np.arange(n)[None, :] // 100) % 200).astype("uint8")
            expected_sum += int(block.sum(dtype="int64"))
            dst.write(block, 1, window=rasterio.windows.Window(0, r0, n, 500))
    whole = box(X0 - 5, Y0 - n * 10 - 5, X0 + n * 10 + 5, Y0 + 5)
    disc = whole.centroid.buffer(15_000)
    with rasterio.open(path) as src:  # the answer for the disc, computed the memory-hungry way
        inside = rasterio.features.geometry_mask([disc], (n, n), src.transform, invert=True)
        disc_sum, disc_count = int(src.read(1)[inside].sum(dtype="int64")), int(inside.sum())
        del inside
    tracemalloc.start()
    try:
        t = zonal.zonal_stats(path, units_of(all=whole, disc=disc), stats=("sum", "count"))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert t.loc["all", "count"] == n * n
    assert t.loc["all", "sum"] == expected_sum
    assert (t.loc["disc", "count"], t.loc["disc", "sum"]) == (disc_count, disc_sum)
    assert peak < (n * n) / 4, f"peak {peak / 1e6:.1f} MB for a {n * n / 1e6:.0f} MB raster"


def test_chunks_follow_the_blocks(tmp_path):
    path = write_tif(
        tmp_path / "t.tif",
        np.zeros((600, 600), "uint8"),
        Affine(10, 0, X0, 0, -10, Y0),
        nodata=None,
        tiled=True,
        blockxsize=256,
        blockysize=256,
    )
    with rasterio.open(path) as src:
        assert zonal.chunk_shape(src) == (512, 512)
    assert list(zonal._chunks((-10, 600, 500, 520), (512, 512))) == [
        (-10, 0, 500, 512),
        (-10, 0, 512, 520),
        (0, 512, 500, 512),
        (0, 512, 512, 520),
        (512, 600, 500, 512),
        (512, 600, 512, 520),
    ]


# ------------------------------------------------------------------ bad input


def test_errors(tmp_path, units):
    with pytest.raises(FileNotFoundError):
        zonal.zonal_stats(tmp_path / "missing.tif", units)
    text = tmp_path / "notes.tif"
    text.write_text("not a raster at all\n")
    with pytest.raises(RasterError, match="not a raster"):
        zonal.zonal_stats(text, units)
    nocrs = write_tif(tmp_path / "nocrs.tif", np.ones((4, 4), "float32"), Affine(KM, 0, X0, 0, -KM, Y0), crs=None)
    with pytest.raises(RasterError, match="no CRS"):
        zonal.zonal_stats(nocrs, units)
    far = write_tif(tmp_path / "far.tif", np.ones((4, 4), "float32"), Affine(KM, 0, 100_000, 0, -KM, 100_000))
    with pytest.raises(RasterError, match="does not overlap Kon Tum"):
        zonal.zonal_stats(far, units)
    with pytest.raises(RasterError, match="band 2"):
        zonal.zonal_stats(far, units, band=2)
    with pytest.raises(RasterError, match="unknown level"):
        zonal.zonal_stats(far, "village")


def test_max_pixels(grid_tif, units):
    with pytest.raises(RasterError, match="too many pixels"):
        zonal.zonal_stats(grid_tif, units, max_pixels=10)


# ------------------------------------------------------------------ real units


@pytest.fixture(scope="module")
def kontum_tif(tmp_path_factory):
    """Ones on 500 m pixels over Kon Tum (UTM 48N): sum × 0.25 km² ≈ area."""
    from geo.units import boundaries as units

    minx, miny, maxx, maxy = units.load_communes().to_crs(UTM).total_bounds
    width, height = int((maxx - minx) // 500) + 4, int((maxy - miny) // 500) + 4
    path = tmp_path_factory.mktemp("kt") / "ones.tif"
    return write_tif(
        path,
        np.ones((height, width), "float32"),
        Affine(500, 0, minx - 1000, 0, -500, maxy + 1000),
        tiled=True,
        blockxsize=256,
        blockysize=256,
    )


@pytest.mark.parametrize("level, n", [("commune", 102), ("district", 10)])
def test_real_units(kontum_tif, level, n):
    from geo.units.boundaries import load_units

    t = zonal.zonal_stats(kontum_tif, level)
    area = load_units(level).set_index("gso_code")["area_km2"]
    assert len(t) == n and (t["count"] > 0).all()
    assert (t["mean"] == 1).all() and (t["coverage"] == 1).all()
    # Pixel-centre counting on 0.25 km² pixels: within 10 % (+1 km² for the smallest wards).
    assert (abs(t["sum"] * 0.25 - area.loc[t.index]) <= 0.1 * area.loc[t.index] + 1.0).all()
    assert abs(t["sum"].sum() * 0.25 - area.sum()) / area.sum() < 0.01


# ------------------------------------------------------------------ command line


def run_cli(capsys, *argv):
    rc = cli.main(list(map(str, argv)))
    out = capsys.readouterr()
    return rc, out.out, out.err


def test_cli_prints_and_writes(kontum_tif, tmp_path, capsys):
    rc, out, err = run_cli(capsys, "zonal", kontum_tif, "--level", "district", "--stats", "mean,sum")
    assert rc == 0
    table = pd.read_csv(pd.io.common.StringIO(out), dtype={"gso_code": str})
    assert len(table) == 10 and list(table.columns) == [
        "gso_code",
        "name",
        "mean",
        "sum",
        "count",
        "coverage",
        "method",
    ]
    rc, out, err = run_cli(capsys, "zonal", kontum_tif, "--out", tmp_path / "r.csv", "--all-touched")
    assert rc == 0 and "wrote" in out
    written = pd.read_csv(tmp_path / "r.csv", dtype={"gso_code": str})
    assert len(written) == 102 and set(written["method"]) == {"all_touched"}


def test_cli_indicator_writes_observations(kontum_tif, tmp_path, capsys, monkeypatch):
    from geo import paths

    monkeypatch.setattr(paths, "indicators_dir", lambda: tmp_path / "indicators")
    rc, out, err = run_cli(
        capsys,
        "zonal",
        kontum_tif,
        "--indicator",
        "test_ones",
        "--value-stat",
        "sum",
        "--year",
        2020,
        "--unit",
        "pixels",
    )
    assert rc == 0, err
    path = tmp_path / "indicators" / "extra" / "zonal_test_ones.csv"
    obs = pd.read_csv(path, dtype={"gso_code": str})
    assert list(obs.columns) == zonal.OBS_COLUMNS
    assert len(obs) == 102 and set(obs["status"]) == {"derived"} and set(obs["indicator"]) == {"test_ones"}
    assert set(obs["year"]) == {2020} and set(obs["unit"]) == {"pixels"}
    source = obs["source"].iloc[0]
    assert "ones.tif" in source and "sha256" in source and "file dated" in source
    cat = pd.read_csv(path.with_suffix(".catalogue.csv"))
    assert cat["id"].tolist() == ["test_ones"] and cat["unit"].tolist() == ["pixels"]
    rc, out, err = run_cli(capsys, "zonal", kontum_tif, "--indicator", "Bad-Id")
    assert rc == 2 and err.startswith("error:") and len(err.strip().splitlines()) == 1


def test_cli_errors_exit_2_with_one_line(tmp_path, capsys):
    text = tmp_path / "x.tif"
    text.write_text("hello")
    nocrs = write_tif(tmp_path / "nocrs.tif", np.ones((4, 4), "float32"), Affine(KM, 0, X0, 0, -KM, Y0), crs=None)
    far = write_tif(tmp_path / "far.tif", np.ones((4, 4), "float32"), Affine(KM, 0, 100_000, 0, -KM, 100_000))
    cases = {
        tmp_path / "missing.tif": "no such file",
        text: "not a raster",
        nocrs: "no CRS",
        far: "does not overlap Kon Tum",
        tmp_path: "folder",
    }
    for path, message in cases.items():
        rc, out, err = run_cli(capsys, "zonal", path)
        assert rc == 2, (path, err)
        assert err.startswith("error:") and message in err
        assert len(err.strip().splitlines()) == 1 and "Traceback" not in err
    rc, out, err = run_cli(capsys, "zonal", far, "--stats", "mean,median")
    assert rc == 2 and "unknown statistic" in err
