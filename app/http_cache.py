"""HTTP for slow links: compression by ``Accept-Encoding`` and validators (issue 16).

Registered by :func:`app.create_app` (:func:`register`), after every route:

Validators
    The data answers — the page (``/``), ``/layers/*``, ``/ogc/*`` and
    ``GET /targets`` — get a strong ``ETag`` made from the data version
    (:func:`app.context.data_version`, so an upload or a new build changes it),
    the app's layer folder, the request's URL and the headers the answer
    depends on (``Accept``, ``Accept-Language``), plus the content coding;
    ``Cache-Control: no-cache`` makes the browser revalidate, and a matching
    ``If-None-Match`` is answered ``304`` with no body.
Compression
    JSON, GeoJSON, HTML, JS and CSS answers of at least :data:`MIN_BYTES`
    are sent as brotli or gzip when the client accepts it, with
    ``Vary: Accept-Encoding``.  An answer with an ETag is compressed once:
    the compressed bytes are kept in the :data:`COMPRESSED` partition of
    :mod:`geo.cache` under the same data version, keyed by the ETag — an
    answer made of pieces with an ETag (the OGC items pages) too, so the same
    page is coded once (its ``timeStamp`` is then the time it was first made,
    as from any HTTP cache).  A streamed answer, or pieces without an ETag, is
    compressed on the fly, piece by piece.
Static files
    ``url_for("static", …)`` adds ``?v=<content hash>``; such a URL is
    ``Cache-Control: public, max-age=31536000, immutable``.  Each file is
    compressed once per file version (:data:`STATIC`).

The ``brotli`` package (Google's reference binding, pinned in
requirements.txt) does the brotli coding; gzip is the standard library's.
Flask-Compress was not chosen: it compresses every response anew (its
cache hook is keyed by request only, not by the data version), cannot tell a
cached payload from a made one, and knows nothing of ETags/304.
"""

from __future__ import annotations

import gzip
import hashlib
import zlib
from collections.abc import Iterable, Iterator
from pathlib import Path

import brotli
from flask import Flask, Response, current_app, request
from werkzeug.security import safe_join

from geo import cache
from geo.backends.base import BackendError

from . import context

#: Answers smaller than this stay identity (the coding would not pay for its headers).
MIN_BYTES = 1024
#: The compressed variants of cached payloads, keyed by ETag under the data version.
COMPRESSED = cache.partition("compressed", max_bytes=128 * cache.MiB, max_item=16 * cache.MiB, max_entries=1024)
#: Whole coded answers of the OGC items pages (headers, body) by ETag and coding, per
#: data version: a repeated page is answered before its view runs (:func:`before`).
PAGES = cache.partition("coded_pages", max_bytes=128 * cache.MiB, max_item=16 * cache.MiB, max_entries=256)
#: Content hashes and compressed variants of the static files, per file version.
STATIC = cache.partition("static", max_bytes=64 * cache.MiB, max_item=16 * cache.MiB)

COMPRESSIBLE = frozenset(
    {
        "application/json",
        "application/geo+json",
        "application/schema+json",
        "application/vnd.oai.openapi+json",
        "text/html",
        "text/css",
        "text/javascript",
        "application/javascript",
        "image/svg+xml",
        "text/plain",
        "text/csv",
        "application/vnd.mapbox-vector-tile",
    }
)
#: Paths whose GET answers carry an ETag (the data answers).
VALIDATED_PREFIXES = ("/layers/", "/layers", "/ogc")
VALIDATED_PATHS = ("/", "/targets")
IMMUTABLE = "public, max-age=31536000, immutable"
#: Qualities: once per payload (kept) the better ratio; on the fly the faster coder.
BROTLI_KEPT, BROTLI_FLY = 9, 4
GZIP_LEVEL = 6


def compress(data: bytes, coding: str, kept: bool = True) -> bytes:
    """``data`` coded as ``coding`` (``"br"`` or ``"gzip"``).

    >>> import gzip as _g; _g.decompress(compress(b"abc" * 100, "gzip")) == b"abc" * 100
    True
    >>> brotli.decompress(compress(b"abc" * 100, "br", kept=False)) == b"abc" * 100
    True
    """
    if coding == "br":
        return brotli.compress(data, quality=BROTLI_KEPT if kept else BROTLI_FLY)
    return gzip.compress(data, compresslevel=GZIP_LEVEL, mtime=0)


