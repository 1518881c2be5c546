"""Migrate old (upstream v1/v2) configuration files and presets to the current config.

Upstream v1 kept one flat ``StorageConfig`` (``storage_base_path``, ``enable_file_locking``,
``vector_search_top_k`` ...). v2 split it into sections (``storage``, ``search``, ``vector``,
``document``, ``locking``, ``panel``, ``runtime``) and saved them as nested JSON. Both shapes are
accepted here, also mixed, and so are v1 keys wrapped in PrismMind's ``flatfile_config`` and
sections that already use the current format.

Every old key ends up in exactly one finding, so nothing is dropped silently:

- ``mapped`` / ``renamed``: the value now lives under the named current key (same or new
  name). A value equal to the *old* version's default is not pinned: the current default
  applies, and the finding says so (upstream's ``save_config`` wrote every field, so a dump
  cannot tell a deliberate setting from a default).
- ``dropped_obsolete``: there is no current equivalent; the finding says why and whether the
  old value matches what the store always does now.
- ``unknown``: neither an old nor a current key (with ``file:line`` and a close match).
- ``invalid``: the current config refuses the value (the message names key, value and what is
  expected, in the style of ``flatfile_chat.config.loader``); the default is kept.

Security-relevant downgrades are reported and never applied: turning file locking or read
validation off, a limit of zero or less, executable types in the document allowlist.
"""

from __future__ import annotations

import bisect
import difflib
import json
import re
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import pydantic
import yaml
from pydantic import BaseModel

from flatfile_chat.config import FFConfigurationManagerConfigDTO, load_config
from flatfile_chat.config.loader import PRESETS, deep_merge
from flatfile_chat.config.storage import FFStorageConfigDTO
from flatfile_chat.config.yaml_lines import (
    DEFAULT_LIMITS,
    LineDict,
    LineList,
    YAMLError,
    line_of,
    load_yaml,
    plain,
    read_text_bounded,
)
from flatfile_chat.errors import ConfigError, FFError
from flatfile_chat.storage.paths import validate_id

__all__ = [
    "KINDS",
    "OLD_PRESETS",
    "ConfigFinding",
    "ConfigMigration",
    "migrate_config_data",
    "migrate_config_file",
    "migrate_preset",
]

KINDS = ("mapped", "renamed", "dropped_obsolete", "unknown", "invalid")


@dataclass(frozen=True)
class ConfigFinding:
    key: str  # dotted old key, e.g. "storage.atomic_write_temp_suffix"
    kind: str  # one of KINDS
    detail: str  # where it went, or why not
    line: int | None  # 1-based line in the source file when known


@dataclass(frozen=True)
class ConfigMigration:
    source: str  # file path or "preset:<name>"
    config: FFConfigurationManagerConfigDTO  # the validated result
    findings: list[ConfigFinding]
    base: str = "defaults"  # what unset keys come from: defaults | preset:<n>

    @property
    def unknown_keys(self) -> list[str]:
        return [f.key for f in self.findings if f.kind == "unknown"]

    def counts(self) -> dict[str, int]:
        return {kind: sum(f.kind == kind for f in self.findings) for kind in KINDS}

    def to_yaml(self) -> str:
        """Current-format YAML with only the values that differ from the built-in defaults."""
        counts = ", ".join(f"{n} {kind}" for kind, n in self.counts().items() if n)
        header = [
            f"# Migrated from {_one_line(self.source)} by flatfile_chat.migration.config",
            f"# {len(self.findings)} old keys: {counts or 'none'}.",
        ]
        if self.base != "defaults":
            header.append(
                f"# Based on the current {self.base.split(':', 1)[1]!r} preset; "
                "its values are written out."
            )
        header.append(
            "# Only values that differ from the built-in defaults are listed; load "
            "with flatfile_chat.config.load_config(path)."
        )
        diff = _non_default(self.config, FFConfigurationManagerConfigDTO())
        body = (
            yaml.safe_dump(diff, sort_keys=False, allow_unicode=True, default_flow_style=False)
            if diff
            else "{}\n"
        )
        return "\n".join(header) + "\n" + body

    def report(self) -> dict[str, Any]:
        """Everything about the migration as plain JSON-able data."""
        return {
            "source": self.source,
            "base": self.base,
            "counts": self.counts(),
            "unknown_keys": self.unknown_keys,
            "findings": [asdict(f) for f in self.findings],
            "config": _non_default(self.config, FFConfigurationManagerConfigDTO()),
        }


# -- rules: what each old key becomes ------------------------------------------------------

_UNSET: Any = object()


class _Refused(ValueError):
    """A value that cannot be converted to the current key (becomes an ``invalid`` finding)."""


@dataclass(frozen=True)
class _Move:
    """The value moves to ``target`` (dotted current key), optionally converted.

    ``convert(value) -> (new value, note, refused)``; ``refused`` (a sentence) reports a part of
    the value that was left out, ``_Refused`` refuses all of it.
    """

    target: str
    old_default: Any = _UNSET
    note: str = ""
    convert: Callable[[Any], tuple[Any, str, str]] | None = None


@dataclass(frozen=True)
class _Gone:
    """No current equivalent. ``same``: the old value that matches what the store always does;
    ``unsafe``: why any other value must not be honoured (a security downgrade)."""

    reason: str
    same: Any = _UNSET
    unsafe: str = ""
    differs: str = ""


@dataclass(frozen=True)
class _Locking:
    """``enable_file_locking``/``locking.enabled``: true maps, false is refused."""

    target: str = "storage.enable_file_locking"


_Rule = _Move | _Gone | _Locking


def _fixed(what: str, name: str) -> _Gone:
    return _Gone(
        f"{what} is always named {name!r} (the layout is not configurable)",
        same=name,
        differs="the store does not read files under that name",
    )


_DANGEROUS_EXTENSIONS = frozenset(
    {
        ".exe",
        ".dll",
        ".so",
        ".dylib",
        ".com",
        ".bat",
        ".cmd",
        ".msi",
        ".scr",
        ".ps1",
        ".vbs",
        ".jar",
        ".sh",
        ".js",
        ".mjs",
        ".html",
        ".htm",
        ".xhtml",
        ".svg",
        ".hta",
        ".php",
    }
)


