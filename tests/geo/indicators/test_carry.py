"""The carry rules (geo.indicators.carry): property tests on small fixtures, then the real build."""

from __future__ import annotations

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from geo.indicators import carry, catalogue
from geo.indicators import values as indicators

STD = "2016-2020 multidimensional (QĐ 59/2015/QĐ-TTg)"
RULES = {
    "poor_rate": "rate:poor_households/households",
    "poor_households": "sum",
    "households": "sum",
    "p135_2016": "any",
    "ntm_standard_2020": "all",
    "wb_poverty_project": "share",
}
PARENTS = {"district": "district_code", "commune_2025": "code_2025"}


def _obs(rows: list[tuple]) -> pd.DataFrame:
    """(code, indicator, year, value, status[, standard]) → observation rows."""
    out = []
    for r in rows:
        code, ind, year, value, status = r[:5]
        std = r[5] if len(r) > 5 else (STD if ind.startswith("poor") else "")
        out.append(
            {
                "unit_level": "commune",
                "gso_code": code,
                "unit_name": f"Xã {code}",
                "indicator": ind,
                "year": year,
                "period": str(year),
                "qualifier": "=",
                "value": float(value),
                "unit": "%" if ind == "poor_rate" else "households",
                "standard": std,
                "status": status,
                "source": f"source of {code}",
                "note": "",
            }
        )
    frame = pd.DataFrame(out, columns=carry.OBS_FIELDS)
    frame["year"] = frame["year"].astype("Int64")
    return frame


def _members(n: int, groups: int) -> pd.DataFrame:
    codes = [f"{10000 + i}" for i in range(n)]
    return pd.DataFrame(
        {"gso_code": codes, "district_code": ["900"] * n, "code_2025": [f"2{i % groups:04d}" for i in range(n)]}
    )


def _at(out: pd.DataFrame, level: str, code: str, indicator: str, year: int = 2020) -> pd.Series:
    row = out[(out.unit_level == level) & (out.gso_code == code) & (out.indicator == indicator) & (out.year == year)]
    assert len(row) == 1, row
    return row.iloc[0]


members_data = st.integers(2, 9).flatmap(
    lambda n: st.tuples(
        st.just(n),
        st.integers(1, n),
        st.lists(st.integers(1, 5000), min_size=n, max_size=n),
        st.lists(st.floats(0, 100, allow_nan=False), min_size=n, max_size=n),
        st.lists(st.sampled_from(["official", "synthetic"]), min_size=n, max_size=n),
    )
)


@settings(max_examples=60, deadline=None)
@given(members_data)
def test_counts_sum_and_rates_are_household_weighted(data):
    n, groups, households, rates, statuses = data
    members = _members(n, groups)
    rows = []
    for code, hh, rate, status in zip(members.gso_code, households, rates, statuses):
        rows += [(code, "households", 2020, hh, "official"), (code, "poor_rate", 2020, rate, status)]
        rows.append((code, "poor_households", 2020, round(rate * hh / 100), status))
    out = carry.carry(_obs(rows), RULES, members, PARENTS)
    for level, column in PARENTS.items():
        for parent, grp in members.groupby(column):
            idx = grp.index
            hh = sum(households[i] for i in idx)
            poor = sum(round(rates[i] * households[i] / 100) for i in idx)
            assert _at(out, level, parent, "households").value == hh
            assert _at(out, level, parent, "poor_households").value == poor
            expected = sum(rates[i] * households[i] for i in idx) / hh
            got = _at(out, level, parent, "poor_rate")
            assert got.value == pytest.approx(expected, abs=1e-4)
            assert got.standard == STD and got.unit == "%"
            n_syn = sum(statuses[i] == "synthetic" for i in idx)
            assert got.status == ("synthetic" if n_syn else "derived")
            if n_syn:
                assert f"synthetic_share={n_syn / len(idx):.3g} ({n_syn} of {len(idx)} members)" in got.note
            assert got.source.startswith(carry.SOURCE_PREFIX) and "weights: households 2020" in got.note


