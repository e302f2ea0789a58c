"""The planner's workbench in a real browser (Playwright + Debian Chromium), 1400×900 and 390×844, vi and en.

The targeting panel changes the ranking (year, border country, point and radius,
drawn polygon, district, programme status) and its answers are checked against
the library on the same data; totals, the attribute table, downloads, the view in
the URL, search and popups that fit under the header.  Screenshots go to
``$KT_SHOTS`` (default: pytest's temporary folder).
"""

from __future__ import annotations

import csv
import io
import logging
import os
import threading
from urllib.parse import parse_qs, urlparse

import pytest

sync_api = pytest.importorskip("playwright.sync_api")

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking"]
pytestmark = pytest.mark.skipif(not os.path.exists(CHROMIUM), reason=f"{CHROMIUM} not installed (make browser)")
DESKTOP = {"width": 1400, "height": 900}
PHONE = {"width": 390, "height": 844}
SLOW = 120_000  # ms: the first /targets builds the targeting context on a loaded 2-core machine


@pytest.fixture(scope="module")
def server(gpkg):
    from werkzeug.serving import make_server

    from app import create_app

    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    app = create_app({"TESTING": True})
    srv = make_server("127.0.0.1", 0, app, threaded=True)
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


@pytest.fixture(scope="module")
def shots(tmp_path_factory):
    path = os.environ.get("KT_SHOTS") or str(tmp_path_factory.mktemp("shots"))
    os.makedirs(path, exist_ok=True)
    return path


@pytest.fixture(scope="module")
def data(gpkg):
    from geo.io import storage

    return {name: storage.read_layer(name, gpkg) for name in ("communes", "observations", "border", "catalogue")}


class Tab:
    def __init__(self, browser, base, viewport=DESKTOP):
        self.base = base
        self.context = browser.new_context(viewport=viewport, locale="vi-VN", accept_downloads=True)
        self.context.set_default_timeout(60_000)
        self.page = self.context.new_page()
        self.errors: list[str] = []
        self.page.on("console", lambda m: m.type == "error" and self.errors.append(m.text))
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))

    def open(self, path="/"):
        self.page.goto(self.base + path)
        self.page.wait_for_selector("body[data-kt-ready]", state="attached", timeout=SLOW)
        assert self.page.get_attribute("body", "data-kt-ready") == "1", self.errors
        # the workbench restores the view (the link's, else the province's fit) after "ready"
        self.page.wait_for_selector("body[data-kt-workbench]", state="attached", timeout=SLOW)
        return self.page


@pytest.fixture
def tab(browser, server):
    t = Tab(browser, server)
    yield t
    t.context.close()


@pytest.fixture
def phone(browser, server):
    t = Tab(browser, server, PHONE)
    yield t
    t.context.close()


def answer(page):
    """Wait for the ranking the panel asked for last, and return its rows' GSO codes."""
    page.wait_for_function(
        "() => { const b = document.getElementById('kt-targets');"
        " return b && !b.hasAttribute('aria-busy') && b.querySelector('table, .kt-message, .kt-hint'); }",
        timeout=SLOW,
    )
    assert page.locator("#kt-targets .kt-message").count() == 0, page.inner_text("#kt-targets")
    return page.eval_on_selector_all("#kt-targets tbody tr", "rs => rs.map(r => r.dataset.code)")


def ask(page, **choices):
    """Set panel controls (by id suffix) and wait for the new answer."""
    before = page.evaluate("() => KontumMap.workbench.seq")
    for key, value in choices.items():
        sel = f"#kt-wb-{key}"
        if page.locator(sel).evaluate("e => e.tagName") == "SELECT":
            page.select_option(sel, str(value))
        else:
            page.fill(sel, str(value))
    if page.evaluate("() => !KontumMap.workbench.q.active"):
        page.click("#kt-wb-run")
    page.wait_for_timeout(400)  # the panel asks again 250 ms after a change
    if page.evaluate("n => KontumMap.workbench.seq === n", before):  # the value was already set
        page.evaluate("() => KontumMap.workbench.run().then(() => null)")
    page.wait_for_function("n => KontumMap.workbench.seq > n", arg=before, timeout=SLOW)
    return answer(page)


