"""Session rules are enforced, and every refusal writes nothing."""

from __future__ import annotations

import json
from asyncio import run

import pytest

from flatfile_chat.audit import AuditLog
from flatfile_chat.errors import (
    AlreadyExists,
    LimitExceeded,
    NotFound,
    SecurityError,
    ValidationError,
)


def test_debate_third_consecutive_message_is_refused_and_nothing_written(
    panels, store, debaters, files_of
):
    run(panels.create_panel_session("debate1", "ai_debate", debaters(3)))
    run(panels.add_panel_message("debate1", "d1", "Opening argument."))
    run(panels.add_panel_message("debate1", "d1", "A second point."))
    before = files_of(store.root)
    with pytest.raises(LimitExceeded) as err:
        run(panels.add_panel_message("debate1", "d1", "A third point in a row."))
    assert err.value.key == "max_consecutive_messages"
    assert files_of(store.root) == before
    run(panels.add_panel_message("debate1", "d2", "Rebuttal."))
    run(panels.add_panel_message("debate1", "d1", "Now I may speak again."))
    config = run(panels.get_panel_session("debate1"))
    assert config["session_rules"]["require_alternating_turns"] is True
    assert config["session_rules"]["max_consecutive_messages"] == 2


def test_debate_moderator_does_not_reset_a_debaters_run(panels, debaters):
    run(panels.create_panel_session("debate2", "ai_debate", debaters(2, moderator=True)))
    run(panels.add_panel_message("debate2", "d1", "Point one."))
    run(panels.add_panel_message("debate2", "mod", "Please continue."))
    run(panels.add_panel_message("debate2", "d1", "Point two."))
    with pytest.raises(LimitExceeded):
        run(panels.add_panel_message("debate2", "d1", "Point three."))
    # The moderator is exempt from the consecutive limit.
    for text in ("Time check.", "One minute left.", "Closing soon."):
        run(panels.add_panel_message("debate2", "mod", text))


def test_brainstorm_allows_one_message_in_a_row(panels, debaters):
    run(panels.create_panel_session("storm", "brainstorm", debaters(2)))
    run(panels.add_panel_message("storm", "d1", "Idea A"))
    with pytest.raises(LimitExceeded):
        run(panels.add_panel_message("storm", "d1", "Idea B"))


def test_generic_limit_applies_to_other_types(panels, debaters):
    run(panels.create_panel_session("mp", "multi_persona", debaters(2)))
    for i in range(3):
        run(panels.add_panel_message("mp", "d1", f"message {i}"))
    with pytest.raises(LimitExceeded):
        run(panels.add_panel_message("mp", "d1", "fourth"))


def test_non_member_is_refused_audited_and_nothing_written(panels, store, debaters, files_of):
    run(panels.create_panel_session("p1", "focus_group", debaters(2)))
    before = files_of(store.root)
    with pytest.raises(SecurityError, match="not a member"):
        run(panels.add_panel_message("p1", "intruder", "Let me in."))
    assert files_of(store.root) == before
    denied = AuditLog(store.ctx).entries(event_type="panel_access_denied")
    assert len(denied) == 1 and denied[0]["outcome"] == "denied"


def test_message_length_limit(panels, store, debaters, files_of):
    run(panels.create_panel_session("p2", "focus_group", debaters(2), {"max_message_length": 10}))
    before = files_of(store.root)
    with pytest.raises(LimitExceeded, match="max_message_length"):
        run(panels.add_panel_message("p2", "d1", "x" * 11))
    assert files_of(store.root) == before
    run(panels.add_panel_message("p2", "d1", "x" * 10))


@pytest.mark.parametrize(
    ("people", "config", "error"),
    [
        (1, None, ValidationError),
        (6, {"max_participants": 5}, LimitExceeded),
        (2, {"require_moderator": True}, ValidationError),
        ([{"participant_id": "a"}, {"participant_id": "a"}], None, ValidationError),
        (2, {"no_such_setting": 1}, ValidationError),
        (2, {"owner_user_id": "nobody"}, NotFound),
    ],
)
def test_creation_refusals_write_no_panel(panels, store, debaters, people, config, error):
    people = debaters(people) if isinstance(people, int) else people
    with pytest.raises(error):
        run(panels.create_panel_session("bad", "multi_persona", people, config))
    assert not (store.root / "panel_sessions" / "bad").exists()


def test_require_moderator_satisfied_by_moderator_role(panels, debaters):
    assert run(
        panels.create_panel_session(
            "gm", "multi_persona", debaters(2, moderator=True), {"require_moderator": True}
        )
    )
    participants = {p.participant_id: p for p in run(panels.get_panel_participants("gm"))}
    assert participants["mod"].role == "moderator" and participants["mod"].can_moderate
    assert participants["d1"].can_moderate is False


def test_duplicate_panel_and_unknown_type(panels, debaters):
    run(panels.create_panel_session("dup", "brainstorm", debaters(2)))
    with pytest.raises(AlreadyExists):
        run(panels.create_panel_session("dup", "brainstorm", debaters(2)))
    with pytest.raises(ValidationError, match="session_type"):
        run(panels.create_panel_session("other", "agent_debate", debaters(2)))


def test_ended_panel_refuses_messages(panels, debaters):
    run(panels.create_panel_session("done", "brainstorm", debaters(2)))
    run(panels.add_panel_message("done", "d1", "idea"))
    result = run(panels.end_panel_session("done"))
    assert result["success"] and result["final_analytics"].total_messages == 1
    with pytest.raises(ValidationError, match="ended"):
        run(panels.add_panel_message("done", "d2", "too late"))


def test_reply_threading_and_unknown_reply(panels, store, debaters):
    run(panels.create_panel_session("t", "expert_consultation", debaters(2)))
    root = run(panels.add_panel_message("t", "d1", "Question?"))
    reply = run(panels.add_panel_message("t", "d2", "Answer.", reply_to_message_id=root.message_id))
    assert reply.thread_id == root.thread_id == root.message_id
    with pytest.raises(NotFound):
        run(panels.add_panel_message("t", "d1", "?", reply_to_message_id="msg_000000000000"))
    listed = run(panels.get_panel_messages("t", thread_id=root.thread_id))
    assert [m.response_count for m in listed] == [1, 0]
    lines = (store.root / "panel_sessions" / "t" / "panel_messages.jsonl").read_text()
    assert [json.loads(x)["conversation_turn"] for x in lines.splitlines()] == [1, 2]


def test_every_turn_leaves_an_audit_line_and_a_metric(store, memory, debaters) -> None:
    from flatfile_chat.analytics import FFMetricsCollectionManager
    from flatfile_chat.panel import FFPanelSessionManager

    metrics = FFMetricsCollectionManager(store)
    panels = FFPanelSessionManager(store, memory=memory, metrics=metrics)
    run(panels.create_panel_session("d", "ai_debate", debaters(2)))
    run(panels.add_panel_message("d", "d1", "First."))
    run(panels.add_panel_message("d", "d2", "Second."))
    with pytest.raises(SecurityError):
        run(panels.add_panel_message("d", "intruder", "Let me in."))
    turns = [e for e in panels.audit.entries() if e["event_type"] == "panel_turn"]
    assert [(e["details"]["participant_id"], e["details"]["conversation_turn"]) for e in turns] == [
        ("d1", 1),
        ("d2", 2),
    ]
    ops = store.fs.read_jsonl(store.fs.path("analytics", "system_metrics", "performance.jsonl"))
    assert [(o["component"], o["success"], o["error_type"]) for o in ops] == [
        ("panel_session", True, None),
        ("panel_session", True, None),
        ("panel_session", False, "SecurityError"),
    ]
