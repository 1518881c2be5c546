"""RAG sessions: per-message context files, limits, usage tracking, statistics, formatting."""

from __future__ import annotations

import json
import re
from asyncio import run

import pytest

from flatfile_chat.errors import AlreadyExists, NotFound, SecurityError, ValidationError


def _context_file(store, user: str, session: str, message_id: str) -> dict:
    path = (
        store.root
        / "users"
        / user
        / "rag_sessions"
        / session
        / "rag_context"
        / f"msg_{message_id}_context.json"
    )
    return json.loads(path.read_text())


def test_message_contexts_are_limited_thresholded_and_stored(rag, kb, store, bio_kb, corpus):
    run(kb.add_document_to_kb("alice", bio_kb, "history.txt", corpus.history))
    run(rag.initialize_rag_session("alice", "chat1", [bio_kb], {"max_context_per_message": 1}))
    contexts = run(
        rag.get_rag_context_for_message(
            "alice", "chat1", "chlorophyll light", "msg_a1", max_context_chunks=5
        )
    )
    assert len(contexts) == 1
    stored = _context_file(store, "alice", "chat1", "msg_a1")
    assert [c["context_id"] for c in stored["contexts"]] == [contexts[0].context_id]
    assert stored["contexts"][0]["relevance_score"] >= 0.5
    assert stored["contexts"][0]["kb_id"] == bio_kb
    assert stored["retrieval_metadata"]["max_contexts"] == 1
    with pytest.raises(AlreadyExists):
        run(rag.get_rag_context_for_message("alice", "chat1", "again", "msg_a1"))
    assert store.check_integrity() == []


def test_no_match_stores_an_empty_context_list(rag, store, bio_kb):
    run(rag.initialize_rag_session("alice", "chat2", [bio_kb]))
    assert run(rag.get_rag_context_for_message("alice", "chat2", "football scores", "msg_b1")) == []
    assert _context_file(store, "alice", "chat2", "msg_b1")["contexts"] == []


def test_usage_tracking_and_statistics(rag, store, bio_kb):
    run(rag.initialize_rag_session("alice", "chat3", [bio_kb]))
    contexts = run(rag.get_rag_context_for_message("alice", "chat3", "mitochondria ATP", "msg_c1"))
    used = contexts[0].context_id
    run(rag.track_context_usage("alice", "chat3", "msg_c1", [used], "helpful"))
    result = run(rag.track_context_usage("alice", "chat3", "msg_c1", [used]))
    assert result["usage_counts"] == {used: 2}
    stored = {
        c["context_id"]: c for c in _context_file(store, "alice", "chat3", "msg_c1")["contexts"]
    }
    assert stored[used]["used_in_response"] is True and stored[used]["usage_count"] == 2
    with pytest.raises(NotFound):
        run(rag.track_context_usage("alice", "chat3", "msg_c1", ["ctx_000000000000"]))
    stats = run(rag.get_session_rag_statistics("alice", "chat3"))
    assert stats["messages_processed"] == 1 and stats["contexts_used"] == 1
    assert stats["total_usage_count"] == 2 and stats["feedback"] == {"helpful": 1}
    assert stats["kb_retrievals"] == {bio_kb: len(contexts)}


def test_session_needs_readable_kbs(rag, kb, bio_kb):
    with pytest.raises(SecurityError):
        run(rag.initialize_rag_session("bob", "chat4", [bio_kb]))
    run(kb.set_kb_sharing("alice", bio_kb, sharing_enabled=True, access_permissions=["bob"]))
    run(rag.initialize_rag_session("bob", "chat4", [bio_kb]))
    assert run(rag.get_rag_context_for_message("bob", "chat4", "chlorophyll", "m1"))
    run(kb.set_kb_sharing("alice", bio_kb, sharing_enabled=False))
    assert run(rag.get_rag_context_for_message("bob", "chat4", "chlorophyll", "m2")) == []
    with pytest.raises(AlreadyExists):
        run(rag.initialize_rag_session("bob", "chat4", []))
    with pytest.raises(ValidationError):
        run(rag.initialize_rag_session("bob", "chat5", [], {"retrieval_strategy": "magic"}))


def test_injection_modes_and_visibility(rag, bio_kb):
    run(rag.initialize_rag_session("alice", "fmt", [bio_kb]))
    contexts = run(rag.get_rag_context_for_message("alice", "fmt", "chlorophyll", "m1"))
    hidden = run(rag.format_context_for_injection(contexts, "automatic"))
    assert hidden.startswith("[Context 1]: ") and "[1] Biology notes, chunk" in hidden
    visible = run(rag.format_context_for_injection(contexts, "explicit", False))
    assert visible.startswith("**Relevant Information 1** (Source: Biology notes):")
    assert "[1]" not in visible
    hybrid = run(rag.format_context_for_injection(contexts, "hybrid"))
    assert hybrid.startswith("[Context 1]: ") and "\n\nSources:\n[1] " in hybrid
    assert run(rag.format_context_for_injection(contexts, "visible")) == run(
        rag.format_context_for_injection(contexts, "explicit")
    )
    assert run(rag.format_session_context("alice", "fmt", contexts)) == hidden
    with pytest.raises(ValidationError):
        run(rag.format_context_for_injection(contexts, "loud"))
    assert run(rag.format_context_for_injection([], "automatic")) == ""


def test_formatting_refuses_partial_or_non_list_contexts(rag, bio_kb):
    """A mapping that is not a whole context (e.g. hand-written in a scenario) is a
    ValidationError naming its position and field, not a TypeError from a citation."""
    run(rag.initialize_rag_session("alice", "partial", [bio_kb]))
    contexts = run(rag.get_rag_context_for_message("alice", "partial", "chlorophyll", "m1"))
    whole = contexts[0].model_dump()
    assert run(rag.format_context_for_injection([whole], "automatic")).startswith("[Context 1]")
    for bad, named in (
        ([{}], "contexts[0]: context_id"),
        ([whole, {**whole, "chunk_index": None}], "contexts[1]: chunk_index"),
    ):
        with pytest.raises(ValidationError, match=re.escape(named)):
            run(rag.format_context_for_injection(bad, "hybrid"))
    for not_a_list in ("text", 3, {"content": "x"}):
        with pytest.raises(ValidationError, match="contexts must be a list"):
            run(rag.format_context_for_injection(not_a_list, "automatic"))