def _extensions(value: Any) -> tuple[Any, str, str]:
    """Lower-case the allowlist (upstream compared lower-cased) and leave out active content."""
    if not isinstance(value, list) or not all(isinstance(e, str) for e in value):
        return value, "", ""  # the current config names what is expected
    lowered = [e.lower() for e in value]
    kept = [e for e in lowered if e not in _DANGEROUS_EXTENSIONS]
    refused = sorted({e for e in lowered if e in _DANGEROUS_EXTENSIONS})
    note = " (lower-cased)" if lowered != list(value) else ""
    refusal = ""
    if refused:
        refusal = (
            f"storage.allowed_document_extensions: not applied: {refused} (executable or "
            "active content); allowing them would be a security downgrade, add them by "
            "hand if you must"
        )
    return kept, note, refusal


def _timestamp_format(value: Any) -> tuple[Any, str, str]:
    """The format must produce session ids the store accepts (no '/', spaces, ...)."""
    if not isinstance(value, str):
        return value, "", ""
    try:
        stamp = datetime(2025, 7, 22, 17, 54, 2).strftime(value)
    except ValueError as exc:
        raise _Refused(f"not a strftime format ({exc})") from None
    sample = f"chat_session_{stamp}_000000"
    try:
        validate_id(sample, "session_id")
    except FFError:
        raise _Refused(f"must produce valid session ids, but gives {sample!r}") from None
    return value, "", ""


_CHUNKING = {
    "optimized_summary": "sentence_boundary",
    "sentence_based": "sentence_boundary",
    "sentence_short": "sentence_boundary",
    "sentence": "sentence_boundary",
    "fixed_size": "fixed_size",
    "default_fixed": "fixed_size",
    "fixed": "fixed_size",
    "semantic": "semantic_chunking",
    "semantic_chunking": "semantic_chunking",
    "sentence_boundary": "sentence_boundary",
    "paragraph_boundary": "paragraph_boundary",
}


def _chunking(value: Any) -> tuple[Any, str, str]:
    if isinstance(value, str) and value in _CHUNKING:
        new = _CHUNKING[value]
        return new, (f" (as {new!r})" if new != value else ""), ""
    raise _Refused(
        f"no current chunking strategy for {value!r} (old names: {', '.join(sorted(_CHUNKING))})"
    )


# Reasons shared by v1 and v2 keys.
_ATOMIC = _Gone(
    "atomic writes always use a hidden temp name (.{name}.tmp-{pid}-{n}) in the "
    "same folder, then os.replace"
)
_BACKUP = _Gone(
    "deletes are not backed up: a document delete removes its index entry first "
    "(the commit point), then the bytes; keep your own backups if you relied on "
    "the old copy-before-delete"
)
_CLEANUP = _Gone("the store does not remove folders when their last file goes")
_VALIDATE = _Gone(
    "every record is validated when read; a bad file raises StorageCorrupted naming file:line",
    same=True,
    unsafe="asked to skip validation of files read from disk",
)
_PARENTS = _Gone("folders are always created as needed", same=True)
_BUFFER = _Gone("JSONL files are read by the store itself; there is no read-buffer setting")
_RETRIES = _Gone(
    "file operations are not retried; only lock waits repeat, for up to "
    "storage.lock_timeout_seconds"
)
_TEMP_LEN = _Gone("temp names are unique per process and call; no length setting")
_SESSION_PREFIX = _Gone(
    "session ids are '{type}_session_{timestamp}_{microseconds}' per "
    "session type (chat, panel, debate, problem_solving); existing ids "
    "stay valid",
    same="chat_session",
)
_PANEL_PREFIX = _Gone("panel ids are chosen by the caller (create_panel_session(panel_id, ...))")
_SESSIONS_DIR = _Gone("sessions live directly in users/{user_id}/ (there is no 'sessions' folder)")
_SYSTEM_DIR = _Gone("the store keeps no system config folder")
_LOCK_STRATEGY = _Gone("only file locks (flock on hidden .{name}.lock files)", same="file")
_LOCK_RETRY = _Gone(
    "lock waits back off exponentially from 1 ms until "
    "storage.lock_timeout_seconds; not configurable"
)
_SEARCH_FIXED = _Gone(
    "message search ranks by the share of query words found, then recency; not configurable"
)
_SEARCH_LIMIT = _Gone("the result limit is an argument: search_messages(limit=20)")
_SEARCH_WORDS = _Gone("message search matches whole words of any length, case-insensitively")
_SEARCH_CONTENT = _Gone("message search always searches message content", same=True)
_SEARCH_CONTEXT = _Gone(
    "message search covers message content only (situational context is read with get_context)"
)
_SEARCH_METADATA = _Gone("message search covers message content only", same=False)
_VECTOR_LAYOUT = _Gone(
    "the old per-session vector files are gone; vectors live in knowledge "
    "bases (knowledge_bases/{kb_id}/...)"
)
_EMBEDDING = _Gone(
    "embeddings are computed locally (knowledge_base.embedding_model, "
    "embedding_dimensions); external providers are not supported"
)
_CHUNK_TABLE = _Gone(
    "per-strategy parameter tables are gone: knowledge_base.chunk_size, "
    "chunk_overlap, max_chunk_size and min_chunk_size apply to every strategy"
)
_HYBRID = _Gone(
    "hybrid retrieval fuses keyword and semantic scores as 1-(1-k)(1-s); there is no weight"
)
_SPACY = _Gone("no NLP model: sentences are split by the built-in chunker")
_MMAP = _Gone("embedding files are loaded whole; there is no memory-map mode")
_PERSONA_LIMIT = _Gone("the store has no limit on the number of personas")
_INSIGHT_RETENTION = _Gone(
    "insights are kept as long as their panel "
    "(panel_session.session_archive_days applies to whole sessions)"
)
_CONTEXT_FIXED = _Gone(
    "situational context is checked by its model (at most 10 key points, "
    "confidence in [0, 1]); not configurable"
)
_SNAPSHOT_FORMAT = _Gone(
    "context snapshots are named context_{YYYYmmdd_HHMMSS}_{us}.json", same="%Y%m%d_%H%M%S"
)
_ANALYSIS_DIR = _Gone(
    "document analysis is kept in the document's metadata.json entry (update_document_analysis)"
)

_MAX_PARTICIPANTS = "panel_session.max_participants"
_THREADING = "panel_session.enable_message_threading"

