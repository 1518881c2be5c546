"""pytest plugin (entry point ``pytest11``): YAML scenario files become test items, Gherkin
features get the engine, everything reports to Allure.

- Files matching ``scenario_files`` (ini, default ``scenarios/*.yaml``; ``*`` crosses folders)
  and not ``scenario_exclude`` are collected; each scenario (× example row) is one item.
- Tags become markers (``use_case:rag_chat`` → ``use_case_rag_chat``), so ``-m``, ``-k``,
  ``--lf`` and xdist work as for any test.
- A file that fails validation yields one failing item that lists every problem; none of its
  scenarios run.
"""

from __future__ import annotations

import fnmatch
import json
import os
import platform
import re
from pathlib import Path
from typing import Any

import allure
import pytest

from prism_scenarios import allure_bridge
from prism_scenarios.allure_bridge import AllureReporter, label_test
from prism_scenarios.bdd import step_modules
from prism_scenarios.engine import ScenarioRun
from prism_scenarios.errors import ScenarioFailure, ScenarioFileError
from prism_scenarios.loader import ScenarioSpec, load_file
from prism_scenarios.tags import feature_tags

pytest_plugins = step_modules()

DEFAULT_FILES = ["scenarios/*.yaml", "scenarios/*.yml"]
DEFAULT_EXCLUDE = ["scenarios/use_cases.yaml", "scenarios/data/*", "scenarios/load/*"]
_MARKER_BAD = re.compile(r"[^A-Za-z0-9_]")


def marker_name(tag: str) -> str:
    """A tag as a pytest marker name (``use_case:rag_chat`` → ``use_case_rag_chat``)."""
    name = _MARKER_BAD.sub("_", tag)
    return name if not name[:1].isdigit() else f"tag_{name}"


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addini("scenario_files", "glob patterns (relative to rootdir) of YAML scenario "
                  "files", type="linelist", default=DEFAULT_FILES)
    parser.addini("scenario_exclude", "glob patterns of YAML files that are not scenarios",
                  type="linelist", default=DEFAULT_EXCLUDE)
    group = parser.getgroup("prism-scenarios")
    group.addoption("--keep-stores", action="store_true",
                    help="keep each scenario's temp store root for inspection")


_FEATURE_TAG = re.compile(r"(?<!\S)@(\S+)")


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "scenario: a YAML or Gherkin scenario")
    # Register feature tags as markers up front (--strict-markers); pytest-bdd applies them
    # while importing test modules, before any collection hook of ours could.
    for feature in Path(config.rootpath).glob("features/**/*.feature"):
        for line in feature.read_text(encoding="utf-8").splitlines():
            if line.lstrip().startswith("@"):
                for tag in _FEATURE_TAG.findall(line):
                    register_marker(config, tag)


def register_marker(config: pytest.Config, tag: str) -> str:
    name = marker_name(tag)
    config.addinivalue_line("markers", f"{name}: scenario tag '{tag}'")
    return name


def pytest_collect_file(file_path: Path, parent: pytest.Collector) -> pytest.Collector | None:
    if file_path.suffix not in (".yaml", ".yml"):
        return None
    config = parent.config
    rel = os.path.relpath(file_path, config.rootpath).replace(os.sep, "/")
    if not any(fnmatch.fnmatch(rel, p) for p in config.getini("scenario_files")):
        return None
    if any(fnmatch.fnmatch(rel, p) for p in config.getini("scenario_exclude")):
        return None
    return YamlScenarioFile.from_parent(parent, path=file_path)


class YamlScenarioFile(pytest.File):
    def collect(self):
        rel = os.path.relpath(self.path, self.config.rootpath)
        try:
            spec = load_file(self.path, display=rel)
        except ScenarioFileError as exc:
            yield InvalidScenarioFile.from_parent(self, name="<invalid scenario file>",
                                                  error=exc, use_case=exc.use_case)
            return
        for scenario in spec.scenarios:
            item = YamlScenarioItem.from_parent(self, name=scenario.display_name, spec=scenario)
            item.add_marker("scenario")
            for tag in scenario.tags + ([f"use_case:{scenario.use_case}"]
                                        if scenario.use_case else []):
                item.add_marker(register_marker(self.config, tag))
            if scenario.skip:
                item.add_marker(pytest.mark.skip(reason=scenario.skip))
            if scenario.xfail:
                item.add_marker(pytest.mark.xfail(reason=scenario.xfail, strict=True))
            yield item


