"""Uploads at the level of the 2025 communes, and code/name mismatches refused unless confirmed."""

import json

import pytest

from geo import cli
from geo.io import storage
from geo.uploads import ingest, staging, versions
from geo.uploads.ingest import UploadError

NEW_STD = "2022-2025 (NĐ 07/2021/NĐ-CP)"

TABLE_2025 = (
    "Mã xã,Tên xã,Tổng số hộ,Số hộ nghèo\n"
    "23500,Xã Đăk Hà,5000,400\n"
    ",Xa Dak Long,900,300\n"
    "023293,Phường Kon Tum,12000,90\n"
    "23392,Xã Bờ Y,3000,500\n"
).encode()


def preview(data, **kw):
    params = {"year": 2025, "standard": "2022-2025", "level": "commune_2025", **kw}
    return ingest.preview(data, "review_2025.csv", **params)


def files(state):
    return sorted(str(p.relative_to(state)) for p in state.rglob("*") if p.is_file()) if state.exists() else []


def test_a_mismatch_is_an_error_and_nothing_is_written(state):
    pv = preview(TABLE_2025)
    assert not pv.ok
    [err] = pv.errors
    assert err.row == 5
    assert "code 23392 is Xã Sa Loong but the name 'Xã Bờ Y' is 23377 Xã Bờ Y: they point at different units" in (
        err.message
    )
    assert "--confirm-rows 5" in err.message
    assert pv.confirmed_rows == [] and pv.to_dict()["confirmed_rows"] == []
    assert "23392" not in set(pv.observations["gso_code"])  # Bờ Y's figures are not on Sa Loong
    with pytest.raises(UploadError, match="was not committed"):
        ingest.commit_preview(pv, TABLE_2025, "tester")
    assert versions.current_number() == 0 and not (state / "versions").exists()


def test_a_confirmed_row_is_written_and_reported(state, gpkg):
    pv = preview(TABLE_2025, confirm_rows="5")
    assert pv.ok, [p.line() for p in pv.errors]
    assert pv.confirmed_rows == [5] and pv.to_dict()["confirm_rows"] == [5]
    assert any(p.row == 5 and "confirmed by the uploader, joined on 23392" in p.message for p in pv.warnings)
    assert "confirmed rows (code and name of different units): 5" in pv.to_text()
    v = ingest.commit_preview(pv, TABLE_2025, "tester")
    assert v.manifest["confirmed_rows"] == [5] and v.manifest["level"] == "commune_2025"
    obs = storage.read_layer("observations", v.gpkg)
    new = obs[obs["note"].str.startswith("upload: review_2025.csv")]
    # every uploaded figure is stored at level commune_2025, on the four 2025 communes
    assert set(new["unit_level"]) == {"commune_2025"}
    assert sorted(set(new["gso_code"])) == ["23293", "23368", "23392", "23500"]
    got = new.set_index(["gso_code", "indicator"])["value"]
    assert got["23500", "poor_households"] == 400 and got["23500", "poor_rate"] == 8.0
    assert got["23293", "households"] == 12000 and round(got["23392", "poor_rate"], 4) == 16.6667
    assert set(new.loc[new["indicator"] != "households", "standard"]) == {NEW_STD}
    assert new.loc[new["gso_code"] == "23392", "note"].str.contains("confirmed by the uploader").all()
    # never split back onto the 2020 communes: the 2020 and district rows are those of the base build
    base = storage.read_layer("observations", gpkg)
    for level in ("commune", "district", "province"):
        assert len(obs[obs["unit_level"] == level]) == len(base[base["unit_level"] == level])
    assert not (obs["note"].str.contains("review_2025.csv") & (obs["unit_level"] != "commune_2025")).any()


def test_confirming_a_row_without_a_conflict_is_an_error(state):
    pv = preview(TABLE_2025, confirm_rows=[5, 3, 40])
    msgs = {p.row: p.message for p in pv.errors}
    assert set(msgs) == {3, 40}
    assert "has no conflict between its code and its name" in msgs[3] and "is not a data row" in msgs[40]
    with pytest.raises(UploadError, match="confirm_rows: row numbers must be whole numbers"):
        preview(TABLE_2025, confirm_rows="5,x")


