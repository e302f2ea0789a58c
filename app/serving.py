"""A gunicorn worker that slow or idle clients cannot exhaust (issue 17 item 2).

Gunicorn's ``gthread`` worker gives a connection to a thread as soon as its first bytes
arrive; the thread then blocks until the whole request is read.  Eight clients sending one
header line every two seconds took all the threads and a cheap request waited 12 s.

:class:`BufferingThreadWorker` reads each request in the worker's event loop instead,
without a thread: the headers (within :data:`HEADER_TIMEOUT_S`, at most
:data:`MAX_HEADER_BYTES`) and a ``Content-Length`` body up to the app's request limit
(within :data:`BODY_TIMEOUT_S`).  Only a complete request goes to a thread — as a reverse
proxy with request buffering (nginx's default) would do.  A client past its deadline is
disconnected; idle kept-alive connections close after gunicorn's ``keepalive``.  So with
``worker_connections`` (256) far above ``threads`` (4), up to 256 slow clients per worker
cost a socket each and no thread.  A body sent with ``Transfer-Encoding: chunked`` or
``Expect: 100-continue``, or larger than the limit, goes to a thread after its headers (the
app then answers 413 or reads it).  TLS is left to the proxy in front (see the README).

Memory (issue 16): the master tunes glibc's allocator before it warms the caches
(:func:`limit_malloc_arenas`) and gives the free pages back before forking
(:func:`trim_heap`).  A worker that has answered requests gives its own back once it
has had none in flight for :data:`IDLE_TRIM_S`: building a 4 MB items page on four
threads leaves 15–25 MiB of freed heap per worker that glibc keeps for good otherwise
(Kon Tum after a load of items pages: 385 → 280 MiB PSS for master + 2 workers).
Trimming between the requests of a busy worker would cost the page faults of
re-growing the heap on every request, so it waits for a quiet second.
"""

from __future__ import annotations

import ctypes
import errno
import gc
import logging
import re
import selectors
import time
from functools import partial

from gunicorn import glogging, http
from gunicorn.workers.gthread import TConn, ThreadWorker

HEADER_TIMEOUT_S = 10.0
BODY_TIMEOUT_S = 30.0
MAX_HEADER_BYTES = 64 * 1024
#: Bodies up to this are read before a thread is used (the app's request limit: 5 MiB + form).
MAX_BUFFERED_BODY = 6 * 1024 * 1024
_LENGTH = re.compile(rb"^content-length:[ \t]*(\d+)[ \t]*$", re.I | re.M)
_STREAMED = re.compile(rb"^(transfer-encoding:|expect:[ \t]*100-continue)", re.I | re.M)
#: A worker with no request in flight for this long after answering some trims its heap.
IDLE_TRIM_S = 1.0
#: gunicorn's default ``access_log_format`` (Apache's combined format), the one
#: :class:`AccessLogger` writes itself.
COMBINED = '%(h)s %(l)s %(u)s %(t)s "%(r)s" %(s)s %(b)s "%(f)s" "%(a)s"'


def _libc():
    try:
        return ctypes.CDLL("libc.so.6")
    except OSError:  # not glibc: nothing to tune
        return None


def limit_malloc_arenas(n: int = 2) -> None:
    """At most ``n`` glibc malloc arenas (as ``MALLOC_ARENA_MAX``): each worker thread
    otherwise gets its own, and their free memory is never shared or returned.

    Arrow's buffers (the tables' strings) are allocated through the same
    malloc rather than Arrow's mimalloc pool, which keeps what it freed
    (national warm-up: 915 → 760 MiB RSS with the trim below).
    """
    import pyarrow

    pyarrow.set_memory_pool(pyarrow.system_memory_pool())
    libc = _libc()
    if libc is not None and hasattr(libc, "mallopt"):
        libc.mallopt(-8, n)  # M_ARENA_MAX
        # A fixed threshold: blocks from 256 KiB up (response bodies, export
        # files) are mapped and unmapped on free, rather than glibc raising the
        # threshold after the first and keeping them in the heap for good.
        libc.mallopt(-3, 256 * 1024)  # M_MMAP_THRESHOLD
        # Fixing that threshold also fixes the heap's trim threshold at 128 KiB, and
        # giving back and regrowing the top of the heap on every request costs
        # ~30 % of a Kon Tum items request; keep up to 32 MiB free at the top.
        libc.mallopt(-1, 32 * 1024 * 1024)  # M_TRIM_THRESHOLD


