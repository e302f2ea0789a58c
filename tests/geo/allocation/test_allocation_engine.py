"""The allocation engine: exact answers on small fixtures and its properties (hypothesis)."""

from __future__ import annotations

from fractions import Fraction as F

import pytest
from alloc_helpers import frame, make_rule
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from geo.allocation import engine
from geo.allocation.rules import RuleError


def amounts(result):
    return dict(zip(result["gso_code"], result["amount"].tolist()))


def test_proportional_without_limits():
    out = engine.allocate(frame([1, 2, 3, 4]), make_rule(), 100)
    assert out["amount"].tolist() == [10, 20, 30, 40]
    assert out["score"].tolist() == [1, 2, 3, 4]
    assert out.attrs["allocated"] == 100 and out.attrs["eligible"] == 4


def test_min_and_max_bind_and_the_rest_is_shared_exactly():
    rule = make_rule(limits={"min": 20, "max": 35})
    out = engine.allocate(frame([1, 2, 3, 4]), rule, 100)
    # λ = 60/7: shares 20 (min), 20 (min), 180/7 = 25.71…, 240/7 = 34.29…; the 1 left goes to .71
    assert out["amount"].tolist() == [20, 20, 26, 34]


def test_max_binds_for_the_largest():
    rule = make_rule(limits={"min": 0, "max": 30})
    out = engine.allocate(frame([1, 1, 1, 10]), rule, 100)
    # the largest is capped at 30; the other 70 split 23.33 each, the 1 left to the smallest gso_code
    assert out["amount"].tolist() == [24, 23, 23, 30]


def test_equal_remainders_go_by_the_tie_break():
    out = engine.allocate(frame([1, 1, 1]), make_rule(), 10)
    assert out["amount"].tolist() == [4, 3, 3]  # same score: the smallest gso_code first
    out = engine.allocate(frame([1, 1, 1]).iloc[::-1].reset_index(drop=True), make_rule(), 10)
    assert amounts(out) == {"u0": 4, "u1": 3, "u2": 3}


def test_ineligible_units_get_nothing_and_say_why():
    out = engine.allocate(frame([5, 1, 1, 1], ok=[0, 1, 1, 1]), make_rule(), 90)
    assert out["amount"].tolist() == [0, 30, 30, 30]
    assert out["eligible"].tolist() == [False, True, True, True]
    assert out["reason"].iloc[0].startswith("không đủ điều kiện: ok")
    assert out["reason"].iloc[1].startswith("đủ điều kiện")


def test_rounding_unit_and_per_household():
    rule = make_rule(rounding={"unit": 10}, limits={"min": 0})
    out = engine.allocate(frame([1, 2], households=[4, 0]), rule, 100)
    assert out["amount"].tolist() == [30, 70]  # 33.3 / 66.7 tens → 3 / 7 tens (.67 wins the last)
    assert out["amount_per_poor_household"].iloc[0] == 7.5
    assert out["amount_per_poor_household"].isna().iloc[1]  # no poor household: no ratio


def test_bands_and_base_points():
    rule = make_rule(
        criteria=[
            {"id": "base", "kind": "base", "points": 2},
            {
                "id": "x",
                "kind": "bands",
                "indicator": "x",
                "bands": [{"min": 0, "max": 10, "points": 1}, {"min": 10, "max": 20, "points": 3}],
            },
        ]
    )
    out = engine.allocate(frame([-1, 5, 10, 25]), rule, 110)
    assert out["x_points"].tolist() == [0, 1, 3, 3]  # below the first band 0; above a closed top: its points
    assert out["score"].tolist() == [2, 3, 5, 5]
    # 14.67 / 22 / 36.67 / 36.67: three equal remainders for two units left; the higher scores win
    assert out["amount"].tolist() == [14, 22, 37, 37]


def test_synthetic_share_counts_units_with_synthetic_values():
    f = frame([1, 3])
    f["x__status"] = ["synthetic", "official"]
    out = engine.allocate(f, make_rule(), 100)
    assert out["synthetic"].tolist() == [True, False]
    assert out.attrs["synthetic_amount"] == 25 and out.attrs["synthetic_share"] == 0.25


@pytest.mark.parametrize(
    "envelope, message",
    [
        (50, "envelope: 50 million VND cannot meet the minimums: 4 eligible unit(s) × limits.min 20"),
        (500, "envelope: 500 million VND is more than the units can take: the maximums allow at most 160"),
        (0, "envelope: must be a positive number"),
        (100.5, "envelope: 100.5 million VND is not a multiple"),
    ],
)
def test_infeasible_envelopes(envelope, message):
    with pytest.raises(RuleError, match="^" + message.replace("(", r"\(").replace(")", r"\)")):
        engine.allocate(frame([1, 2, 3, 4]), make_rule(limits={"min": 20, "max": 40}), envelope)


def test_no_eligible_unit():
    with pytest.raises(RuleError, match="eligibility: no eligible unit among the 3 units"):
        engine.allocate(frame([1, 2, 3], ok=[0, 0, 0]), make_rule(), 10)


def test_all_zero_scores_cannot_share_beyond_the_minimum():
    with pytest.raises(RuleError, match="every eligible unit scores 0"):
        engine.allocate(frame([0, 0]), make_rule(limits={"min": 5}), 20)
    assert engine.allocate(frame([0, 0]), make_rule(limits={"min": 5}), 10)["amount"].tolist() == [5, 5]


