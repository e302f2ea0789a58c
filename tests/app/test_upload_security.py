"""Upload security: CSRF, escaping (also in a real browser), file names, tokens, no secrets."""

import io
import re
import threading
from pathlib import Path

import pytest

FIX = Path(__file__).resolve().parents[1] / "fixtures" / "uploads"
ROOT = Path(__file__).resolve().parents[2]
TOKEN = "form-token-0123456789"
XSS_NAMES = ["<script>window.__xss=1</script>", '<img src=x onerror="window.__xss=2;alert(1)">']


@pytest.fixture
def app(state):
    from app import create_app

    return create_app({"TESTING": True, "MAP_UPLOAD_TOKEN": f"planner:{TOKEN},other:other-token-987654"})


def csrf(client) -> str:
    page = client.get("/upload")
    assert page.status_code == 200
    return re.search(r'name="csrf_token" value="([^"]+)"', page.get_data(as_text=True)).group(1)


def form_upload(client, name, token=TOKEN, csrf_token=None, filename=None, data=None, **fields):
    data = (FIX / name).read_bytes() if data is None else data
    form = {
        "file": (io.BytesIO(data), filename or name),
        "year": "2020",
        "standard": "2016-2020",
        "token": token,
        **fields,
    }
    if csrf_token is not None:
        form["csrf_token"] = csrf_token
    return client.post("/upload", data=form, content_type="multipart/form-data")


def staged(state):
    root = state / "staging"
    return sorted(p.name for p in root.iterdir()) if root.exists() else []


# ---------------------------------------------------------------- CSRF and session


def test_form_needs_the_csrf_token(app, state):
    c = app.test_client()
    csrf(c)
    for bad in (None, "", "wrong", "x" * 43):
        resp = form_upload(c, "review_2020_communes.csv", csrf_token=bad)
        assert resp.status_code == 403
        assert "CSRF" in resp.get_data(as_text=True)
    # a token from another session does not work either
    other = app.test_client()
    resp = form_upload(c, "review_2020_communes.csv", csrf_token=csrf(other))
    assert resp.status_code == 403
    assert staged(state) == [] and not (state / "versions").exists()


def test_form_flow_and_commit(app, state):
    c = app.test_client()
    tok = csrf(c)
    resp = form_upload(c, "review_2020_communes.csv", csrf_token=tok, note="QĐ 04")
    html = resp.get_data(as_text=True)
    assert resp.status_code == 200 and 'id="commit"' in html
    sid = re.search(r"/upload/([A-Za-z0-9_-]+)/commit", html).group(1)
    assert staged(state) == [sid]
    # commit needs the CSRF token of the session too
    assert c.post(f"/upload/{sid}/commit", data={"csrf_token": "nope"}).status_code == 403
    # and the session that previewed it
    other = app.test_client()
    assert other.post(f"/upload/{sid}/commit", data={"csrf_token": csrf(other)}).status_code == 401
    resp = c.post(f"/upload/{sid}/commit", data={"csrf_token": tok})
    assert resp.status_code == 201 and "Đã ghi phiên bản 1" in resp.get_data(as_text=True)
    # the token typed once stays valid for this session's next upload
    resp = form_upload(c, "review_2020_bom_semicolon.csv", token="", csrf_token=tok)
    assert resp.status_code == 200


# the form page is Vietnamese (the default language), its errors too
@pytest.mark.parametrize(
    "token, status, text", [("", 401, "hãy nhập mã tải lên"), ("wrong", 401, "mã tải lên không đúng")]
)
def test_form_needs_a_valid_token(app, state, token, status, text):
    c = app.test_client()
    resp = form_upload(c, "review_2020_communes.csv", token=token, csrf_token=csrf(c))
    assert resp.status_code == status and text in resp.get_data(as_text=True)
    assert staged(state) == []


def test_form_disabled_without_a_token(state):
    from app import create_app

    c = create_app({"TESTING": True}).test_client()
    assert 'id="disabled"' in c.get("/upload").get_data(as_text=True)
    resp = form_upload(c, "review_2020_communes.csv", csrf_token="x")
    assert resp.status_code == 403 and "MAP_UPLOAD_TOKEN" in resp.get_data(as_text=True)


# ---------------------------------------------------------------- escaping


def test_data_from_the_file_is_escaped(app, state):
    c = app.test_client()
    resp = form_upload(
        c, "xss.csv", csrf_token=csrf(c), filename='<b onmouseover="x()">a.csv', note="<script>window.__xss=3</script>"
    )
    html = resp.get_data(as_text=True)
    assert resp.status_code == 400  # unknown units: errors, no commit button
    assert "&lt;script&gt;window.__xss=1&lt;/script&gt;" in html
    assert "&lt;img src=x onerror=&#34;window.__xss=2;alert(1)&#34;&gt;" in html
    assert "<script" not in html and "<img" not in html and "<b " not in html
    assert 'id="commit"' not in html
    assert "script-src" not in resp.headers["Content-Security-Policy"]  # default-src 'none' covers scripts
    assert "default-src 'none'" in resp.headers["Content-Security-Policy"]


