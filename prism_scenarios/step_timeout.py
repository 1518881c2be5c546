"""Per-step timeouts that also stop *blocking* work.

Store actions run synchronously inside their coroutine (``io_mode: inline``), so
``asyncio.wait_for`` alone would only notice an overrun after the fact. In the main thread a
real-time interval timer raises :class:`StepTimeout` inside whatever Python code is running
(like pytest-timeout's signal method); the store's writes are built to survive an interruption
at any point (atomic replace, whole-line appends), and the invariants then check it. Elsewhere
(a worker thread) only the asyncio timeout applies.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager


class StepTimeout(TimeoutError):
    """A step ran past its ``timeout:``."""


# After the deadline the timer fires again this often: a StepTimeout raised where Python cannot
# propagate it (a gc callback such as hypothesis' in fuzz mode, a ``__del__``, an
# ``except OSError`` that drops it) is only printed, and a one-shot timer then left the step
# running for ever (fuzz mode: an allocation-heavy loop ran for minutes past its deadline).
REPEAT_SECONDS = 0.5


@contextmanager
def deadline(seconds: float | None) -> Iterator[None]:
    if not seconds or threading.current_thread() is not threading.main_thread():
        yield
        return

    def expire(signum: int, frame: object) -> None:
        raise StepTimeout(f"step exceeded its timeout of {seconds}s")

    previous = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, seconds, REPEAT_SECONDS)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
