"""The upload page in real Chromium at 1400×900 and 390×844, vi and en: a table committed from
the form, what that version changed (old → new), an earlier version restored (token, CSRF,
confirmation; a refusal in the page's language), boundaries uploaded from the form, links to
the map and /ogc — no text of the other language, no serious axe violation.  Screenshots in
``$KT_SHOTS`` (default: pytest's temporary folder)."""

from __future__ import annotations

import os
import zipfile

import pytest
from test_i18n_a11y import FIX, TOKEN, axe_problems, browser, foreign_text, open_page, upload_server  # noqa: F401

from geo import messages
from geo.uploads import versions


@pytest.fixture(scope="module")
def shots(tmp_path_factory):
    path = os.environ.get("KT_SHOTS") or str(tmp_path_factory.mktemp("shots"))
    os.makedirs(path, exist_ok=True)
    return path


@pytest.fixture(scope="module")
def communes_zip(tmp_path_factory, communes):
    """The 102 communes as a zipped Shapefile in VN-2000 (EPSG:9216)."""
    d = tmp_path_factory.mktemp("shp")
    gdf = communes[["gso_code", "name", "geometry"]].rename(columns={"gso_code": "MA_XA", "name": "TEN_XA"})
    gdf.to_crs(9216).to_file(d / "xa.shp", encoding="utf-8")
    path = d / "xa.zip"
    with zipfile.ZipFile(path, "w") as z:
        for ext in (".shp", ".shx", ".dbf", ".prj", ".cpg"):
            z.write(d / f"xa{ext}", f"xa{ext}")
    return path


def _submit(page, button, timeout=45_000):
    with page.expect_navigation(timeout=timeout):
        page.click(button, no_wait_after=True)


@pytest.mark.parametrize("size", ["desktop", "phone"])
@pytest.mark.parametrize("lang", ["vi", "en"])
def test_upload_page_restore_diff_boundaries_and_links(open_page, upload_server, communes_zip, lang, size, shots):  # noqa: F811
    t = messages.section("upload", lang)
    page = open_page(f"{upload_server}/upload?lang={lang}", size=size, lang=lang, ready=False)
    tag = f"{lang}_{size}"
    # links to the map and the OGC API, in the page's language
    assert page.inner_text("#nav-map") == t["nav_map"] and page.inner_text("#nav-ogc") == t["nav_ogc"]
    assert page.get_attribute("#nav-map", "href") == f"/?lang={lang}"
    # a table committed from the form: version 1
    page.set_input_files("#file", str(FIX / "review_2020_communes.csv"))
    page.fill("#year", "2020")
    page.fill("#token", TOKEN)
    _submit(page, "#submit")
    _submit(page, "#commit")
    assert page.locator("#committed").count() == 1 and versions.current_number() == 1
    # what version 1 changed, linked from the list of versions
    page.goto(f"{upload_server}/upload?lang={lang}")
    _submit(page, 'a.version-link[data-version="1"]')
    manifest = versions.get(1).manifest
    rows = page.locator("#changes tr[data-code]")
    assert rows.count() == manifest["counts"]["changed"] == len(manifest["changes"])
    row = page.locator('#changes tr[data-code="23344"][data-indicator="poor_households"]').inner_text()
    assert "→ 131" in row and t["value_status.synthetic"] in row
    assert foreign_text(page, lang) == [] and axe_problems(page) == []
    page.screenshot(path=f"{shots}/upload_version_{tag}.png", full_page=True)
    # boundaries from the form: the preview, then committed as version 2
    page.goto(f"{upload_server}/upload?lang={lang}")
    page.set_input_files("#b-file", str(communes_zip))
    _submit(page, "#b-submit")
    assert page.locator("#areas tr").count() == 103  # a heading and the 102 communes
    assert page.locator("#no-commit").count() == 0 and foreign_text(page, lang) == []
    page.screenshot(path=f"{shots}/upload_boundaries_{tag}.png")
    _submit(page, "#commit", timeout=240_000)  # a new version of the boundaries: border and areas again
    assert versions.current_number() == 2 and versions.get(2).manifest["kind"] == "boundaries"
    # restore: refused without the confirmation (the browser's own check bypassed), in the page's language
    page.goto(f"{upload_server}/upload?lang={lang}")
    assert page.eval_on_selector_all("#r-version option", "os => os.map(o => o.value)") == ["1", "0"]
    page.select_option("#r-version", "1")
    page.evaluate("() => document.getElementById('r-confirm').removeAttribute('required')")
    _submit(page, "#r-submit")
    assert page.inner_text("#error") == messages.text("error.upload.restore_confirm", lang)
    assert versions.current_number() == 2
    page.select_option("#r-version", "1")
    page.check("#r-confirm")
    _submit(page, "#r-submit")
    assert page.inner_text("#restored") == f"{t['restored']} 1."
    assert versions.current_number() == 1
    assert foreign_text(page, lang) == [] and axe_problems(page) == []
    page.screenshot(path=f"{shots}/upload_restored_{tag}.png", full_page=True)
    # the map links back here, and to the OGC API
    page.goto(f"{upload_server}/ogc/?f=html&lang={lang}")
    _submit(page, "#nav-upload")
    assert page.url.endswith(f"/upload?lang={lang}")
    assert page.errors == []