def compress_stream(pieces: Iterable[bytes], coding: str) -> Iterator[bytes]:
    """``pieces`` coded as ``coding`` on the fly, one output chunk per input piece.

    >>> b"".join(compress_stream([b"ab", b"cd"], "gzip")) and gzip.decompress(
    ...     b"".join(compress_stream([b"ab", b"cd"], "gzip")))
    b'abcd'
    >>> brotli.decompress(b"".join(compress_stream([b"ab", "cd"], "br")))
    b'abcd'
    """
    if coding == "br":
        coder = brotli.Compressor(quality=BROTLI_FLY)
        step, end = coder.process, coder.finish
    else:
        coder = zlib.compressobj(GZIP_LEVEL, zlib.DEFLATED, 31)
        step, end = coder.compress, coder.flush
    for piece in pieces:
        out = step(piece.encode("utf-8") if isinstance(piece, str) else piece)
        if out:
            yield out
    yield end()


def choose_coding() -> str | None:
    """The coding the request accepts, brotli first, or ``None`` (identity)."""
    accept = request.accept_encodings
    for coding in ("br", "gzip"):
        if accept.quality(coding) > 0:
            return coding
    return None


def _validated() -> bool:
    path = request.path
    if request.method not in ("GET", "HEAD"):
        return False
    return path in VALIDATED_PATHS or path.startswith(VALIDATED_PREFIXES)


def data_etag() -> str | None:
    """The base of the ETag of the current data answer, or ``None`` (no data version)."""
    try:
        version = context.data_version()
    except (BackendError, OSError):
        return None
    parts = (
        version.source,
        version.token,
        str(current_app.extensions.get("map_cache", "")),
        request.url,
        request.headers.get("Accept", ""),
        request.headers.get("Accept-Language", ""),
    )
    return hashlib.sha256("\x1f".join(parts).encode("utf-8")).hexdigest()[:32]


def _matches(etag: str) -> bool:
    return request.if_none_match.contains(etag) or request.if_none_match.star_tag


def _not_modified(resp: Response, etag: str) -> Response:
    out = Response(status=304)
    out.set_etag(etag)
    for name in ("Cache-Control", "Vary", "Content-Location", "Expires"):
        if name in resp.headers:
            out.headers[name] = resp.headers[name]
    return out


def _compressible(resp: Response) -> bool:
    return (
        resp.mimetype in COMPRESSIBLE
        and "Content-Encoding" not in resp.headers
        and not resp.direct_passthrough
        and 200 <= resp.status_code < 300
        and resp.status_code != 204
    )


def _size(resp: Response, pieces: bool) -> int:
    """The body's size in bytes (a streamed body counts as large: it is not read here)."""
    if not pieces:
        return len(resp.get_data())
    if isinstance(resp.response, (list, tuple)):
        return sum(len(p) for p in resp.response)
    return MIN_BYTES


def _set_body(resp: Response, body: bytes, coding: str) -> None:
    resp.set_data(body)
    resp.headers["Content-Encoding"] = coding


def _dynamic(resp: Response) -> Response:
    compressible = _compressible(resp)
    if compressible:
        resp.vary.add("Accept-Encoding")
    base = None
    if _validated() and resp.status_code == 200 and "ETag" not in resp.headers and "Set-Cookie" not in resp.headers:
        base = data_etag()
    pieces = resp.is_streamed or not isinstance(resp.response, (list, tuple)) or len(resp.response) != 1
    coding = choose_coding() if compressible else None
    if coding and _size(resp, pieces) < MIN_BYTES:
        coding = None
    if base is not None:
        etag = base + ("-" + coding if coding else "")
        resp.set_etag(etag)
        resp.headers.setdefault("Cache-Control", "no-cache")
        if _matches(etag):
            return _not_modified(resp, etag)
    if coding is None:
        return resp
    if pieces and base is not None and isinstance(resp.response, (list, tuple)):
        # A page made of pieces (the OGC items) with an ETag is a payload too: coded once and
        # kept, never coded again per request (Kon Tum items: 4 MB, ~100 ms of gzip each time).
        body = resp.response
        version = context.data_version()
        out = COMPRESSED.get_or_make(version, (base, coding), lambda: compress(b"".join(body), coding))
        _set_body(resp, out, coding)
        _keep_answer(resp, version, base, coding)
        return resp
    if pieces:
        body = resp.response
        resp.response = compress_stream(body, coding)
        resp.headers.pop("Content-Length", None)
        resp.headers["Content-Encoding"] = coding
        return resp
    data = resp.get_data()
    if base is not None:
        version = context.data_version()
        out = COMPRESSED.get_or_make(version, (base, coding), lambda: compress(data, coding))
    else:
        out = compress(data, coding, kept=False)
    _set_body(resp, out, coding)
    return resp


