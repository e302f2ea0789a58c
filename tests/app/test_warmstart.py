"""A start from the last start's caches (issue 16: Kon Tum answering < 3 s): app/warmstart.py.

``python -m app --prepare`` warms the caches and saves them under the state folder; the
next start restores them and its warm-up computes nothing.  Run in fresh interpreters,
as starts are, on the real build (102 communes).  The snapshot file format and its
refusals are tested on small values (:mod:`geo.cache`).
"""

from __future__ import annotations

import json
import os
import pickle
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from geo import cache

ROOT = Path(__file__).resolve().parents[2]

# A start after --prepare: restore, then warm up with every builder refused, then hash
# the warm-up's answers (and the page's first /targets, as the page asks it).
RESTORED = """
import hashlib, json, os, re, sys
import app.__main__ as main
from app import map_page, warmstart
from geo.backends import embedded
from geo.ogc import features

def refuse(*args, **kwargs):
    raise SystemExit("computed at a warm start: " + repr(args)[:200])

flask_app = main.create_app()
kept, what = warmstart.restore(flask_app)
if kept:
    features._build_all = embedded._targets = map_page.render_page = refuse
    map_page.geometry_payload = map_page.layer_payload = map_page.topology_payload = refuse
main.warm(flask_app, "http://127.0.0.1:5000")
client = flask_app.test_client()
answers = {}
for url in (*main.WARM_URLS, *main.page_geometry_urls(flask_app), *main.layer_urls()):
    resp = client.get(url, base_url="http://127.0.0.1:5000")
    body = re.sub(rb'"(generated_at|timeStamp)": ?"[^"]*"', b"", resp.get_data())  # when it was asked
    body = re.sub(rb"_[0-9a-f]{32}", b"_ID", body)  # the page: Folium names each element at random
    answers[url] = [resp.status_code, hashlib.sha256(body).hexdigest()]
# the targeting context's observations are a shallow copy of the layer: one set of buffers
from geo import cache
from geo.io import storage
version = cache.file_version(os.environ["GEO_GPKG"])
layer = storage.LAYERS.get(version, ("layer", "observations"))
ctx = embedded.TARGETS.get(version, "targets")
def address(frame):
    return frame["indicator"].array.__arrow_array__().chunk(0).buffers()[-1].address
shared = layer is not None and ctx is not None and address(layer) == address(ctx.obs)
print(json.dumps({"kept": kept, "what": what, "answers": answers, "folium": "folium" in sys.modules,
                  "pyogrio": "pyogrio" in sys.modules, "shared": shared}))
"""


def _env(gpkg: Path, state: Path) -> dict:
    env = dict(os.environ, GEO_GPKG=str(gpkg), GEO_STATE_DIR=str(state), PYTHONPATH=str(ROOT))
    env.pop("DATABASE_URL", None)
    return env


def _run(args: list[str], env: dict) -> subprocess.CompletedProcess:
    res = subprocess.run(args, cwd=ROOT, env=env, capture_output=True, text=True, timeout=900)
    assert res.returncode == 0, res.stderr[-3000:]
    return res


def _restored(env: dict) -> dict:
    return json.loads(_run([sys.executable, "-c", RESTORED], env).stdout.strip().splitlines()[-1])


@pytest.fixture(scope="module")
def prepared(gpkg, tmp_path_factory):
    """A copy of the real build, prepared (--prepare) in its own state folder."""
    folder = tmp_path_factory.mktemp("warmstart")
    data = folder / "kontum.gpkg"
    shutil.copy2(gpkg, data)
    for side in gpkg.parent.glob(gpkg.name + ".*"):  # the stored distances (geo.analysis.warm)
        shutil.copy2(side, folder / side.name)
    env = _env(data, folder / "state")
    res = _run([sys.executable, "-m", "app", "--prepare", "--port", "5000"], env)
    return env, data, folder / "state", res.stderr


