"""Reading and writing one user's memory files, always whole lines and whole files.

Every writer holds the group lock (``MemoryPaths.lock_target``) and, per file, that file's own
lock (so the store-wide ``repair`` cannot interleave). A layer is rewritten by writing a temp
file and renaming it over the old one: a reader or a crash sees the old layer or the new one,
never half of each.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

from flatfile_chat.config.memory_layers import LAYERS
from flatfile_chat.errors import StorageCorrupted
from flatfile_chat.memory.layout import MemoryPaths
from flatfile_chat.storage.filestore import FileStore

Record = dict[str, Any]
HISTORY_IN_METADATA = 20  # layer_metadata.json keeps the latest entries; the file keeps all


def check_records(
    fs: FileStore, path: Path, records: list[Record], user_id: str, layer: str
) -> list[Record]:
    """Refuse a layer file holding another user's item or an item of another layer."""
    for number, record in enumerate(records, start=1):
        if record.get("user_id") != user_id:
            raise StorageCorrupted(
                f"memory item belongs to user {record.get('user_id')!r}, not {user_id!r}",
                path=fs.rel(path),
                line=number,
            )
        if record.get("layer") != layer:
            raise StorageCorrupted(
                f"item has layer {record.get('layer')!r} in the {layer} file",
                path=fs.rel(path),
                line=number,
            )
        if not isinstance(record.get("memory_id"), str):
            raise StorageCorrupted("memory item has no memory_id", path=fs.rel(path), line=number)
    return records


class MemoryFiles:
    """The file operations of one manager; no state besides the file store."""

    def __init__(self, fs: FileStore) -> None:
        self.fs = fs

    def paths(self, user_id: str) -> MemoryPaths:
        return MemoryPaths.for_user(self.fs, user_id)

    # -- reading -------------------------------------------------------------------------
    def read_layer(self, paths: MemoryPaths, layer: str) -> list[Record]:
        path = paths.layer(layer)
        return check_records(self.fs, path, self.fs.read_jsonl(path), paths.user_id, layer)

    def read_all(self, paths: MemoryPaths) -> dict[str, list[Record]]:
        return {layer: self.read_layer(paths, layer) for layer in LAYERS}

    def read_metadata(self, paths: MemoryPaths) -> Record | None:
        return self.fs.read_json(paths.metadata, default=None)

    # -- writing (caller holds the group lock) -------------------------------------------
    def ensure(self, paths: MemoryPaths, now: str, *, folder_ready: bool = False) -> Record:
        """Create the folder, the five (empty) layer files and the metadata; return the
        metadata as now on disk (read, or just written), so the caller, who holds the group
        lock, need not read it again. ``folder_ready``: the caller has just created the folder
        (it must, to take the group lock, whose lock file lives there)."""
        if not folder_ready:
            self.fs.ensure_dir(paths.folder)
        for layer in LAYERS:
            path = paths.layer(layer)
            if not path.exists():
                with self.fs.lock(path):
                    self.fs.rewrite_jsonl(path, [])
        metadata = self.read_metadata(paths)
        if metadata is None:
            metadata = new_metadata(paths.user_id, now)
            self.write_metadata(paths, metadata, now)
        return metadata

    def append(self, paths: MemoryPaths, layer: str, records: list[Record]) -> None:
        self.fs.append_jsonl(paths.layer(layer), records)

    def replace_layers(self, paths: MemoryPaths, layers: dict[str, list[Record]]) -> None:
        """Rewrite the given layers, highest first: an item moved up is written to its new
        layer before it leaves the old one, so a crash leaves a duplicate, never a loss."""
        for layer in reversed(LAYERS):
            if layer in layers:
                path = paths.layer(layer)
                with self.fs.lock(path):
                    self.fs.rewrite_jsonl(path, layers[layer])

    def write_backup(self, path: Path, records: list[Record]) -> None:
        """``{layer}.backup_{stamp}.jsonl``: created, or appended to within the same second."""
        with self.fs.lock(path):
            if path.exists():
                self.fs.append_jsonl(path, records, locked=True)
            else:
                self.fs.rewrite_jsonl(path, records)

    def write_metadata(self, paths: MemoryPaths, metadata: Record, now: str) -> None:
        metadata["updated_at"] = now
        self.fs.write_json(paths.metadata, metadata)

    def append_compression_history(self, paths: MemoryPaths, entries: list[Record]) -> None:
        path = paths.compression_history
        with self.fs.lock(path):
            history = self.fs.read_json(path, default=[])
            self.fs.write_json(path, [*history, *entries])


def new_metadata(user_id: str, now: str) -> Record:
    return {
        "user_id": user_id,
        "created_at": now,
        "updated_at": now,
        "last_maintenance": None,
        "layer_stats": {layer: {"item_count": 0, "last_compression": None} for layer in LAYERS},
        "compression_history": [],
    }


def refresh_counts(
    fs: FileStore, paths: MemoryPaths, metadata: Record, layers: Iterable[str] = LAYERS
) -> Record:
    """Set ``item_count`` from the files themselves (counts are never incremented blindly)."""
    stats = metadata.setdefault("layer_stats", {})
    for layer in layers:
        entry = stats.setdefault(layer, {"item_count": 0, "last_compression": None})
        entry["item_count"] = fs.count_jsonl(paths.layer(layer))
    return metadata
