"""Small helpers: the machine, versions, timing, HTTP on loopback, /proc."""

from __future__ import annotations

import json
import os
import platform
import shutil
import socket
import statistics
import subprocess
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "bench"
OUT = ROOT / "build" / "bench"


def sh(cmd: list[str] | str, check: bool = True, timeout: float | None = None, **kw) -> str:
    """Run a command, return its stdout (text)."""
    shell = isinstance(cmd, str)
    res = subprocess.run(cmd, shell=shell, check=check, text=True, capture_output=True, timeout=timeout, **kw)
    return res.stdout


def log(msg: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {msg}", flush=True)


def _port_ranges(spec: str) -> list[int]:
    """``"8745-8749,8760"`` → [8745, …, 8749, 8760]."""
    ports = []
    for part in spec.split(","):
        lo, _, hi = part.strip().partition("-")
        if lo:
            ports += range(int(lo), int(hi or lo) + 1)
    return ports


def free_port() -> int:
    """A free port on 127.0.0.1: any, or one of ``BENCH_PORTS`` (e.g. ``8745-8749,8760-8769``)
    when set — on a shared machine each developer has their own ports."""
    allowed = _port_ranges(os.environ.get("BENCH_PORTS", ""))
    for port in allowed or [0]:
        if port in _TAKEN:
            continue
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue
            port = s.getsockname()[1]
        _TAKEN.add(port)
        return port
    raise RuntimeError(f"no free port in BENCH_PORTS={os.environ['BENCH_PORTS']}")


#: Ports handed out in this run (a server may not have bound its port yet).
_TAKEN: set[int] = set()


def loadavg() -> list[float]:
    return [float(x) for x in Path("/proc/loadavg").read_text().split()[:3]]


def cpu_times() -> tuple[float, float]:
    """(busy, total) jiffies of the whole machine, from /proc/stat."""
    parts = [float(x) for x in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    idle = parts[3] + parts[4]
    return sum(parts) - idle, sum(parts)


def wait_idle(max_wait_s: float, threshold: float) -> dict:
    """Wait (at most ``max_wait_s``) until the 1-minute load average is below ``threshold``."""
    t0 = time.monotonic()
    while loadavg()[0] >= threshold and time.monotonic() - t0 < max_wait_s:
        time.sleep(5)
    return {"waited_s": round(time.monotonic() - t0, 1), "loadavg": loadavg(), "threshold": threshold}


def machine() -> dict:
    cpu = ""
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            cpu = line.split(":", 1)[1].strip()
            break
    return {
        "nproc": os.cpu_count(),
        "cpu_model": cpu,
        "free_h": sh(["free", "-h"], check=False).rstrip(),
        "kernel": platform.release(),
        "os": _os_release(),
        "loadavg_start": loadavg(),
    }


def _os_release() -> str:
    try:
        for line in Path("/etc/os-release").read_text().splitlines():
            if line.startswith("PRETTY_NAME="):
                return line.split("=", 1)[1].strip('"')
    except OSError:
        pass
    return platform.platform()


def versions(pygeoapi_python: Path | None) -> dict:
    from importlib import metadata

    out = {"python (app)": platform.python_version()}
    for pkg in ("Flask", "gunicorn", "geopandas", "shapely", "pyogrio", "pandas", "numpy", "folium", "playwright"):
        try:
            out[pkg] = metadata.version(pkg)
        except metadata.PackageNotFoundError:
            out[pkg] = "not installed"
    try:
        import pyogrio

        out["GDAL (pyogrio, app)"] = pyogrio.__gdal_version_string__
    except Exception:
        pass
    if pygeoapi_python and pygeoapi_python.exists():
        code = (
            "import json, platform; from importlib import metadata as m; from osgeo import gdal; "
            "print(json.dumps({'python (pygeoapi)': platform.python_version(), "
            "'pygeoapi': m.version('pygeoapi'), 'gunicorn (pygeoapi)': m.version('gunicorn'), "
            "'Flask (pygeoapi)': m.version('Flask'), 'GDAL (pygeoapi, Debian python3-gdal)': "
            "gdal.__version__}))"
        )
        try:
            out.update(json.loads(sh([str(pygeoapi_python), "-c", code])))
        except (subprocess.CalledProcessError, json.JSONDecodeError) as exc:
            out["pygeoapi"] = f"unavailable ({exc})"
    wrk = shutil.which("wrk")
    if wrk:
        first = sh([wrk, "-v"], check=False) or ""
        res = subprocess.run([wrk, "-v"], text=True, capture_output=True)
        first = (res.stdout + res.stderr).splitlines()[0] if (res.stdout + res.stderr) else ""
        out["wrk"] = first.split(" Copyright")[0]
    chromium = "/usr/bin/chromium"
    if os.path.exists(chromium):
        res = subprocess.run([chromium, "--version"], text=True, capture_output=True)
        out["chromium"] = res.stdout.strip()
    return out


def get(url: str, timeout: float = 300.0, headers: dict | None = None) -> tuple[int, bytes, float]:
    """(status, body, seconds) of one GET."""
    req = urllib.request.Request(url, headers=headers or {})
    t0 = time.perf_counter()
    try:
        with urllib.request.urlopen(req, timeout=timeout) as resp:
            body = resp.read()
            status = resp.status
    except urllib.error.HTTPError as exc:
        body, status = exc.read(), exc.code
    return status, body, time.perf_counter() - t0


def timed_gets(url: str, n: int, timeout: float = 300.0) -> dict:
    """``n`` sequential GETs: status, size, each time and the median (s)."""
    times, sizes, statuses = [], [], []
    for _ in range(n):
        status, body, dt = get(url, timeout)
        times.append(round(dt, 4))
        sizes.append(len(body))
        statuses.append(status)
    return {
        "url": url,
        "statuses": sorted(set(statuses)),
        "bytes": sizes[-1],
        "times_s": times,
        "median_s": round(statistics.median(times), 4),
    }


# ------------------------------------------------------------------ /proc memory


def children(pid: int) -> list[int]:
    out = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        if ppid == pid:
            out.append(int(entry.name))
    return sorted(out)


def memory(pid: int) -> dict:
    """RSS now, peak RSS (VmHWM) and PSS of one process, in MiB."""
    out = {"pid": pid}
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            key, _, value = line.partition(":")
            if key in ("VmRSS", "VmHWM"):
                out[key.lower() + "_mib"] = round(int(value.split()[0]) / 1024, 1)
        for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
            if line.startswith("Pss:"):
                out["pss_mib"] = round(int(line.split()[1]) / 1024, 1)
    except OSError:
        pass
    return out


def memfds(pid: int) -> dict[int, int]:
    """The in-memory files (``memfd``) process ``pid`` holds open: inode → bytes.

    The app keeps large coded answers in such files to send them with ``sendfile``
    (``app.http_cache.SharedBody``); they are memory, but read through a descriptor
    and never mapped, so they appear in no process's PSS."""
    out: dict[int, int] = {}
    try:
        fds = list(Path(f"/proc/{pid}/fd").iterdir())
    except OSError:
        return out
    for fd in fds:
        try:
            if os.readlink(fd).startswith("/memfd:"):
                st = os.stat(fd)
                out[st.st_ino] = st.st_size
        except OSError:
            continue
    return out