# v1 flat keys (upstream config.py StorageConfig and the v2 legacy adapter), old defaults.
_V1: dict[str, _Rule] = {
    "storage_base_path": _Move("storage.base_path", "./data"),
    "user_data_directory_name": _Move("storage.user_data_directory_name", "users"),
    "global_personas_directory_name": _Move(
        "storage.global_personas_directory_name", "personas_global"
    ),
    "panel_sessions_directory_name": _fixed("the panel folder", "panel_sessions"),
    "session_data_directory_name": _SESSIONS_DIR,
    "system_config_directory_name": _SYSTEM_DIR,
    "session_id_prefix": _SESSION_PREFIX,
    "panel_id_prefix": _PANEL_PREFIX,
    "session_timestamp_format": _Move(
        "storage.session_timestamp_format", "%Y%m%d_%H%M%S", convert=_timestamp_format
    ),
    "context_snapshot_timestamp_format": _SNAPSHOT_FORMAT,
    "user_profile_filename": _fixed("the profile file", "profile.json"),
    "session_metadata_filename": _fixed("the session file", "session.json"),
    "messages_filename": _fixed("the messages file", "messages.jsonl"),
    "situational_context_filename": _fixed("the context file", "situational_context.json"),
    "document_metadata_filename": _fixed("the document index", "metadata.json"),
    "panel_metadata_filename": _fixed("the panel file", "panel_config.json"),
    "max_message_size_bytes": _Move("storage.max_message_size_bytes", 1_048_576),
    "max_document_size_bytes": _Move("storage.max_document_size_bytes", 104_857_600),
    "max_messages_per_session": _Move("storage.max_messages_per_session", 100_000),
    "max_sessions_per_user": _Move("storage.max_sessions_per_user", 1000),
    "max_context_history_snapshots": _Move("storage.max_context_history_snapshots", 100),
    "message_id_length": _Move("storage.message_id_length", 12),
    "message_pagination_default_limit": _Move("storage.message_pagination_default_limit", 100),
    "session_list_default_limit": _Gone(
        "list_sessions returns every session unless the caller passes limit="
    ),
    "search_results_default_limit": _SEARCH_LIMIT,
    "jsonl_read_buffer_size": _BUFFER,
    "atomic_write_temp_suffix": _ATOMIC,
    "backup_before_delete": _BACKUP,
    "auto_cleanup_empty_directories": _CLEANUP,
    "validate_json_on_read": _VALIDATE,
    "create_parent_directories": _PARENTS,
    "search_include_message_content": _SEARCH_CONTENT,
    "search_include_context": _SEARCH_CONTEXT,
    "search_include_metadata": _SEARCH_METADATA,
    "full_text_search_min_word_length": _SEARCH_WORDS,
    "search_min_word_length": _SEARCH_WORDS,
    "panel_max_personas": _Move(_MAX_PARTICIPANTS, 10),
    "panel_insight_retention_days": _INSIGHT_RETENTION,
    "panel_message_threading_enabled": _Move(_THREADING, True),
    "panel_insights_directory_name": _fixed("a panel's insights folder", "insights"),
    "panel_personas_directory_name": _fixed("a user's persona folder", "personas"),
    "persona_limit": _PERSONA_LIMIT,
    "allowed_document_extensions": _Move(
        "storage.allowed_document_extensions",
        [".pdf", ".txt", ".md", ".json", ".csv", ".png", ".jpg", ".jpeg", ".gif", ".webp"],
        convert=_extensions,
    ),
    "document_storage_subdirectory_name": _fixed("a session's document folder", "documents"),
    "document_analysis_subdirectory_name": _ANALYSIS_DIR,
    "context_history_subdirectory_name": _fixed("the snapshot folder", "context_history"),
    "context_summary_max_length": _CONTEXT_FIXED,
    "context_key_points_max_count": _CONTEXT_FIXED,
    "context_confidence_threshold": _CONTEXT_FIXED,
    "enable_file_locking": _Locking(),
    "lock_timeout_seconds": _Move("storage.lock_timeout_seconds", 30.0),
    "lock_retry_delay_ms": _LOCK_RETRY,
    "lock_retry_max_delay_seconds": _LOCK_RETRY,
    "lock_strategy": _LOCK_STRATEGY,
    "vector_storage_subdirectory": _VECTOR_LAYOUT,
    "vector_index_filename": _VECTOR_LAYOUT,
    "embeddings_filename": _VECTOR_LAYOUT,
    "default_chunking_strategy": _Move(
        "knowledge_base.chunking_strategy", "optimized_summary", convert=_chunking
    ),
    "chunking_strategies": _CHUNK_TABLE,
    "default_embedding_provider": _EMBEDDING,
    "embedding_providers": _EMBEDDING,
    "vector_search_top_k": _Move("knowledge_base.max_retrieval_results", 5),
    "similarity_threshold": _Move(
        "knowledge_base.min_relevance_threshold",
        0.7,
        note="; scores are now fused keyword+semantic relevance",
    ),
    "hybrid_search_weight": _HYBRID,
    "spacy_model_name": _SPACY,
    "vector_batch_size": _Move("knowledge_base.batch_size", 32),
    "vector_cache_enabled": _Move("knowledge_base.enable_retrieval_cache", True),
    "vector_mmap_mode": _MMAP,
    "file_operation_max_retries": _RETRIES,
    "file_operation_retry_delay_ms": _RETRIES,
    "temp_file_suffix_length": _TEMP_LEN,
}

_LOCK_STATS = _Gone("no lock pool, cache or metrics settings")
_STALE = _Gone("flock locks end with their process, so there are no stale locks to clean up")
_DOC_PROCESSING = _Gone(
    "the store does not process document contents; analysis is stored as "
    "given (update_document_analysis)"
)
_DOC_INDEX = _Gone(
    "the base store does not index documents; add them to a knowledge base for retrieval"
)
_DOC_VERSIONS = _Gone("stored documents are not versioned")
_DOC_COUNT = _Gone("no document count limit; storage.max_document_size_bytes bounds each file")
_PANEL_FIXED = _Gone("panel behaviour beyond panel_session.* is not configurable")
_RUNTIME: _Rule = _Gone("runtime tuning (caches, retries, entity patterns) is not configurable")
_SEARCH_CACHE = _Gone("message search is not cached")

