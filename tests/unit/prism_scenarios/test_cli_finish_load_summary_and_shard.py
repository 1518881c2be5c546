"""The CLI's end of run: a load summary is applied only after a load run, and a shard whose
record is missing still publishes its report."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from types import SimpleNamespace

import pytest

from prism_scenarios import cli

LOAD_SUMMARY = {
    "generated": 1_800_000_000.0,
    "tests": [
        {
            "name": "basic_chat",
            "profile": "quick",
            "passed": True,
            "started": 30,
            "elapsed_seconds": 3.0,
            "cpu_percent_one_core": 40.0,
            "peak_rss_mb": 120.0,
            "metrics": {"iterations": {"avg_ms": 12.0, "count": 30}},
        }
    ],
}


def _finish(report_dir: Path, load_code: int | None) -> int:
    from prism_scenarios.dto import FFIntegrationTestingConfigDTO
    from prism_scenarios.outcome import PROPERTY
    from prism_scenarios.summary import SummaryPlugin

    summary = SummaryPlugin(report_dir)
    node = "scenarios/a.yaml::one"
    summary.tests = {
        node: {
            "nodeid": node,
            "outcome": "passed",
            "duration": 0.1,
            "message": "",
            PROPERTY: None,
            "severity": None,
        }
    }
    sampler = SimpleNamespace(
        elapsed=1.0,
        started=0.0,
        average_cpu_percent=None,
        peak_cpu_percent=None,
        peak_rss_mb=None,
    )
    config = FFIntegrationTestingConfigDTO.model_validate({"report_output_formats": ["json"]})
    return cli._finish_run(
        argparse.Namespace(vulnerability_threshold=None, no_html=True),
        report_dir,
        report_dir / "allure-results",
        summary,
        sampler,
        ["why"],
        0,
        config=config,
        source="conf.yaml",
        families_run=None,
        load_code=load_code,
        flaky=0,
    )


def _performance_note(report_dir: Path) -> str:
    written = json.loads(
        (report_dir / "integration" / "system_integration_report.json").read_text()
    )
    return written["notes"]["performance"]


@pytest.mark.parametrize("load_code", [0, None])
def test_finish_applies_a_load_summary_only_after_a_load_run(
    project_dir: Path, load_code: int | None
) -> None:
    report_dir = project_dir / "reports"
    (report_dir / "load").mkdir(parents=True)
    (report_dir / "load" / "load_summary.json").write_text(json.dumps(LOAD_SUMMARY))
    assert _finish(report_dir, load_code) == 0
    from_load = "basic_chat [quick]" in _performance_note(report_dir)
    assert from_load is (load_code is not None)


def test_a_shard_without_its_record_still_publishes(
    project_dir: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    (project_dir / "scenarios").mkdir()
    (project_dir / "scenarios" / "a.yaml").write_text(
        "scenarios:\n  - name: one\n    steps:\n      - noop: {}\n"
    )
    (project_dir / "prism-scenarios.yaml").write_text("report_output_formats: [json]\n")
    real = cli._read_json
    monkeypatch.setattr(
        cli, "_read_json", lambda path: None if path.name == "shard.json" else real(path)
    )
    assert cli.main(["run", "--no-html", "-n", "0", "--shard", "1/1"]) == 0
    report = json.loads(
        (project_dir / "reports" / "integration" / "system_integration_report.json").read_text()
    )
    assert "; shard 1/1)" in report["notes"]["scope"]
