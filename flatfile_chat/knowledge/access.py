"""Who may read or change a knowledge base.

- The owner (the user whose folder holds it) may do everything.
- Another user may *read* it (get, list documents, retrieve) only when the KB has
  ``sharing_enabled`` and lists that user in ``access_permissions``; never change it.
- Every refusal is audited (``kb_access_denied``, outcome ``denied``) and raises
  ``SecurityError``. A kb_id that exists nowhere raises ``NotFound``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from flatfile_chat.audit import AuditSink
from flatfile_chat.errors import NotFound, SecurityError, ValidationError
from flatfile_chat.knowledge.layout import KBPaths, KnowledgeLayout, validate_kb_id
from flatfile_chat.storage.filestore import FileStore
from flatfile_chat.storage.paths import validate_id

COMPONENT = "knowledge_base"


@dataclass(frozen=True)
class KBHandle:
    kb_id: str
    owner: str
    paths: KBPaths


def may_read(config: Mapping[str, Any], reader: str) -> bool:
    return config["user_id"] == reader or (
        bool(config.get("sharing_enabled")) and reader in config.get("access_permissions", [])
    )


class KBAccess:
    def __init__(self, fs: FileStore, layout: KnowledgeLayout, audit: AuditSink) -> None:
        self._fs = fs
        self._layout = layout
        self._audit = audit

    def locate(self, user_id: str, kb_id: str) -> KBHandle:
        """The caller's own KB first, else the one user folder that holds ``kb_id``."""
        validate_id(user_id, "user_id")
        validate_kb_id(kb_id)
        own = self._layout.kb(user_id, kb_id)
        if own.config.is_file():
            return KBHandle(kb_id, user_id, own)
        users_dir = self._layout.users_dir()
        try:
            folders = sorted(self._fs.listdir(users_dir))
        except FileNotFoundError:
            folders = []
        for folder in folders:
            owner = self._fs.user_of_folder(folder)
            if owner is None:
                continue
            try:
                paths = self._layout.kb(owner, kb_id)
            except ValidationError:  # folders that are not valid user ids hold no KBs
                continue
            if paths.config.is_file():
                return KBHandle(kb_id, owner, paths)
        raise NotFound(f"knowledge base {kb_id!r} not found", key="kb_id", value=kb_id)

    def for_read(self, reader: str, kb_id: str, action: str) -> tuple[KBHandle, dict[str, Any]]:
        """The KB and its ``kb_config.json``, read now (never from a memo: sharing may have
        changed in another process a moment ago)."""
        validate_id(reader, "user_id")
        own = self._layout.kb(reader, kb_id)
        config = self._fs.read_json(own.config, default=None)  # the common case: one read
        if config is not None:
            handle = KBHandle(kb_id, reader, own)
        else:
            handle = self.locate(reader, kb_id)
            config = self._fs.read_json(handle.paths.config)
        if not may_read(config, reader):
            self._deny(reader, handle, action, "not shared with this user")
        return handle, config

    def for_write(self, user_id: str, kb_id: str, action: str) -> KBHandle:
        handle = self.locate(user_id, kb_id)
        if handle.owner != user_id:
            self._deny(user_id, handle, action, "only the owner may change a knowledge base")
        return handle

    def readable(self, reader: str, kb_id: str, action: str) -> bool:
        """Like ``for_read`` but answers False (still audited) instead of raising."""
        try:
            self.for_read(reader, kb_id, action)
        except (SecurityError, NotFound):
            return False
        return True

    def _deny(self, actor: str, handle: KBHandle, action: str, reason: str) -> None:
        self._audit.record(
            "kb_access_denied",
            component=COMPONENT,
            actor=actor,
            outcome="denied",
            details={
                "kb_id": handle.kb_id,
                "owner_id": handle.owner,
                "action": action,
                "reason": reason,
            },
        )
        raise SecurityError(
            f"user {actor!r} may not {action} knowledge base "
            f"{handle.kb_id!r} of user {handle.owner!r}: {reason}",
            key="kb_id",
            value=handle.kb_id,
        )
