"""The upload API and page at the 2025 level; code/name mismatches confirmed explicitly over HTTP."""

import io
import re

import pytest

from geo.io import storage
from geo.uploads import versions

TOKEN = "tok-names-0123456789"
#: The token, and English error descriptions (the default language is Vietnamese).
AUTH = {"Authorization": f"Bearer {TOKEN}", "Accept-Language": "en"}
TABLE = "Mã xã,Tên xã,Tổng số hộ,Số hộ nghèo\n23500,Xã Đăk Hà,5000,400\n23392,Xã Bờ Y,3000,500\n".encode()
FIELDS = {"year": "2025", "standard": "2022-2025", "level": "commune_2025"}


@pytest.fixture
def app(state):
    from app import create_app

    return create_app({"TESTING": True, "MAP_UPLOAD_TOKEN": f"planner:{TOKEN}"})


def post(client, data=TABLE, **fields):
    form = {"file": (io.BytesIO(data), "review_2025.csv"), **FIELDS, **fields}
    return client.post("/api/uploads", data=form, headers=AUTH, content_type="multipart/form-data")


def uploaded(gpkg_path):
    obs = storage.read_layer("observations", gpkg_path)
    return obs[obs["note"].str.startswith("upload: review_2025.csv")]


def test_api_refuses_the_mismatch_then_commits_with_confirm_rows(app, state):
    c = app.test_client()
    r = post(c)
    assert r.status_code == 201
    doc = r.get_json()
    assert doc["ok"] is False and doc["level"] == "commune_2025" and doc["confirmed_rows"] == []
    assert [e["row"] for e in doc["errors"]] == [3] and "point at different units" in doc["errors"][0]["message"]
    commit = c.post(f"/api/uploads/{doc['id']}/commit", headers=AUTH)
    assert commit.status_code == 400 and "was not committed" in commit.get_json()["error"]
    assert versions.current_number() == 0 and not (state / "versions").exists()

    r = post(c, confirm_rows="3")
    doc = r.get_json()
    assert r.status_code == 201 and doc["ok"] and doc["confirmed_rows"] == [3]
    r = c.post(f"/api/uploads/{doc['id']}/commit", headers=AUTH)
    assert r.status_code == 201 and r.get_json()["manifest"]["confirmed_rows"] == [3]
    new = uploaded(versions.current().gpkg)
    assert set(new["unit_level"]) == {"commune_2025"} and set(new["gso_code"]) == {"23500", "23392"}


def test_api_confirm_route_takes_json(app, state):
    c = app.test_client()
    sid = post(c).get_json()["id"]
    for body, text in [
        ({}, "confirm_rows is missing"),
        ({"confirm_rows": ["x"]}, "row numbers must be whole numbers"),
        ([3], "send a JSON object"),
    ]:
        r = c.post(f"/api/uploads/{sid}/confirm", json=body, headers=AUTH)
        assert r.status_code == 400 and text in r.get_json()["error"], r.get_json()
    assert c.post(f"/api/uploads/{sid}/confirm", json={"confirm_rows": [3]}).status_code == 401
    r = c.post(f"/api/uploads/{sid}/confirm", json={"confirm_rows": [3]}, headers=AUTH)
    doc = r.get_json()
    assert r.status_code == 201 and doc["ok"] and doc["confirmed_rows"] == [3] and doc["id"] != sid
    assert c.get(f"/api/uploads/{sid}", headers=AUTH).status_code == 404  # replaced by the confirmed one
    assert c.post(f"/api/uploads/{doc['id']}/commit", headers=AUTH).status_code == 201


@pytest.mark.parametrize(
    "fields, text",
    [
        ({"level": "commune_2026"}, "level must be one of commune, district, commune_2025"),
        ({"confirm_rows": "1"}, "from 2 up"),
    ],
)
def test_api_bad_fields_are_400(app, state, fields, text):
    r = post(app.test_client(), **fields)
    assert r.status_code == 400 and text in r.get_json()["error"]
    assert not (state / "staging").exists() or not any((state / "staging").iterdir())


def test_api_2020_name_at_2025_level(app, state):
    r = post(app.test_client(), data="Tên xã,Số hộ nghèo\nXã Kroong,10\n".encode())
    doc = r.get_json()
    assert doc["join"]["2025"]["unmatched"][0]["reason"] == "other_level"
    assert "a 2020 unit, now part of Xã Ngọk Bay (23317)" in doc["errors"][0]["message"]


def csrf(client) -> str:
    page = client.get("/upload")
    return re.search(r'name="csrf_token" value="([^"]+)"', page.get_data(as_text=True)).group(1)


def test_page_offers_the_level_and_confirms_rows(app, state):
    c = app.test_client()
    tok = csrf(c)
    page = c.get("/upload?lang=en").get_data(as_text=True)
    assert '<option value="commune_2025">commune or ward from 1 July 2025</option>' in page
    assert 'name="confirm_rows"' in page
    form = {"file": (io.BytesIO(TABLE), "review_2025.csv"), **FIELDS, "token": TOKEN, "csrf_token": tok}
    r = c.post("/upload", data=form, content_type="multipart/form-data")
    html = r.get_data(as_text=True)
    assert r.status_code == 400 and 'id="conflicts"' in html and 'id="commit"' not in html
    assert 'type="checkbox" name="confirm_rows" value="3"' in html
    sid = re.search(r"/upload/([A-Za-z0-9_-]+)/confirm", html).group(1)
    assert c.post(f"/upload/{sid}/confirm", data={"csrf_token": "bad", "confirm_rows": "3"}).status_code == 403
    r = c.post(f"/upload/{sid}/confirm", data={"csrf_token": tok, "confirm_rows": "3"})
    html = r.get_data(as_text=True)
    assert r.status_code == 200 and 'id="commit"' in html and 'id="confirmed-rows"' in html
    assert "Các dòng đã xác nhận: 3" in html
    new_sid = re.search(r"/upload/([A-Za-z0-9_-]+)/commit", html).group(1)
    r = c.post(f"/upload/{new_sid}/commit", data={"csrf_token": tok})
    assert r.status_code == 201
    assert set(uploaded(versions.current().gpkg)["unit_level"]) == {"commune_2025"}


def test_page_form_field_confirms_on_the_first_upload(app, state):
    c = app.test_client()
    tok = csrf(c)
    form = {"file": (io.BytesIO(TABLE), "r.csv"), **FIELDS, "token": TOKEN, "csrf_token": tok, "confirm_rows": "3"}
    r = c.post("/upload", data=form, content_type="multipart/form-data")
    assert r.status_code == 200 and 'id="commit"' in r.get_data(as_text=True)
