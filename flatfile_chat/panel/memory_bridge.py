"""Copying panel insights into the owner's memory layers.

Panels are global (``panel_sessions/``), memory is per user, so a panel names its owner in
``session_config["owner_user_id"]`` (stored in ``panel_config.json``). Without an owner, or
without a memory manager, insights stay in the panel only and the insight says so in
``metadata.memory_target``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Protocol

from flatfile_chat.panel.models import FFPanelInsightDTO

_IMPACT_IMPORTANCE = {"low": 0.3, "medium": 0.5, "high": 0.8, "critical": 1.0}


class InsightMemory(Protocol):
    """What we need from ``FFMemoryLayerManager`` (flatfile_chat.memory)."""

    async def add_memory_context(
        self, user_id: str, context: Any, target_layer: str = "medium_term"
    ) -> Any: ...


def memory_context(insight: FFPanelInsightDTO, config: Mapping[str, Any]) -> dict[str, Any]:
    """An ``FFMemoryContextDTO``-shaped dict (only fields that DTO has; ``metadata`` names
    the panel and insight so the memory item can be traced back)."""
    tags = ["panel", str(config["session_type"]), insight.insight_type]
    if insight.consensus_level is not None:
        tags.append(str(insight.consensus_level))
    names = {
        p["participant_id"]: p.get("display_name") or p["participant_id"]
        for p in config["participants"]
    }
    mentioned = list(insight.participant_positions) + [
        p for p in insight.responsible_parties if p not in insight.participant_positions
    ]
    relevance = 0.6 if insight.agreement_score is None else 0.5 + insight.agreement_score / 2
    return {
        "content": insight.content,
        "context_type": "insight",
        "timestamp": insight.timestamp,
        "relevance_score": round(min(1.0, relevance + (0.1 if insight.is_decision else 0.0)), 4),
        "importance_score": _IMPACT_IMPORTANCE.get(insight.impact_level, 0.5),
        "topic_tags": tags,
        "entity_mentions": [names.get(p, p) for p in mentioned],
        "session_id": insight.panel_id,
        "related_session_ids": [insight.panel_id],
        "metadata": {
            "source": "panel_insight",
            "panel_id": insight.panel_id,
            "insight_id": insight.insight_id,
            "insight_type": insight.insight_type,
            "is_decision": insight.is_decision,
            "consensus_level": (str(insight.consensus_level) if insight.consensus_level else None),
        },
    }
