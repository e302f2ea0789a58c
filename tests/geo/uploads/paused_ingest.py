"""``python paused_ingest.py POINT MARKER ARGS…``: ``python -m geo ARGS…`` that stops at a write stage.

:func:`geo.uploads.versions.write_stage` is replaced so that at ``POINT`` the
process writes its pid into ``MARKER`` and sleeps, to be killed there by
tests/geo/uploads/test_versions.py.
"""

import os
import sys
import time
from pathlib import Path

from geo import cli
from geo.uploads import versions


def main() -> int:
    point, marker, *argv = sys.argv[1:]
    if point not in versions.WRITE_STAGES:
        raise SystemExit(f"unknown write stage {point!r} (known: {', '.join(versions.WRITE_STAGES)})")

    def pause(stage: str) -> None:
        if stage == point:
            Path(marker).write_text(str(os.getpid()))
            time.sleep(120)

    versions.write_stage = pause
    return cli.main(argv)


if __name__ == "__main__":
    sys.exit(main())
