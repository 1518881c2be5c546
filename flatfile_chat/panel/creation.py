"""Creating a panel: validate type, config overrides and participants, claim the folder, write
the initial files with ``panel_config.json`` last (its commit point). Serialised by a registry
lock so ``max_concurrent_sessions`` holds across processes. Nothing is left behind on failure."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from flatfile_chat.config import FFPanelSessionConfigDTO
from flatfile_chat.errors import AlreadyExists, LimitExceeded, ValidationError
from flatfile_chat.panel import analytics, rules
from flatfile_chat.panel.layout import PanelLayout
from flatfile_chat.panel.models import (
    FFPanelParticipantDTO,
    PanelParticipantRole,
    PanelSessionType,
)
from flatfile_chat.storage.paths import validate_id
from flatfile_chat.store.layout import StoreContext
from flatfile_chat.store.personas import PersonaRepository
from flatfile_chat.store.users import UserRepository
from flatfile_chat.validation import enum_value, json_dict, parse_input

_SESSION_KEYS = frozenset({"owner_user_id", "title", "topic", "description"})


class PanelCreator:
    def __init__(
        self,
        ctx: StoreContext,
        users: UserRepository,
        personas: PersonaRepository,
        layout: PanelLayout,
    ) -> None:
        self._ctx = ctx
        self._fs = ctx.fs
        self._users = users
        self._personas = personas
        self.layout = layout

    # -- creation ------------------------------------------------------------------------
    def create(
        self,
        panel_id: str,
        session_type: PanelSessionType | str,
        participants: Sequence[FFPanelParticipantDTO | Mapping[str, Any]],
        session_config: Mapping[str, Any] | None,
    ) -> dict[str, Any]:
        validate_id(panel_id, "panel_id")
        kind = enum_value(PanelSessionType, session_type, "session_type")
        extras, config = self._effective_config(session_config)
        owner = extras.get("owner_user_id")
        if owner is not None:
            validate_id(owner, "owner_user_id")
            self._users.require(owner)
        members = self._participants(participants, config, owner)
        now = self._ctx.now_iso()
        record = {
            "panel_id": panel_id,
            "session_type": kind.value,
            "created_at": now,
            "status": "active",
            "ended_at": None,
            "owner_user_id": owner,
            "metadata": {k: v for k, v in extras.items() if k != "owner_user_id"},
            "participants": [m.to_dict() for m in members],
            "config": config.model_dump(mode="json"),
            "session_rules": rules.generate_session_rules(kind, config),
        }
        self._fs.ensure_dir(self.layout.root())
        with self._fs.lock(self.layout.registry_lock_target()):
            self._refuse_over_capacity(config)
            folder = self._claim(panel_id)
            try:
                self._write_initial_files(record, members)
            except BaseException:
                self._fs.remove_tree(folder)  # nothing half-created
                raise
        return record

    def _effective_config(
        self, session_config: Mapping[str, Any] | None
    ) -> tuple[dict[str, Any], FFPanelSessionConfigDTO]:
        given = json_dict(session_config, "session_config")
        extras = {k: given.pop(k) for k in list(given) if k in _SESSION_KEYS}
        base = self._ctx.config.panel_session.model_dump()
        unknown = sorted(set(given) - set(base))
        if unknown:
            raise ValidationError(
                f"unknown session_config key {unknown[0]!r} (allowed: "
                f"{', '.join(sorted(set(base) | _SESSION_KEYS))})",
                key=unknown[0],
            )
        config = parse_input(FFPanelSessionConfigDTO, {**base, **given}, "session_config")
        if config.min_participants > config.max_participants:
            raise ValidationError(
                f"min_participants ({config.min_participants}) exceeds "
                f"max_participants ({config.max_participants})",
                key="min_participants",
            )
        return extras, config

    def _participants(
        self,
        given: Sequence[FFPanelParticipantDTO | Mapping[str, Any]],
        config: FFPanelSessionConfigDTO,
        owner: str | None,
    ) -> list[FFPanelParticipantDTO]:
        if not isinstance(given, Sequence) or isinstance(given, str | bytes):
            raise ValidationError("participants must be a list", key="participants")
        now = self._ctx.now_iso()
        members: list[FFPanelParticipantDTO] = []
        for item in given:
            raw = item.to_dict() if isinstance(item, FFPanelParticipantDTO) else item
            member = parse_input(FFPanelParticipantDTO, raw, "participant")
            validate_id(member.participant_id, "participant_id")
            updates: dict[str, Any] = {
                "display_name": member.display_name or member.participant_id,
                "joined_at": now,
                "last_active": now,
                "message_count": 0,
                "total_words": 0,
                "can_moderate": (
                    member.role is PanelParticipantRole.MODERATOR
                    if member.can_moderate is None
                    else member.can_moderate
                ),
            }
            members.append(member.model_copy(update=updates))
            persona = getattr(member, "persona_id", None)
            if persona is not None:
                self._personas.get(validate_id(persona, "persona_id"), owner)
        ids = [m.participant_id for m in members]
        duplicates = sorted({i for i in ids if ids.count(i) > 1})
        if duplicates:
            raise ValidationError(
                f"duplicate participant_id {duplicates[0]!r}",
                key="participant_id",
                value=duplicates[0],
            )
        if len(members) < config.min_participants:
            raise ValidationError(
                f"a panel needs at least {config.min_participants} "
                f"participants, got {len(members)} (min_participants)",
                key="min_participants",
            )
        if len(members) > config.max_participants:
            raise LimitExceeded(
                f"a panel takes at most {config.max_participants} "
                f"participants, got {len(members)} (max_participants)",
                key="max_participants",
            )
        if config.require_moderator and not any(m.moderates for m in members):
            raise ValidationError(
                "require_moderator is on but no participant has role 'moderator' or can_moderate",
                key="require_moderator",
            )
        return members

    def _refuse_over_capacity(self, config: FFPanelSessionConfigDTO) -> None:
        active = 0
        for name in self._panel_ids():
            data = self._fs.read_json(self.layout.config(name), default=None)
            if data is not None and data.get("status") != "ended":
                active += 1
        if active >= config.max_concurrent_sessions:
            raise LimitExceeded(
                f"{active} panels are active; max_concurrent_sessions is "
                f"{config.max_concurrent_sessions} (end one first)",
                key="max_concurrent_sessions",
            )

    def _panel_ids(self) -> list[str]:
        root = self.layout.root()
        if not self._fs.is_dir(root):
            return []
        return sorted(
            n
            for n in self._fs.listdir(root)
            if self._fs.is_dir(root / n) and (root / n / "panel_config.json").is_file()
        )

    def _claim(self, panel_id: str) -> Path:
        folder = self.layout.panel_dir(panel_id)
        clash = self._fs.case_variant(folder)
        if clash is not None:
            raise AlreadyExists(
                f"panel_id {panel_id!r} differs only in case from existing panel {clash!r}",
                key="panel_id",
                value=panel_id,
            )
        try:
            return self._fs.create_dir(folder)
        except AlreadyExists:
            raise AlreadyExists(
                f"panel {panel_id!r} already exists", key="panel_id", value=panel_id
            ) from None

    def _write_initial_files(
        self, record: dict[str, Any], members: Sequence[FFPanelParticipantDTO]
    ) -> None:
        fs, layout, pid = self._fs, self.layout, record["panel_id"]
        fs.ensure_dir(layout.participants_dir(pid))
        fs.ensure_dir(layout.insights_dir(pid))
        fs.ensure_dir(layout.analytics_dir(pid))
        for member in members:
            fs.write_json(
                layout.participant_context(pid, member.participant_id),
                {
                    "participant_id": member.participant_id,
                    "context": {
                        **member.participant_context,
                        "role": member.role.value,
                        "display_name": member.display_name,
                        "expertise_areas": member.expertise_areas,
                    },
                    "conversation_history": [],
                    "current_position": None,
                    "performance_metrics": {
                        "messages_sent": 0,
                        "words_contributed": 0,
                        "insights_generated": 0,
                        "decisions_influenced": 0,
                    },
                    "last_active": None,
                },
                derived=True,
            )
        fs.write_json(
            layout.consensus_tracking(pid),
            {
                "panel_id": pid,
                "updated_at": record["created_at"],
                "current": None,
                "history": [],
                "level_counts": {},
            },
            derived=True,
        )
        fs.write_json(
            layout.decision_history(pid), {"panel_id": pid, "decisions": []}, derived=True
        )
        fs.write_json(
            layout.participation_stats(pid), analytics.participation_stats(record, []), derived=True
        )
        fs.write_json(
            layout.metadata(pid),
            {
                "panel_id": pid,
                "session_state": "created",
                "current_turn": 0,
                "active_participants": [m.participant_id for m in members if m.is_active],
                "conversation_threads": {},
                "pending_decisions": [],
                "session_timeline": [
                    {
                        "timestamp": record["created_at"],
                        "event": "session_created",
                        "participants": len(members),
                    }
                ],
                "last_message_at": None,
                "last_participant": None,
                "ended_at": None,
            },
        )
        fs.write_json(layout.config(pid), record, exclusive=True)  # commit point
