"""Carry figures of the 2020 communes to the units they belong to (districts, 2025 communes).

Each indicator declares how it carries in the catalogue's ``carry`` column
(``data/indicators/catalogue.csv``, documented in ``data/README.md``):

``sum``
    counts and amounts: the parent's value is the sum of its members'.
``rate:<numerator>/<denominator>``
    household-weighted rates, e.g. ``rate:poor_households/households``: the
    parent's rate is Σ numerator / Σ denominator × 100, where a member's
    numerator is its rate × its denominator (so an uploaded rate counts even
    when its count was not uploaded).  The denominators are the members'
    values of the same year; when some member lacks one, the one year
    closest to it (the earlier among equals) where every member has one —
    the note names the year of the weights.
``any`` / ``all``
    flags: 1 when any (all) member is flagged.  ``any`` is 1 as soon as one
    member is 1; ``all`` is 0 as soon as one member is 0; otherwise the
    answer needs every member.
``share``
    flags: the % of members flagged (needs every member).

Flags carry to the 2025 communes only (:data:`FLAG_PARENTS`): a 2025
commune is the successor of its members, while a district flag is a status
of its own (a 30a poor district), and a commune flag on a district would
select every commune of that district (:func:`geo.analysis.query.with_status`).
``none`` (or empty)
    not carried (scores, shares without a denominator, units' own status).

Rules of the carried rows (status ``derived``):

* one value per (parent, indicator, year, standard): members of two years
  or two standards are never combined;
* a parent whose members are incomplete (some member has no value that
  year) gets **no** carried value — a partial sum reads as a total and a
  partial mean as the unit's rate, so leaving it out is the honest answer
  (``any``/``all`` excepted where the known members already decide);
* a value carried from synthetic members stays ``synthetic``; when only some
  members are synthetic the row is ``synthetic`` too and its note says the
  share (``synthetic_share=0.4 (2 of 5 members)``);
* the source names the crosswalk (NQ 1677/NQ-UBTVQH15 and the mapping file
  for 2025 communes; the 2020 GSO list for districts) and the members'
  sources; the note lists the members;
* a real value of the parent (official, reported or derived from the data;
  a bound such as ">52" is no value) is never replaced: the carried value is left out for its key; a
  synthetic row of the parent that is not a carried one (an aggregate of
  the same members made before they could change, e.g. the demo
  generator's district means) is dropped for every key carried.

:func:`recarry` drops the carried rows of an observations table and carries
again, so an upload of commune figures updates its district and 2025
commune in the same version.

Example
-------
>>> import pandas as pd
>>> obs = pd.DataFrame({"unit_level": "commune", "gso_code": ["1", "2", "1", "2"],
...     "unit_name": "", "indicator": ["poor_rate"] * 2 + ["households"] * 2, "year": [2020] * 4,
...     "period": "", "qualifier": "=", "value": [10.0, 40.0, 300.0, 100.0], "unit": ["%"] * 2 + ["households"] * 2,
...     "standard": ["S"] * 2 + [""] * 2, "status": "official", "source": "s", "note": ""})
>>> members = pd.DataFrame({"gso_code": ["1", "2"], "district_code": ["9", "9"]})
>>> rules = {"poor_rate": "rate:poor_households/households", "households": "sum"}
>>> out = carry(obs, rules, members, {"district": "district_code"})
>>> out[["unit_level", "gso_code", "indicator", "value", "status"]].values.tolist()
[['district', '9', 'households', 400.0, 'derived'], ['district', '9', 'poor_rate', 17.5, 'derived']]
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

import pandas as pd

from geo.indicators.values import PICKABLE, STATUS_RANK, usable
from geo.units import levels as unit_levels

FLAG_RULES = ("any", "all", "share")
#: The parent levels flags carry to (see the module doc).
FLAG_PARENTS = ("commune_2025",)
RULES = ("sum", "rate", *FLAG_RULES, "none")
#: Every carried row's source starts with this (how :func:`recarry` finds them).
SOURCE_PREFIX = "carried from the 2020 communes"
CROSSWALK_SOURCES = {
    "commune_2025": unit_levels.CROSSWALK_SOURCE,
    "district": "GSO list of administrative units 2020 (data/sources/facts/admin_units_2020.csv: district_code)",
}
SYNTHETIC_NOTE = "dữ liệu minh họa / demo data"
#: The columns of the observations table, in order (also :data:`geo.indicators.catalogue.OBS_COLUMNS`).
OBS_FIELDS = (
    "unit_level",
    "gso_code",
    "unit_name",
    "indicator",
    "year",
    "period",
    "qualifier",
    "value",
    "unit",
    "standard",
    "status",
    "source",
    "note",
)


class CarryRuleError(ValueError):
    """A carry rule that is not one of :data:`RULES` (or a rate without its parts)."""


@dataclass(frozen=True)
class Rule:
    """A parsed carry rule: ``kind`` (sum / rate / any / all / share / none) and a rate's parts."""

    kind: str
    numerator: str = ""
    denominator: str = ""


