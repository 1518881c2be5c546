"""The run's summary (prism_scenarios.summary): outcomes per test from pytest's reports, the
summary.json it writes and the one-screen summary it prints, in-process with plain reports."""

from __future__ import annotations

import json
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from prism_scenarios.outcome import PROPERTY, TestOutcome
from prism_scenarios.summary import SummaryPlugin

RECORD = TestOutcome(
    use_case="basic_chat",
    source="scenarios/chat.yaml",
    name="counts",
    components=("chat",),
    steps=2,
    duration=0.5,
    tags=(),
    severity=None,
)


def report(
    nodeid: str,
    when: str,
    outcome: str,
    *,
    duration: float = 0.0,
    longrepr: object = None,
    props: list[tuple[str, object]] | None = None,
    **extra: Any,
) -> Any:
    return SimpleNamespace(
        nodeid=nodeid,
        when=when,
        outcome=outcome,
        duration=duration,
        longrepr=longrepr,
        user_properties=props or [],
        failed=outcome == "failed",
        skipped=outcome == "skipped",
        **extra,
    )


def feed(plugin: SummaryPlugin, *reports: Any) -> None:
    for each in reports:
        plugin.pytest_runtest_logreport(each)


def test_a_passing_test_sums_its_phases_durations_and_keeps_its_record(tmp_path: Path) -> None:
    plugin = SummaryPlugin(tmp_path)
    props = [(PROPERTY, json.dumps(RECORD.to_dict()))]
    feed(
        plugin,
        report("t::a", "setup", "passed", duration=0.25, props=props),
        report("t::a", "call", "passed", duration=0.5, props=props),
        report("t::a", "teardown", "passed", duration=0.125, props=props),
    )
    assert plugin.tests == {
        "t::a": {
            "nodeid": "t::a",
            "outcome": "passed",
            "duration": 0.875,
            "message": "",
            PROPERTY: RECORD.to_dict(),
            "severity": None,
        }
    }
    assert plugin.counts() == {"passed": 1}


def test_failures_errors_skips_and_xfail(tmp_path: Path) -> None:
    plugin = SummaryPlugin(tmp_path)
    feed(
        plugin,
        report("t::fail", "setup", "passed"),
        report("t::fail", "call", "failed", longrepr="boom"),
        report("t::fail", "teardown", "passed"),
        report("t::setup_error", "setup", "failed", longrepr="no fixture"),
        report("t::teardown_error", "call", "passed"),
        report("t::teardown_error", "teardown", "failed", longrepr="cleanup"),
        report("t::fail_then_error", "call", "failed", longrepr="first"),
        report("t::fail_then_error", "teardown", "failed", longrepr="second"),
        report("t::skipped", "setup", "skipped", longrepr="why"),
        report("t::xfail", "call", "skipped", wasxfail="known"),
        report("t::xpass", "call", "passed", wasxfail="known"),
    )
    outcomes = {k: (v["outcome"], v["message"]) for k, v in plugin.tests.items()}
    assert outcomes == {
        "t::fail": ("failed", "boom"),
        "t::setup_error": ("error", "no fixture"),
        "t::teardown_error": ("error", "cleanup"),
        "t::fail_then_error": ("error", "second"),
        "t::skipped": ("skipped", ""),
        "t::xfail": ("xfailed", ""),
        "t::xpass": ("xpassed", ""),
    }
    assert plugin.counts() == {"failed": 1, "error": 3, "skipped": 1, "xfailed": 1, "xpassed": 1}
    assert not any("flaky" in t or "reruns" in t for t in plugin.tests.values())


def test_a_skip_after_a_failure_does_not_hide_it(tmp_path: Path) -> None:
    plugin = SummaryPlugin(tmp_path)
    feed(
        plugin,
        report("t::a", "call", "failed", longrepr="boom"),
        report("t::a", "teardown", "skipped"),
    )
    assert plugin.tests["t::a"]["outcome"] == "failed"


def test_a_test_passing_on_a_retry_is_flaky_one_failing_every_time_is_not(
    tmp_path: Path,
) -> None:
    plugin = SummaryPlugin(tmp_path)
    feed(
        plugin,
        report("t::flaky", "call", "rerun", longrepr="first try"),
        report("t::flaky", "call", "passed"),
        report("t::bad", "call", "rerun", longrepr="try 1"),
        report("t::bad", "call", "rerun", longrepr="try 2"),
        report("t::bad", "call", "failed", longrepr="try 3"),
    )
    flaky, bad = plugin.tests["t::flaky"], plugin.tests["t::bad"]
    assert (flaky["outcome"], flaky["reruns"], flaky["flaky"]) == ("passed", 1, True)
    assert flaky["message"] == "first try"
    assert (bad["outcome"], bad["reruns"], bad["flaky"], bad["message"]) == (
        "failed",
        2,
        False,
        "try 3",
    )


def test_a_rerun_report_alone_leaves_the_test_passed_but_not_flaky_yet(tmp_path: Path) -> None:
    plugin = SummaryPlugin(tmp_path)
    feed(plugin, report("t::a", "call", "rerun", longrepr="x"))
    assert plugin.tests["t::a"]["flaky"] is False
    assert plugin.tests["t::a"]["reruns"] == 1


