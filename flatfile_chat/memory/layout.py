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
from pathlib import Path

from flatfile_chat.config.memory import LAYERS
from flatfile_chat.storage.filestore import FileStore
from flatfile_chat.storage.paths import validate_id

MEMORY_DIR = "memory_layers"
METADATA = "layer_metadata.json"
COMPRESSION_HISTORY = "compression_history.json"


@dataclass(frozen=True)
class MemoryPaths:
    fs: FileStore
    user_id: str

    @classmethod
    def for_user(cls, fs: FileStore, user_id: str) -> MemoryPaths:
        return cls(fs, validate_id(user_id, "user_id"))

    @property
    def folder(self) -> Path:
        return self.fs.path("users", self.user_id, MEMORY_DIR)

    def layer(self, layer: str) -> Path:
        if layer not in LAYERS:
            raise ValueError(f"unknown memory layer {layer!r}")
        return self.folder / f"{layer}.jsonl"

    @property
    def metadata(self) -> Path:
        return self.folder / METADATA

    @property
    def compression_history(self) -> Path:
        return self.folder / COMPRESSION_HISTORY

    @property
    def lock_target(self) -> Path:
        """Writers of any file of this group hold ``.memory.lock``."""
        return self.folder / "memory"

    def backup(self, layer: str, when: datetime) -> Path:
        return self.folder / f"{layer}.backup_{when.strftime('%Y%m%d_%H%M%S')}.jsonl"
