"""Vietnamese administrative names: normalising, folding and matching.

Three keys, from strict to loose:

``normalize``
    NFC, case-folded, apostrophes unified, whitespace collapsed and the
    administrative prefix (Xã, Phường, TT., TP, Huyện…) removed.
``fold``
    ``normalize`` without diacritics (đ → d) and with the spelling variants
    seen in Kon Tum sources unified (Đăk/Đắk/Dak → dak, Ngọc/Ngọk → ngok,
    Ya → ia, Kroong → krong…).
compact key
    ``fold`` without spaces, so "Pleikần" meets "Plei Kần", "Ialy" "Ya Ly".

:class:`NameIndex` matches a name (with an optional district and code) to
one unit, and says how; it never guesses between same-named units.

>>> normalize("  Xã  Đắk   KRoong ")
'đắk kroong'
>>> fold("Xã Đắk KRoong") == fold("Đăk Kroong")
True
>>> fold("TP. Kon Tum"), fold("Huyện Ia H' Drai")
('kon tum', 'ia hdrai')
"""

from __future__ import annotations

import math
import re
import unicodedata
from dataclasses import dataclass, replace

import pandas as pd

# Administrative prefixes, case-folded, longest first; the unit type each
# one names.  Accent-less spellings are accepted too ("Xa Dak Blo").
_PREFIXES = {
    "thành phố": "Thành phố",
    "thanh pho": "Thành phố",
    "tp.": "Thành phố",
    "tp": "Thành phố",
    "thị trấn": "Thị trấn",
    "thi tran": "Thị trấn",
    "tt.": "Thị trấn",
    "tt": "Thị trấn",
    "thị xã": "Thị xã",
    "thi xa": "Thị xã",
    "tx.": "Thị xã",
    "tx": "Thị xã",
    "phường": "Phường",
    "phuong": "Phường",
    "p.": "Phường",
    "huyện": "Huyện",
    "huyen": "Huyện",
    "h.": "Huyện",
    "quận": "Quận",
    "quan": "Quận",
    "tỉnh": "Tỉnh",
    "tinh": "Tỉnh",
    "xã": "Xã",
    "xa": "Xã",
}
# A prefix is followed by a space or by its own dot ("TP.Kon Tum"), and by a name.
_PREFIX_RE = re.compile(
    r"^(" + "|".join(re.escape(p) for p in sorted(_PREFIXES, key=len, reverse=True)) + r")"
    r"(?:(?<=\.)\s*|\s+)(?=\S)"
)
_APOSTROPHES = str.maketrans({c: "'" for c in "’‘ʼ`´′"})

# Syllables written several ways in the sources (after marks are removed).
_SYLLABLES = {"dac": "dak", "ngoc": "ngok", "ya": "ia"}

# Whole-name spellings found in the sources, by compact key → canonical fold.
_NAME_VARIANTS = {
    "dakpet": "dak pek",  # P135 2016 list, report 000: "Đăk Pét" = Xã Đắk Pék (Đắk Glei)
    "dakpone": "dak pne",  # P135 2016 list: "Đăk Pô Ne" = Xã Đắk Pne (Kon Rẫy)
    "mangbut": "mang buk",  # P135 lists, NTM list: "Măng Bút" = Xã Măng Buk (Kon Plông)
    "dakplo": "dak blo",  # census 2019: "Xã Đắk Plô" = Xã Đắk Blô (Đắk Glei)
    "pleican": "plei kan",  # census 2019: "Thị trấn Plei Cần" = Thị trấn Plei Kần
    "poy": "bo y",  # census 2019, NTM list: "Pờ Y" = Xã Bờ Y (Ngọc Hồi)
}

# Former names of current units, by GSO code.  Matched only when no current
# name fits (method ``former``).
FORMER_NAMES = {
    # Census 2019 lists code 23473 (Kon Plông) as "Xã Đắk Long"; the GSO list
    # of 2020 gives the same code to Thị trấn Măng Đen.
    "23473": ("Xã Đắk Long",),
}

