"""The web map: the Folium page at ``/`` and the layer data it draws.

Endpoints
---------
``GET /``                                   the map (``?lang=vi|en``)
``GET /layers``                             the layer list (JSON)
``GET /layers/<id>.geojson``                one layer as a GeoJSON FeatureCollection with
                                            a ``layer`` member: title, classes, legend,
                                            "no data" count, synthetic mark, sources …
                                            ``?year=`` ``?lang=`` ``?scheme=`` (choropleths:
                                            quantiles | fisher_jenks | equal_interval |
                                            user_defined) ``?k=`` (classes, 2–9)
                                            ``?breaks=`` (the planner's own ascending upper
                                            bounds, e.g. ``10,20,40``: user_defined)
                                            ``?geometry=none`` (properties only; the page
                                            joins them to the shared geometry)
``GET /layers/geometry/<source>.geojson``   display geometry of ``communes`` / ``districts``
                                            (simplified once, shared by every polygon layer)
``GET /layers/series.json``                 poor / near-poor rates per level, unit and poverty
                                            standard, every year with a value (the popup
                                            chart: one line per standard, never joined)

The layer files (``layers/*.toml``, or the ``layers_dir`` setting, ``GEO_LAYERS_DIR``) are loaded and
validated when the blueprint is registered, so :func:`app.create_app`
fails at once, with the file name and the problem, on a bad layer file.
Every layer comes from the app's backend (:func:`app.context.backend`: the GeoPackage or
PostGIS); payloads are cached per data version (``backend.version()``).

Folium renders the page (map, basemaps, scale, fullscreen, drawing, layer
control) with every Leaflet asset served from ``/static/vendor``; the
controls Folium lacks (year, search, district zoom, legends, language,
targeting panel) are ``static/map/kontum-map.js`` and ``kontum-map.css``.
"""

from __future__ import annotations

import functools
import json
import math
import re
from typing import TYPE_CHECKING
from urllib.parse import quote, urlencode

import geopandas as gpd
import shapely
from flask import Blueprint, Response, current_app, render_template, request, url_for
from markupsafe import escape
from shapely.geometry import box

from geo import cache, lazy
from geo.analysis import classify
from geo.backends.base import Backend, BackendError
from geo.indicators import standards as poverty_standards
from geo.indicators import values as indicators
from geo.maplayers import layerspec, topology
from geo.messages import Message as M
from geo.ogc import tiles as ogc_tiles

from . import context as app_context
from . import http_cache, i18n, warmstart, workbench
from .errors import bad_request, not_found, unavailable

if TYPE_CHECKING:
    import branca.element as branca_element
    import folium
    import folium.plugins as folium_plugins
else:  # Folium compiles ~85 templates when imported (~1 s of every start): only when a
    # page is rendered, never at a start that finds the pages kept (geo/lazy.py)
    folium = lazy.module("folium")
    folium_plugins = lazy.module("folium.plugins")
    branca_element = lazy.module("branca.element")

bp = Blueprint("map_page", __name__, template_folder="templates")

LANGS = ("vi", "en")
ANALYSIS_YEARS = (2015, 2016, 2017, 2018, 2019, 2020)
SERIES_INDICATORS = ("poor_rate", "near_poor_rate")
#: The synthetic mark, the same in both languages (a house rule: "dữ liệu minh họa / demo data").
DEMO_LABEL = i18n.section("page", "vi")["demo_mark"]
VENDOR = "vendor"

# Local copies of the Leaflet assets (see app/static/vendor/README.md).
LEAFLET_JS = [("leaflet", f"{VENDOR}/leaflet-1.9.4/leaflet.js")]
LEAFLET_CSS = [("leaflet_css", f"{VENDOR}/leaflet-1.9.4/leaflet.css")]
PLUGIN_ASSETS = {
    "fullscreen": (
        [("Control.Fullscreen.js", f"{VENDOR}/leaflet.fullscreen-3.0.0/Control.FullScreen.js")],
        [("Control.FullScreen.css", f"{VENDOR}/leaflet.fullscreen-3.0.0/Control.FullScreen.css")],
    ),
    "draw": (
        [("leaflet_draw_js", f"{VENDOR}/leaflet-draw-1.0.4/leaflet.draw.js")],
        [("leaflet_draw_css", f"{VENDOR}/leaflet-draw-1.0.4/leaflet.draw.css")],
    ),
    "vectorgrid": ([("leaflet_vectorgrid_js", f"{VENDOR}/leaflet.vectorgrid-1.3.0/Leaflet.VectorGrid.bundled.js")], []),
    "markercluster": (
        [("markerclusterjs", f"{VENDOR}/leaflet.markercluster-1.5.3/leaflet.markercluster.js")],
        [
            ("markerclustercss", f"{VENDOR}/leaflet.markercluster-1.5.3/MarkerCluster.css"),
            ("markerclusterdefaultcss", f"{VENDOR}/leaflet.markercluster-1.5.3/MarkerCluster.Default.css"),
        ],
    ),
}

#: The page's own scripts and stylesheets, after Leaflet's (kontum-map.js first: the others use it).
OWN_JS = (
    f"{VENDOR}/topojson-client-3.1.0/topojson-client.min.js",
    "map/kontum-map.js",
    "map/kontum-workbench.js",
    "map/kontum-allocation.js",
    "map/kontum-compare.js",
)
OWN_CSS = ("map/kontum-map.css", "map/kontum-workbench.css", "map/kontum-allocation.css")


def page_assets(tiled: bool = False) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """The page's scripts and stylesheets (static files) in the order the page loads them:
    Leaflet, its plugins, then the page's own (the tiled national page adds VectorGrid).

    >>> js, css = page_assets()
    >>> js[0], js[-1], css[0], len(js), len(css)
    ('vendor/leaflet-1.9.4/leaflet.js', 'map/kontum-compare.js', 'vendor/leaflet-1.9.4/leaflet.css', 9, 8)
    >>> [f for f in page_assets(tiled=True)[0] if f not in js]
    ['vendor/leaflet.vectorgrid-1.3.0/Leaflet.VectorGrid.bundled.js']
    """
    plugins = ["fullscreen", "draw", "markercluster"] + (["vectorgrid"] if tiled else [])
    js = [u for _, u in LEAFLET_JS] + [u for p in plugins for _, u in PLUGIN_ASSETS[p][0]] + list(OWN_JS)
    css = [u for _, u in LEAFLET_CSS] + [u for p in plugins for _, u in PLUGIN_ASSETS[p][1]] + list(OWN_CSS)
    return tuple(js), tuple(css)


