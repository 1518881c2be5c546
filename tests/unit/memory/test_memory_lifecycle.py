"""Retention, promotion and expiry driven by a ManualClock."""

from __future__ import annotations

from asyncio import run
from datetime import timedelta
from itertools import pairwise

import pytest

from flatfile_chat.clock import isoformat
from flatfile_chat.memory import MemoryLayerType

HOURS = {"immediate": 2, "short_term": 24, "medium_term": 168, "long_term": 8760}


def test_promotion_across_every_layer_boundary(mh, mem, clock) -> None:
    store, manager = mem
    item = run(
        manager.add_memory_context(
            "alice",
            {
                "content": "The dragon guards the northern pass",
                "relevance_score": 0.95,
                "session_id": "s1",
            },
        )
    )
    path = ["immediate", "short_term", "medium_term", "long_term", "permanent"]
    for old, new in pairwise(path):
        clock.advance(hours=HOURS[old])
        result = run(manager.run_memory_maintenance("alice"))
        assert result["success"] and "promoted_1_memories" in result["tasks_completed"]
        [moved] = mh.layer_lines(store, "alice", new)
        assert moved["memory_id"] == item.memory_id and moved["layer"] == new
        assert moved["promotion_history"][-1] == f"{old} -> {new} at {isoformat(clock.now())}"
        assert mh.layer_lines(store, "alice", old) == []
        assert moved["layer_entered_at"] == isoformat(clock.now())
        mh.assert_counts_match(store, "alice")
    assert len(moved["promotion_history"]) == 4
    assert moved["source_layer"] == "immediate" and moved["created_at"] == item.created_at


def test_item_is_not_due_before_its_retention_has_passed(mh, mem, clock) -> None:
    store, manager = mem
    run(manager.add_memory_context("alice", {"content": "fresh", "relevance_score": 0.9}))
    clock.advance(timedelta(hours=2) - timedelta(microseconds=1))
    result = run(manager.run_memory_maintenance("alice"))
    assert result["tasks_completed"][:2] == ["cleaned_0_expired", "promoted_0_memories"]
    assert len(mh.layer_lines(store, "alice", "immediate")) == 1
    clock.advance(microseconds=1)
    run(manager.run_memory_maintenance("alice"))
    assert len(mh.layer_lines(store, "alice", "short_term")) == 1


def test_expired_item_at_or_below_threshold_is_removed(mh, mem, clock) -> None:
    store, manager = mem
    run(manager.add_memory_context("alice", {"content": "keep me", "relevance_score": 0.51}))
    run(
        manager.add_memory_context(
            "alice", {"content": "exactly threshold", "relevance_score": 0.5}
        )
    )
    run(manager.add_memory_context("alice", {"content": "drop me", "relevance_score": 0.1}))
    clock.advance(hours=3)
    result = run(manager.run_memory_maintenance("alice"))
    assert result["tasks_completed"] == [
        "cleaned_2_expired",
        "promoted_1_memories",
        "compressed_0_layers",
        "updated_metadata",
    ]
    assert [r["content"] for r in mh.layer_lines(store, "alice", "short_term")] == ["keep me"]
    assert mh.layer_lines(store, "alice", "immediate") == []
    stats = mh.metadata(store, "alice")["layer_stats"]
    assert stats["immediate"]["item_count"] == 0 and stats["short_term"]["item_count"] == 1
    assert mh.metadata(store, "alice")["last_maintenance"] == isoformat(clock.now())


def test_promoted_item_expires_at_the_next_boundary_by_its_own_threshold(mh, mem, clock) -> None:
    store, manager = mem
    run(manager.add_memory_context("alice", {"content": "middling", "relevance_score": 0.55}))
    clock.advance(hours=2)
    run(manager.run_memory_maintenance("alice"))
    assert len(mh.layer_lines(store, "alice", "short_term")) == 1
    clock.advance(hours=24)
    result = run(manager.run_memory_maintenance("alice"))  # 0.55 is not above 0.6
    assert "cleaned_1_expired" in result["tasks_completed"]
    assert all(mh.layer_lines(store, "alice", layer) == [] for layer in HOURS)


def test_permanent_never_expires_even_after_years(mh, mem, clock) -> None:
    store, manager = mem
    run(
        manager.add_memory_context(
            "alice",
            {"content": "Prefers Spanish", "context_type": "preference", "relevance_score": 0.0},
            target_layer=MemoryLayerType.PERMANENT,
        )
    )
    for _ in range(3):
        clock.advance(days=3650)
        result = run(manager.run_memory_maintenance("alice"))
        assert result["tasks_completed"][:2] == ["cleaned_0_expired", "promoted_0_memories"]
    [kept] = mh.layer_lines(store, "alice", "permanent")
    assert kept["content"] == "Prefers Spanish" and kept["promotion_history"] == []


