"""The real figures in data/indicators: catalogued, coded, complete and as printed."""

import pandas as pd
import pytest

from geo.indicators import catalogue
from geo.units import boundaries as units

S16 = "2016-2020 multidimensional (QĐ 59/2015/QĐ-TTg)"
SYNTHETIC_IDS = {
    "poor_rate",
    "near_poor_rate",
    "households",
    "poor_households",
    "near_poor_households",
    "road_commune_hardened_pct",
    "road_village_hardened_pct",
    "population_2019",
    "population_density_2019",
}


@pytest.fixture(scope="module")
def obs():
    return catalogue.load_observations()


@pytest.fixture(scope="module")
def prim(obs):
    return catalogue.primary(obs)


@pytest.fixture(scope="module")
def cat():
    return catalogue.load_catalogue()


@pytest.fixture(scope="module")
def works():
    return catalogue.load_works()


def pick(frame, indicator, level=None, code=None, year=None):
    m = frame["indicator"] == indicator
    if level:
        m &= frame["unit_level"] == level
    if code:
        m &= frame["gso_code"] == code
    if year is not None:
        m &= frame["year"] == year
    return frame[m]


def test_columns(obs, cat, works):
    assert list(obs.columns) == [
        "unit_level",
        "gso_code",
        "unit_name",
        "indicator",
        "year",
        "period",
        "qualifier",
        "value",
        "unit",
        "standard",
        "status",
        "source",
        "note",
    ]
    assert list(cat.reset_index().columns) == [
        "id",
        "name_vi",
        "name_en",
        "unit",
        "polarity",
        "kind",
        "standard",
        "description_vi",
        "description_en",
        "carry",
    ]
    assert {
        "work_id",
        "kind",
        "gso_code",
        "district_code",
        "village",
        "lon",
        "lat",
        "location_precision",
        "year",
        "date",
        "households",
        "line_mv_km",
        "line_lv_km",
        "transformers",
        "budget_million_vnd",
        "description_vi",
        "status",
        "source",
    } <= set(works.columns)


def test_validate_catalogue_is_clean(obs, cat):
    assert catalogue.validate_catalogue(obs, cat) == []


def test_validate_catalogue_finds_problems(obs, cat):
    bad = obs.head(3).copy()
    bad.loc[bad.index[0], "indicator"] = "no_such_indicator"
    bad.loc[bad.index[1], "status"] = "guessed"
    bad = pd.concat([bad, bad.iloc[[2]]])  # duplicated non-alternative key
    problems = catalogue.validate_catalogue(bad, cat)
    assert len(problems) == 3, problems


def test_every_indicator_catalogued(obs, cat):
    assert set(obs["indicator"]) <= set(cat.index)
    assert SYNTHETIC_IDS <= set(cat.index)
    assert cat.index.is_unique


def test_catalogue_values(cat):
    assert set(cat["polarity"]) <= {"higher_worse", "higher_better", "neutral"}
    assert set(cat["kind"]) <= {"rate", "count", "amount", "flag", "score"}
    for col in ("name_vi", "name_en", "unit", "description_vi", "description_en"):
        assert (cat[col].str.strip() != "").all(), col
    assert cat.loc["poor_rate", "polarity"] == "higher_worse"
    assert cat.loc["ntm_recognised", "polarity"] == "higher_better"


def test_codes_exist_at_their_level(obs):
    known = {
        "province": {"62"},
        "district": set(units.load_districts()["gso_code"]),
        "commune": set(units.load_communes()["gso_code"]),
    }
    assert set(obs["unit_level"]) <= set(known)
    for level, codes in known.items():
        used = set(obs.loc[obs["unit_level"] == level, "gso_code"])
        assert used <= codes, (level, sorted(used - codes))


def test_unit_names_match_codes(obs):
    names = dict(zip(units.load_communes()["gso_code"], units.load_communes()["name"]))
    com = obs[obs["unit_level"] == "commune"]
    assert (com["unit_name"] == com["gso_code"].map(names)).all()


def test_statuses_qualifiers_sources(obs, works):
    assert set(obs["status"]) <= {"official", "reported", "derived"}
    assert set(obs["qualifier"]) <= {"=", ">", "<", "~"}
    assert (obs["source"].str.strip() != "").all()
    assert set(works["status"]) <= {"official", "reported"}
    assert (works["source"].str.strip() != "").all()


