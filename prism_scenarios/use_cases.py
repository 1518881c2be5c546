"""Use-case bookkeeping: the catalog, which scenarios cover which use case, and the verdict.

A use case passes only if it has scenarios, all of them passed, and together they actually
exercised every required component (the engine records the components of every step it ran).
Reports are computed from the run's results, never from defaults.
"""

from __future__ import annotations

import difflib
import functools
import json
import resource
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import jsonschema

from flatfile_chat.config.yaml_lines import YAMLError, line_of, load_yaml_file, plain
from prism_scenarios import readiness
from prism_scenarios.dto import (
    FFPerformanceTestConfigDTO,
    FFSecurityFindingDTO,
    FFSystemIntegrationReportDTO,
    FFUseCaseValidationDTO,
)

DATA = Path(__file__).resolve().parent / "data"
PACKAGED_CATALOG = DATA / "use_cases.yaml"  # the canonical 22 PrismMind use cases
PROJECT_CATALOG = Path("scenarios/use_cases.yaml")  # a project's own catalog, if it has one
CATALOG_SCHEMA = DATA / "use-case-catalog.schema.json"
MANAGER_FLAGS = {
    "memory_layer": "memory_layer_integration",
    "panel_session": "panel_session_integration",
    "knowledge_base": "rag_integration",
    "tool_execution": "tool_execution_integration",
    "analytics": "analytics_integration",
}


class CatalogError(ValueError):
    pass


@dataclass(frozen=True)
class UseCase:
    id: str
    name: str
    category: str
    required: tuple[str, ...]
    optional: tuple[str, ...] = ()


@dataclass
class Catalog:
    use_cases: dict[str, UseCase]
    aliases: dict[str, list[str]] = field(default_factory=dict)

    def check_id(self, value: str) -> str | None:
        """None if ``value`` is a canonical id, else a sentence saying what to use."""
        if value in self.use_cases:
            return None
        if value in self.aliases:
            return (
                f"use_case {value!r} is a non-canonical name; use "
                f"{' or '.join(map(repr, self.aliases[value]))}"
            )
        close = difflib.get_close_matches(value, list(self.use_cases), n=1)
        hint = f" (did you mean {close[0]!r}?)" if close else ""
        return (
            f"unknown use_case {value!r}{hint}; see `prism-scenarios list --use-cases` "
            "(a project's own use cases go in its own catalog: scenarios/use_cases.yaml, "
            "or use_case_catalog under [tool.prism-scenarios])"
        )


def project_catalog_path() -> Path | None:
    """The project's own catalog: ``use_case_catalog`` in ``[tool.prism-scenarios]``, else
    ``scenarios/use_cases.yaml`` if it exists (both relative to the project root)."""
    from prism_scenarios import settings

    project = settings.load()
    if project.use_case_catalog:
        return project.path(project.use_case_catalog)
    default = project.path(PROJECT_CATALOG)
    return default if default.is_file() else None


def catalog_path() -> Path:
    """The project's catalog, else the packaged PrismMind one."""
    return project_catalog_path() or PACKAGED_CATALOG


@functools.lru_cache(maxsize=4)
def load_catalog(path: Path = PACKAGED_CATALOG) -> Catalog:
    try:
        document = load_yaml_file(path)
    except (OSError, YAMLError) as exc:
        raise CatalogError(str(exc)) from None
    schema = json.loads(CATALOG_SCHEMA.read_text())
    problems = [
        f"{path}:{line_of(document, list(e.absolute_path)) or 1}: {e.message}"
        for e in jsonschema.Draft202012Validator(schema).iter_errors(document)
    ]
    data = plain(document) if not problems else {"use_cases": [], "aliases": {}}
    ids = [u["id"] for u in data["use_cases"]]
    problems += [
        f"{path}: duplicate use case id {i!r}" for i in sorted(set(ids)) if ids.count(i) > 1
    ]
    for alias, targets in data.get("aliases", {}).items():
        problems += [
            f"{path}: alias {alias!r} points to unknown use case {t!r}"
            for t in targets
            if t not in ids
        ]
    if problems:
        raise CatalogError("\n".join(problems))
    return Catalog(
        {
            u["id"]: UseCase(
                u["id"],
                u["name"],
                u["category"],
                tuple(u["required"]),
                tuple(u.get("optional", ())),
            )
            for u in data["use_cases"]
        },
        data.get("aliases", {}),
    )