#: The page's bundles (served joined by app/http_cache.py, one request each instead of ~17:
#: a browser opens at most six connections to a server over HTTP/1.1, and every further
#: request waits for one of them — on a 4G link 0.3 s of the opening went to that queue).
BUNDLES = {
    "map.js": page_assets()[0],
    "map-tiled.js": page_assets(tiled=True)[0],
    "map.css": page_assets()[1],
}


# ------------------------------------------------------------------- wording
# Every text is in the one catalogue, geo/messages.toml (app/i18n.py reads it): page.*, field.*
# (popup fields from source columns), unit.*, status.*, quality.*, precision.*, kind.*, country.*.


def _t(lang: str, key: str, **params) -> str:
    """The catalogue's ``page.<key>`` in ``lang``."""
    return i18n.text(f"page.{key}", lang, **params)


def _label(prefix: str, key, lang: str, default=None) -> str:
    """``<prefix>.<key>`` of the catalogue in ``lang``; ``default`` (else the key) when there is none."""
    table = i18n.section(prefix, lang)
    return table.get(str(key), str(key) if default is None else default)


# ------------------------------------------------------------- registration


@bp.record_once
def _load_layers(state) -> None:
    """Load and validate the layer files when the app is created (fail fast)."""
    app = state.app
    directory = app_context.settings_of(app).layers_dir
    specs = layerspec.load_layers(directory)
    app.extensions["map_layers"] = specs
    app.extensions[http_cache.BUNDLES_KEY] = {**app.extensions.get(http_cache.BUNDLES_KEY, {}), **BUNDLES}
    # This app's part of the keys in MAP and of the ETags: what its payloads depend on
    # besides the data (code, libraries, settings, layer files), the same in every process
    # that serves them alike — so a restart keeps the browsers' copies (304) and the
    # payloads a warm start restores (app/warmstart.py) are found.
    app.extensions["map_cache"] = warmstart.stamp(app)[:32]


def _specs() -> list[layerspec.LayerSpec]:
    return current_app.extensions["map_layers"]


def _spec(layer_id: str) -> layerspec.LayerSpec:
    for s in _specs():
        if s.id == layer_id:
            return s
    raise not_found(M("error.map.unknown_layer", got=layer_id, layers=", ".join(s.id for s in _specs())))


# ---------------------------------------------------------------- parameters


def _lang() -> str:
    lang = request.args.get("lang") or current_app.config.get("DEFAULT_LANG") or "vi"
    if lang not in LANGS:
        raise bad_request(M("error.unknown_lang", got=lang, expected=", ".join(LANGS)))
    return lang


def _year() -> int | None:
    raw = request.args.get("year")
    if raw in (None, ""):
        return None
    try:
        return int(raw)
    except ValueError:
        raise bad_request(M("error.map.year_integer", got=raw)) from None


def _source() -> tuple[Backend, cache.Version]:
    """The app's backend (:func:`app.context.backend`), every layer the map draws comes from,
    and the version of its data (asked once a request); a clear 503 when it has no data (not
    built, database unreachable or empty)."""
    try:
        data = app_context.backend()
        return data, cache.version_of(data)
    except BackendError as exc:
        raise unavailable(exc) from None


def _gpkg() -> Backend:
    """The app's backend, with a clear 503 when it has no data (see :func:`_source`)."""
    return _source()[0]


# --------------------------------------------------------------------- cache

_CACHE_MAX = 512
#: Bytes of serialised payloads kept (least recently used out first): the
#: warm-up's payloads (national scale: ~13 MB) stay, and the variants planners ask
#: for (their own classes) cannot grow a worker without bound.  One budget for
#: the apps of a process (production runs one app per process).
CACHE_BYTES = 64 * 1024 * 1024
#: The payloads (:mod:`geo.cache`), and the display geometry they are made from.
MAP = cache.partition("map", max_bytes=CACHE_BYTES, max_entries=_CACHE_MAX)
MAP_GEOMETRY = cache.partition("map_geometry", max_bytes=256 * 1024 * 1024)


def _cached(key: tuple, make):
    """``make(backend)`` once per key and data version (:meth:`Backend.version`), per app.

    The key holds the app's token (``app.extensions["map_cache"]``), so two
    apps with different layer folders never share payloads.  Payloads count
    against :data:`MAP`'s budget, display geometry against :data:`MAP_GEOMETRY`.
    """
    backend, version = _source()
    part = MAP_GEOMETRY if key[0] == "display" else MAP
    return part.get_or_make(version, (current_app.extensions["map_cache"],) + key, lambda: make(backend))


def _json_response(payload: bytes, mimetype: str = "application/json") -> Response:
    resp = Response(payload, mimetype=mimetype)
    resp.headers["Cache-Control"] = "no-cache"
    return resp


def _dumps(obj) -> bytes:
    """Compact JSON as UTF-8 (cached payloads are kept as bytes: half the memory of
    a ``str`` holding Vietnamese text)."""
    return json.dumps(obj, ensure_ascii=False, separators=(",", ":"), allow_nan=False).encode("utf-8")


# ---------------------------------------------------------------- formatting


def _isna(v) -> bool:
    if v is None:
        return True
    try:
        return bool(isinstance(v, float) and math.isnan(v))
    except TypeError:
        return False


def _digits(unit: str | None, value: float) -> int:
    if unit in ("households", "persons", "criteria", "count", "million VND", "flag"):
        return 0
    if unit == "persons/km²":
        return 0 if abs(value) >= 10 else 1
    if unit in ("km", "km²"):
        return 1 if abs(value) < 1000 else 0
    return 1


def format_value(value, unit: str | None, lang: str, qualifier: str | None = None) -> str:
    """A value for people: "12,3%", "4.877 hộ", "Có" — qualifiers kept (">58%")."""
    if _isna(value):
        return ""
    if unit == "flag":
        return _t(lang, "yes") if float(value) else _t(lang, "no")
    bound = qualifier in (">", "<")
    text = classify.format_number(float(value), lang, None if bound else _digits(unit, float(value)))
    label = "" if unit in (None, "", "count") else _label("unit", unit, lang)
    if label == "%":
        text += "%"
    elif label:
        text += " " + label
    if qualifier and qualifier not in ("=",):
        text = qualifier + text if qualifier in (">", "<") else "~" + text
    return text


def _plain(v, lang: str, field: str = ""):
    """A source column's value for a popup (numbers formatted, bools as Có/Không)."""
    if _isna(v):
        return ""
    if field == "year":
        return str(int(v))
    if isinstance(v, bool) or str(type(v).__name__) == "bool_":
        return _t(lang, "yes") if v else _t(lang, "no")
    if isinstance(v, (int, float)) or type(v).__module__ == "numpy":
        f = float(v)
        return classify.format_number(f, lang, 0 if f.is_integer() else (2 if abs(f) < 10 else 1))
    return str(v)


