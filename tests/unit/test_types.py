"""The type check of ``make test``: mypy over ``[tool.mypy]`` in pyproject.toml (the system under
test and the runner's action API) passes, and the same configuration does catch type errors."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.subprocess

ROOT = Path(__file__).resolve().parents[2]
PYPROJECT = ROOT / "pyproject.toml"

# Two mistakes the configuration must refuse in a module it covers (flatfile_chat.*): a wrong
# return type, and a function without annotations (disallow_untyped_defs for the checked code).
BROKEN = """\
def count(items: list[str]) -> int:
    return ",".join(items)


def untyped(value):
    return value
"""


def _mypy(*args: str, cwd: Path, cache: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "mypy", "--config-file", str(PYPROJECT), "--cache-dir", str(cache)]
        + list(args),
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_the_configured_modules_type_check(tmp_path: Path) -> None:
    result = _mypy(cwd=ROOT, cache=tmp_path / "cache")
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.startswith("Success: no issues found"), result.stdout


def test_the_configuration_refuses_a_type_error(tmp_path: Path) -> None:
    package = tmp_path / "src" / "flatfile_chat"
    package.mkdir(parents=True)
    (package / "__init__.py").write_text("")
    (package / "broken.py").write_text(BROKEN)
    result = _mypy("flatfile_chat/broken.py", cwd=package.parent, cache=tmp_path / "cache")
    assert result.returncode == 1, result.stdout + result.stderr
    assert "broken.py:2: error: Incompatible return value type" in result.stdout, result.stdout
    assert "[return-value]" in result.stdout
    assert "broken.py:5: error: Function is missing a type annotation  [no-untyped-def]" in (
        result.stdout
    )
    assert "Found 2 errors in 1 file" in result.stdout