@settings(max_examples=60, deadline=None)
@given(st.lists(st.sampled_from([None, 0, 1]), min_size=1, max_size=8))
def test_flags_any_all_share(flags):
    """Three-valued: a member without a row is unknown; the known members may already decide."""
    members = _members(len(flags), 1)
    rows = []
    for code, f in zip(members.gso_code, flags):
        if f is not None:
            rows += [
                (code, ind, 2020, f, "official") for ind in ("p135_2016", "ntm_standard_2020", "wb_poverty_project")
            ]
    out = carry.carry(_obs(rows), RULES, members, PARENTS)
    parent = members.code_2025.iloc[0]
    known = [f for f in flags if f is not None]
    complete = len(known) == len(flags)

    def got(ind):
        row = out[(out.unit_level == "commune_2025") & (out.indicator == ind)]
        return None if row.empty else row.value.iloc[0]

    assert got("p135_2016") == (1.0 if 1 in known else (0.0 if complete and known else None))
    assert got("ntm_standard_2020") == (0.0 if 0 in known else (1.0 if complete else None))
    assert got("wb_poverty_project") == (pytest.approx(100 * sum(known) / len(flags), abs=1e-4) if complete else None)
    assert (out.unit_level == "district").sum() == 0  # flags carry to the 2025 communes only
    del parent


def test_incomplete_members_are_not_carried():
    members = _members(3, 1)
    rows = [(c, "households", 2020, 100, "official") for c in members.gso_code]
    rows += [(c, "poor_households", 2020, 10, "official") for c in members.gso_code[:2]]
    out = carry.carry(_obs(rows), RULES, members, PARENTS)
    assert set(out.indicator) == {"households"}
    assert _at(out, "district", "900", "households").value == 300


def test_years_and_standards_are_never_combined():
    members = _members(2, 1)
    a, b = members.gso_code
    rows = [
        (a, "poor_households", 2019, 10, "official"),
        (b, "poor_households", 2020, 20, "official"),
        (a, "poor_households", 2021, 5, "official", "2022-2025 (NĐ 07/2021/NĐ-CP)"),
        (b, "poor_households", 2021, 7, "official", STD),
    ]
    assert carry.carry(_obs(rows), RULES, members, PARENTS).empty


def test_rate_weights_from_the_closest_year_with_every_member():
    members = _members(2, 1)
    a, b = members.gso_code
    rows = [
        (a, "households", 2019, 300, "derived"),
        (b, "households", 2019, 100, "derived"),
        (a, "households", 2021, 999, "official"),  # b lacks 2021: not a weight year
        (a, "poor_rate", 2016, 10, "synthetic"),
        (b, "poor_rate", 2016, 50, "official"),
    ]
    row = _at(carry.carry(_obs(rows), RULES, members, PARENTS), "district", "900", "poor_rate", 2016)
    assert row.value == pytest.approx((10 * 300 + 50 * 100) / 400)
    assert "weights: households 2019" in row.note and "synthetic_share=0.5 (1 of 2 members)" in row.note


def test_best_member_status_wins_and_real_parent_rows_are_kept():
    members = _members(2, 1)
    a, b = members.gso_code
    obs = _obs(
        [
            (a, "households", 2020, 100, "official"),
            (b, "households", 2020, 100, "official"),
            (a, "poor_rate", 2020, 10, "synthetic"),
            (a, "poor_rate", 2020, 41.3, "official"),
            (b, "poor_rate", 2020, 20, "synthetic"),
        ]
    )
    district = obs.iloc[[0, 2]].assign(unit_level="district", gso_code="900", status=["official", "synthetic"])
    district = district.assign(value=[555.0, 1.0], indicator=["households", "poor_rate"])
    merged = carry.merge(pd.concat([obs, district], ignore_index=True), carry.carry(obs, RULES, members, PARENTS))
    d = merged[merged.unit_level == "district"]
    hh = d[d.indicator == "households"]
    assert hh[["value", "status"]].values.tolist() == [[555.0, "official"]]  # the real figure, no carried row
    rate = d[d.indicator == "poor_rate"]
    assert len(rate) == 1 and rate.value.iloc[0] == pytest.approx(30.65)  # the old synthetic mean replaced
    assert rate.status.iloc[0] == "synthetic" and rate.source.iloc[0].startswith(carry.SOURCE_PREFIX)


