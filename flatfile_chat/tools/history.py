"""Execution history and performance metrics (two JSONL logs per user).

The history line is the commit point of an attempt: one line per attempt, denied and cached
ones included, written exactly once (upstream logged cache hits twice). The rate limit is
counted from it (through the verified index in ``rate_window.py``), and the cooldown markers
are rebuilt from it. Metrics are sampled deterministically by
``performance_sampling_rate`` (a hash of the execution id, not a random draw, so scenario runs
stay byte-identical).
"""

from __future__ import annotations

import contextlib
import hashlib
import statistics
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from flatfile_chat.clock import parse_timestamp
from flatfile_chat.errors import FFError, StorageWriteError
from flatfile_chat.store.layout import StoreContext
from flatfile_chat.tools.models import FFToolExecutionResultDTO
from flatfile_chat.tools.paths import ToolPaths


def history_line(
    result: FFToolExecutionResultDTO, *, record_usage: bool, extra: dict[str, Any]
) -> dict[str, Any]:
    line = {
        "execution_id": result.execution_id,
        "tool_id": result.tool_id,
        "user_id": result.user_id,
        "session_id": result.session_id,
        "success": result.success,
        "execution_time_seconds": result.execution_time_seconds,
        "start_timestamp": result.start_timestamp,
        "end_timestamp": result.end_timestamp,
        "error_message": result.error_message,
        "error_type": result.error_type,
        "result_size_bytes": result.result_size_bytes,
        "result_hash": result.result_hash,
        "cached_result": result.cached_result,
        "execution_mode": result.execution_mode,
        "denial_reason": result.denial_reason,
        "truncated": result.truncated,
        "exit_code": result.exit_code,
        "resource_violations": result.resource_violations,
    }
    if record_usage:
        line.update(
            memory_used_mb=result.memory_used_mb, cpu_usage_percent=result.cpu_usage_percent
        )
    line.update(extra)
    return line


def metrics_line(result: FFToolExecutionResultDTO, *, record_usage: bool) -> dict[str, Any]:
    return {
        "tool_id": result.tool_id,
        "user_id": result.user_id,
        "execution_id": result.execution_id,
        "timestamp": result.end_timestamp,
        "execution_time_seconds": result.execution_time_seconds,
        "memory_used_mb": result.memory_used_mb if record_usage else 0.0,
        "cpu_usage_percent": result.cpu_usage_percent if record_usage else 0.0,
        "success": result.success,
        "result_size_bytes": result.result_size_bytes,
        "cached_result": result.cached_result,
        "denial_reason": result.denial_reason,
    }


def sampled(execution_id: str, rate: float) -> bool:
    if rate >= 1.0:
        return True
    digest = hashlib.sha256(execution_id.encode()).digest()
    return int.from_bytes(digest[:4], "big") / 2**32 < rate


