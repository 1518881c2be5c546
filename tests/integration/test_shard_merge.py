"""``run --shard K/N`` on a real project: the shards partition the suite (hash or durations,
with and without xdist), each says it is a shard, and ``report DIR ...`` merges them into one
report whose scope is full only when every shard is there."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

SCENARIO = """\
use_case: storing
scenarios:
  - name: first {n}
    steps:
      - user.create: {{user_id: alice, username: Alice}}
        expect: [{{path: username, equals: Alice}}]
  - name: second {n}
    steps:
      - user.create: {{user_id: bob}}
  - name: third {n}
    steps:
      - user.create: {{user_id: carol, username: Carol}}
        expect: [{{path: username, equals: {expected}}}]
"""


def _cli(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "prism_scenarios.cli", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )


def _run(root: Path, out: str, *args: str) -> subprocess.CompletedProcess[str]:
    return _cli(root, "run", "--no-html", "-n", "0", "--report-dir", out, *args)


def _nodeids(root: Path, out: str) -> list[str]:
    return [t["nodeid"] for t in json.loads((root / out / "summary.json").read_text())["tests"]]


def _report(root: Path, out: str) -> dict:
    return json.loads((root / out / "integration" / "system_integration_report.json").read_text())


@pytest.fixture(scope="module")
def project(tmp_path_factory) -> Path:
    """Nine scenarios in three files (one fails), the project's own catalog, and one whole
    run to compare the shards with."""
    root = tmp_path_factory.mktemp("sharded")
    (root / "pyproject.toml").write_text("[project]\nname = 'x'\n")
    (root / "scenarios").mkdir()
    (root / "scenarios" / "use_cases.yaml").write_text(
        "use_cases:\n  - {id: storing, name: Storing, category: basic, required: [storage]}\n"
    )
    for n in range(3):
        (root / "scenarios" / f"s{n}.yaml").write_text(
            SCENARIO.format(n=n, expected="Nobody" if n == 1 else "Carol")
        )
    whole = _run(root, "whole")
    assert whole.returncode == 1, whole.stdout + whole.stderr
    assert len(_nodeids(root, "whole")) == 9
    return root


def test_three_shards_partition_the_suite_and_merge_into_the_whole(project: Path) -> None:
    parts = []
    for k in (1, 2, 3):
        extra = ["-n", "2"] if k == 2 else []  # xdist: every worker cuts the same shard
        done = _run(project, f"shard{k}", "--shard", f"{k}/3", *extra)
        assert done.returncode in (0, 1), done.stdout + done.stderr
        assert (
            f"shard {k}/3: " in done.stdout
            and "of 9 tests (balanced by node-id hash)" in done.stdout
        )
        parts.append(set(_nodeids(project, f"shard{k}")))
        report = _report(project, f"shard{k}")
        assert report["run_scope"] == "partial"
        assert report["production_readiness_score"] is None
        assert f"shard {k}/3: {len(parts[-1])} of 9 tests" in report["notes"]["scope"]
        summary = json.loads((project / f"shard{k}" / "summary.json").read_text())
        assert summary["shard"]["index"] == k and summary["shard"]["suite_tests"] == 9
    whole = set(_nodeids(project, "whole"))
    assert sum(len(p) for p in parts) == 9 and set().union(*parts) == whole
    assert all(len(p) == 3 for p in parts)  # hash order dealt round robin: 3 each

    merged = _cli(
        project, "report", "shard1", "shard2", "shard3", "--report-dir", "merged", "--no-html"
    )
    assert merged.returncode == 1, merged.stdout + merged.stderr  # one scenario fails
    assert "merged 3 input(s) into merged: 9 tests (shards 1/3, 2/3, 3/3)" in merged.stdout
    report = _report(project, "merged")
    assert report["run_scope"] == "full", report["notes"]
    assert (report["tests_passed"], report["tests_failed"]) == (8, 1)
    assert report["production_readiness_score"] is not None
    assert "merged from 3 input(s)" in report["notes"]["merge"]
    assert set(_nodeids(project, "merged")) == whole
    results = {
        p.name
        for k in (1, 2, 3)
        for p in (project / f"shard{k}" / "allure-results").glob("*-result.json")
    }
    assert {
        p.name for p in (project / "merged" / "allure-results").glob("*-result.json")
    } == results and len(results) == 9
    assert (project / "merged" / "junit.xml").read_text().count("<testcase") == 9

    partial = _cli(project, "report", "shard1", "shard3", "--report-dir", "partial", "--no-html")
    failed = "scenarios/s1.yaml::third 1" in parts[0] | parts[2]
    assert partial.returncode == (1 if failed else 0), partial.stdout + partial.stderr
    report = _report(project, "partial")
    assert report["run_scope"] == "partial" and report["production_readiness_score"] is None
    assert "missing shard 2/3: merged 2 of 3" in report["notes"]["scope"]

    twice = _cli(project, "report", "shard1", "shard1", "--report-dir", "twice")
    assert twice.returncode == 2 and "shard 1/3 given twice" in twice.stderr
    assert not (project / "twice").exists()


def test_durations_balance_the_shards_and_still_partition(project: Path) -> None:
    whole = project / "whole" / "summary.json"
    parts = []
    for k in (1, 2):
        done = _run(project, f"timed{k}", "--shard", f"{k}/2", "--shard-durations", str(whole))
        assert done.returncode in (0, 1), done.stdout + done.stderr
        assert f"balanced by the durations in {whole}" in done.stdout
        record = json.loads((project / f"timed{k}" / "summary.json").read_text())["shard"]
        assert record["balanced_by"] == "durations" and record["durations_digest"]
        parts.append(set(_nodeids(project, f"timed{k}")))
    assert parts[0].isdisjoint(parts[1])
    assert parts[0] | parts[1] == set(_nodeids(project, "whole"))
    missing = _run(project, "timed3", "--shard", "1/2", "--shard-durations", "nope.json")
    assert missing.returncode == 2 and "--shard-durations: nope.json" in missing.stderr


def test_an_empty_shard_passes_and_counts(project: Path) -> None:
    done = _run(project, "empty", "--shard", "10/10")  # 9 tests: the tenth shard holds none
    assert done.returncode == 0, done.stdout + done.stderr
    assert "shard 10/10: 0 of 9 tests" in done.stdout
    summary = json.loads((project / "empty" / "summary.json").read_text())
    assert summary["tests"] == [] and summary["shard"]["suite_tests"] == 9


def test_a_plain_pytest_run_knows_nothing_of_shards(project: Path) -> None:
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-p",
            "prism_scenarios.pytest_plugin",
            "--co",
            "-q",
            "--prism-shard=1/2",
            "scenarios",
        ],
        cwd=project,
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert done.returncode == 4 and "unrecognized arguments: --prism-shard" in done.stderr, (
        done.stdout + done.stderr
    )
