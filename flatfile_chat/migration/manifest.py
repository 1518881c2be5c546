"""Backups with a manifest: the sha256 of every file, and the manifest's own hash beside it.

A backup is a plain copy of the tree (``files/``), so it can be restored with ``cp -a`` by a
person who has lost this tool; the manifest proves the copy and the restore are exact.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from dataclasses import dataclass
from pathlib import Path

from flatfile_chat.errors import FFError, StorageCorrupted
from flatfile_chat.storage.atomic import atomic_write_bytes, fsync_dir
from flatfile_chat.storage.pages import is_sidecar

CHUNK = 1 << 20


class BackupInvalid(FFError):
    """A backup or a restored tree does not match its manifest."""


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


@dataclass(frozen=True)
class TreeState:
    files: dict[str, str]  # relative posix path -> sha256
    sizes: dict[str, int]
    dirs: list[str]  # every folder, so empty ones come back too

    def to_dict(self) -> dict:
        return {
            "files": {
                rel: {"sha256": h, "size": self.sizes[rel]} for rel, h in sorted(self.files.items())
            },
            "dirs": sorted(self.dirs),
        }

    @classmethod
    def from_dict(cls, data: dict) -> TreeState:
        files = {rel: entry["sha256"] for rel, entry in data["files"].items()}
        sizes = {rel: entry["size"] for rel, entry in data["files"].items()}
        return cls(files, sizes, list(data["dirs"]))

    def differences(self, other: TreeState, limit: int = 10) -> list[str]:
        out = []
        for rel in sorted(set(self.files) | set(other.files)):
            if rel not in other.files:
                out.append(f"{rel}: missing")
            elif rel not in self.files:
                out.append(f"{rel}: not expected")
            elif self.files[rel] != other.files[rel]:
                out.append(f"{rel}: sha256 {other.files[rel]} but expected {self.files[rel]}")
            if len(out) >= limit:
                return out
        missing_dirs = sorted(set(self.dirs) - set(other.dirs))
        out.extend(f"{rel}/: folder missing" for rel in missing_dirs[: limit - len(out)])
        return out


def scan(root: Path, *, hashes: bool = True) -> TreeState:
    """Hash every file under ``root`` (``hashes=False``: sizes only, for a dry run), page
    sidecars excepted (a cache; a read may write one at any time); symlinks
    are refused (old stores have none, and following one could back up or restore something
    outside the store)."""
    files: dict[str, str] = {}
    sizes: dict[str, int] = {}
    dirs: list[str] = []
    for dirpath, dirnames, filenames in os.walk(root):
        folder = Path(dirpath)
        rel_dir = folder.relative_to(root).as_posix()
        if rel_dir != ".":
            dirs.append(rel_dir)
        for name in dirnames + filenames:
            if (folder / name).is_symlink():
                raise BackupInvalid(
                    f"{folder / name}: is a symbolic link; a store must not "
                    "hold links (remove it, then migrate)",
                    path=str(folder / name),
                )
        for name in filenames:
            if is_sidecar(name):
                continue  # a cache of the store's, rebuilt on demand: never backed up
            path = folder / name
            rel = path.relative_to(root).as_posix()
            files[rel] = sha256_file(path) if hashes else ""
            sizes[rel] = path.stat().st_size
    return TreeState(files, sizes, dirs)


def write_backup(source: Path, backup: Path, *, meta: dict) -> TreeState:
    """Copy ``source`` to ``backup/files``, hash both sides, write the manifest last."""
    state = scan(source)
    files = backup / "files"
    if backup.exists():
        shutil.rmtree(backup)
    files.mkdir(parents=True)
    for rel in state.dirs:
        (files / rel).mkdir(parents=True, exist_ok=True)
    for rel, expected in state.files.items():
        target = files / rel
        shutil.copy2(source / rel, target)
        if sha256_file(target) != expected:
            raise BackupInvalid(
                f"{target}: copy differs from {source / rel} (changed while the backup ran?)",
                path=str(target),
            )
        with open(target, "rb") as handle:
            os.fsync(handle.fileno())
    body = json.dumps({**meta, **state.to_dict()}, indent=1, sort_keys=True).encode()
    atomic_write_bytes(backup / "manifest.json", body, fsync=True)
    atomic_write_bytes(
        backup / "manifest.sha256",
        hashlib.sha256(body).hexdigest().encode() + b"  manifest.json\n",
        fsync=True,
    )
    fsync_dir(backup)
    return state


def read_manifest(backup: Path) -> tuple[TreeState, dict]:
    """The manifest, after checking its own hash; raises when either is missing or altered."""
    body_path, sum_path = backup / "manifest.json", backup / "manifest.sha256"
    try:
        body = body_path.read_bytes()
        recorded = sum_path.read_text().split()[0]
    except (OSError, IndexError) as exc:
        raise BackupInvalid(
            f"{backup}: no complete backup manifest ({exc})", path=str(backup)
        ) from exc
    actual = hashlib.sha256(body).hexdigest()
    if actual != recorded:
        raise BackupInvalid(
            f"{body_path}: manifest sha256 is {actual} but {sum_path} says "
            f"{recorded}; the backup was altered",
            path=str(body_path),
        )
    try:
        data = json.loads(body)
    except ValueError as exc:
        raise StorageCorrupted(f"manifest is not JSON: {exc}", path=body_path) from exc
    return TreeState.from_dict(data), data


def restore(backup: Path, target: Path) -> TreeState:
    """Copy the backup into ``target`` (which must not exist), checking every hash."""
    state, _meta = read_manifest(backup)
    files = backup / "files"
    target.mkdir(parents=True)
    for rel in state.dirs:
        (target / rel).mkdir(parents=True, exist_ok=True)
    for rel, expected in state.files.items():
        if not (files / rel).is_file():
            raise BackupInvalid(f"{files / rel}: missing from the backup", path=str(files / rel))
        shutil.copy2(files / rel, target / rel)
        actual = sha256_file(target / rel)
        if actual != expected:
            raise BackupInvalid(
                f"{files / rel}: sha256 {actual} but the manifest says {expected}",
                path=str(files / rel),
            )
    return state


def verify(root: Path, expected: TreeState) -> list[str]:
    """Differences between ``root`` and ``expected`` (empty when byte-identical)."""
    return expected.differences(scan(root))
