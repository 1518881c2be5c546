"""plan / apply / rollback / recover / status / verify / baseline for one storage base.

Everything a run needs sits in a work folder beside the store (``.{name}.ffmigrate/``, same
file system, so renames are atomic): the lock, ``state.json`` (phase and checkpoint), the
backup with its manifest, one staging tree per step, the preserved original, the run's log and
report. The store itself is only touched by the cut-over (two renames) and by a rollback.

Phases of ``apply``: backup -> migrate (step by step, batch by batch) -> verify -> cutover ->
done. A crash in any phase leaves ``state.json`` saying where; ``recover`` resumes (or, with
``restore``, puts the original back) and checks the result against the manifest.
"""

from __future__ import annotations

import json
import math
import os
import shutil
import time
import uuid
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from flatfile_chat.clock import Clock, SystemClock
from flatfile_chat.errors import FFError
from flatfile_chat.migration import census, failpoints, history, lease, manifest
from flatfile_chat.migration.generations import Detection, detect
from flatfile_chat.migration.passes import (
    QUARANTINE,
    Checkpoint,
    PassContext,
    run_pass,
)
from flatfile_chat.migration.records import MIGRATION_DIR, dump_line
from flatfile_chat.migration.steps import GENERATIONS, STEPS, Step, steps_between
from flatfile_chat.storage.atomic import atomic_write_bytes, fsync_dir

STATE = "state.json"
WORK_MARKER = "FFMIGRATE_WORK_DIR"  # marks a folder this tool may empty
WORK_FILES = frozenset(
    {
        STATE,
        "backup",
        "original",
        "restore",
        "rolled_back",
        "log.jsonl",
        "report.json",
        "result_manifest.json",
    }
)


class MigrationError(FFError):
    """A migration cannot start, did not verify, or cannot be undone as asked."""


@dataclass
class MigrationOptions:
    """The seed's ``FFMigrationTestConfigDTO`` knobs that drive a real run."""

    batch_size: int = 1000
    timeout_minutes: float = 60.0
    preserve_original_data: bool = True
    create_migration_logs: bool = True
    work_dir: Path | None = None
    output: Path | None = None  # write the migrated store here and leave the source alone

    def __post_init__(self) -> None:
        if self.batch_size < 1:
            raise MigrationError(
                f"migration_batch_size must be >= 1, got {self.batch_size}",
                key="migration_batch_size",
            )
        if self.timeout_minutes <= 0:
            raise MigrationError(
                f"migration_timeout_minutes must be > 0, got {self.timeout_minutes}",
                key="migration_timeout_minutes",
            )


@dataclass
class MigrationReport:
    run_id: str
    base: str
    output: str
    in_place: bool
    source_generation: str
    target_generation: str
    direction: str
    steps: list[dict[str, Any]] = field(default_factory=list)
    counts_before: dict[str, int] = field(default_factory=dict)
    counts_after: dict[str, int] = field(default_factory=dict)
    sessions_compared: int = 0
    problems: list[str] = field(default_factory=list)
    quarantined: list[dict[str, Any]] = field(default_factory=list)
    findings: list[str] = field(default_factory=list)
    backup: dict[str, Any] = field(default_factory=dict)
    preserved_original: str | None = None
    records: int = 0
    batches: int = 0
    seconds: float = 0.0
    records_per_second: float = 0.0
    noop: bool = False

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