METHODS = ("code", "exact", "normalized", "folded", "former", "ambiguous", "unmatched")
CODE_WIDTH = {"commune": 5, "district": 3}


def _missing(value) -> bool:
    if value is None or value is pd.NA or value is pd.NaT:
        return True
    return isinstance(value, float) and math.isnan(value)


def clean_text(value: object) -> str | None:
    """NFC text with whitespace collapsed; ``None`` for empty or missing.

    >>> clean_text("  Xã\u00a0 Đắk Blô "), clean_text(float("nan"))
    ('Xã Đắk Blô', None)
    """
    if _missing(value):
        return None
    text = " ".join(unicodedata.normalize("NFC", str(value)).split())
    return text or None


def clean_code(value: object, width: int | None = None) -> str | None:
    """A code as text: ``23344.0`` → ``"23344"``, zero-padded to ``width``.

    >>> clean_code(23344.0), clean_code(" 608 "), clean_code(62, 3), clean_code("")
    ('23344', '608', '062', None)
    """
    if _missing(value):
        return None
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    text = str(value).strip()
    if re.fullmatch(r"\d+\.0+", text):
        text = text.split(".")[0]
    if not text:
        return None
    if width and text.isdigit() and len(text) < width:
        text = text.zfill(width)
    return text


def _normalize_once(text: str) -> str:
    text = unicodedata.normalize("NFC", unicodedata.normalize("NFC", text).casefold())
    text = " ".join(text.translate(_APOSTROPHES).split())
    text = re.sub(r"\s*'\s*", "'", text)
    while m := _PREFIX_RE.match(text):
        text = text[m.end() :]
    return text


def normalize(name: object) -> str:
    """Case-, spacing- and prefix-insensitive form; diacritics kept.

    >>> normalize("TT. Plei Kần"), normalize("Phường  Quang Trung")
    ('plei kần', 'quang trung')
    >>> normalize("Ia H' Drai") == normalize("Huyện Ia H’Drai")
    True
    """
    text = "" if _missing(name) else str(name)
    for _ in range(4):  # case folding and NFC settle in one or two rounds
        new = _normalize_once(text)
        if new == text:
            break
        text = new
    return text


def split_prefix(name: object) -> tuple[str | None, str]:
    """The unit type named by the prefix (or ``None``) and the normalised rest.

    >>> split_prefix("TT Đắk Hà"), split_prefix("Đắk Hà")
    (('Thị trấn', 'đắk hà'), (None, 'đắk hà'))
    """
    text = " ".join(unicodedata.normalize("NFC", str(name)).casefold().split())
    m = _PREFIX_RE.match(text)
    return (_PREFIXES[m.group(1)] if m else None), normalize(name)


def fold(name: object) -> str:
    """Diacritic-insensitive key with the regional spelling variants unified.

    >>> fold("Xã Ngọk Wang"), fold("ngoc wang"), fold("Rờ Kơi") == fold("Xã Rơ Kơi")
    ('ngok wang', 'ngok wang', True)
    >>> fold("Xã Ya ly"), fold("la Tơi"), fold("Sa Long") == fold("Xã Sa Loong")
    ('ia ly', 'ia toi', True)
    """
    text = unicodedata.normalize("NFD", normalize(name))
    text = "".join(c for c in text if not unicodedata.combining(c))
    text = text.replace("đ", "d").replace("'", "")
    tokens = re.sub(r"[\W_]+", " ", text).split()
    tokens = [_SYLLABLES.get(t, t).replace("oo", "o") for t in tokens]
    if tokens[:1] == ["la"]:  # "la" is "Ia" misread (l/I look alike)
        tokens[0] = "ia"
    key = " ".join(tokens)
    return _NAME_VARIANTS.get(key.replace(" ", ""), key)


def compact(name: object) -> str:
    """``fold`` without spaces: the key the index matches on.

    >>> compact("Ialy") == compact("Xã Ya ly") == "ialy"
    True
    """
    return fold(name).replace(" ", "")


