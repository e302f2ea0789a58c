"""CQL2 filters (OGC API – Features Part 3, OGC 21-065r2) for the items of a collection.

A filter arrives as text (``filter-lang=cql2-text``, the default) or JSON
(``cql2-json``); pygeofilter reads it into its AST (:func:`parse`): CQL2 JSON
through its own parser, CQL2 text through its transformer over the grammar
``cql2.lark`` beside this module, which fixes pygeofilter 0.3.1's text grammar
(AND and OR at one precedence level, no ``NOT (…)``, no ``NOT LIKE`` … — see
the grammar's header).  :func:`check` then checks it against the collection's
queryables and returns a :class:`Filter`: a small tree of plain values, every
property typed, every literal of the right type, every geometry literal valid
and in CRS84 (converted from ``filter-crs``).  A problem is a
:class:`FilterError` (a :class:`geo.ogc.features.QueryError`, so a 400) with a
message of the catalogue (``error.filter.*``) naming it.

Both backends evaluate the same tree with SQL's three-valued logic (a
comparison with a null is unknown, ``NOT unknown`` is unknown, unknown
selects nothing):

* :func:`mask` on a GeoDataFrame (the embedded backend), with pandas'
  nullable arrays;
* :func:`to_sql` as a WHERE clause for PostGIS, every value a bound
  parameter (``%(cql0)s`` …), never pasted into the text.

Supported: comparisons (``= <> < <= > >=``) of properties and literals
(either side, property to property), ``AND`` / ``OR`` / ``NOT``, ``LIKE`` (``%``
any characters, ``_`` one, ``\\`` escapes), ``IN``, ``BETWEEN`` (numbers),
``IS [NOT] NULL``, the spatial functions ``S_INTERSECTS``, ``S_DISJOINT``,
``S_CONTAINS``, ``S_WITHIN``, ``S_TOUCHES``, ``S_CROSSES``, ``S_OVERLAPS``,
``S_EQUALS`` between the feature geometry (``geometry``) and a WKT or GeoJSON
literal or ``BBOX``.  No property is a date, so temporal literals and
functions are refused; so are arithmetic and other functions.

Example
-------
>>> props = {"gso_code": "string", "on_border": "boolean", "poor_rate_2020": "number"}
>>> f = compile_filter("on_border = TRUE AND poor_rate_2020 > 30", props, "communes")
>>> f.tree
('and', (('cmp', '=', Prop(name='on_border', type='boolean'), Lit(value=True, type='boolean')), \
('cmp', '>', Prop(name='poor_rate_2020', type='number'), Lit(value=30.0, type='number'))))
>>> frame = pd.DataFrame({"gso_code": ["1", "2", "3"], "on_border": [True, True, None],
...                       "poor_rate_2020": [40.0, 10.0, 50.0]})
>>> mask(f, frame, np.array([None, None, None])).tolist()
[True, False, False]
>>> sql, params = to_sql(f, lambda name, ptype, bind: f"col_{name}", "geom")
>>> sql
'((col_on_border = %(cql0)s::boolean) AND (col_poor_rate_2020 > %(cql1)s::double precision))'
>>> params
{'cql0': True, 'cql1': 30.0}
"""

from __future__ import annotations

import datetime as dt
import functools
import json
import math
import operator
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar, NamedTuple

import lark
import numpy as np
import pandas as pd
import pyproj
import shapely
import shapely.geometry
from pygeofilter import ast, values

from geo.crs import CRS84_SERVED, ServedCrs
from geo.messages import Message

from .features import QueryError

#: The filter languages accepted (``filter-lang``), the first the default.
LANGS = ("cql2-text", "cql2-json")
#: Names of the drafts of Part 3 that clients still send: GDAL's OAPIF driver (3.6 in
#: Debian 12, still 3.12) sends ``filter-lang=cql-text`` and only when the API definition
#: lists that name; what it writes (comparisons, AND/OR/NOT, LIKE, IS NULL) is CQL2 text.
ALIASES = {"cql-text": "cql2-text"}
#: The name of the feature geometry in a filter (as in the queryables document).
GEOMETRY = "geometry"
#: Longest filter accepted, in characters, and deepest nesting of conditions.
MAX_CHARS = 20_000
MAX_DEPTH = 64

