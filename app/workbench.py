"""The planner's workbench in the page: its strings, its options and the layer downloads.

Routes
------
``GET /workbench/change.json?indicator=&level=&from=&to=&lang=``
    The change of one indicator between two years at a level (:mod:`geo.analysis.change`):
    per unit the two values and their difference, diverging classes symmetric around 0
    with their colours and legend.  Two years measured by two poverty standards are
    refused (400, the message names both standards) — so are unknown indicators,
    levels and years.
``GET /layers/<id>/download?f=&year=&lang=&codes=&geometry=``
    One map layer as a file in any of the six formats (:mod:`geo.io.export`):
    every unit or work of the layer, or exactly the rows ``codes`` (a comma
    list of ids, in that order: what the page's attribute table shows).  CSV
    and XLSX carry headers in the reader's language with units, the value
    rounded as on the map beside the exact one, its status, year, poverty
    standard and source, and the household and population counts.

The page's own strings (vi and en) are the ``workbench`` table of the one message
catalogue, ``geo/messages.toml`` (its ``workbench.columns`` also name the columns
of the downloads); :func:`strings` gives them as one table.
:func:`page_options` tells the page what ``/targets`` offers (levels, indicators
with their standards and years, programme statuses, formats), so nothing of it
is hard-coded in the JavaScript.
"""

from __future__ import annotations

import re

import geopandas as gpd
import pandas as pd
from flask import Blueprint, Response, current_app, request

from geo.analysis import change as changes
from geo.analysis import classify, query, targeting
from geo.backends.base import Backend, BackendError
from geo.indicators import standards as poverty_standards
from geo.indicators import values as indicators
from geo.io import export
from geo.maplayers import layerspec
from geo.messages import Message

from . import context as app_context
from . import i18n
from .errors import bad_request, cause, not_found, unavailable

bp = Blueprint("workbench", __name__)

#: The sub-tables of the catalogue's ``workbench`` table (the rest are its plain strings).
SUBTABLES = ("levels", "countries", "statuses", "units", "columns")
#: Catalogue units shown without a unit word (a flag, a count).
NO_UNIT = ("flag", "count")
LANGS = ("vi", "en")
#: Decimals of the value "as shown" by unit (the map's rounding).
SHOWN_DIGITS = {"%": 1, "km": 1, "km²": 1, "persons/km²": 1, "households": 0, "persons": 0, "count": 0}
#: Columns of a layer's frame that are the map's bookkeeping, not data.
LAYER_INTERNAL = ("popup", "reported", "filled", "category", "qualifier", "period", "note", "unit", "geom_method")
_CODE = re.compile(r"[0-9A-Za-z_.:-]{1,40}")


def strings(lang: str) -> dict:
    """The workbench's strings in ``lang`` (``vi`` or ``en``): the catalogue's ``workbench``
    table, its sub-tables (:data:`SUBTABLES`) as nested tables."""
    lang = lang if lang in LANGS else "vi"
    out: dict = {k: v for k, v in i18n.section("workbench", lang).items() if "." not in k}
    for sub in SUBTABLES:
        out[sub] = i18n.section(f"workbench.{sub}", lang)
    return out


def _standard_words(lang: str) -> list[tuple[str, str]]:
    """(the data's words, the page's words) of each poverty standard: on a vi page its short
    Vietnamese label (:mod:`geo.indicators.standards`); an English page keeps the data's words."""
    if lang != "vi":
        return []
    pairs = [(s.label.split(" (")[0], s.short_vi) for s in poverty_standards.STANDARDS]
    return pairs + [("per observation", strings("vi")["per_observation"])]


def standard_text(text: str | None, lang: str) -> str:
    """A poverty standard as worded in the data, in ``lang`` (Vietnamese words on a vi page).

    >>> standard_text("2016-2020 multidimensional (QĐ 59/2015/QĐ-TTg)", "vi")
    'Đa chiều 2016–2020 (QĐ 59/2015/QĐ-TTg)'
    >>> standard_text("2022-2025 (NĐ 07/2021/NĐ-CP)", "en")
    '2022-2025 (NĐ 07/2021/NĐ-CP)'
    """
    out = str(text or "")
    for data, words in _standard_words(lang):
        out = out.replace(data, words)
    return out