@pytest.mark.parametrize(
    "text, problem",
    [
        ("mean", "unknown carry rule 'mean'"),
        ("rate:poor_households", "unknown carry rule"),
        ("rate:poor_households/nobody", "names indicators not in the catalogue: ['nobody']"),
        ("rate:/households", "unknown carry rule"),
    ],
)
def test_bad_rules_are_reported(text, problem):
    cat = catalogue.load_catalogue()
    cat.loc["poor_rate", "carry"] = text
    assert any(problem in p for p in carry.rule_problems(cat)), carry.rule_problems(cat)
    assert any(problem in p for p in catalogue.validate_catalogue(catalogue.load_observations(), cat))


def test_the_catalogue_declares_a_rule_for_every_indicator():
    cat = catalogue.load_catalogue()
    main = cat[cat["carry"].astype(str) != ""]  # extra/*.catalogue.csv (zonal, remoteness) may leave it out
    assert len(main) >= 160 and carry.rule_problems(cat) == []
    assert cat.loc["poor_rate", "carry"] == "rate:poor_households/households"
    assert cat.loc["poor_households", "carry"] == "sum" and cat.loc["p135_2016", "carry"] == "any"
    assert cat.loc["ntm_criteria_met", "carry"] == "none" and cat.loc["poor_income_per_capita", "carry"] == "none"


# ------------------------------------------------------------------ the real build


@pytest.fixture(scope="module")
def built(gpkg):
    from geo.io import storage

    return {n: storage.read_layer(n, gpkg) for n in ("observations", "communes", "districts", "communes_2025")}


@pytest.mark.parametrize(
    "indicator, year",
    [("households", 2019), ("population_2019", 2019)] + [("poor_households", y) for y in range(2015, 2021)],
)
def test_kon_tum_totals_are_equal_at_every_level(built, indicator, year):
    obs = built["observations"]
    total = {lv: indicators.values(obs, indicator, lv, year) for lv in ("commune", "district", "commune_2025")}
    assert [len(total[lv]) for lv in total] == [102, 10, 40]
    sums = {lv: total[lv]["value"].sum() for lv in total}
    assert sums["commune_2025"] == sums["commune"]
    carried_districts = total["district"][total["district"]["source"].str.startswith(carry.SOURCE_PREFIX)]
    if len(carried_districts) == 10:  # no real district figure that year
        assert sums["district"] == sums["commune"]


def test_real_2025_rows_name_the_crosswalk_and_stay_synthetic(built):
    obs = built["observations"]
    rows = obs[(obs.unit_level == "commune_2025") & (obs.indicator == "poor_rate") & (obs.year == 2020)]
    assert len(rows) == 40 and set(rows.status) == {"synthetic"} and set(rows.standard) == {STD}
    assert rows.source.str.contains("Nghị quyết 1677/NQ-UBTVQH15").all()
    assert rows.source.str.contains("commune_mapping_2025_old_to_new.csv").all()
    assert rows.note.str.contains("synthetic_share=1").all()
    kon_tum = rows.set_index("gso_code").loc["23293"]  # Phường Kon Tum: 5 wards of 2020
    assert kon_tum.unit_name == "Phường Kon Tum"
    assert "(23281, 23287, 23290, 23293, 23299)" in kon_tum.note
    pop = obs[(obs.unit_level == "commune_2025") & (obs.indicator == "population_2019")]
    assert len(pop) == 40 and set(pop.status) == {"derived"}


def test_real_district_figures_are_never_replaced(built):
    obs = indicators.usable(built["observations"])
    real = obs[(obs.unit_level == "district") & (obs.status != "synthetic") & ~obs.source.str.startswith("carried")]
    picked = indicators.values(built["observations"], "poor_rate", "district", 2019).set_index("gso_code")
    glei = real[(real.gso_code == "610") & (real.indicator == "poor_rate") & (real.year == 2019)]
    assert len(glei) == 1 and picked.loc["610", "status"] == "official"
    assert picked.loc["610", "value"] == glei.value.iloc[0] == 26.88
    key = ["unit_level", "gso_code", "indicator", "year", "standard"]
    prim = indicators.usable(built["observations"]).astype({"year": "string"})
    carried = prim.source.str.startswith(carry.SOURCE_PREFIX)
    dup = prim[prim.duplicated(key, keep=False)]
    assert not dup.source.str.startswith(carry.SOURCE_PREFIX).any()  # one value per key where carried
    assert carried.sum() > 1000
