"""Storage primitives pinned where a scenario cannot reach them: a link as the last part of a
path, pseudonymous folders whose profile belongs elsewhere, lock contention, epochs, the
component check's attributes."""

from __future__ import annotations

import base64
import fcntl
import os
import shutil
import threading
from pathlib import Path

import pytest

from flatfile_chat.errors import (
    AlreadyExists,
    LockTimeout,
    SecurityError,
    UnsafePath,
    ValidationError,
)
from flatfile_chat.storage import chain
from flatfile_chat.storage.filestore import FileStore
from flatfile_chat.storage.locks import file_lock, lock_path_for
from flatfile_chat.storage.paths import validate_component, validate_id


def test_a_link_as_the_last_part_of_a_path_is_refused(tmp_path: Path) -> None:
    fs = FileStore(tmp_path / "root", durability="none")
    fs.ensure_dir(fs.path("docs"))
    (tmp_path / "outside.json").write_text('{"secret": 1}')
    os.symlink(tmp_path / "outside.json", fs.root / "docs" / "a.json")
    for call in (
        lambda: fs.read_json(fs.path("docs", "a.json")),
        lambda: fs.write_json(fs.path("docs", "a.json"), {"v": 1}),
        lambda: fs.read_raw(fs.path("docs", "a.json")),
    ):
        with pytest.raises(UnsafePath) as caught:
            call()
        assert caught.value.message == (
            f"refusing 'docs/a.json': it is a symbolic link inside the store root "
            f"(to '{tmp_path / 'outside.json'}'); the store never follows links"
        )
    assert (tmp_path / "outside.json").read_text() == '{"secret": 1}'
    assert fs.checked(fs.path("docs", "b.json")) == fs.path("docs", "b.json")
    assert fs.checked(fs.root) == fs.root


def _names_store(make_store):
    key = f"base64:{base64.b64encode(b'n' * 32).decode()}"
    data = f"base64:{base64.b64encode(b'd' * 32).decode()}"
    return make_store(
        seed=5,
        encryption={"enabled": True, "active_key_id": "k1", "keys": {"k1": data}, "names_key": key},
    )


def test_a_profile_copied_into_another_users_folder_does_not_make_it_theirs(make_store) -> None:
    store = _names_store(make_store)
    store.users.create("alice")
    store.users.create("bob")
    alice, bob = store.fs.user_folder("alice"), store.fs.user_folder("bob")
    assert store.fs.user_of_folder(alice) == "alice"
    assert store.fs.user_of_folder(".hidden") is None
    assert store.fs.user_of_folder("no-such-folder") is None
    (store.root / "users" / "uxyz").mkdir()
    shutil.copyfile(
        store.root / "users" / bob / "profile.json", store.root / "users" / "uxyz" / "profile.json"
    )
    assert store.fs.user_of_folder("uxyz") is None  # sealed for bob's folder: does not open


def test_a_case_variant_of_a_pseudonymous_user_is_refused_by_value(make_store) -> None:
    store = _names_store(make_store)
    store.users.create("alice")
    with pytest.raises(AlreadyExists) as caught:
        store.fs.user_folder("Alice")
    assert caught.value.message == (
        "user id 'Alice' differs only in case from existing user 'alice'"
    )
    assert (caught.value.key, caught.value.value) == ("user_id", "Alice")


def test_a_held_lock_times_out_the_next_writer_naming_the_file(tmp_path: Path) -> None:
    target = tmp_path / "log.jsonl"
    held, release = threading.Event(), threading.Event()

    def holder() -> None:
        with file_lock(target, 1.0):
            held.set()
            release.wait(5)

    thread = threading.Thread(target=holder)
    thread.start()
    try:
        assert held.wait(5)
        with pytest.raises(LockTimeout) as caught, file_lock(target, 0.05):
            pass
        assert caught.value.message == (
            f"could not lock {target} within 0.05s (another thread holds .log.jsonl.lock)"
        )
    finally:
        release.set()
        thread.join()
    assert lock_path_for(target) == tmp_path / ".log.jsonl.lock"
    with file_lock(target, 0.05):  # free again
        pass


def test_a_shared_reader_waits_out_a_writer_then_times_out(tmp_path: Path) -> None:
    target = tmp_path / "doc.json"
    fd = os.open(lock_path_for(target), os.O_RDWR | os.O_CREAT, 0o600)
    fcntl.flock(fd, fcntl.LOCK_EX)  # another process's writer, as flock sees it
    try:
        with pytest.raises(LockTimeout) as caught, file_lock(target, 0.05, shared=True):
            pass
        assert caught.value.message == (
            f"could not lock {target} within 0.05s (another writer holds .doc.json.lock)"
        )
    finally:
        fcntl.flock(fd, fcntl.LOCK_UN)
        os.close(fd)
    with file_lock(target, 0.05, shared=True):
        pass


def test_a_shared_lock_without_a_lock_file_creates_nothing(tmp_path: Path) -> None:
    target = tmp_path / "doc.json"
    with file_lock(target, 0.05, shared=True):
        assert not lock_path_for(target).exists()
    assert os.listdir(tmp_path) == []


def test_an_epoch_is_nine_fresh_random_bytes() -> None:
    epochs = {chain.new_epoch() for _ in range(20)}
    assert len(epochs) == 20
    assert {len(base64.b64decode(e)) for e in epochs} == {9}


def test_component_and_id_refusals_carry_their_key() -> None:
    with pytest.raises(SecurityError) as caught:
        validate_component("..")
    assert (caught.value.message, caught.value.key, caught.value.value) == (
        "unsafe path component '..'",
        "path",
        "..",
    )
    with pytest.raises(SecurityError) as caught:
        validate_id("../x", "session_id")
    assert (caught.value.key, caught.value.value) == ("session_id", "../x")
    with pytest.raises(ValidationError) as plain:
        validate_id(7, "user_id")
    assert plain.value.message == "user_id must be a string, got int"
    assert type(plain.value) is ValidationError
    assert (plain.value.key, plain.value.value) == ("user_id", 7)
