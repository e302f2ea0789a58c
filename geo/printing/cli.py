"""``python -m geo map``: print a finished map sheet of a layer to a PDF or PNG file.

::

    python -m geo map --layer poor_rate --year 2020 --out poor_rate_2020.pdf
    python -m geo map --layer p135_2016 --lang en --size A3 --orientation portrait --out p135.png
    python -m geo profile 23368 23344 --out two_communes.pdf
    python -m geo profile --border --lang en --out border_communes.pdf
    python -m geo profile 617 --level district --out tu_mo_rong.pdf

``map``: the format follows the file name (``.pdf`` or ``.png``).  ``profile``:
one page per unit (:mod:`geo.printing.profile`), ``--border`` for every border
commune.  With ``DATABASE_URL`` set (and no ``--gpkg``) both read the PostGIS
database through the backend, like the app.  The options are
checked like ``GET /print``'s parameters (:func:`geo.printing.mapsheet.parse_options`);
a bad one is one line on stderr and exit status 2.  The file is written
atomically (a temporary file beside it, then renamed).
"""

from __future__ import annotations

import argparse
import os
import tempfile
from pathlib import Path
from typing import Any

from geo import paths
from geo import settings as geo_settings
from geo.backends import factory
from geo.backends.base import BackendError
from geo.errors import CliError
from geo.maplayers import layerspec
from geo.printing import mapsheet, profile


def register(sub: Any) -> None:  # sub: argparse add_subparsers() action (its class is private)
    """Add the ``map`` command to the ``python -m geo`` sub-parsers."""
    p = sub.add_parser("map", help="print a map sheet of a layer (PDF or PNG)")
    p.add_argument("--layer", required=True, help="layer id (layers/*.toml), e.g. poor_rate")
    p.add_argument("--year", default=None, help="year of the layer (default: the layer's own)")
    p.add_argument("--lang", default="vi", help="vi or en (default vi)")
    p.add_argument("--size", default="A4", help="A4 or A3 (default A4)")
    p.add_argument("--orientation", default="landscape", help="landscape or portrait")
    p.add_argument(
        "--dpi",
        default=None,
        help=f"PNG resolution {mapsheet.DPI_MIN}–{mapsheet.DPI_MAX} (default {mapsheet.DPI_DEFAULT})",
    )
    p.add_argument("--bbox", default=None, help="extent minlon,minlat,maxlon,maxlat (WGS84)")
    p.add_argument("--scheme", default=None, help="classes: quantiles, fisher_jenks, equal_interval, user_defined")
    p.add_argument("--k", default=None, help="number of classes (2–9)")
    p.add_argument("--breaks", default=None, help="own class bounds, e.g. 10,20,40")
    p.add_argument("--gpkg", type=Path, default=None, help="GeoPackage (default: the served data)")
    p.add_argument("--out", type=Path, required=True, help="output file, .pdf or .png")
    p.set_defaults(func=_cmd_map)
    q = sub.add_parser("profile", help="print unit profiles, one page each, into one PDF")
    q.add_argument("codes", nargs="*", metavar="CODE", help="GSO codes of the units, e.g. 23368 (5 digits: commune)")
    q.add_argument("--level", default="commune", help=f"unit level: {', '.join(profile.LEVELS)} (default commune)")
    q.add_argument("--border", action="store_true", help="every border commune (with --level commune)")
    q.add_argument("--lang", default="vi", help="vi or en (default vi)")
    q.add_argument("--gpkg", type=Path, default=None, help="GeoPackage (default: the served data)")
    q.add_argument("--out", type=Path, required=True, help="output file, .pdf")
    q.set_defaults(func=_cmd_profile)


def _source(gpkg: Path | None) -> mapsheet.Source:
    """Where the data come from: ``--gpkg``, else PostGIS when ``DATABASE_URL`` is set, else the served file."""
    if gpkg is None and geo_settings.active().database_url:
        try:
            backend = factory.backend_for(geo_settings.active())
            backend.version()
        except BackendError as exc:
            raise CliError(f"the database is not available ({exc})") from None
        return backend
    path = Path(gpkg or paths.gpkg_path())
    if not path.exists():
        raise CliError(f"the map data ({path}) has not been built: run `python -m geo build`")
    return path


def _cmd_profile(args: argparse.Namespace) -> int:
    if args.out.suffix.lower() != ".pdf":
        raise CliError(f"--out: the file name must end in .pdf, got {args.out.name!r}")
    if args.lang not in profile.LANGS:
        raise CliError(f"--lang: expected one of {', '.join(profile.LANGS)}, got {args.lang!r}")
    source = _source(args.gpkg)
    codes = list(args.codes)
    if args.border:
        if args.level != "commune":
            raise CliError("--border: lists border communes; use it with --level commune")
        codes += profile.border_codes(source)
    if not codes:
        raise CliError("give unit codes (e.g. 23368) or --border")
    try:
        data = profile.render_profiles(codes, args.level, source, args.lang)
    except profile.ProfileError as exc:
        raise CliError(f"--{exc}" if exc.param in ("level", "lang") else str(exc)) from None
    _write(args.out, data)
    units = len(dict.fromkeys(codes))
    print(f"wrote {args.out} ({units} profile{'s' if units > 1 else ''}, {len(data) // 1024} KiB)")
    return 0


def _cmd_map(args: argparse.Namespace) -> int:
    fmt = args.out.suffix.lower().lstrip(".")
    if fmt not in mapsheet.FORMATS:
        raise CliError(f"--out: the file name must end in .pdf or .png, got {args.out.name!r}")
    path = _source(args.gpkg)
    try:
        specs = layerspec.load_layers()
        params = {
            "layer": args.layer,
            "year": args.year,
            "lang": args.lang,
            "size": args.size,
            "orientation": args.orientation,
            "format": fmt,
            "dpi": args.dpi,
            "bbox": args.bbox,
            "scheme": args.scheme,
            "k": args.k,
            "breaks": args.breaks,
        }
        spec, opts = mapsheet.parse_options(params, specs, path)
        data = mapsheet.render(spec, opts, path)
    except (mapsheet.PrintError, layerspec.LayerSpecError) as exc:
        raise CliError(f"--{exc}" if isinstance(exc, mapsheet.PrintError) else str(exc)) from None
    _write(args.out, data)
    print(f"wrote {args.out} ({len(data) // 1024} KiB)")
    return 0


def _write(out: Path, data: bytes) -> None:
    """Write ``data`` to ``out`` atomically (temporary file in the same folder, then rename)."""
    out.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=out.name + ".", suffix=".tmp", dir=out.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.replace(tmp, out)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
