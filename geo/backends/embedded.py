"""The embedded backend: the GeoPackage, read into memory and cached per file version.

This is the code the app always ran (:mod:`geo.io.storage`, :mod:`geo.ogc.features`
and the targeting context that :mod:`app.targets` kept), behind the
:class:`geo.backends.base.Backend` interface.  Every layer is read once per
GeoPackage version (path, modification time, size); metric geometries, the
border and road distances and the GeoJSON geometry text are computed once
per version too.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geo import cache, paths
from geo import settings as geo_settings
from geo.analysis import query, targeting, warm
from geo.backends.base import Backend, BackendUnavailable
from geo.io import export, storage
from geo.messages import Message
from geo.ogc import cql2, features, tiles
from geo.settings import Settings
from geo.uploads import versions


class EmbeddedBackend(Backend):
    """The GeoPackage ``gpkg``; without one, the GeoPackage ``settings`` serve (default: the
    process's settings), looked up at each call so a new dataset version is served at once
    (:func:`geo.paths.served_gpkg`)."""

    name = "embedded"

    def __init__(self, gpkg: Path | str | None = None, settings: Settings | None = None):
        self._gpkg = Path(gpkg) if gpkg else None
        self._settings = settings

    @property
    def path(self) -> Path:
        if self._gpkg is not None:
            return self._gpkg
        return paths.served_gpkg(self._settings or geo_settings.active())

    def describe(self) -> str:
        return str(self.path)

    def version(self) -> str:
        return self.version_parts()[1]

    def version_parts(self) -> tuple[str, str]:
        """The served file found once, then its stat (:func:`geo.cache.file_version`)."""
        path = self.path
        try:
            found = cache.file_version(path)
        except OSError:
            raise BackendUnavailable(Message("error.backend.not_built", name=path.name)) from None
        return found.source, found.token

    @property
    def versions(self) -> versions.FileStore:
        """The dataset versions in the state folder (:class:`geo.uploads.versions.FileStore`)."""
        return versions.FILES

    def layer_names(self) -> list[str]:
        return storage.list_layers(self.path)

    def read_layer(self, name: str) -> gpd.GeoDataFrame | pd.DataFrame:
        return storage.read_layer(name, self.path)

    # OGC API – Features
    def collection_ids(self) -> list[str]:
        return features.collection_ids(self.path)

    def collection(self, collection_id: str) -> dict:
        return features.collection(collection_id, self.path)

    def collections(self) -> list[dict]:
        return features.collections(self.path)

    def queryables(self, collection_id: str) -> dict[str, dict]:
        return features.queryables(collection_id, self.path)

    def select(
        self,
        collection_id: str,
        bbox: tuple[float, ...] | None = None,
        filters: dict[str, str] | None = None,
        datetime: tuple[int | None, int | None] | None = None,
        year: int | None = None,
        sortby: list[tuple[str, bool]] | None = None,
        cql: cql2.Filter | None = None,
    ) -> EmbeddedSelection:
        where = None if cql is None else functools.partial(cql2.mask, cql)
        return EmbeddedSelection(
            features.select(collection_id, bbox, filters, datetime, year, sortby, self.path, where=where)
        )

    def item_json(self, collection_id: str, fid: str) -> str:
        return features.item_json(collection_id, fid, self.path)

    def item(self, collection_id: str, fid: str) -> gpd.GeoDataFrame:
        return features.item(collection_id, fid, self.path)

    def tile(self, collection_id: str, z: int, y: int, x: int, properties: tuple[str, ...] = ()) -> bytes:
        """Tile ``z/y/x`` (:func:`geo.ogc.tiles.embedded_tile`), kept in :data:`geo.ogc.tiles.TILES` per data version."""
        c = features.get(collection_id, self.path)
        version = cache.Version(str(self.path), self.version())
        key = (collection_id, z, y, x, tuple(properties))
        return tiles.TILES.get_or_make(version, key, lambda: tiles.embedded_tile(c, z, y, x, properties))

    # targeting
    def targets(self) -> EmbeddedTargets:
        path = self.path
        version = cache.Version(str(path), self.version())
        return TARGETS.get_or_make(version, "targets", lambda: _targets(path, version))


@dataclass
class EmbeddedSelection:
    """:class:`geo.ogc.features.Selection` with the page methods of the interface."""

    sel: features.Selection

    @property
    def number_matched(self) -> int:
        return self.sel.number_matched

    @property
    def years(self) -> tuple[int, ...] | None:
        return self.sel.years

    def page_frame(self, limit: int, offset: int) -> gpd.GeoDataFrame:
        return features.page_frame(self.sel, limit, offset)

    def page_json(self, limit: int, offset: int) -> list[str]:
        return features.page_json(self.sel, limit, offset)

    def page_bytes(self, limit: int, offset: int) -> list[bytes]:
        return features.page_bytes(self.sel, limit, offset)


# --------------------------------------------------------------------------- targeting

#: Targeting contexts (one per GeoPackage version), see :mod:`geo.cache`.
TARGETS = cache.partition("targets", max_bytes=cache.GiB)
#: GeoJSON text of the units' geometries: an answer needs a few hundred at most,
#: and all 10,600 communes of the national scale would hold 30 MiB per process.
GEOMETRY_TEXT = cache.partition("geometry_text", max_bytes=32 * cache.MiB)
#: The contexts' value look-ups (:func:`geo.analysis.targeting.rank`'s ``cache``).
TARGET_VALUES = cache.partition("target_values", max_bytes=256 * cache.MiB)


class GeometryTexts:
    """GeoJSON text of the units' geometries by ``gso_code``, made on first use.

    The texts are kept in ``part`` (default :data:`GEOMETRY_TEXT`) under
    the data ``version`` and ``level``, least recently used out first.

    >>> import geopandas as gpd
    >>> from shapely.geometry import Point
    >>> texts = GeometryTexts(gpd.GeoDataFrame({"gso_code": ["1"]}, geometry=[Point(1, 2)]),
    ...                       cache.Version("doctest", "1"), "commune")
    >>> texts.get("1"), texts.get("2", "none")
    ('{"type":"Point","coordinates":[1.0,2.0]}', 'none')
    """

    def __init__(
        self, units: gpd.GeoDataFrame, version: cache.Version, level: str, part: cache.Partition = GEOMETRY_TEXT
    ):
        self._geoms = dict(zip(units["gso_code"].astype(str), units.geometry.values))
        self.version, self.level, self.part = version, level, part

    def get(self, code: str, default: str | None = None) -> str | None:
        """The GeoJSON text of unit ``code``'s geometry, else ``default``."""
        if code not in self._geoms:
            return default
        return self.part.get_or_make(self.version, (self.level, code), lambda: export.geometry_json(self._geoms[code]))


@dataclass
class EmbeddedTargets:
    """Everything /targets needs, in memory, for one GeoPackage version."""

    units: dict  # level → GeoDataFrame (WGS84, with border flags)
    metric: dict  # level → shapely array in UTM 48N
    border_dist: dict  # level → DataFrame LAO / KHM / any (km)
    roads_dist: dict  # level → Series (km)
    geometry_text: dict  # level → GeometryTexts (gso_code → GeoJSON text)
    works: gpd.GeoDataFrame
    obs: pd.DataFrame
    catalogue: pd.DataFrame
    version: str
    cache: cache.Memo | None = None  # targeting value look-ups (TARGET_VALUES, this version)

    def districts(self) -> pd.DataFrame:
        return self.units["district"]

    def commune_name(self, gso_code: str) -> str | None:
        """The name of commune ``gso_code``, or None when there is none."""
        codes = self.units["commune"]["gso_code"].astype(str).to_numpy()
        hits = np.flatnonzero(codes == str(gso_code))
        return str(self.units["commune"]["name"].iloc[hits[0]]) if len(hits) else None

    # constraints (geo.analysis.query), each a Constraint over the units of ``level``
    def near_border(self, level: str, within_km: float, country: str | None = None) -> query.Constraint:
        return query.near_border(self.units[level], within_km, country, distances=self.border_dist[level])

    def near_roads(self, level: str, within_km: float) -> query.Constraint:
        return query.near_roads(self.units[level], within_km, distances=self.roads_dist[level])

    def near_point(self, level: str, lon: float, lat: float, within_km: float) -> query.Constraint:
        return query.near_point(self.units[level], lon, lat, within_km, metric=self.metric[level])

    def intersecting(self, level: str, geom: shapely.Geometry) -> query.Constraint:
        return query.intersecting(self.units[level], geom, self.metric[level])

    def in_district(self, level: str, district: str) -> query.Constraint:
        return query.in_district(self.units[level], district, self.units["district"], level)

    def with_status(self, level: str, status: str) -> query.Constraint:
        return query.with_status(self.units[level], status, self.obs, level, self.catalogue)

    def rank(
        self,
        level: str,
        indicators: Mapping[str, float] | str | Iterable[str],
        year: int | None = None,
        constraints: Iterable[query.Constraint] = (),
        top: int | None = None,
        standard: str | None = None,
    ) -> gpd.GeoDataFrame:
        return targeting.rank(
            self.units[level],
            self.obs,
            self.catalogue,
            indicators,
            year,
            level,
            constraints,
            top,
            self.cache,
            standard=standard,
        )

    # relations
    def neighbours(self, gso_code: str) -> gpd.GeoDataFrame:
        return query.neighbours(self.units["commune"], gso_code, self.metric["commune"])

    def nearest_works(
        self, gso_code: str, n: int = 5, kind: str | None = None, precisions: tuple[str, ...] | None = query.PRECISE
    ) -> gpd.GeoDataFrame:
        return query.nearest_works(
            self.units["commune"], self.works, gso_code, n, kind, self.metric["commune"], precisions
        )

    def communes_without_work(
        self,
        within_km: float,
        kind: str | None = None,
        precisions: tuple[str, ...] | None = query.PRECISE,
        district: str | None = None,
    ) -> gpd.GeoDataFrame:
        communes, metric = self.units["commune"], self.metric["commune"]
        if district:
            keep = query.in_district(communes, district, self.units["district"]).mask.to_numpy()
            communes, metric = communes[keep], metric[keep]
        return query.communes_without_work(communes, self.works, within_km, kind, metric, precisions)


def _targets(path: Path, version: cache.Version) -> EmbeddedTargets:
    """Everything /targets needs for the GeoPackage ``path`` (of ``version``)."""
    communes = storage.read_layer("communes", path)
    districts = storage.read_layer("districts", path)
    border = storage.read_layer("border", path)
    roads = storage.read_layer("roads", path)
    communes = query.ensure_border_flags(communes, border)
    districts = query.district_border_flags(districts, communes)
    units = {"commune": communes, "district": districts}
    if "communes_2025" in storage.list_layers(path):
        units["commune_2025"] = query.ensure_border_flags(storage.read_layer("communes_2025", path), border)
    metric = {k: query.metric_geoms(v) for k, v in units.items()}
    # computed at build time and stored next to the file (geo.analysis.warm)
    dist = warm.distances(path, version.token, units, metric, border, roads)
    return EmbeddedTargets(
        units=units,
        metric=metric,
        border_dist={k: dist[k][[*query.COUNTRIES, "any"]] for k in units},
        roads_dist={k: dist[k]["roads"] for k in units},
        geometry_text={k: GeometryTexts(v, version, k) for k, v in units.items()},
        works=storage.read_layer("works", path),
        obs=storage.read_layer("observations", path),
        catalogue=storage.read_layer("catalogue", path),
        version=version.token,
        cache=cache.Memo(TARGET_VALUES, version, "targeting"),
    )


def target_units(layers: dict) -> dict[str, gpd.GeoDataFrame]:
    """The units /targets ranks (level → GeoDataFrame), from a GeoPackage's layers.

    Communes and 2025 communes keep (or get) their border flags; districts get
    theirs from their communes — exactly what :func:`_targets` serves.
    """
    communes = query.ensure_border_flags(layers["communes"], layers.get("border"))
    districts = query.district_border_flags(layers["districts"], communes)
    out = {"commune": communes, "district": districts}
    if "communes_2025" in layers:
        out["commune_2025"] = query.ensure_border_flags(layers["communes_2025"], layers.get("border"))
    return out
