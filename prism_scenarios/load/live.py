"""What the terminal shows while a load runs, and the abort_on_fail judge.

Snapshots from every worker are merged as they arrive; once a threshold with
``abort_on_fail`` has had its ``delay_abort_eval`` and is breached on the figures so far, the
run is told to stop (k6's semantics: it still reports everything measured until then).
"""

from __future__ import annotations

import sys
import time
from typing import Any, TextIO

from prism_scenarios.load import thresholds as thr
from prism_scenarios.load.metrics import Metrics
from prism_scenarios.load.spec import Plan


class Live:
    def __init__(
        self, plan: Plan, stream: TextIO | None = None, every: float | None = None
    ) -> None:
        self.plan = plan
        self.stream = stream if stream is not None else sys.stderr
        self.tty = bool(getattr(self.stream, "isatty", lambda: False)())
        # A terminal gets a line redrawn twice a second; a log gets one every few seconds.
        self.every = (
            every
            if every is not None
            else (0.5 if self.tty else max(1.0, min(10.0, plan.duration / 5)))
        )
        self.metrics = Metrics()
        self.counters: dict[int, dict[str, int]] = {}
        self.elapsed: dict[int, float] = {}
        self.abort_reason: str | None = None
        self._printed = 0.0
        self._abortable = [t for t in plan.thresholds if t.abort_on_fail]

    def add(self, snapshot: dict[str, Any]) -> None:
        self.metrics.add(Metrics.decode(snapshot["delta"]))
        self.counters[snapshot["index"]] = snapshot["counters"]
        self.elapsed[snapshot["index"]] = snapshot["elapsed"]
        if self.abort_reason is None:
            self._judge(max(self.elapsed.values()))

    def total(self, key: str) -> int:
        return sum(c.get(key, 0) for c in self.counters.values())

    def _judge(self, elapsed: float) -> None:
        from prism_scenarios.load.results import measure_live

        for threshold in self._abortable:
            if elapsed < threshold.delay_abort_eval:
                continue
            verdict = thr.Verdict(threshold, measure_live(threshold, self))
            if verdict.measured is not None and not verdict.passed:
                self.abort_reason = f"abort_on_fail: {verdict.describe()}"
                return

    def line(self) -> str:
        elapsed = max(self.elapsed.values(), default=0.0)
        started = self.total("started")
        rate = started / elapsed if elapsed > 0 else 0.0
        p95 = self.metrics.metric("iterations").percentile_ms(95)
        left = max(self.plan.duration - elapsed, 0.0)
        return (
            f"load {self.plan.name}: {elapsed:5.1f}s  {rate:7.1f} it/s  "
            f"p95 {'-' if p95 is None else f'{p95:.1f} ms'}  "
            f"errors {self.total('errors')}  dropped {self.total('dropped')}  "
            f"late {self.total('late')}  left {left:4.1f}s"
        )

    def show(self, force: bool = False) -> None:
        now = time.monotonic()
        if not force and now - self._printed < self.every:
            return
        self._printed = now
        if self.tty:
            self.stream.write("\r\x1b[2K" + self.line())
        else:
            self.stream.write(self.line() + "\n")
        self.stream.flush()

    def done(self) -> None:
        if self.tty:
            self.stream.write("\n")
            self.stream.flush()
