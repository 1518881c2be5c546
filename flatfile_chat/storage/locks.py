"""Cross-process file locks with a timeout (``filelock``), mapped to our ``LockTimeout``."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import filelock

from flatfile_chat.errors import LockTimeout

LOCK_SUFFIX = ".lock"


def lock_path_for(path: Path) -> Path:
    """Hidden sibling ``.{name}.lock`` so lock files never look like data."""
    return path.with_name(f".{path.name}{LOCK_SUFFIX}")


@contextmanager
def file_lock(path: Path, timeout: float) -> Iterator[None]:
    """Hold an exclusive lock on ``path`` (via ``path.lock``) or raise ``LockTimeout``.

    A new lock object per call: flock on separate descriptors excludes threads and processes alike.
    """
    lock = filelock.FileLock(lock_path_for(path), timeout=timeout, thread_local=False)
    try:
        lock.acquire()
    except filelock.Timeout as exc:
        raise LockTimeout(f"could not lock {path} within {timeout}s (another writer holds "
                          f"{lock_path_for(path).name})", path=str(path), timeout=timeout) from exc
    try:
        yield
    finally:
        lock.release()
