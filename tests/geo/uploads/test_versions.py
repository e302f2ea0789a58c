"""Dataset versions: commit, serve, restore, and never break what is served."""

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest

from geo import cli, paths
from geo.indicators import values as indicators
from geo.io import storage
from geo.uploads import ingest, versions

ROOT = Path(__file__).resolve().parents[3]
FIX = Path(__file__).resolve().parents[2] / "fixtures" / "uploads"
PAUSED_INGEST = Path(__file__).resolve().parent / "paused_ingest.py"
STD = "2016-2020 multidimensional (QĐ 59/2015/QĐ-TTg)"


def snapshot(state: Path) -> dict:
    """Every file of the state folder except staging and the lock, with size and mtime."""
    if not state.exists():
        return {}
    return {
        str(p.relative_to(state)): (p.stat().st_size, p.stat().st_mtime_ns)
        for p in sorted(state.rglob("*"))
        if p.is_file() and not str(p.relative_to(state)).startswith("staging") and p.name != ".lock"
    }


def commit(name, **kw):
    params = {"year": 2020, "standard": "2016-2020", **kw}
    data = (FIX / name).read_bytes()
    pv = ingest.preview(data, name, **params)
    assert pv.ok, [p.line() for p in pv.problems]
    return ingest.commit_preview(pv, data, "tester")


def served_obs():
    return storage.read_layer("observations", paths.gpkg_path())


def test_no_versions_serves_the_base(state, gpkg):
    assert paths.gpkg_path() == gpkg
    assert versions.current_number() == 0 and versions.list_versions() == []


def test_env_override_wins(state, gpkg, configure, tmp_path):
    commit("review_2020_communes.csv")
    assert paths.gpkg_path() == state / "versions" / "0001" / "kontum.gpkg"
    configure(gpkg=tmp_path / "other.gpkg")
    assert paths.gpkg_path() == tmp_path / "other.gpkg"
    assert "GEO_GPKG is set" in versions.served_note()


def test_commit_serves_official_values_only_where_uploaded(state, gpkg):
    base = storage.read_layer("observations", gpkg)
    v = commit("review_2020_communes.csv", note="QĐ 04/QĐ-UBND 04/01/2021")
    assert v.number == 1 and versions.current_number() == 1
    assert paths.gpkg_path() == v.gpkg
    m = v.manifest
    assert m["who"] == "tester" and m["source_file"] == "review_2020_communes.csv" and m["parent"] == 0
    assert m["sha256"] == __import__("hashlib").sha256((FIX / "review_2020_communes.csv").read_bytes()).hexdigest()
    assert m["counts"]["observations"] == 25 and m["counts"]["units"] == 5 and m["years"] == [2020]
    assert (v.path / "observations.csv").is_file() and (v.path / "source.csv").is_file()
    # a written version is read-only
    assert v.path.stat().st_mode & 0o777 == 0o555 and v.gpkg.stat().st_mode & 0o777 == 0o444

    obs = served_obs()
    assert len(obs) == len(base) + 25
    covered = {"23341", "23344", "23347", "23350", "23362"}
    for ind in ("poor_rate", "near_poor_rate", "poor_households", "near_poor_households"):
        now = indicators.values(obs, ind, "commune", 2020, standard=STD).set_index("gso_code")
        assert set(now.loc[list(covered), "status"]) == {"official"}, ind
        others = now.drop(index=list(covered))
        assert len(others) == 97 and set(others["status"]) == {"synthetic"}, ind
        # other years of the covered communes keep their (synthetic) values
        y2019 = indicators.values(obs, ind, "commune", 2019, standard=STD).set_index("gso_code")
        assert set(y2019.loc[list(covered), "status"]) == {"synthetic"}
    # other indicators of the covered communes too
    roads = indicators.values(obs, "road_village_hardened_pct", "commune", 2020).set_index("gso_code")
    assert roads.loc["23344", "status"] == "synthetic"
    poor = indicators.values(obs, "poor_households", "commune", 2020).set_index("gso_code")
    assert poor.loc["23344", "value"] == 131 and "QĐ 04/QĐ-UBND" in poor.loc["23344", "source"]
    # the synthetic rows are still there (traceable), only outranked
    # (the commune's own rows: the 2025 commune 23344 carried from its members is a 'derived' row)
    rows = obs[(obs.gso_code == "23344") & (obs.indicator == "poor_households") & (obs.year == 2020)]
    syn = rows[rows.unit_level == "commune"]
    assert sorted(syn["status"]) == ["official", "synthetic"]
    assert set(rows.loc[rows.unit_level != "commune", "unit_level"]) <= {"commune_2025"}
    # every other layer is the base's
    assert set(storage.list_layers(v.gpkg)) == set(storage.list_layers(gpkg))
    assert len(storage.read_layer("communes", v.gpkg)) == 102


