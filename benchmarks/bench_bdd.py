"""Per-step cost of our Gherkin steps and YAML steps vs plain pytest-bdd, same run.

    python benchmarks/bench_bdd.py [--steps 500] [--rounds 5] [--alluredir]

Generated in a temp dir, all with the same step count:

- ``plain``: a pytest-bdd feature, ``Given a user "alice"`` then N x ``When I call "noop"``,
  bound to the project's own step functions (same regular expressions as ours) that do a
  trivial thing (append the parsed name to a list). prism-scenarios is not loaded.
- ``gherkin``: the same feature text bound to our vocabulary (``prism_scenarios.bdd``, loaded
  through the full plugin): ``a user "alice"`` runs ``user.create``, ``I call "noop"`` runs the
  ``noop`` action through the engine (interpolation, validation, invariants, timing, the
  Allure hooks).
- ``gherkin-no-memo``: the same, with pytest-bdd's step lookup not memoised
  (``PRISM_BDD_LOOKUP_MEMO=0``): what a step cost before issue 11, less the Allure shortcut.
- ``yaml``: a YAML scenario, ``user.create`` then N x ``noop``.

Run time per step = (time of the N-step test − time of the 1-step test) / (N − 1), both tests
in the same pytest subprocess (``-p no:cacheprovider``), times from its junit XML (setup +
call + teardown; the fixed costs cancel). The three variants alternate, in a rotating order,
for ``--rounds`` rounds; figures are medians. ``--alluredir`` runs every variant with Allure
results on (by default neither side records Allure: it is off without ``--alluredir``).

Loading per step, in this process: ``prism_scenarios.loader.load_file`` of the N-step vs the
1-step YAML file, and pytest-bdd's ``FeatureParser(...).parse()`` of the N-step vs the 1-step
feature file (what collecting a feature costs), medians of ``--rounds`` x 20 runs.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
from collections.abc import Callable
from pathlib import Path

VARIANTS = ("plain", "gherkin", "gherkin-no-memo", "yaml")
GOAL = 1.5

PLAIN_STEPS = textwrap.dedent('''\
    """Plain pytest-bdd: the same sentences, bound to trivial step functions."""
    from pytest_bdd import given, parsers, scenarios, when

    scenarios("features")
    CALLS = []


    @given(parsers.re(r'(?:a )?user "(?P<user>[^"]+)"(?: exists)?$'))
    def user_exists(user):
        CALLS.append(user)


    @when(parsers.re(r'I call "(?P<name>[\\w.]+)"$'))
    def call(name):
        CALLS.append(name)
    ''')
OURS_STEPS = 'from pytest_bdd import scenarios\n\nscenarios("features")\n'
# Loaded with -p in every variant: each test's setup + call + teardown on perf_counter (junit
# XML rounds to the millisecond).
TIMER = textwrap.dedent("""\
    import json, os, time
    import pytest

    TIMES = {}


    @pytest.hookimpl(hookwrapper=True)
    def pytest_runtest_protocol(item, nextitem):
        started = time.perf_counter()
        yield
        TIMES[item.name] = time.perf_counter() - started


    def pytest_sessionfinish(session):
        with open(os.environ["BENCH_BDD_TIMES"], "w") as out:
            json.dump(TIMES, out)
    """)


def feature_text(steps: int) -> str:
    lines = ["Feature: bench", "", f"  Scenario: noop x{steps}", '    Given a user "alice"']
    lines += ['    When I call "noop"'] + ['    And I call "noop"'] * (steps - 1)
    return "\n".join(lines) + "\n"


def yaml_text(steps: int) -> str:
    lines = [
        "scenarios:",
        f"  - name: noop x{steps}",
        "    steps:",
        "      - user.create: {user_id: alice}",
    ]
    return "\n".join(lines + ["      - noop: {}"] * steps) + "\n"


def write_projects(root: Path, steps: int) -> dict[str, Path]:
    """One folder per variant, each a pytest rootdir of its own (an empty pytest.ini keeps
    this repository's ini, and so prism-scenarios, out of the plain one)."""
    folders = {}
    for variant in VARIANTS:
        folder = root / variant
        (folder / "features").mkdir(parents=True)
        (folder / "pytest.ini").write_text("[pytest]\n")
        folders[variant] = folder
    (root / "bench_bdd_timer.py").write_text(TIMER)
    for n in (1, steps):
        for variant in ("plain", "gherkin", "gherkin-no-memo"):
            (folders[variant] / "features" / f"noop_{n}.feature").write_text(feature_text(n))
        (folders["yaml"] / "features" / f"noop_{n}.yaml").write_text(yaml_text(n))
    # A warm-up module runs first: lazy imports are not in the 1-step test.
    for variant in ("plain", "gherkin", "gherkin-no-memo"):
        (folders[variant] / "warm").mkdir()
        (folders[variant] / "warm" / "warm_up.feature").write_text(
            feature_text(1).replace("noop x1", "warm up")
        )
        (folders[variant] / "test_a_warm_up.py").write_text(
            (PLAIN_STEPS if variant == "plain" else OURS_STEPS).replace('"features"', '"warm"')
        )
    (folders["yaml"] / "features" / "a_warm_up.yaml").write_text(
        yaml_text(1).replace("noop x1", "warm up")
    )
    (folders["plain"] / "test_plain.py").write_text(PLAIN_STEPS)
    (folders["gherkin"] / "test_ours.py").write_text(OURS_STEPS)
    (folders["gherkin-no-memo"] / "test_ours.py").write_text(OURS_STEPS)
    return folders


def run_variant(variant: str, folder: Path, steps: int, alluredir: bool) -> float:
    """Seconds per step for one pytest run of ``variant`` (N-step test − 1-step test)."""
    record = folder / "times.json"
    command = [
        sys.executable,
        "-m",
        "pytest",
        "-q",
        "-p",
        "no:cacheprovider",
        "-p",
        "bench_bdd_timer",
    ]
    if variant != "plain":
        command += ["-p", "prism_scenarios.pytest_plugin"]
    if alluredir:
        command += [f"--alluredir={folder / 'allure-results'}", "--clean-alluredir"]
    env = {
        **os.environ,
        "BENCH_BDD_TIMES": str(record),
        "PRISM_BDD_LOOKUP_MEMO": "0" if variant == "gherkin-no-memo" else "1",
        "PYTHONPATH": os.pathsep.join([str(folder.parent), *sys.path[1:]]),
    }
    done = subprocess.run(command, cwd=folder, capture_output=True, text=True, env=env)
    if done.returncode != 0:
        raise SystemExit(f"{variant}: pytest failed\n{done.stdout[-3000:]}{done.stderr[-2000:]}")
    times = json.loads(record.read_text())
    big = next(t for name, t in times.items() if f"x{steps}" in name.replace(" ", "_"))
    small = next(t for name, t in times.items() if name.replace(" ", "_").endswith("x1"))
    return (big - small) / (steps - 1)


def loading(folders: dict[str, Path], steps: int, rounds: int) -> dict[str, float]:
    """Seconds per step: load_file (YAML) and FeatureParser.parse (pytest-bdd)."""
    from pytest_bdd.parser import FeatureParser

    from prism_scenarios.actions.registry import load_actions
    from prism_scenarios.loader import load_file

    registry = load_actions()
    features = folders["plain"] / "features"
    cases: dict[str, Callable[[int], object]] = {
        "yaml": lambda n: load_file(folders["yaml"] / "features" / f"noop_{n}.yaml", registry),
        "pytest-bdd": lambda n: FeatureParser(str(features), f"noop_{n}.feature").parse(),
    }
    for case in cases.values():  # warm: imports, caches
        case(1)
        case(steps)
    per_step: dict[str, list[float]] = {name: [] for name in cases}
    for _ in range(rounds * 20):
        for name, case in cases.items():
            took = {}
            for n in (1, steps):
                started = time.perf_counter()
                case(n)
                took[n] = time.perf_counter() - started
            per_step[name].append((took[steps] - took[1]) / (steps - 1))
    return {name: statistics.median(values) for name, values in per_step.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--steps", type=int, default=500)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument(
        "--alluredir", action="store_true", help="every variant records Allure results"
    )
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench_bdd_") as tmp:
        folders = write_projects(Path(tmp), args.steps)
        per_step: dict[str, list[float]] = {v: [] for v in VARIANTS}
        for round_no in range(args.rounds):
            shift = round_no % len(VARIANTS)
            for variant in VARIANTS[shift:] + VARIANTS[:shift]:
                per_step[variant].append(
                    run_variant(variant, folders[variant], args.steps, args.alluredir)
                )
        load = loading(folders, args.steps, args.rounds)
    base = statistics.median(per_step["plain"])
    print(
        f"{args.steps} steps, {args.rounds} rounds, medians; Allure results "
        f"{'on' if args.alluredir else 'off'} for every variant"
    )
    print(f"{'run time per step':<44} {'µs':>8} {'vs plain':>9}   rounds (µs)")
    labels = {
        "plain": "plain pytest-bdd (baseline)",
        "gherkin": "our Gherkin step (engine)",
        "gherkin-no-memo": "our Gherkin step, lookup not memoised",
        "yaml": "our YAML step (engine)",
    }
    for variant in VARIANTS:
        value = statistics.median(per_step[variant])
        rounds = " ".join(f"{v * 1e6:.0f}" for v in per_step[variant])
        print(f"{labels[variant]:<44} {value * 1e6:>8.1f} {value / base:>8.2f}x   {rounds}")
    print(f"{'loading per step':<44} {'µs':>8} {'vs plain':>9}")
    print(
        f"{'pytest-bdd FeatureParser.parse (baseline)':<44} "
        f"{load['pytest-bdd'] * 1e6:>8.1f} {1:>8.2f}x"
    )
    print(
        f"{'prism_scenarios.loader.load_file (YAML)':<44} {load['yaml'] * 1e6:>8.1f} "
        f"{load['yaml'] / load['pytest-bdd']:>8.2f}x"
    )
    print(f"goal: <= {GOAL}x plain pytest-bdd for both")


if __name__ == "__main__":
    main()
