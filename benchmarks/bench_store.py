"""Message store vs SQLite (WAL) at the same durability, measured in one run on the same data.

    python benchmarks/bench_store.py [--appends N] [--read-messages N]

- durable append: our ``fsync`` mode (fdatasync per append) vs SQLite ``synchronous=FULL``;
- non-durable append: our ``none`` mode vs SQLite ``synchronous=NORMAL`` (WAL: no fsync per
  commit either); our ``batch`` mode (group commit) against the same baseline;
- reading a whole N-message session into message objects vs ``SELECT`` + row → dict;
- reading the newest page (last 50 of a 100,000-message session) vs SQLite
  ``ORDER BY rowid DESC LIMIT 50``, both into message objects: warm (the session was read
  once in this process), and cold: the first read in a new process (each side in its own
  child process, object construction and imports not timed, the OS page cache warm), after
  the store wrote the log (its appends keep the page sidecar), with a sidecar a page read
  wrote, and with no sidecar at all (the full read);
- the durable append again with the page sidecar upkeep switched off (``page_sidecars``), in
  the same interleaved rounds: what keeping the sidecar costs an append;
- N writer threads appending durably to one session (``fsync`` mode, group commit) vs N threads
  each with its own SQLite connection (WAL, ``synchronous=FULL``, ``busy_timeout``) committing
  per message; fsyncs are counted on our side.
Each SQLite append is one transaction that inserts the message and bumps the session's
message_count, which is what our append does (log line + counter). Also compares how the async
API runs its I/O: inline, ``asyncio.to_thread`` and ``aiofiles``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import aiofiles

from flatfile_chat import FFStorageManager, IdSource, ManualClock, load_config
from flatfile_chat.storage import jsonl, pages
from flatfile_chat.store.messages import _MESSAGE_LIST

_SQL_INSERT = (
    "INSERT INTO messages (session_id, role, content, message_id, timestamp,"
    " attachments, metadata) VALUES (?,?,?,?,?,?,?)"
)
_SQL_COUNT = (
    "UPDATE sessions SET message_count = message_count + 1, updated_at = ? WHERE session_id = 's1'"
)


def _message(i: int) -> dict:
    return {
        "role": "user" if i % 2 == 0 else "assistant",
        "content": f"message number {i}: the quick brown fox jumps over the lazy dog " * 2,
        "metadata": {"n": i},
    }


def _store(root: Path, durability: str, io_mode: str = "inline") -> tuple[FFStorageManager, str]:
    config = load_config(
        preset="test", overrides={"storage": {"durability": durability, "io_mode": io_mode}}
    )
    store = FFStorageManager(config, clock=ManualClock(), ids=IdSource(1), base_path=root)
    asyncio.run(store.create_user("bench"))
    return store, asyncio.run(store.create_session("bench")).session_id


def bench_ffchat_append(root: Path, durability: str, n: int, sidecars: bool = True) -> float:
    store, sid = _store(root, durability)
    store.ctx.fs.page_sidecars = sidecars
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
    db.execute(
        "CREATE TABLE sessions (session_id TEXT PRIMARY KEY, message_count INTEGER,"
        " updated_at TEXT)"
    )
    db.execute(
        "CREATE TABLE messages (seq INTEGER PRIMARY KEY, session_id TEXT, role TEXT,"
        " content TEXT, message_id TEXT, timestamp TEXT, attachments TEXT, metadata TEXT)"
    )
    db.execute("CREATE INDEX messages_session ON messages(session_id, seq)")
    db.execute("INSERT INTO sessions VALUES ('s1', 0, '')")
    return db


def bench_sqlite_append(root: Path, synchronous: str, n: int) -> float:
    db = _sqlite(root, synchronous)
    start = time.perf_counter()
    for i in range(n):
        m = _message(i)
        db.execute("BEGIN")
        db.execute(
            "INSERT INTO messages (session_id, role, content, message_id, timestamp,"
            " attachments, metadata) VALUES (?,?,?,?,?,?,?)",
            (
                "s1",
                m["role"],
                m["content"],
                f"msg_{i:012x}",
                "2026-01-01T09:00:00+00:00",
                "[]",
                json.dumps(m["metadata"]),
            ),
        )
        db.execute(
            "UPDATE sessions SET message_count = message_count + 1, updated_at = ?"
            " WHERE session_id = 's1'",
            ("2026-01-01T09:00:00+00:00",),
        )
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
    db.executemany(
        "INSERT INTO messages (session_id, role, content, message_id, timestamp,"
        " attachments, metadata) VALUES (?,?,?,?,?,?,?)",
        [
            (
                "s1",
                m["role"],
                m["content"],
                f"msg_{i:012x}",
                "2026-01-01T09:00:00+00:00",
                "[]",
                json.dumps(m["metadata"]),
            )
            for i, m in enumerate(map(_message, range(n)))
        ],
    )
    db.execute("COMMIT")

    def ours() -> None:
        messages = asyncio.run(store.get_messages("bench", sid))
        assert len(messages) == n

    def sqlite_read() -> None:
        rows = db.execute(
            "SELECT role, content, message_id, timestamp, attachments, metadata"
            " FROM messages WHERE session_id = 's1' ORDER BY seq"
        ).fetchall()
        messages = _MESSAGE_LIST.validate_python(
            [
                {
                    "role": r[0],
                    "content": r[1],
                    "message_id": r[2],
                    "timestamp": r[3],
                    "attachments": json.loads(r[4]),
                    "metadata": json.loads(r[5]),
                }
                for r in rows
            ]
        )
        assert len(messages) == n

    return _best_of(ours), _best_of(sqlite_read)


def _sqlite_rows(n: int) -> list[tuple]:
    return [
        (
            "s1",
            m["role"],
            m["content"],
            f"msg_{i:012x}",
            "2026-01-01T09:00:00+00:00",
            "[]",
            json.dumps(m["metadata"]),
        )
        for i, m in enumerate(map(_message, range(n)))
    ]


def _sqlite_page(db: sqlite3.Connection, page: int) -> list:
    rows = db.execute(
        "SELECT role, content, message_id, timestamp, attachments, metadata"
        " FROM messages ORDER BY rowid DESC LIMIT ?",
        (page,),
    ).fetchall()
    return _MESSAGE_LIST.validate_python(
        [
            {
                "role": r[0],
                "content": r[1],
                "message_id": r[2],
                "timestamp": r[3],
                "attachments": json.loads(r[4]),
                "metadata": json.loads(r[5]),
            }
            for r in reversed(rows)
        ]
    )


def bench_recent_page(
    root: Path, n: int, page: int, rounds: int, cold_rounds: int
) -> dict[str, float]:
    """Seconds for the newest ``page`` messages of an ``n``-message session (medians), ours
    through the async API, SQLite by rowid descending; cold ones in new processes."""
    store, sid = _store(root / "ff-page", "none")
    bulk = max(n - 100, 0)  # the last 100 one by one: the sidecar lags as in real use
    for start in range(0, bulk, 10_000):
        stop = min(bulk, start + 10_000)
        store.messages.add_many("bench", sid, [_message(i) for i in range(start, stop)])
    for i in range(bulk, n):
        store.messages.add("bench", sid, _message(i))
    db = _sqlite(root, "NORMAL")
    db.execute("BEGIN")
    db.executemany(_SQL_INSERT, _sqlite_rows(n))
    db.execute("COMMIT")
    log = store.ctx.layout.messages_file("bench", sid)
    sidecar = pages.sidecar_path(log)
    with open(log, "rb") as fh:
        kept = pages.loads(sidecar.read_bytes(), store.ctx.fs.rel(log), "plain", None, fh.fileno())
    assert kept is not None, "the appends should have written the page sidecar"
    out: dict[str, float] = {
        "lag bytes": log.stat().st_size - kept.size,
        "lag records": n - kept.count,
    }

    def cold(key: str, before=None) -> None:  # alternating child processes, ours and SQLite
        ff, sq = [], []
        for _ in range(cold_rounds):
            if before is not None:
                before()
            child = _child("page", str(root / "ff-page"), sid, str(page), str(n))
            ff.append(child["seconds"])
            out[f"{key} full reads"] = child["full_reads"]
            sq.append(_child("sqlite", str(root / "chat-NORMAL.db"), str(page), str(n))["seconds"])
        out[key], out[f"{key} sqlite"] = statistics.median(ff), statistics.median(sq)

    cold("cold written")  # the sidecar as the appends left it (before any read)
    cold("cold no sidecar", before=lambda: sidecar.unlink(missing_ok=True))
    cold("cold sidecar")  # the one the last full read wrote

    async def ours() -> float:
        start = time.perf_counter()
        count = (await store.get_session("bench", sid)).message_count
        messages = await store.get_messages("bench", sid, limit=page, offset=count - page)
        elapsed = time.perf_counter() - start
        assert len(messages) == page and messages[-1].metadata["n"] == n - 1
        return elapsed

    def sqlite_page() -> float:
        start = time.perf_counter()
        messages = _sqlite_page(db, page)
        elapsed = time.perf_counter() - start
        assert len(messages) == page and messages[-1].metadata["n"] == n - 1
        return elapsed

    asyncio.run(ours())  # warm: this store object knows the log since its appends
    ff, sq = [], []
    for _ in range(rounds):
        ff.append(asyncio.run(ours()))
        sq.append(sqlite_page())
    db.close()
    out["warm"], out["warm sqlite"] = statistics.median(ff), statistics.median(sq)
    return out


def _child(*args: str) -> dict:
    """Run this script's ``--child`` mode in a new process; its JSON answer."""
    done = subprocess.run(
        [sys.executable, __file__, "--child", *args], check=True, capture_output=True, text=True
    )
    return json.loads(done.stdout)


