"""Argument vectors for the isolation layers wrapped around a vetted command, and which
commands may not run without them.

- ``bubblewrap``: new user/pid/net/ipc/uts/cgroup/mount namespaces; only ``/usr`` (read-only),
  a fresh ``/proc``, ``/dev``, ``/tmp`` and the sandbox dir are visible; bwrap's own pid-1
  reaps orphans and the namespace dies with it (``--die-with-parent``), so nothing survives.
- namespaces (root only, :func:`namespaces_argv`): util-linux ``unshare --pid --fork
  --kill-child --mount --net --ipc --uts --mount-proc`` around a tiny ``sh`` script that, inside
  the new mount namespace (propagation private: nothing reaches the host), puts a private
  tmpfs on every world-writable folder (:data:`PRIVATE_TMP_DIRS`), binds the sandbox dir back
  (it usually lives under /tmp), and execs the command through ``setpriv`` as the sandbox uid.
  Layers: ``pid_namespace`` (when its pid 1 ends, the kernel kills and reaps everything else),
  ``mount_namespace``, ``net_namespace`` (only a loopback that is down: no 127.0.0.1, no
  abstract unix sockets of the host), ``ipc_namespace``, ``uts_namespace``, ``private_proc``
  (a /proc of this pid namespace: other processes' command lines are invisible) and
  ``private_tmp``. If any mount fails the script exits before the command runs.
- ``pid_namespace`` alone (:func:`unshare_argv`): around bwrap (which makes its own
  namespaces), or when the probe of the namespaces above failed. Around bwrap it catches
  bwrap's own intermediate process, which unprivileged bwrap leaves to init to reap (measured:
  one zombie per run otherwise, holding the uid's process budget).
- none: just the command (process group + rlimits + a sweep of the sandbox uid).
"""

from __future__ import annotations

import os
import re
import shutil

SAFE_PATH = "/usr/bin:/bin"
_TOP_LEVEL = ("/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32")
# The world-writable folders of a usual Linux host: the sandbox uid could leave files there
# for other users (or read theirs). Each gets a private tmpfs inside the mount namespace.
PRIVATE_TMP_DIRS = ("/tmp", "/var/tmp", "/dev/shm", "/run/lock")
NAMESPACE_LAYERS = (
    "mount_namespace",
    "net_namespace",
    "ipc_namespace",
    "uts_namespace",
    "private_proc",
    "private_tmp",
)

# Runs as root inside the new namespaces; "$@" is the command's argv, never parsed by the
# shell. $1 sandbox uid ("" = keep root), $2 sandbox dir (also our cwd), $3 tmpfs size in MB,
# $4 the folders to cover (one string, split on spaces: our own constant, no user data).
# A mounted mqueue file system belongs to the namespace that mounted it: remounted here, so
# queues made by the command live in the new ipc namespace, not the host's. setpriv would
# clear the parent-death signal unshare --kill-child set (credentials change): kept.
# The cwd still points at the real sandbox dir after /tmp is covered, so "." is bound back
# onto the same path (--no-canonicalize: mount must not turn "." into the covered path). Then
# cd into the bind mount: from the old cwd, ".." leads to the host's copy of temp_root (and
# its other work folders). The cd sets PWD/OLDPWD, which the scrubbed environment does not
# have: unset them.
_SETUP = r"""set -eu
uid=$1 work=$2 size=$3 dirs=$4
shift 4
umask 022
for dir in $dirs; do
    if [ -d "$dir" ]; then
        mount -t tmpfs -o "nosuid,nodev,mode=1777,size=${size}m" ffsbx-tmp "$dir"
    fi
done
mountpoint_of_mqueue='s/^[^ ]* [^ ]* [^ ]* [^ ]* \([^ ]*\) .* - mqueue .*/\1/p'
for mq in $(sed -n "$mountpoint_of_mqueue" /proc/self/mountinfo); do
    mount -t mqueue -o nosuid,nodev,noexec ffsbx-mq "$mq"
done
mkdir -p "$work"
mount --no-canonicalize --bind . "$work"
cd "$work"
unset PWD OLDPWD
umask 077
if [ -n "$uid" ]; then
    exec setpriv --reuid="$uid" --regid="$uid" --clear-groups --no-new-privs \
        --pdeathsig keep -- "$@"
fi
exec "$@"
"""

