"""The use-case bookkeeping pinned to exact values: for a known set of outcomes, each use
case's verdict and per-component map, the report's counts and manager flags, the families
and the readiness criteria are exactly what the outcomes say. A mutation that inverts a
condition (passed for failed, not run for passed, a count off by one) changes one of them.
"""

from __future__ import annotations

from typing import Any

from prism_scenarios import readiness
from prism_scenarios.dto import FFFamilyResultDTO
from prism_scenarios.outcome import PROPERTY, TestOutcome
from prism_scenarios.use_cases import (
    Catalog,
    UseCase,
    manager_flags,
    outcome_counts,
    system_report,
    validate_use_cases,
)

CATALOG = Catalog(
    {
        "storing": UseCase("storing", "Storing", "basic", ("storage",)),
        "remembering": UseCase(
            "remembering",
            "Remembering",
            "context_memory",
            ("storage", "memory_layer"),
            ("analytics",),
        ),
        "searching": UseCase("searching", "Searching", "basic", ("storage", "knowledge_base")),
    }
)
NOW = "2026-01-01T00:00:00+00:00"


def _test(
    name: str,
    outcome: str,
    components: list[str],
    *,
    use_case: str | None = None,
    folder: str = "use_cases",
    message: str = "boom\nsecond line",
) -> dict[str, Any]:
    return {
        "nodeid": f"scenarios/{folder}/x.yaml::{name}",
        "outcome": outcome,
        "message": message,
        PROPERTY: TestOutcome(
            use_case=use_case,
            source=f"scenarios/{folder}/x.yaml",
            name=name,
            components=tuple(components),
            steps=4,
            duration=0.01,
            tags=(),
            severity=None,
        ).to_dict(),
    }


def _run() -> list[dict[str, Any]]:
    """storing passes; remembering has a passing storage scenario and a failing memory one;
    searching is not run; plus component tests that are no use case's."""
    return [
        _test("s1", "passed", ["storage"], use_case="storing"),
        _test("r1", "passed", ["storage"], use_case="remembering"),
        _test("r2", "failed", ["memory_layer"], use_case="remembering"),
        _test("c1", "passed", ["storage", "knowledge_base"], folder="component"),
        _test("c2", "skipped", ["storage", "tool_execution"], folder="component"),
        _test("c3", "error", ["storage", "analytics"], folder="component"),
        _test("c4", "passed", ["panel_session"], folder="component"),
    ]


def _verdicts(tests: list[dict[str, Any]], **kwargs: Any) -> dict[str, Any]:
    return {v.use_case_id: v for v in validate_use_cases(tests, CATALOG, now=NOW, **kwargs)}


# -- per use case ------------------------------------------------------------------------
def test_each_use_case_passes_or_fails_exactly_as_its_scenarios_did() -> None:
    verdicts = _verdicts(_run())
    assert {k: v.validation_successful for k, v in verdicts.items()} == {
        "storing": True,
        "remembering": False,
        "searching": False,
    }


def test_a_failing_memory_scenario_fails_exactly_the_memory_component() -> None:
    verdicts = _verdicts(_run())
    assert verdicts["storing"].component_tests == {"storage": True}
    assert verdicts["remembering"].component_tests == {
        "storage": True,
        "memory_layer": False,
        "analytics": False,  # optional, never exercised: not passed
    }
    remembering = verdicts["remembering"]
    assert remembering.blocking_issues == ["scenarios/use_cases/x.yaml::r2: failed - boom"]
    assert remembering.end_to_end_tests == {"r1": True, "r2": False}
    assert remembering.integration_tests == {}
    assert remembering.components_exercised == ["memory_layer", "storage"]
    assert (remembering.validation_score, remembering.reliability_score) == (0.5, 0.5)
    assert remembering.non_blocking_issues == []


def test_a_use_case_not_run_is_not_run_never_passed() -> None:
    searching = _verdicts(_run())["searching"]
    assert searching.validation_successful is False
    assert searching.component_tests == {"storage": False, "knowledge_base": False}
    assert searching.blocking_issues == ["no scenario covers use case 'searching' (Searching)"]
    assert searching.end_to_end_tests == {} and searching.test_scenarios == []
    assert searching.components_exercised == []
    assert (searching.validation_score, searching.reliability_score) == (0.0, 0.0)
    assert searching.performance_meets_requirements is False
    assert (searching.total_time_ms, searching.average_response_time_ms) == (0.0, 0.0)


def test_a_partial_run_leaves_the_use_cases_it_did_not_run_out() -> None:
    verdicts = _verdicts(_run(), partial=True)
    assert list(verdicts) == ["storing", "remembering"]
    assert verdicts["storing"].non_blocking_issues == [
        "partial run: only the scenarios selected by this run were judged"
    ]


def test_a_skipped_scenario_does_not_pass_its_use_case() -> None:
    verdict = _verdicts([_test("s1", "skipped", ["storage"], use_case="storing")])["storing"]
    assert verdict.validation_successful is False
    assert verdict.component_tests == {"storage": False}
    assert verdict.blocking_issues == ["scenarios/use_cases/x.yaml::s1: skipped - boom"]
    assert verdict.end_to_end_tests == {"s1": False}


