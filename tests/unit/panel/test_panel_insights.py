"""Consensus levels (including conflict and the threshold), decisions, action items, and
insights copied into the owner's memory layer."""

from __future__ import annotations

import json
from asyncio import run

import pytest

from flatfile_chat.errors import NotFound, ValidationError
from flatfile_chat.panel.consensus import assess, extract_action_items
from flatfile_chat.panel.integrity import check_panels
from flatfile_chat.panel.models import ConsensusLevel


@pytest.mark.parametrize(
    ("positions", "level", "score"),
    [
        ({"a": "yes", "b": "Yes ", "c": "YES"}, ConsensusLevel.UNANIMOUS, 1.0),
        ({"a": "y", "b": "y", "c": "y", "d": "y", "e": "n"}, ConsensusLevel.STRONG_MAJORITY, 0.8),
        ({"a": "y", "b": "y", "c": "n"}, ConsensusLevel.SIMPLE_MAJORITY, 0.6667),
        ({"a": "y", "b": "y", "c": "n", "d": "n"}, ConsensusLevel.CONFLICT, 0.5),
        ({"a": "y", "b": "n"}, ConsensusLevel.CONFLICT, 0.5),
        ({"a": "x", "b": "x", "c": "y", "d": "y", "e": "z"}, ConsensusLevel.NO_CONSENSUS, 0.4),
        ({"a": "x", "b": "y", "c": "z"}, ConsensusLevel.NO_CONSENSUS, 0.3333),
    ],
)
def test_consensus_levels(positions, level, score):
    result = assess(positions, threshold=0.5)
    assert result.level is level
    assert result.agreement_score == pytest.approx(score, abs=1e-4)


def test_threshold_decides_whether_a_majority_is_consensus():
    two_of_three = {"a": "for", "b": "for", "c": "against"}
    assert assess(two_of_three, threshold=0.7).consensus_reached is False
    assert assess(two_of_three, threshold=0.6).consensus_reached is True
    conflict = {"a": "for", "b": "against"}
    assert assess(conflict, threshold=0.0).consensus_reached is False
    assert assess({}, threshold=0.7) is None


def test_action_items_keep_text_after_marker():
    text = "We agreed.\nAction item: @d1 drafts the memo\nTODO: book room\nnothing here"
    assert extract_action_items(text) == ["@d1 drafts the memo", "book room"]


def test_debate_decision_is_simple_majority_and_recorded(panels, store, debaters):
    run(panels.create_panel_session("deb", "ai_debate", debaters(3), {"owner_user_id": "owner"}))
    first = run(panels.add_panel_message("deb", "d1", "Remote work raises output."))
    insight = run(
        panels.capture_panel_insight(
            "deb",
            "Adopt remote work.\nAction item: d2 writes the policy",
            "decision",
            context_message_ids=[first.message_id],
            participant_positions={"d1": "for", "d2": "for", "d3": "against"},
        )
    )
    assert insight.consensus_level is ConsensusLevel.SIMPLE_MAJORITY
    assert insight.agreement_score == pytest.approx(0.667, abs=1e-3)
    assert insight.is_decision and insight.consensus_reached is False  # threshold 0.7
    assert insight.action_items == ["d2 writes the policy"]
    assert insight.responsible_parties == ["d2"]
    folder = store.root / "panel_sessions" / "deb" / "insights"
    history = json.loads((folder / "decision_history.json").read_text())["decisions"]
    assert [d["insight_id"] for d in history] == [insight.insight_id]
    assert history[0]["status"] == "contested"
    tracking = json.loads((folder / "consensus_tracking.json").read_text())
    assert tracking["current"]["consensus_level"] == "simple_majority"
    assert run(panels.get_panel_insights("deb", include_decisions_only=True)) == [insight]
    assert list(check_panels(store.ctx)) == []  # our checks (memory has its own)


def test_conflict_is_stored(panels, debaters):
    run(
        panels.create_panel_session(
            "c", "decision_making", debaters(4), {"consensus_threshold": 0.5}
        )
    )
    insight = run(
        panels.capture_panel_insight(
            "c",
            "Split down the middle",
            "consensus",
            participant_positions={"d1": "A", "d2": "A", "d3": "B", "d4": "B"},
        )
    )
    assert insight.consensus_level is ConsensusLevel.CONFLICT and not insight.consensus_reached
    analytics = run(panels.get_panel_analytics("c"))
    assert analytics.consensus_distribution == {"conflict": 1}
    assert analytics.consensus_achieved_count == 0


