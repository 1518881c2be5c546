"""Actions over tool execution (``FFToolRegistryManager`` + ``FFToolExecutionManager``): a
per-user registry of built-in and registered tools, a security policy checked in the spec's
order, approvals, caching, chains, and an OS sandbox for allow-listed commands. Everything the
managers write lives under ``users/{u}/tools/`` (read it with ``files.*``); sandbox work
folders live under the world's sandbox root (``tools.sandbox_dirs``).

A denied attempt is not an error: ``tools.execute`` returns the result with ``success: false``,
``error_message``, ``error_type`` and ``denial_reason`` (and the attempt is logged), so
scenarios assert on the result and on ``execution_history.jsonl``. Malformed requests and user
mismatches raise (``ValidationError``, ``SecurityError``).

Built-in categories are honest (``docs/decisions/tool_execution.md``): calendar/tasks are
``database``, ``sandbox_command`` is ``file_system``, ``notification`` is ``communication``;
the default policy allows only computation and web_access, so scenarios allow more with
``tools.update_policy``.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import os
import time
from typing import Annotated, Any, NotRequired

import psutil
from pydantic import Field
from typing_extensions import TypedDict

from flatfile_chat.config.tools import FFToolSecurityPolicyDTO
from flatfile_chat.memory.models import FFMemoryContextDTO
from flatfile_chat.tools import FFToolExecutionManager, FFToolRegistryManager
from flatfile_chat.tools.models import (
    FFToolApprovalDTO,
    FFToolChainResultDTO,
    FFToolDefinitionDTO,
    FFToolExecutionResultDTO,
)
from prism_scenarios.actions.outputs import closed
from prism_scenarios.actions.registry import REAL_TIME_WAIT, Params, action, fuzz_max
from prism_scenarios.components import Component
from prism_scenarios.world import component_factory


@component_factory("tool_execution")
def _tools(world) -> FFToolExecutionManager:
    """One executor per world; its registry is ``.registry`` (both share the audit log)."""
    registry = FFToolRegistryManager(world.store, audit=world.audit)
    return FFToolExecutionManager(world.store, registry, audit=world.audit)


def _executor(world) -> FFToolExecutionManager:
    return world.manager("tool_execution")


def _registry(world) -> FFToolRegistryManager:
    return _executor(world).registry


# -- registry and policy ----------------------------------------------------------------------
class ToolsUser(Params):
    user_id: str


@closed
class ToolStatistics(TypedDict):
    registered_at: str
    total_executions: Annotated[int, Field(description="every attempt, refusals included")]
    successful_executions: int
    last_execution: str | None
    average_execution_time: Annotated[float, Field(description="seconds, over successful runs")]


@closed
class ToolRegistryDocument(TypedDict):
    """``users/{u}/tools/tool_registry.json``."""

    user_id: str
    created_at: str
    last_updated: str
    registered_tools: Annotated[dict[str, FFToolDefinitionDTO], Field(description="by tool_id")]
    tool_statistics: Annotated[dict[str, ToolStatistics], Field(description="by tool_id")]


@action("tools.init", component=Component.TOOL_EXECUTION)
async def tools_init(world, p: ToolsUser) -> ToolRegistryDocument:
    """Initialise a user's tools: ``users/{u}/tools/tool_registry.json`` (built-ins plus
    ``tool_statistics``) and ``security_policies.json`` (a snapshot of
    ``tool_execution.security_policy``); idempotent. The user must exist. Returns the registry
    document."""
    return await _registry(world).initialize_user_tools(p.user_id)


class ToolsRegister(Params):
    user_id: str
    tool: dict[str, Any] = Field(
        description="the definition: tool_id, name, category, "
        "security_risk_level, parameters_schema (JSON "
        "Schema), implementation {kind: builtin|command, "
        "handler, fixed_parameters, command, fixed_args}, "
        "supported_modes, cacheable ..."
    )


@action("tools.register", component=Component.TOOL_EXECUTION)
async def tools_register(world, p: ToolsRegister) -> FFToolDefinitionDTO:
    """Register a user tool in ``tool_registry.json`` after validating the definition (empty
    id/name, risk level, category, schema, handler, command policy); returns it as stored."""
    return await _registry(world).register_tool(p.user_id, p.tool)


class ToolsRef(Params):
    user_id: str
    tool_id: str


@action("tools.unregister", component=Component.TOOL_EXECUTION)
async def tools_unregister(world, p: ToolsRef) -> FFToolDefinitionDTO:
    """Deactivate a user tool (``is_active: false``; history still resolves); built-ins
    cannot be unregistered."""
    return await _registry(world).unregister_tool(p.user_id, p.tool_id)


@action("tools.get", component=Component.TOOL_EXECUTION)
async def tools_get(world, p: ToolsRef) -> FFToolDefinitionDTO:
    """One active tool definition (NotFound: "Tool {id} not found or not available")."""
    return await _registry(world).get_tool(p.user_id, p.tool_id)


class ToolsAvailable(Params):
    user_id: str
    category_filter: str | None = Field(None, description="only this category")
    security_level: str | None = Field(
        None, description="highest security_risk_level (low, medium, high, critical)"
    )


@action("tools.available", component=Component.TOOL_EXECUTION)
async def tools_available(world, p: ToolsAvailable) -> list[FFToolDefinitionDTO]:
    """Tools the user's policy lets run (category allowed, not blocked, estimated duration
    within ``max_execution_time_seconds``), sorted by id."""
    return await _registry(world).get_available_tools(
        p.user_id, p.category_filter, p.security_level
    )


@action("tools.policy", component=Component.TOOL_EXECUTION)
async def tools_policy(world, p: ToolsUser) -> FFToolSecurityPolicyDTO:
    """The user's effective security policy (``security_policies.json``)."""
    return await _registry(world).get_security_policy(p.user_id)


