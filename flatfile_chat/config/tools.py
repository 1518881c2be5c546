"""Tool execution settings (upstream ``FFToolExecutionConfigDTO``, ``FFToolSecurityPolicyDTO``,
``FFToolsSecurityConfigDTO``, P4)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, field_validator, model_validator

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
    retain_execution_history_days: int = Field(30, ge=1)  # enforced on every history append

    @field_validator("log_all_executions")
    @classmethod
    def _history_is_the_ledger(cls, value: bool) -> bool:
        # The rate limit counts execution_history.jsonl rows and fails closed; turning the
        # history off would turn the limit off. See docs/decisions/tool_execution.md.
        if not value:
            raise ValueError(
                "cannot be false: every attempt is logged because the rate "
                "limit is counted from execution_history.jsonl"
            )
        return value


class FFToolSandboxConfigDTO(ConfigSection):
    allowed_commands: list[str] = Field(
        default_factory=lambda: ["ls", "cat", "head", "tail", "grep", "find", "wc"]
    )
    blocked_commands: list[str] = Field(
        default_factory=lambda: ["rm", "del", "format", "dd", "chmod", "chown", "sudo", "su"]
    )
    max_memory_mb: int = Field(100, gt=0)
    max_cpu_time: int = Field(10, gt=0)
    max_processes: int = Field(5, gt=0)
    max_open_files: int = Field(100, gt=0)
    max_file_size_mb: int = Field(10, gt=0)
    use_bubblewrap: Literal["auto", "never", "always"] = "auto"
    # Added for our sandbox (docs/decisions/tool_execution.md):
    # stdout+stderr bytes read from a command before its process group is killed.
    max_output_bytes: int = Field(1_048_576, gt=0)
    # Where per-execution temp dirs are made (None: the system temp dir). Must be traversable
    # by the sandbox uid for bubblewrap to bind it.
    temp_root: str | None = None
    # When running as root, commands run as a per-execution uid from this pool, because root
    # ignores RLIMIT_NPROC (a fork bomb would not be contained).
    drop_privileges: bool = True
    uid_base: int = Field(1_900_000_000, gt=0, lt=2**31 - 1)
    uid_pool_size: int = Field(1024, gt=0, le=65_536)
    # As root, the command runs in new pid, mount, network, ipc and uts namespaces with a
    # private /proc and tmp folders (util-linux unshare; bwrap in a pid namespace only).
    use_pid_namespace: Literal["auto", "never"] = "auto"
    # Interpreters (python3, sh, perl ...) run any code they are given: without bubblewrap
    # or the namespaces above that code reaches the network, /tmp and /proc of the host, so
    # they are refused unless this is true (tracker issue 12).
    allow_interpreters_without_isolation: bool = False
    max_input_files: int = Field(20, ge=0)

    @model_validator(mode="after")
    def _uid_range_fits(self) -> FFToolSandboxConfigDTO:
        if self.uid_base + self.uid_pool_size > 2**31 - 1:
            raise ValueError("uid_base + uid_pool_size must stay below 2**31 - 1")
        return self


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
    translation_languages: list[str] = Field(
        default_factory=lambda: ["en", "es", "fr", "de", "it", "pt", "zh", "ja"]
    )
    # Store measured memory/CPU figures in the history and metrics files. Off by default:
    # measured numbers differ run to run, and scenario runs must be byte-identical.
    record_measured_usage: bool = False
    security_policy: FFToolSecurityPolicyDTO = Field(default_factory=FFToolSecurityPolicyDTO)
    sandbox: FFToolSandboxConfigDTO = Field(default_factory=FFToolSandboxConfigDTO)
