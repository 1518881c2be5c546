"""Knowledge base and RAG enums and DTOs (upstream names and fields from P3)."""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class KnowledgeBaseType(StrEnum):
    PERSONAL_DOCS = "personal_documents"
    WORK_KNOWLEDGE = "work_knowledge"
    RESEARCH_PAPERS = "research_papers"
    REFERENCE_MATERIALS = "reference_materials"
    CONVERSATION_HISTORY = "conversation_history"
    CUSTOM_DOMAIN = "custom_domain"


class RetrievalStrategy(StrEnum):
    SEMANTIC_SIMILARITY = "semantic_similarity"
    KEYWORD_MATCHING = "keyword_matching"
    HYBRID_RETRIEVAL = "hybrid_retrieval"
    CONTEXTUAL_RELEVANCE = "contextual_relevance"
    TEMPORAL_RELEVANCE = "temporal_relevance"


class ChunkingStrategy(StrEnum):
    FIXED_SIZE = "fixed_size"
    SENTENCE_BOUNDARY = "sentence_boundary"
    PARAGRAPH_BOUNDARY = "paragraph_boundary"
    SEMANTIC_CHUNKING = "semantic_chunking"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")

    def to_dict(self) -> dict[str, Any]:
        return self.model_dump(mode="json")


class FFKnowledgeBaseDTO(_Strict):
    kb_id: str
    user_id: str
    name: str
    description: str = ""
    kb_type: KnowledgeBaseType = KnowledgeBaseType.PERSONAL_DOCS
    created_at: str
    updated_at: str
    last_accessed: str | None = None
    document_count: int = 0
    total_chunks: int = 0
    total_size_bytes: int = 0
    embedding_count: int = 0
    chunking_config: dict[str, Any] = Field(default_factory=dict)
    embedding_config: dict[str, Any] = Field(default_factory=dict)
    retrieval_config: dict[str, Any] = Field(default_factory=dict)
    query_count: int = 0
    retrieval_count: int = 0
    average_query_time_ms: float = 0.0  # not measured: stored data never holds wall time
    last_maintenance: str | None = None
    is_active: bool = True
    access_permissions: list[str] = Field(default_factory=list)
    sharing_enabled: bool = False
    tags: list[str] = Field(default_factory=list)
    custom_metadata: dict[str, Any] = Field(default_factory=dict)
    index_fingerprint: str = ""  # ours: which chunk rows the vectors and bm25 index hold


class FFKBDocumentDTO(_Strict):
    """One ``documents/metadata.json`` entry (upstream ``doc_metadata`` plus size and hash)."""

    doc_id: str
    kb_id: str
    original_path: str
    filename: str
    content_length: int
    size_bytes: int
    content_sha256: str
    chunk_count: int
    chunking_strategy: str
    added_at: str
    sequence: int = 0  # ours: 1, 2, 3 ... in the order documents were added (a frozen clock
    #                    gives equal added_at values)
    metadata: dict[str, Any] = Field(default_factory=dict)


class FFKBChunkDTO(_Strict):
    """One ``vectors/chunk_index.jsonl`` line; row ``vector_index`` of embeddings.npy."""

    chunk_id: str
    document_id: str
    vector_index: int
    chunk_index: int
    total_chunks: int
    char_start: int
    char_end: int
    content: str
    document_title: str
    source_path: str
    added_at: str


class FFRAGContextDTO(_Strict):
    context_id: str
    kb_id: str
    document_id: str
    chunk_id: str
    content: str
    title: str
    document_title: str
    relevance_score: float
    retrieval_method: str
    query_used: str
    chunk_index: int
    total_chunks: int
    char_start: int
    char_end: int
    source_path: str
    source_type: str = "knowledge_base"
    last_updated: str
    used_in_response: bool = False
    user_feedback: Any = None
    usage_count: int = 0
    metadata: dict[str, Any] = Field(default_factory=dict)


class FFRAGRetrievalResultDTO(_Strict):
    query: str
    retrieval_strategy: RetrievalStrategy
    contexts: list[FFRAGContextDTO]
    total_candidates: int
    kbs_searched: list[str]
    kb_coverage: dict[str, int]  # kb_id -> contexts it contributed (only kb_ids with > 0)
    min_relevance: float
    cache_hits: int = 0
    timestamp: str


class FFRAGSessionDTO(_Strict):
    user_id: str
    session_id: str
    created_at: str
    config: dict[str, Any]
    active_knowledge_bases: list[str]
    context_usage_stats: dict[str, Any] = Field(default_factory=dict)
