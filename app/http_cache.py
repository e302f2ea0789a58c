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
Kept pages
    A repeated request for a page of OGC items is answered from the app's
    first coded answer by a WSGI layer in front of Flask (:class:`KeptPages`),
    a large body sent with ``sendfile(2)`` from an in-memory file.
Static files
    ``url_for("static", …)`` adds ``?v=<content hash>``; such a URL is
    ``Cache-Control: public, max-age=31536000, immutable``.  The app's own
    scripts and stylesheets are minified (rJSmin, rCSSmin) and each file is
    compressed once per file version (:data:`STATIC`); vendored libraries are
    sent as published.
Bundles
    ``/static/bundles/<name>`` joins the static files an app declares under
    that name (``app.extensions[BUNDLES_KEY]``; the map page's are
    :data:`app.map_page.BUNDLES`) into one answer, treated as a static file:
    ``?v=`` made from the members' hashes, immutable, minified members,
    coded once; stylesheets' relative ``url()`` rebased.  A ``--debug`` app
    loads each file instead (:func:`bundled`).

The ``brotli`` package (Google's reference binding, pinned in
requirements.txt) does the brotli coding; gzip is the standard library's.
rJSmin and rCSSmin (one maintainer, C speed-ups, whitespace and comments
only: no renaming, so a stack trace still names the functions) minify; a
bundler with source maps (esbuild, terser) would need Node at run time.
Flask-Compress was not chosen: it compresses every response anew (its
cache hook is keyed by request only, not by the data version), cannot tell a
cached payload from a made one, and knows nothing of ETags/304.
"""

from __future__ import annotations

import gzip
import hashlib
import os
import posixpath
import re
import weakref
import zlib
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path

import brotli
import rcssmin
import rjsmin
from flask import Flask, Response, abort, current_app, request, url_for
from werkzeug.http import parse_accept_header, parse_etags, unquote_etag
from werkzeug.security import safe_join
from werkzeug.wsgi import wrap_file

from geo import cache
from geo.backends.base import BackendError

from . import context

#: Answers smaller than this stay identity (the coding would not pay for its headers).
MIN_BYTES = 1024
#: The compressed variants of cached payloads, keyed by ETag under the data version.
COMPRESSED = cache.partition("compressed", max_bytes=128 * cache.MiB, max_item=16 * cache.MiB, max_entries=1024)
#: Whole coded answers of the OGC items pages (headers, body, ETag) by request, per data
#: version: a repeated page is answered before Flask sees it (:class:`KeptPages`).
PAGES = cache.partition("coded_pages", max_bytes=128 * cache.MiB, max_item=17 * cache.MiB, max_entries=256)
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
#: The static sub-folder of vendored libraries (served as published, never minified).
VENDOR_DIR = "vendor"
#: Bundles: the endpoint serving them, and where an app keeps their definitions
#: (``{name: (static file, …)}``, set by the blueprint whose pages load them).
BUNDLE_ENDPOINT = "bundle"
BUNDLES_KEY = "static_bundles"
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
    return _coding_of(request.accept_encodings)


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


def bundles() -> dict[str, tuple[str, ...]]:
    """The app's bundles: a name (``map.js``) and the static files it joins, in order."""
    return current_app.extensions.get(BUNDLES_KEY, {})


def bundled() -> bool:
    """Whether pages load their scripts and stylesheets as bundles (not a ``--debug`` app,
    which loads each file as written, so the browser's tools name the file and the line)."""
    return not current_app.debug


def url_for_bundle(name: str) -> str:
    """The URL of the bundle ``name``, with ``?v=`` its content hash (made from its members')."""
    return url_for(BUNDLE_ENDPOINT, name=name)


def _members(name: str) -> list[Path] | None:
    files = bundles().get(name)
    if files is None:
        return None
    paths = [_static_path(f) for f in files]
    return None if any(p is None for p in paths) else paths


def _bundle_hash(paths: list[Path]) -> str:
    return hashlib.sha256(" ".join(static_hash(p) for p in paths).encode("ascii")).hexdigest()[:12]


def _static_url_defaults(endpoint: str, values: dict) -> None:
    if "v" in values:
        return
    if endpoint == "static" and "filename" in values:
        path = _static_path(values["filename"])
        if path is not None:
            values["v"] = static_hash(path)
    elif endpoint == BUNDLE_ENDPOINT and "name" in values:
        paths = _members(values["name"])
        if paths is not None:
            values["v"] = _bundle_hash(paths)


