"""The per-test prism record (prism_scenarios.outcome): typed on the item, a dict on the wire,
and the wire form read back whole or refused."""

from __future__ import annotations

import json
from pathlib import Path
from types import SimpleNamespace

import pytest

from prism_scenarios.outcome import (
    OUTCOME_KEY,
    PROPERTY,
    OutcomeError,
    TestOutcome,
    attach,
    from_report,
)
from prism_scenarios.summary import SummaryPlugin

OUTCOME = TestOutcome(
    use_case="basic_chat",
    source="scenarios/chat.yaml",
    name="counts messages",
    components=("chat", "storage"),
    steps=4,
    duration=0.0125,
    tags=("security", "smoke"),
    severity="critical",
)


def test_round_trip_through_json_gives_the_same_record() -> None:
    wire = json.dumps(OUTCOME.to_dict())
    assert TestOutcome.from_dict(json.loads(wire)) == OUTCOME


def test_the_wire_form_keeps_the_keys_and_order_reports_always_had() -> None:
    # summary.json, junit.xml properties and the integration report read these names
    assert list(OUTCOME.to_dict()) == [
        "use_case",
        "source",
        "name",
        "components",
        "steps",
        "duration",
        "tags",
        "severity",
    ]
    assert OUTCOME.to_dict()["components"] == ["chat", "storage"]  # a list, as JSON has it


@pytest.mark.parametrize("field", ["components", "severity", "use_case"])
def test_a_missing_field_fails_and_names_it(field: str) -> None:
    data = OUTCOME.to_dict()
    del data[field]
    with pytest.raises(OutcomeError, match=rf"missing field\(s\) {field}\b"):
        TestOutcome.from_dict(data)


@pytest.mark.parametrize(
    ("field", "value"),
    [("steps", "4"), ("steps", True), ("tags", "smoke"), ("components", [1]), ("name", None)],
)
def test_a_mistyped_field_fails_and_names_it(field: str, value: object) -> None:
    data = {**OUTCOME.to_dict(), field: value}
    with pytest.raises(OutcomeError, match=repr(field)):
        TestOutcome.from_dict(data)


def test_not_an_object_fails() -> None:
    with pytest.raises(OutcomeError, match="expected an object, got list"):
        TestOutcome.from_dict([])


def test_the_record_is_frozen() -> None:
    with pytest.raises(AttributeError):
        OUTCOME.steps = 5  # type: ignore[misc]


def test_attach_keeps_it_on_the_item_and_a_report_carries_it() -> None:
    item = SimpleNamespace(stash=pytest.Stash(), user_properties=[("mine", "1")])
    attach(item, OUTCOME)  # type: ignore[arg-type]
    assert item.stash[OUTCOME_KEY] is OUTCOME
    report = SimpleNamespace(user_properties=list(item.user_properties))
    assert from_report(report) == OUTCOME  # type: ignore[arg-type]
    assert from_report(SimpleNamespace(user_properties=[("mine", "1")])) is None  # type: ignore[arg-type]


def test_a_rerun_s_record_replaces_the_first() -> None:
    again = TestOutcome(**{**OUTCOME.to_dict(), "steps": 9})  # type: ignore[arg-type]
    report = SimpleNamespace(
        user_properties=[
            (PROPERTY, json.dumps(OUTCOME.to_dict())),
            (PROPERTY, json.dumps(again.to_dict())),
        ]
    )
    assert from_report(report).steps == 9  # type: ignore[arg-type,union-attr]


SCENARIO = """\
use_case: basic_chat
severity: critical
tags: [smoke, memory]
scenarios:
  - name: one user
    steps:
      - user.create: {user_id: alice}
      - noop: {}
"""
STASH_READER = """\
import json, pytest
from prism_scenarios.outcome import OUTCOME_KEY

pytest_plugins = ["prism_scenarios.pytest_plugin"]
SEEN = {}


@pytest.hookimpl(trylast=True)
def pytest_runtest_teardown(item):
    SEEN[item.nodeid] = item.stash[OUTCOME_KEY]


def pytest_sessionfinish(session):
    (session.config.rootpath / "seen.json").write_text(
        json.dumps({k: [v.components, v.steps, v.severity] for k, v in SEEN.items()})
    )
"""


def test_a_yaml_run_stashes_the_record_and_the_summary_reads_it(
    pytester: pytest.Pytester, tmp_path: Path
) -> None:
    pytester.makeini("[pytest]\naddopts = -p no:cacheprovider -p no:randomly\n")
    pytester.makeconftest(STASH_READER)
    (pytester.path / "chat.yaml").write_text(SCENARIO)
    summary = SummaryPlugin(tmp_path)
    result = pytester.runpytest_inprocess(plugins=[summary])
    result.assert_outcomes(passed=1)
    [(nodeid, test)] = summary.tests.items()
    record = test[PROPERTY]
    assert record == {
        "use_case": "basic_chat",
        "source": "chat.yaml",  # as the loader displays it: relative to the rootdir
        "name": "one user",
        "components": ["storage"],
        "steps": 2,
        "duration": record["duration"],
        "tags": ["memory", "smoke"],
        "severity": "critical",
    }
    seen = json.loads((pytester.path / "seen.json").read_text())
    assert seen == {nodeid: [["storage"], 2, "critical"]}
