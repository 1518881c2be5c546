"""Readiness exactly (prism_scenarios.readiness): the family of a test, the per-family counts,
and each criterion's measured/required/reason text, on reports built field by field."""

from __future__ import annotations

from typing import Any

import pytest

from prism_scenarios import readiness
from prism_scenarios.components import MANAGER_FLAGS
from prism_scenarios.dto import (
    FFFamilyResultDTO,
    FFSecurityFindingDTO,
    FFSystemIntegrationReportDTO,
)
from prism_scenarios.outcome import PROPERTY, TestOutcome


def _record(source: str) -> dict[str, Any]:
    return TestOutcome(None, source, "n", (), 1, 0.1, (), None).to_dict()


# -- families ---------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "nodeid, source, family",
    [
        ("scenarios/component/x.yaml::t", None, "component"),
        ("features/use_cases/test_x.py::t", None, "end_to_end"),
        ("features\\load\\test_x.py::t", None, "performance"),
        ("deep/scenarios/security/x.yaml::t", None, "security"),
        ("features/migration/sub/test_x.py::t", None, "migration"),
        ("scenarios/integration", None, "integration"),  # a folder alone
        ("tests/unit/test_x.py::t", None, None),
        ("component/x.yaml::t", None, None),  # not under scenarios/ or features/
        ("scenarios/mine/x.yaml::t", None, None),
        ("scenarios/x.yaml::t[component]", None, None),
        # the record's source folder wins over the node id
        ("x.yaml::t", "proj/checks/security/x.yaml", "security"),
        ("scenarios/component/x.yaml::t", "here/migration/x.yaml", "migration"),
        ("scenarios/component/x.yaml::t", "here/mine/x.yaml", "component"),
    ],
)
def test_the_family_of_a_test(nodeid: str, source: str | None, family: str | None) -> None:
    test = {"nodeid": nodeid, PROPERTY: _record(source) if source else None}
    assert readiness.family_of(test) == family


def test_family_results_count_each_outcome() -> None:
    def test(folder: str, outcome: str, **extra: Any) -> dict[str, Any]:
        return {"nodeid": f"scenarios/{folder}/x.yaml::t", "outcome": outcome, **extra}

    tests = [
        test("component", "passed"),
        test("component", "passed", flaky=True),
        test("component", "failed"),
        test("component", "error"),
        test("component", "xpassed"),
        test("component", "xfailed"),
        test("component", "skipped"),
        test("component", "skipped"),
        test("security", "skipped"),
        test("mine", "failed"),
    ]
    results = readiness.family_results(tests)
    assert list(results) == [
        "component",
        "integration",
        "end_to_end",
        "performance",
        "security",
        "migration",
    ]
    assert results["component"] == FFFamilyResultDTO(
        ran=True, tests=6, passed=2, failed=3, skipped=2, xfailed=1, flaky=1
    )
    assert results["security"] == FFFamilyResultDTO(
        ran=False, tests=0, passed=0, failed=0, skipped=1, xfailed=0, flaky=0
    )
    assert results["migration"] == FFFamilyResultDTO(
        ran=False, tests=0, passed=0, failed=0, skipped=0
    )


# -- criteria ---------------------------------------------------------------------------------
def _family(ran: bool = True, tests: int = 4, passed: int = 4) -> FFFamilyResultDTO:
    return FFFamilyResultDTO(ran=ran, tests=tests, passed=passed, failed=tests - passed, skipped=0)


