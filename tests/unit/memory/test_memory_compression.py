"""Compression into compressed_summary items, with backups that are valid JSONL."""

from __future__ import annotations

from asyncio import run

from flatfile_chat.memory import MemoryLayerType
from flatfile_chat.memory.compression import extractive_summary

SMALL = {"compression_thresholds": {"immediate": 8, "short_term": 8}, "compression_keep_recent": 0}
FACTS = [
    ("The knight Aldric swore an oath to the queen.", ["lore", "aldric"], ["Aldric"]),
    ("Aldric carries the silver sword of the north.", ["items"], ["Aldric"]),
    ("The queen rules from the castle of Vel.", ["lore", "places"], ["Queen Mira"]),
    ("A dragon sleeps under the castle of Vel.", ["creatures"], []),
    ("The silver sword can wound the dragon.", ["items", "creatures"], []),
    ("Aldric fears the dragon but hides it.", ["aldric"], ["Aldric"]),
    ("Merchants avoid the northern road in winter.", ["places"], []),
    ("The oath binds Aldric until the dragon is slain.", ["lore"], ["Aldric"]),
    ("Snow closes the northern pass every winter.", ["places", "weather"], []),
]


def add_facts(manager, layer=MemoryLayerType.IMMEDIATE, session="s1", count: int | None = None):
    added = []
    for i, (text, tags, entities) in enumerate(FACTS[:count]):
        added.append(
            run(
                manager.add_memory_context(
                    "alice",
                    {
                        "content": text,
                        "topic_tags": tags,
                        "entity_mentions": entities,
                        "session_id": session,
                        "relevance_score": 0.4 + i * 0.05,
                    },
                    target_layer=layer,
                )
            )
        )
    return added


def test_exceeding_the_threshold_compresses_on_add(mh, mem_factory) -> None:
    store, manager = mem_factory(SMALL)
    added = add_facts(manager)  # the 9th item takes the layer above 8
    [summary] = mh.layer_lines(store, "alice", "immediate")
    assert summary["context_type"] == "compressed_summary"
    meta = summary["compression_metadata"]
    assert meta["original_count"] == 9
    assert meta["group_key"] == "conversation:session:s1"
    assert meta["compression_strategy"] == "summarization"
    assert meta["original_memory_ids"] == [a.memory_id for a in added]
    assert summary["topic_tags"] == ["lore", "aldric", "items", "places", "creatures", "weather"]
    assert summary["entity_mentions"] == ["Aldric", "Queen Mira"]
    assert summary["relevance_score"] == max(a.relevance_score for a in added)
    assert summary["session_id"] == "s1" and summary["user_id"] == "alice"
    assert summary["content"] and len(summary["content"].split()) <= 200
    mh.assert_counts_match(store, "alice")


def test_backup_holds_exactly_the_compressed_items_as_jsonl(mh, mem_factory, clock) -> None:
    store, manager = mem_factory(SMALL)
    added = add_facts(manager)
    name = f"immediate.backup_{clock.now().strftime('%Y%m%d_%H%M%S')}.jsonl"
    backup = store.fs.path("users", "alice", "memory_layers", name)
    raw = backup.read_bytes().splitlines()
    assert len(raw) == 9 and all(line.startswith(b"{") for line in raw)
    lines = store.fs.read_jsonl(backup)  # parses every line as one JSON object
    assert [r["memory_id"] for r in lines] == [a.memory_id for a in added]
    assert store.check_integrity() == []
    [summary] = mh.layer_lines(store, "alice", "immediate")
    assert summary["compression_metadata"]["backup_file"] == name


def test_compression_history_and_metadata_are_written(mh, mem_factory, clock) -> None:
    store, manager = mem_factory(SMALL)
    add_facts(manager)
    history = store.fs.read_json(
        store.fs.path("users", "alice", "memory_layers", "compression_history.json")
    )
    assert len(history) == 1
    assert history[0]["original_count"] == 9 and history[0]["compressed_count"] == 1
    assert history[0]["compression_ratio"] == 1 / 9
    meta = mh.metadata(store, "alice")
    assert (
        meta["layer_stats"]["immediate"]["last_compression"] == history[0]["compression_timestamp"]
    )
    assert meta["compression_history"][0]["layer"] == "immediate"


def test_groups_of_five_or_fewer_are_left_alone(mh, mem_factory) -> None:
    store, manager = mem_factory(SMALL)
    add_facts(manager, session="s1", count=5)
    add_facts(manager, session="s2", count=4)  # 9 items, but groups of 5 and 4
    lines = mh.layer_lines(store, "alice", "immediate")
    assert len(lines) == 9
    assert not any(r["context_type"] == "compressed_summary" for r in lines)


def test_keep_recent_larger_than_the_layer_compresses_nothing(mh, mem) -> None:
    store, manager = mem  # defaults: keep the newest 10
    add_facts(manager)
    result = run(manager.compress_layer("alice", "immediate", force=True))
    assert result.compressed_count == result.original_count == 9
    assert result.metadata["backup_file"] is None
    assert len(mh.layer_lines(store, "alice", "immediate")) == 9


