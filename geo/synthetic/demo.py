"""Run the synthetic generator on the real figures and return observation rows.

:mod:`geo.synthetic.generator` holds the pure generator; this module feeds it the
real figures from the observations table (province series, district
figures, census population, Program 135 lists, road shares) and turns its
output into rows of the same long table, each with ``status`` ``synthetic``
or ``derived`` and a source that says how it was made.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from geo.indicators import values as indicators
from geo.synthetic import generator as synthetic

STANDARD_2016 = "2016-2020 multidimensional (QĐ 59/2015/QĐ-TTg)"
#: How a synthetic value was made, as its source says to a reader (data, shown as it is in both
#: languages): what it is, then the method (README "What is real and what is not").
GENERATOR = (
    "Dữ liệu minh họa (tạo tự động) / Synthetic demo values (generated) — method: weighted to the real "
    "province series and district figures (README, 'What is real and what is not')"
)
REVIEW_SOURCE = "households of the 2021 review, Ban Dân tộc tỉnh Kon Tum 'Biểu số 05', 21-3-2022"
CENSUS_SOURCE = "2019 census population per commune (GSO, population_census2019_by_commune.csv)"
#: The years with a household series: the synthetic years and the 2021 review they are anchored to.
REVIEW_YEAR = 2021
HH_YEARS = (*synthetic.YEARS, REVIEW_YEAR)

#: "hơn 4%", "trên 58%": a little above the bound — a synthetic value lies at most this
#: many points beyond it (rates, %); for a count bound ("hơn 4.650 hộ") this share of it.
APPROX_SPAN_POINTS = 3.0
APPROX_SPAN_COUNT = 0.03
#: A district value pinned inside an approximate bound sits this far (points) from its ends.
DISTRICT_BOUND_MARGIN = 0.1

#: Criterion 11 "Hộ nghèo" of the national new-rural criteria 2016-2020: the
#: multidimensional poverty rate of a recognised commune in the Central Highlands
#: (Tây Nguyên, Kon Tum's region) is at most this (%).
NTM_POVERTY_MAX = 7.0
NTM_YEARS = range(2016, 2021)
NTM_CRITERION_SOURCE = (
    "Quyết định 1980/QĐ-TTg (17/10/2016) ban hành Bộ tiêu chí quốc gia về xã nông thôn mới giai đoạn "
    "2016-2020, Điều 1 and its annex, tiêu chí 11 'Hộ nghèo' (Tây Nguyên); the threshold ≤7% as quoted by "
    "Nghị quyết 05-NQ/TU (12/4/2017) of the Gia Lai Party Committee: 'xã có tỷ lệ hộ nghèo (theo chuẩn đa "
    "chiều áp dụng cho giai đoạn 2016 - 2020) dưới 7%, đạt tiêu chí hộ nghèo trong 19 tiêu chí xây dựng nông "
    "thôn mới' — https://tinhuygialai.org.vn/van-ban-moi/tinh-uy-ban-hanh-nghi-quyet-ve-giam-nhanh-va-ben-vung-"
    "ty-le-ho-ngheo-trong-dong-bao-dan-toc-thieu-so-giai-doan-2017--2020-va-dinh-huong-den-nam-2025/"
    "vi-VN-19732-382.html (18/04/2017); the decision's own text was not in the stored sources"
)


class DemoInputError(ValueError):
    """A real figure the generator needs is missing from the observations."""


def _need(frame: pd.DataFrame, what: str, expected: int | None = None) -> pd.DataFrame:
    if frame.empty or (expected is not None and len(frame) != expected):
        got = 0 if frame.empty else len(frame)
        raise DemoInputError(f"missing real figures for the demo generator: {what} (found {got})")
    return frame


def _province_series(obs: pd.DataFrame, indicator: str) -> tuple[dict[int, float], str]:
    out, sources = {}, []
    for year in synthetic.YEARS:
        v = indicators.values(obs, indicator, "province", year, standard=STANDARD_2016)
        _need(v, f"province {indicator} {year} ({STANDARD_2016})", 1)
        out[year] = float(v["value"].iloc[0]) / 100.0
        sources.append(str(v["source"].iloc[0]))
    return out, "; ".join(dict.fromkeys(sources))


def _exact(obs: pd.DataFrame, indicator: str, level: str) -> dict[tuple[str, int], float]:
    """Real exact figures of ``indicator`` (2016-2020 standard) by (unit code, year)."""
    rows = indicators.usable(obs)
    rows = rows[
        (rows["indicator"] == indicator)
        & (rows["unit_level"] == level)
        & (rows["standard"] == STANDARD_2016)
        & (rows["qualifier"] == "=")
        & (rows["status"] != "synthetic")
        & rows["year"].isin(synthetic.YEARS)
    ]
    rows = rows.assign(_rank=rows["status"].map(indicators.STATUS_RANK)).sort_values("_rank", kind="stable")
    return {(r.gso_code, int(r.year)): float(r.value) for r in rows.drop_duplicates(["gso_code", "year"]).itertuples()}


def _bounds(obs: pd.DataFrame, indicator: str, level: str = "district") -> list[tuple[str, int, str, float]]:
    """Real bounds such as Tu Mơ Rông end-2018 "trên 52%" (district) or Sa Bình 2016 "trên 58%"
    (commune): (unit code, year, '>'|'<', value as published: % or a count)."""
    note = obs["note"].fillna("").astype(str)
    rows = obs[
        (obs["indicator"] == indicator)
        & (obs["unit_level"] == level)
        & (obs["standard"] == STANDARD_2016)
        & obs["qualifier"].isin([">", "<"])
        & obs["year"].isin(synthetic.YEARS)
        & ~note.str.startswith("alternative:")
    ]
    return [(r.gso_code, int(r.year), r.qualifier, float(r.value)) for r in rows.itertuples()]


def approximate_interval(op: str, bound: float, span: float) -> tuple[float, float]:
    """Where "a little above/below" ``bound`` lies: ``(bound, bound + span]`` for '>'.

    >>> approximate_interval(">", 4.0, 3.0), approximate_interval("<", 24.0, 3.0)
    ((4.0, 7.0), (21.0, 24.0))
    """
    return (bound, bound + span) if op == ">" else (bound - span, bound)


def household_anchors(obs: pd.DataFrame) -> tuple[dict[int, int], dict[tuple[str, int], int], dict[str, int]]:
    """Real household counts: province per year, districts where known, the 2021 review.

    A year's households = its real poor households ÷ their real rate (both
    published, 2016-2020 standard); a district count bound such as Sa Thầy
    early-2016 "hơn 4.650 hộ" at 40.3% gives the households of the middle of
    its approximate interval.
    """
    province, district = {}, {}
    for level, store in (("province", province), ("district", district)):
        counts, rates = _exact(obs, "poor_households", level), _exact(obs, "poor_rate", level)
        for key, count in counts.items():
            if key in rates and rates[key] > 0:
                store[key] = int(round(count * 100.0 / rates[key]))
        for code, year, op, bound in _bounds(obs, "poor_households", level):
            if (code, year) in rates and (code, year) not in store:
                lo, hi = approximate_interval(op, bound, bound * APPROX_SPAN_COUNT)
                store[(code, year)] = int(round((lo + hi) / 2 * 100.0 / rates[(code, year)]))
    review = _need(indicators.values(obs, "households", "district", REVIEW_YEAR), "district households 2021", 10)
    prov_review = _need(indicators.values(obs, "households", "province", REVIEW_YEAR), "province households 2021", 1)
    years = {y: h for (_, y), h in province.items()}
    years[REVIEW_YEAR] = int(prov_review["value"].iloc[0])
    return years, district, {r.gso_code: int(r.value) for r in review.itertuples()}


def _province_households(anchors: dict[int, int]) -> dict[int, int]:
    return {y: int(round(v)) for y, v in synthetic.interpolate_totals(anchors, HH_YEARS).items()}


def _limits(obs: pd.DataFrame, units: pd.DataFrame, hh: pd.DataFrame) -> dict[int, tuple[np.ndarray, np.ndarray]]:
    """Per year, each commune's (lo, hi) poor rate (0-1) from real bounds and new-rural status.

    Bounds are kept one household inside (``1 / households``) so the
    rounded counts stay inside them too.
    """
    position = {str(code): i for i, code in enumerate(units["gso_code"])}
    out = {}
    for year in synthetic.YEARS:
        margin = 1.0 / hh[year].to_numpy(float)
        lo, hi = np.zeros(len(units)), np.ones(len(units)) - margin
        for code, y, op, bound in _bounds(obs, "poor_rate", "commune"):
            if y == year and code in position:
                a, b = approximate_interval(op, bound, APPROX_SPAN_POINTS)
                i = position[code]
                lo[i], hi[i] = max(lo[i], a / 100 + margin[i]), min(hi[i], b / 100 - margin[i])
        for i in (position[c] for c in ntm_communes(obs, year) if c in position):
            hi[i] = min(hi[i], NTM_POVERTY_MAX / 100 - margin[i])
        bad = [units["gso_code"].iloc[i] for i in np.flatnonzero(lo > hi)]
        if bad:
            raise DemoInputError(f"{year}: real bounds and new-rural status of communes {bad} contradict each other")
        out[year] = (lo, hi)
    return out


def ntm_communes(obs: pd.DataFrame, year: int) -> list[str]:
    """Communes that meet the new-rural criteria in ``year`` (2016-2020): recognised in
    that year (``ntm_recognised``) or, for 2020, meeting 19/19 at end-2020 (``ntm_standard_2020``)."""
    if year not in NTM_YEARS:
        return []
    rows = obs[(obs["unit_level"] == "commune") & (pd.to_numeric(obs["value"], errors="coerce") == 1)]
    hit = ((rows["indicator"] == "ntm_recognised") & (rows["year"] == year)) | (
        (rows["indicator"] == "ntm_standard_2020") & (rows["year"] == year) & (year == 2020)
    )
    return sorted(set(rows.loc[hit, "gso_code"].astype(str)))


def _district_rate(series: pd.DataFrame, hh: pd.DataFrame, members: pd.Series, year: int) -> float:
    w = hh.loc[members, year].astype(float)
    return float((series.loc[members, year] * w).sum() / w.sum())


def _series(obs, indicator, units, hh, province, relative, pins, seed, score=None, bounds=None):
    """The commune series, with every district inside its real approximate bounds.

    A district outside (bound, bound + 3 points] is pinned inside it (0.1
    point from the end it broke) and the year redone.
    """
    score = synthetic.poverty_score(units, seed) if score is None else np.array(score, dtype=float)
    pins = dict(pins)

    def run():
        try:
            return synthetic.poverty_series(
                units, province, relative, pins, seed, score=score, households=hh, bounds=bounds
            )
        except ValueError as exc:
            raise DemoInputError(f"{indicator}: the real figures cannot all be met: {exc}") from None

    if bounds:
        score = _fit_scores(units, hh, province, relative, pins, seed, score, bounds)
    series = run()
    for _ in range(3):
        extra = {}
        for district, year, op, bound in _bounds(obs, indicator):
            if (district, year) in pins:
                continue
            lo, hi = approximate_interval(op, bound, APPROX_SPAN_POINTS)
            got = _district_rate(series, hh, units["district_code"] == district, year) * 100
            if not lo < got <= hi:
                target = lo + DISTRICT_BOUND_MARGIN if got <= lo else hi - DISTRICT_BOUND_MARGIN
                extra[(district, year)] = target / 100
        if not extra:
            return series
        pins.update(extra)
        series = run()
    raise DemoInputError(f"{indicator}: district values cannot be brought inside their real bounds")


#: How many times commune scores are moved towards their real bounds before the bounds are enforced.
FIT_ROUNDS = 3


def _fit_scores(units, hh, province, relative, pins, seed, score, bounds) -> np.ndarray:
    """Commune scores moved so that the unconstrained series falls inside the bounds.

    A commune outside its (lo, hi) in some year has its score (its place in
    its district, every year) shifted by the mean logit gap to the middle of
    the interval (to three quarters of ``hi`` for a cap alone), so a commune
    recognised new-rural in 2019 is already among the less poor of its
    district before, rather than dropping to the cap in one year.  The
    bounds themselves are then enforced by the calibration.
    """
    score = np.array(score, dtype=float)
    for _ in range(FIT_ROUNDS):
        natural = synthetic.poverty_series(units, province, relative, pins, seed, score=score, households=hh)
        gaps = np.zeros(len(units))
        counts = np.zeros(len(units))
        for year, (lo, hi) in bounds.items():
            got = natural[year].to_numpy(float)
            out = (got < lo) | (got > hi)
            target = np.where(lo > 0, (lo + hi) / 2, 0.75 * hi)
            gaps[out] += synthetic.logit(target[out]) - synthetic.logit(got[out])
            counts[out] += 1
        if not counts.any():
            break
        score = score + np.divide(gaps, counts, out=np.zeros_like(gaps), where=counts > 0)
    return score


def _observed_relative(pins: dict[tuple[str, int], float], province: dict[int, float]) -> dict[str, float]:
    """A district's logit offset from the province where a real figure exists (mean over years)."""
    by_district: dict[str, list[float]] = {}
    for (district, year), rate in pins.items():
        by_district.setdefault(district, []).append(float(synthetic.logit(rate) - synthetic.logit(province[year])))
    return {d: sum(v) / len(v) for d, v in by_district.items()}


