"""Memory: the key a layer clash names, and maintenance of a user whose layer_metadata.json
carries no compression_history."""

from __future__ import annotations

from asyncio import run

import pytest

from flatfile_chat.config.memory_layers import MemoryLayerType
from flatfile_chat.errors import ValidationError
from flatfile_chat.memory.inputs import build_record


def test_a_context_naming_another_layer_is_refused_under_key_layer() -> None:
    with pytest.raises(ValidationError) as caught:
        build_record(
            {"content": "hello", "layer": "permanent"},
            user_id="alice",
            layer=MemoryLayerType.IMMEDIATE,
            memory_id=None,
            now_iso="2026-01-01T09:00:00+00:00",
            max_chars=1000,
        )
    assert (caught.value.key, caught.value.value) == ("layer", "permanent")
    assert str(caught.value) == ("context layer 'permanent' differs from target_layer 'immediate'")


def test_maintenance_restores_a_missing_compression_history(mem, mh) -> None:
    store, manager = mem
    run(manager.initialize_user_memory("alice"))
    path = store.fs.path("users", "alice", "memory_layers", "layer_metadata.json")
    stored = store.fs.read_json(path)
    del stored["compression_history"]
    store.fs.write_json(path, stored)

    result = run(manager.run_memory_maintenance("alice"))

    assert result["success"] is True, result["errors"]
    assert result["errors"] == []
    assert mh.metadata(store, "alice")["compression_history"] == []
