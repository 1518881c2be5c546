"""Tool execution (P4): a per-user tool registry, a policy-checked executor, and an OS sandbox
for allow-listed commands. See ``docs/decisions/tool_execution.md``."""

from flatfile_chat.tools.executor import FFToolExecutionManager
from flatfile_chat.tools.models import (
    FFToolApprovalDTO,
    FFToolChainResultDTO,
    FFToolDefinitionDTO,
    FFToolExecutionRequestDTO,
    FFToolExecutionResultDTO,
    FFToolImplementationDTO,
    ToolCategory,
    ToolExecutionMode,
)
from flatfile_chat.tools.registry import FFToolRegistryManager
from flatfile_chat.tools.sandbox import Sandbox, SandboxLimits, SandboxResult

__all__ = [
    "FFToolApprovalDTO",
    "FFToolChainResultDTO",
    "FFToolDefinitionDTO",
    "FFToolExecutionManager",
    "FFToolExecutionRequestDTO",
    "FFToolExecutionResultDTO",
    "FFToolImplementationDTO",
    "FFToolRegistryManager",
    "Sandbox",
    "SandboxLimits",
    "SandboxResult",
    "ToolCategory",
    "ToolExecutionMode",
]
