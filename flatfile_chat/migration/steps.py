"""The versioned migration steps, G0 -> G1 -> G2 -> G3 -> current, each with its down step.

A step is a set of per-file rules (where a file goes, how a JSON document or a message line
changes, which files it adds or removes); the engine runs them in batches. What a step cannot
recompute on the way down (a stale counter it fixed, a field it added) it writes as an *undo
note* next to the output, and its down step reads the note back.

Every step's checksum is the hash of its source, so ``validate`` notices a step edited after a
store was migrated with it (Flyway's rule: an applied migration never changes).
"""

from __future__ import annotations

import hashlib
import inspect
import json
import os
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any, ClassVar

from flatfile_chat.migration.records import (
    MIGRATION_DIR,
    dump_json,
    good_messages,
    is_message_log,
    rename_key,
    session_type_of,
)

Note = dict[str, Any]
RESERVED = frozenset(
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


@dataclass
class Extra:
    """A file a step adds (``data``) with the note its down step needs to remove it."""

    rel: str
    data: bytes
    note: Note | None = None


@dataclass
class Findings:
    """What a pass noticed but could not act on (reported, never silent)."""

    items: list[str] = field(default_factory=list)


class Transform:
    """One direction of one step. Defaults: nothing moves, nothing changes."""

    def __init__(self, tree: Path, notes: dict[str, Note], findings: Findings) -> None:
        self.tree = tree
        self.notes = notes  # undo notes of this step, by the path they were written for
        self.findings = findings

    def path(self, rel: str) -> str:
        return rel

    def drop(self, rel: str) -> bool:
        return False

    def json_file(self, rel_out: str, obj: Any) -> tuple[Any, Note | None]:
        return obj, None

    def line(self, rel_out: str, obj: dict[str, Any]) -> dict[str, Any]:
        return obj

    def extras(self) -> Iterable[Extra]:
        return ()


class Step:
    version: ClassVar[int]
    name: ClassVar[str]
    source: ClassVar[str]
    target: ClassVar[str]
    description: ClassVar[str]
    up: ClassVar[type[Transform]]
    down: ClassVar[type[Transform]]

    @classmethod
    def checksum(cls) -> str:
        """sha256 of the step's source and of every migration helper it calls, however
        deep: editing ``rename_key`` changes the checksum of every step that renames."""
        parts = [inspect.getsource(part) for part in (cls, cls.up, cls.down)]
        parts += [inspect.getsource(fn) for fn in _helpers((cls, cls.up, cls.down))]
        return hashlib.sha256("\n".join(parts).encode("utf-8")).hexdigest()

    @classmethod
    def label(cls) -> str:
        return f"V{cls.version}__{cls.name}"


def _helpers(roots: tuple[type, ...]) -> list[Any]:
    """Module-level functions and classes of this package that ``roots`` reach, sorted."""
    import sys
    import types

    seen: dict[str, Any] = {}
    todo: list[types.CodeType] = []
    for root in roots:
        for klass in root.__mro__:
            if klass.__module__.startswith("flatfile_chat.migration"):
                todo += [
                    v.__code__ for v in vars(klass).values() if isinstance(v, types.FunctionType)
                ]
    while todo:
        code = todo.pop()
        todo += [c for c in code.co_consts if isinstance(c, types.CodeType)]
        module = sys.modules[__name__]
        for name in code.co_names:
            for owner in (module, sys.modules["flatfile_chat.migration.records"]):
                value = getattr(owner, name, None)
                key = f"{getattr(value, '__module__', '')}.{name}"
                if (
                    isinstance(value, types.FunctionType)
                    and key not in seen
                    and value.__module__.startswith("flatfile_chat.migration")
                ):
                    seen[key] = value
                    todo.append(value.__code__)
    return [seen[k] for k in sorted(seen)]


# --- V1: G0 -> G1 -------------------------------------------------------------------------


def _users_level_doc_paths(obj: Any, add: bool) -> Any:
    if not isinstance(obj, dict):
        return obj
    out: dict[str, Any] = {}
    for name, entry in obj.items():
        if isinstance(entry, dict) and isinstance(entry.get("path"), str):
            path = entry["path"]
            if add and not path.startswith("users/"):
                entry = {**entry, "path": "users/" + path}
            elif not add and path.startswith("users/"):
                entry = {**entry, "path": path[len("users/") :]}
        out[name] = entry
    return out


class _AddUsersLevel(Transform):
    def path(self, rel: str) -> str:
        return rel if rel.startswith(MIGRATION_DIR + "/") else "users/" + rel

    def json_file(self, rel_out: str, obj: Any) -> tuple[Any, Note | None]:
        if rel_out.endswith("documents/metadata.json"):
            return _users_level_doc_paths(obj, add=True), None
        return obj, None


class _RemoveUsersLevel(Transform):
    def path(self, rel: str) -> str:
        return rel[len("users/") :] if rel.startswith("users/") else rel

    def json_file(self, rel_out: str, obj: Any) -> tuple[Any, Note | None]:
        if rel_out.endswith("documents/metadata.json"):
            return _users_level_doc_paths(obj, add=False), None
        return obj, None


class V1UsersLevel(Step):
    version = 1
    name = "users_level"
    source, target = "G0", "G1"
    description = (
        "move every user folder under users/ and rewrite documents/metadata.json "
        "paths to the users/... form"
    )
    up = _AddUsersLevel
    down = _RemoveUsersLevel


# --- V2: G1 -> G2 -------------------------------------------------------------------------


def _session_folder(rel: str) -> tuple[str, str] | None:
    parts = PurePosixPath(rel).parts
    if len(parts) >= 4 and parts[0] == "users":
        return parts[1], parts[2]
    return None


class _IdFieldNames(Transform):
    """``id`` -> ``session_id``/``message_id``; orphan ``users/default`` vectors to their owner."""

    def __init__(self, tree: Path, notes: dict[str, Note], findings: Findings) -> None:
        super().__init__(tree, notes, findings)
        self.owners = self._vector_owners()

    def _vector_owners(self) -> dict[str, str]:
        base = self.tree / "users" / "default" / "sessions"
        owners: dict[str, str] = {}
        if not base.is_dir():
            return owners
        users = sorted(
            p.name for p in (self.tree / "users").iterdir() if p.is_dir() and p.name != "default"
        )
        for sid in sorted(os.listdir(base)):
            if not (base / sid / "vectors").is_dir():
                continue
            found = [u for u in users if (self.tree / "users" / u / sid).is_dir()]
            if len(found) == 1:
                owners[sid] = found[0]
            else:
                why = "no user has" if not found else f"{len(found)} users have"
                self.findings.items.append(
                    f"users/default/sessions/{sid}/vectors: {why} a session {sid!r}; the "
                    "vectors stay where they are"
                )
        return owners

    def path(self, rel: str) -> str:
        parts = PurePosixPath(rel).parts
        if (
            len(parts) >= 6
            and parts[:3] == ("users", "default", "sessions")
            and parts[4] == "vectors"
            and parts[3] in self.owners
        ):
            return "/".join(("users", self.owners[parts[3]], parts[3], *parts[4:]))
        return rel

    def json_file(self, rel_out: str, obj: Any) -> tuple[Any, Note | None]:
        if PurePosixPath(rel_out).name == "session.json" and isinstance(obj, dict):
            return rename_key(obj, "id", "session_id"), None
        return obj, None

    def line(self, rel_out: str, obj: dict[str, Any]) -> dict[str, Any]:
        return rename_key(obj, "id", "message_id")


class _OldIdFieldNames(Transform):
    def path(self, rel: str) -> str:
        parts = PurePosixPath(rel).parts
        if (
            len(parts) >= 5
            and parts[0] == "users"
            and parts[1] != "default"
            and parts[3] == "vectors"
        ):
            return "/".join(("users", "default", "sessions", parts[2], *parts[3:]))
        return rel

    def json_file(self, rel_out: str, obj: Any) -> tuple[Any, Note | None]:
        if PurePosixPath(rel_out).name == "session.json" and isinstance(obj, dict):
            return rename_key(obj, "session_id", "id"), None
        return obj, None

    def line(self, rel_out: str, obj: dict[str, Any]) -> dict[str, Any]:
        return rename_key(obj, "message_id", "id")


class V2IdFieldNames(Step):
    version = 2
    name = "id_field_names"
    source, target = "G1", "G2"
    description = (
        "rename id to session_id (session.json) and message_id (messages); move "
        "users/default/sessions/{sid}/vectors to the session's owner"
    )
    up = _IdFieldNames
    down = _OldIdFieldNames


# --- V3: G2 -> G3 -------------------------------------------------------------------------


class _ExplicitSessionType(Transform):
    def json_file(self, rel_out: str, obj: Any) -> tuple[Any, Note | None]:
        if (
            PurePosixPath(rel_out).name == "session.json"
            and isinstance(obj, dict)
            and "session_type" not in obj
            and _session_folder(rel_out)
        ):
            sid = str(obj.get("session_id", PurePosixPath(rel_out).parent.name))
            return {**obj, "session_type": session_type_of(sid)}, {"added": "session_type"}
        return obj, None


class _ImplicitSessionType(Transform):
    def json_file(self, rel_out: str, obj: Any) -> tuple[Any, Note | None]:
        note = self.notes.get(rel_out)
        if note and note.get("added") == "session_type" and isinstance(obj, dict):
            return {k: v for k, v in obj.items() if k != "session_type"}, None
        return obj, None


class V3SessionTypes(Step):
    version = 3
    name = "session_types"
    source, target = "G2", "G3"
    description = "write session_type (from the session id prefix) where session.json has none"
    up = _ExplicitSessionType
    down = _ImplicitSessionType


# --- V4: G3 -> current ----------------------------------------------------------------------


def _count_lines(path: Path) -> int:
    return sum(1 for _ in good_messages(path))


def _first_last_timestamps(path: Path) -> tuple[str | None, str | None]:
    first = last = None
    for obj in good_messages(path):
        first = first or obj["timestamp"]
        last = obj["timestamp"]
    return first, last


class _Normalise(Transform):
    """Counters recounted, a session.json for every folder holding a conversation."""

    def __init__(self, tree: Path, notes: dict[str, Note], findings: Findings) -> None:
        super().__init__(tree, notes, findings)
        self.counts: dict[str, int] = {}
        self.orphans: list[tuple[str, str]] = []
        users = tree / "users"
        for user in sorted(os.listdir(users)) if users.is_dir() else []:
            if not (users / user).is_dir():
                continue
            for name in sorted(os.listdir(users / user)):
                folder = users / user / name
                if name in RESERVED or not folder.is_dir():
                    continue
                log = folder / "messages.jsonl"
                rel = f"users/{user}/{name}/session.json"
                self.counts[rel] = _count_lines(log) if log.is_file() else 0
                if not (folder / "session.json").exists() and (
                    log.is_file() or (folder / "documents").is_dir()
                ):
                    self.orphans.append((user, name))

    def json_file(self, rel_out: str, obj: Any) -> tuple[Any, Note | None]:
        count = self.counts.get(rel_out)
        if count is None or not isinstance(obj, dict):
            return obj, None
        changes: dict[str, Any] = {}
        note: Note = {}
        if obj.get("message_count") != count:
            changes["message_count"] = count
            note.update(
                {"message_count": obj["message_count"]}
                if "message_count" in obj
                else {"message_count_absent": True}
            )
        if obj.get("session_type") is None:  # G3 wrote it for some sessions only
            changes["session_type"] = session_type_of(
                str(obj.get("session_id", PurePosixPath(rel_out).parent.name))
            )
            note["session_type"] = obj.get("session_type", "absent")
        return ({**obj, **changes}, note) if changes else (obj, None)

    def extras(self) -> Iterable[Extra]:
        for user, sid in self.orphans:
            folder = self.tree / "users" / user / sid
            log = folder / "messages.jsonl"
            first, last = _first_last_timestamps(log) if log.is_file() else (None, None)
            stamp = first or _earliest_upload(folder) or "1970-01-01T00:00:00"
            record = {
                "session_id": sid,
                "user_id": user,
                "title": sid,
                "created_at": stamp,
                "updated_at": last or stamp,
                "message_count": self.counts[f"users/{user}/{sid}/session.json"],
                "metadata": {"migrated_from": "a folder with no session.json"},
                "session_type": session_type_of(sid),
            }
            self.findings.items.append(
                f"users/{user}/{sid}: no session.json; one was written from the folder's messages"
            )
            yield Extra(
                f"users/{user}/{sid}/session.json", dump_json(record), {"synthesized": True}
            )


def _earliest_upload(folder: Path) -> str | None:
    meta = folder / "documents" / "metadata.json"
    try:
        entries = json.loads(meta.read_bytes())
    except (OSError, ValueError):
        return None
    stamps = sorted(
        e["uploaded_at"]
        for e in entries.values()
        if isinstance(e, dict) and isinstance(e.get("uploaded_at"), str)
    )
    return stamps[0] if stamps else None


class _Denormalise(Transform):
    def drop(self, rel: str) -> bool:
        return bool(self.notes.get(rel, {}).get("synthesized"))

    def json_file(self, rel_out: str, obj: Any) -> tuple[Any, Note | None]:
        note = self.notes.get(rel_out)
        if not note or not isinstance(obj, dict):
            return obj, None
        out = dict(obj)
        if note.get("message_count_absent"):
            out.pop("message_count", None)
        elif "message_count" in note:
            out["message_count"] = note["message_count"]
        if note.get("session_type") == "absent":
            out.pop("session_type", None)
        elif "session_type" in note:
            out["session_type"] = note["session_type"]
        return out, None


class V4Normalise(Step):
    version = 4
    name = "normalise"
    source, target = "G3", "current"
    description = (
        "recount message_count from messages.jsonl, write session_type where "
        "G3 left it out, and write a session.json for every folder that holds "
        "messages or documents without one"
    )
    up = _Normalise
    down = _Denormalise


STEPS: tuple[type[Step], ...] = (V1UsersLevel, V2IdFieldNames, V3SessionTypes, V4Normalise)
GENERATIONS = ("G0", "G1", "G2", "G3", "current")


def steps_between(start: str, end: str) -> tuple[list[type[Step]], str]:
    """The steps from generation ``start`` to ``end`` and the direction (``up``/``down``)."""
    lo, hi = GENERATIONS.index(start), GENERATIONS.index(end)
    if lo <= hi:
        return list(STEPS[lo:hi]), "up"
    return list(reversed(STEPS[hi:lo])), "down"


def is_migrated_json(rel: str) -> bool:
    """JSON documents a step may rewrite: session records and document indexes (not personas
    or profiles, which no step changes and whose bytes must stay as the writer left them)."""
    name = PurePosixPath(rel).name
    return name == "session.json" or rel.endswith("documents/metadata.json")


def is_migrated_log(rel: str) -> bool:
    return is_message_log(rel) and not rel.startswith(MIGRATION_DIR + "/")