def value_of(data, indicator, year, code, level="commune"):
    from geo.indicators import values

    return values.values(data["observations"], indicator, level, year).set_index("gso_code")["value"][code]


def vi_number(x, digits=1):
    return f"{x:,.{digits}f}".replace(",", " ").replace(".", ",").replace(" ", ".")


# ---------------------------------------------------------------------- targeting


def test_year_switch_updates_ranking_caption_and_highlights(tab, data, shots):
    from geo.analysis import query

    page = tab.open("/")
    page.click("#kt-poorest-border")
    codes = answer(page)
    assert len(codes) == 10 and "— 2020 —" in page.inner_text("#kt-targets .kt-caption")
    # the border column is measured from inside each commune, not 0 for all
    expected = query.centre_distances(data["communes"], data["border"]).set_axis(data["communes"]["gso_code"])
    shown = page.eval_on_selector_all(
        '#kt-targets td[data-col="centre_to_border_km"]', "ts => ts.map(t => t.textContent)"
    )
    assert shown == [vi_number(expected[c]) + " km" for c in codes] and "0,0 km" not in shown
    page.screenshot(path=f"{shots}/desktop_vi_border_2020.png")
    page.select_option("#kt-year", "2016")  # the page's year: the ranking follows
    page.wait_for_function(
        "() => document.querySelector('#kt-targets .kt-caption') &&"
        " document.querySelector('#kt-targets .kt-caption').textContent.includes('— 2016 —')",
        timeout=SLOW,
    )
    codes16 = answer(page)
    first = page.inner_text("#kt-targets tbody tr:first-child td:nth-child(3)")
    assert first == vi_number(value_of(data, "poor_rate", 2016, codes16[0])) + "%"
    # the 2020 labels fade out (Leaflet removes a closed tooltip 200 ms later): wait for them to go
    page.wait_for_function("() => document.querySelectorAll('.kt-rank-label').length <= 10", timeout=10_000)
    labels = page.eval_on_selector_all(".kt-rank-label", "ls => ls.map(l => l.textContent)")
    assert sorted(labels, key=int) == [str(i) for i in range(1, 11)]
    page.wait_for_function("() => KontumMap.state.entries.poor_rate.meta.year === 2016", timeout=SLOW)
    assert tab.errors == []


def test_a_newer_highlight_replaces_one_still_being_drawn(tab):
    """Two answers highlighted before either is drawn (a year switched while the first waits)
    leave one set of rank labels, the newer one's, not both."""
    page = tab.open("/")
    page.click("#kt-poorest-border")
    answer(page)
    page.evaluate(
        """() => {
          const fs = KontumMap.workbench.answer.body.features;
          const older = fs.map(f => ({...f, properties: {...f.properties}}));
          const newer = fs.slice(0, 3).map((f, i) => ({...f, properties: {...f.properties, rank: 91 + i}}));
          return Promise.all([KontumMap.highlight(older), KontumMap.highlight(newer)]);
        }"""
    )
    # a closed label leaves the page 200 ms after it closes (Leaflet's fade)
    gone = "n => document.querySelectorAll('.kt-rank-label').length === n"
    page.wait_for_function(gone, arg=3, timeout=10_000)
    labels = page.eval_on_selector_all(".kt-rank-label", "ls => ls.map(l => l.textContent)")
    assert sorted(labels) == ["91", "92", "93"]
    page.evaluate("() => KontumMap.clearHighlight()")
    page.wait_for_function(gone, arg=0, timeout=10_000)
    assert tab.errors == []


def test_border_laos_and_cambodia(tab, data):
    c = data["communes"]
    countries = dict(zip(c["gso_code"], c["border_countries"]))
    page = tab.open("/")
    page.click("#kt-poorest-border")
    answer(page)
    page.fill("#kt-wb-top", "50")
    lao = ask(page, country="LAO")
    khm = ask(page, country="KHM")
    assert sorted(lao) == sorted(k for k, v in countries.items() if "LAO" in v.split(";"))
    assert sorted(khm) == sorted(k for k, v in countries.items() if "KHM" in v.split(";"))
    assert (
        len(lao) == 7 and len(khm) == 7 and set(lao) & set(khm) == {k for k, v in countries.items() if v == "KHM;LAO"}
    )