# v2 nested sections (ff_class_configs/*), old defaults from the v2 DTOs.
_V2: dict[str, dict[str, _Rule]] = {
    "storage": {
        "base_path": _Move("storage.base_path", "./data"),
        "user_data_directory": _Move("storage.user_data_directory_name", "users"),
        "session_data_directory": _SESSIONS_DIR,
        "system_config_directory": _SYSTEM_DIR,
        "session_id_prefix": _SESSION_PREFIX,
        "session_timestamp_format": _Move(
            "storage.session_timestamp_format", "%Y%m%d_%H%M%S", convert=_timestamp_format
        ),
        "profile_filename": _fixed("the profile file", "profile.json"),
        "session_metadata_filename": _fixed("the session file", "session.json"),
        "messages_filename": _fixed("the messages file", "messages.jsonl"),
        "max_message_size_bytes": _Move("storage.max_message_size_bytes", 1_048_576),
        "max_document_size_bytes": _Move("storage.max_document_size_bytes", 104_857_600),
        "max_messages_per_session": _Move("storage.max_messages_per_session", 100_000),
        "max_sessions_per_user": _Move("storage.max_sessions_per_user", 1000),
        "atomic_write_temp_suffix": _ATOMIC,
        "backup_before_delete": _BACKUP,
        "auto_cleanup_empty_directories": _CLEANUP,
        "validate_json_on_read": _VALIDATE,
        "create_parent_directories": _PARENTS,
        "jsonl_read_buffer_size": _BUFFER,
        "file_operation_max_retries": _RETRIES,
        "file_operation_retry_delay_ms": _RETRIES,
        "message_id_length": _Move("storage.message_id_length", 12),
        "temp_file_suffix_length": _TEMP_LEN,
        # Current names whose values still need the migration's checks:
        "allowed_document_extensions": _Move(
            "storage.allowed_document_extensions", convert=_extensions
        ),
        "enable_file_locking": _Locking(),
    },
    "search": {
        "default_page_size": _Move("storage.message_pagination_default_limit", 20),
        "include_message_content": _SEARCH_CONTENT,
        "include_context": _SEARCH_CONTEXT,
        "include_metadata": _SEARCH_METADATA,
        "case_sensitive": _Gone("message search is case-insensitive", same=False),
        "use_regex": _Gone("queries are words, never regular expressions", same=False),
        "min_word_length": _SEARCH_WORDS,
        "default_limit": _SEARCH_LIMIT,
        "max_results_per_session": _SEARCH_LIMIT,
        "max_total_results": _SEARCH_LIMIT,
        "max_page_size": _Gone("get_messages(limit=...) takes any limit the caller passes"),
        "min_relevance_score": _SEARCH_FIXED,
        "relevance_boost_exact_match": _SEARCH_FIXED,
        "relevance_boost_title_match": _SEARCH_FIXED,
        "relevance_decay_factor": _SEARCH_FIXED,
        "enable_search_cache": _SEARCH_CACHE,
        "cache_ttl_seconds": _SEARCH_CACHE,
        "max_cache_entries": _SEARCH_CACHE,
        "parallel_search_threshold": _Gone("sessions are searched one after another"),
        "extract_urls": _Gone("message search does not extract entities"),
        "extract_emails": _Gone("message search does not extract entities"),
        "extract_mentions": _Gone("message search does not extract entities"),
        "extract_hashtags": _Gone("message search does not extract entities"),
        "extract_code_blocks": _Gone("message search does not extract entities"),
    },
    "vector": {
        "storage_subdirectory": _VECTOR_LAYOUT,
        "index_filename": _VECTOR_LAYOUT,
        "embeddings_filename": _VECTOR_LAYOUT,
        "metadata_filename": _VECTOR_LAYOUT,
        "search_top_k": _Move("knowledge_base.max_retrieval_results", 5),
        "similarity_threshold": _Move(
            "knowledge_base.min_relevance_threshold",
            0.7,
            note="; scores are now fused keyword+semantic relevance",
        ),
        "hybrid_search_weight": _HYBRID,
        "distance_metric": _Gone("semantic scores are cosine similarities", same="cosine"),
        "batch_size": _Move("knowledge_base.batch_size", 32),
        "cache_enabled": _Move("knowledge_base.enable_retrieval_cache", True),
        "cache_max_size": _Move("knowledge_base.max_cache_entries", 10_000),
        "mmap_mode": _MMAP,
        "use_gpu": _Gone("embeddings are computed on the CPU", same=False),
        "default_embedding_provider": _EMBEDDING,
        "embedding_providers": _EMBEDDING,
        "default_chunking_strategy": _Move(
            "knowledge_base.chunking_strategy", "optimized_summary", convert=_chunking
        ),
        "chunking_strategies": _CHUNK_TABLE,
        "spacy_model_name": _SPACY,
        "download_spacy_model": _SPACY,
        "index_type": _Gone("vectors are scored exhaustively (a flat index)", same="flat"),
        "index_rebuild_threshold": _Gone("indexes are rewritten on every change; no threshold"),
    },
    "document": {
        "storage_subdirectory": _fixed("a session's document folder", "documents"),
        "analysis_subdirectory": _ANALYSIS_DIR,
        "metadata_filename": _fixed("the document index", "metadata.json"),
        "allowed_extensions": _Move(
            "storage.allowed_document_extensions",
            [
                ".pdf",
                ".txt",
                ".md",
                ".json",
                ".csv",
                ".doc",
                ".docx",
                ".rtf",
                ".odt",
                ".png",
                ".jpg",
                ".jpeg",
                ".gif",
                ".webp",
                ".svg",
            ],
            convert=_extensions,
        ),
        "max_file_size_bytes": _Move("storage.max_document_size_bytes", 104_857_600),
        "max_files_per_session": _DOC_COUNT,
        "max_total_files": _DOC_COUNT,
        "extract_metadata": _DOC_PROCESSING,
        "extract_text_from_images": _DOC_PROCESSING,
        "ocr_language": _DOC_PROCESSING,
        "preserve_formatting": _DOC_PROCESSING,
        "enable_content_analysis": _DOC_PROCESSING,
        "extract_entities": _DOC_PROCESSING,
        "extract_keywords": _DOC_PROCESSING,
        "extract_summary": _DOC_PROCESSING,
        "summary_max_length": _DOC_PROCESSING,
        "keywords_max_count": _DOC_PROCESSING,
        "file_type_strategies": _DOC_PROCESSING,
        "index_file_content": _DOC_INDEX,
        "index_metadata": _DOC_INDEX,
        "full_text_index_enabled": _DOC_INDEX,
        "enable_versioning": _DOC_VERSIONS,
        "max_versions_per_document": _DOC_VERSIONS,
        "version_comparison_enabled": _DOC_VERSIONS,
        "scan_for_malware": _Gone(
            "uploads are not scanned for malware; only the extension "
            "allowlist and size limit apply",
            same=False,
        ),
        "allowed_mime_types": _Gone(
            "only the file extension is checked (storage.allowed_document_extensions)"
        ),
        "parallel_processing_threshold": _DOC_PROCESSING,
        "processing_timeout_seconds": _DOC_PROCESSING,
        "cache_processed_documents": _DOC_PROCESSING,
        "cache_ttl_hours": _DOC_PROCESSING,
    },
    "locking": {
        "enabled": _Locking(),
        "strategy": _LOCK_STRATEGY,
        "lock_file_suffix": _Gone("lock files are hidden siblings .{name}.lock", same=".lock"),
        "timeout_seconds": _Move("storage.lock_timeout_seconds", 30.0),
        "acquire_timeout_seconds": _Gone(
            "storage.lock_timeout_seconds (from locking.timeout_seconds) is the one wait limit"
        ),
        "hold_timeout_seconds": _Gone("a lock is held for one operation; no hold limit"),
        "retry_enabled": _LOCK_RETRY,
        "retry_strategy": _LOCK_RETRY,
        "retry_initial_delay_ms": _LOCK_RETRY,
        "retry_max_delay_seconds": _LOCK_RETRY,
        "retry_max_attempts": _LOCK_RETRY,
        "retry_multiplier": _LOCK_RETRY,
        "deadlock_detection_enabled": _Gone(
            "no deadlock detection setting; a wait ends with "
            "LockTimeout after storage.lock_timeout_seconds"
        ),
        "deadlock_timeout_seconds": _Gone(
            "no deadlock detection setting; a wait ends with "
            "LockTimeout after storage.lock_timeout_seconds"
        ),
        "lock_ordering_enforced": _Gone("lock order is fixed by the code, not configured"),
        "support_shared_locks": _Gone("shared and exclusive locks are always available", same=True),
        "upgrade_locks_enabled": _Gone("locks are taken in the mode needed; no upgrades"),
        "lock_pool_size": _LOCK_STATS,
        "lock_cache_enabled": _LOCK_STATS,
        "lock_metrics_enabled": _LOCK_STATS,
        "auto_cleanup_stale_locks": _STALE,
        "stale_lock_threshold_seconds": _STALE,
        "cleanup_interval_seconds": _STALE,
        "use_fcntl_on_unix": _Gone("locks are always fcntl.flock", same=True),
        "use_msvcrt_on_windows": _Gone("locks are always fcntl.flock (POSIX only)"),
        "fallback_to_polling": _Gone("locks are always fcntl.flock (POSIX only)"),
    },
    "panel": {
        "panel_sessions_directory": _fixed("the panel folder", "panel_sessions"),
        "global_personas_directory": _Move(
            "storage.global_personas_directory_name", "personas_global"
        ),
        "insights_subdirectory": _fixed("a panel's insights folder", "insights"),
        "personas_subdirectory": _fixed("a user's persona folder", "personas"),
        "panel_metadata_filename": _fixed("the panel file", "panel_config.json"),
        "panel_id_prefix": _PANEL_PREFIX,
        "max_personas_per_panel": _Move(_MAX_PARTICIPANTS, 10),
        "min_personas_per_panel": _Move("panel_session.min_participants", 2),
        "max_messages_per_panel": _Gone(
            "no per-panel message limit (panel_session.max_message_length bounds each one)"
        ),
        "max_panels_per_user": _Gone(
            "no per-user panel limit; panel_session.max_concurrent_sessions bounds open panels"
        ),
        "global_persona_limit": _PERSONA_LIMIT,
        "user_persona_limit": _PERSONA_LIMIT,
        "allow_custom_personas": _Gone("users can always store their own personas", same=True),
        "require_persona_validation": _Gone("personas are always validated", same=True),
        "insight_generation_enabled": _Move("panel_session.auto_capture_insights", True),
        "insight_retention_days": _INSIGHT_RETENTION,
        "insight_min_messages": _PANEL_FIXED,
        "insight_update_frequency": _PANEL_FIXED,
        "message_threading_enabled": _Move(_THREADING, True),
        "max_thread_depth": _PANEL_FIXED,
        "thread_branching_allowed": _PANEL_FIXED,
        "voting_enabled": _Move("panel_session.enable_voting", True),
        "consensus_tracking": _Move("panel_session.enable_decision_tracking", True),
        "disagreement_highlighting": _PANEL_FIXED,
        "panel_types": _Gone(
            "panel types are fixed (multi_persona, ai_debate, focus_group, "
            "brainstorm, expert_consultation, decision_making)"
        ),
        "default_personas": _Gone("no built-in personas: store them with store_persona"),
        "lazy_load_insights": _PANEL_FIXED,
        "cache_panel_state": _PANEL_FIXED,
        "panel_state_cache_ttl": _PANEL_FIXED,
        "maintain_persona_context": _PANEL_FIXED,
        "context_window_messages": _PANEL_FIXED,
        "context_summary_enabled": _PANEL_FIXED,
    },
    "runtime": {
        name: _RUNTIME
        for name in (
            "cache_size_limit",
            "cache_ttl_seconds",
            "file_retry_delay_ms",
            "file_retry_max_delay_ms",
            "file_retry_attempts",
            "file_retry_backoff_factor",
            "entity_patterns",
            "jsonl_page_size",
            "temp_dir_cleanup_interval_seconds",
            "max_concurrent_operations",
        )
    }
    | {"default_encoding": _Gone("every file is UTF-8", same="utf-8")},
}

