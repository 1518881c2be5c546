"""The file layer every manager writes through: safe paths, atomic JSON, locked JSONL, codec.

Managers never call ``open`` themselves. That keeps four promises in one place: nothing is
read or written outside the root (no path leaves it, no symlink inside it is followed),
nothing is half-written (a failed write raises ``StorageWriteError`` and leaves the previous
content), files are private to the store's owner by default, and encryption (when on) covers
every file.
"""

from __future__ import annotations

import contextlib
import errno
import json
import os
import shutil
import stat
from collections.abc import Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path
from typing import Any

from flatfile_chat.clock import Clock, SystemClock
from flatfile_chat.errors import (
    AlreadyExists,
    FFError,
    NotFound,
    StorageCorrupted,
    StorageWriteError,
    UnsafePath,
)
from flatfile_chat.storage import chain, jsonl, pages
from flatfile_chat.storage.atomic import NotDurable, atomic_write_bytes, dump_json
from flatfile_chat.storage.codec import AesGcmCodec, Codec, PlainCodec
from flatfile_chat.storage.durability import Durability, GroupCommitter, SyncGroups
from flatfile_chat.storage.locks import file_lock, may_write_in_place
from flatfile_chat.storage.names import UserFolderNames
from flatfile_chat.storage.paths import ensure_inside, refuse_links, safe_join, validate_id

_MISSING: Any = object()
# Derived files this small are updated in place: one pwrite of at most one disk sector.
IN_PLACE_MAX_BYTES = 512
# Private by default: a sandboxed tool (another uid) or another local user cannot read chats.
OWNER_ONLY_MODES = (0o600, 0o700)
SHARED_MODES = (0o644, 0o755)  # upstream's modes, for a store shared through group access


def _read_fd(fd: int) -> bytes:
    """Everything from ``fd`` up to end of file (it may grow while read: appends)."""
    chunks = []
    while chunk := os.read(fd, 1 << 22):
        chunks.append(chunk)
    return b"".join(chunks)


@contextmanager
def writing(rel: str) -> Iterator[None]:
    """Turn an OS failure of a write into the store's own error, naming the file and errno.

    Callers that change a file in place (appends) restore its previous length before the
    error leaves them; whole-file writes never touched the old file (temp + rename)."""
    try:
        yield
    except (FileExistsError, FileNotFoundError):
        raise  # callers turn these into AlreadyExists / NotFound
    except OSError as exc:
        if isinstance(exc, NotDurable):
            raise StorageWriteError(
                f"{rel}: written, but its folder could not be flushed: "
                f"{exc.strerror} (errno {exc.errno}); the new content may "
                "not survive a power loss",
                path=rel,
                errno=exc.errno,
                written=True,
            ) from exc
        if exc.errno == errno.ELOOP:
            raise UnsafePath(
                f"refusing {rel!r}: it is a symbolic link inside the store root; "
                "the store never follows links",
                key="path",
                value=rel,
            ) from None
        raise StorageWriteError(
            f"{rel}: write failed, previous content kept: "
            f"{exc.strerror or exc} (errno {exc.errno})",
            path=rel,
            errno=exc.errno,
        ) from exc


