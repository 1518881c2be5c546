"""Hybrid ``retrieve_context``: one BLAS thread (the default now) vs OpenBLAS's own count
(the old behaviour: every core), same KB, same queries, same run.

    python benchmarks/bench_blas_threads.py [--chunks 10000] [--queries 200] [--rounds 4]

The corpus and queries are bench_retrieval.py's (seeded, generated). The KB is ingested once;
queries go through ``FFKnowledgeBaseManager.retrieve_context_sync`` with the hybrid strategy
and the retrieval cache off, so every query embeds and scores all rows. Three machine states:
idle, one core kept busy by a spinning child process, both cores busy (two spinners). In each
state the two settings alternate round by round (which goes first alternates too); p50/p95
are over all queries of all rounds of a setting.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_retrieval import _INGEST, make_corpus, make_queries

from flatfile_chat import FFStorageManager, IdSource, ManualClock, load_config
from flatfile_chat.knowledge import FFKnowledgeBaseManager, blas

SETTINGS = {"old (BLAS default)": None, "new (1 thread)": 1}


@contextmanager
def spinners(count: int) -> Iterator[None]:
    """``count`` child processes that each keep one core busy."""
    children = [subprocess.Popen([sys.executable, "-c", "while True: pass"]) for _ in range(count)]
    time.sleep(0.3)
    try:
        yield
    finally:
        for child in children:
            child.kill()
            child.wait()


def percentile(values: Sequence[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * len(ordered)) - 1))]


def measure(
    ask: Callable[[str], object], queries: Sequence[str], rounds: int
) -> dict[str, list[float]]:
    latencies: dict[str, list[float]] = {name: [] for name in SETTINGS}
    for round_no in range(rounds):
        order = list(SETTINGS) if round_no % 2 == 0 else list(SETTINGS)[::-1]
        for name in order:
            blas.RETRIEVAL_THREADS = SETTINGS[name]
            for q in queries:
                started = time.perf_counter()
                ask(q)
                latencies[name].append(time.perf_counter() - started)
    blas.RETRIEVAL_THREADS = 1
    return latencies


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--chunks", type=int, default=10_000)
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=4)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    chunks = make_corpus(args.chunks, args.seed)
    queries = make_queries(chunks, args.queries, args.seed)
    print(
        f"{os.cpu_count()} CPUs, OpenBLAS threads by default: {blas.threads()}, "
        f"{args.chunks} chunks, {args.queries} queries x {args.rounds} rounds per setting"
    )
    config = load_config(
        preset="test", overrides={"knowledge_base": {**_INGEST, "enable_retrieval_cache": False}}
    )
    with tempfile.TemporaryDirectory(prefix="bench_blas_") as root:
        store = FFStorageManager(config, clock=ManualClock(), ids=IdSource(1), base_path=root)
        store.users.create("bench")
        kb = FFKnowledgeBaseManager(store)
        kb_id = kb._repo.create("bench", "corpus", "", "reference_materials", None).kb_id
        step = max(1, len(chunks) // 10)
        for n, first in enumerate(range(0, len(chunks), step)):
            kb._repo.add_document(
                "bench", kb_id, f"part{n}.txt", "\n\n".join(chunks[first : first + step]), None
            )

        def ask(q: str) -> object:
            return kb.retrieve_context_sync("bench", q, [kb_id], "hybrid_retrieval", 10, 0.0)

        for q in queries[:10]:
            ask(q)
        print(f"{'machine':<22} {'setting':<20} {'p50 ms':>8} {'p95 ms':>8} {'mean ms':>8}")
        for label, busy in (("idle", 0), ("1 core busy", 1), ("2 cores busy", 2)):
            with spinners(busy):
                latencies = measure(ask, queries, args.rounds)
            for name, values in latencies.items():
                print(
                    f"{label:<22} {name:<20} {statistics.median(values) * 1e3:>8.2f} "
                    f"{percentile(values, 0.95) * 1e3:>8.2f} "
                    f"{statistics.fmean(values) * 1e3:>8.2f}"
                )
        kb.close()
        store.close()


if __name__ == "__main__":
    main()
