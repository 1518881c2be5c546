"""Interpolation and matchers, one behaviour each."""

from __future__ import annotations

import json

import pytest

from prism_scenarios.errors import ScenarioError
from prism_scenarios.interpolate import (
    interpolate,
    mask_text,
    redact,
    references,
    secret_forms,
    variable_name,
)
from prism_scenarios.matchers import check, regex_problem


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


@pytest.mark.parametrize(
    "expectation,data,ok",
    [
        ({"equals": 1}, 1, True),
        ({"equals": 1}, True, False),
        ({"equals": True}, 1, False),
        ({"not_equals": 1}, 2, True),
        ({"contains": "ell"}, "hello", True),
        ({"contains": 3}, [1, 2], False),
        ({"contains": {"a": 1}}, {"a": 1, "b": 2}, True),
        ({"not_contains": "x"}, "abc", True),
        ({"matches": r"^\d+$"}, "123", True),
        ({"matches": r"^\d+$"}, 123, False),
        ({"length": 2}, [1, 2], True),
        ({"length": 2}, "abc", False),
        ({"gt": 1}, 2, True),
        ({"ge": 2}, 2, True),
        ({"lt": 1}, 2, False),
        ({"le": 1}, "1", False),
        ({"type": "integer"}, True, False),
        ({"type": "number"}, 1.5, True),
        ({"type": "object"}, {}, True),
        ({"schema": {"type": "array", "items": {"type": "string"}}}, ["a"], True),
        ({"schema": {"type": "array", "items": {"type": "string"}}}, [1], False),
        ({"is_null": True}, None, True),
        ({"is_null": False}, None, False),
        ({"path": "a[1].b", "equals": 2}, {"a": [{"b": 1}, {"b": 2}]}, True),
        ({"path": "length(a)", "equals": 2}, {"a": [1, 2]}, True),
    ],
)
def test_matchers(expectation, data, ok: bool) -> None:
    _actual, failures = check(expectation, data)
    assert (not failures) is ok, failures


def test_bad_jmespath_is_a_scenario_error() -> None:
    with pytest.raises(ScenarioError, match="invalid JMESPath"):
        check({"path": "a[", "equals": 1}, {})


@pytest.mark.parametrize("data", [{"present": 1}, {"winner": None}])
@pytest.mark.parametrize("matcher,expected", [("not_equals", 3), ("not_contains", "x")])
def test_negative_matchers_fail_on_a_path_that_selects_nothing(
    data, matcher: str, expected
) -> None:
    """A missing key and a real JSON null read the same to JMESPath: the wording says both."""
    _actual, failures = check({"path": "winner", matcher: expected}, data)
    assert failures == [
        (
            matcher,
            expected,
            f"path 'winner' selected nothing (missing or null); {matcher} needs a "
            "value (use is_null: true to check absence)",
        )
    ]


@pytest.mark.parametrize(
    "expectation,allowed",
    [
        ({"gt": "abc"}, "a number"),
        ({"ge": True}, "a number"),
        ({"lt": None}, "a number"),
        ({"le": [1]}, "a number"),
        ({"type": "strin"}, "one of string, integer"),
        ({"type": ["string"]}, "one of string"),
        ({"length": "2"}, "a non-negative integer"),
        ({"length": -1}, "a non-negative integer"),
        ({"length": True}, "a non-negative integer"),
        ({"matches": 3}, "a regular expression string"),
        ({"schema": []}, "an object"),
        ({"is_null": "yes"}, "true or false"),
        ({"is_null": 0}, "true or false"),
    ],
)
def test_an_expected_value_of_the_wrong_kind_names_the_matcher_and_what_it_takes(
    expectation, allowed: str
) -> None:
    ((matcher, value),) = expectation.items()
    with pytest.raises(ScenarioError, match=f"`{matcher}` takes {allowed}") as err:
        check(expectation, 5)  # the same for any actual value
    assert str(err.value).endswith(f"got {json.dumps(value)}")


def test_an_invalid_json_schema_is_a_scenario_error() -> None:
    with pytest.raises(
        ScenarioError,
        match=r"`schema` takes a valid JSON Schema: 5 is not "
        r"valid .* in \{\"type\": 5\}",
    ):
        check({"schema": {"type": 5}}, 1)


