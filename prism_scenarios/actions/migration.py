"""Data migration: old-format stores (G0-G3) generated, detected, planned, migrated up and
down, verified, rolled back, recovered, read back through the current store's API; old
configurations converted; the seed's ``FFMigrationValidator`` run.

**Where a legacy store lives.** Every migration action names a *legacy store* by ``store``
(default ``old``): the folder ``legacy/{store}`` under the scenario's store root, built with
the store's safe join (so ``store`` is one valid path component). The migration tool keeps its
work folder (lock, state, backup with manifest, staging, log) beside it, in
``legacy/.{store}.ffmigrate/``. Everything therefore stays inside the store root, and the
invariants keep their meaning:

- ``outside_root``: the migration tool writes nothing anywhere else (no temp folder, no
  home directory);
- ``jsonl``: every ``.jsonl`` file a step writes under the store root parses, including the
  migration's history, undo notes, quarantine, logs and backup copies. A scenario that
  generates malformed lines on purpose (``malformed_lines``) breaks it by design - the backup
  keeps those lines byte for byte - and must say ``invariants: {jsonl: false}`` with a comment
  why (then check the migrated store explicitly, e.g. ``migration.read_back``'s
  ``integrity_issues``);
- ``counters`` and ``isolation``: a legacy store a migration brought to the *current* format
  is held to them like the main store (every message log's counter, every session in its
  owner's folder), after every step that writes under ``legacy/``. Old formats are not: stale
  counters are part of what G0-G3 data looks like, and what migrations repair.

Paths in results (``base``, ``output``, ``work_dir``, the backup ...) are relative to the store
root (``legacy/old``); time and speed figures are measured, so they differ between runs.
Errors of the migration tool (``MigrationError``, ``MigrationTimeout``, ``MigrationLocked``,
``BackupInvalid``, ``HistoryMismatch``, ``OldStoreFormat``, ``ConfigError``) are the store's own
errors, so ``raises: {error: MigrationError}`` works.
"""

from __future__ import annotations

import asyncio
import shutil
from pathlib import Path
from typing import Annotated, Any, Literal, NotRequired

from pydantic import BaseModel, ConfigDict, Field, model_validator
from typing_extensions import TypedDict

from flatfile_chat.errors import NotFound
from prism_scenarios.actions.outputs import FreeForm, JSONValue, closed
from prism_scenarios.actions.registry import Params, action, fuzz_max
from prism_scenarios.components import Component
from prism_scenarios.dto import FFMigrationTestConfigDTO

Generation = Literal["G0", "G1", "G2", "G3", "current"]
OldGeneration = Literal["G0", "G1", "G2", "G3"]
StoreName = Annotated[
    str, Field(description="the legacy store: folder legacy/{store} under the store root")
]
Counts = Annotated[
    dict[str, int],
    Field(
        description="records per collection: users, profiles, sessions, messages, "
        "persona_messages, documents, vectors, personas, contexts"
    ),
]
HistoryEntry = Annotated[
    JSONValue,
    FreeForm(
        "one line of .ffmigrate/history.jsonl: version, name, source, target, checksum, "
        "applied_at, kind, records, quarantined, seconds"
    ),
]


# -- where legacy stores live -------------------------------------------------------------
def legacy_path(world, store: str) -> Path:
    """``legacy/{store}`` under the store root, through the store's safe join (which also
    makes the world's store, and so the invariants, active)."""
    from prism_scenarios.world import LEGACY_DIR

    return world.store.fs.path(LEGACY_DIR, store)


def _shown(world, path: str | Path | None) -> str | None:
    """A path as results show it: relative to the store root when it is inside."""
    if path is None:
        return None
    try:
        return Path(path).relative_to(world.store_root).as_posix()
    except ValueError:
        return str(path)


def _track(world, *bases: Path) -> None:
    """Hold a legacy store to the store invariants while it is in the current format."""
    from flatfile_chat.migration.generations import detect

    for base in bases:
        if base.is_dir() and detect(base).generation == "current":
            world.migrated_stores.add(base)
        else:
            world.migrated_stores.discard(base)


def _migrator(world, base: Path, **options: Any):
    from flatfile_chat.migration.engine import MigrationOptions, Migrator

    return Migrator(base, MigrationOptions(**options), clock=world.clock)


class StoreRef(Params):
    store: StoreName = "old"


