"""A write the disk refuses raises the store's own error and leaves the previous state.

Real failures, not mocks: the store lives on a tiny tmpfs (disk full: ENOSPC) that is then
remounted read-only (EROFS). Mounting needs root; elsewhere the tests skip with the reason.
The unit-level test at the end cuts a write in half (the one case a real disk cannot be made
to produce on demand) to prove a torn append is rolled back.
"""

from __future__ import annotations

import asyncio
import errno
import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from flatfile_chat import FFStorageManager
from flatfile_chat.errors import FFError, StorageWriteError
from flatfile_chat.storage import jsonl

SID = "s1"


def _can_mount() -> str | None:
    if os.geteuid() != 0:
        return "mounting a tmpfs needs root"
    probe = Path("/tmp/.ff-mount-probe")
    probe.mkdir(exist_ok=True)
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=16k", "tmpfs", str(probe)], capture_output=True
    )
    if done.returncode:
        return f"cannot mount tmpfs here: {done.stderr.decode().strip()}"
    subprocess.run(["umount", str(probe)], check=True)
    return None


WHY_NOT = _can_mount()
needs_mount = pytest.mark.skipif(WHY_NOT is not None, reason=WHY_NOT or "")


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    mount = tmp_path / "disk"
    mount.mkdir()
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=256k", "tmpfs", str(mount)], check=True)
    try:
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=False)


@pytest.fixture
def open_store(make_store):
    """``open_store(root)``: an fsync-durability store over ``root``."""

    def build(root: Path) -> FFStorageManager:
        return make_store(root=root, seed=4, durability="fsync")

    return build


def _seed(store: FFStorageManager) -> None:
    async def go() -> None:
        await store.create_user("alice")
        await store.create_session("alice", "t", session_id=SID)
        for i in range(3):
            await store.add_message("alice", SID, {"role": "user", "content": f"m{i}"})

    asyncio.run(go())


def _fill_disk(mount: Path) -> Path:
    """Leave the file system with no free block."""
    ballast = mount / "ballast"
    fd = os.open(ballast, os.O_WRONLY | os.O_CREAT, 0o600)
    try:
        while True:
            os.write(fd, b"\0" * 4096)
    except OSError as exc:
        assert exc.errno == errno.ENOSPC
    finally:
        os.close(fd)
    return ballast


def _state(root: Path) -> dict[str, bytes]:
    return {
        p.relative_to(root).as_posix(): p.read_bytes()
        for p in root.rglob("*")
        if p.is_file() and not p.name.endswith(".lock")
    }


def _writes(store: FFStorageManager) -> dict[str, object]:
    return {
        "add_message": store.add_message("alice", SID, {"role": "user", "content": "x" * 9000}),
        "create_session": store.create_session("alice", "another"),
        "create_user": store.create_user("bob"),
        "update_user_profile": store.update_user_profile("alice", {"bio": "y" * 9000}),
        "store_document": store.store_document("alice", SID, "a.txt", b"z" * 20000),
        "update_context": store.update_context("alice", SID, {"summary": "s" * 9000}),
        "store_persona": store.store_persona({"persona_id": "p", "name": "P" * 9000}),
    }


def _every_write_refused(store: FFStorageManager, root: Path, expected_errno: int) -> None:
    before = _state(root)
    raw, accepted = [], []
    for name, coro in _writes(store).items():
        try:
            asyncio.run(coro)  # type: ignore[arg-type]
            accepted.append(name)
        except StorageWriteError as exc:
            assert exc.errno == expected_errno, (name, exc)
        except FFError:
            pass
        except Exception as exc:  # a raw OSError is what this test hunts
            raw.append(f"{name}: {type(exc).__name__}: {exc}")
    assert not raw, raw
    assert not accepted, f"reported success with no space to store anything: {accepted}"
    assert _state(root) == before, "a refused write changed stored data"
    messages = asyncio.run(store.get_messages("alice", SID))
    assert [m.content for m in messages] == ["m0", "m1", "m2"]
    assert store.check_integrity() == []


@needs_mount
def test_disk_full_raises_store_error_and_keeps_everything(open_store, small_disk: Path) -> None:
    root = small_disk / "store"
    store = open_store(root)
    _seed(store)
    ballast = _fill_disk(small_disk)
    _every_write_refused(store, root, errno.ENOSPC)
    ballast.unlink()  # space again: appends work without a repair in between
    asyncio.run(store.add_message("alice", SID, {"role": "user", "content": "after"}))
    messages = asyncio.run(store.get_messages("alice", SID))
    assert [m.content for m in messages] == ["m0", "m1", "m2", "after"]
    assert asyncio.run(store.get_session("alice", SID)).message_count == 4
    assert store.check_integrity() == []


@needs_mount
def test_read_only_folder_raises_store_error_and_keeps_everything(
    open_store, small_disk: Path
) -> None:
    root = small_disk / "store"
    store = open_store(root)
    _seed(store)
    subprocess.run(["mount", "-o", "remount,ro", str(small_disk)], check=True)
    _every_write_refused(store, root, errno.EROFS)


