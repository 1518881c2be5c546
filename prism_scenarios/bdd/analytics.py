"""Analytics and audit in words: recorded operations, alerts raised and resolved, user events,
and what the files under ``analytics/`` (do not) contain. Thin calls to ``analytics.*``,
``audit.*`` and ``files.*`` actions.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from pytest_bdd import given, parsers, then, when

# the scenario_run fixture comes with prism_scenarios.bdd.steps, loaded first as a step plugin
from prism_scenarios.bdd.steps import where

if TYPE_CHECKING:  # the engine loads when a scenario first runs, not with the plugin
    from prism_scenarios.engine import ScenarioRun

ALERTS = "analytics/monitoring/alerts.json"
AUDIT_LOG = "analytics/compliance/audit_logs.jsonl"


@given("the analytics system is initialised")
def analytics_initialised(scenario_run: ScenarioRun, request) -> None:
    scenario_run.step("analytics.init", {}, where=where(request))


@when(
    parsers.re(
        r'(?P<n>\d+) "(?P<component>[^"]+)" operations? (?P<outcome>succeed|fail)s? '
        r"in (?P<ms>\d+) ms$"
    )
)
def operations(
    scenario_run: ScenarioRun, request, n: str, component: str, outcome: str, ms: str
) -> None:
    scenario_run.step(
        "analytics.record_operation",
        {
            "component": component,
            "duration_ms": int(ms),
            "success": outcome == "succeed",
            "times": int(n),
        },
        where=where(request),
    )


@when("the metrics are collected")
def metrics_collected(scenario_run: ScenarioRun, request) -> None:
    scenario_run.step("analytics.collect", {}, where=where(request))


@then(parsers.re(r"an? (?P<alert_type>\w+) alert is open$"))
def alert_open(scenario_run: ScenarioRun, request, alert_type: str) -> None:
    """Read from ``alerts.json``: exactly one unresolved alert of that type."""
    scenario_run.step(
        "files.read_json",
        {"path": ALERTS},
        where=where(request),
        expect=[
            {"path": f"alerts[?alert_type=='{alert_type}' && !resolved] | length(@)", "equals": 1}
        ],
    )


@then(parsers.re(r"no (?P<alert_type>\w+) alert is open$"))
def alert_not_open(scenario_run: ScenarioRun, request, alert_type: str) -> None:
    scenario_run.step(
        "files.read_json",
        {"path": ALERTS},
        where=where(request),
        expect=[
            {"path": f"alerts[?alert_type=='{alert_type}' && !resolved] | length(@)", "equals": 0}
        ],
    )


@when(
    parsers.re(
        r'"(?P<user>[^"]+)" (?P<verb>acknowledges|resolves) the (?P<alert_type>\w+) '
        r"alert$"
    )
)
def handle_alert(scenario_run: ScenarioRun, request, user: str, verb: str, alert_type: str) -> None:
    scenario_run.step(
        "analytics.active_alerts",
        {},
        where=where(request),
        save={"open_alert": f"[?alert_type=='{alert_type}'] | [0].alert_id"},
    )
    if verb == "acknowledges":
        scenario_run.step(
            "analytics.acknowledge",
            {"alert_id": "${open_alert}", "acknowledged_by": user},
            where=where(request),
        )
    else:
        scenario_run.step(
            "analytics.resolve",
            {"alert_id": "${open_alert}", "resolved_by": user},
            where=where(request),
        )


@when(
    parsers.re(
        r'"(?P<user>[^"]+)" (?P<event>starts|ends) (?:a |the )?session '
        r'"(?P<session>[^"]+)"$'
    )
)
def session_event(scenario_run: ScenarioRun, request, user: str, event: str, session: str) -> None:
    event_type = "session_start" if event == "starts" else "session_end"
    scenario_run.step(
        "analytics.record_event",
        {"user_id": user, "session_id": session, "event_type": event_type},
        where=where(request),
    )


@when(
    parsers.re(
        r'"(?P<user>[^"]+)" uses the "(?P<feature>[^"]+)" feature in '
        r'"(?P<session>[^"]+)"$'
    )
)
def feature_used(scenario_run: ScenarioRun, request, user: str, feature: str, session: str) -> None:
    scenario_run.step(
        "analytics.record_event",
        {
            "user_id": user,
            "session_id": session,
            "event_type": "feature_usage",
            "event_data": {"feature": feature},
        },
        where=where(request),
    )


@then(parsers.re(r'no (?P<folder>analytics|audit) file mentions "(?P<text>[^"]+)"$'))
def no_file_mentions(scenario_run: ScenarioRun, request, folder: str, text: str) -> None:
    path = "analytics" if folder == "analytics" else "analytics/compliance"
    scenario_run.step(
        "files.grep", {"path": path, "text": text}, where=where(request), expect=[{"equals": []}]
    )


@then(
    parsers.re(
        r'the audit log records "(?P<event_type>\w+)" with outcome '
        r"(?P<outcome>success|denied|failure)$"
    )
)
def audit_records(scenario_run: ScenarioRun, request, event_type: str, outcome: str) -> None:
    """Read from ``audit_logs.jsonl``; denied and failure entries must also be in the
    security view (``security_events.jsonl``)."""
    scenario_run.step(
        "files.read_jsonl",
        {"path": AUDIT_LOG},
        where=where(request),
        expect=[{"path": f"[?event_type=='{event_type}'].outcome", "contains": outcome}],
    )
    if outcome != "success":
        scenario_run.step(
            "files.read_jsonl",
            {"path": "analytics/compliance/security_events.jsonl"},
            where=where(request),
            expect=[{"path": "[*].event_type", "contains": event_type}],
        )