# -- generate -----------------------------------------------------------------------------
class Generate(Params):
    generation: OldGeneration = Field(description="the on-disk generation to write")
    store: StoreName = "old"
    # Volume knobs (fuzz mode draws them small: large values only cost time)
    users: int = Field(2, json_schema_extra=fuzz_max(3))
    sessions_per_user: int = Field(2, json_schema_extra=fuzz_max(3))
    messages_per_session: int = Field(4, json_schema_extra=fuzz_max(10))
    seed: int | None = Field(
        None, description="default: the scenario's seed (same seed, same bytes)"
    )
    documents: bool = True
    vectors: bool = True
    traps: bool = Field(
        True,
        description="the oddities real old stores have (stale counters, "
        "orphan vectors, folders without session.json ...)",
    )
    malformed_lines: int = Field(
        0,
        json_schema_extra=fuzz_max(5),
        description="message lines no migration can read (they "
        "must be quarantined with file:line); this "
        "breaks the jsonl invariant by design",
    )


@closed
class MalformedLine(TypedDict):
    path: Annotated[str, Field(description="relative to the legacy store")]
    line: int


@closed
class Generated(TypedDict):
    """What ``migration.generate`` wrote."""

    store: str
    base: Annotated[str, Field(description="legacy/{store}, relative to the store root")]
    generation: str
    users: int
    sessions: int
    messages: Annotated[
        int, Field(description="well-formed message lines (malformed ones not counted)")
    ]
    documents: int
    vectors: int
    malformed_lines: list[MalformedLine]
    files: int


def _number(value: Any) -> int:
    return len(value) if isinstance(value, list | tuple | set | dict) else int(value)


@action("migration.generate", component=Component.MIGRATION)
async def migration_generate(world, p: Generate) -> Generated:
    """Write an old-format store of ``generation`` (G0-G3) into ``legacy/{store}``,
    deterministic by seed (the scenario's seed unless given). The folder must not exist yet."""
    from flatfile_chat.migration import manifest
    from flatfile_chat.migration.generators import generate

    base = legacy_path(world, p.store)
    if base.exists():
        from flatfile_chat.errors import AlreadyExists

        raise AlreadyExists(
            f"{_shown(world, base)} exists; generate into a new store name",
            path=_shown(world, base),
        )
    made = generate(
        p.generation,
        base,
        users=p.users,
        sessions_per_user=p.sessions_per_user,
        messages_per_session=p.messages_per_session,
        seed=world.seed if p.seed is None else p.seed,
        documents=p.documents,
        vectors=p.vectors,
        traps=p.traps,
        malformed_lines=p.malformed_lines,
    )
    _track(world, base)
    return {
        "store": p.store,
        "base": _shown(world, base),
        "generation": made.generation,
        "users": _number(made.users),
        "sessions": _number(made.sessions),
        "messages": _number(made.messages),
        "documents": _number(made.documents),
        "vectors": _number(made.vectors),
        "malformed_lines": [
            {"path": str(rel), "line": int(line)} for rel, line in made.malformed_lines
        ],
        "files": len(manifest.scan(base).files),
    }


# -- detect / plan / status ---------------------------------------------------------------
@closed
class Detected(TypedDict):
    """Which generation a store is (``Detection``)."""

    generation: Annotated[str, Field(description="G0, G1, G2, G3, current or empty")]
    evidence: Annotated[list[str], Field(description="what it was recognised by")]
    mixed: Annotated[list[str], Field(description="signs of more than one generation")]


@action("migration.detect", component=Component.MIGRATION)
async def migration_detect(world, p: StoreRef) -> Detected:
    """Which on-disk generation the legacy store is, with the evidence."""
    base = legacy_path(world, p.store)
    return _migrator(world, base).detect().to_dict()


class PlanParams(Params):
    store: StoreName = "old"
    to: Generation = Field(
        "current", description="target generation; an older one than the store's migrates down"
    )
    batch_size: int = 1000


StepRow = closed(
    TypedDict(
        "StepRow",
        {
            "step": Annotated[str, Field(description="V1__users_level ... V4__normalise")],
            "from": str,
            "to": str,
            "description": str,
            "checksum": Annotated[
                str, Field(description="sha256 of the step's code (the history checks it)")
            ],
        },
    )
)
StepRow.__doc__ = "One versioned migration step."


