"""Tool handlers: the code behind each tool. ``validate`` runs during the policy checks
(nothing runs, nothing is spawned); ``run`` does the work.

Built-ins run in-process (pure, bounded computations or the user's own data files). Command
tools run through :class:`~flatfile_chat.tools.sandbox.Sandbox`.
"""

from __future__ import annotations

import math
import signal
from dataclasses import dataclass, field
from typing import Any, Protocol

from flatfile_chat.config.tools import FFToolExecutionConfigDTO, FFToolSecurityPolicyDTO
from flatfile_chat.errors import ValidationError
from flatfile_chat.store.layout import StoreContext
from flatfile_chat.tools import calculator, personal_data, textutils, translation, units
from flatfile_chat.tools.commands import CommandPolicy
from flatfile_chat.tools.models import (
    EXECUTION_ERROR,
    SANDBOX_EXECUTION_ERROR,
    TIMEOUT_ERROR,
    FFToolImplementationDTO,
    ToolExecutionMode,
)
from flatfile_chat.tools.sandbox import Sandbox, SandboxLimits


@dataclass
class HandlerEnv:
    """What a handler may use: the store context, config, the user's policy, the sandbox."""

    ctx: StoreContext
    config: FFToolExecutionConfigDTO
    policy: FFToolSecurityPolicyDTO
    sandbox: Sandbox
    user_id: str
    mode: ToolExecutionMode
    timeout_seconds: float
    include_debug_info: bool = False


@dataclass
class HandlerOutput:
    data: Any
    result_type: str = "json"
    success: bool = True
    error_message: str | None = None
    error_type: str | None = None
    exit_code: int | None = None
    memory_used_mb: float = 0.0
    cpu_seconds: float = 0.0
    resource_violations: list[str] = field(default_factory=list)
    sandbox_breaches: list[str] = field(default_factory=list)
    generated_files: list[str] = field(default_factory=list)
    debug: dict[str, Any] = field(default_factory=dict)


class ToolHandler(Protocol):
    def validate(self, params: dict[str, Any], env: HandlerEnv) -> None: ...
    def has_side_effects(self, params: dict[str, Any]) -> bool: ...
    def run(self, params: dict[str, Any], env: HandlerEnv) -> HandlerOutput: ...


class _PureHandler:
    def has_side_effects(self, params: dict[str, Any]) -> bool:
        return False


class CalculatorHandler(_PureHandler):
    def validate(self, params: dict[str, Any], env: HandlerEnv) -> None:
        calculator.parse(params["expression"])

    def run(self, params: dict[str, Any], env: HandlerEnv) -> HandlerOutput:
        value = calculator.evaluate(params["expression"])
        return HandlerOutput({"expression": params["expression"], "result": value})


class UnitConverterHandler(_PureHandler):
    def validate(self, params: dict[str, Any], env: HandlerEnv) -> None:
        units.validate(params["from_unit"], params["to_unit"])

    def run(self, params: dict[str, Any], env: HandlerEnv) -> HandlerOutput:
        result = units.convert(float(params["value"]), params["from_unit"], params["to_unit"])
        return HandlerOutput(
            {
                "value": params["value"],
                "from_unit": params["from_unit"],
                "to_unit": params["to_unit"],
                "result": result,
            }
        )


class TranslationHandler(_PureHandler):
    def validate(self, params: dict[str, Any], env: HandlerEnv) -> None:
        translation.check_languages(
            params.get("source_language", "en"),
            params["target_language"],
            env.config.translation_languages,
        )

    def run(self, params: dict[str, Any], env: HandlerEnv) -> HandlerOutput:
        return HandlerOutput(
            translation.translate(
                params["text"],
                params.get("source_language", "en"),
                params["target_language"],
                env.config.translation_languages,
            )
        )


class TextUtilsHandler(_PureHandler):
    def validate(self, params: dict[str, Any], env: HandlerEnv) -> None:
        if params["operation"] not in textutils.OPERATIONS:
            raise ValidationError(
                f"text_utils: unknown operation {params['operation']!r}", key="operation"
            )

    def run(self, params: dict[str, Any], env: HandlerEnv) -> HandlerOutput:
        return HandlerOutput(
            textutils.run(params["operation"], params["text"], int(params.get("sentences", 2)))
        )


class CalendarHandler:
    def validate(self, params: dict[str, Any], env: HandlerEnv) -> None:
        personal_data.validate_calendar(params)

    def has_side_effects(self, params: dict[str, Any]) -> bool:
        return personal_data.has_side_effects(params.get("action", ""))

    def run(self, params: dict[str, Any], env: HandlerEnv) -> HandlerOutput:
        return HandlerOutput(personal_data.PersonalData(env.ctx).calendar(env.user_id, params))


class TasksHandler:
    def validate(self, params: dict[str, Any], env: HandlerEnv) -> None:
        personal_data.validate_tasks(params)

    def has_side_effects(self, params: dict[str, Any]) -> bool:
        return personal_data.has_side_effects(params.get("action", ""))

    def run(self, params: dict[str, Any], env: HandlerEnv) -> HandlerOutput:
        return HandlerOutput(personal_data.PersonalData(env.ctx).tasks(env.user_id, params))


