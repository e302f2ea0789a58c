"""Command line: ``python -m geo <command> …``.

Each command lives in the module that does the work; the module exposes
``register(subparsers)`` which adds its sub-parser and sets ``func``.  A
command's ``func(args)`` returns the exit status.  Expected failures raise
:class:`geo.errors.CliError` and are printed as one clear line, never a traceback.
"""

from __future__ import annotations

import argparse
import importlib
import sys

from geo import settings as geo_settings
from geo.errors import CliError

# Modules that contribute sub-commands, in --help order.
COMMAND_MODULES = [
    "geo.build.compiler",
    "geo.units.join",
    "geo.uploads.ingest",
    "geo.uploads.boundaries",
    "geo.raster.zonal",
    "geo.raster.remoteness",
    "geo.backends.admin",
    "geo.synthetic.national",
    "geo.allocation.cli",
    "geo.printing.cli",
]


def make_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m geo",
        description="Kon Tum poverty map: build, check and query the data.",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True
    for name in COMMAND_MODULES:
        importlib.import_module(name).register(sub)
    return parser


def main(argv: list[str] | None = None, settings: geo_settings.Settings | None = None) -> int:
    """Run one command.  ``settings`` (default: the process's, :func:`geo.settings.active`,
    read from the environment once) become the process's settings for the command."""
    try:
        geo_settings.activate(settings if settings is not None else geo_settings.active())
    except geo_settings.SettingsError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    parser = make_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except CliError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except (FileNotFoundError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