def test_missing_value_of_an_eligible_unit_is_an_error():
    with pytest.raises(RuleError, match=r"criteria\[0\].indicator: 'x' has no value for 1 eligible unit"):
        engine.allocate(frame([1, float("nan")]), make_rule(), 10)


def test_unknown_column_names_the_field():
    rule = make_rule(eligibility=[{"attribute": "nowhere", "op": "is", "value": True}])
    with pytest.raises(RuleError, match=r"eligibility\[0\]: no column 'nowhere'"):
        engine.allocate(frame([1]), rule, 10)


def test_water_fill_is_exact():
    shares = engine.water_fill([F(1, 3), F(1, 3), F(1, 3)], 10, 0, None)
    assert shares == [F(10, 3)] * 3 and sum(shares) == 10
    assert engine.water_fill([F(0), F(5)], 12, 2, 20) == [2, 10]
    with pytest.raises(ValueError):
        engine.water_fill([F(1)], 5, 10, None)


# ---- properties ---------------------------------------------------------------------------------

values = st.lists(st.integers(min_value=0, max_value=500), min_size=1, max_size=8)


@st.composite
def cases(draw):
    x = draw(values)
    n = len(x)
    ok = draw(st.lists(st.booleans(), min_size=n, max_size=n))
    assume(any(ok))
    unit = draw(st.sampled_from([1, 5, 10]))
    lo = draw(st.integers(0, 20)) * unit
    hi = draw(st.one_of(st.none(), st.integers(lo // unit, lo // unit + 60).map(lambda v: v * unit)))
    coef = draw(st.sampled_from([0.5, 1, 1.5, 3]))
    base = draw(st.sampled_from([0, 1, 7]))
    rule = make_rule(
        criteria=[
            {"id": "base", "kind": "base", "points": base},
            {"id": "x", "kind": "per_unit", "indicator": "x", "coefficient": coef},
            {
                "id": "xb",
                "kind": "bands",
                "indicator": "x",
                "bands": [
                    {"min": 0, "max": 100, "points": 0},
                    {"min": 100, "max": 300, "points": 40},
                    {"min": 300, "points": 90},
                ],
            },
        ],
        limits={"min": lo} if hi is None else {"min": lo, "max": hi},
        rounding={"unit": unit, "tie_break": draw(st.sampled_from([["score"], ["gso_code"], ["name"]]))},
    )
    f = frame(x, ok=[int(v) for v in ok])
    pts = engine.points(f, rule)["score"].to_numpy()
    scores = [F(float(s)) for s, o in zip(pts, ok) if o]
    least, most = engine.feasible_range(scores, lo // unit, None if hi is None else hi // unit)
    top = most if most is not None else least + 400
    envelope = draw(st.integers(least, max(least, top))) * unit
    assume(envelope > 0)
    return f, rule, envelope


@settings(max_examples=150, deadline=None)
@given(cases())
def test_parts_sum_exactly_ineligible_zero_limits_hold(case):
    f, rule, envelope = case
    out = engine.allocate(f, rule, envelope)
    assert int(out["amount"].sum()) == envelope
    assert (out.loc[~out["eligible"], "amount"] == 0).all()
    got = out.loc[out["eligible"], "amount"]
    assert (got >= rule.min).all()
    if rule.max is not None:
        assert (got <= rule.max).all()
    assert (out["amount"] % rule.rounding_unit == 0).all()


@settings(max_examples=150, deadline=None)
@given(cases(), st.data())
def test_raising_a_value_never_lowers_the_amount(case, data):
    f, rule, envelope = case
    k = data.draw(st.integers(0, len(f) - 1))
    bump = data.draw(st.integers(1, 400))
    before = engine.allocate(f, rule, envelope)["amount"].iloc[k]
    g = f.copy()
    g.loc[k, "x"] = g.loc[k, "x"] + bump
    after = engine.allocate(g, rule, envelope)["amount"].iloc[k]
    assert after >= before


@settings(max_examples=100, deadline=None)
@given(cases(), st.randoms(use_true_random=False))
def test_same_inputs_same_output_whatever_the_row_order(case, rnd):
    f, rule, envelope = case
    a = engine.allocate(f, rule, envelope)
    b = engine.allocate(f, rule, envelope)
    assert a.equals(b)
    order = list(range(len(f)))
    rnd.shuffle(order)
    c = engine.allocate(f.iloc[order].reset_index(drop=True), rule, envelope)
    assert amounts(c) == amounts(a)  # ties are broken by keys of the units, never by their position


def test_synthetic_share_is_split_between_criteria_and_the_per_household_denominator():
    f = frame([1, 3])
    f["poor_households__status"] = ["synthetic", "synthetic"]  # only the denominator is synthetic
    out = engine.allocate(f, make_rule(), 100)
    a = out.attrs
    assert a["synthetic_share"] == 1.0  # the old total says "everything"…
    assert (a["synthetic_criteria_share"], a["synthetic_criteria_units"]) == (0.0, 0)  # …no money moved by it
    assert (a["synthetic_per_household_share"], a["synthetic_per_household_amount"]) == (1.0, 100)
    assert out["synthetic_criteria"].tolist() == [False, False]
    assert out["synthetic_per_household"].tolist() == [True, True]
    f = frame([1, 3])
    f["x__status"] = ["synthetic", "official"]
    a = engine.allocate(f, make_rule(), 100).attrs
    assert (a["synthetic_criteria_amount"], a["synthetic_criteria_share"], a["synthetic_per_household_share"]) == (
        25,
        0.25,
        0.0,
    )
