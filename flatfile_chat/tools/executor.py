"""``FFToolExecutionManager``: run a tool request through the policy, the cache and the
handler, and record the attempt exactly once.

Flow of :meth:`FFToolExecutionManager.execute_tool` (all checks before anything runs):

1. not found → blocked → category → approval → parameters (schema, mode, the tool's own
   validation: calculator parse, language list, command policy) — pure checks;
2. under the user's admission lock (so two processes cannot both take the 100th slot):
   rate limit (history rows in the last hour + executions in flight; fails closed), cache
   lookup (a hit skips concurrency and cooldown: it uses no execution resources), concurrency
   slot, cooldown, timeout limit, approval consumption, cooldown mark;
3. run the handler (built-in in-process, command in the sandbox), finalise the result (scan,
   truncate, hash), cache it, write history + metrics + statistics, audit violations.
"""

from __future__ import annotations

import time
from contextlib import ExitStack
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from flatfile_chat.audit import AuditSink
from flatfile_chat.clock import isoformat
from flatfile_chat.config.tools import FFToolSecurityPolicyDTO
from flatfile_chat.errors import (
    FFError,
    NotFound,
    SecurityError,
    StorageCorrupted,
    ValidationError,
)
from flatfile_chat.storage.paths import validate_id
from flatfile_chat.store import FFStorageManager
from flatfile_chat.tools import policy as checks
from flatfile_chat.tools.approvals import ApprovalStore
from flatfile_chat.tools.cache import ResultCache, cache_key
from flatfile_chat.tools.handlers import HandlerEnv, HandlerOutput, ToolHandler, handler_for
from flatfile_chat.tools.history import (
    ExecutionLog,
    history_line,
    metrics_line,
    sampled,
    summarize,
)
from flatfile_chat.tools.limits import ConcurrencySlots, Cooldowns
from flatfile_chat.tools.models import (
    BUILTIN_EXECUTION_ERROR,
    EXECUTION_ERROR,
    FFToolApprovalDTO,
    FFToolChainResultDTO,
    FFToolDefinitionDTO,
    FFToolExecutionRequestDTO,
    FFToolExecutionResultDTO,
    ToolExecutionMode,
)
from flatfile_chat.tools.rate_window import RateWindow
from flatfile_chat.tools.registry import COMPONENT, FFToolRegistryManager
from flatfile_chat.tools.results import finalize, result_text
from flatfile_chat.tools.sandbox import Sandbox
from flatfile_chat.validation import parse_input

RequestLike = FFToolExecutionRequestDTO | dict[str, Any]
_OUTPUT_PREVIEW_CHARS = 200


@dataclass
class _Attempt:
    """One call in progress: the request plus everything the checks resolved."""

    user_id: str
    request: FFToolExecutionRequestDTO
    mode: ToolExecutionMode
    start: datetime
    timeout: float
    definition: FFToolDefinitionDTO | None = None
    handler: ToolHandler | None = None
    env: HandlerEnv | None = None
    approval: FFToolApprovalDTO | None = None
    policy: FFToolSecurityPolicyDTO | None = None
    extra: dict[str, Any] = field(default_factory=dict)  # chain fields for the history line


