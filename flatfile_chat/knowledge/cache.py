"""The retrieval cache (one per KB) and the batched query counters.

**Cache.** An entry maps (query, strategy, max_results, min_relevance, embedder, pool) to that
KB's scored rows. ``retrieval_cache/query_cache.json`` names the index fingerprint the cache
belongs to; the entries live in small shard files ``retrieval_cache/query_cache/{nn}.json``
(the key picks the shard), so a lookup reads one small file and a store rewrites one small
file instead of the whole cache (one big JSON document made every miss cost a full parse and
rewrite: ~19 ms per query at a few hundred entries).

Invalidation is unchanged: every change (add, delete, maintenance) empties the cache under the
KB lock and writes the new fingerprint into ``query_cache.json``; every entry also carries the
fingerprint it was computed for, and an entry is served only when that equals the current
index's and it is younger than ``cache_ttl_hours`` (injected clock). A writer stores nothing
when ``query_cache.json`` names another index. So a stale result is never served, even across
processes (upstream never invalidated on add). ``temporal_relevance`` is not cached (it depends
on the time).

Capacity: at most ``max_cache_entries`` in total, enforced per shard: ``min(64,
max_cache_entries)`` shards keep their newest ``max_cache_entries // shards`` entries each
(oldest ``created_at`` evicted first).

**Counters.** ``retrieval_cache/performance_stats.json`` (query, retrieval, cache hit/miss
counts, ``last_query_at``) is derived usage data. Writing it on every query cost more than the
retrieval itself (a lock, a read and a write per query), so a manager adds its counts up in
memory and writes them every ``flush_every`` queries per KB, before any read of the counters
through the managers (``get_knowledge_base``, ``get_user_knowledge_bases``,
``get_kb_analytics``, maintenance) and on ``flush_stats()``/``close()``: never from a garbage
collector callback or at interpreter exit, where the write would land at an arbitrary later
moment (in a test runner: during another scenario, whose audit sees a write it did not make).
Another process therefore sees a KB's counters at most ``flush_every - 1`` queries late per
writer process, and a crash or a manager dropped without ``close()`` loses at most that many
counts; ``flush_every=1`` writes through.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import threading
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from flatfile_chat.clock import parse_timestamp
from flatfile_chat.errors import NotFound
from flatfile_chat.knowledge.layout import KBPaths
from flatfile_chat.storage.filestore import FileStore

Hit = list[Any]  # [row, chunk_id, score, keyword, semantic, method]
MAX_SHARDS = 64


def cache_key(*parts: Any) -> str:
    return hashlib.sha256(json.dumps(parts, sort_keys=True).encode("utf-8")).hexdigest()[:32]


def shard_layout(max_entries: int) -> tuple[int, int]:
    """(number of shards, entries kept per shard) for a ``max_cache_entries``."""
    shards = max(1, min(MAX_SHARDS, max_entries))
    return shards, max(1, max_entries // shards)


def _stat(path: Path) -> tuple[int, int, int] | None:
    try:
        st = os.stat(path)
    except FileNotFoundError:
        return None
    return (st.st_ino, st.st_size, st.st_mtime_ns)


_SHARDS_MEMOISED = 4096


class QueryCache:
    """Shard files are parsed once per process and memoised by their stat signature. A memo
    can at worst be an older version of a shard; that is still safe, because an entry is only
    served for the fingerprint of the index the reader holds, and the rows computed for one
    (query, index) never differ."""

    def __init__(self, fs: FileStore) -> None:
        self._fs = fs
        self._memo: dict[Path, tuple[tuple[int, int, int], dict[str, Any]]] = {}
        self._memo_lock = threading.Lock()

    def _read_shard(self, shard: Path) -> dict[str, Any]:
        sig = _stat(shard)
        if sig is None:
            return {}
        with self._memo_lock:
            memo = self._memo.get(shard)
        if memo is not None and memo[0] == sig:
            return memo[1]
        data = self._fs.read_json(shard, default=None)
        entries = data.get("entries", {}) if isinstance(data, dict) else {}
        self._remember(shard, sig, entries)
        return entries

    def _remember(
        self, shard: Path, sig: tuple[int, int, int] | None, entries: dict[str, Any]
    ) -> None:
        if sig is None:
            return
        with self._memo_lock:
            if len(self._memo) >= _SHARDS_MEMOISED:
                self._memo.clear()
            self._memo[shard] = (sig, entries)

    @staticmethod
    def _shard(paths: KBPaths, key: str, max_entries: int) -> Path:
        shards, _ = shard_layout(max_entries)
        return paths.cache_shards_dir / f"{int(key[:8], 16) % shards:02d}.json"

    def get(
        self,
        paths: KBPaths,
        fingerprint: str,
        key: str,
        now: datetime,
        ttl_hours: float,
        max_entries: int,
    ) -> list[Hit] | None:
        entry = self._read_shard(self._shard(paths, key, max_entries)).get(key)
        if entry is None or entry.get("fingerprint") != fingerprint:
            return None
        if parse_timestamp(entry["created_at"]) + timedelta(hours=ttl_hours) <= now:
            return None
        return entry["hits"]

    def put(
        self,
        paths: KBPaths,
        fingerprint: str,
        key: str,
        hits: list[Hit],
        now_iso: str,
        max_entries: int,
    ) -> None:
        fs = self._fs
        header = fs.read_json(paths.query_cache, default=None) or {}
        if header.get("fingerprint") != fingerprint:
            return  # the index changed since we scored; do not cache stale rows
        shard = self._shard(paths, key, max_entries)
        fs.ensure_dir(shard.parent)
        _, keep = shard_layout(max_entries)
        with fs.lock(shard):
            entries = {
                k: e
                for k, e in self._read_shard(shard).items()
                if e.get("fingerprint") == fingerprint
            }  # older indexes' leftovers
            entries[key] = {"created_at": now_iso, "fingerprint": fingerprint, "hits": hits}
            while len(entries) > keep:  # evict the oldest (files keep keys sorted)
                entries.pop(min(entries, key=lambda k: (entries[k]["created_at"], k == key, k)))
            fs.write_json(shard, {"entries": entries}, derived=True)
            self._remember(shard, _stat(shard), entries)

    def clear(self, paths: KBPaths, fingerprint: str, now_iso: str | None = None) -> None:
        """Empty the cache for a new index (the caller holds the KB lock)."""
        fs = self._fs
        fs.ensure_dir(paths.cache_dir)
        with fs.lock(paths.query_cache):
            fs.write_json(
                paths.query_cache, {"fingerprint": fingerprint, "cleared_at": now_iso}, derived=True
            )
            try:
                names = sorted(fs.listdir(paths.cache_shards_dir))
            except FileNotFoundError:
                names = []
            for name in names:
                if name.endswith(".json") and not name.startswith("."):
                    with contextlib.suppress(NotFound):  # another clearer was faster
                        fs.remove(paths.cache_shards_dir / name)


# -- batched query counters ---------------------------------------------------------------
_Pending = dict[Path, tuple[KBPaths, dict[str, Any]]]


def _write_pending(
    fs: FileStore, pending: _Pending, lock: threading.Lock, root: Path | None = None
) -> None:
    with lock:
        roots = [root] if root is not None else list(pending)
        work = [pending.pop(r) for r in roots if r in pending]
    for paths, delta in work:
        if not paths.config.is_file():
            continue  # the KB (or the whole store) is gone
        fs.ensure_dir(paths.cache_dir)
        with fs.lock(paths.performance_stats):
            stats = fs.read_json(paths.performance_stats, default={})
            for name in ("query_count", "retrieval_count", "cache_hits", "cache_misses"):
                stats[name] = stats.get(name, 0) + delta[name]
            if delta["last_query_at"] is not None:
                stats["last_query_at"] = max(
                    stats.get("last_query_at") or "", delta["last_query_at"]
                )
            fs.write_json(paths.performance_stats, stats, derived=True)


class QueryStats:
    """Per-KB query counters, added up in memory and written to ``performance_stats.json``
    every ``flush_every`` queries and on ``flush()`` only (see the module doc)."""

    def __init__(self, fs: FileStore, flush_every: int = 64) -> None:
        if isinstance(flush_every, bool) or not isinstance(flush_every, int) or flush_every < 1:
            raise ValueError("flush_every must be a positive integer")
        self._fs = fs
        self.flush_every = flush_every
        self._pending: _Pending = {}
        self._lock = threading.Lock()

    def record(self, paths: KBPaths, returned: int, cache_hit: bool, now_iso: str) -> None:
        with self._lock:
            _, delta = self._pending.setdefault(
                paths.root,
                (
                    paths,
                    {
                        "query_count": 0,
                        "retrieval_count": 0,
                        "cache_hits": 0,
                        "cache_misses": 0,
                        "last_query_at": None,
                    },
                ),
            )
            delta["query_count"] += 1
            delta["retrieval_count"] += returned
            delta["cache_hits" if cache_hit else "cache_misses"] += 1
            delta["last_query_at"] = now_iso
            due = delta["query_count"] >= self.flush_every
        if due:
            self.flush(paths)

    def flush(self, paths: KBPaths | None = None) -> None:
        """Write pending counts (of one KB, or of all) to ``performance_stats.json``."""
        _write_pending(
            self._fs, self._pending, self._lock, paths.root if paths is not None else None
        )