def test_notes_shown_later_are_escaped(app, state):
    c = app.test_client()
    api = c.post(
        "/api/uploads",
        headers={"Authorization": f"Bearer {TOKEN}"},
        content_type="multipart/form-data",
        data={
            "file": (io.BytesIO((FIX / "review_2020_communes.csv").read_bytes()), "a.csv"),
            "year": "2020",
            "standard": "2016-2020",
            "note": "<script>window.__xss=4</script>",
        },
    )
    sid = api.get_json()["id"]
    c.post(f"/api/uploads/{sid}/commit", headers={"Authorization": f"Bearer {TOKEN}"})
    html = c.get("/upload").get_data(as_text=True)
    assert "&lt;script&gt;window.__xss=4&lt;/script&gt;" in html and "<script" not in html


def test_templates_never_mark_data_safe():
    for tpl in (ROOT / "app" / "templates" / "uploads").glob("*.html"):
        text = tpl.read_text(encoding="utf-8")
        assert "|safe" not in text.replace(" ", "") and "autoescape false" not in text, tpl.name


# ---------------------------------------------------------------- file names and paths


@pytest.mark.parametrize(
    "filename", ["../../../etc/passwd.csv", "/etc/passwd.csv", "..\\..\\x.csv", "a/../../b.csv", "kết quả rà soát.csv"]
)
def test_file_names_are_sanitised(app, state, tmp_path, filename):
    c = app.test_client()
    resp = c.post(
        "/api/uploads",
        headers={"Authorization": f"Bearer {TOKEN}"},
        content_type="multipart/form-data",
        data={
            "file": (io.BytesIO((FIX / "review_2020_communes.csv").read_bytes()), filename),
            "year": "2020",
            "standard": "2016-2020",
        },
    )
    assert resp.status_code == 201
    name = resp.get_json()["file"]["name"]
    assert "/" not in name and "\\" not in name and not name.startswith(".") and name.endswith(".csv")
    files = sorted(str(p.relative_to(tmp_path)) for p in tmp_path.rglob("*") if p.is_file())
    sid = resp.get_json()["id"]
    assert files == [f"state/staging/{sid}/meta.json", f"state/staging/{sid}/upload.bin"]


# ---------------------------------------------------------------- tokens and secrets


def test_tokens_compared_in_constant_time(app, state, monkeypatch):
    import app.uploads as uploads

    calls = []
    real = uploads.hmac.compare_digest

    def spy(a, b):
        calls.append((len(a), len(b)))
        return real(a, b)

    monkeypatch.setattr(uploads.hmac, "compare_digest", spy)
    resp = app.test_client().post("/api/versions/0/restore", headers={"Authorization": f"Bearer {TOKEN}"})
    assert resp.status_code == 200
    # every configured token is compared (no early exit), as fixed-length digests
    assert calls == [(32, 32), (32, 32)]


def test_no_token_or_secret_key_in_the_repository():
    import app.uploads as uploads

    source = Path(uploads.__file__).read_text(encoding="utf-8")
    assert not re.search(r"MAP_UPLOAD_TOKEN\s*=\s*['\"]\w", source)
    for path in list(ROOT.glob("*.env")) + list(ROOT.glob(".env*")):
        assert "MAP_UPLOAD_TOKEN" not in path.read_text(errors="ignore"), path
    for path in (ROOT / "app").rglob("*.py"):
        text = path.read_text(encoding="utf-8", errors="ignore")
        assert not re.search(r"(SECRET_KEY|secret_key)\s*=\s*['\"][^'\"]+['\"]", text), path


def test_request_too_large_is_a_clear_json_413(state):
    from app import create_app

    c = create_app({"TESTING": True, "MAP_UPLOAD_TOKEN": TOKEN, "UPLOAD_MAX_BYTES": 2000}).test_client()
    body = {"file": (io.BytesIO(b"x" * 400_000), "a.csv")}
    resp = c.post("/upload", data=body, content_type="multipart/form-data", headers={"Accept-Language": "en"})
    assert resp.status_code == 413 and resp.is_json
    assert "larger than the limit" in resp.get_json()["error"]
    body = {"file": (io.BytesIO(b"x" * 400_000), "a.csv")}
    resp = c.post("/upload", data=body, content_type="multipart/form-data")
    assert resp.status_code == 413 and "lớn hơn giới hạn" in resp.get_json()["error"]


# ---------------------------------------------------------------- in a real browser


def test_xss_payloads_stay_text_in_chromium(app, state, tmp_path):
    pw = pytest.importorskip("playwright.sync_api")
    if not Path("/usr/bin/chromium").exists():
        pytest.skip("no /usr/bin/chromium")
    from werkzeug.serving import make_server

    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{server.server_port}/upload"
    dialogs = []
    try:
        with pw.sync_playwright() as p:
            browser = p.chromium.launch(
                executable_path="/usr/bin/chromium",
                args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
            )
            page = browser.new_page()
            page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
            page.goto(url)
            page.set_input_files("#file", str(FIX / "xss.csv"))
            page.fill("#year", "2020")
            page.fill("#token", TOKEN)
            page.fill("#note", '<img src=x onerror="window.__xss=5">')
            with page.expect_navigation():
                page.click("#submit")
            page.wait_for_selector("#errors")
            names = page.locator(".unmatched td.name").all_inner_texts()
            assert names == XSS_NAMES
            errors = page.locator("#errors").inner_text()
            assert XSS_NAMES[0] in errors and XSS_NAMES[1] in errors
            assert page.evaluate("typeof window.__xss") == "undefined"
            assert page.locator("script").count() == 0 and page.locator("img").count() == 0
            page.wait_for_timeout(300)
            browser.close()
    finally:
        server.shutdown()
        thread.join(5)
    assert dialogs == []