class ExecutionLog:
    def __init__(self, ctx: StoreContext, paths: ToolPaths) -> None:
        self._ctx = ctx
        self._paths = paths
        # Per log file, a time no line is older than (a lower bound: other writers only add
        # newer lines or expire old ones), so most appends skip the retention read.
        self._oldest: dict[str, datetime] = {}

    def read(self, user_id: str) -> list[dict[str, Any]]:
        return self._ctx.fs.read_jsonl(self._paths.history(user_id))

    def append(
        self, user_id: str, line: dict[str, Any], *, keep_after: datetime | None = None
    ) -> None:
        """Append the attempt's line; with ``keep_after`` (now minus the policy's
        ``retain_execution_history_days``) also drop the lines that started before it."""
        path = self._paths.history(user_id)
        self._ctx.fs.ensure_dir(path.parent)
        with self._ctx.fs.lock(path):
            self._ctx.fs.append_jsonl(path, [line], locked=True)
            if keep_after is not None:
                expired = self._expire_locked(path, "start_timestamp", keep_after)
                if expired:
                    self._count_expired(user_id, expired)

    def expire(self, user_id: str, keep_after: datetime) -> int:
        """Drop history and metrics lines older than ``keep_after`` now (for users who stopped
        running tools: appends expire as they go); returns how many history lines went."""
        path = self._paths.history(user_id)
        if not path.exists():
            return 0
        self._oldest.pop(str(path), None)
        with self._ctx.fs.lock(path):
            removed = self._expire_locked(path, "start_timestamp", keep_after)
            if removed:
                self._count_expired(user_id, removed)
        metrics = self._paths.metrics(user_id)
        if metrics.exists():
            self._oldest.pop(str(metrics), None)
            with self._ctx.fs.lock(metrics):
                self._expire_locked(metrics, "timestamp", keep_after)
        return len(removed)

    def append_metrics(
        self, user_id: str, line: dict[str, Any], *, keep_after: datetime | None = None
    ) -> None:
        path = self._paths.metrics(user_id)
        with self._ctx.fs.lock(path):
            self._ctx.fs.append_jsonl(path, [line], locked=True)
            if keep_after is not None:
                self._expire_locked(path, "timestamp", keep_after)

    def _expire_locked(self, path: Path, field: str, keep_after: datetime) -> list[dict[str, Any]]:
        """Rewrite ``path`` without lines older than ``keep_after`` (ASVS 14.2.7: data is not
        kept past its retention); returns the removed lines. The caller holds the file's lock.
        Best effort after the append (the line just appended is stored, so the attempt must
        not be reported as failed): a log that cannot be read or rewritten is left whole (the
        integrity check reports why) and retried on the next append. A line without a valid
        timestamp is kept: its age cannot be judged."""
        key = str(path)
        oldest = self._oldest.get(key)
        if oldest is not None and oldest >= keep_after:
            return []
        try:
            lines = self._ctx.fs.read_jsonl(path)
            kept: list[dict[str, Any]] = []
            old: list[dict[str, Any]] = []
            for line in lines:
                when = _when(line, field)
                (old if when is not None and when < keep_after else kept).append(line)
            if old:
                self._ctx.fs.rewrite_jsonl(path, kept)
        except FFError:
            return []
        ages = [when for line in kept if (when := _when(line, field)) is not None]
        self._oldest[key] = min(ages, default=keep_after)
        return old

    def _count_expired(self, user_id: str, removed: list[dict[str, Any]]) -> None:
        """Keep the statistics checkable: expired attempts per tool (see ``ToolPaths.expired``).
        Written after the history rewrite; a crash in between shows as a counter mismatch."""
        path = self._paths.expired(user_id)
        counts = self._ctx.fs.read_json(path, default={})
        for line in removed:
            entry = counts.setdefault(
                line["tool_id"], {"total_executions": 0, "successful_executions": 0}
            )
            entry["total_executions"] += 1
            entry["successful_executions"] += bool(line["success"])
        with contextlib.suppress(StorageWriteError):
            self._ctx.fs.write_json(path, counts)

    def expired_counts(self, user_id: str) -> dict[str, dict[str, int]]:
        return self._ctx.fs.read_json(self._paths.expired(user_id), default={})

    def read_metrics(self, user_id: str) -> list[dict[str, Any]]:
        return self._ctx.fs.read_jsonl(self._paths.metrics(user_id))


def _when(line: dict[str, Any], field: str) -> datetime | None:
    value = line.get(field)
    try:
        return parse_timestamp(value) if isinstance(value, str) else None
    except ValueError:
        return None


def summarize(
    lines: list[dict[str, Any]], tool_id: str | None, now: datetime, days: float
) -> dict[str, Any]:
    since = now - timedelta(days=days)
    rows = [
        r
        for r in lines
        if (tool_id is None or r.get("tool_id") == tool_id)
        and parse_timestamp(r["timestamp"]) >= since
    ]
    ran = [r for r in rows if not r.get("denial_reason")]
    times = sorted(float(r["execution_time_seconds"]) for r in ran)
    total = len(rows)
    return {
        "tool_id": tool_id,
        "time_period_days": days,
        "total_attempts": total,
        "executions": len(ran),
        "successful_executions": sum(1 for r in rows if r["success"]),
        "denied_attempts": total - len(ran),
        "success_rate": round(sum(1 for r in rows if r["success"]) / total, 6) if total else 0.0,
        "cache_hits": sum(1 for r in rows if r.get("cached_result")),
        "cache_hit_rate": round(sum(1 for r in ran if r.get("cached_result")) / len(ran), 6)
        if ran
        else 0.0,
        "average_execution_time_seconds": round(statistics.fmean(times), 6) if times else 0.0,
        "max_execution_time_seconds": times[-1] if times else 0.0,
        "p95_execution_time_seconds": times[min(len(times) - 1, int(0.95 * len(times)))]
        if times
        else 0.0,
        "average_result_size_bytes": round(statistics.fmean(r["result_size_bytes"] for r in ran), 3)
        if ran
        else 0.0,
        "average_memory_used_mb": round(
            statistics.fmean(float(r.get("memory_used_mb") or 0.0) for r in ran), 3
        )
        if ran
        else 0.0,
    }
