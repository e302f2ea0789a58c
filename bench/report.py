"""Turn build/bench/results.json into the measured part of bench/RESULTS.md.

Only the text between the BEGIN/END markers is rewritten; the analysis and
the recommended changes around it are kept as written.
"""

from __future__ import annotations

import re
from pathlib import Path

BEGIN = "<!-- BEGIN MEASURED: written by `python -m bench`; edit outside these markers -->"
END = "<!-- END MEASURED -->"

GB = 1024.0  # MiB


def _memory_total(m: dict) -> float:
    """PSS of master + workers, with the in-memory files they hold (runs before those were
    counted: PSS alone)."""
    return m.get("all_with_memfd_mib", m["all_pss_sum_mib"])


def _memory_text(m: dict, busy: dict | None) -> str:
    text = f"{_memory_total(m):,.0f} MiB (master {m['master'].get('pss_mib', 0):,.0f}"
    if m.get("memfd_mib"):
        text += f", in-memory answer files {m['memfd_mib']:,.1f}"
    if m.get("rest_s"):
        text += f"; {m['rest_s']:g} s after the last request"
        if busy:
            text += f", right after it {_memory_total(busy):,.0f}"
    return text + ")"


def _ms(v) -> str:
    return "—" if v is None else f"{v:,.0f} ms" if v >= 100 else f"{v:.1f} ms"


def _mb(b) -> str:
    return "—" if b is None else f"{b / 1e6:.2f} MB"


def _ok(flag) -> str:
    return "—" if flag is None else ("**met**" if flag else "**missed**")


def verdicts(r: dict) -> list[tuple[str, str, object]]:
    """(target, measured, met?) for each target of issue #7."""
    out = []
    k = r.get("kontum")
    if k and k.get("failed"):
        out.append(("Kon Tum step", f"failed: {k['failed']}", False))
        k = None
    if k:
        for row in k["comparison"]:
            if row["request"] != "items":
                continue
            a, b = row["app"], row["pygeoapi"]
            label = f"items?limit=102: ≥ 5× pygeoapi's throughput at ≤ its p95 (c={row['connections']})"
            if not b["rps"]:
                out.append(
                    (
                        label,
                        f"{a['rps']} req/s vs none: pygeoapi completed no request in "
                        f"{b['duration_s']} s ({b['errors']})",
                        a["rps"] > 0,
                    )
                )
                continue
            met = (row["throughput_ratio"] or 0) >= 5 and a["latency_ms"]["p95"] <= b["latency_ms"]["p95"]
            out.append(
                (
                    label,
                    f"{row['throughput_ratio']}× ({a['rps']} vs {b['rps']} req/s); p95 "
                    f"{_ms(a['latency_ms']['p95'])} vs {_ms(b['latency_ms']['p95'])}",
                    met,
                )
            )
        for t in k["targets"]:
            if t["connections"] != 1:
                continue
            name = "geometry=none" if "geometry=none" in t["url"] else "default"
            out.append(
                (
                    f"Kon Tum /targets poorest border communes ({name}): p95 < 10 ms (1 client)",
                    _ms(t["latency_ms"]["p95"]),
                    t["latency_ms"]["p95"] < 10,
                )
            )
        s = k["map_page"]["summary"]
        if not s.get("timed_out"):
            out.append(
                (
                    "Kon Tum map page + layer data < 1 MB",
                    _mb(s["page_plus_layer_data_bytes"]) + f" ({_mb(s['total_bytes'])} with JS/CSS)",
                    s["page_plus_layer_data_bytes"] < 1e6,
                )
            )
            out.append(
                (
                    "Kon Tum communes drawn in Chromium < 1.5 s (warm server)",
                    f"{_ms(s['warm_areas_drawn_ms'])} (first load after start {_ms(s['cold_areas_drawn_ms'])})",
                    s["warm_areas_drawn_ms"] is not None and s["warm_areas_drawn_ms"] < 1500,
                )
            )
    for key, label in (("national", "as is"), ("prototype", "with the recommended changes (prototype)")):
        n = r.get(key)
        if not n:
            continue
        if n.get("failed"):
            out.append((f"National step — {label}", f"failed: {n['failed']}", False))
            continue
        if n["server"].get("start_failed"):
            out.append(
                (
                    f"National: the app serves the national GeoPackage — {label}",
                    f"{n['server']['start_failed']} (see the analysis)",
                    False,
                )
            )
            continue
        s = n["map_page"]["summary"]
        if s.get("timed_out"):
            out.append(
                (
                    f"National map shows the communes < 3 s — {label}",
                    f"not drawn after {s['timeout_s']:.0f} s (waiting for {', '.join(s['pending'][:3])})",
                    False,
                )
            )
        else:
            out.append(
                (
                    f"National map shows the communes < 3 s — {label}",
                    f"{_ms(s['warm_areas_drawn_ms'])} warm (first load after start {_ms(s['cold_areas_drawn_ms'])}); "
                    f"{_mb(s['page_plus_layer_data_bytes'])} page + layer data",
                    s["warm_areas_drawn_ms"] is not None and s["warm_areas_drawn_ms"] < 3000,
                )
            )
        for t in n["targets"]:
            if t["connections"] != 1:
                continue
            name = "geometry=none" if "geometry=none" in t["url"] else "default"
            out.append(
                (
                    f"National /targets ({name}): p95 < 50 ms (1 client) — {label}",
                    _ms(t["latency_ms"]["p95"]),
                    t["latency_ms"]["p95"] < 50,
                )
            )
        m = n["memory"]
        out.append(
            (
                f"National memory < 1 GB (PSS of master + {len(m['workers'])} workers) — {label}",
                f"{m['all_pss_sum_mib']:,.0f} MiB PSS; workers' peak RSS {m['workers_peak_rss_sum_mib']:,.0f} MiB "
                f"in all, {m['workers_peak_rss_max_mib']:,.0f} MiB max",
                m["all_pss_sum_mib"] < GB,
            )
        )
    return out + verdicts_16(r)


