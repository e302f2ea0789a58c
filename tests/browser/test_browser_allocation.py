"""The allocation box of the map page in a real browser (Playwright + Debian Chromium), 1400×900 and 390×844, vi and en.

Choose a rule, an envelope and a year, compute, and check the page against
``POST /allocations`` on the same data: the table's amounts, the map layer
(amount per unit, ineligible units hatched), the two synthetic lines, the
downloads of exactly that allocation, two scenarios and their difference per
unit, and the equity view with its Lorenz chart.  Screenshots go to
``$KT_SHOTS`` (default: pytest's temporary folder).
"""

from __future__ import annotations

import csv
import io
import json
import logging
import os
import threading
import urllib.request

import pytest
from openpyxl import load_workbook

from geo.io import annex

sync_api = pytest.importorskip("playwright.sync_api")

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking"]
pytestmark = pytest.mark.skipif(not os.path.exists(CHROMIUM), reason=f"{CHROMIUM} not installed (make browser)")
DESKTOP = {"width": 1400, "height": 900}
PHONE = {"width": 390, "height": 844}
SLOW = 120_000  # ms: a loaded 2-core machine
RULE = "tmr_kp_2020_minh_hoa"


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


def api(server, body: dict) -> dict:
    """The same allocation straight from the API (what the page must show)."""
    req = urllib.request.Request(
        server + "/allocations", data=json.dumps(body).encode(), headers={"Content-Type": "application/json"}
    )
    with urllib.request.urlopen(req, timeout=120) as r:
        return json.loads(r.read())


def open_page(browser, server, viewport, lang):
    context = browser.new_context(viewport=viewport, locale="vi-VN", accept_downloads=True)
    context.set_default_timeout(60_000)
    page = context.new_page()
    errors: list[str] = []
    page.on("console", lambda m: m.type == "error" and errors.append(m.text))
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(f"{server}/?lang={lang}")
    page.wait_for_selector("body[data-kt-ready]", state="attached", timeout=SLOW)
    assert page.get_attribute("body", "data-kt-ready") == "1", errors
    if viewport["width"] < 760:
        page.click("#kt-panel-toggle")
    page.click("#kt-alloc-details > summary")
    page.wait_for_selector("#kt-alloc-rule")
    return context, page, errors


def compute(page):
    before = page.evaluate("() => KontumMap.allocation.st.seq")
    page.click("#kt-alloc-run")
    page.wait_for_function(
        f"() => KontumMap.allocation.st.seq > {before} && !document.getElementById('kt-alloc-result').hasAttribute('aria-busy')"
        " && document.body.dataset.ktAllocMap",
        timeout=SLOW,
    )
    assert page.locator("#kt-alloc-message .kt-message").count() == 0, page.inner_text("#kt-alloc-message")


def amounts(page, table="#kt-alloc-table") -> dict[str, int]:
    cells = page.eval_on_selector_all(
        f"{table} tbody tr", "rs => rs.map(r => [r.dataset.code, r.querySelector('[data-col=amount]').textContent])"
    )
    return {code: int(text.replace(".", "").replace(",", "")) for code, text in cells}


def test_allocation_desktop_vi_matches_the_api_map_downloads_and_scenarios(browser, server, shots, tmp_path):
    context, page, errors = open_page(browser, server, DESKTOP, "vi")
    try:
        names = page.eval_on_selector_all("#kt-alloc-rule option", "os => os.map(o => o.value)")
        assert sorted(names) == ["p135_2020_minh_hoa", "poor_districts_qd275_2018_2020", RULE, RULE_2025]
        assert page.input_value("#kt-alloc-rule") == RULE and page.input_value("#kt-alloc-envelope") == "40744"
        assert "minh họa — không phải tiêu chí chính thức" in page.inner_text("#kt-alloc-status")
        assert "Căn cứ" in page.inner_text("#kt-alloc-status")
        compute(page)
        want = api(server, {"rule": RULE, "envelope": 40744, "year": 2020})
        eligible = {u["gso_code"]: u["amount"] for u in want["units"] if u["eligible"]}
        assert amounts(page) == eligible and len(eligible) == 20
        assert page.inner_text("#kt-alloc-total") == "40.744"
        assert "40.744 / 40.744" in page.inner_text("#kt-alloc-summary")
        # the synthetic share, split: criterion values and the per-household denominator
        assert page.get_attribute("#kt-alloc-syn-criteria", "data-share") == "1"
        assert "mẫu số" in page.inner_text("#kt-alloc-syn-household")
        # the map layer: 102 communes, the 82 ineligible hatched with the page's no-data pattern
        fills = page.eval_on_selector_all(".leaflet-kt-alloc-pane path", "ps => ps.map(p => p.getAttribute('fill'))")
        assert len(fills) == 102 and fills.count("url(#kt-nodata)") == 82
        assert len(set(fills) - {"url(#kt-nodata)"}) >= 3  # a choropleth, not one colour
        # the equity view: the curve over every unit (102 + origin) and over the eligible (20 + origin)
        assert page.get_attribute(".kt-lorenz-all", "data-points") == "103"
        assert page.get_attribute(".kt-lorenz-eligible", "data-points") == "21"
        gini = f"{want['equity']['gini']:.3f}".replace(".", ",")
        assert gini in page.inner_text("#kt-alloc-gini")
        assert page.locator("#kt-alloc-districts tbody tr").count() == 10
        page.screenshot(path=os.path.join(shots, "alloc_desktop_vi.png"))

        # downloads of exactly this allocation
        with page.expect_download() as info:
            page.click("#kt-alloc-csv")
        rows = list(csv.DictReader(io.StringIO(open(info.value.path(), encoding="utf-8-sig").read())))
        assert {r["gso_code"]: int(r["amount"]) for r in rows if int(r["amount"])} == eligible

        # scenario A kept; B: Program 135 communes weigh 10 points instead of 2 (custom)
        page.click("#kt-alloc-keep")
        page.fill("#kt-alloc-w-p135", "10")
        assert page.locator("#kt-alloc-custom-flag").count() == 1
        compute(page)
        assert "tùy chỉnh" in page.inner_text("#kt-alloc-caption")
        rule = page.evaluate("() => KontumMap.allocation.st.rule")
        assert next(c for c in rule["criteria"] if c["id"] == "p135")["coefficient"] == 10
        b = api(server, {"rule": rule, "envelope": 40744, "year": 2020})
        assert b["totals"]["custom"] is True
        b_amounts = {u["gso_code"]: u["amount"] for u in b["units"]}
        diffs = page.eval_on_selector_all(
            "#kt-alloc-diff tbody tr", "rs => rs.map(r => [r.dataset.code, +r.dataset.diff])"
        )
        assert diffs and all(d == b_amounts[c] - eligible.get(c, 0) for c, d in diffs)
        assert sum(d for _, d in diffs) == 0  # the same envelope, moved between communes
        assert any(d != 0 for _, d in diffs)
        page.select_option("#kt-alloc-show", "diff")
        page.wait_for_function("() => document.body.dataset.ktAllocMap === 'diff'")
        page.screenshot(path=os.path.join(shots, "alloc_desktop_vi_compare.png"))
        with page.expect_download() as info:
            page.click("#kt-alloc-xlsx")
        assert "custom" in info.value.suggested_filename
        ws = load_workbook(io.BytesIO(open(info.value.path(), "rb").read())).worksheets[0]
        head = annex.header_row(ws)
        top = " ".join(str(ws.cell(i, 1).value) for i in range(1, head))
        assert "đã điều chỉnh (tùy chỉnh)" in top and "mẫu số" in top
        assert errors == []
    finally:
        context.close()