def test_same_rank_values_are_replaced_and_kept_as_alternatives(state, gpkg):
    v = commit("districts_2017.csv", year=2017, level="district", status="reported")
    obs = served_obs()
    rows = obs[
        (obs.gso_code == "617") & (obs.indicator == "poor_rate") & (obs.year == 2017) & (obs.unit_level == "district")
    ]
    old = rows[rows.status == "official"]
    assert len(old) == 1 and old["note"].iloc[0].startswith(f"alternative: replaced by upload v{v.number}")
    best = indicators.values(obs, "poor_rate", "district", 2017).set_index("gso_code")
    assert (best.loc["617", "value"], best.loc["617", "status"]) == (57.9, "reported")


def test_apply_observations_unit():
    base = pd.DataFrame(
        {
            "unit_level": ["commune"] * 4,
            "gso_code": ["1", "1", "1", "2"],
            "unit_name": ["a"] * 4,
            "indicator": ["x"] * 4,
            "year": [2020, 2020, 2020, 2020],
            "period": [""] * 4,
            "qualifier": ["="] * 4,
            "value": [1.0, 2.0, 3.0, 4.0],
            "unit": ["%"] * 4,
            "standard": ["s"] * 4,
            "status": ["official", "synthetic", "reported", "official"],
            "source": ["s"] * 4,
            "note": ["", "demo", "alternative: other", ""],
        }
    )
    new = base.iloc[[0]].assign(value=9.0, status="reported", source="upload")
    out = versions.apply_observations(base, new, 3)
    assert out["note"].tolist() == ["alternative: replaced by upload v3", "demo", "alternative: other", "", ""]
    assert indicators.values(out, "x", "commune", 2020).set_index("gso_code")["value"].to_dict() == {"1": 9.0, "2": 4.0}


def test_chain_restore_and_branching(state, gpkg):
    v1 = commit("multi_year.csv", year=None)  # 2019 + 2020 for 23344, 23347
    v2 = commit("review_2020_bom_semicolon.csv")  # 23404, 23407
    assert v2.manifest["parent"] == 1
    obs = served_obs()
    got = indicators.values(obs, "poor_households", "commune", 2020).set_index("gso_code")
    assert got.loc["23347", "status"] == got.loc["23404", "status"] == "official"  # both uploads served

    assert cli.main(["versions", "restore", "1"]) == 0
    assert paths.gpkg_path() == v1.gpkg
    got = indicators.values(served_obs(), "poor_households", "commune", 2020).set_index("gso_code")
    assert got.loc["23347", "status"] == "official" and got.loc["23404", "status"] == "synthetic"

    v3 = commit("review_2020_communes.csv")  # branches off version 1
    assert v3.number == 3 and v3.manifest["parent"] == 1
    got = indicators.values(served_obs(), "poor_households", "commune", 2020).set_index("gso_code")
    assert got.loc["23404", "status"] == "synthetic" and got.loc["23341", "status"] == "official"

    assert cli.main(["versions", "restore", "0"]) == 0
    assert paths.gpkg_path() == gpkg
    assert [v.number for v in versions.list_versions()] == [1, 2, 3]


