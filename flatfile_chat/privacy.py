"""Keyed pseudonyms for user and session ids, and scrubbing of free-form event data.

Upstream hashed ``sha256(user_id)[:16]`` with no secret: anyone can hash a list of likely user
ids and match them. Here a pseudonym is ``HMAC-SHA256(key, domain || id)[:16]`` (hex), so
without the key a guessed id cannot be confirmed; with it an operator can still answer "which
entries are alice's?" by computing her pseudonym.

The key is ``analytics.privacy.anonymization_key`` (``env:``/``file:``/``base64:`` reference,
like storage keys). If that is empty, 32 random bytes are generated once per store and kept,
base64-encoded, in ``keys/anonymization.key`` (outside ``analytics/``, mode 0600; sealed by the
codec when encryption at rest is on; usable later as a ``file:`` reference).
That file is key material, not analytics data.

A module of its own below the managers: the audit log, which every manager writes, scrubs
with it too (the import-linter layers in pyproject.toml).
"""

from __future__ import annotations

import base64
import functools
import hashlib
import hmac
import os
import re
import threading
import weakref
from collections.abc import Callable
from pathlib import Path
from typing import Any

from flatfile_chat.errors import AlreadyExists, ConfigError, NotFound, ValidationError
from flatfile_chat.storage.filestore import FileStore
from flatfile_chat.storage.keyring import resolve_key
from flatfile_chat.storage.paths import validate_id
from flatfile_chat.store.layout import StoreContext

# Outside analytics/: handing someone the analytics folder must not hand them the key.
KEY_FILE = ("keys", "anonymization.key")
HASH_HEX_CHARS = 16
MIN_KEY_BYTES = 16
MIN_REPLACE_CHARS = 3  # shorter ids are not replaced inside free text (too many false hits)

# Keys whose value is a user id: the value is pseudonymised and the key gets a ``_hash`` suffix.
IDENTITY_KEYS = frozenset(
    {
        "user_id",
        "owner_id",
        "actor",
        "acknowledged_by",
        "requested_by",
        "created_by",
        "uploaded_by",
        "resolved_by",
        "target_user",
        "target_user_id",
        "user_ids",
    }
)
SESSION_KEYS = frozenset({"session_id", "session_ids", "related_session_ids"})
# Dropped when exclude_sensitive_content is on (what a user wrote, contact data, secrets).
SENSITIVE_KEYS = frozenset(
    {
        "content",
        "message",
        "text",
        "query",
        "prompt",
        "response",
        "body",
        "email",
        "phone",
        "ip_address",
        "password",
        "token",
        "api_key",
        "secret",
    }
)

_instances: weakref.WeakKeyDictionary[FileStore, Pseudonymizer] = weakref.WeakKeyDictionary()
_instances_lock = threading.Lock()


class Pseudonymizer:
    """One per store (shared by the audit log and the analytics manager)."""

    def __init__(self, ctx: StoreContext) -> None:
        self._ctx = ctx
        self._key: bytes | None = None
        self._lock = threading.Lock()

    @classmethod
    def for_context(cls, ctx: StoreContext) -> Pseudonymizer:
        with _instances_lock:
            found = _instances.get(ctx.fs)
            if found is None:
                found = _instances[ctx.fs] = cls(ctx)
            return found

    @property
    def key_path(self) -> Path:
        return self._ctx.fs.path(*KEY_FILE)

    @property
    def key_source(self) -> str:
        return "config" if self._ctx.config.analytics.privacy.anonymization_key else "store"

    def key(self) -> bytes:
        with self._lock:
            if self._key is None:
                self._key = self._load_key()
            return self._key

    def _load_key(self) -> bytes:
        reference = self._ctx.config.analytics.privacy.anonymization_key
        name = "analytics.privacy.anonymization_key"
        key = resolve_key(reference, name=name) if reference else self._store_key()
        if len(key) < MIN_KEY_BYTES:
            raise ConfigError(
                f"{name}: key must be at least {MIN_KEY_BYTES} bytes, got {len(key)}", key=name
            )
        return key

    def _store_key(self) -> bytes:
        fs = self._ctx.fs
        try:
            return base64.b64decode(fs.read_blob(self.key_path), validate=True)
        except NotFound:
            pass
        fs.ensure_dir(self.key_path.parent)
        key = self._ctx.ids.token_bytes(32)  # never seeded: a guessable key is no key
        try:
            fs.write_blob(self.key_path, base64.b64encode(key), exclusive=True, private=True)
        except AlreadyExists:  # another process created it first: use theirs
            return base64.b64decode(fs.read_blob(self.key_path), validate=True)
        privacy_event(self._ctx, "anonymization_key_generated", {"key_file": "/".join(KEY_FILE)})
        return key

    def _digest(self, domain: bytes, value: str) -> str:
        mac = hmac.new(self.key(), domain + b"\x00" + value.encode("utf-8"), hashlib.sha256)
        return mac.hexdigest()[:HASH_HEX_CHARS]

    def user_hash(self, user_id: str) -> str:
        return self._digest(b"user", user_id)

    def session_hash(self, session_id: str) -> str:
        return self._digest(b"session", session_id)


