"""Per-store bookkeeping that is kept bounded: the page cache forgets everything once it
holds its maximum of files, the append queues drop only idle sessions, and a sync leader
interrupted before its fdatasync finished covers nobody."""

from __future__ import annotations

from pathlib import Path

import pytest

from flatfile_chat.storage import pages
from flatfile_chat.storage.durability import SyncGroups
from flatfile_chat.store import messages
from flatfile_chat.store.manager import FFStorageManager


def test_the_page_cache_is_cleared_when_a_file_beyond_its_maximum_is_added(
    tmp_path: Path,
) -> None:
    cache = pages.PageCache()
    entry = pages.empty(1, 2, encrypted=False, codec=None)
    paths = [tmp_path / f"f{n}.jsonl" for n in range(pages._MAX_FILES)]
    for path in paths:
        cache.put(path, entry)
    assert all(cache.get(path) is entry for path in paths)  # the maximum itself is kept
    extra = tmp_path / "extra.jsonl"
    cache.put(extra, entry)
    assert cache.get(extra) is entry
    assert [path for path in paths if cache.get(path) is not None] == []


def test_a_full_queue_table_drops_idle_sessions_and_keeps_busy_ones(
    store: FFStorageManager, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(messages, "_KNOWN_SESSIONS_MAX", 2)
    repo = store.messages
    idle = repo._enter_queue(("u", "idle"))
    repo._leave_queue(("u", "idle"), idle)
    busy = repo._enter_queue(("u", "busy"))
    fresh = repo._enter_queue(("u", "new"))
    assert sorted(repo._queues) == [("u", "busy"), ("u", "new")]
    assert repo._queues[("u", "busy")] is busy
    assert repo._queues[("u", "new")] is fresh
    assert busy.users == 1


def test_a_sync_leader_interrupted_mid_sync_covers_no_write() -> None:
    calls: list[int] = []

    def sync(fd: int) -> None:
        calls.append(fd)
        if len(calls) == 1:
            raise KeyboardInterrupt

    groups = SyncGroups(sync)
    key = (0, 7)
    first = groups.written(key)
    second = groups.written(key)
    with pytest.raises(KeyboardInterrupt):
        groups.wait(3, key, first)
    groups.wait(4, key, second)  # its write was never synced: it leads a sync of its own
    assert calls == [3, 4]
