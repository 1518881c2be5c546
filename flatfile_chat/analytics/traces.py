"""Traces of prompt runs and A/B records (use case prompt_sandbox): what ran, which events it
went through, how long it took, and which variants were compared.

Validation only; the manager stamps ids/times, pseudonymises identities and appends.
"""

from __future__ import annotations

from typing import Any

from flatfile_chat.errors import ValidationError
from flatfile_chat.storage.paths import validate_id

MAX_EVENTS = 200


def check_events(events: Any) -> list[dict[str, Any]]:
    """A non-empty list of ``{"event": name, ...}`` objects (at most MAX_EVENTS)."""
    if not isinstance(events, list) or not events:
        raise ValidationError("trace events must be a non-empty list", key="events")
    if len(events) > MAX_EVENTS:
        raise ValidationError(
            f"a trace has at most {MAX_EVENTS} events, got {len(events)}", key="events"
        )
    for index, event in enumerate(events):
        if (
            not isinstance(event, dict)
            or not isinstance(event.get("event"), str)
            or not event["event"].strip()
        ):
            raise ValidationError(
                f"events[{index}] must be an object with a non-empty 'event' name",
                key=f"events.{index}",
            )
    return [dict(e) for e in events]


def check_duration(duration_ms: Any) -> float:
    if isinstance(duration_ms, bool) or not isinstance(duration_ms, int | float) or duration_ms < 0:
        raise ValidationError(
            f"duration_ms must be a number >= 0, got {duration_ms!r}", key="duration_ms"
        )
    return float(duration_ms)


def check_variants(variants: Any, winner: Any) -> dict[str, dict[str, Any]]:
    """At least two named variants, each with its ``prompt`` and scripted ``output``."""
    if not isinstance(variants, dict) or len(variants) < 2:
        raise ValidationError("an A/B record compares at least two variants", key="variants")
    clean = {}
    for name, variant in variants.items():
        validate_id(name, "variant")
        if (
            not isinstance(variant, dict)
            or not isinstance(variant.get("prompt"), str)
            or not isinstance(variant.get("output"), str)
        ):
            raise ValidationError(
                f"variant {name!r} needs a 'prompt' and an 'output' string", key=f"variants.{name}"
            )
        clean[name] = dict(variant)
    if winner is not None and winner not in clean:
        raise ValidationError(
            f"winner {winner!r} is not one of the variants {sorted(clean)}", key="winner"
        )
    return clean
