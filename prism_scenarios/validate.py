"""``validate`` and ``list``: check scenario files without running them.

For features, every step of every scenario — outline steps rendered once per example row, so
``<placeholders>`` never cause false "undefined" reports — is matched against the registered
step definitions by type (Given/When/Then, And/But inheriting). Definitions no feature uses are
listed too (informational; they do not fail validation).
"""

from __future__ import annotations

import fnmatch
import importlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pytest_bdd.parser import FeatureParser
from pytest_bdd.steps import step_function_context_registry

from prism_scenarios.bdd import step_modules
from prism_scenarios.errors import ScenarioFileError
from prism_scenarios.loader import load_file
from prism_scenarios.pytest_plugin import DEFAULT_EXCLUDE
from prism_scenarios.tags import feature_tags


def _files(paths: list[str], suffixes: tuple[str, ...]) -> list[Path]:
    found: list[Path] = []
    for raw in paths:
        path = Path(raw)
        if path.is_file() and path.suffix in suffixes:
            found.append(path)
        elif path.is_dir():
            found += sorted(p for p in path.rglob("*") if p.suffix in suffixes)
    return [p for p in found
            if not any(fnmatch.fnmatch(p.as_posix(), pat) for pat in DEFAULT_EXCLUDE)]


@dataclass
class StepDefinition:
    kind: str
    pattern: str
    function: str
    parser: Any
    used: int = 0


def step_definitions() -> list[StepDefinition]:
    for module in step_modules():
        importlib.import_module(module)
    definitions = []
    for context in list(step_function_context_registry.values()):
        pattern = getattr(context.parser, "name", None)
        pattern = getattr(pattern, "pattern", pattern)
        definitions.append(StepDefinition(context.type or "step", str(pattern),
                                          context.step_func.__name__, context.parser))
    return definitions


def undefined_steps(feature_files: list[Path]) -> tuple[list[str], list[StepDefinition]]:
    definitions = step_definitions()
    problems: list[str] = []
    for path in feature_files:
        feature = FeatureParser(str(path.parent), path.name).parse()
        for template in feature.scenarios.values():
            rows = [row for examples in template.examples
                    for row in examples.as_contexts()] if template.examples else [{}]
            for row in rows:
                for step in template.render(row).steps:
                    matches = [d for d in definitions
                               if d.kind in (step.type, "step") and d.parser.is_matching(
                                   step.name)]
                    for definition in matches:
                        definition.used += 1
                    if not matches:
                        problems.append(f"{path}:{step.line_number}: undefined step: "
                                        f"{step.keyword} {step.name}")
    return sorted(set(problems)), [d for d in definitions if not d.used]


def static_coverage(paths: list[str]) -> dict[str, list[tuple[str, list[str]]]]:
    """use case -> [(scenario reference, components its actions belong to)], from files."""
    found: dict[str, list[tuple[str, list[str]]]] = {}
    for path in _files(paths, (".yaml", ".yml")):
        try:
            spec = load_file(path)
        except ScenarioFileError:
            continue
        for scenario in spec.scenarios:
            if scenario.use_case:
                found.setdefault(scenario.use_case, []).append(
                    (f"{scenario.source}:{scenario.line} {scenario.display_name}",
                     scenario.components))
    for path in _files(paths, (".feature",)):
        feature = FeatureParser(str(path.parent), path.name).parse()
        for template in feature.scenarios.values():
            _tags, use_case, components = feature_tags(template.tags, feature.tags)
            if use_case:
                found.setdefault(use_case, []).append(
                    (f"{path}:{template.line_number} {template.name}", components))
    return found


def validate_paths(paths: list[str]) -> int:
    bad = 0
    yaml_files = _files(paths, (".yaml", ".yml"))
    for path in yaml_files:
        try:
            spec = load_file(path)
            print(f"ok    {path} ({len(spec.scenarios)} scenarios)")
        except ScenarioFileError as exc:
            bad += 1
            print(f"FAIL  {path}")
            for problem in exc.problems:
                print(f"      {problem}")
    features = _files(paths, (".feature",))
    if features:
        undefined, unused = undefined_steps(features)
        for problem in undefined:
            print(f"FAIL  {problem}")
        bad += len(undefined)
        print(f"{'ok' if not undefined else 'FAIL':5} {len(features)} feature files, "
              f"{len(undefined)} undefined steps")
        for definition in unused:
            print(f"info  unused step definition: {definition.kind} "
                  f"{definition.pattern!r} ({definition.function})")
    print(f"{len(yaml_files)} YAML files, {len(features)} feature files: "
          f"{'all valid' if not bad else f'{bad} problems'}")
    return 1 if bad else 0


def list_scenarios(paths: list[str], *, use_cases: bool = False) -> int:
    if use_cases:
        from prism_scenarios.use_cases import print_use_case_table

        return print_use_case_table(paths)
    for path in _files(paths, (".yaml", ".yml")):
        try:
            spec = load_file(path)
        except ScenarioFileError as exc:
            print(f"{path}: INVALID ({len(exc.problems)} problems; run `prism-scenarios "
                  "validate`)")
            continue
        for scenario in spec.scenarios:
            print(f"{scenario.source}:{scenario.line}  {scenario.display_name}")
            print(f"    use case: {scenario.use_case or '-'}  tags: "
                  f"{', '.join(scenario.tags) or '-'}  components: "
                  f"{', '.join(scenario.components) or '-'}")
    for path in _files(paths, (".feature",)):
        feature = FeatureParser(str(path.parent), path.name).parse()
        for template in feature.scenarios.values():
            tags, use_case, components = feature_tags(template.tags, feature.tags)
            print(f"{path}:{template.line_number}  {template.name}")
            print(f"    use case: {use_case or '-'}  tags: {', '.join(tags) or '-'}  components: "
                  f"{', '.join(components) or '-'}")
    return 0
