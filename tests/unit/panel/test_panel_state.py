"""State lives on disk: a fresh manager resumes a panel; concurrent writers keep turns strict;
analytics add up; topic delegation routes by confidence."""

from __future__ import annotations

import json
import multiprocessing
import threading
from asyncio import run
from pathlib import Path

import pytest

from flatfile_chat import FFStorageManager, IdSource, ManualClock, load_config
from flatfile_chat.errors import LimitExceeded, ValidationError
from flatfile_chat.panel import FFPanelSessionManager
from flatfile_chat.panel.integrity import check_panels


def _turns(root: Path, panel_id: str) -> list[dict]:
    path = root / "panel_sessions" / panel_id / "panel_messages.jsonl"
    return [json.loads(line) for line in path.read_text().splitlines()]


def _process_manager(root: Path, seed: int) -> FFPanelSessionManager:
    """A manager built in a forked child process (the ``make_store`` fixture lives in the
    parent, which could not close the child's store)."""
    store = FFStorageManager(
        load_config(preset="test"), clock=ManualClock(), ids=IdSource(seed), base_path=root
    )
    return FFPanelSessionManager(store)


def test_fresh_manager_resumes_turns_and_rules(make_store, panels, store, debaters):
    run(panels.create_panel_session("r", "ai_debate", debaters(2)))
    run(panels.add_panel_message("r", "d1", "one"))
    run(panels.add_panel_message("r", "d1", "two"))
    resumed = FFPanelSessionManager(make_store(root=store.root, seed=99))
    with pytest.raises(LimitExceeded):  # the run of two survives the restart
        run(resumed.add_panel_message("r", "d1", "three"))
    message = run(resumed.add_panel_message("r", "d2", "reply"))
    assert message.conversation_turn == 3
    assert [m.content for m in run(resumed.get_panel_messages("r", limit=2))] == ["two", "reply"]
    metadata = json.loads(
        (store.root / "panel_sessions" / "r" / "session_metadata.json").read_text()
    )
    assert metadata["current_turn"] == 3 and metadata["last_participant"] == "d2"


def test_concurrent_threads_keep_turns_strictly_increasing(make_store, panels, store, debaters):
    people = debaters(4)
    run(panels.create_panel_session("busy", "multi_persona", people, {"enable_turn_taking": False}))
    errors: list[BaseException] = []

    def writer(pid: str, seed: int) -> None:
        manager = FFPanelSessionManager(make_store(root=store.root, seed=seed))
        try:
            for i in range(15):
                run(manager.add_panel_message("busy", pid, f"{pid} says {i}"))
        except BaseException as exc:  # surfaced below
            errors.append(exc)

    threads = [
        threading.Thread(target=writer, args=(p["participant_id"], 10 + n))
        for n, p in enumerate(people)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    rows = _turns(store.root, "busy")
    assert [r["conversation_turn"] for r in rows] == list(range(1, 61))
    assert len({r["message_id"] for r in rows}) == 60
    analytics = run(panels.get_panel_analytics("busy"))
    assert sum(analytics.message_distribution.values()) == 60
    assert list(check_panels(store.ctx)) == []  # our checks (memory has its own)


def _process_writer(root: str, pid: str, seed: int) -> None:
    manager = _process_manager(Path(root), seed)
    for i in range(10):
        run(manager.add_panel_message("proc", pid, f"{pid} {i}"))


@pytest.mark.slow
def test_concurrent_processes_keep_turns_strictly_increasing(panels, store, debaters):
    run(
        panels.create_panel_session(
            "proc", "multi_persona", debaters(3), {"enable_turn_taking": False}
        )
    )
    context = multiprocessing.get_context("fork")
    procs = [
        context.Process(target=_process_writer, args=(str(store.root), f"d{n}", 50 + n))
        for n in range(1, 4)
    ]
    for p in procs:
        p.start()
    for p in procs:
        p.join(60)
    assert [p.exitcode for p in procs] == [0, 0, 0]
    rows = _turns(store.root, "proc")
    assert [r["conversation_turn"] for r in rows] == list(range(1, 31))
    assert list(check_panels(store.ctx)) == []  # our checks (memory has its own)


def test_analytics_and_end_session(panels, store, debaters):
    run(panels.create_panel_session("a", "focus_group", debaters(3)))
    for pid, text in (("d1", "one two"), ("d2", "three"), ("d1", "four five six")):
        run(panels.add_panel_message("a", pid, text))
    run(panels.capture_panel_insight("a", "A finding", "finding"))
    analytics = run(panels.get_panel_analytics("a"))
    assert analytics.message_distribution == {"d1": 2, "d2": 1, "d3": 0}
    assert analytics.word_count_distribution == {"d1": 5, "d2": 1, "d3": 0}
    assert analytics.total_insights == 1 and analytics.total_decisions == 0
    assert 0 < analytics.participation_inequality < 1
    result = run(panels.end_panel_session("a"))
    final = json.loads(
        (store.root / "panel_sessions" / "a" / "analytics" / "final_analytics.json").read_text()
    )
    assert final["total_messages"] == 3 and result["session_summary"].startswith("focus_group")
    config = run(panels.get_panel_session("a"))
    assert config["status"] == "ended" and config["ended_at"] == result["ended_at"]
    with pytest.raises(ValidationError):
        run(panels.end_panel_session("a"))


def test_topic_delegation_routes_by_confidence(panels, debaters):
    people = [
        {"participant_id": "db_expert", "expertise_areas": ["database", "sql"]},
        {"participant_id": "ux_expert", "expertise_areas": ["user interface"]},
        {"participant_id": "generalist"},
    ]
    run(panels.create_panel_session("route", "expert_consultation", people))
    sure = run(panels.route_panel_message("route", "How do I tune this SQL query?"))
    assert sure.chosen_participant_id == "db_expert" and sure.confidence == 1.0
    unsure = run(
        panels.route_panel_message("route", "Anything else?", confidences={"ux_expert": 0.6})
    )
    assert unsure.chosen_participant_id == "generalist" and unsure.fell_back
    with pytest.raises(ValidationError, match="delegated"):
        run(
            panels.add_panel_message(
                "route", "ux_expert", "I'll answer", metadata={"routing_id": sure.routing_id}
            )
        )
    reply = run(
        panels.add_panel_message(
            "route", "db_expert", "Add an index.", metadata={"routing_id": sure.routing_id}
        )
    )
    assert reply.metadata["routing_id"] == sure.routing_id
    assert len(run(panels.get_routing_decisions("route"))) == 2