def _minifier(path: Path):
    """The minifier of an own script or stylesheet (not a vendored one: those come as published),
    or ``None``.

    >>> _minifier(Path("static/map/kontum-map.js")).__name__, _minifier(Path("static/map/x.css")).__name__
    ('jsmin', 'cssmin')
    >>> _minifier(Path("static/vendor/leaflet-1.9.4/leaflet.js")) is None
    True
    """
    if VENDOR_DIR in path.parts or ".min." in path.name:
        return None
    return {".js": rjsmin.jsmin, ".css": rcssmin.cssmin}.get(path.suffix)


_CSS_URL = re.compile(r"""url\(\s*(['"]?)([^'")]+)\1\s*\)""")
_SOURCE_MAP = re.compile(r"^\s*(?://|/\*)#\s*sourceMappingURL=[^\n]*$", re.MULTILINE)


def rebase_css(text: str, member: str) -> str:
    """The stylesheet ``text`` of the static file ``member`` with its relative ``url()``
    references made relative to the bundles' folder (``bundles/``), where it is served joined.

    >>> rebase_css("a{background:url(images/layers.png)}", "vendor/leaflet-1.9.4/leaflet.css")
    'a{background:url(../vendor/leaflet-1.9.4/images/layers.png)}'
    >>> rebase_css("b{x:url('icon.svg')} c{x:url(data:image/png;base64,AA)} d{behavior:url(#default#VML)}",
    ...            "vendor/fs/a.css")
    "b{x:url('../vendor/fs/icon.svg')} c{x:url(data:image/png;base64,AA)} d{behavior:url(#default#VML)}"
    """
    folder = posixpath.dirname(member)

    def rebase(m: re.Match) -> str:
        quote, target = m.group(1), m.group(2).strip()
        if target.startswith(("/", "#", "data:")) or "://" in target:
            return m.group(0)
        return f"url({quote}{posixpath.normpath(posixpath.join('..', folder, target))}{quote})"

    return _CSS_URL.sub(rebase, text)


def _file_body(path: Path, minify) -> bytes:
    return minify(path.read_text(encoding="utf-8")).encode("utf-8") if minify else path.read_bytes()


def _bundle_body(paths: list[Path], files: tuple[str, ...], debug: bool) -> bytes:
    """The members joined: scripts each on a line of their own after a ``;`` (a member that
    ends without one cannot run into the next), stylesheets with their ``url()`` rebased;
    members' source-map comments dropped (they would point into the wrong file)."""
    parts = []
    for path, member in zip(paths, files):
        minify = None if debug else _minifier(path)
        text = _SOURCE_MAP.sub("", _file_body(path, minify).decode("utf-8"))
        parts.append(rebase_css(text, member) if path.suffix == ".css" else text)
    sep = "\n" if paths[0].suffix == ".css" else "\n;\n"
    return sep.join(parts).encode("utf-8")


def bundle_view(name: str) -> Response:
    """A bundle (``/static/bundles/<name>``): its members joined; headers and coding by
    :func:`after`.  An unknown name, or a member missing, is a 404."""
    if _members(name) is None:
        abort(404)
    mimetype = "text/css" if name.endswith(".css") else "text/javascript"
    return Response(b"", mimetype=mimetype)


def _asset() -> tuple[str, cache.Version, Callable[[], bytes], bool, int] | None:
    """What the current static request serves: its content hash, the version its variants are
    kept under, a maker of its body, whether it is minified and its size on disk."""
    debug = current_app.debug
    if request.endpoint == BUNDLE_ENDPOINT:
        name = (request.view_args or {}).get("name", "")
        paths = _members(name)
        if paths is None:
            return None
        files = bundles()[name]
        version = cache.Version(f"bundle:{name}", " ".join(cache.file_version(p).token for p in paths))
        size = sum(p.stat().st_size for p in paths)
        return (_bundle_hash(paths), version, lambda: _bundle_body(paths, files, debug), not debug, size)
    path = _static_path((request.view_args or {}).get("filename", ""))
    if path is None:
        return None
    # a debugging app (``--debug``) sends its own scripts as written, under another ETag
    minify = None if debug else _minifier(path)
    make = (lambda: _file_body(path, minify)) if minify else None
    return (static_hash(path), cache.file_version(path), make, minify is not None, path.stat().st_size)


