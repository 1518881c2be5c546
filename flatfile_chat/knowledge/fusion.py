"""Scoring one KB's candidates for a query, per retrieval strategy.

Both signals are in [0, 1]: keyword = IDF-weighted query coverage (see ``keyword``), semantic =
cosine of the normalised embeddings, clamped at 0. Hybrid fusion is a probabilistic OR:

    hybrid = 1 − (1 − keyword) · (1 − semantic)

It is never below either signal, so a keyword-only hit keeps its keyword score and can pass
any session threshold (upstream's 0.7·semantic + 0.3·keyword capped keyword-only hits at 0.3),
and agreement between the two raises the score. ``contextual_relevance`` is hybrid;
``temporal_relevance`` is hybrid × exp(−context_relevance_decay · hours since the document was
added) on the injected clock (upstream returned nothing for it).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import numpy as np

from flatfile_chat.clock import parse_timestamp
from flatfile_chat.knowledge import blas
from flatfile_chat.knowledge.index_files import IndexSnapshot
from flatfile_chat.knowledge.keyword import KeywordHits
from flatfile_chat.knowledge.models import RetrievalStrategy

_KEYWORD = frozenset(
    {
        RetrievalStrategy.KEYWORD_MATCHING,
        RetrievalStrategy.HYBRID_RETRIEVAL,
        RetrievalStrategy.CONTEXTUAL_RELEVANCE,
        RetrievalStrategy.TEMPORAL_RELEVANCE,
    }
)
_SEMANTIC = frozenset(
    {
        RetrievalStrategy.SEMANTIC_SIMILARITY,
        RetrievalStrategy.HYBRID_RETRIEVAL,
        RetrievalStrategy.CONTEXTUAL_RELEVANCE,
        RetrievalStrategy.TEMPORAL_RELEVANCE,
    }
)


@dataclass(frozen=True)
class Scored:
    row: int
    score: float
    keyword: float
    semantic: float
    method: str


def uses_keyword(strategy: RetrievalStrategy) -> bool:
    return strategy in _KEYWORD


def uses_semantic(strategy: RetrievalStrategy) -> bool:
    return strategy in _SEMANTIC


def semantic_top(snapshot: IndexSnapshot, query_vector: np.ndarray, pool: int) -> dict[int, float]:
    if snapshot.size == 0 or not query_vector.any():
        return {}
    with blas.limited():  # one BLAS thread by default: see flatfile_chat.knowledge.blas
        sims = snapshot.embeddings @ query_vector
    k = min(pool, sims.size)
    top = np.argpartition(-sims, k - 1)[:k]
    return {int(i): float(sims[i]) for i in top if sims[i] > 0}


def score(
    snapshot: IndexSnapshot,
    strategy: RetrievalStrategy,
    keyword: KeywordHits | None,
    semantic: dict[int, float],
    *,
    decay_per_hour: float,
    now: datetime,
    min_relevance: float,
    limit: int,
) -> list[Scored]:
    """The best ``limit`` candidates scoring at least ``min_relevance`` (and above 0)."""
    kw_rows = keyword.rows if keyword is not None else np.empty(0, np.int64)
    # Keyword order (coverage, then BM25) breaks ties; semantic-only rows come after it.
    if semantic:
        extra = np.array(sorted(set(semantic).difference(kw_rows.tolist())), dtype=np.int64)
        rows = np.concatenate([kw_rows, extra])
        s = np.minimum(
            1.0,
            np.fromiter(
                (semantic.get(r, 0.0) for r in rows.tolist()), dtype=np.float64, count=rows.size
            ),
        )
    else:
        rows, s = kw_rows, np.zeros(kw_rows.size)
    k = np.zeros(rows.size)
    if keyword is not None:
        k[: kw_rows.size] = keyword.coverage
    if strategy is RetrievalStrategy.KEYWORD_MATCHING:
        value = k
    elif strategy is RetrievalStrategy.SEMANTIC_SIMILARITY:
        value = s
    else:
        value = 1 - (1 - k) * (1 - s)
        if strategy is RetrievalStrategy.TEMPORAL_RELEVANCE:
            hours = np.array(
                [
                    max(
                        0.0,
                        (now - parse_timestamp(snapshot.rows[int(r)]["added_at"])).total_seconds()
                        / 3600,
                    )
                    for r in rows
                ]
            )
            value = value * np.exp(-decay_per_hour * hours)
    keep = np.flatnonzero((value >= min_relevance) & (value > 0))
    order = keep[np.lexsort((keep, -value[keep]))][:limit]
    results = []
    for row, v, ki, si in zip(
        rows[order].tolist(), value[order].tolist(), k[order].tolist(), s[order].tolist()
    ):
        method = "hybrid" if ki > 0 and si > 0 else ("keyword" if ki > 0 else "semantic")
        results.append(Scored(row, round(v, 6), round(ki, 6), round(si, 6), method))
    return results
