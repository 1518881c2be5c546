"""Turn a handler's raw output into what is returned, cached and hashed.

Order: security scan (mask SSNs and card numbers inside strings), then truncation at
``max_tool_result_length`` (the text is cut there and ``"... [truncated]"`` appended), then
``result_hash`` = first 16 hex chars of sha256 over the *returned* result text, and
``result_size_bytes`` = its UTF-8 length. The result text of structured data is its canonical
JSON, so the hash is reproducible from what the caller received.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from typing import Any

from flatfile_chat.tools.cache import canonical_json

TRUNCATION_SUFFIX = "... [truncated]"
_SSN_RE = re.compile(r"\b\d{3}-\d{2}-\d{4}\b")
_CARD_RE = re.compile(r"\b(?:\d{4}[- ]?){3}\d{4}\b")


@dataclass
class FinalResult:
    data: Any
    result_type: str
    result_hash: str
    size_bytes: int
    truncated: bool
    masked: list[str] = field(default_factory=list)  # kinds of data that were masked


def result_text(data: Any) -> str:
    if data is None:
        return ""
    return data if isinstance(data, str) else canonical_json(data)


def result_hash(data: Any) -> str:
    return hashlib.sha256(result_text(data).encode("utf-8")).hexdigest()[:16]


def finalize(data: Any, result_type: str, *, max_length: int, scan: bool) -> FinalResult:
    masked: list[str] = []
    if scan:
        data = _mask(data, masked)
    truncated = False
    text = result_text(data)
    if len(text) > max_length:
        data, result_type, truncated = text[:max_length] + TRUNCATION_SUFFIX, "text", True
    final_text = result_text(data)
    return FinalResult(
        data=data,
        result_type=result_type if data is not None else "none",
        result_hash=result_hash(data),
        size_bytes=len(final_text.encode("utf-8")),
        truncated=truncated,
        masked=sorted(set(masked)),
    )


def _mask(value: Any, found: list[str]) -> Any:
    if isinstance(value, str):
        if _SSN_RE.search(value):
            found.append("ssn")
            value = _SSN_RE.sub("XXX-XX-XXXX", value)
        if _CARD_RE.search(value):
            found.append("credit_card")
            value = _CARD_RE.sub("XXXX-XXXX-XXXX-XXXX", value)
        return value
    if isinstance(value, dict):
        return {k: _mask(v, found) for k, v in value.items()}
    if isinstance(value, list):
        return [_mask(v, found) for v in value]
    return value
