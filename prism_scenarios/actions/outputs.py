"""What an action returns, as a scenario author reads it.

An action's return annotation is its output model. The engine hands expectations the *JSON
shape* of the result (pydantic models dumped, tuples as lists), so an annotation documents that
shape: a flatfile_chat model, ``list[...]`` of one, a ``TypedDict`` for a dict the action or a
manager builds (``typing_extensions.TypedDict``: pydantic needs it before Python 3.12), or a
plain type. Declare a dict shape ``@closed`` so the output test
(``tests/unit/prism_scenarios/test_action_outputs.py``) fails on a key nobody documented; say
what a key holds with ``Annotated[int, Field(description=...)]``::

    @closed
    class Hash(TypedDict):
        sha256: str
        size_bytes: int

A result whose shape is genuinely not the action's to promise (a stored file's content, a value
echoed back) is ``JSONValue``, marked with what it is::

    FileContent = Annotated[JSONValue, FreeForm("the file's content")]

This module only describes types; :mod:`prism_scenarios.catalog` formats them.
"""

from __future__ import annotations

import dataclasses
import enum
import inspect
import types
import typing
from dataclasses import dataclass
from typing import Annotated, Any, Literal, NotRequired, Required, Union

from pydantic import BaseModel, ConfigDict, JsonValue, with_config
from pydantic.fields import FieldInfo
from typing_extensions import is_typeddict

JSONValue = JsonValue
"""Any JSON value (null, bool, number, string, list, object): a free-form result."""

closed = with_config(ConfigDict(extra="forbid"))
"""Decorate an output ``TypedDict`` so validation refuses keys it does not declare."""


@dataclass(frozen=True)
class FreeForm:
    """``Annotated[JSONValue, FreeForm("...")]``: says what a free-form value is."""

    what: str


@dataclass(frozen=True)
class OutputField:
    name: str
    type: Any
    always: bool  # False: the key is only sometimes present (TypedDict NotRequired)
    description: str


def is_model(t: Any) -> bool:
    """A type with named fields: pydantic model, TypedDict or dataclass."""
    return isinstance(t, type) and (
        issubclass(t, BaseModel) or is_typeddict(t) or dataclasses.is_dataclass(t)
    )


def _strip(t: Any) -> Any:
    """Drop ``Annotated`` and ``Required``/``NotRequired`` wrappers."""
    while typing.get_origin(t) in (Annotated, Required, NotRequired):
        t = typing.get_args(t)[0]
    return t


def _metadata(t: Any) -> list[Any]:
    """``Annotated`` metadata of ``t``, through ``Required``/``NotRequired`` wrappers."""
    found: list[Any] = []
    while typing.get_origin(t) in (Annotated, Required, NotRequired):
        found += getattr(t, "__metadata__", ())
        t = typing.get_args(t)[0]
    return found


def free_form(t: Any) -> str | None:
    """What a ``FreeForm``-marked value is, if ``t`` is one."""
    return next((m.what for m in _metadata(t) if isinstance(m, FreeForm)), None)


def notes(t: Any) -> list[str]:
    """What the parts of ``t`` outside its models are (descriptions and ``FreeForm``s of
    ``Annotated`` values, ``list[...]`` items, ``dict[...]`` values), in order."""
    found = [text for text in [_description(t)] if text]
    bare = _strip(t)
    if bare is not JsonValue and not is_model(bare):
        for arg in typing.get_args(bare):
            found += [text for text in notes(arg) if text not in found]
    return found


def _description(t: Any) -> str:
    described = [m.description for m in _metadata(t) if isinstance(m, FieldInfo) and m.description]
    return described[0] if described else free_form(t) or ""


def fields(model: type) -> list[OutputField]:
    """The named fields of a model, in declaration order."""
    if issubclass(model, BaseModel):
        return [
            OutputField(
                name, info.annotation, True, info.description or "; ".join(notes(info.annotation))
            )
            for name, info in model.model_fields.items()
        ]
    if is_typeddict(model):
        # Read NotRequired from the hints: with postponed annotations __required_keys__ is
        # wrong on Python 3.11 (pydantic reads the hints too).
        hints = typing.get_type_hints(model, include_extras=True)
        total = getattr(model, "__total__", True)
        return [
            OutputField(name, hint, _always(hint, total), "; ".join(notes(hint)))
            for name, hint in hints.items()
        ]
    if not dataclasses.is_dataclass(model):
        raise TypeError(f"not a pydantic model, TypedDict or dataclass: {model!r}")
    hints = typing.get_type_hints(model, include_extras=True)
    return [
        OutputField(f.name, hints[f.name], True, "; ".join(notes(hints[f.name])))
        for f in dataclasses.fields(model)
    ]


