"""The semantic checks of ``python -m geo check``: each fails loudly on a small broken fixture."""

import io
from contextlib import redirect_stdout

import geopandas as gpd
import pandas as pd
import pytest
from shapely.geometry import LineString

from geo.build import checks
from geo.build import compiler as build
from geo.io import storage
from geo.synthetic import demo
from geo.synthetic import generator as synthetic

STD = demo.STANDARD_2016


def row(level, code, indicator, year, value, status="official", qualifier="=", standard=STD, note=""):
    return {
        "unit_level": level,
        "gso_code": code,
        "unit_name": f"{level} {code}",
        "indicator": indicator,
        "year": year,
        "period": str(year),
        "qualifier": qualifier,
        "value": float(value),
        "unit": "",
        "standard": standard,
        "status": status,
        "source": "fixture",
        "note": note,
    }


@pytest.fixture
def communes():
    return pd.DataFrame({"gso_code": ["1", "2", "3"], "district_code": ["A", "A", "B"]})


def consistent_obs():
    """Three communes, two districts, every year: 100 + 200 + 100 households; poor 6 + 40 + 30 = 76
    (province 19%), near-poor 5 + 10 + 5 = 20 (5%), as the generator writes them; commune 1 is
    new-rural in 2019 and "hơn 4%" poor then."""
    rows = []
    hh = {"1": 100, "2": 200, "3": 100}
    poor = {"1": 6, "2": 40, "3": 30}
    near = {"1": 5, "2": 10, "3": 5}
    for year in synthetic.YEARS:
        rows.append(row("province", "62", "poor_rate", year, 19.0))
        rows.append(row("province", "62", "near_poor_rate", year, 5.0))
        rows.append(row("province", "62", "households", year, 400, status="derived", standard=""))
        rows.append(row("district", "A", "households", year, 300, status="derived", standard=""))
        rows.append(row("district", "B", "households", year, 100, status="derived", standard=""))
        for code in hh:
            rows.append(row("commune", code, "households", year, hh[code], status="derived", standard=""))
            for rate_id, count_id, counts in (
                ("poor_rate", "poor_households", poor),
                ("near_poor_rate", "near_poor_households", near),
            ):
                rows.append(row("commune", code, count_id, year, counts[code], status="synthetic"))
                rows.append(row("commune", code, rate_id, year, 100.0 * counts[code] / hh[code], status="synthetic"))
    rows.append(row("province", "62", "poor_households", 2019, 76))
    rows.append(row("district", "B", "poor_households", 2018, 30))
    rows.append(row("commune", "1", "poor_rate", 2019, 4, status="reported", qualifier=">"))
    rows.append(row("commune", "1", "ntm_recognised", 2019, 1, standard=""))
    return pd.DataFrame(rows)


def by_name(results, name):
    (found,) = [c for c in results if c.name == name]
    return found


def set_value(obs, code, indicator, year, value):
    obs = obs.copy()
    hit = (obs["gso_code"] == code) & (obs["indicator"] == indicator) & (obs["year"] == year)
    hit &= obs["status"] == "synthetic"
    assert hit.sum() == 1
    obs.loc[hit, "value"] = float(value)
    return obs


def test_consistent_fixture_passes(communes):
    results = checks.check_synthetic(consistent_obs(), communes)
    assert all(c.ok for c in results), [c.line() for c in results if not c.ok]
    assert "2019 19.0000 vs 19" in by_name(results, "synthetic poor_rate reproduces the province series").detail


def test_province_series_check_fails_when_sums_drift(communes):
    obs = set_value(consistent_obs(), "3", "poor_households", 2017, 34)
    obs = set_value(obs, "3", "poor_rate", 2017, 34.0)
    c = by_name(checks.check_synthetic(obs, communes), "synthetic poor_rate reproduces the province series")
    assert not c.ok and "2017 20.0000 vs 19" in c.detail


def test_count_check_fails_when_poor_and_near_poor_exceed_households(communes):
    obs = set_value(consistent_obs(), "1", "near_poor_households", 2016, 95)
    obs = set_value(obs, "1", "near_poor_rate", 2016, 95.0)
    c = by_name(checks.check_synthetic(obs, communes), "household counts consistent")
    assert not c.ok and "1 2016 poor + near-poor 101 > households 100" in c.detail


