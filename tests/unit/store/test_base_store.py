"""Base store behaviour on real files: users, sessions, messages, documents, personas, context."""

from __future__ import annotations

import asyncio
import json
import shutil
from pathlib import Path

import pytest

from flatfile_chat import FFStorageManager, ManualClock
from flatfile_chat.clock import parse_timestamp
from flatfile_chat.errors import (
    AlreadyExists,
    LimitExceeded,
    NotFound,
    SecurityError,
    StorageCorrupted,
    ValidationError,
)


def run(coro):
    return asyncio.run(coro)


@pytest.fixture
def chat(store: FFStorageManager) -> tuple[FFStorageManager, str]:
    run(store.create_user("alice", {"username": "Alice"}))
    session = run(store.create_session("alice", "Intro"))
    return store, session.session_id


def _tree(root: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()
    }


def test_g3_session_json_fields_and_counter(chat, clock: ManualClock) -> None:
    store, sid = chat
    for i in range(3):
        clock.advance(seconds=1)
        run(store.add_message("alice", sid, {"role": "user", "content": f"q{i}"}))
        run(store.add_message("alice", sid, {"role": "assistant", "content": f"a{i}"}))
    folder = store.root / "users" / "alice" / sid
    session = json.loads((folder / "session.json").read_text())
    assert set(session) == {
        "session_id",
        "user_id",
        "title",
        "created_at",
        "updated_at",
        "message_count",
        "metadata",
        "session_type",
    }
    lines = (folder / "messages.jsonl").read_text().splitlines()
    assert session["message_count"] == len(lines) == 6
    messages = [json.loads(line) for line in lines]
    assert [m["role"] for m in messages] == ["user", "assistant"] * 3
    assert list(messages[0]) == [
        "role",
        "content",
        "message_id",
        "timestamp",
        "attachments",
        "metadata",
    ]
    assert len({m["message_id"] for m in messages}) == 6
    assert all(m["message_id"].startswith("msg_") for m in messages)
    assert parse_timestamp(session["updated_at"]) >= parse_timestamp(messages[-1]["timestamp"])
    assert parse_timestamp(session["updated_at"]) >= parse_timestamp(session["created_at"])
    assert parse_timestamp(session["created_at"]).tzinfo is not None


def test_session_types_and_id_prefixes(store: FFStorageManager) -> None:
    run(store.create_user("u1"))
    for kind in ("chat", "panel", "debate", "problem_solving"):
        session = run(store.create_session("u1", session_type=kind))
        assert session.session_id.startswith(f"{kind}_session_20260101_090000_")
        assert session.session_type == kind
    assert len(run(store.list_sessions("u1", session_type="debate"))) == 1
    with pytest.raises(ValidationError, match="allowed: chat, panel, debate, problem_solving"):
        run(store.create_session("u1", session_type="party"))


def test_frozen_clock_never_reuses_a_session_id(store: FFStorageManager) -> None:
    run(store.create_user("u1"))
    ids = {run(store.create_session("u1")).session_id for _ in range(5)}
    assert len(ids) == 5


def test_duplicate_and_case_variant_users_refused(store: FFStorageManager) -> None:
    run(store.create_user("alice"))
    with pytest.raises(AlreadyExists):
        run(store.create_user("alice"))
    with pytest.raises(AlreadyExists, match="differs only in case"):
        run(store.create_user("Alice"))


def test_unknown_user_and_session_are_not_found(store: FFStorageManager) -> None:
    with pytest.raises(NotFound, match="user 'ghost'"):
        run(store.create_session("ghost"))
    run(store.create_user("alice"))
    with pytest.raises(NotFound, match="session 'nope'"):
        run(store.add_message("alice", "nope", {"role": "user", "content": "x"}))


def test_refused_message_writes_nothing(chat) -> None:
    store, sid = chat
    before = _tree(store.root)
    store.config.storage.max_message_size_bytes = 10
    with pytest.raises(LimitExceeded, match="over the 10-byte limit"):
        run(store.add_message("alice", sid, {"role": "user", "content": "x" * 11}))
    with pytest.raises(ValidationError, match="unknown role"):
        run(store.add_message("alice", sid, {"role": "wizard", "content": "x"}))
    with pytest.raises(NotFound, match="upload them first"):
        run(
            store.add_message(
                "alice", sid, {"role": "user", "content": "x", "attachments": ["missing.png"]}
            )
        )
    assert _tree(store.root) == before


def test_pages_and_get(chat) -> None:
    store, sid = chat
    sent = [
        run(store.add_message("alice", sid, {"role": "user", "content": f"m{i}"}))
        for i in range(10)
    ]
    page = run(store.get_messages("alice", sid, limit=3, offset=4))
    assert [m.content for m in page] == ["m4", "m5", "m6"]
    assert run(store.get_message("alice", sid, sent[7].message_id)).content == "m7"
    with pytest.raises(NotFound):
        run(store.get_message("alice", sid, "msg_000000000000"))
    with pytest.raises(AlreadyExists):
        run(
            store.add_message(
                "alice", sid, {"role": "user", "content": "dup", "message_id": sent[0].message_id}
            )
        )


