"""Deterministic generators of every OLD on-disk store generation (G0..G3, spec section 3).

Migration tests need old stores at any volume, with the traps the real upstream data has,
without shipping that data. Everything here is written from the spec: the same arguments give a
byte-identical tree (seeded ``random.Random``, fixed base timestamps; never the wall clock or
``uuid4``), and bytes follow upstream's own conventions (JSON with ``indent=2``, sorted keys and
no trailing newline; one ``json.dumps`` line per message in the dataclass key order).

What each generation holds (``traps`` adds the items in ``TRAPS``):

* G0: ``{root}/{user}/...`` (no ``users/`` level), ``"id"`` fields, session ids without
  microseconds, ``message_count`` always 0, ``.md`` documents with the old ``path`` form,
  ``situational_context.json`` in some sessions; no vectors (they came later).
* G1: ``{root}/users/{user}/...``, still ``"id"``, session ids with microseconds, ``.txt``
  documents, vectors under ``users/default/sessions/{sid}/vectors``; ``message_count`` still 0.
* G2: ``"session_id"`` / ``"message_id"``; ``message_count`` counted.
* G3: G2 plus ``session_type``, panel/debate/problem_solving session folders, per-persona
  transcripts, bridge-written ids and metadata, and ``personas_global/`` in the G3 schema
  written with unsorted keys (one of them hand-formatted) by an external app.
"""

from __future__ import annotations

import json
import random
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np

from flatfile_chat.errors import ValidationError

GENERATIONS = ("G0", "G1", "G2", "G3")
VECTOR_DIM = 8  # small on purpose; upstream used 768 (main) and 384 (stage/v2)

_TRAPS_G1 = ("duplicate_chunks", "session_without_session_json", "session_json_without_messages")
_TRAPS_G2 = (*_TRAPS_G1, "stale_message_count", "tz_orphan_message", "user_without_profile")
TRAPS: dict[str, tuple[str, ...]] = {
    "G0": (),  # message_count 0 and the old document path are G0 itself, not optional traps
    "G1": _TRAPS_G1,
    "G2": _TRAPS_G2,
    "G3": (*_TRAPS_G2, "stale_persona_session_counts"),
}

_BASE_TIME = {
    "G0": datetime(2025, 7, 22, 17, 54, 2, 667963),
    "G1": datetime(2025, 7, 23, 17, 11, 33, 551840),
    "G2": datetime(2025, 7, 31, 13, 56, 53, 396366),
    "G3": datetime(2025, 8, 11, 18, 21, 42, 529412),
}

