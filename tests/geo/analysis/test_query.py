"""geo.analysis.query: exact answers on the 3×3 grid of 10 km squares, golden answers on the real data."""

from __future__ import annotations

import json
import math

import pytest
from fixtures import squares as sq
from shapely.geometry import box, mapping

from geo.analysis import query
from geo.units.border import flag_border_communes


@pytest.fixture(scope="module")
def grid():
    return flag_border_communes(sq.squares(), sq.border())


def _by_code(series):
    return {k: round(float(v), 3) for k, v in series.items()}


def _true(constraint):
    return sorted(constraint.mask[constraint.mask].index)


# -- distances ---------------------------------------------------------------


def test_distance_to_border_is_metric_km(grid):
    d = query.distance_to(grid, sq.border())
    got = dict(zip(grid["gso_code"], d.round(3)))
    assert got == {c: (0.0, 10.0, 20.0)[int(c[2])] for c in sq.CODES}


def test_distance_to_a_point_and_roads(grid):
    lon, lat = sq.lonlat(2.5, 2.5)
    c = query.near_point(grid, lon, lat, within_km=7.1)
    assert _by_code(c.distance_km) == {
        "12200": 0.0,
        "12100": 5.0,
        "11200": 5.0,
        "11100": 7.071,
        "12000": 15.0,
        "10200": 15.0,
        "11000": 15.811,
        "10100": 15.811,
        "10000": 21.213,
    }
    assert _true(c) == ["11100", "11200", "12100", "12200"]
    roads = query.near_roads(grid, 0, roads=sq.roads())
    assert _true(roads) == ["11000", "11100", "11200"]
    assert set(_by_code(roads.distance_km).values()) == {0.0, 5.0}
    assert len(_true(query.near_roads(grid, 5, roads=sq.roads()))) == 9
    assert _true(query.near_point(grid, lon, lat, 0)) == ["12200"]


def test_border_flags_of_the_grid(grid):
    assert dict(zip(grid["gso_code"], grid["border_countries"])) == {
        "10000": "KHM",
        "11000": "LAO",
        "12000": "LAO",
        **{c: "" for c in sq.CODES if c[2] != "0"},
    }


def test_near_border_touching_means_sharing_a_line(grid):
    on = query.near_border(grid, 0, border=sq.border())
    assert _true(on) == ["10000", "11000", "12000"]
    assert _by_code(on.distance_km) == {c: (0.0, 10.0, 20.0)[int(c[2])] for c in sq.CODES}
    lao = query.near_border(grid, 0, "LAO", border=sq.border())
    assert _true(lao) == ["11000", "12000"]  # 10000 touches the Laos line at a corner only
    assert lao.distance_km["10000"] == 0.0
    assert _true(query.near_border(grid, 0.001, "LAO", border=sq.border())) == ["10000", "11000", "12000"]
    khm = query.near_border(grid, 0, "khm", border=sq.border())
    assert _true(khm) == ["10000"]
    assert khm.distance_km["12000"] == 10.0


@pytest.mark.parametrize("within, expected", [(9.999, 3), (10, 6), (19.99, 6), (20, 9)])
def test_near_border_within_km(grid, within, expected):
    assert len(_true(query.near_border(grid, within, border=sq.border()))) == expected


def test_near_border_uses_precomputed_distances(grid):
    dist = query.border_distances(grid, sq.border())
    assert list(dist.columns) == ["LAO", "KHM", "any"]
    a = query.near_border(grid, 10, distances=dist)
    b = query.near_border(grid, 10, border=sq.border())
    assert _true(a) == _true(b)


@pytest.mark.parametrize("bad", [-1, "x", float("nan"), float("inf"), 5000])
def test_bad_within_km(grid, bad):
    with pytest.raises(ValueError, match="within_km"):
        query.near_border(grid, bad, border=sq.border())


def test_bad_country(grid):
    with pytest.raises(ValueError, match="LAO, KHM"):
        query.near_border(grid, 0, "THA", border=sq.border())


# -- polygons, districts, statuses ----------------------------------------


def test_intersects_a_drawn_polygon(grid):
    drawn = sq.to_wgs84([box(*sq.xy(0.5, 0.5), *sq.xy(1.5, 1.2))]).iloc[0]
    assert _true(query.intersecting(grid, drawn)) == ["10000", "10100", "11000", "11100"]
    inside = sq.to_wgs84([box(*sq.xy(1.2, 1.2), *sq.xy(1.8, 1.8))]).iloc[0]
    assert _true(query.intersecting(grid, inside)) == ["11100"]
    # through parse_geometry, as the API receives it
    geom = query.parse_geometry(json.dumps({"type": "Feature", "properties": {}, "geometry": mapping(inside)}))
    assert _true(query.intersecting(grid, geom)) == ["11100"]


def test_district_filter_by_code_or_name(grid):
    districts = sq.districts()
    assert _true(query.in_district(grid, "901", districts)) == ["10000", "11000", "12000"]
    assert len(_true(query.in_district(grid, "huyen noi dia", districts))) == 6
    assert len(_true(query.in_district(grid, "Biên Giới, 902", districts))) == 9
    with pytest.raises(ValueError, match="unknown district 'Nowhere'.*901 Huyện Biên Giới"):
        query.in_district(grid, "Nowhere", districts)


