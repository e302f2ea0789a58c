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
HH_SOURCE = (
    "derived: 2019 census population per commune (GSO, population_census2019_by_commune.csv) "
    "÷ district household size (2019 census population ÷ households of the 2021 review, "
    "Ban Dân tộc tỉnh Kon Tum 'Biểu số 05', 21-3-2022)"
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


def _pinned(obs: pd.DataFrame, indicator: str) -> dict[tuple[str, int], float]:
    rows = indicators.usable(obs)
    rows = rows[
        (rows["indicator"] == indicator)
        & (rows["unit_level"] == "district")
        & (rows["standard"] == STANDARD_2016)
        & (rows["qualifier"] == "=")
        & rows["year"].isin(synthetic.YEARS)
    ]
    return {(r.gso_code, int(r.year)): float(r.value) / 100.0 for r in rows.itertuples()}


def _bounds(obs: pd.DataFrame, indicator: str, level: str = "district") -> list[tuple[str, int, str, float]]:
    """Real bounds such as Tu Mơ Rông end-2018 "trên 52%" (district) or Sa Bình 2016 "trên 58%"
    (commune): (unit code, year, '>'|'<', rate)."""
    rows = obs[
        (obs["indicator"] == indicator)
        & (obs["unit_level"] == level)
        & (obs["standard"] == STANDARD_2016)
        & obs["qualifier"].isin([">", "<"])
        & obs["year"].isin(synthetic.YEARS)
    ]
    return [(r.gso_code, int(r.year), r.qualifier, float(r.value) / 100.0) for r in rows.itertuples()]


#: How far inside a real commune bound a synthetic value is put (rate, 0-1), and how
#: many times the series is redone to get every commune inside its bounds.
BOUND_MARGIN = 0.005
BOUND_TRIES = 10


def _breaks(op: str, got: float, bound: float) -> bool:
    return (op == ">" and got <= bound) or (op == "<" and got >= bound)


def _series_within_bounds(obs, indicator, units, province, relative, pins, seed, score=None):
    """The series, inside every real bound.

    A district that breaks a real bound is pinned to the bound and the year
    redone; a commune that breaks one has its score (its place among the
    communes of its district) moved until it is inside, so district and
    province figures stay as calibrated.  Raises :class:`DemoInputError`
    when the bounds cannot all be met.
    """
    score = synthetic.poverty_score(units, seed) if score is None else np.array(score, dtype=float)
    series = synthetic.poverty_series(units, province, relative, pins, seed, score=score)
    hh = units["households"]
    extra = {}
    for district, year, op, bound in _bounds(obs, indicator):
        if (district, year) in pins:
            continue
        members = units["district_code"] == district
        got = float((series.loc[members, year] * hh[members]).sum() / hh[members].sum())
        if _breaks(op, got, bound):
            extra[(district, year)] = bound + (0.0001 if op == ">" else -0.0001)
    pins = {**pins, **extra}
    if extra:
        series = synthetic.poverty_series(units, province, relative, pins, seed, score=score)
    position = {str(code): i for i, code in enumerate(units["gso_code"])}
    commune_bounds = [b for b in _bounds(obs, indicator, "commune") if b[0] in position]
    for _ in range(BOUND_TRIES):
        broken = [
            (code, year, op, bound)
            for code, year, op, bound in commune_bounds
            if _breaks(op, float(series.iloc[position[code]][year]), bound)
        ]
        if not broken:
            return series
        for code, year, op, bound in broken:
            got = float(series.iloc[position[code]][year])
            target = bound + BOUND_MARGIN if op == ">" else bound - BOUND_MARGIN
            score[position[code]] += float(synthetic.logit(target) - synthetic.logit(got))
        series = synthetic.poverty_series(units, province, relative, pins, seed, score=score)
    raise DemoInputError(
        f"{indicator}: synthetic commune values break real bounds after {BOUND_TRIES} "
        f"tries: {', '.join(f'{c} {y} {op} {b:.0%}' for c, y, op, b in broken)}"
    )


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

    hh21 = _need(indicators.values(obs, "households", "district", 2021), "district households 2021", 10)
    poor21 = _need(indicators.values(obs, "poor_households", "district", 2021), "district poor households 2021", 10)
    hh21 = hh21.set_index("gso_code")["value"]
    poor21 = poor21.set_index("gso_code")["value"]
    units["households"] = synthetic.estimate_households(units, hh21.to_dict())

    relative = synthetic.relative_offsets((poor21 / hh21).to_dict(), float(poor21.sum() / hh21.sum()))
    poor_prov, poor_src = _province_series(obs, "poor_rate")
    near_prov, near_src = _province_series(obs, "near_poor_rate")
    poor_pins, near_pins = _pinned(obs, "poor_rate"), _pinned(obs, "near_poor_rate")
    # Near-poor rates vary far less between districts than poor rates: damp
    # the poor-rate position; a district's own real figure wins for both.
    near_relative = {d: synthetic.NEAR_POOR_DISTRICT_DAMPING * r for d, r in relative.items()}
    relative = {**relative, **_observed_relative(poor_pins, poor_prov)}
    near_relative = {**near_relative, **_observed_relative(near_pins, near_prov)}
    poor = _series_within_bounds(obs, "poor_rate", units, poor_prov, relative, poor_pins, seed)
    near = _series_within_bounds(
        obs,
        "near_poor_rate",
        units,
        near_prov,
        near_relative,
        near_pins,
        seed,
        score=synthetic.near_poor_score(units, seed),
    )

    rows = []
    note = synthetic.SYNTHETIC_NOTE.format(seed=seed)
    for i, u in units.iterrows():
        rows.append(
            _row(
                "commune",
                u.gso_code,
                u["name"],
                "households",
                2019,
                int(u.households),
                "households",
                "derived",
                HH_SOURCE,
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
            for ind, table, src in (("poor_rate", poor, poor_src), ("near_poor_rate", near, near_src)):
                rate = float(table.at[i, year])
                source = f"{GENERATOR}, calibrated to: {src}"
                rows.append(
                    _row(
                        "commune",
                        u.gso_code,
                        u["name"],
                        ind,
                        year,
                        round(rate * 100, 4),
                        "%",
                        "synthetic",
                        source,
                        STANDARD_2016,
                        note,
                    )
                )
                count = ind.replace("_rate", "_households")
                rows.append(
                    _row(
                        "commune",
                        u.gso_code,
                        u["name"],
                        count,
                        year,
                        int(round(rate * u.households)),
                        "households",
                        "synthetic",
                        source,
                        STANDARD_2016,
                        note,
                    )
                )

    rows += _district_rows(units, poor, near, poor_src, near_src, districts, note)
    rows += _road_rows(units, poor[2020], obs, seed, note)
    out = pd.DataFrame(rows)
    out["year"] = out["year"].astype("Int64")
    return out


def _district_rows(units, poor, near, poor_src, near_src, districts, note) -> list[dict]:
    """District aggregates of the synthetic communes (where no real figure exists they fill in)."""
    names = districts.set_index("gso_code")["name"]
    rows = []
    for code, grp in units.groupby("district_code"):
        hh = grp["households"]
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
            for ind, table, src in (("poor_rate", poor, poor_src), ("near_poor_rate", near, near_src)):
                rate = float((table.loc[grp.index, year] * hh).sum() / hh.sum())
                rows.append(
                    _row(
                        "district",
                        code,
                        names[code],
                        ind,
                        year,
                        round(rate * 100, 4),
                        "%",
                        "synthetic",
                        f"{GENERATOR} (household-weighted mean of its communes), calibrated to: {src}",
                        STANDARD_2016,
                        note,
                    )
                )
    return rows


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
