"""``FFPanelSessionManager``: multi-participant panels with enforced session rules, consensus,
decisions, analytics, and insights copied into the owner's memory layer (P2, fixed).

The async methods only sequence work: the file work runs in :class:`PanelRepository` through
``store.run_io``; the memory copy is awaited after the insight is stored (see
``docs/decisions/panel_session.md`` for why in that order).
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from typing import Any, Protocol

from flatfile_chat.audit import AuditLog, AuditSink
from flatfile_chat.errors import FFError, ValidationError
from flatfile_chat.panel.integrity import register_checks
from flatfile_chat.panel.memory_bridge import InsightMemory, memory_context
from flatfile_chat.panel.models import (
    FFPanelAnalyticsDTO,
    FFPanelInsightDTO,
    FFPanelMessageDTO,
    FFPanelParticipantDTO,
    FFPanelRoutingDTO,
    PanelSessionType,
)
from flatfile_chat.panel.repository import COMPONENT, PanelRepository
from flatfile_chat.store import FFStorageManager


class OperationSink(Protocol):
    async def record_operation(
        self,
        component: str,
        duration_ms: float,
        success: bool = True,
        *,
        error_type: str | None = None,
    ) -> Any: ...


class FFPanelSessionManager:
    def __init__(
        self,
        store: FFStorageManager,
        *,
        memory: InsightMemory | None = None,
        audit: AuditSink | None = None,
        metrics: OperationSink | None = None,
    ) -> None:
        """``metrics`` (e.g. FFMetricsCollectionManager) receives one operation per turn."""
        self.store = store
        self.metrics = metrics
        self.config = store.config.panel_session
        self._ctx = store.ctx
        self.memory = memory
        self.audit: AuditSink = audit if audit is not None else AuditLog(store.ctx)
        self._repo = PanelRepository(store.ctx, store.users, store.personas, self.audit)
        self.layout = self._repo.layout
        register_checks(store)

    # -- lifecycle -----------------------------------------------------------------------
    async def create_panel_session(
        self,
        panel_id: str,
        session_type: PanelSessionType | str,
        participants: Sequence[FFPanelParticipantDTO | Mapping[str, Any]],
        session_config: Mapping[str, Any] | None = None,
    ) -> bool:
        """Create ``panel_sessions/{panel_id}/``. ``session_config`` may override any
        ``panel_session`` setting and name ``owner_user_id`` (whose memory gets insights)."""
        await self.store.run_io(
            self._repo.create, panel_id, session_type, participants, session_config
        )
        return True

    async def get_panel_session(self, panel_id: str) -> dict[str, Any]:
        """The stored ``panel_config.json`` (participants, config, rules, status)."""
        return await self.store.run_io(self._repo.load, panel_id)

    async def end_panel_session(self, panel_id: str) -> dict[str, Any]:
        """Returns ``{success, panel_id, ended_at, final_analytics, session_summary}``."""
        return await self.store.run_io(self._repo.end, panel_id)

    # -- messages ------------------------------------------------------------------------
    async def add_panel_message(
        self,
        panel_id: str,
        participant_id: str,
        content: str,
        message_type: str = "conversation",
        reply_to_message_id: str | None = None,
        metadata: Mapping[str, Any] | None = None,
    ) -> FFPanelMessageDTO:
        """Append one message after the membership, length and turn rules pass. Every turn
        leaves a ``panel_turn`` audit line and, with ``metrics``, an operation metric (a
        refused turn a failed one)."""
        started = time.perf_counter()
        try:
            message, auto, config = await self.store.run_io(
                self._repo.add_message,
                panel_id,
                participant_id,
                content,
                message_type,
                reply_to_message_id,
                metadata,
                memory_enabled=self.memory is not None,
            )
        except FFError as exc:
            await self._measure(started, exc)
            raise
        self.audit.record(
            "panel_turn",
            component="panel_session",
            details={
                "panel_id": panel_id,
                "message_id": message.message_id,
                "participant_id": participant_id,
                "conversation_turn": message.conversation_turn,
            },
        )
        await self._measure(started, None)
        for insight in auto:
            await self._copy_to_memory(insight, config)
        return message

    async def _measure(self, started: float, error: BaseException | None) -> None:
        if self.metrics is not None:
            await self.metrics.record_operation(
                "panel_session",
                (time.perf_counter() - started) * 1000,
                error is None,
                error_type=type(error).__name__ if error is not None else None,
            )

    async def get_panel_messages(
        self,
        panel_id: str,
        limit: int | None = None,
        participant_filter: str | Sequence[str] | None = None,
        message_type_filter: str | Sequence[str] | None = None,
        thread_id: str | None = None,
    ) -> list[FFPanelMessageDTO]:
        """The last ``limit`` matching messages, oldest first (``response_count`` live)."""
        if limit is not None and limit < 0:
            raise ValidationError("limit must be >= 0", key="limit", value=limit)
        return await self.store.run_io(
            self._messages, panel_id, limit, participant_filter, message_type_filter, thread_id
        )

    def _messages(
        self,
        panel_id: str,
        limit: int | None,
        participants: str | Sequence[str] | None,
        types: str | Sequence[str] | None,
        thread_id: str | None,
    ) -> list[FFPanelMessageDTO]:
        self._repo.load(panel_id)
        rows = self._repo.messages(panel_id)
        replies: dict[str, int] = {}
        for row in rows:
            if row.get("reply_to_message_id"):
                replies[row["reply_to_message_id"]] = replies.get(row["reply_to_message_id"], 0) + 1
        wanted_p = {participants} if isinstance(participants, str) else participants
        wanted_t = {types} if isinstance(types, str) else types
        selected = [
            r
            for r in rows
            if (wanted_p is None or r["participant_id"] in wanted_p)
            and (wanted_t is None or r["message_type"] in wanted_t)
            and (thread_id is None or r.get("thread_id") == thread_id)
        ]
        if limit is not None:
            selected = selected[-limit:] if limit else []
        return [
            FFPanelMessageDTO.model_validate(
                {**r, "response_count": replies.get(r["message_id"], 0)}
            )
            for r in selected
        ]

    # -- insights ------------------------------------------------------------------------
    async def capture_panel_insight(
        self,
        panel_id: str,
        insight_content: str,
        insight_type: str = "insight",
        context_message_ids: Sequence[str] | None = None,
        participant_positions: Mapping[str, str] | None = None,
        *,
        metadata: Mapping[str, Any] | None = None,
    ) -> FFPanelInsightDTO:
        """Store an insight (consensus from ``participant_positions``; ``decision`` and
        ``consensus`` types are decisions), then copy it into the owner's memory layer.
        ``metadata`` may carry impact_level, deadline, summary, decision_text,
        related_insights, follow_up_required."""
        insight, config = await self.store.run_io(
            self._repo.capture_insight,
            panel_id,
            insight_content,
            insight_type,
            context_message_ids,
            participant_positions,
            metadata,
            memory_enabled=self.memory is not None,
        )
        await self._copy_to_memory(insight, config)
        return insight

    async def _copy_to_memory(self, insight: FFPanelInsightDTO, config: Mapping[str, Any]) -> None:
        target = insight.metadata.get("memory_target")
        if not target or self.memory is None:
            return
        try:
            await self.memory.add_memory_context(
                target["user_id"], memory_context(insight, config), target_layer=target["layer"]
            )
        except Exception as exc:
            # The insight is stored; say loudly that its memory copy is missing.
            self.audit.record(
                "panel_insight_memory_copy_failed",
                component=COMPONENT,
                actor=target["user_id"],
                outcome="failure",
                details={
                    "panel_id": insight.panel_id,
                    "insight_id": insight.insight_id,
                    "error": str(exc),
                },
            )
            raise

    async def get_panel_insights(
        self,
        panel_id: str,
        insight_type_filter: str | None = None,
        include_decisions_only: bool = False,
    ) -> list[FFPanelInsightDTO]:
        return await self.store.run_io(
            self._insights, panel_id, insight_type_filter, include_decisions_only
        )

    def _insights(
        self, panel_id: str, kind: str | None, decisions_only: bool
    ) -> list[FFPanelInsightDTO]:
        self._repo.load(panel_id)
        return [
            FFPanelInsightDTO.model_validate(r)
            for r in self._repo.insights(panel_id)
            if (kind is None or r["insight_type"] == kind)
            and (not decisions_only or r["is_decision"])
        ]

    # -- analytics, participants, routing ------------------------------------------------
    async def get_panel_analytics(self, panel_id: str) -> FFPanelAnalyticsDTO:
        """Computed from the files on every call (nothing cached in memory)."""
        return await self.store.run_io(self._repo.analytics, panel_id)

    async def get_panel_participants(self, panel_id: str) -> list[FFPanelParticipantDTO]:
        config = await self.store.run_io(self._repo.load, panel_id)
        return list(self._repo.members(config).values())

    async def route_panel_message(
        self,
        panel_id: str,
        content: str,
        *,
        confidences: Mapping[str, float] | None = None,
        message_id: str | None = None,
        threshold: float | None = None,
    ) -> FFPanelRoutingDTO:
        """Topic delegation: record who should answer ``content`` (expert or fallback).
        A reply whose ``metadata.routing_id`` names this decision must come from the chosen
        participant."""
        return await self.store.run_io(
            self._repo.route, panel_id, content, confidences, message_id, threshold
        )

    async def get_routing_decisions(self, panel_id: str) -> list[FFPanelRoutingDTO]:
        rows = await self.store.run_io(self._repo.routing_decisions, panel_id)
        return [FFPanelRoutingDTO.model_validate(r) for r in rows]
