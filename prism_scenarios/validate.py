"""``validate`` and ``list``: check scenario files without running them.

For features, every step of every scenario — outline steps rendered once per example row, so
``<placeholders>`` never cause false "undefined" reports — is matched against the built-in
sentences by type (Given/When/Then, And/But inheriting); an undefined step gets "did you
mean". Sentences no feature uses are listed too (informational).
"""

from __future__ import annotations

import contextlib
import io
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest
from pytest_bdd.parser import FeatureParser

from prism_scenarios import discovery, step_catalog
from prism_scenarios.errors import ScenarioFileError
from prism_scenarios.loader import load_file
from prism_scenarios.tags import feature_tags


def _shown(path: Path) -> str:
    """A path as the user gave it: relative to the working directory when inside it."""
    relative = os.path.relpath(path)
    return relative if not relative.startswith("..") else str(path)


class FeatureFileError(ValueError):
    """A feature file that cannot be read (not UTF-8, or not Gherkin)."""


def parse_feature(path: Path) -> Any:
    try:
        path.read_bytes().decode("utf-8")
    except UnicodeDecodeError as exc:
        line = exc.object[: exc.start].count(b"\n") + 1
        raise FeatureFileError(
            f"{path}:{line}: not UTF-8 text (byte "
            f"{exc.object[exc.start]:#04x} at offset {exc.start}); save "
            "the file as UTF-8"
        ) from None
    try:
        return FeatureParser(str(path.parent), path.name).parse()
    except Exception as exc:  # pytest-bdd's parser errors have no common base class
        raise FeatureFileError(f"{path}: not a valid Gherkin feature: {exc}") from None


def discover(paths: Sequence[str]) -> discovery.Found | None:
    """What ``paths`` hold; prints why and returns None when that is nothing usable."""
    found, problem = discovery.find_usable(paths)
    if (
        problem
        and not found.missing
        and any(discovery.looks_like_load_file(path) for path, _ in found.skipped)
    ):
        return found  # only load files: `validate` checks those too
    if problem:
        print(problem)
        return None
    return found


class _BoundSteps:
    """A collect-only pytest run as ``prism-scenarios run`` would start it: for each scenario
    pytest-bdd bound to a test, which steps no visible step definition matches — the
    project's own steps and conftest scoping included, as pytest-bdd resolves them."""

    def __init__(self) -> None:
        self.bound: set[Path] = set()
        self.undefined: set[tuple[Path, int, str, str, str]] = set()
        self.errors: list[str] = []

    def pytest_collectreport(self, report: pytest.CollectReport) -> None:
        if report.failed:
            self.errors.append(
                f"{report.nodeid or report.fspath}: cannot be collected:\n"
                f"      {str(report.longrepr).strip().splitlines()[-1]}"
            )

    def pytest_collection_modifyitems(
        self, session: pytest.Session, items: list[pytest.Item]
    ) -> None:
        from pytest_bdd.scenario import (
            find_fixturedefs_for_step,
            scenario_wrapper_template_registry,
        )

        for item in items:
            if not isinstance(item, pytest.Function):
                continue  # YAML scenarios and other non-function items bind no feature
            template = scenario_wrapper_template_registry.get(item.obj)
            if template is None:
                continue
            path = Path(template.feature.filename).resolve()
            self.bound.add(path)
            callspec = getattr(item, "callspec", None)
            row = callspec.params.get("_pytest_bdd_example", {}) if callspec else {}
            for step in template.render(row).steps:
                if (
                    next(iter(find_fixturedefs_for_step(step, session._fixturemanager, item)), None)
                    is None
                ):
                    self.undefined.add((path, step.line_number, step.keyword, step.type, step.name))


def _collect_bound(paths: Sequence[Path]) -> _BoundSteps:
    check = _BoundSteps()
    output = io.StringIO()
    with contextlib.redirect_stdout(output), contextlib.redirect_stderr(output):
        code = pytest.main(
            [
                "--collect-only",
                "-q",
                "-p",
                "no:cacheprovider",
                "-p",
                "prism_scenarios.pytest_plugin",
                *map(str, paths),
            ],
            plugins=[check],
        )
    if code not in (pytest.ExitCode.OK, pytest.ExitCode.NO_TESTS_COLLECTED) and not check.errors:
        check.errors.append(
            f"collecting {' '.join(map(str, paths))} failed (pytest exit "
            f"{int(code)}): {output.getvalue().strip()[-500:]}"
        )
    return check


def undefined_steps(
    feature_files: list[Path], collect_from: Sequence[Path] = ()
) -> tuple[list[str], list[step_catalog.Sentence], list[str]]:
    """(undefined steps with hints, sentences no feature uses, unreadable feature files).

    Features bound by a test module under ``collect_from`` are checked against every step
    definition pytest-bdd would see there (the project's own too); the others against the
    built-in sentences only."""
    sentences = step_catalog.sentences()
    used: set[int] = set()
    problems: dict[str, list[str]] = {}
    unreadable = []
    bound = _collect_bound(collect_from) if collect_from else _BoundSteps()
    unreadable += bound.errors

    def report(path: Path, line: int, keyword: str, kind: str, text: str) -> None:
        key = f"{_shown(path)}:{line}: undefined step: {keyword} {text}"
        problems[key] = [
            f"did you mean: {keyword} {s.text}" for s in step_catalog.did_you_mean(kind, text)
        ]

    for path, line, keyword, kind, text in bound.undefined:
        report(path, line, keyword, kind, text)
    for path in feature_files:
        try:
            feature = parse_feature(path)
        except FeatureFileError as exc:
            unreadable.append(str(exc))
            continue
        is_bound = path.resolve() in bound.bound
        for template in feature.scenarios.values():
            rows = (
                [row for examples in template.examples for row in examples.as_contexts()]
                if template.examples
                else [{}]
            )
            for row in rows:
                for step in template.render(row).steps:
                    matches = [
                        i for i, s in enumerate(sentences) if s.matches(step.type, step.name)
                    ]
                    used.update(matches)
                    if not matches and not is_bound:
                        report(path, step.line_number, step.keyword, step.type, step.name)
    lines = []
    for key in sorted(problems):
        lines.append(key)
        lines += [f"      {hint}" for hint in problems[key]]
    unused = [s for i, s in enumerate(sentences) if i not in used]
    return lines, unused, unreadable