def _static(resp: Response) -> Response:
    asset = _asset()
    if asset is None or resp.status_code not in (200, 304):
        return resp
    digest, version, make, minified, size = asset
    resp.headers["Cache-Control"] = IMMUTABLE if request.args.get("v") == digest else "no-cache"
    compressible = resp.mimetype in COMPRESSIBLE
    coding = choose_coding() if compressible and size >= MIN_BYTES else None
    if compressible:
        resp.vary.add("Accept-Encoding")
    etag = digest + ("m" if minified else "") + ("-" + coding if coding else "")
    resp.set_etag(etag)
    if resp.status_code == 304 or _matches(etag):
        return _not_modified(resp, etag)
    if coding is None and make is None:
        return resp  # a file as it is on disk
    resp.direct_passthrough = False
    if hasattr(resp.response, "close"):
        resp.response.close()
    if make is None:
        path = _static_path((request.view_args or {}).get("filename", ""))
        make = path.read_bytes
    if coding is None:
        resp.set_data(STATIC.get_or_make(version, "minified" if minified else "plain", make))
        return resp
    key = coding + ("-minified" if minified else "")
    _set_body(resp, STATIC.get_or_make(version, key, lambda: compress(make(), coding)), coding)
    return resp


#: Headers of a kept answer made again for each request (the server adds ``Date``).
_FRESH = frozenset({"content-length", "date", "set-cookie"})
#: Headers a ``304`` leaves out (it has no body).
_BODY_HEADERS = frozenset({"content-type", "content-encoding", "content-length"})
#: Kept answers at least this large are held in an in-memory file and sent with sendfile(2).
SHARED_BYTES = 64 * 1024
#: The largest answer kept whole (the partition's own bound on one value).
KEPT_PAGE_BYTES = 16 * cache.MiB
#: The request's parts an items page can depend on (its ETag's, and what a proxy rewrites).
_KEY_ENVIRON = (
    "wsgi.url_scheme",
    "HTTP_HOST",
    "SERVER_NAME",
    "SERVER_PORT",
    "SCRIPT_NAME",
    "PATH_INFO",
    "QUERY_STRING",
    "HTTP_ACCEPT",
    "HTTP_ACCEPT_LANGUAGE",
    "HTTP_X_FORWARDED_PROTO",
    "HTTP_X_FORWARDED_HOST",
    "HTTP_X_FORWARDED_PORT",
    "HTTP_X_FORWARDED_PREFIX",
    "HTTP_X_FORWARDED_FOR",
)
#: Requests carrying these are always answered by the app (their answer may be the client's own).
_PERSONAL = ("HTTP_COOKIE", "HTTP_AUTHORIZATION", "HTTP_RANGE", "HTTP_IF_MATCH", "HTTP_IF_RANGE")


class SharedBody:
    """A kept answer's bytes in an anonymous in-memory file (Linux ``memfd``), so the server
    can send them with ``sendfile(2)`` — as nginx sends a file — instead of copying them
    through Python for every request.

    Each request reads through a file object of its own (:meth:`open`: its own offset), so
    threads never share a position.  Pickled (the warm-start snapshot), it is its bytes.

    >>> import pickle
    >>> body = SharedBody(b"abc" * 1000)
    >>> with body.open() as f: f.read(6)
    b'abcabc'
    >>> len(body), pickle.loads(pickle.dumps(body)).read() == b"abc" * 1000
    (3000, True)
    """

    def __init__(self, data: bytes):
        self.size = len(data)
        self.fd = os.memfd_create("kt-answer", os.MFD_CLOEXEC)
        weakref.finalize(self, os.close, self.fd)  # the memory is freed with the last reader
        view, done = memoryview(data), 0
        while done < self.size:
            done += os.write(self.fd, view[done:])

    def __len__(self) -> int:
        return self.size

    def open(self):
        """A new reader of the bytes, positioned at the start (unbuffered: ``sendfile`` reads
        the file itself, and a buffer would be 8 KiB allocated per request for nothing)."""
        return open(f"/proc/self/fd/{self.fd}", "rb", buffering=0)

    def read(self) -> bytes:
        with self.open() as f:
            return f.read()

    def __reduce__(self):
        return (SharedBody, (self.read(),))


def shared(data: bytes) -> bytes | SharedBody:
    """``data`` as a :class:`SharedBody` when it is large and the system has ``memfd``."""
    if len(data) < SHARED_BYTES or not hasattr(os, "memfd_create") or not os.path.isdir("/proc/self/fd"):
        return data
    try:
        return SharedBody(data)
    except OSError:
        return data