def test_status_filters(grid):
    obs, cat = sq.observations(), sq.catalogue()
    assert _true(query.with_status(grid, "p135", obs, catalogue=cat)) == ["11000", "12000", "12100"]
    assert _true(query.with_status(grid, "p135_2016", obs, catalogue=cat)) == ["11000", "12000", "12100"]
    assert _true(query.with_status(grid, "poor_district", obs, catalogue=cat)) == ["10000", "11000", "12000"]
    assert _true(query.with_status(grid, "border,!p135", obs, catalogue=cat)) == ["10000"]
    assert _true(query.with_status(grid, "on_border", obs, catalogue=cat)) == ["10000", "11000", "12000"]
    with pytest.raises(ValueError, match="unknown status 'rich'.*p135"):
        query.with_status(grid, "rich", obs, catalogue=cat)
    with pytest.raises(ValueError, match="communes"):
        query.with_status(sq.districts().assign(on_border=True), "p135", obs, level="district", catalogue=cat)


def test_district_border_flags(grid):
    d = query.district_border_flags(sq.districts(), grid)
    assert dict(zip(d["gso_code"], d["border_countries"])) == {"901": "KHM;LAO", "902": ""}
    assert d["on_border"].tolist() == [True, False]


# -- neighbours and works ---------------------------------------------------


def test_neighbours_are_rook_not_queen(grid):
    n = query.neighbours(grid, "11100")
    assert sorted(n["gso_code"]) == ["10100", "11000", "11200", "12100"]
    assert n["shared_km"].tolist() == [10.0] * 4
    corner = query.neighbours(grid, "10000")
    assert sorted(corner["gso_code"]) == ["10100", "11000"]  # not 11100 (a corner)
    with pytest.raises(KeyError):
        query.neighbours(grid, "99999")


def test_nearest_works(grid):
    w = query.nearest_works(grid, sq.works(), "11100", n=3)
    assert w["work_id"].tolist() == ["w-c", "w-a", "w-b"]
    assert w["distance_km"].tolist() == [0.0, 7.071, 7.071]
    # the district-located work counts only when asked for
    assert "w-d" not in query.nearest_works(grid, sq.works(), "10200", n=5)["work_id"].tolist()
    allw = query.nearest_works(grid, sq.works(), "10200", n=1, precisions=None)
    assert allw["work_id"].tolist() == ["w-d"] and allw["distance_km"].tolist() == [0.0]
    assert query.nearest_works(grid, sq.works(), "10200", n=1, kind="poverty_model")["distance_km"].tolist() == [15.0]
    with pytest.raises(ValueError, match="n must be"):
        query.nearest_works(grid, sq.works(), "11100", n=0)
    with pytest.raises(ValueError, match="unknown kind"):
        query.nearest_works(grid, sq.works(), "11100", kind="bridge")


def test_communes_without_work(grid):
    none_inside = query.communes_without_work(grid, sq.works(), 0)
    assert none_inside["gso_code"].tolist() == ["10100", "10200", "11000", "11200", "12000", "12100"]
    elec = query.communes_without_work(grid, sq.works(), 5, kind="electrification")
    assert elec["gso_code"].tolist() == ["10200", "12000", "12200"]
    assert elec["nearest_work_km"].tolist() == [7.071, 7.071, 7.071]
    assert elec["nearest_work_id"].tolist() == ["w-c", "w-c", "w-c"]
    assert len(query.communes_without_work(grid, sq.works(), 15)) == 0


# -- parsing -----------------------------------------------------------------


def test_parse_point_and_bbox():
    assert query.parse_point("point:107.5,14.5") == (107.5, 14.5)
    assert query.parse_point(" POINT: -1e-3 , 0 ") == (-0.001, 0.0)
    assert query.parse_bbox("107,14,108,15") == (107.0, 14.0, 108.0, 15.0)


@pytest.mark.parametrize(
    "text",
    [
        "107.5,14.5",
        "point:107.5",
        "point:a,b",
        "point:200,10",
        "point:10,95",
        "point:1,2,3",
        "point:nan,1",
        "point:",
        "point:1e999,1",
    ],
)
def test_parse_point_rejects(text):
    with pytest.raises(ValueError, match="point|coordinates"):
        query.parse_point(text)


@pytest.mark.parametrize("text", ["1,2,3", "108,14,107,15", "a,b,c,d", "0,0,0,0", "-181,0,1,1"])
def test_parse_bbox_rejects(text):
    with pytest.raises(ValueError):
        query.parse_bbox(text)


