"""Validation before writing, audit of refused access, atomic rewrites, integrity checks."""

from __future__ import annotations

import base64
import json
import os
from asyncio import run

import pytest

from flatfile_chat.errors import AlreadyExists, NotFound, SecurityError, ValidationError
from flatfile_chat.memory import FFMemoryContextDTO, FFMemoryLayerManager, MemoryLayerType
from flatfile_chat.store.models import FFSituationalContextDTO


def test_added_item_has_the_spec_fields(mh, mem, clock) -> None:
    store, manager = mem
    item = run(
        manager.add_memory_context(
            "alice",
            FFMemoryContextDTO(
                content="Fact from session A", session_id="sess-a", topic_tags=["a", "a", " b "]
            ),
        )
    )
    [line] = mh.layer_lines(store, "alice", "immediate")
    assert line == item.to_dict()
    assert line["user_id"] == "alice" and line["session_id"] == "sess-a"
    assert line["layer"] == "immediate" and line["source_layer"] == "immediate"
    assert line["topic_tags"] == ["a", "b"] and line["relevance_score"] == 0.5
    assert line["memory_id"].startswith("mem_") and len(line["memory_id"]) == 16
    assert line["created_at"] == line["timestamp"] == line["last_accessed"]
    assert list(line)[:4] == ["memory_id", "content", "context_type", "timestamp"]


@pytest.mark.parametrize(
    ("context", "error"),
    [
        ({"content": ""}, ValidationError),
        ({"content": "x", "relevance_score": 1.5}, ValidationError),
        ({"content": "x", "context_type": "compressed_summary"}, ValidationError),
        ({"content": "x", "contnet": "typo"}, ValidationError),
        ({"content": "x", "created_at": "2020-01-01T00:00:00+00:00"}, ValidationError),
        ({"content": "x", "promotion_history": ["forged"]}, ValidationError),
        ({"content": "x", "layer": "permanent"}, ValidationError),
        ({"content": "x", "timestamp": "yesterday"}, ValidationError),
        ({"content": "x", "session_id": "../s"}, SecurityError),
        ({"content": "x", "user_id": "bob"}, SecurityError),
        ({"content": "x" * 20_001}, ValidationError),
        ({"content": "x", "topic_tags": "notalist"}, ValidationError),
        ({"content": "x", "metadata": {"f": object()}}, ValidationError),
    ],
)
def test_refused_context_writes_nothing(mh, mem, context, error) -> None:
    store, manager = mem
    with pytest.raises(error):
        run(manager.add_memory_context("alice", context))
    assert not store.fs.path("users", "alice", "memory_layers").exists()


def test_unknown_layer_is_refused(mem) -> None:
    _store, manager = mem
    with pytest.raises(ValidationError, match="unknown memory layer 'attic'"):
        run(manager.add_memory_context("alice", {"content": "x"}, target_layer="attic"))


def test_caller_memory_ids_are_unique_per_user(mem) -> None:
    _store, manager = mem
    run(
        manager.add_memory_context(
            "alice",
            {"content": "x", "memory_id": "pref-lang"},
            target_layer=MemoryLayerType.PERMANENT,
        )
    )
    with pytest.raises(AlreadyExists, match="pref-lang"):
        run(manager.add_memory_context("alice", {"content": "y", "memory_id": "pref-lang"}))
    run(manager.add_memory_context("bob", {"content": "x", "memory_id": "pref-lang"}))


def test_hostile_user_id_is_refused_and_audited(mem) -> None:
    store, manager = mem
    with pytest.raises(SecurityError):
        run(manager.add_memory_context("../bob", {"content": "x"}))
    [entry] = store.fs.read_jsonl(store.fs.path("analytics", "compliance", "audit_logs.jsonl"))
    assert entry["event_type"] == "memory_access_denied" and entry["outcome"] == "denied"
    assert entry["component"] == "memory_layer"
    assert "bob" not in json.dumps(entry)  # the refused value is not logged
    [security] = store.fs.read_jsonl(
        store.fs.path("analytics", "compliance", "security_events.jsonl")
    )
    assert security == entry


def test_situational_context_bridge_maps_real_fields(mh, mem) -> None:
    store, manager = mem
    run(store.create_session("alice", "lesson", session_id="sess-1"))
    context = FFSituationalContextDTO(
        summary="User is learning Spanish",
        key_points=["verbs"],
        entities={"topics": ["spanish"]},
        confidence=0.8,
    )
    item = run(manager.add_situational_context("alice", "sess-1", context, "medium_term"))
    assert item.content == "User is learning Spanish\n- verbs"
    assert item.relevance_score == 0.8 and item.topic_tags == ["spanish"]
    assert item.context_type == "situational" and item.session_id == "sess-1"
    assert mh.layer_lines(store, "alice", "medium_term")[0]["memory_id"] == item.memory_id
    with pytest.raises(NotFound, match="no-such-session"):  # an unknown session is refused
        run(manager.add_situational_context("alice", "no-such-session", context))


