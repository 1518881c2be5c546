"""Memory: the layer-index cache keeps exactly its capacity, a locked user is reported as a
lock_timeout on the user's memory folder, a caller naming store-assigned fields is told which,
and compress_layer leaves a layer under its threshold alone unless forced."""

from __future__ import annotations

from asyncio import run
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from flatfile_chat.config.memory_layers import MemoryLayerType
from flatfile_chat.errors import LockTimeout, ValidationError
from flatfile_chat.memory.index import IndexCache
from flatfile_chat.memory.inputs import build_record
from flatfile_chat.memory.integrity import check_memory_layers


def test_the_index_cache_keeps_as_many_layers_as_its_capacity(tmp_path: Path) -> None:
    cache = IndexCache(capacity_users=1)  # five layers
    layers = ("immediate", "short_term", "medium_term", "long_term", "permanent")
    loads: list[str] = []

    def loader(layer: str):
        def load() -> list[dict[str, Any]]:
            loads.append(layer)
            return []

        return load

    for layer in layers:
        path = tmp_path / f"{layer}.jsonl"
        path.write_text("")
        cache.get("alice", layer, path, loader(layer))
    for layer in layers:  # all five still cached: no load
        cache.get("alice", layer, tmp_path / f"{layer}.jsonl", loader(layer))
    assert loads == list(layers)

    extra = tmp_path / "bob.jsonl"
    extra.write_text("")
    cache.get("bob", "immediate", extra, loader("bob"))  # the sixth evicts the oldest
    cache.get("alice", "short_term", tmp_path / "short_term.jsonl", loader("short_term"))
    cache.get("alice", "immediate", tmp_path / "immediate.jsonl", loader("immediate"))
    assert loads == [*layers, "bob", "immediate"]


def test_a_user_whose_memory_lock_times_out_is_reported_on_the_memory_folder(
    mem, monkeypatch
) -> None:
    store, manager = mem
    run(manager.initialize_user_memory("alice"))

    @contextmanager
    def locked(path: Path, *args: Any, **kwargs: Any) -> Iterator[None]:
        raise LockTimeout(f"could not lock {path.name}")
        yield  # pragma: no cover

    monkeypatch.setattr(store.fs, "lock", locked)
    issues = [i for i in check_memory_layers(store.ctx) if i.path.startswith("users/alice/")]
    assert [(i.kind, i.path) for i in issues] == [("lock_timeout", "users/alice/memory_layers")]
    assert issues[0].detail.startswith("could not lock ")


def test_store_assigned_fields_given_by_the_caller_are_named_in_the_refusal() -> None:
    with pytest.raises(ValidationError) as caught:
        build_record(
            {"content": "hello", "promotion_history": ["x"], "created_at": "2026-01-01"},
            user_id="alice",
            layer=MemoryLayerType.IMMEDIATE,
            memory_id=None,
            now_iso="2026-01-01T09:00:00+00:00",
            max_chars=1000,
        )
    assert str(caught.value) == (
        "['created_at', 'promotion_history'] are assigned by the store, not by the caller"
    )
    assert caught.value.key == "created_at"


def test_compress_layer_leaves_a_layer_under_its_threshold_alone_unless_forced(
    mem_factory, mh
) -> None:
    store, manager = mem_factory(
        {
            "compression_strategy": "importance",
            "compression_keep_recent": 0,
            "compression_min_group_size": 2,
        }
    )
    for text in ("The train leaves at nine.", "The hotel is near the station."):
        run(manager.add_memory_context("alice", {"content": text, "importance_score": 0.1}))

    result = run(manager.compress_layer("alice", "immediate"))
    assert (result.original_count, result.compressed_count) == (2, 2)
    assert [r["context_type"] for r in mh.layer_lines(store, "alice", "immediate")] == [
        "conversation",
        "conversation",
    ]

    forced = run(manager.compress_layer("alice", "immediate", force=True))
    assert (forced.original_count, forced.compressed_count) == (2, 1)
