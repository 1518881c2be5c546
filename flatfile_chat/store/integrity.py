"""Integrity checks and repair over a whole store.

``check`` reports; it never changes anything. ``repair`` fixes what can be fixed without
guessing: moves bad JSONL lines aside, recomputes derived counters, removes stale temp files.
Managers add their own checks with :meth:`IntegrityChecker.register`.

``check(changed=...)`` narrows the work to what a caller knows was written (the scenario
engine records every path a step writes): a check receives the set of changed absolute paths,
or ``None`` for "check everything", and may skip files it knows did not change.
"""

from __future__ import annotations

import contextlib
import os
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from flatfile_chat.errors import FFError, StorageCorrupted, UnsafePath
from flatfile_chat.storage import chain, jsonl
from flatfile_chat.storage.atomic import is_temp_file
from flatfile_chat.storage.chain import SealRefused
from flatfile_chat.store.layout import StoreContext


@dataclass(frozen=True)
class IntegrityIssue:
    # jsonl_invalid | jsonl_chain_* (encrypted: broken chain, truncated, replayed, unsealed,
    # legacy) | json_invalid | counter_mismatch | document_missing | orphan_file |
    # unsafe_link (a symlink planted in the store) | user_unverifiable (pseudonymous folder
    # without a readable profile)
    kind: str
    path: str
    detail: str
    line: int | None = None

    def __str__(self) -> str:
        where = f"{self.path}:{self.line}" if self.line else self.path
        return f"[{self.kind}] {where}: {self.detail}"


@dataclass
class RepairSummary:
    jsonl_repaired: list[dict] = field(default_factory=list)
    counters_fixed: list[dict] = field(default_factory=list)
    temp_files_removed: list[str] = field(default_factory=list)
    # JSONL files left untouched because lines did not decrypt/verify (wrong key ring?)
    jsonl_refused: list[dict] = field(default_factory=list)


Check = Callable[[StoreContext, "Changed"], Iterable[IntegrityIssue]]
Changed = frozenset[str] | None  # absolute paths written since the last check; None = all


class IntegrityChecker:
    def __init__(self, ctx: StoreContext) -> None:
        self._ctx = ctx
        self._checks: list[Check] = [
            check_links,
            check_user_folders,
            check_jsonl_files,
            check_session_counters,
            check_documents,
        ]

    def register(self, check: Check) -> None:
        """Add a manager's own check ``check(ctx, changed)`` (e.g. KB counts equal what is
        indexed). ``changed`` is a set of written paths or None; skipping unchanged files is
        an optimisation, never required."""
        self._checks.append(check)

    def check(self, changed: Iterable[str] | None = None) -> list[IntegrityIssue]:
        touched: Changed = None if changed is None else frozenset(changed)
        if touched is not None and not touched:
            return []
        issues: list[IntegrityIssue] = []
        for check in self._checks:
            issues.extend(check(self._ctx, touched))
        return issues


def affected(changed: Changed, folder: Path) -> bool:
    """Whether anything under ``folder`` (or ``folder`` itself) is in ``changed``."""
    if changed is None:
        return True
    prefix = str(folder)
    return any(p == prefix or p.startswith(prefix + os.sep) for p in changed)


def user_folders(
    ctx: StoreContext, subfolder: str, changed: Changed = None
) -> Iterable[tuple[str, Path]]:
    """``(user_id, users/{u}/{subfolder})`` for each user that has that folder and, when
    ``changed`` is given, had something written inside it; names that are not valid ids (not
    written by the store) are skipped."""
    users_dir = ctx.layout.users_dir()
    for user in _listdir(users_dir):
        try:
            folder = ctx.fs.path("users", user, subfolder)
        except FFError:
            continue
        user_id = ctx.fs.user_of_folder(user)
        if user_id is not None and folder.is_dir() and affected(changed, folder):
            yield user_id, folder


def iter_sessions(ctx: StoreContext, changed: Changed = None) -> Iterable[tuple[str, str, Path]]:
    """Session folders, or only those with a changed path inside (or above) them."""
    users_dir = ctx.layout.users_dir()
    found = (
        _changed_sessions(users_dir, changed)
        if changed is not None
        else (
            (user, name, users_dir / user / name)
            for user in _listdir(users_dir)
            for name in _listdir(users_dir / user)
            if (users_dir / user / name / "session.json").is_file()
        )
    )
    for folder_name, name, folder in found:  # folder names are user ids, or their pseudonyms
        user_id = ctx.fs.user_of_folder(folder_name)
        if user_id is not None:
            yield user_id, name, folder


