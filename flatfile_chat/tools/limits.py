"""Concurrency slots and cooldown markers, both on disk so they hold across managers and
processes.

A running execution holds a non-blocking ``flock`` on one of ``runtime/slot_0 ..
slot_{max-1}``; if none can be taken, ``max_concurrent_executions`` is reached. The kernel
drops the lock if the process dies, so a crash never leaves a phantom "running" execution.
Cooldown keeps the last start per tool in ``runtime/cooldown.json`` (derived: rebuilt from the
execution history when it is missing).
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import ExitStack
from datetime import datetime
from typing import Any

from flatfile_chat.clock import isoformat, parse_timestamp
from flatfile_chat.errors import LockTimeout
from flatfile_chat.storage.locks import file_lock
from flatfile_chat.storage.paths import ensure_inside
from flatfile_chat.store.layout import StoreContext
from flatfile_chat.tools.paths import ToolPaths


class ConcurrencySlots:
    def __init__(self, ctx: StoreContext, paths: ToolPaths) -> None:
        self._ctx = ctx
        self._paths = paths

    def claim(self, user_id: str, limit: int) -> ExitStack | None:
        """Hold a free slot (close the returned stack to release it), or None if all busy."""
        self._ctx.fs.ensure_dir(self._paths.runtime_dir(user_id))
        for index in range(limit):
            target = ensure_inside(self._ctx.fs.root, self._paths.slot(user_id, index))
            stack = ExitStack()
            try:
                stack.enter_context(file_lock(target, timeout=0))
            except LockTimeout:
                stack.close()
                continue
            return stack
        return None

    def busy(self, user_id: str, limit: int) -> int:
        """How many slots are held right now (by any thread or process)."""
        held = 0
        for index in range(limit):
            target = self._paths.slot(user_id, index)
            if not target.parent.is_dir():
                return 0
            try:
                with file_lock(target, timeout=0):
                    pass
            except LockTimeout:
                held += 1
        return held


class Cooldowns:
    def __init__(self, ctx: StoreContext, paths: ToolPaths) -> None:
        self._ctx = ctx
        self._paths = paths

    def last_start(
        self, user_id: str, tool_id: str, history: Callable[[], list[dict[str, Any]]]
    ) -> datetime | None:
        """Last start of ``tool_id`` that ran; the file is rebuilt from ``history()`` (the
        execution history) when it is missing."""
        fs, path = self._ctx.fs, self._paths.cooldown(user_id)
        doc = fs.read_json(path, default=None)
        if doc is None:
            fs.ensure_dir(path.parent)
            with fs.lock(path):
                doc = fs.read_json(path, default=None)
                if doc is None:
                    doc = {}
                    for line in history():
                        if not line.get("denial_reason") and not line.get("cached_result"):
                            doc[line["tool_id"]] = line["start_timestamp"]
                    fs.write_json(path, doc, derived=True)
        value = doc.get(tool_id)
        return parse_timestamp(value) if value else None

    def mark(self, user_id: str, tool_id: str, when: datetime) -> None:
        fs, path = self._ctx.fs, self._paths.cooldown(user_id)
        fs.ensure_dir(path.parent)
        with fs.lock(path):
            doc = fs.read_json(path, default={})
            doc[tool_id] = isoformat(when)
            fs.write_json(path, doc, derived=True)
