"""What a store holds, counted the same way in every generation, to prove nothing was lost.

Counts per collection and a digest per session (every message's id, role, content, timestamp,
attachments and metadata, in file order) are taken before and after a migration and compared.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson

from flatfile_chat.migration.records import (
    MIGRATION_DIR,
    good_messages,
    load_json,
    message_key,
)
from flatfile_chat.migration.steps import RESERVED

COLLECTIONS = (
    "users",
    "profiles",
    "sessions",
    "messages",
    "persona_messages",
    "documents",
    "vectors",
    "personas",
    "contexts",
)


@dataclass
class Census:
    counts: dict[str, int] = field(default_factory=lambda: dict.fromkeys(COLLECTIONS, 0))
    sessions: dict[str, str] = field(default_factory=dict)  # "user/session" -> digest
    bad_lines: int = 0
    # Records still in the G0/G1 field names ('id'), wherever they are: detection only
    # samples, this reads everything (apply runs the id step for them).
    old_records: int = 0
    old_examples: list[str] = field(default_factory=list)
    # Message ids used twice in one log: kept as they are (upstream wrote some), reported.
    duplicate_ids: int = 0
    duplicate_examples: list[str] = field(default_factory=list)

    def compare(self, after: Census, *, quarantined: int = 0) -> list[str]:
        """Everything that differs, in words; ``quarantined`` lines are expected to leave."""
        problems = []
        for name in COLLECTIONS:
            before, now = self.counts[name], after.counts[name]
            if name == "sessions":
                before = len(self.sessions)
            if before != now:
                problems.append(f"{name}: {before} before, {now} after")
        if self.bad_lines - quarantined != after.bad_lines:
            problems.append(
                f"malformed lines: {self.bad_lines} before, {quarantined} "
                f"quarantined, {after.bad_lines} left"
            )
        for key in sorted(set(self.sessions) | set(after.sessions)):
            if self.sessions.get(key) != after.sessions.get(key):
                problems.append(
                    f"session {key}: message digest "
                    f"{self.sessions.get(key, 'absent')[:12]} before, "
                    f"{after.sessions.get(key, 'absent')[:12]} after"
                )
                if len(problems) > 20:
                    break
        return problems


def take(base: Path) -> Census:
    census = Census()
    base = Path(base)
    users_root = base / "users" if (base / "users").is_dir() else base
    for user in _dirs(users_root):
        if user == MIGRATION_DIR or (users_root is base and user == "personas_global"):
            continue
        folder = users_root / user
        holds = False
        if (folder / "profile.json").is_file():
            census.counts["profiles"] += 1
            holds = True
        for name in _dirs(folder):
            if name == "sessions" and user == "default":
                for sid in _dirs(folder / "sessions"):
                    _count_vectors(census, folder / "sessions" / sid / "vectors")
                continue
            if name == "personas":
                census.counts["personas"] += len(_files(folder / name, ".json"))
                continue
            if name in RESERVED:
                continue
            session = folder / name
            if any(
                (session / name).exists()
                for name in ("session.json", "messages.jsonl", "documents")
            ):
                holds = True
                _count_session(census, f"{user}/{name}", session)
        if holds:
            census.counts["users"] += 1
    census.counts["personas"] += len(_files(base / "personas_global", ".json"))
    census.counts["sessions"] = len(census.sessions)
    return census


def _count_session(census: Census, key: str, session: Path) -> None:
    digest = hashlib.sha256()
    for name in sorted(os.listdir(session)):
        if not name.endswith("messages.jsonl"):
            continue
        seen: set[str] = set()
        for obj in _messages(census, session / name):
            ident = message_key(obj)
            if ident in seen:
                census.duplicate_ids += 1
                if len(census.duplicate_examples) < 3:
                    census.duplicate_examples.append(f"{key}/{name}: {ident!r}")
            seen.add(ident)
            if "id" in obj and "message_id" not in obj:
                _old(census, f"{key}/{name}: a message with 'id' ({obj['id']!r})")
            if name == "messages.jsonl":
                census.counts["messages"] += 1
                digest.update(_fingerprint(obj))
            else:
                census.counts["persona_messages"] += 1
    census.sessions[key] = digest.hexdigest()
    record = session / "session.json"
    if record.is_file():
        with contextlib.suppress(ValueError, OSError):
            data = load_json(record.read_bytes())
            if isinstance(data, dict) and "id" in data and "session_id" not in data:
                _old(census, f"{key}/session.json: 'id' instead of 'session_id'")
    meta = session / "documents" / "metadata.json"
    if meta.is_file():
        with contextlib.suppress(ValueError):
            census.counts["documents"] += len(json.loads(meta.read_bytes()))
    if (session / "situational_context.json").is_file():
        census.counts["contexts"] += 1
    census.counts["contexts"] += len(_files(session / "context_history", ".json"))
    _count_vectors(census, session / "vectors")


def _old(census: Census, example: str) -> None:
    census.old_records += 1
    if len(census.old_examples) < 3:
        census.old_examples.append(example)


def _count_vectors(census: Census, folder: Path) -> None:
    index = folder / "vector_index.jsonl"
    if index.is_file():
        with index.open("rb") as handle:
            census.counts["vectors"] += sum(1 for line in handle if line.strip())


def _messages(census: Census, path: Path) -> Iterator[dict[str, Any]]:
    def bad() -> None:
        census.bad_lines += 1

    return good_messages(path, bad)


def _fingerprint(obj: dict[str, Any]) -> bytes:
    core = [
        message_key(obj),
        obj["role"],
        obj["content"],
        obj["timestamp"],
        obj.get("attachments", []),
        obj.get("metadata", {}),
    ]
    try:
        return orjson.dumps(core, option=orjson.OPT_SORT_KEYS) + b"\n"
    except TypeError:  # what only ``json`` can write (integers past 64 bits)
        return json.dumps(core, sort_keys=True, ensure_ascii=False).encode("utf-8") + b"\n"


def _dirs(folder: Path) -> list[str]:
    try:
        return sorted(n for n in os.listdir(folder) if (folder / n).is_dir())
    except (FileNotFoundError, NotADirectoryError):
        return []


def _files(folder: Path, suffix: str) -> list[str]:
    try:
        return sorted(n for n in os.listdir(folder) if n.endswith(suffix))
    except (FileNotFoundError, NotADirectoryError):
        return []
