"""What a request works with: the app's settings and its backend, one way for every route.

:func:`app.create_app` builds both once (:mod:`geo.settings`,
:func:`geo.backends.factory.backend_for`) and keeps them in
``app.extensions["kontum"]``; routes call :func:`settings` and
:func:`backend` — never the environment, never a backend of their own.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask import Flask, current_app, g, has_request_context, request, url_for

from geo import cache
from geo.backends.base import Backend, BackendError
from geo.settings import Settings

KEY = "kontum"

#: Room for the form fields around an uploaded file in a request body.
FORM_SLACK = 256 * 1024


@dataclass(frozen=True)
class AppContext:
    """The settings of an app and its backend (or why there is none: a malformed database setting)."""

    settings: Settings
    backend: Backend | None
    error: BackendError | None = None


def install(app: Flask, conf: Settings, backend: Backend | None, error: BackendError | None = None) -> None:
    """Give ``app`` its settings and backend (``error``: the backend could not be made)."""
    app.extensions[KEY] = AppContext(conf, backend, error)


def _context() -> AppContext:
    return current_app.extensions[KEY]


def settings_of(app: Flask) -> Settings:
    """The settings of ``app`` (outside a request, e.g. when a blueprint is registered)."""
    return app.extensions[KEY].settings


def settings() -> Settings:
    """The current app's settings."""
    return _context().settings


def backend() -> Backend:
    """The current app's backend; raises the :class:`geo.backends.base.BackendError` that kept it
    from being made (a malformed ``DATABASE_URL``), which the routes answer with 503."""
    ctx = _context()
    if ctx.backend is None:
        raise ctx.error
    return ctx.backend


def data_version() -> cache.Version:
    """The version of the data the current request is answered from, taken once per request.

    The answer cache, the ETag and the compressed-answer cache all key on it:
    one look at the backend (a file's stat, or the database's pointer) per
    request instead of one per use, and the three always agree even when an
    upload switches the version mid-request.  Raises what :func:`backend` and
    the backend's ``version()`` raise.
    """
    if not has_request_context():
        return cache.version_of(backend())
    version = g.get("kontum_data_version")
    if version is None:
        version = cache.version_of(backend())
        g.kontum_data_version = version
    return version


def public_base() -> str:
    """The base URL links in answers start with: ``MAP_PUBLIC_URL`` when set (the request's
    ``Host`` header is then never used), else the request's own ``scheme://host`` — right on
    loopback or behind a proxy that sets ``Host`` itself, wrong on a public address where any
    client chooses its ``Host`` (set ``MAP_PUBLIC_URL`` there)."""
    return settings().public_url or request.host_url.rstrip("/")


def external_url(endpoint: str, **values) -> str:
    """The absolute URL of ``endpoint`` (as :func:`flask.url_for`) on :func:`public_base`.

    With ``MAP_PUBLIC_URL=https://map.example.vn/kontum`` the path is appended to it
    (the proxy strips ``/kontum`` before the app sees it)."""
    conf = settings()
    if not conf.public_url:
        return url_for(endpoint, _external=True, **values)
    path = url_for(endpoint, _external=False, **values)
    root = request.script_root
    if root and path.startswith(root):
        path = path[len(root) :]
    return conf.public_url + path
