"""``prism-scenarios``: run suites, validate files, list scenarios, actions and sentences,
write the schema, scaffold a project, render reports. ``run`` wraps pytest and returns its
exit code.

Options and paths may come in any order; everything after ``--`` goes to pytest.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

from prism_scenarios import discovery, families
from prism_scenarios.allure_retries import mark_flaky
from prism_scenarios.dto import FAMILIES
from prism_scenarios.run_config import RunConfigError, load_run_config
from prism_scenarios.tags import marker_name

# pytest options that select a subset of the tests (a run using them is partial)
SELECTING = (
    "-k",
    "-m",
    "--lf",
    "--last-failed",
    "--deselect",
    "--sw",
    "--stepwise",
    "--sw-skip",
    "--stepwise-skip",
)
# pytest exit codes of a run whose results are worth publishing (ok, tests failed)
PUBLISHABLE = (0, 1)
# `run`'s own exit code, beyond pytest's 0-5: a failed security test at or above
# --vulnerability-threshold (FFSecurityTestConfigDTO.vulnerability_threshold)
VULNERABILITY_EXIT = 6
# production_readiness_score below the configuration's minimum_readiness_score
READINESS_EXIT = 7
# the run configuration (prism-scenarios.yaml / [tool.prism-scenarios.testing]) is invalid
CONFIG_EXIT = 2


def _default_paths(suite: str | None) -> list[str]:
    roots = ["scenarios", "features"]
    if suite:
        roots = [f"{root}/{suite}" for root in roots]
    return [r for r in roots if Path(r).exists()]


def _partial_because(
    args: argparse.Namespace, paths: list[str], pytest_args: list[str]
) -> list[str]:
    reasons = []
    if args.suite:
        reasons.append(f"--suite {args.suite}")
    if args.tags:
        reasons.append(f"--tags {args.tags!r}")
    if args.keyword:
        reasons.append(f"-k {args.keyword!r}")
    if args.paths and {Path(p).resolve() for p in paths} != {
        Path(p).resolve() for p in _default_paths(None)
    }:
        reasons.append(f"paths {' '.join(paths)}")
    selecting = [a for a in pytest_args if a.split("=", 1)[0] in SELECTING or "::" in a]
    if selecting:
        reasons.append(f"pytest {' '.join(selecting)}")
    from prism_scenarios.use_cases import project_catalog_path

    if project_catalog_path() is None:
        reasons.append(
            "the project has no use-case catalog of its own, so only the use "
            "cases its scenarios declare are judged"
        )
    return reasons


def _run_config(args: argparse.Namespace, consequence: str):
    """The run configuration ``--config`` names (else the project's), or None after printing
    every problem with its file:line."""
    try:
        return load_run_config(path=Path(args.config) if args.config else None)
    except RunConfigError as exc:
        print(
            f"invalid run configuration, {consequence}:\n" + "\n".join(exc.problems),
            file=sys.stderr,
        )
        return None


def _cmd_run(args: argparse.Namespace) -> int:
    import pytest

    from prism_scenarios import publish
    from prism_scenarios.resource_sampler import ResourceSampler
    from prism_scenarios.summary import SummaryPlugin

    # A node id after -- (`run -- scenarios/a.yaml::name`) is a path: no default paths then.
    node_ids = [a for a in args.pytest_args if "::" in a and Path(a.split("::", 1)[0]).exists()]
    args.pytest_args = [a for a in args.pytest_args if a not in node_ids]
    args.paths = [*args.paths, *node_ids]
    loaded = _run_config(args, "nothing ran")
    if loaded is None:
        return CONFIG_EXIT
    config = loaded.config
    if args.profile == "smoke":
        if not config.enable_smoke_testing:
            print(
                f"the smoke profile is switched off (enable_smoke_testing: false in "
                f"{loaded.source})",
                file=sys.stderr,
            )
            return CONFIG_EXIT
        args.tags = f"({args.tags}) and smoke" if args.tags else "smoke"
    if (args.all or args.profile) and (args.paths or args.suite):
        print("--all/--profile run families; give them without paths or --suite", file=sys.stderr)
        return CONFIG_EXIT
    chosen = list(FAMILIES) if args.all or args.profile else config.families()
    if args.paths or args.suite or not families.has_family_layout(Path.cwd()):
        chosen_families = None  # paths chosen by hand, or a project of its own layout
        paths = args.paths or _default_paths(args.suite)
    else:
        chosen_families = chosen
        paths = families.pytest_paths(chosen, Path.cwd())
    if getattr(args, "scan_depth", None):  # read by the loader in this process and in workers
        os.environ["PRISM_SCAN_DEPTH"] = args.scan_depth
    if not paths:
        where = (
            f"scenarios/{args.suite} or features/{args.suite}"
            if args.suite
            else "scenarios/ or features/"
        )
        print(
            f"nothing to run: no {where} folder in {Path.cwd()} (give paths, or "
            "`prism-scenarios init .`)"
        )
        return int(pytest.ExitCode.USAGE_ERROR)
    found, problem = discovery.find_usable(paths)
    if problem:
        print(problem)
        return int(
            pytest.ExitCode.USAGE_ERROR if found.missing else pytest.ExitCode.NO_TESTS_COLLECTED
        )
    report_dir = Path(args.report_dir)
    durations, durations_source = None, None
    if args.shard:
        try:
            durations, durations_source = _shard_durations(args, report_dir)
        except ValueError as exc:
            print(f"--shard-durations: {exc}", file=sys.stderr)
            return CONFIG_EXIT
    with publish.Staging(report_dir) as staging:
        pytest_args = [
            *paths,
            "-p",
            "prism_scenarios.pytest_plugin",
            f"--alluredir={staging.results}",
            f"--junitxml={staging.junit}",
            "-q",
            "-p",
            "no:randomly",
            "--rootdir",
            str(Path.cwd()),
            "-o",
            "testpaths=",
        ]
        record_file = (staging.root / "shard.json").resolve()
        if args.shard:
            pytest_args += _shard_options(args.shard, durations, staging.root, record_file)
        if args.tags:
            pytest_args += ["-m", marker_name(args.tags)]
        if args.keyword:
            pytest_args += ["-k", args.keyword]
        try:
            pytest_args += families.pytest_options(
                config,
                workers=args.workers,
                stop=args.stop,
                reruns=args.reruns,
                cores=os.cpu_count() or 1,
            )
        except families.RetriesUnavailable as exc:
            print(str(exc), file=sys.stderr)
            return CONFIG_EXIT
        pytest_args += args.pytest_args
        summary = SummaryPlugin(staging.root)
        with ResourceSampler() as sampler:
            code = int(pytest.main(pytest_args, plugins=[summary]))
        record = _read_json(record_file) if args.shard else None
        empty_shard = bool(
            record
            and code == int(pytest.ExitCode.NO_TESTS_COLLECTED)
            and record["tests"] == 0
            and record["suite_tests"] > 0
        )
        if record:
            _print_shard(record, durations_source)
        if empty_shard:
            code = 0  # a shard may hold nothing (more shards than tests): it still counts
        elif code not in PUBLISHABLE or not summary.tests:
            summary.print_screen(html=None, results=None, exit_code=code)
            print(
                f"run ended with exit {code} ({_exit_name(code)}): nothing was published; "
                f"what {report_dir} held before is unchanged"
            )
            return code
        reasons = _partial_because(args, paths, args.pytest_args)
        ran = len(summary.tests)
        if summary.collected and ran < summary.collected:
            reasons.append(f"stopped early: {ran} of {summary.collected} tests ran")
        shard_reason = None
        if args.shard:
            shard_reason = f"shard {args.shard}" + (
                f": {record['tests']} of {record['suite_tests']} tests" if record else ""
            )
            _annotate_summary(
                staging.root / "summary.json", record, list(reasons), chosen_families, sampler
            )
            reasons.append(shard_reason)
        else:
            _annotate_summary(
                staging.root / "summary.json", None, list(reasons), chosen_families, sampler
            )
        flaky = mark_flaky(staging.results)
        results = staging.publish()
    load_code = None
    # The load files belong to the whole suite: of a sharded run, shard 1 runs them.
    if (
        chosen_families
        and "performance" in chosen_families
        and not [r for r in reasons if r != shard_reason]
        and (args.shard is None or args.shard.index == 1)
    ):
        load_code = _run_load_family(args, report_dir, config.performance_config)
    return _finish_run(
        args,
        report_dir,
        results,
        summary,
        sampler,
        reasons,
        code,
        config=config,
        source=loaded.source,
        families_run=chosen_families,
        load_code=load_code,
        flaky=flaky,
    )


def _shard_durations(
    args: argparse.Namespace, report_dir: Path
) -> tuple[dict[str, int] | None, str | None]:
    """The durations a sharded run balances by: ``--shard-durations``, else the last whole
    (unsharded or merged) run's summary.json, else none (balanced by node-id hash)."""
    from prism_scenarios import shard

    if args.shard_durations:
        path = Path(args.shard_durations)
        return shard.read_durations(path), str(path)
    path = shard.default_durations(report_dir)
    if path is None:
        return None, None
    try:
        return shard.read_durations(path) or None, str(path)
    except ValueError:
        return None, None


def _shard_options(spec, durations: dict[str, int] | None, root: Path, record: Path) -> list[str]:
    """The shard plugin for this run only (``-p``: xdist workers load it too)."""
    options = [
        "-p",
        "prism_scenarios.shard_plugin",
        f"--prism-shard={spec}",
        f"--prism-shard-record={record}",
    ]
    if durations:  # a snapshot: every worker reads the same durations
        frozen = (root / "shard-durations.json").resolve()
        frozen.write_text(json.dumps(durations, sort_keys=True))
        options.append(f"--prism-shard-durations={frozen}")
    return options


def _print_shard(record: dict, durations_source: str | None) -> None:
    how = (
        f"balanced by the durations in {durations_source}"
        if record["balanced_by"] == "durations"
        else "balanced by node-id hash"
    )
    print(
        f"shard {record['index']}/{record['count']}: {record['tests']} of "
        f"{record['suite_tests']} tests ({how})"
    )


def _read_json(path: Path):
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def _annotate_summary(
    path: Path, record: dict | None, reasons: list[str], families_run: list[str] | None, sampler
) -> None:
    """What ``prism-scenarios report DIR ...`` needs to merge this run with others: the shard
    it was, why it was partial besides, its families and its resource figures."""
    data = _read_json(path)
    if not isinstance(data, dict):
        return
    if record:
        data["shard"] = record
    data["partial_because"] = reasons
    data["families"] = families_run
    data["resources"] = {
        "started": sampler.started,
        "elapsed": sampler.elapsed,
        "average_cpu_percent": sampler.average_cpu_percent,
        "peak_cpu_percent": sampler.peak_cpu_percent,
        "peak_rss_mb": sampler.peak_rss_mb,
    }
    path.write_text(json.dumps(data, indent=2))


def _run_load_family(args: argparse.Namespace, report_dir: Path, performance_config) -> int | None:
    """The performance family: every load file under its profile (quick by default), judged
    by its own thresholds and by the run configuration's performance limits."""
    from prism_scenarios.load import command as load_command

    files = families.load_files(Path.cwd())
    if not files:
        return None
    print(
        f"\nperformance family: {len(files)} load file(s), profile {args.load_profile}", flush=True
    )
    return load_command.run(
        argparse.Namespace(
            files=[str(f) for f in files],
            quick=args.load_profile == "quick",
            profile=None if args.load_profile == "quick" else args.load_profile,
            workers=None,
            dask=None,
            report_dir=str(report_dir),
            no_html=args.no_html,
            no_progress=True,
            performance_config=performance_config,
        )
    )


def _finish_run(
    args: argparse.Namespace,
    report_dir: Path,
    results: Path,
    summary,
    sampler,
    reasons: list[str],
    code: int,
    *,
    config,
    source: str,
    families_run: list[str] | None,
    load_code: int | None,
    flaky: int,
    notes: dict[str, str] | None = None,
) -> int:
    from prism_scenarios import report as report_mod
    from prism_scenarios.cli_tables import run_table
    from prism_scenarios.use_cases import CatalogError, write_reports

    threshold = args.vulnerability_threshold or config.security_config.vulnerability_threshold
    security_findings, integration = None, None
    previous = _previous_report(report_dir)
    try:
        validations, integration = write_reports(
            list(summary.tests.values()),
            report_dir,
            elapsed=sampler.elapsed,
            started=sampler.started,
            partial_because=reasons,
            average_cpu_percent=sampler.average_cpu_percent,
            peak_cpu_percent=sampler.peak_cpu_percent,
            peak_rss_mb=sampler.peak_rss_mb,
            vulnerability_threshold=threshold,
            apply_load=load_code is not None,
            config_source=source,
            families_run=families_run,
        )
        security_findings = integration.security_findings
        if notes:
            integration.notes.update(notes)
            (report_dir / "integration" / "system_integration_report.json").write_text(
                integration.model_dump_json(indent=2)
            )
    except CatalogError as exc:
        print(f"no integration report: the use-case catalog is broken:\n{exc}")
        validations = None
    html = None if args.no_html else report_mod.render_html(results, report_dir)
    if validations is not None:
        print()
        print("\n".join(run_table(validations, partial_because=reasons)))
    summary.print_screen(
        html=html,
        results=results,
        exit_code=code,
        html_note="not rendered: --no-html" if args.no_html else "no HTML report, see above",
    )
    if integration is not None:
        _write_formats(integration, report_dir / "integration", config, previous)
    if flaky:
        print(f"  {flaky} test(s) passed only on a retry: marked flaky in Allure")
    code = _vulnerability_gate(summary, security_findings, threshold, code)
    if code == 0 and load_code:
        return load_code  # THRESHOLD_EXIT (or a load run's own failure)
    if integration is not None:
        gate = _readiness_gate(integration, config.minimum_readiness_score, source)
        return gate if code == 0 else code
    return code


def _previous_report(report_dir: Path):
    """The integration report of the last published run, to say what changed since."""
    from pydantic import ValidationError

    from prism_scenarios.dto import FFSystemIntegrationReportDTO

    path = report_dir / "integration" / "system_integration_report.json"
    try:
        return FFSystemIntegrationReportDTO.model_validate_json(path.read_bytes())
    except (OSError, ValidationError):
        return None


def _write_formats(report, folder: Path, config, previous) -> None:
    """HTML and PDF beside the JSON (report_output_formats), and the changes since the last
    run on the screen."""
    from prism_scenarios.formats import changes, write_formats

    asked = [f for f in config.report_output_formats if f != "json"]  # JSON is always there
    written = write_formats(report, folder, asked, previous=previous) if asked else []
    shown = ", ".join(p.name for p in [folder / "system_integration_report.json", *written])
    print(f"  integration report: {folder}/ ({shown})")
    if previous is not None:
        lines = changes(previous, report)
        print("  since the last run: " + ("; ".join(lines) if lines else "no change"))


def _readiness_gate(report, minimum: float | None, source: str) -> int:
    if report.production_readiness_score is None:
        return 0
    print(
        f"  production readiness: {report.production_readiness_score:.0%} "
        f"({'ready' if report.production_ready else 'not ready'}: "
        + ", ".join(f"{c.criterion} {'ok' if c.met else 'no'}" for c in report.readiness_criteria)
        + ")"
    )
    if minimum is not None and report.production_readiness_score < minimum:
        print(
            f"readiness gate: {report.production_readiness_score:.2f} is below "
            f"minimum_readiness_score {minimum} ({source}) (exit {READINESS_EXIT})"
        )
        return READINESS_EXIT
    return 0


def _vulnerability_gate(summary, findings, threshold: str, code: int) -> int:
    """Exit :data:`VULNERABILITY_EXIT` when a security test at or above ``threshold`` failed
    (findings from the integration report, else computed from the run's tests)."""
    from prism_scenarios.use_cases import (
        security_findings,
        security_suite,
        vulnerabilities_at_or_above,
    )

    if findings is None:
        findings = security_findings(
            [t for t in security_suite(list(summary.tests.values())) if t["outcome"] != "skipped"]
        )
    over = vulnerabilities_at_or_above(findings, threshold)
    if not over:
        return code
    print(
        f"vulnerability gate: {len(over)} vulnerabilit{'y' if len(over) == 1 else 'ies'} at "
        f"or above {threshold} (exit {VULNERABILITY_EXIT}):"
    )
    for finding in over[:12]:
        asvs = f" ASVS {', '.join(finding.asvs)}" if finding.asvs else ""
        print(f"  [{finding.severity}] {finding.test}{asvs}")
    return VULNERABILITY_EXIT


def _exit_name(code: int) -> str:
    import pytest

    if code == VULNERABILITY_EXIT:
        return "vulnerability at or above the threshold"
    try:
        return pytest.ExitCode(code).name.lower().replace("_", " ")
    except ValueError:
        return "unknown"


def _paths_or_defaults(paths: list[str]) -> list[str]:
    return paths or _default_paths(None) or ["scenarios", "features"]


def _cmd_validate(args: argparse.Namespace) -> int:
    from prism_scenarios.validate import validate_paths

    return validate_paths(_paths_or_defaults(args.paths), show_unused=args.unused)


def _cmd_list(args: argparse.Namespace) -> int:
    from prism_scenarios.validate import list_scenarios

    if args.use_cases:
        return _list_use_cases(_paths_or_defaults(args.paths))
    return list_scenarios(_paths_or_defaults(args.paths))


def _list_use_cases(paths: list[str]) -> int:
    """``list --use-cases``: the catalog and which scenario files declare each use case."""
    from prism_scenarios.cli_tables import use_case_table
    from prism_scenarios.use_cases import CatalogError, current_catalog
    from prism_scenarios.validate import static_coverage

    try:
        catalog = current_catalog()
    except CatalogError as exc:
        print(exc)
        return 1
    print("\n".join(use_case_table(catalog, static_coverage(paths))))
    return 0


def _cmd_actions(args: argparse.Namespace) -> int:
    from prism_scenarios.catalog import catalog_markdown, catalog_text

    try:
        print(catalog_markdown(args.component) if args.markdown else catalog_text(args.component))
    except ValueError as exc:
        print(exc, file=sys.stderr)
        return 2
    return 0


def _cmd_steps(args: argparse.Namespace) -> int:
    from prism_scenarios import step_catalog

    if args.match:
        keyword, _, text = args.match.strip().partition(" ")
        kind = keyword.lower()
        if kind in ("and", "but", "*"):
            kind = "step"  # a line copied from a feature: any keyword's sentence may match
        elif kind not in ("given", "when", "then"):
            kind, text = "step", args.match.strip()
        hits = [s for s in step_catalog.sentences() if s.matches(kind, text)]
        for sentence in hits:
            print("\n".join(step_catalog.describe(sentence)))
        if hits:
            return 0
        print(f"no sentence matches: {args.match}")
        for sentence in step_catalog.did_you_mean(kind, text):
            print(f"  did you mean: {step_catalog.describe(sentence)[0]}")
        return 1
    text = step_catalog.catalog_text(args.grep)
    if not text:
        print(f"no sentence contains {args.grep!r}")
        return 1
    print(text)
    return 0


def _cmd_schema(args: argparse.Namespace) -> int:
    from prism_scenarios.schema import build_schema, render

    if args.load:
        from prism_scenarios.load.spec import json_schema

        text, what = render(json_schema()), "the load-file model"
    else:
        text, what = render(build_schema()), "the action registry"
    path = Path(
        args.output or ("schemas/load.schema.json" if args.load else "schemas/scenario.schema.json")
    )
    current = path.read_text() if path.exists() else ""
    if args.check:
        if current != text:
            print(
                f"{path} is out of date with {what}; run `prism-scenarios schema"
                f"{' --load' if args.load else ''}`"
            )
            return 1
        print(f"{path} is up to date")
        return 0
    if current != text:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    print(f"{'wrote' if current != text else 'unchanged'}: {path}")
    return 0


def _cmd_init(args: argparse.Namespace) -> int:
    from prism_scenarios.scaffold import scaffold

    return scaffold(Path(args.directory))


def _cmd_report(args: argparse.Namespace) -> int:
    from prism_scenarios import merge
    from prism_scenarios import report as report_mod

    if len(args.dirs) > 1 or (args.dirs and merge.is_shard(Path(args.dirs[0]))):
        return _merge_reports(args)
    results = Path(args.dirs[0] if args.dirs else args.results)
    if (results / "allure-results").is_dir():
        results = results / "allure-results"
    if not results.is_dir():
        print(f"no Allure results at {results} (run `prism-scenarios run` first)")
        return 1
    html = report_mod.render_html(results, Path(args.report_dir))
    return 0 if html else 1


def _merge_reports(args: argparse.Namespace) -> int:
    """``report DIR DIR ...``: one report from several runs' (the shards'), published like a
    run's, with the integration report computed over the union of their tests."""
    import types

    from prism_scenarios import merge, publish
    from prism_scenarios.summary import SummaryPlugin

    loaded = _run_config(args, "nothing merged")
    if loaded is None:
        return CONFIG_EXIT
    try:
        sources = [merge.locate(Path(d)) for d in args.dirs]
        if all(s.summary is None for s in sources):
            return _merge_results_only(args, sources)
        merged = merge.merge_summaries(sources)
    except merge.MergeError as exc:
        print(f"cannot merge: {exc}", file=sys.stderr)
        return CONFIG_EXIT
    report_dir = Path(args.report_dir)
    summary = SummaryPlugin(report_dir)
    summary.tests = merged.tests
    summary.elapsed = merged.elapsed
    with publish.Staging(report_dir) as staging:
        for item in staging.results.iterdir():  # the inputs' metadata, not the last run's
            item.unlink()
        warnings = merge.merge_results(sources, staging.results)
        warnings += merge.merge_junit(sources, staging.junit)
        counts = summary.counts()
        (staging.root / "summary.json").write_text(
            json.dumps(
                {
                    "elapsed_seconds": round(merged.elapsed, 3),
                    "exit_status": 1 if counts.get("failed") or counts.get("error") else 0,
                    "counts": counts,
                    "tests": list(merged.tests.values()),
                    "merged_from": [str(s.path) for s in sources],
                    "shards": merged.shards,
                    "partial_because": merged.reasons,
                    "families": merged.families,
                    "resources": {
                        "started": merged.started,
                        "elapsed": merged.elapsed,
                        "average_cpu_percent": merged.average_cpu_percent,
                        "peak_cpu_percent": merged.peak_cpu_percent,
                        "peak_rss_mb": merged.peak_rss_mb,
                    },
                },
                indent=2,
            )
        )
        results = staging.publish()
    for warning in warnings:
        print(f"warning: {warning}")
    print(
        f"merged {len(sources)} input(s) into {report_dir}: {len(merged.tests)} tests"
        + (f" (shards {', '.join(merged.shards)})" if merged.shards else "")
    )
    load_code = _merged_load(sources, report_dir)
    code = 1 if summary.counts().get("failed") or summary.counts().get("error") else 0
    if not merged.tests:
        print("no test ran in any input")
    sampler = types.SimpleNamespace(
        elapsed=merged.elapsed,
        started=merged.started,
        average_cpu_percent=merged.average_cpu_percent,
        peak_cpu_percent=merged.peak_cpu_percent,
        peak_rss_mb=merged.peak_rss_mb,
    )
    return _finish_run(
        args,
        report_dir,
        results,
        summary,
        sampler,
        merged.reasons,
        code,
        config=loaded.config,
        source=loaded.source,
        families_run=merged.families,
        load_code=load_code,
        flaky=sum(1 for t in merged.tests.values() if t.get("flaky")),
        notes={"merge": " ".join(merged.notes)},
    )


def _merge_results_only(args: argparse.Namespace, sources) -> int:
    """Allure results without any summary.json (not written by `run`): merge and render."""
    import tempfile

    from prism_scenarios import merge
    from prism_scenarios import report as report_mod

    target = Path(args.report_dir) / "allure-results"
    target.parent.mkdir(parents=True, exist_ok=True)
    fresh = Path(tempfile.mkdtemp(dir=target.parent, prefix=".allure-results.merge-"))
    for warning in merge.merge_results(sources, fresh):
        print(f"warning: {warning}")
    old = target.with_name(f".allure-results.old-{os.getpid()}")
    if target.exists():
        target.rename(old)
    fresh.rename(target)
    shutil.rmtree(old, ignore_errors=True)
    print(
        f"merged the Allure results of {len(sources)} folder(s) into {target} (no "
        "summary.json among them, so no integration report)"
    )
    if args.no_html:
        return 0
    return 0 if report_mod.render_html(target, Path(args.report_dir)) else 1


def _merged_load(sources, report_dir: Path) -> int | None:
    """The newest load summary of the inputs into REPORT_DIR/load/; its verdict as a load run's
    exit code (None: no input ran load files)."""
    from prism_scenarios import merge
    from prism_scenarios.load import THRESHOLD_EXIT

    newest = merge.newest_load_summary(sources)
    if newest is None:
        return None
    target = report_dir / "load" / "load_summary.json"
    if newest.resolve() != target.resolve():
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(newest, target)
    data = _read_json(target) or {}
    tests = data.get("tests") or []
    print(f"  load run: {newest} ({len(tests)} load test(s))")
    return 0 if all(t.get("passed") for t in tests) else THRESHOLD_EXIT


def _cmd_load(args: argparse.Namespace) -> int:
    from prism_scenarios.load.command import run

    return run(args)


def _cmd_fuzz(args: argparse.Namespace) -> int:
    try:
        from prism_scenarios.fuzz import fuzz
    except ModuleNotFoundError as exc:
        print(f"fuzz needs {exc.name} (pip install 'prism-scenarios[fuzz]')", file=sys.stderr)
        return 2

    print(
        f"prism-scenarios fuzz: seed {args.seed}, {args.examples} examples per action "
        f"(reproduce with --seed {args.seed})"
    )
    try:
        findings = fuzz(
            args.action or None, examples=args.examples, seed=args.seed, out_dir=Path(args.out)
        )
    except KeyError as exc:
        print(exc.args[0], file=sys.stderr)
        return 2
    print(
        f"{len(findings)} finding(s)" + (f"; scenarios written to {args.out}/" if findings else "")
    )
    return 1 if findings else 0


Handler = Callable[[argparse.Namespace], int]


def _shard_spec(text: str):
    from prism_scenarios.shard import parse_spec

    return parse_spec(text)


def build_parser() -> tuple[argparse.ArgumentParser, dict[str, argparse.ArgumentParser]]:
    parser = argparse.ArgumentParser(
        prog="prism-scenarios",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    commands: dict[str, argparse.ArgumentParser] = {}

    def command(name: str, handler: Handler, help_text: str, **kwargs) -> argparse.ArgumentParser:
        cmd = sub.add_parser(
            name, help=help_text, description=kwargs.pop("description", help_text), **kwargs
        )
        cmd.set_defaults(func=handler)
        commands[name] = cmd
        return cmd

    run = command(
        "run",
        _cmd_run,
        "run scenario suites (wraps pytest) and write reports",
        description="Run YAML scenarios and Gherkin features through the engine; "
        "exit code is pytest's (1: tests failed, 4: a path does not "
        "exist, 5: no scenario under the paths), 2: the run "
        "configuration is invalid, 6: a security test at or above "
        "--vulnerability-threshold failed (docs/security-suite.md), "
        "99: a load threshold was breached (performance family), 7: "
        "readiness below minimum_readiness_score (docs/readiness.md). "
        "Extra pytest arguments go after --.",
    )
    run.add_argument("paths", nargs="*", help="files or folders (default: scenarios features)")
    run.add_argument("--suite", help="one suite folder, e.g. component, use_cases")
    run.add_argument(
        "--scan-depth",
        choices=("basic", "standard", "comprehensive"),
        help="payloads per attack scenario (sets PRISM_SCAN_DEPTH; docs/security-suite.md)",
    )
    run.add_argument(
        "--tags", help="tag expression, e.g. 'smoke and not slow' or 'use_case:basic_chat'"
    )
    run.add_argument("-k", dest="keyword", help="name expression, as pytest -k")
    run.add_argument("-n", dest="workers", help="parallel workers (pytest-xdist), e.g. 2 or auto")
    run.add_argument("--report-dir", default="reports", help="where reports go (default reports/)")
    run.add_argument("--no-html", action="store_true", help="skip the Allure HTML report")
    run.add_argument(
        "--vulnerability-threshold",
        choices=("low", "medium", "high", "critical"),
        help="exit 6 when a failed security test's severity is at or above this "
        "(blocker=critical, critical=high, normal=medium, minor/trivial=low; "
        "default: security_config.vulnerability_threshold of the run "
        "configuration, medium)",
    )
    run.add_argument(
        "--all",
        action="store_true",
        help="every family (component, integration, end_to_end, performance, "
        "security, migration), whatever the configuration selects",
    )
    run.add_argument(
        "--profile",
        choices=("smoke", "regression"),
        help="smoke: every family's scenarios tagged smoke; regression: --all",
    )
    run.add_argument(
        "--config",
        help="a run configuration file (default: "
        "prism-scenarios.yaml or [tool.prism-scenarios.testing])",
    )
    run.add_argument(
        "-x",
        "--stop-on-first-failure",
        dest="stop",
        action="store_true",
        default=None,
        help="stop at the first failure (stop_on_first_failure)",
    )
    run.add_argument(
        "--reruns",
        type=int,
        help="retry a failed test up to N times "
        "(pytest-rerunfailures; default: max_retry_attempts when "
        "retry_failed_tests); a test passing on a retry is flaky, not clean",
    )
    run.add_argument(
        "--load-profile",
        default="quick",
        help="the load files' profile in the performance family (default quick)",
    )
    run.add_argument(
        "--shard",
        type=_shard_spec,
        metavar="K/N",
        help="run only shard K of N (1 <= K <= N) of the collected tests: the N "
        "shards partition the suite, on any machine; merge their reports "
        "with `prism-scenarios report DIR ...` (docs/readiness.md)",
    )
    run.add_argument(
        "--shard-durations",
        metavar="FILE",
        help="balance the shards by the test durations in FILE (a summary.json "
        "or {node id: seconds}); default: REPORT_DIR/summary.json of the "
        "last unsharded or merged run, else by node-id hash. Give every "
        "shard the same file",
    )

    validate = command(
        "validate",
        _cmd_validate,
        "schema-check YAML; list undefined Gherkin steps with suggestions",
    )
    validate.add_argument("paths", nargs="*", help="files or folders (default: scenarios features)")
    validate.add_argument(
        "--unused", action="store_true", help="also list the built-in sentences no feature uses"
    )

    listing = command("list", _cmd_list, "scenarios with use case, tags, components")
    listing.add_argument("paths", nargs="*")
    listing.add_argument(
        "--use-cases",
        action="store_true",
        help="the use cases of the catalog and the scenarios covering each",
    )

    actions = command("actions", _cmd_actions, "the action catalog (the step vocabulary)")
    actions.add_argument("--markdown", action="store_true", help="Markdown for the docs")
    actions.add_argument(
        "--component",
        help="only this component's actions (e.g. memory, kb, tools, panel, analytics)",
    )

    steps = command("steps", _cmd_steps, "the Gherkin sentences, with their parameters")
    steps.add_argument("--grep", help="only sentences containing this text")
    steps.add_argument(
        "--match",
        metavar="STEP",
        help="which sentence matches a step, e.g. "
        "'Given user \"alice\" exists' (with "
        "suggestions when none does)",
    )

    schema = command("schema", _cmd_schema, "write the scenario JSON Schema for editors")
    schema.add_argument(
        "--output",
        help="default schemas/scenario.schema.json, or schemas/load.schema.json with --load",
    )
    schema.add_argument("--load", action="store_true", help="the load-file schema instead")
    schema.add_argument("--check", action="store_true", help="exit 1 if the file is stale")

    init = command(
        "init",
        _cmd_init,
        "scaffold a project: scenarios/, features/ with its "
        "conftest, editor schema mapping, passing samples",
    )
    init.add_argument("directory", nargs="?", default=".")

    fuzz = command(
        "fuzz",
        _cmd_fuzz,
        "fuzz actions with parameters drawn from their JSON "
        "Schema; exit 1 when something other than a declared "
        "error or an invariant breach came out "
        "(docs/security-suite.md)",
    )
    fuzz.add_argument(
        "--action",
        action="append",
        metavar="NAME",
        help="only this action (repeatable; default: every action)",
    )
    fuzz.add_argument("--examples", type=int, default=25, help="examples per action (default 25)")
    fuzz.add_argument("--seed", type=int, default=0, help="hypothesis seed (default 0)")
    fuzz.add_argument(
        "--out", default="reports/fuzz", help="where finding scenarios go (default reports/fuzz)"
    )

    load = command(
        "load",
        _cmd_load,
        "run load files: scenarios as iterations under an "
        "open or closed load model, judged by k6-style "
        "thresholds (docs/load.md)",
        description="Run load files (scenarios/load/*.yaml). Exit 0: every "
        "threshold held; 99: a threshold was breached or the run "
        "aborted on one; 2: a load file is invalid (nothing ran); 3: a "
        "worker or the cluster failed.",
    )
    load.add_argument("files", nargs="+", help="load files (scenarios/load/*.yaml)")
    which = load.add_mutually_exclusive_group()
    which.add_argument(
        "--quick",
        action="store_true",
        help="the file's 'quick' profile (a few seconds: CI), or its schedule "
        "squeezed into 3 s with small data",
    )
    which.add_argument("--profile", help="a named profile of the file (e.g. soak)")
    load.add_argument(
        "--workers",
        type=int,
        help="local worker processes (default: the file's workers; 1 = in this process)",
    )
    load.add_argument(
        "--dask",
        metavar="ADDRESS",
        help="one segment per worker of this Dask "
        "scheduler (tcp://host:8786); needs the distributed extra",
    )
    load.add_argument(
        "--report-dir", default="reports", help="reports go to REPORT_DIR/load (default reports/)"
    )
    load.add_argument("--no-html", action="store_true", help="skip the Allure HTML report")
    load.add_argument("--no-progress", action="store_true", help="no live progress line")

    rep = command(
        "report",
        _cmd_report,
        "render the Allure HTML report from results, or "
        "merge several runs' reports (the shards of a "
        "--shard run) into one",
        description="With no DIR, or one DIR that is not a shard: render the Allure "
        "HTML report from its results. With several DIRs (report "
        "folders or allure-results folders), or one shard: merge them "
        "into --report-dir (Allure results, summary.json, junit.xml) "
        "and write the integration report over the union; full scope "
        "when shards 1..N of one run are all there. Exit codes as "
        "`run`: 1 a test failed, 2 inputs that cannot be merged or an "
        "invalid run configuration, 6 vulnerability, 99 load threshold, "
        "7 readiness below minimum_readiness_score.",
    )
    rep.add_argument(
        "dirs", nargs="*", metavar="DIR", help="report folders (or allure-results folders) to merge"
    )
    rep.add_argument(
        "--results",
        default="reports/allure-results",
        help="the results to render when no DIR is given",
    )
    rep.add_argument(
        "--report-dir", default="reports", help="where the report goes (default reports/)"
    )
    rep.add_argument("--no-html", action="store_true", help="skip the Allure HTML report")
    rep.add_argument(
        "--config",
        help="the run configuration (readiness gate, report "
        "formats; default: prism-scenarios.yaml or "
        "[tool.prism-scenarios.testing])",
    )
    rep.add_argument(
        "--vulnerability-threshold",
        choices=("low", "medium", "high", "critical"),
        help="as for run",
    )
    return parser, commands


def parse(argv: Sequence[str]) -> argparse.Namespace:
    """Options and paths in any order (``run PATH --tags X`` and ``run --tags X PATH``);
    what follows ``--`` is kept for pytest."""
    argv = list(argv)
    extra: list[str] = []
    if "--" in argv:
        cut = argv.index("--")
        argv, extra = argv[:cut], argv[cut + 1 :]
    parser, commands = build_parser()
    if argv and argv[0] in commands:
        args = commands[argv[0]].parse_intermixed_args(argv[1:])
        args.command = argv[0]
    else:
        args = parser.parse_args(argv)
    if extra and args.command != "run":
        parser.error(f"only `run` passes arguments after -- to pytest (got: {' '.join(extra)})")
    args.pytest_args = extra
    return args


def main(argv: Sequence[str] | None = None) -> int:
    from prism_scenarios import project, settings

    args = parse(sys.argv[1:] if argv is None else argv)
    project.set_project_root(None)  # the project is found from the working directory
    try:
        settings.load()
        code = args.func(args)
        sys.stdout.flush()
    except settings.SettingsError as exc:
        print(f"prism-scenarios: {exc}", file=sys.stderr)
        return 2
    except BrokenPipeError:
        # `prism-scenarios list | head`: the reader left; say nothing more, like other tools.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 0
    return code


if __name__ == "__main__":
    sys.exit(main())
