"""A load run's merged figures: histograms added exactly, counters summed, thresholds judged.

CPU is normalised to the machine (``cpu_percent`` 100 = every core of every host busy for
the whole run); ``peak_rss_mb`` adds each worker's own peak (its process and children), an
upper bound of the true simultaneous peak.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from prism_scenarios.load import thresholds as thr
from prism_scenarios.load.metrics import Metrics
from prism_scenarios.load.spec import ClosedModel, Plan


@dataclass
class LoadResult:
    plan: Plan
    metrics: Metrics
    segments: list[dict[str, Any]]
    elapsed: float
    planned: int
    started: int
    dropped: int
    late: int
    errors: dict[str, int]
    samples: list[dict[str, str]]
    cpu_percent: float | None
    cpu_percent_one_core: float | None  # 100 = one core busy (the integration report's scale)
    peak_rss_mb: float | None
    executor: str
    aborted: str | None = None
    template_changed_by: list[str] = field(default_factory=list)
    verdicts: list[thr.Verdict] = field(default_factory=list)

    @property
    def achieved_rate(self) -> float:
        return self.started / self.elapsed if self.elapsed > 0 else 0.0

    @property
    def target_rate(self) -> float | None:
        model = self.plan.model
        if isinstance(model, ClosedModel) or not model.total_duration:
            return None
        return sum((s.duration * s.target) for s in model.stage_list()) / model.total_duration

    @property
    def breached(self) -> list[thr.Verdict]:
        return [v for v in self.verdicts if not v.passed]

    @property
    def passed(self) -> bool:
        """Every threshold holds, nothing aborted, the shared test data is untouched."""
        return not self.breached and self.aborted is None and not self.template_changed_by

    def run_value(self, name: str) -> float | None:
        return {
            "peak_rss_mb": self.peak_rss_mb,
            "cpu_percent": self.cpu_percent,
            "dropped": float(self.dropped),
            "late": float(self.late),
            "achieved_rate": self.achieved_rate,
            "errors": float(sum(self.errors.values())),
        }[name]

    def measure(self, threshold: thr.Threshold) -> float | None:
        if threshold.metric == "run":
            return self.run_value(threshold.aggregation)
        metric = self.metrics.by_name.get(threshold.metric)
        if metric is None:
            return None
        return metric.aggregate(threshold.aggregation, threshold.percentile)


def measure_live(threshold: thr.Threshold, live: Any) -> float | None:
    """A threshold on the figures so far (for abort_on_fail); run metrics that only the end
    knows (resources) are not judged live."""
    if threshold.metric == "run":
        if threshold.aggregation in ("dropped", "late", "errors"):
            return float(live.total(threshold.aggregation))
        return None
    metric = live.metrics.by_name.get(threshold.metric)
    return None if metric is None else metric.aggregate(threshold.aggregation, threshold.percentile)


def merge(
    plan: Plan, segments: list[dict[str, Any]], executor: str, aborted: str | None
) -> LoadResult:
    metrics = Metrics()
    errors: dict[str, int] = {}
    samples: list[dict[str, str]] = []
    for seg in segments:
        metrics.add(Metrics.decode(seg["metrics"]))
        for kind, n in seg["errors"].items():
            errors[kind] = errors.get(kind, 0) + n
        samples += seg["samples"]
    elapsed = max(s["elapsed"] for s in segments)
    hosts: dict[str, int] = {}
    for seg in segments:
        hosts[seg["host"]] = seg["cores"]
    cores = sum(hosts.values()) or 1
    cpu = [s["cpu_percent_one_core"] for s in segments if s["cpu_percent_one_core"] is not None]
    rss = [s["peak_rss_mb"] for s in segments if s["peak_rss_mb"] is not None]
    aborted = aborted or next(
        ("a worker stopped on request" for s in segments if s["aborted"]), None
    )
    result = LoadResult(
        plan=plan,
        metrics=metrics,
        segments=segments,
        elapsed=elapsed,
        planned=sum(s["planned"] for s in segments),
        started=sum(s["started"] for s in segments),
        dropped=sum(s["dropped"] for s in segments),
        late=sum(s["late"] for s in segments),
        errors=errors,
        samples=samples[:20],
        cpu_percent=sum(cpu) / cores if cpu else None,
        cpu_percent_one_core=sum(cpu) if cpu else None,
        peak_rss_mb=sum(rss) if rss else None,
        executor=executor,
        aborted=aborted,
        template_changed_by=sorted({n for s in segments for n in s["template_changed_by"]}),
    )
    result.verdicts = thr.judge(plan.thresholds, result.measure)
    return result


_SEGMENT_FIELDS = (
    "index",
    "count",
    "host",
    "pid",
    "planned",
    "started",
    "dropped",
    "late",
    "elapsed",
    "cpu_percent_one_core",
    "peak_rss_mb",
)


def summary(result: LoadResult) -> dict[str, Any]:
    """The result as JSON data (``load_report.json``)."""
    plan = result.plan
    return {
        "name": plan.name,
        "source": plan.source,
        "profile": plan.profile,
        "model": plan.model.model_dump(mode="json"),
        "data": plan.data.model_dump(),
        "workers": len(result.segments),
        "executor": result.executor,
        "segments": [{key: seg.get(key) for key in _SEGMENT_FIELDS} for seg in result.segments],
        "scenarios": plan.selected_by,
        "passed": result.passed,
        "aborted": result.aborted,
        "elapsed_seconds": result.elapsed,
        "planned": result.planned,
        "started": result.started,
        "dropped": result.dropped,
        "late": result.late,
        "target_rate": result.target_rate,
        "achieved_rate": result.achieved_rate,
        "cpu_percent": result.cpu_percent,
        "cpu_percent_one_core": result.cpu_percent_one_core,
        "peak_rss_mb": result.peak_rss_mb,
        "errors": result.errors,
        "error_samples": result.samples,
        "template_changed_by": result.template_changed_by,
        "thresholds": [
            {
                "metric": v.threshold.metric,
                "threshold": v.threshold.expression,
                "measured": v.measured,
                "passed": v.passed,
                "abort_on_fail": v.threshold.abort_on_fail,
            }
            for v in result.verdicts
        ],
        "metrics": {name: m.summary() for name, m in sorted(result.metrics.by_name.items())},
        "latency_model": "closed: latency from each iteration's actual start (optimistic tails)"
        if isinstance(plan.model, ClosedModel)
        else "open: latency from each arrival's intended start",
    }
