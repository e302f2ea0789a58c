"""The layer group of the 2025 communes in a real browser (headless Debian Chromium, Playwright)."""

from __future__ import annotations

import logging
import os
import threading

import pytest

sync_api = pytest.importorskip("playwright.sync_api")

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking"]
pytestmark = pytest.mark.skipif(not os.path.exists(CHROMIUM), reason=f"{CHROMIUM} not installed (make browser)")


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


@pytest.fixture
def page(server):
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        context = browser.new_context(viewport={"width": 1400, "height": 900}, locale="vi-VN")
        context.set_default_timeout(30000)
        pg = context.new_page()
        pg.errors = []
        pg.on("console", lambda m: m.type == "error" and pg.errors.append(m.text))
        pg.on("pageerror", lambda e: pg.errors.append(str(e)))
        pg.goto(server + "/")
        pg.wait_for_selector("body[data-kt-ready]", state="attached", timeout=45000)
        assert pg.get_attribute("body", "data-kt-ready") == "1", pg.errors
        yield pg
        browser.close()


def _show(page, layer_id: str) -> None:
    page.click(f'.kt-layers label[data-layer="{layer_id}"] input')
    page.wait_for_function(
        "id => { const e = KontumMap.state.entries[id]; return e && e.leaflet && e.meta; }", arg=layer_id
    )
    page.wait_for_selector(f'#kt-legend .kt-legend-block[data-layer="{layer_id}"] .kt-legend-row')


def _inner_points(geom, n: int = 7) -> list[tuple[float, float]]:
    """The representative point, then points of an n×n grid that fall inside ``geom`` (lat, lng)."""
    from shapely.geometry import Point

    pt = geom.representative_point()
    x0, y0, x1, y1 = geom.bounds
    grid = [(y0 + (y1 - y0) * (j + 0.5) / n, x0 + (x1 - x0) * (i + 0.5) / n) for i in range(n) for j in range(n)]
    return [(pt.y, pt.x)] + [(lat, lng) for lat, lng in grid if geom.contains(Point(lng, lat))]


def _click(page, layer: str, gso_code: str) -> str:
    from geo.io import storage

    geom = storage.read_layer(layer).set_index("gso_code").geometry[gso_code]
    candidates = _inner_points(geom)
    page.evaluate("([lat, lng]) => { KontumMap.state.map.setView([lat, lng], 11, {animate: false}); }", candidates[0])
    page.wait_for_timeout(300)
    # under load the shapes are redrawn a moment after the view changes, and a point marker or a
    # cluster may sit on the representative point: click the first inside point where a shape is on top
    handle = page.wait_for_function(
        """pts => { const m = KontumMap.state.map, r = m.getContainer().getBoundingClientRect();
        for (const [lat, lng] of pts) {
            const p = m.latLngToContainerPoint([lat, lng]), x = p.x + r.left, y = p.y + r.top;
            const e = document.elementFromPoint(x, y);
            if (e && e.tagName === 'path' && e.classList.contains('leaflet-interactive')) return [x, y];
        }
        return null; }""",
        arg=candidates,
    )
    x, y = handle.json_value()
    page.mouse.click(x, y)
    page.wait_for_selector(".leaflet-popup-content .kt-popup")
    return page.inner_text(".leaflet-popup-content .kt-popup")


def _vn(value: float, digits: int = 1) -> str:
    return f"{value:,.{digits}f}".replace(",", " ").replace(".", ",").replace(" ", ".")


def test_the_2025_layer_draws_and_its_popup_shows_the_carried_value(page, gpkg, tmp_path):
    from geo.indicators import values as indicators
    from geo.io import storage

    obs = storage.read_layer("observations", gpkg)
    carried = indicators.values(obs, "poor_rate", "commune_2025", 2020).set_index("gso_code").loc["23473"]
    _show(page, "c2025_poor_rate")
    assert page.evaluate("() => KontumMap.state.entries.c2025_poor_rate.leaflet.getLayers().length") == 40
    assert not page.is_checked('.kt-layers label[data-layer="poor_rate"] input')  # one area layer at a time
    text = _click(page, "communes_2025", "23473")
    page.screenshot(path=str(tmp_path / "c2025_poor_rate.png"))
    assert page.inner_text(".leaflet-popup-content .kt-popup h3") == "Xã Măng Đen"
    assert (
        _vn(carried["value"]) + "%" in text and "Tỷ lệ hộ nghèo (2020 · Đa chiều 2016–2020)" in text
    )  # the label names the standard
    assert "minh họa" in text and "dữ liệu minh họa / demo data" in text  # carried from synthetic communes
    assert "Gồm các xã (2020)" in text and "(23473)" in text
    assert "Đa chiều 2016–2020" in text
    # the 2025 commune's own series (carried from its 2020 communes), one line per indicator and standard
    page.wait_for_selector(".leaflet-popup-content .kt-chart svg")
    lines = page.eval_on_selector_all(
        ".leaflet-popup-content .kt-chart .kt-series", "els => els.map(e => [e.dataset.indicator, e.dataset.standard])"
    )
    assert sorted(set(map(tuple, lines))) == [("near_poor_rate", "2016-2020"), ("poor_rate", "2016-2020")]
    assert page.errors == []


def test_a_derived_carried_value_shows_its_status(page, gpkg):
    from geo.indicators import values as indicators
    from geo.io import storage

    obs = storage.read_layer("observations", gpkg)
    pop = indicators.values(obs, "population_2019", "commune_2025", 2019).set_index("gso_code").loc["23293"]
    assert pop["status"] == "derived"
    _show(page, "c2025_population_2019")
    text = _click(page, "communes_2025", "23293")
    assert page.inner_text(".leaflet-popup-content .kt-popup h3") == "Phường Kon Tum"
    assert _vn(pop["value"], 0) in text and "tính toán" in text
    assert "Nghị quyết 1677/NQ-UBTVQH15" in text  # the source names the crosswalk


def test_a_2020_commune_popup_names_its_2025_commune(page):
    page.evaluate("() => KontumMap.state.entries.poor_rate.byCode['23323'].openPopup()")  # Xã Đắk Blà
    page.wait_for_selector(".leaflet-popup-content .kt-popup")
    text = page.inner_text(".leaflet-popup-content .kt-popup")
    assert page.inner_text(".leaflet-popup-content .kt-popup h3") == "Xã Đắk Blà"
    assert "Xã từ 1/7/2025" in text and "Xã Đăk Rơ Wa (Mã GSO 23332)" in text
    assert page.errors == []
