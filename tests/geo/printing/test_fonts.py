"""The reduced printing font: Vietnamese complete, layout tables gone, the full font as fallback."""

from __future__ import annotations

from pathlib import Path

from fontTools.ttLib import TTFont
from matplotlib import font_manager

from geo.printing import fonts

VIETNAMESE = "ĂÂĐÊÔƠƯăâđêôơưÁÀẢÃẠẮẰẲẴẶẤẦẨẪẬáàảãạắằẳẵặấầẩẫậéèẻẽẹếềểễệíìỉĩịóòỏõọốồổỗộớờởỡợúùủũụứừửữựýỳỷỹỵ"


def _reduced_files() -> list[Path]:
    assert fonts.printing_family() == fonts.FAMILY
    found = {
        Path(f.fname) for f in font_manager.fontManager.ttflist if f.name == fonts.FAMILY and Path(f.fname).exists()
    }
    return sorted(found)


def test_the_reduced_font_has_every_vietnamese_letter_and_no_layout_tables():
    files = _reduced_files()
    assert len(files) == len(fonts.STYLES)
    for path in files:
        font = TTFont(path)
        cmap = font.getBestCmap()
        missing = [ch for ch in VIETNAMESE + "≥≤●▲⚠→·–—…²" if ord(ch) not in cmap]
        assert missing == [], (path.name, missing)
        assert not {"GSUB", "GPOS"} & set(font.keys())
        assert font["name"].getDebugName(1) == fonts.FAMILY
        assert path.stat().st_size < 0.3 * (Path(font_manager.findfont(fonts.SOURCE_FAMILY)).stat().st_size)


def test_a_profile_embeds_the_reduced_font_and_keeps_its_words(gpkg):
    from geo.printing import profile

    pdf = profile.render_profiles(["23368"], "commune", gpkg)
    assert b"DejaVuSansKT" in pdf and b"/DejaVuSans-" not in pdf.replace(b"DejaVuSansKT", b"")


def test_printing_falls_back_to_the_full_font_when_it_cannot_be_reduced(monkeypatch, tmp_path):
    monkeypatch.setattr(fonts.tempfile, "gettempdir", lambda: str(tmp_path / "missing" / "deeper"))
    assert fonts.printing_family.__wrapped__() == fonts.SOURCE_FAMILY
