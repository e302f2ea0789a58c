"""Every word in the user's language, the keyboard, axe-core, and the offline basemap — in Chromium.

The Vietnamese page (map, popups, the legend's classes form with a refused input, the upload page
with errors) shows no English text of the message catalogue nor Leaflet's English defaults; the
English page no Vietnamese text of the catalogue (data — names, sources, periods — excepted).
axe-core (bundled by the pinned ``axe-playwright-python``) finds no critical or serious violation
and no landmark violation on the map and the upload pages, in both languages, at 1400×900 and
390×844.
"""

from __future__ import annotations

import logging
import re
import threading
from pathlib import Path

import pytest

from geo import messages

sync_api = pytest.importorskip("playwright.sync_api")

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking"]
FIX = Path(__file__).resolve().parents[1] / "fixtures" / "uploads"
TOKEN = "i18n-token-0123456789abcdef"
SIZES = {"desktop": (1400, 900), "phone": (390, 844)}
pytestmark = pytest.mark.skipif(not Path(CHROMIUM).exists(), reason=f"{CHROMIUM} not installed (make browser)")

#: Leaflet's and its plugins' own English texts (titles, aria-labels) that a Vietnamese page must not keep.
LEAFLET_EN = {
    "Zoom in",
    "Zoom out",
    "Layers",
    "Close popup",
    "Full Screen",
    "Exit Full Screen",
    "Draw a polygon",
    "Draw a rectangle",
    "Delete layers",
    "No layers to delete",
    "Edit layers",
    "No layers to edit",
    "Cancel drawing",
    "A JavaScript library for interactive maps",
}
DEMO_MARK = messages.text("page.demo_mark", "en")  # the same in both languages (a house rule)

# Visible text and the names of things (title, aria-label, placeholder, alt), data left out: the
# sources and periods of figures (.kt-source, .kt-period) except their labels, and unit names.
UI_TEXT_JS = """() => {
  const out = [];
  const skip = (n) => n.closest && n.closest('.kt-source, .kt-period, .kt-search-results, #kt-district option');
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let n = walker.nextNode(); n; n = walker.nextNode()) {
    const p = n.parentElement;
    if (!p || ['SCRIPT', 'STYLE'].includes(p.tagName)) continue;
    if (skip(p) && !['STRONG', 'SUMMARY'].includes(p.tagName)) continue;
    const st = getComputedStyle(p);
    if (st.display === 'none' || st.visibility === 'hidden') continue;
    if (n.textContent.trim()) out.push(n.textContent.trim());
  }
  document.querySelectorAll('[title], [aria-label], [placeholder], [alt]').forEach(e => {
    ['title', 'aria-label', 'placeholder', 'alt'].forEach(a => { const v = e.getAttribute(a); if (v) out.push(v); });
  });
  out.push(document.title);
  return out;
}"""


def fragments(lang: str, other: str) -> set[str]:
    """Literal pieces (12+ characters) of every message in ``lang`` that reads differently in ``other``."""
    out = set()
    for entry in messages.catalogue().values():
        if entry[lang] == entry[other]:
            continue
        for piece in re.split(r"\{[^}]*\}|<[^>]+>", entry[lang]):
            piece = piece.replace(DEMO_MARK, "").strip(" :;,.()—-")
            if len(piece) >= 12 and piece not in entry[other]:
                out.add(piece)
    return out


def foreign_text(page, lang: str) -> list[str]:
    """Texts on the page that come from the catalogue in the other language (or Leaflet's English)."""
    texts = [t.replace(DEMO_MARK, "") for t in page.evaluate(UI_TEXT_JS)]
    blob = "\n".join(texts)
    other = "en" if lang == "vi" else "vi"
    found = sorted(f for f in fragments(other, lang) if f in blob)
    if lang == "vi":
        found += sorted({t for t in texts if t in LEAFLET_EN})
    return found


