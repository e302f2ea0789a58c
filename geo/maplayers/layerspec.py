"""Map layers declared in TOML files (``layers/*.toml``), loaded and validated.

Adding a layer to the map is adding a file.  Each file describes one layer;
:func:`load_layers` reads every ``*.toml`` of the layers folder
(``layers/`` or ``$GEO_LAYERS_DIR``), checks it and returns the specs sorted
by ``order``.  A bad file raises :class:`LayerSpecError` with the file name
and what is wrong, e.g. ``layers/foo.toml: unknown indicator 'x'; known: …``,
so the app refuses to start rather than draw a wrong map.

A layer file::

    id = "poor_rate"                    # = the file name; [a-z0-9_]
    title_vi = "Tỷ lệ hộ nghèo"
    title_en = "Poor-household rate"
    kind = "choropleth"                 # choropleth | categorical | points | lines
    source = "communes"                 # communes | districts | communes_2025 | works | roads | border
    level = "commune"                   # commune | district | commune_2025 (polygon sources)
    indicator = "poor_rate"             # a catalogue id …
    # field = "on_border"               # … or a column of the source
    years = [2015, 2016, 2017, 2018, 2019, 2020]
    year = 2020                         # the year shown first (default: last of years)
    palette = "YlOrRd"                  # ColorBrewer name, "_r" reverses
    popup_fields = ["poor_households", "households"]
    default_visible = true
    order = 10                          # position in the layer list (ascending)
    note_vi = "…"                       # shown under the legend; {n} = units with a value
    note_en = "…"

    [classification]                    # choropleth only
    scheme = "quantiles"                # quantiles | fisher_jenks | equal_interval | user_defined
    k = 5
    # breaks = [10, 20, 40]             # user_defined: ascending upper bounds
    across_years = true                 # one set of breaks for every year of the layer

    [[categories]]                      # categorical only: value → colour + labels
    value = "1"
    color = "#b30000"
    label_vi = "Xã đặc biệt khó khăn"
    label_en = "Especially difficult commune"

Optional keys: ``missing`` (categorical: the category of a unit without a
value, e.g. ``"0"`` when the source lists only the communes *on* a list;
without it such units are "no data"), ``filter`` (a table: column → allowed
values, e.g. ``{kind = ["electrification"]}`` for points), ``display``
(``fill`` or ``outline``: an outline layer can lie over a choropleth),
``label_field`` (a column shown as the hover label; a ``…_vi`` column
switches to ``…_en`` in English), ``labels`` (``hover`` or ``permanent``), ``color``,
``weight``, ``dash`` (lines and points styling), ``group_vi``/``group_en``
(a heading in the layer list).

Example
-------
>>> specs = load_layers()                                  # doctest: +SKIP
>>> [s.id for s in specs][:2]                              # doctest: +SKIP
['poor_rate', 'near_poor_rate']
"""

from __future__ import annotations

import dataclasses
import math
import re
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NoReturn

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geo import paths
from geo.analysis import classify
from geo.backends.base import Backend, BackendUnavailable
from geo.crs import METRIC, WGS84
from geo.indicators import catalogue
from geo.indicators import values as indicators
from geo.io import storage
from geo.messages import Message
from geo.units import levels as unit_levels

KINDS = ("choropleth", "categorical", "points", "lines")
#: Polygon source layer → its unit level (:mod:`geo.units.levels`).
LEVELS = {lv.layer: lv.name for lv in unit_levels.polygon_levels()}
SOURCES = (*LEVELS, "works", "roads", "border")
DISPLAYS = ("fill", "outline")
LABELS = ("hover", "permanent")

# Columns of each source layer of the GeoPackage (docs/DEVELOPING.md).
SOURCE_FIELDS: dict[str, tuple[str, ...]] = {
    "communes": (
        "gso_code",
        "name",
        "unit_type",
        "district_code",
        "district_name",
        "province_code",
        "quality_flag",
        "geom_method",
        "area_km2",
        "code_2025",
        "name_2025",
        "border_km",
        "on_border",
        "border_countries",
    ),
    "districts": ("gso_code", "name", "unit_type", "province_code", "n_communes", "area_km2"),
    "communes_2025": (
        "gso_code",
        "name",
        "province_code",
        "member_gso_codes_2020",
        "n_members",
        "area_km2",
        "border_km",
        "on_border",
        "border_countries",
    ),
    "works": (
        "work_id",
        "kind",
        "name_vi",
        "name_en",
        "gso_code",
        "district_code",
        "village",
        "location_precision",
        "year",
        "date",
        "households",
        "line_mv_km",
        "line_lv_km",
        "transformers",
        "budget_million_vnd",
        "description_vi",
        "status",
        "source",
    ),
    "roads": ("road_id", "code", "name", "road_type", "road_class", "length_km"),
    "border": ("country", "name_vi", "name_en", "length_km", "official_length_km", "official_source"),
}

