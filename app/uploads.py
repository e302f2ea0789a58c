"""Uploads: planners replace demo values with official figures, safely.

Reading stays public; writing needs a token.  Tokens come from the app's
settings (``upload_token``: ``MAP_UPLOAD_TOKEN``, :mod:`geo.settings`), as ``secret`` or ``name:secret[,name2:secret2]`` (the name is
recorded as who uploaded).  With no token configured, uploads are disabled
(403 with a clear message).

JSON API (``Authorization: Bearer <token>``)
--------------------------------------------
``POST /api/uploads``
    multipart form: ``file`` (CSV or XLSX), ``year``, ``standard``
    (2016-2020 | 2022-2025), ``level`` (commune | district | commune_2025:
    the communes of 1 July 2025), ``status`` (official | reported), ``note``,
    ``confirm_rows`` (e.g. ``4,7``: rows whose code and name point at
    different units, confirmed; otherwise such a row is an error).  Answers
    201 with the preview (join report, problems with row numbers, values that
    would change, ``confirmed_rows``) and its ``id``; the file is staged
    privately until ``expires``.
``POST /api/uploads/<id>/confirm``
    JSON ``{"confirm_rows": [4, 7]}`` (or the form field): the staged file
    previewed again with those rows confirmed, under a new ``id`` (201).
``GET /api/uploads/<id>`` · ``DELETE /api/uploads/<id>``
    the preview again (recomputed against the data served now) · discard.
``POST /api/uploads/<id>/commit``
    re-validates and makes it a new dataset version (201); 400 when it has errors.
``POST /api/boundaries``
    multipart: ``file`` (GeoJSON, GeoPackage, zipped Shapefile), ``level``,
    ``crs`` (needed when the file declares none and is not lon/lat): a
    boundary preview, committed with the same ``/commit`` route.
``GET /api/versions`` (public) · ``POST /api/versions/<n>/restore``

HTML form
---------
``GET /upload`` (forms, versions) · ``POST /upload`` (preview page) ·
``POST /upload/<id>/commit`` · ``POST /upload/boundaries`` (a boundary file's preview page,
committed with the same commit route) · ``POST /upload/restore`` (``version``, ``confirm``:
an earlier version served again) · ``GET /upload/versions/<n>`` (what version *n* changed:
units and indicators, old → new, from its manifest in the version store).
The forms carry a per-session CSRF token (``secrets`` + ``hmac.compare_digest``); the upload token is typed in the
form once per session.  Every value from a file or a user is escaped by
Jinja's autoescape.

Errors answer JSON ``{"code", "description", "error", "status"}``: 400
bad input, 401 no or wrong token, 403 uploads disabled or bad CSRF token,
404/410 unknown or expired preview, 413 too large.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets

from flask import Blueprint, Response, abort, current_app, g, jsonify, render_template, request, session
from werkzeug.utils import secure_filename

from geo.backends.base import BackendError
from geo.messages import Message as M
from geo.units.boundaries import LEVELS
from geo.units.join import row_numbers
from geo.uploads import boundaries as boundary_upload
from geo.uploads import common, ingest, staging, versions

from . import context as app_context
from . import i18n, security
from .errors import ApiError, unavailable

bp = Blueprint("uploads", __name__)

_NAME_RE = re.compile(r"^[A-Za-z0-9_.@-]{1,40}$")


@bp.record_once
def _setup(state) -> None:
    # The session key and cookie flags come from app.security (a random key per installation);
    # failed token attempts (401) are limited per client address.
    security.limit_failed_logins(state.app, app_context.settings_of(state.app), bp)


# ---------------------------------------------------------------- configuration


def _tokens() -> list[tuple[str, str]]:
    """Configured (name, token) pairs; empty: uploads disabled."""
    raw = app_context.settings().upload_token
    if isinstance(raw, dict):
        pairs = [(str(k), str(v)) for k, v in raw.items()]
    else:
        pairs = []
        for entry in str(raw).split(","):
            entry = entry.strip()
            name, sep, secret = entry.partition(":")
            if sep and _NAME_RE.match(name) and secret:
                pairs.append((name, secret))
            elif entry:
                pairs.append(("upload", entry))
    return [(n, t) for n, t in pairs if t]


def _max_bytes() -> int:
    """The upload size cap (the ``max_upload_bytes`` setting, as :func:`geo.uploads.ingest.max_bytes`)."""
    return app_context.settings().max_upload_bytes


def _who(given: str | None) -> str | None:
    """The name of the token ``given``; every token compared in constant time."""
    if not given:
        return None
    digest = hashlib.sha256(given.encode("utf-8", "surrogatepass")).digest()
    found = None
    for name, token in _tokens():
        if hmac.compare_digest(digest, hashlib.sha256(token.encode("utf-8")).digest()) and found is None:
            found = name
    return found


def _disabled() -> ApiError:
    return ApiError(M("error.upload.disabled"), 403, "Forbidden")


def _require_bearer() -> str:
    if not _tokens():
        raise _disabled()
    header = request.headers.get("Authorization", "")
    scheme, _, given = header.partition(" ")
    who = _who(given.strip()) if scheme.lower() == "bearer" else None
    if who is None:
        msg = i18n.localise(M("error.upload.bearer_required" if not header else "error.upload.token_invalid"))
        body = {"code": "Unauthorized", "description": msg, "error": msg, "status": 401}
        resp = jsonify(body)
        resp.status_code = 401
        resp.headers["WWW-Authenticate"] = 'Bearer realm="uploads"'
        abort(resp)
    return who


def _api_error(exc: common.UploadError) -> ApiError:
    return ApiError(exc, exc.status, exc.code)


# ---------------------------------------------------------------- reading the request


def _file() -> tuple[bytes, str]:
    """The uploaded file's bytes (size-capped) and its sanitised name."""
    f = request.files.get("file")
    if f is None or not (f.filename or "").strip():
        raise ApiError(M("error.upload.no_file"), 400)
    cap = _max_bytes()
    data = f.stream.read(cap + 1)
    if len(data) > cap:
        raise ApiError(
            M("error.upload.file_too_large", cap=f"{cap:,}", mb=f"{cap / 1048576:.1f}"), 413, "PayloadTooLarge"
        )
    name = secure_filename(f.filename or "") or "upload"
    return data, name[:120]


