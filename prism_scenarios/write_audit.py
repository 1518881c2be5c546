"""Record every path the process writes while a step runs (``sys.addaudithook``).

The hook is installed once per process and costs one cheap check per audit event when no step
is running. Subprocesses are outside its reach; they run in the tool sandbox's own folder.
"""

from __future__ import annotations

import os
import sys
import threading
from typing import Any

_WRITE_FLAGS = os.O_WRONLY | os.O_RDWR | os.O_CREAT | os.O_APPEND | os.O_TRUNC
_PATH_EVENTS = {
    "os.rename": (0, 1), "os.remove": (0,), "os.mkdir": (0,), "os.rmdir": (0,),
    "os.symlink": (0, 1), "os.link": (0, 1), "os.truncate": (0,), "os.chmod": (0,),
    "os.chown": (0,), "os.utime": (0,), "shutil.rmtree": (0,), "shutil.move": (0, 1),
    "shutil.copyfile": (1,), "shutil.copymode": (1,), "shutil.copystat": (1,),
}

_lock = threading.Lock()
_installed = False
_recording: list[str] | None = None


def _hook(event: str, args: tuple[Any, ...]) -> None:
    recording = _recording
    if recording is None:
        return
    if event == "open":
        path, mode, flags = args
        writes = (mode is not None and any(c in mode for c in "wax+")) or \
                 (mode is None and isinstance(flags, int) and flags & _WRITE_FLAGS)
        if writes and isinstance(path, str | bytes | os.PathLike):
            recording.append(os.fsdecode(path))
    elif event in _PATH_EVENTS:
        for index in _PATH_EVENTS[event]:
            if index < len(args) and isinstance(args[index], str | bytes | os.PathLike):
                recording.append(_resolve(event, args, index))


# Where a path argument may be relative to an open folder (``dir_fd``): shutil.rmtree, for
# one, removes entries as ``os.unlink(name, dir_fd=fd)``.
_DIR_FD_INDEX = {("os.remove", 0): 1, ("os.rmdir", 0): 1, ("os.mkdir", 0): 2,
                 ("os.rename", 0): 2, ("os.rename", 1): 3}


def _resolve(event: str, args: tuple[Any, ...], index: int) -> str:
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
    """``with Recorder() as paths:`` collects absolute paths written inside the block."""

    def __enter__(self) -> list[str]:
        global _recording
        install()
        self._previous = _recording
        self.paths: list[str] = []
        _recording = self.paths
        return self.paths

    def __exit__(self, *exc: object) -> None:
        global _recording
        _recording = self._previous
        cwd = os.getcwd()
        self.paths[:] = [os.path.normpath(os.path.join(cwd, p)) for p in self.paths]


def outside(paths: list[str], roots: list[str]) -> list[str]:
    """Paths not under any root (bytecode caches are never a scenario's doing)."""
    prefixes = [os.path.normpath(r) + os.sep for r in roots]
    bad = []
    for path in paths:
        if "__pycache__" in path or path == os.devnull:
            continue
        if not any(path.startswith(p) or path + os.sep == p for p in prefixes):
            bad.append(path)
    return sorted(set(bad))
