"""What the retrieval fast path must not give up: another writer's change invalidates the
memoised index and the cache, the cache stays within its capacity, the batched query counters
reach the file (on reads, every ``stats_flush_every`` queries, on close), and keyword candidates
are chosen deterministically."""

from __future__ import annotations

import json
from asyncio import run

from flatfile_chat.knowledge import FFKnowledgeBaseManager
from flatfile_chat.knowledge.cache import shard_layout
from flatfile_chat.knowledge.keyword import KeywordIndex


def _stats_file(store, user: str, kb_id: str):
    return (
        store.root
        / "users"
        / user
        / "knowledge_bases"
        / kb_id
        / "retrieval_cache"
        / "performance_stats.json"
    )


def test_another_writers_change_invalidates_the_index_memo_and_the_cache(
    make_store, store, users, corpus, kb, bio_kb
):
    query = "printing press Gutenberg"
    first = run(kb.retrieve_context("alice", query, [bio_kb]))
    assert first.contexts == []
    assert run(kb.retrieve_context("alice", query, [bio_kb])).cache_hits == 1
    # Another process: its own store object and manager over the same root.
    other_store = make_store(root=store.root, seed=2)
    other = FFKnowledgeBaseManager(other_store)
    run(other.add_document_to_kb("alice", bio_kb, "history.txt", corpus.history))
    after = run(kb.retrieve_context("alice", query, [bio_kb]))
    assert after.cache_hits == 0
    assert any("Gutenberg" in c.content for c in after.contexts)
    chunks = run(kb.get_document_chunks("alice", bio_kb))
    assert len(chunks) == run(other.get_knowledge_base("alice", bio_kb)).total_chunks
    # ... and a delete there is seen here too.
    doc = run(other.list_kb_documents("alice", bio_kb))[-1]
    run(other.delete_document("alice", bio_kb, doc.doc_id))
    gone = run(kb.retrieve_context("alice", query, [bio_kb]))
    assert gone.cache_hits == 0 and gone.contexts == []


def test_the_cache_never_holds_more_than_max_cache_entries(make_store, corpus):
    store = make_store(overrides={"knowledge_base": {"max_cache_entries": 3}})
    run(store.create_user("alice"))
    kb = FFKnowledgeBaseManager(store)
    kb_id = run(kb.create_knowledge_base("alice", "Bio")).kb_id
    run(kb.add_document_to_kb("alice", kb_id, "bio.txt", corpus.biology))
    queries = ["light", "leaves", "cell", "energy", "respiration", "chlorophyll", "blue"]
    for query in queries:
        run(kb.retrieve_context("alice", query, [kb_id]))
    shards = (
        store.root
        / "users"
        / "alice"
        / "knowledge_bases"
        / kb_id
        / "retrieval_cache"
        / "query_cache"
    )
    stored = [
        key for path in shards.glob("*.json") for key in json.loads(path.read_text())["entries"]
    ]
    assert 1 <= len(stored) <= 3
    assert shard_layout(3) == (3, 1) and shard_layout(1000) == (64, 15)


def test_query_counters_are_batched_but_never_lost(make_store, corpus):
    store = make_store()
    run(store.create_user("alice"))
    kb = FFKnowledgeBaseManager(store, stats_flush_every=3)
    kb_id = run(kb.create_knowledge_base("alice", "Bio")).kb_id
    run(kb.add_document_to_kb("alice", kb_id, "bio.txt", corpus.biology))
    path = _stats_file(store, "alice", kb_id)
    for query in ("light", "cell"):
        run(kb.retrieve_context("alice", query, [kb_id]))
    assert not path.exists()  # two pending counts
    run(kb.retrieve_context("alice", "leaves", [kb_id]))
    assert json.loads(path.read_text())["query_count"] == 3  # the third query flushed
    run(kb.retrieve_context("alice", "light", [kb_id]))
    assert run(kb.get_knowledge_base("alice", kb_id)).query_count == 4  # reads flush first
    run(kb.retrieve_context("alice", "cell", [kb_id]))
    kb.close()
    stats = json.loads(path.read_text())
    assert stats["query_count"] == 5 and stats["cache_hits"] == 2
    assert stats["last_query_at"] == "2026-01-01T09:00:00.000000+00:00"
    # Write-through when asked for.
    eager = FFKnowledgeBaseManager(store, stats_flush_every=1)
    run(eager.retrieve_context("alice", "energy", [kb_id]))
    assert json.loads(path.read_text())["query_count"] == 6
    analytics = run(eager.get_kb_analytics("alice", kb_id))
    assert analytics["query_count"] == 6


def test_keyword_candidates_are_deterministic_at_the_pool_boundary():
    texts = ["solar"] * 5 + ["wind", "solar solar"]
    index = KeywordIndex.build(texts, "fp")
    hits = index.search("solar", 3)
    # Row 6 has the best BM25 score; rows 0..4 tie, so the lowest rows fill the pool.
    assert hits.rows.tolist()[0] == 6
    assert sorted(hits.rows.tolist()[1:]) == [0, 1]
    again = KeywordIndex.from_bytes(index.to_bytes(), where="x").search("solar", 3)
    assert again.rows.tolist() == hits.rows.tolist()
    assert index.search("nothing here", 3).rows.size == 0


def test_a_repeated_stat_signature_cannot_serve_the_old_index(monkeypatch, kb, bio_kb, corpus):
    """A reused inode within one mtime tick could repeat the files' stat signature; the memo
    is also keyed by the config's index fingerprint, so the change is still seen."""
    from flatfile_chat.knowledge import index_files

    monkeypatch.setattr(index_files, "signature", lambda paths: ("never changes",))
    before = run(kb.retrieve_context("alice", "printing press Gutenberg", [bio_kb]))
    assert before.contexts == []
    run(kb.add_document_to_kb("alice", bio_kb, "history.txt", corpus.history))
    after = run(kb.retrieve_context("alice", "printing press Gutenberg", [bio_kb]))
    assert any("Gutenberg" in c.content for c in after.contexts)


def test_a_dropped_manager_never_writes_counters_from_the_garbage_collector(make_store, corpus):
    """Pending counts are written by explicit calls only: a collector callback would write at
    an arbitrary later moment (during another scenario, whose audit then sees a stray write)."""
    import gc

    store = make_store()
    run(store.create_user("alice"))
    kb = FFKnowledgeBaseManager(store, stats_flush_every=10)
    kb_id = run(kb.create_knowledge_base("alice", "Bio")).kb_id
    run(kb.add_document_to_kb("alice", kb_id, "bio.txt", corpus.biology))
    run(kb.retrieve_context("alice", "light", [kb_id]))
    path = _stats_file(store, "alice", kb_id)
    assert not path.exists()
    del kb
    gc.collect()
    assert not path.exists(), "the collector wrote the pending counters"
