"""The access log of ``python -m app`` (app.serving.AccessLogger): the lines gunicorn's own
logger writes, written without its per-request atoms dictionary (issue 16: items throughput)."""

from __future__ import annotations

import base64
import datetime as dt
import re
from types import SimpleNamespace

import pytest
from gunicorn import glogging
from gunicorn.config import Config

from app import serving

STAMP = re.compile(r"\[\d{2}/[A-Z][a-z]{2}/\d{4}:\d{2}:\d{2}:\d{2} [+-]\d{4}\]")


def _logger(cls, path, fmt: str | None = None):
    cfg = Config()
    cfg.set("accesslog", str(path))
    if fmt is not None:
        cfg.set("access_log_format", fmt)
    return cls(cfg)


def _request(uri="/ogc/collections/communes/items?limit=102", sent=1050477, status="200 OK", **environ):
    resp = SimpleNamespace(status=status, sent=sent, headers=[("Content-Type", "application/geo+json")])
    req = SimpleNamespace(headers=[("HOST", "127.0.0.1:5000")])
    env = {"REQUEST_METHOD": "GET", "RAW_URI": uri, "SERVER_PROTOCOL": "HTTP/1.1", "REMOTE_ADDR": "10.0.0.7"}
    env.update(environ)
    return resp, req, env, dt.timedelta(microseconds=3500)


CASES = [
    _request(),
    _request(HTTP_REFERER="http://127.0.0.1:5000/", HTTP_USER_AGENT="Mozilla/5.0 (X11; Linux)"),
    _request(uri='/targets?q="border"', HTTP_REFERER='http://x/"q"', HTTP_USER_AGENT='a "quoted" agent'),
    _request(sent=None, status="304 Not Modified"),
    _request(sent=0, REQUEST_METHOD="HEAD"),
    _request(status=404),
    _request(REMOTE_ADDR=None),
    _request(HTTP_AUTHORIZATION="Basic " + base64.b64encode(b"planner:secret").decode()),
]


def _lines(path) -> list[str]:
    return path.read_text(encoding="utf-8").splitlines()


def test_the_lines_are_gunicorns_own(tmp_path):
    # one after the other: both configure the one "gunicorn.access" logger of the process
    for cls, name in ((serving.AccessLogger, "ours.log"), (glogging.Logger, "g.log")):
        logger = _logger(cls, tmp_path / name)
        assert cls is glogging.Logger or logger.streams  # the fast path, for gunicorn's default set-up
        for resp, req, environ, took in CASES:
            logger.access(resp, req, {k: v for k, v in environ.items() if v is not None}, took)
    mine, gunicorns = _lines(tmp_path / "ours.log"), _lines(tmp_path / "g.log")
    assert len(mine) == len(gunicorns) == len(CASES)
    for a, b in zip(mine, gunicorns):
        assert STAMP.search(a) and STAMP.search(b)
        assert STAMP.sub("[T]", a) == STAMP.sub("[T]", b)
    assert mine[2].count('\\"') == 6  # the request line, the referrer and the agent, escaped
    assert ' 304 - "-"' in mine[3]
    assert mine[-1].startswith("10.0.0.7 - planner ")  # credentials: gunicorn's own line, with the user


def test_a_custom_format_is_left_to_gunicorn(tmp_path):
    fmt = '%(h)s "%(r)s" %(s)s %(D)s'
    ours = _logger(serving.AccessLogger, tmp_path / "ours.log", fmt)
    assert ours.streams is None
    resp, req, environ, took = _request()
    ours.access(resp, req, environ, took)
    assert _lines(tmp_path / "ours.log") == [
        '10.0.0.7 "GET /ogc/collections/communes/items?limit=102 HTTP/1.1" 200 3500'
    ]


@pytest.mark.parametrize("accesslog", [None])
def test_no_access_log_writes_nothing(tmp_path, accesslog):
    cfg = Config()
    cfg.set("accesslog", accesslog)
    ours = serving.AccessLogger(cfg)
    resp, req, environ, took = _request()
    ours.access(resp, req, environ, took)  # nothing to write to, nothing raised
    assert not ours.streams
