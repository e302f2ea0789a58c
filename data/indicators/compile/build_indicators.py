"""Compile data/indicators/{observations,catalogue,works}.csv from the facts and seeds.

Run:  .venv/bin/python data/indicators/compile/build_indicators.py  (from the repository root)
Every number is copied from data/sources (facts CSVs, FACTS.md, seeds); derived
rows say how they were computed.  Names are mapped to GSO codes by explicit,
hand-checked tables (asserted against admin_units_2020.csv).
"""

from __future__ import annotations

import csv
import sys
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parents[3]
FACTS = ROOT / "data/sources/facts"
OUT = ROOT / "data/indicators"

S16 = "2016-2020 multidimensional (QĐ 59/2015/QĐ-TTg)"
S22 = "2022-2025 (NĐ 07/2021/NĐ-CP)"
S11 = "2011-2015 income"

SEED0 = (
    "Tỉnh ủy Kon Tum, Báo cáo số 112-BC/TU ngày 11/8/2021 tổng kết thực hiện Nghị quyết số "
    "06-NQ/TU về giảm nghèo theo phương pháp tiếp cận đa chiều giai đoạn 2016-2020 — "
    "data/sources/seeds/000_f90f9a51dad2c646.txt"
)
SEED1 = (
    "UBND tỉnh Kon Tum, Báo cáo kết quả thực hiện các Chương trình mục tiêu quốc gia năm 2020 và "
    "phương hướng, giải pháp thực hiện trong thời gian tới, trình HĐND tỉnh (số và ngày của báo cáo "
    "không có trong bản text; số liệu đến 30/9/2020, văn bản được dẫn muộn nhất ngày 13/10/2020) — "
    "data/sources/seeds/001_f26814173eaf0652.txt"
)


def s0(where: str) -> str:
    return f"{SEED0}, {where}"


def s1(where: str) -> str:
    return f"{SEED1}, {where}"


def vn(text: str) -> float:
    """Vietnamese number as printed: '1.234,5' -> 1234.5."""
    return float(text.replace(".", "").replace(",", "."))


admin = pd.read_csv(FACTS / "admin_units_2020.csv", dtype=str)
COMMUNE = admin.set_index("gso_commune_code")["commune_name"].to_dict()
COMMUNE_DISTRICT = admin.set_index("gso_commune_code")["gso_district_code"].to_dict()
DISTRICT = admin.drop_duplicates("gso_district_code").set_index("gso_district_code")["district_name"].to_dict()
PROVINCE = {"62": "Tỉnh Kon Tum"}
NAMES = {"province": PROVINCE, "district": DISTRICT, "commune": COMMUNE}


def level_of(code: str) -> str:
    return {2: "province", 3: "district", 5: "commune"}[len(code)]


def facts(name: str) -> pd.DataFrame:
    return pd.read_csv(FACTS / name, dtype=str, keep_default_na=False)


# ---------------------------------------------------------------------------------------------
# observations
# ---------------------------------------------------------------------------------------------
OBS: list[dict] = []


def obs(
    code,
    indicator,
    year,
    period,
    value,
    unit,
    source,
    *,
    status="official",
    standard="",
    qualifier="=",
    note="",
    unit_name=None,
):
    code = str(code)
    level = level_of(code)
    if code not in NAMES[level]:
        raise KeyError(f"unknown {level} code {code}")
    OBS.append(
        {
            "unit_level": level,
            "gso_code": code,
            "unit_name": unit_name or NAMES[level][code],
            "indicator": indicator,
            "year": "" if year in (None, "") else int(year),
            "period": period,
            "qualifier": qualifier,
            "value": value,
            "unit": unit,
            "standard": standard,
            "status": status,
            "source": source,
            "note": note,
        }
    )


def num(text: str) -> tuple[str, float]:
    """'>4650' -> ('>', 4650.0); '>26 (approx.)' -> ('>', 26.0); '~690' -> ('~', 690.0)."""
    t = text.split("(")[0].strip().replace(",", "")
    q = "="
    if t[0] in "<>~":
        q, t = t[0], t[1:]
    return q, float(t)


def status_for(source: str, qualifier: str = "=") -> str:
    """official = government / party portal or document; reported = press or approximate."""
    if qualifier == "~":
        return "reported"
    official = ("kontum.gov.vn", "phunukontum.org.vn", "comingo.gov.vn", "data/sources/seeds")
    return "official" if any(d in source for d in official) else "reported"


# --- 1. province poverty 2013-2022 (facts CSV) ------------------------------------------------
prov = facts("province_poverty_2013_2022.csv").set_index("period")
COLS = [
    ("poor_hh", "poor_households", "households"),
    ("poor_rate_pct", "poor_rate", "%"),
    ("near_poor_hh", "near_poor_households", "households"),
    ("near_poor_rate_pct", "near_poor_rate", "%"),
    ("ethnic_minority_poor_hh", "em_poor_households", "households"),
    ("ethnic_minority_poor_rate_pct_of_EM_hh", "em_poor_rate", "%"),
    ("ethnic_minority_near_poor_hh", "em_near_poor_households", "households"),
    ("ethnic_minority_near_poor_rate_pct", "em_near_poor_rate", "%"),
]
PROV_ROWS = {  # period in CSV -> (year, standard, period wording, extra note)
    "end-2013": (2013, S11, "end-2013 (data to 30/6/2014)", "old income standard; not comparable with 2016-2020"),
    "end-2018": (2018, S16, "end-2018", ""),
    "end-2019": (2019, S16, "end-2019 (QĐ 1425/QĐ-UBND 13/12/2019)", ""),
    "end-2020": (2020, S16, "end-2020 (QĐ 04/QĐ-UBND 04/01/2021)", ""),
    "start-2022 (2021 review)": (
        2021,
        S22,
        "start-2022 (2021 review)",
        "result of the 2021 review (baseline of 2022-2025); new standard, not comparable",
    ),
    "end-2022": (2022, S22, "end-2022", "new standard, not comparable with 2016-2020"),
}
for period, (year, std, wording, note) in PROV_ROWS.items():
    r = prov.loc[period]
    for col, ind, unit in COLS:
        if r[col]:
            q, v = num(r[col])
            n = note
            if ind == "poor_rate" and year == 2021:
                n = (n + "; " if n else "") + "21,989 / 143,561 households of the 2021 review = 15.32%, consistent"
            obs(
                "62",
                ind,
                year,
                wording,
                v,
                unit,
                r["source"],
                status=status_for(r["source"], q),
                standard=std,
                qualifier=q,
                note=n,
            )
# the approximate press figures of 2016/2017 (kontumtv) are second sources for end-2015 / end-2016
r = prov.loc["early-2016"]
obs(
    "62",
    "poor_rate",
    2015,
    "early-2016 (start of the 2016-2020 period)",
    26,
    "%",
    r["source"],
    status="reported",
    standard=S16,
    qualifier=">",
    note="alternative: approximate press figure ('trên 26%'); consistent with 26.11% at end-2015 (Báo cáo 112-BC/TU)",
)
r = prov.loc["early-2017"]
obs(
    "62",
    "poor_rate",
    2016,
    "early-2017",
    24,
    "%",
    r["source"],
    status="reported",
    standard=S16,
    qualifier="<",
    note="alternative: approximate press figure ('dưới 24%'); consistent with the derived 23.03% for end-2016",
)
r = prov.loc["early-2016 / end-2018 (EM only)"]
obs(
    "62",
    "em_poor_rate",
    2015,
    "early-2016",
    47,
    "%",
    r["source"],
    status="reported",
    standard=S16,
    qualifier="~",
    note="alternative: 'gần 47%'; Báo cáo 112-BC/TU gives 46.57% at end-2015",
)
obs(
    "62",
    "em_poor_rate",
    2018,
    "end-2018",
    31,
    "%",
    r["source"],
    status="reported",
    standard=S16,
    qualifier="~",
    note="alternative: approximate; the official end-2018 figure is 30.89%",
)
r = prov.loc["end-2020"]
obs(
    "62",
    "poverty_exits_households",
    2020,
    "2020",
    5493,
    "households",
    r["source"],
    standard=S16,
    note="households that exited poverty in 2020 (3.97 points)",
)
obs(
    "62",
    "poor_rate_decrease",
    2020,
    "2020",
    3.97,
    "pp",
    r["source"],
    standard=S16,
    note="alternative: same figure as Báo cáo 112-BC/TU footnote 19",
)
obs(
    "62",
    "poor_rate",
    2019,
    "2019",
    13.74,
    "%",
    "comingo.gov.vn (Ủy ban Dân tộc) 'Kon Tum' (25/05/2023) http://comingo.gov.vn/vi/kon-tum.html",
    status="official",
    standard=S16,
    note="alternative: differs from QĐ 1425/QĐ-UBND (13.62%); use 13.62. Page says 'giảm 3,55% so với … năm 2018 là 22.851 hộ'",
)

# --- 2. Báo cáo 112-BC/TU: the 2015 -> 2020 series ------------------------------------------
W31 = "mục II.3.1 (tính đến 31-12-2020)"
obs("62", "poor_rate", 2015, "end-2015 (cuối năm 2015)", 26.11, "%", s0(W31), standard=S16)
obs("62", "near_poor_rate", 2015, "end-2015 (cuối năm 2015)", 6.64, "%", s0(W31), standard=S16)
obs(
    "62",
    "em_poor_rate",
    2015,
    "end-2015 (cuối năm 2015)",
    46.57,
    "%",
    s0(W31),
    standard=S16,
    note="% of ethnic-minority households",
)
SAME20 = "alternative: same figure as QĐ 04/QĐ-UBND 04/01/2021 (kontum.gov.vn, 05/01/2021)"
for ind, v, unit in (
    ("poor_households", 14601, "households"),
    ("poor_rate", 10.29, "%"),
    ("em_poor_households", 13688, "households"),
    ("em_poor_rate", 18.75, "%"),
    ("near_poor_households", 8372, "households"),
    ("near_poor_rate", 5.90, "%"),
):
    obs("62", ind, 2020, "31/12/2020", v, unit, s0(W31), standard=S16, note=SAME20)
obs("62", "poverty_exits_cum", 2020, "2016-2020 (trong 05 năm)", 26394, "households", s0(W31), standard=S16)
obs("62", "em_poverty_exits_cum", 2020, "2016-2020 (trong 05 năm)", 23856, "households", s0(W31), standard=S16)
obs(
    "62",
    "near_poor_exits_cum",
    2020,
    "2016-2020 (trong 05 năm)",
    11570,
    "households",
    s0(W31),
    standard=S16,
    note="households that left near-poverty",
)
obs(
    "62",
    "poor_rate_decrease",
    "",
    "2016-2020, bình quân/năm",
    3.84,
    "pp",
    s0(W31 + ", chú thích 21"),
    standard=S16,
    note="average of the yearly decreases of footnote 19 (3.08+4.05+4.08+4.01+3.97)/5; 109.7% of the target",
)
obs(
    "62",
    "em_poor_rate_decrease",
    "",
    "2016-2020, bình quân/năm",
    6.67,
    "pp",
    s0(W31),
    standard=S16,
    note="148.22% of the target",
)
FN19 = {2016: 3.08, 2017: 4.05, 2018: 4.08, 2019: 4.01}
for y, v in FN19.items():
    obs(
        "62",
        "poor_rate_decrease",
        y,
        f"năm {y}",
        v,
        "pp",
        s0("chú thích 19"),
        standard=S16,
        note=(
            "printed 'năm 2027 giảm 4,05%' — a typo for 2017"
            if y == 2017
            else "gross decrease reported for the year (exits), not the difference of year-end rates"
        ),
    )
obs("62", "poor_rate_decrease", 2020, "năm 2020", 3.97, "pp", s0("chú thích 19"), standard=S16)
kontumtv_0620 = (
    "kontumtv.vn 'Gần 18.800 hộ DTTS tỉnh Kon Tum thoát nghèo' (27/06/2020) "
    "http://kontumtv.vn/tin-tuc/tin-dia-phuong/gan-18-800-ho-dtts-tinh-kon-tum-thoat-ngheo"
)
obs(
    "62",
    "poverty_exits_cum",
    2020,
    "2016 - 6/2020",
    20900,
    "households",
    kontumtv_0620,
    status="reported",
    standard=S16,
    qualifier=">",
    note="alternative: partial period (to mid-2020); final 26,394 in Báo cáo 112-BC/TU",
)
obs(
    "62",
    "em_poverty_exits_cum",
    2020,
    "2016 - 6/2020",
    18800,
    "households",
    kontumtv_0620,
    status="reported",
    standard=S16,
    qualifier="~",
    note="alternative: partial period (to mid-2020); final 23,856 in Báo cáo 112-BC/TU",
)
obs(
    "62",
    "em_poor_rate",
    2019,
    "mid-2020 ('gần 25%')",
    25,
    "%",
    kontumtv_0620,
    status="reported",
    standard=S16,
    qualifier="~",
    note="alternative: approximate; official end-2019 figure 24.93%",
)

# derived 2016 / 2017 (no published year-end rate)
GROSS = (
    "Footnote 19's decreases are gross (exits / all households), not differences of year-end rates: "
    "2019 net 17.29-13.62=3.67 vs 4.01 printed, 2020 net 3.33 vs 3.97; so this is an approximation"
)
obs(
    "62",
    "poor_rate",
    2016,
    "end-2016 (derived)",
    23.03,
    "%",
    s0(W31 + " và chú thích 19"),
    status="derived",
    standard=S16,
    note=f"derived: 26.11 (end-2015) - 3.08 (footnote 19 'Năm 2016 giảm 3,08%') = 23.03. {GROSS}",
)
obs(
    "62",
    "poor_rate",
    2017,
    "end-2017 (derived)",
    21.37,
    "%",
    s0("chú thích 19") + "; end-2018 rate: " + prov.loc["end-2018", "source"],
    status="derived",
    standard=S16,
    note=f"derived: 17.29 (end-2018, official) + 4.08 (footnote 19 'năm 2018 giảm 4,08%') = 21.37. {GROSS}; "
    "it is also inconsistent with 23.03 - 4.05 (2017 decrease) = 18.98",
)
for y, v in ((2016, 6.62), (2017, 6.60)):
    obs(
        "62",
        "near_poor_rate",
        y,
        f"end-{y} (derived)",
        v,
        "%",
        s0(W31) + "; end-2018 rate: " + prov.loc["end-2018", "source"],
        status="derived",
        standard=S16,
        note=f"derived: linear interpolation between 6.64 (end-2015) and 6.58 (end-2018): "
        f"6.64 + (6.58 - 6.64) * {y - 2015}/3 = {v:.2f}",
    )

