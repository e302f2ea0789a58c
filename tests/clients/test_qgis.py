"""QGIS, headless, against the live service and the files it exports.

Debian's QGIS 3.22 (``python3-qgis``, installed by ``make qgis``, part of ``make test``) runs
``qgis_probe.py`` in its own Python (QGIS is not in the project's virtualenv) with
``QT_QPA_PLATFORM=offscreen``.  One run of QGIS opens every collection twice — through
QGIS's own OGC API – Features provider (``OAPIF``, what *Layer ▸ Add WFS / OGC API –
Features* uses) and through GDAL's OAPIF driver (``ogr``, *Add Vector Layer ▸ Protocol*)
— and every export of the communes, and the tests read its report: counts, field types,
CRS and Vietnamese names.

What QGIS 3.22 cannot do: its own provider types the fields from the first 10 features it
asks for (``items?limit=10``, src/providers/wfs/oapif/qgsoapifprovider.cpp), so a column
with no value in those 10 comes as text there; later QGIS releases read the schema this
service links with ``rel=[ogc-rel:schema]`` (Features Part 5), and GDAL's driver reads it
in 3.22 already.  The tests say which columns those are, so that a change either way shows.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import urllib.request
from pathlib import Path

import pytest
from fixtures import truth

HERE = Path(__file__).resolve().parent
#: The Python that has QGIS's bindings: Debian's (``QGIS_PYTHON`` overrides it).
QGIS_PYTHON = os.environ.get("QGIS_PYTHON") or shutil.which("python3", path="/usr/bin") or "python3"
CRS_URI = "http://www.opengis.net/def/crs/EPSG/0/{}"
#: JSON Schema type → the QGIS field types it may become.
QGIS_TYPES = {
    "integer": {"Integer", "Integer64"},
    "number": {"Real"},
    "boolean": {"Boolean"},
    "string": {"String"},
}


def _qgis_or_skip() -> None:
    probe = subprocess.run([QGIS_PYTHON, "-c", "import qgis.core"], capture_output=True, timeout=120)
    if probe.returncode == 0:
        return
    if os.environ.get("CI", "").strip().lower() in ("1", "true", "yes"):
        pytest.fail("QGIS is required under CI=true (make qgis installs Debian python3-qgis)", pytrace=False)
    pytest.skip("QGIS not installed (make qgis)")


def _get(url: str) -> bytes:
    with urllib.request.urlopen(url, timeout=300) as r:
        return r.read()


def _json(url: str) -> dict:
    return json.loads(_get(url))


@pytest.fixture(scope="module")
def service(base_url) -> dict:
    """The collections, their schemas and their first ten items, as the service serves them."""
    cids = [c["id"] for c in _json(f"{base_url}/collections?f=json")["collections"]]
    return {
        cid: {
            "schema": _json(f"{base_url}/collections/{cid}/schema")["properties"],
            "matched": _json(f"{base_url}/collections/{cid}/items?limit=1")["numberMatched"],
            "first": [f["properties"] for f in _json(f"{base_url}/collections/{cid}/items?limit=10")["features"]],
        }
        for cid in cids
    }


#: Exports of the communes QGIS opens: key → (query, file name, QGIS data source of the file).
EXPORTS = {
    "gpkg": ("f=gpkg", "communes.gpkg", "{path}|layername=kon_tum_communes"),
    "gpkg_vn2000": (f"f=gpkg&crs={CRS_URI.format(3405)}", "vn2000.gpkg", "{path}|layername=kon_tum_communes"),
    "shp": ("f=shp", "communes.zip", "/vsizip/{path}/kon_tum_communes.shp"),
    "shp_utm": (f"f=shp&crs={CRS_URI.format(32648)}", "utm.zip", "/vsizip/{path}/kon_tum_communes.shp"),
    "kml": ("f=kml", "communes.kml", "{path}"),
    "xlsx": ("f=xlsx", "communes.xlsx", "{path}|layername=du_lieu_data"),
}


@pytest.fixture(scope="module")
def report(base_url, service, tmp_path_factory) -> dict:
    """What QGIS read (``qgis_probe.py``'s report) of every collection and export."""
    _qgis_or_skip()
    tmp = tmp_path_factory.mktemp("qgis")
    layers = []
    for cid in service:
        for provider, uri in (
            ("OAPIF", f"url='{base_url}' typename='{cid}'"),
            ("ogr", f"OAPIF:{base_url}/collections/{cid}"),
        ):
            layers.append(
                {"key": f"{provider}:{cid}", "uri": uri, "provider": provider, "values": ["name", "gso_code"]}
            )
    layers.append(
        {
            "key": "OAPIF:communes:filter",
            "uri": f"url='{base_url}' typename='communes'",
            "provider": "OAPIF",
            "subset": "poor_rate_2020 > 30 AND on_border",
            "values": ["gso_code"],
        }
    )
    for key, (query, name, source) in EXPORTS.items():
        path = tmp / name
        path.write_bytes(_get(f"{base_url}/collections/communes/items?{query}"))
        values = ["name", "Name", "gso_code"]  # KML: the placemark's <name> (GDAL's "Name")
        layers.append({"key": key, "uri": source.format(path=path), "provider": "ogr", "values": values})
    csv = tmp / "communes.csv"
    csv.write_bytes(_get(f"{base_url}/collections/communes/items?f=csv"))
    layers.append(
        {
            "key": "csv",
            "uri": f"{csv.as_uri()}?type=csv&wktField=wkt&crs=EPSG:4326&detectTypes=yes&encoding=UTF-8",
            "provider": "delimitedtext",
            "values": ["name", "gso_code"],
        }
    )
    env = {k: v for k, v in os.environ.items() if "proxy" not in k.lower()}
    env.update(QT_QPA_PLATFORM="offscreen", XDG_RUNTIME_DIR=str(tmp), NO_PROXY="127.0.0.1,localhost")
    done = subprocess.run(
        [QGIS_PYTHON, str(HERE / "qgis_probe.py")],
        input=json.dumps({"layers": layers}),
        capture_output=True,
        text=True,
        timeout=900,
        env=env,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    out = json.loads(done.stdout)
    assert out["qgis"].startswith("3."), out["qgis"]
    return out["layers"]


def _names(layer: dict) -> set[str]:
    return {row.get("name") or row.get("Name") for row in layer["values"]} - {None}


def test_qgis_opens_every_collection_through_both_providers(report, service):
    for cid, info in service.items():
        for provider in ("OAPIF", "ogr"):
            got = report[f"{provider}:{cid}"]
            assert got["valid"], (provider, cid, got.get("error"))
            assert got["count"] == info["matched"], (provider, cid)
            assert got["crs"] == "EPSG:4326", (provider, cid)  # CRS84 lon/lat, as QGIS names it
    communes = report["OAPIF:communes"]
    assert communes["geometry"] == "MultiPolygon" and report["ogr:works"]["geometry"] == "Point"
    assert {"Xã Đắk Blô", "Thị trấn Plei Kần", "Xã Ia Tơi", "Phường Quang Trung"} <= _names(communes)
    assert "Huyện Đắk Glei" in _names(report["ogr:districts"])
    assert len(_names(report["OAPIF:communes_2025"])) == 40


def test_qgis_through_gdal_types_every_field_from_the_schema(report, service):
    for cid, info in service.items():
        types = report[f"ogr:{cid}"]["types"]
        for name, prop in info["schema"].items():
            if name == "geometry" or prop["type"] not in QGIS_TYPES:
                continue
            assert types.get(name) in QGIS_TYPES[prop["type"]], (cid, name, prop["type"], types.get(name))
    works = report["ogr:works"]["types"]
    assert works["line_mv_km"] == "Real" and works["budget_million_vnd"] == "Real"


def test_qgis_own_provider_types_what_its_first_ten_features_show(report, service):
    """QGIS 3.22's provider reads the types off ``items?limit=10``: every column with a value
    there has the schema's type; the others are the known limit (text)."""
    sparse_seen = set()
    for cid, info in service.items():
        types = report[f"OAPIF:{cid}"]["types"]
        for name, prop in info["schema"].items():
            if name == "geometry" or prop["type"] not in QGIS_TYPES:
                continue
            if any(row.get(name) is not None for row in info["first"]):
                assert types.get(name) in QGIS_TYPES[prop["type"]], (cid, name, prop["type"], types.get(name))
            elif prop["type"] != "string":
                sparse_seen.add((cid, name, types.get(name)))
    assert ("communes", "area_ha", "String") in sparse_seen  # the limit is real: 3 of 102 communes have it


def test_a_filter_typed_in_qgis_selects_what_the_data_says(report, gpkg):
    want = truth.border_communes_poorer_than(gpkg, 30)
    got = report["OAPIF:communes:filter"]
    assert got["valid"] and not got.get("subset_refused")
    assert sorted(row["gso_code"] for row in got["values"]) == want
    assert 0 < len(want) < 13


@pytest.mark.parametrize("key", [*EXPORTS, "csv"])
def test_qgis_opens_each_export_of_the_communes(report, key):
    got = report[key]
    assert got["valid"], got.get("error")
    assert got["count"] == 102
    assert {"Xã Đắk Blô", "Thị trấn Plei Kần", "Xã Ia Tơi"} <= _names(got)
    assert len({row["gso_code"] for row in got["values"]}) == 102
    want_crs = {"gpkg_vn2000": "EPSG:3405", "shp_utm": "EPSG:32648", "xlsx": ""}.get(key, "EPSG:4326")
    assert got["crs"] == want_crs
    if key != "xlsx":
        assert got["geometry"] == "MultiPolygon"


def test_the_geopackage_keeps_integer_and_boolean_fields_with_gaps(report):
    """A count and a flag null for most communes stay Integer64 and Boolean (not Real and
    String) in the GeoPackage QGIS opens, in every CRS it is written in."""
    for key in ("gpkg", "gpkg_vn2000"):
        types = report[key]["types"]
        assert types["population_2013"] == "Integer64", key
        assert types["p135_2016"] == "Boolean" and types["on_border"] == "Boolean", key
        assert types["area_ha"] == "Real" and types["poor_rate_2020"] == "Real", key
        assert types["name"] == "String", key