def child_main(kind: str, *args: str) -> None:
    """A cold read in this fresh process: the first page read after construction."""
    if kind == "sqlite":
        path, page, n = args[0], int(args[1]), int(args[2])
        db = sqlite3.connect(path)
        start = time.perf_counter()
        messages = _sqlite_page(db, page)
        elapsed = time.perf_counter() - start
        assert len(messages) == page and messages[-1].metadata["n"] == n - 1
        print(json.dumps({"seconds": elapsed}))
        return
    root, sid, page, n = Path(args[0]), args[1], int(args[2]), int(args[3])
    store, _ = _store_at(root)
    full_reads = []
    real = jsonl.models_from_bytes

    def counting(*a, **k):
        full_reads.append(1)
        return real(*a, **k)

    jsonl.models_from_bytes = counting

    async def first() -> list:
        count = (await store.get_session("bench", sid)).message_count
        return await store.get_messages("bench", sid, limit=page, offset=count - page)

    start = time.perf_counter()
    messages = asyncio.run(first())
    elapsed = time.perf_counter() - start
    assert len(messages) == page and messages[-1].metadata["n"] == n - 1
    print(json.dumps({"seconds": elapsed, "full_reads": len(full_reads)}))


def _store_at(root: Path) -> tuple[FFStorageManager, None]:
    config = load_config(preset="test", overrides={"storage": {"durability": "none"}})
    return FFStorageManager(config, clock=ManualClock(), ids=IdSource(2), base_path=root), None