# Báo cáo UBND 2020: end-2019 (same as QĐ 1425)
W1P = "mục II.2.2.1"
SAME19 = "alternative: same figure as QĐ 1425/QĐ-UBND 13/12/2019 (bandantoc.kontum.gov.vn, 23-12-2019)"
for ind, v, unit in (
    ("poor_households", 18858, "households"),
    ("poor_rate", 13.62, "%"),
    ("em_poor_households", 17649, "households"),
    ("em_poor_rate", 24.93, "%"),
    ("near_poor_households", 8809, "households"),
    ("near_poor_rate", 6.36, "%"),
    ("em_near_poor_households", 7998, "households"),
    ("em_near_poor_rate", 11.3, "%"),
):
    obs("62", ind, 2019, "31/12/2019", v, unit, s1(W1P), standard=S16, note=SAME19)

# --- 3. ten deprivation indicators (share of poor households) ---------------------------------
DEPS = [
    ("health_access", 3074, "9,66", 318, "2,18"),
    ("health_insurance", 3728, "11,72", 865, "5,92"),
    ("adult_education", 11105, "34,91", 3031, "20,76"),
    ("child_school", 3726, "11,71", 553, "3,79"),
    ("housing_quality", 12490, "39,27", 4637, "31,76"),
    ("housing_area", 14496, "45,57", 5666, "38,81"),
    ("water", 8441, "26,54", 2452, "16,79"),
    ("sanitation", 22893, "71,97", 9974, "16,79"),
    ("telecom", 13238, "41,62", 5267, "36,07"),
    ("info_assets", 11063, "34,78", 4049, "27,73"),
]
W32 = "mục II.3.2 (tính đến 31-12-2020)"
for key, h15, p15, h20, p20 in DEPS:
    obs(
        "62",
        f"dep_{key}_households",
        2015,
        "end-2015",
        h15,
        "households",
        s0(W32),
        standard=S16,
        note="poor households lacking this service",
    )
    obs(
        "62",
        f"dep_{key}_households",
        2020,
        "31/12/2020",
        h20,
        "households",
        s0(W32),
        standard=S16,
        note="poor households lacking this service",
    )
    obs("62", f"dep_{key}_pct", 2015, "end-2015", vn(p15), "%", s0(W32), standard=S16, note="% of poor households")
    if key == "sanitation":
        obs(
            "62",
            "dep_sanitation_pct",
            2020,
            "31/12/2020",
            vn(p20),
            "%",
            s0(W32),
            standard=S16,
            note="alternative: as printed 16,79% — identical to the water line and inconsistent with 9,974 of "
            "14,601 poor households (68.31%); the printed 'giảm 55,18%' follows from this error",
        )
        obs(
            "62",
            "dep_sanitation_pct",
            2020,
            "31/12/2020 (derived)",
            68.31,
            "%",
            s0(W32),
            status="derived",
            standard=S16,
            note="derived: 9,974 / 14,601 poor households = 68.31% (the printed share is a copy error)",
        )
    else:
        obs(
            "62", f"dep_{key}_pct", 2020, "31/12/2020", vn(p20), "%", s0(W32), standard=S16, note="% of poor households"
        )

# --- 4. other province indicators of the two reports ------------------------------------------
W33 = "mục II.3.3"
obs(
    "62",
    "poor_income_per_capita",
    2020,
    "2020",
    644000,
    "VND/person/month",
    s0(W33),
    standard=S16,
    note="average income of poor households; 122% of the target",
)
obs("62", "commune_health_standard_pct", 2020, "2016-2020 (end)", 93, "%", s0(W33))
obs(
    "62",
    "commune_health_standard_pct",
    2020,
    "9/2020",
    95.1,
    "%",
    s1(W1P),
    note="alternative: interim figure of the 2020 UBND report; the final review (Báo cáo 112-BC/TU) says 93%",
)
obs("62", "health_insurance_coverage_pct", 2020, "2016-2020 (end)", 90.60, "%", s0(W33))
obs(
    "62",
    "health_insurance_coverage_pct",
    2020,
    "9/2020",
    90.6,
    "%",
    s1(W1P),
    note="alternative: same figure in the 2020 UBND report",
)
obs(
    "62",
    "national_standard_schools",
    2020,
    "2016-2020 (end)",
    178,
    "count",
    s0(W33),
    note="kindergartens and schools meeting the national standard",
)
obs(
    "62",
    "national_standard_schools",
    2020,
    "9/2020",
    182,
    "count",
    s1(W1P),
    note="alternative: the 2020 UBND report says 182; the later Báo cáo 112-BC/TU says 178",
)
obs("62", "rural_clean_water_pct", 2020, "2016-2020 (end)", 89, "%", s0(W33))
obs(
    "62",
    "rural_clean_water_pct",
    2020,
    "9/2020",
    90,
    "%",
    s1(W1P),
    note="alternative: the 2020 UBND report says 90% ('khoảng 90%' in its new-rural section)",
)
obs(
    "62",
    "road_commune_hardened_pct",
    2020,
    "2016-2020 (end)",
    100,
    "%",
    s0(W33),
    note="inter-commune roads and roads from commune centre to district centre hardened, passable all year",
)
obs(
    "62",
    "road_commune_hardened_pct",
    2020,
    "9/2020",
    98,
    "%",
    s1(W1P),
    note="alternative: interim 2020 figure ('đường xã và đường từ trung tâm xã đến trung tâm huyện'); "
    "the final review Báo cáo 112-BC/TU (11/8/2021) gives 100%",
)
obs(
    "62",
    "road_village_hardened_pct",
    2020,
    "2016-2020 (end)",
    65,
    "%",
    s0(W33),
    note="village roads hardened to the Ministry of Transport technical standard",
)
obs(
    "62",
    "road_village_hardened_pct",
    2020,
    "9/2020",
    62,
    "%",
    s1(W1P),
    note="alternative: interim 2020 figure ('đường trục thôn, làng và đường liên thôn, làng'); "
    "the final review Báo cáo 112-BC/TU (11/8/2021) gives 65%",
)
obs(
    "62",
    "vocational_training_persons",
    2020,
    "2016-2020",
    14469,
    "persons",
    s0("mục II.2"),
    note="people given vocational training",
)
obs("62", "trained_labour_pct", 2020, "2020", 52, "%", s0("mục II.2"))
obs("62", "vocational_trained_pct", 2020, "2020", 36.6, "%", s0("mục II.2 và chú thích 16"), note="87.69% of the plan")
obs(
    "62",
    "trained_labour_pct",
    2020,
    "ước 2020",
    52,
    "%",
    s1("mục III.1.2"),
    qualifier="~",
    status="reported",
    note="alternative: estimate in the 2020 UBND report, same value",
)
obs(
    "62",
    "vocational_trained_pct",
    2020,
    "ước 2020",
    36.6,
    "%",
    s1("mục III.1.2"),
    qualifier="~",
    status="reported",
    note="alternative: estimate in the 2020 UBND report, same value",
)

# electrification 2016-2020 (footnote 15)
W15 = "mục II.2 và chú thích 15"
E15 = "20 villages in Ia H'Drai, Tu Mơ Rông, Đăk Glei, Đăk Hà, Đăk Tô, Sa Thầy (villages not named)"
obs("62", "elec_villages_connected", 2020, "2016-2020", 20, "count", s0(W15), note=E15)
obs("62", "elec_built_mv_km", 2020, "2016-2020", vn("53,023"), "km", s0(W15), note=E15)
obs("62", "elec_built_lv_km", 2020, "2016-2020", vn("30,465"), "km", s0(W15), note=E15)
obs("62", "elec_built_transformers", 2020, "2016-2020", 22, "count", s0(W15), note=E15)
obs("62", "elec_built_meters", 2020, "2016-2020", vn("1.666"), "count", s0(W15), note=E15)

# --- 5. budgets (million VND) ------------------------------------------------------------------
W4 = "mục II.4 và chú thích 22"
B0 = [
    ("budget_poverty_scheme_2016_2020", "8.629.620", "total of the poverty-reduction scheme 2016-2020"),
    ("budget_poverty_ntp_2016_2020", "1.464.762", "national target programme for sustainable poverty reduction"),
    ("budget_poverty_ntp_central_2016_2020", "1.339.883", "central budget"),
    ("budget_poverty_ntp_central_invest_2016_2020", "1.031.667", "central budget, investment"),
    ("budget_poverty_ntp_central_recurrent_2016_2020", "308.216", "central budget, recurrent"),
    ("budget_poverty_ntp_local_2016_2020", "73.785", "local budget"),
    ("budget_poverty_ntp_socialised_2016_2020", "51.094", "mobilised (xã hội hóa)"),
    ("budget_poverty_policies_2016_2020", "7.161.796", "other poverty-support policies and programmes"),
    ("budget_poverty_collaborators_2016_2020", "3.062", "poverty-reduction collaborator network 2017-2020"),
    ("budget_poverty_mobilised_2016_2020", "158.231", "mobilised from enterprises and people"),
]
for ind, v, what in B0:
    obs("62", ind, 2020, "2016-2020", vn(v), "million VND", s0(W4), note=what)
W11 = "mục II.1.1"
B1 = [
    ("budget_ntp", "864.752", W11, "plan 2020, all national target programmes, all sources"),
    ("budget_ntp_central", "732.005", W11, "central budget (investment 583,813; recurrent 148,192)"),
    (
        "budget_ntm_central",
        "383.724",
        W11,
        "new-rural programme, central budget (investment 295,424 incl. "
        "11,234 carried over from 2019; recurrent 88,300)",
    ),
    (
        "budget_poverty_central",
        "338.085",
        W11,
        "poverty programme, central budget (investment 278,193 incl. 49,567 carried over from 2019; recurrent 59,892)",
    ),
    ("budget_ntp_local", "90.835", W11, "local budgets (province, district, commune)"),
    ("budget_ntm_local", "88.628", W11, "new-rural programme, local budgets"),
    ("budget_poverty_local", "2.207", W11, "poverty programme, local budgets"),
    (
        "budget_135_irish_aid",
        "10.196",
        W11,
        "Irish government grant for Program 135 communes (2019 funds extended to 2020)",
    ),
    ("budget_ntp_mobilised", "23.683", W11, "mobilised so far (plan 41,911: new-rural 27,851, poverty 14,060)"),
    ("budget_ntp_disbursed", "563.142", "mục II.1.2", "disbursed to 30/9/2020, 65.12% of the plan"),
    ("budget_ntm_disbursed", "336.710", "mục II.1.2", "new-rural programme disbursed to 30/9/2020, 67.31%"),
    ("budget_poverty_disbursed", "216.484", "mục II.1.2", "poverty programme disbursed to 30/9/2020, 61.09%"),
    (
        "budget_30a_infrastructure",
        "211.136",
        "mục II.2.2.2 a",
        "Program 30a infrastructure in poor districts (incl. 48,585 carried over from 2019); 83 works",
    ),
    (
        "budget_30a_production",
        "21.184",
        "mục II.2.2.2 a",
        "30a: forest protection contracts, production support, livelihoods, poverty models, vaccines",
    ),
    ("budget_30a_labour_export", "1.662", "mục II.2.2.2 a", "30a: labour export support (not carried out, Covid-19)"),
    (
        "budget_135_infrastructure",
        "67.057",
        "mục II.2.2.2 b",
        "Program 135 infrastructure (incl. 982 carried over from 2019); 220 works",
    ),
    ("budget_135_production", "18.596", "mục II.2.2.2 b", "Program 135 production support and livelihoods"),
    ("budget_135_capacity", "3.417", "mục II.2.2.2 b", "Program 135 capacity building (8 trainings, 1,339 people)"),
    (
        "budget_project3",
        "1.310",
        "mục II.2.2.2 c",
        "Project 3: production support outside 30a/135 (in Đăk Glei and Đăk Hà)",
    ),
    ("budget_project4", "2.089", "mục II.2.2.2 d", "Project 4: communication and information"),
    ("budget_project5", "1.080", "mục II.2.2.2 đ", "Project 5: capacity building, monitoring and evaluation"),
    (
        "budget_poverty_invest_tmr_kp",
        "40.744",
        "mục I.2",
        "2020 poverty-programme investment capital allocated in "
        "detail to Tu Mơ Rông and Kon Plông (combined; no split)",
    ),
]
for ind, v, where, what in B1:
    obs("62", ind, 2020, "2020 (kế hoạch / đến 30/9/2020)", vn(v), "million VND", s1(where), note=what)
# counts of works
W2A = "mục II.2.2.2 a và chú thích"
for ind, v, what in (
    ("projects_30a", 83, "Program 30a infrastructure works 2020"),
    ("projects_30a_roads", 61, "rural road works"),
    ("projects_30a_education", 8, "education works"),
    ("projects_30a_water", 5, "water supply works"),
    ("projects_30a_irrigation", 9, "irrigation works and reservoirs"),
):
    obs("62", ind, 2020, "2020", v, "count", s1(W2A), note=what)
W2B = "mục II.2.2.2 b và chú thích"
for ind, v, what in (
    ("projects_135", 220, "Program 135 infrastructure works 2020"),
    ("projects_135_roads", 166, "road works"),
    ("projects_135_electricity", 2, "electricity works"),
    ("projects_135_education", 15, "education works"),
    ("projects_135_wells", 5, "wells"),
    ("projects_135_water", 7, "water supply works"),
    ("projects_135_irrigation", 16, "irrigation works"),
    ("projects_135_culture", 9, "culture works"),
):
    obs("62", ind, 2020, "2020", v, "count", s1(W2B), note=what)
obs(
    "62",
    "communes_difficult_border_atk",
    2020,
    "2020",
    55,
    "count",
    s1("mục II.3.2"),
    note="55 of 85 rural communes are especially difficult, border or safe-zone communes",
)
obs(
    "62",
    "poor_districts",
    2020,
    "2020",
    3,
    "count",
    s1("mục II.3.2"),
    note="Kon Plông, Tu Mơ Rông, Ia H'Drai (QĐ 275/QĐ-TTg 2018)",
)
obs(
    "62",
    "road_concreted_km",
    2020,
    "đầu năm 2020 (ra quân xây dựng nông thôn mới)",
    vn("7,671"),
    "km",
    s1("chú thích (ra quân phát động phong trào)"),
    note="rural roads concreted during the early-2020 campaign",
)

