"""Unit profiles: one A4 page per commune, district or 2025 commune, many in one PDF.

A planner briefing on a commune needs one sheet: where it is (a locator
map), its figures with year, poverty standard, status and source, its
poverty series (one line per standard: figures under different standards are
never joined), its programme status (Program 135, 30a district, new-rural),
the works in it, its 2025 commune, its distance to the international border
and to the main roads (UTM 48N), and the quality flag of its boundary.  Every
document cited is one numbered reference with the sections cited; references
that do not fit go on to a continuation page, never left out.

:func:`check_request` checks a level and codes (raising :class:`ProfileError`
naming the parameter); :func:`render_profiles` draws the pages.  The level is
a parameter (:data:`LEVELS`: ``commune``, ``district``, ``commune_2025``), so
a new level is a row of that table.  Data come through
:func:`geo.printing.mapsheet.read_layer`: a backend (the app's) or a
GeoPackage path (the CLI).  Same inputs, same bytes (no creation date); the
fonts and text embedding are the map sheet's (DejaVu Sans, TrueType), so
pdftotext finds the Vietnamese words.

Example
-------
>>> pdf = render_profiles(["23368"], "commune", gpkg)          # doctest: +SKIP
>>> pdf[:5]                                                     # doctest: +SKIP
b'%PDF-'
"""

from __future__ import annotations

import io
import re
import textwrap
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from matplotlib.backends.backend_pdf import PdfPages
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import PathPatch, Rectangle
from matplotlib.path import Path as MplPath
from matplotlib.transforms import Affine2D

from geo import cache, messages
from geo.analysis import query
from geo.crs import METRIC
from geo.indicators import values as indicator_values
from geo.messages import Message
from geo.printing import mapsheet
from geo.printing.citations import References

#: level → (layer, observation level, GSO code pattern)
LEVELS: dict[str, tuple[str, str, str]] = {
    "commune": ("communes", "commune", r"[0-9]{5}"),
    "district": ("districts", "district", r"[0-9]{3}"),
    "commune_2025": ("communes_2025", "commune_2025", r"[0-9]{5}"),
}
LANGS = ("vi", "en")
MAX_UNITS = 120  # pages in one PDF (every commune of the province fits)
PAGE_MM = (210.0, 297.0)
MM = 1 / 25.4
SIMPLIFY_M = 60.0  # locator map geometry tolerance (metres): far below what 70 mm shows
LOCATOR_MM = (58.0, 63.0)  # the locator map (Kon Tum is taller than wide); the facts beside it set the height
REFERENCE_SIZES = (5.6, 5.0)  # points: the sources block shrinks to fit before it goes on to a second page
LINE_MM = 0.45  # line spacing of the references, mm per point of type size

#: Figures shown, in this order, when the unit has them.
INDICATORS = (
    "poor_rate",
    "near_poor_rate",
    "poor_households",
    "near_poor_households",
    "households",
    "population_2019",
    "population_density_2019",
    "em_poor_rate",
    "road_village_hardened_pct",
    "road_commune_hardened_pct",
    "ntm_criteria_met",
    "remoteness_road_mean_km",
    "remoteness_power_mean_km",
)
SERIES = ("poor_rate", "near_poor_rate")
PROGRAMMES = ("p135_2016", "p135_2017_2020", "ntm_recognised", "poor_district_30a")
SERIES_COLOURS = {"poor_rate": "#b71c1c", "near_poor_rate": "#1565c0"}
STANDARD_MARKERS = ("o", "s", "^", "D")


def _texts(lang: str) -> dict:
    """The page's words in ``lang`` from the catalogue (``print.profile``); ``head`` as a tuple."""
    out = messages.tree("print.profile", lang)
    out["head"] = tuple(out["head"][f"c{i}"] for i in range(1, len(out["head"]) + 1))
    return out


TEXTS: dict[str, dict] = {lang: _texts(lang) for lang in LANGS}
STATUS = {lang: messages.section("status", lang) for lang in LANGS}
COUNTRIES = {lang: messages.section("country", lang) for lang in LANGS}
UNITS = {lang: messages.section("unit", lang) for lang in LANGS}


class ProfileError(ValueError):
    """A bad profile request; ``param`` names the parameter at fault."""

    def __init__(self, param: str, message: str | Message):
        super().__init__(Message("error.profile.param", param=param, detail=message))
        self.param = param


# ------------------------------------------------------------------ request


