"""Cross-cutting checks of the assembled app (headers, blueprints, page wiring)."""

import pytest

from app import create_app


@pytest.fixture(scope="module")
def client(gpkg):
    return create_app({"TESTING": True}).test_client()


def test_all_blueprints_registered(client):
    names = set(client.application.blueprints)
    assert {"errors", "map_page", "ogc", "targets", "raster", "uploads"} <= names


@pytest.mark.parametrize(
    "url,ctype",
    [
        ("/targets?indicator=poor_rate&year=2020&near=border&within_km=0&f=csv", "text/csv; charset=utf-8"),
        ("/ogc/collections/districts/items?f=csv", "text/csv; charset=utf-8"),
    ],
)
def test_download_content_type_is_not_duplicated(client, url, ctype):
    resp = client.get(url)
    assert resp.status_code == 200
    assert resp.headers["Content-Type"] == ctype
    assert "attachment" in resp.headers["Content-Disposition"]


def test_poorest_border_communes_without_geometry_is_small(client):
    resp = client.get("/targets?indicator=poor_rate&year=2020&near=border&within_km=0&top=10&geometry=none")
    assert resp.status_code == 200
    body = resp.get_json()
    assert body["count"] == 10 or len(body["features"]) == 10
    assert all(f["geometry"] is None for f in body["features"])
    assert all(f["properties"]["on_border"] for f in body["features"])
    assert len(resp.data) < 40_000


def test_unknown_route_is_json_404(client):
    resp = client.get("/no/such/page")
    assert resp.status_code == 404 and resp.get_json()["status"] == 404


def test_double_slash_is_404_not_redirect(client):
    resp = client.get("/ogc/collections/0//items/x")
    assert resp.status_code == 404 and resp.get_json()["status"] == 404


def test_remoteness_ranks_in_targets_and_draws_on_the_map(client):
    """Undated derived indicators (remoteness) are usable by /targets and layers."""
    resp = client.get(
        "/targets?weights=poor_rate:0.7,remoteness_road_mean_km:0.3&year=2020"
        "&near=border&within_km=0&top=13&geometry=none"
    )
    assert resp.status_code == 200, resp.get_json()
    feats = resp.get_json()["features"]
    assert len(feats) == 13
    assert all(f["properties"]["remoteness_road_mean_km"] >= 0 for f in feats)
    layer = client.get("/layers/remoteness_road.geojson").get_json()
    assert len(layer["features"]) == 102 and layer["layer"]["synthetic"] is False


def test_warm_up_urls_answer(client):
    from app.__main__ import WARM_URLS, layer_urls

    urls = (*WARM_URLS, *layer_urls())
    assert any("poor_rate" in u and "geometry=none" in u for u in urls)
    for url in urls:
        assert client.get(url).status_code == 200, url


def test_repeated_targets_answers_come_from_the_cache_until_the_data_change(gpkg, tmp_path):
    import os
    import shutil

    from app import targets as targets_module

    path = tmp_path / "k.gpkg"
    shutil.copy(gpkg, path)
    client = create_app({"TESTING": True, "GEO_GPKG": str(path)}).test_client()
    url = "/targets?indicator=poor_rate&year=2020&near=border&within_km=0&top=10&geometry=none"
    first = client.get(url)
    from geo import cache

    def mine():
        return [v for v, k in targets_module.ANSWERS.keys() if v.source == str(path) and k[1].endswith(url[9:])]

    assert first.status_code == 200 and mine() == [cache.file_version(path)]
    second = client.get(url)
    assert second.data == first.data and second.headers["Content-Type"] == first.headers["Content-Type"]
    old = cache.file_version(path)
    os.utime(path, ns=(1, 1))  # a new data version: the old answer is not served, and dropped
    third = client.get(url)
    assert third.status_code == 200
    assert mine() == [cache.file_version(path)] and mine() != [old]
    assert client.get("/targets?indicator=nope").status_code == 400  # errors are never cached
    assert not any("indicator=nope" in k[1] for _, k in targets_module.ANSWERS.keys())


def test_answer_cache_is_bounded_by_bytes(client, monkeypatch):
    """The Kon Tum one-click answer with geometry (~570 KB) is kept; the cache never holds
    more than its byte budget, least recently used answers going first."""
    from app import targets as targets_module

    answers = targets_module.ANSWERS
    answers.clear()
    url = "/targets?indicator=poor_rate&year=2020&near=border&within_km=0&top=10"
    big = client.get(url)
    assert big.status_code == 200 and len(big.data) > 512 * 1024
    assert any(k[1].endswith(url[9:]) for _, k in answers.keys())
    monkeypatch.setattr(answers, "max_bytes", len(big.data) + 1000)
    small = [f"/targets?indicator=poor_rate&year=2020&top={n}&geometry=none" for n in (3, 4, 5)]
    sizes = [len(client.get(u).data) for u in small]
    kept = [k[1] for _, k in answers.keys()]
    assert answers.nbytes == sum(len(v[0]) for v in answers.values())
    assert answers.nbytes <= len(big.data) + 1000
    assert not any(k.endswith(url[9:]) for k in kept)  # the big one (oldest) went first
    assert min(sizes) > 1000 and all(any(k.endswith(u[9:]) for k in kept) for u in small)


def test_service_memory_tuning_runs():
    """The gunicorn entry point's malloc tuning calls succeed here (glibc) and leave
    Arrow on the system allocator, whose freed memory the trim can return."""
    import pyarrow

    from app.serving import limit_malloc_arenas, trim_heap

    limit_malloc_arenas()
    assert trim_heap()
    assert pyarrow.default_memory_pool().backend_name == "system"
