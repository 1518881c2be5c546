"""The chat service: one exchange, its persona, window, attachments and memory — or nothing."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from flatfile_chat.chat import FFChatService, TurnOptions
from flatfile_chat.errors import NotFound, ValidationError
from flatfile_chat.memory import FFMemoryLayerManager


def run(coro):
    return asyncio.run(coro)


def _tree(root: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(root)): p.read_bytes()
        for p in sorted(root.rglob("*"))
        if p.is_file() and not p.name.endswith(".lock")
    }


@pytest.fixture
def chat(store):
    run(store.create_user("alice"))
    sid = run(store.create_session("alice")).session_id
    return FFChatService(store, FFMemoryLayerManager(store)), store, sid


def test_turn_records_persona_attachments_window_and_memory(chat) -> None:
    service, store, sid = chat
    run(store.store_persona({"persona_id": "tutor", "name": "Ada"}))
    doc = run(store.store_document("alice", sid, "page.png", b"png")).filename
    first = run(service.turn("alice", sid, "hi", "hello"))
    result = run(
        service.turn(
            "alice",
            sid,
            "look",
            "nice picture",
            TurnOptions(
                persona="tutor", attachments=[doc], context_window=1, remember=True, relevance=0.7
            ),
        )
    )
    meta = result.assistant_message.metadata
    assert meta == {
        "persona": "tutor",
        "in_reply_to_attachments": [doc],
        "context_messages": [first.assistant_message.message_id],
    }
    assert result.memory.content == "look" and result.memory.session_id == sid
    assert run(store.get_session("alice", sid)).message_count == 4


def test_refusals_write_nothing(chat) -> None:
    service, store, sid = chat
    sandbox = run(store.create_session("alice", metadata={"sandbox": True})).session_id
    before = _tree(store.root)
    with pytest.raises(NotFound, match="persona 'ghost'"):
        run(service.turn("alice", sid, "x", "y", TurnOptions(persona="ghost")))
    with pytest.raises(ValidationError, match="prompt sandbox"):
        run(service.turn("alice", sandbox, "x", "y", TurnOptions(remember=True)))
    with pytest.raises(ValidationError, match="memory layer"):
        run(FFChatService(store).turn("alice", sid, "x", "y", TurnOptions(remember=True)))
    assert _tree(store.root) == before
