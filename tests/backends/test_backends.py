"""Both backends give the same answers: layers, OGC items, /targets, relations, exports, errors.

The embedded backend (the GeoPackage) is the reference; the PostGIS one
(its spatial filters and paging in SQL) must match it exactly: the same
JSON documents (only time stamps differ), the same frames and dtypes, the
same 400 messages.
"""

from __future__ import annotations

import io
import json
import re

import pandas as pd
import pytest

from geo.analysis import query
from geo.ogc import features as F

OGC = [
    "/ogc/collections",
    "/ogc/collections/communes",
    "/ogc/collections/works?f=json",
    "/ogc/collections/communes/items?limit=1000",
    "/ogc/collections/communes/items?limit=7&offset=20&sortby=-poor_rate_2020,name",
    "/ogc/collections/communes/items?limit=1000&sortby=district_code,-area_km2",
    "/ogc/collections/communes/items?limit=1000&sortby=-on_border,p135_2016",
    "/ogc/collections/communes/items?bbox=107.5,14.2,107.9,14.6&limit=100",
    "/ogc/collections/communes/items?bbox=107.5,14.2,-100,107.9,14.6,100",
    "/ogc/collections/communes/items?bbox=170,10,-170,20",
    "/ogc/collections/communes/items?year=2018&limit=50&on_border=true",
    "/ogc/collections/communes/items?datetime=2016/2018&district_code=618",
    "/ogc/collections/communes/items?datetime=2022",
    "/ogc/collections/communes/items?unit_type=Th%E1%BB%8B%20tr%E1%BA%A5n&limit=100",
    "/ogc/collections/communes/items?offset=500",
    "/ogc/collections/districts/items?limit=100&sortby=-poor_district_30a,-poor_rate_2016",
    "/ogc/collections/works/items?datetime=2019&limit=1000",
    "/ogc/collections/works/items?datetime=../2017&sortby=-year,kind&limit=1000",
    "/ogc/collections/works/items?kind=electrification&limit=3&offset=2",
    "/ogc/collections/roads/items?limit=100&sortby=-length_km",
    "/ogc/collections/border/items",
    "/ogc/collections/communes_2025/items?limit=100&sortby=-n_members",
    "/ogc/collections/communes/items/23281",
    "/ogc/collections/works/items?f=html&limit=5",
    "/ogc/collections/communes/items/23281?f=html",
    # CQL2 filters (Part 3): a frame mask on one side, a WHERE with bound parameters on the other
    "/ogc/collections/communes/items?limit=1000&filter=on_border%20%3D%20true%20AND%20poor_rate_2020%20%3E%2020",
    "/ogc/collections/communes/items?limit=7&offset=3&sortby=-poor_rate_2020&filter=poor_rate_2020%20%3E%2010",
    "/ogc/collections/communes/items?limit=1000&filter=name%20LIKE%20%27X%C3%A3%20%C4%90%E1%BA%AFk%25%27",
    "/ogc/collections/communes/items?limit=1000&filter=NOT%20(ntm_criteria_met_2019%20%3C%2010)",
    "/ogc/collections/communes/items?limit=1000&filter=district_code%20NOT%20IN%20(%27610%27%2C%27618%27)",
    "/ogc/collections/communes/items?limit=1000&filter=name%20%3C%20%27X%C3%A3%20Ia%27",
    "/ogc/collections/communes/items?limit=1000&filter=poor_rate_2020%20%3C%20near_poor_rate_2020",
    "/ogc/collections/communes/items?limit=1000&filter=S_WITHIN(geometry%2C%20BBOX(107.5%2C14.2%2C107.9%2C14.6))",
    "/ogc/collections/communes/items?limit=1000&filter=S_TOUCHES(geometry%2C%20POINT(108.008303%2014.362284))",
    "/ogc/collections/communes/items?filter-crs=EPSG:32648&filter=S_INTERSECTS(geometry%2C%20POINT(800000%201600000))",
    "/ogc/collections/works/items?limit=1000&filter=year%20BETWEEN%202016%20AND%202018%20OR%20kind%20%3D%20%27road%27",
    "/ogc/collections/communes_2025/items?limit=100&filter=n_members%20%3E%3D%203&f=csv",
    "/ogc/collections/communes/items?filter=poor_rate_2020%20%3D%20%27x%27",
    "/ogc/collections/communes/items?filter=nope%20%3D%201&lang=en",
    # errors: same status, same message
    "/ogc/collections/communes/items/99999",
    "/ogc/collections/nope/items",
    "/ogc/collections/communes/items?sortby=nonexistent",
    "/ogc/collections/communes/items?sortby=geometry",
    "/ogc/collections/communes/items?poor_rate_2020=1",
    "/ogc/collections/communes/items?on_border=maybe",
    "/ogc/collections/communes/items?year=2030",
    "/ogc/collections/communes/items?year=2018&datetime=2018",
    "/ogc/collections/communes/items?name=%00",
    "/ogc/api",
]

