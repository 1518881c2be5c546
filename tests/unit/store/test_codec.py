"""Encryption at rest: per-record key ids, owner+file bound, rotation, swap detection."""

from __future__ import annotations

import asyncio
import base64
import os
import shutil
from pathlib import Path

import pytest

from flatfile_chat import FFStorageManager
from flatfile_chat.errors import ConfigError, SecurityError, StorageCorrupted, ValidationError

K1 = base64.b64encode(b"1" * 32).decode()
K2 = base64.b64encode(b"2" * 32).decode()


@pytest.fixture
def open_store(make_store):
    """``open_store(root)``: a store over ``root`` sealed with k1."""

    def build(root: Path) -> FFStorageManager:
        return make_store(root=root, seed=5, encryption=make_store.keys({"k1": b"1" * 32}))

    return build


async def _fill(store: FFStorageManager) -> str:
    for user in ("alice", "bob"):
        await store.create_user(user, {"username": user.title()})
    session = await store.create_session("alice", "secret", session_id="s1")
    await store.create_session("bob", "other", session_id="s1")
    await store.add_message("alice", "s1", {"role": "user", "content": "my PIN is 4321"})
    await store.add_message("bob", "s1", {"role": "user", "content": "hello"})
    await store.store_document("alice", "s1", "note.txt", b"top secret note")
    return session.session_id


def test_nothing_readable_on_disk_and_round_trip(open_store, tmp_path: Path) -> None:
    store = open_store(tmp_path)
    asyncio.run(_fill(store))
    for dirpath, _d, files in os.walk(tmp_path):
        for name in files:
            data = Path(dirpath, name).read_bytes()
            assert b"4321" not in data and b"top secret" not in data and b"Alice" not in data
    messages = asyncio.run(store.get_messages("alice", "s1"))
    assert messages[0].content == "my PIN is 4321"
    assert (
        asyncio.run(
            store.read_document(
                "alice", "s1", asyncio.run(store.list_documents("alice", "s1"))[0].filename
            )
        )
        == b"top secret note"
    )
    assert store.check_integrity() == []


def test_record_swapped_between_users_fails_authentication(open_store, tmp_path: Path) -> None:
    store = open_store(tmp_path)
    asyncio.run(_fill(store))
    alice = tmp_path / "users/alice/s1/messages.jsonl"
    bob = tmp_path / "users/bob/s1/messages.jsonl"
    shutil.copy(alice, bob)  # same relative file, other owner
    with pytest.raises(StorageCorrupted, match="authentication failed"):
        asyncio.run(store.get_messages("bob", "s1"))
    shutil.copy(tmp_path / "users/alice/s1/session.json", tmp_path / "users/bob/s1/session.json")
    with pytest.raises(SecurityError):
        asyncio.run(store.get_session("bob", "s1"))


def test_key_rotation_reseals_everything_and_old_key_can_go(
    make_store, open_store, tmp_path: Path
) -> None:
    store = open_store(tmp_path)
    asyncio.run(_fill(store))
    codec = store.fs.codec
    rewritten = store.rotate_encryption_key("k2", base64.b64decode(K2))
    assert rewritten >= 6
    for dirpath, _d, files in os.walk(tmp_path):
        for name in files:
            if name.endswith((".json", ".jsonl")) and not name.startswith("."):
                for line in Path(dirpath, name).read_bytes().splitlines():
                    assert codec.key_id_of(line) == "k2", name
    # A store that only knows k2 reads everything.
    fresh = make_store(root=tmp_path, encryption=make_store.keys({"k2": b"2" * 32}))
    assert asyncio.run(fresh.get_messages("alice", "s1"))[0].content == "my PIN is 4321"
    assert fresh.check_integrity() == []


def test_plaintext_file_in_encrypted_store_is_refused(open_store, tmp_path: Path) -> None:
    store = open_store(tmp_path)
    asyncio.run(_fill(store))
    (tmp_path / "users/alice/s1/session.json").write_text('{"session_id": "s1"}')
    with pytest.raises(SecurityError, match="plaintext"):
        asyncio.run(store.get_session("alice", "s1"))


def test_key_rotation_refuses_bad_input_with_domain_errors(
    make_store, open_store, tmp_path: Path
) -> None:
    plain = make_store(root=tmp_path / "plain")
    with pytest.raises(ConfigError, match="encryption is not enabled") as off:
        plain.rotate_encryption_key("k2", base64.b64decode(K2))
    assert off.value.key == "storage.encryption.enabled"
    store = open_store(tmp_path / "sealed")
    for key_id in (None, 7, "", ["k2"]):
        with pytest.raises(ValidationError, match="key_id must be a non-empty string"):
            store.rotate_encryption_key(key_id, base64.b64decode(K2))  # type: ignore[arg-type]
    with pytest.raises(ValidationError, match="16, 24 or 32 bytes"):
        store.rotate_encryption_key("k2", b"short")
