"""Run one spawned process to completion: bounded output, wall-clock deadline, group kill.

Output is read while the process runs and capped (a command printing gigabytes cannot
exhaust our memory: past the cap the whole process group is killed). The deadline is real
time (``time.monotonic``), not the injected clock: a frozen ``ManualClock`` must not let a
command run forever. The group is killed with SIGKILL while the leader is still an unreaped
zombie, so its pid (= the group id) cannot have been reused by then.
"""

from __future__ import annotations

import contextlib
import os
import selectors
import signal
import subprocess
import time
from dataclasses import dataclass

_POLL_SECONDS = 0.05
_GRACE_SECONDS = 1.0  # after a kill, how long to wait for the pipes to close


@dataclass
class ProcessOutcome:
    exit_code: int | None  # None when killed by a signal
    signal: int | None
    stdout: bytes
    stderr: bytes
    timed_out: bool
    output_limited: bool
    output_bytes_seen: int
    wall_seconds: float
    cpu_seconds: float
    max_rss_kb: int


def kill_group(pgid: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pgid, signal.SIGKILL)


def _leader_exited(pid: int) -> bool:
    """Peek (WNOWAIT) so the leader stays a zombie and its pid cannot be reused yet."""
    try:
        return os.waitid(os.P_PID, pid, os.WEXITED | os.WNOHANG | os.WNOWAIT) is not None
    except ChildProcessError:
        return True


def _read(fd: int) -> bytes | None:
    """A chunk, ``b""`` at EOF, or ``None`` when nothing is ready after all."""
    try:
        return os.read(fd, 65536)
    except BlockingIOError:
        return None


def communicate(
    proc: subprocess.Popen[bytes], *, timeout: float, max_output: int
) -> ProcessOutcome:
    """Drain stdout/stderr up to ``max_output`` bytes in total, enforce ``timeout``, reap."""
    assert proc.stdout is not None and proc.stderr is not None
    started = time.monotonic()
    deadline = started + timeout
    names = {proc.stdout.fileno(): "stdout", proc.stderr.fileno(): "stderr"}
    data = {"stdout": bytearray(), "stderr": bytearray()}
    selector = selectors.DefaultSelector()
    for fd in names:
        os.set_blocking(fd, False)
        selector.register(fd, selectors.EVENT_READ)
    total = 0
    killed_at: float | None = None
    exited = timed_out = output_limited = reaped = False
    try:
        while selector.get_map():
            now = time.monotonic()
            if killed_at is None and now >= deadline:
                timed_out = not exited
                kill_group(proc.pid)
                killed_at = now
            if killed_at is not None and now - killed_at > _GRACE_SECONDS:
                break  # something outside the group holds the pipe; the uid sweep gets it
            until = deadline if killed_at is None else killed_at + _GRACE_SECONDS
            for key, _ in selector.select(timeout=max(0.001, min(_POLL_SECONDS, until - now))):
                chunk = _read(key.fd)
                if chunk is None:
                    continue
                if not chunk:
                    selector.unregister(key.fd)
                    continue
                room = max_output - total
                if room > 0:
                    data[names[key.fd]] += chunk[:room]
                total += len(chunk)
                if total > max_output and killed_at is None:
                    output_limited = True
                    kill_group(proc.pid)
                    killed_at = time.monotonic()
            if not exited and _leader_exited(proc.pid):
                exited = True
                kill_group(proc.pid)  # background children left in the group
        while not _leader_exited(proc.pid):
            if killed_at is None and time.monotonic() >= deadline:
                timed_out = True
                kill_group(proc.pid)
                killed_at = time.monotonic()
            time.sleep(0.002)
        kill_group(proc.pid)
        _, status, usage = os.wait4(proc.pid, 0)
        reaped = True
    finally:
        if not reaped:  # interrupted: never leave the process running
            kill_group(proc.pid)
            proc.wait()
        selector.close()
        proc.stdout.close()
        proc.stderr.close()
    proc.returncode = os.waitstatus_to_exitcode(status)
    sig = os.WTERMSIG(status) if os.WIFSIGNALED(status) else None
    return ProcessOutcome(
        exit_code=None if sig is not None else os.WEXITSTATUS(status),
        signal=sig,
        stdout=bytes(data["stdout"]),
        stderr=bytes(data["stderr"]),
        timed_out=timed_out,
        output_limited=output_limited,
        output_bytes_seen=total,
        wall_seconds=time.monotonic() - started,
        cpu_seconds=usage.ru_utime + usage.ru_stime,
        max_rss_kb=usage.ru_maxrss,
    )
