"""geo.analysis.warm: the border and road distances stored next to the GeoPackage, per data version."""

from __future__ import annotations

import os
import shutil

import numpy as np
import pytest

from geo import cache
from geo.analysis import query, warm
from geo.backends.embedded import TARGETS, EmbeddedBackend
from geo.io import storage


@pytest.fixture
def copy(gpkg, tmp_path):
    """A copy of the session build (the build wrote its warm file; this copy has none yet)."""
    path = tmp_path / "kontum.gpkg"
    shutil.copy2(gpkg, path)
    return path


def _units(path):
    return {
        "commune": storage.read_layer("communes", path),
        "district": storage.read_layer("districts", path),
        "commune_2025": storage.read_layer("communes_2025", path),
    }


def _token(path):
    return cache.file_version(path).token


def test_the_build_writes_the_warm_file(gpkg):
    """``geo build`` stores the distances of the 102 communes, 10 districts and 40 communes of 2025."""
    found = warm.load(gpkg, _token(gpkg), _units(gpkg))
    assert found is not None
    assert {k: len(v) for k, v in found.items()} == {"commune": 102, "district": 10, "commune_2025": 40}
    communes = storage.read_layer("communes", gpkg)
    touching = found["commune"]["any"].to_numpy() == 0
    assert touching.sum() == 13  # the 13 border communes touch the line
    assert (touching == communes["on_border"].to_numpy()).all()
    assert int((found["commune"]["LAO"] == 0).sum()) == 7 and int((found["commune"]["KHM"] == 0).sum()) == 7


def test_stored_distances_are_the_computed_ones(copy):
    units = _units(copy)
    metric = {k: query.metric_geoms(v) for k, v in units.items()}
    computed = warm.compute(units, metric, storage.read_layer("border", copy), storage.read_layer("roads", copy))
    assert warm.load(copy, _token(copy), units) is None  # no file yet
    assert warm.write_for(copy) == warm.path_for(copy)
    loaded = warm.load(copy, _token(copy), units)
    for level in units:
        assert loaded[level].index.equals(units[level].index)
        assert list(loaded[level].columns) == ["LAO", "KHM", "any", "roads"]
        assert np.array_equal(loaded[level].to_numpy(), computed[level].to_numpy())


def test_a_new_data_version_ignores_the_file(copy):
    warm.write_for(copy)
    units = _units(copy)
    st = os.stat(copy)
    os.utime(copy, ns=(st.st_atime_ns, st.st_mtime_ns + 1_000_000_000))  # the GeoPackage was rewritten
    assert warm.load(copy, _token(copy), units) is None
    calls = []
    real = warm.compute

    def counting(*args):
        calls.append(1)
        return real(*args)

    metric = {k: query.metric_geoms(v) for k, v in units.items()}
    border, roads = storage.read_layer("border", copy), storage.read_layer("roads", copy)
    try:
        warm.compute = counting
        warm.distances(copy, _token(copy), units, metric, border, roads)  # computed and stored again
        warm.distances(copy, _token(copy), units, metric, border, roads)  # read from the new file
    finally:
        warm.compute = real
    assert calls == [1]
    assert warm.load(copy, _token(copy), units) is not None


def test_other_units_or_a_damaged_file_are_not_used(copy):
    warm.write_for(copy)
    units = _units(copy)
    fewer = dict(units, commune=units["commune"].iloc[:101])
    assert warm.load(copy, _token(copy), fewer) is None
    assert warm.load(copy, _token(copy), dict(units, other=units["district"])) is None
    warm.path_for(copy).write_bytes(b"not a zip file")
    assert warm.load(copy, _token(copy), units) is None


def test_the_embedded_backend_reads_the_file_instead_of_computing(copy, monkeypatch):
    """What a server start does: the targeting context of a built GeoPackage, no GEOS distance work."""
    warm.write_for(copy)

    def refuse(*args):
        raise AssertionError("the distances were computed again")

    monkeypatch.setattr(warm, "compute", refuse)
    TARGETS.clear()
    ctx = EmbeddedBackend(copy).targets()
    near = ctx.near_border("commune", 0.0)
    assert int(near.mask.sum()) == 13
    assert ctx.roads_dist["commune"].index.equals(ctx.units["commune"].index)
    TARGETS.clear()
