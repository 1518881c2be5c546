"""retain_execution_history_days is enforced: older history and metrics lines go, the
statistics stay checkable (expired attempts are counted), and a second manager agrees."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest


def test_history_and_metrics_past_retention_are_removed(tools: Any) -> None:
    tools.set_policy(retain_execution_history_days=2)
    for text in ("a", "b"):
        tools.execute("text_utils", {"operation": "upper", "text": text})
    tools.clock.advance(timedelta(days=1))
    tools.execute("text_utils", {"operation": "upper", "text": "c"})
    first_two = tools.history()[:2]
    assert len(tools.history()) == 3  # nothing is two days old yet
    tools.clock.advance(timedelta(days=1, hours=12))
    tools.execute("text_utils", {"operation": "upper", "text": "d"})
    starts = [line["start_timestamp"] for line in tools.history()]
    assert len(starts) == 2, starts  # a and b are 2.5 days old: gone; c (1.5 days) stays
    metrics = tools.store.fs.read_jsonl(tools.tools_file("performance_metrics.jsonl"))
    assert len(metrics) == 2
    expired = json.loads(tools.tools_file("execution_history_expired.json").read_text())
    assert expired == {
        "text_utils": {
            "total_executions": 2,
            "successful_executions": sum(ln["success"] for ln in first_two),
        }
    }
    assert tools.store.check_integrity() == []


def test_removed_lines_without_their_count_are_reported(tools: Any) -> None:
    tools.set_policy(retain_execution_history_days=1)
    tools.execute("text_utils", {"operation": "upper", "text": "a"})
    tools.clock.advance(timedelta(days=2))
    tools.execute("text_utils", {"operation": "upper", "text": "b"})
    tools.tools_file("execution_history_expired.json").unlink()
    kinds = [i.kind for i in tools.store.check_integrity()]
    assert "counter_mismatch" in kinds


@pytest.mark.parametrize("days", [0, -1])
def test_retention_below_one_day_is_refused(tools: Any, days: int) -> None:
    from flatfile_chat.errors import FFError

    with pytest.raises(FFError, match="retain_execution_history_days"):
        tools.set_policy(retain_execution_history_days=days)


def test_expire_history_applies_retention_without_a_new_run(tools: Any) -> None:
    tools.set_policy(retain_execution_history_days=1)
    tools.execute("text_utils", {"operation": "upper", "text": "a"})
    tools.clock.advance(timedelta(days=3))
    assert tools.run(tools.executor.expire_history(tools.user)) == 1
    assert tools.history() == []
    assert tools.store.check_integrity() == []
    assert tools.run(tools.executor.expire_history(tools.user)) == 0