class ToolsUpdatePolicy(Params):
    user_id: str
    changes: dict[str, Any] = Field(
        description="policy fields to change: allowed_categories, "
        "blocked_tools, require_approval, "
        "max_executions_per_hour, cooldown_seconds, "
        "max_concurrent_executions, "
        "max_execution_time_seconds ..."
    )
    changed_by: str = "scenario"


@action("tools.update_policy", component=Component.TOOL_EXECUTION)
async def tools_update_policy(world, p: ToolsUpdatePolicy) -> FFToolSecurityPolicyDTO:
    """Change the user's policy (validated as a whole; a refused change writes nothing); the
    change is appended to ``security_events`` in ``security_policies.json`` and audited.
    Returns the new policy."""
    return await _registry(world).update_security_policy(
        p.user_id, p.changes, changed_by=p.changed_by
    )


# -- execution --------------------------------------------------------------------------------
class ToolRequest(Params):
    user_id: str = Field(description="who calls (the executor's user)")
    tool_id: str
    parameters: dict[str, Any] = Field(default_factory=dict)
    session_id: str | None = None
    execution_mode: str | None = Field(
        None, description="sandbox (default), restricted, trusted or read_only"
    )
    timeout_seconds: float | None = Field(
        None,
        description="wall-clock limit of a command "
        "(checked against the policy's "
        "max_execution_time_seconds)",
    )
    cache_result: bool | None = None
    include_debug_info: bool | None = None
    async_execution: bool | None = None
    requested_by: str | None = Field(None, description="user, system or agent")
    priority: int | None = None
    user_intent: str | None = None
    conversation_context: list[dict[str, Any]] | None = None
    previous_tool_results: list[dict[str, Any]] | None = None
    execution_id: str | None = None
    request_user_id: str | None = Field(
        None, description="user_id written inside the request (a different one is refused)"
    )


_REQUEST_FIELDS = (
    "tool_id",
    "parameters",
    "session_id",
    "execution_mode",
    "timeout_seconds",
    "cache_result",
    "include_debug_info",
    "async_execution",
    "requested_by",
    "priority",
    "user_intent",
    "conversation_context",
    "previous_tool_results",
    "execution_id",
)


def _request(p: ToolRequest) -> dict[str, Any]:
    """Only the fields the scenario gave, so the executor applies its own defaults."""
    request = {
        name: getattr(p, name)
        for name in _REQUEST_FIELDS
        if name in p.model_fields_set or name in ("tool_id", "parameters")
    }
    if p.request_user_id is not None:
        request["user_id"] = p.request_user_id
    return request


class ToolsExecute(ToolRequest):
    remember: dict[str, Any] | None = Field(
        None,
        description="on success, also add a memory item about the result: layer "
        "(default short_term), content (default the result text), "
        "context_type (default insight), relevance_score, topic_tags ...; "
        "metadata gets tool_id, execution_id and result_hash",
    )


