"""The full pytest plugin in-process (prism_scenarios.pytest_plugin): which YAML files become
items, tags as registered markers, skip/xfail, an invalid file's one failing item, failure
reports without tracebacks, and the record each item carries."""

from __future__ import annotations

import json
from pathlib import Path
from types import SimpleNamespace

import pytest

# loaded before any in-process run: modules first imported inside one are dropped from
# sys.modules when it ends (pytester's snapshot), and a later run would import a second copy
from prism_scenarios import allure_bridge, engine, loader, pytest_plugin, settings
from prism_scenarios.actions.registry import load_actions
from prism_scenarios.outcome import OUTCOME_KEY

# The built-in actions load while this module is collected, before any pytester fixture takes
# its sys.modules snapshot (a module first imported inside an in-process run is dropped when it
# ends, and later tests could no longer resolve the output models' type hints).
load_actions()

SCENARIOS = """\
use_case: basic_chat
tags: [smoke, memory]
scenarios:
  - name: passes
    tags: [z_last]
    steps:
      - user.create: {user_id: alice}
      - user.get: {user_id: alice}
  - name: fails on purpose
    steps:
      - expect.value: {value: 2}
        expect: [{equals: 3}]
  - name: known bug
    xfail: two is not three
    steps:
      - expect.value: {value: 2}
        expect: [{equals: 3}]
  - name: not today
    skip: waiting
    steps: [{noop: {}}]
"""

NO_KEY = """\
steps_only: true
"""


@pytest.fixture
def project(recording_project: pytest.Pytester) -> pytest.Pytester:
    pytester = recording_project
    (pytester.path / "scenarios").mkdir()
    (pytester.path / "scenarios" / "chat.yaml").write_text(SCENARIOS)
    (pytester.path / "scenarios" / "notes.yml").write_text(NO_KEY)
    yield pytester
    settings.load.cache_clear()


def _seen(pytester: pytest.Pytester) -> dict:
    return json.loads((pytester.path / "seen.json").read_text())


def test_a_scenario_file_becomes_items_with_outcomes_and_records(
    project: pytest.Pytester,
) -> None:
    result = project.runpytest_inprocess("-rA")
    result.assert_outcomes(passed=1, failed=1, xfailed=1, skipped=1)
    out = result.stdout.str()
    assert "scenarios/chat.yaml:11: step 1 `expect.value` expectation failed" in out
    assert "Traceback" not in out and "def runtest" not in out
    seen = _seen(project)
    passed = seen["scenarios/chat.yaml::passes"]
    assert passed == {
        "use_case": "basic_chat",
        "source": "scenarios/chat.yaml",
        "name": "passes",
        "components": ["storage"],
        "steps": 2,
        "duration": passed["duration"],
        "tags": ["memory", "smoke", "z_last"],
        "severity": "normal",
    }
    assert passed["duration"] > 0
    assert seen["scenarios/chat.yaml::fails on purpose"]["steps"] == 1


def test_tags_and_the_use_case_are_markers(project: pytest.Pytester) -> None:
    project.runpytest_inprocess("--strict-markers", "-m", "smoke and z_last").assert_outcomes(
        passed=1
    )
    project.runpytest_inprocess(
        "--strict-markers", "-m", "use_case_basic_chat and not z_last and not scenario"
    ).assert_outcomes()
    result = project.runpytest_inprocess("--markers")
    result.stdout.fnmatch_lines(
        [
            "@pytest.mark.scenario: a YAML or Gherkin scenario",
        ]
    )


def test_a_file_without_the_key_is_collected_only_when_named(project: pytest.Pytester) -> None:
    (project.path / "scenarios" / "named.yaml").write_text(
        "- not a mapping: this is collected only because it was named\n"
    )
    result = project.runpytest_inprocess("--co", "-q", "scenarios")
    assert "named.yaml" not in result.stdout.str()
    assert "notes.yml" not in result.stdout.str()
    named = project.runpytest_inprocess("scenarios/named.yaml")
    named.assert_outcomes(failed=1)
    out = named.stdout.str()
    assert (
        "_\n"  # the end of the section header
        "scenario error: invalid scenario file, nothing in it ran:\n"
        "scenarios/named.yaml:1: a scenario file is a mapping with a 'scenarios' list\n"
    ) in out  # the failure shows the error's text and nothing else
    assert "scenarios/named.yaml::<invalid scenario file>" in out
    absolute = project.runpytest_inprocess(str(project.path / "scenarios" / "named.yaml"))
    absolute.assert_outcomes(failed=1)
    seen = _seen(project)
    assert seen["scenarios/named.yaml::<invalid scenario file>"] == {
        "use_case": None,
        "source": str(project.path / "scenarios" / "named.yaml"),
        "name": "<invalid scenario file>",
        "components": [],
        "steps": 0,
        "duration": 0.0,
        "tags": [],
        "severity": None,
    }