def check_level(level: str | None) -> str:
    """``level`` or the default ``commune``; :class:`ProfileError` for an unknown one."""
    level = level or "commune"
    if level not in LEVELS:
        raise ProfileError("level", Message("error.profile.level", got=level, expected=", ".join(LEVELS)))
    return level


def check_request(codes: Sequence[str], level: str | None, source: mapsheet.Source) -> tuple[list[str], str]:
    """The codes (deduplicated, in order) and level of a request, each checked against the data.

    >>> check_request([], "commune", None)
    Traceback (most recent call last):
    ...
    geo.printing.profile.ProfileError: code: give at least one unit code
    """
    level = check_level(level)
    codes = list(dict.fromkeys(str(c).strip() for c in codes if str(c).strip()))
    if not codes:
        raise ProfileError("code", Message("error.profile.no_code"))
    if len(codes) > MAX_UNITS:
        raise ProfileError("code", Message("error.profile.too_many", max=MAX_UNITS, got=len(codes)))
    layer, _, pattern = LEVELS[level]
    for code in codes:
        if not re.fullmatch(pattern, code):
            digits = pattern.split("{")[1].rstrip("}")
            raise ProfileError("code", Message("error.profile.malformed", level=level, got=code, digits=digits))
    try:
        units = mapsheet.read_layer(layer, source)
    except (KeyError, ValueError, FileNotFoundError) as exc:
        raise ProfileError("level", Message("error.profile.no_layer", layer=layer, reason=str(exc))) from None
    known = set(units["gso_code"].astype(str))
    missing = [c for c in codes if c not in known]
    if missing:
        raise ProfileError("code", Message("error.profile.no_unit", level=level, codes=", ".join(missing)))
    return codes, level


def border_codes(source: mapsheet.Source) -> list[str]:
    """The GSO codes of the border communes (``on_border``), in code order."""
    communes = mapsheet.read_layer("communes", source)
    return sorted(communes.loc[communes["on_border"].astype(bool), "gso_code"].astype(str))


# --------------------------------------------------------------------- data


@dataclass
class Context:
    """What every profile page of one data version draws from (cached)."""

    units: dict[str, gpd.GeoDataFrame]  # level → units (WGS84 attributes, metric simplified geometry)
    distances: dict[str, pd.DataFrame]  # level → border (LAO, KHM, any) and roads km, by gso_code
    districts: gpd.GeoDataFrame  # metric, simplified
    border: gpd.GeoDataFrame  # metric
    obs: pd.DataFrame
    catalogue: pd.DataFrame
    works: pd.DataFrame
    version: tuple[int, str]  # dataset version (0: the base build) and its date
    paths: dict  # locator map: "base" (communes), "districts", "border" as matplotlib paths
    obs_by_unit: dict  # (observation level, gso_code) → the unit's usable observations


#: Profile contexts (:mod:`geo.cache`), one per data version.
PROFILES = cache.partition("profiles", max_bytes=128 * 1024 * 1024, max_entries=8)


def context(source: mapsheet.Source) -> Context:
    """The profile context of the data behind ``source`` (made once per data version)."""
    return PROFILES.get_or_make(mapsheet.data_version(source), ("context",), lambda: _make_context(source))


def _metric(gdf: gpd.GeoDataFrame, tolerance: float = SIMPLIFY_M) -> gpd.GeoDataFrame:
    out = gdf.to_crs(METRIC)
    return out.set_geometry(
        gpd.GeoSeries(
            shapely.simplify(out.geometry.values, tolerance, preserve_topology=True), crs=METRIC, index=out.index
        )
    )


