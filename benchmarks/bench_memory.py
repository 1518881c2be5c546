"""Memory layers: ``search_memory`` and ``run_memory_maintenance`` over 10k / 100k items.

    python benchmarks/bench_memory.py [--sizes 10000 100000] [--queries 300] [--seed 7]
                                      [--durability none|batch|fsync]

The corpus is generated here (seeded, nothing downloaded): a Zipf-distributed vocabulary of
pronounceable pseudo-words, memories of 8-40 words with 1-3 topic tags, spread over the five
layers (immediate 1%, short_term 4%, medium_term 15%, long_term 40%, permanent 40%) and over
the last 400 days, relevance uniform in [0, 1]. The layer files are written in bulk (the
benchmark is about search and maintenance, not about 100k single adds), through the same
FileStore and with the same record shape as ``add_memory_context``; a few hundred real adds
are timed separately.

Measured, per size, on real files under a temporary folder:
- ``search cold``: the first search of a fresh manager (reads and indexes every layer);
- ``search warm``: p50 / p95 / max over ``--queries`` queries of 2-3 corpus words;
- ``maintenance #1``: clean expired, promote, compress (default thresholds), metadata;
- ``maintenance #2``: the same run again at the same time (nothing left to do);
- ``search after``: warm p50 / p95 after maintenance rewrote the layers;
- ``add``: p50 / p95 of ``add_memory_context`` into the populated store.
Target (issue 4): search p95 < 20 ms at 10k items.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import statistics
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from flatfile_chat import FFStorageManager, IdSource, ManualClock, load_config
from flatfile_chat.clock import isoformat
from flatfile_chat.memory import FFMemoryContextDTO, FFMemoryLayerManager
from flatfile_chat.memory.files import MemoryFiles, new_metadata, refresh_counts

LAYER_SHARE = {
    "immediate": 0.01,
    "short_term": 0.04,
    "medium_term": 0.15,
    "long_term": 0.40,
    "permanent": 0.40,
}
RETENTION_HOURS = {"immediate": 2, "short_term": 24, "medium_term": 168, "long_term": 8760}
USER = "bench-user"


def vocabulary(rng: random.Random, size: int = 6000) -> list[str]:
    consonants, vowels = "bcdfghjklmnprstvz", "aeiou"
    words: set[str] = set()
    while len(words) < size:
        syllables = rng.randint(2, 4)
        words.add("".join(rng.choice(consonants) + rng.choice(vowels) for _ in range(syllables)))
    return sorted(words)


def corpus(n: int, rng: random.Random, now_epoch: float) -> dict[str, list[dict]]:
    words = vocabulary(rng)
    weights = [1.0 / (rank + 1) for rank in range(len(words))]  # Zipf
    topics = words[200:260]
    layers = list(LAYER_SHARE)
    shares = [LAYER_SHARE[layer] for layer in layers]
    out: dict[str, list[dict]] = {layer: [] for layer in layers}
    for i in range(n):
        layer = rng.choices(layers, shares)[0]
        text = " ".join(rng.choices(words, weights, k=rng.randint(8, 40)))
        # Enter the layer up to 1.5 retentions ago, so a share of each layer is due.
        span = RETENTION_HOURS.get(layer, 24 * 400) * 3600 * 1.5
        entered = now_epoch - rng.uniform(0, span)
        created = entered - rng.uniform(0, 3600 * 24)
        stamp = isoformat_epoch(created)
        out[layer].append(
            FFMemoryContextDTO(
                memory_id=f"mem_{i:012x}",
                content=text.capitalize() + ".",
                context_type=rng.choice(["conversation", "insight", "preference", "pattern"]),
                timestamp=stamp,
                layer=layer,
                created_at=stamp,
                last_accessed=stamp,
                layer_entered_at=isoformat_epoch(entered),
                relevance_score=round(rng.random(), 3),
                importance_score=round(rng.random(), 3),
                topic_tags=rng.sample(topics, rng.randint(1, 3)),
                source_layer=layer,
                user_id=USER,
                session_id=f"sess-{rng.randrange(300)}",
            ).to_dict()
        )
    return out


def isoformat_epoch(epoch: float) -> str:
    return isoformat(datetime.fromtimestamp(epoch, UTC))


def percentiles(samples_ms: list[float]) -> tuple[str, float]:
    """Printable p50/p95/max and the p95 (inclusive method: p95 is within the samples)."""
    p95 = statistics.quantiles(samples_ms, n=20, method="inclusive")[18]
    return (
        f"p50 {statistics.median(samples_ms):7.2f} ms  p95 {p95:7.2f} ms  "
        f"max {max(samples_ms):7.2f} ms"
    ), p95


def queries(layers: dict[str, list[dict]], rng: random.Random, count: int) -> list[str]:
    items = [r for rows in layers.values() for r in rows]
    picked = []
    for _ in range(count):
        words = rng.choice(items)["content"].rstrip(".").lower().split()
        picked.append(" ".join(rng.sample(words, min(len(words), rng.randint(2, 3)))))
    return picked


def time_searches(manager: FFMemoryLayerManager, qs: list[str]) -> list[float]:
    samples = []
    for q in qs:
        start = time.perf_counter()
        asyncio.run(manager.search_memory(USER, q))
        samples.append((time.perf_counter() - start) * 1000)
    return samples


def bench(size: int, args: argparse.Namespace) -> None:
    rng = random.Random(args.seed)
    clock = ManualClock("2026-06-01T12:00:00+00:00")
    with tempfile.TemporaryDirectory() as tmp:
        config = load_config(preset="test", overrides={"storage": {"durability": args.durability}})
        store = FFStorageManager(
            config, clock=clock, ids=IdSource(args.seed), base_path=Path(tmp) / "root"
        )
        asyncio.run(store.create_user(USER))
        build = time.perf_counter()
        layers = corpus(size, rng, clock.now().timestamp())
        files = MemoryFiles(store.fs)
        paths = files.paths(USER)
        files.ensure(paths, isoformat(clock.now()))
        files.replace_layers(paths, layers)
        meta = refresh_counts(store.fs, paths, new_metadata(USER, isoformat(clock.now())))
        files.write_metadata(paths, meta, isoformat(clock.now()))
        counts = {k: v["item_count"] for k, v in meta["layer_stats"].items()}
        print(f"\n== {size:,} items  (generated in {time.perf_counter() - build:.1f} s; {counts})")
        qs = queries(layers, rng, args.queries)

        manager = FFMemoryLayerManager(store)
        start = time.perf_counter()
        asyncio.run(manager.search_memory(USER, qs[0]))
        print(
            f"search cold      {(time.perf_counter() - start) * 1000:9.1f} ms  "
            "(first search: read + index all layers)"
        )
        line, p95 = percentiles(time_searches(manager, qs))
        print(f"search warm      {line}   ({len(qs)} queries)")
        if size == 10_000:
            print(f"                 target p95 < 20 ms at 10k: {'MET' if p95 < 20 else 'MISSED'}")

        for run_number in (1, 2):
            start = time.perf_counter()
            result = asyncio.run(manager.run_memory_maintenance(USER))
            elapsed = time.perf_counter() - start
            print(
                f"maintenance #{run_number}   {elapsed * 1000:9.1f} ms  "
                f"{result['tasks_completed'][:3]}  success={result['success']}"
            )
        after = {layer: store.fs.count_jsonl(paths.layer(layer)) for layer in LAYER_SHARE}
        print(f"                 layers after: {after}")
        asyncio.run(manager.search_memory(USER, qs[0]))  # rebuild the rewritten layers
        line, _ = percentiles(time_searches(manager, qs))
        print(f"search after     {line}")

        clock.advance(timedelta(seconds=1))
        adds = []
        for i in range(args.adds):
            start = time.perf_counter()
            asyncio.run(
                manager.add_memory_context(
                    USER,
                    {"content": qs[i % len(qs)], "relevance_score": 0.7, "session_id": "bench"},
                )
            )
            adds.append((time.perf_counter() - start) * 1000)
        line, _ = percentiles(adds)
        print(f"add              {line}   ({args.adds} adds, durability={args.durability})")
        store.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--queries", type=int, default=300)
    parser.add_argument("--adds", type=int, default=200)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--durability", choices=["none", "batch", "fsync"], default="none")
    args = parser.parse_args()
    for size in args.sizes:
        bench(size, args)


if __name__ == "__main__":
    main()
