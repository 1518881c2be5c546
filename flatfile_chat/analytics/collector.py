"""Background collection as one asyncio task on the caller's running loop.

A task (not a thread) because the API is async and the loop owns it: ``stop`` is idempotent and
waits for the task to finish; if a caller forgets to stop, ``asyncio.run`` cancels the task when
its loop ends, so nothing outlives the loop. The wait between samples is the stop event itself,
so ``stop`` never waits out an interval.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from typing import Any

log = logging.getLogger(__name__)


class ContinuousCollector:
    def __init__(
        self,
        collect: Callable[[], Awaitable[Any]],
        interval_seconds: float,
        stop_timeout_seconds: float = 30.0,
    ) -> None:
        self._collect = collect
        self._interval = interval_seconds
        self._stop_timeout = stop_timeout_seconds
        self._task: asyncio.Task[None] | None = None
        self._stop: asyncio.Event | None = None
        self.iterations = 0
        self.failures = 0

    @property
    def running(self) -> bool:
        return self._task is not None and not self._task.done()

    async def start(self) -> bool:
        """Start on the running loop; False if already running."""
        if self.running:
            return False
        self._stop = asyncio.Event()
        self._task = asyncio.get_running_loop().create_task(
            self._run(self._stop), name="ffchat-analytics-collector"
        )
        return True

    async def _run(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            try:
                await self._collect()
                self.iterations += 1
            except Exception:  # one bad sample must not end collection; it is logged
                self.failures += 1
                log.exception("analytics collection failed")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=self._interval)

    async def stop(self) -> bool:
        """Stop and wait for the task; False if nothing was running (idempotent)."""
        task, stop = self._task, self._stop
        self._task = self._stop = None
        if task is None or stop is None:
            return False
        if task.done():  # e.g. cancelled when a previous event loop ended
            if not task.cancelled():
                task.exception()  # mark any error as retrieved
            return True
        if task.get_loop() is not asyncio.get_running_loop():
            raise RuntimeError(
                "stop_continuous_collection must run on the loop that started the collection"
            )
        stop.set()
        try:
            await asyncio.wait_for(task, timeout=self._stop_timeout)
        except TimeoutError:  # wait_for has cancelled and awaited the task
            log.warning(
                "analytics collector did not stop within %ss; cancelled", self._stop_timeout
            )
        return True