def _make_context(source: mapsheet.Source) -> Context:
    border = mapsheet.read_layer("border", source)
    roads = mapsheet.read_layer("roads", source)
    border_m = border.to_crs(METRIC)
    roads_m = shapely.union_all(roads.to_crs(METRIC).geometry.values)
    units, distances = {}, {}
    for level, (layer, _, _) in LEVELS.items():
        try:
            gdf = mapsheet.read_layer(layer, source)
        except (KeyError, ValueError, FileNotFoundError):
            continue
        exact = query.metric_geoms(gdf)
        d = query.border_distances(gdf, border, exact)
        d["roads"] = shapely.distance(exact, roads_m) / 1000.0
        d.index = gdf["gso_code"].astype(str).to_numpy()
        distances[level] = d
        units[level] = _metric(gdf)
    works = mapsheet.read_layer("works", source)
    districts = _metric(mapsheet.read_layer("districts", source))
    base = units.get("commune", districts)
    obs = indicator_values.usable(mapsheet.read_layer("observations", source))
    paths = {
        "base": geometry_path(base.geometry.values),
        "districts": geometry_path(districts.geometry.boundary.values),
        "border": geometry_path(border_m.geometry.values),
    }
    by_unit = {key: part for key, part in obs.groupby([obs["unit_level"], obs["gso_code"].astype(str)])}
    return Context(
        units=units,
        distances=distances,
        districts=districts,
        border=border_m,
        obs=obs,
        catalogue=mapsheet.read_layer("catalogue", source).set_index("id"),
        works=pd.DataFrame(works.drop(columns=works.geometry.name)) if hasattr(works, "geometry") else works,
        version=mapsheet.dataset_version(source),
        paths=paths,
        obs_by_unit=by_unit,
    )


# ------------------------------------------------------------------- a unit


@dataclass
class Unit:
    """One unit's page content, language-independent where it can be."""

    level: str
    code: str
    row: dict
    geometry: object
    figures: list[dict]  # indicator, value, unit, year, standard, status, source
    series: dict[str, pd.DataFrame]  # indicator → its rows (year, value, standard, status)
    programmes: list[tuple[str, bool | None, int | None]]  # indicator, listed, year
    works: pd.DataFrame
    distances: dict
    members: list[str]  # 2025 commune: former communes; district: its communes


def _member_codes(ctx: Context, level: str, row: dict) -> list[str]:
    if level == "commune_2025":
        return [c.strip() for c in str(row.get("member_gso_codes_2020") or "").split(",") if c.strip()]
    if level == "district" and "commune" in ctx.units:
        communes = ctx.units["commune"]
        return list(communes.loc[communes["district_code"].astype(str) == row["gso_code"], "gso_code"].astype(str))
    return [row["gso_code"]]


def _catalogue(ctx: Context, indicator: str, key: str) -> str:
    if indicator in ctx.catalogue.index:
        v = ctx.catalogue.at[indicator, key]
        return "" if v is None or (isinstance(v, float) and np.isnan(v)) else str(v)
    return ""


def _latest(rows: pd.DataFrame) -> pd.DataFrame:
    """Per indicator, the latest year's row of the best status (as :func:`geo.indicators.values.values`)."""
    rows = rows.assign(_rank=rows["status"].map(indicator_values.STATUS_RANK).fillna(9))
    rows = rows.sort_values(["indicator", "year", "_rank"], ascending=[True, False, True], na_position="last")
    return rows.drop_duplicates("indicator").set_index("indicator")


def unit_data(ctx: Context, level: str, code: str) -> Unit:
    """Everything the page of one unit shows."""
    units = ctx.units[level]
    at = units.index[units["gso_code"].astype(str) == code][0]
    row = {k: v for k, v in units.loc[at].items() if k != "geometry"}
    row["gso_code"] = str(row["gso_code"])
    obs_level = LEVELS[level][1]
    mine = ctx.obs_by_unit.get((obs_level, code), ctx.obs.iloc[:0])
    figures = []
    best = _latest(mine[mine["indicator"].isin(INDICATORS)])
    for ind in INDICATORS:
        if ind in best.index:
            r = best.loc[ind]
            figures.append(
                {
                    "indicator": ind,
                    "value": float(r["value"]),
                    "unit": str(r.get("unit") or _catalogue(ctx, ind, "unit")),
                    "year": None if pd.isna(r["year"]) else int(r["year"]),
                    "standard": "" if pd.isna(r["standard"]) else str(r["standard"]),
                    "status": str(r["status"]),
                    "source": str(r["source"] or ""),
                }
            )
    series = {ind: indicator_values.series(mine, ind, obs_level, code) for ind in SERIES}
    programmes = []
    for ind in PROGRAMMES:
        if ind == "poor_district_30a":
            dcode = code if level == "district" else str(row.get("district_code") or "")
            rows = ctx.obs[(ctx.obs["indicator"] == ind) & (ctx.obs["unit_level"] == "district")]
            if not dcode or not len(rows):
                continue
            have = rows[rows["gso_code"].astype(str) == dcode]
        else:
            rows = ctx.obs[(ctx.obs["indicator"] == ind) & (ctx.obs["unit_level"] == "commune")]
            if not len(rows) or level != "commune":
                continue
            have = rows[rows["gso_code"].astype(str) == code]
        listed = bool(len(have)) and bool(pd.to_numeric(have["value"], errors="coerce").fillna(1).iloc[0] != 0)
        year = have["year"].iloc[0] if len(have) else rows["year"].iloc[0]
        programmes.append((ind, listed, None if pd.isna(year) else int(year)))
    members = _member_codes(ctx, level, row)
    works = ctx.works
    if level == "district":
        mine_w = works[works["district_code"].astype(str) == code]
    else:
        mine_w = works[works["gso_code"].astype(str).isin(members)]
    return Unit(
        level,
        code,
        row,
        units.loc[at, "geometry"],
        figures,
        series,
        programmes,
        mine_w.sort_values(["year", "work_id"], na_position="last"),
        ctx.distances[level].loc[code].to_dict(),
        members,
    )


