"""A migration lock with an owner and a lease, so a crashed run is told apart from a live one.

The lock is a file created exclusively, holding who took it and until when the lease runs; the
holder renews the lease after every batch. A lock whose lease ran out, or whose owner process is
gone on this host, is *stale*: it is reported with how to break it, never broken silently
(``recover`` breaks it after saying so, because recovering is what a stale lock calls for).
"""

from __future__ import annotations

import json
import os
import socket
import time
from dataclasses import asdict, dataclass
from pathlib import Path

from flatfile_chat.errors import FFError
from flatfile_chat.storage.atomic import atomic_write_bytes

LEASE_SECONDS = 120.0


class MigrationLocked(FFError):
    """Another migration holds the lock (live or stale)."""


@dataclass(frozen=True)
class Holder:
    owner: str
    pid: int
    host: str
    started_at: float
    lease_until: float
    command: str

    def alive(self) -> bool:
        """On this host, whether the owner process runs (a long backup between lease renewals
        is not a crash); elsewhere, whether the lease still runs."""
        if self.pid <= 0:
            return False
        if self.host != socket.gethostname():
            return time.time() < self.lease_until  # cannot see the process: trust the lease
        try:
            os.kill(self.pid, 0)
        except ProcessLookupError:
            return False
        except PermissionError:
            return True
        return not _zombie(self.pid)

    def describe(self) -> str:
        return (
            f"{self.command} by {self.owner} (pid {self.pid} on {self.host}), lease until "
            f"{time.strftime('%Y-%m-%d %H:%M:%S', time.localtime(self.lease_until))}"
        )


class Lease:
    def __init__(self, path: Path, command: str, *, seconds: float = LEASE_SECONDS) -> None:
        self.path = path
        self.command = command
        self.seconds = seconds
        self.held = False

    def _holder(self, started: float) -> Holder:
        host = socket.gethostname()
        return Holder(
            f"{os.getpid()}@{host}",
            os.getpid(),
            host,
            started,
            time.time() + self.seconds,
            self.command,
        )

    def acquire(self, *, break_stale: bool = False) -> Holder | None:
        """Take the lock; return the stale holder it replaced (only with ``break_stale``)."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        replaced = None
        current = read(self.path)
        if current is not None:
            if current.alive():
                raise MigrationLocked(
                    f"{self.path}: a migration is running: {current.describe()}",
                    path=str(self.path),
                )
            if not break_stale:
                raise MigrationLocked(
                    f"{self.path}: stale migration lock left by {current.describe()}; the "
                    "process is gone or its lease ran out. Run `flatfile-chat migrate recover "
                    "BASE` to finish or undo that run (it breaks the lock), or `flatfile-chat "
                    "migrate unlock BASE` if you know nothing is running",
                    path=str(self.path),
                    holder=asdict(current),
                )
            self.path.unlink()
            replaced = current
        body = json.dumps(asdict(self._holder(time.time()))).encode()
        try:
            atomic_write_bytes(self.path, body, fsync=True, exclusive=True)
        except FileExistsError as exc:
            raise MigrationLocked(
                f"{self.path}: another migration took the lock just now", path=str(self.path)
            ) from exc
        self.held = True
        return replaced

    def renew(self) -> None:
        if self.held:
            current = read(self.path)
            started = current.started_at if current else time.time()
            atomic_write_bytes(
                self.path, json.dumps(asdict(self._holder(started))).encode(), fsync=False
            )

    def release(self) -> None:
        if self.held:
            self.path.unlink(missing_ok=True)
            self.held = False

    def __enter__(self) -> Lease:
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()


def read(path: Path) -> Holder | None:
    try:
        return Holder(**json.loads(path.read_bytes()))
    except FileNotFoundError:
        return None
    except (ValueError, TypeError):
        # Unreadable lock (half-written by a crash): stale by definition.
        return Holder("unknown", -1, socket.gethostname(), 0.0, 0.0, "unknown")


def _zombie(pid: int) -> bool:
    """A killed process nobody reaped yet still answers ``kill(pid, 0)``; it is not alive."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[-1].split()[0] == "Z"
