"""The full pytest plugin: YAML scenario files become test items, Gherkin features get the
engine's vocabulary, everything reports to Allure.

Loaded only when a project asks for it (see :mod:`prism_scenarios.pytest_entry`); even then
the loader, the engine, the store and Allure load only once a scenario is collected or run,
so an opted-in project's plain tests start as fast as before.

- A ``.yaml``/``.yml`` file under the paths pytest collects is a scenario file when it has a
  top-level ``scenarios:`` key or was named on the command line (:mod:`.discovery`);
  ``scenario_exclude`` under ``[tool.prism-scenarios]`` (globs relative to the project root)
  leaves files out. Each scenario (× example row) is one item.
- Tags become markers (``use_case:rag_chat`` → ``use_case_rag_chat``: pytest cannot register
  a marker name holding ``:``), so ``-m``, ``-k``, ``--lf`` and xdist work as for any test.
- A file that fails validation yields one failing item that lists every problem; none of its
  scenarios run.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from prism_scenarios import discovery
from prism_scenarios.errors import ScenarioFailure, ScenarioFileError
from prism_scenarios.outcome import TestOutcome, attach
from prism_scenarios.tags import marker_name

if TYPE_CHECKING:
    from prism_scenarios.engine import ScenarioRun
    from prism_scenarios.loader import ScenarioSpec

pytest_plugins = ["prism_scenarios.bdd"]


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("prism-scenarios")
    group.addoption(
        "--keep-stores",
        action="store_true",
        help="keep each scenario's temp store root for inspection",
    )


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "scenario: a YAML or Gherkin scenario")


def register_marker(config: pytest.Config, tag: str) -> str:
    """The marker for ``tag``, registered so ``--strict-markers`` accepts it."""
    name = marker_name(tag)
    config.addinivalue_line("markers", f"{name}: scenario tag '{tag}'")
    return name


def _named_on_command_line(config: pytest.Config, file_path: Path) -> bool:
    for arg in config.args:
        candidate = Path(arg.split("::", 1)[0])
        if not candidate.is_absolute():
            candidate = config.invocation_params.dir / candidate
        if candidate == file_path:
            return True
    return False


def pytest_collect_file(file_path: Path, parent: pytest.Collector) -> pytest.Collector | None:
    if file_path.suffix not in discovery.YAML_SUFFIXES:
        return None
    config = parent.config
    from prism_scenarios import settings

    try:
        project = settings.load()
    except settings.SettingsError as exc:
        raise pytest.UsageError(str(exc)) from None
    if discovery.excluded(file_path, project.scenario_exclude, project.root):
        return None
    if not (
        discovery.looks_like_scenario_file(file_path) or _named_on_command_line(config, file_path)
    ):
        return None
    return YamlScenarioFile.from_parent(parent, path=file_path)


class YamlScenarioFile(pytest.File):
    def collect(self):
        from prism_scenarios.loader import load_file

        rel = os.path.relpath(self.path, self.config.rootpath)
        try:
            spec = load_file(self.path, display=rel)
        except ScenarioFileError as exc:
            yield InvalidScenarioFile.from_parent(
                self, name="<invalid scenario file>", error=exc, use_case=exc.use_case
            )
            return
        for scenario in spec.scenarios:
            item = YamlScenarioItem.from_parent(self, name=scenario.display_name, spec=scenario)
            item.add_marker("scenario")
            for tag in scenario.tags + (
                [f"use_case:{scenario.use_case}"] if scenario.use_case else []
            ):
                item.add_marker(register_marker(self.config, tag))
            if scenario.skip:
                item.add_marker(pytest.mark.skip(reason=scenario.skip))
            if scenario.xfail:
                item.add_marker(pytest.mark.xfail(reason=scenario.xfail, strict=True))
            yield item


class InvalidScenarioFile(pytest.Item):
    def __init__(
        self, *, error: ScenarioFileError, use_case: str | None = None, **kwargs: Any
    ) -> None:
        super().__init__(**kwargs)
        self.error = error
        self.use_case = use_case

    def runtest(self) -> None:
        attach(
            self,
            TestOutcome(
                use_case=self.use_case,
                source=str(self.path),
                name=self.name,
                components=(),
                steps=0,
                duration=0.0,
                tags=(),
                severity=None,
            ),
        )
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
        import allure

        from prism_scenarios.allure_bridge import AllureReporter, label_test
        from prism_scenarios.engine import ScenarioRun

        spec = self.spec
        suite = Path(spec.source).parent.name or "scenarios"
        label_test(
            parent_suite="YAML scenarios",
            suite=suite,
            feature=spec.use_case or Path(spec.source).stem,
            use_case=spec.use_case,
            components=spec.components,
            tags=spec.tags,
            severity=spec.severity,
            description=spec.description or None,
        )
        if spec.example_id:
            # Each example row is its own test, not a retry of the others.
            allure.dynamic.parameter("example", spec.example_id)
        run = ScenarioRun(
            config=spec.config,
            start=spec.start,
            seed=spec.seed,
            variables=spec.variables,
            invariants=spec.invariants,
            observers=[AllureReporter()],
            telemetry=spec.telemetry,
            keep=self.config.getoption("keep_stores"),
            attack=spec.attack,
        )
        try:
            for step in spec.steps:
                run.step(
                    step.action,
                    step.params,
                    where=step.where,
                    save=step.save,
                    expect=step.expect,
                    raises=step.raises,
                    timeout=step.timeout,
                    label=step.label,
                    attack_outcome=step.attack_outcome,
                    read_back=step.read_back,
                )
        finally:
            record_outcome(self, run, spec.use_case, spec.source, tags=spec.tags)
            run.close()

    def repr_failure(self, excinfo: pytest.ExceptionInfo[BaseException], style=None):
        if isinstance(excinfo.value, ScenarioFailure):
            return str(excinfo.value)
        return super().repr_failure(excinfo)

    def reportinfo(self):
        return self.path, self.spec.line - 1, f"scenario: {self.name}"


def record_outcome(
    item: pytest.Item,
    run: ScenarioRun,
    use_case: str | None,
    source: str,
    name: str | None = None,
    tags: list[str] | None = None,
) -> None:
    """What the use-case bookkeeping needs: components used and time, per test; the tags
    as written in the file (the integration report reads e.g. ``rollback`` from them)."""
    attach(
        item,
        TestOutcome(
            use_case=use_case,
            source=source,
            name=name or item.name,
            components=tuple(sorted(run.components_used)),
            steps=len(run.record.steps),
            duration=float(run.record.duration),
            tags=tuple(sorted(set(tags or []))),
            severity=getattr(getattr(item, "spec", None), "severity", None),
        ),
    )


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo):
    outcome = yield
    report = outcome.get_result()
    # Scenario failures carry their own file:line and expected/actual; a Python traceback
    # through the engine would only bury it (YAML and Gherkin then read the same).
    if (
        call.excinfo is not None
        and report.failed
        and isinstance(call.excinfo.value, ScenarioFailure)
    ):
        report.longrepr = str(call.excinfo.value)
