"""Migration throughput at volume, against two baselines measured in the same run.

    python benchmarks/bench_migration.py [--messages 100000] [--rounds 3] [--batch-size 1000]

Input: a generated G1 store (``flatfile_chat.migration.generators``), one user, one session
holding ``--messages`` messages (no documents or vectors). Each round times, on fresh copies,
alternating which goes first:

- ``apply``: ``Migrator.apply()`` G1 -> current, the whole job: backup with manifest (copy and
  hash every file), three passes (V2 rewrites every line, V3/V4 copy it), a checkpoint per
  batch with fsync, census and schema verification, cut-over;
- ``copy``: ``shutil.copytree`` of the store, the I/O floor of any migration that keeps a
  backup;
- ``one_pass``: read every line, ``json.loads``, rename ``id`` -> ``message_id``, ``json.dumps``,
  write it out: the least CPU work a G1 -> G2 rewrite can do, with no checks.

Figures are medians over the rounds; records/s counts message lines.
"""

from __future__ import annotations

import argparse
import json
import platform
import shutil
import statistics
import tempfile
import time
from pathlib import Path

from flatfile_chat.migration.engine import MigrationOptions, Migrator
from flatfile_chat.migration.generators import generate
from flatfile_chat.migration.records import rename_key


def _one_pass(src: Path, dst: Path) -> None:
    for path in sorted(src.rglob("*")):
        target = dst / path.relative_to(src)
        if path.is_dir():
            target.mkdir(parents=True, exist_ok=True)
        elif path.name == "messages.jsonl":
            target.parent.mkdir(parents=True, exist_ok=True)
            with path.open("rb") as source, target.open("wb") as sink:
                for raw in source:
                    obj = rename_key(json.loads(raw), "id", "message_id")
                    sink.write(json.dumps(obj, ensure_ascii=False).encode() + b"\n")
        else:
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(path, target)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--messages", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--batch-size", type=int, default=1000)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="bench-migration-"))
    template = work / "template"
    made = generate(
        "G1",
        template,
        users=1,
        sessions_per_user=1,
        messages_per_session=args.messages,
        documents=False,
        vectors=False,
        traps=False,
    )
    times: dict[str, list[float]] = {"apply": [], "copy": [], "one_pass": []}

    def run(name: str, n: int) -> None:
        base = work / f"{name}-{n}" / "store"
        shutil.copytree(template, base)
        start = time.perf_counter()
        if name == "apply":
            report = Migrator(base, MigrationOptions(batch_size=args.batch_size)).apply()
            assert report.counts_after["messages"] == made.messages, report.counts_after
        elif name == "copy":
            shutil.copytree(base, base.parent / "copy")
        else:
            _one_pass(base, base.parent / "out")
        times[name].append(time.perf_counter() - start)
        shutil.rmtree(base.parent)

    try:
        for n in range(args.rounds):
            order = list(times) if n % 2 == 0 else list(reversed(times))
            for name in order:
                run(name, n)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    apply = statistics.median(times["apply"])
    print(
        f"# {platform.python_implementation()} {platform.python_version()}, "
        f"{made.messages:,} messages, batch size {args.batch_size}, "
        f"{args.rounds} rounds (medians)"
    )
    print(f"{'case':<10}{'seconds':>10}{'records/s':>14}{'apply / case':>14}")
    for name, values in times.items():
        median = statistics.median(values)
        print(f"{name:<10}{median:>10.3f}{made.messages / median:>14,.0f}{apply / median:>14.2f}")


if __name__ == "__main__":
    main()
