"""The old-store generators: deterministic bytes, each generation's field names and layout,
upstream's serialisation, honest counts, the traps, aligned vectors, broken lines where they
are said to be, volume, and the same shape as the real upstream samples."""

from __future__ import annotations

import hashlib
import json
import re
import time
from collections import Counter
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from flatfile_chat.errors import ValidationError
from flatfile_chat.migration.generators import TRAPS, VECTOR_DIM, GeneratedStore, generate

OLD = ("G0", "G1", "G2", "G3")
UPSTREAM = Path(__file__).resolve().parents[3].parent / "shared" / "fixtures" / "upstream"
REAL = {
    "g0_chat_data": "G0",
    "g1_my_chat_data": "G1",
    "g2_dev_data": "G2",
    "g3_complex_data": "G3",
    "g3_session_types": "G3",
}
SAFE = re.compile(r"^[A-Za-z0-9_.-]+$")
MESSAGE_KEYS = ("role", "content", "{id}", "timestamp", "attachments", "metadata")


# --- reading a tree, independently of the generator ---------------------------------------


def _digests(root: Path) -> dict[str, str]:
    return {
        p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


def _users_root(root: Path) -> Path:
    return root / "users" if (root / "users").is_dir() else root


def _user_dirs(root: Path) -> list[Path]:
    return [
        p
        for p in sorted(_users_root(root).iterdir())
        if p.is_dir() and p.name not in ("default", "personas_global")
    ]


def _session_dirs(root: Path) -> list[Path]:
    return [
        s
        for u in _user_dirs(root)
        for s in sorted(u.iterdir())
        if (s / "session.json").is_file() or (s / "messages.jsonl").is_file()
    ]


def _loads(raw: bytes) -> Any:
    try:
        return json.loads(raw)
    except ValueError:
        return None


def _good_lines(path: Path) -> list[dict[str, Any]]:
    out = [_loads(raw) for raw in path.read_bytes().splitlines()]
    return [o for o in out if isinstance(o, dict)]


def _vector_dirs(root: Path) -> list[Path]:
    return sorted(p.parent for p in root.rglob("vector_index.jsonl"))


def _on_disk(root: Path) -> dict[str, int]:
    users = [
        u
        for u in _user_dirs(root)
        if (u / "profile.json").is_file() or any(s.parent == u for s in _session_dirs(root))
    ]
    return {
        "users": len(users),
        "sessions": len(_session_dirs(root)),
        "messages": sum(len(_good_lines(p)) for p in root.rglob("messages.jsonl")),
        "documents": sum(
            len(json.loads(p.read_bytes())) for p in root.rglob("documents/metadata.json")
        ),
        "vectors": sum(np.load(d / "embeddings.npy").shape[0] for d in _vector_dirs(root)),
    }


def _persona_logs(session: Path) -> list[Path]:
    return sorted(session.glob("*_messages.jsonl"))


def _traps_found(root: Path, generation: str) -> set[str]:
    """Every trap of ``TRAPS`` that the tree on disk shows."""
    found = set()
    for folder in _vector_dirs(root):
        ids = [
            json.loads(r)["chunk_id"]
            for r in (folder / "vector_index.jsonl").read_bytes().splitlines()
        ]
        if len(ids) != len(set(ids)):
            found.add("duplicate_chunks")
    for session in _session_dirs(root):
        record = (
            _loads((session / "session.json").read_bytes())
            if (session / "session.json").is_file()
            else None
        )
        log = session / "messages.jsonl"
        if record is None:
            found.add("session_without_session_json")
        elif not log.is_file():
            found.add("session_json_without_messages")
        elif generation in ("G2", "G3") and record["message_count"] != len(_good_lines(log)):
            found.add(
                "stale_persona_session_counts" if _persona_logs(session) else "stale_message_count"
            )
        if log.is_file() and any(
            m["timestamp"].endswith("Z") and m.get("message_id") == "msg_flatfile_test_001"
            for m in _good_lines(log)
        ):
            found.add("tz_orphan_message")
    if any(not (u / "profile.json").is_file() for u in _user_dirs(root)):
        found.add("user_without_profile")
    return found


# --- the tests ----------------------------------------------------------------------------


@pytest.mark.parametrize("generation", OLD)
def test_same_arguments_give_identical_bytes(tmp_path: Path, generation: str) -> None:
    kwargs = {
        "users": 3,
        "sessions_per_user": 2,
        "messages_per_session": 7,
        "malformed_lines": 2,
        "seed": 5,
    }
    first = _digests(generate(generation, tmp_path / "a", **kwargs).root)
    second = _digests(generate(generation, tmp_path / "b", **kwargs).root)
    assert first == second
    other = _digests(generate(generation, tmp_path / "c", **{**kwargs, "seed": 6}).root)
    assert other != first  # the seed really drives the content


@pytest.mark.parametrize("generation", OLD)
def test_field_names_and_layout_per_generation(tmp_path: Path, generation: str) -> None:
    root = generate(generation, tmp_path / "s").root
    old = generation in ("G0", "G1")
    assert (root / "users").is_dir() is (generation != "G0")
    if generation == "G0":
        assert (root / "alice" / "profile.json").is_file()
    records = [json.loads(p.read_bytes()) for p in root.rglob("session.json")]
    assert records
    for record in records:
        assert ("id" in record, "session_id" in record) == (old, not old)
    lines = [m for p in root.rglob("*messages.jsonl") for m in _good_lines(p)]
    assert lines
    for line in lines:
        assert ("id" in line, "message_id" in line) == (old, not old)


@pytest.mark.parametrize("generation", OLD)
def test_json_bytes_follow_upstream_conventions(tmp_path: Path, generation: str) -> None:
    root = generate(generation, tmp_path / "s").root
    personas = 0
    for path in root.rglob("*.json"):
        raw = path.read_bytes()
        data = json.loads(raw)
        assert not raw.endswith(b"\n"), path
        if path.parent.name == "personas_global":
            personas += 1
            assert list(data) != sorted(data), path  # an external app's key order
            assert raw != json.dumps(data, indent=2, ensure_ascii=False, sort_keys=True).encode(), (
                path
            )
        else:
            assert raw == json.dumps(data, indent=2, ensure_ascii=False, sort_keys=True).encode(), (
                path
            )
    assert personas == (5 if generation == "G3" else 0)
    id_key = "id" if generation in ("G0", "G1") else "message_id"
    order = tuple(k.format(id=id_key) for k in MESSAGE_KEYS)
    for path in root.rglob("*messages.jsonl"):
        for raw in path.read_bytes().splitlines(keepends=True):
            obj = json.loads(raw)
            assert raw == (json.dumps(obj, ensure_ascii=False) + "\n").encode(), path
            assert tuple(obj) == order, path
    assert any("é" in p.read_text("utf-8") for p in root.rglob("messages.jsonl"))


@pytest.mark.parametrize("generation", OLD)
@pytest.mark.parametrize("traps", [True, False])
def test_counts_equal_what_is_on_disk(tmp_path: Path, generation: str, traps: bool) -> None:
    store = generate(
        generation,
        tmp_path / "s",
        users=3,
        sessions_per_user=3,
        messages_per_session=5,
        malformed_lines=4,
        traps=traps,
        seed=2,
    )
    assert isinstance(store, GeneratedStore) and store.generation == generation
    counted = {
        k: getattr(store, k) for k in ("users", "sessions", "messages", "documents", "vectors")
    }
    assert counted == _on_disk(store.root)
    assert store.messages >= 3 * 3 * 5 and store.documents > 0
    assert (store.vectors > 0) is (generation != "G0")


@pytest.mark.parametrize("generation", OLD)
def test_traps_present_when_asked_and_absent_otherwise(tmp_path: Path, generation: str) -> None:
    with_traps = generate(generation, tmp_path / "on", traps=True).root
    assert _traps_found(with_traps, generation) == set(TRAPS[generation])
    without = generate(generation, tmp_path / "off", traps=False).root
    assert _traps_found(without, generation) == set()


@pytest.mark.parametrize("generation", ["G0", "G1"])
def test_old_code_never_counted_messages(tmp_path: Path, generation: str) -> None:
    root = generate(generation, tmp_path / "s", traps=False).root
    counts = [json.loads(p.read_bytes())["message_count"] for p in root.rglob("session.json")]
    assert counts and set(counts) == {0}
    assert all((p.parent / "messages.jsonl").is_file() for p in root.rglob("session.json"))


@pytest.mark.parametrize("generation", ["G1", "G2", "G3"])
def test_vector_rows_align_with_index_lines(tmp_path: Path, generation: str) -> None:
    root = generate(generation, tmp_path / "s").root
    folders = _vector_dirs(root)
    assert folders
    for folder in folders:
        assert folder.relative_to(root).parts[:3] == ("users", "default", "sessions")
        session = folder.parent.name
        assert any((u / session).is_dir() for u in _user_dirs(root))  # an owner to find
        lines = [json.loads(r) for r in (folder / "vector_index.jsonl").read_bytes().splitlines()]
        rows = np.load(folder / "embeddings.npy")
        assert rows.dtype == np.float64 and rows.shape == (len(lines), VECTOR_DIM)
        assert [line["vector_index"] for line in lines] == list(range(len(lines)))
        assert np.allclose(np.linalg.norm(rows, axis=1), 1.0)
        first: dict[str, int] = {}
        for i, line in enumerate(lines):
            assert line["session_id"] == session
            assert line["chunk_metadata"]["char_count"] == len(line["chunk_text"])
            j = first.setdefault(line["chunk_id"], i)
            assert np.array_equal(rows[i], rows[j])  # re-ingested chunk, same vector
    assert not _vector_dirs(generate("G0", tmp_path / "g0", vectors=True).root)


@pytest.mark.parametrize("generation", OLD)
def test_malformed_lines_sit_where_they_are_reported(tmp_path: Path, generation: str) -> None:
    store = generate(generation, tmp_path / "s", malformed_lines=5)
    assert len(store.malformed_lines) == 5
    assert len({rel for rel, _ in store.malformed_lines}) > 1  # spread over files
    bad = set(store.malformed_lines)
    for path in store.root.rglob("*messages.jsonl"):
        rel = path.relative_to(store.root).as_posix()
        for n, raw in enumerate(path.read_bytes().splitlines(), start=1):
            assert (not isinstance(_loads(raw), dict)) is ((rel, n) in bad), (rel, n)
    clean = generate(generation, tmp_path / "clean", malformed_lines=0)
    assert clean.messages == store.messages and not clean.malformed_lines


def test_one_hundred_thousand_messages_in_a_few_seconds(tmp_path: Path) -> None:
    started = time.perf_counter()
    store = generate(
        "G2", tmp_path / "s", users=1, sessions_per_user=1, messages_per_session=100_000
    )
    elapsed = time.perf_counter() - started
    logs = sorted(store.root.rglob("messages.jsonl"), key=lambda p: p.stat().st_size)
    with logs[-1].open("rb") as handle:
        assert sum(1 for _ in handle) == 100_000
    assert store.messages >= 100_000
    assert elapsed < 15, f"took {elapsed:.1f}s"


@pytest.mark.parametrize("generation", OLD)
def test_every_name_is_a_safe_file_name(tmp_path: Path, generation: str) -> None:
    root = generate(generation, tmp_path / "s", users=8, malformed_lines=1).root
    for path in root.rglob("*"):
        for part in path.relative_to(root).parts:
            assert SAFE.match(part), path


def test_session_ids_per_generation(tmp_path: Path) -> None:
    shapes = {"G0": r"^chat_session_\d{8}_\d{6}$", "G1": r"^chat_session_\d{8}_\d{6}_\d{6}$"}
    for generation in ("G0", "G1", "G2", "G3"):
        root = generate(generation, tmp_path / generation, traps=False, users=3).root
        ids = [
            json.loads(p.read_bytes()).get("id") or json.loads(p.read_bytes())["session_id"]
            for p in root.rglob("session.json")
        ]
        assert len(ids) == len(set(ids))
        for sid, path in zip(ids, root.rglob("session.json"), strict=True):
            assert sid == path.parent.name
        chat = [s for s in ids if s.startswith("chat_")]
        assert chat and all(re.match(shapes.get(generation, shapes["G1"]), s) for s in chat)


def test_g0_profiles_documents_and_context(tmp_path: Path) -> None:
    root = generate("G0", tmp_path / "s").root
    profile = json.loads((root / "alice" / "profile.json").read_bytes())
    assert profile["preferences"] == {"notifications": True, "theme": "default"}
    contexts = list(root.rglob("situational_context.json"))
    assert contexts
    for path in contexts:
        data = json.loads(path.read_bytes())
        assert set(data) == {
            "confidence",
            "entities",
            "key_points",
            "message_range",
            "metadata",
            "summary",
            "timestamp",
        }
        assert set(data["entities"]) == {"topics", "skill_level"} and data["message_range"] is None


@pytest.mark.parametrize("generation", OLD)
def test_document_index_matches_the_stored_files(tmp_path: Path, generation: str) -> None:
    root = generate(generation, tmp_path / "s").root
    indexes = list(root.rglob("documents/metadata.json"))
    assert indexes
    for index in indexes:
        entries = json.loads(index.read_bytes())
        assert sorted(p.name for p in index.parent.iterdir() if p != index) == sorted(entries)
        for stored, entry in entries.items():
            assert re.match(r"^[0-9a-f]{8}_", stored) and entry["filename"] == stored
            assert entry["size"] == (index.parent / stored).stat().st_size
            assert entry["path"].startswith("users/") is (generation != "G0")
            assert entry["path"] == (index.parent / stored).relative_to(root).as_posix()
            assert stored.endswith(".md" if generation == "G0" else ".txt")


def test_g3_panel_and_persona_transcripts(tmp_path: Path) -> None:
    root = generate("G3", tmp_path / "s", users=4, messages_per_session=8).root
    sessions = [s for s in _session_dirs(root) if _persona_logs(s)]
    assert {s.name.split("_session_")[0] for s in sessions} == {"panel", "chat"}
    for session in sessions:
        union = (session / "messages.jsonl").read_bytes().splitlines()
        per = {p: p.read_bytes().splitlines() for p in _persona_logs(session)}
        assert Counter(union) == Counter(line for lines in per.values() for line in lines)
        for path, lines in per.items():
            assert [line for line in union if line in lines] == lines  # order kept
            parsed = [json.loads(line) for line in lines]
            assert parsed[0]["role"] == "user"  # its own copy of the prompt
            for user, reply in zip(parsed[::2], parsed[1::2], strict=True):
                assert user["timestamp"] == reply["timestamp"]
                persona = reply["metadata"]["persona"]
                assert path.name == persona.replace(".", "") + "_messages.jsonl"
                assert (root / "personas_global" / f"{persona}.json").is_file()
    panel = next(s for s in sessions if s.name.startswith("panel_session_"))
    assert re.match(r"^panel_session_[0-9a-f]{8}$", panel.name) and len(_persona_logs(panel)) > 1
    single = next(s for s in sessions if s.name.startswith("chat_session_"))
    dotted = single / "dr_sarah_wilson_messages.jsonl"
    assert dotted.read_bytes() == (single / "messages.jsonl").read_bytes()
    types = {json.loads(p.read_bytes()).get("session_type") for p in root.rglob("session.json")}
    assert {"panel", "debate", "problem_solving", "chat", None} <= types
    bridge = [
        m
        for p in root.rglob("messages.jsonl")
        for m in _good_lines(p)
        if "stored_via_bridge" in m["metadata"]
    ]
    assert bridge and all(re.match(r"^msg_[0-9a-f]{32}$", m["message_id"]) for m in bridge)
    assert {"chat_optimized", "processing_time"} <= set(bridge[0]["metadata"])


def test_bad_arguments_are_refused(tmp_path: Path) -> None:
    with pytest.raises(ValidationError, match="generation") as bad:
        generate("G9", tmp_path / "a")
    assert bad.value.key == "generation"
    (tmp_path / "full").mkdir()
    (tmp_path / "full" / "x").write_text("x")
    with pytest.raises(FileExistsError):
        generate("G0", tmp_path / "full")
    with pytest.raises(ValidationError, match="malformed_lines"):
        generate("G0", tmp_path / "b", messages_per_session=0, malformed_lines=1)
    for key, value in (
        ("users", 0),
        ("sessions_per_user", -1),
        ("messages_per_session", -1),
        ("malformed_lines", -2),
    ):
        with pytest.raises(ValidationError, match=f"{key} must be at least") as bad:
            generate("G0", tmp_path / "c", **{key: value})
        assert bad.value.key == key and not (tmp_path / "c").exists()


# --- the same shape as the real samples ---------------------------------------------------

NESTED = {
    "profile": ("preferences",),
    "session": ("metadata",),
    "message": ("metadata",),
    "document": ("metadata",),
    "vector": ("chunk_metadata", "embedding_metadata"),
    "persona": ("demographics", "behavioral_traits", "llm_config_persona"),
    "context": ("entities",),
}
ORDERED = ("message", "vector", "persona")  # kinds whose key order is not just sorted


def _kind(path: Path) -> str | None:
    if path.parent.name == "personas_global" and path.suffix == ".json":
        return "persona"
    if path.name.endswith("messages.jsonl"):
        return "message"
    return {
        "profile.json": "profile",
        "session.json": "session",
        "situational_context.json": "context",
        "vector_index.jsonl": "vector",
        "metadata.json": "document" if path.parent.name == "documents" else None,
    }.get(path.name)


def _records(root: Path):
    for path in sorted(root.rglob("*")):
        kind = _kind(path) if path.is_file() else None
        if kind in ("message", "vector"):
            yield from ((kind, json.loads(raw)) for raw in path.read_bytes().splitlines())
        elif kind == "document":
            yield from ((kind, entry) for entry in json.loads(path.read_bytes()).values())
        elif kind:
            yield kind, json.loads(path.read_bytes())


def _shape(root: Path) -> dict[str, tuple[set, dict[str, set], set]]:
    """Per file kind: the union of top-level keys, of nested keys, and the key orders."""
    shape: dict[str, tuple[set, dict[str, set], set]] = {}
    for kind, obj in _records(root):
        top, nested, orders = shape.setdefault(kind, (set(), {}, set()))
        top.update(obj)
        orders.add(tuple(obj))
        for key in NESTED.get(kind, ()):
            if isinstance(obj.get(key), dict):
                nested.setdefault(key, set()).update(obj[key])
    return shape


@pytest.mark.upstream
@pytest.mark.parametrize("fixture", sorted(REAL))
def test_shape_matches_the_real_upstream_sample(tmp_path: Path, fixture: str) -> None:
    real_root = UPSTREAM / fixture
    if not real_root.is_dir():
        pytest.skip(
            f"upstream fixture {fixture} not available: {UPSTREAM} is absent (a fresh "
            "clone has no ../shared workspace)"
        )
    real = _shape(real_root)
    mine = _shape(generate(REAL[fixture], tmp_path / "s").root)
    assert real, f"{real_root} holds no files of a known kind"
    for kind, (top, nested, orders) in real.items():
        assert kind in mine, f"{fixture}: the generator writes no {kind} files"
        my_top, my_nested, my_orders = mine[kind]
        assert my_top == top, f"{fixture} {kind}: keys {sorted(my_top ^ top)} differ"
        for key, keys in nested.items():
            assert keys <= my_nested.get(key, set()), f"{fixture} {kind}.{key}"
        if kind in ORDERED:
            assert my_orders <= orders, f"{fixture} {kind}: key orders {my_orders - orders}"