# ------------------------------------------------------------------ drawing


def _fmt(value: float, lang: str, digits: int | None = None) -> str:
    """A number the way the language writes it: ``1.234,5`` (vi), ``1,234.5`` (en).

    >>> _fmt(1234.5, "vi", 1), _fmt(1234.5, "en", 1), _fmt(3.0, "vi")
    ('1.234,5', '1,234.5', '3')
    """
    if digits is None:
        digits = 0 if float(value).is_integer() else (2 if abs(value) < 10 else 1)
    text = f"{value:,.{digits}f}"
    return text.replace(",", "\x00").replace(".", ",").replace("\x00", ".") if lang == "vi" else text


def _text(ax, x, y, s, size, **kw):
    kw.setdefault("fontfamily", mapsheet.FONT)
    return ax.text(x, y, s, fontsize=size, **kw)


def _wrap(text: str, width_mm: float, size: float) -> list[str]:
    chars = max(6, int(width_mm / (size * 25.4 / 72 * 0.52)))
    return textwrap.wrap(str(text), chars, break_long_words=True) or [""]


def _name(ctx: Context, indicator: str, lang: str) -> str:
    return _catalogue(ctx, indicator, "name_en" if lang == "en" else "name_vi") or indicator


def _unit_text(unit: str, lang: str) -> str:
    return unit if unit in ("%", "") else UNITS[lang].get(unit, unit)


def _facts(page, ctx: Context, u: Unit, lang: str, x: float, top: float, w: float) -> float:
    t = TEXTS[lang]
    rows: list[tuple[str, str]] = []
    r = u.row
    if u.level == "commune":
        rows.append((t["district"], str(r.get("district_name") or t["none"])))
        rows.append((t["unit_2025"], f"{r.get('name_2025') or t['none']} ({r.get('code_2025') or ''})"))
    if u.level == "district":
        rows.append((t["n_communes"], str(int(r.get("n_communes") or len(u.members)))))
    if u.level == "commune_2025":
        names = ctx.units.get("commune")
        if names is not None:
            by = dict(zip(names["gso_code"].astype(str), names["name"]))
            rows.append((t["members"], ", ".join(f"{by.get(c, c)} ({c})" for c in u.members)))
    if r.get("area_km2") is not None and not pd.isna(r.get("area_km2")):
        rows.append((t["area"], f"{_fmt(float(r['area_km2']), lang, 1)} km²"))
    d = u.distances
    border = f"{_fmt(float(d['any']), lang, 1)} km"
    if float(d["any"]) == 0.0:
        countries = [c for c in ("LAO", "KHM") if float(d.get(c, np.inf)) == 0.0]
        border += " — " + t["on_border"].format(countries=", ".join(COUNTRIES[lang][c] for c in countries))
    else:
        near = min(("LAO", "KHM"), key=lambda c: float(d.get(c, np.inf)))
        border += f" ({COUNTRIES[lang][near]})"
    rows.append((t["border"], border))
    rows.append((t["roads"], f"{_fmt(float(d['roads']), lang, 1)} km"))
    rows.append((t["quality"], _quality(ctx, u, lang)))
    for ind, listed, year in u.programmes:
        label = _name(ctx, ind, lang)
        rows.append((label, (t["listed"] if listed else t["not_listed"]) + (f" ({year})" if year else "")))
    cur = top
    _text(page, x, cur, t["facts"], 10, fontweight="bold", va="top")
    cur -= 6
    for key, value in rows:
        key_lines = _wrap(key, 38, 7.5)
        lines = _wrap(value, w - 42, 7.5)
        for i in range(max(len(key_lines), len(lines))):
            if i < len(key_lines):
                _text(page, x, cur, key_lines[i], 7.5, color="#455a64", va="top")
            if i < len(lines):
                _text(page, x + 42, cur, lines[i], 7.5, color="#1a1a1a", va="top")
            cur -= 3.6
        cur -= 0.6
    return cur


