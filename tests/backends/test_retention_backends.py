"""Issue 17 item 10 on both backends: ``MAP_KEEP_VERSIONS`` prunes the dataset versions of
the state folder *and* of the PostGIS database to the last N, the current one and the kept
ones (``python -m geo versions keep N``), and every version still listed restores to the
very data it served.  In the database a pruned version's rows go (except those a kept version
shares) and its record stays, marked pruned, so that restoring it says so."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from conftest import BACKENDS, drop_pg_backend, new_pg_backend

from geo import cli, paths
from geo.backends.postgis import PRUNED_ROWS
from geo.io import storage
from geo.uploads import ingest, versions

FIX = Path(__file__).resolve().parents[1] / "fixtures" / "uploads"
DATA_TABLES = ("layer_rows", "line_parts", "observations", "target_units", "ogc_features")


@pytest.fixture(scope="module")
def scratch(request, gpkg):
    if "postgis" not in BACKENDS:
        pytest.skip("KONTUM_TEST_BACKENDS leaves PostGIS out")
    db = new_pg_backend(request.getfixturevalue("pg_url"), gpkg, "kontum_retention")
    yield db
    drop_pg_backend(db)


@pytest.fixture(params=["embedded", "postgis"])
def store(request, gpkg, configure, tmp_path):
    """The versions of one backend, from the base alone, with MAP_KEEP_VERSIONS=1."""
    if request.param == "embedded":
        configure(gpkg=None, upload_token="", build_dir=gpkg.parent, state_dir=tmp_path / "state", keep_versions=1)
        return None
    db = request.getfixturevalue("scratch")
    db.load(gpkg, replace=True, who="tests")
    configure(database_url=db.url, database_schema=db.schema, state_dir=tmp_path / "state", gpkg=None, keep_versions=1)
    return db


def commit(name: str, **kw):
    params = {"year": 2020, "standard": "2016-2020", **kw}
    data = (FIX / name).read_bytes()
    pv = ingest.preview(data, name, **params)
    assert pv.ok, [p.line() for p in pv.problems]
    return ingest.commit_preview(pv, data, "tester")


def served(db) -> pd.DataFrame:
    """The observations the backend serves now."""
    if db is None:
        return storage.read_layer("observations", paths.gpkg_path())
    return db.read_layer("observations")


def orphans(db) -> dict[str, int]:
    """Data rows that no dataset version's layer names (what pruning must leave none of)."""
    out = {}
    with db.connect() as conn:
        for table, layer in PRUNED_ROWS:
            out[table] = conn.execute(
                f"SELECT count(*) FROM {table} t WHERE NOT EXISTS (SELECT 1 FROM dataset_layers l "
                f"WHERE l.data_version = t.version AND l.name = {layer})"
            ).fetchone()[0]
    return out


def rows_of(db, number: int) -> int:
    with db.connect() as conn:
        return sum(
            conn.execute(f"SELECT count(*) FROM {t} WHERE version = %s", (number,)).fetchone()[0] for t in DATA_TABLES
        )


def test_the_last_version_and_the_kept_ones_stay_restorable(store, capsys):
    assert commit("review_2020_communes.csv").number == 1
    if store is not None:
        assert rows_of(store, 1) > 0  # the upload's own observations and OGC features
    v2 = commit("review_2020_bom_semicolon.csv")
    two = served(store)
    assert v2.number == 2 and [v.number for v in versions.list_versions()] == [2]
    with pytest.raises(versions.VersionError, match="version 1 was pruned"):
        versions.restore(1)
    assert cli.main(["versions", "keep", "2"]) == 0
    assert cli.main(["versions", "restore", "1"]) == 2
    assert "pruned" in capsys.readouterr().err
    # a new branch from the base: 2 is kept, 3 is the last, nothing else is listed
    versions.restore(0)
    v3 = commit("review_2020_communes.csv")
    assert v3.number == 3 and v3.manifest["parent"] == 0
    assert [v.number for v in versions.list_versions()] == [2, 3]
    three = served(store)
    # both restore to exactly what they served
    versions.restore(2)
    pd.testing.assert_frame_equal(served(store), two)
    versions.restore(3)
    pd.testing.assert_frame_equal(served(store), three)
    if store is not None:
        assert rows_of(store, 1) == 0  # version 1's rows are gone: 2 and 3 wrote their own
        assert orphans(store) == dict.fromkeys(DATA_TABLES, 0)
        with store.connect() as conn:  # the record stays, marked: who uploaded what, and when
            pruned = conn.execute("SELECT manifest FROM dataset_versions WHERE version = 1").fetchone()[0]
        assert pruned["pruned"] is True and pruned["who"] == "tester"


def test_a_version_builds_on_a_restored_kept_one(store):
    commit("review_2020_communes.csv")
    versions.keep(1)
    commit("review_2020_bom_semicolon.csv")
    commit("review_2020_communes.csv")
    assert [v.number for v in versions.list_versions()] == [1, 3]  # 2 is neither last nor kept
    with pytest.raises(versions.VersionError, match="version 2 was pruned"):
        versions.restore(2)
    versions.restore(1)
    one = served(store)
    v4 = commit("review_2020_bom_semicolon.csv")
    assert v4.manifest["parent"] == 1
    assert [v.number for v in versions.list_versions()] == [1, 4]
    # the base and version 1 are still what they were: restoring them serves them
    versions.restore(1)
    pd.testing.assert_frame_equal(served(store), one)
    assert versions.restore(0) is None and versions.current_number() == 0


def test_unset_keeps_every_version(store, configure):
    configure(keep_versions=0)
    for name in ("review_2020_communes.csv", "review_2020_bom_semicolon.csv", "review_2020_communes.csv"):
        commit(name)
    assert [v.number for v in versions.list_versions()] == [1, 2, 3]
    for n in (1, 2, 3):
        assert versions.restore(n).number == n
