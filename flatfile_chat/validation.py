"""Caller input to typed values, with our errors (naming the key) instead of pydantic's."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from enum import StrEnum
from typing import Any, TypeVar

import pydantic

from flatfile_chat.errors import ValidationError
from flatfile_chat.storage.paths import validate_id

M = TypeVar("M", bound=pydantic.BaseModel)
E = TypeVar("E", bound=StrEnum)


def parse_input(model: type[M], data: Any, what: str) -> M:
    """Validate ``data`` as ``model``; pydantic's errors become ValidationError naming the key."""
    if isinstance(data, model):
        return data
    try:
        return model.model_validate(data)
    except pydantic.ValidationError as exc:
        first = exc.errors()[0]
        key = ".".join(str(p) for p in first["loc"]) or what
        raise ValidationError(f"invalid {what}: {key}: {first['msg']}", key=key) from None


def json_dict(value: object, key: str) -> dict[str, Any]:
    """A JSON-serialisable mapping (``None`` means empty), copied."""
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise ValidationError(f"{key} must be a mapping, got {type(value).__name__}", key=key)
    try:
        json.dumps(value)
    except (TypeError, ValueError) as exc:
        raise ValidationError(f"{key} is not JSON-serialisable: {exc}", key=key) from None
    return dict(value)


def id_list(value: object, key: str) -> list[str]:
    """A list (or tuple) of ids named ``key``, each one checked by ``validate_id``. A string
    is refused (it would be read as a list of one-letter ids), so is a mapping or a scalar."""
    if isinstance(value, str | bytes) or not isinstance(value, Sequence):
        raise ValidationError(
            f"{key} must be a list of ids, got {type(value).__name__}", key=key, value=value
        )
    return [validate_id(item, key) for item in value]


def enum_value(enum: type[E], value: Any, key: str) -> E:
    """``value`` as a member of ``enum``; otherwise a ValidationError listing the allowed ones."""
    try:
        return enum(value)
    except ValueError:
        allowed = ", ".join(e.value for e in enum)
        raise ValidationError(
            f"unknown {key} {value!r} (allowed: {allowed})", key=key, value=value
        ) from None
