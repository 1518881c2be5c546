"""Each policy refusal: its exact message, its place in the order, one history line with
success:false, an audit entry, and proof that nothing was spawned (no Popen, no temp dir)."""

from __future__ import annotations

import subprocess
import sys
from typing import Any

import pytest

WC = {"command": "wc", "args": ["-l", "notes.txt"], "files": {"notes.txt": "a\nb\n"}}


def assert_refused(
    tools: Any,
    result: Any,
    message: str,
    reason: str,
    spawn_spy: list[list[str]],
    error_type: str = "validation_error",
) -> None:
    assert result.success is False
    assert result.error_message == message
    assert result.error_type == error_type
    assert result.denial_reason == reason
    assert spawn_spy == []  # no process was created
    assert tools.sandbox_dirs() == []  # no sandbox temp dir was made
    last = tools.history()[-1]
    assert (last["execution_id"], last["success"], last["error_type"], last["denial_reason"]) == (
        result.execution_id,
        False,
        error_type,
        reason,
    )
    denied = tools.audit.entries(event_type="tool_execution_denied")
    assert denied[-1]["outcome"] == "denied"
    assert denied[-1]["details"]["execution_id"] == result.execution_id


def test_not_found(tools: Any, spawn_spy: list[list[str]]) -> None:
    result = tools.execute("no_such_tool", WC)
    assert_refused(
        tools,
        result,
        "Tool no_such_tool not found or not available",
        "not_found",
        spawn_spy,
        error_type="tool_not_found",
    )


def test_blocked_tool(tools: Any, spawn_spy: list[list[str]]) -> None:
    tools.set_policy(blocked_tools=["sandbox_command"])
    result = tools.execute("sandbox_command", WC)
    assert_refused(
        tools, result, "Tool sandbox_command is blocked by security policy", "blocked", spawn_spy
    )


def test_category_not_allowed_under_default_policy(
    make_tools: Any, spawn_spy: list[list[str]]
) -> None:
    tools = make_tools()  # default allowed_categories: computation, web_access
    result = tools.execute("sandbox_command", WC)
    assert_refused(tools, result, "Tool category file_system not allowed", "category", spawn_spy)


def test_communication_tool_refused_by_default(make_tools: Any, spawn_spy: list[list[str]]) -> None:
    tools = make_tools()
    result = tools.execute("notification", {"recipient": "oncall", "message": "escalate"})
    assert_refused(tools, result, "Tool category communication not allowed", "category", spawn_spy)
    assert not tools.tools_file("data", "outbox.jsonl").exists()


def test_approval_required(tools: Any, spawn_spy: list[list[str]]) -> None:
    tools.set_policy(require_approval=["sandbox_command"])
    result = tools.execute("sandbox_command", WC)
    pending = result.integration_context["pending_approval_id"]
    assert_refused(
        tools,
        result,
        f"Tool sandbox_command requires approval before execution (approval request {pending})",
        "approval_required",
        spawn_spy,
    )


def test_missing_parameter(tools: Any, spawn_spy: list[list[str]]) -> None:
    result = tools.execute("sandbox_command", {"args": ["-l"]})
    assert_refused(tools, result, "Required parameter 'command' missing", "parameters", spawn_spy)


def test_invalid_parameter_type(tools: Any, spawn_spy: list[list[str]]) -> None:
    result = tools.execute("sandbox_command", {"command": "wc", "args": "-l notes.txt"})
    assert_refused(
        tools,
        result,
        "Invalid parameter 'args': '-l notes.txt' is not of type 'array'",
        "parameters",
        spawn_spy,
    )


def test_rate_limit(tools: Any, spawn_spy: list[list[str]]) -> None:
    tools.set_policy(max_executions_per_hour=2, cooldown_seconds=0)
    for n in range(2):
        assert tools.execute("calculator", {"expression": f"{n}+1"}).success
    result = tools.execute("sandbox_command", WC)
    assert_refused(tools, result, "Rate limit exceeded", "rate_limit", spawn_spy)


def test_concurrency_limit_holds_across_processes(tools: Any, spawn_spy: list[list[str]]) -> None:
    """Another process holds the only slot (its flock), so this manager is refused."""
    tools.set_policy(max_concurrent_executions=1)
    slot = tools.tools_file("runtime", "slot_0")
    slot.parent.mkdir(parents=True, exist_ok=True)
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys, time\n"
            "from pathlib import Path\n"
            "from flatfile_chat.storage.locks import file_lock\n"
            "with file_lock(Path(sys.argv[1]), timeout=5):\n"
            "    print('held', flush=True); time.sleep(60)\n",
            str(slot),
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
        spawn_spy.clear()  # the holder itself is not the sandbox's
        result = tools.execute("sandbox_command", WC)
    finally:
        holder.kill()
        holder.wait()
    assert_refused(
        tools, result, "Maximum concurrent executions (1) reached", "concurrency", spawn_spy
    )
    assert tools.execute("sandbox_command", WC).success  # slot free again


