"""Panels: the audit line of a turn, the default message type in analytics, the JSON form of
a DTO, the prefix of a routing id and participant credits written as derived files."""

from __future__ import annotations

from asyncio import run
from datetime import UTC, datetime

from flatfile_chat.panel.analytics import compute
from flatfile_chat.panel.models import FFPanelInsightDTO


def test_a_turns_audit_line_names_the_message_it_stored(panels, debaters) -> None:
    run(panels.create_panel_session("d", "ai_debate", debaters(2)))
    message = run(panels.add_panel_message("d", "d1", "First."))
    turns = [e for e in panels.audit.entries() if e["event_type"] == "panel_turn"]
    assert [e["details"]["message_id"] for e in turns] == [message.message_id]
    assert set(turns[0]["details"]) == {
        "panel_id",
        "message_id",
        "participant_id",
        "conversation_turn",
    }


def test_a_message_without_a_type_counts_as_conversation() -> None:
    config = {
        "panel_id": "p",
        "session_type": "ai_debate",
        "status": "active",
        "created_at": "2026-01-01T09:00:00+00:00",
        "participants": [{"participant_id": "a"}, {"participant_id": "b"}],
    }
    messages = [
        {"participant_id": "a", "content": "one two"},
        {"participant_id": "b", "content": "three", "message_type": "question"},
    ]
    report = compute(config, messages, [], datetime(2026, 1, 1, 10, tzinfo=UTC))
    assert report.messages_by_type == {"conversation": 1, "question": 1}


def test_to_dict_gives_plain_json_values_not_enums() -> None:
    insight = FFPanelInsightDTO(
        insight_id="i1",
        panel_id="p",
        content="We agree.",
        timestamp="2026-01-01T09:00:00+00:00",
        consensus_level="unanimous",
    )
    data = insight.to_dict()
    assert data["consensus_level"] == "unanimous"
    assert type(data["consensus_level"]) is str


def test_a_routing_id_carries_the_route_prefix(panels) -> None:
    people = [
        {"participant_id": "db_expert", "expertise_areas": ["sql"]},
        {"participant_id": "generalist"},
    ]
    run(panels.create_panel_session("r", "expert_consultation", people))
    decision = run(panels.route_panel_message("r", "A SQL question"))
    assert decision.routing_id.startswith("route_")
    assert len(decision.routing_id) == len("route_") + 12


def test_participant_credits_are_written_as_derived_files_never_fsynced(
    make_store, debaters, monkeypatch
) -> None:
    from flatfile_chat.panel import FFPanelSessionManager
    from flatfile_chat.storage import filestore

    store = make_store(durability="fsync")
    run(store.create_user("owner"))
    panels = FFPanelSessionManager(store, memory=None)
    run(panels.create_panel_session("c", "decision_making", debaters(2)))
    said = run(panels.add_panel_message("c", "d1", "Ship it."))
    writes: list[tuple[str, bool]] = []
    real = filestore.atomic_write_bytes

    def spy(path, payload, **kwargs):
        writes.append((path.name, kwargs.get("fsync")))
        return real(path, payload, **kwargs)

    monkeypatch.setattr(filestore, "atomic_write_bytes", spy)
    run(
        panels.capture_panel_insight(
            "c",
            "Ship on Friday.",
            "decision",
            [said.message_id],
            {"d1": "ship", "d2": "ship"},
        )
    )
    credited = [w for w in writes if w[0].endswith("_context.json")]
    assert credited and all(fsync is False for _name, fsync in credited), writes
    (d1_context,) = store.root.rglob("d1_context.json")
    metrics = store.fs.read_json(d1_context)["performance_metrics"]
    assert (metrics["insights_generated"], metrics["decisions_influenced"]) == (1, 1)