class _Refs:
    """Long strings (sources, standards) listed once per layer, referenced by index."""

    def __init__(self):
        self.items: list[str] = []
        self._index: dict[str, int] = {}

    def __call__(self, text) -> int | None:
        if _isna(text) or text == "":
            return None
        text = str(text)
        if text not in self._index:
            self._index[text] = len(self.items)
            self.items.append(text)
        return self._index[text]


# ------------------------------------------------------------- layer payload


def _catalogue(path) -> dict[str, dict]:
    cat = layerspec.read_source("catalogue", path)
    return {str(r["id"]): {k: (None if _isna(v) else v) for k, v in r.items()} for _, r in cat.iterrows()}


def _indicator_name(cat: dict, ind: str, lang: str) -> str:
    row = cat.get(ind, {})
    return str(row.get("name_en" if lang == "en" else "name_vi") or ind)


def _field_label(field: str, lang: str, cat: dict, source: str) -> str:
    """Label of a popup field: a column of the source, else a catalogue indicator."""
    labels = i18n.section("field", lang)
    if field in layerspec.SOURCE_FIELDS.get(source, ()) and field in labels:
        return labels[field]
    if field in cat:
        return _indicator_name(cat, field, lang)
    return labels.get(field, field)


def _standard(text: str, lang: str) -> str:
    """A poverty standard as people read it, with its legal basis ("Đa chiều 2016–2020
    (QĐ 59/2015/QĐ-TTg)", "Multidimensional 2016–2020 (…)"); an unknown one as worded."""
    return poverty_standards.long(text, lang)


def _standard_short(text: str, lang: str) -> str:
    """The short label of a poverty standard ("Thu nhập 2011–2015" / "Income 2011–2015")."""
    return poverty_standards.short(text, lang)


def _missing_text(year, lang: str) -> str:
    """What a popup field without a value of the layer's year and standard says."""
    if year is None:
        return _t(lang, "no_data")
    return _t(lang, "no_value_year", year=year)


def _drop_none(d: dict) -> dict:
    return {k: v for k, v in d.items() if v is not None}


def _period(period, year) -> str | None:
    """The period as worded in the source, when it says more than the year."""
    if _isna(period) or not period:
        return None
    return None if year is not None and str(period) == str(year) else str(period)


def _fmt_note(text: str, n: int) -> str:
    return text.replace("{n}", str(n))


