"""The upload page: restore an earlier version (token + CSRF + confirmation), boundaries from a
form, what each version changed (old → new, from the version store), links between the map,
/ogc and /upload — errors in the reader's language (Vietnamese by default)."""

from __future__ import annotations

import io
import re
import zipfile
from pathlib import Path

import pytest

from geo import paths
from geo.io import storage
from geo.uploads import versions

FIX = Path(__file__).resolve().parents[1] / "fixtures" / "uploads"
TOKEN = "page-token-0123456789"
VIETNAMESE = "[ạảãáàâậầấẩẫăắằẳẵặđêếềểễệôốồổỗộơớờởỡợưứừửữựíìỉĩịúùủũụóòỏõọéèẻẽẹ]"


@pytest.fixture
def client(state):
    from app import create_app

    return create_app({"TESTING": True, "MAP_UPLOAD_TOKEN": f"planner:{TOKEN}"}).test_client()


def csrf(client, lang="vi") -> str:
    page = client.get(f"/upload?lang={lang}")
    assert page.status_code == 200
    return re.search(r'name="csrf_token" value="([^"]+)"', page.get_data(as_text=True)).group(1)


def upload_and_commit(client, name="review_2020_communes.csv", **fields) -> int:
    form = {
        "file": (io.BytesIO((FIX / name).read_bytes()), name),
        "year": "2020",
        "standard": "2016-2020",
        "token": TOKEN,
        "csrf_token": csrf(client),
        **fields,
    }
    page = client.post("/upload", data=form, content_type="multipart/form-data")
    assert page.status_code == 200, page.get_data(as_text=True)[:500]
    sid = re.search(r'action="/upload/([^/"]+)/commit', page.get_data(as_text=True)).group(1)
    done = client.post(f"/upload/{sid}/commit", data={"csrf_token": csrf(client)})
    assert done.status_code == 201
    return versions.current_number()


def restore(client, version, confirm=True, token=TOKEN, lang="vi", csrf_token=None):
    form = {"version": str(version), "token": token, "lang": lang}
    form["csrf_token"] = csrf(client, lang) if csrf_token is None else csrf_token
    if confirm:
        form["confirm"] = "yes"
    return client.post(f"/upload/restore?lang={lang}", data=form)


def error_of(resp) -> str:
    m = re.search(r'id="error"[^>]*>([^<]+)<', resp.get_data(as_text=True))
    return m.group(1) if m else ""


def test_restore_an_earlier_version_from_the_page(client, state):
    assert upload_and_commit(client) == 1
    assert upload_and_commit(client, note="lần hai") == 2
    page = client.get("/upload").get_data(as_text=True)
    # the restore form offers the versions that are not served, and the base build
    options = re.findall(r'<option value="(\d+)">', page.split('id="restore-form"')[1].split("</form>")[0])
    assert options == ["1", "0"]
    # no confirmation, a wrong token, a wrong CSRF token, an unknown version: refused, nothing changes
    r = restore(client, 1, confirm=False)
    assert r.status_code == 400 and error_of(r) == "hãy đánh dấu ô xác nhận trước khi khôi phục"
    r = restore(client, 1, confirm=False, lang="en")
    assert r.status_code == 400 and error_of(r) == "tick the confirmation box before restoring"
    r = restore(client, 1, token="wrong-token-000000000")
    assert r.status_code == 401 and error_of(r) == "mã tải lên không đúng"
    r = restore(client, 1, csrf_token="x" * 40)
    assert r.status_code == 403 and "CSRF" in error_of(r)
    r = restore(client, 9)
    assert r.status_code == 404 and error_of(r) == "không có phiên bản dữ liệu 9"
    r = restore(client, "1a")
    assert r.status_code == 400 and "phải là một số" in error_of(r)
    assert versions.current_number() == 2
    # confirmed: version 1 is served again, and said so
    r = restore(client, 1)
    assert r.status_code == 200 and versions.current_number() == 1
    assert 'id="restored"' in r.get_data(as_text=True) and "Đã khôi phục: phiên bản đang dùng là 1." in r.get_data(
        as_text=True
    )
    assert client.get("/api/versions").get_json()["current"] == 1
    # the token typed once is kept by the session: the base build back without typing it again
    r = restore(client, 0, token="")
    assert r.status_code == 200 and versions.current_number() == 0


