"""A page read served from a remembered prefix (in this process, or from the sidecar in a new
one) never falls back to the full read, and answers exactly what the full read answers.
The full read is the only caller of ``jsonl.models_from_bytes``: counting its calls tells the
two paths apart, plain and encrypted."""

from __future__ import annotations

import base64

import pytest

from flatfile_chat.storage import jsonl, pages

KEY = f"base64:{base64.b64encode(bytes(range(32))).decode()}"


@pytest.fixture
def full_reads(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    calls: list[int] = []
    real = jsonl.models_from_bytes

    def counting(path, data, adapter, decode=None):
        calls.append(len(data))
        return real(path, data, adapter, decode)

    monkeypatch.setattr(jsonl, "models_from_bytes", counting)
    monkeypatch.setattr(pages, "PERSIST_MIN_BYTES", 0)  # small logs get sidecars too
    monkeypatch.setattr(pages, "PERSIST_EVERY_BYTES", 0)
    return calls


def _open(make_store, root, encrypted: bool):
    encryption = (
        {"enabled": True, "active_key_id": "k1", "keys": {"k1": KEY}} if encrypted else None
    )
    return make_store(root=root, seed=2, encryption=encryption)


def _ids(models) -> list[str]:
    return [m.message_id for m in models]


@pytest.mark.parametrize("encrypted", [False, True], ids=["plain", "encrypted"])
def test_pages_come_from_the_remembered_prefix(
    make_store, tmp_path, full_reads: list[int], encrypted: bool
) -> None:
    root = tmp_path / "root"
    store = _open(make_store, root, encrypted)
    store.users.create("u")
    store.sessions.create("u", session_id="s")
    store.messages.add_many(
        "u", "s", [{"role": "user", "content": f"m{i}", "message_id": f"m{i}"} for i in range(30)]
    )
    everything = [f"m{i}" for i in range(30)]
    assert _ids(store.messages.list("u", "s")) == everything
    full_reads.clear()
    for offset, limit in ((0, 5), (10, 7), (25, None), (29, 1), (0, None), (40, 3)):
        stop = None if limit is None else offset + limit
        page = store.messages.list("u", "s", offset=offset, limit=limit)
        assert _ids(page) == everything[offset:stop], (offset, limit)
    assert full_reads == []

    store.messages.add("u", "s", {"role": "user", "content": "new", "message_id": "n1"})
    everything.append("n1")
    assert _ids(store.messages.list("u", "s", offset=28, limit=3)) == ["m28", "m29", "n1"]
    assert _ids(store.messages.list("u", "s", offset=30)) == ["n1"]
    assert full_reads == []

    again = _open(make_store, root, encrypted)  # a new process: the sidecar vouches
    assert _ids(again.messages.list("u", "s", offset=29, limit=2)) == ["m29", "n1"]
    assert _ids(again.messages.list("u", "s", offset=3, limit=2)) == ["m3", "m4"]
    assert _ids(again.messages.list("u", "s", limit=1)) == ["m0"]
    assert _ids(again.messages.list("u", "s")) == everything
    assert full_reads == []

    sidecar = pages.sidecar_path(again.ctx.layout.messages_file("u", "s"))
    sidecar.unlink()
    third = _open(make_store, root, encrypted)  # no sidecar: one full read, then pages
    assert _ids(third.messages.list("u", "s", offset=30)) == ["n1"]
    assert len(full_reads) == 1
    assert _ids(third.messages.list("u", "s", offset=1, limit=2)) == ["m1", "m2"]
    assert _ids(third.messages.list("u", "s", offset=29)) == ["m29", "n1"]
    assert len(full_reads) == 1
