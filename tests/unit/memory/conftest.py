"""Memory-layer fixtures: stores from ``make_store`` (tests/conftest.py), layer-file helpers.

Helpers come as the ``mh`` fixture (pytest runs with ``--import-mode=importlib``, so test
modules cannot import a sibling helper module).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from flatfile_chat import FFStorageManager
from flatfile_chat.memory import FFMemoryLayerManager

LAYER_FILES = ("immediate", "short_term", "medium_term", "long_term", "permanent")


def layer_lines(store: FFStorageManager, user: str, layer: str) -> list[dict[str, Any]]:
    return store.fs.read_jsonl(store.fs.path("users", user, "memory_layers", f"{layer}.jsonl"))


def metadata(store: FFStorageManager, user: str) -> dict[str, Any]:
    return store.fs.read_json(store.fs.path("users", user, "memory_layers", "layer_metadata.json"))


def assert_counts_match(store: FFStorageManager, user: str) -> None:
    stats = metadata(store, user)["layer_stats"]
    for layer in LAYER_FILES:
        assert stats[layer]["item_count"] == len(layer_lines(store, user, layer)), layer


def snapshot(
    folder: Path, skip: Callable[[str], bool] = lambda n: n.startswith(".")
) -> dict[str, bytes]:
    """Every data file of a folder (lock files excluded) by name → bytes."""
    return {
        p.name: p.read_bytes() for p in sorted(folder.iterdir()) if p.is_file() and not skip(p.name)
    }


@pytest.fixture
def mh() -> SimpleNamespace:
    return SimpleNamespace(
        layer_lines=layer_lines,
        metadata=metadata,
        assert_counts_match=assert_counts_match,
        snapshot=snapshot,
        layers=LAYER_FILES,
    )


@pytest.fixture
def mem_factory(make_store):
    """Build (store, manager) with memory_layer overrides; users alice and bob exist. Every
    build of a test shares one root unless given another (the factory closes the stores)."""
    shared = make_store.new_root()

    def build(
        memory: dict[str, Any] | None = None, root: Path | None = None
    ) -> tuple[FFStorageManager, FFMemoryLayerManager]:
        store = make_store(
            root=root or shared, overrides={"memory_layer": memory} if memory else None
        )
        for user in ("alice", "bob"):
            if not asyncio.run(store.user_exists(user)):
                asyncio.run(store.create_user(user))
        return store, FFMemoryLayerManager(store)

    return build


@pytest.fixture
def mem(mem_factory) -> tuple[FFStorageManager, FFMemoryLayerManager]:
    return mem_factory()
