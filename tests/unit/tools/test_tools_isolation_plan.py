"""The sandbox's decisions without running a process: which layers a plan names, what an
interpreter is missing, the input-file checks and their messages, the path confinement, the
rlimits handed to the child, the probe's cache and the limit-violation heuristics.

Each assertion pins an exact value (a list, a message, a number), so a changed default, a
dropped layer or an off-by-one in a limit fails here."""

from __future__ import annotations

import os
import resource
import signal
from pathlib import Path
from typing import Any

import pytest

from flatfile_chat.config.tools import FFToolSandboxConfigDTO
from flatfile_chat.errors import ConfigError, LimitExceeded, SecurityError, ValidationError
from flatfile_chat.tools import sandbox as sandbox_module
from flatfile_chat.tools.sandbox import (
    Sandbox,
    SandboxLimits,
    SandboxResult,
    _check_file_name,
    _confine,
    _Plan,
    _rlimit_setter,
    _violations,
    _write_inputs,
)

NS = [
    "mount_namespace",
    "net_namespace",
    "ipc_namespace",
    "uts_namespace",
    "private_proc",
    "private_tmp",
]
BASE = ["argv_policy", "scrubbed_env", "temp_dir", "process_group", "rlimits"]


def _sandbox(tmp_path: Path, **config: Any) -> Sandbox:
    return Sandbox(FFToolSandboxConfigDTO(temp_root=str(tmp_path), **config))


# -- plans ---------------------------------------------------------------------------------
def test_layers_of_each_plan_in_order() -> None:
    assert _Plan(False, None, None).layers() == BASE
    assert _Plan(True, None, None).layers() == [*BASE, "uid_drop", "uid_sweep"]
    assert _Plan(True, None, "/usr/bin/unshare").layers() == [
        *BASE,
        "uid_drop",
        "pid_namespace",
        "uid_sweep",
    ]
    assert _Plan(True, None, "/u", namespaces=True).layers() == [
        *BASE,
        "uid_drop",
        "pid_namespace",
        *NS,
        "uid_sweep",
    ]
    assert _Plan(False, "/usr/bin/bwrap", "/u").layers() == [*BASE, "pid_namespace", "bubblewrap"]
    assert _Plan(False, "/usr/bin/bwrap", None).layers() == [*BASE, "bubblewrap"]


def test_missing_isolation() -> None:
    assert _Plan(False, None, None).missing_isolation() == ["pid_namespace", *NS]
    assert _Plan(True, None, "/u").missing_isolation() == NS
    assert _Plan(False, "/b", None).missing_isolation() == []
    assert _Plan(False, None, "/u", namespaces=True).missing_isolation() == []


def test_isolation_check_names_the_missing_layers(tmp_path: Path) -> None:
    box = _sandbox(tmp_path)
    box.is_root = False
    box._check_isolation("ls", "/bin/ls", _Plan(False, None, None))  # not an interpreter
    with pytest.raises(SecurityError) as caught:
        box._check_isolation("sh", "/bin/sh", _Plan(False, None, "/u"))
    assert caught.value.message == (
        "Command sh runs arbitrary code and is refused without isolation: missing layers "
        "mount_namespace, net_namespace, ipc_namespace, uts_namespace, private_proc, "
        "private_tmp and bubblewrap does not run either (the namespaces need root and "
        "util-linux unshare). Set tool_execution.sandbox.allow_interpreters_without_isolation "
        "to run it anyway"
    )
    assert caught.value.key == "command" and caught.value.value == "sh"
    box._check_isolation("sh", "/bin/sh", _Plan(False, None, "/u", namespaces=True))
    box.is_root = True
    with pytest.raises(SecurityError, match=r"missing layers uid_drop and bubblewrap does not"):
        box._check_isolation("sh", "/bin/sh", _Plan(False, None, "/u", namespaces=True))
    with pytest.raises(SecurityError, match=r"missing layers uid_drop \(the namespaces"):
        box._check_isolation("sh", "/bin/sh", _Plan(False, "/b", None))
    box._check_isolation("sh", "/bin/sh", _Plan(True, "/b", None))
    opted = _sandbox(tmp_path, allow_interpreters_without_isolation=True)
    opted._check_isolation("sh", "/bin/sh", _Plan(False, None, None))


