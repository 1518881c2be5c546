"""System metrics via real psutil, and background collection that never leaks a task/thread."""

from __future__ import annotations

import asyncio
import base64
import threading
from asyncio import run

from flatfile_chat.analytics import FFMetricsCollectionManager


def test_real_psutil_sample_is_persisted(analytics_factory) -> None:
    store, manager = analytics_factory(real_psutil=True)
    metrics = run(manager.collect_system_metrics())
    assert 0 <= metrics.cpu_percent <= 100 and 0 < metrics.memory_percent <= 100
    assert 0 < metrics.disk_percent <= 100 and metrics.process_rss_mb > 0
    assert metrics.process_threads >= 1
    [line] = store.fs.read_jsonl(
        store.fs.path("analytics", "system_metrics", "resource_usage.jsonl")
    )
    assert line == metrics.to_dict()
    [rates] = store.fs.read_jsonl(store.fs.path("analytics", "system_metrics", "error_rates.jsonl"))
    assert rates["operations_count"] == 0 and rates["error_rate_percent"] is None


def test_initialize_creates_the_layout_without_starting_collection(analytics_factory) -> None:
    store, manager = analytics_factory({"enable_real_time_metrics": True})

    async def scenario() -> set[asyncio.Task]:
        await manager.initialize_analytics_system(start_collection=False)
        return asyncio.all_tasks() - {asyncio.current_task()}

    assert run(scenario()) == set()
    assert not manager.collecting
    for folder, names in {
        "system_metrics": ["error_rates", "health_checks", "performance", "resource_usage"],
        "user_analytics": [
            "behavior_patterns",
            "engagement_metrics",
            "feature_usage",
            "session_analytics",
        ],
        "compliance": ["audit_logs", "privacy_events", "security_events"],
    }.items():
        for name in names:
            assert store.fs.path("analytics", folder, f"{name}.jsonl").is_file()
    assert store.fs.path("analytics", "analytics_metadata.json").is_file()


def test_start_stop_collects_and_leaks_no_task_or_thread(analytics_factory, sampler) -> None:
    store, manager = analytics_factory({"collection_interval_seconds": 0.01})
    threads_before = set(threading.enumerate())

    async def scenario() -> tuple[int, set[asyncio.Task]]:
        assert await manager.start_continuous_collection() is True
        assert await manager.start_continuous_collection() is False  # already running
        assert manager.collecting
        while sampler.calls < 3:  # wait for work, not for a time
            await asyncio.sleep(0.005)
        assert await manager.stop_continuous_collection() is True
        assert await manager.stop_continuous_collection() is False  # idempotent
        return sampler.calls, asyncio.all_tasks() - {asyncio.current_task()}

    calls, leftover = run(scenario())
    assert leftover == set() and not manager.collecting
    assert set(threading.enumerate()) - threads_before == set()
    lines = store.fs.read_jsonl(
        store.fs.path("analytics", "system_metrics", "resource_usage.jsonl")
    )
    assert len(lines) == calls  # nothing collected after stop returned


def test_initialize_starts_collection_when_configured(analytics_factory, sampler) -> None:
    _store, manager = analytics_factory(
        {"enable_real_time_metrics": True, "collection_interval_seconds": 0.01}
    )

    async def scenario() -> set[asyncio.Task]:
        await manager.initialize_analytics_system()
        assert manager.collecting
        while sampler.calls < 1:
            await asyncio.sleep(0.005)
        await manager.close()
        return asyncio.all_tasks() - {asyncio.current_task()}

    assert run(scenario()) == set()


def test_forgotten_collector_dies_with_its_loop_and_stop_still_works(
    analytics_factory, sampler
) -> None:
    _store, manager = analytics_factory({"collection_interval_seconds": 0.01})

    async def forget() -> None:
        await manager.start_continuous_collection()
        while sampler.calls < 1:
            await asyncio.sleep(0.005)

    run(forget())  # asyncio.run cancels the task when its loop ends
    assert not manager.collecting
    assert run(manager.stop_continuous_collection()) is True
    assert run(manager.stop_continuous_collection()) is False


def test_a_failing_sample_does_not_end_collection(analytics_factory, sampler) -> None:
    _store, manager = analytics_factory({"collection_interval_seconds": 0.01})
    real = sampler.sample

    def flaky(path):
        if sampler.calls == 0:
            sampler.calls += 1
            raise OSError("sensor unavailable")
        return real(path)

    sampler.sample = flaky

    async def scenario() -> None:
        await manager.start_continuous_collection()
        while sampler.calls < 3:
            await asyncio.sleep(0.005)
        await manager.stop_continuous_collection()

    run(scenario())
    assert manager._collector.failures == 1 and manager._collector.iterations >= 1


def test_fresh_manager_sees_operations_written_by_another(analytics_factory) -> None:
    store, first = analytics_factory({"alerting": {"min_operations_for_rates": 1}})
    run(first.record_operation("kb", 10.0))
    assert run(first.collect_system_metrics()).operations_count == 1
    second = FFMetricsCollectionManager(store)
    run(second.record_operation("kb", 20.0, success=False))
    metrics = run(first.collect_system_metrics())  # first's tail cache picks up the append
    assert metrics.operations_count == 2 and metrics.error_count == 1


def test_encrypted_store_keeps_analytics_working_and_sealed(analytics_factory, sampler) -> None:
    key = "base64:" + base64.b64encode(b"a" * 32).decode()
    store, manager = analytics_factory(
        {"alerting": {"min_operations_for_rates": 1}},
        storage={"encryption": {"enabled": True, "active_key_id": "k1", "keys": {"k1": key}}},
    )
    run(manager.record_operation("secret-component", 9000.0, success=False))
    run(manager.record_user_analytics("user-1", "s-1", "feature_usage", {"feature": "x"}))
    metrics = run(manager.collect_system_metrics())  # the tail reader opens sealed lines
    assert metrics.error_count == 1
    assert {a.alert_type for a in run(manager.get_active_alerts())} == {
        "error_rate_high",
        "response_time_high",
    }
    assert run(manager.apply_retention()) == {}  # reads every sealed file
    for path in store.fs.path("analytics").rglob("*"):
        if path.is_file():
            assert b"secret-component" not in path.read_bytes()
    assert store.check_integrity() == []
