"""A per-message context limit must be an integer: a float or text is refused before any write."""

from __future__ import annotations

from asyncio import run

import pytest

from flatfile_chat.errors import ValidationError


@pytest.mark.parametrize("limit", [2.5, "3"])
def test_a_non_integer_context_limit_is_refused_with_its_key(rag, bio_kb, store, limit):
    run(rag.initialize_rag_session("alice", "chat1", [bio_kb]))
    with pytest.raises(ValidationError) as caught:
        run(rag.get_rag_context_for_message("alice", "chat1", "light", "msg_a1", limit))
    assert caught.value.key == "max_context_chunks"
    messages = store.root / "users" / "alice" / "rag_sessions" / "chat1" / "messages.jsonl"
    assert not messages.exists()
