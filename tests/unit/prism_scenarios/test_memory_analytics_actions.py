"""The logic in the memory/analytics actions: only given fields reach the manager, a world
left collecting closes cleanly, ``files.grep`` and ``analytics.await_samples`` behave."""

from __future__ import annotations

import asyncio
import gc
import logging
import warnings

import pytest

from prism_scenarios.engine import ScenarioRun
from prism_scenarios.errors import ExpectationFailed

W = "test"


def test_memory_add_sends_only_the_given_fields_so_the_manager_validates_and_defaults() -> None:
    with ScenarioRun() as run:
        run.step("user.create", {"user_id": "alice"}, where=W)
        item = run.step("memory.add", {"user_id": "alice", "content": "hi"}, where=W)
        assert (item["relevance_score"], item["context_type"], item["topic_tags"]) == (
            0.5,
            "conversation",
            [],
        )
        # out-of-range and reserved values pass the runner and are refused by the manager
        run.step(
            "memory.add",
            {"user_id": "alice", "content": "x", "relevance_score": 1.5},
            where=W,
            raises={"error": "ValidationError", "message": "relevance_score"},
        )
        run.step(
            "memory.add",
            {"user_id": "alice", "content": "x", "context_type": "compressed_summary"},
            where=W,
            raises={"error": "ValidationError", "message": "context_type"},
        )
        run.step(
            "memory.add",
            {"user_id": "alice", "content": "x", "layer": "attic"},
            where=W,
            raises={"error": "ValidationError", "message": "attic"},
        )
        assert (
            run.step(
                "files.count_lines", {"path": "users/alice/memory_layers/immediate.jsonl"}, where=W
            )
            == 1
        )


def test_memory_search_hits_are_items_with_their_score() -> None:
    with ScenarioRun() as run:
        run.step("user.create", {"user_id": "alice"}, where=W)
        run.step(
            "memory.add",
            {"user_id": "alice", "content": "Paris in May", "relevance_score": 0.8},
            where=W,
        )
        hits = run.step("memory.search", {"user_id": "alice", "query": "PARIS!"}, where=W)
        assert [(h["content"], h["user_id"], h["score"]) for h in hits] == [
            ("Paris in May", "alice", 0.8)
        ]


def test_a_world_left_collecting_stops_its_collector_when_it_closes(caplog) -> None:
    caplog.set_level(logging.ERROR, logger="asyncio")
    run = ScenarioRun(config={"analytics": {"collection_interval_seconds": 0.01}})
    started = run.step("analytics.start_collection", {}, where=W)
    assert started == {"started": True, "collecting": True, "collector_tasks": 1}
    run.step("analytics.await_samples", {"count": 2}, where=W)
    manager = run.world.manager("analytics")
    task = manager._collector._task
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # "coroutine ... was never awaited" and the like
        run.close()
        gc.collect()
    assert task is not None and task.done() and not task.cancelled()
    assert not manager.collecting
    assert "Task was destroyed but it is pending" not in caplog.text


def test_await_samples_times_out_without_collection() -> None:
    with ScenarioRun() as run:
        run.step("analytics.init", {}, where=W)
        with pytest.raises(ExpectationFailed, match="has 0 samples after 0.05 s, expected 1"):
            run.step("analytics.await_samples", {"count": 1, "within_seconds": 0.05}, where=W)


def test_stop_collection_counts_only_live_collector_tasks() -> None:
    with ScenarioRun(config={"analytics": {"collection_interval_seconds": 60}}) as run:
        run.step("analytics.start_collection", {}, where=W)
        assert run.step("analytics.stop_collection", {}, where=W) == {
            "stopped": True,
            "collecting": False,
            "collector_tasks": 0,
        }
        assert not [t for t in asyncio.all_tasks(run._loop) if not t.done()]


def test_files_grep_reports_every_line_and_skips_hidden_files() -> None:
    with ScenarioRun() as run:
        root = run.world.store.fs.root
        folder = root / "analytics" / "sub"
        folder.mkdir(parents=True)
        (folder / "a.jsonl").write_text('{"u": "alice"}\n{"u": "bob"}\n{"u": "alice_2"}\n')
        (folder / ".a.jsonl.lock").write_text("alice")
        (root / "analytics" / "b.json").write_text('{"x": "malice"}')
        hits = run.step("files.grep", {"text": "alice"}, where=W)
        assert hits == [
            {"path": "analytics/b.json", "line": 1},
            {"path": "analytics/sub/a.jsonl", "line": 1},
            {"path": "analytics/sub/a.jsonl", "line": 3},
        ]
        # whole words: not glued to letters or digits ("alice_2" still counts, like the
        # store's raw_user_id check)
        words = run.step("files.grep", {"text": "alice", "whole_word": True}, where=W)
        assert [h["line"] for h in words] == [1, 3]
        run.step(
            "files.grep",
            {"path": "nowhere", "text": "x"},
            where=W,
            raises={"error": "NotFound", "message": "nowhere is not a folder"},
        )
        with pytest.raises(ExpectationFailed, match="escape|invalid|unsafe"):
            run.step("files.grep", {"path": "../outside", "text": "x"}, where=W)