def current_catalog() -> Catalog:
    return load_catalog(catalog_path())


# -- the verdict -------------------------------------------------------------------------
def _tests_by_use_case(tests: list[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    grouped: dict[str, list[dict[str, Any]]] = {}
    for test in tests:
        info = test.get("prism") or {}
        if info.get("use_case"):
            grouped.setdefault(info["use_case"], []).append(test)
    return grouped


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
    grouped = _tests_by_use_case(tests)
    results = []
    for case in catalog.use_cases.values():
        mine = grouped.get(case.id, [])
        exercised: set[str] = set()
        for test in mine:
            exercised.update(test["prism"]["components"])
        passed = [t for t in mine if t["outcome"] == "passed"]
        blocking = []
        if not mine:
            if partial:
                continue  # not part of this run: not judged
            blocking.append(f"no scenario covers use case {case.id!r} ({case.name})")
        for test in mine:
            if test["outcome"] != "passed":
                first = (test.get("message") or "").strip().splitlines()[:1]
                blocking.append(
                    f"{test['nodeid']}: {test['outcome']}"
                    + (f" - {first[0][:200]}" if first else "")
                )
        missing = [c for c in case.required if c not in exercised]
        if mine and missing:
            blocking.append(f"required components never exercised: {', '.join(missing)}")
        steps = sum(t["prism"]["steps"] for t in mine)
        seconds = sum(t["prism"]["duration"] for t in mine)
        average_ms = 1000 * seconds / steps if steps else 0.0
        pass_share = len(passed) / len(mine) if mine else 0.0
        coverage = 1 - len(missing) / len(case.required)
        end_to_end = {_scenario_name(t): t["outcome"] == "passed" for t in mine}
        integration = {
            _scenario_name(t): t["outcome"] == "passed"
            for t in mine
            if len(set(t["prism"]["components"]) & set(case.required)) >= 2
        }
        components = {
            c: c in exercised
            and all(t["outcome"] == "passed" for t in mine if c in t["prism"]["components"])
            for c in (*case.required, *case.optional)
        }
        results.append(
            FFUseCaseValidationDTO(
                use_case_id=case.id,
                use_case_name=case.name,
                use_case_category=case.category,
                required_components=list(case.required),
                validation_timestamp=now,
                validation_successful=not blocking,
                validation_score=round(pass_share * coverage, 4),
                component_tests=components,
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
                        "components": t["prism"]["components"],
                        "steps": t["prism"]["steps"],
                        "duration_ms": round(1000 * t["prism"]["duration"], 3),
                    }
                    for t in mine
                ],
                edge_cases_tested=[
                    _scenario_name(t)
                    for t in mine
                    if any(
                        w in _scenario_name(t).lower()
                        for w in (
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
                    )
                ],
                blocking_issues=blocking,
                components_exercised=sorted(exercised),
                non_blocking_issues=[
                    "partial run: only the scenarios selected by this run were judged"
                ]
                if partial and mine
                else [],
                total_time_ms=round(1000 * seconds, 3),
            )
        )
    return results


def _scenario_name(test: dict[str, Any]) -> str:
    return (test.get("prism") or {}).get("name") or test["nodeid"].split("::", 1)[-1]


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
    counts = {
        k: sum(1 for t in tests if t["outcome"] == k)
        for k in ("passed", "failed", "skipped", "error", "xfailed", "xpassed")
    }
    executed = len(tests) - counts["skipped"]
    failed = counts["failed"] + counts["error"] + counts["xpassed"]
    steps = sum((t.get("prism") or {}).get("steps", 0) for t in tests)
    step_seconds = sum((t.get("prism") or {}).get("duration", 0.0) for t in tests)
    flags = {}
    for component, flag in MANAGER_FLAGS.items():
        touching = [
            t
            for t in tests
            if t.get("prism")
            and component in t["prism"]["components"]
            and len(t["prism"]["components"]) >= 2
        ]
        flags[flag] = bool(touching) and all(t["outcome"] == "passed" for t in touching)
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


# -- the security suite -------------------------------------------------------------------
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
    source = (test.get("prism") or {}).get("source") or ""
    where = [Path(source).parent.name] if source else []
    head = test["nodeid"].split("::", 1)[0].replace("\\", "/").split("/")
    where += [head[i + 1] for i in range(len(head) - 1) if head[i] in ("scenarios", "features")]
    return SECURITY_SUITE in where


def security_suite(tests: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The tests of the security suite: from a ``security`` folder under scenarios/ or
    features/, or tagged ``security``. A unit test about security code is not one."""
    return [
        t
        for t in tests
        if _in_security_folder(t) or SECURITY_TAG in ((t.get("prism") or {}).get("tags") or [])
    ]


def allure_severity(test: dict[str, Any]) -> str:
    """The test's severity as its scenario declares it (``normal`` when it says nothing)."""
    record = test.get("prism") or {}
    severity = record.get("severity") or test.get("severity")
    if not severity:
        severity = next(
            (
                t.split(":", 1)[1]
                for t in sorted(record.get("tags") or [])
                if t.startswith("severity:")
            ),
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
        tags = (test.get("prism") or {}).get("tags") or []
        message = (test.get("message") or "").strip().splitlines()
        findings.append(
            FFSecurityFindingDTO(
                test=test["nodeid"],
                name=_scenario_name(test),
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


# -- the migration suite ------------------------------------------------------------------
MIGRATION_SUITE = "migration"  # scenarios/migration/ and features/migration/
INTEGRITY_TAG = "data_integrity"
ROLLBACK_TAG = "rollback"


def migration_suite(tests: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The scenarios of the migration suite: YAML files and Gherkin bindings in a folder named
    ``migration`` (``--suite migration``), run by the engine. A unit test that merely has
    "migration" in its node id is not one."""
    return [
        t
        for t in tests
        if (t.get("prism") or {}).get("source")
        and Path(t["prism"]["source"]).parent.name == MIGRATION_SUITE
    ]


def _verdict(tests: list[dict[str, Any]]) -> bool | None:
    """All passed (None: none ran; skipped ones did not run, xfailed ones did not pass)."""
    ran = [t for t in tests if t["outcome"] != "skipped"]
    return all(t["outcome"] == "passed" for t in ran) if ran else None


def migration_verdicts(migration: list[dict[str, Any]]) -> dict[str, Any]:
    """``migration_tests_passed``: every scenario of the migration suite passed;
    ``data_integrity_validated`` / ``rollback_procedures_validated``: every scenario of the
    suite tagged ``data_integrity`` / ``rollback`` passed. Null, with a note under ``notes``
    (returned as ``notes``), when no such scenario ran."""

    def tagged(tag: str) -> list[dict[str, Any]]:
        return [t for t in migration if tag in ((t.get("prism") or {}).get("tags") or [])]

    fields = {
        "migration_tests_passed": _verdict(migration),
        "data_integrity_validated": _verdict(tagged(INTEGRITY_TAG)),
        "rollback_procedures_validated": _verdict(tagged(ROLLBACK_TAG)),
    }
    notes = {}
    if fields["migration_tests_passed"] is None:
        notes["migration"] = (
            "no migration suite ran in this run (scenarios/migration, "
            "features/migration): the migration fields are null"
        )
    else:
        notes["migration"] = (
            "migration_tests_passed: every scenario of the migration suite passed; "
            f"data_integrity_validated / rollback_procedures_validated: every one of them "
            f"tagged {INTEGRITY_TAG} / {ROLLBACK_TAG} passed (xfailed counts as not passed)"
        )
        for field, tag in (
            ("data_integrity_validated", INTEGRITY_TAG),
            ("rollback_procedures_validated", ROLLBACK_TAG),
        ):
            if fields[field] is None:
                notes[field] = (
                    f"{field} is null: no scenario of the migration suite tagged {tag} ran"
                )
    return {**fields, "notes": notes}


def write_reports(
    tests: list[dict[str, Any]],
    report_dir: Path,
    *,
    elapsed: float,
    started: float,
    partial_because: list[str] | None = None,
    average_cpu_percent: float | None = None,
    peak_cpu_percent: float | None = None,
    peak_rss_mb: float | None = None,
    catalog: Catalog | None = None,
    vulnerability_threshold: str = "medium",
    apply_load: bool = True,
    config_source: str | None = None,
    families_run: list[str] | None = None,
) -> tuple[list[FFUseCaseValidationDTO], FFSystemIntegrationReportDTO]:
    """``partial_because``: why the run is partial (filters given), empty for a full run."""
    catalog = catalog or current_catalog()
    partial = bool(partial_because)
    validations = validate_use_cases(tests, catalog, partial=partial)
    report = system_report(
        tests,
        validations,
        elapsed=elapsed,
        started=started,
        average_cpu_percent=average_cpu_percent,
        peak_cpu_percent=peak_cpu_percent,
        peak_rss_mb=peak_rss_mb,
        partial=partial,
    )
    if partial:
        report.notes["scope"] = (
            f"partial run ({'; '.join(partial_because or [])}): only the "
            f"{len(validations)} use cases this run touched are judged, "
            "each on the scenarios that ran"
        )
    from prism_scenarios.load.integration import apply, read_summary

    # A load summary left by an earlier `prism-scenarios load` counts unless this run had a
    # performance family of its own that did not run load files (then it would be stale).
    load = read_summary(report_dir) if apply_load else None
    if config_source is not None:
        report.notes["configuration"] = (
            f"run configuration: {config_source}; families selected: "
            f"{', '.join(families_run) if families_run is not None else 'paths given by hand'}"
        )
    if load is not None:  # performance from the load run, not from this functional run
        report = FFSystemIntegrationReportDTO.model_validate(
            apply(report.model_dump(mode="json"), load)
        )
    report = readiness.apply(
        report, catalog_size=len(catalog.use_cases), vulnerability_threshold=vulnerability_threshold
    )
    out = report_dir / "integration"
    out.mkdir(parents=True, exist_ok=True)
    (out / "system_integration_report.json").write_text(report.model_dump_json(indent=2))
    (out / "use_case_validation.json").write_text(
        json.dumps([v.model_dump() for v in validations], indent=2)
    )
    return validations, report


def print_run_table(
    validations: list[FFUseCaseValidationDTO], partial_because: list[str] | None = None
) -> None:
    rows = validations  # a partial run's validations hold only the use cases it ran
    if partial_because:
        print(
            f"partial run ({'; '.join(partial_because)}): only the use cases it touched are judged"
        )
    if not rows:
        print("no scenario in this run declares a use case")
        return
    print(
        f"{'use case':22} {'result':7} {'scenarios':>9} {'time':>8}  components exercised "
        "(missing required in !)"
    )
    for v in rows:
        passed = sum(v.end_to_end_tests.values())
        total = len(v.end_to_end_tests)
        components = ", ".join(v.components_exercised) or "-"
        missing = [c for c in v.required_components if c not in v.components_exercised]
        if missing:
            components += "  !" + ",".join(missing)
        print(
            f"{v.use_case_id:22} {'PASS' if v.validation_successful else 'FAIL':7} "
            f"{passed:>4}/{total:<4} {v.total_time_ms / 1000:>7.2f}s  {components}"
        )
    passing = sum(v.validation_successful for v in rows)
    print(f"use cases passing: {passing}/{len(rows)}")


# -- static coverage (`prism-scenarios list --use-cases`) ----------------------------------
def print_use_case_table(paths: list[str]) -> int:
    from prism_scenarios.validate import static_coverage

    try:
        catalog = current_catalog()
    except CatalogError as exc:
        print(exc)
        return 1
    coverage = static_coverage(paths)
    print(f"{'use case':22} {'category':18} {'required components':55} scenarios")
    for case in catalog.use_cases.values():
        found = coverage.get(case.id, [])
        print(f"{case.id:22} {case.category:18} {', '.join(case.required):55} {len(found)}")
        for ref, components in found:
            missing = set(case.required) - set(components)
            flag = f"   (does not touch: {', '.join(sorted(missing))})" if missing else ""
            print(f"    {ref}{flag}")
    print("aliases: " + ", ".join(f"{a} -> {'/'.join(t)}" for a, t in catalog.aliases.items()))
    return 0


__all__ = [
    "Catalog",
    "CatalogError",
    "load_catalog",
    "migration_suite",
    "migration_verdicts",
    "print_run_table",
    "system_report",
    "validate_use_cases",
    "write_reports",
]
