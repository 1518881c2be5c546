"""Position-bound encrypted JSONL: a per-record chain plus a small sealed head per file.

Why: AES-GCM per line proves each line is genuine and belongs to this owner and file, but not
that lines are in order, all present, not doubled, or current. So each chained envelope also
carries, inside the associated data:

- ``seq``: the record's 0-based position;
- ``ep``: the file's epoch, fresh random bytes chosen whenever the file is (re)written whole
  (``rewrite_jsonl``: expiry, compaction, rotation, rekey), so lines of an older copy never
  verify against the new chain;
- ``prev``: the first bytes of the previous record's GCM tag ("" for ``seq`` 0).

Reading checks that ``seq`` counts 0, 1, 2…, ``ep`` never changes and ``prev`` links to the
line before: a reordered, deleted, duplicated or spliced line raises :class:`SealRefused`
naming the file and line. A sidecar head ``.{name}.head`` (sealed like a JSON document, bound to
its own path) records the epoch, the record count and the last tag; it is rewritten under the
file's lock after every append/rewrite, without fsync. :func:`check_head` compares it with the
file to find what the file alone cannot show: a truncated tail or a replayed older copy.

Crash behaviour: the head is written after the log. A crash in between leaves the head behind
the log, which reads as "unsealed tail of k lines" (reported, never destructive: reads still
succeed). A crash between a rewrite's rename and its head update reads as an epoch mismatch
(reported as a possible replay); the next append does not fix it, a rekey does.

What this does NOT catch: replaying a file together with its head (or the whole store); an
attacker who can also run the store with the keys. What stays visible on disk: ids in file
and folder names, file sizes and timestamps, the number of records per file (lines, ``seq``).

Records written before chaining (no ``seq``) are read as legacy: accepted when every line of
the file is legacy, reported by the integrity check as "unchained, rewrite with rekey to
chain"; appends to such a file stay unchained until a rewrite chains it. A chained line among
legacy ones (or the reverse) is refused.
"""

from __future__ import annotations

import base64
import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from flatfile_chat.errors import SecurityError, StorageCorrupted
from flatfile_chat.storage.codec import AesGcmCodec, Undecryptable

LINK_BYTES = 8
_TAIL_CHUNK = 4096


class SealRefused(StorageCorrupted):
    """A line is well-formed but cannot be trusted (unknown key, bad tag, broken chain).

    Repair must never move such a line aside: the key ring may be wrong, not the data."""


def head_path(path: Path) -> Path:
    return path.with_name(f".{path.name}.head")


def is_head_file(name: str) -> bool:
    return name.startswith(".") and name.endswith(".head")


def new_epoch() -> str:
    return base64.b64encode(os.urandom(9)).decode()


def link(tag: bytes) -> str:
    return base64.b64encode(tag[:LINK_BYTES]).decode()


@dataclass
class ChainState:
    """Where the next record goes: its ``seq``, the epoch and the previous record's tag."""

    epoch: str
    seq: int = 0
    tag: bytes = b""
    legacy: bool = False


def seal_lines(
    codec: AesGcmCodec, lines: list[bytes], *, owner: str, rel: str, state: ChainState
) -> list[bytes]:
    """Seal ``lines`` continuing ``state`` (updated in place)."""
    out = []
    for line in lines:
        if state.legacy:
            out.append(codec.seal(line, owner=owner, rel_path=rel))
            continue
        chain = {"seq": state.seq, "ep": state.epoch, "prev": link(state.tag) if state.seq else ""}
        sealed, state.tag = codec.seal_record(line, owner=owner, rel_path=rel, chain=chain)
        state.seq += 1
        out.append(sealed)
    return out


