"""Symlinks planted inside the store root never carry a read or a write outside it.

The probe: a second store, "outside", sits beside the real root and holds the same ids with a
marker in every record. One part of alice's tree (a folder, a log, a document, a lock file,
``users`` itself) is replaced by a symlink to its twin in "outside"; then every base-store call
runs. Each call must either refuse (a store error, ``UnsafePath`` where the link is on its
path) or succeed without the marker in its result, and "outside" must end byte-for-byte and
name-for-name as it began (nothing written, created, deleted or renamed there). The integrity
check must name the link.
"""

from __future__ import annotations

import asyncio
import os
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from flatfile_chat import FFStorageManager
from flatfile_chat.errors import FFError, UnsafePath

MARKER = "OUTSIDE-SECRET-7f3a"
SID = "s1"

# Parts of alice's tree to replace by a link to the same part of the outside store.
PLANTS = [
    "users",
    "users/alice",
    "users/alice/profile.json",
    f"users/alice/{SID}",
    f"users/alice/{SID}/session.json",
    f"users/alice/{SID}/messages.jsonl",
    f"users/alice/{SID}/.messages.jsonl.lock",
    f"users/alice/{SID}/documents",
    f"users/alice/{SID}/documents/*_report.txt",  # stored under a prefixed name
    f"users/alice/{SID}/context_history",
]


@pytest.fixture
def open_store(make_store):
    """``open_store(root)``: a store over ``root`` keeping two context snapshots."""

    def build(root: Path) -> FFStorageManager:
        return make_store(
            root=root, seed=3, overrides={"storage": {"max_context_history_snapshots": 2}}
        )

    return build


def _fill(store: FFStorageManager, text: str) -> str:
    """Alice's tree with ``text`` in every record; returns the stored document name."""

    async def go() -> str:
        await store.create_user("alice", {"username": f"alice {text}"})
        await store.create_session("alice", f"title {text}", session_id=SID)
        await store.add_message("alice", SID, {"role": "user", "content": f"hello {text}"})
        doc = await store.store_document("alice", SID, "report.txt", f"report {text}".encode())
        for i in range(3):
            await store.update_context("alice", SID, {"summary": f"{text} {i}"})
        return doc.filename

    doc = asyncio.run(go())
    lock = store.root / f"users/alice/{SID}/.messages.jsonl.lock"
    lock.touch()
    return doc


def _snapshot(root: Path) -> dict[str, tuple[bytes, int]]:
    found = {}
    for dirpath, dirs, files in os.walk(root):
        for name in (*dirs, *files):
            path = Path(dirpath, name)
            st = path.lstat()
            data = path.read_bytes() if path.is_file() else b""
            found[path.relative_to(root).as_posix()] = (data, st.st_mtime_ns)
    return found


def _calls(store: FFStorageManager, doc: str) -> dict[str, Callable[[], Any]]:
    def run(coro: Any) -> Callable[[], Any]:
        return lambda: asyncio.run(coro())

    return {
        "user_exists": run(lambda: store.user_exists("alice")),
        "get_user_profile": run(lambda: store.get_user_profile("alice")),
        "update_user_profile": run(lambda: store.update_user_profile("alice", {"bio": "x"})),
        "list_users": run(store.list_users),
        "create_user": run(lambda: store.create_user("bob")),
        "create_session": run(lambda: store.create_session("alice", "new")),
        "get_session": run(lambda: store.get_session("alice", SID)),
        "session_exists": run(lambda: store.session_exists("alice", SID)),
        "list_sessions": run(lambda: store.list_sessions("alice")),
        "update_session_metadata": run(
            lambda: store.update_session_metadata("alice", SID, {"title": "t"})
        ),
        "get_session_statistics": run(lambda: store.get_session_statistics("alice", SID)),
        "add_message": run(
            lambda: store.add_message("alice", SID, {"role": "user", "content": "more"})
        ),
        "add_messages": run(
            lambda: store.add_messages("alice", SID, [{"role": "user", "content": "m"}])
        ),
        "get_messages": run(lambda: store.get_messages("alice", SID)),
        "search_messages": run(lambda: store.search_messages("alice", "hello")),
        "store_document": run(lambda: store.store_document("alice", SID, "new.txt", b"n")),
        "list_documents": run(lambda: store.list_documents("alice", SID)),
        "get_document": run(lambda: store.get_document("alice", SID, doc)),
        "read_document": run(lambda: store.read_document("alice", SID, doc)),
        "update_document_analysis": run(
            lambda: store.update_document_analysis("alice", SID, doc, {"summary": "s"})
        ),
        "delete_document": run(lambda: store.delete_document("alice", SID, doc)),
        "update_context": run(lambda: store.update_context("alice", SID, {"summary": "new"})),
        "get_context": run(lambda: store.get_context("alice", SID)),
        "get_context_history": run(lambda: store.get_context_history("alice", SID)),
        "store_persona": run(
            lambda: store.store_persona({"persona_id": "p", "name": "P"}, user_id="alice")
        ),
        "list_personas": run(lambda: store.list_personas("alice")),
        "check_integrity": store.check_integrity,
        "repair": store.repair,
    }