#: The conformance classes this module implements (OGC API – Features Part 3, CQL2 1.0).
CONFORMANCE = (
    "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/queryables",
    "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/filter",
    "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/features-filter",
    "http://www.opengis.net/spec/cql2/1.0/conf/cql2-text",
    "http://www.opengis.net/spec/cql2/1.0/conf/cql2-json",
    "http://www.opengis.net/spec/cql2/1.0/conf/basic-cql2",
    "http://www.opengis.net/spec/cql2/1.0/conf/advanced-comparison-operators",
    "http://www.opengis.net/spec/cql2/1.0/conf/basic-spatial-functions",
    "http://www.opengis.net/spec/cql2/1.0/conf/basic-spatial-functions-plus",
    "http://www.opengis.net/spec/cql2/1.0/conf/spatial-functions",
    "http://www.opengis.net/spec/cql2/1.0/conf/property-property",
)

SPATIAL = {
    ast.GeometryIntersects: "intersects",
    ast.GeometryDisjoint: "disjoint",
    ast.GeometryContains: "contains",
    ast.GeometryWithin: "within",
    ast.GeometryTouches: "touches",
    ast.GeometryCrosses: "crosses",
    ast.GeometryOverlaps: "overlaps",
    ast.GeometryEquals: "equals",
}
#: A spatial function with its arguments swapped (literal first, the feature geometry second).
SWAPPED = {"contains": "within", "within": "contains"}
COMPARISONS = {
    ast.Equal: "=",
    ast.NotEqual: "<>",
    ast.LessThan: "<",
    ast.LessEqual: "<=",
    ast.GreaterThan: ">",
    ast.GreaterEqual: ">=",
}
_OPS = {
    "=": operator.eq,
    "<>": operator.ne,
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
}
#: The comparable kinds of the queryable types.
_KIND = {"string": "string", "integer": "number", "number": "number", "boolean": "boolean"}


class FilterError(QueryError):
    """A filter that cannot be read or does not fit the collection (a 400)."""


class Prop(NamedTuple):
    """A property of the features in a filter: its name and queryable type."""

    name: str
    type: str


class Lit(NamedTuple):
    """A literal value in a filter and its type (string, number, boolean)."""

    value: Any
    type: str


@dataclass(frozen=True)
class Filter:
    """A checked filter: ``tree`` of tuples (see :func:`check`), backend-neutral and hashable."""

    tree: tuple


class _Temporal:
    """A temporal literal or function (refused: no property is a date)."""

    def __init__(self, text: str):
        self.text = text


# --------------------------------------------------------------------------- parsing


@functools.cache
def _text_transformer() -> lark.Transformer:
    """pygeofilter's CQL2 text transformer, with the literals of ``cql2.lark``.  Imported on
    a process's first text filter, not at start: importing pygeofilter's text parser module
    builds its own Lark parser (0.2–0.4 s), which this module never uses — a cost the first
    filter of each worker pays once rather than every start of the service."""
    from pygeofilter.parsers.cql2_text.parser import CQLTransformer

    @lark.v_args(inline=True)
    class Transformer(CQLTransformer):
        def SINGLE_QUOTED(self, token):  # lark calls a terminal callback by its name
            return str(token)[1:-1].replace("''", "'")

        def bbox(self, *numbers):
            return _bbox_polygon(numbers)

        def timestamp(self, text):
            return _Temporal(f"TIMESTAMP('{text}')")

        def date(self, text):
            return _Temporal(f"DATE('{text}')")

        def temporal_function(self, name, lhs, rhs):
            return _Temporal(str(name).upper() + "(…)")

    return Transformer()


@functools.cache
def _text_parser() -> lark.Lark:
    import pygeofilter.parsers

    return lark.Lark.open(
        str(Path(__file__).with_name("cql2.lark")),
        parser="lalr",
        maybe_placeholders=False,
        transformer=_text_transformer(),
        import_paths=[str(Path(pygeofilter.parsers.__file__).parent)],
    )