def test_parse_geometry_accepts_wkt_geojson_and_feature():
    wkt = "POLYGON ((107 14, 108 14, 108 15, 107 15, 107 14))"
    a = query.parse_geometry(wkt)
    b = query.parse_geometry(json.dumps(mapping(a)))
    c = query.parse_geometry({"type": "Feature", "geometry": mapping(a), "properties": None})
    d = query.parse_geometry("SRID=4326;" + wkt)
    assert a.equals(b) and a.equals(c) and a.equals(d)
    assert query.parse_geometry("MULTIPOLYGON (((107 14, 108 14, 108 15, 107 14)))").geom_type == "MultiPolygon"
    assert query.parse_geometry("POLYGON Z ((107 14 1, 108 14 1, 108 15 1, 107 14 1))").has_z is False


BAD_GEOMETRIES = {
    "empty": "",
    "garbage": "hello",
    "bad wkt": "POLYGON ((107 14, 108 14",
    "point": "POINT (107 14)",
    "linestring": '{"type": "LineString", "coordinates": [[107, 14], [108, 15]]}',
    "bowtie": "POLYGON ((107 14, 108 15, 108 14, 107 15, 107 14))",
    "metres": "POLYGON ((800000 1600000, 810000 1600000, 810000 1610000, 800000 1600000))",
    "bad json": '{"type": "Polygon", "coordinates": [[[107, 14]',
    "string coords": '{"type": "Polygon", "coordinates": [[["a", "b"], [1, 2], [3, 4], ["a", "b"]]]}',
    "short ring": '{"type": "Polygon", "coordinates": [[[107, 14], [108, 14]]]}',
    "no type": '{"coordinates": []}',
    "collection": '{"type": "FeatureCollection", "features": []}',
    "feature without geometry": '{"type": "Feature", "geometry": null}',
    "other srid": "SRID=32648;POLYGON ((107 14, 108 14, 108 15, 107 14))",
    "empty polygon": "POLYGON EMPTY",
    "deep json": "{" + '"type": "Polygon", "coordinates": ' + "[" * 5000 + "]" * 5000 + "}",
    "array": "[1, 2]",
}


@pytest.mark.parametrize("name", sorted(BAD_GEOMETRIES))
def test_parse_geometry_rejects(name):
    with pytest.raises(ValueError):
        query.parse_geometry(BAD_GEOMETRIES[name])


def test_parse_geometry_caps_vertices_and_size():
    n = query.MAX_VERTICES + 10
    ring = [(107 + 0.5 * math.cos(2 * math.pi * i / n), 14 + 0.5 * math.sin(2 * math.pi * i / n)) for i in range(n)]
    wkt = "POLYGON ((" + ", ".join(f"{x:.6f} {y:.6f}" for x, y in ring + ring[:1]) + "))"
    with pytest.raises(ValueError, match="vertices"):
        query.parse_geometry(wkt)
    with pytest.raises(ValueError, match="too large"):
        query.parse_geometry("POLYGON ((" + " " * query.MAX_GEOMETRY_CHARS + "))")


# -- real data -------------------------------------------------------------

BORDER_13 = {
    "Huyện Đắk Glei": {"Xã Đắk Blô", "Xã Đắk Nhoong", "Xã Đắk Long"},
    "Huyện Ngọc Hồi": {"Xã Đắk Dục", "Xã Đắk Nông", "Xã Đắk Xú", "Xã Bờ Y", "Xã Sa Loong"},
    "Huyện Sa Thầy": {"Xã Rơ Kơi", "Xã Mô Rai"},
    "Huyện Ia H' Drai": {"Xã Ia Đal", "Xã Ia Dom", "Xã Ia Tơi"},
}


@pytest.fixture(scope="module")
def real(gpkg):
    from geo.io import storage

    communes = storage.read_layer("communes", gpkg)
    border = storage.read_layer("border", gpkg)
    metric = query.metric_geoms(communes)
    return communes, border, query.border_distances(communes, border, metric), metric


def test_real_border_communes_are_the_13(real):
    communes, _, dist, _ = real
    on = query.near_border(communes, 0, distances=dist)
    picked = communes[communes["gso_code"].isin(_true(on))]
    assert picked.groupby("district_name")["name"].agg(set).to_dict() == BORDER_13
    khm = communes[communes["gso_code"].isin(_true(query.near_border(communes, 0, "KHM", distances=dist)))]
    assert len(khm) == 7
    assert set(khm["district_name"]) == {"Huyện Sa Thầy", "Huyện Ia H' Drai", "Huyện Ngọc Hồi"}
    lao = _true(query.near_border(communes, 0, "LAO", distances=dist))
    assert len(lao) == 7 and len(set(lao) & set(khm["gso_code"])) == 1  # one commune on both
    # the border communes are 0 km away; inland communes are not (4.4 km for the nearest)
    assert on.distance_km[on.mask].max() == 0.0
    assert on.distance_km[~on.mask].min() > 4.0
    assert len(_true(query.near_border(communes, 5, distances=dist))) == 15


def test_real_neighbours_share_lines(real):
    communes, _, _, metric = real
    code = communes.loc[communes["name"] == "Xã Ia Tơi", "gso_code"].item()
    n = query.neighbours(communes, code, metric)
    assert "Xã Ia Dom" in set(n["name"]) and (n["shared_km"] > 0.01).all()
    # symmetry
    for other in n["gso_code"]:
        assert code in set(query.neighbours(communes, other, metric)["gso_code"])
