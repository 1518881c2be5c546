"""One small exception hierarchy for the whole store.

Every error carries the id, file or key it is about, both in its message (for people) and as
attributes (for programs such as the scenario runner's ``raises:`` matcher).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any


class FFError(Exception):
    """Base class: anything the store raises on purpose."""

    def __init__(self, message: str, **context: Any) -> None:
        super().__init__(message)
        self.message = message
        self.context = context

    def __getattr__(self, name: str) -> Any:
        # Give attribute access to context keys (err.path, err.key, err.line ...).
        context = self.__dict__.get("context", {})
        if name in context:
            return context[name]
        raise AttributeError(name)

    def __reduce__(self) -> tuple[Any, ...]:
        # Survive pickling across processes (xdist workers, multiprocessing tests).
        return (_rebuild, (type(self), self.args, self.message, self.context))


def _rebuild(
    cls: type[FFError], args: tuple[Any, ...], message: str, context: dict[str, Any]
) -> FFError:
    err = Exception.__new__(cls)
    err.args = args
    err.message = message
    err.context = context
    return err


class NotFound(FFError):
    """A user, session, message, document, persona or file does not exist."""


class AlreadyExists(FFError):
    """Creating something whose id is taken (including case-insensitive look-alikes)."""


class ValidationError(FFError):
    """Input that does not meet the contract: wrong type, size, extension, format."""


class LimitExceeded(ValidationError):
    """A configured quota or limit would be exceeded (size, count, attachments)."""


class SecurityError(ValidationError):
    """Input that tries to escape the store, impersonate another id, or tamper with data."""


class UnsafePath(SecurityError):
    """A symlink (or another file type) planted inside the store root where the store keeps
    its own folders and files: following it could read or write outside the root."""


class StorageWriteError(FFError):
    """A write failed (disk full, read-only or unwritable folder, I/O error). The store
    left the previous content in place; ``errno`` says why."""


class StorageCorrupted(FFError):
    """A file on disk cannot be read as what it should be; names file and line."""

    def __init__(
        self, message: str, *, path: Path | str, line: int | None = None, **context: Any
    ) -> None:
        where = f"{path}:{line}" if line is not None else str(path)
        super().__init__(f"{where}: {message}", path=str(path), line=line, **context)


class OldStoreFormat(FFError):
    """Data written by an older version (G0/G1 layout or field names): migrate it first."""


class LockTimeout(FFError):
    """A file lock could not be taken within the configured timeout."""


class ConfigError(FFError):
    """A configuration file or value is wrong; names the file and the key."""


__all__ = [
    "AlreadyExists",
    "ConfigError",
    "FFError",
    "LimitExceeded",
    "LockTimeout",
    "NotFound",
    "OldStoreFormat",
    "SecurityError",
    "StorageCorrupted",
    "StorageWriteError",
    "UnsafePath",
    "ValidationError",
]
