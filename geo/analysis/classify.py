"""Class breaks for choropleth maps (mapclassify's schemes, in numpy).

A choropleth layer turns numbers into a few classes, each drawn in one
colour of a ColorBrewer palette.  :func:`classify` picks the breaks with one
of four schemes and returns a :class:`Classes` that knows, for every value,
its class (``-1`` for a missing value — "no data" is never class 0), and
can write a legend.

Schemes (``SCHEMES``):

``quantiles``       about the same number of units in each class
``fisher_jenks``    natural breaks (Fisher–Jenks: minimal within-class variance)
``equal_interval``  classes of equal width between the minimum and maximum
``user_defined``    the upper bounds given in ``breaks`` (the last class is
                    extended to the maximum when the data go beyond it)

Missing values (NaN / None) are left out of the breaks and counted apart.
With fewer distinct values than classes, ``k`` shrinks to the number of
distinct values (mapclassify would otherwise warn and repeat breaks).

Example
-------
>>> c = classify([1, 2, 3, 4, None, 10], "equal_interval", k=3)
>>> c.breaks
[4.0, 7.0, 10.0]
>>> c.bins.tolist()
[0, 0, 0, 0, -1, 2]
>>> c.colors("YlOrRd")
['#ffeda0', '#feb24c', '#f03b20']
>>> [e["label"] for e in c.legend("YlOrRd", lang="vi")]
['1 – 4', '> 4 – 7', '> 7 – 10']
>>> c.n_missing
1
"""

from __future__ import annotations

import importlib.util
import json
import math
import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache

import numpy as np

from geo.messages import Message

SCHEMES = ("quantiles", "fisher_jenks", "equal_interval", "user_defined")
MAX_K = 9
MIN_K = 2


class ClassifyError(ValueError):
    """Bad classification parameters (unknown scheme, bad k or breaks)."""


# ---------------------------------------------------------------- palettes


# Not a data cache (geo.cache holds those): the ColorBrewer palettes shipped with
# branca, a constant of the installed library, read once (found, not imported: branca's
# package imports its colormaps and templates, 60 ms of every start).
@lru_cache(maxsize=1)
def _brewer() -> dict[str, list[str]]:
    spec = importlib.util.find_spec("branca")
    if spec is None or not spec.submodule_search_locations:
        raise ModuleNotFoundError("branca (its ColorBrewer palettes) is not installed")
    with open(os.path.join(spec.submodule_search_locations[0], "_schemes.json")) as f:
        return json.load(f)


def palette_names() -> list[str]:
    """ColorBrewer palette names with exact 3–9 class versions (e.g. ``YlOrRd``)."""
    names = {k[:-3] for k in _brewer() if k[-3:-2] == "_" and k[-2:].isdigit()}
    return sorted(n for n in names if all(f"{n}_{i:02d}" in _brewer() for i in range(3, 10)))


def is_palette(name: str) -> bool:
    """Whether ``name`` (optionally with ``_r`` for reversed) is a known palette.

    >>> is_palette("YlOrRd"), is_palette("Blues_r"), is_palette("Rainbow")
    (True, True, False)
    """
    base = name[:-2] if name.endswith("_r") else name
    return base in palette_names()


def palette(name: str, n: int) -> list[str]:
    """``n`` colours of a ColorBrewer palette, light to dark (``_r``: reversed).

    Exact ColorBrewer colours for 3–9 classes; 1 and 2 classes take the ends
    of the 3-class palette.

    >>> palette("Blues", 3)
    ['#deebf7', '#9ecae1', '#3182bd']
    >>> palette("Blues_r", 2)
    ['#3182bd', '#deebf7']
    """
    if not is_palette(name):
        raise ClassifyError(Message("error.classify.unknown_palette", got=name, known=", ".join(palette_names())))
    reverse = name.endswith("_r")
    base = name[:-2] if reverse else name
    if not 1 <= n <= MAX_K:
        raise ClassifyError(Message("error.classify.palette_size", name=name, n=n, max=MAX_K))
    colors = list(_brewer()[f"{base}_{max(n, 3):02d}"])
    if n == 2:
        colors = [colors[0], colors[2]]
    elif n == 1:
        colors = [colors[1]]
    return colors[::-1] if reverse else colors