def _quality(ctx: Context, u: Unit, lang: str) -> str:
    flags = TEXTS[lang]["quality_flags"]
    if u.level == "commune":
        return flags.get(str(u.row.get("quality_flag")), str(u.row.get("quality_flag")))
    communes = ctx.units.get("commune")
    if communes is None:
        return TEXTS[lang]["none"]
    of = communes[communes["gso_code"].astype(str).isin(u.members)]["quality_flag"].astype(str).value_counts()
    return "; ".join(f"{flags.get(k, k)}: {int(n)}" for k, n in sorted(of.items()))


def geometry_path(geoms: Iterable[shapely.Geometry | None]) -> MplPath:
    """Polygons (rings closed) and lines of ``geoms`` as one matplotlib path: one artist, fast to draw.

    >>> from shapely.geometry import box
    >>> geometry_path([box(0, 0, 1, 1)]).vertices.shape
    (5, 2)
    """
    verts: list[np.ndarray] = []
    codes: list[np.ndarray] = []

    def add(coords, closed: bool) -> None:
        xy = np.asarray(coords, dtype=float)[:, :2]
        if len(xy) < 2:
            return
        c = np.full(len(xy), MplPath.LINETO, dtype=np.uint8)
        c[0] = MplPath.MOVETO
        if closed:
            c[-1] = MplPath.CLOSEPOLY
        verts.append(xy)
        codes.append(c)

    for geom in geoms:
        if geom is None or geom.is_empty:
            continue
        for part in getattr(geom, "geoms", [geom]):
            if part.geom_type == "Polygon":
                add(part.exterior.coords, True)
                for ring in part.interiors:
                    add(ring.coords, True)
            elif part.geom_type in ("LineString", "LinearRing"):
                add(part.coords, False)
    if not verts:
        return MplPath(np.zeros((0, 2)))
    return MplPath(np.concatenate(verts), np.concatenate(codes))


def _locator(fig, ctx: Context, u: Unit, box_mm) -> None:
    w, h = PAGE_MM
    ax = fig.add_axes((box_mm[0] / w, box_mm[1] / h, box_mm[2] / w, box_mm[3] / h))
    ax.set_aspect("equal")
    ax.set_xticks([])
    ax.set_yticks([])
    for sp in ax.spines.values():
        sp.set_color("#90a4ae")
        sp.set_linewidth(0.6)
    # add_artist, not add_patch: the view is set below, and add_patch would walk every vertex for the limits
    ax.add_artist(PathPatch(ctx.paths["base"], facecolor="#f5f5f5", edgecolor="#cfd8dc", linewidth=0.2))
    ax.add_artist(PathPatch(ctx.paths["districts"], facecolor="none", edgecolor="#546e7a", linewidth=0.5))
    ax.add_artist(PathPatch(geometry_path([u.geometry]), facecolor="#e53935", edgecolor="#7f0000", linewidth=0.6))
    ax.add_artist(
        PathPatch(ctx.paths["border"], facecolor="none", edgecolor="#b71c1c", linewidth=1.0, linestyle=(0, (4, 2)))
    )
    x0, y0, x1, y1 = ctx.districts.total_bounds
    ratio = box_mm[2] / box_mm[3]
    cx, cy, vw, vh = (x0 + x1) / 2, (y0 + y1) / 2, (x1 - x0) * 1.06, (y1 - y0) * 1.06
    vw, vh = max(vw, vh * ratio), max(vh, vw / ratio)
    ax.set_xlim(cx - vw / 2, cx + vw / 2)
    ax.set_ylim(cy - vh / 2, cy + vh / 2)