def test_plan_without_root_or_wrappers(tmp_path: Path) -> None:
    box = _sandbox(tmp_path, use_bubblewrap="never", use_pid_namespace="never")
    box.is_root = False
    assert box.plan() == _Plan(drop_uid=False, bubblewrap=None, unshare=None, namespaces=False)
    assert box.layers() == BASE
    box.is_root = True
    assert box.plan() == _Plan(drop_uid=True, bubblewrap=None, unshare=None, namespaces=False)
    unprivileged = _sandbox(
        tmp_path, use_bubblewrap="never", use_pid_namespace="never", drop_privileges=False
    )
    unprivileged.is_root = True
    assert unprivileged.plan().drop_uid is False


def test_pid_namespace_needs_root_and_auto(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sandbox_module.sandbox_layers, "find_executable", lambda n: f"/x/{n}")
    box = _sandbox(tmp_path)
    box.is_root = False
    assert box._unshare() is None
    box.is_root = True
    assert box._unshare() == "/x/unshare"
    never = _sandbox(tmp_path, use_pid_namespace="never")
    never.is_root = True
    assert never._unshare() is None


def test_bubblewrap_modes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    found: dict[str, str | None] = {"bwrap": None}
    monkeypatch.setattr(sandbox_module.sandbox_layers, "find_executable", found.get)
    probes: list[_Plan] = []
    verdict: list[str | None] = [None]

    def probe(self: Sandbox, plan: _Plan) -> str | None:
        probes.append(plan)
        return verdict[0]

    monkeypatch.setattr(Sandbox, "_probe", probe)
    assert _sandbox(tmp_path, use_bubblewrap="never")._bubblewrap(True, None) is None
    assert _sandbox(tmp_path)._bubblewrap(True, None) is None  # auto, not installed
    with pytest.raises(ConfigError) as caught:
        _sandbox(tmp_path, use_bubblewrap="always")._bubblewrap(True, None)
    assert caught.value.message == (
        "tool_execution.sandbox.use_bubblewrap is 'always' but bubblewrap cannot run here: "
        "bwrap is not installed"
    )
    assert caught.value.key == "tool_execution.sandbox.use_bubblewrap"
    assert probes == []
    found["bwrap"] = "/x/bwrap"
    assert _sandbox(tmp_path)._bubblewrap(True, "/x/unshare") == "/x/bwrap"
    assert probes == [_Plan(drop_uid=True, bubblewrap="/x/bwrap", unshare="/x/unshare")]
    verdict[0] = "bwrap: no permission"
    assert _sandbox(tmp_path)._bubblewrap(False, None) is None
    with pytest.raises(ConfigError, match=r"cannot run here: bwrap: no permission$"):
        _sandbox(tmp_path, use_bubblewrap="always")._bubblewrap(False, None)