def test_one_run_moves_an_item_by_one_layer_only(mh, mem, clock) -> None:
    store, manager = mem
    run(manager.add_memory_context("alice", {"content": "x", "relevance_score": 0.99}))
    clock.advance(days=10_000)
    run(manager.run_memory_maintenance("alice"))
    assert len(mh.layer_lines(store, "alice", "short_term")) == 1


def test_without_auto_archival_due_items_are_removed_not_promoted(mh, mem_factory, clock) -> None:
    store, manager = mem_factory({"enable_auto_archival": False})
    run(manager.add_memory_context("alice", {"content": "x", "relevance_score": 0.99}))
    clock.advance(hours=2)
    result = run(manager.run_memory_maintenance("alice"))
    assert result["tasks_completed"][:2] == ["cleaned_1_expired", "promoted_0_memories"]
    assert mh.layer_lines(store, "alice", "short_term") == []


def test_configured_retention_and_thresholds_are_used(mh, mem_factory, clock) -> None:
    store, manager = mem_factory(
        {
            "retention_policies": {"immediate": 0.5},
            "promotion_thresholds": {"immediate_to_short": 0.9},
        }
    )
    run(manager.add_memory_context("alice", {"content": "a", "relevance_score": 0.95}))
    run(manager.add_memory_context("alice", {"content": "b", "relevance_score": 0.85}))
    clock.advance(minutes=30)
    run(manager.run_memory_maintenance("alice"))
    assert [r["content"] for r in mh.layer_lines(store, "alice", "short_term")] == ["a"]


def test_maintenance_reports_storage_errors_instead_of_raising(mem, clock) -> None:
    store, manager = mem
    run(manager.add_memory_context("alice", {"content": "x"}))
    path = store.fs.path("users", "alice", "memory_layers", "immediate.jsonl")
    path.write_bytes(path.read_bytes() + b"{not json\n")
    result = run(manager.run_memory_maintenance("alice"))
    assert result["success"] is False and "immediate.jsonl:2" in result["errors"][0]
    assert result["tasks_completed"] == []


def test_maintenance_reports_bad_values_on_disk(mem, clock) -> None:
    store, manager = mem
    run(manager.add_memory_context("alice", {"content": "x"}))
    path = store.fs.path("users", "alice", "memory_layers", "immediate.jsonl")
    good, bad = b'"layer_entered_at": "2026', b'"layer_entered_at": "x'
    path.write_bytes(path.read_bytes().replace(good, bad))
    before = path.read_bytes()
    clock.advance(hours=3)
    result = run(manager.run_memory_maintenance("alice"))
    assert result["success"] is False and "x-01-01" in result["errors"][0]
    assert path.read_bytes() == before


def test_maintenance_due_follows_the_archival_interval(mem, clock) -> None:
    _store, manager = mem
    run(manager.initialize_user_memory("alice"))
    assert run(manager.is_maintenance_due("alice"))
    run(manager.run_memory_maintenance("alice"))
    assert not run(manager.is_maintenance_due("alice"))
    clock.advance(hours=6)
    assert run(manager.is_maintenance_due("alice"))


@pytest.mark.parametrize("layer", list(MemoryLayerType))
def test_initialize_creates_every_layer_file_and_metadata(mh, mem, layer) -> None:
    store, manager = mem
    assert run(manager.initialize_user_memory("alice")) is True
    assert run(manager.initialize_user_memory("alice")) is True  # idempotent
    folder = store.fs.path("users", "alice", "memory_layers")
    assert (folder / f"{layer.value}.jsonl").read_bytes() == b""
    meta = mh.metadata(store, "alice")
    assert meta["user_id"] == "alice" and meta["layer_stats"][layer.value] == {
        "item_count": 0,
        "last_compression": None,
    }


def test_add_reports_success_when_only_the_metadata_write_fails(mem, mh, monkeypatch) -> None:
    """The item is stored once it is in its layer file; a failed counts update after that
    (disk full) must not report the add as failed, and the next add recounts."""
    import errno

    from flatfile_chat.errors import StorageWriteError

    store, manager = mem
    run(manager.add_memory_context("alice", {"content": "first", "relevance_score": 0.9}))

    def refuse(*args, **kwargs):
        raise StorageWriteError("memory_metadata.json: write failed", path="m", errno=errno.ENOSPC)

    monkeypatch.setattr(manager._files, "write_metadata", refuse)
    item = run(manager.add_memory_context("alice", {"content": "kept", "relevance_score": 0.9}))
    monkeypatch.undo()
    layer = item.layer.value if hasattr(item.layer, "value") else item.layer
    assert [r["content"] for r in mh.layer_lines(store, "alice", layer)] == ["first", "kept"]
    run(manager.add_memory_context("alice", {"content": "next", "relevance_score": 0.9}))
    mh.assert_counts_match(store, "alice")
