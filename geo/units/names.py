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
#: The levels a table can be matched to (a minimal registry of unit levels:
#: the 2020 communes, the 2020 districts and the 40 communes of 1 July 2025).
LEVELS = ("commune", "district", "commune_2025")
CODE_WIDTH = {"commune": 5, "district": 3, "commune_2025": 5}
#: The other vintage of a commune level: its names are reported, never matched.
OTHER_LEVEL = {"commune": "commune_2025", "commune_2025": "commune"}
#: The year of each level's list of units, as the reports say it.
VINTAGE = {"commune": "2020", "district": "2020", "commune_2025": "2025"}


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

    Extra leading zeros beyond ``width`` go ("023500" → "23500").

    >>> clean_code(23344.0), clean_code(" 608 "), clean_code(62, 3), clean_code("")
    ('23344', '608', '062', None)
    >>> clean_code("023500", 5), clean_code("0608", 3), clean_code("123500", 5)
    ('23500', '608', '123500')
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
    elif width and text.isdigit() and len(text) > width and not text[: len(text) - width].strip("0"):
        text = text[len(text) - width :]
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
    ``not_found``, ``other_level``) with ``detail`` (the code, the district,
    or the other level) and ``elsewhere`` (codes of the name in other
    districts; for ``other_level`` the units of this level that now hold, or
    were formed from, the unit named).  ``others`` are the codes of the units
    of the other vintage a name or code names; ``namesakes`` those sharing
    the name of a matched unit without being the same territory.  When a
    code was given, ``code_given`` holds it, ``name_match`` what the name
    alone gave and ``code_other_level`` whether the code is one of the other
    vintage only.  ``namesakes`` are noted at level ``commune_2025`` only: there
    a 2020 name may mean the smaller 2020 commune.
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
    others: tuple[str, ...] = ()
    namesakes: tuple[str, ...] = ()
    code_other_level: bool = False

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

    @property
    def mismatch(self) -> bool:
        """The code and the name point at different units (not merely an unknown code or name).

        The name resolves to another unit of this level, to several units
        none of which is the code's, or to a unit of the other vintage; or the
        row was joined by its name while its code is a unit of the other vintage.
        """
        if not self.matched or self.code_given is None:
            return False
        if self.method != "code":
            return self.code_other_level
        name = self.name_match
        if name is None or name.allows(self.gso_code):
            return False
        return name.matched or name.method == "ambiguous" or name.reason == "other_level"


@dataclass(frozen=True)
class _Unit:
    code: str
    name: str
    unit_type: str | None
    district_code: str | None


@dataclass(frozen=True)
class OtherUnit:
    """A unit of the other vintage: ``now`` are the codes, at the index's level, of the unit(s)
    that hold it (a 2020 commune: its 2025 commune) or that it was formed from (a 2025
    commune: its 2020 communes)."""

    code: str
    name: str
    unit_type: str | None
    district_name: str | None
    now: tuple[str, ...]

    def label(self) -> str:
        return self.name + (f" ({self.district_name})" if self.district_name else "")


def _unit_type(row) -> str | None:
    """The row's ``unit_type``, else the type its name's prefix says ("Xã Măng Đen" → Xã)."""
    given = getattr(row, "unit_type", None)
    return given if isinstance(given, str) and given else split_prefix(row.name)[0]


def load_level(level: str) -> pd.DataFrame:
    """The units of ``level`` (one of :data:`LEVELS`).

    >>> [len(load_level(lv)) for lv in LEVELS]
    [102, 10, 40]
    """
    from geo.units.boundaries import load_communes_2025, load_units

    if level == "commune_2025":
        return load_communes_2025()
    if level not in LEVELS:
        raise ValueError(f"unknown level {level!r}; expected one of {', '.join(LEVELS)}")
    return load_units(level)


def other_units(level: str) -> tuple[OtherUnit, ...]:
    """The units of the other vintage of ``level``, linked to ``level``'s units by the crosswalk.

    The 2020 communes and their 2025 communes come from the 2020 list's
    ``code_2025`` (``admin_units_2020.csv``, the crosswalk of NQ 1677); the
    2025 communes list their members (``member_gso_codes_2020``).

    >>> kroong = next(u for u in other_units("commune_2025") if u.name == "Xã Kroong")
    >>> kroong.code, kroong.now
    ('23314', ('23317',))
    >>> other_units("district")
    ()
    """
    if level == "commune_2025":
        return tuple(
            OtherUnit(r.gso_code, r.name, _unit_type(r), r.district_name, (clean_code(r.code_2025, 5),))
            for r in load_level("commune").itertuples(index=False)
        )
    if level == "commune":
        return tuple(
            OtherUnit(r.gso_code, r.name, _unit_type(r), None, tuple(str(r.member_gso_codes_2020).split(",")))
            for r in load_level("commune_2025").itertuples(index=False)
        )
    return ()


