"""Pages of a JSONL log in O(page) instead of O(file), with the full read's exact results.

Why: ``read_models`` parses and validates the whole log, so the newest 50 messages of a
100,000-message session cost a second. The full read's answer for a slice depends on every
line (any invalid line makes it raise), so a page can only skip lines that are *known* valid.
This module remembers, per file, the prefix a clean full read (or an earlier page read)
validated: the inode, the length, the record count, the chain state after it (encrypted), and
its first and last 4 KiB. A later page read:

1. checks the file is the same inode, at least that long, and still holds the remembered
   first and last 4 KiB of the prefix (an atomic rewrite, a truncation or a rewrite in place
   of different length is caught here);
2. validates the lines appended since, exactly as the full read would (same parser, the
   encryption chain continued from the remembered state) -- a torn or invalid line there,
   or anything unexpected, gives up;
3. reads only the lines of the page, from whichever end of the file is nearer, and parses
   them as the full read did (encrypted: opened and checked against their chain positions).

Giving up (``None``) means the caller does the full read, which raises or answers exactly as
before. What is not detected: a rewrite *in place* of bytes of the prefix, keeping its length
and the remembered 4 KiB at both ends, by something other than the store (which never edits a
log in place: appends only, rewrites by rename); the full read would see such an edit, the
page read serves the remembered validation. Likewise hand-written lines that are not each
one JSON object on their own (e.g. one line ``{},{}``, another ``{"a":[1``): the full read's
whole-file parser may accept such a file, and a page then need not match it. The store never
writes either; the integrity check still reads every line.

Across processes: the remembered entry is also kept in a sidecar ``.{name}.pages`` next to the
log (the 4 KiB ends as sha256 digests), so a new process's first page read costs O(page +
lines appended since), not O(file). Written atomically (temp + rename, never in place, no
fsync: a lost or torn one only costs a full read) by a full read, by a page read that
validated ``PERSIST_EVERY_BYTES`` of new lines, and by the store's own appends: under the
writer's lock an append validates the lines it wrote as a page read would and extends the entry
(O(lines appended)), persisting it once it grew ``PERSIST_EVERY_BYTES`` since, so a log the
store wrote reads fast from its first page. An append to a log with no known prefix (or one
too far behind) leaves it to the next read. The sidecar is a cache, never data: it names the
log's path, inode, the key ring (``Codec.ring_id``) and a format version, carries a checksum,
and is sealed (AES-GCM, bound to its owner and path) when the store is encrypted, so its
chain state is neither readable nor forgeable; any mismatch (stale, unreadable, tampered,
forged, another ring) means the full read. A plain store's sidecar is checksummed, not
authenticated: whoever can write the store's folders can forge it, as they can edit the log
(nothing in a plain store is authenticated). Logs under ``PERSIST_MIN_BYTES`` get none
(their full read is cheap). Migrations, backups and rekeys skip sidecars (:func:`is_sidecar`);
the store's own rewrites remove them. The in-place blind spot above now outlives the process
(a sidecar written before such an edit still vouches for the prefix), and a sidecar left for
a replaced log whose inode number is reused for the same path is caught only by the 4 KiB
ends (an encrypted rewrite changes them: a new epoch).
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import threading
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from flatfile_chat.storage import chain, jsonl

FINGERPRINT = 4096  # bytes kept from each end of the validated prefix
_BLOCK = 1 << 16  # read unit when scanning for line boundaries
_MAX_FILES = 1024  # files remembered per store (a cache: a miss costs one full read)
SIDECAR_SUFFIX = ".pages"
PERSIST_MIN_BYTES = 64 * 1024  # smaller logs get no sidecar (their full read is cheap)
PERSIST_EVERY_BYTES = 16 * 1024  # re-persist once the entry grew this much since
_FORMAT = b"ffpages1\n"
MAX_SIDECAR_BYTES = 1 << 20  # a planted huge file is not read whole


@dataclass(frozen=True)
class Validated:
    """A prefix ``[0, size)`` of one inode that reads cleanly as ``count`` records."""

    dev: int
    ino: int
    size: int
    count: int
    head: bytes
    tail: bytes
    whole_json: bool  # plain file accepted by the one-call parser (else line by line)
    state: chain.ChainState | None  # encrypted: chain state after the last record
    codec: object  # the codec it was read with (a different one: read again)


def fingerprint(
    dev: int,
    ino: int,
    data: bytes,
    count: int,
    *,
    whole_json: bool,
    state: chain.ChainState | None,
    codec: object,
) -> Validated:
    return Validated(
        dev,
        ino,
        len(data),
        count,
        data[:FINGERPRINT],
        data[max(0, len(data) - FINGERPRINT) :],
        whole_json,
        None if state is None else replace(state),
        codec,
    )


def empty(dev: int, ino: int, *, encrypted: bool, codec: object) -> Validated:
    """The empty prefix of a file, as a full read of an empty file would remember it (true of
    any file: extending it validates every line)."""
    return Validated(dev, ino, 0, 0, b"", b"", not encrypted, None, codec)


class PageCache:
    """Remembered validated prefixes, by path, and the size each was last persisted at (its
    sidecar); thread-safe (one dict, replaced entries)."""

    def __init__(self) -> None:
        self._entries: dict[str, Validated] = {}
        self._persisted: dict[str, int] = {}
        self._lock = threading.Lock()

    def get(self, path: Path) -> Validated | None:
        return self._entries.get(os.fspath(path))

    def put(self, path: Path, entry: Validated) -> None:
        with self._lock:
            if len(self._entries) >= _MAX_FILES:
                self._entries.clear()
                self._persisted.clear()
            self._entries[os.fspath(path)] = entry

    def forget(self, path: Path) -> None:
        with self._lock:
            self._entries.pop(os.fspath(path), None)
            self._persisted.pop(os.fspath(path), None)

    def persisted(self, path: Path) -> int | None:
        return self._persisted.get(os.fspath(path))

    def mark_persisted(self, path: Path, size: int) -> None:
        with self._lock:
            self._persisted[os.fspath(path)] = size


def due(entry: Validated, persisted: int | None) -> bool:
    """Whether ``entry`` should be (re)written to its sidecar: big enough to be worth one,
    and nothing persisted yet or enough new lines since."""
    return entry.size >= PERSIST_MIN_BYTES and (
        persisted is None or entry.size - persisted >= PERSIST_EVERY_BYTES
    )


def refresh(
    path: Path,
    fd: int,
    entry: Validated,
    adapter: Any,
    decoder: Callable[[], chain.ChainReader | None],
    codec: object,
) -> tuple[Validated, list[bytes]] | None:
    """The entry grown to the end of the file open as ``fd`` (the lines appended since its
    prefix validated as the full read would) and those new lines, or None when the prefix
    cannot vouch for the file."""
    st = os.fstat(fd)
    if (st.st_dev, st.st_ino) != (entry.dev, entry.ino) or st.st_size < entry.size:
        return None
    if entry.codec is not codec:
        return None
    if entry.size:
        if os.pread(fd, len(entry.head), 0) != entry.head:
            return None
        if os.pread(fd, len(entry.tail), entry.size - len(entry.tail)) != entry.tail:
            return None
    delta = os.pread(fd, st.st_size - entry.size, entry.size) if st.st_size > entry.size else b""
    if delta and not delta.endswith(b"\n"):
        return None  # torn tail (or a write in progress): the full read reports it
    new_lines = delta[:-1].split(b"\n") if delta else []
    extended = _validate_delta(path, entry, new_lines, adapter, decoder)
    if extended is None:
        return None
    return extended, new_lines


def read_page(
    path: Path,
    fd: int,
    entry: Validated,
    adapter: Any,
    start: int,
    stop: int | None,
    decoder: Callable[[], chain.ChainReader | None],
    codec: object,
) -> tuple[list[Any], Validated] | None:
    """Models ``[start:stop]`` of the file open as ``fd`` and the extended entry, or None
    when the remembered prefix cannot vouch for the file (the caller reads it whole)."""
    grown = refresh(path, fd, entry, adapter, decoder, codec)
    if grown is None:
        return None
    extended, new_lines = grown
    total = extended.count
    begin = min(start, total)
    end = total if stop is None else min(max(stop, begin), total)
    if begin == end:
        return [], extended
    chained = extended.state is not None and not extended.state.legacy
    lines = _page_lines(fd, entry, new_lines, begin, end, chained)
    if lines is None:
        return None
    models = _parse_page(path, extended, lines, begin, adapter, decoder)
    if models is None:
        return None
    return models, extended


def _validate_delta(
    path: Path,
    entry: Validated,
    lines: list[bytes],
    adapter: Any,
    decoder: Callable[[], chain.ChainReader | None],
) -> Validated | None:
    """The entry grown by ``lines`` (validated as the full read would), or None."""
    if not lines:
        return entry
    state = entry.state
    if entry.state is not None or not entry.whole_json:
        reader = decoder()
        if reader is not None:
            reader.state = None if entry.state is None else replace(entry.state)
        try:
            for number, raw in enumerate(lines, start=entry.count + 1):
                record = jsonl._parse_line(path, number, raw, reader)
                adapter.validate_python([record])
        except Exception:  # any refusal: the full read reports it exactly
            return None
        state = None if reader is None else reader.state
    else:
        try:
            models = adapter.validate_json(b"[" + b",".join(lines) + b"]")
        except ValueError:
            return None
        if len(models) != len(lines):
            return None
    added = b"".join(line + b"\n" for line in lines)
    tail = (entry.tail + added)[-FINGERPRINT:]
    head = entry.head if len(entry.head) >= FINGERPRINT else (entry.head + added)[:FINGERPRINT]
    return Validated(
        entry.dev,
        entry.ino,
        entry.size + len(added),
        entry.count + len(lines),
        head,
        tail,
        entry.whole_json,
        state,
        entry.codec,
    )  # not replace(): 4 us


def _page_lines(
    fd: int, entry: Validated, new_lines: list[bytes], begin: int, end: int, chained: bool
) -> list[bytes] | None:
    """Raw lines ``[begin, end)``, plus line ``begin - 1`` first when the page needs a chain
    predecessor (``chained``, ``begin > 0``): from the appended lines, else by scanning the
    validated prefix from its nearer end."""
    first = begin - 1 if chained and begin > 0 else begin
    out: list[bytes] = []
    if end > entry.count:  # part (or all) of the page was appended since
        out = new_lines[max(first - entry.count, 0) : end - entry.count]
        end = entry.count
    if first < end:
        prefix = _prefix_lines(fd, entry, first, end)
        if prefix is None:
            return None
        out = prefix + out
    return out


def _prefix_lines(fd: int, entry: Validated, first: int, end: int) -> list[bytes] | None:
    """Lines ``[first, end)`` of the validated prefix (``end <= entry.count``), read in
    blocks from the prefix's nearer end."""
    if entry.count - first <= end:  # backwards: the last of these lines ends at size - 1
        need = entry.count - first
        pos, chunks, newlines = entry.size, [], 0
        while newlines <= need and pos > 0:  # one more newline: where line ``first`` starts
            step = min(_BLOCK, pos)
            pos -= step
            chunk = os.pread(fd, step, pos)
            chunks.append(chunk)
            newlines += chunk.count(b"\n")
        lines = b"".join(reversed(chunks))[:-1].split(b"\n")
        if pos > 0:
            lines = lines[1:]  # a cut piece, or lines before ``first``
        if len(lines) < need:
            return None
        return lines[len(lines) - need :][: end - first]
    pos, chunks, newlines = 0, [], 0
    while newlines < end and pos < entry.size:
        step = min(_BLOCK, entry.size - pos)
        chunk = os.pread(fd, step, pos)
        chunks.append(chunk)
        newlines += chunk.count(b"\n")
        pos += step
    lines = b"".join(chunks).split(b"\n")
    if len(lines) <= end:
        return None
    return lines[first:end]


