"""The security-policy checks, one function per rule, each returning a :class:`Denial` or None.

The executor calls them in the spec's order: not found, blocked, category, approval,
parameters, rate limit, concurrency, cooldown, timeout limit. Nothing here writes or spawns
anything; a denial is turned into a history line and an audit entry by the executor.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import jsonschema

from flatfile_chat.config.tools import FFToolSecurityPolicyDTO
from flatfile_chat.errors import FFError, SecurityError
from flatfile_chat.tools.handlers import HandlerEnv, ToolHandler
from flatfile_chat.tools.models import (
    RISK_LEVELS,
    TOOL_NOT_FOUND,
    VALIDATION_ERROR,
    FFToolDefinitionDTO,
    ToolExecutionMode,
)

# The highest security_risk_level each execution mode may run (decisions doc).
MODE_MAX_RISK: dict[ToolExecutionMode, str] = {
    ToolExecutionMode.READ_ONLY: "high",
    ToolExecutionMode.RESTRICTED: "medium",
    ToolExecutionMode.SANDBOX: "high",
    ToolExecutionMode.TRUSTED: "critical",
}


@dataclass(frozen=True)
class Denial:
    reason: str  # not_found|blocked|category|approval_required|parameters|execution_mode|
    #                  command_policy|rate_limit|concurrency|cooldown|timeout_limit
    message: str
    error_type: str = VALIDATION_ERROR
    approval_id: str | None = None


def check_found(tool_id: str, definition: FFToolDefinitionDTO | None) -> Denial | None:
    if definition is None:
        return Denial("not_found", f"Tool {tool_id} not found or not available", TOOL_NOT_FOUND)
    return None


def check_blocked(policy: FFToolSecurityPolicyDTO, tool_id: str) -> Denial | None:
    if tool_id in policy.blocked_tools:
        return Denial("blocked", f"Tool {tool_id} is blocked by security policy")
    return None


def check_category(
    policy: FFToolSecurityPolicyDTO, definition: FFToolDefinitionDTO
) -> Denial | None:
    category = definition.category.value
    if category not in policy.allowed_categories:
        return Denial("category", f"Tool category {category} not allowed")
    return None


def check_parameters(
    definition: FFToolDefinitionDTO,
    handler: ToolHandler,
    params: dict[str, Any],
    env: HandlerEnv,
    async_execution: bool,
) -> Denial | None:
    """Required parameters, the JSON Schema, the execution mode, then the tool's own check."""
    for name in definition.required_parameters:
        if name not in params:
            return Denial("parameters", f"Required parameter '{name}' missing")
    errors = sorted(
        jsonschema.Draft202012Validator(definition.parameters_schema).iter_errors(params),
        key=lambda e: list(e.absolute_path),
    )
    if errors:
        where = "/".join(map(str, errors[0].absolute_path)) or "parameters"
        return Denial("parameters", f"Invalid parameter '{where}': {errors[0].message}")
    if async_execution:
        return Denial(
            "parameters",
            "async_execution is not supported: every execution "
            "completes before execute_tool returns",
        )
    denial = check_mode(definition, handler, params, env.mode)
    if denial is not None:
        return denial
    try:
        handler.validate(params, env)
    except SecurityError as exc:
        return Denial("command_policy", exc.message)
    except FFError as exc:
        return Denial("parameters", exc.message)
    return None


def check_mode(
    definition: FFToolDefinitionDTO,
    handler: ToolHandler,
    params: dict[str, Any],
    mode: ToolExecutionMode,
) -> Denial | None:
    tool_id = definition.tool_id
    if mode not in definition.supported_modes:
        return Denial("execution_mode", f"Tool {tool_id} does not support {mode.value} mode")
    if RISK_LEVELS.index(definition.security_risk_level) > RISK_LEVELS.index(MODE_MAX_RISK[mode]):
        return Denial(
            "execution_mode",
            f"Tool {tool_id} has {definition.security_risk_level} "
            f"risk, above what {mode.value} mode allows ({MODE_MAX_RISK[mode]})",
        )
    if mode is ToolExecutionMode.READ_ONLY and handler.has_side_effects(params):
        return Denial(
            "execution_mode",
            f"Tool {tool_id} would change data, which read_only mode does not allow",
        )
    return None


def check_rate(
    attempts_in_window: int, in_flight: int, policy: FFToolSecurityPolicyDTO
) -> Denial | None:
    if attempts_in_window + in_flight >= policy.max_executions_per_hour:
        return Denial("rate_limit", "Rate limit exceeded")
    return None


def rate_unreadable(detail: str) -> Denial:
    """Fail closed: if the history cannot be counted, nothing runs."""
    return Denial("rate_limit", f"Rate limit exceeded (history unreadable: {detail})")


def check_concurrency(claimed: bool, policy: FFToolSecurityPolicyDTO) -> Denial | None:
    if not claimed:
        return Denial(
            "concurrency",
            f"Maximum concurrent executions ({policy.max_concurrent_executions}) reached",
        )
    return None


def check_cooldown(
    tool_id: str, last_start: datetime | None, now: datetime, policy: FFToolSecurityPolicyDTO
) -> Denial | None:
    if last_start is None or policy.cooldown_seconds <= 0:
        return None
    ready = last_start + timedelta(seconds=policy.cooldown_seconds)
    if now < ready:
        remaining = (ready - now).total_seconds()
        return Denial(
            "cooldown",
            f"Tool {tool_id} is cooling down: {remaining:g}s of "
            f"{policy.cooldown_seconds:g}s cooldown remaining",
        )
    return None


def check_timeout(timeout: float, policy: FFToolSecurityPolicyDTO) -> Denial | None:
    limit = policy.max_execution_time_seconds
    if timeout > limit:
        return Denial("timeout_limit", f"Execution timeout {timeout:g}s exceeds limit {limit:g}s")
    return None