class FileStore:
    def __init__(
        self,
        root: Path | str,
        *,
        durability: Durability | str = Durability.FSYNC,
        lock_timeout: float = 30.0,
        group_commit_interval_ms: float = 50.0,
        codec: Codec | None = None,
        clock: Clock | None = None,
        owner_only: bool = True,
        user_names: UserFolderNames | None = None,
    ) -> None:
        self.root = Path(os.path.abspath(root))
        self.file_mode, self.dir_mode = OWNER_ONLY_MODES if owner_only else SHARED_MODES
        self._root_str = os.fspath(self.root)
        self.user_names = user_names
        self._root_path_users = self.root / "users"
        self._users_of: dict[str, str] = {}  # pseudonymous folder -> user id
        with writing("."):
            self.root.mkdir(mode=self.dir_mode, parents=True, exist_ok=True)
        self.durability = Durability(durability)
        self.lock_timeout = lock_timeout
        self.codec: Codec = codec or PlainCodec()
        self.clock = clock or SystemClock()
        self._committer = (
            GroupCommitter(group_commit_interval_ms)
            if self.durability is Durability.BATCH
            else None
        )
        # fsync mode: concurrent appends to one file share fsyncs (leader/follower)
        self._groups = SyncGroups() if self.durability is Durability.FSYNC else None
        self._pages = pages.PageCache()  # validated log prefixes, for O(page) reads
        # Keep those prefixes in sidecars next to their logs too (O(page) in a new process);
        # a switch for measuring what that costs an append.
        self.page_sidecars = True

    # -- paths ---------------------------------------------------------------------------
    def path(self, *parts: str) -> Path:
        return safe_join(self.root, *parts)

    def user_folder(self, user_id: str) -> str:
        """The folder name of ``user_id`` under ``users/`` (the id, or its keyed pseudonym)."""
        if self.user_names is None:
            return user_id
        name = self.user_names.folder(user_id)
        owner = self.user_of_folder(name)
        if owner is None and os.path.lexists(self._root_path_users / name):
            # Whose folder it is cannot be verified (profile lost, unreadable, or a creation
            # that died half-way): never hand it to whoever asks (a case variant would get it).
            raise StorageCorrupted(
                f"users/{name} has no readable profile.json, so whose "
                "folder it is cannot be verified; restore the profile "
                "(or remove the folder)",
                path=f"users/{name}",
            )
        if owner is not None and owner != user_id:
            raise AlreadyExists(
                f"user id {user_id!r} differs only in case from existing user {owner!r}",
                key="user_id",
                value=user_id,
            )
        return name

    def user_path(self, user_id: str, *parts: str) -> Path:
        return self.path("users", self.user_folder(validate_id(user_id, "user_id")), *parts)

    def user_of_folder(self, name: str) -> str | None:
        """Which user a folder under ``users/`` holds (None: not one the store wrote)."""
        if self.user_names is None:
            return name
        known = self._users_of.get(name)
        if known is not None:
            return known
        if name.startswith(".") or not self.is_dir(self._root_path_users / name):
            return None  # lock files, temp files: not user folders
        try:
            profile = self.read_json(self.path("users", name, "profile.json"), default=None)
        except (FFError, OSError):
            return None
        user_id = profile.get("user_id") if isinstance(profile, dict) else None
        if not isinstance(user_id, str) or self.user_names.folder(user_id) != name:
            return None
        self._users_of[name] = user_id  # a folder keeps its user: safe to remember
        return user_id

    def checked(self, path: Path) -> Path:
        """``path`` if it is under the root and no existing part of it below the root is a
        symlink (``UnsafePath`` otherwise). Every read and write of the store goes through it.

        One ``lstat`` per part under the root, every time, stopping at the first part that does
        not exist (nothing below it can be a link yet). Measured cheaper than remembering walked
        folders and asking the kernel where they resolve (open + readlink + close), and there
        is no cache to get wrong (a folder moved out of the root and linked back in)."""
        text = os.fspath(path)
        root = self._root_str
        if text == root:
            return path
        ensure_inside(self.root, path)
        lstat, is_link, sep = os.lstat, stat.S_ISLNK, os.sep
        pos = len(root)
        while True:
            cut = text.find(sep, pos + 1)
            try:
                mode = lstat(text if cut == -1 else text[:cut]).st_mode
            except (FileNotFoundError, NotADirectoryError):
                return path
            if is_link(mode):
                refuse_links(root, text)  # raises, naming the link and its target
            if cut == -1:
                return path
            pos = cut

    def rel(self, path: Path) -> str:
        return path.relative_to(self.root).as_posix()

    def owner_of(self, path: Path) -> str:
        """The user a file belongs to (``users/{u}/...``), or ``""`` for shared files."""
        parts = path.relative_to(self.root).parts
        return parts[1] if len(parts) > 2 and parts[0] == "users" else ""

    # -- durability ----------------------------------------------------------------------
    def _after_write(self, path: Path) -> None:
        if self._committer is not None:
            self._committer.mark(path)

    @property
    def _fsync(self) -> bool:
        return self.durability is Durability.FSYNC

    def flush(self) -> None:
        """Make everything written so far durable (batch mode); a no-op otherwise."""
        if self._committer is not None:
            self._committer.flush()

    def pending_commits(self) -> list[str]:
        """``batch`` mode: the files written since the group committer's last commit, not
        fsynced yet, relative to the root, sorted. Empty in the other modes (``fsync``
        commits before a write returns; ``none`` never commits)."""
        if self._committer is None:
            return []
        return sorted(self.rel(path) for path in self._committer.pending())

    def close(self) -> None:
        if self._committer is not None:
            self._committer.close()

    # -- JSON documents ------------------------------------------------------------------
    def read_raw(self, path: Path) -> bytes | None:
        """A file's bytes as stored (still sealed when encrypted), or None if missing."""
        self.checked(path)
        try:
            return path.read_bytes()
        except FileNotFoundError:
            return None

    def restore_raw(self, path: Path, raw: bytes | None) -> None:
        """Put back bytes ``read_raw`` returned (None: the file did not exist): how a
        multi-file update undoes its first writes when a later one fails. Atomic per file."""
        self.checked(path)
        with writing(self.rel(path)):
            if raw is None:
                with contextlib.suppress(FileNotFoundError):
                    os.unlink(path)
            else:
                atomic_write_bytes(path, raw, fsync=self._fsync, mode=self.file_mode)
        self._after_write(path)

    def decode_json(self, path: Path, raw: bytes) -> Any:
        """Parse bytes read from ``path`` (opening the envelope when encrypted)."""
        if self.codec.encrypted:
            raw = self.codec.open(raw, owner=self.owner_of(path), rel_path=self.rel(path))
        try:
            return json.loads(raw)
        except ValueError as exc:
            raise StorageCorrupted(f"invalid JSON document: {exc}", path=self.rel(path)) from None

    def read_json(self, path: Path, default: Any = _MISSING, *, shared_lock: bool = False) -> Any:
        """Parse a JSON document. ``shared_lock`` for files that are updated in place."""
        self.checked(path)
        try:
            if shared_lock:
                with self.lock(path, shared=True):
                    raw = path.read_bytes()
            else:
                raw = path.read_bytes()
        except FileNotFoundError:
            if default is _MISSING:
                raise NotFound(f"{self.rel(path)} does not exist", path=self.rel(path)) from None
            return default
        return self.decode_json(path, raw)

    def write_json(
        self, path: Path, data: Any, *, derived: bool = False, exclusive: bool = False
    ) -> bytes:
        """Atomically replace ``path``.

        ``derived`` marks a file recomputable from a log (see :mod:`durability`): it is not
        fsynced, and when the caller holds its exclusive lock and it fits in one sector it is
        overwritten in place (readers then pass ``shared_lock=True``).
        """
        self.checked(path)
        payload = dump_json(data)
        if self.codec.encrypted:
            payload = self.codec.seal(payload, owner=self.owner_of(path), rel_path=self.rel(path))
        if derived and not exclusive:
            written = self._write_in_place(path, payload)
            if written is not None:
                self._after_write(path)
                return written
        try:
            with writing(self.rel(path)):
                atomic_write_bytes(
                    path,
                    payload,
                    fsync=self._fsync and not derived,
                    exclusive=exclusive,
                    mode=self.file_mode,
                )
        except FileExistsError:
            raise AlreadyExists(f"{self.rel(path)} already exists", path=self.rel(path)) from None
        self._after_write(path)
        return payload

    def _write_in_place(self, path: Path, payload: bytes) -> bytes | None:
        """The bytes now on disk, or None when an in-place write is not allowed here."""
        if len(payload) > IN_PLACE_MAX_BYTES or not may_write_in_place(path):
            return None
        with writing(self.rel(path)):
            try:
                fd = os.open(path, os.O_RDWR | os.O_NOFOLLOW)
            except FileNotFoundError:
                return None
            try:
                st = os.fstat(fd)
                if st.st_size > IN_PLACE_MAX_BYTES or st.st_nlink != 1:
                    return None  # a hard link would carry the write to the other name too
                # Pad with JSON whitespace so no stale tail survives; one pwrite within one
                # page is all-or-nothing for a killed process, and readers hold the shared lock.
                data = payload.ljust(st.st_size, b" ")
                os.pwrite(fd, data, 0)
            finally:
                os.close(fd)
        return data

    # -- JSONL logs ----------------------------------------------------------------------
    def lock(self, path: Path, *, shared: bool = False) -> AbstractContextManager[None]:
        self.checked(path)
        if not shared and not os.path.isdir(path.parent):
            raise NotFound(
                f"{self.rel(path.parent)} does not exist (cannot lock {path.name} in it)",
                path=self.rel(path.parent),
            )
        return file_lock(path, self.lock_timeout, shared=shared)

    @staticmethod
    def _encode_lines(records: Sequence[dict[str, Any]]) -> list[bytes]:
        """Lines of a plain store (an encrypted one seals a chain: :meth:`_seal_chained`)."""
        return [jsonl.encode_record(r) for r in records]

    def _seal_chained(
        self, path: Path, records: Sequence[dict[str, Any]], state: chain.ChainState
    ) -> list[bytes]:
        """Encrypted lines that continue ``state`` (see :mod:`.chain`); updates ``state``."""
        return chain.seal_lines(
            self._chain_codec(),
            [jsonl.encode_record(r) for r in records],
            owner=self.owner_of(path),
            rel=self.rel(path),
            state=state,
        )

    def _write_head(self, path: Path, state: chain.ChainState) -> None:
        """Seal ``.{name}.head`` and overwrite it in place (caller holds the file's lock): one
        pwrite of ~250 bytes, within one sector, padded with JSON whitespace. Not fsynced: a
        head lost in a crash only falls behind the log, which the check reports as unsealed;
        a torn head fails to open and is reported, never acted on."""
        if state.legacy:
            return
        head = chain.head_path(path)
        payload = self.codec.seal(
            dump_json(chain.head_record(state)), owner=self.owner_of(head), rel_path=self.rel(head)
        )
        try:
            fd = os.open(head, os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW, self.file_mode)
            try:
                os.pwrite(fd, payload.ljust(os.fstat(fd).st_size, b" "), 0)
            finally:
                os.close(fd)
        except OSError:
            # The log write succeeded; a head left behind reads as an unsealed tail in the
            # integrity check (as after a crash), so failing the append here would report a
            # stored record as lost.
            return

    def _append_locked(
        self,
        path: Path,
        records: Sequence[dict[str, Any]],
        lines: list[bytes] | None,
        *,
        defer: bool,
        page_adapter: Any = None,
    ) -> jsonl.PendingSync | None:
        """Append under the caller's lock. ``defer``: return before the fsync (group commit
        after the lock is released); otherwise the fsync is waited for under the lock."""
        state = None
        if lines is None:
            # Encrypted: continue the chain from the last line (read from the tail).
            state = chain.tail_state(
                self._chain_codec(),
                path,
                owner=self.owner_of(path),
                rel=self.rel(path),
            )
            self._refuse_unsealed_change(path, state)
            lines = self._seal_chained(path, records, state)
        pending = None
        with writing(self.rel(path)):
            if defer:
                pending = jsonl.append_lines_pending(
                    path, lines, groups=self._groups, mode=self.file_mode
                )
            else:
                jsonl.append_lines(
                    path, lines, fsync=self._fsync, mode=self.file_mode, groups=self._groups
                )
        if state is not None:
            self._write_head(path, state)  # move the head along
        if page_adapter is not None and self.page_sidecars:
            self._extend_pages(path, page_adapter, sum(len(line) + 1 for line in lines))
        return pending

    def _extend_pages(self, path: Path, adapter: Any, appended: int) -> None:
        """After an append (under the writer's lock): grow the remembered validated prefix by the
        lines just written, validated as a page read would, and persist it when due. O(lines
        appended); a log whose prefix is not known (or too far behind) is left to the next
        read. Never fails the append: the records are stored, this is a cache."""
        try:
            fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW)
        except OSError:
            return
        try:
            st = os.fstat(fd)
            entry = self._pages.get(path) or self._load_sidecar(path, fd)
            if entry is None or (entry.dev, entry.ino) != (st.st_dev, st.st_ino):
                entry = pages.empty(
                    st.st_dev, st.st_ino, encrypted=self.codec.encrypted, codec=self.codec
                )
            if st.st_size - entry.size > appended + pages.PERSIST_EVERY_BYTES:
                return  # validating that much here would stall the writer
            grown = pages.refresh(
                path, fd, entry, adapter, lambda: self._line_decoder(path), self.codec
            )
        except OSError:
            grown = None
        finally:
            os.close(fd)
        if grown is None:
            self._pages.forget(path)
            return
        self._pages.put(path, grown[0])
        self._persist_page(path, grown[0])

    def _load_sidecar(self, path: Path, fd: int) -> pages.Validated | None:
        """The entry in ``path``'s sidecar (the log open as ``fd``) if it is intact,
        authentic and for this log, its inode and this key ring (then remembered as
        persisted); None otherwise (the caller reads the log whole)."""
        side = pages.sidecar_path(path)
        try:
            side_fd = os.open(side, os.O_RDONLY | os.O_NOFOLLOW)
        except OSError:
            return None
        try:
            raw = os.read(side_fd, pages.MAX_SIDECAR_BYTES)
        except OSError:
            return None
        finally:
            os.close(side_fd)
        if self.codec.encrypted:
            try:
                raw = self.codec.open_blob(raw, owner=self.owner_of(side), rel_path=self.rel(side))
            except FFError:
                return None  # forged, moved, or sealed with a key this ring lacks
        try:
            entry = pages.loads(raw, self.rel(path), self.codec.ring_id(), self.codec, fd)
        except OSError:
            return None
        if entry is not None:
            self._pages.put(path, entry)
            self._pages.mark_persisted(path, entry.size)
        return entry

    def _persist_page(self, path: Path, entry: pages.Validated) -> None:
        """Write ``entry`` to the log's sidecar when due (see :func:`pages.due`): atomically,
        without fsync, sealed when encrypted. A failure leaves the old one (a cache)."""
        if not self.page_sidecars or not pages.due(entry, self._pages.persisted(path)):
            return
        side = pages.sidecar_path(path)
        payload = pages.dumps(entry, self.rel(path), self.codec.ring_id())
        if self.codec.encrypted:
            payload = self.codec.seal_blob(
                payload, owner=self.owner_of(side), rel_path=self.rel(side)
            )
        try:
            atomic_write_bytes(side, payload, fsync=False, mode=self.file_mode)
        except OSError:
            return
        self._pages.mark_persisted(path, entry.size)

    def _drop_sidecar(self, path: Path) -> None:
        """Forget ``path``'s prefix and remove its sidecar, after the store rewrote the log
        (the new inode rejects it anyway, unless the number is reused)."""
        self._pages.forget(path)
        with contextlib.suppress(OSError):
            os.unlink(pages.sidecar_path(path))

    def wait_durable(self, path: Path, pending: jsonl.PendingSync | None) -> None:
        """Finish a deferred append (see :meth:`append_jsonl`): return once it is durable."""
        if pending is None:
            return
        try:
            pending.wait()
        except OSError as exc:
            rel = self.rel(path)
            raise StorageWriteError(
                f"{rel}: appended, but the fsync failed: {exc.strerror or exc}"
                f" (errno {exc.errno}); the record is in the log but may "
                "not survive a power loss",
                path=rel,
                errno=exc.errno,
                written=True,
            ) from exc

    def _refuse_unsealed_change(self, path: Path, state: chain.ChainState) -> None:
        """Refuse to append to a log that no longer matches its head (cut short, or an older
        copy put back): sealing a new head over it would erase the evidence. A head *behind*
        the log (a crash between append and head update) is fine: appends go on."""
        head_file = chain.head_path(path)
        if state.legacy and not os.path.lexists(head_file):
            return  # written before chaining, never chained since
        try:
            head = self.read_json(head_file, default=None)
        except FFError as exc:
            raise StorageCorrupted(
                f"head {head_file.name} is unreadable ({exc}); refusing to append",
                path=self.rel(path),
            ) from None
        problem = chain.head_mismatch(state, head)
        if problem:
            raise StorageCorrupted(
                f"{problem}; refusing to append (the integrity check "
                "reports it; rekey to accept the file as it is)",
                path=self.rel(path),
                line=state.seq + 1,
            )

    def append_jsonl(
        self,
        path: Path,
        records: Sequence[dict[str, Any]],
        *,
        locked: bool = False,
        sync_later: bool = False,
        page_adapter: Any = None,
    ) -> jsonl.PendingSync | None:
        """Append whole lines; takes the file's lock unless the caller already holds it.

        Durable (``fsync`` mode) when it returns, except with ``sync_later`` (only with
        ``locked``): then it returns a pending sync the caller must pass to
        :meth:`wait_durable` after releasing its lock, so concurrent writers of the file share
        one fsync. Without ``locked`` that is done here. A failed deferred fsync raises
        ``StorageWriteError`` with ``written=True`` (the lines stay in the log).
        ``page_adapter``: the adapter the log is page-read with (see
        :meth:`read_jsonl_models_page`); its remembered prefix and sidecar then follow the
        appends, so the first page read in a new process is O(page) too.
        """
        self.checked(path)
        lines = None if self.codec.encrypted else self._encode_lines(records)
        defer = self._groups is not None and (sync_later or not locked)
        if locked:
            pending = self._append_locked(
                path, records, lines, defer=defer, page_adapter=page_adapter
            )
        else:
            with self.lock(path):
                pending = self._append_locked(
                    path, records, lines, defer=defer, page_adapter=page_adapter
                )
        self._after_write(path)
        if sync_later:
            return pending
        self.wait_durable(path, pending)
        return None

    def rewrite_jsonl(
        self, path: Path, records: Sequence[dict[str, Any]], *, accept_current: bool = False
    ) -> None:
        """Atomically replace a whole JSONL file (expiry, compaction, rotation).

        The caller holds the file's lock, so no append can slip in between read and replace.
        Encrypted: refused like an append when the file no longer matches its head, unless
        ``accept_current`` (a rekey: the operator accepts the file as it is).
        """
        self.checked(path)
        if self.codec.encrypted and not accept_current:
            self._refuse_unsealed_change(
                path,
                chain.tail_state(
                    self._chain_codec(),
                    path,
                    owner=self.owner_of(path),
                    rel=self.rel(path),
                ),
            )
        state = chain.ChainState(chain.new_epoch())  # a fresh epoch: old copies stop verifying
        lines = (
            self._seal_chained(path, records, state)
            if self.codec.encrypted
            else self._encode_lines(records)
        )
        payload = b"".join(line + b"\n" for line in lines)
        with writing(self.rel(path)):
            atomic_write_bytes(path, payload, fsync=self._fsync, mode=self.file_mode)
        self._drop_sidecar(path)
        if self.codec.encrypted:
            self._write_head(path, state)
        self._after_write(path)

    def read_jsonl(self, path: Path) -> list[dict[str, Any]]:
        return jsonl.read_records(self.checked(path), self._line_decoder(path))

    def read_jsonl_models(self, path: Path, adapter: Any) -> list[Any]:
        """Records validated by a pydantic ``TypeAdapter(list[Model])`` (fast path for logs)."""
        return jsonl.read_models(self.checked(path), adapter, self._line_decoder(path))

    def read_jsonl_models_page(
        self, path: Path, adapter: Any, *, offset: int = 0, limit: int | None = None
    ) -> list[Any]:
        """``read_jsonl_models(path, adapter)[offset:offset + limit]``, same result or error,
        in O(page + lines appended since) once this store, or the log's sidecar, knows a
        validated prefix (see :mod:`.pages`); otherwise it reads the file whole."""
        self.checked(path)
        stop = None if limit is None else offset + limit
        try:
            fd = os.open(path, os.O_RDONLY)
        except FileNotFoundError:
            return []
        try:
            entry = self._pages.get(path) or self._load_sidecar(path, fd)
            if entry is not None:
                found = pages.read_page(
                    path,
                    fd,
                    entry,
                    adapter,
                    offset,
                    stop,
                    lambda: self._line_decoder(path),
                    self.codec,
                )
                if found is not None:
                    models, grown = found
                    if grown is not entry:
                        self._pages.put(path, grown)
                        self._persist_page(path, grown)
                    return models
                self._pages.forget(path)
            st = os.fstat(fd)
            data = _read_fd(fd)
        finally:
            os.close(fd)
        decoder = self._line_decoder(path)
        models, whole_json = jsonl.models_from_bytes(path, data, adapter, decoder)
        state = decoder.state if isinstance(decoder, chain.ChainReader) else None
        entry = pages.fingerprint(
            st.st_dev,
            st.st_ino,
            data,
            len(models),
            whole_json=whole_json,
            state=state,
            codec=self.codec,
        )
        self._pages.put(path, entry)
        self._persist_page(path, entry)
        return models[offset:stop]

    def count_jsonl(self, path: Path) -> int:
        return jsonl.count_lines(self.checked(path))

    def repair_jsonl(self, path: Path) -> jsonl.RepairReport:
        """Move structurally broken lines aside; never a line that only fails to decrypt or
        verify (``report.refused``: the key ring may be what is wrong). Encrypted files whose
        lines were moved are re-sealed as a fresh chain, but only when the records kept still
        end where the file's head says: repair must not seal a cut or replayed log."""
        with self.lock(path):
            stamp = self.clock.now().strftime("%Y%m%dT%H%M%S%fZ")
            state = chain.ChainState(chain.new_epoch())
            reader = self._line_decoder(path)
            reseal = verify = None
            if isinstance(reader, chain.ChainReader):
                owner, rel = self.owner_of(path), self.rel(path)

                def reseal(good: list[bytes]) -> list[bytes]:  # already verified by ``reader``
                    plain = [
                        json.loads(self.codec.open(raw, owner=owner, rel_path=rel)) for raw in good
                    ]
                    return self._seal_chained(path, plain, state)

                def verify() -> str | None:
                    head = self.read_json(chain.head_path(path), default=None)
                    return chain.head_mismatch(reader.state or chain.ChainState(""), head)

            with writing(self.rel(path)):
                report = jsonl.repair(
                    path,
                    fsync=self._fsync,
                    stamp=stamp,
                    decode=reader,
                    reseal=reseal,
                    verify=verify,
                    mode=self.file_mode,
                )
            if report.moved:  # rewritten: re-validated by the next read
                self._drop_sidecar(path)
            if reseal is not None and report.moved:
                self._write_head(path, state)
            return report

    def _line_decoder(self, path: Path) -> chain.ChainReader | None:
        if not self.codec.encrypted:
            return None
        # Opens each line and checks its place in the chain (raises naming file and line).
        return chain.ChainReader(
            self._chain_codec(),
            owner=self.owner_of(path),
            rel=self.rel(path),
        )

    def _chain_codec(self) -> AesGcmCodec:
        """The codec of an encrypted store, the one that chains lines (:mod:`.chain`)."""
        codec = self.codec
        assert isinstance(codec, AesGcmCodec), "chained lines need the AES-GCM codec"
        return codec

    # -- blobs ---------------------------------------------------------------------------
    def write_blob(
        self, path: Path, data: bytes, *, exclusive: bool = True, private: bool = False
    ) -> None:
        """``private``: readable by the owner only (0600) from the first byte (key files),
        whatever ``owner_only`` says."""
        self.checked(path)
        if self.codec.encrypted:
            data = self.codec.seal_blob(data, owner=self.owner_of(path), rel_path=self.rel(path))
        try:
            with writing(self.rel(path)):
                atomic_write_bytes(
                    path,
                    data,
                    fsync=self._fsync,
                    exclusive=exclusive,
                    mode=0o600 if private else self.file_mode,
                )
        except FileExistsError:
            raise AlreadyExists(f"{self.rel(path)} already exists", path=self.rel(path)) from None
        self._after_write(path)

    def read_blob(self, path: Path) -> bytes:
        self.checked(path)
        try:
            data = path.read_bytes()
        except FileNotFoundError:
            raise NotFound(f"{self.rel(path)} does not exist", path=self.rel(path)) from None
        if self.codec.encrypted:
            data = self.codec.open_blob(data, owner=self.owner_of(path), rel_path=self.rel(path))
        return data

    # -- folders -------------------------------------------------------------------------
    def ensure_dir(self, path: Path) -> Path:
        """Create ``path`` and its missing parents one level at a time, each checked first, so a
        symlinked parent is refused instead of created through."""
        self.checked(path)
        if os.path.isdir(path) and not os.path.islink(path):
            return path
        missing = []
        current = path
        while current != self.root and not os.path.lexists(current):
            missing.append(current)
            current = current.parent
        self.checked(current)  # the deepest existing part, re-checked just before creating
        if current != self.root and not os.path.isdir(current):
            raise UnsafePath(
                f"refusing {self.rel(current)!r}: the store expects a folder here",
                key="path",
                value=self.rel(current),
            )
        with writing(self.rel(path)):
            for folder in reversed(missing):
                try:
                    os.mkdir(folder, self.dir_mode)
                except FileExistsError:
                    self.checked(folder)  # created concurrently: fine if it is a real folder
        return path

    def create_dir(self, path: Path) -> Path:
        """Claim a new folder atomically (``mkdir`` without exist_ok) or raise AlreadyExists."""
        self.checked(path)
        self.ensure_dir(path.parent)
        try:
            with writing(self.rel(path)):
                os.mkdir(path, self.dir_mode)
        except FileExistsError:
            raise AlreadyExists(f"{self.rel(path)} already exists", path=self.rel(path)) from None
        return path

    def listdir(self, path: Path) -> list[str]:
        """Names in a store folder (raises ``FileNotFoundError`` like ``os.listdir``); a
        symlinked folder is refused, not listed."""
        return os.listdir(self.checked(path))

    def is_dir(self, path: Path) -> bool:
        """A real folder of the store (a symlink to one is not)."""
        return os.path.isdir(path) and not os.path.islink(path)

    def case_variant(self, path: Path) -> str | None:
        """An existing sibling whose name equals ``path.name`` ignoring case, if any.

        Distinct ids must stay distinct on case-insensitive file systems too (macOS, Windows).
        """
        folded = path.name.casefold()
        try:
            names = self.listdir(path.parent)
        except FileNotFoundError:
            return None
        return next((n for n in names if n.casefold() == folded and n != path.name), None)

    def remove(self, path: Path) -> None:
        # unlink would only drop a planted link, not its target, but the store never acts on
        # one: it is refused like every other access, and the link check reports it
        self.checked(path)
        try:
            with writing(self.rel(path)):
                path.unlink()
        except FileNotFoundError:
            raise NotFound(f"{self.rel(path)} does not exist", path=self.rel(path)) from None

    def remove_tree(self, path: Path) -> None:
        """rmtree never descends into a symlink (it removes the link), so only the path itself
        and its parents need checking."""
        self.checked(path)
        with writing(self.rel(path)):
            shutil.rmtree(path)

    def iter_files(self, suffix: str) -> Iterator[Path]:
        """Every file under the root ending with ``suffix`` (used by checks and repair);
        symlinks are skipped (the link check reports them) and never descended into."""
        for dirpath, _dirs, files in os.walk(self.root):
            for name in files:
                if name.endswith(suffix) and not os.path.islink(os.path.join(dirpath, name)):
                    yield Path(dirpath, name)
