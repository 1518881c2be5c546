"""``prism-scenarios run`` in this process: main() runs pytest.main on a one- or two-scenario
project under tmp_path with ``-n 0`` (no xdist workers), so a run takes about a second and
what it publishes can be compared exactly: exit code, the screen's verdict lines,
summary.json's partial reasons, families and resources, the shard record."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from prism_scenarios.cli import main

NOOP = "scenarios:\n  - name: {name}\n    steps:\n      - noop: {{}}\n"
FAILING = (
    "scenarios:\n  - name: {name}\n    steps:\n      - noop: {{}}\n"
    "        expect: [{{equals: 5}}]\n"
)
NO_CATALOG = (
    "the project has no use-case catalog of its own, so only the use cases its scenarios "
    "declare are judged"
)


@pytest.fixture
def proj(project_dir: Path) -> Path:
    """A project with scenarios/a.yaml (one passing scenario) and a run configuration
    asking for the JSON report only, as the working directory."""
    (project_dir / "scenarios").mkdir()
    (project_dir / "scenarios" / "a.yaml").write_text(NOOP.format(name="one"))
    (project_dir / "prism-scenarios.yaml").write_text("report_output_formats: [json]\n")
    return project_dir


def _run(*argv: str) -> int:
    return main(["run", "--no-html", "-n", "0", *argv])


def _summary(proj: Path) -> dict:
    return json.loads((proj / "reports" / "summary.json").read_text())


def test_a_passing_run_publishes_its_summary(proj: Path, capsys) -> None:
    assert _run() == 0
    out = capsys.readouterr().out
    assert "prism-scenarios: 1 passed in " in out
    assert "  results: reports/allure-results\n" in out
    assert "  integration report: reports/integration/ (system_integration_report.json)\n" in out
    summary = _summary(proj)
    assert summary["counts"] == {"passed": 1}
    assert summary["partial_because"] == [NO_CATALOG]
    assert summary["families"] is None  # no family layout: paths of its own
    assert sorted(summary["resources"]) == [
        "average_cpu_percent",
        "elapsed",
        "peak_cpu_percent",
        "peak_rss_mb",
        "started",
    ]
    assert [t["nodeid"] for t in summary["tests"]] == ["scenarios/a.yaml::one"]
    assert (proj / "reports" / "junit.xml").is_file()
    assert (proj / "reports" / "integration" / "system_integration_report.json").is_file()


def test_a_failing_run_exits_1_and_still_publishes(proj: Path, capsys) -> None:
    (proj / "scenarios" / "b.yaml").write_text(FAILING.format(name="two"))
    assert _run() == 1
    out = capsys.readouterr().out
    assert "  FAIL scenarios/b.yaml::two\n" in out
    assert _summary(proj)["counts"] == {"passed": 1, "failed": 1}


def test_selections_make_the_run_partial(proj: Path, capsys) -> None:
    (proj / "scenarios" / "b.yaml").write_text(NOOP.format(name="two"))
    assert _run("-k", "one", "scenarios") == 0
    summary = _summary(proj)
    assert summary["counts"] == {"passed": 1}
    assert summary["partial_because"] == ["-k 'one'", NO_CATALOG]


def test_a_node_id_after_the_double_dash_is_a_path(proj: Path, capsys) -> None:
    (proj / "scenarios" / "b.yaml").write_text(NOOP.format(name="two"))
    assert main(["run", "--no-html", "-n", "0", "--", "scenarios/b.yaml::two", "-q"]) == 0
    summary = _summary(proj)
    assert [t["nodeid"] for t in summary["tests"]] == ["scenarios/b.yaml::two"]
    assert summary["partial_because"] == ["paths scenarios/b.yaml::two", NO_CATALOG]


def test_a_usage_error_publishes_nothing(proj: Path, capsys) -> None:
    assert _run() == 0
    before = (proj / "reports" / "summary.json").read_text()
    capsys.readouterr()
    assert main(["run", "--no-html", "-n", "0", "--", "--no-such-pytest-option"]) == 4
    out = capsys.readouterr().out
    assert (
        "run ended with exit 4 (usage error): nothing was published; what reports held "
        "before is unchanged\n"
    ) in out
    assert "prism-scenarios: nothing ran in " in out and "s (exit 4)\n" in out
    assert (proj / "reports" / "summary.json").read_text() == before


def test_a_shard_runs_its_part_and_says_so(proj: Path, capsys) -> None:
    (proj / "scenarios" / "b.yaml").write_text(NOOP.format(name="two"))
    codes = []
    ran = []
    for index in (1, 2):
        report_dir = proj / f"shard{index}"
        codes.append(_run("--shard", f"{index}/2", "--report-dir", str(report_dir)))
        out = capsys.readouterr().out
        summary = json.loads((report_dir / "summary.json").read_text())
        record = summary["shard"]
        assert (record["index"], record["count"], record["suite_tests"]) == (index, 2, 2)
        assert record["balanced_by"] == "hash"
        line = f"shard {index}/2: {record['tests']} of 2 tests (balanced by node-id hash)\n"
        assert line in out
        assert summary["partial_because"] == [NO_CATALOG]
        ran += [t["nodeid"] for t in summary["tests"]]
    assert codes == [0, 0]
    assert sorted(ran) == ["scenarios/a.yaml::one", "scenarios/b.yaml::two"]
