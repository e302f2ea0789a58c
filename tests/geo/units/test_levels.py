"""The unit levels (geo.units.levels) and the 40 communes of 1 July 2025 on the real data."""

from __future__ import annotations

import re

import pytest

from geo.units import boundaries, levels


def test_registry():
    assert levels.NAMES == ("commune", "district", "commune_2025", "province")
    assert boundaries.LEVELS == ("commune", "district", "commune_2025")
    lv = levels.get("commune_2025")
    assert (lv.layer, lv.code_width, lv.count, lv.vintage) == ("communes_2025", 5, 40, "2025-07-01")
    assert levels.get("commune").parents == ("district", "commune_2025")
    assert levels.by_layer("districts").name == "district" and levels.by_layer("works") is None
    with pytest.raises(ValueError, match="unknown level 'ward'; expected one of commune, district"):
        levels.get("ward")
    with pytest.raises(ValueError, match="unknown level 'province'"):
        boundaries.load_units("province")  # no polygons of its own


@pytest.mark.parametrize("name", ["commune", "district", "commune_2025"])
def test_every_polygon_level_loads_with_its_code_width(name):
    lv = levels.get(name)
    units = boundaries.load_units(name)
    assert len(units) == lv.count and units["gso_code"].is_unique
    assert units["gso_code"].str.fullmatch(rf"\d{{{lv.code_width}}}").all()


def test_real_gso_codes_of_the_2025_communes():
    c = boundaries.load_communes_2025().set_index("gso_code")
    assert c.loc["23293", "name"] == "Phường Kon Tum"
    assert c.loc["23344", "name"] == "Xã Đăk Plô"
    assert c.loc["23473", "name"] == "Xã Măng Đen"
    assert c["n_members"].sum() == 102
    assert not any(re.fullmatch(r"\d+\.\d+", code) for code in c.index)  # no source id like 22.453


def test_every_2020_commune_is_in_exactly_one_2025_commune():
    communes = boundaries.load_communes()
    new = boundaries.load_communes_2025()
    cw = levels.crosswalk()
    assert len(cw) == 102 and cw.index.is_unique and set(cw.index) == set(communes["gso_code"])
    assert set(cw) == set(new["gso_code"])
    # the polygons' member lists say the same as the crosswalk
    members = {code: set(m.split(",")) for code, m in zip(new["gso_code"], new["member_gso_codes_2020"])}
    by_cw = cw.groupby(cw).groups
    assert {k: set(v) for k, v in by_cw.items()} == members
    # and the 2020 layer's code_2025 / name_2025 are the real ones
    assert communes.set_index("gso_code")["code_2025"].to_dict() == cw.to_dict()
    names = new.set_index("gso_code")["name"]
    assert (communes["name_2025"] == communes["code_2025"].map(names)).all()
    dak_bla = communes.set_index("gso_code").loc["23323"]  # Xã Đắk Blà → Xã Đăk Rơ Wa (23332)
    assert (dak_bla["code_2025"], dak_bla["name_2025"]) == ("23332", "Xã Đăk Rơ Wa")


def test_border_communes_of_2025_are_the_successors_of_the_13(gpkg):
    from geo.io import storage

    old = storage.read_layer("communes", gpkg)
    new = storage.read_layer("communes_2025", gpkg)
    assert int(old["on_border"].sum()) == 13
    successors = set(old.loc[old["on_border"], "code_2025"])
    flagged = set(new.loc[new["on_border"], "gso_code"])
    assert flagged == successors and len(flagged) == 9
    assert new.set_index("gso_code").loc["23377", "border_countries"] == "KHM;LAO"  # Xã Bờ Y, the tri-border
    assert new.loc[new["on_border"], "border_km"].sum() == pytest.approx(
        old.loc[old["on_border"], "border_km"].sum(), rel=0.01
    )
