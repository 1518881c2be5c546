"""Knowledge bases: a fresh kb_id is tried exactly 100 times, and the sync retrieval asks for
ten results by default (so a KB capped at ten results still answers)."""

from __future__ import annotations

from asyncio import run

import pytest

from flatfile_chat.errors import AlreadyExists
from flatfile_chat.knowledge import FFKnowledgeBaseManager


def test_a_fresh_kb_id_is_tried_one_hundred_times_and_no_more(store, kb, monkeypatch) -> None:
    taken = "kb_" + "0" * 12
    monkeypatch.setattr(store.ctx.ids, "prefixed", lambda prefix, length=12: taken)
    assert run(kb.create_knowledge_base("alice", "One")).kb_id == taken
    calls: list[int] = []

    def prefixed(prefix: str, length: int = 12) -> str:
        calls.append(1)
        # The 101st attempt would find a free id: only a loop of more than 100 reaches it.
        return taken if len(calls) <= 100 else "kb_" + "1" * 12

    monkeypatch.setattr(store.ctx.ids, "prefixed", prefixed)
    with pytest.raises(AlreadyExists) as caught:
        run(kb.create_knowledge_base("alice", "Two"))
    assert str(caught.value) == "could not allocate a fresh kb_id"
    assert len(calls) == 100


def test_sync_retrieval_defaults_to_ten_results_within_a_cap_of_ten(make_store, corpus) -> None:
    store = make_store(overrides={"knowledge_base": {"max_retrieval_results": 10}})
    run(store.create_user("alice"))
    manager = FFKnowledgeBaseManager(store)
    try:
        record = run(manager.create_knowledge_base("alice", "Biology"))
        run(manager.add_document_to_kb("alice", record.kb_id, "bio.txt", corpus.biology))
        result = manager.retrieve_context_sync("alice", "chlorophyll light", [record.kb_id])
    finally:
        manager.close()
    assert result.kbs_searched == [record.kb_id]
    assert result.min_relevance == 0.3
    assert result.retrieval_strategy.value == "hybrid_retrieval"
    assert [c.content for c in result.contexts] == [corpus.biology]