def last_line(path: Path) -> bytes | None:
    """The file's last complete line, reading backwards from the end (O(line), not O(file));
    None if the file is missing, empty or ends in a torn line."""
    try:
        fd = os.open(path, os.O_RDONLY)
    except FileNotFoundError:
        return None
    try:
        size = os.fstat(fd).st_size
        if size == 0 or os.pread(fd, 1, size - 1) != b"\n":
            return None
        pos = size - 1  # buf holds bytes [pos, size - 1): the last line without its newline
        buf = b""
        while pos > 0:
            step = min(_TAIL_CHUNK, pos)
            pos -= step
            buf = os.pread(fd, step, pos) + buf
            cut = buf.rfind(b"\n")
            if cut != -1:
                return buf[cut + 1 :]
        return buf
    finally:
        os.close(fd)


def tail_state(codec: AesGcmCodec, path: Path, *, owner: str, rel: str) -> ChainState:
    """The state after the file's last record (a fresh chain for a missing/empty file)."""
    raw = last_line(path)
    if raw is None:
        return ChainState(new_epoch())
    _plain, chain, tag = codec.open_record(raw, owner=owner, rel_path=rel)
    if chain is None:
        return ChainState("", legacy=True)
    return ChainState(chain["ep"], chain["seq"] + 1, tag)


class ChainReader:
    """Line decoder for ``jsonl.read_records``: opens each line and checks its position."""

    def __init__(self, codec: AesGcmCodec, *, owner: str, rel: str) -> None:
        self._codec, self._owner, self._rel = codec, owner, rel
        self.state: ChainState | None = None  # after the last accepted line
        self.lines = 0
        self.tags: list[bytes] = []  # per accepted line, for comparing with the head
        self._skipped = 0  # broken lines skipped since the last accepted one (repair)

    def resync(self) -> None:
        """Repair skipped a broken line: the next record may be up to one further on per
        skipped line (the broken one may have been a record), but never from another epoch,
        never behind, and linked to its predecessor when no record can be missing."""
        self._skipped += 1

    def __call__(self, raw: bytes, line: int) -> bytes:
        try:
            plain, chain, tag = self._codec.open_record(raw, owner=self._owner, rel_path=self._rel)
        except Undecryptable as exc:
            raise SealRefused(
                exc.message, path=self._rel, line=line, kid=exc.context.get("value")
            ) from None
        except SecurityError as exc:
            raise StorageCorrupted(exc.message, path=self._rel, line=line) from None
        self._check(chain, tag, line)
        self.lines = line
        self.tags.append(tag)
        return plain

    def _check(self, chain: dict[str, Any] | None, tag: bytes, line: int) -> None:
        state, skipped, self._skipped = self.state, self._skipped, 0
        if chain is None:
            if state is not None and not state.legacy:
                raise SealRefused(
                    "unchained (legacy) record inside a chained file", path=self._rel, line=line
                )
            self.state = ChainState("", legacy=True)
            return
        seq, epoch = chain["seq"], chain["ep"]
        if state is not None and state.legacy:
            raise SealRefused(
                "chained record inside an unchained (legacy) file", path=self._rel, line=line
            )
        self._expect(state, seq, epoch, chain["prev"], line, skipped)
        self.state = ChainState(epoch, seq + 1, tag)

    def _expect(
        self, state: ChainState | None, seq: int, epoch: str, prev: str, line: int, skipped: int = 0
    ) -> None:
        want = state.seq if state else 0
        if state is not None and epoch != state.epoch:
            raise SealRefused(
                f"record from another copy of this file (epoch {epoch}, expected "
                f"{state.epoch}): spliced or replayed",
                path=self._rel,
                line=line,
            )
        if seq > want + skipped:
            raise SealRefused(
                f"record seq {seq} where {want} was expected: records {want}.."
                f"{seq - 1} are missing",
                path=self._rel,
                line=line,
            )
        if seq < want:
            raise SealRefused(
                f"record seq {seq} where {want} was expected: duplicated or reordered",
                path=self._rel,
                line=line,
            )
        if seq > want:
            return  # the skipped broken line(s) held records want..seq-1: nothing to link to
        if state is not None and prev != link(state.tag):
            raise SealRefused(
                f"record seq {seq} does not follow line {line - 1} (its link to "
                "the previous tag differs): spliced from another copy",
                path=self._rel,
                line=line,
            )


