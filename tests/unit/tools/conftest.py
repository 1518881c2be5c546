"""Fixtures for the tool framework: a real store on tmp files, both managers, the audit log,
a sandbox temp root the sandbox uid can reach, and a spy on process creation.

Helpers are fixtures or ``Tools`` methods (test modules cannot import a sibling module under
``--import-mode=importlib``).
"""

from __future__ import annotations

import asyncio
import os
import shutil
import subprocess
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psutil
import pytest

from flatfile_chat import FFStorageManager, ManualClock
from flatfile_chat.audit import AuditLog
from flatfile_chat.config.loader import deep_merge
from flatfile_chat.tools import FFToolExecutionManager, FFToolRegistryManager
from flatfile_chat.tools import sandbox as sandbox_module
from flatfile_chat.tools.sandbox import Sandbox

USER = "alice"
ALL_CATEGORIES = [
    "computation",
    "web_access",
    "file_system",
    "database",
    "communication",
    "system",
    "custom",
]


def run(coro: Any) -> Any:
    return asyncio.run(coro)


@dataclass
class Tools:
    user = USER
    all_categories = ALL_CATEGORIES
    store: FFStorageManager
    registry: FFToolRegistryManager
    executor: FFToolExecutionManager
    audit: AuditLog
    clock: ManualClock
    root: Path
    sandbox_root: Path

    def execute(
        self, tool_id: str, parameters: dict[str, Any] | None = None, **request: Any
    ) -> Any:
        return run(
            self.executor.execute_tool(
                USER, {"tool_id": tool_id, "parameters": parameters or {}, **request}
            )
        )

    def history(self) -> list[dict[str, Any]]:
        return self.store.fs.read_jsonl(
            self.root / "users" / USER / "tools" / "execution_history.jsonl"
        )

    def tools_file(self, *parts: str) -> Path:
        return self.root.joinpath("users", USER, "tools", *parts)

    def sandbox_dirs(self) -> list[str]:
        return sorted(n for n in os.listdir(self.sandbox_root) if n.startswith("ffsbx_"))

    def set_policy(self, **changes: Any) -> None:
        run(self.registry.update_security_policy(USER, changes, changed_by="test"))

    def run(self, coro: Any) -> Any:
        return run(coro)


@pytest.fixture
def make_tools(make_store, sandbox_root: Path) -> Callable[..., Tools]:
    """Build ``Tools`` over one root per test (the factory closes the stores)."""
    root = make_store.new_root()
    made = 0

    def factory(
        tool_execution: dict[str, Any] | None = None, *, categories: list[str] | None = None
    ) -> Tools:
        nonlocal made
        section = deep_merge({"sandbox": {"temp_root": str(sandbox_root)}}, tool_execution or {})
        if categories is not None:
            section = deep_merge(section, {"security_policy": {"allowed_categories": categories}})
        clock = ManualClock("2026-01-01T09:00:00+00:00")
        # a second manager over the same root gets its own id sequence and clock (like a new
        # process)
        made += 1
        store = make_store(root=root, seed=made, clock=clock, overrides={"tool_execution": section})
        if not run(store.user_exists(USER)):
            run(store.create_user(USER))
        audit = AuditLog(store.ctx)
        registry = FFToolRegistryManager(store, audit=audit)
        executor = FFToolExecutionManager(store, registry, audit=audit)
        run(registry.initialize_user_tools(USER))
        return Tools(store, registry, executor, audit, clock, root, sandbox_root)

    return factory


@pytest.fixture
def tools(make_tools: Callable[..., Tools]) -> Tools:
    """Every category allowed, so each test opts into the refusal it exercises."""
    return make_tools(categories=ALL_CATEGORIES)


@pytest.fixture
def spawn_spy(monkeypatch: pytest.MonkeyPatch) -> list[list[str]]:
    """Records every process the sandbox creates (argv), and still creates it."""
    calls: list[list[str]] = []
    real = subprocess.Popen

    def spy(argv: list[str], *args: Any, **kwargs: Any) -> Any:
        calls.append(list(argv))
        return real(argv, *args, **kwargs)

    monkeypatch.setattr(sandbox_module.subprocess, "Popen", spy)
    return calls