def test_failed_layer_rewrite_leaves_the_old_layer(mh, mem, clock, monkeypatch) -> None:
    store, manager = mem
    for i in range(3):
        run(manager.add_memory_context("alice", {"content": f"item {i}", "relevance_score": 0.9}))
    folder = store.fs.path("users", "alice", "memory_layers")
    before = mh.snapshot(folder)
    clock.advance(hours=2)

    def boom(src, dst):
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", boom)
    result = run(manager.run_memory_maintenance("alice"))
    monkeypatch.undo()
    assert result["success"] is False and "disk full" in result["errors"][0]
    assert mh.snapshot(folder) == before  # no half-written layer, no stray temp file
    assert store.check_integrity() == []
    assert run(manager.run_memory_maintenance("alice"))["success"]
    assert len(mh.layer_lines(store, "alice", "short_term")) == 3


def test_integrity_check_reports_count_mismatch_and_foreign_items(mh, mem) -> None:
    store, manager = mem
    run(manager.add_memory_context("alice", {"content": "mine"}))
    run(manager.add_memory_context("bob", {"content": "bob's"}))
    assert store.check_integrity() == []
    bob_line = store.fs.path("users", "bob", "memory_layers", "immediate.jsonl").read_bytes()
    path = store.fs.path("users", "alice", "memory_layers", "immediate.jsonl")
    path.write_bytes(path.read_bytes() + bob_line)
    kinds = sorted(issue.kind for issue in store.check_integrity())
    assert kinds == ["counter_mismatch", "memory_foreign_item"]
    with pytest.raises(Exception, match="belongs to user 'bob'"):
        run(manager.search_memory("alice", "bob"))
    audit = store.fs.read_jsonl(store.fs.path("analytics", "compliance", "audit_logs.jsonl"))
    assert audit[-1]["event_type"] == "memory_integrity_violation"


def test_integrity_check_is_registered_once_per_store(mem) -> None:
    store, manager = mem
    from flatfile_chat.memory import FFMemoryLayerManager

    FFMemoryLayerManager(store)
    run(manager.add_memory_context("alice", {"content": "x"}))
    meta = store.fs.path("users", "alice", "memory_layers", "layer_metadata.json")
    data = json.loads(meta.read_text())
    data["layer_stats"]["immediate"]["item_count"] = 7
    meta.write_text(json.dumps(data))
    assert [i.kind for i in store.check_integrity()] == ["counter_mismatch"]


def test_integrity_check_narrows_to_changed_users(mem) -> None:
    store, manager = mem
    run(manager.add_memory_context("alice", {"content": "x"}))
    run(manager.add_memory_context("bob", {"content": "y"}))
    meta = store.fs.path("users", "alice", "memory_layers", "layer_metadata.json")
    data = json.loads(meta.read_text())
    data["layer_stats"]["immediate"]["item_count"] = 3
    meta.write_text(json.dumps(data))
    bob_layer = str(store.fs.path("users", "bob", "memory_layers", "immediate.jsonl"))
    assert store.integrity.check(changed=[bob_layer]) == []
    assert [i.kind for i in store.integrity.check(changed=[str(meta)])] == ["counter_mismatch"]


@pytest.mark.parametrize(
    "storage",
    [
        {"io_mode": "thread"},
        {
            "encryption": {
                "enabled": True,
                "active_key_id": "k1",
                "keys": {"k1": "base64:" + base64.b64encode(b"m" * 32).decode()},
            }
        },
    ],
    ids=["threaded-io", "encrypted"],
)
def test_memory_works_threaded_and_encrypted(make_store, clock, storage) -> None:
    store = make_store(
        overrides={
            "storage": storage,
            "memory_layer": {
                "compression_thresholds": {"short_term": 6},
                "compression_keep_recent": 0,
            },
        },
    )
    manager = FFMemoryLayerManager(store)
    run(store.create_user("alice"))
    for i in range(7):
        run(
            manager.add_memory_context(
                "alice", {"content": f"secret plan {i}", "relevance_score": 0.9, "session_id": "s"}
            )
        )
    clock.advance(hours=2)
    result = run(manager.run_memory_maintenance("alice"))
    assert result["success"] and "compressed_1_layers" in result["tasks_completed"]
    [(hit, _)] = run(manager.search_memory("alice", "plan"))
    assert hit.context_type == "compressed_summary"
    assert store.check_integrity() == []
    folder = store.fs.path("users", "alice", "memory_layers")
    encrypted = "encryption" in storage
    written = [p for p in folder.glob("*.jsonl") if p.stat().st_size]
    assert len(written) == 2  # short_term and its backup
    for path in written:
        assert (b"secret" in path.read_bytes()) is not encrypted
    store.close()


