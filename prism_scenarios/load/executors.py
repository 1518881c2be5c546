"""Where segments run: in this process, in local worker processes, or on a Dask cluster.

All three give every segment the same plan and a channel, start them together once each has
its test data, merge their live snapshots into the progress line and the abort judge, and
collect their results. Dask (``pip install 'prism-scenarios[distributed]'``) is the engine
past one machine; see docs/decisions/load_distribution.md.
"""

from __future__ import annotations

import multiprocessing
import queue as queue_mod
import threading
import time
from typing import Any

from prism_scenarios.load.live import Live
from prism_scenarios.load.results import LoadResult, merge
from prism_scenarios.load.segment import SoloChannel, run_segment
from prism_scenarios.load.spec import Plan

START_MARGIN = 0.25  # seconds between "all ready" and the common start


class LoadRunError(RuntimeError):
    """A worker died or the cluster could not run the segments."""


def run_inline(plan: Plan, live: Live | None = None) -> LoadResult:
    """One segment, in threads of this process (the Gherkin/YAML ``load.run`` action)."""
    lock = threading.Lock()
    channel = SoloChannel()

    def on_snapshot(snapshot: dict[str, Any]) -> None:
        if live is None:
            return
        with lock:
            live.add(snapshot)
            live.show()
            if live.abort_reason:
                channel.stop.set()

    channel.on_snapshot = on_snapshot
    result = run_segment(plan, 0, 1, channel)
    if live is not None:
        live.show(force=True)
        live.done()
    return merge(plan, [result], "inline", live.abort_reason if live else None)


class _QueueChannel:
    """Local processes: one queue out, events in (picklable at process start)."""

    def __init__(self, ctx: Any) -> None:
        self.out = ctx.Queue()
        self.go = ctx.Event()
        self.stop = ctx.Event()
        self.start = ctx.Value("d", 0.0)

    def ready(self, index: int) -> None:
        self.out.put(("ready", index, None))

    def start_at(self) -> float:
        self.go.wait()
        return self.start.value

    def publish(self, snapshot: dict[str, Any]) -> None:
        self.out.put(("snapshot", snapshot["index"], snapshot))

    def stop_requested(self) -> bool:
        return self.stop.is_set()


def _process_main(plan: Plan, index: int, count: int, channel: _QueueChannel) -> None:
    try:
        channel.out.put(("result", index, run_segment(plan, index, count, channel)))
    except BaseException as exc:
        channel.out.put(("failed", index, f"{type(exc).__name__}: {exc}"))
        raise


def run_processes(plan: Plan, workers: int, live: Live) -> LoadResult:
    ctx = multiprocessing.get_context("spawn")  # no forked threads, locks or event loops
    channel = _QueueChannel(ctx)
    procs = [
        ctx.Process(
            target=_process_main,
            args=(plan, i, workers, channel),
            name=f"prism-load-{i}",
            daemon=True,
        )
        for i in range(workers)
    ]
    for proc in procs:
        proc.start()
    try:
        results = _coordinate(
            workers,
            channel.out.get,
            live,
            go=lambda at: (_set(channel.start, at), channel.go.set()),
            stop=channel.stop.set,
            alive=lambda: all(p.is_alive() or p.exitcode == 0 for p in procs),
        )
    finally:
        channel.stop.set()
        for proc in procs:
            proc.join(timeout=30)
            if proc.is_alive():
                proc.kill()
    return merge(plan, results, f"processes x{workers}", live.abort_reason)


def _set(value: Any, at: float) -> None:
    value.value = at


def _coordinate(
    workers: int, get: Any, live: Live, *, go: Any, stop: Any, alive: Any
) -> list[dict[str, Any]]:
    ready: set[int] = set()
    results: dict[int, dict[str, Any]] = {}
    started = False
    while len(results) < workers:
        try:
            kind, index, payload = get(timeout=0.25)
        except queue_mod.Empty:
            if not alive():
                raise LoadRunError("a load worker exited without a result") from None
            live.show()
            continue
        if kind == "ready":
            ready.add(index)
            if len(ready) == workers and not started:
                go(time.time() + START_MARGIN)
                started = True
        elif kind == "snapshot":
            live.add(payload)
            if live.abort_reason:
                stop()
            live.show()
        elif kind == "result":
            results[index] = payload
        elif kind == "failed":
            stop()
            raise LoadRunError(f"load worker {index} failed: {payload}")
    live.show(force=True)
    live.done()
    return [results[i] for i in sorted(results)]


class _DaskChannel:
    """The same protocol over Dask's coordination primitives (named, so they pickle)."""

    def __init__(self, name: str) -> None:
        from distributed import Event, Queue, Variable

        self.name = name
        self.out = Queue(f"{name}-out")
        self.go = Event(f"{name}-go")
        self.stop = Event(f"{name}-stop")
        self.start = Variable(f"{name}-start")

    def __getstate__(self) -> dict[str, Any]:
        return {"name": self.name}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__init__(state["name"])  # type: ignore[misc]

    def ready(self, index: int) -> None:
        self.out.put(("ready", index, None))

    def start_at(self) -> float:
        self.go.wait()
        return float(self.start.get())

    def publish(self, snapshot: dict[str, Any]) -> None:
        self.out.put(("snapshot", snapshot["index"], snapshot))

    def stop_requested(self) -> bool:
        return self.stop.is_set()


def _dask_segment(plan: Plan, index: int, count: int, channel: _DaskChannel) -> dict[str, Any]:
    result = run_segment(plan, index, count, channel)
    channel.out.put(("result", index, result))
    return {"index": index}


def run_dask(plan: Plan, address: str, workers: int | None, live: Live) -> LoadResult:
    try:
        from distributed import Client
    except ImportError:
        raise LoadRunError(
            "--dask needs the distributed extra: pip install 'prism-scenarios[distributed]'"
        ) from None
    import uuid

    with Client(address, timeout="10s") as client:
        info = client.scheduler_info()["workers"]
        available = len(info)
        threads = sum(w.get("nthreads", 1) for w in info.values())
        count = workers or available
        if available < 1:
            raise LoadRunError(f"the Dask scheduler at {address} has no workers")
        if count > threads:  # every segment waits for the common start: all must run at once
            raise LoadRunError(
                f"--workers {count} needs {count} Dask worker threads at once; "
                f"the scheduler at {address} has {threads}"
            )
        channel = _DaskChannel(f"prism-load-{uuid.uuid4().hex[:12]}")
        futures = [
            client.submit(
                _dask_segment,
                plan,
                i,
                count,
                channel,
                pure=False,
                key=f"{channel.name}-segment-{i}",
            )
            for i in range(count)
        ]

        def get(timeout: float) -> Any:
            failed = [f for f in futures if f.status == "error"]
            if failed:
                return ("failed", futures.index(failed[0]), repr(failed[0].exception()))
            try:
                return channel.out.get(timeout=timeout)
            except TimeoutError:
                raise queue_mod.Empty from None

        results = _coordinate(
            count,
            get,
            live,
            go=lambda at: (channel.start.set(at), channel.go.set()),
            stop=channel.stop.set,
            alive=lambda: True,
        )
        client.gather(futures)
    return merge(plan, results, f"dask x{count} ({address})", live.abort_reason)
