"""Divide an envelope among units by a rule: eligibility, points, capped shares, exact rounding.

Pure functions over a frame of units (one row per unit, see
:func:`geo.allocation.data.unit_frame` for its columns):

1. :func:`eligibility` — every condition of the rule must hold; the reason
   names the conditions a unit fails (or that it meets them all);
2. :func:`points` — each criterion's points per unit, and ``score`` their
   sum (``per_unit``: coefficient × value; ``bands``: the band's points;
   ``base``: fixed points).  Coefficients and band points never decrease,
   so a higher value never scores less;
3. :func:`water_fill` — the eligible units share the envelope in
   proportion to their scores, each amount clamped to [min, max]: the
   share factor λ is found exactly (fractions, no float drift) so that
   ``Σ clamp(λ·score, min, max)`` equals the envelope;
4. :func:`largest_remainder` — the amounts, in rounding units, are floored
   and the units left over go one each to the largest remainders (ties:
   the rule's ``tie_break``, then ``gso_code``), so the parts sum exactly
   to the envelope and min/max still hold.

Ineligible units get 0.  An envelope that cannot meet the minimums (or is
more than the maximums allow), no eligible unit or a missing criterion
value raise :class:`~geo.allocation.rules.RuleError`.

Example
-------
>>> from fractions import Fraction as F
>>> [str(x) for x in water_fill([F(1), F(2), F(7)], 100, 20, 50)]
['20', '30', '50']
>>> largest_remainder([F(10, 3), F(10, 3), F(10, 3)], 10, [("b",), ("a",), ("c",)])
[3, 4, 3]
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from fractions import Fraction

import numpy as np
import pandas as pd

from geo import messages
from geo.allocation.rules import Condition, Criterion, Rule, RuleError
from geo.messages import Message

ID_COLUMNS = ("gso_code", "name", "unit_type", "district_code", "district_name")


def column(subject: str, scope: str = "unit") -> str:
    """The unit-frame column holding an indicator (or attribute) for a scope.

    >>> column("poor_rate"), column("poor_district_30a", "district")
    ('poor_rate', 'district.poor_district_30a')
    """
    return subject if scope == "unit" else f"district.{subject}"


def _where(rule: Rule) -> str:
    return f"{rule.path}: " if rule.path else ""


def _series(frame: pd.DataFrame, subject: str, scope: str, field: str, rule: Rule) -> pd.Series:
    col = column(subject, scope)
    if col not in frame.columns:
        raise RuleError(
            f"{_where(rule)}{field}: no column {col!r} in the units "
            f"(unknown {'attribute' if scope == 'unit' else 'district indicator'}?)"
        )
    return frame[col]


def _test(values: pd.Series, cond: Condition) -> np.ndarray:
    """Which units meet one condition (a missing value never does)."""
    if cond.op == "is":
        num = pd.to_numeric(values.astype(object).replace({True: 1, False: 0}), errors="coerce")
        truth = num.fillna(0).to_numpy(dtype=float) != 0
        return truth if cond.value else ~truth
    if cond.op in ("in", "not in"):
        text = values.astype(object).where(values.notna(), None).map(lambda v: None if v is None else str(v))
        inside = text.isin(cond.value).to_numpy(dtype=bool)
        return inside if cond.op == "in" else (~inside & text.notna().to_numpy(dtype=bool))
    if cond.op in ("==", "!=") and isinstance(cond.value, str):
        text = values.astype(object).map(
            lambda v: None if v is None or (isinstance(v, float) and math.isnan(v)) else str(v)
        )
        same = (text == cond.value).to_numpy(dtype=bool)
        return same if cond.op == "==" else (~same & text.notna().to_numpy(dtype=bool))
    num = pd.to_numeric(values, errors="coerce").to_numpy(dtype=float)
    target = float(cond.value)
    with np.errstate(invalid="ignore"):
        out = {
            "==": num == target,
            "!=": num != target,
            ">": num > target,
            ">=": num >= target,
            "<": num < target,
            "<=": num <= target,
        }[cond.op]
    return out & ~np.isnan(num)


def _label(cond: Condition, lang: str) -> str:
    return (cond.label_en or cond.label_vi) if lang == "en" else cond.label_vi


def eligibility(frame: pd.DataFrame, rule: Rule, lang: str = "vi") -> tuple[np.ndarray, list[str]]:
    """``(eligible, reason)`` per unit: all conditions must hold; the reason (in ``lang``, words from
    the message catalogue, ``alloc.reason_*``) says which failed."""
    n = len(frame)
    ok = np.ones(n, dtype=bool)
    failed: list[list[str]] = [[] for _ in range(n)]
    for i, cond in enumerate(rule.eligibility):
        values = _series(frame, cond.field, cond.scope, f"eligibility[{i}]", rule)
        passed = _test(values, cond)
        ok &= passed
        for k in np.flatnonzero(~passed):
            v = values.iloc[k]
            missing = v is None or (isinstance(v, float) and math.isnan(v))
            shown = (
                messages.text("alloc.reason_no_value", lang)
                if missing
                else messages.text("alloc.reason_value", lang, value=v)
            )
            failed[k].append(f"{_label(cond, lang)} ({shown})")
    met = "; ".join(_label(c, lang) for c in rule.eligibility) or messages.text("alloc.reason_no_condition", lang)
    yes = messages.text("alloc.reason_eligible", lang, met=met)
    reasons = [
        yes if ok[k] else messages.text("alloc.reason_ineligible", lang, failed="; ".join(failed[k])) for k in range(n)
    ]
    return ok, reasons


def _band_points(values: np.ndarray, crit: Criterion) -> np.ndarray:
    """The points of the band each value falls in: 0 below the first, the top band's above a closed top."""
    out = np.where(np.isnan(values), np.nan, 0.0)
    for band in crit.bands:  # sorted, touching, points never decreasing
        out = np.where(values >= band.min, band.points, out)
    return out