def _parse_page(
    path: Path,
    entry: Validated,
    lines: list[bytes],
    begin: int,
    adapter: Any,
    decoder: Callable[[], chain.ChainReader | None],
) -> list[Any] | None:
    """Models of the page lines (with line ``begin - 1`` first when chained), parsed like
    the full read did for them; None on any surprise."""
    try:
        if entry.state is None and entry.whole_json:
            models = adapter.validate_json(b"[" + b",".join(lines) + b"]")
            return models if len(models) == len(lines) else None
        reader = decoder()
        number = begin + 1
        if reader is not None and entry.state is not None and not entry.state.legacy:
            if begin > 0:  # open the line before the page: its tag links to the first
                _plain, link, tag = reader._codec.open_record(
                    lines[0], owner=reader._owner, rel_path=reader._rel
                )
                if link is None or link["seq"] != begin - 1 or link["ep"] != entry.state.epoch:
                    return None
                reader.state = chain.ChainState(entry.state.epoch, begin, tag)
                lines = lines[1:]
        elif reader is not None and entry.state is not None:
            reader.state = replace(entry.state)  # legacy: every line unchained
        models = []
        for offset, raw in enumerate(lines):
            record = jsonl._parse_line(path, number + offset, raw, reader)
            models.append(adapter.validate_python([record])[0])
        return models
    except Exception:  # any surprise: the full read answers exactly
        return None


