"""The numeric, subset and type matchers pinned to their exact verdicts and messages."""

from __future__ import annotations

from prism_scenarios.matchers import MATCHERS, _subset_miss


def test_numeric_comparisons_accept_a_number_and_say_why_they_fail() -> None:
    assert MATCHERS["gt"](5, 3) is None
    assert MATCHERS["gt"](1, 3) == "expected > 3, got 1"
    assert MATCHERS["le"](5, 3) == "expected <= 3, got 5"
    assert MATCHERS["ge"](3, 3) is None


def test_subset_compares_a_dict_with_a_plain_value_as_a_mismatch() -> None:
    assert _subset_miss({"k": {"a": 1}}, {"k": 1}) == "key 'k' is {\"a\": 1}, not 1"
    assert _subset_miss({"k": 5}, {"k": {"a": 1}}) == "key 'k' is 5, not {\"a\": 1}"
    assert _subset_miss({"k": {"a": 1, "b": 2}}, {"k": {"a": 1}}) is None


def test_type_mismatch_names_the_actual_type() -> None:
    assert MATCHERS["type"]("x", "integer") == 'expected type integer, got str: "x"'
    assert MATCHERS["type"](3, "integer") is None
