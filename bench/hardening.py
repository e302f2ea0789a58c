"""Issue 17 items 2 and 3 against a running server: how long a cheap request takes while
slow clients hold connections, and while heavy raster requests run.

    python -m bench.hardening http://127.0.0.1:5480 [--slow 64] [--heavy 8]

Prints one JSON object: the cheap request's times (s) alone, with ``--slow`` slow clients
(one header line every 2 s each, plus an eighth of them sending a body one byte a second),
and with ``--heavy`` distinct raster requests in flight (and their status codes).  Used by
tests/app/test_serving.py (a functional check with a bound) and for bench/RESULTS.md.
"""

from __future__ import annotations

import argparse
import json
import socket
import statistics
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from concurrent.futures import ThreadPoolExecutor

CHEAP = "/ogc/conformance?f=json"
#: Eight distinct heavy requests: remoteness and indicator rasters at fine resolutions.
HEAVY = [f"/raster/remoteness.tif?target={t}&resolution={r}" for t in ("roads", "power") for r in (100, 250, 500)] + [
    f"/raster/indicator.tif?indicator=poor_rate&year=2020&resolution={r}" for r in (100, 250)
]


def cheap(base: str, timeout: float = 30) -> float:
    """Seconds for one cheap request (it must answer 200); ``timeout`` when it never answered."""
    start = time.perf_counter()
    try:
        with urllib.request.urlopen(base + CHEAP, timeout=timeout) as r:
            r.read()
            assert r.status == 200
    except (TimeoutError, urllib.error.URLError):
        return timeout
    return time.perf_counter() - start


def cheap_times(base: str, n: int = 5, pause: float = 0.5) -> list[float]:
    out = []
    for _ in range(n):
        out.append(round(cheap(base), 4))
        time.sleep(pause)
    return out


def slow_client(host: str, port: int, stop: threading.Event, body: bool = False) -> None:
    """One header line every 2 s (``body``: complete headers, then a byte a second)."""
    try:
        s = socket.create_connection((host, port), timeout=30)
        if body:
            s.sendall(b"POST /targets HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\n")
        else:
            s.sendall(b"GET " + CHEAP.encode() + b" HTTP/1.1\r\nHost: x\r\n")
        i = 0
        while not stop.is_set():
            s.sendall(b"x" if body else f"X-Slow-{i}: 1\r\n".encode())
            i += 1
            stop.wait(1 if body else 2)
    except OSError:
        return  # disconnected by the server: what it should do past the deadline


def with_slow_clients(base: str, n: int) -> list[float]:
    u = urllib.parse.urlsplit(base)
    stop = threading.Event()
    threads = [
        threading.Thread(target=slow_client, args=(u.hostname, u.port, stop, i % 8 == 7), daemon=True) for i in range(n)
    ]
    for t in threads:
        t.start()
    time.sleep(3)  # every slow client connected and started
    try:
        return cheap_times(base)
    finally:
        stop.set()


def _status(url: str) -> int:
    try:
        with urllib.request.urlopen(url, timeout=120) as r:
            r.read()
            return r.status
    except urllib.error.HTTPError as exc:
        return exc.code


def with_heavy_requests(base: str, n: int) -> tuple[list[float], list[int]]:
    with ThreadPoolExecutor(n) as pool:
        futures = [pool.submit(_status, base + HEAVY[i % len(HEAVY)]) for i in range(n)]
        time.sleep(0.3)  # the heavy requests are in
        times = cheap_times(base, 5, 0.2)
        codes = [f.result() for f in futures]
    return times, codes


def run(base: str, slow: int = 64, heavy: int = 8) -> dict:
    """All three measurements (see the module documentation)."""
    alone = cheap_times(base)
    slowed = with_slow_clients(base, slow) if slow else []
    heavy_times, codes = with_heavy_requests(base, heavy) if heavy else ([], [])
    summary = {
        "alone_s": alone,
        f"with_{slow}_slow_clients_s": slowed,
        f"with_{heavy}_heavy_requests_s": heavy_times,
        "heavy_status_codes": codes,
    }
    for key in list(summary):
        if key.endswith("_s") and summary[key]:
            summary[key[:-2] + "_median_s"] = round(statistics.median(summary[key]), 4)
    return summary


def main(argv=None) -> int:
    p = argparse.ArgumentParser(prog="python -m bench.hardening")
    p.add_argument("base", help="the server, e.g. http://127.0.0.1:5480")
    p.add_argument("--slow", type=int, default=64)
    p.add_argument("--heavy", type=int, default=8)
    args = p.parse_args(argv)
    print(json.dumps(run(args.base.rstrip("/"), args.slow, args.heavy)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
