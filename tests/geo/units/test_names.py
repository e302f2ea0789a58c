"""Vietnamese name matching against the real Kon Tum units and sources."""

import doctest
import unicodedata

import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

import geo.units.names
from geo import paths
from geo.units.names import NameIndex, fold, normalize, split_prefix


@pytest.fixture(scope="module")
def idx():
    return NameIndex.load("commune")


@pytest.fixture(scope="module")
def didx():
    return NameIndex.load("district")


def test_doctests():
    assert doctest.testmod(geo.units.names).failed == 0


# Spellings seen in data/sources (facts CSVs, seeds reports), with their unit.
REAL_VARIANTS = [
    ("Đăk Kroong", None, "23371"),  # P135, NTM lists
    ("Xã Đắk KRoong", None, "23371"),  # GSO
    ("Ngọk Wang", None, "23515"),
    ("Ngọc Wang", "Huyện Đắk Hà", "23515"),  # NTM list
    ("Ngọc Réo", "Huyện Đắk Hà", "23518"),  # P135
    ("Rờ Kơi", "Huyện Sa Thầy", "23530"),  # P135 (GSO: Rơ Kơi)
    ("TT Plei Kần", None, "23377"),
    ("Thị trấn Plei Cần", "Huyện Ngọc Hồi", "23377"),  # census 2019
    ("Pleikần", None, "23377"),
    ("Ialy", "Huyện Sa Thầy", "23554"),  # P135 2016 (GSO: Ya ly)
    ("Ya Ly", None, "23554"),
    ("Ia Tăng", None, "23551"),
    ("Ia Xiêr", None, "23548"),
    ("Đăk Pét", "Huyện Đắk Glei", "23353"),  # P135, report 000 (GSO: Đắk Pék)
    ("Xã Đăk Pek", None, "23353"),  # report 001
    ("Măng Bút", "Huyện Kon Plông", "23458"),  # (GSO: Măng Buk)
    ("Đăk Pô Ne", "Huyện Kon Rẫy", "23491"),  # P135 2016 (GSO: Đắk Pne)
    ("Xã Đắk Plô", "Huyện Đắk Glei", "23344"),  # census 2019 (GSO: Đắk Blô)
    ("Pờ Y", None, "23395"),  # census, NTM (GSO: Bờ Y)
    ("Sa Long", None, "23398"),  # P135 2016 (GSO: Sa Loong)
    ("Xã La Dal", "Huyện Ia H' Drai", "23535"),  # census ("Ia" misread as "la")
    ("xã Đắk Ngọc", "huyện Đăk Hà", "23510"),  # report 000 (GSO: Đăk Ngọk)
    ("Xã Ngok Yêu", None, "23413"),
    ("Đăk Koi", None, "23482"),
    ("Đăk Tơ Lung", None, "23485"),
    ("Xã Ngọc Bay", "thành phố Kon Tum", "23317"),  # report 000 (GSO: Ngọk Bay)
    ("Ia H' Drai", None, None),  # a district name, not a commune
    ("P. Quang Trung", None, "23281"),
    ("phuong quang trung", "TP Kontum", "23281"),
    ("Xã Đắk Long", "Huyện Kon Plông", "23473"),  # census 2019: former name of TT Măng Đen
]


@pytest.mark.parametrize("name, district, code", REAL_VARIANTS)
def test_real_variants(idx, name, district, code):
    assert idx.match(name, district=district).gso_code == code


@pytest.mark.parametrize(
    "name, code",
    [
        ("TP Kon Tum", "608"),
        ("Kontum", "608"),
        ("Thành phố Kon Tum", "608"),
        ("tp. kon tum", "608"),
        ("Ia H' Drai", "618"),
        ("Huyện Ia H’Drai", "618"),
        ("ia hdrai", "618"),
        ("H. Đăk Glei", "610"),
        ("dak ha", "615"),
        ("Huyện Ngọc Hồi", "611"),
        ("Ngok Hoi", "611"),
        ("Tu Mo Rong", "617"),
        ("Kon Rẫy", "614"),
    ],
)
def test_district_names(didx, idx, name, code):
    assert didx.match(name).gso_code == code
    assert idx.resolve_district(name) == code