def _static_path(filename: str) -> Path | None:
    folder = current_app.static_folder
    joined = safe_join(folder, filename) if folder else None
    path = Path(joined) if joined else None
    return path if path is not None and path.is_file() else None


def static_hash(path: Path) -> str:
    """The content hash of a static file (12 hex digits), once per file version."""
    return STATIC.get_or_make(
        cache.file_version(path), "hash", lambda: hashlib.sha256(path.read_bytes()).hexdigest()[:12]
    )


def _static_url_defaults(endpoint: str, values: dict) -> None:
    if endpoint == "static" and "filename" in values and "v" not in values:
        path = _static_path(values["filename"])
        if path is not None:
            values["v"] = static_hash(path)


def _static(resp: Response) -> Response:
    path = _static_path((request.view_args or {}).get("filename", ""))
    if path is None or resp.status_code not in (200, 304):
        return resp
    digest = static_hash(path)
    resp.headers["Cache-Control"] = IMMUTABLE if request.args.get("v") == digest else "no-cache"
    compressible = resp.mimetype in COMPRESSIBLE
    coding = choose_coding() if compressible and path.stat().st_size >= MIN_BYTES else None
    if compressible:
        resp.vary.add("Accept-Encoding")
    etag = digest + ("-" + coding if coding else "")
    resp.set_etag(etag)
    if resp.status_code == 304 or _matches(etag):
        return _not_modified(resp, etag)
    if coding is not None:
        body = STATIC.get_or_make(cache.file_version(path), coding, lambda: compress(path.read_bytes(), coding))
        resp.direct_passthrough = False
        if hasattr(resp.response, "close"):
            resp.response.close()
        _set_body(resp, body, coding)
    return resp


def _answerable() -> bool:
    """Whether the request is for a page of OGC items (answers that depend only on the data
    version, the URL and the headers of their ETag: no session, no cookie)."""
    path = request.path
    return request.method in ("GET", "HEAD") and path.startswith("/ogc/collections/") and path.endswith("/items")


#: Headers of a kept answer made again for each request (or by the hooks after this one).
_FRESH = frozenset({"content-length", "date", "set-cookie"})


def _keep_answer(resp: Response, version: cache.Version, base: str, coding: str) -> None:
    """Keep the coded answer ``resp`` of an items page for :func:`before`."""
    if not _answerable() or resp.status_code != 200 or "Set-Cookie" in resp.headers:
        return
    headers = [(k, v) for k, v in resp.headers.items() if k.lower() not in _FRESH]
    body = resp.get_data()
    PAGES.put(version, (base, coding), (headers, body), size=len(body) + 1024)


def before() -> Response | None:
    """The kept coded answer of the same ETag for a page of OGC items, without running its view.

    The view of an items page joins and reprojects its features for every
    request (Kon Tum ``items?limit=102``: 4 MB); once a page has been coded
    (:func:`_dynamic`) its answer is kept under the data version, so a repeat
    costs a look-up — or ``304`` on a matching ``If-None-Match``.  Identity
    answers and other paths are left to their views.
    """
    if not _answerable():
        return None
    coding = choose_coding()
    base = data_etag() if coding else None
    if base is None:
        return None
    kept = PAGES.get(context.data_version(), (base, coding))
    if kept is None:
        return None
    headers, body = kept
    resp = Response(body, status=200, headers=headers)
    if _matches(base + "-" + coding):
        return _not_modified(resp, base + "-" + coding)
    return resp


def after(resp: Response) -> Response:
    """Validators and compression for the answer ``resp`` (see the module's docstring)."""
    if request.endpoint == "static":
        return _static(resp)
    return _dynamic(resp)


def register(app: Flask) -> None:
    """Install the validators, the compression and the hashed static URLs on ``app``."""
    app.url_defaults(_static_url_defaults)
    app.before_request(before)
    app.after_request(after)
