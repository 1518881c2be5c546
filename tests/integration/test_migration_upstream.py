"""``flatfile-chat migrate apply`` on every real upstream fixture (copied to a temp dir): the
current store reads the result completely, and ``rollback`` restores it byte for byte.
Skips with a reason when ../shared is absent (a fresh clone)."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
from pathlib import Path

import pytest

from flatfile_chat import FFStorageManager, load_config
from flatfile_chat.migration import manifest
from flatfile_chat.migration.census import take

pytestmark = pytest.mark.upstream
FIXTURES = {
    "g0_chat_data": "G0",
    "g1_my_chat_data": "G1",
    "g2_dev_data": "G2",
    "g3_complex_data": "G3",
    "g3_session_types": "G3",
}


def _cli(*args: str) -> tuple[int, dict]:
    proc = subprocess.run(
        [sys.executable, "-m", "flatfile_chat.cli", "migrate", *args, "--json"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    return proc.returncode, json.loads(proc.stdout) if proc.stdout.strip() else {}


def _read_everything(base: Path) -> dict[str, int]:
    store = FFStorageManager(load_config(preset="test"), base_path=base)

    async def walk() -> dict[str, int]:
        users = await store.list_users()
        sessions = messages = 0
        for user in users:
            for session in await store.list_sessions(user):
                sessions += 1
                found = await store.get_messages(user, session.session_id)
                assert session.message_count == len(found)
                messages += len(found)
        return {"users": len(users), "sessions": sessions, "messages": messages}

    try:
        counts = asyncio.run(walk())
        assert store.check_integrity() == []
        return counts
    finally:
        store.close()


@pytest.mark.parametrize("name", sorted(FIXTURES))
def test_upstream_fixture_migrates_reads_back_and_rolls_back(upstream_copy, name: str) -> None:
    base = upstream_copy(name)
    original = manifest.scan(base)
    before = take(base)
    code, found = _cli("detect", str(base))
    assert (code, found["generation"]) == (0, FIXTURES[name])
    code, report = _cli("apply", str(base), "--batch-size", "10")
    assert code == 0, report
    assert report["counts_after"] == report["counts_before"] == before.counts
    read = _read_everything(base)
    assert read["sessions"] == len(before.sessions)
    assert read["messages"] == before.counts["messages"] > 0
    assert read["users"] >= before.counts["users"]
    code, checked = _cli("verify", str(base))
    assert code == 0 and checked["ok"], checked
    code, rolled = _cli("rollback", str(base))
    assert code == 0 and rolled["byte_identical"] is True
    assert manifest.verify(base, original) == []


def test_g1_vectors_move_to_their_owner_and_stay_aligned(upstream_copy) -> None:
    base = upstream_copy("g1_my_chat_data")
    code, report = _cli("apply", str(base))
    assert code == 0, report
    vectors = base / "users/demo_user/demo_session/vectors"
    lines = (vectors / "vector_index.jsonl").read_bytes().splitlines()
    import numpy

    rows = numpy.load(vectors / "embeddings.npy")
    assert rows.shape[0] == len(lines) == 12
    assert [json.loads(line)["vector_index"] for line in lines] == list(range(12))
    assert not (base / "users/default/sessions/demo_session/vectors").exists()
    session = json.loads((base / "users/demo_user/demo_session/session.json").read_bytes())
    assert session["message_count"] == 6 and session["user_id"] == "demo_user"


def test_g0_old_document_paths_and_counts(upstream_copy) -> None:
    base = upstream_copy("g0_chat_data")
    before = {
        p.parent.name: json.loads(p.read_bytes())["message_count"]
        for p in base.glob("*/*/session.json")
    }
    assert set(before.values()) == {0}  # upstream's G0 trap
    _cli("apply", str(base))
    after = {p.parent.name: json.loads(p.read_bytes()) for p in base.glob("users/*/*/session.json")}
    assert after.keys() == before.keys()
    for sid, record in after.items():
        assert record["session_id"] == sid and "id" not in record
        assert record["message_count"] > 0
