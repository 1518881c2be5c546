"""The sync file work behind ``FFKnowledgeBaseManager``: KBs, documents, index maintenance.

Every change to a KB holds its lock (``.kb.lock`` in the KB folder) and is validated before
anything is written. Order of writes for a change: document file, the index group
(``index_files.write``: bm25 → embeddings → chunk_index → vector_index), ``documents/
metadata.json``, then ``kb_config.json`` (counts and index fingerprint), then the emptied
retrieval cache. ``kb_config.json`` counts are therefore always what is indexed once a change
returns; a crash in between is visible to the integrity check and repaired by
``run_kb_maintenance``.
"""

from __future__ import annotations

import contextlib
import hashlib
import re
import threading
from collections import OrderedDict
from collections.abc import Mapping
from pathlib import Path, PurePosixPath
from typing import Any

import numpy as np

from flatfile_chat.config import FFKnowledgeBaseConfigDTO
from flatfile_chat.errors import (
    AlreadyExists,
    LimitExceeded,
    NotFound,
    StorageWriteError,
    UnsafePath,
    ValidationError,
)
from flatfile_chat.knowledge import index_files
from flatfile_chat.knowledge.access import KBAccess, KBHandle
from flatfile_chat.knowledge.cache import QueryCache, QueryStats
from flatfile_chat.knowledge.chunking import ChunkingConfig, chunk_text
from flatfile_chat.knowledge.embedding import Embedder
from flatfile_chat.knowledge.keyword import KeywordIndex
from flatfile_chat.knowledge.layout import KBPaths, KnowledgeLayout
from flatfile_chat.knowledge.models import (
    FFKBChunkDTO,
    FFKBDocumentDTO,
    FFKnowledgeBaseDTO,
    KnowledgeBaseType,
    RetrievalStrategy,
)
from flatfile_chat.storage.chain import head_path
from flatfile_chat.storage.paths import validate_id
from flatfile_chat.store.documents import check_original_name, stored_name
from flatfile_chat.store.layout import StoreContext
from flatfile_chat.store.users import UserRepository
from flatfile_chat.validation import enum_value, json_dict, parse_input

_CHUNKING_KEYS = (
    "chunking_strategy",
    "chunk_size",
    "chunk_overlap",
    "max_chunk_size",
    "min_chunk_size",
)
_RETRIEVAL_KEYS = ("default_retrieval_strategy", "min_relevance_threshold", "max_retrieval_results")
_OVERRIDE_KEYS = frozenset(_CHUNKING_KEYS + _RETRIEVAL_KEYS + ("tags", "custom_metadata"))
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_SNAPSHOTS_KEPT = 32