_ALLOWED = {
    "id",
    "title_vi",
    "title_en",
    "kind",
    "source",
    "level",
    "indicator",
    "field",
    "years",
    "year",
    "classification",
    "palette",
    "categories",
    "popup_fields",
    "default_visible",
    "order",
    "note_vi",
    "note_en",
    "missing",
    "filter",
    "display",
    "label_field",
    "color",
    "weight",
    "dash",
    "group_vi",
    "group_en",
    "fill_opacity",
    "labels",
}
_CLASS_KEYS = {"scheme", "k", "breaks", "across_years"}
_CAT_KEYS = {"value", "color", "label_vi", "label_en"}
_ID = re.compile(r"^[a-z][a-z0-9_]{0,47}$")
_COLOR = re.compile(r"^#[0-9a-fA-F]{6}$")


class LayerSpecError(ValueError):
    """A layer file is missing, unreadable or inconsistent (message names the file)."""


@dataclass(frozen=True)
class Category:
    value: str
    color: str
    label_vi: str
    label_en: str

    def label(self, lang: str) -> str:
        return self.label_en if lang == "en" else self.label_vi


@dataclass(frozen=True)
class Classification:
    scheme: str = "quantiles"
    k: int = 5
    breaks: tuple[float, ...] = ()
    across_years: bool = False


@dataclass(frozen=True)
class LayerSpec:
    """One validated layer file."""

    id: str
    title_vi: str
    title_en: str
    kind: str
    source: str
    path: str
    level: str | None = None
    indicator: str | None = None
    field: str | None = None
    years: tuple[int, ...] = ()
    year: int | None = None
    classification: Classification | None = None
    palette: str | None = None
    categories: tuple[Category, ...] = ()
    popup_fields: tuple[str, ...] = ()
    default_visible: bool = False
    order: int = 100
    note_vi: str = ""
    note_en: str = ""
    missing: str | None = None
    filter: dict[str, tuple[str, ...]] = dataclasses.field(default_factory=dict)
    display: str = "fill"
    label_field: str | None = None
    labels: str = "hover"
    color: str | None = None
    weight: float | None = None
    dash: str | None = None
    group_vi: str = ""
    group_en: str = ""
    fill_opacity: float = 0.75

    def title(self, lang: str = "vi") -> str:
        return self.title_en if lang == "en" else self.title_vi

    def note(self, lang: str = "vi") -> str:
        return self.note_en if lang == "en" else self.note_vi

    def group(self, lang: str = "vi") -> str:
        return self.group_en if lang == "en" else self.group_vi

    @property
    def is_area(self) -> bool:
        """Polygons filled over the map (only one such layer is shown at a time)."""
        return self.kind in ("choropleth", "categorical") and self.display == "fill"


def _catalogue_ids() -> list[str]:
    """Indicator ids of the catalogue (``data/indicators/catalogue.csv``)."""
    try:
        return [str(i) for i in catalogue.load_catalogue().index]
    except ImportError:  # pragma: no cover - the catalogue module is part of the project
        return pd.read_csv(paths.indicators_dir() / "catalogue.csv", dtype=str)["id"].tolist()


def _rel(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(paths.ROOT))
    except ValueError:
        return str(path)