class FFToolExecutionManager:
    def __init__(
        self,
        store: FFStorageManager,
        registry: FFToolRegistryManager,
        *,
        audit: AuditSink | None = None,
        sandbox: Sandbox | None = None,
    ) -> None:
        self.store = store
        self.registry = registry
        self.config = store.config.tool_execution
        self._ctx = store.ctx
        self.paths = registry.paths
        self.audit = audit
        self.log = ExecutionLog(self._ctx, self.paths)
        self.cache = ResultCache(self._ctx, self.paths)
        self.approvals = ApprovalStore(self._ctx, self.paths)
        self.slots = ConcurrencySlots(self._ctx, self.paths)
        self.cooldowns = Cooldowns(self._ctx, self.paths)
        self.rate = RateWindow(self._ctx, self.paths, self.log)
        self.sandbox = sandbox or Sandbox(
            self.config.sandbox, cleanup=self.config.cleanup_temp_files
        )

    # -- async API (upstream ToolExecutionProtocol + approvals and chains) -----------------
    async def execute_tool(self, user_id: str, request: RequestLike) -> FFToolExecutionResultDTO:
        return await self.store.run_io(self.execute_sync, user_id, request)

    async def execute_chain(
        self, user_id: str, steps: list[RequestLike], *, chain_id: str | None = None
    ) -> FFToolChainResultDTO:
        return await self.store.run_io(self._chain, user_id, steps, chain_id)

    async def approve(
        self,
        user_id: str,
        approval_id: str | None = None,
        *,
        tool_id: str | None = None,
        parameters: dict[str, Any] | None = None,
        approved_by: str = "system",
        uses: int = 1,
        ttl_seconds: float = 3600,
    ) -> FFToolApprovalDTO:
        """Approve a pending request (``approval_id``) or grant ``tool_id`` up front."""
        return await self.store.run_io(
            self._approve, user_id, approval_id, tool_id, parameters, approved_by, uses, ttl_seconds
        )

    async def reject_approval(
        self, user_id: str, approval_id: str, *, rejected_by: str = "system"
    ) -> FFToolApprovalDTO:
        return await self.store.run_io(self._reject, user_id, approval_id, rejected_by)

    async def list_approvals(
        self, user_id: str, status: str | None = None
    ) -> list[FFToolApprovalDTO]:
        await self.store.run_io(self._require_user, user_id)
        return await self.store.run_io(self.approvals.list, user_id, status)

    async def get_execution_history(
        self, user_id: str, tool_id: str | None = None, limit: int = 100
    ) -> list[dict[str, Any]]:
        """The last ``limit`` attempts (optionally of one tool), oldest first, as in the file."""
        return await self.store.run_io(self._history, user_id, tool_id, limit)

    async def get_performance_metrics(
        self, user_id: str, tool_id: str | None = None, time_period_days: float = 30
    ) -> dict[str, Any]:
        return await self.store.run_io(self._metrics, user_id, tool_id, time_period_days)

    async def expire_history(self, user_id: str) -> int:
        """Apply ``retain_execution_history_days`` now (appends apply it as they go): drop
        older history and metrics lines; returns how many attempts were removed."""
        return await self.store.run_io(self._expire_history, user_id)

    def _expire_history(self, user_id: str) -> int:
        self._require_user(user_id)
        days = self.registry.policies.get(user_id).retain_execution_history_days
        return self.log.expire(user_id, self._ctx.clock.now() - timedelta(days=days))

    async def prune_cache(self, user_id: str) -> int:
        """Drop expired cache entries of every tool; returns how many were removed."""
        return await self.store.run_io(self._prune_cache, user_id)

    # -- execution -------------------------------------------------------------------------

    async def remember_result(
        self,
        user_id: str,
        result: FFToolExecutionResultDTO,
        memory: Any,
        *,
        layer: str = "short_term",
        session_id: str | None = None,
        **fields: Any,
    ) -> Any:
        """Put a successful result into the user's memory (``include_tool_context_in_memory``):
        content is the result text, ``context_type`` insight by default, and the metadata ties
        it to the execution (tool_id, execution_id, result_hash). A failed or denied execution
        is not remembered (ValidationError)."""
        if not self.config.include_tool_context_in_memory:
            raise ValidationError(
                "tool_execution.include_tool_context_in_memory is off",
                key="include_tool_context_in_memory",
            )
        if not result.success:
            raise ValidationError(
                f"execution {result.execution_id!r} did not succeed; only results are remembered",
                key="execution_id",
            )
        metadata = {
            **fields.pop("metadata", {}),
            "tool_id": result.tool_id,
            "execution_id": result.execution_id,
            "result_hash": result.result_hash,
        }
        context = {
            "content": result_text(result.result_data),
            "context_type": "insight",
            **({"session_id": session_id} if session_id else {}),
            **fields,
            "metadata": metadata,
        }
        return await memory.add_memory_context(user_id, context, layer)

    def execute_sync(
        self, user_id: str, request: RequestLike, *, extra: dict[str, Any] | None = None
    ) -> FFToolExecutionResultDTO:
        registry = self.registry.ensure_initialized(user_id)
        attempt = self._start(user_id, self._coerce(user_id, request), extra or {})
        denial = self._pure_checks(attempt, registry)
        if denial is not None:
            return self._deny(attempt, denial)
        stack = ExitStack()
        try:
            outcome = self._admit(attempt, stack)
            if isinstance(outcome, FFToolExecutionResultDTO):
                return outcome
            return self._run(attempt)
        finally:
            stack.close()

    def _coerce(self, user_id: str, request: RequestLike) -> FFToolExecutionRequestDTO:
        """A well-formed request or ``ValidationError`` (nothing logged: no tool to blame)."""
        req = (
            request.model_copy()
            if isinstance(request, FFToolExecutionRequestDTO)
            else parse_input(FFToolExecutionRequestDTO, request, "tool request")
        )
        if req.user_id and req.user_id != user_id:
            if self.audit is not None:
                self.audit.record(
                    "tool_request_user_mismatch",
                    component=COMPONENT,
                    actor=user_id,
                    outcome="denied",
                    details={"request_user_id": req.user_id, "tool_id": req.tool_id},
                )
            raise SecurityError(
                f"request user_id {req.user_id!r} does not match {user_id!r}",
                key="user_id",
                value=req.user_id,
            )
        return req

    def _start(
        self, user_id: str, req: FFToolExecutionRequestDTO, extra: dict[str, Any]
    ) -> _Attempt:
        now = self._ctx.clock.now()
        req = req.model_copy(
            update={
                "user_id": user_id,
                "execution_id": req.execution_id or self._ctx.ids.prefixed("exec", 12),
                "request_timestamp": req.request_timestamp or self._ctx.now_iso(),
            }
        )
        mode = req.execution_mode or ToolExecutionMode(self.config.default_execution_mode)
        timeout = req.timeout_seconds or self.config.execution_timeout_seconds
        return _Attempt(
            user_id=user_id, request=req, mode=mode, start=now, timeout=timeout, extra=extra
        )

    def _pure_checks(
        self, attempt: _Attempt, registry: dict[str, Any], *, dry_run: bool = False
    ) -> checks.Denial | None:
        """Found, blocked, category, approval, parameters. ``dry_run``: a missing approval
        is reported without filing an approval request (``validate_tool_request``)."""
        req, user_id = attempt.request, attempt.user_id
        policy = attempt.policy = self.registry.policies.get(user_id)
        attempt.definition = self.registry.lookup(user_id, req.tool_id, registry)
        denial = checks.check_found(req.tool_id, attempt.definition) or checks.check_blocked(
            policy, req.tool_id
        )
        if denial is not None:
            return denial
        definition = attempt.definition
        assert definition is not None
        denial = checks.check_category(policy, definition) or self._check_approval(
            attempt, policy, dry_run=dry_run
        )
        if denial is not None:
            return denial
        attempt.handler = handler_for(definition.implementation)
        attempt.env = HandlerEnv(
            ctx=self._ctx,
            config=self.config,
            policy=policy,
            sandbox=self.sandbox,
            user_id=user_id,
            mode=attempt.mode,
            timeout_seconds=attempt.timeout,
            include_debug_info=req.include_debug_info,
        )
        return checks.check_parameters(
            definition, attempt.handler, req.parameters, attempt.env, req.async_execution
        )

    def _check_approval(
        self, attempt: _Attempt, policy: Any, dry_run: bool = False
    ) -> checks.Denial | None:
        req = attempt.request
        if req.tool_id not in policy.require_approval:
            return None
        attempt.approval = self.approvals.find_valid(
            attempt.user_id, req.tool_id, req.parameters, attempt.start
        )
        if attempt.approval is not None:
            return None
        if dry_run:
            return checks.Denial(
                "approval_required", f"Tool {req.tool_id} requires approval before execution"
            )
        pending = self.approvals.request(
            attempt.user_id,
            req.tool_id,
            req.parameters,
            execution_id=req.execution_id,
            requested_by=req.requested_by,
        )
        return checks.Denial(
            "approval_required",
            f"Tool {req.tool_id} requires approval before execution "
            f"(approval request {pending.approval_id})",
            approval_id=pending.approval_id,
        )

    def _admit(self, attempt: _Attempt, stack: ExitStack) -> FFToolExecutionResultDTO | None:
        """Rate, cache, concurrency, cooldown, timeout — atomically per user.

        Returns a finished result (denied or cached) or None with a slot held in ``stack``.
        """
        req, user_id, definition = attempt.request, attempt.user_id, attempt.definition
        assert definition is not None and attempt.env is not None
        policy = attempt.env.policy
        fs = self._ctx.fs
        fs.ensure_dir(self.paths.runtime_dir(user_id))
        with fs.lock(self.paths.admission(user_id)):
            try:
                recent = self.rate.attempts_in_window(
                    user_id, attempt.start, policy.max_executions_per_hour
                )
            except StorageCorrupted as exc:
                return self._deny(attempt, checks.rate_unreadable(exc.message))
            in_flight = self.slots.busy(user_id, policy.max_concurrent_executions)
            denial = checks.check_rate(recent, in_flight, policy)
            if denial is not None:
                return self._deny(attempt, denial)
            key = cache_key(definition, req.parameters)
            if self._cacheable(attempt):
                entry = self.cache.lookup(user_id, req.tool_id, key, attempt.start)
                if entry is not None:
                    return self._serve_cached(attempt, entry)
            slot = self.slots.claim(user_id, policy.max_concurrent_executions)
            denial = checks.check_concurrency(slot is not None, policy)
            if denial is None:
                stack.enter_context(slot)  # type: ignore[arg-type]
                last = self.cooldowns.last_start(
                    user_id, req.tool_id, lambda: self.log.read(user_id)
                )
                denial = (
                    checks.check_cooldown(req.tool_id, last, attempt.start, policy)
                    or checks.check_timeout(attempt.timeout, policy)
                    or self._consume_approval(attempt)
                )
            if denial is not None:
                stack.close()
                return self._deny(attempt, denial)
            self.cooldowns.mark(user_id, req.tool_id, attempt.start)
        attempt.extra["cache_key"] = key
        return None

    def _cacheable(self, attempt: _Attempt) -> bool:
        definition = attempt.definition
        return bool(
            definition
            and definition.cacheable
            and self.config.enable_result_caching
            and attempt.request.cache_result
        )

    def _consume_approval(self, attempt: _Attempt) -> checks.Denial | None:
        if attempt.approval is None:
            return None
        if self.approvals.consume(
            attempt.user_id,
            attempt.approval.approval_id,
            attempt.request.execution_id,
            attempt.start,
        ):
            attempt.extra["approval_id"] = attempt.approval.approval_id
            return None
        return checks.Denial(
            "approval_required",
            f"Tool {attempt.request.tool_id} requires approval before "
            "execution (the approval was used up)",
        )

    def _serve_cached(self, attempt: _Attempt, entry: dict[str, Any]) -> FFToolExecutionResultDTO:
        denial = (
            checks.check_timeout(attempt.timeout, attempt.env.policy)  # type: ignore[union-attr]
            or self._consume_approval(attempt)
        )
        if denial is not None:
            return self._deny(attempt, denial)
        result = self._result(attempt, success=True)
        result.result_data = entry["result_data"]
        result.result_type = entry["result_type"]
        result.result_hash = entry["result_hash"]
        result.result_size_bytes = entry["result_size_bytes"]
        result.truncated = entry.get("truncated", False)
        result.cached_result = True
        result.integration_context["cached_from_execution_id"] = entry["execution_id"]
        result.debug_information["sandbox_layers"] = ["cache"]
        return self._record(attempt, result)

    def _run(self, attempt: _Attempt) -> FFToolExecutionResultDTO:
        assert attempt.handler is not None and attempt.env is not None
        started = time.perf_counter()
        try:
            output = attempt.handler.run(attempt.request.parameters, attempt.env)
        except FFError as exc:  # e.g. division by zero, unknown task id, install problem
            output = HandlerOutput(
                data=None,
                success=False,
                error_message=exc.message,
                error_type=BUILTIN_EXECUTION_ERROR
                if attempt.definition.implementation.kind == "builtin"  # type: ignore[union-attr]
                else EXECUTION_ERROR,
            )
        wall = time.perf_counter() - started
        final = finalize(
            output.data,
            output.result_type,
            max_length=self.config.max_tool_result_length,
            scan=self.config.enable_security_scanning,
        )
        result = self._result(attempt, success=output.success)
        result.result_data = final.data
        result.result_type = final.result_type
        result.result_hash = final.result_hash
        result.result_size_bytes = final.size_bytes
        result.truncated = final.truncated
        result.error_message, result.error_type = output.error_message, output.error_type
        result.exit_code = output.exit_code
        result.memory_used_mb = round(output.memory_used_mb, 3)
        result.cpu_usage_percent = round(100 * output.cpu_seconds / wall, 3) if wall else 0.0
        result.resource_violations = output.resource_violations
        result.sandbox_breaches = output.sandbox_breaches
        result.generated_files = output.generated_files
        result.debug_information = {
            "sandbox_layers": ["in_process"],
            **output.debug,
            "wall_time_seconds": round(wall, 6),
        }
        if final.masked:
            result.security_events.append(
                {"event_type": "sensitive_data_masked", "kinds": final.masked}
            )
        quarantined = bool(final.masked) and self.config.quarantine_suspicious_results
        result.integration_context["quarantined"] = quarantined
        if result.success and self._cacheable(attempt) and not quarantined:
            self.cache.store(
                attempt.user_id,
                attempt.request.tool_id,
                attempt.extra.pop("cache_key"),
                execution_id=result.execution_id,
                result_data=final.data,
                result_type=final.result_type,
                result_hash=final.result_hash,
                result_size_bytes=final.size_bytes,
                truncated=final.truncated,
                now=self._ctx.clock.now(),
                expiry_hours=self.config.cache_expiry_hours,
            )
        self._audit_violations(attempt, result)
        return self._record(attempt, result)

    # -- results, denials, logging -----------------------------------------------------------
    def _result(self, attempt: _Attempt, *, success: bool) -> FFToolExecutionResultDTO:
        req = attempt.request
        context = {
            k: v
            for k, v in {
                "session_id": req.session_id,
                "chain_id": attempt.extra.get("chain_id"),
                "chain_step": attempt.extra.get("chain_step"),
                "approval_id": attempt.extra.get("approval_id"),
            }.items()
            if v is not None
        }
        return FFToolExecutionResultDTO(
            execution_id=req.execution_id,
            tool_id=req.tool_id,
            user_id=attempt.user_id,
            session_id=req.session_id,
            success=success,
            start_timestamp=isoformat(attempt.start),
            execution_mode=attempt.mode.value,
            integration_context=context,
        )

    def _deny(self, attempt: _Attempt, denial: checks.Denial) -> FFToolExecutionResultDTO:
        result = self._result(attempt, success=False)
        result.error_message, result.error_type = denial.message, denial.error_type
        result.denial_reason = denial.reason
        event = {
            "event_type": "tool_execution_denied",
            "reason": denial.reason,
            "message": denial.message,
        }
        if denial.approval_id is not None:
            event["approval_id"] = denial.approval_id
            result.integration_context["pending_approval_id"] = denial.approval_id
        result.security_events.append(event)
        if self.audit is not None and self._policy(attempt).log_security_events:
            self.audit.record(
                "tool_execution_denied",
                component=COMPONENT,
                actor=attempt.user_id,
                outcome="denied",
                details={
                    "tool_id": attempt.request.tool_id,
                    "execution_id": attempt.request.execution_id,
                    "reason": denial.reason,
                    "message": denial.message,
                },
            )
        return self._record(attempt, result)

    def _policy(self, attempt: _Attempt) -> FFToolSecurityPolicyDTO:
        if attempt.policy is None:
            attempt.policy = self.registry.policies.get(attempt.user_id)
        return attempt.policy

    def _audit_violations(self, attempt: _Attempt, result: FFToolExecutionResultDTO) -> None:
        if self.audit is None or not self._policy(attempt).log_security_events:
            return
        for event, key, found in (
            ("tool_resource_violation", "violations", result.resource_violations),
            ("tool_sandbox_breach", "breaches", result.sandbox_breaches),
        ):
            if found:
                self.audit.record(
                    event,
                    component=COMPONENT,
                    actor=attempt.user_id,
                    outcome="failure",
                    details={
                        "tool_id": result.tool_id,
                        "execution_id": result.execution_id,
                        key: found,
                    },
                )

    def _record(
        self, attempt: _Attempt, result: FFToolExecutionResultDTO
    ) -> FFToolExecutionResultDTO:
        """Finish timing and write the attempt once: history, metrics, statistics."""
        end = self._ctx.clock.now()
        result.end_timestamp = isoformat(end)
        result.execution_time_seconds = round((end - attempt.start).total_seconds(), 6)
        extra = {k: v for k, v in attempt.extra.items() if k != "cache_key"}
        if self._policy(attempt).log_tool_outputs and result.result_data is not None:
            extra["output_preview"] = result_text(result.result_data)[:_OUTPUT_PREVIEW_CHARS]
        record_usage = self.config.record_measured_usage
        line = history_line(result, record_usage=record_usage, extra=extra)
        keep_after = end - timedelta(days=self._policy(attempt).retain_execution_history_days)
        try:
            self.rate.record(
                attempt.user_id,
                result.start_timestamp,
                self._policy(attempt).max_executions_per_hour,
                lambda: self.log.append(attempt.user_id, line, keep_after=keep_after),
            )
        except StorageCorrupted as exc:
            if result.success:
                raise
            # A refusal (e.g. the fail-closed rate limit) over a damaged history: still
            # refuse, say the line could not be written, and leave a trace in the audit log.
            result.log_entries.append(f"execution history not written: {exc.message}")
            if self.audit is not None:
                self.audit.record(
                    "tool_history_unwritable",
                    component=COMPONENT,
                    actor=attempt.user_id,
                    outcome="failure",
                    details={"execution_id": result.execution_id, "error": exc.message},
                )
            return result
        if sampled(result.execution_id, self.config.performance_sampling_rate):
            self.log.append_metrics(
                attempt.user_id,
                metrics_line(result, record_usage=record_usage),
                keep_after=keep_after,
            )
        self.registry.record_statistics(
            attempt.user_id,
            result.tool_id,
            success=result.success,
            execution_time=result.execution_time_seconds,
            timestamp=result.start_timestamp,
        )
        return result

    # -- chains ------------------------------------------------------------------------------
    def _chain(
        self, user_id: str, steps: list[RequestLike], chain_id: str | None
    ) -> FFToolChainResultDTO:
        """Run steps in order; step k sees results 1..k-1; the first failure stops it."""
        self.registry.ensure_initialized(user_id)
        if not steps:
            raise ValidationError("a chain needs at least one step", key="steps")
        requests = [self._coerce(user_id, step) for step in steps]  # all valid, or none run
        chain_id = (
            validate_id(chain_id, "chain_id") if chain_id else self._ctx.ids.prefixed("chain", 12)
        )
        results: list[FFToolExecutionResultDTO] = []
        previous: list[dict[str, Any]] = []
        for number, req in enumerate(requests, start=1):
            req = req.model_copy(update={"previous_tool_results": list(previous)})
            result = self.execute_sync(
                user_id,
                req,
                extra={
                    "chain_id": chain_id,
                    "chain_step": number,
                    "previous_execution_ids": [p["execution_id"] for p in previous],
                },
            )
            results.append(result)
            if not result.success:
                return FFToolChainResultDTO(
                    chain_id=chain_id,
                    user_id=user_id,
                    success=False,
                    steps=results,
                    completed_steps=number - 1,
                    total_steps=len(requests),
                    failed_step=number,
                    stopped_early=number < len(requests),
                )
            previous.append(
                {
                    "chain_step": number,
                    "execution_id": result.execution_id,
                    "tool_id": result.tool_id,
                    "success": result.success,
                    "result_data": result.result_data,
                    "result_hash": result.result_hash,
                    "cached_result": result.cached_result,
                }
            )
        return FFToolChainResultDTO(
            chain_id=chain_id,
            user_id=user_id,
            success=True,
            steps=results,
            completed_steps=len(requests),
            total_steps=len(requests),
        )

    # -- approvals, history, metrics ---------------------------------------------------------
    def _approve(
        self,
        user_id: str,
        approval_id: str | None,
        tool_id: str | None,
        parameters: dict[str, Any] | None,
        approved_by: str,
        uses: int,
        ttl_seconds: float,
    ) -> FFToolApprovalDTO:
        if approval_id is not None:
            validate_id(approval_id, "approval_id")
        registry = self.registry.ensure_initialized(user_id)
        if tool_id is not None and self.registry.lookup(user_id, tool_id, registry) is None:
            raise NotFound(
                f"Tool {tool_id} not found or not available", key="tool_id", value=tool_id
            )
        approval = self.approvals.approve(
            user_id,
            approval_id,
            tool_id=tool_id,
            parameters=parameters,
            approved_by=approved_by,
            uses=uses,
            ttl_seconds=ttl_seconds,
        )
        if self.audit is not None:
            self.audit.record(
                "tool_approval_granted",
                component=COMPONENT,
                actor=approved_by,
                details={
                    "user_id": user_id,
                    "approval_id": approval.approval_id,
                    "tool_id": approval.tool_id,
                    "uses": uses,
                    "expires_at": approval.expires_at,
                },
            )
        return approval

    def _reject(self, user_id: str, approval_id: str, rejected_by: str) -> FFToolApprovalDTO:
        validate_id(user_id, "user_id")
        validate_id(approval_id, "approval_id")
        approval = self.approvals.reject(user_id, approval_id, rejected_by=rejected_by)
        if self.audit is not None:
            self.audit.record(
                "tool_approval_rejected",
                component=COMPONENT,
                actor=rejected_by,
                details={
                    "user_id": user_id,
                    "approval_id": approval_id,
                    "tool_id": approval.tool_id,
                },
            )
        return approval

    def _require_user(self, user_id: str) -> None:
        """Reads of an unknown user's tools say so (NotFound), like the registry's do."""
        self.store.users.require(validate_id(user_id, "user_id"))

    def _history(self, user_id: str, tool_id: str | None, limit: int) -> list[dict[str, Any]]:
        self._require_user(user_id)
        if limit < 0:
            raise ValidationError("limit must not be negative", key="limit")
        lines = [
            line
            for line in self.log.read(user_id)
            if tool_id is None or line.get("tool_id") == tool_id
        ]
        return lines[-limit:] if limit else []

    def _metrics(self, user_id: str, tool_id: str | None, days: float) -> dict[str, Any]:
        self._require_user(user_id)
        now = self._ctx.clock.now()
        try:  # NaN, infinity, a negative or a period reaching before year 1 cannot be a window
            if isinstance(days, bool) or not days >= 0:
                raise ValueError
            now - timedelta(days=days)
        except (TypeError, ValueError, OverflowError):
            raise ValidationError(
                f"time_period_days must be a non-negative number of days "
                f"within the calendar, got {days!r}",
                key="time_period_days",
                value=days,
            ) from None
        return summarize(self.log.read_metrics(user_id), tool_id, now, days)

    def _prune_cache(self, user_id: str) -> int:
        self._require_user(user_id)
        folder = self.paths.tools_dir(user_id) / "tool_cache"
        if not self._ctx.fs.is_dir(folder):
            return 0
        now = self._ctx.clock.now()
        return sum(
            self.cache.prune(user_id, tool_id, now)
            for tool_id in sorted(self._ctx.fs.listdir(folder))
            if self._ctx.fs.is_dir(folder / tool_id)
        )


