"""The rate limit's view of ``execution_history.jsonl``: a verified, derived index.

The limit counts history rows whose ``start_timestamp`` is within the last hour. Parsing the
whole history on every call costs O(history) (measured: ~40 ms at 1,500 lines), so
``runtime/rate_window.json`` keeps the newest start times (as integer microseconds since the
epoch, sorted, so counting is a binary search; at most ``cap`` =
``max_executions_per_hour``, none older than an hour before the newest) together with the
history file's size when it was written (the history is append-only, so any other write -- an
append by a crashed writer, a repair, an edit -- changes the size; the size is also the same in
two identical scenario runs, unlike an inode or mtime).

It is trusted only while that size still matches the history file; otherwise (missing,
unreadable, built for a smaller cap, or the history changed behind its back: a crash between
the two writes, a repair, an external writer) it is rebuilt from the history, and if the
history itself cannot be read the caller fails closed. The history line and the window are
written together under the window's lock, so every writer keeps them in step.
"""

from __future__ import annotations

import bisect
import os
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from flatfile_chat.clock import parse_timestamp
from flatfile_chat.errors import StorageCorrupted
from flatfile_chat.store.layout import StoreContext
from flatfile_chat.tools.history import ExecutionLog
from flatfile_chat.tools.paths import ToolPaths

WINDOW = timedelta(hours=1)
_WINDOW_US = WINDOW // timedelta(microseconds=1)
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


class RateWindow:
    def __init__(self, ctx: StoreContext, paths: ToolPaths, log: ExecutionLog) -> None:
        self._ctx = ctx
        self._paths = paths
        self._log = log

    def _path(self, user_id: str) -> Any:
        return self._paths.runtime_dir(user_id) / "rate_window.json"

    def attempts_in_window(self, user_id: str, now: datetime, cap: int) -> int:
        """History rows started within the hour before ``now`` (exact up to ``cap``).

        Raises ``StorageCorrupted`` when the history has to be read and cannot be.
        """
        fs, path = self._ctx.fs, self._path(user_id)
        fs.ensure_dir(path.parent)
        with fs.lock(path):
            starts = self._valid(user_id, cap)["starts_us"]
        return len(starts) - bisect.bisect_right(starts, _micros(now - WINDOW))

    def record(
        self, user_id: str, start_timestamp: str, cap: int, append: Callable[[], None]
    ) -> None:
        """Run ``append`` (the history write) and add its start to the window, atomically
        with respect to every other writer of this user's history."""
        fs, path = self._ctx.fs, self._path(user_id)
        fs.ensure_dir(path.parent)
        with fs.lock(path):
            doc = self._valid(user_id, cap)
            append()
            starts = doc["starts_us"]
            bisect.insort(starts, _micros(parse_timestamp(start_timestamp)))
            doc["starts_us"] = _prune(starts, cap)
            doc["history"] = self._identity(user_id)
            fs.write_json(path, doc, derived=True)

    def _valid(self, user_id: str, cap: int) -> dict[str, Any]:
        try:
            doc = self._ctx.fs.read_json(self._path(user_id), default=None)
        except StorageCorrupted:
            doc = None
        if (
            isinstance(doc, dict)
            and doc.get("cap", 0) >= cap
            and doc.get("history") == self._identity(user_id)
            and isinstance(doc.get("starts_us"), list)
        ):
            return doc
        lines = self._log.read(user_id)  # StorageCorrupted -> caller fails closed
        starts = sorted(_micros(parse_timestamp(line["start_timestamp"])) for line in lines)
        return {"cap": cap, "starts_us": _prune(starts, cap), "history": self._identity(user_id)}

    def _identity(self, user_id: str) -> int | None:
        try:
            return os.stat(self._paths.history(user_id)).st_size
        except FileNotFoundError:
            return None


def _micros(when: datetime) -> int:
    return (when - _EPOCH) // timedelta(microseconds=1)


def _prune(starts: list[int], cap: int) -> list[int]:
    """Of sorted ``starts``: the newest ``cap``, none older than an hour before the newest."""
    if not starts:
        return []
    kept = starts[-cap:]
    return kept[bisect.bisect_right(kept, kept[-1] - _WINDOW_US) :]