def standard_tag(text: str | None) -> str:
    """A short tag of a poverty standard for file names (the words before its legal reference).

    >>> standard_tag("2016-2020 multidimensional (QĐ 59/2015/QĐ-TTg)"), standard_tag("")
    ('std 2016 2020 multidimensional', '')
    """
    head = str(text or "").split("(")[0].strip()
    return ("std " + export.slugify(head).replace("_", " ")) if head else ""


def unit_label(unit: str | None, lang: str) -> str:
    """A catalogue unit in ``lang`` ("households" → "hộ")."""
    if (unit or "") in NO_UNIT:
        return ""
    return strings(lang)["units"].get(unit or "", unit or "")


def column_labels(columns, catalogue: pd.DataFrame, lang: str, indicators_too: bool = True) -> dict[str, str]:
    """Headers in ``lang`` with units for the columns of an export (ids, indicators and their companions).

    ``indicators_too=False``: only the fixed column names (a works or lines table,
    whose ``households`` are not the catalogue's indicator).
    """
    s = strings(lang)
    fixed = s["columns"]
    cat = catalogue.set_index("id") if "id" in catalogue.columns else catalogue
    name_col = "name_vi" if lang == "vi" else "name_en"

    def indicator(ind: str) -> str | None:
        if ind not in cat.index:
            return None
        row = cat.loc[ind]
        row = row.iloc[0] if isinstance(row, pd.DataFrame) else row
        unit = unit_label(row.get("unit"), lang)
        return f"{row.get(name_col) or ind}" + (f" ({unit})" if unit else "")

    out: dict[str, str] = {}
    for col in (str(c) for c in columns):
        if col in fixed:
            out[col] = fixed[col]
            continue
        if not indicators_too:
            continue
        for suffix, word in (("_status", "status_of"), ("_year", "year_of")):
            if col.endswith(suffix) and indicator(col[: -len(suffix)]):
                out[col] = f"{fixed[word]}: {indicator(col[: -len(suffix)])}"
                break
        else:
            if col.endswith(export.SHOWN_SUFFIX) and indicator(col[: -len(export.SHOWN_SUFFIX)]):
                out[col] = f"{indicator(col[: -len(export.SHOWN_SUFFIX)])} — {fixed['shown']}"
            elif indicator(col):
                out[col] = f"{indicator(col)} — {fixed['exact']}"
    return out


def shown_digits(columns, catalogue: pd.DataFrame) -> dict[str, int]:
    """Decimals of the rounded copy of each indicator column (by its unit)."""
    cat = catalogue.set_index("id") if "id" in catalogue.columns else catalogue
    out = {}
    for col in (str(c) for c in columns):
        if col in cat.index:
            unit = cat.loc[col, "unit"]
            unit = unit.iloc[0] if isinstance(unit, pd.Series) else unit
            if str(unit) != "flag":
                out[col] = SHOWN_DIGITS.get(str(unit), 2)
    return out


def export_options(columns, backend: Backend, lang: str, indicators_too: bool = True) -> dict:
    """``labels`` and ``shown`` for :func:`geo.io.export.export` of a table with ``columns``."""
    catalogue = backend.read_layer("catalogue")
    shown = shown_digits(columns, catalogue) if indicators_too else {}
    names = list(columns) + [f"{c}{export.SHOWN_SUFFIX}" for c in shown] + ["provenance", "lon", "lat", "wkt"]
    return {"labels": column_labels(names, catalogue, lang, indicators_too), "shown": shown}


def observed_standard(obs: pd.DataFrame, indicator: str, level: str, year: int | None) -> str:
    """The poverty standard most rows of ``indicator`` at ``level`` in ``year`` were measured by ("" if none)."""
    rows = indicators.values(obs, indicator, level, year)
    std = rows["standard"].dropna().astype(str) if "standard" in rows.columns else pd.Series([], dtype=str)
    std = std[std != ""]
    return str(std.mode().iloc[0]) if len(std) else ""


#: The observation columns the page's options are read from.
OPTION_COLUMNS = ("indicator", "unit_level", "gso_code", "year", "status", "standard", "note", "qualifier")


