"""Encrypted JSONL records are bound to their position: every attack on order or length shows."""

from __future__ import annotations

import asyncio
import base64
import json
from pathlib import Path

import pytest

from flatfile_chat import FFStorageManager
from flatfile_chat.errors import StorageCorrupted
from flatfile_chat.store.rekey import reencrypt_all

K1 = base64.b64encode(b"1" * 32).decode()


@pytest.fixture
def open_store(make_store):
    """``open_store(root, encrypted=True)``: a store over ``root`` (opened again: a new process)."""

    def build(root: Path, encrypted: bool = True) -> FFStorageManager:
        enc = {"enabled": True, "active_key_id": "k1", "keys": {"k1": f"base64:{K1}"}}
        return make_store(root=root, seed=5, encryption=enc if encrypted else {"enabled": False})

    return build


def _fill(store: FFStorageManager, n: int = 5) -> Path:
    async def go() -> None:
        for user in ("alice", "bob"):
            await store.create_user(user, {"username": user.title()})
            await store.create_session(user, "s", session_id="s1")
        for i in range(n):
            await store.add_message("alice", "s1", {"role": "user", "content": f"m{i}"})
        await store.add_message("bob", "s1", {"role": "user", "content": "bob's"})

    asyncio.run(go())
    return store.ctx.fs.root / "users/alice/s1/messages.jsonl"


def _lines(path: Path) -> list[bytes]:
    return path.read_bytes().splitlines(keepends=True)


def _chain_issues(store: FFStorageManager) -> list[str]:
    return [str(i) for i in store.check_integrity() if i.kind.startswith("jsonl_chain")]


def _assert_caught(store: FFStorageManager, path: Path, line: int, *, on_read: bool) -> None:
    issues = _chain_issues(store)
    assert any(f"messages.jsonl:{line}" in s for s in issues), issues
    if on_read:
        with pytest.raises(StorageCorrupted, match=rf"messages.jsonl:{line}"):
            store.ctx.fs.read_jsonl(path)


def test_untouched_chain_verifies(open_store, tmp_path: Path) -> None:
    store = open_store(tmp_path)
    path = _fill(store)
    assert store.check_integrity() == []
    assert [r["content"] for r in store.ctx.fs.read_jsonl(path)] == [f"m{i}" for i in range(5)]


def test_reordered_lines_are_caught(open_store, tmp_path: Path) -> None:
    store = open_store(tmp_path)
    path = _fill(store)
    lines = _lines(path)
    lines[1], lines[2] = lines[2], lines[1]
    path.write_bytes(b"".join(lines))
    _assert_caught(store, path, 2, on_read=True)


def test_deleted_middle_line_is_caught(open_store, tmp_path: Path) -> None:
    store = open_store(tmp_path)
    path = _fill(store)
    lines = _lines(path)
    del lines[2]
    path.write_bytes(b"".join(lines))
    _assert_caught(store, path, 3, on_read=True)


def test_duplicated_line_is_caught(open_store, tmp_path: Path) -> None:
    store = open_store(tmp_path)
    path = _fill(store)
    lines = _lines(path)
    lines.insert(3, lines[2])
    path.write_bytes(b"".join(lines))
    _assert_caught(store, path, 4, on_read=True)


def test_truncated_tail_is_caught(open_store, tmp_path: Path) -> None:
    store = open_store(tmp_path)
    path = _fill(store)
    path.write_bytes(b"".join(_lines(path)[:3]))
    issues = _chain_issues(store)
    assert any("messages.jsonl:4" in s and "truncated" in s for s in issues), issues


def test_replayed_older_copy_is_caught(open_store, tmp_path: Path) -> None:
    store = open_store(tmp_path)
    path = _fill(store, n=3)
    old = path.read_bytes()
    asyncio.run(store.add_message("alice", "s1", {"role": "user", "content": "later"}))
    path.write_bytes(old)
    issues = _chain_issues(store)
    assert any("messages.jsonl:4" in s for s in issues), issues


def test_replayed_copy_from_before_a_rewrite_is_caught(open_store, tmp_path: Path) -> None:
    store = open_store(tmp_path)
    path = _fill(store, n=3)
    old = path.read_bytes()
    fs = store.ctx.fs
    with fs.lock(path):
        fs.rewrite_jsonl(path, fs.read_jsonl(path))  # same records, fresh chain
    path.write_bytes(old)
    issues = _chain_issues(store)
    assert any("messages.jsonl:1" in s and "replay" in s for s in issues), issues


