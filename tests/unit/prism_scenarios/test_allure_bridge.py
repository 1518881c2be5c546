"""Engine steps as Allure steps (prism_scenarios.allure_bridge), with allure's calls captured
in-process: parameter texts, the result attachment and its cut, step status, Gherkin steps
through allure's hooks, and the labels a test gets."""

from __future__ import annotations

import json
from typing import Any

import allure
import pytest
from allure_commons import hookimpl, plugin_manager

from prism_scenarios import allure_bridge
from prism_scenarios.engine import StepRecord
from prism_scenarios.errors import ExpectationFailed


def test_param_text_shows_strings_as_they_are_and_the_rest_as_json() -> None:
    assert allure_bridge._param_text("plain é") == "plain é"
    assert allure_bridge._param_text({"a": [1, None], "é": True}) == '{"a": [1, null], "é": true}'
    assert allure_bridge._param_text(object) == json.dumps(str(object))
    assert allure_bridge._param_text("x" * 200) == "x" * 200
    assert allure_bridge._param_text("x" * 201) == "x" * 199 + "…"
    assert allure_bridge._param_text(["y" * 300]) == ('["' + "y" * 300)[:199] + "…"


def test_now_is_whole_milliseconds(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(allure_bridge.time, "time", lambda: 12.3456)
    assert allure_bridge._now_ms() == 12346


class FakeLogger:
    def __init__(self) -> None:
        self.started: list[tuple[Any, str, Any]] = []
        self.stopped: list[tuple[str, dict[str, Any]]] = []

    def start_step(self, parent: Any, uuid: str, step: Any) -> None:
        self.started.append((parent, uuid, step))

    def stop_step(self, uuid: str, **fields: Any) -> None:
        self.stopped.append((uuid, fields))


def _record(**kw: Any) -> StepRecord:
    values: dict[str, Any] = {
        "index": 1,
        "action": "user.create",
        "where": "f:1",
        "title": "user.create(user_id=alice)",
        "params": {"user_id": "alice", "n": 2},
        "components": ("storage",),
    }
    values.update(kw)
    return StepRecord(**values)


@pytest.fixture
def captured(monkeypatch: pytest.MonkeyPatch) -> tuple[Any, FakeLogger, list[tuple[str, dict]]]:
    reporter = allure_bridge.AllureReporter()
    reporter._logger = logger = FakeLogger()
    attached: list[tuple[str, dict]] = []
    monkeypatch.setattr(
        allure_bridge.allure, "attach", lambda body, **kw: attached.append((body, kw))
    )
    monkeypatch.setattr(allure_bridge, "_now_ms", lambda: 1000)
    return reporter, logger, attached


def test_a_passing_step_with_its_parameters_and_result(captured: Any) -> None:
    reporter, logger, attached = captured
    record = _record(result={"user_id": "alice", "é": 1})
    reporter.step_started(record)
    [(parent, uuid, step)] = logger.started
    assert parent is None and uuid.startswith("prism-step-")
    assert step.name == "user.create(user_id=alice)" and step.start == 1000
    assert [(p.name, p.value) for p in step.parameters] == [("user_id", "alice"), ("n", "2")]
    reporter.step_finished(record)
    [(body, kw)] = attached
    assert body == json.dumps({"user_id": "alice", "é": 1}, indent=2, ensure_ascii=False)
    assert kw == {"name": "result", "attachment_type": allure.attachment_type.JSON}
    [(stopped, fields)] = logger.stopped
    assert stopped == uuid
    assert fields["stop"] == 1000 and fields["status"] == "passed"
    assert fields["statusDetails"] is None
    assert reporter._open == {}


def test_each_step_gets_its_own_id(captured: Any) -> None:
    reporter, logger, _ = captured
    first, second = _record(), _record(index=2)
    reporter.step_started(first)
    reporter.step_started(second)
    assert logger.started[0][1] != logger.started[1][1]
    reporter.step_finished(second)
    reporter.step_finished(first)
    assert [s[0] for s in logger.stopped] == [logger.started[1][1], logger.started[0][1]]


def test_a_failed_step_without_a_result_attaches_nothing(captured: Any) -> None:
    reporter, logger, attached = captured
    try:
        raise ExpectationFailed("f:1: expected 3, got 2")
    except ExpectationFailed as exc:
        error = exc
    record = _record(error=error)
    reporter.step_started(record)
    reporter.step_finished(record)
    assert attached == []
    [(_, fields)] = logger.stopped
    assert fields["status"] == "failed"
    assert fields["statusDetails"].message == (
        "prism_scenarios.errors.ExpectationFailed: f:1: expected 3, got 2\n"
    )
    assert "raise ExpectationFailed" in fields["statusDetails"].trace


def test_a_large_result_is_cut_and_says_so(captured: Any) -> None:
    reporter, _, attached = captured
    record = _record(result=["z" * (allure_bridge.MAX_ATTACHMENT)])
    reporter.step_started(record)
    reporter.step_finished(record)
    [(body, _)] = attached
    full = json.dumps(record.result, indent=2)
    assert body == full[: allure_bridge.MAX_ATTACHMENT] + "\n… (truncated)"
    exact = _record(result="q" * (allure_bridge.MAX_ATTACHMENT - 2))  # with its quotes: fits
    reporter.step_started(exact)
    reporter.step_finished(exact)
    assert attached[-1][0] == json.dumps(exact.result)


def test_without_a_logger_or_an_open_step_nothing_happens(captured: Any) -> None:
    reporter, logger, attached = captured
    reporter.step_finished(_record(result=1))  # never started
    assert logger.stopped == [] and attached == []
    quiet = allure_bridge.AllureReporter()
    quiet._logger = None
    quiet.step_started(_record())
    assert quiet._open == {}


def test_the_logger_is_allure_pytests_when_it_listens(monkeypatch: pytest.MonkeyPatch) -> None:
    class Listener:
        allure_logger = "the logger"

    monkeypatch.setattr(plugin_manager, "get_plugins", lambda: [object(), Listener()])
    assert allure_bridge._active_logger() == "the logger"
    assert allure_bridge.AllureReporter()._logger == "the logger"
    monkeypatch.setattr(plugin_manager, "get_plugins", lambda: [object()])
    assert allure_bridge._active_logger() is None


class StepHooks:
    def __init__(self) -> None:
        self.calls: list[tuple[str, dict[str, Any]]] = []

    @hookimpl
    def start_step(self, uuid: str, title: str, params: dict[str, Any]) -> None:
        self.calls.append(("start", {"uuid": uuid, "title": title, "params": params}))

    @hookimpl
    def stop_step(self, uuid: str, exc_type: Any, exc_val: Any, exc_tb: Any) -> None:
        self.calls.append(("stop", {"uuid": uuid, "type": exc_type, "val": exc_val, "tb": exc_tb}))


@pytest.fixture
def hooks() -> Any:
    listener = StepHooks()
    plugin_manager.register(listener)
    yield listener
    plugin_manager.unregister(listener)


def test_gherkin_steps_go_through_allures_hooks(hooks: StepHooks) -> None:
    step_id = allure_bridge.start_step('Given user "alice" exists', {"user": "alice", "n": [1]})
    assert hooks.calls == [
        (
            "start",
            {
                "uuid": step_id,
                "title": 'Given user "alice" exists',
                "params": {"user": "alice", "n": "[1]"},
            },
        )
    ]
    allure_bridge.stop_step(step_id)
    assert hooks.calls[-1] == ("stop", {"uuid": step_id, "type": None, "val": None, "tb": None})
    other = allure_bridge.start_step("When nothing")
    assert other != step_id and hooks.calls[-1][1]["params"] == {}
    try:
        raise KeyError("k")
    except KeyError as exc:
        error = exc
    allure_bridge.stop_step(other, error)
    assert hooks.calls[-1] == (
        "stop",
        {"uuid": other, "type": KeyError, "val": error, "tb": error.__traceback__},
    )


class Dynamic:
    def __init__(self) -> None:
        self.calls: list[tuple[str, tuple[Any, ...]]] = []

    def __getattr__(self, name: str) -> Any:
        return lambda *args: self.calls.append((name, args))


def test_labels_of_a_test(monkeypatch: pytest.MonkeyPatch) -> None:
    dynamic = Dynamic()
    monkeypatch.setattr(allure_bridge.allure, "dynamic", dynamic)
    allure_bridge.label_test(
        parent_suite="YAML scenarios",
        suite="security",
        feature="login",
        use_case="rag_chat",
        components=["storage", "memory_layer"],
        tags=["smoke", "asvs:5.3.2", "asvs:1.2"],
        severity="critical",
        description="what it checks",
    )
    assert dynamic.calls == [
        ("parent_suite", ("YAML scenarios",)),
        ("suite", ("security",)),
        ("feature", ("login",)),
        ("label", ("use_case", "rag_chat")),
        ("story", ("rag_chat",)),
        ("label", ("component", "storage")),
        ("label", ("component", "memory_layer")),
        ("tag", ("smoke", "asvs:5.3.2", "asvs:1.2")),
        ("label", ("asvs", "1.2")),
        ("label", ("asvs", "5.3.2")),
        ("severity", (allure.severity_level.CRITICAL,)),
        ("description", ("what it checks",)),
    ]
    dynamic.calls.clear()
    allure_bridge.label_test(
        suite=None, feature=None, use_case=None, components=[], tags=[], severity=None
    )
    assert dynamic.calls == []


def test_the_categories_match_the_runners_failures() -> None:
    import re

    by_name = {c["name"]: c for c in allure_bridge.CATEGORIES}
    assert re.fullmatch(
        by_name["Invariant breach"]["messageRegex"], "x\ninvariant broken after step 2\ny"
    )
    assert re.fullmatch(
        by_name["Scenario error"]["messageRegex"], "E  scenario error: unknown action"
    )
    assert re.fullmatch(by_name["ThresholdBreach"]["messageRegex"], "p95 threshold breached")
    assert list(by_name)[-2:] == [
        "Product defect",
        "Broken (unexpected exception in the runner)",
    ]
