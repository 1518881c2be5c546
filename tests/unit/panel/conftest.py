"""Panel fixtures: a manager over the shared ``store`` fixture, a memory layer for insights,
and a helper that proves a refused call wrote nothing."""

from __future__ import annotations

from asyncio import run
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from flatfile_chat import FFStorageManager
from flatfile_chat.panel import FFPanelSessionManager

try:  # the real memory manager, when it exists in this tree
    from flatfile_chat.memory.manager import FFMemoryLayerManager
except ImportError:  # pragma: no cover - only before the memory package lands
    FFMemoryLayerManager = None  # type: ignore[assignment,misc]


class FakeMemory:
    """Minimal stand-in with the memory manager's signature (used only without the real one)."""

    def __init__(self) -> None:
        self.items: list[tuple[str, dict[str, Any], str]] = []

    async def add_memory_context(
        self, user_id: str, context: Any, target_layer: str = "medium_term"
    ) -> dict[str, Any]:
        self.items.append((user_id, dict(context), target_layer))
        return dict(context)


@pytest.fixture
def memory(store: FFStorageManager):
    if FFMemoryLayerManager is not None:
        return FFMemoryLayerManager(store)
    return FakeMemory()


@pytest.fixture
def panels(store: FFStorageManager, memory) -> FFPanelSessionManager:
    run(store.create_user("owner"))
    return FFPanelSessionManager(store, memory=memory)


def _debaters(n: int = 3, *, moderator: bool = False) -> list[dict[str, Any]]:
    people = [
        {"participant_id": f"d{i}", "display_name": f"Debater {i}", "role": "advocate"}
        for i in range(1, n + 1)
    ]
    if moderator:
        people.append({"participant_id": "mod", "role": "moderator"})
    return people


def _snapshot_files(root: Path) -> dict[str, bytes]:
    """Every data file under the root (lock files, the store-wide analytics/ and the pseudonym
    key its first audit line creates in keys/ aside: the audit log may grow on a refusal, by
    design)."""
    files = {}
    for path in sorted(root.rglob("*")):
        rel = path.relative_to(root).as_posix()
        if (
            path.is_file()
            and not path.name.endswith(".lock")
            and not rel.startswith(("analytics/", "keys/"))
        ):
            files[rel] = path.read_bytes()
    return files


@pytest.fixture
def debaters() -> Callable[..., list[dict[str, Any]]]:
    """``debaters(n, moderator=False)``: participants d1..dn (role advocate), plus ``mod``."""
    return _debaters


@pytest.fixture
def files_of() -> Callable[[Path], dict[str, bytes]]:
    return _snapshot_files
