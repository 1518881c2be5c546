"""``FFMigrationValidator``: the phase-6 seed's migration validator, on a real migration.

The seed (``ff_migration_validator.py``) backs up the data, "simulates" a migration, compares
checksums, tests the rollback and times it all. Here every figure comes from a real run of
``flatfile_chat.migration`` with the knobs of :class:`FFMigrationTestConfigDTO`:

1. the old store at ``base_path`` is copied (byte for byte) into a scratch folder beside it,
   ``.{name}.ffvalidate/`` (an empty or missing ``base_path`` gets a generated old store of
   ``generation`` there instead), so validating never changes the store it was pointed at;
2. the copy is migrated to the current format (``migration_batch_size``,
   ``migration_timeout_minutes``, ``preserve_original_data``, ``create_migration_logs``) and the
   time of that run is measured;
3. data integrity: ``verify`` finds no problem, every collection counts the same before and
   after, and the current store's API reads back every session and message the old one held;
4. rollback: the migration is rolled back and the tree must be byte-identical (sha256 of every
   file) to what it was before; a run that failed is undone with ``recover --restore`` and held
   to the same comparison;
5. performance: the migration finished within ``migration_timeout_minutes``.

A check the config switches off (``validate_data_integrity``, ``test_rollback_procedures``,
``validate_performance_impact``) is not run and reads ``None`` (with a line in
``issues_found`` saying so), never a made-up ``True``. ``migration_successful`` needs the
migration to finish and every check that ran to pass.
"""

from __future__ import annotations

import asyncio
import shutil
import time
from pathlib import Path
from typing import Any

from flatfile_chat.clock import Clock
from flatfile_chat.errors import FFError
from prism_scenarios.dto import FFMigrationTestConfigDTO

OLD_GENERATIONS = ("G0", "G1", "G2", "G3")


def scratch_folder(base: Path) -> Path:
    """Where the validator works: beside the store, like the migration's own work folder."""
    return base.parent / f".{base.name}.ffvalidate"