def _bbox_polygon(numbers) -> values.Geometry:
    """``BBOX(minx, miny, maxx, maxy)`` (or six numbers with heights) as a polygon literal."""
    nums = [float(n) for n in numbers]
    if len(nums) == 6:
        nums = [nums[0], nums[1], nums[3], nums[4]]
    if len(nums) != 4:
        raise FilterError(Message("error.filter.bbox", got=len(nums)))
    return values.Geometry(shapely.geometry.mapping(shapely.box(*nums)))


def parse(text: str, lang: str = "cql2-text") -> ast.Node:
    """Read a filter in ``lang`` (cql2-text or cql2-json) into pygeofilter's AST.

    >>> parse("name LIKE 'Xã%' OR on_border = true AND area_km2 < 50")
    Or(lhs=Like(lhs=ATTRIBUTE name, pattern='Xã%', nocase=False, wildcard='%', singlechar='.', \
escapechar='\\\\', not_=False), rhs=And(lhs=Equal(lhs=ATTRIBUTE on_border, rhs=True), \
rhs=LessThan(lhs=ATTRIBUTE area_km2, rhs=50)))
    >>> parse('{"op": "between", "args": [{"property": "year"}, 2016, 2018]}', "cql2-json")
    Between(lhs=ATTRIBUTE year, low=2016, high=2018, not_=False)
    >>> parse("name = 'x' AND")
    Traceback (most recent call last):
    ...
    geo.ogc.cql2.FilterError: filter (cql2-text) cannot be read after column 14, at: the end
    """
    lang = ALIASES.get(lang, lang)
    if lang not in LANGS:
        raise FilterError(Message("error.filter.lang", got=lang, expected=", ".join(LANGS)))
    if len(text) > MAX_CHARS:
        raise FilterError(Message("error.filter.too_long", n=len(text), max=MAX_CHARS))
    if not text.strip():
        raise FilterError(Message("error.filter.empty"))
    return _parse_text(text) if lang == "cql2-text" else _parse_json(text)


def _parse_text(text: str) -> ast.Node:
    parser = _text_parser()
    try:
        return parser.parse(text)
    except lark.exceptions.VisitError as exc:
        if isinstance(exc.orig_exc, FilterError):
            raise exc.orig_exc from None
        raise FilterError(Message("error.filter.syntax", flang="cql2-text", column=1, near=text[:40])) from None
    except lark.exceptions.UnexpectedInput as exc:
        column = getattr(exc, "column", -1)
        pos = getattr(exc, "pos_in_stream", None)
        at_end = isinstance(exc, lark.exceptions.UnexpectedToken) and exc.token.type == "$END"
        if at_end or column is None or column < 1 or pos is None or pos >= len(text):
            near, column = Message("error.filter.end"), len(text)
        else:
            near = text[pos : pos + 40]
        raise FilterError(Message("error.filter.syntax", flang="cql2-text", column=column, near=near)) from None
    except lark.exceptions.LarkError:
        raise FilterError(Message("error.filter.syntax", flang="cql2-text", column=1, near=text[:40])) from None


def _parse_json(text: str) -> ast.Node:
    try:
        doc = json.loads(text)
    except ValueError as exc:
        raise FilterError(Message("error.filter.json", detail=str(exc))) from None
    # Imported at the first JSON filter, not at start: its module imports dateparser (0.1 s).
    from pygeofilter.parsers import cql2_json

    try:
        return cql2_json.parse(_normalise_json(doc))
    except FilterError:
        raise
    except (ValueError, TypeError, KeyError, IndexError, AttributeError):
        raise FilterError(Message("error.filter.json_expr", got=_short(text))) from None


def _normalise_json(node: Any, depth: int = 0) -> Any:
    """CQL2 JSON as pygeofilter 0.3.1 reads it: ``between`` with its bounds as a pair and
    ``{"bbox": […]}`` as a polygon (both crash its parser in the standard's form)."""
    if depth > MAX_DEPTH:
        raise FilterError(Message("error.filter.too_deep", max=MAX_DEPTH))
    if isinstance(node, list):
        return [_normalise_json(n, depth + 1) for n in node]
    if not isinstance(node, dict):
        return node
    if set(node) == {"bbox"} and isinstance(node["bbox"], list):
        return _bbox_polygon(node["bbox"]).geometry
    out = {k: _normalise_json(v, depth + 1) for k, v in node.items()}
    if out.get("op") == "between" and isinstance(out.get("args"), list) and len(out["args"]) == 3:
        a, lo, hi = out["args"]
        out["args"] = [a, [lo, hi]]
    bad_not = out.get("op") == "not" and isinstance(out.get("args"), list) and len(out["args"]) != 1
    args = out.get("args")
    bad_in = out.get("op") == "in" and not (isinstance(args, list) and len(args) == 2 and isinstance(args[1], list))
    if bad_not or bad_in:
        raise FilterError(Message("error.filter.json_expr", got=_short(json.dumps(node, ensure_ascii=False))))
    return out


