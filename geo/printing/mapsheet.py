"""One finished map sheet of a layer, as PDF or PNG bytes.

A planner's report needs a map that stands on its own: title block
(indicator, year, poverty standard), the layer drawn with the *same* classes
and colours as the web map legend (:mod:`geo.analysis.classify` and the layer
file, :mod:`geo.maplayers.layerspec`), legend with "no data", scale bar in km
(measured in UTM 48N), north arrow, district and international border lines
with their labels, the sources, the "dữ liệu minh họa / demo data" warning
when any drawn value is synthetic, and the data version and date.

:func:`parse_options` checks a request given as strings (the query string of
``GET /print`` or the CLI's arguments) and raises :class:`PrintError` naming
the bad parameter; :func:`render` draws the sheet.  The data are read through
one function, :func:`load_data`, that takes the GeoPackage path.

Rendering uses matplotlib's Agg (PNG) and PDF canvases on a plain
:class:`~matplotlib.figure.Figure` (no pyplot: safe in a server thread) with
the bundled DejaVu Sans, which carries the Vietnamese diacritics, embedded as
TrueType (``pdf.fonttype`` 42) so that text can be copied and searched.  The
same inputs give the same bytes: the PDF has no creation date and the PNG no
timestamp; the data version and date are printed as text instead.

Example
-------
>>> specs = layerspec.load_layers()                                  # doctest: +SKIP
>>> spec, opts = parse_options({"layer": "poor_rate", "year": "2020"}, specs, gpkg)  # doctest: +SKIP
>>> pdf = render(spec, opts, gpkg)                                    # doctest: +SKIP
>>> pdf[:5]                                                           # doctest: +SKIP
b'%PDF-'
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import itertools
import json
import math
import re
import textwrap
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import matplotlib
import numpy as np
import pandas as pd
import shapely
from matplotlib import patheffects
from matplotlib.figure import Figure
from matplotlib.patches import Polygon as PolygonPatch
from matplotlib.patches import Rectangle
from shapely.geometry import box
from shapely.ops import polylabel

from geo import cache, messages
from geo.analysis import classify
from geo.backends.base import Backend
from geo.crs import METRIC, WGS84
from geo.indicators import values as indicator_values
from geo.io import storage
from geo.maplayers import layerspec
from geo.printing import citations, fonts
from geo.uploads import versions

# Fonts: matplotlib's bundled DejaVu Sans (Vietnamese diacritics), embedded as TrueType
# so that pdftotext and readers find the words.  Set once for the process (rc_context
# would be undone under a concurrent render).
# DejaVu Sans reduced to the scripts of the sheets (geo.printing.fonts: subsetting the full font
# at every save was most of a profile's time); the full font stays the fallback.
matplotlib.rcParams["pdf.fonttype"] = 42
matplotlib.rcParams["ps.fonttype"] = 42
FONT = list(dict.fromkeys([fonts.printing_family(), fonts.SOURCE_FAMILY]))  # families, with fallback
matplotlib.rcParams["font.family"] = FONT
matplotlib.rcParams["svg.hashsalt"] = "kontum"

FORMATS = ("pdf", "png")
SIZES = {"A4": (297.0, 210.0), "A3": (420.0, 297.0)}  # landscape width × height, mm
ORIENTATIONS = ("landscape", "portrait")
LANGS = ("vi", "en")
DPI_DEFAULT, DPI_MIN, DPI_MAX = 150, 72, 300
MIME = {"pdf": "application/pdf", "png": "image/png"}
MM = 1 / 25.4  # inches per millimetre
PT_MM = 25.4 / 72  # millimetres per point
SIMPLIFY_M = 25.0  # print geometry tolerance (UTM metres): 0.03 mm on A4
MIN_BBOX_DEG = 0.01  # smallest extent a sheet shows (about 1 km)

# Colours shared with the web map (app/static/map/kontum-map.css and map_page).
COUNTRY_FILL = {"VNM": "#f7f5ef", "LAO": "#e9eef3", "KHM": "#eef0e6"}
NO_DATA_FILL, NO_DATA_HATCH = "#f4f4f4", "#9e9e9e"
DISTRICT_LINE, BORDER_LINE, DEMO_RED = "#263238", "#b71c1c", "#b71c1c"
KON_TUM = "62"  # GSO province code
LEVELS_POLYGON = ("communes", "districts")

# ------------------------------------------------------------------- wording
#
# Every string of the sheet is in the project's message catalogue (geo/messages.toml: [print],
# [print.scheme], [country]); TEXTS is the sheet's view of it, by language.

#: How the data word a poverty standard, and how a Vietnamese sheet says it (data made readable).
STANDARD_WORDS_VI = [
    ("2016-2020 multidimensional", "Đa chiều 2016–2020"),
    ("2022-2025 multidimensional", "Đa chiều 2022–2025"),
    ("2011-2015 income", "Thu nhập 2011–2015"),
    ("income standard", "chuẩn thu nhập"),
]


def _texts(lang: str) -> dict:
    out: dict = messages.section("print", lang)
    for key in [k for k in out if "." in k]:
        del out[key]
    out["schemes"] = messages.section("print.scheme", lang)
    out["countries"] = messages.section("country", lang)
    out["standards"] = STANDARD_WORDS_VI if lang == "vi" else []
    return out


TEXTS: dict[str, dict] = {lang: _texts(lang) for lang in LANGS}


def _cause(exc: Exception) -> str | messages.Message:
    """The :class:`~geo.messages.Message` an error carries (to nest in another), else its text."""
    first = exc.args[0] if exc.args else None
    return first if isinstance(first, messages.Message) else str(exc)


class PrintError(ValueError):
    """A bad print request; ``param`` names the parameter at fault."""

    def __init__(self, param: str, message: str | messages.Message):
        super().__init__(messages.Message("error.sheet.param", param=param, detail=message))
        self.param = param


@dataclass(frozen=True)
class SheetOptions:
    """What to print: a checked request (see :func:`parse_options`)."""

    layer: str
    year: int | None = None
    lang: str = "vi"
    size: str = "A4"
    orientation: str = "landscape"
    fmt: str = "pdf"
    dpi: int = DPI_DEFAULT
    bbox: tuple[float, float, float, float] | None = None
    scheme: str | None = None
    k: int | None = None
    breaks: tuple[float, ...] | None = None

    @property
    def page_mm(self) -> tuple[float, float]:
        """Page width and height in millimetres."""
        w, h = SIZES[self.size]
        return (w, h) if self.orientation == "landscape" else (h, w)


# ------------------------------------------------------------------ options


def parse_options(
    params: Mapping[str, str | None], specs: list[layerspec.LayerSpec], path: Path | str
) -> tuple[layerspec.LayerSpec, SheetOptions]:
    """Check a print request given as strings; raise :class:`PrintError` naming the bad one.

    Keys: ``layer`` (required), ``year``, ``level``, ``lang``, ``format``, ``size``,
    ``orientation``, ``dpi``, ``bbox`` (``minlon,minlat,maxlon,maxlat``, WGS84, must
    overlap the province), ``scheme``, ``k``, ``breaks`` (as the map legend accepts them).
    Missing or empty values take their defaults.
    """

    def get(key: str) -> str | None:
        v = params.get(key)
        return None if v is None or str(v).strip() == "" else str(v).strip()

    layer_id = get("layer")
    by_id = layerspec.by_id(specs)
    if layer_id is None:
        raise PrintError("layer", messages.Message("error.sheet.layer_missing", layers=", ".join(by_id)))
    if layer_id not in by_id:
        raise PrintError("layer", messages.Message("error.sheet.unknown_layer", got=layer_id, layers=", ".join(by_id)))
    spec = by_id[layer_id]
    year = _parse_year(spec, get("year"))
    level = get("level")
    if level is not None and level != spec.level:
        if spec.level:
            raise PrintError(
                "level", messages.Message("error.sheet.level_is", layer=spec.id, level=spec.level, got=level)
            )
        raise PrintError("level", messages.Message("error.sheet.level_none", layer=spec.id, got=level))
    lang = _choice("lang", get("lang") or "vi", LANGS)
    fmt = _choice("format", (get("format") or "pdf").lower(), FORMATS)
    size = _choice("size", (get("size") or "A4").upper(), tuple(SIZES))
    orientation = _choice("orientation", (get("orientation") or "landscape").lower(), ORIENTATIONS)
    dpi = _parse_dpi(get("dpi"))
    bbox = _parse_bbox(get("bbox"), province_bounds(path))
    scheme, k, breaks = _parse_classes(spec, get("scheme"), get("k"), get("breaks"))
    return spec, SheetOptions(spec.id, year, lang, size, orientation, fmt, dpi, bbox, scheme, k, breaks)


def _choice(param: str, value: str, allowed: tuple[str, ...]) -> str:
    if value not in allowed:
        raise PrintError(
            param, messages.Message("error.sheet.choice", param=param, got=value, expected=", ".join(allowed))
        )
    return value


def _parse_year(spec: layerspec.LayerSpec, raw: str | None) -> int | None:
    if raw is None:
        return spec.year
    try:
        year = int(raw)
    except ValueError:
        raise PrintError("year", messages.Message("error.sheet.year", got=raw)) from None
    try:
        return layerspec.check_year(spec, year)
    except layerspec.LayerDataError as exc:
        raise PrintError("year", _cause(exc)) from None


def _parse_dpi(raw: str | None) -> int:
    if raw is None:
        return DPI_DEFAULT
    if not raw.isdigit() or not DPI_MIN <= int(raw) <= DPI_MAX:
        raise PrintError("dpi", messages.Message("error.sheet.dpi", low=DPI_MIN, high=DPI_MAX, got=raw))
    return int(raw)


def _parse_bbox(raw: str | None, province: tuple[float, float, float, float]):
    if raw is None:
        return None
    try:
        parts = [float(p) for p in raw.split(",")]
    except ValueError:
        parts = []
    if len(parts) != 4 or not all(math.isfinite(p) for p in parts):
        raise PrintError("bbox", messages.Message("error.sheet.bbox_numbers", got=raw))
    x0, y0, x1, y1 = parts
    if not (-180 <= x0 < x1 <= 180 and -90 <= y0 < y1 <= 90):
        raise PrintError("bbox", messages.Message("error.sheet.bbox_order", got=raw))
    if x1 - x0 < MIN_BBOX_DEG or y1 - y0 < MIN_BBOX_DEG:
        raise PrintError("bbox", messages.Message("error.sheet.bbox_small", min=MIN_BBOX_DEG, got=raw))
    px0, py0, px1, py1 = province
    if x1 <= px0 or x0 >= px1 or y1 <= py0 or y0 >= py1:
        extent = f"{px0:.3f},{py0:.3f},{px1:.3f},{py1:.3f}"
        raise PrintError("bbox", messages.Message("error.sheet.bbox_outside", got=raw, extent=extent))
    return (x0, y0, x1, y1)


def _parse_classes(
    spec: layerspec.LayerSpec, scheme: str | None, raw_k: str | None, raw_breaks: str | None
) -> tuple[str | None, int | None, tuple[float, ...] | None]:
    """``scheme``, ``k`` and ``breaks`` checked the way the map legend checks them."""
    if spec.kind != "choropleth":
        for name, value in (("scheme", scheme), ("k", raw_k), ("breaks", raw_breaks)):
            if value is not None:
                raise PrintError(name, messages.Message("error.sheet.choropleth_only", layer=spec.id, kind=spec.kind))
        return None, None, None
    if scheme is not None and scheme not in classify.SCHEMES:
        raise PrintError(
            "scheme", messages.Message("error.sheet.scheme", got=scheme, expected=", ".join(classify.SCHEMES))
        )
    if raw_k and raw_breaks:
        raise PrintError("k", messages.Message("error.sheet.k_or_breaks"))
    k = breaks = None
    if raw_k:
        if not (raw_k.isdigit() and classify.MIN_K <= int(raw_k) <= classify.MAX_K):
            raise PrintError(
                "k", messages.Message("error.sheet.k_range", low=classify.MIN_K, high=classify.MAX_K, got=raw_k)
            )
        if scheme == "user_defined":
            raise PrintError("k", messages.Message("error.sheet.k_user_defined"))
        k = int(raw_k)
    if raw_breaks:
        if scheme not in (None, "user_defined"):
            raise PrintError("breaks", messages.Message("error.sheet.breaks_scheme", scheme=scheme))
        try:
            values = [float(b.strip().replace(",", ".")) for b in raw_breaks.split(";" if ";" in raw_breaks else ",")]
        except ValueError:
            raise PrintError("breaks", messages.Message("error.sheet.breaks_numbers", got=raw_breaks)) from None
        if not all(math.isfinite(v) for v in values):
            raise PrintError("breaks", messages.Message("error.sheet.breaks_finite"))
        if any(b <= a for a, b in itertools.pairwise(values)):
            raise PrintError("breaks", messages.Message("error.sheet.breaks_ascending", got=raw_breaks))
        if len(values) + 1 > classify.MAX_K:
            raise PrintError(
                "breaks",
                messages.Message("error.sheet.breaks_max", max=classify.MAX_K - 1, k=classify.MAX_K, got=len(values)),
            )
        breaks = tuple(values)
    if scheme == "user_defined" and not breaks and not spec.classification.breaks:
        raise PrintError("scheme", messages.Message("error.sheet.no_user_breaks", layer=spec.id))
    return scheme, k, breaks


# --------------------------------------------------------------------- data


@dataclass
class SheetData:
    """Everything a sheet draws, in UTM 48N (metres)."""

    frame: gpd.GeoDataFrame  # layerspec.layer_frame: the layer's units / works / lines
    communes: gpd.GeoDataFrame
    districts: gpd.GeoDataFrame
    border: gpd.GeoDataFrame
    countries: gpd.GeoDataFrame
    provinces: gpd.GeoDataFrame
    indicator: dict  # the catalogue row of the layer's indicator ({} for none)
    reference: list | None  # values of every year (classes across years), else None
    version: int  # dataset version (0: the base build)
    date: str  # the data's date (YYYY-MM-DD)
    key: tuple = ()  # (GeoPackage path, mtime): what cached results depend on


Source = Backend | Path | str
"""Where a sheet's data come from: a backend (the app's), or a GeoPackage path (the CLI)."""


def read_layer(name: str, path: Source) -> gpd.GeoDataFrame | pd.DataFrame:
    """One layer or table of the data: from the backend ``path``, or the GeoPackage at ``path``."""
    if isinstance(path, Backend):
        return path.read_layer(name)
    return storage.read_layer(name, path)


def data_version(path: Source) -> cache.Version:
    """The version of the data behind ``path`` (what cached print geometry is keyed by)."""
    return cache.version_of(path) if isinstance(path, Backend) else cache.file_version(path)


def province_bounds(path: Path | str) -> tuple[float, float, float, float]:
    """The province's extent (WGS84 lon/lat) from its communes."""
    x0, y0, x1, y1 = read_layer("communes", path).total_bounds
    return float(x0), float(y0), float(x1), float(y1)


