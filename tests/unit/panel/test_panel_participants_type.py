"""A participants value that is not a list is refused with a message saying so."""

from __future__ import annotations

from asyncio import run

import pytest

from flatfile_chat.errors import ValidationError


def test_participants_given_as_a_string_are_refused_as_not_a_list(panels) -> None:
    with pytest.raises(ValidationError) as caught:
        run(panels.create_panel_session("p", "multi_persona", "ann"))
    assert str(caught.value).startswith("participants must be a list")
    assert caught.value.key == "participants"
