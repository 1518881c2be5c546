"""DTOs and enums of the tool framework (upstream P4 names and fields).

Requests are strict (unknown keys are errors: a typo in a scenario must not be silently
ignored); results and stored definitions allow extra keys so files written by a newer version
still load.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from flatfile_chat.storage.paths import validate_id


class ToolExecutionMode(StrEnum):
    SANDBOX = "sandbox"
    RESTRICTED = "restricted"
    TRUSTED = "trusted"
    READ_ONLY = "read_only"


class ToolCategory(StrEnum):
    COMPUTATION = "computation"
    WEB_ACCESS = "web_access"
    FILE_SYSTEM = "file_system"
    DATABASE = "database"
    COMMUNICATION = "communication"
    SYSTEM = "system"
    CUSTOM = "custom"


RISK_LEVELS = ("low", "medium", "high", "critical")
RiskLevel = Literal["low", "medium", "high", "critical"]

# error_type values (spec list plus nothing else).
VALIDATION_ERROR = "validation_error"
TOOL_NOT_FOUND = "tool_not_found"
TIMEOUT_ERROR = "timeout_error"
EXECUTION_ERROR = "execution_error"
SANDBOX_EXECUTION_ERROR = "sandbox_execution_error"
BUILTIN_EXECUTION_ERROR = "builtin_execution_error"


class _Model(BaseModel):
    model_config = ConfigDict(extra="allow")

    def to_dict(self) -> dict[str, Any]:
        return self.model_dump(mode="json")


class FFToolImplementationDTO(_Model):
    """What runs: a built-in handler (with fixed parameters) or an allow-listed command."""

    model_config = ConfigDict(extra="forbid")
    kind: Literal["builtin", "command"]
    handler: str | None = None  # builtin: handler name (see builtins.HANDLERS)
    fixed_parameters: dict[str, Any] = Field(default_factory=dict)
    command: str | None = None  # command: allow-listed command, or None = from params
    fixed_args: list[str] = Field(default_factory=list)


class FFToolDefinitionDTO(_Model):
    tool_id: str
    name: str
    description: str = ""
    category: ToolCategory = ToolCategory.CUSTOM
    version: str = "1.0"
    security_risk_level: RiskLevel = "low"
    estimated_duration_seconds: float = Field(1.0, ge=0)
    parameters_schema: dict[str, Any] = Field(
        default_factory=lambda: {"type": "object", "properties": {}}
    )
    implementation: FFToolImplementationDTO
    supported_modes: list[ToolExecutionMode] = Field(
        default_factory=lambda: list(ToolExecutionMode)
    )
    cacheable: bool = False
    builtin: bool = False
    is_active: bool = True
    registered_at: str = ""
    metadata: dict[str, Any] = Field(default_factory=dict)

    @property
    def required_parameters(self) -> list[str]:
        return list(self.parameters_schema.get("required", []))


class FFToolExecutionRequestDTO(BaseModel):
    model_config = ConfigDict(extra="forbid")
    execution_id: str = ""
    tool_id: str
    user_id: str = ""
    session_id: str | None = None
    parameters: dict[str, Any] = Field(default_factory=dict)
    execution_mode: ToolExecutionMode | None = None
    timeout_seconds: float | None = Field(None, gt=0)
    conversation_context: list[dict[str, Any]] = Field(default_factory=list)
    previous_tool_results: list[dict[str, Any]] = Field(default_factory=list)
    user_intent: str = ""
    cache_result: bool = True
    include_debug_info: bool = False
    async_execution: bool = False
    request_timestamp: str = ""
    requested_by: Literal["user", "system", "agent"] = "user"
    priority: int = 0

    @field_validator("execution_id")
    @classmethod
    def _execution_id(cls, value: str) -> str:
        return validate_id(value, "execution_id") if value else value

    @field_validator("session_id")
    @classmethod
    def _session_id(cls, value: str | None) -> str | None:
        return validate_id(value, "session_id") if value else value

    def to_dict(self) -> dict[str, Any]:
        return self.model_dump(mode="json")


class FFToolExecutionResultDTO(_Model):
    execution_id: str
    tool_id: str
    user_id: str
    session_id: str | None = None
    success: bool = False
    result_data: Any = None
    error_message: str | None = None
    error_type: str | None = None
    exit_code: int | None = None
    execution_time_seconds: float = 0.0
    memory_used_mb: float = 0.0
    cpu_usage_percent: float = 0.0
    network_requests_made: int = 0
    start_timestamp: str = ""
    end_timestamp: str = ""
    execution_mode: str = ToolExecutionMode.SANDBOX.value
    result_type: str = "none"
    result_size_bytes: int = 0
    result_hash: str = ""
    cached_result: bool = False
    truncated: bool = False
    denial_reason: str | None = None
    security_events: list[dict[str, Any]] = Field(default_factory=list)
    resource_violations: list[str] = Field(default_factory=list)
    sandbox_breaches: list[str] = Field(default_factory=list)
    integration_context: dict[str, Any] = Field(default_factory=dict)
    follow_up_suggestions: list[str] = Field(default_factory=list)
    related_tools: list[str] = Field(default_factory=list)
    generated_files: list[str] = Field(default_factory=list)
    log_entries: list[str] = Field(default_factory=list)
    debug_information: dict[str, Any] = Field(default_factory=dict)


class FFToolApprovalDTO(_Model):
    """One approval record in ``users/{u}/tools/approvals.json`` (format in the decisions doc)."""

    approval_id: str
    tool_id: str
    status: Literal["pending", "approved", "consumed", "rejected"]
    parameters_hash: str | None = None  # None: any parameters
    parameters: dict[str, Any] | None = None
    requested_at: str | None = None
    requested_by: str | None = None
    request_execution_id: str | None = None
    approved_by: str | None = None
    approved_at: str | None = None
    expires_at: str | None = None
    uses_remaining: int = 0
    consumed_by: list[str] = Field(default_factory=list)
    rejected_by: str | None = None
    rejected_at: str | None = None


class FFToolChainResultDTO(_Model):
    chain_id: str
    user_id: str
    success: bool
    steps: list[FFToolExecutionResultDTO] = Field(default_factory=list)
    completed_steps: int = 0
    total_steps: int = 0
    failed_step: int | None = None  # 1-based index of the step that failed
    stopped_early: bool = False