def parse_rule(text: str | None) -> Rule:
    """``"rate:poor_households/households"`` → ``Rule("rate", "poor_households", "households")``.

    >>> parse_rule("rate:poor_households/households")
    Rule(kind='rate', numerator='poor_households', denominator='households')
    >>> parse_rule(""), parse_rule("sum").kind
    (Rule(kind='none', numerator='', denominator=''), 'sum')
    >>> parse_rule("mean")
    Traceback (most recent call last):
    ...
    geo.indicators.carry.CarryRuleError: unknown carry rule 'mean'; expected one of sum, rate:<numerator>/<denominator>, any, all, share, none
    """
    raw = "" if text is None or (isinstance(text, float) and math.isnan(text)) else str(text).strip()
    if raw in ("", "none"):
        return Rule("none")
    if raw in ("sum", *FLAG_RULES):
        return Rule(raw)
    kind, sep, parts = raw.partition(":")
    num, slash, den = parts.partition("/")
    if kind == "rate" and sep and slash and num.strip() and den.strip() and "/" not in den:
        return Rule("rate", num.strip(), den.strip())
    valid = "sum, rate:<numerator>/<denominator>, any, all, share, none"
    raise CarryRuleError(f"unknown carry rule {raw!r}; expected one of {valid}")


def rule_problems(catalogue: pd.DataFrame) -> list[str]:
    """Problems of the catalogue's ``carry`` column: unknown rules, rates whose parts are not catalogued.

    >>> cat = pd.DataFrame({"carry": ["rate:poor_households/households", "mean"]},
    ...     index=pd.Index(["poor_rate", "x"], name="id"))
    >>> rule_problems(cat)
    ["poor_rate: carry rate:poor_households/households names indicators not in the catalogue: ['households', 'poor_households']", "x: unknown carry rule 'mean'; expected one of sum, rate:<numerator>/<denominator>, any, all, share, none"]
    """
    if "carry" not in catalogue.columns:
        return ["the catalogue has no 'carry' column (how each indicator carries to districts and 2025 communes)"]
    problems = []
    known = set(catalogue.index.astype(str))
    for ind, text in catalogue["carry"].items():
        try:
            rule = parse_rule(text)
        except CarryRuleError as exc:
            problems.append(f"{ind}: {exc}")
            continue
        if rule.kind == "rate":
            missing = sorted({rule.numerator, rule.denominator} - known)
            if missing:
                problems.append(f"{ind}: carry {text} names indicators not in the catalogue: {missing}")
    return problems


def rules_of(catalogue: pd.DataFrame) -> dict[str, str]:
    """Indicator id → its carry rule text, for the indicators that carry (``none`` left out)."""
    cat = catalogue.set_index("id") if "id" in catalogue.columns else catalogue
    if "carry" not in cat.columns:
        return {}
    return {str(i): str(r) for i, r in cat["carry"].items() if parse_rule(r).kind != "none"}


# --------------------------------------------------------------------------- picking member values


def _best(rows: pd.DataFrame) -> pd.DataFrame:
    """One row per (gso_code, year, standard): the best status (official > … > synthetic)."""
    rows = rows.assign(
        _rank=rows["status"].map(STATUS_RANK).fillna(9),
        _y=pd.to_numeric(rows["year"], errors="coerce").round().astype("Int64"),
        value=pd.to_numeric(rows["value"], errors="coerce").astype(float),
        gso_code=rows["gso_code"].astype(str).astype(object),
        standard=rows["standard"].fillna("").astype(str).astype(object),
    )
    rows = rows.sort_values(["gso_code", "_rank"], kind="stable")
    return rows.drop_duplicates(["gso_code", "_y", "standard"]).drop(columns="_rank")


