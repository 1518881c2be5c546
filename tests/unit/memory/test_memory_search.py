"""Search: normalisation, ranking, isolation between users, cache freshness."""

from __future__ import annotations

from asyncio import run

import pytest

from flatfile_chat.errors import NotFound, SecurityError, ValidationError
from flatfile_chat.memory import FFMemoryLayerManager
from flatfile_chat.memory.text import query_terms, terms


def add(manager, content, user="alice", **fields):
    return run(manager.add_memory_context(user, {"content": content, **fields}))


def test_terms_fold_case_punctuation_accents_and_plurals() -> None:
    assert terms("Café, CAFÉS! reminders—boxes; it's") == [
        "cafe",
        "cafe",
        "reminder",
        "box",
        "it",
        "s",
    ]
    assert query_terms("the Dentist?") == ["dentist"]
    assert query_terms("the and") == ["the", "and"]  # nothing else left: keep stop words


def test_search_ignores_case_and_punctuation(mem) -> None:
    _store, manager = mem
    item = add(manager, "Call the DENTIST on Friday, please!", relevance_score=0.8)
    [(found, score)] = run(manager.search_memory("alice", "dentist? friday."))
    assert found.memory_id == item.memory_id
    assert score == pytest.approx(0.8)  # all words match, fresh item: coverage 1 × 0.8 × 1


def test_tags_and_entities_are_searchable(mem) -> None:
    _store, manager = mem
    item = add(manager, "Meet at noon", topic_tags=["reminders"], entity_mentions=["Dr. Who"])
    assert [h.memory_id for h, _ in run(manager.search_memory("alice", "reminder who"))] == [
        item.memory_id
    ]


def test_search_never_returns_another_users_memories(mem) -> None:
    _store, manager = mem
    add(manager, "alice's secret: the vault code is 1234", relevance_score=1.0)
    theirs = add(manager, "bob's vault is empty", user="bob", relevance_score=0.1)
    hits = run(manager.search_memory("bob", "vault code secret"))
    assert [h.memory_id for h, _ in hits] == [theirs.memory_id]
    assert all(h.user_id == "bob" for h, _ in hits)
    assert all(h.user_id == "alice" for h in run(manager.get_memory_contexts("alice")))


def test_ranking_weighs_relevance_coverage_and_recency(mem, clock) -> None:
    _store, manager = mem
    old_strong = add(manager, "project deadline friday", relevance_score=0.9)
    clock.advance(days=60)  # old_strong's recency falls towards 0.5
    new_weak = add(manager, "project deadline friday", relevance_score=0.6)
    partial = add(manager, "project kickoff", relevance_score=1.0)
    hits = run(manager.search_memory("alice", "project deadline"))
    order = [h.memory_id for h, _ in hits]
    assert order == [new_weak.memory_id, old_strong.memory_id, partial.memory_id]
    scores = [s for _, s in hits]
    assert scores == sorted(scores, reverse=True) and scores[-1] > 0
    assert scores[0] == pytest.approx(0.6)


def test_rare_words_weigh_more_than_common_ones(mem) -> None:
    _store, manager = mem
    rare = add(manager, "zanzibar trip", relevance_score=0.5)
    common = add(manager, "trip to the shop", relevance_score=0.5)
    for i in range(5):
        add(manager, f"another trip {i}", relevance_score=0.5)
    hits = dict((h.memory_id, s) for h, s in run(manager.search_memory("alice", "zanzibar shop")))
    assert hits[rare.memory_id] == hits[common.memory_id]  # each has one of two rare words
    both = dict((h.memory_id, s) for h, s in run(manager.search_memory("alice", "zanzibar trip")))
    assert both[rare.memory_id] > both[common.memory_id]


def test_zero_relevance_items_are_not_returned(mem) -> None:
    _store, manager = mem
    add(manager, "irrelevant lunch", relevance_score=0.0)
    assert run(manager.search_memory("alice", "lunch")) == []


def test_layer_filter_and_result_cap(mem_factory) -> None:
    _store, manager = mem_factory({"max_memory_search_results": 3})
    for i in range(5):
        add(manager, f"garden note {i}")
    kept = run(
        manager.add_memory_context("alice", {"content": "garden rule"}, target_layer="permanent")
    )
    assert len(run(manager.search_memory("alice", "garden", max_results=20))) == 3
    assert [
        h.memory_id for h, _ in run(manager.search_memory("alice", "garden", layers=["permanent"]))
    ] == [kept.memory_id]


def test_a_fresh_manager_and_other_writers_are_seen(mh, mem_factory) -> None:
    store, first = mem_factory()
    add(first, "apples are red")
    assert len(run(first.search_memory("alice", "apples"))) == 1  # cache warm
    second = FFMemoryLayerManager(store)
    add(second, "apples are green")
    assert len(run(first.search_memory("alice", "apples"))) == 2  # file changed: rebuilt
    _, third = mem_factory()  # another store object over the same root
    assert len(run(third.search_memory("alice", "apples"))) == 2


def test_get_memory_contexts_sorts_filters_and_limits(mem, clock) -> None:
    _store, manager = mem
    low = add(manager, "low", relevance_score=0.2)
    high_old = add(manager, "high old", relevance_score=0.9)
    clock.advance(minutes=1)
    high_new = add(manager, "high new", relevance_score=0.9)
    got = run(manager.get_memory_contexts("alice"))
    assert [m.memory_id for m in got] == [high_new.memory_id, high_old.memory_id, low.memory_id]
    assert [
        m.memory_id
        for m in run(manager.get_memory_contexts("alice", relevance_threshold=0.5, max_results=1))
    ] == [high_new.memory_id]


@pytest.mark.parametrize(
    ("query", "kwargs", "error"),
    [
        ("?!", {}, ValidationError),
        (None, {}, ValidationError),
        ("ok", {"max_results": 0}, ValidationError),
        ("ok", {"layers": ["attic"]}, ValidationError),
        ("ok", {"layers": "immediate"}, ValidationError),
    ],
)
def test_bad_search_arguments_are_refused(mem, query, kwargs, error) -> None:
    _store, manager = mem
    with pytest.raises(error):
        run(manager.search_memory("alice", query, **kwargs))


def test_unknown_and_hostile_users_are_refused(mem) -> None:
    store, manager = mem
    with pytest.raises(NotFound):
        run(manager.search_memory("carol", "x"))
    with pytest.raises(SecurityError):
        run(manager.search_memory("../alice", "x"))
    assert not store.fs.path("users", "carol").exists()
