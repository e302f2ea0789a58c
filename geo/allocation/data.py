"""The unit frame an allocation runs on, made from the built data.

:func:`read_tables` is the only function that reads data (the compiled
GeoPackage through :func:`geo.io.storage.read_layer`); it can later take a
backend instead.  :func:`unit_frame` turns those tables into one row per
unit of the rule's level with, for every indicator the rule reads, its
value picked by :func:`geo.indicators.values.values` and that value's
``__year``, ``__standard``, ``__status`` and ``__source`` (so synthetic
values are visible and counted).

Flag indicators (catalogue kind ``flag``, e.g. ``p135_2017_2020``) are 1
for the units listed and 0 for the others, like :mod:`geo.analysis.targeting`.
``scope = "district"`` reads a district indicator (``poor_district_30a``) for
each commune of that district: column ``district.<id>``.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from geo.allocation.engine import column
from geo.allocation.rules import Rule, RuleError, standard_years
from geo.indicators import standards as stds
from geo.indicators import values as ind
from geo.io import storage
from geo.messages import Message

OBS_LEVEL = {"commune_2020": "commune", "commune_2025": "commune_2025", "district": "district"}
UNIT_COLUMNS = (
    "gso_code",
    "name",
    "unit_type",
    "district_code",
    "district_name",
    "on_border",
    "border_countries",
    "border_km",
    "area_km2",
    "geometry",
)


@dataclass(frozen=True)
class Tables:
    """The tables an allocation reads."""

    communes: pd.DataFrame
    districts: pd.DataFrame
    observations: pd.DataFrame
    catalogue: pd.DataFrame
    communes_2025: pd.DataFrame | None = None  # the 40 communes of 1 July 2025 (None: not built)


def read_tables(path: Path | str | None = None) -> Tables:
    """Read the units, observations and catalogue from the built GeoPackage (``None``: the current one)."""
    try:
        new = storage.read_layer("communes_2025", path)
    except (KeyError, ValueError, OSError):  # a build without the 2025 communes
        new = None
    return Tables(
        storage.read_layer("communes", path),
        storage.read_layer("districts", path),
        storage.read_layer("observations", path),
        storage.read_layer("catalogue", path),
        new,
    )


def _cause(exc: Exception) -> str | Message:
    """The :class:`Message` an error carries (to nest in another), else its text."""
    first = exc.args[0] if exc.args else None
    return first if isinstance(first, Message) else str(exc)


def _where(rule: Rule) -> str:
    return f"{rule.path}: " if rule.path else ""


def check_request(rule: Rule, year: int, level: str | None) -> str:
    """The level to use (the rule's first when None), or :class:`RuleError` naming ``--level``/``--year``."""
    level = level or rule.levels[0]
    if level not in rule.levels:
        raise RuleError(Message("error.rule_data.level_rule", rule=rule.id, levels=", ".join(rule.levels), got=level))
    if level not in OBS_LEVEL:
        use = ", ".join(k for k in OBS_LEVEL if k in rule.levels) or Message("error.rule_data.another_rule")
        raise RuleError(Message("error.rule_data.level_later", level=level, use=use))
    if isinstance(year, bool) or not isinstance(year, int):
        raise RuleError(Message("error.rule_data.year", got=year))
    lo, hi = rule.years
    if not lo <= year <= hi:
        raise RuleError(Message("error.alloc.year_outside", year=year, period=rule.period, rule=rule.id))
    return level


def _units(tables: Tables, level: str) -> pd.DataFrame:
    if level == "commune_2025":
        return _units_2025(tables)
    frame = tables.communes if level == "commune_2020" else tables.districts
    keep = [c for c in UNIT_COLUMNS if c in frame.columns]
    out = pd.DataFrame({c: frame[c].to_numpy() for c in keep})
    out["gso_code"] = out["gso_code"].astype(str)
    if "district_code" in out:
        out["district_code"] = out["district_code"].astype(str)
    else:  # districts: a district is its own district
        out["district_code"] = out["gso_code"]
        out["district_name"] = out["name"]
    return out


def _units_2025(tables: Tables) -> pd.DataFrame:
    """The communes of 1 July 2025, each with the former district (``district_code``,
    ``district_name``) its 2020 members lay in: every one of the 40 lies in one (the merges
    of NQ 1677/NQ-UBTVQH15 kept within the old districts), so a district-scope criterion
    (a 30a poor district) and the equity view by district read the former district."""
    if tables.communes_2025 is None:
        raise RuleError(Message("error.rule_data.level_later", level="commune_2025", use="commune_2020"))
    frame = tables.communes_2025
    keep = [c for c in UNIT_COLUMNS if c in frame.columns and c not in ("district_code", "district_name")]
    out = pd.DataFrame({c: frame[c].to_numpy() for c in keep})
    out["gso_code"] = out["gso_code"].astype(str)
    old = tables.communes.astype({"code_2025": str, "district_code": str})
    by_new = old.groupby("code_2025").agg(
        n=("district_code", "nunique"),
        district_code=("district_code", "first"),
        district_name=("district_name", "first"),
    )
    one = by_new[by_new["n"] == 1]  # a commune spanning two former districts would get none
    out["district_code"] = out["gso_code"].map(one["district_code"]).fillna("")
    out["district_name"] = out["gso_code"].map(one["district_name"]).fillna("")
    return out


def _kind(catalogue: pd.DataFrame, indicator: str, field: str, rule: Rule) -> str:
    cat = catalogue.set_index("id") if "id" in catalogue.columns else catalogue
    if indicator not in cat.index:
        raise RuleError(Message("error.rule_data.unknown_indicator", where=_where(rule), field=field, got=indicator))
    row = cat.loc[indicator]
    row = row.iloc[0] if isinstance(row, pd.DataFrame) else row
    return str(row.get("kind", ""))


def _agrees(standard: str, year: int) -> bool:
    """Whether ``year``'s figures may be by ``standard``: the registry's review years
    (:mod:`geo.indicators.standards`; the 2021 review is the first of 2022-2025), else
    the years the standard's name covers."""
    known = stds.by_label(standard)
    if known is not None:
        return stds.agrees(known, year)
    span = standard_years(standard)
    return not span or span[0] <= year <= span[1]


def _picked(
    obs, indicator: str, obs_level: str, year: int, kind: str, standard: str | None, field: str, rule: Rule
) -> pd.DataFrame:
    """One row per unit (indexed by gso_code): value, year, standard, status, source."""
    if kind == "flag":
        v = ind.values(obs, indicator, obs_level, None)
        v = v.assign(value=(pd.to_numeric(v["value"], errors="coerce").fillna(1) != 0).astype(float))
    else:
        if standard and not _agrees(standard, year):
            known = stds.by_label(standard)
            span = (known.first, known.last) if known else standard_years(standard)
            where, crit = _where(rule), field.rsplit(".", 1)[0]
            raise RuleError(
                Message(
                    "error.rule_data.standard_year",
                    **dict(where=where, field=crit, standard=standard, year=year, first=span[0], last=span[1]),
                )
            )
        v = ind.values(obs, indicator, obs_level, year, standard)
        if v.empty:
            have = ind.years(obs, indicator, obs_level)
            by = Message("error.rule_data.by_standard", standard=standard) if standard else ""
            years = ", ".join(map(str, have)) or Message("error.rule.none")
            raise RuleError(
                Message(
                    "error.rule_data.no_values",
                    **dict(where=_where(rule), field=field, level=obs_level, indicator=indicator, year=year),
                    by=by,
                    years=years,
                )
            )
        for std in sorted(set(v["standard"].dropna().astype(str))):
            if not _agrees(std, year):
                raise RuleError(
                    Message(
                        "error.rule_data.values_standard",
                        **dict(where=_where(rule), field=field, year=year, indicator=indicator, standard=std),
                    )
                )
        try:
            ind.one_standard(v, f"{_where(rule)}{field}: the {year} {obs_level} values of {indicator!r}")
        except stds.StandardError as exc:
            raise RuleError(Message("error.rule_data.one_standard", reason=_cause(exc))) from None
    v = v.assign(gso_code=v["gso_code"].astype(str)).set_index("gso_code")
    return v[["value", "year", "standard", "status", "source"]]


def _attach(frame: pd.DataFrame, picked: pd.DataFrame, col: str, key: pd.Series, flag: bool) -> None:
    t = picked.reindex(key.to_numpy())
    value = pd.to_numeric(t["value"], errors="coerce").to_numpy(dtype=float)
    status = t["status"].astype(object).where(t["status"].notna(), None).to_numpy(dtype=object)
    if flag:  # not listed = 0, with the list's own year, status and source
        list_row = picked.iloc[0] if len(picked) else None
        missing = pd.isna(value)
        value = pd.Series(value).fillna(0.0).to_numpy(dtype=float)
        if list_row is not None:
            status = [list_row["status"] if m else s for m, s in zip(missing, status)]
            t = t.assign(
                year=t["year"].where(~missing, list_row["year"]), source=t["source"].where(~missing, list_row["source"])
            )
    frame[col] = value
    frame[f"{col}__year"] = pd.array(pd.to_numeric(t["year"], errors="coerce").round(), dtype="Int64")
    frame[f"{col}__standard"] = t["standard"].astype(object).where(t["standard"].notna(), None).to_numpy()
    frame[f"{col}__status"] = list(status)
    frame[f"{col}__source"] = t["source"].astype(object).where(t["source"].notna(), None).to_numpy()


def _one_standard(used: dict[str, str], picked: pd.DataFrame, field: str, indicator: str, rule: Rule) -> None:
    """Refuse a rule whose criteria would read two poverty standards (a composite is one standard)."""
    for std in ind.standards_of(picked.reset_index()):
        used.setdefault(std, f"{field} ({indicator})")
    if len(used) > 1:
        (a, first), (b, second) = list(used.items())[:2]
        raise RuleError(
            Message("error.rule_data.two_standards", where=_where(rule), second=second, a=a, first=first, b=b)
        )


def unit_frame(
    rule: Rule, year: int, level: str | None = None, tables: Tables | None = None, path: Path | str | None = None
) -> pd.DataFrame:
    """One row per unit of the rule's level, with every indicator the rule reads for ``year``."""
    level = check_request(rule, year, level)
    tables = tables or read_tables(path)
    obs_level = OBS_LEVEL[level]
    frame = _units(tables, level)
    wanted: list[tuple[str, str, str | None, str]] = []  # indicator, scope, standard, field
    for i, c in enumerate(rule.eligibility):
        if not c.is_attribute:
            wanted.append((c.field, c.scope, None, f"eligibility[{i}].indicator"))
    for i, c in enumerate(rule.criteria):
        if c.indicator and not c.is_attribute:
            wanted.append((c.indicator, c.scope, c.standard, f"criteria[{i}].indicator"))
    done: set[tuple[str, str]] = set()
    used: dict[str, str] = {}  # poverty standard → the first criterion reading it
    for indicator, scope, standard, field in wanted:
        if (indicator, scope) in done:
            continue
        done.add((indicator, scope))
        kind = _kind(tables.catalogue, indicator, field, rule)
        src_level = "district" if scope == "district" else obs_level
        picked = _picked(tables.observations, indicator, src_level, year, kind, standard, field, rule)
        _one_standard(used, picked, field, indicator, rule)
        key = frame["district_code"] if scope == "district" else frame["gso_code"]
        _attach(frame, picked, column(indicator, scope), key, kind == "flag")
    hh = rule.per_household
    if hh and (hh, "unit") not in done:
        have = ind.values(tables.observations, hh, obs_level, year)
        if len(have):
            picked = have.assign(gso_code=have["gso_code"].astype(str)).set_index("gso_code")
            _attach(frame, picked[["value", "year", "standard", "status", "source"]], hh, frame["gso_code"], False)
    frame.attrs = {"year": int(year), "level": level}
    return frame


def equity_frame(frame: pd.DataFrame, result: pd.DataFrame, rule: Rule, tables: Tables) -> pd.DataFrame:
    """The columns :func:`geo.allocation.equity.equity` reads, for the units of one allocation.

    ``frame`` is the :func:`unit_frame` the allocation ran on, ``result`` its
    answer.  The poverty rate ranking "the poorest" is the year's
    (``poor_rate``, the standard of that year, with its status), the poor
    households are the rule's per-household denominator (with its status);
    ``on_border`` comes from the unit layer (districts have none).
    """
    year, level = frame.attrs.get("year"), frame.attrs.get("level", rule.levels[0])
    cols = ["gso_code", "district_code", "district_name", "eligible", "amount", "poor_households"]
    out = pd.DataFrame({c: result[c].to_numpy() for c in cols if c in result.columns})
    hh = rule.per_household
    if hh and f"{hh}__status" in frame.columns:
        out["poor_households__status"] = frame[f"{hh}__status"].to_numpy()
    if "on_border" in frame.columns:
        out["on_border"] = frame["on_border"].to_numpy()
    if "poor_rate" in frame.columns:
        out["poor_rate"] = frame["poor_rate"].to_numpy()
        out["poor_rate__status"] = frame["poor_rate__status"].to_numpy()
        return out
    rows = ind.values(tables.observations, "poor_rate", OBS_LEVEL[level], year)
    if len(rows):
        picked = rows.assign(gso_code=rows["gso_code"].astype(str)).set_index("gso_code")
        _attach(out, picked[["value", "year", "standard", "status", "source"]], "poor_rate", out["gso_code"], False)
    return out