def test_point_and_radius_from_a_click(tab, data):
    from geo.analysis import query

    c = data["communes"]
    pt = c.set_index("gso_code").geometry["23545"].representative_point()
    page = tab.open("/")
    page.click("#kt-poorest-border")
    answer(page)
    page.fill("#kt-wb-top", "500")
    page.select_option("#kt-wb-constraint", "point")
    page.fill("#kt-wb-km", "15")
    before = page.evaluate("() => KontumMap.workbench.seq")
    page.evaluate("([lat, lng]) => KontumMap.state.map.setView([lat, lng], 10, {animate: false})", [pt.y, pt.x])
    x, y = page.evaluate(
        """([lat, lng]) => { const m = KontumMap.state.map; const p = m.latLngToContainerPoint([lat, lng]);
        const r = m.getContainer().getBoundingClientRect(); return [p.x + r.left, p.y + r.top]; }""",
        [pt.y, pt.x],
    )
    page.mouse.click(x, y)
    page.wait_for_function("n => KontumMap.workbench.seq > n", arg=before, timeout=SLOW)
    codes = answer(page)
    lon, lat = page.evaluate("() => KontumMap.workbench.q.point")
    want = query.near_point(c, lon, lat, 15)
    expected = set(want.mask.index[want.mask.to_numpy(dtype=bool)])
    assert set(codes) == expected and "23545" in codes and 3 < len(codes) < 102
    assert "Cách điểm" in page.inner_text("#kt-targets thead")


def test_drawn_polygon_lists_its_communes(tab, data):
    import shapely.geometry

    from geo.analysis import query

    page = tab.open("/")
    page.click(".leaflet-draw-draw-rectangle")
    box = page.locator(".folium-map").bounding_box()
    x0, y0 = box["x"] + box["width"] * 0.45, box["y"] + box["height"] * 0.5
    page.mouse.move(x0, y0)
    page.mouse.down()
    page.mouse.move(x0 + 120, y0 + 90, steps=6)
    page.mouse.up()
    page.wait_for_function("() => KontumMap.workbench.q.polygon !== null", timeout=SLOW)
    answer(page)
    page.fill("#kt-wb-top", "500")
    codes = ask(page)
    geom = shapely.geometry.shape(page.evaluate("() => KontumMap.workbench.q.polygon"))
    hit = query.intersecting(data["communes"], geom)
    assert set(codes) == set(hit.mask.index[hit.mask.to_numpy(dtype=bool)]) and codes
    assert page.locator(".leaflet-kt-highlight-pane path").count() >= len(codes)


def test_district_and_programme_status(tab, data):
    from geo.analysis import query

    c = data["communes"]
    page = tab.open("/")
    page.click("#kt-poorest-border")
    answer(page)
    page.fill("#kt-wb-top", "500")
    page.select_option("#kt-wb-constraint", "district")
    codes = ask(page, district="618")
    assert sorted(codes) == sorted(c.loc[c["district_code"] == "618", "gso_code"])
    page.select_option("#kt-wb-constraint", "status")
    codes = ask(page, status="p135")
    p135 = query.with_status(c, "p135", data["observations"], "commune", data["catalogue"])
    assert set(codes) == set(p135.mask.index[p135.mask.to_numpy(dtype=bool)]) and 10 < len(codes) < 102
    page.check("#kt-wb-negate")
    page.wait_for_function(
        "n => document.querySelectorAll('#kt-targets tbody tr').length === n", arg=102 - len(codes), timeout=SLOW
    )
    # a weighted composite: the score column, each indicator's standard shown
    page.select_option("#kt-wb-mode", "composite")
    page.fill("#kt-wb-w-near_poor_rate", "1")
    ask(page)
    assert "Điểm" in page.inner_text("#kt-targets thead")
    assert "Đa chiều 2016–2020" in page.inner_text(".kt-wb-weights")


def test_totals_of_the_selection(tab, data):
    from geo.indicators import values

    page = tab.open("/")
    page.click("#kt-poorest-border")
    codes = answer(page)
    poor = values.values(data["observations"], "poor_households", "commune", 2020).set_index("gso_code")["value"]
    text = page.inner_text('#kt-wb-totals [data-count="poor_households"]')
    assert vi_number(poor[codes].sum(), 0) in text and "100% minh họa" in text
    assert page.locator('#kt-wb-totals [data-count="households"]').count() == 1
    assert page.locator('#kt-wb-totals [data-count="population_2019"]').count() == 1


