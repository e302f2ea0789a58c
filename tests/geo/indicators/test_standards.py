"""Poverty standards are a dimension like the year: the registry, the default period
(the same at every level), the checks ``geo check`` can call, and the CLI refusals."""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
import pytest

from geo.cli import main
from geo.indicators import standards
from geo.indicators import values as ind

S11 = "2011-2015 income"
S16 = "2016-2020 multidimensional (QĐ 59/2015/QĐ-TTg)"
S22 = "2022-2025 (NĐ 07/2021/NĐ-CP)"
ROOT = Path(__file__).resolve().parents[3]


@pytest.fixture(scope="module")
def obs(gpkg):
    from geo.io import storage

    return storage.read_layer("observations", gpkg)


@pytest.mark.parametrize(
    "year, key",
    [(2013, "2011-2015"), (2014, "2011-2015"), (2015, "2016-2020"), (2020, "2016-2020"), (2021, "2022-2025")],
)
def test_a_review_year_has_one_standard(year, key):
    # the end-2015 review was the first under QĐ 59/2015, the 2021 review the first under NĐ 07/2021
    assert standards.of_year(year).key == key


def test_labels_are_those_of_the_data(obs):
    assert {s.label for s in standards.STANDARDS} == set(ind.standards_of(obs))
    assert [standards.short(x, "vi") for x in (S11, S16, S22)] == [
        "Thu nhập 2011–2015",
        "Đa chiều 2016–2020",
        "Đa chiều 2022–2025",
    ]
    assert standards.short(S11, "en") == "Income 2011–2015"
    assert standards.resolve("2016–2020").label == S16 and standards.resolve(S22).key == "2022-2025"


def test_year_and_standard_agree():
    assert standards.agrees(S16, 2021)  # the 2021 new-rural assessments (Đắk KRoong's row)
    assert not standards.agrees(S22, 2020) and not standards.agrees(S11, 2016)
    with pytest.raises(standards.StandardError, match="year 2020 does not agree .* 2022-2025"):
        standards.check_agrees(standards.resolve("2022-2025"), 2020)
    with pytest.raises(standards.StandardError, match="unknown poverty standard 'x'"):
        standards.resolve("x")


@pytest.mark.parametrize(
    "indicator, year, standard, want",
    [
        ("poor_rate", None, None, (2020, S16)),
        ("near_poor_rate", None, None, (2020, S16)),
        ("poor_households", None, None, (2020, S16)),
        ("poor_rate", 2021, None, (2021, S22)),
        ("poor_rate", None, "2022-2025", (2021, S22)),
        ("poor_rate", 2021, "2016-2020", (2021, S16)),
        ("em_poor_households", None, None, (2021, S22)),
        ("population_2019", None, "2022-2025", (2019, None)),  # no standard: it does not apply
    ],
)
def test_the_period_is_chosen_the_same_at_every_level(obs, indicator, year, standard, want):
    assert ind.period(obs, indicator, year, standard) == want


def test_the_real_observations_keep_the_rules(obs, gpkg):
    from geo.io import storage

    assert ind.standard_problems(obs, storage.read_layer("catalogue", gpkg)) == []


def test_standard_problems_find_each_broken_rule(obs):
    row = obs[(obs["indicator"] == "poor_rate") & (obs["unit_level"] == "district")].iloc[:1]
    bad = pd.concat(
        [
            obs,
            row.assign(year=2020, standard=S22, note=""),  # a 2020 value by the 2022-2025 standard
            row.assign(year=2019, standard="2016-2020 ca", note=""),  # a standard nobody knows
            row.assign(year=2018, standard="", note=""),  # a poverty value without a standard
        ],
        ignore_index=True,
    )
    problems = ind.standard_problems(bad)
    assert len(problems) == 3
    assert "unknown poverty standards: ['2016-2020 ca']" in problems[0]
    assert problems[1].startswith("1 values whose year does not agree") and "2020" in problems[1]
    assert problems[2] == "1 poverty values without a standard (poor_rate)"


