"""Dataset versions: every accepted upload is a new version; one is current.

The base build (``build/kontum.gpkg``, written by ``python -m geo build``)
is version 0.  Each accepted upload creates version N under the data-state
folder (``$GEO_STATE_DIR``, default ``instance/`` in the repository root,
git-ignored)::

    instance/
      current                  the number of the served version ("3"), replaced atomically
      versions/
        0001/                  read-only once written
          manifest.json        when, who, source note, file name and sha256, counts, parent
          observations.csv     the uploaded observation rows (or communes.geojson … for boundaries)
          kontum.gpkg          what the map serves: the base build + the uploads of this
                               version and its parents, written by geo.io.storage.write_gpkg
        0002/ …
      staging/                 previews waiting for a commit (geo.uploads.ingest), private, expiring

A version's GeoPackage is the base build with the uploads of its chain
(the version that was current when it was made, that one's parent …)
applied in order: uploaded observation rows are appended to
``observations`` and the values carried from the communes to their
districts and 2025 communes are computed again (:func:`recarry`); a row already there for the same unit, indicator, year
and standard whose status ranks as high or higher is kept with its note
prefixed ``alternative: replaced by upload vN`` (so it is never drawn but
stays traceable).  Lower-ranked rows (synthetic demo values) stay as they
are and simply lose to the upload in :func:`geo.indicators.values.values`.

Writing is atomic: the new version is assembled in a hidden temporary
folder (``versions/.tmp-…``), renamed into place in one ``os.rename`` and
only then made current with ``os.replace`` on the pointer file; last,
``published`` (the highest number ever made current) is raised to it.  A
version numbered above both ``published`` and the pointer was never made
current — a writer killed between the rename and the pointer switch left
it — so it is not listed, cannot be restored, and the next write removes it
and takes its number (no ghost in ``/api/versions``, no duplicate on retry).
A failed or killed write leaves the previous version served and no visible
version; stale temporary folders are removed by the next write.

:func:`geo.paths.gpkg_path` serves the current version (``$GEO_GPKG``
still wins when set).

Where the versions live is a :class:`Store` (list, get, current, create,
restore), which every backend exposes as ``backend.versions``: the embedded
one's is :data:`FILES` (the folders above), PostGIS keeps the versions and
their history in the database (:mod:`geo.backends.postgis`: one
transaction per version, an advisory lock between writers, one current
version) and the folders are not used.  :func:`list_versions`, :func:`get`,
:func:`current_number`, :func:`create_version` and :func:`restore` take the
store (``where``; the app passes its backend's); without one they use
:func:`store`, the one the settings in force name (``DATABASE_URL``).  Both
stores build a new version with the same public steps:
:func:`write_payload`, :func:`apply_payload`, :func:`check_new_layers`.

Command line::

    python -m geo versions list
    python -m geo versions show N
    python -m geo versions restore N      (0 = the base build)
"""

from __future__ import annotations

import contextlib
import datetime as dt
import errno
import json
import os
import re
import secrets
import shutil
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from geo import lazy, paths, settings
from geo.analysis import warm
from geo.backends.base import Backend, BackendConfigError, BackendError
from geo.crs import WGS84
from geo.errors import CliError
from geo.indicators import carry, catalogue
from geo.indicators.values import STATUS_RANK
from geo.io import storage
from geo.messages import Message

if TYPE_CHECKING:
    import pyogrio
else:  # GDAL only when a file is read or written (geo/lazy.py)
    pyogrio = lazy.module("pyogrio")

POINTER = paths.POINTER
MANIFEST = "manifest.json"
GPKG = paths.GPKG
OBSERVATIONS = "observations.csv"
KEY = catalogue.KEY
OBS_COLUMNS = catalogue.OBS_COLUMNS
_DIR_RE = re.compile(r"^\d{4,}$")
TMP_PREFIX = ".tmp-"
PUBLISHED = "published"
KEPT = "kept.json"


class VersionError(ValueError):
    """A version that does not exist, or a version that may not be written."""


def no_version(number: int, have: str) -> Message:
    """The message for a version that does not exist, with the numbers that do.

    >>> str(no_version(4, "1, 2"))
    'there is no dataset version 4 (versions: 1, 2; 0 is the base build)'
    """
    return Message("error.version.missing", number=number, have=have or "—")


class DiskFullError(OSError):
    """The disk of the state folder is full: the new version was not written (nothing left behind)."""


