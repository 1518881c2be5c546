"""The page sidecar (``.messages.jsonl.pages``, storage/pages.py): a new process's first page
read uses it instead of the full read, the store's appends keep it level, and anything
stale, tampered, forged or read with another key ring falls back to the full read, which
answers or raises exactly as before. Migrations, backups and rekeys never treat it as data.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from flatfile_chat import FFStorageManager, IdSource, ManualClock, load_config
from flatfile_chat.errors import FFError
from flatfile_chat.storage import chain, jsonl, pages
from flatfile_chat.store.messages import _MESSAGE_LIST
from flatfile_chat.store.rekey import reencrypt_all

K1, K2, K3 = b"1" * 32, b"2" * 32, b"3" * 32
N = 600  # messages: well over pages.PERSIST_MIN_BYTES, plain or encrypted


def _overrides(keys: dict[str, bytes] | None, active: str | None = None) -> dict[str, Any]:
    enc: dict[str, Any] = {"enabled": False}
    if keys is not None:
        enc = {
            "enabled": True,
            "active_key_id": active or next(iter(keys)),
            "keys": {k: f"base64:{base64.b64encode(v).decode()}" for k, v in keys.items()},
        }
    return {"storage": {"durability": "none", "encryption": enc}}


def _store(
    root: Path, keys: dict[str, bytes] | None = None, active: str | None = None
) -> FFStorageManager:
    """The child process's store (``_CHILD`` imports it; no fixtures there): what
    ``open_store`` builds in this process."""
    config = load_config(preset="test", overrides=_overrides(keys, active))
    return FFStorageManager(config, clock=ManualClock(), ids=IdSource(7), base_path=root)


@pytest.fixture
def open_store(make_store):
    """``open_store(root, keys=None, active=None)``: a store over ``root`` (closed by the
    factory); opened again over the same root it is a fresh store object."""

    def build(
        root: Path, keys: dict[str, bytes] | None = None, active: str | None = None
    ) -> FFStorageManager:
        return make_store(root=root, seed=7, overrides=_overrides(keys, active))

    return build


def _keys(encrypted: bool) -> dict[str, bytes] | None:
    return {"k1": K1} if encrypted else None


def _filled(
    open_store: Any, root: Path, keys: dict[str, bytes] | None, n: int = N, session: str = "s"
) -> tuple[FFStorageManager, Path]:
    """A store whose log the store wrote (appends only, never read)."""
    store = open_store(root, keys)
    if not (root / "users").exists() or not store.users.exists("u"):
        asyncio.run(store.create_user("u"))
    asyncio.run(store.create_session("u", "t", session_id=session))
    for start in range(0, n, 100):
        store.messages.add_many(
            "u",
            session,
            [
                {"role": "user", "content": f"m{i} " + "x" * 150, "metadata": {"i": i}}
                for i in range(start, min(n, start + 100))
            ],
        )
    return store, store.ctx.layout.messages_file("u", session)


def _full(store: FFStorageManager, path: Path, offset: int, limit: int | None) -> Any:
    try:
        models = store.ctx.fs.read_jsonl_models(path, _MESSAGE_LIST)
    except FFError as exc:
        return (type(exc).__name__, str(exc))
    return [m.model_dump() for m in models[offset : None if limit is None else offset + limit]]


def _page(store: FFStorageManager, offset: int, limit: int | None, session: str = "s") -> Any:
    try:
        models = store.messages.list("u", session, offset=offset, limit=limit)
    except FFError as exc:
        return (type(exc).__name__, str(exc))
    return [m.model_dump() for m in models]


@pytest.fixture
def full_reads(monkeypatch) -> list[Path]:
    """Paths the full read (``jsonl.models_from_bytes``) was taken for."""
    seen: list[Path] = []
    real = jsonl.models_from_bytes

    def counting(path: Path, *args: Any, **kwargs: Any) -> Any:
        seen.append(path)
        return real(path, *args, **kwargs)

    monkeypatch.setattr(jsonl, "models_from_bytes", counting)
    return seen


def _cold_page(
    open_store: Any,
    root: Path,
    keys: dict[str, bytes] | None,
    full_reads: list[Path],
    offset: int = N - 50,
    limit: int | None = 50,
    active: str | None = None,
) -> tuple[Any, int]:
    """A page read by a fresh store object (nothing remembered in memory) and how many full
    reads it took; compared by the caller with the full read's answer."""
    store = open_store(root, keys, active)
    before = len(full_reads)
    got = _page(store, offset, limit)
    store.close()
    return got, len(full_reads) - before