def test_search_is_case_and_punctuation_insensitive_and_per_user(chat, clock) -> None:
    store, sid = chat
    run(store.add_message("alice", sid, {"role": "user", "content": "My favourite: PYTHON!"}))
    clock.advance(minutes=1)
    run(store.add_message("alice", sid, {"role": "user", "content": "python is fun"}))
    run(store.add_message("alice", sid, {"role": "user", "content": "nothing here"}))
    hits = run(store.search_messages("alice", "favourite python"))
    assert [h.message.content for h in hits] == ["My favourite: PYTHON!", "python is fun"]
    assert hits[0].score == 1.0 and hits[1].score == 0.5
    run(store.create_user("bob"))
    assert run(store.search_messages("bob", "python")) == []


def test_documents_allowlist_size_and_metadata(chat) -> None:
    store, sid = chat
    doc = run(store.store_document("alice", sid, "Solar Report.md", b"# Sun\n"))
    assert doc.filename.endswith("_Solar_Report.md") and len(doc.filename.split("_")[0]) == 8
    meta = json.loads((store.root / "users/alice" / sid / "documents/metadata.json").read_text())
    entry = meta[doc.filename]
    assert entry["size"] == 6 and entry["original_name"] == "Solar Report.md"
    assert entry["uploaded_by"] == "alice" and entry["mime_type"] == "text/markdown"
    assert entry["path"] == f"users/alice/{sid}/documents/{doc.filename}"
    before = _tree(store.root)
    with pytest.raises(ValidationError, match=r"'.exe'.*allowed: .pdf"):
        run(store.store_document("alice", sid, "run.exe", b"MZ"))
    store.config.storage.max_document_size_bytes = 4
    with pytest.raises(LimitExceeded):
        run(store.store_document("alice", sid, "big.txt", b"12345"))
    with pytest.raises(SecurityError):
        run(store.store_document("alice", sid, "../../etc/passwd.txt", b"x"))
    assert _tree(store.root) == before
    message = run(
        store.add_message(
            "alice", sid, {"role": "user", "content": "see file", "attachments": [doc.filename]}
        )
    )
    assert message.attachments == [doc.filename]
    run(store.delete_document("alice", sid, doc.filename))
    assert run(store.list_documents("alice", sid)) == []
    assert not (store.root / "users/alice" / sid / "documents" / doc.filename).exists()


def test_sixth_attachment_refused(chat) -> None:
    store, sid = chat
    names = [
        run(store.store_document("alice", sid, f"p{i}.png", b"png")).filename for i in range(6)
    ]
    run(store.add_message("alice", sid, {"role": "user", "content": "5", "attachments": names[:5]}))
    with pytest.raises(LimitExceeded, match="at most 5"):
        run(store.add_message("alice", sid, {"role": "user", "content": "6", "attachments": names}))


def test_personas_global_and_user_override(store: FFStorageManager) -> None:
    run(store.create_user("alice"))
    run(store.store_persona({"persona_id": "tutor", "name": "Global Tutor"}))
    run(store.store_persona({"persona_id": "tutor", "name": "Alice's Tutor"}, user_id="alice"))
    assert run(store.get_persona("tutor")).name == "Global Tutor"
    assert run(store.get_persona("tutor", user_id="alice")).name == "Alice's Tutor"
    assert (store.root / "personas_global/tutor.json").is_file()
    assert run(store.list_personas("alice")) == ["tutor"]
    with pytest.raises(NotFound):
        run(store.get_persona("ghost"))
    run(store.delete_persona("tutor", user_id="alice"))  # the override goes, the global stays
    assert run(store.get_persona("tutor", user_id="alice")).name == "Global Tutor"
    with pytest.raises(NotFound, match="tutor.json does not exist"):
        run(store.delete_persona("tutor", user_id="alice"))


def test_context_history_snapshots(chat, clock) -> None:
    store, sid = chat
    store.config.storage.max_context_history_snapshots = 3
    for i in range(6):
        run(
            store.update_context(
                "alice",
                sid,
                {"summary": f"v{i}", "confidence": 0.5, "entities": {"skill_level": ["novice"]}},
            )
        )
        if i % 2:
            clock.advance(seconds=1)
    assert run(store.get_context("alice", sid)).summary == "v5"
    history = run(store.get_context_history("alice", sid))
    assert [c.summary for c in history] == ["v2", "v3", "v4"]
    names = sorted(
        p.name
        for p in (store.root / "users/alice" / sid / "context_history").iterdir()
        if not p.name.startswith(".")
    )
    assert all(n.startswith("context_20260101_0900") for n in names)
    with pytest.raises(ValidationError):
        run(store.update_context("alice", sid, {"summary": "x", "confidence": 1.5}))


