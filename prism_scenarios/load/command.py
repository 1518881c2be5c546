"""``prism-scenarios load``: run load files, write their reports, exit by the thresholds."""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

from prism_scenarios.load import THRESHOLD_EXIT, LoadFileError, load_plan, run_plan
from prism_scenarios.load import report as load_report
from prism_scenarios.load import thresholds as thr
from prism_scenarios.load.results import LoadResult, summary

# Exit codes besides 0 and THRESHOLD_EXIT (docs/load.md).
USAGE_EXIT = 2  # a load file is invalid or missing: nothing ran
RUN_EXIT = 3  # a worker died or the cluster failed: results are incomplete


def run(args: argparse.Namespace) -> int:
    from prism_scenarios import publish
    from prism_scenarios.load.executors import LoadRunError

    plans = []
    problems: list[str] = []
    for file in args.files:
        try:
            plan = load_plan(file, profile=args.profile, quick=args.quick, workers=args.workers)
            policy = getattr(args, "performance_config", None)
            if policy is not None:  # `run`'s performance family: the run configuration's limits
                plan.thresholds += thr.from_performance_config(policy)
            plans.append(plan)
        except LoadFileError as exc:
            problems += exc.problems
    if problems:
        print("invalid load file, nothing ran:\n" + "\n".join(problems), file=sys.stderr)
        return USAGE_EXIT
    folder = Path(args.report_dir) / "load"
    results: list[LoadResult] = []
    with publish.Staging(folder) as staging:
        for plan in plans:
            started = time.time()
            try:
                result = run_plan(
                    plan, workers=args.workers, dask=args.dask, progress=not args.no_progress
                )
            except LoadRunError as exc:
                print(f"load run {plan.name!r} failed: {exc}", file=sys.stderr)
                return RUN_EXIT
            results.append(result)
            load_report.write_allure(result, staging.results, started)
            load_report.write_json(result, staging.root)
            _print_result(result)
        from prism_scenarios.allure_metadata import add_report_metadata, environment

        add_report_metadata(staging.results, environment())
        (staging.root / "load_summary.json").write_text(
            json.dumps({"generated": time.time(), "tests": [summary(r) for r in results]}, indent=2)
        )
        published = staging.publish()
        for moved in staging.root.glob("*.json"):
            moved.replace(folder / moved.name)
    from prism_scenarios.load.integration import update_integration_report

    updated = update_integration_report(Path(args.report_dir))
    if not args.no_html:
        from prism_scenarios import report as report_mod

        html = report_mod.render_html(published, folder)
        if html:
            print(f"  load report: {html}")
    print(f"  load results: {published}; summary: {folder / 'load_summary.json'}")
    if updated:
        print(f"  performance fields of {updated} now come from this load run")
    failed = [r for r in results if not r.passed]
    if failed:
        print(
            f"threshold breached in {len(failed)} of {len(results)} load test(s) "
            f"(exit {THRESHOLD_EXIT})"
        )
        return THRESHOLD_EXIT
    return 0


def _print_result(result: LoadResult) -> None:
    it = result.metrics.metric("iterations").summary()
    target = f" (target {result.target_rate:.1f})" if result.target_rate else ""
    print(
        f"load {result.plan.name} [{result.plan.profile or 'default'}, {result.executor}]: "
        f"{result.started} iterations in {result.elapsed:.1f}s = "
        f"{result.achieved_rate:.1f}/s{target}; dropped {result.dropped}, "
        f"late {result.late}, failed {it['failed']}"
    )
    print(
        f"  latency from intended start: p50 {it['med_ms']} ms, p95 {it['p95_ms']} ms, "
        f"p99 {it['p99_ms']} ms, max {it['max_ms']} ms"
    )
    for verdict in result.verdicts:
        print(f"  {'ok  ' if verdict.passed else 'FAIL'} {verdict.describe()}")
    for sample in result.samples[:3]:
        print(f"  failed iteration: {sample['scenario']}: {sample['message'][:400]}")
    if result.aborted:
        print(f"  aborted: {result.aborted}")
    if result.template_changed_by:
        print(f"  FAIL the shared test data was changed by {result.template_changed_by}")
