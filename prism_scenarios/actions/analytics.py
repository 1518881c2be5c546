"""Actions over metrics, alerts, user analytics and the audit log
(``FFMetricsCollectionManager`` + ``AuditLog``), all on files under ``analytics/``.

Host readings (CPU, memory, disk) come from psutil and cannot be forced, so deterministic alert
scenarios either feed a sample to ``analytics.evaluate_alerts`` (``metrics``), or drive error
rate and response time with ``analytics.record_operation``, or set thresholds in the scenario's
``config:`` (a percentage never exceeds 100). ``files.grep`` reads every stored file of a
folder, to prove that no raw user id reached ``analytics/``.
"""

from __future__ import annotations

import asyncio
import os
import re
import time
from typing import Annotated, Any, NotRequired, Required

from pydantic import Field
from typing_extensions import TypedDict

from flatfile_chat.analytics import FFMetricsCollectionManager
from flatfile_chat.analytics.models import (
    FFAnalyticsAlertDTO,
    FFSystemHealthDTO,
    FFSystemMetricsDTO,
)
from flatfile_chat.config.analytics import FFAnalyticsAlertingConfigDTO
from flatfile_chat.errors import NotFound
from flatfile_chat.store.models import FFMessageDTO
from prism_scenarios.actions.checks import store_path
from prism_scenarios.actions.outputs import FreeForm, JSONValue, closed
from prism_scenarios.actions.registry import REAL_TIME_WAIT, Params, action, fuzz_max
from prism_scenarios.components import Component
from prism_scenarios.errors import WaitTimedOut
from prism_scenarios.world import component_factory

COLLECTOR_TASK = "ffchat-analytics-collector"  # the name the manager gives its task


@component_factory("analytics")
def _analytics(world) -> FFMetricsCollectionManager:
    return FFMetricsCollectionManager(world.store, audit=world.audit)


def _manager(world) -> FFMetricsCollectionManager:
    return world.manager("analytics")


class AnalyticsNoParams(Params):
    pass


class AnalyticsInit(Params):
    start_collection: bool | None = Field(
        None,
        description="start background collection "
        "(default: enable_real_time_metrics,"
        " off in scenarios)",
    )


@closed
class AnalyticsMetadata(TypedDict):
    """``analytics/analytics_metadata.json``."""

    analytics_system_id: str
    initialized_at: str
    last_initialized_at: str
    analytics_level: str
    privacy_config: Annotated[
        dict[str, JSONValue],
        Field(
            description="the privacy settings in effect (analytics.privacy; anonymization_key "
            "shown only as {source})"
        ),
    ]
    collection_config: Annotated[
        dict[str, JSONValue],
        Field(description="the other analytics settings (analytics, without privacy and alerting)"),
    ]
    alerting_config: FFAnalyticsAlertingConfigDTO


@action("analytics.init", component=Component.ANALYTICS)
async def analytics_init(world, p: AnalyticsInit) -> AnalyticsMetadata:
    """Create every ``analytics/**/*.jsonl`` file (empty) and write
    ``analytics/analytics_metadata.json``; returns the metadata."""
    return await _manager(world).initialize_analytics_system(start_collection=p.start_collection)


# -- system metrics, operations, alerts -------------------------------------------------
@action("analytics.collect", component=Component.ANALYTICS)
async def analytics_collect(world, p: AnalyticsNoParams) -> FFSystemMetricsDTO:
    """Sample the host (psutil) and the operation window (error rate, p95 response time);
    append ``system_metrics/resource_usage.jsonl`` and ``error_rates.jsonl``; check every
    alert threshold. Returns the sample."""
    return await _manager(world).collect_system_metrics()


class RecordOperation(Params):
    component: str = Field(description="the observed component, e.g. 'search'")
    duration_ms: float
    success: bool = True
    error_type: str | None = None
    times: int = Field(
        1, ge=1, json_schema_extra=fuzz_max(5), description="record this many identical operations"
    )


@closed
class OperationLine(TypedDict):
    """One line of ``system_metrics/performance.jsonl``."""

    timestamp: str
    component: str
    duration_ms: float
    success: bool
    error_type: str | None


@action("analytics.record_operation", component=Component.ANALYTICS)
async def analytics_record_operation(world, p: RecordOperation) -> list[OperationLine]:
    """Record observed operations (``system_metrics/performance.jsonl``), which feed the
    error-rate and response-time thresholds; returns the recorded lines."""
    manager = _manager(world)
    return [
        await manager.record_operation(
            p.component, p.duration_ms, p.success, error_type=p.error_type
        )
        for _ in range(p.times)
    ]


