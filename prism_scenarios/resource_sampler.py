"""Peak CPU and memory of the run (this process and its children), sampled with psutil."""

from __future__ import annotations

import threading

import psutil


class ResourceSampler:
    """``with ResourceSampler() as sampler:`` ... ``sampler.peak_cpu_percent`` (of one core,
    summed over processes) and ``sampler.peak_rss_mb`` (resident set, summed)."""

    def __init__(self, interval: float = 0.25) -> None:
        self.interval = interval
        self.peak_cpu_percent: float | None = None
        self.peak_rss_mb: float | None = None
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="prism-resource-sampler",
                                        daemon=True)
        self._root = psutil.Process()
        self._seen: dict[int, psutil.Process] = {}

    def __enter__(self) -> ResourceSampler:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

    def _processes(self) -> list[psutil.Process]:
        try:
            current = [self._root, *self._root.children(recursive=True)]
        except psutil.Error:
            return []
        # Keep the same Process objects: cpu_percent() measures since the previous call.
        for proc in current:
            self._seen.setdefault(proc.pid, proc)
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
            self.peak_cpu_percent = max(self.peak_cpu_percent or 0.0, cpu)
            self.peak_rss_mb = max(self.peak_rss_mb or 0.0, rss)
