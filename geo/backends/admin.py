"""``python -m geo db init|migrate|load|status``: the PostGIS database.

The embedded GeoPackage needs none of this.  For several workers or
machines sharing one database, set ``DATABASE_URL`` (and, optionally,
``DATABASE_SCHEMA`` to keep the tables in a schema of their own), then::

    export DATABASE_URL=postgresql://kontum:secret@localhost:5432/kontum
    python -m geo build          # the GeoPackage the database is loaded from
    python -m geo db init        # CREATE EXTENSION postgis (when allowed) + migrations
    python -m geo db load        # build/kontum.gpkg → dataset version 0, current
    python -m app --workers 4    # every worker serves the database

``db migrate`` applies the migrations not applied yet (``geo/migrations``,
recorded in ``schema_migrations``; safe to repeat and to run from several
machines at once).  ``db load --replace`` deletes every dataset version
(uploads included) and loads the GeoPackage again.  ``db status`` lists the
migrations and the versions.  Every failure is one line on stderr, exit 2:
a malformed or missing ``DATABASE_URL``, a database that cannot be reached,
PostGIS missing.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from geo import paths, settings
from geo.backends import factory
from geo.backends.base import Backend, BackendError
from geo.errors import CliError


def _backend(args) -> Backend:
    conf = settings.active()
    url = args.url if args.url is not None else conf.database_url
    if not url.strip():
        raise CliError(
            "DATABASE_URL is not set; e.g. export "
            "DATABASE_URL=postgresql://user:password@localhost:5432/kontum (or pass --url)"
        )
    try:
        schema = args.schema if args.schema is not None else conf.database_schema
        return factory.postgis_backend(
            url, schema, pool_max=conf.database_pool_max, pool_timeout=conf.database_pool_timeout
        )
    except BackendError as exc:
        raise CliError(str(exc)) from None


def _run(call):
    try:
        return call()
    except BackendError as exc:
        raise CliError(str(exc)) from None


def _cmd_init(args) -> int:
    db = _backend(args)
    done = _run(db.init)
    print(f"{db.describe()}: PostGIS ready; " + (f"applied {', '.join(done)}" if done else "schema up to date"))
    return 0


def _cmd_migrate(args) -> int:
    db = _backend(args)
    done = _run(db.migrate)
    print(f"{db.describe()}: " + (f"applied {', '.join(done)}" if done else "schema up to date"))
    return 0


def _cmd_load(args) -> int:
    db = _backend(args)
    gpkg = Path(args.gpkg) if args.gpkg else paths.build_dir() / "kontum.gpkg"
    _run(db.migrate)
    _run(lambda: db.load(gpkg, replace=args.replace, who=args.who, note=args.note or ""))
    st = _run(db.status)
    print(f"loaded {gpkg} into {db.describe()} as dataset version 0 (current: {st.get('current')})")
    return 0


def _cmd_status(args) -> int:
    db = _backend(args)
    st = _run(db.status)
    print(f"database: {st['database']}")
    print(f"PostGIS:  {st['postgis']}")
    for m in st["migrations"]:
        print(f"applied:  {m}")
    for m in st["pending"]:
        print(f"pending:  {m}")
    if "versions" in st:
        print(
            f"versions: {', '.join(map(str, st['versions'])) or 'none (run python -m geo db load)'}; "
            f"current {st['current']}"
        )
    return 0


def register(sub: Any) -> None:  # sub: argparse add_subparsers() action (its class is private)
    p = sub.add_parser(
        "db",
        help="the PostGIS database (DATABASE_URL): init, migrate, load, status",
        description="Set up the shared PostGIS database (DATABASE_URL=postgresql://user:"
        "password@host:5432/dbname, optional DATABASE_SCHEMA): init, then load "
        "build/kontum.gpkg as dataset version 0. The embedded GeoPackage needs none "
        "of this.",
    )
    dsub = p.add_subparsers(dest="db_command", metavar="ACTION")
    dsub.required = True

    def common(q):
        q.add_argument("--url", default=None, help="database URL (default $DATABASE_URL)")
        q.add_argument("--schema", default=None, help="schema for the tables (default $DATABASE_SCHEMA or public)")

    q = dsub.add_parser("init", help="create the PostGIS extension (when allowed) and the schema")
    common(q)
    q.set_defaults(func=_cmd_init)
    q = dsub.add_parser("migrate", help="apply the migrations not applied yet (idempotent)")
    common(q)
    q.set_defaults(func=_cmd_migrate)
    q = dsub.add_parser("load", help="load the built GeoPackage as dataset version 0")
    common(q)
    q.add_argument("--gpkg", default=None, help="GeoPackage to load (default build/kontum.gpkg)")
    q.add_argument("--replace", action="store_true", help="delete every dataset version (uploads too) and load again")
    q.add_argument("--who", default=settings.active().user, help="who loads (recorded)")
    q.add_argument("--note", default="", help="a note recorded with the version")
    q.set_defaults(func=_cmd_load)
    q = dsub.add_parser("status", help="migrations applied and pending, dataset versions")
    common(q)
    q.set_defaults(func=_cmd_status)
