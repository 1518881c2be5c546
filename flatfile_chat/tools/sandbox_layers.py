"""Argument vectors for the isolation layers wrapped around a vetted command.

- ``bubblewrap``: new user/pid/net/ipc/uts/cgroup/mount namespaces; only ``/usr`` (read-only),
  a fresh ``/proc``, ``/dev``, ``/tmp`` and the sandbox dir are visible; bwrap's own pid-1
  reaps orphans and the namespace dies with it (``--die-with-parent``), so nothing survives.
- ``pid_namespace`` (root only): util-linux ``unshare --pid --fork --kill-child`` with
  ``--setuid/--setgid`` to the sandbox uid, around the command or around bwrap. When its
  pid 1 ends or is killed, the kernel kills and reaps everything else in the namespace. Around
  bwrap it also catches bwrap's own intermediate process, which unprivileged bwrap leaves to
  init to reap (measured: one zombie per run otherwise, holding the uid's process budget).
- neither: just the command (process group + rlimits + a sweep of the sandbox uid).
"""

from __future__ import annotations

import os
import shutil

SAFE_PATH = "/usr/bin:/bin"
_TOP_LEVEL = ("/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32")


def find_executable(name: str) -> str | None:
    """Absolute path of ``name`` on the minimal PATH only (never the caller's PATH)."""
    return shutil.which(name, path=SAFE_PATH)


def bwrap_argv(bwrap: str, sandbox_dir: str, argv: list[str]) -> list[str]:
    wrapped = [bwrap, "--unshare-all", "--die-with-parent", "--ro-bind", "/usr", "/usr"]
    for top in _TOP_LEVEL:
        if os.path.islink(top):
            wrapped += ["--symlink", os.readlink(top), top]
        elif os.path.isdir(top):
            wrapped += ["--ro-bind", top, top]
    wrapped += ["--proc", "/proc", "--dev", "/dev", "--tmpfs", "/tmp",
                "--bind", sandbox_dir, sandbox_dir, "--chdir", sandbox_dir, "--", *argv]
    return wrapped


def unshare_argv(unshare: str, argv: list[str], uid: int | None) -> list[str]:
    wrapped = [unshare, "--pid", "--fork", "--kill-child"]
    if uid is not None:
        wrapped += ["--setuid", str(uid), "--setgid", str(uid)]
    return [*wrapped, "--", *argv]
