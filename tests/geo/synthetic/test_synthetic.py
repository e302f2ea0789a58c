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
