"""Security fields of the integration report come from the security suite only, weighted by
severity; ``run`` exits 6 when a vulnerability is at or above the threshold."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from prism_scenarios.outcome import PROPERTY, TestOutcome
from prism_scenarios.use_cases import system_report, vulnerabilities_at_or_above


def _test(
    nodeid: str, outcome: str, *, severity: str | None = None, tags=(), source: str | None = None
) -> dict:
    return {
        "nodeid": nodeid,
        "outcome": outcome,
        "duration": 0.1,
        "message": "boom\nmore",
        "severity": severity,  # as the summary saw it collected; the record has none
        PROPERTY: TestOutcome(
            use_case=None,
            source=source or nodeid.split("::")[0],
            name=nodeid.split("::")[-1],
            components=(),
            steps=1,
            duration=0.0,
            tags=tuple(tags),
            severity=None,
        ).to_dict(),
    }


def _report(tests: list[dict]):
    return system_report(tests, [], elapsed=1.0, started=0.0, peak_rss_mb=1.0)


SUITE = [
    _test("scenarios/security/a.yaml::kept out", "passed", severity="blocker"),
    _test(
        "scenarios/security/b.yaml::escaped",
        "failed",
        severity="critical",
        tags=["security", "asvs:5.3.2", "asvs:1.2.1"],
    ),
    _test(
        "features/security/c.feature::leaks",
        "failed",
        tags=["security", "severity:minor", "asvs:8.3.1"],
    ),
    _test("scenarios/security/d.yaml::skipped", "skipped", severity="blocker"),
    # not the security suite: a unit test about security code, a component scenario
    _test("tests/unit/test_security_x.py::test_y", "failed"),
    _test("scenarios/component/security_notes.yaml::z", "failed", severity="blocker"),
]


def test_fields_come_from_the_security_suite_weighted_by_severity():
    report = _report(SUITE)
    assert report.security_tests_passed is False
    assert report.vulnerabilities_found == 2
    # weights: blocker (critical) 8 passed; critical (high) 4 and minor (low) 1 failed
    assert report.security_score == round(8 / 13, 4)
    findings = [
        (f.test, f.severity, f.allure_severity, f.asvs, f.message) for f in report.security_findings
    ]
    assert findings == [
        ("scenarios/security/b.yaml::escaped", "high", "critical", ["1.2.1", "5.3.2"], "boom"),
        ("features/security/c.feature::leaks", "low", "minor", ["8.3.1"], "boom"),
    ]
    assert "severity-weighted" in report.notes["security"]
    assert json.loads(report.model_dump_json())["security_findings"][0]["asvs"]


def test_all_passing_suite_scores_one():
    report = _report([SUITE[0], _test("x/y.py::t", "passed", tags=["security"])])
    assert (
        report.security_tests_passed,
        report.vulnerabilities_found,
        report.security_score,
        report.security_findings,
    ) == (True, 0, 1.0, [])


def test_no_security_test_leaves_the_fields_null_with_a_note():
    report = _report(SUITE[3:])  # a skipped security test did not run
    assert (
        report.security_tests_passed,
        report.vulnerabilities_found,
        report.security_score,
        report.security_findings,
    ) == (None, None, None, None)
    assert "no security test ran" in report.notes["security"]


@pytest.mark.parametrize(
    ("threshold", "tripped"), [("low", 2), ("medium", 1), ("high", 1), ("critical", 0)]
)
def test_threshold_counts_findings_at_or_above(threshold, tripped):
    findings = _report(SUITE).security_findings
    assert len(vulnerabilities_at_or_above(findings, threshold)) == tripped


SCENARIO = """\
tags: [security]
severity: {severity}
scenarios:
  - name: a message read back
    steps:
      - user.create: {{user_id: mallory}}
      - session.create: {{user_id: mallory}}
        save: {{s: session_id}}
      - session.get: {{user_id: mallory, session_id: "${{s}}"}}
        expect: [{{path: message_count, equals: {count}}}]
"""


def _run(tmp_path: Path, severity: str, count: int, *threshold: str):
    folder = tmp_path / "scenarios" / "security"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "leak.yaml").write_text(SCENARIO.format(severity=severity, count=count))
    args = ["run", "scenarios", "--no-html", "--report-dir", "reports"]
    if threshold:
        args += ["--vulnerability-threshold", threshold[0]]
    done = subprocess.run(
        [sys.executable, "-m", "prism_scenarios.cli", *args],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )
    report = json.loads(
        (tmp_path / "reports" / "integration" / "system_integration_report.json").read_text()
    )
    return done, report


@pytest.mark.subprocess
@pytest.mark.parametrize(
    ("severity", "count", "threshold", "code"),
    [
        ("critical", 1, "high", 6),  # high vulnerability, threshold high: gate trips
        ("critical", 1, "critical", 1),  # below the threshold: just a failed test
        ("normal", 1, None, 6),  # medium vs the DTO's default threshold (medium)
        ("minor", 1, None, 1),  # low vs medium: just a failed test
        ("blocker", 0, "low", 0),  # nothing failed: no vulnerability at all
    ],
)
def test_run_exit_code_moves_with_severity_and_threshold(
    tmp_path, severity, count, threshold, code
):
    done, report = _run(tmp_path, severity, count, *([threshold] if threshold else []))
    assert done.returncode == code, done.stdout[-2000:] + done.stderr[-1000:]
    assert report["vulnerabilities_found"] == (1 if count else 0)
    if code == 6:
        assert "vulnerability gate" in done.stdout
