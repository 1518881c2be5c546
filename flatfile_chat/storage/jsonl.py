"""JSONL: append whole lines, read without skipping anything, repair by moving bad lines aside.

Callers hold the file's lock around :func:`append_lines` and :func:`repair`; readers need none
(appends are single ``write`` calls of whole lines under ``O_APPEND``).
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from flatfile_chat.errors import SecurityError, StorageCorrupted
from flatfile_chat.storage.atomic import atomic_write_bytes, write_all
from flatfile_chat.storage.chain import SealRefused
from flatfile_chat.storage.durability import SyncGroups

LineDecoder = Callable[[bytes, int], bytes]
REJECTED_MARKER = ".rejected-"


def encode_record(record: dict[str, Any]) -> bytes:
    """Upstream's JSONL convention: compact-ish ``json.dumps``, UTF-8, insertion key order."""
    return json.dumps(record, ensure_ascii=False).encode("utf-8")


def append_lines(
    path: Path,
    lines: Iterable[bytes],
    *,
    fsync: bool,
    mode: int = 0o600,
    groups: SyncGroups | None = None,
) -> int:
    """Append already-encoded lines in one write; returns the number of bytes written.

    Refuses to append after a torn last line (it would glue a good record onto garbage), to a
    symlink (``O_NOFOLLOW``: ``ELOOP``) and to a file with a second hard link (the record would
    land in the other name too). A write that fails part-way (disk full, I/O error) is cut
    back to the previous length before the error is raised, so no torn tail is left behind;
    so is one whose fsync fails (the caller holds the lock: these bytes are the file's last).
    ``groups``: share the fsync with concurrent writers of the same file (group commit).
    """
    pending = _write(path, lines, mode)
    try:
        if fsync:
            try:
                if groups is None:
                    os.fdatasync(pending.fd)
                else:
                    groups.wait(pending.fd, pending.key, groups.written(pending.key))
            except OSError:
                os.ftruncate(pending.fd, pending.size_before)
                raise
    finally:
        os.close(pending.fd)
    return pending.length


@dataclass
class PendingSync:
    """An append that is written (visible to readers) but not yet known durable: the caller
    releases the file's lock, then calls :meth:`wait`, so other writers can append while this
    one waits for an fsync that covers them all (group commit)."""

    fd: int
    key: tuple[int, int]
    size_before: int
    length: int
    ticket: int = 0
    groups: SyncGroups | None = None

    def wait(self) -> None:
        """Return once the bytes are durable (raises the fsync's ``OSError`` if it failed:
        the lines then stay in the file, unconfirmed). Closes the descriptor; call once."""
        if self.fd < 0:
            return
        try:
            if self.groups is not None:
                self.groups.wait(self.fd, self.key, self.ticket)
        finally:
            os.close(self.fd)
            self.fd = -1


def append_lines_pending(
    path: Path, lines: Iterable[bytes], *, groups: SyncGroups | None, mode: int = 0o600
) -> PendingSync:
    """Like :func:`append_lines` (under the caller's lock) but returns before any fsync;
    ``groups`` None means no fsync is wanted (``wait`` only closes the descriptor)."""
    pending = _write(path, lines, mode)
    if groups is not None:
        pending.groups = groups
        pending.ticket = groups.written(pending.key)
    return pending


def _write(path: Path, lines: Iterable[bytes], mode: int) -> PendingSync:
    """Write the lines with the checks of :func:`append_lines`; the descriptor stays open."""
    payload = b"".join(line + b"\n" for line in lines)
    fd = os.open(path, os.O_RDWR | os.O_APPEND | os.O_CREAT | os.O_NOFOLLOW, mode)
    try:
        st = os.fstat(fd)
        if st.st_nlink != 1:
            raise SecurityError(
                f"{path.name} has {st.st_nlink} hard links: refusing to append "
                "(the record would also land in the other name)",
                key="path",
                value=str(path),
            )
        size = st.st_size
        if size and os.pread(fd, 1, size - 1) != b"\n":
            raise StorageCorrupted(
                "last line is torn (no trailing newline); run repair before appending",
                path=path,
                line=count_lines(path) + 1,
            )
        try:
            write_all(fd, payload)
        except OSError:
            os.ftruncate(fd, size)  # leave the file as it was (O_APPEND: nobody else wrote)
            raise
    except BaseException:
        os.close(fd)
        raise
    return PendingSync(fd, (st.st_dev, st.st_ino), size, len(payload))


def count_lines(path: Path) -> int:
    """Complete lines in ``path`` (0 if missing). Cheap: counts newlines, parses nothing."""
    try:
        with open(path, "rb") as fh:
            return sum(chunk.count(b"\n") for chunk in iter(lambda: fh.read(1 << 20), b""))
    except FileNotFoundError:
        return 0


def read_records(path: Path, decode: LineDecoder | None = None) -> list[dict[str, Any]]:
    """Every record in order; a torn or invalid line raises ``StorageCorrupted`` with its line."""
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return []
    return records_from_bytes(path, data, decode)


def records_from_bytes(
    path: Path, data: bytes, decode: LineDecoder | None = None
) -> list[dict[str, Any]]:
    """:func:`read_records` of bytes already read from ``path``."""
    if not data:
        return []
    lines = data.split(b"\n")
    torn = lines.pop() != b""  # text after the last newline is a torn (partial) line
    if decode is None and not torn:
        records = _fast_parse(lines)
        if records is not None:
            return records
    return _slow_parse(path, lines, torn, decode)


