"""Expectation matchers: ``{path: <JMESPath>, <matcher>: <expected>}``.

Every failure returns a sentence saying what was expected and what was found; structures also
get a unified diff of their pretty JSON. Comparisons are type-strict (a boolean only equals a
boolean) and regular expressions are RE2 (linear time: a hostile pattern or value cannot hang
a run; no backreferences or lookarounds). An expected value of the wrong kind for its matcher
(``gt: "abc"`` after interpolation) is a scenario error naming the matcher and what it takes.

Messages show values through :func:`_show`, which masks the secrets :func:`check` was given
before formatting, so no escaped or truncated form of a secret is ever written.
"""

from __future__ import annotations

import difflib
import functools
import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

import jmespath
import jsonschema
import re2

from prism_scenarios.errors import ScenarioError
from prism_scenarios.interpolate import mask_text, redact

RE2_SYNTAX = "https://github.com/google/re2/wiki/Syntax"
# Matchers that need a value to say anything: on a path that selected nothing they fail
# instead of passing vacuously ("not equal to 3" is not evidence that a value exists).
NEEDS_VALUE = ("not_equals", "not_contains")
TYPES: dict[str, tuple[type, ...]] = {
    "string": (str,),
    "integer": (int,),
    "number": (int, float),
    "boolean": (bool,),
    "object": (dict,),
    "array": (list,),
    "null": (type(None),),
}
# Secret forms (interpolate.secret_forms) that messages must mask; set by check() only when
# the engine knows a secret, so a run without one pays nothing.
_SECRETS: ContextVar[tuple[str, ...]] = ContextVar("prism_secret_forms", default=())


@contextmanager
def masking(forms: tuple[str, ...]) -> Iterator[None]:
    """Messages built inside mask these secret forms (values before formatting, foreign text
    after)."""
    token = _SECRETS.set(forms)
    try:
        yield
    finally:
        _SECRETS.reset(token)


def _said(text: str) -> str:
    """Text formatted elsewhere (a library's error, a pattern) with the current secrets
    masked."""
    forms = _SECRETS.get()
    return mask_text(text, forms) if forms else text


def _wrong_kind(matcher: str, expected: Any, allowed: str) -> ScenarioError:
    return ScenarioError(f"`{matcher}` takes {allowed}, got {_show(expected)}")


def _numeric(actual: Any) -> bool:
    return isinstance(actual, int | float) and not isinstance(actual, bool)


def same(actual: Any, expected: Any) -> bool:
    """Equality at any depth where a boolean only equals a boolean (Python: ``True == 1``)."""
    if isinstance(actual, bool) or isinstance(expected, bool):
        return isinstance(actual, bool) and isinstance(expected, bool) and actual == expected
    if isinstance(actual, dict) and isinstance(expected, dict):
        return actual.keys() == expected.keys() and all(
            same(actual[k], v) for k, v in expected.items()
        )
    if isinstance(actual, list) and isinstance(expected, list):
        return len(actual) == len(expected) and all(map(same, actual, expected))
    return actual == expected


def _equals(actual: Any, expected: Any) -> str | None:
    return None if same(actual, expected) else f"expected {_show(expected)}, got {_show(actual)}"


def _not_equals(actual: Any, expected: Any) -> str | None:
    return f"expected anything but {_show(expected)}" if same(actual, expected) else None


def _subset_miss(actual: dict, expected: dict, where: str = "") -> str | None:
    """Why ``expected`` is not a subset of ``actual`` (nested objects as subsets, every other
    value strictly equal), or None when it is."""
    for key, want in expected.items():
        at = f"{where}.{key}" if where else str(key)
        if key not in actual:
            return f"key {at!r} is missing"
        got = actual[key]
        if isinstance(want, dict) and isinstance(got, dict):
            why = _subset_miss(got, want, at)
            if why:
                return why
        elif not same(got, want):
            return f"key {at!r} is {_show(got, 80)}, not {_show(want, 80)}"
    return None


def _element_matches(item: Any, expected: Any) -> bool:
    if isinstance(item, dict) and isinstance(expected, dict):
        return _subset_miss(item, expected) is None
    return same(item, expected)