#: How a full disk shows in the messages of libraries that do not raise ``OSError`` (GDAL/SQLite).
DISK_FULL_TEXT = ("database or disk is full", "no space left on device", "disk quota exceeded")
DISK_FULL_MESSAGE = (
    "the server's disk is full: the new version was not written, nothing was changed and the "
    "current version is still served; try again once space is freed"
)


def disk_full(exc: BaseException) -> bool:
    """Whether ``exc`` says the disk is full (``ENOSPC``/``EDQUOT``, or SQLite's and GDAL's words).

    >>> disk_full(OSError(errno.ENOSPC, "No space left on device")), disk_full(ValueError("x"))
    (True, False)
    >>> disk_full(RuntimeError("sqlite3_step() failed: database or disk is full"))
    True
    """
    if isinstance(exc, OSError) and exc.errno in (errno.ENOSPC, errno.EDQUOT):
        return True
    return any(text in str(exc).lower() for text in DISK_FULL_TEXT)


# ---------------------------------------------------------------- places


def state_dir() -> Path:
    """The data-state folder (``$GEO_STATE_DIR`` or ``instance/``)."""
    return paths.state_dir()


def versions_dir() -> Path:
    return state_dir() / "versions"


def base_gpkg() -> Path:
    """The base build every version starts from (``$GEO_BUILD_DIR/kontum.gpkg``)."""
    return paths.build_dir() / GPKG


def _dir(number: int) -> Path:
    return paths.version_dir(state_dir(), number)


@dataclass(frozen=True)
class Version:
    number: int
    path: Path
    manifest: dict

    @property
    def gpkg(self) -> Path:
        return self.path / GPKG

    @property
    def kind(self) -> str:
        return self.manifest.get("kind", "observations")

    def to_dict(self) -> dict:
        return {**self.manifest, "version": self.number}


# ---------------------------------------------------------------- reading


class Store:
    """Where dataset versions live: :meth:`list`, :meth:`get`, :meth:`current`, :meth:`create`,
    :meth:`restore`.  Every backend has one (``backend.versions``): the embedded one
    :class:`FileStore` (the state folder), the PostGIS one the database."""

    def list(self) -> list[Version]:
        raise NotImplementedError

    def get(self, number: int) -> Version:
        raise NotImplementedError

    def current(self) -> int:
        raise NotImplementedError

    def create(
        self,
        kind: str,
        files: dict[str, bytes],
        info: dict,
        new_rows: pd.DataFrame | None = None,
        validate: Callable[[dict], object] | None = None,
    ) -> Version:
        raise NotImplementedError

    def restore(self, number: int) -> Version | None:
        raise NotImplementedError

    def keep(self, number: int) -> None:
        """Mark version ``number`` to be kept by :meth:`prune` whatever its age."""
        raise NotImplementedError

    def prune(self, keep_last: int) -> list[int]:
        """Keep the last ``keep_last`` versions, the current one and the kept ones restorable;
        the versions that can no longer be restored (their numbers)."""
        raise NotImplementedError


class FileStore(Store):
    """The versions in the state folder of the settings in force (:func:`geo.paths.state_dir`)."""

    def list(self) -> list[Version]:
        return _file_list()

    def get(self, number: int) -> Version:
        return _file_get(number)

    def current(self) -> int:
        return _file_current_number()

    def create(
        self,
        kind: str,
        files: dict[str, bytes],
        info: dict,
        new_rows: pd.DataFrame | None = None,
        validate: Callable[[dict], object] | None = None,
    ) -> Version:
        return _file_create(kind, files, info, new_rows, validate)

    def restore(self, number: int) -> Version | None:
        return _file_restore(number)

    def keep(self, number: int) -> None:
        _file_keep(number)

    def prune(self, keep_last: int) -> list[int]:
        with _locked():
            folders, gpkgs = prune(keep_last)
        return sorted(folders + gpkgs)


FILES = FileStore()

#: ``opener(settings) -> backend | None``: the database backend the settings name, installed by
#: :mod:`geo.backends.factory` (which imports this module, so this one cannot import it).
_database_opener = None


def set_database_opener(opener: Callable[[settings.Settings], Backend | None]) -> None:
    """Install how :func:`database` finds the database backend (see :mod:`geo.backends.factory`)."""
    global _database_opener
    _database_opener = opener


