"""A real OGC API – Features client: GDAL's OAPIF driver (through pyogrio) against /ogc.

The app runs in a real HTTP server in a child process (``base_url``, tests/clients/conftest.py).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import urllib.request
from pathlib import Path

import pytest
from fixtures import truth
from shapely.geometry import box

pyogrio = pytest.importorskip("pyogrio")

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.skipif("OAPIF" not in pyogrio.list_drivers(), reason="GDAL without OAPIF")


def oapif(url):
    return "OAPIF:" + url


def test_list_layers(base_url):
    layers = pyogrio.list_layers(oapif(base_url))
    names = [str(n) for n, _ in layers]
    assert names == ["communes", "districts", "works", "roads", "border", "communes_2025"]
    types = {str(n): str(t) for n, t in layers}
    assert types["works"] == "Point" and types["border"] == "LineString"


def test_read_communes(base_url, gpkg):
    from geo.io import storage

    df = pyogrio.read_dataframe(oapif(base_url), layer="communes")
    assert len(df) == 102 and df["gso_code"].is_unique
    assert df.crs == "OGC:CRS84" or df.crs.to_epsg() == 4326  # the service says CRS84 (lon/lat)
    names = set(df["name"])
    assert {"Xã Ia Tơi", "Thị trấn Plei Kần", "Phường Quang Trung", "Xã Đắk Blô"} <= names
    for col in (
        "district_name",
        "quality_flag",
        "poor_rate_2020",
        "poor_rate_2020_status",
        "near_poor_rate_2015",
        "synthetic_note",
        "on_border",
    ):
        assert col in df.columns, col
    assert df["poor_rate_2020"].notna().all() and df["poor_rate_2020"].between(0, 100).all()
    assert set(df["poor_rate_2020_status"]) <= {"official", "reported", "derived", "synthetic"}
    assert int(df["on_border"].astype(bool).sum()) == 13
    src = storage.read_layer("communes", gpkg).set_index("gso_code")
    assert set(df["gso_code"]) == set(src.index)
    got = df.set_index("gso_code")["area_km2"].sort_index()
    assert got.to_numpy() == pytest.approx(src["area_km2"].sort_index().to_numpy())
    assert df.geometry.notna().all() and df.geometry.is_valid.mean() > 0.95


def test_read_districts_works_border(base_url, gpkg):
    from geo.io import storage

    districts = pyogrio.read_dataframe(oapif(base_url), layer="districts")
    assert len(districts) == 10
    assert set(districts["name"]) == set(storage.read_layer("districts", gpkg)["name"])
    assert "Huyện Đắk Glei" in set(districts["name"])
    works = pyogrio.read_dataframe(oapif(base_url), layer="works")
    assert len(works) == len(storage.read_layer("works", gpkg)) > 0
    assert set(works.geometry.geom_type) == {"Point"}
    border = pyogrio.read_dataframe(oapif(base_url), layer="border")
    assert sorted(border["country"]) == ["KHM", "LAO"]


def test_spatial_and_attribute_filters_go_to_the_server(base_url):
    bbox = pyogrio.read_dataframe(oapif(base_url), layer="communes", bbox=(107.5, 14.2, 107.9, 14.6))
    assert len(bbox) == 24
    where = pyogrio.read_dataframe(oapif(base_url), layer="communes", where="district_code = '618'")
    assert len(where) == 3 and set(where["district_code"]) == {"618"}


def test_open_one_collection(base_url):
    df = pyogrio.read_dataframe(oapif(base_url + "/collections/border"))
    assert len(df) == 2


def _server_schema(base_url, cid):
    import json

    with urllib.request.urlopen(f"{base_url}/collections/{cid}/schema", timeout=30) as r:
        assert r.headers["Content-Type"].startswith("application/schema+json")
        return json.load(r)["properties"]


GDAL_TYPES = {"string": {"object"}, "integer": {"int32", "int64"}, "number": {"float64"}, "boolean": {"bool"}}


@pytest.mark.parametrize(
    "cid,names",
    [
        (
            "communes",
            ["area_ha", "population_2019", "p135_2016", "p135_2017_2020", "ntm_recognised_2020", "poor_rate_2020"],
        ),
        ("works", ["line_mv_km", "line_lv_km", "transformers", "budget_million_vnd"]),
    ],
)
def test_the_schema_types_columns_null_in_the_first_page(base_url, cid, names):
    """The schema (rel=describedby) types every column from the whole collection."""
    schema = _server_schema(base_url, cid)
    for name in names:
        assert schema[name]["type"] in ("integer", "number", "boolean"), name
    assert schema["geometry"]["x-ogc-role"] == "primary-geometry"
    queryables = _server_schema(base_url, cid).keys()
    assert set(names) <= set(queryables)


@pytest.mark.parametrize(
    "cid,names",
    [
        (
            "communes",
            ["area_ha", "population_2019", "p135_2016", "p135_2017_2020", "ntm_recognised_2020", "poor_rate_2020"],
        ),
        ("works", ["line_mv_km", "line_lv_km", "transformers", "budget_million_vnd"]),
    ],
)
def test_gdal_types_every_field_from_the_schema(base_url, cid, names):
    """Columns null in the first page (GDAL's type sniffing) still get their type: GDAL follows the
    first describedBy link and reads it as the schema of a GeoJSON Feature (profile=geojson)."""
    schema = _server_schema(base_url, cid)
    info = pyogrio.read_info(oapif(base_url), layer=cid)
    types = dict(zip(info["fields"], (str(t) for t in info["dtypes"])))
    for name in names:
        assert schema[name]["type"] != "string", name
    for name, prop in schema.items():
        if name == "geometry" or name not in types:
            continue
        assert types[name] in GDAL_TYPES[prop["type"]], (name, prop["type"], types[name])
    assert set(names) <= set(types)


def test_gdal_pages_with_a_big_page_size(base_url):
    df = pyogrio.read_dataframe(oapif(base_url), layer="communes", PAGE_SIZE=5000)
    assert len(df) == 102 and df["gso_code"].is_unique


def _fetched_with(base_url, tmp_path, **read):
    """Read through GDAL with its debug log on: the frame and the URLs GDAL fetched."""
    log = tmp_path / "gdal.log"
    pyogrio.set_gdal_config_options({"CPL_DEBUG": "ON", "CPL_LOG": str(log)})
    try:
        df = pyogrio.read_dataframe(oapif(base_url), **read)
    finally:
        pyogrio.set_gdal_config_options({"CPL_DEBUG": None, "CPL_LOG": None})
    text = log.read_text(encoding="utf-8", errors="replace")
    return df, text


def test_where_goes_to_the_server_as_cql2(base_url, gpkg, tmp_path):
    """ogr2ogr -where / pyogrio where= on numbers, booleans and LIKE: GDAL finds the filter
    language and the queryables, sends the whole expression as a CQL2 filter, and the
    answer is the pandas one."""
    from urllib.parse import unquote

    from geo.indicators import values as indicators
    from geo.io import storage

    communes = storage.read_layer("communes", gpkg)
    obs = storage.read_layer("observations", gpkg)
    rate = indicators.values(obs, "poor_rate", "commune", 2020).set_index("gso_code")["value"]
    communes = communes.assign(rate=communes["gso_code"].map(rate).astype(float))
    want = sorted(communes.loc[communes["on_border"] & (communes["rate"] > 20), "gso_code"])
    assert len(want) == 6
    df, log = _fetched_with(base_url, tmp_path, layer="communes", where="poor_rate_2020 > 20 AND on_border = 1")
    assert sorted(df["gso_code"]) == want
    fetched = [unquote(line) for line in log.splitlines() if "Fetch(" in line and "/items?" in line]
    assert any("filter=(poor_rate_2020 > 20) AND (on_border = 1)" in u for u in fetched), fetched
    assert "evaluated on client side" not in log and "Only part of the filter" not in log
    like = sorted(communes.loc[communes["name"].str.startswith("Xã Đắk") | (communes["rate"] < 1), "gso_code"])
    df, log = _fetched_with(base_url, tmp_path, layer="communes", where="name LIKE 'Xã Đắk%' OR poor_rate_2020 < 1")
    assert sorted(df["gso_code"]) == like and "evaluated on client side" not in log


# --------------------------------------------------------------------------- GDAL's command-line tools

#: Debian's gdal-bin (``make gdal``, part of ``make test``): GDAL 3.6, what GIS staff run.
OGR2OGR = shutil.which("ogr2ogr")


@pytest.fixture
def ogr2ogr(base_url, tmp_path):
    """Run ``ogr2ogr`` from the service into a GeoPackage: (the file, GDAL's debug output)."""
    if OGR2OGR is None:
        if os.environ.get("CI", "").strip().lower() in ("1", "true", "yes"):
            pytest.fail("ogr2ogr is required under CI=true (make gdal installs Debian gdal-bin)", pytrace=False)
        pytest.skip("ogr2ogr not installed (make gdal)")

    def run(layer: str, *args: str) -> tuple[Path, str]:
        out = tmp_path / f"{layer}.gpkg"
        out.unlink(missing_ok=True)
        cmd = [OGR2OGR, "--debug", "on", "-f", "GPKG", str(out), oapif(base_url), layer, *args]
        done = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
        assert done.returncode == 0, done.stderr[-2000:]
        return out, done.stderr

    return run


def test_ogr2ogr_whole_collections_and_types(ogr2ogr, gpkg):
    from geo.io import storage

    for layer, count in (("communes", 102), ("works", len(storage.read_layer("works", gpkg)))):
        out, _ = ogr2ogr(layer)
        got = pyogrio.read_dataframe(out)
        assert len(got) == count
        out, _ = ogr2ogr(layer, "-oo", "PAGE_SIZE=5000")
        assert len(pyogrio.read_dataframe(out)) == count
    info = pyogrio.read_info(out)
    types = dict(zip(info["fields"], (str(t) for t in info["dtypes"])))
    assert types["line_mv_km"] == "float64" and types["budget_million_vnd"] == "float64"
    assert types["transformers"] in ("int32", "int64")


def test_ogr2ogr_where_is_a_server_side_cql2_filter(ogr2ogr, gpkg):
    from urllib.parse import unquote

    from geo.io import storage

    communes = storage.read_layer("communes", gpkg)
    want = truth.border_communes_poorer_than(gpkg, 20)
    out, log = ogr2ogr("communes", "-where", "poor_rate_2020 > 20 AND on_border = 1")
    assert sorted(pyogrio.read_dataframe(out)["gso_code"]) == want
    assert "filter=(poor_rate_2020 > 20) AND (on_border = 1)" in unquote(log)
    assert "client side" not in log and "Only part of the filter" not in log
    out, _ = ogr2ogr("communes", "-where", "district_code = '618'", "-spat", "107.5", "14.2", "107.9", "14.6")
    inside = communes.intersects(box(107.5, 14.2, 107.9, 14.6)) & (communes["district_code"] == "618")
    assert sorted(pyogrio.read_dataframe(out)["gso_code"]) == sorted(communes.loc[inside, "gso_code"])