@dataclass(frozen=True)
class Match:
    """How one name (and/or code) resolved.

    ``gso_code`` is set when exactly one unit was found; ``method`` is one of
    :data:`METHODS`; ``candidates`` lists the codes of an ambiguous name;
    ``key`` is the form that matched.  ``reason`` explains ``unmatched``
    (``empty``, ``unknown_code``, ``unknown_district``, ``not_in_district``,
    ``not_found``) with ``detail`` (the code or district) and ``elsewhere``
    (codes of the name in other districts).  When a code was given,
    ``code_given`` holds it and ``name_match`` what the name alone gave.
    """

    gso_code: str | None
    method: str
    candidates: tuple[str, ...] = ()
    key: str = ""
    name: str | None = None
    reason: str = ""
    detail: str = ""
    elsewhere: tuple[str, ...] = ()
    warnings: tuple[str, ...] = ()
    code_given: str | None = None
    name_match: Match | None = None

    @property
    def matched(self) -> bool:
        return self.gso_code is not None

    def allows(self, code: str) -> bool:
        """Whether ``code`` is the match or one of the ambiguous candidates."""
        return code == self.gso_code or code in self.candidates

    @property
    def conflict(self) -> bool:
        """A matched row whose code and name disagree (or whose code is unknown)."""
        if not self.matched or self.code_given is None:
            return False
        if self.method != "code":
            return True  # the code was unknown; the name was used
        return self.name_match is not None and not self.name_match.allows(self.gso_code)


@dataclass(frozen=True)
class _Unit:
    code: str
    name: str
    unit_type: str | None
    district_code: str | None


