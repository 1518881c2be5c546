"""Runner behaviours pinned exactly, in-process:
loader problem locations, threshold percentiles, load-summary choice, world managers, the
CLI's smoke profile and report merging, item locations, Gherkin adoption, validate's bound
features, the load command, segments and process channel, action loading, telemetry and
refused attack steps."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from types import SimpleNamespace

import pytest

from flatfile_chat.errors import ValidationError
from prism_scenarios import merge, project
from prism_scenarios.actions.registry import ActionRegistry, Params, action, load_actions
from prism_scenarios.errors import ScenarioFileError
from prism_scenarios.load import thresholds
from prism_scenarios.loader import load_file
from prism_scenarios.merge import Source
from prism_scenarios.world import World

load_actions()  # before any in-process pytest run (see test_plugin_inprocess.py)

MATCHER_LIST = (
    "equals, not_equals, contains, not_contains, matches, length, gt, ge, lt, le, type, "
    "schema, is_null"
)


def _problems(tmp_path: Path, text: str) -> list[str]:
    path = tmp_path / "case.yaml"
    path.write_text(text)
    with pytest.raises(ScenarioFileError) as err:
        load_file(path, display="case.yaml")
    return err.value.problems


# --- loader: each problem names the line it is about ----------------------------------------


def test_a_step_that_is_not_a_mapping_is_reported_on_its_line(tmp_path: Path) -> None:
    problems = _problems(tmp_path, "scenarios:\n  - name: a\n    steps:\n      - just text\n")
    assert "case.yaml:4: a step is a mapping with one action, got str" in problems


def test_an_unknown_action_s_expectations_are_still_checked_on_their_line(
    tmp_path: Path,
) -> None:
    problems = _problems(
        tmp_path,
        "scenarios:\n  - name: a\n    steps:\n      - nosuch.act: {}\n"
        "        expect:\n          - {path: a, bogus: 1}\n",
    )
    assert problems[1] == (f"case.yaml:6: unknown matcher 'bogus' (allowed: path, {MATCHER_LIST})")


def test_an_expectation_without_a_matcher_is_reported_on_its_own_line(tmp_path: Path) -> None:
    problems = _problems(
        tmp_path,
        "scenarios:\n  - name: a\n    steps:\n      - noop: {}\n        expect:\n"
        "          - path: a\n",
    )
    assert problems == [f"case.yaml:6: expectation has no matcher (allowed: {MATCHER_LIST})"]


# --- load thresholds: a percentile is any number in (0, 100] ---------------------------------


def test_a_percentile_below_one_is_allowed_and_zero_is_not() -> None:
    assert thresholds.parse("iterations", "p(0.5)<50") is not None
    assert thresholds.parse("iterations", "p(100)<50") is not None
    for bad in ("p(0)<50", "p(100.5)<50"):
        with pytest.raises(thresholds.ThresholdSyntaxError, match=r"must be in \(0, 100\]"):
            thresholds.parse("iterations", bad)


# --- merge: the newest load summary, an undated one counting as oldest -----------------------


def test_an_undated_load_summary_loses_to_a_dated_one(tmp_path: Path) -> None:
    undated = tmp_path / "undated.json"
    undated.write_text("{}")
    dated = tmp_path / "dated.json"
    dated.write_text(json.dumps({"generated": 5}))
    sources = [Source(Path(p.stem), tmp_path, None, None, p) for p in (undated, dated)]
    assert merge.newest_load_summary(sources) == dated
    assert merge.newest_load_summary(sources[::-1]) == dated


# --- world: an unknown component names the known ones --------------------------------------


def test_an_unknown_component_manager_lists_the_known_factories() -> None:
    load_actions()  # the built-in action modules register their component factories
    world = World()
    try:
        with pytest.raises(KeyError) as err:
            world.manager("no-such-component")
        message = err.value.args[0]
        assert message.startswith("no component factory for 'no-such-component' (known: ")
        known = message.removeprefix(
            "no component factory for 'no-such-component' (known: "
        ).removesuffix(")")
        names = known.split(", ")
        assert "analytics" in names and names == sorted(names)
    finally:
        asyncio.run(world.aclose())


# --- the CLI: the smoke profile selects smoke-tagged scenarios --------------------------------


@pytest.fixture
def proj(project_dir: Path) -> Path:
    """A project asking for the JSON report only, as the working directory."""
    (project_dir / "prism-scenarios.yaml").write_text("report_output_formats: [json]\n")
    return project_dir


def test_the_smoke_profile_runs_only_the_smoke_tagged_scenarios(proj: Path, capsys) -> None:
    from prism_scenarios.cli import main

    (proj / "scenarios").mkdir()
    (proj / "scenarios" / "a.yaml").write_text(
        "scenarios:\n"
        "  - name: quick\n    tags: [smoke]\n    steps:\n      - noop: {}\n"
        "  - name: slow\n    steps:\n      - noop: {}\n"
    )
    assert main(["run", "--no-html", "-n", "0", "--profile", "smoke"]) == 0
    summary = json.loads((proj / "reports" / "summary.json").read_text())
    assert [t["nodeid"] for t in summary["tests"]] == ["scenarios/a.yaml::quick"]
    assert summary["counts"] == {"passed": 1}


# --- the CLI: report DIR DIR merges load verdicts, flaky tests and partial reasons ----------


def _run_folder(folder: Path, tests: list[dict]) -> Path:
    (folder / "allure-results").mkdir(parents=True)
    (folder / "summary.json").write_text(json.dumps({"elapsed_seconds": 1.0, "tests": tests}))
    return folder


def test_report_merges_the_load_verdict_the_flaky_count_and_the_partial_reasons(
    proj: Path, capsys
) -> None:
    from prism_scenarios.cli import main

    test = {"duration": 0.5, "message": "", "outcome": "passed"}
    a = _run_folder(proj / "a", [{**test, "nodeid": "scenarios/a.yaml::one", "flaky": True}])
    b = _run_folder(proj / "b", [{**test, "nodeid": "scenarios/b.yaml::two"}])
    (b / "load").mkdir()
    load_test = {
        "name": "p",
        "profile": None,
        "passed": False,
        "metrics": {"iterations": {"avg_ms": 2.0, "count": 4}},
        "elapsed_seconds": 1.0,
        "started": 4,
    }
    load = {"generated": 1, "tests": [load_test]}
    (b / "load" / "load_summary.json").write_text(json.dumps(load))
    out = proj / "merged"
    argv = ["report", "--no-html", "--report-dir", str(out), str(a), str(b)]
    assert main(argv) == 99  # the tests passed; the newest load run breached a threshold
    text = capsys.readouterr().out
    assert f"  load run: {b / 'load' / 'load_summary.json'} (1 load test(s))\n" in text
    assert "  1 test(s) passed only on a retry: marked flaky in Allure\n" in text
    summary = json.loads((out / "summary.json").read_text())
    assert summary["partial_because"] == ["merged 2 runs that are not shards of one run"]


# --- the pytest plugin: an item's location is its scenario's line -------------------------


def test_a_scenario_item_s_location_is_the_line_of_its_name(pytester: pytest.Pytester) -> None:
    from prism_scenarios import settings

    settings.load.cache_clear()
    pytester.makeini("[pytest]\naddopts = -p no:cacheprovider -p no:randomly\n")
    pytester.makeconftest('pytest_plugins = ["prism_scenarios.pytest_plugin"]\n')
    (pytester.path / "pyproject.toml").write_text("[project]\nname = 'p'\n")
    (pytester.path / "scenarios").mkdir()
    (pytester.path / "scenarios" / "a.yaml").write_text(
        "scenarios:\n"  # line 1
        "  - name: first\n"  # line 2
        "    steps: [{noop: {}}]\n"
        "\n"
        "  - name: second\n"  # line 5
        "    steps: [{noop: {}}]\n"
    )
    try:
        items, _ = pytester.inline_genitems("scenarios")
        # pytest's locations count lines from 0: line 2 of the file is 1
        assert [(item.name, item.location) for item in items] == [
            ("first", ("scenarios/a.yaml", 1, "scenario: first")),
            ("second", ("scenarios/a.yaml", 4, "scenario: second")),
        ]
    finally:
        settings.load.cache_clear()


# --- the migration validator: a census that differs names its check ------------------------


def test_a_census_that_differs_after_the_migration_names_the_failed_check(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from flatfile_chat.migration.engine import Migrator
    from flatfile_chat.migration.generators import generate
    from prism_scenarios.migration_validator import FFMigrationValidator

    real = Migrator.apply

    def miscounted(self: Migrator):
        report = real(self)
        report.counts_after = {**report.counts_after, "stray": 1}
        return report

    monkeypatch.setattr(Migrator, "apply", miscounted)
    base = tmp_path / "data"
    generate("G1", base, users=1, sessions_per_user=1, messages_per_session=2)
    validator = FFMigrationValidator(base_path=base)
    result = asyncio.run(validator.validate_existing_data_migration())
    read = validator.details["verify"]["read_back"]
    assert result["issues_found"] == [
        "data integrity check failed: every collection counts the same before and after "
        f"(read back: {read})"
    ]
    assert result["migration_statistics"]["data_integrity_score"] == round(5 / 6, 4)


# --- migration verdicts: the note says how each field is judged ------------------------------


def test_the_migration_note_explains_the_verdicts_exactly() -> None:
    from prism_scenarios.use_cases.migration import migration_verdicts

    verdicts = migration_verdicts(
        [{"nodeid": "scenarios/migration/m.yaml::a", "outcome": "passed"}]
    )
    assert verdicts["migration_tests_passed"] is True
    assert verdicts["notes"] == {
        "migration": "migration_tests_passed: every scenario of the migration suite passed; "
        "data_integrity_validated / rollback_procedures_validated: every one of them tagged "
        "data_integrity / rollback passed (xfailed counts as not passed)",
        "data_integrity_validated": "data_integrity_validated is null: no scenario of the "
        "migration suite tagged data_integrity ran",
        "rollback_procedures_validated": "rollback_procedures_validated is null: no scenario "
        "of the migration suite tagged rollback ran",
    }


# --- validate: bound features are checked against the project's own steps -------------------

BOUND_FEATURE = """\
Feature: Bound
  Scenario: custom
    Given the project's own step runs
    Then nobody defined this step
