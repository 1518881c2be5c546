"""The CLI's use-case tables column for column (prism_scenarios.cli_tables), and a component
name's refusal word for word (prism_scenarios.components)."""

from __future__ import annotations

import pytest

from prism_scenarios import cli_tables
from prism_scenarios.components import COMPONENTS, component_name, component_names
from prism_scenarios.dto import FFUseCaseValidationDTO
from prism_scenarios.use_cases import Catalog, UseCase

CATALOG = Catalog(
    {
        "storing": UseCase("storing", "Storing", "basic", ("storage",)),
        "remembering": UseCase("remembering", "Remembering", "memory", ("storage", "memory_layer")),
    },
    {"keeping": ["storing"], "both": ["storing", "remembering"]},
)


def _validation(**kw: object) -> FFUseCaseValidationDTO:
    values: dict[str, object] = {
        "use_case_id": "remembering",
        "use_case_name": "Remembering",
        "use_case_category": "memory",
        "required_components": ["storage", "memory_layer"],
        "validation_timestamp": "t",
        "validation_successful": True,
        "validation_score": 1.0,
        "component_tests": {},
        "integration_tests": {},
        "end_to_end_tests": {"a": True, "b": True, "c": False},
        "performance_meets_requirements": True,
        "average_response_time_ms": 1.0,
        "components_exercised": [],
        "total_time_ms": 12345.0,
    }
    values.update(kw)
    return FFUseCaseValidationDTO(**values)  # type: ignore[arg-type]


def test_the_use_case_table_column_for_column() -> None:
    lines = cli_tables.use_case_table(
        CATALOG,
        {
            "storing": [("s.yaml:1", ["storage"]), ("t.yaml:9", ["storage", "runner"])],
            "remembering": [("r.yaml:3", [])],
        },
    )
    assert lines == [
        f"{'use case':22} {'category':18} {'required components':55} scenarios",
        f"{'storing':22} {'basic':18} {'storage':55} 2",
        "    s.yaml:1",
        "    t.yaml:9",
        f"{'remembering':22} {'memory':18} {'storage, memory_layer':55} 1",
        "    r.yaml:3   (does not touch: memory_layer, storage)",
        "aliases: keeping -> storing, both -> storing/remembering",
    ]
    assert lines[0] == (
        "use case               category           required components" + " " * 36 + " scenarios"
    )


def test_the_run_table_with_nothing_exercised_and_a_partial_run() -> None:
    lines = cli_tables.run_table(
        [_validation(validation_successful=False)], partial_because=["-k x", "pytest --lf"]
    )
    assert lines == [
        "partial run (-k x; pytest --lf): only the use cases it touched are judged",
        "use case               result  scenarios     time  components exercised "
        "(missing required in !)",
        "remembering            FAIL       2/3      12.35s  -  !storage,memory_layer",
        "use cases passing: 0/1",
    ]
    assert cli_tables.run_table([]) == ["no scenario in this run declares a use case"]
    assert cli_tables.run_table([], partial_because=[]) == [
        "no scenario in this run declares a use case"
    ]


def test_component_names_and_their_refusals() -> None:
    assert component_name("storage", where="w") == "storage"
    assert type(component_name("storage", where="w")) is str
    assert component_names(["runner", "analytics"], where="w") == ("runner", "analytics")
    with pytest.raises(ValueError) as caught:
        component_name("strage", where="file.yaml:3")
    assert str(caught.value) == (
        "file.yaml:3: unknown component 'strage' (did you mean 'storage'?); allowed: "
        + ", ".join(COMPONENTS)
        + " (prism_scenarios.components.Component)"
    )
    with pytest.raises(ValueError) as caught:
        component_name("zzzz", where="w")
    assert str(caught.value).startswith("w: unknown component 'zzzz'; allowed: storage, ")
    with pytest.raises(ValueError) as caught:
        component_name(3, where="w")
    assert str(caught.value).startswith("w: unknown component 3; allowed: ")
    with pytest.raises(ValueError):
        component_names(["storage", "nope"], where="w")
