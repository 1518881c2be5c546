"""One pass of one step over a whole tree, in batches with a checkpoint after each.

The pass reads ``src`` (never writes it) and writes ``dst``. Work is the sorted list of files in
``src``; a checkpoint records how far it got (file index, byte offset inside a message log, and
the sizes of the append-only side files), is written atomically with fsync, and is the only
thing a resumed pass trusts: everything before it is complete and on disk, everything after it
is done again (files are rewritten whole; the open ``.part`` log and side files are cut back to
the recorded size).
"""

from __future__ import annotations

import base64
import json
import os
import shutil
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, BinaryIO

from flatfile_chat.errors import FFError
from flatfile_chat.migration import failpoints
from flatfile_chat.migration.records import (
    MIGRATION_DIR,
    dump_json,
    dump_line,
    is_engine_file,
    load_json,
    message_problem,
)
from flatfile_chat.migration.steps import (
    Findings,
    Note,
    Step,
    Transform,
    is_migrated_json,
    is_migrated_log,
)
from flatfile_chat.storage.atomic import fsync_dir
from flatfile_chat.storage.pages import is_sidecar

QUARANTINE = f"{MIGRATION_DIR}/quarantine/lines.jsonl"
QUARANTINE_FILES = f"{MIGRATION_DIR}/quarantine/files"


class MigrationTimeout(FFError):
    """The run passed ``migration_timeout_minutes``; it stopped at a checkpoint."""


def undo_file(step: type[Step]) -> str:
    return f"{MIGRATION_DIR}/undo/V{step.version}.jsonl"


@dataclass
class Checkpoint:
    file_index: int = 0
    in_offset: int = 0  # bytes of the current message log already read
    part_bytes: int = 0  # bytes of its .part output already written
    notes_bytes: int = 0
    quarantine_bytes: int = 0
    records: int = 0
    batches: int = 0
    quarantined: int = 0  # message lines
    quarantined_files: int = 0  # whole JSON documents (copied to quarantine/files)
    blank_lines: int = 0  # dropped: they hold nothing and the store cannot read them


@dataclass
class PassResult:
    records: int
    batches: int
    quarantined: list[dict[str, Any]] = field(default_factory=list)
    findings: list[str] = field(default_factory=list)
    seconds: float = 0.0


@dataclass
class PassContext:
    """What the engine gives a pass: where to save checkpoints, when to give up, how big."""

    batch_size: int
    deadline: float
    save: Callable[[Checkpoint], None]
    first_pass: bool
    log: Callable[..., None]


class _Appender:
    """An append-only side file (undo notes, quarantine) cut back to a checkpointed size."""

    def __init__(self, path: Path, size: int) -> None:
        self.path = path
        path.parent.mkdir(parents=True, exist_ok=True)
        with open(path, "ab") as handle:
            handle.truncate(size)
        self.handle: BinaryIO = open(path, "ab")  # noqa: SIM115 (closed in close())

    def add(self, record: dict[str, Any]) -> None:
        self.handle.write(dump_line(record))

    def sync(self) -> int:
        self.handle.flush()
        os.fsync(self.handle.fileno())
        return self.handle.tell()

    def close(self) -> None:
        self.handle.close()
        if self.path.stat().st_size == 0:
            self.path.unlink()
            folder = self.path.parent
            while folder.name != MIGRATION_DIR and not any(folder.iterdir()):
                folder.rmdir()
                folder = folder.parent
            if folder.name == MIGRATION_DIR and not any(folder.iterdir()):
                folder.rmdir()


class _NoAppender:
    def add(self, record: dict[str, Any]) -> None:
        raise AssertionError("only the first pass quarantines")

    def sync(self) -> int:
        return 0

    def close(self) -> None:
        pass


def file_list(src: Path, skip: frozenset[str]) -> list[str]:
    out = []
    for dirpath, _dirs, files in os.walk(src):
        rel_dir = Path(dirpath).relative_to(src).as_posix()
        for name in files:
            rel = name if rel_dir == "." else f"{rel_dir}/{name}"
            # page sidecars: a cache naming the old log's inode, never carried across
            if rel not in skip and not rel.endswith(".part") and not is_sidecar(name):
                out.append(rel)
    return sorted(out)