# --- 6. new rural (NTM) province counts ----------------------------------------------------
W33N = "mục II.3.3 và chú thích 20"
obs(
    "62",
    "ntm_communes_recognised",
    2020,
    "end-2020",
    28,
    "count",
    s0(W33N),
    note="of 85 rural communes; + Chư Hreng reached 19/19 by 30-6-2021",
)
obs(
    "62",
    "ntm_communes_recognised",
    2015,
    "2015 (derived)",
    8,
    "count",
    s0(W33N),
    status="derived",
    note="derived: 28 in 2020 'tăng 20 xã so với năm 2015'",
)
obs("62", "ntm_communes_8_9", 2020, "end-2020", 2, "count", s0(W33N))
obs("62", "ntm_communes_15_18", 2020, "end-2020", 4, "count", s0(W33N))
obs(
    "62",
    "ntm_communes_10_14",
    2020,
    "end-2020",
    50,
    "count",
    s0(W33N),
    note="28 + 2 + 4 + 50 = 84, one fewer than the 85 rural communes (as printed)",
)
obs(
    "62",
    "ntm_communes_lt5",
    2020,
    "end-2020",
    0,
    "count",
    s0(W33N),
    note="'giảm 41 xã so với năm 2016' — conflicts with 7 communes below 5 criteria in Dec 2016 (kontumtv)",
)
obs("62", "ntm_avg_criteria", 2020, "end-2020", 14.15, "criteria", s0(W33N), note="+5.15 criteria since 2015")
W211 = "mục II.2.1.1"
for ind, v, n in (
    ("ntm_communes_recognised", 27, "27/85 communes"),
    ("ntm_communes_15_18", 4, ""),
    ("ntm_communes_10_14", 51, ""),
    ("ntm_communes_8_9", 3, "no commune below 8 criteria"),
    ("ntm_avg_criteria", vn("13,9"), "+0.38 vs 2019"),
):
    obs(
        "62",
        ind,
        2020,
        "9/2020 ('đến nay')",
        v,
        "criteria" if ind == "ntm_avg_criteria" else "count",
        s1(W211),
        note=f"alternative: interim 2020 figure; end-2020 in Báo cáo 112-BC/TU{'; ' + n if n else ''}",
    )
W212 = "mục II.2.1.2"
CRIT = [
    ("transport", 51, "60%"),
    ("irrigation", 85, "100%"),
    ("electricity", 83, "97,65%"),
    ("school", 45, "52,94%"),
    ("culture_facilities", 61, "71,76%"),
    ("rural_commerce", 84, "98,82%"),
    ("culture", 74, "87,06%"),
    ("defence_security", 79, "92,94%"),
]
for key, v, pct in CRIT:
    obs(
        "62",
        f"ntm_crit_{key}_communes",
        2020,
        "9/2020 ('đến nay')",
        v,
        "count",
        s1(W212),
        note=f"communes meeting the criterion ({pct} of 85)",
    )
for key, pct in (
    ("income", "31,76"),
    ("poverty", "36,47"),
    ("employment", "100"),
    ("production_org", "58,82"),
    ("environment", "54,12"),
):
    obs(
        "62",
        f"ntm_crit_{key}_pct",
        2020,
        "9/2020 ('đến nay')",
        vn(pct),
        "%",
        s1(W212),
        note="% of the 85 rural communes meeting the criterion",
    )
# province_ntm_counts.csv
ntm = facts("province_ntm_counts.csv")
NTM_YEAR = {
    "mid-Dec 2016": (2016, ""),
    "14/11/2017": (2017, ""),
    "~2018-2019": (2018, "year approximate: article undated (~2018/19); 17 recognised as of 13/05/2019"),
    "~late 2019": (2019, "article undated (late 2019)"),
    "~end 2021": (2021, "article undated (~end-2021)"),
    "02/03/2022": (2022, "Chỉ thị 04/CT-UBND 02/03/2022"),
}
for _, r in ntm.iterrows():
    year, n0 = NTM_YEAR[r["as_of"]]
    note = "; ".join(x for x in (n0, r["note"]) if x)
    st = status_for(r["source"])
    for col, ind in (
        ("communes_19of19", "ntm_communes_19"),
        ("communes_recognised", "ntm_communes_recognised"),
        ("communes_15_18", "ntm_communes_15_18"),
        ("communes_10_14", "ntm_communes_10_14"),
        ("communes_5_9", "ntm_communes_5_9"),
        ("communes_lt5", "ntm_communes_lt5"),
        ("avg_criteria", "ntm_avg_criteria"),
    ):
        val = r[col]
        if not val:
            continue
        if "(8-9 criteria)" in val:
            ind = "ntm_communes_8_9"
        q, v = num(val)
        unit = "criteria" if ind == "ntm_avg_criteria" else "count"
        obs(
            "62",
            ind,
            year,
            r["as_of"],
            v,
            unit,
            r["source"],
            status="reported" if q == "~" else st,
            qualifier=q,
            note=note,
        )
obs(
    "62",
    "ntm_crit_transport_communes",
    2015,
    "2011-2015",
    10,
    "count",
    "kontumtv.vn 'Trên 500 km đường giao thông nông thôn được làm mới' "
    "https://kontumtv.vn/video-clip/thoi-su/tren-500-km-duong-giao-thong-nong-thon-duoc-lam-moi",
    status="reported",
    note="10 of 86 communes met the new-rural transport criterion (~2015)",
)

# --- 7. district poverty observations ---------------------------------------------------------
dp = facts("district_poverty_observations_2016_2022.csv")
DP_YEAR = {
    ("617", "end-2017"): (2017, ""),
    ("617", "end-2018"): (2018, ""),
    ("615", "~end-2018 (article on 2016-2018)"): (2018, "year approximate (article covers 2016-2018)"),
    ("610", "as of 06/2020 (= end-2019 review)"): (
        2019,
        "year inferred: event of 19/6/2020 reports the end-2019 review",
    ),
    ("616", "early-2016"): (
        2015,
        "early-2016 = the end-2015 baseline review; article says '40,3% dân số' (probably % of households)",
    ),
    ("612", "~end-2018 (inferred)"): (
        2018,
        "year inferred: 14.73% is '2.56 points below the province', i.e. 17.29% (end-2018)",
    ),
    ("611", "end-2022"): (2022, ""),
}
for _, r in dp.iterrows():
    year, n0 = DP_YEAR[(r["district_code"], r["period"])]
    std = S22 if r["poverty_standard"] == "2022-2025" else S16
    note = "; ".join(x for x in (n0, r["note"]) if x)
    for col, ind, unit in (
        ("poor_hh", "poor_households", "households"),
        ("poor_rate_pct", "poor_rate", "%"),
        ("near_poor_hh", "near_poor_households", "households"),
        ("near_poor_rate_pct", "near_poor_rate", "%"),
        ("ethnic_minority_poor_hh", "em_poor_households", "households"),
        ("ethnic_minority_poor_rate_pct", "em_poor_rate", "%"),
    ):
        if not r[col]:
            continue
        q, v = num(r[col])
        n = note
        if r["district_code"] == "615" and ind == "em_poor_households":
            n = "as printed; exceeds the district's total poor households (3,368): one of the two is a typo"
        obs(
            r["district_code"],
            ind,
            year,
            r["period"],
            v,
            unit,
            r["source"],
            status=status_for(r["source"], q),
            standard=std,
            qualifier=q,
            note=n,
        )

# --- 8. 2021 review households per district ---------------------------------------------------
hh = facts("district_households_em_poverty_2021review.csv")
P21 = "2021 review (Biểu số 05, năm 2022)"
PCT_NOTE = (
    "the % column is printed under 'Tỷ lệ hộ nghèo DTTS' but is the ethnic-minority share of ALL poor "
    "households: EM poor / (pct/100) summed over districts gives 21,989 = the province's poor households "
    "at the 2021 review (thoidai.com.vn), which confirms this reading"
)
derived_sum = 0
for _, r in hh.iterrows():
    code = r["district_code"] or "62"
    pct = vn(r["pct_column_as_printed"])
    em_poor = float(r["ethnic_minority_poor_households"])
    obs(
        code,
        "households",
        2021,
        P21,
        float(r["total_households"]),
        "households",
        r["source"],
        note="all households at the 2021 review",
    )
    obs(code, "em_households", 2021, P21, float(r["ethnic_minority_households"]), "households", r["source"])
    obs(code, "em_poor_households", 2021, P21, em_poor, "households", r["source"], standard=S22)
    obs(code, "em_share_of_poor_pct", 2021, P21, pct, "%", r["source"], standard=S22, note=PCT_NOTE)
    poor = round(em_poor / (pct / 100))
    rate = round(100 * poor / float(r["total_households"]), 2)
    how = f"derived: {int(em_poor):,} EM poor households / {pct:.2f}% = {poor:,}"
    if code == "62":
        obs(
            code,
            "poor_households",
            2021,
            P21,
            poor,
            "households",
            r["source"],
            status="derived",
            standard=S22,
            note=f"alternative: {how}; equals the 21,989 reported for the province (thoidai.com.vn)",
        )
    else:
        derived_sum += poor
        obs(
            code,
            "poor_households",
            2021,
            P21,
            poor,
            "households",
            r["source"],
            status="derived",
            standard=S22,
            note=f"{how}. {PCT_NOTE}",
        )
        obs(
            code,
            "poor_rate",
            2021,
            P21,
            rate,
            "%",
            r["source"],
            status="derived",
            standard=S22,
            note=f"derived: {poor:,} derived poor households / {int(float(r['total_households'])):,} households",
        )
assert abs(derived_sum - 21989) <= 2, derived_sum

# --- 9. commune poverty observations ----------------------------------------------------------
cp = facts("commune_poverty_observations.csv")
CP = {
    ("23545", "2016"): (2016, S16),
    ("23545", "end-2018"): (2018, S16),
    ("23467", "end-2019"): (2019, S16),
    ("23371", "~2021-2022"): (2021, S16),
    ("23314", "2013"): (2013, S11),
}
for _, r in cp.iterrows():
    year, std = CP[(r["commune_code_gso2020"], r["period"])]
    q, v = num(r["poor_rate_pct"])
    note = r["note"]
    if r["commune_code_gso2020"] == "23371":
        note = (
            "year and standard uncertain (article ~2022 on the NTM recognition for 2021; NTM assessments in "
            "2021 still used the 2016-2020 standard, Báo cáo 112-BC/TU fn 29); " + note
        )
    obs(
        r["commune_code_gso2020"],
        "poor_rate",
        year,
        r["period"],
        v,
        "%",
        r["source"],
        status=status_for(r["source"], q),
        standard=std,
        qualifier=q,
        note=note,
    )
src = cp[cp.commune_code_gso2020 == "23467"].iloc[0]["source"]
# '~620 households' of Pờ Ê stays in the note of its poverty row: a commune 'households' row would override the
# derived commune households of the demo generator (which must sum to the 2021 review per district).
obs(
    "23467",
    "population",
    2019,
    "end-2019",
    2300,
    "persons",
    src,
    status="reported",
    qualifier="~",
    note="'~2,300 people' (about 620 households)",
)
src = cp[cp.commune_code_gso2020 == "23545"].iloc[0]["source"]
obs(
    "23545",
    "poverty_exits_cum",
    2018,
    "2016-2018",
    270,
    "households",
    src,
    status="reported",
    qualifier=">",
    standard=S16,
)

# --- 10. population and area ------------------------------------------------------------------
cen = facts("population_census2019_by_commune.csv")
CEN_SRC = (
    "Tổng điều tra dân số và nhà ở 2019 (GSO), dân số theo xã 1/4/2019 — "
    "data/sources/facts/population_census2019_by_commune.csv (census unit names as in the census, "
    "matched to 2020 GSO codes)"
)
for _, r in cen.iterrows():
    n = ""
    if r["census_ward"] != r["commune_name"]:
        n = f"census name '{r['census_ward']}'"
    if r["gso_commune_code"] == "23473":
        n += "; Măng Đen town was created on 1/9/2019 from the whole of xã Đắk Long, so the census counts it as rural"
    for col, ind in (
        ("pop2019_total", "population_2019"),
        ("pop2019_urban", "population_2019_urban"),
        ("pop2019_rural", "population_2019_rural"),
    ):
        obs(r["gso_commune_code"], ind, 2019, "1/4/2019", float(r[col]), "persons", CEN_SRC, note=n)
assert cen.pop2019_total.astype(int).sum() == 540438
for code, grp in cen.groupby("gso_district_code"):
    for col, ind in (
        ("pop2019_total", "population_2019"),
        ("pop2019_urban", "population_2019_urban"),
        ("pop2019_rural", "population_2019_rural"),
    ):
        obs(
            code,
            ind,
            2019,
            "1/4/2019",
            float(grp[col].astype(int).sum()),
            "persons",
            CEN_SRC,
            status="derived",
            note=f"derived: sum of the census population of the district's {len(grp)} communes",
        )
for col, ind in (
    ("pop2019_total", "population_2019"),
    ("pop2019_urban", "population_2019_urban"),
    ("pop2019_rural", "population_2019_rural"),
):
    obs(
        "62",
        ind,
        2019,
        "1/4/2019",
        float(cen[col].astype(int).sum()),
        "persons",
        CEN_SRC,
        status="derived",
        note="derived: sum of the census population of the 102 communes",
    )

