"""The OS sandbox, through the executor, under each isolation layer that can run here.

Commands such as ``sh`` and ``python3`` are added to ``allowed_commands`` only in these tests,
to run hostile programs (given as input files) inside the sandbox. On the plain layer they are
refused by default (no namespaces); the tests of that layer opt in with
``allow_interpreters_without_isolation`` to check what the plain layer still contains.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

from flatfile_chat.config.tools import FFToolSandboxConfigDTO
from flatfile_chat.errors import SecurityError
from flatfile_chat.tools import sandbox_layers
from flatfile_chat.tools.commands import ValidatedCommand
from flatfile_chat.tools.sandbox import Sandbox, SandboxLimits, _confine

HOSTILE = ["ls", "cat", "head", "tail", "grep", "find", "wc", "sh", "python3", "env"]


def _opt_in(layer: str) -> dict[str, Any]:
    """The plain layer refuses interpreters unless told otherwise (tracker issue 12)."""
    return {"allow_interpreters_without_isolation": layer == "plain"}


@pytest.fixture
def box(make_tools: Any, layer: str, layer_settings: dict[str, Any]) -> Any:
    def build(**sandbox: Any) -> Any:
        settings = {"allowed_commands": HOSTILE, **layer_settings, **_opt_in(layer), **sandbox}
        tools = make_tools({"sandbox": settings}, categories=["computation", "file_system"])
        tools.set_policy(cooldown_seconds=0)
        return tools

    return build


def script(tools: Any, command: str, name: str, source: str, **request: Any) -> Any:
    return tools.execute(
        "sandbox_command", {"command": command, "args": [name], "files": {name: source}}, **request
    )


def test_allowlisted_command_runs_and_cleans_up(box: Any, layer: str) -> None:
    tools = box()
    result = tools.execute(
        "sandbox_command",
        {
            "command": "grep",
            "args": ["-n", "todo", "notes.txt"],
            "files": {"notes.txt": "intro\ntodo: write tests\nend\n"},
        },
    )
    assert result.success, result.error_message
    assert result.result_data == "2:todo: write tests\n"
    debug = result.debug_information
    assert layer in debug["sandbox_layers"] or layer == "plain"
    assert debug["sandbox_dir_removed"] is True and not os.path.exists(debug["sandbox_dir"])
    assert tools.sandbox_dirs() == []
    assert tools.history()[-1]["output_preview"] == "2:todo: write tests\n"


def test_timeout_kills_the_whole_group(
    box: Any, layer: str, watch_processes: Any, processes_of_uid: Any, unique_sleep: Any
) -> None:
    tools = box()
    child, grandchild = unique_sleep(27), unique_sleep(27)
    # 3 s: time for the sandbox, sh and both sleeps to start (and be seen) on a busy machine;
    # the sleeps would run for 27 s more
    with watch_processes(["sleep", child], ["sleep", grandchild]) as watcher:
        result = script(
            tools,
            "sh",
            "spawn.sh",
            f"sleep {child} &\nsleep {grandchild}\necho finished\n",
            timeout_seconds=3,
        )
    assert "finished" not in (result.result_data or "")
    assert result.exit_code is None and result.debug_information["signal"] == "SIGKILL"
    assert result.success is False
    assert result.error_type == "timeout_error"
    assert result.error_message == "Execution exceeded 3s timeout; process group killed"
    assert "wall_time" in result.resource_violations
    assert len(watcher.seen) == 2, "the child and the grandchild were both running"
    assert watcher.alive() == []
    uid = result.debug_information["sandbox_uid"]
    if uid is not None:
        assert processes_of_uid(uid) == []
    assert not os.path.exists(result.debug_information["sandbox_dir"])


def test_process_that_leaves_the_group_is_still_killed(
    box: Any, layer: str, watch_processes: Any, unique_sleep: Any
) -> None:
    """A daemonising child (setsid, stdio closed) outlives a process-group kill; the pid
    namespace or the uid sweep must still get it."""
    tools = box()
    seconds = unique_sleep(39)
    source = (
        "import os, time\n"
        "if os.fork() == 0:\n"
        "    os.setsid()\n"
        "    for fd in (0, 1, 2): os.close(fd)\n"
        f"    os.execv('/usr/bin/sleep', ['sleep', {seconds!r}])\n"
        "time.sleep(0.5)\n"
    )
    with watch_processes(["sleep", seconds]) as watcher:
        result = script(tools, "python3", "daemon.py", source, timeout_seconds=5)
    assert result.success, result.error_message
    assert len(watcher.seen) == 1
    assert watcher.alive() == []
    if layer == "plain" and result.debug_information["sandbox_uid"] is not None:
        assert result.sandbox_breaches, "the uid sweep reports what it had to kill"
        breaches = tools.audit.entries(event_type="tool_sandbox_breach")
        assert [e["details"] for e in breaches] == [
            {
                "tool_id": result.tool_id,
                "execution_id": result.execution_id,
                "breaches": result.sandbox_breaches,
            }
        ]


def test_environment_is_scrubbed(box: Any, layer: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LD_PRELOAD", "libnothing.so")
    monkeypatch.setenv("PYTHONPATH", "/evil")
    monkeypatch.setenv("SECRET_TOKEN", "s3cret")
    tools = box()
    result = tools.execute("sandbox_command", {"command": "env"})
    assert result.success, result.error_message
    names = {line.split("=", 1)[0] for line in result.result_data.splitlines()}
    expected = {"HOME", "LANG", "LC_ALL", "PATH", "TMPDIR"}
    assert names - {"PWD"} == expected  # bwrap adds PWD (the sandbox dir) after --chdir
    assert "PATH=/usr/bin:/bin" in result.result_data.splitlines()


def test_runs_as_unprivileged_uid_when_root(box: Any, layer: str) -> None:
    if os.geteuid() != 0:
        pytest.skip("uid drop only applies when running as root")
    tools = box()
    result = script(tools, "python3", "who.py", "import os; print(os.getuid(), os.getgroups())")
    uid = result.debug_information["sandbox_uid"]
    assert uid is not None and uid >= 1_900_000_000
    assert result.result_data.split()[0] == str(uid)
    assert "uid_drop" in result.debug_information["sandbox_layers"]


@pytest.mark.slow
def test_fork_bomb_is_contained(box: Any, layer: str, processes_of_uid: Any) -> None:
    """An exponential fork bomb, capped at 2**8 processes so a broken limit cannot hurt the
    machine: with max_processes=5 at most 4 forks may succeed."""
    tools = box(max_processes=5)
    source = (
        "import os, sys, time\n"
        "children = []\n"
        "for depth in range(8):\n"
        "    try:\n"
        "        pid = os.fork()\n"
        "    except OSError as exc:\n"
        "        print('fork failed:', exc.strerror, file=sys.stderr, flush=True)\n"
        "        continue\n"
        "    if pid == 0:\n"
        "        children = []\n"
        "        print('P', flush=True)\n"
        "    else:\n"
        "        children.append(pid)\n"
        "time.sleep(0.3)\n"
        "for pid in children:\n"
        "    os.waitpid(pid, 0)\n"
    )
    result = script(tools, "python3", "bomb.py", source, timeout_seconds=10)
    forks = result.result_data.count("P")
    assert 0 < forks <= 4, f"{forks} processes were created"
    assert "processes" in result.resource_violations
    assert result.debug_information["stderr"].count("fork failed") > 0
    uid = result.debug_information["sandbox_uid"]
    if uid is not None:
        assert processes_of_uid(uid) == []


@pytest.mark.slow
def test_memory_hog_is_contained(box: Any, layer: str) -> None:
    tools = box(max_memory_mb=100)
    result = script(
        tools,
        "python3",
        "hog.py",
        "blob = bytearray(1024 * 1024 * 1024)\nprint('allocated 1 GiB')\n",
    )
    assert result.success is False
    assert "allocated" not in (result.result_data or "")
    assert result.error_type == "sandbox_execution_error"
    assert "memory" in result.resource_violations
    assert "MemoryError" in result.debug_information["stderr"]


@pytest.mark.slow
def test_huge_output_is_capped_and_killed(box: Any, layer: str) -> None:
    tools = box(max_output_bytes=65_536)
    result = script(
        tools,
        "python3",
        "big.py",
        "import sys\nfor _ in range(1000):\n    sys.stdout.write('x' * 50_000)\n",
        timeout_seconds=10,
    )
    assert result.success is False
    assert result.error_type == "sandbox_execution_error"
    assert result.error_message == "Output exceeded 65536 bytes; process group killed"
    assert result.resource_violations == ["output"]
    # what came back is bounded twice: by the read cap, then by max_tool_result_length
    assert result.truncated and result.result_data.endswith("... [truncated]")
    assert len(result.result_data) == 10_000 + len("... [truncated]")


@pytest.mark.slow
def test_cpu_and_file_size_limits(box: Any, layer: str) -> None:
    tools = box(max_cpu_time=1, max_file_size_mb=1)
    # the wall-clock guard is not under test: 1 s of CPU may take many seconds on a busy machine
    spin = script(tools, "python3", "spin.py", "while True:\n    pass\n", timeout_seconds=30)
    assert spin.success is False and spin.error_type != "timeout_error"
    assert "cpu_time" in spin.resource_violations
    write = script(
        tools, "python3", "fill.py", "open('big.bin', 'wb').write(b'0' * (5 * 1024 * 1024))\n"
    )
    assert write.success is False
    assert "file_size" in write.resource_violations


def test_huge_output_read_cap_direct(
    sandbox_root: Path, layer: str, layer_settings: dict[str, Any]
) -> None:
    """At the sandbox level: never more than max_output bytes are kept in memory."""
    config = FFToolSandboxConfigDTO(
        temp_root=str(sandbox_root),
        allowed_commands=["python3"],
        **layer_settings,
        **_opt_in(layer),
    )
    command = ValidatedCommand("python3", ["python3", "big.py"], ["big.py"], frozenset({0}))
    result = Sandbox(config).run(
        command,
        {"big.py": "import sys\nfor _ in range(400):\n    sys.stdout.write('y' * 50_000)\n"},
        SandboxLimits(timeout_seconds=10, output_bytes=4096),
    )
    assert result.output_limited and len(result.stdout) == 4096
    assert result.sandbox_dir_removed


def test_symlink_out_of_the_sandbox_is_refused(tmp_path: Path) -> None:
    inside = tmp_path / "box"
    inside.mkdir()
    (inside / "ok.txt").write_text("fine")
    (inside / "escape").symlink_to("/etc/passwd")
    (inside / "dir").symlink_to("/etc")
    _confine(str(inside), ["ok.txt", "missing.txt", "sub/new.txt"])
    for operand in ("escape", "dir/passwd"):
        with pytest.raises(SecurityError, match="is outside the sandbox directory"):
            _confine(str(inside), [operand])


def test_bubblewrap_hides_the_host_even_without_the_policy(sandbox_root: Path) -> None:
    """Defence in depth: bypass CommandPolicy entirely; /etc is simply not there."""
    settings = _bwrap_or_skip(sandbox_root)
    config = FFToolSandboxConfigDTO(temp_root=str(sandbox_root), **settings)
    command = ValidatedCommand("cat", ["cat", "/etc/passwd"], [], frozenset({0}))
    result = Sandbox(config).run(command, {}, SandboxLimits(timeout_seconds=5))
    assert result.exit_code != 0 and "root:" not in result.stdout
    assert "No such file or directory" in result.stderr


def _bwrap_or_skip(sandbox_root: Path) -> dict[str, Any]:
    from flatfile_chat.config.tools import FFToolSandboxConfigDTO as Config

    if "bubblewrap" not in Sandbox(Config(temp_root=str(sandbox_root))).layers():
        pytest.skip("bubblewrap is not usable here")
    return {"use_bubblewrap": "always"}


def test_uid_lock_dir_is_the_one_place_outside_temp_root_a_run_writes_to(
    sandbox_root: Path,
) -> None:
    """A harness that audits writes (the scenario runner) must allow exactly this folder."""
    import tempfile

    config = FFToolSandboxConfigDTO(
        temp_root=str(sandbox_root), use_bubblewrap="never", use_pid_namespace="never"
    )
    box = Sandbox(config)
    assert box.uid_lock_dir == Path(tempfile.gettempdir()) / ".ff_sandbox_uids"
    true = ValidatedCommand("true", ["true"], [], frozenset({0}))
    result = box.run(true, {}, SandboxLimits(timeout_seconds=5))
    assert result.ok and result.sandbox_dir_removed
    if result.uid is not None:  # root: the run claimed a uid through a lock file there
        index = result.uid - config.uid_base
        assert any(
            name.endswith(f"uid_{index}.lock") or name == f"uid_{index}"
            for name in os.listdir(box.uid_lock_dir)
        )


# -- interpreters need isolation (tracker issue 12) ----------------------------------------
PLAIN = {"use_bubblewrap": "never", "use_pid_namespace": "never"}


def _direct(config: FFToolSandboxConfigDTO, command: str, files: dict[str, str]) -> Any:
    vetted = ValidatedCommand(command, [command, *sorted(files)], sorted(files), frozenset({0}))
    return Sandbox(config).run(vetted, files, SandboxLimits(timeout_seconds=10))


def test_interpreter_is_refused_on_the_plain_layer(
    sandbox_root: Path, spawn_spy: list[list[str]]
) -> None:
    config = FFToolSandboxConfigDTO(
        temp_root=str(sandbox_root), allowed_commands=["cat", "python3"], **PLAIN
    )
    assert _direct(config, "cat", {"a.txt": "fine\n"}).stdout == "fine\n"
    with pytest.raises(
        SecurityError,
        match=r"^Command python3 runs arbitrary code and is "
        r"refused without isolation: missing layers pid_namespace, "
        r"mount_namespace, net_namespace, ipc_namespace, uts_namespace, "
        r"private_proc, private_tmp and bubblewrap",
    ) as caught:
        _direct(config, "python3", {"x.py": "print('ran')\n"})
    assert caught.value.key == "command" and caught.value.value == "python3"
    assert "allow_interpreters_without_isolation" in caught.value.message
    assert len(spawn_spy) == 1 and spawn_spy[0][-1] == "a.txt", "python3 never spawned"
    assert [n for n in os.listdir(sandbox_root) if n.startswith("ffsbx_")] == []


def test_interpreter_is_refused_when_the_namespaces_cannot_be_made(
    sandbox_root: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Root and unshare, but the namespace probe fails (e.g. a container without
    CAP_SYS_ADMIN): only the pid namespace would run, which hides neither network nor /tmp."""
    probed: list[Any] = []

    def failing_probe(self: Sandbox, plan: Any) -> str:
        probed.append(plan)
        return "mount: permission denied"

    monkeypatch.setattr(Sandbox, "_probe", failing_probe)
    monkeypatch.setattr(sandbox_layers, "find_executable", lambda name: f"/usr/bin/{name}")
    config = FFToolSandboxConfigDTO(
        temp_root=str(sandbox_root),
        allowed_commands=["python3"],
        use_bubblewrap="never",
        use_pid_namespace="auto",
    )
    box = Sandbox(config)
    box.is_root = True
    layers = box.layers()
    assert "pid_namespace" in layers and not set(sandbox_layers.NAMESPACE_LAYERS) & set(layers)
    vetted = ValidatedCommand("python3", ["python3", "x.py"], ["x.py"], frozenset({0}))
    with pytest.raises(
        SecurityError,
        match=r"missing layers mount_namespace, net_namespace, "
        r"ipc_namespace, uts_namespace, private_proc, private_tmp and",
    ):
        box.run(vetted, {"x.py": "print('ran')\n"}, SandboxLimits(timeout_seconds=5))
    assert probed and all(plan.namespaces for plan in probed)