def test_line_copied_from_another_session_is_caught(open_store, tmp_path: Path) -> None:
    store = open_store(tmp_path)
    path = _fill(store)
    bob = _lines(tmp_path / "users/bob/s1/messages.jsonl")
    lines = _lines(path)
    lines[1] = bob[0]
    path.write_bytes(b"".join(lines))
    _assert_caught(store, path, 2, on_read=True)


def test_appends_after_rewrite_continue_the_new_chain(open_store, tmp_path: Path) -> None:
    store = open_store(tmp_path)
    path = _fill(store, n=3)
    fs = store.ctx.fs
    with fs.lock(path):
        fs.rewrite_jsonl(path, fs.read_jsonl(path)[1:])
    fs.append_jsonl(path, [{"role": "user", "content": "x"}])
    assert [r["content"] for r in fs.read_jsonl(path)] == ["m1", "m2", "x"]
    assert _chain_issues(store) == []


def test_plain_store_writes_no_envelope_and_no_head(open_store, tmp_path: Path) -> None:
    store = open_store(tmp_path, encrypted=False)
    path = _fill(store)
    assert all(line.startswith(b'{"') and b'"enc"' not in line for line in _lines(path))
    assert not list(tmp_path.rglob("*.head"))


def test_copy_of_whole_file_with_head_is_not_caught(open_store, tmp_path: Path) -> None:
    """Documented limit: replaying a file together with its head is invisible."""
    store = open_store(tmp_path)
    path = _fill(store, n=3)
    head = path.with_name(f".{path.name}.head")
    saved = {p: p.read_bytes() for p in (path, head) if p.exists()}
    asyncio.run(store.add_message("alice", "s1", {"role": "user", "content": "later"}))
    for p, data in saved.items():
        p.write_bytes(data)
    assert _chain_issues(store) == []


def test_head_behind_the_log_reads_fine_and_is_reported_unsealed(
    open_store, tmp_path: Path
) -> None:
    store = open_store(tmp_path)
    path = _fill(store, n=3)
    head = path.with_name(f".{path.name}.head")
    saved = head.read_bytes()
    asyncio.run(store.add_message("alice", "s1", {"role": "user", "content": "later"}))
    head.write_bytes(saved)  # as if the process died between the append and the head update
    assert len(store.ctx.fs.read_jsonl(path)) == 4
    issues = [str(i) for i in store.check_integrity()]
    assert any("jsonl_chain_unsealed" in s and "messages.jsonl:4" in s for s in issues), issues


def test_legacy_unchained_file_reads_is_reported_and_rekey_chains_it(
    open_store, tmp_path: Path
) -> None:
    store = open_store(tmp_path)
    path = _fill(store, n=3)
    fs = store.ctx.fs
    owner, rel = fs.owner_of(path), fs.rel(path)
    records = fs.read_jsonl(path)
    legacy = [fs.codec.seal(json.dumps(r).encode(), owner=owner, rel_path=rel) for r in records]
    path.write_bytes(b"".join(line + b"\n" for line in legacy))  # as today's code wrote them
    path.with_name(f".{path.name}.head").unlink()
    assert fs.read_jsonl(path) == records
    fs.append_jsonl(path, [{"role": "user", "content": "more"}])  # stays unchained
    kinds = {i.kind for i in store.check_integrity()}
    assert "jsonl_chain_legacy" in kinds
    reencrypt_all(fs)
    assert b'"seq":0' in path.read_bytes()
    assert _chain_issues(store) == []
    assert [r["content"] for r in fs.read_jsonl(path)][-1] == "more"


def _add(store: FFStorageManager, text: str) -> None:
    asyncio.run(store.add_message("alice", "s1", {"role": "user", "content": text}))


def test_append_after_a_cut_tail_is_refused_and_the_evidence_stays(
    open_store, tmp_path: Path
) -> None:
    store = open_store(tmp_path)
    path = _fill(store)
    path.write_bytes(b"".join(_lines(path)[:2]))
    with pytest.raises(StorageCorrupted, match="cut short"):
        _add(store, "next")
    assert len(_lines(path)) == 2
    assert any("truncated" in s for s in _chain_issues(store))


