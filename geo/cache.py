"""The one cache of the data the app serves, bounded by bytes, keyed by data version.

Every value computed from the served data (layers read from the GeoPackage
or the database, the OGC collections, the targeting context, map payloads,
/targets answers, rasters …) is kept here and nowhere else.  An entry is
``(version, key) → value``:

``version``
    a :class:`Version` — the data ``source`` (the GeoPackage path, the
    database as :meth:`geo.backends.Backend.describe` names it) and its
    ``token``, the backend's :meth:`~geo.backends.Backend.version` (for a
    file: path, modification time and size, :func:`file_version`).  Both
    backends key their values the same way (:func:`version_of`).
``key``
    anything hashable that names the value within that version.

Invalidation happens in ONE place: when a token of a source is first seen,
the entries of that source's other tokens are dropped (a new build, upload
or restore — seen by every process on its next request), and
:func:`invalidate` drops a source at once where a version is written.

Memory is bounded per **partition** (a named budget: :func:`partition`),
least recently used entries out first; a value larger than its partition's
``max_item`` is returned but not kept.  Sizes are estimated by
:func:`sizeof` (bytes / str / frames / numpy arrays their real size,
geometries by their coordinates).  The partitions and their budgets — the
whole cache holds at most their sum:

==================  ===========  ==========================================
partition           budget       what
==================  ===========  ==========================================
``layers``          2 GiB        layers read (GeoPackage, PostGIS)
``collections``     1 GiB        built OGC collections per GeoPackage
``orders``          64 MiB,      OGC ``sortby`` row orders (user input)
                    256 entries
``targets``         1 GiB        the embedded targeting contexts
``target_values``   256 MiB      their value look-ups (per indicator, year,
                                 units: :mod:`geo.analysis.targeting`)
``geometry_text``   32 MiB       GeoJSON text of units' geometries
``answers``         16 MiB       /targets answers, at most 2 MiB each
``map``             64 MiB,      serialised map payloads (all apps of the
                    512 entries  process together: one app in production)
``map_geometry``    256 MiB      display geometry of the map layers
``raster``          256 MiB,     rasters made by /raster
                    16 entries
``boundaries``      256 MiB      the source boundaries (``geo.units``)
``postgis``         64 MiB       PostGIS snapshots, districts, unit lists
``compressed``      128 MiB,     brotli/gzip variants of answers with an
                    1024 entries ETag (:mod:`app.http_cache`)
``coded_pages``     128 MiB,     whole coded OGC items answers (headers and
                    256 entries  body) by request, replayed before Flask
                                 (:class:`app.http_cache.KeptPages`)
``profiles``        128 MiB,     unit profile contexts: locator paths,
                    8 entries    distances, observations by unit
                                 (:mod:`geo.printing.profile`)
``static``          64 MiB       static files' content hashes and their
                                 compressed variants (per file version)
``tiles``           64 MiB,      vector tiles (MVT) of both backends
                    8192 entries (:mod:`geo.ogc.tiles`)
==================  ===========  ==========================================

The owners declare them (:mod:`geo.io.storage`, :mod:`geo.ogc.features`, :mod:`geo.ogc.tiles`,
:mod:`geo.backends.embedded`, :mod:`geo.backends.postgis`, :mod:`geo.units.boundaries`,
:mod:`app.targets`, :mod:`app.map_page`, :mod:`app.raster_api`, :mod:`app.http_cache`).  Today's
limits are kept: the /targets answers, map payloads, sort orders and rasters
have the bounds they had; the layers, collections and contexts, unbounded
per file before (one entry per file version), get a budget far above what
the national scale needs (876 MiB PSS for the whole worker).

The cache is per process and thread-safe.  gunicorn's master fills it
before forking (``app/__main__.py`` warm-up), so the workers start with it
and share its pages; the locks are made anew in each child.

Example
-------
>>> part = partition("doctest", max_bytes=10, max_item=6)
>>> v1, v2 = Version("demo.gpkg", "1"), Version("demo.gpkg", "2")
>>> part.put(v1, "a", b"12345")
b'12345'
>>> part.get(v1, "a"), part.nbytes
(b'12345', 5)
>>> part.put(v1, "big", b"1234567") and part.get(v1, "big") is None  # over max_item: not kept
True
>>> _ = part.put(v1, "b", b"123"); _ = part.put(v1, "c", b"1234")  # 12 bytes: "a" (oldest) goes
>>> sorted(k for _, k in part.keys())
['b', 'c']
>>> part.get(v2, "b") is None, part.keys()  # a new version drops the old one's entries
(True, [])
>>> part.get_or_make(v2, "n", lambda: "made"), part.get_or_make(v2, "n", lambda: "again")
('made', 'made')
>>> invalidate("demo.gpkg"); part.keys()
[]
"""

