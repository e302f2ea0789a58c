"""The shipped reverse-proxy configuration (``deploy/nginx.conf``), run by Debian nginx in
front of a real app server (``python -m app``), on the test ports 8710-8712.

The file is used as shipped; only its ports, upstream and certificate (a throwaway
self-signed one) are changed, each change asserted so that an edit of the file cannot
silently escape the test.  Through the proxy, over HTTPS: ``X-Forwarded-Proto`` makes the
cookies ``Secure``, links follow ``MAP_PUBLIC_URL`` whatever ``Host`` says, the safe
headers are on pages and errors, an address the client claims does not count for the
login limit, plain HTTP redirects to HTTPS, and 64 slow clients do not stall a cheap request.

``make test`` installs Debian nginx when it is missing (like chromium); without it (no apt)
these tests skip and say so.
"""

from __future__ import annotations

import http.client
import os
import re
import shutil
import socket
import ssl
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SHIPPED = ROOT / "deploy" / "nginx.conf"
APP_PORT, HTTPS_PORT, HTTP_PORT = 8710, 8711, 8712
PUBLIC = "https://map.example.vn"
TOKEN = "alice:tok-alice-0123456789abcdef"
NGINX = shutil.which("nginx") or ("/usr/sbin/nginx" if os.path.exists("/usr/sbin/nginx") else None)
CHEAP = "/ogc/conformance?f=json"

pytestmark = pytest.mark.skipif(
    NGINX is None or shutil.which("openssl") is None,
    reason="Debian nginx (and openssl) not installed: `make test` installs them with apt-get; "
    "apt was not possible on this machine",
)


def site_config(cert: Path, key: Path) -> str:
    """deploy/nginx.conf with the test's ports, upstream and certificate."""
    text = SHIPPED.read_text(encoding="utf-8")
    changes = [
        (r"server 127\.0\.0\.1:5000;", f"server 127.0.0.1:{APP_PORT};"),
        (r"listen 80;", f"listen 127.0.0.1:{HTTP_PORT};"),
        (r"listen \[::\]:80;", ""),
        (r"listen 443 ssl;", f"listen 127.0.0.1:{HTTPS_PORT} ssl;"),
        (r"listen \[::\]:443 ssl;", ""),
        (r"ssl_certificate +\S+;", f"ssl_certificate {cert};"),
        (r"ssl_certificate_key +\S+;", f"ssl_certificate_key {key};"),
    ]
    for pattern, replacement in changes:
        text, n = re.subn(pattern, replacement, text)
        assert n == 1, f"deploy/nginx.conf changed: {pattern!r} matched {n} times"
    return text


