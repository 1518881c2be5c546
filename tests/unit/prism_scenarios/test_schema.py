"""The committed scenario schema is generated from the registry and must not drift."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import yaml

from prism_scenarios.actions import load_actions
from prism_scenarios.schema import build_schema, render

ROOT = Path(__file__).resolve().parents[3]
COMMITTED = ROOT / "schemas" / "scenario.schema.json"


def test_committed_schema_matches_the_registry() -> None:
    assert COMMITTED.read_text() == render(build_schema()), (
        "schemas/scenario.schema.json drifted from the action registry: run "
        "`prism-scenarios schema` and commit the result"
    )


def test_every_action_is_in_the_schema_with_its_description() -> None:
    schema = json.loads(COMMITTED.read_text())
    for action in load_actions():
        definition = schema["$defs"][f"action:{action.name}"]
        assert definition["additionalProperties"] is False
        assert definition["description"]
        assert action.name in schema["$defs"]["step"]["properties"]


def test_every_shipped_scenario_file_validates_against_the_schema() -> None:
    validator = jsonschema.Draft202012Validator(json.loads(COMMITTED.read_text()))
    files = [
        p
        for p in (ROOT / "scenarios").rglob("*.yaml")
        if p.name != "use_cases.yaml" and "data" not in p.parts and "load" not in p.parts
    ]
    assert files
    for path in files:
        errors = list(validator.iter_errors(yaml.safe_load(path.read_text())))
        assert not errors, f"{path}: {errors[0].message}"


def test_schema_rejects_what_the_loader_rejects() -> None:
    validator = jsonschema.Draft202012Validator(json.loads(COMMITTED.read_text()))
    bad = {"scenarios": [{"name": "x", "steps": [{"user.create": {"user_id": "a", "oops": 1}}]}]}
    assert list(validator.iter_errors(bad))
    interpolated = {
        "scenarios": [
            {
                "name": "x",
                "steps": [{"messages.list": {"user_id": "a", "session_id": "b", "limit": "${n}"}}],
            }
        ]
    }
    assert not list(validator.iter_errors(interpolated))


def test_constrained_strings_accept_a_whole_variable_plain_strings_stay_plain() -> None:
    schema = build_schema()
    validator = jsonschema.Draft202012Validator(schema)

    def step(params: dict) -> dict:
        return {"scenarios": [{"name": "x", "steps": [{"session.create": params}]}]}

    assert not list(validator.iter_errors(step({"user_id": "a", "session_type": "${kind}"})))
    assert list(validator.iter_errors(step({"user_id": "a", "session_type": "party"})))
    assert schema["$defs"]["action:session.create"]["properties"]["user_id"] == {"type": "string"}
