"""Expectation matchers: ``{path: <JMESPath>, <matcher>: <expected>}``.

Every failure returns a sentence saying what was expected and what was found; structures also
get a unified diff of their pretty JSON.
"""

from __future__ import annotations

import difflib
import json
import re
from collections.abc import Callable
from typing import Any

import jmespath
import jsonschema

from prism_scenarios.errors import ScenarioError

TYPES: dict[str, tuple[type, ...]] = {
    "string": (str,), "integer": (int,), "number": (int, float), "boolean": (bool,),
    "object": (dict,), "array": (list,), "null": (type(None),),
}


def _numeric(actual: Any) -> bool:
    return isinstance(actual, int | float) and not isinstance(actual, bool)


def _equals(actual: Any, expected: Any) -> str | None:
    # true == 1 in Python; in a scenario a boolean only equals a boolean.
    same = actual == expected and isinstance(actual, bool) == isinstance(expected, bool)
    return None if same else f"expected {_show(expected)}, got {_show(actual)}"


def _not_equals(actual: Any, expected: Any) -> str | None:
    return f"expected anything but {_show(expected)}" if actual == expected else None


def _contains(actual: Any, expected: Any) -> str | None:
    if isinstance(actual, str):
        ok = isinstance(expected, str) and expected in actual
    elif isinstance(actual, list):
        ok = expected in actual
    elif isinstance(actual, dict):
        ok = (all(k in actual and actual[k] == v for k, v in expected.items())
              if isinstance(expected, dict) else expected in actual)
    else:
        return f"expected a string, list or object containing {_show(expected)}, got " \
               f"{_show(actual)}"
    return None if ok else f"expected {_show(actual)} to contain {_show(expected)}"


def _not_contains(actual: Any, expected: Any) -> str | None:
    return None if _contains(actual, expected) is not None else \
        f"expected {_show(actual)} not to contain {_show(expected)}"


def _matches(actual: Any, expected: Any) -> str | None:
    if not isinstance(actual, str):
        return f"expected a string matching /{expected}/, got {_show(actual)}"
    return None if re.search(expected, actual) else \
        f"expected {_show(actual)} to match /{expected}/"


def _length(actual: Any, expected: Any) -> str | None:
    if not isinstance(actual, str | list | dict):
        return f"expected something with a length of {expected}, got {_show(actual)}"
    return None if len(actual) == expected else \
        f"expected length {expected}, got {len(actual)}: {_show(actual)}"


def _compare(op: str, test: Callable[[Any, Any], bool]) -> Callable[[Any, Any], str | None]:
    def check(actual: Any, expected: Any) -> str | None:
        if not _numeric(actual):
            return f"expected a number {op} {expected}, got {_show(actual)}"
        return None if test(actual, expected) else f"expected {op} {expected}, got {actual}"
    return check


def _type(actual: Any, expected: str) -> str | None:
    kinds = TYPES[expected]
    ok = isinstance(actual, kinds) and not (isinstance(actual, bool) and bool not in kinds)
    return None if ok else f"expected type {expected}, got {type(actual).__name__}: " \
                           f"{_show(actual)}"


_SCHEMA_VALIDATORS: dict[str, Any] = {}


def _schema_validator(schema: dict) -> Any:
    """One checked validator per distinct schema (``jsonschema.validate`` would re-check the
    schema itself on every call: ~1.2 ms against ~20 µs)."""
    key = json.dumps(schema, sort_keys=True, default=str)
    validator = _SCHEMA_VALIDATORS.get(key)
    if validator is None:
        cls = jsonschema.validators.validator_for(schema)
        cls.check_schema(schema)
        validator = _SCHEMA_VALIDATORS[key] = cls(schema)
    return validator


def _schema(actual: Any, expected: dict) -> str | None:
    error = jsonschema.exceptions.best_match(_schema_validator(expected).iter_errors(actual))
    if error is None:
        return None
    where = "/".join(map(str, error.absolute_path)) or "(root)"
    return f"does not match the schema at {where}: {error.message}"


def _is_null(actual: Any, expected: bool) -> str | None:
    return None if (actual is None) == bool(expected) else \
        f"expected {'null' if expected else 'a value'}, got {_show(actual)}"


MATCHERS: dict[str, Callable[[Any, Any], str | None]] = {
    "equals": _equals, "not_equals": _not_equals, "contains": _contains,
    "not_contains": _not_contains, "matches": _matches, "length": _length,
    "gt": _compare(">", lambda a, b: a > b), "ge": _compare(">=", lambda a, b: a >= b),
    "lt": _compare("<", lambda a, b: a < b), "le": _compare("<=", lambda a, b: a <= b),
    "type": _type, "schema": _schema, "is_null": _is_null,
}

_compiled: dict[str, Any] = {}


def search(path: str, data: Any) -> Any:
    """JMESPath ``path`` into ``data`` (``@`` is the whole result); compiled once per path."""
    if path in ("@", ""):
        return data
    expression = _compiled.get(path)
    if expression is None:
        try:
            expression = _compiled[path] = jmespath.compile(path)
        except jmespath.exceptions.JMESPathError as exc:
            raise ScenarioError(f"invalid JMESPath {path!r}: {exc}") from None
    return expression.search(data)


def check(expectation: dict[str, Any], data: Any) -> tuple[Any, list[tuple[str, Any, str]]]:
    """Apply every matcher in ``expectation``; returns (actual, [(matcher, expected, why)])."""
    actual = search(expectation.get("path", "@"), data)
    failures = []
    for name, expected in expectation.items():
        if name == "path":
            continue
        why = MATCHERS[name](actual, expected)
        if why is not None:
            failures.append((name, expected, why))
    return actual, failures


def _show(value: Any, limit: int = 300) -> str:
    text = json.dumps(value, ensure_ascii=False, default=str)
    return text if len(text) <= limit else text[:limit] + "…"


def diff(expected: Any, actual: Any) -> str | None:
    """A unified diff of pretty JSON when both sides are structures."""
    if not (isinstance(expected, dict | list) and isinstance(actual, dict | list)):
        return None
    a = json.dumps(expected, indent=2, sort_keys=True, default=str).splitlines()
    b = json.dumps(actual, indent=2, sort_keys=True, default=str).splitlines()
    return "\n".join(difflib.unified_diff(a, b, "expected", "actual", lineterm=""))
