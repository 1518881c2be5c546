"""``${name}`` interpolation of saved values, fixtures and the environment.

- ``"${s1}"`` (the whole string) is replaced by the value itself, keeping its type;
- ``"session ${s1} of ${user}"`` formats values into the string;
- ``${env:HOME}`` reads the environment, ``${name.key}`` / ``${name[0]}`` walk into a saved
  value with JMESPath (no ``eval``);
- ``$${`` is a literal ``${``.
"""

from __future__ import annotations

import json
import os
import re
from typing import Any

import jmespath

from prism_scenarios.errors import ScenarioError

_REF = re.compile(r"\$\$\{|\$\{([^{}]+)\}")
_WHOLE = re.compile(r"\$\{([^{}]+)\}\Z")
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def lookup(expression: str, variables: dict[str, Any]) -> Any:
    expression = expression.strip()
    if expression.startswith("env:"):
        name = expression[4:]
        if name not in os.environ:
            raise ScenarioError(f"environment variable {name!r} is not set (used as ${{env:"
                                f"{name}}})")
        return os.environ[name]
    head = _NAME.match(expression)
    if head is None or head.group(0) not in variables:
        known = ", ".join(sorted(variables)) or "none"
        raise ScenarioError(f"unknown variable ${{{expression}}} (known: {known})")
    if head.end() == len(expression):
        return variables[head.group(0)]
    try:
        return jmespath.search(expression, variables)
    except jmespath.exceptions.JMESPathError as exc:
        raise ScenarioError(f"bad reference ${{{expression}}}: {exc}") from None


def interpolate(value: Any, variables: dict[str, Any]) -> Any:
    """Return ``value`` with every ``${...}`` resolved (dicts and lists recursively)."""
    if isinstance(value, str):
        if "$" not in value:
            return value
        whole = _WHOLE.match(value)
        if whole:
            return lookup(whole.group(1), variables)
        return _REF.sub(lambda m: "${" if m.group(0) == "$${" else
                        _as_text(lookup(m.group(1), variables)), value)
    if isinstance(value, dict):
        return {k: interpolate(v, variables) for k, v in value.items()}
    if isinstance(value, list):
        return [interpolate(v, variables) for v in value]
    return value


def _as_text(value: Any) -> str:
    if isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False)