def test_derived_rows_say_how(obs):
    derived = obs[obs["status"] == "derived"]
    assert derived["note"].str.contains("derived:").all()


def test_one_primary_row_per_key(obs):
    prim = catalogue.primary(obs).astype({"year": "string"}).fillna({"year": ""})
    assert not prim.duplicated(catalogue.KEY).any()


@pytest.mark.parametrize(
    "indicator, expected",
    [
        ("poor_rate", [26.11, 23.03, 21.37, 17.29, 13.62, 10.29]),
        ("near_poor_rate", [6.64, 6.62, 6.60, 6.58, 6.36, 5.90]),
    ],
)
def test_province_series_2015_2020_complete(prim, indicator, expected):
    s = pick(prim, indicator, "province", "62")
    s = s[(s["standard"] == S16) & s["year"].between(2015, 2020)]
    s = s.sort_values("year")
    assert s["year"].tolist() == list(range(2015, 2021))
    assert (s["qualifier"] == "=").all()
    assert s["value"].tolist() == pytest.approx(expected, abs=1e-9)
    assert s.loc[s["year"].isin([2016, 2017]), "status"].eq("derived").all()


def test_province_figures_as_printed(prim):
    def one(ind, year):
        r = pick(prim, ind, "province", "62", year)
        assert len(r) == 1, (ind, year, r)
        return float(r["value"].iloc[0])

    assert one("poor_households", 2020) == 14601
    assert one("near_poor_households", 2020) == 8372
    assert one("em_poor_rate", 2015) == 46.57
    assert one("em_poor_rate", 2020) == 18.75
    assert one("poverty_exits_cum", 2020) == 26394
    assert one("elec_built_mv_km", 2020) == 53.023
    assert one("elec_built_lv_km", 2020) == 30.465
    assert one("elec_built_transformers", 2020) == 22
    assert one("elec_built_meters", 2020) == 1666
    assert one("elec_villages_connected", 2020) == 20
    assert one("budget_poverty_scheme_2016_2020", 2020) == 8629620
    parts = [
        "budget_poverty_ntp_2016_2020",
        "budget_poverty_policies_2016_2020",
        "budget_poverty_collaborators_2016_2020",
    ]
    assert sum(one(p, 2020) for p in parts) == 8629620


def test_road_rates_primary_and_alternative(obs, prim):
    for ind, final, interim in (("road_commune_hardened_pct", 100, 98), ("road_village_hardened_pct", 65, 62)):
        rows = pick(obs, ind, "province", "62", 2020)
        assert sorted(rows["value"]) == sorted([final, interim])
        assert pick(prim, ind, "province", "62", 2020)["value"].tolist() == [final]


def test_deprivation_indicators(prim):
    deps = [
        "health_access",
        "health_insurance",
        "adult_education",
        "child_school",
        "housing_quality",
        "housing_area",
        "water",
        "sanitation",
        "telecom",
        "info_assets",
    ]
    for d in deps:
        for kind in ("households", "pct"):
            s = pick(prim, f"dep_{d}_{kind}", "province", "62")
            assert sorted(s["year"].tolist()) == [2015, 2020], (d, kind)
    # shares are of poor households: 2020 counts / 14,601 reproduce the printed shares
    for d in deps:
        h = pick(prim, f"dep_{d}_households", year=2020)["value"].item()
        p = pick(prim, f"dep_{d}_pct", year=2020)["value"].item()
        assert h / 14601 * 100 == pytest.approx(p, abs=0.02), d


def test_census_population(prim):
    pop = pick(prim, "population_2019", "commune")
    assert len(pop) == 102 and pop["gso_code"].is_unique
    assert pop["value"].sum() == 540438
    urban = pick(prim, "population_2019_urban", "commune").set_index("gso_code")["value"]
    rural = pick(prim, "population_2019_rural", "commune").set_index("gso_code")["value"]
    assert (urban + rural).sort_index().tolist() == pop.set_index("gso_code")["value"].sort_index().tolist()
    assert pick(prim, "population_2019", "province", "62")["value"].item() == 540438


