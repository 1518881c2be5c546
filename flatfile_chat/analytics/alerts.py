"""Threshold alerts: every configured threshold is checked (upstream checked CPU against a
hard-coded 90 and never looked at error rate or response time).

Rules (``docs/decisions/analytics.md``):
- a metric strictly above its threshold is a breach;
- a breach of a type with an unresolved alert updates that alert (``occurrences``,
  ``last_observed_at``, ``observed_value``) instead of raising a duplicate;
- otherwise a new alert is raised unless one of that type was raised less than
  ``alert_cooldown_minutes`` ago, or ``max_alerts_per_hour`` were raised in the last hour
  (both measured on the injected clock; suppressed breaches are reported, not stored);
- an unacknowledged alert older than ``escalation_delay_minutes`` is escalated one severity
  level, once.
Alerts live in ``analytics/monitoring/alerts.json`` (read-modify-write under its lock).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from flatfile_chat.analytics.models import SEVERITIES, FFAnalyticsAlertDTO, Severity
from flatfile_chat.clock import parse_timestamp
from flatfile_chat.config.analytics import FFAnalyticsAlertingConfigDTO
from flatfile_chat.errors import NotFound, ValidationError
from flatfile_chat.storage.filestore import FileStore

log = logging.getLogger("flatfile_chat.analytics.alerts")


@dataclass(frozen=True)
class Threshold:
    alert_type: str
    metric: str
    component: str
    severity: Severity
    title: str
    limit: float
    unit: str


def thresholds(config: FFAnalyticsAlertingConfigDTO) -> list[Threshold]:
    return [
        Threshold(
            "cpu_usage_high",
            "cpu_percent",
            "host",
            "warning",
            "High CPU usage",
            config.cpu_usage_threshold_percent,
            "%",
        ),
        Threshold(
            "memory_usage_high",
            "memory_percent",
            "host",
            "warning",
            "High memory usage",
            config.memory_usage_threshold_percent,
            "%",
        ),
        Threshold(
            "disk_usage_high",
            "disk_percent",
            "storage",
            "error",
            "High disk usage",
            config.disk_usage_threshold_percent,
            "%",
        ),
        Threshold(
            "error_rate_high",
            "error_rate_percent",
            "operations",
            "error",
            "High error rate",
            config.error_rate_threshold_percent,
            "%",
        ),
        Threshold(
            "response_time_high",
            "response_time_p95_ms",
            "operations",
            "warning",
            "Slow responses (p95)",
            config.response_time_threshold_ms,
            " ms",
        ),
    ]


def breaches(
    metrics: dict[str, Any], config: FFAnalyticsAlertingConfigDTO
) -> list[tuple[Threshold, float]]:
    found = []
    for threshold in thresholds(config):
        value = metrics.get(threshold.metric)
        if value is not None and float(value) > threshold.limit:
            found.append((threshold, float(value)))
    return found


@dataclass
class Evaluation:
    raised: list[FFAnalyticsAlertDTO]
    suppressed: list[str]


class AlertBook:
    def __init__(
        self,
        fs: FileStore,
        path: Path,
        config: FFAnalyticsAlertingConfigDTO,
        new_id: Callable[[datetime], str],
    ) -> None:
        self._fs, self.path, self._config, self._new_id = fs, path, config, new_id

    def _load(self) -> list[FFAnalyticsAlertDTO]:
        data = self._fs.read_json(self.path, default={"alerts": []})
        return [FFAnalyticsAlertDTO.model_validate(a) for a in data.get("alerts", [])]

    def _save(self, alerts: list[FFAnalyticsAlertDTO]) -> None:
        self._fs.ensure_dir(self.path.parent)
        self._fs.write_json(self.path, {"alerts": [a.to_dict() for a in alerts]})

    def all(self) -> list[FFAnalyticsAlertDTO]:
        return self._load()

    def evaluate(self, metrics: dict[str, Any], now: datetime, now_iso: str) -> Evaluation:
        result = Evaluation([], [])
        found = breaches(metrics, self._config)
        self._fs.ensure_dir(self.path.parent)
        with self._fs.lock(self.path):
            alerts = self._load()
            changed = self._escalate(alerts, now, now_iso)
            for threshold, value in found:
                outcome = self._apply(alerts, threshold, value, now, now_iso)
                if isinstance(outcome, str):
                    result.suppressed.append(outcome)
                    continue
                changed = True  # a new alert, or an update of the active one (None)
                if outcome is not None:
                    alerts.append(outcome)
                    result.raised.append(outcome)
            if changed:
                self._save(alerts)
        for alert in result.raised:
            self._log(alert)
        return result

    def _apply(
        self,
        alerts: list[FFAnalyticsAlertDTO],
        threshold: Threshold,
        value: float,
        now: datetime,
        now_iso: str,
    ) -> FFAnalyticsAlertDTO | str | None:
        same = [a for a in alerts if a.alert_type == threshold.alert_type]
        active = [a for a in same if not a.resolved]
        if active:
            current = active[-1]
            current.occurrences += 1
            current.last_observed_at = now_iso
            current.observed_value = value
            return None
        cooldown = timedelta(minutes=self._config.alert_cooldown_minutes)
        if same and now - max(parse_timestamp(a.raised_at) for a in same) < cooldown:
            return f"{threshold.alert_type}:cooldown"
        hour_ago = now - timedelta(hours=1)
        if (
            sum(1 for a in alerts if parse_timestamp(a.raised_at) > hour_ago)
            >= self._config.max_alerts_per_hour
        ):
            return f"{threshold.alert_type}:max_alerts_per_hour"
        return FFAnalyticsAlertDTO(
            alert_id=self._new_id(now),
            severity=threshold.severity,
            alert_type=threshold.alert_type,
            title=threshold.title,
            message=f"{threshold.metric} is {value:g}{threshold.unit}, above the "
            f"{threshold.limit:g}{threshold.unit} threshold",
            affected_component=threshold.component,
            metric=threshold.metric,
            observed_value=value,
            threshold=threshold.limit,
            raised_at=now_iso,
            last_observed_at=now_iso,
        )

    def _escalate(self, alerts: list[FFAnalyticsAlertDTO], now: datetime, now_iso: str) -> bool:
        delay = timedelta(minutes=self._config.escalation_delay_minutes)
        changed = False
        for alert in alerts:
            if (
                not alert.resolved
                and not alert.acknowledged
                and not alert.escalated
                and now - parse_timestamp(alert.raised_at) >= delay
            ):
                level = SEVERITIES.index(alert.severity)
                alert.severity = SEVERITIES[min(level + 1, len(SEVERITIES) - 1)]
                alert.escalated, alert.escalated_at = True, now_iso
                changed = True
        return changed

    def _log(self, alert: FFAnalyticsAlertDTO) -> None:
        if self._config.enable_log_alerts:
            level = logging.getLevelName(self._config.alert_log_level.upper())
            log.log(
                level if isinstance(level, int) else logging.WARNING,
                "[%s] %s: %s",
                alert.severity,
                alert.title,
                alert.message,
            )

    def update(
        self, alert_id: str, change: Callable[[FFAnalyticsAlertDTO], None]
    ) -> FFAnalyticsAlertDTO:
        self._fs.ensure_dir(self.path.parent)
        with self._fs.lock(self.path):
            alerts = self._load()
            found = next((a for a in alerts if a.alert_id == alert_id), None)
            if found is None:
                raise NotFound(f"alert {alert_id!r} not found", key="alert_id", value=alert_id)
            change(found)
            self._save(alerts)
            return found

    def active(self, severity: str | None) -> list[FFAnalyticsAlertDTO]:
        if severity is not None and severity not in SEVERITIES:
            raise ValidationError(
                f"severity {severity!r} is not one of {SEVERITIES}", key="severity", value=severity
            )
        return [
            a
            for a in self._load()
            if not a.resolved and (severity is None or a.severity == severity)
        ]

    def prune_resolved(self, before: datetime) -> int:
        """Drop resolved alerts resolved before ``before``; returns how many."""
        if not self.path.exists():
            return 0
        with self._fs.lock(self.path):
            alerts = self._load()
            keep = [
                a
                for a in alerts
                if not (a.resolved and a.resolved_at and parse_timestamp(a.resolved_at) < before)
            ]
            if len(keep) != len(alerts):
                self._save(keep)
            return len(alerts) - len(keep)


def require_open(alert: FFAnalyticsAlertDTO, action: str) -> Any:
    if alert.resolved:
        raise ValidationError(
            f"alert {alert.alert_id} is already resolved; cannot {action}",
            key="alert_id",
            value=alert.alert_id,
        )
    return alert
