"""Loading YAML scenario files: every problem named with file:line and what is allowed."""

from __future__ import annotations

from pathlib import Path

import pytest

from prism_scenarios.errors import ScenarioFileError
from prism_scenarios.load.spec import load_plan
from prism_scenarios.loader import load_file


def _load(tmp_path: Path, text: str):
    path = tmp_path / "case.yaml"
    path.write_text(text)
    return load_file(path, display="case.yaml")


def _problems(tmp_path: Path, text: str) -> list[str]:
    with pytest.raises(ScenarioFileError) as err:
        _load(tmp_path, text)
    return err.value.problems


def test_misspelt_action_wrong_type_missing_parameter(tmp_path: Path) -> None:
    problems = _problems(
        tmp_path,
        """\
scenarios:
  - name: three mistakes
    steps:
      - user.creat: {user_id: alice}
      - messages.list: {user_id: alice, session_id: s1, limit: ten}
      - session.create: {title: Intro}
""",
    )
    assert problems[0] == (
        "case.yaml:4: unknown action 'user.creat' (did you mean "
        "'user.create'?) (step keys: name, save, expect, raises, timeout, "
        "attack_outcome, read_back; "
        "actions: run `prism-scenarios actions`)"
    )
    assert problems[1].startswith(
        "case.yaml:5: parameter 'limit' of messages.list: 'ten' "
        "has the wrong type (expected int or null"
    )
    assert problems[2] == (
        "case.yaml:6: missing required parameter 'user_id' for "
        "session.create (allowed: user_id, title?, session_type?, "
        "metadata?, session_id?)"
    )
    assert len(problems) == 3


def test_unknown_parameter_and_keys(tmp_path: Path) -> None:
    problems = _problems(
        tmp_path,
        """\
tags: [a]
scenarois: []
scenarios:
  - name: x
    sevrity: high
    steps:
      - user.create: {user_id: a, usrname: A}
        expect:
          - {path: user_id, equalz: a}
        raises: {error: NotFund}
""",
    )
    text = "\n".join(problems)
    assert "case.yaml:2: unknown key 'scenarois' in top level (did you mean 'scenarios'?)" in text
    assert "case.yaml:5: unknown key 'sevrity' in scenarios.0 (did you mean 'severity'?)" in text
    assert (
        "case.yaml:7: unknown parameter 'usrname' for user.create (did you mean "
        "'username'?)" in text
    )
    assert "case.yaml:9: unknown matcher 'equalz' (did you mean 'equals'?)" in text
    assert "case.yaml:10: unknown error 'NotFund' (did you mean 'NotFound'?)" in text
    assert "case.yaml:10: a step with 'raises' cannot also 'expect' or 'save'" in text


def test_yaml_is_safe_and_strict(tmp_path: Path) -> None:
    assert (
        "duplicate key 'name'"
        in _problems(
            tmp_path,
            """\
scenarios:
  - name: a
    name: b
    steps: [{noop: {}}]
""",
        )[0]
    )
    problem = _problems(tmp_path, "scenarios: !!python/object/apply:os.system ['id']\n")[0]
    assert problem.startswith("case.yaml:1:")


def test_two_actions_in_one_step_and_empty_step(tmp_path: Path) -> None:
    problems = _problems(
        tmp_path,
        """\
scenarios:
  - name: x
    steps:
      - {user.create: {user_id: a}, user.get: {user_id: a}}
      - {name: nothing here}
""",
    )
    assert "case.yaml:4: step has 2 actions" in problems[0]
    assert "case.yaml:5: step has no action" in problems[1]


def test_file_config_is_validated(tmp_path: Path) -> None:
    problems = _problems(
        tmp_path,
        """\
config:
  storage: {durabilty: none}
scenarios:
  - name: x
    steps: [{noop: {}}]
""",
    )
    assert "unknown key 'storage.durabilty'" in problems[0] and problems[0].startswith(
        "case.yaml:1:"
    )


def test_examples_background_fixtures_and_interpolation_in_non_strings(tmp_path: Path) -> None:
    spec = _load(
        tmp_path,
        """\
use_case: basic_chat
tags: [smoke]
fixtures: {user: alice, n: 2}
background:
  - user.create: {user_id: "${user}"}
scenarios:
  - name: paged
    tags: [paging]
    examples:
      - {size: 1}
      - {size: 2}
    steps:
      - messages.list: {user_id: "${user}", session_id: s, limit: "${size}"}
""",
    )
    assert [s.example_id for s in spec.scenarios] == ["size=1", "size=2"]
    first = spec.scenarios[0]
    assert first.tags == ["smoke", "paging"] and first.use_case == "basic_chat"
    assert [s.action for s in first.steps] == ["user.create", "messages.list"]
    assert first.variables == {"user": "alice", "n": 2, "size": 1}
    assert first.steps[1].line == 13 and first.components == ["storage"]