def _changed_sessions(users_dir: Path, changed: frozenset[str]) -> Iterable[tuple[str, str, Path]]:
    prefix = str(users_dir) + os.sep
    seen: set[tuple[str, str]] = set()
    for path in changed:
        if not path.startswith(prefix):
            continue
        parts = path[len(prefix) :].split(os.sep)
        if len(parts) == 1:  # a whole user folder (created or removed)
            for name in _listdir(users_dir / parts[0]):
                seen.add((parts[0], name))
        else:
            seen.add((parts[0], parts[1]))
    for user, name in sorted(seen):
        folder = users_dir / user / name
        if (folder / "session.json").is_file():
            yield user, name, folder


def _listdir(path: Path) -> list[str]:
    if os.path.islink(path):
        return []  # check_links reports it; the checks never look through a link
    try:
        return sorted(os.listdir(path))
    except (FileNotFoundError, NotADirectoryError):
        return []


def check_links(ctx: StoreContext, changed: Changed) -> Iterable[IntegrityIssue]:
    """Symlinks inside the root: the store refuses every path through one, so each is
    reported (never followed, never removed: what it points at may matter to someone)."""
    root = ctx.fs.root
    if changed is None:
        links = [
            Path(dirpath, name)
            for dirpath, dirs, files in os.walk(root)
            for name in (*dirs, *files)
            if os.path.islink(os.path.join(dirpath, name))
        ]
    else:  # the written paths, their folders up to the root, and their siblings
        near = {
            parent
            for p in changed
            for parent in (Path(p), *Path(p).parents)
            if root in parent.parents
        }
        for folder in {Path(p).parent for p in changed}:
            if root in folder.parents and not os.path.islink(folder):
                with contextlib.suppress(OSError), os.scandir(folder) as entries:
                    near.update(Path(e.path) for e in entries if e.is_symlink())
        links = [p for p in near if os.path.islink(p)]
    for path in sorted(links):
        yield IntegrityIssue(
            "unsafe_link",
            ctx.fs.rel(path),
            f"symbolic link to {os.readlink(path)!r} inside the store: "
            "every read and write through it is refused; remove it",
        )


def check_user_folders(ctx: StoreContext, changed: Changed) -> Iterable[IntegrityIssue]:
    """With pseudonymous user folders: a folder whose user cannot be verified (no readable
    profile) is refused to every lookup and skipped by the other checks, so say so here."""
    if ctx.fs.user_names is None:
        return
    users_dir = ctx.layout.users_dir()
    for name in _listdir(users_dir):
        folder = users_dir / name
        if (
            not name.startswith(".")
            and folder.is_dir()
            and not folder.is_symlink()
            and affected(changed, folder)
            and ctx.fs.user_of_folder(name) is None
        ):
            yield IntegrityIssue(
                "user_unverifiable",
                ctx.fs.rel(folder),
                "no readable profile.json: whose folder this is cannot be "
                "verified; its data is skipped until the profile is restored",
            )


def check_jsonl_files(ctx: StoreContext, changed: Changed) -> Iterable[IntegrityIssue]:
    paths = (
        ctx.fs.iter_files(".jsonl")
        if changed is None
        else (Path(p) for p in sorted(changed) if p.endswith(".jsonl") and os.path.isfile(p))
    )
    for path in paths:
        if ctx.fs.codec.encrypted:
            yield from check_chain(ctx, path)
            continue
        try:
            ctx.fs.read_jsonl(path)
        except UnsafePath:
            continue  # a planted symlink: check_links reports it
        except StorageCorrupted as exc:
            yield IntegrityIssue("jsonl_invalid", ctx.fs.rel(path), exc.message, exc.line)


def check_chain(ctx: StoreContext, path: Path) -> Iterable[IntegrityIssue]:
    """An encrypted JSONL file: every line opens and sits in its place, and the file agrees
    with its sealed head (no truncated tail, no replayed copy). Read under the shared lock so
    an append cannot land between reading the log and its head."""
    rel = ctx.fs.rel(path)
    try:
        ctx.fs.checked(path)
    except UnsafePath:
        return  # check_links reports it
    reader = ctx.fs._line_decoder(path)
    assert isinstance(reader, chain.ChainReader)
    with ctx.fs.lock(path, shared=True):
        try:
            jsonl.read_records(path, reader)
        except SealRefused as exc:
            yield IntegrityIssue("jsonl_chain_broken", rel, exc.message, exc.line)
            return
        except StorageCorrupted as exc:
            yield IntegrityIssue("jsonl_invalid", rel, exc.message, exc.line)
            return
        head_file = chain.head_path(path)
        try:
            head = ctx.fs.read_json(head_file, default=None)
        except FFError as exc:
            yield IntegrityIssue("jsonl_chain_head", ctx.fs.rel(head_file), str(exc))
            return
    for issue in chain.check_head(reader, head, reader.lines):
        yield IntegrityIssue(issue.kind, rel, issue.detail, issue.line)