# Sections already in the current format (kept key by key, unknown keys reported).
_CURRENT_SECTIONS = tuple(n for n in FFConfigurationManagerConfigDTO.model_fields if n != "storage")
# Top-level parts of PrismMind integration files (configs/*.json next to ``flatfile_config``).
_PRISMMIND_SECTIONS = (
    "document_processing",
    "handler_strategies",
    "integration_settings",
    "engine_selection",
)
_SPECIAL = ("flatfile_config", "environment", "preset")

# Old presets: upstream v1's DevelopmentConfig/ProductionConfig together with v2's
# from_environment(), written in v2 shape (where both set a key they agree).
OLD_PRESETS: dict[str, dict[str, dict[str, Any]]] = {
    "development": {
        "storage": {
            "base_path": "./dev_data",
            "validate_json_on_read": True,
            "backup_before_delete": True,
            "max_messages_per_session": 10_000,
        },
        "locking": {"deadlock_detection_enabled": True},
        "search": {"enable_search_cache": False},
    },
    "production": {
        "storage": {
            "base_path": "/var/lib/chatdb/data",
            "validate_json_on_read": False,
            "jsonl_read_buffer_size": 16_384,
        },
        "search": {"default_page_size": 50, "default_limit": 10, "cache_ttl_seconds": 600},
        "locking": {"retry_max_attempts": 200},
    },
    "test": {
        "storage": {"base_path": "./test_data", "max_messages_per_session": 1000},
        "locking": {"timeout_seconds": 5.0},
        "search": {"max_total_results": 100},
    },
}


# -- the migration --------------------------------------------------------------------------


