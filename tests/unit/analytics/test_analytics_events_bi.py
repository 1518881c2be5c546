"""User analytics events, business intelligence from recorded data, retention, audit log."""

from __future__ import annotations

from asyncio import run

import pytest

from flatfile_chat.audit import AuditLog
from flatfile_chat.errors import ValidationError


def record(manager, user, session, event_type, data=None):
    return run(manager.record_user_analytics(user, session, event_type, data or {}))


@pytest.mark.parametrize(
    ("event_type", "data"),
    [
        ("page_view", {}),
        ("feature_usage", {}),
        ("feature_usage", {"feature": ""}),
        ("content_interaction", {"kind": "x"}),
        ("session_end", {"messages_sent": -1}),
        ("session_end", {"session_duration_seconds": "long"}),
        ("session_start", ["not a dict"]),
        ("session_start", {"blob": "x" * 20_000}),
        ("session_start", {"n": float("nan")}),
    ],
)
def test_invalid_events_are_refused_and_write_nothing(an, event_type, data) -> None:
    store, manager = an
    with pytest.raises(ValidationError):
        run(manager.record_user_analytics("user-1", "s-1", event_type, data))
    assert not store.fs.path("analytics", "user_analytics").exists()


def test_each_event_type_goes_to_its_file(an) -> None:
    store, manager = an
    assert record(manager, "user-1", "s-1", "session_start")
    assert record(manager, "user-1", "s-1", "feature_usage", {"feature": "search"})
    assert record(
        manager,
        "user-1",
        "s-1",
        "content_interaction",
        {"interaction_type": "copy", "content_type": "code"},
    )
    assert record(manager, "user-1", "s-1", "session_end", {"messages_sent": 4})

    def lines(name):
        return store.fs.read_jsonl(store.fs.path("analytics", "user_analytics", f"{name}.jsonl"))

    assert [e["event_type"] for e in lines("session_analytics")] == ["session_start", "session_end"]
    assert lines("feature_usage")[0]["feature"] == "search"
    assert lines("behavior_patterns")[0]["interaction_type"] == "copy"
    [engagement] = lines("engagement_metrics")
    assert engagement["messages_sent"] == 4 and engagement["features_used"] == 1
    assert engagement["content_interactions"] == 1
    assert engagement["session_duration_seconds"] == 0.0


def test_user_analytics_can_be_disabled(analytics_factory) -> None:
    store, manager = analytics_factory({"enable_user_analytics": False})
    assert record(manager, "user-1", "s-1", "session_start") is False
    assert not store.fs.path("analytics", "user_analytics").exists()


def test_business_intelligence_is_computed_from_the_events(an, clock) -> None:
    store, manager = an
    record(manager, "veteran", "old-s", "session_start")  # before the window
    clock.advance(days=2)
    record(manager, "veteran", "s-1", "session_start")
    record(manager, "newbie", "s-2", "session_start")
    for feature in ("search", "search", "upload"):
        record(manager, "veteran", "s-1", "feature_usage", {"feature": feature})
    record(manager, "newbie", "s-2", "feature_usage", {"feature": "search"})
    record(manager, "newbie", "s-2", "content_interaction", {"interaction_type": "like"})
    clock.advance(minutes=10)
    record(manager, "veteran", "s-1", "session_end")
    record(manager, "newbie", "s-2", "session_end", {"session_duration_seconds": 300})
    run(manager.record_operation("rag", 100.0))
    run(manager.record_operation("rag", 7000.0, success=False))
    report = run(manager.generate_business_intelligence("day"))
    usage = report["usage"]
    assert usage["active_users"] == 2 and usage["returning_users"] == 1
    assert usage["new_users"] == 1 and usage["sessions_started"] == 2
    assert usage["sessions_ended"] == 2
    assert usage["average_session_duration_seconds"] == (600 + 300) / 2
    assert usage["features"] == {
        "search": {"uses": 3, "unique_users": 2},
        "upload": {"uses": 1, "unique_users": 1},
    }
    assert usage["top_features"] == ["search", "upload"]
    assert usage["content_interactions"] == {"like": 1}
    assert usage["events_total"] == 9 and usage["events_per_active_user"] == 4.5
    ops = report["capacity"]["operations"]
    assert ops["operations_count"] == 2 and ops["error_rate_percent"] == 50.0
    assert {i["type"] for i in report["insights"]} == {"error_prone_component", "slow_component"}
    for name in ("usage_trends", "capacity_planning", "optimization_insights"):
        [line] = store.fs.read_jsonl(
            store.fs.path("analytics", "business_intelligence", f"{name}.jsonl")
        )
        assert line["report_id"] == report["report_id"] and line["period"] == "day"
    hourly = run(manager.generate_business_intelligence("hour"))["usage"]
    assert hourly["sessions_started"] == 2 and hourly["returning_users"] == 1
    clock.advance(hours=2)
    later = run(manager.generate_business_intelligence("hour"))["usage"]
    assert later["events_total"] == 0 and later["active_users"] == 0


