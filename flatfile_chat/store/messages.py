"""Messages: append to ``messages.jsonl`` and keep ``session.json``'s counter exact.

``messages.jsonl`` is the commit log and the truth; ``message_count`` and ``updated_at`` in
``session.json`` are derived and rewritten under the session lock after every append.
"""

from __future__ import annotations

import builtins
import os
import re
import threading
from dataclasses import dataclass, field
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
from flatfile_chat.storage.jsonl import PendingSync
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


@dataclass
class _Queued:
    """One add_many call waiting to be committed with others of its session."""

    records: list[FFMessageDTO]
    explicit: list[str]  # ids the caller chose (checked against the log)
    taken: bool = False  # a leader has taken it into its batch
    durable: bool = False
    error: BaseException | None = None
    done: bool = False  # set under the queue's condition by the leader that took it


@dataclass
class _Queue:
    """Calls of one session waiting for a leader; ``leading`` while one writes a batch."""

    entries: list[_Queued] = field(default_factory=list)
    leading: bool = False
    users: int = 0
    cond: threading.Condition = field(default_factory=threading.Condition)


class MessageRepository:
    def __init__(self, ctx: StoreContext, sessions: SessionRepository) -> None:
        self._ctx = ctx
        self._sessions = sessions
        self._known: dict[tuple[str, str], _Known] = {}
        self._queues: dict[tuple[str, str], _Queue] = {}
        self._queues_lock = threading.Lock()

    def add(
        self, user_id: str, session_id: str, message: FFMessageDTO | dict[str, Any]
    ) -> FFMessageDTO:
        return self.add_many(user_id, session_id, [message])[0]

    def add_many(
        self, user_id: str, session_id: str, messages: list[FFMessageDTO | dict[str, Any]]
    ) -> list[FFMessageDTO]:
        """Append several messages in one write, one lock and one counter update.

        Concurrent calls for one session (threads) are committed together: the first to find
        no writer active leads, taking every queued call into one locked write and counter
        update, then waits (lock released) for an fsync that began after that write while the
        next leader writes the calls queued meanwhile. Each call is checked on its own, in
        queue order, as if it ran alone (its ids, the message limit), and returns only once
        its records are durable.
        """
        explicit = [_given_id(m) for m in messages]
        records = [self._prepare(user_id, session_id, m) for m in messages]
        ids = [r.message_id for r in records]
        if len(set(ids)) != len(ids):
            raise AlreadyExists(f"duplicate message_id in one batch: {ids}", key="message_id")
        session_file = self._ctx.layout.session_file(user_id, session_id)  # checks both ids
        key = (user_id, session_id)
        entry = _Queued(records, [i for i in explicit if i])
        queue = self._enter_queue(key)
        try:
            with queue.cond:
                queue.entries.append(entry)
                while queue.leading and not entry.taken:
                    queue.cond.wait()
                batch: list[_Queued] = []
                if not entry.taken:  # lead: take every call queued so far
                    batch, queue.entries = queue.entries, []
                    for queued in batch:
                        queued.taken = True
                    queue.leading = True
            if batch:
                self._lead(key, queue, batch, session_file)
            if not entry.done:
                with queue.cond:
                    while not entry.done:
                        queue.cond.wait()
        finally:
            self._leave_queue(key, queue)
        if entry.error is not None:
            raise entry.error
        if not entry.durable:
            raise StorageWriteError(
                f"session {session_id!r}: the append was interrupted before "
                "it was confirmed durable",
                path=session_id,
            )
        return records

    def _lead(
        self, key: tuple[str, str], queue: _Queue, batch: list[_Queued], session_file: Path
    ) -> None:
        """Write ``batch`` under the session lock, hand the lead on, then wait for the fsync."""
        user_id, session_id = key
        messages_file = session_file.with_name("messages.jsonl")
        pending = None
        try:
            try:
                with self._sessions.lock(user_id, session_id):
                    pending = self._add_locked(key, session_id, batch, session_file, messages_file)
            finally:
                with queue.cond:  # the next leader may write while this batch syncs
                    queue.leading = False
                    queue.cond.notify_all()
            # Outside the lock, so writers queued behind it append meanwhile and one fsync
            # covers them all (group commit); still before anything is acknowledged.
            self._ctx.fs.wait_durable(messages_file, pending)
            for queued in batch:
                queued.durable = queued.error is None
        except BaseException as exc:
            for queued in batch:
                if queued.error is None:
                    queued.error = exc
            raise
        finally:
            with queue.cond:
                for queued in batch:
                    queued.done = True
                queue.cond.notify_all()

    def _enter_queue(self, key: tuple[str, str]) -> _Queue:
        with self._queues_lock:
            queue = self._queues.get(key)
            if queue is None:
                if len(self._queues) >= _KNOWN_SESSIONS_MAX:  # keep it bounded: drop idle ones
                    for idle in [k for k, q in self._queues.items() if not q.users]:
                        del self._queues[idle]
                queue = self._queues[key] = _Queue()
            queue.users += 1
            return queue

    def _leave_queue(self, key: tuple[str, str], queue: _Queue) -> None:
        with self._queues_lock:
            queue.users -= 1  # kept while idle: a Condition costs more than the whole check

    def _add_locked(
        self,
        key: tuple[str, str],
        session_id: str,
        batch: list[_Queued],
        session_file: Path,
        messages_file: Path,
    ) -> PendingSync | None:
        """Check each queued call as if alone (setting its ``error``), append the accepted
        ones in one write and update the counter; returns the append's pending fsync (waited
        for by the caller once the lock is released)."""
        fs = self._ctx.fs
        session, count = self._current(key, session_file, messages_file)
        limit = self._ctx.config.storage.max_messages_per_session
        taken = self._taken_ids(messages_file, batch)
        accepted: list[FFMessageDTO] = []
        for queued in batch:
            clash = [i for i in queued.explicit if i in taken]
            if clash:
                queued.error = AlreadyExists(
                    f"message_id {clash[0]!r} already exists in {fs.rel(messages_file)}",
                    key="message_id",
                    value=clash[0],
                )
            elif count + len(accepted) + len(queued.records) > limit:
                queued.error = LimitExceeded(
                    f"session {session_id!r} would exceed {limit} "
                    "messages (storage.max_messages_per_session)",
                    key="max_messages_per_session",
                )
            else:
                accepted.extend(queued.records)
                taken.update(r.message_id for r in queued.records)
        if not accepted:
            return None
        self._known.pop(key, None)  # until both files are written again
        pending = fs.append_jsonl(
            messages_file,
            [r.to_dict() for r in accepted],
            locked=True,
            sync_later=True,
            page_adapter=_MESSAGE_LIST,
        )
        try:
            self._count_appended(key, session, count + len(accepted), accepted, messages_file)
        except BaseException:
            fs.wait_durable(messages_file, pending)  # the lines are in the log: settle them
            raise
        return pending

    def _count_appended(
        self,
        key: tuple[str, str],
        session: FFSessionDTO,
        count: int,
        records: list[FFMessageDTO],
        messages_file: Path,
    ) -> None:
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
            return
        if len(self._known) >= _KNOWN_SESSIONS_MAX:
            self._known.clear()  # a cache, not state: a miss only costs one line count
        self._known[key] = _Known(log_size, count, raw, session)

    def _current(
        self, key: tuple[str, str], session_file: Path, messages_file: Path
    ) -> tuple[FFSessionDTO, int]:
        """The session record and the exact line count, cheaply when nothing changed."""
        try:
            log_size = os.stat(messages_file).st_size
        except FileNotFoundError:
            log_size = 0
        raw = self._ctx.fs.read_raw(session_file)
        if raw is None:
            raise self._sessions.not_found(*key)
        known = self._known.get(key)
        if known is not None and known.session_raw == raw and known.log_size == log_size:
            return known.session, known.count
        session = FFSessionDTO.model_validate(self._ctx.fs.decode_json(session_file, raw))
        return session, self._ctx.fs.count_jsonl(messages_file)

    def _taken_ids(self, messages_file: Path, batch: list[_Queued]) -> set[str]:
        """Ids in the log, read only when a call chose ids itself (generated ids are random;
        caller-chosen ones are checked against the log)."""
        if not any(queued.explicit for queued in batch):
            return set()
        return {
            m["message_id"] for m in self._ctx.fs.read_jsonl(messages_file) if "message_id" in m
        }

    def _prepare(
        self, user_id: str, session_id: str, message: FFMessageDTO | dict[str, Any]
    ) -> FFMessageDTO:
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
            raise ValidationError(
                f"unknown role {record.role!r} (allowed: {', '.join(MESSAGE_ROLES)})",
                key="role",
                value=record.role,
            )
        size = len(record.content.encode("utf-8"))
        if size > storage.max_message_size_bytes:
            raise LimitExceeded(
                f"message content is {size} bytes, over the "
                f"{storage.max_message_size_bytes}-byte limit "
                "(storage.max_message_size_bytes)",
                key="content",
                size=size,
            )
        if len(record.attachments) > storage.max_attachments_per_message:
            raise LimitExceeded(
                f"{len(record.attachments)} attachments, at most "
                f"{storage.max_attachments_per_message} allowed "
                "(storage.max_attachments_per_message)",
                key="attachments",
            )
        try:
            parse_timestamp(record.timestamp)
        except ValueError:
            raise ValidationError(
                f"timestamp {record.timestamp!r} is not ISO 8601", key="timestamp"
            ) from None
        if record.attachments:
            self._check_attachments(user_id, session_id, record.attachments)
        return record

    def _check_attachments(self, user_id: str, session_id: str, names: list[str]) -> None:
        meta_path = self._ctx.layout.documents_metadata(user_id, session_id)
        stored = self._ctx.fs.read_json(meta_path, default={})
        missing = [n for n in names if n not in stored]
        if missing:
            raise NotFound(
                f"attachments {missing} are not documents of session "
                f"{session_id!r} (upload them first)",
                key="attachments",
            )

    def list(
        self, user_id: str, session_id: str, *, limit: int | None = None, offset: int = 0
    ) -> list[FFMessageDTO]:
        """Messages in send order (file order), ``offset`` from the first."""
        if offset < 0 or (limit is not None and limit < 0):
            raise ValidationError("offset and limit must be >= 0", key="offset")
        self._sessions.get(user_id, session_id)  # NotFound for unknown sessions
        path = self._ctx.layout.messages_file(user_id, session_id)
        try:
            # O(page) once this process, or the log's sidecar, knows a validated prefix
            # (see storage/pages.py)
            return self._ctx.fs.read_jsonl_models_page(
                path, _MESSAGE_LIST, offset=offset, limit=limit
            )
        except StorageCorrupted as exc:
            if exc.line is not None and not self._ctx.fs.codec.encrypted:
                old_format.check_message_line(path, exc.line, self._ctx.fs.root)
            raise

    def get(self, user_id: str, session_id: str, message_id: str) -> FFMessageDTO:
        for message in self.list(user_id, session_id):
            if message.message_id == message_id:
                return message
        raise NotFound(
            f"message {message_id!r} not found in session {session_id!r}",
            key="message_id",
            value=message_id,
        )

    def search(
        self,
        user_id: str,
        query: str,
        *,
        session_ids: builtins.list[str] | None = None,  # `list` here is the method above
        limit: int = 20,
        match_all: bool = False,
    ) -> builtins.list[FFMessageSearchHitDTO]:
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
                    hits.append(FFMessageSearchHitDTO(session_id=sid, score=score, message=message))
        hits.sort(key=lambda h: (h.score, parse_timestamp(h.message.timestamp)), reverse=True)
        return hits[:limit]

    def recount(self, user_id: str, session_id: str) -> tuple[int, int]:
        """Set ``message_count`` from the log; returns (old, new)."""
        with self._sessions.lock(user_id, session_id):
            session = self._sessions.get(user_id, session_id)
            actual = self._ctx.fs.count_jsonl(self._ctx.layout.messages_file(user_id, session_id))
            if actual != session.message_count:
                self._sessions.write(
                    session.model_copy(update={"message_count": actual}), derived=False
                )
            self._known.pop((user_id, session_id), None)
            return session.message_count, actual
