"""GET /print: finished map sheets (PDF, PNG) with the web map's classes; clear 400s; bounded."""

from __future__ import annotations

import pytest
from fixtures.printed import colour_counts, flat, has_colour, pdf_text, png_image

from geo.maplayers import layerspec
from geo.printing import mapsheet


@pytest.fixture(scope="module")
def app(gpkg):
    from app import create_app

    return create_app({"TESTING": True})


@pytest.fixture(scope="module")
def client(app):
    return app.test_client()


@pytest.fixture(scope="module")
def pdf_resp(client):
    resp = client.get("/print?layer=poor_rate&year=2020")
    assert resp.status_code == 200, resp.get_data(as_text=True)
    return resp


def web_legend(client, layer_id, **params):
    resp = client.get(f"/layers/{layer_id}.geojson", query_string={"geometry": "none", **params})
    assert resp.status_code == 200, resp.get_data(as_text=True)
    return resp.get_json()["layer"]


def test_pdf_answer_with_filename(pdf_resp):
    assert pdf_resp.mimetype == "application/pdf"
    assert pdf_resp.data[:5] == b"%PDF-"
    disposition = pdf_resp.headers["Content-Disposition"]
    assert 'filename="poor_rate_2020_2016-2020-multidimensional_vi.pdf"' in disposition


def test_pdf_carries_the_web_legend(client, pdf_resp):
    text = flat(pdf_text(pdf_resp.data))
    meta = web_legend(client, "poor_rate", year=2020, lang="vi")
    assert f"{meta['title']} — 2020" in text
    for entry in meta["legend"]:
        assert f"{entry['label']} ({entry['count']})" in text
    assert meta["demo_label"] in text  # "dữ liệu minh họa / demo data"
    assert "Đắk Glei" in text


@pytest.mark.parametrize(
    "layer_id, params",
    [
        ("poor_rate", {"year": "2020"}),
        ("poor_rate", {"year": "2016", "k": "3"}),
        ("poor_rate", {"year": "2020", "breaks": "10;30;50"}),
        ("near_poor_rate", {"year": "2018", "scheme": "equal_interval"}),
        ("district_poor_rate", {"year": "2017"}),
        ("p135_2016", {}),
    ],
)
def test_same_classes_and_colours_as_the_web_map(client, gpkg, layer_id, params):
    specs = layerspec.load_layers()
    spec, opts = mapsheet.parse_options({"layer": layer_id, **params}, specs, gpkg)
    rows = mapsheet.make_legend(spec, mapsheet.load_data(spec, opts.year, gpkg), opts).rows
    web = web_legend(client, layer_id, **params)["legend"]
    assert [(r["label"], r["color"], r["count"]) for r in rows] == [(e["label"], e["color"], e["count"]) for e in web]


def test_png_in_english(client):
    resp = client.get("/print?layer=poor_rate&year=2020&format=png&lang=en&dpi=72&orientation=portrait")
    assert resp.status_code == 200 and resp.mimetype == "image/png"
    assert resp.headers["Content-Disposition"].endswith('_en.png"')
    im = png_image(resp.data)
    assert im.height > im.width
    counts = colour_counts(im)
    assert len(counts) > 200
    meta = web_legend(client, "poor_rate", year=2020, lang="en")
    assert all(has_colour(counts, e["color"], min_pixels=10) for e in meta["legend"])


@pytest.mark.parametrize(
    "query, param",
    [
        ("", "layer"),
        ("layer=nope", "layer"),
        ("layer=poor_rate&year=1999", "year"),
        ("layer=poor_rate&year=x", "year"),
        ("layer=poor_rate&level=district", "level"),
        ("layer=poor_rate&format=svg", "format"),
        ("layer=poor_rate&size=Letter", "size"),
        ("layer=poor_rate&orientation=up", "orientation"),
        ("layer=poor_rate&lang=fr", "lang"),
        ("layer=poor_rate&dpi=9000", "dpi"),
        ("layer=poor_rate&bbox=107,14", "bbox"),
        ("layer=poor_rate&bbox=100,10,101,11", "bbox"),
        ("layer=poor_rate&bbox=108,15,107,14", "bbox"),
        ("layer=poor_rate&scheme=nice", "scheme"),
        ("layer=poor_rate&k=10", "k"),
        ("layer=poor_rate&k=3&breaks=10,20", "k"),
        ("layer=poor_rate&breaks=20,10", "breaks"),
        ("layer=poor_rate&breaks=x", "breaks"),
        ("layer=p135_2016&breaks=10", "breaks"),
    ],
)
def test_bad_parameter_is_a_400_naming_it(client, query, param):
    resp = client.get("/print?" + query)
    assert resp.status_code == 400, (query, resp.status_code)
    assert resp.get_json()["error"].startswith(f"{param}: ")


def test_busy_is_503_with_retry_after(app, client):
    slots = app.extensions["print_slots"]
    assert slots.acquire(blocking=False) and slots.acquire(blocking=False)
    try:
        resp = client.get("/print?layer=border&format=png&dpi=72")
        assert resp.status_code == 503
        assert int(resp.headers["Retry-After"]) > 0
        assert "hãy thử lại sau vài giây" in resp.get_json()["error"]  # the reader's language (vi)
        en = client.get("/print?layer=border&format=png&dpi=72&lang=en")
        assert en.status_code == 503 and "try again in a few seconds" in en.get_json()["error"]
    finally:
        slots.release()
        slots.release()
    assert client.get("/print?layer=border&format=png&dpi=72").status_code == 200


def test_print_writes_no_file(client, gpkg, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    before = sorted(p.name for p in gpkg.parent.iterdir())
    assert client.get("/print?layer=works_electrification&format=png&dpi=72").status_code == 200
    assert sorted(p.name for p in gpkg.parent.iterdir()) == before
    assert list(tmp_path.iterdir()) == []


def test_missing_data_is_503(gpkg, tmp_path, monkeypatch):
    from app import create_app

    monkeypatch.setenv("GEO_GPKG", str(gpkg))  # create_app exports GEO_GPKG: restored after
    app = create_app({"TESTING": True, "GEO_GPKG": str(tmp_path / "none.gpkg")})
    resp = app.test_client().get("/print?layer=poor_rate")
    assert resp.status_code == 503 and "python -m geo build" in resp.get_json()["error"]
