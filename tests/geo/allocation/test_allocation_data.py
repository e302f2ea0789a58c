"""Allocation on the real build: 102 communes, the Tu Mơ Rông + Kon Plông 2020 scenario, request errors."""

from __future__ import annotations

import pytest
from alloc_helpers import make_rule

from geo.allocation import data, engine
from geo.allocation.rules import RuleError, load_rule

TMR_KP_2020 = 40744  # million VND: UBND report on the national target programmes 2020, section I.2


@pytest.fixture(scope="module")
def tables(gpkg):
    return data.read_tables(gpkg)


def test_unit_frame_has_the_102_communes_with_year_standard_status(tables):
    rule = load_rule("tmr_kp_2020_minh_hoa")
    f = data.unit_frame(rule, 2020, tables=tables)
    assert len(f) == 102 and f["gso_code"].is_unique
    assert set(f["poor_households__year"].dropna()) == {2020}
    assert set(f["poor_households__standard"]) == {"2016-2020 multidimensional (QĐ 59/2015/QĐ-TTg)"}
    assert set(f["poor_households__status"]) == {"synthetic"}
    # a district flag read for each commune of its district; flags are 0/1
    assert set(f.loc[f["district_code"].isin(["613", "617"]), "district.poor_district_30a"]) == {1.0}
    assert set(f.loc[f["district_code"] == "608", "district.poor_district_30a"]) == {0.0}
    assert set(f["p135_2017_2020"]) == {0.0, 1.0}


def test_tmr_kp_2020_scenario_sums_exactly(tables):
    rule = load_rule("tmr_kp_2020_minh_hoa")
    out = engine.allocate(data.unit_frame(rule, 2020, tables=tables), rule, TMR_KP_2020)
    assert int(out["amount"].sum()) == TMR_KP_2020
    eligible = out[out["eligible"]]
    assert set(eligible["district_name"]) == {"Huyện Tu Mơ Rông", "Huyện Kon Plông"}
    assert len(eligible) == 20 and (out.loc[~out["eligible"], "amount"] == 0).all()
    assert eligible["amount"].between(1000, 4000).all()
    assert out.attrs["illustrative"] and out.attrs["synthetic_share"] == 1.0  # commune counts are synthetic
    assert (eligible["amount_per_poor_household"] > 0).all()
    again = engine.allocate(data.unit_frame(rule, 2020, tables=tables), rule, TMR_KP_2020)
    assert again.equals(out)


def test_district_rule_gives_ia_hdrai_70_percent(tables):
    rule = load_rule("poor_districts_qd275_2018_2020")
    out = engine.allocate(data.unit_frame(rule, 2020, tables=tables), rule, 2700)
    got = dict(zip(out["gso_code"], out["amount"]))
    assert (got["613"], got["617"], got["618"]) == (1000, 1000, 700)
    # the amounts rest on real statuses; the amount per poor household divides by the districts'
    # 2020 poor households, carried from synthetic commune counts, so those units are marked synthetic
    assert sum(got.values()) == 2700 and out.attrs["synthetic_share"] == 1.0
    assert set(out.loc[out["amount"] > 0, "synthetic"]) == {True}


def test_p135_rule_covers_the_known_list(tables):
    rule = load_rule("p135_2020_minh_hoa")
    out = engine.allocate(data.unit_frame(rule, 2020, tables=tables), rule, 67057)
    assert out["eligible"].sum() == 39 and int(out["amount"].sum()) == 67057


def test_request_errors_name_the_field(tables):
    rule = load_rule("tmr_kp_2020_minh_hoa")
    with pytest.raises(RuleError, match="^year: 2023 is outside the rule's period 2020"):
        data.unit_frame(rule, 2023, tables=tables)
    with pytest.raises(
        RuleError, match="^level: rule tmr_kp_2020_minh_hoa is written for commune_2020, not 'district'"
    ):
        data.unit_frame(rule, 2020, "district", tables=tables)
    r25 = make_rule(levels=["commune_2025"])
    no_2025 = data.Tables(tables.communes, tables.districts, tables.observations, tables.catalogue, None)
    with pytest.raises(RuleError, match="^level: commune_2025 units are not available yet"):
        data.unit_frame(r25, 2020, tables=no_2025)


POOR_HOUSEHOLDS = {
    "id": "hh",
    "kind": "per_unit",
    "indicator": "poor_households",
    "coefficient": 1,
    "standard": "2016-2020 multidimensional (QĐ 59/2015/QĐ-TTg)",
}