def dry_run_checks(
    registry: FFToolRegistryManager, user_id: str, request: RequestLike
) -> tuple[bool, str]:
    """``validate_tool_request``: every check that needs no claim or write, in order."""
    manager = FFToolExecutionManager(registry.store, registry)
    document = registry.ensure_initialized(user_id)
    attempt = manager._start(user_id, manager._coerce(user_id, request), {})
    denial = manager._pure_checks(attempt, document, dry_run=True)
    req, policy = attempt.request, attempt.policy
    assert policy is not None
    if denial is None:
        try:
            recent = manager.rate.attempts_in_window(
                user_id, attempt.start, policy.max_executions_per_hour
            )
        except StorageCorrupted as exc:
            return False, checks.rate_unreadable(exc.message).message
        in_flight = manager.slots.busy(user_id, policy.max_concurrent_executions)
        last = manager.cooldowns.last_start(user_id, req.tool_id, lambda: manager.log.read(user_id))
        denial = (
            checks.check_rate(recent, in_flight, policy)
            or checks.check_concurrency(in_flight < policy.max_concurrent_executions, policy)
            or checks.check_cooldown(req.tool_id, last, attempt.start, policy)
            or checks.check_timeout(attempt.timeout, policy)
        )
    return (False, denial.message) if denial is not None else (True, "")
