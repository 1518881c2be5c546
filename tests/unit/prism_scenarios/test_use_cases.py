"""Use-case bookkeeping: the catalog, and a verdict that needs passes *and* components."""

from __future__ import annotations

from pathlib import Path

import pytest

from prism_scenarios import readiness
from prism_scenarios.outcome import PROPERTY, TestOutcome
from prism_scenarios.use_cases import (
    PACKAGED_CATALOG,
    CatalogError,
    load_catalog,
    system_report,
    validate_use_cases,
)

ROOT = Path(__file__).resolve().parents[3]
CATALOG = load_catalog(PACKAGED_CATALOG)


def _test(use_case: str, components: list[str], outcome: str = "passed", name: str = "s") -> dict:
    return {
        "nodeid": f"scenarios/x.yaml::{name}",
        "outcome": outcome,
        "message": "boom",
        "duration": 0.1,
        PROPERTY: TestOutcome(
            use_case=use_case,
            source="scenarios/x.yaml",
            name=name,
            components=tuple(components),
            steps=4,
            duration=0.02,
            tags=(),
            severity=None,
        ).to_dict(),
    }


def _verdict(tests: list[dict], use_case: str, **kwargs):
    return next(
        v for v in validate_use_cases(tests, CATALOG, **kwargs) if v.use_case_id == use_case
    )


def test_catalog_has_the_22_canonical_use_cases_and_aliases() -> None:
    assert len(CATALOG.use_cases) == 22
    assert (
        CATALOG.check_id("agent_debate") == "use_case 'agent_debate' is a non-canonical "
        "name; use 'ai_debate'"
    )
    assert "did you mean 'rag_chat'" in CATALOG.check_id("rag_chats")
    assert CATALOG.check_id("memory_chat") is None


def test_passes_only_with_every_required_component_exercised() -> None:
    ok = _verdict([_test("rag_chat", ["storage", "knowledge_base"])], "rag_chat")
    assert ok.validation_successful and ok.validation_score == 1.0
    missing = _verdict([_test("rag_chat", ["storage"])], "rag_chat")
    assert not missing.validation_successful
    assert missing.blocking_issues == ["required components never exercised: knowledge_base"]
    assert missing.validation_score == 0.5


def test_one_failed_scenario_fails_the_use_case() -> None:
    verdict = _verdict(
        [_test("basic_chat", ["storage"]), _test("basic_chat", ["storage"], "failed", name="t")],
        "basic_chat",
    )
    assert not verdict.validation_successful
    assert verdict.blocking_issues == ["scenarios/x.yaml::t: failed - boom"]
    assert verdict.end_to_end_tests == {"s": True, "t": False}


def test_uncovered_use_case_fails_and_names_itself() -> None:
    assert _verdict([], "prompt_sandbox").blocking_issues == [
        "no scenario covers use case 'prompt_sandbox' (Prompt Sandbox)"
    ]


def test_a_partial_run_judges_only_the_use_cases_it_ran() -> None:
    tests = [_test("basic_chat", ["storage"])]
    verdicts = validate_use_cases(tests, CATALOG, partial=True)
    assert [v.use_case_id for v in verdicts] == ["basic_chat"]
    assert verdicts[0].validation_successful and verdicts[0].non_blocking_issues
    report = system_report(tests, verdicts, elapsed=1.0, started=1_800_000_000.0, partial=True)
    assert (report.use_cases_validated, report.use_cases_passing) == (1, 1)
    assert report.use_case_success_rate == 100.0
    assert report.production_readiness_score is None and report.run_scope == "partial"
    full = system_report(
        tests, validate_use_cases(tests, CATALOG), elapsed=1.0, started=1_800_000_000.0
    )
    assert (full.use_cases_validated, full.use_cases_passing) == (22, 1)
    assert full.run_scope == "full"
    judged = readiness.apply(full, catalog_size=22)
    assert judged.production_readiness_score is not None and judged.production_ready is False
    partial = readiness.apply(report, catalog_size=22)
    assert partial.production_readiness_score is None and partial.production_ready is None