def test_undefined_variables_fail_the_file_with_where_and_what_is_defined(tmp_path: Path) -> None:
    problems = _problems(
        tmp_path,
        """\
fixtures: {user: alice}
background:
  - user.create: {user_id: "${usr}"}
scenarios:
  - name: first
    fixtures: {topic: x}
    steps:
      - session.create: {user_id: "${user}", title: "${topic} $${literal} ${env:NOT_CHECKED}"}
        save: {s1: session_id}
        expect: [{path: session_id, equals: "${s1}"}]
      - session.get: {user_id: "${user}", session_id: "${s2.id}"}
      - vars.set: {values: {later: 1}}
      - expect.value: {value: "${later}"}
        expect: [{equals: "${nope}"}]
  - name: second
    examples: [{row: 1}]
    steps:
      - expect.value: {value: "${row} ${s1}"}
""",
    )
    assert problems == [
        "case.yaml:3: undefined variable ${usr} in step 1 `user.create` (defined at this "
        "point: topic, user)",
        "case.yaml:11: undefined variable ${s2} (in ${s2.id}) in step 3 `session.get` "
        "(defined at this point: s1, topic, user)",
        "case.yaml:14: undefined variable ${nope} in step 5 `expect.value` (defined at this "
        "point: later, s1, topic, user)",
        "case.yaml:18: undefined variable ${s1} in step 2 `expect.value` (defined at this "
        "point: row, user)",
    ]


def test_every_shipped_scenario_file_loads() -> None:
    root = Path(__file__).resolve().parents[3] / "scenarios"
    files = [
        p for p in root.rglob("*.yaml") if p.name != "use_cases.yaml" and "data" not in p.parts
    ]
    scenario_files = [p for p in files if "load" not in p.relative_to(root).parts]
    load_files = [p for p in files if "load" in p.relative_to(root).parts]
    assert scenario_files and len(load_files) == 5
    for path in scenario_files:
        load_file(path)  # no undefined variable, no pattern RE2 refuses
    for path in load_files:
        load_plan(path)  # load files pick scenarios, they are not scenarios themselves


def test_regular_expressions_are_compiled_when_the_file_loads(tmp_path: Path) -> None:
    problems = _problems(
        tmp_path,
        """\
scenarios:
  - name: x
    steps:
      - expect.value: {value: aa}
        expect:
          - {matches: "(a)\\\\1"}
          - {matches: "^a+$"}
          - {matches: "${pattern}"}
      - user.create: {user_id: "../x"}
        raises: {error: ValidationError, matches: "(?!x)user"}
""",
    )
    assert problems[0].startswith(
        "case.yaml:6: matches: regular expression '(a)\\\\1' is "
        "not valid RE2 syntax (invalid escape sequence: \\1)"
    )
    assert problems[1].startswith(
        "case.yaml:10: matches: regular expression '(?!x)user' is not valid RE2 syntax"
    )
    assert "undefined variable ${pattern}" in problems[2]  # a built pattern runs later
    assert len(problems) == 3


def test_constrained_parameters_accept_a_variable_and_name_allowed_values(tmp_path: Path) -> None:
    spec = _load(
        tmp_path,
        """\
fixtures: {kind: debate, role: assistant}
scenarios:
  - name: x
    steps:
      - session.create: {user_id: a, session_type: "${kind}"}
        save: {s: session_id}
      - message.add: {user_id: a, session_id: "${s}", role: "${role}", content: hi}
""",
    )
    assert spec.scenarios[0].steps[0].params["session_type"] == "${kind}"
    problems = _problems(
        tmp_path,
        """\
scenarios:
  - name: x
    steps:
      - session.create: {user_id: a, session_type: party}
""",
    )
    assert problems == [
        "case.yaml:4: parameter 'session_type' of session.create: 'party' is "
        "not one of ['chat', 'panel', 'debate', 'problem_solving'] (expected "
        "Literal['chat', 'panel', 'debate', 'problem_solving'], or a whole "
        "${variable})"
    ]


def test_expected_values_of_the_wrong_kind_fail_the_file(tmp_path: Path) -> None:
    problems = _problems(
        tmp_path,
        """\
fixtures: {n: 3, t: string}
scenarios:
  - name: wrong kinds
    steps:
      - expect.value: {value: 3}
        expect:
          - {gt: abc}
          - {type: strin}
          - {length: -1}
          - {is_null: maybe}
          - {schema: x}
          - {gt: "${n}", type: "${t}", le: 3.5, is_null: false}
""",
    )
    assert problems == [
        "case.yaml:7: matcher 'gt': expected a number or a whole ${variable}, got 'abc'",
        "case.yaml:8: matcher 'type': expected one of array, boolean, integer, null, number, "
        "object, string or a whole ${variable}, got 'strin'",
        "case.yaml:9: matcher 'length': expected a non-negative integer or a whole "
        "${variable}, got -1",
        "case.yaml:10: matcher 'is_null': expected a boolean or a whole ${variable}, got 'maybe'",
        "case.yaml:11: matcher 'schema': expected an object or a whole ${variable}, got 'x'",
    ]
