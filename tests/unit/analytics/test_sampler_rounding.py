"""PsutilSampler turns psutil's byte counts into MB/GB with fixed precision.

psutil is replaced by fixed readings, so the conversions can be checked to the digit.
"""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from flatfile_chat.analytics import sampler as sampler_module
from flatfile_chat.analytics.sampler import MB, PsutilSampler


class _Process:
    def oneshot(self):
        return self

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False

    def memory_info(self):
        return SimpleNamespace(rss=int(12.34 * MB))

    def num_threads(self):
        return 7


@pytest.fixture
def fake_psutil(monkeypatch):
    fake = SimpleNamespace(
        Process=_Process,
        cpu_percent=lambda interval=None: 12.5,
        virtual_memory=lambda: SimpleNamespace(
            percent=40.0, used=int(1536.26 * MB), available=int(2048.77 * MB)
        ),
        disk_usage=lambda path: SimpleNamespace(percent=55.5, free=int(3.456 * 1024 * MB)),
    )
    monkeypatch.setattr(sampler_module, "psutil", fake)
    return fake


def test_sizes_keep_their_documented_precision(fake_psutil, tmp_path):
    reading = PsutilSampler().sample(tmp_path)
    assert reading.memory_used_mb == 1536.3
    assert reading.memory_available_mb == 2048.8
    assert isinstance(reading.memory_available_mb, float)
    assert reading.disk_free_gb == 3.46
    assert reading.process_rss_mb == 12.3
    assert (reading.cpu_percent, reading.memory_percent, reading.disk_percent) == (12.5, 40.0, 55.5)
    assert reading.process_threads == 7