def _row(level, code, name, indicator, year, value, unit, status, source, standard="", note=""):
    return {
        "unit_level": level,
        "gso_code": code,
        "unit_name": name,
        "indicator": indicator,
        "year": year,
        "period": str(year) if year else "",
        "qualifier": "=",
        "value": value,
        "unit": unit,
        "standard": standard,
        "status": status,
        "source": source,
        "note": note,
    }


def _targets(obs, indicator, hh_prov, dist_hh, rates_prov):
    """What the rates and counts of one indicator must meet, per year.

    Returns the province rate per year (real count ÷ households where the
    count is published, else the published rate), the real province counts,
    the district pins (rate; count ÷ households where published) and the
    real district counts.
    """
    count_ind = indicator.replace("_rate", "_households")
    prov_counts = {y: int(v) for (_, y), v in _exact(obs, count_ind, "province").items()}
    province = {y: (prov_counts[y] / hh_prov[y] if y in prov_counts else rates_prov[y]) for y in synthetic.YEARS}
    dist_counts = {k: int(v) for k, v in _exact(obs, count_ind, "district").items()}
    pins = {k: v / 100.0 for k, v in _exact(obs, indicator, "district").items()}
    for key, count in dist_counts.items():
        if key in pins:
            pins[key] = count / float(dist_hh.at[key[0], key[1]])
    return province, prov_counts, pins, dist_counts


