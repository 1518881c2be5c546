"""Component names are defined once (prism_scenarios/components.py): actions are checked
against them when they register, and every other list of them (the catalog schema's enum,
the report's manager flags, the Gherkin memory sentences) must equal the definition."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from flatfile_chat.config.memory_layers import LAYERS
from prism_scenarios.actions.registry import ActionRegistry, Params, action, load_actions
from prism_scenarios.bdd import memory as memory_sentences
from prism_scenarios.components import (
    COMPONENTS,
    MANAGER_FLAGS,
    USE_CASE_COMPONENTS,
    Component,
)
from prism_scenarios.dto import FFSystemIntegrationReportDTO
from prism_scenarios.use_cases import CATALOG_SCHEMA, PACKAGED_CATALOG, load_catalog

SCENARIO_SCHEMA = Path(__file__).resolve().parents[3] / "schemas" / "scenario.schema.json"


def test_the_component_names() -> None:
    assert COMPONENTS == (
        "storage",
        "documents",
        "personas",
        "memory_layer",
        "knowledge_base",
        "panel_session",
        "tool_execution",
        "analytics",
        "migration",
        "runner",
    )
    assert COMPONENTS[:8] == USE_CASE_COMPONENTS


def test_the_catalog_schema_enum_equals_the_use_case_components() -> None:
    schema = json.loads(CATALOG_SCHEMA.read_text())
    assert tuple(schema["$defs"]["component"]["enum"]) == USE_CASE_COMPONENTS


def test_every_packaged_use_case_names_only_use_case_components() -> None:
    for case in load_catalog(PACKAGED_CATALOG).use_cases.values():
        assert set(case.required) | set(case.optional) <= set(USE_CASE_COMPONENTS), case.id


def test_the_manager_flags_are_the_reports_integration_fields() -> None:
    fields = {n for n in FFSystemIntegrationReportDTO.model_fields if n.endswith("_integration")}
    assert set(MANAGER_FLAGS.values()) == fields
    assert set(MANAGER_FLAGS) <= set(COMPONENTS)


def test_registered_actions_name_defined_components_as_plain_strings() -> None:
    for registered in load_actions():
        for name in registered.components:
            assert name in COMPONENTS, registered.name
            assert type(name) is str, registered.name  # never the enum: reports dump it


class _P(Params):
    pass


async def _fn(world, p: _P) -> None:
    """A test action."""


def test_a_misspelt_component_fails_at_registration_with_the_allowed_names() -> None:
    registry = ActionRegistry()
    with pytest.raises(ValueError) as err:
        action("x.y", component="memroy_layer", registry=registry)(_fn)
    message = str(err.value)
    assert message.startswith("action 'x.y': unknown component 'memroy_layer'")
    assert "did you mean 'memory_layer'?" in message
    assert ", ".join(COMPONENTS) in message
    assert "x.y" not in registry


def test_a_misspelt_also_component_fails_too() -> None:
    registry = ActionRegistry()
    with pytest.raises(ValueError, match=r"action 'x\.y' \(also=\): unknown component 'strage'"):
        action("x.y", component="storage", also=["strage"], registry=registry)(_fn)


def test_a_registered_component_is_stored_as_its_plain_name() -> None:
    registry = ActionRegistry()
    action("x.y", component=Component.MEMORY_LAYER, also=[Component.STORAGE], registry=registry)(
        _fn
    )
    registered = registry.get("x.y")
    assert registered is not None
    assert registered.components == ("memory_layer", "storage")
    assert all(type(c) is str for c in registered.components)


def test_the_gherkin_memory_sentences_know_exactly_the_defined_layers() -> None:
    group = re.fullmatch(r"\(\?P<layer>(.*)\)", memory_sentences.LAYER)
    assert group is not None and tuple(group.group(1).split("|")) == LAYERS


def test_the_scenario_schema_describes_exactly_the_defined_layers() -> None:
    schema = json.loads(SCENARIO_SCHEMA.read_text())
    layer = schema["$defs"]["action:memory.add"]["properties"]["layer"]
    assert layer["default"] == LAYERS[0]
    assert layer["description"] == f"target layer: {', '.join(LAYERS[:-1])} or {LAYERS[-1]}"
