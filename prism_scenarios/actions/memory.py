"""Actions over the memory layers (``FFMemoryLayerManager``): five retention layers per user
under ``users/{u}/memory_layers/``. Move the clock with ``clock.advance`` and run
``memory.maintain`` to see items expire, get promoted and compressed; read the files with
``files.*`` to see what is really stored."""

from __future__ import annotations

from typing import Annotated, Any, NotRequired

from pydantic import Field
from typing_extensions import TypedDict

from flatfile_chat.config.memory_layers import LAYERS
from flatfile_chat.memory import FFMemoryLayerManager
from flatfile_chat.memory.models import (
    FFMemoryCompressionResultDTO,
    FFMemoryContextDTO,
    MemoryLayerType,
)
from prism_scenarios.actions.outputs import closed
from prism_scenarios.actions.registry import Params, action
from prism_scenarios.components import Component
from prism_scenarios.world import component_factory


@component_factory("memory_layer")
def _memory(world) -> FFMemoryLayerManager:
    return FFMemoryLayerManager(world.store, audit=world.audit)


def _manager(world) -> FFMemoryLayerManager:
    return world.manager("memory_layer")


class MemoryUser(Params):
    user_id: str


@action("memory.init", component=Component.MEMORY_LAYER)
async def memory_init(world, p: MemoryUser) -> bool:
    """Create ``users/{u}/memory_layers/`` with the five (empty) layer files and
    ``layer_metadata.json``; idempotent, returns true once memory is ready."""
    return await _manager(world).initialize_user_memory(p.user_id)


class MemoryAdd(Params):
    user_id: str
    content: str = Field(description="what is remembered")
    layer: str = Field(
        MemoryLayerType.IMMEDIATE.value,
        description=f"target layer: {', '.join(LAYERS[:-1])} or {LAYERS[-1]}",
    )
    context_type: str | None = Field(
        None, description="conversation (default), insight, preference, pattern, situational"
    )
    relevance_score: float | None = Field(
        None, description="0..1; promotion needs more than the boundary's threshold"
    )
    importance_score: float | None = Field(None, description="0..1")
    topic_tags: list[str] | None = None
    entity_mentions: list[str] | None = None
    session_id: str | None = None
    related_session_ids: list[str] | None = None
    timestamp: str | None = Field(None, description="event time (ISO 8601; defaults to now)")
    memory_id: str | None = Field(
        None, description="explicit id (unique per user); 'mem_' + 12 hex if unset"
    )
    metadata: dict[str, Any] | None = Field(None, description="structured facts kept with the item")


@action("memory.add", component=Component.MEMORY_LAYER)
async def memory_add(world, p: MemoryAdd) -> FFMemoryContextDTO:
    """Append one item to ``users/{u}/memory_layers/{layer}.jsonl`` and return it as stored
    (``memory_id``, timestamps); compresses the layer when it now holds more than its
    ``compression_thresholds`` items. Only the fields given are sent; the manager fills in
    and checks the rest."""
    context = {
        name: value
        for name, value in p.model_dump(exclude={"user_id", "layer"}).items()
        if name in p.model_fields_set
    }
    return await _manager(world).add_memory_context(p.user_id, context, p.layer)


class MemoryFromContext(Params):
    user_id: str
    session_id: str
    layer: str = MemoryLayerType.IMMEDIATE.value


@action("memory.from_context", component=Component.MEMORY_LAYER, also=[Component.STORAGE])
async def memory_from_context(world, p: MemoryFromContext) -> FFMemoryContextDTO:
    """Remember a session's current situational context (``context.update``): content ←
    summary and key points, relevance ← confidence, topic_tags ← entities.topics."""
    context = await world.store.get_context(p.user_id, p.session_id)
    return await _manager(world).add_situational_context(p.user_id, p.session_id, context, p.layer)


class MemoryList(Params):
    user_id: str
    layers: list[str] | None = Field(None, description="layers to read (all if unset)")
    relevance_threshold: float = Field(
        0.0, description="keep items with relevance_score at least this (0..1)"
    )
    max_results: int | None = Field(None, description="at most this many (all if unset)")


