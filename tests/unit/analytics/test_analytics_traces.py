"""Traces of prompt runs and A/B records: validated, pseudonymised, audited."""

from __future__ import annotations

from asyncio import run

import pytest

from flatfile_chat.errors import ValidationError

USER = "sandbox-user"


def test_trace_is_stored_pseudonymised_and_audited(analytics_factory) -> None:
    store, manager = analytics_factory()
    run(store.create_user(USER))
    trace = run(
        manager.record_trace(
            USER,
            "s-1",
            "prompt:v1",
            [{"event": "prompt_received", "by": USER}, {"event": "output_returned"}],
            12.5,
            {"variant": "v1"},
        )
    )
    [line] = store.fs.read_jsonl(store.fs.path("analytics", "traces", "traces.jsonl"))
    assert line == trace and line["trace_id"].startswith("trace_")
    assert line["duration_ms"] == 12.5 and "user_id" not in line and line["user_hash"]
    assert USER not in str(line)  # raw id replaced inside event data too
    audit = [
        e
        for e in store.fs.read_jsonl(store.fs.path("analytics", "compliance", "audit_logs.jsonl"))
        if e["event_type"] == "trace_recorded"
    ]
    assert [e["details"]["trace_id"] for e in audit] == [trace["trace_id"]]
    assert store.check_integrity() == []


@pytest.mark.parametrize(
    "events,duration,match",
    [
        ([], 1, "non-empty list"),
        ([{"name": "x"}], 1, "'event' name"),
        ([{"event": "x"}], -1, "duration_ms"),
        ([{"event": "x"}], True, "duration_ms"),
    ],
)
def test_bad_traces_are_refused_and_write_nothing(
    analytics_factory, events, duration, match
) -> None:
    store, manager = analytics_factory()
    with pytest.raises(ValidationError, match=match):
        run(manager.record_trace(USER, "s-1", "p", events, duration))
    assert not store.fs.path("analytics", "traces").exists()


def test_ab_record_names_every_variant_and_checks_the_winner(analytics_factory) -> None:
    store, manager = analytics_factory()
    variants = {"v1": {"prompt": "a", "output": "A"}, "v2": {"prompt": "b", "output": "B"}}
    record = run(manager.record_ab_test(USER, "tone", variants, winner="v2"))
    assert record["variant_names"] == ["v1", "v2"] and record["winner"] == "v2"
    with pytest.raises(ValidationError, match="winner 'v3'"):
        run(manager.record_ab_test(USER, "tone", variants, winner="v3"))
    with pytest.raises(ValidationError, match="needs a 'prompt' and an 'output'"):
        run(manager.record_ab_test(USER, "tone", {"v1": {"prompt": "a"}, "v2": {}}))
    lines = store.fs.read_jsonl(store.fs.path("analytics", "traces", "experiments.jsonl"))
    assert len(lines) == 1