def trim_heap() -> bool:
    """Collect unreachable cycles, then give every arena's free pages back to the system
    (``malloc_trim(0)``: 0.3–3 ms); whether the allocator could be asked.

    >>> isinstance(trim_heap(), bool)
    True
    """
    gc.collect()
    libc = _libc()
    if libc is None or not hasattr(libc, "malloc_trim"):
        return False
    libc.malloc_trim(0)
    return True


def request_complete(data: bytes) -> bool | None:
    """Whether ``data`` holds a whole request to hand to a thread: ``True`` yes, ``False``
    not yet, ``None`` headers complete but the body is streamed or too large (hand it over).

    >>> request_complete(b"GET / HTTP/1.1\\r\\nHost: a\\r\\n")
    False
    >>> request_complete(b"GET / HTTP/1.1\\r\\nHost: a\\r\\n\\r\\n")
    True
    >>> request_complete(b"POST / HTTP/1.1\\r\\nContent-Length: 5\\r\\n\\r\\nab")
    False
    >>> request_complete(b"POST / HTTP/1.1\\r\\nContent-Length: 5\\r\\n\\r\\nabcde")
    True
    >>> request_complete(b"POST / HTTP/1.1\\r\\nTransfer-Encoding: chunked\\r\\n\\r\\n") is None
    True
    """
    end = data.find(b"\r\n\r\n")
    if end < 0:
        return False
    head = data[:end]
    if _STREAMED.search(head):
        return None
    m = _LENGTH.search(head)
    length = int(m.group(1)) if m else 0
    if length > MAX_BUFFERED_BODY:
        return None
    return len(data) - (end + 4) >= length


class BufferingThreadWorker(ThreadWorker):
    """``gthread`` with every request read in the event loop before it takes a thread."""

    def init_process(self):
        self.buffering: dict = {}  # conn → (bytes so far, deadline, headers complete)
        # requests given to threads and not finished; answered since the last trim; when the
        # last one finished (all on the event loop's thread)
        self.in_flight, self.untrimmed, self.idle_since = 0, False, time.monotonic()
        super().init_process()

    def enqueue_req(self, conn):
        self.in_flight += 1
        self.untrimmed = True
        super().enqueue_req(conn)

    def finish_request(self, conn, fs):
        self.in_flight -= 1
        self.idle_since = time.monotonic()
        super().finish_request(conn, fs)

    def trim_if_idle(self, now: float | None = None) -> bool:
        """Trim the heap (:func:`trim_heap`) if requests were answered since the last trim
        and none has been in flight for :data:`IDLE_TRIM_S`; whether it did."""
        now = time.monotonic() if now is None else now
        if not self.untrimmed or self.in_flight > 0 or now - self.idle_since < IDLE_TRIM_S:
            return False
        self.untrimmed = False
        return trim_heap()

    def accept(self, listener):
        if self.cfg.is_ssl:  # TLS ends at the proxy; keep gunicorn's own path for it
            return super().accept(listener)
        try:
            client_sock, client_addr = listener.accept()
        except OSError as e:
            if e.errno not in (errno.EAGAIN, errno.ECONNABORTED, errno.EWOULDBLOCK):
                raise
            return
        self.nr_conns += 1
        conn = TConn(self.cfg, client_sock, client_addr, listener.getsockname())
        self._start_buffering(conn)

    def on_client_socket_readable(self, conn, client):
        """A kept-alive connection sends its next request: read it here too."""
        if self.cfg.is_ssl:
            return super().on_client_socket_readable(conn, client)
        self.poller.unregister(client)
        self.keepalived_conns.remove(conn)
        self._start_buffering(conn)

    def _start_buffering(self, conn) -> None:
        conn.sock.setblocking(False)
        self.buffering[conn] = (bytearray(), time.monotonic() + HEADER_TIMEOUT_S, False)
        self.poller.register(conn.sock, selectors.EVENT_READ, partial(self._on_bytes, conn))
        self._on_bytes(conn, conn.sock)  # a kept-alive client may have sent it already

    def _on_bytes(self, conn, client) -> None:
        buf, deadline, headers_seen = self.buffering.get(conn, (None, 0, False))
        if buf is None:
            return
        try:
            chunk = conn.sock.recv(65536)
        except (BlockingIOError, InterruptedError):
            return
        except OSError:
            chunk = b""
        if not chunk:  # closed by the client
            self._drop(conn)
            return
        buf += chunk
        done = request_complete(bytes(buf)) if b"\r\n\r\n" in buf else False
        if done is False:
            if b"\r\n\r\n" not in buf:
                if len(buf) > MAX_HEADER_BYTES:
                    self._drop(conn)
            elif not headers_seen:  # now the body, with its own deadline
                self.buffering[conn] = (buf, time.monotonic() + BODY_TIMEOUT_S, True)
            return
        self._hand_over(conn, bytes(buf))

    def _hand_over(self, conn, data: bytes) -> None:
        """The request is read: give it, with its bytes, to a thread."""
        self.buffering.pop(conn, None)
        self.poller.unregister(conn.sock)
        if conn.parser is None:
            conn.parser = http.get_parser(self.cfg, conn.sock, conn.client)
        conn.parser.unreader.unread(data)
        conn.data_ready = True
        self.enqueue_req(conn)

    def _drop(self, conn) -> None:
        self.buffering.pop(conn, None)
        try:
            self.poller.unregister(conn.sock)
        except (KeyError, ValueError):
            pass
        self.nr_conns -= 1
        conn.close()

    def murder_pending(self):
        """Disconnect clients past their deadline (and gunicorn's own pending ones); trim the
        heap of a worker gone quiet (gunicorn's loop calls this at least once a second)."""
        now = time.monotonic()
        for conn, (_, deadline, _) in list(self.buffering.items()):
            if deadline < now:
                self._drop(conn)
        out = super().murder_pending()
        self.trim_if_idle(now)
        return out


