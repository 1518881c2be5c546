"""A throwaway project for tests that run the runner's project discovery."""

from __future__ import annotations

from pathlib import Path

import pytest

from prism_scenarios import project


@pytest.fixture
def project_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """tmp_path as the project root and working directory (no scan-depth override).

    The root is cached per process, so the cache is cleared for the test.
    """
    (tmp_path / "pyproject.toml").write_text("[project]\nname = 'p'\n")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(project, "_root", None)
    monkeypatch.delenv("PRISM_SCAN_DEPTH", raising=False)
    return tmp_path
