"""OGC API fidelity, this app beside pygeoapi 0.21 on the same communes (issue 18's eight points).

    .venv/bin/python -m bench.fidelity            # writes bench/FIDELITY.md, prints it

Not a speed benchmark: each point of issue 18 asked of both servers in one run, the
answers recorded as they come (HTTP status, counts, types, headers).  pygeoapi serves the
app's ``communes`` collection exported to a GeoPackage (``bench/ogc_export.py``, the same
properties and coordinates) through its OGR provider, as in ``make bench``; GDAL's
``ogrinfo`` / ``ogr2ogr`` (Debian gdal-bin 3.6, what GIS staff run) read both.  The
pygeoapi virtualenv is ``make bench``'s (``bench/setup_env.py``).
"""

from __future__ import annotations

import datetime as dt
import io
import json
import shutil
import sqlite3
import subprocess
import tempfile
import zipfile
from pathlib import Path
from urllib.parse import quote

import shapely

from . import servers, setup_env, util
from .ogc_export import export_communes

OUT = util.BENCH / "FIDELITY.md"
CRS = "http://www.opengis.net/def/crs/EPSG/0/{}"
FILTER = "poor_rate_2020 > 30 AND S_INTERSECTS(geometry, BBOX(107.5,14.2,107.9,14.6))"
TYPED = ("area_ha", "population_2013", "p135_2016", "ntm_advanced")


def _get(url: str, headers: dict | None = None) -> tuple[int, bytes, dict]:
    import urllib.error
    import urllib.request

    req = urllib.request.Request(url, headers=headers or {})
    try:
        with urllib.request.urlopen(req, timeout=120) as r:
            return r.status, r.read(), dict(r.headers)
    except urllib.error.HTTPError as e:
        return e.code, e.read(), dict(e.headers)


def _json(body: bytes) -> dict:
    try:
        return json.loads(body)
    except ValueError:
        return {}


def _ogr_types(url: str) -> dict[str, str]:
    """Field types GDAL 3.6's OAPIF driver gives the communes (``ogrinfo -so``)."""
    if not shutil.which("ogrinfo"):
        return {}
    out = subprocess.run(
        ["ogrinfo", "-ro", "-so", f"OAPIF:{url}/collections/communes", "communes"],
        capture_output=True,
        text=True,
        timeout=300,
    ).stdout
    types = {}
    for line in out.splitlines():
        name, sep, rest = line.partition(": ")
        if sep and name in TYPED:
            types[name] = rest.split(" ")[0]
    return types


def _ogr2ogr_count(url: str, *args: str) -> str:
    if not shutil.which("ogr2ogr"):
        return "ogr2ogr missing"
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "c.gpkg"
        done = subprocess.run(
            ["ogr2ogr", "-f", "GPKG", str(out), f"OAPIF:{url}/collections/communes", "communes", *args],
            capture_output=True,
            text=True,
            timeout=600,
        )
        if done.returncode != 0:
            return f"failed ({done.stderr.strip().splitlines()[-1][:80] if done.stderr.strip() else done.returncode})"
        info = subprocess.run(["ogrinfo", "-ro", "-so", str(out), "communes"], capture_output=True, text=True).stdout
        count = next((ln.split(": ")[1] for ln in info.splitlines() if ln.startswith("Feature Count")), "?")
        return f"{count} features"


def _download(base: str, items: str, fmt: str) -> str:
    """What ``items?f=fmt`` (no limit) gives: its count of communes, or its status."""
    status, body, headers = _get(f"{base}{items}?f={fmt}")
    if status != 200:
        return f"HTTP {status}"
    kind = headers.get("Content-Type", "")
    if fmt == "csv":
        return f"{max(0, body.decode('utf-8-sig').count(chr(10)) - 1)} rows ({kind.split(';')[0]})"
    if fmt == "gpkg":
        with tempfile.NamedTemporaryFile(suffix=".gpkg") as f:
            f.write(body)
            f.flush()
            info = subprocess.run(["ogrinfo", "-ro", "-al", "-so", f.name], capture_output=True, text=True).stdout
            with sqlite3.connect(f.name) as db:
                version = db.execute("PRAGMA user_version").fetchone()[0]  # 10200: GeoPackage 1.2
        count = next((ln.split(": ")[1] for ln in info.splitlines() if ln.startswith("Feature Count")), "?")
        return f"{count} features, GeoPackage user_version {version}"
    if fmt == "shp":
        names = zipfile.ZipFile(io.BytesIO(body)).namelist()
        return "zip: " + ", ".join(sorted(n.rsplit(".", 1)[-1] for n in names))
    if fmt == "kml":
        return f"{body.count(b'<Placemark>')} placemarks"
    return f"{len(body)} bytes ({kind})"


def _invalid(base: str, items: str) -> str:
    status, body, _ = _get(f"{base}{items}?limit=1000")
    if status != 200:
        return f"HTTP {status}"
    feats = _json(body).get("features", [])
    geoms = [shapely.geometry.shape(f["geometry"]) for f in feats if f.get("geometry")]
    bad = [f.get("id") for f, g in zip(feats, geoms) if not g.is_valid]
    return f"{len(bad)} of {len(geoms)} invalid" + (f" ({', '.join(map(str, bad[:3]))})" if bad else "")


