"""The store refuses old-format data with a clear error and changes nothing, instead of
reading a G0 base as empty or leaking raw pydantic errors."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest

from flatfile_chat.errors import OldStoreFormat, StorageCorrupted
from flatfile_chat.migration import manifest


def _g0(root: Path) -> None:
    session = root / "alice" / "chat_session_20250722_175402"
    session.mkdir(parents=True)
    (root / "alice" / "profile.json").write_text(json.dumps({"user_id": "alice"}))
    (session / "session.json").write_text(json.dumps({"id": session.name, "user_id": "alice"}))


def _g1_session(root: Path) -> Path:
    session = root / "users" / "bob" / "chat_session_20250723_171133_551840"
    session.mkdir(parents=True)
    (root / "users" / "bob" / "profile.json").write_text(
        json.dumps({"user_id": "bob", "created_at": "2025-07-23T17:11:33", "updated_at": "x"})
    )
    (session / "session.json").write_text(
        json.dumps(
            {
                "id": session.name,
                "user_id": "bob",
                "created_at": "a",
                "updated_at": "b",
                "message_count": 0,
            }
        )
    )
    return session


def test_g0_base_is_refused_on_open_naming_the_command(make_store, tmp_path: Path) -> None:
    _g0(tmp_path)
    before = manifest.scan(tmp_path)
    with pytest.raises(OldStoreFormat, match=r"G0 store \(alice/profile.json.*migrate plan"):
        make_store(root=tmp_path)
    assert manifest.verify(tmp_path, before) == []


def test_g1_session_record_is_named_not_a_raw_pydantic_error(make_store, tmp_path: Path) -> None:
    session = _g1_session(tmp_path)
    store = make_store(root=tmp_path)
    with pytest.raises(OldStoreFormat, match=f"{session.name}/session.json.*'id' instead"):
        asyncio.run(store.get_session("bob", session.name))
    before = manifest.scan(tmp_path)
    with pytest.raises(OldStoreFormat):
        store.repair()
    assert manifest.verify(tmp_path, before) == []  # repair wrote nothing, no lock files


def test_g1_message_line_is_named_with_its_line(make_store, tmp_path: Path) -> None:
    session = _g1_session(tmp_path)
    record = json.loads((session / "session.json").read_text())
    record["session_id"] = record.pop("id")
    (session / "session.json").write_text(json.dumps(record))
    (session / "messages.jsonl").write_text(
        json.dumps({"role": "user", "content": "hi", "id": "msg_1", "timestamp": "t"}) + "\n"
    )
    store = make_store(root=tmp_path)
    with pytest.raises(OldStoreFormat, match=r"messages.jsonl:1: message in the G0/G1"):
        asyncio.run(store.get_messages("bob", session.name))


def test_a_broken_session_record_is_storage_corrupted_with_its_path(
    make_store, tmp_path: Path
) -> None:
    session = _g1_session(tmp_path)
    (session / "session.json").write_text(json.dumps({"session_id": 5}))
    with pytest.raises(StorageCorrupted, match="session.json: not a session record"):
        asyncio.run(make_store(root=tmp_path).get_session("bob", session.name))
