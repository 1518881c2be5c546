"""Where knowledge bases and RAG sessions live (P3 layout, every id validated first).

```
users/{u}/knowledge_bases/global_kb_index.json          derived list of the user's KBs
users/{u}/knowledge_bases/{kb_id}/kb_config.json        counts + index fingerprint (last write)
  documents/{doc_id}_{name}, documents/metadata.json    document texts and their entries
  vectors/chunk_index.jsonl                             chunk rows: text and exact offsets
  vectors/embeddings.npy                                float32, row i = chunk row i
  vectors/vector_index.jsonl                            row i -> chunk_id/document_id
  vectors/bm25_index.npz                                bm25s index over the same rows
  retrieval_cache/query_cache.json                      the index fingerprint it serves
  retrieval_cache/query_cache/{nn}.json                 cache entries, sharded by key
  retrieval_cache/performance_stats.json                query counters (batched)
  kb_analytics.json
users/{u}/rag_sessions/{sid}/session_config.json | active_knowledge_bases.json | messages.jsonl
users/{u}/rag_sessions/{sid}/rag_context/msg_{message_id}_context.json
users/{u}/rag_sessions/{sid}/rag_context/context_usage_stats.json
```
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

from flatfile_chat.errors import ValidationError
from flatfile_chat.storage.filestore import FileStore
from flatfile_chat.storage.paths import validate_id

KB_DIR = "knowledge_bases"
RAG_DIR = "rag_sessions"
KB_ID = re.compile(r"kb_[0-9a-f]{12}\Z")


def validate_kb_id(kb_id: object) -> str:
    validate_id(kb_id, "kb_id")
    if not KB_ID.match(str(kb_id)):
        raise ValidationError(
            f"invalid kb_id {kb_id!r}: expected kb_ followed by 12 lowercase hex digits",
            key="kb_id",
            value=kb_id,
        )
    return str(kb_id)


@dataclass(frozen=True)
class KBPaths:
    """Every file of one knowledge base (each path built once per instance: retrieval asks
    for them on every query)."""

    root: Path

    @cached_property
    def lock_target(self) -> Path:
        return self.root / "kb"

    @cached_property
    def config(self) -> Path:
        return self.root / "kb_config.json"

    @cached_property
    def documents_dir(self) -> Path:
        return self.root / "documents"

    @cached_property
    def documents_metadata(self) -> Path:
        return self.documents_dir / "metadata.json"

    @cached_property
    def vectors_dir(self) -> Path:
        return self.root / "vectors"

    @cached_property
    def chunk_index(self) -> Path:
        return self.vectors_dir / "chunk_index.jsonl"

    @cached_property
    def embeddings(self) -> Path:
        return self.vectors_dir / "embeddings.npy"

    @cached_property
    def vector_index(self) -> Path:
        return self.vectors_dir / "vector_index.jsonl"

    @cached_property
    def bm25(self) -> Path:
        return self.vectors_dir / "bm25_index.npz"

    @cached_property
    def cache_dir(self) -> Path:
        return self.root / "retrieval_cache"

    @cached_property
    def query_cache(self) -> Path:
        return self.cache_dir / "query_cache.json"

    @cached_property
    def cache_shards_dir(self) -> Path:
        return self.cache_dir / "query_cache"

    @cached_property
    def performance_stats(self) -> Path:
        return self.cache_dir / "performance_stats.json"

    @cached_property
    def analytics(self) -> Path:
        return self.root / "kb_analytics.json"

    @cached_property
    def index_group(self) -> tuple[str, str, str, str]:
        """The index files as strings (for ``os.stat``), in ``index_files.signature`` order."""
        return (str(self.chunk_index), str(self.embeddings), str(self.vector_index), str(self.bm25))

    def document_file(self, name: str) -> Path:
        return self.documents_dir / name


@dataclass(frozen=True)
class RAGPaths:
    root: Path

    @property
    def lock_target(self) -> Path:
        return self.root / "session"

    @property
    def config(self) -> Path:
        return self.root / "session_config.json"

    @property
    def active_kbs(self) -> Path:
        return self.root / "active_knowledge_bases.json"

    @property
    def messages(self) -> Path:
        return self.root / "messages.jsonl"

    @property
    def context_dir(self) -> Path:
        return self.root / "rag_context"

    @property
    def usage_stats(self) -> Path:
        return self.context_dir / "context_usage_stats.json"

    def message_context(self, message_id: str) -> Path:
        return self.context_dir / f"msg_{validate_id(message_id, 'message_id')}_context.json"


_KB_PATHS_KEPT = 1024


@dataclass(frozen=True)
class KnowledgeLayout:
    fs: FileStore
    # (user_id, kb_id) -> KBPaths: ids validated and joined once (pure string work, no file
    # system state, so a memo can never be stale).
    _kbs: dict[tuple[str, str], KBPaths] = field(
        default_factory=dict, init=False, repr=False, compare=False
    )

    def users_dir(self) -> Path:
        return self.fs.path("users")

    def kb_root(self, user_id: str) -> Path:
        return self.fs.user_path(user_id, KB_DIR)

    def kb_index(self, user_id: str) -> Path:
        return self.kb_root(user_id) / "global_kb_index.json"

    def kb(self, user_id: str, kb_id: str) -> KBPaths:
        key = (user_id, kb_id)
        paths = self._kbs.get(key) if type(user_id) is str and type(kb_id) is str else None
        if paths is None:
            paths = KBPaths(self.fs.user_path(user_id, KB_DIR, validate_kb_id(kb_id)))
            if len(self._kbs) >= _KB_PATHS_KEPT:
                self._kbs.clear()
            self._kbs[key] = paths
        return paths

    def rag_session(self, user_id: str, session_id: str) -> RAGPaths:
        return RAGPaths(self.fs.user_path(user_id, RAG_DIR, validate_id(session_id, "session_id")))