def _short(text: str, n: int = 80) -> str:
    return text if len(text) <= n else text[: n - 1] + "…"


# --------------------------------------------------------------------------- checking


def compile_filter(
    text: str,
    properties: Mapping[str, str],
    collection_id: str,
    lang: str = "cql2-text",
    crs: ServedCrs | None = None,
) -> Filter:
    """:func:`parse` then :func:`check`: the filter ``text`` for a collection whose queryable
    ``properties`` map names to types (string / integer / number / boolean)."""
    return check(parse(text, lang), properties, collection_id, crs)


def check(node: ast.Node, properties: Mapping[str, str], collection_id: str, crs: ServedCrs | None = None) -> Filter:
    """The filter as a checked tree (raises :class:`FilterError` naming what is wrong).

    Nodes: ``("and" | "or", children)``, ``("not", child)``, ``("cmp", op, a, b)``,
    ``("between", a, low, high, negated)``, ``("like", a, regex_pattern, sql_pattern, negated)``,
    ``("in", a, items, negated)``, ``("null", a, negated)``, ``("spatial", op, wkb)``
    (the feature geometry ``op`` the literal, in CRS84) and ``("const", bool)``; ``a``, ``b`` …
    are :class:`Prop` or :class:`Lit`.

    >>> check(parse("gso_code IN ('23281', '23284')"), {"gso_code": "string"}, "communes").tree
    ('in', Prop(name='gso_code', type='string'), (Lit(value='23281', type='string'), \
Lit(value='23284', type='string')), False)
    >>> check(parse("area_km2 = 'big'"), {"area_km2": "number"}, "communes")
    Traceback (most recent call last):
    ...
    geo.ogc.cql2.FilterError: filter: cannot compare 'area_km2' (a number) with 'big' (a text)
    >>> check(parse("nope = 1"), {"area_km2": "number"}, "communes")
    Traceback (most recent call last):
    ...
    geo.ogc.cql2.FilterError: filter: 'nope' is not a queryable property of collection 'communes' \
(they are listed at /ogc/collections/communes/queryables)
    """
    return Filter(_Checker(properties, collection_id, crs).condition(node, 0))