def option_tables(obs: pd.DataFrame) -> dict[tuple[str, str], dict]:
    """Per (indicator, level), in one pass over the observations: the poverty standards its
    rows name (``standards``), the years it has usable values for (``years``,
    :func:`geo.indicators.values.years`), how many units have a value in each year
    (``year_units``) and the standard most units' best value of each year was measured by
    (``observed``, :func:`observed_standard` of each year)."""
    o = obs[[c for c in OPTION_COLUMNS if c in obs.columns]].astype(object)
    o["year"] = pd.to_numeric(o["year"], errors="coerce")
    key = ["indicator", "unit_level"]
    named = o["standard"].notna() & (o["standard"].astype(str) != "")
    standards = o[named].groupby(key)["standard"].agg(lambda s: sorted({str(x) for x in s}))
    dated = o[o["year"].notna()]
    units = dated.groupby([*key, dated["year"].astype(int)])["gso_code"].nunique()
    use = indicators.usable(o)
    use = use[use["year"].notna()]
    years = use.groupby(key)["year"].agg(lambda s: sorted({int(y) for y in s}))
    rank = use["status"].map(indicators.STATUS_RANK).fillna(9)
    best = use.assign(_rank=rank).sort_values([*key, "gso_code", "year", "_rank"])
    best = best.drop_duplicates([*key, "gso_code", "year"])
    best = best[best["standard"].notna() & (best["standard"].astype(str) != "")]
    observed = best.groupby([*key, best["year"].astype(int)])["standard"].agg(
        lambda s: str(s.astype(str).mode().iloc[0])
    )
    out: dict[tuple[str, str], dict] = {}
    for ind, level in set(years.index) | set(standards.index):
        ys = years.get((ind, level), [])
        out[(str(ind), str(level))] = {
            "standards": standards.get((ind, level), []),
            "years": ys,
            "year_units": {y: int(units.get((ind, level, y), 0)) for y in ys},
            "observed": {y: observed.get((ind, level, y), "") for y in ys},
        }
    return out


# --------------------------------------------------------------------------- page options


def page_options(lang: str, backend: Backend) -> dict:
    """What the page's targeting panel may offer, read from the data and from /targets."""
    s = strings(lang)
    obs = backend.read_layer("observations")
    catalogue = backend.read_layer("catalogue")
    cat = catalogue.set_index("id")
    name_col = "name_vi" if lang == "vi" else "name_en"
    levels, by_level = [], {}
    # Every indicator's standards, years and units per year in one pass over the
    # observations (not one scan of the whole table per indicator and year: 70 indicators
    # made the page's first answer take seconds).
    tables = option_tables(obs)
    empty = {"standards": [], "years": [], "year_units": {}, "observed": {}}
    for level in targeting.LEVELS:
        levels.append({"id": level, "label": s["levels"].get(level, level)})
        items = []
        for ind in targeting.rankable(obs, catalogue, level):
            row = cat.loc[ind]
            tab = tables.get((ind, level), empty)
            stds, years = tab["standards"], tab["years"]
            by_year = {str(y): standard_text(tab["observed"].get(y, ""), lang) for y in years if stds}
            items.append(
                {
                    "id": ind,
                    "name": str(row.get(name_col) or ind),
                    "unit": unit_label(row.get("unit"), lang),
                    "kind": str(row.get("kind") or ""),
                    "standards": [standard_text(x, lang) for x in stds],
                    "standard_by_year": {y: t for y, t in by_year.items() if t},
                    "years": years,
                    "year_units": {str(y): n for y, n in tab["year_units"].items()},
                }
            )
        by_level[level] = items
    statuses = []
    for name in query.status_names(catalogue):
        label = s["statuses"].get(name) or (str(cat.loc[name].get(name_col)) if name in cat.index else name)
        statuses.append({"id": name, "label": label})
    first = ("p135", "poor_district", "ntm_recognised", "border")
    statuses.sort(key=lambda x: (first.index(x["id"]) if x["id"] in first else len(first), x["label"]))
    return {
        "levels": levels,
        "indicators": by_level,
        "statuses": statuses,
        "countries": [{"id": c, "label": s["countries"].get(c, c)} for c in query.COUNTRIES],
        "formats": list(export.FORMATS),
        "geometry_options": list(export.GEOMETRY_OPTIONS),
        "counts": list(targeting.COUNT_INDICATORS),
        "i18n": {k: v for k, v in s.items() if k not in ("columns", "standards")},
    }