def test_an_invalid_file_keeps_its_declared_use_case(project: pytest.Pytester) -> None:
    (project.path / "scenarios" / "bad.yaml").write_text(
        "use_case: rag_chat\nscenarios:\n  - name: x\n    steps:\n      - user.creat: {}\n"
    )
    result = project.runpytest_inprocess("scenarios/bad.yaml", "-rf")
    result.assert_outcomes(failed=1)
    assert "scenarios/bad.yaml:5: unknown action 'user.creat'" in result.stdout.str()
    assert _seen(project)["scenarios/bad.yaml::<invalid scenario file>"]["use_case"] == "rag_chat"
    assert "Traceback" not in result.stdout.str()


def test_excluded_files_are_not_collected(project: pytest.Pytester) -> None:
    (project.path / "pyproject.toml").write_text(
        "[project]\nname = 'p'\n[tool.prism-scenarios]\nscenario_exclude = ['scenarios/chat*']\n"
    )
    result = project.runpytest_inprocess("--co", "-q")
    assert "chat.yaml" not in result.stdout.str()
    assert result.ret == pytest.ExitCode.NO_TESTS_COLLECTED


def test_bad_settings_stop_the_run_as_a_usage_error(project: pytest.Pytester) -> None:
    (project.path / "pyproject.toml").write_text("[tool.prism-scenarios]\ncolour = 1\n")
    result = project.runpytest_inprocess("scenarios")
    assert result.ret == pytest.ExitCode.INTERRUPTED  # raised while collecting
    result.stdout.fnmatch_lines(
        ["*UsageError: *pyproject.toml: [[]tool.prism-scenarios[]] colour: Extra inputs are not*"]
    )
    result.assert_outcomes(errors=1)


class BrokenStep:
    """For one run: the engine's step raises a plain Python error (a runner bug)."""

    def __init__(self) -> None:
        self.real: list[object] = []

    def pytest_runtest_setup(self, item: pytest.Item) -> None:
        self.real.append(engine.ScenarioRun.step)

        def broken(*a: object, **k: object) -> None:
            raise RuntimeError("runner bug here")

        engine.ScenarioRun.step = broken  # type: ignore[method-assign]

    def pytest_runtest_teardown(self, item: pytest.Item) -> None:
        engine.ScenarioRun.step = self.real.pop()  # type: ignore[method-assign]


def test_a_runner_bug_keeps_its_traceback(project: pytest.Pytester) -> None:
    real = engine.ScenarioRun.step
    result = project.runpytest_inprocess(
        "scenarios/chat.yaml", "-k", "passes", plugins=[BrokenStep()]
    )
    assert engine.ScenarioRun.step is real
    result.assert_outcomes(failed=1)
    out = result.stdout.str()
    assert "RuntimeError: runner bug here" in out
    assert "def broken" in out  # a Python error is shown the Python way


def test_keep_stores_option_is_registered(project: pytest.Pytester) -> None:
    result = project.runpytest_inprocess("--help")
    result.stdout.fnmatch_lines(
        ["prism-scenarios:", "*--keep-stores*keep each scenario's temp store root for*"]
    )


# -- helpers called directly -----------------------------------------------------------------
def test_register_marker_registers_the_tags_marker_name() -> None:
    lines: list[tuple[str, str]] = []
    config = SimpleNamespace(addinivalue_line=lambda name, line: lines.append((name, line)))
    assert pytest_plugin.register_marker(config, "asvs:5.3.2") == "asvs_5.3.2"  # type: ignore[arg-type]
    assert lines == [("markers", "asvs_5.3.2: scenario tag 'asvs:5.3.2'")]


