"""The upload API: auth, preview, commit, versions, boundaries, and every refusal writes nothing."""

import io
import zipfile
from pathlib import Path

import pytest
import shapely

from geo import paths
from geo.indicators import values as indicators
from geo.io import storage
from geo.settings import Settings
from geo.uploads import versions

FIX = Path(__file__).resolve().parents[1] / "fixtures" / "uploads"
ALICE, BOB = "tok-alice-0123456789", "tok-bob-9876543210"


def make_client(**config):
    from app import create_app

    client = create_app({"TESTING": True, **config}).test_client()
    # the messages these tests read are the English ones (the default language is Vietnamese)
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    return client


@pytest.fixture
def client(state):
    return make_client(MAP_UPLOAD_TOKEN=f"alice:{ALICE},bob:{BOB}")


def snapshot(state: Path) -> dict:
    if not state.exists():
        return {}
    return {
        str(p.relative_to(state)): (p.stat().st_size, p.stat().st_mtime_ns)
        for p in sorted(state.rglob("*"))
        if p.is_file() and not str(p.relative_to(state)).startswith("staging") and p.name != ".lock"
    }


def staged(state: Path) -> list:
    root = state / "staging"
    return sorted(p.name for p in root.iterdir()) if root.exists() else []


def upload(client, name=None, data=None, token=ALICE, **fields):
    data = (FIX / name).read_bytes() if data is None else data
    form = {"file": (io.BytesIO(data), name or "upload.csv"), "year": "2020", "standard": "2016-2020", **fields}
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return client.post("/api/uploads", data=form, headers=headers, content_type="multipart/form-data")


def bearer(token=ALICE):
    return {"Authorization": f"Bearer {token}"}


def assert_error(resp, status, text):
    assert resp.status_code == status, (resp.status_code, resp.get_data(as_text=True)[:300])
    body = resp.get_json()
    assert set(body) == {"code", "description", "error", "status"} and body["status"] == status
    assert text in body["error"], body["error"]


# ---------------------------------------------------------------- auth


def test_reading_is_public_and_uploads_disabled_without_a_token(state):
    c = make_client()
    assert c.get("/api/versions").get_json() == {
        "current": 0,
        "versions": [{"version": 0, "kind": "base", "current": True}],
    }
    resp = upload(c, "review_2020_communes.csv", token="anything")
    assert_error(resp, 403, "uploads are disabled on this server")
    assert_error(c.post("/api/uploads/abcdefghijklmnopqrstuv/commit", headers=bearer()), 403, "disabled")
    assert_error(c.post("/api/versions/0/restore", headers=bearer()), 403, "disabled")
    page = c.get("/upload")
    assert page.status_code == 200 and "MAP_UPLOAD_TOKEN" in page.get_data(as_text=True)
    assert not state.exists()


def test_token_from_the_environment(state, monkeypatch, configure):
    monkeypatch.setenv("MAP_UPLOAD_TOKEN", "env-token-abcdef123")
    configure(upload_token=Settings.from_env().upload_token)  # what a new process reads
    c = make_client()
    assert upload(c, "review_2020_communes.csv", token="env-token-abcdef123").status_code == 201


@pytest.mark.parametrize(
    "headers, text",
    [
        ({}, "a valid upload token is required"),
        ({"Authorization": "Bearer wrong-token"}, "not valid"),
        ({"Authorization": f"Basic {ALICE}"}, "not valid"),
        ({"Authorization": f"Bearer {ALICE}x"}, "not valid"),
        ({"Authorization": "Bearer "}, "not valid"),
    ],
)
def test_write_endpoints_refuse_without_a_valid_token(client, state, headers, text):
    form = {"file": (io.BytesIO((FIX / "review_2020_communes.csv").read_bytes()), "a.csv"), "year": "2020"}
    resp = client.post("/api/uploads", data=form, headers=headers, content_type="multipart/form-data")
    assert_error(resp, 401, text)
    assert resp.headers["WWW-Authenticate"].startswith("Bearer")
    assert_error(client.post("/api/versions/0/restore", headers=headers), 401, text)
    assert not state.exists()


# ---------------------------------------------------------------- preview and commit


