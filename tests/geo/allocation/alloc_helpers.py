"""Builders shared by the allocation tests: a rule from a few fields, a frame of units."""

from __future__ import annotations

import pandas as pd

from geo.allocation.rules import Rule, parse_rule


def rule_dict(**over) -> dict:
    """A valid illustrative rule table; ``over`` replaces top-level fields."""
    base = {
        "id": "t",
        "name_vi": "Thử",
        "name_en": "Test",
        "programme": "P",
        "period": "2016-2020",
        "levels": ["commune_2020"],
        "status": "illustrative",
        "note_vi": "minh họa",
        "source": {"document": "D", "article": "A", "date": "2020", "address": ""},
        "eligibility": [{"indicator": "ok", "op": "is", "value": True, "label_vi": "ok"}],
        "criteria": [{"id": "x", "kind": "per_unit", "indicator": "x", "coefficient": 1}],
        "limits": {"min": 0},
        "rounding": {"unit": 1, "tie_break": ["score", "gso_code"]},
    }
    base.update(over)
    return base


def make_rule(**over) -> Rule:
    return parse_rule(rule_dict(**over))


def frame(x, ok=None, status="official", households=None) -> pd.DataFrame:
    """Units ``u0, u1…`` with indicator ``x``, eligibility flag ``ok`` and poor households."""
    n = len(x)
    ok = [1] * n if ok is None else ok
    households = [10] * n if households is None else households
    return pd.DataFrame(
        {
            "gso_code": [f"u{k}" for k in range(n)],
            "name": [f"Unit {k}" for k in range(n)],
            "x": [float(v) for v in x],
            "x__year": [2020] * n,
            "x__standard": [None] * n,
            "x__status": [status] * n,
            "ok": [float(v) for v in ok],
            "ok__status": ["official"] * n,
            "poor_households": [float(h) for h in households],
            "poor_households__status": ["official"] * n,
        }
    )
