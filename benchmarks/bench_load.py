"""Generator accuracy of the open model: achieved vs target arrival rate, on one core.

    python benchmarks/bench_load.py [--rates 50,100,200,400,800] [--duration 5] [--core 0]
                                    [--json out.json]

The process pins itself to one core (``os.sched_setaffinity``), so the generator's clock
thread, its worker threads and the iterations share it. Each iteration is a real one: a fresh
``ScenarioRun`` (its own world and temp store) running one ``noop`` step, the cheapest
scenario there is.

For each rate: an open model at that constant rate for ``--duration`` seconds
(``max_in_flight`` 256, no test data), then achieved rate = started / elapsed, ``dropped``
(no free slot), ``late`` and p50/p99 of the latency from the intended start. A rate is
*sustained* when the achieved rate is within ±1% of the target and nothing was dropped. After
the listed rates, the step between the highest sustained and the lowest failed rate is
bisected (``--refine`` times) to find the highest rate one core sustains.

Baseline, same run: the same iteration run back to back in one thread with no scheduler
(``serial``, iterations per second of wall time). It is the ceiling for one core; the highest
sustained rate divided by it is the share of the core left to iterations once the generator
has taken its cut.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

SCENARIOS = "scenarios:\n  - name: noop\n    steps:\n      - noop: {}\n"
TOLERANCE = 0.01
MAX_IN_FLIGHT = 256


def _pin(core: int) -> str:
    try:
        os.sched_setaffinity(0, {core})
    except (AttributeError, OSError) as exc:
        return f"not pinned ({exc})"
    return f"pinned to core {core}"


def _project(root: Path) -> None:
    (root / "pyproject.toml").write_text("[project]\nname = 'bench-load'\n")
    (root / "scenarios").mkdir()
    (root / "scenarios" / "noop.yaml").write_text(SCENARIOS)


def serial_rate(root: Path, seconds: float) -> float:
    """Iterations per second, back to back in one thread: the same work per iteration as the
    open model's (``_Segment._run_scenario``), no clock, no pool."""
    from prism_scenarios.load.segment import SoloChannel, _Segment
    from prism_scenarios.load.spec import plan_from_mapping

    plan = plan_from_mapping(
        {
            "name": "serial",
            "mix": [{"scenario": "noop"}],
            "data": {"volume": "none"},
            "model": {"type": "closed", "users": 1, "duration": "1s"},
        },
        source="bench",
        root=root,
    )
    with tempfile.TemporaryDirectory() as tmp:
        segment = _Segment(plan, 0, 1, SoloChannel(), Path(tmp))
        segment.prepare()
        segment.warm_up()
        done, start = 0, time.perf_counter()
        while time.perf_counter() - start < seconds:
            steps, error = segment._run_scenario(0)
            assert error is None and steps, error
            done += 1
        return done / (time.perf_counter() - start)


def open_run(root: Path, rate: float, duration: float) -> dict[str, Any]:
    from prism_scenarios.load import run_plan
    from prism_scenarios.load.spec import plan_from_mapping

    plan = plan_from_mapping(
        {
            "name": f"open-{rate:g}",
            "mix": [{"scenario": "noop"}],
            "data": {"volume": "none"},
            "model": {
                "type": "open",
                "rate": rate,
                "duration": duration,
                "max_in_flight": MAX_IN_FLIGHT,
            },
        },
        source="bench",
        root=root,
    )
    result = run_plan(plan, progress=False)
    iterations = result.metrics.metric("iterations")
    achieved = result.achieved_rate
    errors = iterations.count - iterations.passed
    return {
        "target": rate,
        "achieved": round(achieved, 2),
        "ratio": round(achieved / rate, 4),
        "planned": result.planned,
        "started": result.started,
        "dropped": result.dropped,
        "late": result.late,
        "errors": errors,
        "p50_ms": round(iterations.percentile_ms(50), 3),
        "p99_ms": round(iterations.percentile_ms(99), 3),
        "sustained": abs(achieved / rate - 1) <= TOLERANCE and result.dropped == 0 and errors == 0,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rates", default="50,100,200,400,800")
    parser.add_argument("--duration", type=float, default=5.0)
    parser.add_argument("--core", type=int, default=0)
    parser.add_argument("--refine", type=int, default=3)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args(argv)
    json_out = args.json.resolve() if args.json else None
    pinned = _pin(args.core)
    rows: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory(prefix="bench-load-") as tmp:
        root = Path(tmp)
        _project(root)
        os.chdir(root)
        serial = serial_rate(root, args.duration)
        print(
            f"# {time.strftime('%Y-%m-%d')}, {pinned}, {os.cpu_count()} cores on the "
            f"machine, Python {sys.version.split()[0]}"
        )
        print(f"serial baseline: {serial:,.0f} iterations/s (one thread, back to back)")
        print(
            "| target/s | achieved/s | achieved/target | dropped | late | p50 ms | p99 ms "
            "| sustained |"
        )
        print("|---:|---:|---:|---:|---:|---:|---:|:---:|")

        def measure(rate: float) -> dict[str, Any]:
            row = open_run(root, rate, args.duration)
            rows.append(row)
            print(
                f"| {row['target']:g} | {row['achieved']:,.1f} | {row['ratio']:.4f} | "
                f"{row['dropped']} | {row['late']} | {row['p50_ms']} | {row['p99_ms']} | "
                f"{'yes' if row['sustained'] else 'no'} |",
                flush=True,
            )
            return row

        for rate in (float(r) for r in args.rates.split(",")):
            measure(rate)
        ok = [r["target"] for r in rows if r["sustained"]]
        bad = [r["target"] for r in rows if not r["sustained"] and r["target"] > max(ok or [0])]
        low, high = (max(ok) if ok else 0.0), (min(bad) if bad else None)
        for _ in range(args.refine if high is not None else 0):
            middle = round((low + high) / 2)
            if middle in (low, high):
                break
            if measure(middle)["sustained"]:
                low = middle
            else:
                high = middle
        # Highest sustained rate with no failed rate below it (a pass above a failure would
        # be luck, not capacity).
        first_failure = min((r["target"] for r in rows if not r["sustained"]), default=None)
        best = max(
            (
                r["target"]
                for r in rows
                if r["sustained"] and (first_failure is None or r["target"] < first_failure)
            ),
            default=0.0,
        )
        print(
            f"highest rate sustained within ±{TOLERANCE:.0%} on one core: {best:g}/s "
            f"({best / serial:.0%} of the serial baseline {serial:,.0f}/s)"
            + ("" if high is not None else "; no listed rate failed: list higher rates")
        )
        if json_out:
            json_out.write_text(
                json.dumps(
                    {
                        "pinned": pinned,
                        "serial_per_s": serial,
                        "rows": rows,
                        "highest_sustained": best,
                    },
                    indent=2,
                )
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
