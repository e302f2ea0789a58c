"""Data-quality checks of the units and the indicator tables.

Each check returns a :class:`Check` (name, ok, detail).  ``python -m geo
check`` prints them all and exits non-zero when one fails.

Example
-------
>>> from geo.units import boundaries as units
>>> results = check_units(units.load_communes(), units.load_districts())
>>> all(c.ok for c in results)
True
"""

from __future__ import annotations

from dataclasses import dataclass

import geopandas as gpd
import pandas as pd
import shapely

from geo import paths
from geo.crs import METRIC

EXPECTED_COMMUNES = 102
EXPECTED_DISTRICTS = 10
EXPECTED_AREA_KM2 = 9674.0  # GSO statistical yearbook figure for Kon Tum
AREA_TOLERANCE = 0.01
COVERAGE_TOL_KM2 = 0.05  # gaps or overlaps larger than this fail


@dataclass(frozen=True)
class Check:
    name: str
    ok: bool
    detail: str

    def line(self) -> str:
        return f"[{'OK' if self.ok else 'FAIL'}] {self.name}: {self.detail}"


def check_units(communes: gpd.GeoDataFrame, districts: gpd.GeoDataFrame) -> list[Check]:
    """Counts, codes, CRS, validity, coverage, nesting and area of the units."""
    out: list[Check] = []
    out.append(
        Check("commune count", len(communes) == EXPECTED_COMMUNES, f"{len(communes)} (expected {EXPECTED_COMMUNES})")
    )
    out.append(
        Check(
            "district count", len(districts) == EXPECTED_DISTRICTS, f"{len(districts)} (expected {EXPECTED_DISTRICTS})"
        )
    )
    out.append(Check("CRS", communes.crs is not None and communes.crs.to_epsg() == 4326, f"communes in {communes.crs}"))
    dup = communes["gso_code"][communes["gso_code"].duplicated()].tolist()
    out.append(Check("unique commune codes", not dup, f"duplicates: {dup}" if dup else "all unique"))

    gso = pd.read_csv(paths.facts_dir() / "communes_gso_codes_2020.csv", dtype=str)
    missing = sorted(set(gso["commune_code"]) - set(communes["gso_code"]))
    extra = sorted(set(communes["gso_code"]) - set(gso["commune_code"]))
    out.append(
        Check(
            "codes equal the GSO list (01/11/2020)",
            not missing and not extra,
            f"missing {missing}, not in list {extra}" if missing or extra else "102 of 102",
        )
    )

    per_district = communes.groupby("district_code").size()
    declared = districts.set_index("gso_code")["n_communes"]
    wrong = {d: (int(per_district.get(d, 0)), int(n)) for d, n in declared.items() if per_district.get(d, 0) != n}
    out.append(
        Check("communes per district", not wrong, f"mismatch (found, declared): {wrong}" if wrong else "all 10 match")
    )

    invalid = communes.loc[~communes.is_valid, "gso_code"].tolist()
    out.append(Check("valid geometries", not invalid, f"invalid: {invalid}" if invalid else "all valid"))

    m = communes.to_crs(METRIC)
    union = shapely.union_all(m.geometry.values)
    overlap_km2 = (m.area.sum() - union.area) / 1e6
    out.append(Check("no overlaps", overlap_km2 <= COVERAGE_TOL_KM2, f"{overlap_km2:.4f} km² overlapping"))
    outline = shapely.union_all(districts.to_crs(METRIC).geometry.values)
    gap_km2 = outline.difference(union).area / 1e6
    holes = [shapely.Polygon(r).area / 1e6 for p in getattr(union, "geoms", [union]) for r in p.interiors]
    gap_km2 += sum(holes)
    out.append(
        Check(
            "no gaps",
            gap_km2 <= COVERAGE_TOL_KM2,
            f"{gap_km2:.4f} km² not covered ({len(holes)} interior slivers, "
            f"largest {max(holes, default=0) * 1e6:.1f} m²)",
        )
    )

    nest = gpd.sjoin(
        m.assign(geometry=m.representative_point()),
        districts.to_crs(METRIC)[["gso_code", "geometry"]].rename(columns={"gso_code": "in_district"}),
        how="left",
        predicate="within",
    )
    bad = nest.loc[nest["in_district"] != nest["district_code"], "gso_code"].tolist()
    out.append(Check("communes nest in their districts", not bad, f"outside: {bad}" if bad else "all nest"))

    total = float(communes["area_km2"].sum())
    out.append(
        Check(
            "total area (UTM 48N)",
            abs(total - EXPECTED_AREA_KM2) <= AREA_TOLERANCE * EXPECTED_AREA_KM2,
            f"{total:,.1f} km² vs {EXPECTED_AREA_KM2:,.0f} km² (±{AREA_TOLERANCE:.0%})",
        )
    )

    flags = communes["quality_flag"].value_counts().to_dict()
    out.append(
        Check("geometry quality flags (informational)", True, ", ".join(f"{k}: {v}" for k, v in sorted(flags.items())))
    )
    return out


def check_observations(
    obs: pd.DataFrame, catalogue: pd.DataFrame, communes: gpd.GeoDataFrame, districts: gpd.GeoDataFrame
) -> list[Check]:
    """Indicator ids catalogued, codes known, statuses valid, synthetic marked."""
    out: list[Check] = []
    unknown = sorted(set(obs["indicator"]) - set(catalogue.index))
    out.append(
        Check(
            "indicators catalogued",
            not unknown,
            f"unknown: {unknown}" if unknown else f"{obs['indicator'].nunique()} indicators",
        )
    )
    known = {"province": {"62"}, "district": set(districts["gso_code"]), "commune": set(communes["gso_code"])}
    if "code_2025" in communes.columns:  # the 2025 communes are the parents of the 2020 ones
        known["commune_2025"] = set(communes["code_2025"].dropna().astype(str))
    bad = obs[[code not in known.get(level, set()) for level, code in zip(obs["unit_level"], obs["gso_code"])]]
    out.append(
        Check(
            "observation codes known",
            bad.empty,
            f"{len(bad)} rows with unknown codes: {sorted(set(bad['gso_code']))[:10]}"
            if len(bad)
            else f"{len(obs)} rows",
        )
    )
    statuses = set(obs["status"]) - {"official", "reported", "derived", "synthetic"}
    out.append(Check("status values", not statuses, f"bad: {sorted(statuses)}" if statuses else "all valid"))
    nosource = int((obs["source"].fillna("").str.strip() == "").sum())
    out.append(Check("every value has a source", nosource == 0, f"{nosource} rows without source"))
    return out


class ChecksFailed(Exception):
    """Raised by the build when a check fails; carries the failed checks."""

    def __init__(self, failed: list[Check]):
        super().__init__(f"{len(failed)} data checks failed")
        self.failed = failed