def static_coverage(paths: Sequence[str]) -> dict[str, list[tuple[str, list[str]]]]:
    """use case -> [(scenario reference, components its actions belong to)], from files."""
    found: dict[str, list[tuple[str, list[str]]]] = {}
    files = discovery.find_in_project(paths)
    for path in files.yaml:
        try:
            spec = load_file(path)
        except ScenarioFileError:
            continue
        for scenario in spec.scenarios:
            if scenario.use_case:
                found.setdefault(scenario.use_case, []).append(
                    (
                        f"{scenario.source}:{scenario.line} {scenario.display_name}",
                        scenario.components,
                    )
                )
    for path in files.features:
        try:
            feature = parse_feature(path)
        except FeatureFileError:
            continue
        for template in feature.scenarios.values():
            _tags, use_case, components = feature_tags(template.tags, feature.tags)
            if use_case:
                found.setdefault(use_case, []).append(
                    (f"{path}:{template.line_number} {template.name}", components)
                )
    return found


def validate_paths(paths: Sequence[str], *, show_unused: bool = False) -> int:
    found = discover(paths)
    if found is None:
        return 1
    bad = 0
    for path in found.yaml:
        try:
            spec = load_file(path)
            print(f"ok    {path} ({len(spec.scenarios)} scenarios)")
        except ScenarioFileError as exc:
            bad += len(exc.problems)
            print(f"FAIL  {path}")
            for problem in exc.problems:
                print(f"      {problem}")
    from prism_scenarios.load.spec import LoadFileError, load_plan

    loads = [path for path, _ in found.skipped if discovery.looks_like_load_file(path)]
    for path in loads:
        try:
            plan = load_plan(path)
            print(f"ok    {path} (load file: {len(plan.specs)} scenarios in its mix)")
        except LoadFileError as exc:
            bad += len(exc.problems)
            print(f"FAIL  {path}")
            for problem in exc.problems:
                print(f"      {problem}")
    for path, why in found.skipped:
        if path not in loads:
            print(f"skip  {path} ({why})")
    if found.features:
        undefined, unused, unreadable = undefined_steps(
            found.features,
            collect_from=[Path(p.split("::")[0]) for p in paths if Path(p.split("::")[0]).is_dir()]
            or sorted({f.parent for f in found.features}),
        )
        for problem in unreadable:
            print(f"FAIL  {problem}")
        for line in undefined:
            print(line if line.startswith(" ") else f"FAIL  {line}")
        count = sum(1 for line in undefined if not line.startswith(" "))
        bad += count + len(unreadable)
        print(
            f"{'ok' if not count and not unreadable else 'FAIL':5} {len(found.features)} "
            f"feature files, {count} undefined steps"
        )
        for sentence in unused if show_unused else ():
            print(
                f"info  sentence no feature here uses: {'/'.join(sentence.kinds)} "
                f"{sentence.text} ({sentence.function})"
            )
        if unused and not show_unused:
            print(f"info  {len(unused)} built-in sentences are not used here (--unused lists them)")
    print(
        f"{len(found.yaml)} YAML files, {len(loads)} load files, {len(found.features)} "
        "feature files: "
        f"{'all valid' if not bad else f'{bad} problem' + ('s' if bad > 1 else '')}"
    )
    return 1 if bad else 0


def list_scenarios(paths: Sequence[str]) -> int:
    """``list``: every scenario with its use case, tags and components (``--use-cases`` is
    the CLI's own table)."""
    found = discover(paths)
    if found is None:
        return 1
    for path in found.yaml:
        try:
            spec = load_file(path)
        except ScenarioFileError as exc:
            print(f"{path}: INVALID ({len(exc.problems)} problems; run `prism-scenarios validate`)")
            continue
        for scenario in spec.scenarios:
            print(f"{scenario.source}:{scenario.line}  {scenario.display_name}")
            print(
                f"    use case: {scenario.use_case or '-'}  tags: "
                f"{', '.join(scenario.tags) or '-'}  components: "
                f"{', '.join(scenario.components) or '-'}"
            )
    for path in found.features:
        try:
            feature = parse_feature(path)
        except FeatureFileError as exc:
            print(f"{exc} (run `prism-scenarios validate`)")
            continue
        for template in feature.scenarios.values():
            tags, use_case, components = feature_tags(template.tags, feature.tags)
            print(f"{path}:{template.line_number}  {template.name}")
            print(
                f"    use case: {use_case or '-'}  tags: {', '.join(tags) or '-'}  components: "
                f"{', '.join(components) or '-'}"
            )
    return 0
