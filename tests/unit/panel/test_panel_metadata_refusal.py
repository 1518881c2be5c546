"""An insight's metadata that is not a JSON mapping is refused naming ``metadata`` (a typed
scenario step cannot send one: its parameter is a mapping of YAML values)."""

from __future__ import annotations

from asyncio import run

import pytest

from flatfile_chat.errors import ValidationError
from flatfile_chat.panel import FFPanelSessionManager


def test_insight_metadata_must_be_a_json_mapping(panels: FFPanelSessionManager) -> None:
    run(
        panels.create_panel_session(
            "p1", "decision_making", [{"participant_id": "ann"}, {"participant_id": "ben"}]
        )
    )
    with pytest.raises(ValidationError) as listed:
        run(panels.capture_panel_insight("p1", "x", metadata=["impact_level"]))  # type: ignore[arg-type]
    assert listed.value.key == "metadata"
    assert str(listed.value) == "metadata must be a mapping, got list"
    with pytest.raises(ValidationError) as unserialisable:
        run(panels.capture_panel_insight("p1", "x", metadata={"when": object()}))
    assert unserialisable.value.key == "metadata"
    assert str(unserialisable.value).startswith("metadata is not JSON-serialisable: ")
    assert run(panels.get_panel_insights("p1")) == []
