"""``FFKnowledgeBaseManager``: per-user knowledge bases with quotas, chunked documents, bm25s
keyword + local-embedding retrieval, sharing and maintenance (P3, fixed).

Refusals raise (``LimitExceeded``, ``AlreadyExists``, ``SecurityError`` ...) instead of
upstream's ``None``/``False``, so a caller always learns why; successful calls return the
stored record (truthy where upstream returned ``True``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from flatfile_chat.audit import AuditLog, AuditSink
from flatfile_chat.knowledge.access import KBAccess
from flatfile_chat.knowledge.embedding import Embedder, HashingEmbedder
from flatfile_chat.knowledge.integrity import register_checks
from flatfile_chat.knowledge.layout import KnowledgeLayout
from flatfile_chat.knowledge.maintenance import KBMaintenance
from flatfile_chat.knowledge.models import (
    FFKBChunkDTO,
    FFKBDocumentDTO,
    FFKnowledgeBaseDTO,
    FFRAGRetrievalResultDTO,
    KnowledgeBaseType,
    RetrievalStrategy,
)
from flatfile_chat.knowledge.repository import KBRepository
from flatfile_chat.knowledge.retrieval import Retriever
from flatfile_chat.store import FFStorageManager


class FFKnowledgeBaseManager:
    def __init__(
        self,
        store: FFStorageManager,
        *,
        embedder: Embedder | None = None,
        audit: AuditSink | None = None,
        stats_flush_every: int = 64,
    ) -> None:
        """``stats_flush_every``: write the query counters (``performance_stats.json``) every
        that many queries per KB (1 = on every query); they are also written before any read
        of them through this manager, on :meth:`close` and at exit."""
        self.store = store
        self.config = store.config.knowledge_base
        self._ctx = store.ctx
        self.embedder: Embedder = embedder or HashingEmbedder(
            self.config.embedding_dimensions, name=self.config.embedding_model
        )
        self.audit: AuditSink = audit if audit is not None else AuditLog(store.ctx)
        self.access = KBAccess(store.ctx.fs, KnowledgeLayout(store.ctx.fs), self.audit)
        self._repo = KBRepository(
            store.ctx, store.users, self.embedder, self.access, stats_flush_every=stats_flush_every
        )
        self._retriever = Retriever(store.ctx, self._repo)
        self._maintenance = KBMaintenance(self._repo)
        self.layout = self._repo.layout
        register_checks(store)

    def flush_stats(self) -> None:
        """Write every pending query counter to ``performance_stats.json`` now."""
        self._repo.stats.flush()

    def close(self) -> None:
        """Write pending query counters (the manager stays usable)."""
        self.flush_stats()

    # -- knowledge bases -----------------------------------------------------------------
    async def create_knowledge_base(
        self,
        user_id: str,
        name: str,
        description: str = "",
        kb_type: KnowledgeBaseType | str = KnowledgeBaseType.PERSONAL_DOCS,
        config_overrides: Mapping[str, Any] | None = None,
    ) -> FFKnowledgeBaseDTO:
        """``config_overrides``: chunking_* / chunk sizes, default_retrieval_strategy,
        min_relevance_threshold, max_retrieval_results, tags, custom_metadata."""
        return await self.store.run_io(
            self._repo.create, user_id, name, description, kb_type, config_overrides
        )

    async def get_knowledge_base(self, user_id: str, kb_id: str) -> FFKnowledgeBaseDTO:
        return await self.store.run_io(self._get, user_id, kb_id)

    def _get(self, user_id: str, kb_id: str) -> FFKnowledgeBaseDTO:
        handle, config = self.access.for_read(user_id, kb_id, "read")
        return self._repo.dto(config, handle.paths)

    async def get_user_knowledge_bases(
        self, user_id: str, *, include_shared: bool = False
    ) -> list[FFKnowledgeBaseDTO]:
        """The user's own KBs (and, with ``include_shared``, KBs shared with them)."""
        return await self.store.run_io(self._list, user_id, include_shared)

    def _list(self, user_id: str, include_shared: bool) -> list[FFKnowledgeBaseDTO]:
        return [
            self._repo.dto(c, self.layout.kb(c["user_id"], c["kb_id"]))
            for c in self._repo.list_for(user_id, include_shared)
        ]

    async def set_kb_sharing(
        self,
        user_id: str,
        kb_id: str,
        *,
        sharing_enabled: bool,
        access_permissions: Sequence[str] = (),
    ) -> FFKnowledgeBaseDTO:
        """Owner only: who else may read this KB (audited)."""
        config = await self.store.run_io(
            self._repo.set_sharing, user_id, kb_id, sharing_enabled, list(access_permissions)
        )
        self.audit.record(
            "kb_sharing_changed",
            component="knowledge_base",
            actor=user_id,
            details={
                "kb_id": kb_id,
                "sharing_enabled": sharing_enabled,
                "user_ids": list(access_permissions),
            },
        )
        return self._repo.dto(config, self.layout.kb(user_id, kb_id))

    # -- documents -----------------------------------------------------------------------
    async def add_document_to_kb(
        self,
        user_id: str,
        kb_id: str,
        document_path: str,
        document_content: str | bytes,
        metadata: Mapping[str, Any] | None = None,
    ) -> FFKBDocumentDTO:
        """Chunk, embed and index a text document (owner only). ``metadata.title`` names it."""
        return await self.store.run_io(
            self._repo.add_document, user_id, kb_id, document_path, document_content, metadata
        )

    async def add_session_document(
        self,
        user_id: str,
        kb_id: str,
        session_id: str,
        filename: str,
        metadata: Mapping[str, Any] | None = None,
        document_path: str | None = None,
    ) -> FFKBDocumentDTO:
        """Index a document the user uploaded to one of their chat sessions (multimodal RAG):
        its text is read from ``users/{u}/{session}/documents/``, its stored name is kept in
        ``metadata.source_document``; a binary document is refused."""
        stored = await self.store.get_document(user_id, session_id, filename)
        content = await self.store.read_document(user_id, session_id, filename)
        meta = {**dict(metadata or {}), "source_document": f"{session_id}/{filename}"}
        return await self.add_document_to_kb(
            user_id, kb_id, document_path or stored.original_name, content, meta
        )

    async def delete_document(self, user_id: str, kb_id: str, document_id: str) -> FFKBDocumentDTO:
        """Remove the document, its chunks, vectors and bm25 terms (owner only)."""
        return await self.store.run_io(self._repo.delete_document, user_id, kb_id, document_id)

    async def list_kb_documents(self, user_id: str, kb_id: str) -> list[FFKBDocumentDTO]:
        return await self.store.run_io(self._repo.documents, user_id, kb_id)

    async def get_document_chunks(
        self, user_id: str, kb_id: str, document_id: str | None = None
    ) -> list[FFKBChunkDTO]:
        return await self.store.run_io(self._repo.chunks, user_id, kb_id, document_id)

    # -- retrieval -----------------------------------------------------------------------
    async def retrieve_context(
        self,
        user_id: str,
        query: str,
        kb_ids: Sequence[str] | None = None,
        retrieval_strategy: RetrievalStrategy | str = RetrievalStrategy.HYBRID_RETRIEVAL,
        max_results: int = 10,
        min_relevance: float = 0.3,
    ) -> FFRAGRetrievalResultDTO:
        return await self.store.run_io(
            self._retriever.retrieve,
            user_id,
            query,
            kb_ids,
            retrieval_strategy,
            max_results,
            min_relevance,
        )

    def retrieve_context_sync(
        self,
        user_id: str,
        query: str,
        kb_ids: Sequence[str] | None = None,
        retrieval_strategy: RetrievalStrategy | str = RetrievalStrategy.HYBRID_RETRIEVAL,
        max_results: int = 10,
        min_relevance: float = 0.3,
    ) -> FFRAGRetrievalResultDTO:
        """The same, for sync callers (the RAG manager's locked section, benchmarks)."""
        return self._retriever.retrieve(
            user_id, query, kb_ids, retrieval_strategy, max_results, min_relevance
        )

    def readable(self, user_id: str, kb_id: str, action: str = "retrieve from") -> bool:
        """Whether ``user_id`` may read ``kb_id`` now (a refusal is audited)."""
        return self.access.readable(user_id, kb_id, action)

    # -- analytics and maintenance -------------------------------------------------------
    async def get_kb_analytics(self, user_id: str, kb_id: str) -> dict[str, Any]:
        return await self.store.run_io(self._maintenance.analytics, user_id, kb_id)

    async def run_kb_maintenance(self, user_id: str, kb_id: str) -> dict[str, Any]:
        """Dedupe documents, re-embed if the embedder changed or vectors are damaged, rebuild
        the bm25 index from ``chunk_index.jsonl``, recount, clear the cache (owner only)."""
        return await self.store.run_io(self._maintenance.maintenance, user_id, kb_id)