def check_session_counters(ctx: StoreContext, changed: Changed) -> Iterable[IntegrityIssue]:
    for user, sid, folder in iter_sessions(ctx, changed):
        try:
            # Counter and log read under the session's lock: no append lands in between.
            with ctx.fs.lock(folder / "session.json", shared=True):
                record = ctx.fs.read_json(folder / "session.json")
                actual = ctx.fs.count_jsonl(folder / "messages.jsonl")
        except UnsafePath:
            continue  # a planted symlink: check_links reports it
        except FFError as exc:
            yield IntegrityIssue("json_invalid", ctx.fs.rel(folder / "session.json"), str(exc))
            continue
        owner = (record.get("user_id"), record.get("session_id"))
        if owner != (user, sid):
            yield IntegrityIssue(
                "session_foreign",
                ctx.fs.rel(folder / "session.json"),
                f"record says user {owner[0]!r}, session {owner[1]!r}; "
                f"the folder is {user!r}/{sid!r}",
            )
        stored = record.get("message_count")
        if stored != actual:
            yield IntegrityIssue(
                "counter_mismatch",
                ctx.fs.rel(folder / "session.json"),
                f"message_count is {stored} but messages.jsonl has {actual} lines",
            )


def check_documents(ctx: StoreContext, changed: Changed) -> Iterable[IntegrityIssue]:
    for _user, _sid, folder in iter_sessions(ctx, changed):
        docs = folder / "documents"
        meta_path = docs / "metadata.json"
        if not docs.is_dir():
            continue
        try:
            index = ctx.fs.read_json(meta_path, default={})
        except UnsafePath:
            continue  # a planted symlink: check_links reports it
        except FFError as exc:
            yield IntegrityIssue("json_invalid", ctx.fs.rel(meta_path), str(exc))
            continue
        for name, entry in index.items():
            blob = docs / name
            if blob.is_symlink():
                continue  # check_links reports it; its target's size is not ours to read
            if not blob.is_file():
                yield IntegrityIssue(
                    "document_missing", ctx.fs.rel(meta_path), f"entry {name!r} has no file"
                )
            elif not ctx.fs.codec.encrypted and blob.stat().st_size != entry.get("size"):
                yield IntegrityIssue(
                    "counter_mismatch",
                    ctx.fs.rel(meta_path),
                    f"{name!r} size is {entry.get('size')} in metadata but "
                    f"{blob.stat().st_size} on disk",
                )
        for name in _listdir(docs):
            if name != "metadata.json" and name not in index and not _is_side_file(name):
                yield IntegrityIssue(
                    "orphan_file", ctx.fs.rel(docs / name), "file has no metadata.json entry"
                )


def _is_side_file(name: str) -> bool:
    return name.endswith(".lock") or is_temp_file(name)


def repair(
    ctx: StoreContext, recount: Callable[[str, str], tuple[int, int]], stale_after_seconds: float
) -> RepairSummary:
    summary = RepairSummary()
    for path in list(ctx.fs.iter_files(".jsonl")):
        report = ctx.fs.repair_jsonl(path)
        if report.refused:
            summary.jsonl_refused.append(report.__dict__)
        if report.moved:
            summary.jsonl_repaired.append(report.__dict__)
    for user, sid, _folder in iter_sessions(ctx):
        try:
            old, new = recount(user, sid)
        except UnsafePath:
            continue  # a planted symlink: never repaired through, reported by check_links
        if old != new:
            summary.counters_fixed.append(
                {"user_id": user, "session_id": sid, "was": old, "now": new}
            )
    cutoff = time.time() - stale_after_seconds
    for dirpath, _dirs, files in os.walk(ctx.fs.root):
        for name in files:
            path = Path(dirpath, name)
            if is_temp_file(name) and path.lstat().st_mtime < cutoff:
                path.unlink()
                summary.temp_files_removed.append(ctx.fs.rel(path))
    return summary
