"""The equity view (geo.allocation.equity) on small fixtures with exact answers."""

from __future__ import annotations

import pandas as pd
import pytest

from geo.allocation import equity


def units() -> pd.DataFrame:
    """Five units, two districts; amounts sum to 100, poor households to 100."""
    return pd.DataFrame(
        {
            "gso_code": ["a", "b", "c", "d", "e"],
            "district_code": ["1", "1", "2", "2", "2"],
            "district_name": ["One", "One", "Two", "Two", "Two"],
            "eligible": [True, True, True, False, False],
            "amount": [50, 30, 20, 0, 0],
            "poor_households": [10.0, 30.0, 20.0, 25.0, 15.0],
            "poor_households__status": ["official"] * 5,
            "poor_rate": [70.0, 40.0, 55.0, 10.0, 40.0],
            "poor_rate__status": ["synthetic"] + ["official"] * 4,
            "on_border": [True, False, False, True, False],
        }
    )


def test_lorenz_sorts_by_amount_per_poor_household_and_ends_at_one():
    # per poor household: d 0, e 0, b 1, c 1 (ties by code), a 5 → x by households, y by money
    assert equity.lorenz(units()) == [
        [0.0, 0.0],
        [0.25, 0.0],
        [0.4, 0.0],
        [0.7, 0.3],
        [0.9, 0.5],
        [1.0, 1.0],
    ]


def test_gini_is_one_minus_twice_the_area_under_the_curve():
    # Σ (Δx)(y0 + y1) = 0 + 0 + 0.3·0.3 + 0.2·0.8 + 0.1·1.5 = 0.09 + 0.16 + 0.15 = 0.40
    assert equity.gini(equity.lorenz(units())) == pytest.approx(0.6, abs=1e-9)
    equal = pd.DataFrame({"gso_code": ["a", "b"], "amount": [10, 30], "poor_households": [1.0, 3.0]})
    assert equity.gini(equity.lorenz(equal)) == 0.0  # the same per poor household everywhere


def test_poorest_quintile_is_ranked_by_poverty_rate_with_ties_by_code():
    p = equity.poorest_share(units())  # ceil(5 × 0.2) = 1 unit: a (70%)
    assert (p["units"], p["codes"], p["amount"], p["amount_share"], p["poor_households_share"]) == (
        1,
        ["a"],
        50,
        0.5,
        0.1,
    )
    p = equity.poorest_share(
        units(), 0.6
    )  # ceil(3) = a 70, c 55, then b before e (both 40) by code; listed in unit order
    assert p["codes"] == ["a", "b", "c"] and p["amount_share"] == 1.0 and p["poor_households_share"] == 0.6
    with pytest.raises(ValueError, match="fraction"):
        equity.poorest_share(units(), 0)


def test_border_share_and_districts():
    b = equity.border_share(units())
    assert (b["units"], b["codes"], b["amount"], b["amount_share"], b["poor_households_share"]) == (
        2,
        ["a", "d"],
        50,
        0.5,
        0.35,
    )
    assert equity.border_share(units().drop(columns=["on_border"])) is None  # districts: no border flag
    assert equity.by_district(units()) == [
        {
            "district_code": "1",
            "district_name": "One",
            "units": 2,
            "eligible": 2,
            "amount": 80,
            "poor_households": 40.0,
            "amount_per_poor_household": 2.0,
        },
        {
            "district_code": "2",
            "district_name": "Two",
            "units": 3,
            "eligible": 1,
            "amount": 20,
            "poor_households": 60.0,
            "amount_per_poor_household": 0.333,
        },
    ]


def test_equity_names_synthetic_inputs_and_units_without_households():
    f = units()
    f.loc[4, "poor_households"] = None
    f.loc[4, "amount"] = 0
    e = equity.equity(f)
    assert e["synthetic"] == {"poor_rate": True, "poor_households": False}
    assert e["without_households"] == {"units": 1, "amount": 0}
    assert e["lorenz"][-1] == [1.0, 1.0] and len(e["lorenz"]) == 5  # e left out of the curve
    # among the eligible a, b, c only: per poor household b 1, c 1 (ties by code), a 5
    assert e["lorenz_eligible"] == [[0.0, 0.0], [0.5, 0.3], [0.833333, 0.5], [1.0, 1.0]]


def test_no_money_gives_an_empty_curve():
    f = units().assign(amount=0)
    assert equity.lorenz(f) == [] and equity.gini([]) is None
