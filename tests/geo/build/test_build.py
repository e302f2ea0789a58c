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
    """The generator's own household estimates of a year (a real reported figure may
    exist for a commune and win on the map): ``households(year)``."""
    derived = obs[obs["status"] == "derived"]

    def of(year):
        return indicators.values(derived, "households", "commune", year).set_index("gso_code")["value"]

    return of


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
        weighted = np.average(com["value"], weights=households(year).loc[com.index])
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
        got = np.average(com.loc[members, "value"], weights=households(int(r.year)).loc[members])
        assert got == pytest.approx(r.value, abs=0.01), (r.gso_code, r.year)


def test_p135_communes_are_poorer(obs):
    com = indicators.values(obs, "poor_rate", "commune", 2020).set_index("gso_code")["value"]
    p135 = set(obs.loc[obs["indicator"] == "p135_2016", "gso_code"])
    inside = com[com.index.isin(p135)]
    assert inside.median() > com[~com.index.isin(p135)].median()


def test_households_sum_to_2021_review_per_district(obs, households):
    communes = storage.read_layer("communes").set_index("gso_code")
    hh = households(2021)
    by_district = hh.groupby(communes.loc[hh.index, "district_code"]).sum()
    review = indicators.values(obs[obs["status"] == "official"], "households", "district", 2021)
    assert by_district.to_dict() == review.set_index("gso_code")["value"].astype(int).to_dict()
    assert int(hh.sum()) == 143_561


def test_households_per_year_follow_the_real_counts(households):
    """A year's households = its real poor households ÷ their rate (22,851 ÷ 17.29% …),
    not the 2021 review every year; in between and before, a smooth series."""
    totals = {year: int(households(year).sum()) for year in (*synthetic.YEARS, 2021)}
    assert totals[2018] == round(22_851 / 0.1729)
    assert totals[2019] == round(18_858 / 0.1362)
    assert totals[2020] == round(14_601 / 0.1029)
    assert totals[2021] == 143_561
    assert all(totals[y] < totals[y + 1] for y in range(2015, 2021))


def test_province_poor_households_equal_the_real_series(obs):
    """Σ commune counts = the real province counts where published (QĐ 1425/2019, QĐ 04/2021 …)."""
    real = {
        ("poor_households", 2018): 22_851,
        ("poor_households", 2019): 18_858,
        ("poor_households", 2020): 14_601,
        ("near_poor_households", 2018): 8_700,
        ("near_poor_households", 2019): 8_809,
        ("near_poor_households", 2020): 8_372,
    }
    for (indicator, year), count in real.items():
        com = indicators.values(obs, indicator, "commune", year)
        assert set(com["status"]) == {"synthetic"} and len(com) == 102
        assert int(com["value"].sum()) == count, (indicator, year)


@pytest.mark.parametrize(
    "district, year, indicator, count",
    [
        ("617", 2017, "poor_households", 3_539),  # Tu Mơ Rông end-2017 (huyện portal, 11/12/2017)
        ("617", 2017, "near_poor_households", 521),
        ("610", 2019, "poor_households", 3_416),  # Đắk Glei end-2019 review
        ("615", 2018, "poor_households", 3_368),  # Đắk Hà ~end-2018
    ],
)
def test_district_poor_households_equal_the_real_counts(obs, district, year, indicator, count):
    communes = storage.read_layer("communes")
    members = communes.loc[communes["district_code"] == district, "gso_code"]
    com = indicators.values(obs, indicator, "commune", year).set_index("gso_code")
    assert int(com.loc[members, "value"].sum()) == count


def test_counts_and_rates_agree_per_commune(obs, households):
    for year in synthetic.YEARS:
        hh = households(year)
        for rate_id, count_id in (("poor_rate", "poor_households"), ("near_poor_rate", "near_poor_households")):
            rate = indicators.values(obs, rate_id, "commune", year).set_index("gso_code")["value"]
            count = indicators.values(obs, count_id, "commune", year).set_index("gso_code")["value"]
            assert (rate * hh.loc[rate.index] / 100 - count.loc[rate.index]).abs().max() < 0.01
            assert (count <= hh.loc[count.index]).all()


def test_approximate_bound_is_a_little_above(obs):
    """Pờ Ê end-2019 "hơn 4%" (baotintuc 20/02/2020): within 3 points above, not 48%."""
    value = indicators.values(obs, "poor_rate", "commune", 2019).set_index("gso_code").loc["23467", "value"]
    assert 4 < value <= 7


def test_new_rural_communes_meet_the_poverty_criterion(obs):
    """Criterion 11 of QĐ 1980/QĐ-TTg (Tây Nguyên ≤ 7%) in the year a commune is recognised."""
    recognised = obs[(obs["indicator"] == "ntm_recognised") & obs["year"].isin(list(demo.NTM_YEARS))]
    assert len(recognised[recognised["unit_level"] == "commune"]) >= 10
    # at each level: the 2020 communes, and the 2025 communes a flag is carried to (rule "all":
    # every member recognised, so the household-weighted rate stays within the criterion too)
    for level, rows in recognised.groupby("unit_level"):
        for r in rows.itertuples():
            rate = indicators.values(obs, "poor_rate", level, int(r.year)).set_index("gso_code").loc[r.gso_code]
            assert rate["value"] <= demo.NTM_POVERTY_MAX == 7.0, (level, r.unit_name, r.year)
    met = obs[obs["indicator"] == "ntm_standard_2020"]
    met_2020 = met.loc[met["unit_level"] == "commune", "gso_code"]
    rates = indicators.values(obs, "poor_rate", "commune", 2020).set_index("gso_code")["value"]
    assert len(met_2020) == 28 and (rates.loc[met_2020] <= 7.0).all()


def test_every_synthetic_row_is_marked(obs):
    syn = obs[obs["status"] == "synthetic"]
    assert not syn.empty
    assert syn["note"].str.contains("demo data").all()
    # its own source, or (a value carried to a district or 2025 commune) among its members' sources
    assert (
        syn["source"]
        .str.contains("Dữ liệu minh họa (tạo tự động) / Synthetic demo values (generated)", regex=False)
        .all()
    )


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
        got = np.average(com.loc[members, "value"], weights=households(int(r.year)).loc[members])
        assert r.value < got <= r.value + 3 if r.qualifier == ">" else r.value - 3 <= got < r.value


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
        if r.qualifier == ">":
            assert r.value < value["value"] <= r.value + 3  # "trên 58%": a little above
        else:
            assert r.value - 3 <= value["value"] < r.value


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
