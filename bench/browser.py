"""The map page in headless Debian Chromium (Playwright): bytes and time to draw.

Each load opens a fresh browser context (empty HTTP cache) at the map page
``/`` and records, from the navigation start:

* ``areas_drawn_ms`` — the commune polygons are in the map's area pane
  (``.leaflet-kt-areas-pane`` has its ``path`` elements) and a frame has
  been painted after that (two ``requestAnimationFrame`` turns);
* ``ready_ms`` — the page says every default layer is loaded and drawn
  (``body[data-kt-ready="1"]``, set by static/map/kontum-map.js);
* the bytes of every response (Resource Timing ``encodedBodySize``: what
  came over the wire, no compression is used) grouped into the page HTML,
  layer data (``/layers/…``), static assets (``/static/…``) and other;
* how many commune paths exist and how many are drawn (non-empty ``d``:
  Leaflet leaves paths outside the view empty).
"""

from __future__ import annotations

import statistics
import time
from pathlib import Path

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking"]
VIEWPORT = {"width": 1400, "height": 900}

INIT_SCRIPT = """
(() => {
  window.__kt = {areas: null, ready: null, readyValue: null, paths: 0};
  const done = (key) => requestAnimationFrame(() => requestAnimationFrame(() => {
    if (window.__kt[key] === null) window.__kt[key] = performance.now();
  }));
  const check = () => {
    const pane = document.querySelector('.leaflet-kt-areas-pane');
    // national mode: the communes are canvas tiles; the page sets data-kt-tiles once they are drawn
    const tiled = document.body && document.body.hasAttribute('data-kt-tiles');
    if (window.__kt.areas === null && pane && (pane.querySelector('path') || tiled)) done('areas');
    const r = document.body && document.body.getAttribute('data-kt-ready');
    if (r && window.__kt.readyValue === null) { window.__kt.readyValue = r; done('ready'); }
  };
  new MutationObserver(check).observe(document, {subtree: true, childList: true, attributes: true,
                                                 attributeFilter: ['data-kt-ready', 'data-kt-tiles']});
})();
"""

COLLECT = """
() => {
  const nav = performance.getEntriesByType('navigation')[0];
  const res = performance.getEntriesByType('resource').map(r => ({
    name: r.name, encoded: r.encodedBodySize, decoded: r.decodedBodySize, transfer: r.transferSize,
    start: r.startTime, end: r.responseEnd}));
  res.unshift({name: nav.name, encoded: nav.encodedBodySize, decoded: nav.decodedBodySize,
               transfer: nav.transferSize, start: 0, end: nav.responseEnd, document: true});
  const pane = document.querySelector('.leaflet-kt-areas-pane');
  const paths = pane ? Array.from(pane.querySelectorAll('path')) : [];
  const drawn = paths.filter(p => (p.getAttribute('d') || '').length > 2).length;
  const all = document.querySelectorAll('.leaflet-overlay-pane path, .leaflet-pane path').length;
  return {kt: window.__kt, resources: res, area_paths: paths.length, area_paths_drawn: drawn,
          svg_paths_total: all, dom_nodes: document.getElementsByTagName('*').length,
          dom_content_loaded: nav.domContentLoadedEventEnd, load_event: nav.loadEventEnd};
}
"""


def _group(url: str, base: str) -> str:
    path = url[len(base) :] if url.startswith(base) else url
    if path.startswith("/layers"):
        return "layer_data"
    if path.startswith("/static"):
        return "static"
    if path in ("/", "") or path.startswith("/?"):
        return "page"
    return "other"


