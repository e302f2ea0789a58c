"""Comparing two years and the 2025 communes in the workbench, in real Chromium at 1400×900
and 390×844, vi and en: the change map (its colours and popups the server's change, checked
against the library), a pair across two poverty standards refused naming both, the swipe
view clipped at its divider, the play control stepping the years, and a click on a 2025
commune's row opening that commune's popup.  Screenshots go to ``$KT_SHOTS``.
"""

from __future__ import annotations

import pytest
from test_browser_workbench import DESKTOP, PHONE, SLOW, Tab, ask, browser, server, shots  # noqa: F401

sync_api = pytest.importorskip("playwright.sync_api")


@pytest.fixture(scope="module")
def obs(gpkg):
    from geo.io import storage

    return storage.read_layer("observations", gpkg)


@pytest.fixture(
    params=[("vi", DESKTOP), ("en", DESKTOP), ("vi", PHONE), ("en", PHONE)], ids=lambda p: f"{p[0]}-{p[1]['width']}"
)
def view(request, browser, server):  # noqa: F811
    lang, size = request.param
    t = Tab(browser, server, size)
    t.lang, t.phone = lang, size["width"] < 760
    yield t
    t.context.close()


def _panel(tab, open_: bool):
    """On a phone the panel is a bottom sheet: open it to use it, close it to see the map."""
    if tab.phone and tab.page.evaluate("() => document.body.classList.contains('kt-sheet-open')") != open_:
        tab.page.click("#kt-panel-toggle")
        tab.page.wait_for_timeout(300)


def _compare(page, mode):
    page.click(f"#kt-cmp-{mode}")
    page.wait_for_selector(
        f"body[data-kt-compare='{mode}'], body[data-kt-compare='error']", state="attached", timeout=SLOW
    )
    return page.get_attribute("body", "data-kt-compare")


