"""``${name}`` interpolation of saved values, fixtures and the environment.

- ``"${s1}"`` (the whole string) is replaced by the value itself, keeping its type;
- ``"session ${s1} of ${user}"`` formats values into the string;
- ``${env:HOME}`` reads the environment, ``${name.key}`` / ``${name[0]}`` walk into a saved
  value with JMESPath (no ``eval``);
- ``$${`` is a literal ``${``.

Environment values are treated as secrets: interpolation can report which values came from the
environment (``secrets``) and render a display form where each ``${env:NAME}`` reads ``***``
(``masked``); :func:`secret_forms` lists every way a secret can read once formatted, which
:func:`redact` masks anywhere in reported data and :func:`mask_text` in finished text.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterator
from typing import Any

import jmespath

from prism_scenarios.errors import ScenarioError

_REF = re.compile(r"\$\$\{|\$\{([^{}]+)\}")
_WHOLE = re.compile(r"\$\{([^{}]+)\}\Z")
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
MASK = "***"
# Secret values shorter than this are not masked by value: masking every "on", "1" or "dev"
# in every message would shred the messages, and a 1-3 character secret protects nothing.
# (A short env value is still hidden where it was referenced: display forms show ***.)
MIN_SECRET = 4


def lookup(
    expression: str,
    variables: dict[str, Any],
    secrets: list[str] | None = None,
    masked: bool = False,
) -> Any:
    expression = expression.strip()
    if expression.startswith("env:"):
        name = expression[4:]
        if name not in os.environ:
            raise ScenarioError(
                f"environment variable {name!r} is not set (used as ${{env:{name}}})"
            )
        if secrets is not None:
            secrets.append(os.environ[name])
        return MASK if masked else os.environ[name]
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


def interpolate(
    value: Any, variables: dict[str, Any], secrets: list[str] | None = None, *, masked: bool = False
) -> Any:
    """Return ``value`` with every ``${...}`` resolved (dicts and lists recursively).

    ``secrets`` (if given) receives every environment value used; ``masked`` renders each
    ``${env:...}`` as ``***`` instead (the display form of the same value)."""
    if isinstance(value, str):
        if "$" not in value:
            return value
        whole = _WHOLE.match(value)
        if whole:
            return lookup(whole.group(1), variables, secrets, masked)
        return _REF.sub(
            lambda m: (
                "${"
                if m.group(0) == "$${"
                else _as_text(lookup(m.group(1), variables, secrets, masked))
            ),
            value,
        )
    if isinstance(value, dict):
        return {k: interpolate(v, variables, secrets, masked=masked) for k, v in value.items()}
    if isinstance(value, list):
        return [interpolate(v, variables, secrets, masked=masked) for v in value]
    return value


def references(value: Any) -> Iterator[str]:
    """Every ``${...}`` expression in ``value`` (nested too), without ``$${`` literals."""
    if isinstance(value, str):
        if "${" in value:
            yield from (m.group(1).strip() for m in _REF.finditer(value) if m.group(1))
    elif isinstance(value, dict):
        for item in value.values():
            yield from references(item)
    elif isinstance(value, list):
        for item in value:
            yield from references(item)


def variable_name(expression: str) -> str | None:
    """The variable a reference reads (``s1`` of ``s1.id``); None for ``env:`` references."""
    if expression.startswith("env:"):
        return None
    head = _NAME.match(expression)
    return head.group(0) if head else expression


def _escaped(text: str) -> tuple[str, ...]:
    """``text`` as it reads inside a JSON string (``\\"``, ``\\uXXXX`` or not) and inside a
    Python repr (single-quoted with ``\\'``, or as ``repr`` of the text alone quotes it)."""
    return (
        json.dumps(text, ensure_ascii=False)[1:-1],
        json.dumps(text)[1:-1],
        repr(text)[1:-1],
        repr("'\"" + text)[4:-1],
    )


def secret_forms(secrets: tuple[str, ...] | list[str]) -> tuple[str, ...]:
    """Every form a secret can take in formatted text, longest first: raw, JSON- and
    repr-escaped, and each of those escaped once more (a repr of a JSON message, a JSON dump of
    an error's repr). A secret without quotes, backslashes or control characters has one."""
    forms: set[str] = set()
    for secret in secrets:
        once = {secret, *_escaped(secret)}
        forms |= once
        for form in once - {secret}:
            forms.update(_escaped(form))
    return tuple(sorted(forms, key=len, reverse=True))


def mask_text(text: str, forms: tuple[str, ...]) -> str:
    """Finished text (an exception's message, a third party's wording) with every secret form
    masked, and a form cut short by a ``…`` truncation masked from ``MIN_SECRET`` characters
    on: a prefix of a secret is still part of it."""
    text = redact(text, forms)
    return _mask_cuts(text, forms) if "…" in text else text


def _mask_cuts(text: str, forms: tuple[str, ...]) -> str:
    start = text.find("…")
    while start != -1:
        for form in forms:
            size = next(
                (
                    n
                    for n in range(min(len(form) - 1, start), MIN_SECRET - 1, -1)
                    if text.startswith(form[:n], start - n)
                ),
                0,
            )
            if size:
                text = text[: start - size] + MASK + text[start:]
                start += len(MASK) - size
        start = text.find("…", start + 1)
    return text


def redact(value: Any, secrets: tuple[str, ...]) -> Any:
    """``value`` with every secret (longest first) replaced by ``***`` in every string, at any
    depth. ``secrets`` holds only values of at least ``MIN_SECRET`` characters (the engine
    passes their :func:`secret_forms`)."""
    if isinstance(value, str):
        for secret in secrets:
            if secret in value:
                value = value.replace(secret, MASK)
        return value
    if isinstance(value, dict):
        return {redact(k, secrets): redact(v, secrets) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [redact(v, secrets) for v in value]
    return value


def _as_text(value: Any) -> str:
    if isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False)
