"""Actions over knowledge bases (``FFKnowledgeBaseManager``) and RAG sessions
(``FFRAGContextManager``): per-user KBs under ``users/{u}/knowledge_bases/{kb_id}/`` with
chunked documents, a bm25s keyword index and local embeddings kept row-aligned, sharing, and
RAG sessions under ``users/{u}/rag_sessions/{sid}/``. ``kb.index_stats`` reads the index files
(``embeddings.npy`` is binary) so scenarios can prove the rows stay aligned."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import Field, model_validator
from typing_extensions import TypedDict

from flatfile_chat.errors import NotFound
from flatfile_chat.knowledge import FFKnowledgeBaseManager, FFRAGContextManager, index_files
from flatfile_chat.knowledge.keyword import KeywordIndex
from flatfile_chat.knowledge.layout import KnowledgeLayout
from flatfile_chat.knowledge.models import (
    FFKBChunkDTO,
    FFKBDocumentDTO,
    FFKnowledgeBaseDTO,
    FFRAGContextDTO,
    FFRAGRetrievalResultDTO,
    FFRAGSessionDTO,
)
from prism_scenarios.actions.outputs import closed
from prism_scenarios.actions.registry import Params, action, exactly_one
from prism_scenarios.components import Component
from prism_scenarios.world import component_factory


@component_factory("knowledge_base")
def _knowledge(world) -> FFKnowledgeBaseManager:
    return FFKnowledgeBaseManager(world.store, audit=world.audit)


@component_factory("rag_context")
def _rag(world) -> FFRAGContextManager:
    return FFRAGContextManager(world.store, world.manager("knowledge_base"), audit=world.audit)


def _kb(world) -> FFKnowledgeBaseManager:
    return world.manager("knowledge_base")


def _rag_manager(world) -> FFRAGContextManager:
    return world.manager("rag_context")


# -- knowledge bases --------------------------------------------------------------------
class KBCreate(Params):
    user_id: str
    name: str = Field(description="unique per user (case-insensitive)")
    description: str = ""
    kb_type: str = Field(
        "personal_documents",
        description="personal_documents, "
        "work_knowledge, research_papers, "
        "reference_materials, "
        "conversation_history, "
        "custom_domain",
    )
    config_overrides: dict[str, Any] = Field(
        default_factory=dict,
        description="chunking_strategy, chunk_size, chunk_overlap, "
        "max_chunk_size, min_chunk_size, "
        "default_retrieval_strategy, min_relevance_threshold, "
        "max_retrieval_results, tags, custom_metadata",
    )


@action("kb.create", component=Component.KNOWLEDGE_BASE)
async def kb_create(world, p: KBCreate) -> FFKnowledgeBaseDTO:
    """Create a KB: ``kb_config.json`` (``kb_id`` = kb_ + 12 hex), ``documents/metadata.json``,
    an empty retrieval cache, and an entry in ``global_kb_index.json``."""
    return await _kb(world).create_knowledge_base(
        p.user_id, p.name, p.description, p.kb_type, p.config_overrides
    )


class KBRef(Params):
    user_id: str = Field(description="the reader (owner, or a user the KB is shared with)")
    kb_id: str


@action("kb.get", component=Component.KNOWLEDGE_BASE)
async def kb_get(world, p: KBRef) -> FFKnowledgeBaseDTO:
    """A KB's ``kb_config.json`` plus its live usage counters (readers: owner or shared)."""
    return await _kb(world).get_knowledge_base(p.user_id, p.kb_id)


class KBList(Params):
    user_id: str
    include_shared: bool = Field(False, description="also KBs other users shared with this one")


@action("kb.list", component=Component.KNOWLEDGE_BASE)
async def kb_list(world, p: KBList) -> list[FFKnowledgeBaseDTO]:
    """The user's KBs (and, with ``include_shared``, those shared with them)."""
    return await _kb(world).get_user_knowledge_bases(p.user_id, include_shared=p.include_shared)


