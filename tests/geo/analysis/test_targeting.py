"""geo.analysis.targeting.rank: exact ranks and scores on the grid fixture, golden results on the real data."""

from __future__ import annotations

import math

import pandas as pd
import pytest
from fixtures import squares as sq

from geo.analysis import query, targeting
from geo.units.border import flag_border_communes


@pytest.fixture(scope="module")
def grid():
    return flag_border_communes(sq.squares(), sq.border())


@pytest.fixture(scope="module")
def obs():
    return sq.observations()


@pytest.fixture(scope="module")
def cat():
    return sq.catalogue()


def _pairs(r):
    return [(c, None if pd.isna(s) else round(float(s), 6)) for c, s in zip(r["gso_code"], r["score"])]


def test_single_indicator_exact_ranks_and_scores(grid, obs, cat):
    r = targeting.rank(grid, obs, cat, {"poor_rate": 1.0}, 2020)
    assert _pairs(r) == [
        ("11000", 1.0),
        ("12000", 0.75),
        ("12200", 0.625),
        ("10000", 0.5),
        ("12100", 0.375),
        ("11100", 0.25),
        ("11200", 0.25),
        ("10100", 0.125),
        ("10200", 0.0),
    ]
    assert r["rank"].tolist() == list(range(1, 10))
    # the tie 11100 / 11200 is broken by gso_code; the bound ">99" and the alternative are never used
    assert r.set_index("gso_code").loc["10200", "poor_rate"] == 10.0
    assert r["poor_rate_year"].tolist() == [2020] * 9
    assert dict(zip(r["gso_code"], r["synthetic"])) == {c: c[2] == "0" for c in sq.CODES}
    assert dict(zip(r["gso_code"], r["poor_rate_status"])) == {
        c: "synthetic" if c[2] == "0" else "official" for c in sq.CODES
    }
    assert r.attrs["matched"] == 9 and r.attrs["missing_count"] == 0 and r.attrs["synthetic"] is True
    assert r.crs.to_epsg() == 4326 and r.geometry.notna().all()
    assert r["name"].iloc[0] == "Xã Đắk Tơ 10"
    assert (r["missing"] == "").all()


def test_weighted_with_higher_better_inverted(grid, obs, cat):
    r = targeting.rank(grid, obs, cat, {"poor_rate": 3, "road_village_hardened_pct": 1}, 2020)
    assert _pairs(r) == [
        ("11000", 1.0),
        ("12000", 0.8125),
        ("10000", 0.625),
        ("12200", 0.46875),
        ("12100", 0.40625),
        ("11100", 0.3125),
        ("10100", 0.21875),
        ("11200", 0.1875),
        ("10200", 0.0),
    ]
    assert {
        "poor_rate",
        "poor_rate_status",
        "poor_rate_year",
        "road_village_hardened_pct",
        "road_village_hardened_pct_status",
        "road_village_hardened_pct_year",
    } <= set(r.columns)
    # weights are relative: 0.75 / 0.25 is the same ranking
    r2 = targeting.rank(grid, obs, cat, targeting.parse_weights("poor_rate:0.75,road_village_hardened_pct:0.25"), 2020)
    assert _pairs(r2) == _pairs(r)


def test_missing_values_go_last_and_are_counted(grid, obs, cat):
    r = targeting.rank(grid, obs, cat, {"poor_rate": 1, "near_poor_rate": 1}, 2020)
    assert r["gso_code"].iloc[-1] == "11100"
    last = r.iloc[-1]
    assert math.isnan(last["score"]) and pd.isna(last["rank"]) and last["missing"] == "near_poor_rate"
    assert r["rank"].iloc[:-1].tolist() == list(range(1, 9))
    assert r.attrs["missing_count"] == 1
    assert (r["missing"].iloc[:-1] == "").all()


def test_constraints_filter_and_give_distance(grid, obs, cat):
    on = query.near_border(grid, 0, border=sq.border())
    r = targeting.rank(grid, obs, cat, "poor_rate", 2020, constraints=[on])
    assert _pairs(r) == [("11000", 1.0), ("12000", 0.75), ("10000", 0.5)]  # scores stay province-wide
    assert r["distance_km"].tolist() == [0.0, 0.0, 0.0]
    assert r["on_border"].all() and r["border_countries"].tolist() == ["LAO", "LAO", "KHM"]
    near = query.near_border(grid, 10, border=sq.border())
    p135 = query.with_status(grid, "p135", obs, catalogue=cat)
    r = targeting.rank(grid, obs, cat, "poor_rate", 2020, constraints=[near, p135])
    assert r["gso_code"].tolist() == ["11000", "12000", "12100"]
    assert r["distance_km"].tolist() == [0.0, 0.0, 10.0]
    assert r.attrs["constraints"] == ["within 10 km of the border", "status p135"]


def test_top(grid, obs, cat):
    r = targeting.rank(grid, obs, cat, "poor_rate", 2020, top=2)
    assert r["gso_code"].tolist() == ["11000", "12000"] and r.attrs["matched"] == 9
    with pytest.raises(ValueError, match="top"):
        targeting.rank(grid, obs, cat, "poor_rate", 2020, top=0)


def test_default_year_is_the_best_covered_latest(grid, obs, cat):
    r = targeting.rank(grid, obs, cat, "poor_rate")
    assert set(r["poor_rate_year"]) == {2020}
    r19 = targeting.rank(grid, obs, cat, "poor_rate", 2019)
    assert r19.set_index("gso_code").loc["11000", "poor_rate"] == 95.0