RULE_2025 = "tmr_kp_xa_moi_2025_minh_hoa"


def test_allocation_among_the_2025_communes_draws_the_40_new_communes(browser, server, shots):
    """A rule at the level of the communes of 1 July 2025: the page draws the 40 new communes
    (not the 102 of 2020) with the API's amounts, and a row click goes to the new commune."""
    context, page, errors = open_page(browser, server, DESKTOP, "en")
    try:
        page.select_option("#kt-alloc-rule", RULE_2025)
        assert page.input_value("#kt-alloc-level") == "commune_2025"
        page.fill("#kt-alloc-envelope", "40744")
        compute(page)
        want = api(server, {"rule": RULE_2025, "envelope": 40744, "year": 2020})
        eligible = {u["gso_code"]: u["amount"] for u in want["units"] if u["eligible"]}
        assert amounts(page) == eligible and 0 < len(eligible) < 40
        fills = page.eval_on_selector_all(".leaflet-kt-alloc-pane path", "ps => ps.map(p => p.getAttribute('fill'))")
        assert len(fills) == 40 and fills.count("url(#kt-nodata)") == 40 - len(eligible)
        page.screenshot(path=os.path.join(shots, "alloc_desktop_en_2025.png"))
        assert errors == []
    finally:
        context.close()


def test_allocation_page_says_a_bad_envelope_in_its_language(browser, server):
    context, page, _ = open_page(browser, server, DESKTOP, "vi")
    try:
        page.fill("#kt-alloc-envelope", "")
        page.click("#kt-alloc-run")
        assert "Tổng vốn phải là một số nguyên dương triệu đồng" in page.inner_text("#kt-alloc-message")
        page.fill("#kt-alloc-w-base", "-1")
        page.fill("#kt-alloc-envelope", "40744")
        page.click("#kt-alloc-run")
        assert "Hệ số và điểm phải là số không âm" in page.inner_text("#kt-alloc-message")
    finally:
        context.close()


@pytest.mark.parametrize(
    "viewport, lang", [(DESKTOP, "en"), (PHONE, "vi"), (PHONE, "en")], ids=["desktop-en", "phone-vi", "phone-en"]
)
def test_allocation_in_each_size_and_language(browser, server, shots, viewport, lang):
    context, page, errors = open_page(browser, server, viewport, lang)
    try:
        compute(page)
        text = page.inner_text("#kt-alloc")
        if lang == "en":
            assert "illustrative — not the official criteria" in text and "eligible:" in text
            assert "Equity: where the money goes" in text and "đủ điều kiện" not in text
            assert page.inner_text("#kt-alloc-total") == "40,744"
        else:
            assert "Công bằng: vốn đến đâu" in text and "not eligible" not in text
        assert page.evaluate("() => document.documentElement.scrollWidth") <= viewport["width"]
        page.screenshot(path=os.path.join(shots, f"alloc_{'phone' if viewport is PHONE else 'desktop'}_{lang}.png"))
        page.locator("#kt-alloc-equity").scroll_into_view_if_needed()
        page.screenshot(
            path=os.path.join(shots, f"alloc_{'phone' if viewport is PHONE else 'desktop'}_{lang}_equity.png")
        )
        assert errors == []
    finally:
        context.close()