def _misuse(actual: Any, expected: Any) -> str | None:
    """Why ``contains`` cannot apply to these kinds of value at all, or None."""
    if isinstance(actual, str) and not isinstance(expected, str):
        return f"a string can only contain a string, not {_show(expected)}"
    if isinstance(actual, dict) and not isinstance(expected, dict):
        return (
            f"`contains` on an object takes an object (keys and the values they must "
            f'have), not {_show(expected)}; to check a key use {{path: "keys(@)", '
            f"contains: {_show(expected)}}}"
        )
    if not isinstance(actual, str | list | dict):
        return f"`contains` needs a string, list or object, got {_show(actual)}"
    return None


def _miss(actual: str | list | dict, expected: Any) -> str | None:
    """Why ``actual`` does not contain ``expected`` ("" if obvious), or None if it does."""
    if isinstance(actual, str):
        return None if expected in actual else ""
    if isinstance(actual, list):
        return (
            None
            if any(_element_matches(item, expected) for item in actual)
            else "no element equals it (or, for an object, has its keys and values)"
        )
    return _subset_miss(actual, expected)


def _contains(actual: Any, expected: Any) -> str | None:
    misuse = _misuse(actual, expected)
    if misuse:
        return misuse
    why = _miss(actual, expected)
    if why is None:
        return None
    return f"expected {_show(actual)} to contain {_show(expected)}" + (f": {why}" if why else "")


def _not_contains(actual: Any, expected: Any) -> str | None:
    misuse = _misuse(actual, expected)
    if misuse:
        return misuse
    return (
        None
        if _miss(actual, expected) is not None
        else f"expected {_show(actual)} not to contain {_show(expected)}"
    )


@functools.lru_cache(maxsize=256)
def compile_regex(pattern: str) -> Any:
    """``pattern`` compiled by RE2; a pattern RE2 refuses is a scenario error naming it (the
    error is raised afresh on each call, so the current secrets are masked in it)."""
    options = re2.Options()
    options.log_errors = False  # the error below says it; no absl noise on stderr
    try:
        return re2.compile(pattern, options)
    except re2.error as exc:
        reason = exc.args[0].decode() if exc.args and isinstance(exc.args[0], bytes) else str(exc)
        raise ScenarioError(
            f"regular expression {redact(pattern, _SECRETS.get())!r} is "
            f"not valid RE2 syntax ({_said(reason)}); patterns are RE2 (linear "
            f"time, no backreferences or lookarounds, \\z not \\Z): "
            f"{RE2_SYNTAX}"
        ) from None


def regex_problem(pattern: Any) -> str | None:
    """Why ``pattern`` cannot be used by ``matches`` (checked when a file loads), or None."""
    if not isinstance(pattern, str):
        return f"a regular expression is a string, got {_show(pattern)}"
    try:
        compile_regex(pattern)
    except ScenarioError as exc:
        return str(exc).removeprefix(ScenarioError.marker)
    return None


def _matches(actual: Any, expected: Any) -> str | None:
    if not isinstance(expected, str):
        raise _wrong_kind("matches", expected, "a regular expression string")
    regex = compile_regex(expected)
    if not isinstance(actual, str):
        return f"expected a string matching /{_said(expected)}/, got {_show(actual)}"
    return (
        None if regex.search(actual) else f"expected {_show(actual)} to match /{_said(expected)}/"
    )


def _length(actual: Any, expected: Any) -> str | None:
    if not isinstance(expected, int) or isinstance(expected, bool) or expected < 0:
        raise _wrong_kind("length", expected, "a non-negative integer")
    if not isinstance(actual, str | list | dict):
        return f"expected something with a length of {expected}, got {_show(actual)}"
    return (
        None
        if len(actual) == expected
        else f"expected length {expected}, got {len(actual)}: {_show(actual)}"
    )


def _compare(
    name: str, op: str, test: Callable[[Any, Any], bool]
) -> Callable[[Any, Any], str | None]:
    def check(actual: Any, expected: Any) -> str | None:
        if not _numeric(expected):
            raise _wrong_kind(name, expected, "a number")
        if not _numeric(actual):
            return f"expected a number {op} {expected}, got {_show(actual)}"
        return None if test(actual, expected) else f"expected {op} {expected}, got {actual}"

    return check


def _type(actual: Any, expected: str) -> str | None:
    if not isinstance(expected, str) or expected not in TYPES:
        raise _wrong_kind("type", expected, f"one of {', '.join(TYPES)}")
    kinds = TYPES[expected]
    ok = isinstance(actual, kinds) and not (isinstance(actual, bool) and bool not in kinds)
    return None if ok else f"expected type {expected}, got {type(actual).__name__}: {_show(actual)}"