class NotifyHandler:
    def validate(self, params: dict[str, Any], env: HandlerEnv) -> None:
        return None

    def has_side_effects(self, params: dict[str, Any]) -> bool:
        return True

    def run(self, params: dict[str, Any], env: HandlerEnv) -> HandlerOutput:
        return HandlerOutput(personal_data.PersonalData(env.ctx).send(env.user_id, params))


class CommandHandler(_PureHandler):
    """An allow-listed read-only command (fixed by the definition, or from ``command``)."""

    def __init__(self, command: str | None = None, fixed_args: list[str] | None = None) -> None:
        self.command = command
        self.fixed_args = list(fixed_args or [])

    def _vet(self, params: dict[str, Any], env: HandlerEnv) -> Any:
        command = self.command or params.get("command")
        args = [*self.fixed_args, *params.get("args", [])]
        return CommandPolicy(env.config.sandbox).validate(
            command, args, read_only=env.mode is ToolExecutionMode.READ_ONLY
        )

    def validate(self, params: dict[str, Any], env: HandlerEnv) -> None:
        self._vet(params, env)
        env.sandbox.check_files(params.get("files", {}))

    def run(self, params: dict[str, Any], env: HandlerEnv) -> HandlerOutput:
        vetted = self._vet(params, env)
        box, policy = env.config.sandbox, env.policy
        limits = SandboxLimits(
            timeout_seconds=env.timeout_seconds,
            cpu_seconds=max(1, min(box.max_cpu_time, math.ceil(env.timeout_seconds))),
            memory_mb=min(box.max_memory_mb, policy.max_memory_mb),
            file_size_mb=min(box.max_file_size_mb, policy.max_disk_space_mb),
            open_files=box.max_open_files,
            processes=box.max_processes,
            output_bytes=box.max_output_bytes,
        )
        run = env.sandbox.run(vetted, params.get("files", {}), limits)
        debug = {
            "sandbox_layers": run.layers,
            "sandbox_dir": run.sandbox_dir,
            "sandbox_dir_removed": run.sandbox_dir_removed,
            "sandbox_uid": run.uid,
            "wall_time_seconds": round(run.wall_seconds, 6),
            "signal": signal.Signals(run.signal).name if run.signal else None,
            "stderr": run.stderr[-2000:],
        }
        if env.include_debug_info:
            debug.update(argv=run.argv, input_files=run.files, limits=limits.__dict__)
        out = HandlerOutput(
            data=run.stdout,
            result_type="text",
            success=run.ok,
            exit_code=run.exit_code,
            memory_used_mb=run.max_rss_mb,
            cpu_seconds=run.cpu_seconds,
            resource_violations=list(run.resource_violations),
            sandbox_breaches=list(run.breaches),
            debug=debug,
        )
        if run.timed_out:
            out.error_type = TIMEOUT_ERROR
            out.error_message = (
                f"Execution exceeded {env.timeout_seconds:g}s timeout; process group killed"
            )
        elif run.output_limited:
            out.error_type = SANDBOX_EXECUTION_ERROR
            out.error_message = f"Output exceeded {limits.output_bytes} bytes; process group killed"
        elif run.signal is not None:
            out.error_type = SANDBOX_EXECUTION_ERROR
            out.error_message = f"Command killed by {signal.Signals(run.signal).name}"
        elif not run.ok:
            out.error_type = EXECUTION_ERROR
            tail = run.stderr.strip().splitlines()[-1:] or [""]
            out.error_message = f"Command exited with code {run.exit_code}: {tail[0][:300]}"
        if not run.ok and run.resource_violations and out.error_type == EXECUTION_ERROR:
            out.error_type = SANDBOX_EXECUTION_ERROR
            out.error_message = (
                f"{out.error_message} (limit hit: {', '.join(run.resource_violations)})"
            )
        return out


BUILTIN_HANDLERS: dict[str, type] = {
    "calculator": CalculatorHandler,
    "unit_converter": UnitConverterHandler,
    "translation": TranslationHandler,
    "text_utils": TextUtilsHandler,
    "calendar": CalendarHandler,
    "tasks": TasksHandler,
    "notify": NotifyHandler,
    "command": CommandHandler,
}


class _FixedParameters:
    """A built-in handler with some parameters pinned by the tool definition."""

    def __init__(self, inner: ToolHandler, fixed: dict[str, Any]) -> None:
        self.inner, self.fixed = inner, fixed

    def _merge(self, params: dict[str, Any]) -> dict[str, Any]:
        return {**params, **self.fixed}

    def validate(self, params: dict[str, Any], env: HandlerEnv) -> None:
        self.inner.validate(self._merge(params), env)

    def has_side_effects(self, params: dict[str, Any]) -> bool:
        return self.inner.has_side_effects(self._merge(params))

    def run(self, params: dict[str, Any], env: HandlerEnv) -> HandlerOutput:
        return self.inner.run(self._merge(params), env)


def handler_for(implementation: FFToolImplementationDTO) -> ToolHandler:
    if implementation.kind == "command":
        return CommandHandler(implementation.command, implementation.fixed_args)
    name = implementation.handler or ""
    if name not in BUILTIN_HANDLERS:
        raise ValidationError(
            f"unknown built-in handler {name!r} (known: {', '.join(sorted(BUILTIN_HANDLERS))})",
            key="handler",
        )
    inner: ToolHandler = BUILTIN_HANDLERS[name]()
    return (
        _FixedParameters(inner, implementation.fixed_parameters)
        if implementation.fixed_parameters
        else inner
    )
