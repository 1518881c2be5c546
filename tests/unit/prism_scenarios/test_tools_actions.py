"""The logic in the tool actions: only given request fields reach the executor, the
write-audit bridge for sandboxed runs (resolves, never hides), the evidence actions
(``tools.sandbox_dirs``, ``tools.processes``, ``tools.hash``), ``text.repeat``,
``tools.repeat`` and ``session.append_unique``."""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

import pytest

from prism_scenarios.actions import tools as tools_actions
from prism_scenarios.engine import ScenarioRun
from prism_scenarios.errors import InvariantBreach, ScenarioError

W = "test"
FILE_SYSTEM = {"allowed_categories": ["computation", "file_system"]}


def _alice(run: ScenarioRun, **policy: object) -> None:
    run.step("user.create", {"user_id": "alice"}, where=W)
    if policy:
        run.step("tools.update_policy", {"user_id": "alice", "changes": policy}, where=W)


def test_execute_sends_only_the_given_fields_so_the_executor_validates_and_defaults() -> None:
    with ScenarioRun() as run:
        _alice(run)
        result = run.step(
            "tools.execute",
            {"user_id": "alice", "tool_id": "calculator", "parameters": {"expression": "2 + 3"}},
            where=W,
        )
        assert (result["success"], result["result_data"]["result"], result["execution_mode"]) == (
            True,
            5,
            "sandbox",
        )
        # values the runner passes through untouched are refused by the executor itself
        run.step(
            "tools.execute",
            {
                "user_id": "alice",
                "tool_id": "calculator",
                "parameters": {"expression": "1"},
                "timeout_seconds": -1,
            },
            where=W,
            raises={"error": "ValidationError", "message": "timeout_seconds"},
        )
        refused = run.step(
            "tools.execute",
            {
                "user_id": "alice",
                "tool_id": "calculator",
                "parameters": {"expression": "1"},
                "execution_mode": "turbo",
            },
            where=W,
            raises={"error": "ValidationError", "message": "execution_mode"},
        )
        assert refused["error"] == "ValidationError"
        assert (
            run.step(
                "files.count_lines", {"path": "users/alice/tools/execution_history.jsonl"}, where=W
            )
            == 1
        )


def test_a_sandboxed_command_with_input_files_passes_the_outside_root_invariant() -> None:
    with ScenarioRun() as run:
        _alice(run, **FILE_SYSTEM)
        result = run.step(
            "tools.execute",
            {
                "user_id": "alice",
                "tool_id": "sandbox_command",
                "parameters": {
                    "command": "wc",
                    "args": ["-l", "a.txt", "b/c.txt"],
                    "files": {"a.txt": "1\n2\n", "b/c.txt": "3\n"},
                },
            },
            where=W,
        )
        assert result["success"], result["error_message"]
        assert result["debug_information"]["sandbox_dir_removed"] is True
        assert run.step("tools.sandbox_dirs", {}, where=W) == {"exists": True, "entries": []}