def load_layer(path: Path | str, catalogue_ids: list[str] | None = None) -> LayerSpec:
    """Read and validate one layer file; raise :class:`LayerSpecError` on any problem."""
    path = Path(path)
    name = _rel(path)

    def fail(msg: str) -> NoReturn:
        raise LayerSpecError(f"{name}: {msg}")

    try:
        raw: dict[str, Any] = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        fail(f"not valid TOML ({exc})")
    except (OSError, UnicodeDecodeError) as exc:
        fail(f"cannot be read ({exc})")

    unknown = sorted(set(raw) - _ALLOWED)
    if unknown:
        fail(
            f"unknown key{'s' if len(unknown) > 1 else ''} {', '.join(map(repr, unknown))}; "
            f"allowed: {', '.join(sorted(_ALLOWED))}"
        )
    for key in ("id", "title_vi", "title_en", "kind", "source"):
        if key not in raw:
            fail(f"missing required key {key!r}")
        if not isinstance(raw[key], str) or not raw[key].strip():
            fail(f"{key!r} must be a non-empty string")
    lid = raw["id"]
    if not _ID.match(lid):
        fail(f"id {lid!r} must be lower-case letters, digits and '_' (starting with a letter)")
    if lid != path.stem:
        fail(f"id {lid!r} must match the file name ({path.stem!r})")
    kind, source = raw["kind"], raw["source"]
    if kind not in KINDS:
        fail(f"unknown kind {kind!r}; expected one of {', '.join(KINDS)}")
    if source not in SOURCES:
        fail(f"unknown source {source!r}; expected one of {', '.join(SOURCES)}")

    level = raw.get("level", LEVELS.get(source))
    if source in LEVELS and level != LEVELS[source]:
        fail(f"level {level!r} does not match source {source!r} (expected {LEVELS[source]!r})")
    if source not in LEVELS and "level" in raw:
        fail(f"'level' applies to polygon sources only ({', '.join(LEVELS)}), not {source!r}")
    if kind in ("choropleth", "categorical") and source not in LEVELS:
        fail(f"a {kind} layer needs a polygon source ({', '.join(LEVELS)}), not {source!r}")
    if kind == "points" and source != "works":
        fail(f"a points layer needs source 'works', not {source!r}")
    if kind == "lines" and source not in ("roads", "border", *LEVELS):
        fail(f"a lines layer needs source roads, border or {', '.join(LEVELS)}, not {source!r}")

    indicator, fld = raw.get("indicator"), raw.get("field")
    if indicator is not None and fld is not None:
        fail("give either 'indicator' or 'field', not both")
    if kind in ("choropleth", "categorical") and indicator is None and fld is None:
        fail(f"a {kind} layer needs 'indicator' (a catalogue id) or 'field' (a column of {source})")
    if indicator is not None:
        if source not in LEVELS:
            fail(f"'indicator' applies to {', '.join(LEVELS)}, not {source!r}")
        known = catalogue_ids if catalogue_ids is not None else _catalogue_ids()
        if indicator not in known:
            fail(f"unknown indicator {indicator!r}; known: {', '.join(sorted(known))}")
    fields = SOURCE_FIELDS[source]
    if fld is not None and fld not in fields:
        fail(f"unknown field {fld!r} of {source}; known: {', '.join(fields)}")

    years = raw.get("years", [])
    if not isinstance(years, list) or not all(isinstance(y, int) and 1900 <= y <= 2100 for y in years):
        fail(f"'years' must be a list of years (integers), got {years!r}")
    if years != sorted(set(years)):
        fail(f"'years' must be ascending without repeats, got {years!r}")
    year = raw.get("year", years[-1] if years else None)
    if year is not None and (not isinstance(year, int) or (years and year not in years)):
        fail(f"'year' {year!r} must be one of 'years' {years!r}")
    if year is not None and not years:
        years = [year]
    if (years or year is not None) and indicator is None and source != "works":
        fail("'years'/'year' apply to indicator layers only")

    cls = None
    palette = raw.get("palette")
    if kind == "choropleth":
        c = raw.get("classification")
        if not isinstance(c, dict):
            fail("a choropleth layer needs a [classification] table (scheme, k or breaks)")
        bad = sorted(set(c) - _CLASS_KEYS)
        if bad:
            fail(
                f"unknown classification key(s) {', '.join(map(repr, bad))}; allowed: {', '.join(sorted(_CLASS_KEYS))}"
            )
        scheme = c.get("scheme", "quantiles")
        if scheme not in classify.SCHEMES:
            fail(f"unknown classification scheme {scheme!r}; expected one of {', '.join(classify.SCHEMES)}")
        k = c.get("k", 5)
        if not isinstance(k, int) or not classify.MIN_K <= k <= classify.MAX_K:
            fail(f"classification k must be an integer {classify.MIN_K}–{classify.MAX_K}, got {k!r}")
        breaks = c.get("breaks", [])
        if scheme == "user_defined":
            if not breaks or not all(isinstance(b, (int, float)) for b in breaks):
                fail("user_defined classification needs 'breaks', a list of numbers")
            if any(b2 <= b1 for b1, b2 in zip(breaks, breaks[1:])):
                fail(f"classification breaks must be strictly ascending, got {breaks!r}")
            if len(breaks) + 1 > classify.MAX_K:
                fail(f"at most {classify.MAX_K - 1} breaks, got {len(breaks)}")
        elif breaks:
            fail(f"'breaks' applies to scheme user_defined only (scheme is {scheme!r})")
        across = c.get("across_years", False)
        if not isinstance(across, bool):
            fail("classification across_years must be true or false")
        cls = Classification(scheme, k, tuple(float(b) for b in breaks), across)
        if palette is None:
            fail("a choropleth layer needs a 'palette' (a ColorBrewer name, e.g. \"YlOrRd\")")
    elif "classification" in raw:
        fail(f"'classification' applies to choropleth layers only (kind is {kind!r})")
    if palette is not None and (not isinstance(palette, str) or not classify.is_palette(palette)):
        fail(f"unknown palette {palette!r}; known: {', '.join(classify.palette_names())} (add _r to reverse)")

    cats: list[Category] = []
    if kind == "categorical":
        raw_cats = raw.get("categories")
        if not isinstance(raw_cats, list) or not raw_cats:
            fail("a categorical layer needs [[categories]] (value, color, label_vi, label_en)")
        seen = set()
        for i, cat in enumerate(raw_cats, 1):
            if not isinstance(cat, dict):
                fail(f"category {i} must be a table")
            bad = sorted(set(cat) - _CAT_KEYS)
            missing = sorted(_CAT_KEYS - set(cat))
            if bad or missing:
                fail(
                    f"category {i}: "
                    + "; ".join(
                        ([f"unknown key(s) {', '.join(map(repr, bad))}"] if bad else [])
                        + ([f"missing {', '.join(map(repr, missing))}"] if missing else [])
                    )
                )
            value = _norm_value(cat["value"])
            if value in seen:
                fail(f"category {i}: value {value!r} repeated")
            seen.add(value)
            if not isinstance(cat["color"], str) or not _COLOR.match(cat["color"]):
                fail(f"category {i}: color {cat['color']!r} must be #rrggbb")
            cats.append(Category(value, cat["color"].lower(), str(cat["label_vi"]), str(cat["label_en"])))
    elif "categories" in raw:
        fail(f"'categories' apply to categorical layers only (kind is {kind!r})")
    missing_cat = raw.get("missing")
    if missing_cat is not None:
        if kind != "categorical":
            fail("'missing' applies to categorical layers only")
        missing_cat = _norm_value(missing_cat)
        if missing_cat not in {c.value for c in cats}:
            fail(f"'missing' {missing_cat!r} is not one of the category values {[c.value for c in cats]}")

    popup = raw.get("popup_fields", [])
    if not isinstance(popup, list) or not all(isinstance(p, str) for p in popup):
        fail("'popup_fields' must be a list of strings")
    for p in popup:
        if p in fields:
            continue
        if source in LEVELS:
            known = catalogue_ids if catalogue_ids is not None else _catalogue_ids()
            if p in known:
                continue
            fail(
                f"unknown popup field {p!r}: neither a column of {source} ({', '.join(fields)}) "
                f"nor an indicator of the catalogue"
            )
        fail(f"unknown popup field {p!r}; columns of {source}: {', '.join(fields)}")

    flt = raw.get("filter", {})
    if not isinstance(flt, dict):
        fail("'filter' must be a table: column = [allowed values]")
    filt: dict[str, tuple[str, ...]] = {}
    for col, allowed in flt.items():
        if col not in fields:
            fail(f"filter on unknown column {col!r} of {source}; known: {', '.join(fields)}")
        if not isinstance(allowed, list) or not allowed:
            fail(f"filter {col!r} must be a non-empty list of values")
        filt[col] = tuple(_norm_value(v) for v in allowed)

    display = raw.get("display", "fill")
    if display not in DISPLAYS:
        fail(f"unknown display {display!r}; expected one of {', '.join(DISPLAYS)}")
    label_field = raw.get("label_field")
    if label_field is not None and label_field not in fields:
        fail(f"unknown label_field {label_field!r} of {source}; known: {', '.join(fields)}")
    labels = raw.get("labels", "hover")
    if labels not in LABELS:
        fail(f"unknown labels {labels!r}; expected one of {', '.join(LABELS)}")
    color = raw.get("color")
    if color is not None and (not isinstance(color, str) or not _COLOR.match(color)):
        fail(f"color {color!r} must be #rrggbb")
    weight = raw.get("weight")
    if weight is not None and (not isinstance(weight, (int, float)) or not 0 < weight <= 20):
        fail(f"weight {weight!r} must be a number in (0, 20]")
    fill_opacity = raw.get("fill_opacity", 0.75)
    if not isinstance(fill_opacity, (int, float)) or not 0 <= fill_opacity <= 1:
        fail(f"fill_opacity {fill_opacity!r} must be between 0 and 1")
    for key in ("default_visible",):
        if key in raw and not isinstance(raw[key], bool):
            fail(f"{key!r} must be true or false")
    order = raw.get("order", 100)
    if not isinstance(order, int):
        fail(f"'order' must be an integer, got {order!r}")
    for key in ("note_vi", "note_en", "group_vi", "group_en", "dash"):
        if key in raw and not isinstance(raw[key], str):
            fail(f"{key!r} must be a string")

    return LayerSpec(
        id=lid,
        title_vi=raw["title_vi"].strip(),
        title_en=raw["title_en"].strip(),
        kind=kind,
        source=source,
        path=name,
        level=level,
        indicator=indicator,
        field=fld,
        years=tuple(years),
        year=year,
        classification=cls,
        palette=palette,
        categories=tuple(cats),
        popup_fields=tuple(popup),
        default_visible=raw.get("default_visible", False),
        order=order,
        note_vi=raw.get("note_vi", ""),
        note_en=raw.get("note_en", ""),
        missing=missing_cat,
        filter=filt,
        display=display,
        label_field=label_field,
        labels=labels,
        color=color,
        weight=float(weight) if weight is not None else None,
        dash=raw.get("dash"),
        group_vi=raw.get("group_vi", ""),
        group_en=raw.get("group_en", ""),
        fill_opacity=float(fill_opacity),
    )


