"""Boundary uploads: new commune or district polygons, checked like the build checks them.

Accepted files (type from the first bytes): GeoJSON, GeoPackage (the first
polygon layer), or a zipped Shapefile (``.shp`` + ``.shx`` + ``.dbf``,
``.prj`` for the coordinate system).  Zip entries with absolute paths,
``..`` components or links are refused (zip-slip), as are archives that
unpack to too much.

Coordinates: Vietnamese surveys use VN-2000 — e.g. EPSG:3405 (VN-2000 /
UTM 48N) or the Kon Tum provincial zone EPSG:9216 (VN-2000 / TM-3 107-30,
central meridian 107°30′, k = 0.9999).  The system is read from the
``.prj`` / the file; a file that declares none must be declared by the
uploader (``crs``: an EPSG code, a PROJ string, WKT, or the short names in
:data:`CRS_ALIASES`) unless its coordinates are plainly longitude/latitude.
Everything is reprojected to WGS84; the result must fall on Kon Tum.

Geometries: only polygons; an invalid one is repaired with
``shapely.make_valid`` (with a warning) or rejected with the reason.  The
units are matched to the GSO list by code and/or name
(:func:`geo.units.join.join_table`: every unit exactly once), then the
replacement layers are built (areas, border flags recomputed; districts
dissolved from new communes) and run through :func:`geo.build.checks.check_units`.
A failed check is an error: the map never serves boundaries that the build
would refuse.

Committing creates a dataset version (:mod:`geo.uploads.versions`, kind
``boundaries``) whose GeoPackage has the new ``communes`` / ``districts``.

Command line::

    python -m geo ingest-boundaries FILE [--level commune|district] [--crs EPSG:9216]
                                    [--note "..."] [--dry-run]
"""

from __future__ import annotations

import hashlib
import io
import shutil
import stat
import tempfile
import zipfile
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, Any

import geopandas as gpd
import pandas as pd
import shapely
from pyproj import CRS
from pyproj.exceptions import CRSError

from geo import lazy, paths, settings
from geo.backends.base import BackendError
from geo.build import checks
from geo.crs import WGS84
from geo.io import storage
from geo.messages import Message as M
from geo.messages import localise
from geo.units import boundaries as units
from geo.units.border import flag_border_communes
from geo.units.join import join_table
from geo.uploads import versions
from geo.uploads.common import Problem, UploadError, disk_full_error, max_bytes, run_cli

if TYPE_CHECKING:
    import pyogrio
else:  # GDAL only when a file is read or written (geo/lazy.py)
    pyogrio = lazy.module("pyogrio")

# Short names a planner may type for the usual Vietnamese systems.
VN2000_TOWGS84 = "-191.90441429,-39.30318279,-111.45032835,-0.00928836,0.01975479,-0.00427372,0.252906278"
CRS_ALIASES = {
    "vn2000-kontum": "EPSG:9216",
    "vn-2000-kontum": "EPSG:9216",
    "vn2000-tm3-107-30": "EPSG:9216",
    "vn2000-tm3-107.5": "EPSG:9216",
    "vn2000-utm48": "EPSG:3405",
    "vn-2000-utm48": "EPSG:3405",
    "vn2000-utm48n": "EPSG:3405",
    "wgs84": "EPSG:4326",
}
KONTUM_BBOX = (107.2, 13.8, 108.7, 15.5)  # lon/lat with a margin
MAX_ZIP_ENTRIES = 50
MAX_UNZIPPED = 200 * 1024 * 1024
REPAIR_TOLERANCE = 0.01  # a repair may change the area by at most 1%


def parse_crs(text: str | None) -> CRS | None:
    """A declared coordinate system (EPSG code, PROJ string, WKT or a short name).

    >>> parse_crs("vn2000-kontum").name, parse_crs("EPSG:3405").name
    ('VN-2000 / TM-3 107-30', 'VN-2000 / UTM zone 48N')
    """
    if text is None or not str(text).strip():
        return None
    raw = str(text).strip()
    key = raw.lower().replace(" ", "").replace("_", "-")
    raw = CRS_ALIASES.get(key, raw)
    if raw.isdigit():
        raw = f"EPSG:{raw}"
    try:
        return CRS.from_user_input(raw)
    except (CRSError, TypeError, ValueError):
        raise UploadError(M("error.boundaries.bad_crs", got=str(text)[:80])) from None


