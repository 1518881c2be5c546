"""Past one machine: a Dask scheduler and two Dask workers, each its own process on 127.0.0.1
(as they would be on three machines), run the segments of one load file; the command merges
their histograms exactly."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

pytest.importorskip(
    "distributed",
    reason="the distributed extra is not installed (pip install 'prism-scenarios[distributed]')",
)

LOAD_FILE = """\
name: spread
mix:
  - {scenario: fast, weight: 3}
  - {scenario: write, weight: 1}
data: {volume: small}
model: {type: open, rate: 40, duration: 2s, max_in_flight: 16}
thresholds:
  iterations: ["rate>=1", "p(99)<2000"]
"""
SCENARIOS = """\
scenarios:
  - name: fast
    steps:
      - wall.sleep: {ms: 1}
  - name: write
    steps:
      - user.create: {user_id: ann, username: Ann}
        expect: [{path: username, equals: Ann}]
"""


def _dask(*args: str) -> list[str]:
    return [
        sys.executable,
        "-c",
        "import sys; from dask.__main__ import main; sys.exit(main())",
        *args,
    ]


def _wait_for(path: Path, seconds: float, procs: list[subprocess.Popen]) -> None:
    deadline = time.monotonic() + seconds
    while not path.exists() or not path.read_text().strip():
        dead = [p.args for p in procs if p.poll() is not None]
        if dead:
            raise RuntimeError(f"dask process exited early: {dead}")
        if time.monotonic() > deadline:
            raise TimeoutError(f"{path} did not appear in {seconds} s")
        time.sleep(0.1)


@pytest.fixture
def cluster(tmp_path: Path) -> Iterator[str]:
    """``dask scheduler`` + 2 x ``dask worker`` (one thread each), separate processes."""
    scheduler_file = tmp_path / "scheduler.json"
    logs = tmp_path / "dask-logs"
    logs.mkdir()
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    procs: list[subprocess.Popen] = []

    def start(name: str, *args: str) -> None:
        log = (logs / f"{name}.log").open("w")
        procs.append(
            subprocess.Popen(
                _dask(*args), stdout=log, stderr=subprocess.STDOUT, env=env, cwd=tmp_path
            )
        )

    try:
        start(
            "scheduler",
            "scheduler",
            "--host",
            "127.0.0.1",
            "--port",
            "0",
            "--no-dashboard",
            "--scheduler-file",
            str(scheduler_file),
        )
        _wait_for(scheduler_file, 60, procs)
        for i in range(2):
            start(
                f"worker-{i}",
                "worker",
                "--scheduler-file",
                str(scheduler_file),
                "--nthreads",
                "1",
                "--nworkers",
                "1",
                "--no-dashboard",
                "--host",
                "127.0.0.1",
                "--name",
                f"w{i}",
            )
        address = json.loads(scheduler_file.read_text())["address"]
        from distributed import Client

        with Client(address, timeout="30s") as client:
            client.wait_for_workers(2, timeout=60)
        yield address
    finally:
        for proc in procs:
            proc.terminate()
        for proc in procs:
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()


@pytest.mark.slow
def test_two_dask_workers_each_run_a_segment_and_the_histograms_merge_exactly(
    tmp_path: Path, cluster: str
) -> None:
    project = tmp_path / "project"
    (project / "scenarios" / "load").mkdir(parents=True)
    (project / "pyproject.toml").write_text("[project]\nname = 'x'\n")
    (project / "scenarios" / "s.yaml").write_text(SCENARIOS)
    (project / "scenarios" / "load" / "spread.yaml").write_text(LOAD_FILE)
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "prism_scenarios.cli",
            "load",
            "scenarios/load/spread.yaml",
            "--dask",
            cluster,
            "--no-progress",
            "--no-html",
            "--report-dir",
            "reports",
        ],
        cwd=project,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    report = json.loads((project / "reports" / "load" / "spread.load_report.json").read_text())
    assert report["executor"].startswith("dask x2"), report["executor"]
    segments = report["segments"]
    assert sorted(s["index"] for s in segments) == [0, 1]
    # k6 execution segments: 80 arrivals split 40/40, none lost or counted twice in the merge
    assert [s["started"] for s in sorted(segments, key=lambda s: s["index"])] == [40, 40]
    assert len({s["pid"] for s in segments}) == 2, segments  # two worker processes ran them
    iterations = report["metrics"]["iterations"]
    assert iterations["count"] == 80 == report["started"]
    assert iterations["passed"] == 80
    by_scenario = (
        report["metrics"]["scenario:fast"]["count"] + report["metrics"]["scenario:write"]["count"]
    )
    assert by_scenario == 80
    assert report["passed"] is True