def _figures(
    page, ctx: Context, u: Unit, lang: str, notes: References, x: float, top: float, w: float
) -> tuple[float, int]:
    t = TEXTS[lang]
    cols = (0, 62, 86, 98, 150, 170)  # mm from x
    cur = top
    _text(page, x, cur, t["indicators"], 10, fontweight="bold", va="top")
    cur -= 6
    for c, head in zip(cols, t["head"]):
        _text(page, x + c, cur, head, 7, fontweight="bold", color="#37474f", va="top")
    cur -= 3.2
    page.plot([x, x + w], [cur, cur], color="#b0bec5", linewidth=0.5)
    cur -= 1.2
    n_syn = 0
    for f in u.figures:
        unit = _unit_text(f["unit"], lang)
        value = _fmt(f["value"], lang) + (f" {unit}" if unit and unit != "%" else unit)
        std = mapsheet.standard_label(f["standard"], lang) if f["standard"] else "—"
        std_lines = _wrap(std, 50, 6.5)[:2]
        syn = f["status"] == "synthetic"
        n_syn += syn
        colour = "#b71c1c" if syn else "#1a1a1a"
        cells = (
            _wrap(_name(ctx, f["indicator"], lang), 60, 7)[0],
            value,
            str(f["year"] or "—"),
            None,
            STATUS[lang].get(f["status"], f["status"]),
            "[" + notes.number(f["source"]) + "]",
        )
        for c, cell in zip(cols, cells):
            if cell is not None:
                _text(page, x + c, cur, cell, 7, color=colour if c in (62, 150) else "#1a1a1a", va="top")
        for i, line in enumerate(std_lines):
            _text(page, x + cols[3], cur - i * 2.8, line, 6.5, color="#37474f", va="top")
        cur -= 3.4 + 2.8 * (len(std_lines) - 1) + 0.6
    return cur, n_syn


def _series(fig, ctx: Context, u: Unit, lang: str, box_mm) -> None:
    """One line per (indicator, standard): a change of standard breaks the line."""
    t = TEXTS[lang]
    w, h = PAGE_MM
    ax = fig.add_axes((box_mm[0] / w, box_mm[1] / h, box_mm[2] / w, box_mm[3] / h))
    standards = sorted({s for df in u.series.values() for s in df["standard"].dropna().astype(str)})
    drawn = False
    for ind, df in u.series.items():
        if df.empty:
            continue
        for k, std in enumerate(standards):
            part = df[df["standard"].astype(str) == std].sort_values("year")
            if part.empty:
                continue
            syn = (part["status"] == "synthetic").any()
            label = f"{_name(ctx, ind, lang)} — {mapsheet.standard_label(std, lang)}"
            label += f" ({STATUS[lang]['synthetic']})" if syn else ""
            ax.plot(
                part["year"].astype(int),
                part["value"].astype(float),
                color=SERIES_COLOURS.get(ind, "#333333"),
                marker=STANDARD_MARKERS[k % len(STANDARD_MARKERS)],
                markersize=3.5,
                linewidth=1.2,
                linestyle="--" if syn else "-",
                label=label,
            )
            drawn = True
    title = "\n".join(_wrap(t["series"], box_mm[2] + 5, 8))  # not into the works column beside it
    ax.set_title(title, fontsize=8, loc="left", fontfamily=mapsheet.FONT)
    ax.tick_params(labelsize=6.5)
    ax.grid(True, color="#eceff1", linewidth=0.5)
    for sp in ("top", "right"):
        ax.spines[sp].set_visible(False)
    if drawn:
        ax.yaxis.set_major_formatter(lambda v, _: _fmt(v, lang, 0) + "%")
        ax.xaxis.get_major_locator().set_params(integer=True)
        ax.legend(
            loc="upper left",
            bbox_to_anchor=(-0.08, -0.1),
            frameon=False,
            prop={"family": mapsheet.FONT, "size": 5.8},
        )
    else:
        ax.set_xticks([])
        ax.set_yticks([])
        ax.text(0.5, 0.5, t["no_series"], ha="center", va="center", fontsize=7, transform=ax.transAxes)