def test_preview_then_commit(client, state):
    resp = upload(client, "review_2020_communes.csv", token=BOB, note="QĐ 04/QĐ-UBND 04/01/2021")
    assert resp.status_code == 201
    pv = resp.get_json()
    assert pv["ok"] and pv["who"] == "bob" and pv["id"] and pv["expires"]
    assert pv["counts"]["observations"] == 25 and pv["counts"]["replaces_synthetic"] == 20
    assert pv["join"]["2020"]["counts"]["matched_by_name"] == 3
    assert [w["row"] for w in pv["warnings"]] == [7]
    change = next(c for c in pv["changes"] if c["gso_code"] == "23344" and c["indicator"] == "poor_households")
    assert change["old_status"] == "synthetic" and change["new"] == 131 and change["row"] == 3
    assert snapshot(state) == {} and staged(state) == [pv["id"]]  # only the staged file

    again = client.get(f"/api/uploads/{pv['id']}", headers=bearer())
    assert again.status_code == 200 and again.get_json()["counts"] == pv["counts"]

    resp = client.post(f"/api/uploads/{pv['id']}/commit", headers=bearer())
    assert resp.status_code == 201
    body = resp.get_json()
    assert body["version"] == 1 and body["current"] == 1 and body["manifest"]["who"] == "alice"
    assert body["manifest"]["previewed_by"] == "bob" and "base" not in body["manifest"]
    assert staged(state) == []
    obs = storage.read_layer("observations", paths.gpkg_path())
    now = indicators.values(obs, "poor_households", "commune", 2020).set_index("gso_code")
    assert (now.loc["23344", "value"], now.loc["23344", "status"]) == (131, "official")
    vs = client.get("/api/versions").get_json()
    assert vs["current"] == 1 and [v["version"] for v in vs["versions"]] == [0, 1]
    # a committed preview is gone
    assert_error(client.post(f"/api/uploads/{pv['id']}/commit", headers=bearer()), 404, "no such upload")


def test_commit_refused_when_the_preview_has_errors(client, state):
    pv = upload(client, "bad_rows_2020.csv").get_json()
    assert not pv["ok"] and len(pv["errors"]) == 11
    assert {e["row"] for e in pv["errors"]} == set(range(3, 14))
    assert_error(client.post(f"/api/uploads/{pv['id']}/commit", headers=bearer()), 400, "11 problems")
    assert snapshot(state) == {}


def test_delete_and_restore(client, state):
    pv = upload(client, "review_2020_communes.csv").get_json()
    assert client.delete(f"/api/uploads/{pv['id']}", headers=bearer()).status_code == 204
    assert staged(state) == []
    pv = upload(client, "review_2020_communes.csv").get_json()
    client.post(f"/api/uploads/{pv['id']}/commit", headers=bearer())
    resp = client.post("/api/versions/0/restore", headers=bearer())
    assert resp.status_code == 200 and resp.get_json() == {"current": 0}
    assert paths.gpkg_path() == versions.base_gpkg()
    assert client.post("/api/versions/1/restore", headers=bearer()).get_json() == {"current": 1}
    assert_error(client.post("/api/versions/9/restore", headers=bearer()), 404, "no dataset version 9")
    vi = client.post("/api/versions/9/restore?lang=vi", headers=bearer())
    assert_error(vi, 404, "không có phiên bản dữ liệu 9 (các phiên bản: 1; 0 là bản dựng gốc)")


@pytest.mark.parametrize(
    "name, data, fields, status, text",
    [
        ("empty.csv", None, {}, 400, "the file is empty"),
        ("header_only.csv", None, {}, 400, "no data rows"),
        ("not_a_table.pdf", None, {}, 400, "unsupported file type .pdf"),
        ("report.csv", (FIX / "not_a_table.pdf").read_bytes(), {}, 400, "PDF document"),
        ("old_excel.xls", None, {}, 400, "unsupported file type .xls"),
        ("old.xlsx", (FIX / "old_excel.xls").read_bytes(), {}, 400, "97-2003"),
        ("run.exe", b"MZ\x90\x00\x03", {}, 400, "unsupported file type .exe"),
        ("a.csv", b"a,b\n\x81\x8d\x8f,1\n", {}, 400, "UTF-8 or Windows-1258"),
        ("review_2020_communes.csv", None, {"year": "20x0"}, 400, "four-digit year"),
        ("review_2020_communes.csv", None, {"year": "2031"}, 400, "outside 2015–2025"),
        ("review_2020_communes.csv", None, {"year": "2014"}, 400, "outside 2015–2025"),
        ("review_2020_communes.csv", None, {"standard": "2030"}, 400, "unknown poverty standard"),
        ("review_2020_communes.csv", None, {"level": "province"}, 400, "level must be one of"),
        ("review_2020_communes.csv", None, {"status": "synthetic"}, 400, "status must be one of"),
        ("review_2020_communes.csv", None, {"note": "x" * 501}, 400, "longer than 500"),
    ],
)
def test_bad_inputs_answer_clearly_and_write_nothing(client, state, name, data, fields, status, text):
    assert_error(upload(client, name, data, **fields), status, text)
    assert snapshot(state) == {} and staged(state) == []


