"""A synthetic national coverage: about 10,600 communes of a Vietnam-shaped country.

For benchmarks only (``bench/``): the app is built for one province (102
communes); this module writes a GeoPackage with the same layers and columns
as ``build/kontum.gpkg`` but at the scale of Vietnam's pre-2025 commune set
(about 10,600 communes, 700 districts, 63 provinces), so the same app can
serve it with ``GEO_GPKG=build/national.gpkg``.

**Nothing in it is real.**  The outline is Natural Earth's 1:110m Vietnam
(public domain, embedded below: the repository's ``countries_ne10m.geojson``
is clipped to the surroundings of Kon Tum, so it cannot give the country's
shape); every commune, district and province, every name and every value is
generated.  Units carry ``geom_method = "synthetic_voronoi"``, names end
with "(minh họa)", and every observation has ``status = "synthetic"`` and a
"dữ liệu minh họa / demo data" note.

How it is made (deterministic for a given ``n``, ``seed`` and ``spacing_m``):

1. ``n`` seed points inside the outline, denser in the two deltas (rejection
   sampling), then one Lloyd step so cell sizes are less erratic;
2. their Voronoi diagram (:class:`scipy.spatial.Voronoi`, which gives the
   shared edges explicitly); every edge is densified every ``spacing_m``
   metres and bent by a smooth random curve that vanishes at its ends.  Each
   edge is made once and used by both cells, so neighbours share their
   boundary exactly and the cells still tile the plane;
3. cells are clipped to the outline (all in UTM 48N, :data:`geo.crs.METRIC`);
4. districts (``n × 700/10,600``) group the communes nearest to district
   seeds, provinces (63) group districts nearest to province seeds, so every
   commune nests in its district and every district in its province;
   ``communes_2025`` groups about three communes of a province;
5. GSO-like codes, north to south: the 63 real province codes, 3-digit
   district codes, 5-digit commune codes (step 3, as the GSO list);
6. synthetic poverty rates 2015–2020 (a smooth surface, higher in the
   north-west and the central highlands), near-poor rates, households and
   2019 population, with district and province aggregates;
7. the land border with Laos and Cambodia from the outline (China is not in
   the app's border model), border communes flagged by
   :func:`geo.units.border.flag_border_communes`.

Example
-------
>>> layers = generate(n=120, seed=3)
>>> c = layers["communes"]
>>> len(c) in range(118, 123), bool(c["gso_code"].is_unique), bool(c["gso_code"].str.len().eq(5).all())
(True, True, True)
>>> set(c["district_code"]) <= set(layers["districts"]["gso_code"])
True
"""

from __future__ import annotations

import math
import sys
import time
from collections.abc import Set as AbstractSet
from pathlib import Path
from typing import Any, TextIO

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from scipy.spatial import Voronoi, cKDTree

from geo import paths
from geo.crs import METRIC, WGS84
from geo.errors import CliError

N_COMMUNES = 10_600
N_DISTRICTS = 700
N_PROVINCES = 63
DEFAULT_SPACING_M = 200.0
MIN_N, MAX_N = 20, 33_000
YEARS = tuple(range(2015, 2021))
#: Note and source of every generated value (kept short: 300,000 rows carry them).
SYNTHETIC_NOTE = "dữ liệu minh họa / demo data (geo/synthetic/national.py): not real statistics"
SOURCE = "geo/synthetic/national.py: synthetic national coverage for benchmarks"
GEOM_METHOD = "synthetic_voronoi"
STANDARD_2016 = "2016-2020 multidimensional (QĐ 59/2015/QĐ-TTg)"
NAME_MARK = " (minh họa)"

#: GSO province codes of 2008–2025 (north to south), 63 provinces.
PROVINCE_CODES = (
    "01",
    "02",
    "04",
    "06",
    "08",
    "10",
    "11",
    "12",
    "14",
    "15",
    "17",
    "19",
    "20",
    "22",
    "24",
    "25",
    "26",
    "27",
    "30",
    "31",
    "33",
    "34",
    "35",
    "36",
    "37",
    "38",
    "40",
    "42",
    "44",
    "45",
    "46",
    "48",
    "49",
    "51",
    "52",
    "54",
    "56",
    "58",
    "60",
    "62",
    "64",
    "66",
    "67",
    "68",
    "70",
    "72",
    "74",
    "75",
    "77",
    "79",
    "80",
    "82",
    "83",
    "84",
    "86",
    "87",
    "89",
    "91",
    "92",
    "93",
    "94",
    "95",
    "96",
)

