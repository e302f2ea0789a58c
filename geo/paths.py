"""Where the data lives.

The repository's ``data/`` folder holds the sources; ``build/`` holds what
``python -m geo build`` compiles from them.  Both may be moved with
environment variables (``GEO_DATA_DIR``, ``GEO_BUILD_DIR``), which tests use
to work on copies.
"""

from __future__ import annotations

import os
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def data_dir() -> Path:
    """The source data folder (``data/`` or ``$GEO_DATA_DIR``)."""
    return Path(os.environ.get("GEO_DATA_DIR", ROOT / "data"))


def build_dir() -> Path:
    """The build folder (``build/`` or ``$GEO_BUILD_DIR``)."""
    return Path(os.environ.get("GEO_BUILD_DIR", ROOT / "build"))


def boundaries_dir() -> Path:
    return data_dir() / "boundaries"


def indicators_dir() -> Path:
    return data_dir() / "indicators"


def facts_dir() -> Path:
    return data_dir() / "sources" / "facts"


def layers_dir() -> Path:
    """Declarative layer files (``layers/`` or ``$GEO_LAYERS_DIR``)."""
    return Path(os.environ.get("GEO_LAYERS_DIR", ROOT / "layers"))


def gpkg_path() -> Path:
    """The compiled GeoPackage the app serves from.

    ``$GEO_GPKG`` when set; else the current dataset version made by an
    upload (:mod:`geo.uploads.versions`, under ``$GEO_STATE_DIR``); else the base
    build ``build/kontum.gpkg``.
    """
    if os.environ.get("GEO_GPKG"):
        return Path(os.environ["GEO_GPKG"])
    from geo.uploads.versions import current_gpkg  # geo.uploads.versions imports this module

    return current_gpkg() or build_dir() / "kontum.gpkg"
