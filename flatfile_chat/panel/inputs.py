"""Small validators for caller input shared by the panel modules."""

from __future__ import annotations

import re

from flatfile_chat.errors import ValidationError

_KIND = re.compile(r"[a-z][a-z0-9_]{0,63}\Z")


def check_kind(value: object, key: str) -> str:
    if not isinstance(value, str) or not _KIND.match(value):
        raise ValidationError(
            f"{key} must be a lowercase word like 'conversation' ([a-z][a-z0-9_]*), got {value!r}",
            key=key,
            value=value,
        )
    return value
