"""``FFMetricsCollectionManager``: system metrics, operation health, alerts, user analytics,
business intelligence and retention (spec P5), all on files under ``analytics/``.

With ``analytics.privacy.anonymize_user_data`` on, no raw user id is written anywhere under
``analytics/``: users appear as keyed pseudonyms (``user_hash``), session ids as
``session_hash`` (``hash_user_identifiers``), and free-form event data is scrubbed.
"""

from __future__ import annotations

import hashlib
import logging
import math
import numbers
from dataclasses import asdict
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from flatfile_chat.analytics import integrity, traces
from flatfile_chat.analytics.alerts import (
    AlertBook,
    Evaluation,
    breaches,
    require_open,
    thresholds,
)
from flatfile_chat.analytics.collector import ContinuousCollector
from flatfile_chat.analytics.events import (
    COUNTERS,
    EVENT_FILES,
    labels,
    validate_event,
)
from flatfile_chat.analytics.intelligence import (
    alerts_in_window,
    capacity_planning,
    in_window,
    optimization_insights,
    session_key,
    usage_trends,
)
from flatfile_chat.analytics.layout import RETENTION_CLASSES, AnalyticsPaths
from flatfile_chat.analytics.models import (
    PERIODS,
    FFAnalyticsAlertDTO,
    FFSystemHealthDTO,
    FFSystemMetricsDTO,
    HealthStatus,
)
from flatfile_chat.analytics.operations import (
    Operation,
    OperationTail,
    operation_stats,
    per_component,
)
from flatfile_chat.analytics.retention import prune_jsonl
from flatfile_chat.analytics.sampler import PsutilSampler, ResourceSampler
from flatfile_chat.audit import AuditLog, AuditSink
from flatfile_chat.clock import isoformat, parse_timestamp
from flatfile_chat.errors import FFError, SecurityError, ValidationError
from flatfile_chat.privacy import Pseudonymizer, known_user_ids, privacy_event, scrub
from flatfile_chat.storage.paths import validate_id
from flatfile_chat.store.manager import FFStorageManager

log = logging.getLogger(__name__)
COMPONENT = "analytics"
MAX_COMPONENT_CHARS = 100


