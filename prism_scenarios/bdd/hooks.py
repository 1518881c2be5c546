"""pytest-bdd hooks: Gherkin lines as Allure steps, labels from ``@use_case:``/``@component:``
tags, markers for those namespaced tags, and our Allure categories and environment entries
(merged into the project's, never replacing them).

They act only on *prism scenarios*, i.e. scenarios that run a step of ours (a sentence from
this package, or a user's step taking the ``scenario_run`` fixture). A project's other
features keep their own titles, tags and hooks: ``pytest_bdd_apply_tag`` answers only for
namespaced tags and leaves every other tag to pytest-bdd and the project's conftest.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from prism_scenarios import project
from prism_scenarios.bdd import _lookup
from prism_scenarios.tags import NAMESPACES, OWN_TAGS, feature_tags, marker_name, severity_tag

_CONFIGS: list[pytest.Config] = []


def pytest_configure(config: pytest.Config) -> None:
    # Settings ([tool.prism-scenarios]) belong to the project pytest found, wherever it ran
    # from; they are read when first needed (a YAML file, an action module), not here.
    project.set_project_root(project.project_root(config.rootpath))
    config.addinivalue_line(
        "markers",
        "telemetry: every SUT action of this Gherkin scenario "
        "also leaves telemetry in analytics/ (prism-scenarios)",
    )
    _CONFIGS.append(config)
    _lookup.install()  # pytest-bdd's step lookup, memoised: see _lookup


def pytest_unconfigure(config: pytest.Config) -> None:
    project.set_project_root(None)
    if config in _CONFIGS:
        _CONFIGS.remove(config)
        _lookup.uninstall()


def pytest_sessionfinish(session: pytest.Session) -> None:
    config = session.config
    results_dir = config.getoption("allure_report_dir", None)
    if results_dir and not hasattr(config, "workerinput"):
        from prism_scenarios.allure_metadata import add_report_metadata, environment

        add_report_metadata(Path(results_dir), environment())


@pytest.hookimpl(tryfirst=True)  # pytest-bdd's default would refuse the name first
def pytest_bdd_apply_tag(tag: str, function: Callable[..., Any]) -> bool | None:
    if not (tag.startswith(NAMESPACES) or tag in OWN_TAGS) or not _CONFIGS:
        return None  # not ours: pytest-bdd's default (or the project's own hook) applies it
    name = marker_name(tag)
    _CONFIGS[-1].addinivalue_line("markers", f"{name}: scenario tag '{tag}'")
    getattr(pytest.mark, name)(function)
    return True


@pytest.hookimpl(wrapper=True)
def pytest_make_collect_report(collector: pytest.Collector):
    """pytest-bdd reads feature files while importing the module that binds them; a file that
    is not UTF-8 surfaces as a bare UnicodeDecodeError traceback naming no file. Name it."""
    report = yield
    if (
        report.failed
        and "UnicodeDecodeError" in str(report.longrepr)
        and "pytest_bdd" in str(report.longrepr)
        and collector.path is not None
    ):
        from prism_scenarios.validate import FeatureFileError, parse_feature

        unreadable = []
        for feature in sorted(Path(collector.path).parent.rglob("*.feature")):
            try:
                parse_feature(feature)
            except FeatureFileError as exc:
                unreadable.append(str(exc))
        if unreadable:
            report.longrepr = (
                f"{collector.nodeid}: pytest-bdd cannot read the feature "
                "files it binds:\n  " + "\n  ".join(unreadable)
            )
    return report


def _is_ours(step_func: Callable[..., Any]) -> bool:
    module = getattr(step_func, "__module__", None) or ""
    if module.startswith("prism_scenarios."):
        return True
    try:
        return "scenario_run" in inspect.signature(step_func).parameters
    except (TypeError, ValueError):
        return False


def _adopt(request: pytest.FixtureRequest, feature: Any, scenario: Any) -> None:
    """First step of ours in this scenario: label the test for Allure and the bookkeeping."""
    import allure

    from prism_scenarios.allure_bridge import label_test

    node = request.node
    node.prism_scenario = True
    tags, use_case, components = feature_tags(scenario.tags, feature.tags)
    node.prism_use_case = use_case
    node.prism_tags = tags
    node.prism_name = scenario.name
    if getattr(getattr(node, "function", None), "__allure_display_name__", None) is None:
        allure.dynamic.title(scenario.name)  # a project's own @allure.title stays
    label_test(
        parent_suite="Gherkin features",
        suite=Path(feature.rel_filename).parent.name or "features",
        feature=use_case or feature.name,
        use_case=use_case,
        components=components,
        tags=tags,
        severity=severity_tag(tags),
        description=scenario.description or None,
    )


def pytest_bdd_before_step(request, feature, scenario, step, step_func) -> None:
    if not getattr(request.node, "prism_scenario", False):
        if not _is_ours(step_func):
            return
        _adopt(request, feature, scenario)
    request.node.prism_where = f"{feature.rel_filename}:{step.line_number}"


def pytest_bdd_before_step_call(
    request, feature, scenario, step, step_func, step_func_args
) -> None:
    if not getattr(request.node, "prism_scenario", False) or not _allure_listens():
        return
    # The sentence's own arguments as parameters; fixtures (scenario_run, request) left out.
    params = {
        k: v
        for k, v in step_func_args.items()
        if isinstance(v, str | int | float | bool) and k != "docstring"
    }
    if step.docstring:
        params["docstring"] = step.docstring
    from prism_scenarios import allure_bridge

    request.node.prism_bdd_step = allure_bridge.start_step(f"{step.keyword} {step.name}", params)


def _allure_listens() -> bool:
    """Whether anything records Allure steps (allure-pytest registers its listener only with
    ``--alluredir``). Without one, a Gherkin line's Allure step would be a uuid4 and two hook
    calls that reach nobody: ~6 µs a step (benchmarks/bench_bdd.py)."""
    from allure_commons import plugin_manager

    return bool(plugin_manager.hook.start_step.get_hookimpls())


def _stop(request: pytest.FixtureRequest, error: BaseException | None = None) -> None:
    step_id = getattr(request.node, "prism_bdd_step", None)
    if step_id is not None:
        from prism_scenarios import allure_bridge

        request.node.prism_bdd_step = None
        allure_bridge.stop_step(step_id, error)


def pytest_bdd_after_step(request, feature, scenario, step, step_func, step_func_args) -> None:
    _stop(request)


def pytest_bdd_step_error(
    request, feature, scenario, step, step_func, step_func_args, exception
) -> None:
    _stop(request, exception)
