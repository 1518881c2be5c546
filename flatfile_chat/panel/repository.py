"""The sync file work behind ``FFPanelSessionManager``.

Every write to a panel holds the panel's file lock (``panel_sessions/{id}/.panel.lock``), so
concurrent writers in threads or processes are serialised and ``conversation_turn`` stays
strictly increasing. Nothing lives only in memory: each call reads the state it needs from
disk, so a fresh manager resumes any panel. Each call validates everything first; a refused
call writes nothing (except the audit line for a non-member).

Write order per call: the JSONL truth (messages / insights) first, then the derived views
(session_metadata, participant contexts, stats), which a later call rewrites from the truth.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

from flatfile_chat.audit import AuditSink
from flatfile_chat.clock import parse_timestamp
from flatfile_chat.errors import (
    AlreadyExists,
    NotFound,
    SecurityError,
    ValidationError,
)
from flatfile_chat.panel import analytics, consensus, routing, rules
from flatfile_chat.panel.creation import PanelCreator
from flatfile_chat.panel.inputs import check_kind
from flatfile_chat.panel.layout import PanelLayout
from flatfile_chat.panel.models import (
    DECISION_INSIGHT_TYPES,
    FFPanelAnalyticsDTO,
    FFPanelInsightDTO,
    FFPanelMessageDTO,
    FFPanelParticipantDTO,
    FFPanelRoutingDTO,
    PanelSessionType,
)
from flatfile_chat.storage.paths import validate_id
from flatfile_chat.store.layout import StoreContext
from flatfile_chat.store.personas import PersonaRepository
from flatfile_chat.store.users import UserRepository
from flatfile_chat.validation import id_list, json_dict

COMPONENT = "panel_session"
_IMPACT = ("low", "medium", "high", "critical")
_HISTORY_KEPT = 20
# A built insight and the consensus assessment of its positions (None: nobody took one).
_Built = tuple[FFPanelInsightDTO, consensus.ConsensusResult | None]


class PanelRepository:
    def __init__(
        self,
        ctx: StoreContext,
        users: UserRepository,
        personas: PersonaRepository,
        audit: AuditSink,
    ) -> None:
        self._ctx = ctx
        self._fs = ctx.fs
        self.layout = PanelLayout(ctx.fs)
        self._users = users
        self._personas = personas
        self._audit = audit
        self._creator = PanelCreator(ctx, users, personas, self.layout)

    def create(
        self,
        panel_id: str,
        session_type: PanelSessionType | str,
        participants: Sequence[FFPanelParticipantDTO | Mapping[str, Any]],
        session_config: Mapping[str, Any] | None,
    ) -> dict[str, Any]:
        return self._creator.create(panel_id, session_type, participants, session_config)

    # -- reading -------------------------------------------------------------------------
    def load(self, panel_id: str) -> dict[str, Any]:
        data = self._fs.read_json(self.layout.config(panel_id), default=None)
        if data is None:
            raise NotFound(f"panel {panel_id!r} not found", key="panel_id", value=panel_id)
        return data

    def members(self, config: Mapping[str, Any]) -> dict[str, FFPanelParticipantDTO]:
        return {
            p["participant_id"]: FFPanelParticipantDTO.model_validate(p)
            for p in config["participants"]
        }

    def messages(self, panel_id: str) -> list[dict[str, Any]]:
        return self._fs.read_jsonl(self.layout.messages(panel_id))

    def insights(self, panel_id: str) -> list[dict[str, Any]]:
        return self._fs.read_jsonl(self.layout.insights(panel_id))

    def _require_active(self, config: Mapping[str, Any]) -> None:
        if config.get("status") == "ended":
            raise ValidationError(
                f"panel {config['panel_id']!r} ended at "
                f"{config.get('ended_at')}; it takes no more changes",
                key="panel_id",
                value=config["panel_id"],
            )

    def _member(
        self,
        config: Mapping[str, Any],
        participants: Mapping[str, Any],
        participant_id: str,
        action: str,
    ) -> FFPanelParticipantDTO:
        try:
            return rules.check_membership(config["panel_id"], participants, participant_id)
        except SecurityError:
            self._audit.record(
                "panel_access_denied",
                component=COMPONENT,
                actor=participant_id,
                outcome="denied",
                details={"panel_id": config["panel_id"], "action": action},
            )
            raise

    # -- messages ------------------------------------------------------------------------
    def add_message(
        self,
        panel_id: str,
        participant_id: str,
        content: str,
        message_type: str,
        reply_to_message_id: str | None,
        metadata: Mapping[str, Any] | None,
        *,
        memory_enabled: bool,
    ) -> tuple[FFPanelMessageDTO, list[FFPanelInsightDTO], dict[str, Any]]:
        validate_id(participant_id, "participant_id")
        check_kind(message_type, "message_type")
        meta = json_dict(metadata, "metadata")
        if reply_to_message_id is not None:
            validate_id(reply_to_message_id, "reply_to_message_id")
        self.load(panel_id)  # NotFound before taking a lock in a folder that does not exist
        with self._fs.lock(self.layout.lock_target(panel_id)):
            config = self.load(panel_id)
            self._require_active(config)
            participants = self.members(config)
            member = self._member(config, participants, participant_id, "add_panel_message")
            session_rules = config["session_rules"]
            rules.check_content(session_rules, content)
            history = self.messages(panel_id)
            rules.check_turn(session_rules, history, member, participants)
            thread_id = self._thread_for(panel_id, history, reply_to_message_id)
            self._check_routing(panel_id, meta, participant_id)
            message_id = self._unique_id("msg", {m["message_id"] for m in history})
            turn = (history[-1]["conversation_turn"] + 1) if history else 1
            record = FFPanelMessageDTO(
                message_id=message_id,
                panel_id=panel_id,
                participant_id=participant_id,
                content=content,
                timestamp=self._ctx.now_iso(),
                thread_id=(thread_id or message_id)
                if session_rules.get("enable_threading")
                else None,
                reply_to_message_id=reply_to_message_id,
                conversation_turn=turn,
                message_type=message_type,
                topic_tags=self._str_list(meta, "topic_tags"),
                urgency_level=str(meta.get("urgency_level", "normal")),
                mentions=[
                    p for p in participants if re.search(rf"@{re.escape(p)}(?![\w-])", content)
                ],
                metadata=meta,
            )
            auto = self._auto_insights(config, record, memory_enabled)
            self._fs.append_jsonl(self.layout.messages(panel_id), [record.to_dict()], locked=True)
            history.append(record.to_dict())
            if auto:  # history is now the messages file as written, under the same lock
                self._append_insights(config, auto, history)
            self._after_message(config, history, record)
        return record, [insight for insight, _ in auto], config

    def _thread_for(
        self, panel_id: str, history: Sequence[Mapping[str, Any]], reply_to: str | None
    ) -> str | None:
        if reply_to is None:
            return None
        for message in history:
            if message["message_id"] == reply_to:
                return message.get("thread_id") or message["message_id"]
        raise NotFound(
            f"reply_to_message_id {reply_to!r} is not a message of panel {panel_id!r}",
            key="reply_to_message_id",
            value=reply_to,
        )

    def _check_routing(self, panel_id: str, meta: Mapping[str, Any], participant_id: str) -> None:
        routing_id = meta.get("routing_id")
        if routing_id is None:
            return
        for decision in self._fs.read_jsonl(self.layout.routing(panel_id)):
            if decision["routing_id"] == routing_id:
                if decision["chosen_participant_id"] != participant_id:
                    raise ValidationError(
                        f"routing {routing_id!r} delegated to "
                        f"{decision['chosen_participant_id']!r}, not {participant_id!r}",
                        key="participant_id",
                        value=participant_id,
                    )
                return
        raise NotFound(
            f"routing_id {routing_id!r} not found in panel {panel_id!r}",
            key="routing_id",
            value=routing_id,
        )

    def _unique_id(self, prefix: str, taken: set[str]) -> str:
        # Ids are random (or seeded); a clash with a stored one is refused, not overwritten.
        for _ in range(100):
            candidate = self._ctx.ids.prefixed(prefix, 12)
            if candidate not in taken:
                return candidate
        raise AlreadyExists(f"could not allocate a fresh {prefix} id", key=f"{prefix}_id")

    @staticmethod
    def _str_list(meta: Mapping[str, Any], key: str) -> list[str]:
        value = meta.get(key, [])
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise ValidationError(f"metadata.{key} must be a list of strings", key=key)
        return value

    def _auto_insights(
        self, config: Mapping[str, Any], message: FFPanelMessageDTO, memory_enabled: bool
    ) -> list[_Built]:
        """``auto_capture_insights``: a message naming a detection keyword becomes an insight."""
        settings = config["config"]
        if not settings.get("auto_capture_insights"):
            return []
        text = message.content.casefold()
        found = [
            k
            for k in settings.get("insight_detection_keywords", [])
            if re.search(rf"\b{re.escape(k.casefold())}\b", text)
        ]
        if not found:
            return []
        taken = {i["insight_id"] for i in self.insights(config["panel_id"])}
        return [
            self._build_insight(
                config,
                message.content,
                "insight",
                [message.to_dict()],
                {},
                {
                    "auto_captured": True,
                    "detected_keywords": found,
                    "source_message_id": message.message_id,
                },
                taken,
                memory_enabled,
            )
        ]

    def _after_message(
        self, config: dict[str, Any], history: list[dict[str, Any]], record: FFPanelMessageDTO
    ) -> None:
        fs, layout, pid = self._fs, self.layout, config["panel_id"]
        meta_path = layout.metadata(pid)
        state = fs.read_json(meta_path)
        threads = state.setdefault("conversation_threads", {})
        if record.thread_id:
            thread = threads.setdefault(
                record.thread_id, {"root_message_id": record.thread_id, "message_count": 0}
            )
            thread["message_count"] += 1
            thread["last_message_at"] = record.timestamp
        state.update(
            current_turn=record.conversation_turn,
            last_message_at=record.timestamp,
            last_participant=record.participant_id,
        )
        fs.write_json(meta_path, state, derived=True)
        ctx_path = layout.participant_context(pid, record.participant_id)
        context = fs.read_json(ctx_path)
        metrics = context["performance_metrics"]
        metrics["messages_sent"] += 1
        metrics["words_contributed"] += len(record.content.split())
        context["conversation_history"] = (context["conversation_history"] + [record.message_id])[
            -_HISTORY_KEPT:
        ]
        context["last_active"] = record.timestamp
        if "position" in record.metadata:
            context["current_position"] = record.metadata["position"]
        fs.write_json(ctx_path, context, derived=True)
        fs.write_json(
            layout.participation_stats(pid),
            analytics.participation_stats(config, history),
            derived=True,
        )

    # -- insights ------------------------------------------------------------------------
    def capture_insight(
        self,
        panel_id: str,
        content: str,
        insight_type: str,
        context_message_ids: Sequence[str] | None,
        participant_positions: Mapping[str, str] | None,
        metadata: Mapping[str, Any] | None,
        *,
        memory_enabled: bool,
    ) -> tuple[FFPanelInsightDTO, dict[str, Any]]:
        if not isinstance(content, str) or not content.strip():
            raise ValidationError(
                "insight content must be a non-empty string", key="insight_content"
            )
        check_kind(insight_type, "insight_type")
        meta = json_dict(metadata, "metadata")
        positions = self._positions(participant_positions)
        wanted = id_list(context_message_ids or [], "context_message_ids")
        self.load(panel_id)
        with self._fs.lock(self.layout.lock_target(panel_id)):
            config = self.load(panel_id)
            self._require_active(config)
            participants = self.members(config)
            for pid in positions:
                member = participants.get(pid)
                if member is None:
                    raise ValidationError(
                        f"participant_positions names {pid!r}, who is not a "
                        f"member of panel {panel_id!r}",
                        key=pid,
                    )
                if not member.can_vote:
                    raise ValidationError(
                        f"participant {pid!r} has can_vote false and may not state a position",
                        key=pid,
                    )
            messages = self.messages(panel_id)
            by_id = {m["message_id"]: m for m in messages}
            missing = [m for m in wanted if m not in by_id]
            if missing:
                raise NotFound(
                    f"context message {missing[0]!r} is not a message of panel {panel_id!r}",
                    key="context_message_ids",
                    value=missing[0],
                )
            stored = self.insights(panel_id)
            built = self._build_insight(
                config,
                content,
                insight_type,
                [by_id[m] for m in wanted],
                positions,
                meta,
                {i["insight_id"] for i in stored},
                memory_enabled,
            )
            self._append_insights(config, [built], messages)
        return built[0], config

    @staticmethod
    def _positions(given: Mapping[str, str] | None) -> dict[str, str]:
        if given is None:
            return {}
        if not isinstance(given, Mapping):
            raise ValidationError(
                "participant_positions must map participant_id to a position",
                key="participant_positions",
            )
        for pid, position in given.items():
            if not isinstance(position, str) or not position.strip():
                raise ValidationError(
                    f"position of {pid!r} must be a non-empty string",
                    key="participant_positions",
                    value=pid,
                )
        return dict(given)

    def _build_insight(
        self,
        config: Mapping[str, Any],
        content: str,
        insight_type: str,
        context: Sequence[Mapping[str, Any]],
        positions: dict[str, str],
        meta: dict[str, Any],
        taken: set[str],
        memory_enabled: bool,
    ) -> _Built:
        """The insight and its consensus assessment (kept for ``_credit_participants``)."""
        settings = config["config"]
        impact = meta.pop("impact_level", "medium")
        if impact not in _IMPACT:
            raise ValidationError(
                f"impact_level must be one of {', '.join(_IMPACT)}, got {impact!r}",
                key="impact_level",
                value=impact,
            )
        deadline = meta.pop("deadline", None)
        if deadline is not None:
            try:
                parse_timestamp(str(deadline))
            except ValueError:
                raise ValidationError(
                    f"deadline {deadline!r} is not ISO 8601", key="deadline"
                ) from None
        related = meta.pop("related_insights", [])
        unknown = [r for r in related if r not in taken]
        if unknown:
            raise NotFound(
                f"related insight {unknown[0]!r} not found in panel {config['panel_id']!r}",
                key="related_insights",
            )
        result = consensus.assess(positions, settings["consensus_threshold"])
        items = consensus.extract_action_items(content)
        is_decision = insight_type in DECISION_INSIGHT_TYPES
        now = self._ctx.clock.now()
        start = min(
            (parse_timestamp(m["timestamp"]) for m in context),
            default=parse_timestamp(config["created_at"]),
        )
        owner, layer = config.get("owner_user_id"), settings["memory_layer_for_insights"]
        copy = memory_enabled and settings["integrate_with_memory_layers"] and owner
        meta["memory_target"] = {"user_id": owner, "layer": layer} if copy else None
        return FFPanelInsightDTO(
            insight_id=self._unique_id("insight", taken),
            panel_id=config["panel_id"],
            insight_type=insight_type,
            content=content,
            summary=str(meta.pop("summary", content.strip().split("\n")[0][:160])),
            context_messages=[m["message_id"] for m in context],
            timestamp=now.isoformat(timespec="microseconds"),
            discussion_duration_minutes=round((now - start).total_seconds() / 60, 2),
            consensus_level=result.level if result else None,
            participant_positions=positions,
            agreement_score=result.agreement_score if result else None,
            consensus_reached=result.consensus_reached if result else False,
            is_decision=is_decision,
            decision_text=(str(meta.pop("decision_text", content)) if is_decision else None),
            action_items=items,
            responsible_parties=consensus.responsible_parties(
                items, [p["participant_id"] for p in config["participants"]]
            ),
            deadline=deadline,
            impact_level=impact,
            follow_up_required=bool(meta.pop("follow_up_required", bool(items))),
            related_insights=list(related),
            metadata=meta,
        ), result

    def _append_insights(
        self,
        config: Mapping[str, Any],
        built: Sequence[_Built],
        messages: Sequence[Mapping[str, Any]],
    ) -> None:
        """``messages``: the panel's messages file as the caller read (or wrote) it under the
        panel lock it still holds."""
        fs, layout, pid = self._fs, self.layout, config["panel_id"]
        records = [insight.to_dict() for insight, _ in built]
        fs.append_jsonl(layout.insights(pid), records, locked=True)
        now = self._ctx.now_iso()
        tracking = fs.read_json(layout.consensus_tracking(pid))
        decisions = fs.read_json(layout.decision_history(pid))
        state = fs.read_json(layout.metadata(pid))
        authors: dict[str, int] = {}
        for record in records:
            self._count_authors(record, messages, authors)
            if record["consensus_level"] is not None:
                entry = {
                    k: record[k]
                    for k in (
                        "insight_id",
                        "timestamp",
                        "consensus_level",
                        "agreement_score",
                        "consensus_reached",
                        "participant_positions",
                    )
                }
                tracking["history"].append(entry)
                tracking["current"] = entry
                counts = tracking["level_counts"]
                counts[record["consensus_level"]] = counts.get(record["consensus_level"], 0) + 1
            if record["is_decision"] and config["config"]["enable_decision_tracking"]:
                decisions["decisions"].append(
                    {
                        **{
                            k: record[k]
                            for k in (
                                "insight_id",
                                "timestamp",
                                "decision_text",
                                "consensus_level",
                                "agreement_score",
                                "consensus_reached",
                                "participant_positions",
                                "action_items",
                                "responsible_parties",
                                "deadline",
                            )
                        },
                        "status": "adopted" if record["consensus_reached"] else "contested",
                    }
                )
                if record["action_items"]:
                    state["pending_decisions"].append(record["insight_id"])
            state["session_timeline"].append(
                {
                    "timestamp": record["timestamp"],
                    "event": "decision_recorded" if record["is_decision"] else "insight_captured",
                    "insight_id": record["insight_id"],
                }
            )
        tracking["updated_at"] = now
        fs.write_json(layout.consensus_tracking(pid), tracking, derived=True)
        fs.write_json(layout.decision_history(pid), decisions, derived=True)
        fs.write_json(layout.metadata(pid), state, derived=True)
        self._credit_participants(config, records, [result for _, result in built], authors)

    @staticmethod
    def _count_authors(
        record: Mapping[str, Any], messages: Sequence[Mapping[str, Any]], authors: dict[str, int]
    ) -> None:
        if not record["context_messages"]:
            return
        wanted = set(record["context_messages"])
        for message in messages:
            if message["message_id"] in wanted:
                authors[message["participant_id"]] = authors.get(message["participant_id"], 0) + 1

    def _credit_participants(
        self,
        config: Mapping[str, Any],
        records: Sequence[Mapping[str, Any]],
        results: Sequence[consensus.ConsensusResult | None],
        authors: Mapping[str, int],
    ) -> None:
        """``results``: ``consensus.assess`` of each record's positions, as built."""
        influenced: dict[str, int] = {}
        for record, result in zip(records, results, strict=True):
            if record["is_decision"] and result is not None and result.majority_position:
                for pid in result.groups[result.majority_position]:
                    influenced[pid] = influenced.get(pid, 0) + 1
        for pid in sorted(set(authors) | set(influenced)):
            path = self.layout.participant_context(config["panel_id"], pid)
            context = self._fs.read_json(path)
            metrics = context["performance_metrics"]
            metrics["insights_generated"] += authors.get(pid, 0)
            metrics["decisions_influenced"] += influenced.get(pid, 0)
            self._fs.write_json(path, context, derived=True)

    # -- routing -------------------------------------------------------------------------
    def route(
        self,
        panel_id: str,
        content: str,
        confidences: Mapping[str, float] | None,
        message_id: str | None,
        threshold: float | None,
    ) -> FFPanelRoutingDTO:
        if not isinstance(content, str) or not content.strip():
            raise ValidationError("content to route must be a non-empty string", key="content")
        if message_id is not None:
            validate_id(message_id, "message_id")
        if threshold is not None and not 0 <= threshold <= 1:
            raise ValidationError("threshold must be within [0, 1]", key="threshold")
        self.load(panel_id)
        with self._fs.lock(self.layout.lock_target(panel_id)):
            config = self.load(panel_id)
            self._require_active(config)
            settings = config["config"]
            participants = self.members(config)
            fallback = settings["delegation_fallback_participant"]
            if fallback not in participants:
                raise ValidationError(
                    f"fallback participant {fallback!r} is not a member of "
                    f"panel {panel_id!r} (delegation_fallback_participant)",
                    key="delegation_fallback_participant",
                    value=fallback,
                )
            order = list(participants)
            scores = self._confidences(panel_id, content, confidences, participants, fallback)
            limit = settings["delegation_confidence_threshold"] if threshold is None else threshold
            chosen, confidence, fell_back = routing.choose(scores, order, limit, fallback)
            stored = self._fs.read_jsonl(self.layout.routing(panel_id))
            decision = FFPanelRoutingDTO(
                routing_id=self._unique_id("route", {r["routing_id"] for r in stored}),
                panel_id=panel_id,
                timestamp=self._ctx.now_iso(),
                message_id=message_id,
                content=content,
                chosen_participant_id=chosen,
                confidence=confidence,
                threshold=limit,
                fell_back=fell_back,
                candidates=scores,
            )
            self._fs.ensure_dir(self.layout.routing(panel_id).parent)
            self._fs.append_jsonl(self.layout.routing(panel_id), [decision.to_dict()], locked=True)
        return decision

    @staticmethod
    def _confidences(
        panel_id: str,
        content: str,
        given: Mapping[str, float] | None,
        participants: Mapping[str, FFPanelParticipantDTO],
        fallback: str,
    ) -> dict[str, float]:
        if given is None:
            experts = [
                p
                for pid, p in participants.items()
                if pid != fallback and p.is_active and not p.moderates
            ]
            return routing.expertise_confidences(content, experts)
        scores = {}
        for pid, value in given.items():
            if pid not in participants:
                raise ValidationError(
                    f"confidence given for {pid!r}, who is not a member of panel {panel_id!r}",
                    key="confidences",
                    value=pid,
                )
            if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value <= 1:
                raise ValidationError(
                    f"confidence of {pid!r} must be a number in [0, 1]",
                    key="confidences",
                    value=value,
                )
            scores[pid] = float(value)
        return scores

    def routing_decisions(self, panel_id: str) -> list[dict[str, Any]]:
        self.load(panel_id)
        return self._fs.read_jsonl(self.layout.routing(panel_id))

    # -- ending --------------------------------------------------------------------------
    def end(self, panel_id: str) -> dict[str, Any]:
        self.load(panel_id)
        with self._fs.lock(self.layout.lock_target(panel_id)):
            config = self.load(panel_id)
            self._require_active(config)
            now = self._ctx.clock.now()
            ended_at = now.isoformat(timespec="microseconds")
            final = {**config, "status": "ended", "ended_at": ended_at}
            insights = self.insights(panel_id)
            report = analytics.compute(final, self.messages(panel_id), insights, now)
            summary = (
                analytics.session_summary(final, report, insights)
                if config["config"]["generate_session_summaries"]
                else None
            )
            fs, layout = self._fs, self.layout
            fs.write_json(
                layout.final_analytics(panel_id),
                {**report.model_dump(mode="json"), "session_summary": summary},
            )
            state = fs.read_json(layout.metadata(panel_id))
            state["session_timeline"].append({"timestamp": ended_at, "event": "session_ended"})
            state.update(session_state="ended", ended_at=ended_at)
            fs.write_json(layout.metadata(panel_id), state)
            fs.write_json(layout.config(panel_id), final)  # commit point
        return {
            "success": True,
            "panel_id": panel_id,
            "ended_at": ended_at,
            "final_analytics": report,
            "session_summary": summary,
        }

    def analytics(self, panel_id: str) -> FFPanelAnalyticsDTO:
        config = self.load(panel_id)
        return analytics.compute(
            config, self.messages(panel_id), self.insights(panel_id), self._ctx.clock.now()
        )