#: Issue 16's page targets on emulated networks: (profile, load, limit in ms).
NETWORK_TARGETS = (("fast3g", "cold", 1500), ("fast3g", "reload", 800), ("4g", "cold", 700))


def verdicts_16(r: dict) -> list[tuple[str, str, object]]:
    """(target, measured, met?) for the targets of issue 16 this run measured."""
    out = []
    k = r.get("kontum")
    if k and not k.get("failed"):
        started = k.get("servers", {}).get("app", {}).get("started_s")
        if started is not None:
            cold = k.get("cold_start_s")
            note = f" (the first start, with no warm-start snapshot yet: {cold:.2f} s)" if cold is not None else ""
            out.append(("Kon Tum start-up < 3 s (launch to first 200)", f"{started:.2f} s{note}", started < 3))
        first = k.get("first_targets_s")
        if first is not None:
            out.append(("Kon Tum first /targets after start < 100 ms", _ms(first * 1000), first < 0.1))
        if k.get("memory"):
            m = k["memory"]
            out.append(
                (
                    f"Kon Tum memory < 300 MiB (PSS of master + {len(m['workers'])} workers, after the run)",
                    _memory_text(m, k.get("memory_busy")),
                    _memory_total(m) < 300,
                )
            )
        ref = k.get("reference") or {}
        ratio = ref.get("ratio_app_gzip_over_nginx_gzip_static")
        if ratio is not None:
            by = {(x["server"], x["coding"]): x["rps"] for x in ref["runs"]}
            out.append(
                (
                    f"items?limit=102 (gzip) ≥ 0.5× nginx gzip_static, same bytes (c={ref['connections']})",
                    f"{ratio}× ({by[('this app', 'gzip')]:,.1f} vs {by[('nginx gzip_static', 'gzip')]:,.1f} req/s)",
                    ratio >= 0.5,
                )
            )
        for n in k.get("network") or []:
            for profile, load, limit in NETWORK_TARGETS:
                if n["profile"] != profile:
                    continue
                ms = n[f"{load}_areas_drawn_ms"]
                out.append(
                    (
                        f"Kon Tum communes drawn on {profile} ({load}) < {limit / 1000:g} s",
                        _ms(ms),
                        ms is not None and ms < limit,
                    )
                )
    n = r.get("national")
    if n and not n.get("failed") and n.get("server", {}).get("started_s") is not None:
        started = n["server"]["started_s"]
        prep = n["server"].get("prepare_s")
        note = f" (after `--prepare`, which took {prep:.1f} s)" if prep is not None else ""
        out.append(("National start-up < 10 s (launch to first 200)", f"{started:.2f} s{note}", started < 10))
        m = n.get("memory")
        if m:
            out.append(
                (
                    f"National memory < 600 MiB (PSS of master + {len(m['workers'])} workers)",
                    _memory_text(m, n.get("memory_busy")),
                    _memory_total(m) < 600,
                )
            )
    return out