def result_text(data: Any) -> str:
    """The text a result hash is computed over: a string as is, other data as canonical JSON
    (sorted keys, compact, UTF-8) — the spec's definition, recomputed here independently."""
    if data is None:
        return ""
    if isinstance(data, str):
        return data
    return json.dumps(data, sort_keys=True, ensure_ascii=False, separators=(",", ":"))


async def _remember(world, p: ToolsExecute, result: FFToolExecutionResultDTO) -> FFMemoryContextDTO:
    world.touch("memory_layer")
    spec = dict(p.remember or {})
    return await _executor(world).remember_result(
        p.user_id,
        result,
        world.manager("memory_layer"),
        layer=spec.pop("layer", "short_term"),
        session_id=p.session_id,
        **spec,
    )


class RememberedExecution(FFToolExecutionResultDTO):
    """With ``remember``: the execution result plus the memory item stored for it."""

    memory: FFMemoryContextDTO | None = Field(description="null when the run did not succeed")


@action("tools.execute", component=Component.TOOL_EXECUTION)
async def tools_execute(world, p: ToolsExecute) -> FFToolExecutionResultDTO | RememberedExecution:
    """Run one tool request through the policy checks (not found, blocked, category,
    approval, parameters, rate limit, concurrency, cooldown, timeout limit), the cache and the
    handler (built-ins in-process, commands in the sandbox). Every attempt, denied ones too,
    is one line of ``execution_history.jsonl`` (and ``performance_metrics.jsonl``); a refusal
    is returned with ``success: false``, ``error_message`` and ``denial_reason``. With
    ``remember``, a successful result is also stored as a memory item (memory_layer)."""
    result = await _executor(world).execute_tool(p.user_id, _request(p))
    if p.remember is None:
        return result
    memory = await _remember(world, p, result) if result.success else None
    return RememberedExecution(**dict(result), memory=memory)


class ToolsValidate(ToolRequest):
    pass


@closed
class RequestCheck(TypedDict):
    valid: bool
    message: Annotated[str, Field(description="why the execution would be refused")]


@action("tools.validate", component=Component.TOOL_EXECUTION)
async def tools_validate(world, p: ToolsValidate) -> RequestCheck:
    """Dry run of every policy check (nothing runs, is claimed or written): ``{valid,
    message}`` with the message the execution would be refused with."""
    valid, message = await _registry(world).validate_tool_request(p.user_id, _request(p))
    return {"valid": valid, "message": message}


class ToolsRepeat(Params):
    user_id: str
    tool_id: str
    parameters: dict[str, Any] = Field(
        default_factory=dict, description="'{n}' in a string value becomes the repetition number"
    )
    times: int = Field(description="how many executions", json_schema_extra=fuzz_max(5))
    advance_seconds: float = Field(
        0, description="move the scenario clock this far after each execution (e.g. the cooldown)"
    )
    session_id: str | None = None


def _numbered(value: Any, n: int) -> Any:
    if isinstance(value, str):
        return value.replace("{n}", str(n))
    if isinstance(value, dict):
        return {k: _numbered(v, n) for k, v in value.items()}
    if isinstance(value, list):
        return [_numbered(v, n) for v in value]
    return value


@closed
class Repetition(TypedDict):
    n: int
    execution_id: str
    success: bool
    cached_result: bool
    error_message: str | None


@closed
class Repetitions(TypedDict):
    attempts: int
    succeeded: int
    failed: int
    cached: int
    error_messages: Annotated[list[str], Field(description="distinct, sorted")]
    executions: list[Repetition]