# ---------------------------------------------------------------------- table, downloads


def test_attribute_table_sorts_filters_and_opens_popups(tab, data):
    from geo.indicators import values

    v = values.values(data["observations"], "poor_rate", "commune", 2020).set_index("gso_code")["value"]
    page = tab.open("/")
    page.click("#kt-attributes summary")
    rows = page.locator("#kt-attr-table tbody tr")
    assert rows.count() == 102
    assert page.get_attribute("#kt-attr-table tbody tr:first-child", "data-code") == v.idxmax()
    page.click('#kt-attr-table th[data-sort="value"]')  # ascending now
    assert page.get_attribute("#kt-attr-table tbody tr:first-child", "data-code") == v.idxmin()
    page.fill("#kt-attr-min", "40")
    page.press("#kt-attr-min", "Enter")
    page.wait_for_function(
        "n => document.querySelectorAll('#kt-attr-table tbody tr').length === n", arg=int((v >= 40).sum())
    )
    codes = page.eval_on_selector_all("#kt-attr-table tbody tr", "rs => rs.map(r => r.dataset.code)")
    assert codes == sorted(codes, key=lambda c: v[c])
    href = page.get_attribute('.kt-attr-downloads a[data-format="csv"]', "href")
    assert parse_qs(urlparse(href).query)["codes"] == [",".join(codes)]
    r = page.request.get(tab.base + href)
    body = list(csv.reader(io.StringIO(r.body().decode("utf-8-sig"))))[1:]
    assert [row[0] for row in body] == codes  # exactly what the table shows, in its order
    name = data["communes"].set_index("gso_code")["name"][codes[0]]
    page.click(f'#kt-attr-table tbody tr[data-code="{codes[0]}"]')
    page.wait_for_selector(".leaflet-popup-content .kt-popup h3")
    assert page.inner_text(".leaflet-popup-content .kt-popup h3") == name
    assert tab.errors == []


def test_every_download_button_gives_a_file(tab):
    from openpyxl import load_workbook

    page = tab.open("/")
    page.click("#kt-poorest-border")
    answer(page)
    page.click("#kt-attributes summary")
    for scope in ("#kt-targets .kt-downloads", '#kt-layer-downloads [data-layer="poor_rate"]'):
        links = page.eval_on_selector_all(f"{scope} a.kt-dl", "as => as.map(a => [a.dataset.format, a.href])")
        assert [f for f, _ in links] == ["geojson", "csv", "gpkg", "shp", "kml", "xlsx"]
        for fmt, href in links:
            with page.expect_download() as info:
                page.click(f'{scope} a.kt-dl[data-format="{fmt}"]')
            dl = info.value
            data = open(dl.path(), "rb").read()
            assert dl.suggested_filename.startswith("kontum_") and "2020" in dl.suggested_filename, href
            if fmt == "csv":
                assert data.startswith(b"\xef\xbb\xbf")
                rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
                assert not {"wkt", "lon", "lat", "geometry"} & set(rows[0])
                assert max(len(x) for row in rows for x in row) <= 32_767
            elif fmt == "xlsx":
                assert load_workbook(io.BytesIO(data))["du_lieu_data"].max_row > 10
            elif fmt == "kml":
                assert b"<Placemark>" in data and b"<table>" in data
            elif fmt == "gpkg":
                assert data.startswith(b"SQLite format 3")
            elif fmt == "shp":
                assert data.startswith(b"PK")
            else:
                assert b'"FeatureCollection"' in data
    # coordinates on request
    page.select_option("#kt-targets .kt-wb-geom", "latlon")
    href = page.get_attribute('#kt-targets a.kt-dl[data-format="csv"]', "href")
    head = page.request.get(tab.base + href).body().decode("utf-8-sig").splitlines()[0]
    assert "Kinh độ" in head and "Vĩ độ" in head


# ---------------------------------------------------------------------- URL, search, popups