def load_data(spec: layerspec.LayerSpec, year: int | None, path: Path | str) -> SheetData:
    """Read what the sheet of ``spec`` in ``year`` draws from the GeoPackage at ``path``.

    The one place the sheet reads data (so that it can later take a backend).
    """
    frame = layerspec.layer_frame(spec, year, path)
    key = layerspec.ID_COLUMN[spec.source]
    geoms = _geometry(spec.source, path).set_index(key).geometry
    frame = frame.set_geometry(gpd.GeoSeries(frame[key].map(geoms).values, crs=METRIC, index=frame.index))
    catalogue = read_layer("catalogue", path)
    info = {}
    if spec.indicator:
        rows = catalogue[catalogue["id"] == spec.indicator]
        info = {k: (None if _isna(v) else v) for k, v in rows.iloc[0].items()} if len(rows) else {}
    reference = None
    cls = spec.classification
    if cls is not None and cls.across_years and len(spec.years) > 1 and spec.indicator:
        obs = read_layer("observations", path)
        reference = []
        for y in spec.years:
            reference += indicator_values.values(obs, spec.indicator, spec.level, y)["value"].tolist()
    version, date = _data_version(path)
    return SheetData(
        frame=frame,
        communes=_geometry("communes", path),
        districts=_geometry("districts", path),
        border=_geometry("border", path),
        countries=_geometry("countries", path),
        provinces=_geometry("provinces", path),
        indicator=info,
        reference=reference,
        version=version,
        date=date,
        key=tuple(data_version(path)),
    )