def test_declared_severities_are_read_at_collection(tmp_path: Path) -> None:
    plugin = SummaryPlugin(tmp_path)
    items = [
        SimpleNamespace(nodeid="t::a", spec=SimpleNamespace(severity="critical")),
        SimpleNamespace(nodeid="t::b", spec=SimpleNamespace(severity=None)),
        SimpleNamespace(nodeid="t::c"),
    ]
    plugin.pytest_collection_modifyitems(items)  # type: ignore[arg-type]
    assert plugin.severities == {"t::a": "critical"}
    feed(plugin, report("t::a", "call", "passed"), report("t::c", "call", "passed"))
    assert plugin.tests["t::a"]["severity"] == "critical"
    assert plugin.tests["t::c"]["severity"] is None


def test_sessionfinish_writes_summary_json(tmp_path: Path) -> None:
    folder = tmp_path / "reports" / "new"
    plugin = SummaryPlugin(folder)
    feed(plugin, report("t::a", "call", "passed", duration=0.5))
    feed(plugin, report("t::b", "call", "failed", longrepr="x"))
    plugin.pytest_sessionfinish(SimpleNamespace(testscollected=7), 1)  # type: ignore[arg-type]
    assert plugin.collected == 7
    assert plugin.elapsed > 0
    text = (folder / "summary.json").read_text()
    data = json.loads(text)
    assert text.startswith('{\n  "elapsed_seconds": ')  # indented by two
    assert data["elapsed_seconds"] == round(plugin.elapsed, 3)
    assert data["exit_status"] == 1
    assert data["counts"] == {"passed": 1, "failed": 1}
    assert [t["nodeid"] for t in data["tests"]] == ["t::a", "t::b"]
    assert list(data) == ["elapsed_seconds", "exit_status", "counts", "tests"]


def test_the_screen_with_failures_slowest_and_published_results(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    plugin = SummaryPlugin(tmp_path)
    feed(
        plugin,
        report("a/t.py::slow", "call", "passed", duration=3.0),
        report("a/t.py::bad", "call", "failed", duration=1.5, longrepr="  line1\nline2\nline3"),
        report("a/t.py::" + "x" * 50, "call", "passed", duration=2.0),
        report("a/t.py::fast", "call", "passed", duration=0.01),
        report("a/t.py::skip", "call", "skipped"),
        report("a/t.py::err", "setup", "failed", longrepr="E" * 200),
    )
    plugin.elapsed = 12.34
    results = tmp_path / "reports" / "allure-results"
    plugin.print_screen(html=tmp_path / "index.html", results=results, exit_code=1)
    out = capsys.readouterr().out
    assert out == "\n".join(
        [
            "",
            "=" * 78,
            "prism-scenarios: 3 passed, 1 failed, 1 error, 1 skipped in 12.3s (exit 1)",
            "  FAIL a/t.py::bad",
            "       line1",
            "       line2",
            "  FAIL a/t.py::err",
            "       " + "E" * 150,
            "  slowest: slow 3.00s; " + "x" * 40 + " 2.00s; bad 1.50s",
            f"  results: {results}",
            f"  report:  {tmp_path / 'index.html'}",
            f"  summary: {tmp_path / 'reports' / 'summary.json'}  junit: "
            f"{tmp_path / 'reports' / 'junit.xml'}",
            "=" * 78,
            "",
        ]
    )


def test_the_screen_of_an_empty_unpublished_run(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    plugin = SummaryPlugin(tmp_path)
    plugin.print_screen(html=None, results=None, exit_code=5)
    assert capsys.readouterr().out == (
        "\n" + "=" * 78 + "\nprism-scenarios: nothing ran in 0.0s (exit 5)\n" + "=" * 78 + "\n"
    )


def test_the_screen_without_html_says_why_and_counts_failures_past_twelve(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    plugin = SummaryPlugin(tmp_path)
    for n in range(14):
        feed(plugin, report(f"t::f{n:02}", "call", "failed", duration=n, longrepr=f"m{n}"))
    feed(plugin, report("t::xf", "call", "skipped", wasxfail="w"))
    feed(plugin, report("t::xp", "call", "passed", wasxfail="w"))
    results = tmp_path / "allure-results"
    plugin.print_screen(html=None, results=results, exit_code=1, html_note="node missing")
    lines = capsys.readouterr().out.splitlines()
    assert lines[2].startswith("prism-scenarios: 14 failed, 1 xfailed, 1 xpassed in ")
    fails = [line for line in lines if line.startswith("  FAIL ")]
    assert fails == [f"  FAIL t::f{n:02}" for n in range(12)]
    assert "  … and 2 more failures (see summary.json)" in lines
    assert "  report:  (node missing)" in lines
    assert lines[-5] == "  slowest: f13 13.00s; f12 12.00s; f11 11.00s"
    plugin.print_screen(html=None, results=results, exit_code=1)
    assert "  report:  (no HTML report, see above)" in capsys.readouterr().out.splitlines()
