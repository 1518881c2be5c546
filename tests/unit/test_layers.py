"""The import layers of pyproject.toml ([tool.importlinter]) hold, and a breach is caught."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")

pytestmark = [
    pytest.mark.skipif(
        not LINT_IMPORTS.exists(), reason="import-linter is not installed (pip install -e '.[dev]')"
    ),
    pytest.mark.subprocess,
]


def _lint(cwd: Path, pythonpath: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(pythonpath)}
    return subprocess.run(
        [str(LINT_IMPORTS), str(cwd / "pyproject.toml"), "--no-cache", "--no-logo"],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )


def test_every_contract_is_kept():
    done = _lint(ROOT, ROOT)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-2000:]
    assert "4 kept, 0 broken" in done.stdout


@pytest.mark.parametrize(
    ("module", "line", "contract"),
    [
        ("clock.py", "import prism_scenarios", "flatfile_chat.clock -> prism_scenarios"),
        (
            "storage/paths.py",
            "from flatfile_chat.store import layout",
            "flatfile_chat.storage.paths -> flatfile_chat.store.layout",
        ),
        (
            "memory/files.py",
            "from flatfile_chat.panel import manager",
            "flatfile_chat.memory.files -> flatfile_chat.panel.manager",
        ),
    ],
)
def test_a_breach_is_reported(tmp_path, module, line, contract):
    """A copy of the store with one forbidden import fails the same contracts."""
    copy = shutil.copytree(
        ROOT / "flatfile_chat",
        tmp_path / "flatfile_chat",
        ignore=shutil.ignore_patterns("__pycache__"),
    )
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    with (copy / module).open("a") as handle:
        handle.write(f"\n{line}  # noqa\n")
    done = _lint(tmp_path, tmp_path)
    assert done.returncode == 1, done.stdout[-3000:]
    assert contract in " ".join(done.stdout.split()), done.stdout[-3000:]
