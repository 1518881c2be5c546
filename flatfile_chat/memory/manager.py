"""``FFMemoryLayerManager``: five retention layers per user, on files (spec P1, use cases 1, 5-7,
9, 10, 17, 19-21).

Every write of a user's memory holds that user's group lock, so an add, a maintenance run and
a compression never interleave, and ``layer_metadata.json`` counts are recomputed from the files
after each write (they always equal the line counts). Reads take no lock: each layer file is
replaced atomically and a reader tolerates the one transient state a writer can leave (an item
present in two layers), keeping the higher one.

Deviation from upstream: ``add_memory_context`` returns the stored ``FFMemoryContextDTO`` (with
its ``memory_id`` and timestamps), not ``True``; failures raise instead of returning ``False``.
"""

from __future__ import annotations

import logging
import numbers
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from flatfile_chat.audit import AuditLog, AuditSink
from flatfile_chat.clock import isoformat, parse_timestamp
from flatfile_chat.config.memory_layers import LAYERS
from flatfile_chat.errors import (
    AlreadyExists,
    FFError,
    NotFound,
    SecurityError,
    StorageCorrupted,
    StorageWriteError,
    ValidationError,
)
from flatfile_chat.memory import integrity
from flatfile_chat.memory.compression import CompressionOutcome, compress
from flatfile_chat.memory.files import (
    HISTORY_IN_METADATA,
    MemoryFiles,
    Record,
    new_metadata,
    refresh_counts,
)
from flatfile_chat.memory.index import IndexCache, LayerIndex, Ranking, search
from flatfile_chat.memory.inputs import (
    build_record,
    from_situational_context,
    parse_layer,
    parse_layers,
)
from flatfile_chat.memory.layout import MemoryPaths
from flatfile_chat.memory.lifecycle import plan_lifecycle
from flatfile_chat.memory.models import (
    FFMemoryCompressionResultDTO,
    FFMemoryContextDTO,
    MemoryLayerType,
)
from flatfile_chat.memory.text import query_terms
from flatfile_chat.store.manager import FFStorageManager
from flatfile_chat.store.models import FFSituationalContextDTO

log = logging.getLogger(__name__)
COMPONENT = "memory_layer"