class KBShare(Params):
    user_id: str = Field(description="the owner")
    kb_id: str
    sharing_enabled: bool = True
    access_permissions: list[str] = Field(
        default_factory=list, description="user ids allowed to read"
    )


@action("kb.share", component=Component.KNOWLEDGE_BASE)
async def kb_share(world, p: KBShare) -> FFKnowledgeBaseDTO:
    """Owner only: set ``sharing_enabled`` and ``access_permissions`` in ``kb_config.json``
    (audited ``kb_sharing_changed``)."""
    return await _kb(world).set_kb_sharing(
        p.user_id,
        p.kb_id,
        sharing_enabled=p.sharing_enabled,
        access_permissions=p.access_permissions,
    )


# -- documents --------------------------------------------------------------------------
class KBSourceDocument(Params):
    session_id: str
    filename: str = Field(description="stored filename ({8hex}_{name}) in the session's documents/")


class KBAddDocument(Params):
    user_id: str
    kb_id: str
    document_path: str | None = Field(
        None,
        description="the document's path or name "
        "(defaults to the stored document's "
        "original name with from_document)",
    )
    text: str | None = Field(None, description="the document's text")
    from_document: KBSourceDocument | None = Field(
        None, description="index a document stored in one of the user's sessions instead"
    )
    metadata: dict[str, Any] = Field(
        default_factory=dict, description="title, ... (kept in the document entry)"
    )

    @model_validator(mode="after")
    def _one_source(self) -> KBAddDocument:
        exactly_one(self, "text", "from_document")
        if self.text is not None and self.document_path is None:
            raise ValueError("document_path is required with text")
        return self


@action("kb.add_document", component=Component.KNOWLEDGE_BASE)
async def kb_add_document(world, p: KBAddDocument) -> FFKBDocumentDTO:
    """Chunk, embed and index a text document (owner only): ``documents/{doc_id}_{name}``, its
    ``documents/metadata.json`` entry, the four index files and the counts in
    ``kb_config.json``; the retrieval cache is emptied. With ``from_document`` the text is read
    from ``users/{u}/{session}/documents/`` (its ``metadata.source_document`` records where)."""
    if p.from_document is not None:
        world.touch("documents")
        return await _kb(world).add_session_document(
            p.user_id,
            p.kb_id,
            p.from_document.session_id,
            p.from_document.filename,
            p.metadata,
            p.document_path,
        )
    return await _kb(world).add_document_to_kb(
        p.user_id, p.kb_id, p.document_path, p.text, p.metadata
    )


class KBDocumentRef(Params):
    user_id: str
    kb_id: str
    document_id: str


@action("kb.delete_document", component=Component.KNOWLEDGE_BASE)
async def kb_delete_document(world, p: KBDocumentRef) -> FFKBDocumentDTO:
    """Remove a document (owner only): its chunks, embedding rows, vector_index lines and bm25
    terms, its metadata entry and file; counts in ``kb_config.json`` follow."""
    return await _kb(world).delete_document(p.user_id, p.kb_id, p.document_id)


@action("kb.documents", component=Component.KNOWLEDGE_BASE)
async def kb_documents(world, p: KBRef) -> list[FFKBDocumentDTO]:
    """The KB's document entries, in the order they were added."""
    return await _kb(world).list_kb_documents(p.user_id, p.kb_id)


class KBChunks(Params):
    user_id: str
    kb_id: str
    document_id: str | None = None


@action("kb.chunks", component=Component.KNOWLEDGE_BASE)
async def kb_chunks(world, p: KBChunks) -> list[FFKBChunkDTO]:
    """The indexed chunk rows (``vectors/chunk_index.jsonl``), optionally of one document."""
    return await _kb(world).get_document_chunks(p.user_id, p.kb_id, p.document_id)


