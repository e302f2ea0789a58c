"""The printing font: matplotlib's DejaVu Sans, reduced once to the scripts a sheet uses.

matplotlib embeds TrueType fonts in a PDF by subsetting them with fontTools at
every save.  DejaVu Sans carries some 6,000 glyphs and large OpenType layout
tables (GSUB/GPOS) that matplotlib's own text layout never reads (it kerns with
FreeType); decompiling them was most of a commune profile's time (1.9 s of CPU
per page, target 1 s).  So the three styles a sheet uses are reduced once per
process to Latin with the Vietnamese letters, combining marks, punctuation and
the symbols of the sheets (arrows, ≥, ●, ⚠), without the layout tables, renamed
"DejaVu Sans KT" and registered with matplotlib; DejaVu Sans itself stays as the
fallback for any other character.  The reduced files live in the system temp
folder under a name made from the source font's bytes and this module's glyph
set, written atomically (several workers may race), so nothing is written
elsewhere and a changed font or glyph set makes new files.

>>> family = printing_family()
>>> family in ("DejaVu Sans KT", "DejaVu Sans")
True
"""

from __future__ import annotations

import functools
import hashlib
import logging
import os
import tempfile
from pathlib import Path

from matplotlib import font_manager

LOG = logging.getLogger(__name__)

SOURCE_FAMILY = "DejaVu Sans"
FAMILY = "DejaVu Sans KT"
STYLES = ("DejaVuSans.ttf", "DejaVuSans-Bold.ttf", "DejaVuSans-Oblique.ttf")
#: Unicode blocks kept: Latin (with Latin Extended Additional: ạ ả ấ … ỹ), combining marks,
#: punctuation, super/subscripts, currency, letterlike, arrows, maths, shapes, misc symbols.
RANGES = (
    (0x20, 0x7E),
    (0xA0, 0x24F),
    (0x300, 0x36F),
    (0x1E00, 0x1EFF),
    (0x2000, 0x206F),
    (0x2070, 0x209F),
    (0x20A0, 0x20CF),
    (0x2100, 0x214F),
    (0x2190, 0x21FF),
    (0x2200, 0x22FF),
    (0x25A0, 0x25FF),
    (0x2600, 0x26FF),
)


def _reduce(src: Path, dest: Path) -> None:
    """Write ``src`` reduced to :data:`RANGES`, without layout tables, renamed :data:`FAMILY`."""
    from fontTools import subset

    opts = subset.Options()
    opts.layout_features = []
    opts.drop_tables += ["GSUB", "GPOS", "GDEF", "FFTM"]
    opts.hinting = False
    opts.notdef_outline = True
    font = subset.load_font(str(src), opts)
    sub = subset.Subsetter(opts)
    sub.populate(unicodes=[u for a, b in RANGES for u in range(a, b + 1)])
    sub.subset(font)
    for rec in font["name"].names:
        if rec.nameID in (1, 3, 4, 16):
            rec.string = rec.toUnicode().replace(SOURCE_FAMILY, FAMILY)
        elif rec.nameID == 6:
            rec.string = rec.toUnicode().replace("DejaVuSans", "DejaVuSansKT")
    fd, tmp = tempfile.mkstemp(dir=dest.parent, suffix=".part")
    os.close(fd)
    try:
        subset.save_font(font, tmp, opts)
        os.replace(tmp, dest)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


@functools.cache
def printing_family() -> str:
    """The font family the sheets are drawn in: :data:`FAMILY` once its files are made and
    registered, :data:`SOURCE_FAMILY` if that fails (logged; the output is the same, slower)."""
    try:
        regular = Path(font_manager.findfont(font_manager.FontProperties(family=SOURCE_FAMILY)))
        sources = [regular.with_name(name) for name in STYLES]
        digest = hashlib.sha256(repr(RANGES).encode())
        for src in sources:
            digest.update(src.read_bytes())
        folder = Path(tempfile.gettempdir()) / f"kontum-map-fonts-{digest.hexdigest()[:16]}"
        folder.mkdir(exist_ok=True)
        for src in sources:
            dest = folder / src.name.replace("DejaVuSans", "DejaVuSansKT")
            if not dest.exists():
                _reduce(src, dest)
            font_manager.fontManager.addfont(str(dest))
        return FAMILY
    except Exception as exc:  # a missing tool or a read-only temp folder must not stop printing
        LOG.warning("printing with the full %s (could not reduce it: %s)", SOURCE_FAMILY, exc)
        return SOURCE_FAMILY
