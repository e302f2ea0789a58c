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
from geo.indicators import values as indicators
from geo.messages import Message
from geo.synthetic import demo
from geo.synthetic import generator as synthetic
from geo.units.border import OFFICIAL_INDICATORS, official_lengths

EXPECTED_COMMUNES = 102
EXPECTED_DISTRICTS = 10
EXPECTED_AREA_KM2 = 9674.0  # GSO statistical yearbook figure for Kon Tum
AREA_TOLERANCE = 0.01
COVERAGE_TOL_KM2 = 0.05  # gaps or overlaps larger than this fail


@dataclass(frozen=True)
class Check:
    """One check of the data: its name and detail are catalogue messages (or plain text).

    >>> c = Check(Message("check.observations.sources"), False, Message("check.observations.no_source", n=2))
    >>> c.line(), c.message().text("vi")
    ('[FAIL] every value has a source: 2 rows without source', 'mọi giá trị có nguồn: 2 dòng không có nguồn')
    """

    name: str
    ok: bool
    detail: str

    def line(self) -> str:
        """The build's report line (English: the command line and the logs)."""
        return f"[{'OK' if self.ok else 'FAIL'}] {self.name}: {self.detail}"

    def message(self) -> Message:
        """``name: detail`` as one message, for a reader in another language."""
        return Message("check.line", name=self.name, detail=self.detail)


def check_units(communes: gpd.GeoDataFrame, districts: gpd.GeoDataFrame) -> list[Check]:
    """Counts, codes, CRS, validity, coverage, nesting and area of the units."""
    out: list[Check] = []
    out.append(
        Check(
            Message("check.units.commune_count"),
            len(communes) == EXPECTED_COMMUNES,
            Message("check.units.count_detail", got=len(communes), expected=EXPECTED_COMMUNES),
        )
    )
    out.append(
        Check(
            Message("check.units.district_count"),
            len(districts) == EXPECTED_DISTRICTS,
            Message("check.units.count_detail", got=len(districts), expected=EXPECTED_DISTRICTS),
        )
    )
    wgs84 = communes.crs is not None and communes.crs.to_epsg() == 4326
    out.append(Check(Message("check.units.crs"), wgs84, Message("check.units.crs_detail", crs=str(communes.crs))))
    dup = communes["gso_code"][communes["gso_code"].duplicated()].tolist()
    out.append(
        Check(
            Message("check.units.unique_codes"),
            not dup,
            Message("check.units.duplicates", codes=dup) if dup else Message("check.units.all_unique"),
        )
    )

    gso = pd.read_csv(paths.facts_dir() / "communes_gso_codes_2020.csv", dtype=str)
    missing = sorted(set(gso["commune_code"]) - set(communes["gso_code"]))
    extra = sorted(set(communes["gso_code"]) - set(gso["commune_code"]))
    out.append(
        Check(
            Message("check.units.gso_list"),
            not missing and not extra,
            Message("check.units.gso_mismatch", missing=missing, extra=extra)
            if missing or extra
            else Message("check.units.gso_all"),
        )
    )

    per_district = communes.groupby("district_code").size()
    declared = districts.set_index("gso_code")["n_communes"]
    wrong = {d: (int(per_district.get(d, 0)), int(n)) for d, n in declared.items() if per_district.get(d, 0) != n}
    out.append(
        Check(
            Message("check.units.per_district"),
            not wrong,
            Message("check.units.per_district_mismatch", wrong=wrong)
            if wrong
            else Message("check.units.per_district_all"),
        )
    )

    invalid = communes.loc[~communes.is_valid, "gso_code"].tolist()
    out.append(
        Check(
            Message("check.units.valid"),
            not invalid,
            Message("check.units.invalid", codes=invalid) if invalid else Message("check.units.all_valid"),
        )
    )

    m = communes.to_crs(METRIC)
    union = shapely.union_all(m.geometry.values)
    overlap_km2 = (m.area.sum() - union.area) / 1e6
    out.append(
        Check(
            Message("check.units.no_overlaps"),
            overlap_km2 <= COVERAGE_TOL_KM2,
            Message("check.units.overlap_detail", km2=overlap_km2),
        )
    )
    outline = shapely.union_all(districts.to_crs(METRIC).geometry.values)
    gap_km2 = outline.difference(union).area / 1e6
    holes = [shapely.Polygon(r).area / 1e6 for p in getattr(union, "geoms", [union]) for r in p.interiors]
    gap_km2 += sum(holes)
    out.append(
        Check(
            Message("check.units.no_gaps"),
            gap_km2 <= COVERAGE_TOL_KM2,
            Message("check.units.gap_detail", km2=gap_km2, n=len(holes), largest=max(holes, default=0) * 1e6),
        )
    )

    nest = gpd.sjoin(
        m.assign(geometry=m.representative_point()),
        districts.to_crs(METRIC)[["gso_code", "geometry"]].rename(columns={"gso_code": "in_district"}),
        how="left",
        predicate="within",
    )
    bad = nest.loc[nest["in_district"] != nest["district_code"], "gso_code"].tolist()
    out.append(
        Check(
            Message("check.units.nest"),
            not bad,
            Message("check.units.outside", codes=bad) if bad else Message("check.units.all_nest"),
        )
    )

    total = float(communes["area_km2"].sum())
    out.append(
        Check(
            Message("check.units.area"),
            abs(total - EXPECTED_AREA_KM2) <= AREA_TOLERANCE * EXPECTED_AREA_KM2,
            Message("check.units.area_detail", total=total, expected=EXPECTED_AREA_KM2, tolerance=AREA_TOLERANCE),
        )
    )

    flags = communes["quality_flag"].value_counts().to_dict()
    out.append(
        Check(Message("check.units.quality_flags"), True, ", ".join(f"{k}: {v}" for k, v in sorted(flags.items())))
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
            Message("check.observations.catalogued"),
            not unknown,
            Message("check.observations.unknown_indicators", ids=unknown)
            if unknown
            else Message("check.observations.n_indicators", n=obs["indicator"].nunique()),
        )
    )
    known = {"province": {"62"}, "district": set(districts["gso_code"]), "commune": set(communes["gso_code"])}
    if "code_2025" in communes.columns:  # the 2025 communes are the parents of the 2020 ones
        known["commune_2025"] = set(communes["code_2025"].dropna().astype(str))
    bad = obs[[code not in known.get(level, set()) for level, code in zip(obs["unit_level"], obs["gso_code"])]]
    out.append(
        Check(
            Message("check.observations.codes"),
            bad.empty,
            Message("check.observations.unknown_codes", n=len(bad), codes=sorted(set(bad["gso_code"]))[:10])
            if len(bad)
            else Message("check.observations.n_rows", n=len(obs)),
        )
    )
    statuses = set(obs["status"]) - {"official", "reported", "derived", "synthetic"}
    out.append(
        Check(
            Message("check.observations.statuses"),
            not statuses,
            Message("check.observations.bad_statuses", got=sorted(statuses))
            if statuses
            else Message("check.observations.statuses_valid"),
        )
    )
    nosource = int((obs["source"].fillna("").str.strip() == "").sum())
    out.append(
        Check(
            Message("check.observations.sources"),
            nosource == 0,
            Message("check.observations.no_source", n=nosource),
        )
    )
    return out


