"""Start and stop the servers under test (gunicorn), each in its own process group.

Both are served the same way: gunicorn, ``--workers N`` (default: the
number of CPUs), 4 threads per worker (``gthread``), access log on, bound to
127.0.0.1 only.  This app through its own entry point ``python -m app``
(which sets threads=4 and logs access to stdout); pygeoapi through the
gunicorn CLI with the same settings.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from . import util

THREADS = 4  # what ``python -m app`` uses (app/__main__.py)
#: Memory "after the run" is read this many seconds after the last request (at rest).
REST_S = 3.0


class Server:
    """One gunicorn master; stopped with its whole process group."""

    def __init__(self, name: str, argv: list[str], env: dict, port: int, probe: str, log_path: Path):
        self.name, self.argv, self.env, self.port, self.probe = name, argv, env, port, probe
        self.log_path = log_path
        self.proc: subprocess.Popen | None = None
        self.started_s: float | None = None

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def command(self) -> str:
        envs = " ".join(
            f"{k}={v}" for k, v in self.env.items() if k.startswith(("GEO_", "PYGEOAPI_", "BENCH_", "MALLOC_"))
        )
        return (envs + " " if envs else "") + " ".join(self.argv)

    def start(self, timeout: float = 120.0) -> Server:
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        log = open(self.log_path, "w")
        env = dict(os.environ, **self.env)
        t0 = time.perf_counter()
        self.proc = subprocess.Popen(
            self.argv, env=env, cwd=util.ROOT, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
        while time.perf_counter() - t0 < timeout:
            if self.proc.poll() is not None:
                raise RuntimeError(f"{self.name} exited with {self.proc.returncode}; see {self.log_path}")
            try:
                status, _, _ = util.get(self.base + self.probe, timeout=5)
                if status < 500:
                    self.started_s = round(time.perf_counter() - t0, 2)
                    return self
            except OSError:
                time.sleep(0.2)
        raise RuntimeError(f"{self.name} did not answer on {self.base} within {timeout:.0f}s")

    def prepare(self, timeout: float = 900.0) -> float:
        """``--prepare`` (the app only): warm up and save the caches a start restores, as
        ``make build`` does (app/warmstart.py); the seconds it took."""
        env = dict(os.environ, **self.env)
        t0 = time.perf_counter()
        subprocess.run(
            [*self.argv, "--prepare"],
            env=env,
            cwd=util.ROOT,
            check=True,
            timeout=timeout,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        return round(time.perf_counter() - t0, 2)

    def workers(self) -> list[int]:
        return util.children(self.proc.pid) if self.proc else []

    def memory(self, rest_s: float = 0.0) -> dict:
        """Per worker and master: RSS, peak RSS (VmHWM), PSS (MiB); sums over the workers; the
        in-memory files they hold (``memfd_mib``, in no PSS) and the total with them.

        ``rest_s``: read after that many seconds without a request (a worker gives its
        freed heap back a second after its last request: app/serving.py)."""
        if rest_s:
            time.sleep(rest_s)
        pids = self.workers()  # read once: the figures below are of the same processes
        workers = [util.memory(p) for p in pids]
        master = util.memory(self.proc.pid) if self.proc else {}
        files: dict[int, int] = {}  # by inode: a file the master and a worker share counts once
        for pid in ([self.proc.pid] if self.proc else []) + pids:
            files.update(util.memfds(pid))
        memfd = round(sum(files.values()) / 2**20, 1)
        workers_pss = sum(w.get("pss_mib", 0) for w in workers)
        pss = workers_pss + master.get("pss_mib", 0)
        return {
            "rest_s": rest_s,
            "memfd_mib": memfd,
            "all_with_memfd_mib": round(pss + memfd, 1),
            "master": master,
            "workers": workers,
            "workers_rss_sum_mib": round(sum(w.get("vmrss_mib", 0) for w in workers), 1),
            "workers_peak_rss_sum_mib": round(sum(w.get("vmhwm_mib", 0) for w in workers), 1),
            "workers_peak_rss_max_mib": max((w.get("vmhwm_mib", 0) for w in workers), default=0),
            "workers_pss_sum_mib": round(workers_pss, 1),
            "all_pss_sum_mib": round(pss, 1),
        }

    def stop(self) -> None:
        if not self.proc or self.proc.poll() is not None:
            return
        try:
            os.killpg(self.proc.pid, signal.SIGTERM)  # our own group: the master and its workers
            self.proc.wait(timeout=20)
        except (ProcessLookupError, subprocess.TimeoutExpired):
            try:
                os.killpg(self.proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            self.proc.wait(timeout=10)

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()


def ours(gpkg: Path, workers: int, log_path: Path, state: Path | None = None) -> Server:
    """The app on ``gpkg``; its warm-start snapshots (app/warmstart.py) under ``state``
    (default: a folder of the bench's own, so no other run's files are read)."""
    port = util.free_port()
    argv = [sys.executable, "-m", "app", "--host", "127.0.0.1", "--port", str(port), "--workers", str(workers)]
    env = {"GEO_GPKG": str(gpkg), "GEO_STATE_DIR": str(state or util.OUT / "state")}
    return Server("app", argv, env, port, "/ogc/conformance?f=json", log_path)


def pygeoapi(venv: Path, config: Path, openapi: Path, data: Path, workers: int, log_path: Path) -> Server:
    port = util.free_port()
    argv = [
        str(venv / "bin" / "gunicorn"),
        "--workers",
        str(workers),
        "--threads",
        str(THREADS),
        "--bind",
        f"127.0.0.1:{port}",
        "--access-logfile",
        "-",
        "pygeoapi.flask_app:APP",
    ]
    env = {
        "PYGEOAPI_CONFIG": str(config),
        "PYGEOAPI_OPENAPI": str(openapi),
        "BENCH_PYGEOAPI_PORT": str(port),
        "BENCH_COMMUNES_GPKG": str(data),
        # the SQLiteGPKG provider writes a virtual table into the file it reads: give it a copy
        "BENCH_COMMUNES_GPKG_COPY": str(_copy(data)),
    }
    # pygeoapi serves a pre-generated OpenAPI document (with this port in it)
    subprocess.run(
        [str(venv / "bin" / "pygeoapi"), "openapi", "generate", str(config), "--output-file", str(openapi)],
        env=dict(os.environ, **env),
        check=True,
        capture_output=True,
        text=True,
    )
    return Server("pygeoapi", argv, env, port, "/conformance?f=json", log_path)


def _copy(data: Path) -> Path:
    import shutil

    copy = data.with_name(data.stem + "-sqlite-copy" + data.suffix)
    shutil.copyfile(data, copy)
    return copy


def prototype(gpkg: Path, workers: int, log_path: Path) -> Server:
    """``python -m bench.prototype_app``: the app with bench/prototypes.py (recommendations) applied."""
    port = util.free_port()
    argv = [
        sys.executable,
        "-m",
        "bench.prototype_app",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--workers",
        str(workers),
    ]
    return Server("app (prototype)", argv, {"GEO_GPKG": str(gpkg)}, port, "/ogc/conformance?f=json", log_path)


def tipg(venv: Path, database_url: str, schema: str, workers: int, log_path: Path) -> Server:
    """tipg (FastAPI + asyncpg) on PostGIS, under uvicorn with ``workers`` processes, serving the
    tables of ``schema`` (bench/tipg_data.py); access log on, 127.0.0.1 only."""
    port = util.free_port()
    argv = [
        str(venv / "bin" / "uvicorn"),
        "tipg.main:app",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--workers",
        str(workers),
    ]
    env = {"DATABASE_URL": database_url, "TIPG_DB_SCHEMAS": f'["{schema}"]', "TIPG_MAX_FEATURES_PER_QUERY": "10000"}
    srv = Server("tipg", argv, env, port, "/conformance?f=json", log_path)
    return srv


NGINX_CONF = """worker_processes {workers};
daemon off;
pid {root}/nginx.pid;
error_log {root}/error.log warn;
events {{ worker_connections 256; }}
http {{
    access_log {root}/access.log;
    types {{ application/geo+json json; }}
    default_type application/octet-stream;
    sendfile on;
    tcp_nopush on;
    keepalive_timeout 5;
    client_body_temp_path {root}/tmp/body;
    proxy_temp_path {root}/tmp/proxy;
    fastcgi_temp_path {root}/tmp/fastcgi;
    uwsgi_temp_path {root}/tmp/uwsgi;
    scgi_temp_path {root}/tmp/scgi;
    server {{
        listen 127.0.0.1:{port};
        root {root}/www;
        location /identity/ {{ gzip_static off; }}
        location /gzip/ {{ gzip_static on; }}
    }}
}}
"""


def nginx(root: Path, files: dict[str, tuple[bytes, bytes]], workers: int, log_path: Path) -> Server:
    """Debian nginx serving ``files`` (name → (identity bytes, gzip bytes)) from ``root``:
    ``/identity/<name>`` as they are, ``/gzip/<name>`` with ``gzip_static`` (the ``.gz`` file
    to a client that accepts gzip) — the physical limit of serving those bytes."""
    import shutil

    port = util.free_port()
    exe = shutil.which("nginx") or "/usr/sbin/nginx"
    for sub in ("www/identity", "www/gzip", "tmp"):
        (root / sub).mkdir(parents=True, exist_ok=True)
    for name, (identity, gz) in files.items():
        (root / "www" / "identity" / name).write_bytes(identity)
        (root / "www" / "gzip" / name).write_bytes(identity)
        (root / "www" / "gzip" / (name + ".gz")).write_bytes(gz)
    os.chmod(root, 0o755)
    conf = root / "nginx.conf"
    conf.write_text(NGINX_CONF.format(workers=workers, root=root, port=port))
    probe = "/identity/" + next(iter(files))
    return Server("nginx", [exe, "-p", str(root), "-c", str(conf)], {}, port, probe, log_path)
