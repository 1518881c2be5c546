"""Observed operations (``record_operation``) and their error-rate / latency statistics.

Every operation is one line of ``system_metrics/performance.jsonl``. Alert evaluation needs
the last few minutes of them on every check, so :class:`OperationTail` reads that file
incrementally (remembering inode and byte offset, parsing only new complete lines) instead of
re-reading it: a cache that follows the file, rebuilt from disk whenever the file was replaced
(retention) or truncated, so appends by other processes are seen too.
"""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from flatfile_chat.clock import parse_timestamp
from flatfile_chat.errors import StorageCorrupted
from flatfile_chat.storage.filestore import FileStore


@dataclass(frozen=True)
class Operation:
    epoch: float
    component: str
    duration_ms: float
    success: bool

    @classmethod
    def from_record(cls, record: dict[str, Any]) -> Operation:
        return cls(
            parse_timestamp(record["timestamp"]).timestamp(),
            str(record.get("component", "")),
            float(record["duration_ms"]),
            bool(record["success"]),
        )


class OperationTail:
    def __init__(self, fs: FileStore, path: Path) -> None:
        self._fs, self._path = fs, path
        self._lock = threading.Lock()
        self._reset(None)

    def _reset(self, inode: int | None) -> None:
        self._inode, self._offset, self._lines = inode, 0, 0
        self._ops: list[Operation] = []

    def since(self, start_epoch: float) -> list[Operation]:
        """Operations at or after ``start_epoch`` (older ones are dropped from the cache)."""
        with self._lock:
            self._catch_up()
            self._ops = [op for op in self._ops if op.epoch >= start_epoch]
            return list(self._ops)

    def _catch_up(self) -> None:
        try:
            fh = open(self._fs.checked(self._path), "rb")  # noqa: SIM115 - fstat needs the fd
        except FileNotFoundError:
            self._reset(None)
            return
        with fh:
            st = os.fstat(fh.fileno())
            if st.st_ino != self._inode or st.st_size < self._offset:
                self._reset(st.st_ino)
            fh.seek(self._offset)
            data = fh.read(st.st_size - self._offset)
        end = data.rfind(b"\n")
        if end < 0:
            return
        for raw in data[:end].split(b"\n"):
            self._lines += 1
            self._ops.append(Operation.from_record(self._decode(raw)))
        self._offset += end + 1

    def _decode(self, raw: bytes) -> dict[str, Any]:
        rel = self._fs.rel(self._path)
        try:
            if self._fs.codec.encrypted:
                raw = self._fs.codec.open(raw, owner="", rel_path=rel)
            return json.loads(raw)
        except Exception as exc:
            raise StorageCorrupted(
                f"unreadable operation record: {exc}", path=rel, line=self._lines
            ) from None


def operation_stats(ops: Iterable[Operation], min_ops: int) -> dict[str, Any]:
    """Counts, error rate and latency; rates are None below ``min_ops`` samples."""
    ops = list(ops)
    errors = sum(1 for op in ops if not op.success)
    durations = np.array([op.duration_ms for op in ops], dtype=np.float64)
    enough = len(ops) >= max(1, min_ops)
    return {
        "operations_count": len(ops),
        "error_count": errors,
        "error_rate_percent": round(100.0 * errors / len(ops), 3) if enough else None,
        "response_time_avg_ms": round(float(durations.mean()), 3) if enough else None,
        "response_time_p95_ms": round(float(np.percentile(durations, 95)), 3) if enough else None,
    }


def per_component(ops: Iterable[Operation], min_ops: int) -> dict[str, dict[str, Any]]:
    groups: dict[str, list[Operation]] = {}
    for op in ops:
        groups.setdefault(op.component, []).append(op)
    return {name: operation_stats(items, min_ops) for name, items in sorted(groups.items())}
