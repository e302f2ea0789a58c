"""geo.printing.profile: one profile per unit, Vietnamese text found by pdftotext, standards never joined,
every source cited printed."""

from __future__ import annotations

import re

import pytest
from fixtures.printed import flat, pdf_page_image, pdf_text

from geo.cli import main
from geo.printing import citations, profile


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
        "Hồ sơ 1/1",
    ):
        assert words in text, words
    img = pdf_page_image(commune_pdf).convert("L")
    assert img.getextrema()[0] < 80  # not a blank page


def test_same_inputs_same_bytes(gpkg, commune_pdf):
    assert profile.render_profiles(["23368"], "commune", gpkg) == commune_pdf


def test_border_batch_one_profile_per_border_commune(gpkg):
    codes = profile.border_codes(gpkg)
    assert len(codes) == 13
    text = flat(pdf_text(profile.render_profiles(codes, "commune", gpkg, "en")))
    assert all(f"Profile {i}/13" in text for i in range(1, 14)) and "Profile 14/13" not in text
    assert "border commune" in text


def _references(pdf: bytes) -> tuple[list[str], str, list[int], set[int]]:
    pages = pdf_text(pdf).split("\f")
    text = "\n".join(pages)
    printed = [int(n) for n in re.findall(r"^\[(\d+)\] ", text, flags=re.M)]
    cited = {int(n) for marks in re.findall(r"\[([\d,]+)…?\]", text) for n in marks.split(",")}
    return [p for p in pages if p.strip()], text, printed, cited


def test_every_source_cited_is_printed_once_per_document(commune_pdf):
    """Đắk Long cites 15 documents on one page: the table's marks all resolve to a printed
    reference (the page used to stop at [8] of 21 fragments) and the report 112-BC/TU is one
    reference with its sections."""
    pages, text, printed, cited = _references(commune_pdf)
    assert printed == list(range(1, 16)) and cited <= set(printed)
    assert (
        text.count("Báo cáo số 112-BC/TU ngày 11/8/2021") == 1
        and "mục II.3.1 (tính đến 31-12-2020); chú thích 19" in text
    )
    assert len(pages) == 1 and "tiếp theo" not in text


def test_references_that_do_not_fit_go_on_to_a_continuation_page(gpkg):
    """Đắk Na (three works, each with its own sources) cites more than one page holds."""
    pages, text, printed, cited = _references(profile.render_profiles(["23407"], "commune", gpkg))
    assert len(pages) == 2 and "Nguồn (tiếp theo)" in pages[1] and "Hồ sơ 1/1 · tiếp theo" in pages[1]
    assert printed == list(range(1, len(printed) + 1)) and cited <= set(printed)
    assert re.search(r"^\[\d+\] ", pages[1], flags=re.M)  # whole references moved, none dropped


@pytest.mark.parametrize(
    "cell, parts",
    [
        ("a (x; y); b", ["a (x; y)", "b"]),  # a "; " inside brackets is part of one citation
        ("R — f.txt, mục 1 và chú thích 2", ["R — f.txt, mục 1 và chú thích 2"]),
        ("", []),
    ],
)
def test_split_sources(cell, parts):
    assert citations.split_sources(cell) == parts


def test_references_number_documents_and_list_sections():
    s = citations.References()
    assert s.number("R — f.txt, mục 1") == "1"
    assert s.number("calibrated to: R — f.txt, mục 2; GSO census") == "2,3"
    assert s.number("R — f.txt, mục 1 và chú thích 19") == "1"
    assert s.entries() == ["R — f.txt: mục 1; chú thích 19", "calibrated to: [1]: mục 2", "GSO census"]


def test_district_series_breaks_at_a_change_of_standard(gpkg):
    ctx = profile.context(gpkg)
    unit = profile.unit_data(ctx, "district", "617")  # Tu Mơ Rông: 2016–2020 rates, then 2021 by NĐ 07
    fig = profile.page_figure(ctx, unit, "vi", 1, 1)[0]
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
    assert "13 profiles" in capsys.readouterr().out and out.read_bytes()[:5] == b"%PDF-"
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