def test_2020_units_at_the_2025_level_are_errors_that_say_where_they_are_now(state):
    data = "Tên xã,Số hộ nghèo\nXã Kroong,10\nThị trấn Đắk Hà,20\nXã Ngọk Bay,30\n".encode()
    pv = preview(data)
    msgs = {p.row: p.message for p in pv.errors}
    assert set(msgs) == {2, 3}
    assert msgs[2].startswith("'Xã Kroong' is a 2020 unit, now part of Xã Ngọk Bay (23317)")
    assert "figures of the 2020 units go to level commune" in msgs[2]
    assert "a 2020 unit, now part of Xã Đăk Hà (23500)" in msgs[3]
    assert list(pv.observations["gso_code"]) == ["23317"]


def test_2025_units_at_the_2020_level_are_errors(state):
    data = "Tên xã,Số hộ nghèo\nPhường Kon Tum,10\nXã Dục Nông,20\nXã Ia Tơi,30\n".encode()
    pv = ingest.preview(data, "r.csv", year=2020, standard="2016-2020")
    msgs = {p.row: p.message for p in pv.errors}
    assert set(msgs) == {2, 3}
    assert msgs[2].startswith("'Phường Kon Tum' is a 2025 unit, formed from 23281 Phường Quang Trung")
    assert "go to level commune_2025" in msgs[3]
    hint = [p.message for p in pv.warnings if p.row is None and "communes of 1 July 2025" in p.message]
    assert hint == [
        "2 rows name communes of 1 July 2025 (rows 2, 3): if the table is of the 2025 communes, "
        "upload it at level commune_2025"
    ]


def test_bo_y_onto_sa_loong_at_the_2020_level(state):
    data = "Mã xã,Tên xã,Số hộ nghèo\n23398,Xã Bờ Y,88\n23395,Xã Bờ Y,7\n".encode()
    pv = ingest.preview(data, "r.csv", year=2020, standard="2016-2020")
    assert [p.row for p in pv.errors] == [2] and "they point at different units" in pv.errors[0].message
    assert list(pv.observations["gso_code"]) == ["23395"]
    ok = ingest.preview(data, "r.csv", year=2020, standard="2016-2020", confirm_rows=[2])
    assert ok.ok and ok.confirmed_rows == [2]
    assert sorted(ok.observations["gso_code"]) == ["23395", "23398"]


def test_namesakes_are_warnings_at_2025_level(state):
    pv = preview("Tên xã,Số hộ nghèo\nXã Đăk Long,10\n".encode())
    assert pv.ok
    assert any(
        "also the name of a 2020 unit, now part of Xã Đăk Pxi (23504)" in p.message and p.row == 2 for p in pv.warnings
    )


def test_staged_confirmations_survive_until_the_commit(state):
    params = {"year": 2025, "standard": "2022-2025", "level": "commune_2025", "confirm_rows": [], "status": "official"}
    sid, _ = staging.stage(TABLE_2025, "review_2025.csv", params, "tester")
    assert not staging.staged_preview(sid).ok
    new_id, _ = staging.restage(sid, {"confirm_rows": [5]})
    assert new_id != sid
    with pytest.raises(UploadError, match="no such upload"):
        staging.load_staged(sid)  # the unconfirmed one is gone
    assert staging.staged_preview(new_id).confirmed_rows == [5]
    v = staging.commit(new_id, "tester")
    assert v.manifest["confirmed_rows"] == [5]


def test_cli_refuses_then_commits_with_confirm_rows(state, tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(cli, "COMMAND_MODULES", ["geo.uploads.ingest"])
    path = tmp_path / "review_2025.csv"
    path.write_bytes(TABLE_2025)
    args = ["ingest", str(path), "--year", "2025", "--standard", "2022-2025", "--level", "commune_2025"]
    assert cli.main(args + ["--json"]) == 2
    captured = capsys.readouterr()
    doc = json.loads(captured.out)
    assert doc["ok"] is False and doc["level"] == "commune_2025" and doc["confirmed_rows"] == []
    assert {"id", "file", "counts", "errors", "warnings", "join", "changes"} <= set(doc)  # today's shape
    assert doc["join"]["2025"]["code_name_conflicts"][0]["kind"] == "mismatch"
    assert "nothing was written" in captured.err and files(state) == []
    assert cli.main(args + ["--confirm-rows", "5"]) == 0
    out = capsys.readouterr().out
    assert "confirmed rows (code and name of different units): 5" in out and "version 1 is now current" in out
    with pytest.raises(SystemExit) as exited:  # a usage error, as argparse reports them
        cli.main(args + ["--confirm-rows", "five"])
    assert exited.value.code == 2
    assert "row numbers must be whole numbers" in capsys.readouterr().err
