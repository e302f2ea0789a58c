"""An upload at the 2025 level through the app, served as commune_2025 rows by both backends."""

from __future__ import annotations

import io

import pytest
from conftest import BACKENDS, drop_pg_backend, new_pg_backend

from geo import settings as geo_settings
from geo.backends import factory

TOKEN = "tok-levels-0123456789"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
TABLE = (
    "Mã xã,Tên xã,Tổng số hộ,Số hộ nghèo\n23500,Xã Đăk Hà,5000,400\n,Xa Dak Long,900,300\n23392,Xã Bờ Y,3000,500\n"
).encode()


@pytest.fixture(params=[b for b in ("embedded", "postgis") if b in BACKENDS])
def served(request, gpkg, state, configure, tmp_path):
    """The app's settings for each backend: version folders under ``state``, or a scratch schema."""
    if request.param == "embedded":
        yield "embedded"
        return
    db = new_pg_backend(request.getfixturevalue("pg_url"), gpkg, "kontum_names")
    configure(database_url=db.url, database_schema=db.schema, gpkg=None)
    yield "postgis"
    drop_pg_backend(db)


def test_upload_at_2025_level_is_served_as_commune_2025_rows(served, state):
    from app import create_app

    client = create_app({"TESTING": True, "MAP_UPLOAD_TOKEN": f"planner:{TOKEN}"}).test_client()
    form = {
        "file": (io.BytesIO(TABLE), "review_2025.csv"),
        "year": "2025",
        "standard": "2022-2025",
        "level": "commune_2025",
    }
    r = client.post("/api/uploads", data=form, headers=AUTH, content_type="multipart/form-data")
    doc = r.get_json()
    assert r.status_code == 201 and not doc["ok"] and [e["row"] for e in doc["errors"]] == [4]
    refused = client.post(f"/api/uploads/{doc['id']}/commit", headers=AUTH)
    assert refused.status_code == 400  # Bờ Y's name on Sa Loong's code: nothing written
    assert client.get("/api/versions").get_json()["current"] == 0

    r = client.post(f"/api/uploads/{doc['id']}/confirm", json={"confirm_rows": [4]}, headers=AUTH)
    assert r.status_code == 201 and r.get_json()["confirmed_rows"] == [4]
    r = client.post(f"/api/uploads/{r.get_json()['id']}/commit", headers=AUTH)
    assert r.status_code == 201 and r.get_json()["current"] == 1
    assert r.get_json()["manifest"]["confirmed_rows"] == [4]

    backend = factory.backend_for(geo_settings.active())
    assert backend.name == served
    try:
        obs = backend.read_layer("observations")
    finally:
        if served == "postgis":
            backend.close()
    new = obs[obs["note"].str.startswith("upload: review_2025.csv")]
    assert set(new["unit_level"]) == {"commune_2025"}
    got = new.set_index(["gso_code", "indicator"])["value"]
    assert sorted(set(new["gso_code"])) == ["23368", "23392", "23500"]
    assert got["23500", "poor_households"] == 400 and got["23368", "households"] == 900
    assert round(got["23392", "poor_rate"], 4) == 16.6667
    assert set(new.loc[new["gso_code"] == "23500", "unit_name"]) == {"Xã Đăk Hà"}
    # nothing of it landed on the 2020 communes
    assert not obs.loc[obs["unit_level"] == "commune", "note"].str.contains("review_2025.csv").any()
