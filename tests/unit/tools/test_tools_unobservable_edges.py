"""Tool behaviour the scenario actions cannot observe: error keys the executor turns into a
denial message, a cache file removed behind the cache's back, an interrupted process wait,
and descriptors the parent leaves inheritable."""

from __future__ import annotations

import os
import subprocess
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from flatfile_chat.config.tools import FFToolSandboxConfigDTO
from flatfile_chat.errors import ValidationError
from flatfile_chat.tools import process_io, sandbox_layers
from flatfile_chat.tools.cache import ResultCache
from flatfile_chat.tools.commands import ValidatedCommand
from flatfile_chat.tools.paths import ToolPaths
from flatfile_chat.tools.personal_data import validate_tasks
from flatfile_chat.tools.sandbox import Sandbox, SandboxLimits

NOW = datetime(2026, 1, 1, 9, tzinfo=UTC)


@pytest.mark.parametrize("action", ["complete_task", "delete_task"])
def test_a_task_action_without_task_id_is_refused_under_key_task_id(action: str) -> None:
    with pytest.raises(ValidationError) as caught:
        validate_tasks({"action": action})
    assert caught.value.message == "Required parameter 'task_id' missing"
    assert caught.value.key == "task_id"


def test_a_command_that_is_not_installed_is_refused_under_key_command(
    sandbox_root: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sandbox_layers, "find_executable", lambda name: None)
    box = Sandbox(FFToolSandboxConfigDTO(temp_root=str(sandbox_root)))
    vetted = ValidatedCommand("wc", ["wc", "a.txt"], ["a.txt"], frozenset({0}))
    with pytest.raises(ValidationError) as caught:
        box.run(vetted, {"a.txt": "x\n"}, SandboxLimits(timeout_seconds=5))
    assert caught.value.message.startswith("Command wc is not installed (looked in ")
    assert caught.value.key == "command"


def _store(cache: ResultCache, key: str, execution_id: str) -> None:
    cache.store(
        "alice",
        "calculator",
        key,
        execution_id=execution_id,
        result_data={"result": execution_id},
        result_type="json",
        result_hash="0" * 16,
        result_size_bytes=10,
        truncated=False,
        now=NOW,
        expiry_hours=1,
    )


def test_a_cache_file_removed_behind_the_cache_does_not_bring_back_its_entries(store) -> None:
    paths = ToolPaths(store.ctx.fs)
    cache = ResultCache(store.ctx, paths)
    _store(cache, "k_old", "exec_old")
    later = NOW + timedelta(minutes=1)
    assert cache.lookup("alice", "calculator", "k_old", later)["execution_id"] == "exec_old"
    os.remove(paths.cache_file("alice", "calculator"))  # another process pruned it all
    _store(cache, "k_new", "exec_new")
    assert cache.lookup("alice", "calculator", "k_new", later)["execution_id"] == "exec_new"
    assert cache.lookup("alice", "calculator", "k_old", later) is None


def test_an_interrupted_wait_kills_and_reaps_the_process(monkeypatch: pytest.MonkeyPatch) -> None:
    proc = subprocess.Popen(
        ["sleep", "30"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        start_new_session=True,
    )

    def interrupted(pid: int) -> bool:
        raise KeyboardInterrupt

    monkeypatch.setattr(process_io, "_leader_exited", interrupted)
    try:
        with pytest.raises(KeyboardInterrupt):
            process_io.communicate(proc, timeout=10, max_output=1024)
        assert proc.returncode is not None  # reaped, not left running or a zombie
    finally:
        if proc.returncode is None:
            proc.kill()
            proc.wait()


def test_an_inheritable_descriptor_of_the_parent_does_not_reach_the_command(
    sandbox_root: Path,
) -> None:
    config = FFToolSandboxConfigDTO(
        temp_root=str(sandbox_root), use_bubblewrap="never", use_pid_namespace="never"
    )
    read_end, write_end = os.pipe()
    os.set_inheritable(write_end, True)
    try:
        vetted = ValidatedCommand("ls", ["ls", "/proc/self/fd"], [], frozenset({0}))
        result = Sandbox(config).run(vetted, {}, SandboxLimits(timeout_seconds=5))
    finally:
        os.close(read_end)
        os.close(write_end)
    assert result.ok, result.stderr
    assert str(write_end) not in result.stdout.split()
