"""What refusing symlinks costs: the same store workload on this tree and on a baseline revision.

    python benchmarks/bench_path_checks.py [--baseline-rev REV] [--pairs N]

Every read and write of the store now walks the path under the root with ``lstat`` (no
symlink may be followed) and opens writers with ``O_NOFOLLOW``. The workload (appends without
fsync, session reads, recent-page reads, integrity check of the written paths) runs in a fresh
interpreter against this checkout and against a ``git worktree`` of ``--baseline-rev`` (default:
the commit before the checks landed), alternating A B A B; the ratio is taken per pair and the
median reported. Both sides run the same workload code (it only uses the public API).
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
DEFAULT_BASELINE = "0393a64"  # "Security suite: ..." - the last commit before the path checks

WORKLOAD = r"""
import asyncio, sys, tempfile, time
from pathlib import Path
from flatfile_chat import FFStorageManager, IdSource, ManualClock, load_config
config = load_config(preset="test", overrides={"storage": {"durability": "none"}})
root = Path(tempfile.mkdtemp())
store = FFStorageManager(config, clock=ManualClock(), ids=IdSource(1), base_path=root)
async def go():
    await store.create_user("alice")
    sid = (await store.create_session("alice", "t")).session_id
    start = time.perf_counter()
    for i in range(N):
        await store.add_message("alice", sid, {"role": "user", "content": f"message {i}"})
        await store.get_session("alice", sid)
        if i % 10 == 0:
            await store.get_messages("alice", sid, limit=20, offset=max(0, i - 20))
    store.check_integrity()
    return time.perf_counter() - start
print(asyncio.run(go()))
"""


def _run(pythonpath: str, n: int) -> float:
    env = {"PYTHONPATH": pythonpath, "PATH": "/usr/bin:/bin", "OPENBLAS_NUM_THREADS": "1"}
    out = subprocess.run(
        [sys.executable, "-c", WORKLOAD.replace("N)", f"{n})")],
        env=env,
        capture_output=True,
        text=True,
        check=True,
        cwd=pythonpath,
    )
    return float(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--baseline-rev", default=DEFAULT_BASELINE)
    parser.add_argument("--pairs", type=int, default=7)
    parser.add_argument("--ops", type=int, default=2000)
    args = parser.parse_args()
    base = Path(tempfile.mkdtemp(prefix="bench-base-")) / "tree"
    subprocess.run(
        ["git", "-C", str(REPO), "worktree", "add", "--detach", "-q", str(base), args.baseline_rev],
        check=True,
    )
    try:
        _run(str(REPO), 200), _run(str(base), 200)  # warm the file cache and bytecode
        pairs = [(_run(str(REPO), args.ops), _run(str(base), args.ops)) for _ in range(args.pairs)]
    finally:
        subprocess.run(
            ["git", "-C", str(REPO), "worktree", "remove", "--force", str(base)], check=False
        )
    ratios = [a / b for a, b in pairs]
    print(
        f"workload: {args.ops} x (add_message + get_session) + every 10th a 20-message page, "
        "then check_integrity; durability none"
    )
    print(f"this tree   median {statistics.median(a for a, _ in pairs) * 1000:8.1f} ms")
    print(f"{args.baseline_rev:<11} median {statistics.median(b for _, b in pairs) * 1000:8.1f} ms")
    print(
        f"ratio (this/baseline, per pair) median {statistics.median(ratios):.3f} "
        f"min {min(ratios):.3f} max {max(ratios):.3f} over {len(pairs)} pairs"
    )


if __name__ == "__main__":
    main()