def test_newest_items_stay_verbatim(mh, mem_factory) -> None:
    store, manager = mem_factory({**SMALL, "compression_keep_recent": 2})
    added = add_facts(manager)
    lines = mh.layer_lines(store, "alice", "immediate")
    assert [r["context_type"] for r in lines] == [
        "compressed_summary",
        "conversation",
        "conversation",
    ]
    assert [r["memory_id"] for r in lines[1:]] == [a.memory_id for a in added[-2:]]
    assert lines[0]["compression_metadata"]["original_count"] == 7


def test_maintenance_compresses_layers_over_threshold(mh, mem_factory, clock) -> None:
    store, manager = mem_factory({**SMALL, "enable_compression": False})
    add_facts(manager, layer=MemoryLayerType.PERMANENT)
    _, manager = mem_factory({**SMALL, "compression_thresholds": {"permanent": 8}})
    result = run(manager.run_memory_maintenance("alice"))
    assert result["tasks_completed"] == [
        "cleaned_0_expired",
        "promoted_0_memories",
        "compressed_1_layers",
        "updated_metadata",
    ]
    assert result["details"]["backups"] == [
        f"permanent.backup_{clock.now().strftime('%Y%m%d_%H%M%S')}.jsonl"
    ]
    [summary] = mh.layer_lines(store, "alice", "permanent")
    assert summary["compression_metadata"]["original_count"] == 9
    mh.assert_counts_match(store, "alice")


def test_forced_compression_returns_the_result_dto(mh, mem_factory) -> None:
    store, manager = mem_factory({"compression_keep_recent": 0})  # threshold stays 100
    add_facts(manager)
    result = run(manager.compress_layer("alice", "immediate", force=True))
    assert result.original_count == 9 and result.compressed_count == 1
    assert result.preserved_items == 0 and result.compression_strategy == "summarization"
    assert result.summary_content == mh.layer_lines(store, "alice", "immediate")[0]["content"]
    assert result.metadata["groups"][0]["original_count"] == 9
    unforced = run(manager.compress_layer("alice", "immediate"))
    assert unforced.original_count == unforced.compressed_count == 1


def test_two_compressions_in_one_second_share_one_valid_backup(mh, mem_factory, clock) -> None:
    store, manager = mem_factory(SMALL)
    add_facts(manager, session="s1")
    add_facts(manager, session="s2")
    name = f"immediate.backup_{clock.now().strftime('%Y%m%d_%H%M%S')}.jsonl"
    backup = store.fs.read_jsonl(store.fs.path("users", "alice", "memory_layers", name))
    assert len(backup) == 9 + 8  # s2's 8th item took the layer (1 summary + 8) over 8
    lines = mh.layer_lines(store, "alice", "immediate")
    assert [
        r.get("compression_metadata", {}) and r["compression_metadata"]["group_key"] for r in lines
    ] == ["conversation:session:s1", "conversation:session:s2", None]


def test_clustering_groups_by_dominant_topic(mh, mem_factory) -> None:
    store, manager = mem_factory({**SMALL, "compression_strategy": "clustering"})
    for i in range(7):
        run(
            manager.add_memory_context(
                "alice", {"content": f"rain fact {i}", "topic_tags": ["weather", f"t{i}"]}
            )
        )
    for i in range(2):
        run(manager.add_memory_context("alice", {"content": f"song {i}", "topic_tags": ["music"]}))
    lines = mh.layer_lines(store, "alice", "immediate")
    summaries = [r for r in lines if r["context_type"] == "compressed_summary"]
    assert [s["compression_metadata"]["group_key"] for s in summaries] == [
        "conversation:topic:weather"
    ]
    assert summaries[0]["topic_tags"] == ["weather"] + [f"t{i}" for i in range(7)]
    assert len(lines) == 3


def test_importance_strategy_never_compresses_important_items(mh, mem_factory) -> None:
    store, manager = mem_factory({**SMALL, "compression_strategy": "importance"})
    for i in range(9):
        run(
            manager.add_memory_context(
                "alice", {"content": f"note {i}", "importance_score": 0.9 if i < 3 else 0.1}
            )
        )
    lines = mh.layer_lines(store, "alice", "immediate")
    assert [r["content"] for r in lines if r["context_type"] != "compressed_summary"] == [
        "note 0",
        "note 1",
        "note 2",
    ]
    summary = next(r for r in lines if r["context_type"] == "compressed_summary")
    assert summary["compression_metadata"]["group_key"] == "conversation:importance:low"


def test_extractive_summary_is_deterministic_and_bounded() -> None:
    texts = [text for text, _, _ in FACTS]
    first = extractive_summary(texts, 0.3, 200)
    assert first == extractive_summary(list(texts), 0.3, 200)
    assert 1 <= first.count(".") <= 3  # ceil(0.3 × 9) sentences
    assert all(
        sentence.strip() + "." in " ".join(texts)
        for sentence in first.split(".")
        if sentence.strip()
    )
    assert len(extractive_summary(texts, 1.0, 12).split()) <= 12
    assert "Aldric" in first  # the most shared words win
