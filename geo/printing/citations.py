"""Citations of a printed page: one numbered reference per document, its sections listed.

A ``source`` cell holds one or more citations separated by ``"; "``; a citation of
a source file reads ``<document> — <file>, <section>`` (``Báo cáo 112-BC/TU … —
data/sources/seeds/000_….txt, mục II.3.1``).  A profile cites the same report at
several sections: it is one reference, numbered once, with every section cited.
"""

from __future__ import annotations

import re

#: ``<document> — <file or address>, <section>``: the form of every citation of a source file
#: (``data/sources/seeds/000_….txt, mục II.3.1``); what follows the file is where in it.
_LOCATED = re.compile(r"^(?P<doc>.*? — \S+\.(?:txt|csv|md|geojson|json|pdf|xlsx))(?:, (?P<loc>.+))?$")


def split_sources(source: str) -> list[str]:
    """The citations of a ``source`` cell: split at ``"; "`` outside brackets only.

    >>> split_sources("a (x; y); b")
    ['a (x; y)', 'b']
    """
    parts, depth, start = [], 0, 0
    text = str(source)
    for i, ch in enumerate(text):
        if ch in "([":
            depth += 1
        elif ch in ")]":
            depth -= 1
        if depth <= 0 and text.startswith("; ", i):
            parts.append(text[start:i])
            start = i + 2
    parts.append(text[start:])
    return [p.strip() for p in parts if p.strip()]


def cited(part: str) -> tuple[str, str | None]:
    """``(document, section)`` of one citation; the section is ``None`` when it names none.

    >>> cited("Báo cáo 112 — data/sources/seeds/000.txt, mục II.3.1")
    ('Báo cáo 112 — data/sources/seeds/000.txt', 'mục II.3.1')
    >>> cited("GSO census 2019")
    ('GSO census 2019', None)
    """
    m = _LOCATED.match(part)
    return (m["doc"], m["loc"]) if m else (part, None)


class References:
    """Reference numbers of the documents a page cites, in order of first use.

    The same report cited at five sections is one reference, its sections listed once each.

    >>> s = References()
    >>> s.number("R — a.txt, mục 1"), s.number("R — a.txt, mục 2; GSO"), s.number("R — a.txt")
    ('1', '1,2', '1')
    >>> s.entries()
    ['R — a.txt: mục 1; mục 2', 'GSO']
    """

    def __init__(self):
        self.items: list[str] = []
        self.sections: dict[str, list[str]] = {}

    def number(self, source: str) -> str:
        nums: list[int] = []
        for part in split_sources(source) or ["—"]:
            doc, loc = cited(part)
            if doc not in self.sections:
                self.items.append(doc)
                self.sections[doc] = []
            for section in (loc or "").split(" và "):
                if section and section not in self.sections[doc]:
                    self.sections[doc].append(section)
            n = self.items.index(doc) + 1
            if n not in nums:
                nums.append(n)
        return ",".join(str(n) for n in nums[:4]) + ("…" if len(nums) > 4 else "")

    def entries(self) -> list[str]:
        """One text per reference: the document, then its sections cited on the page; a document
        quoted whole inside another reference (a method "calibrated to" a report) is its number there.

        >>> s = References()
        >>> _ = s.number("R — a.txt, mục 1 và chú thích 2; derived from R — a.txt")
        >>> s.entries()
        ['R — a.txt: mục 1; chú thích 2', 'derived from [1]']
        """
        out = []
        for i, doc in enumerate(self.items):
            text = doc
            for j, other in sorted(enumerate(self.items), key=lambda p: -len(p[1])):
                if j != i and other in text:
                    text = text.replace(other, f"[{j + 1}]")
            out.append(text + (": " + "; ".join(self.sections[doc]) if self.sections[doc] else ""))
        return out