def test_each_version_lists_what_it_changed(client, state):
    base = storage.read_layer("observations", versions.base_gpkg())
    number = upload_and_commit(client)
    manifest = versions.get(number).manifest
    assert len(manifest["changes"]) == manifest["counts"]["changed"] > 0
    page = client.get(f"/upload/versions/{number}")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    rows = re.findall(r'<tr data-code="(\d+)" data-indicator="([a-z_]+)">', html)
    assert len(rows) == manifest["counts"]["changed"]
    # 23344's poor households: the synthetic demo value → the uploaded 131
    from geo.indicators import values

    old = values.values(base, "poor_households", "commune", 2020).set_index("gso_code").loc["23344"]
    row = html.split('<tr data-code="23344" data-indicator="poor_households">')[1].split("</tr>")[0]
    assert f"{old['value']:g} (minh họa)" in row and "→ 131 (chính thức)" in row
    units = {c for c, _ in rows}
    assert re.search(rf'id="n-units">{len(units)}<', html)
    # the version list links to it; an unknown version is a clear 404 in the reader's language
    assert f'href="/upload/versions/{number}?lang=vi"' in client.get("/upload").get_data(as_text=True)
    r = client.get("/upload/versions/7?lang=en")
    assert r.status_code == 404 and error_of(r) == "no dataset version 7"


def test_a_version_made_before_changes_were_kept_says_so(client, state, monkeypatch):
    number = upload_and_commit(client)
    v = versions.get(number)
    old = {k: x for k, x in v.manifest.items() if k != "changes"}
    monkeypatch.setattr(versions, "get", lambda n, where=None: versions.Version(n, v.path, old))
    html = client.get(f"/upload/versions/{number}").get_data(as_text=True)
    assert 'id="not-recorded"' in html and '<table id="changes">' not in html


@pytest.fixture(scope="module")
def communes_zip(tmp_path_factory, communes):
    """The project's 102 communes as a zipped Shapefile in VN-2000 (EPSG:9216), with its .prj."""
    d = tmp_path_factory.mktemp("shp")
    gdf = communes[["gso_code", "name", "geometry"]].rename(columns={"gso_code": "MA_XA", "name": "TEN_XA"})
    gdf.to_crs(9216).to_file(d / "xa.shp", encoding="utf-8")
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        for ext in (".shp", ".shx", ".dbf", ".prj", ".cpg"):
            z.write(d / f"xa{ext}", f"xa{ext}")
    return buf.getvalue()


def test_boundaries_from_the_form(client, state, communes_zip):
    form = {"file": (io.BytesIO(communes_zip), "xa.zip"), "level": "commune", "token": TOKEN, "note": "Sở TN&MT"}
    page = client.post(
        "/upload/boundaries", data={**form, "csrf_token": csrf(client)}, content_type="multipart/form-data"
    )
    html = page.get_data(as_text=True)
    assert page.status_code == 200, html[:800]
    assert "Xem trước ranh giới: xa.zip" in html and "102 đối tượng" in html
    assert len(re.findall(r"<tr><td>\d{5} ", html.split('id="areas"')[1])) == 102
    sid = re.search(r'action="/upload/([^/"]+)/commit', html).group(1)
    done = client.post(f"/upload/{sid}/commit", data={"csrf_token": csrf(client)})
    assert done.status_code == 201
    served = storage.read_layer("communes", paths.gpkg_path())
    assert len(served) == 102 and served["geom_method"].str.startswith("upload xa.zip").all()
    number = versions.current_number()
    html = client.get(f"/upload/versions/{number}?lang=en").get_data(as_text=True)
    assert "Boundaries this version changed (102)" in html and 'id="n-units">102<' in html
    # a file without a coordinate system and no crs: refused on the form page, in Vietnamese
    bad = io.BytesIO(communes_zip[:200])  # a broken archive
    r = client.post(
        "/upload/boundaries",
        data={"file": (bad, "xa.zip"), "level": "commune", "csrf_token": csrf(client)},
        content_type="multipart/form-data",
    )
    assert r.status_code == 400 and re.search(VIETNAMESE, error_of(r)), error_of(r)
    r = client.post(
        "/upload/boundaries",
        data={"file": (io.BytesIO(communes_zip), "xa.zip"), "level": "province", "csrf_token": csrf(client)},
        content_type="multipart/form-data",
    )
    assert r.status_code == 400 and error_of(r).startswith("cấp phải là một trong")


def test_links_between_the_map_ogc_and_upload(client):
    upload_page = client.get("/upload?lang=en").get_data(as_text=True)
    assert 'href="/?lang=en"' in upload_page and 'href="/ogc/?f=html&amp;lang=en"' in upload_page
    ogc = client.get("/ogc?f=html&lang=vi").get_data(as_text=True)
    assert 'href="/?lang=vi"' in ogc and 'href="/upload?lang=vi"' in ogc
    page = client.get("/?lang=vi").get_data(as_text=True)
    assert 'href="/upload?lang=vi"' in page and 'href="/ogc/?f=html&amp;lang=vi"' in page