from __future__ import annotations

import json
import os
import pickle
import sys
import threading
from collections import OrderedDict
from collections.abc import Callable, Collection, Hashable
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple, TypeVar

import numpy as np
import pandas as pd

if TYPE_CHECKING:  # annotations only: the cache (the lowest layer) imports nothing of geo at run time
    from geo.backends.base import Backend

KiB, MiB, GiB = 1024, 1024**2, 1024**3
T = TypeVar("T")  # the type of a kept value (put / get_or_make give back what they were given)


class Version(NamedTuple):
    """A data version: its ``source`` (path, database) and the source's current ``token``."""

    source: str
    token: str


def file_version(path: Path | str) -> Version:
    """The version of a file: its path, modification time (ns) and size.

    The token is what :meth:`geo.backends.embedded.EmbeddedBackend.version`
    answers.  Raises ``FileNotFoundError`` when the file is missing.
    """
    st = os.stat(path)
    return Version(str(path), f"{path}:{st.st_mtime_ns}:{st.st_size}")


def version_of(backend: Backend) -> Version:
    """The data version a backend (:mod:`geo.backends`) serves now."""
    return Version(*backend.version_parts())


# --------------------------------------------------------------------------- sizes


def sizeof(value: Any, _seen: set | None = None) -> int:
    """An estimate of the memory ``value`` holds, in bytes.

    bytes and str count their length, numpy arrays their ``nbytes``, frames
    ``memory_usage(deep=True)``, geometries 16 bytes a coordinate (+100 a
    geometry); containers and objects the sum of their parts (each object
    once).

    >>> sizeof(b"abc"), sizeof(np.zeros(4)), sizeof(pd.Series([1.0, 2.0])) >= 16
    (3, 32, True)
    """
    seen = set() if _seen is None else _seen
    if id(value) in seen:
        return 0
    seen.add(id(value))
    if isinstance(value, (bytes, bytearray)):
        return len(value)
    if isinstance(value, str):
        return len(value) if value.isascii() else len(value.encode("utf-8"))
    if isinstance(value, memoryview):
        return value.nbytes
    if isinstance(value, (pd.DataFrame, pd.Series)):
        return _frame_size(value)
    if isinstance(value, np.ndarray):
        return _array_size(value)
    if isinstance(value, (list, tuple, set, frozenset)):
        return 56 + sum(sizeof(v, seen) for v in value)
    if isinstance(value, dict):
        return 64 + sum(sizeof(k, seen) + sizeof(v, seen) for k, v in value.items())
    if _is_geometry(value):
        return _geometry_size(np.array([value], dtype=object))
    if isinstance(value, (Partition, Memo)):
        return 0  # a view of the cache: its entries count where they are kept
    fields = getattr(value, "__dict__", None)
    if fields is not None and not isinstance(value, type):
        return 64 + sum(sizeof(v, seen) for v in fields.values())
    return sys.getsizeof(value)


def _is_geometry(value) -> bool:
    return type(value).__module__.startswith("shapely")


def _geometry_size(geoms: np.ndarray) -> int:
    import shapely

    try:
        coords = shapely.get_num_coordinates(geoms)
    except (TypeError, ValueError):
        return 0
    return int(coords.sum()) * 16 + 100 * len(geoms)