def _counts(series, hh, units, province, prov_counts, pins, dist_counts, dist_hh):
    """Integer counts per commune and year meeting every real count (see :func:`generator.allocate_counts`)."""
    out = pd.DataFrame(index=units.index)
    for year in synthetic.YEARS:
        total = prov_counts.get(year, int(round(province[year] * float(hh[year].sum()))))
        fixed = {d: c for (d, y), c in dist_counts.items() if y == year}
        for (d, y), rate in pins.items():
            if y == year and d not in fixed:
                fixed[d] = int(round(rate * float(dist_hh.at[d, y])))
        out[year] = synthetic.allocate_counts(series[year], hh[year], units["district_code"], total, fixed)
    return out


def generate(
    communes: pd.DataFrame, districts: pd.DataFrame, obs: pd.DataFrame, seed: int = synthetic.SEED
) -> pd.DataFrame:
    """Derived and synthetic observation rows for the communes and districts."""
    units = communes[["gso_code", "name", "district_code", "unit_type", "area_km2"]].copy()
    pop = _need(
        indicators.values(obs, "population_2019", "commune", 2019), "commune population 2019", len(units)
    ).set_index("gso_code")["value"]
    units["population"] = units["gso_code"].map(pop)
    p135_codes = set(
        obs.loc[obs["indicator"].isin(["p135_2016", "p135_2017_2020"]) & (obs["unit_level"] == "commune"), "gso_code"]
    )
    units["p135"] = units["gso_code"].isin(p135_codes)

    prov_anchor, dist_anchor, review = household_anchors(obs)
    hh_prov = _province_households(prov_anchor)
    dist_hh = synthetic.district_household_series(review, hh_prov, dist_anchor, REVIEW_YEAR)
    hh = synthetic.household_series(units, dist_hh)
    units["households"] = hh[REVIEW_YEAR]

    poor21 = _need(indicators.values(obs, "poor_households", "district", 2021), "district poor households 2021", 10)
    poor21 = poor21.set_index("gso_code")["value"]
    hh21 = pd.Series(review, dtype=float)
    relative = synthetic.relative_offsets((poor21 / hh21).to_dict(), float(poor21.sum() / hh21.sum()))
    poor_rates, poor_src = _province_series(obs, "poor_rate")
    near_rates, near_src = _province_series(obs, "near_poor_rate")
    poor_prov, poor_pc, poor_pins, poor_dc = _targets(obs, "poor_rate", hh_prov, dist_hh, poor_rates)
    near_prov, near_pc, near_pins, near_dc = _targets(obs, "near_poor_rate", hh_prov, dist_hh, near_rates)
    # Near-poor rates vary far less between districts than poor rates: damp
    # the poor-rate position; a district's own real figure wins for both.
    near_relative = {d: synthetic.NEAR_POOR_DISTRICT_DAMPING * r for d, r in relative.items()}
    relative = {**relative, **_observed_relative(poor_pins, poor_prov)}
    near_relative = {**near_relative, **_observed_relative(near_pins, near_prov)}

    poor = _series(obs, "poor_rate", units, hh, poor_prov, relative, poor_pins, seed, bounds=_limits(obs, units, hh))
    poor_n = _counts(poor, hh, units, poor_prov, poor_pc, poor_pins, poor_dc, dist_hh)
    # Poor and near-poor households together never exceed the households.
    room = {
        y: (np.zeros(len(units)), ((hh[y] - poor_n[y] - 1) / hh[y]).clip(lower=0).to_numpy()) for y in synthetic.YEARS
    }
    near = _series(
        obs,
        "near_poor_rate",
        units,
        hh,
        near_prov,
        near_relative,
        near_pins,
        seed,
        score=synthetic.near_poor_score(units, seed),
        bounds=room,
    )
    near_n = _counts(near, hh, units, near_prov, near_pc, near_pins, near_dc, dist_hh)

    note = synthetic.SYNTHETIC_NOTE.format(seed=seed)
    hh_note = household_note(prov_anchor, dist_anchor, hh_prov)
    rows = _commune_rows(units, hh, poor_n, near_n, poor_src, near_src, note, hh_note)
    rows += _district_rows(units, hh, poor_n, near_n, poor_src, near_src, districts, note, hh_note)
    rows += _province_rows(hh_prov, prov_anchor, hh_note)
    rows += _road_rows(units.assign(households=hh[2020]), poor_n[2020] / hh[2020], obs, seed, note)
    out = pd.DataFrame(rows)
    out["year"] = out["year"].astype("Int64")
    return out