def _norm_value(v) -> str:
    """Category values compare as strings: true → "true", 1 → "1", 1.0 → "1"."""
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    return str(v)


def load_layers(directory: Path | str | None = None, catalogue_ids: list[str] | None = None) -> list[LayerSpec]:
    """Every ``*.toml`` of the layers folder, validated, sorted by (order, id)."""
    directory = Path(directory or paths.layers_dir())
    if not directory.is_dir():
        raise LayerSpecError(f"{_rel(directory)}: layers folder not found")
    files = sorted(directory.glob("*.toml"))
    if not files:
        raise LayerSpecError(f"{_rel(directory)}: no layer files (*.toml)")
    if catalogue_ids is None:
        catalogue_ids = _catalogue_ids()
    specs = [load_layer(f, catalogue_ids) for f in files]
    return sorted(specs, key=lambda s: (s.order, s.id))


def by_id(specs: list[LayerSpec]) -> dict[str, LayerSpec]:
    return {s.id: s for s in specs}


# ------------------------------------------------------------------ layer data
#
# What a layer shows, as one GeoDataFrame per request: the source units with
# the picked value of the layer's indicator (or field), its status, source,
# standard and year, the category or class, and the popup fields.  The app
# only formats it (geo/ holds no HTML).

ID_COLUMN = {
    "communes": "gso_code",
    "districts": "gso_code",
    "communes_2025": "gso_code",
    "works": "work_id",
    "roads": "road_id",
    "border": "country",
}
BORDER_SOURCE = (
    "geo/units/border.py: computed from the commune boundaries and the international "
    "border lines (≥ 0.5 km of shared boundary)"
)
DISPLAY_TOLERANCE_M = 150.0  # coverage simplification for display (UTM 48N metres), the least
#: Display tolerance per metre of the communes' extent diagonal: about one screen pixel
#: at the map's opening view. Kon Tum keeps the 150 m floor; the national coverage
#: (bench/) gets about 1.2 km: its commune geometry 10.4 → 4.5 MB, drawn ~0.5 s sooner.
DISPLAY_TOLERANCE_PER_EXTENT = 0.00065
LINE_TOLERANCE_M = 80.0
CONTEXT_MARGIN = 0.25  # degrees around the province kept for roads and context
DECIMALS = 5


