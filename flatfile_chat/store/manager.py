"""``FFStorageManager``: the async base store (users, sessions, messages, documents, personas,
situational context), composed from one small repository per file type.

I/O runs inline by default: each call is a handful of small-file syscalls, and measured here a
thread hop (``asyncio.to_thread``) costs more than the work. ``storage.io_mode: thread`` moves
every call to a worker thread for servers that must never block their event loop.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any, ParamSpec, TypeVar

from flatfile_chat.clock import Clock, SystemClock
from flatfile_chat.config import FFConfigurationManagerConfigDTO
from flatfile_chat.errors import ConfigError, ValidationError
from flatfile_chat.ids import IdSource
from flatfile_chat.storage.codec import AesGcmCodec
from flatfile_chat.storage.filestore import FileStore
from flatfile_chat.storage.keyring import codec_from_config, user_names_from_config
from flatfile_chat.storage.names import check_naming
from flatfile_chat.store import integrity, old_format
from flatfile_chat.store.context import ContextRepository
from flatfile_chat.store.documents import DocumentRepository
from flatfile_chat.store.layout import Layout, StoreContext
from flatfile_chat.store.messages import MessageRepository
from flatfile_chat.store.models import (
    FFDocumentDTO,
    FFMessageDTO,
    FFMessageSearchHitDTO,
    FFPersonaDTO,
    FFSessionDTO,
    FFSessionStatisticsDTO,
    FFSituationalContextDTO,
    FFUserProfileDTO,
)
from flatfile_chat.store.personas import PersonaRepository
from flatfile_chat.store.sessions import SessionRepository
from flatfile_chat.store.users import UserRepository
from flatfile_chat.validation import id_list

P = ParamSpec("P")
T = TypeVar("T")


class FFStorageManager:
    def __init__(
        self,
        config: FFConfigurationManagerConfigDTO | None = None,
        *,
        clock: Clock | None = None,
        ids: IdSource | None = None,
        base_path: str | Path | None = None,
    ) -> None:
        self.config = config or FFConfigurationManagerConfigDTO()
        storage = self.config.storage
        self.clock = clock or SystemClock()
        fs = FileStore(
            base_path if base_path is not None else storage.base_path,
            durability=storage.durability,
            lock_timeout=storage.lock_timeout_seconds,
            group_commit_interval_ms=storage.group_commit_interval_ms,
            codec=codec_from_config(storage.encryption),
            clock=self.clock,
            owner_only=storage.owner_only,
            user_names=user_names_from_config(storage.encryption),
        )
        self.ctx = StoreContext(
            fs=fs, layout=Layout(fs), config=self.config, clock=self.clock, ids=ids or IdSource()
        )
        self.users = UserRepository(self.ctx)
        self.sessions = SessionRepository(self.ctx, self.users)
        self.messages = MessageRepository(self.ctx, self.sessions)
        self.documents = DocumentRepository(self.ctx, self.sessions)
        self.personas = PersonaRepository(self.ctx, self.users)
        self.contexts = ContextRepository(self.ctx, self.sessions)
        old_format.refuse_g0(fs.root)
        check_naming(fs)
        self.integrity = integrity.IntegrityChecker(self.ctx)
        self._threaded = storage.io_mode == "thread"

    @property
    def fs(self) -> FileStore:
        return self.ctx.fs

    @property
    def root(self) -> Path:
        return self.ctx.fs.root

    async def run_io(self, fn: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
        """Run a sync store operation per ``storage.io_mode`` (managers use this too)."""
        if self._threaded:
            return await asyncio.to_thread(fn, *args, **kwargs)
        return fn(*args, **kwargs)

    # -- users ---------------------------------------------------------------------------
    async def create_user(
        self, user_id: str, profile: dict[str, Any] | None = None
    ) -> FFUserProfileDTO:
        return await self.run_io(self.users.create, user_id, profile)

    async def user_exists(self, user_id: str) -> bool:
        return await self.run_io(self.users.exists, user_id)

    async def get_user_profile(self, user_id: str) -> FFUserProfileDTO:
        return await self.run_io(self.users.get_profile, user_id)

    async def update_user_profile(self, user_id: str, updates: dict[str, Any]) -> FFUserProfileDTO:
        return await self.run_io(self.users.update_profile, user_id, updates)

    async def list_users(self) -> list[str]:
        return await self.run_io(self.users.list)

    # -- sessions ------------------------------------------------------------------------
    async def create_session(
        self,
        user_id: str,
        title: str | None = None,
        session_type: str = "chat",
        metadata: dict[str, Any] | None = None,
        session_id: str | None = None,
    ) -> FFSessionDTO:
        return await self.run_io(
            self.sessions.create, user_id, title, session_type, metadata, session_id
        )

    async def get_session(self, user_id: str, session_id: str) -> FFSessionDTO:
        return await self.run_io(self.sessions.get, user_id, session_id)

    async def session_exists(self, user_id: str, session_id: str) -> bool:
        return await self.run_io(self.sessions.exists, user_id, session_id)

    async def list_sessions(
        self,
        user_id: str,
        limit: int | None = None,
        offset: int = 0,
        session_type: str | None = None,
    ) -> list[FFSessionDTO]:
        return await self.run_io(
            self.sessions.list, user_id, limit=limit, offset=offset, session_type=session_type
        )

    async def update_session_metadata(
        self, user_id: str, session_id: str, updates: dict[str, Any]
    ) -> FFSessionDTO:
        return await self.run_io(self.sessions.update, user_id, session_id, updates)

    async def append_session_metadata_unique(
        self, user_id: str, session_id: str, key: str, values: list[Any]
    ) -> FFSessionDTO:
        """Add values to the list ``metadata[key]``, skipping ones already there."""
        return await self.run_io(self.sessions.append_unique, user_id, session_id, key, values)

    async def get_session_statistics(self, user_id: str, session_id: str) -> FFSessionStatisticsDTO:
        return await self.run_io(self._statistics, user_id, session_id)

    def _statistics(self, user_id: str, session_id: str) -> FFSessionStatisticsDTO:
        session = self.sessions.get(user_id, session_id)
        messages = self.messages.list(user_id, session_id)
        by_role: dict[str, int] = {}
        for message in messages:
            by_role[message.role] = by_role.get(message.role, 0) + 1
        return FFSessionStatisticsDTO(
            session_id=session_id,
            message_count=len(messages),
            stored_message_count=session.message_count,
            messages_by_role=by_role,
            first_message_at=messages[0].timestamp if messages else None,
            last_message_at=messages[-1].timestamp if messages else None,
            document_count=len(self.documents.list(user_id, session_id)),
            has_situational_context=self.ctx.layout.situational_context(
                user_id, session_id
            ).is_file(),
            context_snapshots=self.contexts.snapshot_count(user_id, session_id),
        )

    # -- messages ------------------------------------------------------------------------
    async def add_message(
        self, user_id: str, session_id: str, message: FFMessageDTO | dict[str, Any]
    ) -> FFMessageDTO:
        return await self.run_io(self.messages.add, user_id, session_id, message)

    async def add_messages(
        self, user_id: str, session_id: str, messages: list[FFMessageDTO | dict[str, Any]]
    ) -> list[FFMessageDTO]:
        return await self.run_io(self.messages.add_many, user_id, session_id, messages)

    async def get_messages(
        self, user_id: str, session_id: str, limit: int | None = None, offset: int = 0
    ) -> list[FFMessageDTO]:
        return await self.run_io(
            self.messages.list, user_id, session_id, limit=limit, offset=offset
        )

    async def get_message(self, user_id: str, session_id: str, message_id: str) -> FFMessageDTO:
        return await self.run_io(self.messages.get, user_id, session_id, message_id)

    async def search_messages(
        self,
        user_id: str,
        query: str,
        session_ids: list[str] | None = None,
        limit: int = 20,
        match_all: bool = False,
    ) -> list[FFMessageSearchHitDTO]:
        if session_ids is not None:
            session_ids = id_list(session_ids, "session_ids")
        await self.run_io(self.users.require, user_id)  # an unknown user: NotFound, not []
        return await self.run_io(
            self.messages.search,
            user_id,
            query,
            session_ids=session_ids,
            limit=limit,
            match_all=match_all,
        )

    # -- documents -----------------------------------------------------------------------
    async def store_document(
        self,
        user_id: str,
        session_id: str,
        filename: str,
        content: bytes,
        *,
        mime_type: str | None = None,
        metadata: dict[str, Any] | None = None,
    ) -> FFDocumentDTO:
        return await self.run_io(
            self.documents.store,
            user_id,
            session_id,
            filename,
            content,
            mime_type=mime_type,
            metadata=metadata,
        )

    async def list_documents(self, user_id: str, session_id: str) -> list[FFDocumentDTO]:
        return await self.run_io(self.documents.list, user_id, session_id)

    async def get_document(self, user_id: str, session_id: str, filename: str) -> FFDocumentDTO:
        return await self.run_io(self.documents.get, user_id, session_id, filename)

    async def read_document(self, user_id: str, session_id: str, filename: str) -> bytes:
        return await self.run_io(self.documents.read, user_id, session_id, filename)

    async def update_document_analysis(
        self, user_id: str, session_id: str, filename: str, analysis: dict[str, Any]
    ) -> FFDocumentDTO:
        return await self.run_io(
            self.documents.update_analysis, user_id, session_id, filename, analysis
        )

    async def delete_document(self, user_id: str, session_id: str, filename: str) -> FFDocumentDTO:
        return await self.run_io(self.documents.delete, user_id, session_id, filename)

    # -- personas ------------------------------------------------------------------------
    async def store_persona(
        self, persona: FFPersonaDTO | dict[str, Any], user_id: str | None = None
    ) -> FFPersonaDTO:
        return await self.run_io(self.personas.store, persona, user_id)

    async def get_persona(self, persona_id: str, user_id: str | None = None) -> FFPersonaDTO:
        return await self.run_io(self.personas.get, persona_id, user_id)

    async def list_personas(
        self, user_id: str | None = None, include_global: bool = True
    ) -> list[str]:
        return await self.run_io(self.personas.list, user_id, include_global=include_global)

    async def delete_persona(self, persona_id: str, user_id: str | None = None) -> None:
        return await self.run_io(self.personas.delete, persona_id, user_id)

    # -- situational context -------------------------------------------------------------
    async def update_context(
        self, user_id: str, session_id: str, context: FFSituationalContextDTO | dict[str, Any]
    ) -> FFSituationalContextDTO:
        return await self.run_io(self.contexts.update, user_id, session_id, context)

    async def get_context(self, user_id: str, session_id: str) -> FFSituationalContextDTO:
        return await self.run_io(self.contexts.get, user_id, session_id)

    async def get_context_history(
        self, user_id: str, session_id: str, limit: int | None = None
    ) -> list[FFSituationalContextDTO]:
        return await self.run_io(self.contexts.history, user_id, session_id, limit)

    # -- maintenance ---------------------------------------------------------------------
    def check_integrity(
        self, changed: Iterable[str] | None = None
    ) -> list[integrity.IntegrityIssue]:
        """Every JSONL line parses, counters equal their files, documents match metadata.

        ``changed`` (absolute paths written since the last check) limits the work to them.
        """
        return self.integrity.check(changed)

    def repair(self) -> integrity.RepairSummary:
        """Move bad JSONL lines aside, recount messages, drop stale temp files.

        Refuses (before writing anything) a store holding old-format records: a repair
        would "fix" them into something the migration could no longer recognise."""
        old_format.refuse_old_sessions(self.ctx.fs.root)
        return integrity.repair(
            self.ctx,
            self.messages.recount,
            stale_after_seconds=self.config.storage.lock_timeout_seconds,
        )

    def rotate_encryption_key(self, key_id: str, key: bytes | None = None) -> int:
        """Seal new writes with ``key_id`` and re-encrypt every existing file; returns count."""
        from flatfile_chat.store.rekey import reencrypt_all

        if not isinstance(key_id, str) or not key_id:
            raise ValidationError(
                f"key_id must be a non-empty string, got {key_id!r:.80}", key="key_id", value=key_id
            )
        if key is not None and not (isinstance(key, bytes) and len(key) in (16, 24, 32)):
            raise ValidationError("key must be 16, 24 or 32 bytes (AES-GCM)", key="key")
        codec = self.ctx.fs.codec
        if not isinstance(codec, AesGcmCodec):
            raise ConfigError(
                "encryption is not enabled for this store (storage.encryption.enabled)",
                key="storage.encryption.enabled",
            )
        codec.rotate(key_id, key)
        return reencrypt_all(self.ctx.fs)

    def flush(self) -> None:
        self.ctx.fs.flush()

    def close(self) -> None:
        self.ctx.fs.close()
