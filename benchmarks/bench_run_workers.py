"""Serial vs xdist for `prism-scenarios run`: the evidence for the default worker count.

Each round runs the same command with ``-n 1`` and with ``-n 2`` (alternating, the order
flipped every round so neither always runs on a warmer cache), timing the whole process from
outside (start-up, collection, the load family, the reports). Prints each round's wall seconds
and the paired ratio, then the medians. Usage::

    python benchmarks/bench_run_workers.py --rounds 3                 # every family
    python benchmarks/bench_run_workers.py --rounds 5 -- --suite security  # a small suite
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _once(workers: str, extra: list[str]) -> float:
    reports = Path(tempfile.mkdtemp(prefix="bench-run-"))
    try:
        started = time.perf_counter()
        done = subprocess.run(
            [
                sys.executable,
                "-m",
                "prism_scenarios.cli",
                "run",
                "--no-html",
                "--report-dir",
                str(reports),
                "-n",
                workers,
                *extra,
            ],
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=False,
        )
        elapsed = time.perf_counter() - started
    finally:
        shutil.rmtree(reports, ignore_errors=True)
    if done.returncode != 0:
        raise SystemExit(f"-n {workers} exited {done.returncode}:\n{done.stdout[-2000:]}")
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("extra", nargs="*", help="arguments for `run` after --")
    args = parser.parse_args()
    serial, parallel, ratios = [], [], []
    for round_ in range(args.rounds):
        order = ["1", "2"] if round_ % 2 == 0 else ["2", "1"]
        times = {workers: _once(workers, args.extra) for workers in order}
        serial.append(times["1"])
        parallel.append(times["2"])
        ratios.append(times["2"] / times["1"])
        print(
            f"round {round_ + 1}: -n 1 {times['1']:.1f} s, -n 2 {times['2']:.1f} s, "
            f"-n 2 / -n 1 = {ratios[-1]:.2f}",
            flush=True,
        )
    print(
        f"median: -n 1 {statistics.median(serial):.1f} s, -n 2 "
        f"{statistics.median(parallel):.1f} s, paired ratio {statistics.median(ratios):.2f}"
    )


if __name__ == "__main__":
    main()