def _params(form) -> dict:
    out: dict = {}
    year = (form.get("year") or "").strip()
    if year:
        if not re.fullmatch(r"\d{4}", year):
            raise ApiError(M("error.upload.year_digits", got=year[:20]), 400)
        out["year"] = int(year)
    else:
        out["year"] = None
    standard = (form.get("standard") or "").strip()
    out["standard"] = standard or None
    level = (form.get("level") or "commune").strip()
    if level not in ingest.LEVELS:
        raise ApiError(M("error.upload.level", expected=", ".join(ingest.LEVELS)), 400)
    out["level"] = level
    out["confirm_rows"] = _confirm_rows(form.getlist("confirm_rows"))
    status = (form.get("status") or "official").strip()
    if status not in ingest.STATUSES:
        raise ApiError(M("error.upload.status", expected=", ".join(ingest.STATUSES)), 400)
    out["status"] = status
    note = form.get("note") or ""
    if len(note) > 500:
        raise ApiError(M("error.upload.note_long", max=500), 400)
    out["note"] = " ".join(note.split())
    return out


def _confirm_rows(values: list) -> list[int]:
    """The confirmed row numbers of form fields ("4,7", or one field per row) or a JSON list."""
    rows: set[int] = set()
    for value in values:
        try:
            rows.update(row_numbers(value))
        except ValueError as exc:
            raise ApiError(M("error.upload.confirm_rows", reason=str(exc)), 400) from None
    return sorted(rows)


def _limit_body() -> None:
    request.max_content_length = _max_bytes() + app_context.FORM_SLACK