class KBRepository:
    def __init__(
        self,
        ctx: StoreContext,
        users: UserRepository,
        embedder: Embedder,
        access: KBAccess,
        *,
        stats_flush_every: int = 64,
    ) -> None:
        self._ctx = self.ctx = ctx
        self._fs = self.fs = ctx.fs
        self._users = users
        self.embedder = embedder
        self.access = access
        self.layout = KnowledgeLayout(ctx.fs)
        self.cache = QueryCache(ctx.fs)
        self.stats = QueryStats(ctx.fs, stats_flush_every)
        # KB root -> (stat signature, index_fingerprint of the config it was loaded for,
        # snapshot)
        self._snapshots: OrderedDict[
            Path, tuple[index_files.Signature, str, index_files.IndexSnapshot]
        ] = OrderedDict()
        self._memo_lock = threading.Lock()

    @property
    def config(self) -> FFKnowledgeBaseConfigDTO:
        return self._ctx.config.knowledge_base

    def require_user(self, user_id: str) -> None:
        self._users.require(user_id)

    # -- knowledge bases -----------------------------------------------------------------
    def create(
        self,
        user_id: str,
        name: str,
        description: str,
        kb_type: KnowledgeBaseType | str,
        overrides: Mapping[str, Any] | None,
    ) -> FFKnowledgeBaseDTO:
        self._users.require(user_id)
        name = self._name(name)
        if not isinstance(description, str):
            raise ValidationError("description must be a string", key="description")
        kind = enum_value(KnowledgeBaseType, kb_type, "kb_type")
        chunking, retrieval, tags, custom = self._overrides(overrides)
        fs = self._fs
        root = fs.ensure_dir(self.layout.kb_root(user_id))
        with fs.lock(self.layout.kb_index(user_id)):
            existing = self._configs(user_id)
            limit = self.config.max_knowledge_bases_per_user
            if len(existing) >= limit:
                raise LimitExceeded(
                    f"user {user_id!r} already has {limit} knowledge bases "
                    "(max_knowledge_bases_per_user)",
                    key="max_knowledge_bases_per_user",
                )
            clash = [c["kb_id"] for c in existing if c["name"].casefold() == name.casefold()]
            if clash:
                raise AlreadyExists(
                    f"user {user_id!r} already has a knowledge base named {name!r} ({clash[0]})",
                    key="name",
                    value=name,
                )
            kb_id = self._fresh_kb_id(root)
            paths = self.layout.kb(user_id, kb_id)
            now = self._ctx.now_iso()
            record = FFKnowledgeBaseDTO(
                kb_id=kb_id,
                user_id=user_id,
                name=name,
                description=description,
                kb_type=kind,
                created_at=now,
                updated_at=now,
                chunking_config=chunking,
                embedding_config=self.embedding_config(),
                retrieval_config=retrieval,
                tags=tags,
                custom_metadata=custom,
                index_fingerprint=index_files.fingerprint([]),
            )
            fs.create_dir(paths.root)
            try:
                fs.ensure_dir(paths.documents_dir)
                fs.write_json(paths.documents_metadata, {})
                self.cache.clear(paths, record.index_fingerprint, now)
                fs.write_json(paths.config, record.to_dict(), exclusive=True)  # commit point
            except BaseException:
                fs.remove_tree(paths.root)
                raise
            self._write_kb_index(user_id, [*existing, record.to_dict()])
        return record

    @staticmethod
    def _name(name: object) -> str:
        if (
            not isinstance(name, str)
            or not name.strip()
            or len(name) > 200
            or _CONTROL.search(name)
        ):
            raise ValidationError(
                "knowledge base name must be 1-200 printable characters", key="name", value=name
            )
        return name.strip()

    def _overrides(
        self, overrides: Mapping[str, Any] | None
    ) -> tuple[dict[str, Any], dict[str, Any], list[str], dict[str, Any]]:
        given = json_dict(overrides, "config_overrides")
        unknown = sorted(set(given) - _OVERRIDE_KEYS)
        if unknown:
            raise ValidationError(
                f"unknown config_overrides key {unknown[0]!r} (allowed: "
                f"{', '.join(sorted(_OVERRIDE_KEYS))})",
                key=unknown[0],
            )
        tags = given.pop("tags", [])
        if not isinstance(tags, list) or not all(isinstance(t, str) for t in tags):
            raise ValidationError("tags must be a list of strings", key="tags")
        custom = json_dict(given.pop("custom_metadata", {}), "custom_metadata")
        merged = parse_input(
            FFKnowledgeBaseConfigDTO, {**self.config.model_dump(), **given}, "config_overrides"
        )
        enum_value(
            RetrievalStrategy, merged.default_retrieval_strategy, "default_retrieval_strategy"
        )
        chunking = {
            "strategy": merged.chunking_strategy,
            "chunk_size": merged.chunk_size,
            "chunk_overlap": merged.chunk_overlap,
            "max_chunk_size": merged.max_chunk_size,
            "min_chunk_size": merged.min_chunk_size,
        }
        retrieval = {
            "default_strategy": merged.default_retrieval_strategy,
            "min_relevance_threshold": merged.min_relevance_threshold,
            "max_retrieval_results": merged.max_retrieval_results,
        }
        return chunking, retrieval, tags, custom

    def embedding_config(self) -> dict[str, Any]:
        return {
            "model": self.embedder.name,
            "dimensions": self.embedder.dimensions,
            "dtype": "float32",
            "normalized": True,
        }

    def _fresh_kb_id(self, root: Path) -> str:
        for _ in range(100):
            kb_id = self._ctx.ids.prefixed("kb", 12)
            if not (root / kb_id).exists():
                return kb_id
        raise AlreadyExists("could not allocate a fresh kb_id", key="kb_id")

    def _configs(self, user_id: str) -> list[dict[str, Any]]:
        root = self.layout.kb_root(user_id)
        try:
            names = sorted(self._fs.listdir(root))
        except FileNotFoundError:
            return []
        configs = []
        for name in names:
            path = root / name / "kb_config.json"
            if path.is_file():
                configs.append(self._fs.read_json(path))
        return configs

    def _write_kb_index(self, user_id: str, configs: list[dict[str, Any]]) -> None:
        index = {
            c["kb_id"]: {"name": c["name"], "kb_type": c["kb_type"], "created_at": c["created_at"]}
            for c in configs
        }
        self._fs.write_json(
            self.layout.kb_index(user_id),
            {"user_id": user_id, "knowledge_bases": index},
            derived=True,
        )

    def list_for(self, user_id: str, include_shared: bool) -> list[dict[str, Any]]:
        self._users.require(user_id)
        own = self._configs(user_id)
        if not include_shared:
            return own
        shared: list[dict[str, Any]] = []
        for owner in self._other_users(user_id):
            shared.extend(
                c
                for c in self._configs(owner)
                if c.get("sharing_enabled") and user_id in c.get("access_permissions", [])
            )
        return own + shared

    def _other_users(self, user_id: str) -> list[str]:
        return [u for u in self._users.list() if u != user_id]

    def set_sharing(
        self, user_id: str, kb_id: str, sharing_enabled: bool, access_permissions: list[str]
    ) -> dict[str, Any]:
        if not isinstance(sharing_enabled, bool):
            raise ValidationError("sharing_enabled must be true or false", key="sharing_enabled")
        if not isinstance(access_permissions, list):
            raise ValidationError(
                "access_permissions must be a list of user ids", key="access_permissions"
            )
        for reader in access_permissions:
            validate_id(reader, "access_permissions")
            self._users.require(reader)
        handle = self.access.for_write(user_id, kb_id, "share")
        with self._fs.lock(handle.paths.lock_target):
            config = self._fs.read_json(handle.paths.config)
            config.update(
                sharing_enabled=sharing_enabled,
                access_permissions=list(dict.fromkeys(access_permissions)),
                updated_at=self._ctx.now_iso(),
            )
            self._fs.write_json(handle.paths.config, config)
        return config

    # -- documents -----------------------------------------------------------------------
    def add_document(
        self,
        user_id: str,
        kb_id: str,
        document_path: str,
        document_content: str | bytes,
        metadata: Mapping[str, Any] | None,
    ) -> FFKBDocumentDTO:
        original_path, basename = self._document_path(document_path)
        text = self._text(document_content)
        meta = json_dict(metadata, "metadata")
        data = text.encode("utf-8")
        handle = self.access.for_write(user_id, kb_id, "add documents to")
        fs, paths = self._fs, handle.paths
        with fs.lock(paths.lock_target):
            config = fs.read_json(paths.config)
            self.check_embedder(config)
            documents = fs.read_json(paths.documents_metadata, default={})
            self._check_quota(config, documents, len(data))
            sha = hashlib.sha256(data).hexdigest()
            if self.config.enable_duplicate_detection:
                same = [d for d, e in documents.items() if e["content_sha256"] == sha]
                if same:
                    raise AlreadyExists(
                        f"knowledge base {kb_id!r} already holds this content "
                        f"as document {same[0]!r}",
                        key="document_content",
                        value=same[0],
                    )
            chunks = chunk_text(text, ChunkingConfig(**config["chunking_config"]))
            doc_id = self._fresh_doc_id(documents)
            now = self._ctx.now_iso()
            filename = f"{doc_id}_{stored_name(fs, basename)}"
            title = str(meta.get("title") or basename)
            new_rows = [
                FFKBChunkDTO(
                    chunk_id=f"{doc_id}_{c.index:05d}",
                    document_id=doc_id,
                    vector_index=0,
                    chunk_index=c.index,
                    total_chunks=len(chunks),
                    char_start=c.char_start,
                    char_end=c.char_end,
                    content=c.text,
                    document_title=title,
                    source_path=original_path,
                    added_at=now,
                ).to_dict()
                for c in chunks
            ]
            new_vectors = self.embedder.embed([c.text for c in chunks])
            snapshot = self._snapshot_locked(paths, config.get("index_fingerprint"))
            record = FFKBDocumentDTO(
                doc_id=doc_id,
                kb_id=kb_id,
                original_path=original_path,
                filename=filename,
                content_length=len(text),
                size_bytes=len(data),
                content_sha256=sha,
                chunk_count=len(chunks),
                chunking_strategy=config["chunking_config"]["strategy"],
                added_at=now,
                metadata=meta,
                sequence=1 + max((d.get("sequence", 0) for d in documents.values()), default=0),
            )
            fs.write_blob(paths.document_file(filename), data, exclusive=True)
            documents[doc_id] = record.to_dict()
            try:
                self.commit(
                    handle,
                    config,
                    documents,
                    snapshot.rows + new_rows,
                    np.vstack([snapshot.embeddings, new_vectors]),
                )
            except BaseException:
                # No orphan blob when the document never made it into documents_metadata.
                if doc_id not in fs.read_json(paths.documents_metadata, default={}):
                    fs.remove(paths.document_file(filename))
                raise
        return record

    @staticmethod
    def _document_path(document_path: object) -> tuple[str, str]:
        if (
            not isinstance(document_path, str)
            or not document_path.strip()
            or len(document_path) > 1000
            or _CONTROL.search(document_path)
        ):
            raise ValidationError(
                "document_path must be a non-empty printable path of at most 1000 characters",
                key="document_path",
            )
        basename = PurePosixPath(document_path.replace("\\", "/")).name
        return document_path, check_original_name(basename)

    @staticmethod
    def _text(content: object) -> str:
        if isinstance(content, bytes | bytearray):
            try:
                return bytes(content).decode("utf-8")
            except UnicodeDecodeError:
                raise ValidationError(
                    "document_content bytes are not UTF-8 text", key="document_content"
                ) from None
        if not isinstance(content, str):
            raise ValidationError("document_content must be text", key="document_content")
        return content

    def check_embedder(self, config: Mapping[str, Any]) -> None:
        stored = config["embedding_config"]
        if (stored.get("model"), stored.get("dimensions")) != (
            self.embedder.name,
            self.embedder.dimensions,
        ):
            raise ValidationError(
                f"knowledge base {config['kb_id']!r} is embedded with {stored.get('model')}/"
                f"{stored.get('dimensions')}, this manager uses {self.embedder.name}/"
                f"{self.embedder.dimensions}; run_kb_maintenance re-embeds it",
                key="embedding_model",
            )

    def _check_quota(
        self, config: Mapping[str, Any], documents: Mapping[str, Any], new_bytes: int
    ) -> None:
        limit = self.config.max_documents_per_kb
        if len(documents) >= limit:
            raise LimitExceeded(
                f"knowledge base {config['kb_id']!r} already holds {limit} "
                "documents (max_documents_per_kb)",
                key="max_documents_per_kb",
            )
        max_bytes = int(self.config.max_kb_size_mb * 1024 * 1024)
        used = sum(d["size_bytes"] for d in documents.values())
        if used + new_bytes > max_bytes:
            raise LimitExceeded(
                f"knowledge base {config['kb_id']!r} would hold "
                f"{used + new_bytes} bytes, over max_kb_size_mb "
                f"({self.config.max_kb_size_mb} MB)",
                key="max_kb_size_mb",
                size=used + new_bytes,
            )

    def _fresh_doc_id(self, documents: Mapping[str, Any]) -> str:
        for _ in range(100):
            doc_id = self._ctx.ids.prefixed("doc", 12)
            if doc_id not in documents:
                return doc_id
        raise AlreadyExists("could not allocate a fresh doc_id", key="doc_id")

    def delete_document(self, user_id: str, kb_id: str, document_id: str) -> FFKBDocumentDTO:
        validate_id(document_id, "document_id")
        handle = self.access.for_write(user_id, kb_id, "delete documents from")
        fs, paths = self._fs, handle.paths
        with fs.lock(paths.lock_target):
            config = fs.read_json(paths.config)
            documents = fs.read_json(paths.documents_metadata, default={})
            entry = documents.pop(document_id, None)
            if entry is None:
                raise NotFound(
                    f"document {document_id!r} not found in knowledge base {kb_id!r}",
                    key="document_id",
                    value=document_id,
                )
            snapshot = self._snapshot_locked(paths, config.get("index_fingerprint"))
            keep = [i for i, r in enumerate(snapshot.rows) if r["document_id"] != document_id]
            self.commit(
                handle,
                config,
                documents,
                [snapshot.rows[i] for i in keep],
                snapshot.embeddings[keep],
            )
            blob = paths.document_file(entry["filename"])
            # last, and best effort: the delete is committed; a crash, a failed write or a
            # planted link leaves an orphan file (maintenance reports it), never a dangling entry
            with contextlib.suppress(FileNotFoundError, NotFound, StorageWriteError, UnsafePath):
                fs.remove(blob)
        return FFKBDocumentDTO.model_validate(entry)

    def commit(
        self,
        handle: KBHandle,
        config: dict[str, Any],
        documents: dict[str, Any],
        rows: list[dict[str, Any]],
        embeddings: np.ndarray,
        **extra: Any,
    ) -> dict[str, Any]:
        """Write the index group, metadata and counts (caller holds the KB lock).

        Six files change together; if one write fails (disk full, read-only folder) the ones
        already written are put back as they were, so the KB stays at its previous state. If
        even that fails, the integrity check reports the mismatch (``index_inconsistent``)."""
        fs, paths = self._fs, handle.paths
        fp = index_files.fingerprint(r["chunk_id"] for r in rows)
        keyword = KeywordIndex.build([r["content"] for r in rows], fp)
        group = [
            paths.bm25,
            paths.embeddings,
            paths.chunk_index,
            head_path(paths.chunk_index),
            paths.vector_index,
            head_path(paths.vector_index),
            paths.documents_metadata,
            paths.config,
        ]
        before = {path: fs.read_raw(path) for path in group}
        try:
            index_files.write(fs, paths, rows, embeddings, keyword, self.embedder.name)
            fs.write_json(paths.documents_metadata, documents)
            config.update(
                document_count=len(documents),
                total_chunks=len(rows),
                embedding_count=int(embeddings.shape[0]),
                total_size_bytes=sum(d["size_bytes"] for d in documents.values()),
                index_fingerprint=fp,
                updated_at=self._ctx.now_iso(),
                **extra,
            )
            fs.write_json(paths.config, config)
        except StorageWriteError:
            for path, raw in before.items():
                with contextlib.suppress(StorageWriteError):  # the check reports what stays
                    if fs.read_raw(path) != raw:
                        fs.restore_raw(path, raw)
            raise
        # Derived: entries are keyed by the index fingerprint, so a clear that cannot be
        # written serves nothing stale; the committed change must not be reported as failed.
        with contextlib.suppress(StorageWriteError):
            self.cache.clear(paths, fp, config["updated_at"])
        return config

    def documents(self, reader: str, kb_id: str) -> list[FFKBDocumentDTO]:
        handle, _config = self.access.for_read(reader, kb_id, "list documents of")
        entries = self._fs.read_json(handle.paths.documents_metadata, default={})
        return [
            FFKBDocumentDTO.model_validate(e)
            for e in sorted(
                entries.values(), key=lambda e: (e.get("sequence", 0), e["added_at"], e["doc_id"])
            )
        ]

    def chunks(self, reader: str, kb_id: str, document_id: str | None) -> list[FFKBChunkDTO]:
        handle, config = self.access.for_read(reader, kb_id, "read chunks of")
        snapshot = self.snapshot(handle.paths, config)
        return [
            FFKBChunkDTO.model_validate(r)
            for r in snapshot.rows
            if document_id is None or r["document_id"] == document_id
        ]

    # -- index snapshots -----------------------------------------------------------------
    def snapshot(self, paths: KBPaths, config: Mapping[str, Any]) -> index_files.IndexSnapshot:
        """The current index; memoised by the files' stat signature and the
        ``index_fingerprint`` of ``kb_config.json`` (so even a stat signature that repeats
        across a change, e.g. a reused inode within one mtime tick, cannot serve the old
        index), loaded under the KB lock (shared: readers exclude writers, not each other)."""
        expected = config.get("index_fingerprint") if config is not None else None
        memo = self._memo(paths, index_files.signature(paths), expected)
        if memo is not None:
            return memo
        with self._fs.lock(paths.lock_target, shared=True):
            return self._snapshot_locked(paths, expected)

    def _snapshot_locked(
        self, paths: KBPaths, expected: str | None = None
    ) -> index_files.IndexSnapshot:
        signature = index_files.signature(paths)
        memo = self._memo(paths, signature, expected)
        if memo is not None:
            return memo
        snapshot = index_files.read(self._fs, paths, self.embedder.dimensions)
        with self._memo_lock:
            self._snapshots[paths.root] = (signature, expected or snapshot.fingerprint, snapshot)
            while len(self._snapshots) > _SNAPSHOTS_KEPT:
                self._snapshots.popitem(last=False)
        return snapshot

    def _memo(
        self, paths: KBPaths, signature: index_files.Signature, expected: str | None
    ) -> index_files.IndexSnapshot | None:
        """The memoised snapshot if the files are unchanged and the config names the same
        index (``expected``: its ``index_fingerprint``, None when the caller has none)."""
        with self._memo_lock:
            memo = self._snapshots.get(paths.root)
            if (
                memo is None
                or memo[0] != signature
                or expected not in (None, memo[1], memo[2].fingerprint)
            ):
                return None
            self._snapshots.move_to_end(paths.root)
            return memo[2]

    def record_query(self, paths: KBPaths, returned: int, cache_hit: bool) -> None:
        """Usage counters for ``performance_stats.json`` (derived; never wall-clock times),
        batched in memory (see ``cache.QueryStats``)."""
        if self.config.track_query_stats:
            self.stats.record(paths, returned, cache_hit, self._ctx.now_iso())

    def dto(self, config: Mapping[str, Any], paths: KBPaths) -> FFKnowledgeBaseDTO:
        """``kb_config.json`` plus the live usage counters (pending ones written first)."""
        self.stats.flush(paths)
        stats = self._fs.read_json(paths.performance_stats, default={})
        return FFKnowledgeBaseDTO.model_validate(
            {
                **config,
                "query_count": stats.get("query_count", 0),
                "retrieval_count": stats.get("retrieval_count", 0),
                "last_accessed": stats.get("last_query_at"),
            }
        )
