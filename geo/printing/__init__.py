"""Printed maps: finished map sheets (PDF, PNG) rendered on the server.

:mod:`geo.printing.mapsheet` draws one map sheet of a layer (title block,
the layer with the web map's classes and colours, legend, scale bar, north
arrow, district and border lines with labels, sources, the demo-data warning,
data version) with matplotlib + geopandas; :mod:`geo.printing.cli` is
``python -m geo map``.  The Flask route ``GET /print`` is ``app/print_map.py``.
"""
