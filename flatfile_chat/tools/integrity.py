"""Integrity check for the tool files (registered with the store's checker).

- every ``execution_history.jsonl`` line has the spec's fields, and a ``result_hash`` that is
  16 hex characters when the attempt succeeded;
- ``tool_statistics`` in ``tool_registry.json`` agree with the history (attempts and
  successes per tool). A mismatch means a crash between the history line (the commit point)
  and the statistics update; ``FFToolRegistryManager.recompute_statistics`` repairs it.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable
from pathlib import Path

from flatfile_chat.errors import FFError
from flatfile_chat.store.integrity import IntegrityIssue, user_folders
from flatfile_chat.store.layout import StoreContext

HISTORY_FIELDS = (
    "execution_id",
    "tool_id",
    "user_id",
    "success",
    "execution_time_seconds",
    "start_timestamp",
    "end_timestamp",
    "error_message",
    "error_type",
    "result_size_bytes",
    "cached_result",
    "execution_mode",
)
_HASH_RE = re.compile(r"[0-9a-f]{16}\Z")


def check_tool_files(
    ctx: StoreContext, changed: frozenset[str] | None = None
) -> Iterable[IntegrityIssue]:
    """``changed``: absolute paths written since the last check (None: check everything)."""
    for _user, tools in user_folders(ctx, "tools", changed):
        yield from _check_user(ctx, tools)


def _check_user(ctx: StoreContext, tools: Path) -> Iterable[IntegrityIssue]:
    history_path = tools / "execution_history.jsonl"
    registry_path = tools / "tool_registry.json"
    rel = ctx.fs.rel(history_path)
    try:
        lines = ctx.fs.read_jsonl(history_path)
    except FFError:
        return  # reported by the store's own JSONL check
    attempts: Counter[str] = Counter()
    successes: Counter[str] = Counter()
    for number, line in enumerate(lines, start=1):
        missing = [f for f in HISTORY_FIELDS if f not in line]
        if missing:
            yield IntegrityIssue("json_invalid", rel, f"history line lacks {missing}", number)
            continue
        if line["success"] and not _HASH_RE.match(str(line.get("result_hash", ""))):
            yield IntegrityIssue(
                "json_invalid", rel, "successful attempt without a 16-hex result_hash", number
            )
        attempts[line["tool_id"]] += 1
        successes[line["tool_id"]] += bool(line["success"])
    try:
        registry = ctx.fs.read_json(registry_path, default=None)
    except FFError as exc:
        yield IntegrityIssue("json_invalid", ctx.fs.rel(registry_path), str(exc))
        return
    if registry is None:
        return
    expired_path = tools / "execution_history_expired.json"
    try:  # attempts removed by retention still count in the statistics
        expired = ctx.fs.read_json(expired_path, default={})
    except FFError as exc:
        yield IntegrityIssue("json_invalid", ctx.fs.rel(expired_path), str(exc))
        return
    for tool_id, stats in registry.get("tool_statistics", {}).items():
        for key, counter in (("total_executions", attempts), ("successful_executions", successes)):
            gone = expired.get(tool_id, {}).get(key, 0)
            if stats.get(key) != counter[tool_id] + gone:
                yield IntegrityIssue(
                    "counter_mismatch",
                    ctx.fs.rel(registry_path),
                    f"tool_statistics[{tool_id!r}].{key} is {stats.get(key)} but "
                    f"execution_history.jsonl has {counter[tool_id]}"
                    + (f" (+{gone} expired by retention)" if gone else ""),
                )