def is_vn2000(crs: CRS | None) -> bool:
    if crs is None:
        return False
    text = (crs.name + " " + (crs.geodetic_crs.name if crs.geodetic_crs else "")).lower()
    return any(k in text for k in ("vn-2000", "vn_2000", "vn2000", "vietnam 2000", "vietnam_2000"))


# ---------------------------------------------------------------- reading


def sniff(data: bytes, filename: str) -> str:
    """``geojson``, ``gpkg`` or ``zip`` (a zipped Shapefile) from the first bytes."""
    name = filename or "upload"
    if not data:
        raise UploadError(M("error.ingest.empty_file", name=name))
    if len(data) > max_bytes():
        raise UploadError(
            M("error.boundaries.too_large", name=name, size=f"{len(data):,}", cap=f"{max_bytes():,}"),
            413,
            "PayloadTooLarge",
        )
    if data.startswith(b"SQLite format 3\x00"):
        return "gpkg"
    if data.startswith(b"PK\x03\x04") or data.startswith(b"PK\x05\x06"):
        return "zip"
    head = data[:2048].lstrip(b"\xef\xbb\xbf \t\r\n")
    if head.startswith(b"{"):
        return "geojson"
    raise UploadError(M("error.boundaries.not_vector", name=name))


def _safe_extract(data: bytes, dest: Path) -> list[Path]:
    """Extract a zip into ``dest``, refusing zip-slip, links and bombs."""
    try:
        zf = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, ValueError, OSError):
        raise UploadError(M("error.boundaries.bad_zip")) from None
    with zf:
        infos = zf.infolist()
        if len(infos) > MAX_ZIP_ENTRIES:
            raise UploadError(M("error.boundaries.zip_entries", n=len(infos), max=MAX_ZIP_ENTRIES))
        if sum(i.file_size for i in infos) > MAX_UNZIPPED:
            raise UploadError(M("error.boundaries.zip_bomb"))
        out = []
        for info in infos:
            name = info.filename
            posix = PurePosixPath(name.replace("\\", "/"))
            if (
                name.startswith(("/", "\\"))
                or posix.is_absolute()
                or ".." in posix.parts
                or (len(name) > 1 and name[1] == ":")
            ):
                raise UploadError(M("error.boundaries.zip_unsafe_dots", name=name[:100]))
            mode = (info.external_attr >> 16) & 0o170000
            if mode == stat.S_IFLNK:
                raise UploadError(M("error.boundaries.zip_link", name=name[:100]))
            if info.is_dir():
                continue
            target = (dest / Path(*posix.parts)).resolve()
            if dest.resolve() not in target.parents:
                raise UploadError(M("error.boundaries.zip_unsafe", name=name[:100]))
            target.parent.mkdir(parents=True, exist_ok=True)
            _extract_one(zf, info, target)
            out.append(target)
    return out


def _extract_one(zf: zipfile.ZipFile, info: zipfile.ZipInfo, target: Path) -> None:
    """Copy one entry out of the archive; a damaged entry is a clear refusal, not a crash."""
    try:
        with zf.open(info) as src, open(target, "wb") as dst:
            shutil.copyfileobj(src, dst)
    except (zipfile.BadZipFile, zlib.error, EOFError, NotImplementedError, RuntimeError) as exc:
        # Bad CRC-32 (an entry that lies about its size or content), a local header whose
        # name differs from the central directory, a truncated or encrypted entry…
        raise UploadError(M("error.boundaries.zip_damaged", name=info.filename[:100], reason=str(exc)[:120])) from None
    except OSError as exc:
        if versions.disk_full(exc):
            raise UploadError(M("error.boundaries.disk_full"), 503, "ServiceUnavailable") from None
        raise


def _read_vector(path: Path, layer=None) -> gpd.GeoDataFrame:
    try:
        return pyogrio.read_dataframe(path, layer=layer)
    except Exception as exc:  # pyogrio DataSourceError, DataLayerError…
        first = (str(exc).splitlines() or [""])[0][:160]
        raise UploadError(M("error.boundaries.unreadable", kind=type(exc).__name__, reason=first)) from None


