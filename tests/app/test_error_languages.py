"""Every API refusal is a message of geo/messages.toml (issue #14): Vietnamese by default,
English on ``Accept-Language: en`` or ``?lang=en``; and no route of ``app/`` refuses with a
plain English string (an AST scan of the package)."""

from __future__ import annotations

import ast
import tomllib
from pathlib import Path

import pytest

from geo.allocation.rules import RULES_DIR

APP = Path(__file__).resolve().parents[2] / "app"
REFUSALS = {"bad_request", "not_found", "ApiError"}
EN = {"Accept-Language": "en"}


@pytest.fixture(scope="module")
def client(gpkg, backend_config):
    from app import create_app

    return create_app({"GEO_GPKG": str(gpkg), "TESTING": True, **backend_config}).test_client()


def _called(node: ast.Call) -> str:
    func = node.func
    return func.id if isinstance(func, ast.Name) else func.attr if isinstance(func, ast.Attribute) else ""


def _plain_text(arg: ast.expr, refusal: str) -> bool:
    """A literal, an f-string, text built with ``+``/``%``/``.format`` — or (for
    bad_request/not_found) ``str(exc)``, which drops the message an error carries."""
    if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
        return True
    if isinstance(arg, (ast.JoinedStr, ast.BinOp)):
        return True
    if isinstance(arg, ast.Call):
        name = _called(arg)
        return name == "format" or (name == "str" and refusal != "ApiError")
    return False


def plain_refusals(source: str, filename: str = "<src>") -> list[str]:
    """``file:line refusal`` of every refusal in ``source`` whose message is plain text."""
    found = []
    for node in ast.walk(ast.parse(source, filename)):
        if isinstance(node, ast.Call) and _called(node) in REFUSALS and node.args:
            if _plain_text(node.args[0], _called(node)):
                found.append(f"{filename}:{node.lineno} {_called(node)}")
    return found


def test_the_scan_finds_plain_text_and_passes_messages():
    bad = """
raise bad_request("codes: an id is given twice")
raise not_found(f"unknown layer {x!r}")
raise bad_request(str(exc)) from None
raise errors.bad_request("a" + b)
raise ApiError(f"the data are not available ({exc})", 503)
raise bad_request(MESSAGES["x"].format(got=1))
"""
    assert [f.split()[1] for f in plain_refusals(bad)] == [
        "bad_request",
        "not_found",
        "bad_request",
        "bad_request",
        "ApiError",
        "bad_request",
    ]
    good = """
raise bad_request(Message("error.workbench.codes_twice"))
raise not_found(M("error.workbench.unknown_layer", got=x, layers=y))
raise bad_request(exc) from None
raise ApiError(str(exc), 503, "ServiceUnavailable")
"""
    assert plain_refusals(good) == []


def test_no_app_module_refuses_with_plain_text():
    found = [hit for path in sorted(APP.glob("*.py")) for hit in plain_refusals(path.read_text(), path.name)]
    assert found == [], "refusals not in geo/messages.toml: " + ", ".join(found)


CASES = [
    (
        "workbench",
        "get",
        "/layers/poor_rate/download?f=csv&codes=23538,23538",
        {},
        "codes: có mã được nhập hai lần",
        "codes: an id is given twice",
    ),
    (
        "print",
        "get",
        "/profiles.pdf?level=district&border=1",
        {},
        "border: liệt kê các xã biên giới; hãy dùng với level=commune",
        "border: lists border communes; use it with level=commune",
    ),
    (
        "print sheet",
        "get",
        "/print?layer=poor_rate&dpi=5",
        {},
        "dpi: cần một số nguyên từ 72 đến 300, nhận được '5'",
        "dpi: expected a whole number from 72 to 300, got '5'",
    ),
    (
        "ogc",
        "get",
        "/ogc/collections/communes/items?limit=5&limit=6",
        {},
        "tham số truy vấn 'limit' được nhập 2 lần; chỉ nhập một lần",
        "query parameter 'limit' given 2 times; give it once",
    ),
    (
        "raster",
        "get",
        "/raster/indicator.tif?indicator=poor_rate&year=2020&classes=1",
        {},
        "classes phải nằm trong khoảng 2 đến 9 (nhận được 1)",
        "classes must be between 2 and 9 (got 1)",
    ),
    (
        "raster upload",
        "post",
        "/raster/zonal",
        {"data": {}, "content_type": "multipart/form-data"},
        "hãy tải lên một tệp GeoTIFF dạng multipart/form-data trong trường 'file'",
        "upload a GeoTIFF as multipart/form-data in the field 'file'",
    ),
]


@pytest.mark.parametrize("what, method, url, kw, vi, en", CASES, ids=[c[0] for c in CASES])
def test_a_refusal_in_the_readers_language(client, what, method, url, kw, vi, en):
    call = getattr(client, method)
    default, english = call(url, **kw), call(url, headers=EN, **kw)
    assert default.status_code == english.status_code == 400
    assert (default.get_json()["description"], english.get_json()["description"]) == (vi, en)


def test_an_edited_rule_is_refused_in_the_readers_language(client):
    rule = tomllib.loads((RULES_DIR / "tmr_kp_2020_minh_hoa.toml").read_text(encoding="utf-8"))
    rule["period"] = "2020-2016"
    body = {"rule": rule, "envelope": 40744, "year": 2020}
    vi = client.post("/allocations", json=body).get_json()["description"]
    en = client.post("/allocations?lang=en", json=body).get_json()["description"]
    assert (vi, en) == (
        "rule: period: năm kết thúc trước năm bắt đầu: '2020-2016'",
        "rule: period: ends before it starts: '2020-2016'",
    )


def test_an_unknown_unit_profile_is_a_404_in_the_readers_language(client):
    url = "/communes/99999/profile.pdf"
    vi, en = client.get(url), client.get(url, headers=EN)
    assert vi.status_code == en.status_code == 404
    assert (vi.get_json()["description"], en.get_json()["description"]) == (
        "code: không có đơn vị cấp commune nào mang mã GSO 99999",
        "code: no commune with GSO code 99999",
    )
