"""Message store vs SQLite (WAL) at the same durability, measured in one run on the same data.

    python benchmarks/bench_store.py [--appends N] [--read-messages N]

- durable append: our ``fsync`` mode (fdatasync per append) vs SQLite ``synchronous=FULL``;
- non-durable append: our ``none`` mode vs SQLite ``synchronous=NORMAL`` (WAL: no fsync per
  commit either); our ``batch`` mode (group commit) against the same baseline;
- reading a whole N-message session into message objects vs ``SELECT`` + row → dict.
Each SQLite append is one transaction that inserts the message and bumps the session's
message_count, which is what our append does (log line + counter). Also compares how the async
API runs its I/O: inline, ``asyncio.to_thread`` and ``aiofiles``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sqlite3
import statistics
import tempfile
import time
from pathlib import Path

import aiofiles

from flatfile_chat import FFStorageManager, IdSource, ManualClock, load_config
from flatfile_chat.store.messages import _MESSAGE_LIST


def _message(i: int) -> dict:
    return {"role": "user" if i % 2 == 0 else "assistant",
            "content": f"message number {i}: the quick brown fox jumps over the lazy dog " * 2,
            "metadata": {"n": i}}


def _store(root: Path, durability: str, io_mode: str = "inline") -> tuple[FFStorageManager, str]:
    config = load_config(preset="test", overrides={"storage": {"durability": durability,
                                                                "io_mode": io_mode}})
    store = FFStorageManager(config, clock=ManualClock(), ids=IdSource(1), base_path=root)
    asyncio.run(store.create_user("bench"))
    return store, asyncio.run(store.create_session("bench")).session_id


def bench_ffchat_append(root: Path, durability: str, n: int) -> float:
    store, sid = _store(root, durability)
    add = store.messages.add

    async def go() -> float:
        start = time.perf_counter()
        for i in range(n):
            await store.add_message("bench", sid, _message(i))
        return time.perf_counter() - start
    elapsed = asyncio.run(go())
    assert store.messages.list("bench", sid)[-1].metadata["n"] == n - 1 and add
    return n / elapsed


def _sqlite(root: Path, synchronous: str) -> sqlite3.Connection:
    db = sqlite3.connect(root / f"chat-{synchronous}.db", isolation_level=None)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute(f"PRAGMA synchronous={synchronous}")
    db.execute("CREATE TABLE sessions (session_id TEXT PRIMARY KEY, message_count INTEGER,"
               " updated_at TEXT)")
    db.execute("CREATE TABLE messages (seq INTEGER PRIMARY KEY, session_id TEXT, role TEXT,"
               " content TEXT, message_id TEXT, timestamp TEXT, attachments TEXT, metadata TEXT)")
    db.execute("CREATE INDEX messages_session ON messages(session_id, seq)")
    db.execute("INSERT INTO sessions VALUES ('s1', 0, '')")
    return db


def bench_sqlite_append(root: Path, synchronous: str, n: int) -> float:
    db = _sqlite(root, synchronous)
    start = time.perf_counter()
    for i in range(n):
        m = _message(i)
        db.execute("BEGIN")
        db.execute("INSERT INTO messages (session_id, role, content, message_id, timestamp,"
                   " attachments, metadata) VALUES (?,?,?,?,?,?,?)",
                   ("s1", m["role"], m["content"], f"msg_{i:012x}", "2026-01-01T09:00:00+00:00",
                    "[]", json.dumps(m["metadata"])))
        db.execute("UPDATE sessions SET message_count = message_count + 1, updated_at = ?"
                   " WHERE session_id = 's1'", ("2026-01-01T09:00:00+00:00",))
        db.execute("COMMIT")
    elapsed = time.perf_counter() - start
    db.close()
    return n / elapsed


def _best_of(fn, repeat: int = 5) -> float:
    return min(_timed(fn) for _ in range(repeat))


def _timed(fn) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def bench_reads(root: Path, n: int) -> tuple[float, float]:
    store, sid = _store(root / "ff-read", "none")
    store.messages.add_many("bench", sid, [_message(i) for i in range(n)])
    db = _sqlite(root, "NORMAL")
    db.execute("BEGIN")
    db.executemany("INSERT INTO messages (session_id, role, content, message_id, timestamp,"
                   " attachments, metadata) VALUES (?,?,?,?,?,?,?)",
                   [("s1", m["role"], m["content"], f"msg_{i:012x}", "2026-01-01T09:00:00+00:00",
                     "[]", json.dumps(m["metadata"])) for i, m in enumerate(map(_message,
                                                                               range(n)))])
    db.execute("COMMIT")

    def ours() -> None:
        messages = asyncio.run(store.get_messages("bench", sid))
        assert len(messages) == n

    def sqlite_read() -> None:
        rows = db.execute("SELECT role, content, message_id, timestamp, attachments, metadata"
                          " FROM messages WHERE session_id = 's1' ORDER BY seq").fetchall()
        messages = _MESSAGE_LIST.validate_python(
            [{"role": r[0], "content": r[1], "message_id": r[2], "timestamp": r[3],
              "attachments": json.loads(r[4]), "metadata": json.loads(r[5])} for r in rows])
        assert len(messages) == n
    return _best_of(ours), _best_of(sqlite_read)


def bench_io_modes(root: Path, n: int) -> dict[str, float]:
    """Per-call latency of one small append: inline, to_thread, aiofiles (raw write only)."""
    results = {}
    for mode in ("inline", "thread"):
        store, sid = _store(root / f"io-{mode}", "none", io_mode=mode)

        async def go(store=store, sid=sid) -> float:
            start = time.perf_counter()
            for i in range(n):
                await store.add_message("bench", sid, _message(i))
            return (time.perf_counter() - start) / n
        results[f"store append, io_mode={mode}"] = asyncio.run(go())

    async def raw_inline() -> float:
        path = root / "raw-inline.jsonl"
        start = time.perf_counter()
        for i in range(n):
            with open(path, "ab") as fh:
                fh.write(json.dumps(_message(i)).encode() + b"\n")
        return (time.perf_counter() - start) / n

    async def raw_aiofiles() -> float:
        path = root / "raw-aiofiles.jsonl"
        start = time.perf_counter()
        for i in range(n):
            async with aiofiles.open(path, "ab") as fh:
                await fh.write(json.dumps(_message(i)).encode() + b"\n")
        return (time.perf_counter() - start) / n
    results["raw append, inline open/write"] = asyncio.run(raw_inline())
    results["raw append, aiofiles open/write"] = asyncio.run(raw_aiofiles())
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--appends", type=int, default=2000)
    parser.add_argument("--read-messages", type=int, default=10_000)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    rows = []
    with tempfile.TemporaryDirectory(dir=".") as tmp:  # same file system as the checkout
        root = Path(tmp)
        for label, ours, theirs in [("durable append (fsync vs synchronous=FULL)", "fsync",
                                     "FULL"),
                                    ("non-durable append (none vs synchronous=NORMAL)", "none",
                                     "NORMAL"),
                                    ("group commit (batch, 50 ms window) vs NORMAL", "batch",
                                     "NORMAL")]:
            ff, sq = [], []
            for r in range(args.rounds):  # interleave rounds so drift hits both sides
                ff.append(bench_ffchat_append(root / f"ff-{ours}-{r}", ours, args.appends))
                sq.append(bench_sqlite_append(_fresh(root, f"sq-{ours}-{r}"), theirs,
                                              args.appends))
            f_med, s_med = statistics.median(ff), statistics.median(sq)
            rows.append((label, f"{f_med:,.0f} msg/s", f"{s_med:,.0f} msg/s", f_med / s_med))
        ours_read, sqlite_read = bench_reads(_fresh(root, "read"), args.read_messages)
        rows.append((f"read {args.read_messages:,}-message session",
                     f"{ours_read * 1000:.1f} ms", f"{sqlite_read * 1000:.1f} ms",
                     sqlite_read / ours_read))
        io = bench_io_modes(_fresh(root, "io"), 1000)
    print(f"{'benchmark':52} {'flatfile_chat':>16} {'SQLite WAL':>16} {'ratio':>7}")
    for label, ours_s, theirs_s, ratio in rows:
        print(f"{label:52} {ours_s:>16} {theirs_s:>16} {ratio:>6.2f}x")
    print("(ratio > 1 means flatfile_chat is faster; targets: durable append >= 0.8x, "
          "read >= 1.0x)")
    print("\nasync I/O strategy, per call:")
    for label, seconds in io.items():
        print(f"  {label:40} {seconds * 1e6:8.1f} us")


def _fresh(root: Path, name: str) -> Path:
    path = root / name
    path.mkdir(parents=True, exist_ok=True)
    return path


if __name__ == "__main__":
    main()
