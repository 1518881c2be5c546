"""Result cache (logged once, expiry by the clock) and tool chains."""

from __future__ import annotations

from typing import Any

import pytest


@pytest.fixture
def t(tools: Any) -> Any:
    tools.set_policy(cooldown_seconds=0)
    return tools


def test_cache_hit_is_logged_once_with_cached_result(t: Any) -> None:
    first = t.execute("calculator", {"expression": "6 * 7"})
    hit = t.execute("calculator", {"expression": "6 * 7"})
    assert not first.cached_result and hit.cached_result
    assert hit.result_data == first.result_data and hit.result_hash == first.result_hash
    assert hit.integration_context["cached_from_execution_id"] == first.execution_id
    lines = t.history()
    assert [(x["execution_id"], x["cached_result"]) for x in lines] == [
        (first.execution_id, False),
        (hit.execution_id, True),
    ]
    cache = t.store.fs.read_jsonl(t.tools_file("tool_cache", "calculator", "results.jsonl"))
    assert len(cache) == 1 and cache[0]["execution_id"] == first.execution_id
    metrics = t.run(t.executor.get_performance_metrics(t.user, "calculator"))
    assert (metrics["total_attempts"], metrics["cache_hits"]) == (2, 1)


@pytest.mark.parametrize("days", [739617.0, float("inf"), float("nan"), -1, "30", True])
def test_metrics_period_outside_the_calendar_is_a_validation_error(t: Any, days: Any) -> None:
    """Found by fuzz mode: a huge period was an OverflowError from ``now - timedelta``."""
    from flatfile_chat.errors import ValidationError

    with pytest.raises(ValidationError, match="time_period_days") as refused:
        t.run(t.executor.get_performance_metrics(t.user, None, days))
    assert refused.value.key == "time_period_days"


def test_tool_reads_of_an_unknown_user_are_not_found(t: Any) -> None:
    from flatfile_chat.errors import NotFound

    for read in (
        t.executor.get_execution_history("nobody"),
        t.executor.get_performance_metrics("nobody"),
        t.executor.list_approvals("nobody"),
        t.executor.prune_cache("nobody"),
    ):
        with pytest.raises(NotFound, match="user 'nobody' not found"):
            t.run(read)


def test_cache_expires_by_the_injected_clock(make_tools: Any) -> None:
    tools = make_tools({"cache_expiry_hours": 1}, categories=["computation"])
    tools.set_policy(cooldown_seconds=0)
    tools.execute("calculator", {"expression": "1 + 1"})
    tools.clock.advance(minutes=59)
    assert tools.execute("calculator", {"expression": "1 + 1"}).cached_result
    tools.clock.advance(minutes=1)
    assert not tools.execute("calculator", {"expression": "1 + 1"}).cached_result
    assert tools.run(tools.executor.prune_cache(tools.user)) == 1


def test_no_cache_when_disabled_or_not_cacheable(make_tools: Any) -> None:
    tools = make_tools({"enable_result_caching": False}, categories=["computation"])
    tools.set_policy(cooldown_seconds=0)
    tools.execute("calculator", {"expression": "2"})
    assert not tools.execute("calculator", {"expression": "2"}).cached_result
    other = make_tools()  # same user and root: the stored policy is reused
    other.set_policy(allowed_categories=["computation", "database"])
    for _ in range(2):  # tasks change data: never cached, each call runs
        assert not other.execute("tasks", {"action": "add_task", "title": "x"}).cached_result
    assert len(other.execute("tasks", {"action": "list_tasks"}).result_data["tasks"]) == 2