def test_p135_names_resolve_to_their_codes(idx):
    p135 = pd.read_csv(paths.facts_dir() / "p135_difficult_communes_2016_2020.csv", dtype=str)
    assert len(p135) == 99 and p135["commune_code_gso2020"].notna().sum() == 98
    for row in p135.itertuples():
        for district in (row.district_name, row.district_code):
            m = idx.match(row.commune_name_as_in_source, district=district)
            if pd.isna(row.commune_code_gso2020):
                # Kon Plông's "Đăk Long" (2016) is absent from the 2020 list;
                # only the former-name table links it to TT Măng Đen.
                assert (m.gso_code, m.method) == ("23473", "former")
            else:
                assert m.gso_code == row.commune_code_gso2020, (row.commune_name_as_in_source, m)


def test_census_names_resolve_to_their_codes(idx):
    census = pd.read_csv(paths.facts_dir() / "population_census2019_by_commune.csv", dtype=str)
    assert len(census) == 102
    for row in census.itertuples():
        m = idx.match(row.census_ward, district=row.census_district)
        assert m.gso_code == row.gso_commune_code, (row.census_ward, m)


@pytest.mark.parametrize("table", ["ntm_commune_status", "commune_poverty_observations"])
def test_other_fact_tables_resolve(idx, table):
    df = pd.read_csv(paths.facts_dir() / f"{table}.csv", dtype=str)
    for row in df.itertuples():
        assert idx.match(row.commune_name, district=row.district_name).gso_code == row.commune_code_gso2020


def test_every_official_name_is_exact_with_its_district(idx, communes):
    for row in communes.itertuples():
        m = idx.match(row.name, district=row.district_code)
        assert (m.gso_code, m.method) == (row.gso_code, "exact")


def test_ia_toi(idx):
    m = idx.match("ia toi")
    assert (m.gso_code, m.method, m.name, m.key) == ("23538", "folded", "Xã Ia Tơi", "ia toi")


def test_same_named_units_in_the_data(idx, didx):
    # Đắk Long (Đắk Glei) / Đăk Long (Đắk Hà); Xã Đắk Hà (Tu Mơ Rông) / Thị trấn Đắk Hà.
    assert idx.same_named() == {"daklong": ("23368", "23504"), "dakha": ("23425", "23500")}
    assert didx.same_named() == {}


@pytest.mark.parametrize("name", ["Đăk Long", "Xã Đắk Long", "dak long", "DAK LONG"])
def test_ambiguous_without_district(idx, name):
    m = idx.match(name)
    assert (m.gso_code, m.method, m.candidates) == (None, "ambiguous", ("23368", "23504"))


@pytest.mark.parametrize(
    "district, code",
    [
        ("Huyện Đắk Glei", "23368"),
        ("Đăk Glei", "23368"),
        ("dak glei", "23368"),
        ("H. Đắk Glei", "23368"),
        ("610", "23368"),
        (610, "23368"),
        ("Huyện Đắk Hà", "23504"),
        ("Dak Ha", "23504"),
        ("huyện đăk hà", "23504"),
        (615.0, "23504"),
    ],
)
def test_ambiguous_resolved_by_district_in_any_spelling(idx, district, code):
    assert idx.match("Đăk Long", district=district).gso_code == code


def test_prefix_separates_commune_from_town(idx):
    assert idx.match("Dak Ha").candidates == ("23425", "23500")
    assert idx.match("Xã Đắk Hà").gso_code == "23425"
    assert idx.match("TT Đắk Hà").gso_code == "23500"
    assert idx.match("Thị trấn Đắk Hà").method == "exact"
    assert idx.match("Đắk Hà", district="Tu Mơ Rông").gso_code == "23425"
    assert idx.match("Đắk Hà", district="Huyện Đắk Hà").gso_code == "23500"


