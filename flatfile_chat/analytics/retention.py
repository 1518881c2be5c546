"""Retention: drop JSONL lines older than their class's retention, atomically per file.

Each file is filtered under its own lock (the lock appenders take) and replaced by a temp file
rename, so an appender never writes into a file that is being rewritten and a crash leaves the
old file or the new one. Lines without a readable ``timestamp`` are kept (never guess).
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from flatfile_chat.clock import parse_timestamp
from flatfile_chat.storage.filestore import FileStore


def _older(record: dict, cutoff: datetime) -> bool:
    try:
        return parse_timestamp(record["timestamp"]) < cutoff
    except (KeyError, TypeError, ValueError):
        return False


def prune_jsonl(fs: FileStore, path: Path, cutoff: datetime) -> int:
    """Remove lines stamped before ``cutoff``; returns how many were removed."""
    if not path.exists():
        return 0
    with fs.lock(path):
        records = fs.read_jsonl(path)
        keep = [r for r in records if not _older(r, cutoff)]
        if len(keep) != len(records):
            fs.rewrite_jsonl(path, keep)
    return len(records) - len(keep)