def _works(page, u: Unit, lang: str, notes: References, x: float, top: float, w: float, bottom: float) -> float:
    t = TEXTS[lang]
    cur = top
    _text(page, x, cur, t["works"], 10, fontweight="bold", va="top")
    cur -= 6
    if u.works.empty:
        _text(page, x, cur, t["no_works"], 7, color="#546e7a", va="top")
        return cur - 4
    shown = 0
    for _, wk in u.works.iterrows():
        name = wk.get("name_en" if lang == "en" else "name_vi") or wk.get("name_vi")
        bits = [str(int(wk["year"]))] if not pd.isna(wk.get("year")) else []
        if not pd.isna(wk.get("households")):
            bits.append(t["households"].format(n=_fmt(float(wk["households"]), lang, 0)))
        if not pd.isna(wk.get("budget_million_vnd")):
            bits.append(t["budget"].format(n=_fmt(float(wk["budget_million_vnd"]), lang)))
        bits.append("[" + notes.number(wk.get("source") or "") + "]")
        lines = _wrap(f"• {name}", w, 7)[:2] + _wrap("  " + " · ".join(bits), w, 6.5)[:1]
        if cur - 3.2 * len(lines) < bottom:
            break
        for i, line in enumerate(lines):
            _text(page, x, cur, line, 7 if i < len(lines) - 1 else 6.5, color="#1a1a1a", va="top")
            cur -= 3.2
        cur -= 0.8
        shown += 1
    if shown < len(u.works):
        _text(page, x, cur, t["more_works"].format(n=len(u.works) - shown), 6.5, color="#546e7a", va="top")
        cur -= 3.2
    return cur


def _reference_lines(k: int, entry: str, w: float, size: float) -> list[str]:
    return [line if j == 0 else "     " + line for j, line in enumerate(_wrap(f"[{k}] {entry}", w, size))]


def _references(page, entries: list[tuple[int, str]], x: float, top: float, w: float, bottom: float, sizes=None):
    """Draw the numbered references ``(number, text)`` from ``top`` down to ``bottom`` in the
    largest of ``sizes`` (default :data:`REFERENCE_SIZES`) at which all fit; at the smallest,
    the whole references that fit, returning the others for a continuation page — a reference
    is never left out or cut in two."""
    sizes = sizes or REFERENCE_SIZES
    for size in sizes:
        blocks = [_reference_lines(k, entry, w, size) for k, entry in entries]
        if sum(map(len, blocks)) * size * LINE_MM <= top - bottom:
            break
    cur = top
    for n, block in enumerate(blocks):
        if cur - len(block) * size * LINE_MM < bottom:
            return entries[n:]
        for line in block:
            _text(page, x, cur, line, size, color="#37474f", va="top")
            cur -= size * LINE_MM
    return []


def _version(ctx: Context, lang: str) -> str:
    """``Dữ liệu: bản dựng gốc (phiên bản 0), ngày 2026-12-01`` — the map sheet's wording."""
    words = mapsheet.TEXTS[lang]
    number, date = ctx.version
    version = words["base_build"] if number == 0 else words["version_n"].format(n=number)
    return words["version"].format(version=version, date=date, digest="").rsplit(" · ", 1)[0]


class _Sheet:
    """A page in millimetres drawn straight on the figure: the text, rules and boxes of a
    profile need no axes (an axes' ticks and clearing were a tenth of a page's time)."""

    def __init__(self, fig: Figure, w: float, h: float):
        self.fig = fig
        self.mm = Affine2D().scale(1 / w, 1 / h) + fig.transFigure

    def text(self, x: float, y: float, s: str, **kw):
        return self.fig.text(x, y, s, transform=self.mm, **kw)

    def plot(self, xs, ys, **kw) -> None:
        self.fig.add_artist(Line2D(xs, ys, transform=self.mm, **kw))

    def add_patch(self, patch) -> None:
        patch.set_transform(self.mm)
        self.fig.add_artist(patch)


def _page(w: float, h: float) -> tuple[Figure, _Sheet]:
    fig = Figure(figsize=(w * MM, h * MM), dpi=72)
    fig.patch.set_facecolor("white")
    return fig, _Sheet(fig, w, h)


def _footer(page, ctx: Context, lang: str, w: float, m: float, label: str) -> None:
    page.plot([m, w - m], [m + 3.5, m + 3.5], color="#b0bec5", linewidth=0.5)
    _text(page, m, m, f"{_version(ctx, lang)} · {TEXTS[lang]['made']}", 6, color="#546e7a")
    _text(page, w - m, m, label, 6, color="#546e7a", ha="right")