#: Print geometry and classes (:mod:`geo.cache`), per data version: a few dozen entries.
PRINT = cache.partition("print", max_bytes=128 * 1024 * 1024, max_entries=64)


def _remember(path: Source, key: tuple, make):
    """``make()`` once per ``key`` and version of the data behind ``path``."""
    return PRINT.get_or_make(data_version(path), key, make)


def _geometry(name: str, path: Path | str) -> gpd.GeoDataFrame:
    """A source layer in UTM 48N, simplified far below what print shows (cached per file version)."""

    def make():
        gdf = read_layer(name, path)
        if name == "countries":  # Natural Earth countries: only around the province
            x0, y0, x1, y1 = read_layer("communes", path).total_bounds
            view = box(x0 - 1.5, y0 - 1.5, x1 + 1.5, y1 + 1.5)
            gdf = gdf.assign(geometry=gdf.geometry.intersection(view))
        out = gdf.to_crs(METRIC)
        simple = shapely.simplify(out.geometry.values, SIMPLIFY_M, preserve_topology=True)
        return out.set_geometry(gpd.GeoSeries(simple, crs=METRIC, index=out.index))

    return _remember(path, ("geometry", name), make).copy()


def dataset_version(path: Source) -> tuple[int, str]:
    """The dataset version (0: the base build) and its date (YYYY-MM-DD) of the data behind ``path``."""
    return _data_version(path)


def _data_version(path: Source) -> tuple[int, str]:
    """Dataset version and date of the data: the version's manifest, else the file's date."""
    if isinstance(path, Backend):
        number = path.versions.current()
        if not number:
            return 0, ""
        return number, str(path.versions.get(number).manifest.get("created", ""))[:10]
    path = Path(path)
    try:
        manifest = json.loads((path.parent / versions.MANIFEST).read_text(encoding="utf-8"))
        return int(manifest["version"]), str(manifest["created"])[:10]
    except (OSError, ValueError, KeyError, TypeError):
        stamp = dt.datetime.fromtimestamp(path.stat().st_mtime, dt.UTC)
        return 0, stamp.date().isoformat()


def _isna(v) -> bool:
    """None, NaN or pandas' NA."""
    try:
        return bool(pd.isna(v))
    except (TypeError, ValueError):  # a list or array: not missing
        return False


# ------------------------------------------------------------------ classes


