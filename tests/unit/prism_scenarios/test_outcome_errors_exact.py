"""The record's refusals word for word (prism_scenarios.outcome) and the runner's failure
types (prism_scenarios.errors): messages, markers and categories."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from prism_scenarios import errors
from prism_scenarios.outcome import OutcomeError, TestOutcome, from_report, outcome_of

RECORD = {
    "use_case": None,
    "source": "s.yaml",
    "name": "n",
    "components": ["storage"],
    "steps": 1,
    "duration": 1,
    "tags": ["a"],
    "severity": "minor",
}


def _refusal(data: object) -> str:
    with pytest.raises(OutcomeError) as caught:
        TestOutcome.from_dict(data)
    return str(caught.value)


def test_refusals_word_for_word() -> None:
    assert _refusal([1]) == "prism record: expected an object, got list"
    short = {"source": "s.yaml", "name": "n"}
    assert _refusal(short) == (
        f"prism record: missing field(s) use_case, components, steps, duration: {short!r}"
    )
    assert _refusal({**RECORD, "steps": 1.0}) == (
        "prism record: field 'steps' has the wrong type: 1.0"
    )
    assert _refusal({**RECORD, "duration": False}) == (
        "prism record: field 'duration' has the wrong type: False"
    )
    assert _refusal({**RECORD, "use_case": 3}) == (
        "prism record: field 'use_case' has the wrong type: 3"
    )
    assert _refusal({**RECORD, "components": ("storage", 2)}) == (
        "prism record: field 'components' is not a list of strings: ('storage', 2)"
    )
    assert _refusal({**RECORD, "tags": {"a": 1}}) == (
        "prism record: field 'tags' is not a list of strings: {'a': 1}"
    )


def test_accepted_forms() -> None:
    record = TestOutcome.from_dict({**RECORD, "components": ("storage",), "duration": 2})
    assert record.components == ("storage",) and record.duration == 2.0
    assert type(record.duration) is float
    assert record.severity == "minor" and record.use_case is None


def test_outcome_of_names_the_test_or_a_question_mark() -> None:
    with pytest.raises(OutcomeError) as caught:
        outcome_of({"prism": "nope"})
    assert str(caught.value) == "?: prism record: expected an object, got str"


def test_from_report_reads_the_last_record() -> None:
    first = TestOutcome.from_dict(RECORD)
    second = TestOutcome.from_dict({**RECORD, "steps": 2})
    import json

    report = SimpleNamespace(
        user_properties=[
            ("prism", json.dumps(first.to_dict())),
            ("other", "x"),
            ("prism", json.dumps(second.to_dict())),
        ]
    )
    assert from_report(report) == second  # type: ignore[arg-type]
    assert from_report(SimpleNamespace(user_properties=[("other", "x")])) is None  # type: ignore[arg-type]


def test_failures_are_assertion_errors_with_their_categories() -> None:
    assert issubclass(errors.ScenarioFailure, AssertionError)
    assert errors.ScenarioFailure.category == "Product defect"
    assert errors.ExpectationFailed.category == "Product defect"
    assert errors.InvariantBreach.category == "Invariant breach"
    assert errors.ThresholdBreach.category == "ThresholdBreach"
    assert errors.ScenarioError.category == "Scenario error"
    assert issubclass(errors.WaitTimedOut, TimeoutError)


def test_a_scenario_error_carries_its_marker_once() -> None:
    assert str(errors.ScenarioError("bad file")) == "scenario error: bad file"
    assert str(errors.ScenarioError("x: scenario error: already")) == "x: scenario error: already"
    assert str(errors.ScenarioError()) == "scenario error: "


def test_a_scenario_file_error_lists_its_problems() -> None:
    error = errors.ScenarioFileError(["f.yaml:1: a", "f.yaml:2: b"], use_case="rag_chat")
    assert str(error) == (
        "scenario error: invalid scenario file, nothing in it ran:\nf.yaml:1: a\nf.yaml:2: b"
    )
    assert error.problems == ["f.yaml:1: a", "f.yaml:2: b"]
    assert error.use_case == "rag_chat"
    assert errors.ScenarioFileError(["p"]).use_case is None
