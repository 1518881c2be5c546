"""Latency metrics kept as HdrHistograms, so percentiles merge exactly across workers.

Values are recorded in microseconds (1 µs .. 1 h, 3 significant digits) and reported in
milliseconds. A metric travels between processes as its encoded histogram plus success and
failure counts; adding two decoded histograms gives exactly the histogram of both runs.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from hdrh.histogram import HdrHistogram

LOWEST_US = 1
HIGHEST_US = 3_600_000_000  # one hour
SIGNIFICANT_DIGITS = 3


def new_histogram() -> HdrHistogram:
    return HdrHistogram(LOWEST_US, HIGHEST_US, SIGNIFICANT_DIGITS)


@dataclass
class Metric:
    """One latency metric (an iteration, a scenario, an action): histogram + outcomes."""

    histogram: HdrHistogram = field(default_factory=new_histogram)
    passed: int = 0
    failed: int = 0

    def record(self, seconds: float, ok: bool) -> None:
        us = min(max(int(seconds * 1_000_000), LOWEST_US), HIGHEST_US)
        self.histogram.record_value(us)
        if ok:
            self.passed += 1
        else:
            self.failed += 1

    @property
    def count(self) -> int:
        return self.passed + self.failed

    def add(self, other: Metric) -> None:
        self.histogram.add(other.histogram)
        self.passed += other.passed
        self.failed += other.failed

    def percentile_ms(self, pct: float) -> float | None:
        if not self.histogram.get_total_count():
            return None
        return self.histogram.get_value_at_percentile(pct) / 1000

    def aggregate(self, name: str, pct: float | None = None) -> float | None:
        """``p`` (with ``pct``), avg, min, max, med in ms; count; rate = success ratio."""
        if name == "count":
            return float(self.count)
        if name == "rate":
            return self.passed / self.count if self.count else None
        if not self.histogram.get_total_count():
            return None
        if name == "p":
            return self.percentile_ms(pct or 0.0)
        if name == "med":
            return self.percentile_ms(50)
        if name == "avg":
            return self.histogram.get_mean_value() / 1000
        if name == "min":
            return self.histogram.get_min_value() / 1000
        if name == "max":
            return self.histogram.get_max_value() / 1000
        raise KeyError(name)

    def summary(self) -> dict[str, Any]:
        return {
            "count": self.count,
            "passed": self.passed,
            "failed": self.failed,
            "rate": self.aggregate("rate"),
            "avg_ms": self.aggregate("avg"),
            "min_ms": self.aggregate("min"),
            "med_ms": self.aggregate("med"),
            "p90_ms": self.percentile_ms(90),
            "p95_ms": self.percentile_ms(95),
            "p99_ms": self.percentile_ms(99),
            "p99_9_ms": self.percentile_ms(99.9),
            "max_ms": self.aggregate("max"),
        }

    def encode(self) -> dict[str, Any]:
        return {
            "h": self.histogram.encode().decode("ascii"),
            "passed": self.passed,
            "failed": self.failed,
        }

    @classmethod
    def decode(cls, data: dict[str, Any]) -> Metric:
        metric = cls(passed=data["passed"], failed=data["failed"])
        metric.histogram.add(HdrHistogram.decode(data["h"].encode("ascii")))
        return metric


class Metrics:
    """Every metric of a run by name: ``iterations``, ``scenario:<name>``, ``action:<name>``,
    and per-second ``iterations`` histograms for the latency-over-time chart."""

    def __init__(self) -> None:
        self.by_name: dict[str, Metric] = {}
        self.by_second: dict[int, Metric] = {}

    def metric(self, name: str) -> Metric:
        found = self.by_name.get(name)
        if found is None:
            found = self.by_name[name] = Metric()
        return found

    def record_iteration(self, scenario: str, second: int, seconds: float, ok: bool) -> None:
        self.metric("iterations").record(seconds, ok)
        self.metric(f"scenario:{scenario}").record(seconds, ok)
        bucket = self.by_second.get(second)
        if bucket is None:
            bucket = self.by_second[second] = Metric()
        bucket.record(seconds, ok)

    def add(self, other: Metrics) -> None:
        for name, metric in other.by_name.items():
            self.metric(name).add(metric)
        for second, metric in other.by_second.items():
            self.by_second.setdefault(second, Metric()).add(metric)

    def encode(self) -> dict[str, Any]:
        return {
            "by_name": {k: m.encode() for k, m in self.by_name.items()},
            "by_second": {str(k): m.encode() for k, m in self.by_second.items()},
        }

    @classmethod
    def decode(cls, data: dict[str, Any]) -> Metrics:
        metrics = cls()
        metrics.by_name = {k: Metric.decode(v) for k, v in data["by_name"].items()}
        metrics.by_second = {int(k): Metric.decode(v) for k, v in data["by_second"].items()}
        return metrics
