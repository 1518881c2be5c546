"""The per-step shortcuts of issue 11 give the answers the slow paths gave.

- pytest-bdd's step lookup, memoised while prism-scenarios is loaded (``bdd/_lookup.py``):
  the memo is per test's parent collector, so two modules binding the same sentence to
  different functions each get their own, and it is gone after the session.
- the loader checks "a step is a mapping" in Python instead of jsonschema: same messages.
"""

from __future__ import annotations

import importlib

import jsonschema
import pytest

from flatfile_chat.config.yaml_lines import load_yaml
from prism_scenarios import loader
from prism_scenarios.actions.registry import load_actions
from prism_scenarios.schema import build_schema, structural_schema

# The built-in actions load while this module is collected, before the pytester fixture takes
# its sys.modules snapshot: a module first imported inside an in-process run is dropped from
# sys.modules when it ends, and later tests could no longer resolve the output models' type
# hints (test_catalog failed after this module's in-process run with NameError 'Annotated').
load_actions()

FEATURE = """\
Feature: same sentence, two bindings

  Scenario: twice
    Given the marker step "x"
    And the marker step "x"
"""
MODULE = """\
from pytest_bdd import given, parsers, scenarios

scenarios("{feature}")
SEEN = []


@given(parsers.re(r'the marker step "(?P<v>\\w+)"$'))
def marker(v):
    SEEN.append("{name}")


def test_own_binding_ran():
    pass


def teardown_module():
    assert SEEN == ["{name}", "{name}"], SEEN
"""


def test_same_sentence_in_two_modules_runs_each_modules_own_step(pytester: pytest.Pytester) -> None:
    pytester.makeini("[pytest]\naddopts = -p no:cacheprovider\n")
    pytester.makeconftest('pytest_plugins = ["prism_scenarios.pytest_plugin"]\n')
    for name in ("one", "two"):
        (pytester.path / f"{name}.feature").write_text(FEATURE)
        pytester.makepyfile(**{f"test_{name}": MODULE.format(feature=f"{name}.feature", name=name)})
    scenario = importlib.import_module("pytest_bdd.scenario")
    before = scenario.find_fixturedefs_for_step  # this repository's own run may memoise too
    result = pytester.runpytest_inprocess()
    result.assert_outcomes(passed=4)  # no teardown error: each module saw its own function
    assert scenario.find_fixturedefs_for_step is before, (
        "the inner session must leave pytest-bdd's lookup as it found it"
    )


BAD_STEPS = """\
background:
  - [1]
  - noop: {}
scenarios:
  - name: x
    steps:
      - 3
      - "text"
      - noop: {}
  - name: y
    steps: {a: 1}
  - name: z
    steps: []
"""


def test_step_mapping_rule_reads_as_the_schema_wrote_it() -> None:
    document = load_yaml(BAD_STEPS, "bad.yaml")
    problems = loader._Problems("bad.yaml", document)
    loader._check_structure(document, problems, None)
    full = jsonschema.Draft202012Validator(structural_schema(build_schema()))
    expected = loader._Problems("bad.yaml", document)
    for error in sorted(full.iter_errors(document), key=lambda e: list(map(str, e.absolute_path))):
        path = list(error.absolute_path)
        expected.add(path, f"{loader._describe(path)}: {error.message}")
    assert problems.items == expected.items
    assert any("is not of type 'object'" in item for item in problems.items)