def _always(hint: Any, total: bool) -> bool:
    origin = typing.get_origin(hint)
    return True if origin is Required else False if origin is NotRequired else total


def keeps_extra_keys(model: type) -> bool:
    """Whether the model passes on keys it does not declare (``extra="allow"``)."""
    return issubclass(model, BaseModel) and model.model_config.get("extra") == "allow"


def summary(model: type) -> str:
    """The first paragraph of a model's own docstring ('' if it has none)."""
    doc = model.__dict__.get("__doc__") or ""
    if dataclasses.is_dataclass(model) and doc.startswith(f"{model.__name__}("):
        return ""  # the signature dataclasses invent
    return inspect.cleandoc(doc).split("\n\n")[0].replace("\n", " ") if doc else ""


def type_name(t: Any) -> str:
    """A short, readable spelling: ``list[FFSessionDTO]``, ``str | None``, ``JSONValue``."""
    t = _strip(t)
    origin, args = typing.get_origin(t), typing.get_args(t)
    if t is JsonValue:
        return "JSONValue"
    if t is Any:
        return "Any"
    if t is None or t is type(None):
        return "None"
    if origin in (Union, types.UnionType):
        return " | ".join(type_name(a) for a in args)
    if origin is Literal:
        return " | ".join(repr(a) for a in args)
    if origin is not None:
        name = getattr(origin, "__name__", str(origin))
        return f"{name}[{', '.join(type_name(a) for a in args)}]" if args else name
    if isinstance(t, type) and issubclass(t, enum.Enum):
        return " | ".join(repr(m.value) for m in t)  # the JSON shape: its values
    if isinstance(t, type):
        return t.__name__
    return str(t).replace("typing.", "")


def principal_model(t: Any) -> type | None:
    """The one model a reader needs to see the fields of: ``T``, ``T | None``, ``list[T]``,
    ``dict[str, T]`` (None for plain types, free-form values and unions of models)."""
    t = _strip(t)
    if is_model(t):
        return t
    origin, args = typing.get_origin(t), typing.get_args(t)
    if origin in (Union, types.UnionType):
        present = [a for a in args if a is not type(None)]
        if len(present) == 1:
            return principal_model(present[0])
        # A model or its extensions (e.g. a result, or the result plus what was remembered):
        # the base is what every variant has.
        bases = [
            m
            for m in present
            if is_model(m) and all(is_model(o) and issubclass(o, m) for o in present)
        ]
        return bases[0] if bases else None
    if origin in (list, tuple, set, frozenset) and args:
        return principal_model(args[0]) if len(set(args) - {Ellipsis}) == 1 else None
    if origin is dict and len(args) == 2:
        return principal_model(args[1])
    return None


def models_in(t: Any) -> list[type]:
    """Models named anywhere in ``t`` (not inside those models), in order of appearance."""
    t = _strip(t)
    if t is JsonValue:
        return []
    if is_model(t):
        return [t]
    found: list[type] = []
    for arg in typing.get_args(t):
        for model in models_in(arg):
            if model not in found:
                found.append(model)
    return found


def variants(t: Any) -> list[type]:
    """The other models of a union whose principal model they extend."""
    principal = principal_model(t)
    return [
        m
        for m in models_in(t)
        if principal is not None and m is not principal and issubclass(m, principal)
    ]


def added_fields(model: type, base: type) -> list[OutputField]:
    """The fields ``model`` has that ``base`` does not."""
    known = {f.name for f in fields(base)}
    return [f for f in fields(model) if f.name not in known]


def nested_models(t: Any) -> list[type]:
    """Models a reader of ``t`` must look up elsewhere: every model reachable through fields,
    and the models of ``t`` itself other than its principal one."""
    top = models_in(t)
    principal = principal_model(t)
    seen: list[type] = [m for m in top if m is not principal and m not in variants(t)]
    queue = [f.type for model in top for f in fields(model)]
    while queue:  # breadth first, so a model is listed where it is first needed
        for model in models_in(queue.pop(0)):
            if model not in seen:
                seen.append(model)
                queue.extend(f.type for f in fields(model))
    return seen
