"""The measurements: Kon Tum (this app vs pygeoapi, /targets, the map page) and national scale."""

from __future__ import annotations

import concurrent.futures as cf
import json
import shutil
import subprocess
import time
from pathlib import Path

from . import browser, load, ogc_export, servers, setup_env, tipg_data, util

ITEMS = "/collections/communes/items?limit=102"
#: A bbox around Kon Tum city (38 of the 102 communes).
BBOX = "107.8,14.2,108.1,14.5"
ITEMS_BBOX = f"/collections/communes/items?limit=102&bbox={BBOX}"
TARGETS = "/targets?indicator=poor_rate&year=2020&near=border&within_km=0&top=10"
TARGETS_NOGEOM = TARGETS + "&geometry=none"


def warm(base: str, paths: list[str], parallel: int, rounds: int = 2, timeout: float = 600.0) -> dict:
    """Request every path ``parallel`` times at once, ``rounds`` times, so that every worker
    has built its caches; return the slowest answer of each round per path (cold, then warm)."""
    out = {}
    with cf.ThreadPoolExecutor(parallel) as pool:
        for path in paths:
            worst = []
            for _ in range(rounds):
                res = list(pool.map(lambda _, path=path: util.get(base + path, timeout), range(parallel)))
                bad = [s for s, _, _ in res if s >= 400]
                if bad:
                    raise RuntimeError(f"GET {path}: HTTP {bad[0]}")
                worst.append(round(max(dt for _, _, dt in res), 3))
            out[path] = {"slowest_s_per_round": worst, "bytes": len(res[0][1])}
    return out


def _tail(path: Path, n: int = 5) -> list[str]:
    try:
        return [ln[:300] for ln in path.read_text(errors="replace").splitlines()[-n:]]
    except OSError:
        return []


def _features(body: bytes) -> dict:
    doc = json.loads(body)
    feats = doc["features"]
    return {
        "features": len(feats),
        "ids": sorted(str(f.get("id")) for f in feats),
        "properties": max((len(f["properties"]) for f in feats), default=0),
        "numberMatched": doc.get("numberMatched"),
    }


# --------------------------------------------------------------------------- Kon Tum


