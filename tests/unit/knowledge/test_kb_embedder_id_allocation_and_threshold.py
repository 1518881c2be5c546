"""Knowledge bases: the key an embedder mismatch names, the message when no fresh kb_id can
be allocated, and the integrity issue for a stored context scoring under the threshold."""

from __future__ import annotations

from asyncio import run

import pytest

from flatfile_chat.errors import AlreadyExists, ValidationError
from flatfile_chat.knowledge import FFKnowledgeBaseManager


def test_a_kb_embedded_by_another_model_is_refused_under_key_embedding_model(
    store, kb, blind_embedder, corpus
) -> None:
    record = run(kb.create_knowledge_base("alice", "Biology"))
    other = FFKnowledgeBaseManager(store, embedder=blind_embedder)
    try:
        with pytest.raises(ValidationError) as caught:
            run(other.add_document_to_kb("alice", record.kb_id, "bio.txt", corpus.biology))
    finally:
        other.close()
    assert caught.value.key == "embedding_model"
    assert "run_kb_maintenance re-embeds it" in str(caught.value)


def test_no_fresh_kb_id_left_is_refused_with_its_message(store, kb, monkeypatch) -> None:
    monkeypatch.setattr(
        store.ctx.ids, "prefixed", lambda prefix, length=12: f"{prefix}_" + "0" * 12
    )
    first = run(kb.create_knowledge_base("alice", "One"))
    assert first.kb_id == "kb_000000000000"
    with pytest.raises(AlreadyExists) as caught:
        run(kb.create_knowledge_base("alice", "Two"))
    assert str(caught.value) == "could not allocate a fresh kb_id"
    assert caught.value.key == "kb_id"


def test_integrity_names_a_stored_context_scoring_under_the_threshold(rag, store, bio_kb) -> None:
    run(rag.initialize_rag_session("alice", "chat1", [bio_kb]))
    contexts = run(rag.get_rag_context_for_message("alice", "chat1", "chlorophyll", "msg_a1"))
    assert contexts
    assert store.check_integrity() == []
    (config_path,) = [p for p in store.root.rglob("session_config.json") if "chat1" in p.as_posix()]
    session = store.fs.read_json(config_path)
    session["config"]["context_quality_threshold"] = 1.5  # every stored score is now under it
    store.fs.write_json(config_path, session)

    issues = [i for i in store.check_integrity() if i.kind == "counter_mismatch"]
    assert [i.detail for i in issues] == [
        f"context {c.context_id} scores {c.relevance_score}, under the threshold" for c in contexts
    ]
