"""Derived files (``message_count`` in ``session.json``): overwritten in place, padded with JSON
whitespace, when the writer holds their exclusive lock on a lock file that already existed and
they fit in one sector; otherwise replaced by temp + rename. And never fsynced (the log is the
commit point), while primary documents are."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from flatfile_chat import FFStorageManager
from flatfile_chat.storage import atomic
from flatfile_chat.storage.filestore import IN_PLACE_MAX_BYTES, FileStore


def _fs(tmp_path: Path) -> FileStore:
    return FileStore(tmp_path / "root", durability="fsync")


def test_a_shorter_derived_write_under_a_held_lock_is_padded_in_place(tmp_path: Path) -> None:
    fs = _fs(tmp_path)
    path = fs.path("counter.json")
    fs.write_json(path, {"count": 1000, "note": "long"})
    with fs.lock(path):  # creates the lock file: this acquisition may not write in place
        pass
    before = os.stat(path)
    with fs.lock(path):
        written = fs.write_json(path, {"count": 7}, derived=True)
    after = os.stat(path)
    payload = b'{\n  "count": 7\n}'
    assert written == payload.ljust(before.st_size, b" ")
    assert path.read_bytes() == written
    assert (after.st_ino, after.st_size) == (before.st_ino, before.st_size)
    assert json.loads(path.read_bytes()) == {"count": 7}


def test_the_first_lock_holder_replaces_instead(tmp_path: Path) -> None:
    fs = _fs(tmp_path)
    path = fs.path("counter.json")
    fs.write_json(path, {"count": 1000})
    ino = os.stat(path).st_ino
    with fs.lock(path):  # this acquisition created the lock file
        written = fs.write_json(path, {"count": 7}, derived=True)
    assert written == b'{\n  "count": 7\n}'
    assert path.read_bytes() == written
    assert os.stat(path).st_ino != ino


def test_without_the_lock_or_when_exclusive_it_replaces(tmp_path: Path) -> None:
    fs = _fs(tmp_path)
    path = fs.path("counter.json")
    fs.write_json(path, {"count": 1000})
    with fs.lock(path):
        pass
    ino = os.stat(path).st_ino
    assert fs.write_json(path, {"count": 7}, derived=True) == b'{\n  "count": 7\n}'
    assert os.stat(path).st_ino != ino


def test_a_payload_over_one_sector_is_replaced(tmp_path: Path) -> None:
    fs = _fs(tmp_path)
    path = fs.path("counter.json")
    fs.write_json(path, {"count": 1})
    with fs.lock(path):
        pass
    ino = os.stat(path).st_ino
    big = {"text": "x" * (IN_PLACE_MAX_BYTES - 15)}  # 16 bytes of JSON around it: 513
    with fs.lock(path):
        written = fs.write_json(path, big, derived=True)
    assert len(written) == IN_PLACE_MAX_BYTES + 1
    assert os.stat(path).st_ino != ino
    assert path.read_bytes() == written


def test_exactly_one_sector_is_written_in_place(tmp_path: Path) -> None:
    fs = _fs(tmp_path)
    path = fs.path("counter.json")
    fs.write_json(path, {"count": 1})
    with fs.lock(path):
        pass
    ino = os.stat(path).st_ino
    with fs.lock(path):
        written = fs.write_json(path, {"text": "x" * (IN_PLACE_MAX_BYTES - 16)}, derived=True)
    assert len(written) == IN_PLACE_MAX_BYTES
    assert os.stat(path).st_ino == ino
    assert path.read_bytes() == written


def test_a_file_bigger_than_one_sector_is_not_padded_in_place(tmp_path: Path) -> None:
    fs = _fs(tmp_path)
    path = fs.path("counter.json")
    fs.write_json(path, {"text": "x" * IN_PLACE_MAX_BYTES})
    with fs.lock(path):
        pass
    ino = os.stat(path).st_ino
    with fs.lock(path):
        written = fs.write_json(path, {"count": 1}, derived=True)
    assert written == b'{\n  "count": 1\n}'
    assert os.stat(path).st_ino != ino


def test_a_hard_linked_file_is_never_written_in_place(tmp_path: Path) -> None:
    fs = _fs(tmp_path)
    path = fs.path("counter.json")
    fs.write_json(path, {"count": 1000})
    os.link(path, tmp_path / "elsewhere.json")
    with fs.lock(path):
        pass
    with fs.lock(path):
        fs.write_json(path, {"count": 7}, derived=True)
    assert (tmp_path / "elsewhere.json").read_bytes() == b'{\n  "count": 1000\n}'
    assert json.loads(path.read_bytes()) == {"count": 7}


def test_appends_update_the_counter_in_place_without_fsyncing_it(
    make_store, monkeypatch: pytest.MonkeyPatch
) -> None:
    store: FFStorageManager = make_store(durability="fsync")
    store.users.create("alice")
    store.sessions.create("alice", session_id="s")
    store.messages.add("alice", "s", {"role": "user", "content": "one"})
    session = store.root / "users/alice/s/session.json"
    ino = os.stat(session).st_ino
    synced: list[str] = []
    real = atomic.atomic_write_bytes

    def spy(path, data, *, fsync, **kwargs):
        if fsync:
            synced.append(Path(path).name)
        return real(path, data, fsync=fsync, **kwargs)

    monkeypatch.setattr("flatfile_chat.storage.filestore.atomic_write_bytes", spy)
    store.messages.add("alice", "s", {"role": "user", "content": "two"})
    store.messages.add_many(
        "alice", "s", [{"role": "user", "content": "3"}, {"role": "user", "content": "4"}]
    )
    assert os.stat(session).st_ino == ino
    assert json.loads(session.read_bytes())["message_count"] == 4
    assert synced == []
    store.sessions.update("alice", "s", {"title": "primary"})  # a primary write: fsynced
    assert synced == ["session.json"]