def _preview_for(data: bytes, name: str, params: dict, who: str) -> ingest.Preview:
    try:
        return ingest.preview(data, name, who=who, **params)
    except common.UploadError as exc:
        raise _api_error(exc) from None


# ---------------------------------------------------------------- JSON API


@bp.post("/api/uploads")
def api_upload():
    who = _require_bearer()
    _limit_body()
    data, name = _file()
    params = _params(request.form)
    pv = _preview_for(data, name, params, who)
    try:
        pv.id, pv.expires = staging.stage(data, name, params, who)
    except common.UploadError as exc:
        raise _api_error(exc) from None
    return jsonify(pv.to_dict(i18n.error_lang())), 201


def _restaged(sid: str, rows: list[int], who: str) -> ingest.Preview:
    """The staged upload ``sid`` staged again with ``rows`` confirmed; its new preview."""
    try:
        new_id, _ = staging.restage(sid, {"confirm_rows": rows})
        pv = staging.staged_preview(new_id)
    except common.UploadError as exc:
        raise _api_error(exc) from None
    return pv


@bp.post("/api/uploads/<sid>/confirm")
def api_confirm(sid: str):
    who = _require_bearer()
    body = request.get_json(silent=True) if request.is_json else None
    if request.is_json and not isinstance(body, dict):
        raise ApiError(M("error.upload.confirm_json"), 400)
    values = [body.get("confirm_rows")] if body is not None else request.form.getlist("confirm_rows")
    if values in ([], [None]):
        raise ApiError(M("error.upload.confirm_missing"), 400)
    pv = _restaged(sid, _confirm_rows(values), who)
    return jsonify(pv.to_dict(i18n.error_lang())), 201


@bp.get("/api/uploads/<sid>")
def api_upload_get(sid: str):
    _require_bearer()
    try:
        pv = staging.staged_preview(sid)
    except common.UploadError as exc:
        raise _api_error(exc) from None
    return jsonify(pv.to_dict(i18n.error_lang()))


@bp.delete("/api/uploads/<sid>")
def api_upload_delete(sid: str):
    _require_bearer()
    try:
        staging.load_staged(sid)
    except common.UploadError as exc:
        raise _api_error(exc) from None
    staging.discard(sid)
    return Response(status=204)


def _versions() -> versions.Store:
    """The dataset versions of the app's backend (:func:`app.context.backend`)."""
    try:
        return app_context.backend().versions
    except BackendError as exc:
        raise unavailable(exc) from None


def _commit(sid: str, who: str) -> versions.Version:
    try:
        return staging.commit(sid, who, _versions())
    except common.UploadError as exc:
        raise _api_error(exc) from None
    except versions.VersionError as exc:
        raise ApiError(exc, 409, "Conflict") from None
    except OSError as exc:
        current_app.logger.exception("writing a dataset version failed")
        raise ApiError(M("error.upload.write_failed", kind=type(exc).__name__), 503, "ServiceUnavailable") from None


def _version_dict(v: versions.Version) -> dict:
    out = v.to_dict()
    out.pop("base", None)  # server paths are not the client's business
    return out


@bp.post("/api/uploads/<sid>/commit")
def api_commit(sid: str):
    who = _require_bearer()
    v = _commit(sid, who)
    body = {"version": v.number, "current": versions.current_number(_versions()), "manifest": _version_dict(v)}
    if note := versions.served_note():
        body["warning"] = note
    return jsonify(body), 201


@bp.post("/api/boundaries")
def api_boundaries():
    who = _require_bearer()
    _limit_body()
    data, name = _file()
    level = (request.form.get("level") or "commune").strip()
    if level not in LEVELS:
        raise ApiError(M("error.upload.level", expected=", ".join(LEVELS)), 400)
    crs = (request.form.get("crs") or "").strip() or None
    note = " ".join((request.form.get("note") or "").split())[:500]
    try:
        pv = boundary_upload.preview(data, name, level=level, crs=crs, note=note, who=who)
        pv.id, pv.expires = staging.stage(
            data, name, {"level": level, "crs": crs, "note": note}, who, kind="boundaries"
        )
    except common.UploadError as exc:
        raise _api_error(exc) from None
    return jsonify(pv.to_dict(i18n.error_lang())), 201