# -- the sidecar is used -----------------------------------------------------------------
_CHILD = """
import json, sys
from pathlib import Path
from flatfile_chat.storage import jsonl
sys.path.insert(0, sys.argv[3])
from test_page_sidecar import _page, _store, _keys
calls = []
real = jsonl.models_from_bytes
def counting(*args, **kwargs):
    calls.append(1)
    return real(*args, **kwargs)
jsonl.models_from_bytes = counting
store = _store(Path(sys.argv[1]), _keys(sys.argv[2] == "encrypted"))
page = _page(store, int(sys.argv[4]), 50)
print(json.dumps({"full_reads": len(calls), "page": page}))
"""


def _child(root: Path, encrypted: bool, offset: int) -> dict[str, Any]:
    done = subprocess.run(
        [
            sys.executable,
            "-c",
            _CHILD,
            str(root),
            "encrypted" if encrypted else "plain",
            str(Path(__file__).parent),
            str(offset),
        ],
        check=True,
        capture_output=True,
        text=True,
    )
    return json.loads(done.stdout)


@pytest.mark.parametrize("encrypted", [False, True], ids=["plain", "encrypted"])
def test_a_new_process_reads_the_newest_page_without_the_full_read(
    open_store, tmp_path: Path, encrypted: bool
) -> None:
    root = tmp_path / "root"
    store, path = _filled(open_store, root, _keys(encrypted))
    store.messages.add("u", "s", {"role": "user", "content": "newest"})  # lags the sidecar
    want = json.loads(json.dumps(_full(store, path, N + 1 - 50, 50)))
    store.close()
    side = pages.sidecar_path(path)
    assert side.exists()  # written by the appends: the log was never read
    first = _child(root, encrypted, N + 1 - 50)  # the store wrote the log
    assert first == {"full_reads": 0, "page": want}
    side.unlink()
    second = _child(root, encrypted, N + 1 - 50)  # no sidecar: the full read, which writes one
    assert second == {"full_reads": 1, "page": want} and side.exists()
    third = _child(root, encrypted, N + 1 - 50)
    assert third == {"full_reads": 0, "page": want}


def _count_validated_lines(monkeypatch) -> list[int]:
    """From now on, how many appended lines each delta validation checks."""
    validated: list[int] = []
    real_delta = pages._validate_delta

    def measuring(path: Path, entry: Any, lines: list[bytes], *args: Any) -> Any:
        validated.append(len(lines))
        return real_delta(path, entry, lines, *args)

    monkeypatch.setattr(pages, "_validate_delta", measuring)
    return validated


def test_appends_keep_the_sidecar_close_behind(
    open_store, tmp_path: Path, full_reads: list[Path], monkeypatch
) -> None:
    """Persisted every PERSIST_EVERY_BYTES, not every append; a new reader validates only the
    lines since (counted), never the whole log."""
    store, path = _filled(open_store, tmp_path / "root", None)
    side = pages.sidecar_path(path)
    writes = []
    real_write = pages.dumps

    def counting(*args: Any, **kwargs: Any) -> bytes:
        writes.append(1)
        return real_write(*args, **kwargs)

    monkeypatch.setattr(pages, "dumps", counting)
    for i in range(200):
        store.messages.add("u", "s", {"role": "user", "content": f"one {i} " + "y" * 100})
    size = path.stat().st_size
    with open(path, "rb") as fh:
        kept = pages.loads(side.read_bytes(), store.ctx.fs.rel(path), "plain", None, fh.fileno())
    assert kept is not None and size - kept.size < pages.PERSIST_EVERY_BYTES
    assert 0 < len(writes) < 20  # ~40 KiB appended: a few persists, not 200
    validated = _count_validated_lines(monkeypatch)
    got, taken = _cold_page(
        open_store, tmp_path / "root", None, full_reads, offset=N + 150, limit=50
    )
    assert taken == 0 and got == _full(store, path, N + 150, 50)
    assert validated == [200 - (kept.count - N)] and validated[0] < 150


def test_an_append_to_a_log_nobody_validated_leaves_it_to_the_next_read(
    open_store, tmp_path: Path, full_reads: list[Path], monkeypatch
) -> None:
    """No sidecar and nothing remembered (a log an older version wrote): the append does not
    validate the whole log under its lock; the next read does the full read once."""
    store, path = _filled(open_store, tmp_path / "root", None)
    store.close()
    pages.sidecar_path(path).unlink()
    validated = _count_validated_lines(monkeypatch)
    fresh = open_store(tmp_path / "root")
    fresh.messages.add("u", "s", {"role": "user", "content": "after"})
    assert validated == [] and not pages.sidecar_path(path).exists()
    got = _page(fresh, N - 49, 50)
    assert full_reads == [path] and pages.sidecar_path(path).exists()
    assert got == _full(fresh, path, N - 49, 50)
    fresh.messages.add("u", "s", {"role": "user", "content": "then"})  # known again: O(1 line)
    assert validated == [1]


