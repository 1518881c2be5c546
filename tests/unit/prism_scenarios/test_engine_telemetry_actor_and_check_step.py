"""Engine: telemetry audits the acting user, and a check step is the runner's own."""

from __future__ import annotations

from prism_scenarios.components import Component
from prism_scenarios.engine import ScenarioRun


def test_telemetry_audits_the_acting_user() -> None:
    with ScenarioRun(telemetry=True) as run:
        run.step("user.create", {"user_id": "alice"}, where="t:1")
        run.step("user.create", {"user_id": "bob"}, where="t:2")
        audit = [e for e in run.world.audit.entries() if e["event_type"] == "action_performed"]
        hashes = [e.get("actor_hash") for e in audit]
        # each line names (a hash of) the user the step acted for
        assert len(hashes) == 2
        assert all(isinstance(h, str) and h for h in hashes)
        assert hashes[0] != hashes[1]


def test_a_check_step_is_the_runners_own() -> None:
    with ScenarioRun() as run:
        run.step("user.create", {"user_id": "alice"}, where="t:1")
        run.check(where="t:2", label="checks", expect=[{"path": "user_id", "equals": "alice"}])
        assert run.record.steps[-1].action == "expect"
        assert run.record.steps[-1].components == (Component.RUNNER.value,)
