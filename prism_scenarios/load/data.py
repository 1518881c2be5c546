"""Test data at a chosen volume, generated before the timed phase and shared by iterations.

Each scenario config gets one template store (users ``load-user-NNNN`` with sessions and
messages, all from a fixed seed, so two runs generate identical bytes). An iteration's world
starts as hard links to the template's files: creating it costs O(files), not O(bytes), and
the scenario's own users never touch the template's (the store replaces files atomically or
appends to its own users' logs). :func:`fingerprint` proves after the run that no iteration
changed the shared data.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import os
import shutil
from pathlib import Path
from typing import Any

from flatfile_chat.config import deep_merge

# users x sessions per user x messages per session
VOLUMES: dict[str, tuple[int, int, int]] = {
    "none": (0, 0, 0),
    "small": (4, 2, 25),  # 200 messages
    "medium": (10, 5, 100),  # 5,000
    "large": (20, 10, 500),  # 100,000
    "xl": (50, 20, 1000),  # 1,000,000
}
_WORDS = (
    "store",
    "session",
    "panel",
    "memory",
    "retrieval",
    "sandbox",
    "message",
    "persona",
    "context",
    "insight",
    "document",
    "search",
    "analytics",
    "summary",
    "answer",
)


def messages_in(volume: str) -> int:
    users, sessions, messages = VOLUMES[volume]
    return users * sessions * messages


def build_template(base: Path, config: dict[str, Any], volume: str, seed: int) -> Path | None:
    """Generate the data into ``base/store`` and return that folder (None for no data)."""
    users, sessions, per_session = VOLUMES[volume]
    if not users:
        return None
    from prism_scenarios.world import World

    # Bulk generation need not be durable; the data's bytes do not depend on it.
    fast = deep_merge(config, {"storage": {"durability": "none"}})
    world = World(config=fast, seed=seed + 10_000_000, base_dir=base, keep=True)
    rng_words = _words(seed)

    async def generate() -> None:
        store = world.store
        for u in range(users):
            user = f"load-user-{u:04d}"
            await store.create_user(user)
            for _ in range(sessions):
                session = await store.create_session(user, title=f"load data {user}")
                batch = [
                    {
                        "role": "user" if i % 2 == 0 else "assistant",
                        "content": " ".join(next(rng_words) for _ in range(12)),
                    }
                    for i in range(per_session)
                ]
                for start in range(0, per_session, 500):
                    await store.add_messages(user, session.session_id, batch[start : start + 500])
        store.flush()
        await world.aclose()

    asyncio.run(generate())
    return world.store_root


def _words(seed: int):
    state = seed
    while True:  # a small LCG: deterministic across Python versions, unlike random's API
        state = (state * 6364136223846793005 + 1442695040888963407) % (1 << 64)
        yield _WORDS[(state >> 33) % len(_WORDS)]


def link_into(template: Path, store_root: Path) -> None:
    """The template's tree under ``store_root``: new folders, hard-linked files."""
    shutil.copytree(template, store_root, copy_function=os.link, dirs_exist_ok=True)


def fingerprint(template: Path) -> str:
    """A digest of every file's path, size and modification time under the template: a write
    in place through a hard link changes them, whatever the bytes."""
    digest = hashlib.sha256()
    for path in sorted(p for p in template.rglob("*") if p.is_file()):
        stat = path.stat()
        digest.update(
            json.dumps([str(path.relative_to(template)), stat.st_size, stat.st_mtime_ns]).encode()
        )
    return digest.hexdigest()
