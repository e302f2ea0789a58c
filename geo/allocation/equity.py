"""Who the money reaches: the equity view of an allocation (pure functions).

Over every unit of the level (eligible or not, so money that never reaches a
poor commune shows), from an allocation result (:func:`geo.allocation.engine.allocate`)
with the columns ``gso_code``, ``amount``, ``poor_households``, ``poor_rate``,
``on_border``, ``district_code`` and ``district_name`` (see
:func:`geo.allocation.data.equity_frame`):

- :func:`poorest_share` — the share of the money reaching the poorest units
  (the first ``ceil(n × fraction)`` by poverty rate, highest first; ties by
  ``gso_code``), beside their share of the poor households;
- :func:`border_share` — the same for the border units;
- :func:`by_district` — amount, poor households and amount per poor
  household for each district;
- :func:`lorenz` and :func:`gini` — the concentration curve: units sorted by
  amount per poor household (lowest first), cumulative share of poor
  households (x) against cumulative share of money (y), and the Gini-like
  figure ``1 − Σ (x_k − x_{k−1})(y_k + y_{k−1})``: 0 when every poor
  household gets the same, near 1 when a few get everything;
- :func:`equity` — all of them, plus which inputs are synthetic.

Example
-------
>>> import pandas as pd
>>> f = pd.DataFrame({"gso_code": ["a", "b", "c"], "amount": [0, 10, 30],
...                   "poor_households": [10.0, 10.0, 20.0]})
>>> lorenz(f)
[[0.0, 0.0], [0.25, 0.0], [0.5, 0.25], [1.0, 1.0]]
>>> gini(lorenz(f))
0.3125
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

#: The share of units counted as "the poorest" by default (a quintile).
POOREST_FRACTION = 0.2
DIGITS = 6


def _ratio(part: float, whole: float) -> float | None:
    """``part / whole`` rounded, or None when ``whole`` is 0.

    >>> _ratio(1, 3), _ratio(1, 0)
    (0.333333, None)
    """
    return round(float(part) / float(whole), DIGITS) if whole else None


def _numbers(frame: pd.DataFrame, col: str) -> np.ndarray:
    if col not in frame.columns:
        return np.full(len(frame), np.nan)
    return pd.to_numeric(frame[col], errors="coerce").to_numpy(dtype=float)


def _group(frame: pd.DataFrame, which: np.ndarray) -> dict:
    """Units, money and poor households of the units ``which``, as shares of the whole."""
    amount = _numbers(frame, "amount")
    hh = _numbers(frame, "poor_households")
    known = ~np.isnan(hh)
    return {
        "units": int(which.sum()),
        "amount": int(np.nansum(amount[which])),
        "amount_share": _ratio(np.nansum(amount[which]), np.nansum(amount)),
        "poor_households": float(np.nansum(hh[which & known])),
        "poor_households_share": _ratio(np.nansum(hh[which & known]), np.nansum(hh[known])),
        "codes": [str(c) for c in frame.loc[which, "gso_code"]],
    }


def poorest_share(frame: pd.DataFrame, fraction: float = POOREST_FRACTION) -> dict:
    """The money and poor households of the poorest ``fraction`` of the units (by ``poor_rate``).

    Units without a poverty rate are not ranked (``unranked`` counts them).

    >>> f = pd.DataFrame({"gso_code": list("abcde"), "amount": [50, 30, 20, 0, 0],
    ...                   "poor_households": [5.0, 5, 5, 5, 5], "poor_rate": [60.0, 40, 40, 10, None]})
    >>> d = poorest_share(f, 0.5)
    >>> d["units"], d["codes"], d["amount_share"], d["poor_households_share"], d["unranked"]
    (2, ['a', 'b'], 0.8, 0.4, 1)
    """
    if not 0 < fraction <= 1:
        raise ValueError(f"fraction must be in (0, 1], got {fraction!r}")
    rate = _numbers(frame, "poor_rate")
    ranked = [k for k in np.flatnonzero(~np.isnan(rate))]
    ranked.sort(key=lambda k: (-rate[k], str(frame["gso_code"].iloc[k])))
    take = math.ceil(round(len(ranked) * fraction, 9)) if ranked else 0  # 5 × 0.6 is 3, not 3.0000000000000004
    which = np.zeros(len(frame), dtype=bool)
    which[ranked[:take]] = True
    return {"fraction": fraction, **_group(frame, which), "unranked": int(np.isnan(rate).sum())}


def border_share(frame: pd.DataFrame) -> dict | None:
    """The money and poor households of the border units (None when the units carry no ``on_border``)."""
    if "on_border" not in frame.columns:
        return None
    flags = frame["on_border"].astype(object).map(lambda v: bool(v) if v is not None and v == v else False)
    return _group(frame, flags.to_numpy(dtype=bool))


def by_district(frame: pd.DataFrame) -> list[dict]:
    """One row per district (code order): units, eligible, amount, poor households, amount per poor household.

    >>> f = pd.DataFrame({"gso_code": list("abc"), "district_code": ["2", "1", "2"],
    ...                   "district_name": ["B", "A", "B"], "amount": [30, 0, 10],
    ...                   "eligible": [True, False, True], "poor_households": [10.0, 5.0, 10.0]})
    >>> [(d["district_code"], d["amount"], d["amount_per_poor_household"]) for d in by_district(f)]
    [('1', 0, 0.0), ('2', 40, 2.0)]
    """
    amount = _numbers(frame, "amount")
    hh = _numbers(frame, "poor_households")
    eligible = frame["eligible"].to_numpy(dtype=bool) if "eligible" in frame.columns else np.ones(len(frame), bool)
    codes = frame["district_code"].astype(str).to_numpy()
    names = frame["district_name"].astype(str).to_numpy() if "district_name" in frame.columns else codes
    out = []
    for code in sorted(set(codes)):
        which = codes == code
        households = float(np.nansum(hh[which]))
        money = int(np.nansum(amount[which]))
        out.append(
            {
                "district_code": code,
                "district_name": str(names[which][0]),
                "units": int(which.sum()),
                "eligible": int((which & eligible).sum()),
                "amount": money,
                "poor_households": households,
                "amount_per_poor_household": round(money / households, 3) if households > 0 else None,
            }
        )
    return out


def lorenz(frame: pd.DataFrame) -> list[list[float]]:
    """The concentration curve ``[[x, y], …]`` from ``[0, 0]`` to ``[1, 1]`` (see the module docstring).

    Units without a poor-household count are left out (:func:`equity` reports
    them); a unit with money but no poor household comes last (a vertical step).
    An empty curve when no money or no poor household is left.
    """
    amount = _numbers(frame, "amount")
    hh = _numbers(frame, "poor_households")
    keep = ~np.isnan(hh) & ~np.isnan(amount)
    codes = frame["gso_code"].astype(str).to_numpy()
    total_hh, total_money = hh[keep].sum(), amount[keep].sum()
    if total_hh <= 0 or total_money <= 0:
        return []
    with np.errstate(divide="ignore", invalid="ignore"):
        per = np.where(hh > 0, amount / hh, np.where(amount > 0, np.inf, 0.0))
    order = sorted(np.flatnonzero(keep), key=lambda k: (per[k], codes[k]))
    points, x, y = [[0.0, 0.0]], 0.0, 0.0
    for k in order:
        x += hh[k]
        y += amount[k]
        points.append([round(float(x / total_hh), DIGITS), round(float(y / total_money), DIGITS)])
    points[-1] = [1.0, 1.0]
    return points


def gini(points: list[list[float]]) -> float | None:
    """The Gini-like figure of a concentration curve (None for an empty curve).

    >>> gini([[0, 0], [0.5, 0.5], [1, 1]]), gini([[0, 0], [1, 0], [1, 1]]), gini([])
    (0.0, 1.0, None)
    """
    if len(points) < 2:
        return None
    area = sum((x1 - x0) * (y1 + y0) for (x0, y0), (x1, y1) in zip(points, points[1:]))
    return round(1.0 - area, DIGITS)


def _synthetic(frame: pd.DataFrame, col: str) -> bool:
    """Whether any value of ``col`` the view uses is synthetic (by its ``__status`` column)."""
    st = frame.get(f"{col}__status")
    return bool(st is not None and (st.astype(object) == "synthetic").any())


def equity(frame: pd.DataFrame, fraction: float = POOREST_FRACTION) -> dict:
    """The equity view of one allocation: poorest and border shares, districts, curve and Gini-like figures.

    ``gini`` is over every unit with a poor-household count, ``gini_eligible``
    over the eligible ones only (how evenly the money is spread among those
    the rule lets in).
    """
    hh = _numbers(frame, "poor_households")
    amount = _numbers(frame, "amount")
    curve = lorenz(frame)
    eligible = frame["eligible"].to_numpy(dtype=bool) if "eligible" in frame.columns else np.ones(len(frame), bool)
    curve_eligible = lorenz(frame[eligible])
    missing = np.isnan(hh)
    return {
        "poorest": poorest_share(frame, fraction),
        "border": border_share(frame),
        "districts": by_district(frame),
        "lorenz": curve,
        "gini": gini(curve),
        "lorenz_eligible": curve_eligible,
        "gini_eligible": gini(curve_eligible),
        "without_households": {"units": int(missing.sum()), "amount": int(np.nansum(amount[missing]))},
        "synthetic": {
            "poor_rate": _synthetic(frame, "poor_rate"),
            "poor_households": _synthetic(frame, "poor_households"),
        },
    }