@closed
class Plan(TypedDict):
    """A dry run (``plan``): what would move, how much, how long. Writes nothing."""

    base: str
    detected: Detected
    target: str
    direction: Annotated[str, Field(description="up, down or none")]
    steps: list[StepRow]
    files: int
    bytes: int
    counts: Counts
    malformed_lines: Annotated[int, Field(description="lines that would be quarantined")]
    batch_size: int
    batches: int
    estimated_seconds: float
    estimate_basis: str
    work_dir: Annotated[str, Field(description="where a run would work (it is not created)")]
    writes_nothing: bool


@action("migration.plan", component=Component.MIGRATION)
async def migration_plan(world, p: PlanParams) -> Plan:
    """Dry run: the steps, files, bytes, records, batches and an estimated time of migrating
    the legacy store to ``to``. Writes nothing, not even the work folder."""
    base = legacy_path(world, p.store)
    plan = _migrator(world, base, batch_size=p.batch_size).plan(p.to)
    return {
        **plan,
        "base": _shown(world, plan["base"]),
        "work_dir": _shown(world, plan["work_dir"]),
    }


@closed
class Status(TypedDict):
    """``status``: the last run, the lock, the history."""

    base: str
    work_dir: str
    detected: Detected | None
    history: list[HistoryEntry]
    run: Annotated[
        JSONValue,
        FreeForm(
            "null, or the last run: run_id, phase (backup, migrate, verify, cutover, done, "
            "failed, rollback, rolled_back), source_generation, target_generation, step_index, "
            "steps, checkpoint"
        ),
    ]
    lock: Annotated[
        JSONValue,
        FreeForm(
            "null, or who holds the lock: owner, pid, host, started_at, lease_until, command, alive"
        ),
    ]


@action("migration.status", component=Component.MIGRATION)
async def migration_status(world, p: StoreRef) -> Status:
    """The run in progress or the last run (phase, steps, checkpoint), the lock and the
    store's migration history."""
    base = legacy_path(world, p.store)
    status = _migrator(world, base).status()
    return {
        **status,
        "base": _shown(world, status["base"]),
        "work_dir": _shown(world, status["work_dir"]),
    }


# -- apply --------------------------------------------------------------------------------
class Apply(Params):
    store: StoreName = "old"
    to: Generation = Field(
        "current", description="target generation; an older one migrates down (the stairway)"
    )
    batch_size: int = Field(1000, description="records per batch, checkpointed after each")
    timeout_minutes: float = 60.0
    preserve_original_data: bool = Field(
        True, description="keep the original tree in the work folder after the cut-over"
    )
    create_migration_logs: bool = True
    output: str | None = Field(
        None, description="write the migrated store to legacy/{output} and leave the source alone"
    )


PassRow = closed(
    TypedDict(
        "PassRow",
        {
            "step": str,
            "from": str,
            "to": str,
            "description": str,
            "checksum": str,
            "records": int,
            "batches": int,
            "seconds": float,
            "quarantined": Annotated[int, Field(description="lines this pass quarantined")],
            "quarantined_files": Annotated[
                int, Field(description="whole JSON documents this pass quarantined")
            ],
            "findings": list[str],
        },
    )
)
PassRow.__doc__ = "One step as the run performed it."


@closed
class Quarantined(TypedDict):
    """A line no step could migrate, kept in .ffmigrate/quarantine/lines.jsonl."""

    path: Annotated[str, Field(description="the file in the source store")]
    line: Annotated[int, Field(description="1-based line in that file")]
    reason: str


@closed
class Backup(TypedDict, total=False):
    """Where the backup is (empty for a no-op run, which backs nothing up)."""

    path: str
    files: int
    manifest_sha256: str | None


@closed
class Report(TypedDict):
    """What ``apply`` did (``MigrationReport``)."""

    run_id: str
    base: str
    output: str
    in_place: bool
    source_generation: str
    target_generation: str
    direction: Annotated[str, Field(description="up, down, or none (nothing to do)")]
    steps: list[PassRow]
    counts_before: Counts
    counts_after: Counts
    sessions_compared: Annotated[
        int, Field(description="sessions whose message digests were compared before and after")
    ]
    problems: list[str]
    quarantined: list[Quarantined]
    findings: Annotated[
        list[str],
        Field(description="what the run noticed and reports (e.g. a session.json it had to write)"),
    ]
    backup: Backup
    preserved_original: Annotated[
        str | None, Field(description="the original tree, kept aside (preserve_original_data)")
    ]
    records: int
    batches: int
    seconds: float
    records_per_second: float
    noop: Annotated[bool, Field(description="already at the target: nothing was written")]