def test_named_on_the_command_line(tmp_path: Path) -> None:
    target = tmp_path / "s" / "a.yaml"

    def config(*args: str) -> SimpleNamespace:
        return SimpleNamespace(args=list(args), invocation_params=SimpleNamespace(dir=tmp_path))

    named = pytest_plugin._named_on_command_line
    assert named(config("s/a.yaml"), target)  # type: ignore[arg-type]
    assert named(config("other", "s/a.yaml::x"), target)  # type: ignore[arg-type]
    assert named(config(str(target)), target)  # type: ignore[arg-type]
    assert not named(config("s"), target)  # type: ignore[arg-type]
    assert not named(config(), target)  # type: ignore[arg-type]
    assert not named(config("a.yaml"), target)  # type: ignore[arg-type]


def test_non_yaml_files_are_not_the_plugins() -> None:
    assert pytest_plugin.pytest_collect_file(Path("x.py"), None) is None  # type: ignore[arg-type]
    assert pytest_plugin.pytest_collect_file(Path("x.yaml.txt"), None) is None  # type: ignore[arg-type]
    assert OUTCOME_KEY is not None
    assert allure_bridge.AllureReporter and loader.load_file  # imported above on purpose


EXAMPLES = """\
use_case: basic_chat
severity: critical
tags: [smoke, "asvs:5.3.2"]
scenarios:
  - name: one user
    description: Counts what a user stored.
    examples:
      - {who: alice}
      - {who: bob}
    steps:
      - user.create: {user_id: "${who}"}
"""


def test_allure_results_of_yaml_items_in_process(project: pytest.Pytester) -> None:
    (project.path / "scenarios" / "chat.yaml").write_text(EXAMPLES)
    results = project.path / "allure-results"
    project.runpytest_inprocess(f"--alluredir={results}").assert_outcomes(passed=2)
    tests = sorted(
        (json.loads(p.read_text()) for p in results.glob("*-result.json")),
        key=lambda t: t["name"],
    )
    assert len(tests) == 2
    for test in tests:
        labels = {(label["name"], label["value"]) for label in test["labels"]}
        assert {
            ("parentSuite", "YAML scenarios"),
            ("suite", "scenarios"),
            ("feature", "basic_chat"),
            ("story", "basic_chat"),
            ("use_case", "basic_chat"),
            ("component", "storage"),
            ("tag", "smoke"),
            ("asvs", "5.3.2"),
            ("severity", "critical"),
        } <= labels
        assert test["description"] == "Counts what a user stored."
        [step] = test["steps"]
        assert step["status"] == "passed"
        assert step["attachments"][0]["name"] == "result"
    examples = [[p["value"] for p in t["parameters"] if p["name"] == "example"] for t in tests]
    assert len({e[0] for e in examples}) == 2  # each example row is its own test
    assert [t["steps"][0]["name"] for t in tests] == [
        "user.create(user_id=alice)",
        "user.create(user_id=bob)",
    ]


def test_a_yaml_item_without_a_use_case_is_labelled_by_its_file(project: pytest.Pytester) -> None:
    (project.path / "scenarios" / "chat.yaml").write_text(
        "scenarios:\n  - name: plain\n    steps:\n      - noop: {}\n"
    )
    results = project.path / "allure-results"
    project.runpytest_inprocess(f"--alluredir={results}").assert_outcomes(passed=1)
    [test] = [json.loads(p.read_text()) for p in results.glob("*-result.json")]
    labels = {(label["name"], label["value"]) for label in test["labels"]}
    assert ("feature", "chat") in labels
    assert not any(name in ("use_case", "story") for name, _ in labels)
    assert "description" not in test or not test["description"]
    assert not [p for p in test.get("parameters", []) if p["name"] == "example"]


ATTACK = """\
scenarios:
  - name: a payload must be refused
    attack: {payload: [xss]}
    steps:
      - expect.value: {value: "${payload}"}
        attack_outcome: refused
"""


def test_an_items_attack_outcome_is_held(project: pytest.Pytester, monkeypatch) -> None:
    monkeypatch.setenv("PRISM_SCAN_DEPTH", "basic")
    (project.path / "scenarios" / "chat.yaml").write_text(ATTACK)
    result = project.runpytest_inprocess("scenarios/chat.yaml")
    result.assert_outcomes(failed=5)  # the basic depth: five payloads, each accepted
    assert "[outcome] expected the payload to be refused with a domain error" in (
        result.stdout.str()
    )