def page_figure(ctx: Context, u: Unit, lang: str, i: int, n: int) -> list[Figure]:
    """The A4 portrait page of one unit, and a continuation page when its references do not fit."""
    t = TEXTS[lang]
    w, h = PAGE_MM
    fig, page = _page(w, h)
    m = 12.0
    notes = References()
    name = str(u.row.get("name") or u.code)
    _text(page, m, h - m, t["kind"][u.level], 9, color="#546e7a", fontweight="bold", va="top")
    _text(page, m, h - m - 5, name, 17, fontweight="bold", va="top")
    sub = [t["code"].format(code=u.code)]
    if u.level == "commune" and u.row.get("district_name"):
        sub.append(str(u.row["district_name"]))
    sub.append(t["province_2025"] if u.level == "commune_2025" else t["province"])
    _text(page, m, h - m - 13.5, " · ".join(sub), 8.5, color="#37474f", va="top")
    top = h - m - 21
    # figures first (they decide the demo banner), drawn below the facts row
    facts_bottom = _facts(page, ctx, u, lang, m, top, 118)
    _locator(fig, ctx, u, (w - m - LOCATOR_MM[0], top - LOCATOR_MM[1], *LOCATOR_MM))
    _text(page, w - m - LOCATOR_MM[0], top + 1.2, t["locator"], 7, color="#546e7a", va="bottom")
    cur = min(facts_bottom, top - LOCATOR_MM[1] - 2) - 3
    cur, n_syn = _figures(page, ctx, u, lang, notes, m, cur, w - 2 * m)
    chart_top = cur - 3
    chart_h = 48
    _series(fig, ctx, u, lang, (m + 9, chart_top - chart_h + 14, 100, chart_h - 20))
    _works(page, u, lang, notes, m + 118, chart_top, w - 2 * m - 118, chart_top - chart_h - 2)
    cur = chart_top - chart_h - 1
    if n_syn or any((df["status"] == "synthetic").any() for df in u.series.values()):
        page.add_patch(Rectangle((m, cur - 6), w - 2 * m, 6, facecolor="#fdecea", edgecolor="#b71c1c", linewidth=0.8))
        _text(page, m + 2, cur - 3, t["demo"], 7, color="#b71c1c", fontweight="bold", va="center")
        cur -= 9
    _text(page, m, cur, t["sources"], 8, fontweight="bold", va="top")
    rest = _references(page, list(enumerate(notes.entries(), start=1)), m, cur - 4, w - 2 * m, m + 6)
    label = t["page"].format(i=i, n=n)
    _footer(page, ctx, lang, w, m, label)
    pages = [fig]
    while rest:  # continuation pages until every reference is printed
        more, page = _page(w, h)
        _text(page, m, h - m, f"{t['kind'][u.level]} · {name}", 9, color="#546e7a", fontweight="bold", va="top")
        _text(page, m, h - m - 6, t["sources_continued"], 8, fontweight="bold", va="top")
        left = _references(page, rest, m, h - m - 11, w - 2 * m, m + 6, sizes=(7.0,))
        if left == rest:  # a reference longer than a page (a pasted text): its start, cut at the page edge
            _references(page, rest[:1], m, h - m - 11, w - 2 * m, -float("inf"), sizes=(7.0,))
            left = rest[1:]
        rest = left
        _footer(page, ctx, lang, w, m, t["page_continued"].format(page=label))
        pages.append(more)
    return pages


def render_profiles(codes: Sequence[str], level: str | None, source: mapsheet.Source, lang: str = "vi") -> bytes:
    """The profiles of ``codes`` (one page each, in order) as one PDF; same inputs, same bytes."""
    if lang not in LANGS:
        raise ProfileError("lang", Message("error.profile.lang", got=lang, expected=", ".join(LANGS)))
    codes, level = check_request(codes, level, source)
    ctx = context(source)
    out = io.BytesIO()
    title = f"{TEXTS[lang]['kind'][level]} — " + ", ".join(codes[:5]) + ("…" if len(codes) > 5 else "")
    meta = {"CreationDate": None, "ModDate": None, "Title": title, "Creator": TEXTS[lang]["made"].split(" · ")[0]}
    with PdfPages(out, metadata=meta) as pdf:
        for i, code in enumerate(codes, start=1):
            for fig in page_figure(ctx, unit_data(ctx, level, code), lang, i, len(codes)):
                pdf.savefig(fig)
    return out.getvalue()


def profile_filename(codes: Sequence[str], level: str, lang: str) -> str:
    """``profile_commune_23368_vi.pdf``; a batch: ``profiles_commune_13_vi.pdf``.

    >>> profile_filename(["23368"], "commune", "vi"), profile_filename(["1", "2"], "district", "en")
    ('profile_commune_23368_vi.pdf', 'profiles_district_2_en.pdf')
    """
    if len(codes) == 1:
        return f"profile_{level}_{codes[0]}_{lang}.pdf"
    return f"profiles_{level}_{len(codes)}_{lang}.pdf"
