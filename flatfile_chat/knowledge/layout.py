"""Where knowledge bases and RAG sessions live (P3 layout, every id validated first).

```
users/{u}/knowledge_bases/global_kb_index.json          derived list of the user's KBs
users/{u}/knowledge_bases/{kb_id}/kb_config.json        counts + index fingerprint (last write)
  documents/{doc_id}_{name}, documents/metadata.json    document texts and their entries
  vectors/chunk_index.jsonl                             chunk rows: text and exact offsets
  vectors/embeddings.npy                                float32, row i = chunk row i
  vectors/vector_index.jsonl                            row i -> chunk_id/document_id
  vectors/bm25_index.npz                                bm25s index over the same rows
  retrieval_cache/query_cache.json | performance_stats.json
  kb_analytics.json
users/{u}/rag_sessions/{sid}/session_config.json | active_knowledge_bases.json | messages.jsonl
users/{u}/rag_sessions/{sid}/rag_context/msg_{message_id}_context.json
users/{u}/rag_sessions/{sid}/rag_context/context_usage_stats.json
```
"""

from __future__ import annotations

import re
from dataclasses import dataclass
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
        raise ValidationError(f"invalid kb_id {kb_id!r}: expected kb_ followed by 12 "
                              "lowercase hex digits", key="kb_id", value=kb_id)
    return str(kb_id)


@dataclass(frozen=True)
class KBPaths:
    """Every file of one knowledge base."""

    root: Path

    @property
    def lock_target(self) -> Path:
        return self.root / "kb"

    @property
    def config(self) -> Path:
        return self.root / "kb_config.json"

    @property
    def documents_dir(self) -> Path:
        return self.root / "documents"

    @property
    def documents_metadata(self) -> Path:
        return self.documents_dir / "metadata.json"

    @property
    def vectors_dir(self) -> Path:
        return self.root / "vectors"

    @property
    def chunk_index(self) -> Path:
        return self.vectors_dir / "chunk_index.jsonl"

    @property
    def embeddings(self) -> Path:
        return self.vectors_dir / "embeddings.npy"

    @property
    def vector_index(self) -> Path:
        return self.vectors_dir / "vector_index.jsonl"

    @property
    def bm25(self) -> Path:
        return self.vectors_dir / "bm25_index.npz"

    @property
    def cache_dir(self) -> Path:
        return self.root / "retrieval_cache"

    @property
    def query_cache(self) -> Path:
        return self.cache_dir / "query_cache.json"

    @property
    def performance_stats(self) -> Path:
        return self.cache_dir / "performance_stats.json"

    @property
    def analytics(self) -> Path:
        return self.root / "kb_analytics.json"

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


@dataclass(frozen=True)
class KnowledgeLayout:
    fs: FileStore

    def users_dir(self) -> Path:
        return self.fs.path("users")

    def kb_root(self, user_id: str) -> Path:
        return self.fs.path("users", validate_id(user_id, "user_id"), KB_DIR)

    def kb_index(self, user_id: str) -> Path:
        return self.kb_root(user_id) / "global_kb_index.json"

    def kb(self, user_id: str, kb_id: str) -> KBPaths:
        return KBPaths(self.fs.path("users", validate_id(user_id, "user_id"), KB_DIR,
                                    validate_kb_id(kb_id)))

    def rag_session(self, user_id: str, session_id: str) -> RAGPaths:
        return RAGPaths(self.fs.path("users", validate_id(user_id, "user_id"), RAG_DIR,
                                     validate_id(session_id, "session_id")))
