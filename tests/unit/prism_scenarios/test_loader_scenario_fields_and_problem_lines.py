"""What the loader keeps of a scenario (start, invariants, example ids) and where it places
problems (the line of the offending key) and how it names an expected parameter type."""

from __future__ import annotations

from pathlib import Path

import pytest

from prism_scenarios.engine import INVARIANTS
from prism_scenarios.errors import ScenarioFileError
from prism_scenarios.loader import load_file


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "case.yaml"
    path.write_text(text)
    return path


def _problems(tmp_path: Path, text: str) -> list[str]:
    with pytest.raises(ScenarioFileError) as err:
        load_file(_write(tmp_path, text), display="case.yaml")
    return err.value.problems


def test_start_and_switched_off_invariants_are_kept(tmp_path: Path) -> None:
    spec = load_file(
        _write(
            tmp_path,
            """\
scenarios:
  - name: x
    start: "2026-03-01T10:00:00+00:00"
    invariants: false
    steps: [{noop: {}}]
""",
        )
    )
    (scenario,) = spec.scenarios
    assert scenario.start == "2026-03-01T10:00:00+00:00"
    assert scenario.invariants == dict.fromkeys(INVARIANTS, False)


def test_an_example_row_is_named_by_its_simple_values(tmp_path: Path) -> None:
    spec = load_file(
        _write(
            tmp_path,
            """\
scenarios:
  - name: x
    examples:
      - {user: alice, n: 2}
    steps: [{noop: {}}]
""",
        )
    )
    assert [s.example_id for s in spec.scenarios] == ["user=alice,n=2"]


def test_raises_with_attack_outcome_is_reported_on_the_raises_line(tmp_path: Path) -> None:
    problems = _problems(
        tmp_path,
        """\
scenarios:
  - name: x
    steps:
      - noop: {}
        attack_outcome: refused
        raises: {error: NotFound}
""",
    )
    assert "case.yaml:6: a step has 'raises' or 'attack_outcome', not both" in problems


def test_a_scenario_config_problem_is_on_the_scenario_config_line(tmp_path: Path) -> None:
    problems = _problems(
        tmp_path,
        """\
scenarios:
  - name: x
    steps: [{noop: {}}]
    config:
      storage: {durabilty: none}
""",
    )
    assert len(problems) == 1
    assert problems[0].startswith("case.yaml:4: unknown key 'storage.durabilty'")


def test_a_wrongly_typed_parameter_names_the_plain_type_expected(tmp_path: Path) -> None:
    problems = _problems(
        tmp_path,
        """\
scenarios:
  - name: x
    steps:
      - messages.list: {user_id: alice, session_id: s1, offset: ten}
""",
    )
    assert problems == [
        "case.yaml:4: parameter 'offset' of messages.list: 'ten' has the wrong type"
        " (expected int, or a whole ${variable})"
    ]
