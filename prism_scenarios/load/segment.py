"""One worker's share of a load run: its slice of the arrivals, run as scenario iterations.

Every iteration is a whole functional scenario on a fresh world (its expectations and
invariants on), in a thread of this worker; its latency counts from the arrival's *intended*
start, so time spent queued behind a stalled iteration is charged to the run (no coordinated
omission). The same code runs in-process, in a local worker process, or on a Dask worker; a
:class:`Channel` carries live snapshots out and a stop request in.
"""

from __future__ import annotations

import os
import socket
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from prism_scenarios import write_audit
from prism_scenarios.load import data as test_data
from prism_scenarios.load import schedule
from prism_scenarios.load.metrics import Metrics
from prism_scenarios.load.spec import ClosedModel, Plan

SNAPSHOT_SECONDS = 0.5
MAX_ERROR_SAMPLES = 20


class Channel(Protocol):
    """How a segment talks to whoever started it."""

    def ready(self, index: int) -> None: ...
    def start_at(self) -> float: ...  # the run's start, as a time.time() epoch
    def publish(self, snapshot: dict[str, Any]) -> None: ...
    def stop_requested(self) -> bool: ...


class SoloChannel:
    """A segment run on its own: starts right away, keeps its snapshots for a caller."""

    def __init__(self, on_snapshot: Any = None, delay: float = 0.05) -> None:
        self.on_snapshot = on_snapshot
        self.delay = delay
        self.stop = threading.Event()

    def ready(self, index: int) -> None:
        pass

    def start_at(self) -> float:
        return time.time() + self.delay

    def publish(self, snapshot: dict[str, Any]) -> None:
        if self.on_snapshot is not None:
            self.on_snapshot(snapshot)

    def stop_requested(self) -> bool:
        return self.stop.is_set()


@dataclass
class Counters:
    planned: int = 0
    started: int = 0
    dropped: int = 0
    late: int = 0
    errors: dict[str, int] = field(default_factory=dict)  # "scenario: ErrorType" -> count
    samples: list[dict[str, str]] = field(default_factory=list)