def empty_dirs(src: Path) -> list[str]:
    out = []
    for dirpath, dirs, files in os.walk(src):
        if not dirs and not files and Path(dirpath) != src:
            out.append(Path(dirpath).relative_to(src).as_posix())
    return sorted(out)


def read_notes(src: Path, step: type[Step]) -> dict[str, Note]:
    path = src / undo_file(step)
    if not path.is_file():
        return {}
    notes = {}
    for raw in path.read_bytes().splitlines():
        if raw.strip():
            entry = json.loads(raw)
            notes[entry["path"]] = entry["note"]
    return notes


def run_pass(
    step: type[Step], direction: str, src: Path, dst: Path, cp: Checkpoint, ctx: PassContext
) -> PassResult:
    started = time.monotonic()
    findings = Findings()
    notes = read_notes(src, step) if direction == "down" else {}
    transform: Transform = (step.up if direction == "up" else step.down)(src, notes, findings)
    skip = frozenset({undo_file(step), f"{MIGRATION_DIR}/history.jsonl"})
    units = file_list(src, skip)
    dst.mkdir(parents=True, exist_ok=True)
    note_log = _Appender(dst / undo_file(step), cp.notes_bytes)
    # Only the first pass judges records; later ones carry its quarantine file as data.
    quarantine = (
        _Appender(dst / QUARANTINE, cp.quarantine_bytes) if ctx.first_pass else _NoAppender()
    )
    quarantined: list[dict[str, Any]] = []
    written: list[Path] = []
    since = 0  # records since the last checkpoint

    def checkpoint(file_index: int, in_offset: int = 0, part: BinaryIO | None = None) -> None:
        nonlocal since
        for path in written:
            fsync_dir(path)
        written.clear()
        cp.file_index, cp.in_offset = file_index, in_offset
        cp.part_bytes = _sync(part) if part else 0
        cp.notes_bytes, cp.quarantine_bytes = note_log.sync(), quarantine.sync()
        cp.batches += 1
        ctx.save(cp)
        ctx.log("checkpoint", step=step.label(), **asdict(cp))
        since = 0
        failpoints.hit("batch", f"{step.version}.{cp.batches}")
        if time.monotonic() > ctx.deadline:
            raise MigrationTimeout(
                f"migration_timeout_minutes passed during {step.label()} after batch "
                f"{cp.batches}; the run stopped at a checkpoint: `flatfile-chat migrate "
                "recover BASE` resumes it, `--restore` undoes it",
                batches=cp.batches,
            )

    def count(n: int = 1) -> bool:
        nonlocal since
        since += n
        cp.records += n
        if since == ctx.batch_size // 2:
            failpoints.hit("inbatch", f"{step.version}.{cp.batches + 1}")
        return since >= ctx.batch_size

    def quarantine_line(rel: str, line: int, raw: bytes, reason: str) -> None:
        # The text for people, the exact bytes (base64) for putting the line back.
        entry = {
            "path": rel,
            "line": line,
            "reason": reason,
            "step": step.label(),
            "raw": raw.decode("utf-8", "replace").rstrip("\n"),
            "raw_base64": base64.b64encode(raw).decode("ascii"),
        }
        quarantine.add(entry)
        quarantined.append({k: entry[k] for k in ("path", "line", "reason")})
        if raw:
            cp.quarantined += 1
        else:
            cp.quarantined_files += 1

    try:
        for index in range(cp.file_index, len(units)):
            rel = units[index]
            if transform.drop(rel):
                continue
            out_rel = transform.path(rel)
            out = dst / out_rel
            out.parent.mkdir(parents=True, exist_ok=True)
            if is_migrated_log(rel) and (
                ctx.first_pass or type(transform).line is not Transform.line
            ):
                _migrate_log(
                    src / rel,
                    out,
                    rel,
                    out_rel,
                    transform,
                    cp,
                    ctx,
                    index,
                    count,
                    checkpoint,
                    quarantine_line,
                )
            elif is_migrated_json(rel) and not is_engine_file(rel):
                raw = (src / rel).read_bytes()
                try:
                    obj = load_json(raw)
                except ValueError as exc:
                    if not ctx.first_pass:
                        raise
                    _quarantine_file(src / rel, dst, rel)
                    quarantine_line(
                        rel,
                        exc.lineno if hasattr(exc, "lineno") else 0,
                        b"",
                        f"whole file is not JSON ({exc}); copied to {QUARANTINE_FILES}/{rel}",
                    )
                    continue
                new, note = transform.json_file(out_rel, obj)
                unchanged = note is None and (new is obj or new == obj)
                out.write_bytes(raw if unchanged else dump_json(new))
                if note is not None:
                    note_log.add({"path": out_rel, "note": note})
                written.append(out)
            else:
                shutil.copyfile(src / rel, out)
                written.append(out)
            if count():
                checkpoint(index + 1)
        for extra in transform.extras():
            target = dst / extra.rel
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(extra.data)
            written.append(target)
            if extra.note is not None:
                note_log.add({"path": extra.rel, "note": extra.note})
            cp.records += 1
        for rel in empty_dirs(src):
            (dst / transform.path(rel)).mkdir(parents=True, exist_ok=True)
        for path in written:
            fsync_dir(path)
    finally:
        note_log.close()
        quarantine.close()
    return PassResult(
        cp.records, cp.batches, quarantined, findings.items, time.monotonic() - started
    )


