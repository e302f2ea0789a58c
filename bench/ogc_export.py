"""Export the app's ``communes`` OGC collection to a GeoPackage for pygeoapi.

The file holds exactly what ``/ogc/collections/communes/items`` serves:
every property column (indicator columns, their ``*_status`` companions and
``synthetic_note``) and the geometry with coordinates rounded to
:data:`geo.ogc.features.COORD_DECIMALS`, so both servers answer with the same
features, the same properties and the same coordinates.
"""

from __future__ import annotations

import os
from pathlib import Path

import pyogrio
import shapely


def export_communes(gpkg: Path | str, out: Path | str) -> dict:
    """Write ``out`` (layer ``communes``, R-tree indexed); return a summary."""
    from geo.ogc import features as F

    sel = F.select("communes", path=gpkg)
    page = F.page_frame(sel, sel.number_matched, 0)
    page = page.set_geometry(shapely.transform(page.geometry.values, lambda c: c.round(F.COORD_DECIMALS)))
    for name in page.columns:  # True / <NA> object columns (flags) → nullable booleans
        col = page[name]
        if (
            col.dtype == object
            and col.map(lambda v: v is None or v is True or v is False or F.isnull(v)).all()
            and col.notna().any()
        ):
            page[name] = col.astype("boolean")
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_suffix(".tmp.gpkg")
    if tmp.exists():
        tmp.unlink()
    pyogrio.write_dataframe(
        page,
        tmp,
        layer="communes",
        driver="GPKG",
        layer_options={"SPATIAL_INDEX": "YES"},
        dataset_options={"VERSION": "1.2"},
    )  # GDAL 3.6 (pygeoapi's) reads 1.2
    os.replace(tmp, out)
    return {
        "features": len(page),
        "properties": len(page.columns) - 1,
        "bbox": [round(float(b), 6) for b in page.total_bounds],
        "path": str(out),
    }