@action("memory.list", component=Component.MEMORY_LAYER)
async def memory_list(world, p: MemoryList) -> list[FFMemoryContextDTO]:
    """A user's memory items, by relevance then last_accessed, both descending."""
    return await _manager(world).get_memory_contexts(
        p.user_id, p.layers, p.max_results, p.relevance_threshold
    )


class MemoryHit(FFMemoryContextDTO):
    """A memory item as stored, plus how well it matched."""

    score: float = Field(description="coverage × relevance × recency")


class MemorySearch(Params):
    user_id: str
    query: str = Field(description="words to look for (case, accents and punctuation ignored)")
    layers: list[str] | None = None
    max_results: int = Field(20, description="capped at memory_layer.max_memory_search_results")


@action("memory.search", component=Component.MEMORY_LAYER)
async def memory_search(world, p: MemorySearch) -> list[MemoryHit]:
    """Search one user's memory; best first, each hit is the stored item plus its
    ``score`` (coverage × relevance × recency). Another user's items are never returned."""
    hits = await _manager(world).search_memory(p.user_id, p.query, p.layers, p.max_results)
    return [MemoryHit.model_validate({**item.to_dict(), "score": score}) for item, score in hits]


@closed
class MaintenanceDetails(TypedDict):
    removed_expired: int
    promoted: int
    deduplicated: int
    compressed_items: int
    backups: Annotated[list[str], Field(description="backup file names, one per compressed layer")]


@closed
class MemoryMaintenance(TypedDict):
    """One maintenance run (the spec's result shape)."""

    user_id: str
    start_time: str
    end_time: str
    tasks_completed: Annotated[
        list[str], Field(description="e.g. cleaned_2_expired, promoted_1_memories")
    ]
    errors: list[str]
    success: bool
    details: NotRequired[
        Annotated[
            MaintenanceDetails, Field(description="absent when the run failed before finishing")
        ]
    ]


@action("memory.maintain", component=Component.MEMORY_LAYER)
async def memory_maintain(world, p: MemoryUser) -> MemoryMaintenance:
    """Run maintenance now: remove expired items, promote relevant ones one layer up
    (``promotion_history``), compress layers over their threshold (with a backup file),
    refresh ``layer_metadata.json``. Returns ``{user_id, start_time, end_time,
    tasks_completed, errors, success, details}``."""
    return await _manager(world).run_memory_maintenance(p.user_id)


class MemoryCompress(Params):
    user_id: str
    layer: str
    force: bool = Field(False, description="compress even below the layer's threshold")


@action("memory.compress", component=Component.MEMORY_LAYER)
async def memory_compress(world, p: MemoryCompress) -> FFMemoryCompressionResultDTO:
    """Compress one layer now: groups become ``compressed_summary`` items, the originals go
    to ``{layer}.backup_YYYYmmdd_HHMMSS.jsonl``; returns the compression result."""
    return await _manager(world).compress_layer(p.user_id, p.layer, force=p.force)


@closed
class LayerStats(TypedDict):
    item_count: int
    last_compression: str | None


@closed
class CompressionEntry(TypedDict):
    timestamp: str
    layer: str
    original_count: int
    compressed_count: int
    backup_file: str


@closed
class LayerMetadata(TypedDict):
    """``layer_metadata.json``: counts are recomputed from the layer files."""

    user_id: str
    created_at: str
    updated_at: str
    last_maintenance: str | None
    layer_stats: Annotated[dict[str, LayerStats], Field(description="by layer name")]
    compression_history: Annotated[
        list[CompressionEntry],
        Field(description="the latest compressions (all of them are in compression_history.json)"),
    ]


@action("memory.metadata", component=Component.MEMORY_LAYER)
async def memory_metadata(world, p: MemoryUser) -> LayerMetadata:
    """``layer_metadata.json`` of a user (item counts, last maintenance, compressions)."""
    return await _manager(world).get_layer_metadata(p.user_id)


@action("memory.maintenance_due", component=Component.MEMORY_LAYER)
async def memory_maintenance_due(world, p: MemoryUser) -> bool:
    """Whether the last maintenance is older than ``archival_check_interval_hours``."""
    return await _manager(world).is_maintenance_due(p.user_id)