def _reference_lines(k: dict) -> list[str]:
    """items?limit=102 against nginx (the same bytes from files), pygeoapi SQLiteGPKG and tipg."""
    ref = k.get("reference")
    if not ref:
        return []
    L = [
        "",
        f"**`/collections/communes/items?limit=102` against the references**, {ref['connections']} connections, "
        f"one run: nginx serves the app's own answer from files ({ref['bytes']['identity']:,} bytes identity, "
        f"{ref['bytes']['gzip']:,} gzip, `gzip_static`); pygeoapi's SQLiteGPKG provider reads a copy of the "
        "exported GeoPackage; tipg reads the same data from a PostGIS table. Ratios: app gzip / nginx "
        f"gzip_static **{ref.get('ratio_app_gzip_over_nginx_gzip_static')}×**, app identity / nginx identity "
        f"**{ref.get('ratio_app_identity_over_nginx_identity')}×**.",
        "",
        "| server | coding | conns | requests | req/s | p50 | p95 | p99 | bytes/req | errors | CPU busy |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|---|---:|",
    ]
    for run in ref["runs"]:
        L.append(
            _wrk_row(run["server"], run).replace(f"| {run['server']} |", f"| {run['server']} | {run['coding']} |", 1)
        )
    for name in ("nginx", "tipg"):
        if ref.get(name, {}).get("command"):
            L.append(f"\n- {name}: `{ref[name]['command']}`")
        elif ref.get(name, {}).get("skipped"):
            L.append(f"\n- {name}: skipped ({ref[name]['skipped']})")
    if ref.get("equivalence_tipg"):
        e = ref["equivalence_tipg"]
        L.append(
            f"- tipg answers {e['tipg']['features']} features × {e['tipg']['properties']} properties, "
            f"same ids as the app: {e['same_ids']}"
        )
    return L


def summary(r: dict) -> str:
    lines = ["", "Targets (issue #7):"]
    for target, measured, met in verdicts(r):
        lines.append(f"  [{'met' if met else 'MISSED'}] {target}: {measured}")
    return "\n".join(lines)


def _wrk_row(name: str, w: dict) -> str:
    lat = w["latency_ms"]
    err = ", ".join(f"{k} {v}" for k, v in w["errors"].items()) or "0"
    return (
        f"| {name} | {w['connections']} | {w['requests']} | {w['rps']:,.1f} | {_ms(lat['p50'])} | "
        f"{_ms(lat['p95'])} | {_ms(lat['p99'])} | {w['bytes_per_request']:,} | {err} | "
        f"{w['machine_busy_pct']}% |"
    )


WRK_HEAD = (
    "| server | conns | requests | req/s | p50 | p95 | p99 | bytes/req | errors | CPU busy |\n"
    "|---|---:|---:|---:|---:|---:|---:|---:|---|---:|"
)