class _Checker:
    """Walks pygeofilter's AST into the checked tree."""

    def __init__(self, properties: Mapping[str, str], collection_id: str, crs: ServedCrs | None):
        self.properties, self.collection, self.crs = properties, collection_id, crs

    def condition(self, node: Any, depth: int) -> tuple:
        if depth > MAX_DEPTH:
            raise FilterError(Message("error.filter.too_deep", max=MAX_DEPTH))
        if isinstance(node, (ast.And, ast.Or)):
            kind = "and" if isinstance(node, ast.And) else "or"
            return (kind, tuple(self.condition(n, depth + 1) for n in _chain(node, type(node))))
        if isinstance(node, ast.Not):
            return ("not", self.condition(node.sub_node, depth + 1))
        if isinstance(node, ast.Include):
            return ("const", not node.not_)
        if isinstance(node, bool):  # a boolean literal is a condition (CQL2 JSON: true)
            return ("const", node)
        if type(node) in COMPARISONS:
            return self.comparison(COMPARISONS[type(node)], node.lhs, node.rhs)
        if isinstance(node, ast.Between):
            return self.between(node)
        if isinstance(node, ast.Like):
            return self.like(node)
        if isinstance(node, ast.In):
            a = self.operand(node.lhs)
            items = tuple(self.comparable(a, self.operand(v))[1] for v in node.sub_nodes)
            return ("in", a, items, bool(node.not_))
        if isinstance(node, ast.IsNull):
            return ("null", self.operand(node.lhs, geometry_ok=True), bool(node.not_))
        if type(node) in SPATIAL:
            return self.spatial(SPATIAL[type(node)], node.lhs, node.rhs)
        if isinstance(node, (ast.TemporalPredicate, _Temporal)):
            raise FilterError(Message("error.filter.temporal", what=_describe(node)))
        if isinstance(node, (ast.Attribute, values.Geometry, str, int, float, bool)) or node is None:
            raise FilterError(Message("error.filter.not_condition", what=_describe(node)))
        raise FilterError(Message("error.filter.unsupported", what=_describe(node)))

    def operand(self, node: Any, geometry_ok: bool = False) -> Prop | Lit:
        if isinstance(node, ast.Attribute):
            name = str(node.name)
            if name == GEOMETRY:
                if geometry_ok:
                    return Prop(name, "geometry")
                raise FilterError(Message("error.filter.geometry_value", what=repr(name)))
            if name not in self.properties:
                raise FilterError(Message("error.filter.unknown_property", name=name, collection=self.collection))
            return Prop(name, self.properties[name])
        if isinstance(node, bool):
            return Lit(node, "boolean")
        if isinstance(node, (int, float)):
            if not math.isfinite(node):
                raise FilterError(Message("error.filter.not_finite", got=repr(node)))
            return Lit(float(node), "number")
        if isinstance(node, str):
            return Lit(node, "string")
        if isinstance(node, (_Temporal, dt.date, dt.datetime, dt.timedelta, values.Interval)):
            raise FilterError(Message("error.filter.temporal", what=_describe(node)))
        if isinstance(node, (values.Geometry, values.Envelope)):
            raise FilterError(Message("error.filter.geometry_value", what=_describe(node)))
        raise FilterError(Message("error.filter.unsupported", what=_describe(node)))

    def comparable(self, a: Prop | Lit, b: Prop | Lit) -> tuple[Prop | Lit, Prop | Lit]:
        """``a`` and ``b`` if they can be compared (a 0 or 1 beside a boolean property is
        FALSE or TRUE: GDAL writes booleans so), else a :class:`FilterError`."""
        a, b = _as_boolean(a, b), _as_boolean(b, a)
        if _KIND.get(a.type) != _KIND.get(b.type):
            raise FilterError(
                Message("error.filter.types", left=_show(a), ltype=_type(a.type), right=_show(b), rtype=_type(b.type))
            )
        return a, b

    def comparison(self, op: str, lhs: Any, rhs: Any) -> tuple:
        a, b = self.comparable(self.operand(lhs), self.operand(rhs))
        return ("cmp", op, a, b)

    def between(self, node: ast.Between) -> tuple:
        a, lo, hi = self.operand(node.lhs), self.operand(node.low), self.operand(node.high)
        for x in (a, lo, hi):
            if _KIND.get(x.type) != "number":
                raise FilterError(Message("error.filter.between_type", what=_show(x), type=_type(x.type)))
        return ("between", a, lo, hi, bool(node.not_))

    def like(self, node: ast.Like) -> tuple:
        a = self.operand(node.lhs)
        if a.type != "string":
            raise FilterError(Message("error.filter.like_type", what=_show(a), type=_type(a.type)))
        pattern = str(node.pattern)
        return ("like", a, like_regex(pattern), pattern, bool(node.not_))

    def spatial(self, op: str, lhs: Any, rhs: Any) -> tuple:
        name = op.upper()
        if _is_geometry_property(lhs) and isinstance(rhs, values.Geometry):
            literal = rhs
        elif _is_geometry_property(rhs) and isinstance(lhs, values.Geometry):
            literal, op = lhs, SWAPPED.get(op, op)
        else:
            if isinstance(lhs, ast.Attribute) and not _is_geometry_property(lhs):
                self.operand(lhs)  # an unknown property is named as such
            raise FilterError(Message("error.filter.spatial_args", op=f"S_{name}", geometry=GEOMETRY))
        return ("spatial", op, shapely.to_wkb(self.geometry(literal)))

    def geometry(self, literal: values.Geometry) -> shapely.Geometry:
        try:
            geom = shapely.geometry.shape(literal.geometry)
        except (ValueError, TypeError, KeyError, IndexError, AttributeError, shapely.errors.ShapelyError) as exc:
            wkt = _short(json.dumps(literal.geometry, ensure_ascii=False, default=str))
            raise FilterError(Message("error.filter.geometry_invalid", wkt=wkt, reason=str(exc))) from None
        if geom.is_empty:
            raise FilterError(Message("error.filter.geometry_empty"))
        coords = shapely.get_coordinates(geom)
        if not np.isfinite(coords).all():
            raise FilterError(Message("error.filter.not_finite", got=_short(geom.wkt)))
        if self.crs is not None and not self.crs.is_crs84:
            geom = _to_crs84(geom, self.crs)
        x0, y0, x1, y1 = geom.bounds  # longitude and latitude have a range: POINT(500 500) is no place
        if x0 < -180 or x1 > 180 or y0 < -90 or y1 > 90:
            crs = self.crs if self.crs is not None else CRS84_SERVED
            raise FilterError(Message("error.filter.geometry_crs", crs=crs.name))
        if not shapely.is_valid(geom):
            raise FilterError(
                Message("error.filter.geometry_invalid", wkt=_short(geom.wkt), reason=shapely.is_valid_reason(geom))
            )
        return geom