MEMBER_COLUMNS = ("gso_code", "indicator", "year", "qualifier", "value", "unit", "standard", "status", "source")


def commune_rows(obs: pd.DataFrame) -> dict[str, pd.DataFrame]:
    """The 2020 communes' usable rows (not carried), per indicator, as plain columns."""
    rows = usable(obs[obs["unit_level"] == "commune"])
    rows = rows[~_is_carried(rows)]
    plain = pd.DataFrame(
        {
            c: rows[c].astype(object).to_numpy() if c not in ("year", "value") else rows[c].to_numpy()
            for c in MEMBER_COLUMNS
        }
    )
    return {str(k): g for k, g in plain.groupby("indicator", sort=False)}


def member_values(obs: pd.DataFrame, indicator: str) -> pd.DataFrame:
    """The 2020 communes' usable values of ``indicator``, best status per (code, year, standard)."""
    return _best(commune_rows(obs).get(indicator, pd.DataFrame(columns=list(MEMBER_COLUMNS))))


def _is_carried(obs: pd.DataFrame) -> pd.Series:
    return obs["source"].fillna("").astype(str).str.startswith(SOURCE_PREFIX)


# --------------------------------------------------------------------------- carrying


def _status(n_syn: int, n: int) -> tuple[str, str]:
    """Status of a carried value from ``n`` members of which ``n_syn`` are synthetic, and its note.

    >>> _status(0, 3), _status(2, 5)[0], _status(2, 5)[1][:40]
    (('derived', ''), 'synthetic', 'synthetic_share=0.4 (2 of 5 members); dữ')
    """
    if not n_syn:
        return "derived", ""
    return "synthetic", f"synthetic_share={n_syn / n:.3g} ({n_syn} of {n} members); {SYNTHETIC_NOTE}"


def flag_value(kind: str, known: list[bool], n_members: int) -> float | None:
    """``any`` / ``all`` / ``share`` of the members' flags (``known``: the members with a value).

    None when the known members do not decide it.

    >>> flag_value("any", [False, True], 3), flag_value("any", [False], 3), flag_value("all", [False], 3)
    (1.0, None, 0.0)
    >>> flag_value("all", [True, True], 2), flag_value("share", [True, False, False, True], 4)
    (1.0, 50.0)
    """
    complete = len(known) == n_members
    if kind == "any":
        return 1.0 if any(known) else (0.0 if complete else None)
    if kind == "all":
        return 0.0 if not all(known) else (1.0 if complete else None)
    return round(100.0 * sum(known) / n_members, 4) if complete else None


def _weight_years(den: pd.DataFrame, sizes: pd.Series, years: pd.DataFrame) -> pd.DataFrame:
    """Per (parent, year) of ``years``: the year of the weights — the same year when every member
    has a denominator then, else the closest such year (the earlier among equals)."""
    per = den.groupby(["parent", "_y"]).size().rename("n").reset_index()
    per = per[per["n"] == per["parent"].map(sizes)]
    full = per.groupby("parent")["_y"].apply(lambda s: sorted(int(y) for y in s.dropna())).to_dict()
    out = []
    for parent, year in zip(years["parent"], years["_y"]):
        have = full.get(parent, [])
        if not have or pd.isna(year):
            out.append(pd.NA)
            continue
        out.append(min(have, key=lambda y: (abs(y - int(year)), y)))
    return years.assign(_wy=pd.array(out, dtype="Int64"))


