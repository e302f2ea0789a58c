"""Rule files: the shipped ones load; each kind of mistake names its file and field."""

from __future__ import annotations

import json
import tomllib

import pytest
from alloc_helpers import rule_dict

from geo.allocation import rules
from geo.allocation.rules import RuleError, load_rule, parse_rule


def test_shipped_rules_load_and_say_whether_they_are_illustrative():
    ids = rules.list_rules()
    assert {"tmr_kp_2020_minh_hoa", "p135_2020_minh_hoa", "poor_districts_qd275_2018_2020"} <= set(ids)
    for rid in ids:
        rule = load_rule(rid)
        assert rule.id == rid and rule.source.document and rule.source.date
        if rule.illustrative:
            assert "minh họa" in rule.note_vi.lower() and "minh họa" in rule.name_vi.lower()
        else:
            assert rule.source.address.startswith("http")


def _write(tmp_path, text: str):
    path = tmp_path / "bad.toml"
    path.write_text(text, encoding="utf-8")
    return path


def _toml(d: dict) -> str:
    # tomllib cannot write: emit the few shapes these tests use
    lines, tables = [], []
    for k, v in d.items():
        if isinstance(v, dict):
            tables.append((k, v))
        elif isinstance(v, list) and v and isinstance(v[0], dict):
            tables.extend((f"[{k}]", item) for item in v)
        else:
            lines.append(f"{k} = {json.dumps(v, ensure_ascii=False)}")
    for name, t in tables:
        lines.append(f"[{name}]")
        for k, v in t.items():
            if isinstance(v, list) and v and isinstance(v[0], dict):
                raise AssertionError("nested arrays of tables are not needed here")
            lines.append(f"{k} = {json.dumps(v, ensure_ascii=False)}")
    return "\n".join(lines) + "\n"


def test_bad_file_error_names_the_file(tmp_path):
    path = _write(tmp_path, _toml(rule_dict(status="draft")))
    assert tomllib.loads(path.read_text())["status"] == "draft"
    with pytest.raises(RuleError, match=f"^{path}: status: must be one of official, illustrative"):
        load_rule(path)


def test_invalid_toml_and_missing_rule(tmp_path):
    with pytest.raises(RuleError, match="not valid TOML"):
        load_rule(_write(tmp_path, "id = \n"))
    with pytest.raises(RuleError, match="no rule 'nope'.*known rules: .*tmr_kp_2020_minh_hoa"):
        load_rule("nope")


def test_id_must_match_the_file_name_in_rules_dir(tmp_path):
    (tmp_path / "other.toml").write_text(_toml(rule_dict()), encoding="utf-8")
    with pytest.raises(RuleError, match="id: 't' must match the file name 'other'"):
        load_rule("other", tmp_path)


BAD = [
    ({"name_vi": 3}, "name_vi: must be a non-empty text"),
    ({"period": "2016 to 2020"}, "period: expected YYYY-YYYY"),
    ({"levels": ["province"]}, "levels: unknown level 'province'"),
    ({"note_vi": "demo"}, "note_vi: an illustrative rule must say so plainly: include 'minh họa'"),
    ({"colour": "red"}, "colour: unknown field"),
    ({"source": {"document": "D", "date": "2020"}}, r"source.article: missing"),
    ({"criteria": []}, r"criteria: at least one \[\[criteria\]\] is needed"),
    ({"criteria": [{"id": "x", "kind": "linear", "indicator": "x"}]}, r"criteria\[0\].kind: unknown kind 'linear'"),
    (
        {"criteria": [{"id": "x", "kind": "per_unit", "indicator": "x", "coefficient": -1}]},
        r"criteria\[0\].coefficient: must be ≥ 0",
    ),
    ({"criteria": [{"id": "x", "kind": "per_unit", "indicator": "x"}]}, r"criteria\[0\].coefficient: missing"),
    ({"criteria": [{"id": "x", "kind": "per_unit"}]}, r"criteria\[0\]: give exactly one of indicator"),
    (
        {
            "criteria": [
                {
                    "id": "x",
                    "kind": "bands",
                    "indicator": "x",
                    "bands": [{"min": 0, "max": 10, "points": 3}, {"min": 10, "points": 1}],
                }
            ]
        },
        r"criteria\[0\].bands\[1\].points: points must not decrease",
    ),
    (
        {
            "criteria": [
                {
                    "id": "x",
                    "kind": "bands",
                    "indicator": "x",
                    "bands": [{"min": 0, "max": 10, "points": 1}, {"min": 20, "points": 2}],
                }
            ]
        },
        r"criteria\[0\].bands\[1\].min: bands must be in increasing order and touch",
    ),
    (
        {"criteria": [{"id": "x", "kind": "base", "points": 1}, {"id": "x", "kind": "base", "points": 1}]},
        r"criteria\[1\].id: 'x' appears twice",
    ),
    ({"eligibility": [{"indicator": "x", "op": "~", "value": 1}]}, r"eligibility\[0\].op: unknown operator '~'"),
    (
        {"eligibility": [{"indicator": "x", "op": ">", "value": "high"}]},
        r"eligibility\[0\].value: op '>' takes a number",
    ),
    (
        {"eligibility": [{"indicator": "x", "op": "is", "value": 1}]},
        r"eligibility\[0\].value: op 'is' takes true or false",
    ),
    ({"eligibility": [{"indicator": "x", "scope": "region", "value": True}]}, r"eligibility\[0\].scope: unknown scope"),
    ({"limits": {"min": 50, "max": 10}}, r"limits.max: must be ≥ limits.min \(50\)"),
    ({"limits": {"min": 15}, "rounding": {"unit": 10}}, r"limits.min: must be a multiple of rounding.unit \(10\)"),
    ({"limits": {"min": 2.5}}, r"limits.min: must be a whole number of million VND"),
    ({"rounding": {"unit": 1, "tie_break": ["luck"]}}, r"rounding.tie_break: must be a list of score, gso_code, name"),
]


@pytest.mark.parametrize("over, message", BAD)
def test_each_mistake_names_its_field(over, message):
    with pytest.raises(RuleError, match="^rules/bad.toml: " + message):
        parse_rule(rule_dict(**over), "rules/bad.toml")


def test_tie_break_always_ends_with_gso_code():
    assert parse_rule(rule_dict(rounding={"unit": 1, "tie_break": ["score"]})).tie_break == ("score", "gso_code")
    assert parse_rule(rule_dict(rounding={"unit": 1})).tie_break == ("score", "gso_code")
