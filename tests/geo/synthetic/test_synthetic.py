"""The demo generator on small fixtures with exact answers."""

import numpy as np
import pandas as pd
import pytest

from geo.synthetic import generator as synthetic


@pytest.fixture
def small():
    # Two districts: A (3 communes, one ward), B (2 communes).
    return pd.DataFrame(
        {
            "gso_code": ["10001", "10002", "10003", "20001", "20002"],
            "district_code": ["A", "A", "A", "B", "B"],
            "unit_type": ["Phường", "Xã", "Xã", "Xã", "Xã"],
            "households": [400, 100, 100, 200, 200],
            "p135": [False, True, False, True, False],
            "population": [1600, 500, 450, 1000, 900],
        }
    )


def test_estimate_households_sums_to_district(small):
    hh = synthetic.estimate_households(small, {"A": 1000, "B": 500})
    assert hh.groupby(small["district_code"]).sum().to_dict() == {"A": 1000, "B": 500}
    assert hh.tolist() == [627, 196, 177, 263, 237]


def test_estimate_households_missing_district(small):
    with pytest.raises(ValueError, match="no household count"):
        synthetic.estimate_households(small, {"A": 1000})


def test_district_rates_hit_province_and_pins():
    hh = pd.Series({"A": 600, "B": 400, "C": 1000})
    rel = {"A": -1.0, "B": 1.0, "C": 0.0}
    rates = synthetic.district_rates(hh, rel, 0.2, pinned={"B": 0.5})
    assert rates["B"] == 0.5
    total = sum(rates[d] * hh[d] for d in hh.index) / hh.sum()
    assert total == pytest.approx(0.2, abs=1e-9)
    assert rates["A"] < rates["C"]  # relative order kept


def test_commune_rates_hit_district_means(small):
    rates = synthetic.commune_rates(small, {"A": 0.3, "B": 0.1}, seed=7)
    for d, target in (("A", 0.3), ("B", 0.1)):
        m = small["district_code"] == d
        assert np.average(rates[m], weights=small.loc[m, "households"]) == pytest.approx(target, abs=1e-9)
    # P135 and rural communes are poorer than the ward in the same district.
    assert rates[1] > rates[0]


def test_series_reproduces_province_every_year_and_is_deterministic(small):
    province = {2015: 0.26, 2016: 0.23, 2017: 0.21, 2018: 0.17, 2019: 0.14, 2020: 0.10}
    rel = {"A": -0.5, "B": 0.5}
    a = synthetic.poverty_series(small, province, rel, seed=3)
    b = synthetic.poverty_series(small.iloc[::-1], province, rel, seed=3).loc[a.index]
    pd.testing.assert_frame_equal(a, b)  # independent of row order
    for year, target in province.items():
        assert np.average(a[year], weights=small["households"]) == pytest.approx(target, abs=1e-9)
    c = synthetic.poverty_series(small, province, rel, seed=4)
    assert not np.allclose(a.to_numpy(), c.to_numpy())


def test_series_respects_pinned_district(small):
    province = {2018: 0.2, 2019: 0.15}
    out = synthetic.poverty_series(small, province, {"A": 0.0, "B": 0.0}, pinned={("B", 2019): 0.25})
    m = small["district_code"] == "B"
    assert np.average(out.loc[m, 2019], weights=small.loc[m, "households"]) == pytest.approx(0.25, abs=1e-9)
    assert np.average(out[2019], weights=small["households"]) == pytest.approx(0.15, abs=1e-9)


def test_infeasible_pins_are_reported(small):
    with pytest.raises(ValueError, match="cannot be reconciled"):
        synthetic.poverty_series(small, {2019: 0.15}, {"A": 0.0, "B": 0.0}, pinned={("B", 2019): 0.9})


def test_road_share_calibrated(small):
    poor = pd.Series([0.05, 0.6, 0.3, 0.5, 0.2])
    roads = synthetic.road_hardened(small, poor, 0.65, seed=1)
    assert np.average(roads, weights=small["households"]) == pytest.approx(0.65, abs=1e-9)
    assert ((roads > 0) & (roads < 1)).all()


def test_solve_offset_rejects_impossible_target():
    with pytest.raises(ValueError):
        synthetic.solve_offset(np.zeros(2), np.ones(2), 1.2)


def test_largest_remainder_hits_total_with_floor_or_ceiling():
    exact = pd.Series([10.4, 20.6, 5.5, 3.5])
    out = synthetic.largest_remainder(exact, 41)
    assert out.tolist() == [10, 21, 6, 4] and int(out.sum()) == 41
    assert ((out - np.floor(exact)).isin([0, 1])).all()
    with pytest.raises(ValueError, match="cannot round"):
        synthetic.largest_remainder(exact, 45)


