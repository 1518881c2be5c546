"""Atomic replace and the durability modes."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from flatfile_chat.errors import AlreadyExists
from flatfile_chat.storage.atomic import atomic_write_bytes, is_temp_file
from flatfile_chat.storage.durability import GroupCommitter
from flatfile_chat.storage.filestore import FileStore


def test_failed_write_leaves_old_content_and_no_temp(tmp_path: Path, monkeypatch) -> None:
    target = tmp_path / "doc.json"
    target.write_bytes(b'{"v": 1}')

    def boom(src, dst):
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", boom)
    with pytest.raises(OSError):
        atomic_write_bytes(target, b'{"v": 2}', fsync=True)
    assert target.read_bytes() == b'{"v": 1}'
    assert [p.name for p in tmp_path.iterdir()] == ["doc.json"]


def test_exclusive_write_refuses_to_replace(tmp_path: Path) -> None:
    fs = FileStore(tmp_path, durability="none")
    fs.write_json(fs.path("a.json"), {"v": 1}, exclusive=True)
    with pytest.raises(AlreadyExists):
        fs.write_json(fs.path("a.json"), {"v": 2}, exclusive=True)
    assert fs.read_json(fs.path("a.json")) == {"v": 1}
    assert not any(is_temp_file(p.name) for p in tmp_path.iterdir())


def test_json_uses_upstream_convention(tmp_path: Path) -> None:
    fs = FileStore(tmp_path, durability="none")
    fs.write_json(fs.path("a.json"), {"b": 1, "a": "é"})
    raw = (tmp_path / "a.json").read_bytes()
    assert (
        raw == json.dumps({"a": "é", "b": 1}, indent=2, ensure_ascii=False, sort_keys=True).encode()
    )
    assert not raw.endswith(b"\n")


@pytest.mark.parametrize("mode", ["fsync", "batch", "none"])
def test_every_mode_persists_and_counts_syncs(tmp_path: Path, mode: str, monkeypatch) -> None:
    synced: list[int] = []
    real_fsync, real_fdatasync = os.fsync, os.fdatasync
    monkeypatch.setattr(os, "fsync", lambda fd: (synced.append(fd), real_fsync(fd))[1])
    monkeypatch.setattr(os, "fdatasync", lambda fd: (synced.append(fd), real_fdatasync(fd))[1])
    fs = FileStore(tmp_path, durability=mode, group_commit_interval_ms=10_000)
    path = fs.path("log.jsonl")
    for i in range(20):
        fs.append_jsonl(path, [{"i": i}])
    during = len(synced)
    fs.close()
    assert fs.count_jsonl(path) == 20
    if mode == "fsync":
        assert during >= 20
    elif mode == "batch":
        assert during == 0 and len(synced) >= 1  # one group commit at close
    else:
        assert len(synced) == 0


def test_group_committer_pending_lists_each_written_file_once_until_a_commit(
    tmp_path: Path,
) -> None:
    first, second = tmp_path / "a.jsonl", tmp_path / "b.json"
    first.write_text("{}\n")
    second.write_text("{}")
    committer = GroupCommitter(600_000)  # the timer never fires during the test
    try:
        assert committer.pending() == []
        committer.mark(second)
        committer.mark(first)
        committer.mark(second)
        listed = committer.pending()
        assert listed == [first, second]
        listed.clear()  # a copy: the caller cannot drop pending files
        assert committer.pending() == [first, second]
        assert committer.flush() == 2
        assert committer.pending() == []
    finally:
        committer.close()


@pytest.mark.parametrize("mode", ["fsync", "batch", "none"])
def test_store_pending_commits_by_mode(tmp_path: Path, mode: str) -> None:
    fs = FileStore(tmp_path, durability=mode, group_commit_interval_ms=600_000)
    try:
        fs.write_json(fs.path("doc.json"), {"a": 1})
        fs.append_jsonl(fs.path("log.jsonl"), [{"i": 1}])
        expected = ["doc.json", "log.jsonl"] if mode == "batch" else []
        assert fs.pending_commits() == expected
        fs.flush()
        assert fs.pending_commits() == []
    finally:
        fs.close()
