"""Gherkin sentences that take lists or check errors: nothing is silently read as empty, and
"it fails with X mentioning ..." really compares the message."""

from __future__ import annotations

import pytest

from prism_scenarios.bdd.steps import sentence_list
from prism_scenarios.errors import ScenarioError

CONFTEST = 'pytest_plugins = ["prism_scenarios.pytest_plugin"]\n'
BINDING = "from pytest_bdd import scenarios\n\nscenarios('.')\n"
FEATURE = '''\
Feature: checks that can fail
  Scenario: unquoted categories are read
    Given user "alice" exists
    And "alice" may use tools of the categories computation, file_system and search
    When I call "tools.policy" with:
      """
      user_id: alice
      """
    Then the result at "allowed_categories" equals ["computation", "file_system", "search"]

  Scenario: the right message passes
    When I try to call "user.create" with:
      """
      user_id: ../x
      """
    Then it fails with ValidationError mentioning "invalid user_id"

  Scenario: a wrong message fails
    When I try to call "user.create" with:
      """
      user_id: ../x
      """
    Then it fails with ValidationError mentioning "no such words"

  Scenario: an unreadable list is a scenario error
    Given user "alice" exists
    And "alice" may use tools of the categories "computation" "search"
'''


@pytest.mark.parametrize(
    "text,items",
    [
        ('"a", "b" and "c"', ["a", "b", "c"]),
        ("a, b and c", ["a", "b", "c"]),
        ("utility, search", ["utility", "search"]),
        ("a, b, and c", ["a", "b", "c"]),
        ('"x, y" and "rock and roll"', ["x, y", "rock and roll"]),
        ("solo", ["solo"]),
        ("android and andy", ["android", "andy"]),
        ("two words, three more words", ["two words", "three more words"]),
    ],
)
def test_a_list_in_a_sentence(text: str, items: list[str]) -> None:
    assert sentence_list(text, "f.feature:3") == items


@pytest.mark.parametrize("text", ["", " ", '""', "a,,b", '"a" "b"', 'a "b"', "a and", ", a"])
def test_an_empty_or_unreadable_list_names_the_step(text: str) -> None:
    with pytest.raises(ScenarioError, match=r"f.feature:3: cannot read the categories "):
        sentence_list(text, "f.feature:3", "categories")


def test_gherkin_lists_and_failure_messages_end_to_end(pytester: pytest.Pytester) -> None:
    pytester.makeini("[pytest]\naddopts = -p no:cacheprovider\n")
    pytester.makeconftest(CONFTEST)
    (pytester.path / "features").mkdir()
    (pytester.path / "features" / "checks.feature").write_text(FEATURE)
    (pytester.path / "features" / "test_features.py").write_text(BINDING)
    result = pytester.runpytest_subprocess("-rA")
    result.assert_outcomes(passed=2, failed=2)
    out = result.stdout.str()
    assert (
        "features/checks.feature:23: step 2 `expect`: ValidationError raised, but its "
        "message does not contain 'no such words'" in out
    )
    assert (
        'features/checks.feature:27: cannot read the categories \'"computation" "search"\'' in out
    )