dpa = facts("district_population_area.csv")
CEN_D = dict(
    zip(
        *[
            cen.groupby("gso_district_code")["pop2019_total"].apply(lambda s: s.astype(int).sum()).reset_index()[c]
            for c in ("gso_district_code", "pop2019_total")
        ]
    )
)
for _, r in dpa.iterrows():
    code = r["district_code"]
    obs(code, "area_km2", 2017, "2017", float(r["area_km2_2017"]), "km²", r["source_2017"], status="reported")
    obs(
        code,
        "avg_population",
        2017,
        "2017 (sơ bộ / preliminary)",
        float(r["avg_population_2017_prelim"]),
        "persons",
        r["source_2017"],
        status="reported",
        note="average population, statistical yearbook 2017 (preliminary)",
    )
    obs(code, "area_km2", 2022, "2022", float(r["area_km2_2022"]), "km²", r["source_2022"])
    p22 = r["avg_population_2022"]
    if code == "615":
        obs(
            code,
            "avg_population",
            2022,
            "2022",
            53478,
            "persons",
            r["source_2022"],
            note="alternative: as printed 53,478 — duplicates the Sa Thầy row (page error)",
        )
        others = sum(float(x) for c, x in zip(dpa.district_code, dpa.avg_population_2022) if c not in ("615", "62"))
        derived = 579914 - others
        obs(
            code,
            "avg_population",
            2022,
            "2022 (derived)",
            derived,
            "persons",
            r["source_2022"],
            status="derived",
            note=f"derived: province 579,914 minus the other nine districts = {derived:,.0f} "
            "(the printed Đắk Hà value duplicates Sa Thầy)",
        )
    else:
        obs(
            code,
            "avg_population",
            2022,
            "2022",
            float(p22),
            "persons",
            r["source_2022"],
            note="average population, statistical yearbook 2022",
        )
    w = r["population_2019_census_where_found"]
    if w and code != "62":
        src19 = r["source_2019"].replace("2019: see column text; ", "")
        if code == "617":
            obs(
                code,
                "avg_population",
                2019,
                "end-2019 ('dân số trung bình đến cuối năm 2019 khoảng')",
                27164,
                "persons",
                src19,
                status="reported",
                qualifier="~",
                note="district portal; the 2019 census counts 27,411 (commune sum)",
            )
            continue
        q, v = num(w)
        obs(
            code,
            "population_2019",
            2019,
            "2019",
            v,
            "persons",
            src19,
            status="reported",
            qualifier=q,
            note=f"alternative: {w}; census commune sum = {CEN_D[code]:,}" + ("" if v == CEN_D[code] else " (differs)"),
        )
        if code in ("613", "614", "615"):
            urb = {"613": 4966, "614": 5167, "615": 16031}[code]
            rur = {"613": 21059, "614": 23424, "615": 58744}[code]
            obs(
                code,
                "population_2019_urban",
                2019,
                "2019",
                urb,
                "persons",
                src19,
                status="reported",
                note="alternative: "
                + (
                    "urban = TT Măng Đen (created 1/9/2019); the census commune table counts it rural"
                    if code == "613"
                    else "same as the census commune sum"
                ),
            )
            obs(
                code,
                "population_2019_rural",
                2019,
                "2019",
                rur,
                "persons",
                src19,
                status="reported",
                note="alternative: "
                + (
                    "58,744 as printed; 16,031 + 58,744 = 74,775 ≠ 74,805 — the census commune sum gives 58,774"
                    if code == "615"
                    else "see population_2019_urban"
                ),
            )
    if code == "62":
        obs(
            "62",
            "avg_population",
            2019,
            "2019",
            543452,
            "persons",
            "Cổng TTĐT tỉnh Kon Tum, homepage 'Dân số tỉnh Kon Tum (2019)' (snapshot 11/04/2021) https://kontum.gov.vn/",
            note="'Dân số (2019)' on the homepage, probably the yearbook average; the census (1/4/2019) counts 540,438",
        )
# NQ 126/NQ-CP (2013): the three communes carved out of Mô Rai
NQ126 = (
    "daibieudancukontum.gov.vn/KonTum/318 (19-11-2014) on NQ 126/NQ-CP (20/12/2013), as quoted in "
    "data/sources/facts/FACTS.md §1"
)
for code, ha, pop in (("23537", "32.254,7", 2299), ("23535", "21.794,69", 2004), ("23538", "43.963,83", 2264)):
    obs(
        code,
        "area_ha",
        2013,
        "at creation (NQ 126/NQ-CP, 20/12/2013)",
        vn(ha),
        "ha",
        NQ126,
        note="area when the commune was created (then in Sa Thầy)",
    )
    obs(code, "population", 2013, "at creation (NQ 126/NQ-CP, 20/12/2013)", pop, "persons", NQ126)

# --- 11. Program 135, poor districts, other memberships ----------------------------------------
p = facts("p135_difficult_communes_2016_2020.csv")
MANG_DEN = (
    "vneconomy.vn 'Kon Tum được thành lập thị trấn Măng Đen' (17/07/2019) "
    "https://vneconomy.vn/kon-tum-duoc-thanh-lap-thi-tran-mang-den.htm"
)
for _, r in p.iterrows():
    is2016 = r["program_list"].startswith("P135_2016")
    ind = "p135_2016" if is2016 else "p135_2017_2020"
    code = r["commune_code_gso2020"]
    note = f"name in source: '{r['commune_name_as_in_source']}'"
    src = r["source"]
    if not code:  # Kon Plông 'Đăk Long' (2016) = today's TT Măng Đen
        code = "23473"
        note += (
            "; Kon Plông's xã Đắk Long became Thị trấn Măng Đen on 1/9/2019 (the whole commune: "
            "'trên cơ sở toàn bộ 148,07 km2 … của xã Đắk Long'), so it is mapped to 23473"
        )
        src = f"{src}; mapping: {MANG_DEN}"
    if is2016:
        note += "; QĐ 204/QĐ-TTg 01/02/2016, 61 communes in Kon Tum; 60 of 61 names visible"
        if code == "23537":
            note += "; name truncated in the source ('I...'), read as Ia Dom (the only remaining Ia H'Drai commune)"
        obs(code, ind, 2016, "2016 (QĐ 204/QĐ-TTg, 01/02/2016)", 1, "flag", src, note=note)
    else:
        note += (
            "; partial list: 39 of 54 names visible (the rest of Sa Thầy, Tu Mơ Rông and others not seen); "
            "QĐ 900/QĐ-TTg 20/6/2017, valid 2017-2020"
        )
        obs(code, ind, 2017, "2017-2020 (QĐ 900/QĐ-TTg, 20/6/2017)", 1, "flag", src, note=note)
src204, src900 = p.source.iloc[0], p.source.iloc[-1]
obs(
    "62",
    "p135_communes",
    2016,
    "2016 (QĐ 204/QĐ-TTg)",
    61,
    "count",
    src204,
    note="especially difficult, border and safe-zone communes in Program 135",
)
obs("62", "p135_communes", 2017, "2017-2020 (QĐ 900/QĐ-TTg)", 54, "count", src900)
COMINGO = "comingo.gov.vn (Ủy ban Dân tộc) 'Kon Tum' (25/05/2023) http://comingo.gov.vn/vi/kon-tum.html"
obs(
    "62",
    "p135_communes",
    2017,
    "2016-2020",
    54,
    "count",
    COMINGO,
    note="alternative: same count ('54 xã và 66 thôn, làng … giai đoạn 2016-2020')",
)
obs(
    "62",
    "p135_villages",
    2017,
    "2016-2020",
    66,
    "count",
    COMINGO,
    note="especially difficult villages in Program 135 ('54 xã và 66 thôn, làng')",
)
obs(
    "62",
    "border_communes",
    2023,
    "as of 25/05/2023",
    13,
    "count",
    COMINGO,
    note="'102 xã, phường, thị trấn (có 13 xã biên giới)'; the list itself was not found",
)
obs(
    "62",
    "dbkk_villages",
    2021,
    "2021-2025",
    371,
    "count",
    "Cổng TTĐT tỉnh Kon Tum https://kontum.gov.vn/pages/detail/38792 (citing the UBDT decision replacing "
    "433/QĐ-UBDT of 18/6/2021), as quoted in data/sources/facts/FACTS.md §5",
    note="especially difficult villages 2021-2025: 330 in Region III communes, 17 in Region II, 23 in Region I, 1 other",
)

dps = facts("district_program_status.csv").set_index("district_code")
for code in ("617", "613"):
    obs(
        code,
        "poor_district_30a",
        2016,
        "2016-2020",
        1,
        "flag",
        dps.loc[code, "source"],
        note="poor district under Resolution 30a (NQ 30a/2008/NQ-CP), 2016-2020",
    )
for code in ("617", "613", "618"):
    obs(
        code,
        "poor_district_qd275",
        2018,
        "2018-2020 (QĐ 275/QĐ-TTg, 2018)",
        1,
        "flag",
        dps.loc[code, "source"],
        note=("listed in QĐ 275/QĐ-TTg (2018) as a poor district for 2018-2020; " + dps.loc[code, "status"]),
    )
for code in ("616", "614", "610"):
    obs(
        code,
        "poor_district_30a_mechanism",
        2016,
        "2016",
        1,
        "flag",
        dps.loc[code, "source"],
        status="reported",
        note="one of 3 districts 'được hưởng cơ chế, chính sách theo NQ 30a' in 2016",
    )
WB = "kontumtv.vn (2016), as quoted in data/sources/facts/FACTS.md §5 (page address not recorded)"
for code, name in (
    ("23458", "Măng Bút"),
    ("23455", "Đăk Ring"),
    ("23452", "Đăk Nên"),
    ("23464", "Ngọc Tem"),
    ("23470", "Măng Cành"),
):
    obs(
        code,
        "wb_poverty_project",
        2016,
        "2016",
        1,
        "flag",
        WB,
        status="reported",
        note=f"Kon Plông commune in the WB Central Highlands Poverty Reduction Project; name in source '{name}'",
    )

# --- 12. new rural per commune ------------------------------------------------------------------
nst = facts("ntm_commune_status.csv")
for _, r in nst.iterrows():
    code = r["commune_code_gso2020"]
    assert COMMUNE_DISTRICT[code] == r["district_code"], r
    name_note = f"name in source: '{r['commune_name']}'"
    if r["ntm_status"] == "recognised NTM":
        yr = r["year_recognised"]
        year = int(yr[:4]) if yr[:4].isdigit() else ""
        period = yr if yr else r["as_of"]
        note = "; ".join(
            x for x in (name_note, "" if year else "recognised by 13/05/2019; year not in the source", r["note"]) if x
        )
        if year and "(" in yr:
            note += f"; year: {yr}"
        obs(
            code,
            "ntm_recognised",
            year,
            period.split(" (")[0] if year else "≤2018 (by 13/05/2019)",
            1,
            "flag",
            r["source"],
            status=status_for(r["source"]),
            note=note,
        )
        if "advanced NTM 2021" in yr:
            obs(
                code,
                "ntm_advanced",
                2021,
                "2021",
                1,
                "flag",
                "kontumtv.vn 'Đón nhận Bằng công nhận xã đạt chuẩn Nông thôn mới nâng cao' (~2022) "
                "https://kontumtv.vn/tin-tuc/van-hoa-the-thao/don-nhan-bang-cong-nhan-xa-dat-chuan-nong-thon-moi-nang-cao",
                status="reported",
                note="recognised as advanced new-rural commune (NTM nâng cao) for 2021",
            )
    else:
        crit = r["criteria_met_of_19"]
        v = 19 if crit == "19/19" else int(crit)
        year = 2019
        obs(
            code,
            "ntm_criteria_met",
            year,
            r["as_of"],
            v,
            "criteria",
            r["source"],
            status="reported",
            note="; ".join(
                x
                for x in (
                    name_note,
                    r["ntm_status"],
                    r["note"],
                    "" if r["as_of"] == "end-2019" else "year approximate: article undated",
                )
                if x
            ),
        )
# Báo cáo UBND 2020 footnote: communes recognised for 2019 and 2020
FN_NTM = s1("mục I.3, chú thích (công nhận 08 xã đạt chuẩn xã nông thôn mới)")
for code, name, year in (
    ("23467", "Pờ Ê", 2019),
    ("23320", "Vinh Quang", 2019),
    ("23353", "Đăk Pek", 2019),
    ("23383", "Đăk Dục", 2019),
    ("23485", "Đăk Tơ Lung", 2019),
    ("23311", "Đăk Cấm", 2020),
    ("23374", "Đăk Môn", 2020),
    ("23389", "Đăk Xú", 2020),
):
    obs(code, "ntm_recognised", year, f"đạt chuẩn NTM năm {year}", 1, "flag", FN_NTM, note=f"name in source: '{name}'")
# Báo cáo 112-BC/TU footnote 20: the 28 communes
FN20 = [
    ("Đoàn Kết", "23329"),
    ("Hòa Bình", "23338"),
    ("Ia Chim", "23326"),
    ("Đăk Năng", "23327"),
    ("Vinh Quang", "23320"),
    ("Đăk Cấm", "23311"),
    ("Hà Mòn", "23521"),
    ("Đăk Mar", "23512"),
    ("Đăk La", "23524"),
    ("Đắk Ngọc", "23510"),
    ("Diên Bình", "23440"),
    ("Tân Cảnh", "23437"),
    ("Kon Đào", "23434"),
    ("Sa Sơn", "23539"),
    ("Sa Nhơn", "23533"),
    ("Xa Nghĩa", "23542"),
    ("Đăk Nông", "23386"),
    ("Đăk Kan", "23392"),
    ("Đắk Dục", "23383"),
    ("Bờ Y", "23395"),
    ("Đắk Xú", "23389"),
    ("Đăk Ruồng", "23488"),
    ("Tân Lập", "23497"),
    ("Đắk Tờ Lung", "23485"),
    ("Đăk Pét", "23353"),
    ("Đăk Môn", "23374"),
    ("Pờ Ê", "23467"),
    ("Măng Cành", "23470"),
]
FN20_DISTRICT = {"608": 6, "615": 4, "612": 3, "616": 3, "611": 5, "614": 3, "610": 2, "613": 2}
assert len({c for _, c in FN20}) == 28
assert pd.Series([COMMUNE_DISTRICT[c] for _, c in FN20]).value_counts().to_dict() == FN20_DISTRICT
MAPNOTE = {
    "Đắk Ngọc": "Xã Đăk Ngọk (Đắk Hà)",
    "Xa Nghĩa": "Xã Sa Nghĩa (Sa Thầy); 'Xa' is a misspelling",
    "Đắk Tờ Lung": "Xã Đắk Tơ Lung (Kon Rẫy)",
    "Đăk Pét": "Xã Đắk Pék (Đăk Glei)",
    "Bờ Y": "Xã Bờ Y (Ngọc Hồi; also written Pờ Y)",
}
recognised_codes = {o["gso_code"] for o in OBS if o["indicator"] == "ntm_recognised"}
for name, code in FN20:
    n = f"name in source: '{name}'" + (f" = {MAPNOTE[name]}" if name in MAPNOTE else "")
    obs(code, "ntm_standard_2020", 2020, "end-2020 (28 xã đã đạt chuẩn 19/19 tiêu chí)", 1, "flag", s0(W33N), note=n)
    if code not in recognised_codes:
        obs(
            code,
            "ntm_recognised",
            "",
            "≤2020 (year not stated)",
            1,
            "flag",
            s0(W33N),
            note=n + "; in the list of 28 recognised new-rural communes; year of recognition not stated",
        )
obs(
    "23332",
    "ntm_criteria_met",
    2021,
    "30-6-2021",
    19,
    "criteria",
    s0(W33N),
    note="'đến 30-6-2021 có thêm xã Chư Hreng, thành phố Kon Tum đạt 19/19 tiêu chí'",
)
# district NTM (Đắk Tô, daidoanket)
DDK = dp[dp.district_code == "612"].iloc[0]["source"]
obs(
    "612",
    "ntm_communes_recognised",
    2019,
    "~2019 (article undated)",
    3,
    "count",
    DDK,
    status="reported",
    note="year inferred from the same article's poverty figure (end-2018)",
)
obs(
    "612",
    "ntm_avg_criteria",
    2019,
    "~2019 (article undated)",
    12.6,
    "criteria",
    DDK,
    status="reported",
    note="year inferred",
)