# -- sidecar -----------------------------------------------------------------------------
def sidecar_path(path: Path) -> Path:
    return path.with_name(f".{path.name}{SIDECAR_SUFFIX}")


def is_sidecar(name: str) -> bool:
    """A page sidecar (a cache of the store's: never data to copy, back up or migrate)."""
    return name.startswith(".") and name.endswith(".jsonl" + SIDECAR_SUFFIX)


def _digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def dumps(entry: Validated, log: str, ring: str) -> bytes:
    """The sidecar's plaintext: format line, sha256 of the body, JSON body naming ``log``
    (the log's store-relative path) and ``ring`` (the codec's key ring). The prefix's first
    and last 4 KiB are kept as digests (small to read back; the log holds the bytes)."""
    state = entry.state
    body = json.dumps(
        {
            "log": log,
            "ring": ring,
            "dev": entry.dev,
            "ino": entry.ino,
            "size": entry.size,
            "count": entry.count,
            "head": _digest(entry.head),
            "tail": _digest(entry.tail),
            "whole_json": entry.whole_json,
            "state": None
            if state is None
            else {
                "epoch": state.epoch,
                "seq": state.seq,
                "legacy": state.legacy,
                "tag": base64.b64encode(state.tag).decode(),
            },
        },
        separators=(",", ":"),
    ).encode()
    return _FORMAT + _digest(body).encode() + b"\n" + body


