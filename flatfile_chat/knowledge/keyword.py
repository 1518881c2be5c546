"""Keyword retrieval with bm25s, persisted as one blob through the file layer.

bm25s ranks (BM25, Lucene variant, bm25s's ``en_plus`` stopwords (NLTK's list), no stemmer).
Its raw scores are not comparable across queries, so the *relevance* we report is IDF-weighted
query coverage:

    coverage(q, chunk) = Σ idf(t) for query terms t in the chunk / Σ idf(t) for all query terms

with bm25s's idf ``ln(1 + (N − df + 0.5) / (df + 0.5))``. A query term the KB has never seen
weighs the mean idf of the query's known terms (an unknown word is as important as an average
known one: it lowers coverage without swamping it). Queries also drop a few request words
(``QUERY_FILLER``: "tell", "explain" ...) that say how to answer, not what about. 1.0 means
every query term is present, so a keyword-only hit can clear any threshold. Results are
ordered by coverage, then BM25 score, then row.

Persistence: ``BM25.save`` writes several files with plain ``open`` (not atomic, not
encrypted), so we store the same pieces it saves (CSC arrays, vocab, params) as one ``.npz``
blob via ``FileStore.write_blob`` and rebuild the ``BM25`` object the way ``BM25.load`` does.
The blob carries the fingerprint of the chunk rows it indexes; a reader compares it with
``vector_index.jsonl`` and never uses a stale index.
"""

from __future__ import annotations

import io
import json
from collections.abc import Sequence
from dataclasses import dataclass

import bm25s
import numpy as np
from bm25s.stopwords import STOPWORDS_EN_PLUS

from flatfile_chat.errors import StorageCorrupted

STOPWORDS = frozenset(STOPWORDS_EN_PLUS)
QUERY_FILLER = frozenset(
    {
        "tell",
        "say",
        "says",
        "said",
        "explain",
        "describe",
        "show",
        "give",
        "know",
        "please",
        "would",
        "could",
        "like",
        "want",
        "need",
        "find",
        "list",
        "summarize",
        "summarise",
    }
)
_PARAMS = ("k1", "b", "delta", "method", "idf_method", "dtype", "int_dtype", "backend")


def tokenize(texts: Sequence[str]) -> list[list[str]]:
    return bm25s.tokenize(list(texts), stopwords="en_plus", return_ids=False, show_progress=False)


def query_terms(query: str) -> list[str]:
    return [t for t in dict.fromkeys(tokenize([query])[0]) if t not in QUERY_FILLER]


@dataclass(frozen=True)
class KeywordHits:
    rows: np.ndarray  # chunk rows (= vector_index), best first
    coverage: np.ndarray  # relevance in [0, 1]
    bm25: np.ndarray  # raw BM25 scores (tie-break, diagnostics)


def _sort_postings(scores: dict) -> None:
    """Make each token's postings (a CSC column) ascending by row, data alongside, so
    membership tests can binary-search them (bm25s builds them sorted; a loaded index is
    checked, never trusted)."""
    indptr, indices = scores["indptr"], scores["indices"]
    if indices.size < 2:
        return
    column = np.repeat(np.arange(indptr.size - 1), np.diff(indptr))
    step = np.diff(indices.astype(np.int64))
    same_column = column[1:] == column[:-1]
    if np.all(step[same_column] > 0):
        return
    order = np.lexsort((indices, column))
    scores["indices"] = indices[order]
    scores["data"] = scores["data"][order]


