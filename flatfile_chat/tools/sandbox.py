"""The OS sandbox for subprocess tools.

Per execution: a fresh temp dir (the cwd; removed afterwards), input files written into it,
a scrubbed environment, ``shell=False`` with a vetted argument vector, a new session (own
process group, killed with SIGKILL on timeout/overflow and after the leader exits), rlimits
set in ``preexec_fn`` (CPU, address space, file size, open files, processes, no core dumps),
and — when we are root — a per-execution unprivileged uid, because root ignores RLIMIT_NPROC.
Around that, the strongest available wrapper: bubblewrap, else (root) new pid, mount, network,
ipc and uts namespaces with a private /proc and private tmp folders via ``unshare`` (probed
once; if that fails, a pid namespace alone), else nothing. ``SandboxResult.layers`` says which
ones actually ran. An interpreter (``python3``, ``sh`` ...) runs arbitrary code, so it is
refused unless bubblewrap or the namespaces run (tracker issue 12: under the uid drop alone,
such code wrote to /tmp and /dev/shm, reached 127.0.0.1 and read other processes' /proc);
``allow_interpreters_without_isolation`` overrides that.

The temp dir lives outside the store root on purpose: it is a scratch workspace for an
untrusted process (not data), and the sandbox uid must be able to reach it.
"""

from __future__ import annotations

import os
import resource
import shutil
import signal
import subprocess
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import ClassVar

from flatfile_chat.config.tools import FFToolSandboxConfigDTO
from flatfile_chat.errors import ConfigError, LimitExceeded, SecurityError, ValidationError
from flatfile_chat.storage.paths import validate_component
from flatfile_chat.tools import sandbox_layers
from flatfile_chat.tools.commands import ValidatedCommand
from flatfile_chat.tools.process_io import communicate, kill_group
from flatfile_chat.tools.uid_pool import UidPool, UidSlot, real_uid_pids, sweep

_MB = 1024 * 1024
# Uids are a machine-wide resource: one pool for every sandbox on this host, whatever its
# temp_root, so two stores (or xdist workers) never run commands as the same uid.
UID_LOCK_DIR = Path(tempfile.gettempdir()) / ".ff_sandbox_uids"


@dataclass(frozen=True)
class SandboxLimits:
    timeout_seconds: float
    cpu_seconds: int = 10
    memory_mb: int = 100
    file_size_mb: int = 10
    open_files: int = 100
    processes: int = 5  # alive at once, the command itself included
    output_bytes: int = 1_048_576


@dataclass(frozen=True)
class _Plan:
    drop_uid: bool
    bubblewrap: str | None  # path of bwrap when that layer runs
    unshare: str | None  # path of unshare when the pid-namespace layer runs
    namespaces: bool = False  # unshare also makes mount/net/ipc/uts ns, private proc/tmp

    def layers(self) -> list[str]:
        names = ["argv_policy", "scrubbed_env", "temp_dir", "process_group", "rlimits"]
        if self.drop_uid:
            names.append("uid_drop")
        if self.unshare:
            names.append("pid_namespace")
        if self.namespaces:
            names += sandbox_layers.NAMESPACE_LAYERS
        if self.bubblewrap:
            names.append("bubblewrap")
        if self.drop_uid:
            names.append("uid_sweep")  # after every run, under any other layer
        return names

    def missing_isolation(self) -> list[str]:
        """The layers an interpreter needs that will not run; empty when isolated."""
        if self.bubblewrap or self.namespaces:
            return []
        needed = ["pid_namespace", *sandbox_layers.NAMESPACE_LAYERS]
        return [name for name in needed if name not in self.layers()]


@dataclass
class SandboxResult:
    exit_code: int | None
    signal: int | None
    stdout: str
    stderr: str
    ok: bool
    timed_out: bool
    output_limited: bool
    layers: list[str]
    sandbox_dir: str
    sandbox_dir_removed: bool
    uid: int | None
    wall_seconds: float
    cpu_seconds: float
    max_rss_mb: float
    resource_violations: list[str] = field(default_factory=list)
    breaches: list[str] = field(default_factory=list)
    argv: list[str] = field(default_factory=list)
    files: list[str] = field(default_factory=list)


