"""repair() with a wrong or incomplete key ring never moves or drops what it cannot decrypt."""

from __future__ import annotations

import os
from pathlib import Path

from flatfile_chat.storage.codec import AesGcmCodec
from flatfile_chat.storage.filestore import FileStore

KEY_A = b"A" * 32


def _write(root: Path) -> Path:
    fs = FileStore(root, durability="none", codec=AesGcmCodec({"a": KEY_A}, "a"))
    path = fs.path("users", "u", "s1", "messages.jsonl")
    fs.ensure_dir(path.parent)
    for i in range(15):
        fs.append_jsonl(path, [{"i": i}])
    return path


def _fs(root: Path, keys: dict[str, bytes], active: str) -> FileStore:
    return FileStore(root, durability="none", codec=AesGcmCodec(keys, active))


def _leftovers(folder: Path) -> list[str]:
    return sorted(n for n in os.listdir(folder) if ".rejected-" in n)


def test_repair_without_key_a_leaves_file_unchanged(tmp_path: Path) -> None:
    path = _write(tmp_path)
    before = path.read_bytes()
    report = _fs(tmp_path, {"b": b"B" * 32}, "b").repair_jsonl(path)
    assert path.read_bytes() == before and _leftovers(path.parent) == []
    assert report.moved == 0 and report.refused
    assert [n for n, _ in report.refused] == list(range(1, 16))
    assert "'a'" in report.refused[0][1]
    full = _fs(tmp_path, {"a": KEY_A}, "a")
    assert [r["i"] for r in full.read_jsonl(path)] == list(range(15))


def test_repair_with_wrong_key_a_leaves_file_unchanged(tmp_path: Path) -> None:
    path = _write(tmp_path)
    before = path.read_bytes()
    report = _fs(tmp_path, {"a": b"X" * 32}, "a").repair_jsonl(path)
    assert path.read_bytes() == before and _leftovers(path.parent) == []
    assert report.moved == 0 and report.refused and report.refused[0][0] == 1
    full = _fs(tmp_path, {"a": KEY_A}, "a")
    assert [r["i"] for r in full.read_jsonl(path)] == list(range(15))


def test_repair_moves_only_structurally_broken_lines(tmp_path: Path) -> None:
    path = _write(tmp_path)
    lines = path.read_bytes().splitlines(keepends=True)
    lines.insert(5, b"not json at all\n")
    path.write_bytes(b"".join(lines) + b'{"enc":"ffe')  # plus a torn last line
    fs = _fs(tmp_path, {"a": KEY_A}, "a")
    report = fs.repair_jsonl(path)
    assert report.moved == 2 and report.bad_lines == (6, 17) and not report.refused
    assert [r["i"] for r in fs.read_jsonl(path)] == list(range(15))
