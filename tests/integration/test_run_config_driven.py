"""`prism-scenarios run` driven by the run configuration (prism-scenarios.yaml): which families
run, retries that mark a test flaky in Allure, stop on first failure, and the readiness gate's
exit code."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

PASSING = """\
use_case: storing
scenarios:
  - name: a user is stored
    steps:
      - user.create: {user_id: alice, username: Alice}
        expect: [{path: username, equals: Alice}]
"""
# Fails on its first attempt, passes on the second (a marker file remembers the attempt).
FLAKY = """\
from pathlib import Path


def test_passes_on_the_second_attempt(tmp_path_factory):
    marker = Path(__file__).with_name("attempted")
    if not marker.exists():
        marker.write_text("1")
        raise AssertionError("first attempt fails")
"""
TWO_FAILURES = """\
def test_first():
    assert False, "first"


def test_second():
    assert False, "second"
"""


def _cli(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "prism_scenarios.cli", *args, "--no-html"],
        cwd=cwd,
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )


def _project(tmp_path: Path, config: str) -> Path:
    (tmp_path / "pyproject.toml").write_text("[project]\nname = 'x'\n")
    for family in ("component", "security"):
        (tmp_path / "scenarios" / family).mkdir(parents=True)
        (tmp_path / "scenarios" / family / "s.yaml").write_text(PASSING)
    (tmp_path / "prism-scenarios.yaml").write_text(config)
    (tmp_path / "scenarios" / "use_cases.yaml").write_text(  # the project's own catalog
        "use_cases:\n  - {id: storing, name: Storing, category: basic, required: [storage]}\n"
    )
    return tmp_path


def _report(root: Path) -> dict:
    return json.loads(
        (root / "reports" / "integration" / "system_integration_report.json").read_text()
    )


@pytest.mark.slow
def test_families_retries_and_the_readiness_gate(tmp_path: Path) -> None:
    root = _project(
        tmp_path,
        "testing_levels: [component]\n"
        "validation_scopes: [functionality]\n"
        "parallel_test_execution: false\n"
        "retry_failed_tests: true\nmax_retry_attempts: 2\n"
        "minimum_readiness_score: 0.9\n",
    )
    (root / "features" / "component").mkdir(parents=True)
    (root / "features" / "component" / "test_flaky.py").write_text(FLAKY)
    done = _cli(root, "run")
    assert done.returncode == 7, done.stdout + done.stderr  # passed, but not ready
    assert "readiness gate:" in done.stdout
    assert "1 test(s) passed only on a retry: marked flaky in Allure" in done.stdout
    report = _report(root)
    families = report["families"]
    assert families["component"]["ran"] and families["component"]["flaky"] == 1
    assert families["security"]["ran"] is False  # on disk, but the configuration left it out
    assert report["tests_failed"] == 0 and report["tests_passed"] == 2
    security = next(c for c in report["readiness_criteria"] if c["criterion"] == "security")
    assert security["met"] is None and "did not run" in security["reason"]
    assert report["production_ready"] is False
    assert str(root / "prism-scenarios.yaml") in report["notes"]["configuration"]
    results = [
        json.loads(p.read_text())
        for p in (root / "reports" / "allure-results").glob("*-result.json")
    ]
    flaky = [r for r in results if r["name"] == "test_passes_on_the_second_attempt"]
    assert sorted(r["status"] for r in flaky) == ["failed", "passed"]  # both attempts kept
    [last] = [r for r in flaky if r["status"] == "passed"]
    assert last["statusDetails"]["flaky"] is True
    folder = root / "reports" / "integration"
    assert (folder / "system_integration_report.pdf").read_bytes().startswith(b"%PDF")
    assert "Production readiness" in (folder / "system_integration_report.html").read_text()
    (root / "features" / "component" / "attempted").unlink()
    again = _cli(root, "run")  # the second run says what changed since the first
    assert "since the last run:" in again.stdout, again.stdout


@pytest.mark.slow
def test_stop_on_first_failure_and_an_invalid_configuration(tmp_path: Path) -> None:
    root = _project(
        tmp_path,
        "testing_levels: [component]\nvalidation_scopes: []\n"
        "parallel_test_execution: false\nstop_on_first_failure: true\n",
    )
    (root / "features" / "component").mkdir(parents=True)
    (root / "features" / "component" / "test_two.py").write_text(TWO_FAILURES)
    done = _cli(root, "run")
    assert done.returncode == 1, done.stdout + done.stderr
    report = _report(root)
    assert report["tests_failed"] == 1  # the second failing test never ran
    assert report["run_scope"] == "partial" and "stopped early" in report["notes"]["scope"]
    (root / "prism-scenarios.yaml").write_text(
        "testing_levels: [component]\nmax_retry_attempts: lots\n"
    )
    done = _cli(root, "run")
    assert done.returncode == 2
    assert f"{root / 'prism-scenarios.yaml'}:2: max_retry_attempts:" in done.stderr
