"""The append-only audit log (``analytics/compliance/audit_logs.jsonl``).

Every manager records security-relevant events here (denied tool runs, refused access,
key rotation ...). It is a file, not an in-memory list (upstream's permission audit log was
lost on restart). ``pseudonymize`` turns actor ids into keyed hashes when analytics
anonymisation is on, so raw user ids never reach analytics files.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol

from flatfile_chat.store.layout import StoreContext


class AuditSink(Protocol):
    def record(self, event_type: str, *, component: str, actor: str | None = None,
               outcome: str = "success", details: dict[str, Any] | None = None
               ) -> dict[str, Any]: ...


class AuditLog:
    def __init__(self, ctx: StoreContext,
                 pseudonymize: Callable[[str], str] | None = None) -> None:
        self._ctx = ctx
        self.pseudonymize = pseudonymize
        self.path = ctx.fs.path("analytics", "compliance", "audit_logs.jsonl")

    def record(self, event_type: str, *, component: str, actor: str | None = None,
               outcome: str = "success", details: dict[str, Any] | None = None
               ) -> dict[str, Any]:
        """Append one entry and return it. ``outcome``: success | denied | failure."""
        if actor is not None and self.pseudonymize is not None:
            actor_field = {"actor_hash": self.pseudonymize(actor)}
        else:
            actor_field = {"actor": actor}
        entry = {"audit_id": self._ctx.ids.prefixed("audit", 12),
                 "timestamp": self._ctx.now_iso(), "event_type": event_type,
                 "component": component, **actor_field, "outcome": outcome,
                 "details": details or {}}
        self._ctx.fs.ensure_dir(self.path.parent)
        self._ctx.fs.append_jsonl(self.path, [entry])
        return entry

    def entries(self, *, event_type: str | None = None,
                component: str | None = None) -> list[dict[str, Any]]:
        rows = self._ctx.fs.read_jsonl(self.path)
        return [r for r in rows
                if (event_type is None or r.get("event_type") == event_type)
                and (component is None or r.get("component") == component)]
