"""One canonical name per unit, as in the GSO lists; every spelling variant stays an alias that matches."""

import unicodedata

import pandas as pd
import pytest

from geo import paths
from geo.io import storage
from geo.units.boundaries import load_communes, load_communes_2025, load_districts
from geo.units.names import NameIndex


@pytest.fixture(scope="module")
def gso():
    return pd.read_csv(paths.facts_dir() / "communes_gso_codes_2020.csv", dtype=str).set_index("commune_code")


@pytest.fixture(scope="module")
def admin():
    return pd.read_csv(paths.facts_dir() / "admin_units_2020.csv", dtype=str).set_index("gso_commune_code")


@pytest.fixture(scope="module")
def crosswalk():
    return pd.read_csv(paths.facts_dir() / "commune_mapping_2025_old_to_new.csv", dtype=str)


def test_communes_and_districts_carry_the_gso_names(gso, admin):
    communes = load_communes().set_index("gso_code")
    assert len(communes) == 102 and set(communes.index) == set(gso.index) == set(admin.index)
    for col, gso_col in (("name", "commune_name"), ("district_name", "district_name")):
        assert (communes[col] == gso.loc[communes.index, gso_col]).all(), col
        assert (communes[col] == admin.loc[communes.index, gso_col]).all(), col
    districts = load_districts().set_index("gso_code")
    names = gso.drop_duplicates("district_code").set_index("district_code")["district_name"]
    assert len(districts) == 10 and (districts["name"] == names[districts.index]).all()
    assert districts.loc["618", "name"] == "Huyện Ia H' Drai"  # the boundary file says "Ia H'Drai"
    assert set(communes.loc[communes["district_code"] == "618", "district_name"]) == {"Huyện Ia H' Drai"}


def test_2025_communes_carry_the_crosswalk_names(crosswalk, admin):
    new = load_communes_2025().set_index("gso_code")
    names = crosswalk.drop_duplicates("new_commune_code").set_index("new_commune_code")["new_commune_name"]
    assert len(new) == 40 and (new["name"] == names[new.index]).all()
    merged = admin.drop_duplicates("merged_2025_gso_code").set_index("merged_2025_gso_code")["merged_2025_name"]
    assert (new["name"] == merged[new.index]).all()
    communes = load_communes()
    assert (communes["name_2025"] == communes["code_2025"].map(new["name"])).all()


def test_the_served_data_show_one_name_per_unit(gpkg, gso):
    """Layers and observations in the built GeoPackage use the canonical names."""
    layers = {name: storage.read_layer(name, gpkg) for name in ("communes", "districts", "communes_2025")}
    canonical = {
        "commune": dict(zip(layers["communes"]["gso_code"], layers["communes"]["name"])),
        "district": dict(zip(layers["districts"]["gso_code"], layers["districts"]["name"])),
        "commune_2025": dict(zip(layers["communes_2025"]["gso_code"], layers["communes_2025"]["name"])),
        "province": {"62": "Tỉnh Kon Tum"},
    }
    assert canonical["commune"] == gso["commune_name"].to_dict()
    assert canonical["district"]["618"] == "Huyện Ia H' Drai"
    obs = storage.read_layer("observations", gpkg)
    pairs = obs[["unit_level", "gso_code", "unit_name"]].drop_duplicates()
    wrong = [r for r in pairs.itertuples() if canonical[r.unit_level].get(r.gso_code) != r.unit_name]
    assert wrong == []


def _plain(text: str) -> str:
    text = unicodedata.normalize("NFD", text.replace("Đ", "D").replace("đ", "d"))
    return "".join(c for c in text if not unicodedata.combining(c))


_PREFIXES = {
    "Xã": ["Xã", "xa", "XÃ", ""],
    "Phường": ["P.", "phuong", "Phường", ""],
    "Thị trấn": ["TT", "TT.", "thi tran", "Thị Trấn", ""],
    "Huyện": ["Huyện", "H.", "huyen", ""],
    "Thành phố": ["TP", "TP.", "Tp", "thanh pho", ""],
}
_SWAPS = [("Đắk", "Đăk"), ("Đăk", "Đắk"), ("Đắk", "Dak"), ("Đăk", "Dak"), ("Ngọc", "Ngọk"), ("Ngọk", "Ngọc"),
          ("Rờ", "Rơ"), ("Rơ", "Rờ"), ("H' Drai", "H'Drai"), ("Ya ly", "Ia Ly"), ("Ya Ly", "Ia Ly")]  # fmt: skip


def variants(name: str) -> set[str]:
    """Spellings of ``name`` seen in the sources: prefixes, Đăk/Đắk/Dak, Ngọc/Ngọk, Rờ/Rơ, no diacritics."""
    prefix = next((p for p in _PREFIXES if name.startswith(p + " ")), None)
    body = name[len(prefix) + 1 :] if prefix else name
    bodies = {body, _plain(body), body.lower()} | {body.replace(a, b) for a, b in _SWAPS if a in body}
    out = set()
    for b in bodies:
        for p in _PREFIXES.get(prefix, [""]):
            out.add(f"{p} {b}".strip() if p and not p.endswith(".") else f"{p}{b}")
    return out


def test_variants_helper():
    assert {"Xã Đăk Long", "xa Dak Long", "Dak Long", "Xã Đắk Long"} <= variants("Xã Đắk Long")
    assert {"H.Ia H'Drai", "Ia H' Drai", "huyen Ia H' Drai"} <= variants("Huyện Ia H' Drai")


def test_every_2020_commune_matches_in_every_spelling():
    idx = NameIndex.load("commune")
    n = 0
    for row in load_communes().itertuples():
        for v in variants(row.name):
            m = idx.match(v, district=row.district_name)
            assert m.gso_code == row.gso_code, (v, row.name, m)
            n += 1
    assert n > 102 * 5


def test_every_district_matches_in_every_spelling():
    idx = NameIndex.load("district")
    for row in load_districts().itertuples():
        for v in variants(row.name):
            assert idx.match(v).gso_code == row.gso_code, (v, row.name)


def test_every_2025_commune_matches_in_every_spelling():
    idx = NameIndex.load("commune_2025")
    for row in load_communes_2025().itertuples():
        for v in variants(row.name):
            m = idx.match(v)
            assert m.gso_code == row.gso_code, (v, row.name, m)