class AccessLogger(glogging.Logger):
    """gunicorn's logger, writing the access line of its default format itself.

    gunicorn builds a dictionary of some sixty atoms per request (every request and
    response header, every environ key) and sends the line through :mod:`logging`;
    on a kept items page answered with ``sendfile`` that was a third of the worker's
    Python time (py-spy, 8 connections).  The same line — same fields, same
    quoting, the time stamp made once a second — is written here straight to the
    access handlers' streams, one write and flush per request as before.  Any other
    set-up (a custom ``access_log_format``, a ``logconfig``, filters, formatters
    that are not the bare message, a request with credentials, whose user name the
    line shows) is left to gunicorn's own :meth:`access`.
    """

    def setup(self, cfg):
        super().setup(cfg)
        self.stamp = (0, "")
        self.streams = self.plain_handlers()

    def plain_handlers(self) -> list[logging.StreamHandler] | None:
        """The access log's handlers when each writes the bare message to a stream, else ``None``."""
        log = self.access_log
        if self.cfg.access_log_format != COMBINED or not log.handlers or log.filters or log.propagate:
            return None
        probe = logging.LogRecord(log.name, logging.INFO, __file__, 0, "probe %s", ("x",), None)
        for h in log.handlers:
            if type(h) not in (logging.StreamHandler, logging.FileHandler) or h.filters or h.level > logging.INFO:
                return None
            if h.format(probe) != "probe x":
                return None
        return list(log.handlers)

    def now(self) -> str:
        second = int(time.time())
        if self.stamp[0] != second:
            self.stamp = (second, time.strftime("[%d/%b/%Y:%H:%M:%S %z]", time.localtime(second)))
        return self.stamp[1]

    def access(self, resp, req, environ, request_time):
        handlers = getattr(self, "streams", None)
        if (
            not handlers
            or not self.access_log_enabled
            or environ.get("HTTP_AUTHORIZATION")
            or not self.access_log.isEnabledFor(logging.INFO)
            or any(h.stream is None for h in handlers)  # a delayed FileHandler not opened yet
        ):
            return super().access(resp, req, environ, request_time)
        status = resp.status
        if isinstance(status, str):
            status = status.split(None, 1)[0]
        sent = getattr(resp, "sent", None)
        request_line = f"{environ['REQUEST_METHOD']} {environ['RAW_URI']} {environ['SERVER_PROTOCOL']}"
        host = _quoted(environ.get("REMOTE_ADDR", "-"))
        referer = _quoted(environ.get("HTTP_REFERER", "-"))
        agent = _quoted(environ.get("HTTP_USER_AGENT", "-"))
        size = "-" if sent is None else sent
        line = f'{host} - - {self.now()} "{_quoted(request_line)}" {status} {size} "{referer}" "{agent}"\n'
        for h in handlers:
            h.acquire()
            try:
                h.stream.write(line)
                h.flush()
            except Exception:
                self.exception("access log")
            finally:
                h.release()
        return None


def _quoted(value: str) -> str:
    """A value as gunicorn's access line shows it (its double quotes escaped).

    >>> _quoted('GET /?q="x" HTTP/1.1')
    'GET /?q=\\\\"x\\\\" HTTP/1.1'
    """
    return value.replace('"', '\\"') if '"' in value else value