# ------------------------------------------------------------ number format


def format_number(x: float, lang: str = "vi", digits: int | None = None) -> str:
    """A number as people read it: ``vi`` 1.234,5 — ``en`` 1,234.5.

    ``digits=None`` keeps up to 1 decimal for values under 1000 and none above.

    >>> format_number(1234.56, "vi"), format_number(1234.56, "en"), format_number(12.345, "vi")
    ('1.235', '1,235', '12,3')
    >>> format_number(7.0, "en"), format_number(0.25, "en", digits=2), format_number(0.97, "vi", digits=1)
    ('7', '0.25', '1,0')
    """
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return ""
    auto = digits is None
    if auto:
        digits = 0 if abs(x) >= 1000 or float(x).is_integer() else 1
    text = f"{x:,.{digits}f}"
    if auto and digits and float(f"{x:.{digits}f}").is_integer():
        text = text.rstrip("0").rstrip(".")
    if lang == "vi":
        text = text.replace(",", "\u0000").replace(".", ",").replace("\u0000", ".")
    return text


# ---------------------------------------------------------------- classify


@dataclass
class Classes:
    """The result of :func:`classify`.

    ``breaks`` are the upper bounds of the classes (the last is the maximum);
    ``lower`` is the minimum of the data; ``bins`` the class of each input
    value, ``-1`` where the value is missing.
    """

    scheme: str
    k: int
    breaks: list[float]
    lower: float
    bins: np.ndarray
    counts: list[int]
    n_missing: int
    requested_k: int = 0
    open_top: bool = False
    notes: list[str] = field(default_factory=list)

    def colors(self, palette_name: str) -> list[str]:
        return palette(palette_name, self.k)

    def color_of(self, palette_name: str) -> list[str | None]:
        """The colour of each input value (``None`` where missing)."""
        cols = self.colors(palette_name)
        return [cols[b] if b >= 0 else None for b in self.bins]

    def legend(self, palette_name: str, lang: str = "vi", digits: int | None = None) -> list[dict]:
        """One entry per class: ``lower``, ``upper``, ``color``, ``count``, ``label``.

        Labels read "a – b" for the first class and "> a – b" after it (a
        value equal to a break belongs to the lower class, as in mapclassify).
        """
        if digits is None:
            if self.scheme == "user_defined":  # show the breaks as given (up to 2 decimals)
                digits = max(_decimals(b) for b in (self.breaks[:-1] if self.open_top else self.breaks))
            else:
                digits = _legend_digits([self.lower] + self.breaks)
        cols = self.colors(palette_name)
        out, lo = [], self.lower
        last = len(self.breaks) - 1
        for i, (hi, col, n) in enumerate(zip(self.breaks, cols, self.counts)):
            a, b = format_number(lo, lang, digits), format_number(hi, lang, digits)
            if self.scheme == "user_defined":
                label = f"≤ {b}" if i == 0 else (f"> {a}" if i == last and self.open_top else f"> {a} – {b}")
            else:
                label = (a if a == b else f"{a} – {b}") if i == 0 else f"> {a} – {b}"
            out.append({"lower": _py(lo), "upper": _py(hi), "color": col, "count": int(n), "label": label})
            lo = hi
        return out


def _py(x) -> float:
    return float(round(float(x), 6))


def _decimals(x: float) -> int:
    for d in (0, 1, 2):
        if abs(round(x, d) - x) < 1e-9:
            return d
    return 2


def _legend_digits(values: Sequence[float]) -> int:
    """Decimals for the legend: 0 for whole numbers, else the fewest (1–2) that keep bounds distinct."""
    vals = [v for v in values if not math.isnan(v)]
    if all(float(v).is_integer() for v in vals):
        return 0
    for d in (1, 2):
        if len({round(v, d) for v in vals}) == len(set(vals)):
            return d
    return 2


