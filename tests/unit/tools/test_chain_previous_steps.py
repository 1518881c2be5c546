"""A chain step's ``previous_tool_results`` say which step each earlier result came from."""

from __future__ import annotations

from typing import Any

import pytest


def test_previous_results_carry_their_step_number_tool_and_result(
    tools: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    tools.set_policy(cooldown_seconds=0)
    seen: list[list[dict[str, Any]]] = []
    real = tools.executor.execute_sync

    def spy(user_id: str, request: Any, **kwargs: Any) -> Any:
        seen.append([dict(p) for p in request.previous_tool_results])
        return real(user_id, request, **kwargs)

    monkeypatch.setattr(tools.executor, "execute_sync", spy)
    steps = [
        {"tool_id": "calculator", "parameters": {"expression": "2 + 2"}},
        {"tool_id": "text_utils", "parameters": {"operation": "upper", "text": "done"}},
        {"tool_id": "calculator", "parameters": {"expression": "3 * 3"}},
    ]
    chain = tools.run(tools.executor.execute_chain(tools.user, steps))
    assert chain.success
    assert [[p["chain_step"] for p in previous] for previous in seen] == [[], [1], [1, 2]]
    last = seen[-1]
    assert [(p["tool_id"], p["execution_id"], p["success"]) for p in last] == [
        (s.tool_id, s.execution_id, True) for s in chain.steps[:2]
    ]
    assert [p["result_data"] for p in last] == [s.result_data for s in chain.steps[:2]]