# -- retrieval --------------------------------------------------------------------------
class KBRetrieve(Params):
    user_id: str = Field(description="the reader")
    query: str
    kb_ids: list[str] | None = Field(
        None,
        description="KBs to search; all of the reader's own if unset (shared ones only when named)",
    )
    strategy: str = Field(
        "hybrid_retrieval",
        description="semantic_similarity, "
        "keyword_matching, hybrid_retrieval, "
        "contextual_relevance, "
        "temporal_relevance",
    )
    max_results: int = 10
    min_relevance: float = 0.3


@action("kb.retrieve", component=Component.KNOWLEDGE_BASE)
async def kb_retrieve(world, p: KBRetrieve) -> FFRAGRetrievalResultDTO:
    """Retrieve scored contexts (best first) with ``kb_coverage`` and ``cache_hits``; updates
    ``retrieval_cache/query_cache.json`` and ``performance_stats.json``. Another user's KB
    raises SecurityError (audited) unless it is shared with the reader."""
    return await _kb(world).retrieve_context(
        p.user_id, p.query, p.kb_ids, p.strategy, p.max_results, p.min_relevance
    )


# -- analytics and maintenance ----------------------------------------------------------
@closed
class KBAnalytics(TypedDict):
    """Computed from the KB's files (also written as ``kb_analytics.json`` by maintenance)."""

    kb_id: str
    generated_at: str
    document_count: int
    total_chunks: int
    embedding_count: int
    total_size_bytes: int
    average_chunk_chars: float
    chunks_per_document: Annotated[dict[str, int], Field(description="document_id -> chunks")]
    chunking_strategy: str
    query_count: int
    retrieval_count: int
    cache_hits: int
    cache_misses: int
    last_query_at: str | None


@closed
class KBMaintenance(TypedDict):
    kb_id: str
    start_time: str
    end_time: str
    tasks_completed: Annotated[
        list[str], Field(description="e.g. removed_1_duplicates, updated_0_embeddings")
    ]
    errors: Annotated[
        list[str],
        Field(description="problems worked around (e.g. vectors re-embedded after damage)"),
    ]
    success: bool


@action("kb.analytics", component=Component.KNOWLEDGE_BASE)
async def kb_analytics(world, p: KBRef) -> KBAnalytics:
    """Counts, chunk sizes, chunks per document and query counters of a KB."""
    return await _kb(world).get_kb_analytics(p.user_id, p.kb_id)


@action("kb.maintain", component=Component.KNOWLEDGE_BASE)
async def kb_maintain(world, p: KBRef) -> KBMaintenance:
    """Owner only: drop duplicate documents, re-embed if needed, rebuild the index group from
    ``chunk_index.jsonl``, recount, empty the cache, write ``kb_analytics.json``."""
    return await _kb(world).run_kb_maintenance(p.user_id, p.kb_id)


class KBIndexStats(Params):
    user_id: str = Field(description="the owner (whose folder holds the KB)")
    kb_id: str


@closed
class IndexStats(TypedDict):
    """Row counts of a KB's index files, read directly."""

    kb_id: str
    embeddings_rows: int
    embeddings_dims: int
    embeddings_dtype: Annotated[str | None, Field(description="null without embeddings.npy")]
    vector_index_lines: int
    chunk_index_lines: int
    bm25_docs: int
    config_total_chunks: int | None
    config_embedding_count: int | None
    config_document_count: int | None
    document_ids: list[str]
    fingerprint: Annotated[str, Field(description="of the chunk ids, in order")]
    aligned: Annotated[
        bool, Field(description="every count equal, rows in the same order, fingerprints matching")
    ]