class KeptPages:
    """WSGI middleware: a repeated request for a page of OGC items is answered from the coded
    answer the app gave the first time, before Flask sees it (issue 16: items served close to
    what nginx serves from a file).

    The view of an items page joins and reprojects its features (Kon Tum
    ``items?limit=102``: 4 MB); the app codes the answer once (:func:`after`).
    This layer keeps that final answer — status 200, every header the app's
    hooks set, the coded body — under the data version, keyed by every part
    of the request the answer can depend on (:data:`_KEY_ENVIRON`, the chosen
    coding, the app's code stamp).  A repeat is answered with a fresh ``Date``,
    or ``304`` on a matching ``If-None-Match``; a large body goes out with
    ``sendfile(2)`` (:class:`SharedBody`).  Identity answers, other paths,
    answers that set a cookie and requests carrying a cookie, credentials or
    a range are always the app's.
    """

    def __init__(self, wsgi_app, app: Flask):
        self.wsgi_app, self.app = wsgi_app, app

    def __call__(self, environ, start_response):
        key = self._key(environ)
        if key is None:
            return self.wsgi_app(environ, start_response)
        try:
            version = cache.version_of(self.app.extensions[context.KEY].backend)
        except (AttributeError, KeyError, BackendError, OSError):
            return self.wsgi_app(environ, start_response)
        kept = PAGES.get(version, key)
        if kept is not None:
            return _replay(environ, start_response, *kept)
        return self._answer_and_keep(environ, start_response, version, key)

    def _key(self, environ) -> tuple | None:
        path = environ.get("PATH_INFO", "")
        if environ.get("REQUEST_METHOD") not in ("GET", "HEAD") or not (
            path.startswith("/ogc/collections/") and path.endswith("/items")
        ):
            return None
        if any(environ.get(name) for name in _PERSONAL):
            return None
        coding = _coding_of(parse_accept_header(environ.get("HTTP_ACCEPT_ENCODING")))
        if coding is None:
            return None
        token = str(self.app.extensions.get("map_cache", ""))
        return ("page", token, coding) + tuple(environ.get(name, "") for name in _KEY_ENVIRON)

    def _answer_and_keep(self, environ, start_response, version: cache.Version, key: tuple):
        seen: dict = {}

        def capture(status, headers, exc_info=None):
            seen["status"], seen["headers"] = status, headers
            return start_response(status, headers, exc_info)

        out = self.wsgi_app(environ, capture)
        headers = seen.get("headers") or []
        names = {k.lower(): v for k, v in headers}
        length = names.get("content-length", "")
        if not (
            environ.get("REQUEST_METHOD") == "GET"
            and str(seen.get("status", "")).startswith("200")
            and names.get("content-encoding") == key[2]
            and "etag" in names
            and "set-cookie" not in names
            and length.isdigit()  # a whole answer, not a stream
            and int(length) <= KEPT_PAGE_BYTES
        ):
            return out
        try:
            data = b"".join(out)
        finally:
            if hasattr(out, "close"):
                out.close()
        body = shared(data)
        kept = [(k, v) for k, v in headers if k.lower() not in _FRESH]
        PAGES.put(version, key, (kept, body, names["etag"]), size=len(body) + 1024)
        if isinstance(body, SharedBody):  # a copy: the coded bytes _dynamic kept are not kept twice
            tag, suffix = unquote_etag(names["etag"])[0], "-" + key[2]
            if tag.endswith(suffix):
                COMPRESSED.discard(version, (tag[: -len(suffix)], key[2]))
        return [data]


def _replay(environ, start_response, headers: list, body: bytes | SharedBody, etag: str):
    wanted = parse_etags(environ.get("HTTP_IF_NONE_MATCH"))
    if wanted.star_tag or wanted.contains(unquote_etag(etag)[0]):
        start_response("304 Not Modified", [(k, v) for k, v in headers if k.lower() not in _BODY_HEADERS])
        return []
    start_response("200 OK", headers + [("Content-Length", str(len(body)))])
    if environ.get("REQUEST_METHOD") == "HEAD":
        return []
    if isinstance(body, SharedBody):  # sent with sendfile(2) where the server can
        return wrap_file(environ, body.open())
    return [body]


def _coding_of(accept) -> str | None:
    for coding in ("br", "gzip"):
        if accept.quality(coding) > 0:
            return coding
    return None


def after(resp: Response) -> Response:
    """Validators and compression for the answer ``resp`` (see the module's docstring)."""
    if request.endpoint in ("static", BUNDLE_ENDPOINT):
        return _static(resp)
    return _dynamic(resp)


def register(app: Flask) -> None:
    """Install the validators, the compression and the hashed static URLs on ``app``."""
    app.url_defaults(_static_url_defaults)
    app.add_url_rule(f"{app.static_url_path}/bundles/<name>", BUNDLE_ENDPOINT, bundle_view)
    app.after_request(after)
    app.wsgi_app = KeptPages(app.wsgi_app, app)
