"""Every refusal of the base store carries what it is about as attributes (``key``, ``value``,
``path``, ``line``), not only in its message: programs (the scenario runner's matcher, an API
layer mapping errors to fields) read them. Each case pins the error type, the attributes and
the message exactly."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from flatfile_chat import FFStorageManager
from flatfile_chat.errors import (
    AlreadyExists,
    ConfigError,
    FFError,
    LimitExceeded,
    NotFound,
    SecurityError,
    ValidationError,
)


@pytest.fixture
def filled(make_store) -> FFStorageManager:
    store = make_store(
        overrides={
            "storage": {
                "max_sessions_per_user": 3,
                "max_messages_per_session": 2,
                "max_message_size_bytes": 10,
                "max_attachments_per_message": 1,
                "max_document_size_bytes": 8,
            }
        },
        seed=7,
    )
    store.users.create("alice", {"username": "Alice"})
    store.sessions.create("alice", "Work", session_id="work")
    store.sessions.create("alice", "Spare", session_id="spare", metadata={"note": "text"})
    store.messages.add("alice", "work", {"role": "user", "content": "hi", "message_id": "m1"})
    return store


Case = tuple[Callable[[FFStorageManager], Any], type[FFError], dict[str, Any], str]

CASES: dict[str, Case] = {
    "profile sets user_id": (
        lambda s: s.users.create("bob", {"user_id": "x", "created_at": "y"}),
        ValidationError,
        {"key": "created_at"},
        "profile may not set ['created_at', 'user_id'] (assigned by the store)",
    ),
    "duplicate user": (
        lambda s: s.users.create("alice"),
        AlreadyExists,
        {"key": "user_id", "value": "alice"},
        "user 'alice' already exists",
    ),
    "case variant user": (
        lambda s: s.users.create("Alice"),
        AlreadyExists,
        {"key": "user_id", "value": "Alice"},
        "user_id 'Alice' differs only in case from existing user 'alice'; both would be one "
        "folder on case-insensitive disks",
    ),
    "unknown user": (
        lambda s: s.users.get_profile("ghost"),
        NotFound,
        {"key": "user_id", "value": "ghost"},
        "user 'ghost' not found",
    ),
    "update immutable": (
        lambda s: s.users.update_profile("alice", {"updated_at": "x", "created_at": "y"}),
        ValidationError,
        {"key": "created_at"},
        "cannot update ['created_at', 'updated_at'] of user 'alice'",
    ),
    "update unknown user": (
        lambda s: s.users.update_profile("ghost", {"username": "G"}),
        NotFound,
        {"key": "user_id", "value": "ghost"},
        "user 'ghost' not found",
    ),
    "unknown session type": (
        lambda s: s.sessions.create("alice", session_type="meeting"),
        ValidationError,
        {"key": "session_type", "value": "meeting"},
        "unknown session_type 'meeting' (allowed: chat, panel, debate, problem_solving)",
    ),
    "reserved session id": (
        lambda s: s.sessions.create("alice", session_id="documents"),
        ValidationError,
        {"key": "session_id", "value": "documents"},
        "session_id 'documents' is reserved (a user folder uses that name)",
    ),
    "case variant session": (
        lambda s: s.sessions.create("alice", session_id="WORK"),
        AlreadyExists,
        {"key": "session_id", "value": "WORK"},
        "session_id 'WORK' differs only in case from existing 'work'",
    ),
    "duplicate session": (
        lambda s: s.sessions.create("alice", session_id="work"),
        AlreadyExists,
        {"key": "session_id", "value": "work"},
        "session 'work' of user 'alice' already exists",
    ),
    "unknown session": (
        lambda s: s.sessions.get("alice", "nope"),
        NotFound,
        {"key": "session_id", "value": "nope", "user_id": "alice"},
        "session 'nope' of user 'alice' not found",
    ),
    "session update field": (
        lambda s: s.sessions.update("alice", "work", {"message_count": 9, "zeta": 1}),
        ValidationError,
        {"key": "message_count"},
        "cannot update ['message_count', 'zeta'] of session 'work' (allowed: metadata, title)",
    ),
    "append_unique key": (
        lambda s: s.sessions.append_unique("alice", "work", "", [1]),
        ValidationError,
        {"key": "key"},
        "metadata key must be a non-empty string",
    ),
    "append_unique not a list": (
        lambda s: s.sessions.append_unique("alice", "spare", "note", [1]),
        ValidationError,
        {"key": "note"},
        "metadata.note of session 'spare' is not a list",
    ),
    "message id taken": (
        lambda s: s.messages.add(
            "alice", "work", {"role": "user", "content": "x", "message_id": "m1"}
        ),
        AlreadyExists,
        {"key": "message_id", "value": "m1"},
        "message_id 'm1' already exists in users/alice/work/messages.jsonl",
    ),
    "duplicate ids in one batch": (
        lambda s: s.messages.add_many(
            "alice",
            "work",
            [
                {"role": "user", "content": "a", "message_id": "m7"},
                {"role": "user", "content": "b", "message_id": "m7"},
            ],
        ),
        AlreadyExists,
        {"key": "message_id"},
        "duplicate message_id in one batch: ['m7', 'm7']",
    ),
    "unknown role": (
        lambda s: s.messages.add("alice", "work", {"role": "robot", "content": "x"}),
        ValidationError,
        {"key": "role", "value": "robot"},
        "unknown role 'robot' (allowed: user, assistant, system, memory, tool)",
    ),
    "message too big": (
        lambda s: s.messages.add("alice", "work", {"role": "user", "content": "x" * 11}),
        LimitExceeded,
        {"key": "content", "size": 11},
        "message content is 11 bytes, over the 10-byte limit (storage.max_message_size_bytes)",
    ),
    "too many attachments": (
        lambda s: s.messages.add(
            "alice", "work", {"role": "user", "content": "x", "attachments": ["a", "b"]}
        ),
        LimitExceeded,
        {"key": "attachments"},
        "2 attachments, at most 1 allowed (storage.max_attachments_per_message)",
    ),
    "unknown attachment": (
        lambda s: s.messages.add(
            "alice", "work", {"role": "user", "content": "x", "attachments": ["a.txt"]}
        ),
        NotFound,
        {"key": "attachments"},
        "attachments ['a.txt'] are not documents of session 'work' (upload them first)",
    ),
    "bad timestamp": (
        lambda s: s.messages.add(
            "alice", "work", {"role": "user", "content": "x", "timestamp": "yesterday"}
        ),
        ValidationError,
        {"key": "timestamp"},
        "timestamp 'yesterday' is not ISO 8601",
    ),
    "message limit": (
        lambda s: s.messages.add_many(
            "alice", "work", [{"role": "user", "content": "a"}, {"role": "user", "content": "b"}]
        ),
        LimitExceeded,
        {"key": "max_messages_per_session"},
        "session 'work' would exceed 2 messages (storage.max_messages_per_session)",
    ),
    "negative offset": (
        lambda s: s.messages.list("alice", "work", offset=-1),
        ValidationError,
        {"key": "offset"},
        "offset and limit must be >= 0",
    ),
    "unknown message": (
        lambda s: s.messages.get("alice", "work", "m9"),
        NotFound,
        {"key": "message_id", "value": "m9"},
        "message 'm9' not found in session 'work'",
    ),
    "empty search": (
        lambda s: s.messages.search("alice", " ?! "),
        ValidationError,
        {"key": "query", "value": " ?! "},
        "search query has no words",
    ),
    "empty filename": (
        lambda s: s.documents.store("alice", "work", " ", b"x"),
        ValidationError,
        {"key": "filename", "value": " "},
        "filename must be a non-empty string",
    ),
    "filename with folder": (
        lambda s: s.documents.store("alice", "work", "a/b.txt", b"x"),
        SecurityError,
        {"key": "filename", "value": "a/b.txt"},
        "filename 'a/b.txt' must be a plain name (no folders, no control characters)",
    ),
    "filename too long": (
        lambda s: s.documents.store("alice", "work", "a" * 252 + ".txt", b"x"),
        ValidationError,
        {"key": "filename", "value": "a" * 252 + ".txt"},
        "filename is longer than 255 bytes",
    ),
    "filename trailing dot": (
        lambda s: s.documents.store("alice", "work", "a.txt.", b"x"),
        SecurityError,
        {"key": "filename", "value": "a.txt."},
        "filename 'a.txt.' ends with a dot or space",
    ),
    "extension": (
        lambda s: s.documents.store("alice", "work", "a.exe", b"x"),
        ValidationError,
        {"key": "filename", "value": "a.exe"},
        "extension '.exe' of 'a.exe' is not allowed (allowed: .pdf, .txt, .md, .json, .csv, "
        ".png, .jpg, .jpeg, .gif, .webp)",
    ),
    "content not bytes": (
        lambda s: s.documents.store("alice", "work", "a.txt", "text"),
        ValidationError,
        {"key": "content"},
        "document content must be bytes",
    ),
    "document too big": (
        lambda s: s.documents.store("alice", "work", "a.txt", b"x" * 9),
        LimitExceeded,
        {"key": "content", "size": 9},
        "'a.txt' is 9 bytes, over the 8-byte limit (storage.max_document_size_bytes)",
    ),
    "unknown document": (
        lambda s: s.documents.get("alice", "work", "x.txt"),
        NotFound,
        {"key": "filename", "value": "x.txt"},
        "document 'x.txt' not found in session 'work'",
    ),
    "no context": (
        lambda s: s.contexts.get("alice", "work"),
        NotFound,
        {"key": "session_id", "value": "work"},
        "session 'work' has no situational context",
    ),
    "unknown persona": (
        lambda s: s.personas.get("p", "alice"),
        NotFound,
        {"key": "persona_id", "value": "p"},
        "persona 'p' not found (user 'alice' or global)",
    ),
    "rotate empty key id": (
        lambda s: s.rotate_encryption_key(""),
        ValidationError,
        {"key": "key_id", "value": ""},
        "key_id must be a non-empty string, got ''",
    ),
    "rotate short key": (
        lambda s: s.rotate_encryption_key("k2", b"x" * 15),
        ValidationError,
        {"key": "key"},
        "key must be 16, 24 or 32 bytes (AES-GCM)",
    ),
    "rotate plain store": (
        lambda s: s.rotate_encryption_key("k2", b"x" * 16),
        ConfigError,
        {"key": "storage.encryption.enabled"},
        "encryption is not enabled for this store (storage.encryption.enabled)",
    ),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_refusals_carry_what_they_are_about(filled: FFStorageManager, name: str) -> None:
    call, error, context, message = CASES[name]
    with pytest.raises(error) as caught:
        call(filled)
    assert type(caught.value) is error
    assert caught.value.message == message
    for key, value in context.items():
        assert getattr(caught.value, key) == value, key


def test_the_session_limit_names_its_setting(filled: FFStorageManager) -> None:
    filled.sessions.create("alice", session_id="third")
    with pytest.raises(LimitExceeded) as caught:
        filled.sessions.create("alice")
    assert caught.value.message == (
        "user 'alice' already has 3 sessions (storage.max_sessions_per_user)"
    )
    assert caught.value.key == "max_sessions_per_user"


def test_a_stored_name_that_cannot_be_allocated_is_refused_by_name(filled, monkeypatch) -> None:
    monkeypatch.setattr(filled.ctx.ids, "hex", lambda n: "0" * n)
    first = filled.documents.store("alice", "work", "a.txt", b"x")
    assert first.filename == "00000000_a.txt"
    with pytest.raises(AlreadyExists) as caught:
        filled.documents.store("alice", "work", "a.txt", b"y")
    assert (caught.value.message, caught.value.key) == (
        "could not allocate a stored name for 'a.txt'",
        "filename",
    )
    assert [d.filename for d in filled.documents.list("alice", "work")] == ["00000000_a.txt"]


def test_the_session_list_starts_at_the_newest_by_default(filled) -> None:
    # created in the same instant: newest first means the higher id first
    assert [s.session_id for s in filled.sessions.list("alice")] == ["work", "spare"]
    assert [s.session_id for s in filled.sessions.list("alice", limit=1)] == ["work"]


def test_a_g0_store_is_refused_when_opened(tmp_path, make_store) -> None:
    from flatfile_chat.errors import OldStoreFormat

    (tmp_path / "g0" / "alice").mkdir(parents=True)
    (tmp_path / "g0" / "alice" / "profile.json").write_text("{}")
    with pytest.raises(OldStoreFormat) as caught:
        make_store(root=tmp_path / "g0")
    assert caught.value.message.startswith(
        f"{tmp_path / 'g0'} is a G0 store (alice/profile.json with no users/ level); "
    )
