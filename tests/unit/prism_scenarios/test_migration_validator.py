"""FFMigrationValidator's edges exactly (prism_scenarios.migration_validator): its arguments,
where it works and what it leaves, every issue line it writes, and the configuration check's
refusals."""

from __future__ import annotations

import asyncio
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from flatfile_chat.errors import FFError
from flatfile_chat.migration.engine import Migrator
from flatfile_chat.migration.generators import generate
from prism_scenarios import migration_validator
from prism_scenarios.dto import FFMigrationTestConfigDTO
from prism_scenarios.migration_validator import FFMigrationValidator, scratch_folder


def _run(validator: FFMigrationValidator) -> dict[str, Any]:
    return asyncio.run(validator.validate_existing_data_migration())


def test_the_arguments_and_their_defaults(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    validator = FFMigrationValidator()
    assert validator.config == FFMigrationTestConfigDTO()
    assert validator.base_path == tmp_path / "data"
    assert (validator.generation, validator.seed, validator.clock) == ("G0", 0, None)
    assert validator.keep_work is False and validator.details == {}
    for generation in migration_validator.OLD_GENERATIONS:
        assert FFMigrationValidator(generation=generation).generation == generation
    with pytest.raises(ValueError) as caught:
        FFMigrationValidator(generation="current")
    assert str(caught.value) == "generation must be one of G0, G1, G2, G3, got 'current'"


def test_the_scratch_folder_is_hidden_beside_the_store(tmp_path: Path) -> None:
    assert scratch_folder(tmp_path / "data") == tmp_path / ".data.ffvalidate"


def test_a_generated_store_kept_for_a_look_and_an_old_scratch_folder_cleared(
    tmp_path: Path,
) -> None:
    base = tmp_path / "nothing"
    work = scratch_folder(base)
    (work / "stale").mkdir(parents=True)
    validator = FFMigrationValidator(base_path=base, generation="G2", seed=5, keep_work=True)
    result = _run(validator)
    assert result["migration_successful"] is True
    assert validator.details["source"] == f"generated G2 store (seed 5): {base} holds no store"
    assert not (work / "stale").exists()
    assert (work / "nothing").is_dir()  # kept: the migrated copy
    assert not base.exists()


def test_an_empty_folder_gets_a_generated_store_a_store_is_copied(tmp_path: Path) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    validator = FFMigrationValidator(base_path=empty, generation="G1")
    assert _run(validator)["migration_successful"] is True
    assert validator.details["source"] == f"generated G1 store (seed 0): {empty} holds no store"
    assert list(empty.iterdir()) == []
    base = tmp_path / "data"
    generate("G1", base)
    copied = FFMigrationValidator(base_path=base)
    _run(copied)
    assert copied.details["source"] == f"copy of the G1 store {base}"
    assert copied.details["report"]["source_generation"] == "G1"
    assert copied.details["verify"]["ok"] is True
    assert copied.details["rollback"]["byte_identical"] is True
    assert not scratch_folder(base).exists()


def test_a_current_store_says_so_and_runs_nothing(tmp_path: Path) -> None:
    base = tmp_path / "data"
    generate("G3", base)
    Migrator(base).apply()
    validator = FFMigrationValidator(base_path=base)
    result = _run(validator)
    assert result["issues_found"] == [
        f"{base} is already in the current format: there is no old data to migrate"
    ]
    assert validator.details == {"source": "current store (nothing to migrate)"}
    assert result["migration_statistics"]["migration_duration_seconds"] is None
    assert result["data_integrity_validated"] is None
    assert not scratch_folder(base).exists()


def test_switched_off_migration_says_so_and_touches_nothing(tmp_path: Path) -> None:
    base = tmp_path / "data"
    work = scratch_folder(base)
    work.mkdir()
    config = FFMigrationTestConfigDTO(test_existing_data_migration=False)
    result = _run(FFMigrationValidator(config, base))
    assert result == {
        "migration_successful": False,
        "data_integrity_validated": None,
        "performance_acceptable": None,
        "rollback_validated": None,
        "issues_found": ["test_existing_data_migration is false: no migration was run"],
        "migration_statistics": {
            "migration_duration_seconds": None,
            "data_integrity_score": None,
            "rollback_test_success": None,
            "performance_score": None,
        },
    }
    assert work.is_dir()  # not even the scratch folder was touched


def test_quarantined_lines_are_named_each(tmp_path: Path) -> None:
    base = tmp_path / "data"
    generate("G0", base, malformed_lines=2)
    result = _run(FFMigrationValidator(base_path=base))
    assert result["migration_successful"] is True
    quarantined = [i for i in result["issues_found"] if i.startswith("quarantined")]
    assert len(quarantined) == 2
    assert quarantined[1].startswith("quarantined (kept, not migrated): alice/")
    assert quarantined[1].endswith("/messages.jsonl:5: expected a JSON object, got list")


def test_every_switch_off_is_said_and_the_run_still_succeeds(tmp_path: Path) -> None:
    base = tmp_path / "data"
    generate("G2", base)
    config = FFMigrationTestConfigDTO(
        validate_data_integrity=False,
        validate_performance_impact=False,
        test_rollback_procedures=False,
    )
    result = _run(FFMigrationValidator(config, base))
    assert result["migration_successful"] is True
    assert result["issues_found"] == [
        "data integrity not checked: validate_data_integrity is false",
        "performance not judged: validate_performance_impact is false",
        "rollback not tested: test_rollback_procedures is false",
    ]
    assert result["performance_acceptable"] is None
    assert result["migration_statistics"]["performance_score"] is None
    assert result["migration_statistics"]["migration_duration_seconds"] > 0


def _timed_run(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, ticks: list[float], *, minutes: float
) -> dict:
    """A G1 store validated with the clock reading `ticks` at the start and the end."""
    readings = iter(ticks)
    monkeypatch.setattr(
        migration_validator, "time", SimpleNamespace(perf_counter=lambda: next(readings))
    )
    base = tmp_path / "data"
    generate("G1", base)
    config = FFMigrationTestConfigDTO(migration_timeout_minutes=minutes)
    return _run(FFMigrationValidator(config, base))


def test_a_migration_over_its_time_limit_is_not_acceptable(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    result = _timed_run(tmp_path, monkeypatch, [1000.0, 1090.5], minutes=1.5)
    assert result["performance_acceptable"] is False
    assert result["migration_statistics"]["performance_score"] == 0.0
    assert result["migration_statistics"]["migration_duration_seconds"] == 90.5
    assert result["data_integrity_validated"] is True and result["rollback_validated"] is True
    assert result["migration_successful"] is False
    assert result["issues_found"] == [
        "the migration took 90.500 s, over the 90 s limit (migration_timeout_minutes)"
    ]


def test_a_migration_just_under_its_limit_is_acceptable(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    result = _timed_run(tmp_path, monkeypatch, [0.0, 59.9994], minutes=1)
    assert result["performance_acceptable"] is True
    assert result["migration_statistics"]["migration_duration_seconds"] == 59.999
    assert result["migration_successful"] is True


def test_a_rollback_that_fails_is_an_issue_and_false(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(self: Migrator, *, force: bool = False) -> dict[str, Any]:
        raise FFError("the backup is gone")

    monkeypatch.setattr(Migrator, "rollback", broken)
    base = tmp_path / "data"
    generate("G0", base)
    result = _run(FFMigrationValidator(base_path=base))
    assert result["rollback_validated"] is False
    assert result["migration_statistics"]["rollback_test_success"] is False
    assert result["migration_successful"] is False
    assert result["issues_found"] == ["rollback failed: FFError: the backup is gone"]


def test_a_rollback_with_nothing_to_undo_reads_none(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(
        Migrator, "rollback", lambda self, force=False: {"action": "none", "detail": "x"}
    )
    base = tmp_path / "data"
    generate("G0", base)
    validator = FFMigrationValidator(base_path=base)
    result = _run(validator)
    assert result["rollback_validated"] is None
    assert result["migration_successful"] is False  # a check that ran and gave no answer
    assert result["issues_found"] == [
        "rollback not exercised: the migration stopped before it changed anything"
    ]
    assert validator.details["rollback"] == {"action": "none", "detail": "x"}


def test_a_rollback_that_says_its_bytes_differ_fails(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = Migrator.rollback

    def says_so(self: Migrator, *, force: bool = False) -> dict[str, Any]:
        return {**real(self, force=force), "byte_identical": False}

    monkeypatch.setattr(Migrator, "rollback", says_so)
    base = tmp_path / "data"
    generate("G0", base)
    result = _run(FFMigrationValidator(base_path=base))
    assert result["rollback_validated"] is False
    assert result["issues_found"] == []  # the tree compares equal: only the flag says no


def test_a_read_back_that_misses_messages_names_the_failed_check(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = Migrator.verify

    def short(self: Migrator) -> dict[str, Any]:
        checked = real(self)
        checked["read_back"] = {**checked["read_back"], "messages": 0}
        return checked

    monkeypatch.setattr(Migrator, "verify", short)
    base = tmp_path / "data"
    generate("G1", base, users=1, sessions_per_user=1, messages_per_session=3)
    validator = FFMigrationValidator(base_path=base)
    result = _run(validator)
    before = validator.details["report"]["counts_before"]
    read = validator.details["verify"]["read_back"]
    assert read["messages"] == 0
    assert result["issues_found"] == [
        f"data integrity check failed: the store API reads back every message "
        f"({before['messages']}) (read back: {read})"
    ]
    assert result["migration_statistics"]["data_integrity_score"] == round(5 / 6, 4)
    assert result["data_integrity_validated"] is False


def test_a_failed_migration_is_not_checked_for_integrity(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def refuse(self: Migrator) -> Any:
        raise FFError("disk on fire")

    monkeypatch.setattr(Migrator, "apply", refuse)
    base = tmp_path / "data"
    generate("G0", base)
    validator = FFMigrationValidator(base_path=base)
    result = _run(validator)
    assert result["issues_found"][:2] == [
        "the migration failed: FFError: disk on fire",
        "data integrity not validated: the migration did not finish",
    ]
    assert result["data_integrity_validated"] is False
    assert result["migration_statistics"]["data_integrity_score"] == 0.0
    assert result["performance_acceptable"] is False
    assert "report" not in validator.details


def test_a_noop_migration_is_an_issue(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    real = Migrator.apply

    def noop(self: Migrator) -> Any:
        report = real(self)
        report.noop = True
        return report

    monkeypatch.setattr(Migrator, "apply", noop)
    base = tmp_path / "data"
    generate("G0", base)
    config = FFMigrationTestConfigDTO(test_rollback_procedures=False)
    result = _run(FFMigrationValidator(config, base))
    assert result["issues_found"][:2] == [
        "the migration did nothing (the store was already current)",
        "data integrity not validated: the migration did not finish",
    ]
    assert result["migration_successful"] is False
    assert result["performance_acceptable"] is False


# -- configuration --------------------------------------------------------------------------
def _config(validator: FFMigrationValidator, old: Any = None) -> dict[str, Any]:
    return asyncio.run(validator.validate_configuration_migration(old))


def test_configuration_check_switched_off(tmp_path: Path) -> None:
    config = FFMigrationTestConfigDTO(test_configuration_migration=False)
    assert _config(FFMigrationValidator(config, tmp_path)) == {
        "configuration_migration_successful": None,
        "configs_checked": [],
        "counts": {},
        "unknown_keys": [],
        "issues_found": ["test_configuration_migration is false: nothing was checked"],
    }


def test_a_configuration_that_cannot_be_read(tmp_path: Path) -> None:
    missing = tmp_path / "missing.json"
    assert _config(FFMigrationValidator(base_path=tmp_path), str(missing)) == {
        "configuration_migration_successful": False,
        "configs_checked": [],
        "counts": {},
        "unknown_keys": [],
        "issues_found": [
            f"the configuration could not be migrated: ConfigError: {missing}: "
            "config file not found"
        ],
    }


def test_a_configuration_with_unknown_keys_names_each(tmp_path: Path) -> None:
    from flatfile_chat.migration import config as config_migration

    result = _config(FFMigrationValidator(base_path=tmp_path), {"colour": "red", "size": 1})
    assert result["configuration_migration_successful"] is False
    assert result["configs_checked"] == ["old config"]
    assert result["unknown_keys"] == ["old config: colour", "old config: size"]
    assert set(result["counts"]) == set(config_migration.KINDS)
    assert result["counts"]["unknown"] == 2
    assert [i for i in result["issues_found"] if "colour" in i] == [
        i for i in result["issues_found"] if i.startswith("old config: unknown colour: ")
    ]
    assert len(result["issues_found"]) == 2


def test_presets_add_up_their_counts(tmp_path: Path) -> None:
    from flatfile_chat.migration import config as config_migration

    result = _config(FFMigrationValidator(base_path=tmp_path))
    runs = [config_migration.migrate_preset(n) for n in config_migration.OLD_PRESETS]
    expected = dict.fromkeys(config_migration.KINDS, 0)
    for run in runs:
        for kind, n in run.counts().items():
            expected[kind] += n
    assert result["counts"] == expected
    assert result["configuration_migration_successful"] is True
    assert result["issues_found"] == [] and result["unknown_keys"] == []
