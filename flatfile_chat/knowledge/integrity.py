"""Integrity checks over knowledge bases and RAG sessions (what scenarios assert on disk).

Per KB: ``kb_id`` matches ``kb_[0-9a-f]{12}``; ``kb_config.json`` counts equal what is
indexed (document_count = metadata entries, total_chunks = chunk_index lines, embedding_count =
embeddings rows); ``embeddings.npy`` rows = ``vector_index.jsonl`` lines, ``vector_index``
0..n-1 with no gaps; every ``document_id`` resolves in ``documents/metadata.json`` and each
entry has its file; chunk offsets lie within the document. Per RAG message context file: at
most ``max_context_per_message`` contexts, each ≥ the threshold, from an active KB.
"""

from __future__ import annotations

import os
import weakref
from collections.abc import Iterable
from pathlib import Path

from flatfile_chat.errors import FFError, StorageCorrupted
from flatfile_chat.knowledge import index_files
from flatfile_chat.knowledge.index_files import decode_matrix
from flatfile_chat.knowledge.layout import KB_DIR, KB_ID, RAG_DIR, KBPaths, RAGPaths
from flatfile_chat.store import FFStorageManager
from flatfile_chat.store.integrity import Changed, IntegrityChecker, IntegrityIssue, affected
from flatfile_chat.store.layout import StoreContext

_REGISTERED: weakref.WeakSet[IntegrityChecker] = weakref.WeakSet()


def register_checks(store: FFStorageManager) -> None:
    if store.integrity not in _REGISTERED:
        store.integrity.register(check_knowledge_bases)
        store.integrity.register(check_rag_sessions)
        _REGISTERED.add(store.integrity)


def _dirs(path: Path) -> list[Path]:
    try:
        # a symlinked folder is not looked through (the store's link check reports it)
        return sorted(
            path / n
            for n in os.listdir(path)
            if (path / n).is_dir() and not (path / n).is_symlink()
        )
    except FileNotFoundError:
        return []


def check_knowledge_bases(ctx: StoreContext, changed: Changed = None) -> Iterable[IntegrityIssue]:
    """``changed``: paths written since the last check (None: check every KB)."""
    for user_dir in _dirs(ctx.fs.path("users")):
        for kb_dir in _dirs(user_dir / KB_DIR):
            if not affected(changed, kb_dir):
                continue
            try:
                yield from _check_kb(ctx, KBPaths(kb_dir))
            except FFError as exc:
                yield IntegrityIssue("json_invalid", ctx.fs.rel(kb_dir), str(exc))


def _check_kb(ctx: StoreContext, paths: KBPaths) -> Iterable[IntegrityIssue]:
    fs = ctx.fs
    rel = fs.rel(paths.config)
    if not KB_ID.match(paths.root.name):
        yield IntegrityIssue("orphan_file", fs.rel(paths.root), "folder name is not a kb_id")
    config = fs.read_json(paths.config, default=None)
    if config is None:
        yield IntegrityIssue("orphan_file", fs.rel(paths.root), "no kb_config.json")
        return
    documents = fs.read_json(paths.documents_metadata, default={})
    rows = fs.read_jsonl(paths.chunk_index)
    vectors = fs.read_jsonl(paths.vector_index)
    matrix_rows = (
        decode_matrix(fs.read_blob(paths.embeddings), where=fs.rel(paths.embeddings)).shape[0]
        if paths.embeddings.exists()
        else 0
    )
    for key, actual in (
        ("document_count", len(documents)),
        ("total_chunks", len(rows)),
        ("embedding_count", matrix_rows),
    ):
        if config.get(key) != actual:
            yield IntegrityIssue(
                "counter_mismatch", rel, f"{key} is {config.get(key)} but {actual} are indexed"
            )
    if matrix_rows != len(vectors):
        yield IntegrityIssue(
            "counter_mismatch",
            fs.rel(paths.embeddings),
            f"{matrix_rows} rows but vector_index.jsonl has {len(vectors)} lines",
        )
    for line, vector in enumerate(vectors, start=1):
        if vector.get("vector_index") != line - 1:
            yield IntegrityIssue(
                "counter_mismatch",
                fs.rel(paths.vector_index),
                f"vector_index is {vector.get('vector_index')}, expected {line - 1}",
                line,
            )
        if vector.get("document_id") not in documents:
            yield IntegrityIssue(
                "document_missing",
                fs.rel(paths.vector_index),
                f"document_id {vector.get('document_id')!r} is not in documents/metadata.json",
                line,
            )
    for line, row in enumerate(rows, start=1):
        entry = documents.get(row.get("document_id"))
        if (
            entry is not None
            and not 0 <= row["char_start"] < row["char_end"] <= entry["content_length"]
        ):
            yield IntegrityIssue(
                "counter_mismatch",
                fs.rel(paths.chunk_index),
                f"offsets {row['char_start']}..{row['char_end']} outside the "
                f"document ({entry['content_length']} chars)",
                line,
            )
    try:  # the group as a reader loads it: rows, vectors, matrix and bm25 index agree
        index_files.read(fs, paths, int(config["embedding_config"]["dimensions"]))
    except StorageCorrupted as exc:
        yield IntegrityIssue(
            "index_inconsistent", exc.context.get("path", rel), exc.message, exc.context.get("line")
        )
    for doc_id, entry in documents.items():
        if not paths.document_file(entry["filename"]).is_file():
            yield IntegrityIssue(
                "document_missing",
                fs.rel(paths.documents_metadata),
                f"{doc_id} has no file {entry['filename']}",
            )


def check_rag_sessions(ctx: StoreContext, changed: Changed = None) -> Iterable[IntegrityIssue]:
    for user_dir in _dirs(ctx.fs.path("users")):
        for session_dir in _dirs(user_dir / RAG_DIR):
            if not affected(changed, session_dir):
                continue
            try:
                yield from _check_rag(ctx, RAGPaths(session_dir))
            except FFError as exc:
                yield IntegrityIssue("json_invalid", ctx.fs.rel(session_dir), str(exc))


def _check_rag(ctx: StoreContext, paths: RAGPaths) -> Iterable[IntegrityIssue]:
    fs = ctx.fs
    session = fs.read_json(paths.config, default=None)
    if session is None:
        yield IntegrityIssue("orphan_file", fs.rel(paths.root), "no session_config.json")
        return
    config, active = session["config"], set(session["active_knowledge_bases"])
    for message in fs.read_jsonl(paths.messages):
        target = paths.message_context(message["message_id"])
        record = fs.read_json(target, default=None)
        if record is None:
            yield IntegrityIssue(
                "document_missing",
                fs.rel(paths.messages),
                f"message {message['message_id']} has no context file",
            )
            continue
        contexts = record["contexts"]
        if len(contexts) > config["max_context_per_message"]:
            yield IntegrityIssue(
                "counter_mismatch",
                fs.rel(target),
                f"{len(contexts)} contexts, max_context_per_message is "
                f"{config['max_context_per_message']}",
            )
        for context in contexts:
            if context["relevance_score"] < config["context_quality_threshold"]:
                yield IntegrityIssue(
                    "counter_mismatch",
                    fs.rel(target),
                    f"context {context['context_id']} scores "
                    f"{context['relevance_score']}, under the threshold",
                )
            if context["kb_id"] not in active:
                yield IntegrityIssue(
                    "orphan_file",
                    fs.rel(target),
                    f"context {context['context_id']} comes from "
                    f"{context['kb_id']}, not an active knowledge base",
                )