# --------------------------------------------------------------------------- layer downloads


def _backend() -> Backend:
    try:
        return app_context.backend()
    except BackendError as exc:
        raise unavailable(exc) from None


def _spec(layer_id: str) -> layerspec.LayerSpec:
    specs = current_app.extensions.get("map_layers", [])
    for spec in specs:
        if spec.id == layer_id:
            return spec
    raise not_found(Message("error.workbench.unknown_layer", got=layer_id, layers=", ".join(s.id for s in specs)))


def _arg_choice(name: str, choices, default):
    raw = request.args.get(name)
    if raw in (None, ""):
        return default
    if raw not in choices:
        raise bad_request(Message("error.workbench.unknown_choice", name=name, got=raw, expected=", ".join(choices)))
    return raw


def _arg_year(spec: layerspec.LayerSpec) -> int | None:
    raw = request.args.get("year")
    if raw in (None, ""):
        return None
    if not raw.isdigit():
        raise bad_request(Message("error.workbench.year", got=raw))
    try:
        return layerspec.check_year(spec, int(raw))
    except layerspec.LayerDataError as exc:
        raise bad_request(exc) from None


def _arg_codes(frame: pd.DataFrame, key: str) -> list[int] | None:
    """Row positions of ``codes`` (in the order given), or None for every row; 400 on an unknown code."""
    raw = request.args.get("codes")
    if raw in (None, ""):
        return None
    codes = [c.strip() for c in raw.split(",") if c.strip()]
    bad = [c for c in codes if not _CODE.fullmatch(c)]
    if bad:
        raise bad_request(Message("error.workbench.codes_malformed", got=bad[0]))
    where = {str(c): i for i, c in enumerate(frame[key])}
    unknown = [c for c in codes if c not in where]
    if unknown:
        raise bad_request(Message("error.workbench.codes_unknown", codes=", ".join(unknown[:5]), key=key))
    if len(set(codes)) != len(codes):
        raise bad_request(Message("error.workbench.codes_twice"))
    return [where[c] for c in codes]


def layer_table(spec: layerspec.LayerSpec, year: int | None, backend: Backend) -> tuple[gpd.GeoDataFrame, str]:
    """The rows of a map layer as a table for export, and the poverty standard of its values."""
    frame = layerspec.layer_frame(spec, year, backend)
    frame = frame.drop(columns=[c for c in LAYER_INTERNAL if c in frame.columns])
    standard = ""
    if spec.indicator:
        ind = spec.indicator
        std = frame["standard"].dropna().astype(str)
        std = std[std != ""]
        standard = str(std.mode().iloc[0]) if len(std) else ""
        frame = frame.rename(
            columns={"value": ind, "status": f"{ind}_status", "obs_year": f"{ind}_year", "standard": "standard"}
        )
    elif spec.field:
        frame = frame.drop(columns=[c for c in ("value", "obs_year", "standard") if c in frame.columns])
    else:
        frame = frame.drop(columns=[c for c in ("value", "obs_year") if c in frame.columns])
    if spec.source in ("communes", "districts"):
        frame = _with_counts(frame, spec, year, backend)
    elif "households" in frame.columns:  # a work's households served, not the indicator
        frame = frame.rename(columns={"households": "households_served"})
    for col in frame.columns:  # years as whole numbers (2019, not 2019.0)
        if (col == "year" or str(col).endswith("_year")) and pd.api.types.is_float_dtype(frame[col].dtype):
            frame[col] = frame[col].round().astype("Int64")
    return frame, standard


