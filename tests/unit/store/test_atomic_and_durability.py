"""Atomic replace and the durability modes."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from flatfile_chat.errors import AlreadyExists
from flatfile_chat.storage.atomic import atomic_write_bytes, is_temp_file
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
