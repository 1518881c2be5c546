"""Memory layer settings (upstream ``FFMemoryLayerConfigDTO``, P1).

Fields below ``summarization_max_tokens`` are ours (search ranking, compression details); see
``docs/decisions/memory_layer.md``.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field, ValidationInfo, field_validator

from flatfile_chat.config.base import ConfigSection
from flatfile_chat.config.memory_layers import LAYERS as LAYERS

# The layer names are defined once, in memory_layers; LAYERS stays importable from here.
# promotion_thresholds key for the boundary leaving each layer (permanent has none).
PROMOTION_KEYS = dict(
    zip(
        LAYERS[:-1],
        ("immediate_to_short", "short_to_medium", "medium_to_long", "long_to_permanent"),
        strict=True,
    )
)


_DEFAULTS: dict[str, dict[str, Any]] = {
    # per layer, in LAYERS order: hours (-1: never expires), then items before compression
    "retention_policies": dict(zip(LAYERS, (2, 24, 168, 8760, -1), strict=True)),
    "compression_thresholds": dict(zip(LAYERS, (100, 500, 1000, 2000, 5000), strict=True)),
    "promotion_thresholds": {
        "immediate_to_short": 0.5,
        "short_to_medium": 0.6,
        "medium_to_long": 0.7,
        "long_to_permanent": 0.8,
    },
}


def _merged(name: str, value: object) -> object:
    """A partial per-layer mapping overrides the defaults key by key; unknown keys fail."""
    if not isinstance(value, dict):
        return value
    unknown = sorted(value.keys() - _DEFAULTS[name].keys())
    if unknown:
        raise ValueError(f"{name}: unknown keys {unknown} (allowed: {list(_DEFAULTS[name])})")
    return {**_DEFAULTS[name], **value}


class FFMemoryLayerConfigDTO(ConfigSection):
    # Retention in hours per layer; -1 means never expires.
    retention_policies: dict[str, float] = Field(
        default_factory=lambda: dict(_DEFAULTS["retention_policies"])
    )
    # Items per layer above which the layer is compressed.
    compression_thresholds: dict[str, int] = Field(
        default_factory=lambda: dict(_DEFAULTS["compression_thresholds"])
    )
    promotion_thresholds: dict[str, float] = Field(
        default_factory=lambda: dict(_DEFAULTS["promotion_thresholds"])
    )
    enable_compression: bool = True
    compression_strategy: Literal["summarization", "clustering", "importance"] = "summarization"
    compression_ratio: float = Field(0.3, gt=0, le=1)
    enable_auto_archival: bool = True
    archival_check_interval_hours: float = 6
    max_memory_search_results: int = Field(50, gt=0)
    memory_search_timeout_seconds: float = 5
    enable_memory_indexing: bool = True
    summarization_enabled: bool = True
    summarization_max_tokens: int = Field(200, gt=0)
    # --- ours -------------------------------------------------------------------------------
    # A group is compressed when it has at least this many items (spec: "more than 5").
    compression_min_group_size: int = Field(6, ge=2)
    # The newest items of a layer stay verbatim when the layer is compressed.
    compression_keep_recent: int = Field(10, ge=0)
    # Items whose importance_score is at least this are never compressed ("importance").
    compression_importance_cutoff: float = Field(0.7, ge=0, le=1)
    # Search: score = coverage × relevance × recency, recency = (1-w) + w·2^(-age/half_life).
    search_recency_weight: float = Field(0.5, ge=0, le=1)
    search_recency_half_life_hours: float = Field(168, gt=0)
    max_content_chars: int = Field(20_000, gt=0)
    # Search caches kept per manager (one per user, least recently used dropped first).
    index_cache_users: int = Field(16, ge=1)

    @field_validator(
        "retention_policies", "compression_thresholds", "promotion_thresholds", mode="before"
    )
    @classmethod
    def _fill_defaults(cls, value: object, info: ValidationInfo) -> object:
        assert info.field_name is not None  # a field validator always has its field
        return _merged(info.field_name, value)

    @field_validator("retention_policies")
    @classmethod
    def _retention(cls, value: dict[str, float]) -> dict[str, float]:
        bad = {k: v for k, v in value.items() if not (v == -1 or v > 0)}
        if bad:
            raise ValueError(f"retention hours must be > 0 or -1 (never), got {bad}")
        return value

    @field_validator("compression_thresholds")
    @classmethod
    def _thresholds(cls, value: dict[str, int]) -> dict[str, int]:
        bad = {k: v for k, v in value.items() if v < 1}
        if bad:
            raise ValueError(f"compression thresholds must be >= 1 item, got {bad}")
        return value

    @field_validator("promotion_thresholds")
    @classmethod
    def _promotion(cls, value: dict[str, float]) -> dict[str, float]:
        bad = {k: v for k, v in value.items() if not 0 <= v <= 1}
        if bad:
            raise ValueError(f"promotion thresholds must be in [0, 1], got {bad}")
        return value