TARGETS = [
    "/targets?near=border&within_km=0",
    "/targets?country=KHM&lang=en",
    "/targets?near=border&country=LAO&top=3",
    "/targets?near=border&within_km=20",
    "/targets?near=border&within_km=12.5&country=KHM&level=district",
    "/targets?weights=poor_rate:0.6,near_poor_rate:0.4&year=2019&district=Sa Thầy",
    "/targets?status=p135_2016&near=border",
    "/targets?status=!p135,border",
    "/targets?level=district&year=2019",
    "/targets?level=district&status=poor_district",
    "/targets?near=roads&within_km=0",
    "/targets?near=roads&within_km=3&top=10",
    "/targets?near=point:107.9,14.6&within_km=15",
    "/targets?near=point:107.70,14.40",
    "/targets?bbox=107.5,14.2,107.9,14.6",
    "/targets?intersects=POLYGON((107.6 14.3, 107.9 14.3, 107.9 14.6, 107.6 14.6, 107.6 14.3))",
    "/targets",
    "/targets?geometry=none&indicator=near_poor_rate",
    "/targets?indicator=p135_2016",
    "/targets?top=5&indicator=population_density_2019",
    "/targets?weights=poor_rate:1,ntm_recognised:0.5&near=roads&within_km=1",
    "/targets?district=610,Sa Thay&near=border&within_km=5",
    "/targets?near=point:108.5,15.5&within_km=1",
    "/targets?near=border&f=csv",
    "/targets?near=border&f=geojson",
    "/targets?near=roads&f=kml",
    "/targets?near=border&f=xlsx",
    "/communes/23344/neighbours",
    "/communes/23281/neighbours",
    "/communes/23344/neighbours?f=csv&geometry=wkt",
    "/communes/23344/nearest-works?n=3",
    "/communes/23281/nearest-works?n=10&precision=all",
    "/communes/23281/nearest-works?n=50&kind=electrification&precision=commune,district",
    "/communes/without-works",
    "/communes/without-works?within_km=10&kind=electrification",
    "/communes/without-works?district=610",
    "/communes/without-works?within_km=5&kind=poverty_model&precision=all",
    # errors
    "/targets?indicator=rich_rate",
    "/targets?year=2030",
    "/targets?district=Nowhere",
    "/targets?status=rich",
    "/targets?status=p135&level=district",
    "/targets?weights=poor_rate:1,rich_rate%00:1",
    "/communes/99999/neighbours",
    "/communes/23344/nearest-works?kind=bridge",
    "/communes/without-works?kind=bridge",
]


@pytest.fixture(scope="module")
def clients(gpkg, pg_backend):
    from app import create_app

    embedded = create_app({"TESTING": True, "GEO_GPKG": str(gpkg)}).test_client()
    postgis = create_app(
        {"TESTING": True, "GEO_GPKG": str(gpkg), "DATABASE_URL": pg_backend.url, "DATABASE_SCHEMA": pg_backend.schema}
    ).test_client()
    return embedded, postgis


def _clean(doc):
    """Without what changes from one request to the next (time stamps)."""
    if isinstance(doc, dict):
        return {k: _clean(v) for k, v in doc.items() if k not in ("timeStamp", "generated_at")}
    if isinstance(doc, list):
        return [_clean(v) for v in doc]
    return doc