def test_cooldown(tools: Any, spawn_spy: list[list[str]]) -> None:
    tools.set_policy(cooldown_seconds=30)
    assert tools.execute("sandbox_command", WC).success
    spawn_spy.clear()
    other = dict(WC, args=["-w", "notes.txt"])  # not a cache hit
    result = tools.execute("sandbox_command", other)
    assert_refused(
        tools,
        result,
        "Tool sandbox_command is cooling down: 30s of 30s cooldown remaining",
        "cooldown",
        spawn_spy,
    )
    tools.clock.advance(seconds=29)
    assert tools.execute("sandbox_command", other).denial_reason == "cooldown"
    tools.clock.advance(seconds=1)
    assert tools.execute("sandbox_command", other).success


def test_timeout_limit(tools: Any, spawn_spy: list[list[str]]) -> None:
    result = tools.execute("sandbox_command", WC, timeout_seconds=60)
    assert_refused(
        tools, result, "Execution timeout 60s exceeds limit 30s", "timeout_limit", spawn_spy
    )


@pytest.mark.parametrize(
    ("command", "args", "message"),
    [
        ("rm", ["-rf", "notes.txt"], "Command rm is blocked by security policy"),
        ("sudo", ["ls"], "Command sudo is blocked by security policy"),
        (
            "python3",
            ["notes.txt"],
            "Command python3 is not in the allowed command list "
            "(ls, cat, head, tail, grep, find, wc)",
        ),
        (
            "cat",
            ["notes.txt;", "rm"],
            "Argument 1 'notes.txt;' contains forbidden character ';' (command injection)",
        ),
        (
            "cat",
            ["$(id)"],
            "Argument 1 '$(id)' contains forbidden character '$' (command injection)",
        ),
        ("ls", ["a&&b"], "Argument 1 'a&&b' contains forbidden character '&' (command injection)"),
        ("ls;id", [], "Command 'ls;id' contains forbidden character ';' (command injection)"),
        ("cat", ["../../etc/passwd"], "Path '../../etc/passwd' is outside the sandbox directory"),
        ("cat", ["/etc/passwd"], "Path '/etc/passwd' is outside the sandbox directory"),
        ("find", [".", "-delete"], "Option -delete is not allowed for find"),
        ("grep", ["-f", "x", "notes.txt"], "Option -f is not allowed for grep"),
    ],
)
def test_command_policy_refusals(
    tools: Any, spawn_spy: list[list[str]], command: str, args: list[str], message: str
) -> None:
    result = tools.execute(
        "sandbox_command", {"command": command, "args": args, "files": {"notes.txt": "x"}}
    )
    reason = "parameters" if "Option" in message else "command_policy"
    assert_refused(tools, result, message, reason, spawn_spy)


def test_order_first_failing_rule_wins(tools: Any, spawn_spy: list[list[str]]) -> None:
    tools.set_policy(
        blocked_tools=["sandbox_command"],
        allowed_categories=["computation"],
        require_approval=["sandbox_command", "notification"],
    )
    # blocked beats category, approval and parameters
    assert tools.execute("sandbox_command", {}).denial_reason == "blocked"
    # category beats approval and parameters
    assert tools.execute("notification", {}).denial_reason == "category"
    tools.set_policy(allowed_categories=tools.all_categories)
    # approval beats parameters
    assert tools.execute("notification", {}).denial_reason == "approval_required"
    tools.set_policy(require_approval=[], max_executions_per_hour=5, cooldown_seconds=0)
    # parameters beat the rate limit (nothing counted yet would refuse anyway)
    assert (
        tools.execute("notification", {}).error_message == "Required parameter 'recipient' missing"
    )
    # once over the rate limit, rate beats timeout
    tools.execute("calculator", {"expression": "1"})
    assert (
        tools.execute("calculator", {"expression": "2"}, timeout_seconds=99).denial_reason
        == "rate_limit"
    )
    assert spawn_spy == []


def test_every_attempt_logged_once(tools: Any) -> None:
    tools.set_policy(cooldown_seconds=0)
    ids = [
        tools.execute("calculator", {"expression": "6*7"}).execution_id,
        tools.execute("calculator", {"expression": "6*7"}).execution_id,  # cache hit
        tools.execute("nope").execution_id,
        tools.execute("calculator", {"expression": "os.system"}).execution_id,
    ]
    assert [line["execution_id"] for line in tools.history()] == ids


def test_validate_tool_request_is_a_dry_run(tools: Any, spawn_spy: list[list[str]]) -> None:
    tools.set_policy(require_approval=["sandbox_command"])
    ok, message = tools.run(
        tools.registry.validate_tool_request(
            tools.user, {"tool_id": "sandbox_command", "parameters": WC}
        )
    )
    assert (ok, message) == (False, "Tool sandbox_command requires approval before execution")
    assert tools.run(
        tools.registry.validate_tool_request(
            tools.user, {"tool_id": "calculator", "parameters": {"expression": "1+1"}}
        )
    ) == (True, "")
    assert not tools.history() and spawn_spy == []
    assert not tools.tools_file("approvals.json").exists()
