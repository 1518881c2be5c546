"""KB maintenance and analytics: rebuild everything derivable from ``chunk_index.jsonl`` and
``documents/metadata.json`` (exact duplicates out, vectors re-embedded when the embedder changed
or the files disagree, bm25 rebuilt, counts recomputed, cache emptied, orphan files removed)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from flatfile_chat.errors import StorageCorrupted
from flatfile_chat.knowledge import index_files
from flatfile_chat.knowledge.layout import KBPaths
from flatfile_chat.knowledge.repository import KBRepository


class KBMaintenance:
    def __init__(self, repo: KBRepository) -> None:
        self._repo = repo
        self._fs = repo.fs
        self._ctx = repo.ctx

    def maintenance(self, user_id: str, kb_id: str) -> dict[str, Any]:
        """Rebuild everything derivable from ``chunk_index.jsonl`` and ``metadata.json``."""
        handle = self._repo.access.for_write(user_id, kb_id, "maintain")
        fs, paths = self._fs, handle.paths
        start = self._ctx.now_iso()
        errors: list[str] = []
        with fs.lock(paths.lock_target):
            config = fs.read_json(paths.config)
            documents = fs.read_json(paths.documents_metadata, default={})
            rows = fs.read_jsonl(paths.chunk_index)
            duplicates = self._duplicates(documents)
            for doc_id in duplicates:
                documents.pop(doc_id)
            kept = [r for r in rows if r["document_id"] in documents]
            embeddings, re_embedded = self._reusable_embeddings(paths, config, rows, kept, errors)
            config["embedding_config"] = self._repo.embedding_config()
            self._repo.commit(
                handle, config, documents, kept, embeddings, last_maintenance=self._ctx.now_iso()
            )
            for name in self._orphan_files(paths, documents):
                fs.remove(paths.document_file(name))
            fs.write_json(
                paths.analytics, self._analytics(config, documents, kept, paths), derived=True
            )
        return {
            "kb_id": kb_id,
            "start_time": start,
            "end_time": self._ctx.now_iso(),
            "tasks_completed": [
                "cleaned_retrieval_cache",
                f"updated_{re_embedded}_embeddings",
                f"removed_{len(duplicates)}_duplicates",
                f"removed_{len(rows) - len(kept)}_orphan_chunks",
                "updated_analytics",
                "optimized_indices",
            ],
            "errors": errors,
            "success": True,
        }

    @staticmethod
    def _duplicates(documents: Mapping[str, Any]) -> list[str]:
        seen: dict[str, str] = {}
        duplicates = []
        for entry in sorted(
            documents.values(), key=lambda e: (e.get("sequence", 0), e["added_at"], e["doc_id"])
        ):
            if entry["content_sha256"] in seen:
                duplicates.append(entry["doc_id"])
            else:
                seen[entry["content_sha256"]] = entry["doc_id"]
        return duplicates

    def _reusable_embeddings(
        self,
        paths: KBPaths,
        config: Mapping[str, Any],
        rows: list[dict[str, Any]],
        kept: list[dict[str, Any]],
        errors: list[str],
    ) -> tuple[np.ndarray, int]:
        stored = config["embedding_config"]
        same_model = (stored.get("model"), stored.get("dimensions")) == (
            self._repo.embedder.name,
            self._repo.embedder.dimensions,
        )
        if same_model and paths.embeddings.exists():
            try:
                matrix = index_files.decode_matrix(
                    self._fs.read_blob(paths.embeddings), where=self._fs.rel(paths.embeddings)
                )
                indexed = self._fs.read_jsonl(paths.vector_index)
                if matrix.shape[0] == len(rows) and [v.get("chunk_id") for v in indexed] == [
                    r["chunk_id"] for r in rows
                ]:
                    keep = {r["chunk_id"] for r in kept}
                    mask = [i for i, r in enumerate(rows) if r["chunk_id"] in keep]
                    return matrix[mask], 0
            except StorageCorrupted as exc:
                errors.append(f"re-embedded after: {exc}")
        vectors = (
            self._repo.embedder.embed([r["content"] for r in kept])
            if kept
            else np.zeros((0, self._repo.embedder.dimensions), np.float32)
        )
        return vectors, len(kept)

    def _orphan_files(self, paths: KBPaths, documents: Mapping[str, Any]) -> list[str]:
        wanted = {d["filename"] for d in documents.values()} | {"metadata.json"}
        try:
            names = self._fs.listdir(paths.documents_dir)
        except FileNotFoundError:
            return []
        return sorted(n for n in names if n not in wanted and not n.startswith("."))

    def analytics(self, reader: str, kb_id: str) -> dict[str, Any]:
        handle, config = self._repo.access.for_read(reader, kb_id, "read analytics of")
        documents = self._fs.read_json(handle.paths.documents_metadata, default={})
        snapshot = self._repo.snapshot(handle.paths, config)
        return self._analytics(config, documents, snapshot.rows, handle.paths)

    def _analytics(
        self,
        config: Mapping[str, Any],
        documents: Mapping[str, Any],
        rows: list[dict[str, Any]],
        paths: KBPaths,
    ) -> dict[str, Any]:
        self._repo.stats.flush(paths)
        stats = self._fs.read_json(paths.performance_stats, default={})
        per_doc: dict[str, int] = {}
        for row in rows:
            per_doc[row["document_id"]] = per_doc.get(row["document_id"], 0) + 1
        sizes = [r["char_end"] - r["char_start"] for r in rows]
        return {
            "kb_id": config["kb_id"],
            "generated_at": self._ctx.now_iso(),
            "document_count": len(documents),
            "total_chunks": len(rows),
            "embedding_count": config.get("embedding_count", 0),
            "total_size_bytes": sum(d["size_bytes"] for d in documents.values()),
            "average_chunk_chars": round(sum(sizes) / len(sizes), 2) if sizes else 0.0,
            "chunks_per_document": per_doc,
            "chunking_strategy": config["chunking_config"]["strategy"],
            "query_count": stats.get("query_count", 0),
            "retrieval_count": stats.get("retrieval_count", 0),
            "cache_hits": stats.get("cache_hits", 0),
            "cache_misses": stats.get("cache_misses", 0),
            "last_query_at": stats.get("last_query_at"),
        }
