"""Ingest, counts, quotas, delete everywhere, aligned vectors, maintenance."""

from __future__ import annotations

import io
import json
from asyncio import run
from pathlib import Path

import numpy as np
import pytest

from flatfile_chat.errors import AlreadyExists, LimitExceeded, StorageCorrupted, ValidationError
from flatfile_chat.knowledge import FFKnowledgeBaseManager


def _kb_dir(root: Path, user: str, kb_id: str) -> Path:
    return root / "users" / user / "knowledge_bases" / kb_id


def _index_files(folder: Path) -> tuple[list[dict], list[dict], np.ndarray]:
    vectors = folder / "vectors"
    read = lambda name: [json.loads(x) for x in (vectors / name).read_text().splitlines()]  # noqa: E731
    matrix = np.load(io.BytesIO((vectors / "embeddings.npy").read_bytes()))
    return read("vector_index.jsonl"), read("chunk_index.jsonl"), matrix


def test_ingest_then_retrieve_the_right_chunk(kb, store, corpus):
    record = run(
        kb.create_knowledge_base(
            "alice",
            "Mixed",
            config_overrides={"chunk_size": 120, "chunk_overlap": 0, "min_chunk_size": 0},
        )
    )
    assert record.kb_id.startswith("kb_") and len(record.kb_id) == 15
    bio = run(kb.add_document_to_kb("alice", record.kb_id, "bio.txt", corpus.biology))
    run(kb.add_document_to_kb("alice", record.kb_id, "history.md", corpus.history))
    result = run(
        kb.retrieve_context(
            "alice", "Where was the Magna Carta sealed?", [record.kb_id], max_results=3
        )
    )
    top = result.contexts[0]
    assert "Runnymede" in top.content and top.relevance_score >= 0.5
    hits = run(kb.retrieve_context("alice", "mitochondria ATP", [record.kb_id]))
    best = hits.contexts[0]
    assert best.document_id == bio.doc_id and "ATP" in best.content
    assert corpus.biology[best.char_start : best.char_end] == best.content


def test_kb_config_counts_equal_what_is_indexed(kb, store, bio_kb):
    run(kb.add_document_to_kb("alice", bio_kb, "tiny.txt", "Hi."))
    folder = _kb_dir(store.root, "alice", bio_kb)
    config = json.loads((folder / "kb_config.json").read_text())
    vectors, chunks, matrix = _index_files(folder)
    documents = json.loads((folder / "documents" / "metadata.json").read_text())
    assert config["document_count"] == len(documents) == 2
    assert config["total_chunks"] == len(chunks) == len(vectors) == matrix.shape[0]
    assert config["embedding_count"] == matrix.shape[0]
    assert [v["vector_index"] for v in vectors] == list(range(len(vectors)))
    assert {v["document_id"] for v in vectors} == set(documents)
    assert matrix.dtype == np.float32
    assert store.check_integrity() == []


def test_delete_removes_document_everywhere_and_keeps_vectors_aligned(kb, store, bio_kb, corpus):
    run(kb.add_document_to_kb("alice", bio_kb, "history.txt", corpus.history))
    biology = run(kb.list_kb_documents("alice", bio_kb))[0]  # the first rows of the index
    folder = _kb_dir(store.root, "alice", bio_kb)
    _vectors, before_chunks, before_matrix = _index_files(folder)
    kept_rows = [i for i, c in enumerate(before_chunks) if c["document_id"] != biology.doc_id]
    run(kb.delete_document("alice", bio_kb, biology.doc_id))
    vectors, chunks, matrix = _index_files(folder)
    assert chunks and all(c["document_id"] != biology.doc_id for c in chunks)
    assert [v["vector_index"] for v in vectors] == list(range(len(vectors)))
    assert [v["chunk_id"] for v in vectors] == [c["chunk_id"] for c in chunks]
    assert np.array_equal(matrix, before_matrix[kept_rows])
    assert not list((folder / "documents").glob(f"{biology.doc_id}_*"))
    assert biology.doc_id not in json.loads((folder / "documents" / "metadata.json").read_text())
    result = run(
        kb.retrieve_context(
            "alice", "chlorophyll mitochondria", [bio_kb], retrieval_strategy="keyword_matching"
        )
    )
    assert result.contexts == []
    assert run(kb.retrieve_context("alice", "Magna Carta", [bio_kb])).contexts
    config = json.loads((folder / "kb_config.json").read_text())
    assert config["document_count"] == 1 and config["total_chunks"] == len(chunks)
    assert store.check_integrity() == []


