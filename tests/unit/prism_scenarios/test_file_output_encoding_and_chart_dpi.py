"""File output: scaffolded files are UTF-8 whatever the locale, and chart images keep their
size whatever the savefig.dpi setting."""

from __future__ import annotations

import io
import struct
from pathlib import Path

import matplotlib
import pytest
from matplotlib.figure import Figure

from prism_scenarios import scaffold as scaffold_mod
from prism_scenarios.load import charts
from prism_scenarios.schema import build_schema, render


def test_scaffold_writes_utf8_under_a_latin1_locale(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    schema = render(build_schema())
    assert any(ord(c) > 127 for c in schema)  # the case under test: non-ASCII text
    # What Path.write_text falls back to without an explicit encoding: the locale's.
    monkeypatch.setattr(io, "text_encoding", lambda encoding, stacklevel=2: encoding or "latin-1")
    assert scaffold_mod.scaffold(tmp_path) == 0
    written = (tmp_path / scaffold_mod.SCHEMA).read_bytes()
    assert written.decode("utf-8") == schema


def _png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    return struct.unpack(">II", data[16:24])


def test_chart_images_ignore_the_savefig_dpi_setting() -> None:
    def draw() -> bytes:
        figure = Figure(figsize=(2, 1))
        figure.add_subplot().plot([0, 1], [0, 1])
        return charts._png(figure)

    default = _png_size(draw())
    with matplotlib.rc_context({"savefig.dpi": 300}):
        assert _png_size(draw()) == default