def test_empty_period_reports_zeros_not_defaults(an) -> None:
    _store, manager = an
    usage = run(manager.generate_business_intelligence("week"))["usage"]
    assert usage["active_users"] == 0 and usage["events_total"] == 0
    assert usage["average_session_duration_seconds"] is None


def test_bad_period_or_disabled_bi_is_refused(analytics_factory) -> None:
    _store, manager = analytics_factory()
    with pytest.raises(ValidationError):
        run(manager.generate_business_intelligence("fortnight"))
    _store, manager = analytics_factory({"enable_business_intelligence": False})
    with pytest.raises(ValidationError, match="disabled"):
        run(manager.generate_business_intelligence("day"))


def test_retention_drops_only_old_lines_per_class(analytics_factory, clock) -> None:
    store, manager = analytics_factory(
        {"privacy": {"raw_data_retention_days": 30, "aggregated_data_retention_days": 60}}
    )
    record(manager, "user-1", "s-1", "session_start")
    run(manager.generate_business_intelligence("day"))
    AuditLog(store.ctx).record("key_rotated", component="storage", actor="admin-x")
    clock.advance(days=31)
    record(manager, "user-1", "s-2", "session_start")
    removed = run(manager.apply_retention())
    assert removed == {"analytics/user_analytics/session_analytics.jsonl": 1}
    lines = store.fs.read_jsonl(
        store.fs.path("analytics", "user_analytics", "session_analytics.jsonl")
    )
    assert len(lines) == 1 and lines[0]["timestamp"] == isoformat_now(clock)
    clock.advance(days=30)
    removed = run(manager.apply_retention())
    assert set(removed) == {
        f"analytics/business_intelligence/{n}.jsonl"
        for n in ("usage_trends", "capacity_planning", "optimization_insights")
    }
    audit = store.fs.read_jsonl(store.fs.path("analytics", "compliance", "audit_logs.jsonl"))
    assert audit[0]["event_type"] == "key_rotated"  # compliance keeps 2555 days
    assert [a["event_type"] for a in audit[1:]] == ["analytics_retention_applied"] * 2
    assert store.check_integrity() == []


def isoformat_now(clock) -> str:
    return clock.now().isoformat(timespec="microseconds")


def test_audit_log_records_and_pseudonymises(an) -> None:
    store, manager = an
    audit = AuditLog(store.ctx)
    entry = audit.record(
        "kb_access_denied",
        component="knowledge_base",
        actor="user-9",
        outcome="denied",
        details={"owner_id": "user-7", "kb_id": "kb_1"},
    )
    assert entry["actor_hash"] == manager.user_fields("user-9")["user_hash"]
    assert entry["details"] == {
        "owner_id_hash": manager.user_fields("user-7")["user_hash"],
        "kb_id": "kb_1",
    }
    assert audit.entries(event_type="kb_access_denied") == [entry]
    security = store.fs.read_jsonl(
        store.fs.path("analytics", "compliance", "security_events.jsonl")
    )
    assert security == [entry]
    audit.record("login", component="auth", actor="user-9")
    assert (
        len(audit.entries()) == 2
        and len(
            store.fs.read_jsonl(store.fs.path("analytics", "compliance", "security_events.jsonl"))
        )
        == 1
    )
    with pytest.raises(ValidationError):
        audit.record("x", component="auth", outcome="maybe")
    with pytest.raises(ValidationError):
        AuditLog(store.ctx, pseudonymize=None)  # would write raw ids while anonymising


def test_audit_log_keeps_raw_actor_when_anonymisation_is_off(analytics_factory) -> None:
    store, _manager = analytics_factory({"privacy": {"anonymize_user_data": False}})
    entry = AuditLog(store.ctx).record("login", component="auth", actor="user-9")
    assert entry["actor"] == "user-9" and "actor_hash" not in entry