def test_positions_must_come_from_voting_members(panels, debaters):
    people = [*debaters(2), {"participant_id": "watcher", "role": "observer", "can_vote": False}]
    run(panels.create_panel_session("v", "focus_group", people))
    with pytest.raises(ValidationError, match="not a member"):
        run(panels.capture_panel_insight("v", "x", participant_positions={"zz": "yes"}))
    with pytest.raises(ValidationError, match="can_vote"):
        run(panels.capture_panel_insight("v", "x", participant_positions={"watcher": "yes"}))
    with pytest.raises(NotFound):
        run(panels.capture_panel_insight("v", "x", context_message_ids=["msg_000000000000"]))
    assert run(panels.get_panel_insights("v")) == []


def test_insight_lands_in_the_owners_memory_layer(panels, memory, store, debaters):
    run(
        panels.create_panel_session("mem", "multi_persona", debaters(3), {"owner_user_id": "owner"})
    )
    insight = run(
        panels.capture_panel_insight(
            "mem",
            "The team prefers weekly demos",
            "insight",
            participant_positions={"d1": "weekly", "d2": "weekly", "d3": "weekly"},
        )
    )
    assert insight.metadata["memory_target"] == {"user_id": "owner", "layer": "medium_term"}
    items = _memory_items(memory, store, "owner", "medium_term")
    assert len(items) == 1
    item = items[0]
    assert item["content"] == "The team prefers weekly demos"
    assert item["context_type"] == "insight" and item["session_id"] == "mem"
    assert item["metadata"]["insight_id"] == insight.insight_id


def test_configured_layer_and_no_owner(panels, memory, store, debaters):
    run(
        panels.create_panel_session(
            "lt",
            "multi_persona",
            debaters(2),
            {"owner_user_id": "owner", "memory_layer_for_insights": "long_term"},
        )
    )
    run(panels.capture_panel_insight("lt", "Long lived fact"))
    assert len(_memory_items(memory, store, "owner", "long_term")) == 1
    run(panels.create_panel_session("anon", "multi_persona", debaters(2)))
    insight = run(panels.capture_panel_insight("anon", "Nobody owns this"))
    assert insight.metadata["memory_target"] is None
    assert len(_memory_items(memory, store, "owner", "long_term")) == 1


def test_keyword_message_auto_captures_an_insight(panels, debaters, store):
    run(panels.create_panel_session("auto", "focus_group", debaters(2)))
    message = run(panels.add_panel_message("auto", "d1", "My recommendation is to ship."))
    run(panels.add_panel_message("auto", "d2", "Sounds fine."))
    insights = run(panels.get_panel_insights("auto"))
    assert len(insights) == 1
    assert insights[0].metadata["auto_captured"] is True
    assert insights[0].context_messages == [message.message_id]
    lines = store.root / "panel_sessions" / "auto" / "insights" / "insights.jsonl"
    assert (
        run(panels.get_panel_analytics("auto")).total_insights
        == len(lines.read_text().splitlines())
        == 1
    )


def _memory_items(memory, store, user_id: str, layer: str) -> list[dict]:
    if hasattr(memory, "items"):  # the in-test fake
        return [ctx for uid, ctx, target in memory.items if uid == user_id and target == layer]
    path = store.root / "users" / user_id / "memory_layers" / f"{layer}.jsonl"
    return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []


def test_insight_credits_authors_and_decision_majority(panels, debaters, store):
    """insights_generated counts each author of a context message (captured and
    auto-captured insights alike); decisions_influenced the majority of a decision."""
    run(
        panels.create_panel_session(
            "cr", "decision_making", debaters(3), {"auto_capture_insights": True}
        )
    )
    first = run(panels.add_panel_message("cr", "d1", "Costs are falling."))
    second = run(panels.add_panel_message("cr", "d2", "Risks are rising."))
    run(
        panels.capture_panel_insight(
            "cr",
            "Proceed carefully.",
            "decision",
            context_message_ids=[first.message_id, second.message_id, first.message_id],
            participant_positions={"d1": "go", "d2": "Go", "d3": "stop"},
        )
    )
    run(
        panels.capture_panel_insight(
            "cr", "Only an observation.", "insight", context_message_ids=[second.message_id]
        )
    )
    run(panels.add_panel_message("cr", "d3", "My recommendation is a pilot."))
    folder = store.root / "panel_sessions" / "cr" / "participants"
    metrics = {
        pid: json.loads((folder / f"{pid}_context.json").read_text())["performance_metrics"]
        for pid in ("d1", "d2", "d3")
    }
    assert {
        pid: (m["insights_generated"], m["decisions_influenced"]) for pid, m in metrics.items()
    } == {"d1": (1, 1), "d2": (2, 1), "d3": (1, 0)}
    assert list(check_panels(store.ctx)) == []
