"""Alerts on every configured threshold, cooldown, rate limit, escalation, ack and resolve."""

from __future__ import annotations

from asyncio import run

import pytest

from flatfile_chat.analytics import FFMetricsCollectionManager
from flatfile_chat.errors import NotFound, ValidationError

BREACHES = {
    "cpu_usage_high": ({"cpu_percent": 95.0}, "warning", 90.0),
    "memory_usage_high": ({"memory_percent": 86.0}, "warning", 85.0),
    "disk_usage_high": ({"disk_percent": 91.0}, "error", 90.0),
}


@pytest.mark.parametrize("alert_type", sorted(BREACHES))
def test_resource_thresholds_raise_alerts(an, sampler, alert_type) -> None:
    _store, manager = an
    values, severity, limit = BREACHES[alert_type]
    sampler.set(**values)
    health = run(manager.get_system_health())
    [alert] = run(manager.get_active_alerts())
    assert alert.alert_type == alert_type and alert.severity == severity
    assert alert.threshold == limit and alert.observed_value == next(iter(values.values()))
    assert health.status == "degraded" and health.raised_alerts == [alert.alert_id]
    assert health.checks[alert_type]["ok"] is False


def test_value_equal_to_threshold_is_not_a_breach(an, sampler) -> None:
    _store, manager = an
    sampler.set(cpu_percent=90.0, memory_percent=85.0, disk_percent=90.0)
    health = run(manager.get_system_health())
    assert health.status == "healthy" and run(manager.get_active_alerts()) == []


def test_configured_cpu_threshold_replaces_the_hard_coded_90(analytics_factory, sampler) -> None:
    _store, manager = analytics_factory({"alerting": {"cpu_usage_threshold_percent": 50}})
    sampler.set(cpu_percent=60.0)
    [alert] = run(manager.evaluate_alerts())
    assert alert.alert_type == "cpu_usage_high" and alert.threshold == 50


def test_error_rate_threshold_uses_recorded_operations(an) -> None:
    _store, manager = an
    run(manager.record_operation("tools", 12.0, success=True))
    run(manager.record_operation("tools", 15.0, success=False, error_type="timeout"))
    metrics = run(manager.collect_system_metrics())
    assert metrics.operations_count == 2 and metrics.error_rate_percent == 50.0
    [alert] = run(manager.get_active_alerts())
    assert alert.alert_type == "error_rate_high" and alert.severity == "error"


def test_response_time_threshold_uses_p95_of_the_window(an, clock) -> None:
    _store, manager = an
    for duration in (100.0, 200.0, 9000.0):
        run(manager.record_operation("rag", duration))
    [alert] = run(manager.evaluate_alerts())
    assert alert.alert_type == "response_time_high" and alert.observed_value > 5000
    clock.advance(minutes=6)  # the slow operations leave the 5-minute window
    metrics = run(manager.collect_system_metrics())
    assert metrics.operations_count == 0 and metrics.response_time_p95_ms is None


def test_rates_need_the_minimum_number_of_operations(analytics_factory) -> None:
    _store, manager = analytics_factory()  # default min_operations_for_rates: 5
    for _ in range(4):
        run(manager.record_operation("tools", 9999.0, success=False))
    assert run(manager.evaluate_alerts()) == []
    run(manager.record_operation("tools", 9999.0, success=False))
    assert {a.alert_type for a in run(manager.evaluate_alerts())} == {
        "error_rate_high",
        "response_time_high",
    }


def test_fed_metrics_are_checked_against_every_threshold(an) -> None:
    _store, manager = an
    raised = run(
        manager.evaluate_alerts(
            {
                "cpu_percent": 99,
                "memory_percent": 99,
                "disk_percent": 99,
                "error_rate_percent": 50,
                "response_time_p95_ms": 60_000,
            }
        )
    )
    assert sorted(a.alert_type for a in raised) == [
        "cpu_usage_high",
        "disk_usage_high",
        "error_rate_high",
        "memory_usage_high",
        "response_time_high",
    ]


