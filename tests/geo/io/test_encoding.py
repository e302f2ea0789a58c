"""Encodings of uploaded tables: UTF-8 variants, Windows-1258, TCVN3 and VNI fonts."""

import unicodedata

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from geo.io import encoding as enc

# Every Vietnamese letter (lower case), by base vowel: plain, grave, acute, hook, tilde, dot.
VOWELS = "aàáảãạ ăằắẳẵặ âầấẩẫậ eèéẻẽẹ êềếểễệ iìíỉĩị oòóỏõọ ôồốổỗộ ơờớởỡợ uùúủũụ ưừứửữự yỳýỷỹỵ"
LETTERS = VOWELS.replace(" ", "") + "đ"
TONED = [c for c in LETTERS if c not in "aăâeêioôơuưyđ"]


def test_tables_cover_every_letter_and_are_one_to_one():
    assert len(LETTERS) == len(set(LETTERS)) == 12 * 6 + 1
    tcvn = {c: enc.unicode_to_tcvn3(c) for c in LETTERS if c not in "aeiouy"}
    assert all(len(code) == 1 and ord(code) > 0x7F for code in tcvn.values()), tcvn
    assert len(set(tcvn.values())) == len(tcvn)  # no two letters share a code
    for c in LETTERS:
        assert enc.tcvn3_to_unicode(enc.unicode_to_tcvn3(c)) == c
        for form in (c, c.upper()):
            assert enc.vni_to_unicode(enc.unicode_to_vni(form)) == form, form


@pytest.mark.parametrize(
    "legacy, text, expected",
    [
        ("tcvn3", "§¾k Bl«", "Đắk Blô"),
        ("tcvn3", "X· Ngäc Linh", "Xã Ngọc Linh"),
        ("tcvn3", "Tu M¬ R«ng", "Tu Mơ Rông"),
        ("tcvn3", "Sè hé cËn nghÌo", "Số hộ cận nghèo"),
        ("tcvn3", "HUYÖN §¾K Hµ", "HUYỆN ĐẮK HÀ"),  # capital font (.VnTimeH)
        ("vni", "Ñaêk Haø", "Đăk Hà"),
        ("vni", "Ñaék Bloâ", "Đắk Blô"),
        ("vni", "Xaõ Ngoïc Linh", "Xã Ngọc Linh"),
        ("vni", "Möôøng Hoong", "Mường Hoong"),
        ("vni", "Soá hoä caän ngheøo", "Số hộ cận nghèo"),
        ("vni", "ÑAÉK TOÂ", "ĐẮK TÔ"),
    ],
)
def test_known_conversions(legacy, text, expected):
    convert = enc.tcvn3_to_unicode if legacy == "tcvn3" else enc.vni_to_unicode
    assert convert(text) == expected
    assert enc.detect_legacy([text]) == legacy


@pytest.mark.parametrize(
    "texts",
    [
        ["Xã Đắk Blô", "Thị trấn Plei Kần"],
        ["Hoà Bình", "quá", "xuân", "Khoẻ"],  # old-style tone placement is Unicode, not VNI
        ["Tên xã", "Số hộ nghèo", "Kon Tum", "12,5%"],
        ["Ia H'Drai", "Mã xã", "Hòa Bình"],
    ],
)
def test_unicode_text_is_not_taken_for_legacy(texts):
    assert enc.detect_legacy(texts) is None
    cells, info = enc.convert_cells([texts])
    assert cells == [texts] and info.cells == 0 and info.warning() is None


def test_detection_on_all_commune_names(communes):
    names = list(communes["name"]) + list(communes["district_name"].unique())
    assert enc.detect_legacy(names) is None
    assert enc.detect_legacy([enc.unicode_to_tcvn3(n) for n in names]) == "tcvn3"
    assert enc.detect_legacy([enc.unicode_to_vni(n) for n in names]) == "vni"
    for legacy, write in (("tcvn3", enc.unicode_to_tcvn3), ("vni", enc.unicode_to_vni)):
        rows = [[write(n)] for n in names]
        cells, info = enc.convert_cells(rows)
        back = [c[0] for c in cells]
        # TCVN3 has no capital toned letters: compare case-insensitively there
        same = [
            (a.casefold() if legacy == "tcvn3" else a) == (b.casefold() if legacy == "tcvn3" else b)
            for a, b in zip(back, names)
        ]
        assert all(same), [(a, b) for a, b, ok in zip(back, names, same) if not ok][:5]
        assert info.legacy == legacy and info.cells > 90
        assert "converted to Unicode" in info.warning()


