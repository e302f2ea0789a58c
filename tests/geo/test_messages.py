"""The one message catalogue (geo/messages.toml): complete in both languages, one line a
message, every id the code uses is there, and errors of geo/ render in either language."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from geo import messages
from geo.analysis import classify
from geo.messages import Message

ROOT = Path(__file__).resolve().parents[2]

# Ids the code names: Message("x.y") / M("x.y") in Python, i18n.text("x.y"), _t(lang, "key")
# (page.key), and t("key") / t("table.key") in the page's script.
PY_IDS = re.compile(r"""\b(?:Message|M|i18n\.text)\(\s*f?["']([a-z0-9_.%/²-]+)["']""")
PAGE_KEYS = re.compile(r"""\b_t\(\s*lang\s*,\s*["']([a-z0-9_]+)["']""")
JS_KEYS = re.compile(r"""\bt\(\s*"([A-Za-z0-9_.]+)"\s*[,)]""")


def test_every_message_has_both_languages_and_the_same_placeholders():
    cat = messages.catalogue()
    assert len(cat) > 250
    for mid, entry in cat.items():
        assert set(entry) == set(messages.LANGS), (mid, sorted(entry))
        assert all(entry[lang].strip() for lang in messages.LANGS), mid
        assert messages.placeholders(entry["vi"]) == messages.placeholders(entry["en"]), mid


def test_one_line_a_message():
    line = re.compile(r'^("[^"]+"|[A-Za-z0-9_%-]+) = \{ vi = ".*", en = ".*" \}$')
    for n, text in enumerate(messages.CATALOGUE.read_text(encoding="utf-8").splitlines(), 1):
        if text and not text.startswith(("#", "[")):
            assert line.match(text), f"geo/messages.toml:{n}: {text[:80]}"


def test_a_message_without_a_language_or_with_other_placeholders_is_caught(tmp_path, monkeypatch):
    bad = tmp_path / "messages.toml"
    bad.write_text('[x]\na = { vi = "một {n}", en = "one {m}" }\nb = { vi = "chỉ tiếng Việt" }\n', encoding="utf-8")
    monkeypatch.setattr(messages, "CATALOGUE", bad)
    messages.catalogue.cache_clear()
    try:
        cat = messages.catalogue()
        assert set(cat["x.b"]) == {"vi"}  # the test above would fail on it
        assert messages.placeholders(cat["x.a"]["vi"]) != messages.placeholders(cat["x.a"]["en"])
    finally:
        messages.catalogue.cache_clear()


def _used_ids() -> set[str]:
    ids: set[str] = set()
    for path in list((ROOT / "app").rglob("*.py")) + list((ROOT / "geo").rglob("*.py")):
        text = path.read_text(encoding="utf-8")
        ids |= {m for m in PY_IDS.findall(text) if "." in m and not m.endswith(".")}
        ids |= {f"page.{k}" for k in PAGE_KEYS.findall(text)}
    for path in (ROOT / "app" / "static" / "map").glob("*.js"):
        for key in JS_KEYS.findall(path.read_text(encoding="utf-8")):
            table = key.split(".", 1)[0]
            ids.add(
                key
                if "." in key and table in ("page", "status", "quality", "scheme", "leaflet", "draw", "alloc")
                else f"page.{key}"
            )
    # templates: t.key / s.key read the catalogue's table of the page they belong to
    for folder, table in (("map", "page"), ("uploads", "upload"), ("ogc", "ogc")):
        for path in (ROOT / "app" / "templates" / folder).glob("*.html"):
            text = path.read_text(encoding="utf-8")
            ids |= {f"{table}.{k}" for k in re.findall(r"\b[ts]\.([a-z_]+)\b", text) if k not in ("lower",)}
    return ids


def test_every_id_the_code_uses_is_in_the_catalogue():
    used = _used_ids()
    assert len(used) > 80  # the scan finds the code's messages
    missing = sorted(i for i in used if i not in messages.catalogue() and not i.endswith("."))
    assert missing == []


def test_unknown_id_is_a_clear_error():
    with pytest.raises(messages.CatalogueError, match="no message 'page.nope'"):
        messages.text("page.nope", "vi")


def test_geo_errors_carry_an_id_and_render_in_either_language():
    with pytest.raises(classify.ClassifyError) as info:
        classify.classify([1, 2, 3], "user_defined", breaks=[30, 20])
    assert str(info.value) == "breaks must be strictly ascending, got [30, 20]"
    assert messages.localise(info.value, "vi") == "các ngưỡng phải tăng dần, nhận được [30, 20]"
    assert messages.localise(info.value, "en") == str(info.value)
    nested = Message("error.map.layer_no_year", layer="x", year=1999, years="2015")
    assert nested.text("vi") == "lớp 'x' không có năm 1999; các năm: 2015"


def test_sections_are_copies_in_the_language_asked():
    vi = messages.section("status", "vi")
    assert vi == {"official": "chính thức", "reported": "báo cáo", "derived": "tính toán", "synthetic": "minh họa"}
    vi["official"] = "changed"
    assert messages.section("status", "vi")["official"] == "chính thức"
    assert messages.section("status", "fr") == messages.section("status", "vi")  # unknown: the default
