"""Personas: global (``personas_global/``) and per user (``users/{u}/personas/``).

Upstream G3 persona files were written by an external app with unsorted keys; they are read
as-is and never rewritten unless the caller stores a new version.
"""

from __future__ import annotations

from typing import Any

from flatfile_chat.errors import NotFound
from flatfile_chat.storage.paths import validate_id
from flatfile_chat.store.layout import StoreContext
from flatfile_chat.store.models import FFPersonaDTO
from flatfile_chat.store.users import UserRepository
from flatfile_chat.validation import parse_input


class PersonaRepository:
    def __init__(self, ctx: StoreContext, users: UserRepository) -> None:
        self._ctx = ctx
        self._users = users

    def store(
        self, persona: FFPersonaDTO | dict[str, Any], user_id: str | None = None
    ) -> FFPersonaDTO:
        record = (
            persona
            if isinstance(persona, FFPersonaDTO)
            else parse_input(FFPersonaDTO, persona, "persona")
        )
        validate_id(record.persona_id, "persona_id")
        if user_id is not None:
            self._users.require(user_id)
        path = self._ctx.layout.persona_file(record.persona_id, user_id)
        self._ctx.fs.ensure_dir(path.parent)
        with self._ctx.fs.lock(path):
            self._ctx.fs.write_json(path, record.to_dict())
        return record

    def get(self, persona_id: str, user_id: str | None = None) -> FFPersonaDTO:
        """The user's own persona wins over a global one with the same id."""
        candidates = [self._ctx.layout.persona_file(persona_id, user_id)] if user_id else []
        candidates.append(self._ctx.layout.persona_file(persona_id))
        for path in candidates:
            data = self._ctx.fs.read_json(path, default=None)
            if data is not None:
                return FFPersonaDTO.model_validate(data)
        scope = f"user {user_id!r} or global" if user_id else "global"
        raise NotFound(
            f"persona {persona_id!r} not found ({scope})", key="persona_id", value=persona_id
        )

    def list(self, user_id: str | None = None, *, include_global: bool = True) -> list[str]:
        folders = []
        if include_global:
            folders.append(self._ctx.layout.global_personas_dir())
        if user_id is not None:
            folders.append(self._ctx.layout.user_personas_dir(user_id))
        ids: set[str] = set()
        for folder in folders:
            try:
                ids.update(
                    n[:-5]
                    for n in self._ctx.fs.listdir(folder)
                    if n.endswith(".json") and not n.startswith(".")
                )
            except FileNotFoundError:
                continue
        return sorted(ids)

    def delete(self, persona_id: str, user_id: str | None = None) -> None:
        path = self._ctx.layout.persona_file(persona_id, user_id)
        with self._ctx.fs.lock(path):
            self._ctx.fs.remove(path)
