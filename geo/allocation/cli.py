"""``python -m geo allocate RULE --envelope MILLION_VND --year Y [--level L] [--json] [--out FILE]``.

Runs a rule (an id in ``rules/`` or a path to a TOML file) on the built
data and prints one line per eligible unit (amount, score, amount per poor
household, whether synthetic values were used) and the totals; ``--json``
prints the whole result as JSON; ``--out`` writes the annex as ``.csv``,
``.xlsx``, ``.json`` or ``.geojson``.  Bad rules or requests exit with
status 2 and one line naming the field.
"""

from __future__ import annotations

import argparse
import json
import math
from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd

from geo.allocation import data, engine
from geo.allocation.rules import LEVELS, Rule, RuleError, load_rule
from geo.errors import CliError

OUT_FORMATS = (".csv", ".xlsx", ".json", ".geojson")


def run(
    rule_name: str, envelope: float, year: int, level: str | None = None, gpkg: Path | str | None = None
) -> tuple[Rule, pd.DataFrame]:
    """Load the rule, prepare the units and allocate; :class:`CliError` on expected failures."""
    try:
        rule = load_rule(rule_name)
        frame = data.unit_frame(rule, year, level, path=gpkg)
        return rule, engine.allocate(frame, rule, envelope)
    except RuleError as exc:
        raise CliError(str(exc)) from None
    except FileNotFoundError as exc:
        raise CliError(str(exc)) from None


def _plain(value):
    if value is None or value is pd.NA:
        return None
    if isinstance(value, float) and math.isnan(value):
        return None
    if hasattr(value, "item"):
        return _plain(value.item())
    return value


def to_records(result: pd.DataFrame) -> list[dict]:
    """The result rows as JSON-ready dicts (no geometry)."""
    table = result.drop(columns=["geometry"], errors="ignore")
    return [{k: _plain(v) for k, v in row.items()} for row in table.to_dict(orient="records")]


def to_json(result: pd.DataFrame) -> dict:
    """``{"totals": attrs, "units": [...]}``."""
    return {"totals": result.attrs, "units": to_records(result)}


def write_annex(result: pd.DataFrame, out: Path) -> Path:
    """Write the result as CSV, Excel, JSON or GeoJSON (by ``out``'s suffix)."""
    suffix = out.suffix.lower()
    if suffix not in OUT_FORMATS:
        raise CliError(f"--out: unsupported file type {out.suffix or '(none)'!r}; use one of {', '.join(OUT_FORMATS)}")
    out.parent.mkdir(parents=True, exist_ok=True)
    table = result.drop(columns=["geometry"], errors="ignore")
    if suffix == ".csv":
        table.to_csv(out, index=False, encoding="utf-8")
    elif suffix == ".xlsx":
        totals = pd.DataFrame(
            [(k, json.dumps(v, ensure_ascii=False) if isinstance(v, dict) else v) for k, v in result.attrs.items()],
            columns=["field", "value"],
        )
        with pd.ExcelWriter(out) as xl:
            table.to_excel(xl, sheet_name="allocation", index=False)
            totals.to_excel(xl, sheet_name="totals", index=False)
    elif suffix == ".json":
        out.write_text(json.dumps(to_json(result), ensure_ascii=False, indent=1), encoding="utf-8")
    else:
        if "geometry" not in result.columns:
            raise CliError("--out: the units have no geometry; write .csv, .xlsx or .json instead")
        gdf = gpd.GeoDataFrame(
            table.astype({c: object for c in table.columns if str(table[c].dtype) == "Int64"}),
            geometry=list(result["geometry"]),
            crs=4326,
        )
        gdf.to_file(out, driver="GeoJSON")
    return out


def format_table(result: pd.DataFrame) -> str:
    """The eligible units, largest amount first, and the totals."""
    a = result.attrs
    lines = [
        f"{a['rule']} — {a['name_vi']}",
        f"{a['name_en']}  [{'minh họa / illustrative' if a['illustrative'] else a['status']}]",
        f"source: {a['source']['document']}; {a['source']['article']}; {a['source']['date']}",
        f"year {a.get('year')}, level {a.get('level')}, envelope {a['envelope']:,} million VND",
        "",
        f"{'gso_code':>8}  {'name':<28} {'score':>9} {'amount':>9} {'per poor hh':>11}  synthetic",
    ]
    rows = result[result["eligible"]].sort_values(["amount", "gso_code"], ascending=[False, True])
    for _, r in rows.iterrows():
        per = "" if pd.isna(r["amount_per_poor_household"]) else f"{r['amount_per_poor_household']:.3f}"
        lines.append(
            f"{r['gso_code']:>8}  {str(r['name'])[:28]:<28} {r['score']:>9.3f} {int(r['amount']):>9,} "
            f"{per:>11}  {'yes' if r['synthetic'] else ''}"
        )
    lines += [
        "",
        (
            f"allocated {a['allocated']:,} of {a['envelope']:,} million VND to {a['eligible']} eligible of "
            f"{a['units']} units; {a['synthetic_share']:.1%} went to units valued with synthetic data "
            f"({a['synthetic_units']} units)"
        ),
        (
            f"  by what is synthetic: criterion or eligibility values (they move money) "
            f"{a['synthetic_criteria_share']:.1%}; the per-household denominator (it only divides the amount) "
            f"{a['synthetic_per_household_share']:.1%}"
        ),
    ]
    return "\n".join(lines)


def _cmd_allocate(args: argparse.Namespace) -> int:
    _, result = run(args.rule, args.envelope, args.year, args.level, args.gpkg)  # CliError: geo.cli prints it
    if args.out:
        write_annex(result, Path(args.out))
    if args.json:
        print(json.dumps(to_json(result), ensure_ascii=False, indent=1))
    else:
        print(format_table(result))
        if args.out:
            print(f"wrote {args.out}")
    return 0


def register(sub: Any) -> None:  # argparse add_subparsers() action (its class is private)
    """Add the ``allocate`` sub-command to ``python -m geo``."""
    p = sub.add_parser("allocate", help="divide a programme envelope among units by a rule in rules/")
    p.add_argument("rule", help="rule id (rules/<id>.toml) or path to a rule TOML file")
    p.add_argument("--envelope", type=float, required=True, help="the envelope in million VND")
    p.add_argument("--year", type=int, required=True, help="the year of the indicator values")
    p.add_argument("--level", choices=LEVELS, default=None, help="unit level (default: the rule's first)")
    p.add_argument("--json", action="store_true", help="print the result as JSON")
    p.add_argument("--out", default=None, help="write the annex: FILE.csv, .xlsx, .json or .geojson")
    p.add_argument("--gpkg", default=None, help="GeoPackage to read (default: the current build)")
    p.set_defaults(func=_cmd_allocate)
