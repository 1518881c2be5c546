"""Allure history across runs: each `run` appends one entry to reports/history.jsonl, the
next report shows the trend (a status-dynamics chart over the runs, each test's earlier
results, a test that broke marked "regressed"), rendering the same results again replaces
their entry instead of doubling it, and the file keeps only the last N runs."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from prism_scenarios import report

pytestmark = pytest.mark.slow

SCENARIOS = """\
use_case: storing
scenarios:
  - name: steady
    steps:
      - user.create: {{user_id: alice, username: Alice}}
        expect: [{{path: username, equals: Alice}}]
  - name: breaks later
    steps:
      - user.create: {{user_id: bob, username: Bob}}
        expect: [{{path: username, equals: {expected}}}]
"""


@pytest.fixture(scope="module")
def allure_available() -> None:
    if shutil.which("node") is None:
        pytest.skip("Node.js is not installed: Allure 3 cannot render, so there is no history")
    if report.allure_binary() is None:
        pytest.skip(
            "the pinned Allure 3 CLI could not be installed (npm ci failed or npm is "
            "missing); see the output above"
        )


def _cli(root: Path, *args: str, limit: str | None = None) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PRISM_ALLURE_SINGLE_FILE": "0"}  # the report's data as files
    env.pop("PRISM_ALLURE_HISTORY_LIMIT", None)
    if limit is not None:
        env["PRISM_ALLURE_HISTORY_LIMIT"] = limit
    return subprocess.run(
        [sys.executable, "-m", "prism_scenarios.cli", *args],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=600,
    )


def _test_results(root: Path) -> dict[str, dict]:
    folder = root / "reports" / "allure-report" / "data" / "test-results"
    return {d["name"]: d for d in (json.loads(p.read_text()) for p in folder.glob("*.json"))}


def _status_dynamics(root: Path) -> list[dict]:
    charts = json.loads(
        (root / "reports" / "allure-report" / "widgets" / "charts.json").read_text()
    )["general"]
    [chart] = [c for c in charts.values() if c["type"] == "statusDynamics"]
    return chart["data"]


def test_history_gives_the_second_report_its_trend(tmp_path: Path, allure_available) -> None:
    root = tmp_path
    (root / "pyproject.toml").write_text("[project]\nname = 'x'\n")
    (root / "scenarios").mkdir()
    (root / "scenarios" / "use_cases.yaml").write_text(
        "use_cases:\n  - {id: storing, name: Storing, category: basic, required: [storage]}\n"
    )
    scenario = root / "scenarios" / "s.yaml"
    scenario.write_text(SCENARIOS.format(expected="Bob"))
    history = root / "reports" / "history.jsonl"

    first = _cli(root, "run", "-n", "0")
    assert first.returncode == 0, first.stdout + first.stderr
    assert len(report.history_entries(root / "reports")) == 1
    assert all(not t["history"] for t in _test_results(root).values())  # nothing before it

    scenario.write_text(SCENARIOS.format(expected="Robert"))  # the second run: one breaks
    second = _cli(root, "run", "-n", "0")
    assert second.returncode == 1, second.stdout + second.stderr
    entries = report.history_entries(root / "reports")
    assert len(entries) == 2
    assert [sorted(r["status"] for r in e["testResults"].values()) for e in entries] == [
        ["passed", "passed"],
        ["failed", "passed"],
    ]
    tests = _test_results(root)
    broke = tests["breaks later"]
    assert broke["status"] == "failed" and broke["transition"] == "regressed"
    assert [h["status"] for h in broke["history"]] == ["passed"]  # the first run only
    assert [h["status"] for h in tests["steady"]["history"]] == ["passed"]
    points = _status_dynamics(root)
    assert [(p["id"], p["statistic"]) for p in points] == [
        (entries[0]["uuid"], {"total": 2, "passed": 2}),  # the first run, from the history
        ("current", {"total": 2, "failed": 1, "passed": 1}),
    ]

    before = history.read_text().splitlines()
    again = _cli(root, "report")  # the same results rendered again
    assert again.returncode == 0, again.stdout + again.stderr
    after = history.read_text().splitlines()
    assert len(after) == 2 and after[0] == before[0] and after[1] != before[1]
    assert [h["status"] for h in _test_results(root)["breaks later"]["history"]] == ["passed"]

    third = _cli(root, "run", "-n", "0", limit="2")  # keep the last two runs only
    assert third.returncode == 1, third.stdout + third.stderr
    kept = history.read_text().splitlines()
    assert len(kept) == 2 and kept[0] == after[1]  # the first run's entry is gone
    # (Allure reads the last N before it appends: this report still saw both earlier runs)
    assert [h["status"] for h in _test_results(root)["breaks later"]["history"]] == [
        "failed",
        "passed",
    ]