class EvaluateAlerts(Params):
    metrics: dict[str, Any] | None = Field(
        None,
        description="a sample to check, e.g. {cpu_percent: 97}; a fresh psutil sample if unset",
    )


@action("analytics.evaluate_alerts", component=Component.ANALYTICS)
async def analytics_evaluate_alerts(world, p: EvaluateAlerts) -> list[FFAnalyticsAlertDTO]:
    """Check every threshold against ``metrics`` (or a fresh sample), escalate overdue
    alerts, store changes in ``analytics/monitoring/alerts.json``; returns the alerts raised
    now (breaches of an open alert update it; cooldown and the hourly cap suppress)."""
    return await _manager(world).evaluate_alerts(p.metrics)


@action("analytics.alerts", component=Component.ANALYTICS)
async def analytics_alerts(world, p: AnalyticsNoParams) -> list[FFAnalyticsAlertDTO]:
    """Every stored alert, resolved ones included, in the order raised."""
    return await _manager(world).list_alerts()


class ActiveAlerts(Params):
    severity: str | None = Field(None, description="info, warning, error or critical")


@action("analytics.active_alerts", component=Component.ANALYTICS)
async def analytics_active_alerts(world, p: ActiveAlerts) -> list[FFAnalyticsAlertDTO]:
    """Unresolved alerts (optionally of one severity)."""
    return await _manager(world).get_active_alerts(p.severity)


class Acknowledge(Params):
    alert_id: str
    acknowledged_by: str = Field(description="who acknowledges (pseudonymised when stored)")


@action("analytics.acknowledge", component=Component.ANALYTICS)
async def analytics_acknowledge(world, p: Acknowledge) -> FFAnalyticsAlertDTO:
    """Acknowledge an open alert (stops its escalation); audited (``alert_acknowledged``)."""
    return await _manager(world).acknowledge_alert(p.alert_id, p.acknowledged_by)


class Resolve(Params):
    alert_id: str
    notes: str = Field("", description="resolution notes (scrubbed of the resolver's id)")
    resolved_by: str | None = None


@action("analytics.resolve", component=Component.ANALYTICS)
async def analytics_resolve(world, p: Resolve) -> FFAnalyticsAlertDTO:
    """Resolve an open alert; audited (``alert_resolved``). A new alert of the same type
    needs the cooldown to have passed since this one was raised."""
    return await _manager(world).resolve_alert(p.alert_id, p.notes, resolved_by=p.resolved_by)


@action("analytics.health", component=Component.ANALYTICS)
async def analytics_health(world, p: AnalyticsNoParams) -> FFSystemHealthDTO:
    """Collect, check every threshold, append ``system_metrics/health_checks.jsonl``; returns
    ``{status, checks, active_alerts, raised_alerts, suppressed_alerts}``."""
    return await _manager(world).get_system_health()


# -- background collection --------------------------------------------------------------
def _collector_tasks() -> int:
    return sum(
        1 for task in asyncio.all_tasks() if task.get_name() == COLLECTOR_TASK and not task.done()
    )


@closed
class CollectionStarted(TypedDict):
    started: Annotated[bool, Field(description="false when it was already running")]
    collecting: bool
    collector_tasks: Annotated[int, Field(description="collector tasks alive on the loop")]


@closed
class CollectionStopped(TypedDict):
    stopped: Annotated[bool, Field(description="false when it was not running")]
    collecting: bool
    collector_tasks: Annotated[int, Field(description="collector tasks still alive")]


@action("analytics.start_collection", component=Component.ANALYTICS)
async def analytics_start_collection(world, p: AnalyticsNoParams) -> CollectionStarted:
    """Start background collection (every ``collection_interval_seconds``, real time, while
    steps run); returns ``{started, collecting, collector_tasks}``."""
    manager = _manager(world)
    started = await manager.start_continuous_collection()
    return {
        "started": started,
        "collecting": manager.collecting,
        "collector_tasks": _collector_tasks(),
    }


@action("analytics.stop_collection", component=Component.ANALYTICS)
async def analytics_stop_collection(world, p: AnalyticsNoParams) -> CollectionStopped:
    """Stop background collection and wait for its task; returns ``{stopped, collecting,
    collector_tasks}`` (``collector_tasks``: collector tasks still alive on the loop)."""
    manager = _manager(world)
    stopped = await manager.stop_continuous_collection()
    return {
        "stopped": stopped,
        "collecting": manager.collecting,
        "collector_tasks": _collector_tasks(),
    }


