"""The per-test prism record (prism_scenarios.outcome): typed on the item, a dict on the wire,
and the wire form read back whole or refused."""

from __future__ import annotations

import ast
import json
from pathlib import Path
from types import SimpleNamespace

import pytest

from prism_scenarios import readiness
from prism_scenarios.actions.registry import load_actions
from prism_scenarios.outcome import (
    ABSENT_IN_OLDER_FILES,
    OUTCOME_KEY,
    PROPERTY,
    OutcomeError,
    TestOutcome,
    attach,
    from_report,
    outcome_of,
)
from prism_scenarios.summary import SummaryPlugin
from prism_scenarios.use_cases import (
    Catalog,
    UseCase,
    manager_flags,
    tally,  # its tests_by_use_case is no test to collect
    validate_use_cases,
)
from prism_scenarios.use_cases.migration import migration_suite, migration_verdicts
from prism_scenarios.use_cases.security import allure_severity, security_findings, security_suite

# The built-in actions load while this module is collected, before the pytester fixture takes
# its sys.modules snapshot: a module first imported inside an in-process run is dropped from
# sys.modules when it ends, and later tests could no longer resolve the output models' type
# hints (test_catalog failed after this module's in-process run with NameError 'Annotated').
load_actions()

PACKAGE = Path(__file__).resolve().parents[3] / "prism_scenarios"

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


@pytest.mark.parametrize("field", ["use_case", "source", "name", "components", "steps", "duration"])
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


# What `prism-scenarios run` wrote before the record was typed: an invalid scenario file's
# record had no severity; before the migration suite, no record had tags either.
OLD_INVALID_FILE_RECORD = {
    "use_case": None,
    "source": "scenarios/component/broken.yaml",
    "name": "broken.yaml",
    "components": [],
    "steps": 0,
    "duration": 0.0,
    "tags": [],
}
OLDEST_RECORD = {
    "use_case": "basic_chat",
    "source": "scenarios/use_cases/chat.yaml",
    "name": "counts messages",
    "components": ["storage"],
    "steps": 2,
    "duration": 0,  # an int in JSON when it rounded to nothing
}


def test_only_the_fields_older_files_lack_may_be_missing() -> None:
    assert ABSENT_IN_OLDER_FILES == {"tags": (), "severity": None}
    old = TestOutcome.from_dict(OLD_INVALID_FILE_RECORD)
    assert (old.severity, old.tags, old.components) == (None, (), ())
    oldest = TestOutcome.from_dict(OLDEST_RECORD)
    assert (oldest.tags, oldest.severity, oldest.duration) == ((), None, 0.0)
    assert oldest.to_dict() == {**OLDEST_RECORD, "duration": 0.0, "tags": [], "severity": None}


@pytest.mark.parametrize(("field", "value"), [("tags", "security"), ("severity", 3)])
def test_a_field_older_files_lack_is_still_type_checked_when_present(
    field: str, value: object
) -> None:
    with pytest.raises(OutcomeError, match=repr(field)):
        TestOutcome.from_dict({**OLD_INVALID_FILE_RECORD, field: value})


def test_outcome_of_a_summary_entry() -> None:
    assert outcome_of({"nodeid": "tests/test_x.py::t", PROPERTY: None}) is None  # a unit test
    assert outcome_of({"nodeid": "tests/test_x.py::t"}) is None
    assert outcome_of({"nodeid": "n", PROPERTY: OUTCOME.to_dict()}) == OUTCOME
    with pytest.raises(OutcomeError, match=r"^scenarios/x.yaml::s: .*'steps'"):
        outcome_of({"nodeid": "scenarios/x.yaml::s", PROPERTY: {**OUTCOME.to_dict(), "steps": "4"}})


def _entry(record: TestOutcome, nodeid: str, outcome: str = "failed") -> dict:
    """A summary.json test entry (its node id names no suite folder: only the record does)."""
    return {"nodeid": nodeid, "outcome": outcome, "message": "boom", PROPERTY: record.to_dict()}


def test_every_reader_takes_each_field_from_the_record() -> None:
    """Each field of the record reaches the reader that needs it: a reader that looked under
    another key (or read the entry instead of the record) would miss it here."""
    chat = TestOutcome(
        use_case="storing",
        source="scenarios/use_cases/chat.yaml",
        name="stores a message",
        components=("storage", "memory_layer"),
        steps=4,
        duration=0.02,
        tags=("security", "asvs:4.1.1"),
        severity="blocker",
    )
    moved = TestOutcome(
        use_case=None,
        source="scenarios/migration/m.yaml",
        name="rolls back",
        components=("migration",),
        steps=1,
        duration=0.01,
        tags=("rollback",),
        severity=None,
    )
    tests = [_entry(chat, "t1"), _entry(moved, "t2", "passed")]
    assert tally.tests_by_use_case(tests) == {"storing": [tests[0]]}
    assert tally.scenario_name(tests[0]) == "stores a message"
    assert security_suite(tests) == [tests[0]]  # by its tag
    assert allure_severity(tests[0]) == "blocker"
    [finding] = security_findings([tests[0]])
    assert (finding.severity, finding.asvs) == ("critical", ["4.1.1"])
    assert migration_suite(tests) == [tests[1]]  # by its source's folder
    verdicts = migration_verdicts([tests[1]])
    assert verdicts["rollback_procedures_validated"] is True
    assert [readiness.family_of(t) for t in tests] == ["end_to_end", "migration"]
    assert manager_flags(tests)["memory_layer_integration"] is False  # touched, and failed
    catalog = Catalog({"storing": UseCase("storing", "Storing", "basic", ("storage",))})
    [verdict] = validate_use_cases(tests, catalog)
    assert verdict.components_exercised == ["memory_layer", "storage"]
    assert verdict.test_scenarios == [
        {
            "nodeid": "t1",
            "outcome": "failed",
            "components": ["storage", "memory_layer"],
            "steps": 4,
            "duration_ms": 20.0,
        }
    ]
    assert verdict.average_response_time_ms == 5.0


def test_an_old_invalid_file_entry_is_counted_like_a_new_one() -> None:
    old = {"nodeid": "scenarios/security/b.yaml", "outcome": "error", "message": "boom"}
    new = _entry(TestOutcome.from_dict(OLD_INVALID_FILE_RECORD), old["nodeid"], "error")
    old[PROPERTY] = {**OLD_INVALID_FILE_RECORD, "source": "scenarios/security/b.yaml"}
    new[PROPERTY]["source"] = "scenarios/security/b.yaml"
    assert "severity" not in old[PROPERTY]
    assert security_findings(security_suite([old])) == security_findings(security_suite([new]))
    assert allure_severity(old) == "normal"


def test_no_other_module_reads_the_record_by_key() -> None:
    """The record's keys are outcome.py's: elsewhere the record is read through it."""
    readers = []
    for path in sorted(PACKAGE.rglob("*.py")):
        if path.name == "outcome.py":
            continue
        for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
            if isinstance(node, ast.Constant) and node.value == PROPERTY:
                readers.append(f"{path.relative_to(PACKAGE)}:{node.lineno}")
            if (
                isinstance(node, ast.Subscript)
                and isinstance(node.value, ast.Subscript | ast.Call)
                and "PROPERTY" in ast.unparse(node.value)
            ):
                readers.append(f"{path.relative_to(PACKAGE)}:{node.lineno}")
    assert readers == []


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