def criterion_values(frame: pd.DataFrame, crit: Criterion, rule: Rule, field: str) -> np.ndarray:
    """The values a criterion reads (NaN when missing; booleans as 0/1)."""
    if crit.kind == "base":
        return np.ones(len(frame))
    values = _series(
        frame, crit.indicator, crit.scope, f"{field}.{'attribute' if crit.is_attribute else 'indicator'}", rule
    )
    values = values.astype(object).replace({True: 1, False: 0})
    return pd.to_numeric(values, errors="coerce").to_numpy(dtype=float)


def points(frame: pd.DataFrame, rule: Rule) -> pd.DataFrame:
    """One column ``<criterion id>`` of points per criterion, plus ``score`` (their sum)."""
    out = {}
    for i, crit in enumerate(rule.criteria):
        values = criterion_values(frame, crit, rule, f"criteria[{i}]")
        if crit.kind == "base":
            pts = np.full(len(frame), crit.points)
        elif crit.kind == "per_unit":
            pts = values * crit.coefficient
        else:
            pts = _band_points(values, crit)
        out[crit.id] = pts
    table = pd.DataFrame(out, index=frame.index)
    table["score"] = table.sum(axis=1, skipna=False)
    return table


def _clamp(x: Fraction, lo: int, hi: int | None) -> Fraction:
    if x < lo:
        return Fraction(lo)
    if hi is not None and x > hi:
        return Fraction(hi)
    return x


def _total(lam: Fraction, scores: Sequence[Fraction], lo: int, hi: int | None) -> Fraction:
    return sum((_clamp(lam * s, lo, hi) for s in scores), Fraction(0))


def feasible_range(scores: Sequence[Fraction], lo: int, hi: int | None) -> tuple[int, int | None]:
    """The smallest and largest envelope (in rounding units) the units can take; None: no upper end."""
    n = len(scores)
    positive = sum(1 for s in scores if s > 0)
    if positive == 0:
        return n * lo, n * lo
    return n * lo, None if hi is None else positive * hi + (n - positive) * lo


def water_fill(scores: Sequence[Fraction], total: int, lo: int, hi: int | None) -> list[Fraction]:
    """Exact shares ``clamp(λ·score, lo, hi)`` summing to ``total`` (all in rounding units).

    Units scoring 0 get ``lo``.  Raises :class:`ValueError` when ``total``
    is outside :func:`feasible_range`.
    """
    scores = [Fraction(s) for s in scores]
    least, most = feasible_range(scores, lo, hi)
    if total < least or (most is not None and total > most):
        raise ValueError(f"total {total} outside [{least}, {most if most is not None else '∞'}]")
    if total == least:
        return [Fraction(lo)] * len(scores)
    breaks = sorted(
        {Fraction(0)}
        | {Fraction(lo) / s for s in scores if s > 0}
        | ({Fraction(hi) / s for s in scores if s > 0} if hi is not None else set())
    )
    # f(λ) = Σ clamp(λ·s) is nondecreasing and linear between breaks: bisect for the first break reaching total.
    a, b = 0, len(breaks)
    while a < b:
        mid = (a + b) // 2
        if _total(breaks[mid], scores, lo, hi) >= total:
            b = mid
        else:
            a = mid + 1
    if a == len(breaks):  # beyond the last break (no maximum): every positive unit is free, slope Σ scores
        slope = sum((s for s in scores if s > 0), Fraction(0))
        lam = breaks[-1] + (total - _total(breaks[-1], scores, lo, hi)) / slope
    else:
        f_hi = _total(breaks[a], scores, lo, hi)
        if f_hi == total:
            lam = breaks[a]
        else:  # a ≥ 1 since f(0) = n·lo < total
            f_lo = _total(breaks[a - 1], scores, lo, hi)
            lam = breaks[a - 1] + (total - f_lo) * (breaks[a] - breaks[a - 1]) / (f_hi - f_lo)
    shares = [_clamp(lam * s, lo, hi) for s in scores]
    assert sum(shares) == total
    return shares


