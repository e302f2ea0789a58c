"""Layer files (layers/*.toml): loading, validation, fail-fast, layer data, display geometry."""

from __future__ import annotations

import shutil
import textwrap

import numpy as np
import pytest
import shapely

from geo import paths
from geo.indicators import values as indicators
from geo.io import storage
from geo.maplayers import layerspec
from geo.maplayers.layerspec import LayerSpecError

GOOD = textwrap.dedent("""\
    id = "{id}"
    title_vi = "Tỷ lệ hộ nghèo"
    title_en = "Poverty rate"
    kind = "choropleth"
    source = "communes"
    indicator = "poor_rate"
    years = [2019, 2020]
    palette = "YlOrRd"

    [classification]
    scheme = "quantiles"
    k = 5
    """)


def write(tmp_path, text: str, name: str = "foo"):
    path = tmp_path / f"{name}.toml"
    path.write_text(text.replace("{id}", name), encoding="utf-8")
    return path


# --------------------------------------------------------------- the real files


def test_real_layer_files_load_and_cover_the_issue():
    specs = layerspec.load_layers()
    ids = [s.id for s in specs]
    assert len(ids) == len(set(ids))
    for needed in (
        "poor_rate",
        "near_poor_rate",
        "district_poor_rate",
        "population_2019",
        "population_density_2019",
        "ntm_criteria_met",
        "road_village_hardened_pct",
        "p135_2016",
        "p135_2017_2020",
        "poor_districts_30a",
        "ntm_recognised",
        "border_communes",
        "works_electrification",
        "works_poverty_model",
        "works_other",
        "border",
        "roads",
    ):
        assert needed in ids
    by = layerspec.by_id(specs)
    assert by["poor_rate"].years == (2015, 2016, 2017, 2018, 2019, 2020)
    assert by["near_poor_rate"].years == (2015, 2016, 2017, 2018, 2019, 2020)
    schemes = {s.classification.scheme for s in specs if s.kind == "choropleth"}
    assert schemes == {"quantiles", "fisher_jenks", "equal_interval", "user_defined"}
    assert [s.order for s in specs] == sorted(s.order for s in specs)
    assert "39/54" not in by["p135_2017_2020"].note_vi and "{n}/54" in by["p135_2017_2020"].note_vi


def test_every_file_name_matches_its_id():
    for path in sorted(paths.layers_dir().glob("*.toml")):
        assert layerspec.load_layer(path).id == path.stem


# ------------------------------------------------------------------ validation


@pytest.mark.parametrize(
    "edit, message",
    [
        (
            lambda t: t.replace('indicator = "poor_rate"', 'indicator = "povrety"'),
            "unknown indicator 'povrety'; known: ",
        ),
        (lambda t: t.replace('kind = "choropleth"', 'kind = "heatmap"'), "unknown kind 'heatmap'"),
        (lambda t: t.replace('source = "communes"', 'source = "villages"'), "unknown source 'villages'"),
        (lambda t: t.replace('palette = "YlOrRd"', 'palette = "Rainbow"'), "unknown palette 'Rainbow'"),
        (lambda t: t.replace('scheme = "quantiles"', 'scheme = "jenks"'), "unknown classification scheme 'jenks'"),
        (lambda t: t.replace('scheme = "quantiles"', 'scheme = "user_defined"'), "needs 'breaks'"),
        (lambda t: t.replace("k = 5", "k = 15"), "k must be an integer 2–9"),
        (lambda t: t.replace('title_en = "Poverty rate"\n', ""), "missing required key 'title_en'"),
        (lambda t: 'colour = "#ffffff"\n' + t, "unknown key 'colour'"),
        (lambda t: t + 'colour = "#ffffff"\n', "unknown classification key(s) 'colour'"),
        (lambda t: t.replace("years = [2019, 2020]", "years = [2020, 2019]"), "ascending"),
        (
            lambda t: t.replace("years = [2019, 2020]", "years = [2019, 2020]\nyear = 2015"),
            "'year' 2015 must be one of",
        ),
        (lambda t: t.replace('indicator = "poor_rate"', 'field = "colour"'), "unknown field 'colour' of communes"),
        (
            lambda t: t.replace("[classification]", 'popup_fields = ["nope"]\n[classification]'),
            "unknown popup field 'nope'",
        ),
        (
            lambda t: t.replace('source = "communes"', 'source = "districts"\nlevel = "commune"'),
            "level 'commune' does not match source 'districts'",
        ),
        (lambda t: t.replace('[classification]\nscheme = "quantiles"\nk = 5\n', ""), "needs a [classification] table"),
        (lambda t: t.replace('kind = "choropleth"', 'kind = "categorical"'), "'classification' applies to choropleth"),
        (lambda t: t.replace('= "poor_rate"', '= "poor_rate'), "not valid TOML"),
    ],
)
def test_bad_layer_files_are_refused_with_a_clear_message(tmp_path, edit, message):
    path = write(tmp_path, edit(GOOD))
    with pytest.raises(LayerSpecError) as exc:
        layerspec.load_layer(path)
    assert str(exc.value).startswith(str(path)) or str(exc.value).startswith("layers/")
    assert "foo.toml: " in str(exc.value)
    assert message in str(exc.value)