def test_missing_file_field(client, state):
    resp = client.post("/api/uploads", data={"year": "2020"}, headers=bearer(), content_type="multipart/form-data")
    assert_error(resp, 400, "no file")


def test_size_caps(state):
    c = make_client(MAP_UPLOAD_TOKEN=ALICE, UPLOAD_MAX_BYTES=1000)
    big = b"Ma xa,So ho ngheo\n" + b"23344,5\n" * 200
    assert_error(upload(c, "big.csv", big), 413, "larger than the limit of 1,000 bytes")
    # beyond the whole-request limit Flask stops reading: still a clear JSON 413
    huge = b"x" * (1000 + 300 * 1024)
    assert_error(upload(c, "huge.csv", huge), 413, "the request is larger than the limit")
    assert not state.exists()


# ---------------------------------------------------------------- boundaries


@pytest.fixture(scope="module")
def vn2000_shapefile(tmp_path_factory, communes):
    """The project's communes as a zipped Shapefile in VN-2000 / TM-3 107-30 (EPSG:9216)."""
    d = tmp_path_factory.mktemp("shp")
    gdf = communes[["gso_code", "name", "geometry"]].rename(columns={"gso_code": "MA_XA", "name": "TEN_XA"})
    gdf.to_crs(9216).to_file(d / "xa.shp", encoding="utf-8")

    def zipped(exts):
        buf = io.BytesIO()
        with zipfile.ZipFile(buf, "w") as z:
            for ext in exts:
                z.write(d / f"xa{ext}", f"xa{ext}")
        return buf.getvalue()

    return {
        "with_prj": zipped([".shp", ".shx", ".dbf", ".prj", ".cpg"]),
        "no_prj": zipped([".shp", ".shx", ".dbf", ".cpg"]),
    }


def boundary(client, data, name="xa.zip", **fields):
    return client.post(
        "/api/boundaries",
        data={"file": (io.BytesIO(data), name), **fields},
        headers=bearer(),
        content_type="multipart/form-data",
    )


def test_boundary_upload_vn2000(client, state, vn2000_shapefile, communes):
    resp = boundary(client, vn2000_shapefile["with_prj"], note="Sở TN&MT 2020")
    assert resp.status_code == 201, resp.get_json()
    pv = resp.get_json()
    assert pv["ok"] and pv["crs"]["epsg"] == 9216 and pv["crs"]["vn2000"] and not pv["crs"]["declared"]
    assert all(c["ok"] for c in pv["checks"]) and len(pv["checks"]) >= 10
    assert pv["checks"][0] == {"name": "commune count", "ok": True, "detail": "102 (expected 102)"}  # this client: en
    vi = client.get(f"/api/uploads/{pv['id']}?lang=vi", headers=bearer()).get_json()
    assert vi["checks"][0] == {"name": "số xã", "ok": True, "detail": "102 (cần 102)"}
    assert max(abs(a["change_pct"]) for a in pv["area_changes"]) < 0.05  # reprojected back onto itself
    assert snapshot(state) == {}
    body = client.post(f"/api/uploads/{pv['id']}/commit", headers=bearer()).get_json()
    assert body["version"] == 1 and body["manifest"]["kind"] == "boundaries"
    served = storage.read_layer("communes", paths.gpkg_path())
    assert len(served) == 102 and served["geom_method"].str.startswith("upload xa.zip").all()
    base = storage.read_layer("communes", versions.base_gpkg())
    assert served["on_border"].tolist() == base["on_border"].tolist()  # recomputed from the new lines: same 13
    assert int(served["on_border"].sum()) == 13
    # observations untouched by a boundary version
    assert len(storage.read_layer("observations", paths.gpkg_path())) == len(
        storage.read_layer("observations", versions.base_gpkg())
    )


