"""When bytes reach stable storage: the durability setting and its group committer.

Modes (``storage.durability``):

- ``fsync`` — every append and every primary document write is fsynced before the call returns.
  A power loss loses nothing that was acknowledged. Costs one fsync per write (~0.2 ms here),
  except that concurrent appends to one file share fsyncs (group commit, :class:`SyncGroups`):
  a writer writes its bytes, then either leads an fdatasync or waits for one that *began after
  its write*; one fdatasync makes every byte written to the inode before it durable, so N
  waiting writers cost one call, never fewer guarantees.
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
from collections.abc import Callable
from dataclasses import dataclass, field
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
                self._thread = threading.Thread(
                    target=self._run, name="ffchat-group-commit", daemon=True
                )
                self._thread.start()

    def pending(self) -> list[Path]:
        """The files written since the last commit, not fsynced yet (sorted)."""
        with self._lock:
            return sorted(self._dirty)

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


_GROUPS_MAX = 4096  # inodes whose group-commit state is kept while idle


@dataclass
class _Group:
    """Group-commit state of one inode: tickets are handed out after each completed write;
    ``synced`` is the highest ticket an fdatasync that began after that write has covered."""

    cond: threading.Condition
    issued: int = 0
    synced: int = 0
    leader: bool = False
    users: int = 0  # writers holding a ticket (the entry is dropped at 0)
    failed: list[tuple[int, int, OSError]] = field(default_factory=list)  # (first, last, err)


class SyncGroups:
    """Leader/follower group commit of appends, per inode, within this process.

    Why per inode: fdatasync flushes an inode's dirty pages whichever descriptor wrote them, so
    one call covers every writer of that file; different files need their own calls (the ext4
    journal already merges concurrent ones). Keyed by (device, inode) while a writer holds a
    descriptor open, so the inode cannot be freed and its number reused under us.
    """

    def __init__(self, sync: Callable[[int], None] | None = None) -> None:
        self._lock = threading.Lock()
        self._groups: dict[tuple[int, int], _Group] = {}
        self._sync = sync  # None: os.fdatasync looked up at call time (tests patch it)

    def written(self, key: tuple[int, int]) -> int:
        """Register a completed write to inode ``key`` (st_dev, st_ino); returns the ticket
        for :meth:`wait`. Call it after the write returned, with the descriptor still open."""
        with self._lock:
            group = self._groups.get(key)
            if group is None:
                if len(self._groups) >= _GROUPS_MAX:  # keep it bounded: drop idle ones
                    for idle in [k for k, g in self._groups.items() if not g.users]:
                        del self._groups[idle]
                group = self._groups[key] = _Group(threading.Condition(self._lock))
            group.issued += 1
            group.users += 1
            return group.issued

    def wait(self, fd: int, key: tuple[int, int], ticket: int) -> None:
        """Return once an fdatasync that began after ticket's write has finished (lead one if
        nobody is syncing); raise that fdatasync's error if it failed."""
        sync = self._sync or os.fdatasync
        with self._lock:
            group = self._groups[key]
            try:
                while group.synced < ticket:
                    if group.leader:
                        group.cond.wait()
                        continue
                    group.leader = True
                    first, target = group.synced + 1, group.issued  # written before the sync
                    self._lock.release()
                    error: OSError | None = None
                    finished = False
                    try:
                        sync(fd)
                        finished = True
                    except OSError as exc:
                        error, finished = exc, True
                    finally:
                        self._lock.acquire()
                        group.leader = False
                        if finished:  # interrupted (KeyboardInterrupt): another leads again
                            if error is not None:
                                group.failed.append((first, target, error))
                            group.synced = max(group.synced, target)
                        group.cond.notify_all()
                failure = next(
                    (e for first, last, e in group.failed if first <= ticket <= last), None
                )
            finally:
                group.users -= 1
                if group.users == 0:
                    # Nobody may ask about a past batch now. Kept while idle (cheaper than a
                    # new Condition); should the inode number be reused by a new file, the
                    # counters still only grow, and a leader syncs its own descriptor.
                    group.failed.clear()
        if failure is not None:
            raise failure