# Commands that run code they are given (a script file, an argument) rather than doing one
# fixed job: once allowed, the "command" is any program, so only the namespaces (or bwrap)
# stand between it and the network, /tmp, /proc and the rest of the host. Three groups:
# language interpreters and shells; awk and sed (gawk's system() and pipes, GNU sed's ``e``
# command run shell commands); launchers that exec another program named in their arguments
# (``env python3 x.py``). A name may carry a version (python3.12, perl5.36, lua5.4).
# Not exhaustive: it is a tripwire for the obvious cases; the namespaces are the defence.
_INTERPRETER_RE = re.compile(
    r"(?:python|pypy|perl|ruby|irb|lua|luajit|php|node|nodejs|deno|bun|tclsh|wish|expect"
    r"|guile|racket|julia|Rscript|R|java|jshell|ocaml|ghci|runghc|erl|escript|elixir|gdb"
    r"|sh|bash|rbash|dash|zsh|ksh|ksh93|mksh|yash|fish|csh|tcsh|busybox|toybox"
    r"|awk|gawk|mawk|nawk|sed|gsed"
    r"|env|xargs|nice|ionice|nohup|timeout|stdbuf|setsid|time|chroot|unshare|nsenter"
    r"|setpriv|runuser|su|sudo|doas|flock|taskset|chrt|prlimit|script|watch|make|vi|vim|ed)"
    r"[0-9.]*\Z"
)
# Multi-call binaries run the applet named by argv[0] (ls -> busybox is just ls).
_MULTI_CALL = frozenset({"busybox", "toybox"})


def find_executable(name: str) -> str | None:
    """Absolute path of ``name`` on the minimal PATH only (never the caller's PATH)."""
    return shutil.which(name, path=SAFE_PATH)


def is_interpreter(command: str, executable: str | None = None) -> bool:
    """Whether ``command`` runs arbitrary code; also checks what ``executable`` resolves to,
    so an allowed alias of an interpreter (``py`` -> ``python3.12``) is caught too."""
    if _INTERPRETER_RE.match(command):
        return True
    if executable is None:
        return False
    real = os.path.basename(os.path.realpath(executable))
    return real not in _MULTI_CALL and bool(_INTERPRETER_RE.match(real))


def bwrap_argv(bwrap: str, sandbox_dir: str, argv: list[str]) -> list[str]:
    wrapped = [bwrap, "--unshare-all", "--die-with-parent", "--ro-bind", "/usr", "/usr"]
    for top in _TOP_LEVEL:
        if os.path.islink(top):
            wrapped += ["--symlink", os.readlink(top), top]
        elif os.path.isdir(top):
            wrapped += ["--ro-bind", top, top]
    wrapped += [
        "--proc",
        "/proc",
        "--dev",
        "/dev",
        "--tmpfs",
        "/tmp",
        "--bind",
        sandbox_dir,
        sandbox_dir,
        "--chdir",
        sandbox_dir,
        "--",
        *argv,
    ]
    return wrapped


def unshare_argv(unshare: str, argv: list[str], uid: int | None) -> list[str]:
    wrapped = [unshare, "--pid", "--fork", "--kill-child"]
    if uid is not None:
        wrapped += ["--setuid", str(uid), "--setgid", str(uid)]
    return [*wrapped, "--", *argv]


def namespaces_argv(
    unshare: str, argv: list[str], uid: int | None, sandbox_dir: str, tmpfs_mb: int
) -> list[str]:
    """The full namespace layer; must be spawned with ``cwd=sandbox_dir`` (see _SETUP)."""
    shell = find_executable("sh") or "/bin/sh"
    return [
        unshare,
        "--pid",
        "--fork",
        "--kill-child",
        "--mount",
        "--net",
        "--ipc",
        "--uts",
        "--mount-proc",
        "--propagation",
        "private",
        "--",
        shell,
        "-c",
        _SETUP,
        "ffsbx-setup",
        "" if uid is None else str(uid),
        sandbox_dir,
        str(tmpfs_mb),
        " ".join(PRIVATE_TMP_DIRS),
        *argv,
    ]