@pytest.mark.parametrize(
    "expectation,data,ok",
    [
        # objects: every expected key present with a matching value, nested objects as subsets
        ({"contains": {"a": 1}}, {"a": 2, "b": 1}, False),
        ({"contains": {"a": {"x": 1}}}, {"a": {"x": 1, "y": 2}, "b": 0}, True),
        ({"contains": {"a": {"x": 2}}}, {"a": {"x": 1, "y": 2}}, False),
        ({"contains": {"a": [1]}}, {"a": [1, 2]}, False),  # lists inside objects: equal, not subset
        ({"contains": {"a": 1}}, {"a": True}, False),
        ({"contains": {"a": True}}, {"a": 1}, False),
        # lists: some element equals it (an object element: has its keys and values)
        ({"contains": True}, [1, 2], False),
        ({"contains": 1}, [True], False),
        ({"contains": 1}, [0, 1], True),
        ({"contains": [1]}, [[1], [2]], True),
        ({"contains": {"id": "b"}}, [{"id": "a", "n": 1}, {"id": "b", "n": 2}], True),
        ({"contains": {"id": "c"}}, [{"id": "a"}, {"id": "b"}], False),
        ({"contains": "b"}, ["abc"], False),  # an element equals it; no substring search
        # strings: substrings of strings only
        ({"contains": 1}, "123", False),
        ({"not_contains": 1}, "123", False),
        # the negation, with the same strictness
        ({"not_contains": {"a": 1}}, {"a": 2}, True),
        ({"not_contains": {"a": 1}}, {"a": 1}, False),
        ({"not_contains": True}, [1], True),
        ({"not_contains": "a"}, {"a": 1}, False),
        ({"not_contains": 3}, 3, False),
        # equality is type-strict at any depth
        ({"equals": [True]}, [1], False),
        ({"equals": {"a": 1}}, {"a": True}, False),
        ({"equals": {"a": [1.0]}}, {"a": [1]}, True),
        ({"not_equals": 1}, True, True),
    ],
)
def test_contains_is_a_deep_type_strict_subset(expectation, data, ok: bool) -> None:
    _actual, failures = check(expectation, data)
    assert (not failures) is ok, failures


def test_contains_on_an_object_explains_how_to_check_a_key() -> None:
    _actual, failures = check({"contains": "a"}, {"a": 1})
    assert 'to check a key use {path: "keys(@)", contains: "a"}' in failures[0][2]
    _actual, failures = check({"contains": {"a": {"x": 2}}}, {"a": {"x": 1}})
    assert "key 'a.x' is 1, not 2" in failures[0][2]


def test_matches_uses_re2_so_catastrophic_patterns_finish() -> None:
    # Python's re backtracks exponentially here: this test would never finish with it.
    _actual, failures = check({"matches": "(a+)+$"}, "a" * 50000 + "b")
    assert failures and failures[0][0] == "matches"
    assert not check({"matches": "(a+)+b$"}, "a" * 50000 + "b")[1]


def test_a_pattern_re2_cannot_compile_names_itself_and_re2() -> None:
    with pytest.raises(
        ScenarioError,
        match=r"regular expression '\(a\)\\\\1' is not valid "
        r"RE2 syntax \(invalid escape sequence",
    ):
        check({"matches": r"(a)\1"}, "aa")
    assert "lookarounds" in regex_problem("(?=a)") and regex_problem(r"^\d+$") is None


def test_references_skip_literals_and_env() -> None:
    value = {"a": ["${x.id}", "$${y} ${env:HOME} ${z}"], "b": 3}
    assert list(references(value)) == ["x.id", "env:HOME", "z"]
    assert [variable_name(e) for e in references(value)] == ["x", None, "z"]


def test_env_values_are_reported_and_masked_in_the_display_form(monkeypatch) -> None:
    monkeypatch.setenv("PRISM_TEST_TOKEN", "tok-123456")
    params = {"auth": "Bearer ${env:PRISM_TEST_TOKEN}", "user": "${u}"}
    used: list[str] = []
    assert interpolate(params, {"u": "al"}, used) == {"auth": "Bearer tok-123456", "user": "al"}
    assert used == ["tok-123456"]
    assert interpolate(params, {"u": "al"}, masked=True) == {"auth": "Bearer ***", "user": "al"}
    assert redact({"k tok-123456": ["x tok-123456 y", 3]}, ("tok-123456",)) == {
        "k ***": ["x *** y", 3]
    }


def test_secret_forms_cover_json_and_repr_escaping() -> None:
    secret = "to\"k\\en'1"
    forms = secret_forms((secret,))
    for form in (
        secret,
        json.dumps(secret)[1:-1],
        repr(secret)[1:-1],
        json.dumps(repr(secret)[1:-1])[1:-1],
    ):
        assert form in forms
    assert list(forms) == sorted(forms, key=len, reverse=True)  # longest masked first
    assert secret_forms(("plain-token",)) == ("plain-token",)  # nothing to escape: one form


def test_mask_text_masks_a_secret_cut_by_a_truncation() -> None:
    forms = secret_forms(("PLAINSECRETVALUE",))
    assert mask_text("x PLAINSEC… and PLAINSECRETVALUE", forms) == "x ***… and ***"
    assert mask_text("x PLAI…", forms) == "x ***…"  # MIN_SECRET characters of it
    assert mask_text("x PLA… y", forms) == "x PLA… y"  # three could be anything


def test_check_masks_secrets_in_its_wording_but_compares_real_values() -> None:
    secret = 'to"k\\en'
    forms = secret_forms((secret,))
    data = {"token": secret}
    assert check({"path": "token", "equals": secret}, data, forms)[1] == []
    _actual, failures = check(
        {"path": "token", "schema": {"type": "integer"}, "contains": "nope", "matches": "^x"},
        data,
        forms,
    )
    assert len(failures) == 3
    for _name, _expected, why in failures:
        assert "***" in why and all(form not in why for form in forms), why
    with pytest.raises(ScenarioError) as err:
        check({"gt": secret}, 1, forms)
    assert str(err.value).endswith('got "***"')