def test_one_standard_names_both(obs):
    rows = obs[(obs["indicator"] == "poor_rate") & (obs["unit_level"] == "district") & obs["year"].isin([2020, 2021])]
    with pytest.raises(standards.StandardError, match=re.escape(f"mixes two poverty standards, {S16} and {S22}")):
        ind.one_standard(rows, "district poor_rate")
    assert ind.one_standard(rows[rows["year"] == 2021]) == S22


def test_coverage_says_years_by_standard(obs):
    assert ind.coverage(obs, "poor_rate", "district") == "2015–2020 (2016-2020), 2021–2022 (2022-2025)"
    assert ind.coverage(obs, "poor_rate", "commune") == "2015–2021 (2016-2020)"


# --------------------------------------------------------------------------- CLI


def _mixed_rule(tmp_path) -> Path:
    """The Tu Mơ Rông / Kon Plông rule for 2021 with a district-scope poor_rate criterion:
    the commune 2021 rate is by the 2016–2020 standard (Đắk KRoong), the district one by NĐ 07/2021."""
    src = (ROOT / "rules" / "tmr_kp_2020_minh_hoa.toml").read_text(encoding="utf-8")
    src = src.replace('id = "tmr_kp_2020_minh_hoa"', 'id = "mixed"').replace('period = "2020"', 'period = "2021"')
    src = src.replace('per_household = "poor_households"\n', "")
    src = re.sub(r'\[\[criteria\]\]\nid = "poor_households".*?\n\n(?=\[\[criteria\]\])', "", src, flags=re.S)
    assert 'id = "poor_households"' not in src
    src = src.replace(
        '[[criteria]]\nid = "border"',
        '[[criteria]]\nid = "district_rate"\nkind = "per_unit"\nindicator = "poor_rate"\nscope = "district"\n'
        'coefficient = 0.1\nlabel_vi = "tỷ lệ hộ nghèo của huyện"\nlabel_en = "district poverty rate"\n\n'
        '[[criteria]]\nid = "border"',
    )
    path = tmp_path / "mixed.toml"
    path.write_text(src, encoding="utf-8")
    return path


@pytest.mark.parametrize(
    "argv, message",
    [
        (
            ["allocate", "{rule}", "--envelope", "40000", "--year", "2021"],
            f"would combine two poverty standards, {re.escape(S16)} .* and {re.escape(S22)}",
        ),
        (
            ["raster-export", "--indicator", "poor_rate", "--year", "2020", "--standard", "2022-2025"],
            "year 2020 does not agree with the poverty standard 2022-2025",
        ),
        (
            ["raster-export", "--indicator", "poor_rate", "--standard", "2030"],
            "unknown poverty standard '2030'",
        ),
        (
            ["raster-export", "--indicator", "poor_rate", "--level", "district", "--standard", "2011-2015"],
            "has no district values for 2013 by the standard 2011-2015 income",
        ),
    ],
)
def test_cli_refuses_mixed_standards_with_one_line(gpkg, tmp_path, capsys, argv, message):
    rule = _mixed_rule(tmp_path)
    args = [a.replace("{rule}", str(rule)) for a in argv]
    if args[0] == "raster-export":
        args += ["--out", str(tmp_path / "x.tif")]
    else:
        args += ["--gpkg", str(gpkg)]
    assert main(args) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and err.count("\n") == 1 and re.search(message, err), err
    assert not (tmp_path / "x.tif").exists()


def test_cli_default_is_the_same_period_at_every_level(gpkg, tmp_path, capsys):
    """raster-export without --year: the default year and standard, commune and district alike."""
    from geo.raster.grid import indicator_product

    commune = indicator_product("poor_rate", None, 2000)
    district = indicator_product("poor_rate", None, 2000, level="district")
    assert (commune.tags["YEAR"], commune.tags["STANDARD"]) == ("2020", S16)
    assert (district.tags["YEAR"], district.tags["STANDARD"]) == ("2020", S16)  # not the 2021 review
