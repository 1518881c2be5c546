"""Panel sessions (P2): several participants, enforced session rules, consensus, decisions and
insights that flow into the owner's memory layers. Files under ``panel_sessions/{panel_id}/``."""

from flatfile_chat.panel.manager import FFPanelSessionManager
from flatfile_chat.panel.memory_bridge import InsightMemory
from flatfile_chat.panel.models import (
    ConsensusLevel,
    FFPanelAnalyticsDTO,
    FFPanelInsightDTO,
    FFPanelMessageDTO,
    FFPanelParticipantDTO,
    FFPanelRoutingDTO,
    PanelParticipantRole,
    PanelSessionType,
)

__all__ = [
    "ConsensusLevel",
    "FFPanelAnalyticsDTO",
    "FFPanelInsightDTO",
    "FFPanelMessageDTO",
    "FFPanelParticipantDTO",
    "FFPanelRoutingDTO",
    "FFPanelSessionManager",
    "InsightMemory",
    "PanelParticipantRole",
    "PanelSessionType",
]
