"""Which on-disk generation a storage base is (spec section 3.1), with the evidence.

A store that was migrated says so in its history; an old store is recognised by its layout and
field names. G2 and G3 share a layout: a store is G3 only when something G3-specific is present.
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass, field
from pathlib import Path

from flatfile_chat.migration import history
from flatfile_chat.migration.records import MIGRATION_DIR, is_message_log
from flatfile_chat.migration.steps import RESERVED

_G3_DIR = re.compile(r"^(panel|debate|problem_solving)_session_")
_BRIDGE_ID = re.compile(r"^msg_[0-9a-f]{32}$")
SAMPLE_LINES = 20  # message lines read per log: enough to see field names


@dataclass
class Detection:
    generation: str  # G0..G3, "current", or "empty"
    evidence: list[str] = field(default_factory=list)
    mixed: list[str] = field(default_factory=list)  # signs of more than one generation

    def to_dict(self) -> dict:
        return {"generation": self.generation, "evidence": self.evidence, "mixed": self.mixed}


def detect(base: Path) -> Detection:
    base = Path(base)
    applied = history.read(base)
    if applied:
        last = applied[-1]
        return Detection(
            last.target,
            [
                f"{MIGRATION_DIR}/history.jsonl: last step "
                f"{last.label} ({last.source} -> {last.target})"
            ],
        )
    if not base.is_dir() or not any(base.iterdir()):
        return Detection("empty", [f"{base} holds nothing"])
    if not (base / "users").is_dir():
        return _detect_g0(base)
    stray = _detect_g0(base, skip=frozenset({"users", "personas_global", MIGRATION_DIR}))
    if stray.generation == "G0":
        # G0 user folders beside a users/ folder: either a G0 store with a user named
        # "users", or a half-moved store. Guessing would strand one half; say so instead.
        return Detection(
            "ambiguous", [*stray.evidence, "users/ exists as well"], mixed=stray.evidence
        )
    return _detect_users_tree(base)


def _detect_g0(base: Path, skip: frozenset[str] = frozenset({MIGRATION_DIR})) -> Detection:
    evidence = []
    for user in sorted(os.listdir(base)):
        if user in skip:
            continue
        folder = base / user
        if (folder / "profile.json").is_file():
            evidence.append(f"{user}/profile.json with no users/ level")
        elif folder.is_dir() and any(
            (folder / s / "session.json").is_file() for s in os.listdir(folder)
        ):
            evidence.append(f"{user}/ holds sessions with no users/ level")
        if len(evidence) >= 3:
            break
    if not evidence:
        return Detection("empty", [f"{base} has no users/ folder and no user folders"])
    return Detection("G0", evidence)


def _detect_users_tree(base: Path) -> Detection:
    old: list[str] = []
    new: list[str] = []
    g3: list[str] = []
    users = base / "users"
    for user in sorted(os.listdir(users)):
        folder = users / user
        if not folder.is_dir() or user == "default":
            continue
        for name in sorted(os.listdir(folder)):
            session = folder / name
            if name in RESERVED or not session.is_dir():
                continue
            if _G3_DIR.match(name):
                g3.append(f"users/{user}/{name}: a {name.split('_session_')[0]} session folder")
            _judge_session(base, session, old, new, g3)
    personas = base / "personas_global"
    if personas.is_dir():
        for name in sorted(os.listdir(personas))[:5]:
            if _read_json(personas / name).get("persona_id"):
                g3.append(f"personas_global/{name}: persona_id (G3 persona schema)")
                break
    if old and (new or g3):
        gen = "G1"
        mixed = old[:3] + (new + g3)[:3]
        return Detection(gen, old[:5], mixed)
    if old:
        return Detection("G1", old[:5])
    if g3:
        return Detection("G3", g3[:5])
    if new:
        return Detection("G2", new[:5])
    return Detection(
        "G2", ["users/ holds no session with field names to judge by; the G2/G3 layout is assumed"]
    )


def _judge_session(
    base: Path, session: Path, old: list[str], new: list[str], g3: list[str]
) -> None:
    rel = session.relative_to(base).as_posix()
    record = _read_json(session / "session.json")
    if "id" in record and "session_id" not in record:
        old.append(f"{rel}/session.json: 'id' instead of 'session_id'")
    elif "session_id" in record:
        new.append(f"{rel}/session.json: 'session_id'")
        if "session_type" in record:
            g3.append(f"{rel}/session.json: 'session_type'")
    for log in sorted(os.listdir(session)):
        if not is_message_log(log):
            continue
        if log != "messages.jsonl":
            g3.append(f"{rel}/{log}: a per-persona transcript")
        for line in _head(session / log):
            if "id" in line and "message_id" not in line:
                old.append(f"{rel}/{log}: messages with 'id' instead of 'message_id'")
                break
            if "message_id" in line:
                new.append(f"{rel}/{log}: 'message_id'")
                if _BRIDGE_ID.match(str(line["message_id"])):
                    g3.append(f"{rel}/{log}: bridge-written ids (msg_ + 32 hex)")
                break


def _read_json(path: Path) -> dict:
    try:
        data = json.loads(path.read_bytes())
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def _head(path: Path) -> list[dict]:
    out = []
    try:
        with path.open("rb") as handle:
            for n, raw in enumerate(handle):
                if n >= SAMPLE_LINES:
                    break
                try:
                    obj = json.loads(raw)
                except ValueError:
                    continue
                if isinstance(obj, dict):
                    out.append(obj)
    except OSError:
        pass
    return out
