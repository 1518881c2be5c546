"""The CLI called in-process (``main(argv)`` and its helpers) in a tiny project under
tmp_path: exact exit codes, exact messages naming the file or option, exact files written.
Nothing here starts pytest or a child process, so mutation testing sees these tests."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from prism_scenarios import cli, project, settings
from prism_scenarios.cli import main, parse


@pytest.fixture
def proj(project_dir: Path) -> Path:
    """An empty project (a pyproject.toml) as the working directory."""
    return project_dir


def _scenario_file(path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("scenarios:\n  - name: one\n    steps:\n      - noop: {}\n")
    return path


# --- parse -----------------------------------------------------------------------------------


def test_parse_keeps_what_follows_the_double_dash_for_pytest() -> None:
    args = parse(["run", "a", "--tags", "t", "b", "--", "-x", "--lf"])
    assert (args.command, args.paths, args.tags, args.pytest_args) == (
        "run",
        ["a", "b"],
        "t",
        ["-x", "--lf"],
    )
    assert args.func is cli._cmd_run
    defaults = parse(["run"])
    assert (defaults.report_dir, defaults.load_profile, defaults.no_html) == (
        "reports",
        "quick",
        False,
    )
    assert (defaults.stop, defaults.all, defaults.shard, defaults.pytest_args) == (
        None,
        False,
        None,
        [],
    )


def test_parse_defaults_of_the_other_commands() -> None:
    fuzz = parse(["fuzz"])
    assert (fuzz.examples, fuzz.seed, fuzz.out, fuzz.action) == (25, 0, "reports/fuzz", None)
    assert parse(["fuzz", "--action", "a", "--action", "b"]).action == ["a", "b"]
    rep = parse(["report"])
    assert (rep.dirs, rep.results, rep.report_dir) == ([], "reports/allure-results", "reports")
    assert parse(["init"]).directory == "."
    load = parse(["load", "f.yaml", "--quick"])
    assert (load.files, load.quick, load.profile, load.report_dir) == (
        ["f.yaml"],
        True,
        None,
        "reports",
    )
    assert parse(["run", "-x"]).stop is True
    assert parse(["run", "--reruns", "2"]).reruns == 2


def test_only_run_takes_pytest_arguments(capsys) -> None:
    with pytest.raises(SystemExit) as raised:
        parse(["list", "--", "-x", "-q"])
    assert raised.value.code == 2
    assert capsys.readouterr().err.endswith(
        "error: only `run` passes arguments after -- to pytest (got: -x -q)\n"
    )


def test_a_command_is_required(capsys) -> None:
    with pytest.raises(SystemExit) as raised:
        parse([])
    assert raised.value.code == 2
    assert "the following arguments are required: COMMAND" in capsys.readouterr().err


def test_run_help_documents_the_exit_codes(capsys) -> None:
    with pytest.raises(SystemExit) as raised:
        parse(["run", "--help"])
    assert raised.value.code == 0
    text = " ".join(capsys.readouterr().out.split())
    assert text.startswith("usage: prism-scenarios run ")
    for part in (
        "exit code is pytest's (1: tests failed, 4: a path does not exist, 5: no scenario",
        "2: the run configuration is invalid, 6: a security test at or above",
        "99: a load threshold was breached (performance family), 7: readiness below",
        "--report-dir REPORT_DIR where reports go (default reports/)",
        "--load-profile LOAD_PROFILE the load files' profile in the performance family "
        "(default quick)",
    ):
        assert part in text


def test_load_help_documents_the_exit_codes(capsys) -> None:
    with pytest.raises(SystemExit):
        parse(["load", "--help"])
    text = " ".join(capsys.readouterr().out.split())
    assert (
        "Exit 0: every threshold held; 99: a threshold was breached or the run aborted on "
        "one; 2: a load file is invalid (nothing ran); 3: a worker or the cluster failed."
    ) in text


def test_shard_option_is_parsed(capsys) -> None:
    assert parse(["run", "--shard", "2/3"]).shard.index == 2
    with pytest.raises(SystemExit):
        parse(["run", "--shard", "4/3"])
    assert "argument --shard" in capsys.readouterr().err


# --- main and simple commands ----------------------------------------------------------------


def test_bad_project_settings_exit_2_naming_the_file(proj: Path, capsys) -> None:
    (proj / "pyproject.toml").write_text("[tool.prism-scenarios]\nroot = 'x'\n")
    settings.load.cache_clear()
    try:
        assert main(["validate"]) == 2
    finally:
        settings.load.cache_clear()
    err = capsys.readouterr().err
    assert (
        err
        == f"prism-scenarios: {proj / 'pyproject.toml'}: [tool.prism-scenarios] root: unknown key\n"
    )


def test_main_resets_the_project_root(proj: Path, capsys) -> None:
    project.set_project_root(Path("/nonexistent"))
    assert main(["steps", "--grep", "zzzz-no-such-text"]) == 1
    assert project._root is None
    assert capsys.readouterr().out == "no sentence contains 'zzzz-no-such-text'\n"


def test_actions_of_an_unknown_component(proj: Path, capsys) -> None:
    assert main(["actions", "--component", "no-such-component"]) == 2
    captured = capsys.readouterr()
    assert captured.out == "" and captured.err.strip() != ""


def test_steps_match_with_and_without_a_keyword(proj: Path, capsys) -> None:
    assert main(["steps", "--match", "Then zzz nothing like it"]) == 1
    out = capsys.readouterr().out
    assert out.startswith("no sentence matches: Then zzz nothing like it\n")
    for line in out.splitlines()[1:]:
        assert line.startswith("  did you mean: ")
    assert main(["steps", "--match", "zzz nothing"]) == 1
    assert capsys.readouterr().out.startswith("no sentence matches: zzz nothing\n")


def test_steps_match_finds_a_sentence_under_any_keyword(proj: Path, capsys) -> None:
    from prism_scenarios import step_catalog

    assert main(["steps"]) == 0
    assert capsys.readouterr().out == step_catalog.catalog_text(None) + "\n"
    assert main(["steps", "--grep", "user"]) == 0
    assert capsys.readouterr().out == step_catalog.catalog_text("user") + "\n"


def test_schema_written_checked_and_unchanged(proj: Path, capsys) -> None:
    out = proj / "s" / "load.json"
    assert main(["schema", "--load", "--output", str(out), "--check"]) == 1
    assert capsys.readouterr().out == (
        f"{out} is out of date with the load-file model; run `prism-scenarios schema --load`\n"
    )
    assert not out.exists()
    assert main(["schema", "--load", "--output", str(out)]) == 0
    assert capsys.readouterr().out == f"wrote: {out}\n"
    assert json.loads(out.read_text())["title"] == "prism-scenarios load file"
    assert main(["schema", "--load", "--output", str(out)]) == 0
    assert capsys.readouterr().out == f"unchanged: {out}\n"
    assert main(["schema", "--load", "--output", str(out), "--check"]) == 0
    assert capsys.readouterr().out == f"{out} is up to date\n"


def test_scenario_schema_default_path(proj: Path, capsys) -> None:
    assert main(["schema", "--check"]) == 1
    assert capsys.readouterr().out == (
        "schemas/scenario.schema.json is out of date with the action registry; run "
        "`prism-scenarios schema`\n"
    )
    assert main(["schema"]) == 0
    assert capsys.readouterr().out == "wrote: schemas/scenario.schema.json\n"
    assert (proj / "schemas" / "scenario.schema.json").is_file()
    assert not (proj / "schemas" / "load.schema.json").exists()


def test_report_without_results(proj: Path, capsys) -> None:
    assert main(["report"]) == 1
    assert capsys.readouterr().out == (
        "no Allure results at reports/allure-results (run `prism-scenarios run` first)\n"
    )
    assert main(["report", "out"]) == 1
    assert capsys.readouterr().out == "no Allure results at out (run `prism-scenarios run` first)\n"


def test_fuzz_of_an_unknown_action(proj: Path, capsys) -> None:
    pytest.importorskip("hypothesis")
    code = main(["fuzz", "--action", "no.such.action", "--seed", "7", "--examples", "2"])
    captured = capsys.readouterr()
    assert code == 2
    assert captured.out == (
        "prism-scenarios fuzz: seed 7, 2 examples per action (reproduce with --seed 7)\n"
    )
    assert "no.such.action" in captured.err


# --- run: the refusals before pytest starts --------------------------------------------------


def test_run_with_nothing_to_run(proj: Path, capsys) -> None:
    assert main(["run"]) == 4
    assert capsys.readouterr().out == (
        f"nothing to run: no scenarios/ or features/ folder in {proj} (give paths, or "
        "`prism-scenarios init .`)\n"
    )
    assert main(["run", "--suite", "component"]) == 4
    assert capsys.readouterr().out == (
        "nothing to run: no scenarios/component or features/component folder in "
        f"{proj} (give paths, or `prism-scenarios init .`)\n"
    )


def test_run_of_a_missing_path_or_an_empty_folder(proj: Path, capsys) -> None:
    assert main(["run", "nowhere"]) == 4
    assert capsys.readouterr().out.startswith("nowhere: no such file or folder\n")
    (proj / "empty").mkdir()
    assert main(["run", "empty"]) == 5
    assert capsys.readouterr().out == (
        "no scenario file (.yaml with a top-level 'scenarios:' key) or .feature file under: empty\n"
    )


def test_run_sets_the_scan_depth(proj: Path, monkeypatch, capsys) -> None:
    import os

    (proj / "empty").mkdir()
    assert main(["run", "empty", "--scan-depth", "basic"]) == 5
    assert os.environ["PRISM_SCAN_DEPTH"] == "basic"


def test_run_with_an_invalid_configuration(proj: Path, capsys) -> None:
    bad = proj / "conf.yaml"
    bad.write_text("no_such_key: 1\n")
    assert main(["run", "--config", str(bad)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("invalid run configuration, nothing ran:\n")
    assert f"{bad}:1" in err and "no_such_key" in err


def test_run_smoke_profile_switched_off(proj: Path, capsys) -> None:
    conf = proj / "prism-scenarios.yaml"
    conf.write_text("enable_smoke_testing: false\n")
    assert main(["run", "--profile", "smoke"]) == 2
    assert capsys.readouterr().err == (
        f"the smoke profile is switched off (enable_smoke_testing: false in {conf})\n"
    )


def test_run_all_or_profile_refuse_paths(proj: Path, capsys) -> None:
    for argv in (["run", "--all", "x"], ["run", "--profile", "regression", "--suite", "s"]):
        assert main(argv) == 2
        assert capsys.readouterr().err == (
            "--all/--profile run families; give them without paths or --suite\n"
        )


def test_run_with_unreadable_shard_durations(proj: Path, capsys) -> None:
    _scenario_file(proj / "scenarios" / "a.yaml")
    bad = proj / "d.json"
    bad.write_text("[1, 2]")
    assert main(["run", "scenarios", "--shard", "1/2", "--shard-durations", str(bad)]) == 2
    assert capsys.readouterr().err.startswith("--shard-durations: ")


# --- run's helpers ---------------------------------------------------------------------------


def _args(**fields: Any) -> argparse.Namespace:
    base = {"suite": None, "tags": None, "keyword": None, "paths": []}
    base.update(fields)
    return argparse.Namespace(**base)


def test_default_paths(proj: Path) -> None:
    assert cli._default_paths(None) == []
    (proj / "features" / "x").mkdir(parents=True)
    (proj / "scenarios").mkdir()
    assert cli._default_paths(None) == ["scenarios", "features"]
    assert cli._default_paths("x") == ["features/x"]
    assert cli._paths_or_defaults([]) == ["scenarios", "features"]
    assert cli._paths_or_defaults(["a"]) == ["a"]


def test_paths_or_defaults_without_folders(proj: Path) -> None:
    assert cli._paths_or_defaults([]) == ["scenarios", "features"]


NO_CATALOG = (
    "the project has no use-case catalog of its own, so only the use cases its scenarios "
    "declare are judged"
)


def test_partial_because_names_every_selection(proj: Path) -> None:
    (proj / "scenarios").mkdir()
    args = _args(suite="s", tags="smoke", keyword="k", paths=["scenarios/x"])
    pytest_args = ["-k=a", "-m", "x", "--lf", "--deselect", "file.yaml::t", "-v", "--tb=short"]
    assert cli._partial_because(args, ["scenarios/x"], pytest_args) == [
        "--suite s",
        "--tags 'smoke'",
        "-k 'k'",
        "paths scenarios/x",
        "pytest -k=a -m --lf --deselect file.yaml::t",
        NO_CATALOG,
    ]


def test_a_full_run_is_not_partial(proj: Path) -> None:
    (proj / "scenarios").mkdir()
    (proj / "scenarios" / "use_cases.yaml").write_text("use_cases: []\n")
    args = _args(paths=["scenarios"])
    assert cli._partial_because(args, ["scenarios"], ["-v"]) == []
    for option in ("--sw", "--stepwise", "--sw-skip", "--stepwise-skip", "--last-failed"):
        assert cli._partial_because(_args(), [], [option]) == [f"pytest {option}"]


def test_shard_options_freeze_the_durations(tmp_path: Path) -> None:
    record = tmp_path / "r.json"
    assert cli._shard_options("1/2", None, tmp_path, record) == [
        "-p",
        "prism_scenarios.shard_plugin",
        "--prism-shard=1/2",
        f"--prism-shard-record={record}",
    ]
    frozen = (tmp_path / "shard-durations.json").resolve()
    assert not frozen.exists()
    options = cli._shard_options("2/2", {"b": 2, "a": 1}, tmp_path, record)
    assert options[-1] == f"--prism-shard-durations={frozen}"
    assert len(options) == 5
    assert frozen.read_text() == '{"a": 1, "b": 2}'


def test_shard_durations_sources(tmp_path: Path) -> None:
    given = tmp_path / "d.json"
    given.write_text(json.dumps({"t::a": 3}))
    args = argparse.Namespace(shard_durations=str(given))
    durations, source = cli._shard_durations(args, tmp_path / "reports")
    assert (durations, source) == ({"t::a": 3000}, str(given))  # seconds -> ms
    none = argparse.Namespace(shard_durations=None)
    reports = tmp_path / "reports"
    assert cli._shard_durations(none, reports) == (None, None)
    reports.mkdir()
    last = reports / "summary.json"
    last.write_text(json.dumps({"tests": [{"nodeid": "t::b", "duration": 0.5}]}))
    assert cli._shard_durations(none, reports) == ({"t::b": 500}, str(last))
    last.write_text(json.dumps({"tests": [{"nodeid": "t::b", "duration": "slow"}]}))
    assert cli._shard_durations(none, reports) == (None, str(last))


def test_print_shard(capsys) -> None:
    record = {"index": 2, "count": 3, "tests": 4, "suite_tests": 9, "balanced_by": "durations"}
    cli._print_shard(record, "d.json")
    cli._print_shard({**record, "balanced_by": "hash"}, "d.json")
    assert capsys.readouterr().out == (
        "shard 2/3: 4 of 9 tests (balanced by the durations in d.json)\n"
        "shard 2/3: 4 of 9 tests (balanced by node-id hash)\n"
    )


def test_read_json(tmp_path: Path) -> None:
    path = tmp_path / "x.json"
    assert cli._read_json(path) is None
    path.write_text("{bad")
    assert cli._read_json(path) is None
    path.write_text('{"a": [1]}')
    assert cli._read_json(path) == {"a": [1]}


def test_annotate_summary(tmp_path: Path) -> None:
    sampler = SimpleNamespace(
        started=1.0, elapsed=2.0, average_cpu_percent=3.0, peak_cpu_percent=4.0, peak_rss_mb=5.0
    )
    path = tmp_path / "summary.json"
    cli._annotate_summary(path, None, ["r"], None, sampler)
    assert not path.exists()
    path.write_text("[1]")
    cli._annotate_summary(path, None, ["r"], None, sampler)
    assert path.read_text() == "[1]"
    path.write_text('{"counts": {}}')
    cli._annotate_summary(path, {"index": 1}, ["why"], ["component"], sampler)
    assert json.loads(path.read_text()) == {
        "counts": {},
        "shard": {"index": 1},
        "partial_because": ["why"],
        "families": ["component"],
        "resources": {
            "started": 1.0,
            "elapsed": 2.0,
            "average_cpu_percent": 3.0,
            "peak_cpu_percent": 4.0,
            "peak_rss_mb": 5.0,
        },
    }
    cli._annotate_summary(path, None, [], None, sampler)
    assert "shard" in json.loads(path.read_text())  # kept from before, not added again


def test_exit_names() -> None:
    assert cli._exit_name(0) == "ok"
    assert cli._exit_name(1) == "tests failed"
    assert cli._exit_name(5) == "no tests collected"
    assert cli._exit_name(6) == "vulnerability at or above the threshold"
    assert cli._exit_name(42) == "unknown"
    assert (cli.VULNERABILITY_EXIT, cli.READINESS_EXIT, cli.CONFIG_EXIT) == (6, 7, 2)


def _readiness(score: float | None, ready: bool = False) -> SimpleNamespace:
    criteria = [SimpleNamespace(criterion="a", met=True), SimpleNamespace(criterion="b", met=False)]
    return SimpleNamespace(
        production_readiness_score=score, production_ready=ready, readiness_criteria=criteria
    )


def test_readiness_gate(capsys) -> None:
    assert cli._readiness_gate(_readiness(None), 0.9, "src") == 0
    assert capsys.readouterr().out == ""
    assert cli._readiness_gate(_readiness(0.5), 0.9, "conf.yaml") == 7
    assert capsys.readouterr().out == (
        "  production readiness: 50% (not ready: a ok, b no)\n"
        "readiness gate: 0.50 is below minimum_readiness_score 0.9 (conf.yaml) (exit 7)\n"
    )
    assert cli._readiness_gate(_readiness(0.9, True), 0.9, "c") == 0
    assert capsys.readouterr().out == "  production readiness: 90% (ready: a ok, b no)\n"
    assert cli._readiness_gate(_readiness(0.1), None, "c") == 0


def _finding(severity: str, test: str, asvs: list[str]) -> Any:
    from prism_scenarios.dto import FFSecurityFindingDTO

    return FFSecurityFindingDTO(
        test=test, name=test, severity=severity, allure_severity="x", asvs=asvs, outcome="failed"
    )


def test_vulnerability_gate(capsys) -> None:
    summary = SimpleNamespace(tests={})
    low = _finding("low", "t-low", [])
    high = _finding("high", "t-high", ["V5.1", "V5.2"])
    assert cli._vulnerability_gate(summary, [low], "medium", 1) == 1
    assert capsys.readouterr().out == ""
    assert cli._vulnerability_gate(summary, [low, high], "medium", 0) == 6
    assert capsys.readouterr().out == (
        "vulnerability gate: 1 vulnerability at or above medium (exit 6):\n"
        "  [high] t-high ASVS V5.1, V5.2\n"
    )
    assert cli._vulnerability_gate(summary, [low, high], "low", 0) == 6
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == "vulnerability gate: 2 vulnerabilities at or above low (exit 6):"
    assert sorted(lines[1:]) == ["  [high] t-high ASVS V5.1, V5.2", "  [low] t-low"]
    many = [_finding("critical", f"t{i:02d}", []) for i in range(14)]
    assert cli._vulnerability_gate(summary, many, "high", 0) == 6
    assert len(capsys.readouterr().out.splitlines()) == 1 + 12
    assert cli._vulnerability_gate(summary, None, "low", 3) == 3  # no security test ran


def test_write_formats_prints_what_it_wrote(tmp_path: Path, capsys) -> None:
    from prism_scenarios.dto import FFSystemIntegrationReportDTO

    report = FFSystemIntegrationReportDTO.model_validate(
        {
            "report_id": "r",
            "generation_timestamp": "g",
            "testing_period": "p",
            "total_tests_executed": 2,
            "tests_passed": 2,
            "tests_failed": 0,
            "tests_skipped": 0,
            "overall_success_rate": 100.0,
            "memory_layer_integration": True,
            "panel_session_integration": True,
            "rag_integration": True,
            "tool_execution_integration": True,
            "analytics_integration": True,
            "use_cases_validated": 0,
            "use_cases_passing": 0,
            "use_case_success_rate": 0.0,
            "use_case_results": [],
            "average_response_time_ms": 1.0,
            "peak_memory_usage_mb": 1.0,
            "peak_cpu_usage_percent": None,
            "throughput_rps": 1.0,
            "security_tests_passed": None,
            "vulnerabilities_found": None,
            "security_score": None,
            "migration_tests_passed": None,
            "data_integrity_validated": None,
            "rollback_procedures_validated": None,
            "system_stability_score": 1.0,
            "error_rate_percent": 0.0,
            "uptime_percent": None,
            "production_readiness_score": None,
        }
    )
    config = SimpleNamespace(report_output_formats=["json"])
    cli._write_formats(report, tmp_path, config, None)
    assert capsys.readouterr().out == (
        f"  integration report: {tmp_path}/ (system_integration_report.json)\n"
    )
    assert list(tmp_path.iterdir()) == []  # the JSON is written by the run, not here
    previous = report.model_copy(update={"tests_passed": 1})
    cli._write_formats(report, tmp_path, config, previous)
    assert capsys.readouterr().out.splitlines()[1] == (
        "  since the last run: Tests passed: 1 -> 2 (+1)"
    )
    cli._write_formats(report, tmp_path, config, report)
    assert capsys.readouterr().out.splitlines()[1] == "  since the last run: no change"


def test_merged_load_copies_the_newest_summary(tmp_path: Path, capsys, monkeypatch) -> None:
    from prism_scenarios import merge

    newest = tmp_path / "in" / "load_summary.json"
    newest.parent.mkdir()
    newest.write_text(json.dumps({"tests": [{"passed": True}, {"passed": False}]}))
    monkeypatch.setattr(merge, "newest_load_summary", lambda sources: sources[0])
    report_dir = tmp_path / "out"
    assert cli._merged_load([newest], report_dir) == 99
    assert (report_dir / "load" / "load_summary.json").read_text() == newest.read_text()
    assert capsys.readouterr().out == f"  load run: {newest} (2 load test(s))\n"
    newest.write_text(json.dumps({"tests": [{"passed": True}]}))
    assert cli._merged_load([newest], report_dir) == 0
    monkeypatch.setattr(merge, "newest_load_summary", lambda sources: None)
    assert cli._merged_load([newest], report_dir) is None


# --- validate, list --------------------------------------------------------------------------


def test_validate_and_list_take_the_given_paths(proj: Path, capsys) -> None:
    good = _scenario_file(proj / "scenarios" / "a.yaml")
    bad = proj / "scenarios" / "b.yaml"
    bad.write_text("scenarios:\n  - name: bad\n    steps:\n      - nosuch.action: {}\n")
    assert main(["validate", str(good)]) == 0
    assert main(["validate", str(bad)]) == 1
    assert f"{bad}:4: unknown action 'nosuch.action'" in capsys.readouterr().out
    assert main(["validate"]) == 1  # default paths: scenarios/ holds the bad file
    capsys.readouterr()
    assert main(["list", str(good)]) == 0
    assert "one" in capsys.readouterr().out


def test_list_use_cases_counts_the_declaring_files(proj: Path, capsys) -> None:
    path = proj / "scenarios" / "a.yaml"
    path.parent.mkdir()
    path.write_text(
        "use_case: basic_chat\nscenarios:\n  - name: one\n    steps:\n      - noop: {}\n"
    )
    assert main(["list", "--use-cases"]) == 0
    rows = {line.split()[0]: line.split()[-1] for line in capsys.readouterr().out.splitlines()}
    assert rows["basic_chat"] == "1" and rows["rag_chat"] == "0"


def test_list_use_cases_with_a_broken_catalog(proj: Path, capsys) -> None:
    (proj / "scenarios").mkdir()
    (proj / "scenarios" / "use_cases.yaml").write_text("use_cases: 3\n")
    assert main(["list", "--use-cases"]) == 1
    assert "use_cases.yaml" in capsys.readouterr().out


# --- _finish_run: the gates after pytest ----------------------------------------------------


def _finish(
    report_dir: Path,
    *,
    reasons: list[str],
    code: int = 0,
    load_code: int | None = None,
    flaky: int = 0,
    minimum: float | None = None,
    outcome: str = "passed",
    figures: dict[str, float] | None = None,
) -> int:
    from prism_scenarios.dto import FFIntegrationTestingConfigDTO
    from prism_scenarios.outcome import PROPERTY
    from prism_scenarios.summary import SummaryPlugin

    summary = SummaryPlugin(report_dir)
    node = "scenarios/a.yaml::one"
    summary.tests = {
        node: {
            "nodeid": node,
            "outcome": outcome,
            "duration": 0.1,
            "message": "",
            PROPERTY: None,
            "severity": None,
        }
    }
    resources = {"average_cpu_percent": None, "peak_cpu_percent": None, "peak_rss_mb": None}
    sampler = SimpleNamespace(elapsed=1.0, started=0.0, **{**resources, **(figures or {})})
    config = FFIntegrationTestingConfigDTO.model_validate(
        {"report_output_formats": ["json"], "minimum_readiness_score": minimum}
    )
    return cli._finish_run(
        argparse.Namespace(vulnerability_threshold=None, no_html=True),
        report_dir,
        report_dir / "allure-results",
        summary,
        sampler,
        reasons,
        code,
        config=config,
        source="conf.yaml",
        families_run=None,
        load_code=load_code,
        flaky=flaky,
    )


def test_finish_a_partial_run(proj: Path, capsys) -> None:
    report_dir = proj / "reports"
    assert _finish(report_dir, reasons=["why"], flaky=2) == 0
    out = capsys.readouterr().out
    folder = report_dir / "integration"
    assert f"  integration report: {folder}/ (system_integration_report.json)\n" in out
    assert "  2 test(s) passed only on a retry: marked flaky in Allure\n" in out
    assert "  (not rendered: --no-html)" in out
    assert "since the last run" not in out
    written = json.loads((folder / "system_integration_report.json").read_text())
    assert (written["run_scope"], written["total_tests_executed"]) == ("partial", 1)
    # a second run compares itself with the first
    assert _finish(report_dir, reasons=["why"]) == 0
    out = capsys.readouterr().out
    assert "  since the last run: " in out  # the resource figures differ between runs
    assert "passed only on a retry" not in out


def test_finish_returns_the_load_code_only_when_the_tests_passed(proj: Path, capsys) -> None:
    assert _finish(proj / "r1", reasons=["why"], load_code=99) == 99
    assert _finish(proj / "r2", reasons=["why"], load_code=99, code=1, outcome="failed") == 1
    assert _finish(proj / "r3", reasons=["why"], load_code=0) == 0


def test_finish_a_full_run_below_the_readiness_minimum(proj: Path, capsys) -> None:
    assert _finish(proj / "r", reasons=[], minimum=0.99) == 7
    out = capsys.readouterr().out
    assert "is below minimum_readiness_score 0.99 (conf.yaml) (exit 7)" in out
    assert _finish(proj / "r2", reasons=[], minimum=0.99, code=1, outcome="failed") == 1
    assert _finish(proj / "r3", reasons=[], minimum=None) == 0


# --- report DIR DIR: merging runs -----------------------------------------------------------


def _run_folder(folder: Path, nodeid: str, outcome: str = "passed") -> Path:
    (folder / "allure-results").mkdir(parents=True)
    test = {"nodeid": nodeid, "outcome": outcome, "duration": 0.5, "message": ""}
    (folder / "summary.json").write_text(json.dumps({"elapsed_seconds": 2.5, "tests": [test]}))
    return folder


def _json_only_config(proj: Path) -> Path:
    conf = proj / "conf.yaml"
    conf.write_text("report_output_formats: [json]\n")
    return conf


def test_report_merges_two_runs(proj: Path, capsys) -> None:
    a = _run_folder(proj / "a", "scenarios/a.yaml::one")
    b = _run_folder(proj / "b", "scenarios/b.yaml::two", "failed")
    for folder, rss in ((a, 77.7), (b, 33.3)):
        data = json.loads((folder / "summary.json").read_text())
        data["resources"] = {"peak_rss_mb": rss}
        (folder / "summary.json").write_text(json.dumps(data))
    out = proj / "merged"
    conf = _json_only_config(proj)
    argv = ["report", "--no-html", "--config", str(conf), "--report-dir", str(out)]
    assert main([*argv, str(a), str(b)]) == 1  # a test failed
    text = capsys.readouterr().out
    assert f"merged 2 input(s) into {out}: 2 tests\n" in text
    summary = json.loads((out / "summary.json").read_text())
    assert summary["counts"] == {"passed": 1, "failed": 1}
    assert summary["exit_status"] == 1
    assert summary["merged_from"] == [str(a), str(b)]
    assert summary["elapsed_seconds"] == 2.5  # the longest input's
    assert summary["resources"]["elapsed"] == 2.5
    assert sorted(t["nodeid"] for t in summary["tests"]) == [
        "scenarios/a.yaml::one",
        "scenarios/b.yaml::two",
    ]
    written = json.loads((out / "integration" / "system_integration_report.json").read_text())
    assert written["peak_memory_usage_mb"] == 77.7  # the inputs' highest peak
    (b / "summary.json").write_text(
        json.dumps({"tests": [{"nodeid": "x::y", "outcome": "passed", "duration": 1.0}]})
    )
    assert main([*argv, str(a), str(b)]) == 0
    assert "merged 2 input(s)" in capsys.readouterr().out


def test_report_refuses_what_cannot_be_merged(proj: Path, capsys) -> None:
    a = _run_folder(proj / "a", "scenarios/a.yaml::one")
    assert main(["report", str(a), str(proj / "nowhere")]) == 2
    assert capsys.readouterr().err == f"cannot merge: {proj / 'nowhere'}: no such folder\n"
    bad = proj / "conf.yaml"
    bad.write_text("no_such_key: 1\n")
    assert main(["report", "--config", str(bad), str(a), str(a)]) == 2
    assert capsys.readouterr().err.startswith("invalid run configuration, nothing merged:\n")


# --- fuzz ------------------------------------------------------------------------------------


def test_fuzz_a_real_action_finds_nothing(proj: Path, capsys) -> None:
    pytest.importorskip("hypothesis")
    out = proj / "o"
    argv = ["fuzz", "--action", "noop", "--examples", "2", "--seed", "3", "--out", str(out)]
    assert main(argv) == 0
    assert capsys.readouterr().out == (
        "prism-scenarios fuzz: seed 3, 2 examples per action (reproduce with --seed 3)\n"
        "0 finding(s)\n"
    )
    assert not out.exists()


def test_fuzz_reports_findings_and_passes_its_options(proj: Path, capsys, monkeypatch) -> None:
    """The fuzz engine is this command's edge: a stand-in returns two findings."""
    pytest.importorskip("hypothesis")
    from prism_scenarios import fuzz

    calls: list[tuple] = []

    def engine(actions, *, examples, seed, out_dir):
        calls.append((actions, examples, seed, out_dir))
        return ["f1", "f2"]

    monkeypatch.setattr(fuzz, "fuzz", engine)
    assert main(["fuzz", "--examples", "4", "--seed", "9", "--out", "found"]) == 1
    assert calls == [(None, 4, 9, Path("found"))]
    assert capsys.readouterr().out.splitlines()[-1] == ("2 finding(s); scenarios written to found/")
    assert main(["fuzz", "--action", "a", "--action", "b"]) == 1
    assert calls[-1] == (["a", "b"], 25, 0, Path("reports/fuzz"))


