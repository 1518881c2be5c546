"""Engine steps → Allure steps (allure-pytest only; no allure-pytest-bdd, which clashes).

Each engine step becomes an Allure step titled ``action(param=value, …)`` with its parameters,
its result attached as JSON, and its failure (expected vs actual) as the step's status details.
Titles, parameters and results come in the engine's display form: ``${env:...}`` values masked;
a failed step's error (its status details) has every form of a secret masked by the engine
before it gets here (docs/expectations.md).
With no ``--alluredir`` the hooks have no listener and cost next to nothing.
"""

from __future__ import annotations

import itertools
import json
import time
import uuid
from typing import Any

import allure
from allure_commons import plugin_manager
from allure_commons.model2 import Parameter, TestStepResult

from prism_scenarios.engine import StepRecord

MAX_ATTACHMENT = 64 * 1024
CATEGORIES = [
    {
        "name": "Invariant breach",
        "matchedStatuses": ["failed"],
        "messageRegex": r"[\s\S]*invariant broken[\s\S]*",
    },
    {
        "name": "ThresholdBreach",
        "matchedStatuses": ["failed"],
        "messageRegex": r"[\s\S]*threshold breached[\s\S]*",
    },
    {
        "name": "Scenario error",
        "matchedStatuses": ["failed", "broken"],
        "messageRegex": r"[\s\S]*scenario error: [\s\S]*",
    },
    {"name": "Product defect", "matchedStatuses": ["failed"]},
    {"name": "Broken (unexpected exception in the runner)", "matchedStatuses": ["broken"]},
]


def _param_text(value: Any) -> str:
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, default=str)
    return text if len(text) <= 200 else text[:199] + "…"


_step_ids = itertools.count()


def _active_logger() -> Any:
    """allure-pytest's result logger when ``--alluredir`` is on, else None."""
    for plugin in plugin_manager.get_plugins():
        logger = getattr(plugin, "allure_logger", None)
        if logger is not None:
            return logger
    return None


def _now_ms() -> int:
    return round(1000 * time.time())


class AllureReporter:
    """The engine's Allure observer (:class:`~prism_scenarios.engine.StepObserver`): a run
    registers it, the engine never names it. Talks to allure-pytest's logger directly: the
    per-step cost budget is a few µs, and a pluggy hook call plus a uuid4 per step would
    spend most of it."""

    def __init__(self) -> None:
        self._logger = _active_logger()
        self._open: dict[int, str] = {}

    def step_started(self, record: StepRecord) -> None:
        if self._logger is None:
            return
        step_id = f"prism-step-{next(_step_ids)}"
        self._open[id(record)] = step_id
        params = [Parameter(name=k, value=_param_text(v)) for k, v in record.params.items()]
        self._logger.start_step(
            None, step_id, TestStepResult(name=record.title, start=_now_ms(), parameters=params)
        )

    def step_finished(self, record: StepRecord) -> None:
        step_id = self._open.pop(id(record), None)
        if step_id is None:
            return
        result = record.shown_result  # ${env:...} values masked
        if result is not None:
            body = json.dumps(result, indent=2, ensure_ascii=False, default=str)
            if len(body) > MAX_ATTACHMENT:
                body = body[:MAX_ATTACHMENT] + "\n… (truncated)"
            allure.attach(body, name="result", attachment_type=allure.attachment_type.JSON)
        from allure_pytest.utils import get_status, get_status_details

        error = record.error
        self._logger.stop_step(
            step_id,
            stop=_now_ms(),
            status=get_status(error),
            statusDetails=get_status_details(
                type(error) if error else None, error, error.__traceback__ if error else None
            ),
        )


def start_step(title: str, params: dict[str, Any] | None = None) -> str:
    """An Allure step that is not an engine step (a Gherkin Given/When/Then line)."""
    step_id = str(uuid.uuid4())
    plugin_manager.hook.start_step(
        uuid=step_id, title=title, params={k: _param_text(v) for k, v in (params or {}).items()}
    )
    return step_id


def stop_step(step_id: str, error: BaseException | None = None) -> None:
    plugin_manager.hook.stop_step(
        uuid=step_id,
        exc_type=type(error) if error else None,
        exc_val=error,
        exc_tb=error.__traceback__ if error else None,
    )


def label_test(
    *,
    suite: str | None,
    feature: str | None,
    use_case: str | None,
    components: list[str],
    tags: list[str],
    severity: str | None,
    description: str | None = None,
    parent_suite: str | None = None,
) -> None:
    """Labels that let the report group tests by suite, use case and component."""
    if parent_suite:
        allure.dynamic.parent_suite(parent_suite)
    if suite:
        allure.dynamic.suite(suite)
    if feature:
        allure.dynamic.feature(feature)
    if use_case:
        allure.dynamic.label("use_case", use_case)
        allure.dynamic.story(use_case)
    for component in components:
        allure.dynamic.label("component", component)
    if tags:
        allure.dynamic.tag(*tags)
        from prism_scenarios.tags import asvs_ids

        for requirement in asvs_ids(tags):  # OWASP ASVS ids: one ``asvs`` label each
            allure.dynamic.label("asvs", requirement)
    if severity:
        allure.dynamic.severity(allure.severity_level(severity))
    if description:
        allure.dynamic.description(description)
