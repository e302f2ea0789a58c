"""What the upload kinds share: the refusal, a finding, the size cap, the CLI sequence.

Table uploads (:mod:`geo.uploads.ingest`) and boundary uploads
(:mod:`geo.uploads.boundaries`) raise :class:`UploadError` for a refused file
and report :class:`Problem` findings; both command-line commands run
:func:`run_cli` (preview → print → dry run or commit).

Example
-------
>>> Problem("error", "unknown commune 'Xã Đăk X'", row=7, column="Tên xã").line()
"error: row 7 [Tên xã]: unknown commune 'Xã Đăk X'"
>>> UploadError("too big", 413).status
413
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from geo import settings
from geo.errors import CliError
from geo.messages import Message, localise
from geo.uploads import versions


def max_bytes() -> int:
    """The upload size cap (the ``max_upload_bytes`` setting, ``$GEO_MAX_UPLOAD_BYTES``, default 5 MiB)."""
    return settings.active().max_upload_bytes


def staging_ttl() -> int:
    """Seconds a staged preview waits for its commit (``$GEO_STAGING_TTL_S``)."""
    return settings.active().staging_ttl_s


class UploadError(ValueError):
    """A refused upload: one clear message and the HTTP status it maps to."""

    def __init__(self, message: str | Message, status: int = 400, code: str = "InvalidUpload"):
        super().__init__(message)
        self.message, self.status, self.code = message, status, code


@dataclass
class Problem:
    """One validation finding: spreadsheet row (``None`` for the whole file), column, reason."""

    severity: str  # "error" blocks the commit; "warning" does not
    message: str | Message  # a catalogue message (geo/messages.toml), rendered in the reader's language
    row: int | None = None
    column: str | None = None

    def to_dict(self, lang: str = "en") -> dict:
        """The finding as JSON, its message in ``lang``."""
        message = localise(self.message, lang)
        return {"severity": self.severity, "row": self.row, "column": self.column, "message": message}

    def line(self) -> str:
        where = f"row {self.row}" if self.row is not None else "file"
        col = f" [{self.column}]" if self.column else ""
        return f"{self.severity}: {where}{col}: {self.message}"


def read_file(path: Path | str) -> tuple[bytes, str]:
    """The bytes of ``path`` (size-capped before reading) and its sanitised name."""
    from werkzeug.utils import secure_filename

    path = Path(path)
    if not path.is_file():
        raise UploadError(f"{path}: no such file")
    size = path.stat().st_size
    if size > max_bytes():
        raise UploadError(f"{path.name}: the file is {size:,} bytes; the limit is {max_bytes():,} bytes", 413)
    return path.read_bytes(), secure_filename(path.name) or "upload"


def run_cli(
    args: argparse.Namespace,
    make_preview: Callable[[bytes, str], Any],  # Any: an ingest or boundaries preview (no shared class)
    commit: Callable[[Any, bytes, str | None], versions.Version],
    describe: Callable[[Any, versions.Version], str],
) -> int:
    """The preview → print → (dry run | commit) sequence shared by the upload commands.

    ``make_preview(data, name)`` returns a preview with ``ok``, ``errors``,
    ``to_dict()`` and ``to_text()``; ``commit(preview, data, who)`` returns the
    new version; ``describe(preview, version)`` is the line printed after it.
    """
    try:
        data, name = read_file(args.file)
        pv = make_preview(data, name)
    except UploadError as exc:
        raise CliError(exc.message) from None
    print(json.dumps(pv.to_dict(), ensure_ascii=False, indent=1) if args.json else pv.to_text())
    if not pv.ok:
        raise CliError(f"{len(pv.errors) or 1} problems (listed above); nothing was written")
    if args.dry_run:
        print("dry run: nothing was written", file=sys.stderr)
        return 0
    try:
        v = commit(pv, data, args.who)
    except UploadError as exc:
        raise CliError(exc.message) from None
    print(describe(pv, v))
    if note := versions.served_note():
        print(f"warning: {note}", file=sys.stderr)
    return 0


def disk_full_error(exc: OSError) -> UploadError:
    """The 503 refusal for a version that could not be written (``exc``: a full disk or
    another write failure); nothing was left behind."""
    if versions.disk_full(exc):
        return UploadError(Message("error.upload.disk_full"), 503, "ServiceUnavailable")
    return UploadError(
        Message("error.upload.version_not_written", kind=type(exc).__name__),
        503,
        "ServiceUnavailable",
    )
