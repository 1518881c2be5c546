"""The append-only audit log (``analytics/compliance/audit_logs.jsonl``).

Every manager records security-relevant events here (denied tool runs, refused access, key
rotation ...). It is a file, not an in-memory list (upstream's permission audit log was lost on
restart). Entries whose outcome is ``denied`` or ``failure`` are also appended to
``analytics/compliance/security_events.jsonl``, the spec's security view.

When ``analytics.privacy.anonymize_user_data`` is on, the actor is stored as ``actor_hash`` (the
same keyed HMAC as analytics' ``user_hash``) and ``details`` are scrubbed: identity keys
(``user_id``, ``owner_id``, ``*_user_id`` ...) become ``<key>_hash``, session ids are hashed,
and the actor's raw id is replaced inside strings. Callers must not put user ids under other
keys. Details are otherwise kept as given (audit needs them; nothing is dropped).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any, Literal, Protocol

from flatfile_chat.errors import ValidationError
from flatfile_chat.store.layout import StoreContext

OUTCOMES = ("success", "denied", "failure")
MAX_NAME_CHARS = 100


class AuditSink(Protocol):
    def record(
        self,
        event_type: str,
        *,
        component: str,
        actor: str | None = None,
        outcome: str = "success",
        details: dict[str, Any] | None = None,
    ) -> dict[str, Any]: ...


class AuditLog:
    """``pseudonymize``: ``"auto"`` follows the analytics privacy config (the default);
    a callable maps actor ids itself; ``None`` stores raw ids (only if anonymisation is off)."""

    def __init__(
        self,
        ctx: StoreContext,
        pseudonymize: Callable[[str], str] | Literal["auto"] | None = "auto",
    ) -> None:
        self._ctx = ctx
        privacy = ctx.config.analytics.privacy
        self._session_hash: Callable[[str], str] | None = None
        if pseudonymize == "auto":
            pseudonymize = None
            if privacy.anonymize_user_data:
                from flatfile_chat.privacy import Pseudonymizer

                pseudo = Pseudonymizer.for_context(ctx)
                pseudonymize = pseudo.user_hash
                if privacy.hash_user_identifiers:
                    self._session_hash = pseudo.session_hash
        elif pseudonymize is None and privacy.anonymize_user_data:
            raise ValidationError(
                "an audit log without pseudonymisation would write raw user "
                "ids while analytics.privacy.anonymize_user_data is on",
                key="pseudonymize",
            )
        self.pseudonymize = pseudonymize
        self.path = ctx.fs.path("analytics", "compliance", "audit_logs.jsonl")
        self.security_path = ctx.fs.path("analytics", "compliance", "security_events.jsonl")

    def record(
        self,
        event_type: str,
        *,
        component: str,
        actor: str | None = None,
        outcome: str = "success",
        details: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        """Append one entry and return it. ``outcome``: success | denied | failure."""
        for name, value in (("event_type", event_type), ("component", component)):
            if not isinstance(value, str) or not value.strip() or len(value) > MAX_NAME_CHARS:
                raise ValidationError(
                    f"audit {name} must be a non-empty string of at most "
                    f"{MAX_NAME_CHARS} characters",
                    key=name,
                    value=value,
                )
        if outcome not in OUTCOMES:
            raise ValidationError(
                f"audit outcome {outcome!r} is not one of {OUTCOMES}", key="outcome", value=outcome
            )
        if actor is not None and not isinstance(actor, str):
            raise ValidationError("audit actor must be a string", key="actor", value=actor)
        details = dict(details or {})
        try:
            json.dumps(details)
        except (TypeError, ValueError):
            raise ValidationError(
                "audit details must be JSON-serialisable", key="details"
            ) from None
        if self.pseudonymize is not None:
            from flatfile_chat.privacy import known_user_ids, scrub

            details = scrub(
                details,
                user_hash=self.pseudonymize,
                session_hash=self._session_hash,
                raw_ids=[*([actor] if actor else []), *known_user_ids(self._ctx)],
                exclude_sensitive=False,
            )
            actor_field: dict[str, Any] = {
                "actor_hash": self.pseudonymize(actor) if actor is not None else None
            }
        else:
            actor_field = {"actor": actor}
        entry = {
            "audit_id": self._ctx.ids.prefixed("audit", 12),
            "timestamp": self._ctx.now_iso(),
            "event_type": event_type,
            "component": component,
            **actor_field,
            "outcome": outcome,
            "details": details,
        }
        self._ctx.fs.ensure_dir(self.path.parent)
        self._ctx.fs.append_jsonl(self.path, [entry])
        if outcome != "success":
            self._ctx.fs.append_jsonl(self.security_path, [entry])
        return entry

    def entries(
        self, *, event_type: str | None = None, component: str | None = None
    ) -> list[dict[str, Any]]:
        rows = self._ctx.fs.read_jsonl(self.path)
        return [
            r
            for r in rows
            if (event_type is None or r.get("event_type") == event_type)
            and (component is None or r.get("component") == component)
        ]