def classify(
    values: Iterable[float | None],
    scheme: str = "quantiles",
    k: int = 5,
    breaks: Sequence[float] | None = None,
    reference: Iterable[float | None] | None = None,
) -> Classes:
    """Classify ``values`` with ``scheme``.

    ``reference`` (optional) are the values the breaks are computed from —
    e.g. all years of a series, so that one set of classes serves every year
    and a map of 2020 can be compared with 2015.  By default the breaks come
    from ``values`` themselves.

    >>> c = classify([5, 1, 9, 3], "user_defined", breaks=[2, 6])
    >>> c.breaks, c.bins.tolist(), c.counts
    ([2.0, 6.0, 9.0], [1, 0, 2, 1], [1, 2, 1])
    >>> [e["label"] for e in c.legend("Blues", lang="en")]
    ['≤ 2', '> 2 – 6', '> 6']
    >>> classify([1, 1, 1], "quantiles", k=5).k
    1
    """
    if scheme not in SCHEMES:
        raise ClassifyError(Message("error.classify.unknown_scheme", got=scheme, expected=", ".join(SCHEMES)))
    vals = _as_array(values)
    ref = vals if reference is None else _as_array(reference)
    present = ref[~np.isnan(ref)]
    missing = np.isnan(vals)
    requested = k
    open_top = False
    notes: list[str] = []

    if scheme == "user_defined":
        if not breaks:
            raise ClassifyError(Message("error.classify.needs_breaks"))
        bounds = [float(b) for b in breaks]
        if any(b2 <= b1 for b1, b2 in zip(bounds, bounds[1:])):
            raise ClassifyError(Message("error.classify.breaks_ascending", got=list(breaks)))
        if len(bounds) + 1 > MAX_K:
            raise ClassifyError(Message("error.classify.breaks_max", max=MAX_K - 1, k=MAX_K, got=len(bounds)))
        top = float(present.max()) if present.size else bounds[-1]
        open_top = top > bounds[-1]
        edges = bounds + ([top] if open_top else [])
        k = len(edges)
    else:
        if not isinstance(k, (int, np.integer)) or not MIN_K <= k <= MAX_K:
            raise ClassifyError(Message("error.classify.k_range", low=MIN_K, high=MAX_K, got=k))
        distinct = np.unique(present)
        if distinct.size == 0:
            edges, k = [], 0
        elif distinct.size < k:
            notes.append(f"only {distinct.size} distinct values: {distinct.size} classes instead of {k}")
            edges, k = [float(v) for v in distinct], int(distinct.size)
        else:
            edges = _mapclassify_edges(present, scheme, k)
            k = len(edges)
            if k < requested:
                notes.append(f"{k} classes instead of {requested} (repeated values)")

    lower = float(present.min()) if present.size else math.nan
    bins = np.full(vals.shape, -1, dtype=int)
    if k:
        idx = np.searchsorted(np.asarray(edges), vals[~missing], side="left")
        bins[~missing] = np.minimum(idx, k - 1)
    counts = [int((bins == i).sum()) for i in range(k)]
    return Classes(
        scheme=scheme,
        k=k,
        breaks=[_py(e) for e in edges],
        lower=lower,
        bins=bins,
        counts=counts,
        n_missing=int(missing.sum()),
        requested_k=requested,
        open_top=open_top,
        notes=notes,
    )


def _as_array(values) -> np.ndarray:
    return np.array([np.nan if v is None else float(v) for v in values], dtype=float)


JENKS_MAX = 1000


def _mapclassify_edges(present: np.ndarray, scheme: str, k: int) -> list[float]:
    if scheme == "quantiles":
        bins = quantile_bins(present, k)
    elif scheme == "fisher_jenks":
        # Exact Fisher-Jenks is O(k·n²): above JENKS_MAX values classify an evenly
        # spaced quantile sample (deterministic; min and max kept exactly).
        sample = present if present.size <= JENKS_MAX else np.quantile(present, np.linspace(0.0, 1.0, JENKS_MAX))
        bins = fisher_jenks_bins(sample, k)
    else:
        bins = equal_interval_bins(present, k)
    edges = []
    for b in np.asarray(bins, dtype=float):
        if not edges or b > edges[-1] + 1e-12:
            edges.append(float(b))
    return edges


# --------------------------------------------------------- breaks (numpy)
#
# mapclassify's Quantiles, EqualInterval and FisherJenks (mapclassify 2.10,
# BSD-3-Clause), reimplemented in numpy with the same arithmetic, so the breaks
# are the same to the bit (tests/geo/analysis/test_classify.py compares them):
# importing mapclassify pulls in scipy.stats, scikit-learn and matplotlib —
# about 110 MiB and seconds of start-up in every server process.


