"""Checks of a migrated store: every record valid for the current DTOs, counters right, the
history sound, and the store read back completely through the store's own API."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pydantic

from flatfile_chat.errors import FFError
from flatfile_chat.migration import census, history
from flatfile_chat.migration.generations import detect
from flatfile_chat.migration.records import is_message_log
from flatfile_chat.migration.steps import RESERVED
from flatfile_chat.store.models import FFMessageDTO, FFSessionDTO, FFUserProfileDTO

MAX_PROBLEMS = 50


def schema_problems(root: Path, *, logs: bool = True) -> list[str]:
    """``path[:line]: what is wrong`` for every record the current DTOs refuse (message logs
    skipped with ``logs=False``, when the store's own read-back already validated them)."""
    problems: list[str] = []
    users = root / "users"
    for user in sorted(os.listdir(users)) if users.is_dir() else []:
        folder = users / user
        if not folder.is_dir():
            continue
        if (folder / "profile.json").is_file():
            _check_json(folder / "profile.json", FFUserProfileDTO, root, problems)
        for name in sorted(os.listdir(folder)):
            session = folder / name
            if name in RESERVED or not session.is_dir():
                continue
            if (session / "session.json").is_file():
                record = _check_json(session / "session.json", FFSessionDTO, root, problems)
                log = session / "messages.jsonl"
                lines = (
                    (_check_log(log, root, problems) if logs else _count(log))
                    if log.is_file()
                    else 0
                )
                if record is not None and record.message_count != lines:
                    problems.append(
                        f"{_rel(session / 'session.json', root)}: message_count "
                        f"{record.message_count} but messages.jsonl has {lines}"
                    )
            for log_name in sorted(os.listdir(session)) if logs else ():
                if is_message_log(log_name) and log_name != "messages.jsonl":
                    _check_log(session / log_name, root, problems)
            if len(problems) >= MAX_PROBLEMS:
                return problems
    return problems


def _check_json(
    path: Path, model: type[pydantic.BaseModel], root: Path, problems: list[str]
) -> Any:
    try:
        return model.model_validate_json(path.read_bytes())
    except pydantic.ValidationError as exc:
        problems.append(f"{_rel(path, root)}: not a valid {model.__name__}: {_first_error(exc)}")
        return None


_LOG = pydantic.TypeAdapter(list[FFMessageDTO])


def _count(path: Path) -> int:
    with path.open("rb") as handle:
        return sum(1 for line in handle if line.strip())


def _check_log(path: Path, root: Path, problems: list[str]) -> int:
    data = path.read_bytes()
    lines = [line for line in data.split(b"\n") if line.strip()]
    try:  # the whole log in one call (the store's own fast path); line by line to name one
        return len(_LOG.validate_json(b"[" + b",".join(lines) + b"]"))
    except pydantic.ValidationError:
        pass
    count = 0
    with path.open("rb") as handle:
        for number, raw in enumerate(handle, start=1):
            if not raw.strip():
                continue
            try:
                FFMessageDTO.model_validate_json(raw)
                count += 1
            except pydantic.ValidationError as exc:
                problems.append(
                    f"{_rel(path, root)}:{number}: not a valid FFMessageDTO: {_first_error(exc)}"
                )
    return count


def _first_error(exc: pydantic.ValidationError) -> str:
    error = exc.errors()[0]
    where = ".".join(str(p) for p in error["loc"]) or "(record)"
    return f"{where}: {error['msg']}"


def _rel(path: Path, root: Path) -> str:
    return path.relative_to(root).as_posix()


def read_back(root: Path) -> dict[str, int]:
    """Users, sessions and messages as the current store's API returns them (read only)."""
    from flatfile_chat import FFStorageManager, load_config

    store = FFStorageManager(load_config(preset="test"), base_path=root)
    try:
        # The store's sync repositories: callable from inside a running event loop too.
        users = store.users.list()
        sessions = messages = 0
        for user in users:
            for session in store.sessions.list(user):
                sessions += 1
                messages += len(store.messages.list(user, session.session_id))
        return {
            "users": len(users),
            "sessions": sessions,
            "messages": messages,
            "integrity_issues": len(store.check_integrity()),
        }
    finally:
        store.close()


def read_back_problems(root: Path, files: census.Census) -> list[str]:
    """What the current store's own API cannot read of ``root``: ids it refuses, integrity
    issues, sessions or messages the files hold but the API does not return."""
    from flatfile_chat import FFStorageManager, load_config
    from flatfile_chat.errors import FFError

    try:
        read = read_back(root)
    except FFError as exc:
        return [f"the current store cannot read the result: {exc.message}"]
    problems = []
    if read["integrity_issues"]:
        store = FFStorageManager(load_config(preset="test"), base_path=root)
        try:
            problems += [f"integrity: {issue}" for issue in store.check_integrity()]
        finally:
            store.close()
    if (read["sessions"], read["messages"]) != (len(files.sessions), files.counts["messages"]):
        problems.append(
            f"the store API reads {read['sessions']} sessions and "
            f"{read['messages']} messages; the files hold {len(files.sessions)} "
            f"and {files.counts['messages']} (a user or session id the current "
            "store refuses?)"
        )
    return problems


def verify_store(base: Path, state: dict[str, Any] | None) -> dict[str, Any]:
    problems = list(history.validate(base))
    found = detect(base)
    if found.generation != "current":
        problems.append(
            f"{base}: generation is {found.generation}, not current "
            f"({'; '.join(found.evidence[:2])})"
        )
    problems += schema_problems(base)
    now = census.take(base)
    problems += read_back_problems(base, now)
    read: dict[str, int] | dict[str, str]
    try:
        read = read_back(base)
    except FFError as exc:
        read = {"error": exc.message}
    compared = 0
    if (
        state
        and state.get("phase") == "done"
        and state.get("output") == str(base)
        and state.get("target_generation") == "current"
    ):
        before = census.Census(**state["census_before"])
        quarantined = sum(p.get("quarantined", 0) for p in state.get("passes", []))
        problems += before.compare(now, quarantined=quarantined)
        compared = len(before.sessions)
    return {
        "base": str(base),
        "ok": not problems,
        "problems": problems,
        "generation": found.generation,
        "counts": now.counts,
        "read_back": read,
        "sessions_compared_with_backup": compared,
        "history": [json.loads(e.to_line()) for e in history.read(base)],
    }