def test_small_logs_and_the_switch_get_no_sidecar(open_store, tmp_path: Path) -> None:
    # a few KiB: the full read is cheap
    store, path = _filled(open_store, tmp_path / "small", None, n=50)
    assert _page(store, 0, None) == _full(store, path, 0, None)
    assert not pages.sidecar_path(path).exists()
    off = open_store(tmp_path / "off")
    off.ctx.fs.page_sidecars = False
    asyncio.run(off.create_user("u"))
    asyncio.run(off.create_session("u", "t", session_id="s"))
    off.messages.add_many("u", "s", [{"role": "user", "content": "z" * 200}] * N)
    _page(off, 0, None)
    assert not pages.sidecar_path(off.ctx.layout.messages_file("u", "s")).exists()


# -- anything stale falls back to the full read ------------------------------------------
def _rename_over(path: Path, data: bytes) -> None:
    tmp = path.with_name("replacement.tmp")
    tmp.write_bytes(data)
    tmp.replace(path)


STALE = [
    "store_rewrite",
    "store_repair",
    "renamed_same_bytes",
    "renamed_edited",
    "truncated",
    "tail_edited_in_place",
    "grown_behind_the_store",
]


@pytest.mark.parametrize("encrypted", [False, True], ids=["plain", "encrypted"])
@pytest.mark.parametrize("kind", STALE)
def test_a_stale_sidecar_gives_the_full_read(
    open_store, tmp_path: Path, full_reads: list[Path], kind: str, encrypted: bool
) -> None:
    root, keys = tmp_path / "root", _keys(encrypted)
    store, path = _filled(open_store, root, keys)
    side = pages.sidecar_path(path)
    assert _cold_page(open_store, root, keys, full_reads)[1] == 0  # valid before the change
    saved = side.read_bytes()
    data = path.read_bytes()
    lines = data.splitlines(keepends=True)
    if kind == "store_rewrite":  # compaction/expiry: a new inode, the sidecar removed
        with store.ctx.fs.lock(path):
            store.ctx.fs.rewrite_jsonl(path, store.ctx.fs.read_jsonl(path)[3:])
        assert not side.exists()
        side.write_bytes(saved)  # as if a racing reader put its stale one back
    elif kind == "store_repair":  # a torn line moved aside: rewritten, the sidecar removed
        with open(path, "ab") as fh:
            fh.write(b"{torn\n")
        assert store.ctx.fs.repair_jsonl(path).moved == 1
        assert not side.exists()
        side.write_bytes(saved)
    elif kind == "renamed_same_bytes":  # another inode: its content is not known validated
        _rename_over(path, data)
    elif kind == "renamed_edited":
        _rename_over(
            path,
            data.replace(b"m300 ", b"M300 ")
            if not encrypted
            else b"".join(lines[:300] + lines[301:]),
        )
    elif kind == "truncated":  # in place, same inode, shorter
        os.truncate(path, len(data) - len(lines[-1]) - len(lines[-2]))
    elif kind == "tail_edited_in_place":  # same inode, same length, last line changed
        with open(path, "r+b") as fh:
            fh.seek(len(data) - len(lines[-1]) + 20)
            fh.write(b"!")
    elif kind == "grown_behind_the_store":  # a foreign append the sidecar does not cover
        with open(path, "ab") as fh:
            fh.write(b'{"role": 5}\n' if not encrypted else lines[-1])
    for offset, limit in [(N - 50, 50), (0, 5), (N - 3, None), (N + 1, 5)]:
        got, taken = _cold_page(open_store, root, keys, full_reads, offset, limit)
        assert got == _full(store, path, offset, limit), (kind, offset, limit)
        assert taken == 1, (kind, offset, limit)
        if side.exists() and kind != "grown_behind_the_store":
            side.write_bytes(saved)  # the full read may have replaced it: stale again


