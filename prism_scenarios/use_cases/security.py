"""The security suite of a run and what it found: which tests belong to it, each failure as
a finding with its severity, the severity-weighted score, and the vulnerability gate's cut.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from prism_scenarios.dto import FFSecurityFindingDTO
from prism_scenarios.outcome import outcome_of
from prism_scenarios.use_cases.tally import scenario_name

SECURITY_SUITE = "security"  # scenarios/security/ and features/security/
SECURITY_TAG = "security"
# vulnerability_threshold's scale (FFSecurityTestConfigDTO), low to high
LEVELS = ("low", "medium", "high", "critical")
# A scenario's Allure severity on that scale
LEVEL_OF = {
    "trivial": "low",
    "minor": "low",
    "normal": "medium",
    "critical": "high",
    "blocker": "critical",
}
LEVEL_WEIGHT = {"low": 1, "medium": 2, "high": 4, "critical": 8}
SECURITY_NOTE = (
    "security fields come from the security suite only: tests from scenarios/security/ or "
    "features/security/, or tagged security (skipped ones did not run). A security test that "
    "did not pass (failed, error, xfailed, xpassed) is a vulnerability, listed in "
    "security_findings with its severity: the scenario's severity (YAML `severity:`, Gherkin "
    "@severity:) mapped trivial/minor -> low, normal -> medium, critical -> high, blocker -> "
    "critical, and its asvs:<id> tags. security_score = severity-weighted share of passing "
    "security tests (weights low 1, medium 2, high 4, critical 8); 1.0 = all passed. "
    "`prism-scenarios run` exits 6 when a vulnerability is at or above "
    "--vulnerability-threshold (FFSecurityTestConfigDTO.vulnerability_threshold)"
)


def _in_security_folder(test: dict[str, Any]) -> bool:
    record = outcome_of(test)
    source = record.source if record else ""
    where = [Path(source).parent.name] if source else []
    head = test["nodeid"].split("::", 1)[0].replace("\\", "/").split("/")
    where += [head[i + 1] for i in range(len(head) - 1) if head[i] in ("scenarios", "features")]
    return SECURITY_SUITE in where


def security_suite(tests: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The tests of the security suite: from a ``security`` folder under scenarios/ or
    features/, or tagged ``security``. A unit test about security code is not one."""
    return [t for t in tests if _in_security_folder(t) or SECURITY_TAG in _tags(t)]


def _tags(test: dict[str, Any]) -> tuple[str, ...]:
    record = outcome_of(test)
    return record.tags if record else ()


def allure_severity(test: dict[str, Any]) -> str:
    """The test's severity as its scenario declares it (``normal`` when it says nothing)."""
    record = outcome_of(test)
    # the record's (it travels from xdist workers), else the one the summary saw collected
    severity = (record.severity if record else None) or test.get("severity")
    if not severity:
        severity = next(
            (t.split(":", 1)[1] for t in sorted(_tags(test)) if t.startswith("severity:")),
            None,
        )
    return severity if severity in LEVEL_OF else "normal"


def severity_level(test: dict[str, Any]) -> str:
    return LEVEL_OF[allure_severity(test)]


def security_findings(security: list[dict[str, Any]]) -> list[FFSecurityFindingDTO]:
    """Every security test that ran and did not pass, most severe first."""
    findings = []
    for test in security:
        if test["outcome"] in ("passed", "skipped"):
            continue
        tags = _tags(test)
        message = (test.get("message") or "").strip().splitlines()
        findings.append(
            FFSecurityFindingDTO(
                test=test["nodeid"],
                name=scenario_name(test),
                severity=severity_level(test),
                allure_severity=allure_severity(test),
                asvs=sorted({t.split(":", 1)[1] for t in tags if t.startswith("asvs:")}),
                outcome=test["outcome"],
                message=message[0][:300] if message else "",
            )
        )
    return sorted(findings, key=lambda f: -LEVELS.index(f.severity))


def security_score(security: list[dict[str, Any]]) -> float:
    """Severity-weighted share of passing security tests (see :data:`SECURITY_NOTE`)."""
    total = sum(LEVEL_WEIGHT[severity_level(t)] for t in security)
    passed = sum(LEVEL_WEIGHT[severity_level(t)] for t in security if t["outcome"] == "passed")
    return passed / total if total else 0.0


def vulnerabilities_at_or_above(
    findings: list[FFSecurityFindingDTO] | None, threshold: str
) -> list[FFSecurityFindingDTO]:
    """The findings that trip the ``vulnerability_threshold`` gate."""
    floor = LEVELS.index(threshold)
    return [f for f in findings or [] if LEVELS.index(f.severity) >= floor]