def test_all_passed_but_a_required_component_never_exercised_fails() -> None:
    tests = [_test("q1", "passed", ["storage"], use_case="searching", message="")]
    verdict = _verdicts(tests)["searching"]
    assert verdict.validation_successful is False
    assert verdict.component_tests == {"storage": True, "knowledge_base": False}
    assert verdict.blocking_issues == ["required components never exercised: knowledge_base"]
    assert (verdict.validation_score, verdict.reliability_score) == (0.5, 1.0)


def test_a_scenario_touching_two_required_components_is_an_integration_test() -> None:
    tests = [
        _test("q1", "passed", ["storage", "knowledge_base"], use_case="searching"),
        _test("q2", "failed", ["storage"], use_case="searching", message=""),
    ]
    verdict = _verdicts(tests)["searching"]
    assert verdict.integration_tests == {"q1": True}
    assert verdict.component_tests == {"storage": False, "knowledge_base": True}
    assert verdict.blocking_issues == ["scenarios/use_cases/x.yaml::q2: failed"]


# -- the readiness inputs ----------------------------------------------------------------
def test_outcome_counts_are_exact() -> None:
    assert outcome_counts(_run()) == {
        "passed": 4,
        "failed": 1,
        "skipped": 1,
        "error": 1,
        "xfailed": 0,
        "xpassed": 0,
    }


def test_manager_flags_are_exact() -> None:
    assert manager_flags(_run()) == {
        "memory_layer_integration": False,  # touched alone (r2): no integration test
        "panel_session_integration": False,  # touched alone (c4)
        "rag_integration": True,  # c1 passed with storage
        "tool_execution_integration": False,  # c2 was skipped, which is not passed
        "analytics_integration": False,  # c3 errored
    }


def test_a_failed_integration_test_fails_exactly_its_managers_flag() -> None:
    tests = [
        _test("a", "passed", ["storage", "memory_layer"]),
        _test("b", "failed", ["storage", "memory_layer", "analytics"]),
        _test("c", "passed", ["storage", "analytics"]),
        _test("d", "passed", ["knowledge_base", "tool_execution", "panel_session"]),
    ]
    assert manager_flags(tests) == {
        "memory_layer_integration": False,
        "panel_session_integration": True,
        "rag_integration": True,
        "tool_execution_integration": True,
        "analytics_integration": False,
    }


def test_the_system_report_counts_are_exact() -> None:
    tests = _run()
    report = system_report(
        tests, validate_use_cases(tests, CATALOG, now=NOW), elapsed=1.0, started=1.8e9
    )
    assert (
        report.total_tests_executed,
        report.tests_passed,
        report.tests_failed,
        report.tests_skipped,
    ) == (6, 4, 2, 1)
    assert (report.overall_success_rate, report.error_rate_percent) == (66.67, 33.33)
    assert report.system_stability_score == 0.6667
    assert (report.use_cases_validated, report.use_cases_passing) == (3, 1)
    assert report.use_case_success_rate == 33.33
    assert report.critical_issues == [
        "scenarios/use_cases/x.yaml::r2: failed - boom",
        "no scenario covers use case 'searching' (Searching)",
    ]
    assert (report.memory_layer_integration, report.rag_integration) == (False, True)
    assert report.families["end_to_end"] == FFFamilyResultDTO(
        ran=True, tests=3, passed=2, failed=1, skipped=0
    )
    assert report.families["component"] == FFFamilyResultDTO(
        ran=True, tests=3, passed=2, failed=1, skipped=1
    )
    assert [f for f, r in report.families.items() if not r.ran] == [
        "integration",
        "performance",
        "security",
        "migration",
    ]


def test_the_use_case_criterion_counts_exactly() -> None:
    tests = _run()
    failing = system_report(
        tests, validate_use_cases(tests, CATALOG, now=NOW), elapsed=1.0, started=1.8e9
    )
    criterion = readiness.criteria(failing, catalog_size=3)[0]
    assert (criterion.criterion, criterion.met) == ("use_cases", False)
    assert criterion.measured == "1/3 passing of 3 in the catalog"
    # more use cases judged than the catalog holds (another catalog's report) is not met
    assert readiness.criteria(failing, catalog_size=1)[0].met is False
    healthy = [
        _test("s1", "passed", ["storage"], use_case="storing"),
        _test("r1", "passed", ["storage", "memory_layer"], use_case="remembering"),
        _test("q1", "passed", ["storage", "knowledge_base"], use_case="searching"),
    ]
    passing = system_report(
        healthy, validate_use_cases(healthy, CATALOG, now=NOW), elapsed=1.0, started=1.8e9
    )
    criterion = readiness.criteria(passing, catalog_size=3)[0]
    assert (criterion.met, criterion.measured) == (True, "3/3 passing of 3 in the catalog")
    # the same run judged against a larger catalog: validated 3 of 4 is not met
    assert readiness.criteria(passing, catalog_size=4)[0].met is False


def test_the_component_criterion_counts_the_manager_flags() -> None:
    tests = [
        _test("c", "passed", ["storage", "memory_layer"], folder="component"),
        _test("i", "passed", ["storage", "analytics"], folder="integration"),
    ]
    report = system_report(tests, [], elapsed=1.0, started=1.8e9)
    criterion = readiness.criteria(report, catalog_size=0)[1]
    assert (criterion.criterion, criterion.met) == ("component_integration", False)
    assert criterion.measured == "2/2 tests passed; 2/5 manager integrations"
    assert criterion.required == (
        "100% of component and integration tests pass, all 5 manager integrations"
    )
