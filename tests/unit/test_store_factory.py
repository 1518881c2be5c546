"""The ``make_store`` fixture (tests/conftest.py): fresh roots, seeded ids, closed at teardown."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest

CONFTEST = Path(__file__).resolve().parents[1] / "conftest.py"


def _ids(store: Any) -> list[str]:
    async def go() -> list[str]:
        await store.create_user("alice")
        sessions = [(await store.create_session("alice", "t")).session_id for _ in range(2)]
        message = await store.add_message("alice", sessions[0], {"role": "user", "content": "hi"})
        return [*sessions, message.message_id]

    return asyncio.run(go())


def test_two_stores_get_distinct_roots_unless_asked_to_share(make_store, tmp_path: Path) -> None:
    first, second = make_store(), make_store()
    assert first.root != second.root
    assert first.root.parent == second.root.parent == tmp_path
    asyncio.run(first.create_user("alice"))
    assert not asyncio.run(second.user_exists("alice"))
    again = make_store(root=first.root)
    assert again.root == first.root
    assert asyncio.run(again.user_exists("alice"))


def test_the_seed_makes_ids_deterministic(make_store) -> None:
    one, same = make_store(seed=3), make_store(seed=3)
    ids = _ids(one)
    assert _ids(same) == ids
    assert _ids(make_store(seed=4)) != ids
    assert len(set(ids)) == len(ids)


def test_the_clock_is_the_tests_frozen_clock(make_store, clock) -> None:
    store = make_store()
    assert store.clock is clock
    created = asyncio.run(store.create_user("alice")).created_at
    assert created.startswith("2026-01-01T09:00:00")


def test_options_reach_the_config(make_store) -> None:
    store = make_store(
        durability="batch",
        encryption=make_store.keys({"k1": b"1" * 32}),
        overrides={"storage": {"lock_timeout_seconds": 2}},
    )
    assert store.config.storage.durability == "batch"
    assert store.config.storage.encryption.enabled
    assert store.config.storage.lock_timeout_seconds == 2
    with pytest.raises(TypeError):
        make_store(config=store.config, durability="none")


INNER = """
import asyncio

MADE = []


class Spy:
    closed = 0

    def close(self):
        Spy.closed += 1


def test_make(make_store, store):
    batch = make_store(durability="batch")
    asyncio.run(batch.create_user("alice"))  # starts the group committer thread
    assert batch.fs._committer._thread is not None
    make_store.closing(Spy())
    MADE.extend([store, batch])


def test_closed_at_teardown():
    store, batch = MADE
    assert batch.fs._committer._thread is None
    assert Spy.closed == 1
"""


def test_every_store_is_closed_at_teardown(pytester: pytest.Pytester) -> None:
    pytester.makeconftest(CONFTEST.read_text())
    pytester.makepyfile(test_inner=INNER)
    result = pytester.runpytest_inprocess("-p", "no:randomly", "-p", "no:cacheprovider")
    result.assert_outcomes(passed=2)