@action("migration.apply", component=Component.MIGRATION)
async def migration_apply(world, p: Apply) -> Report:
    """Migrate the legacy store to ``to`` (default current; an older generation migrates
    down): back up with a manifest, run the steps in batches, verify, cut over. A store
    already at ``to`` is a no-op that writes nothing."""
    base = legacy_path(world, p.store)
    output = legacy_path(world, p.output) if p.output else None
    migrator = _migrator(
        world,
        base,
        batch_size=p.batch_size,
        timeout_minutes=p.timeout_minutes,
        preserve_original_data=p.preserve_original_data,
        create_migration_logs=p.create_migration_logs,
        output=output,
    )
    try:
        report = migrator.apply(p.to).to_dict()
    finally:
        _track(world, base, *([output] if output else []))
    return _shown_report(world, report)


def _shown_report(world, report: dict[str, Any]) -> dict[str, Any]:
    backup = dict(report["backup"])
    if "path" in backup:
        backup["path"] = _shown(world, backup["path"])
    return {
        **report,
        "base": _shown(world, report["base"]),
        "output": _shown(world, report["output"]),
        "backup": backup,
        "preserved_original": _shown(world, report["preserved_original"]),
    }


# -- verify / history ---------------------------------------------------------------------
@closed
class ReadBackCounts(TypedDict):
    users: int
    sessions: int
    messages: int
    integrity_issues: int


@closed
class Verified(TypedDict):
    """``verify``: a migrated store checked record by record."""

    base: str
    ok: bool
    problems: Annotated[list[str], Field(description="path[:line]: what is wrong")]
    generation: str
    counts: Counts
    read_back: Annotated[ReadBackCounts, Field(description="what the current store's API reads")]
    sessions_compared_with_backup: int
    history: list[HistoryEntry]


@action("migration.verify", component=Component.MIGRATION)
async def migration_verify(world, p: StoreRef) -> Verified:
    """Check a migrated store: the history against this code's steps, every record against
    the current models, counters, read-back through the store API, and (after an in-place
    run) the census against the one taken before it."""
    base = legacy_path(world, p.store)
    # verify reads back with its own event loop: run it off this one
    checked = await asyncio.to_thread(_migrator(world, base).verify)
    return {**checked, "base": _shown(world, checked["base"])}


@closed
class HistoryCheck(TypedDict):
    ok: bool
    problems: list[str]
    applied: Annotated[list[str], Field(description="labels of the applied steps, in order")]


@action("migration.history", component=Component.MIGRATION)
async def migration_history(world, p: StoreRef) -> HistoryCheck:
    """Validate the store's migration history (Flyway-style): every applied step exists in
    this code with the same checksum, no gaps."""
    from flatfile_chat.migration import history

    base = legacy_path(world, p.store)
    problems = history.validate(base)
    return {
        "ok": not problems,
        "problems": [_relative_text(world, t) for t in problems],
        "applied": [entry.label for entry in history.read(base)],
    }


def _relative_text(world, text: str) -> str:
    return text.replace(str(world.store_root) + "/", "")


# -- rollback / recover -------------------------------------------------------------------
class Rollback(Params):
    store: StoreName = "old"
    force: bool = Field(
        False, description="roll back even though the store changed after the migration"
    )


@closed
class RolledBack(TypedDict):
    """The store put back from the backup, every file's sha256 checked."""

    base: str
    files_verified: int
    byte_identical: bool
    run_id: str


@action("migration.rollback", component=Component.MIGRATION)
async def migration_rollback(world, p: Rollback) -> RolledBack:
    """Put the legacy store back exactly as the last ``apply`` found it (from the backup,
    every hash checked), also when the store folder is gone (disaster recovery); refuses a
    store changed after the migration unless ``force``."""
    base = legacy_path(world, p.store)
    try:
        result = _migrator(world, base).rollback(force=p.force)
    finally:
        _track(world, base)
    return {**result, "base": _shown(world, result["base"])}


class Recover(Params):
    store: StoreName = "old"
    restore: bool = Field(False, description="put the original back instead of resuming")


@closed
class Recovered(TypedDict):
    """``recover`` after a crash or a stopped run."""

    action: Annotated[str, Field(description="resumed, restored, rolled_back or none")]
    detail: NotRequired[str]
    stale_lock: NotRequired[
        Annotated[str | None, Field(description="the dead run's lock that was broken, if any")]
    ]
    base: NotRequired[str]
    files_verified: NotRequired[int]
    byte_identical: NotRequired[bool | None]
    run_id: NotRequired[str]
    report: NotRequired[
        Annotated[Report, Field(description="after resuming: the finished run's report")]
    ]


