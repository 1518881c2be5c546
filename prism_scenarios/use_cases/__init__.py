"""Use-case bookkeeping, one job per module, none of them printing (the CLI prints, see
:mod:`prism_scenarios.cli_tables`):

- :mod:`.catalog`: the use cases, their categories and required components (loading only);
- :mod:`.tally`: the verdict per use case and its per-component map, from test outcomes;
- :mod:`.security`, :mod:`.migration`: the security and migration suites of a run;
- :mod:`.readiness_inputs`: the integration report readiness is judged on;
- :mod:`.reports`: writing them to REPORT_DIR/integration/.

The names below are the package's public face; import from here.
"""

from __future__ import annotations

from prism_scenarios.components import MANAGER_FLAGS
from prism_scenarios.use_cases.catalog import (
    CATALOG_SCHEMA,
    DATA,
    PACKAGED_CATALOG,
    PROJECT_CATALOG,
    Catalog,
    CatalogError,
    UseCase,
    catalog_path,
    current_catalog,
    load_catalog,
    project_catalog_path,
)
from prism_scenarios.use_cases.migration import (
    INTEGRITY_TAG,
    MIGRATION_SUITE,
    ROLLBACK_TAG,
    migration_suite,
    migration_verdicts,
)
from prism_scenarios.use_cases.readiness_inputs import (
    manager_flags,
    outcome_counts,
    system_report,
)
from prism_scenarios.use_cases.reports import write_reports
from prism_scenarios.use_cases.security import (
    LEVEL_OF,
    LEVEL_WEIGHT,
    LEVELS,
    SECURITY_NOTE,
    SECURITY_SUITE,
    SECURITY_TAG,
    allure_severity,
    security_findings,
    security_score,
    security_suite,
    severity_level,
    vulnerabilities_at_or_above,
)
from prism_scenarios.use_cases.tally import component_map, validate_use_cases

__all__ = [
    "CATALOG_SCHEMA",
    "DATA",
    "INTEGRITY_TAG",
    "LEVELS",
    "LEVEL_OF",
    "LEVEL_WEIGHT",
    "MANAGER_FLAGS",
    "MIGRATION_SUITE",
    "PACKAGED_CATALOG",
    "PROJECT_CATALOG",
    "ROLLBACK_TAG",
    "SECURITY_NOTE",
    "SECURITY_SUITE",
    "SECURITY_TAG",
    "Catalog",
    "CatalogError",
    "UseCase",
    "allure_severity",
    "catalog_path",
    "component_map",
    "current_catalog",
    "load_catalog",
    "manager_flags",
    "migration_suite",
    "migration_verdicts",
    "outcome_counts",
    "project_catalog_path",
    "security_findings",
    "security_score",
    "security_suite",
    "severity_level",
    "system_report",
    "validate_use_cases",
    "vulnerabilities_at_or_above",
    "write_reports",
]
