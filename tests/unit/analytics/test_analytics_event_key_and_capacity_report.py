"""Analytics: the key an event-data refusal names, and the keys of the capacity-planning
report."""

from __future__ import annotations

import pytest

from flatfile_chat.analytics.events import validate_event
from flatfile_chat.analytics.intelligence import capacity_planning
from flatfile_chat.clock import parse_timestamp
from flatfile_chat.errors import ValidationError


def test_event_data_that_is_not_a_dict_is_refused_under_its_own_key() -> None:
    with pytest.raises(ValidationError) as caught:
        validate_event("session_start", ["not", "a", "dict"], 1000)
    assert str(caught.value) == "event_data must be a dict"
    assert caught.value.key == "event_data"


def test_capacity_planning_reports_process_rss_under_its_lowercase_name() -> None:
    when = "2026-01-01T09:00:00+00:00"
    epoch = parse_timestamp(when).timestamp()
    resources = [
        {"timestamp": when, "cpu_percent": 10, "process_rss_mb": 80.5},
        {"timestamp": when, "cpu_percent": 30, "process_rss_mb": 120.0},
    ]
    report = capacity_planning(
        resources=resources, ops=[], start=epoch - 1, end=epoch + 1, period_hours=1.0, min_ops=1
    )
    assert set(report) == {
        "cpu_percent",
        "memory_percent",
        "disk_percent",
        "process_rss_mb",
        "operations",
        "operations_per_hour",
    }
    assert report["process_rss_mb"] == {"avg": 100.25, "max": 120.0, "samples": 2}
    assert report["cpu_percent"] == {"avg": 20.0, "max": 30.0, "samples": 2}
