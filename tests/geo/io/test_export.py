"""geo.io.export: every format round-trips (pyogrio / openpyxl) with names, statuses and provenance intact."""

from __future__ import annotations

import io
import json
import tempfile
import xml.etree.ElementTree as ET
import zipfile

import numpy as np
import pandas as pd
import pyogrio
import pytest
import shapely
from fixtures import squares as sq

from geo.analysis import query, targeting
from geo.io import export
from geo.units.border import flag_border_communes

NAME = "Kon Tum xã biên giới – poor_rate 2020"
SLUG = "kon_tum_xa_bien_gioi_poor_rate_2020"


@pytest.fixture(scope="module")
def ranked():
    grid = flag_border_communes(sq.squares(), sq.border())
    return targeting.rank(
        grid,
        sq.observations(),
        sq.catalogue(),
        {"poor_rate": 1, "near_poor_rate": 1},
        2020,
        constraints=[query.near_border(grid, 10, border=sq.border())],
    )


def _write(tmp_path, data, filename):
    path = tmp_path / filename
    path.write_bytes(data)
    return path


def _read(path, fmt, layer=None):
    src = f"/vsizip/{path}" if fmt == "shp" else str(path)
    return pyogrio.read_dataframe(src, layer=layer)


@pytest.mark.parametrize("fmt", ["geojson", "csv", "gpkg", "shp", "kml"])
def test_round_trip_through_gdal(ranked, tmp_path, fmt):
    data, mime, filename = export.export(ranked, fmt, NAME, metadata={"sources": ["Báo cáo thử"]})
    assert filename == SLUG + export.FORMATS[fmt][1] and filename.isascii() and " " not in filename
    assert mime == export.FORMATS[fmt][0]
    back = _read(_write(tmp_path, data, filename), fmt, layer=SLUG if fmt == "gpkg" else None)
    assert len(back) == len(ranked) == 6
    names = back["Name"] if fmt == "kml" else back["name"]
    assert list(names) == list(ranked["name"])  # Vietnamese intact, order kept
    status = "pr_rt_s" if fmt == "shp" else "poor_rate_status"
    assert list(back[status]) == list(ranked["poor_rate_status"])
    assert "synthetic" in set(back[status])
    if fmt != "csv":
        assert back.crs.to_epsg() == 4326
        # same shape, to the 6th decimal of a degree at most (about 0.1 m)
        assert shapely.hausdorff_distance(back.geometry.iloc[0], ranked.geometry.iloc[0]) < 1e-6


def test_file_names_are_ascii_slugs():
    assert export.slugify("Xã Đắk Blô – tỷ lệ hộ nghèo 2020") == "xa_dak_blo_ty_le_ho_ngheo_2020"
    assert export.slugify("  ") == "export"
    assert export.slugify("Ia H'Drai / Ia Tơi") == "ia_h_drai_ia_toi"


def test_geojson_is_rfc7946_with_metadata(ranked):
    data, _, _ = export.export(ranked, "geojson", NAME, metadata={"sources": ["S1"], "query": {"near": "border"}})
    doc = json.loads(data.decode("utf-8"))
    assert doc["type"] == "FeatureCollection" and "crs" not in doc
    meta = doc["metadata"]
    assert meta["synthetic"] is True and "demo data" in meta["synthetic_note"]
    assert "S1" in meta["sources"] and meta["generated_by"] and "EPSG:4326" in meta["crs"]
    assert meta["query"] == {"near": "border"}
    feat = doc["features"][0]
    assert feat["properties"]["name"] == "Xã Đắk Tơ 20" and feat["id"] == "12000"
    coords = np.array(feat["geometry"]["coordinates"][0])
    assert (np.abs(coords[:, 0] - 107.8) < 0.5).all() and (np.abs(coords[:, 1] - 14.6) < 0.5).all()  # lon, lat
    assert max(len(repr(float(c)).split(".")[1]) for c in coords.ravel()) <= 6
    assert shapely.Polygon(coords).exterior.is_ccw  # RFC 7946 right-hand rule
    last = doc["features"][-1]["properties"]
    assert last["score"] is None and last["rank"] is None and last["missing"] == "near_poor_rate"
    assert "NaN" not in data.decode("utf-8")