def test_change_map_swipe_and_play(view, obs, shots):  # noqa: F811
    from geo.indicators import values

    page = view.open(f"/?lang={view.lang}")
    tag = f"{view.lang}_{'phone' if view.phone else 'desktop'}"
    _panel(view, True)
    page.locator("#kt-compare").scroll_into_view_if_needed()
    assert page.inner_text("#kt-compare h2") == ("So sánh hai năm" if view.lang == "vi" else "Compare two years")
    years = page.eval_on_selector_all("#kt-cmp-to option", "os => os.map(o => +o.value)")
    assert years == [2015, 2016, 2017, 2018, 2019, 2020]  # commune poor_rate 2021 has one value: not offered
    page.select_option("#kt-cmp-from", "2016")
    assert _compare(page, "change") == "change"
    a = values.values(obs, "poor_rate", "commune", 2016).set_index("gso_code")["value"]
    b = values.values(obs, "poor_rate", "commune", 2020).set_index("gso_code")["value"]
    down = int(sum(round(b[c] - a[c], 1) < 0 for c in a.index))
    assert page.get_attribute("#kt-cmp-summary", "data-down") == str(down)
    n = page.evaluate("() => document.querySelectorAll('.leaflet-kt-change-pane path').length")
    assert n == 102
    if view.phone:  # folded to its title and demo mark so that the province's north shows
        _panel(view, False)
        box = page.locator("#kt-change-legend").bounding_box()
        assert box["height"] < 90, box
        assert page.get_attribute(".kt-change-toggle", "aria-expanded") == "false"
        assert page.locator("#kt-change-legend .kt-demo").is_visible()
        page.click(".kt-change-toggle")
        assert page.get_attribute(".kt-change-toggle", "aria-expanded") == "true"
        assert page.locator("#kt-change-legend").bounding_box()["height"] > box["height"] + 40
    legend = page.inner_text("#kt-change-legend")
    assert (
        "2016 → 2020" in legend
        and ("Đa chiều 2016–2020" if view.lang == "vi" else "Multidimensional 2016–2020") in legend
    )
    _panel(view, False)
    page.screenshot(path=f"{shots}/compare_change_{tag}.png")
    # the popup of the commune that fell most: its two values and its change
    code = (b - a).idxmin()
    page.evaluate(
        "c => { const l = KontumMap.compare.layer; l.eachLayer(x => { if (x.feature.id === c) x.openPopup(); }); }",
        code,
    )
    page.wait_for_selector(".kt-change-popup")
    text = page.inner_text(".kt-change-popup")
    digits = f"{abs(b[code] - a[code]):.1f}"
    assert (digits.replace(".", ",") if view.lang == "vi" else digits) in text
    page.screenshot(path=f"{shots}/compare_change_popup_{tag}.png")
    page.keyboard.press("Escape")

    # the swipe view: the first year's layer left of the divider, the later year's right of it
    _panel(view, True)
    assert _compare(page, "swipe") == "swipe"
    assert page.inner_text("#kt-swipe-left") == "2016" and page.inner_text("#kt-swipe-right") == "2020"
    clip_a = page.evaluate("() => KontumMap.state.map.getPane('kt-swipe-a').style.clip")
    assert clip_a.startswith("rect(")
    page.evaluate(
        "() => { const r = document.getElementById('kt-swipe-range'); r.value = '0.25'; r.dispatchEvent(new Event('input')); }"
    )
    x = int(page.get_attribute("#kt-swipe", "data-x"))
    width = page.evaluate("() => KontumMap.state.map.getSize().x")
    assert abs(x - round(width * 0.25)) <= 1
    assert page.evaluate("() => KontumMap.state.map.getPane('kt-swipe-b').style.clip") != clip_a
    _panel(view, False)
    page.screenshot(path=f"{shots}/compare_swipe_{tag}.png")

    # play: the map's year steps from the first year to the last, then stops
    _panel(view, True)
    page.evaluate("() => KontumMap.setYear(2018)")
    page.click("#kt-cmp-play")
    assert page.get_attribute("#kt-cmp-play", "aria-pressed") == "true"
    page.wait_for_function("() => KontumMap.state.year === 2019", timeout=10_000)
    page.wait_for_function("() => KontumMap.state.year === 2020 && !KontumMap.compare.timer", timeout=10_000)
    assert page.get_attribute("#kt-cmp-play", "aria-pressed") == "false"
    assert page.input_value("#kt-year") == "2020"
    page.click("#kt-cmp-off")
    assert page.evaluate("() => document.querySelectorAll('.leaflet-kt-change-pane path, #kt-swipe').length") == 0
    assert view.errors == []


def test_a_pair_across_two_standards_is_refused(view):
    page = view.open(f"/?lang={view.lang}")
    _panel(view, True)
    page.select_option("#kt-cmp-level", "district")
    assert "2021" in page.eval_on_selector_all("#kt-cmp-to option", "os => os.map(o => o.value)")
    page.select_option("#kt-cmp-from", "2020")
    page.select_option("#kt-cmp-to", "2021")
    assert _compare(page, "change") == "error"
    text = page.inner_text("#kt-cmp-result .kt-message")
    if view.lang == "vi":
        assert "Đa chiều 2016–2020" in text and "Đa chiều 2022–2025" in text and "không so sánh được" in text
    else:
        assert "Multidimensional 2016–2020" in text and "Multidimensional 2022–2025" in text
    assert page.evaluate("() => document.querySelectorAll('.leaflet-kt-change-pane path').length") == 0
    assert _compare(page, "swipe") == "error"  # the swipe view refuses the same pair
    assert page.locator("#kt-swipe").count() == 0


