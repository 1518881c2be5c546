"""Panel, knowledge-base and RAG actions: factories, component bookkeeping, ``world.restart``,
``kb.index_stats`` and the ``from_document`` option."""

from __future__ import annotations

import pytest

from prism_scenarios.engine import ScenarioRun
from prism_scenarios.errors import ScenarioError

W = "test"
SOLAR = "Solar panels turn sunlight into electricity. Their output drops in winter."


@pytest.fixture
def run():
    with ScenarioRun() as scenario:
        yield scenario


def _panel(run: ScenarioRun, owner: str | None = None, **config) -> None:
    run.step(
        "panel.create",
        {
            "panel_id": "p1",
            "session_type": "multi_persona",
            "owner_user_id": owner,
            "session_config": config,
            "participants": [{"participant_id": "a"}, {"participant_id": "b"}],
        },
        where=W,
    )


def _kb(run: ScenarioRun, user: str = "alice") -> str:
    run.step("user.create", {"user_id": user}, where=W)
    run.step("kb.create", {"user_id": user, "name": "Energy"}, where=W, save={"kb": "kb_id"})
    return run.world.variables["kb"]


def test_panel_create_returns_the_stored_config(run: ScenarioRun) -> None:
    _panel(run)
    assert run.last_result["panel_id"] == "p1"
    assert run.last_result["session_rules"]["max_consecutive_messages"] == 3
    assert run.components_used == {"panel_session"}


def test_memory_layer_counted_only_when_an_insight_is_copied(run: ScenarioRun) -> None:
    run.step("user.create", {"user_id": "alice"}, where=W)
    _panel(run)  # no owner: insights stay in the panel
    run.step("panel.insight", {"panel_id": "p1", "content": "x"}, where=W)
    assert run.last_result["metadata"]["memory_target"] is None
    assert "memory_layer" not in run.components_used
    run.step(
        "panel.say",
        {"panel_id": "p1", "participant_id": "a", "content": "My recommendation is solar."},
        where=W,
    )
    assert "memory_layer" not in run.components_used

    run.step(
        "panel.create",
        {
            "panel_id": "p2",
            "session_type": "multi_persona",
            "owner_user_id": "alice",
            "participants": [{"participant_id": "a"}, {"participant_id": "b"}],
        },
        where=W,
    )
    run.step(
        "panel.say",
        {"panel_id": "p2", "participant_id": "a", "content": "My recommendation is solar."},
        where=W,
    )
    assert "memory_layer" in run.components_used
    lines = run.step(
        "files.read_jsonl", {"path": "users/alice/memory_layers/medium_term.jsonl"}, where=W
    )
    assert [line["metadata"]["panel_id"] for line in lines] == ["p2"]


def test_personas_counted_when_a_participant_is_a_persona(run: ScenarioRun) -> None:
    run.step("persona.store", {"persona": {"persona_id": "critic", "name": "Critic"}}, where=W)
    run.step(
        "panel.create",
        {
            "panel_id": "p1",
            "session_type": "focus_group",
            "participants": [
                {"participant_id": "a", "persona_id": "critic"},
                {"participant_id": "b"},
            ],
        },
        where=W,
    )
    assert "personas" in run.components_used
    run.step(
        "panel.create",
        {
            "panel_id": "p2",
            "session_type": "focus_group",
            "participants": [
                {"participant_id": "a", "persona_id": "ghost"},
                {"participant_id": "b"},
            ],
        },
        where=W,
        raises={"error": "NotFound"},
    )


def test_restart_builds_fresh_managers_over_the_same_root(run: ScenarioRun) -> None:
    _panel(run)
    before = run.world.manager("panel_session")
    store_before = run.world.store
    result = run.step("world.restart", {}, where=W)
    assert "panel_session" in result["dropped"] and "memory_layer" in result["dropped"]
    assert run.world._managers == {}
    run.step("panel.say", {"panel_id": "p1", "participant_id": "a", "content": "hi"}, where=W)
    assert run.world.manager("panel_session") is not before
    assert run.world.store is not store_before
    assert run.world.store.ctx.fs.root == store_before.ctx.fs.root
    assert run.last_result["conversation_turn"] == 1


def test_index_stats_sees_aligned_and_misaligned_files(run: ScenarioRun) -> None:
    kb = _kb(run)
    empty = run.step("kb.index_stats", {"user_id": "alice", "kb_id": kb}, where=W)
    assert empty["aligned"] is True and empty["embeddings_rows"] == 0
    run.step(
        "kb.add_document",
        {"user_id": "alice", "kb_id": kb, "document_path": "s.md", "text": SOLAR},
        where=W,
    )
    stats = run.step("kb.index_stats", {"user_id": "alice", "kb_id": kb}, where=W)
    assert stats["aligned"] is True
    assert stats["embeddings_rows"] == stats["vector_index_lines"] == stats["bm25_docs"] == 1
    assert stats["embeddings_dims"] == 384
    # Drop the last vector_index line behind the manager's back: no longer aligned.
    path = (
        run.world.store_root
        / "users"
        / "alice"
        / "knowledge_bases"
        / kb
        / "vectors"
        / "vector_index.jsonl"
    )
    path.write_text("")
    stats = run.step("kb.index_stats", {"user_id": "alice", "kb_id": kb}, where=W)
    assert stats["aligned"] is False and stats["vector_index_lines"] == 0
    run.step(
        "kb.index_stats",
        {"user_id": "alice", "kb_id": "kb_000000000000"},
        where=W,
        raises={"error": "NotFound"},
    )


def test_add_document_from_a_session_document(run: ScenarioRun) -> None:
    kb = _kb(run)
    run.step("session.create", {"user_id": "alice"}, where=W, save={"s1": "session_id"})
    run.step(
        "documents.upload",
        {"user_id": "alice", "session_id": "${s1}", "filename": "solar.md", "text": SOLAR},
        where=W,
        save={"f": "filename"},
    )
    doc = run.step(
        "kb.add_document",
        {
            "user_id": "alice",
            "kb_id": kb,
            "from_document": {"session_id": "${s1}", "filename": "${f}"},
        },
        where=W,
    )
    assert doc["original_path"] == "solar.md"
    assert doc["content_length"] == len(SOLAR)
    assert {"documents", "knowledge_base"} <= run.components_used
    # a bad combination is the scenario's mistake, reported with the parameters
    with pytest.raises(ScenarioError, match="exactly one of text, from_document"):
        run.step(
            "kb.add_document", {"user_id": "alice", "kb_id": kb, "document_path": "x.md"}, where=W
        )
    with pytest.raises(ScenarioError, match="document_path is required"):
        run.step("kb.add_document", {"user_id": "alice", "kb_id": kb, "text": "x"}, where=W)


def test_rag_actions_share_the_kb_manager(run: ScenarioRun) -> None:
    kb = _kb(run)
    run.step(
        "kb.add_document",
        {"user_id": "alice", "kb_id": kb, "document_path": "s.md", "text": SOLAR},
        where=W,
    )
    run.step("rag.init", {"user_id": "alice", "session_id": "r1", "kb_ids": [kb]}, where=W)
    assert run.world.manager("rag_context").kb_manager is run.world.manager("knowledge_base")
    contexts = run.step(
        "rag.context",
        {
            "user_id": "alice",
            "session_id": "r1",
            "message_id": "m1",
            "message": "why does output drop in winter?",
        },
        where=W,
    )
    assert contexts and contexts[0]["kb_id"] == kb
    text = run.step(
        "rag.format_session",
        {"user_id": "alice", "session_id": "r1", "contexts": contexts},
        where=W,
    )
    assert text.startswith("[Context 1]: ")
