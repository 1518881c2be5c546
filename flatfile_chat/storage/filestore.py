"""The file layer every manager writes through: safe paths, atomic JSON, locked JSONL, codec.

Managers never call ``open`` themselves. That keeps three promises in one place: nothing is
written outside the root, nothing is half-written, and encryption (when on) covers every file.
"""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Iterator, Sequence
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Any

from flatfile_chat.clock import Clock, SystemClock
from flatfile_chat.errors import AlreadyExists, NotFound, StorageCorrupted
from flatfile_chat.storage import chain, jsonl
from flatfile_chat.storage.atomic import atomic_write_bytes, dump_json
from flatfile_chat.storage.codec import Codec, PlainCodec
from flatfile_chat.storage.durability import Durability, GroupCommitter
from flatfile_chat.storage.locks import file_lock, may_write_in_place
from flatfile_chat.storage.paths import ensure_inside, safe_join

_MISSING: Any = object()
# Derived files this small are updated in place: one pwrite of at most one disk sector.
IN_PLACE_MAX_BYTES = 512


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
    ) -> None:
        self.root = Path(os.path.abspath(root))
        self.root.mkdir(parents=True, exist_ok=True)
        self.durability = Durability(durability)
        self.lock_timeout = lock_timeout
        self.codec: Codec = codec or PlainCodec()
        self.clock = clock or SystemClock()
        self._committer = (GroupCommitter(group_commit_interval_ms)
                           if self.durability is Durability.BATCH else None)

    # -- paths ---------------------------------------------------------------------------
    def path(self, *parts: str) -> Path:
        return safe_join(self.root, *parts)

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

    def close(self) -> None:
        if self._committer is not None:
            self._committer.close()

    # -- JSON documents ------------------------------------------------------------------
    def read_raw(self, path: Path) -> bytes | None:
        """A file's bytes as stored (still sealed when encrypted), or None if missing."""
        try:
            return path.read_bytes()
        except FileNotFoundError:
            return None

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

    def write_json(self, path: Path, data: Any, *, derived: bool = False,
                   exclusive: bool = False) -> bytes:
        """Atomically replace ``path``.

        ``derived`` marks a file recomputable from a log (see :mod:`durability`): it is not
        fsynced, and when the caller holds its exclusive lock and it fits in one sector it is
        overwritten in place (readers then pass ``shared_lock=True``).
        """
        ensure_inside(self.root, path)
        payload = dump_json(data)
        if self.codec.encrypted:
            payload = self.codec.seal(payload, owner=self.owner_of(path), rel_path=self.rel(path))
        if derived and not exclusive:
            written = self._write_in_place(path, payload)
            if written is not None:
                self._after_write(path)
                return written
        try:
            atomic_write_bytes(path, payload, fsync=self._fsync and not derived,
                               exclusive=exclusive)
        except FileExistsError:
            raise AlreadyExists(f"{self.rel(path)} already exists", path=self.rel(path)) from None
        self._after_write(path)
        return payload

    def _write_in_place(self, path: Path, payload: bytes) -> bytes | None:
        """The bytes now on disk, or None when an in-place write is not allowed here."""
        if len(payload) > IN_PLACE_MAX_BYTES or not may_write_in_place(path):
            return None
        try:
            fd = os.open(path, os.O_RDWR)
        except FileNotFoundError:
            return None
        try:
            old_size = os.fstat(fd).st_size
            if old_size > IN_PLACE_MAX_BYTES:
                return None
            # Pad with JSON whitespace so no stale tail survives; one pwrite within one page is
            # all-or-nothing for a killed process, and readers hold the shared lock.
            data = payload.ljust(old_size, b" ")
            os.pwrite(fd, data, 0)
        finally:
            os.close(fd)
        return data

    # -- JSONL logs ----------------------------------------------------------------------
    def lock(self, path: Path, *, shared: bool = False) -> AbstractContextManager[None]:
        ensure_inside(self.root, path)
        return file_lock(path, self.lock_timeout, shared=shared)

    def _encode_lines(self, path: Path, records: Sequence[dict[str, Any]]) -> list[bytes]:
        lines = [jsonl.encode_record(r) for r in records]
        if self.codec.encrypted:
            owner, rel = self.owner_of(path), self.rel(path)
            lines = [self.codec.seal(line, owner=owner, rel_path=rel) for line in lines]
        return lines

    def _seal_chained(self, path: Path, records: Sequence[dict[str, Any]],
                      state: chain.ChainState) -> list[bytes]:
        """Encrypted lines that continue ``state`` (see :mod:`.chain`); updates ``state``."""
        return chain.seal_lines(self.codec, [jsonl.encode_record(r) for r in records],  # type: ignore[arg-type]
                                owner=self.owner_of(path), rel=self.rel(path), state=state)

    def _write_head(self, path: Path, state: chain.ChainState) -> None:
        """Seal ``.{name}.head`` and overwrite it in place (caller holds the file's lock): one
        pwrite of ~250 bytes, within one sector, padded with JSON whitespace. Not fsynced: a
        head lost in a crash only falls behind the log, which the check reports as unsealed;
        a torn head fails to open and is reported, never acted on."""
        if state.legacy:
            return
        head = chain.head_path(path)
        payload = self.codec.seal(dump_json(chain.head_record(state)),
                                  owner=self.owner_of(head), rel_path=self.rel(head))
        fd = os.open(head, os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW, 0o644)
        try:
            os.pwrite(fd, payload.ljust(os.fstat(fd).st_size, b" "), 0)
        finally:
            os.close(fd)

    def _append_locked(self, path: Path, records: Sequence[dict[str, Any]],
                       lines: list[bytes] | None) -> None:
        if lines is not None:
            jsonl.append_lines(path, lines, fsync=self._fsync)
            return
        # Encrypted: continue the chain from the last line (read from the tail), move the head.
        state = chain.tail_state(self.codec, path, owner=self.owner_of(path),  # type: ignore[arg-type]
                                 rel=self.rel(path))
        jsonl.append_lines(path, self._seal_chained(path, records, state), fsync=self._fsync)
        self._write_head(path, state)

    def append_jsonl(self, path: Path, records: Sequence[dict[str, Any]], *,
                     locked: bool = False) -> None:
        """Append whole lines; takes the file's lock unless the caller already holds it."""
        ensure_inside(self.root, path)
        lines = None if self.codec.encrypted else self._encode_lines(path, records)
        if locked:
            self._append_locked(path, records, lines)
        else:
            with self.lock(path):
                self._append_locked(path, records, lines)
        self._after_write(path)

    def rewrite_jsonl(self, path: Path, records: Sequence[dict[str, Any]]) -> None:
        """Atomically replace a whole JSONL file (expiry, compaction, rotation).

        The caller holds the file's lock, so no append can slip in between read and replace.
        """
        ensure_inside(self.root, path)
        state = chain.ChainState(chain.new_epoch())  # a fresh epoch: old copies stop verifying
        lines = (self._seal_chained(path, records, state) if self.codec.encrypted
                 else self._encode_lines(path, records))
        payload = b"".join(line + b"\n" for line in lines)
        atomic_write_bytes(path, payload, fsync=self._fsync)
        if self.codec.encrypted:
            self._write_head(path, state)
        self._after_write(path)

    def read_jsonl(self, path: Path) -> list[dict[str, Any]]:
        return jsonl.read_records(path, self._line_decoder(path))

    def read_jsonl_models(self, path: Path, adapter: Any) -> list[Any]:
        """Records validated by a pydantic ``TypeAdapter(list[Model])`` (fast path for logs)."""
        return jsonl.read_models(path, adapter, self._line_decoder(path))

    def count_jsonl(self, path: Path) -> int:
        return jsonl.count_lines(path)

    def repair_jsonl(self, path: Path) -> jsonl.RepairReport:
        """Move structurally broken lines aside; never a line that only fails to decrypt or
        verify (``report.refused``: the key ring may be what is wrong). Encrypted files whose
        lines were moved are re-sealed as a fresh chain."""
        with self.lock(path):
            stamp = self.clock.now().strftime("%Y%m%dT%H%M%S%fZ")
            state = chain.ChainState(chain.new_epoch())
            reseal = None
            if self.codec.encrypted:
                def reseal(good: list[bytes]) -> list[bytes]:
                    reader = self._line_decoder(path)
                    plain = []
                    for number, raw in enumerate(good, start=1):
                        reader.resync()  # type: ignore[union-attr]
                        plain.append(json.loads(reader(raw, number)))  # type: ignore[misc]
                    return self._seal_chained(path, plain, state)
            report = jsonl.repair(path, fsync=self._fsync, stamp=stamp,
                                  decode=self._line_decoder(path), reseal=reseal)
            if reseal is not None and report.moved:
                self._write_head(path, state)
            return report

    def _line_decoder(self, path: Path) -> jsonl.LineDecoder | None:
        if not self.codec.encrypted:
            return None
        # Opens each line and checks its place in the chain (raises naming file and line).
        return chain.ChainReader(self.codec, owner=self.owner_of(path),  # type: ignore[arg-type]
                                 rel=self.rel(path))

    # -- blobs ---------------------------------------------------------------------------
    def write_blob(self, path: Path, data: bytes, *, exclusive: bool = True,
                   private: bool = False) -> None:
        """``private``: readable by the owner only (0600) from the first byte (key files)."""
        ensure_inside(self.root, path)
        if self.codec.encrypted:
            data = self.codec.seal_blob(data, owner=self.owner_of(path), rel_path=self.rel(path))
        try:
            atomic_write_bytes(path, data, fsync=self._fsync, exclusive=exclusive,
                               mode=0o600 if private else 0o644)
        except FileExistsError:
            raise AlreadyExists(f"{self.rel(path)} already exists", path=self.rel(path)) from None
        self._after_write(path)

    def read_blob(self, path: Path) -> bytes:
        try:
            data = path.read_bytes()
        except FileNotFoundError:
            raise NotFound(f"{self.rel(path)} does not exist", path=self.rel(path)) from None
        if self.codec.encrypted:
            data = self.codec.open_blob(data, owner=self.owner_of(path), rel_path=self.rel(path))
        return data

    # -- folders -------------------------------------------------------------------------
    def ensure_dir(self, path: Path) -> Path:
        ensure_inside(self.root, path)
        path.mkdir(parents=True, exist_ok=True)
        return path

    def create_dir(self, path: Path) -> Path:
        """Claim a new folder atomically (``mkdir`` without exist_ok) or raise AlreadyExists."""
        ensure_inside(self.root, path)
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            path.mkdir()
        except FileExistsError:
            raise AlreadyExists(f"{self.rel(path)} already exists", path=self.rel(path)) from None
        return path

    def case_variant(self, path: Path) -> str | None:
        """An existing sibling whose name equals ``path.name`` ignoring case, if any.

        Distinct ids must stay distinct on case-insensitive file systems too (macOS, Windows).
        """
        folded = path.name.casefold()
        try:
            names = os.listdir(path.parent)
        except FileNotFoundError:
            return None
        return next((n for n in names if n.casefold() == folded and n != path.name), None)

    def remove(self, path: Path) -> None:
        ensure_inside(self.root, path)
        try:
            path.unlink()
        except FileNotFoundError:
            raise NotFound(f"{self.rel(path)} does not exist", path=self.rel(path)) from None

    def remove_tree(self, path: Path) -> None:
        ensure_inside(self.root, path)
        shutil.rmtree(path)

    def iter_files(self, suffix: str) -> Iterator[Path]:
        """Every file under the root ending with ``suffix`` (used by checks and repair)."""
        for dirpath, _dirs, files in os.walk(self.root):
            for name in files:
                if name.endswith(suffix):
                    yield Path(dirpath, name)