@pytest.mark.parametrize("plant", PLANTS)
def test_a_planted_symlink_is_never_followed(open_store, tmp_path: Path, plant: str) -> None:
    root, outside = tmp_path / "store", tmp_path / "outside"
    _fill(open_store(outside), MARKER)
    store = open_store(root)
    doc = _fill(store, "inside")
    if "*" in plant:
        (match,) = root.glob(plant)
        plant = match.relative_to(root).as_posix()
    victim = root / plant
    assert (outside / plant).exists(), f"the outside twin of {plant} is missing"
    if victim.is_dir():
        shutil.rmtree(victim)
    else:
        victim.unlink()
    victim.symlink_to(outside / plant)
    before = _snapshot(outside)

    issues = [str(i) for i in store.check_integrity() if i.kind == "unsafe_link"]
    assert any(plant in s for s in issues), issues

    refused, leaked, raw = [], [], []
    for name, call in _calls(store, doc).items():
        try:
            result = call()
        except UnsafePath:
            refused.append(name)
            continue
        except FFError:
            continue  # refused for another reason (e.g. not found through the missing link)
        except Exception as exc:  # a raw exception is itself a finding
            raw.append(f"{name}: {type(exc).__name__}: {exc}")
            continue
        if MARKER in repr(result):
            leaked.append(name)

    assert not raw, raw
    assert not leaked, f"read through the link: {leaked}"
    assert _snapshot(outside) == before, "the outside store changed"
    assert refused, "no call noticed the link"
    assert os.path.islink(victim), "the link itself was replaced or removed"
    if plant.endswith("_report.txt"):  # the refused delete changed nothing, metadata included
        listed = [d.filename for d in asyncio.run(store.list_documents("alice", SID))]
        assert doc in listed, listed


def test_store_files_and_folders_are_private_by_default(open_store, tmp_path: Path) -> None:
    store = open_store(tmp_path / "store")
    _fill(store, "x")
    modes = {
        p.relative_to(tmp_path).as_posix(): p.stat().st_mode & 0o777
        for p in (tmp_path / "store").rglob("*")
        if not p.name.endswith(".lock")
    }
    loose = {
        p: oct(m) for p, m in modes.items() if m != (0o700 if (tmp_path / p).is_dir() else 0o600)
    }
    assert not loose, loose
    assert (tmp_path / "store").stat().st_mode & 0o777 == 0o700


def test_shared_modes_when_owner_only_is_off(make_store, tmp_path: Path) -> None:
    store = make_store(
        root=tmp_path / "store", seed=3, overrides={"storage": {"owner_only": False}}
    )
    _fill(store, "x")
    log = tmp_path / f"store/users/alice/{SID}/messages.jsonl"
    assert log.stat().st_mode & 0o777 == 0o644
    assert log.parent.stat().st_mode & 0o777 == 0o755


@pytest.mark.parametrize("folder", ["users/alice", f"users/alice/{SID}"])
def test_a_folder_moved_out_and_linked_back_is_refused_by_a_warm_store(
    open_store, tmp_path: Path, folder: str
) -> None:
    """The attacker moves the real folder out of the root (same file system: same inode) and
    links it back in: the store, which already used the folder, must still refuse it."""
    root, outside = tmp_path / "store", tmp_path / "outside"
    outside.mkdir()
    store = open_store(root)
    _fill(store, "inside")
    asyncio.run(store.get_messages("alice", SID))  # the folder checks are warm
    moved = outside / Path(folder).name
    os.rename(root / folder, moved)
    os.symlink(moved, root / folder)
    before = _snapshot(outside)
    for call in (
        lambda: store.add_message("alice", SID, {"role": "user", "content": "x"}),
        lambda: store.get_messages("alice", SID),
        lambda: store.update_context("alice", SID, {"summary": "y"}),
    ):
        with pytest.raises(UnsafePath):
            asyncio.run(call())
    assert _snapshot(outside) == before
