"""What a public address needs: a random session key, limited token guessing, safe headers.

* The session key (:func:`session_key`): ``MAP_SECRET_KEY`` when set, else a
  random key read from ``MAP_SECRET_KEY_FILE`` (default ``session.key`` in the
  state folder).  The file is created once with :mod:`secrets`, mode 0600,
  linked into place atomically so that every worker process — and every host
  naming the same shared file — reads the same key.  It is never derived from
  the upload token: a signed cookie gives nothing to a dictionary attack.
* Failed token attempts (answers 401) are counted per client address with
  Flask-Limiter (``MAP_LOGIN_LIMIT``; storage ``MAP_RATELIMIT_STORAGE``);
  over the limit the client gets 429 until the window passes, whatever token
  it sends.  ``memory://`` counts per worker process (with N workers a client
  gets up to N times the limit); a ``redis://`` storage shares the count.
* Headers on every answer (:func:`install`): CSP, ``nosniff``,
  ``frame-ancestors``/``X-Frame-Options``, ``Referrer-Policy``; ``Secure``
  cookies when the request came over HTTPS.
"""

from __future__ import annotations

import os
import secrets
import tempfile
from pathlib import Path

from flask import Flask, Response, has_request_context, request
from flask.sessions import SecureCookieSessionInterface
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from werkzeug.middleware.proxy_fix import ProxyFix

from geo.settings import Settings

KEY_BYTES = 32

#: The page policy: the map loads Leaflet/tiles from CDNs and runs inline scripts (Folium),
#: so scripts and styles are allowed from https and inline; nothing may frame the pages.
CSP = (
    "default-src 'self'; script-src 'self' 'unsafe-inline' https:; style-src 'self' 'unsafe-inline' https:; "
    "img-src 'self' data: blob: https:; font-src 'self' data: https:; connect-src 'self'; "
    "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)


def key_file(conf: Settings) -> Path:
    """Where the session key of ``conf`` is kept."""
    return Path(conf.secret_key_file) if conf.secret_key_file else Path(conf.state_dir) / "session.key"


def session_key(conf: Settings) -> bytes:
    """The installation's session key: ``MAP_SECRET_KEY``, else the key file (created once)."""
    if conf.secret_key:
        return conf.secret_key.encode("utf-8")
    path = key_file(conf)
    try:
        key = path.read_bytes()
    except FileNotFoundError:
        key = b""
    if len(key) >= KEY_BYTES:
        return key
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".session-", dir=path.parent)  # mode 0600
    try:
        os.write(fd, secrets.token_bytes(KEY_BYTES))
        os.fsync(fd)
        os.close(fd)
        try:
            os.link(tmp, path)  # atomic, and never replaces a key another worker made first
        except FileExistsError:
            pass
    finally:
        os.unlink(tmp)
    key = path.read_bytes()
    if len(key) < KEY_BYTES:
        raise RuntimeError(f"the session key file {path} is shorter than {KEY_BYTES} bytes; remove it")
    return key


#: ``app.extensions`` key: names of the blueprints that carry a rate limit (others are not checked).
LIMITED_BLUEPRINTS = "kontum_limited_blueprints"


def _failed(resp: Response) -> bool:
    return resp.status_code == 401


LIMITER = "kontum_limiter"


def limiter(app: Flask, conf: Settings) -> Limiter:
    """The app's one Flask-Limiter (per client address, storage ``MAP_RATELIMIT_STORAGE``),
    made the first time a blueprint asks for it."""
    if LIMITER not in app.extensions:
        made = Limiter(get_remote_address, app=app, storage_uri=conf.ratelimit_storage, strategy="fixed-window")
        limited = app.extensions.setdefault(LIMITED_BLUEPRINTS, set())
        # Flask-Limiter resolves the limits of every request before the view runs; the
        # requests of blueprints without limits (the map, /targets, /ogc) skip that work.
        # (a nested blueprint is "parent.child" in the request, "child" by its own name)
        made.request_filter(
            lambda: not any(b in limited or b.rsplit(".", 1)[-1] in limited for b in request.blueprints)
        )
        app.extensions[LIMITER] = made
    return app.extensions[LIMITER]


def limit_blueprint(app: Flask, conf: Settings, blueprint, value: str, **options) -> Limiter:
    """Put the rate limit ``value`` (e.g. ``"30/minute"``) on every route of ``blueprint``,
    per client address; the only way a blueprint gets a limit (see :func:`limiter`)."""
    limiter_ = limiter(app, conf)
    app.extensions[LIMITED_BLUEPRINTS].add(blueprint.name)
    limiter_.limit(value, **options)(blueprint)
    return limiter_


def limit_failed_logins(app: Flask, conf: Settings, blueprint) -> Limiter:
    """Count the 401 answers of ``blueprint`` per client address; over ``MAP_LOGIN_LIMIT``: 429."""
    return limit_blueprint(
        app,
        conf,
        blueprint,
        conf.login_limit,
        deduct_when=_failed,
        error_message="too many wrong upload tokens from this address; wait and try again later",
    )


def _headers(resp: Response) -> Response:
    h = resp.headers
    h.setdefault("X-Content-Type-Options", "nosniff")
    h.setdefault("Referrer-Policy", "strict-origin-when-cross-origin")
    h.setdefault("X-Frame-Options", "DENY")
    h.setdefault("Content-Security-Policy", CSP)
    return resp


class _SessionInterface(SecureCookieSessionInterface):
    """Signed-cookie sessions whose cookie is ``Secure`` when the request came over HTTPS
    (behind a proxy: with ProxyFix trusting ``X-Forwarded-Proto``) or the public URL is https."""

    def __init__(self, conf: Settings):
        self.conf = conf

    def get_cookie_secure(self, app: Flask) -> bool:
        return cookie_secure(app)

    def _ensure_key(self, app: Flask) -> None:
        # the key file is made the first time a session is read or written, not by every request
        if not app.secret_key:
            app.secret_key = session_key(self.conf)

    def open_session(self, app: Flask, request):
        if app.config["SESSION_COOKIE_NAME"] not in request.cookies:
            return self.session_class()
        self._ensure_key(app)
        return super().open_session(app, request)

    def save_session(self, app: Flask, session, response) -> None:
        if session:
            self._ensure_key(app)
        return super().save_session(app, session, response)


def cookie_secure(app: Flask) -> bool:
    """Whether cookies set now carry ``Secure``."""
    if app.config.get("SESSION_COOKIE_SECURE"):
        return True
    return bool(has_request_context() and request.is_secure)


def install(app: Flask, conf: Settings) -> None:
    """Session key, cookie flags and headers for ``app``."""
    app.config.setdefault("SESSION_COOKIE_HTTPONLY", True)
    if app.config.get("SESSION_COOKIE_SAMESITE") is None:
        app.config["SESSION_COOKIE_SAMESITE"] = "Lax"
    if conf.public_url.startswith("https://"):
        app.config["SESSION_COOKIE_SECURE"] = True
    app.session_interface = _SessionInterface(conf)
    app.after_request(_headers)
    if conf.proxy_hops:  # the client address and scheme as the trusted proxies saw them
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=conf.proxy_hops, x_proto=conf.proxy_hops)