class AwaitSamples(Params):
    count: int = Field(description="wait until resource_usage.jsonl has this many lines")
    within_seconds: float = Field(
        5.0,
        ge=0,
        json_schema_extra=REAL_TIME_WAIT,
        description="real-time limit (WaitTimedOut, a TimeoutError, after)",
    )


@action("analytics.await_samples", component=Component.ANALYTICS)
async def analytics_await_samples(world, p: AwaitSamples) -> int:
    """Let background collection run until ``system_metrics/resource_usage.jsonl`` holds
    ``count`` samples; returns the line count. Raises ``WaitTimedOut`` (a TimeoutError) after
    ``within_seconds`` (which is how a scenario proves that a stopped collector adds
    nothing)."""
    fs = world.store.fs
    path = _manager(world).paths.system("resource_usage")
    deadline = time.monotonic() + p.within_seconds
    while (lines := fs.count_jsonl(path)) < p.count:
        if time.monotonic() >= deadline:
            raise WaitTimedOut(
                f"{fs.rel(path)} has {lines} samples after "
                f"{p.within_seconds:g} s, expected {p.count}"
            )
        await asyncio.sleep(0.005)
    return lines


# -- user analytics ---------------------------------------------------------------------
class RecordEvent(Params):
    user_id: str
    session_id: str
    event_type: str = Field(
        description="session_start, session_end, feature_usage or content_interaction"
    )
    event_data: dict[str, Any] | None = Field(
        None, description="feature_usage needs 'feature', content_interaction 'interaction_type'"
    )


@action("analytics.record_event", component=Component.ANALYTICS)
async def analytics_record_event(world, p: RecordEvent) -> bool:
    """Record one user analytics event (``user_analytics/{session_analytics,feature_usage,
    behavior_patterns}.jsonl``; a session_end also writes ``engagement_metrics.jsonl``).
    Returns false when privacy settings skip it (opt-out, consent, do-not-track, sampling)."""
    return await _manager(world).record_user_analytics(
        p.user_id, p.session_id, p.event_type, p.event_data
    )


class Consent(Params):
    user_id: str
    consented: bool = Field(description="true: consent; false: opt out")


@closed
class ConsentEntry(TypedDict):
    """The user's entry in ``compliance/consent.json``."""

    status: Annotated[str, Field(description="consented or opted_out")]
    updated_at: str


@action("analytics.consent", component=Component.ANALYTICS)
async def analytics_consent(world, p: Consent) -> ConsentEntry:
    """Record consent or opt-out (``compliance/consent.json``, keyed by pseudonym); a privacy
    event and an audit entry."""
    return await _manager(world).set_user_consent(p.user_id, consented=p.consented)


class Pseudonym(Params):
    user_id: str | None = None
    session_id: str | None = None


@closed
class Pseudonyms(TypedDict, total=False):
    """The identity fields analytics lines carry: hashes when anonymising, else raw ids."""

    user_hash: str
    user_id: str
    session_hash: str
    session_id: str


@action("analytics.pseudonym", component=Component.ANALYTICS)
async def analytics_pseudonym(world, p: Pseudonym) -> Pseudonyms:
    """How a user and/or session appear in analytics lines: ``{user_hash, session_hash}``
    with anonymisation on (keyed HMAC), else the raw ``{user_id, session_id}``."""
    manager = _manager(world)
    found = Pseudonyms()
    if p.user_id is not None:
        found.update(manager.user_fields(p.user_id))
    if p.session_id is not None:
        found.update(manager.session_fields(p.session_id))
    return found


@closed
class FeatureUse(TypedDict):
    uses: int
    unique_users: int


@closed
class UsageTrends(TypedDict):
    events_total: int
    events_by_type: dict[str, int]
    active_users: int
    returning_users: int
    new_users: int
    sessions_started: int
    sessions_ended: int
    average_session_duration_seconds: float | None
    median_session_duration_seconds: float | None
    events_per_active_user: float
    features: Annotated[dict[str, FeatureUse], Field(description="by feature name")]
    top_features: list[str]
    content_interactions: Annotated[dict[str, int], Field(description="by interaction type")]


@closed
class Reading(TypedDict):
    """A resource series over the period (nulls without samples)."""

    avg: float | None
    max: float | None
    samples: int


@closed
class OperationStats(TypedDict):
    """Rates and latencies are null below ``min_operations_for_rates`` operations."""

    operations_count: int
    error_count: int
    error_rate_percent: float | None
    response_time_avg_ms: float | None
    response_time_p95_ms: float | None


@closed
class AlertCounts(TypedDict):
    raised: int
    by_severity: dict[str, int]
    by_type: dict[str, int]


