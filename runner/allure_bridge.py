"""Engine steps → Allure steps (allure-pytest only; no allure-pytest-bdd, which clashes).

Each engine step becomes an Allure step titled ``action(param=value, …)`` with its parameters,
its result attached as JSON, and its failure (expected vs actual) as the step's status details.
With no ``--alluredir`` the hooks have no listener and cost next to nothing.
"""

from __future__ import annotations

import json
import uuid
from typing import Any

import allure
from allure_commons import plugin_manager

from runner.engine import StepRecord

MAX_ATTACHMENT = 64 * 1024
CATEGORIES = [
    {"name": "Invariant breach", "matchedStatuses": ["failed"],
     "messageRegex": "(?s).*invariant broken.*"},
    {"name": "Threshold breach", "matchedStatuses": ["failed"],
     "messageRegex": "(?s).*threshold breached.*"},
    {"name": "Scenario error", "matchedStatuses": ["failed", "broken"],
     "messageRegex": "(?s).*scenario error: .*"},
    {"name": "Product defect", "matchedStatuses": ["failed"]},
    {"name": "Broken (unexpected exception in the runner)", "matchedStatuses": ["broken"]},
]


def _param_text(value: Any) -> str:
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False,
                                                           default=str)
    return text if len(text) <= 200 else text[:199] + "…"


class AllureReporter:
    def __init__(self) -> None:
        self._open: dict[int, str] = {}

    def step_started(self, record: StepRecord) -> None:
        step_id = str(uuid.uuid4())
        self._open[id(record)] = step_id
        params = {k: _param_text(v) for k, v in record.params.items()}
        plugin_manager.hook.start_step(uuid=step_id, title=record.title, params=params)

    def step_finished(self, record: StepRecord) -> None:
        step_id = self._open.pop(id(record), None)
        if step_id is None:
            return
        if record.result is not None:
            body = json.dumps(record.result, indent=2, ensure_ascii=False, default=str)
            if len(body) > MAX_ATTACHMENT:
                body = body[:MAX_ATTACHMENT] + "\n… (truncated)"
            allure.attach(body, name="result", attachment_type=allure.attachment_type.JSON)
        error = record.error
        plugin_manager.hook.stop_step(uuid=step_id,
                                      exc_type=type(error) if error else None,
                                      exc_val=error, exc_tb=error.__traceback__ if error
                                      else None)


def start_step(title: str, params: dict[str, Any] | None = None) -> str:
    """An Allure step that is not an engine step (a Gherkin Given/When/Then line)."""
    step_id = str(uuid.uuid4())
    plugin_manager.hook.start_step(uuid=step_id, title=title,
                                   params={k: _param_text(v) for k, v in (params or {}).items()})
    return step_id


def stop_step(step_id: str, error: BaseException | None = None) -> None:
    plugin_manager.hook.stop_step(uuid=step_id, exc_type=type(error) if error else None,
                                  exc_val=error, exc_tb=error.__traceback__ if error else None)


def label_test(*, suite: str | None, feature: str | None, use_case: str | None,
               components: list[str], tags: list[str], severity: str | None,
               description: str | None = None) -> None:
    """Labels that let the report group tests by suite, use case and component."""
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
    if severity:
        allure.dynamic.severity(allure.severity_level(severity))
    if description:
        allure.dynamic.description(description)