def _aggregate(rule: Rule, vals: pd.DataFrame, den: pd.DataFrame | None, sizes: pd.Series) -> pd.DataFrame:
    """One row per (parent, year, standard) that carries: value, qualifier, n_syn, weight year, sources."""
    vals = vals.assign(_syn=vals["status"] == "synthetic", _approx=vals["qualifier"] == "~")
    keys = ["parent", "_y", "standard"]
    if rule.kind == "rate":
        groups = vals[keys].drop_duplicates()
        wy = _weight_years(den, sizes, groups[["parent", "_y"]].drop_duplicates())
        vals = vals.merge(wy, on=["parent", "_y"], how="left")
        d = den[["gso_code", "_y", "value", "status"]].rename(columns={"_y": "_wy", "value": "_w", "status": "_wst"})
        vals = vals.merge(d, on=["gso_code", "_wy"], how="left")
        vals = vals[vals["_w"].notna()]
        vals = vals.assign(_syn=vals["_syn"] | (vals["_wst"] == "synthetic"), _vw=vals["value"] * vals["_w"])
    grouped = vals.groupby(keys, dropna=False, sort=True)
    out = grouped.agg(
        n=("gso_code", "size"),
        n_syn=("_syn", "sum"),
        approx=("_approx", "any"),
        unit=("unit", "first"),
    )
    firsts = vals.drop_duplicates([*keys, "source"])
    out["sources"] = firsts.groupby(keys, dropna=False, sort=True)["source"].agg(lambda s: "; ".join(map(str, s)))
    if rule.kind == "sum":
        out["value"] = grouped["value"].sum()
    elif rule.kind == "rate":
        out["value"] = (grouped["_vw"].sum() / grouped["_w"].sum()).round(4)
        out["wyear"] = grouped["_wy"].first()
        out = out[grouped["_w"].sum() > 0]
    else:
        flags = grouped["value"].apply(lambda s: [bool(v != 0) for v in s])
        size = out.index.get_level_values("parent").map(sizes)
        out["value"] = [flag_value(rule.kind, f, int(n)) for f, n in zip(flags, size)]
        out = out[out["value"].notna()]
        if rule.kind == "share":
            out["unit"] = "%"
    out = out.reset_index()
    if rule.kind in ("sum", "rate"):  # incomplete members: not carried
        out = out[out["n"] == out["parent"].map(sizes)]
    return out


def carry(
    obs: pd.DataFrame,
    rules: Mapping[str, str],
    members: pd.DataFrame,
    parents: Mapping[str, str],
    names: Mapping[str, Mapping[str, str]] | None = None,
) -> pd.DataFrame:
    """Carried rows (the observations' columns) of the parents of the 2020 communes.

    ``rules``: indicator → carry rule (:func:`rules_of`); ``members``: the
    2020 communes (``gso_code`` and, per parent level, the column holding its
    code); ``parents``: parent level → that column (e.g. ``{"district":
    "district_code", "commune_2025": "code_2025"}``); ``names``: parent level
    → code → unit name.
    """
    names = names or {}
    codes = members["gso_code"].astype(str)
    by_indicator = commune_rows(obs)
    frames = []
    for indicator in sorted(rules):
        rule = parse_rule(rules[indicator])
        if rule.kind == "none" or indicator not in by_indicator:
            continue
        vals = _best(by_indicator[indicator])
        if rule.kind == "rate":
            if rule.denominator not in by_indicator:
                continue
            den = _best(by_indicator[rule.denominator])
        else:
            den = None
        for level, column in parents.items():
            if rule.kind in FLAG_RULES and level not in FLAG_PARENTS:
                continue
            parent_of = pd.Series(
                members[column].astype(str).to_numpy(dtype=object), index=codes.to_numpy(dtype=object)
            )
            sizes = parent_of.value_counts()
            listed = parent_of.groupby(parent_of).apply(lambda s: ", ".join(sorted(s.index)))
            v = vals.assign(parent=vals["gso_code"].map(parent_of)).dropna(subset=["parent"])
            d = None if den is None else den.assign(parent=den["gso_code"].map(parent_of)).dropna(subset=["parent"])
            agg = _aggregate(rule, v, d, sizes)
            if agg.empty:
                continue
            frames.append(_rows(agg, level, indicator, rules[indicator], rule, sizes, listed, names.get(level, {})))
    if not frames:
        out = pd.DataFrame(columns=list(OBS_FIELDS))
    else:
        out = pd.concat(frames, ignore_index=True)[list(OBS_FIELDS)]
    out["year"] = pd.array(out["year"], dtype="Int64")
    out["value"] = out["value"].astype(float)
    return out