# --- steps --match keywords, actions of one component ----------------------------------------


def _only(kind: str, text: str) -> Any:
    from prism_scenarios import step_catalog

    (sentence,) = [s for s in step_catalog.sentences() if s.text == text]
    assert sentence.kinds == (kind,)
    return sentence


@pytest.mark.parametrize(
    ("step", "found"),
    [
        ("Given the analytics system is initialised", True),
        ("given the analytics system is initialised", True),
        ("And the analytics system is initialised", True),  # any keyword's sentence
        ("but the analytics system is initialised", True),
        ("the analytics system is initialised", True),  # no keyword: the whole line
        ("When the analytics system is initialised", False),  # a Given sentence
        ("Then the analytics system is initialised", False),
    ],
)
def test_steps_match_by_keyword(proj: Path, capsys, step: str, found: bool) -> None:
    from prism_scenarios import step_catalog

    sentence = _only("given", "the analytics system is initialised")
    assert main(["steps", "--match", step]) == (0 if found else 1)
    out = capsys.readouterr().out
    if found:
        assert out == "\n".join(step_catalog.describe(sentence)) + "\n"
    else:
        assert out.startswith(f"no sentence matches: {step}\n")


def test_steps_match_when_and_then(proj: Path, capsys) -> None:
    _only("when", "the metrics are collected")
    assert main(["steps", "--match", "When the metrics are collected"]) == 0
    _only("then", "the load meets its thresholds")
    assert main(["steps", "--match", "Then the load meets its thresholds"]) == 0
    assert main(["steps", "--match", "Given the load meets its thresholds"]) == 1


