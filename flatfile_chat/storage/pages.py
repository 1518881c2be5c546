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
"""

from __future__ import annotations

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


def fingerprint(dev: int, ino: int, data: bytes, count: int, *, whole_json: bool,
                state: chain.ChainState | None, codec: object) -> Validated:
    return Validated(dev, ino, len(data), count, data[:FINGERPRINT],
                     data[max(0, len(data) - FINGERPRINT):], whole_json,
                     None if state is None else replace(state), codec)


class PageCache:
    """Remembered validated prefixes, by path; thread-safe (one dict, replaced entries)."""

    def __init__(self) -> None:
        self._entries: dict[str, Validated] = {}
        self._lock = threading.Lock()

    def get(self, path: Path) -> Validated | None:
        return self._entries.get(os.fspath(path))

    def put(self, path: Path, entry: Validated) -> None:
        with self._lock:
            if len(self._entries) >= _MAX_FILES:
                self._entries.clear()
            self._entries[os.fspath(path)] = entry

    def forget(self, path: Path) -> None:
        with self._lock:
            self._entries.pop(os.fspath(path), None)


def read_page(path: Path, fd: int, entry: Validated, adapter: Any, start: int,
              stop: int | None, decoder: Callable[[], chain.ChainReader | None],
              codec: object) -> tuple[list[Any], Validated] | None:
    """Models ``[start:stop]`` of the file open as ``fd`` and the extended entry, or None
    when the remembered prefix cannot vouch for the file (the caller reads it whole)."""
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


def _validate_delta(path: Path, entry: Validated, lines: list[bytes], adapter: Any,
                    decoder: Callable[[], chain.ChainReader | None]) -> Validated | None:
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
    return replace(entry, size=entry.size + len(added), count=entry.count + len(lines),
                   head=head, tail=tail, state=state)


def _page_lines(fd: int, entry: Validated, new_lines: list[bytes], begin: int,
                end: int, chained: bool) -> list[bytes] | None:
    """Raw lines ``[begin, end)``, plus line ``begin - 1`` first when the page needs a chain
    predecessor (``chained``, ``begin > 0``): from the appended lines, else by scanning the
    validated prefix from its nearer end."""
    first = begin - 1 if chained and begin > 0 else begin
    out: list[bytes] = []
    if end > entry.count:  # part (or all) of the page was appended since
        out = new_lines[max(first - entry.count, 0):end - entry.count]
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
        return lines[len(lines) - need:][:end - first]
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


def _parse_page(path: Path, entry: Validated, lines: list[bytes], begin: int,
                adapter: Any, decoder: Callable[[], chain.ChainReader | None]) -> list[Any] | None:
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
                _plain, link, tag = reader._codec.open_record(lines[0], owner=reader._owner,
                                                              rel_path=reader._rel)
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