class ChecksFailed(Exception):
    """Raised by the build when a check fails; carries the failed checks."""

    def __init__(self, failed: list[Check]):
        super().__init__(f"{len(failed)} data checks failed")
        self.failed = failed


# ----------------------------------------------------------- semantic checks

#: comingo.gov.vn (Ủy ban Dân tộc, 25/05/2023): "102 xã, phường, thị trấn (có 13 xã biên giới)".
EXPECTED_BORDER_COMMUNES = 13
#: The computed frontier against the published total (vietnam.vn 2020: ≈292.5 km).
FRONTIER_TOLERANCE = 0.01
#: Per country the computed line is compared more loosely, and says why: its LAO / KHM
#: split is set by the nearer Natural Earth outline (1–3 km off the official line).
FRONTIER_COUNTRY_TOLERANCE = 0.03
#: A weighted synthetic rate may differ from the published one by rounding only (2 decimals).
RATE_TOLERANCE = 0.005
POVERTY_COUNTS = {"poor_rate": "poor_households", "near_poor_rate": "near_poor_households"}
EXPECTED_COMMUNES_2025 = 40


def check_border(communes: gpd.GeoDataFrame, border: gpd.GeoDataFrame, obs: pd.DataFrame) -> list[Check]:
    """13 border communes; the computed frontier beside the published lengths."""
    n = int(communes["on_border"].sum())
    out = [
        Check(
            "border communes",
            n == EXPECTED_BORDER_COMMUNES,
            f"{n} communes run ≥ 0.5 km along the border (expected {EXPECTED_BORDER_COMMUNES}, comingo.gov.vn 2023)",
        )
    ]
    official, source = official_lengths(obs)
    computed = dict(zip(border["country"], border["length_km"].astype(float)))
    total = sum(computed.values())
    if "total" not in official:
        return out + [Check("frontier length", False, "no published frontier length (frontier_length_km) found")]
    dev = total / official["total"] - 1
    out.append(
        Check(
            "frontier length",
            abs(dev) <= FRONTIER_TOLERANCE,
            f"computed {total:.1f} km ({' + '.join(f'{c} {v:.1f}' for c, v in sorted(computed.items()))}, UTM 48N) "
            f"vs published {official['total']:.1f} km: {dev:+.2%} (tolerance ±{FRONTIER_TOLERANCE:.0%}); the computed "
            "line stops about 0.5 km short of each tri-junction with Quảng Nam and Gia Lai",
        )
    )
    for country in sorted(OFFICIAL_INDICATORS):
        if country not in official or country not in computed:
            out.append(Check(f"frontier length {country}", False, f"no published or computed {country} length"))
            continue
        dev = computed[country] / official[country] - 1
        out.append(
            Check(
                f"frontier length {country}",
                abs(dev) <= FRONTIER_COUNTRY_TOLERANCE,
                f"computed {computed[country]:.1f} km vs published {official[country]:.1f} km: {dev:+.2%} "
                f"(tolerance ±{FRONTIER_COUNTRY_TOLERANCE:.0%}: the LAO/KHM split of the computed line follows the "
                "nearer Natural Earth outline, 1–3 km off the official tri-point)",
            )
        )
    return out


