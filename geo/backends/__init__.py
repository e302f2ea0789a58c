"""Where the served data live: the embedded GeoPackage or a PostGIS database.

Two backends answer the same questions with the same results:

``embedded`` (:class:`geo.backends.embedded.EmbeddedBackend`)
    The default: the GeoPackage written by ``python -m geo build`` (and the
    dataset versions of :mod:`geo.uploads.versions`), read into memory and cached
    per file version.  Zero set-up; one machine.
``postgis`` (:class:`geo.backends.postgis.PostGISBackend`)
    ``DATABASE_URL=postgresql://user:password@host:5432/dbname``: one
    shared database for several workers and machines.  Spatial filters
    (``ST_DWithin`` / ``ST_Distance`` in UTM 48N, ``ST_Intersects``, KNN
    ``<->``, bbox ``&&``) and paging run in SQL; dataset versions and the
    upload history are tables (``python -m geo db init|migrate|load``).

:func:`geo.backends.factory.backend_for` picks one from the settings
(:mod:`geo.settings`: ``DATABASE_URL`` unset or empty means the embedded
one); the app does so once, in :func:`app.create_app`.  The interface and
the errors are in :mod:`geo.backends.base`.  This package module imports
neither backend (each imports :mod:`geo.backends.base`).

The interface (:class:`Backend`):

* ``read_layer(name)`` / ``layer_names()`` — a whole layer as the GeoPackage
  gives it (same columns, dtypes and order in both backends);
* ``collection_ids()``, ``collection(id)``, ``select(id, …)`` (a selection
  with ``number_matched``, ``years``, ``page_frame`` / ``page_bytes``),
  ``item_json(id, fid)``, ``item(id, fid)`` — the OGC API – Features
  provider (see :mod:`geo.ogc.features`);
* ``targets()`` — the targeting source of the served version: constraints
  (``near_border``, ``near_roads``, ``near_point``, ``intersecting``,
  ``in_district``, ``with_status``), ``rank``, ``neighbours``,
  ``nearest_works``, ``communes_without_work`` (see :mod:`app.targets`);
* ``version()`` — a token that changes whenever the served data change.
"""