def test_repeated_breach_updates_the_active_alert(an, sampler, clock) -> None:
    _store, manager = an
    sampler.set(cpu_percent=95.0)
    [first] = run(manager.evaluate_alerts())
    clock.advance(minutes=20)
    sampler.set(cpu_percent=97.0)
    assert run(manager.evaluate_alerts()) == []
    [alert] = run(manager.get_active_alerts())
    assert alert.alert_id == first.alert_id and alert.occurrences == 2
    assert alert.observed_value == 97.0


def test_cooldown_after_resolve_then_new_alert(an, sampler, clock) -> None:
    _store, manager = an
    sampler.set(cpu_percent=95.0)
    [first] = run(manager.evaluate_alerts())
    run(manager.resolve_alert(first.alert_id, "scaled up"))
    clock.advance(minutes=14)
    health = run(manager.get_system_health())
    assert health.raised_alerts == [] and health.suppressed_alerts == ["cpu_usage_high:cooldown"]
    clock.advance(minutes=1)
    [second] = run(manager.evaluate_alerts())
    assert second.alert_id != first.alert_id


def test_max_alerts_per_hour(analytics_factory, sampler, clock) -> None:
    _store, manager = analytics_factory(
        {"alerting": {"max_alerts_per_hour": 2, "alert_cooldown_minutes": 0}}
    )
    sampler.set(cpu_percent=95.0, memory_percent=95.0, disk_percent=95.0)
    raised = run(manager.evaluate_alerts())
    assert len(raised) == 2
    assert len(run(manager.get_active_alerts())) == 2
    clock.advance(minutes=61)
    assert [a.alert_type for a in run(manager.evaluate_alerts())] == ["disk_usage_high"]


def test_acknowledge_and_resolve_are_persisted_and_audited(an, analytics_factory, sampler) -> None:
    store, manager = an
    sampler.set(disk_percent=99.0)
    [alert] = run(manager.evaluate_alerts())
    acked = run(manager.acknowledge_alert(alert.alert_id, "ops-oliver"))
    assert (
        acked.acknowledged
        and acked.acknowledged_by == manager.user_fields("ops-oliver")["user_hash"]
    )
    resolved = run(manager.resolve_alert(alert.alert_id, "freed space", resolved_by="ops-oliver"))
    assert resolved.resolved and resolved.resolution_notes == "freed space"
    fresh = FFMetricsCollectionManager(store)
    assert run(fresh.get_active_alerts()) == []
    [stored] = run(fresh.list_alerts())
    assert stored.resolved and stored.acknowledged_at is not None
    events = [
        e["event_type"]
        for e in store.fs.read_jsonl(store.fs.path("analytics", "compliance", "audit_logs.jsonl"))
    ]
    assert events == ["alert_acknowledged", "alert_resolved"]
    with pytest.raises(ValidationError, match="already resolved"):
        run(manager.resolve_alert(alert.alert_id, "again"))
    with pytest.raises(ValidationError, match="already resolved"):
        run(manager.acknowledge_alert(alert.alert_id, "ops-oliver"))
    with pytest.raises(NotFound):
        run(manager.acknowledge_alert("alert_123_abcdef", "ops-oliver"))


def test_unacknowledged_alert_escalates_once(an, sampler, clock) -> None:
    _store, manager = an
    sampler.set(memory_percent=90.0)
    [alert] = run(manager.evaluate_alerts())
    sampler.set(memory_percent=10.0)
    clock.advance(minutes=30)
    run(manager.evaluate_alerts())
    clock.advance(minutes=60)
    run(manager.evaluate_alerts())
    [escalated] = run(manager.get_active_alerts())
    assert escalated.severity == "error" and escalated.escalated
    assert run(manager.get_active_alerts("warning")) == []
    assert [a.alert_id for a in run(manager.get_active_alerts("error"))] == [alert.alert_id]
    with pytest.raises(ValidationError):
        run(manager.get_active_alerts("loud"))


def test_critical_alert_makes_health_critical(an, sampler, clock) -> None:
    _store, manager = an
    sampler.set(disk_percent=99.0)
    run(manager.evaluate_alerts())
    clock.advance(minutes=30)
    assert run(manager.get_system_health()).status == "critical"  # error → critical
