"""The verdict per use case, from the outcomes of the tests that ran.

A use case passes only if it has scenarios, all of them passed, and together they actually
exercised every required component (the engine records the components of every step it ran).
Verdicts are computed from the run's results, never from defaults: a use case no scenario
covered fails (full run) or is left out (partial run), it never counts as passed.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from prism_scenarios.dto import FFPerformanceTestConfigDTO, FFUseCaseValidationDTO
from prism_scenarios.outcome import OutcomeError, TestOutcome, outcome_of
from prism_scenarios.use_cases.catalog import Catalog, UseCase

# Words in a scenario's name that mark it as an edge case (refusals, limits, isolation ...)
EDGE_CASE_WORDS = (
    "refus",
    "reject",
    "denied",
    "isolat",
    "expire",
    "limit",
    "never",
    "not ",
    "invalid",
    "fails",
    "unknown",
)


def tests_by_use_case(tests: list[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    """The tests that declare a use case, grouped by it (others are not counted)."""
    grouped: dict[str, list[dict[str, Any]]] = {}
    for test in tests:
        record = outcome_of(test)
        if record is not None and record.use_case:
            grouped.setdefault(record.use_case, []).append(test)
    return grouped


def recorded(test: dict[str, Any]) -> TestOutcome:
    """The record of a test counted for a use case (tests_by_use_case keeps only those)."""
    record = outcome_of(test)
    if record is None:
        raise OutcomeError(f"{test['nodeid']}: counted for a use case but has no prism record")
    return record


def scenario_name(test: dict[str, Any]) -> str:
    record = outcome_of(test)
    return (record.name if record else "") or test["nodeid"].split("::", 1)[-1]


def exercised_components(mine: list[dict[str, Any]]) -> set[str]:
    """Every component a step of these tests ran (passed or not)."""
    exercised: set[str] = set()
    for test in mine:
        exercised.update(recorded(test).components)
    return exercised


def component_map(case: UseCase, mine: list[dict[str, Any]]) -> dict[str, bool]:
    """Per required and optional component of ``case``: exercised by one of its tests, and
    every one of its tests that touched it passed. Not exercised is False, never passed."""
    exercised = exercised_components(mine)
    return {
        c: c in exercised
        and all(t["outcome"] == "passed" for t in mine if c in recorded(t).components)
        for c in (*case.required, *case.optional)
    }


def blocking_issues(case: UseCase, mine: list[dict[str, Any]]) -> list[str]:
    """Why ``case`` does not pass: uncovered, a test that did not pass, a required component
    never exercised. Empty means it passes."""
    blocking = []
    if not mine:
        blocking.append(f"no scenario covers use case {case.id!r} ({case.name})")
    for test in mine:
        if test["outcome"] != "passed":
            first = (test.get("message") or "").strip().splitlines()[:1]
            blocking.append(
                f"{test['nodeid']}: {test['outcome']}" + (f" - {first[0][:200]}" if first else "")
            )
    exercised = exercised_components(mine)
    missing = [c for c in case.required if c not in exercised]
    if mine and missing:
        blocking.append(f"required components never exercised: {', '.join(missing)}")
    return blocking


def validate_use_case(
    case: UseCase,
    mine: list[dict[str, Any]],
    *,
    performance: FFPerformanceTestConfigDTO,
    now: str,
    partial: bool,
) -> FFUseCaseValidationDTO:
    """The verdict of one use case on its tests (``mine``; empty: none covered it)."""
    exercised = exercised_components(mine)
    passed = [t for t in mine if t["outcome"] == "passed"]
    blocking = blocking_issues(case, mine)
    missing = [c for c in case.required if c not in exercised]
    steps = sum(recorded(t).steps for t in mine)
    seconds = sum(recorded(t).duration for t in mine)
    average_ms = 1000 * seconds / steps if steps else 0.0
    pass_share = len(passed) / len(mine) if mine else 0.0
    coverage = 1 - len(missing) / len(case.required)
    end_to_end = {scenario_name(t): t["outcome"] == "passed" for t in mine}
    integration = {
        scenario_name(t): t["outcome"] == "passed"
        for t in mine
        if len(set(recorded(t).components) & set(case.required)) >= 2
    }
    return FFUseCaseValidationDTO(
        use_case_id=case.id,
        use_case_name=case.name,
        use_case_category=case.category,
        required_components=list(case.required),
        validation_timestamp=now,
        validation_successful=not blocking,
        validation_score=round(pass_share * coverage, 4),
        component_tests=component_map(case, mine),
        integration_tests=integration,
        end_to_end_tests=end_to_end,
        performance_meets_requirements=bool(mine)
        and average_ms <= performance.max_response_time_ms,
        average_response_time_ms=round(average_ms, 3),
        reliability_score=round(pass_share, 4),
        test_scenarios=[
            {
                "nodeid": t["nodeid"],
                "outcome": t["outcome"],
                "components": list(r.components),
                "steps": r.steps,
                "duration_ms": round(1000 * r.duration, 3),
            }
            for t in mine
            for r in (recorded(t),)
        ],
        edge_cases_tested=[
            scenario_name(t)
            for t in mine
            if any(w in scenario_name(t).lower() for w in EDGE_CASE_WORDS)
        ],
        blocking_issues=blocking,
        components_exercised=sorted(exercised),
        non_blocking_issues=["partial run: only the scenarios selected by this run were judged"]
        if partial and mine
        else [],
        total_time_ms=round(1000 * seconds, 3),
    )


def validate_use_cases(
    tests: list[dict[str, Any]],
    catalog: Catalog,
    performance: FFPerformanceTestConfigDTO | None = None,
    now: str | None = None,
    partial: bool = False,
) -> list[FFUseCaseValidationDTO]:
    """``partial``: the run was filtered (paths, -k, tags), so only the use cases it ran are
    judged, each on the scenarios that ran, and marked as such."""
    performance = performance or FFPerformanceTestConfigDTO()
    now = now or datetime.now(UTC).isoformat(timespec="seconds")
    grouped = tests_by_use_case(tests)
    results = []
    for case in catalog.use_cases.values():
        mine = grouped.get(case.id, [])
        if not mine and partial:
            continue  # not part of this run: not judged
        results.append(
            validate_use_case(case, mine, performance=performance, now=now, partial=partial)
        )
    return results