def test_boundary_without_crs_must_be_declared(client, state, vn2000_shapefile):
    assert_error(boundary(client, vn2000_shapefile["no_prj"]), 400, "declares no coordinate system")
    resp = boundary(client, vn2000_shapefile["no_prj"], crs="EPSG:9216")
    assert resp.status_code == 201 and resp.get_json()["ok"] and resp.get_json()["crs"]["declared"]
    # the same zone as a PROJ string with the VN-2000 → WGS84 parameters
    proj = (
        "+proj=tmerc +lon_0=107.5 +k=0.9999 +x_0=500000 +ellps=WGS84 +units=m "
        "+towgs84=-191.90441429,-39.30318279,-111.45032835,-0.00928836,0.01975479,-0.00427372,0.252906278"
    )
    pv = boundary(client, vn2000_shapefile["no_prj"], crs=proj).get_json()
    assert pv["ok"] and max(abs(a["change_pct"]) for a in pv["area_changes"]) < 0.05
    # a wrong declaration lands outside Kon Tum
    assert_error(boundary(client, vn2000_shapefile["no_prj"], crs="EPSG:3405"), 400, "not on Kon Tum")
    assert_error(boundary(client, vn2000_shapefile["no_prj"], crs="EPSG:99999"), 400, "unknown coordinate system")


def _zip(entries) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        for name, data, attr in entries:
            info = zipfile.ZipInfo(name)
            if attr:
                info.external_attr = attr
            z.writestr(info, data)
    return buf.getvalue()


@pytest.mark.parametrize(
    "entries, text",
    [
        ([("../../evil.shp", b"x", 0)], "unsafe path"),
        ([("/tmp/evil.shp", b"x", 0)], "unsafe path"),
        ([("a/../../evil.shp", b"x", 0)], "unsafe path"),
        ([("C:/evil.shp", b"x", 0)], "unsafe path"),
        ([("link.shp", b"/etc/passwd", 0o120777 << 16)], "link"),
        ([("readme.txt", b"x", 0)], "no .shp"),
    ],
)
def test_zip_slip_and_odd_archives_refused(client, state, tmp_path, entries, text):
    assert_error(boundary(client, _zip(entries)), 400, text)
    assert not (tmp_path / "evil.shp").exists() and not Path("/tmp/evil.shp").exists()
    assert snapshot(state) == {}


def test_boundary_geometry_problems(client, state, communes):
    gdf = communes[["gso_code", "name", "geometry"]].copy()
    # a tiny self-touching loop at one vertex: invalid, repairable
    poly = gdf.geometry.iloc[5]
    poly = poly.geoms[0] if poly.geom_type == "MultiPolygon" else poly
    c = list(poly.exterior.coords)
    x, y = c[3]
    d = 1e-6
    loop = c[:4] + [(x + d, y + d), (x + d, y - d), (x, y)] + c[4:]
    bad = shapely.Polygon(loop, [r.coords for r in poly.interiors])
    assert not bad.is_valid
    gdf.loc[gdf.index[5], "geometry"] = bad
    data = gdf.to_json().encode()
    resp = boundary(client, data, "xa.geojson")
    pv = resp.get_json()
    assert resp.status_code == 201 and pv["ok"], pv["errors"]
    assert any("repaired with make_valid" in w["message"] and w["row"] == 6 for w in pv["warnings"])
    # a missing commune and a point: errors with reasons
    broken = gdf.iloc[1:].copy()
    broken.loc[broken.index[0], "geometry"] = shapely.Point(107.9, 14.4)
    pv = boundary(client, broken.to_json().encode(), "xa.geojson").get_json()
    assert not pv["ok"]
    msgs = " | ".join(e["message"] for e in pv["errors"])
    assert "1 of 102 units have no polygon" in msgs and "a Point, not a polygon" in msgs
    assert_error(client.post(f"/api/uploads/{pv['id']}/commit", headers=bearer()), 400, "problems")
    assert snapshot(state) == {}


def test_a_failing_write_answers_503_and_changes_nothing(client, state, monkeypatch):
    pv = upload(client, "review_2020_communes.csv").get_json()

    def disk_full(*a, **k):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(versions.storage, "write_gpkg", disk_full)
    assert_error(client.post(f"/api/uploads/{pv['id']}/commit", headers=bearer()), 503, "nothing was changed")
    assert versions.current_number() == 0 and versions.list_versions() == []
    assert not [p for p in (state / "versions").iterdir()]
