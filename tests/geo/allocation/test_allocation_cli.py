"""``python -m geo allocate``: the table, JSON and annexes; expected failures exit 2 with one line."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from geo.cli import main

ARGS = ["allocate", "tmr_kp_2020_minh_hoa", "--envelope", "40744", "--year", "2020"]


def test_table_and_totals(gpkg, capsys):
    assert main(ARGS + ["--gpkg", str(gpkg)]) == 0
    out = capsys.readouterr().out
    assert "minh họa / illustrative" in out
    assert "allocated 40,744 of 40,744 million VND to 20 eligible of 102 units; 100.0% went to units" in out


def test_json(gpkg, capsys):
    assert main(ARGS + ["--gpkg", str(gpkg), "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["totals"]["allocated"] == 40744 and len(doc["units"]) == 102
    assert sum(u["amount"] for u in doc["units"]) == 40744
    unit = next(u for u in doc["units"] if u["eligible"])
    assert {
        "reason",
        "poor_households_value",
        "poor_households_year",
        "poor_households_standard",
        "poor_households_status",
        "poor_households_points",
        "score",
        "amount",
        "amount_per_poor_household",
    } <= set(unit)


@pytest.mark.parametrize("suffix", [".csv", ".xlsx", ".json", ".geojson"])
def test_annex_files(gpkg, tmp_path, capsys, suffix):
    out = tmp_path / f"annex{suffix}"
    assert main(ARGS + ["--gpkg", str(gpkg), "--out", str(out)]) == 0
    if suffix == ".csv":
        assert pd.read_csv(out)["amount"].sum() == 40744
    elif suffix == ".xlsx":
        assert pd.read_excel(out, sheet_name="allocation")["amount"].sum() == 40744
        assert "envelope" in set(pd.read_excel(out, sheet_name="totals")["field"])
    elif suffix == ".json":
        assert json.loads(out.read_text())["totals"]["envelope"] == 40744
    else:
        feats = json.loads(out.read_text())["features"]
        assert len(feats) == 102 and sum(f["properties"]["amount"] for f in feats) == 40744


@pytest.mark.parametrize(
    "extra, message",
    [
        (["--year", "2023"], "error: year: 2023 is outside the rule's period 2020 (rule tmr_kp_2020_minh_hoa)\n"),
        (
            ["--envelope", "100"],
            (
                "error: envelope: 100 million VND cannot meet the minimums: 20 eligible unit(s) "
                "× limits.min 1000 = 20000 million VND\n"
            ),
        ),
        (["--out", "x.pdf"], "error: --out: unsupported file type '.pdf'; use one of .csv, .xlsx, .json, .geojson\n"),
        (
            ["--level", "district"],
            "error: level: rule tmr_kp_2020_minh_hoa is written for commune_2020, not 'district'\n",
        ),
    ],
)
def test_expected_failures_exit_2_with_one_line(gpkg, capsys, extra, message):
    assert main(ARGS + ["--gpkg", str(gpkg)] + extra) == 2
    err = capsys.readouterr().err
    assert err == message and err.count("\n") == 1


def test_unknown_rule_exits_2(gpkg, capsys):
    assert main(["allocate", "nope", "--envelope", "1", "--year", "2020", "--gpkg", str(gpkg)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: no rule 'nope'") and err.count("\n") == 1