def largest_remainder(quotas: Sequence[Fraction], total: int, keys: Sequence[tuple]) -> list[int]:
    """Round ``quotas`` (summing to ``total``) to integers summing to ``total``.

    Floors first; the units left over go to the largest remainders, ties
    broken by ``keys`` (ascending: put ``-score`` first for "higher score
    wins").  A unit with a whole quota never moves.
    """
    floors = [math.floor(q) for q in quotas]
    left = total - sum(floors)
    order = sorted(range(len(quotas)), key=lambda k: (-(quotas[k] - floors[k]), keys[k]))
    out = list(floors)
    for k in order[:left]:
        out[k] += 1
    return out


def _tie_keys(frame: pd.DataFrame, score: np.ndarray, rule: Rule) -> list[tuple]:
    cols = []
    for key in rule.tie_break:
        if key == "score":
            cols.append([-float(s) for s in score])
        else:
            cols.append([str(v) for v in frame[key]] if key in frame.columns else [""] * len(frame))
    return list(zip(*cols))


def check_envelope(envelope: float, rule: Rule) -> int:
    """The envelope (million VND) as a whole number of rounding units, or a clear error."""
    if (
        isinstance(envelope, bool)
        or not isinstance(envelope, (int, float, np.integer, np.floating))
        or not math.isfinite(envelope)
        or envelope <= 0
    ):
        raise RuleError(Message("error.alloc.envelope_positive", got=envelope))
    if envelope != int(envelope) or int(envelope) % rule.rounding_unit:
        raise RuleError(
            Message("error.alloc.envelope_rounding", envelope=envelope, unit=rule.rounding_unit, rule=rule.id)
        )
    return int(envelope) // rule.rounding_unit


def _fraction(x: float) -> Fraction:
    """A score as an exact fraction (the float's own value: no rounding, so no drift)."""
    return Fraction(x)


def allocate(frame: pd.DataFrame, rule: Rule, envelope: float) -> pd.DataFrame:
    """Divide ``envelope`` (million VND) among the units of ``frame`` by ``rule``.

    Returns one row per unit (the frame's order): id columns, ``eligible``,
    ``reason`` (Vietnamese) and ``reason_en``, per criterion ``<id>_value`` / ``_year`` / ``_standard`` /
    ``_status`` / ``_points``, ``score``, ``amount`` (million VND),
    ``poor_households``, ``amount_per_poor_household`` (million VND),
    ``synthetic`` (any input synthetic), split into ``synthetic_criteria``
    (a value deciding eligibility or points) and ``synthetic_per_household``
    (the per-household denominator only divides, it never moves money);
    ``geometry`` when the frame has one.  ``attrs`` holds
    the totals (see ``docs/ALLOCATION.md``).
    """
    total_units = check_envelope(envelope, rule)
    ok, reasons = eligibility(frame, rule)
    pts = points(frame, rule)
    score = pts["score"].to_numpy(dtype=float)
    if not ok.any():
        raise RuleError(Message("error.alloc.no_eligible", where=_where(rule), n=len(frame)))
    for i, crit in enumerate(rule.criteria):
        bad = ok & np.isnan(pts[crit.id].to_numpy(dtype=float))
        if bad.any():
            names = ", ".join(str(x) for x in frame.loc[bad, "name"].head(5)) if "name" in frame else ""
            raise RuleError(
                Message(
                    "error.alloc.no_value",
                    where=_where(rule),
                    i=i,
                    indicator=crit.indicator,
                    n=int(bad.sum()),
                    names=names,
                )
            )
    idx = np.flatnonzero(ok)
    unit = rule.rounding_unit
    lo = rule.min // unit
    hi = None if rule.max is None else rule.max // unit
    scores = [_fraction(float(score[k])) for k in idx]
    least, most = feasible_range(scores, lo, hi)
    if total_units < least:
        raise RuleError(
            Message("error.alloc.below_minimums", envelope=envelope, n=len(idx), min=rule.min, least=least * unit)
        )
    if most is not None and total_units > most:
        why = (
            Message("error.alloc.maximums_allow", most=most * unit, max=rule.max)
            if any(s > 0 for s in scores)
            else Message("error.alloc.all_zero", least=least * unit)
        )
        raise RuleError(Message("error.alloc.above_maximums", envelope=envelope, why=why))
    shares = water_fill(scores, total_units, lo, hi)
    keys = _tie_keys(frame.iloc[idx], score[idx], rule)
    rounded = largest_remainder(shares, total_units, keys)
    amount = np.zeros(len(frame), dtype=np.int64)
    amount[idx] = np.asarray(rounded, dtype=np.int64) * unit
    return _result(frame, rule, envelope, ok, reasons, pts, amount)


