"""Messages: append to ``messages.jsonl`` and keep ``session.json``'s counter exact.

``messages.jsonl`` is the commit log and the truth; ``message_count`` and ``updated_at`` in
``session.json`` are derived and rewritten under the session lock after every append.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import TypeAdapter

from flatfile_chat.clock import parse_timestamp
from flatfile_chat.errors import (
    AlreadyExists,
    LimitExceeded,
    NotFound,
    StorageCorrupted,
    StorageWriteError,
    ValidationError,
)
from flatfile_chat.storage.paths import validate_id
from flatfile_chat.store import old_format
from flatfile_chat.store.layout import StoreContext
from flatfile_chat.store.models import (
    MESSAGE_ROLES,
    FFMessageDTO,
    FFMessageSearchHitDTO,
    FFSessionDTO,
)
from flatfile_chat.store.sessions import SessionRepository
from flatfile_chat.validation import parse_input

_WORD = re.compile(r"\w+")
_MESSAGE_LIST = TypeAdapter(list[FFMessageDTO])


def _given_id(message: FFMessageDTO | dict[str, Any]) -> str | None:
    if isinstance(message, FFMessageDTO):
        return message.message_id
    return message.get("message_id") or None


def terms(text: str) -> list[str]:
    """Case- and punctuation-insensitive word terms (shared by every text search)."""
    return _WORD.findall(text.casefold())


@dataclass
class _Known:
    """What this process last wrote for a session: the log's size and line count, and the
    exact bytes of session.json with their parsed record. Under the session lock, equal bytes
    and an equal log size prove nothing changed since (another writer would have changed
    them), so the append skips re-reading, re-parsing and re-counting."""

    log_size: int
    count: int
    session_raw: bytes
    session: FFSessionDTO


_KNOWN_SESSIONS_MAX = 4096  # sessions whose line count is remembered between appends


class MessageRepository:
    def __init__(self, ctx: StoreContext, sessions: SessionRepository) -> None:
        self._ctx = ctx
        self._sessions = sessions
        self._known: dict[tuple[str, str], _Known] = {}

    def add(self, user_id: str, session_id: str,
            message: FFMessageDTO | dict[str, Any]) -> FFMessageDTO:
        return self.add_many(user_id, session_id, [message])[0]

    def add_many(self, user_id: str, session_id: str,
                 messages: list[FFMessageDTO | dict[str, Any]]) -> list[FFMessageDTO]:
        """Append several messages in one write, one lock and one counter update."""
        explicit = [_given_id(m) for m in messages]
        records = [self._prepare(user_id, session_id, m) for m in messages]
        ids = [r.message_id for r in records]
        if len(set(ids)) != len(ids):
            raise AlreadyExists(f"duplicate message_id in one batch: {ids}", key="message_id")
        fs = self._ctx.fs
        key = (user_id, session_id)
        session_file = self._ctx.layout.session_file(user_id, session_id)
        messages_file = session_file.with_name("messages.jsonl")
        with self._sessions.lock(user_id, session_id):
            session, count = self._current(key, session_file, messages_file)
            self._refuse_taken_ids(messages_file, [i for i in explicit if i])
            limit = self._ctx.config.storage.max_messages_per_session
            if count + len(records) > limit:
                raise LimitExceeded(f"session {session_id!r} would exceed {limit} messages "
                                    "(storage.max_messages_per_session)",
                                    key="max_messages_per_session")
            self._known.pop(key, None)  # until both files are written again
            fs.append_jsonl(messages_file, [r.to_dict() for r in records], locked=True)
            count += len(records)
            log_size = os.stat(messages_file).st_size
            latest = max((r.timestamp for r in records), key=parse_timestamp)
            updated = max(self._ctx.now_iso(), latest, session.updated_at, key=parse_timestamp)
            session = session.model_copy(update={"message_count": count, "updated_at": updated})
            try:
                raw = self._sessions.write(session, derived=True)
            except StorageWriteError:
                # The records are stored: the log is the truth and the counter is derived
                # from it (recounted by the next add and by repair, reported by the check
                # meanwhile), so the add must not report a failure.
                return records
            if len(self._known) >= _KNOWN_SESSIONS_MAX:
                self._known.clear()  # a cache, not state: a miss only costs one line count
            self._known[key] = _Known(log_size, count, raw, session)
        return records

    def _current(self, key: tuple[str, str], session_file: Path,
                 messages_file: Path) -> tuple[FFSessionDTO, int]:
        """The session record and the exact line count, cheaply when nothing changed."""
        try:
            log_size = os.stat(messages_file).st_size
        except FileNotFoundError:
            log_size = 0
        raw = self._ctx.fs.read_raw(session_file)
        if raw is None:
            user_id, session_id = key
            self._sessions.get(user_id, session_id)  # raises NotFound naming the session
        known = self._known.get(key)
        if known is not None and known.session_raw == raw and known.log_size == log_size:
            return known.session, known.count
        session = FFSessionDTO.model_validate(self._ctx.fs.decode_json(session_file, raw))
        return session, self._ctx.fs.count_jsonl(messages_file)

    def _refuse_taken_ids(self, messages_file, given: list[str]) -> None:
        # Generated ids are random; caller-chosen ones are checked against the log.
        if not given:
            return
        taken = {m["message_id"] for m in self._ctx.fs.read_jsonl(messages_file)
                 if "message_id" in m}
        clash = [i for i in given if i in taken]
        if clash:
            raise AlreadyExists(f"message_id {clash[0]!r} already exists in "
                                f"{self._ctx.fs.rel(messages_file)}", key="message_id",
                                value=clash[0])

    def _prepare(self, user_id: str, session_id: str,
                 message: FFMessageDTO | dict[str, Any]) -> FFMessageDTO:
        if isinstance(message, FFMessageDTO):
            message = message.to_dict()
        data = dict(message)
        storage = self._ctx.config.storage
        if "message_id" not in data or not data["message_id"]:
            data["message_id"] = self._ctx.ids.prefixed("msg", storage.message_id_length)
        else:
            validate_id(data["message_id"], "message_id")
        data.setdefault("timestamp", self._ctx.now_iso())
        record = parse_input(FFMessageDTO, data, "message")
        if record.role not in MESSAGE_ROLES:
            raise ValidationError(f"unknown role {record.role!r} (allowed: "
                                  f"{', '.join(MESSAGE_ROLES)})", key="role", value=record.role)
        size = len(record.content.encode("utf-8"))
        if size > storage.max_message_size_bytes:
            raise LimitExceeded(f"message content is {size} bytes, over the "
                                f"{storage.max_message_size_bytes}-byte limit "
                                "(storage.max_message_size_bytes)", key="content", size=size)
        if len(record.attachments) > storage.max_attachments_per_message:
            raise LimitExceeded(f"{len(record.attachments)} attachments, at most "
                                f"{storage.max_attachments_per_message} allowed "
                                "(storage.max_attachments_per_message)", key="attachments")
        try:
            parse_timestamp(record.timestamp)
        except ValueError:
            raise ValidationError(f"timestamp {record.timestamp!r} is not ISO 8601",
                                  key="timestamp") from None
        if record.attachments:
            self._check_attachments(user_id, session_id, record.attachments)
        return record

    def _check_attachments(self, user_id: str, session_id: str, names: list[str]) -> None:
        meta_path = self._ctx.layout.documents_metadata(user_id, session_id)
        stored = self._ctx.fs.read_json(meta_path, default={})
        missing = [n for n in names if n not in stored]
        if missing:
            raise NotFound(f"attachments {missing} are not documents of session "
                           f"{session_id!r} (upload them first)", key="attachments")

    def list(self, user_id: str, session_id: str, *, limit: int | None = None,
             offset: int = 0) -> list[FFMessageDTO]:
        """Messages in send order (file order), ``offset`` from the first."""
        if offset < 0 or (limit is not None and limit < 0):
            raise ValidationError("offset and limit must be >= 0", key="offset")
        self._sessions.get(user_id, session_id)  # NotFound for unknown sessions
        path = self._ctx.layout.messages_file(user_id, session_id)
        try:
            messages = self._ctx.fs.read_jsonl_models(path, _MESSAGE_LIST)
        except StorageCorrupted as exc:
            if exc.line is not None and not self._ctx.fs.codec.encrypted:
                old_format.check_message_line(path, exc.line, self._ctx.fs.root)
            raise
        end = None if limit is None else offset + limit
        return messages[offset:end]

    def get(self, user_id: str, session_id: str, message_id: str) -> FFMessageDTO:
        for message in self.list(user_id, session_id):
            if message.message_id == message_id:
                return message
        raise NotFound(f"message {message_id!r} not found in session {session_id!r}",
                       key="message_id", value=message_id)

    def search(self, user_id: str, query: str, *, session_ids: list[str] | None = None,
               limit: int = 20, match_all: bool = False) -> list[FFMessageSearchHitDTO]:
        """Rank messages by the share of query terms they contain, then by recency."""
        wanted = set(terms(query))
        if not wanted:
            raise ValidationError("search query has no words", key="query", value=query)
        hits: list[FFMessageSearchHitDTO] = []
        for sid in session_ids if session_ids is not None else self._sessions.list_ids(user_id):
            for message in self.list(user_id, sid):
                found = wanted.intersection(terms(message.content))
                score = len(found) / len(wanted)
                if found and (score == 1.0 or not match_all):
                    hits.append(FFMessageSearchHitDTO(session_id=sid, score=score,
                                                      message=message))
        hits.sort(key=lambda h: (h.score, parse_timestamp(h.message.timestamp)), reverse=True)
        return hits[:limit]

    def recount(self, user_id: str, session_id: str) -> tuple[int, int]:
        """Set ``message_count`` from the log; returns (old, new)."""
        with self._sessions.lock(user_id, session_id):
            session = self._sessions.get(user_id, session_id)
            actual = self._ctx.fs.count_jsonl(self._ctx.layout.messages_file(user_id,
                                                                               session_id))
            if actual != session.message_count:
                self._sessions.write(session.model_copy(update={"message_count": actual}),
                                     derived=False)
            self._known.pop((user_id, session_id), None)
            return session.message_count, actual