def _with_counts(frame: gpd.GeoDataFrame, spec: layerspec.LayerSpec, year: int | None, backend: Backend):
    """Household and population counts of the units (the layer's year where there is one)."""
    obs = backend.read_layer("observations")
    level = "commune" if spec.source == "communes" else "district"
    codes = frame["gso_code"].astype(str)
    for ind in targeting.COUNT_INDICATORS:
        if ind in frame.columns:
            continue
        have = indicators.years(obs, ind, level)
        if not have:
            continue
        pick = year if year in have else None
        rows = indicators.values(obs, ind, level, pick).set_index("gso_code")
        frame[ind] = codes.map(rows["value"]).astype(float).to_numpy()
        frame[f"{ind}_status"] = codes.map(rows["status"]).astype(object).to_numpy()
        frame[f"{ind}_year"] = codes.map(rows["year"]).astype(float).to_numpy()
    return frame


@bp.get("/layers/<layer_id>/download")
def layer_download(layer_id: str):
    spec = _spec(layer_id)
    default_lang = current_app.config.get("DEFAULT_LANG")
    lang = _arg_choice("lang", LANGS, default_lang if default_lang in LANGS else "vi")
    fmt = _arg_choice("f", tuple(export.FORMATS), None)
    if fmt is None:
        raise bad_request(Message("error.workbench.format_missing", expected=", ".join(export.FORMATS)))
    geometry = _arg_choice("geometry", export.GEOMETRY_OPTIONS, None)
    if geometry is not None and fmt not in ("csv", "xlsx"):
        raise bad_request(Message("error.workbench.geometry_format"))
    for name in request.args:
        if name not in ("f", "year", "lang", "codes", "geometry"):
            raise bad_request(Message("error.workbench.unknown_param", got=name))
    backend = _backend()
    year = _arg_year(spec)
    try:
        table, standard = layer_table(spec, year, backend)
    except (layerspec.LayerDataError, ValueError) as exc:
        raise bad_request(exc) from None
    key = layerspec.ID_COLUMN[spec.source]
    rows = _arg_codes(table, key)
    total = len(table)
    if rows is not None:
        table = table.iloc[rows]
    shown_year = layerspec.check_year(spec, year)
    bits = ["kontum", spec.id, str(shown_year) if shown_year else "", standard_tag(standard)]
    if rows is not None:
        bits.append(f"{len(rows)} of {total}")
    name = " ".join(b for b in bits if b)
    meta = {
        "layer": spec.id,
        "title_layer": spec.title(lang),
        "year": shown_year,
        "standard": standard or None,
        "rows": f"{len(table)} selected in the page" if rows is not None else f"all {len(table)}",
    }
    units = spec.source in ("communes", "districts")
    options = export_options(table.columns, backend, lang, units) if fmt in ("csv", "xlsx", "kml") else {}
    try:
        data, mimetype, filename = export.export(
            table, fmt, name, metadata={k: v for k, v in meta.items() if v is not None}, geometry=geometry, **options
        )
    except ValueError as exc:
        raise bad_request(Message("error.workbench.export_failed", fmt=fmt, reason=cause(exc))) from None
    resp = Response(data, content_type=mimetype)
    resp.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    return resp


# --------------------------------------------------------------------------- comparing two years

#: Parameters of /workbench/change.json.
CHANGE_PARAMS = ("indicator", "level", "from", "to", "lang")
#: Diverging palettes, low → high change: a fall in a "higher is worse" indicator is blue.
CHANGE_PALETTE = {"higher_better": "RdBu", "higher_worse": "RdBu_r", "neutral": "PuOr_r"}


def comparable(obs: pd.DataFrame, catalogue: pd.DataFrame, level: str) -> list[str]:
    """Indicators that may be compared at ``level``: numbers (not flags) with two years or more."""
    cat = catalogue.set_index("id")
    out = []
    for ind in targeting.rankable(obs, catalogue, level):
        if ind in cat.index and str(cat.loc[ind].get("unit")) != "flag" and len(indicators.years(obs, ind, level)) > 1:
            out.append(ind)
    return out


def _change_year(key: str) -> int:
    raw = request.args.get(key)
    if raw in (None, ""):
        raise bad_request(Message("error.change.missing", key=key))
    if not raw.isdigit() or len(raw) != 4:
        raise bad_request(Message("error.change.year", key=key, got=raw))
    return int(raw)