@pytest.mark.parametrize("geometry, columns", [("wkt", {"wkt"}), ("latlon", {"lon", "lat"}), ("none", set())])
def test_csv_options(ranked, geometry, columns):
    data, mime, _ = export.export(ranked, "csv", NAME, geometry=geometry)
    assert data.startswith(b"\xef\xbb\xbf") and "charset=utf-8" in mime
    table = pd.read_csv(io.BytesIO(data), encoding="utf-8-sig", dtype=str, keep_default_na=False)
    assert len(table) == 6 and table["name"].iloc[0] == "Xã Đắk Tơ 20"
    assert {"wkt", "lon", "lat"} & set(table.columns) == columns
    assert table["provenance"].str.contains("demo data").all()
    assert "poor_rate_status" in table.columns
    if geometry == "latlon":
        pts = [shapely.Point(float(x), float(y)) for x, y in zip(table["lon"], table["lat"])]
        assert all(g.contains(p) for g, p in zip(ranked.geometry, pts))


def test_shapefile_zip_contents(ranked):
    data, mime, filename = export.export(ranked, "shp", NAME)
    assert mime == "application/zip" and filename == SLUG + ".shp.zip"
    zf = zipfile.ZipFile(io.BytesIO(data))
    assert sorted(zf.namelist()) == sorted(
        [SLUG + e for e in (".shp", ".shx", ".dbf", ".prj", ".cpg")] + ["fields.csv", "nguon_sources.txt"]
    )
    assert zf.read(SLUG + ".cpg").decode().strip().upper() in ("UTF-8", "UTF8")
    mapping = pd.read_csv(io.BytesIO(zf.read("fields.csv")), encoding="utf-8-sig")
    assert (mapping["shapefile_field"].str.len() <= 10).all() and mapping["shapefile_field"].is_unique
    full = dict(zip(mapping["shapefile_field"], mapping["full_name"]))
    assert full["pr_rt_s"] == "poor_rate_status" and full["n_pr_rt_s"] == "near_poor_rate_status"
    assert set(full.values()) == set(ranked.columns) - {"geometry"}
    note = zf.read("nguon_sources.txt").decode("utf-8")
    assert "dữ liệu minh họa / demo data" in note and "EPSG:4326" in note


def test_shapefile_field_names_unique_and_deterministic():
    cols = ["averyveryverylongname_a", "averyveryverylongname_b", "averyveryv", "AVERYVERYV", "x" * 30]
    a, b = export.shapefile_fields(cols), export.shapefile_fields(cols)
    assert a == b and len({v.lower() for v in a.values()}) == len(cols)
    assert all(len(v) <= 10 for v in a.values())


def test_gpkg_has_provenance(ranked, tmp_path):
    data, _, filename = export.export(ranked, "gpkg", NAME, metadata={"sources": ["S1"]})
    path = _write(tmp_path, data, filename)
    assert [n for n, _ in pyogrio.list_layers(path)] == [SLUG, "nguon_sources"]
    src = pyogrio.read_dataframe(path, layer="nguon_sources")
    items = dict(zip(src["item"], src["value"]))
    assert items["synthetic"] == "yes" and "demo data" in items["synthetic_note"]
    assert "S1" in set(src.loc[src["item"] == "source", "value"])
    assert "demo data" in pyogrio.read_info(path, layer=SLUG)["layer_metadata"]["DESCRIPTION"]


def test_kml_is_well_formed_with_provenance(ranked):
    data, _, _ = export.export(ranked, "kml", NAME)
    root = ET.fromstring(data)
    ns = {"k": "http://www.opengis.net/kml/2.2"}
    assert "demo data" in root.find("k:Document/k:description", ns).text
    marks = root.findall(".//k:Placemark", ns)
    assert [m.find("k:name", ns).text for m in marks] == list(ranked["name"])


def test_xlsx_annex_then_data_sheets(ranked):
    from openpyxl import load_workbook

    frame = ranked.copy()
    frame.loc[0, "missing"] = "=1+1"  # looks like a formula: must stay text
    data, mime, filename = export.export(frame, "xlsx", NAME, metadata={"sources": ["Báo cáo thử"]})
    assert filename == SLUG + ".xlsx" and "spreadsheetml" in mime
    wb = load_workbook(io.BytesIO(data))
    assert wb.sheetnames == ["phu_luc_annex", "du_lieu_data", "nguon_sources"]  # the annex first
    rows = list(wb["du_lieu_data"].values)
    header = list(rows[0])
    assert len(rows) == 7 and {"poor_rate_status", "lon", "lat", "name"} <= set(header)
    assert rows[1][header.index("name")] == "Xã Đắk Tơ 20"
    assert rows[1][header.index("missing")] == "'=1+1"  # OWASP: a leading quote, never a formula
    assert wb["du_lieu_data"].cell(2, header.index("missing") + 1).data_type == "s"
    assert rows[-1][header.index("score")] is None
    src = {r[0]: r[1] for r in wb["nguon_sources"].values}
    assert "demo data" in src["synthetic_note"] and src["source / nguồn"] == "Báo cáo thử"