def test_a_2025_commune_row_opens_its_popup(view, obs, gpkg):
    from geo.indicators import values
    from geo.io import storage

    c2025 = storage.read_layer("communes_2025", gpkg).set_index("gso_code")["name"]
    page = view.open(f"/?lang={view.lang}")
    _panel(view, True)
    codes = ask(page, level="commune_2025")
    assert codes and all(c in c2025.index for c in codes)
    page.click(f'#kt-targets tbody tr[data-code="{codes[0]}"]')
    page.wait_for_selector(".leaflet-popup-content .kt-popup h3")
    assert page.inner_text(".leaflet-popup-content .kt-popup h3") == c2025[codes[0]]
    sel = page.evaluate("() => new URLSearchParams(location.search).get('sel')")
    assert sel == "communes_2025:" + codes[0]  # the open popup is in the view's link
    page.keyboard.press("Escape")
    # the attribute table of a 2025 layer: a row opens that commune's popup on the layer
    page.evaluate(
        "() => { const e = KontumMap.state.entries.c2025_poor_rate; KontumMap.state.map.addLayer(e.group); return e.loading; }"
    )
    page.wait_for_function("() => KontumMap.state.entries.c2025_poor_rate.features")
    page.wait_for_timeout(300)
    _panel(view, True)
    page.click("#kt-attributes summary")
    v = values.values(obs, "poor_rate", "commune_2025", 2020).set_index("gso_code")["value"]
    page.wait_for_function("() => document.querySelectorAll('#kt-attr-table tbody tr').length === 40")
    top = page.get_attribute("#kt-attr-table tbody tr:first-child", "data-code")
    assert top == v.idxmax()
    page.click(f'#kt-attr-table tbody tr[data-code="{top}"]')
    page.wait_for_selector(".leaflet-popup-content .kt-popup h3")
    assert page.inner_text(".leaflet-popup-content .kt-popup h3") == c2025[top]
    assert view.errors == []


@pytest.mark.parametrize("lang", ["vi", "en"])
def test_the_comparison_travels_in_the_link(browser, server, lang):  # noqa: F811
    """A shown comparison is in the page's address: the link opens the same change map (and the
    swipe view), the level, indicator and years in the form; closed, it leaves the address."""
    first = Tab(browser, server, DESKTOP)
    try:
        page = first.open(f"/?lang={lang}")
        page.select_option("#kt-cmp-level", "district")
        page.select_option("#kt-cmp-from", "2016")
        page.select_option("#kt-cmp-to", "2019")
        assert _compare(page, "change") == "change"
        page.wait_for_function("() => location.search.includes('cmp=')")
        link = page.evaluate("() => location.pathname + location.search")
        assert "cmp=change~district~poor_rate~2016~2019" in link.replace("%7E", "~")
        page.click("#kt-cmp-swipe")
        page.wait_for_function(
            "() => new URLSearchParams(location.search).get('cmp') === 'swipe~district~poor_rate~2016~2019'"
        )
        page.click("#kt-cmp-off")
        page.wait_for_function("() => !new URLSearchParams(location.search).has('cmp')")
        assert first.errors == []
    finally:
        first.context.close()
    second = Tab(browser, server, DESKTOP)
    try:
        page = second.open(link)
        page.wait_for_selector("body[data-kt-compare='change']", state="attached", timeout=SLOW)
        assert page.input_value("#kt-cmp-level") == "district"
        assert (page.input_value("#kt-cmp-from"), page.input_value("#kt-cmp-to")) == ("2016", "2019")
        assert page.evaluate("() => document.querySelectorAll('.leaflet-kt-change-pane path').length") == 10
        assert "2016 → 2019" in page.inner_text("#kt-change-legend")
        # a link with a comparison the data cannot make falls back to what they can
        page.goto(second.base + f"/?lang={lang}&cmp=change~commune~poor_rate~1990~2019")
        page.wait_for_selector("body[data-kt-compare='change']", state="attached", timeout=SLOW)
        assert page.input_value("#kt-cmp-from") == "2015" and page.input_value("#kt-cmp-to") == "2019"
        assert second.errors == []
    finally:
        second.context.close()
