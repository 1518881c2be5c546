"""Small validators for caller input shared by the panel modules."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

from flatfile_chat.errors import ValidationError

_KIND = re.compile(r"[a-z][a-z0-9_]{0,63}\Z")


def check_kind(value: object, key: str) -> str:
    if not isinstance(value, str) or not _KIND.match(value):
        raise ValidationError(f"{key} must be a lowercase word like 'conversation' "
                              f"([a-z][a-z0-9_]*), got {value!r}", key=key, value=value)
    return value


def json_dict(value: object, key: str) -> dict[str, Any]:
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise ValidationError(f"{key} must be a mapping, got {type(value).__name__}", key=key)
    try:
        json.dumps(value)
    except (TypeError, ValueError) as exc:
        raise ValidationError(f"{key} is not JSON-serialisable: {exc}", key=key) from None
    return dict(value)