# -- head --------------------------------------------------------------------------------
def head_record(state: ChainState) -> dict[str, Any]:
    return {"epoch": state.epoch, "count": state.seq, "tag": base64.b64encode(state.tag).decode()}


@dataclass(frozen=True)
class HeadIssue:
    kind: str  # jsonl_chain_truncated | jsonl_chain_replayed | jsonl_chain_unsealed | ..._legacy
    line: int
    detail: str


def check_head(reader: ChainReader, head: dict[str, Any] | None, lines: int) -> list[HeadIssue]:
    """Compare a file that read cleanly through ``reader`` with its head (None: missing)."""
    state = reader.state
    if state is not None and state.legacy:
        if head is not None:  # this file was chained once: an unchained copy is a rollback
            return [
                HeadIssue(
                    "jsonl_chain_replayed",
                    1,
                    "unchained records where a head "
                    "says the file was chained: an older copy put back (a rekey "
                    "would accept it)",
                )
            ]
        return [
            HeadIssue(
                "jsonl_chain_legacy",
                1,
                "unchained records (written before chaining); rewrite with rekey to chain",
            )
        ]
    if head is None:
        if lines:
            return [
                HeadIssue(
                    "jsonl_chain_unsealed",
                    1,
                    f"no head file: unsealed tail of "
                    f"{lines} lines (crash before the first head write, or removed)",
                )
            ]
        return []
    count, epoch = head.get("count"), head.get("epoch")
    if not isinstance(count, int) or not isinstance(epoch, str):
        return [HeadIssue("jsonl_chain_head", 1, "head file has no count/epoch")]
    if state is not None and epoch != state.epoch:
        return [
            HeadIssue(
                "jsonl_chain_replayed",
                1,
                f"file epoch {state.epoch} is not the "
                f"head's {epoch}: an older copy was put back (replayed), or a "
                "rewrite was interrupted before its head update",
            )
        ]
    if count > lines:
        return [
            HeadIssue(
                "jsonl_chain_truncated",
                lines + 1,
                f"head records {count} records, "
                f"the file has {lines}: lines {lines + 1}..{count} are missing "
                "(truncated, or an older copy replayed)",
            )
        ]
    if count and reader.tags[count - 1] != base64.b64decode(head.get("tag", "")):
        return [
            HeadIssue(
                "jsonl_chain_replayed",
                count,
                "record differs from the one the "
                "head sealed at this position (replayed or forked copy)",
            )
        ]
    if count < lines:
        return [
            HeadIssue(
                "jsonl_chain_unsealed",
                count + 1,
                f"unsealed tail of "
                f"{lines - count} lines (head behind the log: crash between append "
                "and head update?)",
            )
        ]
    return []


def head_mismatch(state: ChainState, head: dict[str, Any] | None) -> str | None:
    """Why the log's tail (``state``) cannot continue under ``head``, or None.

    A missing head with records in the log (crash before the first head write, or removed)
    and a head behind the log (crash between an append and its head update) are allowed: the
    integrity check reports them as unsealed. Cut short, another epoch, or a different
    record at the head's position are not."""
    if head is None:
        return None
    count, epoch = head.get("count"), head.get("epoch")
    if not isinstance(count, int) or not isinstance(epoch, str):
        return "head file has no count/epoch"
    if state.legacy:
        return "unchained records where a head says the file was chained (older copy)"
    if count == 0:
        return None
    if state.seq == 0:
        return f"the log is empty but its head sealed {count} records (emptied or replaced)"
    if epoch != state.epoch:
        return (
            f"the log's epoch {state.epoch} is not its head's {epoch} (an older copy put "
            "back, or a rewrite interrupted before its head update)"
        )
    if count > state.seq:
        return (
            f"the head sealed {count} records, the log ends at {state.seq} (cut short, or "
            "an older copy put back)"
        )
    if count == state.seq and base64.b64decode(head.get("tag", "")) != state.tag:
        return "the last record is not the one the head sealed (replayed or forked copy)"
    return None


def decode_head(raw: bytes | None) -> dict[str, Any] | None:
    if raw is None:
        return None
    return json.loads(raw)
