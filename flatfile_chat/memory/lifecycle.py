"""Expiry and promotion, computed as a plan over in-memory layers (no I/O here).

Rules (``docs/decisions/memory_layer.md``):
- retention counts from ``layer_entered_at`` (falling back to ``created_at``): an item may stay
  in a layer for that layer's retention; it is due once ``now >= entered + retention``;
- a due item whose ``relevance_score`` is strictly above the boundary's promotion threshold
  *moves* to the next layer (appended there, ``promotion_history`` gets
  ``"{old} -> {new} at {ts}"``, ``layer_entered_at`` restarts); any other due item is removed;
- ``permanent`` (retention -1) never expires; with ``enable_auto_archival`` off nothing is
  promoted and due items are removed;
- one run moves an item by at most one layer, so running maintenance again at the same time
  changes nothing;
- an item present in two layers (a crash between two rewrites) is kept only in the higher one.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from flatfile_chat.clock import parse_timestamp
from flatfile_chat.config.memory import PROMOTION_KEYS, FFMemoryLayerConfigDTO
from flatfile_chat.config.memory_layers import LAYERS

Record = dict[str, Any]


@dataclass
class LifecyclePlan:
    layers: dict[str, list[Record]]
    changed: set[str] = field(default_factory=set)
    removed: int = 0
    promoted: int = 0
    deduplicated: int = 0


def entered_at(record: Record) -> datetime:
    value = record.get("layer_entered_at") or record.get("created_at") or record["timestamp"]
    return parse_timestamp(value)


def is_due(record: Record, retention_hours: float, now: datetime) -> bool:
    if retention_hours < 0:
        return False
    return now >= entered_at(record) + timedelta(hours=retention_hours)


def promoted_copy(record: Record, old: str, new: str, now_iso: str) -> Record:
    history = [*record.get("promotion_history", []), f"{old} -> {new} at {now_iso}"]
    return {**record, "layer": new, "layer_entered_at": now_iso, "promotion_history": history}


def plan_lifecycle(
    layers: dict[str, list[Record]], config: FFMemoryLayerConfigDTO, now: datetime, now_iso: str
) -> LifecyclePlan:
    plan = LifecyclePlan(layers={})
    seen: set[str] = set()
    kept: dict[str, list[Record]] = {}
    for layer in reversed(LAYERS):  # higher layers win duplicates
        kept[layer] = []
        for record in layers.get(layer, []):
            if record["memory_id"] in seen:
                plan.deduplicated += 1
                plan.changed.add(layer)
                continue
            seen.add(record["memory_id"])
            kept[layer].append(record)
    incoming: dict[str, list[Record]] = {layer: [] for layer in LAYERS}
    for index, layer in enumerate(LAYERS):
        retention = config.retention_policies[layer]
        target = LAYERS[index + 1] if index + 1 < len(LAYERS) else None
        staying = []
        for record in kept[layer]:
            if not is_due(record, retention, now):
                staying.append(record)
                continue
            plan.changed.add(layer)
            threshold = config.promotion_thresholds[PROMOTION_KEYS[layer]] if target else 1.0
            if (
                target is not None
                and config.enable_auto_archival
                and float(record.get("relevance_score", 0.0)) > threshold
            ):
                incoming[target].append(promoted_copy(record, layer, target, now_iso))
                plan.changed.add(target)
                plan.promoted += 1
            else:
                plan.removed += 1
        kept[layer] = staying
    for layer in LAYERS:
        plan.layers[layer] = kept[layer] + incoming[layer]
    return plan