class Sandbox:
    # (plan, temp root) -> (problem or None, monotonic time of the probe)
    _probe_cache: ClassVar[dict[tuple[_Plan, str], tuple[str | None, float]]] = {}
    _probe_lock: ClassVar[threading.Lock] = threading.Lock()
    _PROBE_RETRY_SECONDS = 60.0  # a failed probe is retried after this long

    def __init__(self, config: FFToolSandboxConfigDTO, *, cleanup: bool = True) -> None:
        self.config = config
        self.cleanup = cleanup
        self.temp_root = Path(config.temp_root or tempfile.gettempdir())
        self.is_root = os.geteuid() == 0
        self._uids = UidPool(UID_LOCK_DIR, config.uid_base, config.uid_pool_size)

    @property
    def uid_lock_dir(self) -> Path:
        """The machine-wide folder of the uid pool's lock files (the one place outside
        ``temp_root`` the sandbox writes to; a harness that audits writes must allow it)."""
        return self._uids.lock_dir

    # -- planning ------------------------------------------------------------------------
    def plan(self) -> _Plan:
        drop = self.is_root and self.config.drop_privileges
        unshare = self._unshare()
        bubblewrap = self._bubblewrap(drop, unshare)
        namespaces = (
            bubblewrap is None and unshare is not None and self._namespaces_work(unshare, drop)
        )
        return _Plan(drop_uid=drop, bubblewrap=bubblewrap, unshare=unshare, namespaces=namespaces)

    def _unshare(self) -> str | None:
        """As root, the command (or bwrap) runs in a pid namespace of its own: when it ends,
        the kernel kills and reaps everything left inside, so nothing is orphaned to init."""
        if not self.is_root or self.config.use_pid_namespace != "auto":
            return None
        return sandbox_layers.find_executable("unshare")

    def _namespaces_work(self, unshare: str, drop: bool) -> bool:
        """Whether the full namespace layer runs here (a container may forbid mounts or new
        network namespaces); if not, the pid namespace alone is used, as before."""
        return (
            self._probe(_Plan(drop_uid=drop, bubblewrap=None, unshare=unshare, namespaces=True))
            is None
        )

    def layers(self) -> list[str]:
        return self.plan().layers()

    def _bubblewrap(self, drop: bool, unshare: str | None) -> str | None:
        mode = self.config.use_bubblewrap
        if mode == "never":
            return None
        path = sandbox_layers.find_executable("bwrap")
        problem = (
            "bwrap is not installed"
            if path is None
            else self._probe(_Plan(drop_uid=drop, bubblewrap=path, unshare=unshare))
        )
        if problem is None:
            return path
        if mode == "always":
            raise ConfigError(
                f"tool_execution.sandbox.use_bubblewrap is 'always' but "
                f"bubblewrap cannot run here: {problem}",
                key="tool_execution.sandbox.use_bubblewrap",
            )
        return None

    def _probe(self, plan: _Plan) -> str | None:
        """Run ``true`` under ``plan`` once per (plan, temp root); None if it works."""
        key = (plan, str(self.temp_root))
        with self._probe_lock:
            cached = self._probe_cache.get(key)
            if cached is not None and (
                cached[0] is None or time.monotonic() - cached[1] < self._PROBE_RETRY_SECONDS
            ):
                return cached[0]
        true = sandbox_layers.find_executable("true") or "/bin/true"
        probe = ValidatedCommand(
            command="true", argv=[true], path_operands=[], ok_exit_codes=frozenset({0})
        )
        try:
            result = self._run(probe, {}, SandboxLimits(timeout_seconds=10), plan, true)
            problem = (
                None
                if result.exit_code == 0
                else (result.stderr.strip() or f"exit code {result.exit_code}")
            )
        except OSError as exc:
            problem = str(exc)
        with self._probe_lock:
            self._probe_cache[key] = (problem, time.monotonic())
        return problem

    # -- running -------------------------------------------------------------------------
    def run(
        self, command: ValidatedCommand, files: dict[str, str | bytes], limits: SandboxLimits
    ) -> SandboxResult:
        """Run a command already vetted by :class:`CommandPolicy`."""
        executable = sandbox_layers.find_executable(command.command)
        if executable is None:
            raise ValidationError(
                f"Command {command.command} is not installed "
                f"(looked in {sandbox_layers.SAFE_PATH})",
                key="command",
            )
        self.check_files(files)
        plan = self.plan()
        self._check_isolation(command.command, executable, plan)
        return self._run(command, files, limits, plan, executable)

    def _check_isolation(self, command: str, executable: str, plan: _Plan) -> None:
        """Refuse an interpreter that would run with the host's network, tmp folders and
        /proc in reach (SecurityError naming the command and the missing layers). Root
        inside the namespaces could simply unmount the private /tmp and /proc, so as root
        the uid drop is required too."""
        if self.config.allow_interpreters_without_isolation:
            return
        missing = plan.missing_isolation()
        if self.is_root and not plan.drop_uid:
            missing.append("uid_drop")
        if missing and sandbox_layers.is_interpreter(command, executable):
            raise SecurityError(
                f"Command {command} runs arbitrary code and is refused without isolation: "
                f"missing layers {', '.join(missing)}"
                f"{'' if plan.bubblewrap else ' and bubblewrap does not run either'} "
                f"(the namespaces need root and util-linux unshare). Set tool_execution."
                f"sandbox.allow_interpreters_without_isolation to run it anyway",
                key="command",
                value=command,
                missing_layers=missing,
            )

    def check_files(self, files: dict[str, str | bytes]) -> None:
        if len(files) > self.config.max_input_files:
            raise LimitExceeded(f"at most {self.config.max_input_files} input files", key="files")
        total = 0
        for name, content in files.items():
            _check_file_name(name)
            if not isinstance(content, str | bytes):
                raise ValidationError(f"content of file {name!r} must be text", key="files")
            total += len(content.encode() if isinstance(content, str) else content)
        if total > self.config.max_file_size_mb * _MB:
            raise LimitExceeded(
                f"input files total {total} bytes, more than {self.config.max_file_size_mb} MB",
                key="files",
            )

    def _run(
        self,
        command: ValidatedCommand,
        files: dict[str, str | bytes],
        limits: SandboxLimits,
        plan: _Plan,
        executable: str,
    ) -> SandboxResult:
        slot: UidSlot | None = self._uids.claim() if plan.drop_uid else None
        uid = slot.uid if slot is not None else None
        workdir: str | None = None
        try:
            self.temp_root.mkdir(parents=True, exist_ok=True)
            workdir = tempfile.mkdtemp(prefix="ffsbx_", dir=self.temp_root)
            if uid is not None:
                os.chown(workdir, uid, uid)
            written = _write_inputs(Path(workdir), files, uid)
            _confine(workdir, command.path_operands)
            result = self._spawn(command, executable, limits, plan, workdir, uid, written)
        finally:
            if workdir is not None and self.cleanup:
                shutil.rmtree(workdir, ignore_errors=True)
            if slot is not None:
                slot.release()
        return replace(result, sandbox_dir_removed=not os.path.exists(workdir))

    def _spawn(
        self,
        command: ValidatedCommand,
        executable: str,
        limits: SandboxLimits,
        plan: _Plan,
        workdir: str,
        uid: int | None,
        written: list[str],
    ) -> SandboxResult:
        argv = [executable, *command.argv[1:]]
        popen_uid: int | None = None  # Popen switches to it when no layer sets the uid
        if plan.bubblewrap:
            argv = sandbox_layers.bwrap_argv(plan.bubblewrap, workdir, argv)
        if plan.unshare and plan.namespaces:
            argv = sandbox_layers.namespaces_argv(
                plan.unshare, argv, uid, workdir, limits.file_size_mb
            )  # sets the uid
        elif plan.unshare:
            argv = sandbox_layers.unshare_argv(plan.unshare, argv, uid)  # sets the uid
        elif uid is not None:
            popen_uid = uid
        overhead = 2 if plan.bubblewrap else 0  # bwrap + its pid-1 reaper
        nproc = limits.processes + overhead
        if uid is None:
            nproc += len(real_uid_pids(os.getuid()))  # not root: the limit is per uid
        env = {
            "PATH": sandbox_layers.SAFE_PATH,
            "LANG": "C.UTF-8",
            "LC_ALL": "C.UTF-8",
            "HOME": workdir,
            "TMPDIR": workdir,
        }
        proc = subprocess.Popen(  # argv vetted by CommandPolicy; never a shell
            argv,
            cwd=workdir,
            env=env,
            shell=False,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            close_fds=True,
            start_new_session=True,
            umask=0o077,
            preexec_fn=_rlimit_setter(limits, nproc),
            user=popen_uid,
            group=popen_uid,
            extra_groups=None if popen_uid is None else [],
        )
        try:
            outcome = communicate(
                proc, timeout=limits.timeout_seconds, max_output=limits.output_bytes
            )
        except BaseException:
            kill_group(proc.pid)
            raise
        breaches = []
        if uid is not None:  # whatever the layers: nothing of this uid may outlive the run
            breaches = [
                f"process {pid} left the process group and was killed" for pid in sweep(uid)
            ]
        stderr = outcome.stderr.decode("utf-8", "replace")
        exit_code, sig = outcome.exit_code, outcome.signal
        if plan.bubblewrap and exit_code is not None and 128 < exit_code < 128 + 65:
            sig = exit_code - 128  # bwrap reports a signal as 128 + n
            exit_code = None
        ok = (
            exit_code in command.ok_exit_codes
            and not outcome.timed_out
            and not outcome.output_limited
        )
        return SandboxResult(
            exit_code=exit_code,
            signal=sig,
            stdout=outcome.stdout.decode("utf-8", "replace"),
            stderr=stderr,
            ok=ok,
            timed_out=outcome.timed_out,
            output_limited=outcome.output_limited,
            layers=plan.layers(),
            sandbox_dir=workdir,
            sandbox_dir_removed=False,
            uid=uid,
            wall_seconds=outcome.wall_seconds,
            cpu_seconds=outcome.cpu_seconds,
            max_rss_mb=round(outcome.max_rss_kb / 1024, 3),
            resource_violations=_violations(
                outcome.timed_out, outcome.output_limited, sig, outcome.cpu_seconds, stderr, limits
            ),
            breaches=breaches,
            argv=argv,
            files=written,
        )


