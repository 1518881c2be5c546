"""``FFRAGContextManager``: RAG sessions over knowledge bases — per-message context files,
injection formatting, usage tracking and statistics (P3, fixed)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from flatfile_chat.audit import AuditSink
from flatfile_chat.knowledge.formatting import format_contexts
from flatfile_chat.knowledge.manager import FFKnowledgeBaseManager
from flatfile_chat.knowledge.models import FFRAGContextDTO, FFRAGSessionDTO
from flatfile_chat.knowledge.rag_store import RAGStore
from flatfile_chat.store import FFStorageManager


class FFRAGContextManager:
    def __init__(
        self,
        store: FFStorageManager,
        kb_manager: FFKnowledgeBaseManager,
        *,
        audit: AuditSink | None = None,
    ) -> None:
        self.store = store
        self.config = store.config.knowledge_base.rag_session_defaults
        self.kb_manager = kb_manager
        # Access refusals are audited by the KB manager's sink; ours is for our own events.
        self.audit = audit if audit is not None else kb_manager.audit
        self._store = RAGStore(store.ctx, store.users, kb_manager)

    async def initialize_rag_session(
        self,
        user_id: str,
        session_id: str,
        kb_ids: Sequence[str],
        session_config: Mapping[str, Any] | None = None,
    ) -> FFRAGSessionDTO:
        """Create ``rag_sessions/{session_id}/`` over KBs the user may read.
        ``session_config`` overrides ``knowledge_base.rag_session_defaults``."""
        return await self.store.run_io(
            self._store.initialize, user_id, session_id, kb_ids, session_config
        )

    async def get_rag_session(self, user_id: str, session_id: str) -> FFRAGSessionDTO:
        data = await self.store.run_io(self._store.load, user_id, session_id)
        return FFRAGSessionDTO.model_validate(data)

    async def get_rag_context_for_message(
        self,
        user_id: str,
        session_id: str,
        message_content: str,
        message_id: str,
        max_context_chunks: int | None = None,
    ) -> list[FFRAGContextDTO]:
        """Retrieve and store ``rag_context/msg_{message_id}_context.json`` (once per
        message); never more than the session's ``max_context_per_message``."""
        return await self.store.run_io(
            self._store.context_for_message,
            user_id,
            session_id,
            message_content,
            message_id,
            max_context_chunks,
        )

    async def format_context_for_injection(
        self,
        contexts: Sequence[FFRAGContextDTO | Mapping[str, Any]],
        injection_mode: str = "automatic",
        include_citations: bool = True,
        *,
        visibility: str | None = None,
    ) -> str:
        """See ``knowledge.formatting`` for how modes and visibility map to text."""
        return format_contexts(contexts, injection_mode, include_citations, visibility)

    async def format_session_context(
        self, user_id: str, session_id: str, contexts: Sequence[FFRAGContextDTO | Mapping[str, Any]]
    ) -> str:
        """Format with the session's own ``context_injection_mode``, ``context_visibility``
        and ``enable_context_citations``."""
        session = await self.store.run_io(self._store.load, user_id, session_id)
        config = session["config"]
        return format_contexts(
            contexts,
            config["context_injection_mode"],
            config["enable_context_citations"],
            config["context_visibility"],
        )

    async def track_context_usage(
        self,
        user_id: str,
        session_id: str,
        message_id: str,
        used_contexts: Sequence[str],
        user_feedback: Any = None,
    ) -> dict[str, Any]:
        """Mark contexts as used (``used_in_response``, ``usage_count`` + 1)."""
        return await self.store.run_io(
            self._store.track_usage, user_id, session_id, message_id, used_contexts, user_feedback
        )

    async def get_session_rag_statistics(self, user_id: str, session_id: str) -> dict[str, Any]:
        return await self.store.run_io(self._store.statistics, user_id, session_id)
