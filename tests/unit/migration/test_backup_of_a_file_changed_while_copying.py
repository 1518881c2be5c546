"""A file that changes between the backup's scan and its copy (a writer still at work) makes
the backup refuse, naming the copy (message and ``path``), and no manifest is written."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from flatfile_chat.migration import manifest
from flatfile_chat.migration.manifest import BackupInvalid


def test_a_file_changed_after_the_scan_is_refused_naming_the_copy(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    source = tmp_path / "src"
    (source / "sub").mkdir(parents=True)
    (source / "a.txt").write_bytes(b"alpha\n")
    (source / "sub" / "b.json").write_bytes(b'{"b": 2}\n')
    backup = tmp_path / "backup"
    real_copy = shutil.copy2
    copied: list[str] = []

    def copy_while_a_writer_appends(src: Path, dst: Path) -> object:
        copied.append(Path(src).relative_to(source).as_posix())
        if Path(src).name == "b.json":
            with open(src, "ab") as handle:  # the writer: one more line after the scan
                handle.write(b'{"b": 3}\n')
        return real_copy(src, dst)

    monkeypatch.setattr(manifest.shutil, "copy2", copy_while_a_writer_appends)
    with pytest.raises(BackupInvalid) as exc:
        manifest.write_backup(source, backup, meta={"run_id": "r1"})
    target = backup / "files" / "sub" / "b.json"
    assert exc.value.message == (
        f"{target}: copy differs from {source / 'sub' / 'b.json'} (changed while the backup ran?)"
    )
    assert exc.value.context == {"path": str(target)}
    assert copied == ["a.txt", "sub/b.json"]
    assert not (backup / "manifest.json").exists()
    assert not (backup / "manifest.sha256").exists()
