"""Staged uploads: kept for a later commit, then committed by their kind.

An upload is first previewed and *staged* (its bytes and parameters kept
under the state folder, private to the service, for ``staging_ttl()``
seconds); committing it re-validates it against the data served then and
makes it a new dataset version.  A staged upload is a table of figures
(:mod:`geo.uploads.ingest`) or boundaries (:mod:`geo.uploads.boundaries`):
this module is the one place that tells them apart.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import re
import secrets
import shutil
import time
from pathlib import Path

from geo.messages import Message
from geo.uploads import boundaries, ingest, versions
from geo.uploads.common import UploadError, staging_ttl

_ID_RE = re.compile(r"^[A-Za-z0-9_-]{16,64}$")


def staging_dir() -> Path:
    return versions.state_dir() / "staging"


def _now() -> float:
    return time.time()


def purge_expired(now: float | None = None) -> int:
    """Remove staged uploads past their expiry; return how many."""
    now = _now() if now is None else now
    root, n = staging_dir(), 0
    if not root.is_dir():
        return 0
    for child in root.iterdir():
        meta = _read_meta(child)
        if meta is None or meta.get("expires_ts", 0) < now:
            shutil.rmtree(child, ignore_errors=True)
            n += 1
    return n


def _read_meta(path: Path) -> dict | None:
    try:
        return json.loads((path / "meta.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def stage(data: bytes, filename: str, params: dict, who: str, kind: str = "observations") -> tuple[str, str]:
    """Keep an upload for a later commit; return ``(id, expiry ISO time)``."""
    purge_expired()
    sid = secrets.token_urlsafe(18)
    tmp = staging_dir() / f".{sid}.tmp"
    expires = _now() + staging_ttl()
    meta = {
        "id": sid,
        "kind": kind,
        "filename": filename,
        "sha256": hashlib.sha256(data).hexdigest(),
        "size": len(data),
        "params": params,
        "who": who,
        "created_ts": _now(),
        "expires_ts": expires,
        "expires": dt.datetime.fromtimestamp(expires, dt.UTC).isoformat(timespec="seconds"),
    }
    try:
        write_staged(tmp, data, meta)
        os.rename(tmp, staging_dir() / sid)
    except OSError as exc:  # a full disk, a read-only state folder…: refused, nothing left behind
        shutil.rmtree(tmp, ignore_errors=True)
        if versions.disk_full(exc):
            raise UploadError(Message("error.upload.staging_full"), 503, "ServiceUnavailable") from None
        raise UploadError(
            Message("error.upload.staging_failed", kind=type(exc).__name__), 503, "ServiceUnavailable"
        ) from None
    return sid, meta["expires"]


def write_staged(folder: Path, data: bytes, meta: dict) -> None:
    """Write a staged upload's bytes and metadata into the new private ``folder`` (the seam
    where a full disk shows: tests replace it)."""
    folder.parent.mkdir(parents=True, exist_ok=True)
    os.chmod(folder.parent, 0o700)
    folder.mkdir(mode=0o700)
    fd = os.open(folder / "upload.bin", os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as fh:
        fh.write(data)
        fh.flush()
        os.fsync(fh.fileno())
    (folder / "meta.json").write_text(json.dumps(meta, ensure_ascii=False), encoding="utf-8")


def load_staged(sid: str) -> tuple[bytes, dict]:
    """The bytes and metadata of a staged upload (404/410 :class:`UploadError` otherwise)."""
    if not isinstance(sid, str) or not _ID_RE.match(sid):
        raise UploadError("no such upload", 404, "NotFound")
    return _load(staging_dir() / sid, sid)


def _load(path: Path, sid: str) -> tuple[bytes, dict]:
    meta = _read_meta(path)
    if meta is None or meta.get("id") != sid:
        raise UploadError("no such upload (it was committed, discarded or has expired)", 404, "NotFound")
    if meta.get("expires_ts", 0) < _now():
        shutil.rmtree(path, ignore_errors=True)
        raise UploadError("the preview has expired; upload the file again", 410, "Gone")
    try:
        data = (path / "upload.bin").read_bytes()
    except OSError:
        raise UploadError("no such upload", 404, "NotFound") from None
    if hashlib.sha256(data).hexdigest() != meta.get("sha256"):
        raise UploadError("the staged file does not match its preview; upload it again", 409, "Conflict")
    return data, meta


def restage(sid: str, changes: dict) -> tuple[str, str]:
    """Stage the table upload ``sid`` again, its parameters updated by ``changes`` (e.g.
    ``confirm_rows``), and discard the old one; return the new ``(id, expiry)``.  The file
    is the one previewed."""
    data, meta = load_staged(sid)
    if meta.get("kind") == "boundaries":
        raise UploadError("a boundary upload has no rows to confirm", 400)
    new = stage(data, meta["filename"], {**meta.get("params", {}), **changes}, meta.get("who", "?"), "observations")
    discard(sid)
    return new


def discard(sid: str) -> None:
    if isinstance(sid, str) and _ID_RE.match(sid):
        shutil.rmtree(staging_dir() / sid, ignore_errors=True)


def staged_preview(sid: str) -> ingest.Preview | boundaries.BoundaryPreview:
    """Rebuild the preview of a staged upload against the data served now.

    (A staged boundary upload gives a :class:`geo.uploads.boundaries.BoundaryPreview`.)
    """
    data, meta = load_staged(sid)
    if meta.get("kind") == "boundaries":
        params = meta.get("params", {})
        bpv = boundaries.preview(
            data,
            meta["filename"],
            level=params.get("level", "commune"),
            crs=params.get("crs"),
            note=params.get("note", ""),
            who=meta.get("who", "?"),
        )
        bpv.id, bpv.expires = sid, meta.get("expires")
        return bpv
    pv = ingest.preview(data, meta["filename"], who=meta.get("who", "?"), **meta["params"])
    pv.id, pv.expires = sid, meta.get("expires")
    return pv


def _claim(sid: str) -> Path:
    """Take the staged upload ``sid`` for one commit: an atomic rename of its folder, so that of
    concurrent commits exactly one proceeds; the others get 409."""
    path = staging_dir() / sid
    claimed = staging_dir() / f".{sid}.commit-{secrets.token_hex(8)}"
    try:
        os.rename(path, claimed)
    except FileNotFoundError:
        raise _already() from None
    return claimed


def _already() -> UploadError:
    return UploadError(
        "this upload is already being committed or was committed; see the dataset versions", 409, "Conflict"
    )


def commit(sid: str, who: str, where: versions.Store | None = None) -> versions.Version:
    """Commit a staged upload: re-validated against the data served now, then a new version
    of ``where`` (default: the versions the settings in force name, :func:`geo.uploads.versions.store`).

    The upload is claimed first (:func:`_claim`): a second, concurrent commit gets 409.  When
    the commit fails the upload is put back, to be committed again once fixed."""
    try:
        load_staged(sid)  # 404 / 410 as before
    except UploadError as exc:
        if exc.status == 404 and _ID_RE.match(sid) and any(staging_dir().glob(f".{sid}.commit-*")):
            raise _already() from None
        raise
    claimed = _claim(sid)
    try:
        data, meta = _load(claimed, sid)
        if meta.get("kind") == "boundaries":
            v = boundaries.commit_staged(data, meta, who, where)
        else:
            pv = ingest.preview(data, meta["filename"], who=meta.get("who", "?"), **meta["params"])
            v = ingest.commit_preview(pv, data, who, where)
    except BaseException:
        try:
            os.rename(claimed, staging_dir() / sid)
        except OSError:
            shutil.rmtree(claimed, ignore_errors=True)
        raise
    shutil.rmtree(claimed, ignore_errors=True)
    return v