@action("migration.recover", component=Component.MIGRATION)
async def migration_recover(world, p: Recover) -> Recovered:
    """After a crash or a stopped run (e.g. past its timeout): resume it from its last
    checkpoint, or with ``restore`` put the original back (checked against the manifest)."""
    base = legacy_path(world, p.store)
    try:
        result = _migrator(world, base).recover(restore=p.restore)
    finally:
        _track(world, base)
    if "base" in result:
        result["base"] = _shown(world, result["base"])
    if "report" in result:
        result["report"] = _shown_report(world, result["report"])
    return result


@closed
class Deleted(TypedDict):
    deleted: str
    files: int


@action("migration.delete_store", component=Component.RUNNER)
async def migration_delete_store(world, p: StoreRef) -> Deleted:
    """Disaster: delete the legacy store folder (its work folder with the backup stays), so a
    scenario can prove ``migration.rollback`` restores it."""
    from flatfile_chat.migration import manifest

    base = legacy_path(world, p.store)
    if not base.is_dir():
        raise NotFound(f"{_shown(world, base)} does not exist", path=_shown(world, base))
    files = len(manifest.scan(base).files)
    shutil.rmtree(base)
    _track(world, base)
    return {"deleted": _shown(world, base), "files": files}


# -- the command line, in-process -----------------------------------------------------------
class Cli(Params):
    command: Literal[
        "detect",
        "plan",
        "apply",
        "status",
        "verify",
        "validate",
        "baseline",
        "rollback",
        "recover",
        "unlock",
        "config",
    ]
    store: StoreName = "old"
    args: list[str] = Field(
        default_factory=list,
        description="further arguments, after BASE (config: the source and options); one "
        "starting with root: is a path under the store root (root:legacy/new)",
    )


@closed
class CliRun(TypedDict):
    """What ``flatfile-chat migrate`` printed and returned."""

    exit_code: Annotated[
        int, Field(description="0 done, 1 failed check or run, 2 bad usage or input, 3 locked")
    ]
    stdout: Annotated[str, Field(description="with the store root's path left out")]
    stderr: Annotated[str, Field(description="with the store root's path left out")]
    json: Annotated[JSONValue, FreeForm("stdout parsed as JSON, or null when it is not JSON")]


@action("migration.cli", component=Component.MIGRATION)
async def migration_cli(world, p: Cli) -> CliRun:
    """Run ``flatfile-chat migrate COMMAND legacy/{store} ARGS`` in this process (its
    ``main``), so the command line's own code is under test: exit code, output, JSON."""
    import contextlib
    import io
    import json

    from flatfile_chat.migration import cli

    base = legacy_path(world, p.store)
    args = [
        str(world.store.fs.path(*a[5:].split("/"))) if a.startswith("root:") else a for a in p.args
    ]
    argv = [p.command, *args] if p.command == "config" else [p.command, str(base), *args]

    def run() -> tuple[int, str, str]:
        out, err = io.StringIO(), io.StringIO()
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            try:
                code = cli.main(argv)
            except SystemExit as exc:  # argparse: bad usage
                code = exc.code if isinstance(exc.code, int) else 2
        return code, out.getvalue(), err.getvalue()

    # verify reads back with its own event loop: run it off this one
    try:
        code, out, err = await asyncio.to_thread(run)
    finally:
        _track(world, base)
    try:
        parsed = json.loads(out)
    except ValueError:
        parsed = None
    return {
        "exit_code": code,
        "stdout": _relative_text(world, out),
        "stderr": _relative_text(world, err),
        "json": _relative_json(world, parsed),
    }


def _relative_json(world, value: Any) -> Any:
    if isinstance(value, str):
        return _relative_text(world, value)
    if isinstance(value, list):
        return [_relative_json(world, v) for v in value]
    if isinstance(value, dict):
        return {k: _relative_json(world, v) for k, v in value.items()}
    return value


# -- bytes --------------------------------------------------------------------------------
class FileHash(BaseModel):
    model_config = ConfigDict(extra="forbid")
    sha256: str
    size: int