def test_flag_indicator_counts_members_as_one(grid, obs, cat):
    r = targeting.rank(grid, obs, cat, "p135_2016")
    assert r["gso_code"].tolist()[:3] == ["11000", "12000", "12100"]
    assert r["score"].tolist() == [1.0] * 3 + [0.0] * 6
    assert r.attrs["missing_count"] == 0


def test_district_level(grid, obs, cat):
    districts = query.district_border_flags(sq.districts(), grid)
    r = targeting.rank(districts, obs, cat, "poor_rate", 2020, level="district")
    assert _pairs(r) == [("901", 1.0), ("902", 0.0)]
    assert r["poor_rate_status"].tolist() == ["official", "synthetic"]
    assert r["synthetic"].tolist() == [False, True]
    assert r["on_border"].tolist() == [True, False]


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"indicators": {"rich_rate": 1}}, "unknown indicator 'rich_rate'.*near_poor_rate, p135_2016, poor_rate"),
        ({"indicators": {"area_km2": 1}}, "unknown indicator 'area_km2'"),
        ({"indicators": {"poor_rate": 1}, "year": 2018}, "years with data: 2019, 2020"),
        ({"indicators": {"poor_rate": 0}}, "weight of poor_rate"),
        ({"indicators": {"poor_rate": -1}}, "weight of poor_rate"),
        ({"indicators": {"poor_rate": float("nan")}}, "weight of poor_rate"),
        ({"indicators": {}}, "no indicator"),
        ({"indicators": {"poor_rate": 1}, "level": "village"}, "unknown level"),
    ],
)
def test_bad_choices_raise_clear_errors(grid, obs, cat, kwargs, message):
    with pytest.raises(ValueError, match=message):
        targeting.rank(grid, obs, cat, **kwargs)


@pytest.mark.parametrize("text", ["", "poor_rate:", "poor_rate:x", ":1", "a:1,,b:2", "a:1,a:2"])
def test_parse_weights_rejects(text):
    with pytest.raises(ValueError):
        targeting.parse_weights(text)


def test_parse_weights_bare_id():
    assert targeting.parse_weights("poor_rate") == {"poor_rate": 1.0}


def test_cache_gives_the_same_answer(grid, obs, cat):
    cache: dict = {}
    a = targeting.rank(grid, obs, cat, {"poor_rate": 1, "near_poor_rate": 1}, 2020, cache=cache)
    b = targeting.rank(grid, obs, cat, {"poor_rate": 1, "near_poor_rate": 1}, 2020, cache=cache)
    assert cache and _pairs(a) == _pairs(b)


# -- real data -------------------------------------------------------------


@pytest.fixture(scope="module")
def real(gpkg):
    from geo.io import storage

    communes = storage.read_layer("communes", gpkg)
    border = storage.read_layer("border", gpkg)
    return (
        communes,
        storage.read_layer("observations", gpkg),
        storage.read_layer("catalogue", gpkg),
        query.border_distances(communes, border),
        storage.read_layer("districts", gpkg),
    )


def test_poorest_border_communes(real):
    communes, obs, cat, dist, _ = real
    on = query.near_border(communes, 0, distances=dist)
    r = targeting.rank(communes, obs, cat, "poor_rate", 2020, constraints=[on])
    assert len(r) == 13 and r["rank"].tolist() == list(range(1, 14))
    assert r["score"].is_monotonic_decreasing and r["score"].between(0, 1).all()
    assert r["poor_rate"].is_monotonic_decreasing  # one indicator: the score follows the value
    assert r["synthetic"].all() and set(r["poor_rate_status"]) == {"synthetic"}
    assert (r["distance_km"] == 0).all() and r["on_border"].all()
    assert {"Xã Ia Tơi", "Xã Đắk Blô", "Xã Bờ Y", "Xã Rơ Kơi"} <= set(r["name"])
    assert r.attrs["missing_count"] == 0 and r.attrs["synthetic"]
    khm = targeting.rank(
        communes, obs, cat, "poor_rate", 2020, constraints=[query.near_border(communes, 0, "KHM", distances=dist)]
    )
    assert len(khm) == 7 and all("KHM" in c for c in khm["border_countries"])


def test_whole_province_ranking(real):
    communes, obs, cat, _, _ = real
    r = targeting.rank(communes, obs, cat, {"poor_rate": 0.6, "near_poor_rate": 0.4}, 2020)
    assert len(r) == 102 and r["rank"].tolist() == list(range(1, 103))
    assert r["score"].max() <= 1 and r["score"].min() >= 0
    assert r["gso_code"].is_unique


def test_real_districts(real):
    communes, obs, cat, _, districts = real
    d = query.district_border_flags(districts, communes)
    r = targeting.rank(d, obs, cat, "poor_rate", 2019, level="district")
    assert len(r) == 10 and r["rank"].tolist() == list(range(1, 11))
    assert int(r["on_border"].sum()) == 4
    # a real district figure (Đắk Glei, end-2019 review) beats the synthetic aggregate
    glei = r.set_index("gso_code").loc["610"]
    assert (glei["poor_rate"], glei["poor_rate_status"], glei["synthetic"]) == (26.88, "official", False)
    assert (r["poor_rate_status"] == "synthetic").sum() == 9


def test_real_unknown_year(real):
    communes, obs, cat, _, _ = real
    with pytest.raises(ValueError, match="years with data: 2015, 2016"):
        targeting.rank(communes, obs, cat, "poor_rate", 2030)
