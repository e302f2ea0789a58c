"""The one message catalogue: every user-facing text in Vietnamese and English.

``geo/messages.toml`` holds every message of the map, its popups, legends,
the ranking, the upload page, the OGC pages and the error descriptions, one
line each::

    [page]
    title = { vi = "Bản đồ nghèo tỉnh Kon Tum", en = "Kon Tum poverty map" }

A message's id is its table path and key (``page.title``); ``{name}``
placeholders are filled from parameters (:meth:`str.format` syntax, so
``{got!r}`` works).  This module reads the file once and renders messages;
it imports nothing of the web stack, so the layers of ``geo/`` raise their
errors as a :class:`Message` (an id and its parameters) and ``app/``
renders it in the language of the request.  ``str()`` of a message is its
English text (logs, the CLI, tests that match a message).

Example
-------
>>> text("page.title", "vi")
'Bản đồ nghèo tỉnh Kon Tum'
>>> m = Message("error.classify.breaks_ascending", got="30,20")
>>> str(m)
'breaks must be strictly ascending, got 30,20'
>>> m.text("vi")
'các ngưỡng phải tăng dần, nhận được 30,20'
>>> section("status", "en")["synthetic"]
'synthetic'
"""

from __future__ import annotations

import functools
import string
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

#: The catalogue file (one line per message).
CATALOGUE = Path(__file__).with_name("messages.toml")
#: The languages every message has; the first is the default.
LANGS = ("vi", "en")
DEFAULT_LANG = "vi"


class CatalogueError(ValueError):
    """The catalogue file is malformed or a message id is unknown."""


def _flatten(table: Mapping[str, Any], prefix: str, out: dict[str, dict[str, str]]) -> None:
    for key, value in table.items():
        mid = f"{prefix}{key}"
        if not isinstance(value, Mapping):
            raise CatalogueError(f"{CATALOGUE.name}: {mid} is not a table of languages")
        if set(value) & set(LANGS):
            out[mid] = {k: str(v) for k, v in value.items()}
        else:
            _flatten(value, mid + ".", out)


@functools.cache
def catalogue() -> dict[str, dict[str, str]]:
    """Every message: ``{id: {"vi": text, "en": text}}`` (read once per process)."""
    with CATALOGUE.open("rb") as fh:
        raw = tomllib.load(fh)
    out: dict[str, dict[str, str]] = {}
    _flatten(raw, "", out)
    return out


def placeholders(template: str) -> set[str]:
    """The names of a template's ``{placeholders}``.

    >>> sorted(placeholders("{n} features, {fmt!r}"))
    ['fmt', 'n']
    """
    return {name.split(".")[0].split("[")[0] for _, name, _, _ in string.Formatter().parse(template) if name}


def lang_or_default(lang: str | None) -> str:
    """``lang`` when it is one of :data:`LANGS`, else the default language.

    >>> lang_or_default("en"), lang_or_default("fr"), lang_or_default(None)
    ('en', 'vi', 'vi')
    """
    return lang if lang in LANGS else DEFAULT_LANG


def text(mid: str, lang: str = DEFAULT_LANG, **params: Any) -> str:
    """The message ``mid`` in ``lang``, its placeholders filled from ``params``."""
    try:
        entry = catalogue()[mid]
    except KeyError:
        raise CatalogueError(f"no message {mid!r} in {CATALOGUE.name}") from None
    template = entry.get(lang_or_default(lang)) or entry.get("en", mid)
    return template.format(**params) if params or "{" in template else template


def section(prefix: str, lang: str) -> dict[str, str]:
    """Every message under ``prefix`` (``"status"`` → ``{"official": …}``) in ``lang``,
    keyed by the rest of the id — for templates and the page's script (a copy: yours to change)."""
    return dict(_section(prefix, lang_or_default(lang)))


def tree(prefix: str, lang: str) -> dict[str, Any]:
    """Every message under ``prefix`` in ``lang`` as nested tables: ``kind.commune`` is
    ``out["kind"]["commune"]`` — the word tables of a printed page (a copy: yours to change).

    >>> tree("print.profile", "en")["kind"]["district"]
    'DISTRICT PROFILE'
    """
    out: dict[str, Any] = {}
    for key, value in _section(prefix, lang_or_default(lang)).items():
        *parents, leaf = key.split(".")
        node = out
        for part in parents:
            node = node.setdefault(part, {})
        node[leaf] = value
    return out


@functools.cache
def _section(prefix: str, lang: str) -> dict[str, str]:
    start = prefix + "."
    return {
        mid[len(start) :]: entry.get(lang, entry.get("en", ""))
        for mid, entry in catalogue().items()
        if mid.startswith(start)
    }


class Message(str):
    """A message id and its parameters, rendered late in the reader's language.

    Errors of ``geo/`` carry one (``raise ClassifyError(Message(...))``).  It *is* its English
    text (a ``str``: logs, the CLI, JSON and code that compares or searches messages keep
    working); :meth:`text` renders it in another language.

    >>> m = Message("error.ingest.not_year", got="x")
    >>> m == "'x' is not a year", "not a year" in m, m.text("vi")
    (True, True, "'x' không phải là năm")
    """

    id: str
    params: dict[str, Any]

    def __new__(cls, mid: str, **params: Any) -> Message:
        obj = super().__new__(cls, _render(mid, "en", params))
        obj.id, obj.params = mid, params
        return obj

    def text(self, lang: str = "en") -> str:
        """The message in ``lang`` (parameters that are themselves messages rendered in it too)."""
        return _render(self.id, lang, self.params)

    def __repr__(self) -> str:
        return f"Message({self.id!r}, **{self.params!r})"

    def __reduce__(self):
        return (_rebuild, (self.id, self.params))


def _rebuild(mid: str, params: dict[str, Any]) -> Message:
    return Message(mid, **params)


def _render(mid: str, lang: str, params: Mapping[str, Any]) -> str:
    values = {k: _value(v, lang) for k, v in params.items()}
    return text(mid, lang, **values)


def _value(v: Any, lang: str) -> Any:
    """A parameter in ``lang``: a message rendered; a list holding messages joined with ``"; "``.

    >>> _value([Message("page.title"), "x"], "en"), _value(["a", "b"], "en")
    ('Kon Tum poverty map; x', ['a', 'b'])
    """
    if isinstance(v, Message):
        return v.text(lang)
    if isinstance(v, (list, tuple)) and any(isinstance(x, Message) for x in v):
        return "; ".join(x.text(lang) if isinstance(x, Message) else str(x) for x in v)
    return v


def localise(value: Any, lang: str) -> str:
    """An exception, a :class:`Message` or a plain string as text in ``lang``: a message is
    rendered in ``lang``, an exception whose first argument is one too; anything else as is.

    >>> localise(ValueError(Message("page.title")), "en")
    'Kon Tum poverty map'
    >>> localise("plain", "vi")
    'plain'
    """
    if isinstance(value, BaseException):
        args = value.args
        if len(args) >= 1 and isinstance(args[0], Message):
            return args[0].text(lang)
        return str(value)
    if isinstance(value, Message):
        return value.text(lang)
    return str(value)