def test_append_after_a_replayed_copy_is_refused(open_store, tmp_path: Path) -> None:
    store = open_store(tmp_path)
    path = _fill(store, n=3)
    old = path.read_bytes()
    fs = store.ctx.fs
    with fs.lock(path):
        fs.rewrite_jsonl(path, fs.read_jsonl(path)[1:])  # e.g. expiry dropped m0
    path.write_bytes(old)  # m0 put back
    with pytest.raises(StorageCorrupted, match="epoch"):
        _add(store, "next")
    with fs.lock(path), pytest.raises(StorageCorrupted, match="epoch"):
        fs.rewrite_jsonl(path, fs.read_jsonl(path))  # a compaction would launder it too
    reencrypt_all(fs)  # the operator accepts the file as it is
    _add(store, "next")
    assert _chain_issues(store) == []


def test_append_goes_on_when_only_the_head_fell_behind(open_store, tmp_path: Path) -> None:
    store = open_store(tmp_path)
    path = _fill(store, n=2)
    head = path.with_name(f".{path.name}.head")
    saved = head.read_bytes()
    _add(store, "later")
    head.write_bytes(saved)  # a crash between the append and the head update
    _add(store, "after the crash")
    assert [r["content"] for r in store.ctx.fs.read_jsonl(path)][-2:] == [
        "later",
        "after the crash",
    ]
    assert _chain_issues(store) == []


def test_repair_does_not_launder_a_deletion_hidden_behind_a_broken_line(
    open_store, tmp_path: Path
) -> None:
    store = open_store(tmp_path)
    path = _fill(store, n=6)
    lines = _lines(path)
    tampered = b"".join([lines[0], lines[1], b"garbage\n", lines[4], lines[5]])
    path.write_bytes(tampered)  # m2, m3 deleted; one broken line stands for two records
    summary = store.repair()
    assert path.read_bytes() == tampered and not summary.jsonl_repaired
    assert summary.jsonl_refused and summary.jsonl_refused[0]["refused"]


def test_repair_does_not_launder_a_duplicate_or_a_cut_tail(open_store, tmp_path: Path) -> None:
    store = open_store(tmp_path)
    path = _fill(store, n=4)
    lines = _lines(path)
    for tampered in (
        b"".join([*lines, b"garbage\n", lines[0]]),  # m0 duplicated at the end
        b"".join([lines[0], b"garbage\n", lines[2]]),
    ):  # m3 cut off the tail
        path.write_bytes(tampered)
        summary = store.repair()
        assert path.read_bytes() == tampered, summary
        assert summary.jsonl_refused and not summary.jsonl_repaired


def test_repair_still_moves_an_inserted_broken_line(open_store, tmp_path: Path) -> None:
    store = open_store(tmp_path)
    path = _fill(store, n=3)
    lines = _lines(path)
    path.write_bytes(b"".join([lines[0], b"garbage\n", lines[1], lines[2]]))
    summary = store.repair()
    assert [d["bad_lines"] for d in summary.jsonl_repaired] == [(2,)]
    assert [r["content"] for r in store.ctx.fs.read_jsonl(path)] == ["m0", "m1", "m2"]
    assert _chain_issues(store) == []


@pytest.mark.parametrize("kid", [["k1"], {"k": 1}, 7, None])
def test_a_crafted_key_id_is_a_store_error_not_a_crash(
    open_store, tmp_path: Path, kid: object
) -> None:
    store = open_store(tmp_path)
    path = _fill(store, n=3)
    lines = _lines(path)
    envelope = json.loads(lines[1])
    envelope["kid"] = kid
    lines[1] = json.dumps(envelope).encode() + b"\n"
    path.write_bytes(b"".join(lines))
    with pytest.raises(StorageCorrupted, match="messages.jsonl:2"):
        asyncio.run(store.get_messages("alice", "s1"))
    assert any(i.kind == "jsonl_invalid" for i in store.check_integrity())


def test_an_unchained_copy_put_back_over_a_chained_file_is_a_replay(
    open_store, tmp_path: Path
) -> None:
    store = open_store(tmp_path)
    path = _fill(store, n=3)
    fs = store.ctx.fs
    owner, rel = fs.owner_of(path), fs.rel(path)
    legacy = [
        fs.codec.seal(json.dumps(r).encode(), owner=owner, rel_path=rel)
        for r in fs.read_jsonl(path)[:2]
    ]
    path.write_bytes(b"".join(line + b"\n" for line in legacy))  # head left in place
    kinds = {i.kind for i in store.check_integrity()}
    assert "jsonl_chain_replayed" in kinds and "jsonl_chain_legacy" not in kinds
    with pytest.raises(StorageCorrupted, match="unchained"):
        _add(store, "next")