def test_unknown_indicator_lists_the_known_ones(tmp_path):
    path = write(tmp_path, GOOD.replace('"poor_rate"', '"x"'))
    with pytest.raises(LayerSpecError, match=r"foo\.toml: unknown indicator 'x'; known: .*near_poor_rate.*poor_rate"):
        layerspec.load_layer(path)


def test_id_must_match_the_file_name(tmp_path):
    path = tmp_path / "bar.toml"
    path.write_text(GOOD.replace("{id}", "foo"), encoding="utf-8")
    with pytest.raises(LayerSpecError, match=r"bar\.toml: id 'foo' must match the file name \('bar'\)"):
        layerspec.load_layer(path)


def test_categorical_checks(tmp_path):
    base = textwrap.dedent("""\
        id = "{id}"
        title_vi = "CT 135"
        title_en = "P135"
        kind = "categorical"
        source = "communes"
        indicator = "p135_2016"
        missing = "0"

        [[categories]]
        value = "1"
        color = "#c2185b"
        label_vi = "Có"
        label_en = "Yes"

        [[categories]]
        value = 0
        color = "#eeeeee"
        label_vi = "Không"
        label_en = "No"
        """)
    spec = layerspec.load_layer(write(tmp_path, base))
    assert spec.missing == "0" and [c.value for c in spec.categories] == ["1", "0"]
    with pytest.raises(LayerSpecError, match=r"'missing' '2' is not one of the category values \['1', '0'\]"):
        layerspec.load_layer(write(tmp_path, base.replace('missing = "0"', 'missing = "2"')))
    with pytest.raises(LayerSpecError, match="category 2: value '1' repeated"):
        layerspec.load_layer(write(tmp_path, base.replace("value = 0", 'value = "1"')))
    with pytest.raises(LayerSpecError, match="color 'red' must be #rrggbb"):
        layerspec.load_layer(write(tmp_path, base.replace('"#c2185b"', '"red"')))
    no_cats = base[: base.index("[[categories]]")].replace('missing = "0"\n', "")
    with pytest.raises(LayerSpecError, match="needs \\[\\[categories\\]\\]"):
        layerspec.load_layer(write(tmp_path, no_cats))


def test_empty_or_missing_folder(tmp_path):
    with pytest.raises(LayerSpecError, match="no layer files"):
        layerspec.load_layers(tmp_path)
    with pytest.raises(LayerSpecError, match="layers folder not found"):
        layerspec.load_layers(tmp_path / "nope")


def test_app_fails_fast_on_a_bad_layer_file(tmp_path, monkeypatch):
    from app import create_app

    for f in paths.layers_dir().glob("*.toml"):
        shutil.copy(f, tmp_path / f.name)
    write(tmp_path, GOOD.replace('"poor_rate"', '"not_an_indicator"'), name="zz_bad")
    with pytest.raises(LayerSpecError, match=r"zz_bad\.toml: unknown indicator 'not_an_indicator'; known: "):
        create_app({"TESTING": True, "GEO_LAYERS_DIR": tmp_path})


def test_adding_a_layer_is_adding_a_file(tmp_path, monkeypatch):
    from app import create_app

    for f in paths.layers_dir().glob("*.toml"):
        shutil.copy(f, tmp_path / f.name)
    write(tmp_path, GOOD, name="extra_poverty")
    app = create_app({"TESTING": True, "GEO_LAYERS_DIR": tmp_path})
    ids = [layer["id"] for layer in app.test_client().get("/layers").get_json()["layers"]]
    assert "extra_poverty" in ids and "poor_rate" in ids


# ----------------------------------------------------------------- layer data


def test_every_layer_year_has_data(gpkg):
    for spec in layerspec.load_layers():
        for year in spec.years or (None,):
            frame = layerspec.layer_frame(spec, year)
            if spec.source == "communes":
                assert len(frame) == 102
            if spec.indicator:
                assert frame["value"].notna().sum() > 0, (spec.id, year)


