"""Load runs end to end: coordinated-omission correction, a breach failing the command and
its Allure test, abort_on_fail, worker processes merging exactly, the integration report."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from prism_scenarios.cli import main
from prism_scenarios.load import THRESHOLD_EXIT, load_plan, run_plan
from prism_scenarios.load.integration import apply, read_summary

# A 1 ms action and one 200 ms stall of the whole process (it holds the interpreter lock,
# like a long GC pause): nothing starts while it lasts, the load generator included.
SCENARIOS = """\
scenarios:
  - name: fast
    steps:
      - wall.sleep: {ms: 1}
  - name: stall
    steps:
      - wall.sleep: {ms: 200, freeze: true}
  - name: noop
    steps:
      - noop: {}
"""


def _project(tmp_path: Path, **load_files: str) -> Path:
    (tmp_path / "pyproject.toml").write_text("[project]\nname = 'x'\n")
    (tmp_path / "scenarios" / "load").mkdir(parents=True)
    (tmp_path / "scenarios" / "s.yaml").write_text(SCENARIOS)
    for name, text in load_files.items():
        (tmp_path / "scenarios" / "load" / f"{name}.yaml").write_text(text)
    return tmp_path / "scenarios" / "load"


STALL_MIX = "mix:\n  - {scenario: fast, weight: 399}\n  - {scenario: stall, weight: 1}\n"


def test_a_single_stall_shows_in_p99_of_the_open_model_only(tmp_path: Path) -> None:
    """400 arrivals at 100/s, one of them stalls the process 200 ms: the ~20 arrivals due
    during the stall start late, and the open model charges them the wait from their intended
    start (5% of samples: p99 shows it; timed from their actual start they would look like
    1 ms). The closed model, one user, only sees the stalled iteration itself (0.25%)."""
    folder = _project(
        tmp_path,
        open="name: open\n" + STALL_MIX + "data: {volume: none}\n"
        "model: {type: open, rate: 100, duration: 4s, max_in_flight: 64}\n",
        closed="name: closed\n" + STALL_MIX + "data: {volume: none}\n"
        "model: {type: closed, users: 1, duration: 4s}\n",
    )
    opened = run_plan(load_plan(folder / "open.yaml"), progress=False)
    closed = run_plan(load_plan(folder / "closed.yaml"), progress=False)
    assert opened.started == 400 and opened.dropped == 0
    assert opened.metrics.metric("scenario:stall").count == 1
    open_p99 = opened.metrics.metric("iterations").percentile_ms(99)
    closed_p99 = closed.metrics.metric("iterations").percentile_ms(99)
    assert closed.metrics.metric("scenario:stall").count >= 1
    assert open_p99 >= 100, opened.metrics.metric("iterations").summary()
    assert closed_p99 < 100, closed.metrics.metric("iterations").summary()


def test_a_breach_fails_the_command_and_its_allure_test(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture
) -> None:
    folder = _project(
        tmp_path,
        breach="name: breach\nmix: [{scenario: noop}]\n"
        "data: {volume: none}\nmodel: {type: open, rate: 20, duration: 1s}\n"
        "thresholds:\n  iterations: ['p(95)<0.0001', 'rate>=1']\n",
    )
    monkeypatch.chdir(tmp_path)
    code = main(
        [
            "load",
            str(folder / "breach.yaml"),
            "--no-html",
            "--no-progress",
            "--report-dir",
            str(tmp_path / "reports"),
        ]
    )
    out = capsys.readouterr().out
    assert code == THRESHOLD_EXIT == 99
    assert "FAIL iterations: p(95)<0.0001" in out
    results = tmp_path / "reports" / "load" / "allure-results"
    [result] = [json.loads(p.read_text()) for p in results.glob("*-result.json")]
    assert result["status"] == "failed" and result["name"] == "load: breach"
    assert "ThresholdBreach: threshold breached" in result["statusDetails"]["message"]
    categories = json.loads((results / "categories.json").read_text())
    breach = next(c for c in categories if c["name"] == "ThresholdBreach")
    import re

    assert re.fullmatch(breach["messageRegex"], result["statusDetails"]["message"])
    steps = {s["name"].split(" (")[0]: s["status"] for s in result["steps"]}
    assert steps["threshold iterations: p(95)<0.0001"] == "failed"
    assert steps["threshold iterations: rate>=1"] == "passed"
    assert {a["type"] for a in result["attachments"]} == {"image/png", "application/json"}
    for attachment in result["attachments"]:
        body = (results / attachment["source"]).read_bytes()
        assert body.startswith(b"\x89PNG") if attachment["type"] == "image/png" else body
    summary = json.loads((tmp_path / "reports" / "load" / "breach.load_report.json").read_text())
    assert summary["passed"] is False and summary["started"] == 20


def test_the_same_file_passes_when_its_threshold_holds(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = _project(
        tmp_path,
        ok="name: ok\nmix: [{scenario: noop}]\n"
        "data: {volume: none}\nmodel: {type: open, rate: 20, duration: 1s}\n"
        "thresholds:\n  iterations: ['p(95)<5000', 'rate>=1']\n",
    )
    monkeypatch.chdir(tmp_path)
    assert (
        main(
            [
                "load",
                str(folder / "ok.yaml"),
                "--no-html",
                "--no-progress",
                "--report-dir",
                str(tmp_path / "reports"),
            ]
        )
        == 0
    )


def test_an_invalid_load_file_runs_nothing_and_exits_2(
    tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    folder = _project(
        tmp_path,
        bad="name: bad\nmix: [{scenario: nope}]\nmodel: {type: open, rate: 1, duration: 1s}\n",
    )
    assert (
        main(
            [
                "load",
                str(folder / "bad.yaml"),
                "--no-html",
                "--report-dir",
                str(tmp_path / "reports"),
            ]
        )
        == 2
    )
    assert f"{folder / 'bad.yaml'}:2: mix[0]: no scenario named 'nope'" in capsys.readouterr().err
    assert not (tmp_path / "reports" / "load").exists()


def test_abort_on_fail_stops_the_run_early(tmp_path: Path) -> None:
    folder = _project(
        tmp_path,
        abort="name: abort\nmix: [{scenario: noop}]\n"
        "data: {volume: none}\nmodel: {type: open, rate: 20, duration: 20s}\n"
        "thresholds:\n  iterations:\n    - {threshold: 'p(95)<0.0001', "
        "abort_on_fail: true, delay_abort_eval: 1s}\n",
    )
    result = run_plan(load_plan(folder / "abort.yaml"), progress=False)
    assert result.aborted and "abort_on_fail" in result.aborted
    assert result.started < 200 and result.planned == 400  # the rest was never started
    assert not result.passed


@pytest.mark.slow
def test_worker_processes_split_the_arrivals_and_merge_exactly(tmp_path: Path) -> None:
    folder = _project(
        tmp_path,
        split="name: split\nmix: [{scenario: noop}]\n"
        "data: {volume: small}\nmodel: {type: open, rate: 50, duration: 2s}\n",
    )
    result = run_plan(load_plan(folder / "split.yaml", workers=2), workers=2, progress=False)
    assert result.executor == "processes x2"
    assert [s["started"] for s in result.segments] == [50, 50]
    assert result.started == 100 == result.metrics.metric("iterations").count
    assert result.metrics.metric("iterations").passed == 100
    assert {s["index"] for s in result.segments} == {0, 1}
    assert result.passed, [v.describe() for v in result.verdicts]


def test_the_integration_report_takes_performance_from_the_load_run(tmp_path: Path) -> None:
    folder = _project(
        tmp_path,
        perf="name: perf\nmix: [{scenario: noop}]\n"
        "data: {volume: none}\nmodel: {type: open, rate: 20, duration: 1s}\n",
    )
    reports = tmp_path / "reports"
    (reports / "integration").mkdir(parents=True)
    report_file = reports / "integration" / "system_integration_report.json"
    report_file.write_text(
        json.dumps(
            {"average_response_time_ms": 999.0, "throughput_rps": 1.0, "notes": {"cpu": "old"}}
        )
    )
    assert (
        main(
            [
                "load",
                str(folder / "perf.yaml"),
                "--no-html",
                "--no-progress",
                "--report-dir",
                str(reports),
            ]
        )
        == 0
    )
    report = json.loads(report_file.read_text())
    load = read_summary(reports)
    assert load is not None
    iterations = load["tests"][0]["metrics"]["iterations"]
    assert report["average_response_time_ms"] == round(iterations["avg_ms"], 3) != 999.0
    assert report["throughput_rps"] == pytest.approx(20, rel=0.05)
    assert report["performance_source"].startswith("load run ")
    assert report["load_tests_passed"] is True and "cpu" not in report["notes"]
    assert apply({"notes": {}}, load)["notes"]["performance"].startswith(
        "performance fields come from the load run"
    )


def test_every_seed_load_file_passes_quick(tmp_path: Path) -> None:
    """The five seed scenarios (FFPerformanceTestConfigDTO.test_scenarios), as CI runs them."""
    import subprocess

    root = Path(__file__).resolve().parents[2]
    files = sorted((root / "scenarios" / "load").glob("*.yaml"))
    assert [f.stem for f in files] == [
        "basic_chat",
        "multimodal_processing",
        "panel_collaboration",
        "rag_retrieval",
        "tool_execution",
    ]
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "prism_scenarios.cli",
            "load",
            *map(str, files),
            "--quick",
            "--no-html",
            "--no-progress",
            "--report-dir",
            str(tmp_path),
        ],
        cwd=root,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    summary = json.loads((tmp_path / "load" / "load_summary.json").read_text())
    assert [t["name"] for t in summary["tests"]] == [f.stem for f in files]
    assert all(t["passed"] and t["started"] > 0 for t in summary["tests"])


def test_an_iteration_writing_through_to_the_shared_data_fails_the_load_test(
    tmp_path: Path,
) -> None:
    """Iterations' stores start as hard links to one template; a scenario that writes a
    generated user's file in place (not by atomic rename) would change every later
    iteration's data. The run says which scenario did it and fails."""
    (tmp_path / "pyproject.toml").write_text("[project]\nname = 'x'\n")
    (tmp_path / "scenarios" / "load").mkdir(parents=True)
    (tmp_path / "scenarios" / "s.yaml").write_text(
        "scenarios:\n"
        "  - name: clobber\n"
        "    steps:\n"
        "      - files.copy: {source: users/load-user-0001/profile.json,\n"
        "                     path: users/load-user-0000/profile.json}\n"
        "  - name: tidy\n"
        "    steps:\n"
        "      - user.create: {user_id: ann, username: Ann}\n"
    )
    folder = tmp_path / "scenarios" / "load"
    (folder / "clobber.yaml").write_text(
        "name: clobber\nmix: [{scenario: clobber}, {scenario: tidy}]\n"
        "data: {volume: small}\nmodel: {type: open, rate: 10, duration: 1s}\n"
    )
    (folder / "tidy.yaml").write_text(
        "name: tidy\nmix: [{scenario: tidy}]\n"
        "data: {volume: small}\nmodel: {type: open, rate: 10, duration: 1s}\n"
    )
    clobbered = run_plan(load_plan(folder / "clobber.yaml"), progress=False)
    tidy = run_plan(load_plan(folder / "tidy.yaml"), progress=False)
    assert clobbered.metrics.metric("iterations").passed == clobbered.started  # steps passed
    assert clobbered.template_changed_by == ["clobber"]
    assert not clobbered.passed
    assert tidy.template_changed_by == [] and tidy.passed