def score_at_percentile(ordered: np.ndarray, per: float) -> float:
    """``scipy.stats.scoreatpercentile(…, per)`` (``fraction``) of the sorted values ``ordered``."""
    idx = per / 100.0 * (ordered.shape[0] - 1)
    i = int(idx)
    if i == idx:
        return float(np.add.reduce(ordered[i : i + 1] * np.array(1)) / 1.0)
    weights = np.array([(i + 1 - idx), (idx - i)], float)
    return float(np.add.reduce(ordered[i : i + 2] * weights) / weights.sum())


def quantile_bins(present: np.ndarray, k: int) -> np.ndarray:
    """The upper bounds of ``k`` quantile classes (``mapclassify.Quantiles(present, k).bins``).

    >>> quantile_bins(np.arange(1000.0), 4).tolist()
    [249.75, 499.5, 749.25, 999.0]
    """
    w = 100.0 / k
    p = np.arange(w, 100 + w, w)
    if p[-1] > 100.0:
        p[-1] = 100.0
    ordered = np.sort(present)
    return np.unique(np.array([score_at_percentile(ordered, pct) for pct in p]))


def equal_interval_bins(present: np.ndarray, k: int) -> np.ndarray:
    """The upper bounds of ``k`` classes of equal width (``mapclassify.EqualInterval(present, k).bins``).

    >>> equal_interval_bins(np.array([1.0, 2, 3, 4, 10]), 3).tolist()
    [4.0, 7.0, 10.0]
    """
    max_y, min_y = max(present), min(present)
    width = (max_y - min_y) * 1.0 / k
    cuts = np.arange(min_y + width, max_y + width, width)
    if len(cuts) > k:  # overshooting
        cuts = cuts[0:k]
    cuts[-1] = max_y
    return cuts.copy()


def fisher_jenks_bins(present: np.ndarray, k: int) -> np.ndarray:
    """The upper bounds of ``k`` natural-breaks classes (``mapclassify.FisherJenks(present, k).bins``).

    Fisher–Jenks in float32 as mapclassify computes it, the inner loops
    vectorised: for every end ``l`` of a class, the best start over all
    ``m`` at once (a tie goes to the largest ``m``, as its ``>=`` does).

    >>> fisher_jenks_bins(np.array([1.0, 2, 3, 10, 11, 12, 30]), 3).tolist()
    [3.0, 12.0, 30.0]
    """
    values = np.sort(present).astype("f8")
    n = len(values)
    mat1 = np.zeros((n + 1, k + 1), dtype=np.int32)
    mat2 = np.zeros((n + 1, k + 1), dtype=np.float32)
    mat1[1, 1:] = 1
    mat2[2:, 1:] = np.inf
    f32 = values.astype(np.float32)
    for end in range(2, n + 1):
        vals = f32[end - 1 :: -1]  # m = 1..end: values[end - m]
        s1 = np.cumsum(vals, dtype=np.float32)
        s2 = np.cumsum(vals * vals, dtype=np.float32)
        w = np.arange(1, end + 1, dtype=np.float32)
        v = s2 - (s1 * s1) / w  # v[m-1]
        i4 = end - np.arange(1, end)  # m = 1..end-1 (i4 = end-m ≠ 0)
        cand = v[: end - 1, None] + mat2[i4, 1:k]  # (m, j-1) for j = 2..k
        best = cand.min(axis=0)
        last = (end - 2) - np.argmax((cand == best)[::-1], axis=0)  # largest m index reaching the minimum
        better = mat2[end, 2:] >= best
        mat1[end, 2:] = np.where(better, end - last, mat1[end, 2:])  # i3 = end - m + 1, m = last + 1
        mat2[end, 2:] = np.where(better, best, mat2[end, 2:])
        mat1[end, 1] = 1
        mat2[end, 1] = v[end - 1]
    kclass = np.zeros(k + 1, dtype=values.dtype)
    kclass[k] = values[n - 1]
    kclass[0] = values[0]
    row = n
    for count in range(k, 1, -1):
        pivot = mat1[row, count]
        kclass[count - 1] = values[int(pivot - 2)]
        row = int(pivot - 1)
    return np.delete(kclass, 0)