def household_note(
    prov_anchor: dict[int, int], dist_anchor: dict[tuple[str, int], int], hh_prov: dict[int, int]
) -> str:
    """How the household series was made, with the real anchors (shown with every household row)."""
    real = ", ".join(f"{y}: {h:,}" for y, h in sorted(prov_anchor.items()))
    dist = ", ".join(f"{d} {y}: {h:,}" for (d, y), h in sorted(dist_anchor.items()))
    return (
        f"households per year: province {real} (real poor households ÷ their rate; {REVIEW_YEAR}: the review), "
        "log-linear in between, earlier years at the mean growth of the known years "
        f"({', '.join(f'{y}: {hh_prov[y]:,}' for y in HH_YEARS if y not in prov_anchor)}); each district "
        f"its share of the {REVIEW_YEAR} review, corrected to its own real count where published ({dist}); "
        "communes by their 2019 census population; rounded by largest remainder so every level sums exactly"
    )


def _hh_source() -> str:
    return f"derived: {REVIEW_SOURCE}; real province and district poor-household counts ÷ rates; {CENSUS_SOURCE}"


def _commune_rows(units, hh, poor_n, near_n, poor_src, near_src, note, hh_note) -> list[dict]:
    rows = []
    for i, u in units.iterrows():
        for year in HH_YEARS:
            rows.append(
                _row(
                    "commune",
                    u.gso_code,
                    u["name"],
                    "households",
                    year,
                    int(hh.at[i, year]),
                    "households",
                    "derived",
                    _hh_source(),
                    note=hh_note,
                )
            )
        rows.append(
            _row(
                "commune",
                u.gso_code,
                u["name"],
                "population_density_2019",
                2019,
                round(u.population / u.area_km2, 1),
                "persons/km²",
                "derived",
                "derived: 2019 census population ÷ area computed in UTM 48N",
            )
        )
        for year in synthetic.YEARS:
            for ind, counts, src in (("poor_rate", poor_n, poor_src), ("near_poor_rate", near_n, near_src)):
                n, h = int(counts.at[i, year]), int(hh.at[i, year])
                source = f"{GENERATOR}, calibrated to: {src}"
                rows.append(
                    _row(
                        "commune",
                        u.gso_code,
                        u["name"],
                        ind,
                        year,
                        round(100.0 * n / h, 4),
                        "%",
                        "synthetic",
                        source,
                        STANDARD_2016,
                        note,
                    )
                )
                rows.append(
                    _row(
                        "commune",
                        u.gso_code,
                        u["name"],
                        ind.replace("_rate", "_households"),
                        year,
                        n,
                        "households",
                        "synthetic",
                        source,
                        STANDARD_2016,
                        note,
                    )
                )
    return rows