class Migrator:
    def __init__(
        self,
        base: str | Path,
        options: MigrationOptions | None = None,
        *,
        clock: Clock | None = None,
    ) -> None:
        self.base = Path(base).absolute()
        self.options = options or MigrationOptions()
        self.clock = clock or SystemClock()
        self.work = (
            Path(self.options.work_dir).absolute()
            if self.options.work_dir
            else self.base.parent / f".{self.base.name}.ffmigrate"
        )
        # One lock per store, wherever its work folder is: two runs on one store with
        # different --work-dir must still exclude each other.
        self.lease = lease.Lease(self.base.parent / f".{self.base.name}.ffmigrate.lock", "migrate")

    # --- reading ---------------------------------------------------------------------------

    def detect(self) -> Detection:
        return detect(self.base)

    def state(self) -> dict[str, Any] | None:
        try:
            return json.loads((self.work / STATE).read_bytes())
        except FileNotFoundError:
            return None

    def status(self) -> dict[str, Any]:
        state = self.state()
        holder = lease.read(self.lease.path)
        return {
            "base": str(self.base),
            "work_dir": str(self.work),
            "detected": self.detect().to_dict() if self.base.exists() else None,
            "history": [asdict(a) for a in history.read(self.base)] if self.base.exists() else [],
            "run": None
            if state is None
            else {
                k: state[k]
                for k in (
                    "run_id",
                    "phase",
                    "source_generation",
                    "target_generation",
                    "step_index",
                    "steps",
                    "checkpoint",
                )
            },
            "lock": None if holder is None else {**asdict(holder), "alive": holder.alive()},
        }

    def plan(self, to: str = "current") -> dict[str, Any]:
        """A dry run: what would move, how much, how long. Writes nothing."""
        self._check_generation(to)
        before = census.take(self.base)
        found = _with_census(self.detect(), before)
        steps, direction = self._steps(found, to)
        tree = manifest.scan(self.base, hashes=False) if self.base.exists() else None
        records = (
            before.counts["messages"]
            + before.counts["persona_messages"]
            + (len(tree.files) if tree else 0)
        )
        rate = _sample_rate(self.base)
        return {
            "base": str(self.base),
            "detected": found.to_dict(),
            "target": to,
            "direction": direction,
            "steps": [_step_row(s) for s in steps],
            "files": len(tree.files) if tree else 0,
            "bytes": sum(tree.sizes.values()) if tree else 0,
            "counts": before.counts,
            "malformed_lines": before.bad_lines,
            "batch_size": self.options.batch_size,
            "batches": math.ceil(records / self.options.batch_size) * len(steps),
            "estimated_seconds": float(f"{records * len(steps) / rate:.3g}") if steps else 0.0,
            "estimate_basis": f"{rate:,.0f} records/s measured on a sample of this store",
            "work_dir": str(self.work),
            "writes_nothing": True,
        }

    # --- apply -------------------------------------------------------------------------------

    def apply(self, to: str = "current") -> MigrationReport:
        self._check_generation(to)
        if not self.base.is_dir():
            raise MigrationError(f"{self.base}: no such storage base", path=str(self.base))
        self._check_places()
        self.lease.acquire()
        try:
            return self._apply(to)
        finally:
            self.lease.release()

    def _apply(self, to: str) -> MigrationReport:
        leftover = self.state()
        if leftover and leftover["phase"] not in ("done", "rolled_back"):
            how = (
                "`flatfile-chat migrate recover {0}` puts the original back"
                if leftover["phase"] in ("backup", "failed")
                else "`flatfile-chat migrate recover {0}` resumes it, `--restore` undoes it"
            ).format(self.base)
            raise MigrationError(
                f"{self.work / STATE}: an unfinished migration (run {leftover['run_id']}, "
                f"phase {leftover['phase']}) is in the way: {how}",
                path=str(self.work),
            )
        history.check(self.base)
        before = census.take(self.base)
        found = _with_census(self.detect(), before)
        steps, direction = self._steps(found, to)
        output = Path(self.options.output).absolute() if self.options.output else self.base
        if not steps:
            return MigrationReport(
                run_id="",
                base=str(self.base),
                output=str(output),
                in_place=output == self.base,
                source_generation=found.generation,
                target_generation=to,
                direction="none",
                noop=True,
                findings=[
                    "the store holds nothing to migrate"
                    if found.generation == "empty"
                    else f"already at {to}: nothing to do"
                ],
            )
        if output != self.base and output.exists():
            raise MigrationError(
                f"{output}: the output folder exists; name a new one", path=str(output)
            )
        self._reset_work()
        state = {
            "run_id": uuid.uuid4().hex[:12],
            "base": str(self.base),
            "output": str(output),
            "source_generation": found.generation,
            "target_generation": to,
            "direction": direction,
            "steps": [s.version for s in steps],
            "step_index": 0,
            "checkpoint": None,
            "phase": "backup",
            "options": {
                k: str(v) if isinstance(v, Path) else v for k, v in asdict(self.options).items()
            },
            "started_at": time.time(),
            "passes": [],
        }
        self._save(state)
        self._log(
            "start",
            **{k: state[k] for k in ("run_id", "source_generation", "target_generation", "steps")},
        )
        tree = manifest.write_backup(
            self.base,
            self.work / "backup",
            meta={
                "run_id": state["run_id"],
                "base": str(self.base),
                "generation": found.generation,
                "created_at": self.clock.now().isoformat(),
            },
        )
        state["census_before"] = {
            "counts": before.counts,
            "sessions": before.sessions,
            "bad_lines": before.bad_lines,
        }
        state["notes"] = (
            [
                f"{before.duplicate_ids} message id(s) used twice in one log, kept "
                "as they are (e.g. " + "; ".join(before.duplicate_examples) + ")"
            ]
            if before.duplicate_ids
            else []
        )
        state["backup_files"] = len(tree.files)
        state["phase"] = "migrate"
        self._save(state)
        failpoints.hit("phase", "migrate")
        return self._continue(state)

    def _continue(self, state: dict[str, Any]) -> MigrationReport:
        steps = [_step(v) for v in state["steps"]]
        deadline = time.monotonic() + self.options.timeout_minutes * 60
        while state["phase"] == "migrate" and state["step_index"] < len(steps):
            index = state["step_index"]
            step = steps[index]
            src = self.base if index == 0 else self._stage(index - 1)
            dst = self._stage(index)
            cp = Checkpoint(**state["checkpoint"]) if state["checkpoint"] else Checkpoint()
            if state["checkpoint"] is None and dst.exists():
                shutil.rmtree(dst)  # a pass that never checkpointed starts clean

            def save(cp: Checkpoint, state: dict[str, Any] = state) -> None:
                state["checkpoint"] = asdict(cp)
                self._save(state)
                self.lease.renew()

            result = run_pass(
                step,
                state["direction"],
                src,
                dst,
                cp,
                PassContext(
                    batch_size=self.options.batch_size,
                    deadline=deadline,
                    save=save,
                    first_pass=index == 0,
                    log=self._log,
                ),
            )
            self._write_history(
                step, state, dst, result.records, result.seconds, quarantined=cp.quarantined
            )
            state["passes"].append(
                {
                    **_step_row(step),
                    "records": result.records,
                    "batches": result.batches,
                    "seconds": result.seconds,
                    "quarantined": cp.quarantined,
                    "quarantined_files": cp.quarantined_files,
                    "findings": result.findings + _pass_notes(cp),
                }
            )
            state["step_index"] = index + 1
            state["checkpoint"] = None
            self._save(state)
            if index > 0:
                shutil.rmtree(self._stage(index - 1), ignore_errors=True)
        if state["phase"] == "migrate":
            self._verify_output(state, steps)
        if state["phase"] == "cutover":
            self._cutover(state, steps)
        return self._report(state)

    def _write_history(
        self,
        step: type[Step],
        state: dict[str, Any],
        dst: Path,
        records: int,
        seconds: float,
        *,
        quarantined: int,
    ) -> None:
        path = dst / history.HISTORY
        path.parent.mkdir(parents=True, exist_ok=True)
        src = self.base if state["step_index"] == 0 else self._stage(state["step_index"] - 1)
        if state["direction"] == "up":
            entry = history.Applied(
                step.version,
                step.name,
                step.source,
                step.target,
                step.checksum(),
                self.clock.now().isoformat(),
                records=records,
                quarantined=quarantined,
                seconds=round(seconds, 3),
            )
            body = history.with_entry(src, entry)
            if step.version > 1 and not history.read(src):
                # Flyway's baselineOnMigrate: an old store without a history is adopted at the
                # generation it was detected as, so validate sees an unbroken line.
                body = (
                    history.Applied(
                        step.version - 1,
                        "baseline",
                        "G0",
                        step.source,
                        "",
                        entry.applied_at,
                        kind="baseline",
                    ).to_line()
                    + body
                )
        else:
            body = history.without_version(src, step.version)
        if body:
            atomic_write_bytes(path, body, fsync=True)
        else:
            path.unlink(missing_ok=True)
            _remove_empty_dirs(dst / MIGRATION_DIR)

    def _verify_output(self, state: dict[str, Any], steps: list[type[Step]]) -> None:
        final = self._stage(len(steps) - 1)
        before = census.Census(**state["census_before"])
        after = census.take(final)
        quarantined = sum(p.get("quarantined", 0) for p in state["passes"])
        problems = before.compare(after, quarantined=quarantined)
        if state["target_generation"] == "current":
            from flatfile_chat.migration.verify import read_back_problems, schema_problems

            # The store's own read-back validates every message; only when it finds
            # something is each log checked line by line, to name file:line.
            read = read_back_problems(final, after)
            problems += schema_problems(final, logs=bool(read)) + read
        state["census_after"] = {"counts": after.counts, "sessions": len(after.sessions)}
        state["problems"] = problems
        if problems:
            state["phase"] = "failed"
            self._save(state)
            raise MigrationError(
                "the migrated tree did not pass verification; nothing was cut over and "
                f"{self.base} is unchanged (`flatfile-chat migrate recover` cleans up):\n  "
                + "\n  ".join(problems[:20]),
                problems=problems,
            )
        state["phase"] = "cutover"
        self._save(state)

    def _cutover(self, state: dict[str, Any], steps: list[type[Step]]) -> None:
        final = self._stage(len(steps) - 1)
        output = Path(state["output"])
        original = self.work / "original"
        if output != self.base:
            if final.exists():
                os.rename(final, output)
                fsync_dir(output.parent)
        else:
            if self.base.exists() and final.exists() and not original.exists():
                os.rename(self.base, original)
                failpoints.hit("cutover", "moved")
            if final.exists():
                os.rename(final, self.base)
            fsync_dir(self.base.parent)
        result = manifest.scan(output)
        atomic_write_bytes(
            self.work / "result_manifest.json",
            json.dumps(result.to_dict(), indent=1).encode(),
            fsync=True,
        )
        state["phase"] = "done"
        state["finished_at"] = time.time()
        self._save(state)
        self._log("done", run_id=state["run_id"])
        if original.exists() and not self.options.preserve_original_data:
            shutil.rmtree(original)

    # --- rollback / recover ------------------------------------------------------------------

    def rollback(self, *, force: bool = False) -> dict[str, Any]:
        """Put the store back exactly as the last ``apply`` found it, checking every hash."""
        state = self.state()
        if state is None or state["phase"] not in ("done", "rollback"):
            phase = "no run" if state is None else f"phase {state['phase']}"
            raise MigrationError(
                f"{self.work}: nothing to roll back ({phase}); after a crash use `recover`",
                path=str(self.work),
            )
        self.lease.acquire()
        try:
            return self._rollback(state, force=force)
        finally:
            self.lease.release()

    def _rollback(self, state: dict[str, Any], *, force: bool) -> dict[str, Any]:
        expected, _meta = manifest.read_manifest(self.work / "backup")
        output = Path(state["output"])
        if state["phase"] == "done" and output.exists() and not force:
            changed = self._changed_since_migration(output)
            if changed:
                raise MigrationError(
                    f"{output} changed after the migration ({len(changed)} differences, e.g. "
                    f"{changed[0]}); a rollback would lose those changes. Pass --force to "
                    "roll back anyway",
                    path=str(output),
                    differences=changed,
                )
        resuming = state["phase"] == "rollback"
        state["phase"] = "rollback"
        self._save(state)
        if output != self.base:
            shutil.rmtree(output, ignore_errors=True)
        else:
            restored = self.work / "restore"
            aside = self.work / "rolled_back"
            if (
                resuming
                and not restored.exists()
                and self.base.exists()
                and not manifest.verify(self.base, expected)
            ):
                # Killed after the swap: the store already is the original; tidy up.
                shutil.rmtree(aside, ignore_errors=True)
                return self._finish_rollback(state, expected)
            if restored.exists() and not (restored / ".complete").exists():
                shutil.rmtree(restored)
            if not restored.exists():
                manifest.restore(self.work / "backup", restored)
                (restored / ".complete").touch()
            if self.base.exists() and not aside.exists():
                os.rename(self.base, aside)
            (restored / ".complete").unlink()
            os.rename(restored, self.base)
            fsync_dir(self.base.parent)
            failpoints.hit("rollback", "swapped")
            shutil.rmtree(aside, ignore_errors=True)
        return self._finish_rollback(state, expected)

    def _finish_rollback(
        self, state: dict[str, Any], expected: manifest.TreeState
    ) -> dict[str, Any]:
        differences = manifest.verify(self.base, expected)
        if differences:
            raise MigrationError(
                f"{self.base} does not match the backup manifest after the "
                "rollback:\n  " + "\n  ".join(differences),
                differences=differences,
            )
        shutil.rmtree(self.work / "original", ignore_errors=True)
        state["phase"] = "rolled_back"
        self._save(state)
        self._log("rolled_back", run_id=state["run_id"])
        return {
            "base": str(self.base),
            "files_verified": len(expected.files),
            "byte_identical": True,
            "run_id": state["run_id"],
        }

    def recover(self, *, restore: bool = False) -> dict[str, Any]:
        """After a crash: finish the run (default) or put the original back (``restore``)."""
        state = self.state()
        if state is None or state["phase"] in ("done", "rolled_back", "noop"):
            holder = lease.read(self.lease.path)
            if holder is not None and not holder.alive():
                self.lease.path.unlink()
                return {
                    "action": "none",
                    "detail": "no unfinished migration; removed the "
                    f"stale lock of {holder.describe()}",
                }
            return {"action": "none", "detail": "no unfinished migration"}
        replaced = self.lease.acquire(break_stale=True)
        broke = None if replaced is None else replaced.describe()
        try:
            phase = state["phase"]
            if phase == "rollback":
                return {
                    "action": "rolled_back",
                    "stale_lock": broke,
                    **self._rollback(state, force=True),
                }
            if restore or phase in ("backup", "failed"):
                return {"action": "restored", "stale_lock": broke, **self._restore_original(state)}
            report = self._continue(state)
            return {"action": "resumed", "stale_lock": broke, "report": report.to_dict()}
        finally:
            self.lease.release()

    def _restore_original(self, state: dict[str, Any]) -> dict[str, Any]:
        original = self.work / "original"
        final = self._stage(len(state["steps"]) - 1)
        if Path(state["output"]) == self.base and original.exists():
            if self.base.exists() and not final.exists():
                os.rename(self.base, final)  # the cut-over had happened: undo it
            if not self.base.exists():
                os.rename(original, self.base)
        elif Path(state["output"]) != self.base:
            shutil.rmtree(state["output"], ignore_errors=True)
        result: dict[str, Any] = {"base": str(self.base)}
        try:
            expected, _meta = manifest.read_manifest(self.work / "backup")
        except manifest.BackupInvalid:
            if state["phase"] != "backup":
                raise
            # The crash came while the backup was being taken: the store was only read.
            result.update(
                files_verified=0,
                byte_identical=None,
                detail="the run stopped while taking the backup, before anything "
                "was written; there is no manifest to check against",
            )
        else:
            differences = manifest.verify(self.base, expected)
            if differences:
                raise MigrationError(
                    f"{self.base} differs from the backup manifest:\n  "
                    + "\n  ".join(differences)
                    + "\nrun `flatfile-chat "
                    "migrate rollback --force` to restore the backup",
                    differences=differences,
                )
            result.update(files_verified=len(expected.files), byte_identical=True)
        for i in range(len(state["steps"])):
            shutil.rmtree(self._stage(i), ignore_errors=True)
        state["phase"] = "rolled_back"
        self._save(state)
        return result

    def unlock(self) -> dict[str, Any] | None:
        holder = lease.read(self.lease.path)
        if holder is None:
            return None
        if holder.alive():
            raise lease.MigrationLocked(
                f"{self.lease.path}: held by a live run: {holder.describe()}"
            )
        self.lease.path.unlink()
        return asdict(holder)

    # --- baseline / verify ---------------------------------------------------------------------

    def baseline(self, generation: str | None = None) -> history.Applied:
        """Adopt a store as being at ``generation`` (detected when None) without changing it."""
        if not self.base.is_dir():
            raise MigrationError(f"{self.base}: no such storage base", path=str(self.base))
        if history.read(self.base):
            raise MigrationError(
                f"{self.base / history.HISTORY}: the store already has a "
                "migration history; baseline is for stores without one"
            )
        generation = generation or self.detect().generation
        self._check_generation(generation)
        if generation == "G0":
            raise MigrationError("G0 is the oldest generation: there is nothing to baseline")
        step = next(s for s in STEPS if s.target == generation)
        entry = history.Applied(
            step.version,
            "baseline",
            "G0",
            generation,
            "",
            self.clock.now().isoformat(),
            kind="baseline",
        )
        path = self.base / history.HISTORY
        path.parent.mkdir(parents=True, exist_ok=True)
        atomic_write_bytes(path, entry.to_line(), fsync=True)
        return entry

    def verify(self) -> dict[str, Any]:
        from flatfile_chat.migration.verify import verify_store

        return verify_store(self.base, self.state())

    # --- helpers -------------------------------------------------------------------------------

    def _steps(self, found: Detection, to: str) -> tuple[list[type[Step]], str]:
        if found.generation == "empty":
            return [], "none"
        if found.generation not in GENERATIONS:
            raise MigrationError(
                f"{self.base}: cannot tell which generation this store is ("
                + "; ".join(found.evidence)
                + "). Move the stray folders out (or into "
                "users/) and run again, or `baseline --generation G…` if you know it",
                path=str(self.base),
                evidence=found.evidence,
            )
        return steps_between(found.generation, to)

    @staticmethod
    def _check_generation(name: str) -> None:
        if name not in GENERATIONS:
            raise MigrationError(
                f"unknown generation {name!r}; expected one of {', '.join(GENERATIONS)}", key="to"
            )

    def _stage(self, index: int) -> Path:
        return self.work / f"stage-{index + 1}"

    def _check_places(self) -> None:
        """Refuse a work or output folder that would overlap the store, hold someone's files,
        or sit on another file system (the cut-over is a rename)."""
        places = [("--work-dir", self.work)]
        if self.options.output:
            places.append(("--output", Path(self.options.output).absolute()))
        for flag, place in places:
            if (
                place == self.base
                or place.is_relative_to(self.base)
                or self.base.is_relative_to(place)
            ):
                raise MigrationError(
                    f"{flag} {place} overlaps the store {self.base}; choose a folder outside it",
                    key=flag,
                    path=str(place),
                )
            anchor = place if place.exists() else place.parent
            if not anchor.is_dir():
                raise MigrationError(
                    f"{flag} {place}: its parent folder {place.parent} does not exist",
                    key=flag,
                    path=str(place),
                )
            if anchor.stat().st_dev != self.base.parent.stat().st_dev:
                raise MigrationError(
                    f"{flag} {place} is on another file system than "
                    f"{self.base}; the cut-over needs an atomic rename",
                    key=flag,
                    path=str(place),
                )
        if (
            self.work.exists()
            and any(self.work.iterdir())
            and not (self.work / WORK_MARKER).is_file()
        ):
            raise MigrationError(
                f"--work-dir {self.work} holds files that are not a migration "
                "work folder; name an empty or new folder",
                key="--work-dir",
                path=str(self.work),
            )

    def _reset_work(self) -> None:
        """Empty the work folder of a previous run: only what a run creates is removed."""
        self.work.mkdir(parents=True, exist_ok=True)
        (self.work / WORK_MARKER).touch()
        for entry in self.work.iterdir():
            if entry.name in WORK_FILES or entry.name.startswith("stage-"):
                if entry.is_dir():
                    shutil.rmtree(entry)
                else:
                    entry.unlink()

    def _save(self, state: dict[str, Any]) -> None:
        atomic_write_bytes(self.work / STATE, json.dumps(state, indent=1).encode(), fsync=True)

    def _log(self, event: str, **data: Any) -> None:
        if self.options.create_migration_logs:
            with open(self.work / "log.jsonl", "ab") as handle:
                handle.write(dump_line({"at": time.time(), "event": event, **data}))

    def _changed_since_migration(self, output: Path) -> list[str]:
        try:
            recorded = manifest.TreeState.from_dict(
                json.loads((self.work / "result_manifest.json").read_bytes())
            )
        except FileNotFoundError:
            return []
        return manifest.verify(output, recorded)

    def _report(self, state: dict[str, Any]) -> MigrationReport:
        output = Path(state["output"])
        seconds = (state.get("finished_at") or time.time()) - state["started_at"]
        records = sum(p["records"] for p in state["passes"])
        quarantined = _read_quarantine(output)
        report = MigrationReport(
            run_id=state["run_id"],
            base=state["base"],
            output=state["output"],
            in_place=output == self.base,
            source_generation=state["source_generation"],
            target_generation=state["target_generation"],
            direction=state["direction"],
            steps=state["passes"],
            counts_before=state["census_before"]["counts"],
            counts_after=state.get("census_after", {}).get("counts", {}),
            sessions_compared=len(state["census_before"]["sessions"]),
            problems=state.get("problems", []),
            quarantined=quarantined,
            findings=state.get("notes", []) + [f for p in state["passes"] for f in p["findings"]],
            backup={
                "path": str(self.work / "backup"),
                "files": state.get("backup_files", 0),
                "manifest_sha256": _manifest_sum(self.work / "backup"),
            },
            preserved_original=str(self.work / "original")
            if (self.work / "original").exists()
            else None,
            records=records,
            batches=sum(p["batches"] for p in state["passes"]),
            seconds=round(seconds, 3),
            records_per_second=round(records / seconds, 1) if seconds > 0 else 0.0,
        )
        atomic_write_bytes(
            self.work / "report.json", json.dumps(report.to_dict(), indent=1).encode(), fsync=False
        )
        return report


