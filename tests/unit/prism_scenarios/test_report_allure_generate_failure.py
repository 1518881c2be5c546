"""The HTML report: an allure generate that fails before writing anything reports the failure."""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

import pytest

from prism_scenarios import report


def test_a_failed_generate_that_wrote_nothing_reports_the_failure(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    binary = tmp_path / "home" / "bin" / "x" / "allure"
    results = tmp_path / "allure-results"
    results.mkdir()
    monkeypatch.setattr(report.shutil, "which", lambda name: "/usr/bin/node")
    monkeypatch.setattr(report, "allure_binary", lambda: binary)
    monkeypatch.setattr(report, "config_file", lambda home: home / "config.json")

    def generate(argv: list[str], **kwargs: Any) -> subprocess.CompletedProcess[str]:
        # allure fails before creating its output folder
        assert not Path(argv[argv.index("--output") + 1]).exists()
        return subprocess.CompletedProcess(argv, 3, stdout="", stderr="boom")

    monkeypatch.setattr(report.subprocess, "run", generate)
    assert report.render_html(results, tmp_path / "reports", history=False) is None
    assert capsys.readouterr().out == "allure generate failed (exit 3):\nboom\n"
