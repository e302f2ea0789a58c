"""geo.settings: one object, read from the environment in one place, documented in the README."""

import re
from pathlib import Path

import pytest

from geo import paths
from geo import settings as geo_settings
from geo.settings import Settings, SettingsError

README = Path(__file__).resolve().parents[2] / "README.md"


def readme_settings() -> dict[str, str]:
    """Variable → default of the README's "Settings (environment)" table."""
    text = README.read_text(encoding="utf-8")
    section = text.split("### Settings (environment)", 1)[1].split("\n#", 1)[0]
    rows = re.findall(r"^\| `([A-Z_]+)` \| ([^|]+) \|", section, flags=re.M)
    return {name: default.strip() for name, default in rows}


def test_readme_table_lists_every_setting_and_no_other():
    documented = readme_settings()
    fields = {env: shown for env, shown, _ in geo_settings.documented()}
    assert set(documented) == set(fields), (
        f"missing from README: {sorted(set(fields) - set(documented))}; "
        f"not settings: {sorted(set(documented) - set(fields))}"
    )
    assert documented == fields  # the defaults too


def test_defaults_and_the_environment():
    s = Settings.from_env({})
    assert s == Settings() and s.database_url == "" and s.gpkg is None and s.max_upload_bytes == 5 * 1024 * 1024
    s = Settings.from_env(
        {
            "GEO_GPKG": "/x/k.gpkg",
            "DATABASE_URL": " postgresql://h/db ",
            "DATABASE_SCHEMA": "",
            "DATABASE_POOL_MAX": "3",
            "GEO_STATE_DIR": "/s",
            "USER": "lan",
        }
    )
    assert s.gpkg == Path("/x/k.gpkg") and s.database_url == "postgresql://h/db" and s.database_schema is None
    assert s.database_pool_max == 3 and s.state_dir == Path("/s") and s.user == "lan"


@pytest.mark.parametrize(
    "env, message",
    [
        ({"GEO_MAX_UPLOAD_BYTES": "5MB"}, "GEO_MAX_UPLOAD_BYTES must be a whole number, got '5MB'"),
        ({"DATABASE_POOL_MAX": "0"}, "DATABASE_POOL_MAX must be a whole number of at least 1, got 0"),
        ({"MAP_LANG": "fr"}, "MAP_LANG must be one of vi, en, got 'fr'"),
    ],
)
def test_bad_values_are_clear_errors(env, message):
    with pytest.raises(SettingsError, match=re.escape(message)):
        Settings.from_env(env)


def test_replace_validates_and_keeps_the_original():
    s = Settings()
    assert s.replace(staging_ttl_s=10).staging_ttl_s == 10 and s.staging_ttl_s == 3600
    with pytest.raises(SettingsError, match="GEO_STAGING_TTL_S"):
        s.replace(staging_ttl_s=-1)


def test_active_settings_are_read_once_and_steer_the_paths(monkeypatch, tmp_path):
    previous = geo_settings.activate(None)
    try:
        monkeypatch.setenv("GEO_BUILD_DIR", str(tmp_path / "b1"))
        first = geo_settings.active()
        monkeypatch.setenv("GEO_BUILD_DIR", str(tmp_path / "b2"))
        assert geo_settings.active() is first and paths.build_dir() == tmp_path / "b1"  # not re-read
        geo_settings.activate(first.replace(build_dir=tmp_path / "b3", gpkg=None, state_dir=tmp_path / "s"))
        assert paths.build_dir() == tmp_path / "b3" and paths.gpkg_path() == tmp_path / "b3" / "kontum.gpkg"
    finally:
        geo_settings.activate(previous)


def test_cli_reports_a_bad_setting_in_one_line(monkeypatch, capsys):
    from geo import cli

    previous = geo_settings.activate(None)
    try:
        monkeypatch.setenv("GEO_STAGING_TTL_S", "soon")
        assert cli.main(["versions", "list"]) == 2
        assert capsys.readouterr().err == "error: GEO_STAGING_TTL_S must be a whole number, got 'soon'\n"
    finally:
        geo_settings.activate(previous)


def test_create_app_maps_the_old_overrides_onto_settings(gpkg, tmp_path):
    from app import context, create_app

    app = create_app(
        {
            "TESTING": True,
            "UPLOAD_MAX_BYTES": 2000,
            "MAP_UPLOAD_TOKEN": "t0ken-123456",
            "DEFAULT_LANG": "en",
            "GEO_STATE_DIR": str(tmp_path),
        }
    )
    with app.app_context():
        s = context.settings()
        assert (s.max_upload_bytes, s.upload_token, s.lang, s.state_dir) == (2000, "t0ken-123456", "en", tmp_path)
        assert context.backend().name == "embedded" and context.backend().path == gpkg
    assert app.config["MAX_CONTENT_LENGTH"] == 2000 + context.FORM_SLACK and app.config["TESTING"] is True