# --- 13. poor-model projects (footnote 26) ---------------------------------------------------------
FN26 = s0("mục II.6 và chú thích 26")
MODELS = [  # (no, commune code, name in source, description, households, budget)
    (
        1,
        "23506",
        "xã Đăk Hring, huyện Đăk Hà",
        "Hỗ trợ chăm sóc cây cà phê, chăm sóc cây cao su, chăn nuôi heo",
        "Support for coffee and rubber care and pig raising",
        25,
        250,
    ),
    (2, "23386", "xã Đăk Nông, huyện Ngọc Hồi", "Hỗ trợ chăn nuôi bò sinh sản", "Breeding cattle", 30, 250),
    (3, "23538", "xã Ia Tơi, huyện Ia H'Drai", "Hỗ trợ hộ nghèo nuôi heo", "Pig raising for poor households", 25, 250),
    (4, "23479", "thị trấn Đăk Rve, huyện Kon Rẫy", "Chăn nuôi bò sinh sản", "Breeding cattle", 25, 250),
    (
        5,
        "23434",
        "xã Kon Đào, huyện Đăk Tô",
        "Hỗ trợ hộ nghèo, hộ cận nghèo chăm sóc cà phê bằng chế phẩm phân bón sinh học",
        "Coffee care with bio-fertiliser for poor and near-poor households",
        22,
        340,
    ),
    (6, "23314", "xã Kroong, thành phố Kon Tum", "Hỗ trợ chăn nuôi dê sinh sản", "Breeding goats", 15, 306),
    (
        7,
        "23538",
        "xã Ia Tơi, huyện Ia H'Drai",
        "Hỗ trợ chăn nuôi lợn, gà thả vườn",
        "Pig and free-range chicken raising",
        25,
        356,
    ),
    (
        8,
        "23537",
        "xã Ia Dom, huyện Ia H'Drai",
        "Hỗ trợ chăn nuôi lợn, gà thả vườn",
        "Pig and free-range chicken raising",
        25,
        356,
    ),
]
by_commune: dict[str, list] = {}
for m in MODELS:
    by_commune.setdefault(m[1], []).append(m)
for code, ms in by_commune.items():
    names = "; ".join(f"({m[0]}) {m[2]}" for m in ms)
    agg = len(ms) > 1
    st = "derived" if agg else "official"
    how = f"derived: sum of projects {', '.join(f'({m[0]})' for m in ms)}; " if agg else ""
    period = "2016-2020 (year of the project not stated)"
    obs(code, "poverty_model_projects", "", period, len(ms), "count", FN26, status=st, note=f"{how}{names}")
    obs(
        code,
        "poverty_model_households",
        "",
        period,
        sum(m[5] for m in ms),
        "households",
        FN26,
        status=st,
        note=f"{how}{names}",
    )
    obs(
        code,
        "poverty_model_budget",
        "",
        period,
        sum(m[6] for m in ms),
        "million VND",
        FN26,
        status=st,
        note=f"{how}{names}",
    )
obs(
    "62",
    "poverty_model_projects",
    2020,
    "2016-2020",
    12,
    "count",
    FN26,
    note="'12 dự án nhân rộng mô hình giảm nghèo trên địa bàn 12 xã thuộc 07 huyện, thành phố' — but the footnote "
    "names 8 projects in 7 communes (Ia Tơi twice) + 4 projects in 4 unnamed communes = 11 communes",
)
named_budget = sum(m[6] for m in MODELS)
obs(
    "62",
    "poverty_model_budget",
    2020,
    "2016-2020",
    named_budget + 740,
    "million VND",
    FN26,
    status="derived",
    note=f"derived: the 8 named projects ({named_budget:,}) + the 4 projects of 2019-2020 in Đăk Hà and Đăk Glei "
    "(740, printed as one total); the report prints no overall total",
)
obs(
    "62",
    "poverty_model_households",
    2020,
    "2016-2020",
    sum(m[5] for m in MODELS),
    "households",
    FN26,
    status="derived",
    qualifier=">",
    note="derived: households of the 8 named projects; the 4 projects of 2019-2020 do not give households",
)

# --- 14. electrification / roads (facts: infrastructure_items.csv) -------------------------------
inf = facts("infrastructure_items.csv")
SRC_E15 = inf.iloc[5]["source"]
obs(
    "62",
    "elec_communes_pct",
    2015,
    "~2015",
    100,
    "%",
    SRC_E15,
    status="reported",
    note="communes with the national grid (article ~2015)",
)
obs(
    "62",
    "elec_villages_pct",
    2015,
    "~2015",
    97,
    "%",
    SRC_E15,
    status="reported",
    note="villages with the national grid (article ~2015)",
)
obs(
    "62",
    "elec_households_pct",
    2015,
    "~2015",
    98,
    "%",
    SRC_E15,
    status="reported",
    qualifier="~",
    note="households using electricity (article ~2015); target 100% by 2020",
)
obs(
    "62",
    "budget_rural_electrification_2014_2020",
    2015,
    "2014-2020 (project)",
    500000,
    "million VND",
    SRC_E15,
    status="reported",
    qualifier=">",
    note="'Dự án cấp điện nông thôn từ lưới điện quốc gia tỉnh Kon Tum giai đoạn 2014-2020': > 500 bn VND",
)
SRC_DAO = inf.iloc[3]["source"]
obs(
    "62",
    "elec_villages_pct",
    2021,
    "6/2021",
    100,
    "%",
    SRC_DAO,
    status="reported",
    note="after làng Dao (Ia Dom) got power the province reached 100% electrification (measure not specified)",
)
SRC_IA = inf.iloc[2]["source"]
obs(
    "618",
    "elec_villages_with_grid",
    2015,
    "end-2015",
    18,
    "count",
    SRC_IA,
    status="reported",
    note="18 of 21 villages with the grid (12 fully, 6 partly)",
)
obs(
    "618",
    "elec_grid_mv_km",
    2015,
    "end-2015",
    118,
    "km",
    SRC_IA,
    status="reported",
    note="as in the facts table ('118 km MV(?)'): the medium-voltage reading is uncertain",
)
obs("618", "elec_grid_lv_km", 2015, "end-2015", 25, "km", SRC_IA, status="reported", qualifier=">")
obs("618", "elec_grid_transformers", 2015, "end-2015", 39, "count", SRC_IA, status="reported")
SRC_PC = inf.iloc[0]["source"]
obs(
    "62",
    "elec_households_connected",
    2019,
    "12/2019",
    1178,
    "households",
    SRC_PC,
    note="PC Kon Tum 2019 project for clusters of >30 households without power: 27 clusters, 6 districts; "
    "3,018 m MV, 15,378 m LV, 6 transformers (525 kVA), 11.634 bn VND",
)
SRC_KP = inf.iloc[4]["source"]
obs(
    "613",
    "elec_households_connected",
    2021,
    "29/12/2021",
    150,
    "households",
    SRC_KP,
    status="reported",
    note="last unelectrified clusters of Kon Plông: 7 clusters in 4 villages",
)
SRC_RD = inf.iloc[6]["source"]
for ind, q, v, n in (
    ("road_rural_new_km", ">", 500, "new rural roads 2011-2015"),
    ("road_village_new_km", "=", 319, "new village roads 2011-2015"),
    ("road_commune_axis_new_km", "~", 50, "new commune-axis roads 2011-2015"),
    ("road_field_new_km", "=", 136, "new field roads 2011-2015"),
    ("road_concreted_km", ">", 230, "roads concreted in 2014-2015"),
):
    obs(
        "62",
        ind,
        2015,
        "2011-2015" if "2011" in n else "2014-2015",
        v,
        "km",
        SRC_RD,
        status="reported",
        qualifier=q,
        note=n,
    )
obs(
    "62",
    "budget_rural_roads_2011_2015",
    2015,
    "2011-2015",
    674000,
    "million VND",
    SRC_RD,
    status="reported",
    note="674 bn VND for rural roads 2011-2015",
)

# ---------------------------------------------------------------------------------------------
# works
# ---------------------------------------------------------------------------------------------
WORKS: list[dict] = []


def work(
    work_id,
    kind,
    name_vi,
    name_en,
    gso_code,
    district_code,
    village,
    year,
    date,
    source,
    *,
    status="official",
    households="",
    mv="",
    lv="",
    transformers="",
    budget="",
    description_vi="",
):
    if gso_code:
        assert gso_code in COMMUNE, gso_code
        district_code = COMMUNE_DISTRICT[gso_code]
    precision = "commune" if gso_code else ("district" if district_code else "province")
    WORKS.append(
        {
            "work_id": work_id,
            "kind": kind,
            "name_vi": name_vi,
            "name_en": name_en,
            "gso_code": gso_code,
            "district_code": district_code,
            "village": village,
            "lon": "",
            "lat": "",
            "location_precision": precision,
            "year": year,
            "date": date,
            "households": households,
            "line_mv_km": mv,
            "line_lv_km": lv,
            "transformers": transformers,
            "budget_million_vnd": budget,
            "description_vi": description_vi,
            "status": status,
            "source": source,
        }
    )


PC2019 = [
    ("23281", "Quang Trung"),
    ("23293", "Thắng Lợi"),
    ("23290", "Trường Chinh"),
    ("23302", "Lê Lợi"),
    ("23296", "Ngô Mây"),
    ("23323", "Đăk Blà"),
    ("23320", "Vinh Quang"),
    ("23326", "Ia Chim"),
    ("23327", "Đăk Năng"),
    ("23329", "Đoàn Kết"),
    ("23338", "Hòa Bình"),
    ("23500", "TT Đăk Hà"),
    ("23521", "Hà Mòn"),
    ("23512", "Đăk Mar"),
    ("23506", "Đăk Hring"),
    ("23503", "Đăk Psi"),
    ("23401", "TT Đăk Tô"),
    ("23443", "Pô Kô"),
    ("23431", "Văn Lem"),
    ("23430", "Đăk Trăm"),
    ("23407", "Đăk Na"),
    ("23377", "TT Plei Kần"),
    ("23392", "Đăk Kan"),
    ("23341", "TT Đăk Glei"),
    ("23353", "Đăk Pét"),
    ("23371", "Đăk Kroong"),
    ("23362", "Mường Hoong"),
]
assert len(PC2019) == 27 and len({c for c, _ in PC2019}) == 27
PC_DESC = (
    "Dự án đầu tư lưới điện cho các cụm dân cư trên 30 hộ chưa có điện hoặc có điện một phần (Công ty Điện "
    "lực Kon Tum, 2019): toàn dự án 1.178 hộ, 3.018 m đường dây trung thế, 15.378 m hạ thế, 6 trạm biến áp "
    "525 kVA, 11,634 tỷ đồng; đóng điện 25/12/2019. Số liệu riêng của từng xã không được công bố."
)
for code, name in PC2019:
    village, date, src = "", "2019-12", SRC_PC
    if code == "23362":
        village, date, src = "thôn Tu Rằng B", "2019-12-25", f"{SRC_PC}; {inf.iloc[1]['source']}"
    if code == "23407":
        village, date, src = "làng Ba Ham – Long Tum", "2019-12-25", f"{SRC_PC}; {inf.iloc[1]['source']}"
    work(
        f"elec-2019-{code}",
        "electrification",
        f"Cấp điện cụm dân cư chưa có điện – {COMMUNE[code]}",
        f"Grid connection of unelectrified clusters – {COMMUNE[code]} (PC Kon Tum 2019)",
        code,
        "",
        village,
        2019,
        date,
        src,
        description_vi=PC_DESC + f" Tên trong nguồn: '{name}'.",
    )
work(
    "elec-2015-23537",
    "electrification",
    "Kéo điện lưới quốc gia về thôn 2, xã Ia Dom",
    "National grid to village 2, Ia Dom",
    "23537",
    "",
    "thôn 2",
    2015,
    "2015",
    SRC_IA,
    status="reported",
    households=147,
    description_vi="Cuối năm 2015, 147 hộ thôn 2 xã Ia Dom có điện lưới; huyện Ia H'Drai có 18/21 "
    "thôn có điện (12 toàn phần, 6 một phần).",
)
work(
    "elec-2021-23537",
    "electrification",
    "Cấp điện làng Dao, thôn 3, xã Ia Dom",
    "Electricity for Dao hamlet, village 3, Ia Dom",
    "23537",
    "",
    "làng Dao, thôn 3",
    2021,
    "2021-06",
    SRC_DAO,
    status="reported",
    households=75,
    mv=16,
    transformers=1,
    budget=16700,
    description_vi="Điểm cuối cùng chưa có điện của Ia H'Drai: khoảng 75 hộ/220 người; khoảng 16 km đường dây "
    "22 kV và 1 trạm biến áp 100 kVA; 16,7 tỷ đồng (số hộ và chiều dài là số xấp xỉ).",
)
KP_DESC = "Cụm dân cư khó khăn cuối cùng của Kon Plông được đóng điện 29/12/2021 (toàn huyện 7 cụm ở 4 làng, 150 hộ)."
work(
    "elec-2021-23458",
    "electrification",
    "Cấp điện làng Đăk Lanh, xã Măng Bút",
    "Electricity for Đăk Lanh hamlet, Măng Bút",
    "23458",
    "",
    "làng Đăk Lanh",
    2021,
    "2021-12-29",
    SRC_KP,
    status="reported",
    households=57,
    mv=0.752,
    lv=0.4,
    transformers=1,
    description_vi=KP_DESC + " Đăk Lanh: 57 hộ, 752 m trung thế, khoảng 400 m hạ thế, TBA 25 kVA.",
)
work(
    "elec-2021-23473",
    "electrification",
    "Cấp điện làng Kon Ke và Kon Rẫy, thị trấn Măng Đen",
    "Electricity for Kon Ke and Kon Rẫy hamlets, Măng Đen",
    "23473",
    "",
    "làng Kon Ke; làng Kon Rẫy",
    2021,
    "2021-12-29",
    SRC_KP,
    status="reported",
    description_vi=KP_DESC,
)
work(
    "elec-2021-23455",
    "electrification",
    "Cấp điện làng Tăng Pơ và Vác Y Nhông, xã Đăk Ring",
    "Electricity for Tăng Pơ and Vác Y Nhông hamlets, Đăk Ring",
    "23455",
    "",
    "làng Tăng Pơ; làng Vác Y Nhông",
    2021,
    "2021-12-29",
    SRC_KP,
    status="reported",
    description_vi=KP_DESC,
)
for m in MODELS:
    no, code, where, vi, en, h, b = m
    work(
        f"model-{no:02d}-{code}",
        "poverty_model",
        f"Dự án nhân rộng mô hình giảm nghèo: {vi} – {where}",
        f"Poverty-reduction model: {en} – {COMMUNE[code]}",
        code,
        "",
        "",
        "",
        "",
        FN26,
        households=h,
        budget=b,
        description_vi=f"Dự án ({no}) chú thích 26: {vi} tại {where}, có {h} hộ tham gia, tổng kinh phí {b} triệu "
        "đồng (giai đoạn 2016-2020, năm không nêu).",
    )