@closed
class Capacity(TypedDict):
    cpu_percent: Reading
    memory_percent: Reading
    disk_percent: Reading
    process_rss_mb: Reading
    operations: OperationStats
    operations_per_hour: float
    alerts: AlertCounts


@closed
class Insight(TypedDict, total=False):
    """A finding: error_prone_component, slow_component (with ``component``) or
    resource_pressure (with ``metric`` and ``max``)."""

    type: Required[str]
    component: str
    metric: str
    error_rate_percent: float
    response_time_p95_ms: float
    max: float
    threshold: Required[float]


@closed
class BIReport(TypedDict):
    """Business intelligence over one trailing period."""

    report_id: str
    timestamp: str
    period: str
    window_start: str
    window_end: str
    generated_at: str
    usage: UsageTrends
    capacity: Capacity
    insights: list[Insight]


RemovedLines = Annotated[
    dict[str, int], Field(description="file path -> lines removed (only files that lost lines)")
]


class BusinessIntelligence(Params):
    period: str = Field("day", description="hour, day, week or month (trailing, ending now)")


@action("analytics.business_intelligence", component=Component.ANALYTICS)
async def analytics_business_intelligence(world, p: BusinessIntelligence) -> BIReport:
    """Aggregate the period from the recorded lines (users, sessions, features, operations,
    resources, alerts, insights); appends ``business_intelligence/*.jsonl``."""
    return await _manager(world).generate_business_intelligence(p.period)


@action("analytics.retention", component=Component.ANALYTICS)
async def analytics_retention(world, p: AnalyticsNoParams) -> RemovedLines:
    """Drop analytics lines older than their retention class and old resolved alerts;
    returns removed counts per file (a privacy event and an audit entry when any)."""
    return await _manager(world).apply_retention()


# -- audit log --------------------------------------------------------------------------
@closed
class AuditEntry(TypedDict):
    """One line of ``analytics/compliance/audit_logs.jsonl``."""

    audit_id: str
    timestamp: str
    event_type: str
    component: str
    actor_hash: NotRequired[
        Annotated[str | None, Field(description="when anonymising: the actor's keyed hash")]
    ]
    actor: NotRequired[
        Annotated[str | None, Field(description="when not anonymising: the actor's id")]
    ]
    outcome: Annotated[str, Field(description="success, denied or failure")]
    details: Annotated[
        dict[str, JSONValue],
        Field(description="as recorded (identity keys hashed when anonymising)"),
    ]


class AuditRecord(Params):
    event_type: str
    component: str = Field(description="the component reporting the event")
    actor: str | None = Field(None, description="user id (stored as actor_hash when anonymising)")
    outcome: str = Field(
        "success",
        description="success, denied or failure (denied and "
        "failure also go to security_events.jsonl)",
    )
    details: dict[str, Any] | None = None


@action("audit.record", component=Component.ANALYTICS)
async def audit_record(world, p: AuditRecord) -> AuditEntry:
    """Append one entry to ``analytics/compliance/audit_logs.jsonl`` (the world's shared audit
    log, the one every manager writes to); returns it."""
    return world.audit.record(
        p.event_type, component=p.component, actor=p.actor, outcome=p.outcome, details=p.details
    )


class AuditEntries(Params):
    event_type: str | None = None
    component: str | None = None


@action("audit.entries", component=Component.ANALYTICS)
async def audit_entries(world, p: AuditEntries) -> list[AuditEntry]:
    """Entries of the audit log, oldest first, optionally of one event type / component."""
    return world.audit.entries(event_type=p.event_type, component=p.component)


# -- a generic check on stored bytes ----------------------------------------------------
@closed
class GrepHit(TypedDict):
    path: Annotated[str, Field(description="relative to the store root")]
    line: int


class FilesGrep(Params):
    text: str = Field(description="what to look for, e.g. a raw user id")
    path: str = Field("analytics", description="folder under the store root, searched recursively")
    whole_word: bool = Field(False, description="only where not glued to letters/digits")


def grep(root, folder, text: str, whole_word: bool) -> list[dict[str, Any]]:
    """``[{path, line}]`` of every line of every file under ``folder`` that mentions
    ``text`` (bytes compared, so any file type; lock and temp files skipped)."""
    needle = re.escape(text.encode("utf-8"))
    pattern = re.compile(
        rb"(?<![A-Za-z0-9])" + needle + rb"(?![A-Za-z0-9])" if whole_word else needle
    )
    hits: list[dict[str, Any]] = []
    for dirpath, dirnames, filenames in os.walk(folder):
        dirnames.sort()
        for name in sorted(filenames):
            if name.startswith("."):
                continue
            path = os.path.join(dirpath, name)
            with open(path, "rb") as fh:
                for number, line in enumerate(fh, start=1):
                    if pattern.search(line):
                        hits.append(
                            {
                                "path": os.path.relpath(path, root).replace(os.sep, "/"),
                                "line": number,
                            }
                        )
    return hits