@action("tools.repeat", component=Component.TOOL_EXECUTION)
async def tools_repeat(world, p: ToolsRepeat) -> Repetitions:
    """Execute the same tool ``times`` times (parameters numbered with ``{n}``), moving the
    clock ``advance_seconds`` after each; returns ``{attempts, succeeded, failed, cached,
    error_messages, executions: [{n, execution_id, success, cached_result, error_message}]}``.
    For rate limits: every execution is a real attempt with its own history line."""
    executor, executions = _executor(world), []
    for n in range(1, p.times + 1):
        request = {"tool_id": p.tool_id, "parameters": _numbered(p.parameters, n)}
        if p.session_id is not None:
            request["session_id"] = p.session_id
        result = await executor.execute_tool(p.user_id, request)
        executions.append(
            {
                "n": n,
                "execution_id": result.execution_id,
                "success": result.success,
                "cached_result": result.cached_result,
                "error_message": result.error_message,
            }
        )
        if p.advance_seconds:
            world.clock.advance(seconds=p.advance_seconds)
    return {
        "attempts": len(executions),
        "succeeded": sum(1 for e in executions if e["success"]),
        "failed": sum(1 for e in executions if not e["success"]),
        "cached": sum(1 for e in executions if e["cached_result"]),
        "error_messages": sorted({e["error_message"] for e in executions if e["error_message"]}),
        "executions": executions,
    }


class ToolsConcurrently(Params):
    user_id: str
    requests: list[dict[str, Any]] = Field(
        description="tool requests (tool_id, parameters, "
        "timeout_seconds ...); the first "
        "should run long enough to overlap"
    )
    overlap_within_seconds: float = Field(
        5.0,
        ge=0,
        json_schema_extra=REAL_TIME_WAIT,
        description="real-time limit for a request to take its execution slot",
    )


def _slots_held(executor: FFToolExecutionManager, user_id: str, limit: int) -> int:
    """Busy execution slots. ``busy`` probes each slot by locking it for an instant, so the
    probe takes the user's admission lock first: slots are only claimed under that lock, and a
    probe must never make a concurrent claim fail."""
    fs = executor.store.ctx.fs
    fs.ensure_dir(executor.paths.runtime_dir(user_id))
    with fs.lock(executor.paths.admission(user_id)):
        return executor.slots.busy(user_id, limit)


@action("tools.execute_concurrently", component=Component.TOOL_EXECUTION)
async def tools_execute_concurrently(world, p: ToolsConcurrently) -> list[FFToolExecutionResultDTO]:
    """Run requests at the same time, each in its own thread, starting each one only once
    the previous one holds an execution slot (or has finished), so the overlap is certain;
    returns the results in request order."""
    executor = _executor(world)
    limit = (await _registry(world).get_security_policy(p.user_id)).max_concurrent_executions
    tasks: list[asyncio.Future[Any]] = []
    for request in p.requests:
        held = _slots_held(executor, p.user_id, limit)
        tasks.append(
            asyncio.ensure_future(asyncio.to_thread(executor.execute_sync, p.user_id, request))
        )
        deadline = time.monotonic() + p.overlap_within_seconds
        while (
            not tasks[-1].done()
            and _slots_held(executor, p.user_id, limit) <= held
            and time.monotonic() < deadline
        ):
            await asyncio.sleep(0.01)
    return list(await asyncio.gather(*tasks))


class ToolsChain(Params):
    user_id: str
    steps: list[dict[str, Any]] = Field(
        description="tool requests in order (tool_id, parameters, session_id ...)"
    )
    chain_id: str | None = None


@action("tools.chain", component=Component.TOOL_EXECUTION)
async def tools_chain(world, p: ToolsChain) -> FFToolChainResultDTO:
    """Run a chain: step k's request gets ``previous_tool_results`` = steps 1..k-1 (its history
    line ``previous_execution_ids``); the first failed or refused step stops the chain and later
    steps are never attempted. Returns ``{chain_id, success, steps, completed_steps,
    total_steps, failed_step, stopped_early}``."""
    return await _executor(world).execute_chain(p.user_id, p.steps, chain_id=p.chain_id)


# -- approvals --------------------------------------------------------------------------------
class ToolsApprove(Params):
    user_id: str
    approval_id: str | None = Field(None, description="a pending request to approve")
    tool_id: str | None = Field(None, description="grant this tool up front instead")
    parameters: dict[str, Any] | None = Field(
        None, description="pin the grant to these parameters (any if unset)"
    )
    approved_by: str = "scenario"
    uses: int | None = Field(None, description="executions allowed (default 1)")
    ttl_seconds: float | None = Field(
        None, description="validity by the scenario clock (default 3600)"
    )