@dataclass
class _Entry:
    """One finding in the making; assignments also carry where their value goes."""

    key: str
    path: tuple[Any, ...]
    kind: str
    detail: str = ""
    target: tuple[str, ...] | None = None
    value: Any = None
    failure: str = ""  # set when the value cannot be applied

    @property
    def assigned(self) -> tuple[str, ...]:
        """The target of an assignment (``_Migration._assignments`` keeps only those)."""
        assert self.target is not None
        return self.target


class _Migration:
    def __init__(self, document: Mapping[Any, Any], origin: str, base_preset: str | None) -> None:
        self.document, self.origin = document, origin
        self.entries: list[_Entry] = []
        self.base = "defaults"
        if "preset" in document:
            base_preset = self._preset_key(document["preset"], base_preset)
        if base_preset is not None:
            self.base = f"preset:{base_preset}"
        self.base_data: dict[str, Any] = (
            load_config(preset=base_preset).model_dump(mode="json") if base_preset else {}
        )
        self.base_dump = FFConfigurationManagerConfigDTO.model_validate(self.base_data).model_dump(
            mode="json"
        )

    def _preset_key(self, value: Any, base_preset: str | None) -> str | None:
        if isinstance(value, str) and value in PRESETS:
            self._add(
                ("preset",),
                "mapped",
                f"current key: starts from the current {value!r} "
                "preset, whose values are written out",
            )
            return value
        self._add(
            ("preset",),
            "invalid",
            f"preset: expected one of {', '.join(PRESETS)} (got {_clip(value)}); not applied",
        )
        return base_preset

    # -- walking the old document ----------------------------------------------------------
    def run(self) -> ConfigMigration:
        for key, value in self.document.items():
            path = (key,)
            if key == "preset":
                continue  # handled first: it decides the base
            if isinstance(key, str) and key in _V1:
                self._rule(_V1[key], path, value)
            elif key == "flatfile_config":
                self._section(path, value, _V1, None, "v1 StorageConfig keys")
            elif key in _V2:
                model = FFStorageConfigDTO if key == "storage" else None
                self._section(path, value, _V2[key], model, f"v2 {key} keys")
            elif key in _CURRENT_SECTIONS:
                self._current(path, value, FFConfigurationManagerConfigDTO)
            elif key == "environment":
                self._add(
                    path,
                    "dropped_obsolete",
                    f"no equivalent: v2 recorded the environment name ({_clip(value)}) "
                    "but used a loaded file's values as they were; to start from a "
                    "current preset add 'preset: NAME'",
                )
            elif key in _PRISMMIND_SECTIONS:
                self._add(
                    path,
                    "dropped_obsolete",
                    "no equivalent: PrismMind document-processing settings are not part "
                    f"of the store's config ({_count_keys(value)} keys not carried over)",
                )
            else:
                known = [*_V1, *_V2, *_CURRENT_SECTIONS, *_SPECIAL, *_PRISMMIND_SECTIONS]
                self._unknown(path, "not a v1/v2 setting nor a current one", known)
        return self._finish()

    def _section(
        self,
        path: tuple[Any, ...],
        value: Any,
        rules: Mapping[str, _Rule],
        current_model: Any,
        what: str,
    ) -> None:
        if not isinstance(value, Mapping):
            self._add(
                path,
                "invalid",
                f"{_dotted(path)}: expected a mapping of {what} (got {_clip(value)}); not applied",
            )
            return
        for key, item in value.items():
            sub = (*path, key)
            if isinstance(key, str) and key in rules:
                self._rule(rules[key], sub, item)
            elif current_model is not None and key in current_model.model_fields:
                self._current(sub, item, current_model, field_name=key)
            else:
                known = [*rules, *(current_model.model_fields if current_model else ())]
                self._unknown(sub, f"not one of the {what}", known)

    def _current(
        self, path: tuple[Any, ...], value: Any, parent: Any, field_name: Any = None
    ) -> None:
        """A key in the current format: sections are walked, everything else kept as is."""
        name = path[-1] if field_name is None else field_name
        annotation = parent.model_fields[name].annotation
        if (
            isinstance(annotation, type)
            and issubclass(annotation, BaseModel)
            and isinstance(value, Mapping)
        ):
            for key, item in value.items():
                sub = (*path, key)
                if isinstance(key, str) and key in annotation.model_fields:
                    self._current(sub, item, annotation)
                else:
                    self._unknown(
                        sub, f"not a current {_dotted(path)} key", list(annotation.model_fields)
                    )
            return
        self._assign(path, "mapped", tuple(map(str, path)), plain(value), "current key, kept as is")

    def _rule(self, rule: _Rule, path: tuple[Any, ...], value: Any) -> None:
        value = plain(value)
        if isinstance(rule, _Gone):
            self._add(path, "dropped_obsolete", _gone_detail(rule, value))
        elif isinstance(rule, _Locking):
            if value is False:
                self._add(
                    path,
                    "dropped_obsolete",
                    "no equivalent: file locking cannot be turned off "
                    "(storage.enable_file_locking is always true). Not applied: your "
                    "value False would let concurrent writers corrupt files, a security "
                    "downgrade",
                )
            else:
                self._move(_Move(rule.target, True), path, value)
        else:
            self._move(rule, path, value)

    def _move(self, rule: _Move, path: tuple[Any, ...], value: Any) -> None:
        target = tuple(rule.target.split("."))
        kind = "mapped" if str(path[-1]) == target[-1] else "renamed"
        verb = (
            "kept at"
            if _dotted(path) == rule.target
            else "moved to"
            if kind == "mapped"
            else "renamed to"
        )
        note, new, refused = rule.note, value, ""
        if rule.convert is not None:
            try:
                new, extra, refused = rule.convert(value)
            except _Refused as exc:
                entry = self._add(path, "invalid", "", target=target, value=value)
                entry.failure = str(exc)
                return
            note = extra + note
        base = _lookup(self.base_dump, target)
        if (
            rule.old_default is not _UNSET
            and _same(value, rule.old_default)
            and not _same(new, base)
        ):
            self._add(
                path,
                kind,
                f"{verb} {rule.target}{note}; {_clip(value)} was the old "
                f"default, so the current {_clip(base)} applies",
            )
        else:
            self._assign(path, kind, target, new, f"{verb} {rule.target}{note}")
        if refused:
            self._add(path, "invalid", refused)

    # -- entries ---------------------------------------------------------------------------
    def _add(
        self,
        path: tuple[Any, ...],
        kind: str,
        detail: str,
        target: tuple[str, ...] | None = None,
        value: Any = None,
    ) -> _Entry:
        entry = _Entry(_dotted(path), path, kind, detail, target, value)
        self.entries.append(entry)
        return entry

    def _assign(
        self, path: tuple[Any, ...], kind: str, target: tuple[str, ...], value: Any, detail: str
    ) -> None:
        self._add(path, kind, detail, target=target, value=value)

    def _unknown(self, path: tuple[Any, ...], why: str, known: list[Any]) -> None:
        detail = f"unknown key: {why}; not applied"
        close = difflib.get_close_matches(str(path[-1]), [str(k) for k in known], n=1)
        if close:
            detail += f" (did you mean {close[0]!r}?)"
        self._add(path, "unknown", detail)

    # -- applying and validating -----------------------------------------------------------
    def _finish(self) -> ConfigMigration:
        self._resolve_conflicts()
        config = self._validate()
        dump = config.model_dump(mode="json")
        findings = []
        for entry in self.entries:
            detail = entry.detail
            if entry.failure:
                kept = _lookup(dump, entry.target) if entry.target else None
                target = ".".join(entry.target) if entry.target else entry.key
                detail = f"{target}: {entry.failure} (got {_clip(entry.value)}); kept {_clip(kept)}"
                if _is_limit(entry.target, entry.value):
                    detail += "; a limit of 0 or less is refused, not read as 'unlimited'"
                entry.kind = "invalid"
            line = (
                line_of(self.document, entry.path) if isinstance(self.document, LineDict) else None
            )
            findings.append(ConfigFinding(entry.key, entry.kind, _one_line(detail), line))
        return ConfigMigration(self.origin, config, findings, self.base)

    def _assignments(self) -> list[_Entry]:
        return [e for e in self.entries if e.target is not None and not e.failure]

    def _resolve_conflicts(self) -> None:
        """Two old keys with different values for one current key: the stricter limit (or
        else the first in the file) wins; the other is reported, not applied."""
        by_target: dict[tuple[str, ...], list[_Entry]] = {}
        for entry in self._assignments():
            by_target.setdefault(entry.assigned, []).append(entry)
        for target, group in by_target.items():
            if all(_same(e.value, group[0].value) for e in group):
                continue
            numbers = all(
                isinstance(e.value, int | float) and not isinstance(e.value, bool) for e in group
            )
            if numbers and target[-1].startswith("max_"):
                winner, why = min(group, key=lambda e: e.value), "the stricter limit"
            else:
                winner, why = group[0], "the first in the file"
            for entry in group:
                if entry is not winner and not _same(entry.value, winner.value):
                    entry.failure = (
                        f"conflicts with {winner.key} = {_clip(winner.value)}, "
                        f"which is kept ({why})"
                    )

    def _validate(self) -> FFConfigurationManagerConfigDTO:
        """Validate everything at once; blame each error on the assignment it is about, drop
        that assignment (its default stays) and try again."""
        while True:
            active = self._assignments()
            data = dict(self.base_data)
            for entry in active:
                data = deep_merge(data, _nested(entry.assigned, entry.value))
            try:
                return FFConfigurationManagerConfigDTO.model_validate(data)
            except pydantic.ValidationError as exc:
                if not self._blame(exc, active):  # cannot happen: the base alone is valid
                    raise ConfigError(
                        f"{self.origin}: migrated config does not validate: {exc}", path=self.origin
                    ) from None

    def _blame(self, exc: pydantic.ValidationError, active: list[_Entry]) -> bool:
        blamed = False
        for error in exc.errors():
            loc = tuple(error["loc"])
            inside = [e for e in active if loc[: len(e.assigned)] == e.assigned]
            culprit = max(inside, key=lambda e: len(e.assigned)) if inside else None
            if culprit is None:  # a section-level rule (e.g. chunk sizes): the last one in it
                around = [e for e in active if e.assigned[: len(loc)] == loc]
                culprit = around[-1] if around else None
            if culprit is None:
                continue
            message = error["msg"]
            if len(loc) > len(culprit.assigned):
                message = f"{'.'.join(map(str, loc[len(culprit.assigned) :]))}: {message}"
            culprit.failure = f"{culprit.failure}; {message}" if culprit.failure else message
            blamed = True
        return blamed


