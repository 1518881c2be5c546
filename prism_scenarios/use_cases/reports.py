"""Writing a run's use-case verdicts and integration report to REPORT_DIR/integration/.

Files only; what the run prints about them is the CLI's (:mod:`prism_scenarios.cli_tables`).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from prism_scenarios import readiness
from prism_scenarios.dto import FFSystemIntegrationReportDTO, FFUseCaseValidationDTO
from prism_scenarios.use_cases.catalog import Catalog, current_catalog
from prism_scenarios.use_cases.readiness_inputs import system_report
from prism_scenarios.use_cases.tally import validate_use_cases


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