def test_versions_list_cli(state, capsys):
    commit("review_2020_communes.csv", note="QĐ 04")
    assert cli.main(["versions", "list"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0].startswith("      0  base build") or out[0].lstrip().startswith("0  base build")
    assert out[1].startswith("*    1") and "review_2020_communes.csv" in out[1] and "QĐ 04" in out[1]
    assert cli.main(["versions", "show", "1"]) == 0
    assert json.loads(capsys.readouterr().out)["version"] == 1


def test_broken_pointer_serves_the_base(state, gpkg):
    commit("review_2020_communes.csv")
    (state / "current").write_text("7\n")
    assert paths.gpkg_path() == gpkg
    (state / "current").write_text("garbage")
    assert paths.gpkg_path() == gpkg


def test_refused_commit_writes_nothing(state, monkeypatch):
    commit("review_2020_communes.csv")
    before = snapshot(state)
    data = (FIX / "bad_rows_2020.csv").read_bytes()
    pv = ingest.preview(data, "bad.csv", year=2020, standard="2016-2020")
    with pytest.raises(ingest.UploadError, match="11 problems"):
        ingest.commit_preview(pv, data, "x")

    def boom(*a, **k):
        raise OSError("disk full")

    data = (FIX / "review_2020_bom_semicolon.csv").read_bytes()
    pv = ingest.preview(data, "b.csv", year=2020, standard="2016-2020")
    monkeypatch.setattr(versions.storage, "write_gpkg", boom)
    with pytest.raises(ingest.UploadError, match="nothing was changed") as exc:
        ingest.commit_preview(pv, data, "x")
    assert exc.value.status == 503
    assert snapshot(state) == before
    assert not [p for p in (state / "versions").iterdir() if p.name.startswith(".")]
    assert versions.current_number() == 1


def test_every_write_stage_is_tested():
    assert set(versions.WRITE_STAGES) == set(KILL_POINTS)


KILL_POINTS = ["after_gpkg", "before_rename", "before_pointer", "before_published"]


@pytest.mark.parametrize("point", KILL_POINTS)
def test_killed_ingest_leaves_the_served_version_intact(state, gpkg, tmp_path, point):
    commit("review_2020_communes.csv")
    served_before = paths.gpkg_path()
    obs_before = storage.read_layer("observations", served_before)
    before = {k: v for k, v in snapshot(state).items()}
    marker = tmp_path / "paused"
    env = {**os.environ, "GEO_STATE_DIR": str(state), "GEO_BUILD_DIR": str(gpkg.parent), "PYTHONPATH": str(ROOT)}
    env.pop("GEO_GPKG", None)
    proc = subprocess.Popen(
        [
            sys.executable,
            str(PAUSED_INGEST),
            point,
            str(marker),
            "ingest",
            str(FIX / "review_2020_bom_semicolon.csv"),
            "--year",
            "2020",
            "--standard",
            "2016-2020",
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:
        deadline = time.time() + 180  # a loaded machine (a shared CI runner) can be slow to get there
        while not marker.exists():
            assert proc.poll() is None, proc.communicate()
            assert time.time() < deadline, "the ingest never reached the pause point"
            time.sleep(0.05)
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(10)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == -signal.SIGKILL
    if point == "before_published":
        # killed after the pointer switch: the new version is served and listed, and the next
        # write records it as published (a restore of 1 then keeps 2)
        assert versions.current_number() == 2 and [v.number for v in versions.list_versions()] == [1, 2]
        assert commit("review_2020_communes.csv").number == 3
        versions.restore(1)
        assert [v.number for v in versions.list_versions()] == [1, 2, 3]
        return
    # the served version is unchanged and loads
    assert versions.current_number() == 1 and paths.gpkg_path() == served_before
    pd.testing.assert_frame_equal(storage.read_layer("observations", paths.gpkg_path()), obs_before)
    after = snapshot(state)
    assert {k: v for k, v in after.items() if k in before} == before  # nothing existing was touched
    numbered = [p.name for p in (state / "versions").iterdir() if not p.name.startswith(".")]
    if point == "before_pointer":
        # complete on disk but never made current: not listed, not restorable (no ghost)
        assert sorted(numbered) == ["0001", "0002"]
        with pytest.raises(versions.VersionError, match="no dataset version 2"):
            versions.get(2)
        with pytest.raises(versions.VersionError):
            versions.restore(2)
    else:
        assert numbered == ["0001"]
    assert [v.number for v in versions.list_versions()] == [1]
    # the retry cleans what the killed one left and takes the free number: no duplicate
    v = commit("review_2020_bom_semicolon.csv")
    assert v.number == 2 and versions.current_number() == 2
    assert [v.number for v in versions.list_versions()] == [1, 2]
    assert sorted(p.name for p in (state / "versions").iterdir()) == ["0001", "0002"]


def test_rows_failing_the_data_checks_are_refused_in_the_readers_language(gpkg):
    """An upload's rows that fail the build's observation checks (unknown status, no source,
    unknown 2025 code) are refused with every failed check named, in Vietnamese and English."""
    layers = versions.read_layers(gpkg)
    rows = pd.DataFrame(
        {
            "unit_level": ["commune", "commune", "commune_2025"],
            "gso_code": ["23368", "23368", "99999"],
            "indicator": ["poor_rate", "poor_rate", "poor_rate"],
            "year": [2020, 2020, 2020],
            "value": [40.0, 41.0, 30.0],
            "standard": [STD, STD, STD],
            "status": ["made-up", "official", "official"],
            "source": ["a report", "", "a report"],
        }
    )
    with pytest.raises(versions.VersionError) as exc:
        versions.check_new_rows(layers, versions.normalise_observations(rows))
    message = exc.value.args[0]
    assert str(message) == (
        "the upload fails the data checks: status values: bad: ['made-up']; every value has a source: "
        "1 rows without source; observation codes known: unknown commune_2025 codes: ['99999']"
    )
    assert message.text("vi") == (
        "tệp tải lên không qua các bước kiểm tra dữ liệu: giá trị tình trạng: không hợp lệ: ['made-up'] "
        "(chỉ nhận official, reported, derived, synthetic); mọi giá trị có nguồn: 1 dòng không có nguồn; "
        "mã đơn vị đã biết: mã commune_2025 không biết: ['99999']"
    )