_SCHEMA_VALIDATORS: dict[str, Any] = {}


def _schema_validator(schema: dict) -> Any:
    """One checked validator per distinct schema (``jsonschema.validate`` would re-check the
    schema itself on every call: ~1.2 ms against ~20 µs)."""
    key = json.dumps(schema, sort_keys=True, default=str)
    validator = _SCHEMA_VALIDATORS.get(key)
    if validator is None:
        cls = jsonschema.validators.validator_for(schema)
        try:
            cls.check_schema(schema)
        except jsonschema.exceptions.SchemaError as exc:
            raise ScenarioError(
                f"`schema` takes a valid JSON Schema: {_said(exc.message)} in {_show(schema)}"
            ) from None
        validator = _SCHEMA_VALIDATORS[key] = cls(schema)
    return validator


def _schema(actual: Any, expected: dict) -> str | None:
    if not isinstance(expected, dict):
        raise _wrong_kind("schema", expected, "an object (a JSON Schema)")
    error = jsonschema.exceptions.best_match(_schema_validator(expected).iter_errors(actual))
    if error is None:
        return None
    where = "/".join(map(str, error.absolute_path)) or "(root)"
    # jsonschema words the value with repr: mask the finished text.
    return f"does not match the schema at {_said(where)}: {_said(error.message)}"


def _is_null(actual: Any, expected: bool) -> str | None:
    if not isinstance(expected, bool):
        raise _wrong_kind("is_null", expected, "true or false")
    return (
        None
        if (actual is None) == bool(expected)
        else f"expected {'null' if expected else 'a value'}, got {_show(actual)}"
    )


MATCHERS: dict[str, Callable[[Any, Any], str | None]] = {
    "equals": _equals,
    "not_equals": _not_equals,
    "contains": _contains,
    "not_contains": _not_contains,
    "matches": _matches,
    "length": _length,
    "gt": _compare("gt", ">", lambda a, b: a > b),
    "ge": _compare("ge", ">=", lambda a, b: a >= b),
    "lt": _compare("lt", "<", lambda a, b: a < b),
    "le": _compare("le", "<=", lambda a, b: a <= b),
    "type": _type,
    "schema": _schema,
    "is_null": _is_null,
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
            raise ScenarioError(
                f"invalid JMESPath {redact(path, _SECRETS.get())!r}: {_said(str(exc))}"
            ) from None
    return expression.search(data)


def check(
    expectation: dict[str, Any], data: Any, secrets: tuple[str, ...] = ()
) -> tuple[Any, list[tuple[str, Any, str]]]:
    """Apply every matcher in ``expectation``; returns (actual, [(matcher, expected, why)]).
    Matchers compare the real values; every ``why`` (and any ScenarioError) masks ``secrets``
    (their :func:`~prism_scenarios.interpolate.secret_forms`)."""
    if secrets:  # the same check, its wording masked (no extra call without secrets)
        with masking(secrets):
            return check(expectation, data)
    path = expectation.get("path", "@")
    actual = search(path, data)
    failures = []
    for name, expected in expectation.items():
        if name == "path":
            continue
        if actual is None and name in NEEDS_VALUE:
            # JMESPath gives null for a missing key and for a null value alike.
            why = (
                f"path {redact(path, _SECRETS.get())!r} selected nothing (missing or null); "
                f"{name} needs a value (use is_null: true to check absence)"
            )
        else:
            why = MATCHERS[name](actual, expected)
        if why is not None:
            failures.append((name, expected, why))
    return actual, failures


def _show(value: Any, limit: int = 300) -> str:
    """``value`` as JSON for a message, cut at ``limit``: secrets are masked in the value
    first, so neither escaping nor the cut can leave a form or a prefix of one."""
    forms = _SECRETS.get()
    if forms:
        value = redact(value, forms)
    text = json.dumps(value, ensure_ascii=False, default=str)
    return text if len(text) <= limit else text[:limit] + "…"


def diff(expected: Any, actual: Any) -> str | None:
    """A unified diff of pretty JSON when both sides are structures."""
    if not (isinstance(expected, dict | list) and isinstance(actual, dict | list)):
        return None
    a = json.dumps(expected, indent=2, sort_keys=True, default=str).splitlines()
    b = json.dumps(actual, indent=2, sort_keys=True, default=str).splitlines()
    return "\n".join(difflib.unified_diff(a, b, "expected", "actual", lineterm=""))
