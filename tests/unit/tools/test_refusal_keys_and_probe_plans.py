"""Which input a refusal blames (``ValidationError.key``), the plan the bubblewrap probe
runs under, and the rate window read from its derived file instead of the history.

A caller (a UI, an API layer) uses ``key`` to point at the offending field, so each refusal
here pins its exact message and its exact key."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from flatfile_chat.config.tools import FFToolSandboxConfigDTO
from flatfile_chat.errors import ValidationError
from flatfile_chat.tools import sandbox as sandbox_module
from flatfile_chat.tools.commands import CommandPolicy
from flatfile_chat.tools.history import ExecutionLog
from flatfile_chat.tools.sandbox import Sandbox, _Plan


def test_a_non_positive_grant_lifetime_blames_ttl_seconds(tools: Any) -> None:
    with pytest.raises(ValidationError) as caught:
        tools.run(tools.executor.approve(tools.user, tool_id="calculator", ttl_seconds=0))
    assert caught.value.message == "ttl_seconds must be positive"
    assert caught.value.key == "ttl_seconds"


def test_a_grant_without_uses_blames_uses(tools: Any) -> None:
    with pytest.raises(ValidationError) as caught:
        tools.run(tools.executor.approve(tools.user, tool_id="calculator", uses=0))
    assert caught.value.message == "uses must be at least 1"
    assert caught.value.key == "uses"


def test_a_find_primary_without_its_value_blames_the_arguments() -> None:
    policy = CommandPolicy(FFToolSandboxConfigDTO())
    with pytest.raises(ValidationError) as caught:
        policy.validate("find", [".", "-name"])
    assert caught.value.message == "Option -name of find needs a value"
    assert caught.value.key == "args"


def test_the_bubblewrap_probe_runs_inside_the_pid_namespace_the_plan_uses(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """As root with unshare found, bwrap runs inside ``unshare --pid``; the probe that
    decides whether bwrap works must try that same combination."""
    monkeypatch.setattr(sandbox_module.sandbox_layers, "find_executable", lambda n: f"/x/{n}")
    probes: list[_Plan] = []

    def probe(self: Sandbox, plan: _Plan) -> None:
        probes.append(plan)

    monkeypatch.setattr(Sandbox, "_probe", probe)
    box = Sandbox(FFToolSandboxConfigDTO(temp_root=str(tmp_path)))
    box.is_root = True
    assert box.plan() == _Plan(
        drop_uid=True, bubblewrap="/x/bwrap", unshare="/x/unshare", namespaces=False
    )
    assert probes == [_Plan(drop_uid=True, bubblewrap="/x/bwrap", unshare="/x/unshare")]


def test_a_current_rate_window_is_used_without_parsing_the_history(
    tools: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    tools.set_policy(cooldown_seconds=0, max_executions_per_hour=5)
    assert tools.execute("calculator", {"expression": "1 + 1"}).success
    reads: list[str] = []
    original = ExecutionLog.read

    def counting_read(self: ExecutionLog, user_id: str) -> list[dict[str, Any]]:
        reads.append(user_id)
        return original(self, user_id)

    monkeypatch.setattr(ExecutionLog, "read", counting_read)
    now = tools.clock.now()
    assert tools.executor.rate.attempts_in_window(tools.user, now, 5) == 1
    assert reads == []
    # a window built for a smaller limit cannot answer for a larger one: rebuilt from history
    assert tools.executor.rate.attempts_in_window(tools.user, now, 6) == 1
    assert reads == [tools.user]
