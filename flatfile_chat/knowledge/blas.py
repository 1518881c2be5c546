"""BLAS threads for retrieval's matrix work: one by default, only while that work runs.

Why: the semantic half of retrieval is one matrix-vector product over every chunk. numpy's
OpenBLAS splits it across every core; on a small machine that is busy (a test run, a web
server's other requests) the split threads wait for each other and a 0.3 ms product takes
several ms (issue 11). One thread is never much slower for a product this size.

How: :func:`limited` lowers OpenBLAS's thread count around the product and restores the
previous count afterwards, so the rest of the process keeps its own setting. OpenBLAS has one
process-wide count, so while any thread is inside :func:`limited`, BLAS calls made by other
threads also run on ``RETRIEVAL_THREADS`` threads; nested and concurrent scopes are counted
and the last one out restores the count. ``threadpoolctl`` is not needed: numpy's own OpenBLAS
is reached through ``ctypes`` (it exports ``*openblas_{get,set}_num_threads*``). With any
other BLAS, or none found, :func:`limited` does nothing and :func:`threads` returns None.
"""

from __future__ import annotations

import ctypes
import glob
import os
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import numpy as np

# Threads for retrieval's matrix work; None leaves BLAS as the process has it (the old
# behaviour: every core).
RETRIEVAL_THREADS: int | None = 1

_SYMBOLS = (
    ("scipy_openblas_get_num_threads64_", "scipy_openblas_set_num_threads64_"),
    ("scipy_openblas_get_num_threads", "scipy_openblas_set_num_threads"),
    ("openblas_get_num_threads64_", "openblas_set_num_threads64_"),
    ("openblas_get_num_threads", "openblas_set_num_threads"),
)


@dataclass(frozen=True)
class _OpenBLAS:
    get: Callable[[], int]
    set: Callable[[int], None]


def _candidates() -> list[str]:
    """Shared libraries that may be numpy's OpenBLAS: those already loaded (Linux), then the
    ones a numpy wheel ships beside itself."""
    found: list[str] = []
    try:
        with open("/proc/self/maps", encoding="utf-8", errors="replace") as maps:
            for line in maps:
                path = line.split(maxsplit=5)[-1].strip()
                if "blas" in os.path.basename(path).lower() and path not in found:
                    found.append(path)
    except OSError:
        pass
    base = os.path.dirname(np.__file__)
    for pattern in ("../numpy.libs/*openblas*", ".dylibs/*openblas*", "../numpy.libs/*blas*"):
        found += [p for p in sorted(glob.glob(os.path.join(base, pattern))) if p not in found]
    return found


def _find() -> _OpenBLAS | None:
    for path in _candidates():
        try:
            lib = ctypes.CDLL(path)
        except OSError:
            continue
        for get_name, set_name in _SYMBOLS:
            if hasattr(lib, get_name) and hasattr(lib, set_name):
                get, set_ = getattr(lib, get_name), getattr(lib, set_name)
                get.restype, get.argtypes = ctypes.c_int, []
                set_.restype, set_.argtypes = None, [ctypes.c_int]
                return _OpenBLAS(get, set_)
    return None


_lock = threading.Lock()
_library: _OpenBLAS | None = None
_searched = False
_active = 0  # scopes inside limited() right now
_restore: int | None = None  # the count to put back when the last scope leaves


def _openblas() -> _OpenBLAS | None:
    global _library, _searched
    if not _searched:
        with _lock:
            if not _searched:
                _library, _searched = _find(), True
    return _library


def threads() -> int | None:
    """OpenBLAS's current thread count, or None when numpy's BLAS is not a known OpenBLAS."""
    library = _openblas()
    return library.get() if library is not None else None


def set_threads(count: int) -> None:
    """Set OpenBLAS's process-wide thread count (tests and benchmarks; no-op without it)."""
    library = _openblas()
    if library is not None:
        library.set(count)


@contextmanager
def limited(count: int | None = None) -> Iterator[None]:
    """At most ``count`` (default ``RETRIEVAL_THREADS``) BLAS threads inside the block; the
    previous count comes back when the last concurrent scope leaves. ``None``: no change."""
    count = RETRIEVAL_THREADS if count is None else count
    library = _openblas() if count is not None else None
    if library is None or count is None:
        yield
        return
    global _active, _restore
    with _lock:
        if _active == 0:
            current = library.get()
            _restore = current if current > count else None
            if _restore is not None:
                library.set(count)
        _active += 1
    try:
        yield
    finally:
        with _lock:
            _active -= 1
            if _active == 0 and _restore is not None:
                library.set(_restore)
                _restore = None