def read_boundaries(data: bytes, filename: str) -> tuple[gpd.GeoDataFrame, str, list[str]]:
    """The features of an upload, its type, and warnings (nothing written outside a temp dir)."""
    kind = sniff(data, filename)
    warnings: list[str] = []
    with tempfile.TemporaryDirectory(prefix="geo-boundary-") as tmp:
        tmp = Path(tmp)
        if kind == "zip":
            files = _safe_extract(data, tmp / "x")
            shps = [f for f in files if f.suffix.lower() == ".shp"]
            if not shps:
                raise UploadError(M("error.boundaries.no_shp"))
            if len(shps) > 1:
                raise UploadError(M("error.boundaries.several_shp", names=", ".join(f.name for f in shps[:5])))
            shp = shps[0]
            for ext in (".shx", ".dbf"):
                if not any(f.suffix.lower() == ext and f.stem == shp.stem for f in files):
                    raise UploadError(M("error.boundaries.shp_lacks", ext=ext))
            if not any(f.suffix.lower() == ".prj" and f.stem == shp.stem for f in files):
                warnings.append(M("error.boundaries.no_prj"))
            gdf = _read_vector(shp)
        elif kind == "gpkg":
            path = tmp / "upload.gpkg"
            path.write_bytes(data)
            try:
                layers = pyogrio.list_layers(path)
            except Exception:
                raise UploadError(M("error.boundaries.bad_gpkg")) from None
            polys = [str(n) for n, g in layers if g and "POLYGON" in str(g).upper()]
            if not polys:
                raise UploadError(M("error.boundaries.gpkg_no_polygons"))
            if len(polys) > 1:
                warnings.append(M("error.boundaries.gpkg_first", layer=polys[0], n=len(polys)))
            gdf = _read_vector(path, polys[0])
        else:
            path = tmp / "upload.geojson"
            path.write_bytes(data)
            gdf = _read_vector(path)
    if not isinstance(gdf, gpd.GeoDataFrame) or gdf.geometry.isna().all():
        raise UploadError(M("error.boundaries.no_geometries"))
    if gdf.empty:
        raise UploadError(M("error.boundaries.no_features"))
    return gdf, kind, warnings


def to_wgs84(gdf: gpd.GeoDataFrame, declared: CRS | None, kind: str) -> tuple[gpd.GeoDataFrame, dict, list[str]]:
    """Reproject to WGS84, using the file's CRS or the declared one; say what was used."""
    warnings: list[str] = []
    source = gdf.crs
    if source is not None and declared is not None and not CRS(source).equals(declared, ignore_axis_order=True):
        raise UploadError(M("error.boundaries.crs_conflict", file_crs=CRS(source).name, declared=declared.name))
    minx, miny, maxx, maxy = gdf.total_bounds
    lonlat = -180 <= minx <= maxx <= 180 and -90 <= miny <= maxy <= 90
    if source is None:
        if declared is not None:
            gdf = gdf.set_crs(declared, allow_override=True)
        elif lonlat:
            gdf = gdf.set_crs(WGS84)
            if kind != "geojson":
                warnings.append(M("error.boundaries.lonlat_assumed"))
        else:
            raise UploadError(
                M(
                    "error.boundaries.no_crs",
                    x0=f"{minx:,.0f}",
                    x1=f"{maxx:,.0f}",
                    y0=f"{miny:,.0f}",
                    y1=f"{maxy:,.0f}",
                )
            )
    crs = CRS(gdf.crs)
    epsg = crs.to_epsg()
    info = {
        "name": crs.name,
        "epsg": int(epsg) if epsg else None,
        "vn2000": bool(is_vn2000(crs)),
        "declared": bool(declared is not None and source is None),
    }
    if info["vn2000"]:
        warnings.append(M("error.boundaries.vn2000", name=crs.name))
    out = gdf.to_crs(WGS84)
    minx, miny, maxx, maxy = out.total_bounds
    bx = KONTUM_BBOX
    if not (bx[0] <= minx and maxx <= bx[2] and bx[1] <= miny and maxy <= bx[3]):
        raise UploadError(
            M("error.boundaries.not_kontum", x0=f"{minx:.3f}", x1=f"{maxx:.3f}", y0=f"{miny:.3f}", y1=f"{maxy:.3f}")
        )
    return out, info, warnings


# ---------------------------------------------------------------- geometry


