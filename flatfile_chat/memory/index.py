"""Per-layer inverted index and the search ranking.

score = coverage × relevance_score × recency, where
- coverage = Σ idf(t) over query terms the item contains / Σ idf(t) over all query terms
  (idf is BM25's ``ln(1 + (N − df + 0.5)/(df + 0.5))`` over all of the user's items, so rare
  words weigh more than common ones; with one query word it is 1 or 0 like upstream's overlap);
- recency = (1 − w) + w · 2^(−age_hours / half_life), age measured from the item's
  ``timestamp`` on the injected clock (``search_recency_weight`` w, ``..._half_life_hours``).
Searched text is the content plus topic tags and entity mentions. Only scores > 0 are returned,
best first; ties go to the newer item, then the higher layer, then the smaller memory_id.

The index is a cache, not state: one entry per (user, layer file), keyed by the file's
``stat`` signature, so any change on disk (this process or another) rebuilds that layer only.
"""

from __future__ import annotations

import math
import os
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from flatfile_chat.clock import parse_timestamp
from flatfile_chat.config.memory_layers import LAYERS
from flatfile_chat.memory.text import terms

Record = dict[str, Any]
Signature = tuple[int, int, int, int] | None


def signature(path: Path) -> Signature:
    try:
        st = os.stat(path)
    except FileNotFoundError:
        return None
    return (st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns)


def item_epoch(record: Record) -> float:
    value = record.get("timestamp") or record.get("created_at")
    try:
        return parse_timestamp(value).timestamp() if value else 0.0
    except (TypeError, ValueError):
        return 0.0


def searchable_text(record: Record) -> str:
    parts = [str(record.get("content", ""))]
    parts.extend(str(t) for t in record.get("topic_tags") or ())
    parts.extend(str(e) for e in record.get("entity_mentions") or ())
    return " ".join(parts)


@dataclass
class LayerIndex:
    """Records of one layer file plus what ranking needs, built once per file version."""

    layer: str
    records: list[Record]
    _postings: dict[str, np.ndarray] | None = field(default=None, repr=False)
    _epochs: np.ndarray | None = field(default=None, repr=False)
    _relevance: np.ndarray | None = field(default=None, repr=False)

    @property
    def size(self) -> int:
        return len(self.records)

    def _build(self) -> None:
        lists: dict[str, list[int]] = {}
        for i, record in enumerate(self.records):
            for term in set(terms(searchable_text(record))):
                lists.setdefault(term, []).append(i)
        self._postings = {
            t: np.fromiter(ix, dtype=np.int32, count=len(ix)) for t, ix in lists.items()
        }
        self._epochs = np.fromiter(
            (item_epoch(r) for r in self.records), dtype=np.float64, count=len(self.records)
        )
        self._relevance = np.fromiter(
            (float(r.get("relevance_score", 0.0)) for r in self.records),
            dtype=np.float64,
            count=len(self.records),
        )

    @property
    def postings(self) -> dict[str, np.ndarray]:
        if self._postings is None:
            self._build()
        assert self._postings is not None
        return self._postings

    @property
    def epochs(self) -> np.ndarray:
        if self._epochs is None:
            self._build()
        assert self._epochs is not None
        return self._epochs

    @property
    def relevance(self) -> np.ndarray:
        if self._relevance is None:
            self._build()
        assert self._relevance is not None
        return self._relevance


@dataclass(frozen=True)
class Ranking:
    recency_weight: float
    half_life_hours: float


def search(
    indexes: Sequence[LayerIndex],
    query: Sequence[str],
    scope: set[str],
    now_epoch: float,
    ranking: Ranking,
    limit: int,
) -> list[tuple[Record, float]]:
    """Rank items of the layers in ``scope``; idf counts items of every given layer."""
    total_items = sum(ix.size for ix in indexes)
    weights = {}
    for term in query:
        df = sum(len(ix.postings.get(term, ())) for ix in indexes)
        weights[term] = math.log(1.0 + (total_items - df + 0.5) / (df + 0.5))
    denominator = sum(weights.values())
    hits: list[tuple[float, float, int, str, Record]] = []
    for ix in indexes:
        if ix.layer not in scope or not ix.size:
            continue
        acc = np.zeros(ix.size, dtype=np.float64)
        matched = False
        for term, weight in weights.items():
            rows = ix.postings.get(term)
            if rows is not None:
                acc[rows] += weight
                matched = True
        if not matched:
            continue
        rows = np.flatnonzero(acc)
        age_hours = np.maximum(now_epoch - ix.epochs[rows], 0.0) / 3600.0
        recency = (1.0 - ranking.recency_weight) + ranking.recency_weight * np.exp2(
            -age_hours / ranking.half_life_hours
        )
        scores = acc[rows] / denominator * ix.relevance[rows] * recency
        positive = scores > 0
        rows, scores = rows[positive], scores[positive]
        if rows.size > limit:  # keep every item tied with the limit-th best score
            cut = np.partition(scores, rows.size - limit)[rows.size - limit]
            keep = scores >= cut
            rows, scores = rows[keep], scores[keep]
        rank = LAYERS.index(ix.layer)
        for row, score in zip(rows.tolist(), scores.tolist()):
            record = ix.records[row]
            hits.append((score, float(ix.epochs[row]), rank, str(record.get("memory_id")), record))
    hits.sort(key=lambda h: (-h[0], -h[1], -h[2], h[3]))
    results: list[tuple[Record, float]] = []
    seen: set[str] = set()
    for score, _epoch, _rank, memory_id, record in hits:
        if memory_id in seen:  # a crash between two layer rewrites can leave a duplicate
            continue
        seen.add(memory_id)
        results.append((record, score))
        if len(results) == limit:
            break
    return results


class IndexCache:
    """Least-recently-used (user, layer) → LayerIndex, validated by file signature."""

    def __init__(self, capacity_users: int) -> None:
        self._capacity = capacity_users * len(LAYERS)
        self._entries: OrderedDict[tuple[str, str], tuple[Signature, LayerIndex]] = OrderedDict()
        self._lock = threading.Lock()

    def get(
        self, user_id: str, layer: str, path: Path, load: Callable[[], list[Record]]
    ) -> LayerIndex:
        key = (user_id, layer)
        sig = signature(path)  # taken before reading: a later change always looks different
        with self._lock:
            hit = self._entries.get(key)
            if hit is not None and hit[0] == sig and sig is not None:
                self._entries.move_to_end(key)
                return hit[1]
        index = LayerIndex(layer, load())
        with self._lock:
            self._entries[key] = (sig, index)
            self._entries.move_to_end(key)
            while len(self._entries) > self._capacity:
                self._entries.popitem(last=False)
        return index

    def invalidate(self, user_id: str, layers: Iterable[str] | None = None) -> None:
        """Drop cached layers of a user (all of them by default)."""
        wanted = None if layers is None else set(layers)
        with self._lock:
            for key in [
                k for k in self._entries if k[0] == user_id and (wanted is None or k[1] in wanted)
            ]:
                del self._entries[key]