def test_opt_in_runs_an_interpreter_on_the_plain_layer(sandbox_root: Path) -> None:
    config = FFToolSandboxConfigDTO(
        temp_root=str(sandbox_root),
        allowed_commands=["python3"],
        allow_interpreters_without_isolation=True,
        **PLAIN,
    )
    result = _direct(config, "python3", {"x.py": "print('ran')\n"})
    assert result.ok and result.stdout == "ran\n"
    assert not set(sandbox_layers.NAMESPACE_LAYERS) & set(result.layers)


def test_executor_reports_the_refusal(make_tools: Any) -> None:
    tools = make_tools(
        {"sandbox": {"allowed_commands": HOSTILE, **PLAIN}},
        categories=["computation", "file_system"],
    )
    tools.set_policy(cooldown_seconds=0)
    result = script(tools, "python3", "x.py", "print('ran')\n")
    assert result.success is False and "ran" not in (result.result_data or "")
    assert result.error_message.startswith(
        "Command python3 runs arbitrary code and is refused without isolation"
    )
    assert tools.sandbox_dirs() == []


@pytest.mark.parametrize(
    "command",
    [
        "python3",
        "python3.12",
        "python",
        "pypy3",
        "perl",
        "perl5.36",
        "ruby",
        "node",
        "nodejs",
        "lua5.4",
        "php8.2",
        "sh",
        "bash",
        "dash",
        "zsh",
        "awk",
        "gawk",
        "sed",
        "env",
        "xargs",
        "nice",
        "timeout",
        "busybox",
    ],
)
def test_interpreters_are_recognised(command: str) -> None:
    assert sandbox_layers.is_interpreter(command)


