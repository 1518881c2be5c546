"""Cross-process file locks with a timeout: ``flock`` on a hidden ``.{name}.lock`` sibling.

Why not the ``filelock`` package: measured on this project's CI machine, filelock 4.3.1 spends
200–300 µs per acquire/release (fork tracking, singletons, polling machinery) where a bare
``flock`` takes ~7 µs, and a lock is taken on every message append. This module is the small
part of it we need: exclusive and shared modes, a timeout with exponential back-off (from 1 ms,
like upstream's 10 ms retry but finer), and per-thread reentrancy so code that already holds a
file's exclusive lock can read it "under lock" without deadlocking itself.

Each acquisition opens its own descriptor, so threads exclude each other exactly like processes
(flock locks belong to the open file description).

Readers never create files: a shared lock on a file whose lock file does not exist yet is a
no-op. That is safe for in-place writers because :func:`may_write_in_place` refuses when the
writer's own acquisition created the lock file (a reader may have checked just before), so the
first write to any file always goes through temp + rename.
"""

from __future__ import annotations

import errno
import fcntl
import os
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from flatfile_chat.errors import LockTimeout, StorageWriteError, UnsafePath

LOCK_SUFFIX = ".lock"
_held = threading.local()  # lock path -> [mode, depth, created_by_this_acquisition]


def lock_path_for(path: Path) -> Path:
    """Hidden sibling ``.{name}.lock`` so lock files never look like data."""
    return path.with_name(f".{path.name}{LOCK_SUFFIX}")


def _registry() -> dict[str, list]:
    held = getattr(_held, "locks", None)
    if held is None:
        held = _held.locks = {}
    return held


def may_write_in_place(path: Path) -> bool:
    """Whether this thread holds ``path``'s exclusive lock on a pre-existing lock file."""
    entry = _registry().get(os.fspath(lock_path_for(path)))
    return entry is not None and entry[0] == "exclusive" and not entry[2]


@contextmanager
def file_lock(path: Path, timeout: float, *, shared: bool = False) -> Iterator[None]:
    """Hold ``path``'s lock (exclusive by default) or raise ``LockTimeout`` after ``timeout``."""
    lock_file = lock_path_for(path)
    key = os.fspath(lock_file)
    held = _registry()
    entry = held.get(key)
    if entry is not None:
        if not shared and entry[0] == "shared":
            raise RuntimeError(f"cannot upgrade a shared lock on {path} to exclusive")
        entry[1] += 1  # reentrant: exclusive covers shared, same mode nests
        try:
            yield
        finally:
            entry[1] -= 1
        return
    if shared:
        try:
            fd = _open(lock_file, os.O_RDONLY)
        except FileNotFoundError:  # no writer has ever locked it: nothing to wait for
            yield
            return
        created = False
        _acquire(fd, lock_file, path, timeout, fcntl.LOCK_SH)
    else:
        deadline = time.monotonic() + timeout
        gate = _enter_gate(key, lock_file, path, timeout)
        try:
            fd, created = _open_creating(lock_file)
            _acquire(fd, lock_file, path, max(0.0, deadline - time.monotonic()), fcntl.LOCK_EX)
        except BaseException:
            _leave_gate(key, gate)
            raise
    held[key] = ["shared" if shared else "exclusive", 1, created]
    try:
        yield
    finally:
        del held[key]
        fcntl.flock(fd, fcntl.LOCK_UN)
        os.close(fd)
        if not shared:
            _leave_gate(key, gate)


# Threads of this process queue for an exclusive lock on a threading.Lock first, so the next
# one takes the file lock the moment it is released instead of after a back-off sleep (1 ms and
# up). That matters for group commit: writers must reach the log while the fsync leader syncs.
# flock still excludes other processes (and shared readers of this one).
_gates: dict[str, list] = {}  # lock path -> [threading.Lock, threads holding or waiting]
_gates_lock = threading.Lock()


def _enter_gate(key: str, lock_file: Path, path: Path, timeout: float) -> list:
    with _gates_lock:
        gate = _gates.get(key)
        if gate is None:
            gate = _gates[key] = [threading.Lock(), 0]
        gate[1] += 1
    if not gate[0].acquire(timeout=max(timeout, 0.0)):
        with _gates_lock:
            gate[1] -= 1
            if gate[1] == 0:
                del _gates[key]
        raise LockTimeout(
            f"could not lock {path} within {timeout}s (another thread holds {lock_file.name})",
            path=str(path),
            timeout=timeout,
        )
    return gate


def _leave_gate(key: str, gate: list) -> None:
    gate[0].release()
    with _gates_lock:
        gate[1] -= 1
        if gate[1] == 0:
            del _gates[key]  # no one holds or waits: the entry is not kept per file forever


def _open_creating(lock_file: Path) -> tuple[int, bool]:
    try:
        # empty: holds no data, so readable by shared readers of a group-shared store
        return _open(lock_file, os.O_RDWR | os.O_CREAT | os.O_EXCL), True
    except FileExistsError:
        return _open(lock_file, os.O_RDWR), False


def _open(lock_file: Path, flags: int) -> int:
    """Open a lock file, never through a symlink planted in its place."""
    try:
        return os.open(lock_file, flags | os.O_NOFOLLOW, 0o644)
    except (FileNotFoundError, FileExistsError):
        raise
    except OSError as exc:
        if exc.errno != errno.ELOOP:  # read-only folder, no space for the inode, ...
            raise StorageWriteError(
                f"cannot open lock file {lock_file.name!r}: "
                f"{exc.strerror} (errno {exc.errno}); nothing was changed",
                path=str(lock_file),
                errno=exc.errno,
            ) from exc
        raise UnsafePath(
            f"refusing lock file {lock_file.name!r}: it is a symbolic link; the "
            "store never follows links",
            key="path",
            value=str(lock_file),
        ) from None


def _acquire(fd: int, lock_file: Path, path: Path, timeout: float, mode: int) -> None:
    deadline = time.monotonic() + timeout
    delay = 0.001
    while True:
        try:
            fcntl.flock(fd, mode | fcntl.LOCK_NB)
            return
        except BlockingIOError:
            if time.monotonic() >= deadline:
                os.close(fd)
                raise LockTimeout(
                    f"could not lock {path} within {timeout}s (another writer "
                    f"holds {lock_file.name})",
                    path=str(path),
                    timeout=timeout,
                ) from None
            time.sleep(delay)
            delay = min(delay * 2, 0.05)
        except BaseException:
            os.close(fd)
            raise
