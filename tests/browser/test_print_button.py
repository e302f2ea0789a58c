"""The page's "In bản đồ / Print map" button opens /print for what is on screen (real Chromium)."""

from __future__ import annotations

from urllib.parse import parse_qs, urlparse

import pytest
from browser import test_browser as base

# The same server, browser and page fixtures as the main browser tests (one server per module).
server, browser, tab = base.server, base.browser, base.tab
pytestmark = base.pytestmark


def _printed(page) -> str:
    page.evaluate("() => { window.open = (u) => { window.__printed = u; return null; }; }")
    page.click("#kt-print")
    return page.evaluate("() => window.__printed")


@pytest.mark.parametrize("lang, label", [("vi", "In bản đồ"), ("en", "Print map")])
def test_print_button_opens_the_sheet_of_the_screen(tab, lang, label):
    page = tab.open(f"/?lang={lang}")
    assert page.inner_text("#kt-print").strip() == label
    page.evaluate("() => KontumMap.state.map.setView([14.6, 107.9], 12, { animate: false })")
    url = _printed(page)
    q = {k: v[0] for k, v in parse_qs(urlparse(url).query).items()}
    assert urlparse(url).path == "/print" and q["lang"] == lang and q["format"] == "pdf"
    west, south, east, north = (float(x) for x in q["bbox"].split(","))
    assert west < 107.9 < east and south < 14.6 < north and east - west < 1.0  # the zoomed view, not the province
    visible = page.evaluate(
        "() => KontumMap.state.order.filter(id => KontumMap.state.map.hasLayer(KontumMap.state.entries[id].group))"
    )
    assert q["layer"] in visible
    resp = page.request.get(tab.base + url)
    assert resp.status == 200 and resp.headers["content-type"] == "application/pdf" and resp.body()[:5] == b"%PDF-"
    assert not tab.errors