def repair(gdf: gpd.GeoDataFrame, label: Callable[[int], str]) -> tuple[gpd.GeoDataFrame, list[Problem]]:
    """Polygons only; invalid ones made valid (warning) or rejected (error) with the reason."""
    problems: list[Problem] = []
    geoms = list(gdf.geometry)
    for i, g in enumerate(geoms):
        row = i + 1
        name = label(i)
        if g is None or g.is_empty:
            problems.append(Problem("error", M("error.boundaries.no_geometry", row=row, name=name), row))
            continue
        if g.geom_type not in ("Polygon", "MultiPolygon"):
            problems.append(
                Problem("error", M("error.boundaries.not_polygon", row=row, name=name, kind=g.geom_type), row)
            )
            continue
        if g.is_valid:
            continue
        reason = shapely.is_valid_reason(g)
        fixed = shapely.make_valid(g)
        if fixed.geom_type == "GeometryCollection":
            polys = [p for p in fixed.geoms if p.geom_type in ("Polygon", "MultiPolygon")]
            fixed = shapely.union_all(polys) if polys else shapely.Polygon()
        area_before = (
            shapely.Polygon(g.exterior).area
            if g.geom_type == "Polygon"
            else sum(shapely.Polygon(p.exterior).area for p in g.geoms)
        )
        change = abs(fixed.area - area_before) / area_before if area_before else 1.0
        if fixed.is_empty or fixed.geom_type not in ("Polygon", "MultiPolygon") or change > REPAIR_TOLERANCE:
            problems.append(
                Problem(
                    "error",
                    M("error.boundaries.unrepairable", row=row, name=name, reason=reason, change=f"{change:.1%}"),
                    row,
                )
            )
            continue
        geoms[i] = fixed
        problems.append(Problem("warning", M("error.boundaries.repaired", row=row, name=name, reason=reason), row))
    return gdf.set_geometry(gpd.GeoSeries(geoms, index=gdf.index, crs=gdf.crs)), problems


# ---------------------------------------------------------------- preview


@dataclass
class BoundaryPreview:
    filename: str
    sha256: str
    size: int
    file_type: str
    level: str
    note: str
    who: str
    crs: dict = field(default_factory=dict)
    features: int = 0
    problems: list[Problem] = field(default_factory=list)
    join: dict = field(default_factory=dict)
    checks: list[dict] = field(default_factory=list)
    areas: list[dict] = field(default_factory=list)
    layers: dict = field(default_factory=dict)  # the replacement layers (communes / districts)
    id: str | None = None
    expires: str | None = None

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "error"]

    @property
    def ok(self) -> bool:
        return not self.errors and bool(self.layers)

    def to_dict(self, lang: str = "en") -> dict:
        return {
            "id": self.id,
            "expires": self.expires,
            "ok": self.ok,
            "kind": "boundaries",
            "file": {"name": self.filename, "size": self.size, "sha256": self.sha256, "type": self.file_type},
            "level": self.level,
            "note": self.note,
            "who": self.who,
            "crs": self.crs,
            "counts": {
                "features": self.features,
                "errors": len(self.errors),
                "warnings": len(self.problems) - len(self.errors),
            },
            "errors": [p.to_dict(lang) for p in self.errors],
            "warnings": [p.to_dict(lang) for p in self.problems if p.severity == "warning"],
            "join": self.join,
            "checks": [
                {**c, "name": localise(c["name"], lang), "detail": localise(c["detail"], lang)} for c in self.checks
            ],
            "area_changes": self.areas,
        }

    def to_text(self) -> str:
        lines = [
            f"{self.filename}: {self.file_type}, {self.features} features, level {self.level}, "
            f"CRS {self.crs.get('name', '?')}; {len(self.errors)} errors"
        ]
        lines += ["  " + p.line() for p in self.problems]
        lines += [f"  [{'OK' if c['ok'] else 'FAIL'}] {c['name']}: {c['detail']}" for c in self.checks]
        for a in self.areas[:15]:
            if a["change_pct"] is not None:
                lines.append(
                    f"  {a['gso_code']} {a['name']}: {a['old_km2']:.2f} → {a['new_km2']:.2f} km² "
                    f"({a['change_pct']:+.1f}%)"
                )
        return "\n".join(lines)


def _served_layers() -> dict:
    if (db := versions.database()) is not None:  # DATABASE_URL: the database's current version
        try:
            names = db.layer_names()
            return {n: db.read_layer(n) for n in ("communes", "districts", "border") if n in names}
        except BackendError as exc:
            raise UploadError(str(exc), 503) from None
    path = paths.gpkg_path()
    if not path.is_file():
        raise UploadError(M("error.boundaries.not_built", name=path.name), 503)
    return {
        n: storage.read_layer(n, path) for n in ("communes", "districts", "border") if n in storage.list_layers(path)
    }


