"""The real units: counts, codes, areas, coverage, border communes."""

import pandas as pd
import pytest

from geo import paths
from geo.build import checks
from geo.units import boundaries as units
from geo.units.border import flag_border_communes

EXPECTED_PER_DISTRICT = {
    "608": 21,
    "610": 12,
    "611": 8,
    "612": 9,
    "613": 9,
    "614": 7,
    "615": 11,
    "616": 11,
    "617": 11,
    "618": 3,
}


def test_counts(communes, districts):
    assert len(communes) == 102
    assert len(districts) == 10
    assert communes.groupby("district_code").size().to_dict() == EXPECTED_PER_DISTRICT
    assert communes["unit_type"].value_counts().to_dict() == {"Xã": 85, "Phường": 10, "Thị trấn": 7}


def test_codes_unique_and_equal_gso_list(communes):
    gso = pd.read_csv(paths.facts_dir() / "communes_gso_codes_2020.csv", dtype=str)
    assert communes["gso_code"].is_unique
    assert sorted(communes["gso_code"]) == sorted(gso["commune_code"])
    assert set(communes["district_code"]) == set(EXPECTED_PER_DISTRICT)


def test_area_within_one_percent_of_official(communes, districts):
    total = communes["area_km2"].sum()
    assert abs(total - 9674) / 9674 < 0.01
    assert abs(districts["area_km2"].sum() - total) < 1.0


def test_wgs84_and_metric_area(communes):
    assert communes.crs.to_epsg() == 4326
    # Area is computed in UTM 48N, not in degrees: a ward of ~2.4 km².
    quang_trung = communes.set_index("gso_code").loc["23281"]
    assert 2.0 < quang_trung["area_km2"] < 2.8


def test_all_unit_checks_pass(communes, districts):
    failed = [c.line() for c in checks.check_units(communes, districts) if not c.ok]
    assert failed == []


def test_checks_catch_a_duplicate_and_a_missing_commune(communes, districts):
    broken = pd.concat([communes.iloc[1:], communes.iloc[[1]]])
    failed = {c.name for c in checks.check_units(broken, districts) if not c.ok}
    assert {"unique commune codes", "codes equal the GSO list (01/11/2020)", "no gaps"} <= failed


def test_border_communes_are_the_13(communes):
    flagged = flag_border_communes(communes, units.load_border())
    on = flagged[flagged["on_border"]]
    assert len(on) == 13  # "102 xã, phường, thị trấn (có 13 xã biên giới)", comingo.gov.vn 2023
    by_country = on.groupby("border_countries").size().to_dict()
    assert by_country == {"KHM": 6, "LAO": 6, "KHM;LAO": 1}
    assert set(on["district_code"]) == {"610", "611", "616", "618"}
    assert (flagged.loc[~flagged["on_border"], "border_km"] == 0).all()


def test_communes_2025(communes):
    new = units.load_communes_2025()
    assert len(new) == 40 and new["gso_code"].is_unique
    members = new["member_gso_codes_2020"].str.split(",").explode()
    assert sorted(members) == sorted(communes["gso_code"])
    assert abs(new["area_km2"].sum() - communes["area_km2"].sum()) < 5


def test_unknown_level():
    with pytest.raises(ValueError, match="unknown level"):
        units.load_units("province")