def change_payload(result: changes.Change, catalogue: pd.DataFrame, lang: str) -> dict:
    """The change of a pair of years as the page draws it: features, classes, legend, summary."""
    cat = catalogue.set_index("id")
    info = cat.loc[result.indicator]
    unit = str(info.get("unit") or "")
    digits = SHOWN_DIGITS.get(unit, 2)
    table = result.table
    values = table["change"].tolist()
    breaks = changes.diverging_breaks(values)
    classes = classify.classify(values, "user_defined", breaks=breaks)
    palette = CHANGE_PALETTE.get(str(info.get("polarity")), CHANGE_PALETTE["neutral"])
    colors = classes.color_of(palette)
    legend = classes.legend(palette, lang)
    shown_unit = unit_label("pp" if unit == "%" else unit, lang)
    features = []
    for i, row in enumerate(table.itertuples(index=False)):
        features.append(
            {
                "id": str(row.gso_code),
                "from": None if pd.isna(row.value_from) else float(row.value_from),
                "to": None if pd.isna(row.value_to) else float(row.value_to),
                "change": None if pd.isna(row.change) else round(float(row.change), 6),
                "color": colors[i],
                "synthetic": bool(row.synthetic),
            }
        )
    rounded = table["change"].dropna().round(digits)
    s = strings(lang)
    return {
        "indicator": result.indicator,
        "name": str(info.get("name_vi" if lang == "vi" else "name_en") or result.indicator),
        "unit": unit_label(unit, lang),
        "change_unit": shown_unit,
        "digits": digits,
        "level": result.level,
        "from": result.year_from,
        "to": result.year_to,
        "standard": poverty_standards.long(result.standard, lang) if result.standard else "",
        "synthetic": bool(table["synthetic"].any()),
        "palette": palette,
        "legend": legend,
        "no_data": {"label": s["no_pair"], "count": classes.n_missing} if classes.n_missing else None,
        "summary": {
            "down": int((rounded < 0).sum()),
            "up": int((rounded > 0).sum()),
            "same": int((rounded == 0).sum()),
        },
        "features": features,
    }


def _standards_refusal(exc: changes.ChangeError, lang: str, name: str) -> Message:
    """The refusal of a pair across standards: the indicator by its ``name``, its standards
    worded in ``lang``."""
    params = dict(getattr(exc.args[0], "params", {}), indicator=name)
    for key, std in zip(("standard_from", "standard_to"), exc.standards or ()):
        params[key] = poverty_standards.long(std, lang) if std else "–"
    return Message("error.change.standards", **params)


@bp.get("/workbench/change.json")
def change_json():
    for name in request.args:
        if name not in CHANGE_PARAMS:
            raise bad_request(Message("error.targets.unknown_param", key=name, expected=", ".join(CHANGE_PARAMS)))
    lang = i18n.asked_lang() or i18n.default_lang()
    if lang not in LANGS:
        raise bad_request(Message("error.unknown_lang", got=lang, expected=", ".join(LANGS)))
    backend = _backend()
    obs = backend.read_layer("observations")
    catalogue = backend.read_layer("catalogue")
    level = request.args.get("level") or "commune"
    if level not in targeting.LEVELS:
        raise bad_request(
            Message("error.targets.unknown_choice", key="level", got=level, expected=", ".join(targeting.LEVELS))
        )
    indicator = request.args.get("indicator") or "poor_rate"
    allowed = comparable(obs, catalogue, level)
    if indicator not in allowed:
        raise bad_request(
            Message("error.targets.unknown_choice", key="indicator", got=indicator, expected=", ".join(allowed))
        )
    year_from, year_to = _change_year("from"), _change_year("to")
    try:
        result = changes.change(obs, indicator, level, year_from, year_to)
    except changes.ChangeError as exc:
        if exc.standards and exc.args and getattr(exc.args[0], "id", "") == "error.change.standards":
            lang = i18n.error_lang()
            row = catalogue.set_index("id").loc[indicator]
            name = str(row.get("name_vi" if lang == "vi" else "name_en") or indicator)
            raise bad_request(_standards_refusal(exc, lang, name)) from None
        raise bad_request(exc) from None
    return change_payload(result, catalogue, lang)
