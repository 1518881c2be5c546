"""Memory DTOs (upstream ``FFMemoryContextDTO`` / ``FFMemoryCompressionResultDTO``) and layers.

Field order is the on-disk key order of a ``{layer}.jsonl`` line. ``memory_id``,
``layer_entered_at`` and ``metadata`` are ours: an item needs an identity to be moved between
layers exactly once, retention counts from ``layer_entered_at`` (see
``docs/decisions/memory_layer.md``), and use cases such as exam results need a place for
structured facts.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

# Defined once with the other layer names (config needs them too); re-exported here.
from flatfile_chat.config.memory_layers import MemoryLayerType as MemoryLayerType

ContextType = Literal[
    "conversation", "insight", "preference", "pattern", "situational", "compressed_summary"
]
CALLER_CONTEXT_TYPES = ("conversation", "insight", "preference", "pattern", "situational")
# Assigned by the store; a caller that sets them is refused (like a profile's created_at).
STORE_ASSIGNED = (
    "created_at",
    "last_accessed",
    "layer_entered_at",
    "promotion_history",
    "compression_metadata",
    "source_layer",
)


class FFMemoryContextDTO(BaseModel):
    """One memory item. Extra keys found on disk are kept (``extra="allow"``)."""

    model_config = ConfigDict(extra="allow")

    memory_id: str | None = None
    content: str
    context_type: ContextType = "conversation"
    timestamp: str | None = None
    layer: MemoryLayerType | None = None
    created_at: str | None = None
    last_accessed: str | None = None
    layer_entered_at: str | None = None
    relevance_score: float = Field(0.5, ge=0.0, le=1.0)
    importance_score: float = Field(0.5, ge=0.0, le=1.0)
    access_count: int = Field(0, ge=0)
    related_session_ids: list[str] = Field(default_factory=list)
    topic_tags: list[str] = Field(default_factory=list)
    entity_mentions: list[str] = Field(default_factory=list)
    compression_metadata: dict[str, Any] | None = None
    promotion_history: list[str] = Field(default_factory=list)
    source_layer: MemoryLayerType | None = None
    user_id: str | None = None
    session_id: str | None = None
    metadata: dict[str, Any] = Field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return self.model_dump(mode="json")


class FFMemoryCompressionResultDTO(BaseModel):
    """What one compression of one layer did; also the entry kept in compression_history.json."""

    original_count: int
    compressed_count: int
    compression_ratio: float  # compressed_count / original_count (spec definition)
    compression_strategy: str
    summary_content: str
    preserved_items: int
    compression_timestamp: str
    metadata: dict[str, Any] = Field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return self.model_dump(mode="json")


def caller_fields() -> frozenset[str]:
    """Keys a caller may pass to ``add_memory_context``."""
    return frozenset(FFMemoryContextDTO.model_fields)