def _commune_table(obs: pd.DataFrame, indicator: str, year: int) -> pd.Series:
    return indicators.values(obs, indicator, "commune", year).set_index("gso_code")["value"].astype(float)


def _real_rows(obs: pd.DataFrame, indicator: str, level: str, qualifiers: tuple[str, ...]) -> pd.DataFrame:
    note = obs["note"].fillna("").astype(str)
    return obs[
        (obs["indicator"] == indicator)
        & (obs["unit_level"] == level)
        & (obs["standard"] == demo.STANDARD_2016)
        & obs["qualifier"].isin(qualifiers)
        & (obs["status"] != "synthetic")
        & obs["year"].isin(synthetic.YEARS)
        & ~note.str.startswith("alternative:")
    ]


def _members(communes: pd.DataFrame, level: str, code: str) -> pd.Index:
    if level == "province":
        return pd.Index(communes["gso_code"])
    return pd.Index(communes.loc[communes["district_code"] == code, "gso_code"])


def check_synthetic(obs: pd.DataFrame, communes: pd.DataFrame) -> list[Check]:
    """Synthetic values agree with the real ones: province series, counts, bounds, new-rural."""
    return (
        _check_province_series(obs)
        + _check_counts(obs, communes)
        + _check_real_counts(obs, communes)
        + _check_bounds(obs, communes)
        + [_check_new_rural(obs)]
    )


def _check_province_series(obs: pd.DataFrame) -> list[Check]:
    out = []
    for rate_id, count_id in POVERTY_COUNTS.items():
        parts, ok = [], True
        for year in synthetic.YEARS:
            prov = indicators.values(obs, rate_id, "province", year, standard=demo.STANDARD_2016)
            counts, hh = _commune_table(obs, count_id, year), _commune_table(obs, "households", year)
            if prov.empty or counts.empty:
                ok = False
                parts.append(f"{year}: missing")
                continue
            got = 100.0 * counts.sum() / hh.reindex(counts.index).sum()
            want = float(prov["value"].iloc[0])
            ok &= abs(got - want) <= RATE_TOLERANCE
            parts.append(f"{year} {got:.4f} vs {want:g}")
        out.append(
            Check(
                f"synthetic {rate_id} reproduces the province series",
                ok,
                f"Σ commune {count_id} ÷ Σ households, % (tolerance ±{RATE_TOLERANCE}): " + "; ".join(parts),
            )
        )
    return out


