"""Shared fixtures.

``gpkg`` builds the GeoPackage once per test session (per xdist worker) into
a temporary folder and points ``GEO_GPKG`` at it, so tests always run on
what the current code builds, never on a stale ``build/``.
"""

from __future__ import annotations

import io
import os

import pytest
from hypothesis import settings

# CI runs the same examples every time (no flaky landings); locally hypothesis
# explores new examples on every run.
settings.register_profile("ci", derandomize=True, print_blob=True)
if os.environ.get("CI"):
    settings.load_profile("ci")


@pytest.fixture(scope="session")
def gpkg(tmp_path_factory):
    from geo.build import build

    path = tmp_path_factory.mktemp("build") / "kontum.gpkg"
    build(path, out=io.StringIO())
    old = os.environ.get("GEO_GPKG")
    os.environ["GEO_GPKG"] = str(path)
    yield path
    if old is None:
        os.environ.pop("GEO_GPKG", None)
    else:
        os.environ["GEO_GPKG"] = old


@pytest.fixture(scope="session")
def communes():
    from geo import units

    return units.load_communes()


@pytest.fixture(scope="session")
def districts():
    from geo import units

    return units.load_districts()
