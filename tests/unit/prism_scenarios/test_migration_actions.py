"""The migration vocabulary (``migration.*`` actions), where legacy stores live and how the
invariants hold them, the Gherkin sentences' invariant switch, and ``FFMigrationValidator``
on real runs."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest

from flatfile_chat.migration import manifest
from flatfile_chat.migration.generators import generate
from prism_scenarios.actions.registry import ActionRegistry, Params, action, load_actions
from prism_scenarios.dto import FFMigrationTestConfigDTO
from prism_scenarios.engine import ScenarioRun
from prism_scenarios.errors import ExpectationFailed, InvariantBreach
from prism_scenarios.loader import error_names
from prism_scenarios.migration_validator import FFMigrationValidator, scratch_folder

ACTIONS = {
    "migration.generate",
    "migration.detect",
    "migration.plan",
    "migration.apply",
    "migration.verify",
    "migration.history",
    "migration.rollback",
    "migration.recover",
    "migration.status",
    "migration.cli",
    "migration.snapshot",
    "migration.compare",
    "migration.read_back",
    "migration.config",
    "migration.delete_store",
    "migration.validate_existing_data",
    "migration.validate_configuration",
}
SEED_KEYS = {
    "migration_successful",
    "data_integrity_validated",
    "performance_acceptable",
    "rollback_validated",
    "issues_found",
    "migration_statistics",
}
STATISTICS_KEYS = {
    "migration_duration_seconds",
    "data_integrity_score",
    "rollback_test_success",
    "performance_score",
}


# -- helpers ----------------------------------------------------------------------------------
class SessionRef(Params):
    store: str = "old"


_private = ActionRegistry()


@action("test.bump_counter", component="runner", registry=_private)
async def bump_counter(world, p: SessionRef) -> str:
    """Raise one session's message_count behind the store's back (a wrong counter)."""
    record = sorted((world.legacy_root / p.store).glob("users/*/*/session.json"))[0]
    data = json.loads(record.read_bytes())
    key = "message_count"
    data[key] = data.get(key, 0) + 7
    record.write_text(json.dumps(data, indent=2))
    return record.relative_to(world.store_root).as_posix()


def _run(**kwargs) -> ScenarioRun:
    registry = ActionRegistry()
    for act in [*load_actions(), *_private]:
        registry.register(act)
    return ScenarioRun(registry=registry, **kwargs)


def _step(run: ScenarioRun, name: str, params: dict | None = None, **kwargs):
    return run.step(name, params or {}, where=f"test:{name}", **kwargs)


# -- the vocabulary -----------------------------------------------------------------------------
def test_every_migration_action_is_registered_documented_and_typed() -> None:
    registry = load_actions()
    names = {a.name for a in registry if a.name.startswith("migration.")}
    assert names == ACTIONS
    for name in names:
        act = registry.get(name)
        assert act.description and act.output is not None
        assert act.component in ("migration", "runner"), name
    assert registry.get("migration.apply").component == "migration"
    # the migration tool's errors can be named in `raises:`
    assert {
        "MigrationError",
        "MigrationTimeout",
        "MigrationLocked",
        "BackupInvalid",
        "HistoryMismatch",
        "OldStoreFormat",
    } <= set(error_names())


def test_a_legacy_store_lives_under_the_store_root_and_is_deterministic_by_seed() -> None:
    hashes = []
    for seed in (5, 5, 6):
        with _run(seed=seed) as run:
            made = _step(run, "migration.generate", {"generation": "G2"})
            assert made["base"] == "legacy/old" and made["files"] > 0
            assert (run.world.store_root / "legacy" / "old" / "users").is_dir()
            hashes.append(_step(run, "migration.snapshot")["files"])
    assert hashes[0] == hashes[1]  # same seed, same bytes
    assert hashes[0] != hashes[2]  # another seed, other data


def test_generate_refuses_an_existing_store_and_a_hostile_name() -> None:
    with _run() as run:
        _step(run, "migration.generate", {"generation": "G1"})
        _step(
            run,
            "migration.generate",
            {"generation": "G1"},
            raises={"error": "AlreadyExists", "message": "legacy/old exists"},
        )
        _step(
            run,
            "migration.generate",
            {"generation": "G1", "store": "../escape"},
            raises={"error": "ValidationError"},
        )


def test_migrate_read_back_roll_back_through_the_engine() -> None:
    with _run() as run:
        made = _step(run, "migration.generate", {"generation": "G1", "users": 2})
        before = _step(run, "migration.snapshot")
        _step(run, "migration.read_back", raises={"error": "OldStoreFormat"})
        report = _step(run, "migration.apply", {"batch_size": 3})
        assert report["base"] == report["output"] == "legacy/old"
        assert report["backup"]["path"] == "legacy/.old.ffmigrate/backup"
        assert report["counts_after"]["messages"] == made["messages"]
        read = _step(run, "migration.read_back")
        assert (read["session_count"], read["message_count"]) == (
            made["sessions"],
            made["messages"],
        )
        assert read["complete"] and read["integrity_issues"] == []
        assert run.world.migrated_stores == {run.world.legacy_root / "old"}
        assert _step(run, "migration.compare", {"snapshot": before}) != []
        assert _step(run, "migration.rollback")["byte_identical"] is True
        assert _step(run, "migration.compare", {"snapshot": before}) == []
        assert run.world.migrated_stores == set()  # G1 again: not held to current invariants
        assert "migration" in run.components_used


def test_a_failed_expectation_on_a_migration_step_fails_the_step() -> None:
    with _run() as run:
        _step(run, "migration.generate", {"generation": "G0"})
        with pytest.raises(ExpectationFailed, match='expected "G3"'):
            _step(run, "migration.detect", expect=[{"path": "generation", "equals": "G3"}])


def test_compare_names_each_difference_and_can_ignore_a_file() -> None:
    with _run() as run:
        _step(run, "migration.generate", {"generation": "G2"})
        before = _step(run, "migration.snapshot")
        _step(run, "test.bump_counter")
        differences = _step(run, "migration.compare", {"snapshot": before})
        assert len(differences) == 1 and "session.json: sha256" in differences[0]
        changed = differences[0].split(":", 1)[0]
        assert (
            _step(
                run, "migration.compare", {"snapshot": before, "ignore": ["users/*/*/session.json"]}
            )
            == []
        )
        assert _step(run, "migration.compare", {"snapshot": before, "ignore": [changed]}) == []


def test_a_migrated_store_is_held_to_the_counters_invariant_an_old_one_is_not() -> None:
    with _run() as run:
        _step(run, "migration.generate", {"generation": "G2"})
        _step(run, "test.bump_counter")  # old formats may have stale counters: no breach
        _step(run, "migration.apply")
        with pytest.raises(InvariantBreach, match=r"\[counter_mismatch\] legacy/old/users/"):
            _step(run, "test.bump_counter")
    with _run(invariants={"counters": False}) as run:
        _step(run, "migration.generate", {"generation": "G2"})
        _step(run, "migration.apply")
        _step(run, "test.bump_counter")  # switched off: allowed


def test_malformed_lines_break_the_jsonl_invariant_unless_it_is_switched_off() -> None:
    with _run() as run, pytest.raises(InvariantBreach, match=r"\[jsonl_invalid\] legacy/old/"):
        _step(run, "migration.generate", {"generation": "G1", "malformed_lines": 2})
    with _run(invariants={"jsonl": False}) as run:
        made = _step(run, "migration.generate", {"generation": "G1", "malformed_lines": 2})
        report = _step(run, "migration.apply")
        assert sorted((q["path"], q["line"]) for q in report["quarantined"]) == sorted(
            (m["path"], m["line"]) for m in made["malformed_lines"]
        )
        assert _step(run, "migration.read_back")["integrity_issues"] == []


def test_plan_writes_nothing_and_a_second_apply_is_a_noop() -> None:
    with _run() as run:
        _step(run, "migration.generate", {"generation": "G0"})
        before = _step(run, "migration.snapshot")
        plan = _step(run, "migration.plan", {"to": "G2"})
        assert [s["step"] for s in plan["steps"]] == ["V1__users_level", "V2__id_field_names"]
        assert plan["work_dir"] == "legacy/.old.ffmigrate"
        assert not (run.world.legacy_root / ".old.ffmigrate").exists()
        assert _step(run, "migration.compare", {"snapshot": before}) == []
        _step(run, "migration.apply")
        again = _step(run, "migration.apply")
        assert again["noop"] and again["backup"] == {}
        status = _step(run, "migration.status")
        assert status["run"]["phase"] == "done" and status["lock"] is None


def test_disaster_recovery_and_recover_after_a_timeout() -> None:
    with _run() as run:
        made = _step(run, "migration.generate", {"generation": "G0", "messages_per_session": 20})
        before = _step(run, "migration.snapshot")
        _step(
            run,
            "migration.apply",
            {"batch_size": 4, "timeout_minutes": 1e-9},
            raises={"error": "MigrationTimeout"},
        )
        resumed = _step(run, "migration.recover")
        assert resumed["action"] == "resumed"
        assert resumed["report"]["counts_after"]["messages"] == made["messages"]
        assert resumed["report"]["base"] == "legacy/old"
        assert _step(run, "migration.delete_store")["files"] > 0
        assert _step(run, "migration.rollback")["files_verified"] == made["files"]
        assert _step(run, "migration.compare", {"snapshot": before}) == []


def test_config_migration_reports_every_key_and_needs_one_source() -> None:
    with _run() as run:
        result = _step(
            run, "migration.config", {"config": {"storage_base_path": "/srv", "mystery": 1}}
        )
        assert result["unknown_keys"] == ["mystery"]
        assert {f["key"] for f in result["findings"]} == {"storage_base_path", "mystery"}
        from prism_scenarios.errors import ScenarioError

        with pytest.raises(ScenarioError, match="exactly one of config and preset"):
            _step(run, "migration.config", {})


# -- the Gherkin switch for one invariant -------------------------------------------------------
FEATURE = """\
Feature: migration sentences
  Scenario: malformed lines without the switch break the invariant
    Given an old "G1" store with 1 user and 2 malformed lines

  Scenario: malformed lines with the switch are quarantined
    Given the "jsonl" invariant is off because the store is generated with malformed lines
    And an old "G1" store with 1 user and 2 malformed lines
    When I migrate it to the current format
    Then the malformed lines are quarantined with their file and line
    And every session reads back with its messages

  Scenario: a misspelt invariant is a scenario error
    Given the "jsnol" invariant is off because of a typo