@pytest.mark.parametrize("encrypted", [False, True], ids=["plain", "encrypted"])
def test_tampered_sidecar_bytes_give_the_full_read(
    open_store, tmp_path: Path, full_reads: list[Path], encrypted: bool
) -> None:
    root, keys = tmp_path / "root", _keys(encrypted)
    store, path = _filled(open_store, root, keys)
    side = pages.sidecar_path(path)
    genuine = side.read_bytes()
    want = _full(store, path, N - 50, 50)
    for at in sorted({0, len(genuine) - 1, *range(0, len(genuine), max(len(genuine) // 40, 1))}):
        forged = bytearray(genuine)
        forged[at] ^= 0x01
        side.write_bytes(bytes(forged))
        assert _cold_page(open_store, root, keys, full_reads) == (want, 1), at
    side.write_bytes(genuine[:-7])  # cut short
    assert _cold_page(open_store, root, keys, full_reads) == (want, 1)
    side.write_bytes(genuine)
    assert _cold_page(open_store, root, keys, full_reads) == (want, 0)


def test_an_encrypted_sidecar_is_sealed(open_store, tmp_path: Path) -> None:
    """Its fingerprints and chain state are not readable in the file (a plain store's are)."""
    for keys in (None, {"k1": K1}):
        store, path = _filled(open_store, tmp_path / str(bool(keys)), keys)
        raw = pages.sidecar_path(path).read_bytes()
        head = path.read_bytes()[: pages.FINGERPRINT]
        secrets = [b'"count"', b"ffpages1", hashlib.sha256(head).hexdigest().encode()]
        if keys:
            state = chain.tail_state(
                store.ctx.fs.codec, path, owner="u", rel=store.ctx.fs.rel(path)
            )
            secrets += [state.epoch.encode(), base64.b64encode(state.tag)]
            assert raw.startswith(b"FFENC1\x00k1\x00")
            assert not [s for s in secrets if s in raw]
        else:
            assert all(s in raw for s in secrets)


def test_a_forged_or_moved_encrypted_sidecar_is_rejected(
    open_store, tmp_path: Path, full_reads: list[Path]
) -> None:
    """A line in the middle replaced (the page's chain positions still check out) and a
    sidecar describing the changed file: only the seal keeps the page read from vouching
    for it; with it, page and full read raise alike."""
    root, keys = tmp_path / "root", {"k1": K1}
    store, path = _filled(open_store, root, keys)
    _, other = _filled(open_store, root, keys, session="s2")
    side, codec, fs = pages.sidecar_path(path), store.ctx.fs.codec, store.ctx.fs
    genuine, data = side.read_bytes(), path.read_bytes()
    plain = codec.open_blob(genuine, owner="u", rel_path=fs.rel(side))  # type: ignore[attr-defined]
    with open(path, "rb") as fh:
        entry = pages.loads(plain, fs.rel(path), codec.ring_id(), codec, fh.fileno())
    assert entry is not None and entry.count == N
    lines = data.splitlines(keepends=True)
    changed = b"".join(lines[:300] + [b'{"role": "user", "content": "planted"}\n'] + lines[301:])
    path.write_bytes(changed)  # in place: same inode
    st = path.stat()
    lie = pages.dumps(
        pages.fingerprint(
            st.st_dev, st.st_ino, changed, N, whole_json=False, state=entry.state, codec=codec
        ),
        fs.rel(path),
        codec.ring_id(),
    )
    want = _full(store, path, N - 50, 50)
    assert want[0] == "StorageCorrupted" and "messages.jsonl:301" in want[1]
    side.write_bytes(lie)  # well-formed, checksummed, describes the file, but not sealed
    assert _cold_page(open_store, root, keys, full_reads) == (want, 1)
    from flatfile_chat.storage.codec import AesGcmCodec

    attacker = AesGcmCodec({"k1": K3}, "k1")  # sealed, with a key of the attacker's own
    side.write_bytes(attacker.seal_blob(lie, owner="u", rel_path=fs.rel(side)))
    assert _cold_page(open_store, root, keys, full_reads) == (want, 1)
    path.write_bytes(data)
    want = _full(store, path, N - 50, 50)
    shutil.copyfile(pages.sidecar_path(other), side)  # genuine, of another session's log
    assert _cold_page(open_store, root, keys, full_reads) == (want, 1)
    side.write_bytes(genuine)
    assert _cold_page(open_store, root, keys, full_reads) == (want, 0)


def test_another_key_ring_gives_the_full_reads_answer_and_error(
    open_store, tmp_path: Path, full_reads: list[Path]
) -> None:
    """Lines sealed with k1, then k2. A process whose ring lost k1 must raise what the full
    read raises (SealRefused at line 1), whether the sidecar no longer opens (sealed with
    k1) or opens (sealed with k2) though the page's own lines (all k2) would read."""
    root = tmp_path / "root"
    store, path = _filled(open_store, root, {"k1": K1, "k2": K2})
    side = pages.sidecar_path(path)
    codec = store.ctx.fs.codec
    codec.rotate("k2")  # type: ignore[attr-defined]
    store.messages.add("u", "s", {"role": "user", "content": "first with k2"})
    assert codec.key_id_of(side.read_bytes()) == "k1"  # type: ignore[attr-defined]
    want = _full(open_store(root, {"k2": K2}), path, N - 49, 50)
    assert want[0] == "SealRefused" and "messages.jsonl:1:" in want[1]
    cold = _cold_page(open_store, root, {"k2": K2}, full_reads, N - 49, 50)
    assert cold == (want, 1)  # cannot open
    store.messages.add_many(
        "u", "s", [{"role": "user", "content": f"late {i} " + "w" * 150} for i in range(150)]
    )
    assert codec.key_id_of(side.read_bytes()) == "k2"  # type: ignore[attr-defined]
    want = _full(open_store(root, {"k2": K2}), path, N + 101, 50)
    assert want[0] == "SealRefused" and "messages.jsonl:1:" in want[1]
    assert _cold_page(open_store, root, {"k2": K2}, full_reads, N + 101, 50) == (want, 1)  # opens
    grown = {"k1": K1, "k2": K2, "k3": K3}  # a key added: not known read with this ring
    assert _cold_page(open_store, root, grown, full_reads, N + 101, 50, active="k2") == (
        _full(store, path, N + 101, 50),
        1,
    )
    cold = _cold_page(open_store, root, grown, full_reads, N + 101, 50, active="k2")
    assert cold[1] == 0  # rewritten


# -- never data ----------------------------------------------------------------------------
def test_rekey_skips_sidecars(open_store, tmp_path: Path, full_reads: list[Path]) -> None:
    root = tmp_path / "root"
    store, path = _filled(open_store, root, {"k1": K1})
    side = pages.sidecar_path(path)
    assert side.exists()
    store.ctx.fs.codec.rotate("k2", K2)  # type: ignore[attr-defined]
    reencrypt_all(store.ctx.fs)
    assert not side.exists()  # the log's rewrite removed it; never re-sealed as a blob
    assert not [n for n in os.listdir(path.parent) if side.name in n]
    assert _page(store, N - 50, 50) == _full(store, path, N - 50, 50)


def test_backups_manifests_and_migration_passes_ignore_sidecars(open_store, tmp_path: Path) -> None:
    from flatfile_chat.migration import manifest
    from flatfile_chat.migration.passes import file_list

    store, path = _filled(open_store, tmp_path / "root", None)
    assert pages.sidecar_path(path).exists()
    rel = Path(store.ctx.fs.rel(path))
    files = manifest.scan(tmp_path / "root").files
    assert rel.as_posix() in files and str(rel.with_name(".messages.jsonl.pages")) not in files
    listed = file_list(tmp_path / "root", frozenset())
    assert rel.as_posix() in listed and not [r for r in listed if r.endswith(".pages")]


def test_migrations_neither_carry_nor_mind_sidecars(
    make_store, tmp_path: Path, monkeypatch
) -> None:
    """Down: a sidecar (naming the old log's inode) is not carried into the older tree. Up:
    the read-back may write sidecars; a rollback does not count them (or their absence)
    as a change made after the migration, and a backup does not hold them."""
    from flatfile_chat.migration.engine import MigrationOptions, Migrator
    from flatfile_chat.migration.generators import generate

    monkeypatch.setattr(pages, "PERSIST_MIN_BYTES", 0)  # the generated logs are small

    def migrator() -> Migrator:
        return Migrator(base, MigrationOptions(), clock=ManualClock("2026-01-01T09:00:00+00:00"))

    def sidecars(root: Path) -> list[Path]:
        return sorted(p for p in root.rglob("*") if pages.is_sidecar(p.name))

    base = tmp_path / "store"
    generate("G3", base)
    migrator().apply()
    assert sidecars(base)  # the read-back's page reads wrote them
    migrator().apply(to="G3")
    work = base.parent / f".{base.name}.ffmigrate"
    assert sidecars(base) == [] and sidecars(work / "backup") == []
    migrator().apply()
    for side in sidecars(base):
        side.unlink()
    store = make_store(root=base)
    for user in store.users.list():
        for session in store.sessions.list(user):
            store.messages.list(user, session.session_id, offset=1, limit=2)
    store.close()
    assert sidecars(base)
    assert migrator().rollback()["byte_identical"] is True
    assert sidecars(base) == []