def test_interpolate_totals_log_linear_and_extrapolated():
    t = synthetic.interpolate_totals({2018: 100.0, 2019: 110.0, 2021: 121.0}, range(2016, 2022))
    growth = (121.0 / 100.0) ** (1 / 3)
    assert t[2020] == pytest.approx(110.0 * 1.1**0.0 * (121.0 / 110.0) ** 0.5)
    assert t[2017] == pytest.approx(100.0 / growth) and t[2016] == pytest.approx(100.0 / growth**2)
    assert t[2018] == 100.0 and t[2021] == 121.0


def test_district_household_series_meets_province_and_anchors():
    review = {"A": 600, "B": 300, "C": 100}
    province = {2017: 800, 2018: 900, 2021: 1000}
    s = synthetic.district_household_series(review, province, {("A", 2017): 500}, review_year=2021)
    assert s.sum().to_dict() == province
    assert s.at["A", 2017] == 500 and s[2021].to_dict() == review
    # A's correction (500 against 480 from its share) fades out towards 2021: ×(500/480)^(3/4)
    # in 2018, then all three scaled to 900 and rounded by largest remainder.
    assert s[2018].to_dict() == {"A": 547, "B": 265, "C": 88}
    assert all(pd.api.types.is_integer_dtype(t) for t in s.dtypes)


def test_household_series_splits_by_population(small):
    districts = pd.DataFrame({2019: {"A": 1000, "B": 500}, 2020: {"A": 1100, "B": 520}})
    hh = synthetic.household_series(small, districts)
    assert hh[2019].groupby(small["district_code"]).sum().to_dict() == {"A": 1000, "B": 500}
    assert hh[2020].groupby(small["district_code"]).sum().to_dict() == {"A": 1100, "B": 520}
    assert hh[2019].tolist() == [627, 196, 177, 263, 237]


def test_allocate_counts_meets_district_and_province_totals(small):
    rates = pd.Series([0.1025, 0.555, 0.352, 0.421, 0.2])  # × households: 41.0, 55.5, 35.2 | 84.2, 40.0
    hh = small["households"]
    counts = synthetic.allocate_counts(rates, hh, small["district_code"], 256, {"B": 125})
    assert counts.tolist() == [41, 55, 35, 85, 40]
    assert int(counts.sum()) == 256 and int(counts[small["district_code"] == "B"].sum()) == 125
    exact = rates * hh
    assert ((counts - np.floor(exact)).isin([0, 1])).all()


def test_bounded_offset_keeps_units_inside_and_hits_target():
    base = np.array([0.0, 1.0, 2.0])
    w = np.array([100.0, 100.0, 100.0])
    lo, hi = np.array([0.0, 0.0, 0.0]), np.array([1.0, 0.07, 1.0])
    k = synthetic.solve_bounded_offset(base, w, 0.4, lo, hi)
    rates = np.clip(synthetic.expit(base + k), lo, hi)
    assert np.average(rates, weights=w) == pytest.approx(0.4, abs=1e-9)
    assert rates[1] == pytest.approx(0.07) and rates[2] > rates[0]
    with pytest.raises(ValueError, match="outside what the bounds allow"):
        synthetic.solve_bounded_offset(base, w, 0.05, np.array([0.1, 0.1, 0.1]), np.ones(3))


def test_series_with_yearly_households_and_bounds(small):
    province = {2018: 0.2, 2019: 0.15}
    hh = pd.DataFrame({2018: [400, 100, 100, 200, 200], 2019: [420, 110, 100, 210, 200]}, index=small.index)
    lo = np.array([0.0, 0.3, 0.0, 0.0, 0.0])
    hi = np.array([1.0, 0.33, 0.05, 1.0, 1.0])
    out = synthetic.poverty_series(
        small, province, {"A": 0.0, "B": 0.0}, seed=5, households=hh, bounds={2019: (lo, hi)}
    )
    for year, target in province.items():
        assert np.average(out[year], weights=hh[year]) == pytest.approx(target, abs=1e-9)
    assert 0.3 <= out.at[1, 2019] <= 0.33 and out.at[2, 2019] <= 0.05
    with pytest.raises(ValueError, match="2019: district A"):
        synthetic.poverty_series(
            small, province, {"A": 0.0, "B": 0.0}, households=hh, bounds={2019: (np.full(5, 0.9), np.ones(5))}
        )
