"""Invariant: with anonymisation on, no file under ``analytics/`` contains a raw user id.

A user id counts as found when it appears not glued to other letters or digits (so a hex
pseudonym that happens to contain ``abc`` is not a hit, but ``alice_s1`` is). Ids shorter than
three characters are not searched (they would match everywhere). The
pseudonym key lives outside ``analytics/`` (in ``keys/``), so it is never scanned.
"""

from __future__ import annotations

import os
import re
import weakref
from collections.abc import Iterable
from pathlib import Path

from flatfile_chat.privacy import MIN_REPLACE_CHARS, known_user_ids
from flatfile_chat.storage.atomic import is_temp_file
from flatfile_chat.storage.locks import LOCK_SUFFIX
from flatfile_chat.store.integrity import Changed, IntegrityChecker, IntegrityIssue
from flatfile_chat.store.layout import StoreContext

_registered: weakref.WeakSet[IntegrityChecker] = weakref.WeakSet()


def register(checker: IntegrityChecker) -> None:
    if checker not in _registered:
        _registered.add(checker)
        checker.register(check_no_raw_user_ids)


def _user_ids(ctx: StoreContext) -> list[str]:
    return sorted(
        (u for u in known_user_ids(ctx) if len(u) >= MIN_REPLACE_CHARS), key=len, reverse=True
    )


def analytics_files(root: Path) -> Iterable[Path]:
    if os.path.islink(root / "analytics"):
        return  # never walked through (os.walk follows a linked top folder); reported elsewhere
    for dirpath, _dirs, files in os.walk(root / "analytics"):
        for name in sorted(files):
            if (
                not name.endswith(LOCK_SUFFIX)
                and not is_temp_file(name)
                and not os.path.islink(os.path.join(dirpath, name))
            ):  # never followed
                yield Path(dirpath, name)


def _files_to_check(ctx: StoreContext, changed: Changed) -> Iterable[Path]:
    """Every analytics file, or (when only some paths changed and no user folder was created)
    just the changed ones under ``analytics/``."""
    root, users_dir = ctx.fs.root, ctx.layout.users_dir()
    if changed is None or any(os.path.dirname(p) == str(users_dir) for p in changed):
        return analytics_files(root)
    wanted = {Path(p) for p in changed}
    return [p for p in analytics_files(root) if p in wanted]


def check_no_raw_user_ids(ctx: StoreContext, changed: Changed = None) -> Iterable[IntegrityIssue]:
    if not ctx.config.analytics.privacy.anonymize_user_data:
        return
    users = _user_ids(ctx)
    if not users:
        return
    pattern = re.compile(
        rb"(?<![A-Za-z0-9])("
        + b"|".join(re.escape(u.encode()) for u in users)
        + rb")(?![A-Za-z0-9])"
    )
    for path in _files_to_check(ctx, changed):
        data = path.read_bytes()
        for match in pattern.finditer(data):
            line = data.count(b"\n", 0, match.start()) + 1
            yield IntegrityIssue(
                "raw_user_id",
                ctx.fs.rel(path),
                f"raw user id {match.group(1).decode()!r} in an analytics file "
                "while anonymisation is on",
                line,
            )
            break
