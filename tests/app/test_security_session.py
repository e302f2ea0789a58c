"""Issue 17 item 1 and 9: a random session key, no signed cookie before login, token guessing
limited per client, safe headers on every answer, Secure cookies over HTTPS."""

import hashlib
import re
import stat

import pytest

TOKEN = "planner:session-token-0123456789"


@pytest.fixture
def app(state):
    from app import create_app

    return create_app({"TESTING": True, "MAP_UPLOAD_TOKEN": TOKEN})


def _csrf(client) -> str:
    page = client.get("/upload")
    return re.search(r'name="csrf_token" value="([^"]+)"', page.get_data(as_text=True)).group(1)


def test_anonymous_visitors_get_no_signed_session(app, state):
    c = app.test_client()
    resp = c.get("/upload")
    cookies = resp.headers.getlist("Set-Cookie")
    assert not any(v.startswith(app.config["SESSION_COOKIE_NAME"] + "=") for v in cookies), cookies
    assert any(v.startswith("upload_csrf=") and "HttpOnly" in v for v in cookies), cookies
    assert not (state / "session.key").exists()  # nothing signed yet


def test_session_key_is_random_per_installation_and_kept_0600(app, state, tmp_path):
    from app import create_app

    c = app.test_client()
    tok = _csrf(c)
    resp = c.post("/upload", data={"csrf_token": tok, "token": "session-token-0123456789"})
    assert resp.status_code in (400, 413, 200)  # no file: refused, but the token was valid
    assert "session=" in " ".join(resp.headers.getlist("Set-Cookie"))
    key_file = state / "session.key"
    key = key_file.read_bytes()
    assert len(key) >= 32 and stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert app.secret_key == key
    derived = hashlib.sha256(b"kontum-map-session\0" + TOKEN.encode()).digest()
    assert key != derived and TOKEN.split(":")[1].encode() not in key
    # another worker on the same state folder signs with the same key
    other = create_app({"TESTING": True, "MAP_UPLOAD_TOKEN": TOKEN})
    assert other.test_client().get("/upload").status_code == 200
    from app.security import session_key
    from geo import settings as geo_settings

    assert session_key(geo_settings.active()) == key
    # a named key file (shared by the hosts of one PostGIS deployment) is used instead
    shared = tmp_path / "shared.key"
    conf = geo_settings.active().replace(secret_key_file=shared)
    assert session_key(conf) == shared.read_bytes() != key


def test_a_forged_session_signed_with_the_old_derived_key_is_refused(app, state):
    from flask.sessions import SecureCookieSessionInterface
    from itsdangerous import URLSafeTimedSerializer

    derived = hashlib.sha256(b"kontum-map-session\0" + TOKEN.encode()).digest()
    si = SecureCookieSessionInterface()
    forged = URLSafeTimedSerializer(
        derived,
        salt=si.salt,
        serializer=si.serializer,
        signer_kwargs={"key_derivation": "hmac", "digest_method": hashlib.sha1},
    ).dumps({"upload_who": "planner", "csrf": "x" * 40, "staged": ["abc"]})
    c = app.test_client()
    c.set_cookie(app.config["SESSION_COOKIE_NAME"], forged)
    resp = c.post("/upload/abc/commit", data={"csrf_token": "x" * 40})
    assert resp.status_code in (401, 403)


def test_failed_token_attempts_are_limited_per_client(state):
    from app import create_app

    app = create_app({"TESTING": True, "MAP_UPLOAD_TOKEN": TOKEN, "MAP_LOGIN_LIMIT": "3 per hour"})
    c = app.test_client()
    for _ in range(3):
        assert c.get("/api/uploads/x", headers={"Authorization": "Bearer guess"}).status_code == 401
    # locked out: even the right token now gets 429 from this address
    good = {"Authorization": "Bearer session-token-0123456789"}
    assert c.get("/api/uploads/x", headers=good).status_code == 429
    # another address is not
    resp = c.get("/api/uploads/x", headers=good, environ_base={"REMOTE_ADDR": "10.0.0.9"})
    assert resp.status_code != 429


def test_successful_requests_do_not_count(state):
    from app import create_app

    app = create_app({"TESTING": True, "MAP_UPLOAD_TOKEN": TOKEN, "MAP_LOGIN_LIMIT": "2 per hour"})
    c = app.test_client()
    good = {"Authorization": "Bearer session-token-0123456789"}
    for _ in range(5):
        assert c.get("/api/uploads/nope", headers=good).status_code != 429


@pytest.mark.parametrize("path", ["/", "/upload", "/no/such/page", "/api/versions"])
def test_safe_headers_on_every_answer(app, path):
    resp = app.test_client().get(path)
    assert resp.headers["X-Content-Type-Options"] == "nosniff"
    assert "frame-ancestors 'none'" in resp.headers["Content-Security-Policy"]
    assert resp.headers["X-Frame-Options"] == "DENY"
    assert resp.headers["Referrer-Policy"]


def test_cookies_are_secure_over_https(app):
    c = app.test_client()
    plain = " ".join(c.get("/upload").headers.getlist("Set-Cookie"))
    assert "Secure" not in plain
    https = " ".join(app.test_client().get("/upload", base_url="https://localhost").headers.getlist("Set-Cookie"))
    assert "upload_csrf=" in https and "Secure" in https