@pytest.fixture(scope="module")
def server(gpkg):
    from werkzeug.serving import make_server

    from app import create_app

    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    srv = make_server("127.0.0.1", 0, create_app({"TESTING": True}), threaded=True)
    thread = threading.Thread(target=srv.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{srv.server_port}"
    srv.shutdown()
    thread.join(5)


@pytest.fixture(scope="module")
def browser():
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield b
        b.close()


@pytest.fixture
def open_page(browser):
    contexts = []

    def _open(url: str, size: str = "desktop", lang: str = "vi", ready: bool = True):
        w, h = SIZES[size]
        ctx = browser.new_context(viewport={"width": w, "height": h}, locale="vi-VN" if lang == "vi" else "en-GB")
        ctx.set_default_timeout(45000)
        contexts.append(ctx)
        page = ctx.new_page()
        page.errors = []
        page.on("pageerror", lambda e: page.errors.append(str(e)))  # scripts that failed
        page.goto(url)
        if ready:
            page.wait_for_selector("body[data-kt-ready]", state="attached", timeout=60000)
            assert page.get_attribute("body", "data-kt-ready") == "1", page.errors
        return page

    yield _open
    for ctx in contexts:
        ctx.close()


def open_commune_popup(page, code: str = "23281") -> None:
    page.evaluate("code => KontumMap.goTo(code)", code)
    page.wait_for_selector(".leaflet-popup-content .kt-popup", timeout=30000)
    page.wait_for_selector(".leaflet-popup-content .kt-chart svg", timeout=30000)
    # Leaflet fades a popup in: colours measured mid-fade are washed out (axe saw 2:1 contrast)
    page.wait_for_function("() => getComputedStyle(document.querySelector('.leaflet-popup')).opacity === '1'")


def refuse_classes(page) -> None:
    page.fill('#kt-legend input.kt-breaks[data-layer="poor_rate"]', "30; 10")
    page.click('#kt-legend button.kt-apply[data-layer="poor_rate"]')
    page.wait_for_selector("#kt-legend .kt-class-error")


def axe_problems(page) -> list[str]:
    """axe-core's critical and serious violations, and every landmark violation."""
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page).response
    out = []
    for v in results["violations"]:
        if v["impact"] in ("critical", "serious") or v["id"].startswith("landmark") or v["id"] == "region":
            out.append(f"{v['id']} ({v['impact']}): {[n['target'] for n in v['nodes'][:3]]}")
    return out


# ---------------------------------------------------------------- language


def test_vietnamese_map_has_no_english_message(open_page, server, gpkg):
    page = open_page(server + "/")
    assert foreign_text(page, "vi") == []
    open_commune_popup(page)
    assert "Mã GSO 23281" in page.inner_text(".leaflet-popup-content")
    assert page.get_attribute(".leaflet-popup-close-button", "aria-label") == "Đóng cửa sổ"
    refuse_classes(page)
    assert "các ngưỡng phải tăng dần" in page.inner_text("#kt-legend .kt-class-error")
    page.hover(".leaflet-draw-draw-polygon")
    assert page.get_attribute(".leaflet-control-zoom-in", "title") == "Phóng to"
    assert page.get_attribute(".leaflet-draw-draw-polygon", "title") == "Vẽ vùng để chọn xã"
    assert foreign_text(page, "vi") == []
    # the synthetic source reads as what it is, not as a file of this repository
    sources = page.inner_text(".leaflet-popup-content .kt-source")
    assert "Dữ liệu minh họa (tạo tự động)" in sources and "this repository" not in sources
    assert page.errors == []


def test_english_map_has_no_vietnamese_message(open_page, server):
    page = open_page(server + "/?lang=en", lang="en")
    assert page.get_attribute(".leaflet-control-zoom-in", "title") == "Zoom in"
    open_commune_popup(page)
    refuse_classes(page)
    assert "breaks must be strictly ascending" in page.inner_text("#kt-legend .kt-class-error")
    assert foreign_text(page, "en") == []


def test_the_check_finds_a_foreign_text(open_page, server):
    """The language check itself can fail: an English message put in the Vietnamese page is found."""
    page = open_page(server + "/")
    page.evaluate(
        "t => { document.getElementById('kt-targets').textContent = t; }", messages.text("page.draw_hint", "en")
    )
    assert foreign_text(page, "vi") != []


@pytest.fixture
def upload_server(state):
    from werkzeug.serving import make_server

    from app import create_app

    app = create_app({"TESTING": True, "MAP_UPLOAD_TOKEN": f"planner:{TOKEN}"})
    srv = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=srv.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{srv.server_port}"
    srv.shutdown()
    thread.join(5)


def upload_with_errors(page) -> None:
    page.set_input_files("#file", str(FIX / "bad_rows_2020.csv"))
    page.fill("#year", "2020")
    page.fill("#token", TOKEN)
    with page.expect_navigation():
        page.click("#submit")
    page.wait_for_selector("#errors")


@pytest.mark.parametrize("lang", ["vi", "en"])
def test_upload_page_with_errors_in_one_language(open_page, upload_server, lang):
    page = open_page(f"{upload_server}/upload?lang={lang}", lang=lang, ready=False)
    # a wrong token: the form says so in the page's language
    page.set_input_files("#file", str(FIX / "review_2020_communes.csv"))
    page.fill("#token", "wrong-token")
    with page.expect_navigation():
        page.click("#submit")
    expected = messages.text("error.upload.token_invalid", lang)
    assert page.inner_text("#error") == expected
    assert foreign_text(page, lang) == []
    upload_with_errors(page)
    errors = page.inner_text("#errors")
    assert errors.count("\n") >= 3  # the rows' reasons are listed
    assert foreign_text(page, lang) == []
    assert axe_problems(page) == []


# ---------------------------------------------------------------- keyboard


