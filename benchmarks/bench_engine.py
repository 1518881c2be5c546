"""Engine overhead per step: a 1,000-step scenario of the no-op action.

    python benchmarks/bench_engine.py [--steps 1000]

Measured three ways in one run: the engine alone (no reporter), the engine with the Allure
bridge recording into a live allure-pytest listener (a real pytest run with --alluredir), and
that pytest run's fixed cost (a 1-step scenario) subtracted out. Invariants stay on.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from prism_scenarios.engine import ScenarioRun


def engine_only(steps: int) -> float:
    with ScenarioRun() as run:
        run.step("user.create", {"user_id": "alice"}, where="bench:1")  # a real store to check
        start = time.perf_counter()
        for i in range(steps):
            run.step("noop", {}, where=f"bench:{i}")
        return (time.perf_counter() - start) / steps


def _scenario_file(folder: Path, steps: int) -> Path:
    body = [
        "scenarios:",
        f"  - name: noop x{steps}",
        "    steps:",
        "      - user.create: {user_id: alice}",
    ]
    body += ["      - noop: {}"] * steps
    path = folder / "scenarios" / f"noop_{steps}.yaml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(body) + "\n")
    return path


def with_allure(steps: int) -> tuple[float, int]:
    """Per-step time inside a pytest run that records Allure results (1,000 vs 1 step)."""
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        durations = {}
        for n in (1, steps):
            _scenario_file(folder, n)
        results = folder / "allure-results"
        subprocess.run(
            [
                sys.executable,
                "-m",
                "pytest",
                "-q",
                "-p",
                "no:cacheprovider",
                "-p",
                "prism_scenarios.pytest_plugin",
                f"--alluredir={results}",
                "--junitxml",
                str(folder / "junit.xml"),
                "scenarios",
            ],
            cwd=folder,
            check=True,
            capture_output=True,
        )
        for result in results.glob("*-result.json"):
            data = json.loads(result.read_text())
            durations[data["name"]] = (data["stop"] - data["start"]) / 1000
        attachments = len(list(results.glob("*-attachment.json")))
        big, small = durations[f"noop x{steps}"], durations["noop x1"]
        return (big - small) / (steps - 1), attachments


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--steps", type=int, default=1000)
    args = parser.parse_args()
    bare = min(engine_only(args.steps) for _ in range(3))
    allure_step, attachments = min(with_allure(args.steps) for _ in range(2))
    print(f"engine only (invariants on, no reporter): {bare * 1e6:7.1f} us/step")
    print(
        f"engine + Allure steps (pytest --alluredir): {allure_step * 1e6:7.1f} us/step "
        f"({attachments} attachments written)"
    )
    print("target: < 200 us/step including Allure recording")


if __name__ == "__main__":
    main()
