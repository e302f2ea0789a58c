"""JSON errors: every failure is a clear message, never a stack trace.

Routes raise :class:`ApiError` (or call :func:`bad_request`) for bad input;
anything unexpected becomes a 500 with a generic message (the details go to
the log, not to the client).
"""

from __future__ import annotations

from flask import Blueprint, jsonify, request
from werkzeug.exceptions import HTTPException

bp = Blueprint("errors", __name__)


class ApiError(Exception):
    """An error with an HTTP status and a message for the client."""

    def __init__(self, message: str, status: int = 400, code: str = "InvalidParameterValue"):
        super().__init__(message)
        self.message, self.status, self.code = message, status, code


def bad_request(message: str, code: str = "InvalidParameterValue") -> ApiError:
    """Return (for ``raise``) a 400 error with ``message``."""
    return ApiError(message, 400, code)


def not_found(message: str) -> ApiError:
    return ApiError(message, 404, "NotFound")


def error_payload(status: int, code: str, message: str):
    """The JSON error answer (OGC API exception shape ``{"code", "description"}``,
    ``error`` for humans and scripts) and its status, for a Flask view or handler."""
    return jsonify({"code": code, "description": message, "error": message, "status": status}), status


@bp.app_errorhandler(ApiError)
def _api_error(exc: ApiError):
    return error_payload(exc.status, exc.code, exc.message)


@bp.app_errorhandler(HTTPException)
def _http_error(exc: HTTPException):
    body, status = error_payload(exc.code or 500, exc.name.replace(" ", ""), exc.description or exc.name)
    # Keep the exception's own headers that say how to retry (405: Allow, RFC 9110 §15.5.6).
    for name, value in exc.get_headers():
        if name.lower() in ("allow", "retry-after", "www-authenticate"):
            body.headers[name] = value
    return body, status


@bp.app_errorhandler(Exception)
def _unexpected(exc: Exception):
    from flask import current_app

    current_app.logger.exception("unhandled error on %s", request.path)
    return error_payload(500, "ServerError", "internal error; the request was not completed")