for i in "abcd":
    work(
        f"model-09{i}",
        "poverty_model",
        "Dự án nhân rộng mô hình giảm nghèo 2019-2020 (xã không nêu tên)",
        "Poverty-reduction model 2019-2020 (commune not named)",
        "",
        "",
        "",
        2020,
        "2019-2020",
        FN26,
        description_vi="Một trong 04 dự án năm 2019 và 2020 tại 04 xã thuộc 02 huyện Đăk Hà và Đăk Glei, tổng kinh "
        "phí 740 triệu đồng (chú thích 26, mục (9)); tên xã, số hộ và kinh phí từng dự án không nêu, "
        "nên vị trí chỉ ở mức tỉnh.",
    )
CHAIN = s1("mục II.2.1.2, chú thích (chuỗi liên kết sản xuất và tiêu thụ)")
work(
    "chain-613-coffee",
    "other",
    "Chuỗi liên kết cà phê chè Công ty Cao Nguyên – HTX Nông nghiệp Công bằng Măng Đen",
    "Arabica coffee value chain (Cao Nguyên Co. – Công bằng Măng Đen cooperative)",
    "",
    "613",
    "",
    2020,
    "",
    CHAIN,
    description_vi="Liên kết sản xuất, tiêu thụ cà phê chè giữa Công ty TNHH đầu tư XNK Cao Nguyên (nhà máy chế biến "
    "ướt 100 tấn/ngày, khô 80 tấn/ngày, 90 tỷ đồng) với Tổ hợp tác và HTX Nông nghiệp Công bằng Măng "
    "Đen (huyện Kon Plông) và các xã Đông Trường Sơn của huyện Đăk Glei; xã cụ thể không nêu.",
)
work(
    "chain-610-coffee",
    "other",
    "Chuỗi liên kết cà phê chè – các xã Đông Trường Sơn, huyện Đăk Glei",
    "Arabica coffee value chain – communes east of the Trường Sơn, Đăk Glei",
    "",
    "610",
    "",
    2020,
    "",
    CHAIN,
    description_vi="Cùng chuỗi liên kết cà phê chè với Công ty Cao Nguyên; các xã Đông Trường Sơn không được nêu tên.",
)
work(
    "chain-612-coffee",
    "other",
    "Chuỗi liên kết cà phê HTX Công Bằng Pô Cô",
    "Coffee value chain of the Công Bằng Pô Cô cooperative",
    "",
    "612",
    "",
    2020,
    "",
    CHAIN,
    description_vi="Chuỗi liên kết sản xuất, tiêu thụ cà phê giữa HTX Công Bằng Pô Cô với các hộ dân: 220 ha, 900 "
    "tấn/năm. Huyện suy từ tên (Pô Cô, Đăk Tô); xã không nêu.",
)
work(
    "chain-612-cassava",
    "other",
    "Chuỗi liên kết sắn – Nhà máy Cồn và Tinh bột sắn Đăk Tô",
    "Cassava value chain – Đăk Tô ethanol and starch factory",
    "",
    "612",
    "",
    2020,
    "",
    CHAIN,
    households=299,
    description_vi="299 hộ dân liên kết với Nhà máy Cồn và Tinh bột sắn Đăk Tô, quy mô 281,4 ha; xã không nêu.",
)
work(
    "chain-613-vegetables",
    "other",
    "Chuỗi liên kết rau, củ, quả xứ lạnh huyện Kon Plông",
    "Temperate vegetables and fruit value chain, Kon Plông",
    "",
    "613",
    "",
    2020,
    "",
    CHAIN,
    description_vi="Liên kết giữa doanh nghiệp, HTX sản xuất tại huyện Kon Plông với các hệ thống siêu thị (Big C "
    "Miền Trung, CoopMart); xã không nêu.",
)

