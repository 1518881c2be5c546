"""When bytes reach stable storage: the durability setting and its group committer.

Modes (``storage.durability``):

- ``fsync`` — every append and every primary document write is fsynced before the call returns.
  A power loss loses nothing that was acknowledged. Costs one fsync per write (~0.2 ms here).
- ``batch`` — writes return at once; a group committer fsyncs all files written since the last
  commit every ``group_commit_interval_ms`` (and on ``flush()``/``close()``). Many writes share
  one fsync, so throughput is far higher; a power loss can lose the last interval of writes.
  A killed *process* loses nothing in any mode: the data is already in the OS page cache.
- ``none`` — never fsync; the OS writes back when it likes. For tests and throw-away stores.

Derived files (counters that can be recomputed from a JSONL log, such as ``message_count`` in
``session.json``) are not fsynced per write even in ``fsync`` mode: the log is the commit point
and ``FFStorageManager.repair()`` recomputes them after a power loss. When such a file fits in
one 512-byte sector and the writer holds its exclusive lock, it is overwritten in place with a
single ``pwrite`` (padded with JSON whitespace) instead of temp+rename: on ext4 a rename over an
existing file costs ~350 µs here (the replaced file's blocks are freed and the new ones forced
out), an in-place sector write ~8 µs. A killed process leaves the old or the new bytes (one
page, one call); readers of such files take the shared lock, so they never see a half-copied
page. Larger derived files, and every primary document, use temp + ``os.replace``.
"""

from __future__ import annotations

import os
import threading
from enum import StrEnum
from pathlib import Path

from flatfile_chat.storage.atomic import fsync_dir


class Durability(StrEnum):
    FSYNC = "fsync"
    BATCH = "batch"
    NONE = "none"


class GroupCommitter:
    """Collects written paths and fsyncs them together, from a daemon thread and on demand."""

    def __init__(self, interval_ms: float) -> None:
        self._interval = interval_ms / 1000.0
        self._dirty: set[Path] = set()
        self._lock = threading.Lock()
        self._wake = threading.Event()
        self._stop = False
        self._thread: threading.Thread | None = None

    def mark(self, path: Path) -> None:
        with self._lock:
            self._dirty.add(path)
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="ffchat-group-commit",
                                                daemon=True)
                self._thread.start()

    def flush(self) -> int:
        """fsync every file (and its folder) written since the last commit; returns the count."""
        with self._lock:
            dirty, self._dirty = self._dirty, set()
        folders: set[Path] = set()
        for path in dirty:
            try:
                fd = os.open(path, os.O_RDONLY)
            except FileNotFoundError:
                continue  # replaced or deleted since; its folder still needs syncing
            finally:
                folders.add(path.parent)
            try:
                os.fsync(fd)
            finally:
                os.close(fd)
        for folder in folders:
            if folder.exists():
                fsync_dir(folder)
        return len(dirty)

    def _run(self) -> None:
        while not self._stop:
            self._wake.wait(self._interval)
            self.flush()

    def close(self) -> None:
        self._stop = True
        self._wake.set()
        if self._thread is not None:
            self._thread.join()
            self._thread = None
        self.flush()