def sheet_classes(spec: layerspec.LayerSpec, data: SheetData, opts: SheetOptions) -> classify.Classes:
    """The classes of a choropleth, as the web map legend makes them (same scheme, k, breaks)."""
    cls = spec.classification
    own_breaks = list(opts.breaks) if opts.breaks else list(cls.breaks)
    chosen = opts.scheme or ("user_defined" if opts.breaks else cls.scheme)
    values = data.frame["value"].tolist()
    key = ("classes", spec.id, opts.year, chosen, opts.k or cls.k, tuple(own_breaks))
    try:
        if not data.key:
            return classify.classify(values, chosen, opts.k or cls.k, own_breaks, data.reference)
        return PRINT.get_or_make(
            cache.Version(*data.key),
            key,
            lambda: classify.classify(values, chosen, opts.k or cls.k, own_breaks, data.reference),
        )
    except classify.ClassifyError as exc:
        raise PrintError("breaks" if chosen == "user_defined" else "k", _cause(exc)) from None


@dataclass
class Legend:
    """What the legend lists and the colour of each feature of the frame."""

    rows: list[dict]  # {"label", "color", "count", "symbol": fill|outline|point|line}
    no_data: int
    colors: list[str | None]
    classes: classify.Classes | None = None


def make_legend(spec: layerspec.LayerSpec, data: SheetData, opts: SheetOptions) -> Legend:
    """Legend rows and feature colours: the web map's (layer_payload) for each kind of layer."""
    frame = data.frame
    unit = data.indicator.get("unit")
    if spec.kind == "choropleth":
        classes = sheet_classes(spec, data, opts)
        rows = [
            {
                "label": e["label"] + ("%" if unit == "%" else ""),
                "color": e["color"],
                "count": e["count"],
                "symbol": "fill",
            }
            for e in classes.legend(spec.palette, opts.lang)
        ]
        return Legend(rows, classes.n_missing, classes.color_of(spec.palette), classes)
    if spec.kind == "categorical":
        by_value = {c.value: c for c in spec.categories}
        n_first = int((frame["category"] == spec.categories[0].value).sum())
        symbol = "outline" if spec.display == "outline" else "fill"
        rows = [
            {
                "label": c.label(opts.lang).replace("{n}", str(n_first)),
                "color": c.color,
                "count": int((frame["category"] == c.value).sum()),
                "symbol": symbol,
            }
            for c in spec.categories
        ]
        colors = [by_value[c].color if c in by_value else None for c in frame["category"]]
        n_none = int(frame["category"].isna().sum()) if spec.display == "fill" else 0
        return Legend(rows, n_none, colors)
    symbol = "point" if spec.kind == "points" else "line"
    color = spec.color or "#333333"
    return Legend(
        [{"label": spec.title(opts.lang), "color": color, "count": len(frame), "symbol": symbol}],
        0,
        [color] * len(frame),
    )


# --------------------------------------------------------------------- text


def standard_label(text: str, lang: str) -> str:
    """A poverty standard as worded in the data, in the sheet's language.

    >>> standard_label("2016-2020 multidimensional (QĐ 59/2015/QĐ-TTg)", "vi")
    'Đa chiều 2016–2020 (QĐ 59/2015/QĐ-TTg)'
    """
    for old, new in TEXTS[lang]["standards"]:
        text = text.replace(old, new)
    return text


def _unique(values) -> list[str]:
    return list(dict.fromkeys(str(v) for v in values if not _isna(v) and str(v).strip()))


def sheet_texts(spec: layerspec.LayerSpec, opts: SheetOptions, data: SheetData, drawn: np.ndarray) -> dict[str, object]:
    """Title, subtitle, standards, sources, demo count and version line of the sheet."""
    t = TEXTS[opts.lang]
    rows = data.frame[drawn]
    title = spec.title(opts.lang) + (f" — {opts.year}" if opts.year is not None else "")
    standards = [standard_label(s, opts.lang) for s in _unique(rows["standard"])] if spec.indicator else []
    parts = [t["province"]]
    if spec.indicator:
        name = data.indicator.get("name_en" if opts.lang == "en" else "name_vi") or spec.indicator
        parts.append(t["indicator"].format(name=name))
    if opts.year is not None:
        parts.append(t["year"].format(year=opts.year))
    if standards:
        parts.append(t["standard"].format(standard="; ".join(standards)))
    sources = []
    for s in _unique(rows["source"]):
        sources += citations.split_sources(s)
    base = [t["base_sources"]] + ([t["roads_source"]] if spec.source == "roads" else [])
    n_syn = int((rows["status"] == "synthetic").sum())
    version = t["base_build"] if data.version == 0 else t["version_n"].format(n=data.version)
    return {
        "title": title,
        "subtitle": " · ".join(parts),
        "standards": standards,
        "sources": _unique(sources),
        "base_sources": base,
        "n_synthetic": n_syn,
        "version": t["version"].format(version=version, date=data.date, digest=_digest(rows)),
        "note": spec.note(opts.lang).replace("{n}", str(int(data.frame["value"].notna().sum()))),
    }


def _digest(rows) -> str:
    """A short fingerprint of the drawn values (unit, value, status): same data, same digest."""
    cols = [
        c for c in ("gso_code", "work_id", "road_id", "country", "value", "status", "category") if c in rows.columns
    ]
    text = rows[cols].astype(str).to_csv(index=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:8]


def sheet_filename(spec: layerspec.LayerSpec, opts: SheetOptions, data: SheetData) -> str:
    """``poor_rate_2020_2016-2020-multidimensional_vi.pdf``: layer, year, standard, language."""
    parts = [spec.id, str(opts.year) if opts.year is not None else "all"]
    standards = _unique(data.frame["standard"]) if spec.indicator else []
    if standards:
        parts.append(_slug(standards[0]))
    parts.append(opts.lang)
    return "_".join(p for p in parts if p) + "." + opts.fmt


def _slug(text: str) -> str:
    """ASCII file-name part: "2016-2020 multidimensional (QĐ 59/2015)" → "2016-2020-multidimensional"."""
    text = text.split("(")[0]
    text = unicodedata.normalize("NFKD", text.replace("đ", "d").replace("Đ", "D"))
    text = text.encode("ascii", "ignore").decode("ascii").lower()
    return re.sub(r"[^a-z0-9]+", "-", text).strip("-")[:40].strip("-")


def _wrap(text: str, width_mm: float, size_pt: float) -> list[str]:
    """Lines of ``text`` that fit ``width_mm`` at ``size_pt`` (DejaVu Sans: ~0.56 em a character)."""
    chars = max(8, int(width_mm / (size_pt * PT_MM * 0.56)))
    return textwrap.wrap(text, chars, break_long_words=True, break_on_hyphens=False) or [""]


