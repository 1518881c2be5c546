"""The backup manifest on its own: exact bytes of a written backup, every refusal of a read or
restore with the file it names (message and ``path``), and the differences it reports."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

from flatfile_chat.migration import manifest
from flatfile_chat.migration.manifest import BackupInvalid, TreeState

A = b"alpha\n"
B = b'{"b": 2}\n'
SHA_A = hashlib.sha256(A).hexdigest()
SHA_B = hashlib.sha256(B).hexdigest()
SHA_BETA = hashlib.sha256(b"beta\n").hexdigest()


def _tree(root: Path) -> Path:
    (root / "sub" / "empty").mkdir(parents=True)
    (root / "a.txt").write_bytes(A)
    (root / "sub" / "b.json").write_bytes(B)
    return root


def test_a_written_backup_has_exact_manifest_bytes_and_sum(tmp_path: Path) -> None:
    source = _tree(tmp_path / "src")
    backup = tmp_path / "backup"
    state = manifest.write_backup(source, backup, meta={"run_id": "r1"})
    sizes = {"a.txt": 6, "sub/b.json": 9}
    assert state == TreeState({"a.txt": SHA_A, "sub/b.json": SHA_B}, sizes, ["sub", "sub/empty"])
    body = json.dumps(
        {
            "dirs": ["sub", "sub/empty"],
            "files": {
                "a.txt": {"sha256": SHA_A, "size": 6},
                "sub/b.json": {"sha256": SHA_B, "size": 9},
            },
            "run_id": "r1",
        },
        indent=1,
        sort_keys=True,
    ).encode()
    assert (backup / "manifest.json").read_bytes() == body
    assert (backup / "manifest.sha256").read_bytes() == (
        hashlib.sha256(body).hexdigest().encode() + b"  manifest.json\n"
    )
    assert (backup / "files" / "a.txt").read_bytes() == A
    assert (backup / "files" / "sub" / "empty").is_dir()
    read_state, meta = manifest.read_manifest(backup)
    assert read_state == state
    assert meta["run_id"] == "r1"


def test_restore_gives_back_every_file_and_folder(tmp_path: Path) -> None:
    source = _tree(tmp_path / "src")
    backup = tmp_path / "backup"
    state = manifest.write_backup(source, backup, meta={})
    target = tmp_path / "restored"
    assert manifest.restore(backup, target) == state
    assert manifest.verify(target, state) == []
    assert (target / "sub" / "empty").is_dir()
    with pytest.raises(FileExistsError):
        manifest.restore(backup, target)  # the target must not exist


def test_a_missing_manifest_sum_is_refused_naming_the_backup(tmp_path: Path) -> None:
    backup = tmp_path / "backup"
    manifest.write_backup(_tree(tmp_path / "src"), backup, meta={})
    (backup / "manifest.sha256").unlink()
    with pytest.raises(BackupInvalid, match=r"^.*/backup: no complete backup manifest \(") as exc:
        manifest.read_manifest(backup)
    assert exc.value.path == str(backup)


def test_an_altered_manifest_is_refused_naming_it(tmp_path: Path) -> None:
    backup = tmp_path / "backup"
    manifest.write_backup(_tree(tmp_path / "src"), backup, meta={})
    recorded = (backup / "manifest.sha256").read_text().split()[0]
    (backup / "manifest.json").write_bytes(b"{}")
    actual = hashlib.sha256(b"{}").hexdigest()
    with pytest.raises(BackupInvalid) as exc:
        manifest.read_manifest(backup)
    assert str(exc.value) == (
        f"{backup / 'manifest.json'}: manifest sha256 is {actual} but "
        f"{backup / 'manifest.sha256'} says {recorded}; the backup was altered"
    )
    assert exc.value.path == str(backup / "manifest.json")


def test_a_file_missing_from_the_backup_is_refused_naming_it(tmp_path: Path) -> None:
    backup = tmp_path / "backup"
    manifest.write_backup(_tree(tmp_path / "src"), backup, meta={})
    gone = backup / "files" / "sub" / "b.json"
    gone.unlink()
    with pytest.raises(BackupInvalid) as exc:
        manifest.restore(backup, tmp_path / "restored")
    assert str(exc.value) == f"{gone}: missing from the backup"
    assert exc.value.path == str(gone)


def test_an_altered_backup_file_is_refused_naming_it_and_both_digests(tmp_path: Path) -> None:
    backup = tmp_path / "backup"
    manifest.write_backup(_tree(tmp_path / "src"), backup, meta={})
    altered = backup / "files" / "a.txt"
    altered.write_bytes(b"beta\n")
    with pytest.raises(BackupInvalid) as exc:
        manifest.restore(backup, tmp_path / "restored")
    assert str(exc.value) == (f"{altered}: sha256 {SHA_BETA} but the manifest says {SHA_A}")
    assert exc.value.path == str(altered)


def test_differences_name_each_file_and_folder(tmp_path: Path) -> None:
    root = _tree(tmp_path / "src")
    expected = manifest.scan(root)
    (root / "a.txt").write_bytes(b"beta\n")
    (root / "sub" / "b.json").unlink()
    (root / "sub" / "empty").rmdir()
    (root / "new.txt").write_bytes(b"")
    assert manifest.verify(root, expected) == [
        f"a.txt: sha256 {SHA_BETA} but expected {SHA_A}",
        "new.txt: not expected",
        "sub/b.json: missing",
        "sub/empty/: folder missing",
    ]
    assert len(expected.differences(manifest.scan(root), limit=2)) == 2