@action("kb.index_stats", component=Component.RUNNER)
async def kb_index_stats(world, p: KBIndexStats) -> IndexStats:
    """Read a KB's index files directly (no access check, like ``files.*``): row counts of
    ``embeddings.npy`` (binary), ``vector_index.jsonl``, ``chunk_index.jsonl`` and the bm25
    index, the counts in ``kb_config.json``, and ``aligned``: all of them equal, vector_index
    numbered 0..n-1, the same chunk id on every row, the fingerprints matching."""
    fs = world.store.fs
    paths = KnowledgeLayout(fs).kb(p.user_id, p.kb_id)
    if not paths.config.is_file():
        raise NotFound(
            f"knowledge base {p.kb_id!r} of user {p.user_id!r} not found",
            key="kb_id",
            value=p.kb_id,
        )
    config = fs.read_json(paths.config)
    chunks = fs.read_jsonl(paths.chunk_index)
    vectors = fs.read_jsonl(paths.vector_index)
    shape: tuple[int, ...] = (0, 0)
    dtype = None
    if paths.embeddings.exists():
        matrix = index_files.decode_matrix(
            fs.read_blob(paths.embeddings), where=fs.rel(paths.embeddings)
        )
        shape, dtype = tuple(matrix.shape), str(matrix.dtype)
    bm25_docs, bm25_fingerprint = 0, None
    if paths.bm25.exists():
        keyword = KeywordIndex.from_bytes(fs.read_blob(paths.bm25), where=fs.rel(paths.bm25))
        bm25_docs, bm25_fingerprint = keyword.num_docs, keyword.fingerprint
    fingerprint = index_files.fingerprint(r["chunk_id"] for r in chunks)
    counts = {
        len(chunks),
        len(vectors),
        shape[0],
        bm25_docs,
        config.get("total_chunks"),
        config.get("embedding_count"),
    }
    aligned = (
        len(counts) == 1
        and [v.get("vector_index") for v in vectors] == list(range(len(vectors)))
        and [v.get("chunk_id") for v in vectors] == [c["chunk_id"] for c in chunks]
        and (bm25_fingerprint == fingerprint or (bm25_fingerprint is None and not chunks))
        and config.get("index_fingerprint") == fingerprint
    )
    return {
        "kb_id": p.kb_id,
        "embeddings_rows": shape[0],
        "embeddings_dims": shape[1] if len(shape) > 1 else 0,
        "embeddings_dtype": dtype,
        "vector_index_lines": len(vectors),
        "chunk_index_lines": len(chunks),
        "bm25_docs": bm25_docs,
        "config_total_chunks": config.get("total_chunks"),
        "config_embedding_count": config.get("embedding_count"),
        "config_document_count": config.get("document_count"),
        "document_ids": sorted({c["document_id"] for c in chunks}),
        "fingerprint": fingerprint,
        "aligned": aligned,
    }


# -- RAG sessions -----------------------------------------------------------------------
class RAGInit(Params):
    user_id: str
    session_id: str = Field(description="the RAG session's id (folder rag_sessions/{id}/)")
    kb_ids: list[str] = Field(description="active KBs (each must be readable by the user)")
    session_config: dict[str, Any] = Field(
        default_factory=dict,
        description="overrides of rag_session_defaults: "
        "retrieval_strategy, max_context_per_message, "
        "context_quality_threshold, context_injection_mode, "
        "context_visibility, enable_context_citations ...",
    )


@action("rag.init", component=Component.KNOWLEDGE_BASE)
async def rag_init(world, p: RAGInit) -> FFRAGSessionDTO:
    """Create ``users/{u}/rag_sessions/{sid}/`` (``session_config.json``,
    ``active_knowledge_bases.json``, ``rag_context/context_usage_stats.json``)."""
    return await _rag_manager(world).initialize_rag_session(
        p.user_id, p.session_id, p.kb_ids, p.session_config
    )


class RAGRef(Params):
    user_id: str
    session_id: str


@action("rag.get", component=Component.KNOWLEDGE_BASE)
async def rag_get(world, p: RAGRef) -> FFRAGSessionDTO:
    """The stored ``session_config.json`` of a RAG session."""
    return await _rag_manager(world).get_rag_session(p.user_id, p.session_id)