@pytest.mark.parametrize(("limit", "code"), [(0.0001, THRESHOLD_EXIT), (5000, 0)])
def test_the_run_configurations_performance_limits_judge_every_load_file(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture,
    limit: float,
    code: int,
    load_args,
) -> None:
    """`run`'s performance family passes performance_config (FFPerformanceTestConfigDTO):
    max_response_time_ms and the other limits are judged beside the file's own thresholds."""
    from prism_scenarios.dto import FFPerformanceTestConfigDTO
    from prism_scenarios.load import command

    folder = _project(
        tmp_path,
        ok="name: ok\nmix: [{scenario: noop}]\n"
        "data: {volume: none}\nmodel: {type: open, rate: 20, duration: 1s}\n"
        "thresholds:\n  iterations: ['p(95)<5000']\n",
    )
    monkeypatch.chdir(tmp_path)
    done = command.run(
        load_args(
            folder / "ok.yaml",
            report_dir=tmp_path / "reports",
            performance_config=FFPerformanceTestConfigDTO(max_response_time_ms=limit),
        )
    )
    out = capsys.readouterr().out
    assert done == code, out
    verdict = "FAIL" if code else "ok"
    assert f"iterations: max<={limit:g} (performance_config)" in out
    assert any(verdict in line and "max<=" in line for line in out.splitlines()), out
    assert "run: peak_rss_mb<=1024 (performance_config)" in out