def test_chain_passes_previous_results_and_caches_repeats(t: Any) -> None:
    steps = [
        {"tool_id": "calculator", "parameters": {"expression": "2 + 2"}},
        {"tool_id": "text_utils", "parameters": {"operation": "upper", "text": "done"}},
        {"tool_id": "calculator", "parameters": {"expression": "2 + 2"}},
    ]
    chain = t.run(t.executor.execute_chain(t.user, steps, chain_id="chain_demo"))
    assert chain.success and chain.completed_steps == 3 and chain.failed_step is None
    assert [s.cached_result for s in chain.steps] == [False, False, True]
    lines = t.history()
    ids = [s.execution_id for s in chain.steps]
    assert [x["previous_execution_ids"] for x in lines] == [[], ids[:1], ids[:2]]
    assert [x["chain_step"] for x in lines] == [1, 2, 3]
    assert {x["chain_id"] for x in lines} == {"chain_demo"}


def test_step_k_request_sees_steps_1_to_k_minus_1(t: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[list[str]] = []
    real = t.executor.execute_sync

    def spy(user_id: str, request: Any, **kwargs: Any) -> Any:
        seen.append([p["execution_id"] for p in request.previous_tool_results])
        return real(user_id, request, **kwargs)

    monkeypatch.setattr(t.executor, "execute_sync", spy)
    steps = [{"tool_id": "calculator", "parameters": {"expression": str(n)}} for n in range(3)]
    chain = t.run(t.executor.execute_chain(t.user, steps))
    ids = [s.execution_id for s in chain.steps]
    assert seen == [[], ids[:1], ids[:2]]


def test_failed_step_stops_the_chain(t: Any) -> None:
    steps = [
        {"tool_id": "calculator", "parameters": {"expression": "1"}},
        {"tool_id": "calculator", "parameters": {"expression": "1 / 0"}},
        {"tool_id": "calculator", "parameters": {"expression": "3"}},
    ]
    chain = t.run(t.executor.execute_chain(t.user, steps))
    assert (chain.success, chain.failed_step, chain.completed_steps, chain.stopped_early) == (
        False,
        2,
        1,
        True,
    )
    assert len(chain.steps) == 2
    lines = t.history()
    assert [x["success"] for x in lines] == [True, False]  # step 3 never ran
    assert [x["chain_step"] for x in lines] == [1, 2]
    assert lines[1]["error_message"] == "calculator: division by zero"


def test_malformed_step_runs_nothing(t: Any) -> None:
    steps = [
        {"tool_id": "calculator", "parameters": {"expression": "1"}},
        {"tool_id": "calculator", "bogus": True},
    ]
    with pytest.raises(Exception, match="invalid tool request"):
        t.run(t.executor.execute_chain(t.user, steps))
    assert t.history() == []


def test_cache_memo_sees_own_writes_and_other_processes(
    make_tools: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    a = make_tools(categories=["computation"])
    a.set_policy(cooldown_seconds=0)
    b = make_tools()  # a second manager over the same root (another process)
    path = a.tools_file("tool_cache", "calculator", "results.jsonl")
    reads: list[Any] = []
    for tools in (a, b):
        real = tools.store.fs.read_jsonl

        def counting(p: Any, real: Any = real) -> Any:
            if p == path:
                reads.append(p)
            return real(p)

        monkeypatch.setattr(tools.store.fs, "read_jsonl", counting)
    a.execute("calculator", {"expression": "1 + 1"})
    a.execute("calculator", {"expression": "2 + 2"})  # own appends extend the memo
    assert a.execute("calculator", {"expression": "1 + 1"}).cached_result
    assert a.execute("calculator", {"expression": "2 + 2"}).cached_result
    assert reads == []
    assert b.execute("calculator", {"expression": "2 + 2"}).cached_result
    a.execute("calculator", {"expression": "3 + 3"})  # b's memo is now stale
    assert b.execute("calculator", {"expression": "3 + 3"}).cached_result
    assert len(reads) == 2
    hit = a.execute("calculator", {"expression": "3 + 3"})
    hit.result_data["result"] = "changed"  # callers get a copy, not the memo
    assert a.execute("calculator", {"expression": "3 + 3"}).result_data["result"] == 6
