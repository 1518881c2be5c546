"""Layer compression: group items, replace each large group by one ``compressed_summary``.

No LLM: the summary is extractive and deterministic. Sentences of the group are scored by how
many of the group's items share their words (a centroid score), the best
``ceil(compression_ratio × sentences)`` are kept in their original order, capped at
``summarization_max_tokens`` words. Same input, same summary, on every machine.

Grouping per ``compression_strategy``:
- ``summarization``: one group per (context_type, session_id) — a session's conversation
  becomes one summary;
- ``clustering``: one group per (context_type, dominant topic tag), the dominant tag being the
  item's tag shared by most candidates (ties: alphabetical; no tags: ``untagged``);
- ``importance``: only items with ``importance_score`` below
  ``compression_importance_cutoff`` are candidates, grouped by (context_type, low|medium band).
Existing summaries and the newest ``compression_keep_recent`` items are never candidates.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from flatfile_chat.clock import parse_timestamp
from flatfile_chat.config.memory import FFMemoryLayerConfigDTO
from flatfile_chat.memory.models import FFMemoryContextDTO, MemoryLayerType
from flatfile_chat.memory.text import STOPWORDS, sentences, terms

Record = dict[str, Any]


@dataclass
class CompressionOutcome:
    records: list[Record]  # the new layer content
    compressed: list[Record]  # the originals that were replaced (go to the backup)
    summaries: list[Record]  # the new compressed_summary items
    groups: list[dict[str, Any]] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return bool(self.summaries)


def _union(values: Iterable[str | None]) -> list[str]:
    return list(dict.fromkeys(v for v in values if v))


def group_keys(records: list[Record], config: FFMemoryLayerConfigDTO) -> list[str | None]:
    """The group key of each record (``None``: not a compression candidate)."""
    strategy = config.compression_strategy
    regular = [i for i, r in enumerate(records) if r.get("context_type") != "compressed_summary"]
    candidates = regular[: max(0, len(regular) - config.compression_keep_recent)]
    keys: list[str | None] = [None] * len(records)
    if strategy == "clustering":
        counts = Counter(t for i in candidates for t in set(records[i].get("topic_tags") or ()))
    for i in candidates:
        record = records[i]
        ctype = record.get("context_type", "conversation")
        if strategy == "summarization":
            keys[i] = f"{ctype}:session:{record.get('session_id') or 'none'}"
        elif strategy == "clustering":
            tags = sorted(set(record.get("topic_tags") or ()))
            dominant = min(tags, key=lambda t: (-counts[t], t)) if tags else "untagged"
            keys[i] = f"{ctype}:topic:{dominant}"
        else:
            importance = float(record.get("importance_score", 0.5))
            cutoff = config.compression_importance_cutoff
            if importance < cutoff:
                band = "low" if importance < cutoff / 2 else "medium"
                keys[i] = f"{ctype}:importance:{band}"
    return keys


def extractive_summary(
    contents: list[str], ratio: float, max_words: int, ranked: bool = True
) -> str:
    """Pick the most representative sentences; keep their order; cap the word count."""
    pool = list(dict.fromkeys(s for text in contents for s in sentences(text)))
    if not pool:
        return ""
    bags = [set(terms(s)) - STOPWORDS for s in pool]
    shared = Counter(t for bag in bags for t in bag)
    wanted = max(1, math.ceil(ratio * len(pool)))
    if ranked:

        def centrality(i: int) -> float:
            return sum(shared[t] for t in bags[i]) / math.sqrt(1 + len(bags[i]))

        chosen = sorted(sorted(range(len(pool)), key=lambda i: (-centrality(i), i))[:wanted])
    else:
        chosen = list(range(min(wanted, len(pool))))
    words: list[str] = []
    for i in chosen:
        sentence_words = pool[i].split()
        if words and len(words) + len(sentence_words) > max_words:
            break
        words.extend(sentence_words)
    return " ".join(words[:max_words])


def summary_record(
    group: list[Record],
    *,
    key: str,
    layer: str,
    user_id: str,
    memory_id: str,
    now_iso: str,
    backup_name: str,
    config: FFMemoryLayerConfigDTO,
) -> Record:
    """One compressed_summary item that stands for ``group`` (kept as the stored DTO shape)."""

    def latest(field_name: str) -> str:
        values = [r.get(field_name) or r["created_at"] for r in group]
        return max(values, key=lambda v: parse_timestamp(v))

    sessions = _union(
        s for r in group for s in [*r.get("related_session_ids", []), r.get("session_id")]
    )
    own_sessions = {r.get("session_id") for r in group}
    summary = extractive_summary(
        [str(r.get("content", "")) for r in group],
        config.compression_ratio,
        config.summarization_max_tokens,
        ranked=config.summarization_enabled,
    )
    layer_type = MemoryLayerType(layer)
    return FFMemoryContextDTO(
        memory_id=memory_id,
        content=summary,
        context_type="compressed_summary",
        timestamp=latest("timestamp"),
        layer=layer_type,
        created_at=now_iso,
        last_accessed=now_iso,
        layer_entered_at=latest("layer_entered_at"),
        relevance_score=max(float(r.get("relevance_score", 0.0)) for r in group),
        importance_score=max(float(r.get("importance_score", 0.0)) for r in group),
        access_count=sum(int(r.get("access_count", 0)) for r in group),
        related_session_ids=sessions,
        topic_tags=_union(t for r in group for t in r.get("topic_tags", [])),
        entity_mentions=_union(e for r in group for e in r.get("entity_mentions", [])),
        compression_metadata={
            "original_count": len(group),
            "group_key": key,
            "compression_strategy": config.compression_strategy,
            "summary_method": "extractive" if config.summarization_enabled else "leading",
            "original_memory_ids": [r["memory_id"] for r in group],
            "backup_file": backup_name,
            "compressed_at": now_iso,
        },
        promotion_history=[],
        source_layer=layer_type,
        user_id=user_id,
        session_id=own_sessions.pop() if len(own_sessions) == 1 else None,
    ).to_dict()


def compress(
    records: list[Record],
    *,
    layer: str,
    user_id: str,
    now_iso: str,
    backup_name: str,
    config: FFMemoryLayerConfigDTO,
    new_id: Callable[[], str],
) -> CompressionOutcome:
    """Replace every group of at least ``compression_min_group_size`` items by a summary,
    placed where the group's first item was."""
    keys = group_keys(records, config)
    members: dict[str, list[int]] = {}
    for i, key in enumerate(keys):
        if key is not None:
            members.setdefault(key, []).append(i)
    big = {k: ix for k, ix in members.items() if len(ix) >= config.compression_min_group_size}
    if not big:
        return CompressionOutcome(records=records, compressed=[], summaries=[])
    first_of = {ix[0]: key for key, ix in big.items()}
    replaced = {i for ix in big.values() for i in ix}
    outcome = CompressionOutcome(records=[], compressed=[], summaries=[])
    for i, record in enumerate(records):
        if i in first_of:
            key = first_of[i]
            group = [records[j] for j in big[key]]
            summary = summary_record(
                group,
                key=key,
                layer=layer,
                user_id=user_id,
                memory_id=new_id(),
                now_iso=now_iso,
                backup_name=backup_name,
                config=config,
            )
            outcome.records.append(summary)
            outcome.summaries.append(summary)
            outcome.compressed.extend(group)
            outcome.groups.append(
                {
                    "group_key": key,
                    "original_count": len(group),
                    "summary_memory_id": summary["memory_id"],
                }
            )
        elif i not in replaced:
            outcome.records.append(record)
    return outcome
