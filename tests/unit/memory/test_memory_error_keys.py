"""Memory refusals name the field they are about (``key``/``value``), and inputs a typed
scenario step cannot send (a boolean threshold or limit) are refused."""

from __future__ import annotations

from asyncio import run
from typing import Any

import pytest

from flatfile_chat.errors import AlreadyExists, NotFound, ValidationError
from flatfile_chat.memory.models import FFMemoryContextDTO


def _refusal(error: type[Exception], call: Any) -> Any:
    with pytest.raises(error) as caught:
        run(call)
    return caught.value


@pytest.mark.parametrize("threshold", [True, "0.5", None, 1.5, -0.1])
def test_a_relevance_threshold_must_be_a_number_in_range(mem, threshold: Any) -> None:
    _store, manager = mem
    refused = _refusal(
        ValidationError, manager.get_memory_contexts("alice", relevance_threshold=threshold)
    )
    assert str(refused) == "relevance_threshold must be a number in [0, 1]"
    assert (refused.key, refused.value) == ("relevance_threshold", threshold)


@pytest.mark.parametrize("limit", [True, 0, -1, 2.0, "3"])
def test_a_limit_must_be_a_positive_integer(mem, limit: Any) -> None:
    _store, manager = mem
    refused = _refusal(ValidationError, manager.get_memory_contexts("alice", max_results=limit))
    assert str(refused) == f"max_results must be a positive integer, got {limit!r}"
    assert (refused.key, refused.value) == ("max_results", limit)
    searched = _refusal(ValidationError, manager.search_memory("alice", "x", max_results=limit))
    assert (searched.key, searched.value) == ("max_results", limit)


def test_bounds_are_allowed(mem) -> None:
    _store, manager = mem
    run(manager.add_memory_context("alice", {"content": "x", "relevance_score": 1.0}))
    assert len(run(manager.get_memory_contexts("alice", relevance_threshold=1, max_results=1))) == 1
    assert len(run(manager.get_memory_contexts("alice", relevance_threshold=0))) == 1


@pytest.mark.parametrize("query", [3, None, ["x"]])
def test_a_query_must_be_text(mem, query: Any) -> None:
    _store, manager = mem
    refused = _refusal(ValidationError, manager.search_memory("alice", query))
    assert str(refused) == "query must be a string"
    assert (refused.key, refused.value) == ("query", query)


def test_a_query_without_words_names_itself(mem) -> None:
    _store, manager = mem
    refused = _refusal(ValidationError, manager.search_memory("alice", " ?! "))
    assert (refused.key, refused.value) == ("query", " ?! ")


def test_a_duplicate_id_names_itself(mem) -> None:
    _store, manager = mem
    run(manager.add_memory_context("alice", {"content": "x", "memory_id": "m1"}))
    refused = _refusal(
        AlreadyExists, manager.add_memory_context("alice", {"content": "y", "memory_id": "m1"})
    )
    assert (refused.key, refused.value) == ("memory_id", "m1")


def test_a_sandbox_session_names_itself(mem) -> None:
    store, manager = mem
    trial = run(store.create_session("alice", "trial", metadata={"sandbox": True})).session_id
    refused = _refusal(
        ValidationError,
        manager.add_memory_context("alice", {"content": "x", "session_id": trial}),
    )
    assert (refused.key, refused.value) == ("session_id", trial)


def test_uninitialised_metadata_names_the_user(mem) -> None:
    _store, manager = mem
    refused = _refusal(NotFound, manager.get_layer_metadata("alice"))
    assert str(refused) == "memory of user 'alice' is not initialised"
    assert (refused.key, refused.value) == ("user_id", "alice")


def test_a_corrupted_layer_is_audited_with_its_path_and_line(mem) -> None:
    store, manager = mem
    run(manager.add_memory_context("alice", {"content": "kept"}))
    layer = store.fs.path("users", "alice", "memory_layers", "immediate.jsonl")
    with layer.open("ab") as handle:
        handle.write(b"{not json\n")
    result = run(manager.run_memory_maintenance("alice"))
    assert result["success"] is False and len(result["errors"]) == 1
    [entry] = store.fs.read_jsonl(store.fs.path("analytics", "compliance", "audit_logs.jsonl"))
    assert entry["event_type"] == "memory_integrity_violation"
    assert (entry["component"], entry["outcome"]) == ("memory_layer", "failure")
    assert entry["details"]["line"] == 2
    assert entry["details"]["path"].endswith("/memory_layers/immediate.jsonl")


def test_a_dto_keeps_its_own_memory_id_and_a_clash_is_refused(mem) -> None:
    _store, manager = mem
    stored = run(
        manager.add_memory_context("alice", FFMemoryContextDTO(content="x", memory_id="mem_dto"))
    )
    assert stored.memory_id == "mem_dto"
    refused = _refusal(
        AlreadyExists,
        manager.add_memory_context("alice", FFMemoryContextDTO(content="y", memory_id="mem_dto")),
    )
    assert (refused.key, refused.value) == ("memory_id", "mem_dto")