# ------------------------------------------------------------------- render


@dataclass(frozen=True)
class Layout:
    """Boxes of the sheet in millimetres from the bottom-left corner: (x, y, w, h)."""

    page: tuple[float, float]
    scale: float  # type size relative to A4
    title: tuple[float, float, float, float]
    map: tuple[float, float, float, float]
    panels: tuple[tuple[float, float, float, float], ...]  # legend column(s)
    footer: tuple[float, float, float, float]


def layout(opts: SheetOptions, demo: bool) -> Layout:
    """Where the title, map, legend and footer go on the page."""
    w, h = opts.page_mm
    s = 1.0 if opts.size == "A4" else 1.25
    m = 10 * s
    title_h = (17 + (9 if demo else 0)) * s
    footer_h = 6 * s
    top = h - m - title_h
    bottom = m + footer_h
    if opts.orientation == "landscape":
        panel_w = 80 * s
        map_box = (m, bottom, w - 2 * m - panel_w - 5 * s, top - bottom - 2 * s)
        panels = ((w - m - panel_w, bottom, panel_w, top - bottom - 2 * s),)
    else:
        panel_h = 88 * s
        map_box = (m, bottom + panel_h + 4 * s, w - 2 * m, top - bottom - panel_h - 6 * s)
        col = (w - 2 * m - 6 * s) / 2
        panels = ((m, bottom, col, panel_h), (m + col + 6 * s, bottom, col, panel_h))
    return Layout(
        page=(w, h),
        scale=s,
        title=(m, top, w - 2 * m, title_h),
        map=map_box,
        panels=panels,
        footer=(m, m, w - 2 * m, footer_h),
    )


def render(spec: layerspec.LayerSpec, opts: SheetOptions, path: Path | str) -> bytes:
    """The sheet of ``spec`` as PDF or PNG bytes (``opts.fmt``); same inputs, same bytes."""
    return render_sheet(spec, opts, load_data(spec, opts.year, path))


def render_sheet(spec: layerspec.LayerSpec, opts: SheetOptions, data: SheetData) -> bytes:
    """Draw the sheet from loaded data (see :func:`render`)."""
    legend = make_legend(spec, data, opts)
    view = _view(opts, data)
    drawn = _drawn(spec, data, legend, view)
    texts = sheet_texts(spec, opts, data, drawn)
    demo = texts["n_synthetic"] > 0
    lay = layout(opts, demo)
    w, h = lay.page
    fig = Figure(figsize=(w * MM, h * MM), dpi=opts.dpi if opts.fmt == "png" else 72)
    fig.patch.set_facecolor("white")
    page = fig.add_axes((0, 0, 1, 1))
    page.set_xlim(0, w)
    page.set_ylim(0, h)
    page.set_axis_off()
    _title_block(page, lay, texts, demo, opts)
    ax = fig.add_axes((lay.map[0] / w, lay.map[1] / h, lay.map[2] / w, lay.map[3] / h))
    _draw_map(ax, spec, data, legend, opts, _fit(view, lay.map), lay.scale)
    _panel(page, lay, spec, legend, texts, opts)
    _footer(page, lay, texts, opts)
    out = io.BytesIO()
    title = texts["title"]
    if opts.fmt == "pdf":
        fig.savefig(
            out,
            format="pdf",
            metadata={"CreationDate": None, "ModDate": None, "Title": title, "Creator": TEXTS[opts.lang]["made"]},
        )
    else:
        fig.savefig(out, format="png", dpi=opts.dpi, metadata={"Title": title, "Software": "geo.printing"})
    return out.getvalue()


def _view(opts: SheetOptions, data: SheetData) -> tuple[float, float, float, float]:
    """The extent to show (UTM metres): the request's bbox, else the province with a margin."""
    if opts.bbox is not None:
        outline = gpd.GeoSeries([box(*opts.bbox).segmentize(0.01)], crs=WGS84).to_crs(METRIC)
        x0, y0, x1, y1 = outline.total_bounds
        return float(x0), float(y0), float(x1), float(y1)
    x0, y0, x1, y1 = data.communes.total_bounds
    mx, my = (x1 - x0) * 0.03, (y1 - y0) * 0.03
    return float(x0 - mx), float(y0 - my), float(x1 + mx), float(y1 + my)


def _fit(view, box_mm) -> tuple[float, float, float, float]:
    """``view`` widened in one direction to the map box's proportions (no distortion)."""
    x0, y0, x1, y1 = view
    ratio = box_mm[2] / box_mm[3]
    vw, vh = x1 - x0, y1 - y0
    if vw / vh < ratio:
        grow = (vh * ratio - vw) / 2
        return x0 - grow, y0, x1 + grow, y1
    grow = (vw / ratio - vh) / 2
    return x0, y0 - grow, x1, y1 + grow


def _drawn(spec: layerspec.LayerSpec, data: SheetData, legend: Legend, view) -> np.ndarray:
    """Which rows of the frame are drawn with a value inside the view."""
    frame = data.frame
    inside = frame.geometry.intersects(box(*view)).to_numpy()
    if spec.kind in ("choropleth", "categorical"):
        has = np.array([c is not None for c in legend.colors])
        return inside & has
    return inside


def _text(ax, x, y, s, size, scale=1.0, **kw):
    kw.setdefault("fontfamily", FONT)
    return ax.text(x, y, s, fontsize=size * scale, **kw)


def _halo_text(ax, x, y, s, size, scale=1.0, zorder=12, **kw) -> None:
    """Text with a white halo.  The halo is a stroked copy underneath: text drawn with path
    effects becomes outlines, which pdftotext and readers could not find."""
    _text(
        ax,
        x,
        y,
        s,
        size,
        scale,
        zorder=zorder - 0.5,
        color="white",
        path_effects=[patheffects.Stroke(linewidth=2.4, foreground="white")],
        **{k: v for k, v in kw.items() if k != "color"},
    )
    _text(ax, x, y, s, size, scale, zorder=zorder, **kw)


