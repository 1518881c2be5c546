"""``check_integrity(changed=...)``: the narrowed check the scenario engine runs after every step
reports exactly the problems inside (or above) what was written, and nothing elsewhere; the
whole check (``changed=None``) reports everything. Each assertion is an exact list."""

from __future__ import annotations

import base64
import os
from pathlib import Path

import pytest

from flatfile_chat import FFStorageManager
from flatfile_chat.store.integrity import IntegrityIssue, affected


@pytest.fixture
def damaged(store: FFStorageManager) -> FFStorageManager:
    """alice/bad: a bad line and a stale counter; alice/good and bob/b: healthy."""
    store.users.create("alice")
    store.users.create("bob")
    for user, sid in (("alice", "bad"), ("alice", "good"), ("bob", "b")):
        store.sessions.create(user, session_id=sid)
        store.messages.add(user, sid, {"role": "user", "content": "hi"})
    with (store.root / "users/alice/bad/messages.jsonl").open("ab") as log:
        log.write(b"not json\n")
    return store


def _kinds(issues: list[IntegrityIssue]) -> list[tuple[str, str, int | None]]:
    return [(i.kind, i.path, i.line) for i in issues]


BAD = [
    ("jsonl_invalid", "users/alice/bad/messages.jsonl", 2),
    ("counter_mismatch", "users/alice/bad/session.json", None),
]


def test_the_whole_check_reports_everything(damaged: FFStorageManager) -> None:
    assert _kinds(damaged.check_integrity()) == BAD
    issue = damaged.check_integrity()[1]
    assert issue.detail == "message_count is 1 but messages.jsonl has 2 lines"
    assert str(issue) == (
        "[counter_mismatch] users/alice/bad/session.json: "
        "message_count is 1 but messages.jsonl has 2 lines"
    )
    assert str(damaged.check_integrity()[0]).startswith(
        "[jsonl_invalid] users/alice/bad/messages.jsonl:2: "
    )


def test_nothing_written_means_nothing_checked(damaged: FFStorageManager) -> None:
    assert damaged.check_integrity([]) == []


def test_a_write_elsewhere_does_not_report_this_session(damaged: FFStorageManager) -> None:
    root = damaged.root
    assert damaged.check_integrity([str(root / "users/alice/good/messages.jsonl")]) == []
    assert damaged.check_integrity([str(root / "users/bob/b/session.json")]) == []
    assert damaged.check_integrity([str(root / "personas_global/x.json")]) == []


def test_a_write_inside_the_session_reports_it(damaged: FFStorageManager) -> None:
    root = damaged.root
    log = str(root / "users/alice/bad/messages.jsonl")
    assert _kinds(damaged.check_integrity([log])) == BAD
    record = str(root / "users/alice/bad/session.json")
    assert _kinds(damaged.check_integrity([record])) == BAD[1:]
    assert _kinds(damaged.check_integrity([str(root / "users/alice/bad")])) == BAD[1:]


def test_a_whole_user_folder_written_checks_all_its_sessions(damaged: FFStorageManager) -> None:
    assert _kinds(damaged.check_integrity([str(damaged.root / "users/alice")])) == BAD[1:]
    assert damaged.check_integrity([str(damaged.root / "users/bob")]) == []


def test_a_planted_link_is_reported_when_written_beside(damaged: FFStorageManager) -> None:
    root = damaged.root
    os.symlink("/etc/hostname", root / "users/bob/b/evil.json")
    beside = [str(root / "users/bob/b/session.json")]
    links = [i for i in damaged.check_integrity(beside) if i.kind == "unsafe_link"]
    assert [(i.path, i.detail) for i in links] == [
        (
            "users/bob/b/evil.json",
            "symbolic link to '/etc/hostname' inside the store: every read and write "
            "through it is refused; remove it",
        )
    ]
    elsewhere = [str(root / "users/alice/good/session.json")]
    assert [i for i in damaged.check_integrity(elsewhere) if i.kind == "unsafe_link"] == []
    everything = [i.path for i in damaged.check_integrity() if i.kind == "unsafe_link"]
    assert everything == ["users/bob/b/evil.json"]


def test_affected_is_the_folder_itself_or_below_it(tmp_path: Path) -> None:
    folder = tmp_path / "users" / "alice"
    assert affected(None, folder)
    assert affected(frozenset({str(folder)}), folder)
    assert affected(frozenset({str(folder / "s" / "x.json")}), folder)
    assert not affected(frozenset({str(tmp_path / "users" / "alice2" / "x")}), folder)
    assert not affected(frozenset({str(tmp_path / "users")}), folder)
    assert not affected(frozenset(), folder)


def test_an_unverifiable_pseudonymous_folder_is_reported_where_written(make_store) -> None:
    key = f"base64:{base64.b64encode(b'n' * 32).decode()}"
    data = f"base64:{base64.b64encode(b'd' * 32).decode()}"
    store = make_store(
        seed=3,
        encryption={"enabled": True, "active_key_id": "k1", "keys": {"k1": data}, "names_key": key},
    )
    store.users.create("alice")
    store.users.create("bob")
    alice = store.fs.user_folder("alice")
    os.remove(store.root / "users" / alice / "profile.json")
    store.fs._users_of.clear()  # as a new process would see it
    issues = store.check_integrity()
    assert [(i.kind, i.path) for i in issues] == [("user_unverifiable", f"users/{alice}")]
    assert issues[0].detail == (
        "no readable profile.json: whose folder this is cannot be verified; its data is "
        "skipped until the profile is restored"
    )
    bob = store.fs.user_folder("bob")
    assert store.check_integrity([str(store.root / "users" / bob / "profile.json")]) == []
    inside = [str(store.root / "users" / alice / "x")]
    assert [i.kind for i in store.check_integrity(inside)] == ["user_unverifiable"]


def test_session_exists_is_exact(store: FFStorageManager) -> None:
    import asyncio

    store.users.create("alice")
    store.sessions.create("alice", session_id="s")
    assert asyncio.run(store.session_exists("alice", "s")) is True
    assert asyncio.run(store.session_exists("alice", "t")) is False
    assert asyncio.run(store.user_exists("alice")) is True
    assert asyncio.run(store.user_exists("ALICE")) is False


def test_a_written_path_under_a_linked_folder_reports_the_folder(damaged: FFStorageManager) -> None:
    root = damaged.root
    os.symlink(root / "users/bob/b", root / "users/bob/linked")
    written = [str(root / "users/bob/linked/messages.jsonl")]
    links = [(i.kind, i.path) for i in damaged.check_integrity(written)]
    assert ("unsafe_link", "users/bob/linked") in links


def test_store_settings_reach_the_file_layer_and_io_mode(make_store) -> None:
    import asyncio
    import threading

    store = make_store(overrides={"storage": {"lock_timeout_seconds": 2.5, "io_mode": "thread"}})
    assert store.fs.lock_timeout == 2.5
    main = threading.get_ident()
    assert asyncio.run(store.run_io(threading.get_ident)) != main
    inline = make_store()
    assert asyncio.run(inline.run_io(threading.get_ident)) == main


def test_a_profile_defaults_to_an_empty_username(store: FFStorageManager) -> None:
    assert store.users.create("bob").username == ""
    assert store.users.get_profile("bob").username == ""