def _members(tables) -> dict[str, list[str]]:
    new = tables.communes_2025
    return {
        str(c): [m.strip() for m in str(ms).split(",")] for c, ms in zip(new["gso_code"], new["member_gso_codes_2020"])
    }


def test_a_rule_at_both_levels_gives_each_2025_commune_what_its_members_get(tables):
    """A criterion that carries exactly (poor households: a 2025 commune's are the sum of its
    2020 members') gives each of the 40 communes of 2025 the score its members sum to, and
    the amount they sum to within the rounding (one million VND a part)."""
    rule = make_rule(levels=["commune_2020", "commune_2025"], eligibility=[], criteria=[POOR_HOUSEHOLDS])
    envelope = 100_000
    old = engine.allocate(data.unit_frame(rule, 2020, "commune_2020", tables=tables), rule, envelope)
    new = engine.allocate(data.unit_frame(rule, 2020, "commune_2025", tables=tables), rule, envelope)
    assert len(old) == 102 and len(new) == 40
    assert int(old["amount"].sum()) == int(new["amount"].sum()) == envelope
    old = old.set_index("gso_code")
    members = _members(tables)
    assert sorted(m for ms in members.values() for m in ms) == sorted(old.index)
    for code, row in new.set_index("gso_code").iterrows():
        ms = members[code]
        assert row["score"] == pytest.approx(old.loc[ms, "score"].sum()), code
        assert abs(row["amount"] - old.loc[ms, "amount"].sum()) <= len(ms) + 1, code
        assert row["poor_households"] == pytest.approx(old.loc[ms, "poor_households"].sum()), code


def test_the_2025_communes_read_their_former_district(tables):
    """A district-scope condition (a 30a poor district) reads, for a 2025 commune, the
    district its 2020 members lay in: the eligible 2025 communes are those made of eligible
    2020 communes."""
    rule = make_rule(
        levels=["commune_2020", "commune_2025"],
        eligibility=[
            {"indicator": "poor_district_30a", "scope": "district", "op": "is", "value": True, "label_vi": "30a"}
        ],
        criteria=[POOR_HOUSEHOLDS],
    )
    frame = data.unit_frame(rule, 2020, "commune_2025", tables=tables)
    districts = dict(zip(tables.districts["gso_code"].astype(str), tables.districts["name"]))
    assert [districts[c] for c in frame["district_code"]] == frame["district_name"].tolist()
    assert set(frame["district_code"]) == set(districts)  # every former district has new communes
    old = engine.allocate(data.unit_frame(rule, 2020, "commune_2020", tables=tables), rule, 50_000)
    new = engine.allocate(frame, rule, 50_000)
    eligible_old = set(old.loc[old["eligible"], "gso_code"])
    made_of = {c for c, ms in _members(tables).items() if set(ms) <= eligible_old}
    assert set(new.loc[new["eligible"], "gso_code"]) == made_of and 0 < len(made_of) < 40


def test_unknown_indicator_and_standard_that_does_not_match_the_year(tables):
    bad = make_rule(
        eligibility=[], criteria=[{"id": "x", "kind": "per_unit", "indicator": "happiness", "coefficient": 1}]
    )
    with pytest.raises(RuleError, match=r"criteria\[0\].indicator: unknown indicator 'happiness'"):
        data.unit_frame(bad, 2020, tables=tables)
    std = make_rule(
        period="2016-2025",
        eligibility=[],
        criteria=[
            {
                "id": "x",
                "kind": "per_unit",
                "indicator": "poor_households",
                "coefficient": 1,
                "standard": "2016-2020 multidimensional (QĐ 59/2015/QĐ-TTg)",
            }
        ],
    )
    with pytest.raises(RuleError, match=r"criteria\[0\].standard: .* does not match year 2022 \(it covers 2015–2020\)"):
        data.unit_frame(std, 2022, tables=tables)
    no_year = make_rule(
        period="2010-2020",
        eligibility=[],
        criteria=[{"id": "x", "kind": "per_unit", "indicator": "poor_households", "coefficient": 1}],
    )
    with pytest.raises(
        RuleError,
        match=r"criteria\[0\].indicator: no commune values of 'poor_households' for 2012; "
        r"years with data: 2015",
    ):
        data.unit_frame(no_year, 2012, tables=tables)
