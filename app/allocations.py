"""Capital allocation: ``POST /allocations`` divides an envelope among units by a rule.

JSON body (at most :data:`MAX_BODY_BYTES`)::

    {"rule": "tmr_kp_2020_minh_hoa" | {…a whole rule object, as in rules/*.toml…},
     "envelope": 40744, "year": 2020, "level": "commune_2020", "lang": "vi", "f": "json"}

``rule`` is the id of a file in ``rules/`` or an edited rule (the same fields
as the TOML file, checked by :func:`geo.allocation.rules.parse_rule`; the
answer then says ``"custom": true``); ``envelope`` in million VND; ``level``
optional (the rule's first); ``f`` (body or query string): ``json``
(default: ``{"totals", "units"}``), ``geojson`` (a FeatureCollection, one
feature per unit, ``totals`` at the top), ``csv`` or ``xlsx`` (the report
annex of :mod:`geo.io.annex` first, then the plain data).  Each unit row has
``eligible`` and ``reason``, each criterion's ``_value``, ``_year``,
``_standard``, ``_status`` and ``_points``, ``score``, ``amount`` and
``amount_per_poor_household``; the totals say what share went to units
valued with synthetic data.  A bad body or rule is a 400 naming the field.
"""

from __future__ import annotations

import json
import math
import re
import tomllib

import geopandas as gpd
import pandas as pd
from flask import Blueprint, Response, request

from geo.allocation import data as alloc_data
from geo.allocation import engine, equity
from geo.allocation.rules import LEVELS, Rule, RuleError, list_rules, load_rule, parse_rule, rule_path
from geo.backends.base import BackendError
from geo.indicators import standards as stds
from geo.io import annex, export
from geo.messages import Message

from . import context as app_context
from . import i18n
from .errors import ApiError, bad_request, cause, unavailable

bp = Blueprint("allocations", __name__)

MAX_BODY_BYTES = 64 * 1024
FORMATS = ("json", "geojson", "csv", "xlsx")
LANGS = ("vi", "en")
FIELDS = ("rule", "envelope", "year", "level", "lang", "f")
MAX_ENVELOPE = 10**9  # million VND: a billion million (10^15 VND), far above any programme
_RULE_ID = re.compile(r"[a-z0-9_]{1,80}")


def _body() -> dict:
    """The JSON object of the request, bounded in size; 400 otherwise."""
    if request.content_length is not None and request.content_length > MAX_BODY_BYTES:
        raise ApiError(Message("error.alloc.body_too_large", max=MAX_BODY_BYTES), 413, "PayloadTooLarge")
    raw = request.get_data(cache=True)
    if len(raw) > MAX_BODY_BYTES:
        raise ApiError(Message("error.alloc.body_too_large", max=MAX_BODY_BYTES), 413, "PayloadTooLarge")
    if not raw.strip():
        raise bad_request(Message("error.alloc.body_object"))
    try:
        body = json.loads(raw)
    except (ValueError, RecursionError) as exc:
        raise bad_request(Message("error.alloc.body_json", detail=str(exc)[:200])) from None
    if not isinstance(body, dict):
        raise bad_request(Message("error.alloc.body_object"))
    unknown = [k for k in body if k not in FIELDS]
    if unknown:
        raise bad_request(Message("error.alloc.unknown_field", got=unknown[0], expected=", ".join(FIELDS)))
    for key in ("rule", "envelope", "year"):
        if key not in body:
            raise bad_request(Message("error.alloc.missing", key=key))
    return body


def _choice(body: dict, key: str, choices: tuple[str, ...], default: str) -> str:
    """``key`` from the body or the query string (not both), one of ``choices``."""
    if key in body and key in request.args:
        raise bad_request(Message("error.alloc.both_places", key=key))
    value = body.get(key, request.args.get(key))
    if value is None or value == "":
        return default
    if not isinstance(value, str) or value.lower() not in choices:
        raise bad_request(Message("error.alloc.choice", key=key, choices=", ".join(choices), got=value))
    return value.lower()


def _envelope(value) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise bad_request(Message("error.alloc.envelope_number", got=value))
    if not math.isfinite(value) or value <= 0 or value > MAX_ENVELOPE:
        raise bad_request(Message("error.alloc.envelope_range", max=MAX_ENVELOPE, got=value))
    return float(value)


def _year(value) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 1900 <= value <= 2100:
        raise bad_request(Message("error.alloc.year_whole", got=value))
    return value