def _report(**changes: Any) -> FFSystemIntegrationReportDTO:
    values: dict[str, Any] = {
        "report_id": "r",
        "generation_timestamp": "t",
        "testing_period": "p",
        "total_tests_executed": 10,
        "tests_passed": 10,
        "tests_failed": 0,
        "tests_skipped": 0,
        "overall_success_rate": 1.0,
        **dict.fromkeys(MANAGER_FLAGS.values(), True),
        "use_cases_validated": 3,
        "use_cases_passing": 3,
        "use_case_success_rate": 1.0,
        "use_case_results": [],
        "average_response_time_ms": 1.0,
        "peak_memory_usage_mb": 1.0,
        "peak_cpu_usage_percent": None,
        "throughput_rps": 1.0,
        "load_tests_passed": True,
        "security_tests_passed": True,
        "vulnerabilities_found": 0,
        "security_score": 1.0,
        "security_findings": [],
        "migration_tests_passed": True,
        "data_integrity_validated": True,
        "rollback_procedures_validated": True,
        "system_stability_score": 0.99,
        "error_rate_percent": 0.0,
        "uptime_percent": None,
        "production_readiness_score": None,
        "families": {"component": _family(), "integration": _family(tests=2, passed=2)},
        "notes": {"other": "kept"},
    }
    values.update(changes)
    return FFSystemIntegrationReportDTO(**values)


def _by_name(report: FFSystemIntegrationReportDTO, **kw: Any) -> dict[str, dict[str, Any]]:
    return {
        c.criterion: c.model_dump(exclude={"criterion"})
        for c in readiness.criteria(report, catalog_size=3, **kw)
    }


def test_every_criterion_met_with_what_it_measured() -> None:
    criteria = _by_name(_report())
    assert list(criteria) == [
        "use_cases",
        "component_integration",
        "stability",
        "performance",
        "security",
        "migration",
    ]
    assert criteria == {
        "use_cases": {
            "met": True,
            "measured": "3/3 passing of 3 in the catalog",
            "required": "all 3 validated end to end",
            "reason": "",
        },
        "component_integration": {
            "met": True,
            "measured": "6/6 tests passed; 5/5 manager integrations",
            "required": "100% of component and integration tests pass, all 5 manager integrations",
            "reason": "",
        },
        "stability": {"met": True, "measured": "99.00%", "required": "> 95%", "reason": ""},
        "performance": {
            "met": True,
            "measured": "thresholds met",
            "required": "every load test meets its thresholds",
            "reason": "",
        },
        "security": {
            "met": True,
            "measured": "0 finding(s) at or above medium (0 in all)",
            "required": "no vulnerability at or above medium",
            "reason": "",
        },
        "migration": {
            "met": True,
            "measured": "suite passed, integrity passed, rollback passed",
            "required": "migration suite passes, data integrity and rollback validated",
            "reason": "",
        },
    }


def test_criteria_not_met_say_what_was_measured() -> None:
    report = _report(
        use_cases_validated=3,
        use_cases_passing=2,
        families={"component": _family(tests=4, passed=3), "integration": _family()},
        system_stability_score=0.95,
        load_tests_passed=False,
        migration_tests_passed=False,
        data_integrity_validated=None,
        rollback_procedures_validated=True,
    )
    criteria = _by_name(report)
    assert {name: c["met"] for name, c in criteria.items()} == {
        "use_cases": False,
        "component_integration": False,
        "stability": False,  # 95% is not above 95%
        "performance": False,
        "security": True,
        "migration": False,
    }
    assert criteria["use_cases"]["measured"] == "2/3 passing of 3 in the catalog"
    assert criteria["component_integration"]["measured"] == (
        "7/8 tests passed; 5/5 manager integrations"
    )
    assert criteria["stability"]["measured"] == "95.00%"
    assert criteria["performance"]["measured"] == "a threshold was breached"
    assert criteria["migration"]["measured"] == "suite failed, integrity not run, rollback passed"


def test_use_cases_need_every_catalog_entry_validated() -> None:
    report = _report(use_cases_validated=2, use_cases_passing=2)
    assert _by_name(report)["use_cases"]["met"] is False
    assert (
        _by_name(_report(use_cases_validated=3, use_cases_passing=2))["use_cases"]["met"] is False
    )


def test_a_manager_integration_missing_fails_component_integration() -> None:
    flag = next(iter(MANAGER_FLAGS.values()))
    criterion = _by_name(_report(**{flag: False}))["component_integration"]
    assert criterion["met"] is False
    assert criterion["measured"] == "6/6 tests passed; 4/5 manager integrations"


