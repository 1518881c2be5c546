"""Where one user's memory lives (spec P1 layout), every path built from a validated id.

```
users/{u}/memory_layers/{immediate,short_term,medium_term,long_term,permanent}.jsonl
users/{u}/memory_layers/layer_metadata.json
users/{u}/memory_layers/compression_history.json
users/{u}/memory_layers/{layer}.backup_YYYYmmdd_HHMMSS.jsonl
users/{u}/memory_layers/.memory.lock          (one lock for the whole group)
```
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from functools import cached_property
from pathlib import Path

from flatfile_chat.config.memory_layers import LAYERS
from flatfile_chat.storage.filestore import FileStore
from flatfile_chat.storage.paths import validate_id

MEMORY_DIR = "memory_layers"
METADATA = "layer_metadata.json"
COMPRESSION_HISTORY = "compression_history.json"


@dataclass(frozen=True)
class MemoryPaths:
    """One user's memory files. Immutable (a new instance per user and call), so each path
    is built once per instance: an add asks for them a dozen times."""

    fs: FileStore
    user_id: str

    @classmethod
    def for_user(cls, fs: FileStore, user_id: str) -> MemoryPaths:
        return cls(fs, validate_id(user_id, "user_id"))

    @cached_property
    def folder(self) -> Path:
        return self.fs.user_path(self.user_id, MEMORY_DIR)

    @cached_property
    def _layer_files(self) -> dict[str, Path]:
        return {layer: self.folder / f"{layer}.jsonl" for layer in LAYERS}

    def layer(self, layer: str) -> Path:
        try:
            return self._layer_files[layer]
        except (KeyError, TypeError):  # TypeError: an unhashable value
            raise ValueError(f"unknown memory layer {layer!r}") from None

    @cached_property
    def metadata(self) -> Path:
        return self.folder / METADATA

    @cached_property
    def compression_history(self) -> Path:
        return self.folder / COMPRESSION_HISTORY

    @cached_property
    def lock_target(self) -> Path:
        """Writers of any file of this group hold ``.memory.lock``."""
        return self.folder / "memory"

    def backup(self, layer: str, when: datetime) -> Path:
        return self.folder / f"{layer}.backup_{when.strftime('%Y%m%d_%H%M%S')}.jsonl"
