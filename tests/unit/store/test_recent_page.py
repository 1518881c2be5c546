"""Page reads (``get_messages(limit, offset)``) give exactly what the full read gives.

The page path (storage/pages.py) skips lines a previous read validated; these tests compare
it, over random logs, pages and damage, with the full read it replaces
(``read_jsonl_models(...)[offset:offset + limit]``), on plain and encrypted stores, warm (the
store read the file before the damage) and cold (a fresh store object; with ``sidecar``
every log gets a page sidecar, persisted at every growth, which the cold store then reads).
"""

from __future__ import annotations

import asyncio
import base64
import random
from pathlib import Path
from typing import Any

import pytest

from flatfile_chat import FFStorageManager
from flatfile_chat.errors import FFError
from flatfile_chat.storage import pages
from flatfile_chat.store.messages import _MESSAGE_LIST

K1 = base64.b64encode(b"1" * 32).decode()


@pytest.fixture
def open_store(make_store):
    """``open_store(root, encrypted)``: a store over ``root`` (opened again: a cold reader)."""

    def build(root: Path, encrypted: bool) -> FFStorageManager:
        enc = {"enabled": True, "active_key_id": "k1", "keys": {"k1": f"base64:{K1}"}}
        return make_store(
            root=root,
            seed=7,
            durability="none",
            encryption=enc if encrypted else {"enabled": False},
        )

    return build


def _full(store: FFStorageManager, path: Path, offset: int, limit: int | None) -> Any:
    """The old path: read and validate the whole log, then slice."""
    try:
        models = store.ctx.fs.read_jsonl_models(path, _MESSAGE_LIST)
    except FFError as exc:
        return (type(exc).__name__, str(exc))
    return [m.model_dump() for m in models[offset : None if limit is None else offset + limit]]


def _page(store: FFStorageManager, offset: int, limit: int | None) -> Any:
    try:
        models = store.messages.list("u", "s", offset=offset, limit=limit)
    except FFError as exc:
        return (type(exc).__name__, str(exc))
    return [m.model_dump() for m in models]


def _add(store: FFStorageManager, rng: random.Random, n: int) -> None:
    for _ in range(n):
        store.messages.add(
            "u",
            "s",
            {
                "role": rng.choice(["user", "assistant"]),
                "content": "x" * rng.randrange(0, 300) + "\u00e9",
                "metadata": {"r": rng.random()},
            },
        )


def _damage(path: Path, rng: random.Random, encrypted: bool) -> str:
    """One random change made behind the store's back (or none)."""
    data = path.read_bytes()
    lines = data.splitlines(keepends=True)
    kind = rng.choice(
        [
            "none",
            "torn_tail",
            "bad_tail",
            "bad_middle",
            "drop_middle",
            "swap",
            "truncate",
            "not_a_message",
            "replace_file",
            "last_into_middle",
            "in_place_ends",
        ]
    )
    if not lines or kind == "none":
        return "none"
    i = rng.randrange(len(lines))
    if kind == "torn_tail":
        path.write_bytes(data + b'{"role": "user", "cont')
    elif kind == "bad_tail":
        with open(path, "ab") as fh:
            fh.write(b"not json\n")
    elif kind == "bad_middle":
        path.write_bytes(b"".join(lines[:i] + [b"{broken\n"] + lines[i:]))
    elif kind == "drop_middle":
        path.write_bytes(b"".join(lines[:i] + lines[i + 1 :]))
    elif kind == "swap" and len(lines) > 1:
        # by rename (a new inode): a same-length edit *in place* is the documented blind spot
        j = rng.randrange(len(lines))
        lines[i], lines[j] = lines[j], lines[i]
        tmp = path.with_name("swapped.tmp")
        tmp.write_bytes(b"".join(lines))
        tmp.replace(path)
    elif kind == "last_into_middle":  # grows by exactly one whole line, in place
        path.write_bytes(b"".join(lines[:i] + [lines[-1]] + lines[i:]))
    elif kind == "in_place_ends":  # same length, same inode, within the remembered ends
        with open(path, "r+b") as fh:
            fh.seek(rng.choice([0, len(data) - len(lines[-1])]))
            fh.write(b"X")
    elif kind == "truncate":
        path.write_bytes(b"".join(lines[:i]))
    elif kind == "not_a_message":
        extra = b'{"role": 5}\n' if not encrypted else lines[i]  # wrong type / duplicate
        path.write_bytes(data + extra)
    elif kind == "replace_file":  # same length, another file (new inode), one line changed
        tmp = path.with_name("replaced.tmp")
        tmp.write_bytes(b"".join(lines[:i] + [b"[" + lines[i][1:-2] + b"]\n"] + lines[i + 1 :]))
        tmp.replace(path)
    return kind


def _pages(rng: random.Random, n: int) -> list[tuple[int, int | None]]:
    picks = [(0, None), (max(n - 50, 0), 50), (max(n - 1, 0), 1), (n, 5), (n + 3, None), (0, 0)]
    for _ in range(8):
        offset = rng.randrange(0, n + 4)
        picks.append((offset, rng.choice([None, 0, 1, 3, 10, 50, rng.randrange(0, n + 5)])))
    return picks


