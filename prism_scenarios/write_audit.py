"""Record every path the process writes (and, in attack runs, reads) while a step runs
(``sys.addaudithook``).

The hook is installed once per process and costs one cheap check per audit event when no step
is running. Subprocesses are outside its reach; they run in the tool sandbox's own folder.
:func:`outside` resolves symlinks (``os.path.realpath``), so a write or read through a
symlink inside the root that points elsewhere counts as outside.
"""

from __future__ import annotations

import contextvars
import os
import sys
import threading
from typing import Any

_WRITE_FLAGS = os.O_WRONLY | os.O_RDWR | os.O_CREAT | os.O_APPEND | os.O_TRUNC
_PATH_EVENTS = {
    "os.rename": (0, 1),
    "os.remove": (0,),
    "os.mkdir": (0,),
    "os.rmdir": (0,),
    "os.symlink": (0, 1),
    "os.link": (0, 1),
    "os.truncate": (0,),
    "os.chmod": (0,),
    "os.chown": (0,),
    "os.utime": (0,),
    "shutil.rmtree": (0,),
    "shutil.move": (0, 1),
    "shutil.copyfile": (1,),
    "shutil.copymode": (1,),
    "shutil.copystat": (1,),
}

_lock = threading.Lock()
_installed = False
# Whose step is running is a context variable, not a global: a load run drives many scenarios
# in threads at once, and each must see only its own writes (asyncio.to_thread carries the
# context along). A thread with no recorder of its own (a manager's helper thread) is
# attributed to the one active recorder when there is exactly one, as before; with several
# active, its writes cannot be attributed and are not recorded.
_PAUSED: tuple[None, None] = (None, None)
_current: contextvars.ContextVar[tuple[list[str] | None, list[str] | None] | None] = (
    contextvars.ContextVar("prism_write_audit", default=None)
)
_active: list[tuple[list[str], list[str] | None]] = []  # (writes, reads) of open recorders
_READ_EVENTS = {"os.listdir": 0, "os.scandir": 0, "shutil.copyfile": 0, "os.chdir": 0}


# Not mutated (make mutate): an audit hook outlives the test that installs it
# (sys.addaudithook cannot be undone), so a mutant of it would run in every later test, and
# mutmut's own checks would raise from it inside os.environ.
def _hook(event: str, args: tuple[Any, ...]) -> None:  # pragma: no mutate block
    if not _active:
        return
    mine = _current.get()
    if mine is None:
        if len(_active) != 1:
            return
        mine = _active[0]
    recording, reading = mine
    if recording is None:
        return
    if event == "open":
        path, mode, flags = args
        writes = (mode is not None and any(c in mode for c in "wax+")) or (
            mode is None and isinstance(flags, int) and flags & _WRITE_FLAGS
        )
        if isinstance(path, str | bytes | os.PathLike):
            if writes:
                recording.append(os.fsdecode(path))
            elif reading is not None:
                reading.append(os.fsdecode(path))
    elif event in _PATH_EVENTS:
        for index in _PATH_EVENTS[event]:
            if index < len(args) and isinstance(args[index], str | bytes | os.PathLike):
                recording.append(_resolve(event, args, index))
    if reading is not None and event in _READ_EVENTS:
        index = _READ_EVENTS[event]
        if index < len(args) and isinstance(args[index], str | bytes | os.PathLike):
            reading.append(os.fsdecode(args[index]))


# Where a path argument may be relative to an open folder (``dir_fd``): shutil.rmtree, for
# one, removes entries as ``os.unlink(name, dir_fd=fd)``.
_DIR_FD_INDEX = {
    ("os.remove", 0): 1,
    ("os.rmdir", 0): 1,
    ("os.mkdir", 0): 2,
    ("os.rename", 0): 2,
    ("os.rename", 1): 3,
}


def _resolve(event: str, args: tuple[Any, ...], index: int) -> str:  # pragma: no mutate block
    """The path as written; a name relative to a ``dir_fd`` is joined onto that folder's real
    path while the descriptor is still open (else it would be read against the cwd)."""
    path = os.fsdecode(args[index])
    fd_index = _DIR_FD_INDEX.get((event, index))
    if fd_index is None or os.path.isabs(path) or fd_index >= len(args):
        return path
    fd = args[fd_index]
    if not isinstance(fd, int) or fd < 0:
        return path
    try:
        return os.path.join(os.readlink(f"/proc/self/fd/{fd}"), path)
    except OSError:
        return path  # left relative: checked against the cwd, conservatively


def install() -> None:
    global _installed
    with _lock:
        if not _installed:
            sys.addaudithook(_hook)
            _installed = True


class Recorder:
    """``with Recorder() as paths:`` collects absolute paths written inside the block;
    ``Recorder(reads=[])`` also collects the paths read (opened without a write mode, or
    listed) into that list."""

    def __init__(self, reads: list[str] | None = None) -> None:
        self.reads = reads

    def __enter__(self) -> list[str]:
        install()
        self.paths: list[str] = []
        outer = _current.get()
        reads = self.reads if self.reads is not None else (outer[1] if outer else None)
        self._entry = (self.paths, reads)
        self._token = _current.set(self._entry)
        with _lock:
            _active.append(self._entry)
        return self.paths

    def __exit__(self, *exc: object) -> None:
        with _lock:  # by identity: two recorders' entries may be equal lists
            del _active[next(i for i, e in enumerate(_active) if e is self._entry)]
        _current.reset(self._token)
        cwd = os.getcwd()
        self.paths[:] = [os.path.normpath(os.path.join(cwd, p)) for p in self.paths]
        if self.reads is not None:
            self.reads[:] = [os.path.normpath(os.path.join(cwd, p)) for p in self.reads]


def outside(paths: list[str], roots: list[str]) -> list[str]:
    """Paths not under any root once symlinks are resolved (bytecode caches are never a
    scenario's doing). A path is shown as recorded, with ``-> real`` when a symlink took it
    elsewhere."""
    prefixes = [os.path.realpath(r) + os.sep for r in roots]
    bad = []
    for path in set(paths):
        if "__pycache__" in path or path == os.devnull:
            continue
        real = os.path.realpath(path)
        if not any(real.startswith(p) or real + os.sep == p for p in prefixes):
            bad.append(path if real == path else f"{path} -> {real}")
    return sorted(bad)


class paused:
    """``with paused():`` records nothing inside the block: a runner action that sets up an
    attack (plants a symlink) is the test's doing, not the system under test's."""

    def __enter__(self) -> None:
        self._token = _current.set(_PAUSED)

    def __exit__(self, *exc: object) -> None:
        _current.reset(self._token)
