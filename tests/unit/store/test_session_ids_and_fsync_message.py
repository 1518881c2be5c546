"""A generated session id that is taken gets the next ``_2`` suffix (a second process with
the same seed and clock), an exhausted search names ``session_id``, a failed fsync of an
append reads as the OS's own words with the errno, repairing a log that is gone is a no-op,
and the integrity check of a sealed log reads under the shared lock."""

from __future__ import annotations

import errno
import os
import threading

import pytest

from flatfile_chat.errors import AlreadyExists, StorageWriteError


def test_a_taken_generated_session_id_gets_the_next_suffix(make_store) -> None:
    first = make_store(seed=7, durability="none")
    first.users.create("alice", {"username": "Alice"})
    taken = first.sessions.create("alice", "One").session_id
    again = make_store(root=first.root, seed=7, durability="none")  # same ids, same instant
    second = again.sessions.create("alice", "Two").session_id
    assert second == f"{taken}_2"
    assert sorted(again.sessions.list_ids("alice")) == sorted([taken, second])


def test_no_free_generated_session_id_is_refused_naming_session_id(
    make_store, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = make_store(durability="none")
    store.users.create("alice", {"username": "Alice"})
    tries: list[str] = []

    def taken(path):
        tries.append(path.name)
        raise AlreadyExists(f"{path.name} exists")

    monkeypatch.setattr(store.fs, "create_dir", taken)
    with pytest.raises(AlreadyExists) as caught:
        store.sessions.create("alice", "One")
    assert caught.value.key == "session_id"
    assert str(caught.value).startswith("could not allocate a session id near ")
    assert len(tries) == 9_999 and tries[1] == f"{tries[0]}_2"


def test_a_failed_append_fsync_names_the_os_error_and_its_number(
    make_store, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = make_store(durability="fsync")
    store.users.create("alice", {"username": "Alice"})
    store.sessions.create("alice", "Work", session_id="work")

    def failing(fd: int) -> None:
        raise OSError(errno.EIO, "Input/output error")

    monkeypatch.setattr(os, "fdatasync", failing)
    with pytest.raises(StorageWriteError) as caught:
        store.messages.add("alice", "work", {"role": "user", "content": "hi"})
    monkeypatch.undo()
    assert str(caught.value).startswith(
        "users/alice/work/messages.jsonl: appended, but the fsync failed: "
        f"Input/output error (errno {errno.EIO}); the record is in the log"
    )


def test_repairing_a_log_that_is_gone_reports_nothing_and_creates_nothing(make_store) -> None:
    """A log removed between the repair's listing and its turn (e.g. a deleted session) is
    no error: nothing to move, and no empty file appears in its place."""
    store = make_store(durability="none")
    store.users.create("alice", {"username": "Alice"})
    store.sessions.create("alice", "Work", session_id="work")
    gone = store.fs.path("users", "alice", "work", "gone.jsonl")
    report = store.fs.repair_jsonl(gone)
    assert (report.kept, report.moved, report.bad_lines, report.refused) == (0, 0, (), ())
    assert report.rejected_file is None
    assert not gone.exists()


def test_the_chain_check_reads_beside_another_reader(make_store) -> None:
    """The integrity check of a sealed log takes the log's shared lock: a reader holding its
    own shared lock does not make the check wait (or time out)."""
    store = make_store(
        durability="none",
        encryption=make_store.keys({"k1": bytes(range(32))}),
        overrides={"storage": {"lock_timeout_seconds": 0.3}},
    )
    store.users.create("alice", {"username": "Alice"})
    store.sessions.create("alice", "Work", session_id="work")
    store.messages.add("alice", "work", {"role": "user", "content": "hi"})
    log = store.fs.path("users", "alice", "work", "messages.jsonl")
    with store.fs.lock(log):  # a writer has locked the log once: its lock file exists
        pass
    holding, done = threading.Event(), threading.Event()

    def reader() -> None:
        with store.fs.lock(log, shared=True):
            holding.set()
            done.wait(10)

    thread = threading.Thread(target=reader)
    thread.start()
    try:
        assert holding.wait(10)
        assert store.check_integrity() == []
    finally:
        done.set()
        thread.join()
