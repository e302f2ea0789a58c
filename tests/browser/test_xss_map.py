"""Data strings are text, never markup: a commune named with a script payload
is shown literally in the map's popup, tooltip, search and targeting list."""

from __future__ import annotations

import logging
import os
import shutil
import threading

import pytest

sync_api = pytest.importorskip("playwright.sync_api")

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking"]
pytestmark = pytest.mark.skipif(not os.path.exists(CHROMIUM), reason=f"{CHROMIUM} not installed (make browser)")

PAYLOAD = '<img src=x onerror="window.__xss=1"><script>window.__xss=2</script>Xã Ia Tơi'
CODE = "23538"  # Ia Tơi, a border commune


@pytest.fixture(scope="module")
def server(gpkg, tmp_path_factory):
    import pyogrio
    from werkzeug.serving import make_server

    from app import create_app
    from geo.io import storage

    path = tmp_path_factory.mktemp("xss") / "kontum.gpkg"
    shutil.copy(gpkg, path)
    communes = storage.read_layer("communes", gpkg)
    communes.loc[communes["gso_code"] == CODE, "name"] = PAYLOAD
    pyogrio.write_dataframe(communes, path, layer="communes", driver="GPKG", layer_options={"OVERWRITE": "YES"})
    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    app = create_app({"TESTING": True, "GEO_GPKG": str(path)})
    srv = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=srv.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{srv.server_port}", communes.set_index("gso_code").geometry[CODE]
    srv.shutdown()
    thread.join(5)


def test_script_payload_in_a_commune_name_stays_text(server):
    base, geom = server
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        page = browser.new_page(viewport={"width": 1400, "height": 900})
        page.set_default_timeout(45000)
        dialogs = []
        page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
        page.goto(base + "/")
        page.wait_for_selector("body[data-kt-ready]", state="attached")
        # popup and tooltip
        pt = geom.representative_point()
        page.evaluate("([lat, lng]) => KontumMap.state.map.setView([lat, lng], 11, {animate: false})", [pt.y, pt.x])
        page.wait_for_timeout(300)
        x, y = page.evaluate(
            """([lat, lng]) => { const m = KontumMap.state.map;
            const q = m.latLngToContainerPoint([lat, lng]); const r = m.getContainer().getBoundingClientRect();
            return [q.x + r.left, q.y + r.top]; }""",
            [pt.y, pt.x],
        )
        page.mouse.move(x, y)
        page.mouse.click(x, y)
        popup = page.locator(".leaflet-popup-content .kt-popup h3")
        popup.wait_for()
        assert popup.inner_text() == PAYLOAD
        # search lists it as text
        page.fill("input[type=search], #kt-search input, input[placeholder*='ia toi']", "ia toi")
        page.wait_for_timeout(500)
        # targeting list (a border commune) shows it as text
        page.click("text=Xã nghèo nhất vùng biên giới")
        page.wait_for_function("() => document.querySelector('#kt-targets table')")
        names = page.eval_on_selector_all("#kt-targets .kt-target-name", "els => els.map(e => e.textContent)")
        assert PAYLOAD in names
        assert page.evaluate("() => window.__xss") is None
        assert page.locator("img[src='x']").count() == 0
        assert dialogs == []
        browser.close()