@pytest.mark.parametrize(
    "families",
    [
        {},
        {"component": _family(), "integration": _family(ran=False, tests=0, passed=0)},
        {"component": _family(ran=False, tests=0, passed=0), "integration": _family()},
    ],
)
def test_component_integration_not_judged_without_both_families(families: dict) -> None:
    assert _by_name(_report(families=families))["component_integration"] == {
        "met": None,
        "measured": "did not run",
        "required": "100% of component and integration tests pass",
        "reason": "the component or integration family did not run",
    }


def test_families_that_did_not_run_are_not_judged() -> None:
    report = _report(load_tests_passed=None, security_findings=None, migration_tests_passed=None)
    criteria = _by_name(report, vulnerability_threshold="high")
    assert criteria["performance"] == {
        "met": None,
        "measured": "no load run",
        "required": "every load test meets its thresholds",
        "reason": "the performance family (load runs) did not run",
    }
    assert criteria["security"] == {
        "met": None,
        "measured": "did not run",
        "required": "no vulnerability at or above high",
        "reason": "the security family did not run",
    }
    assert criteria["migration"] == {
        "met": None,
        "measured": "did not run",
        "required": "migration suite passes, data integrity and rollback validated",
        "reason": "the migration family did not run",
    }


def _finding(severity: str) -> FFSecurityFindingDTO:
    return FFSecurityFindingDTO(
        test="t", name="n", severity=severity, allure_severity="normal", outcome="failed"
    )


@pytest.mark.parametrize(
    "threshold, over",
    [("low", 4), ("medium", 3), ("high", 2), ("critical", 1)],
)
def test_security_counts_findings_at_or_above_the_threshold(threshold: str, over: int) -> None:
    findings = [_finding(s) for s in ("low", "medium", "high", "critical")]
    criterion = _by_name(_report(security_findings=findings), vulnerability_threshold=threshold)[
        "security"
    ]
    assert criterion["met"] is False
    assert criterion["measured"] == f"{over} finding(s) at or above {threshold} (4 in all)"
    assert criterion["required"] == f"no vulnerability at or above {threshold}"


def test_a_low_finding_under_a_medium_threshold_is_met() -> None:
    criterion = _by_name(_report(security_findings=[_finding("low")]))["security"]
    assert criterion["met"] is True
    assert criterion["measured"] == "0 finding(s) at or above medium (1 in all)"


def test_apply_scores_a_full_run_and_explains_it() -> None:
    ready = readiness.apply(_report(), catalog_size=3)
    assert ready.production_readiness_score == 1.0 and ready.production_ready is True
    assert len(ready.readiness_criteria) == 6
    assert ready.notes["other"] == "kept"
    assert ready.notes["readiness"] == (
        "production_readiness_score = share of the seed's criteria met (use_cases, "
        "component_integration, stability, performance, security, migration: see "
        "readiness_criteria); a criterion whose family did not run is not met; "
        "production_ready = all met"
    )
    half = readiness.apply(
        _report(load_tests_passed=None, security_findings=None, migration_tests_passed=None),
        catalog_size=3,
    )
    assert half.production_readiness_score == 0.5 and half.production_ready is False
    one_off = readiness.apply(_report(system_stability_score=0.5), catalog_size=3)
    assert one_off.production_readiness_score == round(5 / 6, 4)


def test_apply_gives_a_partial_run_criteria_but_no_score() -> None:
    partial = readiness.apply(_report(run_scope="partial"), catalog_size=3)
    assert partial.production_readiness_score is None and partial.production_ready is None
    assert [c.met for c in partial.readiness_criteria] == [True] * 6
    assert partial.notes["readiness"] == (
        "production_readiness_score is null: readiness is judged on a full run only (a partial "
        "run leaves use cases and suites out); readiness_criteria show what this run alone "
        "would say"
    )


def test_apply_passes_the_threshold_on() -> None:
    report = _report(security_findings=[_finding("low")])
    strict = readiness.apply(report, catalog_size=3, vulnerability_threshold="low")
    assert strict.production_ready is False
    [security] = [c for c in strict.readiness_criteria if c.criterion == "security"]
    assert security.required == "no vulnerability at or above low"