@pytest.mark.parametrize("sidecar", [False, True], ids=["memory", "sidecar"])
@pytest.mark.parametrize("encrypted", [False, True], ids=["plain", "encrypted"])
@pytest.mark.parametrize("seed", range(16))
def test_pages_equal_the_full_read(
    open_store, tmp_path: Path, encrypted: bool, seed: int, sidecar: bool, monkeypatch
) -> None:
    if sidecar:
        monkeypatch.setattr(pages, "PERSIST_MIN_BYTES", 0)
        monkeypatch.setattr(pages, "PERSIST_EVERY_BYTES", 0)
    rng = random.Random(seed * 2 + encrypted)
    store = open_store(tmp_path / "root", encrypted)
    asyncio.run(store.create_user("u"))
    asyncio.run(store.create_session("u", "t", session_id="s"))
    path = store.ctx.layout.messages_file("u", "s")
    kinds = []
    for _round in range(4):
        _add(store, rng, rng.randrange(1, 40))
        n = store.ctx.fs.count_jsonl(path)
        for offset, limit in _pages(rng, n):  # warm: each read remembers what it validated
            assert _page(store, offset, limit) == _full(store, path, offset, limit), (
                offset,
                limit,
                kinds,
            )
        before = path.read_bytes()
        warm = store.ctx.fs._pages.get(path)
        assert warm is not None and warm.size == len(before)
        kinds.append(_damage(path, rng, encrypted))
        n = store.ctx.fs.count_jsonl(path)
        cold = open_store(tmp_path / "root", encrypted)
        for offset, limit in _pages(rng, n):
            want = _full(store, path, offset, limit)
            store.ctx.fs._pages.put(path, warm)  # each page from the state before the damage
            assert _page(store, offset, limit) == want, (offset, limit, kinds)
            assert _page(cold, offset, limit) == want, (offset, limit, kinds)
        cold.close()
        path.write_bytes(before)  # undo (in place): the store appends to it again
        n = store.ctx.fs.count_jsonl(path)
        for offset, limit in _pages(rng, n):
            assert _page(store, offset, limit) == _full(store, path, offset, limit), (
                offset,
                limit,
                kinds,
                "undone",
            )


def test_recent_page_reads_only_the_page(open_store, tmp_path: Path, monkeypatch) -> None:
    """Once read, the newest page of a long log costs a few small reads, not the file."""
    store = open_store(tmp_path / "root", encrypted=False)
    asyncio.run(store.create_user("u"))
    asyncio.run(store.create_session("u", "t", session_id="s"))
    store.messages.add_many(
        "u", "s", [{"role": "user", "content": f"m{i}" + "y" * 200} for i in range(5000)]
    )
    assert len(store.messages.list("u", "s")) == 5000  # the one full read
    store.messages.add("u", "s", {"role": "user", "content": "newest"})
    import os as os_module

    real_pread, read_bytes = os_module.pread, []

    def counting_pread(fd: int, n: int, at: int) -> bytes:
        data = real_pread(fd, n, at)
        read_bytes.append(len(data))
        return data

    monkeypatch.setattr(os_module, "pread", counting_pread)
    page = store.messages.list("u", "s", offset=4951, limit=50)
    monkeypatch.undo()
    assert [m.content for m in page][-1] == "newest" and len(page) == 50
    size = store.ctx.layout.messages_file("u", "s").stat().st_size
    assert size > 1_000_000 and sum(read_bytes) < 80_000, (size, sum(read_bytes))


def test_a_line_edited_in_place_outside_the_remembered_ends_is_the_known_blind_spot(
    open_store,
    tmp_path: Path,
) -> None:
    """Documented limit (storage/pages.py): an in-place edit of the same length in the middle
    of a long log, by something other than the store, is not seen by a warm page read."""
    store = open_store(tmp_path / "root", encrypted=False)
    asyncio.run(store.create_user("u"))
    asyncio.run(store.create_session("u", "t", session_id="s"))
    store.messages.add_many("u", "s", [{"role": "user", "content": "z" * 100} for _ in range(500)])
    store.messages.list("u", "s")
    path = store.ctx.layout.messages_file("u", "s")
    data = bytearray(path.read_bytes())
    middle = len(data) // 2
    cut = data.index(b"\n", middle) + 1
    with open(path, "r+b") as fh:  # same inode, same length
        fh.seek(cut)
        fh.write(b"X")  # breaks one line's JSON in place
    assert isinstance(_full(store, path, 490, 10), tuple)  # the full read refuses it
    assert len(store.messages.list("u", "s", offset=490, limit=10)) == 10


def test_an_encrypted_page_checks_its_chain_positions(open_store, tmp_path: Path) -> None:
    """Two equal-length lines swapped in place, away from the remembered ends: the page's own
    lines (and the one before them) are opened and their positions checked."""
    store = open_store(tmp_path / "root", encrypted=True)
    asyncio.run(store.create_user("u"))
    asyncio.run(store.create_session("u", "t", session_id="s"))
    for i in range(60):
        store.messages.add("u", "s", {"role": "user", "content": f"m{i:03d}"})
    store.messages.list("u", "s")  # remembered
    path = store.ctx.layout.messages_file("u", "s")
    lines = path.read_bytes().splitlines(keepends=True)
    assert len(lines[30]) == len(lines[31])
    lines[30], lines[31] = lines[31], lines[30]
    with open(path, "r+b") as fh:  # same inode, same length
        fh.write(b"".join(lines))
    want = _full(store, path, 31, 3)
    assert want[0] == "SealRefused"
    assert _page(store, 31, 3) == want  # second line of the page is out of place
    assert store.ctx.fs._pages.get(path) is None  # forgotten: every page reads it whole now
    assert _page(store, 50, 5) == _full(store, path, 50, 5) == want