@pytest.mark.parametrize("fmt", ["pdf", "", "GEOJSONX", "shp.zip"])
def test_unknown_format(ranked, fmt):
    with pytest.raises(ValueError, match="geojson, csv, gpkg, shp, kml, xlsx"):
        export.export(ranked, fmt, NAME)


def test_unknown_geometry_option(ranked):
    with pytest.raises(ValueError, match="wkt, latlon, none"):
        export.export(ranked, "csv", NAME, geometry="points")


def test_failed_write_leaves_nothing_behind(ranked, tmp_path, monkeypatch):
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))

    def boom(*args, **kwargs):
        with open(args[1], "wb") as fh:
            fh.write(b"half")
        raise OSError("disk full")

    monkeypatch.setattr(pyogrio, "write_dataframe", boom)
    for fmt in ("gpkg", "shp"):
        with pytest.raises(OSError):
            export.export(ranked, fmt, NAME)
    assert list(tmp_path.iterdir()) == []


def test_no_synthetic_no_note(ranked):
    real = ranked[~ranked["synthetic"]].assign(poor_rate_status="official", near_poor_rate_status="official")
    doc = json.loads(export.export(real, "geojson", NAME)[0])
    assert doc["metadata"]["synthetic"] is False and "synthetic_note" not in doc["metadata"]


# -- real data -------------------------------------------------------------


@pytest.fixture(scope="module")
def border_ranked(gpkg, backend):
    """The 13 border communes ranked on poor_rate 2020, by each backend in turn."""
    from geo.io import storage

    if backend.name != "embedded":
        t = backend.targets()
        return t.rank("commune", "poor_rate", 2020, [t.near_border("commune", 0)])
    communes = storage.read_layer("communes", gpkg)
    border = storage.read_layer("border", gpkg)
    return targeting.rank(
        communes,
        storage.read_layer("observations", gpkg),
        storage.read_layer("catalogue", gpkg),
        "poor_rate",
        2020,
        constraints=[query.near_border(communes, 0, border=border)],
    )


@pytest.mark.parametrize("fmt", ["geojson", "csv", "gpkg", "shp", "kml", "xlsx"])
def test_real_border_communes_export(border_ranked, tmp_path, fmt):
    data, _, filename = export.export(border_ranked, fmt, "Kon Tum communes poor_rate 2020")
    assert filename.startswith("kon_tum_communes_poor_rate_2020.")
    if fmt == "xlsx":
        from openpyxl import load_workbook

        rows = list(load_workbook(io.BytesIO(data))["du_lieu_data"].values)
        names = [r[rows[0].index("name")] for r in rows[1:]]
    else:
        back = _read(
            _write(tmp_path, data, filename), fmt, layer="kon_tum_communes_poor_rate_2020" if fmt == "gpkg" else None
        )
        names = list(back["Name"] if fmt == "kml" else back["name"])
        status = back["pr_rt_s" if fmt == "shp" else "poor_rate_status"]
        assert set(status) == {"synthetic"}
    assert len(names) == 13 and "Xã Ia Tơi" in names and "Xã Đắk Blô" in names


INJECTIONS = ['=HYPERLINK("http://evil.example","x")', "+1+1", "-2+3", "@SUM(A1)", "\tx", "\r=1"]


def test_xlsx_neutralises_formulas_on_every_sheet(ranked):
    """Issue 17 item 6: an uploaded note =HYPERLINK(...) was a live formula in nguon_sources."""
    from openpyxl import load_workbook

    frame = ranked.copy()
    frame.loc[0, "missing"] = INJECTIONS[0]
    frame = frame.rename(columns={"missing": "=col"})
    data, _, _ = export.export(frame, "xlsx", NAME, metadata={"sources": INJECTIONS, "note": "=cmd|' /C calc'!A0"})
    wb = load_workbook(io.BytesIO(data))
    texts = [c for ws in wb.worksheets for row in ws.iter_rows() for c in row if isinstance(c.value, str) and c.value]
    assert texts
    for cell in texts:
        assert cell.data_type == "s" and not cell.value.startswith(export.FORMULA_START), (cell.coordinate, cell.value)
    sources = [r[1] for r in wb["nguon_sources"].values if r[0] == "source / nguồn"]
    assert sources == ["'" + s.replace("\r", "\n") for s in INJECTIONS]  # XML reads CR back as LF
    assert "'=col" in [c.value for c in wb["du_lieu_data"][1]]


