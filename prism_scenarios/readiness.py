"""Production readiness from the seed's success criteria, each judged on what ran.

The seed lists them under *Success Criteria*: all use cases validated end to end, component
integration at 100%, system stability above 95%, performance benchmarks met, security passing
its critical tests, migration validated with rollback. Each criterion here is met, not met,
or not judged (its family did not run). Only a met criterion counts, so a suite that did not
run pulls readiness down instead of counting as passed. ``production_readiness_score`` is the
share of criteria met. ``production_ready`` means all of them are met.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from prism_scenarios.components import MANAGER_FLAGS
from prism_scenarios.dto import (
    FAMILIES,
    FFFamilyResultDTO,
    FFReadinessCriterionDTO,
    FFSystemIntegrationReportDTO,
)
from prism_scenarios.families import FOLDER_FAMILY, ROOTS
from prism_scenarios.outcome import outcome_of

STABILITY_FLOOR = 0.95  # the seed: "System stability score exceeds 95%"
LEVELS = ("low", "medium", "high", "critical")


def family_of(test: dict[str, Any]) -> str | None:
    """The family of the suite folder a test comes from (scenarios/<folder>, features/...)."""
    record = outcome_of(test)
    source = record.source if record else ""
    folders = [Path(source).parent.name] if source else []
    head = test["nodeid"].split("::", 1)[0].replace("\\", "/").split("/")
    folders += [head[i + 1] for i in range(len(head) - 1) if head[i] in ROOTS]
    return next((FOLDER_FAMILY[f] for f in folders if f in FOLDER_FAMILY), None)


def family_results(tests: list[dict[str, Any]]) -> dict[str, FFFamilyResultDTO]:
    """Per family: how many of its tests ran and how they ended. A family with no test in the
    run is ``ran: false``."""
    out = {}
    for family in FAMILIES:
        mine = [t for t in tests if family_of(t) == family]
        counts = {
            k: sum(1 for t in mine if t["outcome"] == k)
            for k in ("passed", "failed", "error", "skipped", "xfailed", "xpassed")
        }
        ran = len(mine) - counts["skipped"]
        out[family] = FFFamilyResultDTO(
            ran=ran > 0,
            tests=ran,
            passed=counts["passed"],
            failed=counts["failed"] + counts["error"] + counts["xpassed"],
            skipped=counts["skipped"],
            xfailed=counts["xfailed"],
            flaky=sum(1 for t in mine if t.get("flaky")),
        )
    return out


def _criterion(
    name: str, met: bool | None, measured: str, required: str, reason: str = ""
) -> FFReadinessCriterionDTO:
    return FFReadinessCriterionDTO(
        criterion=name, met=met, measured=measured, required=required, reason=reason
    )


def criteria(
    report: FFSystemIntegrationReportDTO,
    *,
    catalog_size: int,
    vulnerability_threshold: str = "medium",
) -> list[FFReadinessCriterionDTO]:
    fam = report.families
    out = []
    uc_met = report.use_cases_validated == catalog_size and report.use_cases_passing == catalog_size
    out.append(
        _criterion(
            "use_cases",
            uc_met,
            f"{report.use_cases_passing}/{report.use_cases_validated} "
            f"passing of {catalog_size} in the catalog",
            f"all {catalog_size} validated end to end",
        )
    )
    component = [fam[f] for f in ("component", "integration") if f in fam]
    ran = [f for f in component if f.ran]
    flags = [getattr(report, flag) for flag in MANAGER_FLAGS.values()]
    if len(ran) < len(component) or not component:
        out.append(
            _criterion(
                "component_integration",
                None,
                "did not run",
                "100% of component and integration tests pass",
                "the component or integration family did not run",
            )
        )
    else:
        passed, total = sum(f.passed for f in ran), sum(f.tests for f in ran)
        out.append(
            _criterion(
                "component_integration",
                passed == total and all(flags),
                f"{passed}/{total} tests passed; {sum(flags)}/{len(flags)} manager integrations",
                "100% of component and integration tests pass, "
                f"all {len(flags)} manager integrations",
            )
        )
    out.append(
        _criterion(
            "stability",
            report.system_stability_score > STABILITY_FLOOR,
            f"{report.system_stability_score:.2%}",
            f"> {STABILITY_FLOOR:.0%}",
        )
    )
    if report.load_tests_passed is None:
        out.append(
            _criterion(
                "performance",
                None,
                "no load run",
                "every load test meets its thresholds",
                "the performance family (load runs) did not run",
            )
        )
    else:
        out.append(
            _criterion(
                "performance",
                report.load_tests_passed,
                "thresholds met" if report.load_tests_passed else "a threshold was breached",
                "every load test meets its thresholds",
            )
        )
    if report.security_findings is None:
        out.append(
            _criterion(
                "security",
                None,
                "did not run",
                f"no vulnerability at or above {vulnerability_threshold}",
                "the security family did not run",
            )
        )
    else:
        floor = LEVELS.index(vulnerability_threshold)
        over = [f for f in report.security_findings if LEVELS.index(f.severity) >= floor]
        out.append(
            _criterion(
                "security",
                not over,
                f"{len(over)} finding(s) at or above "
                f"{vulnerability_threshold} ({len(report.security_findings)} in all)",
                f"no vulnerability at or above {vulnerability_threshold}",
            )
        )
    if report.migration_tests_passed is None:
        out.append(
            _criterion(
                "migration",
                None,
                "did not run",
                "migration suite passes, data integrity and rollback validated",
                "the migration family did not run",
            )
        )
    else:
        parts = (
            report.migration_tests_passed,
            report.data_integrity_validated,
            report.rollback_procedures_validated,
        )
        out.append(
            _criterion(
                "migration",
                all(p is True for p in parts),
                f"suite {_word(parts[0])}, integrity {_word(parts[1])}, rollback {_word(parts[2])}",
                "migration suite passes, data integrity and rollback validated",
            )
        )
    return out


def _word(value: bool | None) -> str:
    return "not run" if value is None else "passed" if value else "failed"


def apply(
    report: FFSystemIntegrationReportDTO,
    *,
    catalog_size: int,
    vulnerability_threshold: str = "medium",
) -> FFSystemIntegrationReportDTO:
    """The report with its readiness criteria, score and verdict filled in (a partial run
    keeps the criteria but gets no score or verdict)."""
    judged = criteria(
        report, catalog_size=catalog_size, vulnerability_threshold=vulnerability_threshold
    )
    met = sum(1 for c in judged if c.met)
    update: dict[str, Any] = {"readiness_criteria": judged}
    if report.run_scope == "full":
        update["production_readiness_score"] = round(met / len(judged), 4)
        update["production_ready"] = met == len(judged)
    notes = dict(report.notes)
    notes["readiness"] = (
        "production_readiness_score = share of the seed's criteria met (use_cases, "
        "component_integration, stability, performance, security, migration: see "
        "readiness_criteria); a criterion whose family did not run is not met; "
        "production_ready = all met"
        if report.run_scope == "full"
        else "production_readiness_score is null: readiness is judged on a full run only (a "
        "partial run leaves use cases and suites out); readiness_criteria show what this run "
        "alone would say"
    )
    update["notes"] = notes
    return report.model_copy(update=update)