def test_the_url_restores_the_view(tab, browser, server):
    page = tab.open("/")
    page.select_option("#kt-year", "2016")
    page.wait_for_function("() => KontumMap.state.entries.poor_rate.meta.year === 2016")
    page.click('.kt-layers label[data-layer="near_poor_rate"] input')
    page.wait_for_function("() => KontumMap.state.entries.near_poor_rate.meta !== null")
    page.select_option('#kt-legend select.kt-scheme[data-layer="near_poor_rate"]', "equal_interval")
    page.wait_for_function(
        "() => KontumMap.state.entries.near_poor_rate.meta.classification.scheme === 'equal_interval'"
    )
    page.click("#kt-poorest-border")
    answer(page)
    page.select_option("#kt-wb-constraint", "district")
    codes = ask(page, district="610")
    # the answer's own fit to its communes may land after ask() returns: set the view until it holds
    settle = """() => { const m = KontumMap.state.map, c = m.getCenter();
        if (Math.abs(m.getZoom() - 10.5) > 1e-6 || Math.abs(c.lat - 14.9) > 1e-6 || Math.abs(c.lng - 107.8) > 1e-6) {
            m.setView([14.9, 107.8], 10.5, {animate: false}); return false; }
        return new URLSearchParams(location.search).get('z') === '10.5'; }"""
    page.wait_for_function(settle, polling=500)
    page.wait_for_timeout(1000)
    page.wait_for_function(settle, polling=500)  # still there a second later (the URL written on moveend)
    url = page.url
    other = Tab(browser, server)
    try:
        p2 = other.open(url[len(server) :])
        assert p2.evaluate("() => KontumMap.state.year") == 2016
        shown = p2.evaluate(
            "() => KontumMap.state.order.filter(id => KontumMap.state.map.hasLayer(KontumMap.state.entries[id].group))"
        )
        assert "near_poor_rate" in shown and "poor_rate" not in shown
        assert (
            p2.evaluate("() => KontumMap.state.entries.near_poor_rate.meta.classification.scheme") == "equal_interval"
        )
        assert answer(p2) == codes and "— 2016 —" in p2.inner_text("#kt-targets .kt-caption")
        assert p2.evaluate("() => KontumMap.workbench.q.district") == "610"
        c = p2.evaluate(
            "() => { const c = KontumMap.state.map.getCenter(); return [c.lat, c.lng, KontumMap.state.map.getZoom()]; }"
        )
        assert c == pytest.approx([14.9, 107.8, 10.5], abs=1e-3)
        assert other.errors == []
    finally:
        other.context.close()


def test_search_by_code_and_district_without_diacritics(tab):
    page = tab.open("/")
    page.fill("#kt-search", "23538")
    page.wait_for_selector("#kt-search-results li[data-code]")
    assert page.get_attribute("#kt-search-results li:first-child", "data-code") == "23538"
    assert "Xã Ia Tơi" in page.inner_text("#kt-search-results li:first-child")
    page.fill("#kt-search", "Ngoc Hoi")
    page.wait_for_selector("#kt-search-results li[data-code]")
    kinds = page.eval_on_selector_all("#kt-search-results li[data-code]", "ls => ls.map(l => l.dataset.kind)")
    text = page.inner_text("#kt-search-results")
    assert "Huyện Ngọc Hồi" in text and kinds.count("district") == 1 and kinds.count("commune") >= 5
    page.click('#kt-search-results li[data-kind="district"]')
    assert page.input_value("#kt-district") == "611"


def _popup_fits(page):
    box = page.locator(".leaflet-popup").bounding_box()
    header = page.locator(".kt-header").bounding_box()
    view = page.viewport_size
    return (
        box["y"] >= header["y"] + header["height"] - 1
        and box["y"] + box["height"] <= view["height"] + 1
        and box["x"] >= -1
        and box["x"] + box["width"] <= view["width"] + 1
    )


@pytest.mark.parametrize("lang", ["vi", "en"])
def test_search_opens_a_popup_fully_below_the_header(tab, lang, shots):
    page = tab.open(f"/?lang={lang}")
    page.fill("#kt-search", "ia toi")
    page.wait_for_selector("#kt-search-results li[data-code]")
    page.press("#kt-search", "Enter")
    page.wait_for_selector(".leaflet-popup-content .kt-popup h3")
    page.wait_for_timeout(700)  # the pan that makes room
    assert page.inner_text(".leaflet-popup-content .kt-popup h3") == "Xã Ia Tơi"
    assert _popup_fits(page)
    page.screenshot(path=f"{shots}/desktop_{lang}_ia_toi.png")
    assert "sel=23538" in page.url


