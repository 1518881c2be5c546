"""Metrics and analytics settings (upstream ``FFAnalyticsConfigDTO``, P5)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from flatfile_chat.config.base import ConfigSection


class FFAnalyticsPrivacyConfigDTO(ConfigSection):
    anonymize_user_data: bool = True
    hash_user_identifiers: bool = True
    # HMAC key for user hashes; a reference like storage keys (env:/file:/base64:). Empty means
    # a per-store random key is created on first use and kept under analytics/.
    anonymization_key: str = ""
    exclude_sensitive_content: bool = True
    raw_data_retention_days: int = 30
    aggregated_data_retention_days: int = 365
    compliance_data_retention_days: int = 2555
    allow_user_opt_out: bool = True
    require_explicit_consent: bool = False
    honor_do_not_track: bool = True
    enable_external_analytics: Literal[False] = False


class FFAnalyticsAlertingConfigDTO(ConfigSection):
    cpu_usage_threshold_percent: float = 90.0
    error_rate_threshold_percent: float = 5.0
    response_time_threshold_ms: float = 5000
    memory_usage_threshold_percent: float = 85
    disk_usage_threshold_percent: float = 90
    alert_cooldown_minutes: float = 15
    max_alerts_per_hour: int = 10
    escalation_delay_minutes: float = 30
    enable_log_alerts: bool = True
    alert_log_level: str = "WARNING"
    # Ours: error rate and p95 response time are computed over the operations recorded in the
    # last ``evaluation_window_minutes``, and only from ``min_operations_for_rates`` samples on.
    evaluation_window_minutes: float = Field(5, gt=0)
    min_operations_for_rates: int = Field(5, ge=1)


Period = Literal["hour", "day", "week", "month"]
_DEFAULT_PERIODS: list[Period] = ["hour", "day", "week"]  # copied for each configuration


class FFAnalyticsConfigDTO(ConfigSection):
    analytics_level: Literal["minimal", "standard", "detailed", "full"] = "standard"
    collection_interval_seconds: float = Field(60, gt=0)
    enable_real_time_metrics: bool = True
    aggregation_periods: list[Period] = Field(default_factory=_DEFAULT_PERIODS.copy)
    aggregation_delay_minutes: float = 5
    enable_performance_metrics: bool = True
    enable_user_analytics: bool = True
    enable_business_intelligence: bool = True
    enable_predictive_analytics: bool = False
    enable_data_compression: bool = True
    compression_age_days: int = 7
    enable_data_sampling: bool = False
    sampling_rate: float = Field(1.0, ge=0, le=1)
    report_output_formats: list[str] = Field(default_factory=lambda: ["json", "csv"])
    # Ours: largest accepted event_data (encoded JSON bytes) of one user analytics event.
    max_event_data_bytes: int = Field(16_384, gt=0)
    privacy: FFAnalyticsPrivacyConfigDTO = Field(default_factory=FFAnalyticsPrivacyConfigDTO)
    alerting: FFAnalyticsAlertingConfigDTO = Field(default_factory=FFAnalyticsAlertingConfigDTO)