def test_count_check_fails_when_rate_and_count_disagree(communes):
    obs = set_value(consistent_obs(), "2", "poor_rate", 2020, 25.0)  # 25% of 200 is 50, the count says 40
    c = by_name(checks.check_synthetic(obs, communes), "household counts consistent")
    assert not c.ok and "2 2020 poor_rate × households ≠ poor_households" in c.detail


def test_household_sums_fail_when_levels_disagree(communes):
    obs = consistent_obs()
    hit = (obs["unit_level"] == "district") & (obs["gso_code"] == "B") & (obs["indicator"] == "households")
    obs.loc[hit & (obs["year"] == 2015), "value"] = 101.0
    c = by_name(checks.check_synthetic(obs, communes), "households sum by level")
    assert not c.ok and "district B 2015: Σ communes 100 ≠ 101" in c.detail


def test_real_count_check_fails_when_a_district_sum_differs(communes):
    obs = pd.concat([consistent_obs(), pd.DataFrame([row("district", "A", "poor_households", 2017, 49)])])
    c = by_name(checks.check_synthetic(obs, communes), "synthetic counts sum to the real counts")
    assert not c.ok and "district A 2017 poor_households 46 = 49" in c.detail


def test_bound_check_fails_far_above_an_approximate_bound(communes):
    """ "hơn 4%" means a little above 4: 6% passes, 30% (as Pờ Ê's 48.3% once) does not."""
    assert by_name(checks.check_synthetic(consistent_obs(), communes), "approximate bounds honoured").ok
    obs = consistent_obs()
    obs = obs[~(obs["indicator"] == "ntm_recognised")]
    obs = set_value(obs, "1", "poor_rate", 2019, 30.0)
    obs = set_value(obs, "1", "poor_households", 2019, 30)
    c = by_name(checks.check_synthetic(obs, communes), "approximate bounds honoured")
    assert not c.ok and "commune 1 2019 30.00 in '>4%'" in c.detail


def test_new_rural_check_fails_above_the_criterion(communes):
    obs = consistent_obs()
    obs = obs[~(obs["qualifier"] == ">")]
    obs = set_value(obs, "1", "poor_rate", 2019, 7.5)
    c = by_name(checks.check_synthetic(obs, communes), "new-rural communes meet criterion 11 (QĐ 1980/QĐ-TTg)")
    assert not c.ok and "1 2019 7.50%" in c.detail
    assert "2019: 1 communes, max 7.50%" in c.detail


def test_standards_check_fails_on_a_mixed_key_and_a_missing_standard():
    catalogue = pd.DataFrame({"standard": ["per observation: …", ""]}, index=["poor_rate", "households"])
    good = pd.DataFrame(
        [
            row("district", "A", "poor_rate", 2020, 10.0),
            row("district", "A", "poor_rate", 2021, 12.0, standard="2022-2025 (NĐ 07/2021/NĐ-CP)"),
            row("district", "A", "poor_rate", 2020, 11.0, standard="2011-2015 income", note="alternative: other"),
            row("district", "A", "households", 2020, 300, standard=""),
        ]
    )
    assert all(c.ok for c in checks.check_standards(good, catalogue))
    mixed = pd.concat([good, pd.DataFrame([row("district", "A", "poor_rate", 2020, 9.0, standard="2011-2015 income")])])
    c = by_name(checks.check_standards(mixed, catalogue), "one poverty standard per unit, indicator and year")
    assert not c.ok and "district A poor_rate 2020" in c.detail
    blank = pd.concat([good, pd.DataFrame([row("commune", "1", "poor_rate", 2019, 9.0, standard="")])])
    c = by_name(checks.check_standards(blank, catalogue), "every poverty indicator row has a standard")
    assert not c.ok and "poor_rate 1" in c.detail