def test_2021_review_households_and_derived_poor(prim):
    hh = pick(prim, "households", "district", year=2021)
    assert len(hh) == 10 and hh["value"].sum() == 143561
    assert pick(prim, "households", "province", "62", 2021)["value"].item() == 143561
    poor = pick(prim, "poor_households", "district", year=2021)
    assert len(poor) == 10 and (poor["status"] == "derived").all()
    assert abs(poor["value"].sum() - 21989) <= 2
    assert pick(prim, "poor_households", "province", "62", 2021)["value"].item() == 21989


def test_28_new_rural_communes(prim, communes):
    rows = pick(prim, "ntm_standard_2020", "commune", year=2020)
    assert len(rows) == 28 and rows["gso_code"].nunique() == 28
    by_district = rows["gso_code"].map(communes.set_index("gso_code")["district_code"]).value_counts().to_dict()
    assert by_district == {"608": 6, "615": 4, "612": 3, "616": 3, "611": 5, "614": 3, "610": 2, "613": 2}
    # every one of the 28 is also a recognised new-rural commune
    assert set(rows["gso_code"]) <= set(pick(prim, "ntm_recognised", "commune")["gso_code"])
    assert pick(prim, "ntm_communes_recognised", "province", "62", 2020)["value"].item() == 28


def test_p135_lists(obs):
    p16 = pick(obs, "p135_2016", "commune")
    p17 = pick(obs, "p135_2017_2020", "commune")
    assert len(p16) == 60 and p16["gso_code"].is_unique
    assert len(p17) == 39 and p17["gso_code"].is_unique
    assert p17["note"].str.contains("partial list: 39 of 54 names visible").all()
    # Kon Plông's 'Đăk Long' of 2016 is today's Thị trấn Măng Đen (created from the whole commune, 1/9/2019)
    assert "Măng Đen" in p16.loc[p16["gso_code"] == "23473", "note"].item()


def test_poverty_model_projects(works, prim):
    models = works[works["kind"] == "poverty_model"]
    assert len(models) == 12 and models["work_id"].is_unique
    named = models.dropna(subset=["budget_million_vnd"])
    printed = {  # footnote 26: (commune, households, budget million VND)
        1: ("23506", 25, 250),
        2: ("23386", 30, 250),
        3: ("23538", 25, 250),
        4: ("23479", 25, 250),
        5: ("23434", 22, 340),
        6: ("23314", 15, 306),
        7: ("23538", 25, 356),
        8: ("23537", 25, 356),
    }
    got = {int(w.work_id[6:8]): (w.gso_code, w.households, w.budget_million_vnd) for w in named.itertuples()}
    assert got == printed
    rest = models[models["budget_million_vnd"].isna()]
    assert len(rest) == 4 and rest["description_vi"].str.contains("740 triệu").all()
    total = pick(prim, "poverty_model_budget", "province", "62")["value"].item()
    assert total == named["budget_million_vnd"].sum() + 740
    per_commune = pick(prim, "poverty_model_budget", "commune")
    assert per_commune["value"].sum() == named["budget_million_vnd"].sum()
    assert pick(prim, "poverty_model_projects", "commune")["value"].sum() == 8


def test_works_ids_and_locations(works, communes, districts):
    assert works["work_id"].is_unique
    assert set(works["kind"]) <= {"electrification", "poverty_model", "road", "other"}
    has_commune = works["gso_code"] != ""
    assert (works.loc[has_commune, "location_precision"] == "commune").all()
    assert set(works.loc[has_commune, "gso_code"]) <= set(communes["gso_code"])
    codes = communes.set_index("gso_code")["district_code"]
    assert (works.loc[has_commune, "district_code"] == works.loc[has_commune, "gso_code"].map(codes)).all()
    no_commune = works[~has_commune]
    assert (
        no_commune["location_precision"] == no_commune["district_code"].map(lambda d: "district" if d else "province")
    ).all()
    assert len(works[works["work_id"].str.startswith("elec-2019-")]) == 27


def test_works_points_inside_kon_tum(works, communes):
    province = communes.geometry.union_all().buffer(1e-9)
    assert works.geometry.notna().all()
    assert works.geometry.within(province).all()
    shapes = communes.set_index("gso_code").geometry
    for w in works[works["gso_code"] != ""].itertuples():
        assert w.geometry.within(shapes[w.gso_code]), w.work_id