class RAGContext(Params):
    user_id: str
    session_id: str
    message: str = Field(description="the user's message (the query)")
    message_id: str
    max_context_chunks: int | None = Field(
        None, description="capped at the session's max_context_per_message"
    )


@action("rag.context", component=Component.KNOWLEDGE_BASE)
async def rag_context(world, p: RAGContext) -> list[FFRAGContextDTO]:
    """Retrieve contexts for one message and store them once in
    ``rag_context/msg_{message_id}_context.json`` (an empty list when nothing matches), logged
    in ``messages.jsonl``."""
    return await _rag_manager(world).get_rag_context_for_message(
        p.user_id, p.session_id, p.message, p.message_id, p.max_context_chunks
    )


class RAGFormat(Params):
    contexts: list[dict[str, Any]] = Field(
        description="contexts, typically '${saved}' from rag.context or kb.retrieve"
    )
    injection_mode: str = Field("automatic", description="automatic, explicit or hybrid")
    include_citations: bool = True
    visibility: str | None = Field(
        None, description="hidden or visible (overrides the mode's default)"
    )


@action("rag.format", component=Component.KNOWLEDGE_BASE)
async def rag_format(world, p: RAGFormat) -> str:
    """Format contexts for injection into a prompt (``[Context i]: ...`` hidden blocks or
    ``**Relevant Information i**`` visible ones, academic citations)."""
    return await _rag_manager(world).format_context_for_injection(
        p.contexts, p.injection_mode, p.include_citations, visibility=p.visibility
    )


class RAGFormatSession(Params):
    user_id: str
    session_id: str
    contexts: list[dict[str, Any]]


@action("rag.format_session", component=Component.KNOWLEDGE_BASE)
async def rag_format_session(world, p: RAGFormatSession) -> str:
    """Format contexts with the session's own injection mode, visibility and citations."""
    return await _rag_manager(world).format_session_context(p.user_id, p.session_id, p.contexts)


class RAGTrackUsage(Params):
    user_id: str
    session_id: str
    message_id: str
    used_contexts: list[str] = Field(description="context ids used in the response")
    user_feedback: Any = Field(None, description="text, a number or a mapping")


@closed
class ContextUsage(TypedDict):
    message_id: str
    updated: Annotated[list[str], Field(description="the context ids marked used")]
    usage_counts: Annotated[dict[str, int], Field(description="context_id -> usage_count")]


@action("rag.track_usage", component=Component.KNOWLEDGE_BASE)
async def rag_track_usage(world, p: RAGTrackUsage) -> ContextUsage:
    """Mark contexts as used in the message's context file (``used_in_response``,
    ``usage_count`` + 1, feedback); unknown ids raise NotFound and nothing is written."""
    return await _rag_manager(world).track_context_usage(
        p.user_id, p.session_id, p.message_id, p.used_contexts, p.user_feedback
    )


@closed
class RAGStats(TypedDict):
    """A RAG session's statistics, recomputed from its context files."""

    user_id: str
    session_id: str
    active_knowledge_bases: list[str]
    messages_processed: int
    messages_with_context: int
    contexts_retrieved: int
    contexts_used: int
    kb_retrievals: Annotated[dict[str, int], Field(description="kb_id -> contexts retrieved")]
    kb_used: Annotated[dict[str, int], Field(description="kb_id -> contexts used")]
    feedback: Annotated[
        dict[str, int], Field(description="feedback text (or 'structured') -> contexts")
    ]
    total_usage_count: int
    messages_without_context: int
    usage_rate: float
    average_relevance: float
    context_files: int


@action("rag.stats", component=Component.KNOWLEDGE_BASE)
async def rag_stats(world, p: RAGRef) -> RAGStats:
    """Session statistics recomputed from the context files."""
    return await _rag_manager(world).get_session_rag_statistics(p.user_id, p.session_id)