def bubblewrap_usable(sandbox_root: Path) -> bool:
    from flatfile_chat.config.tools import FFToolSandboxConfigDTO

    config = FFToolSandboxConfigDTO(temp_root=str(sandbox_root), use_bubblewrap="auto")
    return "bubblewrap" in Sandbox(config).layers()


@pytest.fixture(params=["bubblewrap", "pid_namespace", "plain"])
def layer(request: pytest.FixtureRequest, sandbox_root: Path) -> str:
    """Each isolation layer in turn (skipped where it cannot run)."""
    layer_config(request.param, sandbox_root)
    return request.param


@pytest.fixture
def layer_settings(layer: str, sandbox_root: Path) -> dict[str, Any]:
    return layer_config(layer, sandbox_root)


def layer_config(layer: str, sandbox_root: Path) -> dict[str, Any]:
    """Sandbox settings that select one isolation layer (skips if it cannot run here)."""
    if layer == "bubblewrap" and not bubblewrap_usable(sandbox_root):
        pytest.skip(
            "bubblewrap is not usable here (apt-get install bubblewrap; needs "
            "unprivileged user namespaces)"
        )
    if layer == "pid_namespace" and (os.geteuid() != 0 or shutil.which("unshare") is None):
        pytest.skip("the pid-namespace layer needs root and util-linux unshare")
    return {
        "use_bubblewrap": "always" if layer == "bubblewrap" else "never",
        "use_pid_namespace": "never" if layer == "plain" else "auto",
    }


def unique_seconds(whole: int) -> str:
    """A ``sleep`` argument no other process on this machine has: ``whole`` seconds and a
    random fraction, so a :class:`ProcessWatcher` (which sees the whole machine) finds only
    this test's processes, not those of the same test in the other xdist worker or in another
    run. uuid4, not ``random``: pytest-randomly seeds ``random`` alike in every worker."""
    return f"{whole}.{uuid.uuid4().int % 10**9:09d}"


@pytest.fixture
def unique_sleep() -> Callable[[int], str]:
    return unique_seconds


class ProcessWatcher:
    """Polls the process table in a thread and remembers pids whose argv equals ``argv``
    (anywhere on the machine: give the watched commands :func:`unique_seconds` arguments)."""

    def __init__(self, *argvs: list[str]) -> None:
        self.argvs = [list(a) for a in argvs]
        self.seen: set[int] = set()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._poll, daemon=True)

    def _poll(self) -> None:
        while not self._stop.is_set():
            for proc in psutil.process_iter(["cmdline"]):
                if (proc.info.get("cmdline") or []) in self.argvs:
                    self.seen.add(proc.pid)
            time.sleep(0.02)

    def __enter__(self) -> ProcessWatcher:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

    def alive(self, within: float = 5.0) -> list[int]:
        """Seen pids still running after waiting up to ``within`` s (zombies count as gone:
        they run nothing, and init reaps them)."""
        deadline = time.monotonic() + within
        while True:
            running = [pid for pid in sorted(self.seen) if _running(pid)]
            if not running or time.monotonic() > deadline:
                return running
            time.sleep(0.05)


def _running(pid: int) -> bool:
    try:
        return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False


@pytest.fixture
def watch_processes() -> Callable[..., ProcessWatcher]:
    return ProcessWatcher


@pytest.fixture
def processes_of_uid() -> Callable[[int], list[int]]:
    def live(uid: int) -> list[int]:
        found = []
        for proc in psutil.process_iter(["uids", "status"]):
            uids = proc.info.get("uids")
            if (
                uids is not None
                and uids.real == uid
                and proc.info.get("status") != psutil.STATUS_ZOMBIE
            ):
                found.append(proc.pid)
        return found

    return live