@bp.get("/api/versions")
def api_versions():
    cur = versions.current_number(_versions())
    out = [{"version": 0, "kind": "base", "current": cur == 0}]
    out += [{**_version_dict(v), "current": v.number == cur} for v in versions.list_versions(_versions())]
    return jsonify({"current": cur, "versions": out})


@bp.post("/api/versions/<int:number>/restore")
def api_restore(number: int):
    _require_bearer()
    try:
        versions.restore(number, _versions())
    except versions.VersionError as exc:
        raise ApiError(exc, 404 if "no dataset version" in str(exc) else 400) from None
    return jsonify({"current": versions.current_number(_versions())})


# ---------------------------------------------------------------- HTML form


def _lang() -> str:
    return i18n.asked_lang() if i18n.asked_lang() in i18n.LANGS else i18n.default_lang()


CSRF_COOKIE = "upload_csrf"


def _csrf_token() -> str:
    """The form's CSRF token: the session's after a valid token was typed; before that a random
    value in a plain cookie (double submit) — no signed session is handed to anonymous visitors."""
    token = session.get("csrf") if _has_session() else None
    if isinstance(token, str) and len(token) >= 32:
        return token
    token = request.cookies.get(CSRF_COOKIE, "")
    if not re.fullmatch(r"[A-Za-z0-9_-]{32,64}", token):
        token = g.setdefault("new_csrf", secrets.token_urlsafe(32))
    return token


def _has_session() -> bool:
    return current_app.config["SESSION_COOKIE_NAME"] in request.cookies


def _check_csrf() -> None:
    expected = session.get("csrf") if _has_session() else None
    if not isinstance(expected, str) or not expected:
        expected = request.cookies.get(CSRF_COOKIE)
    sent = request.form.get("csrf_token", "")
    if (
        not isinstance(expected, str)
        or len(expected) < 32
        or not hmac.compare_digest(sent.encode("utf-8", "surrogatepass"), expected.encode("utf-8"))
    ):
        raise ApiError(M("error.upload.csrf"), 403, "Forbidden")


def _login(who: str) -> None:
    """A valid token was typed: from now on the signed session carries who and the CSRF token."""
    session["upload_who"] = who
    session["csrf"] = request.form.get("csrf_token", "")


def _page(template: str, status: int = 200, **context) -> Response:
    lang = _lang()
    html = render_template(
        template,
        t=i18n.section("upload", lang),
        lang=lang,
        csrf_token=_csrf_token(),
        enabled=bool(_tokens()),
        standards=list(ingest.STANDARDS),
        levels=ingest.LEVELS,
        boundary_levels=LEVELS,
        statuses=ingest.STATUSES,
        session_who=session.get("upload_who") if _has_session() else None,
        **context,
    )
    resp = Response(html, status=status, mimetype="text/html")
    if "new_csrf" in g:
        resp.set_cookie(
            CSRF_COOKIE,
            g.new_csrf,
            httponly=True,
            samesite="Strict",
            secure=security.cookie_secure(current_app),
            path="/upload",
        )
    return resp


@bp.after_request
def _headers(resp: Response) -> Response:
    resp.headers.setdefault("X-Content-Type-Options", "nosniff")
    resp.headers.setdefault("Referrer-Policy", "no-referrer")
    resp.headers.setdefault("Cache-Control", "no-store")
    if resp.mimetype == "text/html":
        resp.headers.setdefault(
            "Content-Security-Policy",
            "default-src 'none'; style-src 'self' 'unsafe-inline'; img-src 'self'; form-action 'self'; "
            "base-uri 'none'; frame-ancestors 'none'",
        )
        resp.headers.setdefault("X-Frame-Options", "DENY")
    return resp


def _versions_list() -> list[dict]:
    cur = versions.current_number(_versions())
    out = [
        {"version": v.number, "current": v.number == cur, **_version_dict(v)}
        for v in versions.list_versions(_versions())
    ]
    return out[::-1][:20]