def render(r: dict) -> str:
    m, v, cfg = r["machine"], r["versions"], r.get("config", {})
    L = [
        BEGIN,
        "",
        f"Last run {r['started']} — `python -m bench {' '.join(r.get('argv', []))}`, {r.get('wall_s', '?')} s in all.",
    ]
    steps = [(k, r[k]) for k in ("kontum", "national", "prototype") if isinstance(r.get(k), dict)]
    if any(v.get("step_started") for _, v in steps):

        def step(k, v):
            bits = [
                f"{v['step_s']} s" if v.get("step_s") else None,
                f"`python -m bench {' '.join(v.get('step_argv') or [])}`".replace(" `", "`"),
                f"load average after {v['step_loadavg_end']}" if v.get("step_loadavg_end") else None,
            ]
            return f"{k} at {v.get('step_started', '?')} (" + ", ".join(b for b in bits if b) + ")"

        L += ["Steps: " + "; ".join(step(k, v) for k, v in steps) + "."]
    L += [""]
    L += ["### Targets", "", "| target | measured | |", "|---|---|---|"]
    L += [f"| {t} | {meas} | {_ok(ok)} |" for t, meas, ok in verdicts(r)]
    L += [
        "",
        "### Machine and versions",
        "",
        f"- CPU: {m['cpu_model']}, `nproc` = {m['nproc']}; kernel {m['kernel']}; {m['os']}",
        f"- load average at start {m['loadavg_start']}, at end {m.get('loadavg_end')}"
        + (
            f"; waited {m['idle_wait']['waited_s']} s for it to fall below {m['idle_wait']['threshold']}"
            if m.get("idle_wait")
            else ""
        ),
        "- `free -h`:",
        "",
        "```",
        m["free_h"],
        "```",
        "",
        "- " + "; ".join(f"{k} {val}" for k, val in v.items()),
        "",
    ]
    k = r.get("kontum")
    if k and not k.get("failed"):
        L += ["### Kon Tum: this app vs pygeoapi (same machine, same run, same data)", ""]
        L += [
            f"- Data: the app's built `communes` collection exported by `bench/ogc_export.py` to "
            f"`build/bench/communes_ogc.gpkg` ({k['export']['features']} features, "
            f"{k['export']['properties']} properties, coordinates rounded to 6 decimals like the app's); "
            f"pygeoapi reads it with its OGR provider (`bench/pygeoapi-config.yml`).",
            f"- This app: `{k['servers']['app']['command']}`",
            f"- pygeoapi: `{k['servers']['pygeoapi']['command']}`",
            f"- Both: gunicorn, {cfg.get('workers')} workers × 4 threads (gthread), access log on, 127.0.0.1. "
            f"Load: `wrk -t1` from a separate process, {cfg.get('duration_s')} s per run, after a warm-up "
            f"that made every worker build its caches.",
            "",
        ]
        eq = k["equivalence"]
        L += [
            "Same answers: "
            + "; ".join(
                f"{kind}: app {e['app']['features']} features × {e['app']['properties']} properties, pygeoapi "
                f"{e['pygeoapi']['features']} × {e['pygeoapi']['properties']} (it moves the id field out of the "
                f"properties), same ids: {e['same_ids']}"
                for kind, e in eq.items()
            ),
            "",
        ]
        for row in k["comparison"]:
            what = (
                "`/collections/communes/items?limit=102`"
                if row["request"] == "items"
                else "`/collections/communes/items?limit=102&bbox=107.8,14.2,108.1,14.5`"
            )
            L += [
                f"**{what}**, {row['connections']} connections — throughput ratio "
                f"**{row['throughput_ratio']}×**, pygeoapi's p95 is {row['p95_ratio_pygeoapi_over_app']}× the app's",
                "",
                WRK_HEAD,
                _wrk_row("pygeoapi", row["pygeoapi"]),
                _wrk_row("this app", row["app"]),
                "",
            ]
        L += [
            "**Kon Tum `/targets?indicator=poor_rate&year=2020&near=border&within_km=0&top=10`** (this app)",
            "",
            WRK_HEAD,
        ]
        for t in k["targets"]:
            name = "geometry=none" if "geometry=none" in t["url"] else "default (GeoJSON)"
            L.append(_wrk_row(name, t))
        L += ["", "**Kon Tum map page** (`/`, headless Chromium, fresh context per load, 1400×900):", ""]
        L += _page_lines(k["map_page"])
        L += _reference_lines(k)
        L += _network_lines(k)
        mem = k["memory"]
        L += [
            "",
            f"Memory after the Kon Tum run: workers' RSS {mem['workers_rss_sum_mib']} MiB "
            f"(peak {mem['workers_peak_rss_sum_mib']} MiB), PSS master + workers {mem['all_pss_sum_mib']} MiB.",
            "",
        ]
    nb = r.get("national_build")
    if nb:
        L += [
            "### National scale (synthetic coverage, `geo/synthetic/national.py`)",
            "",
            f"- `{nb['command']}`: {nb['layers'].get('communes')} communes, {nb['layers'].get('districts')} districts, "
            f"{nb['layers'].get('provinces')} provinces, {nb['layers'].get('communes_2025')} communes of 2025, "
            f"{nb['layers'].get('observations'):,} observations; {nb['commune_vertices']:,} commune vertices; "
            f"{nb['mib']} MiB" + (f"; generated in {nb['generated_s']} s" if nb.get("generated_s") else " (cached)"),
            "",
        ]
    for key, title in (
        ("national", "as it is"),
        ("prototype", "with the recommended changes applied at run time by `bench/prototypes.py`"),
    ):
        n = r.get(key)
        if not n or n.get("failed"):
            continue
        L += [f"#### National, {title}", ""]
        if n["server"].get("start_failed"):
            L += [
                f"- `{n['server']['command']}`: **{n['server']['start_failed']}**; the master's last log lines: "
                + " / ".join(f"`{x}`" for x in n["server"].get("log_tail", []))
                + "; busy processes: "
                + ", ".join(f"pid {b['pid']} RSS {b.get('vmrss_mib')} MiB" for b in n["server"].get("busy", [])),
                "",
            ]
            continue
        L += [f"- `{n['server']['command']}` (answering after {n['server']['started_s']} s)"]
        L += [
            "- First requests (each sent " + str(cfg.get("workers", 2) * 2) + "× at once, twice; slowest answer "
            "per round, so the first number is a cold worker): "
            + "; ".join(f"`{p}` {w['slowest_s_per_round']} s ({_mb(w['bytes'])})" for p, w in n["warmup"].items()),
            "",
        ]
        L += ["`/targets` (warm):", "", WRK_HEAD]
        for t in n["targets"]:
            name = "geometry=none" if "geometry=none" in t["url"] else "default (GeoJSON)"
            L.append(_wrk_row(name, t))
        L += ["", "Exports (3 requests each; seconds):", ""]
        for e in n["exports"]:
            if "times_s" in e:
                L.append(f"- `{e['url'].split(':', 2)[2][5:]}`: {e['times_s']} s, {_mb(e['bytes'])}")
            else:
                L.append(f"- {e['what']}: {e['pages']} requests, {_mb(e['bytes'])}, {e['total_s']} s")
        L += ["", "Map page:", ""] + _page_lines(n["map_page"])
        if n["map_page"].get("layer_requests_warm_s"):
            L += [
                "",
                "Layer requests, warm server (median of 3): "
                + "; ".join(f"`{p}` {t} s" for p, t in n["map_page"]["layer_requests_warm_s"].items()),
            ]
        mem = n["memory"]
        L += [
            "",
            f"Memory at the end: PSS master + workers **{mem['all_pss_sum_mib']:,} MiB**; workers' RSS now "
            f"{mem['workers_rss_sum_mib']:,} MiB, peak {mem['workers_peak_rss_sum_mib']:,} MiB "
            f"({', '.join(str(w.get('vmhwm_mib')) for w in mem['workers'])} MiB per worker); "
            f"after start-up the workers' PSS was {n['memory_after_start']['workers_pss_sum_mib']} MiB.",
            "",
        ]
    L += [END]
    return "\n".join(L)