@pytest.fixture
def crosswalk():
    communes = pd.DataFrame({"gso_code": ["11", "12", "13"]})
    new = pd.DataFrame({"gso_code": ["23101", "23102"], "member_gso_codes_2020": ["11,12", "13"]})
    mapping = pd.DataFrame({"old_commune_code": ["11", "12", "13"], "new_commune_code": ["23101", "23101", "23102"]})
    return communes, new, mapping


def test_crosswalk_check(crosswalk, monkeypatch):
    monkeypatch.setattr(checks, "EXPECTED_COMMUNES_2025", 2)
    communes, new, mapping = crosswalk
    (c,) = checks.check_crosswalk(communes, new, mapping)
    assert c.ok and "3 communes of 2020 → 2 of 2025" in c.detail
    twice = new.assign(member_gso_codes_2020=["11,12", "12,13"])
    (c,) = checks.check_crosswalk(communes, twice, mapping)
    assert not c.ok and "in two: ['12']" in c.detail
    lost = new.assign(member_gso_codes_2020=["11", "13"])
    (c,) = checks.check_crosswalk(communes, lost, mapping)
    assert not c.ok and "in none: ['12']" in c.detail
    source_ids = new.assign(gso_code=["23101", "22.453"])
    (c,) = checks.check_crosswalk(communes, source_ids, mapping)
    assert not c.ok and "unknown 2025 codes: ['22.453']" in c.detail


def test_border_checks(monkeypatch):
    communes = pd.DataFrame({"on_border": [True] * 13 + [False] * 89})
    border = gpd.GeoDataFrame(
        {"country": ["LAO", "KHM"], "length_km": [150.54, 140.07]},
        geometry=[LineString([(0, 0), (1, 1)])] * 2,
    )
    official = pd.DataFrame(
        [
            row("province", "62", "frontier_length_km", 2020, 292.5, standard=""),
            row("province", "62", "frontier_length_lao_km", 2020, 154.2, standard=""),
            row("province", "62", "frontier_length_khm_km", 2020, 138.3, standard=""),
        ]
    )
    results = checks.check_border(communes, border, official)
    assert all(c.ok for c in results)
    assert "computed 290.6 km" in by_name(results, "frontier length").detail
    assert "-0.65%" in by_name(results, "frontier length").detail
    few = communes.assign(on_border=[True] * 12 + [False] * 90)
    assert not by_name(checks.check_border(few, border, official), "border communes").ok
    short = border.assign(length_km=[140.0, 140.07])
    c = by_name(checks.check_border(communes, short, official), "frontier length")
    assert not c.ok and "-4.25%" in c.detail
    none = official[official["indicator"] != "frontier_length_km"]
    assert not by_name(checks.check_border(communes, border, none), "frontier length").ok


def test_geo_check_exits_non_zero_on_a_failed_check(monkeypatch):
    monkeypatch.setattr(build, "compile_layers", lambda: {})
    monkeypatch.setattr(build, "run_checks", lambda layers: [checks.Check("x", False, "broken")])
    out = io.StringIO()
    with redirect_stdout(out):
        assert build._cmd_check(None) == 1
    assert "[FAIL] x: broken" in out.getvalue() and "0 passed, 1 failed" in out.getvalue()


def test_semantic_checks_pass_on_the_real_build(gpkg):
    layers = {name: storage.read_layer(name, gpkg) for name in ("observations", "communes", "border", "communes_2025")}
    cat = storage.read_layer("catalogue", gpkg).set_index("id")
    results = checks.check_semantics(layers, cat)
    assert all(c.ok for c in results), [c.line() for c in results if not c.ok]
    assert {c.name for c in results} >= {
        "border communes",
        "frontier length",
        "synthetic poor_rate reproduces the province series",
        "household counts consistent",
        "synthetic counts sum to the real counts",
        "approximate bounds honoured",
        "new-rural communes meet criterion 11 (QĐ 1980/QĐ-TTg)",
        "one poverty standard per unit, indicator and year",
        "every poverty indicator row has a standard",
        "102 → 40 crosswalk complete",
    }
    border = storage.read_layer("border", gpkg).set_index("country")
    assert border.loc["LAO", "official_length_km"] == 154.2 and border.loc["KHM", "official_length_km"] == 138.3