def database() -> Backend | None:
    """The PostGIS backend when the ``database_url`` setting in force is set, else None."""
    conf = settings.active()
    if not conf.database_url:
        return None
    if _database_opener is None:
        raise VersionError("DATABASE_URL is set but no database backend is available (import geo.backends.factory)")
    try:
        return _database_opener(conf)
    except BackendConfigError as exc:
        raise VersionError(str(exc)) from None


def store(backend: Backend | None = None) -> Store:
    """The versions of ``backend`` (:attr:`geo.backends.base.Backend.versions`), else those the
    settings in force name: the database's, else the state folder's."""
    if backend is not None:
        return backend.versions
    db = database()
    return db.versions if db is not None else FILES


def _read_manifest(path: Path) -> dict | None:
    try:
        data = json.loads((path / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def list_versions(where: Store | None = None) -> list[Version]:
    """The versions of ``where`` (default :func:`store`), oldest first."""
    return (where or store()).list()


def _published() -> int | None:
    """The highest version number ever made current (``None``: not recorded yet, a state
    folder from before the record was kept)."""
    try:
        text = (state_dir() / PUBLISHED).read_text(encoding="ascii").strip()
    except (OSError, UnicodeDecodeError):
        return None
    return int(text) if text.isdigit() else None


def _numbered() -> list[int]:
    root = versions_dir()
    return sorted(int(p.name) for p in root.iterdir() if _DIR_RE.match(p.name)) if root.is_dir() else []


def visible_limit() -> int | None:
    """Versions numbered above this were never made current (ghosts of a killed write);
    ``None``: every complete version is visible (nothing recorded yet)."""
    published = _published()
    if published is None:
        return None
    return max(published, _file_current_number())


def _file_list() -> list[Version]:
    """Complete versions (folder with a manifest and a GeoPackage) that were made current
    once, oldest first."""
    root = versions_dir()
    if not root.is_dir():
        return []
    out = []
    limit = visible_limit()
    for child in root.iterdir():
        if not _DIR_RE.match(child.name) or not child.is_dir():
            continue
        if limit is not None and int(child.name) > limit:
            continue
        manifest = _read_manifest(child)
        if manifest is None or not (child / GPKG).is_file():
            continue
        out.append(Version(int(child.name), child, manifest))
    return sorted(out, key=lambda v: v.number)


def get(number: int, where: Store | None = None) -> Version:
    """Version ``number`` of ``where`` (raises :class:`VersionError` when there is none)."""
    return (where or store()).get(number)


def _file_get(number: int) -> Version:
    path = _dir(number)
    manifest = _read_manifest(path) if path.is_dir() else None
    limit = visible_limit()
    if manifest is not None and not (path / GPKG).is_file() and (limit is None or number <= limit):
        raise VersionError(Message("error.version.pruned", number=number))
    if manifest is None or not (path / GPKG).is_file() or (limit is not None and number > limit):
        have = ", ".join(str(v.number) for v in _file_list())
        raise VersionError(no_version(number, have))
    return Version(number, path, manifest)


def _payload(number: int) -> Version:
    """Version ``number`` as a payload on its parent (its GeoPackage may have been pruned)."""
    path = _dir(number)
    manifest = _read_manifest(path) if path.is_dir() else None
    if manifest is None:
        raise VersionError(Message("error.version.payload_gone", number=number))
    return Version(number, path, manifest)


def current_number(where: Store | None = None) -> int:
    """The served version of ``where`` (0: the base build, also when the pointer is broken)."""
    return (where or store()).current()


def _file_current_number() -> int:
    return paths.current_version_number(state_dir())


def current_gpkg() -> Path | None:
    """The current version's GeoPackage, or ``None`` when the base build is served."""
    n = _file_current_number()
    return _dir(n) / GPKG if n else None


def current(where: Store | None = None) -> Version | None:
    where = where or store()
    n = where.current()
    return where.get(n) if n else None


def chain(number: int) -> list[Version]:
    """Version ``number`` and its parents, oldest first (empty for 0)."""
    out: list[Version] = []
    seen = set()
    while number and number not in seen:
        seen.add(number)
        v = _payload(number)
        out.append(v)
        number = int(v.manifest.get("parent") or 0)
    return out[::-1]


# ---------------------------------------------------------------- composing


def normalise_observations(obs: pd.DataFrame) -> pd.DataFrame:
    """The observations columns in order, ``year`` as Int64, text columns without NaN."""
    obs = obs.copy()
    for col in OBS_COLUMNS:
        if col not in obs.columns:
            obs[col] = pd.NA if col in ("year", "value") else ""
    obs["year"] = pd.to_numeric(obs["year"], errors="coerce").round().astype("Int64")
    obs["value"] = pd.to_numeric(obs["value"], errors="coerce").astype("float64")
    for col in OBS_COLUMNS:
        if col not in ("year", "value"):
            obs[col] = obs[col].astype(object).where(obs[col].notna(), "").astype(str)
    extra = [c for c in obs.columns if c not in OBS_COLUMNS]
    return obs[OBS_COLUMNS + extra].reset_index(drop=True)


def _keys(frame: pd.DataFrame) -> pd.Series:
    year = frame["year"].astype("Int64").astype(str)
    return (
        frame["unit_level"] + "|" + frame["gso_code"] + "|" + frame["indicator"] + "|" + year + "|" + frame["standard"]
    )


def apply_observations(obs: pd.DataFrame, new: pd.DataFrame, number: int) -> pd.DataFrame:
    """``obs`` with the upload rows ``new`` of version ``number`` applied (see the module doc)."""
    obs, new = normalise_observations(obs), normalise_observations(new)
    if new.empty:
        return obs
    best_new = (
        new.assign(_k=_keys(new), _r=new["status"].map(STATUS_RANK).fillna(9)).groupby("_k")["_r"].max()
    )  # the weakest new status per key
    old_keys = _keys(obs)
    old_rank = obs["status"].map(STATUS_RANK).fillna(9)
    limit = old_keys.map(best_new)
    note = obs["note"].fillna("")
    replaced = limit.notna() & (old_rank <= limit) & ~note.str.startswith("alternative:")
    tag = f"alternative: replaced by upload v{number}"
    obs.loc[replaced, "note"] = [tag + (f"; {n}" if n else "") for n in note[replaced]]
    return pd.concat([obs, new[obs.columns.intersection(new.columns)]], ignore_index=True)


def apply_boundaries(layers: dict, version_dir: Path, manifest: dict) -> dict:
    """Replace ``communes`` / ``districts`` with a boundary version's layers (its ``<layer>.geojson`` files)."""
    for name in manifest.get("layers", []):
        new = pyogrio.read_dataframe(version_dir / f"{name}.geojson")
        old = layers.get(name)
        if old is not None:
            new = new[[c for c in old.columns if c in new.columns]]
            for col in new.columns:
                if col != new.geometry.name and col in old.columns:
                    try:
                        new[col] = new[col].astype(old[col].dtype)
                    except (TypeError, ValueError):
                        pass
        layers[name] = new.set_crs(WGS84, allow_override=True)
    return layers


def write_payload(folder: Path, files: dict[str, bytes]) -> None:
    """Write the payload ``files`` (name → bytes) of a new version into ``folder`` (names checked)."""
    for name, data in files.items():
        if "/" in name or name.startswith("."):
            raise VersionError(f"bad payload file name {name!r}")
        (folder / name).write_bytes(data)


def recarry(layers: dict, obs: pd.DataFrame) -> pd.DataFrame:
    """``obs`` with the district and 2025-commune values carried again from its commune figures
    (:func:`geo.indicators.carry.recarry`), so an upload's communes move their parents in the same
    version; figures uploaded for parents are never split back onto the 2020 communes."""
    if "catalogue" not in layers or "communes" not in layers:
        return obs
    return carry.recarry(obs, layers["catalogue"], layers["communes"], carry.unit_names(layers))


def apply_payload(layers: dict, version_dir: Path, manifest: dict, number: int) -> dict:
    """``layers`` with the payload of version ``number`` (in ``version_dir``) applied."""
    kind = manifest.get("kind", "observations")
    if kind == "observations":
        new = pd.read_csv(version_dir / OBSERVATIONS, dtype=str, keep_default_na=False)
        layers["observations"] = recarry(layers, apply_observations(layers["observations"], new, number))
    elif kind == "boundaries":
        layers = apply_boundaries(layers, version_dir, manifest)
    else:
        raise VersionError(f"version {number}: unknown kind {kind!r}")
    return layers


def read_layers(path: Path) -> dict:
    return {name: storage.read_layer(name, path) for name in storage.list_layers(path)}


def compose(parent: int, extra: tuple[Path, dict, int] | None = None) -> dict:
    """The layers of version ``parent`` rebuilt from the base, plus an optional new payload."""
    base = base_gpkg()
    if not base.is_file():
        raise VersionError(Message("error.version.no_base", path=str(base)))
    layers = read_layers(base)
    if "observations" not in layers:
        raise VersionError(Message("error.version.no_observations", path=str(base)))
    for v in chain(parent):
        layers = apply_payload(layers, v.path, v.manifest, v.number)
    if extra is not None:
        layers = apply_payload(layers, *extra)
    layers["observations"] = normalise_observations(layers["observations"])
    return layers


# ---------------------------------------------------------------- writing

WRITE_STAGES = ("after_gpkg", "before_rename", "before_pointer", "before_published")


def write_stage(point: str) -> None:
    """Called by :func:`create_version` at each stage of a write (one of :data:`WRITE_STAGES`).

    It does nothing: a seam where a caller may watch a write, e.g. a test that
    replaces it to kill the writer at that point and check that what is served
    survives.
    """


@contextlib.contextmanager
def _locked():
    """One writer at a time (an exclusive ``flock`` on ``<state>/.lock``)."""
    import fcntl

    state_dir().mkdir(parents=True, exist_ok=True)
    with open(state_dir() / ".lock", "a+") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def _clean_stale() -> None:
    """Remove what a killed writer left (only called with the lock held)."""
    root = versions_dir()
    if root.is_dir():
        for child in root.iterdir():
            if child.name.startswith(TMP_PREFIX):
                with contextlib.suppress(OSError):
                    os.chmod(child, 0o755)
                shutil.rmtree(child, ignore_errors=True)
    for child in state_dir().glob(f".{POINTER}.*"):
        with contextlib.suppress(OSError):
            child.unlink()
    for child in state_dir().glob(f".{PUBLISHED}.*"):
        with contextlib.suppress(OSError):
            child.unlink()
    _record_published()
    limit = visible_limit()
    for number in _numbered():
        if limit is not None and number > limit:  # renamed into place, never made current
            _unpublish(number)


def _record_published() -> None:
    """Make ``published`` at least the current version (lock held): the first write with the
    record takes every complete version there as published; a writer killed after its pointer
    switch is recorded here."""
    published = _published()
    if published is None:
        _write_number(PUBLISHED, max([v.number for v in _file_list()] + [_file_current_number()]))
    elif published < _file_current_number():
        _write_number(PUBLISHED, _file_current_number())


def _fsync_dir(path: Path) -> None:
    with contextlib.suppress(OSError):
        fd = os.open(path, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def _write_text(path: Path, text: str) -> None:
    with open(path, "w", encoding="utf-8") as fh:
        fh.write(text)
        fh.flush()
        os.fsync(fh.fileno())


def _freeze(path: Path) -> None:
    """Make a finished version read-only (files 0444, folder 0555).

    A version never changes once written; a process that tries to write
    into it (e.g. ``python -m geo build`` with its default output, which is
    the served GeoPackage) fails instead of silently replacing it (for any
    user but root).
    """
    for child in path.iterdir():
        os.chmod(child, 0o444)
    os.chmod(path, 0o555)


def _write_number(name: str, number: int) -> None:
    """Replace the file ``name`` of the state folder with ``number``, atomically."""
    tmp = state_dir() / f".{name}.{secrets.token_hex(6)}"
    _write_text(tmp, f"{number}\n")
    os.replace(tmp, state_dir() / name)
    _fsync_dir(state_dir())


def _set_pointer(number: int) -> None:
    _write_number(POINTER, number)


def _now() -> str:
    return dt.datetime.now(dt.UTC).astimezone().isoformat(timespec="seconds")


def check_new_layers(
    layers: dict, new_rows: pd.DataFrame | None, validate: Callable[[dict], object] | None = None
) -> dict:
    """The composed ``layers`` of a new version, observations normalised, checked: the upload's
    ``new_rows`` pass the data checks and ``validate(layers)`` (when given) does not raise."""
    layers["observations"] = normalise_observations(layers["observations"])
    if new_rows is not None:
        check_new_rows(layers, normalise_observations(new_rows))
    if validate is not None:
        validate(layers)
    return layers


def check_new_rows(layers: dict, new: pd.DataFrame) -> None:
    """Raise :class:`VersionError` when the upload rows ``new`` fail the data checks."""
    from geo.build import checks

    cat = layers.get("catalogue")
    if cat is None or new.empty:
        return
    at_2025 = new["unit_level"] == "commune_2025"
    failed = [
        c
        for c in checks.check_observations(new, cat.set_index("id"), layers["communes"], layers["districts"])
        if not c.ok and not (getattr(c.name, "id", None) == "check.observations.codes" and at_2025.any())
    ]
    if at_2025.any():  # the build's checks know the 2020 levels only: codes checked level by level here
        failed += _codes_unknown(new, layers)
    if failed:
        raise VersionError(Message("error.version.checks_failed", checks=[c.message() for c in failed]))


def _codes_unknown(rows: pd.DataFrame, layers: dict) -> list:
    """A failed check when upload rows carry codes unknown at their level (``commune_2025`` included).

    >>> layers = {"communes": pd.DataFrame({"gso_code": ["23314"]}), "districts": pd.DataFrame({"gso_code": []}),
    ...           "communes_2025": pd.DataFrame({"gso_code": ["23317"]})}
    >>> rows = pd.DataFrame({"unit_level": ["commune_2025", "commune_2025"], "gso_code": ["23317", "23314"]})
    >>> [(str(c.detail), c.detail.text("vi")) for c in _codes_unknown(rows, layers)]
    [("unknown commune_2025 codes: ['23314']", "mã commune_2025 không biết: ['23314']")]
    """
    from geo.build import checks

    known = {
        "province": {"62"},
        "district": set(layers["districts"]["gso_code"].astype(str)),
        "commune": set(layers["communes"]["gso_code"].astype(str)),
        "commune_2025": set(layers["communes_2025"]["gso_code"].astype(str)) if "communes_2025" in layers else set(),
    }
    out = []
    for level, grp in rows.groupby("unit_level"):
        bad = sorted(set(grp["gso_code"].astype(str)) - known.get(level, set()))
        if bad:
            out.append(
                checks.Check(
                    Message("check.observations.codes"),
                    False,
                    Message("check.observations.unknown_level_codes", level=level, codes=bad[:10]),
                )
            )
    return out


def create_version(
    kind: str,
    files: dict[str, bytes],
    info: dict,
    new_rows: pd.DataFrame | None = None,
    validate: Callable[[dict], object] | None = None,
    where: Store | None = None,
) -> Version:
    """Write a new version of ``where`` (default :func:`store`) from the payload ``files``
    (name → bytes) and make it current.

    ``info`` goes into the manifest (who, note, source file, sha256, counts…).
    ``validate(layers)`` may raise to refuse the composed layers; nothing is
    then written.  Returns the new :class:`Version`.
    """
    return (where or store()).create(kind, files, info, new_rows, validate)


def _file_create(
    kind: str, files: dict[str, bytes], info: dict, new_rows: pd.DataFrame | None = None, validate=None
) -> Version:
    with _locked():
        _clean_stale()
        parent = _file_current_number()
        existing = [v.number for v in _file_list()]
        root = versions_dir()
        # a folder that exists without being a complete version still takes its number
        taken = [int(p.name) for p in root.iterdir() if _DIR_RE.match(p.name)] if root.is_dir() else []
        number = max(existing + taken + [0]) + 1
        root.mkdir(parents=True, exist_ok=True)
        tmp = root / f"{TMP_PREFIX}{number:04d}-{secrets.token_hex(4)}"
        tmp.mkdir(mode=0o750)
        try:
            write_payload(tmp, files)
            manifest = {"version": number, "kind": kind, "parent": parent, "created": _now(), **info}
            layers = check_new_layers(compose(parent, (tmp, manifest, number)), new_rows, validate)
            try:
                storage.write_gpkg(tmp / GPKG, layers)
            except (OSError, RuntimeError) as exc:  # pyogrio's errors are RuntimeErrors
                raise write_failure(exc, tmp) from exc
            write_stage("after_gpkg")
            check = storage.list_layers(tmp / GPKG)
            missing = set(layers) - set(check)
            if missing:
                raise VersionError(Message("error.version.incomplete", missing=sorted(missing)))
            warm.write_for(tmp / GPKG)  # its border and road distances, before it is frozen
            base = base_gpkg().stat()
            manifest["base"] = {
                "path": str(base_gpkg()),
                "size": base.st_size,
                "modified": dt.datetime.fromtimestamp(base.st_mtime).isoformat(timespec="seconds"),
            }
            manifest["observations_total"] = int(len(layers["observations"]))
            _write_text(tmp / MANIFEST, json.dumps(manifest, ensure_ascii=False, indent=1))
            write_stage("before_rename")
            _freeze(tmp)
            os.rename(tmp, _dir(number))
            _fsync_dir(root)
        except BaseException as exc:
            with contextlib.suppress(OSError):
                os.chmod(tmp, 0o755)
            shutil.rmtree(tmp, ignore_errors=True)
            if disk_full(exc) and not isinstance(exc, DiskFullError):
                raise DiskFullError(errno.ENOSPC, DISK_FULL_MESSAGE) from exc
            raise
        write_stage("before_pointer")
        try:
            _set_pointer(number)
        except OSError as exc:  # the pointer could not be written: the new version never existed
            _unpublish(number)
            if disk_full(exc):
                raise DiskFullError(errno.ENOSPC, DISK_FULL_MESSAGE) from exc
            raise
        write_stage("before_published")
        with contextlib.suppress(OSError):  # served already; the next write records it
            _write_number(PUBLISHED, number)
        keep = settings.active().keep_versions
        if keep:
            with contextlib.suppress(OSError):  # pruning is housekeeping: the version is made
                prune(keep)
    return _file_get(number)


def kept_numbers() -> set[int]:
    """The versions ``python -m geo versions keep N`` marked to keep whatever their age."""
    try:
        data = json.loads((state_dir() / KEPT).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return set()
    return {int(n) for n in data if isinstance(n, int)} if isinstance(data, list) else set()


def keep(number: int, where: Store | None = None) -> None:
    """Mark version ``number`` of ``where`` (default :func:`store`) to be kept whatever
    ``MAP_KEEP_VERSIONS`` says (it must exist)."""
    (where or store()).keep(number)


def _file_keep(number: int) -> None:
    """Mark version ``number`` of the state folder to be kept by :func:`prune`."""
    with _locked():
        _file_get(number)
        numbers = sorted(kept_numbers() | {number})
        tmp = state_dir() / f".{KEPT}.{secrets.token_hex(6)}"
        _write_text(tmp, json.dumps(numbers))
        os.replace(tmp, state_dir() / KEPT)


def prune_plan(keep_last: int) -> tuple[list[int], list[int]]:
    """``(folders to remove, GeoPackages to remove)`` to keep the last ``keep_last`` versions,
    the current one and the kept ones (:func:`kept_numbers`) restorable.

    A version is a payload on its parent chain: a version that a kept one builds on keeps its
    payload and manifest (so the kept one can still be rebuilt and its children composed) and
    loses only its GeoPackage, the ~18 MB; a version nothing kept builds on goes entirely.
    """
    complete = [v.number for v in _file_list()]
    keep = set(complete[-keep_last:]) | kept_numbers() | {_file_current_number()}
    keep &= set(complete)
    needed = {v.number for k in keep for v in chain(k)}
    limit = visible_limit()
    folders = [n for n in _numbered() if n not in needed and (limit is None or n <= limit)]
    gpkgs = [n for n in sorted(needed - keep) if (_dir(n) / GPKG).is_file()]
    return folders, gpkgs


def prune(keep_last: int) -> tuple[list[int], list[int]]:
    """Apply :func:`prune_plan` (lock held by the caller or taken here); returns it."""
    folders, gpkgs = prune_plan(keep_last)
    for n in folders:
        _unpublish(n)
    for n in gpkgs:
        path = _dir(n)
        os.chmod(path, 0o755)
        try:
            (path / GPKG).unlink()
        finally:
            os.chmod(path, 0o555)
    return folders, gpkgs


def write_failure(exc: BaseException, folder: Path) -> OSError:
    """The error to raise when writing into ``folder`` failed with ``exc``: a
    :class:`DiskFullError` when the disk is full — said by ``exc``, or seen on the disk,
    since SQLite often only says "Failed to commit transaction" — else an ``OSError``."""
    if disk_full(exc) or low_space(folder):
        return DiskFullError(errno.ENOSPC, DISK_FULL_MESSAGE)
    first = str(exc).splitlines()[0][:160] if str(exc) else ""
    return OSError(errno.EIO, f"the new GeoPackage could not be written ({type(exc).__name__}: {first})")


def low_space(folder: Path) -> bool:
    """Whether the disk of ``folder`` has less room left than one more base build."""
    try:
        st = os.statvfs(folder)
        need = base_gpkg().stat().st_size
    except OSError:
        return False
    return st.f_bavail * st.f_frsize < need


def _unpublish(number: int) -> None:
    """Remove version ``number``, renamed into place but never made current (lock held)."""
    path = _dir(number)
    with contextlib.suppress(OSError):
        os.chmod(path, 0o755)
    shutil.rmtree(path, ignore_errors=True)
    for child in state_dir().glob(f".{POINTER}.*"):
        with contextlib.suppress(OSError):
            child.unlink()


def restore(number: int, where: Store | None = None) -> Version | None:
    """Make version ``number`` of ``where`` (default :func:`store`) current (0: the base build).
    Returns it (``None`` for 0)."""
    return (where or store()).restore(number)


def _file_restore(number: int) -> Version | None:
    with _locked():
        _record_published()  # before the pointer moves away from the current version
        if number == 0:
            if not base_gpkg().is_file():
                raise VersionError(Message("error.version.no_base", path=str(base_gpkg())))
            _set_pointer(0)
            return None
        v = _file_get(number)
        try:
            storage.list_layers(v.gpkg)
        except Exception as exc:  # a damaged file must never become current
            raise VersionError(Message("error.version.unreadable", number=number, kind=type(exc).__name__)) from None
        _set_pointer(number)
        return v


# ---------------------------------------------------------------- CLI


def served_note() -> str | None:
    """A warning when ``$GEO_GPKG`` makes the app serve a file that is not the current version."""
    if (served := settings.active().gpkg) is not None:
        return f"GEO_GPKG is set ({served}): the map serves that file, not the dataset versions"
    return None


def _summary(v: Version, cur: int) -> str:
    m = v.manifest
    counts = m.get("counts", {})
    what = (
        f"{counts.get('observations', '?')} values, {counts.get('units', '?')} units"
        if v.kind == "observations"
        else f"{counts.get('features', '?')} {m.get('level', '')} boundaries"
    )
    return (
        f"{'*' if v.number == cur else ' '} {v.number:>4}  {m.get('created', '?')}  {m.get('who', '?'):<10} "
        f"{v.kind:<12} {what}; {m.get('source_file', '?')} sha256 {str(m.get('sha256', ''))[:12]}"
        f"{'; ' + m['note'] if m.get('note') else ''}"
    )


def _cmd_list(args) -> int:
    cur = current_number()
    print(f"{'*' if cur == 0 else ' '} {0:>4}  base build {base_gpkg()}")
    for v in list_versions():
        print(_summary(v, cur))
    if note := served_note():
        print(f"warning: {note}", file=sys.stderr)
    return 0


def _cmd_show(args) -> int:
    print(json.dumps(get(args.number).to_dict(), ensure_ascii=False, indent=1))
    return 0


def _cmd_keep(args) -> int:
    try:
        keep(args.number)
    except VersionError as exc:
        raise CliError(str(exc)) from None
    print(f"version {args.number} is kept")
    return 0


def _cmd_restore(args) -> int:
    try:
        v = restore(args.number)
    except VersionError as exc:
        raise CliError(str(exc)) from None
    print(f"version {args.number} is now current ({v.gpkg if v else base_gpkg()})")
    if note := served_note():
        print(f"warning: {note}", file=sys.stderr)
    return 0


def _cli(func):
    """``func`` with database failures (DATABASE_URL) as one-line CLI errors."""

    def run(args):
        try:
            return func(args)
        except BackendError as exc:
            raise CliError(str(exc)) from None

    return run


def register(sub: Any) -> None:  # sub: argparse add_subparsers() action (its class is private)
    p = sub.add_parser(
        "versions",
        help="list the dataset versions, or make an earlier one current",
        description="Dataset versions made by `python -m geo ingest` "
        f"(stored under $GEO_STATE_DIR, default {paths.ROOT / 'instance'}).",
    )
    vsub = p.add_subparsers(dest="versions_command", metavar="ACTION")
    vsub.required = True
    p_list = vsub.add_parser("list", help="every version; * marks the one the map serves")
    p_list.set_defaults(func=_cli(_cmd_list))
    p_show = vsub.add_parser("show", help="the manifest of version N")
    p_show.add_argument("number", type=int)
    p_show.set_defaults(func=_cli(_cmd_show))
    p_keep = vsub.add_parser("keep", help="keep version N whatever MAP_KEEP_VERSIONS says")
    p_keep.add_argument("number", type=int)
    p_keep.set_defaults(func=_cli(_cmd_keep))
    p_restore = vsub.add_parser("restore", help="make version N current (0 = the base build)")
    p_restore.add_argument("number", type=int)
    p_restore.set_defaults(func=_cli(_cmd_restore))
