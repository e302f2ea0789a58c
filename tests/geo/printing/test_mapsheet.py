"""Printed map sheets (geo.printing.mapsheet): text with diacritics, colours, determinism, options."""

from __future__ import annotations

import re

import pytest
from fixtures.printed import (
    colour_counts,
    flat,
    has_colour,
    pdf_page_image,
    pdf_text,
    png_image,
)

from geo.maplayers import layerspec
from geo.printing import mapsheet


@pytest.fixture(scope="module")
def specs(gpkg):
    return layerspec.load_layers()


def sheet(specs, gpkg, **params):
    spec, opts = mapsheet.parse_options({"layer": "poor_rate", **params}, specs, gpkg)
    return mapsheet.render(spec, opts, gpkg)


def legend_rows(specs, gpkg, **params):
    spec, opts = mapsheet.parse_options({"layer": "poor_rate", **params}, specs, gpkg)
    return mapsheet.make_legend(spec, mapsheet.load_data(spec, opts.year, gpkg), opts).rows


@pytest.fixture(scope="module")
def vi_pdf(specs, gpkg):
    return sheet(specs, gpkg, year="2020")


@pytest.fixture(scope="module")
def vi_text(vi_pdf):
    return pdf_text(vi_pdf)


@pytest.fixture(scope="module")
def vi_png(specs, gpkg):
    return sheet(specs, gpkg, year="2020", format="png", dpi="100")


# ------------------------------------------------------------------- text


def test_vietnamese_title_standard_and_warning_with_diacritics(vi_text):
    text = flat(vi_text)
    assert "Tỷ lệ hộ nghèo cấp xã (%) — 2020" in text
    assert "Chuẩn nghèo: Đa chiều 2016–2020" in text
    assert "dữ liệu minh họa / demo data" in text
    assert "102 giá trị trên bản đồ là số liệu minh họa" in text  # every commune value is synthetic
    assert "Chú giải" in text and "Nguồn" in text


def test_legend_lists_every_class_label_and_count(vi_text, specs, gpkg):
    text = flat(vi_text)
    rows = legend_rows(specs, gpkg, year="2020")
    assert len(rows) == 5  # fisher_jenks, k = 5 (layer file)
    for row in rows:
        assert f"{row['label']} ({row['count']})" in text
    assert re.search(r"\d+,\d%", text)  # Vietnamese decimal comma, unit


def test_district_and_country_labels(vi_text):
    text = flat(vi_text)
    for name in ("Đắk Glei", "Tu Mơ Rông", "Ia H' Drai", "TP Kon Tum"):  # GSO spelling
        assert name in text
    assert "Lào" in text and "Campuchia" in text
    assert "Ranh giới huyện" in text and "Biên giới quốc gia" in text


def test_sources_version_and_scale(vi_text):
    text = flat(vi_text)
    assert "Báo cáo số 112-BC/TU" in text  # the values' own source
    assert "Natural Earth" in text  # the base map's
    assert re.search(r"Dữ liệu: bản dựng gốc \(phiên bản 0\), ngày \d{4}-\d{2}-\d{2} · mã [0-9a-f]{8}", text)
    assert " km" in text and "B" in text.split()  # scale bar, north arrow


def test_english_sheet(specs, gpkg):
    text = flat(pdf_text(sheet(specs, gpkg, year="2020", lang="en")))
    assert "Commune poor-household rate (%) — 2020" in text
    assert "Poverty standard: 2016-2020 multidimensional" in text
    assert "Laos" in text and "Cambodia" in text and "Legend" in text
    assert "dữ liệu minh họa / demo data" in text  # the warning is bilingual
    assert "Tỷ lệ" not in text


def test_no_warning_without_synthetic_values(specs, gpkg):
    spec, opts = mapsheet.parse_options({"layer": "p135_2016"}, specs, gpkg)
    text = flat(pdf_text(mapsheet.render(spec, opts, gpkg)))
    assert "Thuộc CT 135 năm 2016" in text and "Không thuộc danh sách" in text
    assert "minh họa" not in text


# ---------------------------------------------------------------- picture


def test_pdf_page_is_a_map_in_the_legend_colours(vi_pdf, specs, gpkg):
    im = pdf_page_image(vi_pdf, dpi=60)
    assert im.width > im.height  # landscape
    counts = colour_counts(im)
    assert len(counts) > 200  # not blank
    white = counts.get((255, 255, 255), 0)
    assert white < 0.8 * im.width * im.height
    for row in legend_rows(specs, gpkg, year="2020"):
        assert has_colour(counts, row["color"]), row


def test_png_is_a4_at_its_dpi_in_the_legend_colours(vi_png, specs, gpkg):
    assert vi_png[:8] == b"\x89PNG\r\n\x1a\n"
    im = png_image(vi_png)
    assert abs(im.width - round(297 / 25.4 * 100)) <= 1 and abs(im.height - round(210 / 25.4 * 100)) <= 1
    counts = colour_counts(im)
    assert len(counts) > 500
    for row in legend_rows(specs, gpkg, year="2020"):
        assert has_colour(counts, row["color"], min_pixels=200), row


