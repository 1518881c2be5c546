"""PrismMind's flat-file chat store: the system under test of prism-scenarios.

Everything is plain files under one root: JSON documents written atomically, JSONL logs
appended under cross-process locks. Time and ids are injectable so runs can be repeated exactly.
This package never imports ``prism_scenarios``.
"""

from flatfile_chat.clock import ManualClock, SystemClock
from flatfile_chat.config import FFConfigurationManagerConfigDTO, load_config
from flatfile_chat.errors import (
    AlreadyExists,
    FFError,
    LimitExceeded,
    LockTimeout,
    NotFound,
    SecurityError,
    StorageCorrupted,
    StorageWriteError,
    UnsafePath,
    ValidationError,
)
from flatfile_chat.ids import IdSource
from flatfile_chat.store import FFStorageManager

__all__ = [
    "AlreadyExists",
    "FFConfigurationManagerConfigDTO",
    "FFError",
    "FFStorageManager",
    "IdSource",
    "LimitExceeded",
    "LockTimeout",
    "ManualClock",
    "NotFound",
    "SecurityError",
    "StorageCorrupted",
    "StorageWriteError",
    "SystemClock",
    "UnsafePath",
    "ValidationError",
    "load_config",
]