class LayerDataError(ValueError):
    """A request the layer cannot answer (e.g. a year it does not have)."""


def read_source(source: str, path: Backend | Path | str | None = None) -> gpd.GeoDataFrame | pd.DataFrame:
    """The layer behind ``source`` (a copy): from ``path`` when it is a backend
    (:class:`geo.backends.base.Backend`, e.g. the app's PostGIS database), else from the
    GeoPackage ``path`` (default: the served one)."""
    if isinstance(path, Backend):
        return path.read_layer(source)
    return storage.read_layer(source, path)


def _year_or_none(y) -> int | None:
    try:
        return None if y is None or (isinstance(y, float) and y != y) else int(y)
    except (TypeError, ValueError):
        return None


def check_year(spec: LayerSpec, year: int | None) -> int | None:
    """The year to show: ``year`` if the layer has it, its default if None."""
    if year is None:
        return spec.year
    if not spec.years:
        raise LayerDataError(Message("error.map.layer_no_years", layer=spec.id))
    if year not in spec.years:
        raise LayerDataError(
            Message("error.map.layer_no_year", layer=spec.id, year=year, years=", ".join(map(str, spec.years)))
        )
    return year


def layer_standard(obs: pd.DataFrame, indicator: str, year: int | None) -> str | None:
    """The poverty standard a layer of ``indicator`` shows in ``year`` (None: no standard).

    The year's own standard (:func:`geo.indicators.values.period`: the same at every
    level); without a year, the indicator's default period's standard.
    """
    if not indicators.has_standard(obs, indicator):
        return None
    return indicators.period(obs, indicator, year)[1]


def _pick(obs, indicator: str, level: str, year: int | None, standard: str | None = None):
    """One value per unit of ``indicator`` for ``year`` and ``standard`` — never another
    year's or another standard's: a unit without one has none."""
    rows = indicators.values(obs, indicator, level, year, standard)
    indicators.one_standard(rows, f"the {level} values of {indicator}")
    return rows.set_index("gso_code")