# ---------------------------------------------------------------------------------------------
# catalogue: id -> (name_vi, name_en, polarity, kind, description_vi, description_en)
# ---------------------------------------------------------------------------------------------
HW, HB, NE = "higher_worse", "higher_better", "neutral"
CAT = {
    "poor_rate": (
        "Tỷ lệ hộ nghèo",
        "Poverty rate",
        HW,
        "rate",
        "Số hộ nghèo / tổng số hộ (%), theo chuẩn nghèo ghi ở từng giá trị.",
        "Poor households as % of all households, under the poverty standard given with each value.",
    ),
    "poor_households": (
        "Số hộ nghèo",
        "Poor households",
        HW,
        "count",
        "Số hộ nghèo theo kết quả rà soát.",
        "Number of poor households (annual review).",
    ),
    "near_poor_rate": (
        "Tỷ lệ hộ cận nghèo",
        "Near-poverty rate",
        HW,
        "rate",
        "Số hộ cận nghèo / tổng số hộ (%).",
        "Near-poor households as % of all households.",
    ),
    "near_poor_households": (
        "Số hộ cận nghèo",
        "Near-poor households",
        HW,
        "count",
        "Số hộ cận nghèo theo kết quả rà soát.",
        "Number of near-poor households.",
    ),
    "em_poor_rate": (
        "Tỷ lệ hộ nghèo DTTS",
        "Ethnic-minority poverty rate",
        HW,
        "rate",
        "Hộ nghèo dân tộc thiểu số / tổng số hộ DTTS (%).",
        "Poor ethnic-minority households as % of ethnic-minority households.",
    ),
    "em_poor_households": (
        "Số hộ nghèo DTTS",
        "Ethnic-minority poor households",
        HW,
        "count",
        "Số hộ nghèo là người dân tộc thiểu số.",
        "Poor ethnic-minority households.",
    ),
    "em_near_poor_rate": (
        "Tỷ lệ hộ cận nghèo DTTS",
        "Ethnic-minority near-poverty rate",
        HW,
        "rate",
        "Hộ cận nghèo DTTS / tổng số hộ DTTS (%).",
        "Near-poor ethnic-minority households as % of ethnic-minority households.",
    ),
    "em_near_poor_households": (
        "Số hộ cận nghèo DTTS",
        "Ethnic-minority near-poor households",
        HW,
        "count",
        "Số hộ cận nghèo là người dân tộc thiểu số.",
        "Near-poor ethnic-minority households.",
    ),
    "em_share_of_poor_pct": (
        "Tỷ trọng hộ DTTS trong hộ nghèo",
        "Ethnic-minority share of poor households",
        NE,
        "rate",
        "Cột '%' của Biểu số 05 (rà soát 2021): hộ nghèo DTTS / tổng số hộ nghèo (%).",
        "The '%' column of Biểu số 05 (2021 review): ethnic-minority poor as % of all poor households.",
    ),
    "households": ("Số hộ dân", "Households", NE, "count", "Tổng số hộ dân cư.", "Total number of households."),
    "em_households": (
        "Số hộ DTTS",
        "Ethnic-minority households",
        NE,
        "count",
        "Số hộ dân tộc thiểu số.",
        "Ethnic-minority households.",
    ),
    "poor_rate_decrease": (
        "Mức giảm tỷ lệ hộ nghèo",
        "Decrease of the poverty rate",
        HB,
        "rate",
        "Mức giảm tỷ lệ hộ nghèo trong năm (điểm %), như báo cáo công bố.",
        "Decrease of the poverty rate in the year (percentage points), as reported.",
    ),
    "em_poor_rate_decrease": (
        "Mức giảm tỷ lệ hộ nghèo DTTS",
        "Decrease of the ethnic-minority poverty rate",
        HB,
        "rate",
        "Mức giảm bình quân/năm tỷ lệ hộ nghèo DTTS (điểm %).",
        "Average yearly decrease of the ethnic-minority poverty rate (percentage points).",
    ),
    "poverty_exits_households": (
        "Số hộ thoát nghèo trong năm",
        "Households exiting poverty (year)",
        HB,
        "count",
        "Số hộ thoát nghèo trong năm.",
        "Households that exited poverty during the year.",
    ),
    "poverty_exits_cum": (
        "Số hộ thoát nghèo (cả giai đoạn)",
        "Households exiting poverty (period)",
        HB,
        "count",
        "Số hộ thoát nghèo cộng dồn trong giai đoạn ghi ở cột period.",
        "Households that exited poverty over the period given.",
    ),
    "em_poverty_exits_cum": (
        "Số hộ DTTS thoát nghèo (cả giai đoạn)",
        "Ethnic-minority households exiting poverty (period)",
        HB,
        "count",
        "Số hộ DTTS thoát nghèo cộng dồn trong giai đoạn.",
        "Ethnic-minority households that exited poverty over the period.",
    ),
    "near_poor_exits_cum": (
        "Số hộ thoát cận nghèo (cả giai đoạn)",
        "Households exiting near-poverty (period)",
        HB,
        "count",
        "Số hộ thoát cận nghèo cộng dồn trong giai đoạn.",
        "Households that left near-poverty over the period.",
    ),
    "poor_income_per_capita": (
        "Thu nhập bình quân hộ nghèo",
        "Average income of poor households",
        HB,
        "amount",
        "Thu nhập bình quân của hộ nghèo (đồng/người/tháng).",
        "Average income of poor households (VND per person per month).",
    ),
    "commune_health_standard_pct": (
        "Tỷ lệ xã đạt tiêu chí quốc gia về y tế",
        "Communes meeting the national health criteria",
        HB,
        "rate",
        "Tỷ lệ xã, phường, thị trấn đạt Bộ tiêu chí Quốc gia về y tế xã (%).",
        "% of communes meeting the national commune-health criteria.",
    ),
    "health_insurance_coverage_pct": (
        "Tỷ lệ bao phủ bảo hiểm y tế",
        "Health-insurance coverage",
        HB,
        "rate",
        "Tỷ lệ dân số có thẻ bảo hiểm y tế (%).",
        "% of the population with health insurance.",
    ),
    "national_standard_schools": (
        "Trường đạt chuẩn quốc gia",
        "Schools meeting the national standard",
        HB,
        "count",
        "Số trường mầm non, phổ thông đạt chuẩn quốc gia.",
        "Kindergartens and schools meeting the national standard.",
    ),
    "rural_clean_water_pct": (
        "Tỷ lệ dân nông thôn dùng nước hợp vệ sinh",
        "Rural population with hygienic water",
        HB,
        "rate",
        "Tỷ lệ dân số nông thôn được sử dụng nước hợp vệ sinh (%).",
        "% of the rural population using hygienic water.",
    ),
    "trained_labour_pct": (
        "Tỷ lệ lao động qua đào tạo",
        "Trained labour",
        HB,
        "rate",
        "Tỷ lệ lao động qua đào tạo (%).",
        "% of the labour force with training.",
    ),
    "vocational_trained_pct": (
        "Tỷ lệ lao động qua đào tạo nghề",
        "Vocationally trained labour",
        HB,
        "rate",
        "Tỷ lệ lao động qua đào tạo nghề (%).",
        "% of the labour force with vocational training.",
    ),
    "vocational_training_persons": (
        "Số người được hỗ trợ đào tạo nghề",
        "People given vocational training",
        HB,
        "count",
        "Số người được hỗ trợ đào tạo nghề trong giai đoạn.",
        "People given vocational training over the period.",
    ),
    "road_commune_hardened_pct": (
        "Tỷ lệ đường xã được cứng hóa",
        "Commune roads hardened",
        HB,
        "rate",
        "Tỷ lệ đường liên xã, đường từ trung tâm xã đến trung tâm huyện được cứng hóa, ô tô đi lại quanh năm (%).",
        "% of inter-commune roads and roads from the commune centre to the district centre that are hardened and passable all year.",
    ),
    "road_village_hardened_pct": (
        "Tỷ lệ đường thôn được cứng hóa",
        "Village roads hardened",
        HB,
        "rate",
        "Tỷ lệ đường thôn, làng được cứng hóa (%).",
        "% of village roads that are hardened.",
    ),
    "road_rural_new_km": (
        "Đường giao thông nông thôn làm mới",
        "New rural roads",
        HB,
        "amount",
        "Chiều dài đường giao thông nông thôn làm mới (km).",
        "Length of new rural roads (km).",
    ),
    "road_village_new_km": (
        "Đường thôn xóm làm mới",
        "New village roads",
        HB,
        "amount",
        "Chiều dài đường thôn, xóm làm mới (km).",
        "Length of new village roads (km).",
    ),
    "road_commune_axis_new_km": (
        "Đường trục xã làm mới",
        "New commune-axis roads",
        HB,
        "amount",
        "Chiều dài đường trục xã làm mới (km).",
        "Length of new commune-axis roads (km).",
    ),
    "road_field_new_km": (
        "Đường nội đồng làm mới",
        "New field roads",
        HB,
        "amount",
        "Chiều dài đường nội đồng làm mới (km).",
        "Length of new field roads (km).",
    ),
    "road_concreted_km": (
        "Đường được bê tông hóa",
        "Roads concreted",
        HB,
        "amount",
        "Chiều dài đường giao thông nông thôn được bê tông hóa (km).",
        "Length of rural roads concreted (km).",
    ),
    "elec_villages_connected": (
        "Số thôn, làng được cấp điện",
        "Villages connected to the grid",
        HB,
        "count",
        "Số thôn, làng được đầu tư cấp điện trong giai đoạn.",
        "Villages connected to the grid over the period.",
    ),
    "elec_built_mv_km": (
        "Đường dây trung thế xây mới",
        "Medium-voltage line built",
        HB,
        "amount",
        "Chiều dài đường dây trung thế hoàn thành (km).",
        "Length of medium-voltage line built (km).",
    ),
    "elec_built_lv_km": (
        "Đường dây hạ thế xây mới",
        "Low-voltage line built",
        HB,
        "amount",
        "Chiều dài đường dây hạ thế hoàn thành (km).",
        "Length of low-voltage line built (km).",
    ),
    "elec_built_transformers": (
        "Trạm biến áp xây mới",
        "Transformer stations built",
        HB,
        "count",
        "Số trạm biến áp hoàn thành.",
        "Transformer stations built.",
    ),
    "elec_built_meters": (
        "Công tơ điện lắp mới",
        "Electricity meters installed",
        HB,
        "count",
        "Số công tơ điện lắp mới.",
        "Electricity meters installed.",
    ),
    "elec_households_connected": (
        "Số hộ được cấp điện",
        "Households connected",
        HB,
        "count",
        "Số hộ được cấp điện lưới quốc gia.",
        "Households connected to the national grid.",
    ),
    "elec_communes_pct": (
        "Tỷ lệ xã có điện lưới",
        "Communes with grid power",
        HB,
        "rate",
        "Tỷ lệ xã có điện lưới quốc gia (%).",
        "% of communes with national-grid power.",
    ),
    "elec_villages_pct": (
        "Tỷ lệ thôn có điện lưới",
        "Villages with grid power",
        HB,
        "rate",
        "Tỷ lệ thôn, làng có điện lưới quốc gia (%).",
        "% of villages with national-grid power.",
    ),
    "elec_households_pct": (
        "Tỷ lệ hộ sử dụng điện",
        "Households with electricity",
        HB,
        "rate",
        "Tỷ lệ hộ được sử dụng điện (%).",
        "% of households using electricity.",
    ),
    "elec_villages_with_grid": (
        "Số thôn có điện lưới",
        "Villages with grid power",
        HB,
        "count",
        "Số thôn, làng có điện lưới quốc gia.",
        "Villages with national-grid power.",
    ),
    "elec_grid_mv_km": (
        "Đường dây trung thế hiện có",
        "Medium-voltage network",
        HB,
        "amount",
        "Tổng chiều dài lưới trung thế trên địa bàn (km).",
        "Length of the medium-voltage network (km).",
    ),
    "elec_grid_lv_km": (
        "Đường dây hạ thế hiện có",
        "Low-voltage network",
        HB,
        "amount",
        "Tổng chiều dài lưới hạ thế trên địa bàn (km).",
        "Length of the low-voltage network (km).",
    ),
    "elec_grid_transformers": (
        "Trạm biến áp hiện có",
        "Transformer stations",
        HB,
        "count",
        "Số trạm biến áp trên địa bàn.",
        "Transformer stations in the area.",
    ),
    "p135_2016": (
        "Xã thuộc CT 135 (2016)",
        "Program 135 commune (2016)",
        HW,
        "flag",
        "Xã đặc biệt khó khăn, xã biên giới, xã an toàn khu vào diện đầu tư của Chương trình 135 năm 2016 (QĐ 204/QĐ-TTg).",
        "Commune in Program 135 in 2016 (QĐ 204/QĐ-TTg, 01/02/2016).",
    ),
    "p135_2017_2020": (
        "Xã thuộc CT 135 (2017-2020)",
        "Program 135 commune (2017-2020)",
        HW,
        "flag",
        "Xã thuộc diện đầu tư của Chương trình 135 giai đoạn 2017-2020 (QĐ 900/QĐ-TTg); danh sách chưa đủ (39/54 xã).",
        "Commune in Program 135 for 2017-2020 (QĐ 900/QĐ-TTg); partial list (39 of 54).",
    ),
    "p135_communes": (
        "Số xã thuộc CT 135",
        "Program 135 communes",
        HW,
        "count",
        "Số xã thuộc diện đầu tư của Chương trình 135.",
        "Number of communes in Program 135.",
    ),
    "p135_villages": (
        "Số thôn ĐBKK thuộc CT 135",
        "Program 135 villages",
        HW,
        "count",
        "Số thôn, làng đặc biệt khó khăn thuộc Chương trình 135.",
        "Especially difficult villages in Program 135.",
    ),
    "communes_difficult_border_atk": (
        "Số xã ĐBKK, biên giới, ATK",
        "Difficult, border and safe-zone communes",
        HW,
        "count",
        "Số xã thuộc diện đặc biệt khó khăn, xã biên giới, xã an toàn khu.",
        "Especially difficult, border and safe-zone communes.",
    ),
    "dbkk_villages": (
        "Số thôn đặc biệt khó khăn",
        "Especially difficult villages",
        HW,
        "count",
        "Số thôn đặc biệt khó khăn vùng DTTS và miền núi.",
        "Especially difficult villages in ethnic-minority and mountain areas.",
    ),
    "border_communes": (
        "Số xã biên giới",
        "Border communes",
        NE,
        "count",
        "Số xã biên giới.",
        "Number of border communes.",
    ),
    "poor_district_30a": (
        "Huyện nghèo 30a",
        "Poor district (30a)",
        HW,
        "flag",
        "Huyện nghèo theo Nghị quyết 30a/2008/NQ-CP.",
        "Poor district under Resolution 30a/2008/NQ-CP.",
    ),
    "poor_district_qd275": (
        "Huyện nghèo 2018-2020 (QĐ 275)",
        "Poor district 2018-2020 (QĐ 275)",
        HW,
        "flag",
        "Huyện nghèo giai đoạn 2018-2020 theo QĐ 275/QĐ-TTg.",
        "Poor district for 2018-2020 under QĐ 275/QĐ-TTg.",
    ),
    "poor_district_30a_mechanism": (
        "Huyện hưởng cơ chế 30a",
        "District with 30a mechanisms",
        HW,
        "flag",
        "Huyện có tỷ lệ hộ nghèo cao được hưởng cơ chế, chính sách theo NQ 30a.",
        "High-poverty district receiving the 30a mechanisms.",
    ),
    "poor_districts": ("Số huyện nghèo", "Poor districts", HW, "count", "Số huyện nghèo.", "Number of poor districts."),
    "wb_poverty_project": (
        "Xã thuộc dự án giảm nghèo WB",
        "WB poverty-reduction project commune",
        NE,
        "flag",
        "Xã thuộc Dự án giảm nghèo khu vực Tây Nguyên (Ngân hàng Thế giới).",
        "Commune in the World Bank Central Highlands Poverty Reduction Project.",
    ),
    "ntm_recognised": (
        "Xã đạt chuẩn nông thôn mới",
        "New-rural commune",
        HB,
        "flag",
        "Xã được công nhận đạt chuẩn nông thôn mới; year = năm đạt chuẩn nếu biết.",
        "Commune recognised as meeting the new-rural standard; year = the year if known.",
    ),
    "ntm_standard_2020": (
        "Xã đạt chuẩn NTM đến 2020",
        "New-rural commune by 2020",
        HB,
        "flag",
        "Một trong 28 xã đã đạt chuẩn 19/19 tiêu chí nông thôn mới (Báo cáo 112-BC/TU, chú thích 20).",
        "One of the 28 communes meeting all 19 new-rural criteria (Báo cáo 112-BC/TU, footnote 20).",
    ),
    "ntm_advanced": (
        "Xã nông thôn mới nâng cao",
        "Advanced new-rural commune",
        HB,
        "flag",
        "Xã đạt chuẩn nông thôn mới nâng cao.",
        "Commune recognised as advanced new-rural.",
    ),
    "ntm_criteria_met": (
        "Số tiêu chí NTM đạt",
        "New-rural criteria met",
        HB,
        "score",
        "Số tiêu chí nông thôn mới xã đạt (trên 19).",
        "New-rural criteria met by the commune (of 19).",
    ),
    "ntm_communes_recognised": (
        "Số xã đạt chuẩn NTM",
        "New-rural communes",
        HB,
        "count",
        "Số xã được công nhận đạt chuẩn nông thôn mới.",
        "Communes recognised as new-rural.",
    ),
    "ntm_communes_19": (
        "Số xã đạt 19/19 tiêu chí",
        "Communes meeting 19/19 criteria",
        HB,
        "count",
        "Số xã đạt đủ 19 tiêu chí nông thôn mới.",
        "Communes meeting all 19 new-rural criteria.",
    ),
    "ntm_communes_15_18": (
        "Số xã đạt 15-18 tiêu chí",
        "Communes with 15-18 criteria",
        NE,
        "count",
        "Số xã đạt từ 15 đến 18 tiêu chí.",
        "Communes meeting 15 to 18 criteria.",
    ),
    "ntm_communes_10_14": (
        "Số xã đạt 10-14 tiêu chí",
        "Communes with 10-14 criteria",
        NE,
        "count",
        "Số xã đạt từ 10 đến 14 tiêu chí.",
        "Communes meeting 10 to 14 criteria.",
    ),
    "ntm_communes_8_9": (
        "Số xã đạt 8-9 tiêu chí",
        "Communes with 8-9 criteria",
        HW,
        "count",
        "Số xã đạt từ 8 đến 9 tiêu chí.",
        "Communes meeting 8 or 9 criteria.",
    ),
    "ntm_communes_5_9": (
        "Số xã đạt 5-9 tiêu chí",
        "Communes with 5-9 criteria",
        HW,
        "count",
        "Số xã đạt từ 5 đến 9 tiêu chí.",
        "Communes meeting 5 to 9 criteria.",
    ),
    "ntm_communes_lt5": (
        "Số xã đạt dưới 5 tiêu chí",
        "Communes with fewer than 5 criteria",
        HW,
        "count",
        "Số xã đạt dưới 5 tiêu chí.",
        "Communes meeting fewer than 5 criteria.",
    ),
    "ntm_avg_criteria": (
        "Số tiêu chí NTM bình quân/xã",
        "Average new-rural criteria per commune",
        HB,
        "score",
        "Số tiêu chí nông thôn mới đạt bình quân mỗi xã.",
        "Average number of new-rural criteria met per commune.",
    ),
    "ntm_crit_transport_communes": (
        "Số xã đạt tiêu chí giao thông",
        "Communes meeting the transport criterion",
        HB,
        "count",
        "Số xã đạt tiêu chí số 2 (giao thông) của Bộ tiêu chí nông thôn mới.",
        "Communes meeting new-rural criterion 2 (transport).",
    ),
    "ntm_crit_irrigation_communes": (
        "Số xã đạt tiêu chí thủy lợi",
        "Communes meeting the irrigation criterion",
        HB,
        "count",
        "Số xã đạt tiêu chí thủy lợi.",
        "Communes meeting the irrigation criterion.",
    ),
    "ntm_crit_electricity_communes": (
        "Số xã đạt tiêu chí điện",
        "Communes meeting the electricity criterion",
        HB,
        "count",
        "Số xã đạt tiêu chí điện.",
        "Communes meeting the electricity criterion.",
    ),
    "ntm_crit_school_communes": (
        "Số xã đạt tiêu chí trường học",
        "Communes meeting the school criterion",
        HB,
        "count",
        "Số xã đạt tiêu chí trường học.",
        "Communes meeting the school criterion.",
    ),
    "ntm_crit_culture_facilities_communes": (
        "Số xã đạt tiêu chí cơ sở vật chất văn hóa",
        "Communes meeting the cultural-facilities criterion",
        HB,
        "count",
        "Số xã đạt tiêu chí cơ sở vật chất văn hóa.",
        "Communes meeting the cultural-facilities criterion.",
    ),
    "ntm_crit_rural_commerce_communes": (
        "Số xã đạt tiêu chí hạ tầng thương mại",
        "Communes meeting the rural-commerce criterion",
        HB,
        "count",
        "Số xã đạt tiêu chí cơ sở hạ tầng thương mại nông thôn.",
        "Communes meeting the rural-commerce infrastructure criterion.",
    ),
    "ntm_crit_culture_communes": (
        "Số xã đạt tiêu chí văn hóa",
        "Communes meeting the culture criterion",
        HB,
        "count",
        "Số xã đạt tiêu chí văn hóa.",
        "Communes meeting the culture criterion.",
    ),
    "ntm_crit_defence_security_communes": (
        "Số xã đạt tiêu chí quốc phòng, an ninh",
        "Communes meeting the defence and security criterion",
        HB,
        "count",
        "Số xã đạt tiêu chí quốc phòng và an ninh.",
        "Communes meeting the defence and security criterion.",
    ),
    "ntm_crit_income_pct": (
        "Tỷ lệ xã đạt tiêu chí thu nhập",
        "Communes meeting the income criterion",
        HB,
        "rate",
        "Tỷ lệ xã đạt tiêu chí thu nhập (%).",
        "% of communes meeting the income criterion.",
    ),
    "ntm_crit_poverty_pct": (
        "Tỷ lệ xã đạt tiêu chí hộ nghèo",
        "Communes meeting the poverty criterion",
        HB,
        "rate",
        "Tỷ lệ xã đạt tiêu chí hộ nghèo (%).",
        "% of communes meeting the poverty criterion.",
    ),
    "ntm_crit_employment_pct": (
        "Tỷ lệ xã đạt tiêu chí lao động có việc làm",
        "Communes meeting the employment criterion",
        HB,
        "rate",
        "Tỷ lệ xã đạt tiêu chí lao động có việc làm (%).",
        "% of communes meeting the employment criterion.",
    ),
    "ntm_crit_production_org_pct": (
        "Tỷ lệ xã đạt tiêu chí tổ chức sản xuất",
        "Communes meeting the production-organisation criterion",
        HB,
        "rate",
        "Tỷ lệ xã đạt tiêu chí tổ chức sản xuất (%).",
        "% of communes meeting the production-organisation criterion.",
    ),
    "ntm_crit_environment_pct": (
        "Tỷ lệ xã đạt tiêu chí môi trường",
        "Communes meeting the environment criterion",
        HB,
        "rate",
        "Tỷ lệ xã đạt tiêu chí môi trường và an toàn thực phẩm (%).",
        "% of communes meeting the environment and food-safety criterion.",
    ),
    "poverty_model_projects": (
        "Số dự án nhân rộng mô hình giảm nghèo",
        "Poverty-model projects",
        HB,
        "count",
        "Số dự án nhân rộng mô hình giảm nghèo (Báo cáo 112-BC/TU, chú thích 26).",
        "Poverty-reduction model projects (Báo cáo 112-BC/TU, footnote 26).",
    ),
    "poverty_model_households": (
        "Số hộ tham gia mô hình giảm nghèo",
        "Households in poverty-model projects",
        HB,
        "count",
        "Số hộ tham gia các dự án nhân rộng mô hình giảm nghèo.",
        "Households taking part in poverty-model projects.",
    ),
    "poverty_model_budget": (
        "Kinh phí mô hình giảm nghèo",
        "Poverty-model budget",
        HB,
        "amount",
        "Tổng kinh phí các dự án nhân rộng mô hình giảm nghèo (triệu đồng).",
        "Budget of the poverty-model projects (million VND).",
    ),
    "population_2019": (
        "Dân số 2019 (TĐT)",
        "Population 2019 (census)",
        NE,
        "count",
        "Dân số theo Tổng điều tra dân số và nhà ở 1/4/2019.",
        "Population at the 1 April 2019 census.",
    ),
    "population_2019_urban": (
        "Dân số thành thị 2019",
        "Urban population 2019",
        NE,
        "count",
        "Dân số thành thị theo Tổng điều tra 2019.",
        "Urban population at the 2019 census.",
    ),
    "population_2019_rural": (
        "Dân số nông thôn 2019",
        "Rural population 2019",
        NE,
        "count",
        "Dân số nông thôn theo Tổng điều tra 2019.",
        "Rural population at the 2019 census.",
    ),
    "population_density_2019": (
        "Mật độ dân số 2019",
        "Population density 2019",
        NE,
        "rate",
        "Dân số 2019 (TĐT) / diện tích tính trong UTM 48N (người/km²).",
        "2019 census population / area computed in UTM 48N (persons per km²).",
    ),
    "avg_population": (
        "Dân số trung bình",
        "Average population",
        NE,
        "count",
        "Dân số trung bình năm theo niên giám thống kê.",
        "Average population of the year (statistical yearbook).",
    ),
    "population": (
        "Dân số",
        "Population",
        NE,
        "count",
        "Số dân (thời điểm ghi ở cột period).",
        "Population at the time given in period.",
    ),
    "area_km2": (
        "Diện tích",
        "Area",
        NE,
        "amount",
        "Diện tích tự nhiên (km²) theo niên giám thống kê.",
        "Land area (km², statistical yearbook).",
    ),
    "area_ha": ("Diện tích (ha)", "Area (ha)", NE, "amount", "Diện tích tự nhiên (ha).", "Land area (hectares)."),
    "projects_30a": (
        "Số công trình CT 30a",
        "Program 30a works",
        HB,
        "count",
        "Số dự án, công trình hạ tầng đầu tư bằng vốn Chương trình 30a.",
        "Infrastructure works funded by Program 30a.",
    ),
    "projects_30a_roads": (
        "Công trình giao thông CT 30a",
        "Program 30a road works",
        HB,
        "count",
        "Số công trình giao thông nông thôn thuộc Chương trình 30a.",
        "Rural road works of Program 30a.",
    ),
    "projects_30a_education": (
        "Công trình giáo dục CT 30a",
        "Program 30a education works",
        HB,
        "count",
        "Số công trình giáo dục thuộc Chương trình 30a.",
        "Education works of Program 30a.",
    ),
    "projects_30a_water": (
        "Công trình cấp nước CT 30a",
        "Program 30a water-supply works",
        HB,
        "count",
        "Số công trình cấp nước sinh hoạt thuộc Chương trình 30a.",
        "Water-supply works of Program 30a.",
    ),
    "projects_30a_irrigation": (
        "Công trình thủy lợi CT 30a",
        "Program 30a irrigation works",
        HB,
        "count",
        "Số công trình thủy lợi, hồ chứa nước thuộc Chương trình 30a.",
        "Irrigation works and reservoirs of Program 30a.",
    ),
    "projects_135": (
        "Số công trình CT 135",
        "Program 135 works",
        HB,
        "count",
        "Số dự án, công trình hạ tầng đầu tư bằng vốn Chương trình 135.",
        "Infrastructure works funded by Program 135.",
    ),
    "projects_135_roads": (
        "Công trình giao thông CT 135",
        "Program 135 road works",
        HB,
        "count",
        "Số công trình giao thông thuộc Chương trình 135.",
        "Road works of Program 135.",
    ),
    "projects_135_electricity": (
        "Công trình điện CT 135",
        "Program 135 electricity works",
        HB,
        "count",
        "Số công trình điện sinh hoạt thuộc Chương trình 135.",
        "Electricity works of Program 135.",
    ),
    "projects_135_education": (
        "Công trình giáo dục CT 135",
        "Program 135 education works",
        HB,
        "count",
        "Số công trình giáo dục thuộc Chương trình 135.",
        "Education works of Program 135.",
    ),
    "projects_135_wells": (
        "Giếng nước tập trung CT 135",
        "Program 135 wells",
        HB,
        "count",
        "Số công trình giếng nước tập trung thuộc Chương trình 135.",
        "Communal wells of Program 135.",
    ),
    "projects_135_water": (
        "Công trình cấp nước CT 135",
        "Program 135 water-supply works",
        HB,
        "count",
        "Số công trình cấp nước sinh hoạt thuộc Chương trình 135.",
        "Water-supply works of Program 135.",
    ),
    "projects_135_irrigation": (
        "Công trình thủy lợi CT 135",
        "Program 135 irrigation works",
        HB,
        "count",
        "Số công trình thủy lợi thuộc Chương trình 135.",
        "Irrigation works of Program 135.",
    ),
    "projects_135_culture": (
        "Công trình văn hóa CT 135",
        "Program 135 culture works",
        HB,
        "count",
        "Số công trình văn hóa thuộc Chương trình 135.",
        "Culture works of Program 135.",
    ),
}
BUDGETS = {
    "budget_ntp": ("Vốn các CTMTQG", "National target programmes, all capital"),
    "budget_ntp_central": ("Vốn CTMTQG – ngân sách Trung ương", "National target programmes, central budget"),
    "budget_ntp_local": ("Vốn CTMTQG – ngân sách địa phương", "National target programmes, local budgets"),
    "budget_ntp_mobilised": ("Vốn CTMTQG huy động", "National target programmes, mobilised funds"),
    "budget_ntp_disbursed": ("Vốn CTMTQG đã giải ngân", "National target programmes, disbursed"),
    "budget_ntm_central": ("Vốn NTM – ngân sách Trung ương", "New-rural programme, central budget"),
    "budget_ntm_local": ("Vốn NTM – ngân sách địa phương", "New-rural programme, local budgets"),
    "budget_ntm_disbursed": ("Vốn NTM đã giải ngân", "New-rural programme, disbursed"),
    "budget_poverty_central": ("Vốn giảm nghèo – ngân sách Trung ương", "Poverty programme, central budget"),
    "budget_poverty_local": ("Vốn giảm nghèo – ngân sách địa phương", "Poverty programme, local budgets"),
    "budget_poverty_disbursed": ("Vốn giảm nghèo đã giải ngân", "Poverty programme, disbursed"),
    "budget_poverty_invest_tmr_kp": (
        "Vốn đầu tư giảm nghèo Tu Mơ Rông và Kon Plông",
        "Poverty investment, Tu Mơ Rông and Kon Plông",
    ),
    "budget_30a_infrastructure": ("Vốn CT 30a – hạ tầng huyện nghèo", "Program 30a, infrastructure of poor districts"),
    "budget_30a_production": ("Vốn CT 30a – phát triển sản xuất", "Program 30a, production support"),
    "budget_30a_labour_export": ("Vốn CT 30a – xuất khẩu lao động", "Program 30a, labour export"),
    "budget_135_infrastructure": ("Vốn CT 135 – hạ tầng", "Program 135, infrastructure"),
    "budget_135_production": ("Vốn CT 135 – phát triển sản xuất", "Program 135, production support"),
    "budget_135_capacity": ("Vốn CT 135 – nâng cao năng lực", "Program 135, capacity building"),
    "budget_135_irish_aid": ("Viện trợ Ai Len cho CT 135", "Irish aid for Program 135"),
    "budget_project3": ("Vốn Dự án 3 – mô hình giảm nghèo", "Project 3, livelihoods and poverty models"),
    "budget_project4": ("Vốn Dự án 4 – truyền thông", "Project 4, communication"),
    "budget_project5": ("Vốn Dự án 5 – năng lực, giám sát", "Project 5, capacity and monitoring"),
    "budget_poverty_scheme_2016_2020": (
        "Kinh phí Đề án giảm nghèo 2016-2020",
        "Poverty-reduction scheme 2016-2020, total",
    ),
    "budget_poverty_ntp_2016_2020": ("Vốn CTMTQG giảm nghèo 2016-2020", "Poverty programme 2016-2020"),
    "budget_poverty_ntp_central_2016_2020": (
        "Vốn giảm nghèo Trung ương 2016-2020",
        "Poverty programme 2016-2020, central budget",
    ),
    "budget_poverty_ntp_central_invest_2016_2020": (
        "Vốn đầu tư giảm nghèo Trung ương 2016-2020",
        "Poverty programme 2016-2020, central investment",
    ),
    "budget_poverty_ntp_central_recurrent_2016_2020": (
        "Vốn sự nghiệp giảm nghèo Trung ương 2016-2020",
        "Poverty programme 2016-2020, central recurrent",
    ),
    "budget_poverty_ntp_local_2016_2020": (
        "Vốn giảm nghèo địa phương 2016-2020",
        "Poverty programme 2016-2020, local budget",
    ),
    "budget_poverty_ntp_socialised_2016_2020": (
        "Vốn giảm nghèo xã hội hóa 2016-2020",
        "Poverty programme 2016-2020, mobilised",
    ),
    "budget_poverty_policies_2016_2020": (
        "Chính sách hỗ trợ giảm nghèo 2016-2020",
        "Poverty-support policies 2016-2020",
    ),
    "budget_poverty_collaborators_2016_2020": (
        "Kinh phí cộng tác viên giảm nghèo 2017-2020",
        "Poverty collaborators 2017-2020",
    ),
    "budget_poverty_mobilised_2016_2020": (
        "Nguồn lực huy động cho giảm nghèo 2016-2020",
        "Funds mobilised for poverty reduction 2016-2020",
    ),
    "budget_rural_electrification_2014_2020": (
        "Dự án cấp điện nông thôn 2014-2020",
        "Rural electrification project 2014-2020",
    ),
    "budget_rural_roads_2011_2015": ("Vốn giao thông nông thôn 2011-2015", "Rural roads 2011-2015"),
}
for k, (vi, en) in BUDGETS.items():
    CAT[k] = (
        vi,
        en,
        NE,
        "amount",
        f"{vi} (triệu đồng); thời kỳ ghi ở cột period.",
        f"{en} (million VND); period as given.",
    )
