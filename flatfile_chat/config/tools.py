"""Tool execution settings (upstream ``FFToolExecutionConfigDTO``, ``FFToolSecurityPolicyDTO``,
``FFToolsSecurityConfigDTO``, P4)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from flatfile_chat.config.base import ConfigSection


class FFToolSecurityPolicyDTO(ConfigSection):
    allowed_categories: list[str] = Field(default_factory=lambda: ["computation", "web_access"])
    blocked_tools: list[str] = Field(default_factory=list)
    require_approval: list[str] = Field(default_factory=list)
    max_execution_time_seconds: float = Field(30, gt=0)
    max_memory_mb: int = Field(256, gt=0)
    max_disk_space_mb: int = Field(100, gt=0)
    max_network_requests: int = 10
    max_executions_per_hour: int = Field(100, gt=0)
    max_concurrent_executions: int = Field(5, gt=0)
    cooldown_seconds: float = Field(1, ge=0)
    log_all_executions: bool = True
    log_tool_outputs: bool = True
    log_security_events: bool = True
    retain_execution_history_days: int = 30


class FFToolSandboxConfigDTO(ConfigSection):
    allowed_commands: list[str] = Field(default_factory=lambda: [
        "ls", "cat", "head", "tail", "grep", "find", "wc"])
    blocked_commands: list[str] = Field(default_factory=lambda: [
        "rm", "del", "format", "dd", "chmod", "chown", "sudo", "su"])
    max_memory_mb: int = Field(100, gt=0)
    max_cpu_time: int = Field(10, gt=0)
    max_processes: int = Field(5, gt=0)
    max_open_files: int = Field(100, gt=0)
    max_file_size_mb: int = Field(10, gt=0)
    use_bubblewrap: Literal["auto", "never", "always"] = "auto"


class FFToolExecutionConfigDTO(ConfigSection):
    default_execution_mode: Literal["sandbox", "restricted", "trusted", "read_only"] = "sandbox"
    execution_timeout_seconds: float = Field(30, gt=0)
    enable_result_caching: bool = True
    cache_expiry_hours: float = 24
    enable_security_scanning: bool = True
    quarantine_suspicious_results: bool = True
    performance_sampling_rate: float = Field(1.0, ge=0, le=1)
    include_tool_context_in_memory: bool = True
    max_tool_result_length: int = Field(10_000, gt=0)
    cleanup_temp_files: bool = True
    temp_file_retention_hours: float = 2
    translation_languages: list[str] = Field(default_factory=lambda: [
        "en", "es", "fr", "de", "it", "pt", "zh", "ja"])
    security_policy: FFToolSecurityPolicyDTO = Field(default_factory=FFToolSecurityPolicyDTO)
    sandbox: FFToolSandboxConfigDTO = Field(default_factory=FFToolSandboxConfigDTO)
