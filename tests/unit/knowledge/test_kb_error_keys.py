"""Knowledge refusals name the field they are about (``key``/``value``), not only a message."""

from __future__ import annotations

from asyncio import run

import pytest

from flatfile_chat.errors import AlreadyExists, LimitExceeded, SecurityError, ValidationError
from flatfile_chat.knowledge import FFKnowledgeBaseManager, FFRAGContextManager
from flatfile_chat.knowledge.formatting import resolve_mode


def test_access_refusal_names_the_kb(kb, bio_kb) -> None:
    with pytest.raises(SecurityError) as caught:
        run(kb.retrieve_context("bob", "light", [bio_kb]))
    assert (caught.value.key, caught.value.value) == ("kb_id", bio_kb)


def test_size_quota_names_its_setting(make_store, store, users) -> None:
    small = make_store(
        root=store.root, seed=3, overrides={"knowledge_base": {"max_kb_size_mb": 0.0001}}
    )
    manager = FFKnowledgeBaseManager(small)
    try:
        record = run(manager.create_knowledge_base("alice", "Only"))
        with pytest.raises(LimitExceeded) as caught:
            run(manager.add_document_to_kb("alice", record.kb_id, "big.txt", "x" * 200))
        assert caught.value.key == "max_kb_size_mb"
        assert caught.value.message == (
            f"knowledge base {record.kb_id!r} would hold 200 bytes, over max_kb_size_mb (0.0001 MB)"
        )
    finally:
        manager.close()


def test_second_context_for_a_message_names_the_message(kb, bio_kb, rag: FFRAGContextManager):
    run(rag.initialize_rag_session("alice", "r1", [bio_kb]))
    run(rag.get_rag_context_for_message("alice", "r1", "light energy", "m1"))
    with pytest.raises(AlreadyExists) as caught:
        run(rag.get_rag_context_for_message("alice", "r1", "light energy", "m1"))
    assert (caught.value.key, caught.value.value) == ("message_id", "m1")


def test_format_mode_refusals_name_the_value() -> None:
    with pytest.raises(ValidationError) as caught:
        resolve_mode("loud", None)
    assert (caught.value.key, caught.value.value) == ("injection_mode", "loud")
    with pytest.raises(ValidationError) as caught:
        resolve_mode("hybrid", "glowing")
    assert (caught.value.key, caught.value.value) == ("context_visibility", "glowing")
