"""Knowledge base and RAG settings (upstream ``FFKnowledgeBaseConfigDTO``,
``FFRAGSessionConfigDTO``, P3)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from flatfile_chat.config.base import ConfigSection


class FFRAGSessionConfigDTO(ConfigSection):
    enable_rag: bool = True
    active_knowledge_bases: list[str] = Field(default_factory=list)
    retrieval_strategy: str = "hybrid_retrieval"
    max_context_per_message: int = Field(3, gt=0)
    context_injection_mode: Literal["automatic", "explicit", "hybrid"] = "automatic"
    context_visibility: Literal["hidden", "visible"] = "hidden"
    enable_context_citations: bool = True
    citation_format: str = "academic"
    context_quality_threshold: float = Field(0.5, ge=0, le=1)
    feedback_learning_rate: float = 0.1


class FFKnowledgeBaseConfigDTO(ConfigSection):
    max_knowledge_bases_per_user: int = Field(10, gt=0)
    max_documents_per_kb: int = Field(1000, gt=0)
    max_kb_size_mb: float = Field(500, gt=0)
    enable_kb_versioning: bool = True
    chunking_strategy: Literal[
        "fixed_size", "sentence_boundary", "paragraph_boundary", "semantic_chunking"
    ] = "sentence_boundary"
    chunk_size: int = Field(512, gt=0)
    chunk_overlap: int = Field(64, ge=0)
    max_chunk_size: int = Field(1024, gt=0)
    min_chunk_size: int = Field(100, ge=0)
    embedding_model: str = "local-hash-v1"
    embedding_dimensions: int = Field(384, gt=0)
    normalize_embeddings: bool = True
    batch_size: int = 32
    default_retrieval_strategy: str = "hybrid_retrieval"
    max_retrieval_results: int = Field(20, gt=0)
    min_relevance_threshold: float = Field(0.3, ge=0, le=1)
    enable_retrieval_reranking: bool = True
    max_context_length: int = 4000
    context_overlap_handling: str = "merge"
    context_relevance_decay: float = 0.1
    enable_retrieval_cache: bool = True
    cache_ttl_hours: float = 24
    max_cache_entries: int = 1000
    retrieval_timeout_seconds: float = 10
    embedding_timeout_seconds: float = 30
    max_concurrent_operations: int = 5
    integrate_with_memory_layers: bool = True
    memory_integration_threshold: float = 0.7
    enable_cross_kb_retrieval: bool = True
    enable_auto_maintenance: bool = True
    maintenance_interval_hours: float = 24
    enable_duplicate_detection: bool = True
    duplicate_similarity_threshold: float = 0.95
    # Ours: how many BM25 candidates per KB are scored before fusion, and whether each
    # retrieval updates retrieval_cache/performance_stats.json (query counters).
    keyword_candidate_pool: int = Field(50, gt=0)
    track_query_stats: bool = True
    rag_session_defaults: FFRAGSessionConfigDTO = Field(default_factory=FFRAGSessionConfigDTO)

    @model_validator(mode="after")
    def _chunk_sizes_agree(self) -> FFKnowledgeBaseConfigDTO:
        # An overlap as large as the chunk would never advance; a max below the target
        # size would split every chunk twice.
        if self.chunk_overlap >= self.chunk_size:
            raise ValueError(
                f"chunk_overlap ({self.chunk_overlap}) must be smaller than "
                f"chunk_size ({self.chunk_size})"
            )
        if self.max_chunk_size < self.chunk_size:
            raise ValueError(
                f"max_chunk_size ({self.max_chunk_size}) must be >= chunk_size ({self.chunk_size})"
            )
        return self