def layer_frame(spec: LayerSpec, year: int | None = None, path: Path | str | None = None) -> gpd.GeoDataFrame:
    """The units (or works, lines) of ``spec`` with what the map draws.

    Columns added to the source layer: ``value`` (float or NaN; for a
    categorical layer the raw value), ``qualifier``, ``status``, ``source``,
    ``standard``, ``obs_year``, ``period``, ``note``, ``unit``, and for
    categorical layers ``category`` (a category value or None = no data).
    ``popup`` holds, per row, a list of dicts (``id``, ``value``, ``status``,
    ``year``, ``period``, ``source``, ``standard``, ``unit``) for each of the
    spec's ``popup_fields``: values of the layer's year and poverty standard
    only (``frame.attrs["standard"]``); a field without one is
    ``{"id", "value": None, "year", "standard", "missing": True}``, never
    another year's or standard's value.  ``reported`` lists other real
    figures of the indicator that are not drawn (bounds such as ">58"), each
    with its ``standard`` and ``comparable`` (the layer's standard or not).
    """
    year = check_year(spec, year)
    gdf = read_source(spec.source, path)
    obs = read_source("observations", path) if spec.source in LEVELS else None
    _check_columns(spec, gdf, obs)
    if spec.filter:
        keep = pd.Series(True, index=gdf.index)
        for col, allowed in spec.filter.items():
            keep &= gdf[col].map(_norm_value).isin(allowed)
        gdf = gdf[keep].reset_index(drop=True)
    key = ID_COLUMN[spec.source]
    gdf["value"] = float("nan")
    gdf["obs_year"] = float("nan")
    for col in ("qualifier", "status", "source", "standard", "period", "note", "unit"):
        if col not in gdf.columns:
            gdf[col] = None

    standard = layer_standard(obs, spec.indicator, year) if spec.indicator else None
    if spec.indicator:
        picked = _pick(obs, spec.indicator, spec.level, year, standard)
        codes = gdf[key]
        gdf["value"] = codes.map(picked["value"]).astype(float)
        gdf["obs_year"] = codes.map(picked["year"]).astype(float)
        for col in ("qualifier", "status", "source", "standard", "period", "note", "unit"):
            gdf[col] = codes.map(picked[col]).astype(object).where(codes.isin(picked.index), None)
    elif spec.field:
        raw = gdf[spec.field]
        if raw.dtype == bool or str(raw.dtype).startswith(("int", "float", "Int", "Float")):
            gdf["value"] = raw.astype(float)
        if spec.field == "on_border":
            gdf["status"], gdf["source"] = "derived", BORDER_SOURCE

    if spec.kind == "categorical":
        values = (gdf[spec.field] if spec.field else gdf["value"]).map(
            lambda v: None if v is None or (isinstance(v, float) and v != v) else _norm_value(v)
        )
        known = {c.value for c in spec.categories}
        filled = values.isna()
        if spec.missing is not None:
            values = values.fillna(spec.missing)
            if spec.indicator:
                listing = read_list_source(obs, spec.indicator, spec.level)
                gdf.loc[filled, "status"] = "derived"
                gdf.loc[filled, "source"] = f"not in the list as found in the source: {listing}"
        gdf["category"] = values.where(values.isin(known), None)
        gdf["filled"] = filled & gdf["category"].notna()

    if spec.popup_fields:
        gdf["popup"] = _popup_values(spec, gdf, obs, year, standard)
    else:
        gdf["popup"] = [[] for _ in range(len(gdf))]
    gdf["reported"] = _reported(spec, gdf, obs, standard) if spec.indicator else [[] for _ in range(len(gdf))]
    gdf.attrs["standard"] = standard
    gdf.attrs["year"] = year
    return gdf


def read_list_source(obs: pd.DataFrame, indicator: str, level: str) -> str:
    rows = obs[(obs["indicator"] == indicator) & (obs["unit_level"] == level)]
    return "; ".join(dict.fromkeys(rows["source"].dropna().astype(str))) or "?"


def _check_columns(spec: LayerSpec, gdf, obs) -> None:
    """Every column the layer file names is in its source (or, for a popup field, among the
    observations): a GeoPackage built by an older version of the program lacks some, and says
    so (:class:`geo.backends.base.BackendUnavailable`, HTTP 503 "rebuild") instead of failing
    half-way through the layer."""
    wanted = [*(spec.filter or {}), *([spec.field] if spec.field else [])]
    if obs is None:
        wanted += [p for p in spec.popup_fields if p not in ("value", "status", "source")]
    missing = [c for c in dict.fromkeys(wanted) if c not in gdf.columns]
    if missing:
        what = ", ".join(f"{spec.source}.{c}" for c in missing)
        raise BackendUnavailable(Message("error.backend.stale", what=what))


def _popup_field_standard(obs, field: str, year: int | None, standard: str | None) -> str | None:
    """The standard of a popup field: the layer's, else the field's own for the year (None: no standard)."""
    if not indicators.has_standard(obs, field):
        return None
    return standard or indicators.period(obs, field, year)[1]


def _popup_values(spec: LayerSpec, gdf, obs, year, standard: str | None = None) -> list[list[dict]]:
    key = ID_COLUMN[spec.source]
    columns, stds = {}, {}
    for p in spec.popup_fields:
        if p in gdf.columns and p not in ("value", "status", "source"):
            columns[p] = None
        else:
            stds[p] = _popup_field_standard(obs, p, year, standard)
            columns[p] = _pick(obs, p, spec.level, year, stds[p])
    out = []
    for _, row in gdf.iterrows():
        items = []
        for p, picked in columns.items():
            if picked is None:
                v = row[p]
                items.append({"id": p, "value": None if _isna(v) else v})
                continue
            code = row[key]
            if code in picked.index:
                r = picked.loc[code]
                items.append(
                    {
                        "id": p,
                        "value": float(r["value"]),
                        "status": r["status"],
                        "year": _year_or_none(r["year"]),
                        "period": r["period"],
                        "source": r["source"],
                        "standard": r["standard"],
                        "unit": r["unit"],
                    }
                )
            else:  # says so: no value of this year and standard (never another's)
                items.append({"id": p, "value": None, "year": year, "standard": stds[p], "missing": True})
        out.append(items)
    return out


