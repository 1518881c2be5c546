"""Analytics fixtures: a store on real files, a frozen clock, and a settable resource sampler.

Threshold tests feed exact CPU/memory/disk values through ``FixedSampler`` (psutil readings of a
shared machine are not something a unit test can assert on); one test uses real psutil.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from flatfile_chat import FFStorageManager
from flatfile_chat.analytics import FFMetricsCollectionManager
from flatfile_chat.analytics.sampler import ResourceReading

CALM = ResourceReading(
    cpu_percent=10.0,
    memory_percent=40.0,
    memory_used_mb=1000.0,
    memory_available_mb=3000.0,
    disk_percent=50.0,
    disk_free_gb=100.0,
    process_rss_mb=80.0,
    process_threads=3,
    load_average_1m=0.5,
)


class FixedSampler:
    def __init__(self) -> None:
        self.reading = CALM
        self.calls = 0

    def set(self, **values: float) -> None:
        self.reading = replace(self.reading, **values)

    def sample(self, path: Path) -> ResourceReading:
        self.calls += 1
        return self.reading


@pytest.fixture
def sampler() -> FixedSampler:
    return FixedSampler()


@pytest.fixture
def analytics_factory(make_store, sampler: FixedSampler):
    """Build (store, manager) with analytics overrides; every build of a test shares one root
    unless given another (the factory closes the stores)."""
    shared = make_store.new_root()

    def build(
        analytics: dict[str, Any] | None = None,
        *,
        real_psutil: bool = False,
        root: Path | None = None,
        storage: dict[str, Any] | None = None,
    ) -> tuple[FFStorageManager, FFMetricsCollectionManager]:
        overrides = {"analytics": analytics or {}, "storage": storage or {}}
        store = make_store(root=root or shared, overrides=overrides)
        return store, FFMetricsCollectionManager(store, sampler=None if real_psutil else sampler)

    return build


@pytest.fixture
def an(analytics_factory) -> tuple[FFStorageManager, FFMetricsCollectionManager]:
    return analytics_factory({"alerting": {"min_operations_for_rates": 2}})