def kontum(cfg: dict, gpkg: Path, pygeoapi_venv: Path) -> dict:
    out_dir = util.OUT
    res: dict = {"gpkg": str(gpkg)}
    data = out_dir / "communes_ogc.gpkg"
    res["export"] = ogc_export.export_communes(gpkg, data)
    workers, dur = cfg["workers"], cfg["duration_s"]

    state = out_dir / "state-kontum"
    shutil.rmtree(state, ignore_errors=True)  # the first start finds no warm-start snapshot
    ours = servers.ours(gpkg, workers, out_dir / "logs" / "kontum-app.log", state=state)
    pg = servers.pygeoapi(
        pygeoapi_venv,
        util.BENCH / "pygeoapi-config.yml",
        out_dir / "pygeoapi-openapi.yml",
        data,
        workers,
        out_dir / "logs" / "kontum-pygeoapi.log",
    )
    try:
        util.log("Kon Tum: a first start of the app (no warm-start snapshot: it warms up, then saves one)")
        ours.start()
        res["cold_start_s"] = ours.started_s
        ours.stop()
        util.log(f"Kon Tum: starting the app and pygeoapi ({workers} workers × {servers.THREADS} threads each)")
        ours.start()
        # issue 16: the first /targets after start must find the caches warm (< 100 ms)
        status, _, first = util.get(ours.base + TARGETS)
        res["first_targets_s"] = round(first, 3) if status == 200 else None
        pg.start()
        res["servers"] = {
            "app": {"command": ours.command, "started_s": ours.started_s},
            "pygeoapi": {"command": pg.command, "started_s": pg.started_s},
        }
        urls = {
            "app": {"items": ours.base + "/ogc" + ITEMS, "bbox": ours.base + "/ogc" + ITEMS_BBOX},
            "pygeoapi": {"items": pg.base + ITEMS, "bbox": pg.base + ITEMS_BBOX},
        }
        # same answers?
        same = {}
        for kind in ("items", "bbox"):
            a = _features(util.get(urls["app"][kind])[1])
            b = _features(util.get(urls["pygeoapi"][kind])[1])
            same[kind] = {
                "app": {k: v for k, v in a.items() if k != "ids"},
                "pygeoapi": {k: v for k, v in b.items() if k != "ids"},
                "same_ids": a["ids"] == b["ids"],
            }
        res["equivalence"] = same
        res["warmup"] = {
            "app": warm(ours.base, ["/ogc" + ITEMS, "/ogc" + ITEMS_BBOX, TARGETS, TARGETS_NOGEOM, "/"], workers * 2),
            "pygeoapi": warm(pg.base, [ITEMS, ITEMS_BBOX], workers * 2),
        }
        comparison = []
        for conns in cfg["connections"]:
            for kind in ("items", "bbox"):
                row = {"request": kind, "connections": conns}
                for name in ("pygeoapi", "app"):
                    # pygeoapi answers in seconds under load: a longer run gives it enough samples
                    d = dur * 2 if name == "pygeoapi" else dur
                    util.log(f"Kon Tum: wrk {name} {kind} c={conns} {d:g}s")
                    row[name] = load.wrk(urls[name][kind], conns, d)
                a, b = row["app"], row["pygeoapi"]
                row["throughput_ratio"] = round(a["rps"] / b["rps"], 1) if b["rps"] else None
                row["p95_ratio_pygeoapi_over_app"] = (
                    round(b["latency_ms"]["p95"] / a["latency_ms"]["p95"], 1) if a["latency_ms"]["p95"] else None
                )
                comparison.append(row)
        res["comparison"] = comparison
        res["reference"] = reference(cfg, ours, pg, data)
        pg.stop()

        targets = []
        for path in (TARGETS, TARGETS_NOGEOM):
            for conns in (1, workers * servers.THREADS):
                util.log(f"Kon Tum: wrk /targets{' geometry=none' if 'none' in path else ''} c={conns}")
                targets.append(load.wrk(ours.base + path, conns, dur))
        res["targets"] = targets

        util.log("Kon Tum: map page in Chromium")
        loads = browser.measure(
            ours.base, loads=cfg["page_loads"], timeout_s=60, screenshot=out_dir / "screens" / "kontum.png"
        )
        res["map_page"] = {"summary": browser.summary(loads), "loads": loads}
        util.log("Kon Tum: bytes with and without compression")
        res["transfer"] = browser.transfer_sizes(ours.base, TRANSFER_PATHS)
        res["network"] = []
        for profile in browser.PROFILES:
            util.log(f"Kon Tum: map page on {profile} (cold, reloads)")
            res["network"].append(browser.measure_network(ours.base, profile))
        res["memory_busy"] = ours.memory()  # right after the last request
        res["memory"] = ours.memory(rest_s=servers.REST_S)
    finally:
        ours.stop()
        pg.stop()
    return res


GZIP = {"Accept-Encoding": "gzip"}