def _with_census(found: Detection, before: census.Census) -> Detection:
    """Detection samples each log; the census reads every record. Old-format records past the
    sample make the store G1 (mixed): the id step renames only what still needs it."""
    if before.old_records and found.generation in ("G2", "G3"):
        return Detection(
            "G1",
            [
                *before.old_examples,
                f"{before.old_records} record(s) in "
                "the G0/G1 field names, found by reading every record",
            ],
            mixed=found.evidence,
        )
    return found


def _pass_notes(cp: Checkpoint) -> list[str]:
    notes = []
    if cp.blank_lines:
        notes.append(
            f"{cp.blank_lines} blank line(s) in message logs dropped (they hold no "
            "record and the current store cannot read them)"
        )
    if cp.quarantined_files:
        notes.append(
            f"{cp.quarantined_files} unreadable JSON document(s) moved to "
            f"{MIGRATION_DIR}/quarantine/files (see quarantined)"
        )
    return notes


def _step(version: int) -> type[Step]:
    return next(s for s in STEPS if s.version == version)


def _step_row(step: type[Step]) -> dict[str, Any]:
    return {
        "step": step.label(),
        "from": step.source,
        "to": step.target,
        "description": step.description,
        "checksum": step.checksum(),
    }


def _manifest_sum(backup: Path) -> str | None:
    try:
        return (backup / "manifest.sha256").read_text().split()[0]
    except (OSError, IndexError):
        return None


