"""geo.printing.profile: one page per unit, Vietnamese text found by pdftotext, standards never joined."""

from __future__ import annotations

import pytest
from fixtures.printed import flat, pdf_page_image, pdf_text

from geo.cli import main
from geo.printing import profile


@pytest.fixture(scope="module")
def commune_pdf(gpkg):
    return profile.render_profiles(["23368"], "commune", gpkg)


def test_commune_page_says_what_a_briefing_needs(commune_pdf):
    text = flat(pdf_text(commune_pdf))
    for words in (
        "HỒ SƠ XÃ",
        "Xã Đắk Long",
        "Mã 23368",
        "Huyện Đắk Glei",
        "Tỷ lệ hộ nghèo",
        "Đa chiều 2016–2020",
        "minh họa",
        "dữ liệu minh họa / demo data",
        "Xã năm 2025",
        "0,0 km — xã biên giới (Lào)",  # a border commune on Laos, measured in UTM 48N
        "Chất lượng ranh giới",
        "Xã thuộc CT 135",
        "Huyện nghèo 30a",
        "Nguồn",
        "Trang 1/1",
    ):
        assert words in text, words
    img = pdf_page_image(commune_pdf).convert("L")
    assert img.getextrema()[0] < 80  # not a blank page


def test_same_inputs_same_bytes(gpkg, commune_pdf):
    assert profile.render_profiles(["23368"], "commune", gpkg) == commune_pdf


def test_border_batch_one_page_per_border_commune(gpkg):
    codes = profile.border_codes(gpkg)
    assert len(codes) == 13
    text = flat(pdf_text(profile.render_profiles(codes, "commune", gpkg, "en")))
    assert text.count("COMMUNE PROFILE") == 13 and "Page 13/13" in text
    assert "border commune" in text


def test_district_series_breaks_at_a_change_of_standard(gpkg):
    ctx = profile.context(gpkg)
    unit = profile.unit_data(ctx, "district", "617")  # Tu Mơ Rông: 2016–2020 rates, then 2021 by NĐ 07
    fig = profile.page_figure(ctx, unit, "vi", 1, 1)
    lines = [ln for ax in fig.axes for ln in ax.get_lines() if ln.get_label().startswith("Tỷ lệ hộ nghèo —")]
    by_label = {ln.get_label(): list(ln.get_xdata()) for ln in lines}
    old = next(x for k, x in by_label.items() if "2016–2020" in k)
    new = next(x for k, x in by_label.items() if "2022-2025 (NĐ 07/2021/NĐ-CP)" in k)
    assert max(old) <= 2020 and min(new) >= 2021  # two lines, never one joining the standards
    assert unit.distances["any"] > 0 and unit.distances["roads"] >= 0


def test_works_and_2025_members(gpkg):
    ctx = profile.context(gpkg)
    with_works = profile.unit_data(ctx, "commune", "23537")
    assert len(with_works.works) == 3
    merged = profile.unit_data(ctx, "commune_2025", "23284")
    assert merged.members == ["23284", "23296", "23311"]
    text = flat(pdf_text(profile.render_profiles(["23284"], "commune_2025", gpkg)))
    assert "Phường Duy Tân (23284)" in text and "Tỉnh Quảng Ngãi" in text


@pytest.mark.parametrize(
    "codes, level, message",
    [
        ([], "commune", "code: give at least one unit code"),
        (["2336"], "commune", "code: malformed commune code '2336'"),
        (["99999"], "commune", "code: no commune with GSO code 99999"),
        (["617"], "province", "level: unknown level 'province'"),
        ([f"{i:05d}" for i in range(121)], "commune", "code: at most 120 units"),
    ],
)
def test_bad_requests_name_the_parameter(gpkg, codes, level, message):
    with pytest.raises(profile.ProfileError, match=message.replace("(", r"\(")):
        profile.check_request(codes, level, gpkg)


def test_cli_border_batch_and_errors(gpkg, tmp_path, capsys):
    out = tmp_path / "border.pdf"
    assert main(["profile", "--border", "--out", str(out)]) == 0
    assert "13 pages" in capsys.readouterr().out and out.read_bytes()[:5] == b"%PDF-"
    assert main(["profile", "123", "--out", str(tmp_path / "x.pdf")]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "code: malformed commune code '123'" in err
    assert main(["profile", "23368", "--out", str(tmp_path / "x.png")]) == 2
    assert "--out: the file name must end in .pdf" in capsys.readouterr().err
    assert not (tmp_path / "x.pdf").exists()


def test_cli_reads_postgis_when_database_url_is_set(pg_backend, configure, tmp_path):
    """With DATABASE_URL (and no --gpkg) `geo map` and `geo profile` read the database, not a file."""
    configure(database_url=pg_backend.url, database_schema=pg_backend.schema, gpkg=tmp_path / "absent.gpkg")
    sheet, page = tmp_path / "map.pdf", tmp_path / "profile.pdf"
    assert main(["map", "--layer", "poor_rate", "--year", "2020", "--out", str(sheet)]) == 0
    assert main(["profile", "23368", "--out", str(page)]) == 0
    assert "Xã Đắk Long" in flat(pdf_text(page.read_bytes()))
    assert "dữ liệu minh họa" in flat(pdf_text(sheet.read_bytes()))