def _title_block(page, lay: Layout, texts: dict, demo: bool, opts: SheetOptions) -> None:
    x, y, w, h = lay.title
    s = lay.scale
    top = y + h
    _text(page, x, top - 6.5 * s, texts["title"], 15, s, fontweight="bold", color="#1a1a1a")
    for i, line in enumerate(_wrap(texts["subtitle"], w, 9 * s)[:2]):
        _text(page, x, top - (12 + 4.2 * i) * s, line, 9, s, color="#37474f")
    if demo:
        t = TEXTS[opts.lang]
        bh = 8 * s
        page.add_patch(Rectangle((x, y + 0.5 * s), w, bh, facecolor="#fdecea", edgecolor=DEMO_RED, linewidth=1.2))
        _text(
            page,
            x + 3 * s,
            y + 0.5 * s + bh / 2,
            "⚠ " + t["demo"],
            10,
            s,
            fontweight="bold",
            color=DEMO_RED,
            va="center",
        )
        note = t["demo_note"].format(n=texts["n_synthetic"])
        size = 7 if len(_wrap(note, w - 72 * s, 7 * s)) == 1 else 6.3
        lines = _wrap(note, w - 72 * s, size * s)[:2]
        for i, line in enumerate(lines):
            off = (len(lines) - 1) / 2 - i
            _text(page, x + 68 * s, y + 0.5 * s + bh / 2 + off * 2.9 * s, line, size, s, color="#5d1010", va="center")


def _draw_map(
    ax, spec: layerspec.LayerSpec, data: SheetData, legend: Legend, opts: SheetOptions, view, s: float
) -> None:
    """The map frame: context, the layer, boundaries, labels, scale bar and north arrow."""
    t = TEXTS[opts.lang]
    x0, y0, x1, y1 = view
    ax.set_xlim(x0, x1)
    ax.set_ylim(y0, y1)
    ax.set_aspect("equal")
    ax.set_xticks([])
    ax.set_yticks([])
    ax.set_facecolor("#fafafa")
    for sp in ax.spines.values():
        sp.set_linewidth(0.8)
        sp.set_color("#37474f")
    _draw_context(ax, data)
    if spec.kind in ("choropleth", "categorical"):
        _draw_areas(ax, spec, data.frame, legend)
    _draw_boundaries(ax, data)
    _draw_features(ax, spec, data.frame, s)
    corner = _scale_corner(view, data)
    _draw_labels(ax, data, view, s, opts.lang, corner)
    ax.set_xlabel("")
    ax.set_ylabel("")
    _scale_bar(ax, view, s, t, opts.lang, corner)
    _north_arrow(ax, view, s, t)


def _draw_context(ax, data: SheetData) -> None:
    """Neighbouring countries and provinces, and the communes as a white base."""
    for code, geom in zip(data.countries["ADM0_A3"], data.countries.geometry.values):
        _fill(ax, geom, COUNTRY_FILL.get(code, "#eeeeee"), "#9e9e9e", 0.5, 1)
    others = data.provinces[data.provinces["gso_province_code"] != KON_TUM]
    gpd.GeoSeries(others.geometry.values).boundary.plot(
        ax=ax, color="#8d8d8d", linewidth=0.5, linestyle=(0, (4, 3)), zorder=2
    )
    _fill_many(ax, data.communes.geometry.values, ["#ffffff"] * len(data.communes), "#c7c7c7", 0.25, 3)


def _draw_areas(ax, spec: layerspec.LayerSpec, frame, legend: Legend) -> None:
    """Choropleth and categorical units in their legend colours; "no data" hatched."""
    geoms = frame.geometry.values
    has = [c is not None for c in legend.colors]
    shown = [g for g, k in zip(geoms, has) if k]
    colors = [c for c in legend.colors if c]
    if spec.display == "outline":
        gpd.GeoSeries(shown).boundary.plot(ax=ax, color=colors, linewidth=(spec.weight or 2) * 0.6, zorder=6)
        return
    # opaque: on paper the units carry exactly the legend's colours (the web map lets the
    # basemap show through with fill_opacity)
    _fill_many(ax, shown, colors, "#ffffff", 0.3, 4)
    missing = [g for g, k in zip(geoms, has) if not k]
    if missing:
        gpd.GeoSeries(missing).plot(
            ax=ax, facecolor=NO_DATA_FILL, edgecolor=NO_DATA_HATCH, hatch="////", linewidth=0.3, zorder=4
        )


def _draw_boundaries(ax, data: SheetData) -> None:
    """District lines, the province outline and the international border (dashed red)."""
    data.districts.boundary.plot(ax=ax, color=DISTRICT_LINE, linewidth=0.8, zorder=7)
    province = shapely.union_all(data.districts.geometry.values)
    gpd.GeoSeries([province]).boundary.plot(ax=ax, color=DISTRICT_LINE, linewidth=1.6, zorder=7)
    data.border.plot(ax=ax, color=BORDER_LINE, linewidth=1.8, linestyle=(0, (6, 3)), zorder=8)


def _draw_features(ax, spec: layerspec.LayerSpec, frame, s: float) -> None:
    """Points (works) and lines (roads, district lines …) in the layer's own style."""
    color = spec.color or "#333333"
    if spec.kind == "points":
        pts = frame.geometry
        ax.scatter(pts.x, pts.y, s=18 * s, color=color, edgecolor="white", linewidth=0.6, zorder=10)
    elif spec.kind == "lines" and spec.source != "border":  # the border is always drawn
        lines = frame.geometry.boundary if spec.source in LEVELS_POLYGON else frame.geometry
        lines.plot(ax=ax, color=color, linewidth=(spec.weight or 2) * 0.5, linestyle=_dash(spec.dash), zorder=9)


SCALE_BOX = (0.36, 0.13)  # the scale bar's corner, share of the map width, height


def _scale_box(view, corner: str):
    """The corner of the map the scale bar takes (``left`` or ``right``, at the bottom)."""
    x0, y0, x1, y1 = view
    w, h = (x1 - x0) * SCALE_BOX[0], (y1 - y0) * SCALE_BOX[1]
    return box(x0, y0, x0 + w, y0 + h) if corner == "left" else box(x1 - w, y0, x1, y0 + h)


def _scale_corner(view, data: SheetData) -> str:
    """The bottom corner that hides less of the province."""
    province = shapely.union_all(data.districts.geometry.values)
    return min(("left", "right"), key=lambda c: _scale_box(view, c).intersection(province).area)


