"""Modules imported on first use: the heavy ones only some routes need.

matplotlib (the printed sheets, :mod:`geo.printing`) and rasterio with
scipy.ndimage (:mod:`geo.raster`) cost every server process about 70 MiB and
a second of start-up, for routes a planner opens rarely; the map page, the
layers, the OGC items and ``/targets`` never touch them.  pyogrio (GDAL,
27 MiB of library in every server process) reads and writes files: a server
that restored its caches from the warm-start snapshot serves the map, the
layers, the items and ``/targets`` without it, and loads it for the first
export, upload or uncached layer.  A module names such a module with
:func:`module` (and imports it under ``TYPE_CHECKING``, so that type
checkers and the import-linter contracts still see the import).
"""

from __future__ import annotations

import importlib
from types import ModuleType


class LazyModule:
    """Stands for the module ``name``, imported (once, thread-safely, by the import
    system) when one of its attributes is first read.

    >>> json = LazyModule("json")
    >>> json.dumps([1])
    '[1]'
    """

    def __init__(self, name: str):
        self._name = name

    def _module(self) -> ModuleType:
        return importlib.import_module(self._name)

    def __getattr__(self, attr: str):
        return getattr(self._module(), attr)

    def __repr__(self) -> str:
        return f"<lazy module {self._name!r}>"


def module(name: str) -> LazyModule:
    """The module ``name``, imported when first used (see :class:`LazyModule`)."""
    return LazyModule(name)