def _check_counts(obs: pd.DataFrame, communes: pd.DataFrame) -> list[Check]:
    bad, sums, n = [], [], 0
    district_of = communes.set_index("gso_code")["district_code"]
    for year in synthetic.YEARS:
        hh = _commune_table(obs, "households", year)
        poor, near = _commune_table(obs, "poor_households", year), _commune_table(obs, "near_poor_households", year)
        for rate_id, count_id in POVERTY_COUNTS.items():
            rate, count = _commune_table(obs, rate_id, year), _commune_table(obs, count_id, year)
            off = (rate * hh.reindex(rate.index) / 100 - count.reindex(rate.index)).abs() > 0.5
            bad += [f"{c} {year} {rate_id} × households ≠ {count_id}" for c in rate.index[off.fillna(True)]]
        total = poor.add(near, fill_value=0)
        over = total[total > hh.reindex(total.index)]
        bad += [f"{c} {year} poor + near-poor {int(v)} > households {int(hh[c])}" for c, v in over.items()]
        n += len(hh)
        for level in ("district", "province"):
            real = indicators.values(obs, "households", level, year).set_index("gso_code")["value"]
            groups = hh.groupby(district_of.reindex(hh.index)) if level == "district" else {"62": hh}.items()
            for code, part in groups:
                if code in real.index and int(part.sum()) != int(real[code]):
                    sums.append(f"{level} {code} {year}: Σ communes {int(part.sum())} ≠ {int(real[code])}")
    return [
        Check(
            "household counts consistent",
            not bad,
            f"{n} commune-years: poor + near-poor ≤ households, rate × households = count (±0.5)"
            + (f"; broken: {bad[:5]}" if bad else ""),
        ),
        Check(
            "households sum by level",
            not sums,
            "Σ commune households = district and province households each year"
            + (f"; broken: {sums[:5]}" if sums else ""),
        ),
    ]


def _check_real_counts(obs: pd.DataFrame, communes: pd.DataFrame) -> list[Check]:
    parts, bad = [], []
    for count_id in POVERTY_COUNTS.values():
        for level in ("province", "district"):
            for r in _real_rows(obs, count_id, level, ("=", ">", "<")).itertuples():
                got = _commune_table(obs, count_id, int(r.year)).reindex(_members(communes, level, r.gso_code)).sum()
                if r.qualifier == "=":
                    good = int(got) == int(r.value)
                    parts.append(f"{r.unit_name} {r.year} {count_id} {int(got)} = {int(r.value)}")
                else:
                    lo, hi = demo.approximate_interval(r.qualifier, float(r.value), demo.APPROX_SPAN_COUNT * r.value)
                    good = lo < got <= hi if r.qualifier == ">" else lo <= got < hi
                    parts.append(f"{r.unit_name} {r.year} {count_id} {int(got)} in '{r.qualifier}{r.value:g}'")
                if not good:
                    bad.append(parts[-1])
    return [
        Check(
            "synthetic counts sum to the real counts",
            bool(parts) and not bad,
            f"{len(parts)} real counts: " + "; ".join(parts) + (f" — broken: {bad}" if bad else ""),
        )
    ]


def _check_bounds(obs: pd.DataFrame, communes: pd.DataFrame) -> list[Check]:
    parts, bad = [], []
    for level in ("commune", "district"):
        for r in _real_rows(obs, "poor_rate", level, (">", "<")).itertuples():
            year = int(r.year)
            if level == "commune":
                got = _commune_table(obs, "poor_rate", year).get(r.gso_code, float("nan"))
            else:
                members = _members(communes, level, r.gso_code)
                counts = _commune_table(obs, "poor_households", year).reindex(members)
                got = 100.0 * counts.sum() / _commune_table(obs, "households", year).reindex(members).sum()
            lo, hi = demo.approximate_interval(r.qualifier, float(r.value), demo.APPROX_SPAN_POINTS)
            good = lo < got <= hi if r.qualifier == ">" else lo <= got < hi
            parts.append(f"{r.unit_name} {year} {got:.2f} in '{r.qualifier}{r.value:g}%'")
            if not good:
                bad.append(parts[-1])
    return [
        Check(
            "approximate bounds honoured",
            not bad,
            f"'hơn/trên X%' = within {demo.APPROX_SPAN_POINTS:g} points above X: "
            + "; ".join(parts)
            + (f" — broken: {bad}" if bad else ""),
        )
    ]