def preview(
    data: bytes,
    filename: str = "upload.geojson",
    *,
    level: str = "commune",
    crs: str | None = None,
    note: str = "",
    who: str = "cli",
    served: dict | None = None,
) -> BoundaryPreview:
    """Read, reproject, repair, match and check a boundary upload (writes nothing)."""
    if level not in units.MATCHED_LEVELS:
        raise UploadError(M("error.boundaries.unknown_level", got=level, expected=", ".join(units.MATCHED_LEVELS)))
    declared = parse_crs(crs)
    gdf, kind, warnings = read_boundaries(data, filename)
    pv = BoundaryPreview(
        filename,
        hashlib.sha256(data).hexdigest(),
        len(data),
        kind,
        level,
        " ".join(str(note or "").split())[:500],
        who,
        features=len(gdf),
    )
    pv.problems += [Problem("warning", w) for w in warnings]
    gdf, pv.crs, warn = to_wgs84(gdf, declared, kind)
    pv.problems += [Problem("warning", w) for w in warn]
    table = pd.DataFrame(gdf.drop(columns=gdf.geometry.name)).astype(object)
    table.index = pd.Index(range(1, len(table) + 1), name="row")  # feature numbers
    try:
        result = join_table(table, level)
    except ValueError as exc:
        reason = exc.args[0] if exc.args and isinstance(exc.args[0], M) else str(exc)
        raise UploadError(M("error.boundaries.join_columns", reason=reason)) from None
    rep = result.report
    pv.join = rep.to_dict()
    for a in rep.ambiguous:
        pv.problems.append(
            Problem(
                "error",
                M("error.boundaries.ambiguous", row=a.row, name=a.name, candidates=", ".join(a.candidates)),
                a.row,
            )
        )
    for u in rep.unmatched:
        pv.problems.append(
            Problem(
                "error",
                M("error.boundaries.unmatched", row=u.row, name=u.name, reason=u.reason, detail=u.detail),
                u.row,
            )
        )
    for d in rep.duplicates:
        pv.problems.append(
            Problem("error", M("error.boundaries.duplicate", row=d.row, code=d.code, first=d.first_row), d.row)
        )
    if rep.units_without_data:
        missing = ", ".join(f"{m.code} {m.name}" for m in rep.units_without_data[:10])
        pv.problems.append(
            Problem(
                "error",
                M(
                    "error.boundaries.missing_units",
                    n=len(rep.units_without_data),
                    total=rep.n_units,
                    missing=missing + ("…" if len(rep.units_without_data) > 10 else ""),
                ),
            )
        )
    codes = {m.row: m.code for m in rep.matched_by_code + rep.matched_by_name}
    labels = {
        i: codes.get(i + 1) or str(table.iloc[i].get(rep.columns.get("name") or "", "")) for i in range(len(table))
    }
    gdf, problems = repair(gdf, lambda i: labels.get(i) or "?")
    pv.problems += problems
    if pv.errors:
        return pv
    geom = {codes[i + 1]: g for i, g in enumerate(gdf.geometry) if (i + 1) in codes}
    served = served if served is not None else _served_layers()
    communes, districts = served["communes"].copy(), served["districts"].copy()
    if level == "commune":
        communes = communes.set_geometry(communes["gso_code"].map(geom).values, crs=WGS84)
        communes["area_km2"] = units.area_km2(communes)
        communes["quality_flag"] = "uploaded"
        communes["geom_method"] = f"upload {filename} (sha256 {pv.sha256[:12]})"
        if "border" in served:
            communes = flag_border_communes(
                communes.drop(columns=["border_km", "on_border", "border_countries"], errors="ignore"), served["border"]
            )
        dissolved = communes.dissolve("district_code")["geometry"]
        districts = districts.set_geometry(districts["gso_code"].map(dissolved).values, crs=WGS84)
        districts["area_km2"] = units.area_km2(districts)
        old = served["communes"]
        new = communes
    else:
        districts = districts.set_geometry(districts["gso_code"].map(geom).values, crs=WGS84)
        districts["area_km2"] = units.area_km2(districts)
        old, new = served["districts"], districts
    results = checks.check_units(communes, districts)
    # name and detail are messages: to_dict renders them in the reader's language
    pv.checks = [{"name": c.name, "ok": bool(c.ok), "detail": c.detail} for c in results]
    for c in results:
        if not c.ok:
            pv.problems.append(Problem("error", M("error.boundaries.check_failed", name=c.name, detail=c.detail)))
    old_area = old.set_index("gso_code")["area_km2"]
    for r in new.itertuples(index=False):
        before = float(old_area.get(r.gso_code, float("nan")))
        known = before == before and before > 0  # not NaN
        pct = round(100.0 * (float(r.area_km2) - before) / before, 2) if known else None
        pv.areas.append(
            {
                "gso_code": str(r.gso_code),
                "name": str(r.name),
                "old_km2": before if known else None,
                "new_km2": float(r.area_km2),
                "change_pct": pct,
            }
        )
    pv.areas.sort(key=lambda a: -abs(a["change_pct"] or 0))
    pv.layers = {"communes": communes, "districts": districts} if level == "commune" else {"districts": districts}
    return pv