_USERS = (
    ("alice", "Alice Johnson"),
    ("markly", "markly"),
    ("test_user", ""),
    ("bob-k", "Bob Kim"),
    ("j.doe", "Jordan Doe"),
    ("carol_m", "Carol Martín"),
)
_TITLES = (
    "Python Learning Session",
    "Chat Session",
    "Weekend planning",
    "Café notes ☕",
    "Test Session",
    "Design review",
)
_PROMPTS = (
    "How do I read a CSV file in Python?",
    "Can you explain what a closure is?",
    "What's the difference between a list and a tuple?",
    "Résumé tips for a junior developer — where do I start?",
    "Is naïve datetime handling dangerous?",
    'What does "idempotent" mean for an API?',
    "Why does C:\\temp\\new print a newline?",
    "日本語のテキストを扱えますか？",
    "Plan a café menu with three vegan options ☕",
    "Summarise Monday's meeting notes, please.",
)
_REPLIES = (
    "Good question! The short answer: use the csv module, or pandas for bigger files.",
    "A closure is a function that remembers the variables of the scope it was created in.",
    "Lists are mutable; tuples are not, so tuples can be dictionary keys.",
    "Start with one small project you can explain end to end:\n\n1. the problem\n2. your fix",
    "It can be: a naïve timestamp has no zone, so comparing it with an aware one fails.",
    'An idempotent call gives the same result however often you repeat it — "safe to retry".',
    'In a normal string \\n is a newline escape; use a raw string r"C:\\temp\\new".',
    "はい、扱えます。UTF-8 で保存してください。",
    "1. Lentil soup\n2. Grilled vegetables with tahini\n3. Chocolate–avocado mousse",
    "Three decisions, two open questions and one deadline (Friday).",
)
_DOCS = (
    (
        "solar_panels",
        "Solar panels",
        (
            "Photovoltaic cells turn sunlight straight into direct current.",
            "An inverter changes that current into the alternating current a house uses.",
            "Panels lose a little efficiency every year, usually under one percent.",
            "Tilt and shade matter more than the brand of the panel.",
        ),
    ),
    (
        "urban_gardens",
        "Urban gardens",
        (
            "Rooftop gardens cool buildings in summer and hold back storm water.",
            "Raised beds avoid contaminated city soil.",
            "Community plots turn empty lots into places where neighbours meet — and eat.",
        ),
    ),
    (
        "battery_storage",
        "Battery storage",
        (
            "Home batteries store midday solar power for the evening peak.",
            "Lithium iron phosphate cells trade some density for a much longer life.",
            "A battery's usable capacity is smaller than the number on its label.",
        ),
    ),
    (
        "tidal_energy",
        "Tidal energy",
        (
            "Tides are predictable decades ahead, unlike wind or sunshine.",
            "Barrages and underwater turbines are the two main designs.",
            "Salt water corrosion is the main maintenance cost.",
        ),
    ),
)
_PANEL = ("tom_okafor", "priya_natarajan")
_DOTTED = "dr._sarah_wilson"


@dataclass(frozen=True)
class GeneratedStore:
    root: Path
    generation: str  # "G0".."G3"
    users: int
    sessions: int  # folders holding messages.jsonl or session.json
    messages: int  # valid lines of messages.jsonl files (per-persona copies not counted)
    documents: int  # entries of documents/metadata.json files
    vectors: int  # rows of embeddings.npy (= lines of vector_index.jsonl)
    malformed_lines: list[tuple[str, int]]  # (relative path, 1-based line) deliberately broken


class _Clock:
    """A seeded clock: every timestamp in a store comes from here, never from the wall."""

    def __init__(self, rng: random.Random, start: datetime) -> None:
        self.rng = rng
        self.now = start

    def advance(self, low: float, high: float) -> datetime:
        self.now += timedelta(microseconds=self.rng.randint(int(low * 1e6), int(high * 1e6)))
        return self.now


@dataclass
class _Ctx:
    gen: str
    root: Path
    rng: random.Random
    clock: _Clock
    messages_per_session: int
    documents: bool
    vectors: bool
    traps: bool
    users: set[str] = field(default_factory=set)
    sessions: int = 0
    messages: int = 0
    document_count: int = 0
    vector_rows: int = 0
    ids: set[str] = field(default_factory=set)
    logs: dict[str, int] = field(default_factory=dict)  # regular messages.jsonl -> lines
    vector_jobs: list[tuple[str, list[tuple[str, str]], int]] = field(default_factory=list)

    @property
    def new_ids(self) -> bool:
        return self.gen in ("G2", "G3")

    def user_dir(self, user: str) -> Path:
        return self.root / user if self.gen == "G0" else self.root / "users" / user

    def rel(self, path: Path) -> str:
        return path.relative_to(self.root).as_posix()


# --- bytes -------------------------------------------------------------------------------


def _dump_json(data: Any) -> bytes:
    """Upstream's store writer: sorted keys, indent 2, no trailing newline."""
    return json.dumps(data, indent=2, ensure_ascii=False, sort_keys=True).encode("utf-8")


def _dump_lines(entries: list[dict[str, Any]]) -> bytes:
    """One write for a whole log: 100k lines must not mean 100k file opens."""
    return "".join(json.dumps(e, ensure_ascii=False) + "\n" for e in entries).encode("utf-8")