"""

BINDING = """\
from pytest_bdd import given, scenarios

scenarios("bound.feature")


@given("the project's own step runs")
def _own_step():
    pass
"""


def test_a_bound_feature_reports_only_its_truly_undefined_step_with_its_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from prism_scenarios.validate import undefined_steps

    folder = tmp_path / "bound_suite_for_validate"
    folder.mkdir()
    (folder / "bound.feature").write_text(BOUND_FEATURE)
    (folder / "test_bound_suite_for_validate.py").write_text(BINDING)
    monkeypatch.chdir(tmp_path)
    lines, _, unreadable = undefined_steps([folder / "bound.feature"], collect_from=[folder])
    assert unreadable == []
    undefined = [line for line in lines if "undefined step" in line]
    assert undefined == [
        "bound_suite_for_validate/bound.feature:4: undefined step: Then nobody defined this step"
    ]


# --- load: --profile chooses the file's profile ----------------------------------------------


def test_the_load_command_runs_the_chosen_profile(
    proj: Path, capsys, monkeypatch: pytest.MonkeyPatch
) -> None:
    import argparse

    from prism_scenarios.load import command
    from prism_scenarios.load.executors import LoadRunError

    (proj / "scenarios").mkdir()
    (proj / "scenarios" / "ok.yaml").write_text(
        "scenarios:\n  - name: x\n    steps: [{noop: {}}]\n"
    )
    load = proj / "l.yaml"
    load.write_text(
        "name: l\nmix: [{scenario: x}]\nmodel: {type: open, rate: 5, duration: 1s}\n"
        "profiles:\n  gentle: {model: {rate: 2}}\n"
    )
    seen = []

    def stop(plan, **_: object):
        seen.append(plan)
        raise LoadRunError("stopped before running")

    monkeypatch.setattr(command, "run_plan", stop)
    args = argparse.Namespace(
        files=[str(load)],
        profile="gentle",
        quick=False,
        workers=None,
        report_dir=str(proj / "reports"),
        dask=None,
        no_progress=True,
    )
    assert command.run(args) == command.RUN_EXIT
    [plan] = seen
    assert (plan.profile, plan.model.rate) == ("gentle", 2)
    assert capsys.readouterr().err == "load run 'l' failed: stopped before running\n"


# --- load: Allure results of a run whose thresholds held but some iterations failed ---------


def test_iteration_failures_alone_make_the_whole_allure_message(proj: Path) -> None:
    from prism_scenarios.load import load_plan
    from prism_scenarios.load.metrics import Metrics
    from prism_scenarios.load.report import write_allure
    from prism_scenarios.load.results import LoadResult

    (proj / "scenarios").mkdir()
    (proj / "scenarios" / "ok.yaml").write_text(
        "scenarios:\n  - name: x\n    steps: [{noop: {}}]\n"
    )
    load = proj / "l.yaml"
    load.write_text("name: l\nmix: [{scenario: x}]\nmodel: {type: open, rate: 5, duration: 1s}\n")
    plan = load_plan(load)
    plan.thresholds = []
    sample = {"scenario": "x", "error": "ValueError", "message": "boom"}
    result = LoadResult(
        plan=plan,
        metrics=Metrics(),
        segments=[],
        elapsed=1.0,
        planned=5,
        started=5,
        dropped=0,
        late=0,
        errors={"ValueError": 1},
        samples=[sample],
        cpu_percent=None,
        cpu_percent_one_core=None,
        peak_rss_mb=None,
        executor="local",
    )
    assert result.passed
    out = proj / "allure"
    write_allure(result, out, started=0.0)
    [written] = [json.loads(p.read_text()) for p in out.glob("*-result.json")]
    assert written["statusDetails"]["message"] == "iteration failures:\n- x: ValueError: boom"


# --- load segments: expected errors pass, live snapshots are not final -----------------------


def test_a_segment_honours_raises_and_marks_only_its_last_snapshot_final(
    proj: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from prism_scenarios.load import load_plan, segment

    (proj / "scenarios").mkdir()
    (proj / "scenarios" / "ok.yaml").write_text(
        "scenarios:\n  - name: refused\n    steps:\n"
        "      - analytics.active_alerts: {severity: urgent}\n"
        "        raises: {error: ValidationError, message: severity}\n"
    )
    load = proj / "l.yaml"
    load.write_text(
        "name: l\nmix: [{scenario: refused}]\nmodel: {type: open, rate: 10, duration: 1s}\n"
    )
    plan = load_plan(load)
    monkeypatch.setattr(segment, "SNAPSHOT_SECONDS", 0.05)
    snapshots: list[dict] = []
    result = segment.run_segment(plan, 0, 1, segment.SoloChannel(snapshots.append))
    assert result["started"] > 0
    assert (result["errors"], result["samples"]) == ({}, [])  # the expected error is a pass
    assert len(snapshots) >= 2
    assert [s["final"] for s in snapshots] == [False] * (len(snapshots) - 1) + [True]


# --- load processes: the queue channel speaks the coordinator's messages --------------------


def test_the_process_channel_carries_ready_snapshot_start_and_stop() -> None:
    import multiprocessing

    from prism_scenarios.load import executors

    channel = executors._QueueChannel(multiprocessing.get_context("spawn"))
    channel.ready(1)
    assert channel.out.get(timeout=5) == ("ready", 1, None)
    snapshot = {"index": 1, "final": False}
    channel.publish(snapshot)
    assert channel.out.get(timeout=5) == ("snapshot", 1, snapshot)
    executors._set(channel.start, 123.5)
    channel.go.set()
    assert channel.start_at() == 123.5
    assert not channel.stop_requested()
    channel.stop.set()
    assert channel.stop_requested()


def test_the_coordinator_starts_the_run_once_every_worker_is_ready() -> None:
    import multiprocessing

    from prism_scenarios.load import executors

    channel = executors._QueueChannel(multiprocessing.get_context("spawn"))
    starts: list[float] = []
    channel.ready(0)
    channel.ready(1)
    for index in (0, 1):
        channel.out.put(("result", index, {"index": index}))
    results = executors._coordinate(
        2,
        channel.out.get,
        SimpleNamespace(show=lambda force=False: None, done=lambda: None),
        go=starts.append,
        stop=channel.stop.set,
        alive=lambda: True,
    )
    assert results == [{"index": 0}, {"index": 1}]
    assert len(starts) == 1


# --- action loading: the project's own action modules import from its root -----------------


def test_configured_action_modules_import_from_the_project_root(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import sys

    from prism_scenarios import settings
    from prism_scenarios.actions import registry

    module = "prism_runner_test_own_actions"
    (tmp_path / "pyproject.toml").write_text(
        f"[project]\nname = 'p'\n\n[tool.prism-scenarios]\naction_modules = ['{module}']\n"
    )
    (tmp_path / f"{module}.py").write_text("LOADED = True\n")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(project, "_root", None)
    monkeypatch.setattr(sys, "path", [p for p in sys.path if p not in ("", str(tmp_path))])
    monkeypatch.setattr(registry, "_loaded", False)
    monkeypatch.delitem(sys.modules, module, raising=False)
    settings.load.cache_clear()
    try:
        registry.load_actions()
        assert sys.modules[module].LOADED is True
        assert sys.path[0] == str(tmp_path)
    finally:
        sys.modules.pop(module, None)
        settings.load.cache_clear()


# --- Gherkin scenarios: adopted with their use case and Allure's parent suite ---------------

TAGGED_FEATURE = """\
@use_case:basic_chat @component:storage
Feature: Tagged
  Scenario: a user exists
    Given user "alice" exists
