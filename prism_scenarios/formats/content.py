"""What a report says, as plain rows of text: one source for the HTML and the PDF, so the two
forms cannot drift apart. No markup here; the renderers escape or draw it."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from prism_scenarios.dto import FFSystemIntegrationReportDTO

_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def printable(value: object) -> str:
    """Text for a drawing (PDF, chart): control characters have no glyph, so U+FFFD."""
    return _CONTROL.sub("\ufffd", str(value))


@dataclass(frozen=True)
class Section:
    """A titled list of label/value rows, with the report's note on why a value is null."""

    title: str
    rows: list[tuple[str, str]]
    note: str = ""


@dataclass(frozen=True)
class Verdict:
    headline: str
    tone: str  # "ready", "not-ready" or "unjudged": picks the banner colour
    detail: list[str] = field(default_factory=list)


def number(value: float | None, unit: str = "", digits: int = 1) -> str:
    """A figure as text; null stays visible as "not measured" instead of a made-up 0."""
    if value is None:
        return "not measured"
    text = f"{value:,.{digits}f}"
    return f"{text} {unit}".rstrip() if unit and unit != "%" else text + unit


def share(value: float | None) -> str:
    """A 0-1 score as a percentage."""
    return "not measured" if value is None else f"{100 * value:.1f}%"


def flag(value: bool | None, *, yes: str = "passed", no: str = "FAILED") -> str:
    return "not run" if value is None else yes if value else no


def verdict(report: FFSystemIntegrationReportDTO) -> Verdict:
    """The banner: the readiness score, or why there is none (a partial run is not judged)."""
    score = report.production_readiness_score
    if score is None:
        reason = (
            report.notes.get("scope")
            or report.notes.get("readiness")
            or f"{report.run_scope} run, no readiness score in the report"
        )
        return Verdict(f"Production readiness not judged: {reason}", "unjudged")
    ready = getattr(report, "production_ready", None)
    if ready is None:
        ready = score >= 1.0
    word = "production ready" if ready else "NOT production ready"
    unmet = [c.criterion for c in getattr(report, "readiness_criteria", []) if not c.met]
    detail = [f"Criteria not met: {', '.join(unmet)}"] if unmet else []
    return Verdict(
        f"Production readiness score {share(score)}: {word}",
        "ready" if ready else "not-ready",
        detail,
    )


def tests_section(r: FFSystemIntegrationReportDTO) -> Section:
    return Section(
        "Tests",
        [
            ("Executed", str(r.total_tests_executed)),
            ("Passed", str(r.tests_passed)),
            ("Failed", str(r.tests_failed)),
            ("Skipped", str(r.tests_skipped)),
            ("Success rate", number(r.overall_success_rate, "%")),
            ("Use cases passing", f"{r.use_cases_passing} of {r.use_cases_validated}"),
            ("Use case success rate", number(r.use_case_success_rate, "%")),
            ("Error rate", number(r.error_rate_percent, "%", 2)),
            ("Stability score", share(r.system_stability_score)),
            ("Run scope", r.run_scope),
            ("Testing period", r.testing_period),
        ],
        r.notes.get("scope", ""),
    )


INTEGRATIONS = (
    ("memory_layer_integration", "Memory layer"),
    ("panel_session_integration", "Panel sessions"),
    ("rag_integration", "RAG"),
    ("tool_execution_integration", "Tool execution"),
    ("analytics_integration", "Analytics"),
)


def integration_section(r: FFSystemIntegrationReportDTO) -> Section:
    return Section(
        "Component integration", [(label, flag(getattr(r, name))) for name, label in INTEGRATIONS]
    )


def performance_section(r: FFSystemIntegrationReportDTO) -> Section:
    return Section(
        "Performance",
        [
            ("Source", r.performance_source),
            ("Average response time", number(r.average_response_time_ms, "ms", 3)),
            ("Throughput", number(r.throughput_rps, "req/s")),
            ("Peak memory", number(r.peak_memory_usage_mb, "MB")),
            ("Peak CPU", number(r.peak_cpu_usage_percent, "%")),
            ("Average CPU", number(r.average_cpu_usage_percent, "%")),
            ("Load tests", flag(r.load_tests_passed)),
        ],
        r.notes.get("performance", ""),
    )


def security_section(r: FFSystemIntegrationReportDTO) -> Section:
    return Section(
        "Security",
        [
            ("Security tests", flag(r.security_tests_passed)),
            (
                "Vulnerabilities found",
                "not run" if r.vulnerabilities_found is None else str(r.vulnerabilities_found),
            ),
            ("Security score", share(r.security_score)),
        ],
        r.notes.get("security", ""),
    )


def migration_section(r: FFSystemIntegrationReportDTO) -> Section:
    return Section(
        "Migration",
        [
            ("Migration tests", flag(r.migration_tests_passed)),
            ("Data integrity", flag(r.data_integrity_validated, yes="validated")),
            ("Rollback procedures", flag(r.rollback_procedures_validated, yes="validated")),
        ],
        r.notes.get("migration", ""),
    )


SECTION_NOTES = ("scope", "performance", "security", "migration")


def other_notes(report: FFSystemIntegrationReportDTO) -> list[tuple[str, str]]:
    """The notes no section shows already, sorted by key."""
    return sorted((k, v) for k, v in report.notes.items() if k not in SECTION_NOTES)


def sections(report: FFSystemIntegrationReportDTO) -> list[Section]:
    """The figure sections, in page order."""
    return [
        tests_section(report),
        integration_section(report),
        performance_section(report),
        security_section(report),
        migration_section(report),
    ]


def use_case_rows(report: FFSystemIntegrationReportDTO) -> list[tuple[str, str, str, str]]:
    """(id, name, PASS/FAIL, score) per use case, in the report's (catalog) order."""
    return [
        (
            u.use_case_id,
            u.use_case_name,
            "PASS" if u.validation_successful else "FAIL",
            f"{u.validation_score:.2f}",
        )
        for u in report.use_case_results
    ]


def finding_rows(report: FFSystemIntegrationReportDTO) -> list[tuple[str, str, str]]:
    """(severity, name, message) per security finding, most severe first."""
    order = ("critical", "high", "medium", "low")
    found = sorted(
        report.security_findings or [], key=lambda f: (order.index(f.severity), f.name, f.test)
    )
    return [(f.severity.upper(), f.name, f.message or f.test) for f in found]


def criteria_rows(report: FFSystemIntegrationReportDTO) -> list[tuple[str, str, str, str]]:
    """(criterion, met, measured, required); empty for a report made before criteria existed."""
    return [
        (
            c.criterion,
            "not judged" if c.met is None else "met" if c.met else "NOT MET",
            c.measured,
            c.required,
        )
        for c in getattr(report, "readiness_criteria", [])
    ]
