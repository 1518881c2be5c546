"""Panel session settings (upstream ``FFPanelSessionConfigDTO``, P2)."""

from __future__ import annotations

from pydantic import Field

from flatfile_chat.config.base import ConfigSection
from flatfile_chat.config.memory_layers import MemoryLayerName, MemoryLayerType


class FFPanelSessionConfigDTO(ConfigSection):
    max_participants: int = Field(8, gt=0)
    min_participants: int = Field(2, gt=0)
    session_timeout_minutes: int = 120
    enable_turn_taking: bool = True
    max_consecutive_messages_per_participant: int = Field(3, gt=0)
    require_moderator: bool = False
    enable_real_time_collaboration: bool = True
    enable_decision_tracking: bool = True
    consensus_threshold: float = Field(0.7, ge=0, le=1)
    enable_voting: bool = False
    enable_anonymous_voting: bool = False
    track_participation_metrics: bool = True
    track_topic_evolution: bool = True
    track_sentiment_analysis: bool = False
    generate_session_summaries: bool = True
    max_message_length: int = Field(2000, gt=0)
    enable_message_threading: bool = True
    enable_message_reactions: bool = True
    auto_capture_insights: bool = True
    insight_detection_keywords: list[str] = Field(
        default_factory=lambda: [
            "decision",
            "conclusion",
            "consensus",
            "agreement",
            "resolution",
            "action item",
            "next step",
            "recommendation",
            "finding",
        ]
    )
    enable_real_time_updates: bool = True
    max_concurrent_sessions: int = Field(10, gt=0)
    session_archive_days: int = 30
    integrate_with_memory_layers: bool = True
    memory_layer_for_insights: MemoryLayerName = MemoryLayerType.MEDIUM_TERM.value
    enable_cross_session_learning: bool = True
    # Topic delegation (use case 16, ours): route to the best expert when its confidence
    # reaches the threshold, else to the fallback participant.
    delegation_confidence_threshold: float = Field(0.8, ge=0, le=1)
    delegation_fallback_participant: str = "generalist"
