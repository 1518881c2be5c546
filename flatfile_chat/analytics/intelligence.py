"""Business intelligence: aggregate the recorded lines of one period (pure functions).

Everything is computed from the data: no placeholder numbers. A user is whatever identity the
lines carry (``user_hash`` when anonymised, else ``user_id``), so reports never need raw ids.
"""

from __future__ import annotations

import statistics
from collections import Counter
from collections.abc import Iterable
from typing import Any

from flatfile_chat.analytics.operations import Operation, operation_stats, per_component
from flatfile_chat.clock import parse_timestamp
from flatfile_chat.config.analytics import FFAnalyticsAlertingConfigDTO

Record = dict[str, Any]


def epoch(record: Record, field: str = "timestamp") -> float | None:
    try:
        return parse_timestamp(record[field]).timestamp()
    except (KeyError, TypeError, ValueError):
        return None


def in_window(
    records: Iterable[Record], start: float, end: float, field: str = "timestamp"
) -> list[Record]:
    out = []
    for record in records:
        when = epoch(record, field)
        if when is not None and start <= when <= end:
            out.append(record)
    return out


def identity(record: Record) -> str | None:
    return record.get("user_hash") or record.get("user_id")


def session_key(record: Record) -> str | None:
    return record.get("session_hash") or record.get("session_id")


def _summary(values: list[float]) -> dict[str, float | None]:
    if not values:
        return {"avg": None, "max": None, "samples": 0}
    return {
        "avg": round(statistics.fmean(values), 3),
        "max": round(max(values), 3),
        "samples": len(values),
    }


def session_durations(all_sessions: list[Record], ended_in_window: list[Record]) -> list[float]:
    """Duration of each session that ended in the window: the reported one, else end − start."""
    starts: dict[str, float] = {}
    for record in all_sessions:
        key, when = session_key(record), epoch(record)
        if record.get("event_type") == "session_start" and key and when is not None:
            starts.setdefault(key, when)
    durations = []
    for record in ended_in_window:
        given = (record.get("event_data") or {}).get("session_duration_seconds")
        if isinstance(given, int | float):
            durations.append(float(given))
            continue
        start, end = starts.get(session_key(record) or ""), epoch(record)
        if start is not None and end is not None and end >= start:
            durations.append(end - start)
    return durations


def usage_trends(
    *,
    sessions: list[Record],
    features: list[Record],
    interactions: list[Record],
    start: float,
    end: float,
) -> dict[str, Any]:
    window = {
        name: in_window(rows, start, end)
        for name, rows in (
            ("sessions", sessions),
            ("features", features),
            ("interactions", interactions),
        )
    }
    events = [r for rows in window.values() for r in rows]
    active = {identity(r) for r in events} - {None}
    earlier = {
        identity(r)
        for rows in (sessions, features, interactions)
        for r in rows
        if (epoch(r) or end) < start
    } - {None}
    ended = [r for r in window["sessions"] if r.get("event_type") == "session_end"]
    durations = session_durations(sessions, ended)
    feature_users: dict[str, set[str | None]] = {}
    feature_uses: Counter[str] = Counter()
    for record in window["features"]:
        name = str(record.get("feature", ""))
        feature_uses[name] += 1
        feature_users.setdefault(name, set()).add(identity(record))
    return {
        "events_total": len(events),
        "events_by_type": dict(sorted(Counter(r.get("event_type") for r in events).items())),
        "active_users": len(active),
        "returning_users": len(active & earlier),
        "new_users": len(active - earlier),
        "sessions_started": sum(
            1 for r in window["sessions"] if r.get("event_type") == "session_start"
        ),
        "sessions_ended": len(ended),
        "average_session_duration_seconds": round(statistics.fmean(durations), 3)
        if durations
        else None,
        "median_session_duration_seconds": round(statistics.median(durations), 3)
        if durations
        else None,
        "events_per_active_user": round(len(events) / len(active), 3) if active else 0.0,
        "features": {
            name: {"uses": uses, "unique_users": len(feature_users[name])}
            for name, uses in sorted(feature_uses.items())
        },
        "top_features": [
            name for name, _ in sorted(feature_uses.items(), key=lambda kv: (-kv[1], kv[0]))[:10]
        ],
        "content_interactions": dict(
            sorted(
                Counter(str(r.get("interaction_type", "")) for r in window["interactions"]).items()
            )
        ),
    }


def capacity_planning(
    *,
    resources: list[Record],
    ops: list[Operation],
    start: float,
    end: float,
    period_hours: float,
    min_ops: int,
) -> dict[str, Any]:
    samples = in_window(resources, start, end)

    def series(name: str) -> list[float]:
        return [float(r[name]) for r in samples if isinstance(r.get(name), int | float)]

    return {
        "cpu_percent": _summary(series("cpu_percent")),
        "memory_percent": _summary(series("memory_percent")),
        "disk_percent": _summary(series("disk_percent")),
        "process_rss_mb": _summary(series("process_rss_mb")),
        "operations": operation_stats(ops, min_ops),
        "operations_per_hour": round(len(ops) / period_hours, 3),
    }


def optimization_insights(
    *,
    ops: list[Operation],
    capacity: dict[str, Any],
    alerting: FFAnalyticsAlertingConfigDTO,
    min_ops: int,
) -> list[dict[str, Any]]:
    """Findings that follow from the numbers and the configured thresholds."""
    found: list[dict[str, Any]] = []
    for component, stats in per_component(ops, min_ops).items():
        rate, p95 = stats["error_rate_percent"], stats["response_time_p95_ms"]
        if rate is not None and rate > alerting.error_rate_threshold_percent:
            found.append(
                {
                    "type": "error_prone_component",
                    "component": component,
                    "error_rate_percent": rate,
                    "threshold": alerting.error_rate_threshold_percent,
                }
            )
        if p95 is not None and p95 > alerting.response_time_threshold_ms:
            found.append(
                {
                    "type": "slow_component",
                    "component": component,
                    "response_time_p95_ms": p95,
                    "threshold": alerting.response_time_threshold_ms,
                }
            )
    for metric, limit in (
        ("cpu_percent", alerting.cpu_usage_threshold_percent),
        ("memory_percent", alerting.memory_usage_threshold_percent),
        ("disk_percent", alerting.disk_usage_threshold_percent),
    ):
        peak = capacity[metric]["max"]
        if peak is not None and peak > limit:
            found.append(
                {"type": "resource_pressure", "metric": metric, "max": peak, "threshold": limit}
            )
    return found


def alerts_in_window(alerts: list[Record], start: float, end: float) -> dict[str, Any]:
    raised = in_window(alerts, start, end, field="raised_at")
    return {
        "raised": len(raised),
        "by_severity": dict(sorted(Counter(a.get("severity") for a in raised).items())),
        "by_type": dict(sorted(Counter(a.get("alert_type") for a in raised).items())),
    }
