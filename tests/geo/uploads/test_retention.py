"""Issue 17 item 10: ``MAP_KEEP_VERSIONS`` keeps the last N versions, the current one and the
kept ones restorable; a version a kept one builds on keeps its payload (only its GeoPackage
goes), so restoring and composing new versions still work."""

import pandas as pd
import pytest
from test_versions import commit

from geo import cli, paths
from geo.io import storage
from geo.uploads import versions


def has_gpkg(state, n: int) -> bool:
    return (state / "versions" / f"{n:04d}" / "kontum.gpkg").is_file()


def test_keep_the_last_versions_and_what_they_build_on(state, configure):
    configure(keep_versions=1)
    assert commit("review_2020_communes.csv").number == 1
    assert commit("review_2020_bom_semicolon.csv").number == 2
    # 1 is not among the last 1, but 2 builds on it: its payload stays, its GeoPackage goes
    assert [v.number for v in versions.list_versions()] == [2]
    assert not has_gpkg(state, 1) and has_gpkg(state, 2)
    assert (state / "versions" / "0001" / "manifest.json").is_file()
    with pytest.raises(versions.VersionError, match="pruned"):
        versions.restore(1)
    # a new version still composes on the whole chain: the same rows as composing it afresh
    v3 = commit("review_2020_communes.csv")
    assert [v.manifest["parent"] for v in versions.chain(3)] == [0, 1, 2]
    fresh = versions.compose(2, (v3.path, v3.manifest, 3))["observations"]
    pd.testing.assert_frame_equal(
        storage.read_layer("observations", v3.gpkg).reset_index(drop=True),
        versions.normalise_observations(fresh),
        check_dtype=False,
    )


def test_kept_versions_survive_and_abandoned_branches_go(state, configure, capsys):
    configure(keep_versions=1)
    commit("review_2020_communes.csv")
    commit("review_2020_bom_semicolon.csv")
    assert cli.main(["versions", "keep", "2"]) == 0
    versions.restore(0)  # the base build again; a new branch starts from it
    v3 = commit("review_2020_communes.csv")
    assert v3.manifest["parent"] == 0
    # 2 is kept (restorable), 1 is what 2 builds on (payload only), 3 is the last
    assert [v.number for v in versions.list_versions()] == [2, 3]
    assert has_gpkg(state, 2) and not has_gpkg(state, 1)
    versions.restore(2)
    assert paths.gpkg_path() == state / "versions" / "0002" / "kontum.gpkg"
    # nothing is kept any more: the next write removes the branch that nothing builds on
    (state / "kept.json").unlink()
    versions.restore(3)
    v4 = commit("review_2020_bom_semicolon.csv")
    assert v4.number == 4 and [v.number for v in versions.list_versions()] == [4]
    assert sorted(p.name for p in (state / "versions").iterdir()) == ["0003", "0004"]
    assert not has_gpkg(state, 3)


def test_unset_keeps_everything(state):
    for name in ("review_2020_communes.csv", "review_2020_bom_semicolon.csv", "review_2020_communes.csv"):
        commit(name)
    assert [v.number for v in versions.list_versions()] == [1, 2, 3]
    assert all(has_gpkg(state, n) for n in (1, 2, 3))
