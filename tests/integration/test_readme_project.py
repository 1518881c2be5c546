"""The README's "Use it in your own project" commands, followed literally from a folder outside
the repository, with a wheel built from this checkout installed into a fresh venv.

This is also the packaging test: package data (the use-case catalog and its schema, the
Allure and ``init`` templates) must load from the installed wheel, not from the repo.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PLACEHOLDER = "/path/to/prism-scenarios"


def readme_commands() -> list[str]:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text.split("## Use it in your own project", 1)[1]
    block = re.search(r"```sh\n(.*?)```", section, re.S)
    assert block, "the README section has no ```sh block"
    return [line for line in block.group(1).splitlines() if line.strip()]


@pytest.mark.slow
def test_readme_commands_work_from_a_folder_outside_the_repo(tmp_path: Path) -> None:
    commands = readme_commands()
    assert any(PLACEHOLDER in line for line in commands)
    wheels = tmp_path / "wheels"
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w", str(wheels), str(ROOT)],
        check=True,
        capture_output=True,
    )
    wheel = next(wheels.glob("prism_scenarios-*.whl"))
    home = tmp_path / "user"
    home.mkdir()
    script = (
        "set -ex\n" + "\n".join(line.replace(PLACEHOLDER, str(wheel)) for line in commands) + "\n"
    )
    env = {
        k: v
        for k, v in os.environ.items()
        if k
        not in (
            "VIRTUAL_ENV",
            "PYTHONPATH",
            "PYTEST_ADDOPTS",
            "PYTEST_XDIST_WORKER",
            "PYTEST_XDIST_WORKER_COUNT",
            "PYTEST_CURRENT_TEST",
        )
    }
    env["PATH"] = os.pathsep.join(
        p for p in env.get("PATH", "").split(os.pathsep) if not p.startswith(str(ROOT))
    )
    done = subprocess.run(
        ["bash", "-c", script],
        cwd=home,
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=900,
    )
    out = done.stdout + done.stderr
    assert done.returncode == 0, out[-6000:]
    project = home / "my-project"
    located = subprocess.run(
        [
            str(home / ".venv" / "bin" / "python"),
            "-c",
            "import prism_scenarios; print(prism_scenarios.__file__)",
        ],
        cwd=home,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    assert located.stdout.startswith(str(home / ".venv")), located.stdout
    assert "prism-scenarios: 2 passed" in out
    assert "use cases passing: 1/1" in out
    assert (project / "reports" / "integration" / "system_integration_report.json").exists()
    assert (project / "reports" / "junit.xml").exists()
    if shutil.which("node") and shutil.which("npm"):
        assert (project / "reports" / "allure-report" / "index.html").exists(), out[-3000:]
    assert re.search(r"=+ 2 passed in ", done.stdout), out[-3000:]  # the plain pytest run
