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
"""

from __future__ import annotations

import errno
import re
import selectors
import time
from functools import partial

from gunicorn import http
from gunicorn.workers.gthread import TConn, ThreadWorker

HEADER_TIMEOUT_S = 10.0
BODY_TIMEOUT_S = 30.0
MAX_HEADER_BYTES = 64 * 1024
#: Bodies up to this are read before a thread is used (the app's request limit: 5 MiB + form).
MAX_BUFFERED_BODY = 6 * 1024 * 1024
_LENGTH = re.compile(rb"^content-length:[ \t]*(\d+)[ \t]*$", re.I | re.M)
_STREAMED = re.compile(rb"^(transfer-encoding:|expect:[ \t]*100-continue)", re.I | re.M)


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
        super().init_process()

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
        """Disconnect clients past their deadline (and gunicorn's own pending ones)."""
        now = time.monotonic()
        for conn, (_, deadline, _) in list(self.buffering.items()):
            if deadline < now:
                self._drop(conn)
        return super().murder_pending()