def test_layer_values_are_the_picked_observations(gpkg):
    spec = layerspec.by_id(layerspec.load_layers())["poor_rate"]
    obs = storage.read_layer("observations")
    for year in (2015, 2020):
        frame = layerspec.layer_frame(spec, year).set_index("gso_code")
        expected = indicators.values(obs, "poor_rate", "commune", year).set_index("gso_code")["value"]
        assert len(expected) == 102
        assert np.allclose(frame.loc[expected.index, "value"], expected)
        assert set(frame["status"]) == {"synthetic"}
    with pytest.raises(layerspec.LayerDataError, match="has no year 2013; years: 2015, 2016"):
        layerspec.layer_frame(spec, 2013)


def test_categorical_layers_keep_unknown_apart_from_no(gpkg):
    by = layerspec.by_id(layerspec.load_layers())
    border = layerspec.layer_frame(by["border_communes"])
    assert int((border["category"] == "true").sum()) == 13  # computed from geometry
    p135 = layerspec.layer_frame(by["p135_2017_2020"])
    assert int((p135["category"] == "1").sum()) == 39
    assert int((p135["category"] == "unknown").sum()) == 63  # partial list: never "not on the list"
    ntm = layerspec.layer_frame(by["ntm_recognised"])
    assert ntm["category"].isna().sum() > 0  # no source → no data, not "no"


def test_points_keep_their_location_precision(gpkg):
    by = layerspec.by_id(layerspec.load_layers())
    works = storage.read_layer("works")
    total = 0
    for lid in ("works_electrification", "works_poverty_model", "works_other"):
        frame = layerspec.layer_frame(by[lid])
        assert frame["location_precision"].notna().all()
        total += len(frame)
    assert total == len(works)  # every work is on one of the three layers


# ------------------------------------------------------------ display geometry


def test_communes_are_simplified_as_a_coverage(gpkg):
    raw = storage.read_layer("communes")
    disp = layerspec.display_geometry("communes")
    assert len(disp) == 102 and list(disp["gso_code"]) == list(raw["gso_code"])
    n_raw = shapely.get_num_coordinates(raw.geometry.values).sum()
    n_disp = shapely.get_num_coordinates(disp.geometry.values).sum()
    assert n_disp < n_raw / 5
    coords = shapely.get_coordinates(disp.geometry.values)
    assert np.allclose(coords, np.round(coords, 5), atol=1e-12)  # 5 decimals
    # shared borders stay shared: no gaps, no overlaps between simplified communes
    metric = disp.to_crs(32648)
    total = metric.area.sum()
    union = shapely.union_all(metric.geometry.values).area
    assert abs(total - union) / total < 1e-4
    assert abs(union - raw.to_crs(32648).union_all().area) / union < 0.01


def test_district_display_geometry_nests_the_communes(gpkg):
    communes = layerspec.display_geometry("communes").merge(
        storage.read_layer("communes")[["gso_code", "district_code"]], on="gso_code"
    )
    districts = layerspec.display_geometry("districts").set_index("gso_code")
    assert len(districts) == 10
    for code, grp in communes.groupby("district_code"):
        diff = shapely.symmetric_difference(shapely.union_all(grp.geometry.values), districts.geometry[code])
        assert diff.area < 1e-8


def test_display_tolerance_follows_the_extent(gpkg, tmp_path):
    """Kon Tum keeps the 150 m floor; a country-sized coverage gets about a pixel of its
    opening view (0.00065 × the extent's diagonal, rounded to 10 m)."""
    import geopandas as gpd
    from shapely.geometry import box

    from geo.io import storage
    from geo.maplayers import layerspec

    assert layerspec.display_tolerance(gpkg) == 150.0
    # Two 10 km squares whose outer corners are 600 km apart east-west and 800 km north-south.
    squares = [box(300_000, 1_200_000, 310_000, 1_210_000), box(890_000, 1_990_000, 900_000, 2_000_000)]
    wide = gpd.GeoDataFrame({"gso_code": ["1", "2"]}, geometry=squares, crs=32648)
    path = storage.write_gpkg(tmp_path / "wide.gpkg", {"communes": wide.to_crs(4326)})
    assert layerspec.display_tolerance(path) == 650.0  # 1,000 km × 0.00065


@pytest.mark.parametrize("source", ["communes", "districts", "provinces", "countries", "roads", "border", "works"])
def test_every_display_geometry_is_valid(gpkg, source):
    """Rounding to 5 decimals used to leave 23281 Phường Quang Trung with a collapsed ring
    ("Too few points"): every served geometry must be valid, and the communes a coverage."""
    disp = layerspec.display_geometry(source)
    reasons = {i: shapely.is_valid_reason(g) for i, g in enumerate(disp.geometry.values) if not shapely.is_valid(g)}
    assert reasons == {}
    assert not disp.geometry.is_empty.any()
    if source == "communes":
        assert shapely.coverage_is_valid(disp.geometry.values)
        assert "23281" in set(disp["gso_code"])
