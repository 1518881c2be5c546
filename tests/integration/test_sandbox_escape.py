"""Escape attempts from inside the sandbox (tracker issue 12), with ``python3`` allowed.

An outside probe ran code in the uid-drop + pid-namespace layers and wrote to /tmp and
/dev/shm, connected to 127.0.0.1, read other processes' command lines through /proc, and read
other users' chats. Each test here runs one such attempt as a sandboxed Python program and
checks, from the host side, that it failed. The layer under test is the ``unshare`` one
(bubblewrap is switched off, so the result does not depend on whether bwrap is installed).
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import socket
import subprocess
import tempfile
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from flatfile_chat.config.tools import FFToolSandboxConfigDTO
from flatfile_chat.tools.commands import ValidatedCommand
from flatfile_chat.tools.sandbox import Sandbox, SandboxLimits, SandboxResult

UNSHARE = shutil.which("unshare", path="/usr/bin:/bin")
# Where the 0700 "store" of the uid test lives: a root-owned o+x folder that is not one of the
# folders the sandbox replaces with a private tmpfs, so the sandbox sees the same tree we do.
VISIBLE_PARENT = Path("/run")


def _namespaces_work() -> bool:
    """Can this host make the namespaces at all? (Checked without the code under test.)"""
    if UNSHARE is None:
        return False
    probe = subprocess.run(
        [UNSHARE, "--pid", "--fork", "--mount", "--net", "--ipc", "--uts", "--mount-proc", "true"],
        capture_output=True,
        check=False,
    )
    return probe.returncode == 0


pytestmark = [
    pytest.mark.skipif(
        os.geteuid() != 0,
        reason="the namespace layers and the uid drop "
        "run only as root (run the suite as root to exercise them)",
    ),
    pytest.mark.skipif(UNSHARE is None, reason="util-linux unshare is not installed"),
    pytest.mark.skipif(
        os.geteuid() == 0 and UNSHARE is not None and not _namespaces_work(),
        reason="unshare cannot create pid/mount/net namespaces here "
        "(container without CAP_SYS_ADMIN or seccomp blocks unshare)",
    ),
]


RunPython = Callable[[str], tuple[SandboxResult, dict[str, Any]]]


@pytest.fixture
def run_python(sandbox_root: Path) -> RunPython:
    """Run a Python program as ``python3 escape.py`` in the sandbox; its JSON report."""

    def run(source: str) -> tuple[SandboxResult, dict[str, Any]]:
        config = FFToolSandboxConfigDTO(
            temp_root=str(sandbox_root),
            allowed_commands=["python3"],
            use_bubblewrap="never",
            use_pid_namespace="auto",
        )
        command = ValidatedCommand(
            "python3", ["python3", "escape.py"], ["escape.py"], frozenset({0})
        )
        result = Sandbox(config).run(
            command, {"escape.py": source}, SandboxLimits(timeout_seconds=20)
        )
        assert result.exit_code == 0, result.stderr
        return result, json.loads(result.stdout)

    return run


def _attempt(code: str) -> str:
    """Python source for the sandbox: run ``code``; report 'ok: ...' or the error."""
    return (
        "import json, os, socket, sys\n"
        "def attempt(action):\n"
        "    try:\n"
        "        return 'ok: ' + str(action())\n"
        "    except Exception as exc:\n"
        "        return f'failed: {type(exc).__name__}: {exc}'\n" + code
    )


def _mount_table() -> list[str]:
    with open("/proc/self/mountinfo") as fh:
        return sorted(line.split(" - ")[0].split(" ", 4)[4] for line in fh)


def test_writes_to_tmp_and_shm_stay_inside(run_python: RunPython, sandbox_root: Path) -> None:
    """Absolute paths, and one relative path up from the work folder (which lives in the
    host's /tmp: ``..`` must not lead back there)."""
    name = f"ffsbx-escape-{uuid.uuid4().hex}"
    targets = [
        Path(folder) / name for folder in ("/tmp", "/dev/shm", "/var/tmp") if os.path.isdir(folder)
    ]
    upward = os.path.relpath(f"/tmp/{name}-up", sandbox_root / "ffsbx_work")
    targets.append(Path(f"/tmp/{name}-up"))
    mounts_before = _mount_table()
    try:
        result, report = run_python(
            _attempt(
                f"paths = {[str(t) for t in targets[:-1]] + [upward]!r}\n"
                "print(json.dumps({p: attempt(lambda p=p: open(p, 'w').write('escaped'))"
                " for p in paths}))\n"
            )
        )
        leaked = [str(t) for t in targets if t.exists()]
    finally:
        for target in targets:
            with contextlib.suppress(FileNotFoundError):
                target.unlink()
    assert leaked == [], f"the sandbox wrote host files: {leaked} ({report})"
    assert {"mount_namespace", "private_tmp"} <= set(result.layers)
    assert _mount_table() == mounts_before, "a sandbox mount leaked into the host"


def test_cannot_connect_to_host_loopback(run_python: RunPython) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as server:
        server.bind(("127.0.0.1", 0))
        server.listen(8)
        server.setblocking(False)
        port = server.getsockname()[1]
        result, report = run_python(
            _attempt(
                "s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)\n"
                "s.settimeout(3)\n"
                f"target = ('127.0.0.1', {port})\n"
                "print(json.dumps({'connect': attempt(lambda: s.connect(target))}))\n"
            )
        )
        with pytest.raises(BlockingIOError):
            server.accept()
    assert report["connect"].startswith("failed:"), report
    assert "net_namespace" in result.layers


def test_cannot_reach_host_abstract_unix_socket(run_python: RunPython) -> None:
    """Abstract unix sockets have no file mode: only the network namespace separates them."""
    address = f"\0ffsbx-escape-{uuid.uuid4().hex}"
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as server:
        server.bind(address)
        server.listen(8)
        server.setblocking(False)
        _, report = run_python(
            _attempt(
                "s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)\n"
                "s.settimeout(3)\n"
                f"print(json.dumps({{'connect': attempt(lambda: s.connect({address!r}))}}))\n"
            )
        )
        with pytest.raises(BlockingIOError):
            server.accept()
    assert report["connect"].startswith("failed:"), report


def test_host_processes_are_invisible(run_python: RunPython) -> None:
    marker = f"{uuid.uuid4().int % 10**6}.4242"
    host = subprocess.Popen(["sleep", marker])
    try:
        with open("/proc/1/cmdline", "rb") as fh:
            host_init = fh.read().decode(errors="replace")
        result, report = run_python(
            _attempt(
                "pids = sorted(int(p) for p in os.listdir('/proc') if p.isdigit())\n"
                "def cmdlines():\n"
                "    found = []\n"
                "    for pid in pids:\n"
                "        try:\n"
                "            found.append(open(f'/proc/{pid}/cmdline', 'rb').read().decode())\n"
                "        except OSError:\n"
                "            pass\n"
                "    return found\n"
                "print(json.dumps({'pids': pids, 'cmdlines': cmdlines(), 'self': os.getpid(),\n"
                f"    'host': attempt(lambda: open('/proc/{host.pid}/cmdline', 'rb').read()),\n"
                "    'init': open('/proc/1/cmdline', 'rb').read().decode()}))\n"
            )
        )
    finally:
        host.kill()
        host.wait()
    assert not any(marker in line for line in report["cmdlines"]), "host cmdline visible"
    assert not report["host"].startswith("ok:") or marker not in report["host"]
    assert report["pids"] == [report["self"]] == [1], report["pids"]
    assert "escape.py" in report["init"] and report["init"] != host_init
    assert "private_proc" in result.layers


@pytest.fixture
def root_only_store() -> Iterator[Path]:
    """A 0700 root-owned folder holding a 0600 chat file, next to a world-readable control."""
    if not (VISIBLE_PARENT.is_dir() and VISIBLE_PARENT.stat().st_mode & 0o001):
        pytest.skip(f"{VISIBLE_PARENT} is not traversable by other uids here")
    base = Path(tempfile.mkdtemp(prefix="ffsbx-store-", dir=VISIBLE_PARENT))
    try:
        base.chmod(0o755)
        (base / "public.txt").write_text("control")
        (base / "public.txt").chmod(0o644)
        store = base / "users"
        store.mkdir(mode=0o700)
        (store / "chat.jsonl").write_text("secret chat")
        (store / "chat.jsonl").chmod(0o600)
        yield base
    finally:
        shutil.rmtree(base, ignore_errors=True)


def test_sandbox_uid_cannot_read_root_only_files(
    run_python: RunPython, root_only_store: Path
) -> None:
    result, report = run_python(
        _attempt(
            f"base = {str(root_only_store)!r}\n"
            "print(json.dumps({\n"
            "    'control': attempt(lambda: open(base + '/public.txt').read()),\n"
            "    'list': attempt(lambda: os.listdir(base + '/users')),\n"
            "    'read': attempt(lambda: open(base + '/users/chat.jsonl').read())}))\n"
        )
    )
    assert report["control"] == "ok: control", "the folder must be visible for this test"
    assert report["list"].startswith("failed: PermissionError"), report
    assert report["read"].startswith("failed: PermissionError"), report
    assert "secret chat" not in result.stdout
    assert "uid_drop" in result.layers and result.uid is not None


def test_a_process_that_leaves_its_session_dies_with_the_timeout(sandbox_root: Path) -> None:
    """setsid() leaves the process group the timeout kills, and changing uid clears the
    parent-death signal of unshare --kill-child: neither may let the program outlive its run."""
    import time

    from flatfile_chat.tools.uid_pool import real_uid_pids

    config = FFToolSandboxConfigDTO(
        temp_root=str(sandbox_root),
        allowed_commands=["python3"],
        use_bubblewrap="never",
        use_pid_namespace="auto",
    )
    source = (
        "import os, sys, time\n"
        "os.setsid()\n"
        "sys.stdout.close(); sys.stderr.close(); os.close(1); os.close(2)\n"
        "time.sleep(60)\n"
    )
    command = ValidatedCommand("python3", ["python3", "escape.py"], ["escape.py"], frozenset({0}))
    result = Sandbox(config).run(command, {"escape.py": source}, SandboxLimits(timeout_seconds=2))
    assert result.timed_out and result.uid is not None

    def running() -> list[int]:
        found = []
        for pid in real_uid_pids(result.uid):
            with contextlib.suppress(FileNotFoundError):  # gone since it was listed
                if "Z" not in Path(f"/proc/{pid}/stat").read_text().split()[2]:
                    found.append(pid)
        return found

    # a killed process takes a moment to die, longer on a busy machine; one left running
    # (sleep 60) is still there after 10 s
    deadline = time.monotonic() + 10
    while (alive := running()) and time.monotonic() < deadline:
        time.sleep(0.05)
    for pid in alive:  # do not leave it running if the test fails
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, 9)
    assert not alive, f"sandbox processes survived the timeout: {alive}"


def test_message_queues_stay_in_the_sandbox(run_python: RunPython) -> None:
    """A mounted mqueue file system belongs to the host's ipc namespace: a queue made through
    it would be shared with the host, so the sandbox gets its own."""
    mount = Path(tempfile.mkdtemp(prefix="ffmq-", dir="/run"))
    name = f"ffsbx-{uuid.uuid4().hex[:8]}"
    subprocess.run(["mount", "-t", "mqueue", "ffmq-test", str(mount)], check=True)
    try:
        _, report = run_python(
            "import json, os\n"
            f"fd = os.open({str(mount / name)!r}, os.O_CREAT | os.O_RDWR, 0o666)\n"
            "print(json.dumps({'created': True}))\n"
        )
        assert report == {"created": True}
        assert name not in os.listdir(mount), "the queue landed in the host's namespace"
    finally:
        with contextlib.suppress(FileNotFoundError):
            (mount / name).unlink()
        subprocess.run(["umount", str(mount)], check=False)
        mount.rmdir()
