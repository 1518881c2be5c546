"""The migration suite of a run and its three report fields (suite passed, data integrity and
rollback validated), each null with a note when nothing of it ran.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from prism_scenarios.outcome import TestOutcome, outcome_of

MIGRATION_SUITE = "migration"  # scenarios/migration/ and features/migration/
INTEGRITY_TAG = "data_integrity"
ROLLBACK_TAG = "rollback"


def migration_suite(tests: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The scenarios of the migration suite: YAML files and Gherkin bindings in a folder named
    ``migration`` (``--suite migration``), run by the engine. A unit test that merely has
    "migration" in its node id is not one."""
    return [t for t in tests if _from_the_suite(outcome_of(t))]


def _from_the_suite(record: TestOutcome | None) -> bool:
    return record is not None and Path(record.source).parent.name == MIGRATION_SUITE


def _tags(test: dict[str, Any]) -> tuple[str, ...]:
    record = outcome_of(test)
    return record.tags if record else ()


def _verdict(tests: list[dict[str, Any]]) -> bool | None:
    """All passed (None: none ran; skipped ones did not run, xfailed ones did not pass)."""
    ran = [t for t in tests if t["outcome"] != "skipped"]
    return all(t["outcome"] == "passed" for t in ran) if ran else None


def migration_verdicts(migration: list[dict[str, Any]]) -> dict[str, Any]:
    """``migration_tests_passed``: every scenario of the migration suite passed;
    ``data_integrity_validated`` / ``rollback_procedures_validated``: every scenario of the
    suite tagged ``data_integrity`` / ``rollback`` passed. Null, with a note under ``notes``
    (returned as ``notes``), when no such scenario ran."""

    def tagged(tag: str) -> list[dict[str, Any]]:
        return [t for t in migration if tag in _tags(t)]

    fields = {
        "migration_tests_passed": _verdict(migration),
        "data_integrity_validated": _verdict(tagged(INTEGRITY_TAG)),
        "rollback_procedures_validated": _verdict(tagged(ROLLBACK_TAG)),
    }
    notes = {}
    if fields["migration_tests_passed"] is None:
        notes["migration"] = (
            "no migration suite ran in this run (scenarios/migration, "
            "features/migration): the migration fields are null"
        )
    else:
        notes["migration"] = (
            "migration_tests_passed: every scenario of the migration suite passed; "
            f"data_integrity_validated / rollback_procedures_validated: every one of them "
            f"tagged {INTEGRITY_TAG} / {ROLLBACK_TAG} passed (xfailed counts as not passed)"
        )
        for field, tag in (
            ("data_integrity_validated", INTEGRITY_TAG),
            ("rollback_procedures_validated", ROLLBACK_TAG),
        ):
            if fields[field] is None:
                notes[field] = (
                    f"{field} is null: no scenario of the migration suite tagged {tag} ran"
                )
    return {**fields, "notes": notes}