#: Natural Earth 1:110m admin-0 outline of Vietnam (public domain), lon/lat.
#: Vertices 0–6 run along Cambodia, 6–18 along Laos, 18–27 along China; the
#: rest is coast.
VNM_OUTLINE = (
    (104.334335, 10.486544),
    (105.199915, 10.88931),
    (106.24967, 10.961812),
    (105.810524, 11.567615),
    (107.491403, 12.337206),
    (107.614548, 13.535531),
    (107.382727, 14.202441),
    (107.564525, 15.202173),
    (107.312706, 15.908538),
    (106.556008, 16.604284),
    (105.925762, 17.485315),
    (105.094598, 18.666975),
    (103.896532, 19.265181),
    (104.183388, 19.624668),
    (104.822574, 19.886642),
    (104.435, 20.758733),
    (103.203861, 20.766562),
    (102.754896, 21.675137),
    (102.170436, 22.464753),
    (102.706992, 22.708795),
    (103.504515, 22.703757),
    (104.476858, 22.81915),
    (105.329209, 23.352063),
    (105.811247, 22.976892),
    (106.725403, 22.794268),
    (106.567273, 22.218205),
    (107.04342, 21.811899),
    (108.05018, 21.55238),
    (106.715068, 20.696851),
    (105.881682, 19.75205),
    (105.662006, 19.058165),
    (106.426817, 18.004121),
    (107.361954, 16.697457),
    (108.269495, 16.079742),
    (108.877107, 15.276691),
    (109.33527, 13.426028),
    (109.200136, 11.666859),
    (108.36613, 11.008321),
    (107.220929, 10.364484),
    (106.405113, 9.53084),
    (105.158264, 8.59976),
    (104.795185, 9.241038),
    (105.076202, 9.918491),
    (104.334335, 10.486544),
)
BORDERS = {"KHM": (0, 6), "LAO": (6, 18)}
BORDER_NAMES = {
    "KHM": ("Biên giới Việt Nam – Campuchia", "Vietnam – Cambodia border"),
    "LAO": ("Biên giới Việt Nam – Lào", "Vietnam – Laos border"),
}
OUTLINE_STEP_DEG = 0.01  # the outline is densified in lon/lat so it is straight in both CRSs

#: Where communes are denser (lon, lat, weight, sigma in degrees): the Red
#: River delta, Hà Nội, the Mekong delta, Hồ Chí Minh City.
DENSITY_BUMPS = ((106.1, 20.8, 5.0, 0.55), (105.85, 21.03, 3.0, 0.25), (105.7, 10.1, 3.0, 0.9), (106.7, 10.8, 3.0, 0.3))
#: Where poverty is higher (lon, lat, added rate in %, sigma in degrees): the
#: north-west, the northern uplands, the central highlands.
POVERTY_BUMPS = ((103.5, 21.6, 38.0, 1.2), (105.3, 22.6, 25.0, 1.0), (108.0, 14.2, 22.0, 1.1), (104.9, 19.2, 18.0, 0.9))

SYLLABLES = (
    "An",
    "Bình",
    "Cẩm",
    "Châu",
    "Đông",
    "Đức",
    "Gia",
    "Hà",
    "Hải",
    "Hòa",
    "Hồng",
    "Hưng",
    "Khánh",
    "Kim",
    "Lạc",
    "Lâm",
    "Liên",
    "Long",
    "Minh",
    "Mỹ",
    "Nam",
    "Nghĩa",
    "Ngọc",
    "Nhân",
    "Phong",
    "Phú",
    "Phúc",
    "Phước",
    "Quang",
    "Quảng",
    "Sơn",
    "Tân",
    "Thạch",
    "Thái",
    "Thanh",
    "Thành",
    "Thịnh",
    "Thuận",
    "Thủy",
    "Tiến",
    "Trung",
    "Trường",
    "Tường",
    "Văn",
    "Vĩnh",
    "Xuân",
    "Yên",
)


# --------------------------------------------------------------------------- geometry


def outline(step_deg: float = OUTLINE_STEP_DEG) -> shapely.Polygon:
    """The (densified) Vietnam outline in lon/lat."""
    return shapely.segmentize(shapely.Polygon(VNM_OUTLINE), step_deg)


def _to_metric(geoms) -> np.ndarray:
    return gpd.GeoSeries(list(np.atleast_1d(geoms)), crs=WGS84).to_crs(METRIC).values.to_numpy()


def _to_wgs84(geoms) -> np.ndarray:
    return gpd.GeoSeries(list(geoms), crs=METRIC).to_crs(WGS84).values.to_numpy()