def _check_new_rural(obs: pd.DataFrame) -> Check:
    parts, bad = [], []
    for year in demo.NTM_YEARS:
        codes = demo.ntm_communes(obs, year)
        rates = _commune_table(obs, "poor_rate", year).reindex(codes)
        over = rates[~(rates <= demo.NTM_POVERTY_MAX)]
        bad += [f"{c} {year} {v:.2f}%" for c, v in over.items()]
        parts.append(f"{year}: {len(codes)} communes, max {rates.max():.2f}%" if len(codes) else f"{year}: none")
    return Check(
        "new-rural communes meet criterion 11 (QĐ 1980/QĐ-TTg)",
        not bad,
        f"poor rate ≤ {demo.NTM_POVERTY_MAX:g}% (Tây Nguyên) in the year recognised / met 19/19: "
        + "; ".join(parts)
        + (f" — broken: {bad}" if bad else ""),
    )


def check_standards(obs: pd.DataFrame, catalogue: pd.DataFrame) -> list[Check]:
    """No (unit, indicator, year) mixes standards; every poverty indicator row has one."""
    note = obs["note"].fillna("").astype(str)
    primary = obs[~note.str.startswith("alternative:")]
    std = primary["standard"].fillna("").astype(str).str.strip()
    keyed = primary.assign(_std=std, _year=primary["year"].astype("Int64").astype(str))
    named = keyed[keyed["_std"] != ""]
    n_std = named.groupby(["unit_level", "gso_code", "indicator", "_year"])["_std"].nunique()
    mixed = [f"{lv} {code} {ind} {y}" for (lv, code, ind, y), k in n_std.items() if k > 1]
    poverty = set(catalogue.index[catalogue["standard"].fillna("").astype(str).str.strip() != ""])
    missing = keyed[keyed["indicator"].isin(poverty) & (keyed["_std"] == "")]
    return [
        Check(
            "one poverty standard per unit, indicator and year",
            not mixed,
            f"{len(n_std)} (unit, indicator, year) keys of primary rows"
            + (f"; mixed: {mixed[:5]}" if mixed else ", none with two standards"),
        ),
        Check(
            "every poverty indicator row has a standard",
            missing.empty,
            f"{int(keyed['indicator'].isin(poverty).sum())} rows of {len(poverty)} standard-bound indicators"
            + (
                f"; without: {sorted(set(missing['indicator'] + ' ' + missing['gso_code'].astype(str)))[:5]}"
                if len(missing)
                else ", all have one"
            ),
        ),
    ]


def check_crosswalk(communes: pd.DataFrame, communes_2025: pd.DataFrame, mapping: pd.DataFrame) -> list[Check]:
    """102 → 40: every 2020 commune in exactly one 2025 commune, codes known."""
    members = {
        str(row.gso_code): [c.strip() for c in str(row.member_gso_codes_2020).split(",") if c.strip()]
        for row in communes_2025.itertuples()
    }
    where: dict[str, list[str]] = {}
    for new, old in members.items():
        for code in old:
            where.setdefault(code, []).append(new)
    codes = set(communes["gso_code"].astype(str))
    lost = sorted(codes - set(where))
    twice = sorted(c for c, news in where.items() if len(news) > 1)
    stray = sorted(set(where) - codes)
    by_old = mapping.astype(str).set_index("old_commune_code")["new_commune_code"]
    wrong = sorted(c for c, news in where.items() if c in by_old.index and news != [by_old[c]])
    unknown = sorted(
        n for n in members if not (len(n) == 5 and n.isdigit() and n in set(mapping["new_commune_code"].astype(str)))
    )
    ok = not (lost or twice or stray or wrong or unknown) and len(members) == EXPECTED_COMMUNES_2025
    detail = f"{len(codes)} communes of 2020 → {len(members)} of 2025 (expected {EXPECTED_COMMUNES_2025})"
    for label, items in (
        ("in none", lost),
        ("in two", twice),
        ("unknown 2020 codes", stray),
        ("differs from NQ 1677 mapping", wrong),
        ("unknown 2025 codes", unknown),
    ):
        if items:
            detail += f"; {label}: {items[:5]}"
    return [
        Check("102 → 40 crosswalk complete", ok, detail if not ok else detail + ", each in exactly one, codes known")
    ]


def check_semantics(layers: dict[str, pd.DataFrame], catalogue: pd.DataFrame) -> list[Check]:
    """The semantic checks of ``python -m geo check`` over the compiled layers."""
    obs, communes = layers["observations"], layers["communes"]
    mapping = pd.read_csv(paths.facts_dir() / "commune_mapping_2025_old_to_new.csv", dtype=str)
    return (
        check_border(communes, layers["border"], obs)
        + check_synthetic(obs, communes)
        + check_standards(obs, catalogue)
        + check_crosswalk(communes, layers["communes_2025"], mapping)
    )