def test_a_write_outside_the_roots_during_a_tool_step_still_breaks_the_invariant(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from flatfile_chat.tools import executor as executor_module

    outside = tmp_path / "leak.txt"
    real = executor_module.FFToolExecutionManager.execute_sync

    def leaky(self, *args, **kwargs):
        outside.write_text("leak")
        return real(self, *args, **kwargs)

    monkeypatch.setattr(executor_module.FFToolExecutionManager, "execute_sync", leaky)
    with ScenarioRun() as run:
        _alice(run)
        with pytest.raises(InvariantBreach, match="leak.txt was written outside"):
            run.step(
                "tools.execute",
                {"user_id": "alice", "tool_id": "calculator", "parameters": {"expression": "1"}},
                where=W,
            )


def test_sandbox_dirs_says_when_no_sandbox_was_ever_prepared() -> None:
    with ScenarioRun() as run:
        _alice(run, **FILE_SYSTEM)
        run.step(
            "tools.execute",
            {
                "user_id": "alice",
                "tool_id": "sandbox_command",
                "parameters": {"command": "rm", "args": ["x"]},
            },
            where=W,
        )
        assert run.step("tools.sandbox_dirs", {}, where=W) == {"exists": False, "entries": []}


def test_processes_finds_a_live_process_and_ignores_it_once_gone() -> None:
    import subprocess
    import uuid

    # an argv no other process has (the action sees the whole machine: another worker or
    # run may be sleeping too); uuid4, as pytest-randomly seeds `random` alike everywhere
    argv = ["sleep", f"30.{uuid.uuid4().int % 10**9:09d}"]
    proc = subprocess.Popen(argv)
    try:
        with ScenarioRun() as run:
            found = run.step("tools.processes", {"cmdline": argv, "wait_seconds": 0}, where=W)
            assert [p["pid"] for p in found] == [proc.pid]
            assert (
                run.step(
                    "tools.processes",
                    {"cmdline": argv, "uid": os.getuid() + 1, "wait_seconds": 0},
                    where=W,
                )
                == []
            )
            proc.kill()
            proc.wait()
            assert run.step("tools.processes", {"cmdline": argv}, where=W) == []
    finally:
        proc.kill()
        proc.wait()


def test_hash_matches_the_spec_definition_for_text_and_data() -> None:
    data = {"b": [1, "é"], "a": None}
    canonical = json.dumps(data, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    with ScenarioRun() as run:
        for value, text in (("plain text", "plain text"), (data, canonical), (None, "")):
            got = run.step("tools.hash", {"value": value}, where=W)
            digest = hashlib.sha256(text.encode()).hexdigest()
            assert got == {
                "sha256": digest,
                "result_hash": digest[:16],
                "size_bytes": len(text.encode()),
            }
        _alice(run)
        result = run.step(
            "tools.execute",
            {
                "user_id": "alice",
                "tool_id": "unit_converter",
                "parameters": {"value": 2, "from_unit": "km", "to_unit": "m"},
            },
            where=W,
        )
        assert (
            run.step("tools.hash", {"value": result["result_data"]}, where=W)["result_hash"]
            == result["result_hash"]
        )


def test_text_repeat_has_the_exact_length() -> None:
    with ScenarioRun() as run:
        assert run.step("text.repeat", {"text": "abc", "length": 7}, where=W) == "abcabca"
        assert run.step("text.repeat", {"text": "abc", "length": 0}, where=W) == ""
        with pytest.raises(ScenarioError, match="at least 1 character"):
            run.step("text.repeat", {"text": "", "length": 3}, where=W)


def test_repeat_numbers_the_parameters_and_moves_the_clock() -> None:
    with ScenarioRun() as run:
        _alice(run)
        summary = run.step(
            "tools.repeat",
            {
                "user_id": "alice",
                "tool_id": "calculator",
                "parameters": {"expression": "{n} * 10"},
                "times": 3,
                "advance_seconds": 2,
            },
            where=W,
        )
        assert (summary["attempts"], summary["succeeded"], summary["cached"]) == (3, 3, 0)
        assert run.step("clock.now", {}, where=W).startswith("2026-01-01T09:00:06")
        history = run.step("tools.history", {"user_id": "alice"}, where=W)
        assert [h["output_preview"] for h in history] == [
            '{"expression":"1 * 10","result":10}',
            '{"expression":"2 * 10","result":20}',
            '{"expression":"3 * 10","result":30}',
        ]


def test_execute_remember_stores_a_memory_only_for_a_success() -> None:
    with ScenarioRun() as run:
        _alice(run)
        ok = run.step(
            "tools.execute",
            {
                "user_id": "alice",
                "tool_id": "calculator",
                "parameters": {"expression": "6 * 7"},
                "remember": {"topic_tags": ["math"]},
            },
            where=W,
        )
        assert ok["memory"]["content"] == '{"expression":"6 * 7","result":42}'
        assert ok["memory"]["metadata"] == {
            "tool_id": "calculator",
            "execution_id": ok["execution_id"],
            "result_hash": ok["result_hash"],
        }
        refused = run.step(
            "tools.execute",
            {
                "user_id": "alice",
                "tool_id": "calculator",
                "parameters": {"expression": "7 * 7"},
                "remember": {},
            },
            where=W,
        )
        assert refused["success"] is False and refused["memory"] is None
        assert (
            run.step(
                "files.count_lines", {"path": "users/alice/memory_layers/short_term.jsonl"}, where=W
            )
            == 1
        )
        assert "memory_layer" in run.components_used


def test_append_unique_keeps_order_and_skips_what_is_there() -> None:
    with ScenarioRun() as run:
        _alice(run)
        sid = run.step(
            "session.create", {"user_id": "alice", "metadata": {"level": "A1"}}, where=W
        )["session_id"]
        args = {"user_id": "alice", "session_id": sid, "key": "vocabulary"}
        run.step("session.append_unique", {**args, "values": ["dog", "cat", "dog"]}, where=W)
        session = run.step("session.append_unique", {**args, "values": ["cat", "water"]}, where=W)
        assert session["metadata"] == {"level": "A1", "vocabulary": ["dog", "cat", "water"]}


def test_every_tool_action_declares_its_component() -> None:
    from prism_scenarios.actions.registry import load_actions

    registry = load_actions()
    tools = [a for a in registry if a.module == tools_actions.__name__]
    assert {a.name for a in tools if a.component == "tool_execution"} >= {
        "tools.init",
        "tools.register",
        "tools.available",
        "tools.update_policy",
        "tools.execute",
        "tools.approve",
        "tools.reject",
        "tools.approvals",
        "tools.chain",
        "tools.history",
        "tools.metrics",
        "tools.validate",
        "tools.repeat",
        "tools.execute_concurrently",
    }
    assert {a.name: a.component for a in tools if a.component != "tool_execution"} == {
        "tools.sandbox_dirs": "runner",
        "tools.processes": "runner",
        "tools.hash": "runner",
    }
