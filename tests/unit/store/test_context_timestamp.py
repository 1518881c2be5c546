"""Situational context: a caller's own timestamp is kept, a missing one is filled in."""

from __future__ import annotations

from asyncio import run


def test_update_context_keeps_the_callers_timestamp_and_fills_a_missing_one(make_store) -> None:
    store = make_store()
    run(store.create_user("alice"))
    sid = run(store.create_session("alice")).session_id
    given = "2025-12-31T08:00:00+00:00"
    kept = run(store.update_context("alice", sid, {"summary": "a", "timestamp": given}))
    assert kept.timestamp == given
    assert run(store.get_context("alice", sid)).timestamp == given
    filled = run(store.update_context("alice", sid, {"summary": "b"}))
    assert filled.timestamp == store.ctx.now_iso() != given
