"""``prism-scenarios run --shard K/N``: run one of N disjoint parts of the collected tests.

Every machine collects the whole suite and keeps only its part, so the parts partition the
suite exactly (every test in exactly one shard) as long as every shard collects the same tests
and balances with the same durations (or none). The split is per test: a scenario needs no
other scenario of its file (each runs on a fresh store; a YAML ``background:`` is copied into
every scenario, a Gherkin Background runs per scenario), and pytest runs a module or class
fixture again in each shard that holds one of its tests.

- With durations (``--shard-durations FILE``, else the last unsharded or merged
  ``REPORT_DIR/summary.json``): greedy longest first into the lightest shard; equal durations
  in node-id order, equal loads to the lower shard. A test without a recorded duration
  weighs the median of the recorded ones. Durations are whole milliseconds, so every machine
  adds the same integers.
- Without: tests in the order of the SHA-256 of their node id, dealt round robin.

The cut is made by :mod:`prism_scenarios.shard_plugin`, a pytest plugin only ``run`` loads.
It writes what it cut for ``run`` to put into ``summary.json``, which ``prism-scenarios report
DIR ...`` reads to judge whether the merged shards make up the whole suite.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import re
import statistics
from dataclasses import dataclass
from pathlib import Path

SPEC = re.compile(r"^\s*(\d+)\s*/\s*(\d+)\s*$")


@dataclass(frozen=True)
class Shard:
    index: int  # 1-based
    count: int

    def __str__(self) -> str:
        return f"{self.index}/{self.count}"


def parse_spec(text: str) -> Shard:
    """``K/N`` with 1 <= K <= N; the message says what is wrong (argparse shows it, exit 2)."""
    match = SPEC.match(text)
    if not match:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not K/N (e.g. --shard 2/4: the second of four shards)"
        )
    index, count = int(match[1]), int(match[2])
    if count < 1:
        raise argparse.ArgumentTypeError(f"{text!r}: the number of shards must be at least 1")
    if not 1 <= index <= count:
        raise argparse.ArgumentTypeError(
            f"{text!r}: shard numbers run from 1 to {count} (K/N with 1 <= K <= N)"
        )
    return Shard(index, count)


# -- durations -------------------------------------------------------------------------------
def read_durations(path: Path) -> dict[str, int]:
    """Milliseconds per node id from a ``summary.json`` (``tests: [{nodeid, duration}]``) or
    a plain ``{"node id": seconds}`` object (pytest-split's ``.test_durations``). Raises
    ValueError naming the problem."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ValueError(f"{path}: {exc.strerror or exc}") from exc
    except ValueError as exc:
        raise ValueError(f"{path}: not JSON ({exc})") from exc
    if isinstance(data, dict) and isinstance(data.get("tests"), list):
        pairs = [(t.get("nodeid"), t.get("duration")) for t in data["tests"] if isinstance(t, dict)]
    elif isinstance(data, dict):
        pairs = list(data.items())
    else:
        raise ValueError(f"{path}: expected a summary.json or a {{node id: seconds}} object")
    durations = {}
    for nodeid, seconds in pairs:
        if (
            isinstance(nodeid, str)
            and isinstance(seconds, int | float)
            and not isinstance(seconds, bool)
            and seconds >= 0
        ):
            durations[nodeid] = max(1, round(seconds * 1000))
    return durations


def default_durations(report_dir: Path) -> Path | None:
    """``REPORT_DIR/summary.json`` unless it is a shard's (or a merge missing shards): a
    shard's summary holds only that shard's tests, and machines that each kept their own
    would cut the suite differently."""
    path = report_dir / "summary.json"
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(data, dict) or data.get("shard") or not data.get("tests"):
        return None
    if any("shard" in reason for reason in data.get("partial_because") or []):
        return None  # merged from only some of the shards
    return path


def digest(items: dict[str, int] | list[str]) -> str:
    text = (
        json.dumps(items, sort_keys=True) if isinstance(items, dict) else "\n".join(sorted(items))
    )
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


# -- the split -------------------------------------------------------------------------------
def assign(
    nodeids: list[str], count: int, durations: dict[str, int] | None = None
) -> tuple[dict[str, int], list[int], str]:
    """Shard (1..count) of every node id, the estimated load per shard (ms with durations,
    tests without) and how it was balanced (``durations`` or ``hash``)."""
    unique = sorted(set(nodeids))
    known = [durations[n] for n in unique if durations and n in durations]
    loads = [0] * count
    shards: dict[str, int] = {}
    if known:
        fallback = round(statistics.median(known))
        weights = {n: durations.get(n, fallback) for n in unique}  # type: ignore[union-attr]
        for nodeid in sorted(unique, key=lambda n: (-weights[n], n)):
            lightest = min(range(count), key=lambda i: (loads[i], i))
            shards[nodeid] = lightest + 1
            loads[lightest] += weights[nodeid]
        return shards, loads, "durations"
    ordered = sorted(unique, key=lambda n: (hashlib.sha256(n.encode("utf-8")).hexdigest(), n))
    for position, nodeid in enumerate(ordered):
        shards[nodeid] = position % count + 1
        loads[position % count] += 1
    return shards, loads, "hash"