@pytest.mark.parametrize(
    "command",
    [
        "ls",
        "cat",
        "head",
        "tail",
        "grep",
        "find",
        "wc",
        "sort",
        "shred",
        "envsubst",
        "sha256sum",
        "seq",
        "sleep",
        "true",
    ],
)
def test_fixed_function_commands_are_not_interpreters(command: str) -> None:
    assert not sandbox_layers.is_interpreter(command)


def test_an_alias_of_an_interpreter_is_recognised(tmp_path: Path) -> None:
    """What the executable resolves to counts, except a multi-call binary (busybox ls)."""
    python = tmp_path / "python3.12"
    python.touch()
    (tmp_path / "py").symlink_to(python)
    busybox = tmp_path / "busybox"
    busybox.touch()
    (tmp_path / "ls").symlink_to(busybox)
    assert sandbox_layers.is_interpreter("py", str(tmp_path / "py"))
    assert not sandbox_layers.is_interpreter("ls", str(tmp_path / "ls"))


def test_namespace_layers_are_reported(sandbox_root: Path) -> None:
    if os.geteuid() != 0 or sandbox_layers.find_executable("unshare") is None:
        pytest.skip("the namespace layer needs root and util-linux unshare")
    config = FFToolSandboxConfigDTO(
        temp_root=str(sandbox_root), use_bubblewrap="never", use_pid_namespace="auto"
    )
    result = _direct(config, "ls", {})
    assert result.ok, result.stderr
    assert {"pid_namespace", *sandbox_layers.NAMESPACE_LAYERS} <= set(result.layers)


def test_interpreter_as_root_needs_the_uid_drop(
    sandbox_root: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Root inside the namespaces can unmount the private /tmp and /proc again."""
    monkeypatch.setattr(Sandbox, "_probe", lambda self, plan: None)  # namespaces work
    monkeypatch.setattr(sandbox_layers, "find_executable", lambda name: f"/usr/bin/{name}")
    config = FFToolSandboxConfigDTO(
        temp_root=str(sandbox_root),
        allowed_commands=["python3"],
        use_bubblewrap="never",
        drop_privileges=False,
    )
    box = Sandbox(config)
    box.is_root = True
    assert "net_namespace" in box.layers() and "uid_drop" not in box.layers()
    vetted = ValidatedCommand("python3", ["python3", "x.py"], ["x.py"], frozenset({0}))
    with pytest.raises(SecurityError, match=r"missing layers uid_drop and bubblewrap"):
        box.run(vetted, {"x.py": "print('ran')\n"}, SandboxLimits(timeout_seconds=5))