def _hand_json(obj: Any, depth: int = 0) -> str:
    """A hand-edited persona file: dicts indented, lists on one line (does not round-trip)."""
    if isinstance(obj, dict) and obj:
        pad = "  " * (depth + 1)
        items = [
            f"{pad}{json.dumps(k, ensure_ascii=False)}: {_hand_json(v, depth + 1)}"
            for k, v in obj.items()
        ]
        return "{\n" + ",\n".join(items) + "\n" + "  " * depth + "}"
    return json.dumps(obj, ensure_ascii=False)


def _write(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)


# --- ids ---------------------------------------------------------------------------------


def _hex(ctx: _Ctx, digits: int) -> str:
    """Hex like ``uuid4().hex[:digits]``, but from the seeded generator and never repeated."""
    while True:
        value = uuid.UUID(int=ctx.rng.getrandbits(128), version=4).hex[:digits]
        if value not in ctx.ids:
            ctx.ids.add(value)
            return value


def _session_id(ctx: _Ctx, at: datetime, kind: str = "chat") -> str:
    stamp = "%Y%m%d_%H%M%S" if ctx.gen == "G0" else "%Y%m%d_%H%M%S_%f"
    return f"{kind}_session_{at.strftime(stamp)}"


def _user_ids(count: int) -> list[str]:
    out = []
    for i in range(count):
        base, _ = _USERS[i % len(_USERS)]
        out.append(base if i < len(_USERS) else f"{base}_{i}")
    return out


# --- records -----------------------------------------------------------------------------


