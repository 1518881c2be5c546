"""Actions over panel sessions (``FFPanelSessionManager``): multi-participant panels under
``panel_sessions/{panel_id}/`` with enforced turn rules, consensus, decisions, topic delegation
and insights copied into the owner's memory layer. Read the files with ``files.*`` to see what
is really stored; ``world.restart`` drops every manager so a fresh one must resume from disk."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import Field
from typing_extensions import TypedDict

from flatfile_chat.config import FFPanelSessionConfigDTO
from flatfile_chat.panel import FFPanelSessionManager
from flatfile_chat.panel.models import (
    FFPanelAnalyticsDTO,
    FFPanelInsightDTO,
    FFPanelMessageDTO,
    FFPanelParticipantDTO,
    FFPanelRoutingDTO,
)
from prism_scenarios.actions.outputs import JSONValue, closed
from prism_scenarios.actions.registry import Params, action
from prism_scenarios.components import Component
from prism_scenarios.world import component_factory


@component_factory("panel_session")
def _panels(world) -> FFPanelSessionManager:
    return FFPanelSessionManager(
        world.store,
        memory=world.manager("memory_layer"),
        audit=world.audit,
        metrics=world.manager("analytics"),
    )


def _manager(world) -> FFPanelSessionManager:
    return world.manager("panel_session")


def _memory_copied(world, insight: Any) -> None:
    """Count memory_layer as exercised when the insight names where its copy went."""
    metadata = getattr(insight, "metadata", None) or {}
    if metadata.get("memory_target"):
        world.touch("memory_layer")


# -- lifecycle --------------------------------------------------------------------------
@closed
class PanelConfig(TypedDict):
    """``panel_config.json`` as stored."""

    panel_id: str
    session_type: str
    created_at: str
    status: Annotated[str, Field(description="active or ended")]
    ended_at: str | None
    owner_user_id: str | None
    metadata: Annotated[
        dict[str, JSONValue],
        Field(description="session_config keys that are not settings (title, topic, description)"),
    ]
    participants: list[FFPanelParticipantDTO]
    config: Annotated[FFPanelSessionConfigDTO, Field(description="the settings pinned at creation")]
    session_rules: Annotated[
        dict[str, bool | int | None],
        Field(
            description="rules derived from the session type: max_message_length, "
            "enable_turn_taking, max_consecutive_messages, require_alternating_turns, "
            "... (a debate, brainstorm or decision adds its own)"
        ),
    ]


@closed
class PanelEnd(TypedDict):
    success: bool
    panel_id: str
    ended_at: str
    final_analytics: FFPanelAnalyticsDTO
    session_summary: Annotated[
        str | None, Field(description="null unless generate_session_summaries")
    ]


class PanelCreate(Params):
    panel_id: str = Field(description="the new panel's id (folder panel_sessions/{panel_id}/)")
    session_type: str = Field(
        description="multi_persona, ai_debate, focus_group, brainstorm, "
        "expert_consultation or decision_making"
    )
    participants: list[dict[str, Any]] = Field(
        description="participant records: participant_id, display_name, role (moderator, "
        "expert, advocate, critic, observer, facilitator), can_moderate, can_vote, "
        "expertise_areas, persona_id, kb_ids ..."
    )
    owner_user_id: str | None = Field(
        None,
        description="user whose memory layer receives the insights (stored in panel_config.json)",
    )
    session_config: dict[str, Any] = Field(
        default_factory=dict,
        description="overrides of any panel_session setting "
        "(consensus_threshold, auto_capture_insights ...) "
        "plus title, topic, description",
    )


@action("panel.create", component=Component.PANEL_SESSION)
async def panel_create(world, p: PanelCreate) -> PanelConfig:
    """Create a panel: ``panel_config.json`` (participants, pinned config and session_rules),
    ``session_metadata.json``, one ``participants/{id}_context.json`` each. Returns the stored
    ``panel_config.json``. A participant's ``persona_id`` must resolve (personas)."""
    config = dict(p.session_config)
    if p.owner_user_id is not None:
        config["owner_user_id"] = p.owner_user_id
    if any("persona_id" in participant for participant in p.participants):
        world.touch("personas")
    manager = _manager(world)
    await manager.create_panel_session(p.panel_id, p.session_type, p.participants, config)
    return await manager.get_panel_session(p.panel_id)


class PanelRef(Params):
    panel_id: str


@action("panel.get", component=Component.PANEL_SESSION)
async def panel_get(world, p: PanelRef) -> PanelConfig:
    """The stored ``panel_config.json`` (participants, config, session_rules, status)."""
    return await _manager(world).get_panel_session(p.panel_id)


@action("panel.participants", component=Component.PANEL_SESSION)
async def panel_participants(world, p: PanelRef) -> list[FFPanelParticipantDTO]:
    """The panel's participants as stored (extra fields such as ``kb_ids`` kept)."""
    return await _manager(world).get_panel_participants(p.panel_id)


