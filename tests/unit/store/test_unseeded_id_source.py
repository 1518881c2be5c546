"""An unseeded id source (production) gives lowercase hex of exactly the asked length."""

from __future__ import annotations

import re

import pytest

from flatfile_chat.ids import IdSource


@pytest.mark.parametrize("length", [1, 5, 12])
def test_an_unseeded_id_source_gives_hex_of_the_asked_length(length: int) -> None:
    value = IdSource().hex(length)
    assert re.fullmatch(f"[0-9a-f]{{{length}}}", value), value
