"""Situational context per session, with the previous version kept as a history snapshot."""

from __future__ import annotations

from typing import Any

from flatfile_chat.errors import AlreadyExists, NotFound
from flatfile_chat.store.layout import StoreContext
from flatfile_chat.store.models import FFSituationalContextDTO
from flatfile_chat.store.sessions import SessionRepository
from flatfile_chat.validation import parse_input


class ContextRepository:
    def __init__(self, ctx: StoreContext, sessions: SessionRepository) -> None:
        self._ctx = ctx
        self._sessions = sessions

    def update(
        self, user_id: str, session_id: str, context: FFSituationalContextDTO | dict[str, Any]
    ) -> FFSituationalContextDTO:
        """Write the new context; the one it replaces goes to ``context_history/``."""
        data = context.to_dict() if isinstance(context, FFSituationalContextDTO) else dict(context)
        data["timestamp"] = data.get("timestamp") or self._ctx.now_iso()
        record = parse_input(FFSituationalContextDTO, data, "situational context")
        layout, fs = self._ctx.layout, self._ctx.fs
        self._sessions.get(user_id, session_id)
        path = layout.situational_context(user_id, session_id)
        with self._sessions.lock(user_id, session_id):
            previous = fs.read_json(path, default=None)
            if previous is not None:
                self._snapshot(user_id, session_id, previous)
            fs.write_json(path, record.to_dict())
        return record

    def _snapshot(self, user_id: str, session_id: str, previous: Any) -> None:
        fs = self._ctx.fs
        folder = fs.ensure_dir(self._ctx.layout.context_history_dir(user_id, session_id))
        now = self._ctx.clock.now()
        base = f"context_{now.strftime('%Y%m%d_%H%M%S')}_{now.microsecond:06d}"
        for n in range(1, 10_000):
            name = f"{base}.json" if n == 1 else f"{base}_{n}.json"
            try:
                fs.write_json(folder / name, previous, exclusive=True)
                break
            except AlreadyExists:
                continue
        keep = self._ctx.config.storage.max_context_history_snapshots
        for old in self._snapshot_names(user_id, session_id)[:-keep]:
            fs.remove(folder / old)

    def _snapshot_names(self, user_id: str, session_id: str) -> list[str]:
        folder = self._ctx.layout.context_history_dir(user_id, session_id)
        try:
            names = [
                n
                for n in self._ctx.fs.listdir(folder)
                if n.startswith("context_") and n.endswith(".json")
            ]
        except FileNotFoundError:
            return []
        # context_YYYYmmdd_HHMMSS_us[_n].json sorts by time, then by n.
        return sorted(names, key=lambda n: (n[:30], len(n), n))

    def get(self, user_id: str, session_id: str) -> FFSituationalContextDTO:
        path = self._ctx.layout.situational_context(user_id, session_id)
        data = self._ctx.fs.read_json(path, default=None)
        if data is None:
            self._sessions.get(user_id, session_id)
            raise NotFound(
                f"session {session_id!r} has no situational context",
                key="session_id",
                value=session_id,
            )
        return FFSituationalContextDTO.model_validate(data)

    def history(
        self, user_id: str, session_id: str, limit: int | None = None
    ) -> list[FFSituationalContextDTO]:
        """Snapshots oldest first (the last ``limit`` when given)."""
        self._sessions.get(user_id, session_id)
        folder = self._ctx.layout.context_history_dir(user_id, session_id)
        names = self._snapshot_names(user_id, session_id)
        if limit is not None:
            names = names[-limit:] if limit else []
        return [
            FFSituationalContextDTO.model_validate(self._ctx.fs.read_json(folder / n))
            for n in names
        ]

    def snapshot_count(self, user_id: str, session_id: str) -> int:
        return len(self._snapshot_names(user_id, session_id))
