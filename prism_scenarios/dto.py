"""Runner-side DTOs from the phase-6 seed document (``FFIntegrationTestingConfigDTO`` and the
result DTOs), as pydantic models. Unknown keys are errors, like every config here.

Values in the result DTOs are always computed from a run (see :mod:`prism_scenarios.use_cases`); a
figure a run cannot measure (scalability, user experience ...) is ``null``, never a default.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field


class _Config(BaseModel):
    model_config = ConfigDict(extra="forbid")


class FFPerformanceTestConfigDTO(_Config):
    """Pinned threshold set (spec §4.1 lists several that conflict; we use the P6 DTO's)."""

    concurrent_users: int = 10
    requests_per_second: int = 100
    test_duration_minutes: float = 30
    ramp_up_period_minutes: float = 5
    max_response_time_ms: float = 5000
    max_memory_usage_mb: float = 1024
    max_cpu_usage_percent: float = 80.0
    min_success_rate_percent: float = 99.0
    test_scenarios: list[str] = Field(
        default_factory=lambda: [
            "basic_chat",
            "multimodal_processing",
            "rag_retrieval",
            "tool_execution",
            "panel_collaboration",
        ]
    )
    generate_test_data: bool = True
    test_data_volume: Literal["small", "medium", "large", "xl"] = "medium"
    preserve_test_data: bool = True


class FFSecurityTestConfigDTO(_Config):
    test_authentication: bool = True
    test_authorization: bool = True
    test_session_management: bool = True
    test_input_sanitization: bool = True
    test_sql_injection: bool = True
    test_xss_prevention: bool = True
    test_command_injection: bool = True
    test_data_encryption: bool = True
    test_data_anonymization: bool = True
    test_privacy_controls: bool = True
    test_data_retention: bool = True
    test_user_isolation: bool = True
    test_permission_boundaries: bool = True
    test_privilege_escalation: bool = True
    security_scan_depth: Literal["basic", "standard", "comprehensive"] = "comprehensive"
    vulnerability_threshold: Literal["low", "medium", "high", "critical"] = "medium"


class FFMigrationTestConfigDTO(_Config):
    test_existing_data_migration: bool = True
    test_configuration_migration: bool = True
    test_schema_evolution: bool = True
    test_rollback_procedures: bool = True
    validate_data_integrity: bool = True
    validate_data_completeness: bool = True
    validate_performance_impact: bool = True
    test_backup_procedures: bool = True
    test_recovery_procedures: bool = True
    test_disaster_recovery: bool = True
    # the same bounds the store's MigrationOptions enforces, so a bad value is a config error
    # naming its key, not an exception from the middle of a run
    migration_batch_size: int = Field(1000, ge=1)
    migration_timeout_minutes: float = Field(60, gt=0)
    preserve_original_data: bool = True
    create_migration_logs: bool = True


Family = Literal["component", "integration", "end_to_end", "performance", "security", "migration"]
Scope = Literal["functionality", "performance", "security", "compatibility"]
ReportFormat = Literal["json", "html", "pdf"]
# the defaults below, copied for each configuration
_DEFAULT_LEVELS: list[Family] = ["component", "integration", "end_to_end"]
_DEFAULT_SCOPES: list[Scope] = ["functionality", "performance", "security", "compatibility"]
_DEFAULT_FORMATS: list[ReportFormat] = ["json", "html", "pdf"]


class FFIntegrationTestingConfigDTO(_Config):
    """The seed's run configuration (``prism-scenarios.yaml`` or
    ``[tool.prism-scenarios.testing]``; see :mod:`prism_scenarios.run_config`). A family runs
    when ``testing_levels`` names it or a validation scope asks for it (performance,
    security; compatibility = migration)."""

    testing_levels: list[Family] = Field(default_factory=_DEFAULT_LEVELS.copy)
    test_environment: str = "staging"
    parallel_test_execution: bool = True
    max_parallel_tests: int = 5
    use_production_like_data: bool = True
    generate_synthetic_data: bool = True
    anonymize_test_data: bool = True
    cleanup_test_data: bool = True
    validation_scopes: list[Scope] = Field(default_factory=_DEFAULT_SCOPES.copy)
    performance_config: FFPerformanceTestConfigDTO = Field(
        default_factory=FFPerformanceTestConfigDTO
    )
    security_config: FFSecurityTestConfigDTO = Field(default_factory=FFSecurityTestConfigDTO)
    migration_config: FFMigrationTestConfigDTO = Field(default_factory=FFMigrationTestConfigDTO)
    generate_detailed_reports: bool = True
    generate_coverage_reports: bool = True
    generate_performance_reports: bool = True
    report_output_formats: list[ReportFormat] = Field(default_factory=_DEFAULT_FORMATS.copy)
    stop_on_first_failure: bool = False
    retry_failed_tests: bool = False
    max_retry_attempts: int = Field(0, ge=0, le=10)
    enable_regression_testing: bool = True
    regression_test_frequency: str = "daily"
    enable_smoke_testing: bool = True
    # Not in the seed: the quality gate's floor for production_readiness_score (0-1); a full
    # run scoring below it exits READINESS_EXIT.
    minimum_readiness_score: float | None = Field(None, ge=0, le=1)

    def families(self) -> list[str]:
        """The families this configuration runs, in a fixed order."""
        wanted: set[str] = set(self.testing_levels)
        wanted |= {
            {
                "performance": "performance",
                "security": "security",
                "compatibility": "migration",
            }.get(s, "")
            for s in self.validation_scopes
        }
        return [f for f in FAMILIES if f in wanted]


FAMILIES = ("component", "integration", "end_to_end", "performance", "security", "migration")


class FFUseCaseValidationDTO(BaseModel):
    use_case_id: str
    use_case_name: str
    use_case_category: str
    required_components: list[str]
    validation_timestamp: str
    validation_successful: bool
    validation_score: float
    component_tests: dict[str, bool]
    integration_tests: dict[str, bool]
    end_to_end_tests: dict[str, bool]
    performance_meets_requirements: bool
    average_response_time_ms: float
    # Not measured by a functional run: null (never a made-up default).
    memory_efficiency_score: float | None = None
    scalability_score: float | None = None
    user_experience_score: float | None = None
    reliability_score: float | None = None
    maintainability_score: float | None = None
    test_scenarios: list[dict[str, Any]] = Field(default_factory=list)
    edge_cases_tested: list[str] = Field(default_factory=list)
    blocking_issues: list[str] = Field(default_factory=list)
    non_blocking_issues: list[str] = Field(default_factory=list)
    optimization_opportunities: list[str] = Field(default_factory=list)
    components_exercised: list[str] = Field(default_factory=list)
    total_time_ms: float = 0.0


class FFSecurityFindingDTO(BaseModel):
    """One failed test of the security suite: a vulnerability at the test's severity."""

    test: str  # the pytest node id
    name: str
    severity: Literal["low", "medium", "high", "critical"]  # vulnerability_threshold's scale
    allure_severity: str  # as the scenario declares it (blocker ... trivial)
    asvs: list[str] = Field(default_factory=list)  # from the test's ``asvs:<id>`` tags
    outcome: str
    message: str = ""


class FFFamilyResultDTO(BaseModel):
    """One test family of a run (component, integration, end_to_end, ...)."""

    ran: bool
    tests: int  # ran, skipped ones excluded
    passed: int
    failed: int  # failed, error and xpassed
    skipped: int
    xfailed: int = 0
    flaky: int = 0  # passed only on a retry


class FFReadinessCriterionDTO(BaseModel):
    """One of the seed's production-readiness criteria, judged on this run."""

    criterion: str
    met: bool | None  # None: not judged, its family did not run (counts as not met)
    measured: str
    required: str
    reason: str = ""


class FFSystemIntegrationReportDTO(BaseModel):
    report_id: str
    generation_timestamp: str
    report_type: str = "system_integration"
    testing_period: str
    total_tests_executed: int
    tests_passed: int
    tests_failed: int
    tests_skipped: int
    overall_success_rate: float
    memory_layer_integration: bool
    panel_session_integration: bool
    rag_integration: bool
    tool_execution_integration: bool
    analytics_integration: bool
    use_cases_validated: int
    use_cases_passing: int
    use_case_success_rate: float
    use_case_results: list[FFUseCaseValidationDTO]
    average_response_time_ms: float
    peak_memory_usage_mb: float
    peak_cpu_usage_percent: float | None
    average_cpu_usage_percent: float | None = None
    throughput_rps: float
    # Where the performance figures above come from: "functional run" (engine step times of
    # this run) or "load run ..." (prism-scenarios load; notes.performance says which).
    performance_source: str = "functional run"
    load_tests_passed: bool | None = None  # every load test met its thresholds; null: none ran
    security_tests_passed: bool | None
    vulnerabilities_found: int | None
    security_score: float | None
    # The failed security tests behind vulnerabilities_found (null: no security test ran)
    security_findings: list[FFSecurityFindingDTO] | None = None
    migration_tests_passed: bool | None
    data_integrity_validated: bool | None
    rollback_procedures_validated: bool | None
    system_stability_score: float
    error_rate_percent: float
    uptime_percent: float | None
    critical_issues: list[str] = Field(default_factory=list)
    recommended_fixes: list[str] = Field(default_factory=list)
    optimization_recommendations: list[str] = Field(default_factory=list)
    production_readiness_score: float | None  # null for a partial run (see notes)
    production_ready: bool | None = None  # every readiness criterion met; null: partial run
    readiness_criteria: list[FFReadinessCriterionDTO] = Field(default_factory=list)
    families: dict[str, FFFamilyResultDTO] = Field(default_factory=dict)
    run_scope: Literal["full", "partial"] = "full"
    notes: dict[str, str] = Field(default_factory=dict)
