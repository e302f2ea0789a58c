"""The synthetic national coverage generator (geo/synthetic/national.py): correctness only, no timings.

Small runs (n=500) so the module takes a few seconds.
"""

from __future__ import annotations

import hashlib
import subprocess
import sys

import numpy as np
import pytest
import shapely

from geo.crs import METRIC
from geo.synthetic import national

N = 500


@pytest.fixture(scope="module")
def layers():
    return national.generate(n=N, seed=7)


def _digest(layers) -> str:
    c = layers["communes"]
    h = hashlib.sha256()
    h.update("|".join(c["gso_code"]).encode())
    h.update(b"".join(shapely.to_wkb(c.geometry.values, hex=False)))
    h.update(layers["observations"]["value"].to_numpy().tobytes())
    return h.hexdigest()


def test_same_seed_same_output(layers):
    again = national.generate(n=N, seed=7)
    assert _digest(again) == _digest(layers)


def test_other_seed_other_output(layers):
    assert _digest(national.generate(n=N, seed=8)) != _digest(layers)


def test_about_n_communes_with_unique_gso_like_codes(layers):
    c = layers["communes"]
    assert abs(len(c) - N) <= N * 0.01
    assert c["gso_code"].is_unique
    assert c["gso_code"].str.fullmatch(r"\d{5}").all()
    assert c["district_code"].str.fullmatch(r"\d{3}").all()
    assert set(c["province_code"]) <= set(national.PROVINCE_CODES)
    assert layers["districts"]["gso_code"].is_unique
    n_d, n_p = national.sizes(len(c))
    assert len(layers["districts"]) == n_d and len(layers["provinces"]) == n_p


def test_sizes_at_national_scale():
    assert national.sizes(national.N_COMMUNES) == (700, 63)
    assert len(set(national.PROVINCE_CODES)) == 63


def test_valid_coverage_without_overlaps_or_gaps(layers):
    geoms = layers["communes"].to_crs(METRIC).geometry.values
    assert shapely.is_valid(geoms).all()
    assert not shapely.is_empty(geoms).any()
    assert bool(shapely.coverage_is_valid(geoms))  # shared edges match exactly, no overlaps
    total = shapely.area(geoms).sum()
    union = shapely.coverage_union_all(geoms)
    assert total == pytest.approx(union.area, rel=1e-6)
    land = national._to_metric(national.outline())[0]
    assert union.area == pytest.approx(land.area, rel=1e-4)  # no gap: the country is covered


def test_every_commune_nests_in_its_district_and_province(layers):
    c = layers["communes"].to_crs(METRIC)
    d = layers["districts"].to_crs(METRIC).set_index("gso_code")
    p = layers["provinces"].to_crs(METRIC).set_index("gso_province_code")
    assert set(c["district_code"]) == set(d.index)
    for code, group in c.groupby("district_code"):
        district = d.loc[code]
        assert (group["province_code"] == district["province_code"]).all()
        inside = shapely.area(shapely.intersection(group.geometry.values, district.geometry))
        assert inside.sum() == pytest.approx(shapely.area(group.geometry.values).sum(), rel=1e-6)
        assert district["n_communes"] == len(group)
    assert set(d["province_code"]) == set(p.index)
    assert sum(p.geometry.area) == pytest.approx(sum(d.geometry.area), rel=1e-6)


def test_area_column_is_the_metric_area(layers):
    c = layers["communes"]
    area = shapely.area(c.to_crs(METRIC).geometry.values) / 1e6
    np.testing.assert_allclose(c["area_km2"].to_numpy(), area, rtol=1e-3, atol=1e-3)


def test_schema_matches_what_the_app_reads(layers, gpkg):
    """Every layer of the Kon Tum build exists with at least its columns and its geometry kind."""
    import pyogrio

    kontum = {name: gtype for name, gtype in pyogrio.list_layers(gpkg)}
    assert set(kontum) <= set(layers)
    for name, gtype in kontum.items():
        want = set(pyogrio.read_info(gpkg, layer=name)["fields"])
        have = set(layers[name].columns) - {"geometry"}
        assert want <= have, (name, sorted(want - have))
        if gtype:
            assert "geometry" in layers[name].columns, name
            kinds = set(layers[name].geometry.geom_type)
            assert {k.replace("Multi", "") for k in kinds} == {gtype.replace("Multi", "")}, (name, kinds)
    assert (layers["communes"].geometry.geom_type == "MultiPolygon").all()


def test_values_are_marked_synthetic(layers):
    obs = layers["observations"]
    assert (obs["status"] == "synthetic").all()
    assert obs["note"].str.contains("dữ liệu minh họa").all()
    assert (layers["communes"]["geom_method"] == national.GEOM_METHOD).all()
    assert layers["communes"]["name"].str.endswith(national.NAME_MARK).all()
    rates = obs[(obs["indicator"] == "poor_rate") & (obs["unit_level"] == "commune")]
    assert len(rates) == len(layers["communes"]) * len(national.YEARS)
    assert rates["value"].between(0, 100).all()


def test_border_communes_flagged_from_the_lines(layers):
    c = layers["communes"]
    assert set(layers["border"]["country"]) == {"LAO", "KHM"}
    assert c["on_border"].any() and not c["on_border"].all()
    assert set(c.loc[c["on_border"], "border_countries"]) <= {"LAO", "KHM", "KHM;LAO"}
    assert (c.loc[~c["on_border"], "border_countries"] == "").all()


def test_communes_2025_group_the_2020_communes(layers):
    new = layers["communes_2025"]
    members = [code for codes in new["member_gso_codes_2020"] for code in codes.split(",")]
    assert sorted(members) == sorted(layers["communes"]["gso_code"])
    assert (new["n_members"] == new["member_gso_codes_2020"].str.count(",") + 1).all()


def test_bad_size_is_refused():
    with pytest.raises(ValueError, match="n must be"):
        national.generate(n=5)


def test_cli_writes_a_gpkg_the_app_serves(tmp_path):
    out = tmp_path / "nat.gpkg"
    res = subprocess.run(
        [sys.executable, "-m", "geo", "national", "--out", str(out), "--n", "120", "--seed", "2"],
        capture_output=True,
        text=True,
    )
    assert res.returncode == 0, res.stderr
    assert "120 communes" in res.stdout or "communes" in res.stdout
    from app import create_app
    from geo.ogc import features

    features.clear_cache()
    client = create_app({"GEO_GPKG": str(out), "TESTING": True}).test_client()
    doc = client.get("/ogc/collections/communes/items?limit=5").get_json()
    assert doc["numberMatched"] == len(national.generate(n=120, seed=2)["communes"])
    r = client.get("/targets?indicator=poor_rate&year=2020&top=3")
    assert r.status_code == 200 and r.get_json()["count"] == 3
    bad = subprocess.run(
        [sys.executable, "-m", "geo", "national", "--out", str(out), "--n", "3"], capture_output=True, text=True
    )
    assert bad.returncode == 2 and "n must be" in bad.stderr and "Traceback" not in bad.stderr
