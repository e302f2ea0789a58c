"""Profile PDFs over HTTP: one unit, a batch, the ranking (f=profiles); clear 400/404."""

from __future__ import annotations

import pytest
from fixtures.printed import flat, pdf_text


@pytest.fixture(scope="module")
def client(gpkg, backend_config):
    from app import create_app

    return create_app({"GEO_GPKG": str(gpkg), "TESTING": True, **backend_config}).test_client()


def test_one_commune_and_a_district(client):
    r = client.get("/communes/23368/profile.pdf")
    assert r.status_code == 200 and r.mimetype == "application/pdf"
    assert r.headers["Content-Disposition"] == 'inline; filename="profile_commune_23368_vi.pdf"'
    assert "Xã Đắk Long" in flat(pdf_text(r.data))
    r = client.get("/districts/617/profile.pdf?lang=en")
    assert r.status_code == 200 and "DISTRICT PROFILE" in flat(pdf_text(r.data))


def test_ranking_as_profiles_one_profile_per_ranked_unit(client):
    r = client.get("/targets?near=border&top=3&f=profiles")
    assert r.status_code == 200 and r.mimetype == "application/pdf"
    text = flat(pdf_text(r.data))
    assert all(f"Hồ sơ {i}/3" in text for i in (1, 2, 3)) and "Hồ sơ 4/3" not in text


@pytest.mark.parametrize(
    "url, status, words",
    [
        ("/communes/99999/profile.pdf", 404, "no commune with GSO code 99999"),
        ("/communes/12/profile.pdf", 400, "malformed commune code '12'"),
        ("/districts/617/profile.pdf?lang=fr", 400, "lang: expected one of vi, en"),
        ("/profiles.pdf", 400, "codes: give unit codes"),
        ("/profiles.pdf?level=district&border=1", 400, "border: lists border communes"),
    ],
)
def test_bad_requests(client, url, status, words):
    r = client.get(url, headers={"Accept-Language": "en"})  # errors default to Vietnamese
    assert r.status_code == status and words in r.get_json()["description"]