def _text(data: bytes) -> str:
    text = data.decode("utf-8-sig")
    text = re.sub(r"generated at: [^|;\"<\n]*", "", text)
    text = re.sub(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:[+-]\d\d:\d\d|Z)?", "TIME", text)
    return text


def _xlsx(data: bytes) -> dict:
    from openpyxl import load_workbook

    book = load_workbook(io.BytesIO(data))
    return {
        ws.title: [
            [re.sub(r"\d{4}-\d\d-\d\dT[\d:+-]+", "TIME", c) if isinstance(c, str) else c for c in row]
            for row in ws.values
        ]
        for ws in book.worksheets
    }


@pytest.mark.parametrize("url", OGC + TARGETS)
def test_same_answer(clients, url):
    embedded, postgis = clients
    a, b = embedded.get(url), postgis.get(url)
    assert (a.status_code, a.mimetype) == (b.status_code, b.mimetype), (url, b.get_data(as_text=True)[:300])
    assert a.headers.get("Content-Disposition") == b.headers.get("Content-Disposition")
    if "json" in a.mimetype:
        assert _clean(json.loads(a.data)) == _clean(json.loads(b.data)), url
    elif "spreadsheetml" in a.mimetype:
        assert _xlsx(a.data) == _xlsx(b.data)
    else:
        assert _text(a.data) == _text(b.data), url
    assert b.status_code != 500


def test_layers_identical(embedded_backend, pg_backend):
    assert pg_backend.layer_names() == embedded_backend.layer_names()
    for name in embedded_backend.layer_names():
        pd.testing.assert_frame_equal(
            pg_backend.read_layer(name), embedded_backend.read_layer(name), check_dtype=True, obj=name
        )


SELECTIONS = [
    dict(collection_id="communes"),
    dict(collection_id="communes", bbox=(107.5, 14.2, 107.9, 14.6), sortby=[("poor_rate_2020", True)]),
    dict(collection_id="communes", filters={"on_border": "1"}, year=2019),
    dict(collection_id="communes", datetime=(2016, None), sortby=[("district_name", False), ("name", True)]),
    dict(collection_id="districts", sortby=[("households_2019", True)]),  # households: a yearly series
    dict(collection_id="works", datetime=(None, 2018), filters={"kind": "electrification"}),
    dict(collection_id="roads", bbox=(107.0, 13.0, 109.0, 16.0)),
]


@pytest.mark.parametrize("q", SELECTIONS)
def test_provider_pages_identical(embedded_backend, pg_backend, q):
    a, b = embedded_backend.select(**q), pg_backend.select(**q)
    assert a.number_matched == b.number_matched and a.years == b.years
    for limit, offset in ((10, 0), (1000, 0), (4, 7), (5, a.number_matched)):
        assert b.page_json(limit, offset) == a.page_json(limit, offset)
        pd.testing.assert_frame_equal(b.page_frame(limit, offset), a.page_frame(limit, offset), check_dtype=True)
    # the bytes the app streams
    assert b.page_bytes(3, 1) == a.page_bytes(3, 1)


def test_items_and_item_identical(embedded_backend, pg_backend):
    for fid in ("23281", "23344"):
        assert pg_backend.item_json("communes", fid) == embedded_backend.item_json("communes", fid)
        pd.testing.assert_frame_equal(pg_backend.item("communes", fid), embedded_backend.item("communes", fid))
    page_a, n_a = embedded_backend.items("districts", limit=3, sortby=[("area_km2", True)])
    page_b, n_b = pg_backend.items("districts", limit=3, sortby=[("area_km2", True)])
    assert n_a == n_b == 10
    pd.testing.assert_frame_equal(page_b, page_a)
    assert pg_backend.collections() == embedded_backend.collections() == F.collections(embedded_backend.path)