def test_former_name_only_when_no_current_name_fits(idx):
    assert idx.match("Đắk Long").candidates == ("23368", "23504")
    m = idx.match("Đắk Long", district="Kon Plông")
    assert (m.gso_code, m.method, m.name) == ("23473", "former", "Thị trấn Măng Đen")


def test_methods(idx):
    assert idx.match("Xã Đắk Blô").method == "exact"
    assert idx.match("xã  đắk blô").method == "normalized"
    assert idx.match("Dak Blo").method == "folded"


def test_code_wins_and_conflicts_are_flagged(idx):
    m = idx.match("Hà Mòn", code="23509")
    assert (m.gso_code, m.method, m.conflict, m.name_match.gso_code) == ("23509", "code", True, "23521")
    assert m.warnings
    ok = idx.match("Đắk Ui", code=23509.0)
    assert (ok.gso_code, ok.conflict, ok.warnings) == ("23509", False, ())
    # an ambiguous name that includes the code is no conflict
    assert not idx.match("Đăk Long", code="23504").conflict
    assert idx.match(None, code="23504").method == "code"


def test_unknown_code_falls_back_on_the_name(idx):
    m = idx.match("Ya Ly", code="99999")
    assert (m.gso_code, m.method, m.conflict) == ("23554", "normalized", True)
    m = idx.match(None, code="99999")
    assert (m.method, m.reason, m.detail) == ("unmatched", "unknown_code", "99999")


def test_unmatched_reasons(idx):
    assert idx.match("Xã Không Tồn Tại").reason == "not_found"
    m = idx.match("Xã Đắk Blô", district="Huyện Đắk Tô")
    assert (m.method, m.reason, m.detail, m.elsewhere) == ("unmatched", "not_in_district", "612", ("23344",))
    m = idx.match("Xã Đắk Blô", district="Huyện Không Có")
    assert (m.reason, m.detail) == ("unknown_district", "Huyện Không Có")
    assert idx.match("", district=None).reason == "empty"
    assert idx.match(float("nan")).reason == "empty"


def test_spelling_variants_keep_units_apart(idx, communes):
    # Folding must not merge different units beyond the two known pairs.
    keys = communes["name"].map(lambda n: fold(n).replace(" ", ""))
    dup = keys[keys.duplicated(keep=False)]
    assert set(dup) == {"daklong", "dakha"}
    # every whole-name variant points at an existing unit
    folded = set(communes["name"].map(fold))
    assert set(geo.units.names._NAME_VARIANTS.values()) <= folded


def test_normalize_examples():
    assert normalize("Ia H' Drai") == normalize("Ia H'Drai") == "ia h'drai"
    assert normalize("TP.Kon Tum") == normalize("Tp Kon Tum") == normalize("Thành phố  Kon Tum") == "kon tum"
    assert normalize("Xã") == "xã"  # a bare prefix is kept
    assert split_prefix("TX. An Khê") == ("Thị xã", "an khê")
    assert fold("Đác Kroong") == fold("Đak KRoong") == fold("Dak Kroong") == "dak krong"


VIETNAMESE = st.text(
    alphabet="aăâbcdđeêghiklmnoôơpqrstuưvxyáàảãạắằẳẵặấầẩẫậéèẻẽẹếềểễệíìỉĩịóòỏõọốồổỗộớờởỡợ"
    "úùủũụứừửữựýỳỷỹỵĐĂÂÊÔƠƯXTHP .'’ʼ`\u0301\u0300\u0303\u0309\u0323\u00a0",
    max_size=30,
)
PREFIXED = st.tuples(st.sampled_from(["", "Xã ", "xa ", "TT. ", "TP.", "Huyện ", "H. ", "Xã Xã "]), VIETNAMESE).map(
    "".join
)


@given(st.one_of(st.text(max_size=30), PREFIXED))
def test_normalize_is_idempotent(text):
    assert normalize(normalize(text)) == normalize(text)


@given(st.one_of(st.text(max_size=30), PREFIXED))
def test_fold_ignores_unicode_composition(text):
    nfd = unicodedata.normalize("NFD", text)
    nfc = unicodedata.normalize("NFC", text)
    assert fold(nfd) == fold(nfc)