def _district_rows(units, hh, poor_n, near_n, poor_src, near_src, districts, note, hh_note) -> list[dict]:
    """District households (derived) and synthetic rates = Σ commune counts ÷ Σ households
    (a real district figure, where one exists, wins).  No district count rows: a
    district's poor households stay real-only, so what uses them as a divisor (the
    allocation rules) is not made synthetic by the demo."""
    names = districts.set_index("gso_code")["name"]
    rows = []
    for code, grp in units.groupby("district_code"):
        rows.append(
            _row(
                "district",
                code,
                names[code],
                "population_density_2019",
                2019,
                round(grp.population.sum() / grp.area_km2.sum(), 1),
                "persons/km²",
                "derived",
                "derived: sum of 2019 census commune population ÷ area computed in UTM 48N",
            )
        )
        for year in synthetic.YEARS:
            h = int(hh.loc[grp.index, year].sum())
            rows.append(
                _row(
                    "district",
                    code,
                    names[code],
                    "households",
                    year,
                    h,
                    "households",
                    "derived",
                    _hh_source(),
                    note=hh_note,
                )
            )
            for ind, counts, src in (("poor_rate", poor_n, poor_src), ("near_poor_rate", near_n, near_src)):
                n = int(counts.loc[grp.index, year].sum())
                source = f"{GENERATOR} (sum of its communes), calibrated to: {src}"
                rows.append(
                    _row(
                        "district",
                        code,
                        names[code],
                        ind,
                        year,
                        round(100.0 * n / h, 4),
                        "%",
                        "synthetic",
                        source,
                        STANDARD_2016,
                        note,
                    )
                )
    return rows