def test_csv_neutralises_every_text_cell_but_keeps_numbers(ranked):
    import csv as csv_mod

    frame = ranked.iloc[: len(INJECTIONS)].copy()
    frame["note"] = INJECTIONS
    frame["delta"] = -1.5
    data, _, _ = export.export(frame, "csv", NAME)
    rows = list(csv_mod.reader(io.StringIO(data.decode("utf-8-sig"))))
    header = rows[0]
    for row in rows[1:]:
        for value in row:
            assert not value.startswith(export.FORMULA_START) or value == row[header.index("delta")], value
        assert row[header.index("delta")] == "-1.5"
    assert [r[header.index("note")] for r in rows[1:]] == ["'" + s for s in INJECTIONS]


def test_shapefile_fields_csv_neutralised(ranked):
    frame = ranked.rename(columns={"missing": "=cmd"})
    data, _, _ = export.export(frame, "shp", NAME)
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        text = zf.read("fields.csv").decode("utf-8-sig")
    assert "'=cmd" in text and "\n=cmd" not in text and ",=cmd" not in text


@pytest.mark.parametrize(
    ("column", "field"),
    [
        ("area_km2_2022_status", "ar_km2_22s"),
        ("p135_2017_2020_status", "p135_1720s"),
        ("remoteness_road_mean_km", "remrdmnkm"),
        ("remoteness_power_max_km_status", "rempwmxkms"),
        ("poor_rate_2019_status", "pr_rt_19s"),
        ("near_poor_households_2015", "n_pr_hh_15"),
    ],
)
def test_shapefile_names_keep_year_and_status(column, field):
    """The 10-character names keep what tells columns apart: `area_km2_2022_status` used to be
    `areakm2201`, `p135_2017_2020_status` `p135201721` and the remoteness columns `remotenes1…7`."""
    assert export.shapefile_field(column) == field


def test_shapefile_long_texts_cut_and_said(tmp_path):
    """A DBF text holds 254 bytes: a longer text is cut on a character boundary and the zip says so."""
    import geopandas as gpd
    from shapely.geometry import Point

    long = "Đắk Glei " * 60  # 540 characters, more UTF-8 bytes
    gdf = gpd.GeoDataFrame({"note": [long, "ngắn"]}, geometry=[Point(107.7, 15.1), Point(107.8, 15.0)], crs=4326)
    data, _, _ = export.export(gdf, "shp", "cut test")
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        names = zf.namelist()
        stem = next(n for n in names if n.endswith(".shp"))[:-4]
        for ext in (".shp", ".shx", ".dbf", ".prj", ".cpg"):
            (tmp_path / (stem + ext)).write_bytes(zf.read(stem + ext))
        note = zf.read("nguon_sources.txt").decode("utf-8")
        fields = zf.read("fields.csv").decode("utf-8-sig")
    back = pyogrio.read_dataframe(tmp_path / (stem + ".shp"))
    assert len(back.loc[0, "note"].encode("utf-8")) <= 254 and long.startswith(back.loc[0, "note"])
    assert back.loc[1, "note"] == "ngắn"
    assert "note: 1 value(s) cut at 254 bytes" in note
    assert "note,note,1" in fields


def test_gpkg_is_version_1_2(ranked, tmp_path):
    """GDAL 3.6 and QGIS 3.22 warn "may only be partially supported" on a 1.4 GeoPackage."""
    import sqlite3

    data, _, filename = export.export(ranked, "gpkg", NAME)
    path = _write(tmp_path, data, filename)
    with sqlite3.connect(path) as con:
        assert con.execute("PRAGMA application_id").fetchone()[0] == 0x47504B47  # "GPKG"
        assert con.execute("PRAGMA user_version").fetchone()[0] == 10200
    assert [n for n, _ in pyogrio.list_layers(path)] == [SLUG, "nguon_sources"]


# --------------------------------------------------------------------------- Excel-friendly tables (issue 14)


