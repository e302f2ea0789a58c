"""A server start from the caches the last start made (issue 16: Kon Tum answering < 3 s).

``python -m app`` fills the caches in gunicorn's master before forking (the
warm-up of :mod:`app.__main__`: the OGC collections, the targeting context,
the map page and its layer payloads — 7 s of CPU for Kon Tum, a minute for
the national coverage).  What it made depends only on the data version, the
code and the settings, so it is kept in a snapshot (:func:`geo.cache.save_snapshot`)
under the state folder, one file per data source, and the next start with the
same three reads it back in a fraction of a second (:func:`restore`) — the
warm-up then finds every answer made.  ``python -m app --prepare`` (run by
``make build``) makes the snapshot at build time.

The snapshot is refused, and the warm-up computes as before, when any of the
three changed: another data version (a new build, an upload, a restore),
other code (any file of ``app/``, ``geo/`` or the layer files: path, size,
modification time; the installed versions of the libraries the values are
made of) or other settings (:func:`stamp`).
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import pickle
import sys
from pathlib import Path

from flask import Flask

from geo import cache
from geo.backends.base import BackendError

from . import context

#: The libraries whose objects (frames, geometries, arrays) or output (the page) are kept.
LIBRARIES = ("pandas", "geopandas", "shapely", "numpy", "pyarrow", "pyproj", "pyogrio", "folium", "branca", "Flask")
#: The files the kept values are made by (code, templates, message catalogues, layer files).
CODE_SUFFIXES = frozenset({".py", ".toml", ".lark", ".html", ".js", ".css", ".json"})
ROOT = Path(__file__).resolve().parents[1]
STAMP_KEY = "warm_stamp"  # app.extensions: the app's stamp, made once
#: Snapshots kept in the state folder (one per data source; a database's stay until pushed out).
KEEP_SNAPSHOTS = 4


def _library_version(name: str) -> str:
    try:
        return importlib.metadata.version(name)
    except importlib.metadata.PackageNotFoundError:
        return "-"


def _tree(folder: Path):
    if not folder.is_dir():
        return
    for path in sorted(folder.rglob("*")):
        if path.suffix in CODE_SUFFIXES and "__pycache__" not in path.parts:
            st = path.stat()
            yield f"{path.relative_to(folder)}:{st.st_size}:{st.st_mtime_ns}"


def stamp(app: Flask) -> str:
    """What the kept values depend on besides the data: the code, the libraries and the settings.

    A digest (SHA-256) — no setting, secret or path is written into the snapshot.  Made once
    per app (the code it runs does not change under it): the map cache's token, the restore
    and the save all use it.
    """
    made = app.extensions.get(STAMP_KEY)
    if made is None:
        made = app.extensions[STAMP_KEY] = _stamp(app)
    return made


def _stamp(app: Flask) -> str:
    conf = context.settings_of(app)
    h = hashlib.sha256()
    h.update(sys.version.encode())
    for name in LIBRARIES:
        h.update(f"\0{name}={_library_version(name)}".encode())
    for folder in (ROOT / "app", ROOT / "geo", Path(conf.layers_dir)):
        h.update(f"\0{folder}".encode())
        for line in _tree(folder):
            h.update(line.encode() + b"\n")
    h.update(repr(conf).encode())
    return h.hexdigest()


def path_for(app: Flask, version: cache.Version) -> Path:
    """The snapshot file of the data source of ``version`` under the state folder."""
    name = hashlib.sha256(version.source.encode()).hexdigest()[:16]
    return Path(context.settings_of(app).state_dir) / "warm" / f"{name}.pickle"


def _snapshot(app: Flask) -> tuple[cache.Version, Path] | None:
    """The data version ``app`` serves and the file of its snapshot; None without data (no
    build, no database: the routes answer 503)."""
    with app.app_context():
        try:
            version = context.data_version()
        except (BackendError, OSError):
            return None
    return version, path_for(app, version)


def restore(app: Flask) -> tuple[int, str]:
    """Fill the caches from the snapshot of ``app``'s data: (entries kept, what happened)."""
    found = _snapshot(app)
    if found is None:
        return 0, "no data to serve"
    version, path = found
    try:
        kept = cache.load_snapshot(path, [version], stamp(app))
    except cache.SnapshotRefused as why:
        return 0, str(why)
    except OSError as exc:
        return 0, f"{path}: {exc.strerror or exc}"
    return kept, f"{kept} cached values from {path}"


def save(app: Flask) -> tuple[int, str]:
    """Write the snapshot of what the caches hold for ``app``'s data: (entries, what happened)."""
    found = _snapshot(app)
    if found is None:
        return 0, "no data to serve"
    version, path = found
    try:
        n = cache.save_snapshot(path, [version], stamp(app))
    except OSError as exc:  # a read-only or full state folder: the next start warms up again
        return 0, f"not saved to {path}: {exc.strerror or exc}"
    except (pickle.PicklingError, TypeError, AttributeError) as exc:  # a kept value pickle cannot write
        return 0, f"not saved to {path}: {type(exc).__name__}: {exc}"
    prune(path.parent, keep=path)
    return n, f"{n} cached values saved to {path}"


def _mtime(path: Path) -> float:
    try:
        return path.stat().st_mtime
    except OSError:  # removed meanwhile by another start
        return 0.0


def prune(folder: Path, keep: Path, most: int = KEEP_SNAPSHOTS) -> list[Path]:
    """Remove the snapshots of ``folder`` no start can use (their GeoPackage changed or is
    gone), and all but the ``most`` newest; never ``keep``.  The files removed."""
    found = sorted(folder.glob("*.pickle"), key=_mtime, reverse=True)
    gone = []
    for rank, path in enumerate(found):
        if path == keep:
            continue
        versions = cache.snapshot_versions(path) or []
        if rank >= most or any(cache.is_current(v) is False for v in versions):
            path.unlink(missing_ok=True)
            gone.append(path)
    return gone