def test_integrity_check_and_repair_detect_and_fix(chat) -> None:
    store, sid = chat
    run(store.add_message("alice", sid, {"role": "user", "content": "one"}))
    assert store.check_integrity() == []
    folder = store.root / "users/alice" / sid
    with open(folder / "messages.jsonl", "ab") as fh:
        fh.write(b'{"role": "user", "content": "tor')
    issues = store.check_integrity()
    assert [i.kind for i in issues] == ["jsonl_invalid"]  # the torn line is not yet counted
    assert issues[0].line == 2
    with pytest.raises(StorageCorrupted):
        run(store.get_messages("alice", sid))
    summary = store.repair()
    assert summary.jsonl_repaired and summary.counters_fixed == []  # count was 1, 1 good line
    assert store.check_integrity() == []
    assert [m.content for m in run(store.get_messages("alice", sid))] == ["one"]


def test_a_session_filed_under_another_user_is_reported(chat) -> None:
    store, sid = chat
    run(store.create_user("bob"))
    run(store.add_message("alice", sid, {"role": "user", "content": "alice's secret"}))
    shutil.copytree(store.root / "users/alice" / sid, store.root / "users/bob" / sid)
    issues = store.check_integrity()
    assert [(i.kind, i.path) for i in issues] == [
        ("session_foreign", f"users/bob/{sid}/session.json")
    ]
    assert "user 'alice'" in issues[0].detail


def test_stale_upstream_counter_is_recounted_on_first_append(chat) -> None:
    store, sid = chat
    folder = store.root / "users/alice" / sid
    with open(folder / "messages.jsonl", "ab") as fh:  # written by another program
        fh.write(
            b'{"role": "user", "content": "x", "message_id": "msg_aa", '
            b'"timestamp": "2025-08-11T18:21:42.527982", "attachments": [], '
            b'"metadata": {}}\n'
        )
    run(store.add_message("alice", sid, {"role": "assistant", "content": "y"}))
    assert run(store.get_session("alice", sid)).message_count == 2


def test_message_line_with_wrong_shape_names_its_line(chat) -> None:
    store, sid = chat
    run(store.add_message("alice", sid, {"role": "user", "content": "ok"}))
    with open(store.root / "users/alice" / sid / "messages.jsonl", "ab") as fh:
        fh.write(b'{"content": "no role or id"}\n')
    with pytest.raises(StorageCorrupted) as err:
        run(store.get_messages("alice", sid))
    assert err.value.line == 2 and "messages.jsonl:2" in str(err.value)


def test_append_unique_to_session_metadata(chat) -> None:
    store, sid = chat
    run(store.append_session_metadata_unique("alice", sid, "vocabulary", ["dog", "cat", "dog"]))
    session = run(
        store.append_session_metadata_unique("alice", sid, "vocabulary", ["cat", "water"])
    )
    assert session.metadata["vocabulary"] == ["dog", "cat", "water"]
    run(store.update_session_metadata("alice", sid, {"metadata": {"level": 3}}))
    with pytest.raises(ValidationError, match="not a list"):
        run(store.append_session_metadata_unique("alice", sid, "level", ["x"]))


def test_concurrent_creators_respect_the_session_limit_and_case(store) -> None:
    from concurrent.futures import ThreadPoolExecutor

    store.config.storage.max_sessions_per_user = 3
    run(store.create_user("alice"))

    def create(i: int) -> str:
        try:
            return store.sessions.create("alice", session_id=f"s{i}").session_id
        except LimitExceeded:
            return "limit"

    with ThreadPoolExecutor(8) as pool:
        outcomes = list(pool.map(create, range(8)))
    assert sum(o != "limit" for o in outcomes) == 3
    assert len(store.sessions.list_ids("alice")) == 3

    def make_user(name: str) -> str:
        try:
            return store.users.create(name).user_id
        except AlreadyExists:
            return "refused"

    with ThreadPoolExecutor(4) as pool:
        made = list(pool.map(make_user, ["Bob", "bob", "BOB", "boB"]))
    assert sum(m != "refused" for m in made) == 1


def test_generated_session_ids_are_not_guessable_from_the_clock(make_store) -> None:
    """Two stores at the same frozen instant, production id sources: the ids differ in 64
    random bits after upstream's timestamp part (ASVS 7.2.3)."""
    import re

    ids = []
    for _ in range(2):
        store = make_store(seed=None)  # unseeded, like production; its own fresh root
        run(store.create_user("alice"))
        ids.append(run(store.create_session("alice")).session_id)
    pattern = r"chat_session_\d{8}_\d{6}_\d{6}_([0-9a-f]{16})"
    suffixes = [re.fullmatch(pattern, i).group(1) for i in ids]
    assert suffixes[0] != suffixes[1], ids