def layer_payload(
    spec: layerspec.LayerSpec,
    year: int | None,
    lang: str,
    scheme: str | None,
    with_geometry: bool,
    path,
    k: int | None = None,
    breaks: tuple[float, ...] | None = None,
) -> dict:
    """The GeoJSON FeatureCollection of one layer, with its ``layer`` metadata.

    ``k`` and ``breaks`` (choropleths) replace the layer file's number of classes
    and user-defined breaks.
    """
    cat = _catalogue(path)
    try:
        frame = layerspec.layer_frame(spec, year, path)
    except layerspec.LayerDataError as exc:
        raise bad_request(exc) from None
    year = layerspec.check_year(spec, year)
    sources, standards = _Refs(), _Refs()
    key = layerspec.ID_COLUMN[spec.source]
    n = len(frame)
    info = cat.get(spec.indicator, {}) if spec.indicator else {}
    unit = info.get("unit")

    colors: list[str | None] = [None] * n
    classes_out = None
    legend: list[dict] = []
    no_data = None
    bins = [None] * n
    if spec.kind == "choropleth":
        cls = spec.classification
        own_breaks = list(breaks) if breaks else cls.breaks
        chosen = scheme or ("user_defined" if breaks else cls.scheme)
        if chosen not in classify.SCHEMES:
            raise bad_request(M("error.map.unknown_scheme", got=chosen, expected=", ".join(classify.SCHEMES)))
        if chosen == "user_defined" and not own_breaks:
            raise bad_request(M("error.map.no_user_breaks", layer=spec.id))
        reference = None
        if cls.across_years and len(spec.years) > 1 and spec.indicator:
            obs = layerspec.read_source("observations", path)
            reference = []
            for y in spec.years:
                reference += indicators.values(obs, spec.indicator, spec.level, y)["value"].tolist()
        try:
            classes = classify.classify(frame["value"].tolist(), chosen, k or cls.k, own_breaks, reference)
        except classify.ClassifyError as exc:
            raise bad_request(exc) from None
        colors = classes.color_of(spec.palette)
        bins = [int(b) if b >= 0 else None for b in classes.bins]
        legend = classes.legend(spec.palette, lang)
        for e in legend:
            e["label"] = e["label"] + ("%" if unit == "%" else "")
        schemes = ["quantiles", "fisher_jenks", "equal_interval"] + (["user_defined"] if own_breaks else [])
        classes_out = {
            "scheme": chosen,
            "default_scheme": cls.scheme,
            "schemes": schemes,
            "k": classes.k,
            "default_k": cls.k,
            "default_breaks": cls.breaks,
            "requested_k": classes.requested_k,
            "breaks": classes.breaks,
            "lower": None if _isna(classes.lower) else classes.lower,
            "across_years": bool(reference is not None),
            "palette": spec.palette,
            "notes": classes.notes,
        }
        if classes.n_missing:
            no_data = {"label": _t(lang, "no_data"), "count": classes.n_missing}
    elif spec.kind == "categorical":
        by_value = {c.value: c for c in spec.categories}
        first = spec.categories[0].value
        n_first = int((frame["category"] == first).sum())
        colors = [by_value[c].color if c in by_value else None for c in frame["category"]]
        for c in spec.categories:
            legend.append(
                {
                    "value": c.value,
                    "color": c.color,
                    "label": _fmt_note(c.label(lang), n_first),
                    "count": int((frame["category"] == c.value).sum()),
                }
            )
        n_none = int(frame["category"].isna().sum())
        if n_none and spec.display == "fill":
            no_data = {"label": _t(lang, "no_data"), "count": n_none}
    elif spec.kind == "points":
        legend.append({"color": spec.color or "#333333", "label": spec.title(lang), "count": n, "symbol": "point"})
    else:
        legend.append(
            {
                "color": spec.color or "#333333",
                "label": spec.title(lang),
                "count": n,
                "symbol": "line",
                "dash": spec.dash,
                "weight": spec.weight,
            }
        )

    # context columns for points
    if spec.source == "works":
        communes = layerspec.read_source("communes", path).set_index("gso_code")
        districts = layerspec.read_source("districts", path).set_index("gso_code")

    geoms = None
    if with_geometry or spec.source == "roads":
        disp = _display(spec.source, path).set_index(key).geometry
        geoms = [disp.get(code) for code in frame[key]]
    if spec.source == "roads":
        # roads far outside Kon Tum are cut off by the display clip: not part of the layer
        inside = [g is not None for g in geoms]
        frame = frame[inside].reset_index(drop=True)
        geoms = [g for g in geoms if g is not None] if with_geometry else None
        n = len(frame)
        if legend:
            legend[0]["count"] = n

    features = []
    statuses: dict[str, int] = {}
    popup_synthetic = False
    for i, row in enumerate(frame.itertuples(index=False)):
        r = row._asdict()
        props: dict = {}
        # Without geometry the page takes names from the shared geometry payload.
        if spec.source == "communes" and with_geometry:
            props.update(
                gso_code=r["gso_code"],
                name=r["name"],
                district_name=r["district_name"],
                quality_flag=r["quality_flag"],
                **_unit_2025(r),
            )
        elif spec.source in ("districts", "communes_2025") and with_geometry:
            props.update(gso_code=r["gso_code"], name=r["name"])
        elif spec.source == "works":
            code = r.get("gso_code") or ""
            dcode = r.get("district_code") or (communes.at[code, "district_code"] if code in communes.index else "")
            props.update(
                work_id=r["work_id"],
                kind=r["kind"],
                kind_label=_label("kind", r["kind"], lang),
                name=(r["name_en"] if lang == "en" and r.get("name_en") else r["name_vi"]),
                gso_code=code or None,
                commune=communes.at[code, "name"] if code in communes.index else None,
                district_name=districts.at[dcode, "name"] if dcode in districts.index else None,
                location_precision=r["location_precision"],
                location=_label("precision", r["location_precision"], lang),
                description=r.get("description_vi") or None,
            )
        elif spec.source == "roads":
            name = r["name"] if r["name"] and r["name"] != "Không biết" else _t(lang, "unnamed_road")
            props.update(road_id=r["road_id"], name=name)
        elif spec.source == "border":
            props.update(country=r["country"], country_name=_label("country", r["country"], lang))
        if spec.label_field:
            lf = spec.label_field
            if lang == "en" and lf.endswith("_vi") and lf[:-3] + "_en" in r:
                lf = lf[:-3] + "_en"
            label = props.get("name") if spec.source == "roads" else _plain(r[lf], lang)
            if spec.source == "districts":
                label = label.replace("Huyện ", "", 1)
            props["label"] = label

        status = r.get("status")
        if not _isna(status):
            statuses[str(status)] = statuses.get(str(status), 0) + 1
        if spec.kind in ("choropleth", "categorical"):
            value = r["value"]
            v_unit = r.get("unit") or unit
            if spec.kind == "categorical":
                catv = r["category"]
                props["category"] = None if _isna(catv) else catv
                props["filled"] = True if r.get("filled") else None
                if with_geometry and not _isna(catv):
                    props["label"] = next((e["label"] for e in legend if e["value"] == catv), None)
            else:
                props["value"] = None if _isna(value) else round(float(value), 4)
                props["value_text"] = format_value(value, v_unit, lang, r.get("qualifier"))
                props["class"] = bins[i]
            props["color"] = colors[i]
            props["year"] = None if _isna(r.get("obs_year")) else int(r["obs_year"])
            props["period"] = _period(r.get("period"), props["year"])
        props["status"] = None if _isna(status) else status
        props["src"] = sources(r.get("source"))
        if spec.indicator:
            props["std"] = standards(r.get("standard"))
        if spec.kind == "points":
            props["year"] = None if _isna(r.get("year")) else int(r["year"])

        items = []
        for item in r["popup"]:
            if item.get("missing"):  # no value of the layer's year and standard: say so
                items.append(
                    _drop_none(
                        {
                            "id": item["id"],
                            "text": _missing_text(item.get("year"), lang),
                            "year": item.get("year"),
                            "std": standards(item.get("standard")),
                            "missing": True,
                        }
                    )
                )
            elif "status" in item:
                iu = item.get("unit") or cat.get(item["id"], {}).get("unit")
                items.append(
                    _drop_none(
                        {
                            "id": item["id"],
                            "text": format_value(item["value"], iu, lang),
                            "status": item["status"],
                            "year": item.get("year"),
                            "period": _period(item.get("period"), item.get("year")),
                            "src": sources(item.get("source")),
                            "std": standards(item.get("standard")),
                        }
                    )
                )
                if item["status"] == "synthetic":
                    popup_synthetic = True
            else:
                v = item["value"]
                if item["id"] == "border_countries" and v:
                    v = ", ".join(_label("country", c, lang) for c in str(v).split(";"))
                text = _plain(v, lang, item["id"])
                if text:
                    items.append({"id": item["id"], "text": text})
        if items:
            props["popup"] = items
        rep = []
        for x in r["reported"]:
            rep.append(
                _drop_none(
                    {
                        "text": format_value(x["value"], unit, lang, x["qualifier"]),
                        "year": x["year"],
                        "period": _period(x["period"], x["year"]),
                        "status": x["status"],
                        "src": sources(x["source"]),
                        "std": standards(x["standard"]),
                        "other_standard": True if not x.get("comparable", True) else None,
                        "note": x["note"] or None,
                    }
                )
            )
        if rep:
            props["reported"] = rep
        keep = ("value", "color") if spec.kind in ("choropleth", "categorical") else ()
        props = {k: v for k, v in props.items() if v is not None or k in keep}

        feature = {"type": "Feature", "id": str(r[key]), "properties": props, "geometry": None}
        if geoms is not None and geoms[i] is not None:
            feature["geometry"] = json.loads(shapely.to_geojson(geoms[i]))
        features.append(feature)

    n_syn = statuses.get("synthetic", 0)
    n_first = legend[0]["count"] if spec.kind == "categorical" and legend else int(frame["value"].notna().sum())
    meta = {
        "id": spec.id,
        "kind": spec.kind,
        "display": spec.display,
        "source": spec.source,
        "level": spec.level,
        "title": spec.title(lang),
        "group": spec.group(lang),
        "note": _fmt_note(spec.note(lang), n_first),
        "lang": lang,
        "year": year,
        "years": list(spec.years),
        "indicator": (
            {
                "id": spec.indicator,
                "name": _indicator_name(cat, spec.indicator, lang),
                "unit": unit,
                "polarity": info.get("polarity"),
                "description": info.get("description_en" if lang == "en" else "description_vi"),
            }
            if spec.indicator
            else None
        ),
        "field": spec.field,
        "classification": classes_out,
        "legend": legend,
        "no_data": no_data,
        "count": n,
        "statuses": statuses,
        "synthetic": bool(n_syn or popup_synthetic),
        "n_synthetic": n_syn,
        "demo_label": DEMO_LABEL if (n_syn or popup_synthetic) else None,
        "style": {
            "color": spec.color,
            "weight": spec.weight,
            "dash": spec.dash,
            "fill_opacity": spec.fill_opacity,
            "labels": spec.labels,
        },
        "popup_fields": [{"id": f, "label": _field_label(f, lang, cat, spec.source)} for f in spec.popup_fields],
        "sources": sources.items,
        "standards": [_standard(x, lang) for x in standards.items],
        "standards_short": [_standard_short(x, lang) for x in standards.items],
        "standard": frame.attrs.get("standard"),
    }
    return {"type": "FeatureCollection", "layer": meta, "features": features}


