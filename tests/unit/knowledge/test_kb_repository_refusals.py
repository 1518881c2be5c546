"""Knowledge base refusals that a typed scenario step cannot provoke or whose ``key``/``value``
it cannot see: non-text names and descriptions, document bytes, sharing flags, and the fields
each refusal names."""

from __future__ import annotations

from asyncio import run
from typing import Any

import pytest

from flatfile_chat.errors import AlreadyExists, LimitExceeded, NotFound, ValidationError
from flatfile_chat.knowledge import FFKnowledgeBaseManager


def _refusal(error: type[Exception], call: Any) -> Any:
    with pytest.raises(error) as caught:
        run(call)
    return caught.value


@pytest.mark.parametrize("name", [None, 3, "", " \t", "a\x7fb", "n" * 201])
def test_a_name_must_be_printable_text(kb: FFKnowledgeBaseManager, name: Any) -> None:
    refused = _refusal(ValidationError, kb.create_knowledge_base("alice", name))
    assert str(refused) == "knowledge base name must be 1-200 printable characters"
    assert (refused.key, refused.value) == ("name", name)


def test_a_description_must_be_text(kb: FFKnowledgeBaseManager) -> None:
    refused = _refusal(ValidationError, kb.create_knowledge_base("alice", "A", 3))  # type: ignore[arg-type]
    assert (str(refused), refused.key) == ("description must be a string", "description")


def test_override_refusals_name_their_key(kb: FFKnowledgeBaseManager) -> None:
    unknown = _refusal(
        ValidationError,
        kb.create_knowledge_base("alice", "A", config_overrides={"zz": 1, "aa": 2}),
    )
    assert unknown.key == "aa"  # the first unknown key in sorted order
    tags = _refusal(
        ValidationError, kb.create_knowledge_base("alice", "A", config_overrides={"tags": "x"})
    )
    assert tags.key == "tags"


def test_a_clashing_name_names_itself(kb: FFKnowledgeBaseManager) -> None:
    first = run(kb.create_knowledge_base("alice", "Energy"))
    refused = _refusal(AlreadyExists, kb.create_knowledge_base("alice", " energy "))
    assert str(refused) == (
        f"user 'alice' already has a knowledge base named 'energy' ({first.kb_id})"
    )
    assert (refused.key, refused.value) == ("name", "energy")


@pytest.mark.parametrize("path", [None, " ", "a\nb", "p" * 1001])
def test_a_document_path_must_be_printable(kb: FFKnowledgeBaseManager, path: Any) -> None:
    record = run(kb.create_knowledge_base("alice", "A"))
    refused = _refusal(ValidationError, kb.add_document_to_kb("alice", record.kb_id, path, "x"))
    assert refused.key == "document_path"


def test_a_path_of_1000_characters_is_allowed(kb: FFKnowledgeBaseManager) -> None:
    record = run(kb.create_knowledge_base("alice", "A"))
    path = "d/" * 496 + "x.md"  # 996 + 4 = 1000 characters, a short file name
    entry = run(kb.add_document_to_kb("alice", record.kb_id, path, "text"))
    assert entry.original_path == path


def test_document_bytes_must_be_utf8_text(kb: FFKnowledgeBaseManager) -> None:
    record = run(kb.create_knowledge_base("alice", "A"))
    bad = _refusal(ValidationError, kb.add_document_to_kb("alice", record.kb_id, "a.md", b"\xff"))
    assert (str(bad), bad.key) == ("document_content bytes are not UTF-8 text", "document_content")
    other = _refusal(ValidationError, kb.add_document_to_kb("alice", record.kb_id, "a.md", 3))  # type: ignore[arg-type]
    assert (str(other), other.key) == ("document_content must be text", "document_content")
    entry = run(kb.add_document_to_kb("alice", record.kb_id, "b.md", "é".encode()))
    assert (entry.content_length, entry.size_bytes) == (1, 2)


def test_duplicate_content_names_the_stored_document(kb: FFKnowledgeBaseManager) -> None:
    record = run(kb.create_knowledge_base("alice", "A"))
    run(kb.add_document_to_kb("alice", record.kb_id, "a.md", "first"))
    second = run(kb.add_document_to_kb("alice", record.kb_id, "b.md", "same"))
    refused = _refusal(AlreadyExists, kb.add_document_to_kb("alice", record.kb_id, "c.md", "same"))
    assert (refused.key, refused.value) == ("document_content", second.doc_id)


def test_deleting_an_unknown_document_names_it(kb: FFKnowledgeBaseManager) -> None:
    record = run(kb.create_knowledge_base("alice", "A"))
    refused = _refusal(NotFound, kb.delete_document("alice", record.kb_id, "doc_000000000000"))
    assert (refused.key, refused.value) == ("document_id", "doc_000000000000")


def test_sharing_flags_are_checked(kb: FFKnowledgeBaseManager) -> None:
    record = run(kb.create_knowledge_base("alice", "A"))
    flag = _refusal(
        ValidationError,
        kb.set_kb_sharing("alice", record.kb_id, sharing_enabled="yes"),  # type: ignore[arg-type]
    )
    assert (str(flag), flag.key) == ("sharing_enabled must be true or false", "sharing_enabled")
    # the manager turns any sequence into a list first, so the repository is called directly
    with pytest.raises(ValidationError) as caught:
        kb._repo.set_sharing("alice", record.kb_id, True, "bob")  # type: ignore[arg-type]
    assert (str(caught.value), caught.value.key) == (
        "access_permissions must be a list of user ids",
        "access_permissions",
    )


def test_count_quotas_name_their_setting(make_store, store, users) -> None:
    small = make_store(
        root=store.root,
        seed=5,
        overrides={
            "knowledge_base": {"max_knowledge_bases_per_user": 1, "max_documents_per_kb": 1}
        },
    )
    manager = FFKnowledgeBaseManager(small)
    try:
        record = run(manager.create_knowledge_base("alice", "Only"))
        kbs = _refusal(LimitExceeded, manager.create_knowledge_base("alice", "Second"))
        assert str(kbs) == (
            "user 'alice' already has 1 knowledge bases (max_knowledge_bases_per_user)"
        )
        assert kbs.key == "max_knowledge_bases_per_user"
        run(manager.add_document_to_kb("alice", record.kb_id, "a.md", "first"))
        docs = _refusal(
            LimitExceeded, manager.add_document_to_kb("alice", record.kb_id, "b.md", "second")
        )
        assert str(docs) == (
            f"knowledge base {record.kb_id!r} already holds 1 documents (max_documents_per_kb)"
        )
        assert docs.key == "max_documents_per_kb"
    finally:
        manager.close()