def _rlimit_setter(limits: SandboxLimits, nproc: int) -> Callable[[], None]:
    # The address-space limit goes last: once it is below the parent's size (a big test or
    # server process), any allocation the child's Python still makes may fail.
    settings = [
        (resource.RLIMIT_CPU, (limits.cpu_seconds, limits.cpu_seconds + 1)),
        (resource.RLIMIT_FSIZE, (limits.file_size_mb * _MB,) * 2),
        (resource.RLIMIT_NOFILE, (limits.open_files,) * 2),
        (resource.RLIMIT_NPROC, (nproc, nproc)),
        (resource.RLIMIT_CORE, (0, 0)),
        (resource.RLIMIT_AS, (limits.memory_mb * _MB,) * 2),
    ]

    def set_limits() -> None:  # runs in the child between fork and exec: keep it tiny
        for which, value in settings:
            resource.setrlimit(which, value)

    return set_limits


def _check_file_name(name: object) -> None:
    if not isinstance(name, str) or not name:
        raise ValidationError("input file names must be non-empty strings", key="files")
    parts = name.split("/")
    if len(parts) > 4:
        raise ValidationError(f"input file {name!r} is nested too deeply", key="files")
    for part in parts:
        try:
            validate_component(part)
        except SecurityError:
            raise SecurityError(
                f"Path {name!r} is outside the sandbox directory", key="files", value=name
            ) from None


