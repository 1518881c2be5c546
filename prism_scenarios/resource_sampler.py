"""CPU and memory of the run (this process and its children), sampled with psutil.

The average is CPU time over wall time for exactly the window the sampler covers, and the
peak is the highest of the sampled intervals *and* that whole window (the whole run is an
interval too), so the average can never exceed the peak — sampling every 0.25 s misses
bursts, and a short run may end before its first sample.
"""

from __future__ import annotations

import resource
import threading
import time

import psutil


def cpu_seconds() -> float:
    """CPU time used so far by this process and its waited-for children."""
    own, children = (
        resource.getrusage(resource.RUSAGE_SELF),
        resource.getrusage(resource.RUSAGE_CHILDREN),
    )
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


class ResourceSampler:
    """``with ResourceSampler() as sampler:`` ... then ``average_cpu_percent``,
    ``peak_cpu_percent`` (100 = one core busy, summed over processes) and ``peak_rss_mb``
    (resident set, summed)."""

    def __init__(self, interval: float = 0.25) -> None:
        self.interval = interval
        self.started = time.time()
        self.elapsed = 0.0
        self.average_cpu_percent: float | None = None
        self._sampled_cpu: float | None = None
        self.peak_rss_mb: float | None = None
        self._stop = threading.Event()
        self._thread = threading.Thread(
            target=self._run, name="prism-resource-sampler", daemon=True
        )
        self._root = psutil.Process()
        self._seen: dict[int, psutil.Process] = {}
        self._clock = 0.0
        self._cpu = 0.0

    def __enter__(self) -> ResourceSampler:
        self.started = time.time()
        self._clock, self._cpu = time.perf_counter(), cpu_seconds()
        self._processes()  # prime cpu_percent(): its first call per process returns 0.0
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self.elapsed = time.perf_counter() - self._clock
        if self.elapsed > 0:
            self.average_cpu_percent = 100 * (cpu_seconds() - self._cpu) / self.elapsed

    @property
    def peak_cpu_percent(self) -> float | None:
        values = [v for v in (self._sampled_cpu, self.average_cpu_percent) if v is not None]
        return max(values) if values else None

    def _processes(self) -> list[psutil.Process]:
        try:
            current = [self._root, *self._root.children(recursive=True)]
        except psutil.Error:
            return []
        # Keep the same Process objects: cpu_percent() measures since the previous call.
        for proc in current:
            if proc.pid not in self._seen:
                self._seen[proc.pid] = proc
                try:
                    proc.cpu_percent(None)
                except psutil.Error:
                    continue
        alive = {p.pid for p in current}
        return [p for pid, p in self._seen.items() if pid in alive]

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            cpu = rss = 0.0
            for proc in self._processes():
                try:
                    cpu += proc.cpu_percent(None)
                    rss += proc.memory_info().rss / (1024 * 1024)
                except psutil.Error:
                    continue
            self._sampled_cpu = max(self._sampled_cpu or 0.0, cpu)
            self.peak_rss_mb = max(self.peak_rss_mb or 0.0, rss)
