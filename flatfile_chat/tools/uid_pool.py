"""Per-execution unprivileged uids for sandboxed commands when we run as root.

Why: the kernel ignores RLIMIT_NPROC for root, so a fork bomb started as root is not contained
by rlimits at all (verified: 60/60 forks succeed with NPROC=5 as root, 4/60 as any other uid).
Each execution therefore runs as its own uid from ``[uid_base, uid_base + uid_pool_size)``:
RLIMIT_NPROC then counts exactly that execution's processes, concurrent executions cannot eat
each other's budget, and "every process of this uid" identifies strays for the sweep.

A slot is claimed with a non-blocking ``flock`` on ``{temp_root}/.ff_sandbox_uids/uid_{n}``,
so it holds across threads and processes and is freed by the kernel if the holder dies. Slots
are taken round-robin, and a uid that still owns any process (e.g. a killed orphan that init
has not reaped yet: zombies count against RLIMIT_NPROC too) is skipped.
"""

from __future__ import annotations

import itertools
import os
from contextlib import ExitStack
from pathlib import Path

import psutil

from flatfile_chat.errors import LimitExceeded, LockTimeout
from flatfile_chat.storage.locks import file_lock

_counter = itertools.count()


class UidSlot:
    """A claimed uid; :meth:`release` frees it for the next execution."""

    def __init__(self, uid: int, stack: ExitStack) -> None:
        self.uid = uid
        self._stack = stack

    def release(self) -> None:
        self._stack.close()


class UidPool:
    def __init__(self, lock_dir: Path, base: int, size: int) -> None:
        self.lock_dir = lock_dir
        self.base = base
        self.size = size

    def claim(self) -> UidSlot:
        self.lock_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
        owners = process_owners()
        start = (os.getpid() + next(_counter)) % self.size
        for offset in range(self.size):
            index = (start + offset) % self.size
            if self.base + index in owners:
                continue
            stack = ExitStack()
            try:
                stack.enter_context(file_lock(self.lock_dir / f"uid_{index}", timeout=0))
            except LockTimeout:
                stack.close()
                continue
            return UidSlot(self.base + index, stack)
        raise LimitExceeded(
            f"all {self.size} sandbox uids are in use ({self.base}..{self.base + self.size - 1})",
            key="uid_pool",
        )


def process_owners() -> set[int]:
    """Owners of ``/proc/<pid>`` (zombies included): one ``stat`` per process, cheap.

    A process that made itself non-dumpable shows as root here; that only costs it fork
    budget later, it cannot hide from :func:`sweep`, which reads the real uid.
    """
    owners = set()
    for name in os.listdir("/proc"):
        if name.isdigit():
            try:
                owners.add(os.stat(f"/proc/{name}").st_uid)
            except OSError:
                continue
    return owners


def real_uid_pids(uid: int) -> list[int]:
    """Pids whose *real* uid is ``uid`` (from ``/proc/<pid>/status``), zombies included."""
    wanted = str(uid).encode()
    pids = []
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            with open(f"/proc/{name}/status", "rb") as fh:
                status = fh.read(4096)
        except OSError:
            continue
        at = status.find(b"\nUid:")
        if at >= 0 and status[at + 5 :].split(None, 1)[0] == wanted:
            pids.append(int(name))
    return pids


def sweep(uid: int) -> list[int]:
    """SIGKILL every live process of ``uid``; returns their pids (strays that escaped the
    process group, e.g. with ``setsid``)."""
    killed = []
    for pid in real_uid_pids(uid):
        try:
            proc = psutil.Process(pid)
            if proc.status() == psutil.STATUS_ZOMBIE:
                continue
            proc.kill()  # psutil re-checks the process identity: no kill of a reused pid
            killed.append(pid)
        except psutil.NoSuchProcess:
            continue
    return killed
