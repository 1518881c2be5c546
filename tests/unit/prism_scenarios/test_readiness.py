"""Readiness from the seed's criteria: a full run where everything passed is ready, and each
criterion alone pulls the score down and the verdict to 'not ready'."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from prism_scenarios import readiness
from prism_scenarios.cli import READINESS_EXIT, _readiness_gate
from prism_scenarios.dto import FFSystemIntegrationReportDTO
from prism_scenarios.load.integration import apply as apply_load
from prism_scenarios.outcome import PROPERTY, TestOutcome
from prism_scenarios.use_cases import (
    MANAGER_FLAGS,
    PACKAGED_CATALOG,
    load_catalog,
    system_report,
    validate_use_cases,
)

CATALOG = load_catalog(PACKAGED_CATALOG)
MANAGERS = list(MANAGER_FLAGS)


def _test(
    folder: str,
    name: str,
    *,
    use_case: str | None = None,
    outcome: str = "passed",
    components: list[str] | None = None,
    tags: list[str] | None = None,
    severity: str = "critical",
) -> dict[str, Any]:
    return {
        "nodeid": f"scenarios/{folder}/x.yaml::{name}",
        "outcome": outcome,
        "message": "" if outcome == "passed" else "boom",
        "duration": 0.1,
        PROPERTY: TestOutcome(
            use_case=use_case,
            source=f"scenarios/{folder}/x.yaml",
            name=name,
            components=tuple(components or ["storage"]),
            steps=3,
            duration=0.01,
            tags=tuple(tags or []),
            severity=severity,
        ).to_dict(),
    }


def _healthy() -> list[dict[str, Any]]:
    """One passing test per family, every use case covered with its components."""
    tests = [
        _test("use_cases", f"uc {uc.id}", use_case=uc.id, components=[*uc.required, "storage"])
        for uc in CATALOG.use_cases.values()
    ]
    tests += [_test("component", f"c {m}", components=[m]) for m in MANAGERS]
    tests += [
        _test("integration", f"i {m}", components=[m, "memory_layer", "storage"]) for m in MANAGERS
    ]
    tests += [_test("security", f"s {n}") for n in range(3)]
    tests += [
        _test("migration", "m integrity", tags=["data_integrity"]),
        _test("migration", "m rollback", tags=["rollback"]),
    ]
    return tests


LOAD_PASSED = {
    "generated": 1_800_000_000.0,
    "tests": [
        {
            "name": "basic_chat",
            "profile": "quick",
            "passed": True,
            "started": 30,
            "elapsed_seconds": 3.0,
            "cpu_percent_one_core": 40.0,
            "peak_rss_mb": 120.0,
            "metrics": {"iterations": {"avg_ms": 12.0, "count": 30}},
        }
    ],
}


def _judge(
    tests: list[dict[str, Any]], load: dict[str, Any] | None = LOAD_PASSED
) -> FFSystemIntegrationReportDTO:
    report = system_report(
        tests, validate_use_cases(tests, CATALOG), elapsed=1.0, started=1_800_000_000.0
    )
    if load is not None:
        report = FFSystemIntegrationReportDTO.model_validate(
            apply_load(report.model_dump(mode="json"), load)
        )
    return readiness.apply(report, catalog_size=len(CATALOG.use_cases))


def test_a_healthy_full_run_is_ready() -> None:
    report = _judge(_healthy())
    assert [(c.criterion, c.met) for c in report.readiness_criteria] == [
        ("use_cases", True),
        ("component_integration", True),
        ("stability", True),
        ("performance", True),
        ("security", True),
        ("migration", True),
    ]
    assert report.production_readiness_score == 1.0 and report.production_ready is True
    assert _readiness_gate(report, 1.0, "test") == 0
    assert report.families["security"].ran and report.families["security"].tests == 3


def _fail(folder: str, name_part: str) -> Callable[[list[dict[str, Any]]], None]:
    def change(tests: list[dict[str, Any]]) -> None:
        test = next(t for t in tests if folder in t["nodeid"] and name_part in t["nodeid"])
        test["outcome"] = "failed"

    return change


def _drop(folder: str) -> Callable[[list[dict[str, Any]]], None]:
    def change(tests: list[dict[str, Any]]) -> None:
        tests[:] = [t for t in tests if f"/{folder}/" not in t["nodeid"]]

    return change


def _many_failures(tests: list[dict[str, Any]]) -> None:
    """Stability only: extra failing tests outside every family and use case."""
    tests += [_test("extra", f"flaky {n}", outcome="failed") for n in range(10)]


@pytest.mark.parametrize(
    ("criterion", "change", "load"),
    [
        ("use_cases", _fail("use_cases", "uc basic_chat"), LOAD_PASSED),
        ("component_integration", _fail("component", "c analytics"), LOAD_PASSED),
        ("component_integration", _drop("integration"), LOAD_PASSED),
        ("stability", _many_failures, LOAD_PASSED),
        (
            "performance",
            None,
            {**LOAD_PASSED, "tests": [{**LOAD_PASSED["tests"][0], "passed": False}]},
        ),
        ("performance", None, None),
        ("security", _fail("security", "s 1"), LOAD_PASSED),
        ("security", _drop("security"), LOAD_PASSED),
        ("migration", _fail("migration", "m rollback"), LOAD_PASSED),
        ("migration", _drop("migration"), LOAD_PASSED),
    ],
    ids=[
        "use case fails",
        "component test fails",
        "integration family missing",
        "stability below 95%",
        "load threshold breached",
        "no load run",
        "critical security finding",
        "security family missing",
        "rollback fails",
        "migration family missing",
    ],
)
def test_each_criterion_alone_pulls_readiness_down(
    criterion: str, change: Any, load: dict[str, Any] | None
) -> None:
    tests = _healthy()
    if change is not None:
        change(tests)
    report = _judge(tests, load)
    unmet = [c.criterion for c in report.readiness_criteria if not c.met]
    assert unmet == [criterion], [c.model_dump() for c in report.readiness_criteria]
    assert report.production_ready is False
    assert report.production_readiness_score == round(5 / 6, 4)
    # the exit code moves with it: below minimum_readiness_score 1.0 -> 7, above 0.8 -> 0
    assert _readiness_gate(report, 1.0, "test") == READINESS_EXIT == 7
    assert _readiness_gate(report, 0.8, "test") == 0


def test_a_finding_below_the_vulnerability_threshold_does_not_block() -> None:
    tests = _healthy()
    tests.append(_test("security", "s minor", outcome="failed", severity="minor"))
    report = system_report(
        tests, validate_use_cases(tests, CATALOG), elapsed=1.0, started=1_800_000_000.0
    )
    report = FFSystemIntegrationReportDTO.model_validate(
        apply_load(report.model_dump(mode="json"), LOAD_PASSED)
    )
    lenient = readiness.apply(report, catalog_size=22, vulnerability_threshold="medium")
    strict = readiness.apply(report, catalog_size=22, vulnerability_threshold="low")
    assert [c.met for c in lenient.readiness_criteria if c.criterion == "security"] == [True]
    assert [c.met for c in strict.readiness_criteria if c.criterion == "security"] == [False]