class _Segment:
    def __init__(
        self, plan: Plan, index: int, count: int, channel: Channel, work_dir: Path
    ) -> None:
        self.plan, self.index, self.count, self.channel = plan, index, count, channel
        self.work_dir = work_dir
        self.sequence = schedule.weighted_sequence(plan.weights)
        self.metrics = Metrics()  # the whole segment
        self.delta = Metrics()  # since the last snapshot
        self.counters = Counters()
        self.lock = threading.Lock()
        self.templates: dict[int, Path | None] = {}
        self.culprits: set[str] = set()  # scenarios seen changing the shared data
        self.t0 = 0.0
        self.stop = threading.Event()

    # -- before the timed phase --------------------------------------------------------
    def prepare(self) -> None:
        """One template store per distinct on-disk format (a store written without, say,
        encryption cannot serve a scenario that encrypts); limits and policies of a scenario's
        config do not shape the data, so they stay out of the template's."""
        by_config: dict[str, Path | None] = {}
        for i, spec in enumerate(self.plan.specs):
            encryption = spec.config.get("storage", {}).get("encryption")
            config = {"storage": {"encryption": encryption}} if encryption else {}
            key = repr(config)
            if key not in by_config:
                folder = self.work_dir / f"template-{len(by_config)}"
                folder.mkdir()
                by_config[key] = test_data.build_template(
                    folder, config, self.plan.data.volume, self.plan.data.seed
                )
            self.templates[i] = by_config[key]

    # -- one iteration -----------------------------------------------------------------
    def iteration(self, number: int, due: float) -> None:
        # Nothing here is a step of whoever started the run (a ``load.run`` step's write
        # audit must not see iterations' temp worlds); each iteration's steps record their own.
        with write_audit.paused():
            self._iteration(number, due)

    def warm_up(self) -> None:
        """Run each scenario of the mix once, untimed and unrecorded, before the timed phase:
        the first iteration in a fresh process pays for imports, the action registry and
        cold caches, which would otherwise land on the first arrivals as latency."""

        def warm() -> None:
            with write_audit.paused():
                for which in sorted(set(self.sequence)):
                    template = self.templates.get(which)
                    before = test_data.fingerprint(template) if template else None
                    self._run_scenario(which)
                    if template and test_data.fingerprint(template) != before:
                        self.culprits.add(self.plan.specs[which].display_name)

        # In a thread of its own, like every iteration: the caller may be inside an event
        # loop (the load.run action), and a ScenarioRun drives a loop of its own.
        thread = threading.Thread(target=warm, name="prism-load-warm-up")
        thread.start()
        thread.join()

    def _iteration(self, number: int, due: float) -> None:
        started = time.perf_counter()
        late = started - due > getattr(self.plan.model, "late_after", float("inf"))
        which = self.sequence[number % len(self.sequence)]
        spec = self.plan.specs[which]
        steps, error = self._run_scenario(which)
        ended = time.perf_counter()
        name = spec.display_name
        second = int(due - self.t0)
        with self.lock:
            for target in (self.metrics, self.delta):
                target.record_iteration(name, second, ended - due, error is None)
                for action, seconds, ok in steps:
                    target.metric(f"action:{action}").record(seconds, ok)
            if late:
                self.counters.late += 1
            if error is not None:
                kind = f"{name}: {type(error).__name__}"
                self.counters.errors[kind] = self.counters.errors.get(kind, 0) + 1
                if len(self.counters.samples) < MAX_ERROR_SAMPLES:
                    self.counters.samples.append(
                        {
                            "scenario": name,
                            "source": spec.source,
                            "error": type(error).__name__,
                            "message": str(error)[:2000],
                        }
                    )

    def _run_scenario(
        self, which: int
    ) -> tuple[list[tuple[str, float, bool]], BaseException | None]:
        """One scenario in a fresh world on its template: (action, seconds, ok) per step run,
        and the error that ended it, if any."""
        from prism_scenarios.engine import ScenarioRun

        spec = self.plan.specs[which]
        steps: list[tuple[str, float, bool]] = []
        try:
            run = ScenarioRun(
                config=spec.config,
                start=spec.start,
                seed=spec.seed,
                variables=spec.variables,
                invariants=spec.invariants,
                telemetry=spec.telemetry,
            )
            try:
                template = self.templates.get(which)
                if template is not None:
                    test_data.link_into(template, run.world.store_root)
                for step in spec.steps:
                    step_start = time.perf_counter()
                    try:
                        run.step(
                            step.action,
                            step.params,
                            where=step.where,
                            save=step.save,
                            expect=step.expect,
                            raises=step.raises,
                            timeout=step.timeout,
                            label=step.label,
                            read_back=step.read_back,
                        )
                    except BaseException:
                        steps.append((step.action, time.perf_counter() - step_start, False))
                        raise
                    steps.append((step.action, time.perf_counter() - step_start, True))
            finally:
                run.close()
        except Exception as exc:
            return steps, exc
        return steps, None

    # -- the timed phase ---------------------------------------------------------------
    def run(self) -> dict[str, Any]:
        from prism_scenarios.resource_sampler import ResourceSampler

        self.channel.ready(self.index)
        start_epoch = self.channel.start_at()
        self.t0 = time.perf_counter() + (start_epoch - time.time())
        reporter = threading.Thread(
            target=self._report_loop, name="prism-load-snapshots", daemon=True
        )
        with ResourceSampler() as sampler:
            _sleep_until(self.t0)
            reporter.start()
            if isinstance(self.plan.model, ClosedModel):
                end = self._closed(self.plan.model)
            else:
                end = self._open()
            self.stop.set()
            reporter.join()
        elapsed = max(end - self.t0, 1e-9)
        snapshot = self._snapshot(final=True)
        return {
            "index": self.index,
            "count": self.count,
            "host": socket.gethostname(),
            "pid": os.getpid(),
            "cores": os.cpu_count() or 1,
            "started_epoch": start_epoch,
            "elapsed": elapsed,
            "metrics": self.metrics.encode(),
            "planned": self.counters.planned,
            "started": self.counters.started,
            "dropped": self.counters.dropped,
            "late": self.counters.late,
            "errors": self.counters.errors,
            "samples": self.counters.samples,
            "cpu_percent_one_core": sampler.average_cpu_percent,
            "peak_cpu_percent_one_core": sampler.peak_cpu_percent,
            "peak_rss_mb": sampler.peak_rss_mb,
            "aborted": snapshot["aborted"],
        }

    def _open(self) -> float:
        model = self.plan.model
        slots = threading.BoundedSemaphore(model.max_in_flight)
        offsets = schedule.arrivals(model.first_rate, model.stage_list())
        last_due = self.t0

        def one(number: int, due: float) -> None:
            try:
                self.iteration(number, due)
            finally:
                slots.release()

        with ThreadPoolExecutor(
            max_workers=model.max_in_flight, thread_name_prefix="prism-load"
        ) as pool:
            for number, offset in schedule.segment(offsets, self.index, self.count):
                due = self.t0 + offset
                self.counters.planned += 1
                if self.channel.stop_requested():
                    self.counters.dropped += 1
                    continue
                _sleep_until(due)
                last_due = due
                if not slots.acquire(blocking=False):
                    self.counters.dropped += 1
                    continue
                self.counters.started += 1
                pool.submit(one, number, due)
            end_of_schedule = self.t0 + model.total_duration
            dispatched = max(time.perf_counter(), last_due)
        _sleep_until(end_of_schedule)
        return max(dispatched, end_of_schedule)

    def _closed(self, model: ClosedModel) -> float:
        users = list(range(self.index, model.users, self.count))
        deadline = self.t0 + model.duration

        def user_loop(user: int) -> None:
            n = 0
            while time.perf_counter() < deadline and not self.channel.stop_requested():
                with self.lock:
                    self.counters.started += 1
                    self.counters.planned += 1
                self.iteration(n * model.users + user, time.perf_counter())
                n += 1

        threads = [
            threading.Thread(target=user_loop, args=(u,), name=f"prism-user-{u}") for u in users
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        return time.perf_counter()

    # -- live snapshots ----------------------------------------------------------------
    def _report_loop(self) -> None:
        while not self.stop.wait(SNAPSHOT_SECONDS):
            self._snapshot()

    def _snapshot(self, final: bool = False) -> dict[str, Any]:
        with self.lock:
            delta, self.delta = self.delta, Metrics()
            counters = {
                "planned": self.counters.planned,
                "started": self.counters.started,
                "dropped": self.counters.dropped,
                "late": self.counters.late,
                "errors": sum(self.counters.errors.values()),
            }
        snapshot = {
            "index": self.index,
            "final": final,
            "elapsed": time.perf_counter() - self.t0,
            "delta": {"by_name": delta.encode()["by_name"], "by_second": {}},
            "counters": counters,
            "aborted": self.channel.stop_requested(),
        }
        self.channel.publish(snapshot)
        return snapshot


def _sleep_until(when: float) -> None:
    delay = when - time.perf_counter()
    if delay > 0:
        time.sleep(delay)


def run_segment(plan: Plan, index: int, count: int, channel: Channel) -> dict[str, Any]:
    """Prepare the test data, wait for the common start, run this segment; the result is
    plain data (encoded histograms), so it crosses process and machine boundaries."""
    with write_audit.paused(), tempfile.TemporaryDirectory(prefix="prism-load-") as tmp:
        segment = _Segment(plan, index, count, channel, Path(tmp))
        segment.prepare()
        before = {i: test_data.fingerprint(t) for i, t in segment.templates.items() if t}
        segment.warm_up()
        result = segment.run()
        # Warm-up runs each scenario alone, so a scenario that writes through to the shared
        # data is named exactly; a change seen only after the timed phase (a scenario that
        # does it only sometimes) names every scenario sharing the changed template.
        suspects = {
            segment.plan.specs[i].display_name
            for i, t in segment.templates.items()
            if t and test_data.fingerprint(t) != before[i]
        }
        result["template_changed_by"] = sorted(segment.culprits or suspects)
        return result