@action("tools.approve", component=Component.TOOL_EXECUTION)
async def tools_approve(world, p: ToolsApprove) -> FFToolApprovalDTO:
    """Approve a pending request (``approval_id``) or grant ``tool_id`` up front, in
    ``users/{u}/tools/approvals.json``; audited (``tool_approval_granted``)."""
    extra = {
        name: getattr(p, name) for name in ("uses", "ttl_seconds") if getattr(p, name) is not None
    }
    return await _executor(world).approve(
        p.user_id,
        p.approval_id,
        tool_id=p.tool_id,
        parameters=p.parameters,
        approved_by=p.approved_by,
        **extra,
    )


class ToolsReject(Params):
    user_id: str
    approval_id: str
    rejected_by: str = "scenario"


@action("tools.reject", component=Component.TOOL_EXECUTION)
async def tools_reject(world, p: ToolsReject) -> FFToolApprovalDTO:
    """Reject an approval request (status ``rejected``, no uses left); audited."""
    return await _executor(world).reject_approval(
        p.user_id, p.approval_id, rejected_by=p.rejected_by
    )


class ToolsApprovals(Params):
    user_id: str
    status: str | None = Field(None, description="pending, approved, consumed or rejected")


@action("tools.approvals", component=Component.TOOL_EXECUTION)
async def tools_approvals(world, p: ToolsApprovals) -> list[FFToolApprovalDTO]:
    """The user's approval records (``approvals.json``), optionally of one status."""
    return await _executor(world).list_approvals(p.user_id, p.status)


# -- history, metrics, cache ------------------------------------------------------------------
class ToolsHistory(Params):
    user_id: str
    tool_id: str | None = None
    limit: int | None = Field(None, description="the last N attempts (default 100)")


@closed
class HistoryLine(TypedDict):
    """One attempt in ``execution_history.jsonl`` (refusals and cache hits included)."""

    execution_id: str
    tool_id: str
    user_id: str
    session_id: str | None
    success: bool
    execution_time_seconds: float
    start_timestamp: str
    end_timestamp: str
    error_message: str | None
    error_type: str | None
    result_size_bytes: int
    result_hash: str
    cached_result: bool
    execution_mode: str
    denial_reason: str | None
    truncated: bool
    exit_code: int | None
    resource_violations: list[str]
    memory_used_mb: NotRequired[
        Annotated[float, Field(description="with tool_execution.record_measured_usage")]
    ]
    cpu_usage_percent: NotRequired[
        Annotated[float, Field(description="with tool_execution.record_measured_usage")]
    ]
    output_preview: NotRequired[
        Annotated[
            str,
            Field(description="with the policy's log_tool_outputs: the start of the result text"),
        ]
    ]
    approval_id: NotRequired[Annotated[str, Field(description="the approval it consumed")]]
    chain_id: NotRequired[str]
    chain_step: NotRequired[int]
    previous_execution_ids: NotRequired[list[str]]


@action("tools.history", component=Component.TOOL_EXECUTION)
async def tools_history(world, p: ToolsHistory) -> list[HistoryLine]:
    """The last ``limit`` attempts (optionally of one tool), oldest first, as stored in
    ``execution_history.jsonl``."""
    extra = {"limit": p.limit} if p.limit is not None else {}
    return await _executor(world).get_execution_history(p.user_id, p.tool_id, **extra)


class ToolsMetrics(Params):
    user_id: str
    tool_id: str | None = None
    time_period_days: float | None = None


@closed
class ToolMetrics(TypedDict):
    """Rates and averages are 0.0 without attempts."""

    tool_id: str | None
    time_period_days: float
    total_attempts: int
    executions: Annotated[int, Field(description="attempts that ran (not refused)")]
    successful_executions: int
    denied_attempts: int
    success_rate: float
    cache_hits: int
    cache_hit_rate: float
    average_execution_time_seconds: float
    max_execution_time_seconds: float
    p95_execution_time_seconds: float
    average_result_size_bytes: float
    average_memory_used_mb: float


@action("tools.metrics", component=Component.TOOL_EXECUTION)
async def tools_metrics(world, p: ToolsMetrics) -> ToolMetrics:
    """Performance summary from ``performance_metrics.jsonl`` (attempts, executions, denied,
    success and cache-hit rates, times, sizes) over the period (default 30 days)."""
    extra = {"time_period_days": p.time_period_days} if p.time_period_days is not None else {}
    return await _executor(world).get_performance_metrics(p.user_id, p.tool_id, **extra)