def test_unicode_header_in_a_legacy_file_is_left_alone():
    rows = [["Tên xã", "Số hộ nghèo"], ["§¾k Bl«", "12"], ["Ngäc Linh", "3"]]
    cells, info = enc.convert_cells(rows)
    assert cells[0] == ["Tên xã", "Số hộ nghèo"]
    assert [r[0] for r in cells[1:]] == ["Đắk Blô", "Ngọc Linh"]
    assert info.cells == 2


def test_decode_utf8_variants():
    text = "Mã xã,Tên xã\n23344,Xã Đắk Blô\n"
    assert enc.decode(text.encode("utf-8")).encoding == "utf-8"
    d = enc.decode(text.encode("utf-8-sig"))
    assert d.encoding == "utf-8-sig" and d.text == text and not d.warnings
    assert enc.decode(text.encode("utf-16")).text == text
    # decomposed (NFD) input comes out composed
    assert enc.decode(unicodedata.normalize("NFD", text).encode()).text == text


def test_decode_windows_1258():
    text = "Mã xã,Tên xã\n23344,Xã Đắk Blô\n,Thị trấn Plei Kần\n"
    data = enc.encode_cp1258(text)
    assert data != text.encode("cp1258", errors="ignore")
    d = enc.decode(data)
    assert d.encoding == "cp1258" and d.text == text
    assert "Windows-1258" in d.warnings[0]


@pytest.mark.parametrize("legacy, write", [("tcvn3", enc.unicode_to_tcvn3), ("vni", enc.unicode_to_vni)])
def test_decode_legacy_bytes(legacy, write):
    text = "Tên xã,Huyện\nXã Đắk Blô,Huyện Đắk Glei\nXã Ngọc Linh,Huyện Đắk Glei\n"
    d = enc.decode(write(text).encode("cp1252"))
    assert d.encoding == "cp1252" and enc.LEGACY_NAMES[legacy] in d.warnings[0]
    assert enc.detect_legacy(d.text.splitlines()) == legacy


def test_undecodable_bytes():
    with pytest.raises(enc.EncodingError, match="UTF-8 or Windows-1258"):
        enc.decode(b"a,b\n\x81\x8a\x8d,1\n")
    with pytest.raises(enc.EncodingError, match="UTF-16"):
        enc.decode(b"\xff\xfe\x00\xd8")  # a lone surrogate


vietnamese_words = st.lists(
    st.text(alphabet=st.sampled_from(list("bcdđghklmnpqrstvx") + TONED + list("aeiouy")), min_size=1, max_size=7),
    min_size=1,
    max_size=5,
).map(" ".join)


@settings(max_examples=200, deadline=None)
@given(vietnamese_words)
def test_vni_round_trip(text):
    assert enc.vni_to_unicode(enc.unicode_to_vni(text)) == text
    assert enc.vni_to_unicode(enc.unicode_to_vni(text.title())) == text.title()


@settings(max_examples=200, deadline=None)
@given(vietnamese_words)
def test_tcvn3_round_trip(text):
    assert enc.tcvn3_to_unicode(enc.unicode_to_tcvn3(text)) in (text, text.upper())


@settings(max_examples=100, deadline=None)
@given(vietnamese_words)
def test_unicode_never_changed_by_conversion_of_its_own_cells(text):
    # A genuine Unicode cell with a letter only Unicode has is never converted.
    cell = text + " ạ"
    assert enc.to_unicode(cell, "tcvn3") == cell and enc.to_unicode(cell, "vni") == cell
