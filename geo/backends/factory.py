"""Choosing the backend: the one place that decides between the GeoPackage and PostGIS.

:func:`backend_for` gives the backend the settings (:mod:`geo.settings`) ask
for: PostGIS when ``database_url`` is set, else the embedded GeoPackage.
PostGIS backends are made once per URL and schema in a process (each holds
a connection pool and caches), so every caller with the same settings shares
one.

Example
-------
>>> from geo.settings import Settings
>>> backend_for(Settings()).name
'embedded'
>>> database(Settings()) is None
True
"""

from __future__ import annotations

import threading

from geo.backends.base import Backend, check_schema, parse_url
from geo.backends.embedded import EmbeddedBackend
from geo.backends.postgis import PostGISBackend
from geo.settings import Settings
from geo.uploads import versions

_instances: dict[tuple, PostGISBackend] = {}
_instances_lock = threading.Lock()


def postgis_backend(url: str, schema: str | None = None, *, pool_max: int = 8, pool_timeout: int = 5) -> PostGISBackend:
    """The PostGIS backend for ``url`` (one per URL and schema in a process).

    ``pool_max`` / ``pool_timeout`` size its connection pool when it is made
    (``DATABASE_POOL_MAX`` / ``DATABASE_POOL_TIMEOUT``).  Raises
    :class:`geo.backends.base.BackendConfigError` for a malformed URL or schema.
    """
    parse_url(url)
    schema = check_schema(schema)
    key = ("postgis", str(url).strip(), schema)
    with _instances_lock:
        hit = _instances.get(key)
        if hit is None:
            hit = _instances[key] = PostGISBackend(
                str(url).strip(), schema, pool_max=pool_max, pool_timeout=pool_timeout
            )
    return hit


def database(settings: Settings) -> PostGISBackend | None:
    """The PostGIS backend ``settings`` name (``database_url``), or None for the GeoPackage."""
    if not settings.database_url:
        return None
    return postgis_backend(
        settings.database_url,
        settings.database_schema,
        pool_max=settings.database_pool_max,
        pool_timeout=settings.database_pool_timeout,
    )


def backend_for(settings: Settings) -> Backend:
    """The backend ``settings`` ask for: PostGIS when ``database_url`` is set, else the
    GeoPackage they serve (``gpkg``, else the current dataset version, else the base build)."""
    return database(settings) or EmbeddedBackend(settings=settings)


versions.set_database_opener(database)  # geo.uploads.versions cannot import this module (a cycle)