def test_prompt_sandbox_sessions_never_write_to_memory(mh, mem) -> None:
    store, manager = mem
    if not run(store.user_exists("alice")):
        run(store.create_user("alice"))
    sandbox = run(store.create_session("alice", "try-outs", metadata={"sandbox": True}))
    normal = run(store.create_session("alice", "real"))
    with pytest.raises(ValidationError, match="prompt sandbox"):
        run(
            manager.add_memory_context(
                "alice", {"content": "trial output", "session_id": sandbox.session_id}
            )
        )
    assert (
        not store.fs.path("users", "alice", "memory_layers").exists()
        or mh.layer_lines(store, "alice", "immediate") == []
    )
    run(
        manager.add_memory_context(
            "alice", {"content": "real fact", "session_id": normal.session_id}
        )
    )
    assert [i["content"] for i in mh.layer_lines(store, "alice", "immediate")] == ["real fact"]


@pytest.mark.parametrize(
    ("tail", "lines"),
    [
        (b"not json\n", 3),  # an invalid line: counted, items not checked
        (b'{"memory_id": "m"', 2),  # a torn last line: only complete lines count (no issue)
        (b"\n", 3),  # an empty line
    ],
)
def test_integrity_counts_lines_of_an_unparseable_layer(mem, tail, lines) -> None:
    store, manager = mem
    run(manager.add_memory_context("alice", {"content": "x"}))
    run(manager.add_memory_context("alice", {"content": "y"}))
    path = store.fs.path("users", "alice", "memory_layers", "immediate.jsonl")
    path.write_bytes(
        path.read_bytes().replace(b'"user_id": "alice"', b'"user_id": "bob"', 1) + tail
    )
    issues = [
        (i.kind, i.detail)
        for i in store.integrity.check(changed=[str(path)])
        if i.kind.startswith(("counter", "memory"))
    ]
    assert issues == (
        []
        if lines == 2
        else [
            (
                "counter_mismatch",
                f"layer_stats.immediate.item_count is 2 but immediate.jsonl has {lines} lines",
            )
        ]
    )  # and no memory_foreign_item: the items are not read


def test_integrity_reports_every_issue_of_a_parseable_layer(mem) -> None:
    store, manager = mem
    run(manager.add_memory_context("alice", {"content": "x"}))
    run(manager.add_memory_context("alice", {"content": "y"}, "permanent"))
    folder = store.fs.path("users", "alice", "memory_layers")
    immediate = (folder / "immediate.jsonl").read_bytes()
    (folder / "permanent.jsonl").write_bytes(
        (folder / "permanent.jsonl").read_bytes()
        + immediate.replace(b'"user_id": "alice"', b'"user_id": "bob"', 1)
    )
    (folder / "layer_metadata.json").unlink()
    issues = [
        (i.kind, i.path.rsplit("/", 1)[-1], i.detail, i.line)
        for i in store.integrity.check(changed=[str(folder / "permanent.jsonl")])
    ]
    memory_id = json.loads(immediate)["memory_id"]
    assert issues == [
        (
            "counter_mismatch",
            "layer_metadata.json",
            "missing, but immediate.jsonl has 1 lines",
            None,
        ),
        (
            "counter_mismatch",
            "layer_metadata.json",
            "missing, but permanent.jsonl has 2 lines",
            None,
        ),
        ("memory_foreign_item", "permanent.jsonl", "item of user 'bob'", 2),
        ("memory_wrong_layer", "permanent.jsonl", "item says layer 'immediate'", 2),
        ("memory_duplicate", "permanent.jsonl", f"{memory_id} is also in immediate.jsonl", 2),
    ]


def test_memory_paths_refuse_unknown_layers(mem) -> None:
    from flatfile_chat.memory.layout import MemoryPaths

    store, _ = mem
    paths = MemoryPaths.for_user(store.fs, "alice")
    assert paths.layer("permanent") == paths.folder / "permanent.jsonl"
    assert paths.folder is paths.folder  # built once per instance
    for bad in ("archive", ["immediate"], None):
        with pytest.raises(ValueError, match="unknown memory layer"):
            paths.layer(bad)