def privacy_event(ctx: StoreContext, event: str, details: dict[str, Any]) -> dict[str, Any]:
    """Append one line to ``analytics/compliance/privacy_events.jsonl``."""
    path = ctx.fs.path("analytics", "compliance", "privacy_events.jsonl")
    entry = {
        "event_id": ctx.ids.prefixed("pev", 12),
        "timestamp": ctx.now_iso(),
        "event": event,
        "details": details,
    }
    ctx.fs.ensure_dir(path.parent)
    ctx.fs.append_jsonl(path, [entry])
    return entry


_user_ids_memo: weakref.WeakKeyDictionary[FileStore, tuple[tuple[int, ...], list[str]]] = (
    weakref.WeakKeyDictionary()
)


def known_user_ids(ctx: StoreContext) -> list[str]:
    """Every user id of the store (its ``users/`` folders): free text in analytics may name
    any of them, not only the acting user. Listed again only when ``users/`` changed (its
    link count moves with every user folder, its mtime with every rename)."""
    users_dir = ctx.layout.users_dir()
    try:
        st = os.stat(users_dir)
    except FileNotFoundError:
        return []
    signature = (st.st_ino, st.st_mtime_ns, st.st_nlink, st.st_size)
    memo = _user_ids_memo.get(ctx.fs)
    if memo is not None and memo[0] == signature:
        return memo[1]
    names = [n for n in ctx.fs.listdir(users_dir) if not n.startswith(".")]
    users = [ctx.fs.user_of_folder(name) for name in names]
    found = sorted(u for u in users if u is not None and _is_valid_user_id(u))
    if None not in users:  # a folder whose profile is not written yet: list again next time
        _user_ids_memo[ctx.fs] = (signature, found)
    return found


def _is_valid_user_id(name: str) -> bool:
    try:
        validate_id(name, "user_id")
    except ValidationError:
        return False
    return True


def id_pattern(ids: list[str]) -> re.Pattern[str] | None:
    """Whole-word matcher for ids of at least MIN_REPLACE_CHARS (longest first); the same
    boundaries the raw-id integrity check uses, so what it flags is what gets replaced."""
    return _compiled_id_pattern(frozenset(i for i in ids if i and len(i) >= MIN_REPLACE_CHARS))


@functools.lru_cache(maxsize=64)
def _compiled_id_pattern(wanted: frozenset[str]) -> re.Pattern[str] | None:
    if not wanted:
        return None
    longest_first = sorted(wanted, key=lambda i: (-len(i), i))
    return re.compile(
        r"(?<![A-Za-z0-9])(" + "|".join(map(re.escape, longest_first)) + r")(?![A-Za-z0-9])"
    )


def scrub(
    value: Any,
    *,
    user_hash: Callable[[str], str],
    session_hash: Callable[[str], str] | None,
    raw_ids: list[str],
    exclude_sensitive: bool,
    excluded: list[str] | None = None,
) -> Any:
    """Copy of ``value`` with identity fields pseudonymised, known raw ids replaced inside
    strings, and (optionally) sensitive fields dropped; dropped key names go to ``excluded``."""
    pattern = id_pattern(raw_ids)

    def text(s: str) -> str:
        if pattern is None:
            return s
        return pattern.sub(lambda m: user_hash(m.group(1)), s)

    def walk(v: Any) -> Any:
        if isinstance(v, dict):
            out: dict[str, Any] = {}
            for k, item in v.items():
                key = str(k)
                if exclude_sensitive and key.lower() in SENSITIVE_KEYS:
                    if excluded is not None:
                        excluded.append(key)
                elif key in IDENTITY_KEYS:
                    out[f"{text(key)}_hash"] = _map_ids(item, user_hash, walk)
                elif key in SESSION_KEYS and session_hash is not None:
                    out[f"{key}_hash"] = _map_ids(item, session_hash, walk)
                else:
                    out[text(key)] = walk(item)
            return out
        if isinstance(v, list | tuple):
            return [walk(i) for i in v]
        if isinstance(v, str):
            return text(v)
        return v

    return walk(value)


def _map_ids(value: Any, digest: Callable[[str], str], walk: Callable[[Any], Any]) -> Any:
    if isinstance(value, str):
        return digest(value)
    if isinstance(value, list | tuple):
        return [digest(v) if isinstance(v, str) else walk(v) for v in value]
    return walk(value)