def _migrate_log(
    path: Path,
    out: Path,
    rel: str,
    out_rel: str,
    transform: Transform,
    cp: Checkpoint,
    ctx: PassContext,
    index: int,
    count: Callable[..., bool],
    checkpoint: Callable[..., None],
    quarantine_line: Callable[..., None],
) -> None:
    """Stream one message log, checkpointing inside it every ``batch_size`` lines."""
    part = out.with_name(out.name + ".part")
    resume = cp.file_index == index and cp.in_offset > 0
    if resume and not part.exists() and out.exists():
        os.replace(out, part)  # the log was finished after the checkpoint: cut it back
    with open(part, "ab" if resume else "wb") as sink:
        if resume:
            sink.truncate(cp.part_bytes)
            sink.seek(cp.part_bytes)
        with open(path, "rb") as source:
            offset = cp.in_offset if resume else 0
            source.seek(offset)
            line_no = _line_number(path, offset) if resume else 0
            for raw in source:
                offset += len(raw)
                line_no += 1
                if not raw.strip():
                    cp.blank_lines += 1
                sink.write(
                    _migrate_line(raw, rel, line_no, out_rel, transform, ctx, quarantine_line)
                )
                if count():
                    checkpoint(index, offset, sink)
    os.replace(part, out)


def _migrate_line(
    raw: bytes,
    rel: str,
    line_no: int,
    out_rel: str,
    transform: Transform,
    ctx: PassContext,
    quarantine_line: Callable[..., None],
) -> bytes:
    if not raw.strip():
        return b""
    try:
        obj = load_json(raw)
    except ValueError as exc:
        if not ctx.first_pass:
            raise
        quarantine_line(rel, line_no, raw, f"not JSON: {exc}")
        return b""
    if ctx.first_pass:
        problem = message_problem(obj)
        if problem:
            quarantine_line(rel, line_no, raw, problem)
            return b""
    new = transform.line(out_rel, obj)
    if new is obj:
        return raw if raw.endswith(b"\n") else raw + b"\n"
    return dump_line(new)


def _line_number(path: Path, offset: int) -> int:
    with open(path, "rb") as handle:
        return handle.read(offset).count(b"\n")


def _quarantine_file(path: Path, dst: Path, rel: str) -> None:
    target = dst / QUARANTINE_FILES / rel
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(path, target)


def _sync(handle: BinaryIO) -> int:
    handle.flush()
    os.fsync(handle.fileno())
    return handle.tell()
