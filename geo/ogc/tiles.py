"""Vector tiles of the OGC collections (OGC API – Tiles, Mapbox Vector Tiles).

The provider half of ``/ogc/collections/{id}/tiles`` (:mod:`app.ogc_tiles` is
the formatter): the one tile matrix set served, ``WebMercatorQuad`` (OGC 2D
Tile Matrix Set 17-083r4, Annex D.1: EPSG:3857, 256-pixel tiles, zoom 0 one
tile), tile bounds, the checks of ``{z}/{y}/{x}`` and of the properties a tile
carries, and the embedded backend's encoder.  The PostGIS backend answers the
same tile with ``ST_AsMVTGeom`` + ``ST_AsMVT`` in one query
(:meth:`geo.backends.postgis.PostGISBackend.tile`), with the same rules:

* a tile holds one layer named after the collection, extent :data:`EXTENT`,
  a buffer of :data:`BUFFER` units around it, the feature ids the rows'
  positions (the id order), and only the properties the map draws: the
  id field, ``name`` from zoom :data:`NAME_MIN_ZOOM` when the collection
  has one, and the value columns asked for (``properties=``) with their
  ``_status`` companions;
* geometry is simplified per zoom (Douglas–Peucker, :func:`tolerance`: half
  a 256-pixel screen pixel), then clipped to the buffered tile: the detail
  grows as the user zooms in;
* a tile with no feature is empty (the app answers 204).

Example
-------
>>> tile_bounds(0, 0, 0) == (-ORIGIN, -ORIGIN, ORIGIN, ORIGIN)
True
>>> [round(v) for v in tile_bounds(1, 0, 1)]
[0, 0, 20037508, 20037508]
>>> check_tile(3, 9, 1)
Traceback (most recent call last):
...
geo.ogc.tiles.TileNotFound: tile 3/9/1 is outside the tile matrix (row and column 0–7 at zoom 3)
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import mapbox_vector_tile
import numpy as np
import shapely

from geo import cache
from geo.messages import Message
from geo.ogc import features

#: The tile matrix set served, its URI and its CRS (OGC 17-083r4 Annex D.1).
TMS_ID = "WebMercatorQuad"
TMS_URI = "http://www.opengis.net/def/tilematrixset/OGC/1.0/WebMercatorQuad"
TMS_CRS = "http://www.opengis.net/def/crs/EPSG/0/3857"
#: Half the width of the EPSG:3857 world square, metres.
ORIGIN = 20037508.3427892
#: Zoom levels served (0 … MAX_ZOOM): 16 is ~2.4 m per pixel, finer than any commune boundary.
MAX_ZOOM = 16
TILE_PIXELS = 256
#: MVT extent (units per tile side) and buffer (units beyond each side), as ST_AsMVTGeom's defaults.
EXTENT = 4096
BUFFER = 64
#: Scale denominator of zoom 0 for 0.28 mm pixels (OGC 17-083r4 Annex D.1).
SCALE_0 = 559082264.0287178
MEDIA_TYPE = "application/vnd.mapbox-vector-tile"
#: The OGC API – Tiles conformance classes implemented (and only those).
CONFORMANCE = [
    "http://www.opengis.net/spec/ogcapi-tiles-1/1.0/conf/core",
    "http://www.opengis.net/spec/ogcapi-tiles-1/1.0/conf/tileset",
    "http://www.opengis.net/spec/ogcapi-tiles-1/1.0/conf/tilesets-list",
    "http://www.opengis.net/spec/ogcapi-tiles-1/1.0/conf/geodata-tilesets",
    "http://www.opengis.net/spec/ogcapi-tiles-1/1.0/conf/mvt",
]
#: Collections served as tiles: the polygons the map fills.
TILED = ("communes", "districts", "communes_2025")
#: Names ride along from this zoom (below it a tile of the whole country would be a third names).
NAME_MIN_ZOOM = 8
#: Most value columns one tile request may ask for; value columns an error lists.
MAX_PROPERTIES = 4
SHOWN = 12
#: Tiles made (MVT bytes), per data version, by both backends (the app keeps their compressed forms).
TILES = cache.partition("tiles", max_bytes=64 * cache.MiB, max_item=4 * cache.MiB, max_entries=8192)


class TileError(ValueError):
    """A tile request that cannot be answered (a bad parameter: HTTP 400)."""


class TileNotFound(TileError):
    """A tile outside the tile matrix set or its zoom levels (HTTP 404)."""


def tile_bounds(z: int, y: int, x: int) -> tuple[float, float, float, float]:
    """The EPSG:3857 bounds (minx, miny, maxx, maxy) of tile ``z/y/x`` (row ``y`` from the top).

    >>> [round(v) for v in tile_bounds(2, 1, 2)]
    [0, 0, 10018754, 10018754]
    """
    size = 2 * ORIGIN / 2**z
    return (-ORIGIN + x * size, ORIGIN - (y + 1) * size, -ORIGIN + (x + 1) * size, ORIGIN - y * size)


def tile_of(lon: float, lat: float, z: int) -> tuple[int, int, int]:
    """The tile ``(z, y, x)`` holding the point ``lon``, ``lat`` (degrees).

    >>> tile_of(107.8, 14.6, 9)
    (9, 235, 409)
    """
    mx, my = lonlat_to_mercator(np.array([lon]), np.array([lat]))
    size, n = 2 * ORIGIN / 2**z, 2**z
    x = min(n - 1, max(0, int((float(mx[0]) + ORIGIN) // size)))
    y = min(n - 1, max(0, int((ORIGIN - float(my[0])) // size)))
    return z, y, x


def tolerance(z: int) -> float:
    """The simplification tolerance at zoom ``z`` in metres: half a pixel of a 256-pixel tile.

    >>> round(tolerance(0)), round(tolerance(10), 2)
    (78272, 76.44)
    """
    return 2 * ORIGIN / 2**z / TILE_PIXELS / 2


def check_tile(z: int, y: int, x: int) -> tuple[int, int, int]:
    """``(z, y, x)`` when the tile exists in :data:`TMS_ID` at a served zoom, else :class:`TileNotFound`.

    >>> check_tile(0, 0, 0)
    (0, 0, 0)
    """
    if not 0 <= z <= MAX_ZOOM:
        raise TileNotFound(Message("error.tiles.zoom_range", z=z, max=MAX_ZOOM))
    n = 2**z
    if not (0 <= y < n and 0 <= x < n):
        raise TileNotFound(Message("error.tiles.outside", z=z, y=y, x=x, last=n - 1))
    return z, y, x


def lonlat_to_mercator(lon: np.ndarray, lat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """EPSG:4326 degrees → EPSG:3857 metres (spherical Mercator, as PROJ's).

    >>> x, y = lonlat_to_mercator(np.array([180.0]), np.array([0.0]))
    >>> round(float(x[0]), 4), abs(float(y[0])) < 1e-6
    (20037508.3428, True)
    """
    radius = ORIGIN / math.pi
    lat = np.clip(lat, -85.06, 85.06)
    return radius * np.radians(lon), radius * np.log(np.tan(np.pi / 4 + np.radians(lat) / 2))


def mercator_to_lonlat(x: float, y: float) -> tuple[float, float]:
    """EPSG:3857 metres → EPSG:4326 degrees.

    >>> [round(v, 6) for v in mercator_to_lonlat(0.0, 0.0)]
    [0.0, 0.0]
    """
    radius = ORIGIN / math.pi
    return math.degrees(x / radius), math.degrees(2 * math.atan(math.exp(y / radius)) - math.pi / 2)


def to_mercator(geoms: np.ndarray) -> np.ndarray:
    """Shapely geometries in lon/lat → EPSG:3857."""

    def project(coords: np.ndarray) -> np.ndarray:
        x, y = lonlat_to_mercator(coords[:, 0], coords[:, 1])
        return np.column_stack([x, y])

    return shapely.transform(geoms, project)


def tile_properties(columns: dict, id_field: str, requested: Sequence[str], z: int = MAX_ZOOM) -> list[tuple[str, str]]:
    """The (name, JSON type) of the properties a tile of zoom ``z`` carries, in order.

    The id field, ``name`` when there is one and ``z`` is at least
    :data:`NAME_MIN_ZOOM` (or when asked for), then each of ``requested``
    (a value column of the collection) and its ``<name>_status``.  ``columns``
    maps column names to their JSON type.  An unknown or repeated name, or
    more than :data:`MAX_PROPERTIES`, is a :class:`TileError`.

    >>> cols = {"gso_code": "string", "name": "string", "poor_rate_2020": "number",
    ...         "poor_rate_2020_status": "string"}
    >>> tile_properties(cols, "gso_code", ["poor_rate_2020"])
    [('gso_code', 'string'), ('name', 'string'), ('poor_rate_2020', 'number'), ('poor_rate_2020_status', 'string')]
    >>> tile_properties(cols, "gso_code", ["name"], z=5)
    [('gso_code', 'string'), ('name', 'string')]
    >>> tile_properties(cols, "gso_code", ["area"])
    Traceback (most recent call last):
    ...
    geo.ogc.tiles.TileError: unknown property 'area' for the tiles; properties: poor_rate_2020
    """
    named = "name" in columns and id_field != "name" and z >= NAME_MIN_ZOOM
    base = [id_field] + (["name"] if named else [])
    if len(requested) > MAX_PROPERTIES:
        raise TileError(Message("error.tiles.too_many", max=MAX_PROPERTIES, got=len(requested)))
    names = list(base)
    for k, name in enumerate(requested):
        if name in requested[:k]:
            raise TileError(Message("error.tiles.repeated_property", got=name))
        if name in base:  # carried anyway
            continue
        if name not in columns:
            values = [n for n in columns if n not in (id_field, "name") and not n.endswith(("_status", "_standard"))]
            options = ", ".join(values[:SHOWN]) + (f", … ({len(values)})" if len(values) > SHOWN else "")
            raise TileError(Message("error.tiles.unknown_property", got=name, expected=options))
        names.append(name)
        status = name + "_status"
        if status in columns and status not in names and status not in requested:
            names.append(status)
    return [(n, columns[n]) for n in names]


def tile_value(value: object, jtype: str) -> object | None:
    """``value`` as an MVT property of JSON type ``jtype``, or None (MVT has no null: left out).

    >>> tile_value(12.5, "number"), tile_value(float("nan"), "number"), tile_value(3.0, "integer")
    (12.5, None, 3)
    """
    if features.isnull(value):
        return None
    if jtype == "number":
        return float(value)
    if jtype == "integer":
        return int(value)
    if jtype == "boolean":
        return bool(value)
    return str(value)


def tile_geometries(
    geoms: np.ndarray, z: int, y: int, x: int, tree: shapely.STRtree | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """The positions of ``geoms`` (lon/lat) in tile ``z/y/x`` and their tile geometry (EPSG:3857,
    simplified for the zoom, clipped to the buffered tile, empty ones left out); ``tree`` is
    ``geoms``' spatial index (made when not given)."""
    minx, miny, maxx, maxy = tile_bounds(z, y, x)
    pad = (maxx - minx) * BUFFER / EXTENT
    lon0, lat0 = mercator_to_lonlat(minx - pad, miny - pad)
    lon1, lat1 = mercator_to_lonlat(maxx + pad, maxy + pad)
    tree = tree if tree is not None else shapely.STRtree(geoms)
    hits = np.sort(tree.query(shapely.box(lon0, lat0, lon1, lat1), predicate="intersects"))
    if not len(hits):
        return hits, np.array([], dtype=object)
    shapes = shapely.simplify(to_mercator(geoms[hits]), tolerance(z), preserve_topology=False)
    shapes = shapely.clip_by_rect(shapes, minx - pad, miny - pad, maxx + pad, maxy + pad)
    keep = ~shapely.is_empty(shapes) & (shapely.area(shapes) > 0)
    return hits[keep], shapes[keep]


def to_grid(shapes: np.ndarray, bounds: tuple[float, float, float, float]) -> np.ndarray:
    """EPSG:3857 ``shapes`` on the tile's integer grid (0 … :data:`EXTENT`, y up), snapped and
    valid, exterior rings clockwise (so they are clockwise in the tile's y-down coordinates, as
    MVT 2.1 wants); collapsed ones are empty.

    >>> to_grid(np.array([shapely.box(0, 0, 10, 10)]), (0, 0, 20, 20))[0].normalize().wkt
    'POLYGON ((0 0, 0 2048, 2048 2048, 2048 0, 0 0))'
    """
    minx, miny, maxx, _ = bounds
    scale = EXTENT / (maxx - minx)

    def project(coords: np.ndarray) -> np.ndarray:
        return np.column_stack([(coords[:, 0] - minx) * scale, (coords[:, 1] - miny) * scale])

    grid = shapely.set_precision(shapely.transform(shapes, project), 1.0)
    return shapely.orient_polygons(grid, exterior_cw=True)


def encode_tile(
    layer: str,
    positions: np.ndarray,
    shapes: np.ndarray,
    props: list[tuple[str, str]],
    values: dict[str, Sequence],
    bounds: tuple[float, float, float, float],
) -> bytes:
    """One MVT layer ``layer``: feature ``i`` has id ``positions[i]``, geometry ``shapes[i]``
    (EPSG:3857) and the properties ``props`` from ``values[name][i]``; ``b""`` when empty.

    The grid snapping and ring orientation are vectorised (:func:`to_grid`);
    ``mapbox-vector-tile`` writes the commands and the protobuf.
    """
    grid = to_grid(shapes, bounds)
    feats = []
    for i, (pos, shape) in enumerate(zip(positions, grid)):
        if shape.is_empty:
            continue
        properties = {}
        for name, jtype in props:
            v = tile_value(values[name][i], jtype)
            if v is not None:
                properties[name] = v
        feats.append({"geometry": shape, "properties": properties, "id": int(pos)})
    if not feats:
        return b""
    return mapbox_vector_tile.encode(
        [{"name": layer, "features": feats}],
        default_options={"extents": EXTENT, "y_coord_down": False, "check_winding_order": False},
    )


def embedded_tile(c: features.Collection, z: int, y: int, x: int, requested: Sequence[str] = ()) -> bytes:
    """Tile ``z/y/x`` of the built collection ``c`` (the embedded backend), ``b""`` when empty.

    The features come from the collection's spatial index (its STR tree over
    the GeoPackage's geometries) queried with the buffered tile's box.
    """
    check_tile(z, y, x)
    props = tile_properties({n: col.type for n, col in c.columns.items()}, c.spec.id_field, requested, z)
    positions, shapes = tile_geometries(c.geoms, z, y, x, c.tree)
    values = {name: c.frame[name].to_numpy()[positions] for name, _ in props}
    return encode_tile(c.spec.id, positions, shapes, props, values, tile_bounds(z, y, x))


def limits(bbox: Sequence[float], max_zoom: int = MAX_ZOOM) -> list[dict]:
    """``tileMatrixSetLimits`` of a lon/lat ``bbox``: the rows and columns holding data, per zoom.

    >>> limits([107.3, 13.9, 108.6, 15.5], 1)
    [{'tileMatrix': '0', 'minTileRow': 0, 'maxTileRow': 0, 'minTileCol': 0, 'maxTileCol': 0}, \
{'tileMatrix': '1', 'minTileRow': 0, 'maxTileRow': 0, 'minTileCol': 1, 'maxTileCol': 1}]
    """
    x0, y0 = lonlat_to_mercator(np.array([bbox[0]]), np.array([bbox[1]]))
    x1, y1 = lonlat_to_mercator(np.array([bbox[2]]), np.array([bbox[3]]))
    out = []
    for z in range(max_zoom + 1):
        n, size = 2**z, 2 * ORIGIN / 2**z

        def cell(v: float, n: int = n, size: float = size) -> int:
            return min(n - 1, max(0, int((v + ORIGIN) // size)))

        col0, col1 = cell(float(x0[0])), cell(float(x1[0]))
        row0, row1 = n - 1 - cell(float(y1[0])), n - 1 - cell(float(y0[0]))
        out.append(
            {"tileMatrix": str(z), "minTileRow": row0, "maxTileRow": row1, "minTileCol": col0, "maxTileCol": col1}
        )
    return out


def tile_matrix_set() -> dict:
    """The ``WebMercatorQuad`` definition (OGC 17-083r4 Annex D.1, JSON encoding), zooms 0 … MAX_ZOOM."""
    matrices = []
    for z in range(MAX_ZOOM + 1):
        n = 2**z
        matrices.append(
            {
                "id": str(z),
                "scaleDenominator": SCALE_0 / n,
                "cellSize": 2 * ORIGIN / TILE_PIXELS / n,
                "cornerOfOrigin": "topLeft",
                "pointOfOrigin": [-ORIGIN, ORIGIN],
                "tileWidth": TILE_PIXELS,
                "tileHeight": TILE_PIXELS,
                "matrixWidth": n,
                "matrixHeight": n,
            }
        )
    return {
        "id": TMS_ID,
        "title": "Google Maps Compatible for the World",
        "uri": TMS_URI,
        "crs": TMS_CRS,
        "orderedAxes": ["X", "Y"],
        "wellKnownScaleSet": "http://www.opengis.net/def/wkss/OGC/1.0/GoogleMapsCompatible",
        "tileMatrices": matrices,
    }
