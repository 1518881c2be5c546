"""The per-user registry: built-ins, user-registered tools validated against a schema,
availability filtering, policy updates, and what a fresh manager sees."""

from __future__ import annotations

import json
from typing import Any

import pytest

from flatfile_chat.errors import AlreadyExists, NotFound, SecurityError, ValidationError

LINES = {
    "tool_id": "line_counter",
    "name": "Line counter",
    "category": "file_system",
    "security_risk_level": "low",
    "parameters_schema": {
        "type": "object",
        "properties": {
            "args": {"type": "array", "items": {"type": "string"}},
            "files": {"type": "object"},
        },
        "required": ["files"],
        "additionalProperties": False,
    },
    "implementation": {"kind": "command", "command": "wc", "fixed_args": ["-l"]},
}


def register(tools: Any, definition: dict[str, Any]) -> Any:
    return tools.run(tools.registry.register_tool(tools.user, definition))


def test_registry_file_layout(tools: Any) -> None:
    doc = json.loads(tools.tools_file("tool_registry.json").read_text())
    assert set(doc) == {
        "user_id",
        "created_at",
        "last_updated",
        "registered_tools",
        "tool_statistics",
    }
    assert (
        sorted(doc["registered_tools"])
        == sorted(doc["tool_statistics"])
        == [
            "calculator",
            "calendar",
            "notification",
            "sandbox_command",
            "tasks",
            "text_utils",
            "translation",
            "unit_converter",
        ]
    )
    policies = json.loads(tools.tools_file("security_policies.json").read_text())
    assert set(policies) == {
        "user_id",
        "created_at",
        "security_policy",
        "custom_policies",
        "security_events",
    }


@pytest.mark.parametrize(
    ("change", "error", "message"),
    [
        ({"tool_id": ""}, ValidationError, "tool_id must not be empty"),
        ({"tool_id": "   "}, ValidationError, "tool_id must not be empty"),
        ({"name": ""}, ValidationError, "name must not be empty"),
        (
            {"security_risk_level": "extreme"},
            ValidationError,
            "security_risk_level 'extreme' must be one of low, medium, high, critical",
        ),
        ({"category": "email"}, ValidationError, "category 'email' must be one of"),
        ({"tool_id": "../evil"}, SecurityError, "invalid tool_id"),
        ({"tool_id": "calculator"}, AlreadyExists, "is a built-in tool"),
        (
            {"parameters_schema": {"type": "object", "properties": {"a": {"type": "nope"}}}},
            ValidationError,
            "not a valid JSON Schema",
        ),
        ({"parameters_schema": {"type": "array"}}, ValidationError, "must have type 'object'"),
        (
            {"implementation": {"kind": "command", "command": "rm"}},
            SecurityError,
            "Command rm is blocked by security policy",
        ),
        (
            {"implementation": {"kind": "command", "command": "wc", "fixed_args": ["-l;id"]}},
            SecurityError,
            "command injection",
        ),
        (
            {"implementation": {"kind": "builtin", "handler": "shell"}},
            ValidationError,
            "unknown built-in handler 'shell'",
        ),
    ],
)
def test_register_rejects_bad_definitions(
    tools: Any, change: dict[str, Any], error: type[Exception], message: str
) -> None:
    before = tools.tools_file("tool_registry.json").read_bytes()
    with pytest.raises(error, match=message):
        register(tools, {**LINES, **change})
    assert tools.tools_file("tool_registry.json").read_bytes() == before


def test_registered_command_tool_runs_in_the_sandbox(tools: Any) -> None:
    stored = register(tools, LINES)
    assert stored.builtin is False and stored.registered_at
    result = tools.execute("line_counter", {"files": {"a.txt": "1\n2\n"}, "args": ["a.txt"]})
    assert result.success and result.result_data == "2 a.txt\n"
    assert "argv_policy" in result.debug_information["sandbox_layers"]
    bad = tools.execute("line_counter", {"args": ["a.txt"]})
    assert bad.error_message == "Required parameter 'files' missing"
    extra = tools.execute("line_counter", {"files": {}, "mode": "x"})
    assert extra.error_message.startswith("Invalid parameter 'parameters': Additional")


def test_registered_builtin_alias_with_fixed_parameters(tools: Any) -> None:
    register(
        tools,
        {
            "tool_id": "shout",
            "name": "Shout",
            "category": "computation",
            "parameters_schema": {
                "type": "object",
                "properties": {"text": {"type": "string"}},
                "required": ["text"],
            },
            "implementation": {
                "kind": "builtin",
                "handler": "text_utils",
                "fixed_parameters": {"operation": "upper"},
            },
        },
    )
    assert tools.execute("shout", {"text": "hey"}).result_data == {"text": "HEY"}


