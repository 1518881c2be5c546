"""What prism-scenarios costs a pytest run in a venv where it is installed.

    python benchmarks/bench_plugin.py [--runs 20]

A trivial test file in a temp folder outside this repository, run with ``python -m pytest``
three ways, interleaved run by run so drift hits all of them alike:

- baseline: ``-p no:prism_scenarios`` (the entry point blocked: as if not installed);
- installed: nothing asked for (the entry point only registers its ini switch);
- active: ``-p prism_scenarios.pytest_plugin`` (engine, store, Gherkin steps imported).

Each figure is the median CPU time (user + system) of the whole pytest process, read from
``getrusage(RUSAGE_CHILDREN)``; differences are against the baseline of the same run.
"""

from __future__ import annotations

import argparse
import resource
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

MODES = {"baseline": ["-p", "no:prism_scenarios"], "installed": [],
         "active": ["-p", "prism_scenarios.pytest_plugin"]}


def child_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def run_once(folder: Path, extra: list[str]) -> float:
    before = child_cpu()
    subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *extra,
                    "test_trivial.py"], cwd=folder, check=True, capture_output=True)
    return child_cpu() - before


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=20)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        (folder / "test_trivial.py").write_text("def test_one():\n    assert 1 + 1 == 2\n")
        times: dict[str, list[float]] = {mode: [] for mode in MODES}
        for extra in MODES.values():  # warm the OS cache once per mode
            run_once(folder, extra)
        for _ in range(args.runs):
            for mode, extra in MODES.items():
                times[mode].append(run_once(folder, extra))
    base = statistics.median(times["baseline"])
    print(f"pytest on a trivial test file, median CPU of {args.runs} runs per mode")
    for mode in MODES:
        median = statistics.median(times[mode])
        paired = statistics.median(t - b for t, b in zip(times[mode], times["baseline"]))
        print(f"  {mode:9} {median * 1000:7.1f} ms   vs baseline: {paired * 1000:+6.1f} ms "
              f"(median of paired differences), ratio {median / base:.3f}")


if __name__ == "__main__":
    main()
