"""A load segment's counters and clock (dropped arrivals after a stop, "late" strictly past
late_after, elapsed from a zero start) and the worker protocol: a worker's failure message,
the channel a worker process hands its segment, the common start every worker reads, and the
Dask address a run is sent to."""

from __future__ import annotations

import queue
import threading
import time
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from prism_scenarios import load
from prism_scenarios.load import executors, segment
from prism_scenarios.load.spec import DataSpec, OpenModel, Plan


def _plan(model: Any) -> Plan:
    return Plan(
        name="tiny",
        source="load/tiny.yaml",
        profile=None,
        specs=[],
        weights=[1.0],
        model=model,
        data=DataSpec(volume="none"),
        thresholds=[],
        workers=1,
        selected_by=["s.yaml: s"],
    )


class _Channel:
    def __init__(self, stop: bool = False) -> None:
        self.stopped = stop
        self.published: list[dict[str, Any]] = []

    def ready(self, index: int) -> None:
        pass

    def start_at(self) -> float:
        return 0.0

    def stop_requested(self) -> bool:
        return self.stopped

    def publish(self, snapshot: dict[str, Any]) -> None:
        self.published.append(snapshot)


def test_arrivals_after_a_stop_are_counted_as_dropped(tmp_path: Path) -> None:
    seg = segment._Segment(_plan(OpenModel(rate=4, duration=2)), 0, 1, _Channel(True), tmp_path)
    seg.t0 = time.perf_counter() - 60  # every arrival already due: nothing waits
    seg._open()
    assert (seg.counters.planned, seg.counters.started, seg.counters.dropped) == (8, 0, 8)


def test_an_iteration_exactly_late_after_behind_is_not_late(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    plan = SimpleNamespace(
        weights=[1.0],
        model=SimpleNamespace(late_after=0.5),
        specs=[SimpleNamespace(display_name="s", source="s.yaml")],
    )
    seg = segment._Segment(plan, 0, 1, _Channel(), tmp_path)  # type: ignore[arg-type]
    monkeypatch.setattr(seg, "_run_scenario", lambda which: ([], None))
    monkeypatch.setattr(segment, "time", SimpleNamespace(perf_counter=lambda: 10.0))
    seg._iteration(0, 9.5)
    assert seg.counters.late == 0
    seg._iteration(1, 9.25)
    assert seg.counters.late == 1


class _Live:
    abort_reason: str | None = None

    def show(self, force: bool = False) -> None:
        pass

    def add(self, snapshot: dict[str, Any]) -> None:
        pass

    def done(self) -> None:
        pass


def _live() -> Any:
    """A Live stand-in that shows nothing."""
    return _Live()


def test_a_failed_worker_stops_the_run_with_its_message() -> None:
    messages = iter([("ready", 0, None), ("failed", 0, "KeyError: 'x'")])
    stops: list[bool] = []

    def get(timeout: float) -> tuple[str, int, Any]:
        try:
            return next(messages)
        except StopIteration:
            raise queue.Empty from None

    with pytest.raises(executors.LoadRunError) as caught:
        executors._coordinate(
            1,
            get,
            _live(),
            go=lambda at: None,
            stop=lambda: stops.append(True),
            alive=lambda: False,
        )
    assert str(caught.value) == "load worker 0 failed: KeyError: 'x'"
    assert stops == [True]


def test_a_worker_process_hands_its_segment_the_channel(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[tuple[Any, ...]] = []

    def run_segment(*args: Any) -> dict[str, Any]:
        calls.append(args)
        return {"index": args[1]}

    monkeypatch.setattr(executors, "run_segment", run_segment)
    channel = SimpleNamespace(out=queue.Queue())
    plan = object()
    executors._process_main(plan, 1, 2, channel)  # type: ignore[arg-type]
    assert calls == [(plan, 1, 2, channel)]
    assert channel.out.get_nowait() == ("result", 1, {"index": 1})


class _ThreadProcess(threading.Thread):
    """A worker 'process' as a thread of this process (same protocol, no spawn)."""

    exitcode = 0

    def __init__(self, *, target: Any, args: tuple[Any, ...], name: str, daemon: bool) -> None:
        super().__init__(target=target, args=args, name=name, daemon=daemon)

    def join(self, timeout: float | None = None) -> None:
        super().join(1)

    def kill(self) -> None:
        pass


class _Context:
    Process = _ThreadProcess

    def Queue(self) -> queue.Queue:
        return queue.Queue()

    def Event(self) -> threading.Event:
        return threading.Event()

    def Value(self, kind: str, value: float) -> SimpleNamespace:
        return SimpleNamespace(value=value)


def test_every_worker_starts_at_the_common_start(monkeypatch: pytest.MonkeyPatch) -> None:
    def run_segment(plan: Any, index: int, count: int, channel: Any) -> dict[str, Any]:
        channel.ready(index)
        return {"index": index, "start": channel.start_at()}

    monkeypatch.setattr(executors, "run_segment", run_segment)
    monkeypatch.setattr(executors.multiprocessing, "get_context", lambda kind: _Context())
    monkeypatch.setattr(executors, "merge", lambda plan, results, label, abort: (results, label))
    monkeypatch.setattr(executors, "time", SimpleNamespace(time=lambda: 1000.0))
    outcome: Any = executors.run_processes(object(), 2, _live())  # type: ignore[arg-type]
    results, label = outcome
    assert label == "processes x2"
    assert results == [
        {"index": 0, "start": 1000.0 + executors.START_MARGIN},
        {"index": 1, "start": 1000.0 + executors.START_MARGIN},
    ]


def test_a_dask_run_goes_to_the_given_scheduler(monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[tuple[Any, ...]] = []
    monkeypatch.setattr(
        executors, "run_dask", lambda plan, address, workers, live: seen.append((address, workers))
    )
    load.run_plan(_plan(OpenModel(rate=4, duration=2)), dask="tcp://scheduler:8786", workers=3)
    assert seen == [("tcp://scheduler:8786", 3)]
