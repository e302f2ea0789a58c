"""The language of a request and the catalogue's texts in it (:mod:`geo.messages`).

Pages take their language from ``?lang=`` (``vi`` by default, the
``DEFAULT_LANG`` config); error descriptions from ``?lang=`` (or the form's
``lang``), else the ``Accept-Language`` header, else ``vi``.  Every text
comes from the one catalogue, ``geo/messages.toml``: :func:`_` renders a
message, :func:`section` gives a table of it to a template, and
:func:`js_messages` the tables the map page's script uses (embedded in the
page as JSON).
"""

from __future__ import annotations

from typing import Any

from flask import current_app, has_request_context, request

from geo import messages
from geo.messages import LANGS, Message

#: The catalogue's tables the map page's script reads (``t("no_data")`` is ``page.no_data``).
JS_SECTIONS = ("page", "status", "quality", "scheme", "leaflet", "draw", "alloc")


def default_lang() -> str:
    """The app's default language (``DEFAULT_LANG`` config, else ``vi``)."""
    return messages.lang_or_default(current_app.config.get("DEFAULT_LANG") or messages.DEFAULT_LANG)


def asked_lang() -> str | None:
    """The language the request names with ``?lang=`` (or a form's ``lang``), if any (unchecked)."""
    if not has_request_context():
        return None
    raw = request.args.get("lang")
    if raw is None and "form" in vars(request):  # a form already read (never parse a body here: 413)
        raw = request.form.get("lang")
    return raw or None


def error_lang() -> str:
    """The language of an error description: ``?lang=``, else ``Accept-Language``, else the default."""
    if not has_request_context():
        return messages.DEFAULT_LANG
    asked = asked_lang()
    if asked in LANGS:
        return asked
    best = request.accept_languages.best_match(LANGS) if request.headers.get("Accept-Language") else None
    return best or default_lang()


def text(mid: str, lang: str, **params: Any) -> str:
    """The message ``mid`` in ``lang``."""
    return messages.text(mid, lang, **params)


def section(prefix: str, lang: str) -> dict[str, str]:
    """A table of the catalogue in ``lang`` (``section("upload", "vi")["title"]``)."""
    return messages.section(prefix, lang)


def js_messages(lang: str) -> dict[str, dict[str, str]]:
    """The tables the page's script reads, in ``lang``: ``{"page": {...}, "draw": {...}, …}``."""
    return {name: messages.section(name, lang) for name in JS_SECTIONS}


def localise(value: Any, lang: str | None = None) -> str:
    """A :class:`Message`, an exception carrying one, or a plain text, in ``lang`` (default: the
    request's error language)."""
    return messages.localise(value, lang or error_lang())


__all__ = ["LANGS", "Message", "asked_lang", "default_lang", "error_lang", "js_messages", "localise", "section", "text"]