def _display(source: str, path):
    return _cached(("display", source), lambda p: layerspec.display_geometry(source, p))


def _unit_2025(u) -> dict:
    """The 2025 commune a 2020 commune became part of (``name_2025``, ``code_2025``), when known."""
    name, code = u.get("name_2025"), u.get("code_2025")
    return {} if _isna(name) or _isna(code) else {"name_2025": str(name), "code_2025": str(code)}


def _members_2020(path) -> dict[str, str]:
    """2025 commune code → "Phường Quang Trung (23281), …": the 2020 communes it was made of."""
    communes = layerspec.read_source("communes", path)
    if "code_2025" not in communes.columns:
        return {}
    out: dict[str, list[str]] = {}
    for code, name, new in sorted(zip(communes["gso_code"], communes["name"], communes["code_2025"])):
        out.setdefault(str(new), []).append(f"{name} ({code})")
    return {k: ", ".join(v) for k, v in out.items()}


def geometry_payload(source: str, path) -> dict:
    """Display geometry of communes / districts with the names used for search."""
    disp = _display(source, path)
    units = layerspec.read_source(source, path).set_index("gso_code")
    members = _members_2020(path) if source == "communes_2025" else {}
    features = []
    for code, geom in zip(disp["gso_code"], disp.geometry.values):
        u = units.loc[code]
        props = {"gso_code": code, "name": u["name"]}
        if source == "communes":
            props.update(
                district_code=u["district_code"],
                district_name=u["district_name"],
                quality_flag=u["quality_flag"],
                **_unit_2025(u),
            )
        elif source == "communes_2025":
            props["members_2020"] = members.get(code)
        features.append(
            {"type": "Feature", "id": code, "properties": props, "geometry": json.loads(shapely.to_geojson(geom))}
        )
    return {"type": "FeatureCollection", "features": features}


def topology_payload(path) -> dict:
    """The display geometry of every polygon level, with the same properties and ids as
    :func:`geometry_payload`, as one TopoJSON topology (:func:`geo.maplayers.topology.topology`)."""
    frames = {}
    for source in layerspec.LEVELS:
        fc = geometry_payload(source, path)
        frames[source] = gpd.GeoDataFrame.from_features(fc["features"], crs=layerspec.WGS84)
    return topology.topology(frames)


def series_payload(path) -> dict:
    """Poor and near-poor rates per level, unit, indicator and poverty standard.

    ``levels[level][code][indicator]`` is a list of lines, one per standard
    (``{"std": i, "values": […], "status": […]?}``, ``std`` indexing
    ``standards``): a chart draws each line on its own and never joins two
    standards.  ``status`` is given where a value is not synthetic.
    """
    years = _series_years(path)
    data = layerspec.unit_series(SERIES_INDICATORS, tuple(years), path)
    labels: list[str] = []
    levels: dict[str, dict] = {}
    for level, units in data.items():
        out = levels.setdefault(level, {})
        for code, by_ind in units.items():
            entry = {}
            for ind, lines in by_ind.items():
                entry[ind] = [_series_line(label, pairs, labels) for label, pairs in sorted(lines.items())]
            out[code] = entry
    return {
        "years": years,
        "indicators": list(SERIES_INDICATORS),
        "default_status": "synthetic",
        "standards": [
            {
                "label": x,
                "key": getattr(poverty_standards.by_label(x), "key", x),
                "short": {lang: _standard_short(x, lang) for lang in LANGS},
            }
            for x in labels
        ],
        "levels": levels,
    }


def _series_years(path) -> list[int]:
    """Every year with a value of the chart's indicators (the x axis)."""
    obs = layerspec.read_source("observations", path)
    rows = indicators.usable(obs)
    rows = rows[rows["indicator"].isin(SERIES_INDICATORS) & (rows["unit_level"] != "province")]
    return sorted({int(y) for y in rows["year"].dropna()})


def _series_line(label: str, pairs: list, labels: list[str]) -> dict:
    """One standard's line: values (2 decimals), statuses where not all synthetic."""
    if label not in labels:
        labels.append(label)
    line = {"std": labels.index(label), "values": [None if v is None else round(v, 2) for v, _ in pairs]}
    sts = [st for _, st in pairs]
    if any(st not in (None, "synthetic") for st in sts):
        line["status"] = sts
    return line


# ------------------------------------------------------------------- routes


@bp.get("/layers")
def layers_index():
    lang = _lang()
    out = []
    for s in _specs():
        out.append(
            {
                "id": s.id,
                "title": s.title(lang),
                "group": s.group(lang),
                "kind": s.kind,
                "source": s.source,
                "level": s.level,
                "indicator": s.indicator,
                "field": s.field,
                "years": list(s.years),
                "year": s.year,
                "default_visible": s.default_visible,
                "order": s.order,
                "url": url_for("map_page.layer_geojson", layer_id=s.id, lang=lang),
            }
        )
    return _json_response(_dumps({"layers": out}))


@bp.get("/layers/<layer_id>.geojson")
def layer_geojson(layer_id: str):
    spec = _spec(layer_id)
    lang, year = _lang(), _year()
    scheme = request.args.get("scheme") or None
    if scheme is not None and spec.kind != "choropleth":
        raise bad_request(M("error.map.scheme_not_choropleth", layer=spec.id, kind=spec.kind))
    if scheme is not None and scheme not in classify.SCHEMES:
        raise bad_request(M("error.map.unknown_scheme", got=scheme, expected=", ".join(classify.SCHEMES)))
    geometry = request.args.get("geometry", "full")
    if geometry not in ("full", "none"):
        raise bad_request(M("error.map.geometry_param", got=geometry))
    try:
        layerspec.check_year(spec, year)
    except layerspec.LayerDataError as exc:
        raise bad_request(exc) from None
    k, breaks = _classes_args(spec, scheme)
    payload = _cached(
        ("layer", spec.id, year, lang, scheme, geometry, k, breaks),
        lambda p: _dumps(layer_payload(spec, year, lang, scheme, geometry == "full", p, k, breaks)),
    )
    return _json_response(payload, "application/geo+json")


