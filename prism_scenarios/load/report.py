"""What a load run leaves behind: ``load_report.json`` per load file, one Allure test per
load file (thresholds as steps with measured values, charts attached), and the performance
fields of the integration report."""

from __future__ import annotations

import json
import time
import uuid
from pathlib import Path

from prism_scenarios.load import charts
from prism_scenarios.load.results import LoadResult, summary

BREACH_MARKER = "ThresholdBreach: threshold breached"


def failure_message(result: LoadResult) -> str | None:
    lines = [v.describe() for v in result.breached]
    if result.aborted:
        lines.append(f"the run was aborted ({result.aborted})")
    if result.template_changed_by:
        lines.append(
            "the shared test data was changed by: " + ", ".join(result.template_changed_by)
        )
    if not lines:
        return None
    return f"{BREACH_MARKER} in load test {result.plan.name!r}:\n  " + "\n  ".join(lines)


def write_json(result: LoadResult, folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{result.plan.name}.load_report.json"
    path.write_text(json.dumps(summary(result), indent=2))
    return path


def write_allure(result: LoadResult, results_dir: Path, started: float) -> None:
    from allure_commons.logger import AllureFileLogger
    from allure_commons.model2 import (
        Attachment,
        Label,
        Parameter,
        StatusDetails,
        TestResult,
        TestStepResult,
    )

    logger = AllureFileLogger(str(results_dir))
    stop = int(time.time() * 1000)
    begin = int(started * 1000)
    plan = result.plan
    steps = []
    for verdict in result.verdicts:
        shown = "no data" if verdict.measured is None else f"{verdict.measured:.6g}"
        steps.append(
            TestStepResult(
                name=f"threshold {verdict.threshold.label} (measured {shown})",
                status="passed" if verdict.passed else "failed",
                start=begin,
                stop=stop,
                parameters=[
                    Parameter(name="measured", value=shown),
                    Parameter(
                        name="abort_on_fail", value=str(verdict.threshold.abort_on_fail).lower()
                    ),
                ],
                statusDetails=None
                if verdict.passed
                else StatusDetails(message=f"{BREACH_MARKER}: {verdict.describe()}"),
            )
        )
    for name, metric in sorted(result.metrics.by_name.items()):
        if not name.startswith("scenario:"):
            continue
        figures = metric.summary()
        steps.append(
            TestStepResult(
                name=f"{name}: {figures['count']} iterations, p95 {figures['p95_ms']} ms, "
                f"success {figures['rate']}",
                status="passed" if not figures["failed"] else "failed",
                start=begin,
                stop=stop,
                parameters=[Parameter(name=k, value=str(v)) for k, v in figures.items()],
            )
        )
    attachments = []
    for title, body in (
        ("latency over time", charts.latency_over_time(result.metrics, plan.name)),
        ("latency histogram", charts.latency_histogram(result.metrics, plan.name)),
    ):
        source = f"{uuid.uuid4()}-attachment.png"
        logger.report_attached_data(body, source)
        attachments.append(Attachment(name=title, source=source, type="image/png"))
    report = json.dumps(summary(result), indent=2)
    source = f"{uuid.uuid4()}-attachment.json"
    logger.report_attached_data(report, source)
    attachments.append(Attachment(name="load_report.json", source=source, type="application/json"))
    message = failure_message(result)
    if result.samples:
        errors = "\n".join(
            f"- {s['scenario']}: {s['error']}: {s['message'][:300]}" for s in result.samples[:5]
        )
        message = (message + "\n" if message else "") + "iteration failures:\n" + errors
    test = TestResult(
        uuid=str(uuid.uuid4()),
        name=f"load: {plan.name}",
        fullName=f"{plan.source}::load[{plan.profile or 'default'}]",
        historyId=f"load:{plan.source}:{plan.profile or 'default'}",
        status="passed" if result.passed else "failed",
        statusDetails=StatusDetails(message=message) if message else None,
        start=begin,
        stop=stop,
        steps=steps,
        attachments=attachments,
        description=plan.description or None,
        parameters=[
            Parameter(name="profile", value=plan.profile or "default"),
            Parameter(name="executor", value=result.executor),
        ],
        labels=[
            Label(name="parentSuite", value="Load"),
            Label(name="suite", value="load"),
            Label(name="feature", value=plan.name),
            Label(name="tag", value="load"),
            Label(name="framework", value="prism-scenarios"),
        ],
    )
    logger.report_result(test)