def _draw_labels(ax, data: SheetData, view, s: float, lang: str, corner: str = "left") -> None:
    """District names, and the neighbouring countries and provinces, clear of scale bar and arrow."""
    t = TEXTS[lang]
    x0, y0, x1, y1 = view
    w, h = x1 - x0, y1 - y0
    corners = shapely.union_all([_scale_box(view, corner), box(x1 - w * 0.12, y1 - h * 0.22, x1, y1)])  # north arrow
    frame = box(*view).difference(corners)
    style = {"ha": "center", "va": "center", "clip_on": True}
    for name, geom in zip(data.districts["name"], data.districts.geometry.values):
        pt = _label_point(geom, frame, 0.0, 0.004, 200)
        if pt is not None:
            _halo_text(
                ax,
                pt.x,
                pt.y,
                _district_label(name, lang),
                7.5,
                s,
                color="#102027",
                fontweight="bold",
                zorder=12,
                **style,
            )
    for code, geom in zip(data.countries["ADM0_A3"], data.countries.geometry.values):
        pt = None if code == "VNM" else _label_point(geom, frame, w * 0.02, 0.01, 500)
        if pt is not None:
            _halo_text(
                ax,
                pt.x,
                pt.y,
                t["countries"].get(code, code),
                12,
                s,
                color="#546e7a",
                fontstyle="italic",
                zorder=12,
                **style,
            )
    others = data.provinces[data.provinces["gso_province_code"] != KON_TUM]
    for name, geom in zip(others["name"], others.geometry.values):
        pt = _label_point(geom, frame, w * 0.03, 0.015, 500)
        if pt is not None:
            _halo_text(ax, pt.x, pt.y, _province_label(name, lang), 7.5, s, color="#78909c", zorder=11, **style)


def _label_point(geom, frame, inset: float, min_share: float, tolerance: float):
    """Where to write a unit's label: the middle of its largest visible part, or None if too little shows."""
    room = frame.buffer(-inset) if inset else frame
    part = geom.intersection(room)
    if part.is_empty or part.area < frame.area * min_share:
        return None
    return polylabel(_largest(part), tolerance=tolerance)


def _largest(geom):
    """The largest polygon of a (multi)polygon."""
    parts = list(getattr(geom, "geoms", [geom]))
    polys = [p for p in parts if p.geom_type == "Polygon"] or [geom.convex_hull]
    return max(polys, key=lambda p: p.area)


def _district_label(name: str, lang: str) -> str:
    """ "Huyện Đắk Glei" → "Đắk Glei"; "Thành phố Kon Tum" → "TP Kon Tum" (city: "Kon Tum city")."""
    name = str(name)
    if name.startswith("Thành phố "):
        rest = name[len("Thành phố ") :]
        return f"TP {rest}" if lang == "vi" else f"{rest} city"
    return name.replace("Huyện ", "", 1)


def _province_label(name: str, lang: str) -> str:
    """ "Tỉnh Gia Lai" → "Gia Lai"; "Thành phố Đà Nẵng" → "TP Đà Nẵng" ("Da Nang city" style in English)."""
    name = str(name).replace("Tỉnh ", "", 1)
    if name.startswith("Thành phố "):
        rest = name[len("Thành phố ") :]
        return f"TP {rest}" if lang == "vi" else f"{rest} city"
    return name


def _dash(dash: str | None):
    if not dash:
        return "solid"
    nums = [float(x) * 0.5 for x in dash.replace(",", " ").split() if x]
    return (0, tuple(nums)) if nums else "solid"


def _fill(ax, geom, face, edge, lw, z) -> None:
    if geom is None or geom.is_empty:
        return
    gpd.GeoSeries([geom]).plot(ax=ax, facecolor=face, edgecolor=edge, linewidth=lw, zorder=z)


def _fill_many(ax, geoms, faces, edge, lw, z) -> None:
    if len(geoms) == 0:
        return
    gpd.GeoSeries(list(geoms)).plot(ax=ax, color=list(faces), edgecolor=edge, linewidth=lw, zorder=z)


def _nice_length(width_m: float) -> float:
    """A round scale-bar length (km) near a fifth of the map width.

    >>> _nice_length(180_000), _nice_length(40_000)
    (50, 10)
    """
    target = width_m / 1000 / 5
    for v in (0.5, 1, 2, 5, 10, 20, 25, 50, 100, 200, 500):
        if v >= target * 0.7:
            return v
    return 500.0


def _scale_bar(ax, view, s: float, t: dict, lang: str, corner: str = "left") -> None:
    """Four alternating segments, labels 0, half, full length in km (true lengths: UTM metres)."""
    x0, y0, x1, y1 = view
    km = _nice_length(x1 - x0)
    length = km * 1000
    by = y0 + (y1 - y0) * 0.045
    bx = x0 + (x1 - x0) * 0.04 if corner == "left" else x1 - (x1 - x0) * 0.07 - length
    bh = (y1 - y0) * 0.009
    pad = (x1 - x0) * 0.012
    ax.add_patch(
        Rectangle(
            (bx - pad, by - bh * 1.2 - pad * 0.4),
            length + 2 * pad + (x1 - x0) * 0.03,
            bh * 5.2 + pad,
            facecolor="white",
            edgecolor="none",
            alpha=0.85,
            zorder=13,
        )
    )
    for i in range(4):
        ax.add_patch(
            Rectangle(
                (bx + i * length / 4, by),
                length / 4,
                bh,
                facecolor="#263238" if i % 2 == 0 else "white",
                edgecolor="#263238",
                linewidth=0.6,
                zorder=14,
            )
        )
    for frac in (0, 0.5, 1):
        label = classify.format_number(km * frac, lang)
        _text(ax, bx + length * frac, by + bh * 1.6, label, 7, s, ha="center", va="bottom", zorder=15, color="#263238")
    _text(
        ax,
        bx + length + (x1 - x0) * 0.008,
        by + bh / 2,
        t["km"],
        7,
        s,
        ha="left",
        va="center",
        zorder=15,
        color="#263238",
    )