DEP_VI = {
    "health_access": "tiếp cận dịch vụ y tế",
    "health_insurance": "bảo hiểm y tế",
    "adult_education": "trình độ giáo dục người lớn",
    "child_school": "tình trạng đi học của trẻ em",
    "housing_quality": "chất lượng nhà ở",
    "housing_area": "diện tích nhà ở",
    "water": "nguồn nước sinh hoạt",
    "sanitation": "hố xí/nhà tiêu hợp vệ sinh",
    "telecom": "sử dụng dịch vụ viễn thông",
    "info_assets": "tài sản tiếp cận thông tin",
}
DEP_EN = {
    "health_access": "access to health services",
    "health_insurance": "health insurance",
    "adult_education": "adult education",
    "child_school": "school attendance of children",
    "housing_quality": "housing quality",
    "housing_area": "housing area",
    "water": "drinking water",
    "sanitation": "hygienic latrine",
    "telecom": "telecommunications",
    "info_assets": "assets for information",
}
for k in DEP_VI:
    CAT[f"dep_{k}_households"] = (
        f"Hộ nghèo thiếu hụt {DEP_VI[k]}",
        f"Poor households deprived: {DEP_EN[k]}",
        HW,
        "count",
        f"Số hộ nghèo thiếu hụt chỉ số {DEP_VI[k]} (chuẩn nghèo đa chiều 2016-2020).",
        f"Poor households deprived in {DEP_EN[k]} (2016-2020 multidimensional standard).",
    )
    CAT[f"dep_{k}_pct"] = (
        f"Tỷ lệ thiếu hụt {DEP_VI[k]}",
        f"Deprivation: {DEP_EN[k]}",
        HW,
        "rate",
        f"Tỷ lệ hộ nghèo thiếu hụt chỉ số {DEP_VI[k]} trên tổng số hộ nghèo (%).",
        f"% of poor households deprived in {DEP_EN[k]}.",
    )
CAT_ONLY_UNITS = {"population_density_2019": "persons/km²"}

# How each indicator carries from the 2020 communes to districts and 2025 communes
# (catalogue column ``carry``, geo/indicators/carry.py, data/README.md).
CARRY_RATES = {
    "poor_rate": "rate:poor_households/households",
    "near_poor_rate": "rate:near_poor_households/households",
    "em_poor_rate": "rate:em_poor_households/em_households",
    "em_near_poor_rate": "rate:em_near_poor_households/em_households",
}
CARRY_FLAGS = {
    "p135_2016": "any",
    "p135_2017_2020": "any",
    "wb_poverty_project": "any",
    "ntm_standard_2020": "all",
    "ntm_advanced": "all",
}


def carry_rule(k: str, unit: str, kind: str) -> str:
    """Counts and additive amounts sum; household rates are re-weighted; flags by a stated rule;
    the rest (scores, shares without a catalogued denominator, averages per person) do not carry."""
    if k in CARRY_RATES:
        return CARRY_RATES[k]
    if k in CARRY_FLAGS:
        return CARRY_FLAGS[k]
    if kind == "count" or (kind == "amount" and unit in ("million VND", "km", "ha", "km²")):
        return "sum"
    return "none"


def write() -> None:
    ob = pd.DataFrame(OBS)
    ob["value"] = ob["value"].map(lambda v: f"{float(v):.10g}")
    missing = sorted(set(ob.indicator) - set(CAT))
    if missing:
        sys.exit(f"not catalogued: {missing}")
    rows = []
    for k, (vi, en, pol, kind, dvi, den) in CAT.items():
        sub = ob[ob.indicator == k]
        units = sorted(set(sub.unit))
        if len(units) > 1:
            sys.exit(f"{k}: several units {units}")
        stds = sorted(set(sub.standard) - {""})
        std = stds[0] if len(stds) == 1 else ("per observation: " + "; ".join(stds) if stds else "")
        if k in ("poor_rate", "near_poor_rate", "poor_households", "near_poor_households") and not std.startswith(
            "per"
        ):
            std = "per observation: " + "; ".join(sorted({S11, S16, S22}))
        unit = units[0] if units else CAT_ONLY_UNITS.get(k, {"rate": "%", "count": "households"}.get(kind, ""))
        rows.append(
            {
                "id": k,
                "name_vi": vi,
                "name_en": en,
                "unit": unit,
                "polarity": pol,
                "kind": kind,
                "standard": std,
                "description_vi": dvi,
                "description_en": den,
                "carry": carry_rule(k, unit, kind),
            }
        )
    cat = pd.DataFrame(rows).sort_values("id")
    OUT.mkdir(parents=True, exist_ok=True)
    ob.to_csv(OUT / "observations.csv", index=False, quoting=csv.QUOTE_MINIMAL)
    cat.to_csv(OUT / "catalogue.csv", index=False)
    pd.DataFrame(WORKS).to_csv(OUT / "works.csv", index=False)
    print(len(ob), "observations,", len(cat), "indicators,", len(WORKS), "works")


if __name__ == "__main__":
    write()
