"""Interpolation and matchers, one behaviour each."""

from __future__ import annotations

import pytest

from prism_scenarios.errors import ScenarioError
from prism_scenarios.interpolate import interpolate
from prism_scenarios.matchers import check


def test_whole_reference_keeps_type_and_partial_formats() -> None:
    variables = {"n": 3, "s": {"id": "x1", "tags": ["a"]}}
    assert interpolate("${n}", variables) == 3
    assert interpolate("n=${n}", variables) == "n=3"
    assert interpolate({"k": ["${s.id}", "${s.tags[0]}"]}, variables) == {"k": ["x1", "a"]}
    assert interpolate("$${n}", variables) == "${n}"


def test_env_and_unknown(monkeypatch) -> None:
    monkeypatch.setenv("PRISM_TEST_VAR", "yes")
    assert interpolate("${env:PRISM_TEST_VAR}", {}) == "yes"
    with pytest.raises(ScenarioError, match="known: a"):
        interpolate("${b}", {"a": 1})


@pytest.mark.parametrize("expectation,data,ok", [
    ({"equals": 1}, 1, True), ({"equals": 1}, True, False), ({"equals": True}, 1, False),
    ({"not_equals": 1}, 2, True), ({"contains": "ell"}, "hello", True),
    ({"contains": 3}, [1, 2], False), ({"contains": {"a": 1}}, {"a": 1, "b": 2}, True),
    ({"not_contains": "x"}, "abc", True), ({"matches": r"^\d+$"}, "123", True),
    ({"matches": r"^\d+$"}, 123, False), ({"length": 2}, [1, 2], True),
    ({"length": 2}, "abc", False), ({"gt": 1}, 2, True), ({"ge": 2}, 2, True),
    ({"lt": 1}, 2, False), ({"le": 1}, "1", False), ({"type": "integer"}, True, False),
    ({"type": "number"}, 1.5, True), ({"type": "object"}, {}, True),
    ({"schema": {"type": "array", "items": {"type": "string"}}}, ["a"], True),
    ({"schema": {"type": "array", "items": {"type": "string"}}}, [1], False),
    ({"is_null": True}, None, True), ({"is_null": False}, None, False),
    ({"path": "a[1].b", "equals": 2}, {"a": [{"b": 1}, {"b": 2}]}, True),
    ({"path": "length(a)", "equals": 2}, {"a": [1, 2]}, True),
])
def test_matchers(expectation, data, ok: bool) -> None:
    _actual, failures = check(expectation, data)
    assert (not failures) is ok, failures


def test_bad_jmespath_is_a_scenario_error() -> None:
    with pytest.raises(ScenarioError, match="invalid JMESPath"):
        check({"path": "a[", "equals": 1}, {})
