"""Collect outcomes during a run and print the one-screen summary at the end."""

from __future__ import annotations

import json
import time
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from prism_scenarios.outcome import PROPERTY, from_report


class SummaryPlugin:
    def __init__(self, report_dir: Path) -> None:
        self.report_dir = report_dir
        self.tests: dict[str, dict[str, Any]] = {}
        self.started = time.perf_counter()
        self.elapsed = 0.0
        self.collected = 0
        # Each scenario's declared severity (YAML ``severity:``), by node id: the security
        # report weighs a failed security test by it (items are seen in this process only;
        # under xdist a Gherkin ``@severity:`` tag in the prism record still carries it).
        self.severities: dict[str, str] = {}

    def pytest_collection_modifyitems(self, items: list[pytest.Item]) -> None:
        for item in items:
            severity = getattr(getattr(item, "spec", None), "severity", None)
            if isinstance(severity, str):
                self.severities[item.nodeid] = severity

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        entry = self.tests.setdefault(
            report.nodeid,
            {
                "nodeid": report.nodeid,
                "outcome": "passed",
                "duration": 0.0,
                "message": "",
                PROPERTY: None,
                "severity": self.severities.get(report.nodeid),
            },
        )
        entry["duration"] += report.duration
        record = from_report(report)  # typed, and refused whole if a field is missing
        if record is not None:
            entry[PROPERTY] = record.to_dict()
        if report.outcome == "rerun":  # pytest-rerunfailures: this attempt failed, another
            entry["reruns"] = entry.get("reruns", 0) + 1  # follows; the last one decides
            entry["outcome"], entry["message"] = "passed", str(report.longrepr)
            entry["flaky"] = False
            return
        if report.when == "call" or report.outcome != "passed":
            outcome = report.outcome
            if hasattr(report, "wasxfail"):
                outcome = "xfailed" if report.skipped else "xpassed"
            elif report.failed and report.when != "call":
                outcome = "error"
            if entry["outcome"] in ("passed",) or outcome in ("failed", "error"):
                entry["outcome"] = outcome
            if report.failed:
                entry["message"] = str(report.longrepr)
        if entry.get("reruns"):  # passed only on a retry: flaky, not a clean pass
            entry["flaky"] = entry["outcome"] == "passed"

    def pytest_sessionfinish(self, session: pytest.Session, exitstatus: int) -> None:
        self.elapsed = time.perf_counter() - self.started
        self.collected = session.testscollected
        self.report_dir.mkdir(parents=True, exist_ok=True)
        (self.report_dir / "summary.json").write_text(
            json.dumps(
                {
                    "elapsed_seconds": round(self.elapsed, 3),
                    "exit_status": int(exitstatus),
                    "counts": self.counts(),
                    "tests": list(self.tests.values()),
                },
                indent=2,
            )
        )

    def counts(self) -> dict[str, int]:
        return dict(Counter(t["outcome"] for t in self.tests.values()))

    def print_screen(
        self,
        *,
        html: Path | None,
        results: Path | None,
        exit_code: int,
        html_note: str = "no HTML report, see above",
    ) -> None:
        """The one-screen summary; ``results`` None means nothing was published."""
        counts = self.counts()
        order = ["passed", "failed", "error", "skipped", "xfailed", "xpassed"]
        line = ", ".join(f"{counts[k]} {k}" for k in order if counts.get(k))
        print("\n" + "=" * 78)
        print(f"prism-scenarios: {line or 'nothing ran'} in {self.elapsed:.1f}s (exit {exit_code})")
        failed = [t for t in self.tests.values() if t["outcome"] in ("failed", "error")]
        for test in failed[:12]:
            first = test["message"].strip().splitlines()[:2]
            print(f"  FAIL {test['nodeid']}")
            for text in first:
                print(f"       {text[:150]}")
        if len(failed) > 12:
            print(f"  … and {len(failed) - 12} more failures (see summary.json)")
        slowest = sorted(self.tests.values(), key=lambda t: t["duration"], reverse=True)[:3]
        if slowest:
            print(
                "  slowest: "
                + "; ".join(
                    f"{t['nodeid'].split('::')[-1][:40]} {t['duration']:.2f}s" for t in slowest
                )
            )
        if results is not None:
            print(f"  results: {results}")
            print(f"  report:  {html if html else f'({html_note})'}")
            print(
                f"  summary: {results.parent / 'summary.json'}  junit: "
                f"{results.parent / 'junit.xml'}"
            )
        print("=" * 78)