class _FsyncCounter:
    """Counts fsync/fdatasync calls process-wide while installed (the group commit's effect)."""

    def __init__(self) -> None:
        self.calls = 0
        self._real = (os.fsync, os.fdatasync)

    def __enter__(self) -> _FsyncCounter:
        real_fsync, real_fdatasync = self._real

        def fsync(fd: int) -> None:
            self.calls += 1
            real_fsync(fd)

        def fdatasync(fd: int) -> None:
            self.calls += 1
            real_fdatasync(fd)

        os.fsync, os.fdatasync = fsync, fdatasync
        return self

    def __exit__(self, *exc: object) -> None:
        os.fsync, os.fdatasync = self._real


def _run_threads(writers: int, work) -> float:
    barrier = threading.Barrier(writers + 1)
    errors: list[BaseException] = []

    def run(w: int) -> None:
        barrier.wait()
        try:
            work(w)
        except BaseException as exc:  # reported after the join
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(w,)) for w in range(writers)]
    for t in threads:
        t.start()
    barrier.wait()
    start = time.perf_counter()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - start
    if errors:
        raise errors[0]
    return elapsed


def bench_ffchat_concurrent(root: Path, writers: int, total: int) -> tuple[float, float]:
    """(messages/s, fsyncs/s): ``writers`` threads append durably to one session."""
    store, sid = _store(root, "fsync")
    each = total // writers

    def work(w: int) -> None:
        for i in range(each):
            store.messages.add("bench", sid, _message(w * each + i))

    with _FsyncCounter() as counter:
        elapsed = _run_threads(writers, work)
    assert store.messages.list("bench", sid).__len__() == each * writers
    return each * writers / elapsed, counter.calls / elapsed