def _page_lines(mp: dict) -> list[str]:
    s = mp["summary"]
    if s.get("timed_out"):
        return [
            f"- **Not drawn**: gave up after {s['timeout_s']:.0f} s, {s['completed_loads']} complete loads before; "
            f"still waiting for: {', '.join('`' + p + '`' for p in s['pending'])}"
        ]
    rows = [
        "| load | communes drawn | page ready | layer data in | page + layer data | all bytes | commune paths (drawn) |",
        "|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for ld in mp["loads"]:
        rows.append(
            f"| {ld['load']}{' (first after start)' if ld['load'] == 1 else ''} | {_ms(ld['areas_drawn_ms'])} | "
            f"{_ms(ld['ready_ms'])} | {_ms(ld['layer_data_received_ms'])} | "
            f"{_mb(ld['page_plus_layer_data_bytes'])} | {_mb(ld['total_bytes'])} | "
            f"{ld['area_paths']} ({ld['area_paths_drawn']}) |"
        )
    rows += [
        "",
        f"Bytes of a load: page HTML {_mb(s['page_bytes'])}, layer data {_mb(s['layer_data_bytes'])}, "
        f"static JS/CSS {_mb(s['static_bytes'])}. Largest: "
        + ", ".join(f"`{x['url']}` {_mb(x['bytes'])}" for x in s["largest"][:4])
        + (f". Page errors: {s['errors']}" if s["errors"] else ""),
    ]
    return rows


def _network_lines(k: dict) -> list[str]:
    """Bytes by coding, and the page under emulated slow networks (issue 16)."""
    L = []
    if k.get("transfer"):
        L += [
            "",
            "Bytes on the wire by `Accept-Encoding` (and a revalidation with the answer's ETag):",
            "",
            "| path | identity | gzip | brotli | If-None-Match |",
            "|---|---:|---:|---:|---:|",
        ]
        for t in k["transfer"]:
            L.append(
                f"| `{t['path']}` | {_mb(t['identity_bytes'])} | {_mb(t['gzip_bytes'])} | {_mb(t['br_bytes'])} | "
                f"{t.get('revalidate_status', '–')} |"
            )
    if k.get("network"):
        L += [
            "",
            "Map page in Chromium with CDP `Network.emulateNetworkConditions` (cold: empty cache; "
            "reload: same context, median of the reloads; bytes: `transferSize`):",
            "",
            "| profile | latency | throughput | communes drawn cold | moved cold | drawn on reload | moved on reload |",
            "|---|---:|---:|---:|---:|---:|---:|",
        ]
        for n in k["network"]:
            L.append(
                f"| {n['profile']} | {n['latency']} ms | {n['downloadThroughput'] * 8 / 1e6:.1f} Mbit/s | "
                f"{_ms(n['cold_areas_drawn_ms'])} | {_mb(n['cold_transferred_bytes'])} | "
                f"{_ms(n['reload_areas_drawn_ms'])} | {_mb(n['reload_transferred_bytes'])} |"
            )
    return L


def write(r: dict, path: Path) -> None:
    block = render(r)
    text = path.read_text() if path.exists() else ""
    if BEGIN in text and END in text:
        text = re.sub(re.escape(BEGIN) + ".*?" + re.escape(END), lambda _: block, text, flags=re.S)
    else:
        text = "# Benchmark results\n\n## Measured\n\n" + block + "\n\n## Recommended changes\n\n(to be written)\n"
    path.write_text(text)
