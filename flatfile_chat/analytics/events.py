"""User analytics events: validation, privacy filtering and the stored line.

Where each event type goes (spec P5 layout):
- ``session_start`` / ``session_end`` → ``user_analytics/session_analytics.jsonl``
  (``session_end`` also adds a line to ``engagement_metrics.jsonl``);
- ``feature_usage`` (needs ``event_data.feature``) → ``feature_usage.jsonl``;
- ``content_interaction`` (needs ``event_data.interaction_type``) → ``behavior_patterns.jsonl``.
"""

from __future__ import annotations

import json
import math
from typing import Any

from flatfile_chat.analytics.models import EVENT_TYPES
from flatfile_chat.errors import ValidationError

EVENT_FILES = {
    "session_start": "session_analytics",
    "session_end": "session_analytics",
    "feature_usage": "feature_usage",
    "content_interaction": "behavior_patterns",
}
COUNTERS = ("messages_sent", "documents_processed", "tools_executed", "searches_performed")
MAX_LABEL_CHARS = 100


def _label(data: dict[str, Any], key: str, event_type: str) -> str:
    value = data.get(key)
    if not isinstance(value, str) or not value.strip() or len(value) > MAX_LABEL_CHARS:
        raise ValidationError(
            f"{event_type} needs event_data.{key}: a string of 1..{MAX_LABEL_CHARS} characters",
            key=f"event_data.{key}",
            value=value,
        )
    return value.strip()


def validate_event(event_type: object, event_data: object, max_bytes: int) -> dict[str, Any]:
    """Check type and data before anything is written; returns the event data dict."""
    if event_type not in EVENT_TYPES:
        raise ValidationError(
            f"event_type {event_type!r} is not one of {EVENT_TYPES}",
            key="event_type",
            value=event_type,
        )
    if event_data is None:
        event_data = {}
    if not isinstance(event_data, dict):
        raise ValidationError("event_data must be a dict", key="event_data")
    try:
        size = len(json.dumps(event_data, allow_nan=False).encode("utf-8"))
    except (TypeError, ValueError):
        raise ValidationError(
            "event_data must be JSON-serialisable (no NaN/inf)", key="event_data"
        ) from None
    if size > max_bytes:
        raise ValidationError(
            f"event_data is {size} bytes, over the {max_bytes}-byte limit "
            "(analytics.max_event_data_bytes)",
            key="event_data",
        )
    if event_type == "feature_usage":
        _label(event_data, "feature", event_type)
    elif event_type == "content_interaction":
        _label(event_data, "interaction_type", event_type)
    elif event_type == "session_end":
        duration = event_data.get("session_duration_seconds")
        if duration is not None and not _non_negative(duration):
            raise ValidationError(
                "session_duration_seconds must be a number >= 0",
                key="event_data.session_duration_seconds",
                value=duration,
            )
        for counter in COUNTERS:
            value = event_data.get(counter)
            if value is not None and (
                isinstance(value, bool) or not isinstance(value, int) or value < 0
            ):
                raise ValidationError(
                    f"{counter} must be an integer >= 0", key=f"event_data.{counter}", value=value
                )
    return dict(event_data)


def _non_negative(value: object) -> bool:
    return (
        isinstance(value, int | float)
        and not isinstance(value, bool)
        and math.isfinite(value)
        and value >= 0
    )


def labels(event_type: str, data: dict[str, Any]) -> dict[str, Any]:
    """Top-level fields that aggregation groups by (taken from the already scrubbed data)."""
    if event_type == "feature_usage":
        return {"feature": str(data.get("feature", "")).strip()}
    if event_type == "content_interaction":
        return {
            "interaction_type": str(data.get("interaction_type", "")).strip(),
            "content_type": data.get("content_type"),
        }
    return {}