@action("tools.prune_cache", component=Component.TOOL_EXECUTION)
async def tools_prune_cache(world, p: ToolsUser) -> int:
    """Drop expired entries from every ``tool_cache/{tool_id}/results.jsonl``; returns how
    many were removed."""
    return await _executor(world).prune_cache(p.user_id)


@action("tools.statistics", component=Component.TOOL_EXECUTION)
async def tools_statistics(world, p: ToolsUser) -> dict[str, ToolStatistics]:
    """Rebuild ``tool_statistics`` in ``tool_registry.json`` from the history and return them
    (equal to the stored ones unless something edited the files)."""
    return await _registry(world).recompute_statistics(p.user_id)


# -- evidence outside the store: sandbox folders, processes, hashes ----------------------------
class SandboxDirs(Params):
    exclude: list[str] = Field(
        default_factory=list,
        description="names to leave out, typically the entries saved earlier ('what is new since')",
    )


@closed
class SandboxListing(TypedDict):
    exists: bool
    entries: list[str]


@action("tools.sandbox_dirs", component=Component.RUNNER)
async def tools_sandbox_dirs(world, p: SandboxDirs) -> SandboxListing:
    """What is in the world's sandbox root (``tool_execution.sandbox.temp_root``):
    ``{exists, entries}``. ``exists: false`` means no sandbox was ever prepared in this
    scenario (nothing spawned, not even the bubblewrap probe). Per-execution work folders
    (``ffsbx_*``; the bubblewrap probe makes one too) are kept only with
    ``cleanup_temp_files: false``."""
    root = world.sandbox_root
    if not root.is_dir():
        return {"exists": False, "entries": []}
    return {
        "exists": True,
        "entries": sorted(
            n for n in os.listdir(root) if not n.startswith(".") and n not in p.exclude
        ),
    }


class ToolsProcesses(Params):
    cmdline: list[str] = Field(
        min_length=1,
        description="exact argument vector, e.g. "
        "[sleep, '9.137'] (kernel threads, "
        "whose vector is empty, never match)",
    )
    uid: int | None = Field(
        None,
        description="only processes of this real uid, e.g. the "
        "run's debug_information.sandbox_uid (any uid "
        "if null)",
    )
    wait_seconds: float = Field(
        3.0,
        ge=0,
        json_schema_extra=REAL_TIME_WAIT,
        description="wait up to this long (real time) for matching processes to go away",
    )


@closed
class ProcessInfo(TypedDict):
    pid: int
    uid: int | None
    cmdline: list[str]


@action("tools.processes", component=Component.RUNNER)
async def tools_processes(world, p: ToolsProcesses) -> list[ProcessInfo]:
    """Live processes (zombies excluded) on this machine whose argument vector is
    ``cmdline`` (and real uid ``uid``), after waiting up to ``wait_seconds`` for them to end:
    ``[{pid, uid, cmdline}]`` (empty when a killed command left nothing behind)."""
    deadline = time.monotonic() + p.wait_seconds
    while True:
        found = []
        for proc in psutil.process_iter(["pid", "cmdline", "status", "uids"]):
            info = proc.info
            uids = info.get("uids")
            uid = uids.real if uids else None
            if (
                info.get("cmdline") == p.cmdline
                and info.get("status") != psutil.STATUS_ZOMBIE
                and (p.uid is None or uid == p.uid)
            ):
                found.append({"pid": info["pid"], "uid": uid, "cmdline": info["cmdline"]})
        if not found or time.monotonic() >= deadline:
            return found
        await asyncio.sleep(0.05)


class ToolsHash(Params):
    value: Any = Field(description="a tool result (text or data), typically '${saved}'")


@closed
class ResultHash(TypedDict):
    sha256: str
    result_hash: Annotated[str, Field(description="the first 16 hex digits of sha256")]
    size_bytes: int


@action("tools.hash", component=Component.RUNNER)
async def tools_hash(world, p: ToolsHash) -> ResultHash:
    """Recompute a result hash independently: ``{sha256, result_hash, size_bytes}`` where
    ``result_hash`` = sha256(result text)[:16] and the text of structured data is its
    canonical JSON."""
    text = result_text(p.value).encode("utf-8")
    digest = hashlib.sha256(text).hexdigest()
    return {"sha256": digest, "result_hash": digest[:16], "size_bytes": len(text)}
