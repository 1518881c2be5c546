"""Anonymisation: keyed pseudonyms, no raw user id in any analytics file, consent."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
from asyncio import run
from pathlib import Path

import pytest

from flatfile_chat.analytics import FFMetricsCollectionManager
from flatfile_chat.audit import AuditLog
from flatfile_chat.errors import ConfigError, SecurityError, ValidationError
from flatfile_chat.privacy import Pseudonymizer

# Ids with letters outside a-f and '-', so they cannot occur inside a hex pseudonym by chance.
ALICE, BOB = "alice-wonderland", "bob-marley"
KEY = base64.b64encode(b"k" * 32).decode()


def every_file(root: Path) -> list[Path]:
    return [Path(d, n) for d, _, names in os.walk(root / "analytics") for n in names]


def exercise(store, manager, sampler, clock) -> None:
    """Touch every analytics writer with raw ids in all the places they could leak."""
    run(manager.initialize_analytics_system())
    for user in (ALICE, BOB):
        session = f"{user}-session-1"
        run(
            manager.record_user_analytics(
                user,
                session,
                "session_start",
                {
                    "platform": "web",
                    "user_id": user,
                    "note": f"opened by {user}",
                    "content": f"{user} wrote this",
                },
            )
        )
        run(
            manager.record_user_analytics(
                user,
                session,
                "feature_usage",
                {"feature": "search", "owner_id": user, "related_session_ids": [session]},
            )
        )
        run(
            manager.record_user_analytics(
                user,
                session,
                "content_interaction",
                {"interaction_type": "click", "query": f"where is {user}"},
            )
        )
        clock.advance(minutes=5)
        run(manager.record_user_analytics(user, session, "session_end", {"messages_sent": 2}))
    run(manager.set_user_consent(BOB, consented=False))
    run(manager.record_operation("memory", 10.0, success=False))
    sampler.set(cpu_percent=99.0)
    run(manager.get_system_health())
    [alert] = run(manager.get_active_alerts())
    run(manager.acknowledge_alert(alert.alert_id, ALICE))
    run(manager.resolve_alert(alert.alert_id, f"{ALICE} restarted the worker", resolved_by=ALICE))
    AuditLog(store.ctx).record(
        "tool_denied",
        component="tools",
        actor=ALICE,
        outcome="denied",
        details={
            "user_id": ALICE,
            "target_user_id": BOB,
            "session_id": f"{ALICE}-session-1",
            "reason": f"{ALICE} may not run rm",
        },
    )
    run(manager.generate_business_intelligence("day"))


def assert_no_raw_ids(root: Path) -> None:
    files = every_file(root)
    assert len(files) > 20
    for path in files:
        data = path.read_bytes()
        for raw in (ALICE, BOB):
            assert raw.encode() not in data, f"{raw} found in {path}"


def test_no_raw_user_id_in_any_analytics_file(analytics_factory, sampler, clock) -> None:
    store, manager = analytics_factory()
    for user in (ALICE, BOB):
        run(store.create_user(user))
    exercise(store, manager, sampler, clock)
    assert_no_raw_ids(store.root)
    assert store.check_integrity() == []
    clock.advance(days=400)
    assert run(manager.apply_retention())  # rewrites files: still no raw id
    assert_no_raw_ids(store.root)


def test_other_users_named_in_free_text_are_pseudonymised(analytics_factory) -> None:
    store, manager = analytics_factory()
    for user in (ALICE, BOB):
        run(store.create_user(user))
    run(
        manager.record_user_analytics(
            ALICE,
            "s-1",
            "session_start",
            {"referrer": f"invited by {BOB}", "word": "bob-marleyish"},
        )
    )
    audit = AuditLog(store.ctx)
    audit.record(
        "share", component="knowledge_base", actor=ALICE, details={"note": f"shared with {BOB}"}
    )
    for path in every_file(store.root):
        assert BOB.encode() not in path.read_bytes().replace(b"bob-marleyish", b""), path
    [line] = store.fs.read_jsonl(
        store.fs.path("analytics", "user_analytics", "session_analytics.jsonl")
    )
    pseudo = Pseudonymizer.for_context(store.ctx)
    assert pseudo.user_hash(BOB) in json.dumps(line)
    assert "bob-marleyish" in json.dumps(line)  # whole words only, like the integrity check
    assert store.check_integrity() == []


def test_a_user_created_right_after_an_event_is_scrubbed_from_the_next(analytics_factory) -> None:
    store, _manager = analytics_factory()
    audit = AuditLog(store.ctx)
    run(store.create_user(ALICE))
    audit.record("first", component="test", actor=ALICE)  # the user list is remembered now
    for n in range(20):  # within the same directory mtime tick, most of them
        newcomer = f"newcomer{n:02d}"
        run(store.create_user(newcomer))
        entry = audit.record(
            "mention", component="test", actor=ALICE, details={"note": f"met {newcomer}"}
        )
        assert newcomer not in json.dumps(entry), entry
    assert store.check_integrity() == []


def test_with_anonymisation_off_raw_ids_are_stored(analytics_factory, clock) -> None:
    store, manager = analytics_factory({"privacy": {"anonymize_user_data": False}})
    run(manager.record_user_analytics(ALICE, "s-1", "session_start", {}))
    [line] = store.fs.read_jsonl(
        store.fs.path("analytics", "user_analytics", "session_analytics.jsonl")
    )
    assert line["user_id"] == ALICE and line["session_id"] == "s-1"
    assert "user_hash" not in line


def test_integrity_check_flags_a_raw_user_id(analytics_factory) -> None:
    store, manager = analytics_factory()
    run(store.create_user(ALICE))
    run(manager.record_user_analytics(ALICE, "s-1", "session_start", {}))
    path = store.fs.path("analytics", "user_analytics", "session_analytics.jsonl")
    path.write_bytes(path.read_bytes() + f'{{"user_id": "{ALICE}"}}\n'.encode())
    [issue] = store.check_integrity()
    assert issue.kind == "raw_user_id" and issue.line == 2
    other = store.fs.path("analytics", "system_metrics", "performance.jsonl")
    assert store.integrity.check(changed=[str(other)]) == []
    assert [i.kind for i in store.integrity.check(changed=[str(path)])] == ["raw_user_id"]


def test_pseudonym_is_keyed_not_a_plain_hash(analytics_factory) -> None:
    store, manager = analytics_factory({"privacy": {"anonymization_key": f"base64:{KEY}"}})
    pseudonym = manager.user_fields(ALICE)["user_hash"]
    assert pseudonym != hashlib.sha256(ALICE.encode()).hexdigest()[:16]  # upstream's scheme
    expected = hmac.new(b"k" * 32, b"user\x00" + ALICE.encode(), hashlib.sha256).hexdigest()
    assert pseudonym == expected[:16]
    assert manager.session_fields("s-1")["session_hash"] != pseudonym
    assert not store.fs.path("keys", "anonymization.key").exists()


def test_generated_key_is_created_once_and_reused(analytics_factory, tmp_path) -> None:
    store, manager = analytics_factory()
    first = manager.user_fields(ALICE)["user_hash"]
    key_file = store.fs.path("keys", "anonymization.key")
    assert len(base64.b64decode(key_file.read_bytes())) == 32
    assert oct(key_file.stat().st_mode & 0o777) == "0o600"
    Pseudonymizer.for_context(store.ctx)._key = None  # drop the cached key: read it back
    assert manager.user_fields(ALICE)["user_hash"] == first
    events = store.fs.read_jsonl(store.fs.path("analytics", "compliance", "privacy_events.jsonl"))
    assert [e["event"] for e in events] == ["anonymization_key_generated"]  # once
    _other_store, other = analytics_factory(root=tmp_path / "other")
    assert other.user_fields(ALICE)["user_hash"] != first  # per-store secret


def test_too_short_or_missing_key_is_a_config_error(analytics_factory) -> None:
    _store, manager = analytics_factory({"privacy": {"anonymization_key": "base64:c2hvcnQ="}})
    with pytest.raises(ConfigError, match="at least 16 bytes"):
        manager.user_fields(ALICE)
    _store, manager = analytics_factory({"privacy": {"anonymization_key": "env:NO_SUCH_VAR"}})
    with pytest.raises(ConfigError, match="NO_SUCH_VAR"):
        manager.user_fields(ALICE)


def test_opt_out_consent_and_do_not_track(analytics_factory) -> None:
    store, manager = analytics_factory({"privacy": {"require_explicit_consent": True}})
    assert run(manager.record_user_analytics(ALICE, "s-1", "session_start", {})) is False
    run(manager.set_user_consent(ALICE, consented=True))
    assert run(manager.record_user_analytics(ALICE, "s-1", "session_start", {})) is True
    assert (
        run(
            manager.record_user_analytics(
                ALICE, "s-1", "feature_usage", {"feature": "x", "do_not_track": True}
            )
        )
        is False
    )
    run(manager.set_user_consent(ALICE, consented=False))
    assert run(manager.record_user_analytics(ALICE, "s-1", "session_end", {})) is False
    lines = store.fs.read_jsonl(
        store.fs.path("analytics", "user_analytics", "session_analytics.jsonl")
    )
    assert [line["event_type"] for line in lines] == ["session_start"]
    privacy = store.fs.read_jsonl(store.fs.path("analytics", "compliance", "privacy_events.jsonl"))
    assert [p["event"] for p in privacy][-2:] == ["user_consented", "user_opted_out"]


def test_sensitive_content_is_excluded_and_named(analytics_factory) -> None:
    store, manager = analytics_factory()
    run(
        manager.record_user_analytics(
            ALICE,
            "s-1",
            "content_interaction",
            {"interaction_type": "copy", "text": "my diary", "nested": {"email": "a@b.c", "ok": 1}},
        )
    )
    [line] = store.fs.read_jsonl(
        store.fs.path("analytics", "user_analytics", "behavior_patterns.jsonl")
    )
    assert line["event_data"] == {"interaction_type": "copy", "nested": {"ok": 1}}
    assert line["excluded_fields"] == ["email", "text"]


def test_sampling_keeps_or_drops_whole_sessions(analytics_factory) -> None:
    _store, manager = analytics_factory({"enable_data_sampling": True, "sampling_rate": 0.5})
    kept = {
        f"s-{i}": run(manager.record_user_analytics(ALICE, f"s-{i}", "session_start", {}))
        for i in range(40)
    }
    assert 0 < sum(kept.values()) < 40
    for session, first in kept.items():
        assert run(manager.record_user_analytics(ALICE, session, "session_end", {})) is first


def test_hostile_ids_are_refused_and_audited(analytics_factory) -> None:
    store, manager = analytics_factory()
    with pytest.raises(SecurityError):
        run(manager.record_user_analytics("../etc", "s-1", "session_start", {}))
    with pytest.raises(ValidationError):
        run(manager.record_user_analytics(ALICE, "s-1", "page_view", {}))
    [entry] = store.fs.read_jsonl(store.fs.path("analytics", "compliance", "audit_logs.jsonl"))
    assert entry["event_type"] == "analytics_access_denied" and entry["outcome"] == "denied"
    assert not store.fs.path("analytics", "user_analytics").exists()


def test_metadata_never_contains_the_key(analytics_factory) -> None:
    store, manager = analytics_factory({"privacy": {"anonymization_key": f"base64:{KEY}"}})
    metadata = run(manager.initialize_analytics_system())
    raw = store.fs.path("analytics", "analytics_metadata.json").read_text()
    assert KEY not in raw
    assert metadata["privacy_config"]["anonymization_key"] == {"source": "config"}
    assert (
        metadata["analytics_system_id"] == hashlib.sha256(str(store.root).encode()).hexdigest()[:16]
    )
    assert FFMetricsCollectionManager(store).collecting is False
