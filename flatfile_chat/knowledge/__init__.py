"""Knowledge bases and RAG (P3): per-user KBs with chunked documents, bm25s keyword and
local-embedding retrieval with hybrid fusion, sharing, and RAG sessions with per-message
context files. Files under ``users/{u}/knowledge_bases/`` and ``users/{u}/rag_sessions/``."""

from flatfile_chat.knowledge.embedding import Embedder, HashingEmbedder
from flatfile_chat.knowledge.manager import FFKnowledgeBaseManager
from flatfile_chat.knowledge.models import (
    ChunkingStrategy,
    FFKBChunkDTO,
    FFKBDocumentDTO,
    FFKnowledgeBaseDTO,
    FFRAGContextDTO,
    FFRAGRetrievalResultDTO,
    FFRAGSessionDTO,
    KnowledgeBaseType,
    RetrievalStrategy,
)
from flatfile_chat.knowledge.rag import FFRAGContextManager

__all__ = [
    "ChunkingStrategy",
    "Embedder",
    "FFKBChunkDTO",
    "FFKBDocumentDTO",
    "FFKnowledgeBaseDTO",
    "FFKnowledgeBaseManager",
    "FFRAGContextDTO",
    "FFRAGContextManager",
    "FFRAGRetrievalResultDTO",
    "FFRAGSessionDTO",
    "HashingEmbedder",
    "KnowledgeBaseType",
    "RetrievalStrategy",
]
