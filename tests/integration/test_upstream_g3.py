"""Real upstream G3 data reads through the base store as-is (copied to a temp dir first)."""

from __future__ import annotations

import asyncio
import hashlib
import json
from pathlib import Path

import pytest

pytestmark = pytest.mark.upstream


def _digest(root: Path) -> dict[str, str]:
    return {
        str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in root.rglob("*")
        if p.is_file()
    }


def _lines(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines()]


def test_g3_session_types(make_store, upstream_copy) -> None:
    root = upstream_copy("g3_session_types")
    before = _digest(root)
    store = make_store(root=root)
    sessions = asyncio.run(store.list_sessions("test_user"))
    assert sorted(s.session_type for s in sessions) == [
        "chat",
        "debate",
        "panel",
        "problem_solving",
    ]
    for session in sessions:
        messages = asyncio.run(store.get_messages("test_user", session.session_id))
        on_disk = _lines(root / "users/test_user" / session.session_id / "messages.jsonl")
        assert [m.message_id for m in messages] == [m["message_id"] for m in on_disk]
        assert session.message_count == len(messages) == 1
        assert messages[0].content == f"Test message for {session.session_type} session"
        assert messages[0].metadata["stored_via_bridge"] is True  # unknown keys survive
    assert store.check_integrity() == []
    assert _digest(root) == before  # reading changed no byte


def test_g3_complex_data(make_store, upstream_copy) -> None:
    root = upstream_copy("g3_complex_data")
    before = _digest(root)
    store = make_store(root=root)
    assert asyncio.run(store.list_users()) == ["markly2"]  # no profile.json upstream
    panel = "panel_session_76e50845"
    messages = asyncio.run(store.get_messages("markly2", panel))
    on_disk = _lines(root / "users/markly2" / panel / "messages.jsonl")
    assert len(messages) == 8
    # User/assistant pairs share timestamps upstream: order must be file order.
    assert [m.message_id for m in messages] == [m["message_id"] for m in on_disk]
    assert {m.metadata["persona"] for m in messages} == {"jake_thompson", "marcus_chen"}
    stats = asyncio.run(store.get_session_statistics("markly2", panel))
    assert (stats.message_count, stats.stored_message_count) == (8, 0)  # stale upstream
    chat = asyncio.run(store.get_messages("markly2", "chat_session_20250811_213534_522068"))
    assert len(chat) == 8 and [m.role for m in chat] == ["user", "assistant"] * 4
    personas = asyncio.run(store.list_personas())
    assert len(personas) == 14 and "dr._sarah_wilson" in personas
    wilson = asyncio.run(store.get_persona("dr._sarah_wilson"))
    assert wilson.name and wilson.model_extra["system_prompt"]
    assert _digest(root) == before
    # The stale counters are reported, and repair recomputes them from the logs.
    mismatches = [i for i in store.check_integrity() if i.kind == "counter_mismatch"]
    assert len(mismatches) == 3
    fixed = store.repair().counters_fixed
    assert sorted(f["now"] for f in fixed) == [2, 8, 8]
    assert store.check_integrity() == []