class SnapshotData(BaseModel):
    """A ``migration.snapshot`` result."""

    model_config = ConfigDict(extra="forbid")
    files: dict[str, FileHash]
    dirs: list[str]


@action("migration.snapshot", component=Component.RUNNER)
async def migration_snapshot(world, p: StoreRef) -> SnapshotData:
    """The sha256 and size of every file of the legacy store, and every folder: save it
    (``save: {before: "@"}``) and hand it to ``migration.compare`` later to prove
    byte-identity."""
    from flatfile_chat.migration import manifest

    base = legacy_path(world, p.store)
    if not base.is_dir():
        raise NotFound(f"{_shown(world, base)} does not exist", path=_shown(world, base))
    return SnapshotData.model_validate(manifest.scan(base).to_dict())


class Compare(Params):
    store: StoreName = "old"
    snapshot: SnapshotData = Field(description="a saved migration.snapshot, e.g. '${before}'")
    ignore: list[str] = Field(
        default_factory=list,
        description="files to leave out on both "
        "sides (paths in the store, "
        "shell patterns allowed); say "
        "why in a comment",
    )


@action("migration.compare", component=Component.RUNNER)
async def migration_compare(world, p: Compare) -> list[str]:
    """Differences between the legacy store now and a saved snapshot (a missing, extra or
    changed file, a missing folder; at most 10); empty when byte-identical."""
    from fnmatch import fnmatchcase

    from flatfile_chat.migration import manifest

    def kept(state: manifest.TreeState) -> manifest.TreeState:
        files = {
            rel: h
            for rel, h in state.files.items()
            if not any(fnmatchcase(rel, pattern) for pattern in p.ignore)
        }
        return manifest.TreeState(files, {rel: state.sizes[rel] for rel in files}, state.dirs)

    base = legacy_path(world, p.store)
    expected = manifest.TreeState.from_dict(p.snapshot.model_dump())
    if not p.ignore:
        return manifest.verify(base, expected)
    return kept(expected).differences(kept(manifest.scan(base)))


# -- read back ----------------------------------------------------------------------------
@closed
class SessionReadBack(TypedDict):
    user_id: str
    session_id: str
    session_type: Annotated[
        str | None, Field(description="null where the old store wrote null (G3 chat sessions)")
    ]
    title: str
    message_count: Annotated[int, Field(description="the counter in session.json")]
    messages_read: Annotated[int, Field(description="messages get_messages returned")]


@closed
class ReadBack(TypedDict):
    """The legacy store as the current store's API reads it."""

    users: list[str]
    sessions: list[SessionReadBack]
    session_count: int
    message_count: Annotated[int, Field(description="messages read, all sessions")]
    complete: Annotated[
        bool,
        Field(description="every session read back exactly as many messages as its counter says"),
    ]
    integrity_issues: list[str]


@action("migration.read_back", component=Component.MIGRATION, also=(Component.STORAGE,))
async def migration_read_back(world, p: StoreRef) -> ReadBack:
    """Open the legacy store with the current store (``FFStorageManager``, the scenario's
    config) and read every user, session and message through its API; an old format it
    cannot read raises ``OldStoreFormat``."""
    from flatfile_chat import FFStorageManager

    base = legacy_path(world, p.store)
    if not base.is_dir():
        raise NotFound(f"{_shown(world, base)} does not exist", path=_shown(world, base))
    store = FFStorageManager(world.config, clock=world.clock, ids=world.ids, base_path=base)
    try:
        users = await store.list_users()
        rows: list[SessionReadBack] = []
        for user in users:
            for session in await store.list_sessions(user):
                messages = await store.get_messages(user, session.session_id)
                rows.append(
                    {
                        "user_id": user,
                        "session_id": session.session_id,
                        "session_type": session.session_type,
                        "title": session.title,
                        "message_count": session.message_count,
                        "messages_read": len(messages),
                    }
                )
        issues = [str(issue) for issue in store.check_integrity()]
    finally:
        store.close()
    return {
        "users": users,
        "sessions": rows,
        "session_count": len(rows),
        "message_count": sum(r["messages_read"] for r in rows),
        "complete": all(r["messages_read"] == r["message_count"] for r in rows),
        "integrity_issues": issues,
    }


# -- configuration ------------------------------------------------------------------------
class ConfigParams(Params):
    config: dict[str, Any] | None = Field(
        None, description="an old (upstream v1/v2) config as a mapping"
    )
    preset: str | None = Field(None, description="or an old preset: development, production, test")

    @model_validator(mode="after")
    def _one_source(self) -> ConfigParams:
        if (self.config is None) == (self.preset is None):
            raise ValueError("give exactly one of config and preset")
        return self


