"""Keyword retrieval: our bm25s-backed retrieval vs rank_bm25 (BM25Okapi), same corpus, same run.

    python benchmarks/bench_retrieval.py [--sizes 10000 100000] [--queries 300] [--seed 7]

The corpus is generated here (seeded, nothing downloaded): a Zipf-distributed vocabulary of
pronounceable pseudo-words, chunks of 30-90 words. Queries are 2-4 words taken from random
chunks, so every query has real matches. Both engines get the same tokens (bm25s's tokenizer)
and return the top 10.

Measured, per size:
- ``ours/index``: ``KeywordIndex.search`` — bm25s retrieve + our coverage scoring (the component
  ``retrieve_context`` runs per KB);
- ``ours/manager`` (sizes ≤ ``--manager-max``): the whole ``retrieve_context`` path through
  ``FFKnowledgeBaseManager`` on real files (access check, index snapshot, scoring, context DTOs,
  usage counters), cache off so every query is computed;
- ``rank_bm25``: ``BM25Okapi.get_scores`` + top-10 selection (fewer queries at large sizes: it
  is slow, and the rate is what we compare).

Prints queries/s, the speed ratio against rank_bm25 and p50/p95 latency. Targets (issue 5):
≥ 20× rank_bm25, p95 < 10 ms at 10k chunks.
"""

from __future__ import annotations

import argparse
import random
import statistics
import tempfile
import time
from collections.abc import Callable, Sequence

import numpy as np
from rank_bm25 import BM25Okapi

from flatfile_chat import FFStorageManager, IdSource, ManualClock, load_config
from flatfile_chat.knowledge import FFKnowledgeBaseManager
from flatfile_chat.knowledge.keyword import KeywordIndex, tokenize

SYLLABLES = ["ka", "lo", "mi", "ren", "tor", "sa", "vel", "dun", "pri", "ost", "el", "mar",
             "zu", "bi", "quen", "ath", "ny", "gol", "fe", "ris"]


def make_vocabulary(rng: random.Random, size: int) -> list[str]:
    words: set[str] = set()
    while len(words) < size:
        words.add("".join(rng.choice(SYLLABLES) for _ in range(rng.randint(2, 4))))
    return sorted(words)


def make_corpus(n_chunks: int, seed: int) -> list[str]:
    rng = random.Random(seed)
    vocabulary = make_vocabulary(rng, 20_000)
    weights = [1 / (rank + 1) ** 1.05 for rank in range(len(vocabulary))]  # Zipf-like
    np_rng = np.random.default_rng(seed)
    probs = np.array(weights) / sum(weights)
    lengths = np_rng.integers(30, 91, size=n_chunks)
    draws = np_rng.choice(len(vocabulary), size=int(lengths.sum()), p=probs)
    chunks, pos = [], 0
    for length in lengths:
        chunks.append(" ".join(vocabulary[i] for i in draws[pos:pos + length]))
        pos += length
    return chunks


def make_queries(chunks: Sequence[str], n: int, seed: int) -> list[str]:
    rng = random.Random(seed + 1)
    queries = []
    for _ in range(n):
        words = rng.choice(chunks).split()
        start = rng.randrange(max(1, len(words) - 4))
        queries.append(" ".join(words[start:start + rng.randint(2, 4)]))
    return queries


def timed(run: Callable[[str], object], queries: Sequence[str]) -> list[float]:
    for q in queries[:5]:  # warm-up
        run(q)
    latencies = []
    for q in queries:
        start = time.perf_counter()
        run(q)
        latencies.append(time.perf_counter() - start)
    return latencies


def summary(name: str, latencies: list[float]) -> dict[str, float]:
    ordered = sorted(latencies)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * len(ordered)) - 1)]
    stats = {"qps": len(latencies) / sum(latencies), "p50_ms": statistics.median(ordered) * 1e3,
             "p95_ms": p95 * 1e3}
    print(f"  {name:<14} {stats['qps']:>10.1f} q/s   p50 {stats['p50_ms']:7.3f} ms   "
          f"p95 {stats['p95_ms']:7.3f} ms   ({len(latencies)} queries)")
    return stats


def bench_manager(chunks: Sequence[str], queries: Sequence[str]) -> list[float]:
    """Ingest the corpus as 10 documents (one paragraph per generated chunk, each longer than
    chunk_size so paragraphs are never packed together) and query through the manager."""
    config = load_config(preset="test", overrides={"knowledge_base": {
        "enable_retrieval_cache": False, "chunking_strategy": "paragraph_boundary",
        "chunk_size": 100, "chunk_overlap": 0, "max_chunk_size": 2000,
        "min_chunk_size": 0, "max_documents_per_kb": 1000, "max_kb_size_mb": 10_000}})
    with tempfile.TemporaryDirectory(prefix="bench_retrieval_") as root:
        store = FFStorageManager(config, clock=ManualClock(), ids=IdSource(1), base_path=root)
        store.users.create("bench")
        kb = FFKnowledgeBaseManager(store)
        kb_id = kb._repo.create("bench", "corpus", "", "reference_materials", None).kb_id
        started = time.perf_counter()
        step = max(1, len(chunks) // 10)
        for n, first in enumerate(range(0, len(chunks), step)):
            text = "\n\n".join(chunks[first:first + step])
            kb._repo.add_document("bench", kb_id, f"part{n}.txt", text, None)
        total = kb._repo.documents("bench", kb_id)
        print(f"  (manager ingest: {sum(d.chunk_count for d in total)} chunks in "
              f"{time.perf_counter() - started:.1f} s)")
        return timed(lambda q: kb.retrieve_context_sync("bench", q, [kb_id],
                                                        "keyword_matching", 10, 0.0), queries)


def bench_size(size: int, args: argparse.Namespace) -> None:
    print(f"\n== {size} chunks (seed {args.seed}) ==")
    chunks = make_corpus(size, args.seed)
    queries = make_queries(chunks, args.queries, args.seed)
    tokens = tokenize(chunks)
    started = time.perf_counter()
    index = KeywordIndex.build(chunks, "bench")
    print(f"  (bm25s index incl. tokenizing: {time.perf_counter() - started:.2f} s)")
    started = time.perf_counter()
    okapi = BM25Okapi(tokens)
    print(f"  (rank_bm25 index: {time.perf_counter() - started:.2f} s)")
    ours = summary("ours/index", timed(lambda q: index.search(q, 50), queries))

    def rank_bm25_top10(q: str) -> np.ndarray:
        scores = okapi.get_scores(tokenize([q])[0])
        return np.argpartition(-scores, 10)[:10]

    theirs = summary("rank_bm25", timed(rank_bm25_top10, queries[:args.rank_bm25_queries]))
    print(f"  speed ratio ours/index vs rank_bm25: {ours['qps'] / theirs['qps']:.1f}x")
    if size <= args.manager_max:
        manager = summary("ours/manager", bench_manager(chunks, queries))
        print(f"  speed ratio ours/manager vs rank_bm25: {manager['qps'] / theirs['qps']:.1f}x")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--queries", type=int, default=300)
    parser.add_argument("--rank-bm25-queries", type=int, default=60)
    parser.add_argument("--manager-max", type=int, default=10_000,
                        help="largest size also measured through the manager")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    for size in args.sizes:
        bench_size(size, args)


if __name__ == "__main__":
    main()