def test_prepare_writes_one_private_snapshot(prepared):
    env, data, state, stderr = prepared
    files = list((state / "warm").glob("*.pickle"))
    assert len(files) == 1
    assert "cached values saved to" in stderr
    assert files[0].stat().st_mode & 0o077 == 0  # unpickled when read: its owner's only
    versions = cache.snapshot_versions(files[0])
    assert versions == [cache.file_version(data)]
    assert not list((state / "warm").glob(".*.tmp"))  # written beside, renamed: nothing left over


def test_a_restored_start_computes_nothing_and_answers_the_same_bytes(prepared):
    env, data, state, _ = prepared
    restored = _restored(env)
    assert restored["kept"] > 10, restored["what"]
    assert restored["folium"] is False  # the page was found: Folium (1 s of imports) not needed
    assert restored["pyogrio"] is False  # nothing read from a file: GDAL (27 MiB per process) not loaded
    # a start that finds no snapshot (another state folder) computes everything
    cold = _restored({**env, "GEO_STATE_DIR": str(state.parent / "cold-state")})
    assert cold["kept"] == 0 and "no snapshot" in cold["what"]
    assert cold["folium"] is True
    assert all(status == 200 for status, _ in restored["answers"].values())
    assert restored["answers"] == cold["answers"]  # byte for byte: page, layers, /targets, items
    assert restored["shared"] and cold["shared"]  # restored, the layer's buffers are not doubled


def test_a_changed_geopackage_is_never_served_from_the_snapshot(prepared):
    env, data, state, _ = prepared
    st = data.stat()
    os.utime(data, ns=(st.st_atime_ns, st.st_mtime_ns + 1_000_000_000))  # a new data version
    try:
        res = _restored(env)
    finally:
        os.utime(data, ns=(st.st_atime_ns, st.st_mtime_ns))
    assert res["kept"] == 0
    assert "another data version" in res["what"]
    assert all(status == 200 for status, _ in res["answers"].values())


# --------------------------------------------------------------------------- the file


@pytest.fixture
def part():
    name = "test-snapshot"
    p = cache.partition(name, max_bytes=10_000)
    p.clear()
    yield p
    p.clear()


V1 = cache.Version("demo.gpkg", "demo.gpkg:1:10")
V2 = cache.Version("demo.gpkg", "demo.gpkg:2:10")
OTHER = cache.Version("other.gpkg", "other.gpkg:1:10")


def test_round_trip_keeps_entries_of_the_versions_asked(part, tmp_path):
    part.put(V1, "a", b"12345")
    part.put(V1, ("b", 2), {"x": [1, 2]})
    part.put(OTHER, "c", b"other source")
    path = tmp_path / "s.pickle"
    assert cache.save_snapshot(path, [V1], "stamp-1") == 2
    part.clear()
    assert cache.load_snapshot(path, [V1], "stamp-1") == 2
    assert part.get(V1, "a") == b"12345" and part.get(V1, ("b", 2)) == {"x": [1, 2]}
    assert part.get(OTHER, "c") is None  # not saved: not asked for


def test_a_memo_comes_back_writing_into_the_live_partition(part, tmp_path):
    memo = cache.Memo(part, V1, "ctx")
    part.put(V1, "holder", {"memo": memo})
    path = tmp_path / "s.pickle"
    cache.save_snapshot(path, [V1], "s")
    part.clear()
    cache.load_snapshot(path, [V1], "s")
    restored = part.get(V1, "holder")["memo"]
    assert restored.part is part  # the partition of that name, not a copy of it
    restored["k"] = 42
    assert part.get(V1, ("ctx", "k")) == 42


@pytest.mark.parametrize(
    ("stamp", "versions", "reason"),
    [("stamp-2", [V1], "other code or settings"), ("stamp-1", [V2], "another data version")],
)
def test_refused_when_made_by_other_code_or_for_other_data(part, tmp_path, stamp, versions, reason):
    part.put(V1, "a", b"1")
    path = tmp_path / "s.pickle"
    cache.save_snapshot(path, [V1], "stamp-1")
    part.clear()
    with pytest.raises(cache.SnapshotRefused, match=reason):
        cache.load_snapshot(path, versions, stamp)
    assert part.keys() == []