def _read_quarantine(root: Path) -> list[dict[str, Any]]:
    path = root / QUARANTINE
    if not path.is_file():
        return []
    out = []
    for raw in path.read_bytes().splitlines():
        entry = json.loads(raw)
        out.append({k: entry[k] for k in ("path", "line", "reason")})
    return out


def _remove_empty_dirs(folder: Path) -> None:
    if not folder.is_dir():
        return
    for dirpath, _dirs, _files in sorted(os.walk(folder), key=lambda e: -len(e[0])):
        if not os.listdir(dirpath):
            os.rmdir(dirpath)


def _sample_rate(base: Path, limit: int = 2000) -> float:
    """Records per second of the dominant work (parse, check, serialise a message line),
    timed on up to ``limit`` lines of this store; a floor of 1,000/s for an empty store."""
    from flatfile_chat.migration.records import message_problem

    lines: list[bytes] = []
    for log in sorted(base.rglob("messages.jsonl")) if base.exists() else []:
        with log.open("rb") as handle:
            lines.extend(line for _, line in zip(range(limit - len(lines)), handle, strict=False))
        if len(lines) >= limit:
            break
    if not lines:
        return 1000.0
    start = time.perf_counter()
    for raw in lines:
        try:
            obj = json.loads(raw)
        except ValueError:
            continue
        message_problem(obj)
        dump_line(obj)
    elapsed = time.perf_counter() - start
    return max(len(lines) / elapsed, 1.0) if elapsed > 0 else 1e6
