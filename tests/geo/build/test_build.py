"""The compiled GeoPackage and the demo values on the real data."""

import io

import numpy as np
import pandas as pd
import pytest

from geo.build import compiler as build
from geo.indicators import values as indicators
from geo.io import storage
from geo.synthetic import demo
from geo.synthetic import generator as synthetic

LAYERS = {
    "communes",
    "districts",
    "border",
    "roads",
    "communes_2025",
    "works",
    "provinces",
    "countries",
    "observations",
    "catalogue",
}


@pytest.fixture(scope="module")
def obs(gpkg):
    return storage.read_layer("observations", gpkg)


@pytest.fixture(scope="module")
def households(obs):
    # The generator's own estimates (a real reported figure may exist for a
    # commune, e.g. Pờ Ê "~620 households", and wins on the map).
    hh = indicators.values(obs[obs["status"] == "derived"], "households", "commune", 2019)
    return hh.set_index("gso_code")["value"]


def test_layers_written(gpkg):
    assert LAYERS <= set(storage.list_layers(gpkg))
    communes = storage.read_layer("communes", gpkg)
    assert len(communes) == 102 and communes.crs.to_epsg() == 4326
    assert int(communes["on_border"].sum()) == 13
    assert len(storage.read_layer("districts", gpkg)) == 10


def test_vietnamese_names_survive_the_geopackage(gpkg):
    names = set(storage.read_layer("communes", gpkg)["name"])
    assert {"Xã Ia Tơi", "Thị trấn Plei Kần", "Xã Đắk Nhoong", "Xã Rơ Kơi"} <= names


@pytest.mark.parametrize("indicator", ["poor_rate", "near_poor_rate"])
def test_demo_reproduces_province_series_each_year(obs, households, indicator):
    for year in synthetic.YEARS:
        prov = indicators.values(obs, indicator, "province", year, standard=demo.STANDARD_2016)
        assert len(prov) == 1 and prov["status"].iloc[0] != "synthetic"
        com = indicators.values(obs, indicator, "commune", year).set_index("gso_code")
        assert len(com) == 102 and set(com["status"]) == {"synthetic"}
        weighted = np.average(com["value"], weights=households.loc[com.index])
        assert weighted == pytest.approx(prov["value"].iloc[0], abs=0.01), year


def test_demo_respects_real_district_figures(obs, households):
    rows = indicators.usable(obs)
    real = rows[
        (rows["unit_level"] == "district")
        & (rows["indicator"] == "poor_rate")
        & (rows["qualifier"] == "=")
        & (rows["standard"] == demo.STANDARD_2016)
        & (rows["status"] != "synthetic")
        & rows["year"].isin(synthetic.YEARS)
    ]
    assert len(real) >= 3  # Tu Mơ Rông 2017, Đắk Glei 2019, Đắk Hà 2018 …
    communes = storage.read_layer("communes").set_index("gso_code")
    for r in real.itertuples():
        com = indicators.values(obs, "poor_rate", "commune", int(r.year)).set_index("gso_code")
        members = communes.index[communes["district_code"] == r.gso_code]
        got = np.average(com.loc[members, "value"], weights=households.loc[members])
        assert got == pytest.approx(r.value, abs=0.01), (r.gso_code, r.year)


def test_p135_communes_are_poorer(obs):
    com = indicators.values(obs, "poor_rate", "commune", 2020).set_index("gso_code")["value"]
    p135 = set(obs.loc[obs["indicator"] == "p135_2016", "gso_code"])
    inside = com[com.index.isin(p135)]
    assert inside.median() > com[~com.index.isin(p135)].median()


def test_households_sum_to_2021_review_per_district(obs, households):
    communes = storage.read_layer("communes").set_index("gso_code")
    by_district = households.groupby(communes.loc[households.index, "district_code"]).sum()
    review = indicators.values(obs, "households", "district", 2021).set_index("gso_code")["value"]
    assert by_district.to_dict() == review.astype(int).to_dict()
    assert int(households.sum()) == 143_561