"""


def test_a_gherkin_scenario_carries_its_use_case_and_parent_suite(
    recording_project: pytest.Pytester,
) -> None:
    pytester = recording_project
    suite = pytester.path / "features" / "chat"
    suite.mkdir(parents=True)
    (suite / "tagged.feature").write_text(TAGGED_FEATURE)
    (suite / "test_chat_features.py").write_text(
        'from pytest_bdd import scenarios\n\nscenarios(".")\n'
    )
    result = pytester.runpytest_inprocess("--alluredir", "allure", "features")
    result.assert_outcomes(passed=1)
    seen = json.loads((pytester.path / "seen.json").read_text())
    [record] = seen.values()
    assert (record["use_case"], record["name"]) == ("basic_chat", "a user exists")
    [written] = [
        json.loads(p.read_text()) for p in (pytester.path / "allure").glob("*-result.json")
    ]
    labels = {(label["name"], label["value"]) for label in written["labels"]}
    assert {("parentSuite", "Gherkin features"), ("suite", "chat"), ("story", "basic_chat")} <= (
        labels
    )


# --- the engine: telemetry names the step; a refused attack skips its expectations ----------


def test_telemetry_audit_lines_name_the_action_and_the_step() -> None:
    from prism_scenarios.engine import ScenarioRun

    with ScenarioRun(telemetry=True) as run:
        run.step("user.create", {"user_id": "alice"}, where="t:1")
        run.step("clock.advance", {"minutes": 1}, where="t:2")  # runner action: no telemetry
        run.step("session.create", {"user_id": "alice"}, where="t:3")
        audit = [e for e in run.world.audit.entries() if e["event_type"] == "action_performed"]
        assert [e["details"] for e in audit] == [
            {"action": "user.create", "step": 1},
            {"action": "session.create", "step": 3},
        ]


class ProbeText(Params):
    text: str = ""


_probes = ActionRegistry()


@action("probe.deny", component="runner", registry=_probes)
async def deny(world, p: ProbeText) -> dict:
    """Refuses in its result, as tools.execute does."""
    return {"success": False, "denial_reason": "not allowed"}


@action("probe.reject", component="runner", registry=_probes)
async def reject(world, p: ProbeText) -> str:
    """Refuses with a domain error."""
    raise ValidationError(f"refused {p.text!r}")


def _refusing_registry() -> ActionRegistry:
    registry = ActionRegistry()
    for act in [*load_actions(), *_probes]:
        registry.register(act)
    return registry


@pytest.mark.parametrize("name", ["probe.deny", "probe.reject"])
def test_a_refused_attack_step_skips_its_expectations(tmp_path: Path, name: str) -> None:
    from prism_scenarios.engine import ScenarioRun

    registry = _refusing_registry()
    path = tmp_path / "attack.yaml"
    path.write_text(
        "scenarios:\n  - name: probe\n    attack: {payload: [xss]}\n    steps:\n"
        f"      - {name}: {{text: '${{payload}}'}}\n"
        "        attack_outcome: refused\n"
        "        expect: [{path: text, equals: never checked}]\n"
    )
    spec = load_file(path, registry=registry, display="attack.yaml", scan_depth="basic")
    for scenario in spec.scenarios:
        run = ScenarioRun(
            config=scenario.config,
            variables=scenario.variables,
            registry=registry,
            attack=scenario.attack,
            invariants=scenario.invariants,
        )
        try:
            for step in scenario.steps:
                run.step(
                    step.action,
                    step.params,
                    where=step.where,
                    expect=step.expect,
                    attack_outcome=step.attack_outcome,
                )
        finally:
            run.close()
        assert run.record.steps[-1].action == name