def test_refused_when_missing_damaged_foreign_or_writable_by_others(part, tmp_path):
    with pytest.raises(cache.SnapshotRefused, match="no snapshot"):
        cache.load_snapshot(tmp_path / "none.pickle", [V1], "s")
    not_ours = tmp_path / "x.pickle"
    not_ours.write_bytes(b"hello\n")
    os.chmod(not_ours, 0o600)
    with pytest.raises(cache.SnapshotRefused, match="not a snapshot"):
        cache.load_snapshot(not_ours, [V1], "s")
    part.put(V1, "a", b"1")
    path = tmp_path / "s.pickle"
    cache.save_snapshot(path, [V1], "s")
    os.chmod(path, 0o666)
    with pytest.raises(cache.SnapshotRefused, match="writable by others"):
        cache.load_snapshot(path, [V1], "s")
    os.chmod(path, 0o600)
    data = path.read_bytes()
    path.write_bytes(data[: len(data) - 20])  # cut short
    with pytest.raises(cache.SnapshotRefused, match="damaged"):
        cache.load_snapshot(path, [V1], "s")


def test_a_value_pickle_cannot_write_is_an_error_and_leaves_no_file(part, tmp_path):
    part.put(V1, "lambda", lambda: 1)
    path = tmp_path / "s.pickle"
    with pytest.raises((pickle.PicklingError, AttributeError, TypeError)):
        cache.save_snapshot(path, [V1], "s")
    assert list(tmp_path.iterdir()) == []


def test_prune_removes_stale_and_surplus_snapshots(part, tmp_path):
    from app import warmstart

    real = tmp_path / "real.gpkg"
    real.write_bytes(b"x")
    current = cache.file_version(real)
    gone = cache.Version(str(tmp_path / "gone.gpkg"), f"{tmp_path / 'gone.gpkg'}:1:1")
    db = cache.Version("postgresql://h/db", "7")
    folder = tmp_path / "warm"
    for name, version in [("cur", current), ("gone", gone), ("db", db)]:
        part.put(version, "a", b"1")
        cache.save_snapshot(folder / f"{name}.pickle", [version], "s")
    os.utime(folder / "db.pickle", (1_000_000, 1_000_000))  # the oldest
    removed = warmstart.prune(folder, keep=folder / "cur.pickle")
    assert [p.name for p in removed] == ["gone.pickle"]
    assert sorted(p.name for p in folder.glob("*.pickle")) == ["cur.pickle", "db.pickle"]
    assert warmstart.prune(folder, keep=folder / "cur.pickle", most=1) == [folder / "db.pickle"]


def test_arrays_sharing_memory_are_written_once_and_come_back_shared(tmp_path):
    """A layer and a shallow copy of it (what :func:`geo.io.storage.read_layer` hands out)
    share their buffers; the snapshot writes them once and restores them shared."""
    import pandas as pd

    frame = pd.DataFrame({"name": pd.array([f"xã {i}" for i in range(2000)], dtype="str"), "v": range(2000)})
    frame["v"] = frame["v"] * 0.5
    part = cache.partition("test-snapshot-frames", max_bytes=cache.MiB)
    part.clear()
    part.put(V1, "layer", frame)
    alone, shared = tmp_path / "alone.pickle", tmp_path / "shared.pickle"
    cache.save_snapshot(alone, [V1], "s")
    part.put(V1, "context", frame.copy(deep=False))
    cache.save_snapshot(shared, [V1], "s")
    assert shared.stat().st_size < 1.05 * alone.stat().st_size  # the second frame: references only
    part.clear()
    cache.load_snapshot(shared, [V1], "s")
    layer, context = part.get(V1, "layer"), part.get(V1, "context")
    assert layer.equals(frame) and context.equals(frame)

    def address(f):
        return f["name"].array.__arrow_array__().chunk(0).buffers()[-1].address

    assert address(layer) == address(context)
    context.loc[0, "name"] = "changed"  # still two frames: a write to one leaves the other
    assert layer.loc[0, "name"] == "xã 0"
    part.clear()