def loads(raw: bytes, log: str, ring: str, codec: object, fd: int) -> Validated | None:
    """The entry a sidecar's plaintext holds, if it is intact, of this format, names this
    log and key ring, and the file open as ``fd`` (the log) is that inode and still holds
    the prefix's first and last 4 KiB; else None."""
    if not raw.startswith(_FORMAT):
        return None
    digest, _, body = raw[len(_FORMAT) :].partition(b"\n")
    if digest != _digest(body).encode():
        return None
    try:
        data = json.loads(body)
        if data["log"] != log or data["ring"] != ring:
            return None
        dev, ino, size, count = (data[k] for k in ("dev", "ino", "size", "count"))
        whole_json, raw_state = data["whole_json"], data["state"]
        state = (
            None
            if raw_state is None
            else chain.ChainState(
                raw_state["epoch"],
                raw_state["seq"],
                base64.b64decode(raw_state["tag"]),
                raw_state["legacy"],
            )
        )
    except (ValueError, KeyError, TypeError):
        return None
    ints = (dev, ino, size, count) + (() if state is None else (state.seq,))
    if not all(type(i) is int and i >= 0 for i in ints) or type(whole_json) is not bool:
        return None
    if state is not None and (type(state.epoch) is not str or type(state.legacy) is not bool):
        return None
    st = os.fstat(fd)
    if (st.st_dev, st.st_ino) != (dev, ino) or st.st_size < size:
        return None
    span = min(size, FINGERPRINT)
    head, tail = os.pread(fd, span, 0), os.pread(fd, span, size - span)
    if _digest(head) != data["head"] or _digest(tail) != data["tail"]:
        return None
    return Validated(dev, ino, size, count, head, tail, whole_json, state, codec)
