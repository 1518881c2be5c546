"""Tools: a history made only of denials, and the key a missing task is refused under."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from flatfile_chat.errors import NotFound
from flatfile_chat.tools.history import summarize
from flatfile_chat.tools.personal_data import PersonalData


def test_a_history_of_denials_only_averages_to_zero() -> None:
    lines = [
        {
            "timestamp": "2026-01-01T09:00:00+00:00",
            "tool_id": "calculator",
            "success": False,
            "denial_reason": "not allowed",
        }
    ]
    summary = summarize(lines, "calculator", datetime(2026, 1, 1, 10, tzinfo=UTC), 1.0)
    assert (summary["total_attempts"], summary["executions"], summary["denied_attempts"]) == (
        1,
        0,
        1,
    )
    assert summary["average_result_size_bytes"] == 0.0
    assert summary["average_memory_used_mb"] == 0.0


@pytest.mark.parametrize("action", ["complete_task", "delete_task"])
def test_a_missing_task_is_refused_under_key_task_id(make_store, action: str) -> None:
    store = make_store()
    with pytest.raises(NotFound) as caught:
        PersonalData(store.ctx).tasks("alice", {"action": action, "task_id": "task_nope"})
    assert str(caught.value) == "task 'task_nope' not found"
    assert caught.value.key == "task_id"