def test_user_registered_communication_tool_is_refused_by_default(make_tools: Any) -> None:
    tools = make_tools()
    register(
        tools,
        {
            "tool_id": "escalate",
            "name": "Escalate",
            "category": "communication",
            "security_risk_level": "medium",
            "parameters_schema": {
                "type": "object",
                "properties": {"recipient": {"type": "string"}, "message": {"type": "string"}},
                "required": ["recipient", "message"],
            },
            "implementation": {"kind": "builtin", "handler": "notify"},
        },
    )
    result = tools.execute("escalate", {"recipient": "ops", "message": "help"})
    assert result.error_message == "Tool category communication not allowed"


def test_available_tools_follow_the_policy(tools: Any) -> None:
    def available(**kwargs: Any) -> list[str]:
        return [
            d.tool_id for d in tools.run(tools.registry.get_available_tools(tools.user, **kwargs))
        ]

    assert "sandbox_command" in available()
    tools.set_policy(allowed_categories=["computation"], blocked_tools=["translation"])
    assert available() == ["calculator", "text_utils", "unit_converter"]
    tools.set_policy(
        allowed_categories=tools.all_categories, blocked_tools=[], max_execution_time_seconds=1
    )
    assert "sandbox_command" not in available()  # estimated 5 s
    assert available(category_filter="database") == ["calendar", "tasks"]
    assert "notification" not in available(security_level="low")


def test_policy_update_is_validated_and_logged(tools: Any) -> None:
    with pytest.raises(ValidationError, match="max_executions_per_hour"):
        tools.set_policy(max_executions_per_hour=0)
    with pytest.raises(ValidationError, match="log_all_executions"):
        tools.set_policy(log_all_executions=False)
    tools.set_policy(cooldown_seconds=3)
    doc = json.loads(tools.tools_file("security_policies.json").read_text())
    assert doc["security_policy"]["cooldown_seconds"] == 3
    assert doc["security_events"][-1]["changes"] == {"cooldown_seconds": 3}
    assert tools.audit.entries(event_type="tool_policy_updated")


def test_unregister_keeps_history_resolvable(tools: Any) -> None:
    register(tools, LINES)
    tools.run(tools.registry.unregister_tool(tools.user, "line_counter"))
    assert tools.execute("line_counter", {"files": {}}).error_type == "tool_not_found"
    with pytest.raises(NotFound):
        tools.run(tools.registry.get_tool(tools.user, "line_counter"))
    with pytest.raises(ValidationError, match="cannot be unregistered"):
        tools.run(tools.registry.unregister_tool(tools.user, "calculator"))


def test_fresh_managers_see_everything(make_tools: Any) -> None:
    tools = make_tools(categories=["computation", "file_system"])
    register(tools, {**LINES, "cacheable": True})
    tools.set_policy(cooldown_seconds=0)
    tools.execute("line_counter", {"files": {"a": "x\n"}, "args": ["a"]})
    fresh = make_tools()
    assert fresh.run(fresh.registry.get_tool(fresh.user, "line_counter")).name == "Line counter"
    assert fresh.execute("line_counter", {"files": {"a": "x\n"}, "args": ["a"]}).cached_result
    history = fresh.run(fresh.executor.get_execution_history(fresh.user, "line_counter"))
    assert [h["cached_result"] for h in history] == [False, True]
    stats = json.loads(fresh.tools_file("tool_registry.json").read_text())["tool_statistics"]
    assert stats["line_counter"]["total_executions"] == 2


def test_unknown_user_is_not_created(tools: Any) -> None:
    with pytest.raises(NotFound, match="user 'bob' not found"):
        tools.run(
            tools.executor.execute_tool(
                "bob", {"tool_id": "calculator", "parameters": {"expression": "1"}}
            )
        )
    assert not (tools.root / "users" / "bob").exists()


def test_request_for_another_user_is_refused(tools: Any) -> None:
    with pytest.raises(SecurityError, match="does not match"):
        tools.run(
            tools.executor.execute_tool(
                tools.user,
                {"tool_id": "calculator", "user_id": "mallory", "parameters": {"expression": "1"}},
            )
        )
    assert tools.audit.entries(event_type="tool_request_user_mismatch")
