"""The exported communes collection as a PostGIS table, for tipg (bench/README.md).

tipg serves the tables of a PostGIS schema.  It gets the same data as
pygeoapi (``build/bench/communes_ogc.gpkg``: every property the app serves,
coordinates rounded like the app's), written to the table ``communes`` of
its own schema (default ``bench_tipg``) in the database the app's PostGIS
mode uses (``BENCH_DATABASE_URL``, else the test server's URL in
``/tmp/pgurl``) — with a primary key on ``gso_code`` and a GiST index, as a
tipg deployment would have.
"""

from __future__ import annotations

import os
from pathlib import Path

import pandas as pd
import pyogrio
import shapely

SCHEMA = "bench_tipg"


def database_url() -> str | None:
    """``BENCH_DATABASE_URL``, else the URL in ``/tmp/pgurl`` (the test PostGIS), else None."""
    url = os.environ.get("BENCH_DATABASE_URL")
    if url:
        return url
    pgurl = Path("/tmp/pgurl")
    return pgurl.read_text().strip() if pgurl.exists() else None


def _sql_type(series: pd.Series) -> str:
    kind = str(series.dtype).lower()
    if kind in ("bool", "boolean"):
        return "boolean"
    if kind.startswith(("int", "uint")):
        return "bigint"
    if kind.startswith("float"):
        return "double precision"
    return "text"


def _cell(v):
    if v is None or v is pd.NA or (isinstance(v, float) and v != v):
        return None
    if hasattr(v, "item"):  # numpy scalars
        return v.item()
    return v


def load(gpkg: Path | str, url: str, schema: str = SCHEMA) -> dict:
    """(Re)write ``schema.communes`` from the GeoPackage ``gpkg`` (layer ``communes``)."""
    import psycopg
    from psycopg import sql

    frame = pyogrio.read_dataframe(gpkg, layer="communes")
    props = [c for c in frame.columns if c != frame.geometry.name]
    cols = [sql.SQL("{} {}").format(sql.Identifier(c), sql.SQL(_sql_type(frame[c]))) for c in props]
    table = sql.Identifier(schema, "communes")
    wkb = shapely.to_wkb(frame.geometry.values, output_dimension=2)
    with psycopg.connect(url, autocommit=False) as conn:
        conn.execute(sql.SQL("CREATE SCHEMA IF NOT EXISTS {}").format(sql.Identifier(schema)))
        conn.execute(sql.SQL("DROP TABLE IF EXISTS {}").format(table))
        conn.execute(
            sql.SQL("CREATE TABLE {} ({}, geom geometry(MultiPolygon, 4326), PRIMARY KEY (gso_code))").format(
                table, sql.SQL(", ").join(cols)
            )
        )
        insert = sql.SQL("INSERT INTO {} ({}, geom) VALUES ({}, ST_Multi(ST_GeomFromWKB(%s, 4326)))").format(
            table,
            sql.SQL(", ").join(sql.Identifier(c) for c in props),
            sql.SQL(", ").join(sql.Placeholder() for _ in props),
        )
        with conn.cursor() as cur:
            rows = [[_cell(v) for v in row] + [g] for row, g in zip(frame[props].itertuples(index=False), wkb)]
            cur.executemany(insert, rows)
        conn.execute(sql.SQL("CREATE INDEX ON {} USING gist (geom)").format(table))
        conn.execute(sql.SQL("ANALYZE {}").format(table))
        conn.commit()
    return {"schema": schema, "table": "communes", "rows": len(frame), "properties": len(props)}
