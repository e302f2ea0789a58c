"""geo.analysis.classify: class breaks, "no data", palettes and legend labels (exact answers)."""

from __future__ import annotations

import math

import pytest

from geo.analysis import classify
from geo.analysis.classify import ClassifyError


def test_quantiles_split_evenly():
    c = classify.classify(list(range(1, 11)), "quantiles", k=5)
    assert c.breaks == [2.8, 4.6, 6.4, 8.2, 10.0]  # mapclassify: linear percentiles
    assert c.counts == [2, 2, 2, 2, 2]
    assert c.bins.tolist() == [0, 0, 1, 1, 2, 2, 3, 3, 4, 4]
    assert c.lower == 1.0


def test_equal_interval_widths():
    c = classify.classify([0, 1, 2, 9, 10], "equal_interval", k=5)
    assert c.breaks == [2.0, 4.0, 6.0, 8.0, 10.0]
    assert c.counts == [3, 0, 0, 0, 2]


def test_fisher_jenks_finds_the_natural_groups():
    values = [1, 1.5, 2, 10, 11, 12, 30, 31]
    c = classify.classify(values, "fisher_jenks", k=3)
    assert c.breaks == [2.0, 12.0, 31.0]
    assert c.bins.tolist() == [0, 0, 0, 1, 1, 1, 2, 2]


def test_user_defined_breaks_and_open_top_class():
    c = classify.classify([5, 1, 9, 3, 2], "user_defined", breaks=[2, 6])
    assert c.breaks == [2.0, 6.0, 9.0]
    assert c.bins.tolist() == [1, 0, 2, 1, 0]  # 2 belongs to the class "≤ 2"
    labels = [e["label"] for e in c.legend("Blues", lang="en")]
    assert labels == ["≤ 2", "> 2 – 6", "> 6"]


def test_user_defined_without_values_above_the_last_break():
    c = classify.classify([1, 3, 5], "user_defined", breaks=[2, 6])
    assert c.breaks == [2.0, 6.0]
    assert [e["label"] for e in c.legend("Blues", lang="vi")] == ["≤ 2", "> 2 – 6"]


def test_missing_values_are_no_data_never_class_zero():
    c = classify.classify([None, 1.0, float("nan"), 2.0, 3.0], "equal_interval", k=2)
    assert c.breaks == [2.0, 3.0]
    assert c.bins.tolist() == [-1, 0, -1, 0, 1]
    assert c.n_missing == 2
    assert sum(c.counts) == 3
    assert c.color_of("Reds")[0] is None and c.color_of("Reds")[1] is not None


def test_all_missing_gives_no_classes():
    c = classify.classify([None, None], "quantiles", k=5)
    assert c.k == 0 and c.breaks == [] and c.n_missing == 2 and math.isnan(c.lower)


def test_fewer_distinct_values_than_classes_shrinks_k():
    c = classify.classify([1, 1, 2, 2, 2], "quantiles", k=5)
    assert c.k == 2 and c.breaks == [1.0, 2.0] and c.counts == [2, 3]
    assert c.notes


def test_reference_values_fix_the_breaks_across_years():
    all_years = list(range(0, 101))
    c2015 = classify.classify([80, 90], "equal_interval", k=4, reference=all_years)
    c2020 = classify.classify([5, 10], "equal_interval", k=4, reference=all_years)
    assert c2015.breaks == c2020.breaks == [25.0, 50.0, 75.0, 100.0]
    assert c2015.bins.tolist() == [3, 3] and c2020.bins.tolist() == [0, 0]


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"scheme": "natural"}, "unknown classification scheme 'natural'"),
        ({"scheme": "quantiles", "k": 1}, "k must be an integer from 2 to 9"),
        ({"scheme": "quantiles", "k": 12}, "k must be an integer from 2 to 9"),
        ({"scheme": "user_defined"}, "needs 'breaks'"),
        ({"scheme": "user_defined", "breaks": [5, 2]}, "strictly ascending"),
    ],
)
def test_bad_parameters_raise(kwargs, message):
    with pytest.raises(ClassifyError, match=message):
        classify.classify([1, 2, 3], **kwargs)


