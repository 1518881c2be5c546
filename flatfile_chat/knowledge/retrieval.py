"""Retrieval across one or more knowledge bases (``retrieve_context``).

Per KB: bm25s keyword candidates and/or cosine candidates (``keyword_candidate_pool`` each),
scored by ``fusion``, filtered by ``min_relevance``, the best ``max_results`` kept (and cached).
Across KBs: all scores are on the same [0, 1] scale, so the lists merge by score (ties: order
of ``kb_ids``, then row). ``kb_coverage`` counts the returned contexts per KB.

Which KBs: ``kb_ids=None`` means all of the reader's own KBs; another user's KB is searched
only when named and readable (shared with the reader), otherwise ``SecurityError`` (audited).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from flatfile_chat.errors import LimitExceeded, ValidationError
from flatfile_chat.knowledge import fusion
from flatfile_chat.knowledge.access import KBHandle
from flatfile_chat.knowledge.cache import Hit, cache_key
from flatfile_chat.knowledge.index_files import IndexSnapshot
from flatfile_chat.knowledge.models import (
    FFRAGContextDTO,
    FFRAGRetrievalResultDTO,
    RetrievalStrategy,
)
from flatfile_chat.knowledge.repository import KBRepository
from flatfile_chat.store.layout import StoreContext
from flatfile_chat.validation import enum_value, id_list


@dataclass(frozen=True)
class _Target:
    handle: KBHandle
    config: dict[str, Any]


class Retriever:
    def __init__(self, ctx: StoreContext, repo: KBRepository) -> None:
        self._ctx = ctx
        self._repo = repo

    def retrieve(
        self,
        reader: str,
        query: str,
        kb_ids: Sequence[str] | None,
        strategy: RetrievalStrategy | str,
        max_results: int,
        min_relevance: float,
    ) -> FFRAGRetrievalResultDTO:
        settings = self._repo.config
        if not isinstance(query, str) or not query.strip():
            raise ValidationError("query must be a non-empty string", key="query")
        kind = enum_value(RetrievalStrategy, strategy, "retrieval_strategy")
        if isinstance(max_results, bool) or not isinstance(max_results, int) or max_results < 1:
            raise ValidationError("max_results must be a positive integer", key="max_results")
        if max_results > settings.max_retrieval_results:
            raise LimitExceeded(
                f"max_results {max_results} is over max_retrieval_results "
                f"({settings.max_retrieval_results})",
                key="max_retrieval_results",
            )
        if not isinstance(min_relevance, int | float) or not 0 <= min_relevance <= 1:
            raise ValidationError("min_relevance must be within [0, 1]", key="min_relevance")
        targets = self._targets(reader, kb_ids)
        if len(targets) > 1 and not settings.enable_cross_kb_retrieval:
            raise ValidationError(
                f"{len(targets)} knowledge bases requested but enable_cross_kb_retrieval is off",
                key="kb_ids",
            )
        query_vector = self._query_vector(query, kind)
        scored: list[tuple[float, int, int, _Target, IndexSnapshot, Hit]] = []
        candidates = hits_from_cache = 0
        from_cache: list[bool] = []
        for position, target in enumerate(targets):
            snapshot, hits, cached = self._kb_hits(
                target, query, kind, max_results, min_relevance, query_vector
            )
            from_cache.append(cached)
            hits_from_cache += cached
            candidates += len(hits)
            scored.extend((h[2], position, h[0], target, snapshot, h) for h in hits)
        scored.sort(key=lambda s: (-s[0], s[1], s[2]))
        contexts = [
            self._context(target, snapshot, hit, query)
            for _s, _p, _r, target, snapshot, hit in scored[:max_results]
        ]
        coverage: dict[str, int] = {}
        for context in contexts:
            coverage[context.kb_id] = coverage.get(context.kb_id, 0) + 1
        for target, cached in zip(targets, from_cache):
            self._repo.record_query(
                target.handle.paths, coverage.get(target.handle.kb_id, 0), cache_hit=cached
            )
        return FFRAGRetrievalResultDTO(
            query=query,
            retrieval_strategy=kind,
            contexts=contexts,
            total_candidates=candidates,
            kbs_searched=[t.handle.kb_id for t in targets],
            kb_coverage=coverage,
            min_relevance=float(min_relevance),
            cache_hits=hits_from_cache,
            timestamp=self._ctx.now_iso(),
        )

    def _targets(self, reader: str, kb_ids: Sequence[str] | None) -> list[_Target]:
        access = self._repo.access
        if kb_ids is None:
            configs = self._repo.list_for(reader, include_shared=False)
            return [
                _Target(access.locate(reader, c["kb_id"]), c)
                for c in sorted(configs, key=lambda c: (c["created_at"], c["kb_id"]))
            ]
        kb_ids = id_list(kb_ids, "kb_ids")
        self._repo.require_user(reader)
        targets = []
        for kb_id in dict.fromkeys(kb_ids):
            handle, config = access.for_read(reader, kb_id, "retrieve from")
            targets.append(_Target(handle, config))
        return targets

    def _query_vector(self, query: str, kind: RetrievalStrategy) -> np.ndarray | None:
        if not fusion.uses_semantic(kind):
            return None
        return self._repo.embedder.embed([query])[0].astype(np.float32)

    def _kb_hits(
        self,
        target: _Target,
        query: str,
        kind: RetrievalStrategy,
        max_results: int,
        min_relevance: float,
        query_vector: np.ndarray | None,
    ) -> tuple[IndexSnapshot, list[Hit], bool]:
        repo, settings, paths = self._repo, self._repo.config, target.handle.paths
        snapshot = repo.snapshot(paths, target.config)
        if fusion.uses_semantic(kind):
            repo.check_embedder(target.config)
        use_cache = (
            settings.enable_retrieval_cache and kind is not RetrievalStrategy.TEMPORAL_RELEVANCE
        )
        now = self._ctx.clock.now()
        key = ""
        if use_cache:
            key = cache_key(
                query,
                kind.value,
                max_results,
                float(min_relevance),
                repo.embedder.name,
                repo.embedder.dimensions,
                settings.keyword_candidate_pool,
            )
            cached = repo.cache.get(
                paths,
                snapshot.fingerprint,
                key,
                now,
                settings.cache_ttl_hours,
                settings.max_cache_entries,
            )
            if cached is not None and all(
                h[0] < snapshot.size and snapshot.rows[h[0]]["chunk_id"] == h[1] for h in cached
            ):
                return snapshot, cached, True
        pool = settings.keyword_candidate_pool
        keyword = snapshot.keyword.search(query, pool) if fusion.uses_keyword(kind) else None
        semantic = (
            fusion.semantic_top(snapshot, query_vector, pool) if query_vector is not None else {}
        )
        scored = fusion.score(
            snapshot,
            kind,
            keyword,
            semantic,
            decay_per_hour=settings.context_relevance_decay,
            now=now,
            min_relevance=float(min_relevance),
            limit=max_results,
        )
        hits: list[Hit] = [
            [s.row, snapshot.rows[s.row]["chunk_id"], s.score, s.keyword, s.semantic, s.method]
            for s in scored
        ]
        if use_cache:
            repo.cache.put(
                paths,
                snapshot.fingerprint,
                key,
                hits,
                self._ctx.now_iso(),
                settings.max_cache_entries,
            )
        return snapshot, hits, False

    def _context(
        self, target: _Target, snapshot: IndexSnapshot, hit: Hit, query: str
    ) -> FFRAGContextDTO:
        row, _chunk_id, score, keyword, semantic, method = hit
        chunk = snapshot.rows[row]
        return FFRAGContextDTO(
            context_id=self._ctx.ids.prefixed("ctx", 12),
            kb_id=target.handle.kb_id,
            document_id=chunk["document_id"],
            chunk_id=chunk["chunk_id"],
            content=chunk["content"],
            title=f"{chunk['document_title']} [{chunk['chunk_index'] + 1}/{chunk['total_chunks']}]",
            document_title=chunk["document_title"],
            relevance_score=score,
            retrieval_method=method,
            query_used=query,
            chunk_index=chunk["chunk_index"],
            total_chunks=chunk["total_chunks"],
            char_start=chunk["char_start"],
            char_end=chunk["char_end"],
            source_path=chunk["source_path"],
            last_updated=chunk["added_at"],
            metadata={
                "keyword_score": keyword,
                "semantic_score": semantic,
                "owner_user_id": target.handle.owner,
            },
        )