class NameIndex:
    """Match names to the units of one level (``commune`` or ``district``).

    >>> idx = NameIndex.load("commune")
    >>> m = idx.match("ia toi")
    >>> m.gso_code, m.method, m.name
    ('23538', 'folded', 'Xã Ia Tơi')
    >>> idx.match("Đăk Long").candidates
    ('23368', '23504')
    >>> idx.match("Đăk Long", district="Dak Ha").gso_code
    '23504'
    >>> idx.match("Hà Mòn", code=23509).gso_code, idx.match("Hà Mòn", code=23509).conflict
    ('23509', True)
    """

    def __init__(
        self, units: pd.DataFrame, level: str = "commune", former_names: dict[str, tuple[str, ...]] | None = None
    ):
        if level not in CODE_WIDTH:
            raise ValueError(f"unknown level {level!r}; expected commune or district")
        self.level = level
        self.width = CODE_WIDTH[level]
        has_district = level == "commune" and "district_code" in units.columns
        self.units: dict[str, _Unit] = {}
        for row in units.itertuples(index=False):
            code = clean_code(row.gso_code, self.width)
            self.units[code] = _Unit(
                code,
                row.name,
                getattr(row, "unit_type", None),
                clean_code(row.district_code, 3) if has_district else None,
            )
        self._current = self._key_table((u, u.name) for u in self.units.values())
        former = FORMER_NAMES if former_names is None else former_names
        self._former = self._key_table(
            (self.units[c], n) for c, names in former.items() if c in self.units for n in names
        )
        self.districts: dict[str, str] = {}
        self._district_keys: dict[str, str] = {}
        if has_district:
            pairs = units[["district_code", "district_name"]].drop_duplicates()
            for code, name in pairs.itertuples(index=False):
                code = clean_code(code, 3)
                self.districts[code] = name
                self._district_keys[compact(name)] = code

    @staticmethod
    def _key_table(pairs) -> dict[str, list[_Unit]]:
        table: dict[str, list[_Unit]] = {}
        for unit, name in pairs:
            table.setdefault(compact(name), []).append(unit)
        return table

    @classmethod
    def load(cls, level: str = "commune") -> NameIndex:
        """The index of the project's units (:func:`geo.units.boundaries.load_units`)."""
        from geo.units.boundaries import load_units

        return cls(load_units(level), level)

    def resolve_district(self, district: object) -> str | None:
        """A district code from a code or a name in any spelling, else ``None``.

        >>> NameIndex.load().resolve_district("TP Kontum"), NameIndex.load().resolve_district(615)
        ('608', '615')
        """
        code = clean_code(district, 3)
        if code is None or split_prefix(code)[0] == "Tỉnh":
            return None
        if code in self.districts:
            return code
        return self._district_keys.get(compact(code))

    def same_named(self) -> dict[str, tuple[str, ...]]:
        """Compact keys shared by several current units, with their codes."""
        return {k: tuple(u.code for u in us) for k, us in self._current.items() if len(us) > 1}

    def match(self, name: object = None, district: object = None, code: object = None) -> Match:
        """Resolve a name (with an optional district context) or a code.

        A known code wins over the name; a disagreeing name is kept in
        ``name_match`` and flagged by ``conflict``.  An unknown code falls
        back on the name.
        """
        text = clean_text(name)
        code_in = clean_code(code, self.width)
        district_code = None
        if self.level == "commune" and clean_text(district) is not None:
            district_code = self.resolve_district(district)
            if district_code is None and (code_in not in self.units):
                return Match(
                    None,
                    "unmatched",
                    key=fold(text or ""),
                    reason="unknown_district",
                    detail=clean_text(district),
                    code_given=code_in,
                )
        if code_in is not None and code_in in self.units:
            unit = self.units[code_in]
            name_match = self._match_name(text, district_code) if text else None
            warnings = []
            if name_match is not None and not name_match.allows(unit.code):
                warnings.append(
                    f"code {code_in} is {unit.name}, but the name {text!r} "
                    f"gives {name_match.gso_code or name_match.method}"
                )
            if district_code and unit.district_code and district_code != unit.district_code:
                warnings.append(
                    f"code {code_in} is in {self.districts.get(unit.district_code)}, "
                    f"not {self.districts.get(district_code)}"
                )
            return Match(
                unit.code,
                "code",
                key=code_in,
                name=unit.name,
                warnings=tuple(warnings),
                code_given=code_in,
                name_match=name_match,
            )
        if text is None:
            reason, detail = ("unknown_code", code_in) if code_in else ("empty", "")
            return Match(None, "unmatched", reason=reason, detail=detail, code_given=code_in)
        found = self._match_name(text, district_code)
        if code_in is None:
            return found
        return replace(found, code_given=code_in, warnings=found.warnings + (f"unknown code {code_in}",))

    def _match_name(self, text: str, district_code: str | None) -> Match:
        key = compact(text)
        prefix_type, _ = split_prefix(text)
        anywhere: list[_Unit] = []
        for source, table in (("current", self._current), ("former", self._former)):
            found = table.get(key, [])
            anywhere += found
            units = [u for u in found if district_code is None or u.district_code == district_code]
            if len(units) > 1 and prefix_type:
                typed = [u for u in units if u.unit_type == prefix_type]
                units = typed if len(typed) == 1 else units
            if len(units) == 1:
                unit = units[0]
                method, form = ("former", fold(text)) if source == "former" else self._method(text, unit)
                return Match(unit.code, method, key=form, name=unit.name)
            if units:
                return Match(None, "ambiguous", tuple(u.code for u in units), key=fold(text))
        if anywhere:
            return Match(
                None,
                "unmatched",
                key=fold(text),
                reason="not_in_district",
                detail=district_code,
                elsewhere=tuple(dict.fromkeys(u.code for u in anywhere)),
            )
        return Match(None, "unmatched", key=fold(text), reason="not_found")

    @staticmethod
    def _method(text: str, unit: _Unit) -> tuple[str, str]:
        if text == clean_text(unit.name):
            return "exact", text
        if normalize(text) == normalize(unit.name):
            return "normalized", normalize(text)
        return "folded", fold(text)
