"""Install what the benchmark needs, once: wrk, GDAL for pygeoapi, pygeoapi's own venv.

* ``wrk`` and ``python3-gdal`` from Debian (``apt-get``, as root or with
  sudo), only when missing;
* ``bench/.venv-pygeoapi``: a virtualenv of Debian's ``/usr/bin/python3.11``
  with ``--system-site-packages`` (so pygeoapi's OGR provider finds Debian's
  GDAL bindings, ``osgeo``), holding the pinned ``bench/requirements-pygeoapi.txt``;
* ``bench/.venv-tipg``: a virtualenv of the same python holding the pinned
  ``bench/requirements-tipg.txt`` (tipg on PostGIS, under uvicorn);
* ``nginx-light`` (the physical-limit reference, ``gzip_static``) and
  ``libsqlite3-mod-spatialite`` (pygeoapi's SQLiteGPKG provider) from Debian;
* headless Chromium is installed by ``make browser`` (a prerequisite of
  ``make bench``).
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

from . import util

VENV = util.BENCH / ".venv-pygeoapi"
REQUIREMENTS = util.BENCH / "requirements-pygeoapi.txt"
TIPG_VENV = util.BENCH / ".venv-tipg"
TIPG_REQUIREMENTS = util.BENCH / "requirements-tipg.txt"
SPATIALITE = "/usr/lib/x86_64-linux-gnu/mod_spatialite.so"
SYSTEM_PYTHON = "/usr/bin/python3.11"
APT_PACKAGES = {"wrk": "wrk", "python3-gdal": None}


def _apt_install(packages: list[str]) -> None:
    sudo = [] if os.geteuid() == 0 else ["sudo"]
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    util.log(f"apt-get install {' '.join(packages)}")
    subprocess.run(sudo + ["apt-get", "update", "-qq"], check=True, env=env)
    subprocess.run(
        sudo + ["apt-get", "install", "-y", "-qq", *packages], check=True, env=env, stdout=subprocess.DEVNULL
    )


def _has_debian_gdal() -> bool:
    if not os.path.exists(SYSTEM_PYTHON):
        return False
    res = subprocess.run([SYSTEM_PYTHON, "-c", "from osgeo import ogr"], capture_output=True)
    return res.returncode == 0


def ensure() -> Path:
    """Install what is missing; return the pygeoapi venv's python."""
    missing = []
    if not shutil.which("wrk"):
        missing.append("wrk")
    if not _has_debian_gdal():
        missing.append("python3-gdal")
    if not os.path.exists(SYSTEM_PYTHON):
        missing += ["python3.11", "python3.11-venv"]
    if not (shutil.which("nginx") or os.path.exists("/usr/sbin/nginx")):
        missing.append("nginx-light")
    if not os.path.exists(SPATIALITE):
        missing.append("libsqlite3-mod-spatialite")
    if missing:
        _apt_install(missing)
    py = VENV / "bin" / "python"
    stamp = VENV / ".installed"
    if not stamp.exists() or stamp.read_text() != REQUIREMENTS.read_text():
        util.log(f"creating {VENV.relative_to(util.ROOT)} (pygeoapi, pinned in {REQUIREMENTS.name})")
        if VENV.is_symlink() and not VENV.exists():  # a link left by another checkout, to nowhere
            VENV.unlink()
        if not py.exists():
            subprocess.run([SYSTEM_PYTHON, "-m", "venv", "--system-site-packages", str(VENV)], check=True)
        subprocess.run([str(py), "-m", "pip", "install", "-q", "-r", str(REQUIREMENTS)], check=True)
        subprocess.run([str(py), "-c", "from osgeo import ogr; import pygeoapi.provider.ogr"], check=True)
        stamp.write_text(REQUIREMENTS.read_text())
    _ensure_tipg()
    return py


def _ensure_tipg() -> None:
    """``bench/.venv-tipg`` with the pinned tipg (its own venv: its FastAPI/pydantic stack
    is none of the app's business)."""
    py = TIPG_VENV / "bin" / "python"
    stamp = TIPG_VENV / ".installed"
    if stamp.exists() and stamp.read_text() == TIPG_REQUIREMENTS.read_text():
        return
    util.log(f"creating {TIPG_VENV.relative_to(util.ROOT)} (tipg, pinned in {TIPG_REQUIREMENTS.name})")
    if not py.exists():
        subprocess.run([SYSTEM_PYTHON, "-m", "venv", str(TIPG_VENV)], check=True)
    subprocess.run([str(py), "-m", "pip", "install", "-q", "-r", str(TIPG_REQUIREMENTS)], check=True)
    subprocess.run([str(py), "-c", "import tipg.main"], check=True)
    stamp.write_text(TIPG_REQUIREMENTS.read_text())