def _classes_args(spec: layerspec.LayerSpec, scheme: str | None) -> tuple[int | None, tuple | None]:
    """``?k=`` and ``?breaks=`` of a layer request, checked (400 with the reason)."""
    raw_k, raw_breaks = request.args.get("k"), request.args.get("breaks")
    if (raw_k or raw_breaks) and spec.kind != "choropleth":
        raise bad_request(M("error.map.classes_not_choropleth", layer=spec.id, kind=spec.kind))
    if raw_k and raw_breaks:
        raise bad_request(M("error.map.k_or_breaks"))
    k = breaks = None
    if raw_k:
        if not (raw_k.strip().isdigit() and classify.MIN_K <= int(raw_k) <= classify.MAX_K):
            raise bad_request(M("error.map.k_range", low=classify.MIN_K, high=classify.MAX_K, got=raw_k))
        if scheme == "user_defined":
            raise bad_request(M("error.map.k_user_defined"))
        k = int(raw_k)
    if raw_breaks:
        if scheme not in (None, "user_defined"):
            raise bad_request(M("error.map.breaks_scheme", scheme=scheme))
        try:
            values = [float(b.strip().replace(",", ".")) for b in raw_breaks.split(";" if ";" in raw_breaks else ",")]
        except ValueError:
            raise bad_request(M("error.map.breaks_numbers", got=raw_breaks)) from None
        if not all(math.isfinite(v) for v in values):
            raise bad_request(M("error.map.breaks_finite"))
        if any(b <= a for a, b in zip(values, values[1:])):
            raise bad_request(M("error.classify.breaks_ascending", got=raw_breaks))
        if len(values) + 1 > classify.MAX_K:
            raise bad_request(M("error.map.breaks_max", max=classify.MAX_K - 1, k=classify.MAX_K, got=len(values)))
        breaks = tuple(values)
    return k, breaks


@bp.get("/layers/geometry/<source>.geojson")
def layer_geometry(source: str):
    if source not in layerspec.LEVELS:
        raise not_found(M("error.map.no_shared_geometry", got=source, expected=", ".join(layerspec.LEVELS)))
    payload = _cached(("geometry", source), lambda p: _dumps(geometry_payload(source, p)))
    return _json_response(payload, "application/geo+json")


@bp.get("/layers/geometry/topology.json")
def layer_topology():
    """Every shared polygon geometry (communes, districts, 2025 communes) as one TopoJSON
    topology: the page's one geometry download (each border once, a sixth of the GeoJSON)."""
    payload = _cached(("topology",), lambda p: _dumps(topology_payload(p)))
    return _json_response(payload)


@bp.get("/layers/series.json")
def layer_series():
    payload = _cached(("series",), lambda p: _dumps(series_payload(p)))
    return _json_response(payload)


@bp.get("/")
def index():
    lang = _lang()
    _gpkg()  # 503 with a clear message when the data are not built
    html = _cached(("page", lang, request.script_root, http_cache.bundled()), lambda p: render_page(lang, p))
    resp = Response(html, mimetype="text/html")
    resp.headers["Cache-Control"] = "no-cache"
    return resp


# --------------------------------------------------------------------- page


@functools.cache
def _init_class() -> type:
    """The page's Folium element that loads kontum-map.js (after Leaflet) and hands it the
    Folium objects once they exist (a class made on first use: Folium is imported lazily)."""
    from branca.element import MacroElement
    from folium.elements import JSCSSMixin
    from folium.template import Template

    class Init(JSCSSMixin, MacroElement):
        """Loads kontum-map.js (after Leaflet) and hands it the Folium objects once they exist."""

        _template = Template("""
            {% macro script(this, kwargs) %}
                KontumMap.init(JSON.parse(document.getElementById("kt-config").textContent), {
                    map: {{ this.map_name }},
                    control: {{ this.control_name }},
                    drawn: {{ this.drawn_name }},
                    bases: { {% for key, name in this.bases %}{{ key|tojson }}: {{ name }}{% if not loop.last %}, {% endif %}{% endfor %} }
                });
            {% endmacro %}
        """)

        def __init__(self, map_name, control_name, drawn_name, bases, tiled: bool = False):
            super().__init__()
            self._name = "KontumInit"
            js, css = PLUGIN_ASSETS["markercluster"]
            if tiled:
                js = js + PLUGIN_ASSETS["vectorgrid"][0]
            self.default_js = [(n, _static(u)) for n, u in js] + [(f, _static(f)) for f in OWN_JS]
            self.default_css = [(n, _static(u)) for n, u in css] + [(f, _static(f)) for f in OWN_CSS]
            self.map_name, self.control_name, self.drawn_name, self.bases = map_name, control_name, drawn_name, bases

    return Init


def _static(rel: str) -> str:
    return url_for("static", filename=rel)


def _load_bundled(m, elements, tiled: bool) -> None:
    """One script and one stylesheet for the whole page (:data:`BUNDLES`), loaded where
    Leaflet's were; none of the map's ``elements`` (its plugins) asks for a file of its own."""
    for element in elements:
        element.default_js, element.default_css = [], []
    m.default_js = [("kontum_bundle_js", http_cache.url_for_bundle("map-tiled.js" if tiled else "map.js"))]
    m.default_css = [("kontum_bundle_css", http_cache.url_for_bundle("map.css"))]


def _localise(element, which: str) -> None:
    js, css = PLUGIN_ASSETS[which]
    element.default_js = [(n, _static(u)) for n, u in js]
    element.default_css = [(n, _static(u)) for n, u in css]