def _rows(agg, level, indicator, rule_text, rule, sizes, listed, names) -> pd.DataFrame:
    """The observation rows of the aggregates ``agg`` of one indicator at one parent level."""
    n = agg["parent"].map(sizes).astype(int)
    st = [_status(int(a), int(b)) for a, b in zip(agg["n_syn"], n)]
    notes = [
        f"carried: {rule_text} over {k} communes of 2020 ({listed[p]})"
        + (f"; weights: {rule.denominator} {int(w)}" if rule.kind == "rate" and pd.notna(w) else "")
        + (f"; {syn}" if syn else "")
        for p, k, w, (_, syn) in zip(agg["parent"], n, agg.get("wyear", pd.Series([pd.NA] * len(agg))), st)
    ]
    crosswalk = CROSSWALK_SOURCES.get(level, level)
    return pd.DataFrame(
        {
            "unit_level": level,
            "gso_code": agg["parent"].astype(str).to_numpy(),
            "unit_name": agg["parent"].map(lambda p: names.get(p, "")).to_numpy(),
            "indicator": indicator,
            "year": agg["_y"].to_numpy(),
            "period": [("" if pd.isna(y) else str(int(y))) for y in agg["_y"]],
            "qualifier": ["~" if a else "=" for a in agg["approx"]],
            "value": agg["value"].astype(float).to_numpy(),
            "unit": agg["unit"].astype(str).to_numpy(),
            "standard": agg["standard"].fillna("").astype(str).to_numpy(),
            "status": [s for s, _ in st],
            "source": [f"{SOURCE_PREFIX} ({rule_text}) by {crosswalk}; members' sources: {x}" for x in agg["sources"]],
            "note": notes,
        }
    )


def merge(obs: pd.DataFrame, carried: pd.DataFrame) -> pd.DataFrame:
    """``obs`` with the ``carried`` rows added: a real row of the parent wins over a carried one;
    a carried one replaces a synthetic row of the parent that is not carried (see the module doc)."""
    key = ["unit_level", "gso_code", "indicator", "year", "standard"]
    if carried.empty:
        return obs

    def keys(frame: pd.DataFrame) -> pd.Series:
        year = pd.to_numeric(frame["year"], errors="coerce").round().astype("Int64")
        parts = [(year if c == "year" else frame[c]).astype("string").fillna("") for c in key]
        out = parts[0]
        for p in parts[1:]:
            out = out + "|" + p
        return out

    obs_keys, new_keys = keys(obs), keys(carried)
    prim = ~obs["note"].fillna("").astype(str).str.startswith("alternative:")
    # A real value keeps the carried one out; a real bound (">58") is no value and does not.
    real = prim & (obs["status"] != "synthetic") & obs["qualifier"].isin(PICKABLE)
    # A synthetic aggregate of the parent made before (not a carried row) gives way to the carried
    # value of its key, even where a real row of that key keeps the carried one out.
    replaced = prim & (obs["status"] == "synthetic") & obs_keys.isin(set(new_keys)) & ~_is_carried(obs)
    carried = carried[~new_keys.isin(set(obs_keys[real]))]
    return pd.concat([obs[~replaced], carried.astype({"year": "Int64"})], ignore_index=True)


def recarry(
    obs: pd.DataFrame,
    catalogue: pd.DataFrame,
    communes: pd.DataFrame,
    names: Mapping[str, Mapping[str, str]] | None = None,
) -> pd.DataFrame:
    """``obs`` without its carried rows, carried again from its commune rows (build and upload).

    ``communes``: the 2020 communes with ``district_code`` and ``code_2025``.
    """
    cat = catalogue.set_index("id") if "id" in catalogue.columns else catalogue
    if "carry" not in cat.columns:  # a GeoPackage built before the carry rules: leave it as it is
        return obs
    rules = rules_of(cat)
    base = obs[~_is_carried(obs)]
    commune = unit_levels.get("commune")
    parents = {lv: col for lv, col in zip(commune.parents, commune.parent_columns) if col in communes.columns}
    members = pd.DataFrame({c: communes[c].astype(str) for c in ["gso_code", *parents.values()]})
    carried = carry(base, rules, members, parents, names)
    return merge(base, carried).reset_index(drop=True)


def unit_names(layers: Mapping[str, pd.DataFrame]) -> dict[str, dict[str, str]]:
    """Parent level → code → name, from the GeoPackage's unit layers (those present)."""
    out = {}
    for lv in unit_levels.polygon_levels():
        frame = layers.get(lv.layer)
        if frame is not None and "name" in frame.columns:
            out[lv.name] = dict(zip(frame["gso_code"].astype(str), frame["name"].astype(str)))
    return out