def reference(cfg: dict, ours: servers.Server, pg: servers.Server, data: Path) -> dict:
    """``items?limit=102`` at the largest connection count against the references, in one run:
    Debian nginx serving the app's own answer bytes from files (identity, and ``gzip_static``
    with the app's gzip bytes: the physical limit), pygeoapi's SQLiteGPKG provider (on a copy)
    and tipg on PostGIS (the same exported data), identity and gzip where the server has it."""
    out_dir = util.OUT
    workers, dur = cfg["workers"], cfg["duration_s"]
    conns = max(cfg["connections"])
    url = ours.base + "/ogc" + ITEMS
    _, identity, _ = util.get(url)
    _, gz, _ = util.get(url, headers=GZIP)
    res: dict = {"connections": conns, "bytes": {"identity": len(identity), "gzip": len(gz)}, "runs": []}
    started: list[servers.Server] = []
    try:
        ngx = servers.nginx(out_dir / "nginx", {"items.json": (identity, gz)}, workers, out_dir / "logs" / "nginx.log")
        ngx.start(timeout=30)
        started.append(ngx)
        version = subprocess.run([ngx.argv[0], "-v"], capture_output=True, text=True).stderr.strip()
        res["nginx"] = {"command": ngx.command, "version": version}
        targets = [
            ("nginx", "identity", ngx.base + "/identity/items.json", None),
            ("this app", "identity", url, None),
            ("nginx gzip_static", "gzip", ngx.base + "/gzip/items.json", GZIP),
            ("this app", "gzip", url, GZIP),
            ("pygeoapi SQLiteGPKG", "identity", pg.base + ITEMS.replace("communes", "communes_sqlite"), None),
        ]
        db = tipg_data.database_url()
        if db and setup_env.TIPG_VENV.exists():
            res["tipg_data"] = tipg_data.load(data, db)
            tp = servers.tipg(setup_env.TIPG_VENV, db, tipg_data.SCHEMA, workers, out_dir / "logs" / "tipg.log")
            tp.start(timeout=60)
            started.append(tp)
            res["tipg"] = {"command": tp.command}
            tipg_items = f"{tp.base}/collections/{tipg_data.SCHEMA}.communes/items?limit=102"
            theirs, mine = _features(util.get(tipg_items)[1]), _features(identity)
            res["equivalence_tipg"] = {
                "tipg": {k: v for k, v in theirs.items() if k != "ids"},
                "same_ids": theirs["ids"] == mine["ids"],
            }
            targets += [("tipg", "identity", tipg_items, None), ("tipg", "gzip", tipg_items, GZIP)]
        else:
            res["tipg"] = {"skipped": "no PostGIS URL (BENCH_DATABASE_URL or /tmp/pgurl) or no tipg venv"}
        for name, coding, target, headers in targets:
            d = dur * 2 if name.startswith("pygeoapi") else dur
            util.log(f"Kon Tum reference: wrk {name} ({coding}) c={conns} {d:g}s")
            util.get(target, headers=headers)  # warm
            run = load.wrk(target, conns, d, headers=headers)
            res["runs"].append({"server": name, "coding": coding, **run})
    finally:
        for srv in started:
            srv.stop()
    by = {(r["server"], r["coding"]): r["rps"] for r in res["runs"]}
    limit = by.get(("nginx gzip_static", "gzip"))
    res["ratio_app_gzip_over_nginx_gzip_static"] = round(by[("this app", "gzip")] / limit, 2) if limit else None
    ident = by.get(("nginx", "identity"))
    res["ratio_app_identity_over_nginx_identity"] = round(by[("this app", "identity")] / ident, 2) if ident else None
    return res


#: What the transfer table measures (issue 16): the page, the layers it loads, items.
TRANSFER_PATHS = [
    "/",
    "/layers",
    "/layers/geometry/communes.geojson",
    "/layers/series.json",
    "/ogc/collections/communes/items?limit=102",
]


# --------------------------------------------------------------------------- national

NATIONAL_TARGETS = TARGETS
NATIONAL_EXPORTS = (
    "/ogc/collections/communes/items?f=gpkg&limit=1000",
    "/targets?indicator=poor_rate&year=2020&top=500&f=gpkg",
    "/targets?indicator=poor_rate&year=2020&near=border&within_km=0&top=10&f=gpkg",
)


