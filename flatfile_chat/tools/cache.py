"""Result cache: ``users/{u}/tools/tool_cache/{tool_id}/results.jsonl``.

Only tools marked ``cacheable`` (deterministic, no side effects) are cached, and only
successful, unquarantined results. The key covers the tool id, its version and the canonical
JSON of the parameters. Entries expire after ``cache_expiry_hours`` by the injected clock.
The file is append-only; :meth:`ResultCache.prune` drops expired lines (the cache is derived
data, so a crash mid-prune only costs cache hits).
"""

from __future__ import annotations

import hashlib
import json
from datetime import datetime, timedelta
from typing import Any

from flatfile_chat.clock import isoformat, parse_timestamp
from flatfile_chat.errors import NotFound
from flatfile_chat.store.layout import StoreContext
from flatfile_chat.tools.models import FFToolDefinitionDTO
from flatfile_chat.tools.paths import ToolPaths


def canonical_json(value: Any) -> str:
    return json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(",", ":"))


def parameters_hash(parameters: dict[str, Any]) -> str:
    return hashlib.sha256(canonical_json(parameters).encode()).hexdigest()[:32]


def cache_key(definition: FFToolDefinitionDTO, parameters: dict[str, Any]) -> str:
    material = canonical_json({"tool_id": definition.tool_id, "version": definition.version,
                               "parameters": parameters})
    return hashlib.sha256(material.encode()).hexdigest()[:32]


class ResultCache:
    def __init__(self, ctx: StoreContext, paths: ToolPaths) -> None:
        self._ctx = ctx
        self._paths = paths

    def lookup(self, user_id: str, tool_id: str, key: str,
               now: datetime) -> dict[str, Any] | None:
        """The newest unexpired entry for ``key``, or None."""
        path = self._paths.cache_file(user_id, tool_id)
        for entry in reversed(self._ctx.fs.read_jsonl(path)):
            if entry.get("cache_key") == key and parse_timestamp(entry["expires_at"]) > now:
                return entry
        return None

    def store(self, user_id: str, tool_id: str, key: str, *, execution_id: str,
              result_data: Any, result_type: str, result_hash: str, result_size_bytes: int,
              truncated: bool, now: datetime, expiry_hours: float) -> None:
        path = self._paths.cache_file(user_id, tool_id)
        self._ctx.fs.ensure_dir(path.parent)
        self._ctx.fs.append_jsonl(path, [{
            "cache_key": key, "tool_id": tool_id, "execution_id": execution_id,
            "created_at": isoformat(now),
            "expires_at": isoformat(now + timedelta(hours=expiry_hours)),
            "result_data": result_data, "result_type": result_type,
            "result_hash": result_hash, "result_size_bytes": result_size_bytes,
            "truncated": truncated}])

    def prune(self, user_id: str, tool_id: str, now: datetime) -> int:
        """Drop expired entries; returns how many were removed."""
        fs, path = self._ctx.fs, self._paths.cache_file(user_id, tool_id)
        with fs.lock(path):
            entries = fs.read_jsonl(path)
            keep = [e for e in entries if parse_timestamp(e["expires_at"]) > now]
            if len(keep) == len(entries):
                return 0
            try:
                fs.remove(path)
            except NotFound:
                return 0
            if keep:
                fs.append_jsonl(path, keep, locked=True)
        return len(entries) - len(keep)