def _message(
    ctx: _Ctx,
    role: str,
    content: str,
    at: datetime,
    *,
    bridge: bool = False,
    metadata: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """A message line in the dataclass key order: role, content, id, timestamp, ..."""
    key = "message_id" if ctx.new_ids else "id"
    ident = "msg_" + _hex(ctx, 32 if bridge or metadata else 12)
    if bridge:
        metadata = {
            "chat_optimized": True,
            "stored_via_bridge": True,
            "processing_time": ctx.rng.randint(5, 60) * 2.0**-21,
        }
    return {
        "role": role,
        "content": content,
        key: ident,
        "timestamp": at.isoformat(),
        "attachments": [],
        "metadata": metadata or {},
    }


def _conversation(ctx: _Ctx, count: int, *, bridge: bool) -> list[dict[str, Any]]:
    """Alternating user/assistant lines, a few seconds apart, as a chat client wrote them."""
    out = []
    pick = 0
    for n in range(count):
        if n % 2 == 0:
            pick = ctx.rng.randrange(len(_PROMPTS))  # the reply answers this prompt
            out.append(
                _message(ctx, "user", _PROMPTS[pick], ctx.clock.advance(4, 60), bridge=bridge)
            )
        else:
            out.append(
                _message(ctx, "assistant", _REPLIES[pick], ctx.clock.advance(0.3, 3), bridge=bridge)
            )
    return out


def _session_record(
    ctx: _Ctx,
    user: str,
    sid: str,
    created: datetime,
    updated: str,
    count: int,
    *,
    title: str,
    metadata: dict[str, Any] | None = None,
    session_type: str | None = None,
) -> dict[str, Any]:
    record: dict[str, Any] = {
        "created_at": created.isoformat(),
        "message_count": count,
        "metadata": metadata or {},
        "title": title,
        "updated_at": updated,
        "user_id": user,
        ("session_id" if ctx.new_ids else "id"): sid,
    }
    if session_type is not None:
        record["session_type"] = session_type
    return record


def _updated(ctx: _Ctx, lines: list[dict[str, Any]], created: datetime) -> str:
    last = datetime.fromisoformat(lines[-1]["timestamp"].replace("Z", "")) if lines else created
    return (last + timedelta(microseconds=ctx.rng.randint(2, 2000))).isoformat()


def _count_field(ctx: _Ctx, actual: int, stale: bool) -> int:
    """G0/G1 code never updated the counter; G2+ did, except where a trap makes it stale."""
    if ctx.gen in ("G0", "G1") or (stale and ctx.traps):
        return 0
    return actual


def _write_log(ctx: _Ctx, path: Path, lines: list[dict[str, Any]], *, regular: bool) -> None:
    if not lines:
        return
    _write(path, _dump_lines(lines))
    if path.name == "messages.jsonl":
        ctx.messages += len(lines)
        if regular:
            ctx.logs[ctx.rel(path)] = len(lines)


def _new_session(ctx: _Ctx, kind: str = "chat") -> tuple[str, datetime]:
    """A session id from the moment it was made; session.json's created_at is a tick later."""
    at = ctx.clock.advance(60, 3600)
    sid = _session_id(ctx, at, kind)
    return sid, at + timedelta(microseconds=ctx.rng.randint(2, 15))


# --- users and sessions ------------------------------------------------------------------


def _profile(ctx: _Ctx, user: str, display: str) -> dict[str, Any]:
    created = ctx.clock.advance(1, 30)
    profile: dict[str, Any] = {
        "created_at": created.isoformat(),
        "metadata": {},
        "preferences": {},
        "updated_at": (created + timedelta(microseconds=ctx.rng.randint(2, 10))).isoformat(),
        "user_id": user,
        "username": display,
    }
    if ctx.gen == "G0":
        profile["preferences"] = {"notifications": True, "theme": "default"}
    if ctx.gen == "G3":
        profile["metadata"] = {
            "department": "Research",
            "role": "analyst",
            "expertise": ["data", "writing"],
        }
    return profile


def _write_user(
    ctx: _Ctx, index: int, user: str, display: str, sessions: int, has_profile: bool
) -> None:
    folder = ctx.user_dir(user)
    if has_profile:
        _write(folder / "profile.json", _dump_json(_profile(ctx, user, display)))
    folder.mkdir(parents=True, exist_ok=True)
    ctx.users.add(user)
    for j in range(sessions):
        _regular_session(ctx, index, j, user)


def _regular_session(ctx: _Ctx, index: int, j: int, user: str) -> None:
    sid, created = _new_session(ctx)
    folder = ctx.user_dir(user) / sid
    bridge = ctx.gen == "G3" and j % 2 == 1
    lines = _conversation(ctx, ctx.messages_per_session, bridge=bridge)
    stale = index == 0 and j == 0
    record = _session_record(
        ctx,
        user,
        sid,
        created,
        _updated(ctx, lines, created),
        _count_field(ctx, len(lines), stale),
        title=_TITLES[ctx.rng.randrange(len(_TITLES))],
        session_type="chat" if bridge else None,
    )
    _write(folder / "session.json", _dump_json(record))
    _write_log(ctx, folder / "messages.jsonl", lines, regular=True)
    ctx.sessions += 1
    if j == 0:
        picks = ctx.rng.sample(range(len(_DOCS)), 1 + ctx.rng.randrange(2))
        docs = _documents(ctx, user, sid, [_DOCS[p] for p in picks], uploads=1)
        if ctx.vectors and ctx.gen != "G0":
            ctx.vector_jobs.append((sid, docs, 1))
    if ctx.gen == "G0" and (index + j) % 2 == 1:
        _write(folder / "situational_context.json", _dump_json(_context(ctx, lines)))


def _context(ctx: _Ctx, lines: list[dict[str, Any]]) -> dict[str, Any]:
    """G0's situational context snapshot (spec 3.2); message_range was always null."""
    first = lines[0]["content"] if lines else "nothing yet"
    return {
        "confidence": round(0.6 + ctx.rng.random() * 0.35, 2),
        "entities": {"topics": ["python", "data"], "skill_level": ["beginner"]},
        "key_points": [f"User asked: {first}"],
        "message_range": None,
        "metadata": {},
        "summary": f"A conversation of {len(lines)} messages.",
        "timestamp": ctx.clock.advance(0.5, 2).isoformat(),
    }


def _documents(
    ctx: _Ctx, user: str, sid: str, docs: tuple | list, *, uploads: int
) -> list[tuple[str, str]]:
    """Stored documents and their metadata.json; returns (document_id, body) for vectors."""
    out = [(name, " ".join(sentences)) for name, _, sentences in docs]
    if not ctx.documents:
        return out
    ext, mime = (".md", "text/markdown") if ctx.gen == "G0" else (".txt", "text/plain")
    folder = ctx.user_dir(user) / sid / "documents"
    index: dict[str, Any] = {}
    for _ in range(uploads):
        for position, (name, title, sentences) in enumerate(docs):
            body = (
                f"# {title}\n\n" + "\n".join(sentences) + "\n"
                if ext == ".md"
                else "\n".join(sentences)
            )
            data = body.encode("utf-8")
            stored = f"{_hex(ctx, 8)}_{name}{ext}"
            _write(folder / stored, data)
            path = f"{user}/{sid}/documents/{stored}"
            at = ctx.clock.advance(1, 20)
            index[stored] = {
                "analysis": {},
                "filename": stored,
                "mime_type": mime,
                "metadata": _doc_metadata(position, len(data), ext, name, title, at),
                "original_name": name + ext,
                "path": path if ctx.gen == "G0" else "users/" + path,
                "size": len(data),
                "uploaded_at": (
                    at + timedelta(microseconds=ctx.rng.randint(100, 3000))
                ).isoformat(),
                "uploaded_by": user,
            }
    _write(folder / "metadata.json", _dump_json(index))
    ctx.document_count += len(index)
    return out


def _doc_metadata(
    position: int, size: int, ext: str, name: str, title: str, at: datetime
) -> dict[str, Any]:
    """Free-form, as upstream had it: processor fields, caller-supplied tags, or nothing."""
    if position % 3 == 0:
        return {
            "file_size": size,
            "file_type": ext,
            "original_filename": name + ext,
            "processed_at": at.isoformat(),
        }
    if position % 3 == 1:
        return {"topic": title.lower(), "type": "overview"}
    return {}


# --- vectors -----------------------------------------------------------------------------


def _chunks(body: str) -> list[str]:
    """Two sentences a chunk: enough to give documents more than one row."""
    sentences = [s.strip() + "." for s in body.split(".") if s.strip()]
    return [" ".join(sentences[i : i + 2]) for i in range(0, len(sentences), 2)]


def _write_vectors(ctx: _Ctx, sid: str, docs: list[tuple[str, str]], ingestions: int) -> None:
    """Rows under users/default/sessions/{sid}/vectors, where upstream's path bug put them.

    Re-ingesting writes the same chunk ids (and the same vectors) again, rows still aligned.
    """
    lines: list[dict[str, Any]] = []
    pieces = [
        (doc_id, i, len(chunks), text)
        for doc_id, body in docs
        for chunks in [_chunks(body)]
        for i, text in enumerate(chunks)
    ]
    vectors = np.random.default_rng(ctx.rng.getrandbits(63)).normal(size=(len(pieces), VECTOR_DIM))
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    for _ in range(ingestions):
        for doc_id, position, total, text in pieces:
            lines.append(
                {
                    "chunk_id": f"{doc_id}_chunk_{position}",
                    "vector_index": len(lines),
                    "document_id": doc_id,
                    "session_id": sid,
                    "chunk_text": text,
                    "chunk_metadata": {
                        "position": position,
                        "total_chunks": total,
                        "char_count": len(text),
                        "word_count": len(text.split()),
                    },
                    "embedding_metadata": {
                        "provider": "nomic-ai",
                        "model": "nomic-embed-text-v1.5",
                        "dimensions": VECTOR_DIM,
                        "normalized": True,
                        "timestamp": ctx.clock.advance(0, 0.01).isoformat(),
                    },
                }
            )
    folder = ctx.root / "users" / "default" / "sessions" / sid / "vectors"
    _write(folder / "vector_index.jsonl", _dump_lines(lines))
    with (folder / "embeddings.npy").open("wb") as handle:
        np.save(handle, np.tile(vectors, (ingestions, 1)).astype(np.float64))
    ctx.vector_rows += len(lines)


# --- traps -------------------------------------------------------------------------------


def _g1_traps(ctx: _Ctx, user: str) -> None:
    """demo_session without session.json (twice-ingested vectors) and a session with none."""
    folder = ctx.user_dir(user) / "demo_session"
    lines = _conversation(ctx, max(2, min(ctx.messages_per_session, 6)), bridge=False)
    _write_log(ctx, folder / "messages.jsonl", lines, regular=False)
    ctx.sessions += 1
    docs = _documents(ctx, user, "demo_session", _DOCS[:2], uploads=2)
    if ctx.vectors:
        ctx.vector_jobs.append(("demo_session", docs, 2))
    sid, created = _new_session(ctx)
    record = _session_record(
        ctx, user, sid, created, _updated(ctx, [], created), 0, title="demo_session"
    )
    _write(ctx.user_dir(user) / sid / "session.json", _dump_json(record))
    ctx.sessions += 1


def _g2_traps(ctx: _Ctx) -> None:
    """A folder with no session.json whose one message has a tz-suffixed timestamp."""
    user = "test_user_flatfile"
    line = {
        "role": "user",
        "content": "Test message from the flatfile test",
        "message_id": "msg_flatfile_test_001",
        "timestamp": "2024-01-01T12:00:00Z",
        "attachments": [],
        "metadata": {},
    }
    _write_log(
        ctx, ctx.user_dir(user) / "test_session_auto_001" / "messages.jsonl", [line], regular=False
    )
    ctx.users.add(user)
    ctx.sessions += 1


# --- G3 ----------------------------------------------------------------------------------


def _persona_line(ctx: _Ctx, role: str, content: str, at: datetime, persona: str) -> dict[str, Any]:
    """complex_data's metadata; the assistant side wrote its keys in another order."""
    meta = {"conversation_entry": True, "multimodal": False, "persona": persona}
    if role == "assistant":
        meta = {"conversation_entry": True, "persona": persona, "multimodal": False}
    return _message(ctx, role, content, at, metadata=meta)


def _persona_log(persona: str) -> str:
    """``dr._sarah_wilson`` -> ``dr_sarah_wilson_messages.jsonl`` (sanitised unlike its json)."""
    return persona.replace(".", "") + "_messages.jsonl"


def _persona_session(ctx: _Ctx, user: str, personas: tuple[str, ...], *, panel: bool) -> None:
    """A panel (or single-persona chat): per-persona logs and their interleaved union.

    Each persona gets its own copy of the user prompt; a user/assistant pair shares one
    timestamp, so only file order tells them apart.
    """
    if panel:
        at = ctx.clock.advance(60, 3600)
        sid = f"panel_session_{_hex(ctx, 8)}"
        created = at
    else:
        sid, created = _new_session(ctx)
    rounds = ctx.messages_per_session // (2 * len(personas))
    if ctx.messages_per_session:
        rounds = max(1, rounds)
    per: dict[str, list[dict[str, Any]]] = {p: [] for p in personas}
    union: list[dict[str, Any]] = []
    for _ in range(rounds):
        pick = ctx.rng.randrange(len(_PROMPTS))
        for persona in personas:
            at = ctx.clock.advance(1, 15)
            pair = [
                _persona_line(ctx, "user", _PROMPTS[pick], at, persona),
                _persona_line(ctx, "assistant", _REPLIES[pick], at, persona),
            ]
            per[persona] += pair
            union += pair
    metadata: dict[str, Any] = {"participants": list(personas)}
    if panel:
        metadata["session_type"] = "panel"
    record = _session_record(
        ctx,
        user,
        sid,
        created,
        _updated(ctx, union, created),
        _count_field(ctx, len(union), stale=True),
        title="Panel Session" if panel else "Chat Session",
        metadata=metadata,
        session_type="panel" if panel else "chat",
    )
    folder = ctx.user_dir(user) / sid
    _write(folder / "session.json", _dump_json(record))
    _write_log(ctx, folder / "messages.jsonl", union, regular=False)
    for persona, lines in per.items():
        _write_log(ctx, folder / _persona_log(persona), lines, regular=False)
    ctx.sessions += 1


def _typed_session(ctx: _Ctx, user: str, kind: str) -> None:
    """A bridge-written debate/problem_solving session with an explicit session_type."""
    sid, created = _new_session(ctx, kind)
    lines = _conversation(ctx, ctx.messages_per_session, bridge=True)
    record = _session_record(
        ctx,
        user,
        sid,
        created,
        _updated(ctx, lines, created),
        _count_field(ctx, len(lines), stale=False),
        title=kind.replace("_", " ").title() + " Session",
        session_type=kind,
    )
    folder = ctx.user_dir(user) / sid
    _write(folder / "session.json", _dump_json(record))
    _write_log(ctx, folder / "messages.jsonl", lines, regular=False)
    ctx.sessions += 1


def _persona(
    pid: str,
    name: str,
    job: str,
    age: int | None,
    category: str,
    *,
    prompt_last: bool = False,
    short_traits: bool = False,
    expertise: bool = True,
    context_note: bool = False,
) -> dict[str, Any]:
    """A persona in the G3 schema, keys in the order the external app wrote them."""
    traits: dict[str, Any] = {
        "communication_style": "Clear and friendly",
        "decision_making": "Evidence first",
        "values": ["honesty", "care"],
    }
    if not short_traits:
        traits |= {"strengths": ["explaining", "listening"], "personality": "Calm and curious"}
    prompt = f"You are {name}, a {job}. Answer in your own voice and stay in character."
    out: dict[str, Any] = {
        "persona_id": pid,
        "name": name,
        "description": f"{job} persona who prefers plain answers",
        "category": category,
    }
    if not prompt_last:
        out["system_prompt"] = prompt
    out |= {
        "demographics": {"age": age, "occupation": job, "location": "Riverside"},
        "behavioral_traits": traits,
        "capabilities": ["analytical", "educational"],
    }
    if expertise:
        out["expertise_areas"] = [job.lower(), "teaching"]
    out["llm_config_persona"] = {
        "llm_provider": "ollama_local",
        "temperature": 0.4,
        "max_tokens": 2000,
    }
    if prompt_last:
        out["system_prompt"] = prompt
    if context_note:
        out |= {
            "enable_context_analysis": True,
            "context_analysis_note": "Reads the whole thread before answering.",
        }
    return out


def _write_personas(ctx: _Ctx) -> None:
    """personas_global/: unsorted keys, one hand-formatted file (neither round-trips)."""
    folder = ctx.root / "personas_global"
    machine = [
        _persona(
            _DOTTED,
            "Dr. Sarah Wilson",
            "Data Scientist",
            38,
            "professional",
            prompt_last=True,
            short_traits=True,
        ),
        _persona("tom_okafor", "Tom Okafor", "Physics Teacher", 45, "educational"),
        _persona(
            "priya_natarajan",
            "Priya Natarajan",
            "Product Manager",
            33,
            "professional",
            prompt_last=True,
        ),
        _persona(
            "context_analyst", "Context Analyst", "Analyst", 40, "professional", context_note=True
        ),
    ]
    for persona in machine:
        text = json.dumps(persona, indent=2, ensure_ascii=False)
        _write(folder / f"{persona['persona_id']}.json", text.encode("utf-8"))
    helper = _persona(
        "general_helper", "General Helper", "AI Assistant", None, "professional", expertise=False
    )
    _write(folder / "general_helper.json", _hand_json(helper).encode("utf-8"))


def _g3_extras(ctx: _Ctx, users: list[str]) -> None:
    """G3's own folders, spread over the users so several hold G3-only data."""
    _persona_session(ctx, users[0], _PANEL, panel=True)
    _typed_session(ctx, users[1 % len(users)], "debate")
    _typed_session(ctx, users[2 % len(users)], "problem_solving")
    _persona_session(ctx, users[3 % len(users)], (_DOTTED,), panel=False)
    _write_personas(ctx)


# --- malformed lines ---------------------------------------------------------------------

_BROKEN = (
    b'{"role": "user", "content": "cut\n',  # a write cut short
    b'["user", "an array, not a message"]\n',  # valid JSON, not an object
    b"\x00\x00\x00\x00\x00\x00\x00\x00\n",  # a block zero-filled after a crash
)


def _append_malformed(ctx: _Ctx, count: int) -> list[tuple[str, int]]:
    """Broken lines appended round-robin to the regular messages.jsonl files."""
    if count and not ctx.logs:
        raise ValidationError(
            "malformed_lines needs messages_per_session > 0", key="malformed_lines", value=count
        )
    targets = sorted(ctx.logs)
    added: dict[str, list[bytes]] = {}
    out = []
    for n in range(count):
        rel = targets[n % len(targets)]
        added.setdefault(rel, []).append(_BROKEN[n % len(_BROKEN)])
        out.append((rel, ctx.logs[rel] + len(added[rel])))
    for rel, lines in added.items():
        with (ctx.root / rel).open("ab") as handle:
            handle.write(b"".join(lines))
    return out


# --- entry point -------------------------------------------------------------------------


def _check_args(
    generation: str,
    root: Path,
    users: int,
    sessions_per_user: int,
    messages_per_session: int,
    malformed_lines: int,
) -> None:
    if generation not in GENERATIONS:
        raise ValidationError(
            f"generation must be one of {GENERATIONS}, got {generation!r}",
            key="generation",
            value=generation,
        )
    for key, value, least in (
        ("users", users, 1),
        ("sessions_per_user", sessions_per_user, 1),
        ("messages_per_session", messages_per_session, 0),
        ("malformed_lines", malformed_lines, 0),
    ):
        if value < least:
            raise ValidationError(
                f"{key} must be at least {least}, got {value}", key=key, value=value
            )
    if malformed_lines and not messages_per_session:
        raise ValidationError(
            "malformed_lines needs messages_per_session > 0",
            key="malformed_lines",
            value=malformed_lines,
        )
    if root.exists() and any(root.iterdir()):
        raise FileExistsError(f"{root} is not empty; a generated store needs a fresh folder")


def generate(
    generation: str,
    root: Path,
    *,
    users: int = 2,
    sessions_per_user: int = 2,
    messages_per_session: int = 4,
    seed: int = 0,
    documents: bool = True,
    vectors: bool = True,
    traps: bool = True,
    malformed_lines: int = 0,
) -> GeneratedStore:
    """Write an old store of ``generation`` into the empty folder ``root``; say what it holds."""
    root = Path(root)
    _check_args(generation, root, users, sessions_per_user, messages_per_session, malformed_lines)
    rng = random.Random(f"{generation}:{seed}")
    ctx = _Ctx(
        generation,
        root,
        rng,
        _Clock(rng, _BASE_TIME[generation]),
        messages_per_session,
        documents,
        vectors,
        traps,
    )
    root.mkdir(parents=True, exist_ok=True)
    names = _user_ids(users)
    for index, user in enumerate(names):
        no_profile = traps and generation in ("G2", "G3") and users > 1 and index == users - 1
        _write_user(
            ctx,
            index,
            user,
            _USERS[index % len(_USERS)][1],
            sessions_per_user,
            has_profile=not no_profile,
        )
    if traps and generation != "G0":
        _g1_traps(ctx, names[0])
    if traps and generation in ("G2", "G3"):
        _g2_traps(ctx)
    if generation == "G3":
        _g3_extras(ctx, names)
    for sid, docs, ingestions in ctx.vector_jobs:
        _write_vectors(ctx, sid, docs, ingestions)
    broken = _append_malformed(ctx, malformed_lines)
    return GeneratedStore(
        root,
        generation,
        len(ctx.users),
        ctx.sessions,
        ctx.messages,
        ctx.document_count,
        ctx.vector_rows,
        broken,
    )