def test_a3_portrait_page_size(specs, gpkg):
    pdf = sheet(specs, gpkg, year="2019", size="A3", orientation="portrait")
    box = re.search(rb"/MediaBox \[\s*0 0 ([\d.]+) ([\d.]+)\s*\]", pdf)
    w, h = float(box.group(1)), float(box.group(2))
    assert abs(w - 297 / 25.4 * 72) < 1 and abs(h - 420 / 25.4 * 72) < 1
    assert "Tỷ lệ hộ nghèo cấp xã (%) — 2019" in flat(pdf_text(pdf))


# ------------------------------------------------------------ determinism


def test_same_inputs_same_bytes(specs, gpkg, vi_pdf, vi_png):
    assert sheet(specs, gpkg, year="2020") == vi_pdf
    assert sheet(specs, gpkg, year="2020", format="png", dpi="100") == vi_png
    assert b"CreationDate" not in vi_pdf
    assert b"tIME" not in vi_png  # no PNG timestamp chunk


def test_other_year_other_sheet(specs, gpkg, vi_pdf):
    assert sheet(specs, gpkg, year="2015") != vi_pdf


# ------------------------------------------------------- view and classes


def test_bbox_draws_only_the_view(specs, gpkg):
    # around Kon Tum city: a handful of communes, all synthetic
    text = flat(pdf_text(sheet(specs, gpkg, year="2020", bbox="107.9,14.3,108.1,14.45")))
    n = int(re.search(r"(\d+) giá trị trên bản đồ", text).group(1))
    assert 3 <= n < 102
    assert "TP Kon Tum" in text


def test_own_breaks_and_k_as_the_map_legend(specs, gpkg):
    rows = legend_rows(specs, gpkg, year="2020", breaks="10;30;50")
    assert [r["label"] for r in rows][:3] == ["≤ 10%", "> 10 – 30%", "> 30 – 50%"]
    text = flat(pdf_text(sheet(specs, gpkg, year="2020", breaks="10;30;50")))
    assert "≤ 10%" in text and "> 10 – 30%" in text and "ngưỡng cố định" in text
    assert len(legend_rows(specs, gpkg, year="2020", k="3")) == 3


# -------------------------------------------------------------- options


@pytest.mark.parametrize(
    "params, param",
    [
        ({"layer": "nope"}, "layer"),
        ({"layer": None}, "layer"),
        ({"year": "1999"}, "year"),
        ({"year": "twenty"}, "year"),
        ({"level": "district"}, "level"),
        ({"lang": "fr"}, "lang"),
        ({"format": "svg"}, "format"),
        ({"size": "A5"}, "size"),
        ({"orientation": "sideways"}, "orientation"),
        ({"dpi": "20"}, "dpi"),
        ({"dpi": "abc"}, "dpi"),
        ({"bbox": "1,2,3"}, "bbox"),
        ({"bbox": "108,15,107,14"}, "bbox"),
        ({"bbox": "100,10,101,11"}, "bbox"),
        ({"bbox": "nan,14,108,15"}, "bbox"),
        ({"scheme": "rainbow"}, "scheme"),
        ({"k": "1"}, "k"),
        ({"k": "3", "breaks": "10,20"}, "k"),
        ({"breaks": "30,10"}, "breaks"),
        ({"breaks": "a,b"}, "breaks"),
        ({"breaks": "1,2,3,4,5,6,7,8,9"}, "breaks"),
        ({"breaks": "10,20", "scheme": "quantiles"}, "breaks"),
    ],
)
def test_bad_option_names_the_parameter(specs, gpkg, params, param):
    with pytest.raises(mapsheet.PrintError) as err:
        mapsheet.parse_options({"layer": "poor_rate", **params}, specs, gpkg)
    assert err.value.param == param
    assert str(err.value).startswith(f"{param}: ")


def test_classes_options_only_for_choropleths(specs, gpkg):
    with pytest.raises(mapsheet.PrintError) as err:
        mapsheet.parse_options({"layer": "p135_2016", "k": "3"}, specs, gpkg)
    assert err.value.param == "k" and "categorical" in str(err.value)


def test_defaults(specs, gpkg):
    spec, opts = mapsheet.parse_options({"layer": "poor_rate"}, specs, gpkg)
    assert (opts.year, opts.lang, opts.size, opts.orientation, opts.fmt, opts.dpi) == (
        spec.year,
        "vi",
        "A4",
        "landscape",
        "pdf",
        mapsheet.DPI_DEFAULT,
    )
    assert opts.page_mm == (297.0, 210.0)


def test_filename_says_layer_year_standard(specs, gpkg):
    spec, opts = mapsheet.parse_options({"layer": "poor_rate", "year": "2018"}, specs, gpkg)
    name = mapsheet.sheet_filename(spec, opts, mapsheet.load_data(spec, opts.year, gpkg))
    assert name == "poor_rate_2018_2016-2020-multidimensional_vi.pdf"


def test_every_layer_prints(specs, gpkg):
    for spec in specs:
        _, opts = mapsheet.parse_options({"layer": spec.id, "format": "png", "dpi": "72"}, specs, gpkg)
        data = mapsheet.render(spec, opts, gpkg)
        assert len(colour_counts(png_image(data))) > 100, spec.id