BAD_SELECTIONS = [
    dict(collection_id="nope"),
    dict(collection_id="communes", filters={"nope": "1"}),
    dict(collection_id="communes", filters={"area_km2": "1"}),
    dict(collection_id="communes", filters={"on_border": "maybe"}),
    dict(collection_id="works", filters={"year": "20x9"}),
    dict(collection_id="roads", year=2018),
    dict(collection_id="communes", year=2014),
    dict(collection_id="communes", sortby=[("nope", False)]),
]


def test_filter_values_are_bound_parameters(pg_backend):
    """A CQL2 filter reaches SQL as placeholders; the values, patterns and names are parameters."""
    from geo.ogc import cql2

    props = {"name": "string", "poor_rate_2020": "number"}
    f = cql2.compile_filter(
        "name LIKE 'x''); DROP TABLE ogc_features; --%' OR poor_rate_2020 > 12.5", props, "communes"
    )
    sel = pg_backend.select("communes", cql=f)
    assert sel.number_matched == 45
    assert "DROP" not in sel.where_sql and "12.5" not in sel.where_sql and "poor_rate_2020" not in sel.where_sql
    assert "x'); DROP TABLE ogc_features; --%" in sel.params.values() and 12.5 in sel.params.values()
    assert pg_backend.select("communes").number_matched == 102


def test_sortby_is_sorted_by_the_database(pg_backend):
    """sortby is an ORDER BY of the page query (the database sorts and cuts the page:
    a Limit over a Sort in the plan), never rows sorted in Python after fetching all."""
    sel = pg_backend.select("communes", sortby=[("poor_rate_2020", True), ("name", False)])
    assert "props ->>" in sel.order_sql and "DESC" in sel.order_sql
    with pg_backend.connection() as conn:
        plan = conn.execute(
            f"EXPLAIN SELECT id_json FROM ogc_features WHERE {sel.where_sql} ORDER BY {sel.order_sql} LIMIT 5",
            sel.params,
        ).fetchall()
    text = "\n".join(r[0] for r in plan)
    assert "Limit" in text and "Sort" in text
    assert len(sel.page_json(5, 0)) == 5


@pytest.mark.parametrize("q", BAD_SELECTIONS)
def test_provider_errors_identical(embedded_backend, pg_backend, q):
    with pytest.raises((F.QueryError, F.UnknownCollection)) as a:
        embedded_backend.select(**q)
    with pytest.raises(type(a.value)) as b:
        pg_backend.select(**q)
    assert str(b.value) == str(a.value)


def _frames_equal(a, b):
    pd.testing.assert_frame_equal(b, a, check_dtype=True)
    assert json.dumps(b.attrs, default=str, sort_keys=True) == json.dumps(a.attrs, default=str, sort_keys=True)


RANKS = [
    ("commune", {"poor_rate": 1.0}, 2020, [("near_border", 0, None)], None),
    ("commune", {"poor_rate": 1.0}, None, [("near_border", 7.5, "LAO"), ("near_roads", 2)], 5),
    ("commune", {"poor_rate": 0.6, "near_poor_rate": 0.4}, 2018, [("in_district", "Ngọc Hồi")], None),
    ("commune", {"p135_2017_2020": 1, "poor_rate": 2}, None, [("with_status", "!p135_2016")], None),
    ("district", {"poor_rate": 1.0}, 2016, [("near_border", 30, None)], None),
    ("district", {"poor_rate": 1.0}, None, [], 3),
    ("commune", {"population_density_2019": 1.0}, None, [("near_point", 107.95, 14.35, 25)], None),
]


@pytest.mark.parametrize("level, weights, year, constraints, top", RANKS)
def test_rank_frames_identical(embedded_backend, pg_backend, level, weights, year, constraints, top):
    out = []
    for b in (embedded_backend, pg_backend):
        t = b.targets()
        cs = [getattr(t, name)(level, *args) for name, *args in constraints]
        out.append(t.rank(level, weights, year, cs, top))
    _frames_equal(*out)