def test_namespaces_are_probed_with_the_full_plan(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    probes: list[_Plan] = []

    def probe(self: Sandbox, plan: _Plan) -> None:
        probes.append(plan)

    monkeypatch.setattr(Sandbox, "_probe", probe)
    assert _sandbox(tmp_path)._namespaces_work("/x/unshare", True) is True
    assert probes == [_Plan(drop_uid=True, bubblewrap=None, unshare="/x/unshare", namespaces=True)]
    monkeypatch.setattr(Sandbox, "_probe", lambda self, plan: "denied")
    assert _sandbox(tmp_path)._namespaces_work("/x/unshare", False) is False


def test_probe_is_cached_and_a_failure_retried_after_a_minute(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(Sandbox, "_probe_cache", {})
    runs: list[tuple[Any, ...]] = []
    outcome: dict[str, Any] = {"exit": 1, "stderr": "  no namespaces \n"}

    def fake_run(self: Sandbox, command: Any, files: Any, limits: Any, plan: Any, _exe: str) -> Any:
        runs.append((command.argv, files, limits, plan))
        return SandboxResult(
            outcome["exit"], None, "", outcome["stderr"], False, False, False, [], "", True, None,
            0.0, 0.0, 0.0,
        )  # fmt: skip

    monkeypatch.setattr(Sandbox, "_run", fake_run)
    clock = [1000.0]
    monkeypatch.setattr(sandbox_module.time, "monotonic", lambda: clock[0])
    box = _sandbox(tmp_path)
    plan = _Plan(False, None, "/x/unshare", namespaces=True)
    assert box._probe(plan) == "no namespaces"
    assert runs[0][1:] == ({}, SandboxLimits(timeout_seconds=10), plan)
    assert runs[0][0] == [sandbox_module.sandbox_layers.find_executable("true")]
    clock[0] += 59.9
    assert box._probe(plan) == "no namespaces" and len(runs) == 1
    outcome.update(stderr="   ")
    clock[0] += 0.1
    assert box._probe(plan) == "exit code 1" and len(runs) == 2
    outcome.update(exit=0)
    clock[0] += 60
    assert box._probe(plan) is None and len(runs) == 3
    clock[0] += 10_000
    assert box._probe(plan) is None and len(runs) == 3, "a success is never probed again"
    other = Sandbox(FFToolSandboxConfigDTO(temp_root=str(tmp_path / "other")))
    assert other._probe(plan) is None and len(runs) == 4, "cached per temp root"

    def raising(*args: Any) -> Any:
        raise OSError("exec failed")

    monkeypatch.setattr(Sandbox, "_run", raising)
    assert box._probe(_Plan(True, None, None)) == "exec failed"


def test_probe_falls_back_to_bin_true(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(Sandbox, "_probe_cache", {})
    monkeypatch.setattr(sandbox_module.sandbox_layers, "find_executable", lambda name: None)
    seen: list[list[str]] = []

    def fake_run(self: Sandbox, command: Any, files: Any, limits: Any, plan: Any, exe: str) -> Any:
        seen.append([*command.argv, exe])
        raise OSError("stop")

    monkeypatch.setattr(Sandbox, "_run", fake_run)
    assert _sandbox(tmp_path)._probe(_Plan(False, None, None)) == "stop"
    assert seen == [["/bin/true", "/bin/true"]]


# -- input files ---------------------------------------------------------------------------
def test_input_file_count_and_size_limits(tmp_path: Path) -> None:
    box = _sandbox(tmp_path, max_input_files=2, max_file_size_mb=1)
    box.check_files({"a": "x", "b": b"y"})
    with pytest.raises(LimitExceeded) as caught:
        box.check_files({"a": "", "b": "", "c": ""})
    assert caught.value.message == "at most 2 input files" and caught.value.key == "files"
    box.check_files({"a": "x" * (1024 * 1024 - 1), "b": b"y"})  # exactly 1 MB
    with pytest.raises(LimitExceeded) as caught:
        box.check_files({"a": "é" * (512 * 1024), "b": b"y"})  # é is two bytes
    assert caught.value.message == "input files total 1048577 bytes, more than 1 MB"
    assert caught.value.key == "files"
    with pytest.raises(ValidationError, match=r"^content of file 'a' must be text$"):
        box.check_files({"a": 3})  # type: ignore[dict-item]


def test_input_file_names(tmp_path: Path) -> None:
    _check_file_name("a/b/c/d.txt")
    with pytest.raises(ValidationError, match=r"^input file 'a/b/c/d/e' is nested too deeply$"):
        _check_file_name("a/b/c/d/e")
    for bad in ("", None, 3):
        with pytest.raises(ValidationError, match=r"^input file names must be non-empty strings"):
            _check_file_name(bad)
    for bad in ("../x", "a/../b", "/abs", "a//b", "."):
        with pytest.raises(SecurityError) as caught:
            _check_file_name(bad)
        assert caught.value.message == f"Path {bad!r} is outside the sandbox directory"
        assert caught.value.key == "files" and caught.value.value == bad


def test_inputs_are_written_in_nested_private_folders(tmp_path: Path) -> None:
    written = _write_inputs(tmp_path, {"z.txt": "zz", "d/e/f.bin": b"\x00\x01"}, None)
    assert written == ["d/e/f.bin", "z.txt"]
    assert (tmp_path / "z.txt").read_text() == "zz"
    assert (tmp_path / "d" / "e" / "f.bin").read_bytes() == b"\x00\x01"
    assert (tmp_path / "d").stat().st_mode & 0o777 == 0o700
    assert (tmp_path / "d" / "e").stat().st_mode & 0o777 == 0o700
    with pytest.raises(FileExistsError):
        _write_inputs(tmp_path, {"z.txt": "again"}, None)


def test_inputs_are_given_to_the_sandbox_uid(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    owned: list[tuple[str, int, int]] = []
    monkeypatch.setattr(
        sandbox_module.os, "chown", lambda p, u, g: owned.append((os.fspath(p), u, g))
    )
    _write_inputs(tmp_path, {"a/b.txt": "x"}, 4242)
    assert owned == [(str(tmp_path / "a"), 4242, 4242), (str(tmp_path / "a" / "b.txt"), 4242, 4242)]


def test_path_operands_must_resolve_inside(tmp_path: Path) -> None:
    work = tmp_path / "work"
    work.mkdir()
    (work / "sub").mkdir()
    os.symlink(tmp_path, work / "out")
    _confine(str(work), [".", "sub", "sub/../sub", "missing.txt", "out/work"])
    outside = str(work) + "x"
    os.mkdir(outside)
    for operand in ("..", "out", "out/workx", "../workx"):
        with pytest.raises(SecurityError) as caught:
            _confine(str(work), [operand])
        assert caught.value.message.startswith(
            f"Path {operand!r} is outside the sandbox directory (resolves to "
        )
        assert caught.value.key == "args" and caught.value.value == operand


# -- limits --------------------------------------------------------------------------------
def test_limit_defaults() -> None:
    limits = SandboxLimits(timeout_seconds=5)
    assert (
        limits.cpu_seconds,
        limits.memory_mb,
        limits.file_size_mb,
        limits.open_files,
        limits.processes,
        limits.output_bytes,
    ) == (10, 100, 10, 100, 5, 1_048_576)


def test_rlimits_handed_to_the_child(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[tuple[int, tuple[int, int]]] = []
    monkeypatch.setattr(resource, "setrlimit", lambda which, value: calls.append((which, value)))
    limits = SandboxLimits(
        timeout_seconds=1, cpu_seconds=3, memory_mb=7, file_size_mb=2, open_files=9
    )
    _rlimit_setter(limits, 11)()
    mb = 1024 * 1024
    assert calls == [
        (resource.RLIMIT_CPU, (3, 4)),
        (resource.RLIMIT_FSIZE, (2 * mb, 2 * mb)),
        (resource.RLIMIT_NOFILE, (9, 9)),
        (resource.RLIMIT_NPROC, (11, 11)),
        (resource.RLIMIT_CORE, (0, 0)),
        (resource.RLIMIT_AS, (7 * mb, 7 * mb)),  # last: later allocations in the child may fail
    ]


def test_violations_from_fate_and_stderr() -> None:
    limits = SandboxLimits(timeout_seconds=1, cpu_seconds=10)
    assert _violations(False, False, None, 9.49, "", limits) == []
    assert _violations(False, False, None, 9.5, "", limits) == ["cpu_time"]
    assert _violations(True, True, signal.SIGXCPU, 0.0, "", limits) == [
        "wall_time",
        "output",
        "cpu_time",
    ]
    assert _violations(False, False, signal.SIGXFSZ, 0.0, "", limits) == ["file_size"]
    assert _violations(False, False, signal.SIGKILL, 0.0, "", limits) == []
    stderr = "File too large; out of memory; fork: retry; Too many open files"
    assert _violations(False, False, None, 0.0, stderr, limits) == [
        "file_size",
        "memory",
        "processes",
        "open_files",
    ]
    for marker in ("MemoryError", "Cannot allocate memory", "memory exhausted"):
        assert _violations(False, False, None, 0.0, marker, limits) == ["memory"]
    for marker in ("Resource temporarily unavailable", "BlockingIOError", "Cannot fork"):
        assert _violations(False, False, None, 0.0, marker, limits) == ["processes"]
