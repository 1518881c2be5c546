"""How old records are read, judged and written back, the same way in every step.

Rewritten files use upstream's own conventions (``json.dumps`` with ``indent=2``, sorted keys,
no trailing newline; JSONL lines in the record's own key order), so a step followed by its
down step gives back the same bytes. A record a step leaves unchanged keeps its original bytes.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path, PurePosixPath
from typing import Any

import orjson

MIGRATION_DIR = ".ffmigrate"  # inside a store: history, undo notes, quarantine
SESSION_PREFIXES = {
    "panel_session_": "panel",
    "debate_session_": "debate",
    "problem_solving_session_": "problem_solving",
    "chat_session_": "chat",
}


def dump_json(data: Any) -> bytes:
    return json.dumps(data, indent=2, ensure_ascii=False, sort_keys=True).encode("utf-8")


def load_json(raw: bytes | str) -> Any:
    """Parse with orjson (several times faster than ``json``, same dicts in the same key
    order); what orjson refuses but ``json`` reads (NaN, integers past 64 bits) still reads.
    Raises ``ValueError`` for text that is not JSON."""
    try:
        return orjson.loads(raw)
    except orjson.JSONDecodeError:
        return json.loads(raw)


def dump_line(data: Any) -> bytes:
    return json.dumps(data, ensure_ascii=False).encode("utf-8") + b"\n"


def is_message_log(rel: str) -> bool:
    """``messages.jsonl`` and G3's per-persona ``{persona}_messages.jsonl`` in a session."""
    name = PurePosixPath(rel).name
    return name == "messages.jsonl" or name.endswith("_messages.jsonl")


def is_engine_file(rel: str) -> bool:
    return rel == MIGRATION_DIR or rel.startswith(MIGRATION_DIR + "/")


def message_problem(obj: Any) -> str | None:
    """Why a message line cannot be migrated, in any generation's shape, or None if it can.

    Checked on the first pass so a quarantined line is reported at its line in the *source*.
    """
    if not isinstance(obj, dict):
        return f"expected a JSON object, got {type(obj).__name__}"
    missing = [key for key in ("role", "content", "timestamp") if key not in obj]
    if "id" not in obj and "message_id" not in obj:
        missing.append("id|message_id")
    if missing:
        return f"missing {', '.join(missing)}"
    for key in ("role", "content", "timestamp"):
        if not isinstance(obj[key], str):
            return f"{key} must be a string, got {type(obj[key]).__name__}"
    ident = obj.get("message_id", obj.get("id"))
    if not isinstance(ident, str) or not ident:
        return "the message id must be a non-empty string"
    if not isinstance(obj.get("attachments", []), list):
        return "attachments must be a list"
    if not isinstance(obj.get("metadata", {}), dict):
        return "metadata must be an object"
    return None


def rename_key(obj: dict[str, Any], old: str, new: str) -> dict[str, Any]:
    """``obj`` with key ``old`` renamed to ``new`` at the same position (bytes round-trip)."""
    if old not in obj or new in obj:
        return obj
    return {(new if key == old else key): value for key, value in obj.items()}


def session_type_of(session_id: str) -> str:
    for prefix, kind in SESSION_PREFIXES.items():
        if session_id.startswith(prefix):
            return kind
    return "chat"


def message_key(obj: dict[str, Any]) -> str:
    return str(obj.get("message_id", obj.get("id", "")))


def good_messages(path: Path, on_bad: Callable[[], None] | None = None) -> Iterator[dict[str, Any]]:
    """The message lines of ``path`` the engine keeps, in file order; blank lines are skipped
    and every line it would quarantine calls ``on_bad``."""
    with path.open("rb") as handle:
        for raw in handle:
            if not raw.strip():
                continue
            try:
                obj = load_json(raw)
            except ValueError:
                obj = None
            if obj is not None and message_problem(obj) is None:
                yield obj
            elif on_bad is not None:
                on_bad()