def _array_size(arr: np.ndarray) -> int:
    if arr.dtype != object or arr.size == 0:
        return int(arr.nbytes)
    flat = arr.ravel()
    sample = flat[:: max(1, len(flat) // 64)]
    if all(v is None or _is_geometry(v) for v in sample):
        return int(arr.nbytes) + _geometry_size(flat)
    mean = sum(sizeof(v) for v in sample) / len(sample)
    return int(arr.nbytes + mean * len(flat))


def _frame_size(frame: pd.DataFrame | pd.Series) -> int:
    if isinstance(frame, pd.Series):
        frame = frame.to_frame()
    total = 0
    for name in frame.columns:
        col = frame[name]
        if str(col.dtype) == "geometry":
            total += int(col.array.nbytes) + _geometry_size(np.asarray(col.array, dtype=object))
        else:
            total += int(col.memory_usage(deep=True, index=False))
    return total + int(frame.index.memory_usage(deep=True))


# --------------------------------------------------------------------------- the store

_lock = threading.RLock()
_partitions: dict[str, Partition] = {}
_current: dict[str, str] = {}  # source → the token seen last
_building: dict[tuple, threading.Lock] = {}


def _see(version: Version) -> None:
    """Note ``version``; a new token of its source drops the source's other entries (lock held)."""
    if _current.get(version.source) != version.token:
        if version.source in _current:
            _drop(lambda v: v.source == version.source and v.token != version.token)
        _current[version.source] = version.token


def _drop(which: Callable[[Version], bool]) -> None:
    for part in _partitions.values():
        part._drop(which)


class Partition:
    """A named budget of the cache: at most ``max_bytes`` (and ``max_entries``), LRU.

    Values over ``max_item`` bytes (default: ``max_bytes``) are not kept.
    Use :func:`partition` to get one.
    """

    def __init__(self, name: str, max_bytes: int, max_item: int | None = None, max_entries: int | None = None):
        self.name, self.max_bytes, self.max_entries = name, max_bytes, max_entries
        self.max_item = max_item
        self._entries: OrderedDict[tuple[Version, Hashable], tuple[Any, int]] = OrderedDict()
        self.nbytes = 0

    def __reduce__(self):
        # A value that holds a partition (a :class:`Memo`) holds *the* partition of that
        # name: pickled by name, never with its entries (:func:`save_snapshot`).
        return partition, (self.name, self.max_bytes, self.max_item, self.max_entries)

    def get(self, version: Version, key: Hashable, default: Any = None) -> Any:  # Any: values of every kind
        """The value kept for ``key`` in ``version`` (most recently used now), else ``default``."""
        with _lock:
            _see(version)
            hit = self._entries.get((version, key))
            if hit is None:
                return default
            self._entries.move_to_end((version, key))
            return hit[0]

    def put(self, version: Version, key: Hashable, value: T, size: int | None = None) -> T:
        """Keep ``value`` (``size`` bytes, estimated when not given) unless it is too large; return it."""
        size = sizeof(value) if size is None else int(size)
        with _lock:
            _see(version)
            old = self._entries.pop((version, key), None)
            if old is not None:
                self.nbytes -= old[1]
            if size > min(self.max_bytes, self.max_item or self.max_bytes):
                return value
            self._entries[(version, key)] = (value, size)
            self.nbytes += size
            self._shrink()
        return value

    def get_or_make(self, version: Version, key: Hashable, make: Callable[[], T], size: int | None = None) -> T:
        """The value kept for ``key``, else ``make()`` — made once when threads ask at the same time."""
        missing = object()
        hit = self.get(version, key, missing)
        if hit is not missing:
            return hit
        full = (self.name, version, key)
        with _lock:
            build = _building.setdefault(full, threading.Lock())
        try:
            with build:
                hit = self.get(version, key, missing)
                if hit is missing:
                    hit = self.put(version, key, make(), size)
        finally:
            with _lock:
                _building.pop(full, None)
        return hit

    def discard(self, version: Version, key: Hashable) -> None:
        """Forget ``key`` of ``version``."""
        with _lock:
            old = self._entries.pop((version, key), None)
            if old is not None:
                self.nbytes -= old[1]

    def keys(self) -> list[tuple[Version, Hashable]]:
        """The (version, key) pairs kept, least recently used first."""
        with _lock:
            return list(self._entries)

    def values(self) -> list:
        """The values kept, least recently used first."""
        with _lock:
            return [v for v, _ in self._entries.values()]

    def clear(self) -> None:
        """Forget every entry of this partition."""
        with _lock:
            self._entries.clear()
            self.nbytes = 0

    def _shrink(self) -> None:
        while self._entries and (
            self.nbytes > self.max_bytes or (self.max_entries is not None and len(self._entries) > self.max_entries)
        ):
            _, (_, size) = self._entries.popitem(last=False)
            self.nbytes -= size

    def _drop(self, which: Callable[[Version], bool]) -> None:
        for k in [k for k in self._entries if which(k[0])]:
            self.nbytes -= self._entries.pop(k)[1]


class Memo:
    """A mapping view of one version in a partition, for code that memoises into a dict.

    ``memo[key] = value`` keeps ``value`` under ``(prefix, key)`` of ``version``;
    ``memo.get(key, default)`` reads it back (entries may have been evicted:
    there is no ``in`` test, so ask with ``get``).

    >>> memo = Memo(partition("doctest-memo", max_bytes=100), Version("doctest", "1"), "x")
    >>> memo["a"] = [1]
    >>> memo.get("a"), memo.get("b", "none")
    ([1], 'none')
    """

    def __init__(self, part: Partition, version: Version, prefix: Hashable = None):
        self.part, self.version, self.prefix = part, version, prefix

    def get(self, key: Hashable, default: Any = None) -> Any:  # Any: values of every kind
        """The value kept for ``key``, else ``default``."""
        return self.part.get(self.version, (self.prefix, key), default)

    def __setitem__(self, key: Hashable, value) -> None:
        self.part.put(self.version, (self.prefix, key), value)


def partition(name: str, max_bytes: int, max_item: int | None = None, max_entries: int | None = None) -> Partition:
    """The partition ``name`` of the cache, created with this budget on first use.

    Asking again for an existing partition gives it back unchanged.
    """
    with _lock:
        part = _partitions.get(name)
        if part is None:
            part = _partitions[name] = Partition(name, max_bytes, max_item, max_entries)
        return part


def invalidate(source: str | None = None) -> None:
    """Drop every entry of ``source`` (a path or database; None: everything).

    Call it where a version is written, so this process never serves the
    old one; other processes notice the new token by themselves.
    """
    with _lock:
        if source is None:
            _drop(lambda v: True)
            _current.clear()
        else:
            _drop(lambda v: v.source == source)
            _current.pop(source, None)


def stats() -> dict[str, dict[str, int]]:
    """Per partition: entries, bytes held and budget."""
    with _lock:
        return {
            name: {"entries": len(p._entries), "bytes": p.nbytes, "max_bytes": p.max_bytes}
            for name, p in _partitions.items()
        }


# --------------------------------------------------------------------------- snapshots

#: The first line of a snapshot file (then a JSON header line, then the pickled entries).
SNAPSHOT_FORMAT = b"geo.cache snapshot 1\n"


class SnapshotRefused(ValueError):
    """A snapshot file that is not read: missing, stale, unsafe or unreadable (the reason)."""


def save_snapshot(path: Path | str, versions: Collection[Version], stamp: str) -> int:
    """Write every kept entry of ``versions`` (all partitions) to ``path``; the number written.

    ``stamp`` names what else the values depend on (the code, the settings:
    the caller's fingerprint); :func:`load_snapshot` restores them only under
    the same stamp and versions.  The file is written beside ``path`` and
    renamed over it, so a reader never sees half a file, and is readable and
    writable by its owner only (it is unpickled when loaded).
    """
    wanted = set(versions)
    with _lock:
        entries = [
            (name, version, key, value, size)
            for name, part in _partitions.items()
            for (version, key), (value, size) in part._entries.items()
            if version in wanted
        ]
    header = {"stamp": stamp, "versions": sorted(map(list, wanted))}
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}.tmp")
    try:
        # a new file of ours only (never through a link planted in the folder)
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0), 0o600)
        with os.fdopen(fd, "wb") as f:
            f.write(SNAPSHOT_FORMAT)
            f.write(json.dumps(header).encode("utf-8") + b"\n")
            _SharingPickler(f, protocol=pickle.HIGHEST_PROTOCOL).dump(entries)
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
    return len(entries)