def test_relations_identical(embedded_backend, pg_backend):
    a, b = embedded_backend.targets(), pg_backend.targets()
    for code in ("23344", "23281", "23554"):
        _frames_equal(a.neighbours(code), b.neighbours(code))
        _frames_equal(a.nearest_works(code, 7), b.nearest_works(code, 7))
        _frames_equal(
            a.nearest_works(code, 3, "electrification", None), b.nearest_works(code, 3, "electrification", None)
        )
    for args in ((0,), (10, "electrification"), (3, None, None, "610"), (0, "road")):
        _frames_equal(a.communes_without_work(*args), b.communes_without_work(*args))
    for t in (a, b):
        with pytest.raises(KeyError):
            t.neighbours("99999")
        with pytest.raises(ValueError, match="unknown kind"):
            t.nearest_works("23344", 3, "bridge")
    c1, c2 = (
        a.intersecting("commune", query.parse_geometry("POLYGON ((107.6 14.3, 107.9 14.3, 107.9 14.6, 107.6 14.3))")),
        b.intersecting("commune", query.parse_geometry("POLYGON ((107.6 14.3, 107.9 14.3, 107.9 14.6, 107.6 14.3))")),
    )
    assert set(c1.mask.index[c1.mask]) == set(c2.mask.index[c2.mask]) and c1.label == c2.label


def test_rank_universe_normalises_over_the_whole_level():
    """targeting.rank on pre-filtered units (what the PostGIS backend passes) scores like the full level."""
    from fixtures import squares as sq

    from geo.analysis import targeting
    from geo.units.border import flag_border_communes

    grid = flag_border_communes(sq.squares(), sq.border())
    obs, cat, weights = sq.observations(), sq.catalogue(), {"poor_rate": 1, "near_poor_rate": 1}
    full = targeting.rank(grid, obs, cat, weights, 2020).set_index("gso_code")
    part = grid.iloc[::2]
    sub = targeting.rank(part, obs, cat, weights, 2020, universe=grid["gso_code"]).set_index("gso_code")
    assert len(sub) == len(part) and sub["score"].equals(full.loc[sub.index, "score"])
    ranked = sub["rank"].dropna().astype(int).tolist()  # 11100 lacks near_poor_rate: unranked, last
    assert ranked == list(range(1, len(ranked) + 1)) and len(ranked) == len(sub) - 1
    alone = targeting.rank(part, obs, cat, weights, 2020).set_index("gso_code")
    assert not alone["score"].equals(full.loc[alone.index, "score"])  # min-max over the subset differs
    with pytest.raises(ValueError, match="universe"):
        targeting.rank(grid, obs, cat, weights, 2020, universe=part["gso_code"])


def test_geometry_texts_are_made_on_demand_and_bounded():
    import geopandas as gpd
    from shapely.geometry import Point

    from geo import cache
    from geo.backends.embedded import GeometryTexts
    from geo.io import export

    units = gpd.GeoDataFrame(
        {"gso_code": ["1", "2", "3"]}, geometry=[Point(107.1, 14.2), Point(107.2, 14.3), None], crs=4326
    )
    part = cache.partition("test-geometry-texts", max_bytes=10**6, max_entries=2)
    texts = GeometryTexts(units, cache.Version("test", "1"), "commune", part)
    assert texts.get("1") == export.geometry_json(units.geometry[0])
    assert texts.get("3") == "null"
    assert texts.get("9") is None and texts.get("9", "x") == "x"
    texts.get("2")
    assert [k for _, k in part.keys()] == [("commune", "3"), ("commune", "2")]  # "1" (least recently used) went
    assert texts.get("1") == export.geometry_json(units.geometry[0])  # made again
    part.clear()


def test_two_postgis_targets_do_not_share_geometry_text():
    """PostGISTargets had a class-level dict shared by every instance (every version)."""
    from geo.backends.postgis import PostGISBackend, PostGISTargets, Snapshot

    db = PostGISBackend("postgresql://u@localhost/x")
    a = PostGISTargets(db, Snapshot(1, "1@a", {}))
    b = PostGISTargets(db, Snapshot(2, "2@b", {}))
    a.geometry_text["commune"] = "text of version 1"
    assert b.geometry_text == {} and a.geometry_text is not b.geometry_text
