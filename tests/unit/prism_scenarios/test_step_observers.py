"""The engine tells its step observers (engine.StepObserver) of every step, in order, and
names none of them; an observer that raises fails the step (the documented choice)."""

from __future__ import annotations

import pytest

from prism_scenarios.engine import NullReporter, ScenarioRun, StepRecord
from prism_scenarios.errors import ExpectationFailed


class Recorder:
    """Notes each event as it happens: the record is mutable, so what it said *then*."""

    def __init__(self, name: str, events: list[tuple]) -> None:
        self.name, self.events = name, events

    def step_started(self, record: StepRecord) -> None:
        self.events.append((self.name, "start", record.index, record.status, record.error))

    def step_finished(self, record: StepRecord) -> None:
        error = type(record.error).__name__ if record.error else None
        self.events.append((self.name, "end", record.index, record.status, error))


class Raising(Recorder):
    def __init__(self, name: str, events: list[tuple], on: str) -> None:
        super().__init__(name, events)
        self.on = on

    def step_started(self, record: StepRecord) -> None:
        super().step_started(record)
        if self.on == "start":
            raise RuntimeError("observer broke at start")

    def step_finished(self, record: StepRecord) -> None:
        super().step_finished(record)
        if self.on == "end":
            raise RuntimeError("observer broke at end")


def test_observers_hear_start_then_end_in_registration_order_with_the_outcome() -> None:
    events: list[tuple] = []
    with ScenarioRun(observers=[Recorder("a", events)]) as run:
        run.add_observer(Recorder("b", events))
        run.step("noop", {}, where="t:1")
        with pytest.raises(ExpectationFailed):
            run.step("expect.value", {"value": 2}, where="t:2", expect=[{"equals": 3}])
    assert events == [
        ("a", "start", 1, "passed", None),
        ("b", "start", 1, "passed", None),
        ("a", "end", 1, "passed", None),
        ("b", "end", 1, "passed", None),
        ("a", "start", 2, "passed", None),
        ("b", "start", 2, "passed", None),
        ("a", "end", 2, "failed", "ExpectationFailed"),
        ("b", "end", 2, "failed", "ExpectationFailed"),
    ]


def test_check_steps_are_observed_too() -> None:
    events: list[tuple] = []
    with ScenarioRun(observers=[Recorder("a", events)]) as run:
        run.step("expect.value", {"value": 2}, where="t:1")
        run.check(where="t:2", label="then", expect=[{"equals": 2}])
    assert [e[1:3] for e in events] == [("start", 1), ("end", 1), ("start", 2), ("end", 2)]


def test_reporter_is_the_one_observer_shorthand_and_costs_no_fan_out() -> None:
    events: list[tuple] = []
    one = Recorder("a", events)
    with ScenarioRun(reporter=one) as run:
        assert run.observers == (one,)
        assert run._notify is one  # a step calls it directly, as when it was the reporter
        run.step("noop", {}, where="t:1")
    assert [e[1] for e in events] == ["start", "end"]
    with ScenarioRun() as run:
        assert run.observers == ()
        assert isinstance(run._notify, NullReporter)
        run.step("noop", {}, where="t:1")


def test_an_observer_raising_at_start_fails_the_step_before_its_action_runs() -> None:
    events: list[tuple] = []
    with ScenarioRun(observers=[Raising("a", events, on="start"), Recorder("b", events)]) as run:
        with pytest.raises(RuntimeError, match="observer broke at start"):
            run.step("user.create", {"user_id": "alice"}, where="t:1")
        assert run.record.steps[0].result is None  # the action never ran
        assert "storage" not in run.components_used
    assert events == [("a", "start", 1, "passed", None)]  # b never heard of it; no end


def test_an_observer_raising_at_end_replaces_the_step_error_which_stays_its_context() -> None:
    events: list[tuple] = []
    observers = [Raising("a", events, on="end"), Recorder("b", events)]
    with (
        ScenarioRun(observers=observers) as run,
        pytest.raises(RuntimeError, match="observer broke at end") as caught,
    ):
        run.step("expect.value", {"value": 2}, where="t:1", expect=[{"equals": 3}])
    assert isinstance(caught.value.__context__, ExpectationFailed)
    assert events == [
        ("a", "start", 1, "passed", None),
        ("b", "start", 1, "passed", None),
        ("a", "end", 1, "failed", "ExpectationFailed"),
    ]