def test_a_torn_append_is_cut_back(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The disk takes half the bytes, then fails: the file ends where it ended before."""
    path = tmp_path / "log.jsonl"
    jsonl.append_lines(path, [b'{"n": 1}'], fsync=False)
    before = path.read_bytes()
    real_write = os.write
    calls = []

    def half_then_full(fd: int, data: bytes) -> int:
        calls.append(len(data))
        if len(calls) == 1:
            return real_write(fd, bytes(data[: len(data) // 2]))
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(jsonl.os, "write", half_then_full)
    with pytest.raises(OSError, match="No space"):
        jsonl.append_lines(path, [b'{"n": 2, "pad": "' + b"p" * 100 + b'"}'], fsync=False)
    monkeypatch.undo()
    assert len(calls) == 2, "the failure was not reached after a partial write"
    assert path.read_bytes() == before
    jsonl.append_lines(path, [b'{"n": 3}'], fsync=False)
    assert [r["n"] for r in jsonl.read_records(path)] == [1, 3]


def test_counter_write_failing_after_the_append_still_reports_the_stored_message(
    open_store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The log is the truth: once the message is in it, add_message succeeds even if the
    derived counter cannot be written; the next add recounts."""
    store = open_store(tmp_path / "store")
    _seed(store)
    sessions = store.messages._sessions

    def refuse(*args: object, **kwargs: object) -> bytes:
        raise StorageWriteError(
            "session.json: write failed", path="session.json", errno=errno.ENOSPC
        )

    monkeypatch.setattr(sessions, "write", refuse)
    added = asyncio.run(store.add_message("alice", SID, {"role": "user", "content": "kept"}))
    monkeypatch.undo()
    assert added.content == "kept"
    assert [i.kind for i in store.check_integrity()] == ["counter_mismatch"]
    asyncio.run(store.add_message("alice", SID, {"role": "user", "content": "next"}))
    assert asyncio.run(store.get_session("alice", SID)).message_count == 5
    assert store.check_integrity() == []


@needs_mount
def test_kb_add_that_runs_out_of_space_leaves_the_previous_kb(open_store, tmp_path: Path) -> None:
    """Disk space runs out at each stage of adding a document (its blob, the bm25 index, the
    embeddings, the chunk and vector indexes): every time the add fails with the store's error
    and the knowledge base reads, retrieves, checks and accepts documents as before."""
    from flatfile_chat.knowledge import FFKnowledgeBaseManager

    text = " ".join(f"word{i} photosynthesis light energy chlorophyll" for i in range(3000))
    failed_at: set[str] = set()
    free_pages = 1
    while free_pages < 400:
        mount = tmp_path / f"disk{free_pages}"
        mount.mkdir()
        subprocess.run(["mount", "-t", "tmpfs", "-o", "size=4m", "tmpfs", str(mount)], check=True)
        try:
            store = open_store(mount / "store")
            asyncio.run(store.create_user("alice"))
            kb = FFKnowledgeBaseManager(store)
            kb_id = asyncio.run(kb.create_knowledge_base("alice", "Bio")).kb_id
            asyncio.run(kb.add_document_to_kb("alice", kb_id, "a.txt", "photosynthesis light"))
            before = _state(mount / "store")
            ballast = _fill_disk(mount)
            os.truncate(ballast, max(0, ballast.stat().st_size - free_pages * 4096))
            try:
                asyncio.run(kb.add_document_to_kb("alice", kb_id, "b.txt", text))
            except StorageWriteError as exc:
                failed_at.add(Path(exc.path).name)
                ballast.unlink()
                assert _state(mount / "store") == before, f"{exc.path}: state changed"
                assert store.check_integrity() == []
                hits = asyncio.run(kb.retrieve_context("alice", "light", [kb_id]))
                assert hits.contexts, "the first document is no longer retrieved"
                asyncio.run(kb.add_document_to_kb("alice", kb_id, "c.txt", "more light"))
                assert store.check_integrity() == []
            else:
                break  # enough space: every stage has been tried
            store.close()
        finally:
            subprocess.run(["umount", "-l", str(mount)], check=False)
        free_pages += 9
    assert {
        "bm25_index.npz",
        "embeddings.npy",
        "chunk_index.jsonl",
        "vector_index.jsonl",
    } <= failed_at, failed_at


@needs_mount
def test_kb_add_is_not_reported_failed_when_only_the_cache_clear_fails(
    open_store, tmp_path: Path
) -> None:
    """After the index group is committed, clearing the derived query cache is best effort:
    a read-only cache folder must not turn a stored document into a reported failure."""
    from flatfile_chat.knowledge import FFKnowledgeBaseManager

    store = open_store(tmp_path / "store")
    asyncio.run(store.create_user("alice"))
    kb = FFKnowledgeBaseManager(store)
    kb_id = asyncio.run(kb.create_knowledge_base("alice", "Bio")).kb_id
    asyncio.run(kb.add_document_to_kb("alice", kb_id, "a.txt", "photosynthesis light"))
    cache = next((tmp_path / "store").rglob("retrieval_cache"))
    subprocess.run(["mount", "--bind", str(cache), str(cache)], check=True)
    try:
        subprocess.run(["mount", "-o", "remount,bind,ro", str(cache)], check=True)
        asyncio.run(kb.add_document_to_kb("alice", kb_id, "b.txt", "chlorophyll energy"))
        docs = asyncio.run(kb.list_kb_documents("alice", kb_id))
        assert [d.original_path for d in docs] == ["a.txt", "b.txt"]
    finally:
        subprocess.run(["umount", str(cache)], check=False)
    hits = asyncio.run(kb.retrieve_context("alice", "chlorophyll", [kb_id]))
    assert any("chlorophyll" in c.content for c in hits.contexts)
