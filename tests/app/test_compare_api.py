"""Comparing two years on the server: /workbench/change.json (geo/analysis/change.py).

The change of every unit is the library's value of the later year minus the earlier one
on the real data (102 communes, 40 communes of 2025, 10 districts); a pair of years across
two poverty standards is refused, naming both, in the reader's language.
"""

from __future__ import annotations

import math

import pytest

MULTI_2016 = "2016-2020 multidimensional (QĐ 59/2015/QĐ-TTg)"


@pytest.fixture(scope="module")
def client(gpkg, backend_config):
    from app import create_app

    return create_app({**backend_config, "TESTING": True}).test_client()


@pytest.fixture(scope="module")
def obs(gpkg):
    from geo.io import storage

    return storage.read_layer("observations", gpkg)


def _get(client, query, **headers):
    return client.get("/workbench/change.json?" + query, headers=headers)


@pytest.mark.parametrize("level, n", [("commune", 102), ("commune_2025", 40), ("district", 10)])
def test_change_is_the_later_value_minus_the_earlier(client, obs, level, n):
    from geo.indicators import values

    r = _get(client, f"indicator=poor_rate&level={level}&from=2016&to=2020&lang=en")
    assert r.status_code == 200, r.get_json()
    body = r.get_json()
    a = values.values(obs, "poor_rate", level, 2016).set_index("gso_code")["value"]
    b = values.values(obs, "poor_rate", level, 2020).set_index("gso_code")["value"]
    assert len(body["features"]) == n == len(a) == len(b)
    for f in body["features"]:
        assert math.isclose(f["change"], b[f["id"]] - a[f["id"]], abs_tol=1e-6), f
        assert f["from"] == pytest.approx(a[f["id"]]) and f["to"] == pytest.approx(b[f["id"]])
    assert body["standard"] == "Multidimensional 2016–2020 (QĐ 59/2015/QĐ-TTg)"
    assert body["change_unit"] == "pp" and body["synthetic"] is True
    # diverging classes symmetric around 0, every unit in one of them
    uppers = [e["upper"] for e in body["legend"]]
    assert len(uppers) == 5 and uppers[1] == -uppers[2] and uppers[0] == -uppers[3]
    assert sum(e["count"] for e in body["legend"]) == n
    assert body["legend"][2]["color"] == "#f7f7f7"  # the middle class: about no change
    s = body["summary"]
    assert s["down"] + s["up"] + s["same"] == n
    assert s["down"] == int(sum(round(b[c] - a[c], 1) < 0 for c in a.index))


def test_a_pair_across_two_standards_is_refused_naming_both(client, obs):
    from geo.indicators import values

    # the districts' 2021 rates are under NĐ 07/2021, their 2020 rates under QĐ 59/2015
    assert values.one_standard(values.values(obs, "poor_rate", "district", 2021)).startswith("2022-2025")
    r = _get(client, "indicator=poor_rate&level=district&from=2020&to=2021")
    assert r.status_code == 400
    vi = r.get_json()["description"]
    assert "Đa chiều 2016–2020 (QĐ 59/2015/QĐ-TTg)" in vi and "Đa chiều 2022–2025 (NĐ 07/2021/NĐ-CP)" in vi
    assert "không so sánh được" in vi
    en = _get(client, "indicator=poor_rate&level=district&from=2020&to=2021", **{"Accept-Language": "en"})
    text = en.get_json()["description"]
    assert "Multidimensional 2016–2020" in text and "Multidimensional 2022–2025" in text and "not comparable" in text


@pytest.mark.parametrize(
    "query, vi, en",
    [
        ("from=2016&to=2016", "hai năm phải khác nhau", "the two years must differ"),
        ("from=20x&to=2020", "from phải là năm", "from must be a year"),
        ("to=2020", "thiếu tham số from", "missing parameter from"),
        ("from=2016&to=2030", "không có số liệu năm 2030", "has no value in 2030"),
        ("from=2016&to=2020&level=province", "level không hỗ trợ 'province'", "unknown level 'province'"),
        ("from=2016&to=2020&indicator=p135_2016", "indicator không hỗ trợ 'p135_2016'", "unknown indicator"),
        ("from=2016&to=2020&color=red", "tham số không hỗ trợ 'color'", "unknown parameter 'color'"),
    ],
)
def test_bad_questions_are_a_clear_400_in_both_languages(client, query, vi, en):
    r = _get(client, query)
    assert r.status_code == 400 and vi in r.get_json()["description"]
    r = _get(client, query + "&lang=en")
    assert r.status_code == 400 and en in r.get_json()["description"]


def test_the_library_refuses_the_same_pair(obs):
    from geo.analysis import change

    with pytest.raises(change.ChangeError) as info:
        change.change(obs, "poor_rate", "district", 2020, 2021)
    assert info.value.standards == (MULTI_2016, "2022-2025 (NĐ 07/2021/NĐ-CP)")
    assert "2020 (2016-2020 multidimensional" in str(info.value) and "2021 (2022-2025" in str(info.value)
    ok = change.change(obs, "near_poor_rate", "commune", 2015, 2020)
    assert len(ok.table) == 102 and ok.standard == MULTI_2016 and ok.table["change"].notna().all()
