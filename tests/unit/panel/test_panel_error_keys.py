"""Panel refusals name the field they are about (``key``/``value``), and the inputs a typed
scenario step cannot send (a position that is not text, a boolean confidence) are refused."""

from __future__ import annotations

from asyncio import run
from typing import Any

import pytest

from flatfile_chat.errors import AlreadyExists, NotFound, ValidationError
from flatfile_chat.panel import FFPanelSessionManager

THREE = [{"participant_id": "ann"}, {"participant_id": "ben"}, {"participant_id": "generalist"}]


def _panel(panels: FFPanelSessionManager, **config: Any) -> None:
    run(panels.create_panel_session("p1", "expert_consultation", THREE, config or None))


def _refusal(error: type[Exception], call: Any) -> Any:
    with pytest.raises(error) as caught:
        run(call)
    return caught.value


def test_message_refusals_name_their_field(panels: FFPanelSessionManager) -> None:
    _panel(panels)
    missing = _refusal(
        NotFound, panels.add_panel_message("p1", "ann", "hi", reply_to_message_id="msg_x")
    )
    assert (missing.key, missing.value) == ("reply_to_message_id", "msg_x")
    routing = _refusal(
        NotFound, panels.add_panel_message("p1", "ann", "hi", metadata={"routing_id": "route_x"})
    )
    assert (routing.key, routing.value) == ("routing_id", "route_x")
    tags = _refusal(
        ValidationError, panels.add_panel_message("p1", "ann", "hi", metadata={"topic_tags": "x"})
    )
    assert tags.key == "topic_tags"
    gone = _refusal(NotFound, panels.add_panel_message("p2", "ann", "hi"))
    assert (gone.key, gone.value) == ("panel_id", "p2")


def test_a_delegated_reply_from_someone_else_names_the_speaker(
    panels: FFPanelSessionManager,
) -> None:
    _panel(panels)
    decision = run(panels.route_panel_message("p1", "q", confidences={"ann": 1.0}))
    wrong = _refusal(
        ValidationError,
        panels.add_panel_message("p1", "ben", "me", metadata={"routing_id": decision.routing_id}),
    )
    assert (wrong.key, wrong.value) == ("participant_id", "ben")


def test_insight_refusals_name_their_field(panels: FFPanelSessionManager) -> None:
    _panel(panels)
    empty = _refusal(ValidationError, panels.capture_panel_insight("p1", " "))
    assert empty.key == "insight_content"
    stranger = _refusal(
        ValidationError, panels.capture_panel_insight("p1", "x", participant_positions={"zed": "a"})
    )
    assert stranger.key == "zed"
    blank = _refusal(
        ValidationError, panels.capture_panel_insight("p1", "x", participant_positions={"ann": " "})
    )
    assert (blank.key, blank.value) == ("participant_positions", "ann")
    context = _refusal(NotFound, panels.capture_panel_insight("p1", "x", "insight", ["msg_x"]))
    assert (context.key, context.value) == ("context_message_ids", "msg_x")
    impact = _refusal(
        ValidationError, panels.capture_panel_insight("p1", "x", metadata={"impact_level": "huge"})
    )
    assert (impact.key, impact.value) == ("impact_level", "huge")
    deadline = _refusal(
        ValidationError, panels.capture_panel_insight("p1", "x", metadata={"deadline": "soon"})
    )
    assert deadline.key == "deadline"
    related = _refusal(
        NotFound, panels.capture_panel_insight("p1", "x", metadata={"related_insights": ["i_x"]})
    )
    assert related.key == "related_insights"


@pytest.mark.parametrize("position", [3, None, ["a"]])
def test_a_position_must_be_text(panels: FFPanelSessionManager, position: Any) -> None:
    _panel(panels)
    refused = _refusal(
        ValidationError,
        panels.capture_panel_insight("p1", "x", participant_positions={"ann": position}),
    )
    assert str(refused) == "position of 'ann' must be a non-empty string"
    assert (refused.key, refused.value) == ("participant_positions", "ann")


def test_positions_must_be_a_mapping(panels: FFPanelSessionManager) -> None:
    _panel(panels)
    refused = _refusal(
        ValidationError, panels.capture_panel_insight("p1", "x", participant_positions=["ann"])
    )
    assert refused.key == "participant_positions"


@pytest.mark.parametrize("value", [True, False, "0.5", 1.01, -0.1])
def test_a_confidence_must_be_a_number_in_range(panels: FFPanelSessionManager, value: Any) -> None:
    _panel(panels)
    refused = _refusal(
        ValidationError, panels.route_panel_message("p1", "q", confidences={"ann": value})
    )
    assert str(refused) == "confidence of 'ann' must be a number in [0, 1]"
    assert (refused.key, refused.value) == ("confidences", value)


def test_routing_refusals_name_their_field(panels: FFPanelSessionManager) -> None:
    _panel(panels)
    stranger = _refusal(
        ValidationError, panels.route_panel_message("p1", "q", confidences={"zed": 0.5})
    )
    assert (stranger.key, stranger.value) == ("confidences", "zed")
    assert _refusal(ValidationError, panels.route_panel_message("p1", " ")).key == "content"
    over = _refusal(ValidationError, panels.route_panel_message("p1", "q", threshold=2))
    assert over.key == "threshold"
    run(panels.create_panel_session("p2", "expert_consultation", THREE[:2]))
    fallback = _refusal(ValidationError, panels.route_panel_message("p2", "q"))
    assert (fallback.key, fallback.value) == ("delegation_fallback_participant", "generalist")


def test_an_ended_panel_names_itself(panels: FFPanelSessionManager) -> None:
    _panel(panels)
    run(panels.end_panel_session("p1"))
    ended = _refusal(ValidationError, panels.route_panel_message("p1", "q"))
    assert (ended.key, ended.value) == ("panel_id", "p1")


def test_an_id_that_cannot_be_allocated_is_refused_naming_its_kind(
    panels: FFPanelSessionManager, store, monkeypatch
) -> None:
    _panel(panels)
    monkeypatch.setattr(store.ctx.ids, "prefixed", lambda prefix, length=12: f"{prefix}_same")
    first = run(panels.add_panel_message("p1", "ann", "one"))
    assert first.message_id == "msg_same"
    refused = _refusal(AlreadyExists, panels.add_panel_message("p1", "ben", "two"))
    assert str(refused) == "could not allocate a fresh msg id"
    assert refused.key == "msg_id"
    assert [m.message_id for m in run(panels.get_panel_messages("p1"))] == ["msg_same"]
