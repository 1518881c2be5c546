"""The use-case bookkeeping computes and the CLI prints: no module of the bookkeeping writes
to the screen, and the CLI's tables say exactly what the verdicts say."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from prism_scenarios import cli_tables
from prism_scenarios.outcome import PROPERTY, TestOutcome
from prism_scenarios.use_cases import Catalog, UseCase, load_catalog, validate_use_cases
from prism_scenarios.use_cases.catalog import PACKAGED_CATALOG

PACKAGE = Path(__file__).resolve().parents[3] / "prism_scenarios"
QUIET = [
    *sorted((PACKAGE / "use_cases").glob("*.py")),
    PACKAGE / "readiness.py",
    PACKAGE / "components.py",
]


@pytest.mark.parametrize("path", QUIET, ids=lambda p: p.name)
def test_the_bookkeeping_never_prints(path: Path) -> None:
    tree = ast.parse(path.read_text(), filename=str(path))
    calls = [
        node.lineno
        for node in ast.walk(tree)
        if isinstance(node, ast.Call)
        and isinstance(node.func, ast.Name)
        and node.func.id == "print"
    ]
    assert calls == [], f"{path.name} prints at lines {calls}: printing is the CLI's job"


def _test(use_case: str, components: list[str], outcome: str, name: str) -> dict:
    return {
        "nodeid": f"scenarios/use_cases/x.yaml::{name}",
        "outcome": outcome,
        "message": "boom",
        PROPERTY: TestOutcome(
            use_case=use_case,
            source="scenarios/use_cases/x.yaml",
            name=name,
            components=tuple(components),
            steps=2,
            duration=0.5,
            tags=(),
            severity=None,
        ).to_dict(),
    }


CATALOG = Catalog(
    {
        "storing": UseCase("storing", "Storing", "basic", ("storage",)),
        "remembering": UseCase("remembering", "Remembering", "basic", ("storage", "memory_layer")),
    },
    {"keeping": ["storing"]},
)


def test_the_run_table_has_one_exact_line_per_use_case() -> None:
    tests = [
        _test("storing", ["storage"], "passed", "s1"),
        _test("remembering", ["storage"], "failed", "r1"),
    ]
    lines = cli_tables.run_table(validate_use_cases(tests, CATALOG, now="t"))
    assert lines == [
        "use case               result  scenarios     time  components exercised "
        "(missing required in !)",
        "storing                PASS       1/1       0.50s  storage",
        "remembering            FAIL       0/1       0.50s  storage  !memory_layer",
        "use cases passing: 1/2",
    ]


def test_a_partial_run_table_says_why_and_an_empty_one_says_so() -> None:
    assert cli_tables.run_table([], partial_because=["-k x"]) == [
        "partial run (-k x): only the use cases it touched are judged",
        "no scenario in this run declares a use case",
    ]


def test_the_use_case_table_flags_scenarios_missing_a_required_component() -> None:
    lines = cli_tables.use_case_table(
        CATALOG, {"remembering": [("scenarios/use_cases/r.yaml:3", ["storage"])]}
    )
    assert lines[1].split() == ["storing", "basic", "storage", "0"]
    assert lines[2].split() == ["remembering", "basic", "storage,", "memory_layer", "1"]
    assert lines[3] == "    scenarios/use_cases/r.yaml:3   (does not touch: memory_layer)"
    assert lines[-1] == "aliases: keeping -> storing"
    assert len(lines) == 5


def test_the_packaged_catalog_lists_all_22_in_the_table() -> None:
    lines = cli_tables.use_case_table(load_catalog(PACKAGED_CATALOG), {})
    assert len(lines) == 1 + 22 + 1
