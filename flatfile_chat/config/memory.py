"""Memory layer settings (upstream ``FFMemoryLayerConfigDTO``, P1)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from flatfile_chat.config.base import ConfigSection

LAYERS = ("immediate", "short_term", "medium_term", "long_term", "permanent")


class FFMemoryLayerConfigDTO(ConfigSection):
    # Retention in hours per layer; -1 means never expires.
    retention_policies: dict[str, float] = Field(default_factory=lambda: {
        "immediate": 2, "short_term": 24, "medium_term": 168, "long_term": 8760,
        "permanent": -1})
    # Items per layer above which the layer is compressed.
    compression_thresholds: dict[str, int] = Field(default_factory=lambda: {
        "immediate": 100, "short_term": 500, "medium_term": 1000, "long_term": 2000,
        "permanent": 5000})
    promotion_thresholds: dict[str, float] = Field(default_factory=lambda: {
        "immediate_to_short": 0.5, "short_to_medium": 0.6, "medium_to_long": 0.7,
        "long_to_permanent": 0.8})
    enable_compression: bool = True
    compression_strategy: Literal["summarization", "clustering", "importance"] = "summarization"
    compression_ratio: float = Field(0.3, gt=0, le=1)
    enable_auto_archival: bool = True
    archival_check_interval_hours: float = 6
    max_memory_search_results: int = Field(50, gt=0)
    memory_search_timeout_seconds: float = 5
    enable_memory_indexing: bool = True
    summarization_enabled: bool = True
    summarization_max_tokens: int = 200