def _any_synthetic(statuses: list, n: int) -> np.ndarray:
    """Which units have a synthetic value among ``statuses`` (one array of statuses per input)."""
    out = np.zeros(n, dtype=bool)
    for st in statuses:
        out |= np.asarray([s == "synthetic" for s in st], dtype=bool)
    return out


def _synthetic_part(prefix: str, which: np.ndarray, amount: np.ndarray, allocated: int) -> dict:
    """``<prefix>_units``, ``_amount`` and ``_share`` of the envelope for the units ``which``.

    >>> _synthetic_part("s", np.array([True, False]), np.array([30, 70]), 100)
    {'s_units': 1, 's_amount': 30, 's_share': 0.3}
    """
    part = int(amount[which].sum())
    return {
        f"{prefix}_units": int(which.sum()),
        f"{prefix}_amount": part,
        f"{prefix}_share": round(part / allocated, 6) if allocated else 0.0,
    }


def _result(frame, rule: Rule, envelope, ok, reasons, pts, amount) -> pd.DataFrame:
    cols: dict[str, object] = {c: frame[c].to_numpy() for c in ID_COLUMNS if c in frame.columns}
    cols["eligible"] = ok
    cols["reason"] = reasons
    cols["reason_en"] = eligibility(frame, rule, "en")[1]
    statuses = []  # the statuses of the values that decide eligibility and points
    for i, crit in enumerate(rule.criteria):
        cols[f"{crit.id}_value"] = (
            criterion_values(frame, crit, rule, f"criteria[{i}]")
            if crit.kind != "base"
            else np.full(len(frame), np.nan)
        )
        base = column(crit.indicator, crit.scope) if crit.indicator else None
        for part in ("year", "standard", "status"):
            src = f"{base}__{part}" if base else None
            cols[f"{crit.id}_{part}"] = (
                frame[src].to_numpy() if src in frame.columns else np.full(len(frame), None, dtype=object)
            )
        statuses.append(cols[f"{crit.id}_status"])
        cols[f"{crit.id}_points"] = pts[crit.id].to_numpy(dtype=float)
    for cond in rule.eligibility:
        src = f"{column(cond.field, cond.scope)}__status"
        if not cond.is_attribute and src in frame.columns:
            statuses.append(frame[src].to_numpy())
    cols["score"] = pts["score"].to_numpy(dtype=float)
    cols["amount"] = amount
    households = (
        pd.to_numeric(frame[rule.per_household], errors="coerce").to_numpy(dtype=float)
        if rule.per_household and rule.per_household in frame.columns
        else np.full(len(frame), np.nan)
    )
    hh_status = frame.get(f"{rule.per_household}__status")
    cols["poor_households"] = households
    with np.errstate(divide="ignore", invalid="ignore"):
        per = np.where(households > 0, amount / households, np.nan)
    cols["amount_per_poor_household"] = np.round(per, 3)
    in_criteria = _any_synthetic(statuses, len(frame))
    in_denominator = _any_synthetic([] if hh_status is None else [hh_status.to_numpy()], len(frame))
    synthetic = in_criteria | in_denominator
    cols["synthetic"] = synthetic
    cols["synthetic_criteria"] = in_criteria
    cols["synthetic_per_household"] = in_denominator
    out = pd.DataFrame(cols, index=frame.index)
    if "geometry" in frame.columns:
        out["geometry"] = frame["geometry"].to_numpy()
    allocated = int(amount.sum())
    synthetic_amount = int(amount[synthetic & ok].sum())
    out.attrs = {
        "rule": rule.id,
        "name_vi": rule.name_vi,
        "name_en": rule.name_en,
        "status": rule.status,
        "illustrative": rule.illustrative,
        "note_vi": rule.note_vi,
        "note_en": rule.note_en,
        "source": {
            "document": rule.source.document,
            "article": rule.source.article,
            "date": rule.source.date,
            "address": rule.source.address,
        },
        "envelope": int(envelope),
        "allocated": allocated,
        "units": len(frame),
        "eligible": int(ok.sum()),
        "synthetic_units": int((synthetic & ok).sum()),
        "synthetic_amount": synthetic_amount,
        "synthetic_share": round(synthetic_amount / allocated, 6) if allocated else 0.0,
        **_synthetic_part("synthetic_criteria", in_criteria & ok, amount, allocated),
        **_synthetic_part("synthetic_per_household", in_denominator & ok, amount, allocated),
        "min": rule.min,
        "max": rule.max,
        "rounding_unit": rule.rounding_unit,
        **{k: v for k, v in frame.attrs.items() if k in ("year", "level")},
    }
    return out