def _reported(spec: LayerSpec, gdf, obs, standard: str | None = None) -> list[list[dict]]:
    """Real figures of the indicator that are shown in popups but never drawn (bounds),
    each with its standard and whether it is the layer's (``comparable``)."""
    rows = obs[
        (obs["indicator"] == spec.indicator) & (obs["unit_level"] == spec.level) & (obs["status"] != "synthetic")
    ]
    usable = indicators.usable(rows)
    other = rows.drop(index=usable.index)
    by_code: dict[str, list[dict]] = {}
    for r in other.itertuples():
        by_code.setdefault(r.gso_code, []).append(
            {
                "qualifier": r.qualifier,
                "value": float(r.value),
                "year": _year_or_none(r.year),
                "period": r.period,
                "status": r.status,
                "source": r.source,
                "standard": r.standard,
                "comparable": standard is None or r.standard == standard,
                "note": r.note,
            }
        )
    key = ID_COLUMN[spec.source]
    return [by_code.get(code, []) for code in gdf[key]]


def _isna(v) -> bool:
    try:
        return v is None or bool(v != v)
    except (TypeError, ValueError):
        return False


def unit_series(
    indicators_: tuple[str, ...], years: tuple[int, ...] | None = None, path: Path | str | None = None
) -> dict[str, dict[str, dict[str, dict[str, list[tuple[float | None, str | None]]]]]]:
    """Per level and unit, each indicator's values over ``years``, one series per poverty standard.

    ``{"district": {"617": {"poor_rate": {"2016-2020 multidimensional (…)": [(value, status), …],
    "2022-2025 (…)": […]}}}}`` — one list per standard (a chart draws each as its own
    line, never joined), one ``(value, status)`` per year of ``years`` (default: every
    year with a value), the best status per year, ``(None, None)`` where there is none.
    Indicators without a standard have one series keyed ``""``.  Every level of the
    observations but the province.
    """
    obs = read_source("observations", path)
    rows = indicators.usable(obs)
    rows = rows[rows["indicator"].isin(indicators_) & (rows["unit_level"] != "province") & rows["year"].notna()]
    if years is None:
        years = tuple(sorted({int(y) for y in rows["year"]}))
    rows = rows[rows["year"].isin(years)]
    rows = rows.assign(
        _rank=rows["status"].map(indicators.STATUS_RANK).fillna(9),
        std_label=rows["standard"].map(lambda x: x.strip() if isinstance(x, str) else ""),
    )
    rows = rows.sort_values(["_rank"], kind="stable").drop_duplicates(
        ["unit_level", "gso_code", "indicator", "std_label", "year"]
    )
    out: dict[str, dict[str, dict[str, dict[str, list]]]] = {}
    index = {y: i for i, y in enumerate(years)}
    for r in rows.itertuples():
        unit = out.setdefault(str(r.unit_level), {}).setdefault(str(r.gso_code), {})
        line = unit.setdefault(r.indicator, {}).setdefault(r.std_label, [(None, None)] * len(years))
        line[index[int(r.year)]] = (float(r.value), r.status)
    return out


# ------------------------------------------------------------ display geometry


def display_tolerance(path: Path | str | None = None) -> float:
    """Simplification tolerance (m) of the communes' display geometry: one screen pixel
    or so at the opening view, never under :data:`DISPLAY_TOLERANCE_M`.

    >>> display_tolerance()  # Kon Tum: about 150 km across
    150.0
    """
    x0, y0, x1, y1 = read_source("communes", path).to_crs(METRIC).total_bounds
    return max(DISPLAY_TOLERANCE_M, round(math.hypot(x1 - x0, y1 - y0) * DISPLAY_TOLERANCE_PER_EXTENT, -1))


