"""Run `mutmut` with its whole-selection test pass spread over pytest-xdist workers.

Why: mutmut 3.8.1 runs its stats pass (which test reaches which mutated function) in one
process, then runs the same tests again in one process as its "clean" check. On 2 cores that
is two single-core passes over ~3,000 tests before the first mutant runs. Here the stats pass
runs as `pytest -n <jobs>`; each worker records mutmut's own trampoline hits per test
(tools/mutation_hits.py) and the parent merges them into mutmut's state, as mutmut's
collector would have. The clean check is that same pass when it ran in this invocation (the
original code of every function ran and every test passed); when the stats came from an
earlier run, the clean check runs under xdist too.

With MUTATION_PHASES_DIR set, each mutant's tests run in two phases in its forked child: the
scenario suites' tests (scenarios/, features/) first, then the rest, each fastest first and
stopping at the first failure. The child writes what each phase ran and how it ended to
$MUTATION_PHASES_DIR/<mutant>.json, so one run scores the scenario suites alone and the whole
selection. MUTATION_TEST_BUDGET (seconds, 0: none) keeps, per phase, the fastest tests whose
measured times add up to at most that much (always at least one); the record counts the tests
it left out. Everything else is mutmut's own code.

Usage (in a mutmut work directory): python tools/mutmut_xdist.py --jobs 2 [mutant names...]
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path

TOOLS = Path(__file__).resolve().parent
SCENARIO_ROOTS = ("scenarios/", "features/")
_STATS_PASSED: set[str] | None = None  # tests of a stats pass that passed in this invocation


def _pytest_command(jobs: int, tests: Iterable[str]) -> list[str]:
    from mutmut.configuration import config

    selection = list(tests) or list(config().pytest_add_cli_args_test_selection)
    return [
        sys.executable,
        "-m",
        "pytest",
        "--rootdir=.",
        "--tb=native",
        "-q",
        "-x",
        "-p",
        "no:randomly",
        "-n",
        str(jobs),
        *selection,
        *config().pytest_add_cli_args,
    ]


def _env(mutant: str, **extra: str) -> dict[str, str]:
    path = os.pathsep.join(filter(None, [str(TOOLS), os.environ.get("PYTHONPATH", "")]))
    return {**os.environ, "MUTANT_UNDER_TEST": mutant, "PYTHONPATH": path, **extra}


def merge_hits(directory: Path) -> tuple[dict[str, set[str]], dict[str, float]]:
    """Per-worker hit files -> (tests by mangled function, call duration by test)."""
    tests_by_function: dict[str, set[str]] = {}
    duration_by_test: dict[str, float] = {}
    for path in sorted(directory.glob("*.json")):
        data = json.loads(path.read_text())
        for test, functions in data["hits"].items():
            for function in functions:
                tests_by_function.setdefault(function, set()).add(test)
        duration_by_test.update(data["durations"])
    return tests_by_function, duration_by_test


def run_stats(jobs: int, tests: Iterable[str]) -> int:
    """mutmut's stats pass under xdist; fills mutmut's state like its own collector."""
    global _STATS_PASSED
    from mutmut.state import state
    from mutmut.utils.file_utils import change_cwd

    tests = list(tests)
    with tempfile.TemporaryDirectory(prefix="mutmut-hits-") as hits, change_cwd("mutants"):
        command = [*_pytest_command(jobs, tests), "-p", "mutation_hits"]
        code = subprocess.run(command, env=_env("stats", MUTATION_HITS_DIR=hits)).returncode
        tests_by_function, durations = merge_hits(Path(hits))
    for function, names in tests_by_function.items():
        state().tests_by_mangled_function_name[function] |= names
    state().duration_by_test.update(durations)
    _STATS_PASSED = set(durations) if code == 0 and not tests else None
    return code


def run_clean(jobs: int, tests: Iterable[str]) -> int:
    """The clean check: the stats pass of this invocation, else the tests under xdist."""
    from mutmut.utils.file_utils import change_cwd

    tests = list(tests)
    if _STATS_PASSED is not None and set(tests) <= _STATS_PASSED:
        print("    clean check: the stats pass of this run (same code, every test passed)")
        return 0
    with change_cwd("mutants"):
        return subprocess.run(_pytest_command(jobs, tests), env=_env("")).returncode


def plan_phases(
    tests: Iterable[str], durations: Mapping[str, float], budget: float
) -> list[tuple[str, list[str], int]]:
    """(phase, tests to run fastest first, tests left out by the budget), scenarios first."""
    ordered = sorted(tests, key=lambda test: (durations.get(test, 0.0), test))
    groups = {
        "scenarios": [t for t in ordered if t.startswith(SCENARIO_ROOTS)],
        "rest": [t for t in ordered if not t.startswith(SCENARIO_ROOTS)],
    }
    plan = []
    for phase, group in groups.items():
        if not group:
            continue
        chosen, spent = [], 0.0
        for test in group:
            spent += durations.get(test, 0.0)
            if budget and chosen and spent > budget:
                break
            chosen.append(test)
        plan.append((phase, chosen, len(group) - len(chosen)))
    return plan


def run_in_phases(
    run: Callable[[list[str]], int],
    record_path: Path,
    tests: Iterable[str],
    durations: Mapping[str, float],
    budget: float,
) -> int:
    """Run each phase until one fails; the record is rewritten before and after each phase,
    so a child stopped by its time limit still says which phase it was in."""
    plan = plan_phases(tests, durations, budget)
    record = {phase: {"tests": len(chosen), "cut": cut} for phase, chosen, cut in plan}

    def write() -> None:
        partial = record_path.with_suffix(".part")
        partial.write_text(json.dumps(record))
        partial.replace(record_path)

    write()
    code = 0
    for phase, chosen, _cut in plan:
        code = run(chosen)
        record[phase]["code"] = code
        write()
        if code not in (0, 5):  # 5: nothing collected, which kills nothing
            return code
    return 0 if code == 5 else code


def install(jobs: int) -> None:
    """Point mutmut's two whole-selection passes at the xdist versions above."""
    if str(TOOLS) not in sys.path:
        sys.path.insert(0, str(TOOLS))
    from mutation_trampolines import install as install_trampolines

    install_trampolines()  # each mutant's run is a fork of this process
    from mutmut.runners.harness import PytestRunner
    from mutmut.workers.isolation import ForkRunner, ForkServerRunner

    def stats(self: PytestRunner, *, tests: Iterable[str]) -> int:
        return run_stats(jobs, tests)

    def clean(self: object, tests: Iterable[str]) -> int:
        return run_clean(jobs, tests)

    PytestRunner.run_stats = stats  # type: ignore[method-assign]
    phases_dir = os.environ.get("MUTATION_PHASES_DIR")
    if phases_dir:
        from mutmut.state import state

        budget = float(os.environ.get("MUTATION_TEST_BUDGET") or 0)
        run_tests = PytestRunner.run_tests

        def phased(self: PytestRunner, *, mutant_name: str | None, tests: Iterable[str]) -> int:
            def run(chosen: list[str]) -> int:
                return run_tests(self, mutant_name=mutant_name, tests=chosen)

            if mutant_name is None:
                return run(list(tests))
            record = Path(phases_dir) / f"{mutant_name}.json"
            return run_in_phases(run, record, tests, state().duration_by_test, budget)

        PytestRunner.run_tests = phased  # type: ignore[method-assign]
    ForkRunner.run_clean_tests = clean  # type: ignore[method-assign,assignment]
    ForkServerRunner.run_clean_tests = clean  # type: ignore[method-assign,assignment]


def main(argv: list[str]) -> None:
    jobs = 2
    if argv[:1] == ["--jobs"]:
        jobs, argv = int(argv[1]), argv[2:]
    install(jobs)
    from mutmut.__main__ import cli

    cli(["run", "--max-children", str(jobs), *argv])


if __name__ == "__main__":
    main(sys.argv[1:])