@pytest.mark.parametrize("lang", ["vi", "en"])
def test_phone_opens_with_the_province_filling_the_map(phone, lang):
    """Was a race (1 load in 3-8): the page's fit, made while Leaflet still animated the first
    fit's zoom, was undone when that animation ended. The first fit is not animated now."""
    page = phone.open(f"/?lang={lang}")
    # the province fills the map at open
    fill = page.evaluate(
        """() => { const m = KontumMap.state.map, s = m.getSize();
        const b = L.latLngBounds(KontumMap.state.cfg.districts.map(d => d.bounds).flat());
        const a = m.latLngToContainerPoint(b.getNorthWest()), z = m.latLngToContainerPoint(b.getSouthEast());
        return [a.x, a.y, z.x, z.y, s.x, s.y]; }"""
    )
    x0, y0, x1, y1, w, h = fill
    assert x0 >= -2 and y0 >= -2 and x1 <= w + 2 and y1 <= h + 2
    assert (x1 - x0) / w > 0.75 or (y1 - y0) / h > 0.75  # the next quarter zoom step would cut it


@pytest.mark.parametrize("lang", ["vi", "en"])
def test_phone_layout(phone, lang, shots):
    page = phone.open(f"/?lang={lang}")
    page.screenshot(path=f"{shots}/phone_{lang}_open.png")
    # the header's controls and the demo mark are whole, in its width (the title wraps instead)
    head = page.evaluate(
        """() => ['kt-panel-toggle', 'kt-demo-notice', 'kt-lang-toggle'].map(id => {
            const e = document.getElementById(id), r = e.getBoundingClientRect();
            return [r.left, r.right, e.scrollWidth <= e.clientWidth + 1, e.innerText.trim()]; })"""
    )
    assert all(ok for _, _, ok, _ in head), head
    assert head[0][1] <= head[1][0] and head[1][1] <= head[2][0] and head[2][1] <= 390, head
    assert head[1][3] == ("⚠ minh họa" if lang == "vi" else "⚠ demo data")
    assert page.get_attribute("#kt-lang-toggle", "aria-label") == ("English" if lang == "vi" else "Tiếng Việt")
    assert page.is_hidden("#kt-search")
    page.click("#kt-panel-toggle")
    page.wait_for_selector("#kt-search", state="visible")
    page.click("#kt-poorest-border")
    answer(page)
    page.screenshot(path=f"{shots}/phone_{lang}_panel.png")
    # the legend folds away, and comes back
    page.click("#kt-panel-toggle")
    page.wait_for_selector("#kt-search", state="hidden")
    assert page.is_hidden("#kt-legend")
    page.click("#kt-legend-toggle")
    page.wait_for_selector("#kt-legend", state="visible")
    page.click("#kt-legend-toggle")
    page.wait_for_selector("#kt-legend", state="hidden")
    page.click("#kt-panel-toggle")
    page.fill("#kt-search", "ia toi")
    page.wait_for_selector("#kt-search-results li[data-code]")
    page.press("#kt-search", "Enter")
    page.wait_for_selector(".leaflet-popup-content .kt-popup h3")
    page.wait_for_timeout(700)
    assert page.is_hidden("#kt-search")  # the sheet gave way to the popup
    assert _popup_fits(page)
    page.screenshot(path=f"{shots}/phone_{lang}_ia_toi.png")
    assert phone.errors == []


def test_panel_speaks_the_pages_language(tab):
    from app import workbench

    en = workbench.strings("en")
    vi = workbench.strings("vi")
    english_only = {v for k, v in en.items() if isinstance(v, str) and v != vi[k] and len(v) > 3}
    page = tab.open("/")
    page.click("#kt-poorest-border")
    answer(page)
    page.click("#kt-attributes summary")
    text = page.inner_text("#kt-panel")
    assert not [w for w in english_only if w in text]
    page = tab.open("/?lang=en")
    assert "Spatial constraint" in page.inner_text("#kt-workbench") and "Attribute table" in page.inner_text(
        "#kt-panel"
    )
