"""Result hash, truncation, sensitive-data masking, history/metrics fields, integrity."""

from __future__ import annotations

import asyncio
import hashlib
import json
from pathlib import Path
from typing import Any

import pytest

from flatfile_chat import ManualClock
from flatfile_chat.tools import FFToolExecutionManager, FFToolRegistryManager
from flatfile_chat.tools.results import finalize


def test_result_hash_is_sha256_of_the_returned_result(tools: Any) -> None:
    result = tools.execute("text_utils", {"operation": "upper", "text": "abc"})
    text = json.dumps(result.result_data, sort_keys=True, separators=(",", ":"))
    assert result.result_hash == hashlib.sha256(text.encode()).hexdigest()[:16]
    assert result.result_size_bytes == len(text.encode())
    assert tools.history()[-1]["result_hash"] == result.result_hash


def test_long_result_is_truncated(make_tools: Any) -> None:
    tools = make_tools({"max_tool_result_length": 100}, categories=["computation"])
    result = tools.execute("text_utils", {"operation": "lower", "text": "A" * 500})
    assert result.truncated and result.result_type == "text"
    assert result.result_data.endswith("... [truncated]")
    assert len(result.result_data) == 100 + len("... [truncated]")
    assert result.result_hash == hashlib.sha256(result.result_data.encode()).hexdigest()[:16]
    line = tools.history()[-1]
    assert line["truncated"] is True and line["result_size_bytes"] == 115


def test_default_limit_is_10000(tools: Any) -> None:
    result = tools.execute(
        "sandbox_command",
        {"command": "cat", "args": ["big.txt"], "files": {"big.txt": "z" * 12_000}},
    )
    assert result.success and result.truncated
    assert result.result_data == "z" * 10_000 + "... [truncated]"


def test_sensitive_data_is_masked_and_not_cached(tools: Any) -> None:
    tools.set_policy(cooldown_seconds=0)
    params = {"operation": "lower", "text": "SSN 123-45-6789 CARD 4111 1111 1111 1111"}
    result = tools.execute("text_utils", params)
    assert result.result_data == {"text": "ssn XXX-XX-XXXX card XXXX-XXXX-XXXX-XXXX"}
    assert result.security_events == [
        {"event_type": "sensitive_data_masked", "kinds": ["credit_card", "ssn"]}
    ]
    assert result.integration_context["quarantined"] is True
    assert not tools.execute("text_utils", params).cached_result


def test_finalize_keeps_json_valid_when_masking() -> None:
    final = finalize(
        {"n": 4111111111111111, "s": "4111-1111-1111-1111"}, "json", max_length=1000, scan=True
    )
    assert final.data == {"n": 4111111111111111, "s": "XXXX-XXXX-XXXX-XXXX"}


def test_history_and_metrics_lines_have_the_spec_fields(tools: Any) -> None:
    tools.execute("calculator", {"expression": "1"}, session_id="sess_1")
    line = tools.history()[-1]
    for key in (
        "execution_id",
        "tool_id",
        "user_id",
        "success",
        "execution_time_seconds",
        "start_timestamp",
        "end_timestamp",
        "error_message",
        "error_type",
        "result_size_bytes",
        "cached_result",
        "execution_mode",
    ):
        assert key in line
    assert (
        line["session_id"] == "sess_1"
        and line["start_timestamp"] == "2026-01-01T09:00:00.000000+00:00"
    )
    metrics = tools.store.fs.read_jsonl(tools.tools_file("performance_metrics.jsonl"))
    assert set(metrics[-1]) >= {
        "tool_id",
        "user_id",
        "timestamp",
        "execution_time_seconds",
        "memory_used_mb",
        "cpu_usage_percent",
        "success",
        "result_size_bytes",
        "cached_result",
    }


def test_runs_are_byte_identical(make_store, sandbox_root: Path) -> None:
    """Same seed, same clock, same requests -> the same tool files, byte for byte (measured
    wall time, memory and temp dir names stay out of the stored files)."""
    overrides = {
        "tool_execution": {
            "sandbox": {"temp_root": str(sandbox_root)},
            "security_policy": {
                "allowed_categories": ["computation", "file_system"],
                "cooldown_seconds": 0,
            },
        }
    }
    outputs = []
    for _ in range(2):  # two fresh roots, each with its own clock at the same start
        store = make_store(
            overrides=overrides, seed=7, clock=ManualClock("2026-01-01T09:00:00+00:00")
        )
        registry = FFToolRegistryManager(store)
        executor = FFToolExecutionManager(store, registry)
        asyncio.run(store.create_user("alice"))
        for request in (
            {"tool_id": "calculator", "parameters": {"expression": "1"}},
            {
                "tool_id": "sandbox_command",
                "parameters": {"command": "wc", "args": ["x"], "files": {"x": "1"}},
            },
            {"tool_id": "calculator", "parameters": {"expression": "1"}},
        ):
            asyncio.run(executor.execute_tool("alice", request))
        tools_dir = store.root / "users" / "alice" / "tools"
        outputs.append(
            {
                p.relative_to(tools_dir).as_posix(): p.read_bytes()
                for p in sorted(tools_dir.rglob("*"))
                if p.is_file() and not p.name.endswith(".lock")
            }
        )
        store.close()
    assert outputs[0] == outputs[1]
    assert b"sandbox_command" in outputs[0]["execution_history.jsonl"]


def test_integrity_check_compares_statistics_with_history(tools: Any) -> None:
    tools.set_policy(cooldown_seconds=0)
    tools.execute("calculator", {"expression": "1"})
    tools.execute("calculator", {"expression": "2"})
    assert tools.store.check_integrity() == []
    path = tools.tools_file("tool_registry.json")
    doc = json.loads(path.read_text())
    doc["tool_statistics"]["calculator"]["total_executions"] = 7
    path.write_text(json.dumps(doc))
    issues = tools.store.check_integrity()
    assert [i.kind for i in issues] == ["counter_mismatch"]
    assert "total_executions is 7 but execution_history.jsonl has 2" in issues[0].detail
    tools.run(tools.registry.recompute_statistics(tools.user))
    assert tools.store.check_integrity() == []


def test_a_successful_result_is_remembered_tied_to_its_execution(tools: Any) -> None:
    from flatfile_chat.errors import ValidationError
    from flatfile_chat.memory import FFMemoryLayerManager

    memory = FFMemoryLayerManager(tools.store)
    result = tools.execute("calculator", {"expression": "6*7"})
    item = asyncio.run(
        tools.executor.remember_result(tools.user, result, memory, topic_tags=["math"])
    )
    assert item.layer == "short_term" and json.loads(item.content)["result"] == 42
    assert item.metadata == {
        "tool_id": "calculator",
        "execution_id": result.execution_id,
        "result_hash": result.result_hash,
    }
    refused = tools.execute("no_such_tool", {})
    with pytest.raises(ValidationError, match="did not succeed"):
        asyncio.run(tools.executor.remember_result(tools.user, refused, memory))
