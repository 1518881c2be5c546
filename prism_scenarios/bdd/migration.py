"""Data migration in words: an old store, migrating it up and down, reading it back, rolling
back, byte-identity, quarantined lines, old configurations, the migration validator. Every
sentence is a thin call to the engine (``migration.*`` actions).

A scenario works on one legacy store, ``legacy/old`` under its store root, unless a sentence
names another (``an old "G0" store "archive" with 2 users``). What a sentence needs later is
kept in scenario variables: ``generated`` (what was generated), ``snapshot`` (the store's bytes
when it was generated or last noted), ``report`` (the last migration's report).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from pytest_bdd import given, parsers, then, when

# the scenario_run fixture comes with prism_scenarios.bdd.steps, loaded first as a step plugin
from prism_scenarios.bdd.steps import params_from, where

if TYPE_CHECKING:  # the engine loads when a scenario first runs, not with the plugin
    from prism_scenarios.engine import ScenarioRun

GENERATION = r'"(?P<generation>G[0-3]|current)"'
STORE = r'(?: "(?P<store>[^"]+)")?'


def _store(store: str | None) -> str:
    return store or "old"


def _note_bytes(run: ScenarioRun, request, store: str) -> None:
    run.step(
        "migration.snapshot",
        {"store": store},
        where=where(request),
        save={"snapshot": "@"},
        label=f"note the bytes of legacy/{store}",
    )


# -- given ----------------------------------------------------------------------------------
@given(
    parsers.re(
        r'an old "(?P<generation>G[0-3])" store'
        + STORE
        + r" with (?P<users>\d+) users?(?: and (?P<bad>\d+) malformed lines?)?$"
    )
)
def old_store(
    scenario_run: ScenarioRun,
    request,
    generation: str,
    store: str | None,
    users: str,
    bad: str | None,
) -> None:
    """Generate the store (deterministic by the scenario's seed) and note its bytes."""
    store = _store(store)
    scenario_run.step(
        "migration.generate",
        {
            "generation": generation,
            "store": store,
            "users": int(users),
            "malformed_lines": int(bad or 0),
        },
        where=where(request),
        save={"generated": "@"},
        expect=[{"path": "generation", "equals": generation}],
    )
    _note_bytes(scenario_run, request, store)


@given(parsers.re(r"I note the bytes of the store" + STORE + "$"))
@when(parsers.re(r"I note the bytes of the store" + STORE + "$"))
def note_bytes(scenario_run: ScenarioRun, request, store: str | None) -> None:
    _note_bytes(scenario_run, request, _store(store))


# -- when -----------------------------------------------------------------------------------
def _apply(run: ScenarioRun, request, store: str | None, to: str, **options: Any) -> None:
    run.step(
        "migration.apply",
        {"store": _store(store), "to": to, **options},
        where=where(request),
        save={"report": "@"},
    )


@when(
    parsers.re(
        r"I migrate it to the current format(?: in batches of (?P<batch>\d+))?"
        r"(?P<discard> without keeping the original)?$"
    )
)
def migrate_to_current(
    scenario_run: ScenarioRun, request, batch: str | None, discard: str | None
) -> None:
    options: dict[str, Any] = {}
    if batch:
        options["batch_size"] = int(batch)
    if discard:
        options["preserve_original_data"] = False
    _apply(scenario_run, request, None, "current", **options)


@when(parsers.re(r"I migrate (?:it|the store" + STORE + r") (?:down |up )?to " + GENERATION + "$"))
def migrate_to(scenario_run: ScenarioRun, request, store: str | None, generation: str) -> None:
    _apply(scenario_run, request, store, generation)


@when("I migrate it again")
def migrate_again(scenario_run: ScenarioRun, request) -> None:
    _apply(scenario_run, request, None, "current")


@when("I plan the migration")
def plan(scenario_run: ScenarioRun, request) -> None:
    scenario_run.step("migration.plan", {"store": "old"}, where=where(request), save={"plan": "@"})


@when("I roll the migration back")
def roll_back(scenario_run: ScenarioRun, request) -> None:
    scenario_run.step(
        "migration.rollback",
        {"store": "old"},
        where=where(request),
        expect=[{"path": "byte_identical", "equals": True}],
    )


@when("the store folder is lost")
def store_lost(scenario_run: ScenarioRun, request) -> None:
    scenario_run.step("migration.delete_store", {"store": "old"}, where=where(request))


@when("I try to read it with the current store")
def try_read(scenario_run: ScenarioRun, request) -> None:
    scenario_run.step(
        "migration.read_back", {"store": "old"}, where=where(request), capture_error=True
    )


@when("I migrate the old configuration:")
def migrate_config(scenario_run: ScenarioRun, request, docstring: str) -> None:
    scenario_run.step("migration.config", {"config": params_from(docstring)}, where=where(request))


@when(parsers.re(r"I run the migration validator(?: in batches of (?P<batch>\d+))?$"))
def run_validator(scenario_run: ScenarioRun, request, batch: str | None) -> None:
    config = {"migration_batch_size": int(batch)} if batch else {}
    scenario_run.step(
        "migration.validate_existing_data", {"store": "old", "config": config}, where=where(request)
    )


# -- then -----------------------------------------------------------------------------------
@then(parsers.re(r"every session reads back with its messages$"))
def reads_back(scenario_run: ScenarioRun, request) -> None:
    """Through the current store's API: as many sessions and messages as were generated, each
    session's counter equal to what it reads, and no integrity issue."""
    scenario_run.step(
        "migration.read_back",
        {"store": "old"},
        where=where(request),
        expect=[
            {"path": "session_count", "equals": "${generated.sessions}"},
            {"path": "message_count", "equals": "${generated.messages}"},
            # users/default holds the orphan vectors of G1-G3 stores (no profile, no session):
            # the store lists the folder, but it is nobody's data
            {"path": "length(users[?@ != 'default'])", "equals": "${generated.users}"},
            {"path": "complete", "equals": True},
            {"path": "integrity_issues", "equals": []},
        ],
    )


@then(parsers.re(r"the store is byte-identical to before$"))
def byte_identical(scenario_run: ScenarioRun, request) -> None:
    scenario_run.step(
        "migration.compare",
        {"store": "old", "snapshot": "${snapshot}"},
        where=where(request),
        expect=[{"equals": []}],
    )


@then(parsers.re(r"the store is in the " + GENERATION + " format$"))
def in_format(scenario_run: ScenarioRun, request, generation: str) -> None:
    scenario_run.step(
        "migration.detect",
        {"store": "old"},
        where=where(request),
        expect=[{"path": "generation", "equals": generation}],
    )


@then("nothing was migrated")
def nothing_migrated(scenario_run: ScenarioRun, request) -> None:
    scenario_run.step(
        "expect.value",
        {"value": "${report}"},
        where=where(request),
        label="the last migration did nothing",
        expect=[
            {"path": "noop", "equals": True},
            {"path": "direction", "equals": "none"},
            {"path": "steps", "equals": []},
        ],
    )


@then(parsers.re(r"the plan lists (?P<n>\d+) steps? and wrote nothing$"))
def plan_wrote_nothing(scenario_run: ScenarioRun, request, n: str) -> None:
    scenario_run.step(
        "expect.value",
        {"value": "${plan}"},
        where=where(request),
        label=f"the plan lists {n} steps",
        expect=[
            {"path": "length(steps)", "equals": int(n)},
            {"path": "counts.messages", "equals": "${generated.messages}"},
            {"path": "writes_nothing", "equals": True},
        ],
    )
    scenario_run.step(
        "files.exists",
        {"path": "${plan.work_dir}"},
        where=where(request),
        label="no work folder was made",
        expect=[{"equals": False}],
    )
    byte_identical(scenario_run, request)


@then(parsers.re(r"the malformed lines are quarantined with their file and line$"))
def quarantined(scenario_run: ScenarioRun, request) -> None:
    """Exactly the generated bad lines, by file and line, in the last migration's report."""
    wanted = sorted(
        f"{q['path']}:{q['line']}"
        for q in scenario_run.world.variables["generated"]["malformed_lines"]
    )
    scenario_run.step(
        "expect.value",
        {"value": "${report}"},
        where=where(request),
        label="the malformed lines are quarantined",
        expect=[
            {"path": "sort(quarantined[*].join(':', [path, to_string(line)]))", "equals": wanted},
            {"path": "length(quarantined)", "gt": 0},
        ],
    )


@then(parsers.re(r"the current store refuses it with (?P<error>\w+)$"))
def refuses(scenario_run: ScenarioRun, request, error: str) -> None:
    scenario_run.check(
        where=where(request),
        label=f"refused with {error}",
        raises={"error": error, "message": "migrate"},
    )


@then(parsers.re(r'the configuration report names the unknown key "(?P<key>[^"]+)"$'))
def unknown_key(scenario_run: ScenarioRun, request, key: str) -> None:
    scenario_run.check(
        where=where(request),
        label=f"unknown key {key}",
        expect=[
            {"path": "unknown_keys", "contains": key},
            {"path": f"findings[?key=='{key}'] | [0].kind", "equals": "unknown"},
        ],
    )


@then(
    parsers.re(
        r'the old key "(?P<key>[^"]+)" is (?P<kind>mapped|renamed|dropped_obsolete|'
        r'invalid)(?: to "(?P<target>[^"]+)")?$'
    )
)
def old_key(scenario_run: ScenarioRun, request, key: str, kind: str, target: str | None) -> None:
    expect: list[dict[str, Any]] = [{"path": f"findings[?key=='{key}'] | [0].kind", "equals": kind}]
    if target:
        expect.append({"path": f"findings[?key=='{key}'] | [0].detail", "contains": target})
    scenario_run.check(where=where(request), label=f"{key} is {kind}", expect=expect)


@then("the migration validator reports success")
def validator_success(scenario_run: ScenarioRun, request) -> None:
    scenario_run.check(
        where=where(request),
        label="the validator reports success",
        expect=[
            {"path": "migration_successful", "equals": True},
            {"path": "data_integrity_validated", "equals": True},
            {"path": "rollback_validated", "equals": True},
            {"path": "performance_acceptable", "equals": True},
            {"path": "migration_statistics.data_integrity_score", "equals": 1.0},
            {"path": "migration_statistics.rollback_test_success", "equals": True},
            {"path": "migration_statistics.migration_duration_seconds", "gt": 0},
        ],
    )
    scenario_run.step(
        "migration.compare",
        {"store": "old", "snapshot": "${snapshot}"},
        where=where(request),
        label="the validated store itself is untouched",
        expect=[{"equals": []}],
    )
