"""What readiness is judged on: the run's integration report (test counts, one integration
flag per manager, the use-case verdicts, the security and migration fields).

Each figure comes from the outcomes of the tests that ran; :mod:`prism_scenarios.readiness`
turns the report into criteria, a score and a verdict.
"""

from __future__ import annotations

import resource
from datetime import UTC, datetime
from typing import Any

from prism_scenarios import readiness
from prism_scenarios.components import MANAGER_FLAGS
from prism_scenarios.dto import FFSystemIntegrationReportDTO, FFUseCaseValidationDTO
from prism_scenarios.outcome import outcome_of
from prism_scenarios.use_cases.migration import migration_suite, migration_verdicts
from prism_scenarios.use_cases.security import (
    SECURITY_NOTE,
    security_findings,
    security_score,
    security_suite,
)

OUTCOMES = ("passed", "failed", "skipped", "error", "xfailed", "xpassed")


def outcome_counts(tests: list[dict[str, Any]]) -> dict[str, int]:
    """How many tests ended each way (every outcome present, 0 when none)."""
    return {k: sum(1 for t in tests if t["outcome"] == k) for k in OUTCOMES}


def manager_flags(tests: list[dict[str, Any]]) -> dict[str, bool]:
    """Per manager, its report flag: some test touched it together with another component,
    and every such test passed. No such test is False (not run is not passed)."""
    reached = [(t, r.components) for t in tests if (r := outcome_of(t)) is not None]
    flags = {}
    for component, flag in MANAGER_FLAGS.items():
        touching = [t for t, used in reached if component in used and len(used) >= 2]
        flags[flag] = bool(touching) and all(t["outcome"] == "passed" for t in touching)
    return flags


def system_report(
    tests: list[dict[str, Any]],
    validations: list[FFUseCaseValidationDTO],
    *,
    elapsed: float,
    started: float,
    average_cpu_percent: float | None = None,
    peak_cpu_percent: float | None = None,
    peak_rss_mb: float | None = None,
    partial: bool = False,
) -> FFSystemIntegrationReportDTO:
    """The integration report of a run: counts, manager flags, use-case, security and
    migration fields, all from ``tests``; readiness itself is judged by readiness.apply."""
    counts = outcome_counts(tests)
    executed = len(tests) - counts["skipped"]
    failed = counts["failed"] + counts["error"] + counts["xpassed"]
    records = [r for t in tests if (r := outcome_of(t)) is not None]
    steps = sum(r.steps for r in records)
    step_seconds = sum(r.duration for r in records)
    flags = manager_flags(tests)
    security = [t for t in security_suite(tests) if t["outcome"] != "skipped"]
    migration = migration_suite(tests)
    passing = sum(v.validation_successful for v in validations)
    success_rate = round(100 * counts["passed"] / executed, 2) if executed else 0.0
    uc_rate = round(100 * passing / len(validations), 2) if validations else 0.0
    if peak_rss_mb is None:  # no sampler: the largest single process's high-water mark
        peak_rss_mb = (
            max(
                resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
                resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss,
            )
            / 1024
        )
    notes = {
        "uptime": "uptime_percent is null: a test run has no service uptime to measure",
        "throughput": "throughput_rps = engine steps per second of step time",
        "cpu": "peak_cpu_usage_percent is sampled every 0.25 s over this process and "
        "its children (100 = one core busy)",
        "performance": "performance fields come from this functional run's step times "
        "(no load run in REPORT_DIR/load): `prism-scenarios load "
        "scenarios/load/*.yaml` measures them under load",
    }
    notes["security"] = (
        SECURITY_NOTE
        if security
        else (
            "no security test ran in this run (scenarios/security, features/security, or tagged "
            "security): security_tests_passed, vulnerabilities_found, security_score and "
            "security_findings are null"
        )
    )
    migration_fields = migration_verdicts(migration)
    notes.update(migration_fields.pop("notes"))
    findings = security_findings(security)
    security_share = security_score(security) if security else 0.0
    return FFSystemIntegrationReportDTO(
        report_id=f"report_{int(started * 1000)}",
        generation_timestamp=datetime.now(UTC).isoformat(timespec="seconds"),
        testing_period=f"{datetime.fromtimestamp(started, UTC).isoformat(timespec='seconds')}"
        f"/{elapsed:.1f}s",
        total_tests_executed=executed,
        tests_passed=counts["passed"],
        tests_failed=failed,
        tests_skipped=counts["skipped"],
        overall_success_rate=success_rate,
        **flags,
        use_cases_validated=len(validations),
        use_cases_passing=passing,
        use_case_success_rate=uc_rate,
        use_case_results=validations,
        average_response_time_ms=round(1000 * step_seconds / steps, 3) if steps else 0.0,
        peak_memory_usage_mb=round(peak_rss_mb, 1),
        peak_cpu_usage_percent=round(peak_cpu_percent, 1) if peak_cpu_percent is not None else None,
        average_cpu_usage_percent=round(average_cpu_percent, 1)
        if average_cpu_percent is not None
        else None,
        throughput_rps=round(steps / step_seconds, 1) if step_seconds else 0.0,
        security_tests_passed=not findings if security else None,
        vulnerabilities_found=len(findings) if security else None,
        security_score=round(security_share, 4) if security else None,
        security_findings=findings if security else None,
        **migration_fields,
        system_stability_score=round(success_rate / 100, 4),
        error_rate_percent=round(100 * failed / executed, 2) if executed else 0.0,
        uptime_percent=None,
        critical_issues=[issue for v in validations for issue in v.blocking_issues][:50],
        production_readiness_score=None,  # readiness.apply judges the criteria
        run_scope="partial" if partial else "full",
        notes=notes,
        families=readiness.family_results(tests),
    )