def _fast_parse(lines: list[bytes]) -> list[dict[str, Any]] | None:
    # One json.loads over a synthetic array is several times faster than one per line.
    try:
        records = json.loads(b"[" + b",".join(lines) + b"]")
    except ValueError:
        return None
    if len(records) != len(lines) or not all(type(r) is dict for r in records):
        return None
    return records


def _slow_parse(
    path: Path, lines: list[bytes], torn: bool, decode: LineDecoder | None
) -> list[dict[str, Any]]:
    records = []
    for number, raw in enumerate(lines, start=1):
        records.append(_parse_line(path, number, raw, decode))
    if torn:
        raise StorageCorrupted(
            "torn last line (no trailing newline, partial write?)",
            path=path,
            line=len(lines) + 1,
            torn=True,
        )
    return records


def _parse_line(path: Path, number: int, raw: bytes, decode: LineDecoder | None) -> dict[str, Any]:
    try:
        if decode is not None:
            raw = decode(raw, number)
        record = json.loads(raw)
    except StorageCorrupted:
        raise
    except ValueError as exc:
        snippet = raw[:60].decode("utf-8", "replace")
        raise StorageCorrupted(
            f"invalid JSON line ({exc.__class__.__name__}: {exc}): {snippet!r}",
            path=path,
            line=number,
        ) from None
    if type(record) is not dict:
        raise StorageCorrupted(
            f"line is a JSON {type(record).__name__}, expected an object", path=path, line=number
        )
    return record


def read_models(path: Path, adapter: Any, decode: LineDecoder | None = None) -> list[Any]:
    """Like :func:`read_records` but validated into models by a pydantic ``TypeAdapter`` of a
    list; plain files go through pydantic-core's JSON parser in one call (the fast path), and
    any problem falls back to line-by-line parsing so the error names its line."""
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return []
    return models_from_bytes(path, data, adapter, decode)[0]


def models_from_bytes(
    path: Path, data: bytes, adapter: Any, decode: LineDecoder | None = None
) -> tuple[list[Any], bool]:
    """:func:`read_models` of bytes already read from ``path``; also whether the one-call
    parser took the whole file (else it was parsed line by line)."""
    if decode is None and data.endswith(b"\n"):
        lines = data[:-1].split(b"\n")
        try:
            models = adapter.validate_json(b"[" + b",".join(lines) + b"]")
        except ValueError:
            models = None
        if models is not None and len(models) == len(lines):
            return models, True
    records = records_from_bytes(path, data, decode)
    models = []
    for number, record in enumerate(records, start=1):
        try:
            models.append(adapter.validate_python([record])[0])
        except ValueError as exc:
            raise StorageCorrupted(
                f"line does not match the expected record: {str(exc).splitlines()[0]}",
                path=path,
                line=number,
            ) from None
    return models, decode is None and not data


@dataclass(frozen=True)
class RepairReport:
    path: str
    kept: int
    moved: int
    rejected_file: str | None
    bad_lines: tuple[int, ...]
    # (line, why) for lines that parse but do not decrypt/verify: left in place, file untouched
    refused: tuple[tuple[int, str], ...] = ()


def repair(
    path: Path,
    *,
    fsync: bool,
    stamp: str,
    decode: LineDecoder | None = None,
    reseal: Callable[[list[bytes]], list[bytes]] | None = None,
    verify: Callable[[], str | None] | None = None,
    mode: int = 0o600,
) -> RepairReport:
    """Keep the valid lines (atomically rewritten) and move the bad ones to a side file.

    Only structurally broken lines (torn, not JSON, not an envelope) move. A line the decoder
    refuses (``SealRefused``: unknown key id, tag does not verify, broken chain) may be good
    data read with the wrong keys, so the file is then left byte-identical and the lines are
    listed in ``refused``. ``reseal`` re-encodes the kept lines (a fresh encryption chain);
    ``verify`` (called after the scan, before any write) may refuse the whole repair with a
    reason, e.g. when the kept lines no longer end where the file's head says."""
    data = path.read_bytes() if path.exists() else b""
    lines = data.split(b"\n")
    if lines and lines[-1] == b"":
        lines.pop()
    good: list[bytes] = []
    bad: list[tuple[int, bytes]] = []
    refused: list[tuple[int, str]] = []
    resync = getattr(decode, "resync", None)
    for number, raw in enumerate(lines, start=1):
        try:
            _parse_line(path, number, raw, decode)
            good.append(raw)
        except SealRefused as exc:
            refused.append((number, exc.message))
            if resync is not None:
                resync()  # judge each later line on its own
        except StorageCorrupted:
            bad.append((number, raw))
            if resync is not None:
                resync()
    if not refused and bad and verify is not None:
        problem = verify()  # before anything is written: the kept lines may not be resealed
        if problem:
            refused.append((len(lines), problem))
    if refused:
        return RepairReport(str(path), len(lines), 0, None, (), tuple(refused))
    if not bad:
        return RepairReport(str(path), len(good), 0, None, ())
    aside = path.with_name(f"{path.name}{REJECTED_MARKER}{stamp}")
    n = 1
    while aside.exists():
        n += 1
        aside = path.with_name(f"{path.name}{REJECTED_MARKER}{stamp}-{n}")
    side = b"".join(f"line {number}: ".encode() + raw + b"\n" for number, raw in bad)
    atomic_write_bytes(aside, side, fsync=fsync, exclusive=True, mode=mode)
    if reseal is not None:
        good = reseal(good)
    atomic_write_bytes(path, b"".join(raw + b"\n" for raw in good), fsync=fsync, mode=mode)
    return RepairReport(str(path), len(good), len(bad), str(aside), tuple(n for n, _ in bad))
