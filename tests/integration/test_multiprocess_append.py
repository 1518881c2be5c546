"""Several processes append to one session at once: nothing lost, duplicated or torn."""

from __future__ import annotations

import asyncio
import json
import multiprocessing as mp
from pathlib import Path

import pytest

from flatfile_chat import FFStorageManager, IdSource, load_config

WRITERS, PER_WRITER = 4, 150


def _writer(root: str, session_id: str, writer: int, start: mp.Event) -> None:
    store = FFStorageManager(load_config(preset="test"), base_path=root, ids=IdSource())
    start.wait()

    async def go() -> None:
        for i in range(PER_WRITER):
            await store.add_message(
                "alice", session_id, {"role": "user", "content": f"w{writer}-{i}"}
            )

    asyncio.run(go())


@pytest.mark.slow
def test_concurrent_appends_from_processes(tmp_path: Path, monkeypatch) -> None:
    # Spawned children unpickle ``_writer`` by importing this module by name
    # (tests.integration...): they need the repo root on the path whatever ran before.
    monkeypatch.syspath_prepend(str(Path(__file__).resolve().parents[2]))
    store = FFStorageManager(load_config(preset="test"), base_path=tmp_path)
    asyncio.run(store.create_user("alice"))
    session_id = asyncio.run(store.create_session("alice")).session_id
    ctx = mp.get_context("spawn")
    start = ctx.Event()
    procs = [
        ctx.Process(target=_writer, args=(str(tmp_path), session_id, w, start))
        for w in range(WRITERS)
    ]
    for proc in procs:
        proc.start()
    start.set()
    for proc in procs:
        proc.join(60)
        assert proc.exitcode == 0
    folder = tmp_path / "users" / "alice" / session_id
    lines = (folder / "messages.jsonl").read_bytes().split(b"\n")
    assert lines.pop() == b""
    contents = [json.loads(line)["content"] for line in lines]
    expected = {f"w{w}-{i}" for w in range(WRITERS) for i in range(PER_WRITER)}
    assert len(contents) == len(expected) and set(contents) == expected
    for w in range(WRITERS):  # each writer's own messages stay in its order
        mine = [c for c in contents if c.startswith(f"w{w}-")]
        assert mine == [f"w{w}-{i}" for i in range(PER_WRITER)]
    session = json.loads((folder / "session.json").read_text())
    assert session["message_count"] == WRITERS * PER_WRITER
    assert store.check_integrity() == []
