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
            assert codings["/static/map/kontum-map.js"] == "br"

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
