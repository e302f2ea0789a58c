"""``python -m bench.prototype_app``: ``python -m app`` with bench/prototypes.py applied.

The product's own entry point (app/__main__.py: gunicorn, warm-up in the
master, malloc settings), after the prototypes of the changes still
recommended in RESULTS.md are patched in.  For measuring recommendations only.
"""

from __future__ import annotations

import json
import os
import sys

from app.__main__ import main as app_main

from . import prototypes


def main(argv=None) -> int:
    applied = prototypes.apply(os.environ["GEO_GPKG"])
    print(json.dumps({"prototypes": applied}), flush=True)
    return app_main(argv)


if __name__ == "__main__":
    sys.exit(main())