def _as_boolean(x: Prop | Lit, other: Prop | Lit) -> Prop | Lit:
    """The number literal 0 or 1 as FALSE or TRUE when ``other`` is a boolean property."""
    if isinstance(x, Lit) and x.type == "number" and isinstance(other, Prop) and other.type == "boolean":
        if x.value in (0.0, 1.0):
            return Lit(bool(x.value), "boolean")
    return x


def _chain(node: ast.Node, cls: type) -> list:
    """The operands of a chain of ``cls`` (And / Or), flattened without recursion."""
    out, stack = [], [node]
    while stack:
        n = stack.pop()
        if type(n) is cls:
            stack.extend([n.rhs, n.lhs])
        else:
            out.append(n)
    return out


def _is_geometry_property(node: Any) -> bool:
    return isinstance(node, ast.Attribute) and str(node.name) == GEOMETRY


def _describe(node: Any) -> str:
    if isinstance(node, ast.Attribute):
        return repr(str(node.name))
    if isinstance(node, _Temporal):
        return node.text
    if isinstance(node, ast.Function):
        return f"{str(node.name).upper()}(…)"
    if isinstance(node, ast.Arithmetic):
        return node.op.value
    if isinstance(node, (ast.TemporalPredicate, ast.ArrayPredicate, ast.SpatialDistancePredicate)):
        return type(node).__name__
    if isinstance(node, values.Geometry):
        return str(node.geometry.get("type", "geometry")).upper()
    if isinstance(node, (dt.date, dt.datetime, dt.timedelta, values.Interval)):
        return str(node)
    if isinstance(node, ast.Node):
        return type(node).__name__
    return repr(node)


def _show(x: Prop | Lit) -> str:
    if isinstance(x, Prop):
        return repr(x.name)
    v = x.value
    if x.type == "number" and float(v).is_integer():
        v = int(v)
    return repr(v)


def _type(ptype: str) -> Message:
    return Message(f"error.filter.type.{ptype}")


@functools.lru_cache(maxsize=16)
def _transformer(source: str) -> pyproj.Transformer:
    # Authority axis order (EPSG:4326 is latitude, longitude), as the filter's coordinates.
    return pyproj.Transformer.from_crs(source, "OGC:CRS84", always_xy=False)


def _to_crs84(geom: shapely.Geometry, crs: ServedCrs) -> shapely.Geometry:
    """A geometry literal in ``crs`` (its axis order) as CRS84, its edges densified first
    (a box in UTM is curved in degrees)."""
    t = _transformer(crs.srs)
    span = max(geom.bounds[2] - geom.bounds[0], geom.bounds[3] - geom.bounds[1])
    if span > 0 and geom.geom_type not in ("Point", "MultiPoint"):
        geom = shapely.segmentize(geom, span / 32)
    moved = shapely.transform(geom, lambda xy: np.column_stack(t.transform(xy[:, 0], xy[:, 1])))
    if not np.isfinite(shapely.get_coordinates(moved)).all():
        raise FilterError(Message("error.filter.geometry_crs", crs=crs.name))
    return moved


