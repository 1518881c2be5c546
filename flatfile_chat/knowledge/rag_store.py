"""The sync file work behind ``FFRAGContextManager`` (``users/{u}/rag_sessions/{sid}/``).

Each message's contexts are written once, to ``rag_context/msg_{message_id}_context.json``:
at most ``max_context_per_message`` contexts, each with ``relevance_score`` ≥
``context_quality_threshold`` and a ``kb_id`` among the session's active KBs (a KB whose
sharing was revoked since is skipped, audited, and listed in ``retrieval_metadata``). A
message with no match gets an empty list. Writers hold the session lock; usage counters in
``session_config.json`` and ``context_usage_stats.json`` are updated under it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from flatfile_chat.config import FFRAGSessionConfigDTO
from flatfile_chat.errors import AlreadyExists, NotFound, ValidationError
from flatfile_chat.knowledge.layout import RAGPaths
from flatfile_chat.knowledge.models import (
    FFRAGContextDTO,
    FFRAGSessionDTO,
    RetrievalStrategy,
)
from flatfile_chat.storage.paths import validate_id
from flatfile_chat.store.layout import StoreContext
from flatfile_chat.store.users import UserRepository
from flatfile_chat.validation import enum_value, id_list, parse_input

if TYPE_CHECKING:
    from flatfile_chat.knowledge.manager import FFKnowledgeBaseManager

_FEEDBACK = (str, int, float, dict, type(None))


def _empty_stats() -> dict[str, Any]:
    return {
        "messages_processed": 0,
        "messages_with_context": 0,
        "contexts_retrieved": 0,
        "contexts_used": 0,
        "usage_events": 0,
        "kb_retrievals": {},
        "kb_used": {},
        "feedback_events": {},
    }


class RAGStore:
    def __init__(
        self, ctx: StoreContext, users: UserRepository, kb: FFKnowledgeBaseManager
    ) -> None:
        self._ctx = ctx
        self._fs = ctx.fs
        self._users = users
        self._kb = kb

    def paths(self, user_id: str, session_id: str) -> RAGPaths:
        return self._kb.layout.rag_session(user_id, session_id)

    # -- sessions ------------------------------------------------------------------------
    def initialize(
        self,
        user_id: str,
        session_id: str,
        kb_ids: Sequence[str],
        session_config: Mapping[str, Any] | None,
    ) -> FFRAGSessionDTO:
        paths = self.paths(user_id, session_id)
        self._users.require(user_id)
        active = list(dict.fromkeys(id_list(kb_ids, "kb_ids")))
        for kb_id in active:
            self._kb.access.for_read(user_id, kb_id, "use in a RAG session")
        config = self._config(session_config, active)
        now = self._ctx.now_iso()
        record = FFRAGSessionDTO(
            user_id=user_id,
            session_id=session_id,
            created_at=now,
            config=config.model_dump(mode="json"),
            active_knowledge_bases=active,
            context_usage_stats=_empty_stats(),
        )
        fs = self._fs
        try:
            fs.create_dir(paths.root)
        except AlreadyExists:
            raise AlreadyExists(
                f"RAG session {session_id!r} of user {user_id!r} already exists",
                key="session_id",
                value=session_id,
            ) from None
        try:
            fs.ensure_dir(paths.context_dir)
            fs.write_json(paths.active_kbs, active)
            fs.write_json(paths.usage_stats, _empty_stats(), derived=True)
            fs.write_json(paths.config, record.to_dict(), exclusive=True)  # commit point
        except BaseException:
            fs.remove_tree(paths.root)
            raise
        return record

    def _config(
        self, overrides: Mapping[str, Any] | None, active: list[str]
    ) -> FFRAGSessionConfigDTO:
        given = dict(overrides or {})
        if "active_knowledge_bases" in given and list(given["active_knowledge_bases"]) != active:
            raise ValidationError(
                "session_config.active_knowledge_bases disagrees with "
                "kb_ids; pass the KBs as kb_ids",
                key="active_knowledge_bases",
            )
        base = self._ctx.config.knowledge_base.rag_session_defaults.model_dump()
        config = parse_input(
            FFRAGSessionConfigDTO,
            {**base, **given, "active_knowledge_bases": active},
            "session_config",
        )
        enum_value(RetrievalStrategy, config.retrieval_strategy, "retrieval_strategy")
        return config

    def load(self, user_id: str, session_id: str) -> dict[str, Any]:
        data = self._fs.read_json(self.paths(user_id, session_id).config, default=None)
        if data is None:
            raise NotFound(
                f"RAG session {session_id!r} of user {user_id!r} not found",
                key="session_id",
                value=session_id,
            )
        return data

    # -- contexts per message ------------------------------------------------------------
    def context_for_message(
        self,
        user_id: str,
        session_id: str,
        content: str,
        message_id: str,
        max_context_chunks: int | None,
    ) -> list[FFRAGContextDTO]:
        validate_id(message_id, "message_id")
        if not isinstance(content, str) or not content.strip():
            raise ValidationError(
                "message_content must be a non-empty string", key="message_content"
            )
        if max_context_chunks is not None and (
            isinstance(max_context_chunks, bool)
            or not isinstance(max_context_chunks, int)
            or max_context_chunks < 1
        ):
            raise ValidationError(
                "max_context_chunks must be a positive integer", key="max_context_chunks"
            )
        paths = self.paths(user_id, session_id)
        session = self.load(user_id, session_id)
        config = session["config"]
        limit = min(
            max_context_chunks or config["max_context_per_message"],
            config["max_context_per_message"],
            self._ctx.config.knowledge_base.max_retrieval_results,
        )
        with self._fs.lock(paths.lock_target):
            target = paths.message_context(message_id)
            if target.exists():
                raise AlreadyExists(
                    f"message {message_id!r} already has contexts in RAG session {session_id!r}",
                    key="message_id",
                    value=message_id,
                )
            active = session["active_knowledge_bases"]
            allowed = [k for k in active if self._kb.readable(user_id, k)]
            metadata: dict[str, Any] = {
                "retrieval_strategy": config["retrieval_strategy"],
                "kb_ids_searched": allowed,
                "skipped_kbs": [k for k in active if k not in allowed],
                "threshold": config["context_quality_threshold"],
                "max_contexts": limit,
                "requested_max": max_context_chunks,
                "kb_coverage": {},
                "total_candidates": 0,
            }
            contexts: list[FFRAGContextDTO] = []
            if not config["enable_rag"]:
                metadata["skipped"] = "enable_rag is false"
            elif allowed:
                result = self._kb.retrieve_context_sync(
                    user_id,
                    content,
                    allowed,
                    config["retrieval_strategy"],
                    limit,
                    config["context_quality_threshold"],
                )
                contexts = result.contexts
                metadata.update(
                    kb_coverage=result.kb_coverage, total_candidates=result.total_candidates
                )
            now = self._ctx.now_iso()
            self._fs.write_json(
                target,
                {
                    "message_id": message_id,
                    "timestamp": now,
                    "query": content,
                    "contexts": [c.to_dict() for c in contexts],
                    "retrieval_metadata": metadata,
                },
                exclusive=True,
            )
            self._fs.append_jsonl(
                paths.messages,
                [
                    {
                        "message_id": message_id,
                        "timestamp": now,
                        "query": content,
                        "context_ids": [c.context_id for c in contexts],
                        "kb_coverage": metadata["kb_coverage"],
                    }
                ],
                locked=True,
            )
            self._update_stats(paths, retrieved=contexts)
        return contexts

    def _update_stats(
        self,
        paths: RAGPaths,
        *,
        retrieved: Sequence[FFRAGContextDTO] = (),
        used: Sequence[Mapping[str, Any]] = (),
        newly_used: Sequence[Mapping[str, Any]] = (),
        feedback: Any = None,
    ) -> None:
        stats = self._fs.read_json(paths.usage_stats, default=None) or _empty_stats()
        if not used:
            stats["messages_processed"] += 1
            stats["messages_with_context"] += bool(retrieved)
            stats["contexts_retrieved"] += len(retrieved)
            for context in retrieved:
                stats["kb_retrievals"][context.kb_id] = (
                    stats["kb_retrievals"].get(context.kb_id, 0) + 1
                )
        else:
            stats["usage_events"] += len(used)
            stats["contexts_used"] += len(newly_used)
            for record in newly_used:
                stats["kb_used"][record["kb_id"]] = stats["kb_used"].get(record["kb_id"], 0) + 1
            if feedback is not None:
                label = feedback if isinstance(feedback, str) else "structured"
                events = stats["feedback_events"]
                events[label] = events.get(label, 0) + len(used)
        stats["updated_at"] = self._ctx.now_iso()
        self._fs.write_json(paths.usage_stats, stats, derived=True)
        session = self._fs.read_json(paths.config)
        session["context_usage_stats"] = stats
        self._fs.write_json(paths.config, session)

    # -- usage ---------------------------------------------------------------------------
    def track_usage(
        self,
        user_id: str,
        session_id: str,
        message_id: str,
        used_contexts: Sequence[str],
        user_feedback: Any,
    ) -> dict[str, Any]:
        validate_id(message_id, "message_id")
        if isinstance(used_contexts, str) or not isinstance(used_contexts, Sequence):
            raise ValidationError(
                "used_contexts must be a list of context ids", key="used_contexts"
            )
        if not isinstance(user_feedback, _FEEDBACK) or isinstance(user_feedback, bool):
            raise ValidationError(
                "user_feedback must be text, a number or a mapping", key="user_feedback"
            )
        wanted = list(dict.fromkeys(used_contexts))
        paths = self.paths(user_id, session_id)
        self.load(user_id, session_id)
        with self._fs.lock(paths.lock_target):
            target = paths.message_context(message_id)
            record = self._fs.read_json(target, default=None)
            if record is None:
                raise NotFound(
                    f"message {message_id!r} has no contexts in RAG session {session_id!r}",
                    key="message_id",
                    value=message_id,
                )
            by_id = {c["context_id"]: c for c in record["contexts"]}
            missing = [c for c in wanted if c not in by_id]
            if missing:
                raise NotFound(
                    f"context {missing[0]!r} was not retrieved for message {message_id!r}",
                    key="used_contexts",
                    value=missing[0],
                )
            newly = []
            for context_id in wanted:
                context = by_id[context_id]
                if not context["used_in_response"]:
                    newly.append(context)
                context["used_in_response"] = True
                context["usage_count"] += 1
                if user_feedback is not None:
                    context["user_feedback"] = user_feedback
            self._fs.write_json(target, record)
            self._update_stats(
                paths, used=[by_id[c] for c in wanted], newly_used=newly, feedback=user_feedback
            )
        return {
            "message_id": message_id,
            "updated": wanted,
            "usage_counts": {c: by_id[c]["usage_count"] for c in wanted},
        }

    # -- statistics ----------------------------------------------------------------------
    def statistics(self, user_id: str, session_id: str) -> dict[str, Any]:
        """Recomputed from the context files (the truth), not from the counters."""
        session = self.load(user_id, session_id)
        paths = self.paths(user_id, session_id)
        messages = self._fs.read_jsonl(paths.messages)
        stats = {
            k: v for k, v in _empty_stats().items() if k not in ("usage_events", "feedback_events")
        }
        stats["feedback"] = {}
        relevance: list[float] = []
        total_usage = 0
        for message in messages:
            record = self._fs.read_json(paths.message_context(message["message_id"]))
            contexts = record["contexts"]
            stats["messages_processed"] += 1
            stats["messages_with_context"] += bool(contexts)
            stats["contexts_retrieved"] += len(contexts)
            for context in contexts:
                kb_id = context["kb_id"]
                stats["kb_retrievals"][kb_id] = stats["kb_retrievals"].get(kb_id, 0) + 1
                relevance.append(context["relevance_score"])
                total_usage += context["usage_count"]
                if context["used_in_response"]:
                    stats["contexts_used"] += 1
                    stats["kb_used"][kb_id] = stats["kb_used"].get(kb_id, 0) + 1
                if context.get("user_feedback") is not None:
                    label = (
                        context["user_feedback"]
                        if isinstance(context["user_feedback"], str)
                        else "structured"
                    )
                    stats["feedback"][label] = stats["feedback"].get(label, 0) + 1
        retrieved = stats["contexts_retrieved"]
        return {
            "user_id": user_id,
            "session_id": session_id,
            "active_knowledge_bases": session["active_knowledge_bases"],
            **stats,
            "total_usage_count": total_usage,
            "messages_without_context": stats["messages_processed"]
            - stats["messages_with_context"],
            "usage_rate": round(stats["contexts_used"] / retrieved, 4) if retrieved else 0.0,
            "average_relevance": round(sum(relevance) / len(relevance), 4) if relevance else 0.0,
            "context_files": len(
                [n for n in self._listdir(paths.context_dir) if n.startswith("msg_")]
            ),
        }

    def _listdir(self, path: Any) -> list[str]:
        try:
            return self._fs.listdir(path)
        except FileNotFoundError:
            return []
