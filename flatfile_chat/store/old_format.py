"""Refuse data in an older on-disk generation with a clear error instead of reading it wrong.

Upstream's G0 stores have no ``users/`` level (the current store would see no users at all)
and G0/G1 records say ``id`` where the current DTOs say ``session_id``/``message_id``. Both
are migrated by ``flatfile-chat migrate``; until then the store says so and touches nothing.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from flatfile_chat.errors import OldStoreFormat

PEEK = 50  # top-level entries looked at when a store opens: enough to tell a G0 store


def _how(root: Path) -> str:
    return (
        f"migrate it first: `flatfile-chat migrate plan {root}` shows what would change, "
        f"`flatfile-chat migrate apply {root}` migrates it (with a backup and rollback)"
    )


def refuse_g0(root: Path) -> None:
    """A base with user folders directly under it (no ``users/``) is a G0 store."""
    try:
        names = os.listdir(root)
    except (FileNotFoundError, NotADirectoryError):
        return
    if "users" in names:
        return
    for name in sorted(names)[:PEEK]:
        if os.path.isfile(os.path.join(root, name, "profile.json")):
            raise OldStoreFormat(
                f"{root} is a G0 store ({name}/profile.json with no users/ level); " + _how(root),
                path=str(root),
                generation="G0",
            )


def check_session_record(path: Path, data: Any, root: Path) -> None:
    if isinstance(data, dict) and "id" in data and "session_id" not in data:
        raise OldStoreFormat(
            f"{path}: session record in the G0/G1 format ('id' instead of "
            f"'session_id'); " + _how(root),
            path=str(path),
            generation="G1",
        )


def check_message_line(path: Path, line: int, root: Path) -> None:
    """Raise when line ``line`` of a message log is an old-format message."""
    try:
        with path.open("rb") as handle:
            for number, raw in enumerate(handle, start=1):
                if number == line:
                    record = json.loads(raw)
                    break
            else:
                return
    except (OSError, ValueError):
        return
    if isinstance(record, dict) and "id" in record and "message_id" not in record:
        raise OldStoreFormat(
            f"{path}:{line}: message in the G0/G1 format ('id' instead of "
            f"'message_id'); " + _how(root),
            path=str(path),
            line=line,
            generation="G1",
        )


def _real_dir(path: Path) -> bool:
    return path.is_dir() and not path.is_symlink()


def refuse_old_sessions(root: Path) -> None:
    """Before a repair rewrites anything: no session record may be in an old format."""
    users = root / "users"
    for user in sorted(os.listdir(users)) if _real_dir(users) else []:
        folder = users / user
        for name in sorted(os.listdir(folder)) if _real_dir(folder) else []:
            record = folder / name / "session.json"
            # never through a planted symlink (the integrity check reports those)
            if _real_dir(folder / name) and record.is_file() and not record.is_symlink():
                try:
                    data = json.loads(record.read_bytes())
                except ValueError:
                    continue  # encrypted or broken: repair reports it its own way
                check_session_record(record, data, root)
