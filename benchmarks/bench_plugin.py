"""What prism-scenarios costs a pytest run in a venv where it is installed.

    python benchmarks/bench_plugin.py [--runs 20] [--venv DIR]

Measured in a venv like a user's: a wheel of this checkout installed with its dependencies
and nothing else (the dev venv's hypothesis plugin alone costs ~0.6 s per pytest start and
drowns the difference). ``--venv DIR`` reuses (or creates) that venv; by default it is built
in a temp folder. A trivial test file in a temp folder outside this repository is run with
``python -m pytest`` three ways, interleaved run by run so drift hits all of them alike:

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

ROOT = Path(__file__).resolve().parents[1]
MODES = {
    "baseline": ["-p", "no:prism_scenarios"],
    "installed": [],
    "active": ["-p", "prism_scenarios.pytest_plugin"],
}


def child_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def user_venv(folder: Path) -> Path:
    """A venv holding a wheel of this checkout and its dependencies only."""
    python = folder / "bin" / "python"
    if not python.exists():
        subprocess.run([sys.executable, "-m", "venv", str(folder)], check=True)
        wheels = folder / "wheels"
        subprocess.run(
            [sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w", str(wheels), str(ROOT)],
            check=True,
        )
        subprocess.run(
            [str(python), "-m", "pip", "install", "-q", *map(str, wheels.glob("*.whl"))], check=True
        )
    return python


def run_once(python: Path, folder: Path, extra: list[str]) -> float:
    before = child_cpu()
    subprocess.run(
        [str(python), "-m", "pytest", "-q", "-p", "no:cacheprovider", *extra, "test_trivial.py"],
        cwd=folder,
        check=True,
        capture_output=True,
    )
    return child_cpu() - before


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--venv", type=Path, help="venv to reuse or create (default: temp)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        python = user_venv(args.venv or folder / "venv")
        (folder / "test_trivial.py").write_text("def test_one():\n    assert 1 + 1 == 2\n")
        times: dict[str, list[float]] = {mode: [] for mode in MODES}
        for extra in MODES.values():  # warm the OS cache once per mode
            run_once(python, folder, extra)
        for _ in range(args.runs):
            for mode, extra in MODES.items():
                times[mode].append(run_once(python, folder, extra))
    base = statistics.median(times["baseline"])
    print(
        f"pytest on a trivial test file in a user-like venv, median CPU of {args.runs} runs "
        "per mode"
    )
    for mode in MODES:
        median = statistics.median(times[mode])
        paired = statistics.median(t - b for t, b in zip(times[mode], times["baseline"]))
        print(
            f"  {mode:9} {median * 1000:7.1f} ms   vs baseline: {paired * 1000:+6.1f} ms "
            f"(median of paired differences), ratio {median / base:.3f}"
        )


if __name__ == "__main__":
    main()