class InvalidScenarioFile(pytest.Item):
    def __init__(self, *, error: ScenarioFileError, use_case: str | None = None,
                 **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.error = error
        self.use_case = use_case

    def runtest(self) -> None:
        self.user_properties.append(("prism", json.dumps({
            "use_case": self.use_case, "source": str(self.path), "name": self.name,
            "components": [], "steps": 0, "duration": 0.0})))
        raise self.error

    def repr_failure(self, excinfo: pytest.ExceptionInfo[BaseException], style=None) -> str:
        return str(excinfo.value)

    def reportinfo(self):
        return self.path, 0, f"invalid scenario file {self.path.name}"


class YamlScenarioItem(pytest.Item):
    def __init__(self, *, spec: ScenarioSpec, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.spec = spec

    def runtest(self) -> None:
        spec = self.spec
        suite = Path(spec.source).parent.name or "scenarios"
        label_test(parent_suite="YAML scenarios", suite=suite,
                   feature=spec.use_case or Path(spec.source).stem,
                   use_case=spec.use_case, components=spec.components, tags=spec.tags,
                   severity=spec.severity, description=spec.description or None)
        if spec.example_id:
            # Each example row is its own test, not a retry of the others.
            allure.dynamic.parameter("example", spec.example_id)
        run = ScenarioRun(config=spec.config, start=spec.start, seed=spec.seed,
                          variables=spec.variables, invariants=spec.invariants,
                          reporter=AllureReporter(), telemetry=spec.telemetry,
                          keep=self.config.getoption("keep_stores"))
        try:
            for step in spec.steps:
                run.step(step.action, step.params, where=step.where, save=step.save,
                         expect=step.expect, raises=step.raises, timeout=step.timeout,
                         label=step.label)
        finally:
            record_outcome(self, run, spec.use_case, spec.source)
            run.close()

    def repr_failure(self, excinfo: pytest.ExceptionInfo[BaseException], style=None):
        if isinstance(excinfo.value, ScenarioFailure):
            return str(excinfo.value)
        return super().repr_failure(excinfo)

    def reportinfo(self):
        return self.path, self.spec.line - 1, f"scenario: {self.name}"


def record_outcome(item: pytest.Item, run: ScenarioRun, use_case: str | None,
                   source: str, name: str | None = None) -> None:
    """What the use-case bookkeeping needs: components used and time, per test."""
    item.user_properties.append(("prism", json.dumps({
        "use_case": use_case, "source": source, "name": name or item.name,
        "components": sorted(run.components_used), "steps": len(run.record.steps),
        "duration": run.record.duration})))


# -- Allure: Gherkin steps as Allure steps, report metadata ------------------------------
def pytest_bdd_before_step(request, feature, scenario, step, step_func) -> None:
    request.node.prism_where = f"{feature.rel_filename}:{step.line_number}"


def pytest_bdd_before_step_call(request, feature, scenario, step, step_func,
                                step_func_args) -> None:
    # The sentence's own arguments as parameters; fixtures (scenario_run, request) left out.
    params = {k: v for k, v in step_func_args.items()
              if isinstance(v, str | int | float | bool) and k != "docstring"}
    if step.docstring:
        params["docstring"] = step.docstring
    request.node.prism_bdd_step = allure_bridge.start_step(f"{step.keyword} {step.name}",
                                                           params)


def pytest_bdd_after_step(request, feature, scenario, step, step_func, step_func_args) -> None:
    allure_bridge.stop_step(getattr(request.node, "prism_bdd_step", ""))


def pytest_bdd_step_error(request, feature, scenario, step, step_func, step_func_args,
                          exception) -> None:
    allure_bridge.stop_step(getattr(request.node, "prism_bdd_step", ""), exception)


@pytest.hookimpl(tryfirst=True)
def pytest_bdd_apply_tag(tag: str, function):
    # Feature tags like @use_case:rag_chat are not valid marker names as written.
    getattr(pytest.mark, marker_name(tag))(function)
    return True


def pytest_bdd_before_scenario(request, feature, scenario) -> None:
    tags, use_case, components = feature_tags(scenario.tags, feature.tags)
    request.node.prism_use_case = use_case
    request.node.prism_name = scenario.name
    allure.dynamic.title(scenario.name)
    label_test(parent_suite="Gherkin features",
               suite=Path(feature.rel_filename).parent.name or "features",
               feature=use_case or feature.name, use_case=use_case, components=components,
               tags=tags, severity=None, description=scenario.description or None)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo):
    outcome = yield
    report = outcome.get_result()
    # Scenario failures carry their own file:line and expected/actual; a Python traceback
    # through the engine would only bury it (YAML and Gherkin then read the same).
    if call.excinfo is not None and report.failed and \
            isinstance(call.excinfo.value, ScenarioFailure):
        report.longrepr = str(call.excinfo.value)


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    config = session.config
    results_dir = config.getoption("allure_report_dir", None)
    if not results_dir or hasattr(config, "workerinput"):
        return
    path = Path(results_dir)
    path.mkdir(parents=True, exist_ok=True)
    (path / "categories.json").write_text(json.dumps(allure_bridge.CATEGORIES, indent=2))
    (path / "environment.properties").write_text("\n".join(
        f"{k}={v}" for k, v in environment().items()) + "\n")


def environment() -> dict[str, str]:
    from importlib.metadata import PackageNotFoundError, version

    info = {"python": platform.python_version(), "platform": platform.platform(),
            "cpus": str(os.cpu_count())}
    for package in ("prism-scenarios", "pytest", "pytest-bdd", "allure-pytest", "pydantic",
                    "bm25s"):
        try:
            info[package] = version(package)
        except PackageNotFoundError:
            continue
    return info