"""


def test_the_invariant_switch_sentence_end_to_end(pytester: pytest.Pytester) -> None:
    pytester.makeini("[pytest]\naddopts = -p no:cacheprovider\n")
    pytester.makeconftest('pytest_plugins = ["prism_scenarios.pytest_plugin"]\n')
    (pytester.path / "features").mkdir()
    (pytester.path / "features" / "m.feature").write_text(FEATURE)
    (pytester.path / "features" / "test_m.py").write_text(
        "from pytest_bdd import scenarios\n\nscenarios('.')\n"
    )
    result = pytester.runpytest_subprocess("-rA")
    result.assert_outcomes(passed=1, failed=2)
    out = result.stdout.str()
    assert "invariant broken after step 1 `migration.generate`" in out
    assert "[jsonl_invalid] legacy/old/" in out
    assert "unknown invariant 'jsnol' (allowed: outside_root, jsonl, counters, isolation)" in out


# -- FFMigrationValidator -----------------------------------------------------------------------
def _validate(base: Path, **config) -> tuple[dict, FFMigrationValidator]:
    validator = FFMigrationValidator(FFMigrationTestConfigDTO(**config), base)
    return asyncio.run(validator.validate_existing_data_migration()), validator


def test_the_validator_runs_a_real_migration_and_leaves_the_store_alone(tmp_path: Path) -> None:
    base = tmp_path / "data"
    generate("G1", base, users=2, messages_per_session=6)
    before = manifest.scan(base)
    result, validator = _validate(base, migration_batch_size=4)
    assert set(result) == SEED_KEYS and set(result["migration_statistics"]) == STATISTICS_KEYS
    assert result["migration_successful"] is True
    assert result["data_integrity_validated"] is True
    assert result["rollback_validated"] is True and result["performance_acceptable"] is True
    assert result["issues_found"] == []
    stats = result["migration_statistics"]
    assert stats["migration_duration_seconds"] > 0 and stats["data_integrity_score"] == 1.0
    assert stats["rollback_test_success"] is True and stats["performance_score"] == 1.0
    assert validator.details["report"]["batches"] > 1  # the config's batch size was used
    assert validator.details["report"]["source_generation"] == "G1"
    assert manifest.verify(base, before) == []  # validating never touched the store
    assert not scratch_folder(base).exists()


def test_the_validator_generates_a_store_when_there_is_none(tmp_path: Path) -> None:
    result, validator = _validate(tmp_path / "nothing")
    assert result["migration_successful"] is True
    assert validator.details["source"].startswith("generated G0 store")
    assert not (tmp_path / "nothing").exists()


def test_a_migration_past_its_timeout_fails_and_is_undone(tmp_path: Path) -> None:
    base = tmp_path / "data"
    generate("G0", base, messages_per_session=20)
    result, _ = _validate(base, migration_batch_size=4, migration_timeout_minutes=1e-9)
    assert result["migration_successful"] is False
    assert result["performance_acceptable"] is False
    assert result["data_integrity_validated"] is False
    assert result["rollback_validated"] is True  # the stopped run was undone byte for byte
    assert result["issues_found"][0].startswith("the migration failed: MigrationTimeout")


def test_a_migration_that_loses_data_fails_validation(tmp_path: Path, monkeypatch) -> None:
    from flatfile_chat.migration import steps

    base = tmp_path / "data"
    generate("G1", base)

    def lossy(self, rel_out, obj):
        return {**steps.rename_key(obj, "id", "message_id"), "content": "lost"}

    monkeypatch.setattr(steps._IdFieldNames, "line", lossy)
    result, _ = _validate(base)
    assert result["migration_successful"] is False
    assert result["data_integrity_validated"] is False
    assert any("message digest" in issue for issue in result["issues_found"])


def test_a_failed_verification_lowers_the_integrity_score(tmp_path: Path, monkeypatch) -> None:
    from flatfile_chat.migration.engine import Migrator

    real = Migrator.verify

    def doubtful(self):
        checked = real(self)
        checked["ok"] = False
        checked["problems"] = ["users/alice/x/messages.jsonl:3: planted problem"]
        return checked

    monkeypatch.setattr(Migrator, "verify", doubtful)
    base = tmp_path / "data"
    generate("G2", base)
    result, _ = _validate(base)
    assert result["migration_successful"] is False
    assert result["data_integrity_validated"] is False
    assert 0 < result["migration_statistics"]["data_integrity_score"] < 1
    assert (
        "data integrity: users/alice/x/messages.jsonl:3: planted problem" in result["issues_found"]
    )
    assert result["rollback_validated"] is True


def test_a_rollback_that_does_not_restore_the_bytes_fails_validation(
    tmp_path: Path, monkeypatch
) -> None:
    from flatfile_chat.migration.engine import Migrator

    real = Migrator.rollback

    def sloppy(self, *, force: bool = False):
        result = real(self, force=force)
        victim = sorted(self.base.rglob("profile.json"))[0]
        victim.write_bytes(victim.read_bytes() + b" ")
        return result

    monkeypatch.setattr(Migrator, "rollback", sloppy)
    base = tmp_path / "data"
    generate("G0", base)
    result, _ = _validate(base)
    assert result["rollback_validated"] is False
    assert result["migration_statistics"]["rollback_test_success"] is False
    assert result["migration_successful"] is False
    assert result["data_integrity_validated"] is True
    assert any(
        issue.startswith("rollback: ") and "profile.json: sha256" in issue
        for issue in result["issues_found"]
    )


def test_switched_off_checks_read_null_and_say_so(tmp_path: Path) -> None:
    base = tmp_path / "data"
    generate("G3", base)
    result, _ = _validate(base, test_rollback_procedures=False, validate_data_integrity=False)
    assert result["migration_successful"] is True
    assert result["rollback_validated"] is None and result["data_integrity_validated"] is None
    assert result["migration_statistics"]["data_integrity_score"] is None
    assert "rollback not tested: test_rollback_procedures is false" in result["issues_found"]
    off, _ = _validate(base, test_existing_data_migration=False)
    assert off["migration_successful"] is False
    assert off["migration_statistics"]["migration_duration_seconds"] is None


def test_a_current_store_has_nothing_to_validate(tmp_path: Path) -> None:
    from flatfile_chat.migration.engine import Migrator

    base = tmp_path / "data"
    generate("G2", base)
    Migrator(base).apply()
    result, _ = _validate(base)
    assert result["migration_successful"] is False
    assert "already in the current format" in result["issues_found"][0]


def test_configuration_migration_validation(tmp_path: Path) -> None:
    validator = FFMigrationValidator(FFMigrationTestConfigDTO(), tmp_path / "data")
    presets = asyncio.run(validator.validate_configuration_migration())
    assert presets["configuration_migration_successful"] is True
    assert presets["configs_checked"] == ["preset:development", "preset:production", "preset:test"]
    assert presets["counts"]["mapped"] + presets["counts"]["renamed"] > 0
    old = asyncio.run(validator.validate_configuration_migration({"colour": "red"}))
    assert old["configuration_migration_successful"] is False
    assert old["unknown_keys"] == ["old config: colour"]
    config_file = tmp_path / "old.json"
    config_file.write_text('{"storage_base_path": "./d",\n "max_sessions_per_user": 0}')
    from_file = asyncio.run(validator.validate_configuration_migration(config_file))
    assert from_file["configuration_migration_successful"] is False
    assert any(
        f"{config_file}:2: invalid max_sessions_per_user" in issue
        for issue in from_file["issues_found"]
    )
