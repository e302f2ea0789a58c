"""Both backends make the same vector tiles: the same features, ids and properties, and
shapes that differ only as two simplifications within the same tolerance can (PostGIS's
ST_Simplify and GEOS's Douglas–Peucker keep slightly different vertices; both snap to the
same grid): each shape within twice the tolerance plus the grid step of the other, and the
tile's total area within 1 %."""

from __future__ import annotations

import mapbox_vector_tile
import pytest
from shapely.geometry import shape

from geo.ogc import tiles

CASES = [
    ((7, 58, 102), ("poor_rate_2020", "households_2020")),  # the whole province, coarse
    ((8, 116, 204), ()),  # a quarter, cut by the tile's edges
    (tiles.tile_of(108.0, 14.35, 11), ("near_poor_rate_2018",)),  # a few communes, named
]


def _features(data: bytes) -> dict[int, dict]:
    layer = mapbox_vector_tile.decode(data)["communes"]
    return {f["id"]: f for f in layer["features"]}


@pytest.mark.parametrize("zyx, props", CASES)
def test_postgis_tiles_match_the_embedded_ones(embedded_backend, pg_backend, zyx, props):
    ours = _features(embedded_backend.tile("communes", *zyx, properties=props))
    theirs = _features(pg_backend.tile("communes", *zyx, properties=props))
    assert ours and sorted(ours) == sorted(theirs)
    z, y, x = zyx
    minx, _, maxx, _ = tiles.tile_bounds(z, y, x)
    step = tiles.tolerance(z) * tiles.EXTENT / (maxx - minx)  # the tolerance in tile units
    total = [0.0, 0.0]
    for fid, f in ours.items():
        assert f["properties"] == pytest.approx(theirs[fid]["properties"])
        a, b = shape(f["geometry"]), shape(theirs[fid]["geometry"])
        assert a.hausdorff_distance(b) <= 2 * step + 2
        total[0] += a.area
        total[1] += b.area
    assert total[0] == pytest.approx(total[1], rel=0.01)


def test_both_backends_refuse_the_same_properties(embedded_backend, pg_backend):
    for backend in (embedded_backend, pg_backend):
        with pytest.raises(tiles.TileError, match="unknown property 'poor_rate_2031'"):
            backend.tile("communes", 7, 58, 102, properties=("poor_rate_2031",))
        with pytest.raises(tiles.TileNotFound):
            backend.tile("communes", 7, 58, 128)


def test_an_empty_tile_is_empty_on_both(embedded_backend, pg_backend):
    assert embedded_backend.tile("communes", 7, 0, 0) == pg_backend.tile("communes", 7, 0, 0) == b""