@bp.get("/upload")
def form():
    return _page("uploads/form.html", versions=_versions_list(), current=versions.current_number(_versions()))


def _form_who() -> str:
    """Who submits the form: a valid token typed now, or one typed earlier in this session."""
    if not _tokens():
        raise _disabled()
    typed = request.form.get("token", "")
    if typed:
        who = _who(typed)
        if who is None:
            raise ApiError(M("error.upload.token_invalid"), 401, "Unauthorized")
        _login(who)
        return who
    who = session.get("upload_who")
    if isinstance(who, str) and who in {n for n, _ in _tokens()}:
        return who
    raise ApiError(M("error.upload.token_missing"), 401, "Unauthorized")


def _form_error(exc: ApiError, template: str = "uploads/form.html", **context) -> Response:
    return _page(
        template,
        exc.status,
        error=exc.text(_lang()),
        versions=_versions_list(),
        current=versions.current_number(_versions()),
        **context,
    )


@bp.post("/upload")
def form_post():
    _limit_body()  # before the form is parsed
    try:
        if not _tokens():
            raise _disabled()
        _check_csrf()
        who = _form_who()
        data, name = _file()
        params = _params(request.form)
        pv = _preview_for(data, name, params, who)
        pv.id, pv.expires = staging.stage(data, name, params, who)
    except ApiError as exc:
        return _form_error(exc, form=request.form)
    except common.UploadError as exc:
        return _form_error(_api_error(exc), form=request.form)
    staged = [s for s in session.get("staged", []) if isinstance(s, str)][-9:] + [pv.id]
    session["staged"] = staged
    return _page("uploads/preview.html", 200 if pv.ok else 400, pv=pv.to_dict(_lang()))


@bp.post("/upload/<sid>/confirm")
def form_confirm(sid: str):
    """The preview page's confirmations: the staged file previewed again with the ticked rows confirmed."""
    try:
        _check_csrf()
        if not _tokens():
            raise _disabled()
        who = session.get("upload_who")
        if not isinstance(who, str) or who not in {n for n, _ in _tokens()}:
            raise ApiError(M("error.upload.token_again"), 401, "Unauthorized")
        if sid not in session.get("staged", []):
            raise ApiError(M("error.upload.no_such_upload"), 404, "NotFound")
        rows = _confirm_rows(request.form.getlist("confirm_rows"))
        if not rows:
            raise ApiError(M("error.upload.confirm_none"), 400)
        pv = _restaged(sid, rows, who)
    except ApiError as exc:
        return _form_error(exc)
    session["staged"] = [s for s in session.get("staged", []) if s != sid][-9:] + [pv.id]
    return _page("uploads/preview.html", 200 if pv.ok else 400, pv=pv.to_dict(_lang()))


@bp.post("/upload/<sid>/commit")
def form_commit(sid: str):
    try:
        _check_csrf()
        if not _tokens():
            raise _disabled()
        who = session.get("upload_who")
        if not isinstance(who, str) or who not in {n for n, _ in _tokens()}:
            raise ApiError(M("error.upload.token_again"), 401, "Unauthorized")
        if sid not in session.get("staged", []):
            raise ApiError(M("error.upload.no_such_upload"), 404, "NotFound")
        v = _commit(sid, who)
    except ApiError as exc:
        return _form_error(exc)
    session["staged"] = [s for s in session.get("staged", []) if s != sid]
    return _page("uploads/result.html", 201, version=_version_dict(v), warning=versions.served_note())