def test_system_report_is_computed_from_the_run() -> None:
    tests = [
        _test("basic_chat", ["storage", "memory_layer"]),
        _test("memory_chat", ["storage", "memory_layer"], "failed", name="m"),
    ]
    report = system_report(
        tests,
        validate_use_cases(tests, CATALOG),
        elapsed=2.0,
        started=1_800_000_000.0,
        average_cpu_percent=50.0,
    )
    assert (report.total_tests_executed, report.tests_passed, report.tests_failed) == (2, 1, 1)
    assert report.memory_layer_integration is False  # a failing test touched it
    assert report.use_cases_passing == 1 and report.security_score is None
    assert report.error_rate_percent == 50.0


def test_a_broken_catalog_names_the_problem(tmp_path: Path) -> None:
    path = tmp_path / "use_cases.yaml"
    path.write_text(
        "use_cases:\n  - {id: a, name: A, category: basic, required: [storage]}\n"
        "  - {id: a, name: B, category: basic, required: [warp_drive]}\n"
        "aliases: {x: [nope]}\n"
    )
    with pytest.raises(CatalogError) as err:
        load_catalog(path)
    assert "use_cases.yaml:3" in str(err.value) and "warp_drive" in str(err.value)


# -- the migration fields of the report ----------------------------------------------------
def _migration_test(
    name: str, tags: list[str], outcome: str = "passed", source: str = "scenarios/migration/m.yaml"
) -> dict:
    return {
        "nodeid": f"{source}::{name}",
        "outcome": outcome,
        "message": "boom",
        "duration": 0.1,
        PROPERTY: TestOutcome(
            use_case=None,
            source=source,
            name=name,
            components=("migration",),
            steps=3,
            duration=0.01,
            tags=tuple(tags),
            severity=None,
        ).to_dict(),
    }


def _migration_report(tests: list[dict]):
    return system_report(
        tests, validate_use_cases(tests, CATALOG), elapsed=1.0, started=1_800_000_000.0
    )


def test_migration_fields_are_null_with_a_note_when_the_suite_did_not_run() -> None:
    # A unit test with "migration" and "rollback" in its node id is not the migration suite.
    unit = {
        "nodeid": "tests/unit/migration/test_engine.py::test_rollback",
        "outcome": "passed",
        "message": "",
        "duration": 0.1,
        PROPERTY: None,
    }
    report = _migration_report([_test("basic_chat", ["storage"]), unit])
    assert report.migration_tests_passed is None
    assert report.data_integrity_validated is None
    assert report.rollback_procedures_validated is None
    assert "no migration suite ran" in report.notes["migration"]


def test_migration_fields_come_from_the_suite_and_its_tags() -> None:
    tests = [
        _migration_test("g0", ["migration", "data_integrity"]),
        _migration_test(
            "rb", ["migration", "rollback"], source="features/migration/test_migration_features.py"
        ),
        _migration_test("cfg", ["migration", "config"]),
    ]
    report = _migration_report(tests)
    assert (
        report.migration_tests_passed,
        report.data_integrity_validated,
        report.rollback_procedures_validated,
    ) == (True, True, True)
    assert "tagged data_integrity / rollback" in report.notes["migration"]


def test_a_failing_rollback_scenario_fails_only_the_rollback_field() -> None:
    tests = [
        _migration_test("g0", ["data_integrity"]),
        _migration_test("rb", ["rollback"], "failed"),
    ]
    report = _migration_report(tests)
    assert report.rollback_procedures_validated is False
    assert report.data_integrity_validated is True
    assert report.migration_tests_passed is False


def test_a_failing_integrity_scenario_fails_only_the_integrity_field() -> None:
    tests = [
        _migration_test("g0", ["data_integrity"], "failed"),
        _migration_test("rb", ["rollback"]),
    ]
    report = _migration_report(tests)
    assert report.data_integrity_validated is False
    assert report.rollback_procedures_validated is True
    assert report.migration_tests_passed is False


def test_a_field_whose_tag_never_ran_is_null_with_a_note() -> None:
    tests = [
        _migration_test("g0", ["data_integrity"]),
        _migration_test("rb", ["rollback"], "skipped"),
        _migration_test("elsewhere", ["rollback"], source="scenarios/component/x.yaml"),
    ]
    report = _migration_report(tests)
    assert report.migration_tests_passed is True
    assert report.data_integrity_validated is True
    assert report.rollback_procedures_validated is None
    assert (
        "no scenario of the migration suite tagged rollback ran"
        in report.notes["rollback_procedures_validated"]
    )
    xfailed = _migration_report([_migration_test("rb", ["rollback"], "xfailed")])
    assert xfailed.rollback_procedures_validated is False