def test_csv_has_no_geometry_by_default_and_cells_fit_excel(ranked):
    data, _, _ = export.export(ranked, "csv", NAME)
    table = pd.read_csv(io.BytesIO(data), encoding="utf-8-sig", dtype=str, keep_default_na=False)
    assert data.startswith(b"\xef\xbb\xbf")
    assert not {"wkt", "lon", "lat", "geometry"} & set(table.columns)
    assert max(len(v) for col in table.columns for v in table[col]) <= export.XLSX_CELL_MAX
    note = table["provenance"].iloc[0]
    assert "không phải số liệu thống kê chính thức" in note and "not official statistics" in note


def test_labels_and_rounded_copies_in_csv_and_xlsx(ranked):
    from openpyxl import load_workbook

    labels = {
        "name": "Tên đơn vị",
        "poor_rate": "Tỷ lệ hộ nghèo (%) — chính xác",
        "poor_rate_shown": "Tỷ lệ (%) — làm tròn",
    }
    data, _, _ = export.export(ranked, "csv", NAME, labels=labels, shown={"poor_rate": 1})
    table = pd.read_csv(io.BytesIO(data), encoding="utf-8-sig")
    cols = list(table.columns)
    assert cols.index("Tỷ lệ (%) — làm tròn") == cols.index("Tỷ lệ hộ nghèo (%) — chính xác") - 1
    exact = ranked["poor_rate"].to_numpy(dtype=float)
    assert np.allclose(table["Tỷ lệ hộ nghèo (%) — chính xác"], exact)
    assert np.allclose(table["Tỷ lệ (%) — làm tròn"], np.round(exact, 1))
    assert list(table["Tên đơn vị"]) == list(ranked["name"])
    data, _, _ = export.export(ranked, "xlsx", NAME, labels=labels, shown={"poor_rate": 1})
    header = [c.value for c in load_workbook(io.BytesIO(data))["du_lieu_data"][1]]
    assert "Tỷ lệ (%) — làm tròn" in header and "Tên đơn vị" in header


def test_headers_never_repeat():
    assert export.headers(["a", "b"], {"a": "X", "b": "X"}) == ["X", "X (b)"]


def test_kml_placemarks_carry_a_description_table(ranked):
    data, _, _ = export.export(ranked, "kml", NAME, labels={"poor_rate": "Tỷ lệ hộ nghèo (%)"})
    ns = {"k": "http://www.opengis.net/kml/2.2"}
    marks = ET.fromstring(data).findall(".//k:Placemark", ns)
    assert len(marks) == len(ranked)
    desc = marks[0].find("k:description", ns).text
    assert desc.startswith("<table>") and "<th>Tỷ lệ hộ nghèo (%)</th>" in desc
    assert f"<td>{ranked['name'].iloc[0]}</td>" in desc


def test_declared_types_survive_gaps_in_gdal_files(tmp_path):
    """A count and a flag with gaps (floats and objects in the frame) are written as
    Integer64 and Boolean fields with nulls when the caller declares their types, as the OGC
    downloads do from the collection's schema; undeclared, they stay what the frame says."""
    import geopandas as gpd
    from shapely.geometry import Point

    gdf = gpd.GeoDataFrame(
        {"n": [3.0, np.nan, 5.0], "flag": [True, None, False], "x": [0.5, 1.0, np.nan]},
        geometry=[Point(107.9, 14.3), Point(108.0, 14.4), Point(108.1, 14.5)],
        crs="EPSG:4326",
    )
    types = {"n": "integer", "flag": "boolean", "x": "integer"}
    data, _, _ = export.export(gdf, "gpkg", "typed", types=types)
    path = tmp_path / "typed.gpkg"
    path.write_bytes(data)
    info = pyogrio.read_info(path, layer="typed")
    got = dict(zip(info["fields"], (str(t) for t in info["dtypes"])))
    assert got == {"n": "int64", "flag": "bool", "x": "float64"}  # 0.5 is not an integer: left alone
    back = pyogrio.read_dataframe(path, layer="typed")
    assert back["n"].isna().tolist() == [False, True, False] and back["flag"].isna().tolist() == [False, True, False]
    plain, _, _ = export.export(gdf, "gpkg", "plain")
    path.write_bytes(plain)
    info = pyogrio.read_info(path, layer="plain")
    assert dict(zip(info["fields"], (str(t) for t in info["dtypes"])))["n"] == "float64"
    text = export.export(gdf, "csv", "typed", types=types)[0].decode("utf-8-sig")
    assert "\r\n3,True," in text and "3.0" not in text.split("\r\n")[1]