def _write_inputs(root: Path, files: dict[str, str | bytes], uid: int | None) -> list[str]:
    for name, content in files.items():
        target = root.joinpath(*name.split("/"))
        for parent in reversed(target.relative_to(root).parents[:-1]):
            folder = root / parent
            if not folder.exists():
                folder.mkdir(mode=0o700)
                if uid is not None:
                    os.chown(folder, uid, uid)
        data = content.encode("utf-8") if isinstance(content, str) else content
        with open(target, "xb") as fh:  # workspace file, not store data
            fh.write(data)
        if uid is not None:
            os.chown(target, uid, uid)
    return sorted(files)


def _confine(workdir: str, operands: list[str]) -> None:
    """Resolve each path operand for real (symlinks included): it must stay inside."""
    root = os.path.realpath(workdir)
    for operand in operands:
        real = os.path.realpath(os.path.join(root, operand))
        if real != root and not real.startswith(root + os.sep):
            raise SecurityError(
                f"Path {operand!r} is outside the sandbox directory (resolves to {real})",
                key="args",
                value=operand,
            )


_MEMORY_MARKERS = ("MemoryError", "Cannot allocate memory", "memory exhausted", "out of memory")
_PROCESS_MARKERS = (
    "Resource temporarily unavailable",
    "BlockingIOError",
    "fork: retry",
    "Cannot fork",
)


def _violations(
    timed_out: bool,
    output_limited: bool,
    sig: int | None,
    cpu: float,
    stderr: str,
    limits: SandboxLimits,
) -> list[str]:
    """Which limit the process hit, from its fate and (heuristically) its error output."""
    found = []
    if timed_out:
        found.append("wall_time")
    if output_limited:
        found.append("output")
    if sig == signal.SIGXCPU or cpu >= limits.cpu_seconds * 0.95:  # or the hard-limit KILL
        found.append("cpu_time")
    if sig == signal.SIGXFSZ or "File too large" in stderr:
        found.append("file_size")
    if any(marker in stderr for marker in _MEMORY_MARKERS):
        found.append("memory")
    if any(marker in stderr for marker in _PROCESS_MARKERS):
        found.append("processes")
    if "Too many open files" in stderr:
        found.append("open_files")
    return found