# -- public API -----------------------------------------------------------------------------


def migrate_config_data(data: dict, *, origin: str = "<config>") -> ConfigMigration:
    """Migrate an old config already read into a mapping (a ``LineDict`` keeps its lines)."""
    if not isinstance(data, Mapping):
        raise ConfigError(
            f"{origin}: top level must be a mapping, got {type(data).__name__}", path=origin
        )
    return _Migration(data, origin, None).run()


def migrate_config_file(path: Path) -> ConfigMigration:
    """Migrate an old ``.json``, ``.yaml``/``.yml`` or ``.toml`` config file.

    Other suffixes are read as JSON when the text starts with ``{``, else as YAML. A missing,
    unreadable or unparsable file raises ``ConfigError`` naming the path (and line).
    """
    path = Path(path)
    source = str(path)
    try:
        text = read_text_bounded(path, DEFAULT_LIMITS, source)
    except FileNotFoundError:
        raise ConfigError(f"{source}: config file not found", path=source) from None
    except YAMLError as exc:  # too large, or not UTF-8
        raise ConfigError(str(exc), path=source, line=exc.line) from None
    except OSError as exc:
        raise ConfigError(
            f"{source}: cannot read config file: {exc.strerror or exc}", path=source
        ) from None
    suffix = path.suffix.lower()
    if suffix == ".json" or (
        suffix not in (".yaml", ".yml", ".toml") and text.lstrip().startswith("{")
    ):
        document = _read_json(text, source)
    elif suffix == ".toml":
        document = _read_toml(text, source)
    else:
        try:
            document = load_yaml(text, source=source)
        except YAMLError as exc:
            raise ConfigError(str(exc), path=source, line=exc.line) from None
    if document is None:
        document = LineDict()
        document.line, document.key_lines = 1, {}
    if not isinstance(document, Mapping):
        raise ConfigError(
            f"{source}: top level must be a mapping, got {type(document).__name__}",
            path=source,
            line=getattr(document, "line", None),
        )
    return _Migration(document, source, None).run()


def migrate_preset(name: str) -> ConfigMigration:
    """Migrate an old preset (development, production, test) onto the current one."""
    if name not in OLD_PRESETS:
        raise ConfigError(
            f"unknown old preset {name!r} (allowed: {', '.join(OLD_PRESETS)})",
            key="preset",
            value=name,
        )
    return _Migration(OLD_PRESETS[name], f"preset:{name}", name).run()


# -- reading JSON and TOML with line numbers ------------------------------------------------

_MAX_DEPTH = DEFAULT_LIMITS.max_depth


