"""What moved between two runs, in plain sentences for the "Changes since the last run" part
of the HTML and PDF. Fixed topic order, each topic's lines sorted: the same two reports always
give the same list."""

from __future__ import annotations

from prism_scenarios.dto import FFSystemIntegrationReportDTO
from prism_scenarios.formats.content import INTEGRATIONS, share

COUNTS = (
    ("total_tests_executed", "Tests executed"),
    ("tests_passed", "Tests passed"),
    ("tests_failed", "Tests failed"),
    ("tests_skipped", "Tests skipped"),
)
PERFORMANCE = (
    ("average_response_time_ms", "Average response time", "ms"),
    ("throughput_rps", "Throughput", "req/s"),
    ("peak_memory_usage_mb", "Peak memory", "MB"),
    ("peak_cpu_usage_percent", "Peak CPU", "%"),
)


def changes(
    previous: FFSystemIntegrationReportDTO, current: FFSystemIntegrationReportDTO
) -> list[str]:
    """Plain-language differences from ``previous`` to ``current``; empty when nothing moved."""
    return [
        *_counts(previous, current),
        *_use_cases(previous, current),
        *_readiness(previous, current),
        *_integrations(previous, current),
        *_security(previous, current),
        *_performance(previous, current),
    ]


def _counts(old: FFSystemIntegrationReportDTO, new: FFSystemIntegrationReportDTO) -> list[str]:
    out = []
    for name, label in COUNTS:
        a, b = getattr(old, name), getattr(new, name)
        if a != b:
            out.append(f"{label}: {a} -> {b} ({b - a:+d})")
    return out


def _use_cases(old: FFSystemIntegrationReportDTO, new: FFSystemIntegrationReportDTO) -> list[str]:
    before = {u.use_case_id: u for u in old.use_case_results}
    after = {u.use_case_id: u for u in new.use_case_results}
    out = []
    for uid in sorted(before.keys() & after.keys()):
        a, b = before[uid], after[uid]
        if a.validation_successful and not b.validation_successful:
            out.append(f"Use case stopped passing: {uid} ({b.use_case_name})")
        elif b.validation_successful and not a.validation_successful:
            out.append(f"Use case started passing: {uid} ({b.use_case_name})")
    out += [
        f"Use case no longer judged: {uid} ({before[uid].use_case_name})"
        for uid in sorted(before.keys() - after.keys())
    ]
    out += [
        f"Use case newly judged: {uid} ({after[uid].use_case_name}), "
        f"{'passing' if after[uid].validation_successful else 'failing'}"
        for uid in sorted(after.keys() - before.keys())
    ]
    return out


def _readiness(old: FFSystemIntegrationReportDTO, new: FFSystemIntegrationReportDTO) -> list[str]:
    a, b = old.production_readiness_score, new.production_readiness_score
    if a == b:
        return []
    if a is None or b is None:
        return [f"Production readiness score: {_score(a)} -> {_score(b)}"]
    return [f"Production readiness score: {share(a)} -> {share(b)} ({100 * (b - a):+.1f} points)"]


def _score(value: float | None) -> str:
    return "not judged" if value is None else share(value)


def _integrations(
    old: FFSystemIntegrationReportDTO, new: FFSystemIntegrationReportDTO
) -> list[str]:
    return sorted(
        f"{label} integration: {'now passing' if getattr(new, n) else 'now failing'}"
        for n, label in INTEGRATIONS
        if getattr(old, n) != getattr(new, n)
    )


def _security(old: FFSystemIntegrationReportDTO, new: FFSystemIntegrationReportDTO) -> list[str]:
    def keyed(r: FFSystemIntegrationReportDTO) -> dict[tuple[str, str], str]:
        return {(f.test, f.name): f.severity for f in r.security_findings or []}

    before, after = keyed(old), keyed(new)
    out = [
        f"New security finding [{after[k]}]: {k[1]} ({k[0]})"
        for k in sorted(after.keys() - before.keys())
    ]
    out += [
        f"Security finding gone [{before[k]}]: {k[1]} ({k[0]})"
        for k in sorted(before.keys() - after.keys())
    ]
    if old.vulnerabilities_found != new.vulnerabilities_found:
        out.append(
            f"Vulnerabilities found: {_count(old.vulnerabilities_found)} -> "
            f"{_count(new.vulnerabilities_found)}"
        )
    return out


def _count(value: int | None) -> str:
    return "not run" if value is None else str(value)


def _performance(old: FFSystemIntegrationReportDTO, new: FFSystemIntegrationReportDTO) -> list[str]:
    out = []
    if old.performance_source != new.performance_source:
        out.append(
            "Performance source changed (figures may not compare): "
            f"{old.performance_source} -> {new.performance_source}"
        )
    for name, label, unit in PERFORMANCE:
        a, b = getattr(old, name), getattr(new, name)
        if a == b:
            continue
        if a is None or b is None:
            out.append(f"{label}: {_measure(a, unit)} -> {_measure(b, unit)}")
            continue
        delta = f" ({100 * (b - a) / a:+.1f}%)" if a else ""
        out.append(f"{label}: {_measure(a, unit)} -> {_measure(b, unit)}{delta}")
    return out


def _measure(value: float | None, unit: str) -> str:
    if value is None:
        return "not measured"
    return f"{value:g}%" if unit == "%" else f"{value:g} {unit}"