# ---------------------------------------------------------------- versions


def _geojson_bytes(gdf: gpd.GeoDataFrame) -> bytes:
    return gdf.to_crs(WGS84).to_json(drop_id=True, ensure_ascii=False).encode("utf-8")


#: How many area changes a version's manifest keeps.
MANIFEST_CHANGES = 2000


def commit_preview(pv: BoundaryPreview, data: bytes, who: str, where: versions.Store | None = None) -> versions.Version:
    """Turn a clean boundary preview into a new dataset version of ``where`` (default:
    :func:`geo.uploads.versions.store`) and make it current."""
    if not pv.ok:
        first = pv.errors[0].line() if pv.errors else "nothing to import"
        raise UploadError(M("error.boundaries.not_committed", n=len(pv.errors), first=first))
    files = {f"{name}.geojson": _geojson_bytes(layer) for name, layer in pv.layers.items()}
    files[f"source.{pv.file_type}"] = data
    info = {
        "who": who,
        "note": pv.note,
        "source_file": pv.filename,
        "sha256": pv.sha256,
        "size": pv.size,
        "file_type": pv.file_type,
        "level": pv.level,
        "crs": pv.crs,
        "previewed_by": pv.who,
        "layers": sorted(pv.layers),
        "counts": {"features": pv.features},
        # the units whose area changed, old → new km² (the upload page's per-version diff)
        "area_changes": pv.areas[:MANIFEST_CHANGES],
    }
    try:
        return versions.create_version("boundaries", files, info, where=where)
    except versions.VersionError as exc:
        raise UploadError(str(exc), 503 if "python -m geo build" in str(exc) else 409, "Conflict") from None
    except OSError as exc:  # a full disk (or another write failure) in the state folder
        raise disk_full_error(exc) from exc


def commit_staged(data: bytes, meta: dict, who: str, where: versions.Store | None = None) -> versions.Version:
    """Commit a staged boundary upload (re-validated against the data served now)."""
    params = meta.get("params", {})
    pv = preview(
        data,
        meta["filename"],
        level=params.get("level", "commune"),
        crs=params.get("crs"),
        note=params.get("note", ""),
        who=meta.get("who", "?"),
    )
    return commit_preview(pv, data, who, where)


# ---------------------------------------------------------------- CLI


def _cmd(args) -> int:
    return run_cli(
        args,
        lambda data, name: preview(data, name, level=args.level, crs=args.crs, note=args.note or "", who=args.who),
        commit_preview,
        lambda pv, v: f"version {v.number} is now current: new {', '.join(pv.layers)} boundaries ({v.gpkg})",
    )


def register(sub: Any) -> None:  # sub: argparse add_subparsers() action (its class is private)
    p = sub.add_parser(
        "ingest-boundaries",
        help="validate commune/district polygons and make them a new version",
        description="Read FILE (GeoJSON, GeoPackage or zipped Shapefile; VN-2000 recognised), "
        "reproject to WGS84, repair or reject invalid polygons, match every unit, "
        "run the unit checks; unless --dry-run, commit as a new dataset version.",
    )
    p.add_argument("file")
    p.add_argument("--level", choices=units.MATCHED_LEVELS, default="commune")
    p.add_argument("--crs", help="coordinate system when the file declares none (e.g. EPSG:9216, EPSG:3405)")
    p.add_argument("--note", help="source note")
    p.add_argument("--who", default=settings.active().user)
    p.add_argument("--dry-run", action="store_true")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=_cmd)