def _density(lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
    d = np.ones_like(lon)
    for x, y, w, s in DENSITY_BUMPS:
        d += w * np.exp(-((lon - x) ** 2 + (lat - y) ** 2) / (2 * s * s))
    return d


def _seeds(n: int, rng: np.random.Generator, land_m, land_deg) -> np.ndarray:
    """``n`` points (metres) inside the outline, denser where :data:`DENSITY_BUMPS` say."""
    x0, y0, x1, y1 = land_deg.bounds
    dmax = 1.0 + sum(b[2] for b in DENSITY_BUMPS)
    shapely.prepare(land_deg)
    out: list[np.ndarray] = []
    have = 0
    while have < n:
        m = max(4 * (n - have), 1000)
        lon = rng.uniform(x0, x1, m)
        lat = rng.uniform(y0, y1, m)
        keep = shapely.contains_xy(land_deg, lon, lat)
        keep &= rng.uniform(0, dmax, m) < _density(lon, lat)
        pts = np.column_stack([lon[keep], lat[keep]])[: n - have]
        out.append(pts)
        have += len(pts)
    lonlat = np.concatenate(out)
    xy = shapely.get_coordinates(_to_metric(shapely.points(lonlat)))
    return xy


def _voronoi(xy: np.ndarray, land_m) -> tuple[Voronoi, list[list[int]]]:
    """The diagram (with a far ring of dummy points) and each seed's ordered vertex ring."""
    x0, y0, x1, y1 = land_m.bounds
    cx, cy, r = (x0 + x1) / 2, (y0 + y1) / 2, 3 * max(x1 - x0, y1 - y0)
    ang = np.linspace(0, 2 * np.pi, 48, endpoint=False)
    ring = np.column_stack([cx + r * np.cos(ang), cy + r * np.sin(ang)])
    vor = Voronoi(np.vstack([xy, ring]))
    rings = []
    for i in range(len(xy)):
        reg = vor.regions[vor.point_region[i]]
        if -1 in reg or len(reg) < 3:  # cannot happen with the far ring; be explicit
            raise RuntimeError("unbounded Voronoi cell for an inner seed")
        v = vor.vertices[reg]
        order = np.argsort(np.arctan2(v[:, 1] - xy[i, 1], v[:, 0] - xy[i, 0]))
        rings.append([reg[k] for k in order])
    return vor, rings


def _lloyd(xy: np.ndarray, land_m) -> np.ndarray:
    """One Lloyd step: each seed moves to its (clipped) cell's centroid when that stays on land."""
    vor, rings = _voronoi(xy, land_m)
    cells = np.array([shapely.Polygon(vor.vertices[r]) for r in rings], dtype=object)
    shapely.prepare(land_m)
    inside = shapely.contains_properly(land_m, cells)
    cells[~inside] = shapely.intersection(cells[~inside], land_m)
    cent = shapely.centroid(cells)
    ok = shapely.contains_properly(land_m, cent) & ~shapely.is_empty(cent)
    out = xy.copy()
    out[ok] = shapely.get_coordinates(cent[ok])
    return out


def _edge_curve(a: np.ndarray, b: np.ndarray, spacing: float, rng: np.random.Generator) -> np.ndarray:
    """Interior points of the bent edge from ``a`` to ``b`` (empty for short edges)."""
    d = b - a
    length = float(math.hypot(d[0], d[1]))
    k = int(length // spacing)
    if k < 2:
        return np.empty((0, 2))
    t = np.arange(1, k) / k
    modes = min(k // 2, 24)
    m = np.arange(1, modes + 1)
    amp = min(0.06, 1500.0 / length)  # at most 6 % of the edge and 1.5 km
    coef = rng.standard_normal(modes) * amp / m**1.1
    offset = length * (np.sin(np.pi * np.outer(t, m)) @ coef)
    normal = np.array([-d[1], d[0]]) / length
    return a + np.outer(t, d) + np.outer(offset, normal)


def _cells(xy: np.ndarray, land_m, spacing: float, rng: np.random.Generator) -> np.ndarray:
    """Voronoi cells of ``xy`` with bent shared edges, clipped to ``land_m`` (metres)."""
    vor, rings = _voronoi(xy, land_m)
    verts = vor.vertices
    keys = sorted({(min(u, v), max(u, v)) for r in rings for u, v in zip(r, r[1:] + r[:1])})
    curves = {key: _edge_curve(verts[key[0]], verts[key[1]], spacing, rng) for key in keys}

    def build(r: list[int], straight: AbstractSet[tuple[int, int]] = frozenset()) -> shapely.Polygon:
        parts = []
        for u, v in zip(r, r[1:] + r[:1]):
            parts.append(verts[u][None, :])
            key = (min(u, v), max(u, v))
            if key in straight:
                continue
            c = curves[key]
            parts.append(c if u < v else c[::-1])
        return shapely.Polygon(np.concatenate(parts))

    cells = np.array([build(r) for r in rings], dtype=object)
    # A bent edge may cross another near a sharp corner: straighten every edge
    # of an invalid cell (on both sides, so the coverage stays exact) and retry.
    straight: set = set()
    for _ in range(5):
        bad = np.flatnonzero(~shapely.is_valid(cells))
        if not len(bad):
            break
        touched = set()
        for i in bad:
            r = rings[i]
            for u, v in zip(r, r[1:] + r[:1]):
                straight.add((min(u, v), max(u, v)))
        for i, r in enumerate(rings):
            if any((min(u, v), max(u, v)) in straight for u, v in zip(r, r[1:] + r[:1])):
                touched.add(i)
        for i in touched:
            cells[i] = build(rings[i], straight)
    shapely.prepare(land_m)
    inside = shapely.contains_properly(land_m, cells)
    clipped = shapely.intersection(cells[~inside], land_m)
    cells[~inside] = [_polygonal(g) for g in clipped]
    return cells


def _polygonal(g):
    """The polygonal part of ``g`` (an intersection may add points or lines)."""
    if g is None or g.is_empty:
        return shapely.MultiPolygon()
    parts = [p for p in shapely.get_parts(g) if p.geom_type in ("Polygon", "MultiPolygon")]
    polys = [q for p in parts for q in shapely.get_parts(p)]
    return shapely.MultiPolygon(polys)


def _multi(geoms) -> np.ndarray:
    return np.array([g if g.geom_type == "MultiPolygon" else shapely.MultiPolygon([g]) for g in geoms], dtype=object)


def _group(geoms: np.ndarray, labels: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Union of ``geoms`` per label (they share edges exactly: a coverage union)."""
    order = np.argsort(labels, kind="stable")
    uniq, start = np.unique(labels[order], return_index=True)
    bounds = list(start[1:]) + [len(order)]
    out = [shapely.coverage_union_all(geoms[order[s:e]]) for s, e in zip(start, bounds)]
    return uniq, _multi(out)


# --------------------------------------------------------------------------- names and values


def _names(rng: np.random.Generator, n: int) -> list[str]:
    a = rng.integers(0, len(SYLLABLES), n)
    b = rng.integers(0, len(SYLLABLES), n)
    b = np.where(a == b, (b + 1) % len(SYLLABLES), b)
    return [f"{SYLLABLES[i]} {SYLLABLES[j]}" for i, j in zip(a, b)]


def _poverty_base(lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
    p = np.full_like(lon, 4.0)
    for x, y, w, s in POVERTY_BUMPS:
        p += w * np.exp(-((lon - x) ** 2 + (lat - y) ** 2) / (2 * s * s))
    return p


def _obs_rows(level: str, codes, names, indicator: str, years, values, unit: str, standard: str = "") -> pd.DataFrame:
    values = np.asarray(values, dtype=float)
    n = len(codes)
    frames = []
    for k, y in enumerate(years):
        v = values[:, k] if values.ndim == 2 else values
        frames.append(
            pd.DataFrame(
                {
                    "unit_level": level,
                    "gso_code": list(codes),
                    "unit_name": list(names),
                    "indicator": indicator,
                    "year": y,
                    "period": "" if y is None else str(y),
                    "qualifier": "=",
                    "value": np.round(v, 4),
                    "unit": unit,
                    "standard": standard,
                    "status": "synthetic",
                    "source": SOURCE,
                    "note": SYNTHETIC_NOTE,
                },
                index=range(n),
            )
        )
    return pd.concat(frames, ignore_index=True)


def _catalogue() -> pd.DataFrame:
    from geo.indicators import catalogue
    from geo.raster import remoteness  # noqa: F401  (kept as in the original generator)

    cat = catalogue.load_catalogue()
    return cat.reset_index()


# --------------------------------------------------------------------------- the generator


def sizes(n: int) -> tuple[int, int]:
    """Districts and provinces for ``n`` communes (700 and 63 at 10,600)."""
    n_d = max(1, round(n * N_DISTRICTS / N_COMMUNES))
    n_p = max(1, min(N_PROVINCES, round(n_d * N_PROVINCES / N_DISTRICTS)))
    return n_d, n_p


def generate(
    n: int = N_COMMUNES, seed: int = 1, spacing_m: float = DEFAULT_SPACING_M, log: TextIO | None = None
) -> dict[str, pd.DataFrame]:
    """Every layer of the national GeoPackage, in memory (see the module docstring)."""
    if not MIN_N <= n <= MAX_N:
        raise ValueError(f"n must be from {MIN_N} to {MAX_N} communes, got {n}")
    if not 20.0 <= spacing_m <= 5000.0:
        raise ValueError(f"spacing_m must be from 20 to 5000 metres, got {spacing_m}")
    t0 = time.perf_counter()

    def step(what: str) -> None:
        if log:
            print(f"  {time.perf_counter() - t0:6.1f}s  {what}", file=log)

    rng = np.random.default_rng(seed)
    land_deg = outline()
    land_m = _to_metric(land_deg)[0]
    xy = _seeds(n, rng, land_m, land_deg)
    xy = _lloyd(xy, land_m)
    step(f"{n} seeds")
    cells = _cells(xy, land_m, spacing_m, rng)
    keep = ~shapely.is_empty(cells) & (shapely.area(cells) > 0)
    cells, xy = _multi(cells[keep]), xy[keep]
    n = len(cells)
    step(f"{n} cells, {int(shapely.get_num_coordinates(cells).sum()):,} vertices")

    # ---- hierarchy: districts group communes, provinces group districts
    n_d, n_p = sizes(n)
    perm = rng.permutation(n)
    d_seed = perm[:n_d]  # district seeds are commune seeds: every district gets ≥ 1 commune
    p_seed = d_seed[rng.permutation(n_d)[:n_p]]
    commune_d = cKDTree(xy[d_seed]).query(xy)[1]  # index into d_seed
    district_p = cKDTree(xy[p_seed]).query(xy[d_seed])[1]  # index into p_seed
    seed_lonlat = shapely.get_coordinates(_to_wgs84(shapely.points(xy)))
    lon, lat = seed_lonlat[:, 0], seed_lonlat[:, 1]

    # codes north to south: provinces by their seed's latitude, then districts, then communes
    p_order = np.argsort(-lat[p_seed], kind="stable")
    p_rank = np.empty(n_p, int)
    p_rank[p_order] = np.arange(n_p)
    code_pick = np.round(np.linspace(0, len(PROVINCE_CODES) - 1, n_p)).astype(int)
    p_codes = np.array([PROVINCE_CODES[code_pick[r]] for r in p_rank], dtype=object)
    d_key = np.lexsort((lon[d_seed], -lat[d_seed], p_rank[district_p]))
    d_rank = np.empty(n_d, int)
    d_rank[d_key] = np.arange(n_d)
    d_step = max(1, 973 // n_d)
    d_codes = np.array([f"{1 + r * d_step:03d}" for r in d_rank], dtype=object)
    c_key = np.lexsort((lon, -lat, d_rank[commune_d]))
    c_rank = np.empty(n, int)
    c_rank[c_key] = np.arange(n)
    c_step = 3 if 3 * n < 99_999 else 1
    c_codes = np.array([f"{1 + r * c_step:05d}" for r in c_rank], dtype=object)

    # ---- unit types and names
    density = _density(lon, lat)
    urban = density >= np.quantile(density, 0.92)
    unit_type = np.where(urban, "Phường", "Xã").astype(object)
    towns = d_seed[~urban[d_seed]]
    unit_type[towns] = "Thị trấn"
    base = _names(rng, n)
    c_names = np.array([f"{t} {b}{NAME_MARK}" for t, b in zip(unit_type, base)], dtype=object)
    d_base = _names(rng, n_d)
    share_urban = pd.Series(urban).groupby(commune_d).mean().reindex(range(n_d)).fillna(0).to_numpy()
    d_type = np.where(share_urban >= 0.5, "Quận", "Huyện").astype(object)
    capital = np.isin(d_seed, p_seed)
    d_type[capital] = "Thành phố"
    d_names = np.array([f"{t} {b}{NAME_MARK}" for t, b in zip(d_type, d_base)], dtype=object)
    p_names = np.array([f"Tỉnh {b}{NAME_MARK}" for b in _names(rng, n_p)], dtype=object)

    wgs = _to_wgs84(cells)
    area = np.round(shapely.area(cells) / 1e6, 3)
    communes = gpd.GeoDataFrame(
        {
            "gso_code": c_codes,
            "name": c_names,
            "unit_type": unit_type,
            "district_code": d_codes[commune_d],
            "district_name": d_names[commune_d],
            "province_code": p_codes[district_p[commune_d]],
            "quality_flag": "uncertain",
            "geom_method": GEOM_METHOD,
            "area_km2": area,
        },
        geometry=gpd.GeoSeries(_multi(wgs), crs=WGS84),
    )
    step("hierarchy and names")

    # ---- districts, provinces (dissolved in metres, exact shared edges)
    d_idx, d_geom = _group(cells, commune_d)
    counts = np.bincount(commune_d, minlength=n_d)
    districts = gpd.GeoDataFrame(
        {
            "gso_code": d_codes[d_idx],
            "name": d_names[d_idx],
            "unit_type": d_type[d_idx],
            "province_code": p_codes[district_p[d_idx]],
            "n_communes": counts[d_idx].astype("int64"),
            "area_km2": np.round(shapely.area(d_geom) / 1e6, 3),
        },
        geometry=gpd.GeoSeries(_to_wgs84(d_geom), crs=WGS84),
    )
    p_idx, p_geom = _group(d_geom, district_p[d_idx])
    provinces = gpd.GeoDataFrame(
        {"gso_province_code": p_codes[p_idx], "name": p_names[p_idx]},
        geometry=gpd.GeoSeries(_to_wgs84(p_geom), crs=WGS84),
    )
    step(f"{n_d} districts, {n_p} provinces")

    # ---- communes of 2025: about three communes of a province each
    c_prov = district_p[commune_d]
    group = np.empty(n, int)
    next_id = 0
    for p in range(n_p):
        members = np.flatnonzero(c_prov == p)
        k = max(1, round(len(members) / 3.2))
        heads = members[rng.permutation(len(members))[:k]]
        group[members] = next_id + cKDTree(xy[heads]).query(xy[members])[1]
        next_id += k
    g_idx, g_geom = _group(cells, group)
    members_of = pd.Series(np.arange(n)).groupby(group).apply(list)
    g_head = [min(members_of[g], key=lambda i: c_codes[i]) for g in g_idx]
    g_codes = np.array([c_codes[i] for i in g_head], dtype=object)
    g_names = np.array(
        [f"{'Phường' if unit_type[i] == 'Phường' else 'Xã'} {base[i]}{NAME_MARK}" for i in g_head], dtype=object
    )
    communes_2025 = gpd.GeoDataFrame(
        {
            "gso_code": g_codes,
            "name": g_names,
            "province_code": p_codes[c_prov[g_head]],
            "member_gso_codes_2020": [",".join(sorted(c_codes[i] for i in members_of[g])) for g in g_idx],
            "n_members": np.array([len(members_of[g]) for g in g_idx], dtype="int64"),
            "area_km2": np.round(shapely.area(g_geom) / 1e6, 3),
        },
        geometry=gpd.GeoSeries(_to_wgs84(g_geom), crs=WGS84),
    )
    pos = {g: k for k, g in enumerate(g_idx)}
    communes["code_2025"] = [g_codes[pos[g]] for g in group]
    communes["name_2025"] = [g_names[pos[g]] for g in group]
    step(f"{len(communes_2025)} communes of 2025")

    # ---- border lines (Laos, Cambodia) and border communes
    ring = np.asarray(VNM_OUTLINE)
    rows = []
    for code, (i, j) in BORDERS.items():
        line = shapely.segmentize(shapely.LineString(ring[i : j + 1]), OUTLINE_STEP_DEG)
        rows.append(
            {
                "country": code,
                "name_vi": BORDER_NAMES[code][0],
                "name_en": BORDER_NAMES[code][1],
                "length_km": round(float(shapely.length(_to_metric(line)[0])) / 1000, 2),
                # the published lengths are Kon Tum's; a generated coverage has none
                "official_length_km": None,
                "official_source": None,
                "geometry": line,
            }
        )
    border = gpd.GeoDataFrame(rows, geometry="geometry", crs=WGS84)
    communes = _flag_border(communes, border)
    communes_2025 = _flag_border(communes_2025, border)  # the 2025 level has its border flags too
    step(f"{int(communes['on_border'].sum())} border communes")

    # ---- synthetic values
    obs = _observations(
        communes, districts, provinces, lon, lat, area, commune_d, d_idx, d_codes, district_p, p_codes, rng
    )
    step(f"{len(obs):,} observations")

    works = _works(communes, provinces, xy, p_seed, c_codes, d_codes, commune_d)
    roads = _roads(xy, p_seed, lat)
    countries = gpd.GeoDataFrame(
        {"ADM0_A3": ["VNM"], "NAME": ["Vietnam"]}, geometry=[shapely.Polygon(VNM_OUTLINE)], crs=WGS84
    )
    order = np.argsort(communes["gso_code"].to_numpy(), kind="stable")
    communes = communes.iloc[order].reset_index(drop=True)
    districts = districts.sort_values("gso_code").reset_index(drop=True)
    provinces = provinces.sort_values("gso_province_code").reset_index(drop=True)
    communes_2025 = communes_2025.sort_values("gso_code").reset_index(drop=True)
    cols = [
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
        "geometry",
    ]
    return {
        "communes": communes[cols],
        "districts": districts,
        "border": border,
        "roads": roads,
        "communes_2025": communes_2025,
        "works": works,
        "provinces": provinces,
        "countries": countries,
        "observations": obs,
        "catalogue": _catalogue(),
    }


def _flag_border(communes: gpd.GeoDataFrame, border: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """:func:`geo.units.border.flag_border_communes`, run on the communes near a border line only."""
    from geo.units.border import DEFAULT_TOL_M, flag_border_communes

    zone = shapely.union_all(_to_metric(border.geometry.values)).buffer(DEFAULT_TOL_M * 2)
    zone_deg = _to_wgs84([zone])[0]
    near = np.zeros(len(communes), dtype=bool)
    near[communes.sindex.query(zone_deg, predicate="intersects")] = True
    out = communes.copy()
    out["border_km"] = 0.0
    out["on_border"] = False
    out["border_countries"] = ""
    if near.any():
        flagged = flag_border_communes(communes[near], border)
        for col in ("border_km", "on_border", "border_countries"):
            out.loc[near, col] = flagged[col].to_numpy()
    out["on_border"] = out["on_border"].astype(bool)
    return out


def _observations(
    communes, districts, provinces, lon, lat, area_km2, commune_d, d_idx, d_codes, district_p, p_codes, rng
) -> pd.DataFrame:
    n = len(communes)
    codes = communes["gso_code"].to_numpy()
    names = communes["name"].to_numpy()
    density = _density(lon, lat)
    people_km2 = np.exp(rng.normal(np.log(60 + 250 * (density - 1)), 0.5))
    population = np.maximum(300, np.round(people_km2 * np.maximum(area_km2, 0.5)))
    hh_size = np.clip(rng.normal(3.9, 0.3, n), 3.0, 5.2)
    households = np.maximum(80, np.round(population / hh_size))
    base = _poverty_base(lon, lat) * np.exp(rng.normal(0, 0.35, n))
    decline = np.clip(rng.normal(0.84, 0.05, n), 0.65, 0.98)
    poor = np.column_stack([base * decline**k for k in range(len(YEARS))])
    poor = np.clip(poor * np.exp(rng.normal(0, 0.06, poor.shape)), 0.1, 92.0)
    near = np.clip(poor * rng.uniform(0.35, 0.8, n)[:, None] + rng.uniform(1.5, 6.0, n)[:, None], 0.2, 60.0)
    near = np.minimum(near, 99.0 - poor)
    poor_hh = np.round(poor / 100 * households[:, None])
    near_hh = np.round(near / 100 * households[:, None])
    frames = [
        _obs_rows("commune", codes, names, "poor_rate", YEARS, poor, "%", STANDARD_2016),
        _obs_rows("commune", codes, names, "near_poor_rate", YEARS, near, "%", STANDARD_2016),
        _obs_rows("commune", codes, names, "poor_households", YEARS, poor_hh, "households", STANDARD_2016),
        _obs_rows("commune", codes, names, "near_poor_households", YEARS, near_hh, "households", STANDARD_2016),
        _obs_rows("commune", codes, names, "households", (2019,), households, "households"),
        _obs_rows("commune", codes, names, "population_2019", (2019,), population, "persons"),
        _obs_rows(
            "commune",
            codes,
            names,
            "population_density_2019",
            (2019,),
            population / np.maximum(area_km2, 1e-3),
            "persons/km²",
        ),
    ]
    # district and province aggregates of the same synthetic values
    order = communes.index.to_numpy()  # communes were not reordered yet: rows match the arrays
    for level, key, ucodes, _names, _area in (
        ("district", commune_d, d_codes, None, None),
        ("province", district_p[commune_d], p_codes, None, None),
    ):
        g = pd.DataFrame({"k": key[order]})
        sums = {}
        for name, arr in (("hh", households), ("pop", population), ("area", area_km2)):
            sums[name] = pd.Series(arr[order]).groupby(g["k"]).sum()
        ph = pd.DataFrame(poor_hh[order]).groupby(g["k"]).sum()
        nh = pd.DataFrame(near_hh[order]).groupby(g["k"]).sum()
        idx = sums["hh"].index.to_numpy()
        if level == "district":
            label = dict(zip(districts["gso_code"], districts["name"]))
        else:
            label = dict(zip(provinces["gso_province_code"], provinces["name"]))
        u_codes = [ucodes[i] for i in idx]
        u_names = [label.get(c, c) for c in u_codes]
        hh = sums["hh"].to_numpy()[:, None]
        frames += [
            _obs_rows(level, u_codes, u_names, "poor_rate", YEARS, ph.to_numpy() / hh * 100, "%", STANDARD_2016),
            _obs_rows(level, u_codes, u_names, "near_poor_rate", YEARS, nh.to_numpy() / hh * 100, "%", STANDARD_2016),
            _obs_rows(level, u_codes, u_names, "poor_households", YEARS, ph.to_numpy(), "households", STANDARD_2016),
            _obs_rows(
                level, u_codes, u_names, "near_poor_households", YEARS, nh.to_numpy(), "households", STANDARD_2016
            ),
            _obs_rows(level, u_codes, u_names, "households", (2019,), hh[:, 0], "households"),
            _obs_rows(level, u_codes, u_names, "population_2019", (2019,), sums["pop"].to_numpy(), "persons"),
            _obs_rows(
                level,
                u_codes,
                u_names,
                "population_density_2019",
                (2019,),
                sums["pop"].to_numpy() / np.maximum(sums["area"].to_numpy(), 1e-3),
                "persons/km²",
            ),
        ]
    obs = pd.concat(frames, ignore_index=True)
    obs["year"] = obs["year"].astype("Int64")
    return obs


def _works(communes, provinces, xy, p_seed, c_codes, d_codes, commune_d) -> gpd.GeoDataFrame:
    """One synthetic electrification work per province, at its capital commune's point."""
    rows = []
    by_code = communes.set_index("gso_code")
    for k, i in enumerate(p_seed):
        code = c_codes[i]
        u = by_code.loc[code]
        pt = u.geometry.representative_point()
        rows.append(
            {
                "work_id": f"syn-elec-{code}",
                "kind": "electrification",
                "name_vi": f"Cấp điện (minh họa) – {u['name']}",
                "name_en": f"Grid connection (synthetic) – {u['name']}",
                "gso_code": code,
                "district_code": d_codes[commune_d[i]],
                "village": "",
                "lon": np.nan,
                "lat": np.nan,
                "location_precision": "commune",
                "year": 2019 + k % 2,
                "date": f"{2019 + k % 2}-12",
                "households": float(100 + (k * 37) % 400),
                "line_mv_km": float(5 + k % 7),
                "line_lv_km": float(3 + k % 5),
                "transformers": float(1 + k % 4),
                "budget_million_vnd": float(5000 + (k * 911) % 9000),
                "description_vi": SYNTHETIC_NOTE,
                "status": "synthetic",
                "source": SOURCE,
                "geometry": pt,
            }
        )
    works = gpd.GeoDataFrame(rows, geometry="geometry", crs=WGS84)
    works["year"] = works["year"].astype("int64")
    return works


def _roads(xy, p_seed, lat) -> gpd.GeoDataFrame:
    """One synthetic north–south road through the province seeds."""
    order = p_seed[np.argsort(-lat[p_seed], kind="stable")]
    line_m = shapely.LineString(xy[order]) if len(order) > 1 else shapely.LineString([xy[0], xy[0] + 1000])
    line = _to_wgs84([line_m])[0]
    return gpd.GeoDataFrame(
        {
            "road_id": ["syn_1"],
            "code": ["SYN1"],
            "name": ["Trục Bắc – Nam (minh họa)"],
            "road_type": ["Quốc lộ"],
            "road_class": ["Quốc Gia"],
            "length_km": [round(float(line_m.length) / 1000, 2)],
        },
        geometry=gpd.GeoSeries([shapely.MultiLineString([line])], crs=WGS84),
    )


def write(
    path: Path | str | None = None,
    n: int = N_COMMUNES,
    seed: int = 1,
    spacing_m: float = DEFAULT_SPACING_M,
    log: TextIO | None = None,
) -> Path:
    """Generate and write the GeoPackage atomically (:func:`geo.io.storage.write_gpkg`)."""
    from geo.io import storage

    path = Path(path or paths.build_dir() / "national.gpkg")
    from geo.analysis import warm

    layers = generate(n, seed, spacing_m, log)
    storage.write_gpkg(path, layers)
    warm.write_for(path)  # the servers' border and road distances, once (geo.analysis.warm)
    return path


# --------------------------------------------------------------------------- CLI


def _cmd_national(args) -> int:
    t0 = time.perf_counter()
    try:
        path = write(args.out, args.n, args.seed, args.spacing_m, log=sys.stderr if args.verbose else None)
    except ValueError as exc:
        raise CliError(str(exc)) from None
    import pyogrio

    info = {name: pyogrio.read_info(path, layer=name)["features"] for name, _ in pyogrio.list_layers(path)}
    print(
        f"wrote {path} in {time.perf_counter() - t0:.1f}s — {info['communes']} communes, "
        f"{info['districts']} districts, {info['provinces']} provinces, {info['observations']} "
        f"observations (all synthetic: dữ liệu minh họa / demo data)"
    )
    return 0


def register(sub: Any) -> None:  # sub: argparse add_subparsers() action (its class is private)
    p = sub.add_parser("national", help="write a synthetic national coverage (~10,600 communes) for benchmarks")
    p.add_argument("--out", type=Path, default=None, help="GeoPackage path (default build/national.gpkg)")
    p.add_argument("--n", type=int, default=N_COMMUNES, help=f"number of communes (default {N_COMMUNES})")
    p.add_argument("--seed", type=int, default=1, help="random seed (default 1)")
    p.add_argument(
        "--spacing-m",
        type=float,
        default=DEFAULT_SPACING_M,
        help=f"vertex spacing along commune edges in metres (default {DEFAULT_SPACING_M:g})",
    )
    p.add_argument("-v", "--verbose", action="store_true", help="print the steps and their times")
    p.set_defaults(func=_cmd_national)