def national(cfg: dict, gpkg: Path, variant: str = "as-is") -> dict:
    """The app on the synthetic national GeoPackage.  ``variant``: ``as-is`` (the product),
    or ``prototype`` (with the changes still recommended in RESULTS.md, patched in by
    bench/prototypes.py)."""
    out_dir = util.OUT
    workers, dur = cfg["workers"], cfg["duration_s"]
    res: dict = {"gpkg": str(gpkg), "gpkg_mib": round(gpkg.stat().st_size / 2**20, 1), "variant": variant}
    log_path = out_dir / "logs" / f"national-{variant}.log"
    if variant == "as-is":
        srv = servers.ours(gpkg, workers, log_path)
    else:
        srv = servers.prototype(gpkg, workers, log_path)
    try:
        limit = cfg["national_start_timeout_s"]
        util.log(f"national ({variant}): starting the app (giving up after {limit:g} s)")
        res["server"] = {"command": srv.command}
        try:
            if variant == "as-is":  # as `make build` does: the caches a start restores
                util.log("national: --prepare (warm up, save the warm-start snapshot)")
                res["server"]["prepare_s"] = srv.prepare(timeout=max(limit, 900))  # a build step
            srv.start(timeout=limit)
        except (RuntimeError, subprocess.SubprocessError) as exc:
            res["server"].update(
                start_failed=str(exc),
                log_tail=_tail(log_path),
                busy=[util.memory(p) for p in [srv.proc.pid] + srv.workers()] if srv.proc else [],
            )
            return res
        res["server"]["started_s"] = srv.started_s
        res["memory_after_start"] = srv.memory()
        util.log(f"national ({variant}): first requests (caches)")
        res["warmup"] = warm(
            srv.base, [TARGETS, TARGETS_NOGEOM, "/ogc/collections/communes/items?limit=1000"], workers * 2, timeout=600
        )
        targets = []
        for path in (TARGETS, TARGETS_NOGEOM):
            for conns in (1, workers * servers.THREADS):
                util.log(f"national ({variant}): wrk /targets{' geometry=none' if 'none' in path else ''} c={conns}")
                targets.append(load.wrk(srv.base + path, conns, dur))
        res["targets"] = targets
        util.log(f"national ({variant}): exports")
        exports = [util.timed_gets(srv.base + p, 3) for p in NATIONAL_EXPORTS]
        t0 = time.perf_counter()
        pages, total_bytes, offset = 0, 0, 0
        while True:
            status, body, _ = util.get(srv.base + f"/ogc/collections/communes/items?limit=1000&offset={offset}")
            doc = json.loads(body)
            pages += 1
            total_bytes += len(body)
            offset += 1000
            if offset >= doc["numberMatched"]:
                break
        exports.append(
            {
                "url": srv.base + "/ogc/collections/communes/items?limit=1000&offset=0..",
                "what": "every commune as GeoJSON, paged (limit ≤ 1000)",
                "pages": pages,
                "bytes": total_bytes,
                "total_s": round(time.perf_counter() - t0, 2),
            }
        )
        res["exports"] = exports
        util.log(f"national ({variant}): map page in Chromium (timeout {cfg['national_page_timeout_s']}s)")
        t0 = time.perf_counter()
        loads = browser.measure(
            srv.base,
            loads=cfg["page_loads"],
            timeout_s=cfg["national_page_timeout_s"],
            screenshot=out_dir / "screens" / f"national-{variant}.png",
        )
        res["map_page"] = {
            "summary": browser.summary(loads),
            "loads": loads,
            "wall_s": round(time.perf_counter() - t0, 1),
        }
        # issue 16: the national map on 4G (40 ms, 9 Mbit/s), drawn from the vector tiles
        util.log(f"national ({variant}): map page on 4G (vector tiles)")
        res["network_4g"] = browser.measure_network(srv.base, "4g", reloads=1, timeout_s=cfg["national_page_timeout_s"])
        if not res["map_page"]["summary"].get("timed_out"):
            paths = [r["url"] for r in loads[-1]["largest"] if r["url"].startswith("/layers")]
            res["map_page"]["layer_requests_warm_s"] = {p: util.timed_gets(srv.base + p, 3)["median_s"] for p in paths}
        res["memory_busy"] = srv.memory()
        res["memory"] = srv.memory(rest_s=servers.REST_S)
    finally:
        srv.stop()
    return res
