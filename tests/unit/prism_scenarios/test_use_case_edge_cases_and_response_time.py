"""A use case's edge-case scenarios (by the words in their names), the integration report's
average response time per step, the unknown-use-case sentence, and the sampler's average CPU
as CPU time over wall time."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest

from prism_scenarios import resource_sampler
from prism_scenarios.dto import FFPerformanceTestConfigDTO
from prism_scenarios.outcome import PROPERTY, TestOutcome
from prism_scenarios.use_cases import Catalog, UseCase, system_report
from prism_scenarios.use_cases.tally import validate_use_case

CASE = UseCase("storing", "Storing", "basic", ("storage",))


def _test(name: str, steps: int, duration: float) -> dict[str, Any]:
    return {
        "nodeid": f"scenarios/use_cases/x.yaml::{name}",
        "outcome": "passed",
        "message": "",
        PROPERTY: TestOutcome(
            use_case="storing",
            source="scenarios/use_cases/x.yaml",
            name=name,
            components=("storage",),
            steps=steps,
            duration=duration,
            tags=(),
            severity=None,
        ).to_dict(),
    }


def test_edge_cases_are_the_scenarios_named_like_one() -> None:
    mine = [_test("stores a message", 2, 0.1), _test("Rejects a stranger", 2, 0.1)]
    verdict = validate_use_case(
        CASE,
        mine,
        performance=FFPerformanceTestConfigDTO(),
        now="2026-01-01T00:00:00+00:00",
        partial=False,
    )
    assert verdict.edge_cases_tested == ["Rejects a stranger"]


def test_average_response_time_is_step_seconds_per_step_in_ms() -> None:
    tests = [_test("a", 4, 0.03), _test("b", 6, 0.02)]
    report = system_report(tests, [], elapsed=1.0, started=0.0)
    assert report.average_response_time_ms == 5.0


def test_an_unknown_use_case_points_at_the_project_catalog() -> None:
    catalog = Catalog({"storing": CASE})
    assert catalog.check_id("zzz") == (
        "unknown use_case 'zzz'; see `prism-scenarios list --use-cases` "
        "(a project's own use cases go in its own catalog: scenarios/use_cases.yaml, "
        "or use_case_catalog under [tool.prism-scenarios])"
    )


def test_average_cpu_is_cpu_seconds_over_wall_seconds(monkeypatch: pytest.MonkeyPatch) -> None:
    cpu = iter([10.0, 13.0])
    clock = iter([100.0, 104.0])
    monkeypatch.setattr(resource_sampler, "cpu_seconds", lambda: next(cpu))
    monkeypatch.setattr(
        resource_sampler,
        "time",
        SimpleNamespace(time=lambda: 0.0, perf_counter=lambda: next(clock)),
    )
    sampler = resource_sampler.ResourceSampler(interval=3600)
    with sampler:
        pass
    assert sampler.elapsed == 4.0
    assert sampler.average_cpu_percent == 75.0
