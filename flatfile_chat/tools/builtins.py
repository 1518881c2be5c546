"""Definitions of the built-in tools every user's registry starts with.

Categories are honest (calendar/tasks are ``database``, commands are ``file_system``, the
outbox is ``communication``), so under the default ``allowed_categories``
(computation, web_access) only the pure computation tools run; scenarios that need the
others allow their category in the user's policy.
"""

from __future__ import annotations

from typing import Any

from flatfile_chat.config.tools import FFToolExecutionConfigDTO
from flatfile_chat.tools import personal_data, textutils
from flatfile_chat.tools.models import (
    FFToolDefinitionDTO,
    FFToolImplementationDTO,
    RiskLevel,
    ToolCategory,
)

_TIMESTAMP = {"type": "string", "minLength": 1, "maxLength": 64}


def _schema(properties: dict[str, Any], required: list[str]) -> dict[str, Any]:
    return {
        "type": "object",
        "properties": properties,
        "required": required,
        "additionalProperties": False,
    }


def _builtin(
    tool_id: str,
    name: str,
    description: str,
    category: ToolCategory,
    schema: dict[str, Any],
    *,
    handler: str | None = None,
    risk: RiskLevel = "low",
    duration: float = 0.1,
    cacheable: bool = False,
) -> FFToolDefinitionDTO:
    return FFToolDefinitionDTO(
        tool_id=tool_id,
        name=name,
        description=description,
        category=category,
        security_risk_level=risk,
        estimated_duration_seconds=duration,
        parameters_schema=schema,
        cacheable=cacheable,
        builtin=True,
        implementation=FFToolImplementationDTO(kind="builtin", handler=handler or tool_id),
    )


def builtin_definitions(config: FFToolExecutionConfigDTO) -> list[FFToolDefinitionDTO]:
    languages = list(config.translation_languages)
    return [
        _builtin(
            "calculator",
            "Calculator",
            "Arithmetic and math functions, parsed without eval.",
            ToolCategory.COMPUTATION,
            _schema(
                {"expression": {"type": "string", "minLength": 1, "maxLength": 500}}, ["expression"]
            ),
            cacheable=True,
        ),
        _builtin(
            "unit_converter",
            "Unit converter",
            "Length, mass, time, volume, data, speed and temperature conversions.",
            ToolCategory.COMPUTATION,
            _schema(
                {
                    "value": {"type": "number"},
                    "from_unit": {"type": "string", "minLength": 1},
                    "to_unit": {"type": "string", "minLength": 1},
                },
                ["value", "from_unit", "to_unit"],
            ),
            cacheable=True,
        ),
        _builtin(
            "translation",
            "Translator",
            f"Dictionary translation between {', '.join(languages)}.",
            ToolCategory.COMPUTATION,
            _schema(
                {
                    "text": {"type": "string", "minLength": 1, "maxLength": 10_000},
                    "target_language": {"type": "string"},
                    "source_language": {"type": "string"},
                },
                ["text", "target_language"],
            ),
            cacheable=True,
        ),
        _builtin(
            "text_utils",
            "Text utilities",
            "Word count, case, first-sentences summary, action items, grammar fixes.",
            ToolCategory.COMPUTATION,
            _schema(
                {
                    "operation": {"type": "string", "enum": list(textutils.OPERATIONS)},
                    "text": {"type": "string", "maxLength": 200_000},
                    "sentences": {"type": "integer", "minimum": 1, "maximum": 50},
                },
                ["operation", "text"],
            ),
            cacheable=True,
        ),
        _builtin(
            "calendar",
            "Calendar",
            "Add, list and delete calendar events.",
            ToolCategory.DATABASE,
            _schema(
                {
                    "action": {"type": "string", "enum": list(personal_data.CALENDAR_ACTIONS)},
                    "title": {"type": "string", "maxLength": 500},
                    "start": _TIMESTAMP,
                    "end": _TIMESTAMP,
                    "location": {"type": "string", "maxLength": 500},
                    "notes": {"type": "string", "maxLength": 5000},
                    "event_id": {"type": "string"},
                    "date_from": _TIMESTAMP,
                    "date_to": _TIMESTAMP,
                },
                ["action"],
            ),
        ),
        _builtin(
            "tasks",
            "Tasks",
            "Add, list, complete and delete tasks.",
            ToolCategory.DATABASE,
            _schema(
                {
                    "action": {"type": "string", "enum": list(personal_data.TASK_ACTIONS)},
                    "title": {"type": "string", "maxLength": 500},
                    "due": _TIMESTAMP,
                    "task_id": {"type": "string"},
                    "status_filter": {"type": "string", "enum": ["open", "done"]},
                },
                ["action"],
            ),
        ),
        _builtin(
            "notification",
            "Notification",
            "Queue a message in the user's outbox (never sent anywhere).",
            ToolCategory.COMMUNICATION,
            _schema(
                {
                    "recipient": {"type": "string", "minLength": 1, "maxLength": 200},
                    "message": {"type": "string", "minLength": 1, "maxLength": 10_000},
                    "channel": {"type": "string", "enum": ["email", "chat", "sms"]},
                },
                ["recipient", "message"],
            ),
            handler="notify",
            risk="medium",
        ),
        _builtin(
            "sandbox_command",
            "Read-only command",
            "Run an allow-listed read-only command (ls cat head tail grep find wc) on "
            "files given in the request, inside the sandbox.",
            ToolCategory.FILE_SYSTEM,
            _schema(
                {
                    "command": {"type": "string", "minLength": 1},
                    "args": {"type": "array", "items": {"type": "string"}, "maxItems": 64},
                    "files": {"type": "object", "additionalProperties": {"type": "string"}},
                },
                ["command"],
            ),
            handler="command",
            risk="medium",
            duration=5.0,
            cacheable=True,
        ),
    ]


BUILTIN_TOOL_IDS = (
    "calculator",
    "unit_converter",
    "translation",
    "text_utils",
    "calendar",
    "tasks",
    "notification",
    "sandbox_command",
)