def _same(obj):
    return obj


def _rebuild_arrow(cls, state: dict):
    """A pandas Arrow-backed array from its state, as pandas' ``__setstate__`` does."""
    obj = cls.__new__(cls)
    obj.__setstate__(state)
    return obj


def _buffer_key(obj) -> tuple | None:
    """What makes two arrays the same memory: Arrow arrays (chunked or not) by their buffers'
    addresses, offsets and lengths; numpy arrays by data pointer, shape, strides and type.
    None for anything else."""
    arrow = sys.modules.get("pyarrow")
    if arrow is not None and isinstance(obj, (arrow.Array, arrow.ChunkedArray)):
        chunks = obj.chunks if isinstance(obj, arrow.ChunkedArray) else [obj]
        return (type(obj).__name__, str(obj.type)) + tuple(
            (c.offset, len(c), tuple((b.address, b.size) if b is not None else None for b in c.buffers()))
            for c in chunks
        )
    if isinstance(obj, np.ndarray) and obj.dtype != object and obj.size:
        return ("numpy", obj.__array_interface__["data"][0], obj.shape, obj.strides, obj.dtype.str)
    return None


class _SharingPickler(pickle.Pickler):
    """A pickler that writes arrays sharing the same memory once.

    A layer read from the cache is handed out as a shallow copy
    (:func:`geo.io.storage.read_layer`), so the targeting context and the
    layers hold different array objects over the same buffers.  Pickle
    knows objects, not buffers: without this, a restored snapshot held two
    copies (Kon Tum's observations: +10.6 MB per process).  The second
    array is written as a reference to the first, so they come back as one.

    >>> import io
    >>> a = np.arange(10.0)
    >>> f = io.BytesIO()
    >>> _SharingPickler(f).dump([a, a.view(), a[2:].view()])
    >>> b, c, d = pickle.loads(f.getvalue())
    >>> b is c, np.shares_memory(b, d), d.tolist() == a[2:].tolist()
    (True, False, True)
    >>> frame = pd.DataFrame({"s": pd.array(["a", "b"], dtype="str")})
    >>> f = io.BytesIO()
    >>> _SharingPickler(f).dump([frame, frame.copy(deep=False)])
    >>> x, y = pickle.loads(f.getvalue())
    >>> data = [df["s"].array.__arrow_array__().chunk(0).buffers()[-1].address for df in (x, y)]
    >>> x.equals(frame), data[0] == data[1]
    (True, True)
    """

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._first: dict[tuple, object] = {}  # key → the first array (kept alive while pickling)

    def reducer_override(self, obj):
        arrow = sys.modules.get("pyarrow")
        if (
            arrow is not None
            and isinstance(obj, pd.api.extensions.ExtensionArray)
            and isinstance(getattr(obj, "_pa_array", None), arrow.ChunkedArray)
        ):
            # pandas' own pickling combines the chunks into new buffers: keep the array's
            # own, so the arrays below can see that two columns share them
            state = {**obj.__dict__, "_cache": {}}
            return _rebuild_arrow, (type(obj), state)
        key = _buffer_key(obj)
        if key is None:
            return NotImplemented
        first = self._first.setdefault(key, obj)
        if first is obj:
            return NotImplemented
        return _same, (first,)


