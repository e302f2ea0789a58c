"""JSON errors: every failure is a clear message, never a stack trace.

Routes raise :class:`ApiError` (or call :func:`bad_request`) for bad input;
anything unexpected becomes a 500 with a generic message (the details go to
the log, not to the client).  A message is a :class:`geo.messages.Message`
(an id of the catalogue and its parameters) or an exception carrying one: the
description is written in the request's language (:func:`app.i18n.error_lang`:
``?lang=``, else ``Accept-Language``, else Vietnamese).
"""

from __future__ import annotations

from flask import Blueprint, jsonify, request
from werkzeug.exceptions import HTTPException

from geo.backends.base import BackendError
from geo.messages import Message

from . import i18n

bp = Blueprint("errors", __name__)


class ApiError(Exception):
    """An error with an HTTP status and a message for the client."""

    def __init__(self, message: str | Message | Exception, status: int = 400, code: str = "InvalidParameterValue"):
        super().__init__(message)
        self.message, self.status, self.code = message, status, code

    def text(self, lang: str | None = None) -> str:
        """The message in ``lang`` (default: the request's error language)."""
        return i18n.localise(self.message, lang)


def bad_request(message: str | Message | Exception, code: str = "InvalidParameterValue") -> ApiError:
    """Return (for ``raise``) a 400 error with ``message``."""
    return ApiError(message, 400, code)


def not_found(message: str | Message) -> ApiError:
    return ApiError(message, 404, "NotFound")


def unavailable(exc: BaseException) -> ApiError:
    """Return (for ``raise``) a 503: the data store cannot answer (a
    :class:`geo.backends.base.BackendError`), its reason in the reader's language.

    >>> unavailable(RuntimeError(Message("error.backend.empty", db="kt"))).text("vi")
    'dữ liệu hiện không truy cập được (cơ sở dữ liệu kt chưa có dữ liệu: hãy chạy `python -m geo db load`)'
    """
    return ApiError(Message("error.data_unavailable", reason=cause(exc)), 503, "ServiceUnavailable")


def cause(exc: BaseException) -> str | Message:
    """What ``exc`` says, to fill a ``{reason}`` of another message: its :class:`Message`
    (rendered in the reader's language with the outer one) or its plain text.

    >>> cause(ValueError(Message("page.title"))).text("vi"), cause(ValueError("plain"))
    ('Bản đồ nghèo tỉnh Kon Tum', 'plain')
    """
    first = exc.args[0] if exc.args else None
    return first if isinstance(first, Message) else str(exc)


def error_payload(status: int, code: str, message: str):
    """The JSON error answer (OGC API exception shape ``{"code", "description"}``,
    ``error`` for humans and scripts) and its status, for a Flask view or handler."""
    return jsonify({"code": code, "description": message, "error": message, "status": status}), status


def busy(message: Message, retry_after: int):
    """A 503 answer in the reader's language with ``Retry-After: retry_after`` (seconds): all
    the slots of some bounded work (drawing, rasters, downloads) are taken."""
    from . import i18n

    resp, _ = error_payload(503, "ServiceUnavailable", i18n.localise(message))
    resp.status_code = 503
    resp.headers["Retry-After"] = str(retry_after)
    return resp


@bp.app_errorhandler(ApiError)
def _api_error(exc: ApiError):
    return error_payload(exc.status, exc.code, exc.text())


@bp.app_errorhandler(BackendError)
def _backend_error(exc: BackendError):
    """The data store failed where a route did not expect it (the database went away in the
    middle of a request, a GeoPackage of an older build): 503 with the reason, never 500."""
    return _api_error(unavailable(exc))


@bp.app_errorhandler(HTTPException)
def _http_error(exc: HTTPException):
    body, status = error_payload(exc.code or 500, exc.name.replace(" ", ""), _http_description(exc))
    # Keep the exception's own headers that say how to retry (405: Allow, RFC 9110 §15.5.6).
    for name, value in exc.get_headers():
        if name.lower() in ("allow", "retry-after", "www-authenticate"):
            body.headers[name] = value
    return body, status


def _http_description(exc: HTTPException) -> str:
    """Werkzeug's own errors (404 of an unknown path, 405 …) in the request's language; a
    description a route gave (``abort(404, "…")``) as it is."""
    default = type(exc).description
    if exc.code and (exc.description is None or exc.description == default):
        try:
            return i18n.localise(Message(f"error.http.{exc.code}"))
        except ValueError:
            pass
    return exc.description or exc.name


@bp.app_errorhandler(Exception)
def _unexpected(exc: Exception):
    from flask import current_app

    current_app.logger.exception("unhandled error on %s", request.path)
    return error_payload(500, "ServerError", i18n.localise(Message("error.http.500")))
