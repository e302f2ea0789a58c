"""Compile ``data/`` into the GeoPackage the app serves (``python -m geo build``).

Layers written (all WGS84):

==================  ==========================================================
``communes``        102 communes with border flags (computed from geometry)
``districts``       10 districts
``border``          international border lines (LAO, KHM)
``roads``           main roads
``communes_2025``   the 40 communes of 1 July 2025 (real GSO codes, border flags from geometry)
``works``           electrification works, poverty-model projects … (points)
``provinces``       neighbouring provinces (2019), for context
``countries``       Natural Earth outlines (context and labels only)
``observations``    every value: real, derived and synthetic (table); the figures of the
                    2020 communes carried to their districts and 2025 communes
                    (:mod:`geo.indicators.carry`, the catalogue's ``carry`` rules)
``catalogue``       the indicator catalogue (table)
==================  ==========================================================

The build refuses to write when a data-quality check fails, so the app
never serves data that did not pass :mod:`geo.build.checks`.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any, TextIO

import geopandas as gpd
import pandas as pd

from geo import paths
from geo.analysis import warm
from geo.build import checks
from geo.crs import WGS84
from geo.indicators import carry, catalogue
from geo.io import storage
from geo.raster import remoteness
from geo.synthetic import demo
from geo.units import boundaries as units
from geo.units.border import flag_border_communes, official_lengths, with_official_lengths

REMOTENESS_RESOLUTION_M = 250


def compile_layers() -> dict[str, pd.DataFrame]:
    """Everything the GeoPackage holds, in memory."""
    communes = units.load_communes()
    districts = units.load_districts()
    border = units.load_border()
    communes = flag_border_communes(communes, border)
    real = catalogue.load_observations()
    border = with_official_lengths(border, *official_lengths(real))
    cat = catalogue.load_catalogue()
    works = catalogue.load_works()
    generated = demo.generate(communes, districts, real)
    remote = remoteness.remoteness_observations(communes, units.load_roads(), works, REMOTENESS_RESOLUTION_M)
    obs = pd.concat([real, generated, remote], ignore_index=True)
    obs["year"] = obs["year"].astype("Int64")
    communes_2025 = flag_border_communes(units.load_communes_2025(), border)
    names = carry.unit_names({"districts": districts, "communes_2025": communes_2025})
    obs = carry.recarry(obs, cat, communes, names)
    provinces = gpd.read_file(paths.boundaries_dir() / "neighbour_provinces_2019.geojson").to_crs(WGS84)
    countries = gpd.read_file(paths.boundaries_dir() / "countries_ne10m.geojson").to_crs(WGS84)
    return {
        "communes": communes,
        "districts": districts,
        "border": border,
        "roads": units.load_roads(),
        "communes_2025": communes_2025,
        "works": works,
        "provinces": provinces,
        "countries": countries,
        "observations": obs,
        "catalogue": cat.reset_index(),
    }


def run_checks(layers: dict[str, pd.DataFrame]) -> list[checks.Check]:
    cat = layers["catalogue"].set_index("id")
    return (
        checks.check_units(layers["communes"], layers["districts"])
        + checks.check_observations(layers["observations"], cat, layers["communes"], layers["districts"])
        + checks.check_semantics(layers, cat)
    )


def build(path: Path | str | None = None, out: TextIO = sys.stdout) -> Path:
    """Compile, check and write the GeoPackage atomically; return its path."""
    # The base build; never the served upload version that gpkg_path() may resolve to.
    path = Path(path or paths.build_dir() / "kontum.gpkg")
    layers = compile_layers()
    failed = [c for c in run_checks(layers) if not c.ok]
    if failed:
        raise checks.ChecksFailed(failed)
    storage.write_gpkg(path, layers)
    warm.write_for(path)  # the servers' border and road distances, once (geo.analysis.warm)
    obs = layers["observations"]
    counts = obs["status"].value_counts().to_dict()
    print(
        f"wrote {path} — {len(layers['communes'])} communes, {len(layers['districts'])} districts, "
        f"{len(layers['works'])} works, {len(obs)} observations "
        f"({', '.join(f'{k} {v}' for k, v in sorted(counts.items()))})",
        file=out,
    )
    return path


def _cmd_build(args) -> int:
    try:
        build(args.output)
    except checks.ChecksFailed as exc:
        for c in exc.failed:
            print(c.line(), file=sys.stderr)
        print("error: data checks failed; nothing was written", file=sys.stderr)
        return 1
    return 0


def _cmd_check(args) -> int:
    results = run_checks(compile_layers())
    for c in results:
        print(c.line())
    failed = sum(not c.ok for c in results)
    print(f"{len(results) - failed} passed, {failed} failed")
    return 1 if failed else 0


def register(sub: Any) -> None:  # sub: argparse add_subparsers() action (its class is private)
    """Add the ``build`` and ``check`` commands to the CLI's sub-parsers."""
    p = sub.add_parser("build", help="compile data/ into build/kontum.gpkg (runs the demo generator)")
    p.add_argument("--output", type=Path, default=None, help="GeoPackage path (default build/kontum.gpkg)")
    p.set_defaults(func=_cmd_build)
    p = sub.add_parser("check", help="print the data-quality report; exit 1 if a check fails")
    p.set_defaults(func=_cmd_check)