class KeywordIndex:
    def __init__(self, retriever: bm25s.BM25 | None, fingerprint: str, num_docs: int) -> None:
        if retriever is not None:
            _sort_postings(retriever.scores)
        self._retriever = retriever
        self.fingerprint = fingerprint
        self.num_docs = num_docs

    @classmethod
    def build(cls, texts: Sequence[str], fingerprint: str) -> KeywordIndex:
        tokens = tokenize(texts)
        if not any(tokens):
            # No chunk has a keyword (e.g. only stopwords or one-letter words): bm25s cannot
            # index an empty vocabulary (it fails in max()), and nothing could match anyway.
            return cls(None, fingerprint, len(texts))
        retriever = bm25s.BM25()
        retriever.index(tokens, show_progress=False)
        return cls(retriever, fingerprint, len(texts))

    # -- persistence ---------------------------------------------------------------------
    def to_bytes(self) -> bytes:
        meta: dict[str, object] = {
            "fingerprint": self.fingerprint,
            "num_docs": self.num_docs,
            "bm25s_version": bm25s.__version__,
        }
        arrays: dict[str, np.ndarray] = {}
        if self._retriever is not None:
            r = self._retriever
            meta["params"] = {name: getattr(r, name) for name in _PARAMS}
            meta["vocab"] = r.vocab_dict
            arrays = {k: r.scores[k] for k in ("data", "indices", "indptr")}
        arrays["meta"] = np.frombuffer(json.dumps(meta).encode("utf-8"), dtype=np.uint8)
        buffer = io.BytesIO()
        np.savez(buffer, allow_pickle=False, **arrays)  # numeric arrays only
        return buffer.getvalue()

    @classmethod
    def from_bytes(cls, blob: bytes, *, where: str) -> KeywordIndex:
        try:
            with np.load(io.BytesIO(blob), allow_pickle=False) as npz:
                meta = json.loads(npz["meta"].tobytes())
                if "params" not in meta:  # nothing indexed: no chunks, or none with a keyword
                    return cls(None, meta["fingerprint"], meta["num_docs"])
                retriever = bm25s.BM25(**meta["params"])
                retriever.vocab_dict = {k: int(v) for k, v in meta["vocab"].items()}
                retriever.unique_token_ids_set = set(retriever.vocab_dict.values())
                retriever.scores = {
                    "data": npz["data"],
                    "indices": npz["indices"],
                    "indptr": npz["indptr"],
                    "num_docs": meta["num_docs"],
                }
                retriever.nonoccurrence_array = None
        except (ValueError, KeyError, OSError) as exc:
            raise StorageCorrupted(f"unreadable bm25 index: {exc}", path=where) from None
        return cls(retriever, meta["fingerprint"], meta["num_docs"])

    # -- search --------------------------------------------------------------------------
    def search(self, query: str, pool: int) -> KeywordHits:
        """The ``pool`` best rows by BM25 (bm25s's own ``get_scores_from_ids``), ordered by
        coverage, then BM25 score, then row.

        We call bm25s's scorer directly instead of ``BM25.retrieve``: the scores are the same
        (bit for bit), but ``retrieve``'s per-call overhead and its ``argpartition`` over
        every row cost more than the scoring itself, and its choice among rows tied at the
        pool boundary is arbitrary. Here only rows with a positive score compete, ties at the
        boundary go to the lower row, so results are deterministic.
        """
        empty = KeywordHits(np.empty(0, np.int64), np.empty(0), np.empty(0))
        r = self._retriever
        terms = query_terms(query)
        if r is None or not terms:
            return empty
        vocab = r.vocab_dict
        token_ids = [vocab[t] for t in terms if t in vocab]
        if not token_ids:
            return empty
        scores = r.get_scores_from_ids(token_ids)
        rows = np.flatnonzero(scores > 0)
        if rows.size == 0:
            return empty
        values = scores[rows]
        if rows.size > pool:
            cut = rows.size - pool
            kth = np.partition(values, cut)[cut]  # the pool-th best score
            above = values > kth
            tied = np.flatnonzero(values == kth)[: pool - int(above.sum())]
            chosen = np.sort(np.concatenate([np.flatnonzero(above), tied]))
            rows, values = rows[chosen], values[chosen]
        rows = rows.astype(np.int64)
        bm25 = values.astype(np.float64)
        coverage = self._coverage(terms, rows)
        order = np.lexsort((rows, -bm25, -coverage))
        return KeywordHits(rows[order], coverage[order], bm25[order])

    def _coverage(self, terms: list[str], rows: np.ndarray) -> np.ndarray:
        """IDF-weighted share of the query terms present in each of ``rows`` (postings are
        sorted, so membership is a binary search per row, not a pass over every row)."""
        r = self._retriever
        assert r is not None
        indptr, indices = r.scores["indptr"], r.scores["indices"]
        n = self.num_docs
        present = np.zeros(rows.size)
        known: list[float] = []
        for term in terms:
            token = r.vocab_dict.get(term)
            if token is None:
                continue
            postings = indices[indptr[token] : indptr[token + 1]]
            idf = float(np.log(1 + (n - postings.size + 0.5) / (postings.size + 0.5)))
            known.append(idf)
            if postings.size == 0:
                continue
            at = np.searchsorted(postings, rows)
            hit = postings[np.minimum(at, postings.size - 1)] == rows
            present += idf * hit
        if not known:
            return present
        unknown = len(terms) - len(known)
        total = sum(known) * (1 + unknown / len(known))
        return present / total
