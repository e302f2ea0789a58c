"""The map drawn from compressed, revalidated answers (issue 16) in headless Chromium."""

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


def test_page_draws_from_brotli_answers_and_reloads_from_cache(server):
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            ctx = browser.new_context(viewport={"width": 1400, "height": 900}, locale="vi-VN")
            ctx.set_default_timeout(30000)
            page = ctx.new_page()
            errors, codings, statuses = [], {}, []
            page.on("pageerror", lambda e: errors.append(str(e)))
            page.on("console", lambda m: m.type == "error" and errors.append(m.text))

            def seen(resp):
                path = resp.url[len(server) :]
                codings[path.split("?")[0]] = resp.headers.get("content-encoding")
                statuses.append((path, resp.status))

            page.on("response", seen)
            page.goto(server + "/")
            page.wait_for_selector("body[data-kt-ready]", state="attached", timeout=45000)
            assert page.get_attribute("body", "data-kt-ready") == "1", errors
            assert page.locator(".leaflet-kt-areas-pane path").count() == 102
            assert errors == []
            assert codings["/"] == "br" and codings["/layers/geometry/topology.json"] == "br"
            assert codings["/static/bundles/map.js"] == "br" and codings["/static/bundles/map.css"] == "br"

            page.reload()
            page.wait_for_selector("body[data-kt-ready]", state="attached", timeout=45000)
            assert page.locator(".leaflet-kt-areas-pane path").count() == 102
            sizes = page.evaluate(
                "() => performance.getEntriesByType('resource').map(r => [r.name, r.transferSize, r.decodedBodySize])"
            )
            static = [(n, t) for n, t, _ in sizes if "/static/" in n and "?v=" in n]
            # hashed (immutable) assets come from the cache: nothing over the wire
            assert static and all(t == 0 for _, t in static), static
            # the layer data revalidate: a 304 moves headers only, the body comes from the cache
            layer = [(t, d) for n, t, d in sizes if "/layers/geometry/topology" in n]
            assert layer and all(t < 1024 < d for t, d in layer), layer
            ctx.close()
        finally:
            browser.close()


FAST_3G = {"offline": False, "latency": 150, "downloadThroughput": 1.6e6 / 8, "uploadThroughput": 0.75e6 / 8}
RESOURCES = "() => performance.getEntriesByType('resource').map(r => [r.name, r.startTime, r.responseEnd])"


def _open(browser, url: str, throttle: bool):
    ctx = browser.new_context(viewport={"width": 1400, "height": 900}, locale="vi-VN")
    ctx.set_default_timeout(60000)
    page = ctx.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("console", lambda m: m.type == "error" and errors.append(m.text))
    if throttle:
        cdp = ctx.new_cdp_session(page)
        cdp.send("Network.enable")
        cdp.send("Network.emulateNetworkConditions", FAST_3G)
    page.goto(url)
    page.wait_for_selector("body[data-kt-ready]", state="attached", timeout=90000)
    assert page.get_attribute("body", "data-kt-ready") == "1", errors
    assert page.locator(".leaflet-kt-areas-pane path").count() == 102
    assert errors == []
    return ctx, page


def test_first_data_are_asked_before_the_scripts_and_each_once(server):
    """On a slow link the topology and the opening layers come beside the scripts, not one
    round trip after them (map_page.first_fetches); every answer asked early is used, none twice."""
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            ctx, page = _open(browser, server + "/", throttle=True)
            assert page.evaluate("() => Object.keys(window.KT_PREFETCH)") == []  # all taken
            entries = page.evaluate(RESOURCES)
            paths = [n[len(server) :] for n, _, _ in entries]
            data = [x for x in paths if x.startswith("/layers/")]
            assert "/layers/geometry/topology.json" in data
            assert "/layers/poor_rate.geojson?lang=vi&year=2020&geometry=none" in data
            assert len(data) == len(set(data)), data  # nothing fetched twice
            start = {n[len(server) :]: s for n, s, _ in entries}
            end = {n[len(server) :].split("?")[0]: e for n, _, e in entries}
            # asked while the scripts (the bundle, kontum-map.js in it) were still on their way (the script's own asks come after it ran)
            assert start["/layers/geometry/topology.json"] < end["/static/bundles/map.js"]
            ctx.close()

            # a link to another year: that year's layer is not asked early for the default year
            ctx, page = _open(browser, server + "/?year=2018", throttle=False)
            data = [n[len(server) :] for n, _, _ in page.evaluate(RESOURCES) if "/layers/" in n]
            assert "/layers/poor_rate.geojson?lang=vi&year=2018&geometry=none" in data
            assert not any("year=2020" in x for x in data), data
            assert "/layers/geometry/topology.json" in data
            ctx.close()
        finally:
            browser.close()