def test_every_synthetic_row_is_marked(obs):
    syn = obs[obs["status"] == "synthetic"]
    assert not syn.empty
    assert syn["note"].str.contains("demo data").all()
    assert syn["source"].str.startswith("Dữ liệu minh họa (tạo tự động) / Synthetic demo values (generated)").all()


def test_generator_is_deterministic():
    a = build.compile_layers()["observations"]
    b = build.compile_layers()["observations"]
    pd.testing.assert_frame_equal(a, b)


def test_failed_check_writes_nothing(tmp_path, monkeypatch):
    from geo.build import checks

    target = tmp_path / "k.gpkg"
    target.write_bytes(b"previous version")
    monkeypatch.setattr(build, "run_checks", lambda layers: [checks.Check("x", False, "broken")])
    with pytest.raises(checks.ChecksFailed):
        build.build(target, out=io.StringIO())
    assert target.read_bytes() == b"previous version"
    assert [p.name for p in tmp_path.iterdir()] == ["k.gpkg"]


def test_demo_respects_real_district_bounds(obs, households):
    """Tu Mơ Rông end-2018: "trên 52%" (kontumtv) — the synthetic aggregate must honour it."""
    bounds = obs[
        (obs["unit_level"] == "district")
        & (obs["indicator"] == "poor_rate")
        & obs["qualifier"].isin([">", "<"])
        & obs["year"].isin(synthetic.YEARS)
    ]
    assert len(bounds) >= 1
    communes = storage.read_layer("communes").set_index("gso_code")
    for r in bounds.itertuples():
        com = indicators.values(obs, "poor_rate", "commune", int(r.year)).set_index("gso_code")
        members = communes.index[communes["district_code"] == r.gso_code]
        got = np.average(com.loc[members, "value"], weights=households.loc[members])
        assert got > r.value if r.qualifier == ">" else got < r.value


def test_demo_respects_real_commune_bounds(obs):
    """Sa Bình 2016 "trên 58%", end-2018 "trên 26%"; Pờ Ê end-2019 "trên 4%" (reported):
    a synthetic commune value never contradicts a real bound shown beside it."""
    bounds = obs[
        (obs["unit_level"] == "commune")
        & (obs["indicator"] == "poor_rate")
        & obs["qualifier"].isin([">", "<"])
        & obs["year"].isin(synthetic.YEARS)
    ]
    assert {("23545", 2016), ("23545", 2018), ("23467", 2019)} <= {
        (r.gso_code, int(r.year)) for r in bounds.itertuples()
    }
    for r in bounds.itertuples():
        value = indicators.values(obs, "poor_rate", "commune", int(r.year)).set_index("gso_code").loc[r.gso_code]
        assert value["status"] == "synthetic"
        assert value["value"] > r.value if r.qualifier == ">" else value["value"] < r.value


def test_near_poor_rates_stay_plausible(obs):
    """Near-poor rates vary little between districts (real: 5.9-9.8 %): no district above 15 %."""
    rows = obs[
        (obs["unit_level"] == "district") & (obs["indicator"] == "near_poor_rate") & (obs["status"] == "synthetic")
    ]
    assert rows["value"].max() < 15


def test_tables_are_read_with_arrow_strings(gpkg):
    """Strings of the read tables live in Arrow buffers, not one Python object per cell
    (the national observations table: 104 MiB instead of 317 MiB)."""
    obs = storage.read_layer("observations", gpkg)
    for name in ("gso_code", "indicator", "status", "source", "note"):
        assert obs[name].dtype == "str"
        assert obs[name].dtype.storage == "pyarrow", name
    # Callers may still change their copy without touching the cache.
    obs.loc[obs.index[0], "note"] = "changed"
    assert storage.read_layer("observations", gpkg)["note"].iloc[0] != "changed"