def snapshot_versions(path: Path | str) -> list[Version] | None:
    """The data versions a snapshot file was made for (its header; nothing unpickled), or
    None when ``path`` is not a readable snapshot."""
    try:
        with open(path, "rb") as f:
            if f.readline() != SNAPSHOT_FORMAT:
                return None
            return [Version(*v) for v in json.loads(f.readline())["versions"]]
    except (OSError, ValueError, KeyError, TypeError):
        return None


def is_current(version: Version) -> bool | None:
    """Whether a file's ``version`` (:func:`file_version`) is still the file's: ``False`` when
    the file changed or is gone, None when ``version`` is not a file's (a database's).

    >>> is_current(Version("/no/such.gpkg", "/no/such.gpkg:1:2"))
    False
    >>> is_current(Version("db", "7")) is None
    True
    """
    if not version.token.startswith(version.source + ":"):
        return None
    try:
        return file_version(version.source) == version
    except OSError:
        return False


def load_snapshot(path: Path | str, versions: Collection[Version], stamp: str) -> int:
    """Keep again the entries :func:`save_snapshot` wrote, if they are still right; the number kept.

    Raises :class:`SnapshotRefused` (nothing kept) when the file is missing,
    was made under another ``stamp`` or for other ``versions`` than the
    current ones, is not its reader's own file or is writable by others
    (unpickling runs code: only the process's own files are read), or is
    damaged.  Each entry goes back to its partition within the partition's
    budget; entries of a partition this process has not declared are left out.
    """
    path = Path(path)
    try:
        st = path.stat()
    except FileNotFoundError:
        raise SnapshotRefused(f"{path}: no snapshot") from None
    if (hasattr(os, "getuid") and st.st_uid != os.getuid()) or st.st_mode & 0o022:
        raise SnapshotRefused(f"{path}: not this user's own file (or writable by others): not read")
    with open(path, "rb") as f:
        if f.readline() != SNAPSHOT_FORMAT:
            raise SnapshotRefused(f"{path}: not a snapshot of this format")
        try:
            header = json.loads(f.readline())
        except ValueError:
            raise SnapshotRefused(f"{path}: damaged header") from None
        if header.get("stamp") != stamp:
            raise SnapshotRefused(f"{path}: made by other code or settings")
        if header.get("versions") != sorted(map(list, set(versions))):
            raise SnapshotRefused(f"{path}: made for another data version")
        try:
            entries = pickle.load(f)
        except Exception as exc:  # a damaged pickle raises almost anything
            raise SnapshotRefused(f"{path}: damaged ({type(exc).__name__})") from None
    kept = 0
    for name, version, key, value, size in entries:
        part = _partitions.get(name)
        if part is not None:
            part.put(version, key, value, size)
            kept += 1
    return kept


def _after_fork_in_child() -> None:
    """A forked worker gets the master's entries, and fresh locks (a lock held at fork stays held)."""
    global _lock
    _lock = threading.RLock()
    _building.clear()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_after_fork_in_child)