def measure(
    base: str, loads: int = 3, path: str = "/", timeout_s: float = 120.0, screenshot: Path | None = None
) -> list[dict]:
    """``loads`` page loads, each in a fresh context; one dict per load."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout
    from playwright.sync_api import sync_playwright

    out = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            for i in range(loads):
                ctx = browser.new_context(viewport=VIEWPORT, locale="vi-VN")
                ctx.add_init_script(INIT_SCRIPT)
                page = ctx.new_page()
                errors: list[str] = []
                pending: dict[str, float] = {}
                page.on("pageerror", lambda e, errors=errors: errors.append(str(e)))
                page.on("console", lambda m, errors=errors: m.type == "error" and errors.append(m.text))
                page.on("request", lambda r, pending=pending: pending.__setitem__(r.url, time.perf_counter()))
                page.on("requestfinished", lambda r, pending=pending: pending.pop(r.url, None))
                page.on("requestfailed", lambda r, pending=pending: pending.pop(r.url, None))
                t0 = time.perf_counter()
                page.goto(base + path, wait_until="commit", timeout=timeout_s * 1000)
                try:
                    page.wait_for_function(
                        "() => window.__kt && window.__kt.ready !== null", timeout=timeout_s * 1000, polling=50
                    )
                except PlaywrightTimeout:
                    out.append(
                        {
                            "load": i + 1,
                            "timed_out": True,
                            "timeout_s": timeout_s,
                            "pending": sorted(u[len(base) :] for u in pending),
                            "waited_s": round(time.perf_counter() - t0, 1),
                            "errors": errors[:5],
                        }
                    )
                    ctx.close()
                    break  # the server is still busy with the pending requests: stop here
                data = page.evaluate(COLLECT)
                if screenshot is not None and i == loads - 1:
                    screenshot.parent.mkdir(parents=True, exist_ok=True)
                    page.screenshot(path=str(screenshot))
                ctx.close()
                groups: dict[str, dict] = {}
                for r in data["resources"]:
                    g = groups.setdefault(_group(r["name"], base), {"bytes": 0, "decoded_bytes": 0, "requests": 0})
                    g["bytes"] += r["encoded"] or 0
                    g["decoded_bytes"] += r["decoded"] or 0
                    g["requests"] += 1
                layer_end = max(
                    (r["end"] for r in data["resources"] if _group(r["name"], base) == "layer_data"), default=None
                )
                kt = data["kt"]
                out.append(
                    {
                        "load": i + 1,
                        "ready": kt["readyValue"],
                        "areas_drawn_ms": None if kt["areas"] is None else round(kt["areas"]),
                        "ready_ms": None if kt["ready"] is None else round(kt["ready"]),
                        "layer_data_received_ms": None if layer_end is None else round(layer_end),
                        "dom_content_loaded_ms": round(data["dom_content_loaded"]),
                        "bytes": groups,
                        "page_plus_layer_data_bytes": sum(
                            groups.get(k, {}).get("bytes", 0) for k in ("page", "layer_data")
                        ),
                        "total_bytes": sum(g["bytes"] for g in groups.values()),
                        "area_paths": data["area_paths"],
                        "area_paths_drawn": data["area_paths_drawn"],
                        "dom_nodes": data["dom_nodes"],
                        "largest": sorted(
                            ({"url": r["name"][len(base) :], "bytes": r["encoded"]} for r in data["resources"]),
                            key=lambda r: -r["bytes"],
                        )[:6],
                        "errors": errors[:5],
                        "timed_out": False,
                    }
                )
        finally:
            browser.close()
    return out


def summary(loads: list[dict]) -> dict:
    """Cold (first load) and warm (median of the others) times; bytes of the last load."""
    if any(r.get("timed_out") for r in loads):
        bad = next(r for r in loads if r.get("timed_out"))
        return {
            "timed_out": True,
            "timeout_s": bad["timeout_s"],
            "pending": bad["pending"],
            "completed_loads": len(loads) - 1,
            "errors": bad["errors"],
        }

    def med(key, rows):
        vals = [r[key] for r in rows if r[key] is not None]
        return round(statistics.median(vals)) if vals else None

    warm = loads[1:] or loads
    last = loads[-1]
    return {
        "cold_areas_drawn_ms": loads[0]["areas_drawn_ms"],
        "cold_ready_ms": loads[0]["ready_ms"],
        "warm_areas_drawn_ms": med("areas_drawn_ms", warm),
        "warm_ready_ms": med("ready_ms", warm),
        "warm_layer_data_received_ms": med("layer_data_received_ms", warm),
        "page_bytes": last["bytes"].get("page", {}).get("bytes", 0),
        "layer_data_bytes": last["bytes"].get("layer_data", {}).get("bytes", 0),
        "static_bytes": last["bytes"].get("static", {}).get("bytes", 0),
        "page_plus_layer_data_bytes": last["page_plus_layer_data_bytes"],
        "total_bytes": last["total_bytes"],
        "area_paths": last["area_paths"],
        "area_paths_drawn": last["area_paths_drawn"],
        "ready": last["ready"],
        "errors": sorted({e for r in loads for e in r["errors"]})[:5],
        "largest": last["largest"],
    }


# ------------------------------------------------------------- slow networks (issue 16)

#: Chromium DevTools throughput is in bytes per second; latency in ms (round trip added per request).
PROFILES = {
    "fast3g": {"latency": 150, "downloadThroughput": 1.6e6 / 8, "uploadThroughput": 0.75e6 / 8},
    "4g": {"latency": 40, "downloadThroughput": 9e6 / 8, "uploadThroughput": 9e6 / 8},
}


def measure_network(base: str, profile: str, path: str = "/", reloads: int = 2, timeout_s: float = 120.0) -> dict:
    """The map page under the network ``profile`` (:data:`PROFILES`, CDP
    ``Network.emulateNetworkConditions``): a cold load in a fresh context, then
    ``reloads`` reloads in the same context (its HTTP cache: revalidations and
    immutable assets).  Times from navigation start; bytes are ``transferSize``
    (headers + coded body; a 304 or a cache hit counts only its headers, or 0).
    """
    from playwright.sync_api import sync_playwright

    cond = {"offline": False, **PROFILES[profile]}
    runs = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            ctx = browser.new_context(viewport=VIEWPORT, locale="vi-VN")
            ctx.add_init_script(INIT_SCRIPT)
            page = ctx.new_page()
            cdp = ctx.new_cdp_session(page)
            cdp.send("Network.enable")
            cdp.send("Network.emulateNetworkConditions", cond)
            for i in range(reloads + 1):
                if i == 0:
                    page.goto(base + path, wait_until="commit", timeout=timeout_s * 1000)
                else:
                    page.reload(wait_until="commit", timeout=timeout_s * 1000)
                page.wait_for_function(
                    "() => window.__kt && window.__kt.ready !== null", timeout=timeout_s * 1000, polling=50
                )
                data = page.evaluate(COLLECT)
                kt = data["kt"]
                runs.append(
                    {
                        "load": "cold" if i == 0 else f"reload {i}",
                        "areas_drawn_ms": None if kt["areas"] is None else round(kt["areas"]),
                        "ready_ms": None if kt["ready"] is None else round(kt["ready"]),
                        "transferred_bytes": sum(r["transfer"] or 0 for r in data["resources"]),
                        "decoded_bytes": sum(r["decoded"] or 0 for r in data["resources"]),
                        "requests": len(data["resources"]),
                        "area_paths_drawn": data["area_paths_drawn"],
                        **tile_counts(data["resources"]),
                    }
                )
            ctx.close()
        finally:
            browser.close()
    warm = [r for r in runs[1:] if r["areas_drawn_ms"] is not None]
    return {
        "profile": profile,
        **{k: v for k, v in PROFILES[profile].items() if k != "uploadThroughput"},
        "cold_areas_drawn_ms": runs[0]["areas_drawn_ms"],
        "cold_transferred_bytes": runs[0]["transferred_bytes"],
        "reload_areas_drawn_ms": round(statistics.median(r["areas_drawn_ms"] for r in warm)) if warm else None,
        "reload_transferred_bytes": runs[-1]["transferred_bytes"],
        "runs": runs,
    }


def tile_counts(resources: list[dict]) -> dict:
    """The vector tiles among a load's ``resources`` (national mode): how many, and their bytes
    on the wire (``transferSize``) and decoded.

    >>> tile_counts([{"name": "http://h/ogc/collections/communes/tiles/WebMercatorQuad/6/28/51",
    ...               "transfer": 900, "decoded": 2000}, {"name": "http://h/", "transfer": 5, "decoded": 5}])
    {'tile_requests': 1, 'tile_transferred_bytes': 900, 'tile_decoded_bytes': 2000}
    """
    tiles = [r for r in resources if "/tiles/WebMercatorQuad/" in r["name"]]
    return {
        "tile_requests": len(tiles),
        "tile_transferred_bytes": sum(r["transfer"] or 0 for r in tiles),
        "tile_decoded_bytes": sum(r["decoded"] or 0 for r in tiles),
    }


def transfer_sizes(base: str, paths: list[str]) -> list[dict]:
    """Bytes on the wire for each path: identity, gzip and brotli (``Accept-Encoding``),
    and what a revalidation (``If-None-Match``) moves."""
    import urllib.error
    import urllib.request

    out = []
    for path in paths:
        row = {"path": path}
        for name, coding in (("identity", "identity"), ("gzip", "gzip"), ("br", "br")):
            req = urllib.request.Request(base + path, headers={"Accept-Encoding": coding})
            with urllib.request.urlopen(req, timeout=60) as resp:
                body = resp.read()
                row[f"{name}_bytes"] = len(body)
                row[f"{name}_coding"] = resp.headers.get("Content-Encoding") or "identity"
                etag = resp.headers.get("ETag")
        if etag:
            req = urllib.request.Request(base + path, headers={"Accept-Encoding": "br", "If-None-Match": etag})
            try:
                with urllib.request.urlopen(req, timeout=60) as resp:
                    row["revalidate_status"] = resp.status
            except urllib.error.HTTPError as exc:
                row["revalidate_status"] = exc.code
        out.append(row)
    return out
