"""Text encodings of uploaded tables: UTF-8, Windows-1258 and the legacy fonts.

District offices still send tables typed in the pre-Unicode Vietnamese
fonts.  Two survive in practice:

TCVN3 (ABC, fonts ``.VnTime``…)
    one 8-bit code per Vietnamese letter: "Đắk Blô" is stored as
    ``§¾k Bl«``;
VNI (fonts ``VNI-Times``…)
    a base letter followed by a mark character: "Đăk" is ``Ñaêk``, "Việt"
    is ``Vieät``.

Excel keeps such text as the Latin-1 characters of the codes, so after
decoding the file the text looks garbled but is recoverable.
:func:`detect_legacy` recognises it from the characters (and pairs) that
never occur in Unicode Vietnamese; :func:`to_unicode` converts a cell.

:func:`decode` turns the bytes of a CSV into text: UTF-8 (with or without a
BOM), UTF-16 with a BOM (Excel's "Unicode text"), else Windows-1258 (whose
combining tone marks are composed to NFC).

>>> tcvn3_to_unicode("§¾k Bl«"), vni_to_unicode("Ñaêk Haø")
('Đắk Blô', 'Đăk Hà')
>>> detect_legacy(["Tên xã", "§¾k Bl«", "Ngäc Håi"]), detect_legacy(["Ñaêk Haø", "Kon Tum"])
('tcvn3', 'vni')
>>> detect_legacy(["Xã Đắk Blô", "Hoà Bình", "quá"]) is None
True
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field

# ---------------------------------------------------------------- TCVN3 (ABC)

# Unicode letter → the Latin-1 character of its TCVN3 code (TCVN 5712:1993,
# VN3).  Capital toned letters have no code of their own: the capital fonts
# (.VnTimeH) draw the lower-case codes as capitals.
_TCVN3_PAIRS = (
    "à µ á ¸ ả ¶ ã · ạ ¹ "
    "ă ¨ ằ » ắ ¾ ẳ ¼ ẵ ½ ặ Æ "
    "â © ầ Ç ấ Ê ẩ È ẫ É ậ Ë "
    "đ ® "
    "è Ì é Ð ẻ Î ẽ Ï ẹ Ñ "
    "ê ª ề Ò ế Õ ể Ó ễ Ô ệ Ö "
    "ì × í Ý ỉ Ø ĩ Ü ị Þ "
    "ò ß ó ã ỏ á õ â ọ ä "
    "ô « ồ å ố è ổ æ ỗ ç ộ é "
    "ơ ¬ ờ ê ớ í ở ë ỡ ì ợ î "
    "ù ï ú ó ủ ñ ũ ò ụ ô "
    "ư \u00ad ừ õ ứ ø ử ö ữ ÷ ự ù "
    "ỳ ú ý ý ỷ û ỹ ü ỵ þ "
    "Ă ¡ Â ¢ Đ § Ê £ Ô ¤ Ơ ¥ Ư ¦"
)


def _tcvn3_table() -> dict[str, str]:
    tokens = _TCVN3_PAIRS.split(" ")
    return {code: letter for letter, code in zip(tokens[0::2], tokens[1::2])}


TCVN3_TO_UNICODE: dict[str, str] = _tcvn3_table()

# Characters of Unicode Vietnamese that are also Latin-1 (and so may appear
# in a genuine Unicode cell): a TCVN3 code equal to one of them proves nothing.
_VI_LATIN1 = set("àáâãèéêìíòóôõùúýÀÁÂÃÈÉÊÌÍÒÓÔÕÙÚÝ")
TCVN3_MARKERS = frozenset(set(TCVN3_TO_UNICODE) - _VI_LATIN1)
# Codes VNI uses too (as marks after a vowel, or as its own letters).
_SHARED = "äåæëïñöøûüÑÖØËÆÎîÏ"
_TCVN3_ONLY = frozenset(TCVN3_MARKERS - set(_SHARED))
_CONSONANT = "bcdfghjklmnpqrstvxzBCDFGHJKLMNPQRSTVXZ"
# TCVN3 evidence: a code no VNI text uses, or a shared code standing for a
# vowel right after a consonant ("Ngäc" = Ngọc).
_TCVN3_RE = re.compile("[" + re.escape("".join(sorted(_TCVN3_ONLY))) + "]|(?<=[" + _CONSONANT + "])[" + _SHARED + "]")


def tcvn3_to_unicode(text: str) -> str:
    """Convert text typed in a TCVN3 (ABC) font to Unicode (NFC).

    A cell whose Latin letters are all capitals was typed in a capital font
    (.VnTimeH) and is returned in capitals.

    >>> tcvn3_to_unicode("Ngäc Håi"), tcvn3_to_unicode("Tu M¬ R«ng"), tcvn3_to_unicode("§¡K T¤")
    ('Ngọc Hồi', 'Tu Mơ Rông', 'ĐĂK TÔ')
    >>> tcvn3_to_unicode("HUYÖN §¾K Hµ")
    'HUYỆN ĐẮK HÀ'
    """
    out = "".join(TCVN3_TO_UNICODE.get(c, c) for c in text)
    letters = [c for c in text if c.isascii() and c.isalpha()]
    if len(letters) >= 2 and all(c.isupper() for c in letters):
        out = out.upper()
    return unicodedata.normalize("NFC", out)


# ---------------------------------------------------------------- VNI

# Marks as VNI writes them after the base letter (lower case; capitals are
# the upper-case characters): tones, then the shapes â/ê/ô (circumflex) and
# ă (breve) combined with a tone.
_VNI_TONES = {"ù": "\u0301", "ø": "\u0300", "û": "\u0309", "õ": "\u0303", "ï": "\u0323"}
_VNI_CIRCUMFLEX = {"â": "", "á": "\u0301", "à": "\u0300", "å": "\u0309", "ã": "\u0303", "ä": "\u0323"}
_VNI_BREVE = {"ê": "", "é": "\u0301", "è": "\u0300", "ú": "\u0309", "ü": "\u0303", "ë": "\u0323"}


def _vni_table() -> dict[str, str]:
    table: dict[str, str] = {}

    def add(seq: str, letter: str) -> None:
        letter = unicodedata.normalize("NFC", letter)
        table[seq] = letter
        table[seq.upper()] = letter.upper()
        if len(seq) == 2:  # capital base with a lower-case mark and vice versa
            table[seq[0].upper() + seq[1]] = letter.upper()

    for base in "aeouy":
        for mark, tone in _VNI_TONES.items():
            add(base + mark, base + tone)
    for base, shaped in (("a", "â"), ("e", "ê"), ("o", "ô")):
        for mark, tone in _VNI_CIRCUMFLEX.items():
            add(base + mark, shaped + tone)
    for mark, tone in _VNI_BREVE.items():
        add("a" + mark, "ă" + tone)
    for single, shaped in (("ô", "ơ"), ("ö", "ư")):  # horn letters are one code
        add(single, shaped)
        for mark, tone in _VNI_TONES.items():
            add(single + mark, shaped + tone)
    # i and ỵ are single codes (narrow letters): í ì æ ó ò, î
    for code, letter in (("í", "í"), ("ì", "ì"), ("æ", "ỉ"), ("ó", "ĩ"), ("ò", "ị"), ("î", "ỵ"), ("ñ", "đ")):
        add(code, letter)
    table["yù"], table["YÙ"] = "ý", "Ý"
    return table


VNI_TO_UNICODE: dict[str, str] = _vni_table()
_VNI_RE = re.compile("|".join(re.escape(k) for k in sorted(VNI_TO_UNICODE, key=len, reverse=True)))
# VNI evidence: a mark after a vowel that no Unicode Vietnamese spelling has
# (pairs like "oà", "uá", "uâ" also occur in Unicode: "hoà", "quá", "xuân"),
# or Đ/đ (Ñ/ñ) before a vowel.
_VNI_RE_STRONG = re.compile(
    "[aAeEyYôÔöÖ][ùÙøØûÛõÕïÏâÂáÁàÀåÅãÃäÄêÊéÉèÈúÚüÜëË]"
    "|[oOuU][øØûÛïÏåÅäÄëËüÜ]"
    r"|(?<![^\W\d_])[Ññ][aAeEoOuUôÔöÖ]"
)
# In a file found to be VNI, a cell is converted when it holds any VNI pair
# or one of the letters VNI writes as its own code.
_VNI_CELL_RE = re.compile("[aAeEoOuUyYôÔöÖ][ùÙøØûÛõÕïÏâÂáÁàÀåÅãÃäÄêÊéÉèÈúÚüÜëË]|[ñÑöÖîÎæÆôÔ]")


def vni_to_unicode(text: str) -> str:
    """Convert text typed in a VNI font to Unicode (NFC).

    >>> vni_to_unicode("Vieät Nam"), vni_to_unicode("Ngoïc Hoài"), vni_to_unicode("Tu Mô Roâng")
    ('Việt Nam', 'Ngọc Hồi', 'Tu Mơ Rông')
    >>> vni_to_unicode("ÑAÉK TOÂ"), vni_to_unicode("Xaõ Ñaék Bloâ")
    ('ĐẮK TÔ', 'Xã Đắk Blô')
    """
    return unicodedata.normalize("NFC", _VNI_RE.sub(lambda m: VNI_TO_UNICODE[m.group(0)], text))


# ---------------------------------------------------------------- detection

_UNICODE_VI = re.compile("[\u0100-\u024f\u1ea0-\u1eff\u0300-\u036f]")  # ă đ ơ ư ạ… or combining marks


def _tcvn3_score(text: str) -> int:
    return len(_TCVN3_RE.findall(text))


def _vni_score(text: str) -> int:
    return len(_VNI_RE_STRONG.findall(text))


def looks_unicode(text: str) -> bool:
    """True when ``text`` holds a letter only Unicode Vietnamese has (ă, đ, ơ, ư, ạ…).

    >>> looks_unicode("Đắk"), looks_unicode("Hòa Bình"), looks_unicode("§¾k")
    (True, False, False)
    """
    return bool(_UNICODE_VI.search(text))


def detect_legacy(texts: Iterable[object]) -> str | None:
    """``"tcvn3"``, ``"vni"`` or ``None`` for the cells ``texts`` of one file.

    Cells that contain Unicode-only letters are ignored (a header typed
    later in Unicode does not hide legacy data below it).
    """
    tcvn = vni = 0
    for text in texts:
        if not isinstance(text, str) or looks_unicode(text):
            continue
        tcvn, vni = tcvn + _tcvn3_score(text), vni + _vni_score(text)
    if tcvn == vni == 0:
        return None
    return "tcvn3" if tcvn > vni else "vni"


def needs_conversion(text: str, legacy: str) -> bool:
    """Whether one cell of a ``legacy`` file carries legacy codes."""
    if not isinstance(text, str) or looks_unicode(text):
        return False
    if legacy == "tcvn3":
        return any(c in TCVN3_MARKERS for c in text)
    return bool(_VNI_CELL_RE.search(text))


def to_unicode(text: str, legacy: str) -> str:
    """Convert one cell from ``legacy`` (``tcvn3`` / ``vni``) when it needs it."""
    if not needs_conversion(text, legacy):
        return text
    return tcvn3_to_unicode(text) if legacy == "tcvn3" else vni_to_unicode(text)


def force_to_unicode(text: str, legacy: str) -> str:
    """Convert a cell of a ``legacy`` file even without proof that it is legacy text.

    Some TCVN3 words use only codes that are Latin-1 Vietnamese letters
    ("Sè hé nghÌo" = "Số hộ nghèo"); a caller that can check the result
    (a header it recognises, a unit name it finds) uses this as a second try.

    >>> force_to_unicode("Sè hé nghÌo", "tcvn3"), force_to_unicode("Xã Đắk Blô", "tcvn3")
    ('Số hộ nghèo', 'Xã Đắk Blô')
    """
    if not isinstance(text, str) or looks_unicode(text):
        return text
    return tcvn3_to_unicode(text) if legacy == "tcvn3" else vni_to_unicode(text)


LEGACY_NAMES = {"tcvn3": "TCVN3 (ABC, .VnTime)", "vni": "VNI (VNI-Times)"}


@dataclass
class Converted:
    """What :func:`convert_cells` did: the legacy encoding, how many cells, examples."""

    legacy: str | None = None
    cells: int = 0
    examples: list[tuple[str, str]] = field(default_factory=list)

    def warning(self) -> str | None:
        if not self.legacy or not self.cells:
            return None
        ex = "; ".join(f"'{a}' → '{b}'" for a, b in self.examples[:3])
        return (
            f"text typed in the legacy {LEGACY_NAMES[self.legacy]} font encoding was converted "
            f"to Unicode in {self.cells} cells (e.g. {ex}); check the names"
        )


def convert_cells(cells: list[list], legacy: str | None = None) -> tuple[list[list], Converted]:
    """Convert the legacy-font text cells of a table (a list of rows) to Unicode."""
    if legacy is None:
        legacy = detect_legacy(c for row in cells for c in row)
    info = Converted(legacy)
    if legacy is None:
        return cells, info
    out = []
    for row in cells:
        new_row = []
        for c in row:
            if isinstance(c, str) and needs_conversion(c, legacy):
                new = to_unicode(c, legacy)
                if new != c:
                    info.cells += 1
                    if len(info.examples) < 5:
                        info.examples.append((c, new))
                c = new
            new_row.append(c)
        out.append(new_row)
    return out, info


# ---------------------------------------------------------------- bytes → text


class EncodingError(ValueError):
    """The bytes are not text in any supported encoding."""


@dataclass
class Decoded:
    text: str
    encoding: str
    warnings: list[str] = field(default_factory=list)


def _cp1252(data: bytes) -> str:
    # Bytes that cp1252 leaves undefined are the Latin-1 control characters.
    return (
        data.decode("cp1252", errors="strict")
        if not any(b in data for b in (0x81, 0x8D, 0x8F, 0x90, 0x9D))
        else "".join(
            bytes([b]).decode("latin-1") if b in (0x81, 0x8D, 0x8F, 0x90, 0x9D) else bytes([b]).decode("cp1252")
            for b in data
        )
    )


def decode(data: bytes) -> Decoded:
    """Decode the bytes of a text file; NFC; say which encoding was used.

    >>> decode("Mã xã".encode("utf-8-sig")).encoding, decode(encode_cp1258("Đắk")).text
    ('utf-8-sig', 'Đắk')
    >>> decode("Tên xã,§¾k".encode("cp1252")).encoding
    'cp1252'
    """
    if data.startswith(b"\xef\xbb\xbf"):
        enc = "utf-8-sig"
    elif data.startswith((b"\xff\xfe", b"\xfe\xff")):
        enc = "utf-16"
    else:
        enc = "utf-8"
    try:
        return Decoded(unicodedata.normalize("NFC", data.decode(enc)), enc)
    except UnicodeDecodeError as exc:
        if enc != "utf-8":
            raise EncodingError(
                f"not valid {enc.upper()} text (byte 0x{data[exc.start]:02x} at position {exc.start})"
            ) from None
        utf8_error = exc
    # Not UTF-8: an 8-bit Windows file.  Unicode Vietnamese is saved as
    # Windows-1258 (tone marks as combining characters after the vowel);
    # legacy-font text as the Western code page (cp1252).
    warn = f"the file is not UTF-8 (byte 0x{data[utf8_error.start]:02x} at position {utf8_error.start}); read as"
    try:
        vi = data.decode("cp1258")
    except UnicodeDecodeError:
        vi = None
    if vi is not None and _cp1258_plausible(vi):
        return Decoded(
            unicodedata.normalize("NFC", vi),
            "cp1258",
            [f"{warn} Windows-1258 (Vietnamese); save as 'CSV UTF-8' to be sure"],
        )
    latin = _cp1252(data)
    legacy = detect_legacy(latin.splitlines())
    if legacy == "tcvn3" and not any(c in _TCVN3_HIGH for c in latin):
        legacy = None  # only letters Windows-1258 has too: not proof of TCVN3
    if legacy:
        return Decoded(latin, "cp1252", [f"{warn} Windows-1252 with {LEGACY_NAMES[legacy]} text"])
    if vi is None:
        raise EncodingError(
            "not a text file in UTF-8 or Windows-1258 (bytes such as 0x81 are not text); save it as 'CSV UTF-8'"
        )
    return Decoded(
        unicodedata.normalize("NFC", vi),
        "cp1258",
        [f"{warn} Windows-1258 (Vietnamese); save as 'CSV UTF-8' to be sure"],
    )


# TCVN3 codes 0xA1-0xBF: symbols in every Windows code page, never in Vietnamese text.
_TCVN3_HIGH = frozenset(c for c in TCVN3_TO_UNICODE if 0xA1 <= ord(c) <= 0xBF)


def _cp1258_plausible(text: str) -> bool:
    """Windows-1258 text: tone marks that all sit on a vowel, no TCVN3 symbols."""
    marks = sum(c in _TONES for c in text)
    if not marks or any(c in _TCVN3_HIGH for c in text):
        return False
    left = sum(bool(unicodedata.combining(c)) for c in unicodedata.normalize("NFC", text))
    return left == 0


_TONES = "\u0300\u0301\u0303\u0309\u0323"


def encode_cp1258(text: str) -> bytes:
    """Encode as Windows-1258 does: letters with a shape, tone marks apart.

    Python's ``cp1258`` codec has no precomposed toned letters (ắ, ộ…);
    Windows writes them as the base letter and a combining tone mark.

    >>> encode_cp1258("Đắk").hex(" ")
    'd0 e3 ec 6b'
    """
    out = bytearray()
    for ch in unicodedata.normalize("NFC", text):
        try:
            out += ch.encode("cp1258")
            continue
        except UnicodeEncodeError:
            pass
        parts = unicodedata.normalize("NFD", ch)
        base = unicodedata.normalize("NFC", "".join(c for c in parts if c not in _TONES))
        out += base.encode("cp1258") + "".join(c for c in parts if c in _TONES).encode("cp1258")
    return bytes(out)


# ---------------------------------------------------------------- Unicode → legacy (fixtures, tests)

_UNICODE_TO_TCVN3 = {letter: code for code, letter in TCVN3_TO_UNICODE.items()}
_UNICODE_TO_VNI = {}
for _seq, _letter in VNI_TO_UNICODE.items():
    # keep the canonical spelling: lower-case marks on lower-case letters, upper on upper
    if _letter.islower() == _seq.islower() or not any(c.isalpha() for c in _seq[1:]):
        _UNICODE_TO_VNI.setdefault(_letter, _seq)


def unicode_to_tcvn3(text: str) -> str:
    """Write ``text`` as a TCVN3 (ABC) font would store it (capital toned letters as small).

    >>> unicode_to_tcvn3("Xã Đắk Blô")
    'X· §¾k Bl«'
    """
    text = unicodedata.normalize("NFC", text)
    return "".join(_UNICODE_TO_TCVN3.get(c, _UNICODE_TO_TCVN3.get(c.lower(), c)) for c in text)


def unicode_to_vni(text: str) -> str:
    """Write ``text`` as a VNI font would store it.

    >>> unicode_to_vni("Xã Đắk Blô"), vni_to_unicode(unicode_to_vni("Ngọc Hồi"))
    ('Xaõ Ñaék Bloâ', 'Ngọc Hồi')
    """
    text = unicodedata.normalize("NFC", text)
    return "".join(_UNICODE_TO_VNI.get(c, c) for c in text)
