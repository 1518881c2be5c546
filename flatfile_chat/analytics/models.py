"""Analytics DTOs (upstream ``FFSystemMetricsDTO``, ``FFAnalyticsAlertDTO``) and event types."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

EVENT_TYPES = ("session_start", "session_end", "feature_usage", "content_interaction")
Severity = Literal["info", "warning", "error", "critical"]
SEVERITIES: tuple[Severity, ...] = ("info", "warning", "error", "critical")
HealthStatus = Literal["healthy", "degraded", "critical"]
PERIODS = {"hour": 1.0, "day": 24.0, "week": 168.0, "month": 720.0}  # hours


class _Model(BaseModel):
    model_config = ConfigDict(extra="allow")

    def to_dict(self) -> dict[str, Any]:
        return self.model_dump(mode="json")


class FFSystemMetricsDTO(_Model):
    """One sample: host resources (psutil) plus the operation window (error rate, latency)."""

    timestamp: str
    cpu_percent: float
    memory_percent: float
    memory_used_mb: float
    memory_available_mb: float
    disk_percent: float
    disk_free_gb: float
    process_rss_mb: float
    process_threads: int
    load_average_1m: float | None = None
    window_minutes: float
    operations_count: int = 0
    error_count: int = 0
    error_rate_percent: float | None = None  # None: fewer ops than the minimum sample
    response_time_avg_ms: float | None = None
    response_time_p95_ms: float | None = None


class FFAnalyticsAlertDTO(_Model):
    alert_id: str
    severity: Severity
    alert_type: str
    title: str
    message: str
    affected_component: str
    metric: str
    observed_value: float
    threshold: float
    raised_at: str
    last_observed_at: str
    occurrences: int = 1
    acknowledged: bool = False
    acknowledged_by: str | None = None  # pseudonymised when anonymisation is on
    acknowledged_at: str | None = None
    resolved: bool = False
    resolved_at: str | None = None
    resolution_notes: str | None = None
    resolved_by: str | None = None  # pseudonymised when anonymisation is on
    escalated: bool = False
    escalated_at: str | None = None


class FFSystemHealthDTO(_Model):
    timestamp: str
    status: HealthStatus
    checks: dict[str, dict[str, Any]] = Field(default_factory=dict)
    active_alerts: int = 0
    raised_alerts: list[str] = Field(default_factory=list)
    suppressed_alerts: list[str] = Field(default_factory=list)