def _context_layer(lang: str, path, bounds) -> folium.FeatureGroup:
    """Offline basemap: neighbouring countries and provinces from the GeoPackage, with labels."""
    group = folium.FeatureGroup(name=_t(lang, "base_context"), overlay=False, control=True, show=True)
    countries = _display("countries", path)
    provinces = _display("provinces", path)
    raw_c = layerspec.read_source("countries", path)
    raw_p = layerspec.read_source("provinces", path)
    fills = {"VNM": "#f7f5ef", "LAO": "#e9eef3", "KHM": "#eef0e6"}
    feats = []
    for code, geom in zip(raw_c["ADM0_A3"], countries.geometry.values):
        feats.append(
            {
                "type": "Feature",
                "properties": {"fill": fills.get(code, "#eeeeee")},
                "geometry": json.loads(shapely.to_geojson(geom)),
            }
        )
    folium.GeoJson(
        {"type": "FeatureCollection", "features": feats},
        name="countries",
        style_function=lambda f: {
            "fillColor": f["properties"]["fill"],
            "fillOpacity": 1,
            "color": "#9e9e9e",
            "weight": 1,
        },
        interactive=False,
        control=False,
    ).add_to(group)
    pfeats = [
        {"type": "Feature", "properties": {"kt": code == "62"}, "geometry": json.loads(shapely.to_geojson(geom))}
        for code, geom in zip(raw_p["gso_province_code"], provinces.geometry.values)
    ]
    folium.GeoJson(
        {"type": "FeatureCollection", "features": pfeats},
        name="provinces",
        style_function=lambda f: {
            "fill": bool(f["properties"]["kt"]),
            "fillColor": "#ffffff",
            "fillOpacity": 1,
            "color": "#8d8d8d",
            "weight": 1,
            "dashArray": "4 3",
        },
        interactive=False,
        control=False,
    ).add_to(group)
    view = box(bounds[0] - 0.45, bounds[1] - 0.3, bounds[2] + 0.45, bounds[3] + 0.3)
    for code, name, geom in zip(raw_p["gso_province_code"], raw_p["name"], raw_p.geometry.values):
        if code == "62":
            continue
        part = geom.intersection(view)
        if part.is_empty or part.area < 0.02:
            continue
        pt = part.representative_point()
        label = str(name).replace("Tỉnh ", "").replace("Thành phố ", "TP ")
        folium.Marker(
            [round(pt.y, 4), round(pt.x, 4)],
            interactive=False,
            keyboard=False,  # a place name, not a tab stop
            icon=folium.DivIcon(
                html=f'<div class="kt-ctx-label">{escape(label)}</div>',
                class_name="kt-ctx",
                icon_size=(140, 18),
                icon_anchor=(70, 9),
            ),
        ).add_to(group)
    near = box(bounds[0] - 0.22, bounds[1] - 0.1, bounds[2] + 0.22, bounds[3] + 0.1)
    for code, geom in zip(raw_c["ADM0_A3"], raw_c.geometry.values):
        if code == "VNM":
            continue
        part = geom.intersection(near)
        if part.is_empty:
            continue
        pt = part.representative_point()
        name = _label("country", code, lang).upper()
        folium.Marker(
            [round(pt.y, 4), round(pt.x, 4)],
            interactive=False,
            keyboard=False,  # a place name, not a tab stop
            icon=folium.DivIcon(
                html=f'<div class="kt-country-label">{escape(name)}</div>',
                class_name="kt-ctx",
                icon_size=(160, 24),
                icon_anchor=(80, 12),
            ),
        ).add_to(group)
    return group


#: Sources drawn from the OGC vector tiles in the national mode (:func:`tiled`).
TILED_SOURCES = ("communes",)
#: The national map opens on the whole country (Kon Tum's page keeps zoom 7 as its floor).
TILED_MIN_ZOOM = 5


def tiled(path) -> bool:
    """Whether the page draws its communes from vector tiles: from ``MAP_TILES_MIN_UNITS``
    communes on (the national coverage); Kon Tum's 102 stay one GeoJSON, drawn as today."""
    return len(layerspec.read_source("communes", path)) >= app_context.settings().tiles_min_units


def _tiles_config(path) -> dict | None:
    """The page's ``tiles`` member: the tile URL template (Leaflet's ``{z}/{y}/{x}``), the item
    URL a click fetches, the tiled sources and the deepest zoom served; None for GeoJSON."""
    if not tiled(path):
        return None
    url = url_for("ogc_tiles.tile", collection_id="__SRC__", tms=ogc_tiles.TMS_ID, z="__Z__", y="__Y__", x="__X__")
    return {
        "url": url.replace("__Z__", "{z}").replace("__Y__", "{y}").replace("__X__", "{x}"),
        "item": url_for("ogc.item", collection_id="__SRC__", feature_id="__ID__", f="json"),
        "sources": list(TILED_SOURCES),
        "max_zoom": ogc_tiles.MAX_ZOOM,
    }


def _page_config(lang: str, path) -> dict:
    districts = layerspec.read_source("districts", path)
    dlist = []
    for code, name, geom in zip(districts["gso_code"], districts["name"], districts.geometry.values):
        x0, y0, x1, y1 = geom.bounds
        dlist.append(
            {"code": code, "name": name, "bounds": [[round(y0, 4), round(x0, 4)], [round(y1, 4), round(x1, 4)]]}
        )
    layers = []
    for s in _specs():
        layers.append(
            {
                "id": s.id,
                "title": s.title(lang),
                "group": s.group(lang),
                "kind": s.kind,
                "display": s.display,
                "source": s.source,
                "indicator": s.indicator,
                "level": s.level,
                "years": list(s.years),
                "year": s.year,
                "visible": s.default_visible,
                "area": s.is_area,
                "labels": s.labels,
            }
        )
    other = "en" if lang == "vi" else "vi"
    return {
        "lang": lang,
        "years": list(ANALYSIS_YEARS),
        "year": ANALYSIS_YEARS[-1],
        "layers": layers,
        "districts": sorted(dlist, key=lambda d: d["code"]),
        "urls": {
            "layer": url_for("map_page.layer_geojson", layer_id="__ID__"),
            "geometry": url_for("map_page.layer_geometry", source="__SRC__"),
            "topology": url_for("map_page.layer_topology"),
            "series": url_for("map_page.layer_series"),
            "targets": (request.script_root or "") + "/targets",
            "layer_download": url_for("workbench.layer_download", layer_id="__ID__"),
            "change": url_for("workbench.change_json"),
            "other_lang": url_for("map_page.index", lang=other),
            "print": (request.script_root or "") + "/print",
            "allocations": (request.script_root or "") + "/allocations",
        },
        "i18n": i18n.js_messages(lang),
        "status": i18n.section("status", lang),
        "quality": i18n.section("quality", lang),
        "demo_label": DEMO_LABEL,
        "workbench": workbench.page_options(lang, path),
        "tiles": _tiles_config(path),
    }


