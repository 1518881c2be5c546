"""Where a panel's files live (P2 layout, global: ``panel_sessions/{panel_id}/``).

```
panel_sessions/{panel_id}/panel_config.json        commit point of creation and of ending
panel_sessions/{panel_id}/panel_messages.jsonl     the truth for messages and turns
panel_sessions/{panel_id}/session_metadata.json    derived: turn, timeline, threads
panel_sessions/{panel_id}/insights/insights.jsonl  the truth for insights
panel_sessions/{panel_id}/insights/consensus_tracking.json | decision_history.json  derived
panel_sessions/{panel_id}/participants/{participant_id}_context.json               derived
panel_sessions/{panel_id}/analytics/participation_stats.json | final_analytics.json
panel_sessions/{panel_id}/routing/routing_decisions.jsonl   topic delegation (ours)
```
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from flatfile_chat.storage.filestore import FileStore
from flatfile_chat.storage.paths import validate_id

PANELS_DIR = "panel_sessions"


@dataclass(frozen=True)
class PanelLayout:
    fs: FileStore

    def root(self) -> Path:
        return self.fs.path(PANELS_DIR)

    def registry_lock_target(self) -> Path:
        """Serialises panel creation (the concurrent-session limit is counted under it)."""
        return self.root() / "registry"

    def panel_dir(self, panel_id: str) -> Path:
        return self.fs.path(PANELS_DIR, validate_id(panel_id, "panel_id"))

    def lock_target(self, panel_id: str) -> Path:
        """The one lock every writer of a panel holds (``.panel.lock`` in its folder)."""
        return self.panel_dir(panel_id) / "panel"

    def config(self, panel_id: str) -> Path:
        return self.panel_dir(panel_id) / "panel_config.json"

    def messages(self, panel_id: str) -> Path:
        return self.panel_dir(panel_id) / "panel_messages.jsonl"

    def metadata(self, panel_id: str) -> Path:
        return self.panel_dir(panel_id) / "session_metadata.json"

    def insights_dir(self, panel_id: str) -> Path:
        return self.panel_dir(panel_id) / "insights"

    def insights(self, panel_id: str) -> Path:
        return self.insights_dir(panel_id) / "insights.jsonl"

    def consensus_tracking(self, panel_id: str) -> Path:
        return self.insights_dir(panel_id) / "consensus_tracking.json"

    def decision_history(self, panel_id: str) -> Path:
        return self.insights_dir(panel_id) / "decision_history.json"

    def participants_dir(self, panel_id: str) -> Path:
        return self.panel_dir(panel_id) / "participants"

    def participant_context(self, panel_id: str, participant_id: str) -> Path:
        name = validate_id(participant_id, "participant_id") + "_context.json"
        return self.participants_dir(panel_id) / name

    def analytics_dir(self, panel_id: str) -> Path:
        return self.panel_dir(panel_id) / "analytics"

    def participation_stats(self, panel_id: str) -> Path:
        return self.analytics_dir(panel_id) / "participation_stats.json"

    def final_analytics(self, panel_id: str) -> Path:
        return self.analytics_dir(panel_id) / "final_analytics.json"

    def routing(self, panel_id: str) -> Path:
        return self.panel_dir(panel_id) / "routing" / "routing_decisions.jsonl"
