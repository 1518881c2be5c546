"""``prism-scenarios``: run suites, validate files, list scenarios and actions, write the
schema, render reports. ``run`` wraps pytest and returns its exit code."""

from __future__ import annotations

import argparse
import shutil
import sys
from pathlib import Path

from prism_scenarios import report as report_mod
from prism_scenarios.resource_sampler import ResourceSampler
from prism_scenarios.use_cases import print_run_table, resource_snapshot, write_reports


def _cmd_run(args: argparse.Namespace) -> int:
    import pytest

    from prism_scenarios.summary import SummaryPlugin

    report_dir = Path(args.report_dir)
    results = report_dir / "allure-results"
    shutil.rmtree(results, ignore_errors=True)  # never --clean-alluredir under xdist
    results.mkdir(parents=True, exist_ok=True)
    paths = args.paths or _default_paths(args.suite)
    if not paths:
        print(f"nothing to run: no scenarios/ or features/ folder for suite {args.suite!r}")
        return 4
    pytest_args = [*paths, f"--alluredir={results}", f"--junitxml={report_dir / 'junit.xml'}",
                   "-q", "-p", "no:randomly", "--rootdir", str(Path.cwd()),
                   "-o", "testpaths="]
    if args.tags:
        pytest_args += ["-m", args.tags]
    if args.keyword:
        pytest_args += ["-k", args.keyword]
    if args.workers and args.workers not in ("0", "1"):
        pytest_args += ["-n", args.workers, "--dist", "loadfile"]
    pytest_args += args.pytest_args
    summary = SummaryPlugin(report_dir)
    started, cpu_before = resource_snapshot()
    with ResourceSampler() as sampler:
        code = int(pytest.main(pytest_args, plugins=[summary]))
    _, cpu_after = resource_snapshot()
    partial = bool(args.paths or args.suite or args.tags or args.keyword)
    bookkeeping = write_reports(list(summary.tests.values()), report_dir,
                                elapsed=summary.elapsed, started=started,
                                cpu_seconds=cpu_after - cpu_before, partial=partial,
                                peak_cpu_percent=sampler.peak_cpu_percent,
                                peak_rss_mb=sampler.peak_rss_mb)
    html = None if args.no_html else report_mod.render_html(results, report_dir)
    if bookkeeping is not None:
        print()
        print_run_table(bookkeeping[0], only_run=partial)
    summary.print_screen(html=html, results=results, exit_code=code)
    if bookkeeping is not None:
        print(f"  integration report: {report_dir / 'integration'}/"
              "system_integration_report.json")
    return code


def _default_paths(suite: str | None) -> list[str]:
    roots = ["scenarios", "features"]
    if suite:
        roots = [f"{root}/{suite}" for root in roots]
    return [r for r in roots if Path(r).exists()]


def _cmd_validate(args: argparse.Namespace) -> int:
    from prism_scenarios.validate import validate_paths

    return validate_paths(args.paths or ["scenarios", "features"])


def _cmd_list(args: argparse.Namespace) -> int:
    from prism_scenarios.validate import list_scenarios

    return list_scenarios(args.paths or ["scenarios", "features"], use_cases=args.use_cases)


def _cmd_actions(args: argparse.Namespace) -> int:
    from prism_scenarios.catalog import catalog_markdown, catalog_text

    print(catalog_markdown() if args.markdown else catalog_text(args.component))
    return 0


def _cmd_schema(args: argparse.Namespace) -> int:
    from prism_scenarios.schema import build_schema, render, write_schema

    path = Path(args.output)
    if args.check:
        current = path.read_text() if path.exists() else ""
        if current != render(build_schema()):
            print(f"{path} is out of date with the action registry; run `prism-scenarios "
                  "schema`")
            return 1
        print(f"{path} is up to date")
        return 0
    changed = write_schema(path)
    print(f"{'wrote' if changed else 'unchanged'}: {path}")
    return 0


def _cmd_report(args: argparse.Namespace) -> int:
    results = Path(args.results)
    if not results.is_dir():
        print(f"no Allure results at {results} (run `prism-scenarios run` first)")
        return 1
    html = report_mod.render_html(results, Path(args.report_dir))
    return 0 if html else 1


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="prism-scenarios", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)

    run = sub.add_parser("run", help="run scenario suites (wraps pytest) and write reports",
                         description="Run YAML scenarios and Gherkin features through the "
                                     "engine; exit code is pytest's.")
    run.add_argument("paths", nargs="*", help="files or folders (default: scenarios features)")
    run.add_argument("--suite", help="one suite folder, e.g. component, use_cases")
    run.add_argument("--tags", help="marker expression, e.g. 'smoke and not slow'")
    run.add_argument("-k", dest="keyword", help="name expression, as pytest -k")
    run.add_argument("-n", dest="workers", help="parallel workers (pytest-xdist), e.g. 2 or "
                                                "auto")
    run.add_argument("--report-dir", default="reports", help="where reports go (default "
                                                             "reports/)")
    run.add_argument("--no-html", action="store_true", help="skip the Allure HTML report")
    run.add_argument("pytest_args", nargs=argparse.REMAINDER,
                     help="after --: extra pytest arguments")
    run.set_defaults(func=_cmd_run)

    validate = sub.add_parser("validate", help="schema-check YAML; list undefined and "
                                               "unused Gherkin steps")
    validate.add_argument("paths", nargs="*")
    validate.set_defaults(func=_cmd_validate)

    listing = sub.add_parser("list", help="scenarios with use case, tags, components")
    listing.add_argument("paths", nargs="*")
    listing.add_argument("--use-cases", action="store_true",
                         help="the 22 use cases and the scenarios covering each")
    listing.set_defaults(func=_cmd_list)

    actions = sub.add_parser("actions", help="the action catalog (the step vocabulary)")
    actions.add_argument("--markdown", action="store_true", help="Markdown for the docs")
    actions.add_argument("--component", help="only this component's actions")
    actions.set_defaults(func=_cmd_actions)

    schema = sub.add_parser("schema", help="write schemas/scenario.schema.json")
    schema.add_argument("--output", default="schemas/scenario.schema.json")
    schema.add_argument("--check", action="store_true", help="exit 1 if the file is stale")
    schema.set_defaults(func=_cmd_schema)

    rep = sub.add_parser("report", help="render the Allure HTML report from results")
    rep.add_argument("--results", default="reports/allure-results")
    rep.add_argument("--report-dir", default="reports")
    rep.set_defaults(func=_cmd_report)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if getattr(args, "pytest_args", None) and args.pytest_args[:1] == ["--"]:
        args.pytest_args = args.pytest_args[1:]
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