def _level(value) -> str | None:
    if value is None or value == "":
        return None
    if not isinstance(value, str) or value not in LEVELS:
        raise bad_request(Message("error.alloc.level", choices=", ".join(LEVELS), got=value))
    return value


def _rule(value) -> tuple[Rule, bool]:
    """The rule and whether it is an edited one (``custom``)."""
    rules_dir = None  # rules/ of the repository (geo.allocation.rules.RULES_DIR)
    if isinstance(value, str):
        if not _RULE_ID.fullmatch(value):
            raise bad_request(Message("error.alloc.rule_id", got=value))
        try:
            return load_rule(value, rules_dir), False
        except RuleError as exc:
            raise bad_request(Message("error.alloc.rule_error", reason=cause(exc))) from None
    if not isinstance(value, dict):
        raise bad_request(Message("error.alloc.rule_type", got=type(value).__name__))
    try:
        rule = parse_rule(value, "rule")
    except RuleError as exc:
        raise bad_request(exc) from None
    return rule, _edited(rule, rules_dir)


def _edited(rule: Rule, rules_dir) -> bool:
    """True unless the object is exactly the stored rule of the same id."""
    try:
        stored = load_rule(rule.id, rules_dir) if _RULE_ID.fullmatch(rule.id) else None
    except RuleError:
        return True
    if stored is None:
        return True
    return stored.__class__(**{**stored.__dict__, "path": ""}) != rule.__class__(**{**rule.__dict__, "path": ""})


def _tables() -> alloc_data.Tables:
    """The units, observations and catalogue from the app's backend (GeoPackage or PostGIS)."""
    try:
        backend = app_context.backend()
        return alloc_data.Tables(
            *(backend.read_layer(n) for n in ("communes", "districts", "observations", "catalogue", "communes_2025"))
        )
    except BackendError as exc:
        raise unavailable(exc) from None


def _labels(rule: Rule, catalogue: pd.DataFrame) -> dict[str, dict]:
    """Annex labels: the catalogue's, and each criterion's value and points by its own label."""
    labels = annex.labels_from_catalogue(catalogue)
    for crit in rule.criteria:
        entry = labels.get(crit.indicator or "", {})
        labels[f"{crit.id}_value"] = {
            "name_vi": crit.label_vi or entry.get("name_vi") or crit.id,
            "name_en": crit.label_en or entry.get("name_en") or crit.id,
            "unit": entry.get("unit") or "",
            "kind": "rate",  # criterion values are shown, never added up
        }
        labels[f"{crit.id}_points"] = {
            "name_vi": f"Điểm: {crit.label_vi or crit.id}",
            "name_en": f"Points: {crit.label_en or crit.id}",
            "unit": "",
            "kind": "score",
        }
    for col in ("synthetic_criteria", "synthetic_per_household"):
        labels[col] = {
            "name_vi": i18n.text(f"alloc.annex.col_{col}", "vi"),
            "name_en": i18n.text(f"alloc.annex.col_{col}", "en"),
            "unit": "",
            "kind": "flag",
        }
    return labels


def _number(x: float) -> str:
    return f"{int(x):,}".replace(",", ".")


def _share(x: float, lang: str) -> str:
    """``0.25`` → ``25,0%`` (vi) or ``25.0%`` (en)."""
    text = f"{x:.1%}"
    return text.replace(".", ",") if lang == "vi" else text


def _title_lines(totals: dict, lang: str) -> list[str]:
    """The annex's title block: the rule and its status, the legal basis, the envelope, what is synthetic."""

    def t(key: str, **params) -> str:
        return i18n.text(f"alloc.annex.{key}", lang, **params)

    status = t("custom") if totals.get("custom") else t("illustrative" if totals["illustrative"] else "official")
    src = totals["source"]
    return [
        t("rule", name=totals["name_en" if lang == "en" else "name_vi"], status=status),
        t("legal", document=src["document"], article=src["article"], date=src["date"]),
        t(
            "envelope",
            envelope=_number(totals["envelope"]),
            allocated=_number(totals["allocated"]),
            eligible=totals["eligible"],
            units=totals["units"],
        ),
        t("synthetic", share=_share(totals["synthetic_share"], lang), n=totals["synthetic_units"]),
        t(
            "synthetic_split",
            criteria=_share(totals["synthetic_criteria_share"], lang),
            denominator=_share(totals["synthetic_per_household_share"], lang),
        ),
    ]


