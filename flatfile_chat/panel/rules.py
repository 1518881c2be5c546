"""Session rules: generated once at creation (pinned in ``panel_config.json``) and enforced on
every message. Upstream generated these rules and never checked them.

Turn-taking, as we define it:

- ``max_consecutive_messages`` bounds how many messages in a row one participant may send. The
  generic limit (``max_consecutive_messages_per_participant``) applies when
  ``enable_turn_taking`` is on; the session type's own limit (ai_debate 2, brainstorm 1) always
  applies, because it is part of what that type is.
- With ``require_alternating_turns`` (ai_debate) only another *debater* ends a run: a
  moderator's interjection does not reset the count, so "A, moderator, A, A" is refused.
- Participants who can moderate are exempt from the consecutive limit (they run the session,
  e.g. a game master narrating several beats).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from flatfile_chat.config import FFPanelSessionConfigDTO
from flatfile_chat.errors import LimitExceeded, SecurityError, ValidationError
from flatfile_chat.panel.models import FFPanelParticipantDTO, PanelSessionType


def generate_session_rules(
    session_type: PanelSessionType, config: FFPanelSessionConfigDTO
) -> dict[str, Any]:
    rules: dict[str, Any] = {
        "max_message_length": config.max_message_length,
        "enable_reactions": config.enable_message_reactions,
        "enable_threading": config.enable_message_threading,
        "enable_turn_taking": config.enable_turn_taking,
        "max_consecutive_messages": (
            config.max_consecutive_messages_per_participant if config.enable_turn_taking else None
        ),
        "require_alternating_turns": False,
        "moderators_exempt_from_turn_limits": True,
    }
    if session_type is PanelSessionType.AI_DEBATE:
        rules.update(
            require_alternating_turns=True,
            max_consecutive_messages=2,
            enable_position_tracking=True,
        )
    elif session_type is PanelSessionType.BRAINSTORM:
        rules.update(
            encourage_rapid_fire=True, max_consecutive_messages=1, enable_idea_building=True
        )
    elif session_type is PanelSessionType.DECISION_MAKING:
        rules.update(require_consensus_check=True, enable_voting=True, track_decision_process=True)
    return rules


def check_membership(
    panel_id: str, participants: Mapping[str, FFPanelParticipantDTO], participant_id: str
) -> FFPanelParticipantDTO:
    member = participants.get(participant_id)
    if member is None:
        raise SecurityError(
            f"participant {participant_id!r} is not a member of panel "
            f"{panel_id!r} (members: {', '.join(sorted(participants))})",
            key="participant_id",
            value=participant_id,
            panel_id=panel_id,
        )
    if not member.is_active:
        raise ValidationError(
            f"participant {participant_id!r} of panel {panel_id!r} is not active",
            key="participant_id",
            value=participant_id,
        )
    return member


def check_content(rules: Mapping[str, Any], content: object) -> str:
    if not isinstance(content, str) or not content.strip():
        raise ValidationError("panel message content must be a non-empty string", key="content")
    limit = rules.get("max_message_length")
    if limit is not None and len(content) > limit:
        raise LimitExceeded(
            f"panel message is {len(content)} characters, over the "
            f"{limit}-character limit (session_rules.max_message_length)",
            key="max_message_length",
            size=len(content),
        )
    return content


def trailing_run(
    history: Sequence[Mapping[str, Any]],
    participant_id: str,
    participants: Mapping[str, FFPanelParticipantDTO],
    *,
    moderators_transparent: bool,
) -> int:
    """How many of the latest messages ``participant_id`` sent in a row (see module doc)."""
    run = 0
    for message in reversed(history):
        speaker = message.get("participant_id")
        if speaker == participant_id:
            run += 1
            continue
        other = participants.get(speaker) if isinstance(speaker, str) else None
        if moderators_transparent and other is not None and other.moderates:
            continue
        break
    return run


def check_turn(
    rules: Mapping[str, Any],
    history: Sequence[Mapping[str, Any]],
    member: FFPanelParticipantDTO,
    participants: Mapping[str, FFPanelParticipantDTO],
) -> None:
    limit = rules.get("max_consecutive_messages")
    if limit is None:
        return
    if member.moderates and rules.get("moderators_exempt_from_turn_limits", True):
        return
    run = trailing_run(
        history,
        member.participant_id,
        participants,
        moderators_transparent=bool(rules.get("require_alternating_turns")),
    )
    if run >= limit:
        alternating = (
            " (require_alternating_turns: another debater must speak first)"
            if rules.get("require_alternating_turns")
            else ""
        )
        raise LimitExceeded(
            f"participant {member.participant_id!r} already sent {run} "
            f"consecutive messages; session_rules.max_consecutive_messages is "
            f"{limit}{alternating}",
            key="max_consecutive_messages",
            value=member.participant_id,
        )
