"""Rate limit (from the history file, by the injected clock, failing closed), concurrency
across manager instances, and cooldown."""

from __future__ import annotations

import threading
import time
from typing import Any


def test_101st_execution_in_an_hour_is_refused(tools: Any) -> None:
    tools.set_policy(cooldown_seconds=0)
    for n in range(100):
        result = tools.execute("calculator", {"expression": f"{n} * 2"})
        assert result.success, (n, result.error_message)
        if n % 10 == 9:
            tools.clock.advance(minutes=5)  # 100 runs spread over 50 minutes
    refused = tools.execute("calculator", {"expression": "1 + 1"})
    assert (refused.success, refused.error_message) == (False, "Rate limit exceeded")
    assert refused.denial_reason == "rate_limit"
    history = tools.history()
    assert len(history) == 101 and history[-1]["success"] is False
    # the window slides: 10 minutes on, the first 10 runs are older than an hour...
    tools.clock.advance(minutes=10, seconds=1)
    assert tools.execute("calculator", {"expression": "1 + 1"}).success


def test_denied_attempts_count_toward_the_limit(tools: Any) -> None:
    tools.set_policy(max_executions_per_hour=3, cooldown_seconds=0)
    tools.execute("no_such_tool")
    tools.execute("calculator", {})  # missing parameter
    assert tools.execute("calculator", {"expression": "1"}).success
    assert tools.execute("calculator", {"expression": "2"}).error_message == "Rate limit exceeded"


def test_rate_limit_fails_closed_on_unreadable_history(tools: Any) -> None:
    tools.set_policy(cooldown_seconds=0)
    assert tools.execute("calculator", {"expression": "1"}).success
    with tools.tools_file("execution_history.jsonl").open("ab") as fh:
        fh.write(b'{"torn": ')  # a torn last line
    result = tools.execute("calculator", {"expression": "2"})
    assert result.success is False and result.denial_reason == "rate_limit"
    assert result.error_message.startswith("Rate limit exceeded (history unreadable:")
    assert result.log_entries[0].startswith("execution history not written:")
    assert tools.audit.entries(event_type="tool_history_unwritable")


def test_concurrency_counts_executions_of_other_managers(make_tools: Any) -> None:
    """Manager A runs a slow command; manager B (same root) is refused meanwhile."""
    first = make_tools(
        {"sandbox": {"allowed_commands": ["sleep"]}}, categories=["computation", "file_system"]
    )
    first.set_policy(max_concurrent_executions=1, cooldown_seconds=0)
    second = make_tools(
        {"sandbox": {"allowed_commands": ["sleep"]}}, categories=["computation", "file_system"]
    )
    slot = first.tools_file("runtime", "slot_0")
    results: dict[str, Any] = {}
    started = threading.Event()

    def slow() -> None:
        started.set()
        results["a"] = first.execute("sandbox_command", {"command": "sleep", "args": ["2"]})

    worker = threading.Thread(target=slow)
    worker.start()
    started.wait()
    deadline = time.monotonic() + 10
    while not _held(slot):
        assert time.monotonic() < deadline, "manager A never took its slot"
        time.sleep(0.01)
    results["b"] = second.execute("calculator", {"expression": "1"})
    worker.join()
    assert results["a"].success, results["a"].error_message
    assert results["b"].error_message == "Maximum concurrent executions (1) reached"
    assert second.execute("calculator", {"expression": "1"}).success


def _held(slot: Any) -> bool:
    """Whether another holder has ``slot``'s flock (probed from a fresh descriptor)."""
    from flatfile_chat.errors import LockTimeout
    from flatfile_chat.storage.locks import file_lock, lock_path_for

    if not lock_path_for(slot).exists():
        return False
    try:
        with file_lock(slot, timeout=0):
            return False
    except LockTimeout:
        return True


def test_cooldown_is_per_tool_and_ignores_cache_hits(tools: Any) -> None:
    tools.set_policy(cooldown_seconds=5)
    assert tools.execute("calculator", {"expression": "1"}).success
    # same tool, new parameters: cooling down
    assert tools.execute("calculator", {"expression": "2"}).denial_reason == "cooldown"
    # a repeated request is served from the cache: no execution, so no cooldown
    cached = tools.execute("calculator", {"expression": "1"})
    assert cached.success and cached.cached_result
    # another tool is not affected
    assert tools.execute("unit_converter", {"value": 1, "from_unit": "m", "to_unit": "cm"}).success
    tools.clock.advance(seconds=5)
    assert tools.execute("calculator", {"expression": "2"}).success


def test_cooldown_survives_a_new_manager(make_tools: Any) -> None:
    tools = make_tools(categories=["computation"])
    tools.set_policy(cooldown_seconds=60)
    assert tools.execute("calculator", {"expression": "1"}).success
    fresh = make_tools(categories=["computation"])
    assert fresh.execute("calculator", {"expression": "3"}).denial_reason == "cooldown"


def test_rate_window_is_rebuilt_from_the_history(tools: Any) -> None:
    tools.set_policy(max_executions_per_hour=3, cooldown_seconds=0)
    for n in range(3):
        assert tools.execute("calculator", {"expression": str(n)}).success
    tools.tools_file("runtime", "rate_window.json").unlink()
    assert tools.execute("calculator", {"expression": "9"}).error_message == "Rate limit exceeded"


def test_history_lines_the_window_never_saw_still_count(tools: Any) -> None:
    """A writer that crashed between the history line and the window update."""
    tools.set_policy(max_executions_per_hour=3, cooldown_seconds=0)
    for n in range(2):
        assert tools.execute("calculator", {"expression": str(n)}).success
    stray = dict(tools.history()[-1], execution_id="exec_crashed00001")
    tools.store.fs.append_jsonl(tools.tools_file("execution_history.jsonl"), [stray])
    assert tools.execute("calculator", {"expression": "9"}).error_message == "Rate limit exceeded"
