"""Panel enums and DTOs (upstream names and fields from P2, plus the few fields we add).

Participants allow extra keys (``persona_id``, ``kb_ids`` ...) so a scenario can attach what
its use case needs; everything the manager itself builds is strict.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class PanelSessionType(StrEnum):
    MULTI_PERSONA = "multi_persona"
    AI_DEBATE = "ai_debate"
    FOCUS_GROUP = "focus_group"
    BRAINSTORM = "brainstorm"
    EXPERT_CONSULTATION = "expert_consultation"
    DECISION_MAKING = "decision_making"


class PanelParticipantRole(StrEnum):
    MODERATOR = "moderator"
    EXPERT = "expert"
    ADVOCATE = "advocate"
    CRITIC = "critic"
    OBSERVER = "observer"
    FACILITATOR = "facilitator"


class ConsensusLevel(StrEnum):
    UNANIMOUS = "unanimous"
    STRONG_MAJORITY = "strong_majority"
    SIMPLE_MAJORITY = "simple_majority"
    NO_CONSENSUS = "no_consensus"
    CONFLICT = "conflict"


DECISION_INSIGHT_TYPES = frozenset({"decision", "consensus"})


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")

    def to_dict(self) -> dict[str, Any]:
        return self.model_dump(mode="json")


class FFPanelParticipantDTO(BaseModel):
    model_config = ConfigDict(extra="allow")

    participant_id: str
    display_name: str = ""
    participant_type: str = "ai"
    role: PanelParticipantRole = PanelParticipantRole.EXPERT
    joined_at: str = ""
    last_active: str = ""
    is_active: bool = True
    message_count: int = 0
    total_words: int = 0
    influence_score: float = 0.5
    engagement_score: float = 0.5
    can_moderate: bool | None = None  # None: true for the moderator role, else false
    can_make_decisions: bool = True
    can_vote: bool = True
    expertise_areas: list[str] = Field(default_factory=list)
    participant_context: dict[str, Any] = Field(default_factory=dict)
    conversation_memory: list[Any] = Field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return self.model_dump(mode="json")

    @property
    def moderates(self) -> bool:
        return bool(self.can_moderate)


class FFPanelMessageDTO(_Strict):
    message_id: str
    panel_id: str
    participant_id: str
    content: str
    timestamp: str
    thread_id: str | None = None
    reply_to_message_id: str | None = None
    conversation_turn: int
    message_type: str = "conversation"
    topic_tags: list[str] = Field(default_factory=list)
    urgency_level: str = "normal"
    reactions: dict[str, list[str]] = Field(default_factory=dict)
    mentions: list[str] = Field(default_factory=list)
    sentiment_score: float | None = None
    influence_metrics: dict[str, Any] = Field(default_factory=dict)
    response_count: int = 0
    metadata: dict[str, Any] = Field(default_factory=dict)


class FFPanelInsightDTO(_Strict):
    insight_id: str
    panel_id: str
    insight_type: str = "insight"
    content: str
    summary: str = ""
    context_messages: list[str] = Field(default_factory=list)
    timestamp: str
    discussion_duration_minutes: float = 0.0
    consensus_level: ConsensusLevel | None = None
    participant_positions: dict[str, str] = Field(default_factory=dict)
    agreement_score: float | None = None
    consensus_reached: bool = False  # ours: agreement >= consensus_threshold, not a conflict
    is_decision: bool = False
    decision_text: str | None = None
    action_items: list[str] = Field(default_factory=list)
    responsible_parties: list[str] = Field(default_factory=list)
    deadline: str | None = None
    impact_level: str = "medium"
    follow_up_required: bool = False
    related_insights: list[str] = Field(default_factory=list)
    metadata: dict[str, Any] = Field(default_factory=dict)


class FFPanelAnalyticsDTO(_Strict):
    panel_id: str
    session_type: str
    status: str
    generated_at: str
    total_messages: int
    total_participants: int
    message_distribution: dict[str, int]
    word_count_distribution: dict[str, int]
    messages_by_type: dict[str, int]
    thread_count: int
    total_insights: int
    total_decisions: int
    insights_with_positions: int
    consensus_achieved_count: int
    consensus_distribution: dict[str, int]
    action_items_count: int
    participation_inequality: float
    decision_rate: float
    consensus_rate: float
    panel_effectiveness_score: float
    most_active_participant: str | None
    average_message_words: float
    session_duration_minutes: float


class FFPanelRoutingDTO(_Strict):
    """One topic-delegation decision (use case 16): who answers, and how sure we were."""

    routing_id: str
    panel_id: str
    timestamp: str
    message_id: str | None = None
    content: str
    chosen_participant_id: str
    confidence: float
    threshold: float
    fell_back: bool
    candidates: dict[str, float]
