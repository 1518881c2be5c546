"""Id validation and the one safe path join.

Ids are used as path components verbatim: they are validated, never sanitized, so two distinct
ids can never become the same file name. Everything that builds a path goes through
:func:`safe_join`, which refuses to leave the store root.
"""

from __future__ import annotations

import os
import re
import stat
from functools import lru_cache
from pathlib import Path

from flatfile_chat.errors import SecurityError, UnsafePath, ValidationError

ID_PATTERN = r"[A-Za-z0-9][A-Za-z0-9._-]{0,127}"
_ID_RE = re.compile(ID_PATTERN + r"\Z")
_COMPONENT_RE = re.compile(r"[A-Za-z0-9._-]{1,255}\Z")
_WINDOWS_DEVICES = frozenset(
    ["CON", "PRN", "AUX", "NUL", "CONIN$", "CONOUT$"]
    + [f"COM{i}" for i in range(10)]
    + [f"LPT{i}" for i in range(10)]
)
ID_RULE = (
    "ASCII letters, digits, '.', '_' and '-' only, starting with a letter or digit, "
    "not ending with '.', at most 128 characters, not a Windows device name"
)


def _is_windows_device(name: str) -> bool:
    return name.split(".", 1)[0].upper() in _WINDOWS_DEVICES


def validate_id(value: object, kind: str = "id") -> str:
    """Return ``value`` unchanged if it is a safe id, else raise naming ``kind`` and the rule."""
    if type(value) is str and _valid_id(value):
        return value
    if not isinstance(value, str):
        raise ValidationError(
            f"{kind} must be a string, got {type(value).__name__}", key=kind, value=value
        )
    if _valid_id(value):
        return value
    error = SecurityError if _looks_hostile(value) else ValidationError
    raise error(f"invalid {kind} {value!r}: expected {ID_RULE}", key=kind, value=value)


@lru_cache(maxsize=8192)
def _valid_id(value: str) -> bool:
    # Cached: ids repeat on every call of a hot path (user, session), invalid ones are rare.
    return bool(_ID_RE.match(value)) and not value.endswith(".") and not _is_windows_device(value)


def _looks_hostile(value: str) -> bool:
    return (
        "/" in value
        or "\\" in value
        or "\x00" in value
        or ".." in value
        or value.startswith("~")
        or any(ord(ch) > 127 for ch in value)
        or _is_windows_device(value)
    )


@lru_cache(maxsize=8192)
def _valid_component(name: str) -> bool:
    return (
        bool(_COMPONENT_RE.match(name)) and name not in (".", "..") and not _is_windows_device(name)
    )


def validate_component(name: str) -> str:
    """A single path component the store itself builds (file names, dir names)."""
    if type(name) is not str or not _valid_component(name):
        raise SecurityError(f"unsafe path component {name!r}", key="path", value=name)
    return name


def safe_join(root: Path, *parts: str) -> Path:
    """Join validated components under ``root``; the result is always strictly inside it.

    Components can hold no separator, ``.`` or ``..``, so plain joining is already normal;
    the prefix check below is the belt to that pair of braces.
    """
    for part in parts:
        validate_component(part)
    root_str = os.fspath(root)
    joined = os.path.normpath(os.sep.join((root_str, *parts)))
    if not (joined == root_str or joined.startswith(root_str.rstrip(os.sep) + os.sep)):
        raise SecurityError(
            f"path {joined!r} leaves the store root {root_str!r}", key="path", value=joined
        )
    return Path(joined)


def ensure_inside(root: Path, path: Path) -> Path:
    """Defence in depth for writers: refuse any path that is not under ``root``."""
    path_str, root_str = os.fspath(path), os.fspath(root).rstrip(os.sep) + os.sep
    if (
        not path_str.startswith(root_str)
        or f"{os.sep}..{os.sep}" in path_str
        or path_str.endswith(f"{os.sep}..")
    ):
        raise SecurityError(
            f"refusing to touch {path_str!r}: outside store root {root_str!r}",
            key="path",
            value=path_str,
        )
    return path


def refuse_links(root: str, path: str) -> None:
    """Raise ``UnsafePath`` if any existing component of ``path`` below ``root`` is a symlink.

    Why not ``realpath``: it also resolves the root's own ancestors (a symlinked ``/tmp`` is
    the user's business) and costs a syscall per component of the whole path; this walks only
    the few components under the root, one ``lstat`` each, and stops at the first missing one
    (nothing below it exists yet). ``path`` must already be under ``root`` (``ensure_inside``).
    The check and the open that follows are two steps: writers also open with ``O_NOFOLLOW``
    and refuse a hard-linked file, so a link planted between the two is still refused.
    """
    current = root.rstrip(os.sep)
    for part in path[len(current) + 1 :].split(os.sep):
        if not part:
            continue
        current = f"{current}{os.sep}{part}"
        try:
            mode = os.lstat(current).st_mode
        except (FileNotFoundError, NotADirectoryError):
            return
        if stat.S_ISLNK(mode):
            rel = current[len(root.rstrip(os.sep)) + 1 :]
            raise UnsafePath(
                f"refusing {rel!r}: it is a symbolic link inside the store root "
                f"(to {os.readlink(current)!r}); the store never follows links",
                key="path",
                value=rel,
            )
