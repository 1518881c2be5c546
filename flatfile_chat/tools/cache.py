"""Result cache: ``users/{u}/tools/tool_cache/{tool_id}/results.jsonl``.

Only tools marked ``cacheable`` (deterministic, no side effects) are cached, and only
successful, unquarantined results. The key covers the tool id, its version and the canonical
JSON of the parameters. Entries expire after ``cache_expiry_hours`` by the injected clock.
The file is append-only; :meth:`ResultCache.prune` drops expired lines (the cache is derived
data, so a crash mid-prune only costs cache hits).

Parsed files are memoised per process by their stat signature (inode, size, mtime_ns), so a
lookup on an unchanged file does not re-read it; a write by another process changes the
signature and the next lookup re-reads. This process's own appends (made under the file's
lock) extend the memo in place of a re-read.
"""

from __future__ import annotations

import copy
import hashlib
import json
import os
import threading
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from flatfile_chat.clock import isoformat, parse_timestamp
from flatfile_chat.errors import NotFound
from flatfile_chat.storage import jsonl
from flatfile_chat.store.layout import StoreContext
from flatfile_chat.tools.models import FFToolDefinitionDTO
from flatfile_chat.tools.paths import ToolPaths


def canonical_json(value: Any) -> str:
    return json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(",", ":"))


def parameters_hash(parameters: dict[str, Any]) -> str:
    return hashlib.sha256(canonical_json(parameters).encode()).hexdigest()[:32]


def cache_key(definition: FFToolDefinitionDTO, parameters: dict[str, Any]) -> str:
    material = canonical_json(
        {"tool_id": definition.tool_id, "version": definition.version, "parameters": parameters}
    )
    return hashlib.sha256(material.encode()).hexdigest()[:32]


_Signature = tuple[int, int, int]
_FILES_MEMOISED = 256


def _stat(path: Path) -> _Signature | None:
    try:
        st = os.stat(path)
    except FileNotFoundError:
        return None
    return (st.st_ino, st.st_size, st.st_mtime_ns)


class ResultCache:
    def __init__(self, ctx: StoreContext, paths: ToolPaths) -> None:
        self._ctx = ctx
        self._paths = paths
        # path -> (stat signature, parsed entries); the lists are never mutated in place
        self._memo: dict[Path, tuple[_Signature, list[dict[str, Any]]]] = {}
        self._memo_lock = threading.Lock()

    def _entries(self, path: Path) -> list[dict[str, Any]]:
        """The file's entries, parsed once per stat signature (treat as read-only)."""
        sig = _stat(path)  # before the read: a racing append makes the memo re-read
        if sig is None:
            self._forget(path)
            return []
        with self._memo_lock:
            memo = self._memo.get(path)
        if memo is not None and memo[0] == sig:
            return memo[1]
        entries = self._ctx.fs.read_jsonl(path)
        self._remember(path, sig, entries)
        return entries

    def _remember(self, path: Path, sig: _Signature | None, entries: list[dict[str, Any]]) -> None:
        if sig is None:
            return
        with self._memo_lock:
            if len(self._memo) >= _FILES_MEMOISED and path not in self._memo:
                self._memo.clear()
            self._memo[path] = (sig, entries)

    def _forget(self, path: Path) -> None:
        with self._memo_lock:
            self._memo.pop(path, None)

    def lookup(self, user_id: str, tool_id: str, key: str, now: datetime) -> dict[str, Any] | None:
        """The newest unexpired entry for ``key``, or None (a copy: the memo stays intact)."""
        path = self._paths.cache_file(user_id, tool_id)
        for entry in reversed(self._entries(path)):
            if entry.get("cache_key") == key and parse_timestamp(entry["expires_at"]) > now:
                return copy.deepcopy(entry)
        return None

    def store(
        self,
        user_id: str,
        tool_id: str,
        key: str,
        *,
        execution_id: str,
        result_data: Any,
        result_type: str,
        result_hash: str,
        result_size_bytes: int,
        truncated: bool,
        now: datetime,
        expiry_hours: float,
    ) -> None:
        fs, path = self._ctx.fs, self._paths.cache_file(user_id, tool_id)
        fs.ensure_dir(path.parent)
        record = {
            "cache_key": key,
            "tool_id": tool_id,
            "execution_id": execution_id,
            "created_at": isoformat(now),
            "expires_at": isoformat(now + timedelta(hours=expiry_hours)),
            "result_data": result_data,
            "result_type": result_type,
            "result_hash": result_hash,
            "result_size_bytes": result_size_bytes,
            "truncated": truncated,
        }
        with fs.lock(path):
            before = _stat(path)
            fs.append_jsonl(path, [record], locked=True)
            after = _stat(path)
            with self._memo_lock:
                memo = self._memo.get(path)
            if before is None or (memo is not None and memo[0] == before):
                # Under the lock nobody else wrote: the file is the memo (or nothing) plus
                # this line, as a reader would parse it (a JSON round trip: no shared objects).
                parsed = json.loads(jsonl.encode_record(record))
                kept = memo[1] if before is not None and memo is not None else []
                self._remember(path, after, [*kept, parsed])
            else:
                self._forget(path)

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
            self._forget(path)
        return len(entries) - len(keep)
