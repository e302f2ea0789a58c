"""Where the data live.

The repository's ``data/`` folder holds the sources; ``build/`` holds what
``python -m geo build`` compiles from them; ``instance/`` the dataset
versions made by uploads.  All of them come from the process's settings
(:func:`geo.settings.active`; ``GEO_DATA_DIR``, ``GEO_BUILD_DIR``,
``GEO_STATE_DIR`` …), which tests point at copies.
"""

from __future__ import annotations

import os
from pathlib import Path

from geo import settings as geo_settings
from geo.settings import ROOT

__all__ = [
    "GPKG",
    "POINTER",
    "ROOT",
    "build_dir",
    "current_version_number",
    "data_dir",
    "gpkg_path",
    "layers_dir",
    "served_gpkg",
    "state_dir",
    "version_dir",
]

GPKG = "kontum.gpkg"
POINTER = "current"


def data_dir() -> Path:
    """The source data folder (``data/`` or ``$GEO_DATA_DIR``)."""
    return geo_settings.active().data_dir


def build_dir() -> Path:
    """The build folder (``build/`` or ``$GEO_BUILD_DIR``)."""
    return geo_settings.active().build_dir


def boundaries_dir() -> Path:
    return data_dir() / "boundaries"


def indicators_dir() -> Path:
    return data_dir() / "indicators"


def facts_dir() -> Path:
    return data_dir() / "sources" / "facts"


def layers_dir() -> Path:
    """Declarative layer files (``layers/`` or ``$GEO_LAYERS_DIR``)."""
    return geo_settings.active().layers_dir


def state_dir() -> Path:
    """The data-state folder of the dataset versions (``instance/`` or ``$GEO_STATE_DIR``)."""
    return geo_settings.active().state_dir


def version_dir(state: Path, number: int) -> Path:
    """The folder of dataset version ``number`` under the state folder ``state``."""
    return Path(state) / "versions" / f"{number:04d}"


#: The last pointer read per state folder: (the pointer's stat signature, the version number).
_POINTERS: dict[str, tuple[tuple, int]] = {}


def current_version_number(state: Path) -> int:
    """The current version under ``state`` (0, the base build, also when the pointer is broken
    or points at an incomplete version).

    Asked for every request: the pointer is read again only when its stat (inode, size,
    mtime — a new pointer is renamed into place) changed since the last read.
    """
    pointer = os.path.join(state, POINTER)
    try:
        st = os.stat(pointer)
    except OSError:
        return 0
    signature = (st.st_ino, st.st_size, st.st_mtime_ns)
    seen = _POINTERS.get(pointer)
    if seen is not None and seen[0] == signature:
        return seen[1]
    try:
        text = Path(pointer).read_text(encoding="ascii").strip()
    except (OSError, UnicodeDecodeError):
        return 0
    n = int(text) if text.isdigit() else 0
    n = n if n and (version_dir(state, n) / GPKG).is_file() else 0
    if n:  # an incomplete version is looked at again next time
        _POINTERS[pointer] = (signature, n)
    return n


def served_gpkg(settings: geo_settings.Settings) -> Path:
    """The GeoPackage ``settings`` serve: ``gpkg`` when set; else the current dataset version
    under ``state_dir`` (:mod:`geo.uploads.versions`); else the base build."""
    if settings.gpkg:
        return Path(settings.gpkg)
    n = current_version_number(settings.state_dir)
    return version_dir(settings.state_dir, n) / GPKG if n else settings.build_dir / GPKG


def gpkg_path() -> Path:
    """The compiled GeoPackage the process serves (:func:`served_gpkg` of the active settings)."""
    return served_gpkg(geo_settings.active())
