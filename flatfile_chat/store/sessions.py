"""Sessions: ``users/{u}/{session_id}/session.json`` with type, title, metadata, counters."""

from __future__ import annotations

import os
from contextlib import AbstractContextManager
from datetime import datetime
from pathlib import Path
from typing import Any

import pydantic

from flatfile_chat.errors import (
    AlreadyExists,
    LimitExceeded,
    NotFound,
    StorageCorrupted,
    ValidationError,
)
from flatfile_chat.storage.paths import validate_id
from flatfile_chat.store import old_format
from flatfile_chat.store.layout import RESERVED_USER_DIRS, StoreContext
from flatfile_chat.store.models import SESSION_TYPES, FFSessionDTO
from flatfile_chat.store.users import UserRepository

_TYPE_PREFIX = {t: f"{t}_session" for t in SESSION_TYPES}
_UPDATABLE = frozenset({"title", "metadata"})


class SessionRepository:
    def __init__(self, ctx: StoreContext, users: UserRepository) -> None:
        self._ctx = ctx
        self._users = users

    def create(
        self,
        user_id: str,
        title: str | None = None,
        session_type: str = "chat",
        metadata: dict[str, Any] | None = None,
        session_id: str | None = None,
    ) -> FFSessionDTO:
        if session_type not in SESSION_TYPES:
            raise ValidationError(
                f"unknown session_type {session_type!r} (allowed: {', '.join(SESSION_TYPES)})",
                key="session_type",
                value=session_type,
            )
        self._users.require(user_id)
        # The limit check and the claim happen under one per-user lock, so concurrent
        # creators can neither exceed the limit nor claim case-variant ids.
        with self._ctx.fs.lock(self._ctx.layout.user_dir(user_id) / "_sessions"):
            limit = self._ctx.config.storage.max_sessions_per_user
            if len(self.list_ids(user_id)) >= limit:
                raise LimitExceeded(
                    f"user {user_id!r} already has {limit} sessions "
                    "(storage.max_sessions_per_user)",
                    key="max_sessions_per_user",
                )
            now = self._ctx.clock.now()
            session_dir = (
                self._claim_explicit(user_id, session_id)
                if session_id
                else self._claim_generated(user_id, session_type, now)
            )
            record = FFSessionDTO(
                session_id=session_dir.name,
                user_id=user_id,
                title=title
                if title is not None
                else f"{session_type.replace('_', ' ').title()} Session",
                created_at=now.isoformat(timespec="microseconds"),
                updated_at=now.isoformat(timespec="microseconds"),
                message_count=0,
                metadata=dict(metadata or {}),
                session_type=session_type,
            )
            try:
                # Written before the lock is released: list_ids() counts a session only once
                # its session.json exists, and the limit check of the next creator relies on it.
                self._ctx.fs.write_json(
                    session_dir / "session.json", record.to_dict(), exclusive=True
                )
            except BaseException:
                self._ctx.fs.remove_tree(session_dir)  # nothing half-created
                raise
        return record

    def _claim_explicit(self, user_id: str, session_id: str) -> Path:
        validate_id(session_id, "session_id")
        if session_id in RESERVED_USER_DIRS or session_id == "profile.json":
            raise ValidationError(
                f"session_id {session_id!r} is reserved (a user folder uses that name)",
                key="session_id",
                value=session_id,
            )
        path = self._ctx.layout.session_dir(user_id, session_id)
        clash = self._ctx.fs.case_variant(path)
        if clash is not None:
            raise AlreadyExists(
                f"session_id {session_id!r} differs only in case from existing {clash!r}",
                key="session_id",
                value=session_id,
            )
        try:
            return self._ctx.fs.create_dir(path)
        except AlreadyExists:
            raise AlreadyExists(
                f"session {session_id!r} of user {user_id!r} already exists",
                key="session_id",
                value=session_id,
            ) from None

    def _claim_generated(self, user_id: str, session_type: str, now: datetime) -> Path:
        # Upstream's chat_session_YYYYmmdd_HHMMSS_ffffff (sortable, recognised by migration)
        # plus 64 random bits: an id must not be guessable from the creation time (ASVS 7.2.3).
        # mkdir is the atomic claim; a repeat (seeded ids, frozen clock) gets _2, _3 ...
        fmt = self._ctx.config.storage.session_timestamp_format
        base = (
            f"{_TYPE_PREFIX[session_type]}_{now.strftime(fmt)}_{now.microsecond:06d}_"
            f"{self._ctx.ids.session_suffix()}"
        )
        for n in range(1, 10_000):
            candidate = base if n == 1 else f"{base}_{n}"
            try:
                return self._ctx.fs.create_dir(self._ctx.layout.session_dir(user_id, candidate))
            except AlreadyExists:
                continue
        raise AlreadyExists(f"could not allocate a session id near {base!r}", key="session_id")

    def get(self, user_id: str, session_id: str) -> FFSessionDTO:
        path = self._ctx.layout.session_file(user_id, session_id)
        data = self._ctx.fs.read_json(path, default=None, shared_lock=True)
        if data is None:
            raise self.not_found(user_id, session_id)
        try:
            return FFSessionDTO.model_validate(data)
        except pydantic.ValidationError as exc:
            old_format.check_session_record(path, data, self._ctx.fs.root)
            raise StorageCorrupted(
                f"not a session record: {_first_error(exc)}", path=path
            ) from None

    def not_found(self, user_id: str, session_id: str) -> NotFound:
        return NotFound(
            f"session {session_id!r} of user {user_id!r} not found",
            key="session_id",
            value=session_id,
            user_id=user_id,
        )

    def exists(self, user_id: str, session_id: str) -> bool:
        return self._ctx.layout.session_file(user_id, session_id).is_file()

    def lock(self, user_id: str, session_id: str) -> AbstractContextManager[None]:
        """The session's writer lock (NotFound, not a stray lock file, for unknown sessions)."""
        path = self._ctx.layout.session_file(user_id, session_id)
        if not path.parent.is_dir():
            self.get(user_id, session_id)
        return self._ctx.fs.lock(path)

    def append_unique(
        self, user_id: str, session_id: str, key: str, values: list[Any]
    ) -> FFSessionDTO:
        """Extend the list ``metadata[key]`` with the values not already in it (order kept),
        under the session lock, so concurrent writers never lose each other's additions."""
        if not isinstance(key, str) or not key:
            raise ValidationError("metadata key must be a non-empty string", key="key")
        with self.lock(user_id, session_id):
            record = self.get(user_id, session_id)
            current = record.metadata.get(key, [])
            if not isinstance(current, list):
                raise ValidationError(
                    f"metadata.{key} of session {session_id!r} is not a list", key=key
                )
            merged = list(current) + [
                v for i, v in enumerate(values) if v not in current and v not in values[:i]
            ]
            record = record.model_copy(
                update={
                    "metadata": {**record.metadata, key: merged},
                    "updated_at": self._ctx.now_iso(),
                }
            )
            self.write(record, derived=False)
        return record

    def write(self, record: FFSessionDTO, *, derived: bool) -> bytes:
        """Write ``session.json``; returns the bytes now on disk."""
        path = self._ctx.layout.session_file(record.user_id, record.session_id)
        return self._ctx.fs.write_json(path, record.to_dict(), derived=derived)

    def list_ids(self, user_id: str) -> list[str]:
        """Folders of ``user_id`` that hold a ``session.json``."""
        user_dir = self._ctx.layout.user_dir(user_id)
        try:
            names = self._ctx.fs.listdir(user_dir)
        except FileNotFoundError:
            return []
        return [
            n
            for n in names
            if n not in RESERVED_USER_DIRS and os.path.isfile(user_dir / n / "session.json")
        ]

    def list(
        self,
        user_id: str,
        *,
        limit: int | None = None,
        offset: int = 0,
        session_type: str | None = None,
    ) -> list[FFSessionDTO]:
        """Newest first (by ``created_at``, then id), optionally one ``session_type`` only."""
        self._users.require(user_id)
        sessions = [self.get(user_id, sid) for sid in self.list_ids(user_id)]
        if session_type is not None:
            sessions = [s for s in sessions if (s.session_type or "chat") == session_type]
        sessions.sort(key=lambda s: (s.created_at, s.session_id), reverse=True)
        end = None if limit is None else offset + limit
        return sessions[offset:end]

    def update(self, user_id: str, session_id: str, updates: dict[str, Any]) -> FFSessionDTO:
        bad = sorted(set(updates) - _UPDATABLE)
        if bad:
            raise ValidationError(
                f"cannot update {bad} of session {session_id!r} (allowed: "
                f"{', '.join(sorted(_UPDATABLE))})",
                key=bad[0],
            )
        with self.lock(user_id, session_id):
            record = self.get(user_id, session_id)
            changes: dict[str, Any] = {"updated_at": self._ctx.now_iso()}
            if "title" in updates:
                changes["title"] = str(updates["title"])
            if "metadata" in updates:
                changes["metadata"] = {**record.metadata, **dict(updates["metadata"])}
            record = record.model_copy(update=changes)
            self.write(record, derived=False)
        return record


def _first_error(exc: pydantic.ValidationError) -> str:
    error = exc.errors()[0]
    where = ".".join(str(p) for p in error["loc"]) or "(record)"
    return f"{where}: {error['msg']}"