def bench_sqlite_concurrent(root: Path, writers: int, total: int) -> float:
    """Messages/s: ``writers`` threads, each with its own connection, one commit per message."""
    _sqlite(root, "FULL").close()
    each = total // writers

    def work(w: int) -> None:
        db = sqlite3.connect(
            root / "chat-FULL.db", isolation_level=None, timeout=30.0, check_same_thread=False
        )
        db.execute("PRAGMA synchronous=FULL")
        db.execute("PRAGMA busy_timeout=30000")
        for i in range(each):
            m = _message(w * each + i)
            db.execute("BEGIN IMMEDIATE")
            db.execute(
                _SQL_INSERT,
                (
                    "s1",
                    m["role"],
                    m["content"],
                    f"msg_{w}_{i:08x}",
                    "2026-01-01T09:00:00+00:00",
                    "[]",
                    json.dumps(m["metadata"]),
                ),
            )
            db.execute(_SQL_COUNT, ("2026-01-01T09:00:00+00:00",))
            db.execute("COMMIT")
        db.close()

    elapsed = _run_threads(writers, work)
    db = sqlite3.connect(root / "chat-FULL.db")
    assert db.execute("SELECT count(*) FROM messages").fetchone()[0] == each * writers
    db.close()
    return each * writers / elapsed


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
    if sys.argv[1:2] == ["--child"]:
        child_main(*sys.argv[2:])
        return
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--appends", type=int, default=2000)
    parser.add_argument("--read-messages", type=int, default=10_000)
    parser.add_argument("--page-messages", type=int, default=100_000)
    parser.add_argument("--page", type=int, default=50)
    parser.add_argument("--writers", default="8,32", help="comma-separated thread counts")
    parser.add_argument("--concurrent-appends", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument(
        "--cold-rounds", type=int, default=5, help="new processes per cold page figure (median)"
    )
    parser.add_argument(
        "--only", default="append,read,page,concurrent,io", help="comma-separated parts to run"
    )
    args = parser.parse_args()
    only = set(args.only.split(","))
    rows = []
    extra: list[str] = []
    with tempfile.TemporaryDirectory(dir=".") as tmp:  # same file system as the checkout
        root = Path(tmp)
        for label, ours, theirs in [
            ("durable append (fsync vs synchronous=FULL)", "fsync", "FULL"),
            ("non-durable append (none vs synchronous=NORMAL)", "none", "NORMAL"),
            ("group commit (batch, 50 ms window) vs NORMAL", "batch", "NORMAL"),
        ]:
            if "append" not in only:
                break
            ff, sq, off = [], [], []
            for r in range(args.rounds):  # interleave rounds so drift hits both sides
                ff.append(bench_ffchat_append(root / f"ff-{ours}-{r}", ours, args.appends))
                sq.append(bench_sqlite_append(_fresh(root, f"sq-{ours}-{r}"), theirs, args.appends))
                if ours == "fsync":  # the same, without keeping the page sidecar
                    off.append(
                        bench_ffchat_append(
                            root / f"ff-{ours}-off-{r}", ours, args.appends, sidecars=False
                        )
                    )
            f_med, s_med = statistics.median(ff), statistics.median(sq)
            rows.append((label, f"{f_med:,.0f} msg/s", f"{s_med:,.0f} msg/s", f_med / s_med))
            if off:
                o_med = statistics.median(off)
                rows.append(
                    (
                        "  same, page sidecar upkeep off",
                        f"{o_med:,.0f} msg/s",
                        f"{s_med:,.0f} msg/s",
                        o_med / s_med,
                    )
                )
                extra.append(
                    f"durable append rounds, sidecar upkeep on: "
                    f"{', '.join(f'{x:,.0f}' for x in ff)}; off: "
                    f"{', '.join(f'{x:,.0f}' for x in off)} msg/s (on/off "
                    f"{f_med / o_med:.3f})"
                )
        if "concurrent" in only:
            for writers in (int(w) for w in args.writers.split(",")):
                ff, sq, syncs = [], [], []
                for r in range(args.rounds):
                    rate, fsyncs = bench_ffchat_concurrent(
                        root / f"ffc-{writers}-{r}", writers, args.concurrent_appends
                    )
                    ff.append(rate)
                    syncs.append(fsyncs)
                    sq.append(
                        bench_sqlite_concurrent(
                            _fresh(root, f"sqc-{writers}-{r}"), writers, args.concurrent_appends
                        )
                    )
                f_med, s_med = statistics.median(ff), statistics.median(sq)
                rows.append(
                    (
                        f"{writers} threads, durable, one session (FULL)",
                        f"{f_med:,.0f} msg/s",
                        f"{s_med:,.0f} msg/s",
                        f_med / s_med,
                    )
                )
                extra.append(
                    f"{writers} threads: ours {statistics.median(syncs):,.0f} fsyncs/s "
                    f"(rounds: {', '.join(f'{x:,.0f}' for x in ff)} msg/s; SQLite "
                    f"{', '.join(f'{x:,.0f}' for x in sq)} msg/s)"
                )
        if "read" in only:
            ours_read, sqlite_read = bench_reads(_fresh(root, "read"), args.read_messages)
            rows.append(
                (
                    f"read {args.read_messages:,}-message session",
                    f"{ours_read * 1000:.1f} ms",
                    f"{sqlite_read * 1000:.1f} ms",
                    sqlite_read / ours_read,
                )
            )
        if "page" in only:
            page = bench_recent_page(
                _fresh(root, "page"),
                args.page_messages,
                args.page,
                max(args.rounds, 21),
                args.cold_rounds,
            )
            for key, what in [
                ("warm", "warm"),
                ("cold written", "new process, store wrote the log"),
                ("cold sidecar", "new process, sidecar from a read"),
                ("cold no sidecar", "new process, no sidecar"),
            ]:
                rows.append(
                    (
                        f"last {args.page} of {args.page_messages:,}, {what}",
                        f"{page[key] * 1000:.2f} ms",
                        f"{page[key + ' sqlite'] * 1000:.2f} ms",
                        page[key + " sqlite"] / page[key],
                    )
                )
                if key != "warm":
                    extra.append(
                        f"{what}: {page[key + ' full reads']:.0f} full read(s) in the last child"
                    )
            extra.append(
                f"the sidecar the appends left was {page['lag records']:.0f} records "
                f"({page['lag bytes']:,.0f} bytes) behind the log"
            )
        io = bench_io_modes(_fresh(root, "io"), 1000) if "io" in only else {}
    print(f"{'benchmark':52} {'flatfile_chat':>16} {'SQLite WAL':>16} {'ratio':>7}")
    for label, ours_s, theirs_s, ratio in rows:
        print(f"{label:52} {ours_s:>16} {theirs_s:>16} {ratio:>6.2f}x")
    print(
        "(ratio > 1 means flatfile_chat is faster; targets: durable append >= 0.8x, "
        "read >= 1.0x, last page <= 5x SQLite (ratio >= 0.2), threads >= 1.0x)"
    )
    for line in extra:
        print(line)
    if io:
        print("\nasync I/O strategy, per call:")
    for label, seconds in io.items():
        print(f"  {label:40} {seconds * 1e6:8.1f} us")


def _fresh(root: Path, name: str) -> Path:
    path = root / name
    path.mkdir(parents=True, exist_ok=True)
    return path


if __name__ == "__main__":
    main()
