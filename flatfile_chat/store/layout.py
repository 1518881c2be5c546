"""The G3 on-disk layout in one place, plus what every repository needs (config, clock, ids).

```
{base}/users/{user_id}/profile.json
{base}/users/{user_id}/{session_id}/session.json | messages.jsonl | situational_context.json
{base}/users/{user_id}/{session_id}/documents/{8hex}_{name} + metadata.json
{base}/users/{user_id}/{session_id}/context_history/context_{YYYYmmdd_HHMMSS}_{us}.json
{base}/users/{user_id}/personas/{persona_id}.json
{base}/personas_global/{persona_id}.json
```
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from flatfile_chat.clock import Clock
from flatfile_chat.config import FFConfigurationManagerConfigDTO
from flatfile_chat.ids import IdSource
from flatfile_chat.storage.filestore import FileStore
from flatfile_chat.storage.paths import validate_id

# Folders a user directory holds besides sessions; a session may never take one of these names.
RESERVED_USER_DIRS = frozenset(
    {
        "personas",
        "memory_layers",
        "knowledge_bases",
        "rag_sessions",
        "tools",
        "analytics",
        "panel_sessions",
        "documents",
        "sessions",
    }
)


@dataclass(frozen=True)
class Layout:
    fs: FileStore
    # Validated session folders by (user, session): every message append needs one, and
    # building it (two id checks, a safe join) is a measurable share of an append.
    _session_dirs: dict[tuple[str, str], Path] = field(
        default_factory=dict, repr=False, compare=False
    )
    _session_files: dict[tuple[str, str], Path] = field(
        default_factory=dict, repr=False, compare=False
    )

    def users_dir(self) -> Path:
        return self.fs.path("users")

    def user_dir(self, user_id: str) -> Path:
        return self.fs.user_path(user_id)

    def profile(self, user_id: str) -> Path:
        return self.user_dir(user_id) / "profile.json"

    def session_dir(self, user_id: str, session_id: str) -> Path:
        key = (user_id, session_id)
        # ids of another type (a list, a dict: unhashable) skip the cache and fail validation
        path = self._session_dirs.get(key) if _both_str(user_id, session_id) else None
        if path is None:
            session_id = validate_id(session_id, "session_id")
            path = self.fs.user_path(user_id, session_id)
            if len(self._session_dirs) > 4096:
                self._session_dirs.clear()
            self._session_dirs[key] = path
        return path

    def session_file(self, user_id: str, session_id: str) -> Path:
        key = (user_id, session_id)
        path = self._session_files.get(key) if _both_str(user_id, session_id) else None
        if path is None:
            path = self.session_dir(user_id, session_id) / "session.json"
            if len(self._session_files) > 4096:
                self._session_files.clear()
            self._session_files[key] = path
        return path

    def messages_file(self, user_id: str, session_id: str) -> Path:
        return self.session_dir(user_id, session_id) / "messages.jsonl"

    def documents_dir(self, user_id: str, session_id: str) -> Path:
        return self.session_dir(user_id, session_id) / "documents"

    def documents_metadata(self, user_id: str, session_id: str) -> Path:
        return self.documents_dir(user_id, session_id) / "metadata.json"

    def situational_context(self, user_id: str, session_id: str) -> Path:
        return self.session_dir(user_id, session_id) / "situational_context.json"

    def context_history_dir(self, user_id: str, session_id: str) -> Path:
        return self.session_dir(user_id, session_id) / "context_history"

    def global_personas_dir(self) -> Path:
        return self.fs.path("personas_global")

    def user_personas_dir(self, user_id: str) -> Path:
        return self.user_dir(user_id) / "personas"

    def persona_file(self, persona_id: str, user_id: str | None = None) -> Path:
        name = validate_id(persona_id, "persona_id") + ".json"
        folder = self.global_personas_dir() if user_id is None else self.user_personas_dir(user_id)
        return folder / name


def _both_str(user_id: object, session_id: object) -> bool:
    return type(user_id) is str and type(session_id) is str


@dataclass(frozen=True)
class StoreContext:
    """What every repository shares: the file layer, layout, config, clock and id source."""

    fs: FileStore
    layout: Layout
    config: FFConfigurationManagerConfigDTO
    clock: Clock
    ids: IdSource

    def now_iso(self) -> str:
        return self.clock.now().isoformat(timespec="microseconds")