@closed
class ConfigFinding(TypedDict):
    key: Annotated[str, Field(description="the old key, dotted")]
    kind: Annotated[str, Field(description="mapped, renamed, dropped_obsolete, unknown or invalid")]
    detail: str
    line: int | None


@closed
class ConfigReport(TypedDict):
    """An old configuration converted (``ConfigMigration.report()``)."""

    source: str
    base: Annotated[str, Field(description="defaults, or preset:<name>")]
    counts: Annotated[dict[str, int], Field(description="findings per kind")]
    unknown_keys: list[str]
    findings: list[ConfigFinding]
    config: Annotated[
        JSONValue, FreeForm("the current config's values that differ from the built-in defaults")
    ]


@action("migration.config", component=Component.MIGRATION)
async def migration_config(world, p: ConfigParams) -> ConfigReport:
    """Convert an old configuration (``config``) or old preset (``preset``) to the current
    one: every old key gets exactly one finding (mapped, renamed, dropped_obsolete, unknown,
    invalid); the result validates."""
    from flatfile_chat.migration import config as config_migration

    result = (
        config_migration.migrate_preset(p.preset)
        if p.preset is not None
        else config_migration.migrate_config_data(p.config, origin="scenario config")
    )
    return result.report()


# -- the seed's validator -----------------------------------------------------------------
class ValidateExisting(Params):
    store: StoreName = "old"
    config: FFMigrationTestConfigDTO = Field(
        default_factory=FFMigrationTestConfigDTO,
        description="the seed's migration test config: batch size, timeout, flags",
    )
    generation: OldGeneration = Field(
        "G0", description="what to generate when the store holds nothing"
    )
    seed: int | None = Field(None, description="default: the scenario's seed")


@closed
class MigrationStatistics(TypedDict):
    migration_duration_seconds: Annotated[float | None, Field(description="measured")]
    data_integrity_score: Annotated[
        float | None, Field(description="share of the integrity checks that passed")
    ]
    rollback_test_success: bool | None
    performance_score: float | None


@closed
class MigrationValidation(TypedDict):
    """The seed's ``validate_existing_data_migration`` result; null: switched off by the
    config, or not reached."""

    migration_successful: bool
    data_integrity_validated: bool | None
    performance_acceptable: bool | None
    rollback_validated: bool | None
    issues_found: list[str]
    migration_statistics: MigrationStatistics


@action(
    "migration.validate_existing_data", component=Component.MIGRATION, also=(Component.STORAGE,)
)
async def migration_validate_existing_data(world, p: ValidateExisting) -> MigrationValidation:
    """Run ``FFMigrationValidator.validate_existing_data_migration`` on a copy of the legacy
    store (or a generated one when it holds nothing): migrate with the config's knobs, verify,
    roll back, compare bytes. The legacy store itself is left as it was."""
    from prism_scenarios.migration_validator import FFMigrationValidator

    validator = FFMigrationValidator(
        p.config,
        legacy_path(world, p.store),
        generation=p.generation,
        seed=world.seed if p.seed is None else p.seed,
        clock=world.clock,
    )
    result = await validator.validate_existing_data_migration()
    result["issues_found"] = [_relative_text(world, t) for t in result["issues_found"]]
    return result


class ValidateConfiguration(Params):
    config: FFMigrationTestConfigDTO = Field(default_factory=FFMigrationTestConfigDTO)
    old_config: dict[str, Any] | None = Field(
        None, description="an old config; default: every old preset"
    )


@closed
class ConfigurationValidation(TypedDict):
    """``validate_configuration_migration``: successful when nothing was unknown or refused."""

    configuration_migration_successful: bool | None
    configs_checked: list[str]
    counts: dict[str, int]
    unknown_keys: list[str]
    issues_found: list[str]


@action("migration.validate_configuration", component=Component.MIGRATION)
async def migration_validate_configuration(
    world, p: ValidateConfiguration
) -> ConfigurationValidation:
    """Run ``FFMigrationValidator.validate_configuration_migration`` on an old config (or
    every old preset)."""
    from prism_scenarios.migration_validator import FFMigrationValidator

    validator = FFMigrationValidator(p.config, world.legacy_root)  # no store is read
    return await validator.validate_configuration_migration(p.old_config)