def render_page(lang: str, path) -> str:
    """The whole HTML page (Folium map + panel), every asset local."""
    communes = layerspec.read_source("communes", path)
    x0, y0, x1, y1 = communes.total_bounds
    bounds = (x0, y0, x1, y1)
    t = i18n.section("page", lang)
    national = tiled(path)
    m = folium.Map(
        location=[(y0 + y1) / 2, (x0 + x1) / 2],
        zoom_start=9,
        tiles=None,
        control_scale=True,
        zoom_snap=0.25,
        zoom_delta=0.5,
        **{"minZoom": TILED_MIN_ZOOM if national else 7, "maxZoom": 17},
    )
    m.default_js = [(n, _static(u)) for n, u in LEAFLET_JS]
    m.default_css = [(n, _static(u)) for n, u in LEAFLET_CSS]
    # A first fit as the map is made (so that no tile is asked for at another zoom), with the
    # desktop's legend padding; the page script fits again once the layout is final, with the
    # phone's padding on a phone (kontum-workbench.js fitProvince).  Not animated: Leaflet
    # animates a zoom of up to 4 levels, and a page fit made while that animation ran was
    # undone when it ended (a phone then opened at this fit's zoom 7, shifted east).
    first_fit = folium.FitBounds([[y0, x0], [y1, x1]], padding_top_left=(10, 10), padding_bottom_right=(250, 10))
    first_fit.options["animate"] = False
    m.add_child(first_fit)

    context = _context_layer(lang, path, bounds)
    context.add_to(m)
    blank = folium.FeatureGroup(name=t["base_none"], overlay=False, control=True, show=False)
    blank.add_to(m)
    osm = folium.TileLayer("OpenStreetMap", name=t["base_osm"], overlay=False, control=True, show=False)
    osm.add_to(m)

    fs = folium_plugins.Fullscreen(position="topleft", title=t["fullscreen"], title_cancel=t["fullscreen_exit"])
    _localise(fs, "fullscreen")
    fs.add_to(m)

    drawn = folium.FeatureGroup(name="drawn", control=False)
    drawn.add_to(m)
    draw = folium_plugins.Draw(
        position="topleft",
        feature_group=drawn,
        show_geometry_on_click=False,
        draw_options={
            "polyline": False,
            "circle": False,
            "marker": False,
            "circlemarker": False,
            "polygon": {
                "allowIntersection": False,
                "showArea": False,
                "shapeOptions": {"color": "#0d47a1", "weight": 2, "fillOpacity": 0.08},
            },
            "rectangle": {"showArea": False, "shapeOptions": {"color": "#0d47a1", "weight": 2, "fillOpacity": 0.08}},
        },
        edit_options={"edit": False},
    )
    _localise(draw, "draw")
    draw.add_to(m)

    control = folium.LayerControl(position="topright", collapsed=False)
    control.add_to(m)

    root = m.get_root()
    root.header.add_child(branca_element.Element(f"<title>{escape(t['title'])}</title>"), name="kt_title")
    root.header.add_child(branca_element.Element('<link rel="icon" href="data:,">'), name="kt_icon")

    config = _page_config(lang, path)
    root.header.add_child(branca_element.Element(_prefetch_script(config)), name="kt_prefetch")
    panel = render_template(
        "map/panel.html",
        t=t,
        lang=lang,
        config=config,
        s=config["i18n"]["page"],
        other_lang_url=config["urls"]["other_lang"],
    )
    root.html.add_child(branca_element.Element(panel), name="kt_panel")
    init = _init_class()(
        m.get_name(),
        control.get_name(),
        drawn.get_name(),
        [("context", context.get_name()), ("none", blank.get_name()), ("osm", osm.get_name())],
        national,
    )
    m.add_child(init)
    if http_cache.bundled():
        _load_bundled(m, (fs, draw, init), national)
    html = root.render()
    html = _PINCH_BLOCKED.sub('<meta name="viewport" content="width=device-width, initial-scale=1.0">', html, count=1)
    # The map is the page's main landmark (the header is the banner, the panel complementary).
    html = html.replace(
        f'<div class="folium-map" id="{m.get_name()}" >',
        f'<div class="folium-map" id="{m.get_name()}" role="main" aria-label="{escape(t["map_region"])}">',
        1,
    )
    return html.replace("<html>", f'<html lang="{lang}">', 1)


def first_fetches(config: dict) -> list[dict]:
    """The data the page draws first, asked before its scripts load (:func:`_prefetch_script`):
    the shared topology (not in the tiled mode) and every layer shown at opening, each with the
    URL ``kontum-map.js`` builds for it (``layerUrl``: lang, the map's year for a layer of several
    years, ``geometry=none`` for a polygon layer).  ``yearly``: the URL holds the map's year.

    >>> cfg = {"lang": "vi", "year": 2020, "tiles": None, "urls": {"topology": "/t.json",
    ...        "layer": "/layers/__ID__.geojson"}, "layers": [
    ...        {"id": "poor_rate", "source": "communes", "years": [2019, 2020], "visible": True},
    ...        {"id": "works", "source": "works", "years": [], "visible": True},
    ...        {"id": "roads", "source": "roads", "years": [], "visible": False}]}
    >>> [(f["url"], f["yearly"]) for f in first_fetches(cfg)]
    [('/t.json', False), ('/layers/poor_rate.geojson?lang=vi&year=2020&geometry=none', True), ('/layers/works.geojson?lang=vi', False)]
    """
    out = [] if config.get("tiles") else [{"url": config["urls"]["topology"], "yearly": False}]
    for spec in config["layers"]:
        if not spec["visible"]:
            continue
        query = [("lang", config["lang"])]
        yearly = len(spec["years"]) > 1 and config["year"] in spec["years"]
        if yearly:
            query.append(("year", config["year"]))
        if spec["source"] in layerspec.LEVELS:
            query.append(("geometry", "none"))
        url = config["urls"]["layer"].replace("__ID__", quote(spec["id"], safe="")) + "?" + urlencode(query)
        out.append({"url": url, "yearly": yearly})
    return out


def _prefetch_script(config: dict) -> str:
    """An inline script in the head, before every script tag: it asks for the first data
    (:func:`first_fetches`) at once, so on a slow link they come beside Leaflet and the page's
    scripts rather than one round trip after them; ``getJSON`` in kontum-map.js takes each
    answer once.  A link opening another year skips the layers of that year."""
    fetches = json.dumps(first_fetches(config), separators=(",", ":")).replace("</", "<\\/")
    return (
        "<script>(function (list, year) {"
        ' var asked = new URLSearchParams(location.search).get("year"), kept = window.KT_PREFETCH = {};'
        " list.forEach(function (f) {"
        " if (f.yearly && asked !== null && asked !== String(year)) return;"
        ' kept[f.url] = fetch(f.url, { headers: { Accept: "application/json" } });'
        f" }});}})({fetches}, {int(config['year'])});</script>"
    )


#: Folium's viewport tag forbids pinch zoom (maximum-scale=1, user-scalable=no): replaced.
_PINCH_BLOCKED = re.compile(r'<meta name="viewport"[^>]*user-scalable=no[^>]*/?>', re.S)
