"""A deferred append's ``wait``: it closes the descriptor once and marks the append as
finished (``fd`` -1), so a second call neither waits nor closes a descriptor again."""

from __future__ import annotations

from pathlib import Path

from flatfile_chat.storage import jsonl
from flatfile_chat.storage.durability import SyncGroups


def test_wait_marks_the_append_finished_and_a_second_wait_does_nothing(tmp_path: Path) -> None:
    calls: list[int] = []
    log = tmp_path / "log.jsonl"
    pending = jsonl.append_lines_pending(
        log, [b'{"n": 1}'], groups=SyncGroups(lambda fd: calls.append(fd))
    )
    fd = pending.fd
    assert fd >= 0
    pending.wait()
    assert pending.fd == -1
    assert calls == [fd]
    pending.wait()
    assert pending.fd == -1
    assert calls == [fd]
    assert log.read_bytes() == b'{"n": 1}\n'