def main_config(folder: Path, site: Path) -> str:
    """A main nginx.conf around the site file: everything nginx writes stays in ``folder``."""
    temps = "\n".join(f"    {k}_temp_path {folder / k};" for k in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"))
    return (
        ("user root;\n" if os.geteuid() == 0 else "")
        + f"pid {folder / 'nginx.pid'};\nerror_log {folder / 'error.log'} warn;\n"
        + "events { worker_connections 1024; }\n"
        + f"http {{\n    access_log off;\n{temps}\n    include {site};\n}}\n"
    )


@pytest.fixture(scope="module")
def nginx_conf(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("nginx")
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=map.example.vn"]
        + ["-keyout", str(key), "-out", str(cert)],
        check=True,
        capture_output=True,
    )
    site = folder / "site.conf"
    site.write_text(site_config(cert, key))
    conf = folder / "nginx.conf"
    conf.write_text(main_config(folder, site))
    return conf


def test_the_shipped_config_passes_nginx_t(nginx_conf):
    run = subprocess.run([NGINX, "-t", "-c", str(nginx_conf)], capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    assert "syntax is ok" in run.stderr and "test is successful" in run.stderr


def _wait(port: int, proc: subprocess.Popen, log: Path, seconds: float = 300) -> None:
    deadline = time.time() + seconds
    while True:
        assert proc.poll() is None, log.read_text(errors="replace")[-2000:]
        assert time.time() < deadline, f"nothing listens on {port}"
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.5)


@pytest.fixture(scope="module")
def proxied(gpkg, nginx_conf, tmp_path_factory):
    """The app on 127.0.0.1:8710 (one worker, as the README's deployment says) behind nginx."""
    logs = tmp_path_factory.mktemp("logs")
    env = {**os.environ, "PYTHONPATH": str(ROOT), "GEO_GPKG": str(gpkg)}
    env.update(
        GEO_STATE_DIR=str(tmp_path_factory.mktemp("state")),
        MAP_PUBLIC_URL=PUBLIC,
        MAP_PROXY_HOPS="1",
        MAP_UPLOAD_TOKEN=TOKEN,
        MAP_LOGIN_LIMIT="3 per minute",
    )
    app_log = logs / "app.log"
    app = subprocess.Popen(
        [sys.executable, "-m", "app", "--host", "127.0.0.1", "--port", str(APP_PORT), "--workers", "1"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=app_log.open("wb"),
    )
    nginx_log = logs / "nginx.log"
    proxy = None
    try:
        _wait(APP_PORT, app, app_log)
        proxy = subprocess.Popen(
            [NGINX, "-c", str(nginx_conf), "-g", "daemon off;"], stdout=subprocess.DEVNULL, stderr=nginx_log.open("wb")
        )
        _wait(HTTPS_PORT, proxy, nginx_log, 30)
        yield
    finally:
        for proc in (proxy, app):
            if proc is not None:
                proc.terminate()
                proc.wait(30)


def _tls() -> ssl.SSLContext:
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE  # the throwaway self-signed certificate
    return ctx


def get(path: str, headers: dict | None = None, method: str = "GET", timeout: float = 30):
    """One request to the proxy over HTTPS: ``(status, headers, body)``."""
    conn = http.client.HTTPSConnection("127.0.0.1", HTTPS_PORT, context=_tls(), timeout=timeout)
    try:
        conn.request(method, path, headers={"Host": "map.example.vn", **(headers or {})})
        resp = conn.getresponse()
        return resp.status, resp.headers, resp.read()
    finally:
        conn.close()


def test_cookies_are_secure_behind_the_proxy(proxied):
    status, headers, _ = get("/upload")
    cookies = headers.get_all("Set-Cookie") or []
    assert status == 200 and any(c.startswith("upload_csrf=") for c in cookies), cookies
    assert all("Secure" in c for c in cookies), cookies


def test_links_follow_the_public_url_not_the_host_header(proxied):
    status, _, body = get("/ogc?f=json", {"Host": "evil.example"})
    assert status == 200
    hrefs = re.findall(rb'"href":\s*"([^"]+)"', body)
    assert hrefs and all(h.startswith(PUBLIC.encode() + b"/") for h in hrefs), hrefs
    assert b"evil.example" not in body


@pytest.mark.parametrize("path", ["/", "/upload", "/no/such/page", "/api/versions"])
def test_safe_headers_pass_the_proxy(proxied, path):
    status, headers, _ = get(path)
    assert status in (200, 404)
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert "frame-ancestors 'none'" in headers["Content-Security-Policy"]
    assert headers["X-Frame-Options"] == "DENY" and headers["Referrer-Policy"]


def test_405_keeps_allow_through_the_proxy(proxied):
    status, headers, _ = get("/api/versions", method="DELETE")
    assert status == 405 and "GET" in headers["Allow"]


def test_a_claimed_address_does_not_escape_the_login_limit(proxied):
    """The proxy sends the peer's address, whatever X-Forwarded-For the client wrote."""
    statuses = []
    for i in range(5):
        bad = {"Authorization": "Bearer wrong-token", "X-Forwarded-For": f"203.0.113.{i}"}
        statuses.append(get("/api/uploads/nope", bad)[0])
    assert statuses[:3] == [401, 401, 401] and statuses[3:] == [429, 429], statuses


def test_plain_http_redirects_to_https(proxied):
    conn = http.client.HTTPConnection("127.0.0.1", HTTP_PORT, timeout=10)
    conn.request("GET", "/ogc?f=json", headers={"Host": "map.example.vn"})
    resp = conn.getresponse()
    assert resp.status == 301 and resp.headers["Location"] == "https://map.example.vn/ogc?f=json"
    conn.close()


def _cheap() -> float:
    start = time.perf_counter()
    status, _, _ = get(CHEAP, timeout=30)
    assert status == 200
    return time.perf_counter() - start


def _slow_tls_client(stop: threading.Event, body: bool) -> None:
    """One header line every 2 s over TLS (``body``: complete headers, then a byte a second)."""
    try:
        raw = socket.create_connection(("127.0.0.1", HTTPS_PORT), timeout=30)
        s = _tls().wrap_socket(raw, server_hostname="map.example.vn")
        if body:
            s.sendall(b"POST /targets HTTP/1.1\r\nHost: map.example.vn\r\nContent-Length: 1000\r\n\r\n")
        else:
            s.sendall(b"GET " + CHEAP.encode() + b" HTTP/1.1\r\nHost: map.example.vn\r\n")
        i = 0
        while not stop.is_set():
            s.sendall(b"x" if body else f"X-Slow-{i}: 1\r\n".encode())
            i += 1
            stop.wait(1 if body else 2)
    except OSError:
        return  # closed by nginx past its timeouts


def test_64_slow_clients_do_not_stall_a_cheap_request_through_the_proxy(proxied):
    stop = threading.Event()
    threads = [threading.Thread(target=_slow_tls_client, args=(stop, i % 8 == 7), daemon=True) for i in range(64)]
    for t in threads:
        t.start()
    time.sleep(3)  # every slow client connected and sending
    try:
        times = []
        for _ in range(5):
            times.append(_cheap())
            time.sleep(0.5)
    finally:
        stop.set()
    assert statistics.median(times) < 1.0 and max(times) < 3.0, times
