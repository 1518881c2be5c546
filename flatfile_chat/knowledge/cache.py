"""The retrieval cache, ``retrieval_cache/query_cache.json`` (one per KB).

An entry maps (query, strategy, max_results, min_relevance, embedder) to that KB's scored rows.
It is emptied under the KB lock on every change (add, delete, maintenance), and the file
carries the index fingerprint it was computed for: an entry is used only when that fingerprint
equals the current index's and it is younger than ``cache_ttl_hours`` (injected clock). So a
stale result is never served, even across processes (upstream never invalidated on add).
The parsed file is memoised per process by its stat signature; that memo is rebuilt whenever
the file changes.
"""

from __future__ import annotations

import hashlib
import json
import os
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from flatfile_chat.clock import parse_timestamp
from flatfile_chat.knowledge.layout import KBPaths
from flatfile_chat.storage.filestore import FileStore

Hit = list[Any]  # [row, chunk_id, score, keyword, semantic, method]


def cache_key(*parts: Any) -> str:
    return hashlib.sha256(json.dumps(parts, sort_keys=True).encode("utf-8")).hexdigest()[:32]


def _stat(path: Path) -> tuple[int, int, int] | None:
    try:
        st = os.stat(path)
    except FileNotFoundError:
        return None
    return (st.st_ino, st.st_size, st.st_mtime_ns)


class QueryCache:
    def __init__(self, fs: FileStore) -> None:
        self._fs = fs
        self._memo: dict[Path, tuple[tuple[int, int, int] | None, dict[str, Any]]] = {}

    def _load(self, path: Path) -> dict[str, Any]:
        sig = _stat(path)
        memo = self._memo.get(path)
        if memo is not None and memo[0] == sig and sig is not None:
            return memo[1]
        data = self._fs.read_json(path, default=None) or {"fingerprint": None, "entries": {}}
        if len(self._memo) > 256:
            self._memo.clear()
        self._memo[path] = (sig, data)
        return data

    def get(self, paths: KBPaths, fingerprint: str, key: str, now: datetime,
            ttl_hours: float) -> list[Hit] | None:
        data = self._load(paths.query_cache)
        if data.get("fingerprint") != fingerprint:
            return None
        entry = data["entries"].get(key)
        if entry is None:
            return None
        if parse_timestamp(entry["created_at"]) + timedelta(hours=ttl_hours) <= now:
            return None
        return entry["hits"]

    def put(self, paths: KBPaths, fingerprint: str, key: str, hits: list[Hit],
            now_iso: str, max_entries: int) -> None:
        fs = self._fs
        fs.ensure_dir(paths.cache_dir)
        with fs.lock(paths.query_cache):
            data = fs.read_json(paths.query_cache, default=None) \
                or {"fingerprint": fingerprint, "entries": {}}
            if data.get("fingerprint") != fingerprint:
                return  # the index changed since we scored; do not cache stale rows
            entries = data["entries"]
            entries[key] = {"created_at": now_iso, "hits": hits}
            while len(entries) > max_entries:  # evict the oldest (files keep keys sorted)
                entries.pop(min(entries, key=lambda k: (entries[k]["created_at"], k == key, k)))
            fs.write_json(paths.query_cache, data, derived=True)

    def clear(self, paths: KBPaths, fingerprint: str) -> None:
        """Empty the cache for a new index (the caller holds the KB lock)."""
        fs = self._fs
        fs.ensure_dir(paths.cache_dir)
        with fs.lock(paths.query_cache):
            fs.write_json(paths.query_cache, {"fingerprint": fingerprint, "entries": {}},
                          derived=True)