def test_keyboard_skip_link_ranking_rows_and_escape(open_page, server):
    page = open_page(server + "/")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.id") == "kt-skip"
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "kt-panel"
    # place names on the map are not tab stops; the viewport allows pinch zoom
    assert page.locator(".kt-ctx[tabindex='0'], .kt-ctx [tabindex='0']").count() == 0
    assert page.locator(".kt-ctx").count() > 3
    viewport = page.get_attribute("meta[name=viewport]", "content")
    assert "user-scalable=no" not in viewport and "maximum-scale" not in viewport
    # commune shapes have names
    names = page.eval_on_selector_all(
        ".leaflet-kt-areas-pane path", "els => els.map(e => e.getAttribute('aria-label'))"
    )
    assert len(names) == 102 and all(n and re.match(r"^(Xã|Phường|Thị trấn) .+: ", n) for n in names)
    # ranking rows: focusable, Enter opens the commune, Esc closes the popup wherever the focus is
    page.click("#kt-poorest-border")
    page.wait_for_selector("#kt-targets tbody tr", timeout=90000)
    row = page.locator("#kt-targets tbody tr").nth(0)
    code = row.get_attribute("data-code")
    assert row.get_attribute("tabindex") == "0" and row.get_attribute("aria-label").startswith("Hạng 1: ")
    row.focus()
    page.keyboard.press("Enter")
    page.wait_for_selector(".leaflet-popup-content .kt-popup")
    assert f"Mã GSO {code}" in page.inner_text(".leaflet-popup-content")
    page.focus("#kt-search")
    page.keyboard.press("Escape")
    page.wait_for_selector(".leaflet-popup", state="detached")


# ---------------------------------------------------------------- axe-core


@pytest.mark.parametrize("size", ["desktop", "phone"])
@pytest.mark.parametrize("lang", ["vi", "en"])
def test_axe_finds_no_serious_or_landmark_violation_on_the_map(open_page, server, lang, size, tmp_path):
    page = open_page(f"{server}/?lang={lang}", size=size, lang=lang)
    assert axe_problems(page) == []
    open_commune_popup(page)
    assert axe_problems(page) == []
    page.screenshot(path=str(Path("/tmp") / f"kt-i18n-map-{lang}-{size}.png"))


@pytest.mark.parametrize("size", ["desktop", "phone"])
@pytest.mark.parametrize("lang", ["vi", "en"])
def test_axe_finds_no_serious_or_landmark_violation_on_the_upload_page(open_page, upload_server, lang, size):
    page = open_page(f"{upload_server}/upload?lang={lang}", size=size, lang=lang, ready=False)
    assert axe_problems(page) == []
    page.screenshot(path=str(Path("/tmp") / f"kt-i18n-upload-{lang}-{size}.png"))


def test_axe_itself_reports_a_violation(open_page, server):
    """The axe check can fail: an image without a name is a critical violation."""
    page = open_page(server + "/")
    page.evaluate("() => { const i = document.createElement('img'); i.src = 'data:,'; document.body.appendChild(i); }")
    assert any(p.startswith("image-alt") for p in axe_problems(page))


# ---------------------------------------------------------------- offline basemap


@pytest.mark.parametrize("lang", ["vi", "en"])
def test_openstreetmap_offline_falls_back_to_the_local_background(open_page, server, lang):
    page = open_page(f"{server}/?lang={lang}", lang=lang)
    failed = []
    page.route(
        re.compile(r"https?://[^/]*tile\.openstreetmap\.org/.*"), lambda r: (failed.append(r.request.url), r.abort())
    )
    osm_name = messages.text("page.base_osm", lang)
    # click, not check(): check() clicks again while the radio is unchecked, and the fallback
    # unchecks it as soon as the tile fails, so check() would try the tile several times
    page.locator(".leaflet-control-layers-base label", has_text=osm_name).locator("input").click()
    page.wait_for_selector("#kt-notice:not([hidden])", timeout=30000)
    assert page.inner_text("#kt-notice").startswith(messages.text("page.osm_offline", lang))
    assert page.evaluate("KontumMap.state.map.hasLayer(KontumMap.state.bases.context)")
    assert not page.evaluate("KontumMap.state.map.hasLayer(KontumMap.state.bases.osm)")
    local = messages.text("page.base_context", lang)
    assert page.locator(".leaflet-control-layers-base label", has_text=local).locator("input").is_checked()
    page.wait_for_timeout(1500)
    assert len(failed) == 1  # one tile tried, not the ~40 of the view
    # chosen again, it tries again (the network may be back) and falls back again
    # click, not check(): check() clicks again while the radio is unchecked, and the fallback
    # unchecks it as soon as the tile fails, so check() would try the tile several times
    page.locator(".leaflet-control-layers-base label", has_text=osm_name).locator("input").click()
    page.wait_for_function("() => KontumMap.state.map.hasLayer(KontumMap.state.bases.context)")
    assert len(failed) == 2
    assert page.locator(".leaflet-kt-areas-pane path").count() == 102  # the map is not empty