def test_quotas_refuse_and_write_nothing(make_store, store, users):
    small = make_store(
        root=store.root,
        seed=3,
        overrides={
            "knowledge_base": {
                "max_knowledge_bases_per_user": 1,
                "max_documents_per_kb": 1,
                "max_kb_size_mb": 0.0001,
            }
        },
    )
    manager = FFKnowledgeBaseManager(small)
    record = run(manager.create_knowledge_base("alice", "Only"))
    with pytest.raises(LimitExceeded, match="max_knowledge_bases_per_user"):
        run(manager.create_knowledge_base("alice", "Second"))
    with pytest.raises(LimitExceeded, match="max_kb_size_mb"):
        run(manager.add_document_to_kb("alice", record.kb_id, "big.txt", "x" * 200))
    run(manager.add_document_to_kb("alice", record.kb_id, "small.txt", "tiny text"))
    with pytest.raises(LimitExceeded, match="max_documents_per_kb"):
        run(manager.add_document_to_kb("alice", record.kb_id, "more.txt", "more"))
    assert run(manager.get_knowledge_base("alice", record.kb_id)).document_count == 1


def test_a_failed_index_write_leaves_no_orphan_document(kb, store, bio_kb, corpus, monkeypatch):
    from flatfile_chat.knowledge import index_files

    folder = _kb_dir(store.root, "alice", bio_kb) / "documents"
    before = sorted(p.name for p in folder.iterdir())

    def disk_full(*_args, **_kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(index_files, "write", disk_full)
    with pytest.raises(OSError, match="No space left"):
        run(kb.add_document_to_kb("alice", bio_kb, "history.txt", corpus.history))
    assert sorted(p.name for p in folder.iterdir()) == before
    assert store.check_integrity() == []
    assert run(kb.get_knowledge_base("alice", bio_kb)).document_count == 1


def test_duplicates_names_and_bad_input_are_refused(kb, bio_kb, corpus):
    with pytest.raises(AlreadyExists):
        run(kb.add_document_to_kb("alice", bio_kb, "again.txt", corpus.biology))
    with pytest.raises(AlreadyExists):
        run(kb.create_knowledge_base("alice", "biology"))
    with pytest.raises(ValidationError):
        run(kb.add_document_to_kb("alice", bio_kb, "empty.txt", "   "))
    with pytest.raises(ValidationError):
        run(kb.add_document_to_kb("alice", bio_kb, "bin.txt", b"\xff\xfe"))
    with pytest.raises(ValidationError):
        run(kb.create_knowledge_base("alice", "X", config_overrides={"chunk_overlap": 600}))
    assert run(kb.get_knowledge_base("alice", bio_kb)).document_count == 1


def test_misaligned_files_are_refused_then_repaired_by_maintenance(kb, store, bio_kb):
    folder = _kb_dir(store.root, "alice", bio_kb)
    vectors_file = folder / "vectors" / "vector_index.jsonl"
    lines = vectors_file.read_text().splitlines()
    vectors_file.write_text("\n".join(lines[:-1]) + "\n" if len(lines) > 1 else "")
    fresh = FFKnowledgeBaseManager(store)
    with pytest.raises(StorageCorrupted, match="disagree"):
        run(fresh.retrieve_context("alice", "chlorophyll", [bio_kb]))
    assert store.check_integrity() != []
    report = run(fresh.run_kb_maintenance("alice", bio_kb))
    assert report["success"] and "optimized_indices" in report["tasks_completed"]
    assert store.check_integrity() == []
    assert run(fresh.retrieve_context("alice", "chlorophyll", [bio_kb])).contexts


def test_concurrent_writers_and_readers_keep_the_index_aligned(make_store, store, users):
    import threading

    owner = FFKnowledgeBaseManager(store)
    kb_id = run(owner.create_knowledge_base("alice", "Shared writes")).kb_id
    errors: list[BaseException] = []

    def writer(n: int) -> None:
        other = make_store(root=store.root, seed=100 + n)
        manager = FFKnowledgeBaseManager(other)
        try:
            for i in range(4):
                run(
                    manager.add_document_to_kb(
                        "alice", kb_id, f"w{n}_{i}.txt", f"writer {n} note {i} about topic{n}x{i}"
                    )
                )
                run(manager.retrieve_context("alice", f"topic{n}x{i}", [kb_id]))
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    record = run(owner.get_knowledge_base("alice", kb_id))
    assert record.document_count == 12 == record.total_chunks == record.embedding_count
    assert store.check_integrity() == []
    hit = run(owner.retrieve_context("alice", "topic2x3", [kb_id]))
    assert "topic2x3" in hit.contexts[0].content


def test_a_session_document_is_indexed_with_its_source(store, kb) -> None:
    from asyncio import run as arun

    sid = arun(store.create_session("alice")).session_id
    doc = arun(
        store.store_document(
            "alice", sid, "notes.md", b"The burette reading marked the equivalence point."
        )
    )
    base = arun(kb.create_knowledge_base("alice", "lab"))
    added = arun(kb.add_session_document("alice", base.kb_id, sid, doc.filename))
    assert added.metadata["source_document"] == f"{sid}/{doc.filename}"
    assert added.original_path == "notes.md"
    hits = arun(kb.retrieve_context("alice", "burette equivalence", [base.kb_id]))
    assert hits.contexts[0].document_id == added.doc_id
    png = arun(store.store_document("alice", sid, "x.png", b"\x89PNG\r\n\x1a\n\x00\xff"))
    with pytest.raises(ValidationError):
        arun(kb.add_session_document("alice", base.kb_id, sid, png.filename))