def test_palettes_are_exact_colorbrewer():
    assert classify.palette("YlOrRd", 5) == ["#ffffb2", "#fecc5c", "#fd8d3c", "#f03b20", "#bd0026"]
    assert classify.palette("YlOrRd_r", 3) == classify.palette("YlOrRd", 3)[::-1]
    assert len(classify.palette("Blues", 2)) == 2
    assert classify.is_palette("PuRd") and not classify.is_palette("Jet")
    with pytest.raises(ClassifyError, match="unknown palette 'Jet'"):
        classify.palette("Jet", 5)


def test_legend_entries_and_vietnamese_numbers():
    c = classify.classify([0.5, 12.25, 30.0, 45.75], "user_defined", breaks=[10.5, 20.25])
    legend = c.legend("YlOrRd", lang="vi")
    assert [e["label"] for e in legend] == ["≤ 10,50", "> 10,50 – 20,25", "> 20,25"]  # same decimals
    assert [e["count"] for e in legend] == [1, 1, 2]
    assert [e["color"] for e in legend] == classify.palette("YlOrRd", 3)
    assert legend[0]["lower"] == 0.5 and legend[-1]["upper"] == 45.75


@pytest.mark.parametrize(
    "x, lang, digits, text",
    [
        (1234.5, "vi", None, "1.234"),  # ≥ 1000: no decimals by default (1.234,5 rounds half to even)
        (1234.5, "en", 1, "1,234.5"),
        (12.345, "vi", None, "12,3"),
        (0.97, "vi", 1, "1,0"),
        (7.0, "en", None, "7"),
        (float("nan"), "vi", None, ""),
    ],
)
def test_format_number(x, lang, digits, text):
    assert classify.format_number(x, lang, digits) == text


def test_fisher_jenks_on_many_values_is_sampled_deterministically():
    """National scale (63,600 values): classified on a quantile sample, same answer every time."""
    import numpy as np

    from geo.analysis import classify as cl

    values = np.random.default_rng(5).gamma(2.0, 8.0, 20_000)
    a = cl.classify(values, "fisher_jenks", 5)
    b = cl.classify(values[::-1], "fisher_jenks", 5)
    assert a.k == 5 and a.breaks == b.breaks
    assert a.breaks[-1] == pytest.approx(values.max())
    assert sum(a.counts) == values.size


# The breaks are mapclassify's algorithms in numpy (importing mapclassify costs every
# server process about 110 MiB): mapclassify stays installed as the reference here.
def _samples():
    import numpy as np

    rng = np.random.default_rng(16)
    yield np.array([1, 1.5, 2, 10, 11, 12, 30, 31])
    yield np.arange(1000.0)
    for n in (7, 20, 102, 333, 1000):
        yield rng.gamma(2.0, 10.0, n).round(1)  # rates with ties
        yield rng.normal(50, 20, n)
        yield rng.integers(0, 12, n).astype(float)  # few distinct values


@pytest.mark.parametrize("scheme", ["quantiles", "equal_interval", "fisher_jenks"])
def test_breaks_are_mapclassify_s(scheme):
    import warnings

    import mapclassify
    import numpy as np

    make = {"quantiles": mapclassify.Quantiles, "equal_interval": mapclassify.EqualInterval}.get(
        scheme, mapclassify.FisherJenks
    )
    ours = {
        "quantiles": classify.quantile_bins,
        "equal_interval": classify.equal_interval_bins,
        "fisher_jenks": classify.fisher_jenks_bins,
    }[scheme]
    checked = 0
    for values in _samples():
        for k in range(2, 10):
            if len(np.unique(values)) < k or (scheme == "fisher_jenks" and len(values) > 400 and k > 5):
                continue
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                want = make(values, k=k).bins
            assert np.array_equal(ours(values, k), want), (scheme, len(values), k)
            checked += 1
    assert checked > 60


def test_real_poverty_rates_have_mapclassify_s_breaks(gpkg):
    """The 102 communes' poor_rate of 2020 (synthetic commune values), the default layer's scheme."""
    import warnings

    import mapclassify
    import numpy as np

    from geo.indicators import values as ivalues
    from geo.io import storage

    obs = storage.read_layer("observations", gpkg)
    rates = ivalues.values(obs, "poor_rate", "commune", 2020)
    present = np.asarray(rates["value"], dtype=float)
    assert len(present) == 102
    for k in (4, 5, 6):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            want = mapclassify.FisherJenks(present, k=k).bins
        assert np.array_equal(classify.fisher_jenks_bins(present, k), want)
