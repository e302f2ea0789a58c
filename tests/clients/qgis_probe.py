"""What QGIS reads: run by Debian's ``python3`` (which has ``qgis``), not by the project's venv.

    /usr/bin/python3 tests/clients/qgis_probe.py < job.json > report.json

The job is JSON: ``{"layers": [{"key", "uri", "provider", "subset"?}]}``.  Each layer is
opened the way QGIS's Data Source Manager opens it (``OAPIF``: QGIS's own OGC API –
Features client; ``ogr``: GDAL, e.g. ``OAPIF:<url>`` or an export file;
``delimitedtext``: a CSV), and the report says, per key, whether it is valid, its feature
count (by iterating), CRS, geometry type, field types and the values of a few fields.
QGIS runs headless (``QT_QPA_PLATFORM=offscreen``).  The tests in ``test_qgis.py`` read
the report; this file makes no judgement.
"""

import json
import os
import sys

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from qgis.core import Qgis, QgsApplication, QgsVectorLayer, QgsWkbTypes


def _plain(value):
    """A QVariant-ish attribute as JSON (NULL → None)."""
    if value is None or (hasattr(value, "isNull") and value.isNull()):
        return None
    if isinstance(value, (bool, int, float, str)):
        return value
    return str(value)


def read(layer: dict) -> dict:
    """The report of one layer (see the module doc)."""
    lyr = QgsVectorLayer(layer["uri"], layer["key"], layer["provider"])
    if not lyr.isValid():
        return {"valid": False, "error": lyr.error().summary()}
    if layer.get("subset"):
        if not lyr.setSubsetString(layer["subset"]):
            return {"valid": True, "subset_refused": True}
    fields = [f.name() for f in lyr.fields()]
    keep = [f for f in layer.get("values", []) if f in fields]
    rows = []
    n = 0
    for feat in lyr.getFeatures():
        n += 1
        rows.append({f: _plain(feat[f]) for f in keep})
    return {
        "valid": True,
        "count": n,
        "crs": lyr.crs().authid(),
        "geometry": QgsWkbTypes.displayString(lyr.wkbType()),
        "types": {f.name(): f.typeName() for f in lyr.fields()},
        "values": rows,
    }


def main() -> int:
    job = json.load(sys.stdin)
    app = QgsApplication([], False)
    app.initQgis()
    try:
        report = {"qgis": Qgis.QGIS_VERSION, "layers": {lyr["key"]: read(lyr) for lyr in job["layers"]}}
    finally:
        app.exitQgis()
    json.dump(report, sys.stdout, ensure_ascii=False)
    return 0


if __name__ == "__main__":
    sys.exit(main())
