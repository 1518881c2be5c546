"""Hybrid fusion, keyword-only hits, cross-KB coverage, the retrieval cache, access control."""

from __future__ import annotations

import json
from asyncio import run

import pytest

from flatfile_chat.audit import AuditLog
from flatfile_chat.errors import LimitExceeded, NotFound, SecurityError
from flatfile_chat.knowledge import FFKnowledgeBaseManager


def test_keyword_only_hit_passes_the_session_threshold(store, users, blind_embedder, corpus):
    manager = FFKnowledgeBaseManager(store, embedder=blind_embedder)
    record = run(manager.create_knowledge_base("alice", "Bio"))
    run(manager.add_document_to_kb("alice", record.kb_id, "bio.txt", corpus.biology))
    result = run(
        manager.retrieve_context(
            "alice",
            "chlorophyll photosynthesis",
            [record.kb_id],
            retrieval_strategy="hybrid_retrieval",
            min_relevance=0.5,
        )
    )
    assert result.contexts, "a chunk with every query word must pass a 0.5 threshold"
    top = result.contexts[0]
    assert top.metadata["semantic_score"] == 0.0 and top.retrieval_method == "keyword"
    assert top.relevance_score == pytest.approx(1.0)


def test_hybrid_is_never_below_either_signal(kb, bio_kb):
    hybrid = run(kb.retrieve_context("alice", "chlorophyll light leaves", [bio_kb]))
    for context in hybrid.contexts:
        assert context.relevance_score >= context.metadata["keyword_score"] - 1e-9
        assert context.relevance_score >= context.metadata["semantic_score"] - 1e-9


def test_unrelated_query_returns_nothing(kb, bio_kb):
    result = run(
        kb.retrieve_context(
            "alice", "quarterly revenue forecast spreadsheet", [bio_kb], min_relevance=0.5
        )
    )
    assert result.contexts == [] and result.kb_coverage == {}


def test_cross_kb_retrieval_reports_coverage(kb, bio_kb, corpus):
    other = run(kb.create_knowledge_base("alice", "History"))
    run(kb.add_document_to_kb("alice", other.kb_id, "history.txt", corpus.history))
    result = run(
        kb.retrieve_context(
            "alice", "light king", max_results=5, retrieval_strategy="keyword_matching"
        )
    )
    assert set(result.kbs_searched) == {bio_kb, other.kb_id}
    assert set(result.kb_coverage) == {bio_kb, other.kb_id}
    assert sum(result.kb_coverage.values()) == len(result.contexts)
    with pytest.raises(LimitExceeded):
        run(kb.retrieve_context("alice", "light", max_results=500))


def test_cache_is_used_and_invalidated_on_add(kb, store, bio_kb, corpus):
    query = "printing press Gutenberg"
    first = run(kb.retrieve_context("alice", query, [bio_kb]))
    assert first.contexts == [] and first.cache_hits == 0
    again = run(kb.retrieve_context("alice", query, [bio_kb]))
    assert again.cache_hits == 1
    cache_dir = store.root / "users" / "alice" / "knowledge_bases" / bio_kb / "retrieval_cache"
    assert [p.name for p in (cache_dir / "query_cache").glob("*.json")]  # the entry's shard
    run(kb.add_document_to_kb("alice", bio_kb, "history.txt", corpus.history))
    header = json.loads((cache_dir / "query_cache.json").read_text())
    assert header["fingerprint"] == run(kb.get_knowledge_base("alice", bio_kb)).index_fingerprint
    assert list((cache_dir / "query_cache").glob("*.json")) == []
    after = run(kb.retrieve_context("alice", query, [bio_kb]))
    assert after.cache_hits == 0
    assert any("Gutenberg" in c.content for c in after.contexts)


def test_another_users_kb_is_refused_and_audited(kb, store, bio_kb):
    with pytest.raises(SecurityError):
        run(kb.retrieve_context("bob", "chlorophyll", [bio_kb]))
    with pytest.raises(SecurityError):
        run(kb.get_knowledge_base("bob", bio_kb))
    assert [k.kb_id for k in run(kb.get_user_knowledge_bases("bob", include_shared=True))] == []
    assert run(kb.retrieve_context("bob", "chlorophyll")).contexts == []
    denied = AuditLog(store.ctx).entries(event_type="kb_access_denied")
    assert len(denied) == 2 and {d["outcome"] for d in denied} == {"denied"}
    with pytest.raises(NotFound):
        run(kb.get_knowledge_base("bob", "kb_000000000000"))


def test_shared_kb_is_readable_by_the_permitted_user_only(kb, bio_kb):
    run(kb.set_kb_sharing("alice", bio_kb, sharing_enabled=True, access_permissions=["bob"]))
    result = run(kb.retrieve_context("bob", "chlorophyll", [bio_kb]))
    assert result.contexts and {c.kb_id for c in result.contexts} == {bio_kb}
    assert [k.kb_id for k in run(kb.get_user_knowledge_bases("bob", include_shared=True))] == [
        bio_kb
    ]
    with pytest.raises(SecurityError):
        run(kb.retrieve_context("carol", "chlorophyll", [bio_kb]))
    with pytest.raises(SecurityError, match="owner"):  # readers never write
        run(kb.add_document_to_kb("bob", bio_kb, "mine.txt", "bob's text"))
    with pytest.raises(SecurityError):
        run(kb.set_kb_sharing("bob", bio_kb, sharing_enabled=True, access_permissions=["bob"]))
    run(kb.set_kb_sharing("alice", bio_kb, sharing_enabled=False, access_permissions=["bob"]))
    with pytest.raises(SecurityError):
        run(kb.retrieve_context("bob", "chlorophyll", [bio_kb]))


def test_temporal_relevance_decays_with_age(kb, bio_kb, clock):
    fresh = run(
        kb.retrieve_context(
            "alice",
            "chlorophyll leaves",
            [bio_kb],
            retrieval_strategy="temporal_relevance",
            min_relevance=0.0,
        )
    )
    clock.advance(hours=5)
    old = run(
        kb.retrieve_context(
            "alice",
            "chlorophyll leaves",
            [bio_kb],
            retrieval_strategy="temporal_relevance",
            min_relevance=0.0,
        )
    )
    assert old.contexts[0].relevance_score < fresh.contexts[0].relevance_score