@bp.post("/upload/boundaries")
def form_boundaries():
    """The boundary form: a GeoJSON / GeoPackage / zipped Shapefile previewed, staged for commit."""
    _limit_body()
    try:
        if not _tokens():
            raise _disabled()
        _check_csrf()
        who = _form_who()
        data, name = _file()
        level = (request.form.get("level") or "commune").strip()
        if level not in LEVELS:
            raise ApiError(M("error.upload.level", expected=", ".join(LEVELS)), 400)
        crs = (request.form.get("crs") or "").strip()[:40] or None
        note = request.form.get("note") or ""
        if len(note) > 500:
            raise ApiError(M("error.upload.note_long", max=500), 400)
        note = " ".join(note.split())
        pv = boundary_upload.preview(data, name, level=level, crs=crs, note=note, who=who)
        pv.id, pv.expires = staging.stage(
            data, name, {"level": level, "crs": crs, "note": note}, who, kind="boundaries"
        )
    except ApiError as exc:
        return _form_error(exc, bform=request.form)
    except common.UploadError as exc:
        return _form_error(_api_error(exc), bform=request.form)
    session["staged"] = [s for s in session.get("staged", []) if isinstance(s, str)][-9:] + [pv.id]
    return _page("uploads/boundaries.html", 200 if pv.ok else 400, pv=pv.to_dict(_lang()))


@bp.post("/upload/restore")
def form_restore():
    """Serve an earlier version again: the form's token (or the session's), CSRF, and a ticked confirmation."""
    try:
        if not _tokens():
            raise _disabled()
        _check_csrf()
        _form_who()
        raw = (request.form.get("version") or "").strip()
        if not raw.isdigit() or len(raw) > 6:
            raise ApiError(M("error.upload.restore_number", got=raw[:20]), 400)
        if request.form.get("confirm") != "yes":
            raise ApiError(M("error.upload.restore_confirm"), 400)
        try:
            versions.restore(int(raw), _versions())
        except versions.VersionError as exc:
            missing = "no dataset version" in str(exc)
            raise ApiError(
                M("error.upload.no_version", number=int(raw)) if missing else exc, 404 if missing else 400
            ) from None
    except ApiError as exc:
        return _form_error(exc)
    current = versions.current_number(_versions())
    return _page("uploads/form.html", versions=_versions_list(), current=current, restored=current)


def version_changes(manifest: dict) -> dict:
    """What a version changed, from its manifest: ``changes`` (values, old → new) or ``areas``
    (boundaries), the units and indicators they touch, and whether the list was kept at all."""
    changes = manifest.get("changes")
    areas = manifest.get("area_changes")
    out: dict = {"recorded": changes is not None or areas is not None, "changes": changes or [], "areas": areas or []}
    out["units"] = sorted({str(c.get("gso_code")) for c in out["changes"] + out["areas"] if c.get("gso_code")})
    out["indicators"] = sorted({str(c.get("indicator")) for c in out["changes"] if c.get("indicator")})
    counts = manifest.get("counts") or {}
    out["total"] = int(counts.get("changed", len(out["changes"])) if changes is not None else len(out["areas"]))
    return out


@bp.get("/upload/versions/<int:number>")
def form_version(number: int):
    """One version: its manifest and the values (or boundaries) it changed."""
    try:
        if number == 0:  # the base build changed nothing: it is where every version starts
            raise ApiError(M("error.upload.no_version", number=number), 404, "NotFound")
        try:
            v = versions.get(number, _versions())
        except versions.VersionError:
            raise ApiError(M("error.upload.no_version", number=number), 404, "NotFound") from None
    except ApiError as exc:
        return _form_error(exc)
    manifest = _version_dict(v)
    diff = version_changes(manifest)
    shown = len(diff["changes"])
    more = i18n.text("upload.more_changes", _lang(), shown=shown, total=diff["total"]) if diff["total"] > shown else ""
    return _page("uploads/version.html", version=manifest, diff=diff, more=more)


# ---------------------------------------------------------------- errors


@bp.app_errorhandler(413)
def _too_large(exc):
    cap = request.max_content_length or current_app.config.get("MAX_CONTENT_LENGTH") or 0
    msg = i18n.localise(
        M("error.upload.request_too_large", cap=f"{cap:,}", mb=f"{cap / 1048576:.1f}") if cap else M("error.http.413")
    )
    return jsonify({"code": "PayloadTooLarge", "description": msg, "error": msg, "status": 413}), 413