class FFMemoryLayerManager:
    def __init__(self, store: FFStorageManager, *, audit: AuditSink | None = None) -> None:
        self.store = store
        self.config = store.config.memory_layer
        self._ctx = store.ctx
        self._files = MemoryFiles(self._ctx.fs)
        self._cache = (
            IndexCache(self.config.index_cache_users)
            if self.config.enable_memory_indexing
            else None
        )
        self.audit: AuditSink = audit if audit is not None else AuditLog(self._ctx)
        integrity.register(store.integrity)

    # -- public API ----------------------------------------------------------------------
    async def initialize_user_memory(self, user_id: str) -> bool:
        """Create the layer files and metadata (idempotent); True once memory is ready."""
        return await self.store.run_io(self._initialize, user_id)

    async def add_memory_context(
        self,
        user_id: str,
        context: FFMemoryContextDTO | dict[str, Any],
        target_layer: MemoryLayerType | str = MemoryLayerType.IMMEDIATE,
    ) -> FFMemoryContextDTO:
        """Append one item to ``target_layer`` and return it as stored; compresses the layer
        when it now holds more than its ``compression_thresholds`` items."""
        return await self.store.run_io(self._add, user_id, context, target_layer)

    async def add_situational_context(
        self,
        user_id: str,
        session_id: str,
        context: FFSituationalContextDTO,
        target_layer: MemoryLayerType | str = MemoryLayerType.IMMEDIATE,
    ) -> FFMemoryContextDTO:
        """Upstream's ``add_context_with_memory`` bridge from a session's situational context
        (the session must exist: NotFound otherwise, like every other read of it)."""
        await self.store.run_io(self.store.sessions.get, user_id, session_id)
        return await self.store.run_io(
            self._add, user_id, from_situational_context(context, session_id), target_layer
        )

    async def get_memory_contexts(
        self,
        user_id: str,
        layers: list[MemoryLayerType | str] | None = None,
        max_results: int | None = None,
        relevance_threshold: float = 0.0,
    ) -> list[FFMemoryContextDTO]:
        """Items with relevance ≥ threshold, by (relevance_score, last_accessed) descending."""
        return await self.store.run_io(self._get, user_id, layers, max_results, relevance_threshold)

    async def search_memory(
        self,
        user_id: str,
        query: str,
        layers: list[MemoryLayerType | str] | None = None,
        max_results: int = 20,
    ) -> list[tuple[FFMemoryContextDTO, float]]:
        """Ranked (item, score) pairs of this user only; see ``memory/index.py`` for the
        score. ``max_results`` is capped at ``max_memory_search_results``."""
        return await self.store.run_io(self._search, user_id, query, layers, max_results)

    async def run_memory_maintenance(self, user_id: str) -> dict[str, Any]:
        """Clean expired items, promote, compress, update metadata (spec result shape)."""
        return await self.store.run_io(self._maintain, user_id)

    async def compress_layer(
        self, user_id: str, layer: MemoryLayerType | str, *, force: bool = False
    ) -> FFMemoryCompressionResultDTO:
        """Compress one layer now (``force``: even below its threshold)."""
        return await self.store.run_io(self._compress_now, user_id, layer, force)

    async def get_layer_metadata(self, user_id: str) -> dict[str, Any]:
        return await self.store.run_io(self._metadata, user_id)

    async def is_maintenance_due(self, user_id: str) -> bool:
        """True when the last maintenance is older than ``archival_check_interval_hours``."""
        return await self.store.run_io(self._due, user_id)

    # -- helpers -------------------------------------------------------------------------
    def _now(self) -> tuple[datetime, str]:
        now = self._ctx.clock.now()
        return now, isoformat(now)

    def _audit(
        self, event_type: str, outcome: str, details: dict[str, Any], actor: str | None = None
    ) -> None:
        try:
            self.audit.record(
                event_type, component=COMPONENT, actor=actor, outcome=outcome, details=details
            )
        except FFError:  # an audit failure must not hide the error being reported
            log.exception("could not write audit event %s", event_type)

    def _open(self, user_id: str) -> MemoryPaths:
        """Validated paths of an existing user; a hostile id is refused and audited."""
        try:
            paths = self._files.paths(user_id)
        except SecurityError as exc:
            # The refused value itself is not logged: it may embed a real user id.
            self._audit(
                "memory_access_denied",
                "denied",
                {
                    "reason": "hostile user_id refused",
                    "key": "user_id",
                    "error": type(exc).__name__,
                },
            )
            raise
        self.store.users.require(user_id)
        return paths

    def _corrupted(self, paths: MemoryPaths, exc: StorageCorrupted) -> None:
        self._audit(
            "memory_integrity_violation",
            "failure",
            {"path": exc.context.get("path"), "line": exc.context.get("line")},
            actor=paths.user_id,
        )

    def _invalidate(self, paths: MemoryPaths, layers: list[str] | None = None) -> None:
        """Own writes drop the cached layers (the stat signature would catch them too)."""
        if self._cache is not None:
            self._cache.invalidate(paths.user_id, layers)

    def _indexes(self, paths: MemoryPaths) -> list[LayerIndex]:
        def loader(layer: str) -> Callable[[], list[Record]]:
            return lambda: self._files.read_layer(paths, layer)

        try:
            if self._cache is None:
                return [LayerIndex(layer, loader(layer)()) for layer in LAYERS]
            return [
                self._cache.get(paths.user_id, layer, paths.layer(layer), loader(layer))
                for layer in LAYERS
            ]
        except StorageCorrupted as exc:
            self._corrupted(paths, exc)
            raise

    # -- initialise / add ----------------------------------------------------------------
    def _initialize(self, user_id: str) -> bool:
        paths = self._open(user_id)
        self._ctx.fs.ensure_dir(paths.folder)
        with self._ctx.fs.lock(paths.lock_target):
            self._files.ensure(paths, self._now()[1], folder_ready=True)
        return True

    def _add(
        self,
        user_id: str,
        context: FFMemoryContextDTO | dict[str, Any],
        target_layer: MemoryLayerType | str,
    ) -> FFMemoryContextDTO:
        paths = self._open(user_id)
        layer = parse_layer(target_layer)
        given_id = (
            context.memory_id
            if isinstance(context, FFMemoryContextDTO)
            else context.get("memory_id")
            if isinstance(context, dict)
            else None
        )
        now, now_iso = self._now()
        record = build_record(
            context,
            user_id=user_id,
            layer=layer,
            memory_id=given_id,
            now_iso=now_iso,
            max_chars=self.config.max_content_chars,
        )
        self._refuse_sandbox_session(user_id, record.get("session_id"))
        self._ctx.fs.ensure_dir(paths.folder)
        try:
            self._add_locked(paths, layer.value, record, given_id, now, now_iso)
        finally:
            self._invalidate(paths, [layer.value])
        return FFMemoryContextDTO.model_validate(record)

    def _add_locked(
        self,
        paths: MemoryPaths,
        layer: str,
        record: Record,
        given_id: str | None,
        now: datetime,
        now_iso: str,
    ) -> None:
        with self._ctx.fs.lock(paths.lock_target):
            # The metadata ensure() read: nothing below writes it before we do.
            metadata = self._files.ensure(paths, now_iso, folder_ready=True) or new_metadata(
                paths.user_id, now_iso
            )
            if given_id is not None:
                self._refuse_duplicate(paths, given_id)
            else:
                record["memory_id"] = self._ctx.ids.prefixed("mem", 12)
            self._files.append(paths, layer, [record])  # the commit point: the item is stored
            try:
                refresh_counts(self._ctx.fs, paths, metadata, [layer])
                self._files.write_metadata(paths, metadata, now_iso)
                count = metadata["layer_stats"][layer]["item_count"]
                if (
                    self.config.enable_compression
                    and count > self.config.compression_thresholds[layer]
                ):
                    self._compress_locked(paths, layer, now, now_iso)
            except StorageWriteError:
                # Counts are derived from the layer files (recounted by the next add; the
                # integrity check reports them stale meanwhile) and compression rewrites
                # whole files or nothing: reporting a failure now would hide a stored item.
                return

    def _refuse_sandbox_session(self, user_id: str, session_id: str | None) -> None:
        """A prompt-sandbox session (``metadata.sandbox: true``) is isolated from the user's
        memory: trial runs must not teach the assistant anything (use case prompt_sandbox)."""
        if session_id is None:
            return
        path = self._ctx.layout.session_file(user_id, session_id)
        session = self._ctx.fs.read_json(path, default=None, shared_lock=True)
        if session is not None and (session.get("metadata") or {}).get("sandbox") is True:
            raise ValidationError(
                f"session {session_id!r} is a prompt sandbox; sandbox runs never write to memory",
                key="session_id",
                value=session_id,
            )

    def _refuse_duplicate(self, paths: MemoryPaths, memory_id: str) -> None:
        for index in self._indexes(paths):
            if any(r.get("memory_id") == memory_id for r in index.records):
                raise AlreadyExists(
                    f"memory {memory_id!r} already exists in layer {index.layer}",
                    key="memory_id",
                    value=memory_id,
                )

    # -- read ----------------------------------------------------------------------------
    def _get(
        self, user_id: str, layers: Any, max_results: Any, relevance_threshold: Any
    ) -> list[FFMemoryContextDTO]:
        scope = {layer.value for layer in parse_layers(layers)}
        if max_results is not None:
            _check_limit(max_results)
        # not narrowed to numbers.Real: its stub has no __ge__ for `0 <= x`
        number = isinstance(relevance_threshold, numbers.Real) and not isinstance(
            relevance_threshold, bool
        )
        if not number or not 0 <= relevance_threshold <= 1:
            raise ValidationError(
                "relevance_threshold must be a number in [0, 1]",
                key="relevance_threshold",
                value=relevance_threshold,
            )
        paths = self._open(user_id)
        seen: set[str] = set()
        picked: list[Record] = []
        for index in reversed(self._indexes(paths)):  # higher layer wins a duplicate
            for record in index.records:
                if record["memory_id"] in seen:
                    continue
                seen.add(record["memory_id"])
                if (
                    index.layer in scope
                    and float(record.get("relevance_score", 0)) >= relevance_threshold
                ):
                    picked.append(record)
        picked.sort(
            key=lambda r: (
                -float(r.get("relevance_score", 0)),
                -_epoch(r.get("last_accessed")),
                r["memory_id"],
            )
        )
        if max_results is not None:
            picked = picked[:max_results]
        return [FFMemoryContextDTO.model_validate(r) for r in picked]

    def _search(
        self, user_id: str, query: Any, layers: Any, max_results: Any
    ) -> list[tuple[FFMemoryContextDTO, float]]:
        if not isinstance(query, str):
            raise ValidationError("query must be a string", key="query", value=query)
        wanted = query_terms(query)
        if not wanted:
            raise ValidationError("search query has no words", key="query", value=query)
        scope = {layer.value for layer in parse_layers(layers)}
        limit = min(_check_limit(max_results), self.config.max_memory_search_results)
        paths = self._open(user_id)
        ranking = Ranking(
            self.config.search_recency_weight, self.config.search_recency_half_life_hours
        )
        hits = search(
            self._indexes(paths), wanted, scope, self._ctx.clock.now().timestamp(), ranking, limit
        )
        return [(FFMemoryContextDTO.model_validate(r), score) for r, score in hits]

    # -- maintenance ---------------------------------------------------------------------
    def _maintain(self, user_id: str) -> dict[str, Any]:
        paths = self._open(user_id)
        now, now_iso = self._now()
        result: dict[str, Any] = {
            "user_id": user_id,
            "start_time": now_iso,
            "end_time": None,
            "tasks_completed": [],
            "errors": [],
            "success": False,
        }
        tasks: list[str] = result["tasks_completed"]
        try:
            self._ctx.fs.ensure_dir(paths.folder)
            with self._ctx.fs.lock(paths.lock_target):
                self._files.ensure(paths, now_iso, folder_ready=True)
                try:
                    current = self._files.read_all(paths)
                except StorageCorrupted as exc:
                    self._corrupted(paths, exc)
                    raise
                plan = plan_lifecycle(current, self.config, now, now_iso)
                tasks += [f"cleaned_{plan.removed}_expired", f"promoted_{plan.promoted}_memories"]
                layers, changed = plan.layers, set(plan.changed)
                compressed: dict[str, tuple[list[Record], CompressionOutcome]] = {}
                if self.config.enable_compression:
                    for layer in LAYERS:
                        if len(layers[layer]) > self.config.compression_thresholds[layer]:
                            outcome = self._plan_compression(
                                paths, layer, layers[layer], now, now_iso
                            )
                            if outcome.changed:
                                compressed[layer] = (layers[layer], outcome)
                                layers[layer] = outcome.records
                                changed.add(layer)
                self._commit(
                    paths,
                    {layer: layers[layer] for layer in changed},
                    compressed,
                    now,
                    now_iso,
                    maintenance=True,
                )
                tasks += [f"compressed_{len(compressed)}_layers", "updated_metadata"]
                result["details"] = {
                    "removed_expired": plan.removed,
                    "promoted": plan.promoted,
                    "deduplicated": plan.deduplicated,
                    "compressed_items": sum(len(o.compressed) for _, o in compressed.values()),
                    "backups": [paths.backup(layer, now).name for layer in compressed],
                }
        except (FFError, OSError, ValueError) as exc:  # ValueError: bad values on disk
            result["errors"].append(str(exc))
        finally:
            self._invalidate(paths)
        result["end_time"] = self._now()[1]
        result["success"] = not result["errors"]
        return result

    def _due(self, user_id: str) -> bool:
        metadata = self._files.read_metadata(self._open(user_id))
        last = (metadata or {}).get("last_maintenance")
        if not last:
            return True
        interval = timedelta(hours=self.config.archival_check_interval_hours)
        return self._ctx.clock.now() >= parse_timestamp(last) + interval

    def _metadata(self, user_id: str) -> dict[str, Any]:
        metadata = self._files.read_metadata(self._open(user_id))
        if metadata is None:
            raise NotFound(
                f"memory of user {user_id!r} is not initialised", key="user_id", value=user_id
            )
        return metadata

    # -- compression ---------------------------------------------------------------------
    def _plan_compression(
        self, paths: MemoryPaths, layer: str, records: list[Record], now: datetime, now_iso: str
    ) -> CompressionOutcome:
        return compress(
            records,
            layer=layer,
            user_id=paths.user_id,
            now_iso=now_iso,
            backup_name=paths.backup(layer, now).name,
            config=self.config,
            new_id=lambda: self._ctx.ids.prefixed("mem", 12),
        )

    def _compress_now(
        self, user_id: str, layer_name: Any, force: bool
    ) -> FFMemoryCompressionResultDTO:
        layer = parse_layer(layer_name).value
        paths = self._open(user_id)
        now, now_iso = self._now()
        self._ctx.fs.ensure_dir(paths.folder)
        try:
            with self._ctx.fs.lock(paths.lock_target):
                self._files.ensure(paths, now_iso, folder_ready=True)
                records = self._read_checked(paths, layer)
                if not force and len(records) <= self.config.compression_thresholds[layer]:
                    return self._result(
                        layer, records, CompressionOutcome(records, [], []), paths, now, now_iso
                    )
                return self._compress_locked(paths, layer, now, now_iso, records)
        finally:
            self._invalidate(paths)

    def _read_checked(self, paths: MemoryPaths, layer: str) -> list[Record]:
        try:
            return self._files.read_layer(paths, layer)
        except StorageCorrupted as exc:
            self._corrupted(paths, exc)
            raise

    def _compress_locked(
        self,
        paths: MemoryPaths,
        layer: str,
        now: datetime,
        now_iso: str,
        records: list[Record] | None = None,
    ) -> FFMemoryCompressionResultDTO:
        """Compress one layer now; the caller holds the group lock. ``records``: the layer as
        the caller read it under that same lock (read here when not given)."""
        if records is None:
            records = self._read_checked(paths, layer)
        outcome = self._plan_compression(paths, layer, records, now, now_iso)
        if outcome.changed:
            self._commit(
                paths,
                {layer: outcome.records},
                {layer: (records, outcome)},
                now,
                now_iso,
                maintenance=False,
            )
        return self._result(layer, records, outcome, paths, now, now_iso)

    def _result(
        self,
        layer: str,
        before: list[Record],
        outcome: CompressionOutcome,
        paths: MemoryPaths,
        now: datetime,
        now_iso: str,
    ) -> FFMemoryCompressionResultDTO:
        original, after = len(before), len(outcome.records)
        return FFMemoryCompressionResultDTO(
            original_count=original,
            compressed_count=after,
            compression_ratio=after / original if original else 1.0,
            compression_strategy=self.config.compression_strategy,
            summary_content="\n".join(s["content"] for s in outcome.summaries),
            preserved_items=original - len(outcome.compressed),
            compression_timestamp=now_iso,
            metadata={
                "layer": layer,
                "user_id": paths.user_id,
                "backup_file": paths.backup(layer, now).name if outcome.changed else None,
                "compressed_items": len(outcome.compressed),
                "groups": outcome.groups,
            },
        )

    def _commit(
        self,
        paths: MemoryPaths,
        layers: dict[str, list[Record]],
        compressed: dict[str, tuple[list[Record], CompressionOutcome]],
        now: datetime,
        now_iso: str,
        *,
        maintenance: bool,
    ) -> None:
        """Backups, then layers (highest first), then history, then the metadata counts."""
        for layer, (_before, outcome) in compressed.items():
            self._files.write_backup(paths.backup(layer, now), outcome.compressed)
        self._files.replace_layers(paths, layers)
        results = [
            self._result(layer, before, outcome, paths, now, now_iso)
            for layer, (before, outcome) in compressed.items()
        ]
        if results:
            self._files.append_compression_history(paths, [r.to_dict() for r in results])
        metadata = self._files.read_metadata(paths) or new_metadata(paths.user_id, now_iso)
        refresh_counts(self._ctx.fs, paths, metadata)
        for result in results:
            layer = result.metadata["layer"]
            metadata["layer_stats"][layer]["last_compression"] = now_iso
            metadata.setdefault("compression_history", []).append(
                {
                    "timestamp": now_iso,
                    "layer": layer,
                    "original_count": result.original_count,
                    "compressed_count": result.compressed_count,
                    "backup_file": result.metadata["backup_file"],
                }
            )
        metadata["compression_history"] = metadata.get("compression_history", [])[
            -HISTORY_IN_METADATA:
        ]
        if maintenance:
            metadata["last_maintenance"] = now_iso
        self._files.write_metadata(paths, metadata, now_iso)


def _check_limit(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValidationError(
            f"max_results must be a positive integer, got {value!r}", key="max_results", value=value
        )
    return value


def _epoch(value: Any) -> float:
    try:
        return parse_timestamp(value).timestamp() if value else 0.0
    except (TypeError, ValueError):
        return 0.0