def test_actions_of_one_component_in_markdown(proj: Path, capsys) -> None:
    from prism_scenarios.catalog import catalog_markdown, catalog_text

    assert main(["actions", "--markdown", "--component", "memory"]) == 0
    assert capsys.readouterr().out == catalog_markdown("memory") + "\n"
    assert main(["actions", "--component", "memory"]) == 0
    assert capsys.readouterr().out == catalog_text("memory") + "\n"
    assert catalog_markdown("memory") != catalog_markdown(None)


def test_finish_reports_the_samplers_figures(proj: Path, capsys) -> None:
    report_dir = proj / "reports"
    figures = {"peak_rss_mb": 123.44, "peak_cpu_percent": 55.55, "average_cpu_percent": 22.22}
    assert _finish(report_dir, reasons=["why"], figures=figures) == 0
    written = json.loads(
        (report_dir / "integration" / "system_integration_report.json").read_text()
    )
    assert (
        written["peak_memory_usage_mb"],
        written["peak_cpu_usage_percent"],
        written["average_cpu_usage_percent"],
    ) == (123.4, 55.5, 22.2)


def test_report_merges_allure_results_without_summaries(proj: Path, capsys) -> None:
    for name in ("a", "b"):
        results = proj / name / "allure-results"
        results.mkdir(parents=True)
        test = {"uuid": name, "name": name, "status": "passed", "historyId": name}
        (results / f"{name}-result.json").write_text(json.dumps(test))
    out = proj / "merged"
    argv = ["report", "--no-html", "--report-dir", str(out), str(proj / "a"), str(proj / "b")]
    assert main(argv) == 0
    assert capsys.readouterr().out.endswith(
        f"merged the Allure results of 2 folder(s) into {out / 'allure-results'} (no "
        "summary.json among them, so no integration report)\n"
    )
    assert sorted(p.name for p in (out / "allure-results").glob("*-result.json")) == [
        "a-result.json",
        "b-result.json",
    ]
    assert [p.name for p in out.iterdir()] == ["allure-results"]


def test_fuzz_without_its_extra(proj: Path, capsys, monkeypatch) -> None:
    import sys

    monkeypatch.setitem(sys.modules, "prism_scenarios.fuzz", None)  # as if not installed
    assert main(["fuzz"]) == 2
    assert capsys.readouterr().err == (
        "fuzz needs prism_scenarios.fuzz (pip install 'prism-scenarios[fuzz]')\n"
    )