class FFMetricsCollectionManager:
    def __init__(
        self,
        store: FFStorageManager,
        *,
        audit: AuditSink | None = None,
        sampler: ResourceSampler | None = None,
    ) -> None:
        """``sampler`` replaces psutil readings (tests and scenarios that need exact values)."""
        self.store = store
        self.config = store.config.analytics
        self._ctx = store.ctx
        self.paths = AnalyticsPaths(self._ctx.fs)
        self.pseudonymizer = Pseudonymizer.for_context(self._ctx)
        self.audit: AuditSink = audit if audit is not None else AuditLog(self._ctx)
        self._sampler = sampler
        self._ops = OperationTail(self._ctx.fs, self.paths.system("performance"))
        self._alerts = AlertBook(
            self._ctx.fs, self.paths.alerts, self.config.alerting, self._alert_id
        )
        self._collector = ContinuousCollector(
            self.collect_system_metrics, self.config.collection_interval_seconds
        )
        integrity.register(store.integrity)

    # -- identities ----------------------------------------------------------------------
    @property
    def anonymizing(self) -> bool:
        return self.config.privacy.anonymize_user_data

    def user_fields(self, user_id: str) -> dict[str, str]:
        """How a user appears in analytics lines: ``{"user_hash": ...}`` or ``{"user_id": ...}``."""
        user_id = self._user_id(user_id)
        if self.anonymizing:
            return {"user_hash": self.pseudonymizer.user_hash(user_id)}
        return {"user_id": user_id}

    def session_fields(self, session_id: str) -> dict[str, str]:
        session_id = self._user_id(session_id, "session_id")
        if self.anonymizing and self.config.privacy.hash_user_identifiers:
            return {"session_hash": self.pseudonymizer.session_hash(session_id)}
        return {"session_id": session_id}

    def _scrub(
        self, data: dict[str, Any], raw_ids: list[str], excluded: list[str] | None = None
    ) -> dict[str, Any]:
        exclude = self.config.privacy.exclude_sensitive_content
        if not self.anonymizing:
            return (
                scrub(
                    data,
                    user_hash=lambda v: v,
                    session_hash=None,
                    raw_ids=[],
                    exclude_sensitive=exclude,
                    excluded=excluded,
                )
                if exclude
                else data
            )
        session_hash = (
            self.pseudonymizer.session_hash if self.config.privacy.hash_user_identifiers else None
        )
        return scrub(
            data,
            user_hash=self.pseudonymizer.user_hash,
            session_hash=session_hash,
            raw_ids=raw_ids,
            exclude_sensitive=exclude,
            excluded=excluded,
        )

    def _user_id(self, value: Any, kind: str = "user_id") -> str:
        try:
            return validate_id(value, kind)
        except SecurityError:
            self._audit(
                "analytics_access_denied",
                "denied",
                {"reason": f"hostile {kind} refused", "key": kind},
            )
            raise

    def _audit(
        self, event_type: str, outcome: str, details: dict[str, Any], actor: str | None = None
    ) -> None:
        try:
            self.audit.record(
                event_type, component=COMPONENT, actor=actor, outcome=outcome, details=details
            )
        except FFError:
            log.exception("could not write audit event %s", event_type)

    def _now(self) -> tuple[datetime, str]:
        now = self._ctx.clock.now()
        return now, isoformat(now)

    def _append(self, path: Path, records: list[dict[str, Any]]) -> None:
        self._ctx.fs.ensure_dir(path.parent)
        self._ctx.fs.append_jsonl(path, records)

    def _privacy_event(self, event: str, details: dict[str, Any]) -> None:
        privacy_event(self._ctx, event, details)

    # -- setup ---------------------------------------------------------------------------
    async def initialize_analytics_system(
        self, *, start_collection: bool | None = None
    ) -> dict[str, Any]:
        """Create the tree and ``analytics_metadata.json``; start background collection if
        ``start_collection`` (default: ``enable_real_time_metrics``) — on the running loop."""
        metadata = await self.store.run_io(self._initialize)
        start = (
            self.config.enable_real_time_metrics if start_collection is None else start_collection
        )
        if start:
            await self.start_continuous_collection()
        return metadata

    def _initialize(self) -> dict[str, Any]:
        fs = self._ctx.fs
        _, now_iso = self._now()
        for _folder, path in self.paths.all_jsonl():
            fs.ensure_dir(path.parent)
            if not path.exists():
                with fs.lock(path):
                    if not path.exists():
                        fs.rewrite_jsonl(path, [])
        if self.anonymizing:
            self.pseudonymizer.key()  # fail early on a bad key reference; create it if needed
        privacy = self.config.privacy.model_dump(mode="json")
        privacy["anonymization_key"] = {"source": self.pseudonymizer.key_source}
        with fs.lock(self.paths.metadata):
            previous = fs.read_json(self.paths.metadata, default={})
            metadata = {
                "analytics_system_id": hashlib.sha256(str(fs.root).encode()).hexdigest()[:16],
                "initialized_at": previous.get("initialized_at", now_iso),
                "last_initialized_at": now_iso,
                "analytics_level": self.config.analytics_level,
                "privacy_config": privacy,
                "collection_config": self.config.model_dump(
                    mode="json", exclude={"privacy", "alerting"}
                ),
                "alerting_config": self.config.alerting.model_dump(mode="json"),
            }
            fs.write_json(self.paths.metadata, metadata)
        return metadata

    # -- system metrics and operations ---------------------------------------------------
    async def record_operation(
        self,
        component: str,
        duration_ms: float,
        success: bool = True,
        *,
        error_type: str | None = None,
    ) -> dict[str, Any]:
        """One observed operation (feeds the error-rate and response-time thresholds)."""
        return await self.store.run_io(
            self._record_operation, component, duration_ms, success, error_type
        )

    def _record_operation(
        self, component: Any, duration_ms: Any, success: Any, error_type: Any
    ) -> dict[str, Any]:
        for name, value in (("component", component), ("error_type", error_type)):
            if value is None and name == "error_type":
                continue
            if not isinstance(value, str) or not value.strip() or len(value) > MAX_COMPONENT_CHARS:
                raise ValidationError(
                    f"{name} must be a string of 1..{MAX_COMPONENT_CHARS} characters",
                    key=name,
                    value=value,
                )
        if (
            not isinstance(duration_ms, numbers.Real)
            or isinstance(duration_ms, bool)
            or not math.isfinite(duration_ms)
            or duration_ms < 0
        ):
            raise ValidationError(
                "duration_ms must be a finite number >= 0", key="duration_ms", value=duration_ms
            )
        if not isinstance(success, bool):
            raise ValidationError("success must be true or false", key="success", value=success)
        _, now_iso = self._now()
        record = {
            "timestamp": now_iso,
            "component": component,
            "duration_ms": float(duration_ms),
            "success": success,
            "error_type": error_type,
        }
        self._append(self.paths.system("performance"), [record])
        return record

    def _window_ops(self, now: datetime) -> list[Operation]:
        start = now - timedelta(minutes=self.config.alerting.evaluation_window_minutes)
        return self._ops.since(start.timestamp())

    async def collect_system_metrics(self) -> FFSystemMetricsDTO:
        """Sample host resources (psutil) and the operation window; persist; check alerts."""
        metrics, _evaluation = await self.store.run_io(self._collect)
        return metrics

    def _collect(self) -> tuple[FFSystemMetricsDTO, Evaluation]:
        if self._sampler is None:
            self._sampler = PsutilSampler()
        now, now_iso = self._now()
        reading = self._sampler.sample(self._ctx.fs.root)
        ops = self._window_ops(now)
        min_ops = self.config.alerting.min_operations_for_rates
        window = self.config.alerting.evaluation_window_minutes
        metrics = FFSystemMetricsDTO(
            timestamp=now_iso,
            **asdict(reading),
            window_minutes=window,
            **operation_stats(ops, min_ops),
        )
        if self.config.enable_performance_metrics:
            self._append(self.paths.system("resource_usage"), [metrics.to_dict()])
            self._append(
                self.paths.system("error_rates"),
                [
                    {
                        "timestamp": now_iso,
                        "window_minutes": window,
                        **operation_stats(ops, min_ops),
                        "components": per_component(ops, min_ops),
                    }
                ],
            )
        evaluation = self._alerts.evaluate(metrics.to_dict(), now, now_iso)
        return metrics, evaluation

    # -- health and alerts ---------------------------------------------------------------
    async def get_system_health(self) -> FFSystemHealthDTO:
        """Collect, check every threshold, record a health check line, return the verdict."""
        return await self.store.run_io(self._health)

    def _health(self) -> FFSystemHealthDTO:
        metrics, evaluation = self._collect()
        values = metrics.to_dict()
        breached = {t.alert_type for t, _ in breaches(values, self.config.alerting)}
        checks = {
            t.alert_type: {
                "metric": t.metric,
                "value": values.get(t.metric),
                "threshold": t.limit,
                "ok": t.alert_type not in breached,
            }
            for t in thresholds(self.config.alerting)
        }
        active = self._alerts.active(None)
        status: HealthStatus
        if any(a.severity == "critical" for a in active):
            status = "critical"
        elif active or breached:
            status = "degraded"
        else:
            status = "healthy"
        health = FFSystemHealthDTO(
            timestamp=metrics.timestamp,
            status=status,
            checks=checks,
            active_alerts=len(active),
            raised_alerts=[a.alert_id for a in evaluation.raised],
            suppressed_alerts=evaluation.suppressed,
        )
        self._append(self.paths.system("health_checks"), [health.to_dict()])
        return health

    async def evaluate_alerts(
        self, metrics: FFSystemMetricsDTO | dict[str, Any] | None = None
    ) -> list[FFAnalyticsAlertDTO]:
        """Check thresholds against ``metrics`` (or a fresh sample); returns raised alerts."""
        return await self.store.run_io(self._evaluate, metrics)

    def _evaluate(
        self, metrics: FFSystemMetricsDTO | dict[str, Any] | None
    ) -> list[FFAnalyticsAlertDTO]:
        if metrics is None:
            return self._collect()[1].raised
        values = metrics.to_dict() if isinstance(metrics, FFSystemMetricsDTO) else dict(metrics)
        for name, value in values.items():
            if value is not None and not isinstance(value, str | numbers.Real):
                raise ValidationError(f"metric {name} must be a number", key=name, value=value)
        now, now_iso = self._now()
        return self._alerts.evaluate(values, now, now_iso).raised

    async def get_active_alerts(self, severity: str | None = None) -> list[FFAnalyticsAlertDTO]:
        return await self.store.run_io(self._alerts.active, severity)

    async def list_alerts(self) -> list[FFAnalyticsAlertDTO]:
        """Every stored alert, resolved ones included."""
        return await self.store.run_io(self._alerts.all)

    async def acknowledge_alert(self, alert_id: str, acknowledged_by: str) -> FFAnalyticsAlertDTO:
        return await self.store.run_io(self._acknowledge, alert_id, acknowledged_by)

    def _acknowledge(self, alert_id: Any, acknowledged_by: Any) -> FFAnalyticsAlertDTO:
        validate_id(alert_id, "alert_id")
        by = self._user_id(acknowledged_by, "acknowledged_by")
        _, now_iso = self._now()
        stored_by = next(iter(self.user_fields(by).values()))

        def change(alert: FFAnalyticsAlertDTO) -> None:
            require_open(alert, "acknowledge")
            alert.acknowledged, alert.acknowledged_at = True, now_iso
            alert.acknowledged_by = stored_by

        alert = self._alerts.update(alert_id, change)
        self._audit("alert_acknowledged", "success", {"alert_id": alert_id}, actor=by)
        return alert

    async def resolve_alert(
        self, alert_id: str, resolution_notes: str = "", *, resolved_by: str | None = None
    ) -> FFAnalyticsAlertDTO:
        return await self.store.run_io(self._resolve, alert_id, resolution_notes, resolved_by)

    def _resolve(self, alert_id: Any, notes: Any, resolved_by: Any) -> FFAnalyticsAlertDTO:
        validate_id(alert_id, "alert_id")
        if not isinstance(notes, str) or len(notes) > 2000:
            raise ValidationError(
                "resolution_notes must be a string of at most 2000 characters",
                key="resolution_notes",
            )
        by = None if resolved_by is None else self._user_id(resolved_by, "resolved_by")
        _, now_iso = self._now()

        def change(alert: FFAnalyticsAlertDTO) -> None:
            require_open(alert, "resolve")
            alert.resolved, alert.resolved_at = True, now_iso
            alert.resolution_notes = self._scrub(
                {"notes": notes}, [*([by] if by else []), *known_user_ids(self._ctx)]
            )["notes"]
            if by is not None:
                alert.resolved_by = next(iter(self.user_fields(by).values()))

        alert = self._alerts.update(alert_id, change)
        self._audit("alert_resolved", "success", {"alert_id": alert_id}, actor=by)
        return alert

    def _alert_id(self, now: datetime) -> str:
        # Spec: alert_{ms}; the random suffix keeps two alerts of one millisecond apart.
        return f"alert_{int(now.timestamp() * 1000)}_{self._ctx.ids.hex(6)}"

    # -- background collection -----------------------------------------------------------
    @property
    def collecting(self) -> bool:
        return self._collector.running

    async def start_continuous_collection(self) -> bool:
        """Collect every ``collection_interval_seconds`` in a task on the running loop."""
        return await self._collector.start()

    async def stop_continuous_collection(self) -> bool:
        """Stop and wait for the collection task (safe to call any number of times)."""
        return await self._collector.stop()

    async def close(self) -> None:
        await self.stop_continuous_collection()

    # -- traces and A/B records (prompt sandbox) -------------------------------------------
    async def record_trace(
        self,
        user_id: str,
        session_id: str,
        name: str,
        events: list[dict[str, Any]],
        duration_ms: float,
        metadata: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        """Append a trace of one prompt run to ``analytics/traces/traces.jsonl`` and an audit
        line; returns the stored trace (``trace_id``, events, ``duration_ms``)."""
        return await self.store.run_io(
            self._record_trace, user_id, session_id, name, events, duration_ms, metadata
        )

    def _record_trace(
        self, user_id: Any, session_id: Any, name: Any, events: Any, duration_ms: Any, metadata: Any
    ) -> dict[str, Any]:
        user_id = self._user_id(user_id)
        session_id = self._user_id(session_id, "session_id")
        if not isinstance(name, str) or not name.strip():
            raise ValidationError("a trace needs a name", key="name")
        clean_events = traces.check_events(events)
        duration = traces.check_duration(duration_ms)
        raw = [user_id, session_id, *known_user_ids(self._ctx)]
        _, now_iso = self._now()
        record = {
            "trace_id": self._ctx.ids.prefixed("trace", 12),
            "timestamp": now_iso,
            "name": name,
            **self.user_fields(user_id),
            **self.session_fields(session_id),
            "events": self._scrub({"events": clean_events}, raw)["events"],
            "duration_ms": duration,
            "metadata": self._scrub(dict(metadata or {}), raw),
        }
        self._append(self.paths.jsonl("traces", "traces"), [record])
        self._audit(
            "trace_recorded",
            "success",
            {"trace_id": record["trace_id"], "name": name},
            actor=user_id,
        )
        return record

    async def record_ab_test(
        self,
        user_id: str,
        experiment: str,
        variants: dict[str, dict[str, Any]],
        winner: str | None = None,
    ) -> dict[str, Any]:
        """Append an A/B record naming every variant (prompt, scripted output, trace id)."""
        return await self.store.run_io(self._record_ab_test, user_id, experiment, variants, winner)

    def _record_ab_test(
        self, user_id: Any, experiment: Any, variants: Any, winner: Any
    ) -> dict[str, Any]:
        user_id = self._user_id(user_id)
        validate_id(experiment, "experiment")
        clean = traces.check_variants(variants, winner)
        _, now_iso = self._now()
        record = {
            "ab_test_id": self._ctx.ids.prefixed("ab", 12),
            "timestamp": now_iso,
            "experiment": experiment,
            **self.user_fields(user_id),
            "variants": self._scrub(clean, [user_id, *known_user_ids(self._ctx)]),
            "variant_names": sorted(clean),
            "winner": winner,
        }
        self._append(self.paths.jsonl("traces", "experiments"), [record])
        self._audit(
            "ab_test_recorded",
            "success",
            {"ab_test_id": record["ab_test_id"], "variants": sorted(clean)},
            actor=user_id,
        )
        return record

    # -- user analytics ------------------------------------------------------------------
    async def record_user_analytics(
        self,
        user_id: str,
        session_id: str,
        event_type: str,
        event_data: dict[str, Any] | None = None,
    ) -> bool:
        """Record one event; False when privacy settings say not to (opt-out, consent,
        do-not-track, sampling, user analytics disabled); invalid input raises."""
        return await self.store.run_io(
            self._record_event, user_id, session_id, event_type, event_data
        )

    def _record_event(
        self, user_id: Any, session_id: Any, event_type: Any, event_data: Any
    ) -> bool:
        user_id = self._user_id(user_id)
        session_id = self._user_id(session_id, "session_id")
        data = validate_event(event_type, event_data, self.config.max_event_data_bytes)
        if not self.config.enable_user_analytics or not self._may_record(user_id, data):
            return False
        if not self._sampled(session_id):
            return False
        _, now_iso = self._now()
        excluded: list[str] = []
        clean = self._scrub(data, [user_id, session_id, *known_user_ids(self._ctx)], excluded)
        identity = {**self.user_fields(user_id), **self.session_fields(session_id)}
        record = {
            "event_id": self._ctx.ids.prefixed("evt", 12),
            "timestamp": now_iso,
            "event_type": event_type,
            **identity,
            **labels(event_type, clean),
            "event_data": clean,
        }
        if excluded:
            record["excluded_fields"] = sorted(set(excluded))
        self._append(self.paths.user(EVENT_FILES[event_type]), [record])
        if event_type == "session_end":
            self._append(
                self.paths.user("engagement_metrics"), [self._engagement(identity, clean, now_iso)]
            )
        return True

    def _may_record(self, user_id: str, data: dict[str, Any]) -> bool:
        privacy = self.config.privacy
        if privacy.honor_do_not_track and data.get("do_not_track") is True:
            return False
        status = self._consent_status(user_id)
        if privacy.allow_user_opt_out and status == "opted_out":
            return False
        return not (privacy.require_explicit_consent and status != "consented")

    def _sampled(self, session_id: str) -> bool:
        """Deterministic per session (keyed), so a session is kept or dropped as a whole."""
        if not self.config.enable_data_sampling or self.config.sampling_rate >= 1.0:
            return True
        fraction = int(self.pseudonymizer.session_hash(session_id)[:8], 16) / 0xFFFFFFFF
        return fraction < self.config.sampling_rate

    def _engagement(
        self, identity: dict[str, str], data: dict[str, Any], now_iso: str
    ) -> dict[str, Any]:
        """Per-session engagement at session_end: counters as reported plus what the other
        files say about the session (duration from its session_start, features, interactions).
        """
        key = identity.get("session_hash") or identity.get("session_id")
        fs = self._ctx.fs

        def of_session(name: str) -> list[dict[str, Any]]:
            return [r for r in fs.read_jsonl(self.paths.user(name)) if session_key(r) == key]

        starts = [
            r for r in of_session("session_analytics") if r.get("event_type") == "session_start"
        ]
        duration = data.get("session_duration_seconds")
        if duration is None and starts:
            duration = (
                parse_timestamp(now_iso) - parse_timestamp(starts[0]["timestamp"])
            ).total_seconds()
        return {
            "timestamp": now_iso,
            **identity,
            "session_duration_seconds": duration,
            **{c: int(data.get(c, 0)) for c in COUNTERS},
            "features_used": len({r.get("feature") for r in of_session("feature_usage")}),
            "content_interactions": len(of_session("behavior_patterns")),
        }

    # -- consent -------------------------------------------------------------------------
    def _consent_key(self, user_id: str) -> str:
        return next(iter(self.user_fields(user_id).values()))

    def _consent_status(self, user_id: str) -> str | None:
        registry = self._ctx.fs.read_json(self.paths.consent, default={})
        return (registry.get(self._consent_key(user_id)) or {}).get("status")

    async def set_user_consent(self, user_id: str, *, consented: bool) -> dict[str, Any]:
        """Record consent (True) or opt-out (False) for a user; both are privacy events."""
        return await self.store.run_io(self._set_consent, user_id, consented)

    def _set_consent(self, user_id: Any, consented: Any) -> dict[str, Any]:
        user_id = self._user_id(user_id)
        if not isinstance(consented, bool):
            raise ValidationError("consented must be true or false", key="consented")
        _, now_iso = self._now()
        entry = {"status": "consented" if consented else "opted_out", "updated_at": now_iso}
        fs, path = self._ctx.fs, self.paths.consent
        fs.ensure_dir(path.parent)
        with fs.lock(path):
            registry = fs.read_json(path, default={})
            registry[self._consent_key(user_id)] = entry
            fs.write_json(path, registry)
        self._privacy_event(f"user_{entry['status']}", self.user_fields(user_id))
        self._audit(
            "analytics_consent_changed", "success", {"status": entry["status"]}, actor=user_id
        )
        return entry

    # -- business intelligence -----------------------------------------------------------
    async def generate_business_intelligence(self, period: str = "day") -> dict[str, Any]:
        """Aggregate the last ``period`` (hour/day/week/month, ending now) from the recorded
        lines; appends to ``business_intelligence/*.jsonl`` and returns the report."""
        return await self.store.run_io(self._business_intelligence, period)

    def _business_intelligence(self, period: Any) -> dict[str, Any]:
        if period not in PERIODS:
            raise ValidationError(
                f"period {period!r} is not one of {list(PERIODS)}", key="period", value=period
            )
        if not self.config.enable_business_intelligence:
            raise ValidationError(
                "business intelligence is disabled (analytics.enable_business_intelligence)",
                key="enable_business_intelligence",
            )
        fs = self._ctx.fs
        now, now_iso = self._now()
        hours = PERIODS[period]
        start, end = (now - timedelta(hours=hours)).timestamp(), now.timestamp()
        min_ops = self.config.alerting.min_operations_for_rates
        read = fs.read_jsonl
        ops = [
            Operation.from_record(r)
            for r in in_window(read(self.paths.system("performance")), start, end)
        ]
        trends = usage_trends(
            sessions=read(self.paths.user("session_analytics")),
            features=read(self.paths.user("feature_usage")),
            interactions=read(self.paths.user("behavior_patterns")),
            start=start,
            end=end,
        )
        capacity = capacity_planning(
            resources=read(self.paths.system("resource_usage")),
            ops=ops,
            start=start,
            end=end,
            period_hours=hours,
            min_ops=min_ops,
        )
        capacity["alerts"] = alerts_in_window([a.to_dict() for a in self._alerts.all()], start, end)
        insights = optimization_insights(
            ops=ops, capacity=capacity, alerting=self.config.alerting, min_ops=min_ops
        )
        header = {
            "report_id": self._ctx.ids.prefixed("bi", 12),
            "timestamp": now_iso,
            "period": period,
            "window_start": isoformat(now - timedelta(hours=hours)),
            "window_end": now_iso,
            "generated_at": now_iso,
        }
        self._append(self.paths.bi("usage_trends"), [{**header, **trends}])
        self._append(self.paths.bi("capacity_planning"), [{**header, **capacity}])
        self._append(self.paths.bi("optimization_insights"), [{**header, "insights": insights}])
        return {**header, "usage": trends, "capacity": capacity, "insights": insights}

    # -- retention -----------------------------------------------------------------------
    async def apply_retention(self) -> dict[str, int]:
        """Drop lines older than their retention (raw / aggregated / compliance) and resolved
        alerts older than the raw retention; returns removed counts per file."""
        return await self.store.run_io(self._apply_retention)

    def _apply_retention(self) -> dict[str, int]:
        now, _ = self._now()
        privacy = self.config.privacy
        removed: dict[str, int] = {}
        for folder, path in self.paths.all_jsonl():
            days = getattr(privacy, RETENTION_CLASSES[folder])
            count = prune_jsonl(self._ctx.fs, path, now - timedelta(days=days))
            if count:
                removed[self._ctx.fs.rel(path)] = count
        alerts = self._alerts.prune_resolved(now - timedelta(days=privacy.raw_data_retention_days))
        if alerts:
            removed[self._ctx.fs.rel(self.paths.alerts)] = alerts
        if removed:
            self._privacy_event("retention_applied", {"removed": removed})
            self._audit("analytics_retention_applied", "success", {"removed": removed})
        return removed
