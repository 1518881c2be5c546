"""Host resource readings via psutil (the only place analytics touches the real machine)."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import psutil

MB = 1024 * 1024


@dataclass(frozen=True)
class ResourceReading:
    cpu_percent: float
    memory_percent: float
    memory_used_mb: float
    memory_available_mb: float
    disk_percent: float
    disk_free_gb: float
    process_rss_mb: float
    process_threads: int
    load_average_1m: float | None


class ResourceSampler(Protocol):
    def sample(self, path: Path) -> ResourceReading: ...


class PsutilSampler:
    """``cpu_percent`` is the system-wide usage since the previous sample (non-blocking); the
    constructor takes a first reading so the first real sample is meaningful, not 0.0."""

    def __init__(self) -> None:
        self._process = psutil.Process()
        psutil.cpu_percent(interval=None)

    def sample(self, path: Path) -> ResourceReading:
        memory = psutil.virtual_memory()
        disk = psutil.disk_usage(os.fspath(path))
        with self._process.oneshot():
            rss = self._process.memory_info().rss
            threads = self._process.num_threads()
        try:
            load = os.getloadavg()[0]
        except (AttributeError, OSError):  # not available on Windows
            load = None
        return ResourceReading(
            cpu_percent=float(psutil.cpu_percent(interval=None)),
            memory_percent=float(memory.percent),
            memory_used_mb=round(memory.used / MB, 1),
            memory_available_mb=round(memory.available / MB, 1),
            disk_percent=float(disk.percent),
            disk_free_gb=round(disk.free / 1024 / MB, 2),
            process_rss_mb=round(rss / MB, 1),
            process_threads=threads,
            load_average_1m=load,
        )
