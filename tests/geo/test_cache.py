"""geo.cache: the one cache layer (byte bound, LRU, data versions, threads)."""

import threading

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from shapely.geometry import LineString, Point

from geo import cache


@pytest.fixture
def part(request):
    p = cache.partition(f"test-{request.node.name}", max_bytes=100, max_item=40)
    yield p
    p.clear()


V1 = cache.Version("src-a", "1")
V2 = cache.Version("src-a", "2")
OTHER = cache.Version("src-b", "1")


def test_byte_bound_holds(part):
    for i in range(20):
        part.put(V1, i, b"x" * 30)
        assert part.nbytes <= 100
        assert part.nbytes == sum(len(v) for v in part.values())
    assert len(part.keys()) == 3


def test_lru_order(part):
    for k in "abc":
        part.put(V1, k, b"x" * 30)
    assert part.get(V1, "a") == b"x" * 30  # "a" used: "b" is now the least recently used
    part.put(V1, "d", b"y" * 30)
    assert [k for _, k in part.keys()] == ["c", "a", "d"]


def test_entry_count_bound():
    p = cache.partition("test-count", max_bytes=10**6, max_entries=2)
    for k in range(5):
        p.put(V1, k, k)
    assert [k for _, k in p.keys()] == [3, 4]
    p.clear()


def test_new_data_version_drops_the_old_entries(part):
    other = cache.partition("test-other-partition", max_bytes=1000)
    part.put(V1, "a", b"1")
    other.put(V1, "a", b"1")
    part.put(OTHER, "a", b"2")
    assert part.get(V2, "a") is None  # first sight of version 2 of src-a
    assert part.keys() == [(OTHER, "a")] and other.keys() == []  # every partition, that source only
    assert part.get(OTHER, "a") == b"2"
    other.clear()


def test_invalidate_drops_a_source(part):
    part.put(V1, "a", b"1")
    part.put(OTHER, "a", b"2")
    cache.invalidate("src-a")
    assert part.keys() == [(OTHER, "a")]
    assert part.nbytes == 1


def test_oversized_values_are_not_kept(part):
    big = b"x" * 41
    assert part.put(V1, "big", big) is big  # returned, not kept
    assert part.get(V1, "big") is None and part.nbytes == 0
    assert part.get_or_make(V1, "big", lambda: big) == big and part.keys() == []


def test_replacing_a_value_keeps_the_count_right(part):
    part.put(V1, "a", b"x" * 30)
    part.put(V1, "a", b"x" * 10)
    assert part.nbytes == 10 and len(part.keys()) == 1


def test_sizes_of_frames_arrays_and_geometries():
    assert cache.sizeof(b"abcd") == 4 and cache.sizeof("Đắk") == len("Đắk".encode())
    assert cache.sizeof(np.zeros(100)) == 800
    frame = pd.DataFrame({"a": np.zeros(1000)})
    assert 8000 <= cache.sizeof(frame) < 9000
    line = LineString([(0, 0), (1, 1), (2, 2), (3, 3)])
    gdf = gpd.GeoDataFrame({"a": [1, 2]}, geometry=[line, Point(0, 0)])
    assert cache.sizeof(gdf) >= 5 * 16 + 200  # coordinates count, not the pointers only
    assert cache.sizeof({"k": [b"12", b"34"]}) > 4


def test_file_version_changes_with_the_file(tmp_path):
    import os

    f = tmp_path / "x.gpkg"
    f.write_bytes(b"1")
    v = cache.file_version(f)
    assert v.source == str(f) and v.token.startswith(str(f))
    os.utime(f, ns=(1, 1))
    assert cache.file_version(f) != v
    with pytest.raises(FileNotFoundError):
        cache.file_version(tmp_path / "missing")


def test_thread_safety_smoke():
    p = cache.partition("test-threads", max_bytes=5000, max_item=100)
    made = []
    errors = []

    def make(k):
        made.append(k)
        return b"v" * 50

    def work(n):
        try:
            for i in range(300):
                key = (n * 7 + i) % 40
                assert p.get_or_make(V1, key, lambda key=key: make(key)) == b"v" * 50
                assert p.nbytes <= 5000
        except Exception as exc:
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert p.nbytes == 50 * len(p.keys()) <= 5000
    assert len(made) >= 40
    p.clear()


def test_concurrent_askers_make_a_value_once():
    p = cache.partition("test-once", max_bytes=10**6)
    calls = []
    gate = threading.Event()

    def slow():
        calls.append(1)
        gate.wait(2)
        return "v"

    threads = [threading.Thread(target=p.get_or_make, args=(V1, "k", slow)) for _ in range(4)]
    for t in threads:
        t.start()
    gate.set()
    for t in threads:
        t.join()
    assert calls == [1] and p.get(V1, "k") == "v"
    p.clear()


def test_the_budgets_of_today_are_kept():
    """The limits the separate caches had are those of their partitions."""
    from app import map_page, raster_api, targets
    from geo.backends import embedded, postgis  # noqa: F401 - they declare their partitions
    from geo.ogc import features
    from geo.units import boundaries  # noqa: F401

    assert (targets.ANSWERS.max_bytes, targets.ANSWERS.max_item) == (16 * cache.MiB, 2 * cache.MiB)
    assert (map_page.MAP.max_bytes, map_page.MAP.max_entries) == (64 * cache.MiB, 512)
    assert features.ORDERS.max_entries == 256
    assert raster_api.RASTERS.max_entries == 16
    stats = cache.stats()
    assert {
        "layers",
        "collections",
        "orders",
        "targets",
        "geometry_text",
        "answers",
        "map",
        "map_geometry",
        "raster",
        "boundaries",
        "postgis",
    } <= set(stats)


def test_a_view_of_the_cache_is_not_counted_in_the_value_holding_it(part):
    part.put(V1, "a", b"x" * 40)
    holder = {"memo": cache.Memo(part, V1, "p"), "part": part}
    assert cache.sizeof(holder) < 40 + 200


def test_memo_keeps_values_in_its_partition(part):
    memo = cache.Memo(part, V1, "targeting")
    memo[("years", "poor_rate")] = b"2015"
    assert memo.get(("years", "poor_rate")) == b"2015"
    assert part.keys() == [(V1, ("targeting", ("years", "poor_rate")))]
    part.get(V2, "x")  # a new version: the memo's entries go
    assert memo.get(("years", "poor_rate")) is None