def like_regex(pattern: str) -> str:
    r"""The regular expression of a CQL2 LIKE pattern (``%`` any characters, ``_`` one,
    ``\`` escapes the next character), for a whole-string match.

    >>> like_regex("Xã Đắk%"), like_regex("a\\%_")
    ('Xã\\ Đắk.*', 'a%.')
    """
    out, i = [], 0
    while i < len(pattern):
        ch = pattern[i]
        if ch == "\\":
            if i + 1 >= len(pattern):
                raise FilterError(Message("error.filter.like_escape", pattern=pattern))
            out.append(re.escape(pattern[i + 1]))
            i += 2
            continue
        out.append(".*" if ch == "%" else "." if ch == "_" else re.escape(ch))
        i += 1
    return "".join(out)


# --------------------------------------------------------------------------- evaluation (embedded)


def mask(f: Filter, frame: pd.DataFrame, geoms: np.ndarray) -> np.ndarray:
    """The rows of ``frame`` (geometries ``geoms``, CRS84) the filter selects (unknown: not selected)."""
    out = _Evaluator(frame, geoms).condition(f.tree)
    return out.fillna(False).to_numpy(dtype=bool)


class _Evaluator:
    """Three-valued evaluation of a checked tree over a frame (pandas' nullable booleans)."""

    def __init__(self, frame: pd.DataFrame, geoms: np.ndarray):
        self.frame, self.geoms, self.n = frame, geoms, len(frame)

    def condition(self, node: tuple) -> pd.Series:
        kind = node[0]
        if kind in ("and", "or"):
            parts = [self.condition(n) for n in node[1]]
            out = parts[0]
            for p in parts[1:]:
                out = (out & p) if kind == "and" else (out | p)
            return out
        if kind == "not":
            return ~self.condition(node[1])
        if kind == "const":
            return self.const(node[1])
        if kind == "cmp":
            _, op, a, b = node
            return self.compare(op, a, b)
        if kind == "between":
            _, a, lo, hi, negated = node
            out = self.compare(">=", a, lo) & self.compare("<=", a, hi)
            return ~out if negated else out
        if kind == "like":
            _, a, regex, _, negated = node
            out = self.values(a).str.fullmatch(regex, flags=re.DOTALL).astype("boolean")
            return ~out if negated else out
        if kind == "in":
            _, a, items, negated = node
            out = self.const(False)
            for item in items:
                out = out | self.compare("=", a, item)
            return ~out if negated else out
        if kind == "null":
            _, a, negated = node
            if isinstance(a, Prop) and a.type == "geometry":
                missing = pd.Series(np.array([g is None or g.is_empty for g in self.geoms], dtype=bool))
            else:
                missing = self.values(a).isna()
            return self.bools(~missing if negated else missing)
        if kind == "spatial":
            _, op, wkb = node
            return self.spatial(op, shapely.from_wkb(wkb))
        raise ValueError(f"unknown filter node {kind!r}")  # check() makes no other

    def const(self, value: bool) -> pd.Series:
        return pd.Series(pd.array([value] * self.n, dtype="boolean"))

    def bools(self, values: Any) -> pd.Series:
        return pd.Series(values).reset_index(drop=True).astype("boolean")

    def values(self, x: Prop | Lit) -> pd.Series:
        if isinstance(x, Lit):
            return self.literal(x)
        col = self.frame[x.name].reset_index(drop=True)
        if x.type in ("integer", "number"):
            return pd.Series(pd.to_numeric(col.astype(object), errors="coerce"), dtype="Float64")
        if x.type == "boolean":
            return col.astype(object).map(lambda v: None if _missing(v) else bool(v)).astype("boolean")
        return col.astype(object).map(lambda v: None if _missing(v) else str(v)).astype("string")

    def literal(self, x: Lit) -> pd.Series:
        dtype = {"number": "Float64", "boolean": "boolean"}.get(x.type, "string")
        return pd.Series(pd.array([x.value] * self.n, dtype=dtype))

    def compare(self, op: str, a: Prop | Lit, b: Prop | Lit) -> pd.Series:
        if isinstance(a, Lit) and isinstance(b, Lit):
            return self.const(bool(_OPS[op](a.value, b.value)))
        left = self.values(a)
        right = b.value if isinstance(b, Lit) else self.values(b)
        return self.bools(_OPS[op](left, right))

    def spatial(self, op: str, geom: shapely.Geometry) -> pd.Series:
        present = np.array([g is not None and not g.is_empty for g in self.geoms], dtype=bool)
        hit = np.zeros(self.n, dtype=bool)
        if present.any():
            hit[present] = getattr(shapely, op)(self.geoms[present], geom)
        out = pd.array(hit, dtype="boolean")
        out[~present] = pd.NA
        return pd.Series(out)