def _read_json(text: str, source: str) -> Any:
    """The JSON document as ``LineDict``/``LineList`` (like YAML), duplicate keys refused."""
    try:
        json.loads(text)
    except json.JSONDecodeError as exc:
        raise ConfigError(
            f"{source}:{exc.lineno}: invalid JSON: {exc.msg}", path=source, line=exc.lineno
        ) from None
    except RecursionError:
        raise ConfigError(f"{source}: JSON nested too deeply", path=source) from None
    starts = [0] + [m.end() for m in re.finditer("\n", text)]

    def line(pos: int) -> int:
        return bisect.bisect_right(starts, pos)

    decoder = json.JSONDecoder()
    stack: list[Any] = []
    root: Any = None
    pending: Any = None  # the key of the innermost mapping still waiting for its value
    pos, end = 0, len(text)
    while pos < end:  # the text is valid JSON (checked above), so the scan can be simple
        ch = text[pos]
        if ch in " \t\r\n,:":
            pos += 1
            continue
        if ch in "}]":
            stack.pop()
            pos += 1
            continue
        top = stack[-1] if stack else None
        if isinstance(top, LineDict) and pending is None:
            # typeshed leaves out json.decoder's alias of _json.scanstring (C, or Python)
            key, pos = json.decoder.scanstring(text, pos + 1)  # type: ignore[attr-defined]
            if key in top.key_lines:
                raise ConfigError(
                    f"{source}:{line(pos)}: duplicate key {key!r} (first defined "
                    f"on line {top.key_lines[key]})",
                    path=source,
                    line=line(pos),
                )
            top.key_lines[key], pending = line(pos), key
            continue
        if ch == "{":
            value: Any = LineDict()
            value.key_lines = {}
        elif ch == "[":
            value = LineList()
            value.item_lines = []
        else:
            value, after = decoder.raw_decode(text, pos)
        if isinstance(value, LineDict | LineList):
            value.line, after = line(pos), pos + 1
        if top is None:
            root = value
        elif isinstance(top, LineDict):
            top[pending], pending = value, None
        else:
            top.append(value)
            top.item_lines.append(line(pos))
        if isinstance(value, LineDict | LineList):
            stack.append(value)
            if len(stack) > _MAX_DEPTH:
                raise ConfigError(
                    f"{source}:{line(pos)}: nesting deeper than {_MAX_DEPTH} levels",
                    path=source,
                    line=line(pos),
                )
        pos = after
    return root


_TOML_LINE = re.compile(
    r"""^\s*(\[\[?)?\s*((?:"[^"]*"|'[^']*'|[A-Za-z0-9_-]+)"""
    r"""(?:\s*\.\s*(?:"[^"]*"|'[^']*'|[A-Za-z0-9_-]+))*)\s*(\]\]?|=)"""
)
_TOML_PART = re.compile(r""""([^"]*)"|'([^']*)'|([A-Za-z0-9_-]+)""")


def _read_toml(text: str, source: str) -> Any:
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        found = re.search(r"line (\d+)", str(exc))
        line = int(found.group(1)) if found else None
        where = f"{source}:{line}" if line else source
        raise ConfigError(f"{where}: invalid TOML: {exc}", path=source, line=line) from None
    lines: dict[tuple[str, ...], int] = {}
    table: tuple[str, ...] = ()
    for number, raw in enumerate(text.splitlines(), start=1):
        match = _TOML_LINE.match(raw)
        if not match:
            continue
        parts = tuple(
            next(p for p in m.groups() if p is not None)
            for m in _TOML_PART.finditer(match.group(2))
        )
        if match.group(1):  # [table] or [[array]]
            table = parts
            lines.setdefault(table, number)
        else:
            lines.setdefault((*table, *parts), number)
    return _with_lines(data, lines, ())


def _with_lines(value: Any, lines: dict[tuple[str, ...], int], path: tuple[str, ...]) -> Any:
    if isinstance(value, dict):
        result = LineDict()
        result.line = lines.get(path, 1)
        result.key_lines = {}
        for key, item in value.items():
            result[key] = _with_lines(item, lines, (*path, key))
            if (*path, key) in lines:
                result.key_lines[key] = lines[(*path, key)]
        return result
    return value


# -- helpers --------------------------------------------------------------------------------


def _gone_detail(rule: _Gone, value: Any) -> str:
    detail = f"no equivalent: {rule.reason}"
    if rule.same is _UNSET:
        return f"{detail} (value {_clip(value)} not carried over)"
    if _same(value, rule.same):
        return f"{detail} (your value {_clip(value)} matches)"
    if rule.unsafe:
        return (
            f"{detail}. Not applied: your value {_clip(value)} {rule.unsafe}, a security downgrade"
        )
    return f"{detail} (your value {_clip(value)} differs: {rule.differs or 'not supported'})"


def _same(a: Any, b: Any) -> bool:
    """Equal values of the same kind (``True`` is not ``1``; ``30`` is ``30.0``)."""
    if isinstance(a, bool) or isinstance(b, bool):
        return type(a) is type(b) and a == b
    if isinstance(a, int | float) and isinstance(b, int | float):
        return a == b
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b))
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)
    return type(a) is type(b) and a == b


def _is_limit(target: tuple[str, ...] | None, value: Any) -> bool:
    return (
        target is not None
        and target[-1].startswith("max_")
        and isinstance(value, int | float)
        and not isinstance(value, bool)
        and value <= 0
    )


def _lookup(data: Any, path: tuple[str, ...]) -> Any:
    for step in path:
        if not isinstance(data, dict) or step not in data:
            return None
        data = data[step]
    return data


def _nested(path: tuple[str, ...], value: Any) -> dict[str, Any]:
    for step in reversed(path):
        value = {step: value}
    return value


def _non_default(model: BaseModel, default: BaseModel) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name in type(model).model_fields:
        mine, theirs = getattr(model, name), getattr(default, name)
        if isinstance(mine, BaseModel):
            sub = _non_default(mine, theirs)
            if sub:
                out[name] = sub
        elif mine != theirs:
            out[name] = model.model_dump(mode="json", include={name})[name]
    return out


def _count_keys(value: Any) -> int:
    if isinstance(value, Mapping):
        return sum(1 + _count_keys(v) if isinstance(v, Mapping) else 1 for v in value.values())
    return 1


def _dotted(path: tuple[Any, ...]) -> str:
    return ".".join(map(str, path))


def _clip(value: Any, width: int = 80) -> str:
    text = repr(plain(value))
    return text if len(text) <= width else text[: width - 3] + "..."


def _one_line(text: str) -> str:
    return " ".join(text.splitlines())