def _province_rows(hh_prov, prov_anchor, hh_note) -> list[dict]:
    """The province's households per year (real count ÷ rate, or interpolated)."""
    return [
        _row(
            "province",
            "62",
            "Tỉnh Kon Tum",
            "households",
            y,
            int(hh_prov[y]),
            "households",
            "derived",
            _hh_source(),
            note=hh_note,
        )
        for y in synthetic.YEARS
    ]


def _road_rows(units, poor2020, obs, seed, note) -> list[dict]:
    rows = []
    for ind, label in (("road_village_hardened_pct", "village roads"), ("road_commune_hardened_pct", "commune roads")):
        prov = indicators.values(obs, ind, "province", 2020)
        _need(prov, f"province {ind} 2020", 1)
        share = float(prov["value"].iloc[0])
        src = str(prov["source"].iloc[0])
        if share >= 100.0:
            vals, status, source, n = (
                np.full(len(units), 100.0),
                "derived",
                (f"derived: the province reports 100% of {label} hardened, so every commune is 100% — {src}"),
                "",
            )
        else:
            vals = synthetic.road_hardened(units, poor2020, share / 100.0, seed).to_numpy() * 100
            status, source, n = "synthetic", f"{GENERATOR}, calibrated to: {src}", note
        for u, v in zip(units.itertuples(), vals):
            rows.append(_row("commune", u.gso_code, u.name, ind, 2020, round(float(v), 2), "%", status, source, note=n))
    return rows