class FFMigrationValidator:
    """Validate the migration of existing data (and of configuration) with a real run.

    ``base_path`` is an old store (G0-G3); ``generation`` and ``seed`` say what to generate when
    it holds nothing. After :meth:`validate_existing_data_migration`, ``details`` holds the
    migration report, the verification, the rollback result and where the data came from.
    """

    def __init__(
        self,
        config: FFMigrationTestConfigDTO | None = None,
        base_path: str | Path = "./data",
        *,
        generation: str = "G0",
        seed: int = 0,
        clock: Clock | None = None,
        keep_work: bool = False,
    ) -> None:
        if generation not in OLD_GENERATIONS:
            raise ValueError(
                f"generation must be one of {', '.join(OLD_GENERATIONS)}, got {generation!r}"
            )
        self.config = config or FFMigrationTestConfigDTO()
        self.base_path = Path(base_path).absolute()
        self.generation = generation
        self.seed = seed
        self.clock = clock
        self.keep_work = keep_work
        self.details: dict[str, Any] = {}

    # -- existing data ---------------------------------------------------------------------
    async def validate_existing_data_migration(self) -> dict[str, Any]:
        """The seed's result shape, every value measured (``None``: switched off)."""
        config = self.config
        issues: list[str] = []
        result: dict[str, Any] = {
            "migration_successful": False,
            "data_integrity_validated": None,
            "performance_acceptable": None,
            "rollback_validated": None,
            "issues_found": issues,
            "migration_statistics": {
                "migration_duration_seconds": None,
                "data_integrity_score": None,
                "rollback_test_success": None,
                "performance_score": None,
            },
        }
        self.details = {}
        if not config.test_existing_data_migration:
            issues.append("test_existing_data_migration is false: no migration was run")
            return result
        work = scratch_folder(self.base_path)
        if work.exists():
            shutil.rmtree(work)  # a previous validation's leftovers (ours by name)
        subject = work / self.base_path.name
        try:
            if not self._prepare(subject, issues):
                return result
            await self._run(subject, result, issues)
        finally:
            if not self.keep_work:
                shutil.rmtree(work, ignore_errors=True)
        return result

    def _prepare(self, subject: Path, issues: list[str]) -> bool:
        """Copy the old store (or generate one) to ``subject``; False if there is nothing to
        migrate."""
        from flatfile_chat.migration.generations import detect

        base = self.base_path
        found = detect(base).generation if base.is_dir() else "empty"
        if found == "current":
            issues.append(
                f"{base} is already in the current format: there is no old data to migrate"
            )
            self.details["source"] = "current store (nothing to migrate)"
            return False
        if found == "empty":
            from flatfile_chat.migration.generators import generate

            generate(self.generation, subject, seed=self.seed)
            self.details["source"] = (
                f"generated {self.generation} store (seed {self.seed}): {base} holds no store"
            )
        else:
            shutil.copytree(base, subject, symlinks=True)
            self.details["source"] = f"copy of the {found} store {base}"
        return True

    async def _run(self, subject: Path, result: dict[str, Any], issues: list[str]) -> None:
        from flatfile_chat.migration import manifest
        from flatfile_chat.migration.engine import MigrationOptions, Migrator

        config = self.config
        stats = result["migration_statistics"]
        before = manifest.scan(subject)
        migrator = Migrator(
            subject,
            MigrationOptions(
                batch_size=config.migration_batch_size,
                timeout_minutes=config.migration_timeout_minutes,
                preserve_original_data=config.preserve_original_data,
                create_migration_logs=config.create_migration_logs,
            ),
            clock=self.clock,
        )
        started = time.perf_counter()
        report = None
        try:
            report = migrator.apply()
        except FFError as exc:
            issues.append(f"the migration failed: {type(exc).__name__}: {exc}")
        duration = time.perf_counter() - started
        stats["migration_duration_seconds"] = round(duration, 3)
        if report is not None:
            self.details["report"] = report.to_dict()
            if report.noop:
                issues.append("the migration did nothing (the store was already current)")
            for line in report.quarantined:
                issues.append(
                    f"quarantined (kept, not migrated): {line['path']}:"
                    f"{line['line']}: {line['reason']}"
                )
        migrated = report is not None and not report.noop

        checks_ok: list[bool] = []
        if config.validate_data_integrity:
            if migrated:
                score = await self._integrity(migrator, report, issues)
            else:
                score = 0.0
                issues.append("data integrity not validated: the migration did not finish")
            result["data_integrity_validated"] = score == 1.0
            stats["data_integrity_score"] = score
            checks_ok.append(score == 1.0)
        else:
            issues.append("data integrity not checked: validate_data_integrity is false")

        if config.validate_performance_impact:
            limit = config.migration_timeout_minutes * 60
            acceptable = migrated and duration < limit
            if migrated and not acceptable:
                issues.append(
                    f"the migration took {duration:.3f} s, over the "
                    f"{limit:g} s limit (migration_timeout_minutes)"
                )
            result["performance_acceptable"] = acceptable
            stats["performance_score"] = 1.0 if acceptable else 0.0
            checks_ok.append(acceptable)
        else:
            issues.append("performance not judged: validate_performance_impact is false")

        if config.test_rollback_procedures:
            rolled_back = self._rollback(migrator, before, migrated, issues)
            result["rollback_validated"] = rolled_back
            stats["rollback_test_success"] = rolled_back
            checks_ok.append(rolled_back is True)
        else:
            issues.append("rollback not tested: test_rollback_procedures is false")

        result["migration_successful"] = migrated and all(checks_ok)

    async def _integrity(self, migrator: Any, report: Any, issues: list[str]) -> float:
        """Share of the integrity checks that passed (1.0: all)."""
        from flatfile_chat.migration import history

        # verify reads the store back with its own event loop: not on this one
        checked = await asyncio.to_thread(migrator.verify)
        self.details["verify"] = checked
        before = report.counts_before
        read = checked["read_back"]
        checks = {
            "verify found no problem": checked["ok"],
            "every collection counts the same before and after": report.counts_before
            == report.counts_after
            and not report.problems,
            f"the store API reads back every session ({before['sessions']})": read["sessions"]
            == before["sessions"],
            f"the store API reads back every message ({before['messages']})": read["messages"]
            == before["messages"],
            "the migrated store has no integrity issue": read["integrity_issues"] == 0,
            "the migration history validates": not history.validate(migrator.base),
        }
        issues += [f"data integrity: {problem}" for problem in checked["problems"]]
        issues += [
            f"data integrity check failed: {name} (read back: {read})"
            for name, ok in checks.items()
            if not ok
        ]
        return round(sum(checks.values()) / len(checks), 4)

    def _rollback(
        self, migrator: Any, before: Any, migrated: bool, issues: list[str]
    ) -> bool | None:
        """Roll back (or, after a failed run, restore the original) and compare every file's
        bytes with the tree before the run. None: the run stopped before changing anything,
        so there was nothing to roll back."""
        from flatfile_chat.migration import manifest

        try:
            outcome = migrator.rollback() if migrated else migrator.recover(restore=True)
        except FFError as exc:
            issues.append(f"rollback failed: {type(exc).__name__}: {exc}")
            return False
        self.details["rollback"] = outcome
        if outcome.get("action") == "none":
            issues.append(
                "rollback not exercised: the migration stopped before it changed anything"
            )
            return None
        differences = manifest.verify(migrator.base, before)
        issues += [f"rollback: {d}" for d in differences]
        return not differences and outcome.get("byte_identical") is not False

    # -- configuration ---------------------------------------------------------------------
    async def validate_configuration_migration(
        self, old_config: dict[str, Any] | str | Path | None = None
    ) -> dict[str, Any]:
        """Migrate an old configuration (a mapping, or a file) or, with none given, every old
        preset. Successful when every result validates and no key was unknown or refused."""
        from flatfile_chat.migration import config as config_migration

        issues: list[str] = []
        result: dict[str, Any] = {
            "configuration_migration_successful": None,
            "configs_checked": [],
            "counts": {},
            "unknown_keys": [],
            "issues_found": issues,
        }
        if not self.config.test_configuration_migration:
            issues.append("test_configuration_migration is false: nothing was checked")
            return result
        try:
            if old_config is None:
                runs = [
                    config_migration.migrate_preset(name) for name in config_migration.OLD_PRESETS
                ]
            elif isinstance(old_config, dict):
                runs = [config_migration.migrate_config_data(old_config, origin="old config")]
            else:
                runs = [config_migration.migrate_config_file(Path(old_config))]
        except FFError as exc:
            issues.append(f"the configuration could not be migrated: {type(exc).__name__}: {exc}")
            result["configuration_migration_successful"] = False
            return result
        counts = dict.fromkeys(config_migration.KINDS, 0)
        for run in runs:
            result["configs_checked"].append(run.source)
            for kind, n in run.counts().items():
                counts[kind] += n
            for finding in run.findings:
                if finding.kind in ("unknown", "invalid"):
                    where = f"{run.source}:{finding.line}" if finding.line else run.source
                    issues.append(f"{where}: {finding.kind} {finding.key}: {finding.detail}")
            result["unknown_keys"] += [f"{run.source}: {key}" for key in run.unknown_keys]
        result["counts"] = counts
        result["configuration_migration_successful"] = not (counts["unknown"] or counts["invalid"])
        return result


__all__ = ["FFMigrationValidator", "scratch_folder"]