@action("files.grep", component=Component.RUNNER)
async def files_grep(world, p: FilesGrep) -> list[GrepHit]:
    """Every ``{path, line}`` under a folder whose stored bytes mention ``text`` (empty list
    when none does): "no analytics file mentions alice". Reads raw bytes, so with encryption
    at rest it sees ciphertext. The folder must exist."""
    folder = store_path(world, p.path)
    if not folder.is_dir():
        raise NotFound(f"{p.path} is not a folder", path=p.path)
    return grep(world.store.fs.root, folder, p.text, p.whole_word)


# -- prompt sandbox: traces and A/B records --------------------------------------------------
@closed
class Trace(TypedDict):
    """One line of ``analytics/traces/traces.jsonl``."""

    trace_id: str
    timestamp: str
    name: str
    user_hash: NotRequired[str]
    user_id: NotRequired[str]
    session_hash: NotRequired[str]
    session_id: NotRequired[str]
    events: list[Annotated[dict[str, JSONValue], FreeForm("each event as given: {event, ...}")]]
    duration_ms: float
    metadata: Annotated[dict[str, JSONValue], FreeForm("as given (raw user ids scrubbed)")]


class TraceRecord(Params):
    user_id: str
    session_id: str
    name: str = Field(description="what ran, e.g. 'prompt:v1'")
    events: list[dict[str, Any]] = Field(description="[{event: name, ...}, ...] in order")
    duration_ms: float
    metadata: dict[str, Any] = Field(default_factory=dict)


@action("analytics.trace", component=Component.ANALYTICS)
async def analytics_trace(world, p: TraceRecord) -> Trace:
    """Append a trace to ``analytics/traces/traces.jsonl`` (``trace_id``, events,
    ``duration_ms``) and an audit line."""
    return await _manager(world).record_trace(
        p.user_id, p.session_id, p.name, p.events, p.duration_ms, p.metadata
    )


class AbTest(Params):
    user_id: str
    experiment: str
    variants: dict[str, dict[str, Any]] = Field(description="name -> {prompt, output, trace_id?}")
    winner: str | None = None


@closed
class ABRecord(TypedDict):
    """One line of ``analytics/traces/experiments.jsonl``."""

    ab_test_id: str
    timestamp: str
    experiment: str
    user_hash: NotRequired[str]
    user_id: NotRequired[str]
    variants: Annotated[
        dict[str, dict[str, JSONValue]],
        Field(description="name -> the variant as given ({prompt, output, trace_id?})"),
    ]
    variant_names: list[str]
    winner: str | None


@action("analytics.ab_test", component=Component.ANALYTICS)
async def analytics_ab_test(world, p: AbTest) -> ABRecord:
    """Append an A/B record naming every variant to ``analytics/traces/experiments.jsonl``."""
    return await _manager(world).record_ab_test(p.user_id, p.experiment, p.variants, p.winner)


class PromptRun(Params):
    user_id: str
    session_id: str = Field(description="the sandbox session (metadata.sandbox: true)")
    variant: str = Field(description="variant name, e.g. v1")
    prompt: str
    output: str = Field(description="the scripted model output")
    latency_ms: float = Field(0.0, description="scripted model latency, the trace's duration")


@closed
class SandboxRun(TypedDict):
    prompt_message: FFMessageDTO
    output_message: FFMessageDTO
    trace: Trace


@action("prompt.run", component=Component.STORAGE, also=[Component.ANALYTICS])
async def prompt_run(world, p: PromptRun) -> SandboxRun:
    """One prompt-sandbox run: the prompt and its scripted output are stored in the session
    (``metadata.variant``) and a trace with its events goes to analytics; returns both."""
    user, assistant = await world.store.add_messages(
        p.user_id,
        p.session_id,
        [
            {"role": "user", "content": p.prompt, "metadata": {"variant": p.variant}},
            {"role": "assistant", "content": p.output, "metadata": {"variant": p.variant}},
        ],
    )
    trace = await _manager(world).record_trace(
        p.user_id,
        p.session_id,
        f"prompt:{p.variant}",
        [
            {"event": "prompt_received", "message_id": user.message_id},
            {"event": "output_returned", "message_id": assistant.message_id},
        ],
        p.latency_ms,
        {"variant": p.variant},
    )
    return {"prompt_message": user, "output_message": assistant, "trace": trace}