def _north_arrow(ax, view, s: float, t: dict) -> None:
    """An arrow to true north (UTM 48N grid north is turned by the meridian convergence)."""
    x0, y0, x1, y1 = view
    cx, cy = x1 - (x1 - x0) * 0.055, y1 - (y1 - y0) * 0.11
    centre = gpd.GeoSeries([shapely.Point(cx, cy)], crs=METRIC).to_crs(WGS84).iloc[0]
    north = gpd.GeoSeries([shapely.Point(centre.x, centre.y + 0.1)], crs=WGS84).to_crs(METRIC).iloc[0]
    angle = math.atan2(north.x - cx, north.y - cy)
    size = (y1 - y0) * 0.055
    ux, uy = math.sin(angle), math.cos(angle)
    px, py = uy, -ux
    tip = (cx + ux * size, cy + uy * size)
    tail = (cx - ux * size * 0.55, cy - uy * size * 0.55)
    notch = (cx - ux * size * 0.25, cy - uy * size * 0.25)
    left = (tail[0] - px * size * 0.45, tail[1] - py * size * 0.45)
    right = (tail[0] + px * size * 0.45, tail[1] + py * size * 0.45)
    ax.add_patch(
        PolygonPatch([tip, left, notch], closed=True, facecolor="white", edgecolor="#263238", linewidth=0.8, zorder=14)
    )
    ax.add_patch(
        PolygonPatch(
            [tip, notch, right], closed=True, facecolor="#263238", edgecolor="#263238", linewidth=0.8, zorder=14
        )
    )
    _halo_text(
        ax,
        tip[0] + ux * size * 0.3,
        tip[1] + uy * size * 0.3,
        t["north"],
        10,
        s,
        ha="center",
        va="bottom",
        fontweight="bold",
        color="#263238",
        zorder=15,
    )


def _panel(page, lay: Layout, spec: layerspec.LayerSpec, legend: Legend, texts: dict, opts: SheetOptions) -> None:
    """Legend (classes, no data, base lines, note), then the sources, in one or two columns."""
    t = TEXTS[opts.lang]
    s = lay.scale
    x, y, w, h = lay.panels[0]
    cur = y + h
    cur = _line(page, x, cur, t["legend"], 11, s, fontweight="bold")
    title = spec.title(opts.lang) + (f" — {opts.year}" if opts.year is not None else "")
    for line in _wrap(title, w, 8.5 * s):
        cur = _line(page, x, cur, line, 8.5, s, fontweight="bold", color="#263238")
    cur -= 1 * s
    sw, sh = 7 * s, 4.2 * s
    for row in legend.rows:
        _swatch(page, x, cur - sh, sw, sh, row)
        label = f"{row['label']}  ({row['count']})"
        _text(page, x + sw + 2.5 * s, cur - sh / 2, label, 8, s, va="center", color="#1a1a1a")
        cur -= sh + 1.4 * s
    if legend.no_data:
        page.add_patch(
            Rectangle(
                (x, cur - sh), sw, sh, facecolor=NO_DATA_FILL, edgecolor=NO_DATA_HATCH, hatch="////", linewidth=0.4
            )
        )
        _text(
            page,
            x + sw + 2.5 * s,
            cur - sh / 2,
            f"{t['no_data']}  ({legend.no_data})",
            8,
            s,
            va="center",
            color="#1a1a1a",
        )
        cur -= sh + 1.4 * s
    if legend.classes is not None:
        c = legend.classes
        line = t["classes"].format(scheme=t["schemes"].get(c.scheme, c.scheme), k=c.k)
        if spec.classification.across_years and len(spec.years) > 1:
            line += "; " + t["across_years"]
        for part in _wrap(line, w, 7 * s):
            cur = _line(page, x, cur, part, 7, s, color="#546e7a")
    cur -= 2 * s
    for label, style in (
        (t["district_line"], {"color": DISTRICT_LINE, "linewidth": 0.8}),
        (t["province_line"], {"color": DISTRICT_LINE, "linewidth": 1.6}),
        (t["border_line"], {"color": BORDER_LINE, "linewidth": 1.8, "linestyle": (0, (6, 3))}),
    ):
        page.plot([x, x + sw], [cur - sh / 2] * 2, solid_capstyle="butt", **style)
        _text(page, x + sw + 2.5 * s, cur - sh / 2, label, 8, s, va="center", color="#1a1a1a")
        cur -= sh + 0.8 * s
    if texts["note"] and spec.kind != "lines":
        cur -= 1 * s
        for part in _wrap(texts["note"], w, 7 * s)[:4]:
            cur = _line(page, x, cur, part, 7, s, color="#546e7a")
    if len(lay.panels) > 1:
        x, y, w, h = lay.panels[1]
        cur = y + h
    else:
        cur -= 3 * s
    cur = _line(page, x, cur, t["sources"], 9, s, fontweight="bold")
    lines = _bullets(texts["sources"], w, s)
    base = _bullets(texts["base_sources"], w, s)  # always shown, last
    step = 6 * s * PT_MM * 1.3
    room = max(0, int((cur - y) / step) - len(base))
    if len(lines) > room:
        rest = len(lines) - (room - 1)
        lines = lines[: max(0, room - 1)] + [t["more_sources"].format(n=rest)]
    for line in lines + base:
        cur = _line(page, x, cur, line, 6, s, color="#37474f", gap=1.3)


def _bullets(items: list[str], w: float, s: float) -> list[str]:
    """Source lines: a bullet per item, wrapped to the column."""
    lines: list[str] = []
    for src in items:
        wrapped = _wrap(src, w - 2.5 * s, 6 * s)
        lines += ["• " + wrapped[0]] + ["  " + p for p in wrapped[1:]]
    return lines


def _line(page, x, cur, text, size, s, gap=1.35, **kw) -> float:
    """Write one line below ``cur`` (mm) and return the new cursor."""
    step = size * s * PT_MM * gap
    _text(page, x, cur - step * 0.8, text, size, s, va="baseline", **kw)
    return cur - step


def _swatch(page, x, y, w, h, row: dict) -> None:
    if row["symbol"] == "point":
        page.scatter([x + w / 2], [y + h / 2], s=18, color=row["color"], edgecolor="white", linewidth=0.6)
    elif row["symbol"] == "line":
        page.plot([x, x + w], [y + h / 2] * 2, color=row["color"], linewidth=1.6)
    elif row["symbol"] == "outline":
        page.add_patch(Rectangle((x, y), w, h, facecolor="white", edgecolor=row["color"], linewidth=1.6))
    else:
        page.add_patch(Rectangle((x, y), w, h, facecolor=row["color"], edgecolor="#9e9e9e", linewidth=0.4))


def _footer(page, lay: Layout, texts: dict, opts: SheetOptions) -> None:
    x, y, w, h = lay.footer
    s = lay.scale
    page.plot([x, x + w], [y + h - 1 * s] * 2, color="#b0bec5", linewidth=0.5)
    _text(page, x, y + 1 * s, texts["version"], 7, s, color="#37474f")
    _text(
        page,
        x + w,
        y + 1 * s,
        f"{TEXTS[opts.lang]['made']} · {TEXTS[opts.lang]['crs']}",
        7,
        s,
        ha="right",
        color="#37474f",
    )