def _annex_table(result: pd.DataFrame, lang: str) -> pd.DataFrame:
    """The result as the annex shows it: the reason in ``lang`` (one column)."""
    out = result.copy()
    out.attrs = result.attrs
    if lang == "en" and "reason_en" in out.columns:
        out["reason"] = out["reason_en"]
    return out.drop(columns=["reason_en"], errors="ignore")


def _frame(result: pd.DataFrame) -> gpd.GeoDataFrame:
    """The result as a GeoDataFrame (WGS84); nullable ints as plain objects for the writers."""
    table = result.drop(columns=["geometry"], errors="ignore")
    geoms = list(result["geometry"]) if "geometry" in result.columns else [None] * len(result)
    return gpd.GeoDataFrame(table, geometry=geoms, crs=4326)


@bp.post("/allocations")
def allocations():
    """Allocate ``envelope`` by ``rule`` (see the module docstring)."""
    body = _body()
    fmt = _choice(body, "f", FORMATS, "json")
    lang = _choice(body, "lang", LANGS, app_context.settings().lang)
    rule, custom = _rule(body["rule"])
    envelope, year, level = _envelope(body["envelope"]), _year(body["year"]), _level(body.get("level"))
    tables = _tables()
    try:
        frame = alloc_data.unit_frame(rule, year, level, tables=tables)
        result = engine.allocate(frame, rule, envelope)
    except RuleError as exc:
        raise bad_request(exc) from None  # in the request's language where the error carries a Message
    totals = {**result.attrs, "custom": custom}
    fair = equity.equity(alloc_data.equity_frame(frame, result, rule, tables))
    if fmt == "json":
        units = json.loads(export.feature_collection_text(_frame(result), {}, None))["features"]
        return _json({"totals": totals, "equity": fair, "units": [f["properties"] for f in units]})
    gdf = _frame(result if fmt == "geojson" else _annex_table(result, lang))
    name = f"kontum allocation {rule.id}{' custom' if custom else ''} {year} {int(envelope)} million VND"
    sources = [f"{rule.source.document}; {rule.source.article}; {rule.source.date}"]
    if fmt == "geojson":
        prov = export.provenance(gdf, {"sources": sources}, title=name)
        text = export.feature_collection_text(gdf, {"totals": totals, "equity": fair, "metadata": prov})
        return Response(text, mimetype="application/geo+json")
    meta = {"sources": sources, "totals": totals, "synthetic": totals["synthetic_units"] > 0}
    options = {
        "labels": _labels(rule, tables.catalogue),
        "lang": lang,
        "level": totals.get("level"),
        "lines": _title_lines(totals, lang),
    }
    try:
        data, mimetype, filename = export.export(gdf, fmt, name, metadata=meta, geometry="none", annex=options)
    except ValueError as exc:
        raise bad_request(exc) from None
    resp = Response(data, content_type=mimetype)
    resp.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    return resp


@bp.get("/allocations/rules")
def allocation_rules():
    """The shipped rules, each as its file's table (what ``POST /allocations`` takes as an edited rule).

    With each: ``years`` (the period as a list), ``illustrative`` and the
    file it was read from, so the page can show the name, the legal source or
    the "minh họa" flag, and offer the rule's own years and levels.
    """
    out = []
    for rule_id in list_rules(None):
        try:
            rule = load_rule(rule_id, None)
        except RuleError as exc:  # a broken file is named, never hidden
            raise ApiError(
                Message("error.alloc.rule_broken", rule=rule_id, reason=cause(exc)), 503, "ServiceUnavailable"
            ) from None
        table = tomllib.loads(rule_path(rule_id, None).read_text(encoding="utf-8"))
        lo, hi = rule.years
        out.append(
            {
                "id": rule.id,
                "rule": table,
                "years": list(range(lo, hi + 1)),
                "illustrative": rule.illustrative,
                "file": f"rules/{rule_id}.toml",
            }
        )
    lang = _choice({}, "lang", LANGS, app_context.settings().lang)
    labels = {std.label: stds.short(std.label, lang) for std in stds.STANDARDS}
    return _json({"rules": out, "standards": labels})


def _json(doc: dict) -> Response:
    return Response(json.dumps(doc, ensure_ascii=False, allow_nan=False, default=_plain), mimetype="application/json")


def _plain(value):
    """numpy scalars and NA in the totals as JSON values."""
    if hasattr(value, "item"):
        return value.item()
    return None