def probe(base: str, prefix: str) -> dict[str, str]:
    """Every point of issue 18 asked of one server (``prefix``: its OGC API root)."""
    api = base + prefix
    items = f"{prefix}/collections/communes/items"
    out: dict[str, str] = {}
    coll = _json(_get(f"{api}/collections/communes?f=json")[1])
    links = coll.get("links", [])
    kinds = sorted({lk.get("type", "").split(";")[0] for lk in links if lk.get("rel") == "items"})
    out["1 download formats linked from the collection"] = ", ".join(kinds) or "none"
    for fmt in ("csv", "gpkg", "shp", "kml"):
        out[f"1 items?f={fmt} without limit"] = _download(base, items, fmt)
    st_q, body_q, _ = _get(f"{api}/collections/communes/queryables?f=json")
    out["2 /queryables"] = f"HTTP {st_q}, {len(_json(body_q).get('properties', {}))} properties"
    st_s, body_s, _ = _get(f"{api}/collections/communes/schema?f=json")
    props = _json(body_s).get("properties", {})
    out["2 /schema"] = f"HTTP {st_s}" + (
        ", " + ", ".join(f"{k}: {props[k].get('type')}" for k in TYPED if k in props) if props else ""
    )
    types = _ogr_types(api)
    out["2 GDAL 3.6 field types (default page size)"] = ", ".join(f"{k} {types.get(k, '—')}" for k in TYPED)
    st, body, _ = _get(f"{base}{items}?limit=5000&f=json")
    out["3 limit=5000"] = f"HTTP {st}" + (f", {len(_json(body).get('features', []))} features" if st == 200 else "")
    out["3 ogr2ogr -oo PAGE_SIZE=5000"] = _ogr2ogr_count(api, "-oo", "PAGE_SIZE=5000")
    crs84 = quote("http://www.opengis.net/def/crs/OGC/1.3/CRS84", safe="")
    out["3 bbox-crs=CRS84"] = f"HTTP {_get(f'{base}{items}?bbox=107.5,14.2,107.9,14.6&bbox-crs={crs84}&f=json')[0]}"
    out["3 trailing slash (items/)"] = f"HTTP {_get(f'{base}{items}/?f=json')[0]}"
    import urllib.request

    try:
        urllib.request.urlopen(urllib.request.Request(f"{base}{items}", method="DELETE"), timeout=30)
        out["3 DELETE items: Allow"] = "200"
    except Exception as e:  # an HTTPError is the expected answer
        headers = getattr(e, "headers", {}) or {}
        allow = ", ".join(sorted(m.strip() for m in headers.get("Allow", "—").split(",")))
        out["3 DELETE items: Allow"] = f"HTTP {getattr(e, 'code', '?')}, Allow: {allow}"
    listed = coll.get("crs", [])
    out["4 CRS declared by the collection"] = ", ".join(c.rsplit("/", 1)[-1] for c in listed) or "none"
    for epsg in (3405, 4756, 9216, 32648):
        st, body, headers = _get(f"{base}{items}?limit=1&f=json&crs={quote(CRS.format(epsg), safe='')}")
        crs_header = headers.get("Content-Crs", "—")
        out[f"4 crs=EPSG:{epsg}"] = f"HTTP {st}, Content-Crs {crs_header.rsplit('/', 1)[-1].rstrip('>')}"
    st, body, _ = _get(f"{base}{items}?f=json&filter-lang=cql2-text&filter={quote(FILTER)}")
    out["5 CQL2 text with S_INTERSECTS"] = f"HTTP {st}" + (
        f", numberMatched {_json(body).get('numberMatched')}" if st == 200 else ""
    )
    st, body, _ = _get(f"{base}{items}?f=json&sortby=-poor_rate_2020&limit=1")
    first = (_json(body).get("features") or [{}])[0] if st == 200 else {}
    code = first.get("properties", {}).get("gso_code") or first.get("id")  # pygeoapi moves the id out
    out["5 sortby=-poor_rate_2020"] = f"HTTP {st}" + (f", first {code}" if first else "")
    out["7 invalid geometries served"] = _invalid(base, items)
    return out


def main() -> int:
    gpkg = util.ROOT / "build" / "kontum.gpkg"
    if not gpkg.exists():
        raise SystemExit("build/kontum.gpkg is missing: run `make build`")
    python = setup_env.ensure()  # the pygeoapi venv's python, installed when missing
    venv = setup_env.VENV
    data = util.ROOT / "build" / "bench" / "communes_ogc.gpkg"
    export_communes(gpkg, data)
    logs = util.ROOT / "build" / "bench" / "logs"
    app = servers.ours(gpkg, 1, logs / "fidelity-app.log")
    pyg = servers.pygeoapi(
        venv,
        util.BENCH / "pygeoapi-config.yml",
        util.ROOT / "build" / "bench" / "pygeoapi-openapi.yml",
        data,
        1,
        logs / "fidelity-pygeoapi.log",
    )
    with app, pyg:
        ours = probe(app.base, "/ogc")
        theirs = probe(pyg.base, "")
    versions = util.versions(python)
    lines = [
        "# OGC API fidelity: this app and pygeoapi 0.21 on the same communes",
        "",
        f"Written by `python -m bench.fidelity` on {dt.date.today().isoformat()} "
        f"(pygeoapi {versions.get('pygeoapi', '?')}, its OGR provider on the app's exported communes; "
        "GDAL's `ogrinfo`/`ogr2ogr` from Debian gdal-bin). Each row is one point of issue 18, "
        "asked of both servers in the same run; the cells are their answers as they came.",
        "",
        "| point | this app (`/ogc`) | pygeoapi 0.21 |",
        "|---|---|---|",
    ]
    lines += [f"| {k} | {ours[k]} | {theirs.get(k, '—')} |" for k in ours]
    lines += [
        "",
        "Point 6 (GeoPackage 1.2, shapefile field names, KML) and point 8 (real clients) are the "
        "app's own exports and tests (tests/clients/): pygeoapi 0.21 has no GeoPackage, Shapefile "
        "or KML download to compare.",
        "",
    ]
    OUT.write_text("\n".join(lines), encoding="utf-8")
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
