"""The memory invariants the runner checks after every step.

- ``layer_metadata.json`` ``layer_stats.<layer>.item_count`` equals the line count of
  ``<layer>.jsonl`` (kind ``counter_mismatch``);
- every item belongs to the folder's user (``memory_foreign_item``) and to the file's layer
  (``memory_wrong_layer``); no memory_id is in two places (``memory_duplicate``).
Unparseable lines are left to the store-wide ``jsonl_invalid`` check.
"""

from __future__ import annotations

import weakref
from collections.abc import Iterable

from flatfile_chat.config.memory_layers import LAYERS
from flatfile_chat.errors import FFError, LockTimeout, StorageCorrupted
from flatfile_chat.memory.layout import MEMORY_DIR, MemoryPaths
from flatfile_chat.store.integrity import (
    Changed,
    IntegrityChecker,
    IntegrityIssue,
    user_folders,
)
from flatfile_chat.store.layout import StoreContext

_registered: weakref.WeakSet[IntegrityChecker] = weakref.WeakSet()


def register(checker: IntegrityChecker) -> None:
    """Add the memory check once per store, however many managers are built on it."""
    if checker not in _registered:
        _registered.add(checker)
        checker.register(check_memory_layers)


def check_memory_layers(ctx: StoreContext, changed: Changed = None) -> Iterable[IntegrityIssue]:
    """``changed``: written paths (only those users are checked) or None for every user."""
    for user, _folder in user_folders(ctx, MEMORY_DIR, changed):
        try:
            paths = MemoryPaths.for_user(ctx.fs, user)
        except FFError:
            continue  # not a user folder the store could have written
        try:
            with ctx.fs.lock(paths.lock_target):  # no writer is half-way through
                found = _check_user(ctx, paths)
        except LockTimeout as exc:
            found = [IntegrityIssue("lock_timeout", ctx.fs.rel(paths.folder), exc.message)]
        yield from found


def _check_user(ctx: StoreContext, paths: MemoryPaths) -> list[IntegrityIssue]:
    fs, issues = ctx.fs, []
    meta_rel = fs.rel(paths.metadata)
    try:
        metadata = fs.read_json(paths.metadata, default=None)
    except FFError as exc:
        return [IntegrityIssue("json_invalid", meta_rel, str(exc))]
    stats = (metadata or {}).get("layer_stats", {})
    seen: dict[str, str] = {}
    for layer in LAYERS:
        path = paths.layer(layer)
        try:
            records: list | None = fs.read_jsonl(path)
        except StorageCorrupted:
            records = None
        # A parsed file has exactly one record per complete line (a torn or bad line makes
        # the parse fail), so ``len`` is the line count; an unparseable file is counted.
        actual = fs.count_jsonl(path) if records is None else len(records)
        if metadata is None:
            if actual:
                issues.append(
                    IntegrityIssue(
                        "counter_mismatch",
                        meta_rel,
                        f"missing, but {layer}.jsonl has {actual} lines",
                    )
                )
        elif stats.get(layer, {}).get("item_count") != actual:
            issues.append(
                IntegrityIssue(
                    "counter_mismatch",
                    meta_rel,
                    f"layer_stats.{layer}.item_count is "
                    f"{stats.get(layer, {}).get('item_count')} but {layer}.jsonl "
                    f"has {actual} lines",
                )
            )
        if records is None:
            continue
        for line, record in enumerate(records, start=1):
            rel = fs.rel(path)
            if record.get("user_id") != paths.user_id:
                issues.append(
                    IntegrityIssue(
                        "memory_foreign_item", rel, f"item of user {record.get('user_id')!r}", line
                    )
                )
            if record.get("layer") != layer:
                issues.append(
                    IntegrityIssue(
                        "memory_wrong_layer", rel, f"item says layer {record.get('layer')!r}", line
                    )
                )
            memory_id = str(record.get("memory_id"))
            if memory_id in seen:
                issues.append(
                    IntegrityIssue(
                        "memory_duplicate", rel, f"{memory_id} is also in {seen[memory_id]}", line
                    )
                )
            seen[memory_id] = f"{layer}.jsonl"
    return issues
