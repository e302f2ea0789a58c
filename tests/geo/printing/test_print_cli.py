"""``python -m geo map``: exit 2 with one line on bad input; a PDF/PNG file otherwise."""

from __future__ import annotations

import pytest
from fixtures.printed import flat, pdf_text

from geo.cli import main


def test_writes_a_png_and_nothing_else(gpkg, tmp_path, capsys):
    out = tmp_path / "maps" / "poor_rate_2020.png"
    assert main(["map", "--layer", "poor_rate", "--year", "2020", "--dpi", "72", "--out", str(out)]) == 0
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert sorted(p.name for p in out.parent.iterdir()) == ["poor_rate_2020.png"]  # no temp left
    assert "wrote" in capsys.readouterr().out


def test_writes_an_english_pdf(gpkg, tmp_path):
    out = tmp_path / "p135.pdf"
    assert main(["map", "--layer", "p135_2016", "--lang", "en", "--out", str(out)]) == 0
    assert "Especially difficult communes – Program 135 (2016)" in flat(pdf_text(out.read_bytes()))


@pytest.mark.parametrize(
    "argv, message",
    [
        (["--layer", "nope"], "--layer: unknown layer 'nope'"),
        (["--layer", "poor_rate", "--year", "1990"], "--year: layer 'poor_rate' has no year 1990"),
        (["--layer", "poor_rate", "--size", "A0"], "--size: unknown size 'A0'"),
        (["--layer", "poor_rate", "--bbox", "1,2"], "--bbox: expected four numbers"),
    ],
)
def test_bad_option_exit_2_one_line(gpkg, tmp_path, capsys, argv, message):
    out = tmp_path / "x.pdf"
    assert main(["map", *argv, "--out", str(out)]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and message in err
    assert not out.exists()


def test_bad_extension_exit_2(gpkg, tmp_path, capsys):
    assert main(["map", "--layer", "poor_rate", "--out", str(tmp_path / "x.svg")]) == 2
    assert "--out: the file name must end in .pdf or .png" in capsys.readouterr().err