@action("panel.end", component=Component.PANEL_SESSION)
async def panel_end(world, p: PanelRef) -> PanelEnd:
    """End the panel: ``analytics/final_analytics.json``, status ``ended`` in
    ``panel_config.json``; later messages, insights and routing are refused."""
    return await _manager(world).end_panel_session(p.panel_id)


# -- messages ---------------------------------------------------------------------------
class PanelSay(Params):
    panel_id: str
    participant_id: str
    content: str
    message_type: str = "conversation"
    reply_to: str | None = Field(
        None, description="message_id this message replies to (same thread)"
    )
    metadata: dict[str, Any] = Field(
        default_factory=dict,
        description="topic_tags, urgency_level, position, routing_id (reply to a delegation) ...",
    )


@action("panel.say", component=Component.PANEL_SESSION)
async def panel_say(world, p: PanelSay) -> FFPanelMessageDTO:
    """Append one message to ``panel_messages.jsonl`` once membership, length and turn rules
    pass (a refusal writes nothing). A message naming a detection keyword is also captured as
    an insight (and copied to the owner's memory)."""
    manager = _manager(world)
    message = await manager.add_panel_message(
        p.panel_id, p.participant_id, p.content, p.message_type, p.reply_to, p.metadata
    )
    auto = [
        i
        for i in await manager.get_panel_insights(p.panel_id)
        if i.metadata.get("source_message_id") == message.message_id
    ]
    for insight in auto:
        _memory_copied(world, insight)
    return message


class PanelMessages(Params):
    panel_id: str
    limit: int | None = None
    participant: str | list[str] | None = Field(None, description="only these speakers")
    message_type: str | list[str] | None = None
    thread_id: str | None = None


@action("panel.messages", component=Component.PANEL_SESSION)
async def panel_messages(world, p: PanelMessages) -> list[FFPanelMessageDTO]:
    """The last ``limit`` matching messages, oldest first (``response_count`` computed)."""
    return await _manager(world).get_panel_messages(
        p.panel_id, p.limit, p.participant, p.message_type, p.thread_id
    )


# -- insights ---------------------------------------------------------------------------
class PanelInsight(Params):
    panel_id: str
    content: str
    insight_type: str = Field("insight", description="decision and consensus are decisions")
    context_message_ids: list[str] = Field(default_factory=list)
    positions: dict[str, str] = Field(
        default_factory=dict,
        description="participant_id -> stated position (consensus is computed from these)",
    )
    metadata: dict[str, Any] = Field(
        default_factory=dict,
        description="impact_level, deadline, summary, "
        "decision_text, related_insights, "
        "follow_up_required",
    )


@action("panel.insight", component=Component.PANEL_SESSION)
async def panel_insight(world, p: PanelInsight) -> FFPanelInsightDTO:
    """Capture an insight (``insights/insights.jsonl``; consensus_tracking.json and, for
    decisions, decision_history.json), then copy it into the owner's memory layer
    (``users/{owner}/memory_layers/{memory_layer_for_insights}.jsonl``)."""
    insight = await _manager(world).capture_panel_insight(
        p.panel_id,
        p.content,
        p.insight_type,
        p.context_message_ids,
        p.positions,
        metadata=p.metadata,
    )
    _memory_copied(world, insight)
    return insight


class PanelInsights(Params):
    panel_id: str
    insight_type: str | None = None
    decisions_only: bool = False


@action("panel.insights", component=Component.PANEL_SESSION)
async def panel_insights(world, p: PanelInsights) -> list[FFPanelInsightDTO]:
    """Stored insights, in capture order."""
    return await _manager(world).get_panel_insights(p.panel_id, p.insight_type, p.decisions_only)


@action("panel.analytics", component=Component.PANEL_SESSION)
async def panel_analytics(world, p: PanelRef) -> FFPanelAnalyticsDTO:
    """Analytics computed from the files (distribution, consensus, effectiveness)."""
    return await _manager(world).get_panel_analytics(p.panel_id)


# -- topic delegation -------------------------------------------------------------------
class PanelRoute(Params):
    panel_id: str
    content: str = Field(description="the message to delegate")
    confidences: dict[str, float] | None = Field(
        None,
        description="participant_id -> confidence (scripted judgement); derived from "
        "expertise_areas if unset",
    )
    message_id: str | None = None
    threshold: float | None = Field(
        None, description="defaults to the panel's delegation_confidence_threshold"
    )


@action("panel.route", component=Component.PANEL_SESSION)
async def panel_route(world, p: PanelRoute) -> FFPanelRoutingDTO:
    """Choose who answers (the best expert at or above the threshold, else the fallback
    participant) and append the decision to ``routing/routing_decisions.jsonl``."""
    return await _manager(world).route_panel_message(
        p.panel_id,
        p.content,
        confidences=p.confidences,
        message_id=p.message_id,
        threshold=p.threshold,
    )


@action("panel.routes", component=Component.PANEL_SESSION)
async def panel_routes(world, p: PanelRef) -> list[FFPanelRoutingDTO]:
    """Every routing decision of the panel, in order."""
    return await _manager(world).get_routing_decisions(p.panel_id)