def display_geometry(source: str, path: Path | str | None = None) -> gpd.GeoDataFrame:
    """Geometry for the web map: simplified, coordinates rounded to 5 decimals.

    Communes are simplified together with :func:`shapely.coverage_simplify`
    (in UTM 48N) so shared borders stay shared; districts are the union of
    the simplified communes, so they nest exactly; lines are simplified one
    by one (topology-preserving); points are only rounded.  Returns a
    GeoDataFrame with the source's id column and geometry (WGS84).
    """
    if source in UNIONS_OF_COMMUNES and UNIONS_OF_COMMUNES[source] in read_source("communes", path).columns:
        return _union_of_communes(source, path)
    gdf = read_source(source, path)
    key = ID_COLUMN.get(source)
    if source in ("provinces", "countries"):  # context only: clipped around Kon Tum
        x0, y0, x1, y1 = read_source("communes", path).total_bounds
        m = CONTEXT_MARGIN * 8
        view = shapely.box(x0 - m, y0 - m, x1 + m, y1 + m)
        gdf = gdf.assign(geometry=gdf.geometry.intersection(view))
    if source in ("communes", "communes_2025", "provinces", "countries"):
        metric = gdf.to_crs(METRIC)
        tol = display_tolerance(path)
        tol = tol if source in ("communes", "communes_2025") else tol * 8
        simple = shapely.coverage_simplify(metric.geometry.values, tol)
        geoms = gpd.GeoSeries(simple, crs=METRIC).to_crs(WGS84).values
    elif source in ("roads", "border"):
        if source == "roads":  # keep the roads of Kon Tum and its surroundings only
            x0, y0, x1, y1 = read_source("communes", path).total_bounds
            view = shapely.box(x0 - CONTEXT_MARGIN, y0 - CONTEXT_MARGIN, x1 + CONTEXT_MARGIN, y1 + CONTEXT_MARGIN)
            gdf = gdf.assign(geometry=gdf.geometry.intersection(view))
            gdf = gdf[~gdf.geometry.is_empty].reset_index(drop=True)
        geoms = gdf.to_crs(METRIC).geometry.simplify(LINE_TOLERANCE_M, preserve_topology=True)
        geoms = geoms.to_crs(WGS84).values
    else:
        geoms = gdf.geometry.values
    cols = {key: gdf[key]} if key else {c: gdf[c] for c in gdf.columns if c != gdf.geometry.name}
    return gpd.GeoDataFrame(cols, geometry=_round(geoms), crs=WGS84)


#: Polygon levels whose units are unions of whole 2020 communes, and the commune column naming
#: the unit: a district is its communes; a commune of 1 July 2025 is the 2020 communes merged into
#: it (NQ 1677/NQ-UBTVQH15 merges whole communes — the built 2025 polygons equal that union to
#: within 3 ppm of their area).
UNIONS_OF_COMMUNES = {"districts": "district_code", "communes_2025": "code_2025"}


def _union_of_communes(source: str, path: Path | str | None) -> gpd.GeoDataFrame:
    """The display geometry of ``source`` as the union of the simplified communes.

    So the units nest exactly in the communes drawn on the map (no slivers between
    a 2025 commune and its 2020 communes) and no vertex is sent that the communes
    do not already have.
    """
    column = UNIONS_OF_COMMUNES[source]
    communes = display_geometry("communes", path)
    units = read_source("communes", path)[["gso_code", column]]
    communes = communes.merge(units, on="gso_code")
    dissolved = communes.dissolve(by=column).reset_index()
    keep = set(read_source(source, path)[ID_COLUMN.get(source, "gso_code")])
    dissolved = dissolved[dissolved[column].isin(keep)]
    return gpd.GeoDataFrame(
        {"gso_code": dissolved[column].to_numpy()}, geometry=_round(dissolved.geometry.values), crs=WGS84
    )


def _round(geoms):
    """Coordinates rounded to :data:`DECIMALS`, then what rounding collapsed dropped.

    Rounding to about a metre can collapse a sliver part of a commune (23281
    Phường Quang Trung keeps a 1 m² part after simplification) into a ring of
    too few points, which GEOS and strict clients reject; such parts go, the
    rest of the geometry is untouched, so a coverage stays a coverage.
    """
    rounded = shapely.transform(geoms, lambda a: a.round(DECIMALS))
    return np.array([g if g is None or shapely.is_valid(g) else without_collapsed_parts(g) for g in rounded])


def without_collapsed_parts(geom: shapely.Geometry) -> shapely.Geometry:
    """``geom`` without the polygon parts (or line parts) that have no area (no length) left.

    >>> from shapely import wkt
    >>> g = wkt.loads("MULTIPOLYGON (((0 0, 1 0, 1 1, 0 0)), ((5 5, 6 5, 5 5, 5 5)))")
    >>> without_collapsed_parts(g).wkt
    'POLYGON ((0 0, 1 0, 1 1, 0 0))'
    """
    parts = shapely.get_parts(geom)
    if geom.geom_type in ("Polygon", "MultiPolygon"):
        kept = [p for p in parts if len(np.unique(shapely.get_coordinates(p.exterior), axis=0)) >= 3 and p.area > 0]
        return shapely.multipolygons(kept) if len(kept) > 1 else (kept[0] if kept else shapely.Polygon())
    if geom.geom_type in ("LineString", "MultiLineString"):
        kept = [p for p in parts if len(np.unique(shapely.get_coordinates(p), axis=0)) >= 2]
        return shapely.multilinestrings(kept) if len(kept) > 1 else (kept[0] if kept else shapely.LineString())
    return geom