class NameIndex:
    """Match names to the units of one level (:data:`LEVELS`).

    A name of the other vintage (a 2020 commune at level ``commune_2025``,
    a 2025 commune at level ``commune``) is never matched: it comes back
    unmatched, reason ``other_level``, with the units that hold it now.

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
    >>> new = NameIndex.load("commune_2025")
    >>> new.match("Xã Đăk Hà").gso_code, new.match("Xa Dak Long").gso_code
    ('23500', '23368')
    >>> m = new.match("Xã Kroong")
    >>> m.reason, m.others, m.elsewhere
    ('other_level', ('23314',), ('23317',))
    >>> idx.match("Phường Kon Tum").reason, idx.match("Phường Kon Tum").others
    ('other_level', ('23293',))
    """

    def __init__(
        self,
        units: pd.DataFrame,
        level: str = "commune",
        former_names: dict[str, tuple[str, ...]] | None = None,
        others: tuple[OtherUnit, ...] = (),
    ):
        if level not in CODE_WIDTH:
            raise ValueError(f"unknown level {level!r}; expected one of {', '.join(LEVELS)}")
        self.level = level
        self.other_level = OTHER_LEVEL.get(level)
        self.width = CODE_WIDTH[level]
        has_district = level == "commune" and "district_code" in units.columns
        self.units: dict[str, _Unit] = {}
        for row in units.itertuples(index=False):
            code = clean_code(row.gso_code, self.width)
            self.units[code] = _Unit(
                code,
                row.name,
                _unit_type(row),
                clean_code(row.district_code, 3) if has_district else None,
            )
        self._current = self._key_table((u, u.name) for u in self.units.values())
        former = (FORMER_NAMES if level == "commune" else {}) if former_names is None else former_names
        self._former = self._key_table(
            (self.units[c], n) for c, names in former.items() if c in self.units for n in names
        )
        self.others: dict[str, OtherUnit] = {o.code: o for o in others}
        self._other_keys: dict[str, list[OtherUnit]] = {}
        for o in others:
            self._other_keys.setdefault(compact(o.name), []).append(o)
        self._parts: dict[str, int] = {}  # units of the other vintage inside each unit of this level
        for o in others:
            for code in o.now:
                self._parts[code] = self._parts.get(code, 0) + 1
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
        """The index of the project's units of ``level`` (:func:`load_level`), other vintage linked."""
        return cls(load_level(level), level, others=other_units(level))

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
        ``name_match`` and flagged by ``conflict`` (and ``mismatch`` when it
        names another unit).  An unknown code falls back on the name; a code
        of the other vintage only too, flagged ``code_other_level``.
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
            return self._match_code(code_in, text, district_code)
        other = self.others.get(code_in) if code_in is not None else None
        if text is None:
            if other is not None:
                return self._other_match(code_in, [other], code_given=code_in)
            reason, detail = ("unknown_code", code_in) if code_in else ("empty", "")
            return Match(None, "unmatched", reason=reason, detail=detail, code_given=code_in)
        found = self._match_name(text, district_code)
        if code_in is None:
            return found
        if other is not None:
            what = f"code {code_in} is a {VINTAGE[self.other_level]} unit ({other.label()})"
            return replace(
                found,
                code_given=code_in,
                code_other_level=True,
                others=found.others or (code_in,),
                warnings=found.warnings + (what,),
            )
        return replace(found, code_given=code_in, warnings=found.warnings + (f"unknown code {code_in}",))

    def _match_code(self, code_in: str, text: str | None, district_code: str | None) -> Match:
        unit = self.units[code_in]
        name_match = self._match_name(text, district_code) if text else None
        warnings = []
        if name_match is not None and not name_match.allows(unit.code):
            warnings.append(
                f"code {code_in} is {unit.name}, but the name {text!r} gives {name_match.gso_code or name_match.method}"
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

    def _match_name(self, text: str, district_code: str | None) -> Match:
        found = self._match_current(text, district_code)
        others = self._other_keys.get(compact(text), [])
        if not others:
            return found
        prefix_type, _ = split_prefix(text)
        if found.matched:
            unit = self.units[found.gso_code]
            typed = [o for o in others if o.unit_type == prefix_type]
            retyped = prefix_type and unit.unit_type and prefix_type != unit.unit_type
            if retyped and typed and found.method != "former" and district_code is None:
                return self._other_match(text, typed)  # "Thị trấn Đắk Hà" at the 2025 level
            if self.level != "commune_2025":
                return found  # most 2025 communes took a 2020 commune's name: not worth a note at 2020 level
            namesakes = tuple(o.code for o in others if not self._same_territory(o, unit.code))
            return replace(found, namesakes=namesakes)
        if found.reason == "not_found":
            return self._other_match(text, others)
        return found

    def _same_territory(self, other: OtherUnit, code: str) -> bool:
        """Whether the unit ``other`` of the other vintage is exactly the unit ``code`` of this level."""
        return other.now == (code,) and self._parts.get(code) == 1

    def _other_match(self, text: str, others: list[OtherUnit], code_given: str | None = None) -> Match:
        return Match(
            None,
            "unmatched",
            key=fold(text) if code_given is None else text,
            reason="other_level",
            detail=self.other_level or "",
            elsewhere=tuple(dict.fromkeys(c for o in others for c in o.now)),
            others=tuple(o.code for o in others),
            code_given=code_given,
        )

    def _match_current(self, text: str, district_code: str | None) -> Match:
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
