"""Properties over random add / advance / maintain / compress sequences (hypothesis).

Small thresholds and short retentions so that promotion, expiry and compression all happen.
Each example gets its own store in a fresh temporary folder.
"""

from __future__ import annotations

import tempfile
from asyncio import run
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from flatfile_chat import ManualClock
from flatfile_chat.memory import FFMemoryLayerManager, MemoryLayerType

CONFIG = {
    "compression_thresholds": {
        "immediate": 7,
        "short_term": 7,
        "medium_term": 7,
        "long_term": 7,
        "permanent": 7,
    },
    "compression_keep_recent": 1,
    "retention_policies": {"immediate": 1, "short_term": 2, "medium_term": 3, "long_term": 4},
}
WORDS = ["alpha", "beta", "gamma", "delta"]

add_op = st.tuples(
    st.just("add"),
    st.sampled_from(list(MemoryLayerType)),
    st.floats(0, 1, allow_nan=False),
    st.sampled_from(WORDS),
    st.sampled_from(["s1", "s2"]),
)
ops = st.lists(
    st.one_of(
        add_op,
        st.tuples(st.just("advance"), st.integers(0, 5)),
        st.tuples(st.just("maintain")),
        st.tuples(st.just("compress"), st.sampled_from(list(MemoryLayerType))),
    ),
    min_size=1,
    max_size=30,
)
SETTINGS = settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


def play(mh, make_store, root: Path, steps) -> tuple:
    clock = ManualClock()
    store = make_store(root=root, clock=clock, overrides={"memory_layer": CONFIG})
    run(store.create_user("alice"))
    manager = FFMemoryLayerManager(store)
    run(manager.initialize_user_memory("alice"))
    for step in steps:
        if step[0] == "add":
            _, layer, relevance, word, session = step
            run(
                manager.add_memory_context(
                    "alice",
                    {
                        "content": f"{word} note",
                        "relevance_score": relevance,
                        "topic_tags": [word],
                        "session_id": session,
                    },
                    target_layer=layer,
                )
            )
        elif step[0] == "advance":
            clock.advance(hours=step[1])
        elif step[0] == "maintain":
            assert run(manager.run_memory_maintenance("alice"))["success"]
        else:
            run(manager.compress_layer("alice", step[1], force=True))
        mh.assert_counts_match(store, "alice")
    return store, manager


@SETTINGS
@given(steps=ops)
def test_metadata_counts_always_equal_the_files(mh, make_store, steps) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        store, _manager = play(mh, make_store, Path(tmp), steps)
        assert store.check_integrity() == []
        store.close()


@SETTINGS
@given(steps=ops)
def test_maintenance_twice_equals_once(mh, make_store, steps) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        store, manager = play(mh, make_store, Path(tmp), steps)
        folder = store.fs.path("users", "alice", "memory_layers")
        first = run(manager.run_memory_maintenance("alice"))
        once = mh.snapshot(folder)
        second = run(manager.run_memory_maintenance("alice"))
        assert mh.snapshot(folder) == once
        assert second["tasks_completed"] == [
            "cleaned_0_expired",
            "promoted_0_memories",
            "compressed_0_layers",
            "updated_metadata",
        ]
        assert first["success"] and second["success"]
        store.close()


@SETTINGS
@given(steps=ops, query=st.sampled_from(WORDS))
def test_search_only_returns_matching_items_of_the_user(mh, make_store, steps, query) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        store, manager = play(mh, make_store, Path(tmp), steps)
        run(store.create_user("bob"))
        run(
            manager.add_memory_context(
                "bob", {"content": f"{query} of bob", "relevance_score": 1.0}
            )
        )
        hits = run(manager.search_memory("alice", query, max_results=50))
        assert all(
            h.user_id == "alice" and query in (h.content + " ".join(h.topic_tags)) for h, _ in hits
        )
        scores = [s for _, s in hits]
        assert scores == sorted(scores, reverse=True) and all(0 < s <= 1 for s in scores)
        store.close()