def _missing(v: Any) -> bool:
    if v is None or v is pd.NA or v is pd.NaT:
        return True
    return isinstance(v, float) and math.isnan(v)


# --------------------------------------------------------------------------- SQL (PostGIS)


def to_sql(f: Filter, prop_sql: Callable[[str, str, Callable[[Any], str]], str], geometry_sql: str) -> tuple[str, dict]:
    """The filter as a SQL condition and its parameters (``%(cql0)s`` …, psycopg's style).

    ``prop_sql(name, type, bind)`` is the SQL of a property's value (typed: double
    precision for numbers, boolean, text); ``bind(value)`` adds a parameter and
    returns its placeholder.  ``geometry_sql`` is the feature geometry (EPSG:4326).
    Every literal, pattern and geometry is a parameter.
    """
    w = _SqlWriter(prop_sql, geometry_sql)
    return w.condition(f.tree), w.params


class _SqlWriter:
    CASTS: ClassVar[dict[str, str]] = {
        "number": "double precision",
        "integer": "double precision",
        "boolean": "boolean",
        "string": "text",
    }

    def __init__(self, prop_sql: Callable[[str, str, Callable[[Any], str]], str], geometry_sql: str):
        self.prop_sql, self.geometry_sql, self.params = prop_sql, geometry_sql, {}

    def param(self, value: Any, cast: str | None = None) -> str:
        name = f"cql{len(self.params)}"
        self.params[name] = value
        return f"%({name})s" + (f"::{cast}" if cast else "")

    def value(self, x: Prop | Lit, text_order: bool = False) -> str:
        if isinstance(x, Lit):
            sql = self.param(x.value, self.CASTS[x.type])
        else:
            sql = self.prop_sql(x.name, x.type, self.param)
        if text_order and x.type == "string":  # byte order of UTF-8 = code point order (as Python)
            sql = f'({sql}) COLLATE "C"'
        return sql

    def condition(self, node: tuple) -> str:
        kind = node[0]
        if kind in ("and", "or"):
            return "(" + f" {kind.upper()} ".join(self.condition(n) for n in node[1]) + ")"
        if kind == "not":
            return f"(NOT {self.condition(node[1])})"
        if kind == "const":
            return "TRUE" if node[1] else "FALSE"
        if kind == "cmp":
            _, op, a, b = node
            order = op not in ("=", "<>")
            return f"({self.value(a, order)} {op} {self.value(b, order)})"
        if kind == "between":
            _, a, lo, hi, negated = node
            sql = f"({self.value(a)} BETWEEN {self.value(lo)} AND {self.value(hi)})"
            return f"(NOT {sql})" if negated else sql
        if kind == "like":
            _, a, _, pattern, negated = node
            sql = f"({self.value(a)} LIKE {self.param(pattern, 'text')})"
            return f"(NOT {sql})" if negated else sql
        if kind == "in":
            _, a, items, negated = node
            sql = f"({self.value(a)} IN ({', '.join(self.value(i) for i in items)}))"
            return f"(NOT {sql})" if negated else sql
        if kind == "null":
            _, a, negated = node
            target = self.geometry_sql if isinstance(a, Prop) and a.type == "geometry" else self.value(a)
            return f"({target} IS {'NOT ' if negated else ''}NULL)"
        if kind == "spatial":
            _, op, wkb = node
            fn = "ST_" + op.capitalize()
            return f"{fn}({self.geometry_sql}, ST_GeomFromWKB({self.param(wkb)}, 4326))"
        raise ValueError(f"unknown filter node {kind!r}")  # check() makes no other
