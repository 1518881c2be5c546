"""The pytest side of ``prism-scenarios run --shard K/N`` (:mod:`prism_scenarios.shard`).

Only ``run`` loads this plugin (``-p prism_scenarios.shard_plugin``, which pytest-xdist passes
on to its workers; each worker cuts the same shard from the same collection). A plain
``pytest`` run never sees it: the ``pytest11`` entry point does not name it.
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Any

import pytest

from prism_scenarios.shard import Shard, assign, digest, parse_spec


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("prism-scenarios shard")
    group.addoption(
        "--prism-shard",
        type=parse_spec,
        default=None,
        metavar="K/N",
        help="run only shard K of N of the collected tests",
    )
    group.addoption(
        "--prism-shard-durations",
        default=None,
        metavar="FILE",
        help="balance the shards by these durations ({node id: ms}, as written "
        "by prism-scenarios run)",
    )
    group.addoption(
        "--prism-shard-record",
        default=None,
        metavar="FILE",
        help="write what this shard holds (JSON) to FILE",
    )


@pytest.hookimpl(trylast=True)  # after -k, -m and the other plugins' deselection
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    shard: Shard | None = config.getoption("prism_shard")
    if shard is None:
        return
    durations = None
    source = config.getoption("prism_shard_durations")
    if source:
        durations = {
            str(k): int(v) for k, v in json.loads(Path(source).read_text(encoding="utf-8")).items()
        }
    nodeids = [item.nodeid for item in items]
    shards, loads, balanced_by = assign(nodeids, shard.count, durations)
    kept = [item for item in items if shards[item.nodeid] == shard.index]
    dropped = [item for item in items if shards[item.nodeid] != shard.index]
    if dropped:
        config.hook.pytest_deselected(items=dropped)
        items[:] = kept
    record = config.getoption("prism_shard_record")
    if record:
        _write_record(
            Path(record),
            {
                "index": shard.index,
                "count": shard.count,
                "suite_tests": len(set(nodeids)),
                "suite_digest": digest(nodeids),
                "tests": len(kept),
                "balanced_by": balanced_by,
                "durations_digest": digest(durations) if durations else None,
                "estimated_loads": loads,
            },
        )


def _write_record(path: Path, record: dict[str, Any]) -> None:
    """Every xdist worker cuts the same shard and writes the same record: atomically."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        json.dump(record, fh, indent=2)
    os.replace(tmp, path)
